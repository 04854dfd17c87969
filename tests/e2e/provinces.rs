//! Several provinces in one process (`loa serve --provinces DIR`): two bots (two simulators, as
//! two provinces' bots on Telegram), each province its own database, cells, admins and listener;
//! each pack reaches its own province's cells only, each admin's `/stats` shows their own, each
//! `/healthz` answers for its own; and the mistakes an operator makes setting it up are named.

use std::time::Duration;

use loa::sim::{Sim, SimConfig};

use crate::harness::loa_bin;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Province {
    sim: Sim,
    db: String,
    pool: loa::db::DbPool,
    chats: Vec<i64>,
    admin: i64,
    port: u16,
    title: &'static str,
}

async fn province(
    dir: &std::path::Path,
    name: &str,
    token: &str,
    prefix: &str,
    cells: usize,
    title: &'static str,
) -> Province {
    let sim =
        Sim::start(SimConfig { token: token.into(), bot_username: format!("loa_{prefix}_bot"), ..Default::default() })
            .await
            .unwrap();
    let db = format!("sqlite://{}/{name}/loa.db", dir.display());
    let pool = loa::db::open(&db).await.unwrap();
    let chats = crate::harness::private_cells(&sim, &pool, prefix, "Phường Trung tâm", cells).await;
    let admin = sim.create_user(&format!("Quản trị {name}"), None);
    crate::harness::schedule_report_pack(&pool, &db, title).await;
    let port = free_port();
    let file = format!(
        "[telegram]\napi_url = \"{}\"\n[database]\nurl = \"{db}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n[staff]\nadmins = [{admin}]\n[organisation]\nboard = \"Ban Tuyên giáo và Dân vận Tỉnh ủy {name}\"\n",
        sim.url()
    );
    std::fs::create_dir_all(dir.join("provinces")).unwrap();
    std::fs::write(dir.join("provinces").join(format!("{name}.toml")), file).unwrap();
    Province { sim, db, pool, chats, admin, port, title }
}

fn copies(sim: &Sim, chat: i64, title: &str) -> usize {
    sim.bot_messages(chat).iter().filter(|m| m.text().is_some_and(|t| t.contains(title))).count()
}

#[tokio::test]
async fn one_process_serves_two_provinces_each_with_its_bot_its_data_and_its_admins() {
    let dir = tempfile::tempdir().unwrap();
    let tn = province(dir.path(), "thai-nguyen", "7000000011:tn-secret-token", "TN", 6, "Định hướng Thái Nguyên").await;
    let bn = province(dir.path(), "bac-ninh", "7000000022:bn-secret-token", "BN", 4, "Định hướng Bắc Ninh").await;
    let mut child = tokio::process::Command::from(loa_bin(dir.path()))
        .args(["serve", "--provinces", "provinces"])
        .env("LOA_TOKEN_THAI_NGUYEN", tn.sim.token())
        .env("LOA_TOKEN_BAC_NINH", bn.sim.token())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (log, reading) = crate::harness::keep_log(child.stderr.take().unwrap());
    // each province's pack reaches its own cells, through its own bot, once
    for p in [&tn, &bn] {
        let reached =
            p.sim.wait_until(Duration::from_secs(60), |s| p.chats.iter().all(|c| copies(s, *c, p.title) == 1)).await;
        assert!(reached, "{} did not reach its cells; log:\n{}", p.title, log.lock().unwrap());
    }
    for (p, other) in [(&tn, &bn), (&bn, &tn)] {
        for c in &p.chats {
            assert_eq!(copies(&p.sim, *c, other.title), 0, "a cell got the other province's pack");
        }
        // its database holds its own pack only
        let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM packs").fetch_all(&p.pool).await.unwrap();
        assert_eq!(titles, [p.title]);
    }
    // each admin asks their own bot, and sees their own province
    for p in [&tn, &bn] {
        let before = p.sim.bot_messages(p.admin).len();
        p.sim.send_text(p.admin, p.admin, "/stats").unwrap();
        let got = p.sim.wait_for_bot_messages(p.admin, before + 1, Duration::from_secs(30)).await;
        let answer = got.iter().skip(before).filter_map(|m| m.text()).collect::<Vec<_>>().join("\n");
        assert!(answer.contains(p.title), "{answer}");
        assert!(!answer.contains("Thái Nguyên") || p.title.contains("Thái Nguyên"), "{answer}");
        assert!(!answer.contains("Bắc Ninh") || p.title.contains("Bắc Ninh"), "{answer}");
    }
    // the admin of one province is nobody to the other's bot
    let stranger = bn.sim.create_user("Quản trị thai-nguyen", None);
    let before = bn.sim.bot_messages(stranger).len();
    bn.sim.send_text(stranger, stranger, "/stats").unwrap();
    let got = bn.sim.wait_for_bot_messages(stranger, before + 1, Duration::from_secs(30)).await;
    assert!(
        !got.iter().filter_map(|m| m.text()).any(|t| t.contains("Định hướng")),
        "{:?}",
        got.last().and_then(|m| m.text())
    );
    // each /healthz answers for its own province
    for p in [&tn, &bn] {
        let url = format!("http://127.0.0.1:{}/healthz", p.port);
        let body = crate::harness::wait_for("healthz ok", Duration::from_secs(30), async || {
            let r = reqwest::get(&url).await.ok()?;
            let body: serde_json::Value = r.json().await.ok()?;
            (body["status"] == "ok").then_some(body)
        })
        .await;
        assert_eq!(body["backlog"], 0, "{body}");
    }
    // a second process on the same provinces is refused: the databases are held
    let out = loa_bin(dir.path())
        .args(["serve", "--provinces", "provinces"])
        .env("LOA_TOKEN_THAI_NGUYEN", tn.sim.token())
        .env("LOA_TOKEN_BAC_NINH", bn.sim.token())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Loa is running on the database"), "{stderr}");
    assert!(!stderr.contains("tn-secret-token") && !stderr.contains("bn-secret-token"), "{stderr}");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), reading).await;
    let log = log.lock().unwrap().clone();
    // every line of a province's tasks names it, the sender's thread included
    for name in ["thai-nguyen", "bac-ninh"] {
        assert!(log.contains(&format!("province:{name}/delivery loa::delivery::outbox: broadcast finished")), "{log}");
        assert!(log.contains(&format!("province:{name} loa::app: connected to the Bot API")), "{log}");
    }
    assert!(log.contains("province:bac-ninh loa::bot::gate: staff command refused"), "{log}");
    assert!(log.contains("serving several provinces") && log.contains("bac-ninh, thai-nguyen"), "{log}");
    assert!(!log.contains("tn-secret-token") && !log.contains("bn-secret-token"), "{log}");
    drop((tn.db, bn.db));
}

