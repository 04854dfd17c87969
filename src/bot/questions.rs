//! Questions on a pack, in chat. A member of a cell who replies to the pack's message (or its
//! reminder) with text, or presses its «❓ Hỏi» and then types, asks the board about that pack: the
//! question is kept, the member told, and
//! the board (admins and board members) and the officers of the nearest unit above the cell with
//! officers are told at once. `/hoi` (staff, private chat, their scope) lists the questions not
//! answered yet; `/hoi N <text>` answers one, and the answer goes back to the cell's chat.
//! `/hoidap N [<text>]` (the board) answers one for every cell that got the pack instead (or sends
//! an answer given before to them all): it becomes part of the pack's hỏi đáp, delivered by the
//! worker like the pack itself, durably.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{ForceReply, ReplyMarkup};

use super::analytics::{Asked, scope};
use super::dialogues::{self, Dialogue, Key};
use super::{Ctx, HandlerResult, mention, say, say_with};
use crate::i18n::{Args, escape};
use crate::questions;
use crate::telegram::replies::Reply;

/// A message that replies to one of the bot's pack messages in a chat that holds that pack's
/// cell: (pack id, cell id, the cell's unit).
pub(super) async fn on_a_pack(msg: Message, me: teloxide::types::Me, ctx: Arc<Ctx>) -> Option<(i64, i64, Option<i64>)> {
    let replied = msg.reply_to_message()?;
    if replied.from.as_ref().map(|u| u.id) != Some(me.id) || msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    questions::pack_of_message(&ctx.pool, msg.chat.id.0, i64::from(replied.id.0)).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to read which pack a reply answers");
        None
    })
}

/// The pack a member pressed «❓ Hỏi» under, kept until they type the question.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Asking {
    pack_id: i64,
    cell_id: i64,
    unit_id: Option<i64>,
}

/// «❓ Hỏi» pressed under a pack's message (already checked to belong to this chat): the member is
/// asked, as a ForceReply in a group, to type the question; the next message they send in this
/// chat is it (or `/cancel`).
pub(super) async fn begin(
    ctx: &Ctx,
    target: &crate::acks::Target,
    from: &teloxide::types::User,
    locale: crate::i18n::Locale,
) -> HandlerResult {
    let unit_id: Option<i64> =
        sqlx::query_scalar("SELECT unit_id FROM cells WHERE id = $1").bind(target.cell_id).fetch_one(&ctx.pool).await?;
    let chat = ChatId(target.chat_id);
    let key = Key { chat: chat.0, user: from.id.0 as i64 };
    let asking = Asking { pack_id: target.pack_id, cell_id: target.cell_id, unit_id };
    dialogues::save(&ctx.pool, key, Dialogue::Question, &asking).await?;
    let c = &ctx.catalog;
    let text = c.t(
        locale,
        "q-ask-prompt",
        Args::new()
            .raw("who", mention(from))
            .raw("pack", escape(&super::cell::name_of(target, locale)))
            .raw("max", questions::MAX_TEXT as i64),
    );
    let placeholder = c.s(locale, "q-ask-prompt-hint");
    let markup = ReplyMarkup::ForceReply(ForceReply::new().selective().input_field_placeholder(Some(placeholder)));
    say_with(&ctx.replies, chat, text, Some(markup)).await
}

/// The question a member is typing after «❓ Hỏi», for a message that is not a command.
pub(super) async fn active_question(msg: Message, ctx: Arc<Ctx>) -> Option<Asking> {
    if msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    dialogues::load(&ctx.pool, Key::of(&msg), Dialogue::Question).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to read the question dialogue");
        None
    })
}

/// The question typed after «❓ Hỏi»: kept as a reply to the pack would be; the dialogue ends once
/// it is (a message that is not a question leaves it open, with the reason).
pub(super) async fn on_asked(msg: Message, asking: Asking, ctx: Arc<Ctx>) -> HandlerResult {
    if take(&msg, (asking.pack_id, asking.cell_id, asking.unit_id), &ctx).await? {
        dialogues::clear(&ctx.pool, Key::of(&msg), Dialogue::Question).await?;
    }
    Ok(())
}

