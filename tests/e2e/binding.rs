//! Invites and binding through the chat: private chats, groups via startgroup, supergroups;
//! wrong, used, expired and revoked codes; the brute-force cut-off; rebinding; and the bot
//! following its chats (kicked, blocked, re-added, migrated).

use loa::sim::ChatKind;

use crate::harness::{REGISTRY, TestApp, WAIT};

#[tokio::test]
async fn start_with_a_code_binds_a_private_chat_to_its_cell() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let code = app.invite("NR-001").await;
    let lan = app.user("Lan");
    app.sim.send_text(lan, lan, &format!("/start {code}")).unwrap();
    let reply = app.nth_reply(lan, 1).await;
    assert!(reply.starts_with("Đã kết nối chi bộ «Chi bộ thôn Nà Pài» (Na Rì) với Loa"), "{reply}");
    let cell = app.cell("NR-001").await;
    assert_eq!(cell.status, "active");
    assert_eq!(cell.chat_id, Some(lan));
    assert_eq!(cell.chat_type.as_deref(), Some("private"));
    assert!(cell.bound_at.is_some());
    assert_eq!(app.audit_count("cells.bind", "ok").await, 1);
    // /start again says which cell the chat serves
    app.sim.send_text(lan, lan, "/start").unwrap();
    assert!(app.nth_reply(lan, 2).await.contains("đang nhận định hướng cho chi bộ «Chi bộ thôn Nà Pài» (Na Rì)"));
}

#[tokio::test]
async fn adding_the_bot_through_the_startgroup_link_binds_a_group_or_supergroup() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let secretary = app.user("Hoa");
    for (cell, kind, expect) in [("BB-001", ChatKind::Group, "group"), ("BB-002", ChatKind::Supergroup, "supergroup")] {
        let code = app.invite(cell).await;
        let group = app.sim.create_group(&format!("Nhóm {cell}"), kind);
        app.sim.add_bot_to_group(group, secretary, Some(&code)).unwrap();
        let reply = app.nth_reply(group, 1).await;
        assert!(reply.starts_with("Đã kết nối chi bộ"), "{reply}");
        let bound = app.cell(cell).await;
        assert_eq!(bound.chat_id, Some(group));
        assert_eq!(bound.chat_type.as_deref(), Some(expect));
    }
}

#[tokio::test]
async fn wrong_used_expired_and_revoked_codes_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let a = app.user("A");
    let b = app.user("B");

    app.sim.send_text(a, a, "/start NotARealCode1234567").unwrap();
    assert!(app.nth_reply(a, 1).await.starts_with("Mã mời không đúng"));

    let code = app.invite("NR-001").await;
    app.sim.send_text(a, a, &format!("/start {code}")).unwrap();
    assert!(app.nth_reply(a, 2).await.starts_with("Đã kết nối"));
    app.sim.send_text(b, b, &format!("/start {code}")).unwrap();
    assert!(app.nth_reply(b, 1).await.starts_with("Mã mời này đã được dùng"));
    assert_eq!(app.cell("NR-001").await.chat_id, Some(a), "a used code changes nothing");

    let old = app.invite("NR-002").await;
    let _new = app.invite("NR-002").await;
    app.sim.send_text(b, b, &format!("/start {old}")).unwrap();
    assert!(app.nth_reply(b, 2).await.starts_with("Mã mời này đã được thay bằng mã mới"));

    let expired = app.invite("BB-001").await;
    sqlx::query("UPDATE invites SET expires_at = 1 WHERE cell_id = (SELECT id FROM cells WHERE code = 'BB-001') AND revoked_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    app.sim.send_text(b, b, &format!("/start {expired}")).unwrap();
    assert!(app.nth_reply(b, 3).await.starts_with("Mã mời này đã hết hạn"));
    for cell in ["NR-002", "BB-001"] {
        assert_eq!(app.cell(cell).await.status, "unbound");
    }
    assert_eq!(app.audit_count("cells.bind", "refused").await, 4);
}

