//! Signing in to the web desk through the bot: `/web` in a member's private chat gives a one-time
//! link (valid [`LINK_TTL`], single use, bound to that Telegram user); the link opens a page with
//! one button, and pressing it starts a session of [`SESSION_TTL`] held by an HttpOnly,
//! SameSite=Strict cookie. The link is not used up by opening it: Telegram's own link previews
//! and a phone's prefetching open links too, and must not spend it.
//!
//! Only SHA-256 hashes of the link's token and of the session's cookie are stored. Every sign-in,
//! refused or not, and every sign-out is audited. The member's role is not stored with the
//! session: it is read again on every request ([`crate::staff::role_of`]).

use crate::db::DbPool;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

use crate::audit::{self, Actor};
use crate::staff::{self, StaffMember};

/// How long a sign-in link is good for, in seconds.
pub const LINK_TTL: i64 = 10 * 60;
/// How long a session lasts from sign-in, in seconds.
pub const SESSION_TTL: i64 = 8 * 60 * 60;
/// The session cookie's name.
pub const COOKIE: &str = "loa_session";

/// A new secret: 32 random bytes (256 bits), URL-safe base64 without padding (43 characters).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `s` could be one of [`new_secret`]'s: a guard before anything is looked up.
fn looks_like_secret(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new sign-in link's token for `user_id` (a member of staff), stored and audited.
pub async fn issue_link(pool: &DbPool, user_id: i64, now: i64) -> anyhow::Result<String> {
    let token = new_secret();
    let mut tx = crate::db::begin_write(pool).await?;
    // links nobody can use any more go
    sqlx::query("DELETE FROM web_links WHERE expires_at < $1").bind(now - 86_400).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO web_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + LINK_TTL)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, Actor::User(user_id), "web.link", None, "ok", json!({ "valid_s": LINK_TTL })).await?;
    tx.commit().await?;
    Ok(token)
}

/// Why a sign-in link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such link (mistyped, cut short, or from another Loa).
    Unknown,
    /// Used already.
    Used,
    /// Older than [`LINK_TTL`].
    Expired,
    /// Its user has no staff role any more.
    NotStaff,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Unknown => "unknown",
            Refused::Used => "used",
            Refused::Expired => "expired",
            Refused::NotStaff => "not_staff",
        }
    }
}

/// What a link would do now, without using it: the page the link opens says so.
pub async fn check_link(pool: &DbPool, token: &str, now: i64) -> sqlx::Result<Result<i64, Refused>> {
    if !looks_like_secret(token) {
        return Ok(Err(Refused::Unknown));
    }
    let row: Option<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT user_id, expires_at, used_at FROM web_links WHERE token_hash = $1")
            .bind(hash(token))
            .fetch_optional(pool)
            .await?;
    Ok(match row {
        None => Err(Refused::Unknown),
        Some((_, _, Some(_))) => Err(Refused::Used),
        Some((_, expires, None)) if expires <= now => Err(Refused::Expired),
        Some((user, _, None)) => Ok(user),
    })
}

/// A session just started: the cookie's value (shown once, never stored) and who it is for.
#[derive(Debug)]
pub struct Started {
    pub cookie: String,
    pub member: StaffMember,
}

/// Uses the link `token` and starts a session for its user, in one transaction with its audit
/// row; a refusal is audited too (with the user, when the link named one) when `audit_refusal`
/// says so.
pub async fn sign_in(
    pool: &DbPool,
    admins: &BTreeSet<i64>,
    token: &str,
    now: i64,
    client: &str,
    audit_refusal: &(dyn Fn() -> bool + Sync),
) -> anyhow::Result<Result<Started, Refused>> {
    let mut tx = crate::db::begin_write(pool).await?;
    let checked = if looks_like_secret(token) {
        let row: Option<(i64, i64, Option<i64>)> =
            sqlx::query_as("SELECT user_id, expires_at, used_at FROM web_links WHERE token_hash = $1")
                .bind(hash(token))
                .fetch_optional(&mut *tx)
                .await?;
        match row {
            None => Err((None, Refused::Unknown)),
            Some((user, _, Some(_))) => Err((Some(user), Refused::Used)),
            Some((user, expires, None)) if expires <= now => Err((Some(user), Refused::Expired)),
            Some((user, _, None)) => Ok(user),
        }
    } else {
        Err((None, Refused::Unknown))
    };
    let user = match checked {
        Ok(user) => user,
        Err((user, why)) => {
            // a flood of refusals writes a few rows, not one each (each is logged by the caller)
            if audit_refusal() {
                let actor = user.map(Actor::User).unwrap_or(Actor::System);
                let details = json!({ "reason": why.as_str(), "client": client });
                audit::record(&mut tx, actor, "web.sign_in", None, "denied", details).await?;
            }
            tx.commit().await?;
            return Ok(Err(why));
        }
    };
    // spent now, whether or not the user is still staff
    sqlx::query("UPDATE web_links SET used_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(hash(token))
        .execute(&mut *tx)
        .await?;
    // the role as it stands now: read on the same connection as the rest
    let member = staff::role_of_on(&mut *tx, admins, user).await?;
    let Some(member) = member else {
        let details = json!({ "reason": Refused::NotStaff.as_str(), "client": client });
        audit::record(&mut tx, Actor::User(user), "web.sign_in", None, "denied", details).await?;
        tx.commit().await?;
        return Ok(Err(Refused::NotStaff));
    };
    let cookie = new_secret();
    // sessions over for a day go (the audit log keeps who signed in when)
    sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1 OR ended_at < $2")
        .bind(now - 86_400)
        .bind(now - 86_400)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&cookie))
    .bind(user)
    .bind(new_secret())
    .bind(now)
    .bind(now + SESSION_TTL)
    .execute(&mut *tx)
    .await?;
    let details = json!({ "role": member.role.as_str(), "client": client });
    audit::record(&mut tx, Actor::User(user), "web.sign_in", None, "ok", details).await?;
    tx.commit().await?;
    Ok(Ok(Started { cookie, member }))
}

