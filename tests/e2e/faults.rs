//! Faults turned up together during a broadcast and the acknowledgements that follow; another
//! process holding SQLite's write lock for seconds in the middle of a broadcast.

use std::time::{Duration, Instant};

use loa::sim::{FaultKind, FaultRule};

use crate::harness::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&app.pool).await.unwrap()
}

async fn wait_for(app: &TestApp, sql: &str, want: i64, limit: Duration) {
    crate::harness::wait_count(&app.pool, sql, want, limit).await
}

fn fault(method: &str, probability: f64, remaining: Option<u32>, fault: FaultKind) -> FaultRule {
    FaultRule { method: Some(method.into()), chat_id: None, probability, remaining, fault }
}

/// The next sendMessage answered "429 Too Many Requests: retry after 1".
fn one_429() -> FaultRule {
    let api =
        FaultKind::Api { code: 429, description: "Too Many Requests: retry after 1".into(), retry_after: Some(1) };
    fault("sendmessage", 1.0, Some(1), api)
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
        one_429(),
        fault("answercallbackquery", 0.2, None, FaultKind::ServerError { status: 500 }),
        fault("answercallbackquery", 0.1, None, FaultKind::Slow { millis: 200 }),
        fault("editmessagereplymarkup", 0.2, None, FaultKind::ServerError { status: 502 }),
    ] {
        app.sim.add_fault(rule);
    }
    let pack = app.send_plain_pack("Thông báo khẩn").await;
    // each 5xx costs 10 s inside teloxide before the worker's own backoff: two in a row for one
    // cell, on a machine busy with other tests, can take most of a minute
    wait_for(
        &app,
        &format!("SELECT count(*) FROM packs WHERE id = {pack} AND status = 'sent'"),
        1,
        Duration::from_secs(120),
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
    assert_eq!(
        count(&app, "SELECT CAST(sum(acknowledged) AS BIGINT) FROM pack_unit_stats").await,
        40,
        "the running totals agree"
    );
    app.sim.clear_faults();
}

