//! Composing a pack in chat, end to end: every step, a document, the preview, confirmation,
//! /cancel, a restart in the middle, wrong answers, and who may do it.

use crate::harness::{REGISTRY, TestApp};

/// The admin answers `text` and gets the bot's next message.
async fn say(app: &TestApp, text: &str) -> String {
    let before = app.sim.bot_messages(app.admin).len();
    app.sim.send_text(app.admin, app.admin, text).unwrap();
    app.nth_reply(app.admin, before + 1).await
}

/// Waits until the bot has said `n` more things after `before`, returns the last.
async fn after(app: &TestApp, before: usize, n: usize) -> String {
    app.nth_reply(app.admin, before + n).await
}

#[tokio::test]
async fn a_board_member_composes_previews_and_schedules_a_pack_in_chat() {
    let mut app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;

    let n = app.sim.bot_messages(app.admin).len();
    app.sim.send_text(app.admin, app.admin, "/newpack").unwrap();
    let ask = after(&app, n, 1).await;
    assert_eq!(ask, "Soạn định hướng mới. Gõ /cancel bất cứ lúc nào để bỏ.\n\nBước 1/9 — Loại định hướng?");
    let keyboard = app.sim.bot_messages(app.admin).last().unwrap().json["reply_markup"]["keyboard"].clone();
    assert_eq!(keyboard[0][1]["text"], "Quý");

    assert!(say(&app, "Hằng tuần").await.starts_with("Chọn một trong các loại có sẵn."));
    assert!(say(&app, "Quý").await.starts_with("Bước 2/9"));
    let wrong = say(&app, "Tháng 10/2023").await;
    assert!(
        wrong.starts_with("Kỳ chưa đúng: định hướng quý cần một quý, ví dụ «Quý IV/2023»"),
        "in Vietnamese: {wrong}"
    );
    let wrong = say(&app, "Quý V/2023").await;
    assert!(wrong.starts_with("Kỳ chưa đúng: «Quý V/2023»: quý chỉ từ I đến IV"), "{wrong}");
    // the period as the board writes it
    assert!(say(&app, "quý IV/2023").await.starts_with("Bước 3/9"));
    assert!(say(&app, "Định hướng tuyên truyền quý 4").await.starts_with("Bước 4/9"));
    // a step back: the title again, then on
    let keyboard = app.sim.bot_messages(app.admin).last().unwrap().json["reply_markup"]["keyboard"].clone();
    assert_eq!(keyboard[0][0]["text"], "⬅️ Quay lại");
    assert!(say(&app, "⬅️ Quay lại").await.starts_with("Bước 3/9"));
    assert!(say(&app, "Định hướng tuyên truyền quý IV/2023").await.starts_with("Bước 4/9"));

    // a restart in the middle loses nothing
    app.stop().await;
    app.start().await;

    let r = say(&app, "Nội dung <định hướng> & tư liệu").await;
    assert!(r.starts_with("Bước 5/9"), "{r}");
    let n = app.sim.bot_messages(app.admin).len();
    app.sim
        .send_document(app.admin, app.admin, "ke-hoach.pdf", "application/pdf", b"%PDF-1.4 ke hoach".to_vec(), None)
        .unwrap();
    assert_eq!(after(&app, n, 1).await, "Đã nhận tệp «ke-hoach.pdf» (1/10). Gửi tiếp, hoặc bấm «Xong».");
    let n = app.sim.bot_messages(app.admin).len();
    app.sim.send_document(app.admin, app.admin, "virus.exe", "application/octet-stream", b"MZ".to_vec(), None).unwrap();
    assert!(after(&app, n, 1).await.contains("không thuộc loại được nhận"));
    assert!(say(&app, "Xong").await.starts_with("Bước 6/9"));
    assert!(say(&app, "Pác Nặm").await.contains("Không tìm thấy «Pác Nặm»"));
    assert!(say(&app, "Na Rì, BB-001").await.starts_with("Bước 7/9"));
    assert!(say(&app, "30/02/2023").await.contains("Ngày chưa đúng"));
    assert!(say(&app, "Mặc định").await.starts_with("Bước 8/9"));
    assert!(say(&app, "Báo cáo kết quả quán triệt").await.starts_with("Bước 9/9"));
    // sent in five days: the preview's deadline counts from then, as delivery will
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let in_five = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(5);
    let n = app.sim.bot_messages(app.admin).len();
    app.sim.send_text(app.admin, app.admin, &format!("{} 08:00", in_five.format("%d/%m/%Y"))).unwrap();
    after(&app, n, 3).await;
    let msgs = app.sim.bot_messages(app.admin);
    let deadline = (in_five + chrono::Duration::days(10)).format("%d/%m/%Y").to_string();
    let shown = msgs[n + 1].text().unwrap();
    assert!(shown.contains(&format!("Hạn xác nhận: {deadline}")), "send date + 10 days: {shown}");
    // back to the schedule, and now
    assert!(say(&app, "⬅️ Quay lại").await.starts_with("Bước 9/9"));
    let n = app.sim.bot_messages(app.admin).len();
    app.sim.send_text(app.admin, app.admin, "Gửi ngay").unwrap();
    let summary = after(&app, n, 3).await;
    let msgs = app.sim.bot_messages(app.admin);
    let head = msgs[n].text().unwrap();
    assert!(head.starts_with("Xem trước — tin nhắn dưới đây là đúng như chi bộ sẽ nhận (sau 1 tệp tư liệu)"), "{head}");
    assert!(head.ends_with("\n📎 ke-hoach.pdf"), "the documents by name: {head}");
    // the message with its buttons, which in a preview only say so
    assert_eq!(msgs[n + 1].button_texts(), ["✅ Đã nhận", "📝 Báo cáo", "❓ Hỏi"]);
    app.sim.press_button(app.admin, app.admin, msgs[n + 1].message_id, "p:0").unwrap();
    let answered = app.sim.wait_until(crate::harness::WAIT, |s| !s.callback_answers().is_empty()).await;
    assert!(answered);
    assert_eq!(
        app.sim.callback_answers()[0].text.as_deref(),
        Some("Đây là bản xem trước: nút này dùng được trong tin nhắn gửi tới chi bộ.")
    );
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let deadline = (today + chrono::Duration::days(10)).format("%d/%m/%Y").to_string();
    let shown = msgs[n + 1].text().unwrap();
    assert!(shown.contains(&format!("Hạn xác nhận: {deadline}")), "{shown}");
    assert!(
        shown.starts_with("Định hướng tuyên truyền quý IV/2023\nQuý IV/2023\n\nNội dung <định hướng> & tư liệu"),
        "{shown}"
    );
    assert!(shown.contains("📝 Ban đề nghị báo cáo: Báo cáo kết quả quán triệt"), "{shown}");
    assert!(summary.starts_with("Gửi tới 3 chi bộ (0 đã kết nối); gửi ngay khi xác nhận."), "{summary}");

    let saved = say(&app, "Xác nhận").await;
    assert!(saved.starts_with("Đã lưu định hướng số 1, lên lịch gửi lúc"), "{saved}");
    let pack = loa::packs::store::get(&app.pool, 1).await.unwrap().unwrap();
    assert_eq!(pack.kind, "quarterly");
    assert_eq!(pack.period.as_deref(), Some("2023-Q4"));
    assert_eq!(pack.body_html, "Nội dung &lt;định hướng&gt; &amp; tư liệu");
    assert_eq!(pack.report_prompt.as_deref(), Some("Báo cáo kết quả quán triệt"));
    let (file_id, local): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT telegram_file_id, local_path FROM attachments WHERE pack_id = 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(file_id.is_some(), "the document keeps its Telegram file_id");
    assert_eq!(std::fs::read(local.unwrap()).unwrap(), b"%PDF-1.4 ke hoach", "and a local copy");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogues").fetch_one(&app.pool).await.unwrap();
    assert_eq!(left, 0);

    // /packs lists it
    let list = say(&app, "/packs").await;
    assert!(list.starts_with("#1 Định hướng tuyên truyền quý IV/2023 —"), "{list}");
}

