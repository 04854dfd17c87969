//! `cargo bench --bench broadcast`: how close a broadcast comes to Telegram's floor.
//!
//! Loa's delivery worker runs in this process against the Bot API simulator in another (`loa sim`),
//! so that the memory and CPU measured are Loa's own. One JSON line per run. By default three runs:
//! 2,000 cells at 30/s and 10,000 cells at 1000/s with the simulator enforcing those rates, and
//! 100,000 cells with the simulator unlimited and Loa's own overall limit lifted (each chat's one
//! message a second still kept): the ceiling of Loa's pipeline; each in a process of its own; then the peer, `"peer": "teloxide-throttle"`: the same pack to the same number of
//! chats sent by a plain loop over teloxide's `Throttle` adaptor, at 30/s and 1000/s, for the
//! ratio Loa/peer side by side. `--cells N --rate R|unlimited [--peer teloxide-throttle]` makes one
//! run. After each broadcast the worker is
//! left with nothing to do for ten seconds: `idle_cpu_ms_per_s` is what it costs then.
//! `--database postgres` (with `LOA_TEST_POSTGRES`) runs Loa's side on a fresh PostgreSQL
//! database instead of a SQLite file.
//! `peak_rss_mb` counts from the broadcast's start (the benchmark's own setup, making the simulated
//! users and the cells, is left out); CPU is the process's own (user + system) over the broadcast.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loa::audit::Actor;
use serde_json::{Value, json};

fn cpu_ms() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(u.ru_utime) + ms(u.ru_stime)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Starts the peak resident memory (VmHWM) over from the memory resident now.
fn reset_peak_rss() {
    // "5" to clear_refs resets the high-water mark (Linux 4.0 and later)
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("the peak memory could not be reset ({e}): it counts the benchmark's setup too");
    }
}

