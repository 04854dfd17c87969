//! Composing a pack in chat: `/newpack` walks a board member through kind, period, title, body,
//! documents, audience, deadline, report request and schedule, shows the message exactly as a cell
//! will see it with the delivery estimate, and saves it on confirmation. `/cancel` leaves at any
//! step. The state is a row of `dialogues` keyed by chat and user, written after every answer, so
//! a restart in the middle loses nothing. `/packs` lists recent packs with their progress.

use crate::lifecycle::{BroadcastState, PackStatus};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup, KeyboardRemove, ReplyMarkup,
};
use teloxide::utils::render::RenderMessageTextHelper;

use super::{BoardCommand, Ctx, HandlerResult};
use crate::audit::Actor;
use crate::i18n::{Args, Locale, escape};
use crate::packs::body::{self, BodyFormat};
use crate::packs::folder::{ALLOWED_TYPES, MAX_ATTACHMENTS, MAX_MESSAGE, PackDraft, Schedule, mime_of};
use crate::packs::message::{self, PackText};
use crate::packs::period::{PackKind, Period};
use crate::packs::store::{self, NewAttachment, When};
use crate::packs::{Audience, audience_counts, duration_words, estimate_seconds};
use crate::staff::{self, Role};

/// The largest file a bot may download (getFile); larger documents are kept by file_id only.
const MAX_DOWNLOAD: i64 = 20 * 1024 * 1024;

const KIND: u8 = 1;
const PERIOD: u8 = 2;
const TITLE: u8 = 3;
const BODY: u8 = 4;
const DOCS: u8 = 5;
const AUDIENCE: u8 = 6;
const DEADLINE: u8 = 7;
const REPORT: u8 = 8;
const SCHEDULE: u8 = 9;
const CONFIRM: u8 = 10;

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
    pub step: u8,
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

fn key(msg: &Message) -> (i64, i64) {
    (msg.chat.id.0, msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or(0))
}

async fn load(ctx: &Ctx, (chat, user): (i64, i64)) -> anyhow::Result<Option<Draft>> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM dialogues WHERE chat_id = ? AND user_id = ? AND kind = 'newpack'")
            .bind(chat)
            .bind(user)
            .fetch_optional(&ctx.pool)
            .await?;
    Ok(state.and_then(|s| serde_json::from_str(&s).ok()))
}

async fn save(ctx: &Ctx, (chat, user): (i64, i64), draft: &Draft) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO dialogues (chat_id, user_id, kind, state, updated_at) VALUES (?, ?, 'newpack', ?, ?)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(chat)
    .bind(user)
    .bind(serde_json::to_string(draft)?)
    .bind(crate::dates::now())
    .execute(&ctx.pool)
    .await?;
    Ok(())
}

