//! The quarterly summary for the board's review meeting (`loa report quarter 2025-Q4`): the packs
//! sent in the quarter with their uptake, uptake by unit across them, the situation reports by
//! topic, severity and unit, the urgent ones with how each was handled, and the cells' questions.
//! Gathered once ([`gather`]) and written two ways from the same figures: a workbook (one sheet
//! per part) and one HTML page laid out for A4, to print or save as PDF from any browser. Its
//! words are the catalog's, in the language asked for; people's words are escaped in the page and
//! written as string cells in the workbook (never read as a formula), as in the pack's export.

use crate::db::DbPool;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde::Serialize;

use crate::i18n::{Args, Catalog, Locale};
use crate::packs::period::Period;
use crate::situations::{Situation, TopicCount, UnitCount};
use crate::stats::{Counts, View};

/// A pack the quarter saw go out.
#[derive(Debug, Clone, Serialize)]
pub struct PackLine {
    pub id: i64,
    pub title: String,
    pub period: Option<String>,
    /// A request for the cells' situation reports, not guidance.
    pub situation: bool,
    /// When its broadcast began.
    pub sent_at: i64,
    pub counts: Counts,
}

/// One unit's uptake of the quarter's guidance packs, summed over them.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub counts: Counts,
    /// Situation reports filed under the unit in the quarter.
    pub situations: i64,
    pub urgent: i64,
}

/// The cells' questions on packs asked in the quarter.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Questions {
    pub asked: i64,
    pub answered: i64,
    /// Answered for every cell (a pack's hỏi đáp).
    pub faq: i64,
}

/// Everything the summary shows.
#[derive(Debug, Clone, Serialize)]
pub struct QuarterReport {
    pub board: String,
    pub quarter: String,
    /// The unit whose subtree is counted (the province's committee for the whole province).
    pub within: String,
    /// The name of the level the unit rows are at.
    pub level: String,
    pub generated_at: i64,
    pub packs: Vec<PackLine>,
    /// Guidance packs only, summed.
    pub guidance: Counts,
    pub units: Vec<UnitLine>,
    pub topics: Vec<TopicCount>,
    pub urgent: Vec<Situation>,
    pub situations_total: i64,
    pub questions: Questions,
    #[serde(skip)]
    period: Option<Period>,
    #[serde(skip)]
    tz: Option<Tz>,
}

/// Gathers the summary of `quarter` within `within` (the whole province for `None`).
pub async fn gather(
    pool: &DbPool,
    board: &str,
    levels: &crate::config::OrganisationConfig,
    tz: Tz,
    quarter: Period,
    within: Option<i64>,
    now: i64,
) -> anyhow::Result<QuarterReport> {
    let since = crate::dates::start_of(quarter.first_day(), tz);
    let until = crate::dates::start_of(quarter.next_day(), tz);
    let scope = match within {
        Some(id) => crate::stats::unit_ref(pool, id).await?.ok_or_else(|| anyhow::anyhow!("no unit {id}"))?,
        None => {
            let root = crate::units::root(&mut *pool.acquire().await?).await?;
            crate::stats::unit_ref(pool, root.id).await?.ok_or_else(|| anyhow::anyhow!("no root unit"))?
        }
    };
    let sent: Vec<(i64, String, Option<String>, crate::db::Flag, i64)> = sqlx::query_as(
        "SELECT p.id, p.title, p.period, p.purpose = 'situation', min(b.created_at) AS sent_at
         FROM packs p JOIN broadcasts b ON b.pack_id = p.id AND b.kind = 'pack' AND b.state <> 'cancelled'
         WHERE p.status <> 'cancelled'
         GROUP BY p.id, p.title, p.period, p.purpose
         HAVING min(b.created_at) >= $1 AND min(b.created_at) < $2 ORDER BY sent_at, p.id",
    )
    .bind(since)
    .bind(until)
    .fetch_all(pool)
    .await?;
    let view = View { level: None, within };
    let mut packs = Vec::new();
    let mut guidance = Counts::default();
    let mut by_unit: std::collections::BTreeMap<String, UnitLine> = Default::default();
    for (id, title, period, situation, sent_at) in sent {
        let situation = situation.0;
        let Some(s) = crate::stats::pack(pool, id, view).await? else { continue };
        if !situation {
            guidance.add(&s.total);
            for g in &s.groups {
                by_unit
                    .entry(g.unit.code.clone())
                    .or_insert_with(|| UnitLine {
                        code: g.unit.code.clone(),
                        name: g.unit.name.clone(),
                        counts: Counts::default(),
                        situations: 0,
                        urgent: 0,
                    })
                    .counts
                    .add(&g.counts);
            }
        }
        packs.push(PackLine { id, title, period, situation, sent_at, counts: s.total });
    }
    let sit_units: Vec<UnitCount> = crate::situations::by_unit(pool, within, since, until).await?;
    for u in sit_units {
        let line = by_unit.entry(u.code.clone()).or_insert_with(|| UnitLine {
            code: u.code.clone(),
            name: u.name.clone(),
            counts: Counts::default(),
            situations: 0,
            urgent: 0,
        });
        line.situations = u.total;
        line.urgent = u.urgent;
    }
    let mut units: Vec<UnitLine> = by_unit.into_values().collect();
    // the worst uptake first, as every figure of Loa's; units with no pack reached last
    units.sort_by(|a, b| {
        (a.counts.base() == 0, a.counts.ack_rate(), &a.name)
            .partial_cmp(&(b.counts.base() == 0, b.counts.ack_rate(), &b.name))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let topics = crate::situations::by_topic(pool, within, since, until).await?;
    let situations_total = topics.iter().map(|t| t.total).sum();
    let urgent = crate::situations::between(pool, within, since, until, true).await?;
    let questions: Questions = sqlx::query_as(
        "SELECT count(*) AS asked, count(answered_at) AS answered, count(*) FILTER (WHERE faq = 1) AS faq
         FROM pack_questions
         WHERE created_at >= $2 AND created_at < $3
           AND ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))",
    )
    .bind(within)
    .bind(since)
    .bind(until)
    .fetch_one(pool)
    .await?;
    Ok(QuarterReport {
        board: board.to_string(),
        quarter: quarter.code(),
        within: scope.name,
        level: levels.level_name(scope.level + 1),
        generated_at: now,
        packs,
        guidance,
        units,
        topics,
        urgent,
        situations_total,
        questions,
        period: Some(quarter),
        tz: Some(tz),
    })
}

