//! The delivery worker: sends from the outbox (`deliveries`) as fast as Telegram's limits allow.
//!
//! Each step claims a batch of due `pending` rows (marking them `sending`), and each claimed row
//! becomes a task that sends the pack's documents (one sendDocument, or an album) and then the
//! message with its buttons, every send through the [`Limiter`] and only while its broadcast is
//! still running (a pause puts waiting rows back, a cancel cancels them). Progress is written after each
//! send (`step`, message ids), so a crash repeats at most the send that was in flight: at start,
//! rows left `sending` go back to `pending`. Memory stays flat: only a batch is read at a time.
//!
//! Failures are judged by [`classify`]: a 429 pauses everything; a migrated group gets its new id
//! and the send goes on; a chat gone for good fails the delivery and marks the cell unreachable;
//! a transient error retries with exponential backoff and jitter up to `delivery.max_attempts`; a
//! content error stops the broadcast.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use rand::Rng;
use sqlx::SqlitePool;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaDocument, ParseMode,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::i18n::{Catalog, Locale};
use crate::packs::message::{self, PackText};
use crate::packs::period::Period;
use crate::telegram::failure::{Verdict, classify};
use crate::telegram::limiter::Limiter;

/// How stale a broadcast's state may be when a send checks it: a pause or cancel takes effect
/// within this time.
const STATE_TTL: Duration = Duration::from_millis(300);

/// How long a stop waits for the sends in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// How often the limiter forgets the chats it no longer holds back.
const PRUNE_EVERY: Duration = Duration::from_secs(2);

/// The acknowledge button's label (the same in every language, as cells know it).
pub const ACK_BUTTON: &str = "✅ Đã nhận";
/// The report button's label.
pub const REPORT_BUTTON: &str = "📝 Báo cáo";

/// What a broadcast sends: the pack itself, a reminder of it, or its documents again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pack,
    Reminder,
    Resend,
}

/// The buttons under a pack's message (and its reminders): `a:<delivery>` acknowledges,
/// `r:<delivery>` starts a report. Callback data stays far under Telegram's 64 bytes.
pub fn buttons(delivery_id: i64, report: bool) -> InlineKeyboardMarkup {
    use crate::telegram::button::Button;
    let mut row = vec![InlineKeyboardButton::callback(ACK_BUTTON, Button::Ack(delivery_id).data())];
    if report {
        row.push(InlineKeyboardButton::callback(REPORT_BUTTON, Button::Report(delivery_id).data()));
    }
    InlineKeyboardMarkup::new([row])
}

/// Tunables that are not configuration (tests shorten them).
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Rows claimed per step.
    pub batch: i64,
    /// Deliveries in flight at once. Each takes at least a second per message in its chat, so the
    /// overall rate needs about rate x messages-per-cell of them: this is a ceiling, not a target.
    pub in_flight: usize,
    /// The first retry waits about this long; each next one twice as long (jittered), at most an hour.
    pub retry_base: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions { batch: 500, in_flight: 8192, retry_base: Duration::from_secs(5) }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Claimed {
    id: i64,
    broadcast_id: i64,
    cell_id: i64,
    chat_id: i64,
    step: i64,
    attempts: i64,
}

struct Doc {
    attachment_id: i64,
    name: String,
    local_path: Option<String>,
}

/// What every delivery of one pack sends.
struct PackContent {
    title: String,
    period: Option<Period>,
    body_html: String,
    deadline: NaiveDate,
    report: Option<String>,
    docs: Vec<Doc>,
    /// Telegram's file_id of each document, once known: uploaded once, then reused.
    file_ids: Mutex<Vec<Option<String>>>,
    /// Held by the one delivery that uploads documents Telegram does not have yet.
    uploading: tokio::sync::Mutex<()>,
}

/// The worker.
pub struct Worker {
    pool: SqlitePool,
    bot: Bot,
    config: Arc<Config>,
    catalog: Arc<Catalog>,
    limiter: Arc<Limiter>,
    options: WorkerOptions,
    packs: Mutex<HashMap<i64, Arc<PackContent>>>,
    /// Each broadcast's pack and kind.
    broadcast_packs: Mutex<HashMap<i64, (i64, Kind)>>,
    /// Broadcast states as last read, and when.
    states: Mutex<HashMap<i64, (String, std::time::Instant)>>,
    gate: WriteGate,
}

