//! The outbox (`deliveries`): what the worker claims, and every change of a delivery's state,
//! written in one place. A delivery's send ends in an [`Outcome`]; [`judge`] is the rule from a
//! failed send's verdict and the attempts so far to that outcome; [`Outbox::record`] writes it.
//!
//! The writes a crash must not lose (documents out, message out, a delivery put back) go through
//! `Outbox::until_written` and its write gate: while the database refuses writes (a full disk, a
//! file-size limit, a lock held too long) one delivery at a time asks it again and the others wait
//! to hear that it takes writes again.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::time::Duration;

use crate::db::DbPool;
use tokio_util::sync::CancellationToken;

use crate::lifecycle::{BroadcastKind, BroadcastState, DeliveryState, PackStatus};
use crate::telegram::failure::Verdict;

/// A delivery claimed for sending (its row is `sending`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub broadcast_id: i64,
    pub cell_id: i64,
    pub chat_id: i64,
    /// 0: nothing out yet; 1: the documents are out; 2: the message is out.
    pub step: i64,
    pub attempts: i64,
    /// The chat's `/lang` choice when claimed, if it made one (read with the claim: no query per
    /// delivery).
    pub locale: Option<String>,
}

/// How one send of a delivery ended, and so what becomes of the delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The documents are out (these message ids); the message goes next.
    DocumentsSent(Vec<i64>),
    /// The message is out (its id carries the buttons): the delivery is done.
    Sent(i64),
    /// Telegram said 429: every send pauses this long, then the same send goes again.
    SlowDown(Duration),
    /// The group became this supergroup: the cell and the delivery follow it, the send goes again.
    Migrated(i64),
    /// A passing failure: tried again after `after` (attempts counted so far: `attempts`).
    RetryAt { attempts: i64, after: Duration, why: String },
    /// A passing failure on the last allowed attempt: the delivery fails.
    GaveUp { attempts: i64, why: String },
    /// The chat is gone for good: the delivery fails and the cell is marked unreachable.
    Unreachable(String),
    /// Telegram refused the pack itself: the delivery fails and the broadcast stops.
    Refused(String),
    /// Not sent now (its broadcast is paused, or Loa is stopping): back to `pending`.
    Paused,
    /// Not sent at all: its broadcast was cancelled.
    Cancelled,
}

impl Outcome {
    /// Whether the delivery is finished with for now (no further send in this claim).
    pub fn ends_claim(&self) -> bool {
        !matches!(self, Outcome::DocumentsSent(_) | Outcome::SlowDown(_) | Outcome::Migrated(_))
    }
}

/// The rule from a failed send to its outcome: `attempts` is what the delivery had counted before
/// this send, `max_attempts` the configured ceiling, `backoff` the wait before a given attempt.
pub fn judge(verdict: Verdict, attempts: i64, max_attempts: u32, backoff: impl Fn(i64) -> Duration) -> Outcome {
    match verdict {
        Verdict::SlowDown(wait) => Outcome::SlowDown(wait),
        Verdict::Migrated(chat) => Outcome::Migrated(chat),
        Verdict::Unreachable(reason) => Outcome::Unreachable(reason),
        Verdict::Content(why) => Outcome::Refused(why),
        Verdict::Passing(why) | Verdict::Transient(why) => {
            let attempts = attempts + 1;
            if attempts >= i64::from(max_attempts) {
                Outcome::GaveUp { attempts, why }
            } else {
                Outcome::RetryAt { attempts, after: backoff(attempts), why }
            }
        }
    }
}

/// Exponential backoff with jitter: `base` x 2^(attempts-1), +-50 %, at most an hour.
pub fn backoff(base: Duration, attempts: i64, jitter: f64) -> Duration {
    let exp = base.as_secs_f64() * 2f64.powi((attempts - 1).clamp(0, 20) as i32);
    Duration::from_secs_f64((exp * jitter.clamp(0.5, 1.5)).min(3600.0))
}