#[tokio::test]
async fn after_five_failed_codes_a_chat_is_ignored_for_the_hour() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let guesser = app.user("Kẻ dò mã");
    for i in 0..5 {
        app.sim.send_text(guesser, guesser, &format!("/start guessGuessGuess{i:04}")).unwrap();
        assert!(app.nth_reply(guesser, i + 1).await.starts_with("Mã mời không đúng"));
    }
    // even a right code is ignored now, without an answer
    let code = app.invite("NR-001").await;
    app.sim.send_text(guesser, guesser, &format!("/start {code}")).unwrap();
    app.sim.send_text(guesser, guesser, "/help").unwrap();
    let got = app.sim.wait_for_bot_messages(guesser, 6, crate::harness::WAIT).await;
    assert!(got[5].text().unwrap().starts_with("Loa — hướng dẫn"), "the code got no answer, /help did");
    assert_eq!(app.cell("NR-001").await.status, "unbound");
    // another chat is not affected
    let other = app.user("Lan");
    app.sim.send_text(other, other, &format!("/start {code}")).unwrap();
    assert!(app.nth_reply(other, 1).await.starts_with("Đã kết nối"));
}

#[tokio::test]
async fn moving_a_connected_cell_to_a_new_chat_waits_for_a_board_members_yes() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    let old = app.user("Bí thư cũ");
    let new = app.user("Bí thư mới");
    let code = app.invite("NR-001").await;
    app.sim.send_text(old, old, &format!("/start {code}")).unwrap();
    app.nth_reply(old, 1).await;

    // a code used in another chat does not move the cell: it asks the board
    let code = app.invite("NR-001").await;
    app.sim.send_text(new, new, &format!("/start {code}")).unwrap();
    let asked = app.nth_reply(new, 1).await;
    assert!(asked.contains("đang kết nối với một cuộc trò chuyện khác"), "{asked}");
    assert_eq!(app.cell("NR-001").await.chat_id, Some(old), "not moved yet");
    let question = app.nth_reply(app.admin, 2).await;
    assert!(question.starts_with("⇄ Mã mời của chi bộ «Chi bộ thôn Nà Pài» (Na Rì) vừa được dùng"), "{question}");
    let q = app.sim.bot_messages(app.admin).last().cloned().unwrap();
    assert_eq!(q.button_texts(), ["✅ Chuyển", "✖️ Không chuyển"]);
    let yes = q.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
    // a cell's member cannot answer for the board (a forged press from their chat)
    app.sim.forge_callback(old, old, 1, &yes).unwrap();
    let refused = app.sim.wait_until(WAIT, |s| s.callback_answers().iter().any(|a| a.show_alert)).await;
    assert!(refused);
    assert_eq!(app.cell("NR-001").await.chat_id, Some(old));
    assert_eq!(app.audit_count("staff.denied", "denied").await, 1);
    // the admin says yes
    app.sim.press_button(app.admin, app.admin, q.message_id, &yes).unwrap();
    assert!(app.nth_reply(new, 2).await.starts_with("Đã kết nối"));
    assert!(app.nth_reply(old, 2).await.contains("đã được kết nối với một cuộc trò chuyện khác"));
    assert_eq!(app.cell("NR-001").await.chat_id, Some(new));
    assert_eq!(app.audit_count("cells.move", "ok").await, 1);
    // answered once: a second press changes nothing
    app.sim.press_button(app.admin, app.admin, q.message_id, &yes).unwrap_or_default();
    assert_eq!(app.cell("NR-001").await.chat_id, Some(new));

    // another try, refused: the cell stays
    let third = app.user("Người khác");
    let code = app.invite("NR-001").await;
    app.sim.send_text(third, third, &format!("/start {code}")).unwrap();
    app.nth_reply(third, 1).await;
    app.nth_reply(app.admin, 3).await;
    let q = app.sim.bot_messages(app.admin).last().cloned().unwrap();
    let no = q.json.pointer("/reply_markup/inline_keyboard/0/1/callback_data").unwrap().as_str().unwrap().to_string();
    app.sim.press_button(app.admin, app.admin, q.message_id, &no).unwrap();
    assert!(app.nth_reply(third, 2).await.starts_with("Ban không đồng ý chuyển chi bộ «Chi bộ thôn Nà Pài»"));
    assert_eq!(app.cell("NR-001").await.chat_id, Some(new));
    assert_eq!(app.audit_count("cells.move", "refused").await, 1);

    // and a chat serves one cell: binding it to another (unbound) cell frees the first at once
    let code = app.invite("NR-002").await;
    app.sim.send_text(new, new, &format!("/start {code}")).unwrap();
    let reply = app.nth_reply(new, 3).await;
    assert!(reply.contains("trước đây nhận định hướng cho chi bộ «Chi bộ thôn Nà Pài»"), "{reply}");
    assert_eq!(app.cell("NR-001").await.status, "unbound");
    assert_eq!(app.cell("NR-002").await.chat_id, Some(new));
    assert_eq!(app.audit_count("cells.unbind", "ok").await, 2, "the old chat, then the replaced cell");
}

