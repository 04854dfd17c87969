//! Composing a pack in chat: `/newpack` walks a board member through the [`Step`]s (kind, period,
//! title, body, documents, audience, deadline, report request and schedule), shows the message
//! exactly as a cell will see it with the delivery estimate, and saves it on confirmation.
//! `/cancel` leaves at any step. The draft is kept in the dialogue store ([`super::dialogues`]),
//! written after every answer, so a restart in the middle loses nothing.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup, KeyboardRemove, ReplyMarkup,
};
use teloxide::utils::render::RenderMessageTextHelper;

use super::dialogues::{self, Dialogue, Key};
use super::{Ctx, HandlerResult};
use crate::audit::Actor;
use crate::i18n::{Args, Locale, escape};
use crate::packs::body::{self, BodyFormat};
use crate::packs::folder::{ALLOWED_TYPES, MAX_ATTACHMENTS, MAX_MESSAGE, PackDraft, Schedule, mime_of};
use crate::packs::message::{self, PackText};
use crate::packs::period::{PackKind, Period};
use crate::packs::store::{self, NewAttachment, When};
use crate::packs::{Audience, audience_counts, duration_words, estimate_seconds};
use crate::staff::{self, Role};

super::dialogues::questions! {
    /// The composer's questions, in order.
    Step {
        Kind,
        Period,
        Title,
        Body,
        Docs,
        Audience,
        Deadline,
        Report,
        Schedule,
        /// The preview is shown; «Gửi» saves the pack.
        Confirm,
    }
}

/// A document sent in chat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatDoc {
    pub file_id: String,
    pub unique_id: String,
    pub name: String,
    pub size: i64,
}

/// The answers so far; stored as JSON in `dialogues`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Draft {
    pub step: Step,
    pub kind: Option<String>,
    pub period: Option<String>,
    pub title: Option<String>,
    pub body_html: Option<String>,
    pub docs: Vec<ChatDoc>,
    /// Audience JSON (see [`Audience::to_json`]).
    pub audience: Option<String>,
    pub deadline: Option<String>,
    pub report: Option<String>,
    /// "now", "slot", "draft" or a local "YYYY-MM-DD HH:MM".
    pub schedule: Option<String>,
}

impl Draft {
    fn kind(&self) -> Option<PackKind> {
        self.kind.as_deref().and_then(PackKind::parse)
    }
    fn period(&self) -> Option<Period> {
        self.period.as_deref().and_then(|p| Period::parse(p).ok())
    }
    fn audience(&self) -> Audience {
        self.audience.as_deref().and_then(Audience::from_json).unwrap_or(Audience::All)
    }
    fn deadline(&self) -> Option<NaiveDate> {
        self.deadline.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

/// The dialogue of this chat and user, for a message that is not a command.
pub(super) async fn active_dialogue(msg: Message, ctx: Arc<Ctx>) -> Option<Draft> {
    if !msg.chat.is_private() || msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    dialogues::load(&ctx.pool, Key::of(&msg), Dialogue::Newpack).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to read the dialogue");
        None
    })
}

async fn send(
    replies: &Arc<crate::telegram::replies::Replies>,
    chat: ChatId,
    html: String,
    markup: Option<ReplyMarkup>,
) -> HandlerResult {
    super::say_with(replies, chat, html, markup).await
}

fn keyboard(rows: Vec<Vec<String>>) -> Option<ReplyMarkup> {
    let rows: Vec<Vec<KeyboardButton>> =
        rows.into_iter().map(|r| r.into_iter().map(KeyboardButton::new).collect()).collect();
    Some(ReplyMarkup::Keyboard(KeyboardMarkup::new(rows).resize_keyboard().one_time_keyboard()))
}

/// Is `text` the button word `key` (in either language) or one of `also`?
fn is(ctx: &Ctx, text: &str, key: &str, also: &[&str]) -> bool {
    let t = text.trim().to_lowercase();
    Locale::ALL.into_iter().any(|l| ctx.catalog.s(l, key).to_lowercase() == t) || also.contains(&t.as_str())
}

