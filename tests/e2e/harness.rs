//! Starts the simulator and `loa serve` in-process, each test with a fresh SQLite file.

use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use loa::config::{Config, DEFAULT_TOML};
use loa::sim::{ChatKind, Sim};
use secrecy::SecretString;
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(10);

/// A configuration for Loa against `sim`, with the database in `dir`; no process environment.
pub fn config_for(sim: &Sim, dir: &TempDir) -> Config {
    let db = format!("sqlite://{}/data/loa.db", dir.path().display());
    let fig = Figment::from(Toml::string(DEFAULT_TOML))
        .merge(Serialized::default("telegram.api_url", sim.url()))
        .merge(Serialized::default("database.url", db));
    let mut config = Config::from_figment(fig).expect("test config is valid");
    config.token = Some(SecretString::from(sim.token()));
    config
}

/// The simulator with `loa serve` running against it.
pub struct TestApp {
    pub sim: Sim,
    pub dir: TempDir,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        if std::env::var_os("RUST_LOG").is_some() {
            loa::logging::init();
        }
        let sim = Sim::start_default().await.expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = TestApp { sim, dir, stop: CancellationToken::new(), task: None };
        app.start().await;
        app
    }

    /// Starts `loa serve` (again) against the same simulator and database.
    pub async fn start(&mut self) {
        let config = config_for(&self.sim, &self.dir);
        self.stop = CancellationToken::new();
        let polls_before = self.sim.call_count("getUpdates");
        self.task = Some(tokio::spawn(loa::app::serve(config, self.stop.clone())));
        let ready = self.sim.wait_until(WAIT, |s| s.call_count("getUpdates") > polls_before).await;
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
