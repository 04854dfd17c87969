//! `/start`: a welcome, or, with an invite code (typed, or from a `?start=` / `?startgroup=` link),
//! the binding of this chat to the code's cell.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::ChatKind;

use super::{Ctx, HandlerResult, say};
use crate::cells::binding::{self, Redeemed, Refusal};
use crate::i18n::{Args, Locale};
use crate::telegram::button::Button;

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
        Redeemed::MoveAsked { cell, move_id } => {
            say(&ctx.replies, chat, c.t(locale, "move-asked", Args::new().user("cell", &cell.name))).await?;
            ask_board_to_move(ctx, &cell, move_id, msg).await
        }
        Redeemed::Bound { cell, old_chat, replaced_cell } => {
            let mut text = bound_text(ctx, locale, &cell, replaced_cell.as_deref());
            // the packs that went out before the cell joined and are still open come now
            let today = chrono::Utc::now().with_timezone(&ctx.config.timezone).date_naive();
            match crate::delivery::broadcast::offer_open_packs(&ctx.pool, cell.id, today, crate::dates::now()).await {
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
                tell_moved_away(ctx, old, &cell.name).await?;
            }
            Ok(())
        }
    }
}

/// "Connected": what a chat is told when it becomes `cell`'s, and of the cell it served before.
pub(super) fn bound_text(ctx: &Ctx, locale: Locale, cell: &crate::cells::Cell, replaced: Option<&str>) -> String {
    let c = &ctx.catalog;
    let mut text = c.t(locale, "bind-ok", Args::new().user("cell", &cell.name).user("district", &cell.district));
    if let Some(old) = replaced {
        text.push_str("\n\n");
        text.push_str(&c.t(locale, "bind-replaced", Args::new().user("old", old).user("cell", &cell.name)));
    }
    text
}

/// Tells a chat that its cell is connected elsewhere now.
pub(super) async fn tell_moved_away(ctx: &Ctx, old: i64, cell: &str) -> HandlerResult {
    let old_locale = ctx.locale(ChatId(old)).await;
    say(&ctx.replies, ChatId(old), ctx.catalog.t(old_locale, "bind-moved-away", Args::new().user("cell", cell))).await
}

/// Asks every admin and board member, in their private chat, to confirm or refuse moving `cell`
/// to the chat of `msg` (whoever presses first decides).
async fn ask_board_to_move(ctx: &Ctx, cell: &crate::cells::Cell, move_id: i64, msg: &Message) -> HandlerResult {
    use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};
    let who = msg.from.as_ref().map(crate::acks::display_name).unwrap_or_default();
    let place = match msg.chat.title() {
        Some(title) => crate::text::clean_name(title),
        None => who.clone(),
    };
    for m in crate::staff::list(&ctx.pool, &ctx.config.admins).await? {
        if !matches!(m.role, crate::staff::Role::Admin | crate::staff::Role::Board) {
            continue;
        }
        let locale = ctx.locale(ChatId(m.user_id)).await;
        let c = &ctx.catalog;
        let text = c.t(
            locale,
            "move-confirm",
            Args::new()
                .user("cell", &cell.name)
                .user("district", &cell.district)
                .user("place", &place)
                .user("who", &who)
                .raw("kind", c.s(locale, if msg.chat.is_private() { "move-private" } else { "move-group" })),
        );
        let buttons = InlineKeyboardMarkup::new([[
            Button::MoveYes(move_id).key(c.s(locale, "move-yes")),
            Button::MoveNo(move_id).key(c.s(locale, "move-no")),
        ]]);
        super::say_with(&ctx.replies, ChatId(m.user_id), text, Some(ReplyMarkup::InlineKeyboard(buttons))).await?;
    }
    Ok(())
}