fn today(ctx: &Ctx) -> NaiveDate {
    Utc::now().with_timezone(&ctx.config.timezone).date_naive()
}

/// `/newpack`: starts a draft, unless one is under way (then says at which step).
pub(super) async fn begin(msg: &Message, ctx: &Ctx, locale: Locale) -> HandlerResult {
    let chat = msg.chat.id;
    if let Some(d) = dialogues::load::<Draft>(&ctx.pool, Key::of(msg), Dialogue::Newpack).await? {
        let step = i64::from(u8::from(d.step).min(9));
        return send(&ctx.replies, chat, ctx.catalog.t(locale, "np-busy", Args::new().raw("step", step)), None).await;
    }
    let draft = Draft { step: Step::Kind, ..Default::default() };
    dialogues::save(&ctx.pool, Key::of(msg), Dialogue::Newpack, &draft).await?;
    ask(chat, ctx, locale, &draft).await
}

/// Drops the pack a member is composing in this chat, if any (`/cancel`).
pub(super) async fn cancel(ctx: &Ctx, key: Key) -> anyhow::Result<bool> {
    dialogues::clear(&ctx.pool, key, Dialogue::Newpack).await
}

/// Hides a reply keyboard the composer showed.
pub(super) fn no_keyboard() -> Option<ReplyMarkup> {
    Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new()))
}

/// The step before the draft's: the question a member goes back to with «⬅️ Quay lại» (a
/// thematic or urgent pack has no period to go back to).
fn previous_step(d: &Draft) -> Step {
    match d.step {
        Step::Title if matches!(d.kind(), Some(PackKind::Monthly | PackKind::Quarterly)) => Step::Period,
        Step::Title => Step::Kind,
        step => step.before(),
    }
}

/// A keyboard for the step's question, with «⬅️ Quay lại» under it after the first question.
fn step_keyboard(ctx: &Ctx, locale: Locale, d: &Draft, mut rows: Vec<Vec<String>>) -> Option<ReplyMarkup> {
    if d.step > Step::Kind {
        rows.push(vec![ctx.catalog.s(locale, "word-back")]);
    }
    if rows.is_empty() { no_keyboard() } else { keyboard(rows) }
}

/// Asks the question of the draft's step.
async fn ask(chat: ChatId, ctx: &Ctx, locale: Locale, d: &Draft) -> HandlerResult {
    let c = &ctx.catalog;
    let w = |k: &str| c.s(locale, k);
    let today = today(ctx);
    match d.step {
        Step::Kind => {
            let kb = keyboard(vec![
                vec![w("kind-monthly"), w("kind-quarterly")],
                vec![w("kind-thematic"), w("kind-urgent")],
            ]);
            send(&ctx.replies, chat, format!("{}\n\n{}", w("np-start"), w("np-ask-kind")), kb).await
        }
        Step::Period => {
            let quarterly = d.kind() == Some(PackKind::Quarterly);
            let now = Period::containing(today, quarterly);
            let next_day = if quarterly { today + chrono::Months::new(3) } else { today + chrono::Months::new(1) };
            let next = Period::containing(next_day.with_day(1).unwrap_or(next_day), quarterly);
            let args = Args::new()
                .raw("month", Period::containing(today, false).code())
                .raw("quarter", Period::containing(today, true).code());
            let kb = step_keyboard(ctx, locale, d, vec![vec![now.code(), next.code()]]);
            send(&ctx.replies, chat, c.t(locale, "np-ask-period", args), kb).await
        }
        Step::Title => send(&ctx.replies, chat, w("np-ask-title"), step_keyboard(ctx, locale, d, vec![])).await,
        Step::Body => send(&ctx.replies, chat, w("np-ask-body"), step_keyboard(ctx, locale, d, vec![])).await,
        Step::Docs => {
            let args = Args::new().raw("max", MAX_ATTACHMENTS as i64);
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-done")]]);
            send(&ctx.replies, chat, c.t(locale, "np-ask-docs", args), kb).await
        }
        Step::Audience => {
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-all")]]);
            send(&ctx.replies, chat, w("np-ask-audience"), kb).await
        }
        Step::Deadline => {
            let example = (today + chrono::Duration::days(i64::from(ctx.config.default_deadline_days)))
                .format("%d/%m/%Y")
                .to_string();
            let args = Args::new().raw("example", example).raw("days", i64::from(ctx.config.default_deadline_days));
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-default")]]);
            send(&ctx.replies, chat, c.t(locale, "np-ask-deadline", args), kb).await
        }
        Step::Report => {
            send(&ctx.replies, chat, w("np-ask-report"), step_keyboard(ctx, locale, d, vec![vec![w("word-no")]])).await
        }
        Step::Schedule => {
            let mut first = vec![w("word-now")];
            if matches!(d.kind(), Some(PackKind::Monthly | PackKind::Quarterly)) {
                first.push(w("word-slot"));
            }
            let kb = step_keyboard(ctx, locale, d, vec![first, vec![w("word-draft")]]);
            send(&ctx.replies, chat, w("np-ask-schedule"), kb).await
        }
        _ => preview(chat, ctx, locale, d).await,
    }
}

