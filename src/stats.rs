//! What the board asks: for a pack, how many cells were targeted, reached, acknowledged (on time
//! or late) and reported, in the province and by unit at any level of the tree; the cells still
//! behind; the acknowledgement rate per unit over the last periods.
//!
//! The figures come from `pack_unit_stats`, running totals by the unit each delivery's cell hung
//! from, kept by triggers in the same transactions as the deliveries, acknowledgements and reports
//! they count (migration 0009). A view at level N sums those rows up to each unit's ancestor at
//! that level through `unit_paths`, so a question reads at most one row per unit that received the
//! pack however many cells there are. A delivery keeps the unit its cell had when the pack went
//! out: a cell that moves later still counts where it was.
//!
//! Cells of a pack's audience that could not be sent it (not bound to a chat, or unreachable, when
//! it went out) are counted as not connected, and in the rates' denominator: a unit with half its
//! cells off Loa cannot show 100 %.

use crate::db::DbPool;
use serde::Serialize;
use serde_json::{Value, json};

use crate::packs::period::{PackKind, Period};

/// Which rows a view has: the units at `level` of the tree (1 = the units directly under the
/// province's committee) within the subtree of `within`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct View {
    /// The level of the rows; `None`: the level just below `within`. A level at or above
    /// `within`'s own gives one row, `within` itself.
    pub level: Option<i64>,
    /// The unit whose subtree is counted; `None`: the whole province.
    pub within: Option<i64>,
}

impl View {
    /// The whole province by the units directly under the root.
    pub const PROVINCE: View = View { level: None, within: None };

    /// Units at `level` in the whole province.
    pub fn at(level: i64) -> View {
        View { level: Some(level), within: None }
    }

    /// The level just below `unit`, within its subtree (a drill-down, an officer's default).
    pub fn below(unit: i64) -> View {
        View { level: None, within: Some(unit) }
    }
}

/// The level a `--by` (or a chat's "theo ...") names: a number, a level's name from config
/// (compared without case), or `district`/`commune` (levels 1 and 2, as a database from before the
/// tree has them); with the key of the JSON's rows ("by_unit", or "by_district"/"by_commune" for
/// the old words).
pub fn level_arg(org: &crate::config::OrganisationConfig, text: &str) -> Result<(i64, &'static str), String> {
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "district" | "huyện" | "huyen" => return Ok((1, "by_district")),
        "commune" | "xã" | "xa" => return Ok((2, "by_commune")),
        _ => {}
    }
    match org.level_of(&t) {
        Some(0) | None => Err(format!(
            "{text:?} is not a level: give a number from 1 (the units directly under the province's committee) or one of {}",
            org.levels.iter().skip(1).map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ")
        )),
        Some(level) => Ok((level, "by_unit")),
    }
}

/// The counts of one group (or of the whole province).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Counts {
    pub targeted: i64,
    pub delivered: i64,
    pub unreachable: i64,
    pub acknowledged: i64,
    pub late: i64,
    pub reported: i64,
    /// Cells of the audience the pack could not be sent to: not bound to a chat ("chưa kết
    /// nối") or unreachable when it went out.
    pub not_connected: i64,
}

impl Counts {
    /// The counts in one line of English, as the command line and the demo print them:
    /// "targeted 5, delivered 4, unreachable 1, acknowledged 3 (75.0%; 1 late), reported 1 (25.0%)",
    /// and ", not connected N" when some cells were.
    pub fn line(&self) -> String {
        let pct = |r: f64| format!("{:.1}%", r * 100.0);
        let mut line = format!(
            "targeted {}, delivered {}, unreachable {}, acknowledged {} ({}; {} late), reported {} ({})",
            self.targeted,
            self.delivered,
            self.unreachable,
            self.acknowledged,
            pct(self.ack_rate()),
            self.late,
            self.reported,
            pct(self.report_rate())
        );
        if self.not_connected > 0 {
            line.push_str(&format!(", not connected {}", self.not_connected));
        }
        line
    }

