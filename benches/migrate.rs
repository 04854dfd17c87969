//! `cargo bench --bench migrate`: `loa migrate-data` on a province of the stats benchmark's shape
//! (`--cells`, default 100,000, in 3,000 units; `--packs`, default 6, each sent to every cell,
//! most acknowledged and reported), from SQLite into an empty PostgreSQL database. Needs a server:
//! `LOA_TEST_POSTGRES` names a database there as a user who may create databases (as for the
//! tests). Prints one JSON line: rows moved, the time, rows a second, and the SQLite file's size.

use std::time::Instant;

use serde_json::json;

#[path = "province/mod.rs"]
#[allow(dead_code)]
mod province;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cells = province::arg(&args, "--cells", 100_000);
    let packs = province::arg(&args, "--packs", 6);
    let Ok(admin) = std::env::var("LOA_TEST_POSTGRES") else {
        eprintln!("LOA_TEST_POSTGRES is not set: no PostgreSQL server to move into");
        std::process::exit(2);
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    province::seed(&pool, &config, cells, packs).await;
    pool.close().await;
    let bytes = std::fs::metadata(dir.path().join("loa.db")).map(|m| m.len()).unwrap_or(0);

    let server = sqlx::PgPool::connect(&admin).await.expect("the PostgreSQL server answers");
    let name = format!("loa_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&server).await.unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));

    let started = Instant::now();
    let moved = loa::migrate_data::run(&db, url.as_str()).await.expect("migrate-data");
    let wall = started.elapsed().as_secs_f64();
    let rows: i64 = moved.rows.iter().map(|(_, n)| n).sum();
    let deliveries = moved.rows.iter().find(|(t, _)| *t == "deliveries").map(|(_, n)| *n).unwrap_or(0);
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&server).await.unwrap();
    println!(
        "{}",
        json!({
            "cells": cells,
            "packs": packs,
            "rows": rows,
            "deliveries": deliveries,
            "sqlite_mb": (bytes as f64 / 1e6 * 10.0).round() / 10.0,
            "wall_s": (wall * 100.0).round() / 100.0,
            "rows_per_s": (rows as f64 / wall).round(),
        })
    );
}
