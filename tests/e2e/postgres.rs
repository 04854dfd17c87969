//! PostgreSQL: `loa migrate-data` moves a province played by the demo (cells in a tree, packs
//! delivered, acknowledgements, reports, situation reports, questions, the audit log) into an
//! empty PostgreSQL database, checked, and refuses what it must.
//!
//! These tests need a PostgreSQL server: `LOA_TEST_POSTGRES` names a database on it as a user
//! who may create databases (`.ci/run` starts Debian's PostgreSQL and sets it); each test makes a
//! database of its own and drops it. Without the variable they say so and pass, unless
//! `LOA_POSTGRES_TESTS=required` (set by `.ci/run`), when they fail.

use sqlx::Row;

use crate::harness::loa_bin;

/// A fresh, empty database on the test server: (its URL, the server's admin pool, its name).
async fn fresh_database() -> Option<(String, sqlx::PgPool, String)> {
    let Ok(admin) = std::env::var("LOA_TEST_POSTGRES") else {
        assert!(
            std::env::var("LOA_POSTGRES_TESTS").as_deref() != Ok("required"),
            "LOA_POSTGRES_TESTS=required but LOA_TEST_POSTGRES is not set"
        );
        eprintln!("no PostgreSQL server (LOA_TEST_POSTGRES unset): the PostgreSQL test is skipped");
        return None;
    };
    let pool = sqlx::PgPool::connect(&admin).await.expect("the test PostgreSQL server answers");
    let name = format!("loa_test_{}_{}", std::process::id(), rand::random::<u32>());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    Some((url.to_string(), pool, name))
}

async fn drop_database(admin: &sqlx::PgPool, name: &str) {
    let _ =
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(admin).await;
}

