//! The situation report dialogue: `/tinhhinh` in a bound cell's chat (or an officer's private
//! chat) asks five things in turn (the topic from `situations.topics`, the severity, the place,
//! the text, then photos or files until «xong»), each checked and kept in the dialogue store per
//! chat and member; in a group every question is a ForceReply to the member, so that privacy mode
//! lets the answers through. At the end the files are fetched into Loa's store by content, the
//! report is written with them in one transaction, the member is told its number, and an urgent
//! one is sent at once to the officers of the nearest unit above it that has some and to the
//! board, with its files.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{ForceReply, ReplyMarkup};

use super::dialogues::{self, Dialogue, Key};
use super::{Ctx, HandlerResult, mention, say, say_with};
use crate::i18n::{Args, Locale, escape};
use crate::situations::{self, Invalid, NewSituation, Severity, StoredFile};
use crate::staff::Role;
use crate::telegram::replies::Reply;

super::dialogues::questions! {
    /// The questions of a situation report, in order.
    Step {
        /// One of the configured topics.
        Topic,
        /// thường, cần chú ý, khẩn.
        Severity,
        /// Where it happens.
        Place,
        /// What happens.
        Text,
        /// Photos or files, until «xong» (or «không»).
        Files,
    }
}

/// A file sent during the dialogue, not fetched yet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DraftFile {
    pub kind: String,
    pub file_id: String,
    pub name: String,
    pub size: u64,
}

/// A situation report being written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SituationDraft {
    pub step: Step,
    pub cell_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub topic: Option<String>,
    pub severity: Option<Severity>,
    pub place: Option<String>,
    pub body: Option<String>,
    #[serde(default)]
    pub files: Vec<DraftFile>,
    /// The delivery of the situation request this report answers, if it answers one.
    #[serde(default)]
    pub request: Option<i64>,
}

/// The situation report this member is writing in this chat, for a message that is not a command.
pub(super) async fn active_situation(msg: Message, ctx: Arc<Ctx>) -> Option<SituationDraft> {
    if msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    dialogues::load(&ctx.pool, Key::of(&msg), Dialogue::Situation).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to read the situation dialogue");
        None
    })
}

/// `/tinhhinh`: in a bound cell's chat, by any member; in a private chat, by a member of staff
/// (under their unit; the board under the province's committee).
pub(super) async fn on_command(msg: &Message, ctx: &Ctx, locale: Locale) -> HandlerResult {
    let chat = msg.chat.id;
    let c = &ctx.catalog;
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    let mut conn = ctx.pool.acquire().await?;
    let cell = crate::cells::by_chat(&mut conn, chat.0).await?;
    let (cell_id, unit_id) = match cell {
        Some(cell) => (Some(cell.id), cell.unit_id),
        None if msg.chat.is_private() => {
            match crate::staff::role_of(&ctx.pool, &ctx.config.admins, from.id.0 as i64).await? {
                Some(m) if m.role == Role::District => (None, m.unit_id),
                Some(_) => (None, Some(crate::units::root(&mut conn).await?.id)),
                None => return say(&ctx.replies, chat, c.s(locale, "sit-who")).await,
            }
        }
        None => return say(&ctx.replies, chat, c.s(locale, "sit-who")).await,
    };
    drop(conn);
    // a cell with a situation request it has not answered answers that one
    if let Some(cell_id) = cell_id {
        for t in crate::acks::sent_to_cell(&ctx.pool, cell_id, 20).await? {
            if t.situation && crate::reports::current(&ctx.pool, t.pack_id, cell_id).await?.is_none() {
                return begin_request(ctx, &t, from, locale).await;
            }
        }
    }
    let draft = SituationDraft { cell_id, unit_id, ..Default::default() };
    dialogues::save(&ctx.pool, Key::of(msg), Dialogue::Situation, &draft).await?;
    say(&ctx.replies, chat, c.t(locale, "sit-intro", Args::new().raw("who", mention(from)))).await?;
    ask(ctx, chat, from, locale, Step::Topic).await
}

