//! What cells answer, through the simulator: acknowledgements in private and group chats (double
//! presses, two members at once, forged buttons, late), the report dialogue (good and bad
//! answers, two members at once, a correction, a restart in the middle), `/report` with a choice,
//! and a cell's `/packs` with its documents sent again.

use std::time::Duration;

use loa::packs::store::{self};
use loa::sim::SimMessage;

use crate::harness::{REGISTRY, TestApp, WAIT};

fn fast(config: &mut loa::config::Config) {
    config.delivery.paid_broadcast = true;
    config.delivery.messages_per_second = 100;
}

/// The cells: NR-001 bound to a private chat, BB-001 to a group of two members.
struct Province {
    secretary: i64,
    group: i64,
    member_a: i64,
    member_b: i64,
}

async fn province(app: &TestApp) -> Province {
    app.import(REGISTRY).await;
    let secretary = app.sim.create_user("Nguyễn Văn An", None);
    app.sim.open_private_chat(secretary);
    let member_a = app.sim.create_user("Hoàng Thị Bích", None);
    let member_b = app.sim.create_user("Triệu Văn Cường", None);
    let group = app.group("Chi bộ bản Cốc Lùng", member_a);
    for (code, chat, kind) in [("NR-001", secretary, "private"), ("BB-001", group, "group")] {
        sqlx::query("UPDATE cells SET chat_id = $1, chat_type = $2, status = 'active' WHERE code = $3")
            .bind(chat)
            .bind(kind)
            .bind(code)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    Province { secretary, group, member_a, member_b }
}

/// Sends a pack (one document, a report asked) now and waits until every cell has it.
async fn sent_pack(app: &TestApp, title: &str, period: &str) -> i64 {
    let document = format!("%PDF-1.4 {title}");
    let id = app.schedule_pack_with_document(title, period, "Báo cáo kết quả quán triệt", document.as_bytes()).await;
    crate::harness::wait_for("the pack to be sent", Duration::from_secs(30), async || {
        let status = store::get(&app.pool, id).await.unwrap().unwrap().status;
        (status == loa::lifecycle::PackStatus::Sent).then_some(())
    })
    .await;
    id
}

/// The pack's message (the one with the buttons) in a chat.
fn pack_message(app: &TestApp, chat: i64, title: &str) -> SimMessage {
    app.sim
        .bot_messages(chat)
        .into_iter()
        .find(|m| m.text().is_some_and(|t| t.starts_with(title)))
        .expect("the pack's message")
}

fn data_of(m: &SimMessage, label_start: &str) -> String {
    let rows = m.json.pointer("/reply_markup/inline_keyboard").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .find(|b| b["text"].as_str().is_some_and(|t| t.starts_with(label_start)))
        .and_then(|b| b["callback_data"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("no button {label_start} in {:?}", m.json))
}

async fn answer_to(app: &TestApp, query: &str) -> loa::sim::CallbackAnswer {
    let ok = app.sim.wait_until(WAIT, |s| s.callback_answers().iter().any(|a| a.callback_query_id == query)).await;
    assert!(ok, "the button press {query} was never answered");
    app.sim.callback_answers().into_iter().find(|a| a.callback_query_id == query).unwrap()
}

async fn acks(app: &TestApp) -> Vec<(String, i64, String, bool, String)> {
    let rows: Vec<(String, i64, String, loa::db::Flag, String)> = sqlx::query_as(
        "SELECT c.code, a.user_id, a.user_name, a.late, a.via FROM acks a JOIN cells c ON c.id = a.cell_id ORDER BY c.code",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(code, user, name, late, via)| (code, user, name, late.0, via)).collect()
}

async fn wait_for<T>(f: impl AsyncFnMut() -> Option<T>) -> T {
    crate::harness::wait_for("the bot's answer", WAIT, f).await
}

#[tokio::test]
async fn an_ack_is_recorded_once_shown_on_the_buttons_and_a_second_press_changes_nothing() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;

    // private chat
    let msg = pack_message(&app, p.secretary, "Định hướng quý IV");
    let ack = data_of(&msg, "✅");
    assert!(ack.len() <= 64);
    let q = app.sim.press_button(p.secretary, p.secretary, msg.message_id, &ack).unwrap();
    let a = answer_to(&app, &q).await;
    assert_eq!(a.text.as_deref(), Some("Đã ghi nhận. Cảm ơn đồng chí!"));
    assert_eq!(acks(&app).await, [("NR-001".into(), p.secretary, "Nguyễn Văn An".into(), false, "button".into())]);
    let edited = wait_for(async || {
        let m = pack_message(&app, p.secretary, "Định hướng quý IV");
        m.button_texts()[0].starts_with("✅ Nguyễn Văn An đã nhận lúc ").then_some(m)
    })
    .await;
    assert_eq!(edited.button_texts()[1], "📝 Báo cáo", "the report button stays");
    // the time shown is local: "HH:MM dd/mm/yyyy"
    let shown = edited.button_texts()[0].trim_start_matches("✅ Nguyễn Văn An đã nhận lúc ").to_string();
    assert!(chrono::NaiveDateTime::parse_from_str(&shown, "%H:%M %d/%m/%Y").is_ok(), "{shown}");

    // pressing the acknowledged button again
    let again = data_of(&edited, "✅");
    let q = app.sim.press_button(p.secretary, p.secretary, edited.message_id, &again).unwrap();
    let a = answer_to(&app, &q).await;
    assert!(a.text.as_deref().unwrap().starts_with("Chi bộ đã xác nhận trước đó: Nguyễn Văn An, lúc "), "{a:?}");
    assert_eq!(acks(&app).await.len(), 1);

    // a group: two members press at once; one acknowledgement, the other told it exists
    let msg = pack_message(&app, p.group, "Định hướng quý IV");
    let data = data_of(&msg, "✅");
    let qa = app.sim.press_button(p.group, p.member_a, msg.message_id, &data).unwrap();
    let qb = app.sim.press_button(p.group, p.member_b, msg.message_id, &data).unwrap();
    let (a, b) = (answer_to(&app, &qa).await, answer_to(&app, &qb).await);
    let texts = [a.text.unwrap_or_default(), b.text.unwrap_or_default()];
    assert_eq!(texts.iter().filter(|t| t.starts_with("Đã ghi nhận")).count(), 1, "{texts:?}");
    assert_eq!(texts.iter().filter(|t| t.starts_with("Chi bộ đã xác nhận trước đó")).count(), 1, "{texts:?}");
    let all = acks(&app).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].0, "BB-001");
    assert!([p.member_a, p.member_b].contains(&all[0].1));
}

