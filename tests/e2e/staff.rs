//! Staff in chat: /whoami, /invite, /grant, /revoke with the role checked on every call, polite
//! refusals for everyone else, and per-scope command menus.

use serde_json::json;

use crate::harness::{REGISTRY, TestApp};

#[tokio::test]
async fn a_user_without_a_role_is_refused_every_staff_command_and_each_attempt_is_audited() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    // a member of a cell's chat: no stranger, so every command is answered
    let u = app.user("Đảng viên");
    app.bind("NR-001", u).await;
    let commands = ["/invite NR-001", "/grant 12345 admin", "/revoke 12345"];
    for (i, c) in commands.iter().enumerate() {
        app.sim.send_text(u, u, c).unwrap();
        let reply = app.nth_reply(u, i + 1).await;
        let name = c.split_whitespace().next().unwrap();
        assert_eq!(
            reply,
            format!(
                "Xin lỗi, lệnh {name} chỉ dành cho cán bộ của Ban Tuyên giáo và Dân vận Tỉnh ủy. Nếu đồng chí là cán bộ, hãy gửi mã số từ lệnh /whoami cho quản trị viên để được cấp quyền."
            )
        );
    }
    assert_eq!(app.audit_count("staff.denied", "denied").await, 3);
    assert_eq!(app.audit_count("invites.issue", "ok").await, 0);

    // typed again and again: every refusal answered and logged, a few audited
    for _ in 0..7 {
        app.sim.send_text(u, u, "/grant 12345 admin").unwrap();
    }
    assert_eq!(app.sim.wait_for_bot_messages(u, 10, crate::harness::WAIT).await.len(), 10);
    assert_eq!(app.audit_count("staff.denied", "denied").await, 5, "five audited at once, then one every 12 s");
}

#[tokio::test]
async fn an_admin_grants_a_district_officer_who_sees_the_role_but_cannot_use_admin_commands() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let officer = app.user("Cán bộ huyện");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district na rì")).unwrap();
    assert_eq!(app.nth_reply(app.admin, 1).await, format!("Đã cấp vai trò cán bộ phụ trách Na Rì cho {officer}."));
    app.sim.send_text(officer, officer, "/whoami").unwrap();
    let who = app.nth_reply(officer, 1).await;
    assert!(who.contains(&format!("Mã số Telegram của đồng chí: {officer}")), "{who}");
    assert!(who.contains("Vai trò: cán bộ phụ trách Na Rì"), "{who}");

    // an officer invites, lists and reminds the cells of their own unit, and no other's
    app.sim.send_text(officer, officer, "/invite BB-001").unwrap();
    assert_eq!(app.nth_reply(officer, 2).await, "Chi bộ «BB-001» không thuộc đơn vị của đồng chí.");
    app.sim.send_text(officer, officer, &format!("/grant {officer} admin")).unwrap();
    assert_eq!(app.nth_reply(officer, 3).await, "Xin lỗi, lệnh /grant chỉ dành cho quản trị viên.");
    app.sim.send_text(officer, officer, "/invite NR-001").unwrap();
    assert!(app.nth_reply(officer, 4).await.starts_with("Mã mời cho chi bộ «Chi bộ thôn Nà Pài»"));
    app.sim.send_text(officer, officer, "/cells").unwrap();
    let cells = app.nth_reply(officer, 5).await;
    assert!(cells.starts_with("🏘 Na Rì: 2 chi bộ · đã kết nối 0 · chưa kết nối 2"), "{cells}");
    assert!(cells.contains("⏳ NR-001") && !cells.contains("BB-001"), "{cells}");
    app.sim.send_text(officer, officer, "/cells Ba Bể").unwrap();
    assert_eq!(app.nth_reply(officer, 6).await, "Đơn vị «Ba Bể» không thuộc phạm vi của đồng chí.");
    app.sim.send_text(officer, officer, "/remind").unwrap();
    assert_eq!(app.nth_reply(officer, 7).await, "Chưa có định hướng nào đã gửi để nhắc.");
    assert_eq!(app.audit_count("invites.issue", "ok").await, 1);

    // an unknown district, a bad role and a bad id are each explained
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} district Pác Nặm")).unwrap();
    assert_eq!(
        app.nth_reply(app.admin, 2).await,
        "Không có đơn vị «Pác Nặm». Ghi mã hoặc tên đơn vị (xem loa units list), ví dụ Ba Bể, Na Rì."
    );
    // an officer of a deeper unit, named by its name; the province's committee is the board's
    let commune = app.user("Cán bộ xã");
    app.sim.send_text(app.admin, app.admin, &format!("/grant {commune} district Xã Kim Lư")).unwrap();
    assert_eq!(app.nth_reply(app.admin, 3).await, format!("Đã cấp vai trò cán bộ phụ trách Xã Kim Lư cho {commune}."));
    app.sim.send_text(app.admin, app.admin, &format!("/grant {commune} district TINH")).unwrap();
    assert_eq!(
        app.nth_reply(app.admin, 4).await,
        format!("Cán bộ phụ trách toàn tỉnh là vai trò board: /grant {commune} board.")
    );
    app.sim.send_text(app.admin, app.admin, &format!("/grant {officer} boss")).unwrap();
    assert!(app.nth_reply(app.admin, 5).await.starts_with("Vai trò «boss» không có"));
    app.sim.send_text(app.admin, app.admin, "/grant abc board").unwrap();
    assert!(app.nth_reply(app.admin, 6).await.starts_with("«abc» không phải mã số Telegram"));

    // revoked: the next command is refused at once
    app.sim.send_text(app.admin, app.admin, &format!("/revoke {officer}")).unwrap();
    assert!(app.nth_reply(app.admin, 7).await.starts_with("Đã thu hồi vai trò"));
    app.sim.send_text(officer, officer, "/whoami").unwrap();
    assert!(app.nth_reply(officer, 8).await.contains("Vai trò: không có vai trò cán bộ"));
    assert_eq!(app.audit_count("staff.grant", "ok").await, 2);
    assert_eq!(app.audit_count("staff.revoke", "ok").await, 1);
}

