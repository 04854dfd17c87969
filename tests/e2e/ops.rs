//! Operations: `loa backup` while a broadcast runs.

use std::time::Duration;

use crate::harness::{TestApp, WAIT, loa_bin};

#[tokio::test]
async fn a_backup_taken_during_a_broadcast_is_consistent_and_checked() {
    let app = TestApp::spawn_with(|c| c.delivery.messages_per_second = 20).await;
    app.private_cells("C", "Na Rì", 80).await;
    let config = crate::harness::config_for(&app.sim, &app.dir);
    app.send_plain_pack("Thông báo khẩn").await;
    // wait until the broadcast is under way
    let under_way = "SELECT CASE WHEN count(*) >= 10 THEN 1 ELSE 0 END FROM deliveries WHERE state = 'sent'";
    crate::harness::wait_count(&app.pool, under_way, 1, std::time::Duration::from_secs(20)).await;
    std::fs::write(app.dir.path().join("loa.toml"), format!("[database]\nurl = \"{}\"\n", config.database_url))
        .unwrap();
    let out = loa_bin(app.dir.path()).args(["--config", "loa.toml", "backup", "copy.db"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if crate::harness::on_postgres() {
        // a PostgreSQL database is PostgreSQL's to back up: Loa says so and writes nothing
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{stdout}");
        assert!(stderr.contains("pg_dump"), "{stderr}");
        assert!(!app.dir.path().join("copy.db").exists());
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("backup written to copy.db ("), "{stdout}");
    assert!(stdout.contains("integrity ok") && stdout.contains("80 cells, 1 packs, 80 deliveries"), "{stdout}");
    let live_sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetch_one(&app.pool).await.unwrap();
    assert!(live_sent < 80, "the backup was taken while the broadcast ran");

    // the copy opens on its own, whole
    let copy = loa::db::open(&format!("sqlite://{}/copy.db", app.dir.path().display())).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await.unwrap();
    assert_eq!(check, "ok");
    let (deliveries, sent): (i64, i64) = sqlx::query_as(
        "SELECT count(*), CAST(sum(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) AS BIGINT) FROM deliveries",
    )
    .fetch_one(&copy)
    .await
    .unwrap();
    assert_eq!(deliveries, 80);
    assert!((10..80).contains(&sent), "{sent}");
    // and its running totals agree with its rows: one snapshot
    let totals: i64 = sqlx::query_scalar("SELECT CAST(sum(delivered) AS BIGINT) FROM pack_unit_stats")
        .fetch_one(&copy)
        .await
        .unwrap();
    assert_eq!(totals, sent);

    // a backup never overwrites
    let out = loa_bin(app.dir.path()).args(["--config", "loa.toml", "backup", "copy.db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("copy.db exists already"));
    assert!(!app.dir.path().join("copy.db.part").exists());
}

static HTTP_PORT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn healthz_and_metrics_tell_how_loa_is_doing_after_a_broadcast() {
    HTTP_PORT.store(free_port(), std::sync::atomic::Ordering::SeqCst);
    let app = TestApp::spawn_with(|c| {
        c.http_listen = format!("127.0.0.1:{}", HTTP_PORT.load(std::sync::atomic::Ordering::SeqCst)).parse().unwrap();
        c.delivery.paid_broadcast = true;
        c.delivery.messages_per_second = 100;
    })
    .await;
    let base = format!("http://127.0.0.1:{}", HTTP_PORT.load(std::sync::atomic::Ordering::SeqCst));
    let http = reqwest::Client::new();
    // healthy once the scheduler has made a step
    let health = crate::harness::wait_for("/healthz to say ok", std::time::Duration::from_secs(15), async || {
        let r = http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status() == 200)?;
        Some(r.json::<serde_json::Value>().await.unwrap())
    })
    .await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert!(health["telegram_last_ok_s"].as_i64().unwrap() <= 60);
    assert!(health["scheduler_last_step_s"].as_i64().unwrap() <= 60);
    assert_eq!(health["backlog"], 0);

    // a broadcast to five cells, and a sixth cell that has blocked the bot (marked unreachable
    // when Telegram tells the bot, before the broadcast: no delivery)
    let chats = app.private_cells("M", "Ba Bể", 6).await;
    app.sim.block_bot(chats[5], true).unwrap();
    crate::harness::wait_for("the sixth cell unreachable", crate::harness::WAIT, async || {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM cells WHERE status = 'unreachable'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
    app.send_plain_pack("Thông báo").await;
    let got = app.sim.wait_for_bot_messages(chats[4], 1, crate::harness::WAIT).await;
    let data =
        got[0].json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
    app.sim.press_button(chats[4], chats[4], got[0].message_id, &data).unwrap();
    let ok = app.sim.wait_until(crate::harness::WAIT, |s| !s.callback_answers().is_empty()).await;
    assert!(ok);
    let text =
        crate::harness::wait_for("five deliveries sent in /metrics", std::time::Duration::from_secs(15), async || {
            let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
            (text.contains("loa_deliveries{state=\"sent\"} 5") && text.contains("loa_backlog 0")).then_some(text)
        })
        .await;
    for (state, n) in [("pending", 0), ("sending", 0), ("failed", 0), ("cancelled", 0)] {
        assert!(text.contains(&format!("loa_deliveries{{state=\"{state}\"}} {n}\n")), "{state}: {text}");
    }
    assert!(text.contains("loa_cells{status=\"active\"} 5"), "{text}");
    assert!(text.contains("loa_cells{status=\"unreachable\"} 1"), "{text}");
    // rows of every state (a resend of the test's own, not sent by the worker) are each counted
    // once, in their state
    let pack: i64 =
        sqlx::query_scalar("SELECT pack_id FROM broadcasts ORDER BY id LIMIT 1").fetch_one(&app.pool).await.unwrap();
    let resend: i64 = sqlx::query_scalar(
        "INSERT INTO broadcasts (pack_id, kind, state, created_at) VALUES ($1, 'resend', 'done', 0) RETURNING id",
    )
    .bind(pack)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let cells: Vec<(i64, i64)> = sqlx::query_as("SELECT id, chat_id FROM cells WHERE status = 'active' ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for ((cell, chat), state) in cells.iter().zip(["failed", "failed", "cancelled", "sent"]) {
        sqlx::query(
            "INSERT INTO deliveries (broadcast_id, cell_id, chat_id, state, next_attempt_at) VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(resend)
        .bind(cell)
        .bind(chat)
        .bind(state)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let text = crate::harness::wait_for("every state counted", std::time::Duration::from_secs(15), async || {
        let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        text.contains("loa_deliveries{state=\"failed\"} 2").then_some(text)
    })
    .await;
    for (state, n) in [("pending", 0), ("sending", 0), ("failed", 2), ("cancelled", 1), ("sent", 6)] {
        assert!(text.contains(&format!("loa_deliveries{{state=\"{state}\"}} {n}\n")), "{state}: {text}");
    }
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    // counters are the process's, shared by the tests running beside this one
    assert!(value("loa_sends_total{kind=\"message\"}") >= 5.0);
    assert!(value("loa_acks_total") >= 1.0);
    assert!(value("loa_send_seconds_count") >= 5.0);
    assert!(text.contains("loa_send_seconds_bucket{le=\"0.25\"}"), "a latency histogram: {text}");
    assert!(text.contains("# HELP loa_sends_total"), "{text}");
    // the process's own figures, for long runs to watch
    assert!(value("loa_tasks_alive") >= 1.0);
    assert!(value("process_resident_memory_bytes") > 1_000_000.0);
    assert!(value("process_open_fds") >= 3.0);
}

static WEBHOOK_PORT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

#[tokio::test]
async fn webhook_mode_takes_updates_with_the_secret_and_refuses_others() {
    WEBHOOK_PORT.store(free_port(), std::sync::atomic::Ordering::SeqCst);
    let mut app = TestApp::spawn_with(|c| {
        let port = WEBHOOK_PORT.load(std::sync::atomic::Ordering::SeqCst);
        c.telegram.mode = loa::config::Mode::Webhook;
        c.telegram.webhook_listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.telegram.webhook_public_url = Some(format!("http://127.0.0.1:{port}/telegram").parse().unwrap());
        c.telegram.webhook_secret = Some(secrecy::SecretString::from("loa-webhook-Secret_42"));
    })
    .await;
    let port = WEBHOOK_PORT.load(std::sync::atomic::Ordering::SeqCst);
    let url = format!("http://127.0.0.1:{port}/telegram");
    let ok = app.sim.wait_until(crate::harness::WAIT, |s| s.webhook_url().as_deref() == Some(url.as_str())).await;
    assert!(ok, "Loa registered its webhook: {:?}", app.sim.webhook_url());

    // a member of staff talks to the bot (a stranger would be answered once a minute): the
    // simulator pushes the updates, Loa answers as in polling mode
    let user = app.admin;
    app.sim.send_text(user, user, "/start").unwrap();
    assert!(app.nth_reply(user, 1).await.starts_with("Xin chào Quản trị!"));
    app.sim.send_text(user, user, "/help").unwrap();
    assert!(app.nth_reply(user, 2).await.starts_with("Loa — hướng dẫn sử dụng"));

    // anyone else calling the webhook is refused
    let http = reqwest::Client::new();
    let update = serde_json::json!({"update_id": 999999, "message": {"message_id": 1, "date": 0,
        "chat": {"id": user, "type": "private", "first_name": "Lan"}, "from": {"id": user, "is_bot": false, "first_name": "Lan"}, "text": "/help"}});
    let no_secret = http.post(&url).json(&update).send().await.unwrap();
    assert_eq!(no_secret.status(), 401);
    let wrong = http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "guess").json(&update).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.sim.bot_messages(user).len(), 2, "a refused update does nothing");
    let right = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "loa-webhook-Secret_42")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(app.nth_reply(user, 3).await.starts_with("Loa — hướng dẫn sử dụng"));

    app.stop().await;
    if crate::harness::on_postgres() {
        // other instances on the database may answer it: a stop leaves it set
        assert_eq!(app.sim.webhook_url().as_deref(), Some(url.as_str()));
    } else {
        // alone on its SQLite database, a stop removes it
        assert_eq!(app.sim.webhook_url(), None);
    }
}

#[tokio::test]
async fn a_graceful_stop_during_a_broadcast_is_quick_and_loses_and_doubles_nothing() {
    let mut app = TestApp::spawn_with(|c| c.delivery.messages_per_second = 20).await;
    let chats = app.private_cells("G", "Chợ Mới", 60).await;
    app.send_plain_pack("Thông báo").await;
    let pool = app.pool.clone();
    let sent = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetch_one(&pool).await.unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sent().await < 15 {
        assert!(std::time::Instant::now() < deadline, "the broadcast did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let took = app.stop().await;
    assert!(took < loa::delivery::worker::SHUTDOWN_GRACE + std::time::Duration::from_secs(5), "{took:?}");
    let at_stop = sent().await;
    assert!(at_stop < 60, "stopped mid-broadcast");
    let sending: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sending'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sending, 0, "nothing is left half-sent by a graceful stop");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let quiet = app.sim.call_count("sendMessage");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.sim.call_count("sendMessage"), quiet, "nothing is sent after the stop");

    app.start().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sent().await < 60 {
        assert!(std::time::Instant::now() < deadline, "the rest was not sent after the restart");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for chat in chats {
        assert_eq!(app.sim.bot_messages(chat).len(), 1, "chat {chat}: exactly one copy");
    }
}

/// A whole `loa serve` run, in webhook mode with debug logs, through which a cell binds with its
/// invite code and reports, strangers knock at the webhook, and /metrics is asked for: its log
/// holds none of the token, the webhook secret, the metrics token, the invite code or the
/// report's text.
#[tokio::test]
async fn a_whole_runs_log_holds_no_token_secret_invite_code_or_report_text() {
    let sim = loa::sim::Sim::start_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let pool = loa::db::open(&db).await.unwrap();
    let rows = loa::cells::import::parse_csv(crate::harness::REGISTRY.as_bytes()).unwrap();
    loa::cells::import::apply(&pool, &rows, Default::default(), loa::audit::Actor::Cli).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let cell = loa::cells::by_code(&mut conn, "NR-001").await.unwrap().unwrap();
    drop(conn);
    let code = loa::cells::invites::issue(&pool, &[cell], 30, loa::audit::Actor::Cli).await.unwrap()[0]
        .code
        .as_str()
        .to_string();
    let (web, metrics) = (free_port(), free_port());
    let secret = "Webhook_Secret-for-the-log-test-77";
    let metrics_token = "metrics-bearer-token-for-the-log-test";
    let mut child = crate::harness::serve_process(dir.path(), &sim, &db, 30, &format!("127.0.0.1:{metrics}"))
        .env("RUST_LOG", "debug")
        .env("LOA_TELEGRAM__MODE", "webhook")
        .env("LOA_TELEGRAM__WEBHOOK__LISTEN", format!("127.0.0.1:{web}"))
        .env("LOA_TELEGRAM__WEBHOOK__PUBLIC_URL", format!("http://127.0.0.1:{web}/telegram"))
        .env("LOA_TELEGRAM__WEBHOOK__SECRET", secret)
        .env("LOA_HTTP__METRICS_TOKEN", metrics_token)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::BufReader::new(stderr), &mut text).await.unwrap();
        text
    });
    assert!(sim.wait_until(WAIT, |s| s.webhook_url().is_some()).await, "the webhook was set");

    // a secretary binds the cell with the code, and a pack asking for a report reaches them
    let secretary = sim.create_user("Bí thư", None);
    sim.send_text(secretary, secretary, &format!("/start {code}")).unwrap();
    assert!(sim.wait_for_bot_messages(secretary, 1, WAIT).await[0].text().unwrap().starts_with("Đã kết nối"));
    crate::harness::schedule_report_pack(&pool, &db, "Khẩn").await;
    let got = sim.wait_for_bot_messages(secretary, 2, Duration::from_secs(30)).await;
    let message = got.iter().find(|m| m.reply_markup().is_some()).expect("the pack with its buttons");
    let delivery: i64 = sqlx::query_scalar("SELECT id FROM deliveries").fetch_one(&pool).await.unwrap();
    // the report's text, as its fourth answer would be typed
    let report_text = "Nội dung riêng của chi bộ, không để lộ ra nhật ký 4711";
    sim.press_button(secretary, secretary, message.message_id, &format!("r:{delivery}")).unwrap();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%d/%m/%Y").to_string();
    for (n, answer) in [("1/4", yesterday.as_str()), ("2/4", "12"), ("3/4", report_text), ("4/4", "Không")] {
        let q = loa::demo::question(&sim, secretary, secretary, n).await.unwrap();
        sim.reply(secretary, secretary, q, answer).unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM reports").fetch_one(&pool).await.unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the report was not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // strangers at the webhook: no secret, a wrong one, a header that is not text, and with the
    // right secret a body that is no update and carries the invite code
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{web}/telegram");
    let body = format!("{{\"update_id\": \"x\", \"message\": {{\"text\": \"/start {code}\"}}}}");
    let no_secret = http.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(no_secret.status(), 401);
    let wrong = http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "guess").body(body.clone()).send().await;
    assert_eq!(wrong.unwrap().status(), 401);
    let not_text = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe secret").unwrap();
    let odd = http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", not_text).body(body.clone()).send().await;
    assert_eq!(odd.unwrap().status(), 401, "a header that is not text is refused like any wrong one");
    let garbage = http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", secret).body(body).send().await;
    assert_eq!(garbage.unwrap().status(), 200, "answered, so that Telegram does not send it again");
    // /metrics asks for its bearer token
    let m = format!("http://127.0.0.1:{metrics}/metrics");
    assert_eq!(http.get(&m).send().await.unwrap().status(), 401);
    assert_eq!(http.get(&m).bearer_auth("wrong-token-wrong-token").send().await.unwrap().status(), 401);
    let ok = http.get(&m).bearer_auth(metrics_token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("loa_reports_total"));

    // stop it, and read everything it wrote
    let pid = child.id().unwrap() as i32;
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let log = log.await.unwrap();
    assert!(log.lines().count() > 50, "a debug log of the run: {log}");
    for (what, needle) in [
        ("the bot token", sim.token()),
        ("the token's secret half", sim.token().split_once(':').unwrap().1.to_string()),
        ("the webhook secret", secret.to_string()),
        ("the metrics token", metrics_token.to_string()),
        ("the invite code", code.clone()),
        ("the report's text", report_text.to_string()),
        ("the report's text, escaped", "không để lộ".to_string()),
    ] {
        assert!(
            !log.contains(&needle),
            "{what} is in the log:\n{}",
            log.lines().filter(|l| l.contains(&needle)).collect::<Vec<_>>().join("\n")
        );
    }
    assert_eq!(
        log.matches("webhook request refused: wrong or missing secret token").count(),
        3,
        "every refusal logged"
    );
    assert!(log.contains("webhook update not understood"), "the garbage update is logged by its size");
    assert!(log.contains("/metrics refused"));
}

/// A backup carries the files the database refers to (a pack's document, a situation report's
/// photo), each checked by its hash, into `FILE.files/`; a file the store lacks is named in a
/// warning, not silently dropped; and `FILE.files` is never overwritten either.
#[tokio::test]
async fn a_backup_carries_the_store_s_files_and_names_what_is_missing() {
    // a backup is a copy of SQLite's file (PostgreSQL's is pg_dump's, see the test above)
    let o = crate::harness::Offline::sqlite().await;
    o.connect(&["NR-001"]).await;
    let (doc_sha, doc_path) = loa::packs::store::store_bytes(&o.config, b"%PDF-1.4 ke hoach").unwrap();
    let draft = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, "Có tệp", "Nội dung");
    let doc = loa::packs::store::NewAttachment {
        name: "ke-hoach.pdf".into(),
        size: 17,
        mime: "application/pdf".into(),
        sha256: doc_sha.clone(),
        local_path: Some(doc_path.to_string_lossy().to_string()),
        telegram_file_id: None,
        telegram_file_unique_id: None,
    };
    loa::packs::store::insert(&o.pool, &draft, &[doc], loa::audit::Actor::Cli).await.unwrap();
    let (photo_sha, photo_path) = loa::packs::store::store_bytes(&o.config, b"\xFF\xD8 anh").unwrap();
    let cell: (i64, i64) =
        sqlx::query_as("SELECT id, chat_id FROM cells WHERE code = 'NR-001'").fetch_one(&o.pool).await.unwrap();
    let report = loa::situations::NewSituation {
        cell_id: Some(cell.0),
        unit_id: None,
        chat_id: cell.1,
        user_id: 5,
        user_name: "Bí thư".into(),
        topic: "Khác".into(),
        severity: loa::situations::Severity::Normal,
        place: "Thôn".into(),
        body: "Ảnh".into(),
        files: vec![
            loa::situations::StoredFile {
                kind: "photo".into(),
                name: "anh-1.jpg".into(),
                size: 7,
                sha256: photo_sha.clone(),
                local_path: photo_path.to_string_lossy().to_string(),
                telegram_file_id: "F1".into(),
            },
            // a file that left the store (deleted by hand, say)
            loa::situations::StoredFile {
                kind: "document".into(),
                name: "mat.pdf".into(),
                size: 3,
                sha256: "0".repeat(64),
                local_path: "/nowhere".into(),
                telegram_file_id: "F2".into(),
            },
        ],
    };
    loa::situations::store(&o.pool, &report, 100, None).await.unwrap();

    let out = loa_bin(o.dir.path()).args(["backup", "b.db"]).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout} {stderr}");
    assert!(stdout.contains("; 2 files (0.0 MB) in b.db.files"), "{stdout}");
    assert!(stderr.contains("warning: 1 file(s) the database refers to are not in the store"), "{stderr}");
    assert!(stderr.contains(&"0".repeat(64)), "{stderr}");
    let files = o.dir.path().join("b.db.files");
    assert_eq!(std::fs::read(files.join(&doc_sha)).unwrap(), b"%PDF-1.4 ke hoach");
    assert_eq!(std::fs::read(files.join(&photo_sha)).unwrap(), b"\xFF\xD8 anh");
    assert_eq!(std::fs::read_dir(&files).unwrap().count(), 2);
    // the files' folder is never overwritten either
    std::fs::remove_file(o.dir.path().join("b.db")).unwrap();
    let out = loa_bin(o.dir.path()).args(["backup", "b.db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("b.db.files exists already"));
}

/// A pack with one document, stored as `loa pack create` would; scheduled now when `now`.
async fn pack_with_document(pool: &loa::db::DbPool, db: &str, title: &str, bytes: &[u8], now: bool) -> (i64, String) {
    let config = loa::config::Config::for_simulator(db, None, None).unwrap();
    let (sha, path) = loa::packs::store::store_bytes(&config, bytes).unwrap();
    let draft = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, title, "Nội dung");
    let doc = loa::packs::store::NewAttachment {
        name: "tai-lieu.pdf".into(),
        size: bytes.len() as i64,
        mime: "application/pdf".into(),
        sha256: sha.clone(),
        local_path: Some(path.to_string_lossy().to_string()),
        telegram_file_id: None,
        telegram_file_unique_id: None,
    };
    let pack = loa::packs::store::insert(pool, &draft, &[doc], loa::audit::Actor::Cli).await.unwrap();
    if now {
        let (at, when) = (chrono::Utc::now(), loa::packs::store::When::Now);
        loa::packs::store::schedule(pool, &config, pack, when, at, loa::audit::Actor::Cli).await.unwrap().unwrap();
    }
    (pack, sha)
}

/// How many messages of `chat` carry `title`.
fn copies(sim: &loa::sim::Sim, chat: i64, title: &str) -> usize {
    sim.bot_messages(chat).iter().filter(|m| m.text().is_some_and(|t| t.contains(title))).count()
}

/// The machine is lost in the middle of a broadcast: a backup taken while it ran (off the machine)
/// is restored into a new folder on another; the restored Loa finishes the broadcast (each cell
/// has the pack; the ones sent twice are only those sent between the backup and the loss) and
/// sends a pack that was still a draft, its document uploaded from the restored store (the old
/// folder is gone). A restore is refused while `loa serve` runs, a damaged backup is refused with
/// nothing changed, and the database that was in the way is kept aside.
#[tokio::test]
async fn a_backup_taken_mid_broadcast_restores_on_a_new_machine_which_finishes_and_sends_the_rest() {
    let sim = loa::sim::Sim::start_default().await.unwrap();
    let (old, safe, new) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let old_db = format!("sqlite://{}/data/loa.db", old.path().display());
    let pool = loa::db::open(&old_db).await.unwrap();
    let chats = crate::harness::private_cells(&sim, &pool, "RS", "Chợ Đồn", 40).await;
    let (_, sha_a) = pack_with_document(&pool, &old_db, "Định hướng tháng", b"%PDF-1.4 dinh huong thang", true).await;
    let b_bytes = b"%PDF-1.4 tai lieu hoc tap nghi quyet".to_vec();
    let (pack_b, sha_b) = pack_with_document(&pool, &old_db, "Tài liệu học tập", &b_bytes, false).await;
    let mut serve = crate::harness::serve_process(old.path(), &sim, &old_db, 20, "127.0.0.1:0").spawn().unwrap();
    let sent = async |pool: &loa::db::DbPool| -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetch_one(pool).await.unwrap()
    };
    crate::harness::wait_for("the broadcast to start", Duration::from_secs(30), async || {
        (sent(&pool).await >= 10).then_some(())
    })
    .await;
    // the backup goes to another disk while the broadcast runs
    let backup = safe.path().join("loa-2026-12-04.db");
    let out = loa_bin(old.path())
        .env("LOA_DATABASE__URL", &old_db)
        .args(["backup", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 files"), "{}", String::from_utf8_lossy(&out.stdout));
    let copy = loa::db::DbPool::connect(&format!("sqlite://{}?mode=ro", backup.display())).await.unwrap();
    let at_backup = sent(&copy).await;
    copy.close().await;
    assert!(at_backup < 40, "the backup was taken while the broadcast ran");
    // a little more is sent, then the machine is gone: kill -9, and its folder with it
    crate::harness::wait_for("more sends", Duration::from_secs(30), async || {
        (sent(&pool).await >= at_backup + 3).then_some(())
    })
    .await;
    serve.start_kill().unwrap();
    serve.wait().await.unwrap();
    let at_loss: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE state IN ('sent', 'sending')")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    std::fs::remove_dir_all(old.path()).unwrap();

    // the new machine: a Loa already running there is in the way
    let new_db = format!("sqlite://{}/data/loa.db", new.path().display());
    let restore = |file: &std::path::Path| {
        loa_bin(new.path())
            .env("LOA_DATABASE__URL", &new_db)
            .args(["restore", file.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let mut running = crate::harness::serve_process(new.path(), &sim, &new_db, 20, "127.0.0.1:0").spawn().unwrap();
    let lock = new.path().join("data/loa.db.serve.lock");
    crate::harness::wait_for("serve to lock its database", Duration::from_secs(20), async || {
        std::fs::read_to_string(&lock).ok().filter(|s| !s.is_empty()).map(|_| ())
    })
    .await;
    let out = restore(&backup);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("loa restore refused: Loa is running on the database")
            && stderr.contains("stop `loa serve` first"),
        "{stderr}"
    );
    // a second serve on the same database is refused too (it would send everything twice)
    let out = crate::harness::serve_process(new.path(), &sim, &new_db, 20, "127.0.0.1:0").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loa serve cannot start: Loa is running on the database"));
    running.start_kill().unwrap();
    running.wait().await.unwrap();

    // a damaged copy of the backup: refused, nothing changed
    let damaged = safe.path().join("damaged.db");
    std::fs::copy(&backup, &damaged).unwrap();
    let damaged_files = safe.path().join("damaged.db.files");
    std::fs::create_dir(&damaged_files).unwrap();
    for sha in [&sha_a, &sha_b] {
        std::fs::copy(safe.path().join("loa-2026-12-04.db.files").join(sha), damaged_files.join(sha)).unwrap();
    }
    std::fs::write(damaged_files.join(&sha_b), b"%PDF-1.4 doi noi dung").unwrap();
    let before = std::fs::read(new.path().join("data/loa.db")).unwrap();
    let out = restore(&damaged);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("do not match their name (damaged)") && stderr.contains(&sha_b), "{stderr}");
    assert_eq!(std::fs::read(new.path().join("data/loa.db")).unwrap(), before, "nothing changed");
    assert!(!new.path().join("data/files").join(&sha_b).exists());

    // a file that is no backup, and one that is not there: said so, exit 2
    let notes = safe.path().join("ghi-chu.txt");
    std::fs::write(&notes, "Biên bản họp chi bộ tháng 11, không phải bản sao lưu.\n".repeat(200)).unwrap();
    let out = restore(&notes);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ghi-chu.txt") && stderr.contains("is not a Loa backup"), "{stderr}");
    let out = restore(&safe.path().join("khong-co.db"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("khong-co.db is not a backup file"), "{stderr}");
    assert_eq!(std::fs::read(new.path().join("data/loa.db")).unwrap(), before, "nothing changed");

    // the real restore: the empty database there is kept aside
    let out = restore(&backup);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("integrity ok") && stdout.contains("40 cells, 2 packs, 40 deliveries"), "{stdout}");
    assert!(stdout.contains("2 files"), "{stdout}");
    assert!(stdout.contains("the database that was there is kept as"), "{stdout}");
    let aside: Vec<_> = std::fs::read_dir(new.path().join("data"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("loa.db.before-restore-"))
        .collect();
    assert!(!aside.is_empty());

    // the restored Loa finishes the broadcast
    let mut serve = crate::harness::serve_process(new.path(), &sim, &new_db, 20, "127.0.0.1:0").spawn().unwrap();
    let all =
        sim.wait_until(Duration::from_secs(60), |s| chats.iter().all(|c| copies(s, *c, "Định hướng tháng") >= 1)).await;
    assert!(all, "every cell has the pack after the restore");
    let twice = chats.iter().filter(|c| copies(&sim, **c, "Định hướng tháng") == 2).count() as i64;
    assert!(chats.iter().all(|c| copies(&sim, *c, "Định hướng tháng") <= 2));
    assert!(
        twice <= at_loss - at_backup,
        "{twice} sent twice; {} sent between the backup and the loss",
        at_loss - at_backup
    );
    // and sends the draft, its document read from the restored store
    let out = loa_bin(new.path())
        .env("LOA_DATABASE__URL", &new_db)
        .args(["pack", "schedule", &pack_b.to_string(), "--now"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs_b = |s: &loa::sim::Sim, chat: i64| -> Vec<Vec<u8>> {
        s.bot_messages(chat)
            .iter()
            .filter_map(|m| m.json.pointer("/document/file_id").and_then(|f| f.as_str()).and_then(|f| s.file_bytes(f)))
            .filter(|b| *b == b_bytes)
            .collect()
    };
    let all = sim.wait_until(Duration::from_secs(60), |s| chats.iter().all(|c| docs_b(s, *c).len() == 1)).await;
    assert!(all, "every cell has the draft's document, uploaded from the restored store");
    serve.start_kill().unwrap();
    serve.wait().await.unwrap();
    let pool = loa::db::open(&new_db).await.unwrap();
    let paths: Vec<String> = sqlx::query_scalar("SELECT local_path FROM attachments").fetch_all(&pool).await.unwrap();
    let store = new.path().join("data/files");
    assert!(paths.iter().all(|p| p.starts_with(&*store.to_string_lossy())), "{paths:?}");
}
