//! `loa migrate-data --from sqlite://... --to postgres://...`: a province's SQLite database moved
//! into PostgreSQL, checked.
//!
//! The PostgreSQL schema is `migrations_pg/` (the meaning of SQLite's migrations in PostgreSQL's
//! types: BIGINT for INTEGER, BYTEA for BLOB, the running totals kept by the same triggers in
//! PL/pgSQL). The copy reads one snapshot of the SQLite database (a read transaction: Loa may run
//! meanwhile, and what it writes after the snapshot is not moved), writes every table in one
//! PostgreSQL transaction with the foreign keys checked at its end (the running totals the triggers
//! count as rows come in are replaced by the source's own), sets each identity past the highest id copied, then
//! compares, before committing: every table's row count, the running totals summed, the
//! deliveries by state, the acknowledgements and reports by pack. Any difference rolls it all
//! back. A target that holds any row already is refused: nothing is overwritten.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::Context;
use futures::TryStreamExt;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

pub use crate::db::MIGRATOR_PG;

/// Loa's tables, each after the tables it refers to.
pub const TABLES: [&str; 25] = [
    "units",
    "unit_paths",
    "cells",
    "cell_tags",
    "invites",
    "invite_failures",
    "staff",
    "packs",
    "attachments",
    "pack_questions",
    "broadcasts",
    "deliveries",
    "acks",
    "situation_reports",
    "situation_files",
    "reports",
    "reminders",
    "slot_runs",
    "dialogues",
    "chat_prefs",
    "audit_log",
    "cell_moves",
    "pack_unit_stats",
    "web_links",
    "web_sessions",
];

/// The checks compared between the two databases, each a query both answer with one text line.
const CHECKS: [(&str, &str); 4] = [
    (
        "running totals (rows, targeted, delivered, unreachable, acknowledged, late, reported, not connected)",
        "SELECT CAST(count(*) AS TEXT) || ' ' || CAST(COALESCE(sum(targeted), 0) AS TEXT) || ' ' || CAST(COALESCE(sum(delivered), 0) AS TEXT)
                || ' ' || CAST(COALESCE(sum(unreachable), 0) AS TEXT) || ' ' || CAST(COALESCE(sum(acknowledged), 0) AS TEXT)
                || ' ' || CAST(COALESCE(sum(late), 0) AS TEXT) || ' ' || CAST(COALESCE(sum(reported), 0) AS TEXT)
                || ' ' || CAST(COALESCE(sum(not_connected), 0) AS TEXT) FROM pack_unit_stats",
    ),
    (
        "deliveries by state",
        "SELECT COALESCE(string_agg(x, ','), '') FROM (SELECT state || '=' || CAST(count(*) AS TEXT) AS x FROM deliveries GROUP BY state ORDER BY state) t",
    ),
    (
        "acknowledgements by pack",
        "SELECT COALESCE(string_agg(x, ','), '') FROM (SELECT CAST(pack_id AS TEXT) || '=' || CAST(count(*) AS TEXT) AS x FROM acks GROUP BY pack_id ORDER BY pack_id) t",
    ),
    (
        "reports by pack",
        "SELECT COALESCE(string_agg(x, ','), '') FROM (SELECT CAST(pack_id AS TEXT) || '=' || CAST(count(*) AS TEXT) AS x FROM reports GROUP BY pack_id ORDER BY pack_id) t",
    ),
];

/// What was moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// Rows of each table, in [`TABLES`]' order (equal on both sides).
    pub rows: Vec<(&'static str, i64)>,
    /// Each check of [`CHECKS`] with the value both sides gave.
    pub checks: Vec<(&'static str, String)>,
}

/// A value of one column, as PostgreSQL's column type wants it.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// The input is wrong (exit 2): a URL that is not the right database, a target not empty.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(why: String) -> anyhow::Error {
    Refused(why).into()
}

