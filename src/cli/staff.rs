//! `loa staff ...`: grant, revoke and list staff roles.

use clap::Subcommand;
use serde_json::{Value, json};
use sqlx::SqlitePool;

use super::Failure;
use super::output::{self, Column, Format};
use crate::audit::Actor;
use crate::config::Config;
use crate::staff::{self, Role, StaffMember};

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Give a Telegram user a role (replacing any role they had).
    Grant {
        /// The user's numeric Telegram id (they can see it with /whoami).
        user_id: i64,
        /// admin, board or district.
        #[arg(long)]
        role: String,
        /// The district of a district officer.
        #[arg(long, value_name = "D")]
        district: Option<String>,
    },
    /// Take a user's role away.
    Revoke { user_id: i64 },
    /// List staff: bootstrap admins from the configuration, then granted roles.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub async fn run(cmd: StaffCommand, config: &Config, pool: &SqlitePool) -> Result<(), Failure> {
    match cmd {
        StaffCommand::Grant { user_id, role, district } => {
            let role = Role::parse(&role)
                .ok_or_else(|| Failure::BadInput(format!("--role {role:?}: expected admin, board or district")))?;
            let district = match district {
                None => None,
                Some(d) => Some(
                    crate::cells::known_district(pool, &d)
                        .await?
                        .map_err(|m| Failure::BadInput(format!("--district: {m}")))?,
                ),
            };
            let m = staff::grant(pool, &config.admins, user_id, role, district, Actor::Cli)
                .await?
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            let scope = m.district.as_ref().map(|d| format!(" for {d}")).unwrap_or_default();
            println!(
                "{user_id} is now {role}{scope}; their command menu updates when Loa next starts or they send /start"
            );
            Ok(())
        }
        StaffCommand::Revoke { user_id } => {
            let role = staff::revoke(pool, &config.admins, user_id, Actor::Cli)
                .await?
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            println!("{user_id} is no longer {role}");
            Ok(())
        }
        StaffCommand::List { format } => {
            let list = staff::list(pool, &config.admins).await.map_err(anyhow::Error::from)?;
            let rows: Vec<(StaffMember, chrono_tz::Tz)> = list.into_iter().map(|m| (m, config.timezone)).collect();
            output::print(&mut std::io::stdout().lock(), format, &columns(), &rows)?;
            Ok(())
        }
    }
}

type Row = (StaffMember, chrono_tz::Tz);

fn columns() -> Vec<Column<Row>> {
    vec![
        Column { key: "user_id", people: false, text: |(m, _)| m.user_id.to_string(), json: |(m, _)| json!(m.user_id) },
        Column { key: "role", people: false, text: |(m, _)| m.role.to_string(), json: |(m, _)| json!(m.role.as_str()) },
        Column {
            key: "district",
            people: true,
            text: |(m, _)| m.district.clone().unwrap_or_default(),
            json: |(m, _)| m.district.as_ref().map(|d| json!(d)).unwrap_or(Value::Null),
        },
        Column {
            key: "name",
            people: true,
            text: |(m, _)| m.display_name.clone().unwrap_or_default(),
            json: |(m, _)| m.display_name.as_ref().map(|d| json!(d)).unwrap_or(Value::Null),
        },
        Column {
            key: "source",
            people: false,
            text: |(m, _)| if m.from_config { "config".into() } else { "granted".into() },
            json: |(m, _)| json!(if m.from_config { "config" } else { "granted" }),
        },
        Column {
            key: "granted_at",
            people: false,
            text: |(m, tz)| m.granted_at.map(|t| crate::dates::table(t, *tz)).unwrap_or_default(),
            json: |(m, tz)| m.granted_at.map(|t| json!(crate::dates::rfc3339(t, *tz))).unwrap_or(Value::Null),
        },
    ]
}
