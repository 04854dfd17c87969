//! `cargo bench --bench web`: how long the web desk's pages take on a big province (target: 50 ms
//! each at 100,000 cells).
//!
//! The province of the stats benchmark (`province/mod.rs`: 3,000 units, 100,000 cells, 6 packs
//! sent to all of them, most delivered, acknowledged and reported) and 30,000 situation reports;
//! `loa`'s own HTTP listener with the desk on it, signed in as an admin and as the officer of one
//! committee. Each page is asked for over HTTP on loopback (the whole answer read), the median of
//! nine runs after one to warm up. One JSON line. `-- --cells N --packs P` to change the size.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

#[path = "province/mod.rs"]
mod province;

fn median_ms(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2] * 10.0).round() / 10.0
}

/// A signed-in browser: its session cookie.
struct Session {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Session {
    async fn open(pool: &loa::db::DbPool, base: &str, user: i64) -> Session {
        let token = loa::web::auth::issue_link(pool, user, loa::dates::now()).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = http.post(format!("{base}/login")).form(&[("t", token)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "signed in");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        Session { http, base: base.to_string(), cookie }
    }

    /// The median time of a page, in ms, and its size in bytes.
    async fn page(&self, path: &str) -> (f64, usize) {
        let mut runs = Vec::new();
        let mut size = 0;
        for i in 0..10 {
            let t = Instant::now();
            let r = self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            size = r.bytes().await.unwrap().len();
            if i > 0 {
                runs.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        (median_ms(runs), size)
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: i64| province::arg(&args, name, default);
    let cells = arg("--cells", 100_000);
    let packs = arg("--packs", 6);

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let mut config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let admin = 42;
    config.admins.insert(admin);
    let pool = loa::db::open(&db).await.unwrap();
    let setup = Instant::now();
    let province::Province { committees, units } = province::seed(&pool, &config, cells, packs).await;
    let now = loa::dates::now();
    province::situations(&pool, 30_000, cells, now - 90 * 86_400, now).await;
    let setup_s = setup.elapsed().as_secs_f64();
    let officer = 43;
    let mut conn = pool.acquire().await.unwrap();
    let unit = loa::units::get(&mut conn, committees[4]).await.unwrap().unwrap();
    drop(conn);
    loa::staff::grant_unit(&pool, &config.admins, officer, &unit, loa::audit::Actor::Cli).await.unwrap().unwrap();

    // the desk on loa's own listener, with a bot that is never asked anything
    let config = Arc::new(config);
    let catalog = Arc::new(loa::i18n::Catalog::new());
    let bot = teloxide::Bot::new("0:bench").set_api_url("http://127.0.0.1:9/".parse().unwrap());
    let limiter = Arc::new(loa::telegram::limiter::Limiter::new(30));
    let ctx = Arc::new(loa::bot::Ctx::new(pool.clone(), config.clone(), bot, catalog, limiter));
    let slot = loa::web::Slot::new();
    slot.open(ctx, "loa_bench_bot".into());
    let stop = tokio_util::sync::CancellationToken::new();
    let listen = "127.0.0.1:0".parse().unwrap();
    let (addr, _server) = loa::ops::serve_http(listen, pool.clone(), None, Some(slot), stop.clone()).await.unwrap();
    let base = format!("http://{addr}");

    let last: i64 = sqlx::query_scalar("SELECT max(id) FROM packs").fetch_one(&pool).await.unwrap();
    let a = Session::open(&pool, &base, admin).await;
    let mut pages = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    for (name, path) in [
        ("overview", "/".to_string()),
        ("packs", "/packs".to_string()),
        ("pack_province", format!("/packs/{last}")),
        ("pack_one_committee", format!("/packs/{last}?unit={}", committees[4])),
        ("units_whole_tree", "/units".to_string()),
        ("unit_one_committee", format!("/units/{}", committees[4])),
        ("inbox", "/inbox".to_string()),
        ("audit", "/audit".to_string()),
        ("progress_json", "/progress.json".to_string()),
        ("compose", "/packs/new".to_string()),
    ] {
        let (ms, bytes) = a.page(&path).await;
        worst = worst.max(ms);
        pages.insert(format!("admin_{name}_ms"), json!(ms));
        pages.insert(format!("admin_{name}_kb"), json!(bytes / 1024));
    }
    let o = Session::open(&pool, &base, officer).await;
    for (name, path) in [
        ("overview", "/".to_string()),
        ("pack", format!("/packs/{last}")),
        ("units", "/units".to_string()),
        ("inbox", "/inbox".to_string()),
    ] {
        let (ms, bytes) = o.page(&path).await;
        worst = worst.max(ms);
        pages.insert(format!("officer_{name}_ms"), json!(ms));
        pages.insert(format!("officer_{name}_kb"), json!(bytes / 1024));
    }
    stop.cancel();
    if args.iter().any(|a| a == "--keep") {
        eprintln!("the database is kept: {}", dir.keep().join("loa.db").display());
    }
    let mut out = json!({
        "cells": cells,
        "units": units,
        "packs": packs,
        "situations": 30_000,
        "setup_s": (setup_s * 10.0).round() / 10.0,
    });
    out.as_object_mut().unwrap().extend(pages);
    out["slowest_page_ms"] = json!(worst);
    out["target_ms"] = json!(50);
    println!("{out}");
}
