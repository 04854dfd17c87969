//! `/inbox` for every member of staff, in their private chat: the situation reports of their scope
//! (an officer's unit's subtree; the province for the board). `/inbox` lists the counts and the
//! reports not handled yet, urgent first; `/inbox N` opens one (it becomes seen) with its files;
//! `/inbox N tl <text>` answers the cell (or officer) that filed it, in its chat; `/inbox N len
//! [note]` forwards it up (an officer's: to the officers of the nearest unit above theirs with
//! officers, and the board); `/inbox N xong <note>` marks it handled. Each action is audited.

use teloxide::prelude::*;

use super::HandlerResult;
use super::analytics::{Asked, scope};
use crate::audit::{self, Actor};
use crate::i18n::{Args, Locale, escape};
use crate::situations::{self, InboxFilter, Severity, Situation};
use crate::telegram::replies::Reply;

/// The most reports `/inbox` lists in a message.
const LISTED: i64 = 20;

/// What an `/inbox` argument asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    List,
    Open(i64),
    Reply(i64, String),
    Handle(i64, String),
    /// Forward up, with a note or none.
    Forward(i64, String),
}

/// Reads "[N [tl <text> | xong <note>]]"; `Err` with the part not understood.
pub fn parse(arg: &str) -> Result<Ask, String> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Ok(Ask::List);
    }
    let (id, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let id: i64 = id.trim_start_matches('#').parse().map_err(|_| id.to_string())?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(Ask::Open(id));
    }
    let (verb, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let text = crate::text::visible(text).trim().to_string();
    match verb.to_lowercase().as_str() {
        "tl" | "traloi" | "trả-lời" | "reply" if !text.is_empty() => Ok(Ask::Reply(id, text)),
        "xong" | "done" if !text.is_empty() => Ok(Ask::Handle(id, text)),
        "len" | "lên" | "up" => Ok(Ask::Forward(id, text)),
        _ => Err(rest.to_string()),
    }
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Normal => "🟢",
        Severity::Attention => "🟡",
        Severity::Urgent => "🔴",
    }
}

/// Where a report came from, as a line shows it: its cell (or the officer), and its unit.
fn from_line(s: &Situation) -> String {
    let who = s.cell.clone().unwrap_or_else(|| s.user_name.clone());
    if s.unit.is_empty() { escape(&who) } else { format!("{} ({})", escape(&who), escape(&s.unit)) }
}

/// `/inbox ...` from a member of staff.
pub(super) async fn on_inbox(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale) = (&a.ctx.catalog, a.locale);
    let Ok(scope) = scope(a.member) else {
        return a.say(c.s(locale, "stats-no-scope")).await;
    };
    match parse(arg) {
        Err(bad) => a.say(c.t(locale, "inbox-usage", Args::new().user("given", &bad))).await,
        Ok(Ask::List) => list(a, scope).await,
        Ok(Ask::Open(id)) => open(a, scope, id).await,
        Ok(Ask::Reply(id, text)) => reply(a, scope, id, &text).await,
        Ok(Ask::Handle(id, note)) => handle(a, scope, id, &note).await,
        Ok(Ask::Forward(id, note)) => forward(a, scope, id, &note).await,
    }
}

async fn list(a: &Asked<'_>, scope: Option<i64>) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let (new, seen, handled) = situations::counts(&ctx.pool, scope).await?;
    let head = c.t(
        locale,
        "inbox-head",
        Args::new()
            .raw("new", locale.number(new))
            .raw("seen", locale.number(seen))
            .raw("handled", locale.number(handled)),
    );
    let open = InboxFilter { within: scope, status: None, limit: LISTED * 2 };
    let rows: Vec<Situation> = situations::inbox(&ctx.pool, &open)
        .await?
        .into_iter()
        .filter(|s| s.status != "handled")
        .take(LISTED as usize)
        .collect();
    if rows.is_empty() {
        return a.say(format!("{head}\n\n{}", c.s(locale, "inbox-empty"))).await;
    }
    let tz = ctx.config.timezone;
    let lines: Vec<String> = rows
        .iter()
        .map(|s| {
            let state = c.s(locale, &format!("inbox-status-{}", s.status));
            let unsent = if s.routed == "unsent" { c.s(locale, "inbox-unsent") } else { String::new() };
            let first: String = s.body.chars().take(80).collect();
            format!(
                "{} <b>#{}</b> · {} · {} · {} · {state}{unsent}\n   {}",
                severity_mark(s.severity),
                s.id,
                escape(&s.topic),
                from_line(s),
                crate::dates::chat(s.created_at, tz),
                escape(&first)
            )
        })
        .collect();
    let mut pages = super::announce::pages(&head, &lines);
    if let Some(last) = pages.last_mut() {
        last.push_str("\n\n");
        last.push_str(&c.s(locale, "inbox-open-hint"));
    }
    for page in pages {
        a.say(page).await?;
    }
    Ok(())
}