    /// The cells a rate is taken over: those the pack reached and those it could not be sent to
    /// for want of a chat.
    pub fn base(&self) -> i64 {
        self.delivered + self.not_connected
    }
    /// Acknowledged over [`Counts::base`]; 0 when that is 0.
    pub fn ack_rate(&self) -> f64 {
        rate(self.acknowledged, self.base())
    }
    /// Reported over [`Counts::base`]; 0 when that is 0.
    pub fn report_rate(&self) -> f64 {
        rate(self.reported, self.base())
    }
    /// Cells behind: reached or not connected, and not acknowledged.
    pub fn behind(&self) -> i64 {
        self.base() - self.acknowledged
    }
    /// Adds another group's counts to these.
    pub fn add(&mut self, o: &Counts) {
        self.targeted += o.targeted;
        self.delivered += o.delivered;
        self.unreachable += o.unreachable;
        self.acknowledged += o.acknowledged;
        self.late += o.late;
        self.reported += o.reported;
        self.not_connected += o.not_connected;
    }
}

/// `n / of`, rounded to three decimals; 0 when `of` is 0.
pub fn rate(n: i64, of: i64) -> f64 {
    if of <= 0 { 0.0 } else { (n as f64 / of as f64 * 1000.0).round() / 1000.0 }
}

/// A unit a view's rows or scope name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Its depth in the tree (the province's committee is 0).
    pub level: i64,
    /// Its parent's code (`None` for the root).
    pub parent: Option<String>,
    /// Whether units hang under it (its row can be opened).
    #[sqlx(try_from = "crate::db::Flag")]
    pub opens: bool,
}

/// One unit's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub unit: UnitRef,
    pub counts: Counts,
}

/// A pack's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PackStats {
    pub pack_id: i64,
    pub title: String,
    pub period: Option<String>,
    /// The unit whose subtree is counted (the root for the whole province).
    pub within: UnitRef,
    /// The level of the rows.
    pub level: i64,
    pub total: Counts,
    /// Worst acknowledgement rate first (then the most cells behind, then by name).
    pub groups: Vec<Group>,
    /// Cells that joined Loa after the pack went out and were sent it then (counted in the
    /// figures above as well).
    pub late_joined: i64,
}

impl PackStats {
    /// The JSON of `loa stats --format json` (see the README): the totals, the view (`level`,
    /// `within`), and one row per unit under `rows_key` ("by_unit"; the old words `--by
    /// district|commune` keep their "by_district"/"by_commune").
    pub fn to_json(&self, rows_key: &str) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                json!({
                    "code": g.unit.code,
                    "name": g.unit.name,
                    "level": g.unit.level,
                    "parent": g.unit.parent,
                    "targeted": g.counts.targeted,
                    "delivered": g.counts.delivered,
                    "acknowledged": g.counts.acknowledged,
                    "ack_rate": g.counts.ack_rate(),
                    "reported": g.counts.reported,
                    "not_connected": g.counts.not_connected,
                })
            })
            .collect();
        let t = &self.total;
        let mut out = json!({
            "pack_id": self.pack_id,
            "title": self.title,
            "period": self.period,
            "targeted": t.targeted,
            "delivered": t.delivered,
            "unreachable": t.unreachable,
            "acknowledged": t.acknowledged,
            "late": t.late,
            "ack_rate": t.ack_rate(),
            "reported": t.reported,
            "report_rate": t.report_rate(),
            "not_connected": t.not_connected,
            "late_joined": self.late_joined,
            "within": self.within.code,
            "level": self.level,
        });
        out[rows_key] = Value::Array(groups);
        out
    }
}

fn worst_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        a.counts
            .ack_rate()
            .total_cmp(&b.counts.ack_rate())
            .then(b.counts.behind().cmp(&a.counts.behind()))
            .then(a.unit.name.cmp(&b.unit.name))
            .then(a.unit.code.cmp(&b.unit.code))
    });
}