/// The pending deliveries of running broadcasts, as a FROM ... WHERE for the read before a claim
/// (when is the next due?), and [`DUE`], those due now (`$1`: now), for the claim. The literals stay
/// in the text, so that the database reads them through the index of the pending deliveries
/// (`deliveries_due`, on next_attempt_at where the state is pending): a bound state would not
/// tell it that the index holds them all.
macro_rules! pending {
    () => {
        "FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE d.state = 'pending' AND b.state = 'running'"
    };
}
const PENDING: &str = pending!();
/// The pending deliveries due by `$1`.
const DUE: &str = concat!(pending!(), " AND d.next_attempt_at <= $1");

/// The outbox's reads and writes.
pub struct Outbox {
    pool: DbPool,
    gate: WriteGate,
    sends: std::sync::Arc<SendLog>,
    /// When the next pending delivery of a running broadcast is due (unix seconds; `i64::MAX`
    /// for none), as the last [`Outbox::claim`] read it.
    next_due: AtomicI64,
    /// The database's health marks (every write taken or refused), found once.
    health: std::sync::Arc<crate::ops::Health>,
}

/// A delivery in flight, counted while it lives ([`Outbox::in_flight`]).
pub struct InFlight {
    _counted: crate::db::Enlisted<(i64, Out), ()>,
}

/// What a send put out, to be written down before the delivery's next send.
#[derive(Debug)]
enum Out {
    /// The documents (these message ids).
    Documents(Vec<i64>),
    /// The message with the buttons.
    Message(i64),
}

/// The sends to write down, many in one statement ([`crate::db::GroupWrite`]): a delivery whose
/// send has ended adds its row and waits; the first to find no write under way waits up to
/// [`SEND_LOG_LINGER`] (less when every delivery in flight is already waiting) and writes every
/// row waiting at once. At 1,000 messages a second this is about ten writes a second instead of a
/// thousand, each of them a hand-off to SQLite's thread and a commit; and each delivery still
/// waits for its own row before its next send, so a crash repeats no more than the sends in
/// flight (rows `sending`).
type SendLog = crate::db::GroupWrite<(i64, Out), ()>;

/// The documents of a group write, a JSON array of `{id, docs}` in `$1`: the delivery's step and
/// the documents' ids. The state is not named, so that SQLite leaves the indexes and the running
/// totals that follow it alone (an UPDATE that names a column rewrites its index entries and
/// fires its triggers even when the value stays).
const RECORD_DOCUMENTS: &str = "UPDATE deliveries SET step = 1, message_ids = j.docs
     FROM (SELECT value ->> '$.id' AS id, value ->> '$.docs' AS docs FROM json_each($1)) AS j
     WHERE deliveries.id = j.id";
/// [`RECORD_DOCUMENTS`] in PostgreSQL's spelling.
const RECORD_DOCUMENTS_PG: &str = "UPDATE deliveries SET step = 1, message_ids = j.docs
     FROM (SELECT CAST(value ->> 'id' AS BIGINT) AS id, value ->> 'docs' AS docs
           FROM jsonb_array_elements(CAST($1 AS jsonb)) AS x(value)) AS j
     WHERE deliveries.id = j.id";
/// The messages of a group write, a JSON array of `{id, m}` in `$3`: the delivery is sent (`$1`)
/// at `$2`, the message with the buttons is `m`, appended to the documents' ids.
const RECORD_MESSAGES: &str = "UPDATE deliveries SET state = $1, step = 2, ack_message_id = j.m, sent_at = $2,
         error = NULL, message_ids = json_insert(COALESCE(message_ids, '[]'), '$[#]', j.m)
     FROM (SELECT value ->> '$.id' AS id, value ->> '$.m' AS m FROM json_each($3)) AS j
     WHERE deliveries.id = j.id";
/// [`RECORD_MESSAGES`] in PostgreSQL's spelling.
const RECORD_MESSAGES_PG: &str = "UPDATE deliveries SET state = $1, step = 2, ack_message_id = j.m, sent_at = $2,
         error = NULL, message_ids = CAST(CAST(COALESCE(message_ids, '[]') AS jsonb) || to_jsonb(j.m) AS TEXT)
     FROM (SELECT CAST(value ->> 'id' AS BIGINT) AS id, CAST(value ->> 'm' AS BIGINT) AS m
           FROM jsonb_array_elements(CAST($3 AS jsonb)) AS x(value)) AS j
     WHERE deliveries.id = j.id";