fn pct(r: f64, locale: Locale) -> String {
    let n = (r * 1000.0).round() as i64;
    let sep = if locale == Locale::Vi { ',' } else { '.' };
    format!("{}{sep}{}%", n / 10, n % 10)
}

/// The words of the summary in one language.
struct Words<'a> {
    c: &'a Catalog,
    l: Locale,
}

impl Words<'_> {
    fn s(&self, key: &str) -> String {
        self.c.s(self.l, key)
    }
    fn t(&self, key: &str, args: Args) -> String {
        self.c.t(self.l, key, args)
    }
}

impl QuarterReport {
    fn tz(&self) -> Tz {
        self.tz.unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }

    fn label(&self, locale: Locale) -> String {
        self.period.map(|p| p.label(locale)).unwrap_or_else(|| self.quarter.clone())
    }

    fn date(&self, at: i64) -> String {
        crate::dates::chat(at, self.tz())
    }

    /// The title: "Báo cáo tổng hợp Quý IV/2025".
    pub fn title(&self, c: &Catalog, locale: Locale) -> String {
        c.t(locale, "qr-title", Args::new().raw("quarter", self.label(locale)))
    }

    /// The headline figures, one (label, value) a line, for the top of both forms.
    fn headline(&self, w: &Words) -> Vec<(String, String)> {
        let guidance = self.packs.iter().filter(|p| !p.situation).count() as i64;
        let requests = self.packs.len() as i64 - guidance;
        let handled: i64 = self.topics.iter().map(|t| t.handled).sum();
        let urgent_handled = self.urgent.iter().filter(|s| s.status == "handled").count();
        let n = |v: i64| w.l.number(v);
        vec![
            (w.s("qr-within"), self.within.clone()),
            (w.s("qr-packs-sent"), format!("{} (+ {} {})", n(guidance), n(requests), w.s("qr-requests"))),
            (w.s("qr-delivered"), n(self.guidance.delivered)),
            (
                w.s("qr-acknowledged"),
                format!("{} ({})", n(self.guidance.acknowledged), pct(self.guidance.ack_rate(), w.l)),
            ),
            (w.s("qr-reported"), format!("{} ({})", n(self.guidance.reported), pct(self.guidance.report_rate(), w.l))),
            (w.s("qr-not-connected"), n(self.guidance.not_connected)),
            (w.s("qr-situations"), format!("{} ({} {})", n(self.situations_total), n(handled), w.s("qr-handled-word"))),
            (
                w.s("qr-urgent"),
                format!("{} ({} {})", n(self.urgent.len() as i64), n(urgent_handled as i64), w.s("qr-handled-word")),
            ),
            (
                w.s("qr-questions"),
                w.t(
                    "qr-questions-value",
                    Args::new()
                        .raw("asked", n(self.questions.asked))
                        .raw("answered", n(self.questions.answered))
                        .raw("faq", n(self.questions.faq)),
                ),
            ),
        ]
    }

