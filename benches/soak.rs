//! `cargo bench --bench soak`: a long run with faults on, to see that Loa's memory, open files
//! and tasks stay flat.
//!
//! `loa serve` runs in a process of its own (so that what is measured is Loa alone) against the
//! Bot API simulator in this process, at 1000 messages/s (paid broadcast) with faults turned on
//! for the whole run: 5xx answers, HTML pages from the front proxy, dropped connections before and
//! after the request, slow answers, a 429 every minute, failing getUpdates. 10,000 cells across
//! Bắc Kạn's eight districts. Every minute a pack asking for a report goes to every cell; most
//! cells acknowledge within twenty seconds of receiving it, a few go through the report dialogue,
//! and forty seconds into each minute a board member sends `/remind`.
//!
//! Every ten seconds the resident memory, open files and threads of the `loa serve` process are
//! read from /proc and its tokio tasks from `/metrics`; the curve goes to stderr. At the end the
//! faults are cleared and everything is accounted for: every delivery sent, every press and every
//! report stored once. One JSON line on stdout.
//!
//! `-- --cells N --minutes M` change the size and length (default 10,000 cells, 10 minutes).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use loa::audit::Actor;
use loa::sim::{FaultKind, FaultRule, RateLimits, Sim};
use rand::{Rng, SeedableRng};
use serde_json::json;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)) {
        Some(v) => v.parse().unwrap_or_else(|_| panic!("{name} takes a number, not {v}")),
        None => default,
    }
}

fn fault(method: &str, probability: f64, remaining: Option<u32>, fault: FaultKind) -> FaultRule {
    FaultRule { method: Some(method.into()), chat_id: None, probability, remaining, fault }
}

/// The faults of the whole run.
fn faults(sim: &Sim) {
    for rule in [
        fault("sendmessage", 0.01, None, FaultKind::ServerError { status: 502 }),
        fault("sendmessage", 0.01, None, FaultKind::ServerError { status: 500 }),
        fault("sendmessage", 0.01, None, FaultKind::Drop),
        fault("sendmessage", 0.002, None, FaultKind::DropAfter),
        fault("sendmessage", 0.02, None, FaultKind::Slow { millis: 400 }),
        fault("answercallbackquery", 0.02, None, FaultKind::ServerError { status: 502 }),
        fault("answercallbackquery", 0.02, None, FaultKind::Slow { millis: 300 }),
        fault("editmessagereplymarkup", 0.02, None, FaultKind::ServerError { status: 500 }),
        fault("editmessagereplymarkup", 0.01, None, FaultKind::Drop),
        fault("getupdates", 0.01, None, FaultKind::ServerError { status: 502 }),
        fault("getupdates", 0.02, None, FaultKind::Drop),
        fault("getme", 0.05, None, FaultKind::Slow { millis: 2000 }),
    ] {
        sim.add_fault(rule);
    }
}

/// Whether a member's answer failed; says why when it did.
fn failed(done: Result<anyhow::Result<(bool, bool)>, tokio::task::JoinError>) -> bool {
    let why = match done {
        Ok(Ok(_)) => return false,
        Ok(Err(e)) => format!("{e:#}"),
        Err(e) => format!("the task ended: {e}"),
    };
    eprintln!("a member's answer failed: {why}");
    true
}

fn too_many() -> FaultRule {
    fault(
        "sendmessage",
        1.0,
        Some(1),
        FaultKind::Api { code: 429, description: "Too Many Requests: retry after 2".into(), retry_after: Some(2) },
    )
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    rss_mb: f64,
    fds: usize,
    threads: usize,
    tasks: f64,
    backlog: f64,
}

fn proc_status(pid: u32, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

async fn sample(http: &reqwest::Client, base: &str, pid: u32, start: Instant) -> Sample {
    let text = match http.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    Sample {
        t: start.elapsed().as_secs_f64(),
        rss_mb: proc_status(pid, "VmRSS:").unwrap_or(0.0) / 1024.0,
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0),
        threads: proc_status(pid, "Threads:").unwrap_or(0.0) as usize,
        tasks: metric(&text, "loa_tasks_alive"),
        backlog: metric(&text, "loa_backlog"),
    }
}

