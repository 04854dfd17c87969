//! Acknowledgements: a cell says it received a pack by pressing `✅ Đã nhận` (or by sending a
//! report). At most one per pack and cell; the first one counts, with who pressed and when, and is
//! late when it comes after the pack's deadline. It is written before anyone is told.

use crate::db::{DbConn, DbPool};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// A delivery a button or a report refers to: a pack's message to one cell.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub delivery_id: i64,
    pub pack_id: i64,
    pub cell_id: i64,
    /// The chat answering: the chat it was sent to, or (see [`target_in_chat`]) the cell's chat now.
    pub chat_id: i64,
    /// The chat the pack was sent to (the same, unless the group migrated or the cell moved).
    pub sent_chat_id: i64,
    /// The message with the buttons, in `sent_chat_id`.
    pub ack_message_id: Option<i64>,
    pub title: String,
    pub period: Option<String>,
    /// The pack's deadline (local date).
    pub deadline: Option<String>,
    pub report_prompt: Option<String>,
    pub sent_at: Option<i64>,
    /// The pack is a request for the cell's situation report: it is answered with that dialogue.
    #[sqlx(try_from = "crate::db::Flag")]
    pub situation: bool,
}

impl Target {
    pub fn deadline(&self) -> Option<NaiveDate> {
        self.deadline.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }

    /// Is `at` after the deadline (the end of its day, in `tz`)?
    pub fn is_late(&self, at: i64, tz: Tz) -> bool {
        self.deadline().is_some_and(|d| at >= end_of_day(d, tz))
    }

    pub fn period(&self) -> Option<crate::packs::period::Period> {
        self.period.as_deref().and_then(|p| crate::packs::period::Period::parse(p).ok())
    }
}

/// The first instant after local day `d`.
pub fn end_of_day(d: NaiveDate, tz: Tz) -> i64 {
    let next = d.succ_opt().unwrap_or(d).and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&next)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| Utc.from_utc_datetime(&next).timestamp())
}

/// The local date of `at`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// `sqlite`'s spelling of a statement or `postgres`'s, for the connection `conn`.
fn pg_or(conn: &crate::db::DbConn, sqlite: &'static str, postgres: &'static str) -> &'static str {
    match crate::db::Backend::of_conn(conn) {
        crate::db::Backend::Sqlite => sqlite,
        crate::db::Backend::Postgres => postgres,
    }
}

/// What a [`Target`] is read from: a delivery `d`, its broadcast `b`, pack `p` and cell `c`.
macro_rules! target_columns {
    () => {
        "d.id AS delivery_id, b.pack_id, d.cell_id, d.chat_id AS chat_id, d.chat_id AS sent_chat_id, d.ack_message_id,
         p.title, p.period, p.deadline, p.report_prompt, d.sent_at, p.purpose = 'situation' AS situation"
    };
}
macro_rules! target_joins {
    () => {
        "JOIN broadcasts b ON b.id = d.broadcast_id JOIN packs p ON p.id = b.pack_id JOIN cells c ON c.id = d.cell_id"
    };
}
const TARGET: &str = concat!("SELECT ", target_columns!(), " FROM deliveries d ", target_joins!());
/// The deliveries of a batch of presses, `[[delivery, chat], ...]` in `?1`, where `chat` holds
/// the cell now (as [`target_in_chat`]); the batch is the outer loop, each delivery found by its id.
const PRESSED: &str = concat!(
    "SELECT ",
    target_columns!(),
    ", c.chat_id AS pressed_in FROM json_each($1) j CROSS JOIN deliveries d ON d.id = j.value ->> '$[0]' ",
    target_joins!(),
    " WHERE c.chat_id = j.value ->> '$[1]' AND b.kind = 'pack' AND d.state IN ('sent', 'sending')"
);
/// [`PRESSED`] in PostgreSQL's spelling.
const PRESSED_PG: &str = concat!(
    "SELECT ",
    target_columns!(),
    ", c.chat_id AS pressed_in FROM jsonb_array_elements(CAST($1 AS jsonb)) j(value)
       JOIN deliveries d ON d.id = CAST(j.value ->> 0 AS BIGINT) ",
    target_joins!(),
    " WHERE c.chat_id = CAST(j.value ->> 1 AS BIGINT) AND b.kind = 'pack' AND d.state IN ('sent', 'sending')"
);