    fn status(&self, w: &Words, s: &Situation) -> String {
        w.s(&format!("qr-status-{}", s.status))
    }

    fn from(s: &Situation) -> String {
        match (&s.cell, &s.cell_name) {
            (Some(code), Some(name)) => format!("{name} ({code})"),
            _ => s.user_name.clone(),
        }
    }

    fn handling(&self, w: &Words, s: &Situation) -> String {
        match (&s.handled_note, s.handled_at) {
            (Some(note), Some(at)) => {
                format!("{} — {}, {}", note, s.handled_by.clone().unwrap_or_default(), self.date(at))
            }
            _ if s.routed == "unsent" => w.s("qr-unsent"),
            _ => String::new(),
        }
    }

    /// The summary as a workbook: Summary, Packs, By unit, Situations (by topic), Urgent.
    pub fn xlsx(&self, c: &Catalog, locale: Locale) -> anyhow::Result<Vec<u8>> {
        let w = Words { c, l: locale };
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let text = |ws: &mut Worksheet, row: u32, col: u16, s: &str| -> anyhow::Result<()> {
            // always a string cell: text that looks like a formula stays text
            ws.write_string(row, col, s)?;
            Ok(())
        };
        let header = |ws: &mut Worksheet, names: &[String], widths: &[f64]| -> anyhow::Result<()> {
            for (i, (n, wd)) in names.iter().zip(widths).enumerate() {
                ws.write_string_with_format(0, i as u16, n, &bold)?;
                ws.set_column_width(i as u16, *wd)?;
            }
            ws.set_freeze_panes(1, 0)?;
            Ok(())
        };
        {
            let ws = wb.add_worksheet().set_name(w.s("qr-sheet-summary"))?;
            ws.write_string_with_format(0, 0, self.title(c, locale), &bold)?;
            text(ws, 1, 0, &self.board)?;
            ws.set_column_width(0, 34)?;
            ws.set_column_width(1, 48)?;
            for (i, (k, v)) in self.headline(&w).iter().enumerate() {
                text(ws, 3 + i as u32, 0, k)?;
                text(ws, 3 + i as u32, 1, v)?;
            }
            let at = 3 + self.headline(&w).len() as u32 + 1;
            text(ws, at, 0, &w.t("qr-generated", Args::new().raw("time", self.date(self.generated_at))))?;
        }
        {
            let ws = wb.add_worksheet().set_name(w.s("qr-sheet-packs"))?;
            let names = [
                "qr-col-pack",
                "qr-col-period",
                "qr-col-sent",
                "qr-col-kind",
                "qr-col-delivered",
                "qr-col-acked",
                "qr-col-ack-rate",
                "qr-col-late",
                "qr-col-reported",
                "qr-col-report-rate",
                "qr-col-not-connected",
            ]
            .map(|k| w.s(k));
            header(ws, &names, &[40.0, 12.0, 18.0, 16.0, 10.0, 12.0, 10.0, 8.0, 10.0, 10.0, 12.0])?;
            for (i, p) in self.packs.iter().enumerate() {
                let r = i as u32 + 1;
                text(ws, r, 0, &p.title)?;
                text(ws, r, 1, p.period.as_deref().unwrap_or(""))?;
                text(ws, r, 2, &self.date(p.sent_at))?;
                text(ws, r, 3, &w.s(if p.situation { "qr-kind-request" } else { "qr-kind-guidance" }))?;
                let k = &p.counts;
                ws.write_number(r, 4, k.delivered as f64)?;
                ws.write_number(r, 5, k.acknowledged as f64)?;
                ws.write_number(r, 6, k.ack_rate())?;
                ws.write_number(r, 7, k.late as f64)?;
                ws.write_number(r, 8, k.reported as f64)?;
                ws.write_number(r, 9, k.report_rate())?;
                ws.write_number(r, 10, k.not_connected as f64)?;
            }
        }
        {
            let ws = wb.add_worksheet().set_name(w.s("qr-sheet-units"))?;
            let mut names = vec![self.level.clone()];
            names.extend(
                [
                    "qr-col-code",
                    "qr-col-delivered",
                    "qr-col-acked",
                    "qr-col-ack-rate",
                    "qr-col-reported",
                    "qr-col-report-rate",
                    "qr-col-not-connected",
                    "qr-col-situations",
                    "qr-col-urgent",
                ]
                .map(|k| w.s(k)),
            );
            header(ws, &names, &[36.0, 12.0, 10.0, 12.0, 10.0, 10.0, 10.0, 12.0, 12.0, 10.0])?;
            for (i, u) in self.units.iter().enumerate() {
                let r = i as u32 + 1;
                text(ws, r, 0, &u.name)?;
                text(ws, r, 1, &u.code)?;
                let k = &u.counts;
                ws.write_number(r, 2, k.delivered as f64)?;
                ws.write_number(r, 3, k.acknowledged as f64)?;
                ws.write_number(r, 4, k.ack_rate())?;
                ws.write_number(r, 5, k.reported as f64)?;
                ws.write_number(r, 6, k.report_rate())?;
                ws.write_number(r, 7, k.not_connected as f64)?;
                ws.write_number(r, 8, u.situations as f64)?;
                ws.write_number(r, 9, u.urgent as f64)?;
            }
        }
        {
            let ws = wb.add_worksheet().set_name(w.s("qr-sheet-topics"))?;
            let names = TOPIC_COLUMNS.map(|k| w.s(k));
            header(ws, &names, &[34.0, 10.0, 10.0, 12.0, 10.0, 10.0])?;
            for (i, t) in self.topics.iter().enumerate() {
                let r = i as u32 + 1;
                text(ws, r, 0, &t.topic)?;
                ws.write_number(r, 1, t.total as f64)?;
                ws.write_number(r, 2, t.normal() as f64)?;
                ws.write_number(r, 3, t.attention as f64)?;
                ws.write_number(r, 4, t.urgent as f64)?;
                ws.write_number(r, 5, t.handled as f64)?;
            }
        }
        {
            let ws = wb.add_worksheet().set_name(w.s("qr-sheet-urgent"))?;
            let names = [
                "qr-col-number",
                "qr-col-time",
                "qr-col-unit",
                "qr-col-from",
                "qr-col-topic",
                "qr-col-place",
                "qr-col-content",
                "qr-col-status",
                "qr-col-handling",
            ]
            .map(|k| w.s(k));
            header(ws, &names, &[8.0, 18.0, 28.0, 28.0, 22.0, 24.0, 60.0, 12.0, 48.0])?;
            for (i, s) in self.urgent.iter().enumerate() {
                let r = i as u32 + 1;
                ws.write_number(r, 0, s.id as f64)?;
                text(ws, r, 1, &self.date(s.created_at))?;
                text(ws, r, 2, &s.unit)?;
                text(ws, r, 3, &Self::from(s))?;
                text(ws, r, 4, &s.topic)?;
                text(ws, r, 5, &s.place)?;
                text(ws, r, 6, &s.body)?;
                text(ws, r, 7, &self.status(&w, s))?;
                text(ws, r, 8, &self.handling(&w, s))?;
            }
        }
        Ok(wb.save_to_buffer()?)
    }