/// The local date the draft would go out on, as its schedule says (a draft: today).
fn send_date(ctx: &Ctx, d: &Draft) -> NaiveDate {
    let now = Utc::now();
    match d.schedule.as_deref() {
        Some("slot") => match (d.kind(), d.period()) {
            (Some(kind), Some(period)) => store::slot_time(&ctx.config, kind, period, now)
                .map(|t| t.with_timezone(&ctx.config.timezone).date_naive())
                .unwrap_or_else(|_| today(ctx)),
            _ => today(ctx),
        },
        Some(t) if t != "now" && t != "draft" => {
            crate::packs::folder::parse_local(t).map(|t| t.date()).unwrap_or_else(|| today(ctx))
        }
        _ => today(ctx),
    }
}

fn render(ctx: &Ctx, locale: Locale, d: &Draft) -> String {
    // as delivery will: the date named, else the send date plus the default number of days
    let deadline = crate::packs::deadline_for(d.deadline(), send_date(ctx, d), ctx.config.default_deadline_days);
    message::render(
        &ctx.catalog,
        locale,
        &PackText {
            title: d.title.as_deref().unwrap_or(""),
            period: d.period(),
            body_html: d.body_html.as_deref().unwrap_or(""),
            deadline,
            report_prompt: d.report.as_deref(),
            attachments: d.docs.len(),
        },
    )
}

async fn preview(chat: ChatId, ctx: &Ctx, locale: Locale, d: &Draft) -> HandlerResult {
    let c = &ctx.catalog;
    let report = if d.report.is_some() { c.s(locale, "np-preview-report") } else { String::new() };
    let mut head = c.t(locale, "np-preview", Args::new().raw("docs", d.docs.len() as i64).raw("report", report));
    for doc in &d.docs {
        head.push_str(&format!("\n📎 {}", escape(&doc.name)));
    }
    send(&ctx.replies, chat, head, None).await?;
    // the message as cells will see it, with its buttons (which here only say they are a preview)
    let buttons = crate::telegram::button::pack_keyboard(0, d.report.is_some(), None);
    let buttons = InlineKeyboardMarkup::new(buttons.inline_keyboard.into_iter().map(|row| {
        row.into_iter()
            .map(|b| InlineKeyboardButton::callback(b.text, crate::telegram::button::PREVIEW_BUTTON))
            .collect::<Vec<_>>()
    }));
    send(&ctx.replies, chat, render(ctx, Locale::Vi, d), Some(ReplyMarkup::InlineKeyboard(buttons))).await?;
    let (cells, active) = audience_counts(&ctx.pool, &d.audience()).await?;
    let secs = estimate_seconds(active, d.docs.len() as i64 + 1, ctx.config.delivery.messages_per_second);
    let when = match d.schedule.as_deref() {
        Some("now") => c.s(locale, "np-when-now"),
        Some("slot") => c.s(locale, "np-when-slot"),
        Some("draft") | None => c.s(locale, "np-when-draft"),
        Some(t) => c.t(locale, "np-when-at", Args::new().raw("time", t.to_string())),
    };
    let args = Args::new()
        .raw("cells", cells)
        .raw("active", active)
        .raw("when", when)
        .raw("estimate", duration_words(secs, locale));
    let kb = step_keyboard(ctx, locale, d, vec![vec![c.s(locale, "word-confirm"), c.s(locale, "word-cancel")]]);
    send(&ctx.replies, chat, c.t(locale, "np-summary", args), kb).await
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d")).ok()
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%d/%m/%Y %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()
}

