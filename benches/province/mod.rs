//! The province the benchmarks measure on, grown as a tree: the province's committee, 100
//! committees directly under it, 29 sub-committees under each (3,000 units in all), and the cells
//! under the sub-committees (one in twenty straight under a committee; one in fifty not
//! connected). `packs` monthly packs are sent to all of them, written through the real broadcast
//! start and the triggers that keep the running totals, most delivered, acknowledged and reported.

use loa::audit::Actor;

/// Committees directly under the province, and sub-committees under each.
pub const COMMITTEES: i64 = 100;
pub const SUBS: i64 = 29;

/// The number after `name` on the command line, else `default`.
pub fn arg(args: &[String], name: &str, default: i64) -> i64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

pub struct Province {
    /// The committees directly under the province's committee, in order.
    pub committees: Vec<i64>,
    /// Units in all, the root among them.
    pub units: i64,
}

pub async fn seed(pool: &loa::db::DbPool, config: &loa::config::Config, cells: i64, packs: i64) -> Province {
    let mut tx = pool.begin().await.unwrap();
    let root: i64 =
        sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL").fetch_one(&mut *tx).await.unwrap();
    let mut committees = Vec::new();
    let mut subs = Vec::new();
    for c in 0..COMMITTEES {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, 'xa', $3, 0, 0) RETURNING id",
        )
        .bind(format!("X{c:03}"))
        .bind(format!("Đảng ủy xã {c}"))
        .bind(root)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        committees.push(id);
        for k in 0..SUBS {
            let sub: i64 = sqlx::query_scalar(
                "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, 'bo-phan', $3, 0, 0) RETURNING id",
            )
            .bind(format!("X{c:03}-{k:02}"))
            .bind(format!("Đảng bộ bộ phận {k} xã {c}"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            subs.push(sub);
        }
    }
    loa::units::rebuild_paths(&mut tx).await.unwrap();
    for i in 0..cells {
        // one cell in twenty hangs straight from its committee; one in fifty has no chat yet
        let unit = if i % 20 == 0 {
            committees[(i / 20) as usize % committees.len()]
        } else {
            subs[(i - i / 20 - 1) as usize % subs.len()]
        };
        let bound = i % 50 != 7;
        sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, unit_id, created_at, updated_at) VALUES ($1, $2, '', $3, $4, $5, $6, 0, 0)")
            .bind(format!("C-{i:06}"))
            .bind(format!("Chi bộ {i}"))
            .bind(if bound { "active" } else { "unbound" })
            .bind(bound.then_some(1_000_000 + i))
            .bind(bound.then_some("private"))
            .bind(unit)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    for k in 0..packs {
        let period = format!("{}-{:02}", 2022 + k / 12, k % 12 + 1);
        let draft = loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Monthly,
            loa::packs::period::Period::parse(&period).ok(),
            &format!("Định hướng {period}"),
            "Nội dung",
        );
        let id = loa::packs::store::create(pool, config, &draft, Actor::Cli).await.unwrap();
        sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0, deadline = '2030-01-01', report_prompt = 'x' WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        let b = loa::delivery::broadcast::start(pool, id, Actor::Cli, 0).await.unwrap().unwrap();
        // the worker's outcome: 98 % delivered, the rest unreachable; then answers that vary by district
        sqlx::query("UPDATE deliveries SET state = CASE WHEN cell_id % 50 = 0 THEN 'failed' ELSE 'sent' END, sent_at = 1 WHERE broadcast_id = $1")
            .bind(b.broadcast_id)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late)
             SELECT $1, cell_id, id, 1, 'x', 2, (cell_id % 13 = 0) FROM deliveries
             WHERE broadcast_id = $2 AND state = 'sent' AND (cell_id * 7 + $1) % 100 < 60 + (cell_id % 8) * 5",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body, at)
             SELECT $1, cell_id, id, 1, 'x', '2023-10-05', 10, 'x', 3 FROM deliveries
             WHERE broadcast_id = $2 AND state = 'sent' AND (cell_id * 3 + $1) % 100 < 40",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(pool)
        .await
        .unwrap();
    }
    let units: i64 = sqlx::query_scalar("SELECT count(*) FROM units").fetch_one(pool).await.unwrap();
    Province { committees, units }
}

/// `n` situation reports from `since` to before `until`, from every third cell in turn: topics in
/// turn, one in twenty urgent, a third handled.
pub async fn situations(pool: &loa::db::DbPool, n: i64, cells: i64, since: i64, until: i64) {
    let situations = n;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO situation_reports (cell_id, unit_id, chat_id, user_id, user_name, topic, severity, place, body,
                                        status, routed, handled_note, handled_at, created_at)
         SELECT c.id, c.unit_id, c.id, 1, 'x',
                CASE n.i % 6 WHEN 0 THEN 'Kinh tế, đời sống' WHEN 1 THEN 'Đất đai' WHEN 2 THEN 'Tôn giáo, dân tộc'
                             WHEN 3 THEN 'Thực hiện chính sách' WHEN 4 THEN 'Thông tin xấu, độc trên mạng' ELSE 'Khác' END,
                CASE WHEN n.i % 20 = 0 THEN 'urgent' WHEN n.i % 20 < 4 THEN 'attention' ELSE 'normal' END,
                'Thôn', 'Nội dung báo cáo tình hình', CASE WHEN n.i % 3 = 0 THEN 'handled' ELSE 'new' END,
                CASE WHEN n.i % 20 = 0 THEN 'sent' ELSE 'inbox' END,
                CASE WHEN n.i % 3 = 0 THEN 'Đã xử lý' END, CASE WHEN n.i % 3 = 0 THEN $3 + n.i END,
                $2 + (n.i * 7919) % ($3 - $2)
         FROM n JOIN cells c ON c.id = 1 + (n.i * 3) % $4",
    )
    .bind(situations)
    .bind(since)
    .bind(until)
    .bind(cells)
    .execute(pool)
    .await
    .unwrap();
}
