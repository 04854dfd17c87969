//! `loa staff ...`: grant, revoke and list staff roles.

use crate::db::DbPool;
use clap::Subcommand;
use serde_json::{Value, json};

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
        #[arg(long, value_name = "D", conflicts_with = "unit")]
        district: Option<String>,
        /// The unit (its code) an officer serves, at any level below the province's committee (a
        /// commune, ward or agency committee, or a sub-committee): they see and act on its
        /// subtree; with --role district.
        #[arg(long, value_name = "CODE")]
        unit: Option<String>,
    },
    /// Take a user's role away.
    Revoke { user_id: i64 },
    /// List staff: bootstrap admins from the configuration, then granted roles.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub async fn run(cmd: StaffCommand, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    match cmd {
        StaffCommand::Grant { user_id, role, district, unit } => {
            let role = Role::parse(&role)
                .ok_or_else(|| Failure::BadInput(format!("--role {role:?}: expected admin, board or district")))?;
            if let Some(code) = unit {
                if role != Role::District {
                    return Err(Failure::BadInput("--unit goes with --role district (an officer of the unit)".into()));
                }
                let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
                let unit =
                    crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)?.ok_or_else(
                        || Failure::BadInput(format!("--unit {code:?}: no unit with that code (see loa units list)")),
                    )?;
                drop(conn);
                if unit.depth == 0 {
                    return Err(Failure::BadInput(format!(
                        "--unit {code:?} is the province's committee: grant --role board to see the whole province"
                    )));
                }
                let m = staff::grant_unit(pool, &config.admins, user_id, &unit, Actor::Cli)
                    .await?
                    .map_err(|e| Failure::BadInput(e.to_string()))?;
                println!(
                    "{user_id} is now an officer of {} ({}); their command menu updates when Loa next starts or they send /start",
                    unit.code,
                    m.district.unwrap_or_default()
                );
                return Ok(());
            }
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
