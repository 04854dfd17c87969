//! Starts the simulator and `loa serve` in-process, each test with a fresh SQLite file.

use std::time::Duration;

use loa::config::Config;
use loa::sim::{ChatKind, Sim};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(10);

/// Asks `f` every 50 ms until it gives a value, for `limit` at most; then fails the test, saying
/// what it waited for.
pub async fn wait_for<T>(what: &str, limit: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `sql` (one number) counts `want`.
pub async fn wait_count(pool: &loa::db::DbPool, sql: &str, want: i64, limit: Duration) {
    let mut got = 0;
    wait_for(sql, limit, async || {
        got = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(pool).await.unwrap();
        (got == want).then_some(())
    })
    .await;
}

/// Loa's database with the registry imported and no bot running: for what is tested by calling
/// the library (scheduling, reminders, pack folders) with a controlled clock.
pub struct Offline {
    pub dir: TempDir,
    pub pool: loa::db::DbPool,
    pub config: Config,
}

impl Offline {
    /// [`REGISTRY`] imported into a fresh database at `data/loa.db`.
    pub async fn new() -> Offline {
        Offline::with_registry(REGISTRY).await
    }

    /// [`REGISTRY`] imported into a fresh SQLite database at `data/loa.db`, whatever backend the
    /// suite runs on: for what only SQLite has (a backup is a copy of its file).
    pub async fn sqlite() -> Offline {
        Offline::on(REGISTRY, |dir| format!("sqlite://{}/data/loa.db", dir.display())).await
    }

    /// The registry `csv` imported into a fresh database at `data/loa.db`.
    pub async fn with_registry(csv: &str) -> Offline {
        Offline::on(csv, db_url).await
    }

    async fn on(csv: &str, url: fn(&std::path::Path) -> String) -> Offline {
        let dir = tempfile::tempdir().unwrap();
        let db = url(dir.path());
        let mut config = Config::for_simulator(&db, None, None).unwrap();
        config.data_dir = dir.path().join("data");
        let pool = loa::db::open(&config.database_url).await.unwrap();
        let rows = loa::cells::import::parse_csv(csv.as_bytes()).unwrap();
        loa::cells::import::apply(&pool, &rows, Default::default(), loa::audit::Actor::Cli).await.unwrap();
        Offline { dir, pool, config }
    }

    /// The cells `codes` connected, each to a private chat of its own (100 + its id).
    pub async fn connect(&self, codes: &[&str]) {
        for code in codes {
            sqlx::query(
                "UPDATE cells SET status = 'active', chat_id = 100 + id, chat_type = 'private' WHERE code = $1",
            )
            .bind(code)
            .execute(&self.pool)
            .await
            .unwrap();
        }
    }
}

/// Whether the suite runs on PostgreSQL (`LOA_TEST_BACKEND=postgres`, with `LOA_TEST_POSTGRES`
/// naming a database on the server as a user who may create databases); else on SQLite.
pub fn on_postgres() -> bool {
    std::env::var("LOA_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// The database of the test whose folder is `dir`: the SQLite file `dir/data/loa.db`, or on
/// PostgreSQL ([`on_postgres`]) an empty database of its own on the test server, made the first
/// time the folder asks (the same one after).
pub fn db_url(dir: &std::path::Path) -> String {
    if !on_postgres() {
        return format!("sqlite://{}/data/loa.db", dir.display());
    }
    let mut made = made_databases().lock().unwrap();
    if let Some(url) = made.get(dir) {
        return url.clone();
    }
    let admin = std::env::var("LOA_TEST_POSTGRES").expect("LOA_TEST_BACKEND=postgres needs LOA_TEST_POSTGRES");
    let name = format!("loa_e2e_{}_{}", std::process::id(), made.len());
    let create = format!("CREATE DATABASE {name}");
    let server = admin.clone();
    // the caller may be inside a runtime: the database is made on a thread of its own
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            use sqlx::{Connection, Executor};
            let mut conn = sqlx::PgConnection::connect(&server).await.expect("the test PostgreSQL server answers");
            conn.execute(sqlx::AssertSqlSafe(create)).await.expect("a test database is made");
        })
    })
    .join()
    .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    made.insert(dir.to_path_buf(), url.to_string());
    url.to_string()
}