#[tokio::test]
async fn with_faults_everywhere_every_report_dialogue_ends_with_its_report_stored_once() {
    let app = TestApp::spawn_with(|c| {
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 100;
    })
    .await;
    let chats = app.private_cells("D", "Chợ Đồn", 12).await;
    let pack = app.send_report_pack("Báo cáo nhanh").await;
    wait_for(
        &app,
        &format!("SELECT count(*) FROM packs WHERE id = {pack} AND status = 'sent'"),
        1,
        Duration::from_secs(30),
    )
    .await;
    // now the questions, the answers to button presses and the buttons' edits meet every fault
    for rule in [
        // (teloxide waits 10 s after any 5xx before it answers: a few go a long way)
        fault("sendmessage", 0.04, None, FaultKind::ServerError { status: 502 }),
        fault("sendmessage", 0.04, None, FaultKind::ServerError { status: 500 }),
        fault("sendmessage", 0.04, None, FaultKind::Drop),
        fault("sendmessage", 0.05, Some(2), FaultKind::DropAfter),
        fault("sendmessage", 0.10, None, FaultKind::Slow { millis: 300 }),
        one_429(),
        fault("answercallbackquery", 0.2, None, FaultKind::ServerError { status: 502 }),
        fault("editmessagereplymarkup", 0.2, None, FaultKind::ServerError { status: 500 }),
        fault("getupdates", 0.1, Some(2), FaultKind::ServerError { status: 502 }),
        fault("getupdates", 0.1, None, FaultKind::Drop),
    ] {
        app.sim.add_fault(rule);
    }
    let deliveries: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, chat_id, ack_message_id FROM deliveries WHERE state = 'sent' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(deliveries.len(), chats.len());
    let dialogues = deliveries.iter().enumerate().map(|(i, (id, chat, message))| {
        let plan = loa::demo::Plan {
            chat: *chat,
            user: *chat,
            message_id: *message,
            delivery_id: *id,
            ack: i % 2 == 0,
            report: true,
            delay: Duration::from_millis(50 * i as u64),
            attendance: 10 + i as u32,
        };
        loa::demo::answer(&app.sim, plan)
    });
    for (i, done) in futures::future::join_all(dialogues).await.into_iter().enumerate() {
        assert_eq!(done.expect("every question reached its member"), (i % 2 == 0, true));
    }
    // every dialogue ended with one report, its acknowledgement implied; nothing left half-way
    wait_for(&app, "SELECT count(*) FROM reports", 12, Duration::from_secs(30)).await;
    assert_eq!(count(&app, "SELECT count(DISTINCT cell_id) FROM reports").await, 12);
    assert_eq!(count(&app, "SELECT count(*) FROM dialogues").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM acks").await, 12);
    let attendance: Vec<i64> =
        sqlx::query_scalar("SELECT attendance FROM reports ORDER BY cell_id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(attendance, (10..22).collect::<Vec<i64>>(), "each report holds its own cell's answers");
    assert_eq!(
        count(&app, "SELECT CAST(sum(reported) AS BIGINT) FROM pack_unit_stats").await,
        12,
        "the running totals agree"
    );
    app.sim.clear_faults();
}

#[tokio::test]
async fn another_process_holding_the_write_lock_for_seconds_only_delays_the_broadcast() {
    // 60 cells at 15 messages a second: a broadcast of four seconds for the lock to fall into
    let app = TestApp::spawn_with(|c| c.delivery.messages_per_second = 15).await;
    let chats = app.private_cells("F", "Ngân Sơn", 60).await;
    app.send_plain_pack("Thông báo khẩn").await;
    wait_for(
        &app,
        "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM deliveries WHERE state = 'sent'",
        1,
        Duration::from_secs(20),
    )
    .await;
    // another program takes SQLite's write lock and keeps it for three seconds (it may wait a
    // while for its turn: SQLite's busy handler polls, and on a machine busy with the whole suite
    // a broadcast's back-to-back transactions can keep it out for more than half a minute)
    let url = crate::harness::config_for(&app.sim, &app.dir).database_url;
    if crate::harness::on_postgres() {
        // on PostgreSQL the writers' turn is an advisory lock: another session holds it
        use sqlx::Connection;
        let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)").bind(loa::db::WRITER_LOCK_KEY).execute(&mut other).await.unwrap();
        // Loa's writes wait for their turn behind it (as behind SQLite's lock), then go on
        let during = count(&app, "SELECT count(*) FROM deliveries WHERE state = 'sent'").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(loa::db::WRITER_LOCK_KEY).execute(&mut other).await.unwrap();
        assert!(during < 60);
        wait_for(&app, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 60, Duration::from_secs(40)).await;
        for chat in chats {
            assert_eq!(app.sim.bot_messages(chat).len(), 1);
        }
        return;
    }
    let db = loa::db::file_of(&url).unwrap();
    let mut holder = std::process::Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3, time\nc = sqlite3.connect({:?}, timeout=120, isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(3)\nc.execute('COMMIT')\n",
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

/// A database under `dir` with `n` cells bound to private chats of `sim` and a one-message pack
/// scheduled now, for a `loa serve` process to send: its URL, a pool on it, the chats, the pack.
async fn province_with_a_pack(
    sim: &loa::sim::Sim,
    dir: &std::path::Path,
    prefix: &str,
    district: &str,
    n: usize,
) -> (String, loa::db::DbPool, Vec<i64>, i64) {
    let db = format!("sqlite://{}/data/loa.db", dir.display());
    let pool = loa::db::open(&db).await.unwrap();
    let chats = crate::harness::private_cells(sim, &pool, prefix, district, n).await;
    let config = loa::config::Config::for_simulator(&db, None, None).unwrap();
    let draft = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, "Khẩn", "Nội dung");
    let pack = loa::packs::store::create(&pool, &config, &draft, loa::audit::Actor::Cli).await.unwrap();
    let (now, when) = (chrono::Utc::now(), loa::packs::store::When::Now);
    loa::packs::store::schedule(&pool, &config, pack, when, now, loa::audit::Actor::Cli).await.unwrap().unwrap();
    (db, pool, chats, pack)
}

/// Twenty `kill -9`s of a `loa serve` process at random moments of a broadcast while cells press
/// the button; after each restart the invariants hold: no cell missed, duplicates only from sends
/// in flight at a kill, no acknowledgement twice, and every member who presses until answered is
/// recorded (an update fetched but not handled is fetched again; one being handled at the kill is
/// not, and its member presses again).
#[tokio::test]
async fn twenty_kill_9s_during_a_broadcast_with_acks_arriving_lose_nothing() {
    use rand::{Rng, SeedableRng};
    let sim = loa::sim::Sim::start_default().await.unwrap();
    sim.set_limits(loa::sim::RateLimits { global_per_sec: 40, ..loa::sim::RateLimits::default() });
    let dir = tempfile::tempdir().unwrap();
    let cells = 80;
    let (db, pool, chats, pack) = province_with_a_pack(&sim, dir.path(), "R", "Pác Nặm", cells).await;
    let serve = || crate::harness::serve_process(dir.path(), &sim, &db, 40, "127.0.0.1:0").spawn().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut pressed: std::collections::HashMap<i64, Instant> = std::collections::HashMap::new();
    let mut in_flight_at_kills = 0;
    let mut pressed_again = 0;
    // each member presses once; one whose press got no answer within three seconds presses again,
    // as anyone would (a press being handled at a kill is gone: Telegram counts an update
    // delivered once Loa asks for the next ones)
    let mut press = |pressed: &mut std::collections::HashMap<i64, Instant>| {
        // an alert is Loa saying it could not save the press ("press again in a few minutes"):
        // the member presses again, as told
        let answered: std::collections::HashSet<i64> =
            sim.callback_answers().iter().filter(|a| !a.show_alert).map(|a| a.chat_id).collect();
        for chat in &chats {
            let again = match pressed.get(chat) {
                None => false,
                Some(at) if !answered.contains(chat) && at.elapsed() > Duration::from_secs(3) => true,
                Some(_) => continue,
            };
            if let Some(m) = sim.bot_messages(*chat).into_iter().find(|m| m.reply_markup().is_some()) {
                let data = m
                    .json
                    .pointer("/reply_markup/inline_keyboard/0/0/callback_data")
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string();
                if sim.press_button(*chat, *chat, m.message_id, &data).is_ok() {
                    pressed.insert(*chat, Instant::now());
                    pressed_again += usize::from(again);
                }
            }
        }
    };
    for _ in 0..20 {
        let mut child = serve();
        let life = Duration::from_millis(rng.random_range(300..1500));
        let until = Instant::now() + life;
        while Instant::now() < until {
            press(&mut pressed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.start_kill().unwrap(); // SIGKILL
        child.wait().await.unwrap();
        in_flight_at_kills += sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deliveries WHERE state = 'sending'")
            .fetch_one(&pool)
            .await
            .unwrap();
        // invariants after each kill: every acknowledgement stored belongs to a press, once per cell
        let (acks, distinct): (i64, i64) =
            sqlx::query_as("SELECT count(*), count(DISTINCT cell_id) FROM acks").fetch_one(&pool).await.unwrap();
        assert_eq!(acks, distinct);
        assert!(acks as usize <= pressed.len());
        let check: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(&pool).await.unwrap();
        assert_eq!(check, "ok");
    }
    // a last run to the end: every cell reached, every press recorded
    let mut last = serve();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        press(&mut pressed);
        let status: String =
            sqlx::query_scalar("SELECT status FROM packs WHERE id = $1").bind(pack).fetch_one(&pool).await.unwrap();
        let acks: i64 = sqlx::query_scalar("SELECT count(*) FROM acks").fetch_one(&pool).await.unwrap();
        if status == "sent" && pressed.len() == cells && acks as usize == cells {
            break;
        }
        if Instant::now() >= deadline {
            let acked: Vec<i64> = sqlx::query_scalar("SELECT c.chat_id FROM acks a JOIN cells c ON c.id = a.cell_id")
                .fetch_all(&pool)
                .await
                .unwrap();
            let behind: Vec<_> = chats.iter().filter(|c| !acked.contains(c)).collect();
            let answers: Vec<_> = sim.callback_answers().into_iter().filter(|a| behind.contains(&&a.chat_id)).collect();
            panic!(
                "not finished: {status}, {} pressed, {acks} acks; behind: {behind:?}; their answers: {answers:?}",
                pressed.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last.start_kill().unwrap();
    last.wait().await.unwrap();
    let mut duplicates = 0;
    for chat in &chats {
        let n = sim.bot_messages(*chat).len();
        assert!(n >= 1, "chat {chat} missed");
        duplicates += n - 1;
    }
    assert!(
        duplicates as i64 <= in_flight_at_kills,
        "{duplicates} duplicates, {in_flight_at_kills} in flight at the kills"
    );
    eprintln!("{pressed_again} presses made again after no answer, over 20 kills");
}

/// Sets the soft file-size limit of process `pid` (the hard limit stays): a write past it fails
/// as a write to a full disk does.
fn limit_file_size(pid: u32, bytes: Option<u64>) {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: prlimit reads `new` and fills `old`, both valid for the call.
    unsafe {
        assert_eq!(libc::prlimit(pid as i32, libc::RLIMIT_FSIZE, std::ptr::null(), &mut old), 0);
        let new = libc::rlimit { rlim_cur: bytes.unwrap_or(old.rlim_max), rlim_max: old.rlim_max };
        assert_eq!(libc::prlimit(pid as i32, libc::RLIMIT_FSIZE, &new, std::ptr::null_mut()), 0);
    }
}

/// The disk fills up in the middle of a broadcast (a file-size limit on the running `loa serve`:
/// every write to the database fails): the failures are logged clearly, a cell pressing the button
/// is told its acknowledgement was not saved, nothing is sent twice or corrupted, and when there is
/// room again the broadcast finishes on its own, in the same process.
#[tokio::test]
async fn a_full_disk_during_a_broadcast_stops_nothing_for_good_and_corrupts_nothing() {
    let sim = loa::sim::Sim::start_default().await.unwrap();
    sim.set_limits(loa::sim::RateLimits { global_per_sec: 20, ..loa::sim::RateLimits::default() });
    let dir = tempfile::tempdir().unwrap();
    let cells = 60;
    let (db, pool, chats, pack) = province_with_a_pack(&sim, dir.path(), "K", "Na Rì", cells).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let healthz = format!("http://127.0.0.1:{port}/healthz");
    let mut child = crate::harness::serve_process(dir.path(), &sim, &db, 20, &format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn,loa::delivery=info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let (log, reading) = crate::harness::keep_log(child.stderr.take().unwrap());
    let sent = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetch_one(&pool).await.unwrap()
    };
    crate::harness::wait_for("the broadcast to start", Duration::from_secs(30), async || {
        (sent().await >= 10).then_some(())
    })
    .await;

    // the disk is full: not a byte more in any file
    limit_file_size(pid, Some(0));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_full = sent().await;
    // a cell that has its message presses the button and is told to press again later
    let (chat, m) = chats
        .iter()
        .find_map(|c| sim.bot_messages(*c).into_iter().find(|m| m.reply_markup().is_some()).map(|m| (*c, m)))
        .unwrap();
    let data = m.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
    sim.press_button(chat, chat, m.message_id, &data).unwrap();
    let told = sim
        .wait_until(Duration::from_secs(15), |s| {
            s.callback_answers()
                .iter()
                .any(|a| a.show_alert && a.text.as_deref().is_some_and(|t| t.contains("bấm lại")))
        })
        .await;
    assert!(
        told,
        "{:?}\n{}",
        sim.callback_answers(),
        log.lock().unwrap().lines().filter(|l| !l.contains("refused a write")).collect::<Vec<_>>().join("\n")
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = sent().await;
    assert!(during - at_full <= 2, "nothing can be recorded on a full disk: {at_full} then {during}");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM acks").fetch_one(&pool).await.unwrap(), 0);
    // and the operator's health check says what is wrong
    let health = reqwest::get(&healthz).await.unwrap();
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.unwrap();
    assert!(body["database"].as_str().unwrap().starts_with("refusing writes"), "{body}");

    // room again: the same process finishes the broadcast, and the press made again is recorded
    limit_file_size(pid, None);
    let sent_pack = format!("SELECT count(*) FROM packs WHERE id = {pack} AND status = 'sent'");
    crate::harness::wait_count(&pool, &sent_pack, 1, Duration::from_secs(60)).await;
    assert_eq!(sent().await, cells as i64);
    for c in &chats {
        assert_eq!(sim.bot_messages(*c).len(), 1, "chat {c}: one message, none lost or doubled");
    }
    sim.press_button(chat, chat, m.message_id, &data).unwrap();
    crate::harness::wait_count(&pool, "SELECT count(*) FROM acks", 1, Duration::from_secs(15)).await;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
    assert_eq!(check, "ok");
    let body: serde_json::Value = reqwest::get(&healthz).await.unwrap().json().await.unwrap();
    assert_eq!(body["database"], "ok", "{body}");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    reading.await.unwrap();
    let log = log.lock().unwrap().clone();
    assert!(log.contains("the database refused a write; trying again"), "{log}");
    assert!(log.contains("failed to store an acknowledgement"), "{log}");
    assert!(log.contains("the database took the write again"), "{log}");
    assert!(!log.contains("transaction depth"), "no connection left believing it is in a transaction: {log}");
}
