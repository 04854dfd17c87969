//! The audit log: who did what to what, when, and how it ended. Every privileged action writes a
//! row, inside the same transaction as the action when there is one.

use crate::db::DbConn;
use serde_json::Value;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The command line on the server (whoever runs `loa`).
    Cli,
    /// A Telegram user, by id.
    User(i64),
    /// Loa itself (the bot following its chats, the scheduler).
    System,
}

impl Actor {
    /// The Telegram user behind the action, if a person in chat did it.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::User(id) => Some(id),
            _ => None,
        }
    }

    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Cli => ("cli", None),
            Actor::User(id) => ("telegram", Some(id)),
            Actor::System => ("system", None),
        }
    }
}

/// Writes one row. `outcome` is "ok", "denied", "failed", ...; it goes into `details` with the rest.
pub async fn record(
    conn: &mut DbConn,
    actor: Actor,
    action: &str,
    subject: Option<&str>,
    outcome: &str,
    mut details: Value,
) -> sqlx::Result<()> {
    let (who, user_id) = actor.parts();
    if let Value::Object(map) = &mut details {
        map.insert("outcome".into(), Value::String(outcome.into()));
    } else {
        details = serde_json::json!({ "outcome": outcome, "details": details });
    }
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crate::dates::now())
    .bind(user_id)
    .bind(who)
    .bind(action)
    .bind(subject)
    .bind(details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