#[tokio::test]
async fn failed_codes_count_per_user_and_one_member_cannot_lock_a_group() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let (hostile, secretary) = (app.user("Kẻ phá"), app.user("Bí thư"));
    let group = app.group("Chi bộ bản Cốc Lùng", secretary);
    for i in 0..6 {
        app.sim.send_text(group, hostile, &format!("/start@{} guessGuessGuess{i:04}", app.sim.bot_username())).unwrap();
    }
    // five answered (a second apart: a chat takes one message a second), the sixth ignored: the
    // hostile member is throttled...
    let got = app.sim.wait_for_bot_messages(group, 5, std::time::Duration::from_secs(30)).await;
    assert_eq!(got.len(), 5);
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_eq!(app.sim.bot_messages(group).len(), 5);
    // ...in a private chat too (a new chat does not start them afresh)
    let code = app.invite("BB-001").await;
    app.sim.send_text(hostile, hostile, &format!("/start {code}")).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(app.sim.bot_messages(hostile).is_empty());
    assert_eq!(app.cell("BB-001").await.status, "unbound");
    // but the group's secretary binds it
    app.sim.send_text(group, secretary, &format!("/start@{} {code}", app.sim.bot_username())).unwrap();
    assert!(app.nth_reply(group, 6).await.starts_with("Đã kết nối"));
    assert_eq!(app.cell("BB-001").await.chat_id, Some(group));
    // old failure rows are pruned
    sqlx::query("UPDATE invite_failures SET at = at - 2 * 86400").execute(&app.pool).await.unwrap();
    let other = app.user("Lan");
    app.sim.send_text(other, other, "/start wrongWrongWrong1").unwrap();
    app.nth_reply(other, 1).await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM invite_failures").fetch_one(&app.pool).await.unwrap();
    assert_eq!(left, 1, "only the new failure is kept");
}

#[tokio::test]
async fn the_bot_follows_kicked_blocked_re_added_and_migrated_chats() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let secretary = app.user("Hoa");
    let group = app.sim.create_group("Chi bộ bản Cốc Lùng", ChatKind::Group);
    let code = app.invite("BB-001").await;
    app.sim.add_bot_to_group(group, secretary, Some(&code)).unwrap();
    app.nth_reply(group, 1).await;

    app.sim.remove_bot_from_group(group, secretary).unwrap();
    let cell = app.wait_cell("BB-001", |c| c.status == "unreachable").await;
    assert_eq!(cell.status, "unreachable");
    assert_eq!(cell.unreachable_reason.as_deref(), Some("removed from the group"));

    app.sim.add_bot_to_group(group, secretary, None).unwrap();
    assert_eq!(app.wait_cell("BB-001", |c| c.status == "active").await.status, "active");

    let new_id = app.sim.migrate_group(group, secretary).unwrap();
    let cell = app.wait_cell("BB-001", |c| c.chat_id == Some(new_id)).await;
    assert_eq!(cell.chat_id, Some(new_id));
    assert_eq!(cell.chat_type.as_deref(), Some("supergroup"));

    let lan = app.user("Lan");
    let code = app.invite("NR-001").await;
    app.sim.send_text(lan, lan, &format!("/start {code}")).unwrap();
    app.nth_reply(lan, 1).await;
    app.sim.block_bot(lan, true).unwrap();
    let cell = app.wait_cell("NR-001", |c| c.status == "unreachable").await;
    assert_eq!(cell.unreachable_reason.as_deref(), Some("blocked by the user"));
    app.sim.block_bot(lan, false).unwrap();
    assert_eq!(app.wait_cell("NR-001", |c| c.status == "active").await.status, "active");
    assert_eq!(app.audit_count("cells.unreachable", "ok").await, 2);
    assert_eq!(app.audit_count("cells.migrate", "ok").await, 1);
}

