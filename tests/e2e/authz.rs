//! Who may act for whom: a chat that no longer holds its cell, every staff command for every role
//! in a private chat and in a group, Telegram's service accounts, messages sent on behalf of a chat.

use std::time::Duration;

use crate::harness::{TestApp, WAIT};

/// Six cells in two districts.
const CELLS: &str = "code,name,district
NR-001,Chi bộ thôn Nà Pài,Na Rì
NR-002,Chi bộ thôn Khuổi Luông,Na Rì
NR-003,Chi bộ thôn Pàn Xả,Na Rì
BB-001,Chi bộ bản Cốc Lùng,Ba Bể
BB-002,Chi bộ tiểu khu 2,Ba Bể
BB-003,Chi bộ bản Pác Ngòi,Ba Bể
";

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_chat_that_no_longer_holds_its_cell_cannot_press_report_or_have_documents_resent() {
    let app = TestApp::spawn().await;
    app.import(CELLS).await;
    let old = app.user("Bí thư cũ");
    app.bind("NR-001", old).await;
    app.send_report_pack("Định hướng khẩn").await;
    let got = app.sim.wait_for_bot_messages(old, 1, WAIT).await;
    let pack_msg = got.into_iter().find(|m| m.reply_markup().is_some()).expect("the pack with its buttons");
    let delivery: i64 = sqlx::query_scalar("SELECT id FROM deliveries").fetch_one(&app.pool).await.unwrap();
    // the old secretary begins a report, then the cell moves to a new secretary's chat
    app.sim.press_button(old, old, pack_msg.message_id, &format!("r:{delivery}")).unwrap();
    let question = loa::demo::question(&app.sim, old, old, "1/4").await.unwrap();
    let new = app.user("Bí thư mới");
    app.bind("NR-001", new).await;
    let before = app.sim.bot_messages(old).len();

    // from the old chat: ✅, the report's next answer, and the documents again
    app.sim.press_button(old, old, pack_msg.message_id, &format!("a:{delivery}")).unwrap();
    app.sim.forge_callback(old, old, pack_msg.message_id, &format!("d:{delivery}")).unwrap();
    app.sim.reply(old, old, question, "01/12/2026").unwrap();
    let got = app.sim.wait_for_bot_messages(old, before + 1, WAIT).await;
    assert_eq!(
        got.last().unwrap().text(),
        Some("Định hướng của báo cáo này không còn nhận báo cáo. Đã bỏ báo cáo đang viết."),
        "the dialogue ends"
    );
    let refused = app.sim.wait_until(WAIT, |s| s.callback_answers().iter().filter(|a| a.show_alert).count() >= 2).await;
    assert!(refused, "both presses answered with a refusal: {:?}", app.sim.callback_answers());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&app, "SELECT count(*) FROM acks").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM reports").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM broadcasts WHERE kind = 'resend'").await, 0);
    assert_eq!(app.audit_count("callback.refused", "refused").await, 2);
    assert_eq!(app.audit_count("report.refused", "refused").await, 1);
}

#[tokio::test]
async fn a_group_that_becomes_a_supergroup_takes_its_deliveries_along() {
    let app = TestApp::spawn().await;
    app.import(CELLS).await;
    let secretary = app.user("Bí thư");
    let group = app.group("Chi bộ Nà Pài", secretary);
    app.bind("NR-001", group).await;
    app.send_plain_pack("Định hướng").await;
    app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 1, WAIT).await;
    let supergroup = app.sim.migrate_group(group, secretary).unwrap();
    let cell = app.wait_cell("NR-001", |c| c.chat_id == Some(supergroup)).await;
    assert_eq!(cell.chat_id, Some(supergroup));
    let chats: Vec<i64> = sqlx::query_scalar("SELECT chat_id FROM deliveries").fetch_all(&app.pool).await.unwrap();
    assert_eq!(chats, [supergroup], "the buttons are the supergroup's now");
}

/// How a staff command was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Refused: the role does not allow it.
    Denied,
    /// Not in a group: the member is sent to their private chat.
    PrivateOnly,
    /// Carried out (whatever it said).
    Done,
}