/// While the database refuses writes, one delivery at a time asks it again and the others wait to
/// hear that it takes writes again: eighty deliveries each knocking at a failing database would
/// keep the write turn from everyone else (a member's acknowledgement waits for it too), and each
/// refused write costs SQLite tens of milliseconds.
#[derive(Default)]
struct WriteGate {
    refusing: std::sync::atomic::AtomicBool,
    probe: tokio::sync::Mutex<()>,
    recovered: tokio::sync::Notify,
}

impl Worker {
    pub fn new(
        pool: SqlitePool,
        bot: Bot,
        config: Arc<Config>,
        catalog: Arc<Catalog>,
        limiter: Arc<Limiter>,
        options: WorkerOptions,
    ) -> Worker {
        Worker {
            pool,
            bot,
            config,
            catalog,
            limiter,
            options,
            packs: Mutex::new(HashMap::new()),
            broadcast_packs: Mutex::new(HashMap::new()),
            states: Mutex::new(HashMap::new()),
            gate: WriteGate::default(),
        }
    }

    /// Rows a crash left `sending` go back to `pending`: their send may be repeated once.
    pub async fn recover(&self) -> sqlx::Result<u64> {
        let r =
            sqlx::query("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'").execute(&self.pool).await?;
        if r.rows_affected() > 0 {
            tracing::warn!(rows = r.rows_affected(), "deliveries in flight at the last stop are sent again");
        }
        Ok(r.rows_affected())
    }