/// One answer. Returns the problem to show (and the step stays), or moves the draft on.
async fn answer(msg: &Message, ctx: &Ctx, locale: Locale, d: &mut Draft) -> anyhow::Result<Result<(), String>> {
    let c = &ctx.catalog;
    let text = msg.text().map(str::trim).unwrap_or("");
    let need_text = || Err(c.s(locale, "np-bad-text"));
    match d.step {
        Step::Kind => {
            let kind = [
                ("kind-monthly", PackKind::Monthly, "monthly"),
                ("kind-quarterly", PackKind::Quarterly, "quarterly"),
                ("kind-thematic", PackKind::Thematic, "thematic"),
                ("kind-urgent", PackKind::Urgent, "urgent"),
            ]
            .into_iter()
            .find(|(k, _, en)| is(ctx, text, k, &[en]))
            .map(|(_, kind, _)| kind);
            let Some(kind) = kind else { return Ok(Err(c.s(locale, "np-bad-kind"))) };
            d.kind = Some(kind.as_str().into());
            d.step = if matches!(kind, PackKind::Monthly | PackKind::Quarterly) { Step::Period } else { Step::Title };
        }
        Step::Period => {
            let kind = d.kind().unwrap_or(PackKind::Monthly);
            let period = Period::parse(text).and_then(|p| kind.check_period(Some(p)).map(|_| p));
            match period {
                Ok(p) => {
                    d.period = Some(p.code());
                    d.step = Step::Title;
                }
                Err(e) => {
                    let reason = c.t(locale, e.key(), Args::new().user("given", e.given()));
                    return Ok(Err(c.t(locale, "np-bad-period", Args::new().raw("reason", reason))));
                }
            }
        }
        Step::Title => {
            if text.is_empty() {
                return Ok(need_text());
            }
            if text.chars().count() > 200 {
                let count = text.chars().count() as i64;
                return Ok(Err(c.t(locale, "np-bad-title-long", Args::new().raw("count", count).raw("max", 200))));
            }
            d.title = Some(text.to_string());
            d.step = Step::Body;
        }
        Step::Body => {
            let Some(raw) = msg.text() else { return Ok(need_text()) };
            // teloxide returns text without entities unescaped: escape it here
            let html = match msg.entities() {
                Some(e) if !e.is_empty() => msg.html_text().unwrap_or_else(|| escape(raw)),
                _ => escape(raw),
            };
            match body::to_telegram_html(&html, BodyFormat::Html) {
                Ok(h) => {
                    d.body_html = Some(h);
                    d.step = Step::Docs;
                }
                Err(e) => {
                    // Telegram's parser says what is wrong in English: the log keeps it, the chat
                    // says it in the chat's language
                    tracing::info!(error = %e, "a typed body Telegram would not take");
                    return Ok(Err(c.s(locale, "np-bad-body-format")));
                }
            }
        }
        Step::Docs => {
            if let Some(doc) = msg.document() {
                if d.docs.len() >= MAX_ATTACHMENTS {
                    return Ok(Err(c.t(locale, "np-too-many-docs", Args::new().raw("max", MAX_ATTACHMENTS as i64))));
                }
                let name = doc.file_name.clone().unwrap_or_else(|| format!("tai-lieu-{}.pdf", d.docs.len() + 1));
                let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
                let ext = if ext == "jpeg" { "jpg".to_string() } else { ext };
                if !ALLOWED_TYPES.contains(&ext.as_str()) {
                    let args = Args::new().user("name", &name).raw("types", ALLOWED_TYPES.join(", "));
                    return Ok(Err(c.t(locale, "np-bad-doc-type", args)));
                }
                d.docs.push(ChatDoc {
                    file_id: doc.file.id.0.clone(),
                    unique_id: doc.file.unique_id.0.clone(),
                    name: name.clone(),
                    size: i64::from(doc.file.size),
                });
                let args = Args::new()
                    .user("name", &name)
                    .raw("count", d.docs.len() as i64)
                    .raw("max", MAX_ATTACHMENTS as i64);
                send(&ctx.replies, msg.chat.id, c.t(locale, "np-doc-added", args), None).await?;
                return Ok(Ok(()));
            }
            if !is(ctx, text, "word-done", &["done"]) {
                return Ok(Err(c.s(locale, "np-bad-doc")));
            }
            d.step = Step::Audience;
        }
        Step::Audience => {
            if text.is_empty() {
                return Ok(need_text());
            }
            let audience = if is(ctx, text, "word-all", &["all"]) {
                Audience::All
            } else {
                let (mut districts, mut units, mut tags, mut cells) =
                    (Default::default(), Default::default(), Default::default(), Default::default());
                for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    let mut conn = ctx.pool.acquire().await?;
                    let unit = match crate::units::find(&mut conn, token).await?.as_slice() {
                        [u] if u.parent_id.is_some() => Some(u.code.clone()),
                        _ => None,
                    };
                    drop(conn);
                    if let Ok(d) = crate::cells::known_district(&ctx.pool, token).await? {
                        let _ = std::collections::BTreeSet::insert(&mut districts, d);
                    } else if let Some(code) = unit {
                        // a unit by its code or its (unique) name: its whole subtree
                        let _ = std::collections::BTreeSet::insert(&mut units, code);
                    } else if sqlx::query_scalar::<_, i64>("SELECT count(*) FROM cell_tags WHERE tag = $1")
                        .bind(token)
                        .fetch_one(&ctx.pool)
                        .await?
                        > 0
                    {
                        let _ = std::collections::BTreeSet::insert(&mut tags, token.to_string());
                    } else if sqlx::query_scalar::<_, i64>("SELECT count(*) FROM cells WHERE code = $1")
                        .bind(token)
                        .fetch_one(&ctx.pool)
                        .await?
                        > 0
                    {
                        let _ = std::collections::BTreeSet::insert(&mut cells, token.to_string());
                    } else {
                        return Ok(Err(c.t(locale, "np-bad-audience", Args::new().user("token", token))));
                    }
                }
                Audience::Some { districts, units, tags, cells }
            };
            if crate::packs::audience_size(&ctx.pool, &audience).await? == 0 {
                return Ok(Err(c.s(locale, "np-empty-audience")));
            }
            d.audience = Some(audience.to_json());
            d.step = Step::Deadline;
        }
        Step::Deadline => {
            if is(ctx, text, "word-default", &["default"]) {
                d.deadline = None;
            } else {
                match parse_date(text).filter(|date| *date >= today(ctx)) {
                    Some(date) => d.deadline = Some(date.to_string()),
                    None => {
                        let example = (today(ctx) + chrono::Duration::days(10)).format("%d/%m/%Y").to_string();
                        return Ok(Err(c.t(locale, "np-bad-date", Args::new().raw("example", example))));
                    }
                }
            }
            d.step = Step::Report;
        }
        Step::Report => {
            if text.is_empty() {
                return Ok(need_text());
            }
            d.report = if is(ctx, text, "word-no", &["no", "none", "không"]) {
                None
            } else {
                Some(text.chars().take(500).collect())
            };
            d.step = Step::Schedule;
        }
        Step::Schedule => {
            let slot_ok = matches!(d.kind(), Some(PackKind::Monthly | PackKind::Quarterly));
            let choice = if is(ctx, text, "word-now", &["now"]) {
                "now".to_string()
            } else if slot_ok && is(ctx, text, "word-slot", &["slot"]) {
                "slot".to_string()
            } else if is(ctx, text, "word-draft", &["draft"]) {
                "draft".to_string()
            } else {
                let now_local = Utc::now().with_timezone(&ctx.config.timezone).naive_local();
                match parse_time(text).filter(|t| *t > now_local && d.deadline().is_none_or(|dl| dl >= t.date())) {
                    Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
                    None => return Ok(Err(c.s(locale, "np-bad-schedule"))),
                }
            };
            d.schedule = Some(choice);
            let length =
                body::visible_len(&render(ctx, Locale::Vi, d)).max(body::visible_len(&render(ctx, Locale::En, d)));
            if length > MAX_MESSAGE {
                d.step = Step::Body;
                let args = Args::new().raw("length", length as i64).raw("max", MAX_MESSAGE as i64);
                send(&ctx.replies, msg.chat.id, c.t(locale, "np-too-long", args), None).await?;
                return Ok(Ok(()));
            }
            d.step = Step::Confirm;
        }
        _ => return Ok(Err(c.s(locale, "np-bad-confirm"))),
    }
    Ok(Ok(()))
}