/// What an operator gets wrong setting provinces up, each named with its file: no province, a
/// token not set, two provinces on one database or one address or one bot, a bad file name.
#[tokio::test]
async fn provinces_set_up_wrong_are_refused_with_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let provinces = dir.path().join("provinces");
    std::fs::create_dir_all(&provinces).unwrap();
    let serve = |env: &[(&str, &str)]| {
        let mut c = loa_bin(dir.path());
        c.args(["serve", "--provinces", "provinces"]);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, err) = serve(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--provinces") && err.contains("none found"), "{err}");

    let write = |name: &str, db: &str, port: u16| {
        std::fs::write(
            provinces.join(format!("{name}.toml")),
            format!("[database]\nurl = \"sqlite://{db}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n"),
        )
        .unwrap();
    };
    write("lang-son", "lang-son/loa.db", 9201);
    write("cao-bang", "cao-bang/loa.db", 9202);
    let (code, err) = serve(&[("LOA_TOKEN_LANG_SON", "7000000031:ls")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("LOA_TOKEN_CAO_BANG = (not set)") && err.contains("cao-bang.toml"), "{err}");

    let tokens = [("LOA_TOKEN_LANG_SON", "7000000031:ls"), ("LOA_TOKEN_CAO_BANG", "7000000032:cb")];
    write("cao-bang", "./lang-son/loa.db", 9202);
    let (code, err) = serve(&tokens);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("database.url") && err.contains("a value of its own: province cao-bang has the same"),
        "{err}"
    );
    assert!(err.contains("lang-son.toml"), "{err}");

    // one PostgreSQL database for two provinces: refused too, its password not shown
    let shared = "postgres://loa:mat-khau-chung@db.example.vn/chung";
    for (name, port) in [("lang-son", 9201), ("cao-bang", 9202)] {
        std::fs::write(
            provinces.join(format!("{name}.toml")),
            format!("[database]\nurl = \"{shared}\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n"),
        )
        .unwrap();
    }
    let (code, err) = serve(&tokens);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("database.url") && err.contains("has the same"), "{err}");
    assert!(!err.contains("mat-khau-chung"), "{err}");
    write("lang-son", "lang-son/loa.db", 9201);

    write("cao-bang", "cao-bang/loa.db", 9201);
    let (code, err) = serve(&tokens);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("http.listen = \"127.0.0.1:9201\""), "{err}");

    write("cao-bang", "cao-bang/loa.db", 9202);
    let (code, err) = serve(&[("LOA_TOKEN_LANG_SON", "7000000031:ls"), ("LOA_TOKEN_CAO_BANG", "7000000031:ls")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("LOA_TOKEN_LANG_SON = (hidden)") && !err.contains("7000000031:ls"), "{err}");

    std::fs::write(provinces.join("Hà Giang.toml"), "").unwrap();
    let (code, err) = serve(&tokens);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("Hà Giang.toml") && err.contains("file names of a-z, 0-9 and -"), "{err}");
}

/// A province whose token Telegram refuses stops alone, its name in the log; the other goes on
/// and delivers its pack.
#[tokio::test]
async fn a_province_whose_token_is_refused_stops_alone_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let ok = province(dir.path(), "tuyen-quang", "7000000041:tq-secret-token", "TQ", 3, "Định hướng Tuyên Quang").await;
    let bad = province(dir.path(), "lao-cai", "7000000042:lc-secret-token", "LC", 2, "Định hướng Lào Cai").await;
    let mut child = tokio::process::Command::from(loa_bin(dir.path()))
        .args(["serve", "--provinces", "provinces"])
        .env("LOA_TOKEN_TUYEN_QUANG", ok.sim.token())
        .env("LOA_TOKEN_LAO_CAI", "7000000042:an-old-revoked-token")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let reached =
        ok.sim.wait_until(Duration::from_secs(60), |s| ok.chats.iter().all(|c| copies(s, *c, ok.title) == 1)).await;
    assert!(reached, "the province with a good token did not deliver");
    // the process is still serving the good one
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(child.try_wait().unwrap().is_none(), "the process ended with one province");
    assert!(bad.chats.iter().all(|c| copies(&bad.sim, *c, bad.title) == 0));
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("province=lao-cai") && log.contains("province stopped with an error"), "{log}");
    assert!(log.contains("Telegram refused the bot token"), "{log}");
    assert!(!log.contains("an-old-revoked-token"), "{log}");
    drop((ok.pool, bad.pool, ok.db, bad.db));
}
