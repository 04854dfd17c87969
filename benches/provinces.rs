//! `cargo bench --bench provinces`: the whole country in one `loa serve --provinces` process,
//! and side by side in one `loa serve` process per province.
//!
//! 34 provinces by default (`--provinces N`), each with `--cells C` cells (default 500) bound to
//! chats of its own simulated bot (one `loa sim` process per province, each with its own token and
//! enforcing Telegram's free 30 messages a second), and a monthly pack with one document scheduled
//! for all of them at the same moment. Two runs, each with a fresh setup, one JSON line each
//! (`--one-process`: the first only): `"processes": "one"` (the release binary's `serve
//! --provinces`) and `"processes": "one per province"` (34 `serve`s, each with its province's
//! file as `--config`). Printed: the serve processes' CPU together and their resident memory
//! together (sampled every 200 ms; `peak_rss_mb_sampled`, and `_pss_` the same counting the
//! pages the processes share once) idle after start (ten seconds) and over
//! the broadcasts; the wall time from scheduling until every province's broadcast closed, against
//! its floor (a province's messages at 30/s: the provinces send side by side, so the floor is one
//! province's); 429s, lost and doubled messages. The simulators' own CPU is theirs, not counted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "province/mod.rs"]
#[allow(dead_code)]
mod province;

/// The CPU (user + system, ms) the process `pid` has spent, from /proc.
fn cpu_ms_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // the fields after the command's name, which is in parentheses and may hold spaces
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    // SAFETY: sysconf has no preconditions
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) * 1000.0 / hz
}

/// VmHWM or VmRSS of `pid`, in MB.
fn memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

struct Sim {
    child: Child,
    url: String,
    token: String,
}

fn start_sim(i: usize) -> Sim {
    let token = format!("{}:bench-province-{i}", 7_100_000_000u64 + i as u64);
    let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(["sim", "--listen", "127.0.0.1:0", "--token", &token])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("loa sim starts");
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    std::thread::spawn(move || for _ in out.lines() {});
    Sim { child, url, token }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let provinces = province::arg(&args, "--provinces", 34) as usize;
    let cells = province::arg(&args, "--cells", 500) as usize;
    // side by side: the provinces in one process, then each in a process of its own
    for separate in [false, true] {
        if args.iter().any(|a| a == "--one-process") && separate {
            continue;
        }
        println!("{}", run(provinces, cells, separate).await);
    }
}

/// The resident memory of `pids` together, in MB.
fn rss_sum(pids: &[u32]) -> f64 {
    pids.iter().map(|p| memory_mb(*p, "VmRSS:")).sum()
}

/// Their proportional set size together, in MB: memory shared between them (the binary's pages)
/// counted once in all, where the resident sizes count it once per process.
fn pss_sum(pids: &[u32]) -> f64 {
    pids.iter()
        .map(|p| {
            let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
            rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(0.0)
        })
        .sum()
}