/// The situation report asked by a request (a pack whose purpose is `situation`), begun from its
/// «📝 Báo cáo», from `/report`, or from `/tinhhinh` while the cell has not answered it.
pub(super) async fn begin_request(
    ctx: &Ctx,
    t: &crate::acks::Target,
    from: &teloxide::types::User,
    locale: Locale,
) -> HandlerResult {
    let unit_id: Option<i64> =
        sqlx::query_scalar("SELECT unit_id FROM cells WHERE id = $1").bind(t.cell_id).fetch_one(&ctx.pool).await?;
    let draft =
        SituationDraft { cell_id: Some(t.cell_id), unit_id, request: Some(t.delivery_id), ..Default::default() };
    let chat = ChatId(t.chat_id);
    dialogues::save(&ctx.pool, Key { chat: chat.0, user: from.id.0 as i64 }, Dialogue::Situation, &draft).await?;
    let args = Args::new().raw("who", mention(from)).raw("pack", escape(&super::cell::name_of(t, locale)));
    say(&ctx.replies, chat, ctx.catalog.t(locale, "sit-intro-request", args)).await?;
    ask(ctx, chat, from, locale, Step::Topic).await
}

async fn ask(ctx: &Ctx, chat: ChatId, from: &teloxide::types::User, locale: Locale, step: Step) -> HandlerResult {
    let c = &ctx.catalog;
    let key = match step {
        Step::Topic => "sit-ask-topic",
        Step::Severity => "sit-ask-severity",
        Step::Place => "sit-ask-place",
        Step::Text => "sit-ask-text",
        Step::Files => "sit-ask-files",
    };
    let topics: Vec<String> =
        ctx.config.situation_topics.iter().enumerate().map(|(i, t)| format!("{}. {}", i + 1, escape(t))).collect();
    let text = c.t(
        locale,
        key,
        Args::new()
            .raw("who", mention(from))
            .raw("topics", topics.join("\n"))
            .raw("max", situations::MAX_TEXT as i64)
            .raw("files", situations::MAX_FILES as i64),
    );
    let placeholder = c.s(locale, &format!("{key}-hint"));
    let markup = ReplyMarkup::ForceReply(ForceReply::new().selective().input_field_placeholder(Some(placeholder)));
    say_with(&ctx.replies, chat, text, Some(markup)).await
}

/// Whether an answer means "done" (or "none") at the files' step.
fn is_done(ctx: &Ctx, text: &str) -> bool {
    let t = text.trim().to_lowercase();
    ["xong", "xong rồi", "done", "không", "khong", "ko", "no", "0", "-", "bỏ qua", "bo qua", "skip"]
        .contains(&t.as_str())
        || Locale::ALL.into_iter().any(|l| ctx.catalog.s(l, "sit-done-word").to_lowercase() == t)
}

