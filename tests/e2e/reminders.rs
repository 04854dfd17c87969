//! Reminders and escalation: with a controlled clock (the right days, never twice a day, none
//! after an acknowledgement or the deadline, a firing missed while Loa was down made up the same
//! day); through the simulator (`/remind`, a reminder's button acknowledging the pack, the
//! escalation reaching the right officers only).

use chrono::{DateTime, TimeZone, Utc};
use loa::audit::Actor;
use loa::packs::period::{PackKind, Period};
use loa::schedule::{self, Announcer};

use crate::harness::{Offline, REGISTRY, TestApp, WAIT};

struct Fixture {
    _dir: tempfile::TempDir,
    pool: loa::db::DbPool,
    config: loa::config::Config,
    pack: i64,
}

fn at(config: &loa::config::Config, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    config.timezone.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

/// NR-001 and BB-001 connected; a pack (deadline 15/10/2023) delivered to both at 10:00 on
/// 02/10/2023, as the worker would have left it.
async fn fixture() -> Fixture {
    let offline = Offline::new().await;
    offline.connect(&["NR-001", "BB-001"]).await;
    let Offline { dir, pool, config } = offline;
    assert_eq!(config.schedule.remind_after_days, 3);
    let draft = loa::packs::folder::PackDraft::plain(
        PackKind::Quarterly,
        Period::parse("2023-Q4").ok(),
        "Định hướng quý IV",
        "Nội dung",
    );
    let pack = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
    let sent = at(&config, 2023, 10, 2, 10, 0).timestamp();
    sqlx::query("UPDATE packs SET status = 'sent', deadline = '2023-10-15' WHERE id = $1")
        .bind(pack)
        .execute(&pool)
        .await
        .unwrap();
    let b: i64 = sqlx::query_scalar(
        "INSERT INTO broadcasts (pack_id, kind, state, targeted, created_at, finished_at, reported_at) VALUES ($1, 'pack', 'done', 2, $2, $3, $4) RETURNING id",
    )
    .bind(pack)
    .bind(sent)
    .bind(sent)
    .bind(sent)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, step, next_attempt_at, sent_at, ack_message_id, unit_id)
         SELECT $1, id, chat_id, 'sent', 2, $2, $3, 7, unit_id FROM cells WHERE status = 'active'",
    )
    .bind(b)
    .bind(sent)
    .bind(sent)
    .execute(&pool)
    .await
    .unwrap();
    Fixture { _dir: dir, pool, config, pack }
}

/// The cells each reminder broadcast of the step went to, by code.
async fn reminded(f: &Fixture, t: &schedule::Tick) -> Vec<String> {
    let mut codes = Vec::new();
    for s in &t.reminded {
        let got: Vec<String> = sqlx::query_scalar(
            "SELECT c.code FROM deliveries d JOIN cells c ON c.id = d.cell_id WHERE d.broadcast_id = $1 AND d.step = 1 ORDER BY c.code",
        )
        .bind(s.broadcast_id)
        .fetch_all(&f.pool)
        .await
        .unwrap();
        codes.extend(got);
    }
    codes
}

