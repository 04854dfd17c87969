//! The scheduler: starts the broadcast of every pack whose time has come, and watches the monthly
//! and quarterly slots. One step ([`tick`]) does the work for a given "now", so tests drive it with
//! a controlled clock; [`run`] sleeps between steps until the next due time, a change, or shutdown.
//!
//! - A pack is due when it is `scheduled` and its time is past. If Loa was down then, it starts
//!   at the next step and is reported late; the `scheduled` → `sending` step makes a second start
//!   impossible.
//! - Each slot firing is recorded in `slot_runs` once. A firing with no pack ready for its period
//!   (a pack of that kind and period scheduled, sending or sent) is reported, once, so the board
//!   can be told. Loa starts watching a slot from its first run: firings before that are recorded
//!   silently.
//! - The situation request slot (`situations.request_slot`) asks every cell for its situation
//!   report of the month ([`crate::situations::request`]), once a month, silently at the first run;
//!   a firing missed by more than `situations.request_days` is not made up.
//! - The reminders slot (`schedule.reminders`) queues the day's reminders and, for packs whose
//!   deadline has passed, the escalation to districts and board (see [`crate::reminders`]).

use std::sync::Arc;
use std::time::Duration;

use crate::db::DbPool;
use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::audit::Actor;
use crate::config::{Config, CronSlot};
use crate::delivery::broadcast::{self, Started};
use crate::packs::period::{PackKind, Period};

/// The longest the scheduler sleeps: schedules changed by another process (`loa pack schedule`)
/// are seen within this time.
pub const MAX_SLEEP: Duration = Duration::from_secs(5);

/// What one step did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tick {
    /// Broadcasts started, with how late each was (seconds past its due time).
    pub started: Vec<(Started, i64)>,
    /// Slot firings with no pack ready: (kind, the period it was for, when it fired).
    pub empty_slots: Vec<(PackKind, Period, DateTime<Utc>)>,
    /// Reminder broadcasts started at the reminders slot.
    pub reminded: Vec<Started>,
    /// Packs past their deadline to report to districts and board (at the reminders slot); each
    /// is marked done with [`crate::reminders::mark_escalated`] once told.
    pub escalations: Vec<crate::reminders::Escalation>,
    /// When the next thing is due, if anything is.
    pub next: Option<DateTime<Utc>>,
}

fn slots(config: &Config) -> [(PackKind, &CronSlot); 2] {
    [(PackKind::Monthly, &config.schedule.monthly_slot), (PackKind::Quarterly, &config.schedule.quarterly_slot)]
}

fn slot_name(kind: PackKind) -> &'static str {
    match kind {
        PackKind::Quarterly => "quarterly",
        _ => "monthly",
    }
}

/// The latest firing of `slot` at or before `now` (looking back up to a year).
fn last_firing(slot: &CronSlot, config: &Config, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tz = config.timezone;
    let from = (now - chrono::Duration::days(366)).with_timezone(&tz);
    slot.schedule.after(&from).take_while(|t| t.with_timezone(&Utc) <= now).last().map(|t| t.with_timezone(&Utc))
}

/// The next firing of `slot` after `now`.
pub fn next_firing(slot: &CronSlot, config: &Config, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    slot.schedule.after(&now.with_timezone(&config.timezone)).next().map(|t| t.with_timezone(&Utc))
}

