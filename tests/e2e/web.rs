//! The web desk over HTTP, as a browser uses it: the one-time link from `/web` in chat, the
//! session cookie, the forms' token, every page for every role (refusals included), scoped
//! exactly as the chat is. (Driven through a real browser in `browser.rs`.)

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::harness::{REGISTRY, TestApp, WAIT};

/// A browser's memory of one person: their session cookie and the forms' token of the last page.
pub struct Browser {
    pub http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect goes.
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, base: base.trim_end_matches('/').to_string(), cookies: Vec::new(), csrf: String::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn take(&mut self, r: reqwest::Response) -> Page {
        let status = r.status();
        let headers = r.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !v.is_empty() {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let body = r.text().await.unwrap();
        if let Some(at) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[at + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_string();
        }
        Page { status, headers, body }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self.http.get(self.url(path)).header("cookie", self.cookie_header()).send().await.unwrap();
        self.take(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.http.post(self.url(path)).header("cookie", self.cookie_header()).form(form).send().await.unwrap();
        self.take(r).await
    }

    /// Posts a form with the session's token, as a page's button does.
    pub async fn press(&mut self, path: &str, more: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(more);
        self.post(path, &form).await
    }

    /// Signs `user` in with a link issued for them (as `/web` issues it), and opens the overview.
    pub async fn signed_in(app: &TestApp, user: i64) -> Browser {
        let token = loa::web::auth::issue_link(&app.pool, user, loa::dates::now()).await.unwrap();
        let mut b = Browser::new(&app.web());
        let page = b.post("/login", &[("t", &token)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let overview = b.get("/").await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
        b
    }

    pub fn has_session(&self) -> bool {
        self.cookies.iter().any(|(k, _)| k == "loa_session")
    }
}

async fn unit_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM units WHERE name = $1").bind(name).fetch_one(&app.pool).await.unwrap()
}

/// The registry with two units, a cell of each bound, and a pack sent to them; returns its id.
async fn province_with_a_pack(app: &TestApp) -> i64 {
    app.import(REGISTRY).await;
    let (a, b) = (app.user("Bí thư Nà Pài"), app.user("Bí thư Cốc Lùng"));
    app.bind("NR-001", a).await;
    app.bind("BB-001", b).await;
    let pack = app.send_plain_pack("Định hướng tuyên truyền tháng 12").await;
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 2, WAIT).await;
    pack
}

/// The first web address in a text.
fn link_in(text: &str) -> String {
    let at = text.find("http://").expect("a link");
    text[at..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn web_in_chat_gives_a_one_time_link_that_opens_a_session_on_every_page() {
    let app = TestApp::spawn_web(|_| {}).await;
    let pack = province_with_a_pack(&app).await;
    app.sim.send_text(app.admin, app.admin, "/web").unwrap();
    let reply = app.nth_reply(app.admin, 1).await;
    assert!(reply.contains("dùng được một lần, trong 10 phút"), "{reply}");
    let link = link_in(&reply);
    assert!(link.starts_with(&format!("{}/login?t=", app.web())), "{link}");
    // the answer asked Telegram for no link preview (a preview would fetch the link)
    let sent = app.sim.wait_for_bot_messages(app.admin, 1, WAIT).await;
    assert_eq!(
        sent[0].json.pointer("/link_preview_options/is_disabled"),
        Some(&serde_json::json!(true)),
        "{}",
        sent[0].json
    );

    let mut b = Browser::new(&app.web());
    // opening the link (or a preview of it) shows a button and does not use the link up
    for _ in 0..2 {
        let page = b.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<button class=\"primary\">Đăng nhập</button>"), "{}", page.body);
        let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(page.headers.get("referrer-policy").unwrap(), "same-origin");
        assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    }
    let token = link.split("t=").nth(1).unwrap().to_string();
    let signed = b.post("/login", &[("t", &token)]).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location(), "/");
    let cookie = signed.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("loa_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=28800"));
    assert!(!cookie.contains("Secure"), "plain http on loopback: {cookie}");
    // the link works once
    let again = Browser::new(&app.web()).post("/login", &[("t", &token)]).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(again.body.contains("đã được dùng"), "{}", again.body);

