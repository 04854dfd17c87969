//! What cells do in their chat: acknowledge a pack (`a:<delivery>`), report on it (`r:<delivery>`
//! or `/report`, a dialogue of four answers kept in SQLite per chat and member), list their recent
//! packs (`/packs`) and have a pack's documents sent again (`d:<delivery>`).
//!
//! A button is honoured only in the chat its delivery went to: any other callback data (forged,
//! from another chat, or of a delivery that does not exist) is refused and logged. Every
//! acknowledgement and report is written before anyone is told.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyMarkup};

use super::dialogues::{self, Dialogue, Key};
use super::{Ctx, HandlerResult, say, say_with};
use crate::acks::{self, Ack, Outcome, Target};
use crate::audit::{self, Actor};
use crate::i18n::{Args, Locale, escape};
use crate::packs::message;
use crate::reports::{self, Invalid, NewReport};
use crate::telegram::button::Button;
use crate::telegram::replies::Reply;

const DATE: u8 = 1;
const ATTENDANCE: u8 = 2;
const TEXT: u8 = 3;
const ATTACHMENT: u8 = 4;

/// A report being written: which delivery it answers and the answers so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReportDraft {
    pub delivery_id: i64,
    pub step: u8,
    pub meeting_date: Option<String>,
    pub attendance: Option<i64>,
    pub body: Option<String>,
}

