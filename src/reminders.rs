//! Reminders and escalation. A cell that has not acknowledged a pack is reminded
//! `schedule.remind_after_days` after the pack reached it, and once more the day before the
//! deadline; never twice a day for one pack (the `reminders` table is the proof). Reminders go out
//! as a broadcast of kind `reminder` through the delivery worker: the same limits, the same
//! durability. After the deadline, each district officer is told which of their cells did not
//! acknowledge or report, and the board gets the province's summary, worst districts first.

use crate::db::DbPool;
use chrono::{Duration, NaiveDate};
use serde_json::json;

use crate::audit::Actor;
use crate::config::Config;
use crate::delivery::broadcast::{NewBroadcast, Started};
use crate::lifecycle::BroadcastKind;

#[derive(Debug, Clone, sqlx::FromRow)]
struct Candidate {
    pack_id: i64,
    cell_id: i64,
    chat_id: i64,
    sent_at: i64,
    deadline: Option<String>,
    /// The local days this cell was already reminded of this pack, comma-separated.
    reminded: Option<String>,
}

/// Which cells are due a reminder today, by pack. With `forced` (staff asked with `/remind`), every
/// cell that has not acknowledged is due, unless reminded today already.
async fn due(
    pool: &DbPool,
    config: &Config,
    today: NaiveDate,
    only_pack: Option<i64>,
    within: Option<i64>,
    forced: bool,
) -> sqlx::Result<Vec<Candidate>> {
    let rows: Vec<Candidate> = sqlx::query_as(
        "SELECT b.pack_id, d.cell_id, c.chat_id, d.sent_at, p.deadline,
                (SELECT string_agg(CAST(r.day AS TEXT), ',') FROM reminders r WHERE r.pack_id = b.pack_id AND r.cell_id = d.cell_id) AS reminded
         FROM deliveries d
         JOIN broadcasts b ON b.id = d.broadcast_id AND b.kind = 'pack'
         JOIN packs p ON p.id = b.pack_id
         JOIN cells c ON c.id = d.cell_id
         WHERE d.state = 'sent' AND c.status = 'active' AND c.chat_id IS NOT NULL
           AND p.status IN ('sending', 'sent')
           AND ($1 IS NULL OR b.pack_id = $1)
           AND ($2 OR p.deadline IS NULL OR p.deadline >= $3)
           AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = b.pack_id AND a.cell_id = d.cell_id)
           AND ($4 IS NULL OR c.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $4))
         ORDER BY b.pack_id, d.cell_id",
    )
    .bind(only_pack)
    .bind(forced)
    .bind(today.to_string())
    .bind(within)
    .fetch_all(pool)
    .await?;
    let tz = config.timezone;
    let after = Duration::days(i64::from(config.schedule.remind_after_days));
    Ok(rows
        .into_iter()
        .filter(|c| {
            let days: Vec<NaiveDate> = c
                .reminded
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .collect();
            if days.contains(&today) {
                return false;
            }
            if forced {
                return true;
            }
            let sent = crate::acks::local_date(chrono::DateTime::from_timestamp(c.sent_at, 0).unwrap_or_default(), tz);
            let deadline = c.deadline.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let first_due = today >= sent + after && days.is_empty();
            let last_due = deadline.is_some_and(|d| {
                let eve = d - Duration::days(1);
                today >= eve && today <= d && !days.iter().any(|x| *x >= eve) && sent < today
            });
            first_due || last_due
        })
        .collect())
}

/// Which cells a run of reminders is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Which {
    /// One pack only.
    pub pack: Option<i64>,
    /// Only the cells under this unit (an officer's).
    pub within: Option<i64>,
    /// Every cell that has not acknowledged, due or not (someone asked; see `due`).
    pub forced: bool,
}

/// Sends today's reminders: one `reminder` broadcast per pack with cells due, among `which`.
pub async fn remind(
    pool: &DbPool,
    config: &Config,
    today: NaiveDate,
    which: Which,
    actor: Actor,
    now: i64,
) -> anyhow::Result<Vec<Started>> {
    let due = due(pool, config, today, which.pack, which.within, which.forced).await?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < due.len() {
        let pack_id = due[i].pack_id;
        let j = due[i..].iter().position(|c| c.pack_id != pack_id).map(|k| i + k).unwrap_or(due.len());
        if let Some(s) = start(pool, pack_id, &due[i..j], today, actor, now).await? {
            out.push(s);
        }
        i = j;
    }
    Ok(out)
}

/// One transaction: the reminder broadcast, a reminder row per cell (the once-a-day guard) and a
/// delivery for each cell whose row was new. The deliveries start at step 1: no documents.
async fn start(
    pool: &DbPool,
    pack_id: i64,
    cells: &[Candidate],
    today: NaiveDate,
    actor: Actor,
    now: i64,
) -> anyhow::Result<Option<Started>> {
    let tx = crate::db::begin_write(pool).await?;
    let mut b = NewBroadcast::open(pool, tx, pack_id, BroadcastKind::Reminder, actor, now).await?;
    let mut targeted = 0i64;
    for c in cells {
        let fresh = sqlx::query(
            "INSERT INTO reminders (pack_id, cell_id, day, broadcast_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(pack_id)
        .bind(c.cell_id)
        .bind(today.to_string())
        .bind(b.id)
        .execute(b.tx())
        .await?
        .rows_affected();
        if fresh == 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, step, next_attempt_at) VALUES ($1, $2, $3, 'pending', 1, $4)",
        )
        .bind(b.id)
        .bind(c.cell_id)
        .bind(c.chat_id)
        .bind(now)
        .execute(b.tx())
        .await?;
        targeted += 1;
    }
    if targeted == 0 {
        b.abandon().await?;
        return Ok(None);
    }
    let started = b.close(targeted, 0, "packs.remind", json!({ "cells": targeted, "day": today.to_string() })).await?;
    tracing::info!(pack_id, broadcast_id = started.broadcast_id, cells = targeted, "reminders started");
    Ok(Some(started))
}