async fn run(cells: usize, rate: Option<u32>, peer: bool) -> Value {
    // the simulator, in its own process
    let mut sim = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["sim", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("loa sim starts");
    let mut first = String::new();
    let mut out = BufReader::new(sim.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    std::thread::spawn(move || for _ in out.lines() {});
    let http = reqwest::Client::new();
    let limits = match rate {
        Some(r) => {
            json!({"enforce": true, "global_per_sec": r, "per_chat_per_sec": 1, "per_chat_burst": 3, "per_group_per_min": 20, "edits_count": true, "slack_ms": 50})
        }
        None => {
            json!({"enforce": false, "global_per_sec": 1000, "per_chat_per_sec": 1, "per_chat_burst": 3, "per_group_per_min": 20, "edits_count": true, "slack_ms": 50})
        }
    };
    http.put(format!("{url}/_sim/limits")).json(&limits).send().await.unwrap();
    let users: Value = http
        .post(format!("{url}/_sim/users/bulk"))
        .json(&json!({"count": cells, "started": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let users: Vec<i64> = users["result"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    if peer {
        return throttle_peer(&url, &http, &mut sim, users, rate).await;
    }

    // Loa's side: a database with the cells bound to those chats, and a pack with one document
    let dir = tempfile::tempdir().unwrap();
    let (db, database) = database_url(dir.path()).await;
    let pool = loa::db::open(&db).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (i, u) in users.iter().enumerate() {
        sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, created_at, updated_at) VALUES ($1, $2, 'Na Rì', 'active', $3, 'private', 0, 0)")
            .bind(format!("B-{i:06}"))
            .bind(format!("Chi bộ {i}"))
            .bind(u)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    drop(users);
    let per_second = rate.unwrap_or(1000);
    let mut config = loa::config::Config::for_simulator(&db, Some((&url, "")), Some(per_second)).unwrap();
    config.data_dir = dir.path().to_path_buf();
    let config = Arc::new(config);
    let pdf = dir.path().join("ke-hoach.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 benchmark document").unwrap();
    let (sha, stored) = loa::packs::store::store_bytes(&config, &std::fs::read(&pdf).unwrap()).unwrap();
    let draft =
        loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, "Thông báo", "Nội dung");
    let doc = loa::packs::store::NewAttachment {
        name: "ke-hoach.pdf".into(),
        size: 27,
        mime: "application/pdf".into(),
        sha256: sha,
        local_path: Some(stored.to_string_lossy().to_string()),
        telegram_file_id: None,
        telegram_file_unique_id: None,
    };
    let pack = loa::packs::store::insert(&pool, &draft, &[doc], Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0 WHERE id = $1")
        .bind(pack)
        .execute(&pool)
        .await
        .unwrap();

    // the client `loa serve` builds (its connection pool)
    let token = secrecy::SecretString::from(loa::sim::DEFAULT_TOKEN.to_string());
    let bot = loa::app::build_bot(&config, &token).unwrap();
    // with the simulator unlimited, Loa's own overall limit is lifted too (each chat's second
    // between messages still holds): what its pipeline can carry
    let limiter = Arc::new(match rate {
        Some(r) => loa::telegram::limiter::Limiter::new(r),
        None => loa::telegram::limiter::Limiter::unlimited(),
    });
    let worker = Arc::new(loa::delivery::worker::Worker::new(
        pool.clone(),
        bot,
        config.clone(),
        Arc::new(loa::i18n::Catalog::new()),
        limiter.clone(),
        Default::default(),
    ));
    let stop = tokio_util::sync::CancellationToken::new();
    // the peak counts from here: the simulated users and cells the benchmark made are not Loa's
    tokio::time::sleep(Duration::from_millis(200)).await;
    reset_peak_rss();
    let cpu0 = cpu_ms();
    let started = Instant::now();
    let b = loa::delivery::broadcast::start(&pool, pack, Actor::System, loa::dates::now()).await.unwrap().unwrap();
    // as `loa serve` runs it: on a thread of its own, with a single-threaded runtime
    let task = worker.clone().start(stop.clone()).unwrap();
    // done when the worker closes the broadcast. The watching is the benchmark's, not Loa's, but
    // its CPU counts in the process's: with the simulator enforcing the rate the broadcast cannot
    // end before the floor, so it looks once a second until 95 % of it, then every 50 ms (a read
    // every 50 ms from the start was 5-10 % of the CPU measured at 1000/s)
    let floor = Duration::from_secs_f64(cells as f64 * 2.0 / f64::from(rate.unwrap_or(u32::MAX)));
    loop {
        let look = floor
            .mul_f64(0.95)
            .saturating_sub(started.elapsed())
            .clamp(Duration::from_millis(50), Duration::from_secs(1));
        let state: String = sqlx::query_scalar("SELECT state FROM broadcasts WHERE id = $1")
            .bind(b.broadcast_id)
            .fetch_one(&pool)
            .await
            .unwrap();
        if state == "done" {
            break;
        }
        tokio::time::sleep(look).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_ms() - cpu0;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the broadcast closed with deliveries left");
    // the worker with nothing to do: its CPU over ten seconds
    let idle_cpu0 = cpu_ms();
    let idle = Instant::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_cpu_ms_per_s = (cpu_ms() - idle_cpu0) / idle.elapsed().as_secs_f64();
    stop.cancel();
    task.await.unwrap();

    let stats: Value = http.get(format!("{url}/_sim/stats")).send().await.unwrap().json().await.unwrap();
    let by = &stats["result"]["chats_by_bot_messages"];
    let lost: u64 = by
        .as_object()
        .unwrap()
        .iter()
        .filter(|(n, _)| n.parse::<u64>().unwrap() < 2)
        .map(|(_, c)| c.as_u64().unwrap())
        .sum();
    let duplicates: u64 = by
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, c)| n.parse::<u64>().unwrap().saturating_sub(2) * c.as_u64().unwrap())
        .sum();
    let _ = sim.kill();
    let _ = sim.wait();
    let mut line = figures(cells, rate, wall, cpu, &stats);
    line.extend([
        ("lost".to_string(), json!(lost)),
        ("duplicates".to_string(), json!(duplicates)),
        ("idle_cpu_ms_per_s".to_string(), json!((idle_cpu_ms_per_s * 100.0).round() / 100.0)),
        ("database".to_string(), json!(database)),
        // sends woken more than the limiter's LATE after their tick (each gave its place up)
        ("late_wakeups".to_string(), json!(limiter.late_wakeups().0)),
        ("latest_wakeup_ms".to_string(), json!(limiter.late_wakeups().1.as_millis())),
    ]);
    Value::Object(line)
}

/// The same pack (one document, then the message) to the same chats, sent the way a Rust developer
/// would without Loa: teloxide's `Throttle` adaptor at the same rate, every chat's two sends
/// spawned at once (Throttle queues them in memory); nothing written down, no retries of its own.
async fn throttle_peer(
    url: &str,
    http: &reqwest::Client,
    sim: &mut std::process::Child,
    users: Vec<i64>,
    rate: Option<u32>,
) -> Value {
    use teloxide::prelude::*;
    use teloxide::types::{InputFile, ParseMode};
    let per_second = rate.unwrap_or(1000);
    let limits = teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1,
        messages_per_min_chat: 20,
        messages_per_min_channel_or_supergroup: 20,
        messages_per_sec_overall: per_second,
    };
    let bot = teloxide::Bot::new(loa::sim::DEFAULT_TOKEN).set_api_url(url.parse().unwrap()).throttle(limits);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("ke-hoach.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 benchmark document").unwrap();
    let cells = users.len();
    reset_peak_rss();
    let cpu0 = cpu_ms();
    let started = Instant::now();
    // the first chat uploads the document; the rest send it by file_id
    let first = bot.send_document(ChatId(users[0]), InputFile::file(&pdf)).await.unwrap();
    let file_id = first.document().unwrap().file.id.clone();
    bot.send_message(ChatId(users[0]), "<b>Thông báo</b>\n\nNội dung").parse_mode(ParseMode::Html).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for u in users.into_iter().skip(1) {
        let bot = bot.clone();
        let file_id = file_id.clone();
        tasks.spawn(async move {
            let sent = bot.send_document(ChatId(u), InputFile::file_id(file_id)).await.is_ok();
            let text = bot.send_message(ChatId(u), "<b>Thông báo</b>\n\nNội dung").parse_mode(ParseMode::Html).await;
            sent && text.is_ok()
        });
    }
    let mut failed = 0;
    while let Some(ok) = tasks.join_next().await {
        if !ok.unwrap_or(false) {
            failed += 1;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_ms() - cpu0;
    let stats: Value = http.get(format!("{url}/_sim/stats")).send().await.unwrap().json().await.unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    let mut line = serde_json::Map::from_iter([("peer".to_string(), json!("teloxide-throttle"))]);
    line.extend(figures(cells, rate, wall, cpu, &stats));
    line.insert("failed_cells".to_string(), json!(failed));
    Value::Object(line)
}

/// Loa's database for a run, and its backend's name: a SQLite file in `dir`, or with
/// `--database postgres` a fresh database on the server `LOA_TEST_POSTGRES` names (as the tests
/// use it; the server's own CPU is not in the figures, only Loa's).
async fn database_url(dir: &std::path::Path) -> (String, &'static str) {
    let args: Vec<String> = std::env::args().collect();
    let asked = args.iter().position(|a| a == "--database").and_then(|i| args.get(i + 1)).cloned();
    match asked.as_deref() {
        None | Some("sqlite") => (format!("sqlite://{}/loa.db", dir.display()), "sqlite"),
        Some("postgres") => {
            use sqlx::{Connection, Executor};
            let server = std::env::var("LOA_TEST_POSTGRES").expect("--database postgres needs LOA_TEST_POSTGRES");
            let name = format!("loa_bench_{}_{}", std::process::id(), rand::random::<u32>());
            let mut conn = sqlx::PgConnection::connect(&server).await.expect("the PostgreSQL server answers");
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
            let mut url = url::Url::parse(&server).unwrap();
            url.set_path(&format!("/{name}"));
            (url.to_string(), "postgres")
        }
        Some(other) => panic!("--database {other:?}: sqlite or postgres"),
    }
}

/// The keys every run prints, Loa's and the peer's: two messages a cell against the floor at `rate`
/// (1000/s when the simulator is unlimited), the wall time, the simulator's 429s, CPU and memory.
fn figures(cells: usize, rate: Option<u32>, wall: f64, cpu: f64, stats: &Value) -> serde_json::Map<String, Value> {
    let messages = cells * 2;
    let floor = messages as f64 / f64::from(rate.unwrap_or(1000));
    let line = json!({
        "cells": cells,
        "messages": messages,
        "rate": rate.map(Value::from).unwrap_or(json!("unlimited")),
        "floor_s": (floor * 100.0).round() / 100.0,
        "wall_s": (wall * 100.0).round() / 100.0,
        "ratio": (wall / floor * 1000.0).round() / 1000.0,
        "messages_per_s": (messages as f64 / wall).round(),
        "http_429": stats["result"]["http_429"],
        "cpu_ms_per_1k_messages": (cpu / messages as f64 * 1000.0).round(),
        "peak_rss_mb": (peak_rss_mb() * 10.0).round() / 10.0,
    });
    match line {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object"),
    }
}

#[tokio::main]
async fn main() {
    loa::tune_allocator();
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let peer = match arg("--peer").as_deref() {
        None => false,
        Some("teloxide-throttle") => true,
        Some(other) => panic!("--peer {other:?}: the only peer is teloxide-throttle"),
    };
    let runs: Vec<(usize, Option<u32>)> = match arg("--cells") {
        Some(n) => {
            let rate = match arg("--rate").as_deref() {
                None | Some("unlimited") => None,
                Some(r) => Some(r.parse().expect("--rate is a number or \"unlimited\"")),
            };
            vec![(n.parse().expect("--cells is a number"), rate)]
        }
        None => {
            // each run in a fresh process of its own, so that its peak memory is its own
            // Loa's three runs, then the peer side by side at the two enforced rates
            let loa = [("2000", "30"), ("10000", "1000"), ("100000", "unlimited")].map(|(c, r)| (c, r, None));
            let peer = [("2000", "30"), ("10000", "1000")].map(|(c, r)| (c, r, Some("teloxide-throttle")));
            for (cells, rate, peer) in loa.into_iter().chain(peer) {
                let mut args = vec!["--cells", cells, "--rate", rate];
                args.extend(peer.map(|p| ["--peer", p]).into_iter().flatten());
                let status = Command::new(std::env::current_exe().expect("the benchmark's own path"))
                    .args(args)
                    .status()
                    .expect("the benchmark runs itself");
                assert!(status.success(), "the run with {cells} cells (peer {peer:?}) failed");
            }
            return;
        }
    };
    for (cells, rate) in runs {
        println!("{}", run(cells, rate, peer).await);
    }
}