/// The PostgreSQL databases [`db_url`] made, by the test folder they were made for.
fn made_databases() -> &'static std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, String>> {
    static MADE: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, String>>> =
        std::sync::OnceLock::new();
    MADE.get_or_init(Default::default)
}

/// A configuration for Loa against `sim`, with the database in `dir`; no process environment.
pub fn config_for(sim: &Sim, dir: &TempDir) -> Config {
    let db = db_url(dir.path());
    let mut config = Config::for_simulator(&db, Some((&sim.url(), &sim.token())), None).expect("test config is valid");
    // on PostgreSQL too, the stored files in the test's folder
    config.data_dir = dir.path().join("data");
    config
}

/// The simulator with `loa serve` running against it.
pub struct TestApp {
    pub sim: Sim,
    pub dir: TempDir,
    /// A bootstrap admin (in `staff.admins`), who has opened the private chat with the bot.
    pub admin: i64,
    /// A pool on the same database, for seeding and checking.
    pub pool: loa::db::DbPool,
    /// Where `/healthz`, `/metrics` and the web desk listen, when the test asked for a fixed
    /// address ([`TestApp::spawn_web`]); else a port the system picks, not known to the test.
    pub http: Option<std::net::SocketAddr>,
    edit: fn(&mut loa::config::Config),
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`spawn`](Self::spawn), with the configuration changed by `edit` (kept for restarts).
    pub async fn spawn_with(edit: fn(&mut loa::config::Config)) -> TestApp {
        Self::spawn_on(edit, None).await
    }

    /// Like [`spawn_with`](Self::spawn_with), with the HTTP listener (and the web desk) on a free
    /// port of 127.0.0.1 the test knows: `app.web()` is its address.
    pub async fn spawn_web(edit: fn(&mut loa::config::Config)) -> TestApp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        Self::spawn_on(edit, Some(port)).await
    }

    async fn spawn_on(edit: fn(&mut loa::config::Config), http: Option<std::net::SocketAddr>) -> TestApp {
        if std::env::var_os("RUST_LOG").is_some() {
            loa::logging::init();
        }
        let sim = Sim::start_default().await.expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let admin = sim.create_user("Quản trị", None);
        let pool = loa::db::open(&config_for(&sim, &dir).database_url).await.expect("database opens");
        let mut app = TestApp { sim, dir, admin, pool, http, edit, stop: CancellationToken::new(), task: None };
        app.start().await;
        app
    }

    /// The web desk's address, "http://127.0.0.1:PORT" (for an app from [`TestApp::spawn_web`]).
    pub fn web(&self) -> String {
        format!("http://{}", self.http.expect("spawned with spawn_web"))
    }

    /// Starts `loa serve` (again) against the same simulator and database.
    pub async fn start(&mut self) {
        let mut config = config_for(&self.sim, &self.dir);
        config.admins.insert(self.admin);
        if let Some(addr) = self.http {
            config.http_listen = addr;
            config.web_url = format!("http://{addr}/").parse().unwrap();
        }
        (self.edit)(&mut config);
        let options =
            loa::delivery::worker::WorkerOptions { retry_base: Duration::from_millis(200), ..Default::default() };
        self.stop = CancellationToken::new();
        // ready: polling (getUpdates), or the webhook set
        let polls_before = self.sim.call_count("getUpdates") + self.sim.call_count("setWebhook");
        self.task = Some(tokio::spawn(loa::app::serve_with(config, self.stop.clone(), options)));
        let ready =
            self.sim.wait_until(WAIT, |s| s.call_count("getUpdates") + s.call_count("setWebhook") > polls_before).await;
        assert!(
            ready,
            "loa serve did not start polling: {:?}",
            self.sim.calls().iter().map(|c| (&c.method, c.error_code)).collect::<Vec<_>>()
        );
    }

    /// Asks `loa serve` to stop and waits for it; returns how long it took.
    pub async fn stop(&mut self) -> Duration {
        let started = std::time::Instant::now();
        self.stop.cancel();
        let task = self.task.take().expect("running");
        let result = tokio::time::timeout(WAIT, task).await.expect("serve stops in time").expect("serve did not panic");
        result.expect("serve ends without error");
        started.elapsed()
    }

    /// A new user who has opened the private chat with the bot.
    pub fn user(&self, name: &str) -> i64 {
        self.sim.create_user(name, None)
    }

    /// A group with the bot in it, added by `by`.
    pub fn group(&self, title: &str, by: i64) -> i64 {
        let g = self.sim.create_group(title, ChatKind::Group);
        self.sim.add_bot_to_group(g, by, None).expect("bot added");
        g
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A simulator and a teloxide bot pointed at it.
pub async fn setup() -> (Sim, teloxide::Bot) {
    let sim = Sim::start_default().await.expect("simulator starts");
    let bot = teloxide::Bot::new(sim.token()).set_api_url(sim.url().parse().expect("valid url"));
    (sim, bot)
}

/// A user who has opened the private chat with the bot (so the bot may write to them).
pub fn started_user(sim: &Sim, name: &str) -> i64 {
    let u = sim.create_user(name, None);
    sim.send_text(u, u, "/start").expect("user exists");
    u
}

/// A small registry of Bắc Kạn cells across two districts, with Vietnamese names.
pub const REGISTRY: &str = "code,name,district,commune,parent,tags
NR-001,Chi bộ thôn Nà Pài,Na Rì,Xã Kim Lư,Đảng bộ xã Kim Lư,xa;vung-cao
NR-002,Chi bộ thôn Khuổi Luông,Na Rì,Xã Kim Lư,Đảng bộ xã Kim Lư,xa
BB-001,Chi bộ bản Cốc Lùng,Ba Bể,Xã Cao Thượng,Đảng bộ xã Cao Thượng,xa;vung-cao
BB-002,Chi bộ tiểu khu 2,Ba Bể,Thị trấn Chợ Rã,,thi-tran
";

impl TestApp {
    /// Imports a registry given as CSV text.
    pub async fn import(&self, csv: &str) {
        let rows = loa::cells::import::parse_csv(csv.as_bytes()).expect("valid registry");
        loa::cells::import::apply(&self.pool, &rows, Default::default(), loa::audit::Actor::Cli).await.expect("import");
    }

    /// A situation report filed from cell `code`'s chat by `user`; returns its id.
    pub async fn file_situation(&self, code: &str, user: i64, severity: loa::situations::Severity, body: &str) -> i64 {
        let cell = self.cell(code).await;
        let report = loa::situations::NewSituation {
            cell_id: Some(cell.id),
            unit_id: cell.unit_id,
            chat_id: cell.chat_id.unwrap_or(user),
            user_id: user,
            user_name: "Bí thư".into(),
            topic: "Đất đai".into(),
            severity,
            place: "Thôn Nà Pài".into(),
            body: body.into(),
            files: Vec::new(),
        };
        loa::situations::store(&self.pool, &report, loa::dates::now(), None).await.unwrap().id
    }

    /// A fresh invite code for a cell.
    pub async fn invite(&self, code: &str) -> String {
        let mut conn = self.pool.acquire().await.unwrap();
        let cell = loa::cells::by_code(&mut conn, code).await.unwrap().expect("cell exists");
        let issued = loa::cells::invites::issue(&self.pool, &[cell], 30, loa::audit::Actor::Cli).await.unwrap();
        issued[0].code.as_str().to_string()
    }

    /// `n` cells `<prefix>-000`... in `district`, each bound to its own secretary's private chat;
    /// returns the chats in order.
    pub async fn private_cells(&self, prefix: &str, district: &str, n: usize) -> Vec<i64> {
        private_cells(&self.sim, &self.pool, prefix, district, n).await
    }

    /// Binds `chat` to the cell `code` (imported already) as an invite would: its members are then
    /// no strangers, and every message of theirs is answered.
    pub async fn bind(&self, code: &str, chat: i64) {
        let kind = if chat > 0 { "private" } else { "group" };
        if chat > 0 {
            // as if the secretary had started the bot (the bot may write to them)
            self.sim.open_private_chat(chat);
        }
        let bound = sqlx::query("UPDATE cells SET chat_id = $1, chat_type = $2, status = 'active' WHERE code = $3")
            .bind(chat)
            .bind(kind)
            .bind(code)
            .execute(&self.pool)
            .await
            .unwrap();
        assert_eq!(bound.rows_affected(), 1, "no cell {code}");
    }

    /// Schedules a one-message pack to every connected cell now; returns its id.
    pub async fn send_plain_pack(&self, title: &str) -> i64 {
        self.send_draft(loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Urgent,
            None,
            title,
            "Nội dung",
        ))
        .await
    }

    /// [`Self::send_plain_pack`] asking the cells for a report (its message has the 📝 button).
    pub async fn send_report_pack(&self, title: &str) -> i64 {
        let plain = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, title, "Nội dung");
        self.send_draft(loa::packs::folder::PackDraft { report_prompt: Some("Báo cáo kết quả".into()), ..plain }).await
    }

    async fn send_draft(&self, draft: loa::packs::folder::PackDraft) -> i64 {
        let config = config_for(&self.sim, &self.dir);
        let pack = loa::packs::store::create(&self.pool, &config, &draft, loa::audit::Actor::Cli).await.unwrap();
        loa::packs::store::schedule(
            &self.pool,
            &config,
            pack,
            loa::packs::store::When::Now,
            chrono::Utc::now(),
            loa::audit::Actor::Cli,
        )
        .await
        .unwrap()
        .unwrap();
        pack
    }

    pub async fn cell(&self, code: &str) -> loa::cells::Cell {
        let mut conn = self.pool.acquire().await.unwrap();
        loa::cells::by_code(&mut conn, code).await.unwrap().expect("cell exists")
    }

    /// Waits until the cell satisfies `check` (the bot works asynchronously).
    pub async fn wait_cell(&self, code: &str, check: impl Fn(&loa::cells::Cell) -> bool) -> loa::cells::Cell {
        wait_for(&format!("cell {code} to change"), WAIT, async || Some(self.cell(code).await).filter(&check)).await
    }

    /// The text of the bot's latest message in a chat, waiting until there are `n`.
    pub async fn nth_reply(&self, chat: i64, n: usize) -> String {
        let got = self.sim.wait_for_bot_messages(chat, n, WAIT).await;
        assert!(got.len() >= n, "expected {n} bot messages in {chat}, got {got:?}");
        got[n - 1].text().unwrap_or_default().to_string()
    }

    /// Schedules now a quarterly pack of `period` with one document (`ke-hoach.pdf`, `document` its
    /// bytes) and a report asked with `report_prompt`; returns its id.
    pub async fn schedule_pack_with_document(
        &self,
        title: &str,
        period: &str,
        report_prompt: &str,
        document: &[u8],
    ) -> i64 {
        use loa::packs::store::{self, NewAttachment, When};
        let config = config_for(&self.sim, &self.dir);
        let (sha, stored) = store::store_bytes(&config, document).unwrap();
        let plain = loa::packs::folder::PackDraft::plain(
            loa::packs::period::PackKind::Quarterly,
            loa::packs::period::Period::parse(period).ok(),
            title,
            "Nội dung <b>chính</b>",
        );
        let draft = loa::packs::folder::PackDraft { report_prompt: Some(report_prompt.into()), ..plain };
        let doc = NewAttachment {
            name: "ke-hoach.pdf".into(),
            size: document.len() as i64,
            mime: "application/pdf".into(),
            sha256: sha,
            local_path: Some(stored.to_string_lossy().to_string()),
            telegram_file_id: None,
            telegram_file_unique_id: None,
        };
        let actor = loa::audit::Actor::Cli;
        let id = store::insert(&self.pool, &draft, &[doc], actor).await.unwrap();
        store::schedule(&self.pool, &config, id, When::Now, chrono::Utc::now(), actor).await.unwrap().unwrap();
        id
    }

    /// What the scheduler tells people, through a bot context of its own with `config`.
    pub fn announcer(&self, config: Config) -> (loa::bot::announce::BotAnnouncer, std::sync::Arc<loa::bot::Ctx>) {
        use std::sync::Arc;
        let bot = teloxide::Bot::new(self.sim.token()).set_api_url(self.sim.url().parse().unwrap());
        let ctx = Arc::new(loa::bot::Ctx::new(
            self.pool.clone(),
            Arc::new(config),
            bot.clone(),
            Arc::new(loa::i18n::Catalog::new()),
            Arc::new(loa::telegram::limiter::Limiter::new(1000)),
        ));
        (loa::bot::announce::BotAnnouncer { bot, ctx: ctx.clone() }, ctx)
    }

    pub async fn audit_count(&self, action: &str, outcome: &str) -> i64 {
        sqlx::query_scalar(loa::db::pick(
            &self.pool,
            "SELECT count(*) FROM audit_log WHERE action = $1 AND json_extract(details, '$.outcome') = $2",
            "SELECT count(*) FROM audit_log WHERE action = $1 AND CAST(details AS jsonb) ->> 'outcome' = $2",
        ))
        .bind(action)
        .bind(outcome)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

/// The `loa` binary in `dir` with a clean environment: no token, no LOA_* settings, quiet logs.
pub fn loa_bin(dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_loa"));
    c.current_dir(dir).env("RUST_LOG", "warn");
    for (k, _) in std::env::vars() {
        if k.starts_with("LOA_") || k == "TELOXIDE_TOKEN" {
            c.env_remove(k);
        }
    }
    // a test on PostgreSQL whose folder has its database: the command works on that one
    if let Some(url) = made_databases().lock().unwrap().get(dir) {
        c.env("LOA_DATABASE__URL", url).env("LOA_DATABASE__DATA_DIR", dir.join("data"));
    }
    c
}

/// `n` cells `<prefix>-000`... in `district`, imported into `pool` and each bound to its own
/// secretary's private chat in `sim`; returns the chats in order.
pub async fn private_cells(sim: &Sim, pool: &loa::db::DbPool, prefix: &str, district: &str, n: usize) -> Vec<i64> {
    let mut csv = String::from("code,name,district\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}-{i:03},Chi bộ {i},{district}\n"));
    }
    let rows = loa::cells::import::parse_csv(csv.as_bytes()).expect("valid registry");
    loa::cells::import::apply(pool, &rows, Default::default(), loa::audit::Actor::Cli).await.expect("import");
    let mut chats = Vec::new();
    for i in 0..n {
        let u = sim.create_user(&format!("Bí thư {i}"), None);
        sim.open_private_chat(u);
        sqlx::query("UPDATE cells SET chat_id = $1, chat_type = 'private', status = 'active' WHERE code = $2")
            .bind(u)
            .bind(format!("{prefix}-{i:03}"))
            .execute(pool)
            .await
            .unwrap();
        chats.push(u);
    }
    chats
}