#[tokio::test]
async fn a_typed_body_keeps_its_formatting() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    app.sim.send_text(app.admin, app.admin, "/newpack").unwrap();
    app.nth_reply(app.admin, 1).await;
    say(&app, "Chuyên đề").await;
    say(&app, "Chuyên đề chuyển đổi số").await;
    let n = app.sim.bot_messages(app.admin).len();
    app.sim
        .send_formatted(
            app.admin,
            app.admin,
            "Nội dung <b>trọng tâm</b> và <a href=\"https://x.vn/a\">văn bản</a> &lt;3",
        )
        .unwrap();
    assert!(after(&app, n, 1).await.starts_with("Bước 5/9"));
    let state: String = sqlx::query_scalar("SELECT state FROM dialogues").fetch_one(&app.pool).await.unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["body_html"], "Nội dung <b>trọng tâm</b> và <a href=\"https://x.vn/a\">văn bản</a> &lt;3");
}

#[tokio::test]
async fn cancel_leaves_at_any_step_and_strangers_cannot_compose() {
    let app = TestApp::spawn().await;
    app.import(REGISTRY).await;
    app.sim.send_text(app.admin, app.admin, "/newpack").unwrap();
    app.nth_reply(app.admin, 1).await;
    assert!(say(&app, "Khẩn").await.starts_with("Bước 3/9"), "an urgent pack has no period");
    assert_eq!(
        say(&app, "/newpack").await,
        "Đồng chí đang soạn dở một định hướng (bước 3). Trả lời tiếp, hoặc gõ /cancel để bỏ."
    );
    assert_eq!(say(&app, "/cancel").await, "Đã bỏ định hướng đang soạn.");
    assert_eq!(say(&app, "/cancel").await, "Không có gì đang soạn.");
    assert_eq!(
        say(&app, "chào").await,
        "Loa chưa hiểu tin nhắn này. Gõ /help để xem các lệnh.",
        "the dialogue is over"
    );

    let stranger = app.user("Người lạ");
    app.sim.send_text(stranger, stranger, "/newpack").unwrap();
    assert!(app.nth_reply(stranger, 1).await.starts_with("Xin lỗi, lệnh /newpack chỉ dành cho cán bộ"));
    // (a stranger's chat is answered once a minute: another one asks)
    let other = app.user("Người lạ khác");
    app.sim.send_text(other, other, "/packs").unwrap();
    assert!(app.nth_reply(other, 1).await.starts_with("Xin lỗi, lệnh /packs chỉ dành cho cán bộ"));
    assert_eq!(app.audit_count("staff.denied", "denied").await, 2);
}
