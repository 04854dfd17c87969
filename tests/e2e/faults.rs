//! Faults turned up together during a broadcast and the acknowledgements that follow; another
//! process holding SQLite's write lock for seconds in the middle of a broadcast.

use std::time::{Duration, Instant};

use loa::sim::{FaultKind, FaultRule};

use crate::harness::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.pool).await.unwrap()
}

async fn wait_for(app: &TestApp, sql: &str, want: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let got = count(app, sql).await;
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn fault(method: &str, probability: f64, remaining: Option<u32>, fault: FaultKind) -> FaultRule {
    FaultRule { method: Some(method.into()), chat_id: None, probability, remaining, fault }
}

#[tokio::test]
async fn with_faults_everywhere_every_delivery_and_every_acknowledgement_is_accounted_for() {
    let app = TestApp::spawn_with(|c| {
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 100;
    })
    .await;
    let chats = app.private_cells("F", "Ngân Sơn", 40).await;
    for rule in [
        fault("sendmessage", 0.15, None, FaultKind::ServerError { status: 502 }),
        fault("sendmessage", 0.05, None, FaultKind::Drop),
        fault("sendmessage", 0.05, Some(3), FaultKind::DropAfter),
        fault("sendmessage", 0.10, None, FaultKind::Slow { millis: 300 }),
        fault(
            "sendmessage",
            1.0,
            Some(1),
            FaultKind::Api { code: 429, description: "Too Many Requests: retry after 1".into(), retry_after: Some(1) },
        ),
        fault("answercallbackquery", 0.2, None, FaultKind::ServerError { status: 500 }),
        fault("answercallbackquery", 0.1, None, FaultKind::Slow { millis: 200 }),
        fault("editmessagereplymarkup", 0.2, None, FaultKind::ServerError { status: 502 }),
    ] {
        app.sim.add_fault(rule);
    }
    let pack = app.send_plain_pack("Thông báo khẩn").await;
    wait_for(
        &app,
        &format!("SELECT count(*) FROM packs WHERE id = {pack} AND status = 'sent'"),
        1,
        Duration::from_secs(60),
    )
    .await;
    // every delivery accounted for: all reached their cell, none left waiting
    assert_eq!(count(&app, "SELECT count(*) FROM deliveries WHERE state = 'sent'").await, 40);
    let mut duplicates = 0;
    for chat in &chats {
        let got = app.sim.bot_messages(*chat).len();
        assert!(got >= 1, "chat {chat} got nothing");
        duplicates += got - 1;
    }
    assert!(duplicates <= 3, "only a send carried out but not answered may repeat: {duplicates}");

    // every cell presses; every acknowledgement is stored once, whatever happened to the answers
    for (i, chat) in chats.iter().enumerate() {
        let m = app.sim.bot_messages(*chat).into_iter().find(|m| m.reply_markup().is_some()).unwrap();
        let data =
            m.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
        app.sim.press_button(*chat, *chat, m.message_id, &data).unwrap();
        if i % 10 == 0 {
            // and some press twice
            app.sim.press_button(*chat, *chat, m.message_id, &data).unwrap();
        }
    }
    wait_for(&app, "SELECT count(*) FROM acks", 40, Duration::from_secs(30)).await;
    assert_eq!(count(&app, "SELECT count(DISTINCT cell_id) FROM acks").await, 40);
    assert_eq!(count(&app, "SELECT sum(acknowledged) FROM pack_stats").await, 40, "the running totals agree");
    app.sim.clear_faults();
}

#[tokio::test]
async fn another_process_holding_the_write_lock_for_seconds_only_delays_the_broadcast() {
    let app = TestApp::spawn_with(|c| c.delivery.messages_per_second = 30).await;
    let chats = app.private_cells("F", "Ngân Sơn", 60).await;
    app.send_plain_pack("Thông báo khẩn").await;
    wait_for(&app, "SELECT count(*) > 0 FROM deliveries WHERE state = 'sent'", 1, Duration::from_secs(20)).await;
    // another program takes SQLite's write lock and keeps it for three seconds
    let db = loa::db::file_of(&crate::harness::config_for(&app.sim, &app.dir).database_url).unwrap();
    let mut holder = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3, time\nc = sqlite3.connect({:?}, timeout=30, isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(3)\nc.execute('COMMIT')\n",
            db.display().to_string()
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut out = holder.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    assert_eq!(&first, b"locked");
    let during = count(&app, "SELECT count(*) FROM deliveries WHERE state = 'sent'").await;
    // the broadcast waits for the lock, then finishes; nothing is lost or doubled
    wait_for(&app, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 60, Duration::from_secs(40)).await;
    assert!(during < 60);
    for chat in chats {
        assert_eq!(app.sim.bot_messages(chat).len(), 1);
    }
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&app.pool).await.unwrap();
    assert_eq!(check, "ok");
    assert!(holder.wait().unwrap().success(), "the other program committed and ended");
}