/// An answer in a situation report dialogue.
pub(super) async fn on_message(bot: Bot, msg: Message, mut d: SituationDraft, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let key = Key::of(&msg);
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let Some(from) = msg.from.clone() else { return Ok(()) };
    let text = msg.text().or(msg.caption()).unwrap_or("");
    let wrong = |e: Invalid| {
        let args = Args::new().raw("who", mention(&from));
        match e {
            Invalid::UnknownTopic => c.t(locale, "sit-bad-topic", args.user("given", text.trim())),
            Invalid::UnknownSeverity => c.t(locale, "sit-bad-severity", args),
            Invalid::Empty => c.t(locale, "sit-empty", args),
            Invalid::TooLong(n, max) => c.t(locale, "sit-too-long", args.raw("count", n as i64).raw("max", max as i64)),
        }
    };
    let step = d.step;
    let answered: Result<(), Invalid> = match step {
        Step::Topic => situations::parse_topic(&ctx.config.situation_topics, text).map(|t| {
            d.topic = Some(t);
            d.step = Step::Severity;
        }),
        Step::Severity => Severity::parse(text).ok_or(Invalid::UnknownSeverity).map(|s| {
            d.severity = Some(s);
            d.step = Step::Place;
        }),
        Step::Place => situations::check_text(text, situations::MAX_PLACE).map(|p| {
            d.place = Some(p);
            d.step = Step::Text;
        }),
        Step::Text => situations::check_text(text, situations::MAX_TEXT).map(|b| {
            d.body = Some(b);
            d.step = Step::Files;
        }),
        Step::Files => Ok(()),
    };
    if let Err(e) = answered {
        say(&ctx.replies, chat, wrong(e)).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    if step != Step::Files {
        dialogues::save(&ctx.pool, key, Dialogue::Situation, &d).await?;
        return ask(&ctx, chat, &from, locale, d.step).await;
    }
    // the files' step: a photo or a document is kept for later, «xong» ends it
    let file = if let Some(p) = msg.photo().and_then(|p| p.last()) {
        Some(DraftFile {
            kind: "photo".into(),
            file_id: p.file.id.0.clone(),
            name: format!("anh-{}.jpg", d.files.len() + 1),
            size: u64::from(p.file.size),
        })
    } else {
        msg.document().map(|doc| DraftFile {
            kind: "document".into(),
            file_id: doc.file.id.0.clone(),
            name: doc.file_name.clone().unwrap_or_else(|| format!("tep-{}", d.files.len() + 1)),
            size: u64::from(doc.file.size),
        })
    };
    if let Some(file) = file {
        let args = Args::new().raw("who", mention(&from));
        if file.size > crate::telegram::fetch_limit(&ctx.config) {
            let mb = (crate::telegram::fetch_limit(&ctx.config) >> 20) as i64;
            say(&ctx.replies, chat, c.t(locale, "sit-file-too-big", args.user("name", &file.name).raw("mb", mb)))
                .await?;
        } else if d.files.len() >= situations::MAX_FILES {
            say(&ctx.replies, chat, c.t(locale, "sit-too-many-files", args.raw("max", situations::MAX_FILES as i64)))
                .await?;
        } else {
            d.files.push(file);
            dialogues::save(&ctx.pool, key, Dialogue::Situation, &d).await?;
            say(&ctx.replies, chat, c.t(locale, "sit-file-taken", args.raw("count", d.files.len() as i64))).await?;
        }
        return ask(&ctx, chat, &from, locale, Step::Files).await;
    }
    if !is_done(&ctx, text) {
        say(&ctx.replies, chat, c.t(locale, "sit-bad-file", Args::new().raw("who", mention(&from)))).await?;
        return ask(&ctx, chat, &from, locale, Step::Files).await;
    }
    finish(&bot, &ctx, key, &from, d, locale).await
}

/// Fetches the files, writes the report, tells the member, and sends an urgent one on.
async fn finish(
    bot: &Bot,
    ctx: &Arc<Ctx>,
    key: Key,
    from: &teloxide::types::User,
    d: SituationDraft,
    locale: Locale,
) -> HandlerResult {
    let chat = ChatId(key.chat);
    let c = &ctx.catalog;
    let (Some(topic), Some(severity), Some(place), Some(body)) = (d.topic, d.severity, d.place, d.body) else {
        dialogues::clear(&ctx.pool, key, Dialogue::Situation).await?;
        return say(&ctx.replies, chat, c.s(locale, "sit-gone")).await;
    };
    let mut files = Vec::new();
    for f in &d.files {
        let (sha256, path) = crate::telegram::fetch_to_store(bot, &ctx.config, &f.file_id).await?;
        let size = std::fs::metadata(&path).map(|m| m.len() as i64).unwrap_or(f.size as i64);
        files.push(StoredFile {
            kind: f.kind.clone(),
            name: f.name.clone(),
            size,
            sha256,
            local_path: path.to_string_lossy().to_string(),
            telegram_file_id: f.file_id.clone(),
        });
    }
    let report = NewSituation {
        cell_id: d.cell_id,
        unit_id: d.unit_id,
        chat_id: key.chat,
        user_id: key.user,
        user_name: crate::acks::display_name(from),
        topic,
        severity,
        place,
        body,
        files,
    };
    // the request it answers, if the cell still holds this chat
    let answering = match d.request {
        Some(delivery) => crate::acks::target_in_chat(&ctx.pool, delivery, key.chat).await?,
        None => None,
    };
    let tz = ctx.config.timezone;
    let filed = situations::store(&ctx.pool, &report, crate::dates::now(), answering.as_ref().map(|t| (t, tz))).await?;
    let id = filed.id;
    dialogues::clear(&ctx.pool, key, Dialogue::Situation).await?;
    if let (Some(t), Some(ack)) = (&answering, &filed.ack) {
        super::cell::show_ack(ctx, t, ack, None).await;
    }
    metrics::counter!("loa_situation_reports_total").increment(1);
    tracing::info!(report_id = id, severity = severity.as_str(), files = report.files.len(), "situation report filed");
    let said = c.t(
        locale,
        if severity == Severity::Urgent { "sit-saved-urgent" } else { "sit-saved" },
        Args::new()
            .raw("id", id)
            .user("topic", &report.topic)
            .raw("severity", c.s(locale, &format!("sit-severity-{}", severity.as_str())))
            .raw("files", report.files.len() as i64),
    );
    say(&ctx.replies, chat, said).await?;
    if severity == Severity::Urgent {
        let sent = route_urgent(ctx, id, &report).await?;
        situations::mark_routed(&ctx.pool, id, sent).await?;
    }
    Ok(())
}

/// Sends an urgent report at once, with its files, to the officers of the nearest unit above it
/// that has officers and to the board (admins and board members); true when someone was sent it.
async fn route_urgent(ctx: &Ctx, id: i64, r: &NewSituation) -> anyhow::Result<bool> {
    let hearers = crate::staff::who_hears(&ctx.pool, &ctx.config.admins, r.unit_id).await?;
    let cell_name = match r.cell_id {
        Some(cell) => Some(crate::cells::by_id(&mut *ctx.pool.acquire().await?, cell).await?.name),
        None => None,
    };
    let unit_name = match r.unit_id {
        Some(u) => crate::stats::unit_ref(&ctx.pool, u).await?.map(|u| u.name).unwrap_or_default(),
        None => String::new(),
    };
    let mut told = false;
    for m in hearers {
        let chat = ChatId(m.user_id);
        let locale = ctx.locale(chat).await;
        let text = ctx.catalog.t(
            locale,
            "sit-urgent-alert",
            Args::new()
                .raw("id", id)
                .user("from", cell_name.as_deref().unwrap_or(&r.user_name))
                .user("unit", &unit_name)
                .user("topic", &r.topic)
                .user("place", &r.place)
                .user("who", &r.user_name)
                .user("body", &r.body),
        );
        let queued = ctx.replies.send(chat, Reply::Text { html: text, markup: None });
        for f in &r.files {
            let bytes = match std::fs::read(&f.local_path) {
                Ok(b) => bytes::Bytes::from(b),
                Err(e) => {
                    tracing::warn!(report_id = id, error = %e, "a stored file of a situation report could not be read");
                    continue;
                }
            };
            let reply = if f.kind == "photo" {
                Reply::Photo { name: f.name.clone(), bytes }
            } else {
                Reply::Document { name: f.name.clone(), bytes, caption: None }
            };
            ctx.replies.send(chat, reply);
        }
        told |= queued;
    }
    if !told {
        tracing::warn!(report_id = id, "an urgent situation report reached nobody: it waits in the inbox, marked so");
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_keeps_its_step_as_a_number_and_its_severity_as_a_word() {
        let d = SituationDraft {
            step: Step::Place,
            severity: Some(Severity::Urgent),
            files: vec![DraftFile { kind: "photo".into(), file_id: "F".into(), name: "a.jpg".into(), size: 3 }],
            ..Default::default()
        };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!((json["step"].as_u64(), json["severity"].as_str()), (Some(3), Some("urgent")));
        let back: SituationDraft = serde_json::from_value(json).unwrap();
        assert_eq!((back.step, back.severity, back.files.len()), (Step::Place, Some(Severity::Urgent), 1));
        assert!(serde_json::from_str::<SituationDraft>(r#"{"step":6}"#).is_err(), "no step 6");
    }
}
