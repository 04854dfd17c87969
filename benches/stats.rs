//! `cargo bench --bench stats`: how long the board's questions take on a big province.
//!
//! A province in today's shape, grown as a tree: the province's committee, 100 committees directly
//! under it, 29 sub-committees under each (3,000 units in all), and 100,000 cells under the
//! sub-committees (one in twenty straight under a committee); 2 % of the cells are not connected.
//! 24 packs are sent to all of them (2.4 million deliveries, written through the real broadcast
//! start and the triggers that keep the running totals), most delivered, acknowledged and
//! reported. Then, each the median of several runs: one pack's figures at level 1, at level 2 (all
//! 3,000 units), at level 2 within one committee (an officer's default view), the trend over the
//! last six periods at level 1, and the pending list of one committee; and once, the .xlsx export
//! of the pack. Then 30,000 situation reports over the quarter (a third of the cells speaking up,
//! one in twenty urgent): `/stats tinhhinh` by topic and by unit for the province and for one
//! committee, and the quarterly summary (`loa report quarter`) gathered and written. One JSON
//! line. `-- --cells N --packs P --situations S` to change the size.

use std::time::Instant;

use loa::audit::Actor;
use loa::stats::{self, View};
use serde_json::json;

/// Committees directly under the province, and sub-committees under each.
const COMMITTEES: i64 = 100;
const SUBS: i64 = 29;

fn median_ms(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2] * 100.0).round() / 100.0
}

