//! `loa pack ...`: create a pack from a folder, list, show, schedule, cancel.

use std::path::PathBuf;

use crate::db::DbPool;
use chrono::Utc;
use clap::{ArgGroup, Subcommand};
use serde_json::json;

use super::Failure;
use super::output::{self, Column, Format};
use crate::audit::Actor;
use crate::config::Config;
use crate::i18n::{Catalog, Locale};
use crate::packs::folder::{self, parse_local};
use crate::packs::message::{self, PackText};
use crate::packs::store::{self, Pack, When};
use crate::packs::{self, audience_counts, duration_words, estimate_seconds};

#[derive(Subcommand, Debug)]
pub enum PackCommand {
    /// Create a pack from a folder (pack.toml and its files); prints the new pack's id last.
    Create { dir: PathBuf },
    /// List packs, newest first.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show a pack as cells will see it, its audience, checks and the delivery estimate.
    Show { id: i64 },
    /// Schedule a pack: now, at a local time, or in its monthly/quarterly slot.
    #[command(group(ArgGroup::new("when").required(true).args(["now", "at", "slot"])))]
    Schedule {
        id: i64,
        #[arg(long)]
        now: bool,
        /// Local time, "YYYY-MM-DD HH:MM".
        #[arg(long, value_name = "YYYY-MM-DD HH:MM")]
        at: Option<String>,
        #[arg(long)]
        slot: bool,
    },
    /// Cancel a draft or scheduled pack.
    Cancel { id: i64 },
}

pub async fn run(cmd: PackCommand, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    let today = Utc::now().with_timezone(&config.timezone).date_naive();
    match cmd {
        PackCommand::Create { dir } => {
            let draft = match folder::read(&dir, pool, today).await? {
                Ok(d) => d,
                Err(problems) => {
                    return Err(Failure::BadInput(format!(
                        "{}: {} problem(s), nothing was created:\n{problems}",
                        dir.display(),
                        problems.0.len()
                    )));
                }
            };
            let id = store::create(pool, config, &draft, Actor::Cli).await?;
            let when: Option<When> = draft.schedule.into();
            match when {
                None => println!(
                    "pack {id} created as a draft: schedule it with `loa pack schedule {id} --now|--at|--slot`"
                ),
                Some(when) => match store::schedule(pool, config, id, when, Utc::now(), Actor::Cli).await? {
                    Ok(due) => println!(
                        "pack {id} created and scheduled for {}",
                        crate::dates::table(due.timestamp(), config.timezone)
                    ),
                    Err(e) => println!("pack {id} created as a draft; its schedule was not applied: {e}"),
                },
            }
            println!("{id}");
            Ok(())
        }
        PackCommand::List { format } => {
            let list = store::list(pool).await.map_err(anyhow::Error::from)?;
            let rows: Vec<(Pack, chrono_tz::Tz)> = list.into_iter().map(|p| (p, config.timezone)).collect();
            output::print(&mut std::io::stdout().lock(), format, &columns(), &rows)?;
            Ok(())
        }
        PackCommand::Show { id } => {
            let pack = store::get(pool, id)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(|| Failure::BadInput(format!("there is no pack {id}")))?;
            show(pool, config, &pack, today).await
        }
        PackCommand::Schedule { id, now, at, slot } => {
            let when = match (now, at, slot) {
                (true, _, _) => When::Now,
                (_, Some(at), _) => When::At(parse_local(&at).ok_or_else(|| {
                    Failure::BadInput(format!("--at {at:?}: expected a local time like \"2023-10-01 08:00\""))
                })?),
                _ => When::Slot,
            };
            let due = store::schedule(pool, config, id, when, Utc::now(), Actor::Cli)
                .await?
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            println!(
                "pack {id} is scheduled for {} ({})",
                crate::dates::table(due.timestamp(), config.timezone),
                config.timezone
            );
            let pack = store::get(pool, id).await.map_err(anyhow::Error::from)?;
            if let Some(pack) = pack {
                println!("{}", delivery_line(pool, config, &pack).await?);
            }
            Ok(())
        }
        PackCommand::Cancel { id } => {
            crate::delivery::broadcast::cancel_pack(pool, id, Actor::Cli)
                .await?
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            println!("pack {id} is cancelled");
            Ok(())
        }
    }
}

