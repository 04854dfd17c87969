//! The inbox of a member's scope, with the chat inbox's actions: situation reports (a report
//! opened becomes seen; it can be answered in the chat it came from and marked handled with a
//! note; its photos and files can be downloaded), and the cells' questions on packs not answered
//! yet (answered to the cell, as `/hoi` does, or by the board for every cell that got the pack,
//! as `/hoidap` does).

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, Signed, html};
use crate::i18n::Args;
use crate::situations::{self, InboxFilter, Severity, Situation};

/// The most reports a page lists.
const LISTED: i64 = 500;
/// The longest answer or note, in characters (a Telegram message holds 4,096 with the frame).
const MOST_CHARS: usize = 3000;

pub struct Line {
    pub id: i64,
    pub urgent: bool,
    pub severity: String,
    pub topic: String,
    pub from: String,
    pub when: String,
    pub status: String,
}

fn from(s: &Situation) -> String {
    let who = s.cell_name.clone().or(s.cell.clone()).unwrap_or_else(|| s.user_name.clone());
    if s.unit.is_empty() { who } else { format!("{who} ({})", s.unit) }
}

/// A question not answered yet.
pub struct QuestionLine {
    pub id: i64,
    pub pack: String,
    pub cell: String,
    pub who: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    p: Chrome,
    status: String,
    lines: Vec<Line>,
    questions: Vec<QuestionLine>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    /// What an answer just did ("answered:N", "faq:N:CELLS").
    #[serde(default)]
    done: Option<String>,
}

/// The most open questions a page lists (oldest first).
const QUESTIONS_LISTED: i64 = 100;

