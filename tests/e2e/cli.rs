//! The `loa` binary: exit codes, the missing-token message, one-line config errors, migrate,
//! `loa sim`, and a real `loa serve` process answering /start and stopping on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use loa::sim::Sim;

use crate::harness::WAIT;

fn loa(dir: &std::path::Path) -> Command {
    crate::harness::loa_bin(dir)
}

#[test]
fn serve_without_a_token_exits_2_and_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = loa(dir.path()).arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BotFather"), "{err}");
    assert!(err.contains("LOA_TELEGRAM__TOKEN"), "{err}");
    assert!(err.contains("/newbot"), "{err}");
}

#[test]
fn a_bad_config_value_fails_with_one_line_naming_key_value_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let out = loa(dir.path()).arg("migrate").env("LOA_DELIVERY__MESSAGES_PER_SECOND", "fast").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("delivery.messages_per_second"), "{err}");
    assert!(err.contains("fast"), "{err}");
    assert!(err.contains("expected"), "{err}");

    let file = dir.path().join("loa.toml");
    std::fs::write(&file, "[telegram]\nmode = \"pollin\"\n").unwrap();
    let out = loa(dir.path()).args(["--config", file.to_str().unwrap(), "serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("telegram.mode = \"pollin\": expected \"polling\" or \"webhook\""), "{err}");

    std::fs::write(&file, "[telegram\nmode = 1\n").unwrap();
    let out = loa(dir.path()).args(["--config", file.to_str().unwrap(), "migrate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "a TOML syntax error is one line too: {err}");
    assert!(err.contains("line 1, column 10"), "{err}");

    let out = loa(dir.path()).args(["--config", "missing.toml", "migrate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn version_and_help_are_printed_and_bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = loa(dir.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("loa {}", env!("CARGO_PKG_VERSION")));
    let out = loa(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "sim"] {
        assert!(help.contains(sub), "{help}");
    }
    assert_eq!(loa(dir.path()).arg("frobnicate").output().unwrap().status.code(), Some(2));
}

#[test]
fn migrate_creates_the_database_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = loa(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/loa.db").is_file(), "default database.url is data/loa.db");
    let out = loa(dir.path()).arg("migrate").env("LOA_DATABASE__URL", "sqlite://other/x.db").output().unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("other/x.db").is_file());
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}

#[test]
fn loa_sim_serves_the_bot_api_on_the_given_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = loa(dir.path()).args(["sim", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let me: serde_json::Value = reqwest::blocking_get_json(&format!("{url}/bot{}/getMe", loa::sim::DEFAULT_TOKEN));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(out);
    assert_eq!(me["ok"], true);
    assert_eq!(me["result"]["username"], loa::sim::DEFAULT_BOT_USERNAME);
}

/// Minimal blocking GET for a test that has no runtime.
mod reqwest {
    pub fn blocking_get_json(url: &str) -> serde_json::Value {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { ::reqwest::get(url).await.unwrap().json().await.unwrap() })
    }
}

#[tokio::test]
async fn a_refused_token_exits_2_without_printing_it() {
    let sim = Sim::start_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::from(loa(dir.path()))
        .arg("serve")
        .env("LOA_TELEGRAM__API_URL", sim.url())
        .env("LOA_TELEGRAM__TOKEN", "123456:wrong-token-that-must-stay-hidden")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("refused the bot token"), "{all}");
    assert!(!all.contains("wrong-token-that-must-stay-hidden"), "{all}");
}

#[tokio::test]
async fn the_serve_process_answers_start_and_stops_cleanly_on_sigterm() {
    let sim = Sim::start_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::from(loa(dir.path()))
        .arg("serve")
        .env("LOA_TELEGRAM__API_URL", sim.url())
        .env("TELOXIDE_TOKEN", sim.token())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(sim.wait_until(WAIT, |s| s.call_count("getUpdates") > 0).await, "no polling");
    let u = sim.create_user("Ba", None);
    sim.send_text(u, u, "/start").unwrap();
    let got = sim.wait_for_bot_messages(u, 1, WAIT).await;
    assert!(got[0].text().unwrap().starts_with("Xin chào Ba!"));

    let pid = child.id().unwrap() as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("exits in time").unwrap();
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut err).await.unwrap();
    assert!(err.contains("SIGTERM received"), "{err}");
    assert!(!err.contains(&sim.token()), "the token leaked into the logs");
}