fn name_of(t: &Target, locale: Locale) -> String {
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
async fn show_ack(ctx: &Ctx, t: &Target, ack: &Ack, pressed: Option<MessageId>) {
    let locale = ctx.locale(ChatId(t.chat_id)).await;
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
    if let Some(Button::MoveYes(id) | Button::MoveNo(id)) = button {
        return on_move_decision(&ctx, &q, id, button == Some(Button::MoveYes(id)), locale).await;
    }
    let target = match (button.and_then(Button::delivery), chat) {
        (Some(d), Some(c)) => acks::target_in_chat(&ctx.pool, d, c.0).await?,
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
            let now = crate::dates::now();
            let name = acks::display_name(&q.from);
            let outcome = match acks::acknowledge(&ctx.pool, &target, user, &name, now, ctx.config.timezone).await {
                Ok(o) => o,
                Err(e) => {
                    // the database refuses writes (a full disk...): say so, so that the member presses again
                    answer(&ctx, &q, ctx.catalog.s(locale, "ack-not-saved"), true);
                    return Err(anyhow::Error::from(e).context("failed to store an acknowledgement"));
                }
            };
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
                    show_ack(&ctx, &target, &ack, pressed).await;
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
        Button::Preview | Button::MoveYes(_) | Button::MoveNo(_) => Ok(()),
        Button::Resend(_) => {
            let started =
                crate::delivery::broadcast::resend(&ctx.pool, &target, Actor::User(user), crate::dates::now()).await?;
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
    if !matches!(member.map(|m| m.role), Some(crate::staff::Role::Admin | crate::staff::Role::Board)) {
        answer(ctx, q, ctx.catalog.s(locale, "move-denied"), true);
        tracing::warn!(user_id = user, move_id, "a move of a cell refused: no permission");
        crate::staff::record_denial(&ctx.pool, user, "cells.move").await?;
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

/// The report this member is writing in this chat, for a message that is not a command.
pub(super) async fn active_report(msg: Message, ctx: Arc<Ctx>) -> Option<ReportDraft> {
    if msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    dialogues::load(&ctx.pool, Key::of(&msg), Dialogue::Report).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to read the report dialogue");
        None
    })
}

/// Starts (or restarts) a member's report on a pack.
async fn begin_report(ctx: &Ctx, t: &Target, from: &teloxide::types::User, locale: Locale) -> HandlerResult {
    let chat = ChatId(t.chat_id);
    let c = &ctx.catalog;
    if t.report_prompt.is_none() {
        return say(&ctx.replies, chat, c.t(locale, "report-not-asked", Args::new().raw("pack", name_of(t, locale))))
            .await;
    }
    let now = crate::dates::now();
    let existing = reports::current(&ctx.pool, t.pack_id, t.cell_id).await?;
    if existing.is_some() && t.is_late(now, ctx.config.timezone) {
        return say(&ctx.replies, chat, c.t(locale, "report-closed", Args::new().raw("pack", name_of(t, locale))))
            .await;
    }
    let draft = ReportDraft { delivery_id: t.delivery_id, step: DATE, ..Default::default() };
    dialogues::save(&ctx.pool, Key { chat: t.chat_id, user: from.id.0 as i64 }, Dialogue::Report, &draft).await?;
    let mut intro = c.t(
        locale,
        "report-intro",
        Args::new()
            .raw("who", mention(from))
            .raw("pack", name_of(t, locale))
            .user("prompt", t.report_prompt.as_deref().unwrap_or("")),
    );
    if let Some(r) = existing {
        intro.push_str("\n\n");
        intro.push_str(&c.t(
            locale,
            "report-correcting",
            Args::new().raw("time", crate::dates::chat(r.at, ctx.config.timezone)),
        ));
    }
    say(&ctx.replies, chat, intro).await?;
    ask(ctx, chat, from, locale, DATE).await
}

/// A link that mentions the member, so that in a group the question is forced on them only.
fn mention(user: &teloxide::types::User) -> String {
    format!("<a href=\"tg://user?id={}\">{}</a>", user.id.0, escape(&acks::display_name(user)))
}

async fn ask(ctx: &Ctx, chat: ChatId, from: &teloxide::types::User, locale: Locale, step: u8) -> HandlerResult {
    let key = match step {
        DATE => "report-ask-date",
        ATTENDANCE => "report-ask-attendance",
        TEXT => "report-ask-text",
        _ => "report-ask-attachment",
    };
    let text = ctx.catalog.t(locale, key, Args::new().raw("who", mention(from)).raw("max", reports::MAX_TEXT as i64));
    let placeholder = ctx.catalog.s(locale, &format!("{key}-hint"));
    let markup = ReplyMarkup::ForceReply(ForceReply::new().selective().input_field_placeholder(Some(placeholder)));
    say_with(&ctx.replies, chat, text, Some(markup)).await
}

/// `/report` in a cell's chat: the one open pack, or a choice among them.
pub(super) async fn on_report_command(msg: &Message, ctx: &Ctx, locale: Locale) -> HandlerResult {
    let chat = msg.chat.id;
    let c = &ctx.catalog;
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    let mut conn = ctx.pool.acquire().await?;
    let Some(cell) = crate::cells::by_chat(&mut conn, chat.0).await? else {
        return say(&ctx.replies, chat, c.s(locale, "cell-only")).await;
    };
    drop(conn);
    let now = crate::dates::now();
    let mut open = Vec::new();
    for t in acks::sent_to_cell(&ctx.pool, cell.id, 20).await? {
        if t.report_prompt.is_none() {
            continue;
        }
        let reported = reports::current(&ctx.pool, t.pack_id, t.cell_id).await?.is_some();
        if !reported || !t.is_late(now, ctx.config.timezone) {
            open.push((t, reported));
        }
    }
    match open.len() {
        0 => say(&ctx.replies, chat, c.s(locale, "report-none-open")).await,
        1 => begin_report(ctx, &open[0].0, from, locale).await,
        _ => {
            let rows: Vec<Vec<InlineKeyboardButton>> = open
                .iter()
                .take(8)
                .map(|(t, reported)| {
                    let mark = if *reported { "✏️ " } else { "📝 " };
                    let label = match t.period() {
                        Some(p) => format!("{mark}{} — {}", p.label(locale), t.title),
                        None => format!("{mark}{}", t.title),
                    };
                    vec![Button::Report(t.delivery_id).key(label.chars().take(60).collect::<String>())]
                })
                .collect();
            say_with(
                &ctx.replies,
                chat,
                c.s(locale, "report-choose"),
                Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows))),
            )
            .await
        }
    }
}

