//! `loa cells ...`: import the registry, list cells, issue invites.

use std::io::Write;
use std::path::PathBuf;

use crate::db::DbPool;
use clap::Subcommand;
use serde_json::{Value, json};

use super::Failure;
use super::output::{self, Column, Format};
use crate::audit::Actor;
use crate::cells::import::{self, ImportError, ImportOptions};
use crate::cells::invites::{self, IssuedInvite};
use crate::cells::{self, Cell, CellStatus, ListFilter};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum CellsCommand {
    /// Import the registry from a .csv or .xlsx file: the organisation's tree (header
    /// code,name,parent_code,kind,tags,members) or the old layout (code,name,district,commune,parent,tags).
    /// All or nothing: any bad row fails the whole import.
    Import {
        file: PathBuf,
        /// Check the file and show what would change, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Retire the cells that are in the database but not in the file.
        #[arg(long)]
        deactivate_missing: bool,
    },
    /// List cells.
    List {
        #[arg(long, value_name = "D")]
        district: Option<String>,
        /// Only the cells anywhere under this unit of the organisation's tree (its code).
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// unbound, active, unreachable or retired.
        #[arg(long, value_name = "S")]
        status: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Issue invite codes for the cells without a chat (or all with --all, revoking older codes).
    /// Prints CSV (cell_code,cell_name,district,invite_code,private_link,group_link,expires_at).
    Invites {
        #[arg(long, value_name = "D")]
        district: Option<String>,
        /// Only the cells anywhere under this unit of the organisation's tree (its code).
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
        /// Every cell that is not retired, bound or not.
        #[arg(long)]
        all: bool,
        /// Write the CSV to this file instead of standard output.
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
    },
}

pub async fn run(cmd: CellsCommand, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    match cmd {
        CellsCommand::Import { file, dry_run, deactivate_missing } => {
            let rows = import::read_file(&file).map_err(|e| match e {
                ImportError::Unreadable(m) => Failure::BadInput(m),
                rows @ ImportError::Rows(_) => Failure::BadInput(format!("{}: {rows}", file.display())),
            })?;
            let options = ImportOptions { dry_run, deactivate_missing };
            let summary = import::apply(pool, &rows, options, Actor::Cli).await.map_err(|e| {
                // a tree that does not fit the registry (an unknown parent, a move under itself)
                match e.downcast::<ImportError>() {
                    Ok(rows) => Failure::BadInput(format!("{}: {rows}", file.display())),
                    Err(e) => Failure::from(e),
                }
            })?;
            println!("{}: {} rows read; {summary}", file.display(), rows.len());
            Ok(())
        }
        CellsCommand::List { district, unit, status, format } => {
            let status = match status {
                None => None,
                Some(s) => Some(CellStatus::parse(&s).ok_or_else(|| {
                    Failure::BadInput(format!("--status {s:?}: expected unbound, active, unreachable or retired"))
                })?),
            };
            let district = check_district(pool, district).await?;
            let unit = check_unit(pool, unit).await?;
            let list = cells::list(pool, &ListFilter { district, status, unit }).await.map_err(anyhow::Error::from)?;
            let tz = config.timezone;
            let rows: Vec<(Cell, chrono_tz::Tz)> = list.into_iter().map(|c| (c, tz)).collect();
            output::print(&mut std::io::stdout().lock(), format, &cell_columns(), &rows)?;
            Ok(())
        }
        CellsCommand::Invites { district, unit, all, out } => {
            let district = check_district(pool, district).await?;
            let unit = check_unit(pool, unit).await?;
            let targets: Vec<Cell> = cells::list(pool, &ListFilter { district, status: None, unit })
                .await
                .map_err(anyhow::Error::from)?
                .into_iter()
                .filter(|c| c.status() != CellStatus::Retired && (all || c.chat_id.is_none()))
                .collect();
            if targets.is_empty() {
                return Err(Failure::BadInput(
                    "no cell needs an invite (every cell in scope has a chat); use --all to issue new codes anyway"
                        .into(),
                ));
            }
            let bot = bot_username(config).await?;
            let issued = invites::issue(pool, &targets, config.invite_ttl_days, Actor::Cli).await?;
            match out {
                Some(path) => {
                    let mut file = std::fs::File::create(&path)
                        .map_err(|e| Failure::BadInput(format!("--out {}: cannot write there: {e}", path.display())))?;
                    write_invites(&mut file, &issued, &bot, config)?;
                    println!(
                        "{} invite(s) written to {}; each code works once, until {}",
                        issued.len(),
                        path.display(),
                        crate::dates::table(issued[0].expires_at, config.timezone)
                    );
                }
                None => write_invites(&mut std::io::stdout().lock(), &issued, &bot, config)?,
            }
            Ok(())
        }
    }
}

/// The id of the unit `--unit` names.
async fn check_unit(pool: &DbPool, unit: Option<String>) -> Result<Option<i64>, Failure> {
    let Some(code) = unit else { return Ok(None) };
    let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
    match crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)? {
        Some(u) => Ok(Some(u.id)),
        None => Err(Failure::BadInput(format!("--unit {code:?}: no unit with that code (see loa units list)"))),
    }
}