pub(super) async fn on_dialogue_message(bot: Bot, msg: Message, mut draft: Draft, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let text = msg.text().unwrap_or("").trim().to_string();
    if draft.step >= Step::Confirm && !is(&ctx, &text, "word-back", &["back", "quay lại", "quay lai"]) {
        if is(&ctx, &text, "word-cancel", &["cancel"]) {
            dialogues::clear(&ctx.pool, Key::of(&msg), Dialogue::Newpack).await?;
            return send(&ctx.replies, chat, c.s(locale, "np-cancelled"), no_keyboard()).await;
        }
        if !is(&ctx, &text, "word-confirm", &["confirm"]) {
            return send(&ctx.replies, chat, c.s(locale, "np-bad-confirm"), None).await;
        }
        return confirm(&bot, &msg, &ctx, locale, &draft).await;
    }
    if draft.step > Step::Kind && is(&ctx, &text, "word-back", &["back", "quay lại", "quay lai"]) {
        draft.step = previous_step(&draft);
        dialogues::save(&ctx.pool, Key::of(&msg), Dialogue::Newpack, &draft).await?;
        return ask(chat, &ctx, locale, &draft).await;
    }
    let before = draft.step;
    match answer(&msg, &ctx, locale, &mut draft).await? {
        Err(problem) => {
            send(&ctx.replies, chat, c.t(locale, "np-retry", Args::new().raw("problem", problem)), None).await
        }
        Ok(()) => {
            dialogues::save(&ctx.pool, Key::of(&msg), Dialogue::Newpack, &draft).await?;
            if draft.step != before || draft.step == Step::Body {
                ask(chat, &ctx, locale, &draft).await?;
            }
            Ok(())
        }
    }
}