#[tokio::test]
async fn forged_and_foreign_buttons_are_refused_and_logged() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    let mine = pack_message(&app, p.secretary, "Định hướng quý IV");
    let theirs = pack_message(&app, p.group, "Định hướng quý IV");
    let foreign = data_of(&theirs, "✅");
    for data in [foreign.as_str(), "a:999999", "a:-1", "x:1", "a:1; DROP TABLE acks"] {
        let q = app.sim.forge_callback(p.secretary, p.secretary, mine.message_id, data).unwrap();
        let a = answer_to(&app, &q).await;
        assert!(a.show_alert, "{data}");
        assert_eq!(
            a.text.as_deref(),
            Some("Nút này không thuộc về định hướng nào đã gửi tới cuộc trò chuyện này, nên Loa không ghi nhận.")
        );
    }
    assert!(acks(&app).await.is_empty(), "no forged button acknowledged anything");
    // the refusal is answered first, then written to the audit log
    wait_for(async || (app.audit_count("callback.refused", "refused").await == 5).then_some(())).await;
}

#[tokio::test]
async fn an_ack_after_the_deadline_is_recorded_as_late() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    let pack = sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    sqlx::query("UPDATE packs SET deadline = '2023-10-15' WHERE id = $1").bind(pack).execute(&app.pool).await.unwrap();
    let msg = pack_message(&app, p.secretary, "Định hướng quý IV");
    let q = app.sim.press_button(p.secretary, p.secretary, msg.message_id, &data_of(&msg, "✅")).unwrap();
    assert_eq!(answer_to(&app, &q).await.text.as_deref(), Some("Đã ghi nhận (sau hạn). Cảm ơn đồng chí!"));
    assert!(acks(&app).await[0].3, "late");

    // a cell that reported may not change its report once the deadline has passed
    sqlx::query(
        "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body, at)
         SELECT $1, cell_id, id, 1, 'An', '2023-10-05', 9, 'x', 1 FROM deliveries WHERE chat_id = $2",
    )
    .bind(pack)
    .bind(p.secretary)
    .execute(&app.pool)
    .await
    .unwrap();
    let before = app.sim.bot_messages(p.secretary).len();
    app.sim.press_button(p.secretary, p.secretary, msg.message_id, &data_of(&msg, "📝")).unwrap();
    let got = app.sim.wait_for_bot_messages(p.secretary, before + 1, WAIT).await;
    assert_eq!(
        got[before].text(),
        Some("Đã quá hạn của «Định hướng quý IV» (Quý IV/2023): báo cáo đã gửi không sửa được nữa.")
    );
}

