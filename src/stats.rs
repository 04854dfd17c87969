//! What the board asks: for a pack, how many cells were targeted, reached, acknowledged (on time
//! or late) and reported, in the province and by district or commune; the cells still behind; the
//! acknowledgement rate per district over the last periods.
//!
//! The figures come from `pack_stats`, running totals kept by triggers in the same transactions as
//! the deliveries, acknowledgements and reports they count (migration 0005), so a question reads a
//! few hundred rows however many cells there are. A delivery keeps the district and commune its
//! cell had when the pack went out: a cell that moves later still counts where it was.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::SqlitePool;

use crate::packs::period::{PackKind, Period};

/// How figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum By {
    #[default]
    District,
    Commune,
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
}

impl Counts {
    /// The counts in one line of English, as the command line and the demo print them:
    /// "targeted 5, delivered 4, unreachable 1, acknowledged 3 (75.0%; 1 late), reported 1 (25.0%)".
    pub fn line(&self) -> String {
        let pct = |r: f64| format!("{:.1}%", r * 100.0);
        format!(
            "targeted {}, delivered {}, unreachable {}, acknowledged {} ({}; {} late), reported {} ({})",
            self.targeted,
            self.delivered,
            self.unreachable,
            self.acknowledged,
            pct(self.ack_rate()),
            self.late,
            self.reported,
            pct(self.report_rate())
        )
    }

    /// Acknowledged over delivered; 0 when nothing was delivered.
    pub fn ack_rate(&self) -> f64 {
        rate(self.acknowledged, self.delivered)
    }
    /// Reported over delivered; 0 when nothing was delivered.
    pub fn report_rate(&self) -> f64 {
        rate(self.reported, self.delivered)
    }
    fn add(&mut self, o: &Counts) {
        self.targeted += o.targeted;
        self.delivered += o.delivered;
        self.unreachable += o.unreachable;
        self.acknowledged += o.acknowledged;
        self.late += o.late;
        self.reported += o.reported;
    }
}

/// `n / of`, rounded to three decimals; 0 when `of` is 0.
pub fn rate(n: i64, of: i64) -> f64 {
    if of <= 0 { 0.0 } else { (n as f64 / of as f64 * 1000.0).round() / 1000.0 }
}

/// One district's (or commune's) figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub district: String,
    /// With [`By::Commune`]; empty for cells without a commune.
    pub commune: Option<String>,
    pub counts: Counts,
}

/// A pack's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PackStats {
    pub pack_id: i64,
    pub title: String,
    pub period: Option<String>,
    pub total: Counts,
    /// Worst acknowledgement rate first (then the most cells behind, then by name).
    pub groups: Vec<Group>,
    /// Cells that joined Loa after the pack went out and were sent it then (counted in the
    /// figures above as well).
    pub late_joined: i64,
}

impl PackStats {
    /// The JSON of `loa stats --format json` (see the README): `by_district` (or `by_commune`) rows with their rates.
    pub fn to_json(&self, by: By) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let mut o = json!({
                    "district": g.district,
                    "targeted": g.counts.targeted,
                    "delivered": g.counts.delivered,
                    "acknowledged": g.counts.acknowledged,
                    "ack_rate": g.counts.ack_rate(),
                    "reported": g.counts.reported,
                });
                if let Some(c) = &g.commune {
                    o["commune"] = json!(c);
                }
                o
            })
            .collect();
        let key = match by {
            By::District => "by_district",
            By::Commune => "by_commune",
        };
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
            "late_joined": self.late_joined,
        });
        out[key] = Value::Array(groups);
        out
    }
}

fn worst_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        a.counts
            .ack_rate()
            .total_cmp(&b.counts.ack_rate())
            .then((b.counts.delivered - b.counts.acknowledged).cmp(&(a.counts.delivered - a.counts.acknowledged)))
            .then(a.district.cmp(&b.district))
            .then(a.commune.cmp(&b.commune))
    });
}