async fn show(pool: &DbPool, config: &Config, pack: &Pack, today: chrono::NaiveDate) -> Result<(), Failure> {
    let catalog = Catalog::new();
    let docs = store::attachments(pool, pack.id).await.map_err(anyhow::Error::from)?;
    let deadline = crate::packs::deadline_for(pack.deadline(), today, config.default_deadline_days);
    let html = message::render(
        &catalog,
        Locale::Vi,
        &PackText {
            title: &pack.title,
            period: pack.period(),
            body_html: &pack.body_html,
            deadline,
            report_prompt: pack.report_prompt.as_deref(),
            attachments: docs.len(),
        },
    );
    let visible = crate::tghtml::parse(&html).map(|p| p.text).unwrap_or_else(|e| format!("(cannot be shown: {e})"));
    let audience = pack.audience();
    let (cells, active) = audience_counts(pool, &audience).await.map_err(anyhow::Error::from)?;
    let mut problems: Vec<String> =
        folder::check_audience(pool, &audience).await?.iter().map(ToString::to_string).collect();
    let length = packs::body::visible_len(&html);
    if length > folder::MAX_MESSAGE {
        problems.push(format!("body: the message is {length} characters; Telegram allows {}", folder::MAX_MESSAGE));
    }
    println!("pack {} · {} · {}", pack.id, pack.kind, pack.status);
    if let Some(t) = pack.scheduled_for {
        println!("due: {} ({})", crate::dates::table(t, config.timezone), pack.schedule_kind.as_deref().unwrap_or(""));
    }
    println!("audience: {} — {cells} cell(s), {active} connected", audience.describe());
    println!(
        "documents: {}",
        if docs.is_empty() {
            "none".to_string()
        } else {
            docs.iter().map(|(n, s, _)| format!("{n} ({} KB)", s / 1024 + 1)).collect::<Vec<_>>().join(", ")
        }
    );
    println!("{}", delivery_line(pool, config, pack).await?);
    if problems.is_empty() {
        println!("checks: ok ({length} of {} characters)", folder::MAX_MESSAGE);
    } else {
        println!("checks: {} problem(s)", problems.len());
        for p in &problems {
            println!("  {p}");
        }
    }
    println!(
        "--- what a cell sees (after the documents), with the buttons ✅ Đã nhận{}:",
        if pack.report_prompt.is_some() { " and 📝 Báo cáo" } else { "" }
    );
    println!("{visible}");
    Ok(())
}

/// "delivery: 120 cell(s) x 3 message(s) at 30/s: khoảng 12 giây (about 12 s)"
async fn delivery_line(pool: &DbPool, config: &Config, pack: &Pack) -> anyhow::Result<String> {
    let (_, active) = audience_counts(pool, &pack.audience()).await?;
    let per_cell = pack.attachments + 1;
    let secs = estimate_seconds(active, per_cell, config.delivery.messages_per_second);
    Ok(format!(
        "delivery: {active} cell(s) x {per_cell} message(s) at {}/s: {} ({})",
        config.delivery.messages_per_second,
        duration_words(secs, Locale::Vi),
        duration_words(secs, Locale::En)
    ))
}

type Row = (Pack, chrono_tz::Tz);

fn columns() -> Vec<Column<Row>> {
    vec![
        Column { key: "id", people: false, text: |(p, _)| p.id.to_string(), json: |(p, _)| json!(p.id) },
        Column { key: "kind", people: false, text: |(p, _)| p.kind.clone(), json: |(p, _)| json!(p.kind) },
        Column {
            key: "period",
            people: false,
            text: |(p, _)| p.period.clone().unwrap_or_default(),
            json: |(p, _)| json!(p.period),
        },
        Column { key: "title", people: true, text: |(p, _)| p.title.clone(), json: |(p, _)| json!(p.title) },
        Column { key: "status", people: false, text: |(p, _)| p.status.to_string(), json: |(p, _)| json!(p.status) },
        Column {
            key: "scheduled_for",
            people: false,
            text: |(p, tz)| p.scheduled_for.map(|t| crate::dates::table(t, *tz)).unwrap_or_default(),
            json: |(p, tz)| {
                p.scheduled_for.map(|t| json!(crate::dates::rfc3339(t, *tz))).unwrap_or(serde_json::Value::Null)
            },
        },
        Column {
            key: "deadline",
            people: false,
            text: |(p, _)| p.deadline.clone().unwrap_or_default(),
            json: |(p, _)| json!(p.deadline),
        },
        Column {
            key: "attachments",
            people: false,
            text: |(p, _)| p.attachments.to_string(),
            json: |(p, _)| json!(p.attachments),
        },
        Column {
            key: "audience",
            people: true,
            text: |(p, _)| p.audience().describe(),
            json: |(p, _)| serde_json::from_str(&p.audience).unwrap_or_default(),
        },
    ]
}