/// `loa serve` as a process of its own against `sim` and `db`, sending `rate` messages a second.
pub fn serve_process(
    dir: &std::path::Path,
    sim: &loa::sim::Sim,
    db: &str,
    rate: u32,
    listen: &str,
) -> tokio::process::Command {
    let mut c = tokio::process::Command::from(loa_bin(dir));
    c.arg("serve")
        .env("LOA_TELEGRAM__API_URL", sim.url())
        .env("LOA_TELEGRAM__TOKEN", sim.token())
        .env("LOA_DATABASE__URL", db)
        .env("LOA_HTTP__LISTEN", listen)
        .env("LOA_DELIVERY__PAID_BROADCAST", "true")
        .env("LOA_DELIVERY__MESSAGES_PER_SECOND", rate.to_string())
        .kill_on_drop(true);
    c
}

/// Schedules now, in the database at `db` (for a `loa serve` process of its own), an urgent pack
/// asking for a report; returns its id.
pub async fn schedule_report_pack(pool: &loa::db::DbPool, db: &str, title: &str) -> i64 {
    let config = Config::for_simulator(db, None, None).unwrap();
    let plain = loa::packs::folder::PackDraft::plain(loa::packs::period::PackKind::Urgent, None, title, "Nội dung");
    let draft = loa::packs::folder::PackDraft { report_prompt: Some("Báo cáo kết quả".into()), ..plain };
    let pack = loa::packs::store::create(pool, &config, &draft, loa::audit::Actor::Cli).await.unwrap();
    let (now, when) = (chrono::Utc::now(), loa::packs::store::When::Now);
    loa::packs::store::schedule(pool, &config, pack, when, now, loa::audit::Actor::Cli).await.unwrap().unwrap();
    pack
}

/// A child process's stderr, kept line by line as it comes (its log, to read while it runs and
/// after): the text so far, and the task reading it (done when the process closes stderr).
pub fn keep_log(stderr: tokio::process::ChildStderr) -> (std::sync::Arc<std::sync::Mutex<String>>, JoinHandle<()>) {
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reading = {
        let log = log.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    (log, reading)
}