/// The latest pack sent (or being sent), if any.
pub async fn latest_pack(pool: &SqlitePool) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT pack_id FROM broadcasts WHERE kind = 'pack' AND state <> 'cancelled' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    district: String,
    commune: String,
    #[sqlx(flatten)]
    counts: Counts,
}

/// A pack's figures, grouped `by`, for every district or only `district`. `None` when there is
/// no such pack.
pub async fn pack(pool: &SqlitePool, pack_id: i64, by: By, district: Option<&str>) -> sqlx::Result<Option<PackStats>> {
    let Some((title, period)): Option<(String, Option<String>)> =
        sqlx::query_as("SELECT title, period FROM packs WHERE id = ?").bind(pack_id).fetch_optional(pool).await?
    else {
        return Ok(None);
    };
    let commune = if by == By::Commune { "commune" } else { "''" };
    let rows: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT district, {commune} AS commune, sum(targeted) AS targeted, sum(delivered) AS delivered,
                sum(unreachable) AS unreachable, sum(acknowledged) AS acknowledged, sum(late) AS late,
                sum(reported) AS reported
         FROM pack_stats WHERE pack_id = ? AND (? IS NULL OR district = ?)
         GROUP BY 1, 2"
    )))
    .bind(pack_id)
    .bind(district)
    .bind(district)
    .fetch_all(pool)
    .await?;
    let mut total = Counts::default();
    let mut groups: Vec<Group> = rows
        .into_iter()
        .map(|r| {
            total.add(&r.counts);
            Group { district: r.district, commune: (by == By::Commune).then_some(r.commune), counts: r.counts }
        })
        .collect();
    worst_first(&mut groups);
    let late_joined: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.pack_id = ?1 AND b.kind = 'pack' AND d.late_join = 1 AND d.state <> 'cancelled'
           AND (?2 IS NULL OR d.district = ?2)",
    )
    .bind(pack_id)
    .bind(district)
    .fetch_one(pool)
    .await?;
    Ok(Some(PackStats { pack_id, title, period, total, groups, late_joined }))
}

/// The acknowledgement and report rates per district over the last packs of one kind, monthly or
/// quarterly (the two are never mixed in one series), in the order of their periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub kind: PackKind,
    /// (pack id, period code), oldest period first.
    pub packs: Vec<(i64, String)>,
    /// Per district, the district with the lowest latest acknowledgement rate first.
    pub rows: Vec<TrendRow>,
}

/// One district's rates, one per pack of the trend (`None`: no cell of it received that pack).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    pub district: String,
    pub acked: Vec<Option<f64>>,
    pub reported: Vec<Option<f64>>,
}

/// The trend over the last `periods` packs of `kind` sent (`None`: the kind of the latest
/// monthly or quarterly pack sent).
pub async fn trend(
    pool: &SqlitePool,
    kind: Option<PackKind>,
    periods: usize,
    district: Option<&str>,
) -> sqlx::Result<Trend> {
    let kind = match kind {
        Some(k) => k,
        None => {
            let latest: Option<String> = sqlx::query_scalar(
                "SELECT p.kind FROM broadcasts b JOIN packs p ON p.id = b.pack_id
                 WHERE b.kind = 'pack' AND b.state <> 'cancelled' AND p.kind IN ('monthly', 'quarterly')
                 ORDER BY b.id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            latest.as_deref().and_then(PackKind::parse).unwrap_or(PackKind::Monthly)
        }
    };
    let sent: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.period FROM packs p
         WHERE p.kind = ? AND p.period IS NOT NULL
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
    let ids = packs.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>().join(",");
    let rows: Vec<(i64, String, i64, i64, i64)> = if ids.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT pack_id, district, sum(delivered), sum(acknowledged), sum(reported) FROM pack_stats
             WHERE pack_id IN ({ids}) AND (? IS NULL OR district = ?) GROUP BY 1, 2"
        )))
        .bind(district)
        .bind(district)
        .fetch_all(pool)
        .await?
    };
    let mut by: std::collections::BTreeMap<String, TrendRow> = std::collections::BTreeMap::new();
    for (pack_id, d, delivered, acked, reported) in rows {
        let i = packs.iter().position(|(id, _)| *id == pack_id).expect("a pack asked for");
        let row = by.entry(d.clone()).or_insert_with(|| TrendRow {
            district: d,
            acked: vec![None; packs.len()],
            reported: vec![None; packs.len()],
        });
        row.acked[i] = (delivered > 0).then(|| rate(acked, delivered));
        row.reported[i] = (delivered > 0).then(|| rate(reported, delivered));
    }
    let mut rows: Vec<TrendRow> = by.into_values().collect();
    let latest = |r: &TrendRow| r.acked.iter().rev().find_map(|x| *x).unwrap_or(f64::MAX);
    rows.sort_by(|a, b| latest(a).total_cmp(&latest(b)).then(a.district.cmp(&b.district)));
    Ok(Trend { kind, packs, rows })
}

