//! A cell's own view of its packs: `/packs` in its chat lists the recent ones, each with its
//! state, and buttons to have a pack's documents sent again.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

use super::{Ctx, HandlerResult, say, say_with};
use crate::acks::{self, Target};
use crate::i18n::{Args, Locale, escape};
use crate::packs::message;
use crate::reports::{self};
use crate::telegram::button::Button;

/// A pack's name as a cell reads it: its period, or its title.
pub(super) fn name_of(t: &Target, locale: Locale) -> String {
    message::name(&t.title, t.period(), locale)
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
        let docs: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE pack_id = ?")
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
