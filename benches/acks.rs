//! `cargo bench --bench acks`: an acknowledgement flood. 10,000 cells have the pack's message;
//! their members press `✅ Đã nhận` within a few seconds, and Loa (a real `serve_with`, polling
//! getUpdates in batches of 100) records each acknowledgement, answers the press and edits the
//! buttons. The simulator runs in this process and enforces Telegram's limits (the overall rate
//! at 1000/s, paid broadcast; 1 message a second per chat, edits included).
//!
//! The presses come a thousand every 100 ms (10,000 a second offered).
//! One JSON line: `acks` recorded, `acks_per_s` (from the first press to the last acknowledgement
//! stored, counted every 20 ms; `last_ack_s` is that time), `p50_ms` / `p99_ms` (from a press to
//! its answer's arrival at the simulator, as the simulator timed it), `lost`
//! (presses without an acknowledgement), `http_429`, and how long the button edits took to
//! finish. `-- --cells N` to change the size; `ACKS_TIMELINE=1` prints the queue of updates and
//! the acknowledgements every 100 ms on stderr.

use std::time::{Duration, Instant};

use loa::audit::Actor;
use loa::sim::{RateLimits, Sim};
use serde_json::json;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 10.0).round() / 10.0
}

#[tokio::main]
async fn main() {
    loa::tune_allocator();
    let args: Vec<String> = std::env::args().collect();
    let cells: usize = args
        .iter()
        .position(|a| a == "--cells")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("--cells is a number"))
        .unwrap_or(10_000);

    if std::env::var_os("RUST_LOG").is_some() {
        loa::logging::init();
    }
    let sim = std::sync::Arc::new(Sim::start_default().await.unwrap());
    sim.set_limits(RateLimits { enforce: true, global_per_sec: 1000, ..RateLimits::default() });
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, Some((&sim.url(), &sim.token())), Some(1000)).unwrap();
    let pool = loa::db::open(&db).await.unwrap();

    // the cells, each a secretary's private chat
    let mut users = Vec::with_capacity(cells);
    let mut tx = pool.begin().await.unwrap();
    for i in 0..cells {
        let u = sim.create_user(&format!("Bí thư {i}"), None);
        sim.open_private_chat(u);
        sqlx::query("INSERT INTO cells (code, name, district, status, chat_id, chat_type, created_at, updated_at) VALUES ($1, $2, 'Na Rì', 'active', $3, 'private', 0, 0)")
            .bind(format!("A-{i:06}"))
            .bind(format!("Chi bộ {i}"))
            .bind(u)
            .execute(&mut *tx)
            .await
            .unwrap();
        users.push(u);
    }
    tx.commit().await.unwrap();

    let stop = tokio_util::sync::CancellationToken::new();
    let serve = tokio::spawn(loa::app::serve_with(config.clone(), stop.clone(), Default::default()));

    // the pack reaches every cell (a message with its buttons, no documents)
    let draft =
        loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, "Thông báo", "Nội dung");
    let pack = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
    loa::packs::store::schedule(&pool, &config, pack, loa::packs::store::When::Now, chrono::Utc::now(), Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let status: String =
            sqlx::query_scalar("SELECT status FROM packs WHERE id = $1").bind(pack).fetch_one(&pool).await.unwrap();
        if status == "sent" {
            break;
        }
        assert!(Instant::now() < deadline, "the pack was not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deliveries: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, chat_id, ack_message_id FROM deliveries WHERE state = 'sent' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(deliveries.len(), cells);
    // let the pack's sends leave the per-chat windows
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_429 = sim.calls().iter().filter(|c| c.error_code == Some(429)).count();

    // the flood: every cell presses within about a second, a thousand every 100 ms, while the
    // acknowledgements stored are counted every 20 ms
    let start = Instant::now();
    let presser = {
        let sim = sim.clone();
        tokio::spawn(async move {
            for chunk in deliveries.chunks(1000) {
                for (id, chat, message) in chunk {
                    sim.press_button(*chat, *chat, *message, &format!("a:{id}")).unwrap();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            start.elapsed().as_secs_f64()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last_ack = None;
    loop {
        let acks: i64 = sqlx::query_scalar("SELECT count(*) FROM acks").fetch_one(&pool).await.unwrap();
        if std::env::var_os("ACKS_TIMELINE").is_some() {
            eprintln!(
                "{:>6.2} s: updates waiting {:>6}, acks {:>6}",
                start.elapsed().as_secs_f64(),
                sim.pending_updates(),
                acks,
            );
        }
        if acks as usize >= cells {
            last_ack = Some(start.elapsed().as_secs_f64());
            break;
        }
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pressing_s = presser.await.unwrap();
    // every press's answer, timed by the simulator from the press to the answer's arrival
    let answers_deadline = Instant::now() + Duration::from_secs(60);
    let answers = loop {
        let answers = sim.callback_answers();
        if answers.len() >= cells || Instant::now() > answers_deadline {
            break answers;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let acks: i64 = sqlx::query_scalar("SELECT count(*) FROM acks").fetch_one(&pool).await.unwrap();
    let mut latencies: Vec<f64> = answers.iter().map(|a| a.after.as_secs_f64() * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);

    // the buttons' edits finish within the limits
    let edits_deadline = Instant::now() + Duration::from_secs(300);
    let edits = loop {
        let edits = sim.call_count("editMessageReplyMarkup");
        if edits >= cells || Instant::now() > edits_deadline {
            break edits;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let edits_s = start.elapsed().as_secs_f64();
    let http_429 = sim.calls().iter().filter(|c| c.error_code == Some(429)).count() - before_429;
    stop.cancel();
    let _ = serve.await;

    let window = last_ack.unwrap_or(f64::INFINITY);
    println!(
        "{}",
        json!({
            "cells": cells,
            "acks": acks,
            "pressing_s": (pressing_s * 100.0).round() / 100.0,
            "acks_per_s": ((acks as f64 / window) * 10.0).round() / 10.0,
            "last_ack_s": (window * 100.0).round() / 100.0,
            "answered": answers.len(),
            "p50_ms": percentile(&latencies, 0.5),
            "p99_ms": percentile(&latencies, 0.99),
            "lost": cells as i64 - acks,
            "http_429": http_429,
            "buttons_edited": edits,
            "edits_done_s": (edits_s * 10.0).round() / 10.0,
        })
    );
}
