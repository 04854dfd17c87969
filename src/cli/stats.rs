//! `loa stats` and `loa export`.

use std::io::Write;
use std::path::PathBuf;

use crate::db::DbPool;
use clap::Args;

use super::Failure;
use super::output::{self, Column, Format};
use crate::config::Config;
use crate::stats::{self, Group, View};

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The pack (default: the latest sent).
    #[arg(long, value_name = "ID")]
    pack: Option<i64>,
    /// The level of the rows: its number (1 = the units directly under the province's
    /// committee) or its name from `[organisation] levels`; `district` and `commune` are levels
    /// 1 and 2 (a database from before the tree). Default: the level just below `--unit`.
    #[arg(long, value_name = "LEVEL")]
    by: Option<String>,
    /// Count only this unit's subtree (its code).
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// The view `--by` and `--unit` ask for, and the key of the JSON's rows.
async fn view_of(
    config: &Config,
    pool: &DbPool,
    by: Option<&str>,
    unit: Option<&str>,
) -> Result<(View, &'static str), Failure> {
    let (level, key) = match by {
        None => (None, "by_unit"),
        Some(text) => {
            let (level, key) = stats::level_arg(&config.organisation, text).map_err(Failure::BadInput)?;
            (Some(level), key)
        }
    };
    let within = match unit {
        None => None,
        Some(code) => {
            let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
            let unit = crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)?;
            Some(unit.ok_or_else(|| Failure::BadInput(format!("there is no unit {code} (see `loa units list`)")))?.id)
        }
    };
    Ok((View { level, within }, key))
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_name = "ID")]
    pack: i64,
    /// FILE.xlsx (Summary, Cells, Reports) or FILE.csv (the cells).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The level of the summary's rows (as `loa stats --by`).
    #[arg(long, value_name = "LEVEL")]
    by: Option<String>,
    /// Export only this unit's subtree (its code).
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
}

async fn pack_or_latest(pool: &DbPool, pack: Option<i64>) -> Result<i64, Failure> {
    match pack {
        Some(id) => Ok(id),
        None => stats::latest_pack(pool)
            .await
            .map_err(anyhow::Error::from)?
            .ok_or_else(|| Failure::BadInput("no pack has been sent yet: there are no figures".into())),
    }
}

pub async fn stats(args: StatsArgs, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    let (view, key) = view_of(config, pool, args.by.as_deref(), args.unit.as_deref()).await?;
    let id = pack_or_latest(pool, args.pack).await?;
    let s = stats::pack(pool, id, view)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| Failure::BadInput(format!("there is no pack {id} (see `loa pack list`)")))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &s.to_json(key)).map_err(anyhow::Error::from)?;
            writeln!(out).map_err(anyhow::Error::from)?;
        }
        format => {
            let t = &s.total;
            if format == Format::Table {
                writeln!(
                    out,
                    "pack {} «{}»{}: {}",
                    s.pack_id,
                    s.title,
                    s.period.as_deref().map(|p| format!(" {p}")).unwrap_or_default(),
                    t.line(),
                )
                .map_err(anyhow::Error::from)?;
                writeln!(
                    out,
                    "{} ({}) by level {} ({}):",
                    s.within.name,
                    s.within.code,
                    s.level,
                    config.organisation.level_name(s.level)
                )
                .map_err(anyhow::Error::from)?;
            }
            let mut columns: Vec<Column<Group>> = vec![
                Column {
                    key: "code",
                    people: true,
                    text: |g: &Group| g.unit.code.clone(),
                    json: |g: &Group| g.unit.code.clone().into(),
                },
                Column {
                    key: "name",
                    people: true,
                    text: |g: &Group| g.unit.name.clone(),
                    json: |g: &Group| g.unit.name.clone().into(),
                },
                Column {
                    key: "level",
                    people: false,
                    text: |g: &Group| g.unit.level.to_string(),
                    json: |g: &Group| g.unit.level.into(),
                },
                Column {
                    key: "parent",
                    people: true,
                    text: |g: &Group| g.unit.parent.clone().unwrap_or_default(),
                    json: |g: &Group| g.unit.parent.clone().into(),
                },
            ];
            columns.extend([
                Column {
                    key: "targeted",
                    people: false,
                    text: |g: &Group| g.counts.targeted.to_string(),
                    json: |g: &Group| g.counts.targeted.into(),
                },
                Column {
                    key: "delivered",
                    people: false,
                    text: |g: &Group| g.counts.delivered.to_string(),
                    json: |g: &Group| g.counts.delivered.into(),
                },
                Column {
                    key: "unreachable",
                    people: false,
                    text: |g: &Group| g.counts.unreachable.to_string(),
                    json: |g: &Group| g.counts.unreachable.into(),
                },
                Column {
                    key: "acknowledged",
                    people: false,
                    text: |g: &Group| g.counts.acknowledged.to_string(),
                    json: |g: &Group| g.counts.acknowledged.into(),
                },
                Column {
                    key: "late",
                    people: false,
                    text: |g: &Group| g.counts.late.to_string(),
                    json: |g: &Group| g.counts.late.into(),
                },
                Column {
                    key: "ack_rate",
                    people: false,
                    text: |g: &Group| g.counts.ack_rate().to_string(),
                    json: |g: &Group| g.counts.ack_rate().into(),
                },
                Column {
                    key: "reported",
                    people: false,
                    text: |g: &Group| g.counts.reported.to_string(),
                    json: |g: &Group| g.counts.reported.into(),
                },
                Column {
                    key: "report_rate",
                    people: false,
                    text: |g: &Group| g.counts.report_rate().to_string(),
                    json: |g: &Group| g.counts.report_rate().into(),
                },
                Column {
                    key: "not_connected",
                    people: false,
                    text: |g: &Group| g.counts.not_connected.to_string(),
                    json: |g: &Group| g.counts.not_connected.into(),
                },
            ]);
            output::print(&mut out, format, &columns, &s.groups)?;
        }
    }
    Ok(())
}

pub async fn export(args: ExportArgs, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    let ext = args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("xlsx" | "csv")) {
        return Err(Failure::BadInput(format!(
            "{}: the file must end in .xlsx (a workbook) or .csv (the cells)",
            args.out.display()
        )));
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM packs WHERE id = $1")
        .bind(args.pack)
        .fetch_optional(pool)
        .await
        .map_err(anyhow::Error::from)?;
    if exists.is_none() {
        return Err(Failure::BadInput(format!("there is no pack {} (see `loa pack list`)", args.pack)));
    }
    let (view, _) = view_of(config, pool, args.by.as_deref(), args.unit.as_deref()).await?;
    if ext.as_deref() == Some("xlsx") {
        crate::export::write_xlsx(pool, config, args.pack, view, &args.out).await?;
    } else {
        let rows = crate::export::cell_rows(pool, args.pack, view.within).await.map_err(anyhow::Error::from)?;
        let mut buf = Vec::new();
        crate::export::write_csv(&mut buf, &rows, config.timezone)?;
        let tmp = args.out.with_extension("csv.part");
        std::fs::write(&tmp, &buf).map_err(|e| anyhow::anyhow!("failed to write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &args.out).map_err(|e| anyhow::anyhow!("failed to write {}: {e}", args.out.display()))?;
    }
    println!("pack {} written to {}", args.pack, args.out.display());
    Ok(())
}
