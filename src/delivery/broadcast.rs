//! Starting a broadcast: in one transaction the pack goes from `scheduled` to `sending`, the
//! broadcast row is written, and one `pending` delivery per active cell of the audience. Cells
//! that are unbound or unreachable are counted, not sent to. A pack that is no longer `scheduled`
//! is left alone: a broadcast never starts twice.

use crate::db::DbPool;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::lifecycle::{BroadcastKind, BroadcastState, PackStatus};
use crate::packs::store::{self, ScheduleError};
use crate::packs::{Audience, audience_sql};

/// A broadcast just started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub broadcast_id: i64,
    pub pack_id: i64,
    /// Deliveries written (active cells of the audience).
    pub targeted: i64,
    /// Cells of the audience not sent to (unbound or unreachable).
    pub skipped: i64,
}

/// A broadcast being written, inside its own write transaction: [`NewBroadcast::open`] writes
/// its row, the caller writes its deliveries through [`NewBroadcast::tx`], and
/// [`NewBroadcast::close`] sets its counts, audits and commits (or [`NewBroadcast::abandon`]
/// writes nothing at all). Packs, late joiners' packs aside, reminders and resends all start so.
pub(crate) struct NewBroadcast {
    tx: crate::db::WriteTx,
    pub id: i64,
    pack_id: i64,
    actor: Actor,
    /// Rung once it is committed ([`work_bell`]).
    bell: std::sync::Arc<tokio::sync::Notify>,
}