/// A cell behind on a pack after its deadline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Behind {
    pub code: String,
    pub name: String,
    /// The name of the unit directly under the province's committee the cell hung from when the
    /// pack went out (its district, before the tree had no districts).
    pub committee: String,
    /// The unit the cell hung from when the pack went out.
    pub unit_id: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub acknowledged: bool,
    #[sqlx(try_from = "crate::db::Flag")]
    pub reported: bool,
}

/// One unit's figures on a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLag {
    /// The unit's name.
    pub unit: String,
    pub targeted: i64,
    /// Cells that did not acknowledge, or (when a report was asked) did not report.
    pub behind: i64,
}

/// What is said about a pack once its deadline has passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub pack_id: i64,
    pub title: String,
    pub period: Option<String>,
    pub deadline: String,
    pub report_requested: bool,
    pub targeted: i64,
    pub acknowledged: i64,
    pub reported: i64,
    /// By unit directly under the province's committee, worst first (largest share behind).
    pub committees: Vec<UnitLag>,
    /// Cells reached by the unit they hung from: (unit id, cells, cells behind).
    pub by_unit: Vec<(i64, i64, i64)>,
    /// Every cell behind, by committee then code.
    pub cells: Vec<Behind>,
}

/// Packs whose deadline passed before `today` and that were not escalated yet, each with what
/// is to be said. The caller sends it, then calls [`mark_escalated`].
pub async fn overdue(pool: &DbPool, today: NaiveDate) -> sqlx::Result<Vec<Escalation>> {
    /// id, title, period, deadline, report prompt
    type PackRow = (i64, String, Option<String>, String, Option<String>);
    let packs: Vec<PackRow> = sqlx::query_as(
        "SELECT id, title, period, deadline, report_prompt FROM packs
         WHERE status = 'sent' AND escalated_at IS NULL AND deadline IS NOT NULL AND deadline < $1 ORDER BY id",
    )
    .bind(today.to_string())
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for (pack_id, title, period, deadline, report) in packs {
        let report_requested = report.is_some();
        // each cell with the unit it hung from and that unit's ancestor directly under the root
        // (the root itself for a cell hanging from it)
        let cells: Vec<(String, String, String, i64, crate::db::Flag, crate::db::Flag)> = sqlx::query_as(
            "WITH r AS (SELECT id FROM units WHERE parent_id IS NULL)
             SELECT c.code, c.name,
                    COALESCE((SELECT a.name FROM unit_paths p JOIN units a ON a.id = p.ancestor
                              WHERE p.descendant = x.unit_id AND a.parent_id = (SELECT id FROM r)),
                             (SELECT name FROM units WHERE id = (SELECT id FROM r))) AS committee,
                    x.unit_id,
                    EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = x.pack_id AND a.cell_id = c.id),
                    EXISTS (SELECT 1 FROM reports r WHERE r.pack_id = x.pack_id AND r.cell_id = c.id)
             FROM (SELECT d.cell_id, b.pack_id, COALESCE(d.unit_id, (SELECT id FROM r)) AS unit_id
                   FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id AND b.kind = 'pack'
                   WHERE b.pack_id = $1 AND d.state = 'sent') x
             JOIN cells c ON c.id = x.cell_id
             ORDER BY 3, c.code",
        )
        .bind(pack_id)
        .fetch_all(pool)
        .await?;
        let cells: Vec<(String, String, String, i64, bool, bool)> = cells
            .into_iter()
            .map(|(code, name, committee, unit, a, r)| (code, name, committee, unit, a.0, r.0))
            .collect();
        let mut e = Escalation {
            pack_id,
            title,
            period,
            deadline,
            report_requested,
            targeted: cells.len() as i64,
            acknowledged: cells.iter().filter(|c| c.4).count() as i64,
            reported: cells.iter().filter(|c| c.5).count() as i64,
            committees: Vec::new(),
            by_unit: Vec::new(),
            cells: Vec::new(),
        };
        let mut by_unit: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
        for (code, name, committee, unit_id, acknowledged, reported) in cells {
            let behind = !acknowledged || (report_requested && !reported);
            match e.committees.last_mut() {
                Some(d) if d.unit == committee => {
                    d.targeted += 1;
                    d.behind += i64::from(behind);
                }
                _ => e.committees.push(UnitLag { unit: committee.clone(), targeted: 1, behind: i64::from(behind) }),
            }
            let u = by_unit.entry(unit_id).or_default();
            u.0 += 1;
            u.1 += i64::from(behind);
            if behind {
                e.cells.push(Behind { code, name, committee, unit_id, acknowledged, reported });
            }
        }
        e.by_unit = by_unit.into_iter().map(|(u, (t, b))| (u, t, b)).collect();
        e.committees.sort_by(|a, b| {
            let share = |d: &UnitLag| d.behind as f64 / d.targeted.max(1) as f64;
            share(b).total_cmp(&share(a)).then(b.behind.cmp(&a.behind)).then(a.unit.cmp(&b.unit))
        });
        out.push(e);
    }
    Ok(out)
}

/// Notes that a pack's escalation was sent.
pub async fn mark_escalated(pool: &DbPool, pack_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE packs SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL")
        .bind(now)
        .bind(pack_id)
        .execute(pool)
        .await?;
    Ok(())
}