#[tokio::test]
async fn reminders_come_on_the_right_days_once_and_stop_with_the_ack_and_the_deadline() {
    let f = fixture().await;
    let c = &f.config;
    let tick = async |t: DateTime<Utc>| schedule::tick(&f.pool, c, t).await.unwrap();

    let t = tick(at(c, 2023, 10, 4, 8, 0)).await;
    assert!(reminded(&f, &t).await.is_empty(), "two days after delivery: too early");
    // Loa was down at 08:00 on the 5th: the firing is made up when it comes back that day
    let t = tick(at(c, 2023, 10, 5, 11, 30)).await;
    assert_eq!(reminded(&f, &t).await, ["BB-001", "NR-001"], "three days after delivery");
    assert_eq!(t.reminded.len(), 1, "one reminder broadcast for the pack");
    let t = tick(at(c, 2023, 10, 5, 11, 35)).await;
    assert!(t.reminded.is_empty(), "that day's firing is done");
    let kind: String =
        sqlx::query_scalar("SELECT kind FROM broadcasts ORDER BY id DESC LIMIT 1").fetch_one(&f.pool).await.unwrap();
    assert_eq!(kind, "reminder");

    // NR-001 acknowledges
    let nr: i64 = sqlx::query_scalar("SELECT id FROM deliveries d WHERE d.cell_id = (SELECT id FROM cells WHERE code = 'NR-001') ORDER BY id LIMIT 1")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    let chat: i64 =
        sqlx::query_scalar("SELECT chat_id FROM cells WHERE code = 'NR-001'").fetch_one(&f.pool).await.unwrap();
    let target = loa::acks::target_in_chat(&f.pool, nr, chat).await.unwrap().expect("the pack's delivery");
    let at_ack = at(c, 2023, 10, 6, 7, 0).timestamp();
    let out = loa::acks::acknowledge(&f.pool, &target, 555, "Nguyễn Văn An", at_ack, c.timezone).await.unwrap();
    assert!(matches!(out, loa::acks::Outcome::Recorded(ref a) if !a.late));

    for day in 6..=13 {
        let t = tick(at(c, 2023, 10, day, 8, 0)).await;
        assert!(reminded(&f, &t).await.is_empty(), "nothing on {day}/10");
    }
    let t = tick(at(c, 2023, 10, 14, 8, 0)).await;
    assert_eq!(reminded(&f, &t).await, ["BB-001"], "the day before the deadline, only the cell that did not ack");
    let t = tick(at(c, 2023, 10, 15, 8, 0)).await;
    assert!(reminded(&f, &t).await.is_empty(), "no second last reminder");

    // staff ask at once: reminded, but never twice in a day
    let now = at(c, 2023, 10, 15, 9, 0);
    let today = now.with_timezone(&c.timezone).date_naive();
    let which = loa::reminders::Which { pack: Some(f.pack), within: None, forced: true };
    let s = loa::reminders::remind(&f.pool, c, today, which, Actor::User(9), now.timestamp()).await.unwrap();
    assert_eq!(s.iter().map(|s| s.targeted).sum::<i64>(), 1);
    let s = loa::reminders::remind(&f.pool, c, today, which, Actor::User(9), now.timestamp()).await.unwrap();
    assert!(s.is_empty(), "once a day at most");
    let per_day: Vec<(String, i64)> = sqlx::query_as("SELECT day, count(*) FROM reminders GROUP BY day ORDER BY day")
        .fetch_all(&f.pool)
        .await
        .unwrap();
    assert_eq!(per_day, [("2023-10-05".into(), 2), ("2023-10-14".into(), 1), ("2023-10-15".into(), 1)]);

    // after the deadline: no reminder, the escalation once
    let t = tick(at(c, 2023, 10, 16, 8, 0)).await;
    assert!(t.reminded.is_empty());
    assert_eq!(t.escalations.len(), 1);
    let e = &t.escalations[0];
    assert_eq!((e.targeted, e.acknowledged, e.reported), (2, 1, 0));
    assert_eq!(e.cells.iter().map(|b| b.code.as_str()).collect::<Vec<_>>(), ["BB-001"]);
    assert_eq!(e.committees[0].unit, "Ba Bể", "worst first");
    assert_eq!((e.committees[0].behind, e.committees[1].behind), (1, 0));
    loa::reminders::mark_escalated(&f.pool, f.pack, at(c, 2023, 10, 16, 8, 0).timestamp()).await.unwrap();
    let t = tick(at(c, 2023, 10, 17, 8, 0)).await;
    assert!(t.escalations.is_empty() && t.reminded.is_empty());
}