const UNIT_REF: &str = "SELECT u.id, u.code, u.name,
        (SELECT max(p.depth) FROM unit_paths p WHERE p.descendant = u.id) AS level,
        (SELECT x.code FROM units x WHERE x.id = u.parent_id) AS parent,
        EXISTS (SELECT 1 FROM units k WHERE k.parent_id = u.id) AS opens
     FROM units u";

/// The unit `id` as a view names it (`None`: no such unit).
pub async fn unit_ref(pool: &DbPool, id: i64) -> sqlx::Result<Option<UnitRef>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT_REF} WHERE u.id = $1"))).bind(id).fetch_optional(pool).await
}

/// The scope of a view and the level of its rows.
async fn resolve(pool: &DbPool, view: View) -> sqlx::Result<(UnitRef, i64)> {
    let within = match view.within {
        Some(id) => unit_ref(pool, id).await?,
        None => None,
    };
    let within = match within {
        Some(u) => u,
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{UNIT_REF} WHERE u.parent_id IS NULL"))).fetch_one(pool).await?
        }
    };
    let level = view.level.unwrap_or(within.level + 1).max(within.level);
    Ok((within, level))
}

/// Running totals of the packs (`$1`, a JSON array) summed up to the units at level `$4` within
/// the subtree of unit `$2` (`$3` its level): a delivery's unit above that level counts as its
/// own row. Each row names its unit (with its level, parent's code, and whether units hang under
/// it) in the same read.
const ROLLUP: &str = "WITH g AS (
         SELECT s.pack_id, p.ancestor AS unit_id, max($3 + w.depth - p.depth) AS level,
                CAST(sum(s.targeted) AS BIGINT) AS targeted, CAST(sum(s.delivered) AS BIGINT) AS delivered, CAST(sum(s.unreachable) AS BIGINT) AS unreachable,
                CAST(sum(s.acknowledged) AS BIGINT) AS acknowledged, CAST(sum(s.late) AS BIGINT) AS late, CAST(sum(s.reported) AS BIGINT) AS reported,
                CAST(sum(s.not_connected) AS BIGINT) AS not_connected
         FROM pack_unit_stats s
         JOIN unit_paths w ON w.ancestor = $2 AND w.descendant = s.unit_id
         JOIN unit_paths p ON p.descendant = s.unit_id
              AND p.depth = CASE WHEN w.depth + $3 - $4 > 0 THEN w.depth + $3 - $4 ELSE 0 END
         WHERE s.pack_id IN (SELECT CAST(value AS BIGINT) FROM json_each($1))
         GROUP BY 1, 2)
     SELECT g.*, u.id, u.code, u.name, x.code AS parent,
            EXISTS (SELECT 1 FROM units k WHERE k.parent_id = u.id) AS opens
     FROM g JOIN units u ON u.id = g.unit_id LEFT JOIN units x ON x.id = u.parent_id";

#[derive(sqlx::FromRow)]
struct RollupRow {
    pack_id: i64,
    #[sqlx(flatten)]
    counts: Counts,
    #[sqlx(flatten)]
    unit: UnitRef,
}

async fn rollup(pool: &DbPool, packs: &[i64], within: &UnitRef, level: i64) -> sqlx::Result<Vec<RollupRow>> {
    // SQLite reads the array with json_each; PostgreSQL's spelling of the same
    static ROLLUP_PG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        ROLLUP.replace("json_each($1)", "jsonb_array_elements_text(CAST($1 AS jsonb)) AS e(value)")
    });
    sqlx::query_as(crate::db::pick(pool, ROLLUP, ROLLUP_PG.as_str()))
        .bind(serde_json::to_string(packs).expect("numbers"))
        .bind(within.id)
        .bind(within.level)
        .bind(level)
        .fetch_all(pool)
        .await
}

/// The latest pack sent (or being sent), if any.
pub async fn latest_pack(pool: &DbPool) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT pack_id FROM broadcasts WHERE kind = 'pack' AND state <> 'cancelled' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

