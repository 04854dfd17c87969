//! The audit log, searchable (admins and the board): newest first, a page at a time, filtered by
//! words found in the action, the subject or the details, and by the Telegram user who acted.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, Signed, html};
use crate::staff::Role;

/// Rows on a page.
const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    /// Words to look for.
    #[serde(default)]
    q: String,
    /// A Telegram user id.
    #[serde(default)]
    user: String,
    /// Rows older than this id (the next page).
    #[serde(default)]
    before: Option<i64>,
}

pub struct Row {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub outcome: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    p: Chrome,
    q: String,
    user: String,
    rows: Vec<Row>,
    /// The `before` of the next page, when there is one.
    next: Option<i64>,
    bad_user: bool,
}

#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    at: i64,
    actor: String,
    actor_user_id: Option<i64>,
    name: Option<String>,
    action: String,
    subject: Option<String>,
    details: Option<String>,
}

/// `GET /audit?q=..&user=..&before=..`.
pub async fn search(s: Signed, Query(q): Query<AuditQuery>) -> Response {
    if let Err(r) = s.require(Role::Board, "audit").await {
        return r;
    }
    let run = async {
        let words = q.q.trim().to_string();
        let user_given = q.user.trim();
        let user: Option<i64> = user_given.parse().ok();
        let bad_user = !user_given.is_empty() && user.is_none();
        // LIKE's own wildcards in the words are taken as themselves; the case does not count
        // (SQLite's LIKE ignores it for ASCII letters, PostgreSQL's would not: both sides are
        // compared lowercase, as each database lowers them)
        let pattern = format!("%{}%", words.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows: Vec<Stored> = sqlx::query_as(
            "SELECT a.id, a.at, a.actor, a.actor_user_id, st.display_name AS name, a.action, a.subject, a.details
             FROM audit_log a LEFT JOIN staff st ON st.user_id = a.actor_user_id
             WHERE ($1 = '' OR lower(a.action) LIKE lower($2) ESCAPE '\\'
                    OR lower(a.subject) LIKE lower($2) ESCAPE '\\' OR lower(a.details) LIKE lower($2) ESCAPE '\\')
               AND ($3 IS NULL OR a.actor_user_id = $3)
               AND ($4 IS NULL OR a.id < $4)
             ORDER BY a.id DESC LIMIT $5",
        )
        .bind(&words)
        .bind(&pattern)
        .bind(user)
        .bind(q.before)
        .bind(PAGE + 1)
        .fetch_all(&s.ctx.pool)
        .await?;
        let next = (rows.len() as i64 > PAGE).then(|| rows[PAGE as usize - 1].id);
        let tz = s.ctx.config.timezone;
        let rows = rows
            .into_iter()
            .take(PAGE as usize)
            .map(|r| {
                let details: serde_json::Value =
                    r.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
                let outcome = details.get("outcome").and_then(|o| o.as_str()).unwrap_or_default().to_string();
                let mut rest = details.clone();
                if let Some(m) = rest.as_object_mut() {
                    m.remove("outcome");
                }
                let who = match (r.actor_user_id, r.name) {
                    (Some(id), Some(name)) => format!("{name} ({id})"),
                    (Some(id), None) => id.to_string(),
                    (None, _) => r.actor,
                };
                Row {
                    id: r.id,
                    at: crate::dates::table(r.at, tz),
                    who,
                    action: r.action,
                    subject: r.subject.unwrap_or_default(),
                    outcome,
                    details: if rest.as_object().is_some_and(|m| m.is_empty()) {
                        String::new()
                    } else {
                        rest.to_string()
                    },
                }
            })
            .collect();
        let page = AuditPage {
            p: s.chrome("audit", s.tr.s("web-audit-title")),
            q: words,
            user: user_given.to_string(),
            rows,
            next,
            bad_user,
        };
        anyhow::Ok(html(&page))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}
