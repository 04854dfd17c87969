//! Names with HTML or Markdown characters, right-to-left letters, bidirectional controls and
//! zero-width characters, from the registry and from Telegram, shown safely everywhere: in
//! messages (escaped, so Telegram's parser takes them as text), on buttons, in exports and charts,
//! with nothing invisible left to hide or reorder what is around them.

use std::time::Duration;

use crate::harness::{TestApp, WAIT};

const HIDDEN: [char; 5] = ['\u{200B}', '\u{202E}', '\u{202C}', '\u{FEFF}', '\u{2067}'];

/// The first bot message in `chat` that `pick` likes (other messages, such as a broadcast's
/// summary, may come in between).
async fn bot_message(app: &TestApp, chat: i64, pick: impl Fn(&loa::sim::SimMessage) -> bool) -> loa::sim::SimMessage {
    let found = app.sim.wait_until(WAIT, |s| s.bot_messages(chat).iter().any(&pick)).await;
    assert!(found, "{:?}", app.sim.bot_messages(chat));
    app.sim.bot_messages(chat).into_iter().find(|m| pick(m)).unwrap()
}

fn has_hidden(s: &str) -> bool {
    s.chars().any(|c| HIDDEN.contains(&c))
}

#[tokio::test]
async fn hostile_names_render_safely_in_messages_buttons_exports_and_charts() {
    let app = TestApp::spawn().await;
    // «Na Rì» pasted with a zero-width space and written decomposed (i + combining grave)
    let csv = "code,name,district,commune\n\
               H-1,Chi bộ <b>Nà</b> *Pài* & _co_,Na\u{200B} Ri\u{0300},Xã <i>1</i>\n\
               H-2,\u{202E}Chi bộ ngược\u{202C},Na Rì,\n\
               H-3,خلية الحزب,حزب <b>Ba Bể</b>\u{FEFF},\n";
    app.import(csv).await;
    let districts: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT district FROM cells ORDER BY district").fetch_all(&app.pool).await.unwrap();
    assert_eq!(districts, ["Na Rì", "حزب <b>Ba Bể</b>"], "one Na Rì, nothing hidden");
    assert_eq!(app.cell("H-2").await.name, "Chi bộ ngược");

    // each cell bound by its secretary, one of them with a hostile Telegram name
    let names = ["<i>Lan</i>\u{202E} *_x_* &amp;", "Bí thư\u{200B} Hai", "مريم\u{2067}"];
    let mut users = Vec::new();
    for (code, name) in ["H-1", "H-2", "H-3"].into_iter().zip(names) {
        let u = app.sim.create_user(name, None);
        let invite = app.invite(code).await;
        app.sim.send_text(u, u, &format!("/start {invite}")).unwrap();
        let welcome = app.nth_reply(u, 1).await;
        assert!(!has_hidden(&welcome), "{welcome:?}");
        users.push(u);
    }
    assert!(app.nth_reply(users[0], 1).await.contains("Chi bộ <b>Nà</b> *Pài* & _co_"), "the name as text");

    // a pack whose title has markup characters goes out; the first secretary acknowledges
    let pack = app.send_report_pack("Tin <khẩn> & *gấp*").await;
    let m = crate::harness::wait_for("the pack", Duration::from_secs(20), async || {
        app.sim.bot_messages(users[0]).into_iter().find(|m| m.reply_markup().is_some())
    })
    .await;
    assert!(m.text().unwrap().contains("Tin <khẩn> & *gấp*"), "{:?}", m.text());
    let data = m.json.pointer("/reply_markup/inline_keyboard/0/0/callback_data").unwrap().as_str().unwrap().to_string();
    app.sim.press_button(users[0], users[0], m.message_id, &data).unwrap();
    let label = |s: &loa::sim::Sim| {
        s.messages(users[0])
            .into_iter()
            .find(|x| x.message_id == m.message_id)
            .and_then(|x| {
                x.json.pointer("/reply_markup/inline_keyboard/0/0/text").and_then(|v| v.as_str()).map(String::from)
            })
            .unwrap_or_default()
    };
    assert!(app.sim.wait_until(WAIT, |s| label(s).contains("đã nhận")).await, "{}", label(&app.sim));
    let label = label(&app.sim);
    assert!(label.starts_with("✅ <i>Lan</i> *_x_* &amp; đã nhận lúc"), "{label:?}");
    let stored: String = sqlx::query_scalar("SELECT user_name FROM acks").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, "<i>Lan</i> *_x_* &amp;");

    // the board's pending list: names as text, nothing hidden
    app.sim.send_text(app.admin, app.admin, "/start").unwrap();
    app.nth_reply(app.admin, 1).await;
    app.sim.send_text(app.admin, app.admin, "/pending").unwrap();
    let pending = bot_message(&app, app.admin, |m| m.text().is_some_and(|t| t.starts_with("⏳")))
        .await
        .text()
        .unwrap()
        .to_string();
    assert!(pending.contains("Chi bộ ngược") && pending.contains("خلية الحزب"), "{pending}");
    assert!(pending.contains("حزب <b>Ba Bể</b>"), "{pending}");
    assert!(pending.contains("«Tin <khẩn> & *gấp*»"), "{pending}");
    assert!(!has_hidden(&pending));

    // exports: the same text, written as text
    app.sim.send_text(app.admin, app.admin, &format!("/export {pack} csv")).unwrap();
    let file = bot_message(&app, app.admin, |m| m.document_name().is_some_and(|n| n.ends_with(".csv"))).await;
    let csv = app.sim.file_bytes(file.json["document"]["file_id"].as_str().unwrap()).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let csv = csv.strip_prefix('\u{FEFF}').expect("a BOM for Excel, and only there");
    assert!(csv.contains("Chi bộ <b>Nà</b> *Pài* & _co_") && csv.contains("<i>Lan</i> *_x_* &amp;"), "{csv}");
    assert!(!has_hidden(csv), "{csv:?}");
    app.sim.send_text(app.admin, app.admin, &format!("/export {pack}")).unwrap();
    let file = bot_message(&app, app.admin, |m| m.document_name().is_some_and(|n| n.ends_with(".xlsx"))).await;
    let bytes = app.sim.file_bytes(file.json["document"]["file_id"].as_str().unwrap()).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let cells = wb.worksheet_range("Cells").unwrap();
    let texts: Vec<String> = cells.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    assert!(texts.iter().any(|t| t == "Chi bộ <b>Nà</b> *Pài* & _co_"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "<i>Lan</i> *_x_* &amp;"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "حزب <b>Ba Bể</b>"), "{texts:?}");
    assert!(!texts.iter().any(|t| has_hidden(t)));

    // the chart draws the districts' names as they are
    let s = loa::stats::pack(&app.pool, pack, loa::stats::View::PROVINCE).await.unwrap().unwrap();
    assert_eq!(s.groups.len(), 2);
    let png = loa::chart::pack_png(&s, &s.title, "Đã xác nhận", "Đã báo cáo").unwrap();
    if let Some(dir) = std::env::var_os("LOA_CHART_PREVIEW") {
        std::fs::write(std::path::Path::new(&dir).join("names.png"), &png).unwrap();
    }
    let reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), loa::chart::SIZE);
    app.sim.send_text(app.admin, app.admin, &format!("/chart {pack}")).unwrap();
    bot_message(&app, app.admin, |m| m.json.get("photo").is_some()).await;
}
