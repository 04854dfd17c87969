//! A pack folder: `pack.toml` plus the files it names. Reading one checks everything a cell would
//! otherwise trip over at send time (message length, attachments, audience, dates) and reports
//! every problem at once, each naming its field.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::db::DbPool;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::Audience;
use super::body::{self, BodyFormat};
use super::message::{self, PackText};
use super::period::{PackKind, Period};
use crate::i18n::{Catalog, Locale};

/// Telegram's limit on one file a bot uploads.
pub const MAX_ATTACHMENT: u64 = 50 * 1024 * 1024;
/// Documents per pack (one album).
pub const MAX_ATTACHMENTS: usize = 10;
/// Characters of one message, after entity parsing.
pub const MAX_MESSAGE: usize = 4096;
/// File types a pack may carry: documents, spreadsheets, slides, images, archives.
pub const ALLOWED_TYPES: [&str; 16] =
    ["pdf", "doc", "docx", "odt", "rtf", "txt", "xls", "xlsx", "ods", "csv", "ppt", "pptx", "odp", "jpg", "png", "zip"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    kind: String,
    period: Option<String>,
    title: String,
    body: String,
    #[serde(default)]
    attachments: Vec<String>,
    #[serde(default = "all")]
    audience: RawAudience,
    deadline: Option<String>,
    report: Option<String>,
    schedule: Option<String>,
}

fn all() -> RawAudience {
    RawAudience::Word("all".into())
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawAudience {
    Word(String),
    Parts(RawAudienceParts),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudienceParts {
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    cells: Vec<String>,
}

/// When a pack goes out, as its folder asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Not scheduled: a draft.
    Draft,
    /// At this local time.
    At(NaiveDateTime),
    /// In the next monthly or quarterly slot.
    Slot,
}

/// A file named by `attachments`.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub path: PathBuf,
    pub name: String,
    pub size: u64,
    pub mime: &'static str,
}

/// A pack folder that passed every check.
#[derive(Debug, Clone)]
pub struct PackDraft {
    pub kind: PackKind,
    pub period: Option<Period>,
    pub title: String,
    pub body_source: String,
    pub body_format: BodyFormat,
    pub body_html: String,
    pub attachments: Vec<AttachmentFile>,
    pub audience: Audience,
    /// Local date; the default (send + packs.default_deadline_days) is filled in when scheduled.
    pub deadline: Option<NaiveDate>,
    pub report_prompt: Option<String>,
    pub schedule: Schedule,
}

impl PackDraft {
    /// A pack with a body already in Telegram HTML, no documents, sent to every cell, not
    /// scheduled: what tests and benchmarks build without a folder.
    pub fn plain(kind: PackKind, period: Option<Period>, title: &str, body_html: &str) -> PackDraft {
        PackDraft {
            kind,
            period,
            title: title.to_string(),
            body_source: body_html.to_string(),
            body_format: BodyFormat::Html,
            body_html: body_html.to_string(),
            attachments: Vec::new(),
            audience: Audience::All,
            deadline: None,
            report_prompt: None,
            schedule: Schedule::Draft,
        }
    }
}

/// One thing wrong with a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem of a pack, one per line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct Problems(pub Vec<Problem>);

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem { field: field.into(), message: message.into() }
}