/// The bot's question `number` to `user` in a chat (a ForceReply), asked after the user's last
/// message there. A group gets one message a second and twenty a minute, and two members' dialogues share
/// them: a question may wait behind several.
async fn question(app: &TestApp, chat: i64, user: i64, number: &str) -> SimMessage {
    let mention = format!("tg://user?id={user}");
    crate::harness::wait_for("the bot's answer", Duration::from_secs(30), async || {
        let all = app.sim.messages(chat);
        let after = all.iter().rposition(|m| !m.from_bot && m.json["from"]["id"] == user).map(|i| i + 1).unwrap_or(0);
        all.into_iter().skip(after).rev().find(|m| {
            m.from_bot
                && m.source.as_deref().is_some_and(|s| s.contains(&mention) && s.contains(number))
                && m.json.pointer("/reply_markup/force_reply").is_some()
        })
    })
    .await
}

/// Answers the question numbered `number` ("1/4"...) by replying to it; waits for the next bot
/// message and returns its text.
async fn reply(app: &TestApp, chat: i64, user: i64, number: &str, text: &str) -> String {
    let q = question(app, chat, user, number).await;
    let before = app.sim.bot_messages(chat).len();
    app.sim.reply(chat, user, q.message_id, text).unwrap();
    let got = app.sim.wait_for_bot_messages(chat, before + 1, Duration::from_secs(30)).await;
    got[before].text().unwrap_or_default().to_string()
}

/// Gives a wrong answer to question `number`: returns what Loa says about it, once it has asked
/// the question again.
async fn wrong(app: &TestApp, chat: i64, user: i64, number: &str, text: &str) -> String {
    let q = question(app, chat, user, number).await;
    let before = app.sim.bot_messages(chat).len();
    app.sim.reply(chat, user, q.message_id, text).unwrap();
    let got = app.sim.wait_for_bot_messages(chat, before + 2, WAIT).await;
    assert!(
        got[before + 1].source.as_deref().is_some_and(|s| s.contains(number)),
        "asked again: {:?}",
        got.get(before + 1)
    );
    got[before].text().unwrap_or_default().to_string()
}

type ReportRow<F> = (String, i64, String, i64, String, Option<String>, F);

async fn reports(app: &TestApp) -> Vec<ReportRow<bool>> {
    let rows: Vec<ReportRow<loa::db::Flag>> = sqlx::query_as(
        "SELECT c.code, r.user_id, r.meeting_date, r.attendance, r.body, r.attachment_kind, r.superseded_by IS NOT NULL
         FROM reports r JOIN cells c ON c.id = r.cell_id ORDER BY r.id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    rows.into_iter().map(|(c, u, d, n, b, k, old)| (c, u, d, n, b, k, old.0)).collect()
}

fn yesterday() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).date_naive() - chrono::Duration::days(1)
}