#[tokio::test]
async fn a_cell_that_joins_after_a_broadcast_gets_the_packs_still_open_counted_as_late_joined() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    let first = app.user("Bí thư Nà Pài");
    app.bind("NR-001", first).await;
    let pack = app.send_report_pack("Định hướng khẩn").await;
    app.sim.wait_for_bot_messages(first, 1, WAIT).await;
    let done = format!("SELECT count(*) FROM broadcasts WHERE pack_id = {pack} AND state = 'done'");
    crate::harness::wait_count(&app.pool, &done, 1, WAIT).await;

    // a second cell joins: it is told, and sent the pack, and its member acknowledges
    let late = app.user("Bí thư Khuổi Luông");
    let code = app.invite("NR-002").await;
    app.sim.send_text(late, late, &format!("/start {code}")).unwrap();
    let bound = app.nth_reply(late, 1).await;
    assert!(bound.contains("Loa sẽ gửi ngay 1 định hướng còn hạn"), "{bound}");
    let got = app.sim.wait_for_bot_messages(late, 2, WAIT).await;
    let message = got.iter().find(|m| m.reply_markup().is_some()).expect("the pack, with its buttons");
    assert!(message.text().unwrap().starts_with("Định hướng khẩn"));
    let data = message.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap();
    app.sim.press_button(late, late, message.message_id, data).unwrap();
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM acks", 1, WAIT).await;
    let s = loa::stats::pack(&app.pool, pack, loa::stats::View::PROVINCE).await.unwrap().unwrap();
    assert_eq!((s.total.targeted, s.total.delivered, s.total.acknowledged, s.late_joined), (2, 2, 1, 1));
    // three cells had no chat when the pack went out; NR-002 has joined since: Ba Bể's two are left
    assert_eq!(s.total.not_connected, 2, "{:?}", s.total);
    let na_ri = s.groups.iter().find(|g| g.unit.name == "Na Rì").unwrap();
    assert_eq!((na_ri.counts.not_connected, na_ri.counts.ack_rate()), (0, 0.5), "a late joiner is counted once");
    assert_eq!(s.to_json("by_unit")["late_joined"], 1);
    let broadcast: (String, i64) = sqlx::query_as("SELECT state, targeted FROM broadcasts WHERE pack_id = $1")
        .bind(pack)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(broadcast.1, 2);
    assert_eq!(app.audit_count("packs.late_join", "ok").await, 1);

    // a pack past its deadline is not offered, nor one the cell had already
    sqlx::query("UPDATE packs SET deadline = '2020-01-01' WHERE id = $1").bind(pack).execute(&app.pool).await.unwrap();
    let third = app.user("Bí thư Cốc Lùng");
    let code = app.invite("BB-001").await;
    app.sim.send_text(third, third, &format!("/start {code}")).unwrap();
    let bound = app.nth_reply(third, 1).await;
    assert!(!bound.contains("định hướng còn hạn"), "{bound}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.sim.bot_messages(third).len(), 1, "nothing sent");
    assert_eq!(app.audit_count("packs.late_join", "ok").await, 1);
}