/// A cell of a pack's audience that has not acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pending {
    pub district: String,
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
pub async fn delivered(pool: &SqlitePool, pack_id: i64) -> sqlx::Result<Vec<Delivered>> {
    sqlx::query_as(
        "SELECT c.code, COALESCE(d.district, c.district) AS district, d.chat_id, d.ack_message_id AS message_id,
                d.id AS delivery_id
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE b.pack_id = ? AND b.kind = 'pack' AND d.state = 'sent' ORDER BY d.id",
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
pub async fn reminders(pool: &SqlitePool, pack_id: i64) -> sqlx::Result<Reminders> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM broadcasts WHERE pack_id = ?1 AND kind = 'reminder') AS broadcasts,
                count(*) FILTER (WHERE d.state IN ('pending', 'sending')) AS waiting,
                count(*) FILTER (WHERE d.state = 'sent') AS sent
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.pack_id = ?1 AND b.kind = 'reminder'",
    )
    .bind(pack_id)
    .fetch_one(pool)
    .await
}

/// The cells that received the pack (or could not be reached) and have not acknowledged it, by
/// district then code.
pub async fn pending(pool: &SqlitePool, pack_id: i64, district: Option<&str>) -> sqlx::Result<Vec<Pending>> {
    sqlx::query_as(
        "SELECT COALESCE(d.district, c.district) AS district, c.code, c.name,
                CASE WHEN d.state = 'failed' THEN COALESCE(d.error, '') END AS unreachable
         FROM deliveries d JOIN cells c ON c.id = d.cell_id
         WHERE d.broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = ?1 AND kind = 'pack')
           -- the unary + keeps SQLite from scanning every pack's deliveries by state
           AND +d.state IN ('sent', 'failed')
           AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = ?1 AND a.cell_id = d.cell_id)
           AND (?2 IS NULL OR COALESCE(d.district, c.district) = ?2)
         ORDER BY 1, c.code",
    )
    .bind(pack_id)
    .bind(district)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_over_delivered_cells_and_zero_when_none() {
        assert_eq!(rate(97, 118), 0.822);
        assert_eq!(rate(0, 0), 0.0);
        let c = Counts { targeted: 120, delivered: 118, unreachable: 2, acknowledged: 97, late: 4, reported: 60 };
        assert_eq!(c.report_rate(), 0.508);
    }

    #[test]
    fn the_worst_district_comes_first() {
        let g = |d: &str, delivered, acknowledged| Group {
            district: d.into(),
            commune: None,
            counts: Counts { delivered, acknowledged, ..Default::default() },
        };
        let mut groups = vec![g("Ba Bể", 10, 9), g("Na Rì", 10, 5), g("Chợ Đồn", 20, 10), g("Pác Nặm", 0, 0)];
        worst_first(&mut groups);
        let order: Vec<&str> = groups.iter().map(|g| g.district.as_str()).collect();
        // equal rates: the one with more cells behind first; nothing delivered counts as 0
        assert_eq!(order, ["Pác Nặm", "Chợ Đồn", "Na Rì", "Ba Bể"]);
    }
}