#[tokio::test]
async fn remind_sends_through_the_worker_and_the_reminder_s_button_acknowledges_the_pack() {
    let app = TestApp::spawn_with(|c| {
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 100;
    })
    .await;
    app.import(REGISTRY).await;
    let secretary = app.sim.create_user("Nguyễn Văn An", None);
    app.sim.open_private_chat(secretary);
    sqlx::query("UPDATE cells SET chat_id = $1, chat_type = 'private', status = 'active' WHERE code = 'NR-001'")
        .bind(secretary)
        .execute(&app.pool)
        .await
        .unwrap();
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let draft = loa::packs::folder::PackDraft {
        report_prompt: Some("Báo cáo kết quả".into()),
        ..loa::packs::folder::PackDraft::plain(
            PackKind::Quarterly,
            Period::parse("2023-Q4").ok(),
            "Định hướng quý IV",
            "Nội dung",
        )
    };
    let pack = loa::packs::store::create(&app.pool, &config, &draft, Actor::Cli).await.unwrap();
    loa::packs::store::schedule(&app.pool, &config, pack, loa::packs::store::When::Now, Utc::now(), Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    let got = app.sim.wait_for_bot_messages(secretary, 1, WAIT).await;
    let pack_msg = got[0].clone();
    // the message is out; its sending is written down a moment later (sends are written in batches)
    let sent = format!(
        "SELECT count(*) FROM deliveries WHERE state = 'sent' AND broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = {pack})"
    );
    crate::harness::wait_count(&app.pool, &sent, 1, WAIT).await;

    // the admin reminds at once
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    app.sim.send_text(app.admin, app.admin, "/remind").unwrap();
    assert_eq!(
        app.nth_reply(app.admin, 2).await,
        "Đang gửi lời nhắc tới 1 chi bộ chưa xác nhận «Định hướng quý IV» (Quý IV/2023)."
    );
    let got = app.sim.wait_for_bot_messages(secretary, 2, WAIT).await;
    let reminder = got[1].clone();
    assert_eq!(
        reminder.text(),
        Some(
            format!(
                "⏰ Nhắc: chi bộ chưa xác nhận đã nhận «Định hướng quý IV» (Quý IV/2023). Hạn xác nhận: {}. Đồng chí bấm «✅ Đã nhận» bên dưới.",
                (Utc::now().with_timezone(&config.timezone).date_naive() + chrono::Duration::days(10)).format("%d/%m/%Y")
            )
            .as_str()
        )
    );
    assert_eq!(reminder.button_texts(), ["✅ Đã nhận", "📝 Báo cáo", "❓ Hỏi"]);
    assert_eq!(reminder.reply_markup(), pack_msg.reply_markup(), "the reminder's buttons answer the pack's delivery");
    app.sim.send_text(app.admin, app.admin, "/remind").unwrap();
    assert!(app.nth_reply(app.admin, 3).await.starts_with("Không có chi bộ nào cần nhắc"), "once a day");

    // pressing the reminder's button acknowledges the pack; both messages show it
    let data =
        reminder.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
    app.sim.press_button(secretary, secretary, reminder.message_id, &data).unwrap();
    let both = app
        .sim
        .wait_until(WAIT, |s| {
            let m = s.bot_messages(secretary);
            m.len() >= 2 && m[..2].iter().all(|m| m.button_texts()[0].starts_with("✅ Nguyễn Văn An đã nhận lúc"))
        })
        .await;
    assert!(both, "{:?}", app.sim.bot_messages(secretary).iter().map(|m| m.button_texts()).collect::<Vec<_>>());
    let acks: i64 = sqlx::query_scalar("SELECT count(*) FROM acks WHERE pack_id = $1")
        .bind(pack)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(acks, 1);
    app.sim.send_text(app.admin, app.admin, "/remind").unwrap();
    assert!(app.nth_reply(app.admin, 4).await.starts_with("Không có chi bộ nào cần nhắc"));

    // an officer reminds the cells of their own unit only: Ba Bể's has no connected cell behind
    let officer = crate::harness::started_user(&app.sim, "Cán bộ huyện");
    loa::staff::grant(&app.pool, &config.admins, officer, loa::staff::Role::District, Some("Ba Bể".into()), Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    app.sim.send_text(officer, officer, "/remind").unwrap();
    assert!(app.nth_reply(officer, 2).await.starts_with("Không có chi bộ nào cần nhắc"));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM reminders").fetch_one(&app.pool).await.unwrap(),
        1,
        "no reminder beyond the officer's unit"
    );
}

#[tokio::test]
async fn after_the_deadline_each_officer_hears_of_their_own_district_and_the_board_of_the_province() {
    // (the fixture's database and the app's hold the same registry, imported alike: their units
    // have the same ids)
    let app = TestApp::spawn().await;
    let f = fixture().await;
    // the fixture's database is not the app's: move its pack over by escalating from it
    let t = schedule::tick(&f.pool, &f.config, at(&f.config, 2023, 10, 16, 8, 0)).await.unwrap();
    let e = t.escalations.into_iter().next().expect("the pack is overdue");

    let config = crate::harness::config_for(&app.sim, &app.dir);
    let ba_be = crate::harness::started_user(&app.sim, "Cán bộ Ba Bể");
    let na_ri = crate::harness::started_user(&app.sim, "Cán bộ Na Rì");
    let board = crate::harness::started_user(&app.sim, "Cán bộ Ban");
    app.import(REGISTRY).await;
    for (who, role, district) in [
        (ba_be, loa::staff::Role::District, Some("Ba Bể")),
        (na_ri, loa::staff::Role::District, Some("Na Rì")),
        (board, loa::staff::Role::Board, None),
    ] {
        loa::staff::grant(&app.pool, &config.admins, who, role, district.map(String::from), Actor::Cli)
            .await
            .unwrap()
            .unwrap();
    }
    for who in [ba_be, na_ri, board] {
        app.nth_reply(who, 1).await;
    }
    let (announcer, _ctx) = app.announcer(config);
    announcer.escalate(&e).await;

    let text = app.nth_reply(ba_be, 2).await;
    assert_eq!(
        text,
        "⚠️ Đã quá hạn 15/10/2023 của «Định hướng quý IV» (Quý IV/2023): 1/1 chi bộ của Ba Bể chưa xác nhận hoặc chưa báo cáo:\n• BB-001 Chi bộ bản Cốc Lùng — chưa xác nhận"
    );
    let text = app.nth_reply(board, 2).await;
    assert!(
        text.starts_with(
            "📊 Đã quá hạn 15/10/2023 của «Định hướng quý IV» (Quý IV/2023): 0/2 chi bộ đã xác nhận (0%)."
        ),
        "{text}"
    );
    assert!(text.find("• Ba Bể: 1/1").unwrap() < text.find("• Na Rì: 1/1").unwrap(), "{text}");
    assert_eq!(app.nth_reply(na_ri, 2).await.lines().count(), 2, "Na Rì hears of its one cell only");
    assert!(!app.sim.bot_messages(na_ri)[1].text().unwrap().contains("BB-001"));
}

/// In today's tree: a commune committee with an officer, a sub-committee under it with an officer
/// of its own, a ward with none. After the deadline each cell's news goes to the officers of the
/// nearest unit above it that has some: the sub-committee's cell to the sub-committee's officer
/// only, the commune's own cell to the commune's officer, the ward's cell to nobody but the
/// board, which hears of the whole province by committee.
#[tokio::test]
async fn after_the_deadline_the_nearest_unit_with_officers_hears_and_the_board_hears_all() {
    // the pack lives in a database of its own (the app's scheduler would escalate it on its own
    // first); the app's holds the same tree, imported alike, so the units have the same ids
    let tree = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/to-chuc.csv")).unwrap();
    let rows = loa::cells::import::parse_csv(tree.as_bytes()).unwrap();
    let offline = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/loa.db", offline.path().display());
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let pool = loa::db::open(&db).await.unwrap();
    loa::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await.unwrap();
    sqlx::query("UPDATE cells SET status = 'active', chat_id = 5000 + id, chat_type = 'private'")
        .execute(&pool)
        .await
        .unwrap();
    let draft = loa::packs::folder::PackDraft::plain(
        PackKind::Quarterly,
        Period::parse("2023-Q4").ok(),
        "Định hướng quý IV",
        "Nội dung",
    );
    let pack = loa::packs::store::create(&pool, &config, &draft, Actor::Cli).await.unwrap();
    sqlx::query("UPDATE packs SET status = 'scheduled', scheduled_for = 0 WHERE id = $1")
        .bind(pack)
        .execute(&pool)
        .await
        .unwrap();
    let sent = at(&config, 2023, 10, 2, 10, 0).timestamp();
    let b = loa::delivery::broadcast::start(&pool, pack, Actor::Cli, sent).await.unwrap().unwrap();
    // as the worker would have left it
    sqlx::query("UPDATE deliveries SET state = 'sent', sent_at = $1 WHERE broadcast_id = $2")
        .bind(sent)
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE broadcasts SET state = 'done' WHERE id = $1")
        .bind(b.broadcast_id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE packs SET status = 'sent', deadline = '2023-10-15' WHERE id = $1")
        .bind(pack)
        .execute(&pool)
        .await
        .unwrap();
    let t = schedule::tick(&pool, &config, at(&config, 2023, 10, 16, 8, 0)).await.unwrap();
    let e = t.escalations.into_iter().next().expect("the pack is overdue");
    assert_eq!((e.targeted, e.cells.len()), (4, 4));

    let app = TestApp::spawn().await;
    app.import(&tree).await;
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let commune = crate::harness::started_user(&app.sim, "Cán bộ xã Bằng Vân");
    let sub = crate::harness::started_user(&app.sim, "Cán bộ Bản Chang");
    let board = crate::harness::started_user(&app.sim, "Cán bộ Ban");
    let mut conn = app.pool.acquire().await.unwrap();
    for (who, code) in [(commune, "X-BV"), (sub, "BP-1")] {
        let unit = loa::units::by_code(&mut conn, code).await.unwrap().unwrap();
        loa::staff::grant_unit(&app.pool, &config.admins, who, &unit, Actor::Cli).await.unwrap().unwrap();
    }
    drop(conn);
    loa::staff::grant(&app.pool, &config.admins, board, loa::staff::Role::Board, None, Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    for who in [commune, sub, board] {
        app.nth_reply(who, 1).await;
    }
    let (announcer, _ctx) = app.announcer(config);
    announcer.escalate(&e).await;

    let text = app.nth_reply(sub, 2).await;
    assert!(text.contains("1/1 chi bộ của Đảng bộ bộ phận Bản Chang") && text.contains("CB-002"), "{text}");
    assert!(!text.contains("CB-001"), "{text}");
    let text = app.nth_reply(commune, 2).await;
    assert!(text.contains("1/1 chi bộ của Đảng ủy xã Bằng Vân") && text.contains("CB-001"), "{text}");
    assert!(
        !text.contains("CB-002") && !text.contains("CB-004"),
        "the sub-committee's cell went to its own officer: {text}"
    );
    let text = app.nth_reply(board, 2).await;
    assert!(text.contains("0/4 chi bộ đã xác nhận"), "{text}");
    for line in ["• Đảng ủy xã Bằng Vân: 2/2", "• Đảng ủy phường Đức Xuân: 1/1", "• Đảng ủy Cơ quan tỉnh: 1/1"]
    {
        assert!(text.contains(line), "{line} in {text}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sim.bot_messages(sub).len(), 2, "one escalation each");
    assert_eq!(app.sim.bot_messages(commune).len(), 2);
}
