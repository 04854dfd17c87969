//! `loa units list`: the organisation's tree, each unit with its level (named by
//! `organisation.levels`), its parent, and its cells (all, and connected to Loa).

use crate::db::DbPool;
use clap::Subcommand;
use serde_json::json;

use super::Failure;
use super::output::{self, Column, Format};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum UnitsCommand {
    /// List the units from the province's committee down (each after its parent; units retired by a
    /// merger are left out).
    List {
        /// Only this unit and what is under it.
        #[arg(long, value_name = "CODE")]
        under: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Merge a unit into another (two communes become one): its cells, the units under it and its
    /// officers move to the other, and it is retired; past packs' figures still show it.
    Merge {
        /// The unit merged (its code).
        from: String,
        /// The unit it is merged into (its code).
        #[arg(long, value_name = "CODE")]
        into: String,
    },
}

/// One unit as listed.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    code: String,
    name: String,
    kind: String,
    level: i64,
    parent: Option<String>,
    /// Cells hanging from the unit itself.
    cells: i64,
    /// Of those, connected to Loa.
    connected: i64,
    /// Cells anywhere below the unit.
    cells_below: i64,
    #[sqlx(skip)]
    level_name: String,
}

pub async fn run(cmd: UnitsCommand, config: &Config, pool: &DbPool) -> Result<(), Failure> {
    match cmd {
        UnitsCommand::Merge { from, into } => {
            let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
            let mut unit = async |what: &str, code: &str| -> Result<crate::units::Unit, Failure> {
                crate::units::by_code(&mut conn, code.trim()).await.map_err(anyhow::Error::from)?.ok_or_else(|| {
                    Failure::BadInput(format!("{what} {code:?}: no unit with that code (see loa units list)"))
                })
            };
            let (from, into) = (unit("unit", &from).await?, unit("--into", &into).await?);
            drop(conn);
            let m =
                crate::units::merge(pool, &from, &into, crate::audit::Actor::Cli).await?.map_err(Failure::BadInput)?;
            println!(
                "{} ({}) merged into {} ({}): {} cells, {} units under it and {} officers moved; {} is retired",
                from.code, from.name, into.code, into.name, m.cells, m.units, m.officers, from.code
            );
            Ok(())
        }
        UnitsCommand::List { under, format } => {
            let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?;
            let top = match &under {
                None => crate::units::root(&mut conn).await.map_err(anyhow::Error::from)?,
                Some(code) => crate::units::by_code(&mut conn, code.trim())
                    .await
                    .map_err(anyhow::Error::from)?
                    .ok_or_else(|| Failure::BadInput(format!("--under {code:?}: no unit with that code")))?,
            };
            // depth-first, each unit after its parent: ordered by the codes on the way down
            let mut rows: Vec<Row> = sqlx::query_as(
                "WITH RECURSIVE walk (id, sort) AS (
                     SELECT $1, ''
                     UNION ALL
                     SELECT u.id, walk.sort || '/' || u.code FROM units u JOIN walk ON u.parent_id = walk.id
                     WHERE u.retired_at IS NULL
                 )
                 SELECT u.code, u.name, u.kind,
                        (SELECT max(p.depth) FROM unit_paths p WHERE p.descendant = u.id) AS level,
                        (SELECT x.code FROM units x WHERE x.id = u.parent_id) AS parent,
                        (SELECT count(*) FROM cells c WHERE c.unit_id = u.id AND c.status <> 'retired') AS cells,
                        (SELECT count(*) FROM cells c WHERE c.unit_id = u.id AND c.status = 'active') AS connected,
                        (SELECT count(*) FROM cells c JOIN unit_paths p ON p.descendant = c.unit_id
                         WHERE p.ancestor = u.id AND c.status <> 'retired') AS cells_below
                 FROM walk JOIN units u ON u.id = walk.id ORDER BY walk.sort",
            )
            .bind(top.id)
            .fetch_all(&mut *conn)
            .await
            .map_err(anyhow::Error::from)?;
            for r in &mut rows {
                r.level_name = config.organisation.level_name(r.level);
            }
            let columns: [Column<Row>; 9] = [
                Column { key: "code", people: true, text: |r| r.code.clone(), json: |r| json!(r.code) },
                Column { key: "name", people: true, text: |r| r.name.clone(), json: |r| json!(r.name) },
                Column { key: "kind", people: true, text: |r| r.kind.clone(), json: |r| json!(r.kind) },
                Column { key: "level", people: false, text: |r| r.level.to_string(), json: |r| json!(r.level) },
                Column {
                    key: "level_name",
                    people: false,
                    text: |r| r.level_name.clone(),
                    json: |r| json!(r.level_name),
                },
                Column {
                    key: "parent",
                    people: true,
                    text: |r| r.parent.clone().unwrap_or_default(),
                    json: |r| json!(r.parent),
                },
                Column { key: "cells", people: false, text: |r| r.cells.to_string(), json: |r| json!(r.cells) },
                Column {
                    key: "connected",
                    people: false,
                    text: |r| r.connected.to_string(),
                    json: |r| json!(r.connected),
                },
                Column {
                    key: "cells_below",
                    people: false,
                    text: |r| r.cells_below.to_string(),
                    json: |r| json!(r.cells_below),
                },
            ];
            output::print(&mut std::io::stdout().lock(), format, &columns, &rows)?;
            Ok(())
        }
    }
}
