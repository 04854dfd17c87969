//! The web desk in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver), from the link `/web` gives in chat to a pack composed with a document, watched
//! as it is delivered through the simulator, drilled into, and an inbox item answered. A
//! screenshot of each page goes to `target/screenshots/` (the README shows them).
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and sets `LOA_BROWSER_TESTS=required`: there
//! a missing browser fails the test. Elsewhere, without them, the test says so and passes nothing
//! off as checked (it returns before its first step).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::harness::{REGISTRY, TestApp, WAIT};

/// Chromium under chromedriver; the driver is killed when this goes.
struct Browser {
    driver: Child,
    client: Client,
    shots: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

/// Starts chromedriver and a headless Chromium session, or `None` when they are not installed
/// (and the run does not require them).
async fn browser() -> Option<Browser> {
    let required = std::env::var("LOA_BROWSER_TESTS").is_ok_and(|v| v == "required");
    let driver_bin = std::env::var_os("LOA_CHROMEDRIVER").map(PathBuf::from).or_else(|| which("chromedriver"));
    let chromium = std::env::var_os("LOA_CHROMIUM").map(PathBuf::from).or_else(|| which("chromium"));
    let (Some(driver_bin), Some(chromium)) = (driver_bin, chromium) else {
        assert!(!required, "LOA_BROWSER_TESTS=required, but chromium or chromedriver is not installed");
        eprintln!("browser test not run: install Debian's chromium and chromium-driver to run it");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=vi"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = crate::harness::wait_for("chromedriver to answer", Duration::from_secs(20), async || {
        ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&url).await.ok()
    })
    .await;
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    Some(Browser { driver, client, shots })
}