/// A pack's figures in `view`. `None` when there is no such pack.
pub async fn pack(pool: &DbPool, pack_id: i64, view: View) -> sqlx::Result<Option<PackStats>> {
    let Some((title, period)): Option<(String, Option<String>)> =
        sqlx::query_as("SELECT title, period FROM packs WHERE id = $1").bind(pack_id).fetch_optional(pool).await?
    else {
        return Ok(None);
    };
    let (within, level) = resolve(pool, view).await?;
    let rows = rollup(pool, &[pack_id], &within, level).await?;
    let mut total = Counts::default();
    let mut groups: Vec<Group> = rows
        .into_iter()
        .map(|r| {
            total.add(&r.counts);
            Group { unit: r.unit, counts: r.counts }
        })
        .collect();
    worst_first(&mut groups);
    let late_joined: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.pack_id = $1 AND b.kind = 'pack' AND d.late_join = 1 AND d.state <> 'cancelled'
           AND COALESCE(d.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))
               IN (SELECT descendant FROM unit_paths WHERE ancestor = $2)",
    )
    .bind(pack_id)
    .bind(within.id)
    .fetch_one(pool)
    .await?;
    Ok(Some(PackStats { pack_id, title, period, within, level, total, groups, late_joined }))
}

/// The acknowledgement and report rates per unit over the last packs of one kind, monthly or
/// quarterly (the two are never mixed in one series), in the order of their periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub kind: PackKind,
    /// (pack id, period code), oldest period first.
    pub packs: Vec<(i64, String)>,
    /// Per unit, the unit with the lowest latest acknowledgement rate first.
    pub rows: Vec<TrendRow>,
}

/// One unit's rates, one per pack of the trend (`None`: no cell of it received that pack).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    /// The unit's name.
    pub unit: String,
    pub acked: Vec<Option<f64>>,
    pub reported: Vec<Option<f64>>,
}

/// The trend over the last `periods` packs of `kind` sent (`None`: the kind of the latest
/// monthly or quarterly pack sent), by the units of `view`.
pub async fn trend(pool: &DbPool, kind: Option<PackKind>, periods: usize, view: View) -> sqlx::Result<Trend> {
    let kind = match kind {
        Some(k) => k,
        None => {
            let latest: Option<String> = sqlx::query_scalar(
                "SELECT p.kind FROM broadcasts b JOIN packs p ON p.id = b.pack_id
                 WHERE b.kind = 'pack' AND b.state <> 'cancelled' AND p.kind IN ('monthly', 'quarterly')
                   AND p.purpose = 'guidance'
                 ORDER BY b.id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            latest.as_deref().and_then(PackKind::parse).unwrap_or(PackKind::Monthly)
        }
    };
    let sent: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.period FROM packs p
         WHERE p.kind = $1 AND p.period IS NOT NULL AND p.purpose = 'guidance'
           AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.pack_id = p.id AND b.kind = 'pack' AND b.state <> 'cancelled')",
    )
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?;
    // in the order of time, not of the text ("2023-Q4" would come after "2023-12")
    let mut dated: Vec<(Period, i64, String)> =
        sent.into_iter().filter_map(|(id, code)| Period::parse(&code).ok().map(|p| (p, id, code))).collect();
    dated.sort();
    let packs: Vec<(i64, String)> =
        dated.into_iter().rev().take(periods).rev().map(|(_, id, code)| (id, code)).collect();
    let (within, level) = resolve(pool, view).await?;
    let rows = rollup(pool, &packs.iter().map(|(id, _)| *id).collect::<Vec<_>>(), &within, level).await?;
    let mut by: std::collections::BTreeMap<(String, i64), TrendRow> = std::collections::BTreeMap::new();
    for r in rows {
        let unit = &r.unit;
        let i = packs.iter().position(|(id, _)| *id == r.pack_id).expect("a pack asked for");
        let row = by.entry((unit.name.clone(), unit.id)).or_insert_with(|| TrendRow {
            unit: unit.name.clone(),
            acked: vec![None; packs.len()],
            reported: vec![None; packs.len()],
        });
        let c = &r.counts;
        row.acked[i] = (c.base() > 0).then(|| c.ack_rate());
        row.reported[i] = (c.base() > 0).then(|| c.report_rate());
    }
    let mut rows: Vec<TrendRow> = by.into_values().collect();
    let latest = |r: &TrendRow| r.acked.iter().rev().find_map(|x| *x).unwrap_or(f64::MAX);
    rows.sort_by(|a, b| latest(a).total_cmp(&latest(b)).then(a.unit.cmp(&b.unit)));
    Ok(Trend { kind, packs, rows })
}