/// The pack delivery `delivery_id`, when its cell is bound to `chat_id` now, and so may be
/// answered from there. Only the chat that holds the cell acts for it: after a cell moves to a new
/// chat, the old one (a former secretary, a group taken over) can no longer press, report or have
/// documents resent for it. Anything else (another cell's button, a made-up number, a delivery not
/// sent) is `None`. A delivery still `sending` counts: its message is out, and only
/// writing that down is late (the database refusing writes for a while, say).
pub async fn target_in_chat(pool: &DbPool, delivery_id: i64, chat_id: i64) -> sqlx::Result<Option<Target>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TARGET} WHERE d.id = $1 AND c.chat_id = $2 AND b.kind = 'pack' AND d.state IN ('sent', 'sending')"
    )))
    .bind(delivery_id)
    .bind(chat_id)
    .fetch_optional(pool)
    .await
    .map(|t: Option<Target>| t.map(|t| Target { chat_id, ..t }))
}

/// The packs sent to `cell_id`, newest first (at most `limit`).
pub async fn sent_to_cell(pool: &DbPool, cell_id: i64, limit: i64) -> sqlx::Result<Vec<Target>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TARGET} WHERE d.cell_id = $1 AND b.kind = 'pack' AND d.state = 'sent' ORDER BY d.sent_at DESC, d.id DESC LIMIT $2"
    )))
    .bind(cell_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// An acknowledgement as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ack {
    pub user_id: i64,
    pub user_name: String,
    pub at: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub late: bool,
    pub via: String,
}

/// What pressing the button did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This press was the cell's acknowledgement.
    Recorded(Ack),
    /// The cell had acknowledged already: nothing changed.
    Already(Ack),
}

/// The cell's acknowledgement of the pack, if any.
pub async fn of(conn: &mut DbConn, pack_id: i64, cell_id: i64) -> sqlx::Result<Option<Ack>> {
    sqlx::query_as("SELECT user_id, user_name, at, late, via FROM acks WHERE pack_id = $1 AND cell_id = $2")
        .bind(pack_id)
        .bind(cell_id)
        .fetch_optional(conn)
        .await
}

/// Records the cell's acknowledgement of the target's pack inside `conn`'s transaction, unless
/// there is one already. `via` is "button" or "report".
pub async fn record_in(
    conn: &mut DbConn,
    target: &Target,
    user_id: i64,
    user_name: &str,
    at: i64,
    tz: Tz,
    via: &str,
) -> sqlx::Result<Outcome> {
    let late = target.is_late(at, tz);
    let inserted = sqlx::query(
        "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late, via)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (pack_id, cell_id) DO NOTHING",
    )
    .bind(target.pack_id)
    .bind(target.cell_id)
    .bind(target.delivery_id)
    .bind(user_id)
    .bind(user_name)
    .bind(at)
    .bind(i64::from(late))
    .bind(via)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let ack = of(conn, target.pack_id, target.cell_id).await?.expect("an ack was just written or found");
    Ok(if inserted == 1 { Outcome::Recorded(ack) } else { Outcome::Already(ack) })
}

/// Records an acknowledgement by button. Presses that come together are written together
/// ([`crate::db::GroupWrite`]): the first to find no write under way takes every press waiting
/// (its own among them) and writes them in one transaction, one statement for all; the others hear
/// how theirs went. Under a flood of presses this is a commit per few hundred instead of one each,
/// and a lone press is written at once. As before, nothing is answered until it is written.
pub async fn acknowledge(
    pool: &DbPool,
    target: &Target,
    user_id: i64,
    user_name: &str,
    at: i64,
    tz: Tz,
) -> anyhow::Result<Outcome> {
    let pressed = Pressed::Target(Box::new(target.clone()));
    let written = write_press(pool, Press { pressed, user_id, user_name: user_name.to_string(), at, tz }).await?;
    Ok(written.expect("a press on a known target is written").1)
}

/// A press of `✅` on delivery `delivery_id`'s message in `chat_id`: looked up as
/// [`target_in_chat`] does and, when the chat may press for that delivery, recorded as
/// [`acknowledge`] does, both in the same batched transaction (a flood of presses reads and writes
/// once per batch, not once per press). `None`: the press is not this chat's to make.
pub async fn press(
    pool: &DbPool,
    delivery_id: i64,
    chat_id: i64,
    user_id: i64,
    user_name: &str,
    at: i64,
    tz: Tz,
) -> anyhow::Result<Option<(Target, Outcome)>> {
    let pressed = Pressed::Button { delivery_id, chat_id };
    write_press(pool, Press { pressed, user_id, user_name: user_name.to_string(), at, tz }).await
}

