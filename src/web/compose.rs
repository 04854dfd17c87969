//! Composing a pack in the browser (board and admins): title, period, body in Markdown with a live
//! preview exactly as Telegram will show it, documents uploaded, the audience picked from the
//! tree, deadline, report, schedule. What the form gives is written as a pack folder (`pack.toml`
//! and its files, in a folder of its own beside the database) and read back with
//! [`crate::packs::folder::read`]: the very checks of `loa pack create`, every problem named.
//! Nothing is stored unless every check passes; the folder goes when the request ends.

use askama::Template;
use axum::extract::{Multipart, Path};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::{Chrome, Signed, html};
use crate::audit::Actor;
use crate::packs::folder::{self, Problem};
use crate::packs::store::{self, When};
use crate::staff::Role;

/// What the form holds, as typed (to show it again with the problems).
#[derive(Debug, Default, Clone)]
pub struct Composed {
    pub kind: String,
    pub period: String,
    pub title: String,
    pub body: String,
    pub units: Vec<String>,
    /// Codes of units further down, typed.
    pub more_units: String,
    pub tags: String,
    pub cells: String,
    pub deadline: String,
    pub report: String,
    /// draft | now | at | slot
    pub when: String,
    /// "YYYY-MM-DDTHH:MM", as a datetime-local input gives it.
    pub at: String,
}