impl NewBroadcast {
    /// Writes a running broadcast of `kind` for `pack_id`. Only a pack's own broadcast is summed
    /// up to its author ([`super::progress`]); a reminder's or a resend's is marked reported.
    pub async fn open(
        pool: &DbPool,
        mut tx: crate::db::WriteTx,
        pack_id: i64,
        kind: BroadcastKind,
        actor: Actor,
        now: i64,
    ) -> sqlx::Result<NewBroadcast> {
        let reported_at = (kind != BroadcastKind::Pack).then_some(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO broadcasts (pack_id, kind, state, started_by, created_at, reported_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(pack_id)
        .bind(kind)
        .bind(BroadcastState::Running)
        .bind(actor.user_id())
        .bind(now)
        .bind(reported_at)
        .fetch_one(&mut *tx)
        .await?;
        Ok(NewBroadcast { tx, id, pack_id, actor, bell: work_bell(pool) })
    }

    /// The transaction, to write the deliveries in.
    pub fn tx(&mut self) -> &mut crate::db::DbConn {
        &mut self.tx
    }

    /// Sets the broadcast's counts, writes `action` to the audit log (its details gain the
    /// broadcast's id), and commits.
    pub async fn close(
        mut self,
        targeted: i64,
        skipped: i64,
        action: &str,
        mut details: serde_json::Value,
    ) -> anyhow::Result<Started> {
        sqlx::query("UPDATE broadcasts SET targeted = $1, skipped = $2 WHERE id = $3")
            .bind(targeted)
            .bind(skipped)
            .bind(self.id)
            .execute(&mut *self.tx)
            .await?;
        if let serde_json::Value::Object(map) = &mut details {
            map.insert("broadcast_id".into(), self.id.into());
        }
        audit::record(&mut self.tx, self.actor, action, Some(&self.pack_id.to_string()), "ok", details).await?;
        self.tx.commit().await?;
        self.bell.notify_one();
        Ok(Started { broadcast_id: self.id, pack_id: self.pack_id, targeted, skipped })
    }

    /// Writes nothing: the broadcast and its deliveries are rolled back.
    pub async fn abandon(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds an audience's values ([`audience_sql`]) to a query that holds its condition.
fn with_audience<'q>(mut q: AnyQuery<'q>, binds: &'q [String]) -> AnyQuery<'q> {
    for b in binds {
        q = q.bind(b);
    }
    q
}

/// The bell a process's delivery worker listens for, one per database: rung when deliveries
/// become due at once (a broadcast started, resumed, a late cell added), so that an idle worker,
/// which otherwise looks at the outbox only every few seconds, starts sending now. A ring with no
/// worker listening is kept for its next wait. Work written by another process is found by the
/// worker's own look.
pub fn work_bell(pool: &DbPool) -> std::sync::Arc<tokio::sync::Notify> {
    static BELLS: crate::db::PerDatabase<tokio::sync::Notify> = std::sync::OnceLock::new();
    crate::db::per_database(&BELLS, pool, tokio::sync::Notify::new)
}

/// Starts the broadcast of a scheduled pack; `None` when the pack is not `scheduled` (any more).
pub async fn start(pool: &DbPool, pack_id: i64, actor: Actor, now: i64) -> anyhow::Result<Option<Started>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let audience: Option<String> = sqlx::query_scalar(
        "UPDATE packs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING audience",
    )
    .bind(PackStatus::Sending)
    .bind(now)
    .bind(pack_id)
    .bind(PackStatus::Scheduled)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(audience) = audience else { return Ok(None) };
    let audience = Audience::from_json(&audience).unwrap_or(Audience::All);
    let mut b = NewBroadcast::open(pool, tx, pack_id, BroadcastKind::Pack, actor, now).await?;
    let (cond, binds) = audience_sql(&audience, 3);
    let insert = format!(
        "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, next_attempt_at, district, commune, unit_id)
         SELECT $1, c.id, c.chat_id, 'pending', $2, c.district, c.commune, c.unit_id FROM cells c
         WHERE {cond} AND c.status = 'active' AND c.chat_id IS NOT NULL ORDER BY c.id"
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(b.id).bind(now);
    let targeted = with_audience(q, &binds).execute(b.tx()).await?.rows_affected() as i64;
    let (cond, _) = audience_sql(&audience, 1);
    let count = format!("SELECT count(*) FROM cells c WHERE {cond}");
    let audience_size: i64 =
        sqlx::Row::get(&with_audience(sqlx::query(sqlx::AssertSqlSafe(count)), &binds).fetch_one(b.tx()).await?, 0);
    let skipped = audience_size - targeted;
    // the cells of the audience it cannot reach, by unit, for the figures' "not connected"
    let (cond, _) = audience_sql(&audience, 2);
    let missed = format!(
        "INSERT INTO pack_unit_stats (pack_id, unit_id, not_connected)
         SELECT $1, COALESCE(c.unit_id, (SELECT id FROM units WHERE parent_id IS NULL)), count(*) FROM cells c
         WHERE {cond} AND NOT (c.status = 'active' AND c.chat_id IS NOT NULL) GROUP BY 2
         ON CONFLICT (pack_id, unit_id) DO UPDATE SET not_connected = pack_unit_stats.not_connected + excluded.not_connected"
    );
    with_audience(sqlx::query(sqlx::AssertSqlSafe(missed)).bind(pack_id), &binds).execute(b.tx()).await?;
    let broadcast_id = b.id;
    let started =
        b.close(targeted, skipped, "packs.broadcast", json!({ "targeted": targeted, "skipped": skipped })).await?;
    tracing::info!(pack_id, broadcast_id, targeted, skipped, "broadcast started");
    Ok(Some(started))
}

/// A broadcast has one delivery more (a late joiner's): counted, and run again if it had ended.
async fn one_more(conn: &mut crate::db::DbConn, broadcast_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE broadcasts SET targeted = targeted + 1,
             state = CASE state WHEN 'done' THEN 'running' ELSE state END,
             finished_at = CASE state WHEN 'done' THEN NULL ELSE finished_at END
         WHERE id = $1",
    )
    .bind(broadcast_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How long after a late joiner's pack its hỏi đáp is due: the pack (documents, message) is
/// normally out by then, so the answers read after it.
const LATE_ANSWER_DELAY_S: i64 = 10;

/// Sends a cell that has just joined the packs it missed that are still open: a pack whose
/// broadcast went out (or is going out) before the cell was bound, whose audience takes the cell,
/// and whose deadline (local date, `today`) has not passed. Each gets a delivery in the pack's
/// broadcast, marked late-joined (a finished broadcast runs again for it; a paused one sends it
/// when resumed), and one in each of the pack's `answer` broadcasts (its hỏi đáp), due
/// ten seconds later (`LATE_ANSWER_DELAY_S`). Returns the packs offered.
pub async fn offer_open_packs(
    pool: &DbPool,
    cell_id: i64,
    today: chrono::NaiveDate,
    now: i64,
) -> anyhow::Result<Vec<i64>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let open: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT b.id, b.pack_id, p.audience FROM broadcasts b JOIN packs p ON p.id = b.pack_id
         WHERE b.kind = 'pack' AND b.state IN ('running', 'paused', 'done') AND p.status IN ('sending', 'sent')
           AND p.deadline >= $1
           AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN broadcasts x ON x.id = d.broadcast_id
                           WHERE x.pack_id = b.pack_id AND x.kind = 'pack' AND d.cell_id = $2)
         ORDER BY b.id",
    )
    .bind(today.to_string())
    .bind(cell_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut offered = Vec::new();
    for (broadcast_id, pack_id, audience) in open {
        let audience = Audience::from_json(&audience).unwrap_or(Audience::All);
        let (cond, binds) = audience_sql(&audience, 4);
        let insert = format!(
            "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, next_attempt_at, district, commune, unit_id, late_join)
             SELECT $1, c.id, c.chat_id, 'pending', $2, c.district, c.commune, c.unit_id, 1 FROM cells c
             WHERE c.id = $3 AND {cond} AND c.status = 'active' AND c.chat_id IS NOT NULL"
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(broadcast_id).bind(now).bind(cell_id);
        if with_audience(q, &binds).execute(&mut *tx).await?.rows_affected() == 0 {
            continue;
        }
        one_more(&mut tx, broadcast_id).await?;
        audit::record(
            &mut tx,
            Actor::System,
            "packs.late_join",
            Some(&pack_id.to_string()),
            "ok",
            json!({ "broadcast_id": broadcast_id, "cell_id": cell_id }),
        )
        .await?;
        // the pack's hỏi đáp goes with it, a little after, so that it reads after the pack
        let answers: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM broadcasts WHERE pack_id = $1 AND kind = 'answer' ORDER BY id")
                .bind(pack_id)
                .fetch_all(&mut *tx)
                .await?;
        for answer in answers {
            let added = sqlx::query(
                "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, step, next_attempt_at)
                 SELECT $1, id, chat_id, 'pending', 1, $2 FROM cells WHERE id = $3 AND chat_id IS NOT NULL
                 ON CONFLICT (broadcast_id, cell_id) DO NOTHING",
            )
            .bind(answer)
            .bind(now + LATE_ANSWER_DELAY_S)
            .bind(cell_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added > 0 {
                one_more(&mut tx, answer).await?;
            }
        }
        offered.push(pack_id);
    }
    tx.commit().await?;
    if !offered.is_empty() {
        work_bell(pool).notify_one();
        tracing::info!(cell_id, packs = ?offered, "a cell that joined late is sent the packs still open");
    }
    Ok(offered)
}

/// The newest broadcast of a pack in `state` (e.g. the running one), with its pack's id.
pub async fn latest_in_state(pool: &DbPool, state: BroadcastState) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as("SELECT id, pack_id FROM broadcasts WHERE state = $1 AND kind = 'pack' ORDER BY id DESC LIMIT 1")
        .bind(state)
        .fetch_optional(pool)
        .await
}

/// Pauses (`running` to `paused`) or resumes (`paused` to `running`) a broadcast; false when it
/// was not in the expected state. Sends in flight finish; nothing new starts while paused.
pub async fn set_paused(pool: &DbPool, broadcast_id: i64, paused: bool, actor: Actor) -> anyhow::Result<bool> {
    use BroadcastState::{Paused, Running};
    let (from, to) = if paused { (Running, Paused) } else { (Paused, Running) };
    let mut tx = crate::db::begin_write(pool).await?;
    let changed = sqlx::query("UPDATE broadcasts SET state = $1 WHERE id = $2 AND state = $3")
        .bind(to)
        .bind(broadcast_id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if changed {
        let action = if paused { "broadcasts.pause" } else { "broadcasts.resume" };
        audit::record(&mut tx, actor, action, Some(&broadcast_id.to_string()), "ok", json!({})).await?;
    }
    tx.commit().await?;
    if changed && !paused {
        work_bell(pool).notify_one();
    }
    Ok(changed)
}

/// Cancels a draft or scheduled pack, or stops the broadcast of one being sent.
pub async fn cancel_pack(pool: &DbPool, id: i64, actor: Actor) -> anyhow::Result<Result<(), ScheduleError>> {
    let Some(pack) = store::get(pool, id).await? else { return Ok(Err(ScheduleError::NoSuchPack(id))) };
    if pack.status == PackStatus::Sending && cancel_running(pool, id, actor).await? {
        return Ok(Ok(()));
    }
    if !pack.status.is_unsent() {
        return Ok(Err(ScheduleError::WrongStatus { id, status: pack.status, what: "cancelled" }));
    }
    let mut tx = crate::db::begin_write(pool).await?;
    sqlx::query("UPDATE packs SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(PackStatus::Cancelled)
        .bind(crate::dates::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, actor, "packs.cancel", Some(&id.to_string()), "ok", json!({ "was": pack.status })).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Cancels a pack's running or paused broadcast: its pending deliveries are not sent.
pub async fn cancel_running(pool: &DbPool, pack_id: i64, actor: Actor) -> anyhow::Result<bool> {
    let mut tx = crate::db::begin_write(pool).await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE broadcasts SET state = 'cancelled', finished_at = $1 WHERE pack_id = $2 AND state IN ('running', 'paused') RETURNING id",
    )
    .bind(crate::dates::now())
    .bind(pack_id)
    .fetch_all(&mut *tx)
    .await?;
    for id in &ids {
        sqlx::query("UPDATE deliveries SET state = 'cancelled' WHERE broadcast_id = $1 AND state = 'pending'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let changed =
        sqlx::query("UPDATE packs SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'sending'")
            .bind(crate::dates::now())
            .bind(pack_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    if changed {
        audit::record(
            &mut tx,
            actor,
            "packs.cancel",
            Some(&pack_id.to_string()),
            "ok",
            json!({ "was": PackStatus::Sending }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Which pack's documents go again, to which cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend {
    pub pack_id: i64,
    pub cell_id: i64,
}

/// Sends the answer to question `question_id` to every cell its pack was sent to (the cell's
/// chat now), as a hỏi đáp of the pack: marks the question so and starts an `answer` broadcast
/// (no documents, no buttons) in one transaction. `skip_cell` (the asking cell, when it had the
/// answer already) is left out. `None` when the question was sent to every cell before, or has no
/// answer.
pub async fn answer_all(
    pool: &DbPool,
    question_id: i64,
    skip_cell: Option<i64>,
    actor: Actor,
    now: i64,
) -> anyhow::Result<Option<Started>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let pack_id: Option<i64> = sqlx::query_scalar(
        "UPDATE pack_questions SET faq = 1 WHERE id = $1 AND faq = 0 AND answer IS NOT NULL RETURNING pack_id",
    )
    .bind(question_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(pack_id) = pack_id else { return Ok(None) };
    let mut b = NewBroadcast::open(pool, tx, pack_id, BroadcastKind::Answer, actor, now).await?;
    sqlx::query("UPDATE broadcasts SET question_id = $1 WHERE id = $2")
        .bind(question_id)
        .bind(b.id)
        .execute(b.tx())
        .await?;
    let targeted = sqlx::query(
        "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, step, next_attempt_at)
         SELECT $1, c.id, c.chat_id, 'pending', 1, $2 FROM cells c
         WHERE c.status = 'active' AND c.chat_id IS NOT NULL AND c.id IS DISTINCT FROM $4
           AND EXISTS (SELECT 1 FROM deliveries d JOIN broadcasts p ON p.id = d.broadcast_id
                       WHERE p.pack_id = $3 AND p.kind = 'pack' AND d.cell_id = c.id AND d.state = 'sent')",
    )
    .bind(b.id)
    .bind(now)
    .bind(pack_id)
    .bind(skip_cell)
    .execute(b.tx())
    .await?
    .rows_affected() as i64;
    let started = b.close(targeted, 0, "question.answered_all", json!({ "question_id": question_id })).await?;
    tracing::info!(pack_id, question_id, cells = targeted, "an answer sent to every cell of its pack");
    Ok(Some(started))
}

/// Sends a pack's documents to one cell again, at its request (a `resend` broadcast of one
/// delivery). False when the same request is still waiting to go out.
pub async fn resend(pool: &DbPool, target: Resend, actor: Actor, now: i64) -> anyhow::Result<bool> {
    let mut tx = crate::db::begin_write(pool).await?;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.kind = 'resend' AND b.pack_id = $1 AND d.cell_id = $2 AND d.state IN ('pending', 'sending')",
    )
    .bind(target.pack_id)
    .bind(target.cell_id)
    .fetch_one(&mut *tx)
    .await?;
    if waiting > 0 {
        return Ok(false);
    }
    let mut b = NewBroadcast::open(pool, tx, target.pack_id, BroadcastKind::Resend, actor, now).await?;
    // to the cell's chat now (a group may have migrated since the pack went out)
    let targeted = sqlx::query(
        "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, next_attempt_at)
         SELECT $1, id, chat_id, 'pending', $2 FROM cells WHERE id = $3 AND chat_id IS NOT NULL",
    )
    .bind(b.id)
    .bind(now)
    .bind(target.cell_id)
    .execute(b.tx())
    .await?
    .rows_affected() as i64;
    let started = b.close(targeted, 0, "packs.resend", json!({ "cell_id": target.cell_id })).await?;
    tracing::info!(
        pack_id = target.pack_id,
        cell_id = target.cell_id,
        broadcast_id = started.broadcast_id,
        "documents sent again on request"
    );
    Ok(true)
}