fn answer_of(text: &str) -> Answer {
    if text.starts_with("Xin lỗi, lệnh") {
        Answer::Denied
    } else if text.contains("chỉ dùng trong cuộc trò chuyện riêng") {
        Answer::PrivateOnly
    } else {
        Answer::Done
    }
}

/// The bot's messages in `chat` but reminders (a board member's /remind reaches the cells' chats).
fn answers_in(app: &TestApp, chat: i64) -> Vec<String> {
    let all = app.sim.bot_messages(chat).into_iter().map(|m| m.text().unwrap_or_default().to_string());
    all.filter(|t| !t.starts_with("⏰")).collect()
}

/// Sends each command in turn in `chat` as `user`; returns how each was answered.
async fn ask_all(app: &TestApp, chat: i64, user: i64, commands: &[&str]) -> Vec<(String, Answer, String)> {
    let mut out = Vec::new();
    for c in commands {
        let before = answers_in(app, chat).len();
        app.sim.send_text(chat, user, c).unwrap();
        crate::harness::wait_for(&format!("{c} in {chat} to be answered"), WAIT, async || {
            (answers_in(app, chat).len() > before).then_some(())
        })
        .await;
        let text = answers_in(app, chat)[before].clone();
        out.push((c.to_string(), answer_of(&text), text));
        // the answer is one message: let a second one show before the next command
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(answers_in(app, chat).len(), before + 1, "{c} got more than one answer");
    }
    out
}

#[tokio::test]
async fn every_staff_command_for_every_role_in_a_private_chat_and_in_a_group() {
    use Answer::{Denied, Done, PrivateOnly};
    let app = TestApp::spawn().await;
    app.import(CELLS).await;
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let member = app.user("Đảng viên");
    app.bind("NR-001", member).await;
    let other_district = app.user("Bí thư Ba Bể");
    app.bind("BB-003", other_district).await;
    let (district, board) = (app.user("Cán bộ Na Rì"), app.user("Cán bộ Ban"));
    let roles =
        [(district, loa::staff::Role::District, Some("Na Rì".to_string())), (board, loa::staff::Role::Board, None)];
    for (who, role, d) in roles {
        loa::staff::grant(&app.pool, &config.admins, who, role, d, loa::audit::Actor::Cli).await.unwrap().unwrap();
    }
    // a pack sent, so that figures have something to show
    app.send_plain_pack("Định hướng").await;
    app.sim.wait_for_bot_messages(member, 1, WAIT).await;

    let commands = [
        "/stats",
        "/pending",
        "/export",
        "/chart",
        "/pause",
        "/resume",
        "/remind",
        "/newpack",
        "/invite NR-002",
        "/grant 4242 board",
        "/revoke 4242",
    ];
    // (who, in private, in a group): the answers in the order of `commands`
    let plans: [(&str, i64, [Answer; 11], [Answer; 11]); 4] = [
        ("no role", member, [Denied; 11], [Denied; 11]),
        // an officer reminds and invites within their unit (NR-002 is Na Rì's), composes nothing
        (
            "district",
            district,
            [Done, Done, Done, Done, Denied, Denied, Done, Denied, Done, Denied, Denied],
            [
                PrivateOnly,
                PrivateOnly,
                PrivateOnly,
                PrivateOnly,
                Denied,
                Denied,
                PrivateOnly,
                Denied,
                PrivateOnly,
                Denied,
                Denied,
            ],
        ),
        ("board", board, [Done, Done, Done, Done, Done, Done, Done, Done, Done, Denied, Denied], {
            let mut a = [PrivateOnly; 11];
            a[9..].copy_from_slice(&[Denied; 2]);
            a
        }),
        ("admin", app.admin, [Done; 11], [PrivateOnly; 11]),
    ];
    // each role in a group of its own, each group a cell's (so that its members are answered)
    let groups = ["NR-002", "NR-003", "BB-001", "BB-002"];
    let runs = plans.iter().zip(groups).map(|((name, who, private, group), cell)| {
        let app = &app;
        async move {
            let g = app.group(&format!("Nhóm {name}"), *who);
            app.bind(cell, g).await;
            let in_private = ask_all(app, *who, *who, &commands).await;
            let in_group = ask_all(app, g, *who, &commands).await;
            for ((got, want), place) in in_private
                .iter()
                .zip(private)
                .map(|g| (g, "private"))
                .chain(in_group.iter().zip(group).map(|g| (g, "group")))
            {
                assert_eq!(got.1, *want, "{name}: {} in a {place} chat was answered {:?}", got.0, got.2);
            }
        }
    });
    futures::future::join_all(runs).await;
    // a member of staff's /packs: private only; in a cell's chat it is the cell's own list
    let district_packs = ask_all(&app, district, district, &["/packs"]).await;
    assert!(
        district_packs[0].2.contains("0/1 "),
        "a district officer's counts are their district's: {:?}",
        district_packs[0].2
    );
    let admin_packs = ask_all(&app, app.admin, app.admin, &["/packs"]).await;
    assert!(admin_packs[0].2.contains("0/2 "), "the board's are the province's: {:?}", admin_packs[0].2);
}