async fn check_district(pool: &DbPool, district: Option<String>) -> Result<Option<String>, Failure> {
    match district {
        None => Ok(None),
        Some(d) => match cells::known_district(pool, &d).await? {
            Ok(d) => Ok(Some(d)),
            Err(msg) => Err(Failure::BadInput(format!("--district: {msg}"))),
        },
    }
}

/// The bot's username for the links: configured, or asked from Telegram with the token.
async fn bot_username(config: &Config) -> Result<String, Failure> {
    if let Some(u) = &config.telegram.bot_username {
        return Ok(u.clone());
    }
    let Some(token) = &config.token else {
        return Err(Failure::BadInput(
            "invite links need the bot's username: set telegram.bot_username (LOA_TELEGRAM__BOT_USERNAME), \
             or LOA_TELEGRAM__TOKEN so Loa can ask Telegram"
                .into(),
        ));
    };
    crate::logging::register_secret(secrecy::ExposeSecret::expose_secret(token));
    let bot = crate::app::build_bot(config, token)?;
    let me = teloxide::prelude::Requester::get_me(&bot)
        .await
        .map_err(|e| anyhow::anyhow!("failed to ask Telegram for the bot's username: {e}"))?;
    Ok(me.username().to_string())
}

/// The invite sheet: one row per code issued, with its two links (the web desk's download too).
pub(crate) fn write_invites(
    out: &mut dyn Write,
    issued: &[IssuedInvite],
    bot: &str,
    config: &Config,
) -> anyhow::Result<()> {
    let mut w = crate::export::csv_writer(out);
    w.write_record(["cell_code", "cell_name", "district", "invite_code", "private_link", "group_link", "expires_at"])?;
    for i in issued {
        let (private, group) = invites::links(bot, &i.code);
        w.write_record([
            i.cell_code.as_str(),
            &crate::export::neutralise(i.cell_name.clone()),
            &crate::export::neutralise(i.district.clone()),
            i.code.as_str(),
            &private,
            &group,
            &crate::dates::rfc3339(i.expires_at, config.timezone),
        ])?;
    }
    w.flush()?;
    Ok(())
}

type Row = (Cell, chrono_tz::Tz);

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map(|s| json!(s)).unwrap_or(Value::Null)
}

fn time_text(ts: Option<i64>, tz: chrono_tz::Tz) -> String {
    ts.map(|t| crate::dates::table(t, tz)).unwrap_or_default()
}

fn time_json(ts: Option<i64>, tz: chrono_tz::Tz) -> Value {
    ts.map(|t| json!(crate::dates::rfc3339(t, tz))).unwrap_or(Value::Null)
}

fn cell_columns() -> Vec<Column<Row>> {
    vec![
        Column { key: "code", people: false, text: |(c, _)| c.code.clone(), json: |(c, _)| json!(c.code) },
        Column { key: "name", people: true, text: |(c, _)| c.name.clone(), json: |(c, _)| json!(c.name) },
        Column { key: "district", people: true, text: |(c, _)| c.district.clone(), json: |(c, _)| json!(c.district) },
        Column {
            key: "commune",
            people: true,
            text: |(c, _)| c.commune.clone().unwrap_or_default(),
            json: |(c, _)| opt(&c.commune),
        },
        Column {
            key: "parent",
            people: true,
            text: |(c, _)| c.parent.clone().unwrap_or_default(),
            json: |(c, _)| opt(&c.parent),
        },
        Column { key: "tags", people: true, text: |(c, _)| c.tags.clone(), json: |(c, _)| json!(c.tag_list()) },
        Column { key: "status", people: false, text: |(c, _)| c.status.clone(), json: |(c, _)| json!(c.status) },
        Column {
            key: "chat_id",
            people: false,
            text: |(c, _)| c.chat_id.map(|i| i.to_string()).unwrap_or_default(),
            json: |(c, _)| c.chat_id.map(|i| json!(i)).unwrap_or(Value::Null),
        },
        Column {
            key: "chat_type",
            people: false,
            text: |(c, _)| c.chat_type.clone().unwrap_or_default(),
            json: |(c, _)| opt(&c.chat_type),
        },
        Column {
            key: "bound_at",
            people: false,
            text: |(c, tz)| time_text(c.bound_at, *tz),
            json: |(c, tz)| time_json(c.bound_at, *tz),
        },
        Column {
            key: "last_seen_at",
            people: false,
            text: |(c, tz)| time_text(c.last_seen_at, *tz),
            json: |(c, tz)| time_json(c.last_seen_at, *tz),
        },
    ]
}
