//! Starting a broadcast: in one transaction the pack goes from `scheduled` to `sending`, the
//! broadcast row is written, and one `pending` delivery per active cell of the audience. Cells
//! that are unbound or unreachable are counted, not sent to. A pack that is no longer `scheduled`
//! is left alone: a broadcast never starts twice.

use serde_json::json;
use sqlx::SqlitePool;

use crate::audit::{self, Actor};
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

/// Starts the broadcast of a scheduled pack; `None` when the pack is not `scheduled` (any more).
pub async fn start(pool: &SqlitePool, pack_id: i64, actor: Actor, now: i64) -> anyhow::Result<Option<Started>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let audience: Option<String> = sqlx::query_scalar(
        "UPDATE packs SET status = 'sending', updated_at = ? WHERE id = ? AND status = 'scheduled' RETURNING audience",
    )
    .bind(now)
    .bind(pack_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(audience) = audience else { return Ok(None) };
    let audience = Audience::from_json(&audience).unwrap_or(Audience::All);
    let started_by = actor.user_id();
    let broadcast_id: i64 =
        sqlx::query_scalar("INSERT INTO broadcasts (pack_id, kind, state, started_by, created_at) VALUES (?, 'pack', 'running', ?, ?) RETURNING id")
            .bind(pack_id)
            .bind(started_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
    let (cond, binds) = audience_sql(&audience);
    let insert = format!(
        "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, next_attempt_at)
         SELECT ?, c.id, c.chat_id, 'pending', ? FROM cells c
         WHERE {cond} AND c.status = 'active' AND c.chat_id IS NOT NULL ORDER BY c.id"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(broadcast_id).bind(now);
    for b in &binds {
        q = q.bind(b);
    }
    let targeted = q.execute(&mut *tx).await?.rows_affected() as i64;
    let count = format!("SELECT count(*) FROM cells c WHERE {cond}");
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count));
    for b in &binds {
        q = q.bind(b);
    }
    let skipped = q.fetch_one(&mut *tx).await? - targeted;
    sqlx::query("UPDATE broadcasts SET targeted = ?, skipped = ? WHERE id = ?")
        .bind(targeted)
        .bind(skipped)
        .bind(broadcast_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        "packs.broadcast",
        Some(&pack_id.to_string()),
        "ok",
        json!({ "broadcast_id": broadcast_id, "targeted": targeted, "skipped": skipped }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(pack_id, broadcast_id, targeted, skipped, "broadcast started");
    Ok(Some(Started { broadcast_id, pack_id, targeted, skipped }))
}