async fn clear(ctx: &Ctx, (chat, user): (i64, i64)) -> anyhow::Result<bool> {
    let r = sqlx::query("DELETE FROM dialogues WHERE chat_id = ? AND user_id = ? AND kind = 'newpack'")
        .bind(chat)
        .bind(user)
        .execute(&ctx.pool)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// The dialogue of this chat and user, for a message that is not a command.
pub(super) async fn active_dialogue(msg: Message, ctx: Arc<Ctx>) -> Option<Draft> {
    if !msg.chat.is_private() || msg.text().is_some_and(|t| t.starts_with('/')) {
        return None;
    }
    load(&ctx, key(&msg)).await.unwrap_or_else(|e| {
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

fn no_keyboard() -> Option<ReplyMarkup> {
    Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new()))
}

/// Is `text` the button word `key` (in either language) or one of `also`?
fn is(ctx: &Ctx, text: &str, key: &str, also: &[&str]) -> bool {
    let t = text.trim().to_lowercase();
    Locale::ALL.into_iter().any(|l| ctx.catalog.s(l, key).to_lowercase() == t) || also.contains(&t.as_str())
}

fn today(ctx: &Ctx) -> NaiveDate {
    Utc::now().with_timezone(&ctx.config.timezone).date_naive()
}

pub(super) async fn on_board_command(
    msg: Message,
    cmd: BoardCommand,
    ctx: Arc<Ctx>,
    caller: super::gate::Caller,
) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let (_, user_id) = key(&msg);
    if cmd == BoardCommand::Cancel {
        let key = if super::cell::cancel_report(&ctx, chat.0, user_id).await? {
            "report-cancelled"
        } else if clear(&ctx, key(&msg)).await? {
            "np-cancelled"
        } else {
            "np-nothing"
        };
        return send(&ctx.replies, chat, c.s(locale, key), no_keyboard()).await;
    }
    if cmd == BoardCommand::Packs {
        // in a cell's chat, /packs is the cell's own list, for anyone there
        let mut conn = ctx.pool.acquire().await?;
        let cell = crate::cells::by_chat(&mut conn, chat.0).await?;
        drop(conn);
        if let Some(cell) = cell {
            return super::cell::list_cell_packs(chat, cell.id, &ctx, locale).await;
        }
    }
    let name = match cmd {
        BoardCommand::Newpack => "/newpack",
        BoardCommand::Pause => "/pause",
        BoardCommand::Resume => "/resume",
        BoardCommand::Remind(_) => "/remind",
        BoardCommand::Stats(_) => "/stats",
        BoardCommand::Pending(_) => "/pending",
        BoardCommand::Export(_) => "/export",
        BoardCommand::Chart(_) => "/chart",
        _ => "/packs",
    };
    // the role read for this message (none for a message sent on behalf of a chat)
    let member = caller.staff;
    let allowed = matches!(
        (&cmd, member.as_ref().map(|m| m.role)),
        (
            BoardCommand::Newpack | BoardCommand::Pause | BoardCommand::Resume | BoardCommand::Remind(_),
            Some(Role::Admin | Role::Board)
        ) | (
            BoardCommand::Packs
                | BoardCommand::Stats(_)
                | BoardCommand::Pending(_)
                | BoardCommand::Export(_)
                | BoardCommand::Chart(_),
            Some(_)
        )
    );
    if !allowed {
        let key = if member.is_some() { "denied-admin" } else { "denied-staff" };
        return super::gate::deny(&ctx, chat, user_id, name, key, locale).await;
    }
    // staff work in their private chat only: figures stay out of groups, and nothing a member of
    // staff does is done by typing in a group
    if !msg.chat.is_private() {
        let figures = matches!(
            cmd,
            BoardCommand::Packs
                | BoardCommand::Stats(_)
                | BoardCommand::Pending(_)
                | BoardCommand::Export(_)
                | BoardCommand::Chart(_)
        );
        let key = if figures { "stats-private-only" } else { "staff-private-only" };
        return super::say(&ctx.replies, chat, c.t(locale, key, Args::new().raw("command", name))).await;
    }
    let Some(member) = member else { return Ok(()) };
    let asked = super::analytics::Asked { chat, ctx: &ctx, locale, member: &member };
    match cmd {
        BoardCommand::Stats(arg) => super::analytics::on_stats(&asked, &arg).await,
        BoardCommand::Pending(arg) => super::analytics::on_pending(&asked, &arg).await,
        BoardCommand::Export(arg) => super::analytics::on_export(&asked, &arg).await,
        BoardCommand::Chart(arg) => super::analytics::on_chart(&asked, &arg).await,
        BoardCommand::Packs => list_packs(chat, &ctx, locale, &member).await,
        BoardCommand::Remind(arg) => remind_now(chat, &ctx, locale, user_id, arg.trim()).await,
        BoardCommand::Pause | BoardCommand::Resume => {
            let pause = cmd == BoardCommand::Pause;
            let (from, none) =
                if pause { (BroadcastState::Running, "pause-none") } else { (BroadcastState::Paused, "resume-none") };
            let Some((broadcast, pack_id)) = crate::delivery::broadcast::latest_in_state(&ctx.pool, from).await? else {
                return super::say(&ctx.replies, chat, c.s(locale, none)).await;
            };
            crate::delivery::broadcast::set_paused(&ctx.pool, broadcast, pause, Actor::User(user_id)).await?;
            let pack = store::get(&ctx.pool, pack_id).await?.map(|p| match p.period() {
                Some(period) => period.label(locale),
                None => format!("«{}»", escape(&p.title)),
            });
            let key = if pause { "pause-ok" } else { "resume-ok" };
            super::say(&ctx.replies, chat, c.t(locale, key, Args::new().raw("pack", pack.unwrap_or_default()))).await
        }
        _ => {
            if let Some(d) = load(&ctx, key(&msg)).await? {
                return send(
                    &ctx.replies,
                    chat,
                    c.t(locale, "np-busy", Args::new().raw("step", i64::from(d.step.min(9)))),
                    None,
                )
                .await;
            }
            let draft = Draft { step: KIND, ..Default::default() };
            save(&ctx, key(&msg), &draft).await?;
            ask(chat, &ctx, locale, &draft).await
        }
    }
}

/// The step before the draft's: the question a member goes back to with «⬅️ Quay lại» (a
/// thematic or urgent pack has no period to go back to).
fn previous_step(d: &Draft) -> u8 {
    match d.step {
        PERIOD => KIND,
        TITLE if matches!(d.kind(), Some(PackKind::Monthly | PackKind::Quarterly)) => PERIOD,
        TITLE => KIND,
        CONFIRM.. => SCHEDULE,
        step => step.saturating_sub(1).max(KIND),
    }
}

/// A keyboard for the step's question, with «⬅️ Quay lại» under it after the first question.
fn step_keyboard(ctx: &Ctx, locale: Locale, d: &Draft, mut rows: Vec<Vec<String>>) -> Option<ReplyMarkup> {
    if d.step > KIND {
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
        KIND => {
            let kb = keyboard(vec![
                vec![w("kind-monthly"), w("kind-quarterly")],
                vec![w("kind-thematic"), w("kind-urgent")],
            ]);
            send(&ctx.replies, chat, format!("{}\n\n{}", w("np-start"), w("np-ask-kind")), kb).await
        }
        PERIOD => {
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
        TITLE => send(&ctx.replies, chat, w("np-ask-title"), step_keyboard(ctx, locale, d, vec![])).await,
        BODY => send(&ctx.replies, chat, w("np-ask-body"), step_keyboard(ctx, locale, d, vec![])).await,
        DOCS => {
            let args = Args::new().raw("max", MAX_ATTACHMENTS as i64);
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-done")]]);
            send(&ctx.replies, chat, c.t(locale, "np-ask-docs", args), kb).await
        }
        AUDIENCE => {
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-all")]]);
            send(&ctx.replies, chat, w("np-ask-audience"), kb).await
        }
        DEADLINE => {
            let example = (today + chrono::Duration::days(i64::from(ctx.config.default_deadline_days)))
                .format("%d/%m/%Y")
                .to_string();
            let args = Args::new().raw("example", example).raw("days", i64::from(ctx.config.default_deadline_days));
            let kb = step_keyboard(ctx, locale, d, vec![vec![w("word-default")]]);
            send(&ctx.replies, chat, c.t(locale, "np-ask-deadline", args), kb).await
        }
        REPORT => {
            send(&ctx.replies, chat, w("np-ask-report"), step_keyboard(ctx, locale, d, vec![vec![w("word-no")]])).await
        }
        SCHEDULE => {
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
        KIND => {
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
            d.step = if matches!(kind, PackKind::Monthly | PackKind::Quarterly) { PERIOD } else { TITLE };
        }
        PERIOD => {
            let kind = d.kind().unwrap_or(PackKind::Monthly);
            let period = Period::parse(text).and_then(|p| kind.check_period(Some(p)).map(|_| p));
            match period {
                Ok(p) => {
                    d.period = Some(p.code());
                    d.step = TITLE;
                }
                Err(e) => {
                    let reason = c.t(locale, e.key(), Args::new().user("given", e.given()));
                    return Ok(Err(c.t(locale, "np-bad-period", Args::new().raw("reason", reason))));
                }
            }
        }
        TITLE => {
            if text.is_empty() {
                return Ok(need_text());
            }
            if text.chars().count() > 200 {
                let count = text.chars().count() as i64;
                return Ok(Err(c.t(locale, "np-bad-title-long", Args::new().raw("count", count).raw("max", 200))));
            }
            d.title = Some(text.to_string());
            d.step = BODY;
        }
        BODY => {
            let Some(raw) = msg.text() else { return Ok(need_text()) };
            // teloxide returns text without entities unescaped: escape it here
            let html = match msg.entities() {
                Some(e) if !e.is_empty() => msg.html_text().unwrap_or_else(|| escape(raw)),
                _ => escape(raw),
            };
            match body::to_telegram_html(&html, BodyFormat::Html) {
                Ok(h) => {
                    d.body_html = Some(h);
                    d.step = DOCS;
                }
                Err(e) => {
                    // Telegram's parser says what is wrong in English: the log keeps it, the chat
                    // says it in the chat's language
                    tracing::info!(error = %e, "a typed body Telegram would not take");
                    return Ok(Err(c.s(locale, "np-bad-body-format")));
                }
            }
        }
        DOCS => {
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
            d.step = AUDIENCE;
        }
        AUDIENCE => {
            if text.is_empty() {
                return Ok(need_text());
            }
            let audience = if is(ctx, text, "word-all", &["all"]) {
                Audience::All
            } else {
                let (mut districts, mut tags, mut cells) = (Default::default(), Default::default(), Default::default());
                for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if let Ok(d) = crate::cells::known_district(&ctx.pool, token).await? {
                        let _ = std::collections::BTreeSet::insert(&mut districts, d);
                    } else if sqlx::query_scalar::<_, i64>("SELECT count(*) FROM cell_tags WHERE tag = ?")
                        .bind(token)
                        .fetch_one(&ctx.pool)
                        .await?
                        > 0
                    {
                        let _ = std::collections::BTreeSet::insert(&mut tags, token.to_string());
                    } else if sqlx::query_scalar::<_, i64>("SELECT count(*) FROM cells WHERE code = ?")
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
                Audience::Some { districts, tags, cells }
            };
            if crate::packs::audience_size(&ctx.pool, &audience).await? == 0 {
                return Ok(Err(c.s(locale, "np-empty-audience")));
            }
            d.audience = Some(audience.to_json());
            d.step = DEADLINE;
        }
        DEADLINE => {
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
            d.step = REPORT;
        }
        REPORT => {
            if text.is_empty() {
                return Ok(need_text());
            }
            d.report = if is(ctx, text, "word-no", &["no", "none", "không"]) {
                None
            } else {
                Some(text.chars().take(500).collect())
            };
            d.step = SCHEDULE;
        }
        SCHEDULE => {
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
                d.step = BODY;
                let args = Args::new().raw("length", length as i64).raw("max", MAX_MESSAGE as i64);
                send(&ctx.replies, msg.chat.id, c.t(locale, "np-too-long", args), None).await?;
                return Ok(Ok(()));
            }
            d.step = CONFIRM;
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
    if draft.step >= CONFIRM && !is(&ctx, &text, "word-back", &["back", "quay lại", "quay lai"]) {
        if is(&ctx, &text, "word-cancel", &["cancel"]) {
            clear(&ctx, key(&msg)).await?;
            return send(&ctx.replies, chat, c.s(locale, "np-cancelled"), no_keyboard()).await;
        }
        if !is(&ctx, &text, "word-confirm", &["confirm"]) {
            return send(&ctx.replies, chat, c.s(locale, "np-bad-confirm"), None).await;
        }
        return confirm(&bot, &msg, &ctx, locale, &draft).await;
    }
    if draft.step > KIND && is(&ctx, &text, "word-back", &["back", "quay lại", "quay lai"]) {
        draft.step = previous_step(&draft);
        save(&ctx, key(&msg), &draft).await?;
        return ask(chat, &ctx, locale, &draft).await;
    }
    let before = draft.step;
    match answer(&msg, &ctx, locale, &mut draft).await? {
        Err(problem) => {
            send(&ctx.replies, chat, c.t(locale, "np-retry", Args::new().raw("problem", problem)), None).await
        }
        Ok(()) => {
            save(&ctx, key(&msg), &draft).await?;
            if draft.step != before || draft.step == BODY {
                ask(chat, &ctx, locale, &draft).await?;
            }
            Ok(())
        }
    }
}

async fn confirm(bot: &Bot, msg: &Message, ctx: &Ctx, locale: Locale, d: &Draft) -> HandlerResult {
    let c = &ctx.catalog;
    let chat = msg.chat.id;
    let (_, user_id) = key(msg);
    let member = match super::gate::person(msg) {
        Some(person) => staff::role_of(&ctx.pool, &ctx.config.admins, person).await?,
        None => None,
    };
    if !matches!(member.as_ref().map(|m| m.role), Some(Role::Admin | Role::Board)) {
        tracing::warn!(chat_id = chat.0, user_id, "staff command refused: no permission");
        staff::record_denial(&ctx.pool, user_id, "/newpack").await?;
        clear(ctx, key(msg)).await?;
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
        if doc.size <= MAX_DOWNLOAD {
            match download(bot, &doc.file_id).await {
                Ok(bytes) => {
                    let (hash, path) = store::store_bytes(&ctx.config, &bytes)?;
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
    clear(ctx, key(msg)).await?;
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

async fn download(bot: &Bot, file_id: &str) -> anyhow::Result<Vec<u8>> {
    use teloxide::net::Download;
    let file = bot.get_file(teloxide::types::FileId(file_id.to_string())).await?;
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await?;
    Ok(bytes)
}

/// `/packs` for staff: the latest packs, with the acknowledgements of the member's scope (a
/// district officer's own district; the province for the board).
async fn list_packs(chat: ChatId, ctx: &Ctx, locale: Locale, member: &staff::StaffMember) -> HandlerResult {
    let c = &ctx.catalog;
    let district = if member.role == Role::District { member.district.as_deref() } else { None };
    let packs = store::list(&ctx.pool).await?;
    if packs.is_empty() {
        return super::say(&ctx.replies, chat, c.s(locale, "packs-none")).await;
    }
    let mut lines = Vec::new();
    for p in packs.iter().take(10) {
        let status = match p.status {
            PackStatus::Scheduled => c.t(
                locale,
                "status-scheduled",
                Args::new().raw(
                    "time",
                    p.scheduled_for.map(|t| crate::dates::chat(t, ctx.config.timezone)).unwrap_or_default(),
                ),
            ),
            other => c.s(locale, &format!("status-{other}")),
        };
        let (targeted, acked): (i64, i64) =
            match district {
                None => sqlx::query_as(
                    "SELECT COALESCE((SELECT sum(targeted) FROM broadcasts WHERE pack_id = ?1 AND kind = 'pack'), 0),
                            (SELECT count(*) FROM acks WHERE pack_id = ?1)",
                )
                .bind(p.id)
                .fetch_one(&ctx.pool)
                .await?,
                Some(d) => {
                    // the running totals, by the district each cell was in when the pack went out
                    sqlx::query_as(
                        "SELECT COALESCE(sum(targeted), 0), COALESCE(sum(acknowledged), 0) FROM pack_stats
                         WHERE pack_id = ?1 AND district = ?2",
                    )
                    .bind(p.id)
                    .bind(d)
                    .fetch_one(&ctx.pool)
                    .await?
                }
            };
        let progress = if targeted > 0 {
            c.t(locale, "packs-progress", Args::new().raw("acked", acked).raw("targeted", targeted))
        } else {
            String::new()
        };
        lines.push(c.t(
            locale,
            "packs-line",
            Args::new().raw("id", p.id).user("title", &p.title).raw("status", status).raw("progress", progress),
        ));
    }
    super::say(&ctx.replies, chat, lines.join("\n")).await
}

/// `/remind [pack]`: reminds now every cell that has not acknowledged the pack (the latest pack
/// sent when none is named), except those already reminded today.
async fn remind_now(chat: ChatId, ctx: &Ctx, locale: Locale, user_id: i64, arg: &str) -> HandlerResult {
    let c = &ctx.catalog;
    let pack_id = if arg.is_empty() {
        sqlx::query_scalar::<_, i64>(
            "SELECT pack_id FROM broadcasts WHERE kind = 'pack' AND state IN ('running', 'paused', 'done') ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&ctx.pool)
        .await?
    } else {
        match arg.trim_start_matches('#').parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return super::say(&ctx.replies, chat, c.t(locale, "remind-usage", Args::new().user("given", arg)))
                    .await;
            }
        }
    };
    let pack = match pack_id {
        Some(id) => store::get(&ctx.pool, id).await?,
        None => None,
    };
    let Some(pack) = pack.filter(|p| matches!(p.status, PackStatus::Sending | PackStatus::Sent)) else {
        let key = if arg.is_empty() { "remind-no-pack" } else { "remind-not-sent" };
        return super::say(&ctx.replies, chat, c.t(locale, key, Args::new().user("given", arg))).await;
    };
    let now = Utc::now();
    let today = now.with_timezone(&ctx.config.timezone).date_naive();
    let started = crate::reminders::remind(
        &ctx.pool,
        &ctx.config,
        today,
        Some(pack.id),
        true,
        Actor::User(user_id),
        now.timestamp(),
    )
    .await?;
    let cells: i64 = started.iter().map(|s| s.targeted).sum();
    let name = crate::packs::message::name(&pack.title, pack.period(), locale);
    let key = if cells > 0 { "remind-started" } else { "remind-nobody" };
    super::say(&ctx.replies, chat, c.t(locale, key, Args::new().raw("pack", name).raw("cells", cells))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::period::PeriodError;
    use store::ScheduleError as E;

    #[test]
    fn scheduling_and_period_errors_read_in_the_chats_language() {
        let c = crate::i18n::Catalog::new();
        let errors = [
            E::NoSuchPack(3),
            E::WrongStatus { id: 3, status: PackStatus::Sent, what: "scheduled" },
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
