//! The province's registry of party cells: the `cells` table, its newtypes, and the queries the
//! CLI and the bot share. `import.rs` reads the registry files; `invites.rs` issues the single-use
//! codes; `binding.rs` ties a cell to its Telegram chat with one and follows that chat (kicked,
//! blocked, re-added, migrated).

pub mod binding;
pub mod import;
pub mod invites;

use std::fmt;

use crate::db::{DbConn, DbPool};
use serde::Serialize;
use sqlx::FromRow;

/// A cell's code in the registry (e.g. `NR-001`): 1-32 characters of A-Z a-z 0-9 - _ .
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CellCode(String);

impl CellCode {
    pub fn parse(s: &str) -> Result<CellCode, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("missing".into());
        }
        if s.chars().count() > 32 {
            return Err(format!("{s:?} is longer than 32 characters"));
        }
        if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(format!("{s:?} has {bad:?}; a code uses only A-Z a-z 0-9 - _ ."));
        }
        Ok(CellCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CellCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a cell stands with Loa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// In the registry, no chat bound yet.
    Unbound,
    /// Bound to a chat that Loa can write to.
    Active,
    /// Bound, but the chat removed or blocked the bot (or a send failed for good).
    Unreachable,
    /// Taken out of the registry; kept for history.
    Retired,
}

impl CellStatus {
    pub const ALL: [CellStatus; 4] =
        [CellStatus::Unbound, CellStatus::Active, CellStatus::Unreachable, CellStatus::Retired];

    pub fn parse(s: &str) -> Option<CellStatus> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Unbound => "unbound",
            CellStatus::Active => "active",
            CellStatus::Unreachable => "unreachable",
            CellStatus::Retired => "retired",
        }
    }
}

/// A cell as stored.
#[derive(Debug, Clone, FromRow)]
pub struct Cell {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub district: String,
    pub commune: Option<String>,
    pub parent: Option<String>,
    /// `;`-joined, sorted.
    pub tags: String,
    pub status: String,
    pub chat_id: Option<i64>,
    pub chat_type: Option<String>,
    pub bound_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub unreachable_reason: Option<String>,
    /// The unit it hangs from.
    pub unit_id: Option<i64>,
}

impl Cell {
    pub fn status(&self) -> CellStatus {
        CellStatus::parse(&self.status).unwrap_or(CellStatus::Unbound)
    }

    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split(';').filter(|t| !t.is_empty()).map(str::to_string).collect()
    }
}

const CELL_COLUMNS: &str = "c.id, c.code, c.name, c.district, c.commune, c.parent, \
     COALESCE((SELECT string_agg(tag, ';') FROM (SELECT tag FROM cell_tags t WHERE t.cell_id = c.id ORDER BY tag) AS o), '') AS tags, \
     c.status, c.chat_id, c.chat_type, c.bound_at, c.last_seen_at, c.unreachable_reason, c.unit_id";

/// Which cells `loa cells list` shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub district: Option<String>,
    pub status: Option<CellStatus>,
    /// Only the cells anywhere under this unit (its id).
    pub unit: Option<i64>,
}

/// Cells in code order, filtered.
pub async fn list(pool: &DbPool, filter: &ListFilter) -> sqlx::Result<Vec<Cell>> {
    let sql = format!(
        "SELECT {CELL_COLUMNS} FROM cells c WHERE ($1 IS NULL OR c.district = $1) AND ($2 IS NULL OR c.status = $2)
             AND ($3 IS NULL OR c.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $3))
         ORDER BY c.code"
    );
    sqlx::query_as::<_, Cell>(sqlx::AssertSqlSafe(sql))
        .bind(filter.district.as_deref())
        .bind(filter.status.map(CellStatus::as_str))
        .bind(filter.unit)
        .fetch_all(pool)
        .await
}

pub async fn by_code(conn: &mut DbConn, code: &str) -> sqlx::Result<Option<Cell>> {
    let sql = format!("SELECT {CELL_COLUMNS} FROM cells c WHERE c.code = $1");
    sqlx::query_as::<_, Cell>(sqlx::AssertSqlSafe(sql)).bind(code).fetch_optional(conn).await
}

pub async fn by_id(conn: &mut DbConn, id: i64) -> sqlx::Result<Cell> {
    let sql = format!("SELECT {CELL_COLUMNS} FROM cells c WHERE c.id = $1");
    sqlx::query_as::<_, Cell>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(conn).await
}

pub async fn by_chat(conn: &mut DbConn, chat_id: i64) -> sqlx::Result<Option<Cell>> {
    let sql = format!("SELECT {CELL_COLUMNS} FROM cells c WHERE c.chat_id = $1");
    sqlx::query_as::<_, Cell>(sqlx::AssertSqlSafe(sql)).bind(chat_id).fetch_optional(conn).await
}

/// The districts that have cells, in order.
pub async fn districts(pool: &DbPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT district FROM cells ORDER BY district").fetch_all(pool).await
}

/// Checks that `district` is one the registry knows; the error lists the known ones.
pub async fn known_district(pool: &DbPool, district: &str) -> anyhow::Result<Result<String, String>> {
    let all = districts(pool).await?;
    let wanted = district.trim();
    if let Some(d) = all.iter().find(|d| d.as_str() == wanted) {
        return Ok(Ok(d.clone()));
    }
    // forgive letter case, never diacritics: "Na Rì" and "Na Ri" are different names
    if let Some(d) = all.iter().find(|d| d.to_lowercase() == wanted.to_lowercase()) {
        return Ok(Ok(d.clone()));
    }
    let known = if all.is_empty() { "none yet: import the registry first".to_string() } else { all.join(", ") };
    Ok(Err(format!("unknown district {wanted:?}; the registry has: {known}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_codes_are_checked_and_trimmed() {
        assert_eq!(CellCode::parse(" NR-001 ").unwrap().as_str(), "NR-001");
        assert_eq!(CellCode::parse("").unwrap_err(), "missing");
        assert!(CellCode::parse("NR 001").unwrap_err().contains("' '"));
        assert!(CellCode::parse("Nà-1").is_err());
        assert!(CellCode::parse(&"x".repeat(33)).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in CellStatus::ALL {
            assert_eq!(CellStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CellStatus::parse("ACTIVE"), Some(CellStatus::Active));
        assert_eq!(CellStatus::parse("bound"), None);
    }
}