#[tokio::test]
async fn an_admin_issues_an_invite_in_private_and_it_binds_the_cell() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    app.sim.send_text(app.admin, app.admin, "/invite NR-002").unwrap();
    let reply = app.nth_reply(app.admin, 1).await;
    assert!(reply.starts_with("Mã mời cho chi bộ «Chi bộ thôn Khuổi Luông» (Na Rì)"), "{reply}");
    let bot = app.sim.bot_username();
    let link = reply.lines().find(|l| l.contains("?start=")).unwrap();
    let code = link.rsplit("?start=").next().unwrap().trim();
    assert!(reply.contains(&format!("https://t.me/{bot}?startgroup={code}")));
    let lan = app.user("Lan");
    app.sim.send_text(lan, lan, &format!("/start {code}")).unwrap();
    assert!(app.nth_reply(lan, 1).await.starts_with("Đã kết nối chi bộ «Chi bộ thôn Khuổi Luông»"));

    // in a group, /invite is refused: codes must not leak
    let g = app.group("Nhóm chung", app.admin);
    app.sim.send_text(g, app.admin, "/invite NR-001").unwrap();
    assert!(app.nth_reply(g, 1).await.starts_with("Lệnh /invite chỉ dùng trong cuộc trò chuyện riêng"));
    app.sim.send_text(app.admin, app.admin, "/invite XX-999").unwrap();
    assert_eq!(app.nth_reply(app.admin, 2).await, "Không có chi bộ mã «XX-999» trong danh sách.");
}

#[tokio::test]
async fn staff_see_their_role_s_commands_in_their_private_chat() {
    let mut app = TestApp::spawn().await;
    let scope = json!({"type": "chat", "chat_id": app.admin});
    // no private chat yet, so no menu can be scoped to it; /start opens it and sets the menu
    assert!(app.sim.commands(scope.clone(), "").is_empty());
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    assert!(!app.sim.commands(scope.clone(), "").is_empty(), "the bootstrap admin's menu was not registered");
    // at the next start, every known staff member's menu is registered again
    app.sim.delete_commands(scope.clone());
    app.stop().await;
    app.start().await;
    let ok = app.sim.wait_until(crate::harness::WAIT, |s| !s.commands(scope.clone(), "").is_empty()).await;
    assert!(ok, "the menu was not registered at start");
    let names: Vec<String> =
        app.sim.commands(scope.clone(), "").iter().map(|c| c["command"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        names,
        [
            "start", "help", "lang", "whoami", "report", "packs", "cancel", "tinhhinh", "newpack", "pause", "resume",
            "hoidap", "stats", "pending", "export", "chart", "inbox", "hoi", "tep", "web", "cells", "invite", "remind",
            "grant", "revoke"
        ]
    );
    assert_eq!(app.sim.commands(scope.clone(), "en")[8]["description"], "Compose a new pack");
    assert_eq!(app.sim.commands(scope, "en")[21]["description"], "Issue an invite code for a cell");

    // a board member gets the board menu as soon as the grant is made, an admin the admin menu
    let board = app.user("Cán bộ Ban");
    app.sim.send_text(board, board, "/start").unwrap();
    app.nth_reply(board, 1).await;
    app.sim.send_text(app.admin, app.admin, &format!("/grant {board} board")).unwrap();
    app.nth_reply(app.admin, 2).await;
    let scope = json!({"type": "chat", "chat_id": board});
    assert_eq!(app.sim.commands(scope.clone(), "").len(), 23);
    app.sim.send_text(app.admin, app.admin, &format!("/grant {board} admin")).unwrap();
    app.nth_reply(app.admin, 3).await;
    assert_eq!(app.sim.commands(scope.clone(), "").len(), 25);
    app.sim.send_text(app.admin, app.admin, &format!("/revoke {board}")).unwrap();
    app.nth_reply(app.admin, 4).await;
    assert!(app.sim.commands(scope, "").is_empty(), "the menu goes with the role");
}