/// A cell of a pack's audience that has not acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pending {
    /// The name of the unit the cell hung from when the pack went out.
    pub unit: String,
    pub code: String,
    pub name: String,
    /// Why the pack did not reach the cell, when it did not.
    pub unreachable: Option<String>,
}

/// One cell the pack reached: its message with the buttons, and where it was sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivered {
    pub code: String,
    /// The district the cell was in when the pack went out.
    pub district: String,
    pub chat_id: i64,
    pub message_id: i64,
    pub delivery_id: i64,
}

/// The cells a pack's own broadcast reached (its reminders aside), in the order it reached them.
pub async fn delivered(pool: &DbPool, pack_id: i64) -> sqlx::Result<Vec<Delivered>> {
    sqlx::query_as(
        "SELECT c.code, COALESCE(d.district, c.district) AS district, d.chat_id, d.ack_message_id AS message_id,
                d.id AS delivery_id
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE b.pack_id = $1 AND b.kind = 'pack' AND d.state = 'sent' ORDER BY d.id",
    )
    .bind(pack_id)
    .fetch_all(pool)
    .await
}

/// A pack's reminders so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct Reminders {
    /// Reminder broadcasts started.
    pub broadcasts: i64,
    /// Reminders still to go out.
    pub waiting: i64,
    /// Reminders sent.
    pub sent: i64,
}

/// How a pack's reminders stand.
pub async fn reminders(pool: &DbPool, pack_id: i64) -> sqlx::Result<Reminders> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM broadcasts WHERE pack_id = $1 AND kind = 'reminder') AS broadcasts,
                count(*) FILTER (WHERE d.state IN ('pending', 'sending')) AS waiting,
                count(*) FILTER (WHERE d.state = 'sent') AS sent
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.pack_id = $1 AND b.kind = 'reminder'",
    )
    .bind(pack_id)
    .fetch_one(pool)
    .await
}

/// The cells that received the pack (or could not be reached) and have not acknowledged it, by
/// unit then code; within the subtree of unit `within` when given.
pub async fn pending(pool: &DbPool, pack_id: i64, within: Option<i64>) -> sqlx::Result<Vec<Pending>> {
    pending_first(pool, pack_id, within, i64::MAX).await
}

/// The first `limit` of [`pending`] (all of them for a negative `limit`).
pub async fn pending_first(pool: &DbPool, pack_id: i64, within: Option<i64>, limit: i64) -> sqlx::Result<Vec<Pending>> {
    // within a unit, its deliveries are found by unit (an index), not by reading the broadcast
    let scope = match within {
        Some(_) => "AND d.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2)",
        None => "AND $2 IS NULL",
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(u.name, '') AS unit, c.code, c.name,
                CASE WHEN d.state = 'failed' THEN COALESCE(d.error, '') END AS unreachable
         FROM deliveries d JOIN cells c ON c.id = d.cell_id
         LEFT JOIN units u ON u.id = COALESCE(d.unit_id, (SELECT id FROM units WHERE parent_id IS NULL))
         WHERE d.broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = $1 AND kind = 'pack')
           -- the state read through an expression keeps SQLite from scanning the deliveries
           -- of every pack by their state (the index on it)
           AND (d.state || '') IN ('sent', 'failed')
           AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = $1 AND a.cell_id = d.cell_id)
           {scope}
         ORDER BY 1, c.code LIMIT $3"
    )))
    .bind(pack_id)
    .bind(within)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One cell of a unit, as a pack found it: where it stands with that pack.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CellState {
    pub code: String,
    pub name: String,
    /// "acknowledged", "delivered" (not acknowledged), "unreachable", "sending" or "not_connected".
    pub state: String,
    #[sqlx(try_from = "crate::db::Flag")]
    pub reported: bool,
}

