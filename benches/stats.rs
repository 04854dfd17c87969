//! `cargo bench --bench stats`: how long the board's questions take on a big province.
//!
//! 100,000 cells in Bắc Kạn's eight districts (about a hundred communes), 24 packs sent to all of
//! them (2.4 million deliveries, written through the real broadcast start and the triggers that
//! keep the running totals), most delivered, acknowledged and reported. Then, each the median of
//! several runs: one pack's figures by district, by commune, the trend over the last six periods,
//! and the pending list of one district; and once, the .xlsx export of the pack. One JSON line.
//! `-- --cells N --packs P` to change the size.

use std::time::Instant;

use loa::audit::Actor;
use loa::stats::{self, By};
use serde_json::json;

const DISTRICTS: [&str; 8] =
    ["Ba Bể", "Bạch Thông", "Chợ Đồn", "Chợ Mới", "Na Rì", "Ngân Sơn", "Pác Nặm", "Thành phố Bắc Kạn"];

fn median_ms(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2] * 100.0).round() / 100.0
}

async fn time<F: AsyncFnMut()>(mut f: F) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        f().await;
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median_ms(runs)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: i64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse().expect("a number"))
            .unwrap_or(default)
    };
    let cells = arg("--cells", 100_000);
    let packs = arg("--packs", 24);

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    let setup = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..cells {
        let district = DISTRICTS[(i % 8) as usize];
        sqlx::query("INSERT INTO cells (code, name, district, commune, status, chat_id, chat_type, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, 'private', 0, 0)")
            .bind(format!("C-{i:06}"))
            .bind(format!("Chi bộ {i}"))
            .bind(district)
            .bind(format!("Xã {} {}", district, (i / 8) % 12))
            .bind(1_000_000 + i)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    for k in 0..packs {
        let period = format!("{}-{:02}", 2022 + k / 12, k % 12 + 1);
        let draft = loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Monthly,
            loa::packs::period::Period::parse(&period).ok(),
            &format!("Định hướng {period}"),
            "Nội dung",
        );
        let id = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
        sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0, deadline = '2030-01-01', report_prompt = 'x' WHERE id = ?")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        let b = loa::delivery::broadcast::start(&pool, id, Actor::Cli, 0).await.unwrap().unwrap();
        // the worker's outcome: 98 % delivered, the rest unreachable; then answers that vary by district
        sqlx::query("UPDATE deliveries SET state = CASE WHEN cell_id % 50 = 0 THEN 'failed' ELSE 'sent' END, sent_at = 1 WHERE broadcast_id = ?")
            .bind(b.broadcast_id)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at, late)
             SELECT ?1, cell_id, id, 1, 'x', 2, (cell_id % 13 = 0) FROM deliveries
             WHERE broadcast_id = ?2 AND state = 'sent' AND (cell_id * 7 + ?1) % 100 < 60 + (cell_id % 8) * 5",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body, at)
             SELECT ?1, cell_id, id, 1, 'x', '2023-10-05', 10, 'x', 3 FROM deliveries
             WHERE broadcast_id = ?2 AND state = 'sent' AND (cell_id * 3 + ?1) % 100 < 40",
        )
        .bind(id)
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let setup_s = setup.elapsed().as_secs_f64();
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries").fetch_one(&pool).await.unwrap();
    let last = stats::latest_pack(&pool).await.unwrap().unwrap();

    let by_district = time(async || {
        let s = stats::pack(&pool, last, By::District, None).await.unwrap().unwrap();
        assert_eq!(s.groups.len(), 8);
    })
    .await;
    let by_commune = time(async || {
        stats::pack(&pool, last, By::Commune, None).await.unwrap().unwrap();
    })
    .await;
    let trend = time(async || {
        let t = stats::trend(&pool, None, 6, None).await.unwrap();
        assert_eq!(t.packs.len(), 6.min(packs as usize));
    })
    .await;
    let pending = time(async || {
        stats::pending(&pool, last, Some("Na Rì")).await.unwrap();
    })
    .await;
    let t = Instant::now();
    let xlsx = loa::export::xlsx_bytes(&pool, config.timezone, last, None).await.unwrap();
    let export_ms = (t.elapsed().as_secs_f64() * 1000.0).round();
    println!(
        "{}",
        json!({
            "cells": cells,
            "packs": packs,
            "deliveries": deliveries,
            "setup_s": (setup_s * 10.0).round() / 10.0,
            "pack_by_district_ms": by_district,
            "pack_by_commune_ms": by_commune,
            "trend_ms": trend,
            "pending_one_district_ms": pending,
            "export_xlsx_all_cells_ms": export_ms,
            "export_xlsx_mb": ((xlsx.len() as f64) / 1e5).round() / 10.0,
            "target_ms": 100,
        })
    );
}