/// Moves the SQLite database at `from` into the PostgreSQL database at `to` (see the module's
/// documentation); returns what it moved.
pub async fn run(from: &str, to: &str) -> anyhow::Result<Moved> {
    let Some(file) = crate::db::file_of(from) else {
        return Err(refused(format!("--from {from:?}: a SQLite database file, sqlite:///path/to/loa.db")));
    };
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(refused(format!(
            "--to {:?}: a PostgreSQL database, postgres://user:password@host/database",
            crate::config::redact_url(to)
        )));
    }
    if !file.is_file() {
        return Err(refused(format!("--from {from:?}: there is no database file {}", file.display())));
    }
    let source = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&file).read_only(true))
        .await
        .with_context(|| format!("failed to open {}", file.display()))?;
    let mut snapshot = source.acquire().await?;
    // the migrations the source has applied must be this Loa's, all of them
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success = 1")
        .fetch_one(&mut *snapshot)
        .await
        .map_err(|_| refused(format!("{} is not a Loa database (no migrations table)", file.display())))?;
    let known = crate::db::MIGRATOR.iter().count() as i64;
    if applied != known {
        return Err(refused(format!(
            "{} has {applied} of this Loa's {known} migrations: run `loa migrate` on it first (or use the Loa that made it)",
            file.display()
        )));
    }
    let options = PgConnectOptions::from_str(to)
        .map_err(|e| refused(format!("--to {:?}: {e}", crate::config::redact_url(to))))?;
    let target = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .with_context(|| format!("failed to connect to {}", crate::config::redact_url(to)))?;
    MIGRATOR_PG.run(&target).await.context("failed to create Loa's tables in PostgreSQL")?;
    // a database `loa serve` (or `loa migrate`) opened holds the province's committee it wrote
    // there and nothing else: that is still empty
    let seeded_only: bool = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM units) = 1 AND (SELECT count(*) FROM unit_paths) = 1
            AND EXISTS (SELECT 1 FROM units WHERE code = $1 AND parent_id IS NULL AND created_at = updated_at)",
    )
    .bind(crate::db::ROOT_CODE)
    .fetch_one(&target)
    .await?;
    let others_empty = {
        let mut empty = true;
        for table in TABLES.iter().filter(|t| !matches!(**t, "units" | "unit_paths")) {
            let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {table})")))
                .fetch_one(&target)
                .await?;
            empty &= !any;
        }
        empty
    };
    if seeded_only && others_empty {
        sqlx::query("DELETE FROM unit_paths").execute(&target).await?;
        sqlx::query("DELETE FROM units").execute(&target).await?;
    }
    for table in TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).fetch_one(&target).await?;
        if n > 0 {
            return Err(refused(format!(
                "{}: table {table} has {n} rows already; migrate-data moves into an empty database only",
                crate::config::redact_url(to)
            )));
        }
    }

    // one snapshot of the source, one transaction in the target
    sqlx::query("BEGIN").execute(&mut *snapshot).await?;
    let mut tx = target.begin().await?;
    sqlx::query("SET CONSTRAINTS ALL DEFERRED").execute(&mut *tx).await?;
    let mut rows = Vec::new();
    for table in TABLES {
        if table == "pack_unit_stats" {
            // the triggers counted the deliveries, acknowledgements and reports as they came in;
            // the totals are the source's own, copied as they are (they also hold what no row
            // tells: the cells not connected when a pack went out)
            sqlx::query("DELETE FROM pack_unit_stats").execute(&mut *tx).await?;
        }
        let n = copy_table(&mut snapshot, &mut tx, table).await.with_context(|| format!("failed to copy {table}"))?;
        rows.push((table, n));
    }
    // identities past the highest id copied
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, column) in identities {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )))
        .execute(&mut *tx)
        .await?;
    }
    // the checks, both sides, before anything is committed
    for (table, n) in &rows {
        let there: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *tx)
            .await?;
        if there != *n {
            anyhow::bail!("table {table}: {n} rows read, {there} in PostgreSQL; nothing was moved");
        }
    }
    let mut checks = Vec::new();
    for (name, sql) in CHECKS {
        let here: String =
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.replace("string_agg(x, ',')", "group_concat(x, ',')")))
                .fetch_one(&mut *snapshot)
                .await?;
        let there: String = sqlx::query_scalar(sql).fetch_one(&mut *tx).await?;
        if here != there {
            anyhow::bail!("{name}: {here:?} in SQLite, {there:?} in PostgreSQL; nothing was moved");
        }
        checks.push((name, here));
    }
    tx.commit().await.context("PostgreSQL refused the moved data at commit (its foreign keys)")?;
    sqlx::query("COMMIT").execute(&mut *snapshot).await?;
    Ok(Moved { rows, checks })
}

/// Copies one table; returns its rows.
async fn copy_table(
    source: &mut sqlx::SqliteConnection,
    target: &mut sqlx::PgConnection,
    table: &'static str,
) -> anyhow::Result<i64> {
    // the target's columns and their types decide how each value is read
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *target)
    .await?;
    let list = columns.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
    let order = if columns.iter().any(|(c, _)| c == "id") { "id" } else { "1" };
    // at most 65,535 parameters to a statement; rows read a batch at a time, never the whole
    // table in memory (a province's deliveries grow by hundreds of thousands a year)
    let per_statement = (60_000 / columns.len().max(1)).clamp(1, 5_000);
    let select = format!("SELECT {list} FROM {table} ORDER BY {order}");
    let mut found = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut *source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_statement);
    let mut copied = 0i64;
    loop {
        let row = found.try_next().await?;
        if let Some(row) = &row {
            let mut out = Vec::with_capacity(columns.len());
            for (c, (name, kind)) in columns.iter().enumerate() {
                let wrong = |e: sqlx::Error| anyhow::anyhow!("row {} column {name} ({kind}): {e}", copied + 1);
                out.push(match kind.as_str() {
                    "bigint" | "integer" | "smallint" => Value::Int(row.try_get(c).map_err(wrong)?),
                    "bytea" => Value::Bytes(row.try_get(c).map_err(wrong)?),
                    _ => Value::Text(row.try_get(c).map_err(wrong)?),
                });
            }
            batch.push(out);
            copied += 1;
        }
        if batch.len() == per_statement || (row.is_none() && !batch.is_empty()) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("INSERT INTO {table} ({list}) "));
            insert.push_values(batch.drain(..), |mut b, row| {
                for v in row {
                    match v {
                        Value::Int(x) => b.push_bind(x),
                        Value::Text(x) => b.push_bind(x),
                        Value::Bytes(x) => b.push_bind(x),
                    };
                }
            });
            insert.build().execute(&mut *target).await?;
        }
        if row.is_none() {
            return Ok(copied);
        }
    }
}

/// The moved rows as a short table for the operator.
pub fn describe(m: &Moved) -> String {
    let mut out = String::new();
    let width = m.rows.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    for (table, n) in &m.rows {
        out.push_str(&format!("  {table:<width$}  {n}\n"));
    }
    let by: BTreeMap<_, _> = m.checks.iter().cloned().collect();
    for (name, value) in by {
        out.push_str(&format!("  {name}: {}\n", if value.is_empty() { "(none)" } else { &value }));
    }
    out
}
