//! The command line (`loa`). English help; exit 0 on success, 2 on bad input, 1 on failure.
//! Every subcommand is listed in the README's "Command line" section.

pub(crate) mod cells;
mod inbox;
mod output;
mod pack;
mod report;
mod staff;
mod stats;
mod units;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::{self, StartError};
use crate::config::{Config, ConfigError};
use crate::sim::{Sim, SimConfig};

#[derive(Parser, Debug)]
#[command(
    name = "loa",
    version,
    about = "Loa: deliver monthly and quarterly guidance packs to party cells over Telegram, and collect acknowledgements and reports",
    long_about = None
)]
pub struct Cli {
    /// A TOML file layered over the built-in defaults (config/default.toml documents every key).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the bot, the scheduler and the delivery worker (token from LOA_TELEGRAM__TOKEN).
    Serve {
        /// Serve several provinces in this process: one DIR/<name>.toml each (its own database,
        /// http.listen, board...), its bot token in LOA_TOKEN_<NAME>.
        #[arg(long, value_name = "DIR")]
        provinces: Option<PathBuf>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// The registry of party cells: import, list, invite.
    #[command(subcommand)]
    Cells(cells::CellsCommand),
    /// Guidance packs: create from a folder, list, show, schedule, cancel.
    #[command(subcommand)]
    Pack(pack::PackCommand),
    /// Staff roles: grant, revoke, list.
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// The organisation's tree: its units, their levels and cells.
    #[command(subcommand)]
    Units(units::UnitsCommand),
    /// A pack's figures: targeted, delivered, acknowledged, reported, by unit at any level.
    Stats(stats::StatsArgs),
    /// A pack's figures and every cell's answers as a spreadsheet (.xlsx) or CSV.
    Export(stats::ExportArgs),
    /// The situation reports (as /inbox has them): a table, or CSV/JSON to export.
    Inbox(inbox::InboxArgs),
    /// Summaries for the board's review meetings: `report quarter 2025-Q4`.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// A consistent copy of the database, checked, while Loa runs, with the files it refers to in
    /// FILE.files/ (never overwrites FILE).
    Backup { file: PathBuf },
    /// Moves a province's SQLite database into an empty PostgreSQL database, checked (rows of
    /// every table, running totals, deliveries by state, answers by pack); all or nothing.
    MigrateData {
        /// The SQLite database, sqlite:///path/to/loa.db.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The PostgreSQL database, postgres://user:password@host/database.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Puts a backup (FILE and FILE.files/) back in place of the database, checked first; the
    /// database there before is kept aside, never deleted. Refused while `loa serve` runs.
    Restore { backup: PathBuf },
    /// The whole job with no Telegram token: a province played against the built-in simulator.
    Demo {
        /// How many cells the province has.
        #[arg(long, default_value_t = 300)]
        cells: usize,
        /// Where the spreadsheet and the chart go.
        #[arg(long, default_value = "demo-out", value_name = "DIR")]
        out: PathBuf,
    },
    /// Run the Telegram Bot API simulator alone, for trying Loa without Telegram.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
        listen: SocketAddr,
        /// The bot token the simulator accepts.
        #[arg(long, default_value = crate::sim::DEFAULT_TOKEN)]
        token: String,
    },
}

/// An error with the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// The operator's input is wrong (exit 2).
    BadInput(String),
    /// Something failed (exit 1).
    Failed(anyhow::Error),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::BadInput(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StartError>() {
            Ok(s) => Failure::BadInput(s.to_string()),
            Err(e) => match e.downcast::<crate::db::BackupRefused>() {
                Ok(r) => Failure::BadInput(r.to_string()),
                Err(e) => match e.downcast::<crate::migrate_data::Refused>() {
                    Ok(r) => Failure::BadInput(r.to_string()),
                    Err(e) => Failure::Failed(e),
                },
            },
        }
    }
}

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(msg)) => {
            eprintln!("error: {}", crate::logging::redact(&msg));
            ExitCode::from(2)
        }
        // a reader that went away (`loa cells list | head`) is not a failure
        Err(Failure::Failed(e)) if e.chain().any(is_broken_pipe) => ExitCode::SUCCESS,
        Err(Failure::Failed(e)) => {
            eprintln!("error: {}", crate::logging::redact(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.kind() == BrokenPipe;
    }
    if let Some(j) = e.downcast_ref::<serde_json::Error>() {
        return j.io_error_kind() == Some(BrokenPipe);
    }
    if let Some(c) = e.downcast_ref::<csv::Error>() {
        return matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe);
    }
    false
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve { provinces: Some(dir) } => {
            let provinces = Config::load_provinces(cli.config.as_deref(), &dir)?;
            app::serve_provinces(provinces, app::stop_on_signals()).await?;
            Ok(())
        }
        Command::Serve { provinces: None } => {
            let config = Config::load(cli.config.as_deref())?;
            if config.token.is_none() {
                return Err(Failure::BadInput(app::MISSING_TOKEN.to_string()));
            }
            app::serve(config, app::stop_on_signals()).await?;
            Ok(())
        }
        Command::Migrate => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .map_err(anyhow::Error::from)?;
            println!(
                "database {} is up to date ({applied} migrations applied)",
                crate::config::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::Cells(cmd) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            cells::run(cmd, &config, &pool).await
        }
        Command::Backup { file } => {
            let config = Config::load(cli.config.as_deref())?;
            if file.exists() {
                return Err(Failure::BadInput(format!(
                    "{} exists already: choose a new file name (a backup never overwrites)",
                    file.display()
                )));
            }
            if crate::db::backup_files_dir(&file).exists() {
                return Err(Failure::BadInput(format!(
                    "{} exists already: choose a new file name (a backup never overwrites)",
                    crate::db::backup_files_dir(&file).display()
                )));
            }
            let pool = crate::db::open(&config.database_url).await?;
            let store = crate::packs::store::data_dir(&config).join("files");
            let s = crate::db::backup(&pool, &file, &store).await?;
            println!(
                "backup written to {} ({:.1} MB) and checked: integrity ok, {}; {} files ({:.1} MB) in {}",
                file.display(),
                s.bytes as f64 / 1e6,
                s.counts(),
                s.files,
                s.file_bytes as f64 / 1e6,
                crate::db::backup_files_dir(&file).display()
            );
            if !s.missing.is_empty() {
                eprintln!(
                    "warning: {} file(s) the database refers to are not in the store {} (or their bytes do not match their name), so they are not in the backup: {}",
                    s.missing.len(),
                    store.display(),
                    s.missing.join(", ")
                );
            }
            Ok(())
        }
        Command::MigrateData { from, to } => {
            crate::logging::register_secret_of_url(&to);
            let moved = crate::migrate_data::run(&from, &to).await?;
            let total: i64 = moved.rows.iter().map(|(_, n)| n).sum();
            println!(
                "moved {from} into {} and checked: {total} rows in {} tables, equal on both sides\n{}",
                crate::config::redact_url(&to),
                moved.rows.len(),
                crate::migrate_data::describe(&moved).trim_end()
            );
            Ok(())
        }
        Command::Restore { backup } => {
            let config = Config::load(cli.config.as_deref())?;
            if !backup.is_file() {
                return Err(Failure::BadInput(format!(
                    "{} is not a backup file (one made by `loa backup FILE`)",
                    backup.display()
                )));
            }
            let store = crate::packs::store::data_dir(&config).join("files");
            let r = crate::db::restore(&config.database_url, &backup, &store).await?;
            let s = &r.backup;
            println!(
                "restored {} into {}: integrity ok, {}; {} files ({:.1} MB) into {}; {} newer migrations applied",
                backup.display(),
                config.database_url,
                s.counts(),
                s.files,
                s.file_bytes as f64 / 1e6,
                store.display(),
                r.migrated
            );
            if let Some(aside) = &r.set_aside {
                println!("the database that was there is kept as {}", aside.display());
            }
            if !s.missing.is_empty() {
                eprintln!(
                    "warning: {} file(s) the backup refers to are not in {} (the backup said so when it was made): {}",
                    s.missing.len(),
                    crate::db::backup_files_dir(&backup).display(),
                    s.missing.join(", ")
                );
            }
            Ok(())
        }
        Command::Demo { cells, out } => {
            if !(8..=20_000).contains(&cells) {
                return Err(Failure::BadInput(format!("--cells {cells}: the demo plays 8 to 20000 cells")));
            }
            let options = crate::demo::Options { cells, out, progress: true, seed: 2023, keep_database_in: None };
            let report = crate::demo::run(options).await?;
            print!("{}", report.summary());
            Ok(())
        }
        Command::Stats(args) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            stats::stats(args, &config, &pool).await
        }
        Command::Export(args) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            stats::export(args, &config, &pool).await
        }
        Command::Pack(cmd) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            pack::run(cmd, &config, &pool).await
        }
        Command::Staff(cmd) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            staff::run(cmd, &config, &pool).await
        }
        Command::Units(cmd) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            units::run(cmd, &config, &pool).await
        }
        Command::Report(cmd) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            report::run(cmd, &config, &pool).await
        }
        Command::Inbox(args) => {
            let config = Config::load(cli.config.as_deref())?;
            let pool = crate::db::open(&config.database_url).await?;
            inbox::run(args, &config, &pool).await
        }
        Command::Sim { listen, token } => {
            let valid = token.split_once(':').is_some_and(|(id, rest)| id.parse::<u64>().is_ok() && !rest.is_empty());
            if !valid {
                return Err(Failure::BadInput(format!(
                    "--token {token:?}: expected \"<bot id>:<secret>\", e.g. {}",
                    crate::sim::DEFAULT_TOKEN
                )));
            }
            let sim = Sim::start(SimConfig { listen, token: token.clone(), ..SimConfig::default() })
                .await
                .map_err(|e| Failure::BadInput(format!("--listen {listen}: cannot listen there: {e}")))?;
            let url = sim.url();
            println!("Telegram Bot API simulator listening on {url}");
            println!("  bot @{} with token {token}", sim.bot_username());
            println!("  run Loa against it:");
            println!("    LOA_TELEGRAM__API_URL={url} LOA_TELEGRAM__TOKEN={token} loa serve");
            println!("  play a user (control API, JSON):");
            println!(
                "    curl -s -XPOST {url}/_sim/users -H 'content-type: application/json' -d '{{\"first_name\":\"Lan\"}}'"
            );
            println!(
                "    curl -s -XPOST {url}/_sim/chats/<user id>/messages -H 'content-type: application/json' -d '{{\"from\":<user id>,\"text\":\"/start\"}}'"
            );
            println!("    curl -s {url}/_sim/chats/<user id>/messages");
            println!("  ctrl-c to stop");
            app::stop_on_signals().cancelled().await;
            drop(sim);
            Ok(())
        }
    }
}