/// A question asked by replying to a pack's message.
pub(super) async fn on_question(msg: Message, found: (i64, i64, Option<i64>), ctx: Arc<Ctx>) -> HandlerResult {
    take(&msg, found, &ctx).await.map(|_| ())
}

/// Keeps a member's question on a pack, tells them and the staff above the cell; false (with the
/// reason told) when the message is not a question Loa can keep.
async fn take(msg: &Message, found: (i64, i64, Option<i64>), ctx: &Ctx) -> anyhow::Result<bool> {
    let (pack_id, cell_id, unit_id) = found;
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let Some(from) = msg.from.as_ref() else { return Ok(false) };
    let Some(text) = msg.text().or(msg.caption()) else {
        say(&ctx.replies, chat, c.s(locale, "q-text-only")).await?;
        return Ok(false);
    };
    let body = match crate::situations::check_text(text, questions::MAX_TEXT) {
        Ok(b) => b,
        Err(crate::situations::Invalid::TooLong(n, max)) => {
            let args = Args::new().raw("count", n as i64).raw("max", max as i64);
            say(&ctx.replies, chat, c.t(locale, "q-too-long", args)).await?;
            return Ok(false);
        }
        Err(_) => {
            say(&ctx.replies, chat, c.s(locale, "q-text-only")).await?;
            return Ok(false);
        }
    };
    let user = from.id.0 as i64;
    let name = crate::acks::display_name(from);
    let id =
        questions::ask(&ctx.pool, pack_id, cell_id, unit_id, chat.0, user, &name, &body, crate::dates::now()).await?;
    let pack = crate::packs::store::get(&ctx.pool, pack_id).await?;
    let pack_name =
        pack.as_ref().map(|p| crate::packs::message::name(&p.title, p.period(), locale)).unwrap_or_default();
    say(&ctx.replies, chat, c.t(locale, "q-asked", Args::new().raw("id", id).raw("pack", pack_name))).await?;
    tell_staff(ctx, id, unit_id).await?;
    Ok(true)
}

/// Tells the board, and the officers of the nearest unit above the cell with officers, of a new
/// question.
async fn tell_staff(ctx: &Ctx, id: i64, unit_id: Option<i64>) -> HandlerResult {
    let Some(q) = questions::get(&ctx.pool, id, None).await? else { return Ok(()) };
    for m in crate::staff::who_hears(&ctx.pool, &ctx.config.admins, unit_id).await? {
        let chat = ChatId(m.user_id);
        let locale = ctx.locale(chat).await;
        let text = ctx.catalog.t(
            locale,
            "q-to-staff",
            Args::new()
                .raw("id", id)
                .user("pack", &q.pack_title)
                .user("cell", &q.cell_name)
                .user("code", &q.cell_code)
                .user("who", &q.user_name)
                .user("body", &q.body),
        );
        ctx.replies.send(chat, Reply::Text { html: text, markup: None });
    }
    Ok(())
}

/// `/hoi` and `/hoi N <text>` from a member of staff.
pub(super) async fn on_hoi(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let Ok(scope) = scope(a.member) else {
        return a.say(c.s(locale, "stats-no-scope")).await;
    };
    let arg = arg.trim();
    if arg.is_empty() {
        let open = questions::open(&ctx.pool, scope, 30).await?;
        if open.is_empty() {
            return a.say(c.s(locale, "q-none-open")).await;
        }
        let lines: Vec<String> = open
            .iter()
            .map(|q| {
                format!(
                    "❓ <b>#{}</b> · {} · <code>{}</code> {}\n   {}",
                    q.id,
                    escape(&q.pack_title),
                    escape(&q.cell_code),
                    escape(&q.cell_name),
                    escape(&q.body.chars().take(120).collect::<String>())
                )
            })
            .collect();
        let head = c.t(locale, "q-open-head", Args::new().raw("count", open.len() as i64));
        for page in super::announce::pages(&head, &lines) {
            a.say(page).await?;
        }
        return Ok(());
    }
    let (id, text) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let text = crate::text::visible(text).trim().to_string();
    let (Ok(id), false) = (id.trim_start_matches('#').parse::<i64>(), text.is_empty()) else {
        return a.say(c.t(locale, "q-usage", Args::new().user("given", arg))).await;
    };
    if text.chars().count() > questions::MAX_TEXT {
        let args = Args::new().raw("count", text.chars().count() as i64).raw("max", questions::MAX_TEXT as i64);
        return a.say(c.t(locale, "q-too-long", args)).await;
    }
    let Some(q) = questions::get(&ctx.pool, id, scope).await? else {
        return a.say(c.t(locale, "q-no-question", Args::new().raw("id", id))).await;
    };
    if !questions::answer(&ctx.pool, id, a.member.user_id, &text, crate::dates::now()).await? {
        return a.say(c.t(locale, "q-answered-already", Args::new().raw("id", id))).await;
    }
    tell_cell(ctx, &q, &text).await;
    a.say(c.t(locale, "q-answered", Args::new().raw("id", id).user("cell", &q.cell_name))).await
}

