//! The report dialogue: `r:<delivery>` or `/report` starts it, four answers follow (the meeting's
//! date, attendance, the text, an optional photo or file), each checked, kept in the dialogue store
//! per chat and member, and the report written before the member is told. In a group every
//! question is a ForceReply to the member, so that privacy mode lets their answers through.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use super::cell::{name_of, show_ack};
use super::dialogues::{self, Dialogue, Key};
use super::{Ctx, HandlerResult, mention, say, say_with};
use crate::acks::{self, Target};
use crate::audit::{self, Actor};
use crate::i18n::{Args, Locale};
use crate::reports::{self, Invalid, NewReport};
use crate::telegram::button::Button;

super::dialogues::questions! {
    /// The report's questions, in order.
    Question {
        /// The date of the cell's meeting.
        Date,
        /// How many members attended.
        Attendance,
        /// What the meeting took up.
        Text,
        /// A photo or file, or "no".
        Attachment,
    }
}

/// A report being written: which delivery it answers and the answers so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReportDraft {
    pub delivery_id: i64,
    pub step: Question,
    pub meeting_date: Option<String>,
    pub attendance: Option<i64>,
    pub body: Option<String>,
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
pub(super) async fn begin_report(ctx: &Ctx, t: &Target, from: &teloxide::types::User, locale: Locale) -> HandlerResult {
    if t.situation {
        return super::situation::begin_request(ctx, t, from, locale).await;
    }
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
    let draft = ReportDraft { delivery_id: t.delivery_id, step: Question::Date, ..Default::default() };
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
    ask(ctx, chat, from, locale, Question::Date).await
}

async fn ask(ctx: &Ctx, chat: ChatId, from: &teloxide::types::User, locale: Locale, step: Question) -> HandlerResult {
    let key = match step {
        Question::Date => "report-ask-date",
        Question::Attendance => "report-ask-attendance",
        Question::Text => "report-ask-text",
        Question::Attachment => "report-ask-attachment",
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
pub(super) async fn on_report_message(bot: Bot, msg: Message, mut d: ReportDraft, ctx: Arc<Ctx>) -> HandlerResult {
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
        Question::Date => reports::parse_meeting_date(text, today).map(|date| {
            d.meeting_date = Some(date.to_string());
            d.step = Question::Attendance;
        }),
        Question::Attendance => reports::parse_attendance(text).map(|n| {
            d.attendance = Some(n);
            d.step = Question::Text;
        }),
        Question::Text => reports::check_text(text).map(|body| {
            d.body = Some(body);
            d.step = Question::Attachment;
        }),
        Question::Attachment => Ok(()),
    };
    if let Err(e) = result {
        say(&ctx.replies, chat, wrong(e)).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    if answering != Question::Attachment {
        dialogues::save(&ctx.pool, key, Dialogue::Report, &d).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    // the last step: a photo, a document, or "no"; a file is fetched into the store by content
    let sent = if let Some(p) = msg.photo().and_then(|p| p.last()) {
        Some((p.file.id.0.clone(), "photo", "anh.jpg".to_string(), u64::from(p.file.size)))
    } else if let Some(doc) = msg.document() {
        let name = doc.file_name.clone().unwrap_or_else(|| "tep".to_string());
        Some((doc.file.id.0.clone(), "document", name, u64::from(doc.file.size)))
    } else if is_no(&ctx, text) {
        None
    } else {
        say(&ctx.replies, chat, c.t(locale, "report-bad-attachment", Args::new().raw("who", mention(&from)))).await?;
        return ask(&ctx, chat, &from, locale, Question::Attachment).await;
    };
    let attachment = match sent {
        None => None,
        Some((_, _, name, size)) if size > crate::telegram::fetch_limit(&ctx.config) => {
            let mb = (crate::telegram::fetch_limit(&ctx.config) >> 20) as i64;
            let args = Args::new().raw("who", mention(&from)).user("name", &name).raw("mb", mb);
            say(&ctx.replies, chat, c.t(locale, "report-file-too-big", args)).await?;
            return ask(&ctx, chat, &from, locale, Question::Attachment).await;
        }
        Some((file_id, kind, name, _)) => {
            let (sha256, path) = crate::telegram::fetch_to_store(&bot, &ctx.config, &file_id).await?;
            Some(reports::Attachment {
                telegram_file_id: file_id,
                kind: kind.to_string(),
                name,
                sha256,
                path: path.to_string_lossy().to_string(),
            })
        }
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
                match report.attachment.as_ref().map(|a| a.kind.as_str()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_draft_keeps_its_question_as_a_number() {
        let d: ReportDraft = serde_json::from_str(r#"{"delivery_id":7,"step":2,"meeting_date":"2023-10-05"}"#).unwrap();
        assert_eq!((d.delivery_id, d.step), (7, Question::Attendance));
        assert_eq!(serde_json::to_value(&d).unwrap()["step"], 2);
        assert!(serde_json::from_str::<ReportDraft>(r#"{"delivery_id":7,"step":5}"#).is_err(), "no question 5");
        assert_eq!(ReportDraft::default().step, Question::Date);
    }
}