/// An answer in a report dialogue.
pub(super) async fn on_report_message(msg: Message, mut d: ReportDraft, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let key = Key::of(&msg);
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let Some(from) = msg.from.clone() else { return Ok(()) };
    let Some(target) = acks::target_in_chat(&ctx.pool, d.delivery_id, chat.0).await? else {
        // the pack was withdrawn, or the cell has moved to another chat since the report began
        tracing::warn!(
            chat_id = chat.0,
            user_id = key.user,
            delivery_id = d.delivery_id,
            "report refused: this chat does not hold the delivery's cell"
        );
        dialogues::clear(&ctx.pool, key, Dialogue::Report).await?;
        say(&ctx.replies, chat, c.s(locale, "report-gone")).await?;
        if ctx.refusal_audits.admit(chat.0) {
            let mut conn = ctx.pool.acquire().await?;
            let details = json!({ "delivery_id": d.delivery_id });
            audit::record(
                &mut conn,
                Actor::User(key.user),
                "report.refused",
                Some(&chat.0.to_string()),
                "refused",
                details,
            )
            .await?;
        }
        return Ok(());
    };
    let tz = ctx.config.timezone;
    let today = acks::local_date(chrono::Utc::now(), tz);
    let text = msg.text().or(msg.caption()).unwrap_or("");
    let wrong = |e: Invalid| {
        let mut args = Args::new().raw("who", mention(&from));
        if let Invalid::TooLong(n) = e {
            args = args.raw("count", n as i64).raw("max", reports::MAX_TEXT as i64);
        }
        if e == Invalid::CountOutOfRange {
            args = args.raw("max", reports::MAX_ATTENDANCE);
        }
        c.t(locale, e.key(), args)
    };
    let answering = d.step;
    let result: Result<(), Invalid> = match d.step {
        DATE => reports::parse_meeting_date(text, today).map(|date| {
            d.meeting_date = Some(date.to_string());
            d.step = ATTENDANCE;
        }),
        ATTENDANCE => reports::parse_attendance(text).map(|n| {
            d.attendance = Some(n);
            d.step = TEXT;
        }),
        TEXT => reports::check_text(text).map(|body| {
            d.body = Some(body);
            d.step = ATTACHMENT;
        }),
        _ => Ok(()),
    };
    if let Err(e) = result {
        say(&ctx.replies, chat, wrong(e)).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    if answering != ATTACHMENT {
        dialogues::save(&ctx.pool, key, Dialogue::Report, &d).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    // the last step: a photo, a document, or "no"
    let attachment = if let Some(p) = msg.photo().and_then(|p| p.last()) {
        Some((p.file.id.0.clone(), "photo".to_string()))
    } else if let Some(doc) = msg.document() {
        Some((doc.file.id.0.clone(), "document".to_string()))
    } else if is_no(&ctx, text) {
        None
    } else {
        say(&ctx.replies, chat, c.t(locale, "report-bad-attachment", Args::new().raw("who", mention(&from)))).await?;
        return ask(&ctx, chat, &from, locale, ATTACHMENT).await;
    };
    let (Some(date), Some(attendance), Some(body)) = (d.meeting_date.clone(), d.attendance, d.body.clone()) else {
        dialogues::clear(&ctx.pool, key, Dialogue::Report).await?;
        return say(&ctx.replies, chat, c.s(locale, "report-gone")).await;
    };
    let report = NewReport {
        user_id: key.user,
        user_name: acks::display_name(&from),
        meeting_date: chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")?,
        attendance,
        body,
        attachment,
    };
    let now = crate::dates::now();
    let stored = reports::store(&ctx.pool, &target, &report, now, tz, Some((key.chat, key.user))).await?;
    metrics::counter!("loa_reports_total").increment(1);
    if stored.ack.is_some() {
        metrics::counter!("loa_acks_total").increment(1);
    }
    tracing::info!(
        pack_id = target.pack_id,
        cell_id = target.cell_id,
        report_id = stored.report_id,
        corrected = stored.corrected,
        late = stored.late,
        "report stored"
    );
    let mut summary = c.t(
        locale,
        if stored.corrected { "report-saved-corrected" } else { "report-saved" },
        Args::new()
            .raw("pack", name_of(&target, locale))
            .raw("date", report.meeting_date.format("%d/%m/%Y").to_string())
            .raw("attendance", report.attendance)
            .user("body", &report.body)
            .raw(
                "attachment",
                match report.attachment.as_ref().map(|a| a.1.as_str()) {
                    Some("photo") => c.s(locale, "report-with-photo"),
                    Some(_) => c.s(locale, "report-with-document"),
                    None => c.s(locale, "report-without-attachment"),
                },
            ),
    );
    summary.push('\n');
    if stored.late {
        summary.push_str(&c.s(locale, "report-late-note"));
    } else if let Some(deadline) = target.deadline() {
        summary.push_str(&c.t(
            locale,
            "report-until",
            Args::new().raw("date", deadline.format("%d/%m/%Y").to_string()),
        ));
    }
    say(&ctx.replies, chat, summary).await?;
    if let Some(ack) = stored.ack {
        show_ack(&ctx, &target, &ack, None).await;
    }
    Ok(())
}

fn is_no(ctx: &Ctx, text: &str) -> bool {
    let t = text.trim().to_lowercase();
    ["0", "-", "no", "skip", "không", "khong", "bỏ qua", "bo qua", "ko"].contains(&t.as_str())
        || Locale::ALL.into_iter().any(|l| ctx.catalog.s(l, "report-skip").to_lowercase() == t)
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