async fn run(provinces: usize, cells: usize, separate: bool) -> Value {
    let rate = 30u32;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let folder = dir.path().join("provinces");
    std::fs::create_dir_all(&folder).unwrap();
    let mut sims = Vec::new();
    let mut pools = Vec::new();
    let mut ports = Vec::new();
    let mut held = Vec::new();
    for i in 0..provinces {
        let sim = start_sim(i);
        let limits = json!({"enforce": true, "global_per_sec": rate, "per_chat_per_sec": 1, "per_chat_burst": 3,
                            "per_group_per_min": 20, "edits_count": true, "slack_ms": 50});
        http.put(format!("{}/_sim/limits", sim.url)).json(&limits).send().await.unwrap();
        let users: Value = http
            .post(format!("{}/_sim/users/bulk", sim.url))
            .json(&json!({"count": cells, "started": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let users: Vec<i64> = users["result"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let name = format!("tinh-{i:02}");
        let db = format!("sqlite://{}/{name}/loa.db", dir.path().display());
        let pool = loa::db::open(&db).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        for (c, u) in users.iter().enumerate() {
            sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, created_at, updated_at) VALUES ($1, $2, 'Phường 1', 'active', $3, 'private', 0, 0)")
                .bind(format!("P{i:02}-{c:05}"))
                .bind(format!("Chi bộ {c}"))
                .bind(u)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
        let (sha, stored) = loa::packs::store::store_bytes(&config, b"%PDF-1.4 dinh huong thang").unwrap();
        let draft = loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Urgent,
            None,
            "Định hướng tuyên truyền tháng 12",
            "Nội dung định hướng.",
        );
        let doc = loa::packs::store::NewAttachment {
            name: "dinh-huong.pdf".into(),
            size: 25,
            mime: "application/pdf".into(),
            sha256: sha,
            local_path: Some(stored.to_string_lossy().to_string()),
            telegram_file_id: None,
            telegram_file_unique_id: None,
        };
        let pack = loa::packs::store::insert(&pool, &draft, &[doc], loa::audit::Actor::Cli).await.unwrap();
        // below the system's range of ports for outgoing connections (which the hundreds of
        // connections to the simulators draw from), and held until every province has its own
        let listener = (21_000u16..30_000)
            .skip(held.len())
            .find_map(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
            .expect("a free port");
        let port = listener.local_addr().unwrap().port();
        held.push(listener);
        std::fs::write(
            folder.join(format!("{name}.toml")),
            format!(
                "[telegram]\napi_url = \"{}\"\n[database]\nurl = \"{db}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
                sim.url
            ),
        )
        .unwrap();
        pools.push((pool, pack, config));
        ports.push(port);
        sims.push(sim);
    }
    drop(held);
    // one process for all, or one per province (each with its province's file as its --config)
    let clean = |c: &mut Command| {
        c.current_dir(dir.path()).env("RUST_LOG", "warn");
        for (k, _) in std::env::vars() {
            if k.starts_with("LOA_") || k == "TELOXIDE_TOKEN" {
                c.env_remove(k);
            }
        }
    };
    let mut children: Vec<Child> = Vec::new();
    if separate {
        for (i, sim) in sims.iter().enumerate() {
            let mut c = Command::new(env!("CARGO_BIN_EXE_loa"));
            clean(&mut c);
            c.args(["--config", &format!("provinces/tinh-{i:02}.toml"), "serve"])
                .env("LOA_TELEGRAM__TOKEN", &sim.token);
            children.push(c.spawn().expect("loa serve starts"));
        }
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_loa"));
        clean(&mut c);
        c.args(["serve", "--provinces", "provinces"]);
        for (i, sim) in sims.iter().enumerate() {
            c.env(format!("LOA_TOKEN_TINH_{i:02}"), &sim.token);
        }
        children.push(c.spawn().expect("loa serve starts"));
    }
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let cpu = |pids: &[u32]| pids.iter().map(|p| cpu_ms_of(*p)).sum::<f64>();
    // started: every province's /healthz says ok (its bot reached, its scheduler stepping)
    let started = Instant::now();
    loop {
        let mut ready = 0;
        for port in &ports {
            let ok = match http.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
                Ok(r) => r.json::<Value>().await.is_ok_and(|b| b["status"] == "ok"),
                Err(_) => false,
            };
            ready += usize::from(ok);
        }
        if ready == provinces {
            break;
        }
        for c in &mut children {
            if let Ok(Some(status)) = c.try_wait() {
                panic!("a loa serve process ended at start ({status}): see its error above");
            }
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the provinces did not all start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_cpu0 = cpu(&pids);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_cpu_ms_per_s = (cpu(&pids) - idle_cpu0) / 10.0;
    let idle_rss = rss_sum(&pids);
    let idle_pss = pss_sum(&pids);

    // every province's pack, scheduled now, at the same moment
    let cpu0 = cpu(&pids);
    let mut peak = idle_rss;
    let mut peak_pss = idle_pss;
    let sending = Instant::now();
    for (pool, pack, config) in &pools {
        let (now, when) = (chrono::Utc::now(), loa::packs::store::When::Now);
        loa::packs::store::schedule(pool, config, *pack, when, now, loa::audit::Actor::Cli).await.unwrap().unwrap();
    }
    loop {
        let mut open = 0i64;
        for (pool, _, _) in &pools {
            let o: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts WHERE state <> 'done'")
                .fetch_one(pool)
                .await
                .unwrap();
            let started: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts").fetch_one(pool).await.unwrap();
            open += o + i64::from(started == 0);
        }
        // the processes' memory together, sampled (each one's own peak may fall at other moments)
        peak = peak.max(rss_sum(&pids));
        peak_pss = peak_pss.max(pss_sum(&pids));
        if open == 0 {
            break;
        }
        assert!(sending.elapsed() < Duration::from_secs(1800), "the broadcasts did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let wall = sending.elapsed().as_secs_f64();
    let cpu = cpu(&pids) - cpu0;
    let (mut http_429, mut lost, mut duplicates) = (0u64, 0u64, 0u64);
    for sim in &sims {
        let stats: Value = http.get(format!("{}/_sim/stats", sim.url)).send().await.unwrap().json().await.unwrap();
        http_429 += stats["result"]["http_429"].as_u64().unwrap_or(0);
        for (n, c) in stats["result"]["chats_by_bot_messages"].as_object().unwrap() {
            let (n, c) = (n.parse::<u64>().unwrap(), c.as_u64().unwrap());
            if n < 2 {
                lost += c;
            }
            duplicates += n.saturating_sub(2) * c;
        }
    }
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    for mut sim in sims {
        let _ = sim.child.kill();
        let _ = sim.child.wait();
    }
    let messages = provinces * cells * 2;
    let floor = (cells * 2) as f64 / f64::from(rate);
    json!({
            "processes": if separate { "one per province" } else { "one" },
            "provinces": provinces,
            "cells_per_province": cells,
            "messages": messages,
            "rate_per_province": rate,
            "start_s": (start_s * 100.0).round() / 100.0,
            "idle_cpu_ms_per_s": (idle_cpu_ms_per_s * 100.0).round() / 100.0,
            "idle_rss_mb": (idle_rss * 10.0).round() / 10.0,
            "floor_s": (floor * 100.0).round() / 100.0,
            "wall_s": (wall * 100.0).round() / 100.0,
            "ratio": (wall / floor * 1000.0).round() / 1000.0,
            "messages_per_s": (messages as f64 / wall).round(),
            "cpu_ms_per_1k_messages": (cpu / messages as f64 * 1000.0).round(),
            "cpu_cores_while_sending": (cpu / 1000.0 / wall * 100.0).round() / 100.0,
            "peak_rss_mb_sampled": (peak * 10.0).round() / 10.0,
            "idle_pss_mb": (idle_pss * 10.0).round() / 10.0,
            "peak_pss_mb_sampled": (peak_pss * 10.0).round() / 10.0,
            "http_429": http_429,
            "lost": lost,
            "duplicates": duplicates,
    })
}