/// The report `id` if the member may see it; `None` once told it is not there (for them).
async fn find(a: &Asked<'_>, scope: Option<i64>, id: i64) -> anyhow::Result<Option<Situation>> {
    let found = situations::get(&a.ctx.pool, id, scope).await?;
    if found.is_none() {
        a.say(a.ctx.catalog.t(a.locale, "inbox-no-report", Args::new().raw("id", id))).await?;
    }
    Ok(found)
}

async fn open(a: &Asked<'_>, scope: Option<i64>, id: i64) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let Some(s) = find(a, scope, id).await? else { return Ok(()) };
    situations::mark_seen(&ctx.pool, id, a.member.user_id).await?;
    let status = if s.status == "new" { "seen".to_string() } else { s.status.clone() };
    let mut text = c.t(
        locale,
        "inbox-report",
        Args::new()
            .raw("id", id)
            .raw("mark", severity_mark(s.severity))
            .raw("severity", c.s(locale, &format!("sit-severity-{}", s.severity.as_str())))
            .user("topic", &s.topic)
            .raw("from", from_line(&s))
            .user("place", &s.place)
            .user("who", &s.user_name)
            .raw("time", crate::dates::chat(s.created_at, ctx.config.timezone))
            .user("body", &s.body)
            .raw("status", c.s(locale, &format!("inbox-status-{status}")))
            .raw("files", s.files),
    );
    if let Some(note) = &s.handled_note {
        text.push('\n');
        text.push_str(&c.t(locale, "inbox-handled-note", Args::new().user("note", note)));
    }
    if s.routed == "unsent" {
        text.push('\n');
        text.push_str(&c.s(locale, "inbox-unsent-note"));
    }
    text.push_str("\n\n");
    text.push_str(&c.t(locale, "inbox-actions", Args::new().raw("id", id)));
    a.say(text).await?;
    for f in situations::files(&ctx.pool, id).await? {
        match std::fs::read(&f.local_path) {
            Ok(bytes) => {
                let reply = if f.kind == "photo" {
                    Reply::Photo { name: f.name, bytes: bytes.into() }
                } else {
                    Reply::Document { name: f.name, bytes: bytes.into(), caption: None }
                };
                ctx.replies.send(a.chat, reply);
            }
            Err(e) => {
                tracing::warn!(report_id = id, error = %e, "a stored file of a situation report could not be read");
                a.say(c.t(locale, "inbox-file-missing", Args::new().user("name", &f.name))).await?;
            }
        }
    }
    Ok(())
}

async fn reply(a: &Asked<'_>, scope: Option<i64>, id: i64, text: &str) -> HandlerResult {
    let Some(s) = find(a, scope, id).await? else { return Ok(()) };
    answer(a.ctx, &s, text, a.member.user_id).await?;
    a.say(a.ctx.catalog.t(a.locale, "inbox-replied", Args::new().raw("id", id))).await
}

/// Answers the cell (or officer) that filed report `s`, in its chat (the cell's chat now, if it
/// has moved since), in that chat's language; audited. The chat's `/inbox N tl` and the web
/// desk's inbox both answer so.
pub(crate) async fn answer(ctx: &super::Ctx, s: &Situation, text: &str, by: i64) -> anyhow::Result<()> {
    let chat = match s.cell.as_deref() {
        Some(code) => {
            let mut conn = ctx.pool.acquire().await?;
            crate::cells::by_code(&mut conn, code).await?.and_then(|c| c.chat_id).unwrap_or(s.chat_id)
        }
        None => s.chat_id,
    };
    let theirs: Locale = ctx.locale(ChatId(chat)).await;
    let answer = ctx.catalog.t(
        theirs,
        "inbox-answer-to-cell",
        Args::new().raw("id", s.id).user("topic", &s.topic).user("text", text),
    );
    ctx.replies.send(ChatId(chat), Reply::Text { html: answer, markup: None });
    let mut conn = ctx.pool.acquire().await?;
    let details = serde_json::json!({ "chars": text.chars().count() });
    audit::record(&mut conn, Actor::User(by), "situation.replied", Some(&s.id.to_string()), "ok", details).await?;
    Ok(())
}

/// Sends a report on to those above the member: the officers of the nearest unit above the
/// member's own that has officers, and the board. The board has nobody above it.
async fn forward(a: &Asked<'_>, scope: Option<i64>, id: i64, note: &str) -> HandlerResult {
    let (c, locale) = (&a.ctx.catalog, a.locale);
    let Some(own) = scope else {
        return a.say(c.s(locale, "inbox-forward-top")).await;
    };
    let Some(s) = find(a, scope, id).await? else { return Ok(()) };
    let told = forward_up(a.ctx, a.member, own, &s, note).await?;
    a.say(c.t(locale, "inbox-forwarded", Args::new().raw("id", id).raw("count", told))).await
}