    async fn claim(&self, limit: i64) -> sqlx::Result<Vec<Claimed>> {
        sqlx::query_as(
            "UPDATE deliveries SET state = 'sending'
             WHERE id IN (SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
                          WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND b.state = 'running'
                          ORDER BY d.next_attempt_at, d.id LIMIT ?)
             RETURNING id, broadcast_id, cell_id, chat_id, step, attempts",
        )
        .bind(crate::dates::now())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Marks broadcasts with nothing left to send as done, and their packs as sent.
    async fn finish_broadcasts(&self) -> anyhow::Result<()> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let done: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE broadcasts SET state = 'done', finished_at = ?
             WHERE state = 'running' AND NOT EXISTS
                 (SELECT 1 FROM deliveries d WHERE d.broadcast_id = broadcasts.id AND d.state IN ('pending', 'sending'))
             RETURNING id, pack_id",
        )
        .bind(crate::dates::now())
        .fetch_all(&mut *tx)
        .await?;
        for (id, pack) in &done {
            sqlx::query("UPDATE packs SET status = 'sent', updated_at = ? WHERE id = ? AND status = 'sending'")
                .bind(crate::dates::now())
                .bind(pack)
                .execute(&mut *tx)
                .await?;
            tracing::info!(broadcast_id = id, pack_id = pack, "broadcast finished");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs `write` until the database takes it. A database that refuses writes for a while (a full
    /// disk, a file-size limit, a lock held too long) is asked again after 1 s, 2 s, 4 s ... 30 s at
    /// most, by one delivery at a time (see [`WriteGate`]), each failure logged; once Loa is
    /// stopping, three tries and no more (a delivery left `sending` goes out again at the next start).
    async fn until_written<W>(
        &self,
        stop: &CancellationToken,
        delivery_id: i64,
        what: &'static str,
        mut write: impl FnMut() -> W,
    ) -> Result<(), sqlx::Error>
    where
        W: std::future::Future<Output = Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
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
                    crate::ops::health().write_ok();
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
                    crate::ops::health().write_failed(&e);
                    tracing::error!(delivery_id, what, error = %e, retry_in_s = wait.as_secs(), "the database refused a write; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(30));
                    tries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs until `stop`; then finishes the sends in flight.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        if let Err(e) = self.recover().await {
            tracing::error!(error = %e, "failed to recover deliveries in flight");
        }
        // enough deliveries in flight for the rate (each needs a second per message in its chat),
        // never more than the ceiling
        let needed = (self.config.delivery.messages_per_second as usize).saturating_mul(4).max(64);
        let slots = Arc::new(Semaphore::new(self.options.in_flight.min(needed)));
        let mut tasks = JoinSet::new();
        let mut pruned = std::time::Instant::now();
        while !stop.is_cancelled() {
            while tasks.try_join_next().is_some() {}
            // the limiter remembers each chat it let through; forget those past their wait, so that
            // its memory follows the sending rate, not the number of cells
            if pruned.elapsed() >= PRUNE_EVERY {
                self.limiter.forget_idle();
                pruned = std::time::Instant::now();
            }
            let free = slots.available_permits() as i64;
            if free == 0 {
                tokio::select! {
                    _ = tasks.join_next() => {}
                    _ = stop.cancelled() => break,
                }
                continue;
            }
            // claim about two seconds of sending at a time: a pause or cancel takes effect soon
            let per_two_seconds = i64::from(self.config.delivery.messages_per_second) * 2;
            let batch = match self.claim(free.min(self.options.batch).min(per_two_seconds.max(10))).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "failed to read the outbox; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if batch.is_empty() {
                if let Err(e) = self.finish_broadcasts().await {
                    tracing::error!(error = %format!("{e:#}"), "failed to close finished broadcasts");
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tasks.join_next(), if !tasks.is_empty() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                continue;
            }
            for row in batch {
                let permit = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
                let me = self.clone();
                let stopping = stop.clone();
                let span = tracing::info_span!(
                    "delivery",
                    delivery_id = row.id,
                    broadcast_id = row.broadcast_id,
                    cell_id = row.cell_id,
                    chat_id = row.chat_id
                );
                tasks.spawn(tracing::Instrument::instrument(async move {
                    if let Err(e) = me.deliver(row.clone(), &stopping).await {
                        tracing::error!(delivery_id = row.id, error = %format!("{e:#}"), "delivery failed unexpectedly; it will be tried again");
                        let pool = &me.pool;
                        let _ = me.until_written(&stopping, row.id, "put back a delivery", || {
                            sqlx::query("UPDATE deliveries SET state = 'pending', next_attempt_at = ? WHERE id = ? AND state = 'sending'")
                                .bind(crate::dates::now() + 5)
                                .bind(row.id)
                                .execute(pool)
                        })
                        .await;
                    }
                    drop(permit);
                }, span));
            }
        }
        tracing::info!(in_flight = tasks.len(), "delivery worker stopping: finishing the sends in flight");
        // a send that hangs (a dead connection) does not hold the stop for long: what is not done
        // in time stays `sending` and goes out again at the next start
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                left = tasks.len(),
                grace_s = SHUTDOWN_GRACE.as_secs(),
                "sends still in flight at the end of the grace period: they will be sent again at the next start"
            );
            tasks.abort_all();
        }
        if let Err(e) = self.finish_broadcasts().await {
            tracing::error!(error = %format!("{e:#}"), "failed to close finished broadcasts");
        }
        tracing::info!("delivery worker stopped");
    }