/// Most rows written by one statement (SQLite reads them from one JSON parameter).
const SENDS_PER_WRITE: usize = 2048;

/// How long the delivery that writes waits for others' sends to end before writing them all: at
/// 1,000 messages a second, about a hundred rows to a write. A delivery waits a second between
/// its documents and its message anyway (one message a second into a chat), and once every
/// delivery in flight is waiting for the write (the last of a broadcast) it goes at once.
/// Measured at 1,000 messages a second, side by side: 20 ms -> 100 ms took a tenth off the CPU
/// per message; 250 ms little more.
const SEND_LOG_LINGER: Duration = Duration::from_millis(100);

/// While the database refuses writes, one delivery at a time asks it again and the others wait to
/// hear that it takes writes again: eighty deliveries each knocking at a failing database would
/// keep the write turn from everyone else (a member's acknowledgement waits for it too), and each
/// refused write costs SQLite tens of milliseconds.
#[derive(Default)]
struct WriteGate {
    refusing: AtomicBool,
    probe: tokio::sync::Mutex<()>,
    recovered: tokio::sync::Notify,
}

impl Outbox {
    pub fn new(pool: DbPool) -> Outbox {
        Outbox {
            health: crate::ops::health(&pool),
            pool,
            gate: WriteGate::default(),
            sends: std::sync::Arc::new(SendLog::new(SENDS_PER_WRITE)),
            next_due: AtomicI64::new(0),
        }
    }

    /// Rows a crash left `sending` go back to `pending`: their send may be repeated once.
    pub async fn recover(&self) -> sqlx::Result<u64> {
        // read through the index of the open deliveries (its condition is in the text word for
        // word), not the whole table
        let r = sqlx::query(
            "UPDATE deliveries SET state = 'pending' WHERE state IN ('pending', 'sending') AND state = 'sending'",
        )
        .execute(&self.pool)
        .await?;
        if r.rows_affected() > 0 {
            tracing::warn!(rows = r.rows_affected(), "deliveries in flight at the last stop are sent again");
        }
        Ok(r.rows_affected())
    }