async fn write_press(pool: &DbPool, press: Press) -> anyhow::Result<Option<(Target, Outcome)>> {
    ack_log(pool)
        .submit(press, None, |presses| async move { write_presses(pool, &presses).await.map_err(|e| format!("{e:#}")) })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A press waiting to be written.
struct Press {
    pressed: Pressed,
    user_id: i64,
    user_name: String,
    at: i64,
    tz: Tz,
}

/// What a press was on.
enum Pressed {
    /// A delivery already looked up.
    Target(Box<Target>),
    /// A button in a chat, to be looked up.
    Button { delivery_id: i64, chat_id: i64 },
}

/// The presses waiting, and the turn to write them, of one database.
type AckLog = crate::db::GroupWrite<Press, Option<(Target, Outcome)>>;

/// Most presses written by one transaction.
const PRESSES_PER_WRITE: usize = 1000;

fn ack_log(pool: &DbPool) -> std::sync::Arc<AckLog> {
    static LOGS: crate::db::PerDatabase<AckLog> = std::sync::OnceLock::new();
    crate::db::per_database(&LOGS, pool, || AckLog::new(PRESSES_PER_WRITE))
}

/// Writes a batch of presses in one transaction: the buttons' deliveries looked up in one
/// statement, the first press of each cell not yet acknowledged inserted in one more, the
/// acknowledgements already there read for the others. Results in the presses' order.
async fn write_presses(pool: &DbPool, presses: &[Press]) -> anyhow::Result<Vec<Option<(Target, Outcome)>>> {
    use std::collections::{HashMap, HashSet};
    let mut tx = crate::db::begin_write(pool).await?;
    // the deliveries the buttons were pressed on, where the pressing chat holds the cell now
    let buttons: Vec<serde_json::Value> = presses
        .iter()
        .filter_map(|p| match p.pressed {
            Pressed::Button { delivery_id, chat_id } => Some(serde_json::json!([delivery_id, chat_id])),
            Pressed::Target(_) => None,
        })
        .collect();
    let mut looked_up: HashMap<(i64, i64), Target> = HashMap::new();
    if !buttons.is_empty() {
        #[derive(sqlx::FromRow)]
        struct Found {
            #[sqlx(flatten)]
            target: Target,
            pressed_in: i64,
        }
        let found: Vec<Found> = sqlx::query_as(pg_or(&tx, PRESSED, PRESSED_PG))
            .bind(serde_json::Value::Array(buttons).to_string())
            .fetch_all(&mut *tx)
            .await?;
        for Found { target, pressed_in } in found {
            looked_up.insert((target.delivery_id, pressed_in), Target { chat_id: pressed_in, ..target });
        }
    }
    let targets: Vec<Option<Target>> = presses
        .iter()
        .map(|p| match &p.pressed {
            Pressed::Target(t) => Some(t.as_ref().clone()),
            Pressed::Button { delivery_id, chat_id } => looked_up.get(&(*delivery_id, *chat_id)).cloned(),
        })
        .collect();
    let key = |t: &Target| (t.pack_id, t.cell_id);
    let mut first: HashMap<(i64, i64), usize> = HashMap::new();
    for (i, t) in targets.iter().enumerate() {
        if let Some(t) = t {
            first.entry(key(t)).or_insert(i);
        }
    }
    let acks: Vec<Option<Ack>> = presses
        .iter()
        .zip(&targets)
        .map(|(p, t)| {
            t.as_ref().map(|t| Ack {
                user_id: p.user_id,
                user_name: p.user_name.clone(),
                at: p.at,
                late: t.is_late(p.at, p.tz),
                via: "button".into(),
            })
        })
        .collect();
    let rows: Vec<serde_json::Value> = targets
        .iter()
        .zip(&acks)
        .enumerate()
        .filter_map(|(i, (t, a))| Some((i, t.as_ref()?, a.as_ref()?)))
        .filter(|(i, t, _)| first[&key(t)] == *i)
        .map(|(_, t, a)| serde_json::json!([t.pack_id, t.cell_id, t.delivery_id, a.user_id, a.user_name, a.at, a.late]))
        .collect();
    let mut inserted: HashSet<(i64, i64)> = HashSet::new();
    if !rows.is_empty() {
        let rows: Vec<(i64, i64)> = sqlx::query_as(pg_or(
            &tx,
            "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late, via)
             SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]',
                    value ->> '$[5]', value ->> '$[6]', 'button'
             FROM json_each($1) WHERE true
             ON CONFLICT (pack_id, cell_id) DO NOTHING
             RETURNING pack_id, cell_id",
            "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late, via)
             SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT), CAST(value ->> 2 AS BIGINT),
                    CAST(value ->> 3 AS BIGINT), value ->> 4, CAST(value ->> 5 AS BIGINT),
                    CASE WHEN CAST(value -> 6 AS BOOLEAN) THEN 1 ELSE 0 END, 'button'
             FROM jsonb_array_elements(CAST($1 AS jsonb)) AS j(value) WHERE true
             ON CONFLICT (pack_id, cell_id) DO NOTHING
             RETURNING pack_id, cell_id",
        ))
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&mut *tx)
        .await?;
        inserted.extend(rows);
    }
    let recorded = |i: usize, t: &Target| first[&key(t)] == i && inserted.contains(&key(t));
    // the acknowledgements found in place of the others
    let others: Vec<serde_json::Value> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_ref().filter(|t| !recorded(i, t)))
        .map(|t| serde_json::json!([t.pack_id, t.cell_id]))
        .collect();
    let mut found: HashMap<(i64, i64), Ack> = HashMap::new();
    if !others.is_empty() {
        let rows: Vec<(i64, i64, i64, String, i64, crate::db::Flag, String)> = sqlx::query_as(
            pg_or(
                &tx,
                "SELECT a.pack_id, a.cell_id, a.user_id, a.user_name, a.at, a.late, a.via
                 FROM json_each($1) j JOIN acks a ON a.pack_id = j.value ->> '$[0]' AND a.cell_id = j.value ->> '$[1]'",
                "SELECT a.pack_id, a.cell_id, a.user_id, a.user_name, a.at, a.late, a.via
                 FROM jsonb_array_elements(CAST($1 AS jsonb)) j(value)
                 JOIN acks a ON a.pack_id = CAST(j.value ->> 0 AS BIGINT) AND a.cell_id = CAST(j.value ->> 1 AS BIGINT)",
            ),
        )
        .bind(serde_json::Value::Array(others).to_string())
        .fetch_all(&mut *tx)
        .await?;
        for (pack, cell, user_id, user_name, at, late, via) in rows {
            found.insert((pack, cell), Ack { user_id, user_name, at, late: late.0, via });
        }
    }
    tx.commit().await?;
    // each press is a write taken (the health check counts them)
    crate::ops::health(pool).writes_ok(presses.len() as u64 - 1);
    targets
        .into_iter()
        .zip(acks)
        .enumerate()
        .map(|(i, (t, a))| {
            let (Some(t), Some(a)) = (t, a) else { return Ok(None) };
            let outcome = if recorded(i, &t) {
                Outcome::Recorded(a)
            } else {
                let ack = found.get(&key(&t)).cloned();
                Outcome::Already(
                    ack.ok_or_else(|| anyhow::anyhow!("the acknowledgement of cell {} vanished", t.cell_id))?,
                )
            };
            Ok(Some((t, outcome)))
        })
        .collect()
}