async fn confirm(bot: &Bot, msg: &Message, ctx: &Ctx, locale: Locale, d: &Draft) -> HandlerResult {
    let c = &ctx.catalog;
    let chat = msg.chat.id;
    let user_id = Key::of(msg).user;
    // the role is read again: it may have been revoked while the pack was being composed
    let member = match super::gate::person(msg) {
        Some(person) => staff::role_of(&ctx.pool, &ctx.config.admins, person).await?,
        None => None,
    };
    if !member.is_some_and(|m| m.role.includes(Role::Board)) {
        tracing::warn!(chat_id = chat.0, user_id, "staff command refused: no permission");
        staff::record_denial(&ctx.pool, user_id, "/newpack").await?;
        dialogues::clear(&ctx.pool, Key::of(msg), Dialogue::Newpack).await?;
        return send(
            &ctx.replies,
            chat,
            c.t(locale, "denied-staff", Args::new().raw("command", "/newpack")),
            no_keyboard(),
        )
        .await;
    }
    let mut attachments = Vec::new();
    for doc in &d.docs {
        let mut a = NewAttachment {
            name: doc.name.clone(),
            size: doc.size,
            mime: mime_of(doc.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default().as_str())
                .to_string(),
            sha256: String::new(),
            local_path: None,
            telegram_file_id: Some(doc.file_id.clone()),
            telegram_file_unique_id: Some(doc.unique_id.clone()),
        };
        // a local copy when Telegram lets a bot download it
        if doc.size as u64 <= crate::telegram::fetch_limit(&ctx.config) {
            match crate::telegram::fetch_to_store(bot, &ctx.config, &doc.file_id).await {
                Ok((hash, path)) => {
                    a.sha256 = hash;
                    a.local_path = Some(path.to_string_lossy().to_string());
                }
                Err(e) => {
                    // the size only: a document's name is what someone wrote
                    tracing::warn!(bytes = doc.size, error = %crate::logging::redact(&format!("{e:#}")), "no local copy of a document")
                }
            }
        }
        attachments.push(a);
    }
    let draft = PackDraft {
        kind: d.kind().unwrap_or(PackKind::Thematic),
        period: d.period(),
        title: d.title.clone().unwrap_or_default(),
        body_source: d.body_html.clone().unwrap_or_default(),
        body_format: BodyFormat::Html,
        body_html: d.body_html.clone().unwrap_or_default(),
        attachments: Vec::new(),
        audience: d.audience(),
        deadline: d.deadline(),
        report_prompt: d.report.clone(),
        schedule: Schedule::Draft,
    };
    let id = store::insert(&ctx.pool, &draft, &attachments, Actor::User(user_id)).await?;
    dialogues::clear(&ctx.pool, Key::of(msg), Dialogue::Newpack).await?;
    let when = match d.schedule.as_deref() {
        Some("now") => Some(When::Now),
        Some("slot") => Some(When::Slot),
        Some("draft") | None => None,
        Some(t) => crate::packs::folder::parse_local(t).map(When::At),
    };
    let reply = match when {
        None => c.t(locale, "np-saved-draft", Args::new().raw("id", id)),
        Some(when) => {
            match store::schedule(&ctx.pool, &ctx.config, id, when, Utc::now(), Actor::User(user_id)).await? {
                Ok(due) => {
                    // the scheduler sleeps until the next due time: tell it there is a new one
                    ctx.schedule_changed.notify_one();
                    let time = crate::dates::chat(due.timestamp(), ctx.config.timezone);
                    c.t(locale, "np-saved-scheduled", Args::new().raw("id", id).raw("time", time))
                }
                Err(e) => {
                    let reason = schedule_error(c, locale, &e);
                    c.t(locale, "np-saved-unscheduled", Args::new().raw("id", id).raw("reason", reason))
                }
            }
        }
    };
    send(&ctx.replies, chat, reply, no_keyboard()).await
}