/// The MIME type Telegram should be told for an allowed extension.
pub fn mime_of(ext: &str) -> &'static str {
    match ext {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        "rtf" => "application/rtf",
        "txt" => "text/plain",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "csv" => "text/csv",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Reads and checks `dir/pack.toml` and its files. `today` is the local date (a parameter so
/// tests control the clock).
pub async fn read(dir: &Path, pool: &DbPool, today: NaiveDate) -> anyhow::Result<Result<PackDraft, Problems>> {
    let toml_path = dir.join("pack.toml");
    let text = match std::fs::read_to_string(&toml_path) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Err(Problems(vec![problem("pack.toml", format!("cannot read {}: {e}", toml_path.display()))])));
        }
    };
    let raw: RawPack = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.message().to_string();
            let lines = crate::text::LineStarts::of(text.as_bytes());
            let at = e.span().map(|s| format!(" (line {})", lines.line_at(s.start))).unwrap_or_default();
            return Ok(Err(Problems(vec![problem("pack.toml", format!("{msg}{at}"))])));
        }
    };
    let mut problems = Vec::new();

    let kind = PackKind::parse(&raw.kind);
    if kind.is_none() {
        problems.push(problem("kind", format!("{:?}: expected monthly, quarterly, thematic or urgent", raw.kind)));
    }
    let period = match raw.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match Period::parse(p) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(problem("period", e.to_string()));
                None
            }
        },
    };
    if let Some(k) = kind
        && let Err(e) = k.check_period(period)
        && (raw.period.is_none() || period.is_some())
    {
        problems.push(problem("period", e.to_string()));
    }
    let title = raw.title.trim().to_string();
    if title.is_empty() {
        problems.push(problem("title", "is empty"));
    } else if title.chars().count() > 200 {
        problems.push(problem("title", "is longer than 200 characters"));
    }

    // the body
    let mut body_source = String::new();
    let mut body_html = String::new();
    let body_format = BodyFormat::of_file(&raw.body);
    match (body_format, safe_name(&raw.body)) {
        (None, _) => problems.push(problem("body", format!("{:?}: expected a .md, .html or .txt file", raw.body))),
        (_, false) => problems.push(problem("body", format!("{:?}: name a file inside the pack folder", raw.body))),
        (Some(_), true) if let Err(e) = inside(dir, &raw.body) => {
            problems.push(problem("body", format!("{}: {e}", raw.body)))
        }
        (Some(fmt), true) => match std::fs::read(dir.join(&raw.body)) {
            Err(e) => problems.push(problem("body", format!("cannot read {}: {e}", raw.body))),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => problems.push(problem("body", format!("{} is not UTF-8 text", raw.body))),
                Ok(src) if src.trim().is_empty() => problems.push(problem("body", format!("{} is empty", raw.body))),
                Ok(src) => match body::to_telegram_html(&src, fmt) {
                    Ok(html) => {
                        body_source = src;
                        body_html = html;
                    }
                    Err(e) => problems.push(problem("body", e)),
                },
            },
        },
    }

    // the attachments
    let mut attachments = Vec::new();
    if raw.attachments.len() > MAX_ATTACHMENTS {
        problems.push(problem(
            "attachments",
            format!("{} files; a pack carries at most {MAX_ATTACHMENTS}", raw.attachments.len()),
        ));
    }
    let mut names = BTreeSet::new();
    for name in &raw.attachments {
        let field = format!("attachments[{name}]");
        if !safe_name(name) {
            problems.push(problem(&field, "name a file inside the pack folder"));
            continue;
        }
        if !names.insert(name.clone()) {
            problems.push(problem(&field, "listed twice"));
            continue;
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let ext = if ext == "jpeg" { "jpg".to_string() } else { ext };
        if !ALLOWED_TYPES.contains(&ext.as_str()) {
            problems.push(problem(
                &field,
                format!("file type .{ext} is not accepted; use one of {}", ALLOWED_TYPES.join(", ")),
            ));
            continue;
        }
        if let Err(e) = inside(dir, name) {
            problems.push(problem(&field, e));
            continue;
        }
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Err(e) => problems.push(problem(&field, format!("cannot read it: {e}"))),
            Ok(m) if !m.is_file() => problems.push(problem(&field, "is not a file")),
            Ok(m) if m.len() == 0 => problems.push(problem(&field, "is empty")),
            Ok(m) if m.len() > MAX_ATTACHMENT => problems.push(problem(
                &field,
                format!("{:.1} MB; Telegram takes at most 50 MB a file", m.len() as f64 / 1_048_576.0),
            )),
            Ok(m) => attachments.push(AttachmentFile { path, name: name.clone(), size: m.len(), mime: mime_of(&ext) }),
        }
    }

    // the audience
    let audience = match raw.audience {
        RawAudience::Word(w) if w.trim().eq_ignore_ascii_case("all") => Audience::All,
        RawAudience::Word(w) => {
            problems.push(problem(
                "audience",
                format!(
                    "{w:?}: expected \"all\" or {{ units = [...], districts = [...], tags = [...], cells = [...] }}"
                ),
            ));
            Audience::All
        }
        RawAudience::Parts(p) => {
            let clean = |v: Vec<String>| {
                v.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<BTreeSet<_>>()
            };
            let (districts, units, tags, cells) = (clean(p.districts), clean(p.units), clean(p.tags), clean(p.cells));
            if districts.is_empty() && units.is_empty() && tags.is_empty() && cells.is_empty() {
                problems.push(problem("audience", "names no unit, district, tag or cell"));
            }
            Audience::Some { districts, units, tags, cells }
        }
    };
    problems.extend(check_audience(pool, &audience).await?);

    // dates
    let deadline = match raw.deadline.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date < today => {
                problems.push(problem("deadline", format!("{d} is in the past")));
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                problems.push(problem("deadline", format!("{d:?}: expected a date like \"2023-10-15\"")));
                None
            }
        },
    };
    let report_prompt = raw.report.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if report_prompt.as_ref().is_some_and(|r| r.chars().count() > 500) {
        problems.push(problem("report", "is longer than 500 characters"));
    }
    let schedule = match raw.schedule.as_deref().map(str::trim) {
        None | Some("") => Schedule::Draft,
        Some(s) if s.eq_ignore_ascii_case("slot") => {
            if !matches!(kind, Some(PackKind::Monthly | PackKind::Quarterly)) {
                problems.push(problem("schedule", "\"slot\" is for monthly and quarterly packs"));
            }
            Schedule::Slot
        }
        Some(s) => match parse_local(s) {
            Some(at) if at.date() < today => {
                problems.push(problem("schedule", format!("{s} is in the past")));
                Schedule::Draft
            }
            Some(at) => {
                if let Some(d) = deadline
                    && d < at.date()
                {
                    problems.push(problem("deadline", format!("{d} comes before the send time {s}")));
                }
                Schedule::At(at)
            }
            None => {
                problems.push(problem(
                    "schedule",
                    format!("{s:?}: expected \"YYYY-MM-DD HH:MM\" (local time) or \"slot\""),
                ));
                Schedule::Draft
            }
        },
    };

    // the message a cell will see must fit Telegram's limit
    if !body_html.is_empty() && !title.is_empty() {
        let catalog = Catalog::new();
        let longest = Locale::ALL
            .into_iter()
            .map(|l| {
                let text = message::render(
                    &catalog,
                    l,
                    &PackText {
                        title: &title,
                        period,
                        body_html: &body_html,
                        deadline: deadline.unwrap_or(today),
                        report_prompt: report_prompt.as_deref(),
                        attachments: attachments.len(),
                    },
                );
                body::visible_len(&text)
            })
            .max()
            .unwrap_or(0);
        if longest > MAX_MESSAGE {
            problems.push(problem(
                "body",
                format!("the message would be {longest} characters; Telegram allows {MAX_MESSAGE}: shorten the body or move text into an attachment"),
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(Problems(problems)));
    }
    Ok(Ok(PackDraft {
        kind: kind.expect("checked"),
        period,
        title,
        body_source,
        body_format: body_format.expect("checked"),
        body_html,
        attachments,
        audience,
        deadline,
        report_prompt,
        schedule,
    }))
}

/// "2023-10-01 08:00" as a local time.
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M").ok()
}