/// Sends a question's answer to the chat it came from, in that chat's language (`/hoi` and the
/// web desk's inbox).
pub(crate) async fn tell_cell(ctx: &Ctx, q: &questions::Question, answer: &str) {
    let theirs = ctx.locale(ChatId(q.chat_id)).await;
    let back = ctx.catalog.t(
        theirs,
        "q-answer-to-cell",
        Args::new().user("pack", &q.pack_title).user("question", &q.body).user("answer", answer),
    );
    ctx.replies.send(ChatId(q.chat_id), Reply::Text { html: back, markup: None });
}

/// `/hoidap N <text>` (a question not answered yet) or `/hoidap N` (one answered already): the
/// answer goes to every cell that got the pack, through the delivery worker, and stays with the
/// pack as its hỏi đáp.
pub(super) async fn on_hoidap(
    chat: ChatId,
    ctx: &Ctx,
    locale: crate::i18n::Locale,
    user: i64,
    arg: &str,
) -> HandlerResult {
    let c = &ctx.catalog;
    let arg = arg.trim();
    let (id, text) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let text = crate::text::visible(text).trim().to_string();
    let Ok(id) = id.trim_start_matches('#').parse::<i64>() else {
        return say(&ctx.replies, chat, c.t(locale, "faq-usage", Args::new().user("given", arg))).await;
    };
    if text.chars().count() > questions::MAX_TEXT {
        let args = Args::new().raw("count", text.chars().count() as i64).raw("max", questions::MAX_TEXT as i64);
        return say(&ctx.replies, chat, c.t(locale, "q-too-long", args)).await;
    }
    let Some(q) = questions::get(&ctx.pool, id, None).await? else {
        return say(&ctx.replies, chat, c.t(locale, "q-no-question", Args::new().raw("id", id))).await;
    };
    if q.faq {
        return say(&ctx.replies, chat, c.t(locale, "faq-already", Args::new().raw("id", id))).await;
    }
    let now = crate::dates::now();
    // the asking cell had the answer already when it was given with /hoi
    let skip = match (&q.answer, text.is_empty()) {
        (Some(_), true) => Some(q.cell_id),
        (None, false) => {
            questions::answer(&ctx.pool, id, user, &text, now).await?;
            None
        }
        (None, true) => {
            return say(&ctx.replies, chat, c.t(locale, "faq-usage", Args::new().user("given", arg))).await;
        }
        (Some(_), false) => {
            return say(&ctx.replies, chat, c.t(locale, "faq-answered-before", Args::new().raw("id", id))).await;
        }
    };
    let started =
        crate::delivery::broadcast::answer_all(&ctx.pool, id, skip, crate::audit::Actor::User(user), now).await?;
    let Some(started) = started else {
        return say(&ctx.replies, chat, c.t(locale, "faq-already", Args::new().raw("id", id))).await;
    };
    let args = Args::new().raw("id", id).user("pack", &q.pack_title).raw("cells", started.targeted);
    say(&ctx.replies, chat, c.t(locale, "faq-started", args)).await
}
