//! Binding a cell to its chat with an invite code, and following that chat afterwards: removed or
//! blocked (unreachable), added back (active again), upgraded to a supergroup (new chat id).
//! A chat belongs to at most one cell and a cell to at most one chat.

use serde_json::json;
use sqlx::SqlitePool;

use super::Cell;
use super::invites::InviteCode;
use crate::audit::{self, Actor};

/// Failed codes a chat may try within an hour; after that its attempts are ignored for the hour.
pub const MAX_FAILURES_PER_HOUR: i64 = 5;

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such code.
    Unknown,
    /// Already used to bind a chat.
    Used,
    /// Past its validity.
    Expired,
    /// Replaced by a newer code for the same cell.
    Revoked,
    /// The cell was retired from the registry.
    Retired,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::Used => "used",
            Refusal::Expired => "expired",
            Refusal::Revoked => "revoked",
            Refusal::Retired => "retired",
        }
    }
}

/// What became of a `/start <code>`.
#[derive(Debug, Clone)]
pub enum Redeemed {
    /// The chat is now the cell's. `old_chat`: the chat the cell had before (to be told);
    /// `replaced_cell`: the cell this chat served before, if another.
    Bound {
        cell: Box<Cell>,
        old_chat: Option<i64>,
        replaced_cell: Option<String>,
    },
    Refused(Refusal),
    /// Too many failed codes from this chat within the hour: ignored without an answer.
    Throttled,
}

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: i64,
    cell_id: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    status: String,
}