impl Browser {
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        assert_eq!(&png[..4], b"\x89PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Waits for an element, then returns it.
    async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    async fn h1(&self) -> String {
        self.wait("h1").await.text().await.unwrap()
    }

    /// Waits until the page's text contains `text`.
    async fn until_text(&self, text: &str) {
        let started = std::time::Instant::now();
        loop {
            // a page being replaced has no body to read yet: try again
            let body = match self.client.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if body.contains(text) {
                return;
            }
            assert!(started.elapsed() < WAIT, "{text:?} never showed; the page says: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn the_board_signs_in_composes_watches_drills_down_and_answers_in_a_real_browser() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn_web(|_| {}).await;
    app.import(REGISTRY).await;
    let mut secretaries = Vec::new();
    for (code, name) in [("NR-001", "Bí thư Nà Pài"), ("NR-002", "Bí thư Khuổi Luông"), ("BB-001", "Bí thư Cốc Lùng")]
    {
        let u = app.user(name);
        app.bind(code, u).await;
        secretaries.push(u);
    }
    app.file_situation(
        "NR-001",
        secretaries[0],
        loa::situations::Severity::Urgent,
        "Tranh chấp đất rừng giữa hai hộ, cần Ban nắm.",
    )
    .await;

    // sign in: /web in chat, the link opened, the button pressed
    app.sim.send_text(app.admin, app.admin, "/web").unwrap();
    let reply = app.nth_reply(app.admin, 1).await;
    let link = reply[reply.find("http://").unwrap()..].split_whitespace().next().unwrap().to_string();
    b.client.goto(&link).await.unwrap();
    assert_eq!(b.h1().await, "Đăng nhập");
    b.shot("sign-in").await;
    b.wait("button.primary").await.click().await.unwrap();
    b.until_text("Tiếp nhận các định hướng gần đây").await;
    assert_eq!(b.h1().await, "Tổng quan");
    b.until_text("Báo cáo tình hình khẩn chưa xem").await;
    b.until_text("Đất đai").await;
    b.shot("overview").await;

    // compose a pack with a document, for one unit, with the live preview
    let na_ri: String =
        sqlx::query_scalar("SELECT code FROM units WHERE name = 'Na Rì'").fetch_one(&app.pool).await.unwrap();
    b.client.goto(&format!("{}/packs/new", app.web())).await.unwrap();
    b.until_text("Nội dung (Markdown)").await;
    b.wait("#period").await.send_keys("2026-12").await.unwrap();
    b.wait("#title").await.send_keys("Định hướng tuyên truyền tháng 12").await.unwrap();
    b.wait("#body").await.send_keys("**Trọng tâm**: kỷ niệm ngày thành lập Quân đội nhân dân Việt Nam.").await.unwrap();
    // the preview, as Telegram will show it
    let bold = b.wait("#preview b").await;
    assert_eq!(bold.text().await.unwrap(), "Trọng tâm");
    b.client.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    b.shot("compose").await;
    let doc = app.dir.path().join("Kế hoạch tháng 12.pdf");
    std::fs::write(&doc, b"%PDF-1.4 ke hoach thang 12").unwrap();
    b.wait("#documents").await.send_keys(doc.to_str().unwrap()).await.unwrap();
    b.wait(&format!("input[name=unit][value=\"{na_ri}\"]")).await.click().await.unwrap();
    b.wait("input[name=report]").await.send_keys("Báo cáo kết quả quán triệt").await.unwrap();
    b.wait("input[name=when][value=now]").await.click().await.unwrap();
    b.wait("form[action=\"/packs/new\"] button.primary").await.click().await.unwrap();
    b.until_text("Đã lên lịch gửi định hướng.").await;
    assert!(b.h1().await.contains("Định hướng tuyên truyền tháng 12"));

    // watch it go out through the simulator: both cells of Na Rì get the document and the message
    for chat in &secretaries[..2] {
        let got = app.sim.wait_for_bot_messages(*chat, 2, WAIT).await;
        assert_eq!(got[0].json["document"]["file_name"], "Kế hoạch tháng 12.pdf");
    }
    assert!(app.sim.bot_messages(secretaries[2]).is_empty(), "Ba Bể is not in the audience");
    let pack: i64 = sqlx::query_scalar("SELECT max(id) FROM packs").fetch_one(&app.pool).await.unwrap();
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 2, WAIT).await;
    b.client.goto(&format!("{}/packs/{pack}", app.web())).await.unwrap();
    b.until_text("Chi bộ chưa xác nhận").await;
    b.until_text("NR-002").await;
    b.shot("pack").await;
    // a cell acknowledges; the page shows it after a reload
    let data = app.sim.bot_messages(secretaries[0])[1]
        .json
        .pointer("/reply_markup/inline_keyboard/0/0/callback_data")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let message_id = app.sim.bot_messages(secretaries[0])[1].json["message_id"].as_i64().unwrap();
    app.sim.press_button(secretaries[0], secretaries[0], message_id, &data).unwrap();
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM acks", 1, WAIT).await;
    // drill down into the unit, by its link
    b.client.goto(&format!("{}/packs/{pack}", app.web())).await.unwrap();
    b.client.find(Locator::LinkText("Na Rì")).await.unwrap().click().await.unwrap();
    b.until_text("Đảng bộ tỉnh › Na Rì").await;
    b.client.find(Locator::LinkText("Xã Kim Lư")).await.unwrap().click().await.unwrap();
    b.until_text("đã xác nhận").await;
    b.until_text("Chi bộ thôn Khuổi Luông").await;
    b.shot("pack-unit").await;

    // the units, a unit's cells
    b.client.goto(&format!("{}/units", app.web())).await.unwrap();
    b.until_text("Ba Bể").await;
    b.shot("units").await;
    b.client.find(Locator::LinkText("Na Rì")).await.unwrap().click().await.unwrap();
    b.until_text("Xã Kim Lư").await;
    b.client.find(Locator::LinkText("Xã Kim Lư")).await.unwrap().click().await.unwrap();
    b.until_text("NR-001").await;
    b.shot("unit").await;

    // the inbox: open the urgent report, answer the cell
    b.client.goto(&format!("{}/inbox", app.web())).await.unwrap();
    b.shot("inbox").await;
    b.client.find(Locator::LinkText("Đất đai")).await.unwrap().click().await.unwrap();
    b.until_text("Tranh chấp đất rừng").await;
    b.wait("form[action$=\"/reply\"] textarea").await.send_keys("Ban đã chuyển Ủy ban xã xử lý.").await.unwrap();
    b.wait("form[action$=\"/reply\"] button").await.click().await.unwrap();
    b.until_text("Đã gửi trả lời báo cáo số").await;
    b.shot("report").await;
    let answered = app.sim.wait_for_bot_messages(secretaries[0], 3, WAIT).await;
    assert!(answered.iter().any(|m| m.text().unwrap_or_default().contains("Ban đã chuyển Ủy ban xã xử lý.")));

    // the audit log holds the sign-in and the pack
    b.client.goto(&format!("{}/audit", app.web())).await.unwrap();
    b.until_text("web.sign_in").await;
    b.until_text("packs.create").await;
    b.shot("audit").await;

    // English, and on a phone's width
    b.wait("form[action=\"/lang\"] button").await.click().await.unwrap();
    b.until_text("Audit log").await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&format!("{}/packs/{pack}", app.web())).await.unwrap();
    b.until_text("Cells that have not acknowledged").await;
    b.shot("pack-phone").await;

    // signing out
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.wait("form[action=\"/logout\"] button").await.click().await.unwrap();
    b.until_text("Signed out.").await;
    b.client.goto(&format!("{}/", app.web())).await.unwrap();
    b.until_text("You are not signed in.").await;
}
