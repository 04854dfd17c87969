//! The buttons under Loa's messages, pressed: acknowledge a pack (`a:<delivery>`), start a report
//! on it (`r:<delivery>`), ask the board about it (`q:<delivery>`), have its documents sent again (`d:<delivery>`), and a board member's
//! answer to moving a cell to another chat (`my:`/`mn:`).
//!
//! A pack's button is honoured only in the chat its delivery went to: any other callback data
//! (forged, from another chat, or of a delivery that does not exist) is refused and logged. Every
//! acknowledgement is written before anyone is told.

use std::sync::Arc;

use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::InlineKeyboardMarkup;

use super::cell::show_ack_in;
use super::report::begin_report;
use super::{Ctx, HandlerResult, say};
use crate::acks::{self, Outcome};
use crate::audit::{self, Actor};
use crate::i18n::{Args, Locale};
use crate::telegram::button::Button;
use crate::telegram::replies::Reply;

/// Answers a button press, on the side.
fn answer(ctx: &Ctx, q: &CallbackQuery, text: String, alert: bool) {
    ctx.replies.answer_button(q.id.clone(), text, alert);
}

/// A button press.
pub(super) async fn on_callback(q: CallbackQuery, ctx: Arc<Ctx>) -> HandlerResult {
    let user = q.from.id.0 as i64;
    let chat = q.message.as_ref().map(|m| m.chat().id);
    let locale = match chat {
        Some(c) => ctx.locale(c).await,
        None => ctx.config.default_locale,
    };
    let button = q.data.as_deref().and_then(Button::parse);
    if button == Some(Button::Preview) {
        answer(&ctx, &q, ctx.catalog.s(locale, "np-preview-button"), false);
        return Ok(());
    }
    if let Some(Button::Drill { pack, unit }) = button {
        return super::analytics::on_drill(&ctx, &q, pack, unit, false).await;
    }
    if let Some(Button::CellsOf { pack, unit }) = button {
        return super::analytics::on_drill(&ctx, &q, pack, unit, true).await;
    }
    if let Some(Button::MoveYes(id) | Button::MoveNo(id)) = button {
        return on_move_decision(&ctx, &q, id, button == Some(Button::MoveYes(id)), locale).await;
    }
    // a press of ✅ is looked up and written in one go, batched with the presses that come with
    // it (a flood of presses costs a transaction per batch); any other button is looked up alone
    let mut pressed_ack = None;
    let target = match (button, chat) {
        (Some(Button::Ack(d)), Some(c)) => {
            let now = crate::dates::now();
            let name = acks::display_name(&q.from);
            match acks::press(&ctx.pool, d, c.0, user, &name, now, ctx.config.timezone).await {
                Ok(Some((target, outcome))) => {
                    pressed_ack = Some(outcome);
                    Some(target)
                }
                Ok(None) => None,
                Err(e) => {
                    // the database refuses writes (a full disk...): say so, so that the member presses again
                    answer(&ctx, &q, ctx.catalog.s(locale, "ack-not-saved"), true);
                    return Err(e.context("failed to store an acknowledgement"));
                }
            }
        }
        (Some(b), Some(c)) => match b.delivery() {
            Some(d) => acks::target_in_chat(&ctx.pool, d, c.0).await?,
            None => None,
        },
        _ => None,
    };
    let (Some(button), Some(target)) = (button, target) else {
        tracing::warn!(
            user_id = user,
            chat_id = chat.map(|c| c.0),
            data = q.data.as_deref().unwrap_or(""),
            "button refused: it does not belong to a pack sent to this chat"
        );
        // the member hears first: the audit line may fail (a full disk) without leaving them waiting
        answer(&ctx, &q, ctx.catalog.s(locale, "button-invalid"), true);
        // within the chat's quota of audited refusals (a forger pressing on and on is logged)
        if !ctx.refusal_audits.admit(chat.map(|c| c.0).unwrap_or(user)) {
            return Ok(());
        }
        let mut conn = ctx.pool.acquire().await?;
        audit::record(
            &mut conn,
            Actor::User(user),
            "callback.refused",
            chat.map(|c| c.0.to_string()).as_deref(),
            "refused",
            json!({ "data": q.data.as_deref().unwrap_or("").chars().take(64).collect::<String>() }),
        )
        .await?;
        return Ok(());
    };
    let pressed = q.message.as_ref().map(|m| m.id());
    match button {
        Button::Ack(_) => {
            let outcome = pressed_ack.expect("a press of ✅ is written with its lookup");
            match outcome {
                Outcome::Recorded(ack) => {
                    metrics::counter!("loa_acks_total").increment(1);
                    tracing::info!(
                        pack_id = target.pack_id,
                        cell_id = target.cell_id,
                        user_id = user,
                        late = ack.late,
                        "acknowledged"
                    );
                    let key = if ack.late { "ack-recorded-late" } else { "ack-recorded" };
                    answer(&ctx, &q, ctx.catalog.s(locale, key), false);
                    // the buttons are edited on the side, through the chat's queue of answers
                    // (the pressing chat is the target's: its language is known)
                    show_ack_in(&ctx, &target, &ack, pressed, locale);
                }
                Outcome::Already(ack) => {
                    let text = ctx.catalog.t(
                        locale,
                        "ack-already",
                        Args::new()
                            .raw("name", ack.user_name.clone())
                            .raw("time", crate::dates::chat(ack.at, ctx.config.timezone)),
                    );
                    answer(&ctx, &q, text, false);
                }
            }
            Ok(())
        }
        Button::Report(_) => {
            answer(&ctx, &q, String::new(), false);
            begin_report(&ctx, &target, &q.from, locale).await
        }
        Button::Ask(_) => {
            answer(&ctx, &q, String::new(), false);
            super::questions::begin(&ctx, &target, &q.from, locale).await
        }
        Button::Preview | Button::MoveYes(_) | Button::MoveNo(_) | Button::Drill { .. } | Button::CellsOf { .. } => {
            Ok(())
        }
        Button::Resend(_) => {
            let started = crate::delivery::broadcast::resend(
                &ctx.pool,
                crate::delivery::broadcast::Resend { pack_id: target.pack_id, cell_id: target.cell_id },
                Actor::User(user),
                crate::dates::now(),
            )
            .await?;
            let key = if started { "resend-started" } else { "resend-pending" };
            answer(&ctx, &q, ctx.catalog.s(locale, key), false);
            Ok(())
        }
    }
}