    async fn pack_of(&self, broadcast_id: i64) -> anyhow::Result<(Arc<PackContent>, Kind)> {
        let known = self.broadcast_packs.lock().unwrap_or_else(|e| e.into_inner()).get(&broadcast_id).copied();
        let (pack_id, kind) = match known {
            Some(p) => p,
            None => {
                let (p, kind): (i64, String) = sqlx::query_as("SELECT pack_id, kind FROM broadcasts WHERE id = ?")
                    .bind(broadcast_id)
                    .fetch_one(&self.pool)
                    .await?;
                let kind = match kind.as_str() {
                    "reminder" => Kind::Reminder,
                    "resend" => Kind::Resend,
                    _ => Kind::Pack,
                };
                self.broadcast_packs.lock().unwrap_or_else(|e| e.into_inner()).insert(broadcast_id, (p, kind));
                (p, kind)
            }
        };
        if let Some(p) = self.packs.lock().unwrap_or_else(|e| e.into_inner()).get(&pack_id) {
            return Ok((p.clone(), kind));
        }
        let pack = crate::packs::store::get(&self.pool, pack_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("pack {pack_id} vanished"))?;
        let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, file_name, local_path, telegram_file_id FROM attachments WHERE pack_id = ? ORDER BY position",
        )
        .bind(pack_id)
        .fetch_all(&self.pool)
        .await?;
        let today = chrono::Utc::now().with_timezone(&self.config.timezone).date_naive();
        let content = Arc::new(PackContent {
            title: pack.title.clone(),
            period: pack.period(),
            body_html: pack.body_html.clone(),
            deadline: crate::packs::deadline_for(pack.deadline(), today, self.config.default_deadline_days),
            report: pack.report_prompt.clone(),
            file_ids: Mutex::new(rows.iter().map(|r| r.3.clone()).collect()),
            docs: rows
                .into_iter()
                .map(|(id, name, path, _)| Doc { attachment_id: id, name, local_path: path })
                .collect(),
            uploading: tokio::sync::Mutex::new(()),
        });
        Ok((self.packs.lock().unwrap_or_else(|e| e.into_inner()).entry(pack_id).or_insert(content).clone(), kind))
    }

    /// The pack delivery to this cell a reminder or a resend belongs to: its buttons answer that one.
    async fn original_delivery(&self, broadcast_id: i64, cell_id: i64) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar(
            "SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
             WHERE b.pack_id = (SELECT pack_id FROM broadcasts WHERE id = ?) AND b.kind = 'pack' AND d.cell_id = ?
             ORDER BY d.id DESC LIMIT 1",
        )
        .bind(broadcast_id)
        .bind(cell_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Sends one delivery to the end (or to a verdict that stops it).
    /// A stop lets the send under way finish; a delivery still waiting for its turn goes back to
    /// `pending` for the next start.
    async fn deliver(&self, mut d: Claimed, stop: &CancellationToken) -> anyhow::Result<()> {
        let (pack, kind) = self.pack_of(d.broadcast_id).await?;
        let locale = self.locale(d.chat_id).await;
        // a reminder's buttons answer the pack's own delivery
        let answers = match kind {
            Kind::Pack => Some(d.id),
            Kind::Reminder | Kind::Resend => self.original_delivery(d.broadcast_id, d.cell_id).await?,
        };
        loop {
            let sending_docs = d.step == 0 && !pack.docs.is_empty();
            // the broadcast may have been paused or cancelled since this delivery was claimed
            let state = self.broadcast_state(d.broadcast_id).await?;
            if state != "running" {
                let next = if state == "paused" { "pending" } else { "cancelled" };
                sqlx::query("UPDATE deliveries SET state = ? WHERE id = ? AND state = 'sending'")
                    .bind(next)
                    .bind(d.id)
                    .execute(&self.pool)
                    .await?;
                return Ok(());
            }
            let turn = self.limiter.acquire(d.chat_id, if sending_docs { pack.docs.len() as u32 } else { 1 });
            tokio::select! {
                _ = turn => {}
                _ = stop.cancelled() => {
                    sqlx::query("UPDATE deliveries SET state = 'pending' WHERE id = ? AND state = 'sending'")
                        .bind(d.id)
                        .execute(&self.pool)
                        .await?;
                    return Ok(());
                }
            }
            let sent_at = std::time::Instant::now();
            let result = if sending_docs {
                self.send_docs(&d, &pack).await
            } else {
                self.send_message(&d, &pack, locale, kind, answers).await
            };
            metrics::histogram!("loa_send_seconds").record(sent_at.elapsed().as_secs_f64());
            let what = match (sending_docs, kind) {
                (true, _) => "documents",
                (false, Kind::Pack) => "message",
                (false, Kind::Reminder) => "reminder",
                (false, Kind::Resend) => "resend",
            };
            match &result {
                Ok(_) => {
                    metrics::counter!("loa_sends_total", "kind" => what).increment(1);
                    crate::ops::health().telegram_ok();
                }
                Err(e) => {
                    let verdict = classify(e).label();
                    metrics::counter!("loa_send_errors_total", "kind" => verdict).increment(1);
                    if verdict == "slow_down" {
                        metrics::counter!("loa_http_429_total").increment(1);
                    }
                }
            }
            match result {
                // the messages are out: what they were must be written down, or they go out again
                Ok(ids) if sending_docs => {
                    let ids = serde_json::to_string(&ids)?;
                    self.until_written(stop, d.id, "record documents sent", || {
                        sqlx::query("UPDATE deliveries SET step = 1, message_ids = ? WHERE id = ?")
                            .bind(ids.clone())
                            .bind(d.id)
                            .execute(&self.pool)
                    })
                    .await?;
                    d.step = 1;
                }
                Ok(ids) => {
                    let sent_at = crate::dates::now();
                    self.until_written(stop, d.id, "record a message sent", || {
                        sqlx::query(
                            "UPDATE deliveries SET state = 'sent', step = 2, ack_message_id = ?, sent_at = ?, error = NULL,
                                 message_ids = json_insert(COALESCE(message_ids, '[]'), '$[#]', ?) WHERE id = ?",
                        )
                        .bind(ids[0])
                        .bind(sent_at)
                        .bind(ids[0])
                        .bind(d.id)
                        .execute(&self.pool)
                    })
                    .await?;
                    return Ok(());
                }
                Err(e) => match classify(&e) {
                    Verdict::SlowDown(wait) => self.limiter.pause(wait),
                    Verdict::Migrated(new_chat) => {
                        tracing::info!(
                            delivery_id = d.id,
                            from = d.chat_id,
                            to = new_chat,
                            "group migrated; sending to the supergroup"
                        );
                        crate::cells::binding::migrate_chat(&self.pool, d.chat_id, new_chat).await?;
                        sqlx::query("UPDATE deliveries SET chat_id = ? WHERE id = ?")
                            .bind(new_chat)
                            .bind(d.id)
                            .execute(&self.pool)
                            .await?;
                        d.chat_id = new_chat;
                    }
                    Verdict::Unreachable(reason) => {
                        sqlx::query("UPDATE deliveries SET state = 'failed', error = ? WHERE id = ?")
                            .bind(&reason)
                            .bind(d.id)
                            .execute(&self.pool)
                            .await?;
                        crate::cells::binding::mark_unreachable(&self.pool, d.chat_id, &reason).await?;
                        tracing::info!(delivery_id = d.id, reason, "cell unreachable");
                        return Ok(());
                    }
                    Verdict::Content(why) => {
                        sqlx::query("UPDATE deliveries SET state = 'failed', error = ? WHERE id = ?")
                            .bind(&why)
                            .bind(d.id)
                            .execute(&self.pool)
                            .await?;
                        sqlx::query("UPDATE broadcasts SET state = 'failed', finished_at = ? WHERE id = ? AND state = 'running'")
                            .bind(crate::dates::now())
                            .bind(d.broadcast_id)
                            .execute(&self.pool)
                            .await?;
                        tracing::error!(
                            broadcast_id = d.broadcast_id,
                            error = why,
                            "the pack itself was refused by Telegram: broadcast stopped"
                        );
                        return Ok(());
                    }
                    Verdict::Passing(why) | Verdict::Transient(why) => {
                        let attempts = d.attempts + 1;
                        if attempts >= i64::from(self.config.delivery.max_attempts) {
                            sqlx::query("UPDATE deliveries SET state = 'failed', attempts = ?, error = ? WHERE id = ?")
                                .bind(attempts)
                                .bind(format!("gave up after {attempts} attempts: {why}"))
                                .bind(d.id)
                                .execute(&self.pool)
                                .await?;
                            tracing::warn!(delivery_id = d.id, attempts, error = why, "delivery given up");
                        } else {
                            let wait = self.backoff(attempts);
                            sqlx::query("UPDATE deliveries SET state = 'pending', attempts = ?, error = ?, next_attempt_at = ? WHERE id = ?")
                                .bind(attempts)
                                .bind(&why)
                                .bind(crate::dates::now() + wait.as_secs().max(1) as i64)
                                .bind(d.id)
                                .execute(&self.pool)
                                .await?;
                            tracing::info!(
                                delivery_id = d.id,
                                attempts,
                                retry_in_s = wait.as_secs(),
                                error = why,
                                "send failed; will retry"
                            );
                        }
                        return Ok(());
                    }
                },
            }
        }
    }

    /// A broadcast's state, read at most every [`STATE_TTL`] (not once per send).
    async fn broadcast_state(&self, broadcast_id: i64) -> sqlx::Result<String> {
        let cached = self.states.lock().unwrap_or_else(|e| e.into_inner()).get(&broadcast_id).cloned();
        if let Some((state, at)) = cached
            && at.elapsed() < STATE_TTL
        {
            return Ok(state);
        }
        let state: String = sqlx::query_scalar("SELECT state FROM broadcasts WHERE id = ?")
            .bind(broadcast_id)
            .fetch_one(&self.pool)
            .await?;
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(broadcast_id, (state.clone(), std::time::Instant::now()));
        Ok(state)
    }

    /// Exponential backoff with jitter: base x 2^(attempts-1), +-50 %, at most an hour.
    fn backoff(&self, attempts: i64) -> Duration {
        let exp = self.options.retry_base.as_secs_f64() * 2f64.powi((attempts - 1).clamp(0, 20) as i32);
        let jitter = rand::rng().random_range(0.5..1.5);
        Duration::from_secs_f64((exp * jitter).min(3600.0))
    }

    async fn locale(&self, chat_id: i64) -> Locale {
        crate::i18n::chat_locale(&self.pool, chat_id, self.config.default_locale).await
    }

    async fn send_docs(&self, d: &Claimed, pack: &PackContent) -> Result<Vec<i64>, teloxide::RequestError> {
        let known =
            |pack: &PackContent| pack.file_ids.lock().unwrap_or_else(|e| e.into_inner()).iter().all(Option::is_some);
        // the first delivery uploads; the others wait and then send by file_id
        let _uploading = if known(pack) { None } else { Some(pack.uploading.lock().await) };
        let ids = pack.file_ids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let input = |i: usize| -> InputFile {
            match &ids[i] {
                Some(id) => InputFile::file_id(teloxide::types::FileId(id.clone())),
                None => InputFile::file(pack.docs[i].local_path.clone().unwrap_or_default())
                    .file_name(pack.docs[i].name.clone()),
            }
        };
        let paid = self.config.delivery.paid_broadcast;
        let sent: Vec<Message> = if pack.docs.len() == 1 {
            let mut req = self.bot.send_document(ChatId(d.chat_id), input(0));
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            vec![req.await?]
        } else {
            let media: Vec<InputMedia> =
                (0..pack.docs.len()).map(|i| InputMedia::Document(InputMediaDocument::new(input(i)))).collect();
            let mut req = self.bot.send_media_group(ChatId(d.chat_id), media);
            if paid {
                req = req.allow_paid_broadcast(true);
            }
            req.await?
        };
        if ids.iter().any(Option::is_none) {
            let learned: Vec<Option<String>> =
                sent.iter().map(|m| m.document().map(|doc| doc.file.id.0.clone())).collect();
            for (i, fid) in learned.iter().enumerate() {
                if let (Some(fid), Some(doc)) = (fid, pack.docs.get(i)) {
                    let _ = sqlx::query(
                        "UPDATE attachments SET telegram_file_id = ? WHERE id = ? AND telegram_file_id IS NULL",
                    )
                    .bind(fid)
                    .bind(doc.attachment_id)
                    .execute(&self.pool)
                    .await;
                }
            }
            let mut cache = pack.file_ids.lock().unwrap_or_else(|e| e.into_inner());
            for (slot, fid) in cache.iter_mut().zip(learned) {
                if slot.is_none() {
                    *slot = fid;
                }
            }
        }
        Ok(sent.iter().map(|m| i64::from(m.id.0)).collect())
    }

    async fn send_message(
        &self,
        d: &Claimed,
        pack: &PackContent,
        locale: Locale,
        kind: Kind,
        answers: Option<i64>,
    ) -> Result<Vec<i64>, teloxide::RequestError> {
        let text = match kind {
            Kind::Pack => message::render(
                &self.catalog,
                locale,
                &PackText {
                    title: &pack.title,
                    period: pack.period,
                    body_html: &pack.body_html,
                    deadline: pack.deadline,
                    report_prompt: pack.report.as_deref(),
                    attachments: pack.docs.len(),
                },
            ),
            Kind::Reminder => message::reminder(&self.catalog, locale, &pack.title, pack.period, pack.deadline),
            Kind::Resend => message::resent(&self.catalog, locale, &pack.title, pack.period),
        };
        let mut req = self.bot.send_message(ChatId(d.chat_id), text).parse_mode(ParseMode::Html);
        if let (Some(answers), Kind::Pack | Kind::Reminder) = (answers, kind) {
            req = req.reply_markup(buttons(answers, pack.report.is_some()));
        }
        if self.config.delivery.paid_broadcast {
            req = req.allow_paid_broadcast(true);
        }
        Ok(vec![i64::from(req.await?.id.0)])
    }
}