/// Redeems `code` for the chat `chat_id` (of type private/group/supergroup), on behalf of `user_id`.
pub async fn redeem(
    pool: &SqlitePool,
    code: &str,
    chat_id: i64,
    chat_type: &str,
    user_id: i64,
) -> anyhow::Result<Redeemed> {
    let now = crate::db::now();
    let mut tx = crate::db::begin_write(pool).await?;
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM invite_failures WHERE chat_id = ? AND at > ?")
        .bind(chat_id)
        .bind(now - 3600)
        .fetch_one(&mut *tx)
        .await?;
    if failures >= MAX_FAILURES_PER_HOUR {
        tracing::warn!(chat_id, user_id, failures, "invite attempt ignored: too many failed codes from this chat");
        return Ok(Redeemed::Throttled);
    }
    let invite: Option<InviteRow> = match InviteCode::parse(code) {
        Some(c) => {
            sqlx::query_as(
                "SELECT i.id, i.cell_id, i.expires_at, i.used_at, i.revoked_at, c.status
                 FROM invites i JOIN cells c ON c.id = i.cell_id WHERE i.code_hash = ?",
            )
            .bind(c.hash())
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let refusal = match &invite {
        None => Some(Refusal::Unknown),
        Some(i) if i.used_at.is_some() => Some(Refusal::Used),
        Some(i) if i.revoked_at.is_some() => Some(Refusal::Revoked),
        Some(i) if i.expires_at <= now => Some(Refusal::Expired),
        Some(i) if i.status == "retired" => Some(Refusal::Retired),
        Some(_) => None,
    };
    let invite = match (refusal, invite) {
        (None, Some(i)) => i,
        (refusal, _) => {
            let refusal = refusal.unwrap_or(Refusal::Unknown);
            return refuse(tx, chat_id, user_id, refusal, now).await;
        }
    };
    // single use, even when two chats race with the same code
    let claimed = sqlx::query(
        "UPDATE invites SET used_at = ?, used_by_chat = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(chat_id)
    .bind(invite.id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return refuse(tx, chat_id, user_id, Refusal::Used, now).await;
    }
    let replaced_cell: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM cells WHERE chat_id = ? AND id != ?")
            .bind(chat_id)
            .bind(invite.cell_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((id, name)) = &replaced_cell {
        audit::record(
            &mut tx,
            Actor::User(user_id),
            "cells.unbind",
            Some(name),
            "ok",
            json!({ "chat_id": chat_id, "cell_id": id }),
        )
        .await?;
        sqlx::query(
            "UPDATE cells SET chat_id = NULL, chat_type = NULL, bound_at = NULL, unreachable_reason = NULL, unreachable_at = NULL,
                 status = CASE status WHEN 'retired' THEN 'retired' ELSE 'unbound' END, updated_at = ? WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let old_chat: Option<i64> =
        sqlx::query_scalar("SELECT chat_id FROM cells WHERE id = ?").bind(invite.cell_id).fetch_one(&mut *tx).await?;
    let old_chat = old_chat.filter(|c| *c != chat_id);
    if let Some(old) = old_chat {
        audit::record(
            &mut tx,
            Actor::User(user_id),
            "cells.unbind",
            None,
            "ok",
            json!({ "chat_id": old, "cell_id": invite.cell_id }),
        )
        .await?;
    }
    sqlx::query(
        "UPDATE cells SET chat_id = ?, chat_type = ?, status = 'active', bound_at = ?, last_seen_at = ?,
             unreachable_reason = NULL, unreachable_at = NULL, updated_at = ? WHERE id = ?",
    )
    .bind(chat_id)
    .bind(chat_type)
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(invite.cell_id)
    .execute(&mut *tx)
    .await?;
    let cell = super::by_id(&mut tx, invite.cell_id).await?;
    audit::record(
        &mut tx,
        Actor::User(user_id),
        "cells.bind",
        Some(&cell.code),
        "ok",
        json!({ "chat_id": chat_id, "chat_type": chat_type, "old_chat": old_chat, "replaced_cell": replaced_cell.as_ref().map(|c| &c.1) }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(cell = %cell.code, chat_id, old_chat, "cell bound to its chat");
    Ok(Redeemed::Bound { cell: Box::new(cell), old_chat, replaced_cell: replaced_cell.map(|c| c.1) })
}

async fn refuse(
    mut tx: crate::db::WriteTx,
    chat_id: i64,
    user_id: i64,
    refusal: Refusal,
    now: i64,
) -> anyhow::Result<Redeemed> {
    sqlx::query("INSERT INTO invite_failures (chat_id, at) VALUES (?, ?)")
        .bind(chat_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Actor::User(user_id),
        "cells.bind",
        None,
        "refused",
        json!({ "chat_id": chat_id, "reason": refusal.as_str() }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(chat_id, user_id, reason = refusal.as_str(), "invite code refused");
    Ok(Redeemed::Refused(refusal))
}

/// Runs an `UPDATE cells ... RETURNING code` in a transaction and audits it when a cell changed.
async fn change_cell<'q, A>(
    pool: &SqlitePool,
    update: sqlx::query::QueryScalar<'q, sqlx::Sqlite, String, A>,
    action: &str,
    details: serde_json::Value,
) -> anyhow::Result<Option<String>>
where
    A: sqlx::IntoArguments<sqlx::Sqlite> + 'q,
{
    let mut tx = crate::db::begin_write(pool).await?;
    let code = update.fetch_optional(&mut *tx).await?;
    if let Some(c) = &code {
        audit::record(&mut tx, Actor::System, action, Some(c), "ok", details).await?;
    }
    tx.commit().await?;
    Ok(code)
}

/// The bot was removed from, or blocked in, `chat_id`: its cell becomes unreachable. Returns the
/// cell's code when a cell was affected.
pub async fn mark_unreachable(pool: &SqlitePool, chat_id: i64, reason: &str) -> anyhow::Result<Option<String>> {
    let now = crate::db::now();
    let update = sqlx::query_scalar(
        "UPDATE cells SET status = 'unreachable', unreachable_reason = ?, unreachable_at = ?, updated_at = ?
         WHERE chat_id = ? AND status IN ('active', 'unreachable') RETURNING code",
    )
    .bind(reason)
    .bind(now)
    .bind(now)
    .bind(chat_id);
    change_cell(pool, update, "cells.unreachable", json!({ "chat_id": chat_id, "reason": reason })).await
}

/// The bot is back in `chat_id` (re-added, unblocked): its cell is active again.
pub async fn mark_reachable(pool: &SqlitePool, chat_id: i64) -> anyhow::Result<Option<String>> {
    let now = crate::db::now();
    let update = sqlx::query_scalar(
        "UPDATE cells SET status = 'active', unreachable_reason = NULL, unreachable_at = NULL, last_seen_at = ?, updated_at = ?
         WHERE chat_id = ? AND status = 'unreachable' RETURNING code",
    )
    .bind(now)
    .bind(now)
    .bind(chat_id);
    change_cell(pool, update, "cells.reachable", json!({ "chat_id": chat_id })).await
}

/// A group became a supergroup with a new id: its cell follows, and so do the deliveries sent to
/// the group (their messages, buttons included, are the supergroup's now).
pub async fn migrate_chat(pool: &SqlitePool, old_chat: i64, new_chat: i64) -> anyhow::Result<Option<String>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let code: Option<String> = sqlx::query_scalar(
        "UPDATE cells SET chat_id = ?, chat_type = 'supergroup', updated_at = ? WHERE chat_id = ? RETURNING code",
    )
    .bind(new_chat)
    .bind(crate::db::now())
    .bind(old_chat)
    .fetch_optional(&mut *tx)
    .await?;
    let moved = sqlx::query("UPDATE deliveries SET chat_id = ? WHERE chat_id = ?")
        .bind(new_chat)
        .bind(old_chat)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if let Some(c) = &code {
        let details = json!({ "from": old_chat, "to": new_chat, "deliveries": moved });
        audit::record(&mut tx, Actor::System, "cells.migrate", Some(c), "ok", details).await?;
    }
    tx.commit().await?;
    Ok(code)
}

/// Notes that a bound chat was heard from at `now`, in the write turn (the caller asks at most
/// once a minute a chat).
pub async fn touch(pool: &SqlitePool, chat_id: i64, now: i64) -> sqlx::Result<()> {
    let _turn = crate::db::take_write_turn(pool).await;
    sqlx::query("UPDATE cells SET last_seen_at = ? WHERE chat_id = ?").bind(now).bind(chat_id).execute(pool).await?;
    Ok(())
}