/// A session that is on.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    /// The token every form of this session carries back.
    pub csrf: String,
    pub expires_at: i64,
}

/// The session a cookie's value holds, if it is on (not ended, not expired).
pub async fn session(pool: &DbPool, cookie: &str, now: i64) -> sqlx::Result<Option<Session>> {
    if !looks_like_secret(cookie) {
        return Ok(None);
    }
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT user_id, csrf, expires_at FROM web_sessions WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > $2",
    )
    .bind(hash(cookie))
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(user_id, csrf, expires_at)| Session { user_id, csrf, expires_at }))
}

/// Ends the session a cookie holds (`why`: "sign_out", "no_role"), audited.
pub async fn end(pool: &DbPool, cookie: &str, user_id: i64, now: i64, why: &str) -> anyhow::Result<()> {
    let mut tx = crate::db::begin_write(pool).await?;
    let ended = sqlx::query("UPDATE web_sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(hash(cookie))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if ended == 1 {
        let action = if why == "sign_out" { "web.sign_out" } else { "web.session_ended" };
        audit::record(&mut tx, Actor::User(user_id), action, None, "ok", json!({ "reason": why })).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_recognised() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(looks_like_secret(&a) && looks_like_secret(&b), "{a} {b}");
        assert!(!looks_like_secret(&a[1..]));
        assert!(!looks_like_secret(&format!("{}=", &a[1..])));
        assert!(!looks_like_secret(""));
    }

    #[tokio::test]
    async fn a_link_signs_in_once_and_only_its_user_while_staff() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&format!("sqlite://{}/loa.db", dir.path().display())).await.unwrap();
        let admins: BTreeSet<i64> = [42].into();
        let now = 1_800_000_000;
        let token = issue_link(&pool, 42, now).await.unwrap();
        assert_eq!(check_link(&pool, &token, now + 5).await.unwrap(), Ok(42));
        // opening the page does not spend it; signing in does, once
        assert_eq!(check_link(&pool, &token, now + 5).await.unwrap(), Ok(42));
        let started = sign_in(&pool, &admins, &token, now + 10, "test", &|| true).await.unwrap().unwrap();
        assert_eq!(started.member.user_id, 42);
        assert_eq!(
            sign_in(&pool, &admins, &token, now + 11, "test", &|| true).await.unwrap().unwrap_err(),
            Refused::Used
        );
        let s = session(&pool, &started.cookie, now + 12).await.unwrap().expect("on");
        assert_eq!((s.user_id, s.expires_at), (42, now + 10 + SESSION_TTL));
        assert!(session(&pool, &started.cookie, now + 10 + SESSION_TTL).await.unwrap().is_none(), "8 hours at most");
        // the cookie is not what is stored
        let stored: Vec<u8> = sqlx::query_scalar("SELECT id_hash FROM web_sessions").fetch_one(&pool).await.unwrap();
        assert_ne!(stored, started.cookie.as_bytes());
        end(&pool, &started.cookie, 42, now + 20, "sign_out").await.unwrap();
        assert!(session(&pool, &started.cookie, now + 21).await.unwrap().is_none());

        // expired, unknown, and a user who is no longer staff
        let late = issue_link(&pool, 42, now).await.unwrap();
        assert_eq!(
            sign_in(&pool, &admins, &late, now + LINK_TTL, "t", &|| true).await.unwrap().unwrap_err(),
            Refused::Expired
        );
        assert_eq!(
            sign_in(&pool, &admins, &new_secret(), now, "t", &|| true).await.unwrap().unwrap_err(),
            Refused::Unknown
        );
        assert_eq!(sign_in(&pool, &admins, "short", now, "t", &|| true).await.unwrap().unwrap_err(), Refused::Unknown);
        let gone = issue_link(&pool, 7, now).await.unwrap();
        assert_eq!(
            sign_in(&pool, &admins, &gone, now + 1, "t", &|| true).await.unwrap().unwrap_err(),
            Refused::NotStaff
        );
        // every attempt is in the audit log
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT action, json_extract(details, '$.outcome') || '/' || COALESCE(json_extract(details, '$.reason'), '')
             FROM audit_log WHERE action LIKE 'web.%' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let got: Vec<String> = rows.iter().map(|(a, o)| format!("{a} {o}")).collect();
        assert_eq!(
            got,
            [
                "web.link ok/",
                "web.sign_in ok/",
                "web.sign_in denied/used",
                "web.sign_out ok/sign_out",
                "web.link ok/",
                "web.sign_in denied/expired",
                "web.sign_in denied/unknown",
                "web.sign_in denied/unknown",
                "web.link ok/",
                "web.sign_in denied/not_staff",
            ]
        );
    }
}