/// `GET /inbox[?status=new|seen|handled]`: new first, urgent first among them, then newest.
pub async fn list(s: Signed, Query(q): Query<ListQuery>) -> Response {
    let status = q.status.clone().filter(|st| matches!(st.as_str(), "new" | "seen" | "handled"));
    let run = async {
        let filter = InboxFilter { within: s.scope, status: status.clone(), limit: LISTED };
        let tz = s.ctx.config.timezone;
        let lines = situations::inbox(&s.ctx.pool, &filter)
            .await?
            .iter()
            .map(|r| Line {
                id: r.id,
                urgent: r.severity == Severity::Urgent,
                severity: s.tr.s(&format!("sit-severity-{}", r.severity.as_str())),
                topic: r.topic.clone(),
                from: from(r),
                when: crate::dates::chat(r.created_at, tz),
                status: s.tr.s(&format!("inbox-status-{}", r.status)),
            })
            .collect();
        let questions = crate::questions::open(&s.ctx.pool, s.scope, QUESTIONS_LISTED)
            .await?
            .into_iter()
            .map(|q| QuestionLine {
                id: q.id,
                pack: q.pack_title,
                cell: format!("{} · {}", q.cell_code, q.cell_name),
                who: q.user_name,
                body: q.body,
            })
            .collect();
        let done = q.done.as_deref().and_then(|d| {
            let mut parts = d.split(':');
            let (what, id) = (parts.next()?, parts.next()?.parse::<i64>().ok()?);
            Some(match what {
                "faq" => {
                    let cells: i64 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    s.tr.t("web-done-faq", Args::new().raw("id", id).raw("cells", cells))
                }
                _ => s.tr.t("web-done-answered", Args::new().raw("id", id)),
            })
        });
        let page = Inbox {
            p: s.chrome("inbox", s.tr.s("web-inbox-title")),
            status: status.unwrap_or_default(),
            lines,
            questions,
            done,
        };
        anyhow::Ok(html(&page))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    p: Chrome,
    id: i64,
    done: Option<String>,
    urgent: bool,
    severity: String,
    topic: String,
    from: String,
    who: String,
    place: String,
    when: String,
    body: String,
    status: String,
    handled: bool,
    handled_note: String,
    files: Vec<(usize, String)>,
    /// An officer may send it on to those above their unit.
    may_forward: bool,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    done: Option<String>,
}

/// The report `id` if it lies within the member's scope.
async fn find(s: &Signed, id: i64) -> anyhow::Result<Option<Situation>> {
    Ok(situations::get(&s.ctx.pool, id, s.scope).await?)
}

/// `GET /inbox/{id}`: one report; opening it marks it seen.
pub async fn show(s: Signed, Path(id): Path<i64>, Query(q): Query<ShowQuery>) -> Response {
    let run = async {
        let Some(r) = find(&s, id).await? else { return Ok(s.not_found()) };
        situations::mark_seen(&s.ctx.pool, id, s.member.user_id).await?;
        let status = if r.status == "new" { "seen" } else { r.status.as_str() };
        let files =
            situations::files(&s.ctx.pool, id).await?.into_iter().enumerate().map(|(i, f)| (i + 1, f.name)).collect();
        let done = match q.done.as_deref().map(|d| d.split_once(':').unwrap_or((d, ""))) {
            Some(("replied", _)) => Some(s.tr.t("inbox-replied", Args::new().raw("id", id))),
            Some(("handled", _)) => Some(s.tr.t("inbox-handled", Args::new().raw("id", id))),
            Some(("forwarded", n)) => {
                let n: i64 = n.parse().unwrap_or(0);
                Some(s.tr.t("inbox-forwarded", Args::new().raw("id", id).raw("count", n)))
            }
            _ => None,
        };
        let page = ReportPage {
            p: s.chrome("inbox", s.tr.t("web-report-title", Args::new().raw("id", id))),
            id,
            done,
            urgent: r.severity == Severity::Urgent,
            severity: s.tr.s(&format!("sit-severity-{}", r.severity.as_str())),
            topic: r.topic.clone(),
            from: from(&r),
            who: r.user_name.clone(),
            place: r.place.clone(),
            when: crate::dates::chat(r.created_at, s.ctx.config.timezone),
            body: r.body.clone(),
            status: s.tr.s(&format!("inbox-status-{status}")),
            handled: r.status == "handled",
            handled_note: r.handled_note.clone().unwrap_or_default(),
            files,
            may_forward: s.scope.is_some(),
        };
        anyhow::Ok(html(&page))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// The text of a form, checked: not empty, not too long.
fn checked_text(s: &Signed, given: &str) -> Result<String, Response> {
    let text = crate::text::visible(given).trim().to_string();
    if text.is_empty() {
        return Err(s.refuse("web-text-empty"));
    }
    if text.chars().count() > MOST_CHARS {
        return Err(s.refuse("web-text-long"));
    }
    Ok(text)
}

/// `POST /inbox/{id}/reply`: answers the cell in its chat.
pub async fn reply(s: Signed, Path(id): Path<i64>, form: axum::Form<TextForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let text = match checked_text(&s, &form.text) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let run = async {
        let Some(r) = find(&s, id).await? else { return Ok(s.not_found()) };
        crate::bot::inbox::answer(&s.ctx, &r, &text, s.member.user_id).await?;
        anyhow::Ok(Redirect::to(&format!("/inbox/{id}?done=replied")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// `POST /inbox/{id}/handle`: marks it handled, with a note.
pub async fn handle(s: Signed, Path(id): Path<i64>, form: axum::Form<TextForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let note = match checked_text(&s, &form.text) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let run = async {
        if find(&s, id).await?.is_none() {
            return Ok(s.not_found());
        }
        let now = crate::dates::now();
        if !situations::mark_handled(&s.ctx.pool, id, s.member.user_id, &note, now).await? {
            return Ok(s.refuse("web-handled-already"));
        }
        anyhow::Ok(Redirect::to(&format!("/inbox/{id}?done=handled")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// `GET /inbox/{id}/files/{n}`: the report's n-th photo or file (from 1).
pub async fn file(s: Signed, Path((id, n)): Path<(i64, usize)>) -> Response {
    let run = async {
        if find(&s, id).await?.is_none() {
            return Ok(s.not_found());
        }
        let files = situations::files(&s.ctx.pool, id).await?;
        let Some(f) = n.checked_sub(1).and_then(|i| files.get(i)) else { return Ok(s.not_found()) };
        let bytes = match tokio::fs::read(&f.local_path).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(report_id = id, error = %e, "a stored file of a situation report could not be read");
                return Ok(s.not_found());
            }
        };
        let ext = f.name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        let kind = if f.kind == "photo" { "image/jpeg" } else { crate::packs::folder::mime_of(&ext) };
        anyhow::Ok(super::pages::download(kind, &f.name, bytes))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    /// For every cell that got the pack (the board's hỏi đáp), not the asking cell alone.
    #[serde(default)]
    all: Option<String>,
}

/// `POST /questions/{id}/answer`: the answer to the asking cell (as `/hoi N <text>`), or with
/// `all` to every cell that got the pack (as `/hoidap N <text>`; the board's).
pub async fn answer_question(s: Signed, Path(id): Path<i64>, form: axum::Form<AnswerForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let all = form.all.is_some();
    if all && let Err(r) = s.require(crate::staff::Role::Board, "hoidap").await {
        return r;
    }
    let text = match checked_text(&s, &form.text) {
        Ok(t) if t.chars().count() > crate::questions::MAX_TEXT => return s.refuse("web-question-long"),
        Ok(t) => t,
        Err(r) => return r,
    };
    let run = async {
        let pool = &s.ctx.pool;
        let Some(q) = crate::questions::get(pool, id, s.scope).await? else { return Ok(s.not_found()) };
        let now = crate::dates::now();
        if !crate::questions::answer(pool, id, s.member.user_id, &text, now).await? {
            return Ok(s.refuse("web-question-answered"));
        }
        if !all {
            crate::bot::questions::tell_cell(&s.ctx, &q, &text).await;
            return anyhow::Ok(Redirect::to(&format!("/inbox?done=answered:{id}")).into_response());
        }
        let actor = crate::audit::Actor::User(s.member.user_id);
        let started = crate::delivery::broadcast::answer_all(pool, id, None, actor, now).await?;
        let cells = started.map(|b| b.targeted).unwrap_or(0);
        Ok(Redirect::to(&format!("/inbox?done=faq:{id}:{cells}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// `POST /inbox/{id}/forward`: an officer sends a report on to those above their unit (the
/// officers of the nearest unit above with officers, and the board), with a note or none, as
/// `/inbox N len` does. The board has nobody above it.
pub async fn forward(s: Signed, Path(id): Path<i64>, form: axum::Form<ForwardForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let Some(own) = s.scope else { return s.refuse("inbox-forward-top") };
    let note = crate::text::visible(&form.text).trim().to_string();
    if note.chars().count() > MOST_CHARS {
        return s.refuse("web-text-long");
    }
    let run = async {
        let Some(r) = find(&s, id).await? else { return Ok(s.not_found()) };
        let told = crate::bot::inbox::forward_up(&s.ctx, &s.member, own, &r, &note).await?;
        anyhow::Ok(Redirect::to(&format!("/inbox/{id}?done=forwarded:{told}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}
