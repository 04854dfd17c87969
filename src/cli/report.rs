//! `loa report quarter PERIOD`: the quarterly summary for the board's review meeting, as a
//! workbook and a print-ready HTML page written side by side (each written whole under a
//! temporary name, then renamed: a failure never leaves half a file).

use std::path::{Path, PathBuf};

use crate::db::DbPool;
use clap::Subcommand;

use super::Failure;
use crate::config::Config;
use crate::i18n::{Catalog, Locale};
use crate::packs::period::Period;

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The quarter's summary: packs sent and their uptake by unit, situation reports by topic and
    /// unit, the urgent ones and how they were handled, the cells' questions.
    Quarter {
        /// The quarter: "2025-Q4" or "Quý IV/2025".
        period: String,
        /// Only this unit's subtree (its code); the whole province by default.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// The folder the two files are written to (made if missing).
        #[arg(long, default_value = ".", value_name = "DIR")]
        out: PathBuf,
        /// The language of the summary's words: vi or en (default: i18n.default_locale).
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
}

/// Writes `bytes` to `path` whole: a temporary file beside it, then a rename.
fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("failed to write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes).with_context(|| format!("failed to write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

pub async fn run(cmd: ReportCommand, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    let ReportCommand::Quarter { period, unit, out, lang } = cmd;
    let quarter = match Period::parse(&period) {
        Ok(p @ Period::Quarter { .. }) => p,
        Ok(_) => {
            return Err(Failure::BadInput(format!(
                "{period:?} is a month: give a quarter, such as 2025-Q4 or \"Quý IV/2025\""
            )));
        }
        Err(e) => return Err(Failure::BadInput(e.to_string())),
    };
    let locale = match lang.as_deref() {
        None => config.default_locale,
        Some(l) => Locale::parse(l).ok_or_else(|| Failure::BadInput(format!("--lang {l:?}: expected vi or en")))?,
    };
    let within = match &unit {
        None => None,
        Some(code) => {
            let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
            let found = crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)?;
            Some(
                found
                    .ok_or_else(|| {
                        Failure::BadInput(format!("--unit {code:?}: no unit with that code (see loa units list)"))
                    })?
                    .id,
            )
        }
    };
    if out.exists() && !out.is_dir() {
        return Err(Failure::BadInput(format!("--out {}: not a folder", out.display())));
    }
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure::BadInput(format!("--out {}: cannot make the folder: {e}", out.display())))?;
    let board = &config.organisation.board;
    let report = crate::quarter::gather(
        pool,
        board,
        &config.organisation,
        config.timezone,
        quarter,
        within,
        crate::dates::now(),
    )
    .await?;
    let catalog = Catalog::for_board(board);
    let stem = match &unit {
        Some(code) => format!("bao-cao-quy-{}-{}", quarter.code(), code.trim()),
        None => format!("bao-cao-quy-{}", quarter.code()),
    };
    let xlsx = out.join(format!("{stem}.xlsx"));
    let html = out.join(format!("{stem}.html"));
    write_whole(&xlsx, &report.xlsx(&catalog, locale)?)?;
    write_whole(&html, report.html(&catalog, locale).as_bytes())?;
    let g = &report.guidance;
    println!(
        "{} ({}): {} packs sent ({} guidance), acknowledged {:.1}%, reported {:.1}%; {} situation reports, {} urgent; {} questions",
        quarter.label(Locale::En),
        report.within,
        report.packs.len(),
        report.packs.iter().filter(|p| !p.situation).count(),
        g.ack_rate() * 100.0,
        g.report_rate() * 100.0,
        report.situations_total,
        report.urgent.len(),
        report.questions.asked
    );
    println!("written: {}", xlsx.display());
    println!("written: {}", html.display());
    Ok(())
}
