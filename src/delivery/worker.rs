//! The delivery worker's loop: claims due deliveries from the outbox ([`super::outbox`]) in batches
//! of about two seconds of sending, runs each as a task of its own ([`super::deliver`]) with at most
//! enough of them in flight for the rate, closes broadcasts with nothing left, and at a stop lets
//! the sends in flight finish (for [`SHUTDOWN_GRACE`] at most: what is not done stays `sending` and
//! goes out again at the next start). Memory stays flat: only a batch is read at a time.

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
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
        let deliverer = Deliverer::new(pool, bot, config.clone(), catalog, limiter.clone(), options.retry_base);
        Worker { config, limiter, options, deliverer }
    }

    /// Rows a crash left `sending` go back to `pending`: their send may be repeated once.
    pub async fn recover(&self) -> sqlx::Result<u64> {
        self.deliverer.outbox.recover().await
    }

    /// Runs until `stop`; then finishes the sends in flight.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        if let Err(e) = self.deliverer.outbox.recover().await {
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
            let batch =
                match self.deliverer.outbox.claim(free.min(self.options.batch).min(per_two_seconds.max(10))).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "failed to read the outbox; trying again");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
            if batch.is_empty() {
                if let Err(e) = self.deliverer.outbox.finish_broadcasts().await {
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
                    if let Err(e) = me.deliverer.deliver(row.clone(), &stopping).await {
                        tracing::error!(delivery_id = row.id, error = %format!("{e:#}"), "delivery failed unexpectedly; it will be tried again");
                        let _ = me.deliverer.outbox.put_back(&stopping, row.id).await;
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
        if let Err(e) = self.deliverer.outbox.finish_broadcasts().await {
            tracing::error!(error = %format!("{e:#}"), "failed to close finished broadcasts");
        }
        tracing::info!("delivery worker stopped");
    }
}