/// A unit to tick in the audience.
pub struct UnitChoice {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

/// A problem, with the form's words for its field.
pub struct ProblemLine {
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    p: Chrome,
    f: Composed,
    units: Vec<UnitChoice>,
    problems: Vec<ProblemLine>,
    documents_lost: bool,
}

impl Composed {
    pub fn is(&self, field: &str, value: &str) -> bool {
        match field {
            "kind" => self.kind == value,
            "when" => self.when == value || (self.when.is_empty() && value == "draft"),
            _ => false,
        }
    }
}

async fn page(s: &Signed, f: Composed, problems: Vec<Problem>, documents_lost: bool) -> anyhow::Result<Response> {
    let mut conn = s.ctx.pool.acquire().await?;
    let root = crate::units::root(&mut conn).await?;
    // the units directly under the province's committee; deeper ones by their codes
    let units = crate::units::children(&mut conn, root.id)
        .await?
        .into_iter()
        .map(|u| UnitChoice { checked: f.units.contains(&u.code), code: u.code, name: u.name })
        .collect();
    drop(conn);
    let problems: Vec<ProblemLine> = problems
        .into_iter()
        .map(|p| {
            let key = match p.field.split(['[', '.']).next().unwrap_or_default() {
                "kind" => Some("web-compose-kind"),
                "period" => Some("web-compose-period"),
                "title" => Some("web-compose-title-field"),
                "body" => Some("web-compose-body"),
                "attachments" => Some("web-compose-attachments"),
                "audience" => Some("web-compose-audience"),
                "deadline" => Some("web-compose-deadline"),
                "report" => Some("web-compose-report"),
                "schedule" => Some("web-compose-schedule"),
                _ => None,
            };
            let field = match key {
                Some(k) => format!("{} ({})", s.tr.s(k), p.field),
                None => p.field.clone(),
            };
            ProblemLine { field, message: p.message }
        })
        .collect();
    let status = if problems.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let page = ComposePage { p: s.chrome("packs", s.tr.s("web-compose-title")), f, units, problems, documents_lost };
    let mut res = html(&page);
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /packs/new`.
pub async fn form(s: Signed) -> Response {
    if let Err(r) = s.require(Role::Board, "compose").await {
        return r;
    }
    let f = Composed { kind: "monthly".into(), when: "draft".into(), ..Default::default() };
    page(&s, f, Vec::new(), false).await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Serialize)]
struct TomlPack {
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<String>,
    title: String,
    body: &'static str,
    attachments: Vec<String>,
    audience: TomlAudience,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum TomlAudience {
    Word(&'static str),
    Parts { units: Vec<String>, tags: Vec<String>, cells: Vec<String> },
}

/// Words of a list field: separated by commas, semicolons or spaces.
fn words(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\n', '\t']).map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The most a compose request may carry: ten documents of 50 MB and the text.
pub const MOST_BYTES: usize = folder::MAX_ATTACHMENTS * folder::MAX_ATTACHMENT as usize + (1 << 20);

/// `POST /packs/new` (multipart): checks the pack as `loa pack create` does and stores it, as a
/// draft or scheduled as the form asks.
pub async fn create(s: Signed, mut form: Multipart) -> Response {
    if let Err(r) = s.require(Role::Board, "compose").await {
        return r;
    }
    // the data folder exists beside a SQLite database; with PostgreSQL it may not yet
    let data = store::data_dir(&s.ctx.config);
    let _ = std::fs::create_dir_all(&data);
    let dir = match tempfile::Builder::new().prefix(".web-compose-").tempdir_in(&data) {
        Ok(d) => d,
        Err(e) => return s.failed(e.into()),
    };
    let mut f = Composed::default();
    let mut csrf = String::new();
    let mut documents: Vec<String> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "a compose form could not be read");
                return s.refuse("web-bad-form");
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "documents" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            // a browser sends an empty part when no file was chosen
            if file_name.is_empty() {
                continue;
            }
            // only the file's own name: a path a browser might send is dropped
            let file_name = file_name.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_string();
            if documents.contains(&file_name) {
                problems.push(Problem { field: format!("attachments[{file_name}]"), message: "chosen twice".into() });
                continue;
            }
            match save(dir.path(), &file_name, field).await {
                Ok(true) => documents.push(file_name),
                Ok(false) => problems.push(Problem {
                    field: format!("attachments[{file_name}]"),
                    message: "is not a name Loa can keep (it starts with a dot or is empty)".into(),
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "an uploaded document could not be received");
                    return s.refuse("web-bad-form");
                }
            }
            continue;
        }
        let value = match field.text().await {
            Ok(v) => v,
            Err(_) => return s.refuse("web-bad-form"),
        };
        match name.as_str() {
            "csrf" => csrf = value,
            "kind" => f.kind = value,
            "period" => f.period = value,
            "title" => f.title = value,
            "body" => f.body = value,
            "unit" => f.units.push(value),
            "more_units" => f.more_units = value,
            "tags" => f.tags = value,
            "cells" => f.cells = value,
            "deadline" => f.deadline = value,
            "report" => f.report = value,
            "when" => f.when = value,
            "at" => f.at = value,
            _ => {}
        }
    }
    if let Err(r) = s.check_form(&csrf) {
        return r;
    }
    let run = async {
        if f.body.trim().is_empty() {
            problems.push(Problem { field: "body".into(), message: "is empty".into() });
        }
        let schedule = match f.when.as_str() {
            "at" if f.at.trim().is_empty() => {
                problems.push(Problem { field: "schedule".into(), message: "choose the time to send".into() });
                None
            }
            "at" => Some(f.at.trim().replacen('T', " ", 1)),
            "slot" => Some("slot".to_string()),
            _ => None,
        };
        let mut units = f.units.clone();
        units.extend(words(&f.more_units));
        let (tags, cells) = (words(&f.tags), words(&f.cells));
        let audience = if units.is_empty() && tags.is_empty() && cells.is_empty() {
            TomlAudience::Word("all")
        } else {
            TomlAudience::Parts { units, tags, cells }
        };
        let toml = TomlPack {
            kind: f.kind.trim().to_string(),
            period: Some(f.period.trim().to_string()).filter(|p| !p.is_empty()),
            title: f.title.clone(),
            body: "body.md",
            attachments: documents.clone(),
            audience,
            deadline: Some(f.deadline.trim().to_string()).filter(|d| !d.is_empty()),
            report: Some(f.report.trim().to_string()).filter(|r| !r.is_empty()),
            schedule,
        };
        tokio::fs::write(dir.path().join("pack.toml"), toml::to_string(&toml)?).await?;
        tokio::fs::write(dir.path().join("body.md"), f.body.as_bytes()).await?;
        let today = Utc::now().with_timezone(&s.ctx.config.timezone).date_naive();
        let draft = match folder::read(dir.path(), &s.ctx.pool, today).await? {
            Ok(d) if problems.is_empty() => d,
            Ok(_) => return page(&s, f, problems, !documents.is_empty()).await,
            Err(found) => {
                // an empty body file is named as the form's body
                problems
                    .extend(found.0.into_iter().filter(|p| !(p.field == "body" && p.message.ends_with("is empty"))));
                if problems.is_empty() {
                    problems.push(Problem { field: "body".into(), message: "is empty".into() });
                }
                return page(&s, f, problems, !documents.is_empty()).await;
            }
        };
        let actor = Actor::User(s.member.user_id);
        let id = store::create(&s.ctx.pool, &s.ctx.config, &draft, actor).await?;
        let when = if f.when == "now" { Some(When::Now) } else { draft.schedule.into() };
        let done = match when {
            None => "created".to_string(),
            Some(when) => match store::schedule(&s.ctx.pool, &s.ctx.config, id, when, Utc::now(), actor).await? {
                Ok(_) => {
                    s.ctx.schedule_changed.notify_one();
                    "scheduled".to_string()
                }
                Err(e) => {
                    tracing::info!(pack_id = id, error = %e, "a pack composed on the web was kept as a draft");
                    "created".to_string()
                }
            },
        };
        anyhow::Ok(Redirect::to(&format!("/packs/{id}?done={done}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// Receives one uploaded document into `dir/name`, chunk by chunk (never whole in memory);
/// `false` for a name the folder's checks would not look at.
async fn save(
    dir: &std::path::Path,
    name: &str,
    mut field: axum::extract::multipart::Field<'_>,
) -> anyhow::Result<bool> {
    if name.is_empty() || name.starts_with('.') || name == ".." {
        return Ok(false);
    }
    let mut file = tokio::fs::File::create(dir.join(name)).await?;
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await? {
        size += chunk.len() as u64;
        // past Telegram's limit the rest is not kept; the folder's check names the size
        if size <= folder::MAX_ATTACHMENT + 1 {
            file.write_all(&chunk).await?;
        }
    }
    file.flush().await?;
    Ok(true)
}

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// `POST /preview`: the body's Markdown as a cell will see it (an HTML fragment for the page).
pub async fn preview(s: Signed, form: axum::Form<PreviewForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let telegram = match crate::packs::body::to_telegram_html(&form.body, crate::packs::body::BodyFormat::Markdown) {
        Ok(h) => h,
        Err(e) => return fragment(format!("<p class=\"notice\">{}</p>", html_escape::encode_text(&e))),
    };
    match super::preview::to_web_html(&telegram) {
        Ok(h) => fragment(h),
        Err(e) => fragment(format!("<p class=\"notice\">{}</p>", html_escape::encode_text(&e))),
    }
}

fn fragment(body: String) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    when: String,
    #[serde(default)]
    at: String,
}

/// `POST /packs/{id}/schedule`: a draft (or scheduled pack) sent now, at a time, or in its slot.
pub async fn schedule(s: Signed, Path(id): Path<i64>, form: axum::Form<ScheduleForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    if let Err(r) = s.require(Role::Board, "schedule").await {
        return r;
    }
    let when = match form.when.as_str() {
        "now" => When::Now,
        "slot" => When::Slot,
        "at" => match folder::parse_local(&form.at.replacen('T', " ", 1)) {
            Some(t) => When::At(t),
            None => return s.refuse("web-schedule-bad-time"),
        },
        _ => return s.refuse("web-bad-form"),
    };
    let run = async {
        let actor = Actor::User(s.member.user_id);
        match store::schedule(&s.ctx.pool, &s.ctx.config, id, when, Utc::now(), actor).await? {
            Ok(_) => {
                s.ctx.schedule_changed.notify_one();
                anyhow::Ok(Redirect::to(&format!("/packs/{id}?done=scheduled")).into_response())
            }
            Err(store::ScheduleError::NoSuchPack(_)) => Ok(s.not_found()),
            Err(e) => {
                let words = s.tr.t("web-schedule-refused", crate::i18n::Args::new().user("why", &e.to_string()));
                Ok(super::notice(&s.tr, axum::http::StatusCode::BAD_REQUEST, "web-refused-title", &words, false))
            }
        }
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}