/// One step of the scheduler at `now`.
pub async fn tick(pool: &DbPool, config: &Config, now: DateTime<Utc>) -> anyhow::Result<Tick> {
    let mut out = Tick::default();
    let due: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, scheduled_for FROM packs WHERE status = 'scheduled' AND scheduled_for <= $1 ORDER BY scheduled_for, id")
            .bind(now.timestamp())
            .fetch_all(pool)
            .await?;
    for (id, due_at) in due {
        if let Some(started) = broadcast::start(pool, id, Actor::System, now.timestamp()).await? {
            let late = now.timestamp() - due_at;
            if late > 60 {
                tracing::warn!(pack_id = id, late_s = late, "pack started late: Loa was not running when it was due");
            }
            out.started.push((started, late));
        }
    }
    for (kind, slot) in slots(config) {
        let Some(fired) = last_firing(slot, config, now) else { continue };
        let name = slot_name(kind);
        let seen_before: i64 =
            sqlx::query_scalar("SELECT count(*) FROM slot_runs WHERE slot = $1").bind(name).fetch_one(pool).await?;
        let recorded =
            sqlx::query("INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(name)
                .bind(fired.timestamp())
                .bind(now.timestamp())
                .execute(pool)
                .await?
                .rows_affected();
        if recorded == 0 || seen_before == 0 {
            continue;
        }
        let period =
            Period::containing(fired.with_timezone(&config.timezone).date_naive(), kind == PackKind::Quarterly);
        let ready: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM packs
             WHERE kind = $1 AND period = $2 AND purpose = 'guidance' AND status IN ('scheduled', 'sending', 'sent')",
        )
        .bind(kind.as_str())
        .bind(period.code())
        .fetch_one(pool)
        .await?;
        if ready == 0 {
            tracing::warn!(slot = name, period = %period, "a slot came with no pack ready");
            out.empty_slots.push((kind, period, fired));
        }
    }
    // the situation request slot: every cell asked for its situation report of the month the slot
    // fired in (one request a month). A firing missed while Loa was down is made up at start
    // while there are still days to answer it (`situations.request_days`); past that it is
    // recorded silently.
    if let Some(slot) = &config.situation_request
        && let Some(fired) = last_firing(slot, config, now)
    {
        let runs: Vec<i64> =
            sqlx::query_scalar("SELECT due_at FROM slot_runs WHERE slot = 'situations'").fetch_all(pool).await?;
        if !runs.contains(&fired.timestamp()) {
            let window = chrono::Duration::days(i64::from(config.situation_request_days));
            if !runs.is_empty() && now - fired < window {
                let period = Period::containing(fired.with_timezone(&config.timezone).date_naive(), false);
                if let Some(s) =
                    crate::situations::request(pool, config, period, Actor::System, now.timestamp()).await?
                {
                    out.started.push((s, now.timestamp() - fired.timestamp()));
                }
            }
            sqlx::query(
                "INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ('situations', $1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(fired.timestamp())
            .bind(now.timestamp())
            .execute(pool)
            .await?;
        }
    }
    // the reminders slot: today's reminders, then the packs whose deadline has passed. A firing
    // missed while Loa was down is made up the same day; the `reminders` table keeps a cell from
    // being reminded twice a day, so the slot is recorded only once the work is done.
    if let Some(fired) = last_firing(&config.schedule.reminders, config, now)
        && now - fired < chrono::Duration::days(1)
    {
        let done: i64 = sqlx::query_scalar("SELECT count(*) FROM slot_runs WHERE slot = 'reminders' AND due_at = $1")
            .bind(fired.timestamp())
            .fetch_one(pool)
            .await?;
        if done == 0 {
            let today = now.with_timezone(&config.timezone).date_naive();
            out.reminded =
                crate::reminders::remind(pool, config, today, Default::default(), Actor::System, now.timestamp())
                    .await?;
            out.escalations = crate::reminders::overdue(pool, today).await?;
            sqlx::query(
                "INSERT INTO slot_runs (slot, due_at, ran_at) VALUES ('reminders', $1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(fired.timestamp())
            .bind(now.timestamp())
            .execute(pool)
            .await?;
        }
    }
    let next_pack: Option<i64> =
        sqlx::query_scalar("SELECT min(scheduled_for) FROM packs WHERE status = 'scheduled'").fetch_one(pool).await?;
    let next_pack = next_pack.and_then(|t| Utc.timestamp_opt(t, 0).single());
    out.next = slots(config)
        .iter()
        .filter_map(|(_, s)| next_firing(s, config, now))
        .chain(next_firing(&config.schedule.reminders, config, now))
        .chain(config.situation_request.as_ref().and_then(|s| next_firing(s, config, now)))
        .chain(next_pack)
        .min();
    Ok(out)
}

/// What the scheduler tells people; `loa serve` gives it the bot.
pub trait Announcer: Send + Sync {
    fn started(&self, started: &Started, late_s: i64) -> impl Future<Output = ()> + Send;
    fn empty_slot(&self, kind: PackKind, period: Period, fired: DateTime<Utc>) -> impl Future<Output = ()> + Send;
    /// Tells district officers and the board which cells are behind on a pack past its deadline.
    fn escalate(&self, e: &crate::reminders::Escalation) -> impl Future<Output = ()> + Send;
}

/// On PostgreSQL, the advisory lock the scheduler's step is taken under: one instance at a time.
pub const SCHEDULE_LOCK_KEY: i64 = 7_140_222_002;

/// How soon an instance whose scheduler found another one stepping looks again.
const OTHERS_TURN: Duration = Duration::from_secs(2);

/// Runs the scheduler until `stop`; `wake` says schedules changed.
pub async fn run(
    pool: DbPool,
    config: Arc<Config>,
    announcer: impl Announcer,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    for (kind, slot) in slots(&config) {
        if let Some(next) = next_firing(slot, &config, Utc::now()) {
            tracing::info!(slot = slot_name(kind), cron = %slot.expr, next = %crate::dates::rfc3339(next.timestamp(), config.timezone), "slot");
        }
    }
    loop {
        // with several instances on one PostgreSQL database, one at a time takes the step (the
        // others look again shortly, and take over if it is gone)
        let turn = match crate::db::try_exclusive(&pool, SCHEDULE_LOCK_KEY).await {
            Ok(Some(turn)) => turn,
            Ok(None) => {
                crate::ops::health(&pool).scheduler_alive();
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(OTHERS_TURN) => {}
                }
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "the scheduler could not ask for its turn; trying again");
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
                continue;
            }
        };
        let now = Utc::now();
        let stepped = tick(&pool, &config, now).await;
        turn.release().await;
        let sleep = match stepped {
            Ok(t) => {
                crate::ops::health(&pool).scheduler_alive();
                for (s, late) in &t.started {
                    announcer.started(s, *late).await;
                }
                for (kind, period, fired) in &t.empty_slots {
                    announcer.empty_slot(*kind, *period, *fired).await;
                }
                for e in &t.escalations {
                    announcer.escalate(e).await;
                    if let Err(err) = crate::reminders::mark_escalated(&pool, e.pack_id, now.timestamp()).await {
                        tracing::error!(pack_id = e.pack_id, error = %err, "failed to note the escalation as sent");
                    }
                }
                if !t.reminded.is_empty() {
                    tracing::info!(
                        broadcasts = t.reminded.len(),
                        cells = t.reminded.iter().map(|s| s.targeted).sum::<i64>(),
                        "reminders queued"
                    );
                }
                t.next.map(|n| (n - now).to_std().unwrap_or_default()).unwrap_or(MAX_SLEEP).min(MAX_SLEEP)
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "scheduler step failed; trying again");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(200))) => {}
        }
    }
    tracing::info!("scheduler stopped");
}