/// A person's name as Telegram gives it: first and last name, else the username, else the id.
pub fn display_name(user: &teloxide::types::User) -> String {
    let full = crate::text::clean_name(&user.full_name());
    if !full.is_empty() {
        return full.chars().take(128).collect();
    }
    user.username.clone().map(|u| format!("@{u}")).unwrap_or_else(|| user.id.0.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_day_ends_at_local_midnight() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let d = NaiveDate::from_ymd_opt(2023, 10, 15).unwrap();
        // 2023-10-16 00:00 +07:00 = 2023-10-15 17:00 UTC
        assert_eq!(end_of_day(d, tz), Utc.with_ymd_and_hms(2023, 10, 15, 17, 0, 0).unwrap().timestamp());
        let t = Target {
            delivery_id: 1,
            pack_id: 1,
            cell_id: 1,
            chat_id: 1,
            sent_chat_id: 1,
            ack_message_id: None,
            title: String::new(),
            period: None,
            deadline: Some("2023-10-15".into()),
            report_prompt: None,
            sent_at: None,
            situation: false,
        };
        assert!(!t.is_late(end_of_day(d, tz) - 1, tz));
        assert!(t.is_late(end_of_day(d, tz), tz));
    }

    #[tokio::test]
    async fn presses_written_together_count_the_first_of_each_cell_once() {
        use crate::audit::Actor;
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/loa.db", dir.path().display());
        let config = crate::config::Config::for_simulator(&db, None, None).unwrap();
        let pool = crate::db::open(&db).await.unwrap();
        let rows = crate::cells::import::parse_csv(
            "code,name,district\nA,Chi bộ A,X\nB,Chi bộ B,X\nC,Chi bộ C,X\n".as_bytes(),
        )
        .unwrap();
        crate::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await.unwrap();
        sqlx::query("UPDATE cells SET chat_id = 100 + id, chat_type = 'private', status = 'active'")
            .execute(&pool)
            .await
            .unwrap();
        let draft =
            crate::packs::folder::PackDraft::plain(crate::packs::period::PackKind::Urgent, None, "Khẩn", "Nội dung");
        let pack = crate::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
        crate::packs::store::schedule(&pool, &config, pack, crate::packs::store::When::Now, Utc::now(), Actor::Cli)
            .await
            .unwrap()
            .unwrap();
        crate::delivery::broadcast::start(&pool, pack, Actor::Cli, crate::dates::now()).await.unwrap().unwrap();
        sqlx::query("UPDATE deliveries SET state = 'sent'").execute(&pool).await.unwrap();
        let mut targets = Vec::new();
        for code in ["A", "B", "C"] {
            let (delivery, chat): (i64, i64) = sqlx::query_as(
                "SELECT d.id, d.chat_id FROM deliveries d JOIN cells c ON c.id = d.cell_id WHERE c.code = $1",
            )
            .bind(code)
            .fetch_one(&pool)
            .await
            .unwrap();
            targets.push(target_in_chat(&pool, delivery, chat).await.unwrap().unwrap());
        }
        let tz = config.timezone;
        // A was acknowledged earlier, by a press of its own
        let earlier = acknowledge(&pool, &targets[0], 1, "Một", 1000, tz).await.unwrap();
        assert!(matches!(earlier, Outcome::Recorded(ref a) if a.user_id == 1), "{earlier:?}");
        // then six presses in one write: A again, B twice at once (looked up from its button, and
        // known), C from its button; C's button pressed in A's chat, and a made-up delivery: refused
        let press = |pressed: Pressed, user: i64| Press {
            pressed,
            user_id: user,
            user_name: format!("U{user}"),
            at: 2000 + user,
            tz,
        };
        let button = |t: &Target, chat: i64| Pressed::Button { delivery_id: t.delivery_id, chat_id: chat };
        let known = |t: &Target| Pressed::Target(Box::new(t.clone()));
        let presses = [
            press(known(&targets[0]), 2),
            press(button(&targets[1], targets[1].chat_id), 3),
            press(known(&targets[1]), 4),
            press(button(&targets[2], targets[2].chat_id), 5),
            press(button(&targets[2], targets[0].chat_id), 6),
            press(Pressed::Button { delivery_id: 999_999, chat_id: targets[0].chat_id }, 7),
        ];
        let out = write_presses(&pool, &presses).await.unwrap();
        let who = |o: &Option<(Target, Outcome)>| match o {
            Some((t, Outcome::Recorded(a))) => ("recorded", t.cell_id, a.user_id),
            Some((t, Outcome::Already(a))) => ("already", t.cell_id, a.user_id),
            None => ("refused", 0, 0),
        };
        let cell = |i: usize| targets[i].cell_id;
        assert_eq!(
            out.iter().map(who).collect::<Vec<_>>(),
            [
                ("already", cell(0), 1),
                ("recorded", cell(1), 3),
                ("already", cell(1), 3),
                ("recorded", cell(2), 5),
                ("refused", 0, 0),
                ("refused", 0, 0)
            ]
        );
        // a looked-up target answers for the chat that pressed, as target_in_chat does
        let (looked_up, _) = out[3].as_ref().unwrap();
        assert_eq!(looked_up.chat_id, targets[2].chat_id);
        assert_eq!(looked_up.pack_id, pack);
        let stored: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT user_id, user_name, at FROM acks ORDER BY user_id").fetch_all(&pool).await.unwrap();
        assert_eq!(stored, [(1, "Một".to_string(), 1000), (3, "U3".into(), 2003), (5, "U5".into(), 2005)]);
    }
}
