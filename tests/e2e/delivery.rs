//! The delivery worker through the simulator with Telegram's limits on: every cell gets the pack
//! once, documents then message, no 429; documents uploaded once; blocked, kicked, vanished and
//! migrated chats; transient faults and an injected 429.

use loa::audit::Actor;
use loa::packs::folder::PackDraft;
use loa::packs::period::PackKind;
use loa::packs::store::{self, When};
use loa::sim::{ChatKind, FaultKind, FaultRule, RateLimits};

use crate::harness::TestApp;

const CELLS: usize = 60;

fn fast(config: &mut loa::config::Config) {
    config.delivery.paid_broadcast = true;
    config.delivery.messages_per_second = 100;
}

/// A registry of `CELLS` cells, each bound to its own private chat; returns the chats in order.
async fn province(app: &TestApp) -> Vec<i64> {
    province_of(app, CELLS).await
}

async fn province_of(app: &TestApp, cells: usize) -> Vec<i64> {
    let mut csv = String::from("code,name,district\n");
    for i in 0..cells {
        csv.push_str(&format!("C-{i:03},Chi bộ số {i},{}\n", if i % 2 == 0 { "Na Rì" } else { "Ba Bể" }));
    }
    app.import(&csv).await;
    let mut chats = Vec::new();
    for i in 0..cells {
        let u = app.sim.create_user(&format!("Bí thư {i}"), None);
        app.sim.open_private_chat(u);
        sqlx::query("UPDATE cells SET chat_id = $1, chat_type = 'private', status = 'active' WHERE code = $2")
            .bind(u)
            .bind(format!("C-{i:03}"))
            .execute(&app.pool)
            .await
            .unwrap();
        chats.push(u);
    }
    chats
}

async fn send_pack(app: &TestApp) -> i64 {
    let (title, report) = ("Định hướng tuyên truyền quý IV/2023", "Báo cáo kết quả");
    app.schedule_pack_with_document(title, "2023-Q4", report, b"%PDF-1.4 ke hoach quy IV").await
}

async fn wait_sent(pool: &loa::db::DbPool, pack: i64) {
    crate::harness::wait_for("the pack to be sent", std::time::Duration::from_secs(60), async || {
        let status = store::get(pool, pack).await.unwrap().unwrap().status;
        (status == loa::lifecycle::PackStatus::Sent).then_some(())
    })
    .await
}

fn assert_got_the_pack_once(app: &TestApp, chat: i64) {
    let got = app.sim.bot_messages(chat);
    assert_eq!(got.len(), 2, "chat {chat}: {got:?}");
    assert_eq!(got[0].document_name(), Some("ke-hoach.pdf"), "documents first");
    assert!(got[1].text().unwrap().starts_with("Định hướng tuyên truyền quý IV/2023\nQuý IV/2023"));
    assert_eq!(got[1].button_texts(), ["✅ Đã nhận", "📝 Báo cáo", "❓ Hỏi"]);
}

fn http_429s(app: &TestApp) -> usize {
    app.sim.calls().iter().filter(|c| c.error_code == Some(429)).count()
}

#[tokio::test]
async fn every_cell_gets_the_pack_once_in_order_within_the_limits() {
    let app = TestApp::spawn_with(fast).await;
    app.sim.set_limits(RateLimits { global_per_sec: 100, ..RateLimits::default() });
    let cells = 300;
    let chats = province_of(&app, cells).await;
    let pack = send_pack(&app).await;
    wait_sent(&app.pool, pack).await;
    for chat in &chats {
        assert_got_the_pack_once(&app, *chat);
    }
    assert_eq!(http_429s(&app), 0, "no 429 in normal operation");
    assert_eq!(app.sim.file_count(), 1, "the document was uploaded once, then sent by file_id");
    let file_id: Option<String> =
        sqlx::query_scalar("SELECT telegram_file_id FROM attachments").fetch_one(&app.pool).await.unwrap();
    assert!(file_id.is_some());
    let (sent, targeted): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM deliveries WHERE state = 'sent' AND ack_message_id IS NOT NULL), (SELECT targeted FROM broadcasts)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((sent, targeted), (cells as i64, cells as i64));
}