/// Refuses a file of the folder that is a symbolic link, or that resolves outside the folder: a
/// link `notes.pdf -> /data/loa.db` would otherwise send the database to every cell.
fn inside(dir: &Path, name: &str) -> Result<(), String> {
    let path = dir.join(name);
    // a file that cannot be read is reported when it is read
    let Ok(meta) = std::fs::symlink_metadata(&path) else { return Ok(()) };
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link; copy the file itself into the pack folder".into());
    }
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(real), Ok(folder)) if !real.starts_with(&folder) => Err("is outside the pack folder".into()),
        _ => Ok(()),
    }
}

fn safe_name(name: &str) -> bool {
    let n = name.trim();
    !n.is_empty() && !n.contains(['/', '\\']) && n != "." && n != ".." && !n.starts_with('.')
}

/// Unknown units, districts, tags or cells in an audience, and an audience with no active cell.
pub async fn check_audience(pool: &DbPool, audience: &Audience) -> anyhow::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    if let Audience::Some { districts, units, tags, cells } = audience {
        for u in units {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE code = $1 AND retired_at IS NULL")
                .bind(u)
                .fetch_optional(pool)
                .await?;
            if found.is_none() {
                problems.push(problem("audience.units", format!("no unit has the code {u:?} (see loa units list)")));
            }
        }
        let known_d: BTreeSet<String> = crate::cells::districts(pool).await?.into_iter().collect();
        for d in districts.iter().filter(|d| !known_d.contains(*d)) {
            let list = known_d.iter().cloned().collect::<Vec<_>>().join(", ");
            problems.push(problem("audience.districts", format!("unknown district {d:?}; the registry has: {list}")));
        }
        let known_t: BTreeSet<String> =
            sqlx::query_scalar("SELECT DISTINCT tag FROM cell_tags").fetch_all(pool).await?.into_iter().collect();
        for t in tags.iter().filter(|t| !known_t.contains(*t)) {
            problems.push(problem("audience.tags", format!("no cell has the tag {t:?}")));
        }
        for c in cells {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM cells WHERE code = $1").bind(c).fetch_optional(pool).await?;
            if found.is_none() {
                problems.push(problem("audience.cells", format!("no cell has the code {c:?}")));
            }
        }
    }
    if problems.is_empty() && super::audience_size(pool, audience).await? == 0 {
        problems.push(problem("audience", "no cell that is not retired matches it"));
    }
    Ok(problems)
}
