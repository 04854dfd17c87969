//! The scheduler with a controlled clock: packs due now, at a time, in a slot, missed while Loa
//! was down; slots that come with no pack; the outbox a broadcast writes; what the board is told.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use loa::audit::Actor;
use loa::packs::period::{PackKind, Period};
use loa::packs::store::{self, When};
use loa::schedule::{self, Announcer};

use crate::harness::{Offline, REGISTRY, TestApp, WAIT};

struct Fixture {
    _dir: tempfile::TempDir,
    pool: loa::db::DbPool,
    config: loa::config::Config,
}

async fn fixture() -> Fixture {
    let offline = Offline::new().await;
    // two of the four cells are connected
    offline.connect(&["NR-001", "BB-001"]).await;
    let Offline { dir, pool, config } = offline;
    Fixture { _dir: dir, pool, config }
}

fn at(f: &Fixture, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    f.config.timezone.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

async fn pack(f: &Fixture, kind: PackKind, period: &str) -> i64 {
    let draft = loa::packs::folder::PackDraft::plain(
        kind,
        Period::parse(period).ok(),
        &format!("Định hướng {period}"),
        "Nội dung",
    );
    store::create(&f.pool, &f.config, &draft, Actor::Cli).await.unwrap()
}

async fn status(f: &Fixture, id: i64) -> String {
    store::get(&f.pool, id).await.unwrap().unwrap().status.to_string()
}

#[tokio::test]
async fn a_pack_starts_when_due_once_and_only_for_connected_cells() {
    let f = fixture().await;
    let id = pack(&f, PackKind::Urgent, "").await;
    let when = NaiveDate::from_ymd_opt(2023, 10, 2).unwrap().and_hms_opt(10, 0, 0).unwrap();
    store::schedule(&f.pool, &f.config, id, When::At(when), at(&f, 2023, 10, 1, 0, 0), Actor::Cli)
        .await
        .unwrap()
        .unwrap();

    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 2, 9, 59)).await.unwrap();
    assert!(t.started.is_empty());
    assert_eq!(t.next, Some(at(&f, 2023, 10, 2, 10, 0)), "the next thing due is the pack");
    assert_eq!(status(&f, id).await, "scheduled");

    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 2, 10, 0)).await.unwrap();
    assert_eq!(t.started.len(), 1);
    let (started, late) = &t.started[0];
    assert_eq!((started.pack_id, started.targeted, started.skipped, *late), (id, 2, 2, 0));
    assert_eq!(status(&f, id).await, "sending");
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.code, d.chat_id FROM deliveries d JOIN cells c ON c.id = d.cell_id WHERE d.broadcast_id = $1 AND d.state = 'pending' ORDER BY c.code",
    )
    .bind(started.broadcast_id)
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["BB-001", "NR-001"]);

    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 2, 10, 1)).await.unwrap();
    assert!(t.started.is_empty(), "never twice");
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts").fetch_one(&f.pool).await.unwrap();
    assert_eq!(broadcasts, 1);
}

#[tokio::test]
async fn a_pack_missed_while_loa_was_down_starts_once_and_late() {
    let f = fixture().await;
    let id = pack(&f, PackKind::Urgent, "").await;
    store::schedule(&f.pool, &f.config, id, When::Now, at(&f, 2023, 10, 2, 10, 0), Actor::Cli).await.unwrap().unwrap();
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 2, 12, 30)).await.unwrap();
    assert_eq!(t.started.len(), 1);
    assert_eq!(t.started[0].1, 2 * 3600 + 30 * 60);
}

#[tokio::test]
async fn slots_send_their_pack_and_an_empty_slot_is_reported_once() {
    let f = fixture().await;
    // Loa's first run: slots that fired before are recorded, not reported
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 5, 9, 0)).await.unwrap();
    assert!(t.empty_slots.is_empty());
    assert_eq!(t.next, Some(at(&f, 2023, 10, 6, 8, 0)), "the reminders slot, the next morning");
    let monthly = schedule::next_firing(&f.config.schedule.monthly_slot, &f.config, at(&f, 2023, 10, 5, 9, 0));
    assert_eq!(monthly, Some(at(&f, 2023, 11, 1, 8, 0)), "the monthly slot of November");

    // the December pack waits in its slot
    let dec = pack(&f, PackKind::Monthly, "2023-12").await;
    let due = store::schedule(&f.pool, &f.config, dec, When::Slot, at(&f, 2023, 10, 5, 9, 0), Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(due, at(&f, 2023, 12, 1, 8, 0));

    // 1 November: no November pack
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 11, 1, 8, 0)).await.unwrap();
    assert_eq!(t.empty_slots, [(PackKind::Monthly, Period::parse("2023-11").unwrap(), at(&f, 2023, 11, 1, 8, 0))]);
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 11, 1, 8, 5)).await.unwrap();
    assert!(t.empty_slots.is_empty(), "told once");

    // 1 December: the pack starts, and the slot is not empty
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 12, 1, 8, 0)).await.unwrap();
    assert_eq!(t.started.len(), 1);
    assert!(t.empty_slots.is_empty());
    assert_eq!(status(&f, dec).await, "sending");

    // 1 January: both the monthly and the quarterly slot come empty
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2024, 1, 1, 8, 0)).await.unwrap();
    let kinds: Vec<(PackKind, String)> = t.empty_slots.iter().map(|(k, p, _)| (*k, p.code())).collect();
    assert_eq!(kinds, [(PackKind::Monthly, "2024-01".to_string()), (PackKind::Quarterly, "2024-Q1".to_string())]);
}

