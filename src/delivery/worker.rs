//! The delivery worker's loop: claims due deliveries from the outbox ([`super::outbox`]) in batches
//! of about two seconds of sending, runs each as a task of its own ([`super::deliver`]) with at most
//! enough of them in flight for the rate, closes broadcasts with nothing left, and at a stop lets
//! the sends in flight finish (for [`SHUTDOWN_GRACE`] at most: what is not done stays `sending` and
//! goes out again at the next start). Memory stays flat: only a batch is read at a time.

use std::sync::Arc;
use std::time::Duration;

use crate::db::DbPool;
use teloxide::prelude::*;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::deliver::Deliverer;
use crate::config::Config;
use crate::i18n::Catalog;
use crate::telegram::limiter::Limiter;

/// How long a stop waits for the sends in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// How often an idle worker closes broadcasts no send of its own has ended (one started with no
/// delivery, or finished by another process).
const CLOSE_ANYWAY: Duration = Duration::from_secs(5);

/// How often an idle worker looks at the outbox for work it was not told of (deliveries written by
/// another process); work started in this process rings [`super::broadcast::work_bell`], and a
/// retry is waited for until it is due.
const IDLE_LOOK: Duration = Duration::from_secs(2);

/// How often the limiter forgets the chats it no longer holds back.
const PRUNE_EVERY: Duration = Duration::from_secs(2);

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

/// The worker.
pub struct Worker {
    config: Arc<Config>,
    limiter: Arc<Limiter>,
    options: WorkerOptions,
    /// Sends one delivery; holds the outbox every outcome is written to.
    deliverer: Deliverer,
    /// Rung when this process starts work ([`super::broadcast::work_bell`]).
    bell: Arc<tokio::sync::Notify>,
    /// On PostgreSQL, the bot's sending lease: this instance sends only while it holds it.
    lease: Option<super::lease::Lease>,
}

impl Worker {
    pub fn new(
        pool: DbPool,
        bot: Bot,
        config: Arc<Config>,
        catalog: Arc<Catalog>,
        limiter: Arc<Limiter>,
        options: WorkerOptions,
    ) -> Worker {
        let bell = super::broadcast::work_bell(&pool);
        let lease = super::lease::Lease::new(&pool, bot.token());
        let deliverer = Deliverer::new(pool, bot, config.clone(), catalog, limiter.clone(), options.retry_base);
        Worker { config, limiter, options, deliverer, bell, lease }
    }

    /// Rows a crash left `sending` go back to `pending`: their send may be repeated once.
    pub async fn recover(&self) -> sqlx::Result<u64> {
        self.deliverer.outbox.recover().await
    }

