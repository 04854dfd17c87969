//! `loa inbox`: the situation reports, as the board's `/inbox` has them, at the terminal (a table,
//! or CSV/JSON to export), newest first, filtered by state and unit.

use crate::db::DbPool;
use clap::Args;
use serde_json::json;

use super::Failure;
use super::output::{self, Column, Format};
use crate::config::Config;
use crate::situations::{self, InboxFilter, Situation};

/// A report with its time as written out.
type Row = (Situation, String);

#[derive(Args, Debug)]
pub struct InboxArgs {
    /// Only the reports in this state: new, seen or handled.
    #[arg(long, value_name = "STATE")]
    status: Option<String>,
    /// Only the reports filed under this unit's subtree (its code).
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub async fn run(args: InboxArgs, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    let status = match args.status.as_deref().map(str::trim) {
        None => None,
        Some(s @ ("new" | "seen" | "handled")) => Some(s.to_string()),
        Some(other) => return Err(Failure::BadInput(format!("--status {other:?}: expected new, seen or handled"))),
    };
    let within = match &args.unit {
        None => None,
        Some(code) => {
            let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
            let unit = crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)?;
            Some(
                unit.ok_or_else(|| {
                    Failure::BadInput(format!("--unit {code:?}: no unit with that code (see loa units list)"))
                })?
                .id,
            )
        }
    };
    let mut found =
        situations::inbox(pool, &InboxFilter { within, status, limit: 0 }).await.map_err(anyhow::Error::from)?;
    found.sort_by_key(|s| std::cmp::Reverse(s.id));
    // each with its time as RFC 3339 in the configured zone
    let rows: Vec<Row> = found
        .into_iter()
        .map(|s| {
            let t = crate::dates::rfc3339(s.created_at, config.timezone);
            (s, t)
        })
        .collect();
    let columns: [Column<Row>; 13] = [
        Column { key: "id", people: false, text: |(s, _)| s.id.to_string(), json: |(s, _)| json!(s.id) },
        Column { key: "created_at", people: false, text: |(_, t)| t.clone(), json: |(_, t)| json!(t) },
        Column {
            key: "severity",
            people: false,
            text: |(s, _)| s.severity.as_str().into(),
            json: |(s, _)| json!(s.severity),
        },
        Column { key: "topic", people: true, text: |(s, _)| s.topic.clone(), json: |(s, _)| json!(s.topic) },
        Column {
            key: "cell",
            people: true,
            text: |(s, _)| s.cell.clone().unwrap_or_default(),
            json: |(s, _)| json!(s.cell),
        },
        Column { key: "unit", people: true, text: |(s, _)| s.unit.clone(), json: |(s, _)| json!(s.unit) },
        Column {
            key: "reported_by",
            people: true,
            text: |(s, _)| s.user_name.clone(),
            json: |(s, _)| json!(s.user_name),
        },
        Column { key: "place", people: true, text: |(s, _)| s.place.clone(), json: |(s, _)| json!(s.place) },
        Column { key: "body", people: true, text: |(s, _)| s.body.clone(), json: |(s, _)| json!(s.body) },
        Column { key: "files", people: false, text: |(s, _)| s.files.to_string(), json: |(s, _)| json!(s.files) },
        Column { key: "status", people: false, text: |(s, _)| s.status.clone(), json: |(s, _)| json!(s.status) },
        Column { key: "routed", people: false, text: |(s, _)| s.routed.clone(), json: |(s, _)| json!(s.routed) },
        Column {
            key: "handled_note",
            people: true,
            text: |(s, _)| s.handled_note.clone().unwrap_or_default(),
            json: |(s, _)| json!(s.handled_note),
        },
    ];
    output::print(&mut std::io::stdout().lock(), args.format, &columns, &rows)?;
    Ok(())
}
