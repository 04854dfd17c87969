//! What a cell sees of its packs: `/packs` in its chat lists the recent ones, each with its
//! state, and buttons to have a pack's documents sent again; and the pack's buttons once it is
//! acknowledged (by a press or by a report), showing who acknowledged and when.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ReplyMarkup};

use super::{Ctx, HandlerResult, say, say_with};
use crate::acks::{self, Ack, Target};
use crate::i18n::{Args, Locale, escape};
use crate::packs::message;
use crate::reports;
use crate::telegram::button::Button;
use crate::telegram::replies::Reply;

/// A pack's name as a cell reads it: its period, or its title.
pub(super) fn name_of(t: &Target, locale: Locale) -> String {
    message::name(&t.title, t.period(), locale)
}

/// The buttons of a pack's message once acknowledged: who and when, and the report button.
pub fn acknowledged_buttons(ctx: &Ctx, locale: Locale, t: &Target, ack: &Ack) -> InlineKeyboardMarkup {
    let label = ctx.catalog.t(
        locale,
        "ack-button-done",
        Args::new().raw("name", ack.user_name.clone()).raw("time", crate::dates::chat(ack.at, ctx.config.timezone)),
    );
    crate::telegram::button::pack_keyboard(t.delivery_id, t.report_prompt.is_some(), Some(label))
}

/// Shows the acknowledgement on the pack's message (and on the message pressed, when that was a
/// reminder). A failure here is logged: the acknowledgement is stored already.
pub(super) async fn show_ack(ctx: &Ctx, t: &Target, ack: &Ack, pressed: Option<MessageId>) {
    show_ack_in(ctx, t, ack, pressed, ctx.locale(ChatId(t.chat_id)).await);
}

/// [`show_ack`] when the chat's language is known already (a press just read it).
pub(super) fn show_ack_in(ctx: &Ctx, t: &Target, ack: &Ack, pressed: Option<MessageId>, locale: Locale) {
    let markup = acknowledged_buttons(ctx, locale, t, ack);
    let mut messages: Vec<(i64, i32)> = t.ack_message_id.map(|m| (t.sent_chat_id, m as i32)).into_iter().collect();
    if let Some(p) = pressed
        && !messages.contains(&(t.chat_id, p.0))
    {
        messages.push((t.chat_id, p.0));
    }
    for (chat, message_id) in messages {
        ctx.replies.send(ChatId(chat), Reply::Buttons { message_id, markup: markup.clone() });
    }
}

/// `/packs` in a cell's chat: its recent packs, each with its state, and buttons to have
/// documents sent again.
pub(super) async fn list_cell_packs(chat: ChatId, cell_id: i64, ctx: &Ctx, locale: Locale) -> HandlerResult {
    let c = &ctx.catalog;
    let tz = ctx.config.timezone;
    let sent = acks::sent_to_cell(&ctx.pool, cell_id, 10).await?;
    if sent.is_empty() {
        return say(&ctx.replies, chat, c.s(locale, "cell-packs-none")).await;
    }
    let mut lines = vec![c.s(locale, "cell-packs-title")];
    let mut rows = Vec::new();
    for t in &sent {
        let mut conn = ctx.pool.acquire().await?;
        let ack = acks::of(&mut conn, t.pack_id, t.cell_id).await?;
        drop(conn);
        let ack_text = match &ack {
            Some(a) => c.t(
                locale,
                "cell-pack-acked",
                Args::new().raw("name", escape(&a.user_name)).raw("time", crate::dates::chat(a.at, tz)),
            ),
            None => c.s(locale, "cell-pack-not-acked"),
        };
        let report_text = if t.report_prompt.is_some() {
            match reports::current(&ctx.pool, t.pack_id, t.cell_id).await? {
                Some(r) => c.t(locale, "cell-pack-reported", Args::new().raw("time", crate::dates::chat(r.at, tz))),
                None => c.s(locale, "cell-pack-not-reported"),
            }
        } else {
            String::new()
        };
        lines.push(
            c.t(
                locale,
                "cell-pack-line",
                Args::new()
                    .raw("pack", name_of(t, locale))
                    .raw("sent", t.sent_at.map(|s| crate::dates::chat_date(s, tz)).unwrap_or_default())
                    .raw("deadline", t.deadline().map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default())
                    .raw("ack", ack_text)
                    .raw("report", report_text),
            ),
        );
        let docs: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE pack_id = $1")
            .bind(t.pack_id)
            .fetch_one(&ctx.pool)
            .await?;
        if docs > 0 && rows.len() < 8 {
            let label = c.t(
                locale,
                "cell-pack-resend",
                Args::new().raw(
                    "pack",
                    match t.period() {
                        Some(p) => p.label(locale),
                        None => t.title.chars().take(40).collect(),
                    },
                ),
            );
            rows.push(vec![Button::Resend(t.delivery_id).key(label)]);
        }
    }
    let markup = (!rows.is_empty()).then(|| ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows)));
    say_with(&ctx.replies, chat, lines.join("\n\n"), markup).await
}