    /// The summary as one HTML page, laid out for A4 (print it, or save it as PDF, from a
    /// browser); no script, no outside resource.
    pub fn html(&self, c: &Catalog, locale: Locale) -> String {
        let w = Words { c, l: locale };
        let e = |s: &str| html_escape::encode_text(s).to_string();
        let n = |v: i64| locale.number(v);
        let mut h = String::new();
        let title = self.title(c, locale);
        h.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
            locale.code(),
            e(&title),
            STYLE
        ));
        h.push_str(&format!("<p class=\"board\">{}</p>\n<h1>{}</h1>\n", e(&self.board), e(&title)));
        h.push_str(&format!(
            "<p class=\"meta\">{}</p>\n",
            e(&w.t("qr-generated", Args::new().raw("time", self.date(self.generated_at))))
        ));
        h.push_str("<table class=\"headline\">\n");
        for (k, v) in self.headline(&w) {
            h.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", e(&k), e(&v)));
        }
        h.push_str("</table>\n");
        let table = |h: &mut String, heading: &str, cols: &[String], rows: Vec<Vec<String>>, empty: &str| {
            h.push_str(&format!("<h2>{}</h2>\n", e(heading)));
            if rows.is_empty() {
                h.push_str(&format!("<p class=\"none\">{}</p>\n", e(empty)));
                return;
            }
            h.push_str("<table>\n<thead><tr>");
            for col in cols {
                h.push_str(&format!("<th>{}</th>", e(col)));
            }
            h.push_str("</tr></thead>\n<tbody>\n");
            for row in rows {
                h.push_str("<tr>");
                for (i, cell) in row.iter().enumerate() {
                    let numeric = !cell.is_empty() && cell.chars().all(|ch| ch.is_ascii_digit() || ".,%".contains(ch));
                    let class = if numeric && i > 0 { " class=\"n\"" } else { "" };
                    h.push_str(&format!("<td{class}>{}</td>", e(cell)));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</tbody>\n</table>\n");
        };
        let none = w.s("qr-none");
        table(
            &mut h,
            &w.s("qr-sheet-packs"),
            &["qr-col-pack", "qr-col-sent", "qr-col-kind", "qr-col-delivered", "qr-col-ack-rate", "qr-col-report-rate"]
                .map(|k| w.s(k)),
            self.packs
                .iter()
                .map(|p| {
                    vec![
                        p.title.clone(),
                        self.date(p.sent_at),
                        w.s(if p.situation { "qr-kind-request" } else { "qr-kind-guidance" }),
                        n(p.counts.delivered),
                        pct(p.counts.ack_rate(), locale),
                        pct(p.counts.report_rate(), locale),
                    ]
                })
                .collect(),
            &none,
        );
        let mut cols = vec![self.level.clone()];
        cols.extend(
            [
                "qr-col-delivered",
                "qr-col-not-connected",
                "qr-col-ack-rate",
                "qr-col-report-rate",
                "qr-col-situations",
                "qr-col-urgent",
            ]
            .map(|k| w.s(k)),
        );
        table(
            &mut h,
            &w.s("qr-sheet-units"),
            &cols,
            self.units
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        n(u.counts.delivered),
                        n(u.counts.not_connected),
                        pct(u.counts.ack_rate(), locale),
                        pct(u.counts.report_rate(), locale),
                        n(u.situations),
                        n(u.urgent),
                    ]
                })
                .collect(),
            &none,
        );
        table(
            &mut h,
            &w.s("qr-sheet-topics"),
            &TOPIC_COLUMNS.map(|k| w.s(k)),
            self.topics
                .iter()
                .map(|t| vec![t.topic.clone(), n(t.total), n(t.normal()), n(t.attention), n(t.urgent), n(t.handled)])
                .collect(),
            &none,
        );
        table(
            &mut h,
            &w.s("qr-sheet-urgent"),
            &["qr-col-number", "qr-col-time", "qr-col-from", "qr-col-topic", "qr-col-content", "qr-col-handling"]
                .map(|k| w.s(k)),
            self.urgent
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        self.date(s.created_at),
                        format!("{} — {}", Self::from(s), s.unit),
                        format!("{} · {}", s.topic, s.place),
                        s.body.clone(),
                        match self.handling(&w, s) {
                            h if h.is_empty() => self.status(&w, s),
                            h => format!("{}: {h}", self.status(&w, s)),
                        },
                    ]
                })
                .collect(),
            &none,
        );
        h.push_str("</body>\n</html>\n");
        h
    }
}

/// The columns of the situation reports by topic, in both forms.
const TOPIC_COLUMNS: [&str; 6] = [
    "qr-col-topic",
    "qr-col-total",
    "sit-severity-normal",
    "sit-severity-attention",
    "sit-severity-urgent",
    "qr-col-handled",
];

/// The page's look: A4 with margins, readable type, tables that break cleanly across pages.
const STYLE: &str = "@page { size: A4; margin: 18mm 15mm; }
body { font-family: 'Times New Roman', 'DejaVu Serif', serif; font-size: 12pt; color: #000; max-width: 190mm; margin: 0 auto; }
.board { text-transform: uppercase; font-weight: bold; margin: 0; }
h1 { font-size: 16pt; text-align: center; margin: 12pt 0 4pt; }
h2 { font-size: 13pt; margin: 16pt 0 6pt; }
.meta, .none { color: #444; font-style: italic; }
.meta { text-align: center; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
thead { display: table-header-group; }
th, td { border: 1px solid #888; padding: 3pt 5pt; vertical-align: top; text-align: left; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
table.headline th { width: 45%; background: none; font-weight: normal; }
table.headline td { font-weight: bold; }
@media print { h2 { page-break-after: avoid; } }";