/// The cells that hung from unit `unit` when pack `pack_id` went out, each with where it stands
/// (acknowledged, delivered, unreachable, still being sent), then the unit's cells the pack could
/// not be sent to (not connected), by code.
pub async fn unit_cells(pool: &DbPool, pack_id: i64, unit: i64) -> sqlx::Result<Vec<CellState>> {
    let mut cells: Vec<CellState> = sqlx::query_as(
        "SELECT c.code, c.name,
                CASE WHEN EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = $1 AND a.cell_id = c.id) THEN 'acknowledged'
                     WHEN d.state = 'sent' THEN 'delivered'
                     WHEN d.state = 'failed' THEN 'unreachable'
                     ELSE 'sending' END AS state,
                CASE WHEN EXISTS (SELECT 1 FROM reports r WHERE r.pack_id = $1 AND r.cell_id = c.id)
                     THEN 1 ELSE 0 END AS reported
         FROM deliveries d JOIN cells c ON c.id = d.cell_id
         WHERE d.broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = $1 AND kind = 'pack')
           AND d.unit_id = $2 AND (d.state || '') <> 'cancelled'
         UNION ALL
         SELECT c.code, c.name, 'not_connected', 0 FROM cells c
         WHERE c.unit_id = $2 AND c.status <> 'retired'
           AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
                           WHERE b.pack_id = $1 AND b.kind = 'pack' AND d.cell_id = c.id)
           AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.pack_id = $1 AND b.kind = 'pack')
         ORDER BY 1",
    )
    .bind(pack_id)
    .bind(unit)
    .fetch_all(pool)
    .await?;
    // a cell outside the pack's audience was never meant to get it: not "not connected"
    let audience: Option<String> =
        sqlx::query_scalar("SELECT audience FROM packs WHERE id = $1").bind(pack_id).fetch_optional(pool).await?;
    let audience = audience.and_then(|a| crate::packs::Audience::from_json(&a)).unwrap_or(crate::packs::Audience::All);
    let (cond, binds) = crate::packs::audience_sql(&audience, 2);
    let sql = format!("SELECT c.code FROM cells c WHERE c.unit_id = $1 AND {cond}");
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(unit);
    for b in &binds {
        q = q.bind(b);
    }
    let in_audience: std::collections::HashSet<String> = q.fetch_all(pool).await?.into_iter().collect();
    cells.retain(|c| c.state != "not_connected" || in_audience.contains(&c.code));
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_over_delivered_cells_and_zero_when_none() {
        assert_eq!(rate(97, 118), 0.822);
        assert_eq!(rate(0, 0), 0.0);
        let c = Counts {
            targeted: 120,
            delivered: 118,
            unreachable: 2,
            acknowledged: 97,
            late: 4,
            reported: 60,
            not_connected: 0,
        };
        assert_eq!(c.report_rate(), 0.508);
        // cells not connected count in the base: half a unit off Loa cannot show 100 %
        let half = Counts { delivered: 5, acknowledged: 5, not_connected: 5, ..Default::default() };
        assert_eq!((half.ack_rate(), half.behind()), (0.5, 5));
    }

    #[test]
    fn the_worst_district_comes_first() {
        let g = |d: &str, delivered, acknowledged| Group {
            unit: UnitRef { id: 0, code: d.into(), name: d.into(), level: 1, parent: None, opens: false },
            counts: Counts { delivered, acknowledged, ..Default::default() },
        };
        let mut groups = vec![g("Ba Bể", 10, 9), g("Na Rì", 10, 5), g("Chợ Đồn", 20, 10), g("Pác Nặm", 0, 0)];
        worst_first(&mut groups);
        let order: Vec<&str> = groups.iter().map(|g| g.unit.name.as_str()).collect();
        // equal rates: the one with more cells behind first; nothing delivered counts as 0
        assert_eq!(order, ["Pác Nặm", "Chợ Đồn", "Na Rì", "Ba Bể"]);
    }
}