/// Sends report `s` on from officer `member` of unit `own` to those above: the officers of the
/// nearest unit above `own` with officers, and the board; audited. Returns how many were told.
/// The chat's `/inbox N len` and the web desk's inbox both forward so.
pub(crate) async fn forward_up(
    ctx: &super::Ctx,
    member: &crate::staff::StaffMember,
    own: i64,
    s: &Situation,
    note: &str,
) -> anyhow::Result<i64> {
    let c = &ctx.catalog;
    let above: Option<i64> = sqlx::query_scalar("SELECT parent_id FROM units WHERE id = $1")
        .bind(own)
        .fetch_optional(&ctx.pool)
        .await?
        .flatten();
    let by = member.display_name.clone().unwrap_or_else(|| member.user_id.to_string());
    let mut told = 0;
    for m in crate::staff::who_hears(&ctx.pool, &ctx.config.admins, above).await? {
        if m.user_id == member.user_id {
            continue;
        }
        let chat = ChatId(m.user_id);
        let theirs = ctx.locale(chat).await;
        let text = c.t(
            theirs,
            "inbox-forwarded-to",
            Args::new()
                .raw("id", s.id)
                .raw("mark", severity_mark(s.severity))
                .user("topic", &s.topic)
                .raw("from", from_line(s))
                .user("place", &s.place)
                .user("body", &s.body)
                .user("by", &by)
                .user("note", note),
        );
        if ctx.replies.send(chat, Reply::Text { html: text, markup: None }) {
            told += 1;
        }
    }
    let mut conn = ctx.pool.acquire().await?;
    let details = serde_json::json!({ "to": told });
    audit::record(
        &mut conn,
        Actor::User(member.user_id),
        "situation.forwarded",
        Some(&s.id.to_string()),
        "ok",
        details,
    )
    .await?;
    Ok(told)
}

async fn handle(a: &Asked<'_>, scope: Option<i64>, id: i64, note: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    if find(a, scope, id).await?.is_none() {
        return Ok(());
    }
    let done = situations::mark_handled(&ctx.pool, id, a.member.user_id, note, crate::dates::now()).await?;
    let key = if done { "inbox-handled" } else { "inbox-already-handled" };
    a.say(c.t(locale, key, Args::new().raw("id", id))).await
}

/// A pack report's cell (code, name) and its file (kind, name, where it is in the store).
type ReportFile = (String, String, Option<String>, Option<String>, Option<String>);

/// `/tep N`: the photo or file a cell attached to pack report N (its number in the export's
/// Reports sheet), from Loa's store, for a member of staff whose scope holds the cell's unit.
pub(super) async fn on_report_file(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let Ok(scope) = scope(a.member) else {
        return a.say(c.s(locale, "stats-no-scope")).await;
    };
    let Ok(id) = arg.trim().trim_start_matches('#').parse::<i64>() else {
        return a.say(c.t(locale, "tep-usage", Args::new().user("given", arg.trim()))).await;
    };
    let found: Option<ReportFile> = sqlx::query_as(
        "SELECT c.code, c.name, r.attachment_kind, r.attachment_name, r.attachment_path
         FROM reports r JOIN cells c ON c.id = r.cell_id JOIN deliveries d ON d.id = r.delivery_id
         WHERE r.id = $1 AND ($2 IS NULL OR COALESCE(d.unit_id, c.unit_id)
                                  IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))",
    )
    .bind(id)
    .bind(scope)
    .fetch_optional(&ctx.pool)
    .await?;
    let Some((code, cell, kind, name, path)) = found else {
        return a.say(c.t(locale, "tep-no-report", Args::new().raw("id", id))).await;
    };
    let args = || Args::new().raw("id", id).user("cell", &cell).user("code", &code);
    let (Some(kind), Some(path)) = (kind.clone(), path) else {
        let key = if kind.is_some() { "tep-not-kept" } else { "tep-none" };
        return a.say(c.t(locale, key, args())).await;
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(report_id = id, error = %e, "a stored file of a pack report could not be read");
            return a.say(c.t(locale, "tep-missing", args())).await;
        }
    };
    let name = name.unwrap_or_else(|| format!("bao-cao-{id}"));
    let reply = if kind == "photo" {
        Reply::Photo { name, bytes: bytes.into() }
    } else {
        Reply::Document { name, bytes: bytes.into(), caption: Some(c.t(locale, "tep-caption", args())) }
    };
    ctx.replies.send(a.chat, reply);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_arguments_are_read_or_named() {
        assert_eq!(parse(""), Ok(Ask::List));
        assert_eq!(parse("12"), Ok(Ask::Open(12)));
        assert_eq!(parse("#12"), Ok(Ask::Open(12)));
        assert_eq!(parse("12 xong Đã chuyển UBND xã"), Ok(Ask::Handle(12, "Đã chuyển UBND xã".into())));
        assert_eq!(parse("12 tl  Ban đã nhận, sẽ xử lý "), Ok(Ask::Reply(12, "Ban đã nhận, sẽ xử lý".into())));
        assert_eq!(parse("12 xong"), Err("xong".into()), "a note is needed");
        assert_eq!(parse("12 tl \u{200b}"), Err("tl \u{200b}".into()), "an empty answer is none");
        assert_eq!(parse("abc"), Err("abc".into()));
        assert_eq!(parse("12 xoá"), Err("xoá".into()));
        assert_eq!(parse("12 lên"), Ok(Ask::Forward(12, String::new())));
        assert_eq!(parse("12 len cần Ban chỉ đạo"), Ok(Ask::Forward(12, "cần Ban chỉ đạo".into())));
    }
}
