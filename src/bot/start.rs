//! `/start`: a welcome, or, with an invite code (typed, or from a `?start=` / `?startgroup=` link),
//! the binding of this chat to the code's cell.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::ChatKind;

use super::{Ctx, HandlerResult, say};
use crate::cells::binding::{self, Redeemed, Refusal};
use crate::i18n::{Args, Locale};

fn chat_type(msg: &Message) -> &'static str {
    match &msg.chat.kind {
        ChatKind::Private(_) => "private",
        _ if msg.chat.is_supergroup() => "supergroup",
        _ => "group",
    }
}

pub(super) async fn on_start(bot: &Bot, msg: &Message, code: &str, ctx: &Arc<Ctx>, locale: Locale) -> HandlerResult {
    let chat = msg.chat.id;
    let c = &ctx.catalog;
    let user_id = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or(0);
    if code.is_empty() {
        let mut text = if msg.chat.is_private() {
            let name = msg.from.as_ref().map(|u| crate::text::clean_name(&u.first_name)).unwrap_or_default();
            c.t(locale, "welcome-private", Args::new().user("name", &name))
        } else {
            c.t(
                locale,
                "welcome-group",
                Args::new().user("title", &crate::text::clean_name(msg.chat.title().unwrap_or_default())),
            )
        };
        let mut conn = ctx.pool.acquire().await?;
        if let Some(cell) = crate::cells::by_chat(&mut conn, chat.0).await? {
            text.push_str("\n\n");
            text.push_str(&c.t(
                locale,
                "start-bound-note",
                Args::new().user("cell", &cell.name).user("district", &cell.district),
            ));
        }
        drop(conn);
        if msg.chat.is_private() {
            super::staff::refresh_menu(bot, ctx, user_id).await;
        }
        return say(&ctx.replies, chat, text).await;
    }
    match binding::redeem(&ctx.pool, code, chat.0, chat_type(msg), user_id).await? {
        Redeemed::Throttled => Ok(()),
        Redeemed::Refused(why) => {
            let key = match why {
                Refusal::Unknown => "invite-unknown",
                Refusal::Used => "invite-used",
                Refusal::Expired => "invite-expired",
                Refusal::Revoked => "invite-revoked",
                Refusal::Retired => "invite-retired",
            };
            say(&ctx.replies, chat, c.s(locale, key)).await
        }
        Redeemed::Bound { cell, old_chat, replaced_cell } => {
            let mut text =
                c.t(locale, "bind-ok", Args::new().user("cell", &cell.name).user("district", &cell.district));
            if let Some(old) = &replaced_cell {
                text.push_str("\n\n");
                text.push_str(&c.t(locale, "bind-replaced", Args::new().user("old", old).user("cell", &cell.name)));
            }
            // the packs that went out before the cell joined and are still open come now
            let today = chrono::Utc::now().with_timezone(&ctx.config.timezone).date_naive();
            match crate::delivery::broadcast::offer_open_packs(&ctx.pool, cell.id, today, crate::db::now()).await {
                Ok(offered) if !offered.is_empty() => {
                    text.push_str("\n\n");
                    text.push_str(&c.t(locale, "bind-late-packs", Args::new().raw("count", offered.len() as i64)));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(cell_id = cell.id, error = %format!("{e:#}"), "failed to offer the open packs to a cell that joined")
                }
            }
            say(&ctx.replies, chat, text).await?;
            if let Some(old) = old_chat {
                let old_locale = ctx.locale(ChatId(old)).await;
                let note = c.t(old_locale, "bind-moved-away", Args::new().user("cell", &cell.name));
                // the old chat may have blocked or removed the bot: that is no reason to fail
                if let Err(e) = say(&ctx.replies, ChatId(old), note).await {
                    tracing::info!(chat_id = old, error = %crate::logging::redact(&e.to_string()), "could not tell the old chat it was unbound");
                }
            }
            Ok(())
        }
    }
}