#[tokio::test]
async fn telegrams_service_accounts_get_no_role_and_a_message_on_behalf_of_a_chat_carries_none() {
    let app = TestApp::spawn().await;
    app.import(CELLS).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    for (i, id) in [1087968824i64, 777000, 136817688].into_iter().enumerate() {
        app.sim.send_text(app.admin, app.admin, &format!("/grant {id} admin")).unwrap();
        let reply = app.nth_reply(app.admin, i + 2).await;
        assert!(reply.contains("tài khoản dịch vụ của Telegram"), "{reply}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM staff").await, 0);

    // a bootstrap admin's command sent on behalf of the group (anonymous admin) is no admin's
    let group = app.group("Nhóm", app.admin);
    app.bind("NR-001", group).await;
    let payload = serde_json::json!({
        "message_id": 9001, "date": chrono::Utc::now().timestamp(),
        "chat": {"id": group, "type": "group", "title": "Nhóm"},
        "from": {"id": app.admin, "is_bot": false, "first_name": "Quản trị"},
        "sender_chat": {"id": group, "type": "group", "title": "Nhóm"},
        "text": "/invite NR-002",
        "entities": [{"type": "bot_command", "offset": 0, "length": 7}]
    });
    app.sim.push_raw_update("message", payload);
    let got = app.sim.wait_for_bot_messages(group, 1, WAIT).await;
    assert!(got[0].text().unwrap().starts_with("Xin lỗi, lệnh /invite chỉ dành cho cán bộ"), "{:?}", got[0].text());
    assert_eq!(app.audit_count("invites.issue", "ok").await, 0);
}

#[tokio::test]
async fn a_bound_chat_is_noted_as_seen_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    app.import(CELLS).await;
    let secretary = app.user("Bí thư");
    app.bind("NR-001", secretary).await;
    let seen = async || app.cell("NR-001").await.last_seen_at;
    assert_eq!(seen().await, None);
    for _ in 0..3 {
        app.sim.send_text(secretary, secretary, "/help").unwrap();
    }
    app.sim.wait_for_bot_messages(secretary, 3, WAIT).await;
    let first = seen().await.expect("noted as seen");
    // within the minute: not written again
    let recent = loa::dates::now() - 30;
    sqlx::query("UPDATE cells SET last_seen_at = $1 WHERE code = 'NR-001'")
        .bind(recent)
        .execute(&app.pool)
        .await
        .unwrap();
    app.sim.send_text(secretary, secretary, "/help").unwrap();
    app.sim.wait_for_bot_messages(secretary, 4, WAIT).await;
    assert_eq!(seen().await, Some(recent), "heard from less than a minute ago: no write");
    // a minute later it is
    let old = loa::dates::now() - 120;
    sqlx::query("UPDATE cells SET last_seen_at = $1 WHERE code = 'NR-001'").bind(old).execute(&app.pool).await.unwrap();
    app.sim.send_text(secretary, secretary, "/help").unwrap();
    app.sim.wait_for_bot_messages(secretary, 5, WAIT).await;
    assert!(seen().await.unwrap() >= first, "written again after a minute");
}