async fn time<F: AsyncFnMut()>(mut f: F) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        f().await;
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median_ms(runs)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: i64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let cells = arg("--cells", 100_000);
    let packs = arg("--packs", 24);
    let situations = arg("--situations", 30_000);

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    let setup = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    let root: i64 =
        sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL").fetch_one(&mut *tx).await.unwrap();
    let mut committees = Vec::new();
    let mut subs = Vec::new();
    for c in 0..COMMITTEES {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at) VALUES (?, ?, 'xa', ?, 0, 0) RETURNING id",
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
                "INSERT INTO units (code, name, kind, parent_id, created_at, updated_at) VALUES (?, ?, 'bo-phan', ?, 0, 0) RETURNING id",
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
        sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, unit_id, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?, 0, 0)")
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
    let units: i64 = sqlx::query_scalar("SELECT count(*) FROM units").fetch_one(&pool).await.unwrap();
    for k in 0..packs {
        let period = format!("{}-{:02}", 2022 + k / 12, k % 12 + 1);
        let draft = loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Monthly,
            loa::packs::period::Period::parse(&period).ok(),
            &format!("Định hướng {period}"),
            "Nội dung",
        );
        let id = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
        sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0, deadline = '2030-01-01', report_prompt = 'x' WHERE id = ?")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        let b = loa::delivery::broadcast::start(&pool, id, Actor::Cli, 0).await.unwrap().unwrap();
        // the worker's outcome: 98 % delivered, the rest unreachable; then answers that vary by district
        sqlx::query("UPDATE deliveries SET state = CASE WHEN cell_id % 50 = 0 THEN 'failed' ELSE 'sent' END, sent_at = 1 WHERE broadcast_id = ?")
            .bind(b.broadcast_id)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late)
             SELECT ?1, cell_id, id, 1, 'x', 2, (cell_id % 13 = 0) FROM deliveries
             WHERE broadcast_id = ?2 AND state = 'sent' AND (cell_id * 7 + ?1) % 100 < 60 + (cell_id % 8) * 5",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body, at)
             SELECT ?1, cell_id, id, 1, 'x', '2023-10-05', 10, 'x', 3 FROM deliveries
             WHERE broadcast_id = ?2 AND state = 'sent' AND (cell_id * 3 + ?1) % 100 < 40",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let setup_s = setup.elapsed().as_secs_f64();
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries").fetch_one(&pool).await.unwrap();
    let last = stats::latest_pack(&pool).await.unwrap().unwrap();

    let level_1 = time(async || {
        let s = stats::pack(&pool, last, View::at(1)).await.unwrap().unwrap();
        assert_eq!(s.groups.len(), COMMITTEES as usize);
    })
    .await;
    let level_2 = time(async || {
        let s = stats::pack(&pool, last, View::at(2)).await.unwrap().unwrap();
        assert_eq!(
            s.groups.len(),
            (COMMITTEES * (SUBS + 1)) as usize,
            "sub-committees and the cells straight under a committee"
        );
    })
    .await;
    let one_committee = time(async || {
        let s = stats::pack(&pool, last, View::below(committees[4])).await.unwrap().unwrap();
        assert_eq!(s.groups.len(), SUBS as usize + 1);
    })
    .await;
    let trend = time(async || {
        let t = stats::trend(&pool, None, 6, View::PROVINCE).await.unwrap();
        assert_eq!(t.packs.len(), 6.min(packs as usize));
    })
    .await;
    let pending = time(async || {
        stats::pending(&pool, last, Some(committees[4])).await.unwrap();
    })
    .await;
    let t = Instant::now();
    let xlsx = loa::export::xlsx_bytes(&pool, &config, last, View::PROVINCE).await.unwrap();
    let export_ms = (t.elapsed().as_secs_f64() * 1000.0).round();

    // situation reports: the packs went out at the epoch, in the first quarter of 1970 (local
    // time); the reports spread over that quarter, from every third cell in turn
    let quarter = loa::packs::period::Period::Quarter { year: 1970, quarter: 1 };
    let (since, until) = (
        loa::dates::start_of(quarter.first_day(), config.timezone),
        loa::dates::start_of(quarter.next_day(), config.timezone),
    );
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO situation_reports (cell_id, unit_id, chat_id, user_id, user_name, topic, severity, place, body,
                                        status, routed, handled_note, handled_at, created_at)
         SELECT c.id, c.unit_id, c.id, 1, 'x',
                CASE n.i % 6 WHEN 0 THEN 'Kinh tế, đời sống' WHEN 1 THEN 'Đất đai' WHEN 2 THEN 'Tôn giáo, dân tộc'
                             WHEN 3 THEN 'Thực hiện chính sách' WHEN 4 THEN 'Thông tin xấu, độc trên mạng' ELSE 'Khác' END,
                CASE WHEN n.i % 20 = 0 THEN 'urgent' WHEN n.i % 20 < 4 THEN 'attention' ELSE 'normal' END,
                'Thôn', 'Nội dung báo cáo tình hình', CASE WHEN n.i % 3 = 0 THEN 'handled' ELSE 'new' END,
                CASE WHEN n.i % 20 = 0 THEN 'sent' ELSE 'inbox' END,
                CASE WHEN n.i % 3 = 0 THEN 'Đã xử lý' END, CASE WHEN n.i % 3 = 0 THEN ?3 + n.i END,
                ?2 + (n.i * 7919) % (?3 - ?2)
         FROM n JOIN cells c ON c.id = 1 + (n.i * 3) % ?4",
    )
    .bind(situations)
    .bind(since)
    .bind(until)
    .bind(cells)
    .execute(&pool)
    .await
    .unwrap();
    let sit_topics = time(async || {
        let t = loa::situations::by_topic(&pool, None, since, until).await.unwrap();
        assert_eq!(t.len(), 6);
    })
    .await;
    let sit_units = time(async || {
        let u = loa::situations::by_unit(&pool, None, since, until).await.unwrap();
        assert_eq!(u.len(), COMMITTEES as usize);
    })
    .await;
    let sit_one_committee = time(async || {
        loa::situations::by_topic(&pool, Some(committees[4]), since, until).await.unwrap();
        loa::situations::by_unit(&pool, Some(committees[4]), since, until).await.unwrap();
    })
    .await;
    let t = Instant::now();
    let summary = loa::quarter::gather(
        &pool,
        &config.organisation.board,
        &config.organisation,
        config.timezone,
        quarter,
        None,
        0,
    )
    .await
    .unwrap();
    let gather_ms = (t.elapsed().as_secs_f64() * 1000.0).round();
    assert_eq!(summary.packs.len(), packs as usize);
    let t = Instant::now();
    let catalog = loa::i18n::Catalog::new();
    let book = summary.xlsx(&catalog, loa::i18n::Locale::Vi).unwrap();
    let page = summary.html(&catalog, loa::i18n::Locale::Vi);
    let write_ms = (t.elapsed().as_secs_f64() * 1000.0).round();
    println!(
        "{}",
        json!({
            "cells": cells,
            "units": units,
            "packs": packs,
            "deliveries": deliveries,
            "setup_s": (setup_s * 10.0).round() / 10.0,
            "pack_level_1_ms": level_1,
            "pack_level_2_ms": level_2,
            "pack_one_committee_ms": one_committee,
            "trend_level_1_ms": trend,
            "pending_one_committee_ms": pending,
            "export_xlsx_all_cells_ms": export_ms,
            "export_xlsx_mb": ((xlsx.len() as f64) / 1e5).round() / 10.0,
            "situations": situations,
            "situations_by_topic_ms": sit_topics,
            "situations_by_unit_ms": sit_units,
            "situations_one_committee_ms": sit_one_committee,
            "quarter_gather_ms": gather_ms,
            "quarter_write_ms": write_ms,
            "quarter_urgent": summary.urgent.len(),
            "quarter_xlsx_kb": book.len() / 1024,
            "quarter_html_kb": page.len() / 1024,
            "target_ms": 20,
        })
    );
}
