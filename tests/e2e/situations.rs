//! Situation reports: `/tinhhinh` in a cell's group (every question a ForceReply to the member),
//! wrong answers explained and asked again, photos and files kept by content, an urgent one sent at
//! once to the officer of the nearest unit above with officers and to the board; who may not file
//! one; `/cancel`.

use std::time::Duration;

use loa::sim::SimMessage;

use crate::harness::{TestApp, WAIT};

/// The bot's latest question to `user` in `chat` containing `words`, asked after the member's last
/// message (a ForceReply that mentions them).
async fn question(app: &TestApp, chat: i64, user: i64, words: &str) -> SimMessage {
    let mention = format!("tg://user?id={user}");
    crate::harness::wait_for(&format!("the question «{words}»"), Duration::from_secs(30), async || {
        let all = app.sim.messages(chat);
        let after = all.iter().rposition(|m| !m.from_bot && m.json["from"]["id"] == user).map(|i| i + 1).unwrap_or(0);
        all.into_iter().skip(after).rev().find(|m| {
            m.from_bot
                && m.source.as_deref().is_some_and(|s| s.contains(&mention) && s.contains(words))
                && m.json.pointer("/reply_markup/force_reply").is_some()
        })
    })
    .await
}

/// Replies `text` to the question containing `words`; returns the bot's next message.
async fn answer(app: &TestApp, chat: i64, user: i64, words: &str, text: &str) -> String {
    let q = question(app, chat, user, words).await;
    let before = app.sim.bot_messages(chat).len();
    app.sim.reply(chat, user, q.message_id, text).unwrap();
    let got = app.sim.wait_for_bot_messages(chat, before + 1, WAIT).await;
    got[before].text().unwrap_or_default().to_string()
}

async fn tree_app() -> TestApp {
    let app = TestApp::spawn().await;
    let tree = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/to-chuc.csv")).unwrap();
    app.import(&tree).await;
    app
}

/// An officer of the commune X-BV and one of the ward P-DT, each with their private chat open
/// (their menus' greeting read).
async fn officers(app: &TestApp) -> (i64, i64) {
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let commune = crate::harness::started_user(&app.sim, "Cán bộ xã Bằng Vân");
    let ward = crate::harness::started_user(&app.sim, "Cán bộ phường Đức Xuân");
    let mut conn = app.pool.acquire().await.unwrap();
    for (who, code) in [(commune, "X-BV"), (ward, "P-DT")] {
        let unit = loa::units::by_code(&mut conn, code).await.unwrap().unwrap();
        loa::staff::grant_unit(&app.pool, &config.admins, who, &unit, loa::audit::Actor::Cli).await.unwrap().unwrap();
    }
    drop(conn);
    for who in [commune, ward] {
        app.nth_reply(who, 1).await;
    }
    (commune, ward)
}