/// Least-squares slope of the resident memory, in MB per minute.
fn slope_mb_per_min(samples: &[Sample]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mt, mr) = (samples.iter().map(|s| s.t).sum::<f64>() / n, samples.iter().map(|s| s.rss_mb).sum::<f64>() / n);
    let cov: f64 = samples.iter().map(|s| (s.t - mt) * (s.rss_mb - mr)).sum();
    let var: f64 = samples.iter().map(|s| (s.t - mt).powi(2)).sum();
    if var == 0.0 { 0.0 } else { cov / var * 60.0 }
}

async fn scalar(pool: &loa::db::DbPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(pool).await.unwrap()
}

#[tokio::main]
async fn main() {
    loa::tune_allocator();
    let cells: usize = arg("--cells", 10_000);
    let minutes: f64 = arg("--minutes", 10.0);
    let cycle = Duration::from_secs(arg("--cycle", 60));
    let every = Duration::from_secs(arg("--every", 10));

    let sim = Arc::new(Sim::start_default().await.unwrap());
    sim.set_limits(RateLimits { enforce: true, global_per_sec: 1000, ..RateLimits::default() });
    let board = sim.create_user("Hoàng Thị Mai", None);
    sim.open_private_chat(board);

    // the registry: cells across a hundred committees, each a secretary's private chat
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let pool = loa::db::open(&db).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..cells {
        let district = format!("Đảng ủy xã số {}", i % loa::demo::COMMITTEES + 1);
        let u = sim.create_user(&format!("Bí thư {i}"), None);
        sim.open_private_chat(u);
        sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, created_at, updated_at) VALUES ($1, $2, $3, 'active', $4, 'private', 0, 0)")
            .bind(format!("C-{i:05}"))
            .bind(format!("Chi bộ thôn số {i}"))
            .bind(&district)
            .bind(u)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();

    // loa serve, in its own process
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.path().join("loa.log")).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loa"))
        .arg("serve")
        .env("RUST_LOG", "warn")
        .env("LOA_TELEGRAM__API_URL", sim.url())
        .env("LOA_TELEGRAM__TOKEN", sim.token())
        .env("LOA_DATABASE__URL", &db)
        .env("LOA_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("LOA_DELIVERY__PAID_BROADCAST", "true")
        .env("LOA_DELIVERY__MESSAGES_PER_SECOND", "1000")
        .env("LOA_STAFF__ADMINS", format!("[{board}]"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("loa serve starts");
    let pid = child.id().unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "loa serve did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    faults(&sim);

    // the cells answer whatever reaches them
    let planned_acks = Arc::new(AtomicUsize::new(0));
    let planned_reports = Arc::new(AtomicUsize::new(0));
    // each planned report's (delivery, chat): one not stored is shown with its chat's transcript
    let reporting: Arc<std::sync::Mutex<Vec<(i64, i64)>>> = Default::default();
    let answering = tokio_util::sync::CancellationToken::new();
    let answerer = {
        let (sim, pool, answering) = (sim.clone(), pool.clone(), answering.clone());
        let (planned_acks, planned_reports) = (planned_acks.clone(), planned_reports.clone());
        let reporting = reporting.clone();
        tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(9);
            // deliveries sent since the last look (a retried one is sent after later ones)
            let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
            let mut since = 0i64;
            let mut tasks = tokio::task::JoinSet::new();
            let mut failures = 0usize;
            // a member answers one pack at a time, as a person does: a pack that comes while they
            // are still answering the one before waits (two report dialogues run at once by one
            // member in one chat interleave: the second 📝 restarts the dialogue for its pack)
            let mut members: HashMap<i64, Arc<tokio::sync::Mutex<()>>> = HashMap::new();
            loop {
                let stopping = answering.is_cancelled();
                let looked = loa::dates::now();
                let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT d.id, d.chat_id, d.ack_message_id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
                     WHERE b.kind = 'pack' AND d.state = 'sent' AND d.sent_at >= $1 ORDER BY d.id",
                )
                .bind(since)
                .fetch_all(&pool)
                .await
                .unwrap();
                since = looked - 2;
                for (id, chat, message) in rows {
                    if !seen.insert(id) {
                        continue;
                    }
                    let report = rng.random_bool(0.02);
                    let ack = rng.random_bool(0.8);
                    if ack || report {
                        planned_acks.fetch_add(1, Ordering::Relaxed);
                    }
                    if report {
                        planned_reports.fetch_add(1, Ordering::Relaxed);
                        reporting.lock().unwrap().push((id, chat));
                    }
                    if !(ack || report) {
                        continue;
                    }
                    let plan = loa::demo::Plan {
                        chat,
                        user: chat,
                        message_id: message,
                        delivery_id: id,
                        ack,
                        report,
                        delay: Duration::from_millis(rng.random_range(0..20_000)),
                        attendance: rng.random_range(8..40),
                    };
                    let sim = sim.clone();
                    let member = members.entry(chat).or_default().clone();
                    tasks.spawn(async move {
                        let _one_at_a_time = member.lock().await;
                        loa::demo::answer(&sim, plan).await
                    });
                }
                while let Some(done) = tasks.try_join_next() {
                    if failed(done) {
                        failures += 1;
                    }
                }
                if stopping {
                    while let Some(done) = tasks.join_next().await {
                        if failed(done) {
                            failures += 1;
                        }
                    }
                    return failures;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    // the run: a pack a minute, /remind forty seconds into each minute, a 429 now and then
    let start = Instant::now();
    let length = Duration::from_secs_f64(minutes * 60.0);
    let mut samples: Vec<Sample> = Vec::new();
    let mut packs = Vec::new();
    let mut next_pack = start;
    let mut next_remind = start + cycle.mul_f64(2.0 / 3.0);
    let mut next_sample = start;
    eprintln!("{:>7} {:>8} {:>5} {:>8} {:>7} {:>8}", "t_s", "rss_mb", "fds", "threads", "tasks", "backlog");
    while start.elapsed() < length {
        let now = Instant::now();
        if now >= next_pack {
            let n = packs.len() + 1;
            let draft = loa::packs::folder::PackDraft {
                report_prompt: Some("Báo cáo kết quả quán triệt".into()),
                ..loa::packs::folder::PackDraft::plain(
                    loa::packs::period::PackKind::Urgent,
                    None,
                    &format!("Định hướng số {n}"),
                    "Nội dung <b>chính</b> của định hướng.",
                )
            };
            let id = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
            loa::packs::store::schedule(
                &pool,
                &config,
                id,
                loa::packs::store::When::Now,
                chrono::Utc::now(),
                Actor::Cli,
            )
            .await
            .unwrap()
            .unwrap();
            packs.push(id);
            sim.add_fault(too_many());
            next_pack += cycle;
        }
        if now >= next_remind {
            sim.send_text(board, board, "/remind").unwrap();
            next_remind += cycle;
        }
        if now >= next_sample {
            let s = sample(&http, &base, pid, start).await;
            eprintln!("{:>7.0} {:>8.1} {:>5} {:>8} {:>7} {:>8}", s.t, s.rss_mb, s.fds, s.threads, s.tasks, s.backlog);
            samples.push(s);
            next_sample += every;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // the faults clear; everything must be accounted for
    sim.clear_faults();
    let drain = Instant::now();
    loop {
        let open = scalar(&pool, "SELECT count(*) FROM packs WHERE status NOT IN ('sent', 'cancelled')").await;
        let backlog = scalar(&pool, "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')").await;
        if open == 0 && backlog == 0 {
            break;
        }
        assert!(drain.elapsed() < Duration::from_secs(600), "{open} packs and {backlog} deliveries still open");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    answering.cancel();
    let answer_failures = answerer.await.unwrap();
    let (acks_planned, reports_planned) =
        (planned_acks.load(Ordering::Relaxed) as i64, planned_reports.load(Ordering::Relaxed) as i64);
    let settle = Instant::now();
    while (scalar(&pool, "SELECT count(*) FROM acks").await < acks_planned
        || scalar(&pool, "SELECT count(DISTINCT delivery_id) FROM reports").await < reports_planned)
        && settle.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stored: std::collections::HashSet<i64> = sqlx::query_scalar("SELECT DISTINCT delivery_id FROM reports")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (delivery, chat) in reporting.lock().unwrap().iter().filter(|(d, _)| !stored.contains(d)) {
        eprintln!("a planned report was not stored: delivery {delivery}, chat {chat}; the chat's last messages:");
        let all = sim.messages(*chat);
        for m in all.iter().skip(all.len().saturating_sub(16)) {
            let who = if m.from_bot { "bot" } else { "member" };
            let text: String = m.text().or(m.source.as_deref()).unwrap_or("").chars().take(90).collect();
            eprintln!("  #{} {who}: {}", m.message_id, text.replace('\n', " / "));
        }
    }
    let last = sample(&http, &base, pid, start).await;
    eprintln!(
        "{:>7.0} {:>8.1} {:>5} {:>8} {:>7} {:>8}  (faults cleared, all answered)",
        last.t, last.rss_mb, last.fds, last.threads, last.tasks, last.backlog
    );
    samples.push(last);

    let pack_deliveries = scalar(
        &pool,
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'pack'",
    )
    .await;
    let not_sent = scalar(
        &pool,
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'pack' AND d.state <> 'sent'",
    )
    .await;
    let acks = scalar(&pool, "SELECT count(*) FROM acks").await;
    let reports = scalar(&pool, "SELECT count(DISTINCT delivery_id) FROM reports").await;
    let reminders =
        scalar(&pool, "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'reminder' AND d.state = 'sent'")
            .await;
    // duplicates: a pack's message in a chat more than once
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    let chats: Vec<i64> = sqlx::query_scalar("SELECT chat_id FROM cells").fetch_all(&pool).await.unwrap();
    for chat in chats {
        for m in sim.bot_messages(chat) {
            if m.reply_markup().is_some() && m.text().is_some_and(|t| t.contains("Định hướng số")) {
                let title = m.text().unwrap().lines().next().unwrap_or_default().to_string();
                *seen.entry((chat, title)).or_default() += 1;
            }
        }
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    let http_429 = sim.calls().iter().filter(|c| c.error_code == Some(429)).count();

    // stop loa serve as a service manager would, and read what it logged
    // SAFETY: kill sends a signal to the child we started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let stopped = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    let log = std::fs::read_to_string(dir.path().join("loa.log")).unwrap_or_default();
    let errors = log.lines().filter(|l| l.contains("ERROR")).count();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    if let Some(first_error) = log.lines().find(|l| l.contains("ERROR")) {
        eprintln!("first error logged: {first_error}");
    }
    // the log is kept for reading: what the warnings were, and around a member's failed answer
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("soak-loa.log");
    if std::fs::write(&kept, &log).is_ok() {
        eprintln!("loa's log: {}", kept.display());
    }

    // memory after the first two cycles (warm-up: caches, pools and buffers fill) against the end
    let warm: Vec<Sample> = samples.iter().filter(|s| s.t >= cycle.as_secs_f64() * 2.0).copied().collect();
    let during: Vec<Sample> = warm.iter().filter(|s| s.t <= length.as_secs_f64()).copied().collect();
    let rss_max = samples.iter().map(|s| s.rss_mb).fold(0.0, f64::max);
    let first = warm.first().copied().unwrap_or(samples[0]);
    let line = json!({
        "bench": "soak",
        "cells": cells,
        "minutes": minutes,
        "packs": packs.len(),
        "pack_deliveries": pack_deliveries,
        "not_sent": not_sent,
        "duplicates": duplicates,
        "acks": acks,
        "acks_planned": acks_planned,
        "reports": reports,
        "reports_planned": reports_planned,
        "reminders_sent": reminders,
        "answer_failures": answer_failures,
        "http_429": http_429,
        "rss_mb_warm": (first.rss_mb * 10.0).round() / 10.0,
        "rss_mb_end": (last.rss_mb * 10.0).round() / 10.0,
        "rss_mb_max": (rss_max * 10.0).round() / 10.0,
        "rss_slope_mb_per_min": (slope_mb_per_min(&during) * 100.0).round() / 100.0,
        "fds_warm": first.fds,
        "fds_end": last.fds,
        "fds_max": samples.iter().map(|s| s.fds).max().unwrap_or(0),
        "threads_warm": first.threads,
        "threads_end": last.threads,
        "tasks_warm": first.tasks,
        "tasks_end": last.tasks,
        "tasks_max": samples.iter().map(|s| s.tasks).filter(|t| t.is_finite()).fold(0.0, f64::max),
        "log_errors": errors,
        "log_warnings": warnings,
        "stopped_cleanly": matches!(stopped, Ok(Ok(s)) if s.success()),
        "rss_curve_mb": samples.iter().map(|s| (s.rss_mb * 10.0).round() / 10.0).collect::<Vec<f64>>(),
    });
    println!("{line}");
    std::io::stdout().flush().unwrap();
}