#[tokio::test]
async fn blocked_kicked_vanished_and_migrated_chats_are_handled() {
    let app = TestApp::spawn_with(fast).await;
    app.sim.set_limits(RateLimits { global_per_sec: 100, ..RateLimits::default() });
    let chats = province(&app).await;
    let someone = chats[0];
    // C-001 blocked the bot; C-002 is a group that removed it; C-003's chat vanished;
    // C-004 is a group that became a supergroup after it was bound
    app.sim.block_bot(chats[1], true).unwrap();
    let kicked = app.sim.create_group("Nhóm cũ", ChatKind::Group);
    app.sim.add_bot_to_group(kicked, someone, None).unwrap();
    app.sim.remove_bot_from_group(kicked, someone).unwrap();
    app.sim.delete_chat(chats[3]);
    let old = app.sim.create_group("Nhóm sắp nâng cấp", ChatKind::Group);
    app.sim.add_bot_to_group(old, someone, None).unwrap();
    let new = app.sim.migrate_group(old, someone).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the bot sees the membership updates first
    for (code, chat, ty) in [("C-002", kicked, "group"), ("C-004", old, "group")] {
        sqlx::query("UPDATE cells SET chat_id = $1, chat_type = $2, status = 'active' WHERE code = $3")
            .bind(chat)
            .bind(ty)
            .bind(code)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE cells SET status = 'active' WHERE code = 'C-001'").execute(&app.pool).await.unwrap();
    let pack = send_pack(&app).await;
    wait_sent(&app.pool, pack).await;

    let failed: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.code, d.error FROM deliveries d JOIN cells c ON c.id = d.cell_id WHERE d.state = 'failed' ORDER BY c.code",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert_eq!(failed[0], ("C-001".into(), "blocked by the user".into()));
    assert_eq!(failed[1].0, "C-002");
    assert_eq!(failed[2], ("C-003".into(), "chat not found".into()));
    for code in ["C-001", "C-002", "C-003"] {
        assert_eq!(app.cell(code).await.status, "unreachable", "{code}");
    }
    let migrated = app.cell("C-004").await;
    assert_eq!((migrated.chat_id, migrated.chat_type.as_deref()), (Some(new), Some("supergroup")));
    assert_eq!(app.sim.bot_messages(new).len(), 2, "the supergroup got the pack");
    for chat in chats.iter().skip(5) {
        assert_got_the_pack_once(&app, *chat);
    }
    assert_eq!(http_429s(&app), 0);
}

#[tokio::test]
async fn transient_faults_are_retried_and_an_injected_429_pauses_everything() {
    let app = TestApp::spawn_with(fast).await;
    // with the whole suite on two cores sends can reach the simulator late and bunched: the overall
    // limit is left some room above Loa's 100/s (other tests hold Loa to it exactly), the per-chat
    // limits more slack for jitter than the default 50 ms
    app.sim.set_limits(RateLimits { global_per_sec: 130, slack_ms: 250, ..RateLimits::default() });
    let chats = province(&app).await;
    for method in ["senddocument", "sendmessage"] {
        app.sim.add_fault(FaultRule {
            method: Some(method.into()),
            chat_id: None,
            probability: 0.2,
            remaining: Some(8),
            fault: FaultKind::Drop,
        });
    }
    // two 5xx answers (teloxide waits 10 s after each before it reads the answer)
    app.sim.add_fault(FaultRule {
        method: Some("senddocument".into()),
        chat_id: None,
        probability: 1.0,
        remaining: Some(2),
        fault: FaultKind::ServerError { status: 500 },
    });
    app.sim.add_fault(FaultRule {
        method: Some("sendmessage".into()),
        chat_id: Some(chats[10]),
        probability: 1.0,
        remaining: Some(1),
        fault: FaultKind::Api {
            code: 429,
            description: "Too Many Requests: retry after 1".into(),
            retry_after: Some(1),
        },
    });
    let pack = send_pack(&app).await;
    wait_sent(&app.pool, pack).await;
    for chat in &chats {
        assert_got_the_pack_once(&app, *chat);
    }
    let calls = app.sim.calls();
    let start = calls.first().map(|c| c.at).unwrap();
    let refused: Vec<String> = calls
        .iter()
        .filter(|c| c.error_code == Some(429))
        .map(|c| format!("{} to {:?} at {:?}", c.method, c.chat_id, c.at - start))
        .collect();
    assert_eq!(refused.len(), 1, "only the injected one: {refused:?}");
    let retried: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE attempts > 0").fetch_one(&app.pool).await.unwrap();
    assert!(retried > 0, "some sends were dropped and retried");
}

#[tokio::test]
async fn a_serve_process_killed_mid_broadcast_loses_no_cell_and_repeats_at_most_the_sends_in_flight() {
    let sim = loa::sim::Sim::start_default().await.unwrap();
    sim.set_limits(RateLimits { global_per_sec: 40, ..RateLimits::default() });
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let pool = loa::db::open(&db).await.unwrap();
    let cells = 120;
    let chats = crate::harness::private_cells(&sim, &pool, "K", "Chợ Đồn", cells).await;
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let draft = PackDraft::plain(PackKind::Urgent, None, "Thông báo khẩn", "Nội dung");
    let pack = store::insert(&pool, &draft, &[], Actor::Cli).await.unwrap();
    store::schedule(&pool, &config, pack, When::Now, chrono::Utc::now(), Actor::Cli).await.unwrap().unwrap();

    let serve = || {
        tokio::process::Command::from(crate::harness::loa_bin(dir.path()))
            .arg("serve")
            .env("LOA_TELEGRAM__API_URL", sim.url())
            .env("LOA_TELEGRAM__TOKEN", sim.token())
            .env("LOA_DATABASE__URL", &db)
            .env("LOA_DELIVERY__PAID_BROADCAST", "true")
            .env("LOA_DELIVERY__MESSAGES_PER_SECOND", "40")
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let sent = |pool: loa::db::DbPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deliveries WHERE state = 'sent'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let mut first = serve();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sent(pool.clone()).await < 30 {
        assert!(std::time::Instant::now() < deadline, "the first process sent too little");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.start_kill().unwrap(); // SIGKILL
    first.wait().await.unwrap();
    let in_flight: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sending'").fetch_one(&pool).await.unwrap();
    let before = sent(pool.clone()).await;
    assert!(before < cells as i64, "killed mid-broadcast");

    let mut second = serve();
    wait_sent(&pool, pack).await;
    second.start_kill().unwrap();
    second.wait().await.unwrap();

    let mut missed = 0;
    let mut duplicates = 0;
    for chat in &chats {
        let n = sim.bot_messages(*chat).len();
        if n == 0 {
            missed += 1;
        }
        duplicates += n.saturating_sub(1);
    }
    assert_eq!(missed, 0, "no cell missed");
    assert!(duplicates as i64 <= in_flight, "{duplicates} duplicates, {in_flight} sends were in flight at the kill");
    println!("killed after {before} of {cells} sent; {in_flight} in flight; {duplicates} duplicate(s)");
}

#[tokio::test]
async fn the_author_follows_progress_pauses_resumes_and_gets_a_summary() {
    let app = TestApp::spawn_with(|c| {
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 10;
    })
    .await;
    app.sim.set_limits(RateLimits { global_per_sec: 10, ..RateLimits::default() });
    app.sim.open_private_chat(app.admin);
    let chats = province(&app).await;
    app.sim.block_bot(chats[7], true).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::query("UPDATE cells SET status = 'active' WHERE code = 'C-007'").execute(&app.pool).await.unwrap();
    let pack = send_pack(&app).await;
    sqlx::query("UPDATE packs SET created_by = $1 WHERE id = $2")
        .bind(app.admin)
        .bind(pack)
        .execute(&app.pool)
        .await
        .unwrap();

    // the progress message appears, then is edited
    // the scheduler starts the pack within its look interval, the reporter reports every 5 s
    let soon = crate::harness::WAIT * 2;
    let ok = app
        .sim
        .wait_until(soon, |s| {
            s.bot_messages(app.admin).iter().any(|m| m.text().is_some_and(|t| t.starts_with("Đang gửi Quý IV/2023:")))
        })
        .await;
    assert!(ok, "no progress message: {:?}", app.sim.bot_messages(app.admin));
    let progress =
        app.sim.bot_messages(app.admin).into_iter().find(|m| m.text().unwrap_or("").starts_with("Đang gửi")).unwrap();
    assert!(progress.text().unwrap().contains("/60 ("), "{:?}", progress.text());
    assert!(progress.text().unwrap().contains("không gửi được · còn khoảng"), "{:?}", progress.text());

    // pause: nothing new goes out; resume: it goes on
    app.sim.send_text(app.admin, app.admin, "/pause").unwrap();
    let ok = app
        .sim
        .wait_until(crate::harness::WAIT, |s| {
            s.bot_messages(app.admin)
                .iter()
                .any(|m| m.text().is_some_and(|t| t.starts_with("Đã tạm dừng gửi Quý IV/2023")))
        })
        .await;
    assert!(ok);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // sends in flight finish
    let count = || app.sim.calls().iter().filter(|c| c.method == "sendmessage" || c.method == "senddocument").count();
    let paused_at = count();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let progress_edits =
        app.sim.calls().iter().filter(|c| c.method == "sendmessage" && c.chat_id == Some(app.admin)).count();
    assert!(count() <= paused_at + progress_edits, "nothing is sent to cells while paused");
    app.sim.send_text(app.admin, app.admin, "/resume").unwrap();
    wait_sent(&app.pool, pack).await;

    let summary = app
        .sim
        .wait_until(crate::harness::WAIT, |s| {
            s.bot_messages(app.admin).iter().any(|m| m.text().is_some_and(|t| t.starts_with("✅ Đã gửi xong")))
        })
        .await;
    assert!(summary, "no summary");
    let summary =
        app.sim.bot_messages(app.admin).into_iter().rev().find(|m| m.text().unwrap_or("").starts_with("✅")).unwrap();
    let text = summary.text().unwrap();
    assert!(text.starts_with("✅ Đã gửi xong Quý IV/2023: 59/60 chi bộ nhận được."), "{text}");
    assert!(text.contains("1 chi bộ không gửi được:\n• C-007 Chi bộ số 7: đã chặn Loa"), "{text}");
    for chat in chats.iter().filter(|c| **c != chats[7]) {
        assert_got_the_pack_once(&app, *chat);
    }
    assert_eq!(http_429s(&app), 0, "progress edits stay within the limits too");
}

#[tokio::test]
async fn cancelling_a_pack_being_sent_stops_its_broadcast() {
    let app = TestApp::spawn_with(|c| {
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 10;
    })
    .await;
    app.sim.set_limits(RateLimits { global_per_sec: 10, ..RateLimits::default() });
    let chats = province(&app).await;
    let pack = send_pack(&app).await;
    let ok = app
        .sim
        .wait_until(crate::harness::WAIT, |s| chats.iter().filter(|c| !s.bot_messages(**c).is_empty()).count() >= 3)
        .await;
    assert!(ok);
    loa::delivery::broadcast::cancel_pack(&app.pool, pack, Actor::Cli).await.unwrap().unwrap();
    assert_eq!(store::get(&app.pool, pack).await.unwrap().unwrap().status, loa::lifecycle::PackStatus::Cancelled);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let reached = chats.iter().filter(|c| !app.sim.bot_messages(**c).is_empty()).count();
    assert!(reached < CELLS, "the rest were not sent: {reached} of {CELLS}");
    let cancelled: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'cancelled'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(cancelled > 0);
}

#[tokio::test]
async fn content_telegram_refuses_stops_the_broadcast_and_tells_the_author() {
    let app = TestApp::spawn_with(fast).await;
    app.sim.set_limits(RateLimits { global_per_sec: 100, ..RateLimits::default() });
    app.sim.open_private_chat(app.admin);
    let chats = province(&app).await;
    // a pack that slipped past validation: its message is too long for Telegram
    let draft = PackDraft::plain(PackKind::Urgent, None, "Quá dài", &"chữ ".repeat(1100));
    let pack = store::insert(&app.pool, &draft, &[], Actor::User(app.admin)).await.unwrap();
    let config = crate::harness::config_for(&app.sim, &app.dir);
    store::schedule(&app.pool, &config, pack, When::Now, chrono::Utc::now(), Actor::Cli).await.unwrap().unwrap();
    let told = app
        .sim
        .wait_until(crate::harness::WAIT * 2, |s| {
            s.bot_messages(app.admin).iter().any(|m| m.text().is_some_and(|t| t.starts_with("⛔ Đã dừng gửi")))
        })
        .await;
    assert!(told, "the author was not told: {:?}", app.sim.bot_messages(app.admin));
    let state: String = sqlx::query_scalar("SELECT state FROM broadcasts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(state, "failed");
    let reached = chats.iter().filter(|c| !app.sim.bot_messages(**c).is_empty()).count();
    assert_eq!(reached, 0, "nothing too long reached a cell");
}