/// A board member's answer to "move this cell to that chat?": only admins and board members
/// decide (anyone else is refused and audited); the first answer counts.
async fn on_move_decision(
    ctx: &Arc<Ctx>,
    q: &CallbackQuery,
    move_id: i64,
    move_it: bool,
    locale: Locale,
) -> HandlerResult {
    use crate::cells::binding::{self, MoveDecided};
    let user = q.from.id.0 as i64;
    let member = crate::staff::role_of(&ctx.pool, &ctx.config.admins, user).await?;
    if !member.is_some_and(|m| m.role.includes(crate::staff::Role::Board)) {
        // written before the member is told, as every refusal
        tracing::warn!(user_id = user, move_id, "a move of a cell refused: no permission");
        crate::staff::record_denial(&ctx.pool, user, "cells.move").await?;
        answer(ctx, q, ctx.catalog.s(locale, "move-denied"), true);
        return Ok(());
    }
    let c = &ctx.catalog;
    match binding::decide_move(&ctx.pool, move_id, move_it, user).await? {
        MoveDecided::Gone => answer(ctx, q, c.s(locale, "move-gone"), true),
        MoveDecided::Refused { cell, chat } => {
            answer(ctx, q, c.t(locale, "move-refused-done", Args::new().user("cell", &cell.name)), false);
            let there = ctx.locale(ChatId(chat)).await;
            say(&ctx.replies, ChatId(chat), c.t(there, "move-refused", Args::new().user("cell", &cell.name))).await?;
        }
        MoveDecided::Moved { cell, old_chat, new_chat, replaced_cell } => {
            answer(ctx, q, c.t(locale, "move-done", Args::new().user("cell", &cell.name)), false);
            let there = ctx.locale(ChatId(new_chat)).await;
            let text = super::start::bound_text(ctx, there, &cell, replaced_cell.as_deref());
            say(&ctx.replies, ChatId(new_chat), text).await?;
            if let Some(old) = old_chat {
                super::start::tell_moved_away(ctx, old, &cell.name).await?;
            }
        }
    }
    // the question's buttons go: it is answered
    if let Some(m) = &q.message {
        ctx.replies.send(m.chat().id, Reply::Buttons { message_id: m.id().0, markup: InlineKeyboardMarkup::default() });
    }
    Ok(())
}