#[tokio::test]
async fn the_report_dialogue_checks_each_answer_stores_the_report_and_takes_a_correction() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    let chat = p.secretary;
    let msg = pack_message(&app, chat, "Định hướng quý IV");
    app.sim.press_button(chat, chat, msg.message_id, &data_of(&msg, "📝")).unwrap();
    let q = question(&app, chat, chat, "1/4").await;
    assert!(q.text().unwrap().contains("câu 1/4"), "{:?}", q.text());

    let said = wrong(&app, chat, chat, "1/4", "31/02/2023").await;
    assert_eq!(said, "Ngày này không có trên lịch. Đồng chí kiểm tra lại ngày và tháng.");
    let said = wrong(&app, chat, chat, "1/4", "01/01/2999").await;
    assert_eq!(said, "Ngày này chưa tới. Đồng chí ghi ngày chi bộ đã sinh hoạt.");
    let said = wrong(&app, chat, chat, "1/4", "hôm qua").await;
    assert!(said.starts_with("Loa chưa đọc được ngày này"), "{said}");
    let day = yesterday();
    let next = reply(&app, chat, chat, "1/4", &day.format("%d/%m/%Y").to_string()).await;
    assert!(next.contains("câu 2/4"), "{next}");
    let said = wrong(&app, chat, chat, "2/4", "mười tám").await;
    assert_eq!(said, "Số đảng viên dự cần là một số, ví dụ 18.");
    let said = wrong(&app, chat, chat, "2/4", "5000").await;
    assert_eq!(said, "Số đảng viên dự cần từ 1 đến 1000.");
    reply(&app, chat, chat, "2/4", "18").await;
    let said = wrong(&app, chat, chat, "3/4", &"a".repeat(1001)).await;
    assert_eq!(said, "Nội dung dài 1001 ký tự, quá 1000 ký tự cho phép. Đồng chí rút gọn rồi gửi lại.");
    reply(&app, chat, chat, "3/4", "Đã quán triệt <đầy đủ>; bà con đồng tình.").await;
    let said = wrong(&app, chat, chat, "4/4", "có lẽ").await;
    assert!(said.contains("câu này cần một ảnh hoặc một tệp"), "{said}");
    let done = reply(&app, chat, chat, "4/4", "Không").await;
    assert!(done.starts_with("✅ Đã ghi nhận báo cáo về «Định hướng quý IV» (Quý IV/2023):"), "{done}");
    assert!(done.contains("• Số đảng viên dự: 18"), "{done}");
    assert!(done.contains("• Nội dung: Đã quán triệt <đầy đủ>; bà con đồng tình."), "escaped and shown: {done}");
    assert_eq!(
        reports(&app).await,
        [("NR-001".into(), chat, day.to_string(), 18, "Đã quán triệt <đầy đủ>; bà con đồng tình.".into(), None, false)]
    );
    // the report counted as the acknowledgement, and the buttons say so
    assert_eq!(acks(&app).await[0].4, "report");
    wait_for(async || {
        pack_message(&app, chat, "Định hướng quý IV").button_texts()[0]
            .starts_with("✅ Nguyễn Văn An đã nhận")
            .then_some(())
    })
    .await;

    // a correction before the deadline: the latest counts, the first is kept
    app.sim.send_text(chat, chat, "/report").unwrap();
    let intro = wait_for(async || {
        app.sim
            .bot_messages(chat)
            .into_iter()
            .rev()
            .find_map(|m| m.text().filter(|t| t.contains("báo cáo mới sẽ thay báo cáo đó")).map(String::from))
    })
    .await;
    assert!(intro.contains("Chi bộ đã gửi báo cáo lúc"), "{intro}");
    let q = question(&app, chat, chat, "1/4").await;
    let before = app.sim.bot_messages(chat).len();
    app.sim.reply(chat, chat, q.message_id, &day.format("%d/%m/%Y").to_string()).unwrap();
    app.sim.wait_for_bot_messages(chat, before + 1, WAIT).await;
    reply(&app, chat, chat, "2/4", "20").await;
    reply(&app, chat, chat, "3/4", "Bổ sung: thêm 2 đảng viên dự.").await;
    // a photo as the attachment
    let q = question(&app, chat, chat, "4/4").await;
    let before = app.sim.bot_messages(chat).len();
    app.sim.send_photo(chat, chat, b"\x89PNG photo".to_vec(), None, Some(q.message_id)).unwrap();
    let got = app.sim.wait_for_bot_messages(chat, before + 1, WAIT).await;
    assert!(
        got[before].text().unwrap().starts_with("✅ Đã ghi nhận báo cáo sửa đổi"),
        "{:#?}",
        app.sim
            .messages(chat)
            .iter()
            .map(|m| (m.from_bot, m.text().map(String::from), m.method.clone()))
            .collect::<Vec<_>>()
    );
    let all = reports(&app).await;
    assert_eq!(all.len(), 2);
    assert!(all[0].6, "the first report points at its correction");
    assert_eq!((all[1].3, all[1].5.as_deref(), all[1].6), (20, Some("photo"), false));
    // the photo itself is kept in Loa's store by content, and the export names it and where it is
    let (name, sha256, path): (String, String, String) = sqlx::query_as(
        "SELECT attachment_name, attachment_sha256, attachment_path FROM reports WHERE superseded_by IS NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"\x89PNG photo", "{name} at {path}");
    assert!(path.ends_with(&sha256));
    let pack: i64 = sqlx::query_scalar("SELECT id FROM packs").fetch_one(&app.pool).await.unwrap();
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let xlsx = loa::export::xlsx_bytes(&app.pool, &config, pack, loa::stats::View::PROVINCE).await.unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let rows: Vec<Vec<String>> =
        wb.worksheet_range("Reports").unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let current = rows.iter().find(|r| r[10] == "có").unwrap();
    assert_eq!(
        (current[8].as_str(), current[11].as_str()),
        (format!("ảnh: {name}").as_str(), format!("files/{sha256}").as_str())
    );
    // staff ask for it by the report's number in the workbook and get the photo back
    let number = current[12].clone();
    let first = rows.iter().find(|r| r[10] != "có" && r[0] != "Mã chi bộ").unwrap()[12].clone();
    let admin = app.admin;
    let before = app.sim.bot_messages(admin).len();
    app.sim.send_text(admin, admin, &format!("/tep {number}")).unwrap();
    let got = app.sim.wait_for_bot_messages(admin, before + 1, WAIT).await;
    let photo = got[before].json["photo"].as_array().and_then(|p| p.last()).expect("the photo").clone();
    assert_eq!(app.sim.file_bytes(photo["file_id"].as_str().unwrap()).unwrap(), b"\x89PNG photo");
    app.sim.send_text(admin, admin, &format!("/tep {first}")).unwrap();
    let got = app.sim.wait_for_bot_messages(admin, before + 2, WAIT).await;
    assert!(got[before + 1].text().unwrap().ends_with("không kèm tệp."), "{:?}", got[before + 1].text());
    app.sim.send_text(admin, admin, "/tep 99").unwrap();
    let got = app.sim.wait_for_bot_messages(admin, before + 3, WAIT).await;
    assert_eq!(got[before + 2].text(), Some("Không có báo cáo số 99 trong phạm vi của đồng chí."));
}

