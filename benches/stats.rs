//! `cargo bench --bench stats`: how long the board's questions take on a big province.
//!
//! A province in today's shape, grown as a tree: the province's committee, 100 committees directly
//! under it, 29 sub-committees under each (3,000 units in all), and 100,000 cells under the
//! sub-committees (one in twenty straight under a committee); 2 % of the cells are not connected.
//! 24 packs are sent to all of them (2.4 million deliveries, written through the real broadcast
//! start and the triggers that keep the running totals), most delivered, acknowledged and
//! reported. Then, each the median of several runs: one pack's figures at level 1, at level 2 (all
//! 3,000 units), at level 2 within one committee (an officer's default view), the trend over the
//! last six periods at level 1, and the pending list of one committee; and once, the .xlsx export
//! of the pack. Then 30,000 situation reports over the quarter (a third of the cells speaking up,
//! one in twenty urgent): `/stats tinhhinh` by topic and by unit for the province and for one
//! committee, and the quarterly summary (`loa report quarter`) gathered and written. One JSON
//! line. `-- --cells N --packs P --situations S` to change the size.

use std::time::Instant;

use loa::stats::{self, View};
use serde_json::json;

#[path = "province/mod.rs"]
mod province;
use province::{COMMITTEES, SUBS};

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
    let arg = |name: &str, default: i64| province::arg(&args, name, default);
    let cells = arg("--cells", 100_000);
    let packs = arg("--packs", 24);
    let situations = arg("--situations", 30_000);

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", dir.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    let setup = Instant::now();
    let province::Province { committees, units } = province::seed(&pool, &config, cells, packs).await;
    let setup_s = setup.elapsed().as_secs_f64();
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries").fetch_one(&pool).await.unwrap();
    let last = stats::latest_pack(&pool).await.unwrap().unwrap();

    let level_1 = time(async || {
        let s = stats::pack(&pool, last, View::at(1)).await.unwrap().unwrap();
        assert_eq!(s.groups.len(), COMMITTEES as usize);
    })
    .await;
    let level_2 = time(async || {
        let s = stats::pack(&pool, last, View::at(2)).await.unwrap().unwrap();
        assert_eq!(
            s.groups.len(),
            (COMMITTEES * (SUBS + 1)) as usize,
            "sub-committees and the cells straight under a committee"
        );
    })
    .await;
    let one_committee = time(async || {
        let s = stats::pack(&pool, last, View::below(committees[4])).await.unwrap().unwrap();
        assert_eq!(s.groups.len(), SUBS as usize + 1);
    })
    .await;
    let trend = time(async || {
        let t = stats::trend(&pool, None, 6, View::PROVINCE).await.unwrap();
        assert_eq!(t.packs.len(), 6.min(packs as usize));
    })
    .await;
    let pending = time(async || {
        stats::pending(&pool, last, Some(committees[4])).await.unwrap();
    })
    .await;
    let t = Instant::now();
    let xlsx = loa::export::xlsx_bytes(&pool, &config, last, View::PROVINCE).await.unwrap();
    let export_ms = (t.elapsed().as_secs_f64() * 1000.0).round();

    // situation reports: the packs went out at the epoch, in the first quarter of 1970 (local
    // time); the reports spread over that quarter, from every third cell in turn
    let quarter = loa::packs::period::Period::Quarter { year: 1970, quarter: 1 };
    let (since, until) = (
        loa::dates::start_of(quarter.first_day(), config.timezone),
        loa::dates::start_of(quarter.next_day(), config.timezone),
    );
    province::situations(&pool, situations, cells, since, until).await;
    let sit_topics = time(async || {
        let t = loa::situations::by_topic(&pool, None, since, until).await.unwrap();
        assert_eq!(t.len(), 6);
    })
    .await;
    let sit_units = time(async || {
        let u = loa::situations::by_unit(&pool, None, since, until).await.unwrap();
        assert_eq!(u.len(), COMMITTEES as usize);
    })
    .await;
    let sit_one_committee = time(async || {
        loa::situations::by_topic(&pool, Some(committees[4]), since, until).await.unwrap();
        loa::situations::by_unit(&pool, Some(committees[4]), since, until).await.unwrap();
    })
    .await;
    let t = Instant::now();
    let summary = loa::quarter::gather(
        &pool,
        &config.organisation.board,
        &config.organisation,
        config.timezone,
        quarter,
        None,
        0,
    )
    .await
    .unwrap();
    let gather_ms = (t.elapsed().as_secs_f64() * 1000.0).round();
    assert_eq!(summary.packs.len(), packs as usize);
    let t = Instant::now();
    let catalog = loa::i18n::Catalog::new();
    let book = summary.xlsx(&catalog, loa::i18n::Locale::Vi).unwrap();
    let page = summary.html(&catalog, loa::i18n::Locale::Vi);
    let write_ms = (t.elapsed().as_secs_f64() * 1000.0).round();
    println!(
        "{}",
        json!({
            "cells": cells,
            "units": units,
            "packs": packs,
            "deliveries": deliveries,
            "setup_s": (setup_s * 10.0).round() / 10.0,
            "pack_level_1_ms": level_1,
            "pack_level_2_ms": level_2,
            "pack_one_committee_ms": one_committee,
            "trend_level_1_ms": trend,
            "pending_one_committee_ms": pending,
            "export_xlsx_all_cells_ms": export_ms,
            "export_xlsx_mb": ((xlsx.len() as f64) / 1e5).round() / 10.0,
            "situations": situations,
            "situations_by_topic_ms": sit_topics,
            "situations_by_unit_ms": sit_units,
            "situations_one_committee_ms": sit_one_committee,
            "quarter_gather_ms": gather_ms,
            "quarter_write_ms": write_ms,
            "quarter_urgent": summary.urgent.len(),
            "quarter_xlsx_kb": book.len() / 1024,
            "quarter_html_kb": page.len() / 1024,
            "target_ms": 20,
        })
    );
}