/// Why a pack could not be scheduled, in the chat's language (the error's own text is English,
/// for the command line).
fn schedule_error(c: &crate::i18n::Catalog, locale: Locale, e: &store::ScheduleError) -> String {
    use store::ScheduleError as E;
    match e {
        E::NoSuchPack(id) => c.t(locale, "sched-err-no-pack", Args::new().raw("id", *id)),
        E::WrongStatus { id, status, .. } => {
            let status = c.s(locale, &format!("status-{status}"));
            c.t(locale, "sched-err-status", Args::new().raw("id", *id).raw("status", status))
        }
        E::InThePast(t) => c.t(locale, "sched-err-past", Args::new().user("time", t)),
        E::NoSuchLocalTime(t, _) => c.t(locale, "sched-err-no-local-time", Args::new().user("time", t)),
        E::NoSlotForKind => c.s(locale, "sched-err-no-slot"),
        E::SlotPassed(p) => {
            let period = crate::packs::period::Period::parse(p).map(|p| p.label(locale)).unwrap_or_else(|_| p.clone());
            c.t(locale, "sched-err-slot-passed", Args::new().user("period", &period))
        }
        E::DeadlineBeforeSend { deadline, send } => {
            c.t(locale, "sched-err-deadline", Args::new().user("deadline", deadline).user("send", send))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::period::PeriodError;
    use store::ScheduleError as E;

    #[test]
    fn a_draft_keeps_its_step_as_a_number_and_back_goes_to_the_question_before() {
        let d: Draft = serde_json::from_str(r#"{"step":3,"kind":"quarterly","docs":[]}"#).unwrap();
        assert_eq!(d.step, Step::Title);
        assert_eq!(serde_json::to_value(&d).unwrap()["step"], 3, "drafts saved before a restart still read");
        assert!(serde_json::from_str::<Draft>(r#"{"step":11,"docs":[]}"#).is_err(), "no step 11");
        assert_eq!(previous_step(&d), Step::Period, "a quarterly pack goes back to its period");
        let thematic = Draft { step: Step::Title, kind: Some("thematic".into()), ..Default::default() };
        assert_eq!(previous_step(&thematic), Step::Kind, "a thematic pack has no period to go back to");
        for (step, before) in [(Step::Kind, Step::Kind), (Step::Docs, Step::Body), (Step::Confirm, Step::Schedule)] {
            assert_eq!(previous_step(&Draft { step, ..Default::default() }), before, "{step:?}");
        }
        for n in 1..=10u8 {
            assert_eq!(u8::from(Step::try_from(n).unwrap()), n);
        }
    }

    #[test]
    fn scheduling_and_period_errors_read_in_the_chats_language() {
        let c = crate::i18n::Catalog::new();
        let errors = [
            E::NoSuchPack(3),
            E::WrongStatus { id: 3, status: crate::lifecycle::PackStatus::Sent, what: "scheduled" },
            E::InThePast("2023-10-01 08:00".into()),
            E::NoSuchLocalTime("2023-10-01 08:00".into(), chrono_tz::Asia::Ho_Chi_Minh),
            E::NoSlotForKind,
            E::SlotPassed("2023-Q4".into()),
            E::DeadlineBeforeSend { deadline: "2023-10-01".into(), send: "2023-10-02 08:00".into() },
        ];
        for e in &errors {
            let vi = schedule_error(&c, Locale::Vi, e);
            let en = schedule_error(&c, Locale::En, e);
            assert!(!vi.starts_with("sched-err") && !vi.contains("status-"), "{vi}");
            assert_ne!(vi, en);
            for english in [" pack", " slot", "schedule it", " is in the past", "--now"] {
                assert!(!vi.contains(english), "English in «{vi}»");
            }
        }
        assert!(schedule_error(&c, Locale::Vi, &errors[5]).contains("Quý IV/2023"));
        for e in [
            PeriodError::NotAPeriod("x".into()),
            PeriodError::Year("1999-01".into()),
            PeriodError::Quarter("Quý V/2023".into()),
            PeriodError::Month("2023-13".into()),
            PeriodError::MonthNeeded,
            PeriodError::QuarterNeeded,
        ] {
            let vi = c.t(Locale::Vi, e.key(), Args::new().user("given", e.given()));
            assert!(!vi.starts_with("period-err") && !vi.contains(" needs "), "{vi}");
        }
    }
}