#[tokio::test]
async fn two_members_reporting_at_once_in_a_group_do_not_tangle_and_a_restart_loses_nothing() {
    let mut app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    let g = p.group;
    let msg = pack_message(&app, g, "Định hướng quý IV");
    let report = data_of(&msg, "📝");
    app.sim.press_button(g, p.member_a, msg.message_id, &report).unwrap();
    app.sim.press_button(g, p.member_b, msg.message_id, &report).unwrap();
    let day = yesterday().format("%d/%m/%Y").to_string();
    // interleaved answers, each a reply to that member's own question
    reply(&app, g, p.member_a, "1/4", &day).await;
    reply(&app, g, p.member_b, "1/4", &day).await;
    reply(&app, g, p.member_b, "2/4", "7").await;
    reply(&app, g, p.member_a, "2/4", "12").await;

    // Loa restarts in the middle of both dialogues
    app.stop().await;
    app.start().await;

    reply(&app, g, p.member_a, "3/4", "Báo cáo của đồng chí Bích").await;
    reply(&app, g, p.member_b, "3/4", "Báo cáo của đồng chí Cường").await;
    reply(&app, g, p.member_b, "4/4", "không").await;
    reply(&app, g, p.member_a, "4/4", "Không").await;
    let all = reports(&app).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let b = all.iter().find(|r| r.1 == p.member_b).unwrap();
    let a = all.iter().find(|r| r.1 == p.member_a).unwrap();
    assert_eq!((b.3, b.4.as_str()), (7, "Báo cáo của đồng chí Cường"));
    assert_eq!((a.3, a.4.as_str()), (12, "Báo cáo của đồng chí Bích"));
    assert!(b.6 && !a.6, "the later report (Bích's) is the cell's current one");
    let dialogues: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogues").fetch_one(&app.pool).await.unwrap();
    assert_eq!(dialogues, 0);
}

