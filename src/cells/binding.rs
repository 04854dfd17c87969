//! Binding a cell to its chat with an invite code, and following that chat afterwards: removed or
//! blocked (unreachable), added back (active again), upgraded to a supergroup (new chat id).
//! A chat belongs to at most one cell and a cell to at most one chat.

use crate::db::DbPool;
use serde_json::json;

use super::Cell;
use super::invites::InviteCode;
use crate::audit::{self, Actor};

/// Failed codes a user (in any chat), or a private chat, may try within an hour; after that their
/// attempts are ignored for the hour.
pub const MAX_FAILURES_PER_HOUR: i64 = 5;
/// Failed codes a group may see within an hour, from all its members: higher than a user's, so
/// that one hostile member cannot lock the group's binding alone.
pub const MAX_GROUP_FAILURES_PER_HOUR: i64 = 20;
/// Failed-code rows are kept this long (seconds), then pruned.
pub const FAILURES_KEPT_S: i64 = 86_400;

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
    /// Too many failed codes from this user or chat within the hour: ignored without an answer.
    Throttled,
    /// The cell is connected to another chat already: moving it waits for a board member's
    /// confirmation (request `move_id`).
    MoveAsked {
        cell: Box<Cell>,
        move_id: i64,
    },
}

/// What a board member's decision on a move did.
#[derive(Debug, Clone)]
pub enum MoveDecided {
    /// Moved: the cell, its old chat and the new one, and the cell the new chat served before.
    Moved { cell: Box<Cell>, old_chat: Option<i64>, new_chat: i64, replaced_cell: Option<String> },
    /// Refused: the chat that asked.
    Refused { cell: Box<Cell>, chat: i64 },
    /// Decided already, or no such request.
    Gone,
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
    pool: &DbPool,
    code: &str,
    chat_id: i64,
    chat_type: &str,
    user_id: i64,
) -> anyhow::Result<Redeemed> {
    let now = crate::dates::now();
    let mut tx = crate::db::begin_write(pool).await?;
    let (by_chat, by_user): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM invite_failures WHERE chat_id = $1 AND at > $3),
                (SELECT count(*) FROM invite_failures WHERE user_id = $2 AND at > $3)",
    )
    .bind(chat_id)
    .bind(user_id)
    .bind(now - 3600)
    .fetch_one(&mut *tx)
    .await?;
    let chat_limit = if chat_type == "private" { MAX_FAILURES_PER_HOUR } else { MAX_GROUP_FAILURES_PER_HOUR };
    if by_user >= MAX_FAILURES_PER_HOUR || by_chat >= chat_limit {
        tracing::warn!(
            chat_id,
            user_id,
            by_chat,
            by_user,
            "invite attempt ignored: too many failed codes from this user or chat"
        );
        return Ok(Redeemed::Throttled);
    }
    let invite: Option<InviteRow> = match InviteCode::parse(code) {
        Some(c) => {
            sqlx::query_as(
                "SELECT i.id, i.cell_id, i.expires_at, i.used_at, i.revoked_at, c.status
                 FROM invites i JOIN cells c ON c.id = i.cell_id WHERE i.code_hash = $1",
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
        "UPDATE invites SET used_at = $1, used_by_chat = $2 WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(chat_id)
    .bind(invite.id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return refuse(tx, chat_id, user_id, Refusal::Used, now).await;
    }
    // a cell connected to another chat moves only when a board member says so
    let current: (Option<i64>, String) = sqlx::query_as("SELECT chat_id, status FROM cells WHERE id = $1")
        .bind(invite.cell_id)
        .fetch_one(&mut *tx)
        .await?;
    if current.0.is_some_and(|c| c != chat_id) && matches!(current.1.as_str(), "active" | "unreachable") {
        sqlx::query(
            "UPDATE cell_moves SET outcome = 'superseded', decided_at = $1 WHERE cell_id = $2 AND outcome IS NULL",
        )
        .bind(now)
        .bind(invite.cell_id)
        .execute(&mut *tx)
        .await?;
        let move_id: i64 = sqlx::query_scalar(
            "INSERT INTO cell_moves (cell_id, chat_id, chat_type, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(invite.cell_id)
        .bind(chat_id)
        .bind(chat_type)
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let cell = super::by_id(&mut tx, invite.cell_id).await?;
        audit::record(
            &mut tx,
            Actor::User(user_id),
            "cells.move_asked",
            Some(&cell.code),
            "ok",
            json!({ "move_id": move_id, "chat_id": chat_id, "from_chat": current.0 }),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(cell = %cell.code, chat_id, move_id, "an invite asks to move a connected cell; waiting for the board");
        return Ok(Redeemed::MoveAsked { cell: Box::new(cell), move_id });
    }
    let (cell, old_chat, replaced_cell) = bind_in(&mut tx, invite.cell_id, chat_id, chat_type, user_id, now).await?;
    tx.commit().await?;
    tracing::info!(cell = %cell.code, chat_id, old_chat, "cell bound to its chat");
    Ok(Redeemed::Bound { cell: Box::new(cell), old_chat, replaced_cell })
}

/// Binds `cell_id` to `chat_id` inside `tx`: the cell the chat served before is unbound, the
/// cell's old chat let go, both audited. Returns the cell, its old chat, the replaced cell's name.
async fn bind_in(
    tx: &mut crate::db::WriteTx,
    cell_id: i64,
    chat_id: i64,
    chat_type: &str,
    user_id: i64,
    now: i64,
) -> anyhow::Result<(Cell, Option<i64>, Option<String>)> {
    let replaced_cell: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM cells WHERE chat_id = $1 AND id != $2")
            .bind(chat_id)
            .bind(cell_id)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some((id, name)) = &replaced_cell {
        audit::record(
            tx,
            Actor::User(user_id),
            "cells.unbind",
            Some(name),
            "ok",
            json!({ "chat_id": chat_id, "cell_id": id }),
        )
        .await?;
        sqlx::query(
            "UPDATE cells SET chat_id = NULL, chat_type = NULL, bound_at = NULL, unreachable_reason = NULL, unreachable_at = NULL,
                 status = CASE status WHEN 'retired' THEN 'retired' ELSE 'unbound' END, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    let old_chat: Option<i64> =
        sqlx::query_scalar("SELECT chat_id FROM cells WHERE id = $1").bind(cell_id).fetch_one(&mut **tx).await?;
    let old_chat = old_chat.filter(|c| *c != chat_id);
    if let Some(old) = old_chat {
        audit::record(
            tx,
            Actor::User(user_id),
            "cells.unbind",
            None,
            "ok",
            json!({ "chat_id": old, "cell_id": cell_id }),
        )
        .await?;
    }
    sqlx::query(
        "UPDATE cells SET chat_id = $1, chat_type = $2, status = 'active', bound_at = $3, last_seen_at = $4,
             unreachable_reason = NULL, unreachable_at = NULL, updated_at = $5 WHERE id = $6",
    )
    .bind(chat_id)
    .bind(chat_type)
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(cell_id)
    .execute(&mut **tx)
    .await?;
    let cell = super::by_id(tx, cell_id).await?;
    audit::record(
        tx,
        Actor::User(user_id),
        "cells.bind",
        Some(&cell.code),
        "ok",
        json!({ "chat_id": chat_id, "chat_type": chat_type, "old_chat": old_chat, "replaced_cell": replaced_cell.as_ref().map(|c| &c.1) }),
    )
    .await?;
    Ok((cell, old_chat, replaced_cell.map(|c| c.1)))
}

/// A board member's decision on a move asked by an invite: `move_it` moves the cell to the chat
/// that asked (as the invite would have), else the request is refused. Decided once.
pub async fn decide_move(pool: &DbPool, move_id: i64, move_it: bool, by: i64) -> anyhow::Result<MoveDecided> {
    let now = crate::dates::now();
    let mut tx = crate::db::begin_write(pool).await?;
    let row: Option<(i64, i64, String, i64)> = sqlx::query_as(
        "UPDATE cell_moves SET outcome = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND outcome IS NULL
         RETURNING cell_id, chat_id, chat_type, requested_by",
    )
    .bind(if move_it { "moved" } else { "refused" })
    .bind(by)
    .bind(now)
    .bind(move_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((cell_id, chat_id, chat_type, asked_by)) = row else { return Ok(MoveDecided::Gone) };
    if !move_it {
        let cell = super::by_id(&mut tx, cell_id).await?;
        audit::record(
            &mut tx,
            Actor::User(by),
            "cells.move",
            Some(&cell.code),
            "refused",
            json!({ "move_id": move_id, "chat_id": chat_id }),
        )
        .await?;
        tx.commit().await?;
        return Ok(MoveDecided::Refused { cell: Box::new(cell), chat: chat_id });
    }
    let (cell, old_chat, replaced_cell) = bind_in(&mut tx, cell_id, chat_id, &chat_type, asked_by, now).await?;
    audit::record(
        &mut tx,
        Actor::User(by),
        "cells.move",
        Some(&cell.code),
        "ok",
        json!({ "move_id": move_id, "chat_id": chat_id, "from_chat": old_chat }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(cell = %cell.code, chat_id, old_chat, move_id, "a board member moved a cell to a new chat");
    Ok(MoveDecided::Moved { cell: Box::new(cell), old_chat, new_chat: chat_id, replaced_cell })
}

async fn refuse(
    mut tx: crate::db::WriteTx,
    chat_id: i64,
    user_id: i64,
    refusal: Refusal,
    now: i64,
) -> anyhow::Result<Redeemed> {
    sqlx::query("INSERT INTO invite_failures (chat_id, user_id, at) VALUES ($1, $2, $3)")
        .bind(chat_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM invite_failures WHERE at < $1").bind(now - FAILURES_KEPT_S).execute(&mut *tx).await?;
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
    pool: &DbPool,
    update: sqlx::query::QueryScalar<'q, sqlx::Any, String, A>,
    action: &str,
    details: serde_json::Value,
) -> anyhow::Result<Option<String>>
where
    A: sqlx::IntoArguments<sqlx::Any> + 'q,
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
pub async fn mark_unreachable(pool: &DbPool, chat_id: i64, reason: &str) -> anyhow::Result<Option<String>> {
    let now = crate::dates::now();
    let update = sqlx::query_scalar(
        "UPDATE cells SET status = 'unreachable', unreachable_reason = $1, unreachable_at = $2, updated_at = $3
         WHERE chat_id = $4 AND status IN ('active', 'unreachable') RETURNING code",
    )
    .bind(reason)
    .bind(now)
    .bind(now)
    .bind(chat_id);
    change_cell(pool, update, "cells.unreachable", json!({ "chat_id": chat_id, "reason": reason })).await
}

/// The bot is back in `chat_id` (re-added, unblocked): its cell is active again.
pub async fn mark_reachable(pool: &DbPool, chat_id: i64) -> anyhow::Result<Option<String>> {
    let now = crate::dates::now();
    let update = sqlx::query_scalar(
        "UPDATE cells SET status = 'active', unreachable_reason = NULL, unreachable_at = NULL, last_seen_at = $1, updated_at = $2
         WHERE chat_id = $3 AND status = 'unreachable' RETURNING code",
    )
    .bind(now)
    .bind(now)
    .bind(chat_id);
    change_cell(pool, update, "cells.reachable", json!({ "chat_id": chat_id })).await
}

/// A group became a supergroup with a new id: its cell follows, and so do the deliveries sent to
/// the group (their messages, buttons included, are the supergroup's now).
pub async fn migrate_chat(pool: &DbPool, old_chat: i64, new_chat: i64) -> anyhow::Result<Option<String>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let code: Option<String> = sqlx::query_scalar(
        "UPDATE cells SET chat_id = $1, chat_type = 'supergroup', updated_at = $2 WHERE chat_id = $3 RETURNING code",
    )
    .bind(new_chat)
    .bind(crate::dates::now())
    .bind(old_chat)
    .fetch_optional(&mut *tx)
    .await?;
    let moved = sqlx::query("UPDATE deliveries SET chat_id = $1 WHERE chat_id = $2")
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
pub async fn touch(pool: &DbPool, chat_id: i64, now: i64) -> sqlx::Result<()> {
    let _turn = crate::db::take_write_turn(pool).await;
    sqlx::query("UPDATE cells SET last_seen_at = $1 WHERE chat_id = $2").bind(now).bind(chat_id).execute(pool).await?;
    Ok(())
}