    // every page, as the admin sees it
    let overview = b.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("<html lang=\"vi\">") && overview.body.contains("Tổng quan"));
    assert!(overview.body.contains("Định hướng tuyên truyền tháng 12"), "{}", overview.body);
    let packs = b.get("/packs").await;
    assert!(packs.body.contains(&format!("href=\"/packs/{pack}\"")), "{}", packs.body);
    let page = b.get(&format!("/packs/{pack}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for seen in ["Na Rì", "Ba Bể", "NR-001", "BB-001", "Chi bộ chưa xác nhận", "đã tới", "Nội dung"] {
        assert!(page.body.contains(seen), "{seen} missing: {}", page.body);
    }
    // drill-down into one unit
    let na_ri = unit_id(&app, "Na Rì").await;
    let down = b.get(&format!("/packs/{pack}?unit={na_ri}")).await;
    assert!(down.body.contains("NR-001") && !down.body.contains("BB-001"), "{}", down.body);
    // the way back up, from the root to the unit opened
    let root: i64 =
        sqlx::query_scalar("SELECT id FROM units WHERE parent_id IS NULL").fetch_one(&app.pool).await.unwrap();
    let crumbs = format!("<a href=\"/packs/{pack}?unit={root}\">Đảng bộ tỉnh</a> › <b>Na Rì</b>");
    assert!(down.body.contains(&crumbs), "{}", down.body);
    let units = b.get("/units").await;
    assert!(units.body.contains("Na Rì") && units.body.contains("Ba Bể"), "{}", units.body);
    let unit = b.get(&format!("/units/{na_ri}")).await;
    assert!(unit.status == StatusCode::OK && unit.body.contains("Xã Kim Lư"), "{}", unit.body);
    assert_eq!(b.get("/inbox").await.status, StatusCode::OK);
    let audit = b.get("/audit?q=web.sign").await;
    assert!(audit.body.contains("web.sign_in") && audit.body.contains("denied"), "{}", audit.body);
    // the case of the words does not count, on either database
    let shouted = b.get("/audit?q=WEB.SIGN").await;
    assert!(shouted.body.contains("web.sign_in"), "{}", shouted.body);
    // downloads
    let xlsx = b.get(&format!("/packs/{pack}/export.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers.get("content-disposition").unwrap().to_str().unwrap().contains("loa-pack-"));
    let csv = b.get(&format!("/packs/{pack}/export.csv")).await;
    assert!(csv.body.contains("NR-001") && csv.body.contains("BB-001"), "{}", csv.body);
    let svg = b.get(&format!("/packs/{pack}/chart.svg")).await;
    assert_eq!(svg.headers.get("content-type").unwrap(), "image/svg+xml");
    assert!(svg.body.starts_with("<svg") && svg.body.contains("Na Rì"), "{}", &svg.body[..200.min(svg.body.len())]);
    let png = reqwest::Client::new()
        .get(format!("{}/packs/{pack}/chart.png", app.web()))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(&png.bytes().await.unwrap()[..4], b"\x89PNG");

    // a form without the session's token is refused; with it, the cells are reminded
    let page = b.get(&format!("/packs/{pack}")).await;
    assert!(page.body.contains("Nhắc các chi bộ chưa xác nhận"));
    let forged = b.post(&format!("/packs/{pack}/remind"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // a form posted from another site is refused, its token notwithstanding
    let cross = reqwest::Client::new()
        .post(format!("{}/packs/{pack}/remind", app.web()))
        .header("cookie", b.cookie_header())
        .header("origin", "https://evil.example")
        .form(&[("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    // and one from the desk's own address passes the same guard
    let own = b
        .http
        .post(format!("{}/lang", app.web()))
        .header("cookie", b.cookie_header())
        .header("origin", app.web())
        .form(&[("csrf", b.csrf.as_str()), ("lang", "vi")])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
    let done = b.press(&format!("/packs/{pack}/remind"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), format!("/packs/{pack}?done=remind:2"));
    assert!(b.get(done.location()).await.body.contains("Đã bắt đầu nhắc 2 chi bộ."));
    assert_eq!(app.audit_count("packs.remind", "ok").await, 1);

    // English, by the switch in the header
    let switched = b.press("/lang", &[("lang", "en"), ("back", "/packs")]).await;
    assert_eq!(switched.location(), "/packs");
    let en = b.get("/").await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Uptake of the latest packs"), "{}", en.body);

    // signing out ends the session: the old cookie opens nothing
    let cookie_before = b.cookie_header();
    let out = b.press("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(!b.has_session());
    let stale =
        reqwest::Client::new().get(format!("{}/", app.web())).header("cookie", cookie_before).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    // in the language the switch chose
    assert!(stale.text().await.unwrap().contains("The session has expired or was signed out."));
    assert_eq!(app.audit_count("web.link", "ok").await, 1);
    assert_eq!(app.audit_count("web.sign_in", "ok").await, 1);
    assert_eq!(app.audit_count("web.sign_in", "denied").await, 1);
    assert_eq!(app.audit_count("web.sign_out", "ok").await, 1);
}

#[tokio::test]
async fn an_officer_sees_their_unit_only_and_loses_the_desk_with_the_role() {
    let app = TestApp::spawn_web(|_| {}).await;
    let pack = province_with_a_pack(&app).await;
    let officer = app.user("Cán bộ Na Rì");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district na rì")).unwrap();
    app.nth_reply(app.admin, 1).await;
    let mut b = Browser::signed_in(&app, officer).await;
    let (na_ri, ba_be) = (unit_id(&app, "Na Rì").await, unit_id(&app, "Ba Bể").await);

    let page = b.get(&format!("/packs/{pack}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("NR-001") && !page.body.contains("BB-001") && !page.body.contains("Ba Bể"),
        "{}",
        page.body
    );
    // the way up stops at the officer's own unit
    assert!(page.body.contains("<p class=\"crumbs\"><b>Na Rì</b></p>"), "{}", page.body);
    // no board buttons
    assert!(!page.body.contains("/pause\"") && !page.body.contains("/cancel\""), "{}", page.body);
    let overview = b.get("/").await;
    assert!(overview.body.contains("cán bộ cơ sở"), "{}", overview.body);
    // nothing outside the unit: not by address, not by download, not by form
    for path in [
        format!("/packs/{pack}?unit={ba_be}"),
        format!("/units/{ba_be}"),
        format!("/packs/{pack}/export.csv?unit={ba_be}"),
        format!("/packs/{pack}/chart.svg?unit={ba_be}"),
    ] {
        let p = b.get(&path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}: {}", p.body);
    }
    let units = b.get("/units").await;
    assert!(units.body.contains("Xã Kim Lư") && !units.body.contains("Ba Bể"), "{}", units.body);
    let csv = b.get(&format!("/packs/{pack}/export.csv")).await;
    assert!(csv.body.contains("NR-001") && !csv.body.contains("BB-001"), "{}", csv.body);
    b.get(&format!("/units/{na_ri}")).await;
    assert_eq!(b.press("/cells/BB-001/invite", &[]).await.status, StatusCode::NOT_FOUND);
    let invite = b.press("/cells/NR-002/invite", &[]).await;
    assert_eq!(invite.status, StatusCode::OK);
    assert!(invite.body.contains("https://t.me/") && invite.body.contains("?start="), "{}", invite.body);
    // the unit's page offers to revoke the open code, and only that one
    let kim_lu = unit_id(&app, "Xã Kim Lư").await;
    let unit = b.get(&format!("/units/{kim_lu}")).await;
    assert!(unit.body.contains("/cells/NR-002/revoke") && !unit.body.contains("/cells/NR-001/revoke"), "{}", unit.body);
    let revoked = b.press("/cells/NR-002/revoke", &[]).await;
    assert_eq!(revoked.location(), format!("/units/{kim_lu}?done=revoked:1"));
    assert!(!b.get(revoked.location()).await.body.contains("/cells/NR-002/revoke"));
    // the board's pages and actions are refused, and the refusals audited
    let audit = b.get("/audit").await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN);
    assert!(audit.body.contains("chỉ cán bộ Ban hoặc quản trị"), "{}", audit.body);
    assert_eq!(b.press(&format!("/packs/{pack}/pause"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.press(&format!("/packs/{pack}/cancel"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count("staff.denied", "denied").await, 3);
    // a remind from the officer reminds their cell only
    let done = b.press(&format!("/packs/{pack}/remind"), &[]).await;
    assert_eq!(done.location(), format!("/packs/{pack}?done=remind:1"));

    // the role taken away: out at the next click
    loa::staff::revoke(&app.pool, &Default::default(), officer, loa::audit::Actor::Cli).await.unwrap().unwrap();
    let out = b.get("/").await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert!(out.body.contains("không còn vai trò cán bộ"), "{}", out.body);
    assert!(!b.has_session(), "the cookie is cleared");
    assert_eq!(app.audit_count("web.session_ended", "ok").await, 1);
}

#[tokio::test]
async fn the_board_pauses_resumes_and_cancels_a_broadcast_from_the_pack_page() {
    let app = TestApp::spawn_web(|c| c.delivery.messages_per_second = 2).await;
    app.private_cells("C", "Na Rì", 30).await;
    let pack = app.send_plain_pack("Thông báo khẩn").await;
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM broadcasts WHERE state = 'running'", 1, WAIT).await;
    let board = app.user("Cán bộ Ban");
    loa::staff::grant(&app.pool, &Default::default(), board, loa::staff::Role::Board, None, loa::audit::Actor::Cli)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::signed_in(&app, board).await;
    let overview = b.get("/").await;
    assert!(overview.body.contains(&format!("data-broadcast=\"{pack}\"")), "in flight: {}", overview.body);
    let progress = b.get("/progress.json").await;
    let rows: serde_json::Value = serde_json::from_str(&progress.body).unwrap();
    assert_eq!(rows[0]["pack_id"], pack);
    assert_eq!(rows[0]["targeted"], 30);

    b.get(&format!("/packs/{pack}")).await;
    let paused = b.press(&format!("/packs/{pack}/pause"), &[]).await;
    assert_eq!(paused.location(), format!("/packs/{pack}?done=pause"));
    let state = "SELECT count(*) FROM broadcasts WHERE pack_id = $1 AND state = $2";
    let count =
        async |s: &str| -> i64 { sqlx::query_scalar(state).bind(pack).bind(s).fetch_one(&app.pool).await.unwrap() };
    assert_eq!(count("paused").await, 1);
    let page = b.get(paused.location()).await;
    assert!(page.body.contains("Đã tạm dừng đợt gửi.") && page.body.contains("/resume\""), "{}", page.body);
    b.press(&format!("/packs/{pack}/resume"), &[]).await;
    assert_eq!(count("running").await, 1);
    let cancelled = b.press(&format!("/packs/{pack}/cancel"), &[]).await;
    assert_eq!(cancelled.location(), format!("/packs/{pack}?done=cancel"));
    assert_eq!(count("cancelled").await, 1);
    assert_eq!(app.audit_count("broadcasts.pause", "ok").await, 1);
    assert_eq!(app.audit_count("broadcasts.resume", "ok").await, 1);
}

#[tokio::test]
async fn strangers_groups_and_forged_links_get_no_session_and_hostile_names_stay_text() {
    let app = TestApp::spawn_web(|_| {}).await;
    app.import(REGISTRY).await;
    // a cell whose name is a script, from a registry
    let hostile = "code,name,district,commune,parent,tags\nNR-666,<script>alert(1)</script>,Na Rì,Xã Kim Lư,,\n";
    app.import(hostile).await;
    // /web from a member of a cell's chat with no role: refused, no link made
    let member = app.user("Đảng viên");
    app.bind("NR-001", member).await;
    app.sim.send_text(member, member, "/web").unwrap();
    let refused = app.nth_reply(member, 1).await;
    assert!(refused.contains("chỉ dành cho cán bộ"), "{refused}");
    // and from the admin in a group: the private chat only
    let group = app.group("Chi bộ Nà Pài", app.admin);
    app.sim.send_text(group, app.admin, "/web").unwrap();
    let in_group = app.nth_reply(group, 1).await;
    assert!(in_group.starts_with("Lệnh /web chỉ dùng trong cuộc trò chuyện riêng"), "{in_group}");
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM web_links").fetch_one(&app.pool).await.unwrap();
    assert_eq!(links, 0);

    // no cookie, a made-up cookie, a made-up link
    let mut b = Browser::new(&app.web());
    let page = b.get("/").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("gõ /web trong cuộc trò chuyện riêng với Loa"), "{}", page.body);
    let r = reqwest::Client::new()
        .get(format!("{}/packs", app.web()))
        .header("cookie", format!("loa_session={}", loa::web::auth::new_secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let forged = b.get("/login?t=abc").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("không đúng"));
    let forged = b.post("/login", &[("t", &loa::web::auth::new_secret())]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!b.has_session());
    assert_eq!(app.audit_count("web.sign_in", "denied").await, 1);
    // every form refuses a request without a session
    assert_eq!(b.post("/packs/1/remind", &[("csrf", "x")]).await.status, StatusCode::UNAUTHORIZED);

    // the hostile name is text on every page that shows it
    let mut admin = Browser::signed_in(&app, app.admin).await;
    let unit: i64 =
        sqlx::query_scalar("SELECT unit_id FROM cells WHERE code = 'NR-666'").fetch_one(&app.pool).await.unwrap();
    // a flood of guessed links is turned away before the database, and writes a few audit rows
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let guess = loa::web::auth::new_secret();
        statuses.push(Browser::new(&app.web()).post("/login", &[("t", &guess)]).await.status.as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 403 || *s == 429), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 429).count() >= 10, "{statuses:?}");
    let denied = app.audit_count("web.sign_in", "denied").await;
    assert!((2..=12).contains(&denied), "{denied} rows for 41 refusals");
    let page = admin.get(&format!("/units/{unit}")).await;
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
}

#[tokio::test]
async fn the_inbox_opens_answers_and_handles_a_report_within_the_scope() {
    let app = TestApp::spawn_web(|_| {}).await;
    app.import(REGISTRY).await;
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("NR-001", secretary).await;
    let cell = app.cell("NR-001").await;
    let id = app
        .file_situation(
            "NR-001",
            secretary,
            loa::situations::Severity::Urgent,
            "Tranh chấp đất <b>rừng</b> giữa hai hộ",
        )
        .await;
    // an officer of the other unit does not see it
    let other = app.user("Cán bộ Ba Bể");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {other} district ba bể")).unwrap();
    app.nth_reply(app.admin, 1).await;
    let mut o = Browser::signed_in(&app, other).await;
    assert!(!o.get("/inbox").await.body.contains("Đất đai"));
    assert_eq!(o.get(&format!("/inbox/{id}")).await.status, StatusCode::NOT_FOUND);

    let mut b = Browser::signed_in(&app, app.admin).await;
    let overview = b.get("/").await;
    assert!(overview.body.contains(&format!("href=\"/inbox/{id}\"")), "urgent on the overview: {}", overview.body);
    let list = b.get("/inbox").await;
    assert!(list.body.contains("Đất đai") && list.body.contains("class=\"urgent\""), "{}", list.body);
    let open = b.get(&format!("/inbox/{id}")).await;
    assert!(open.body.contains("Tranh chấp đất &#60;b&#62;rừng&#60;/b&#62;"), "{}", open.body);
    let status: String = sqlx::query_scalar("SELECT status FROM situation_reports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "seen");
    // an empty answer is refused; an answer goes to the cell's chat
    assert_eq!(b.press(&format!("/inbox/{id}/reply"), &[("text", "  ")]).await.status, StatusCode::FORBIDDEN);
    let before = app.sim.bot_messages(secretary).len();
    let replied = b.press(&format!("/inbox/{id}/reply"), &[("text", "Đã chuyển Ủy ban xã xử lý.")]).await;
    assert_eq!(replied.location(), format!("/inbox/{id}?done=replied"));
    let got = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    let last = got.last().unwrap().text().unwrap_or_default().to_string();
    assert!(last.contains("Đã chuyển Ủy ban xã xử lý."), "{last}");
    b.get(&format!("/inbox/{id}")).await;
    let handled = b.press(&format!("/inbox/{id}/handle"), &[("text", "Hai hộ đã thống nhất ranh giới.")]).await;
    assert_eq!(handled.location(), format!("/inbox/{id}?done=handled"));
    let page = b.get(handled.location()).await;
    assert!(page.body.contains("Hai hộ đã thống nhất ranh giới.") && !page.body.contains("/handle\""), "{}", page.body);
    assert_eq!(app.audit_count("situation.replied", "ok").await, 1);
    assert_eq!(app.audit_count("situation.handled", "ok").await, 1);

    // an officer of the report's unit sends it up; the board's own page has no such form
    assert!(!page.body.contains("/forward\""), "the board has nobody above it");
    let officer = app.user("Cán bộ Na Rì");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district na rì")).unwrap();
    app.nth_reply(app.admin, 2).await;
    let mut n = Browser::signed_in(&app, officer).await;
    let seen_before = app.sim.bot_messages(app.admin).len();
    n.get(&format!("/inbox/{id}")).await;
    let up = n.press(&format!("/inbox/{id}/forward"), &[("text", "Đề nghị Ban chỉ đạo.")]).await;
    assert_eq!(up.location(), format!("/inbox/{id}?done=forwarded:1"), "{}", up.body);
    let told = app.sim.wait_for_bot_messages(app.admin, seen_before + 1, WAIT).await;
    assert!(told.last().unwrap().text().unwrap_or_default().contains("Đề nghị Ban chỉ đạo."));
    assert_eq!(app.audit_count("situation.forwarded", "ok").await, 1);
    assert_eq!(b.press(&format!("/inbox/{id}/forward"), &[("text", "")]).await.status, StatusCode::FORBIDDEN);

    // questions on a pack: answered to the cell, or for every cell that got the pack
    let pack = app.send_plain_pack("Định hướng tháng 12").await;
    let got = app.sim.wait_for_bot_messages(secretary, before + 2, WAIT).await.len();
    let ask = async |body: &str| {
        loa::questions::ask(
            &app.pool,
            pack,
            cell.id,
            cell.unit_id,
            secretary,
            secretary,
            "Bí thư",
            body,
            loa::dates::now(),
        )
        .await
        .unwrap()
    };
    let (first, second) = (ask("Tư liệu có bản in không?").await, ask("Hạn báo cáo là ngày nào?").await);
    let inbox = b.get("/inbox").await;
    assert!(inbox.body.contains("Tư liệu có bản in không?") && inbox.body.contains("Hạn báo cáo là ngày nào?"));
    assert!(!o.get("/inbox").await.body.contains("Tư liệu có bản in"), "not the other unit's");
    assert_eq!(o.press(&format!("/questions/{first}/answer"), &[("text", "x")]).await.status, StatusCode::NOT_FOUND);
    let answered = b.press(&format!("/questions/{first}/answer"), &[("text", "Có, Ban sẽ gửi bản in.")]).await;
    assert_eq!(answered.location(), format!("/inbox?done=answered:{first}"));
    let msgs = app.sim.wait_for_bot_messages(secretary, got + 1, WAIT).await;
    assert!(msgs.last().unwrap().text().unwrap_or_default().contains("Có, Ban sẽ gửi bản in."));
    let again = b.press(&format!("/questions/{first}/answer"), &[("text", "Lần hai")]).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "the first answer stands");
    let faq = b.press(&format!("/questions/{second}/answer"), &[("text", "Ngày 15.12."), ("all", "1")]).await;
    assert_eq!(faq.location(), format!("/inbox?done=faq:{second}:1"));
    assert!(b.get(faq.location()).await.body.contains("tới 1 chi bộ đã nhận định hướng"));
    let msgs = app.sim.wait_for_bot_messages(secretary, got + 2, WAIT).await;
    assert!(msgs.last().unwrap().text().unwrap_or_default().contains("Ngày 15.12."));
}

#[tokio::test]
async fn the_board_composes_a_pack_with_a_document_checked_as_pack_create_checks_a_folder() {
    let app = TestApp::spawn_web(|_| {}).await;
    app.import(REGISTRY).await;
    let (a, b) = (app.user("Bí thư Nà Pài"), app.user("Bí thư Cốc Lùng"));
    app.bind("NR-001", a).await;
    app.bind("BB-001", b).await;
    let na_ri: String =
        sqlx::query_scalar("SELECT code FROM units WHERE name = 'Na Rì'").fetch_one(&app.pool).await.unwrap();
    let mut admin = Browser::signed_in(&app, app.admin).await;
    let form = admin.get("/packs/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("value=\"{na_ri}\"")), "the tree to pick from: {}", form.body);
    let (csrf, cookie, http) = (admin.csrf.clone(), admin.cookie_header(), admin.http.clone());
    let post = async |parts: Vec<(&'static str, String)>, file: Option<(&'static str, Vec<u8>)>| {
        let mut m = reqwest::multipart::Form::new().text("csrf", csrf.clone());
        for (k, v) in parts {
            m = m.text(k, v);
        }
        if let Some((name, bytes)) = file {
            m = m.part("documents", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        let r = http.post(format!("{}/packs/new", app.web())).header("cookie", cookie.clone()).multipart(m);
        let r = r.send().await.unwrap();
        (r.status(), r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_string()), r.text().await.unwrap())
    };

    // every problem at once, in the form's words, and nothing stored
    let (status, _, body) = post(
        vec![
            ("kind", "monthly".into()),
            ("period", "tháng 12".into()),
            ("title", " ".into()),
            ("body", "Nội dung".into()),
        ],
        Some(("virus.exe", b"MZ".to_vec())),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("Tiêu đề (title): is empty"), "{body}");
    assert!(
        body.contains("(period)") && body.contains("(attachments[virus.exe]): file type .exe is not accepted"),
        "{body}"
    );
    assert!(body.contains("Hãy chọn lại các tệp tư liệu"), "{body}");
    assert!(body.contains(">Nội dung</textarea>"), "what was typed is kept: {body}");
    let packs: i64 = sqlx::query_scalar("SELECT count(*) FROM packs").fetch_one(&app.pool).await.unwrap();
    assert_eq!(packs, 0);

    // a pack for one unit, with a document, sent now
    let (status, location, body) = post(
        vec![
            ("kind", "monthly".into()),
            ("period", "2026-12".into()),
            ("title", "Định hướng tuyên truyền tháng 12".into()),
            ("body", "**Trọng tâm**: kỷ niệm ngày thành lập Quân đội nhân dân.".into()),
            ("unit", na_ri.clone()),
            ("report", "Báo cáo kết quả quán triệt".into()),
            ("when", "now".into()),
        ],
        Some(("Kế hoạch tháng 12.pdf", b"%PDF-1.4 ke hoach".to_vec())),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.unwrap();
    assert!(location.ends_with("?done=scheduled"), "{location}");
    let got = app.sim.wait_for_bot_messages(a, 2, WAIT).await;
    assert_eq!(got[0].json["document"]["file_name"], "Kế hoạch tháng 12.pdf");
    assert!(got[1].text().unwrap().contains("Trọng tâm"), "{:?}", got[1].text());
    assert!(app.sim.bot_messages(b).is_empty(), "Ba Bể is not in the audience");
    let page = admin.get(&location).await;
    assert!(
        page.body.contains("Đã lên lịch gửi định hướng.") && page.body.contains("<b>Trọng tâm</b>"),
        "{}",
        page.body
    );
    // the document downloads with its name
    let id = location.trim_start_matches("/packs/").split('?').next().unwrap().to_string();
    let doc = reqwest::Client::new()
        .get(format!("{}/packs/{id}/documents/1", app.web()))
        .header("cookie", admin.cookie_header())
        .send()
        .await
        .unwrap();
    assert!(doc.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''K%E1%BA%BF"));
    assert_eq!(doc.bytes().await.unwrap().as_ref(), b"%PDF-1.4 ke hoach");
    assert_eq!(app.audit_count("packs.create", "ok").await, 1);

    // the live preview renders Markdown as Telegram will, and text stays text
    let preview = admin.press("/preview", &[("body", "**đậm** <script>x</script>")]).await;
    assert!(preview.body.contains("<b>đậm</b>") && !preview.body.contains("<script>"), "{}", preview.body);

    // a draft, then scheduled from its page with the delivery estimate shown
    let (status, location, _) = post(
        vec![
            ("kind", "urgent".into()),
            ("title", "Thông báo".into()),
            ("body", "Họp chi bộ".into()),
            ("when", "draft".into()),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let page = admin.get(&location).await;
    assert!(page.body.contains("Gửi tới 4 chi bộ (2 đã kết nối), mỗi chi bộ 1 tin"), "{}", page.body);
    let id = location.trim_start_matches("/packs/").split('?').next().unwrap().to_string();
    let bad = admin.press(&format!("/packs/{id}/schedule"), &[("when", "at"), ("at", "2020-01-01T08:00")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("in the past"), "{}", bad.body);
    let sched = admin.press(&format!("/packs/{id}/schedule"), &[("when", "now")]).await;
    assert_eq!(sched.location(), format!("/packs/{id}?done=scheduled"));
    app.sim.wait_for_bot_messages(b, 1, WAIT).await;

    // an officer may not compose
    let officer = app.user("Cán bộ Na Rì");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district na rì")).unwrap();
    app.nth_reply(app.admin, 1).await;
    let mut o = Browser::signed_in(&app, officer).await;
    assert_eq!(o.get("/packs/new").await.status, StatusCode::FORBIDDEN);
}

/// Every page of the desk for every role: who gets it (200), who is told to sign in (401), who is
/// refused (403). The pages' contents are checked by the tests above; this one checks the gate.
#[tokio::test]
async fn every_route_answers_each_role_as_it_should() {
    let app = TestApp::spawn_web(|_| {}).await;
    let pack = province_with_a_pack(&app).await;
    let na_ri = unit_id(&app, "Na Rì").await;
    let officer = app.user("Cán bộ Na Rì");
    let board = app.user("Cán bộ Ban");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district na rì")).unwrap();
    app.nth_reply(app.admin, 1).await;
    app.sim.send_text(app.admin, app.admin, &format!("/grant {board} board")).unwrap();
    app.nth_reply(app.admin, 2).await;
    let mut nobody = Browser::new(&app.web());
    let mut o = Browser::signed_in(&app, officer).await;
    let mut bd = Browser::signed_in(&app, board).await;
    let mut a = Browser::signed_in(&app, app.admin).await;
    const OK: u16 = 200;
    const IN: u16 = 401;
    const NO: u16 = 403;
    // (path, nobody, officer, board, admin)
    let table: Vec<(String, [u16; 4])> = vec![
        ("/".into(), [IN, OK, OK, OK]),
        ("/progress.json".into(), [IN, OK, OK, OK]),
        ("/packs".into(), [IN, OK, OK, OK]),
        ("/packs/new".into(), [IN, NO, OK, OK]),
        (format!("/packs/{pack}"), [IN, OK, OK, OK]),
        (format!("/packs/{pack}?unit={na_ri}"), [IN, OK, OK, OK]),
        (format!("/packs/{pack}/export.xlsx"), [IN, OK, OK, OK]),
        (format!("/packs/{pack}/export.csv"), [IN, OK, OK, OK]),
        (format!("/packs/{pack}/chart.svg"), [IN, OK, OK, OK]),
        (format!("/packs/{pack}/chart.png"), [IN, OK, OK, OK]),
        ("/units".into(), [IN, OK, OK, OK]),
        (format!("/units/{na_ri}"), [IN, OK, OK, OK]),
        ("/inbox".into(), [IN, OK, OK, OK]),
        ("/audit".into(), [IN, NO, OK, OK]),
    ];
    for (path, want) in &table {
        let got = [
            nobody.get(path).await.status.as_u16(),
            o.get(path).await.status.as_u16(),
            bd.get(path).await.status.as_u16(),
            a.get(path).await.status.as_u16(),
        ];
        assert_eq!(&got, want, "GET {path}: nobody, officer, board, admin");
    }
    // the forms: without a session 401; an officer refused the board's (audited); static files
    // are for anyone
    for path in [format!("/packs/{pack}/pause"), format!("/packs/{pack}/cancel"), format!("/packs/{pack}/schedule")] {
        assert_eq!(nobody.post(&path, &[("csrf", "x")]).await.status.as_u16(), IN, "{path}");
        assert_eq!(o.press(&path, &[("when", "now")]).await.status.as_u16(), NO, "{path}");
    }
    assert_eq!(app.audit_count("staff.denied", "denied").await, 5, "/packs/new and /audit, then three forms");
    for path in ["/static/loa.css", "/static/loa.js"] {
        assert_eq!(nobody.get(path).await.status.as_u16(), OK);
    }
}