#[tokio::test]
async fn migrate_data_moves_a_played_province_into_postgres_checked_and_all_or_nothing() {
    let Some((pg_url, admin, name)) = fresh_database().await else { return };
    // a province as the demo plays it, its database kept
    let out = tempfile::tempdir().unwrap();
    let keep = tempfile::tempdir().unwrap();
    loa::demo::run(loa::demo::Options {
        cells: 40,
        out: out.path().to_path_buf(),
        progress: false,
        seed: 11,
        keep_database_in: Some(keep.path().to_path_buf()),
    })
    .await
    .unwrap();
    let sqlite_url = format!("sqlite://{}/loa.db", keep.path().display());
    let lite = loa::db::open(&sqlite_url).await.unwrap();

    let run = |from: &str, to: &str| {
        let out = loa_bin(keep.path()).args(["migrate-data", "--from", from, "--to", to]).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, stdout, stderr) = run(&sqlite_url, &pg_url);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with(&format!("moved {sqlite_url} into ")) && stdout.contains("and checked"), "{stdout}");
    let password = url::Url::parse(&pg_url).unwrap().password().map(str::to_string);
    if let Some(p) = password {
        assert!(!stdout.contains(&format!(":{p}@")), "the password is shown: {stdout}");
    }

    // every table, row for row; text (Vietnamese names) and bytes (hashes) as they were
    let pg = sqlx::PgPool::connect(&pg_url).await.unwrap();
    let mut rows_moved = 0;
    for table in loa::migrate_data::TABLES {
        let count = format!("SELECT count(*) FROM {table}");
        let here: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone())).fetch_one(&lite).await.unwrap();
        let there: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).fetch_one(&pg).await.unwrap();
        assert_eq!(here, there, "{table}");
        assert!(stdout.contains(&format!(" {table} ")) || stdout.contains(&format!(" {table}\n")), "{table}: {stdout}");
        rows_moved += here;
    }
    assert!(rows_moved > 200, "the demo's province is not empty: {rows_moved}");
    for (table, min) in
        [("cells", 40), ("deliveries", 40), ("acks", 1), ("reports", 1), ("audit_log", 10), ("units", 2)]
    {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&pg)
            .await
            .unwrap();
        assert!(n >= min, "{table}: {n}");
    }
    let names = "SELECT code || ' ' || name FROM cells ORDER BY id";
    let here: Vec<String> = sqlx::query_scalar(names).fetch_all(&lite).await.unwrap();
    let there: Vec<String> = sqlx::query_scalar(names).fetch_all(&pg).await.unwrap();
    assert_eq!(here, there);
    assert!(there.iter().any(|n| !n.is_ascii()), "Vietnamese names: {there:?}");
    let hashes = "SELECT code_hash FROM invites ORDER BY id";
    let here: Vec<Vec<u8>> = sqlx::query_scalar(hashes).fetch_all(&lite).await.unwrap();
    let there: Vec<Vec<u8>> = sqlx::query_scalar(hashes).fetch_all(&pg).await.unwrap();
    assert_eq!(here, there);
    // the running totals, unit by unit, as they were (copied, not counted again by the triggers)
    let totals =
        "SELECT pack_id, unit_id, targeted, delivered, unreachable, acknowledged, late, reported, not_connected
                  FROM pack_unit_stats ORDER BY pack_id, unit_id";
    let here: Vec<Vec<i64>> = sqlx::query(totals)
        .fetch_all(&lite)
        .await
        .unwrap()
        .iter()
        .map(|r| (0..9).map(|i| r.get::<i64, _>(i)).collect())
        .collect();
    let there: Vec<Vec<i64>> = sqlx::query(totals)
        .fetch_all(&pg)
        .await
        .unwrap()
        .iter()
        .map(|r| (0..9).map(|i| r.get::<i64, _>(i)).collect())
        .collect();
    assert_eq!(here, there);
    assert!(here.iter().any(|r| r[5] > 0), "acknowledgements counted");
    // the triggers work on in PostgreSQL: a new acknowledgement is counted, with a new id
    let (delivery, pack, cell): (i64, i64, i64) = sqlx::query_as(
        "SELECT d.id, b.pack_id, d.cell_id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.kind = 'pack' AND d.state = 'sent'
           AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.pack_id = b.pack_id AND a.cell_id = d.cell_id)
         ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&pg)
    .await
    .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT sum(acknowledged)::bigint FROM pack_unit_stats WHERE pack_id = $1")
        .bind(pack)
        .fetch_one(&pg)
        .await
        .unwrap();
    let max_id: i64 = sqlx::query_scalar("SELECT max(id) FROM acks").fetch_one(&pg).await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO acks (pack_id, cell_id, delivery_id, user_id, user_name, at) VALUES ($1, $2, $3, 5, 'Bí thư', 0) RETURNING id",
    )
    .bind(pack)
    .bind(cell)
    .bind(delivery)
    .fetch_one(&pg)
    .await
    .unwrap();
    assert_eq!(id, max_id + 1);
    let after: i64 = sqlx::query_scalar("SELECT sum(acknowledged)::bigint FROM pack_unit_stats WHERE pack_id = $1")
        .bind(pack)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(after, before + 1);

    // into a database that holds rows: refused, nothing touched
    let acks_now: i64 = sqlx::query_scalar("SELECT count(*) FROM acks").fetch_one(&pg).await.unwrap();
    let (code, _, stderr) = run(&sqlite_url, &pg_url);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("rows already; migrate-data moves into an empty database only"), "{stderr}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM acks").fetch_one(&pg).await.unwrap();
    assert_eq!(n, acks_now);
    // wrong URLs: said so, exit 2
    let (code, _, stderr) = run(&sqlite_url, "mysql://u:secret-pw-1@host/db");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--to") && stderr.contains("a PostgreSQL database") && !stderr.contains("secret-pw-1"),
        "{stderr}"
    );
    let (code, _, stderr) = run("sqlite:///nowhere/loa.db", &pg_url);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("there is no database file /nowhere/loa.db"), "{stderr}");
    pg.close().await;
    drop_database(&admin, &name).await;
}