#[tokio::test]
async fn report_offers_a_choice_of_open_packs_and_cells_list_theirs_and_get_documents_again() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng tháng 10", "2023-Q3").await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    let chat = p.secretary;

    app.sim.send_text(chat, chat, "/report").unwrap();
    let choice = wait_for(async || {
        app.sim
            .bot_messages(chat)
            .into_iter()
            .rev()
            .find(|m| m.text().is_some_and(|t| t.starts_with("Chi bộ có nhiều")))
    })
    .await;
    let labels = choice.button_texts();
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(labels[0].contains("Quý IV/2023") && labels[1].contains("Quý III/2023"), "newest first: {labels:?}");
    app.sim.press_button(chat, chat, choice.message_id, &data_of(&choice, &labels[1])).unwrap();
    let q = question(&app, chat, chat, "1/4").await;
    assert!(q.text().is_some());
    let intro = app
        .sim
        .bot_messages(chat)
        .into_iter()
        .rev()
        .find(|m| m.text().is_some_and(|t| t.contains("báo cáo về")))
        .unwrap();
    assert!(intro.text().unwrap().contains("«Định hướng tháng 10» (Quý III/2023)"), "{:?}", intro.text());
    app.sim.send_text(chat, chat, "/cancel").unwrap();
    wait_for(async || {
        app.sim.bot_messages(chat).last().and_then(|m| m.text().filter(|t| t.starts_with("Đã bỏ báo cáo")).map(|_| ()))
    })
    .await;

    // /report outside a cell's chat (a stranger's first message in the minute)
    let stranger = app.user("Người lạ");
    app.sim.send_text(stranger, stranger, "/report").unwrap();
    assert_eq!(app.nth_reply(stranger, 1).await, "Lệnh này dùng trong cuộc trò chuyện của chi bộ đã kết nối với Loa.");

    // the cell's /packs, and a pack's documents sent again
    let before = app.sim.bot_messages(chat).len();
    app.sim.send_text(chat, chat, "/packs").unwrap();
    let got = app.sim.wait_for_bot_messages(chat, before + 1, WAIT).await;
    let list = got[before].clone();
    let text = list.text().unwrap();
    assert!(text.starts_with("Định hướng gần đây của chi bộ"), "{text}");
    assert!(text.find("Quý IV/2023").unwrap() < text.find("Quý III/2023").unwrap(), "{text}");
    assert!(text.contains("⏳ chưa xác nhận · 📝 chưa báo cáo"), "{text}");
    let resend = data_of(&list, "📎 Gửi lại tư liệu: Quý IV/2023");
    let q = app.sim.press_button(chat, chat, list.message_id, &resend).unwrap();
    assert_eq!(answer_to(&app, &q).await.text.as_deref(), Some("Loa đang gửi lại tư liệu."));
    let got = app.sim.wait_for_bot_messages(chat, before + 3, WAIT).await;
    assert_eq!(got[before + 1].document_name(), Some("ke-hoach.pdf"));
    assert_eq!(
        got[before + 2].text(),
        Some("📎 Tư liệu của «Định hướng quý IV» (Quý IV/2023) được gửi lại theo yêu cầu của chi bộ.")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.sim.bot_messages(chat).len(), before + 3, "sent again once");
}

#[tokio::test]
async fn a_group_that_became_a_supergroup_still_acknowledges_its_pack() {
    let app = TestApp::spawn_with(fast).await;
    let p = province(&app).await;
    sent_pack(&app, "Định hướng quý IV", "2023-Q4").await;
    let data = data_of(&pack_message(&app, p.group, "Định hướng quý IV"), "✅");
    let supergroup = app.sim.migrate_group(p.group, p.member_a).unwrap();
    let cell = app.wait_cell("BB-001", |c| c.chat_id == Some(supergroup)).await;
    assert_eq!(cell.chat_id, Some(supergroup));
    // a button pressed in the supergroup (on a message there, such as a reminder) answers the pack
    let there = app.sim.send_text(supergroup, p.member_b, "/packs").unwrap();
    let q = app.sim.forge_callback(supergroup, p.member_b, there, &data).unwrap();
    assert_eq!(answer_to(&app, &q).await.text.as_deref(), Some("Đã ghi nhận. Cảm ơn đồng chí!"));
    assert_eq!(acks(&app).await[0].1, p.member_b);
    // while the other cell's chat still may not
    let q = app.sim.forge_callback(
        p.secretary,
        p.secretary,
        pack_message(&app, p.secretary, "Định hướng").message_id,
        &data,
    );
    assert!(answer_to(&app, &q.unwrap()).await.show_alert);
}
