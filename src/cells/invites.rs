//! Invite codes: 128 random bits, URL-safe (they travel in `t.me/<bot>?start=<code>` links), kept
//! only as a SHA-256 hash, valid `invites.ttl_days`, single use. Issuing a new code for a cell
//! revokes the cell's older unused ones.

use crate::db::DbPool;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Cell;
use crate::audit::{self, Actor};

/// An invite code as a person types or clicks it: 16-64 characters of A-Z a-z 0-9 _ -.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    /// A new code: 16 random bytes (128 bits), base64url without padding: 22 characters.
    pub fn generate() -> InviteCode {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        InviteCode(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Something that could be a code; anything else is not worth a database look-up.
    pub fn parse(s: &str) -> Option<InviteCode> {
        let s = s.trim();
        let ok = (16..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        ok.then(|| InviteCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// The two deep links of a code: a private chat with the bot, and adding the bot to a group.
pub fn links(bot_username: &str, code: &InviteCode) -> (String, String) {
    (
        format!("https://t.me/{bot_username}?start={}", code.as_str()),
        format!("https://t.me/{bot_username}?startgroup={}", code.as_str()),
    )
}

/// A code just issued; the only moment the code itself is known.
#[derive(Debug, Clone)]
pub struct IssuedInvite {
    pub cell_code: String,
    pub cell_name: String,
    pub district: String,
    pub code: InviteCode,
    pub expires_at: i64,
}

/// Issues one new code per cell, revoking their older unused codes, in one transaction.
pub async fn issue(pool: &DbPool, cells: &[Cell], ttl_days: u32, actor: Actor) -> anyhow::Result<Vec<IssuedInvite>> {
    let now = crate::dates::now();
    let expires_at = now + i64::from(ttl_days) * 86_400;
    let mut tx = crate::db::begin_write(pool).await?;
    let mut out = Vec::with_capacity(cells.len());
    for cell in cells {
        sqlx::query("UPDATE invites SET revoked_at = $1 WHERE cell_id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(cell.id)
            .execute(&mut *tx)
            .await?;
        let code = InviteCode::generate();
        let created_by = actor.user_id();
        sqlx::query(
            "INSERT INTO invites (cell_id, code_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(cell.id)
        .bind(code.hash())
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        out.push(IssuedInvite {
            cell_code: cell.code.clone(),
            cell_name: cell.name.clone(),
            district: cell.district.clone(),
            code,
            expires_at,
        });
    }
    let subject = if cells.len() == 1 { Some(cells[0].code.as_str()) } else { None };
    audit::record(
        &mut tx,
        actor,
        "invites.issue",
        subject,
        "ok",
        json!({ "cells": cells.len(), "ttl_days": ttl_days }),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Revokes a cell's unused codes; returns how many were revoked (audited even when none).
pub async fn revoke(pool: &DbPool, cell: &Cell, actor: Actor) -> anyhow::Result<u64> {
    let mut tx = crate::db::begin_write(pool).await?;
    let revoked =
        sqlx::query("UPDATE invites SET revoked_at = $1 WHERE cell_id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(crate::dates::now())
            .bind(cell.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    audit::record(&mut tx, actor, "invites.revoke", Some(&cell.code), "ok", json!({ "codes": revoked })).await?;
    tx.commit().await?;
    Ok(revoked)
}

/// The cells hanging from unit `unit` that have a code that still works (issued, unused, not
/// revoked, not expired), in one read.
pub async fn open_in_unit(pool: &DbPool, unit: i64, now: i64) -> sqlx::Result<std::collections::HashSet<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT i.cell_id FROM invites i JOIN cells c ON c.id = i.cell_id
         WHERE c.unit_id = $1 AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(unit)
    .bind(now)
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_128_random_bits_in_22_url_safe_characters() {
        let a = InviteCode::generate();
        let b = InviteCode::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(InviteCode::parse(a.as_str()), Some(a.clone()));
        assert_eq!(URL_SAFE_NO_PAD.decode(a.as_str()).unwrap().len(), 16);
        assert_eq!(a.hash().len(), 32);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn only_plausible_codes_parse() {
        assert!(InviteCode::parse("short").is_none());
        assert!(InviteCode::parse("has spaces in the middle!").is_none());
        assert!(InviteCode::parse(&"a".repeat(65)).is_none());
        assert!(InviteCode::parse("abcdefghijklmnop_-").is_some());
    }

    #[test]
    fn links_open_a_private_chat_or_add_the_bot_to_a_group() {
        let code = InviteCode::parse("abcdefghijklmnop").unwrap();
        let (p, g) = links("loa_bot", &code);
        assert_eq!(p, "https://t.me/loa_bot?start=abcdefghijklmnop");
        assert_eq!(g, "https://t.me/loa_bot?startgroup=abcdefghijklmnop");
    }
}