#[tokio::test]
async fn an_urgent_situation_report_from_a_group_reaches_its_officer_and_the_board_with_its_files() {
    let app = tree_app().await;
    // the group of CB-002 (under the sub-committee BP-1 of the commune X-BV); an officer of X-BV,
    // one of the ward P-DT, and the admin (the board)
    let member = app.user("Nông Văn Dũng");
    let group = app.group("Chi bộ Khuổi Luông", member);
    app.bind("CB-002", group).await;
    let (commune, ward) = officers(&app).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;

    app.sim.send_text(group, member, "/tinhhinh").unwrap();
    let q = question(&app, group, member, "chủ đề nào").await;
    let topics = q.text().unwrap();
    assert!(topics.contains("1. Kinh tế, đời sống") && topics.contains("6. Khác"), "{topics}");
    // wrong answers are explained and the question asked again
    let said = answer(&app, group, member, "chủ đề nào", "9").await;
    assert!(said.ends_with("«9» không phải chủ đề trong danh sách. Trả lời bằng số của chủ đề."), "{said}");
    answer(&app, group, member, "chủ đề nào", "2").await;
    answer(&app, group, member, "mức độ?", "3").await;
    answer(&app, group, member, "ở đâu", "Thôn Khuổi Luông, xã Bằng Vân").await;
    answer(&app, group, member, "nội dung tình hình", "Hai hộ tranh chấp đất <rẫy>, đông người tụ tập.").await;
    // a photo and a document, then «xong»
    let q = question(&app, group, member, "gửi ảnh hoặc tệp").await;
    let photo = b"\xFF\xD8\xFF photo of the field".to_vec();
    app.sim.send_photo(group, member, photo.clone(), None, Some(q.message_id)).unwrap();
    let q2 = crate::harness::wait_for("the files' question again", WAIT, async || {
        let q2 = question(&app, group, member, "gửi ảnh hoặc tệp").await;
        (q2.message_id != q.message_id).then_some(q2)
    })
    .await;
    let doc = b"%PDF-1.4 bien ban".to_vec();
    app.sim.send_document(group, member, "bien-ban.pdf", "application/pdf", doc.clone(), Some(q2.message_id)).unwrap();
    let q3 = crate::harness::wait_for("the files' question a third time", WAIT, async || {
        let q3 = question(&app, group, member, "gửi ảnh hoặc tệp").await;
        (q3.message_id != q2.message_id).then_some(q3)
    })
    .await;
    let before = app.sim.bot_messages(group).len();
    app.sim.reply(group, member, q3.message_id, "xong").unwrap();
    let got = app.sim.wait_for_bot_messages(group, before + 1, WAIT).await;
    let done = got[before].text().unwrap();
    assert_eq!(
        done,
        "Đã ghi nhận báo cáo tình hình KHẨN số 1 (Đất đai, 2 tệp) và chuyển ngay tới cán bộ phụ trách và Ban."
    );

    // the commune's officer (the nearest unit above with officers) and the admin get it at once,
    // with the photo and the document; the ward's officer does not
    for who in [commune, app.admin] {
        let got = app.sim.wait_for_bot_messages(who, 4, WAIT).await;
        let alert = got.iter().find_map(|m| m.text().filter(|t| t.contains("KHẨN số 1"))).expect("the alert");
        assert!(alert.contains("Từ: Chi bộ thôn Khuổi Luông (Đảng bộ bộ phận Bản Chang)"), "{alert}");
        assert!(alert.contains("Chủ đề: Đất đai") && alert.contains("Địa điểm: Thôn Khuổi Luông, xã Bằng Vân"));
        assert!(alert.contains("Hai hộ tranh chấp đất <rẫy>, đông người tụ tập."), "escaped and shown: {alert}");
        assert!(got.iter().any(|m| m.json.get("photo").is_some()), "the photo");
        assert!(got.iter().any(|m| m.document_name() == Some("bien-ban.pdf")), "the document");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.sim.bot_messages(ward).len(), 1, "another unit's officer hears nothing");

    // in the database: the report under the cell's unit, routed, its files kept by content
    let (topic, severity, unit, routed, status): (String, String, String, String, String) = sqlx::query_as(
        "SELECT s.topic, s.severity, u.code, s.routed, s.status FROM situation_reports s JOIN units u ON u.id = s.unit_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (topic.as_str(), severity.as_str(), unit.as_str(), routed.as_str(), status.as_str()),
        ("Đất đai", "urgent", "BP-1", "sent", "new")
    );
    let files: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, sha256, local_path FROM situation_files ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["photo", "document"]);
    assert_eq!(std::fs::read(&files[0].2).unwrap(), photo, "the photo's bytes are in the store");
    assert_eq!(std::fs::read(&files[1].2).unwrap(), doc);
    assert!(files[1].2.ends_with(&files[1].1), "stored by content");
    assert_eq!(app.audit_count("situation.filed", "ok").await, 1);
}