    /// Starts [`Worker::run`] on a thread of its own, with a single-threaded tokio runtime. The
    /// worker's sends, its HTTP connections (give it a [`Bot`] of its own, so that its client's
    /// connections live on this thread) and its timers then all wake on one thread: a send's
    /// request, its connection's task and the answer no longer hop between the process's worker
    /// threads. At 1000 messages a second that cut the CPU per message by about a tenth on a
    /// two-core machine; one core still carries far more than Telegram's limits (see the README's
    /// benchmarks). The handle finishes when the worker has stopped (or failed to start).
    pub fn start(self: Arc<Self>, stop: CancellationToken) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        // in a process serving several provinces, the thread is named after its province (its
        // log lines then say which one sends)
        let name = match std::thread::current().name() {
            Some(n) if n.starts_with("province:") => format!("{n}/delivery"),
            _ => "loa-delivery".to_string(),
        };
        std::thread::Builder::new().name(name).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "the delivery worker's runtime could not be built: nothing is sent");
                    return;
                }
            };
            runtime.block_on(self.run(stop));
            // the runtime goes first: its tasks (idle connections) end on this thread
            drop(runtime);
            let _ = done.send(());
        })?;
        Ok(tokio::spawn(async move {
            if finished.await.is_err() {
                tracing::error!("the delivery worker's thread ended without stopping cleanly");
            }
        }))
    }

    /// Runs until `stop`; then finishes the sends in flight.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        // alone on its database, a worker finds what the last run left in flight at once; one of
        // several instances only when it takes the sending lease (the rows `sending` may be
        // another live instance's)
        if self.lease.is_none()
            && let Err(e) = self.deliverer.outbox.recover().await
        {
            tracing::error!(error = %e, "failed to recover deliveries in flight");
        }
        // enough deliveries in flight for the rate, never more than the ceiling: a delivery of m
        // messages (documents, album items, the message) takes about m - 1 seconds (one message a
        // second into a chat) and the rate takes rate / m of them a second, so fewer than `rate`
        // are ever under way; each one waiting holds a few KB, so no more than that plus a quarter
        let needed = match self.limiter.per_second() {
            Some(rate) => (rate as usize).saturating_mul(5) / 4 + 64,
            None => self.options.in_flight,
        };
        let slots_total = self.options.in_flight.min(needed);
        let slots = Arc::new(Semaphore::new(slots_total));
        // claim about two seconds of sending at a time (a pause or cancel takes effect soon), and
        // only once that many slots are free: a claim per delivery ended would be a write a send
        let per_two_seconds = (i64::from(self.config.delivery.messages_per_second) * 2).max(10);
        let claim_size = self.options.batch.min(per_two_seconds).min((slots_total as i64 / 2).max(1));
        let mut tasks = JoinSet::new();
        let mut pruned = std::time::Instant::now();
        // broadcasts are closed when a send has ended since the last look, and at least every
        // CLOSE_ANYWAY (one started with nothing to send): an idle worker reads the outbox, no more
        let mut ended_since_close = true;
        let mut closed = std::time::Instant::now();
        // whether this instance held the sending lease at its last look (PostgreSQL)
        let mut holding = false;
        while !stop.is_cancelled() {
            while tasks.try_join_next().is_some() {
                ended_since_close = true;
            }
            // the limiter remembers each chat it let through; forget those past their wait, so that
            // its memory follows the sending rate, not the number of cells
            if pruned.elapsed() >= PRUNE_EVERY {
                self.limiter.forget_idle();
                pruned = std::time::Instant::now();
            }
            // on PostgreSQL, this instance sends only while it holds the bot's sending lease
            if let Some(lease) = &self.lease {
                use super::lease::Held;
                match lease.hold().await {
                    Ok(Held::Kept) => {}
                    Ok(Held::Taken) => {
                        tracing::info!(
                            holder = lease.holder(),
                            "this instance sends the bot's deliveries now (it holds the sending lease)"
                        );
                        match self.deliverer.outbox.recover().await {
                            Ok(_) => {}
                            Err(e) => tracing::error!(error = %e, "failed to recover deliveries in flight"),
                        }
                    }
                    Ok(Held::Elsewhere) => {
                        if holding {
                            tracing::warn!("another instance sends the bot's deliveries now: this one waits");
                        }
                        holding = false;
                        tokio::select! {
                            _ = stop.cancelled() => break,
                            _ = tasks.join_next(), if !tasks.is_empty() => ended_since_close = true,
                            _ = tokio::time::sleep(super::lease::RENEW_EVERY) => {}
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "failed to renew the sending lease; trying again");
                        tokio::select! {
                            _ = stop.cancelled() => break,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        continue;
                    }
                }
                holding = true;
            }
            let free = slots.available_permits() as i64;
            if free < claim_size && !tasks.is_empty() {
                // a holder waiting on its sends (a 429's pause) still renews its lease every second
                let renew = self.lease.is_some();
                tokio::select! {
                    _ = tasks.join_next() => ended_since_close = true,
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(super::lease::RENEW_EVERY), if renew => {}
                }
                continue;
            }
            let batch = match self.deliverer.outbox.claim(free.min(claim_size)).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "failed to read the outbox; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if batch.is_empty() {
                if ended_since_close || closed.elapsed() >= CLOSE_ANYWAY {
                    ended_since_close = false;
                    closed = std::time::Instant::now();
                    if let Err(e) = self.deliverer.outbox.finish_broadcasts().await {
                        ended_since_close = true;
                        tracing::error!(error = %format!("{e:#}"), "failed to close finished broadcasts");
                    }
                }
                // until the next delivery is due (a retry), new work is rung in, or a look is due
                let wait = match self.deliverer.outbox.next_due() {
                    Some(due) => {
                        let ms = due.saturating_mul(1000).saturating_sub(chrono::Utc::now().timestamp_millis());
                        Duration::from_millis(ms.clamp(10, IDLE_LOOK.as_millis() as i64) as u64)
                    }
                    None => IDLE_LOOK,
                };
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tasks.join_next(), if !tasks.is_empty() => ended_since_close = true,
                    _ = self.bell.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
                continue;
            }
            for row in batch {
                let permit = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
                let in_flight = self.deliverer.outbox.in_flight();
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
                    if let Err(e) = me.deliverer.deliver(row.clone(), &stopping).await {
                        tracing::error!(delivery_id = row.id, error = %format!("{e:#}"), "delivery failed unexpectedly; it will be tried again");
                        let _ = Box::pin(me.deliverer.outbox.put_back(&stopping, row.id)).await;
                    }
                    drop((permit, in_flight));
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
        if let Err(e) = self.deliverer.outbox.finish_broadcasts().await {
            tracing::error!(error = %format!("{e:#}"), "failed to close finished broadcasts");
        }
        if let Some(lease) = &self.lease {
            // another instance takes over at once rather than when the lease lapses
            lease.release().await;
        }
        tracing::info!("delivery worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::sim::Sim;
    use std::time::Instant;

    /// Three cells bound to private chats in the simulator, and a one-message pack scheduled now.
    async fn stage() -> (tempfile::TempDir, Sim, Arc<Worker>, DbPool, Vec<i64>, i64) {
        let sim = Sim::start_default().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/loa.db", dir.path().display());
        let config = Arc::new(Config::for_simulator(&db, Some((&sim.url(), &sim.token())), None).unwrap());
        let pool = crate::db::open(&db).await.unwrap();
        let rows = crate::cells::import::parse_csv(
            "code,name,district\nA,Chi bộ A,X\nB,Chi bộ B,X\nC,Chi bộ C,X\n".as_bytes(),
        )
        .unwrap();
        crate::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await.unwrap();
        let mut chats = Vec::new();
        for code in ["A", "B", "C"] {
            let user = sim.create_user(&format!("Bí thư {code}"), None);
            sim.open_private_chat(user);
            sqlx::query("UPDATE cells SET chat_id = $1, chat_type = 'private', status = 'active' WHERE code = $2")
                .bind(user)
                .bind(code)
                .execute(&pool)
                .await
                .unwrap();
            chats.push(user);
        }
        let draft =
            crate::packs::folder::PackDraft::plain(crate::packs::period::PackKind::Urgent, None, "Khẩn", "Nội dung");
        let pack = crate::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
        let when = crate::packs::store::When::Now;
        crate::packs::store::schedule(&pool, &config, pack, when, chrono::Utc::now(), Actor::Cli)
            .await
            .unwrap()
            .unwrap();
        crate::delivery::broadcast::start(&pool, pack, Actor::Cli, crate::dates::now()).await.unwrap().unwrap();
        let bot = Bot::new(sim.token()).set_api_url(sim.url().parse().unwrap());
        let limiter = Arc::new(Limiter::new(config.delivery.messages_per_second));
        let catalog = Arc::new(Catalog::new());
        let worker = Arc::new(Worker::new(pool.clone(), bot, config, catalog, limiter, WorkerOptions::default()));
        (dir, sim, worker, pool, chats, pack)
    }

    async fn pack_status(pool: &DbPool, pack: i64) -> crate::lifecycle::PackStatus {
        crate::packs::store::get(pool, pack).await.unwrap().unwrap().status
    }

    #[tokio::test]
    async fn the_worker_sends_each_cell_its_pack_once_closes_the_broadcast_and_stops_when_told() {
        let (_dir, sim, worker, pool, chats, pack) = stage().await;
        // the second chat chose English with /lang: its pack reads in English
        sqlx::query("INSERT INTO chat_prefs (chat_id, locale, updated_at) VALUES ($1, 'en', 0)")
            .bind(chats[1])
            .execute(&pool)
            .await
            .unwrap();
        let stop = CancellationToken::new();
        // as `loa serve` runs it: on a thread of its own
        let running = worker.start(stop.clone()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while pack_status(&pool, pack).await != crate::lifecycle::PackStatus::Sent {
            assert!(Instant::now() < deadline, "the pack was not sent");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for chat in &chats {
            let got = sim.bot_messages(*chat);
            assert_eq!(got.len(), 1, "chat {chat}: {got:?}");
            assert!(got[0].text().unwrap().contains("Khẩn"));
            assert!(got[0].reply_markup().is_some(), "with its buttons");
            let english = *chat == chats[1];
            let deadline = if english { "⏰ Acknowledge by:" } else { "⏰ Hạn xác nhận:" };
            assert!(got[0].text().unwrap().contains(deadline), "chat {chat}: {:?}", got[0].text());
        }
        let state: String = sqlx::query_scalar("SELECT state FROM broadcasts").fetch_one(&pool).await.unwrap();
        assert_eq!(state, "done");
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), running).await.expect("the worker stops").unwrap();
    }

    #[tokio::test]
    async fn a_delivery_waiting_its_turn_is_small() {
        // at 1000/s about 1,300 deliveries are under way, most waiting for their chat's second:
        // what each holds then is its future; the database's and the request's are boxed, alive
        // only while they run (unboxed it was 4,168 bytes)
        let (_dir, _sim, worker, _pool, _chats, _pack) = stage().await;
        let row = worker.deliverer.outbox.claim(1).await.unwrap().pop().expect("a delivery is due");
        let stop = CancellationToken::new();
        let delivery = worker.deliverer.deliver(row, &stop);
        let size = std::mem::size_of_val(&delivery);
        assert!(size <= 1024, "a delivery in flight holds {size} bytes");
    }

    #[tokio::test]
    async fn a_paused_broadcast_is_not_sent_until_it_is_resumed() {
        let (_dir, sim, worker, pool, chats, pack) = stage().await;
        let broadcast: i64 = sqlx::query_scalar("SELECT id FROM broadcasts").fetch_one(&pool).await.unwrap();
        crate::delivery::broadcast::set_paused(&pool, broadcast, true, Actor::Cli).await.unwrap();
        let stop = CancellationToken::new();
        let running = tokio::spawn(worker.run(stop.clone()));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(chats.iter().all(|c| sim.bot_messages(*c).is_empty()), "nothing goes out while paused");
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'pending'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(pending, 3);
        crate::delivery::broadcast::set_paused(&pool, broadcast, false, Actor::Cli).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while pack_status(&pool, pack).await != crate::lifecycle::PackStatus::Sent {
            assert!(Instant::now() < deadline, "the pack was not sent after resuming");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(chats.iter().all(|c| sim.bot_messages(*c).len() == 1));
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), running).await.expect("the worker stops").unwrap();
    }
}