#[tokio::test]
async fn the_board_is_told_in_chat_of_an_empty_slot_and_a_late_start() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    // the admin opened the private chat
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    let config = Arc::new(crate::harness::config_for(&app.sim, &app.dir));
    let mut config = (*config).clone();
    config.admins.insert(app.admin);
    let (announcer, ctx) = app.announcer(config);
    let fired = ctx.config.timezone.with_ymd_and_hms(2023, 11, 1, 8, 0, 0).unwrap().with_timezone(&Utc);
    announcer.empty_slot(PackKind::Monthly, Period::parse("2023-11").unwrap(), fired).await;
    let text = app.nth_reply(app.admin, 2).await;
    assert_eq!(
        text,
        "⚠️ Đã đến kỳ gửi định hướng Tháng 11/2023 (08:00 01/11/2023) nhưng chưa có định hướng nào cho kỳ này được lên lịch. Đồng chí soạn và lên lịch để gửi các chi bộ."
    );
    let started = loa::delivery::broadcast::Started { broadcast_id: 1, pack_id: 999, targeted: 0, skipped: 0 };
    announcer.started(&started, 30).await;
    announcer.started(&started, 3 * 3600).await;
    let got = app.sim.wait_for_bot_messages(app.admin, 3, WAIT).await;
    assert_eq!(got.len(), 3, "an on-time start is not announced; a late one is");
    assert!(got[2].text().unwrap().contains("muộn 180 phút"), "{:?}", got[2].text());
}

#[tokio::test]
async fn loa_serve_starts_a_pack_scheduled_now() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let f = Fixture { _dir: tempfile::tempdir().unwrap(), pool: app.pool.clone(), config };
    let id = pack(&f, PackKind::Urgent, "").await;
    store::schedule(&app.pool, &f.config, id, When::Now, Utc::now(), Actor::Cli).await.unwrap().unwrap();
    // the scheduler looks at least every MAX_SLEEP; give it that long
    let deadline = std::time::Instant::now() + schedule::MAX_SLEEP + WAIT;
    while status(&f, id).await == "scheduled" && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // no cell is connected, so the broadcast is empty and the worker closes it at once
    assert!(["sending", "sent"].contains(&status(&f, id).await.as_str()));
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts WHERE pack_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(broadcasts, 1);
}

/// The situation request slot (08:00 on the 20th by default): silent at Loa's first run, then on
/// its day every connected cell is asked for its situation report of that month, once: a pack
/// whose purpose is `situation`, a report asked, the deadline `situations.request_days` away. A
/// firing missed by more than those days is not made up; one missed by less is, late. The monthly
/// slot still counts guidance packs only.
#[tokio::test]
async fn the_situation_request_slot_asks_every_cell_once_a_month() {
    let f = fixture().await;
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 5, 9, 0)).await.unwrap();
    assert!(t.started.is_empty(), "the September firing is recorded silently");

    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 20, 8, 0)).await.unwrap();
    assert_eq!(t.started.len(), 1);
    let (started, late) = &t.started[0];
    assert_eq!((started.targeted, started.skipped, *late), (2, 2, 0));
    let p = store::get(&f.pool, started.pack_id).await.unwrap().unwrap();
    assert_eq!(p.title, "Báo cáo tình hình tháng 10/2023");
    assert_eq!((p.period.as_deref(), p.deadline.as_deref()), (Some("2023-10"), Some("2023-10-27")));
    assert!(p.body_html.contains("1. Kinh tế, đời sống\n2. Đất đai"), "{}", p.body_html);
    assert!(p.report_prompt.as_deref().is_some_and(|r| r.starts_with("Báo cáo tình hình tháng 10/2023")));
    let purpose: String =
        sqlx::query_scalar("SELECT purpose FROM packs WHERE id = $1").bind(p.id).fetch_one(&f.pool).await.unwrap();
    assert_eq!(purpose, "situation");
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 10, 20, 8, 5)).await.unwrap();
    assert!(t.started.is_empty(), "once");
    // asked again by hand for the same month: refused, one request a month
    let again = loa::situations::request(
        &f.pool,
        &f.config,
        Period::parse("2023-10").unwrap(),
        Actor::Cli,
        at(&f, 2023, 10, 21, 9, 0).timestamp(),
    )
    .await
    .unwrap();
    assert!(again.is_none());

    // 1 November: the request does not count as October's or November's guidance pack
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 11, 1, 8, 0)).await.unwrap();
    assert_eq!(t.empty_slots, [(PackKind::Monthly, Period::parse("2023-11").unwrap(), at(&f, 2023, 11, 1, 8, 0))]);
    // down from 19 November to 28 November: the 20th's firing is 8 days old, past the 7 to answer
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 11, 28, 9, 0)).await.unwrap();
    assert!(t.started.is_empty(), "{:?}", t.started);
    // down from 19 December to the 21st: made up, a day late
    let t = schedule::tick(&f.pool, &f.config, at(&f, 2023, 12, 21, 8, 0)).await.unwrap();
    assert_eq!(t.started.len(), 1);
    assert_eq!(t.started[0].1, 24 * 3600);
    let p = store::get(&f.pool, t.started[0].0.pack_id).await.unwrap().unwrap();
    assert_eq!((p.period.as_deref(), p.deadline.as_deref()), (Some("2023-12"), Some("2023-12-28")));
    let requests: i64 =
        sqlx::query_scalar("SELECT count(*) FROM packs WHERE purpose = 'situation'").fetch_one(&f.pool).await.unwrap();
    assert_eq!(requests, 2);
}
