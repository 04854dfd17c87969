//! Chat flows of the foundation: /start, /help, /lang, unknown commands, privacy mode, escaping.

use serde_json::json;

use crate::harness::{REGISTRY, TestApp, WAIT};

#[tokio::test]
async fn start_in_a_private_chat_is_answered_in_vietnamese_naming_the_board_as_configured() {
    let app =
        TestApp::spawn_with(|c| c.organisation.board = "Ban Tuyên giáo và Dân vận Tỉnh ủy Thái Nguyên".into()).await;
    let lan = app.user("Lan");
    app.sim.send_text(lan, lan, "/start").unwrap();
    let got = app.sim.wait_for_bot_messages(lan, 1, WAIT).await;
    assert_eq!(got.len(), 1);
    let text = got[0].text().unwrap();
    assert!(text.starts_with("Xin chào Lan!"), "{text}");
    assert!(text.contains("kênh Ban Tuyên giáo và Dân vận Tỉnh ủy Thái Nguyên gửi định hướng"), "{text}");
    assert!(text.contains("/help"), "{text}");
    assert_eq!(got[0].parse_mode.as_deref(), Some("HTML"));
    // "Loa" is bold: the HTML went through Telegram's parser
    assert_eq!(got[0].json["entities"][0]["type"], "bold");
}

#[tokio::test]
async fn help_is_answered_in_vietnamese_in_a_private_chat_and_in_a_group() {
    let app = TestApp::spawn().await;
    let lan = app.user("Lan");
    app.sim.send_text(lan, lan, "/help").unwrap();
    let private = app.sim.wait_for_bot_messages(lan, 1, WAIT).await;
    assert!(private[0].text().unwrap().starts_with("Loa — hướng dẫn sử dụng"), "{:?}", private[0].text());

    // a cell's group: every command answered (a stranger's chat is answered once a minute)
    let group = app.group("Chi bộ thôn Nà Pài", lan);
    app.import(REGISTRY).await;
    app.bind("NR-001", group).await;
    let bot = app.sim.bot_username();
    app.sim.send_text(group, lan, &format!("/help@{bot}")).unwrap();
    app.sim.send_text(group, lan, "/help").unwrap();
    let answers = app.sim.wait_for_bot_messages(group, 2, WAIT).await;
    assert_eq!(answers.len(), 2);
    for a in answers {
        assert!(a.text().unwrap().contains("/lang"), "{:?}", a.text());
        assert!(a.text().unwrap().contains("Các lệnh"));
    }
}

#[tokio::test]
async fn start_in_a_group_greets_it_by_title() {
    let app = TestApp::spawn().await;
    let secretary = app.user("Hoa");
    let group = app.sim.create_group("Chi bộ bản Cốc Lùng", loa::sim::ChatKind::Supergroup);
    app.sim.add_bot_to_group(group, secretary, None).unwrap();
    app.sim.send_text(group, secretary, &format!("/start@{}", app.sim.bot_username())).unwrap();
    let got = app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    assert!(
        got[0].text().unwrap().starts_with("Xin chào các đồng chí trong nhóm «Chi bộ bản Cốc Lùng»!"),
        "{:?}",
        got[0].text()
    );
}

#[tokio::test]
async fn lang_switches_a_chat_to_english_and_the_choice_survives_a_restart() {
    let mut app = TestApp::spawn().await;
    let an = app.user("An");
    app.import(REGISTRY).await;
    app.bind("NR-001", an).await;
    app.sim.send_text(an, an, "/lang en").unwrap();
    let got = app.sim.wait_for_bot_messages(an, 1, WAIT).await;
    assert_eq!(got[0].text(), Some("Switched to English."));

    app.stop().await;
    app.start().await;
    app.sim.send_text(an, an, "/help").unwrap();
    let got = app.sim.wait_for_bot_messages(an, 2, WAIT).await;
    assert!(got[1].text().unwrap().starts_with("Loa: how to use it"), "{:?}", got[1].text());

    app.sim.send_text(an, an, "/lang fr").unwrap();
    let got = app.sim.wait_for_bot_messages(an, 3, WAIT).await;
    assert!(got[2].text().unwrap().starts_with("There is no language «fr»"), "{:?}", got[2].text());

    app.sim.send_text(an, an, "/lang vi").unwrap();
    let got = app.sim.wait_for_bot_messages(an, 4, WAIT).await;
    assert_eq!(got[3].text(), Some("Đã chuyển sang Tiếng Việt."));
}

#[tokio::test]
async fn commands_are_registered_in_vietnamese_and_english() {
    let app = TestApp::spawn().await;
    let ok = app.sim.wait_until(WAIT, |s| !s.commands(json!({"type": "default"}), "en").is_empty()).await;
    assert!(ok, "no English menu registered");
    let vi = app.sim.commands(json!({"type": "default"}), "");
    let names: Vec<&str> = vi.iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(names, ["start", "help", "lang", "whoami", "report", "packs", "cancel", "tinhhinh"]);
    assert_eq!(vi[1]["description"], "Hướng dẫn sử dụng");
    let en = app.sim.commands(json!({"type": "default"}), "en");
    assert_eq!(en[1]["description"], "How to use Loa");
}