/// A free port of 127.0.0.1 for a listener of a child process.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Two `loa serve` instances on one PostgreSQL database and one bot, as a board runs them for a
/// machine that may fail: one sends (it holds the bot's sending lease), the other waits; the
/// sender is killed with SIGKILL mid-broadcast, and the other takes the lease over and finishes.
/// Every cell has the pack, those that have it twice no more than the sends in flight at the
/// kill, Telegram never answers 429 (one sender at a time keeps the bot's rate), and the pack's
/// broadcast was started once though both schedulers ran.
#[tokio::test]
async fn two_instances_share_a_database_and_one_finishes_the_broadcast_of_the_other_killed() {
    let Some((url, admin, name)) = fresh_database().await else { return };
    let sim = loa::sim::Sim::start_default().await.unwrap();
    sim.set_limits(loa::sim::RateLimits { global_per_sec: 40, ..loa::sim::RateLimits::default() });
    let dir = tempfile::tempdir().unwrap();
    let pool = loa::db::open(&url).await.unwrap();
    let cells = 150;
    let chats = crate::harness::private_cells(&sim, &pool, "HM", "Na Rì", cells).await;
    let pack = crate::harness::schedule_report_pack(&pool, &url, "Hai máy, một bot").await;
    // each in webhook mode (as behind one address; Telegram keeps the last one set), one secret
    let start = || {
        let port = free_port();
        let mut c = crate::harness::serve_process(dir.path(), &sim, &url, 40, "127.0.0.1:0");
        c.env("LOA_DATABASE__DATA_DIR", dir.path().join("data"))
            .env("LOA_TELEGRAM__MODE", "webhook")
            .env("LOA_TELEGRAM__WEBHOOK__LISTEN", format!("127.0.0.1:{port}"))
            .env("LOA_TELEGRAM__WEBHOOK__PUBLIC_URL", format!("http://127.0.0.1:{port}/telegram"))
            .env("LOA_TELEGRAM__WEBHOOK__SECRET", "hai-may-mot-bot")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        let log = crate::harness::keep_log(child.stderr.take().unwrap());
        (child, log)
    };
    let (mut a, log_a) = start();
    let (mut b, log_b) = start();
    let count = async |sql: &str| -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&pool).await.unwrap()
    };

    // under way: one of them sends
    crate::harness::wait_count(
        &pool,
        "SELECT CASE WHEN count(*) >= 30 THEN 1 ELSE 0 END FROM deliveries WHERE state = 'sent'",
        1,
        std::time::Duration::from_secs(30),
    )
    .await;
    let holder: String = sqlx::query_scalar("SELECT holder FROM sender_leases").fetch_one(&pool).await.unwrap();
    let pid_of = |c: &tokio::process::Child| c.id().unwrap();
    let holds = |c: &tokio::process::Child| holder.split(':').nth(1) == Some(pid_of(c).to_string().as_str());
    assert!(holds(&a) ^ holds(&b), "one instance holds the sending lease: {holder}");
    let (sender, survivor, survivor_log) = if holds(&a) { (&mut a, &mut b, &log_b) } else { (&mut b, &mut a, &log_a) };
    sender.start_kill().unwrap(); // SIGKILL
    sender.wait().await.unwrap();
    let sent_at_kill = count("SELECT count(*) FROM deliveries WHERE state = 'sent'").await;
    let in_flight = count("SELECT count(*) FROM deliveries WHERE state = 'sending'").await;
    assert!(sent_at_kill < cells as i64, "killed mid-broadcast ({sent_at_kill} of {cells} sent)");

    // the other takes over and finishes
    crate::harness::wait_count(
        &pool,
        "SELECT count(*) FROM deliveries WHERE state = 'sent'",
        cells as i64,
        std::time::Duration::from_secs(60),
    )
    .await;
    let holder: String = sqlx::query_scalar("SELECT holder FROM sender_leases").fetch_one(&pool).await.unwrap();
    assert_eq!(holder.split(':').nth(1), Some(pid_of(survivor).to_string().as_str()), "the lease passed over");
    crate::harness::wait_count(
        &pool,
        "SELECT count(*) FROM broadcasts WHERE state = 'done'",
        1,
        std::time::Duration::from_secs(20),
    )
    .await;

    // every cell has the pack; twice only for sends in flight at the kill; no 429; one broadcast
    let mut twice = 0;
    for chat in &chats {
        let got = sim.bot_messages(*chat).iter().filter(|m| m.reply_markup().is_some()).count();
        assert!(got >= 1, "chat {chat} got the pack");
        twice += got - 1;
    }
    assert!(twice as i64 <= in_flight, "{twice} sent twice, {in_flight} in flight at the kill");
    let throttled = sim.calls().iter().filter(|c| c.error_code == Some(429)).count();
    assert_eq!(throttled, 0, "one sender at a time keeps within the bot's rate");
    let broadcasts: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts WHERE pack_id = $1")
        .bind(pack)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(broadcasts, 1, "the schedule fired once for both instances");
    let survivor_said = survivor_log.0.lock().unwrap().clone();
    assert!(
        survivor_said.contains("this instance sends the bot's deliveries now"),
        "the survivor says it took over: {survivor_said}"
    );
    survivor.start_kill().unwrap();
    survivor.wait().await.unwrap();
    pool.close().await;
    drop_database(&admin, &name).await;
}