    /// Claims up to `limit` due deliveries of running broadcasts, oldest due first.
    pub async fn claim(&self, limit: i64) -> sqlx::Result<Vec<Claimed>> {
        // an idle worker asks every few seconds: a read says when nothing is due (and when the
        // next is), without the write lock an UPDATE takes even when it changes nothing
        let now = crate::dates::now();
        let next: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT d.next_attempt_at {PENDING} ORDER BY d.next_attempt_at LIMIT 1"
        )))
        .fetch_optional(&self.pool)
        .await?;
        self.next_due.store(next.unwrap_or(i64::MAX), Relaxed);
        if next.is_none_or(|t| t > now) {
            return Ok(Vec::new());
        }
        // on PostgreSQL another instance may be claiming at the same moment: rows it holds are
        // passed over, not waited for (nor claimed twice)
        let skip_locked = crate::db::pick(&self.pool, "", "FOR UPDATE OF d SKIP LOCKED");
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET state = 'sending'
             WHERE id IN (SELECT d.id {DUE} ORDER BY d.next_attempt_at, d.id LIMIT $2 {skip_locked})
             RETURNING id, broadcast_id, cell_id, chat_id, step, attempts,
                       (SELECT locale FROM chat_prefs p WHERE p.chat_id = deliveries.chat_id) AS locale"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// When the next pending delivery is due, as the last claim saw (unix seconds; `None`: none).
    pub fn next_due(&self) -> Option<i64> {
        Some(self.next_due.load(Relaxed)).filter(|t| *t != i64::MAX)
    }

    /// Marks broadcasts with nothing left to send as done, and, when a pack's own broadcast is
    /// done, the pack as sent (a reminder, a resend or an answer finishing says nothing of the
    /// pack's own sending).
    pub async fn finish_broadcasts(&self) -> anyhow::Result<()> {
        // an idle worker asks this every few seconds: a read says when there is nothing to close,
        // without taking the write lock
        let running: crate::db::Flag = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM broadcasts WHERE state = $1)")
            .bind(BroadcastState::Running)
            .fetch_one(&self.pool)
            .await?;
        if !running.0 {
            return Ok(());
        }
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let done: Vec<(i64, i64, BroadcastKind)> = sqlx::query_as(
            "UPDATE broadcasts SET state = $1, finished_at = $2
             WHERE state = $3 AND NOT EXISTS
                 (SELECT 1 FROM deliveries d WHERE d.broadcast_id = broadcasts.id AND d.state IN ('pending', 'sending'))
             RETURNING id, pack_id, kind",
        )
        .bind(BroadcastState::Done)
        .bind(crate::dates::now())
        .bind(BroadcastState::Running)
        .fetch_all(&mut *tx)
        .await?;
        for (id, pack, kind) in &done {
            tracing::info!(broadcast_id = id, pack_id = pack, kind = kind.as_str(), "broadcast finished");
            if *kind != BroadcastKind::Pack {
                continue;
            }
            sqlx::query("UPDATE packs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
                .bind(PackStatus::Sent)
                .bind(crate::dates::now())
                .bind(pack)
                .bind(PackStatus::Sending)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes what became of a send (the one place a claimed delivery changes state), and updates
    /// `d` to match. A [`Outcome::SlowDown`] writes nothing: the limiter pauses.
    pub async fn record(&self, d: &mut Claimed, outcome: &Outcome, stop: &CancellationToken) -> anyhow::Result<()> {
        let id = d.id;
        match outcome {
            // the messages are out: what they were must be written down, or they go out again
            Outcome::DocumentsSent(ids) => {
                self.write_sent(stop, id, Out::Documents(ids.clone())).await?;
                d.step = 1;
            }
            Outcome::Sent(message_id) => {
                self.write_sent(stop, id, Out::Message(*message_id)).await?;
                d.step = 2;
            }
            Outcome::SlowDown(_) => {}
            Outcome::Migrated(new_chat) => {
                tracing::info!(
                    delivery_id = id,
                    from = d.chat_id,
                    to = new_chat,
                    "group migrated; sending to the supergroup"
                );
                crate::cells::binding::migrate_chat(&self.pool, d.chat_id, *new_chat).await?;
                sqlx::query("UPDATE deliveries SET chat_id = $1 WHERE id = $2")
                    .bind(new_chat)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                d.chat_id = *new_chat;
            }
            Outcome::RetryAt { attempts, after, why } => {
                sqlx::query(
                    "UPDATE deliveries SET state = $1, attempts = $2, error = $3, next_attempt_at = $4 WHERE id = $5",
                )
                .bind(DeliveryState::Pending)
                .bind(attempts)
                .bind(why)
                .bind(crate::dates::now() + after.as_secs().max(1) as i64)
                .bind(id)
                .execute(&self.pool)
                .await?;
                tracing::info!(
                    delivery_id = id,
                    attempts,
                    retry_in_s = after.as_secs(),
                    error = why,
                    "send failed; will retry"
                );
                d.attempts = *attempts;
            }
            Outcome::GaveUp { attempts, why } => {
                sqlx::query("UPDATE deliveries SET state = $1, attempts = $2, error = $3 WHERE id = $4")
                    .bind(DeliveryState::Failed)
                    .bind(attempts)
                    .bind(format!("gave up after {attempts} attempts: {why}"))
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                tracing::warn!(delivery_id = id, attempts, error = why, "delivery given up");
                d.attempts = *attempts;
            }
            Outcome::Unreachable(reason) => {
                self.fail(id, reason).await?;
                crate::cells::binding::mark_unreachable(&self.pool, d.chat_id, reason).await?;
                tracing::info!(delivery_id = id, reason, "cell unreachable");
            }
            Outcome::Refused(why) => {
                self.fail(id, why).await?;
                sqlx::query("UPDATE broadcasts SET state = $1, finished_at = $2 WHERE id = $3 AND state = $4")
                    .bind(BroadcastState::Failed)
                    .bind(crate::dates::now())
                    .bind(d.broadcast_id)
                    .bind(BroadcastState::Running)
                    .execute(&self.pool)
                    .await?;
                tracing::error!(
                    broadcast_id = d.broadcast_id,
                    error = why,
                    "the pack itself was refused by Telegram: broadcast stopped"
                );
            }
            Outcome::Paused | Outcome::Cancelled => {
                let next = if *outcome == Outcome::Paused { DeliveryState::Pending } else { DeliveryState::Cancelled };
                sqlx::query("UPDATE deliveries SET state = $1 WHERE id = $2 AND state = $3")
                    .bind(next)
                    .bind(id)
                    .bind(DeliveryState::Sending)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Counts a delivery in flight until the guard is dropped: a write of sends lingers for the
    /// others' sends only while some delivery in flight is not yet waiting for it (see
    /// [`crate::db::GroupWrite`]).
    pub fn in_flight(&self) -> InFlight {
        InFlight { _counted: self.sends.enlist() }
    }

    /// Writes down what a send put out, with whatever other sends are waiting (see [`SendLog`]);
    /// returns once this one is written.
    async fn write_sent(&self, stop: &CancellationToken, id: i64, out: Out) -> anyhow::Result<()> {
        let linger = (!stop.is_cancelled()).then_some(SEND_LOG_LINGER);
        self.sends
            .submit((id, out), linger, |rows| async move {
                let (mut documents, mut messages) = (Vec::new(), Vec::new());
                for (id, out) in &rows {
                    match out {
                        Out::Documents(ids) => documents.push(serde_json::json!({"id": id, "docs": ids})),
                        Out::Message(m) => messages.push(serde_json::json!({"id": id, "m": m})),
                    }
                }
                let documents = (!documents.is_empty()).then(|| serde_json::Value::Array(documents).to_string());
                let messages = (!messages.is_empty()).then(|| serde_json::Value::Array(messages).to_string());
                let sent_at = crate::dates::now();
                // two statements, each whole or not at all; tried again together, the documents'
                // (which sets the same values again) first, so that a message's id is appended once
                self.until_written(stop, rows[0].0, "record sends", || async {
                    if let Some(documents) = &documents {
                        sqlx::query(crate::db::pick(&self.pool, RECORD_DOCUMENTS, RECORD_DOCUMENTS_PG))
                            .bind(documents)
                            .execute(&self.pool)
                            .await?;
                    }
                    if let Some(messages) = &messages {
                        sqlx::query(crate::db::pick(&self.pool, RECORD_MESSAGES, RECORD_MESSAGES_PG))
                            .bind(DeliveryState::Sent)
                            .bind(sent_at)
                            .bind(messages)
                            .execute(&self.pool)
                            .await?;
                    }
                    Ok(())
                })
                .await
                .map_err(|e| e.to_string())?;
                // each delivery's row is a write taken (the health check counts them)
                self.health.writes_ok(rows.len() as u64 - 1);
                Ok(vec![(); rows.len()])
            })
            .await
            .map_err(|e| anyhow::anyhow!("failed to record a send of delivery {id}: {e}"))
    }

    async fn fail(&self, id: i64, why: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE deliveries SET state = $1, error = $2 WHERE id = $3")
            .bind(DeliveryState::Failed)
            .bind(why)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A delivery whose sending failed unexpectedly (not a send's failure: a read, a bug) goes back
    /// to `pending`, due in five seconds.
    pub async fn put_back(&self, stop: &CancellationToken, id: i64) -> sqlx::Result<()> {
        self.until_written(stop, id, "put back a delivery", || {
            sqlx::query("UPDATE deliveries SET state = $1, next_attempt_at = $2 WHERE id = $3 AND state = $4")
                .bind(DeliveryState::Pending)
                .bind(crate::dates::now() + 5)
                .bind(id)
                .bind(DeliveryState::Sending)
                .execute(&self.pool)
        })
        .await
    }

    /// Runs `write` until the database takes it. A database that refuses writes for a while is
    /// asked again after 1 s, 2 s, 4 s ... 30 s at most, by one delivery at a time (see
    /// [`WriteGate`]), each failure logged; once Loa is stopping, three tries and no more (a
    /// delivery left `sending` goes out again at the next start).
    async fn until_written<W, T>(
        &self,
        stop: &CancellationToken,
        delivery_id: i64,
        what: &'static str,
        mut write: impl FnMut() -> W,
    ) -> Result<(), sqlx::Error>
    where
        W: std::future::Future<Output = Result<T, sqlx::Error>>,
    {
        let gate = &self.gate;
        let mut wait = Duration::from_secs(1);
        let mut tries = 0;
        loop {
            let mut _probing = None;
            if gate.refusing.load(Relaxed) && !stop.is_cancelled() {
                match gate.probe.try_lock() {
                    Ok(probe) => _probing = Some(probe),
                    Err(_) => {
                        // registered before the second look, so that the news cannot slip by
                        let news = gate.recovered.notified();
                        if gate.refusing.load(Relaxed) {
                            tokio::select! {
                                _ = news => {}
                                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                                _ = stop.cancelled() => {}
                            }
                        }
                        continue;
                    }
                }
            }
            let turn = crate::db::take_write_turn(&self.pool).await;
            let written = write().await;
            drop(turn);
            match written {
                Ok(_) => {
                    self.health.write_ok();
                    if gate.refusing.swap(false, Relaxed) {
                        gate.recovered.notify_waiters();
                    }
                    if tries > 0 {
                        tracing::info!(delivery_id, what, tries = tries + 1, "the database took the write again");
                    }
                    return Ok(());
                }
                Err(e) if !(stop.is_cancelled() && tries >= 3) => {
                    gate.refusing.store(true, Relaxed);
                    self.health.write_failed(&e);
                    tracing::error!(delivery_id, what, error = %e, retry_in_s = wait.as_secs(), "the database refused a write; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(30));
                    tries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_wait(_: i64) -> Duration {
        Duration::from_secs(7)
    }

    #[test]
    fn a_failed_send_is_judged_by_its_verdict_and_its_attempts() {
        let judged = |v: Verdict, attempts| judge(v, attempts, 3, no_wait);
        assert_eq!(judged(Verdict::SlowDown(Duration::from_secs(4)), 2), Outcome::SlowDown(Duration::from_secs(4)));
        assert_eq!(judged(Verdict::Migrated(-100), 2), Outcome::Migrated(-100));
        assert_eq!(judged(Verdict::Unreachable("gone".into()), 0), Outcome::Unreachable("gone".into()));
        assert_eq!(judged(Verdict::Content("too long".into()), 0), Outcome::Refused("too long".into()));
        // a failure counts an attempt; the third of three gives up
        assert_eq!(
            judged(Verdict::Passing("502".into()), 0),
            Outcome::RetryAt { attempts: 1, after: Duration::from_secs(7), why: "502".into() }
        );
        assert_eq!(
            judged(Verdict::Transient("odd".into()), 1),
            Outcome::RetryAt { attempts: 2, after: Duration::from_secs(7), why: "odd".into() }
        );
        assert_eq!(judged(Verdict::Passing("502".into()), 2), Outcome::GaveUp { attempts: 3, why: "502".into() });
        // the 429 and the migration do not count an attempt, however many were made
        assert_eq!(judged(Verdict::SlowDown(Duration::from_secs(1)), 9), Outcome::SlowDown(Duration::from_secs(1)));
        assert!(!Outcome::SlowDown(Duration::ZERO).ends_claim() && !Outcome::Migrated(1).ends_claim());
        assert!(!Outcome::DocumentsSent(vec![1]).ends_claim());
        assert!(
            Outcome::Sent(1).ends_claim()
                && Outcome::Paused.ends_claim()
                && Outcome::Refused(String::new()).ends_claim()
        );
    }

    #[test]
    fn backoff_doubles_within_its_jitter_and_stops_at_an_hour() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(5));
        assert_eq!(backoff(base, 3, 1.0), Duration::from_secs(20));
        assert_eq!(backoff(base, 3, 0.5), Duration::from_secs(10));
        assert_eq!(backoff(base, 3, 9.0), Duration::from_secs(30), "jitter is held to +-50 %");
        assert_eq!(backoff(base, 40, 1.5), Duration::from_secs(3600));
    }

    async fn outbox_with_one_delivery() -> (tempfile::TempDir, Outbox, Claimed) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!("sqlite://{}", dir.path().join("loa.db").display())).await.unwrap();
        sqlx::query("INSERT INTO cells (id, code, name, district, commune, status, chat_id, created_at, updated_at) VALUES (1, 'C1', 'Chi bộ 1', 'D', 'X', 'active', 501, 0, 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO packs (id, kind, title, body_html, audience, status, created_at, updated_at) VALUES (1, 'thematic', 'T', 'b', 'all', 'sending', 0, 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO broadcasts (id, pack_id, kind, state, targeted, created_at) VALUES (1, 1, 'pack', 'running', 1, 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO deliveries (id, broadcast_id, cell_id, chat_id, state, next_attempt_at) VALUES (1, 1, 1, 501, 'pending', 0)")
            .execute(&pool)
            .await
            .unwrap();
        let outbox = Outbox::new(pool);
        let mut claimed = outbox.claim(10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        (dir, outbox, claimed.remove(0))
    }

    async fn row(outbox: &Outbox) -> (String, i64, i64, Option<String>, i64) {
        sqlx::query_as("SELECT state, step, attempts, error, chat_id FROM deliveries WHERE id = 1")
            .fetch_one(&outbox.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn each_outcome_is_written_as_the_outbox_says() {
        let stop = CancellationToken::new();
        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        assert_eq!(row(&outbox).await.0, "sending", "claimed");
        assert!(outbox.claim(10).await.unwrap().is_empty(), "a claimed delivery is not claimed twice");

        outbox.record(&mut d, &Outcome::DocumentsSent(vec![10, 11]), &stop).await.unwrap();
        assert_eq!((row(&outbox).await.0.as_str(), row(&outbox).await.1, d.step), ("sending", 1, 1));

        let retry = Outcome::RetryAt { attempts: 1, after: Duration::from_secs(60), why: "Bad Gateway".into() };
        outbox.record(&mut d, &retry, &stop).await.unwrap();
        let r = row(&outbox).await;
        assert_eq!((r.0.as_str(), r.2, r.3.as_deref()), ("pending", 1, Some("Bad Gateway")));
        assert!(outbox.claim(10).await.unwrap().is_empty(), "not due for a minute");

        sqlx::query("UPDATE deliveries SET state = 'sending' WHERE id = 1").execute(&outbox.pool).await.unwrap();
        outbox.record(&mut d, &Outcome::Migrated(-100501), &stop).await.unwrap();
        assert_eq!((row(&outbox).await.4, d.chat_id), (-100501, -100501));

        outbox.record(&mut d, &Outcome::Sent(12), &stop).await.unwrap();
        let (state, step, ids): (String, i64, String) =
            sqlx::query_as("SELECT state, step, message_ids FROM deliveries WHERE id = 1")
                .fetch_one(&outbox.pool)
                .await
                .unwrap();
        assert_eq!((state.as_str(), step, ids.as_str()), ("sent", 2, "[10,11,12]"));

        outbox.finish_broadcasts().await.unwrap();
        let (b, p): (String, String) =
            sqlx::query_as("SELECT b.state, p.status FROM broadcasts b JOIN packs p ON p.id = b.pack_id")
                .fetch_one(&outbox.pool)
                .await
                .unwrap();
        assert_eq!((b.as_str(), p.as_str()), ("done", "sent"));
    }

    #[tokio::test]
    async fn a_refused_pack_stops_its_broadcast_and_a_gone_chat_marks_its_cell() {
        let stop = CancellationToken::new();
        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        outbox.record(&mut d, &Outcome::Refused("message is too long".into()), &stop).await.unwrap();
        assert_eq!(row(&outbox).await.0, "failed");
        let state: String =
            sqlx::query_scalar("SELECT state FROM broadcasts WHERE id = 1").fetch_one(&outbox.pool).await.unwrap();
        assert_eq!(state, "failed");

        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        outbox.record(&mut d, &Outcome::Unreachable("blocked by the user".into()), &stop).await.unwrap();
        let cell: String =
            sqlx::query_scalar("SELECT status FROM cells WHERE id = 1").fetch_one(&outbox.pool).await.unwrap();
        assert_eq!((row(&outbox).await.0.as_str(), cell.as_str()), ("failed", "unreachable"));

        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        outbox.record(&mut d, &Outcome::GaveUp { attempts: 8, why: "timeout".into() }, &stop).await.unwrap();
        let r = row(&outbox).await;
        assert_eq!((r.0.as_str(), r.2, r.3.as_deref()), ("failed", 8, Some("gave up after 8 attempts: timeout")));
    }

    #[tokio::test]
    async fn a_paused_delivery_goes_back_and_a_crash_is_recovered() {
        let stop = CancellationToken::new();
        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        outbox.record(&mut d, &Outcome::Paused, &stop).await.unwrap();
        assert_eq!(row(&outbox).await.0, "pending");
        let mut d = outbox.claim(10).await.unwrap().remove(0);
        outbox.record(&mut d, &Outcome::Cancelled, &stop).await.unwrap();
        assert_eq!(row(&outbox).await.0, "cancelled");

        let (_dir, outbox, _d) = outbox_with_one_delivery().await;
        assert_eq!(outbox.recover().await.unwrap(), 1, "a row left sending by a crash");
        assert_eq!(row(&outbox).await.0, "pending");
        outbox.claim(1).await.unwrap();
        outbox.put_back(&stop, 1).await.unwrap();
        let due: i64 = sqlx::query_scalar("SELECT next_attempt_at - $1 FROM deliveries WHERE id = 1")
            .bind(crate::dates::now())
            .fetch_one(&outbox.pool)
            .await
            .unwrap();
        assert!((4..=5).contains(&due), "put back for five seconds: {due}");
    }

    #[tokio::test]
    async fn only_the_pack_s_own_broadcast_finishing_marks_the_pack_sent() {
        let stop = CancellationToken::new();
        let (_dir, outbox, mut d) = outbox_with_one_delivery().await;
        // an answer to a question, sent to the cell while the pack's own delivery is still out
        sqlx::query("INSERT INTO broadcasts (id, pack_id, kind, state, targeted, created_at) VALUES (2, 1, 'answer', 'running', 1, 0)")
            .execute(&outbox.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO deliveries (id, broadcast_id, cell_id, chat_id, state, step, next_attempt_at) VALUES (2, 2, 1, 501, 'sent', 1, 0)")
            .execute(&outbox.pool)
            .await
            .unwrap();
        outbox.finish_broadcasts().await.unwrap();
        let states: Vec<String> =
            sqlx::query_scalar("SELECT state FROM broadcasts ORDER BY id").fetch_all(&outbox.pool).await.unwrap();
        assert_eq!(states, ["running", "done"]);
        let status: String =
            sqlx::query_scalar("SELECT status FROM packs WHERE id = 1").fetch_one(&outbox.pool).await.unwrap();
        assert_eq!(status, "sending", "the pack is still going out");
        outbox.record(&mut d, &Outcome::Sent(7), &stop).await.unwrap();
        outbox.finish_broadcasts().await.unwrap();
        let status: String =
            sqlx::query_scalar("SELECT status FROM packs WHERE id = 1").fetch_one(&outbox.pool).await.unwrap();
        assert_eq!(status, "sent");
    }
}
