//! Following the chats: the bot removed from a group or blocked in private marks the chat's cell
//! unreachable; added back or unblocked restores it; a group upgraded to a supergroup keeps its
//! cell under the new id.

use std::sync::Arc;

use teloxide::types::{ChatMemberKind, ChatMemberUpdated, Message};

use super::{Ctx, HandlerResult};
use crate::cells::binding;

pub(super) async fn on_my_chat_member(update: ChatMemberUpdated, ctx: Arc<Ctx>) -> HandlerResult {
    let chat_id = update.chat.id.0;
    let private = update.chat.is_private();
    let result = match &update.new_chat_member.kind {
        ChatMemberKind::Banned(_) if private => {
            binding::mark_unreachable(&ctx.pool, chat_id, "blocked by the user").await?
        }
        ChatMemberKind::Banned(_) | ChatMemberKind::Left => {
            binding::mark_unreachable(&ctx.pool, chat_id, "removed from the group").await?
        }
        ChatMemberKind::Member { .. } | ChatMemberKind::Administrator(_) | ChatMemberKind::Owner(_) => {
            binding::mark_reachable(&ctx.pool, chat_id).await?
        }
        ChatMemberKind::Restricted(r) if r.is_member => binding::mark_reachable(&ctx.pool, chat_id).await?,
        ChatMemberKind::Restricted(_) => {
            binding::mark_unreachable(&ctx.pool, chat_id, "removed from the group").await?
        }
    };
    tracing::info!(chat_id, new = ?update.new_chat_member.kind, cell = ?result, "the bot's membership changed");
    Ok(())
}

pub(super) async fn on_migration(msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let (old, new) = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(to), _) => (msg.chat.id.0, to.0),
        (None, Some(from)) => (from.0, msg.chat.id.0),
        (None, None) => return Ok(()),
    };
    if let Some(code) = binding::migrate_chat(&ctx.pool, old, new).await? {
        tracing::info!(cell = %code, from = old, to = new, "group migrated to a supergroup; the cell follows");
    }
    Ok(())
}