#[tokio::test]
async fn a_normal_report_waits_in_the_inbox_cancel_drops_one_and_strangers_are_told_where_it_works() {
    let app = tree_app().await;
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("CB-001", secretary).await;
    // a private chat bound to a cell: the same questions, no group needed
    app.sim.send_text(secretary, secretary, "/tinhhinh").unwrap();
    answer(&app, secretary, secretary, "chủ đề nào", "Khác").await;
    let said = answer(&app, secretary, secretary, "mức độ?", "rất gấp").await;
    assert!(said.ends_with("mức độ là 1 (Thường), 2 (Cần chú ý) hoặc 3 (Khẩn)."), "{said}");
    answer(&app, secretary, secretary, "mức độ?", "thường").await;
    let said = answer(&app, secretary, secretary, "ở đâu", " \u{200b} ").await;
    assert!(said.ends_with("câu trả lời đang trống."), "{said}");
    answer(&app, secretary, secretary, "ở đâu", "Thôn Nà Pài").await;
    let said = answer(&app, secretary, secretary, "nội dung tình hình", &"x".repeat(3001)).await;
    assert!(said.contains("dài 3001 ký tự, quá 3000 ký tự"), "{said}");
    answer(&app, secretary, secretary, "nội dung tình hình", "Bà con phấn khởi.").await;
    let said = answer(&app, secretary, secretary, "gửi ảnh hoặc tệp", "ảnh đây").await;
    assert!(said.ends_with("gõ «xong» khi đã gửi hết, hoặc «không» nếu không có."), "{said}");
    // a file over 20 MB (the most a bot may fetch) is refused with the reason, nothing kept
    let q = question(&app, secretary, secretary, "gửi ảnh hoặc tệp").await;
    let before = app.sim.bot_messages(secretary).len();
    let big = vec![0u8; 21 * 1024 * 1024];
    app.sim.send_document(secretary, secretary, "ban-do.pdf", "application/pdf", big, Some(q.message_id)).unwrap();
    let got = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    assert!(
        got[before].text().unwrap().ends_with(
            "tệp «ban-do.pdf» lớn hơn 20 MB nên Loa không tải được. Đồng chí gửi tệp nhỏ hơn, hoặc gõ «xong»."
        ),
        "{:?}",
        got[before].text()
    );
    let said = answer(&app, secretary, secretary, "gửi ảnh hoặc tệp", "không").await;
    assert_eq!(
        said,
        "Đã ghi nhận báo cáo tình hình số 1 (Khác, mức độ Thường, 0 tệp). Ban và cán bộ phụ trách sẽ xem trong hộp thư."
    );
    let routed: String = sqlx::query_scalar("SELECT routed FROM situation_reports").fetch_one(&app.pool).await.unwrap();
    assert_eq!(routed, "inbox");
    assert_eq!(app.sim.bot_messages(app.admin).len(), 0, "a normal report is not pushed");

    // the inbox: the commune's officer lists, opens, answers and handles it; the ward's cannot see it
    let (commune, ward) = officers(&app).await;
    app.sim.send_text(commune, commune, "/inbox").unwrap();
    let list = app.nth_reply(commune, 2).await;
    assert!(list.starts_with("📥 Hộp thư báo cáo tình hình: 1 mới · 0 đã xem · 0 đã xử lý"), "{list}");
    assert!(
        list.contains("🟢 #1 · Khác · CB-001 (Đảng ủy xã Bằng Vân)") && list.contains("Bà con phấn khởi."),
        "{list}"
    );
    app.sim.send_text(ward, ward, "/inbox 1").unwrap();
    assert_eq!(app.nth_reply(ward, 2).await, "Không có báo cáo tình hình số 1 trong phạm vi của đồng chí.");
    app.sim.send_text(ward, ward, "/inbox").unwrap();
    assert!(app.nth_reply(ward, 3).await.contains("Không có báo cáo nào đang chờ xử lý."));
    app.sim.send_text(commune, commune, "/inbox 1").unwrap();
    let opened = app.nth_reply(commune, 3).await;
    assert!(opened.starts_with("🟢 Báo cáo tình hình số 1 — Thường"), "{opened}");
    assert!(opened.contains("Địa điểm: Thôn Nà Pài") && opened.contains("Tình trạng: đã xem · 0 tệp"), "{opened}");
    app.sim.send_text(commune, commune, "/inbox 1 tl Xã đã nắm, cảm ơn chi bộ.").unwrap();
    assert_eq!(app.nth_reply(commune, 4).await, "Đã gửi trả lời báo cáo số 1 tới chi bộ.");
    let back = crate::harness::wait_for("the answer in the cell's chat", WAIT, async || {
        app.sim
            .bot_messages(secretary)
            .into_iter()
            .find_map(|m| m.text().filter(|t| t.starts_with("📩")).map(String::from))
    })
    .await;
    assert_eq!(back, "📩 Trả lời báo cáo tình hình số 1 (Khác):\nXã đã nắm, cảm ơn chi bộ.");
    app.sim.send_text(commune, commune, "/inbox 1 xong").unwrap();
    assert!(app.nth_reply(commune, 5).await.starts_with("«xong» chưa rõ."), "a note is needed");
    app.sim.send_text(commune, commune, "/inbox 1 xong Đã nắm tình hình, không có gì bất thường").unwrap();
    assert_eq!(app.nth_reply(commune, 6).await, "Đã đánh dấu báo cáo số 1 là đã xử lý.");
    app.sim.send_text(commune, commune, "/inbox").unwrap();
    assert!(app.nth_reply(commune, 7).await.starts_with("📥 Hộp thư báo cáo tình hình: 0 mới · 0 đã xem · 1 đã xử lý"));
    for (action, n) in [("situation.seen", 1), ("situation.replied", 1), ("situation.handled", 1)] {
        assert_eq!(app.audit_count(action, "ok").await, n, "{action}");
    }
    // the figures by topic, for the board and for an officer of another unit
    app.sim.send_text(app.admin, app.admin, "/stats tinhhinh").unwrap();
    let figures = app.nth_reply(app.admin, 1).await;
    assert!(
        figures
            .starts_with("📋 Báo cáo tình hình 90 ngày qua — Đảng bộ tỉnh Thái Nguyên: 1 báo cáo, 0 khẩn, 1 đã xử lý"),
        "{figures}"
    );
    assert!(figures.contains("Khác                   1    0    1"), "{figures}");
    app.sim.send_text(ward, ward, "/stats tinhhinh").unwrap();
    assert!(app.nth_reply(ward, 4).await.contains("Đảng ủy phường Đức Xuân: 0 báo cáo"));
    // forwarded up: the commune's officer sends it on to the board; the board has nobody above
    app.sim.send_text(commune, commune, "/inbox 1 len Đề nghị Ban nắm thêm").unwrap();
    assert_eq!(app.nth_reply(commune, 8).await, "Đã chuyển báo cáo số 1 lên cấp trên (1 người nhận).");
    let up = app.nth_reply(app.admin, 2).await;
    assert!(
        up.starts_with("⬆️ 🟢 Báo cáo tình hình số 1 được") && up.contains("Ghi chú: Đề nghị Ban nắm thêm"),
        "{up}"
    );
    app.sim.send_text(app.admin, app.admin, "/inbox 1 len").unwrap();
    assert_eq!(app.nth_reply(app.admin, 3).await, "Ban là cấp cao nhất: không có cấp trên để chuyển báo cáo lên.");
    assert_eq!(app.audit_count("situation.forwarded", "ok").await, 1);
    // and at the terminal
    let run = |args: &[&str]| {
        let out = crate::harness::loa_bin(app.dir.path()).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, err) = run(&["inbox", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &rows[0];
    assert_eq!(
        (r["id"].as_i64(), r["topic"].as_str(), r["cell"].as_str(), r["status"].as_str(), r["handled_note"].as_str()),
        (Some(1), Some("Khác"), Some("CB-001"), Some("handled"), Some("Đã nắm tình hình, không có gì bất thường"))
    );
    assert!(r["created_at"].as_str().unwrap().ends_with("+07:00"), "{r}");
    let (code, out, _) = run(&["inbox", "--unit", "P-DT", "--format", "csv"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 1, "the header alone: {out}");
    let (code, _, err) = run(&["inbox", "--status", "open"]);
    assert_eq!((code, err.trim()), (Some(2), "error: --status \"open\": expected new, seen or handled"));

    // /cancel in the middle drops it: nothing written
    app.sim.send_text(secretary, secretary, "/tinhhinh").unwrap();
    answer(&app, secretary, secretary, "chủ đề nào", "1").await;
    let before = app.sim.bot_messages(secretary).len();
    app.sim.send_text(secretary, secretary, "/cancel").unwrap();
    let got = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    assert_eq!(got[before].text(), Some("Đã thôi báo cáo tình hình; chưa có gì được gửi."));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM situation_reports").fetch_one(&app.pool).await.unwrap();
    assert_eq!(n, 1);

    // a chat bound to no cell, from no member of staff
    let stranger = app.user("Người lạ");
    app.sim.send_text(stranger, stranger, "/tinhhinh").unwrap();
    assert!(
        app.nth_reply(stranger, 1).await.starts_with("Lệnh /tinhhinh dùng trong nhóm hoặc cuộc trò chuyện của chi bộ")
    );

    // the figures of a month as an officer types it, by unit too; a chart; a workbook
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let today = chrono::Utc::now().with_timezone(&config.timezone).date_naive();
    let month = loa::packs::period::Period::containing(today, false);
    let typed = month.label(loa::i18n::Locale::Vi).to_lowercase();
    app.sim.send_text(app.admin, app.admin, &format!("/stats tinhhinh {typed}")).unwrap();
    let figures = app.nth_reply(app.admin, 4).await;
    let head =
        format!("📋 Báo cáo tình hình {} — Đảng bộ tỉnh Thái Nguyên: 1 báo cáo", month.label(loa::i18n::Locale::Vi));
    assert!(figures.starts_with(&head), "{figures}");
    assert!(figures.contains("Đảng ủy xã Bằng Vân    1    0    1"), "by unit: {figures}");
    app.sim.send_text(app.admin, app.admin, "/stats tinhhinh Quý I/2020 X-BV").unwrap();
    let old = app.nth_reply(app.admin, 5).await;
    assert!(old.starts_with("📋 Báo cáo tình hình Quý I/2020 — Đảng ủy xã Bằng Vân: 0 báo cáo"), "{old}");
    app.sim.send_text(app.admin, app.admin, "/chart tinhhinh").unwrap();
    let got = app.sim.wait_for_bot_messages(app.admin, 6, WAIT).await;
    assert!(got[5].json.get("photo").is_some(), "a chart: {:?}", got[5].json);
    app.sim.send_text(app.admin, app.admin, &format!("/export tinhhinh {}", month.code())).unwrap();
    let got = app.sim.wait_for_bot_messages(app.admin, 7, WAIT).await;
    assert_eq!(got[6].document_name().map(String::from), Some(format!("loa-tinh-hinh-{}.xlsx", month.code())));
    let bytes = app.sim.file_bytes(got[6].json["document"]["file_id"].as_str().unwrap()).expect("the workbook's bytes");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    assert_eq!(wb.sheet_names(), ["Theo chủ đề", "Theo đơn vị", "Báo cáo"]);
    let reports = wb.worksheet_range("Báo cáo").unwrap();
    assert_eq!(reports.get_value((1, 5)).map(|d| d.to_string()), Some("Khác".into()));
}

/// A member replies to a pack's message with a question: it is kept, the board and the officer of
/// the cell's commune are told, the board answers with `/hoi N`, and the answer reaches the cell;
/// a second answer and another unit's officer are refused; a reply that is no text is explained.
#[tokio::test]
async fn a_question_on_a_pack_reaches_the_board_and_its_answer_the_cell() {
    let app = tree_app().await;
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("CB-001", secretary).await;
    let (commune, ward) = officers(&app).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    app.send_plain_pack("Định hướng tháng 12").await;
    let got = app.sim.wait_for_bot_messages(secretary, 1, WAIT).await;
    let pack = got.iter().find(|m| m.reply_markup().is_some()).unwrap().clone();
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 1, WAIT).await;

    let before = app.sim.bot_messages(secretary).len();
    app.sim.send_photo(secretary, secretary, b"\xFF\xD8 x".to_vec(), None, Some(pack.message_id)).unwrap();
    let said = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    assert!(said[before].text().unwrap().starts_with("Câu hỏi về định hướng cần có chữ"), "{:?}", said[before].text());
    app.sim.reply(secretary, secretary, pack.message_id, "Thôn có cần tổ chức họp riêng cho đoàn viên không?").unwrap();
    let said = app.sim.wait_for_bot_messages(secretary, before + 2, WAIT).await;
    assert_eq!(
        said[before + 1].text(),
        Some(
            "❓ Đã gửi câu hỏi số 1 về «Định hướng tháng 12» tới Ban Tuyên giáo và Dân vận Tỉnh ủy. Câu trả lời sẽ được gửi về đây."
        )
    );
    // the board and the commune's officer are told; the ward's officer is not
    for who in [app.admin, commune] {
        let told = app.nth_reply(who, 2).await;
        assert!(told.starts_with("❓ Câu hỏi số 1 về «Định hướng tháng 12»"), "{told}");
        assert!(told.contains("Từ: Chi bộ thôn Nà Pài (CB-001), Bí thư Nà Pài"), "{told}");
    }
    app.sim.send_text(ward, ward, "/hoi 1 Không").unwrap();
    assert_eq!(app.nth_reply(ward, 2).await, "Không có câu hỏi số 1 trong phạm vi của đồng chí.");
    app.sim.send_text(app.admin, app.admin, "/hoi").unwrap();
    assert!(app.nth_reply(app.admin, 3).await.starts_with("❓ 1 câu hỏi đang chờ trả lời"));
    app.sim.send_text(app.admin, app.admin, "/hoi 1 Có, họp lồng ghép với sinh hoạt chi bộ.").unwrap();
    assert_eq!(app.nth_reply(app.admin, 4).await, "Đã gửi trả lời câu hỏi số 1 tới Chi bộ thôn Nà Pài.");
    let back = crate::harness::wait_for("the answer in the cell's chat", WAIT, async || {
        app.sim
            .bot_messages(secretary)
            .into_iter()
            .find_map(|m| m.text().filter(|t| t.starts_with("💬")).map(String::from))
    })
    .await;
    assert_eq!(
        back,
        "💬 Trả lời câu hỏi về «Định hướng tháng 12»\nHỏi: Thôn có cần tổ chức họp riêng cho đoàn viên không?\nĐáp: Có, họp lồng ghép với sinh hoạt chi bộ."
    );
    // a reply to a message of Loa's that is no pack is told how to ask
    let not_pack = app
        .sim
        .bot_messages(secretary)
        .into_iter()
        .find(|m| m.text().is_some_and(|t| t.starts_with("❓ Đã gửi")))
        .unwrap();
    let before = app.sim.bot_messages(secretary).len();
    app.sim.reply(secretary, secretary, not_pack.message_id, "Còn câu này nữa").unwrap();
    let said = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    assert!(
        said[before].text().unwrap().starts_with("Tin đồng chí trả lời không phải tin định hướng."),
        "{:?}",
        said[before].text()
    );
    app.sim.send_text(commune, commune, "/hoi 1 Thêm nữa").unwrap();
    assert_eq!(app.nth_reply(commune, 3).await, "Câu hỏi số 1 đã được trả lời trước đó.");
    app.sim.send_text(app.admin, app.admin, "/hoi abc").unwrap();
    assert!(app.nth_reply(app.admin, 5).await.starts_with("«abc» chưa rõ."));
    for (action, n) in [("question.asked", 1), ("question.answered", 1)] {
        assert_eq!(app.audit_count(action, "ok").await, n, "{action}");
    }
}

/// «❓ Hỏi» under a pack in a cell's group: the member is asked (a ForceReply to them), a sticker
/// of a reply is explained and the question stays open, the typed question is kept. The board
/// answers it for every cell with `/hoidap`: each cell that got the pack gets the Q&A once, through
/// the delivery worker (an `answer` broadcast), and it stays with the pack; a second `/hoidap` is
/// refused, and an officer may not use it.
#[tokio::test]
async fn the_ask_button_takes_a_question_and_hoidap_answers_every_cell() {
    let app = tree_app().await;
    let member = app.user("Nông Văn Dũng");
    let group = app.group("Chi bộ Khuổi Luông", member);
    app.bind("CB-002", group).await;
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("CB-001", secretary).await;
    let (commune, _ward) = officers(&app).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    app.send_plain_pack("Định hướng tháng 12").await;
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 2, WAIT).await;
    let pack = app.sim.bot_messages(group).into_iter().find(|m| m.reply_markup().is_some()).unwrap();
    let rows = pack.json.pointer("/reply_markup/inline_keyboard").unwrap().as_array().unwrap().clone();
    assert_eq!(rows.len(), 2, "acknowledge on the first row, the question on the second: {rows:?}");
    assert_eq!(rows[1][0]["text"], "❓ Hỏi");
    let ask = rows[1][0]["callback_data"].as_str().unwrap().to_string();

    app.sim.press_button(group, member, pack.message_id, &ask).unwrap();
    let prompt = question(&app, group, member, "gõ câu hỏi về").await;
    assert!(prompt.text().unwrap().contains("«Định hướng tháng 12»"), "{:?}", prompt.text());
    // a photo with no caption is not a question: said so, and the member may type it still
    let before = app.sim.bot_messages(group).len();
    app.sim.send_photo(group, member, b"\xFF\xD8 x".to_vec(), None, Some(prompt.message_id)).unwrap();
    let said = app.sim.wait_for_bot_messages(group, before + 1, WAIT).await;
    assert!(said[before].text().unwrap().starts_with("Câu hỏi về định hướng cần có chữ"), "{:?}", said[before].text());
    app.sim.reply(group, member, prompt.message_id, "Có tài liệu hỏi đáp cho đoàn viên không?").unwrap();
    let said = app.sim.wait_for_bot_messages(group, before + 2, WAIT).await;
    assert!(said[before + 1].text().unwrap().starts_with("❓ Đã gửi câu hỏi số 1 về «Định hướng tháng 12»"));
    // the dialogue ended: the member's next words in the group are not another question
    app.sim.send_text(group, member, "cảm ơn").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pack_questions").fetch_one(&app.pool).await.unwrap();
    assert_eq!(n, 1);
    assert!(app.nth_reply(commune, 2).await.contains("/hoidap 1"));

    // the admin has the broadcast's summary and the question: three messages so far
    for told in ["✅ Đã gửi xong «Định hướng tháng 12»", "❓ Câu hỏi số 1"] {
        crate::harness::wait_for(told, WAIT, async || {
            app.sim.bot_messages(app.admin).into_iter().find(|m| m.text().is_some_and(|t| t.starts_with(told)))
        })
        .await;
    }
    // an officer may not answer for every cell; the board does
    app.sim.send_text(commune, commune, "/hoidap 1 Có").unwrap();
    let refused = app.nth_reply(commune, 3).await;
    assert_eq!(refused, "Xin lỗi, lệnh /hoidap chỉ dành cho quản trị viên.");
    assert_eq!(app.audit_count("staff.denied", "denied").await, 1);
    app.sim.send_text(app.admin, app.admin, "/hoidap 1").unwrap();
    let said = app.nth_reply(app.admin, 4).await;
    assert!(said.starts_with("«1» chưa rõ. Cách dùng: /hoidap 12 nội dung trả lời"), "{said}");
    app.sim.send_text(app.admin, app.admin, "/hoidap 1 Có: tập tài liệu hỏi đáp gửi kèm tuần sau.").unwrap();
    assert_eq!(
        app.nth_reply(app.admin, 5).await,
        "💬 Đang gửi trả lời câu hỏi số 1 về «Định hướng tháng 12» tới 2 chi bộ đã nhận định hướng; câu hỏi và trả lời được lưu vào phần hỏi đáp của định hướng."
    );
    let want = "💬 Hỏi đáp về «Định hướng tháng 12»\nHỏi: Có tài liệu hỏi đáp cho đoàn viên không?\nĐáp: Có: tập tài liệu hỏi đáp gửi kèm tuần sau.";
    for chat in [group, secretary] {
        let got = crate::harness::wait_for("the Q&A in every cell's chat", WAIT, async || {
            app.sim
                .bot_messages(chat)
                .into_iter()
                .find_map(|m| m.text().filter(|t| t.starts_with("💬 Hỏi đáp")).map(String::from))
        })
        .await;
        assert_eq!(got, want);
    }
    crate::harness::wait_count(
        &app.pool,
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.kind = 'answer' AND d.state = 'sent'",
        2,
        WAIT,
    )
    .await;
    let faq = loa::questions::faq(&app.pool, 1).await.unwrap();
    assert_eq!((faq.len(), faq[0].answer.as_deref()), (1, Some("Có: tập tài liệu hỏi đáp gửi kèm tuần sau.")));
    app.sim.send_text(app.admin, app.admin, "/hoidap 1").unwrap();
    assert_eq!(app.nth_reply(app.admin, 6).await, "Câu trả lời câu hỏi số 1 đã được gửi tới mọi chi bộ từ trước.");
    assert_eq!(app.audit_count("question.answered_all", "ok").await, 1);
    // each chat got it once
    for chat in [group, secretary] {
        let n =
            app.sim.bot_messages(chat).iter().filter(|m| m.text().is_some_and(|t| t.starts_with("💬 Hỏi đáp"))).count();
        assert_eq!(n, 1, "chat {chat}");
    }

    // a cell that joins after: the pack, then its hỏi đáp
    let code = app.invite("CB-004").await;
    let late = app.user("Bí thư tổ dân phố 3");
    app.sim.send_text(late, late, &format!("/start {code}")).unwrap();
    let got = crate::harness::wait_for("the Q&A for the late joiner", Duration::from_secs(40), async || {
        let all = app.sim.bot_messages(late);
        all.iter().any(|m| m.text().is_some_and(|t| t.starts_with("💬 Hỏi đáp"))).then_some(all)
    })
    .await;
    let texts: Vec<&str> = got.iter().filter_map(|m| m.text()).collect();
    let pack_at = texts.iter().position(|t| t.starts_with("Định hướng tháng 12")).expect("the pack");
    let faq_at = texts.iter().position(|t| t.starts_with("💬 Hỏi đáp")).unwrap();
    assert!(pack_at < faq_at, "the pack, then its answers: {texts:?}");
    assert_eq!(texts[faq_at], want);
}

/// Files the five answers of a situation report (no files) in `chat` for `user`; returns what Loa
/// said at the end.
async fn file_situation(app: &TestApp, chat: i64, user: i64, topic: &str, text: &str) -> String {
    answer(app, chat, user, "chủ đề nào", topic).await;
    answer(app, chat, user, "mức độ?", "1").await;
    answer(app, chat, user, "ở đâu", "Trong thôn").await;
    answer(app, chat, user, "nội dung tình hình", text).await;
    answer(app, chat, user, "gửi ảnh hoặc tệp", "không").await
}

/// The periodic situation request: every connected cell gets it as a pack (its «📝 Báo cáo»
/// starts the situation report dialogue); a cell answering from the button, one answering with
/// `/tinhhinh` while its request is open, each counted as the pack's report and acknowledgement
/// (the pack's buttons show who); the third cell is the one the reminders and the pending list name.
#[tokio::test]
async fn a_situation_request_is_answered_with_the_dialogue_and_counted_like_a_report() {
    let app = tree_app().await;
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("CB-001", secretary).await;
    let member = app.user("Nông Văn Dũng");
    let group = app.group("Chi bộ Khuổi Luông", member);
    app.bind("CB-002", group).await;
    let office = app.user("Bí thư Văn phòng");
    app.bind("CB-003", office).await;
    let config = crate::harness::config_for(&app.sim, &app.dir);
    let now = loa::dates::now();
    let period = loa::packs::period::Period::containing(
        chrono::DateTime::from_timestamp(now, 0).unwrap().with_timezone(&config.timezone).date_naive(),
        false,
    );
    let started =
        loa::situations::request(&app.pool, &config, period, loa::audit::Actor::System, now).await.unwrap().unwrap();
    assert_eq!(started.targeted, 3);
    crate::harness::wait_count(&app.pool, "SELECT count(*) FROM deliveries WHERE state = 'sent'", 3, WAIT).await;
    let pack = app.sim.bot_messages(secretary).into_iter().find(|m| m.reply_markup().is_some()).unwrap();
    assert!(pack.text().unwrap().starts_with("Báo cáo tình hình tháng "), "{:?}", pack.text());
    let report = pack.json.pointer("/reply_markup/inline_keyboard/0/1").unwrap().clone();
    assert_eq!(report["text"], "📝 Báo cáo");

    // from the button, in a private chat
    app.sim.press_button(secretary, secretary, pack.message_id, report["callback_data"].as_str().unwrap()).unwrap();
    let intro = crate::harness::wait_for("the request's intro", WAIT, async || {
        app.sim
            .bot_messages(secretary)
            .into_iter()
            .find_map(|m| m.text().filter(|t| t.contains("theo đề nghị")).map(String::from))
    })
    .await;
    assert!(intro.contains("«Báo cáo tình hình tháng "), "{intro}");
    let done = file_situation(&app, secretary, secretary, "6", "Tình hình ổn định").await;
    assert!(done.starts_with("Đã ghi nhận báo cáo tình hình số 1"), "{done}");
    // the pack's buttons now show who answered
    let label = crate::harness::wait_for("the acknowledged buttons", WAIT, async || {
        let m = app.sim.bot_messages(secretary).into_iter().find(|m| m.message_id == pack.message_id)?;
        let label = m.json.pointer("/reply_markup/inline_keyboard/0/0/text")?.as_str()?.to_string();
        label.contains("Bí thư Nà Pài").then_some(label)
    })
    .await;
    assert!(label.starts_with("✅"), "{label}");

    // with /tinhhinh in the group: the open request is the one answered
    app.sim.send_text(group, member, "/tinhhinh").unwrap();
    let intro = question(&app, group, member, "chủ đề nào").await;
    assert!(
        app.sim.bot_messages(group).iter().any(|m| m.text().is_some_and(|t| t.contains("theo đề nghị"))),
        "{:?}",
        intro.text()
    );
    let done = file_situation(&app, group, member, "1", "Giá phân bón tăng, bà con lo mùa vụ").await;
    assert!(done.starts_with("Đã ghi nhận báo cáo tình hình số 2"), "{done}");
    // a second /tinhhinh in the group, the request answered: a report of the cell's own accord
    app.sim.send_text(group, member, "/tinhhinh").unwrap();
    crate::harness::wait_for("the plain intro", WAIT, async || {
        app.sim
            .bot_messages(group)
            .into_iter()
            .rev()
            .find(|m| m.text().is_some_and(|t| t.contains("đồng chí báo cáo tình hình gửi")))
    })
    .await;
    app.sim.send_text(group, member, "/cancel").unwrap();

    // counted as the pack's reports and acknowledgements; the two linked to the request
    let linked: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, pack_id FROM situation_reports ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(linked, [(1, Some(started.pack_id)), (2, Some(started.pack_id))]);
    let (reported, acknowledged): (i64, i64) =
        sqlx::query_as("SELECT CAST(sum(reported) AS BIGINT), CAST(sum(acknowledged) AS BIGINT) FROM pack_unit_stats WHERE pack_id = $1")
            .bind(started.pack_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((reported, acknowledged), (2, 2));
    let via: Vec<String> = sqlx::query_scalar("SELECT via FROM acks ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(via, ["report", "report"]);
    let stats = loa::stats::pack(&app.pool, started.pack_id, loa::stats::View::PROVINCE).await.unwrap().unwrap();
    assert_eq!((stats.total.reported, stats.total.acknowledged, stats.total.delivered), (2, 2, 3));
    // the cell behind is the office's, for the pending list and for the reminders
    let pending = loa::stats::pending(&app.pool, started.pack_id, None).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["CB-003"]);
    // the request's workbook: its month's situation reports, each marked as answering it
    let xlsx = loa::export::xlsx_bytes(&app.pool, &config, started.pack_id, loa::stats::View::PROVINCE).await.unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let rows: Vec<Vec<String>> =
        wb.worksheet_range("Situations").unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let shown: Vec<(&str, &str, &str, &str)> =
        rows.iter().skip(1).map(|r| (r[3].as_str(), r[5].as_str(), r[8].as_str(), r[12].as_str())).collect();
    assert_eq!(
        shown,
        [
            ("CB-001", "Khác", "Tình hình ổn định", "có"),
            ("CB-002", "Kinh tế, đời sống", "Giá phân bón tăng, bà con lo mùa vụ", "có")
        ]
    );
}

/// A Bot API server in local mode (`telegram-bot-api --local`, `telegram.local_mode = true`):
/// a file over the public API's 20 MB comes with its path on the server's disk, and Loa copies it
/// into its store from there (the server's copy left in place); without local mode Loa says the
/// limit is 20 MB.
#[tokio::test]
async fn with_a_local_bot_api_server_a_file_over_20_mb_is_taken_from_the_server_s_disk() {
    let app = TestApp::spawn_with(|c| c.telegram.local_mode = true).await;
    let tree = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/to-chuc.csv")).unwrap();
    app.import(&tree).await;
    let server_dir = app.dir.path().join("telegram-bot-api");
    app.sim.set_local_mode(Some(server_dir.clone()));
    let (secretary, q) = up_to_the_files(&app, "Bản đồ sạt lở kèm theo.").await;
    let before = app.sim.bot_messages(secretary).len();
    let big: Vec<u8> = (0..21 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    app.sim
        .send_document(secretary, secretary, "ban-do.pdf", "application/pdf", big.clone(), Some(q.message_id))
        .unwrap();
    let got = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    let said = got[before].text().unwrap_or_default().to_string();
    assert!(!said.contains("20 MB"), "{said}");
    let said = answer(&app, secretary, secretary, "gửi ảnh hoặc tệp", "xong").await;
    assert!(said.starts_with("Đã ghi nhận báo cáo tình hình số 1 (Khác, mức độ Thường, 1 tệp)"), "{said}");
    let (size, sha, path): (i64, String, String) =
        sqlx::query_as("SELECT size, sha256, local_path FROM situation_files").fetch_one(&app.pool).await.unwrap();
    assert_eq!(size, big.len() as i64);
    assert!(path.ends_with(&sha) && !path.starts_with(&*server_dir.to_string_lossy()), "{path}");
    assert!(std::fs::read(&path).unwrap() == big, "the store holds the file's bytes");
    // the server's own copy is where it was
    let on_server: Vec<_> = walk(&server_dir);
    assert_eq!(on_server.len(), 1, "{on_server:?}");
    assert_eq!(std::fs::metadata(&on_server[0]).unwrap().len(), big.len() as u64);

    // the same file through the public API (local mode off on both sides): over the limit
    let app = tree_app().await;
    let (secretary, q) = up_to_the_files(&app, "Bản đồ.").await;
    let before = app.sim.bot_messages(secretary).len();
    app.sim.send_document(secretary, secretary, "ban-do.pdf", "application/pdf", big, Some(q.message_id)).unwrap();
    let got = app.sim.wait_for_bot_messages(secretary, before + 1, WAIT).await;
    assert!(got[before].text().unwrap_or_default().contains("lớn hơn 20 MB"), "{:?}", got[before].text());
}

/// CB-001's secretary in their private chat, through `/tinhhinh` up to the question asking for
/// files; returns the secretary and that question.
async fn up_to_the_files(app: &TestApp, body: &str) -> (i64, SimMessage) {
    let secretary = app.user("Bí thư Nà Pài");
    app.bind("CB-001", secretary).await;
    app.sim.send_text(secretary, secretary, "/tinhhinh").unwrap();
    answer(app, secretary, secretary, "chủ đề nào", "Khác").await;
    answer(app, secretary, secretary, "mức độ?", "thường").await;
    answer(app, secretary, secretary, "ở đâu", "Thôn Nà Pài").await;
    answer(app, secretary, secretary, "nội dung tình hình", body).await;
    (secretary, question(app, secretary, secretary, "gửi ảnh hoặc tệp").await)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
