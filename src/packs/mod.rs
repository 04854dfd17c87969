//! Guidance packs: what they are (`period.rs`), how their body becomes Telegram HTML (`body.rs`),
//! the message a cell sees (`message.rs`), the folder format and its checks (`folder.rs`), and how
//! packs are stored and scheduled (`store.rs`).

pub mod body;
pub mod folder;
pub mod message;
pub mod period;
pub mod store;

use std::collections::BTreeSet;

use crate::db::DbPool;
use serde_json::{Value, json};

/// Who receives a pack: every cell, or the cells in any of these districts, anywhere under any of
/// these units (by code), with any of these tags, or with these codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    All,
    Some { districts: BTreeSet<String>, units: BTreeSet<String>, tags: BTreeSet<String>, cells: BTreeSet<String> },
}

impl Audience {
    /// As stored: `"all"` or `{"districts": [...], "units": [...], "tags": [...], "cells": [...]}`.
    pub fn to_json(&self) -> String {
        match self {
            Audience::All => json!("all").to_string(),
            Audience::Some { districts, units, tags, cells } => {
                json!({"districts": districts, "units": units, "tags": tags, "cells": cells}).to_string()
            }
        }
    }

    pub fn from_json(s: &str) -> Option<Audience> {
        let v: Value = serde_json::from_str(s).ok()?;
        if v == json!("all") {
            return Some(Audience::All);
        }
        let set = |k: &str| -> BTreeSet<String> {
            v.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        };
        Some(Audience::Some {
            districts: set("districts"),
            units: set("units"),
            tags: set("tags"),
            cells: set("cells"),
        })
    }

    /// A short description for people: "districts Na Rì, Ba Bể; units X-BV; tags xa; cells NR-001".
    pub fn describe(&self) -> String {
        match self {
            Audience::All => "all cells".into(),
            Audience::Some { districts, units, tags, cells } => {
                let mut parts = Vec::new();
                if !districts.is_empty() {
                    parts.push(format!("districts {}", districts.iter().cloned().collect::<Vec<_>>().join(", ")));
                }
                if !units.is_empty() {
                    parts.push(format!("units {}", units.iter().cloned().collect::<Vec<_>>().join(", ")));
                }
                if !tags.is_empty() {
                    parts.push(format!("tags {}", tags.iter().cloned().collect::<Vec<_>>().join(", ")));
                }
                if !cells.is_empty() {
                    parts.push(format!("cells {}", cells.iter().cloned().collect::<Vec<_>>().join(", ")));
                }
                parts.join("; ")
            }
        }
    }
}

/// Where the audience condition goes in `SELECT ... FROM cells c WHERE <here>`, with its values,
/// numbered from `$first` on (the statement's own parameters come before).
pub(crate) fn audience_sql(audience: &Audience, first: usize) -> (String, Vec<String>) {
    match audience {
        Audience::All => ("c.status != 'retired'".into(), Vec::new()),
        Audience::Some { districts, units, tags, cells } => {
            let next = std::cell::Cell::new(first);
            let marks = |n: usize| {
                let from = next.replace(next.get() + n);
                (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            };
            let mut ors = Vec::new();
            let mut binds = Vec::new();
            if !districts.is_empty() {
                ors.push(format!("c.district IN ({})", marks(districts.len())));
                binds.extend(districts.iter().cloned());
            }
            if !units.is_empty() {
                ors.push(format!(
                    "c.unit_id IN (SELECT p.descendant FROM unit_paths p JOIN units u ON u.id = p.ancestor
                                   WHERE u.code IN ({}))",
                    marks(units.len())
                ));
                binds.extend(units.iter().cloned());
            }
            if !tags.is_empty() {
                ors.push(format!("c.id IN (SELECT cell_id FROM cell_tags WHERE tag IN ({}))", marks(tags.len())));
                binds.extend(tags.iter().cloned());
            }
            if !cells.is_empty() {
                ors.push(format!("c.code IN ({})", marks(cells.len())));
                binds.extend(cells.iter().cloned());
            }
            if ors.is_empty() {
                ors.push("1 = 0".into());
            }
            (format!("c.status != 'retired' AND ({})", ors.join(" OR ")), binds)
        }
    }
}

