//! A stranger floods the bot: a group it was added to, its members typing `/help@bot` five times
//! a second for two minutes, and a private chat typing `/start` besides, while twelve cells press
//! the button and go through the report dialogue. `loa serve` runs as a process of its own, so
//! that its resident memory is its own.

use std::time::{Duration, Instant};

use loa::sim::{ChatKind, Sim};

async fn count(pool: &loa::db::DbPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn resident_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_group_flooding_the_bot_for_two_minutes_holds_up_no_press_and_no_report() {
    let sim = std::sync::Arc::new(Sim::start_default().await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let pool = loa::db::open(&db).await.unwrap();
    let chats = crate::harness::private_cells(&sim, &pool, "L", "Pác Nặm", 12).await;
    crate::harness::schedule_report_pack(&pool, &db, "Khẩn").await;

    let mut child = crate::harness::serve_process(dir.path(), &sim, &db, 100, "127.0.0.1:0").spawn().unwrap();
    let pid = child.id().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'").await < 12 {
        assert!(Instant::now() < deadline, "the pack did not reach the twelve cells");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // the strangers: a group with the bot in it, three members, and a private chat
    let members: Vec<i64> = (0..3).map(|i| sim.create_user(&format!("Lạ {i}"), None)).collect();
    let group = sim.create_group("Nhóm lạ", ChatKind::Supergroup);
    sim.add_bot_to_group(group, members[0], None).unwrap();
    let loner = sim.create_user("Người lạ", None);
    let flood = {
        let (sim, members) = (sim.clone(), members.clone());
        tokio::spawn(async move {
            let (started, mut sent) = (Instant::now(), 0u64);
            let command = format!("/help@{}", sim.bot_username());
            while started.elapsed() < Duration::from_secs(120) {
                sim.send_text(group, members[sent as usize % 3], &command).unwrap();
                if sent % 3 == 0 {
                    sim.send_text(loner, loner, "/start").unwrap();
                }
                sent += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            sent
        })
    };
    // long enough for a queue of 64 updates answered one a second (twenty a minute) to fill many times over
    tokio::time::sleep(Duration::from_secs(30)).await;
    let warm_kb = resident_kb(pid);

    let deliveries: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, chat_id, ack_message_id FROM deliveries ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let dialogues = deliveries.iter().enumerate().map(|(i, (id, chat, message))| {
        let plan = loa::demo::Plan {
            chat: *chat,
            user: *chat,
            message_id: *message,
            delivery_id: *id,
            ack: true,
            report: true,
            delay: Duration::from_millis(100 * i as u64),
            attendance: 10 + i as u32,
        };
        let sim = sim.clone();
        async move {
            let started = Instant::now();
            let done = loa::demo::answer(&sim, plan).await;
            (done, started.elapsed())
        }
    });
    let mut slowest = Duration::ZERO;
    for (done, took) in futures::future::join_all(dialogues).await {
        assert_eq!(done.expect("every question reached its member"), (true, true));
        slowest = slowest.max(took);
    }
    // a dialogue is a press, a press, and four questions a second apart in a private chat
    assert!(slowest < Duration::from_secs(30), "a press and a report took {slowest:?} during the flood");
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&pool, "SELECT count(*) FROM reports").await < 12 {
        assert!(Instant::now() < deadline, "reports not all stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM acks").await, 12);
    assert_eq!(chats.len(), 12);

    let sent = flood.await.unwrap();
    assert!(sent > 500, "the flood sent {sent} messages");
    let end_kb = resident_kb(pid);
    println!(
        "flood: {sent} stranger messages in 120 s; slowest press-and-report dialogue {slowest:?}; resident memory {warm_kb} KB after 30 s of flood, {end_kb} KB at its end"
    );
    // strangers are answered once a minute a chat: two minutes, two or three answers each
    let answers = sim.bot_messages(group).len();
    assert!((1..=3).contains(&answers), "the flooding group got {answers} answers");
    let answers = sim.bot_messages(loner).len();
    assert!((1..=3).contains(&answers), "the flooding private chat got {answers} answers");
    // nothing of the flood is kept: no queue, no task per message
    assert!(
        end_kb < warm_kb + 16 * 1024,
        "resident memory grew from {warm_kb} KB to {end_kb} KB over ninety seconds of flood"
    );
    // and the bot is still there for everyone: a cell's /packs is answered at once
    let before = sim.bot_messages(chats[0]).len();
    sim.send_text(chats[0], chats[0], "/packs").unwrap();
    let got = sim.wait_for_bot_messages(chats[0], before + 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), before + 1, "/packs was not answered");
    assert!(got.last().unwrap().text().unwrap_or_default().contains("Khẩn"), "{:?}", got.last().unwrap().text());
    child.kill().await.unwrap();
}