#[tokio::test]
async fn an_unknown_command_or_text_in_a_private_chat_points_to_help() {
    let app = TestApp::spawn().await;
    let u = app.user("Minh");
    app.import(REGISTRY).await;
    app.bind("NR-001", u).await;
    app.sim.send_text(u, u, "/bogus").unwrap();
    app.sim.send_text(u, u, "chào Loa").unwrap();
    let got = app.sim.wait_for_bot_messages(u, 2, WAIT).await;
    assert_eq!(got[0].text(), Some("Lệnh «/bogus» không có. Gõ /help để xem các lệnh."));
    assert_eq!(got[1].text(), Some("Loa chưa hiểu tin nhắn này. Gõ /help để xem các lệnh."));
}

#[tokio::test]
async fn group_chatter_is_left_alone() {
    let app = TestApp::spawn().await;
    let u = app.user("Tú");
    let group = app.group("Chi bộ 3", u);
    // privacy mode: plain text never reaches the bot; an unknown command not addressed to Loa
    // may be another bot's and gets no answer
    app.sim.send_text(group, u, "họp lúc 8 giờ nhé").unwrap();
    app.sim.send_text(group, u, "/weather").unwrap();
    app.sim.send_text(group, u, "/help").unwrap();
    let got = app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sim.bot_messages(group).len(), 1, "only /help is answered: {got:?}");
}

#[tokio::test]
async fn a_strangers_chat_is_answered_once_a_minute_and_a_cells_chat_and_staff_every_time() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let (stranger, secretary) = (app.user("Lạ"), app.user("Bí thư"));
    app.bind("NR-001", secretary).await;
    let group = app.group("Nhóm lạ", stranger);
    let bot = app.sim.bot_username();
    for chat in [stranger, secretary, app.admin] {
        for text in ["/help", "/whoami", "/bogus", "chào Loa"] {
            app.sim.send_text(chat, chat, text).unwrap();
        }
    }
    // in a group, another bot's command and chatter take nothing from the minute
    app.sim.send_text(group, stranger, "/weather").unwrap();
    app.sim.send_text(group, stranger, &format!("/help@{bot}")).unwrap();
    app.sim.send_text(group, stranger, &format!("/whoami@{bot}")).unwrap();
    assert_eq!(app.sim.wait_for_bot_messages(secretary, 4, WAIT).await.len(), 4);
    assert_eq!(app.sim.wait_for_bot_messages(app.admin, 4, WAIT).await.len(), 4);
    let got = app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    assert!(got[0].text().unwrap().starts_with("Loa — hướng dẫn sử dụng"), "{:?}", got[0].text());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = app.sim.bot_messages(stranger);
    assert_eq!(got.len(), 1, "a stranger's chat: the first answered, the rest dropped: {got:?}");
    assert!(got[0].text().unwrap().starts_with("Loa — hướng dẫn sử dụng"));
    assert_eq!(app.sim.bot_messages(group).len(), 1);
    // an invite code always gets through
    let code = app.invite("NR-002").await;
    app.sim.send_text(stranger, stranger, &format!("/start {code}")).unwrap();
    let got = app.sim.wait_for_bot_messages(stranger, 2, WAIT).await;
    assert!(got[1].text().unwrap().contains("Chi bộ thôn Khuổi Luông"), "{:?}", got[1].text());
}

#[tokio::test]
async fn names_with_html_characters_are_escaped() {
    let app = TestApp::spawn().await;
    let u = app.sim.create_user("<b>Ông</b> & \"Bà\"", None);
    app.sim.send_text(u, u, "/start").unwrap();
    let got = app.sim.wait_for_bot_messages(u, 1, WAIT).await;
    assert!(got[0].text().unwrap().starts_with("Xin chào <b>Ông</b> & \"Bà\"!"), "{:?}", got[0].text());
    assert!(got[0].source.as_ref().unwrap().starts_with("Xin chào &lt;b&gt;Ông&lt;/b&gt; &amp; \"Bà\"!"));
}

#[tokio::test]
async fn serve_stops_promptly_when_asked() {
    let mut app = TestApp::spawn().await;
    let took = app.stop().await;
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
}

/// A handler that fails (here the language cannot be written: its table is gone) tells the member
/// so, in a private chat and in a group, instead of leaving them waiting; the bot goes on.
#[tokio::test]
async fn a_handler_that_fails_tells_its_chat_and_the_bot_goes_on() {
    let app = TestApp::spawn().await;
    let admin = app.admin;
    let group = app.group("Ban Tuyên giáo", admin);
    sqlx::query("DROP TABLE chat_prefs").execute(&app.pool).await.unwrap();
    let failed = "Loa gặp lỗi khi xử lý yêu cầu này và đã ghi lại để kiểm tra. Vui lòng thử lại sau ít phút.";
    app.sim.send_text(admin, admin, "/lang en").unwrap();
    assert_eq!(app.nth_reply(admin, 1).await, failed);
    app.sim.send_text(group, admin, &format!("/lang@{} en", app.sim.bot_username())).unwrap();
    let got = app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    assert!(got.iter().any(|m| m.text() == Some(failed)), "{got:?}");
    // the failure is the request's, not the bot's: the next command is answered
    app.sim.send_text(admin, admin, "/help").unwrap();
    assert!(app.nth_reply(admin, 2).await.starts_with("Loa — hướng dẫn sử dụng"));
}