/// How many cells (not retired) an audience reaches.
pub async fn audience_size(pool: &DbPool, audience: &Audience) -> sqlx::Result<i64> {
    Ok(audience_counts(pool, audience).await?.0)
}

/// (cells in the audience, of which active).
pub async fn audience_counts(pool: &DbPool, audience: &Audience) -> sqlx::Result<(i64, i64)> {
    let (cond, binds) = audience_sql(audience, 1);
    let sql = format!(
        "SELECT count(*), CAST(COALESCE(sum(CASE WHEN c.status = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cells c WHERE {cond}"
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_one(pool).await
}

/// How long sending `cells` cells `messages` messages each takes at `per_second` overall (and
/// at most one message a second into each chat), in seconds.
/// A pack's acknowledgement deadline: the one it names, else its send date plus
/// `packs.default_deadline_days`. The one rule, for scheduling, delivery, `loa pack show` and the
/// composer's preview alike.
pub fn deadline_for(
    named: Option<chrono::NaiveDate>,
    send_date: chrono::NaiveDate,
    default_days: u32,
) -> chrono::NaiveDate {
    named.unwrap_or(send_date + chrono::Duration::days(i64::from(default_days)))
}

pub fn estimate_seconds(cells: i64, messages: i64, per_second: u32) -> u64 {
    if cells <= 0 || messages <= 0 {
        return 0;
    }
    let overall = (cells * messages) as f64 / f64::from(per_second.max(1));
    overall.max(messages as f64).ceil() as u64
}

/// A duration in words: "khoảng 1 phút 41 giây" / "about 1 min 41 s".
pub fn duration_words(seconds: u64, locale: crate::i18n::Locale) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match locale {
        crate::i18n::Locale::Vi => {
            let body = match (h, m, s) {
                (0, 0, s) => format!("{s} giây"),
                (0, m, 0) => format!("{m} phút"),
                (0, m, s) => format!("{m} phút {s} giây"),
                (h, 0, _) => format!("{h} giờ"),
                (h, m, _) => format!("{h} giờ {m} phút"),
            };
            format!("khoảng {body}")
        }
        crate::i18n::Locale::En => {
            let body = match (h, m, s) {
                (0, 0, s) => format!("{s} s"),
                (0, m, 0) => format!("{m} min"),
                (0, m, s) => format!("{m} min {s} s"),
                (h, 0, _) => format!("{h} h"),
                (h, m, _) => format!("{h} h {m} min"),
            };
            format!("about {body}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn the_estimate_follows_the_rate_and_reads_in_words() {
        // 1,512 cells x 2 messages at 30/s
        let s = estimate_seconds(1512, 2, 30);
        assert_eq!(s, 101);
        assert_eq!(duration_words(s, Locale::Vi), "khoảng 1 phút 41 giây");
        assert_eq!(duration_words(s, Locale::En), "about 1 min 41 s");
        assert_eq!(duration_words(45, Locale::Vi), "khoảng 45 giây");
        assert_eq!(duration_words(3 * 3600 + 20 * 60 + 5, Locale::Vi), "khoảng 3 giờ 20 phút");
        // one chat still takes a message a second
        assert_eq!(estimate_seconds(1, 11, 30), 11);
        assert_eq!(estimate_seconds(0, 3, 30), 0);
    }

    #[test]
    fn audiences_round_trip_through_json() {
        let a = Audience::Some {
            districts: ["Na Rì".to_string()].into(),
            units: ["X-BV".to_string()].into(),
            tags: BTreeSet::new(),
            cells: ["NR-001".to_string()].into(),
        };
        assert_eq!(Audience::from_json(&a.to_json()), Some(a.clone()));
        assert_eq!(Audience::from_json("\"all\""), Some(Audience::All));
        assert_eq!(a.describe(), "districts Na Rì; units X-BV; cells NR-001");
        // stored before units existed: no units
        let old = Audience::from_json(r#"{"districts":["Na Rì"],"tags":[],"cells":[]}"#).unwrap();
        assert!(matches!(old, Audience::Some { ref units, .. } if units.is_empty()));
    }
}
