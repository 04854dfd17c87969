//! The simulator's Bot API, driven by a real teloxide `Bot`: every method Loa uses, with the
//! shapes and errors Telegram gives.

use std::time::{Duration, Instant};

use loa::sim::{ChatKind, Sim};
use serde_json::{Value, json};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia,
    InputMediaDocument, MessageId, ParseMode, UpdateKind,
};
use teloxide::{ApiError, RequestError};

use crate::harness::{WAIT, setup, started_user};

async fn raw(sim: &Sim, method: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/bot{}/{method}", sim.url(), sim.token()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn get_me_answers_like_telegram_and_a_wrong_token_is_unauthorized() {
    let (sim, bot) = setup().await;
    let me = bot.get_me().await.unwrap();
    assert!(me.user.is_bot);
    assert_eq!(me.username(), sim.bot_username());
    assert!(me.can_join_groups);
    assert!(!me.can_read_all_group_messages, "privacy mode is on by default");

    let wrong = Bot::new("1:nope").set_api_url(sim.url().parse().unwrap());
    assert!(matches!(wrong.get_me().await, Err(RequestError::Api(ApiError::InvalidToken))));
    let v: Value = reqwest::get(format!("{}/bot1:nope/getMe", sim.url())).await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
}

#[tokio::test]
async fn method_names_are_case_insensitive_and_unknown_ones_get_404() {
    let (sim, _bot) = setup().await;
    for m in ["getMe", "getme", "GETME", "GetMe"] {
        assert_eq!(raw(&sim, m, json!({})).await["ok"], true, "{m}");
    }
    let v = raw(&sim, "sendTelepathy", json!({})).await;
    assert_eq!(v, json!({"ok": false, "error_code": 404, "description": "Not Found"}));
}

#[tokio::test]
async fn json_form_and_query_string_bodies_are_all_understood() {
    let (sim, _bot) = setup().await;
    let u = started_user(&sim, "Lan");
    let v = raw(&sim, "sendMessage", json!({"chat_id": u, "text": "json"})).await;
    assert_eq!(v["result"]["text"], "json");
    let v: Value = reqwest::Client::new()
        .post(format!("{}/bot{}/sendMessage", sim.url(), sim.token()))
        .form(&[("chat_id", u.to_string()), ("text", "form".into())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["text"], "form");
    let v: Value = reqwest::get(format!("{}/bot{}/sendMessage?chat_id={u}&text=query", sim.url(), sim.token()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["text"], "query");
    assert_eq!(v["result"]["from"]["id"], sim.bot_id());
    assert!(v["result"]["date"].as_i64().unwrap() > 1_700_000_000, "dates are in seconds");
}

#[tokio::test]
async fn long_polling_waits_for_an_update_and_offset_confirms() {
    let (sim, bot) = setup().await;
    let u = sim.create_user("Lan", None);
    let started = Instant::now();
    let empty = bot.get_updates().timeout(1).await.unwrap();
    assert!(empty.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900), "timeout is honoured");

    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(10).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    sim.send_text(u, u, "/start XYZ").unwrap();
    let ups = poll.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "answered as soon as the update came");
    assert_eq!(ups.len(), 1);
    let UpdateKind::Message(m) = &ups[0].kind else { panic!("{:?}", ups[0].kind) };
    assert_eq!(m.text(), Some("/start XYZ"));
    assert_eq!(m.chat.id.0, u);
    assert!(m.entities().unwrap()[0].kind == teloxide::types::MessageEntityKind::BotCommand);

    // not confirmed yet: the same update comes again; confirmed with offset: gone
    let again = bot.get_updates().await.unwrap();
    assert_eq!(again.len(), 1);
    let next = bot.get_updates().offset(ups[0].id.as_offset()).await.unwrap();
    assert!(next.is_empty());
    assert_eq!(sim.pending_updates(), 0);
}

#[tokio::test]
async fn allowed_updates_filters_what_the_bot_receives() {
    let (sim, bot) = setup().await;
    let u = sim.create_user("Lan", None);
    let g = sim.create_group("Chi bộ", ChatKind::Group);
    sim.add_bot_to_group(g, u, None).unwrap(); // my_chat_member + a service message
    let ups = bot.get_updates().allowed_updates(vec![teloxide::types::AllowedUpdate::MyChatMember]).await.unwrap();
    assert_eq!(ups.len(), 1);
    let UpdateKind::MyChatMember(m) = &ups[0].kind else { panic!("{:?}", ups[0].kind) };
    assert_eq!(m.chat.id.0, g);
    assert!(m.new_chat_member.is_present());
    assert_eq!(m.from.id.0 as i64, u);
}

#[tokio::test]
async fn a_second_get_updates_ends_the_first_with_409() {
    let (_sim, bot) = setup().await;
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _second = bot.get_updates().timeout(0).await.unwrap();
    let err = first.await.unwrap().unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::TerminatedByOtherGetUpdates)), "{err:?}");
}

#[tokio::test]
async fn html_becomes_entities_and_broken_html_is_refused() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "Lan");
    let m = bot
        .send_message(ChatId(u), "<b>Quý IV/2023</b> &amp; <i>tư liệu</i>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(m.text(), Some("Quý IV/2023 & tư liệu"));
    assert_eq!(m.entities().unwrap().len(), 2);
    let err = bot.send_message(ChatId(u), "<b>mở mà không đóng").parse_mode(ParseMode::Html).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::CantParseEntities(_))), "{err:?}");
    let err = bot.send_message(ChatId(u), " ").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageTextIsEmpty)), "{err:?}");
    let err = bot.send_message(ChatId(u), "ầ".repeat(4097)).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageIsTooLong)), "{err:?}");
    // 4096 characters is fine, whatever their byte length
    bot.send_message(ChatId(u), "ầ".repeat(4096)).await.unwrap();
}

#[tokio::test]
async fn documents_upload_once_and_their_file_id_resolves_to_the_same_file() {
    let (sim, bot) = setup().await;
    let a = started_user(&sim, "A");
    let b = started_user(&sim, "B");
    let bytes = b"%PDF-1.4 ke hoach".to_vec();
    let m = bot
        .send_document(ChatId(a), InputFile::memory(bytes.clone()).file_name("ke-hoach.pdf"))
        .caption("<b>Kế hoạch</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    let doc = m.document().unwrap();
    assert_eq!(doc.file_name.as_deref(), Some("ke-hoach.pdf"));
    assert_eq!(doc.file.size as usize, bytes.len());
    assert_eq!(m.caption(), Some("Kế hoạch"));
    // the same file by file_id to another chat: no upload, same file
    let again = bot.send_document(ChatId(b), InputFile::file_id(doc.file.id.clone())).await.unwrap();
    assert_eq!(again.document().unwrap().file.unique_id, doc.file.unique_id);
    // getFile and the download URL give the bytes back
    let f = bot.get_file(doc.file.id.clone()).await.unwrap();
    let mut got = Vec::new();
    bot.download_file(&f.path, &mut got).await.unwrap();
    assert_eq!(got, bytes);
    // a wrong file_id, an empty file and a caption over 1024 characters are refused
    let err = bot.send_document(ChatId(b), InputFile::file_id("BQACnope".into())).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::WrongFileIdOrUrl)), "{err:?}");
    let err = bot.send_document(ChatId(b), InputFile::memory(Vec::<u8>::new()).file_name("x.pdf")).await.unwrap_err();
    assert!(err.to_string().contains("file must be non-empty"), "{err}");
    let err = bot
        .send_document(ChatId(b), InputFile::file_id(doc.file.id.clone()))
        .caption("x".repeat(1025))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("message caption is too long"), "{err}");
}

#[tokio::test]
async fn uploads_over_50_mb_are_refused_and_downloads_over_20_mb_too() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    let err = bot
        .send_document(ChatId(u), InputFile::memory(vec![1u8; 50 * 1024 * 1024 + 1]).file_name("big.pdf"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Request Entity Too Large"), "{err}");
    let m = bot
        .send_document(ChatId(u), InputFile::memory(vec![1u8; 21 * 1024 * 1024]).file_name("mid.pdf"))
        .await
        .unwrap();
    let err = bot.get_file(m.document().unwrap().file.id.clone()).await.unwrap_err();
    assert!(err.to_string().contains("file is too big"), "{err}");
}

#[tokio::test]
async fn photos_media_groups_and_copies_arrive_as_telegram_shapes() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    let p = bot.send_photo(ChatId(u), InputFile::memory(vec![0xFF, 0xD8, 0xFF]).file_name("a.jpg")).await.unwrap();
    assert!(!p.photo().unwrap().is_empty());

    let docs = vec![
        InputMedia::Document(InputMediaDocument::new(InputFile::memory(b"one".to_vec()).file_name("1.pdf"))),
        InputMedia::Document(InputMediaDocument::new(InputFile::memory(b"two".to_vec()).file_name("2.docx"))),
    ];
    let album = bot.send_media_group(ChatId(u), docs).await.unwrap();
    assert_eq!(album.len(), 2);
    assert!(album[0].media_group_id().is_some());
    assert_eq!(album[0].media_group_id(), album[1].media_group_id());
    assert_eq!(album[1].document().unwrap().file_name.as_deref(), Some("2.docx"));

    let mixed = vec![
        InputMedia::Document(InputMediaDocument::new(InputFile::file_id(album[0].document().unwrap().file.id.clone()))),
        InputMedia::Photo(teloxide::types::InputMediaPhoto::new(InputFile::file_id(
            p.photo().unwrap()[0].file.id.clone(),
        ))),
    ];
    let err = bot.send_media_group(ChatId(u), mixed).await.unwrap_err();
    assert!(err.to_string().contains("can't be mixed"), "{err}");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let copy = bot.copy_message(ChatId(u), ChatId(u), album[0].id).await.unwrap();
    let copied = sim.bot_messages(u).into_iter().find(|m| m.message_id == copy.0 as i64).unwrap();
    assert_eq!(copied.document_name(), Some("1.pdf"));
}

#[tokio::test]
async fn edits_replace_text_and_buttons_and_an_unchanged_edit_is_refused() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("✅ Đã nhận", "ack:1")]]);
    let m = bot.send_message(ChatId(u), "Định hướng").reply_markup(keyboard.clone()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let edited =
        bot.edit_message_text(ChatId(u), m.id, "Định hướng (đã sửa)").reply_markup(keyboard.clone()).await.unwrap();
    assert_eq!(edited.text(), Some("Định hướng (đã sửa)"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let done = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("✅ A đã nhận", "noop")]]);
    bot.edit_message_reply_markup(ChatId(u), m.id).reply_markup(done.clone()).await.unwrap();
    let stored = sim.bot_messages(u).into_iter().find(|x| x.message_id == m.id.0 as i64).unwrap();
    assert_eq!(stored.button_texts(), ["✅ A đã nhận"]);
    assert_eq!(stored.edits.len(), 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let err = bot.edit_message_reply_markup(ChatId(u), m.id).reply_markup(done).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageNotModified)), "{err:?}");
    let err = bot.edit_message_text(ChatId(u), MessageId(9999), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)), "{err:?}");
    // a user's message cannot be edited by the bot
    let users = sim.messages(u).into_iter().find(|x| !x.from_bot).unwrap();
    let err = bot.edit_message_text(ChatId(u), MessageId(users.message_id as i32), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageCantBeEdited)), "{err:?}");
    // callback data over 64 bytes is refused
    let long = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(65))]]);
    let err = bot.send_message(ChatId(u), "x").reply_markup(long).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::ButtonDataInvalid)), "{err:?}");
}

#[tokio::test]
async fn delete_chat_action_and_get_chat_work() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "Lan");
    let m = bot.send_message(ChatId(u), "tạm").await.unwrap();
    bot.delete_message(ChatId(u), m.id).await.unwrap();
    assert!(sim.bot_messages(u)[0].deleted);
    let err = bot.delete_message(ChatId(u), m.id).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageToDeleteNotFound)), "{err:?}");
    bot.send_chat_action(ChatId(u), ChatAction::UploadDocument).await.unwrap();
    let chat = bot.get_chat(ChatId(u)).await.unwrap();
    assert_eq!(chat.first_name(), Some("Lan"));
    let g = sim.create_group("Chi bộ Nà Làng", ChatKind::Supergroup);
    sim.add_bot_to_group(g, u, None).unwrap();
    let chat = bot.get_chat(ChatId(g)).await.unwrap();
    assert_eq!(chat.title(), Some("Chi bộ Nà Làng"));
    assert!(chat.is_supergroup());
}

#[tokio::test]
async fn button_presses_arrive_as_callback_queries_and_are_answered_once() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "Lan");
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("✅ Đã nhận", "a:42")]]);
    let m = bot.send_message(ChatId(u), "Định hướng").reply_markup(keyboard).await.unwrap();
    let offset = bot.get_updates().await.unwrap().last().unwrap().id.as_offset();
    let qid = sim.press_button(u, u, m.id.0 as i64, "a:42").unwrap();
    assert!(sim.press_button(u, u, m.id.0 as i64, "forged").is_err(), "no such button");
    let ups = bot.get_updates().offset(offset).await.unwrap();
    let UpdateKind::CallbackQuery(q) = &ups[0].kind else { panic!("{:?}", ups[0].kind) };
    assert_eq!(q.id.0, qid);
    assert_eq!(q.data.as_deref(), Some("a:42"));
    assert!(!q.chat_instance.is_empty());
    assert_eq!(q.regular_message().unwrap().id, m.id);
    bot.answer_callback_query(q.id.clone()).text("Đã ghi nhận").await.unwrap();
    let answers = sim.callback_answers();
    assert_eq!(answers[0].text.as_deref(), Some("Đã ghi nhận"));
    assert_eq!(answers[0].chat_id, u);
    let err = bot.answer_callback_query(q.id.clone()).await.unwrap_err();
    assert!(err.to_string().contains("query is too old"), "{err}");
}

#[tokio::test]
async fn commands_are_kept_per_scope_and_language() {
    let (_sim, bot) = setup().await;
    let vi = vec![BotCommand::new("help", "Hướng dẫn")];
    let en = vec![BotCommand::new("help", "Help")];
    bot.set_my_commands(vi.clone()).await.unwrap();
    bot.set_my_commands(en.clone()).language_code("en").await.unwrap();
    let scoped = |id| BotCommandScope::Chat { chat_id: teloxide::types::Recipient::Id(ChatId(id)) };
    let err = bot.set_my_commands(vec![BotCommand::new("stats", "Số liệu")]).scope(scoped(42)).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::ChatNotFound)), "{err:?}");
    let u = started_user(&_sim, "Lan");
    bot.set_my_commands(vec![BotCommand::new("stats", "Số liệu")]).scope(scoped(u)).await.unwrap();
    assert_eq!(bot.get_my_commands().scope(scoped(u)).await.unwrap()[0].command, "stats");
    assert_eq!(bot.get_my_commands().await.unwrap(), vi);
    assert_eq!(bot.get_my_commands().language_code("en").await.unwrap(), en);
    bot.delete_my_commands().await.unwrap();
    assert!(bot.get_my_commands().await.unwrap().is_empty());
    let err = bot.set_my_commands(vec![BotCommand::new("Bad-Name", "x")]).await.unwrap_err();
    assert!(err.to_string().contains("BOT_COMMAND_INVALID"), "{err}");
}

#[tokio::test]
async fn webhooks_are_set_reported_pushed_with_the_secret_and_block_get_updates() {
    let (sim, bot) = setup().await;
    // a tiny receiver that records what Telegram pushes
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, Value)>();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, axum::Json(v): axum::Json<Value>| {
            let tx = tx.clone();
            async move {
                let secret = headers.get("x-telegram-bot-api-secret-token").map(|h| h.to_str().unwrap().to_string());
                tx.send((secret, v)).unwrap();
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let err = bot.set_webhook("http://example.org/hook".parse().unwrap()).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::WebhookRequireHttps)), "{err:?}");
    bot.set_webhook(url.parse().unwrap()).secret_token("s3cr3t_-x".to_string()).await.unwrap();
    assert_eq!(bot.get_webhook_info().await.unwrap().url.unwrap().as_str(), url);
    let err = bot.get_updates().await.unwrap_err();
    assert!(err.to_string().contains("can't use getUpdates method while webhook is active"), "{err}");

    let u = sim.create_user("Lan", None);
    sim.send_text(u, u, "/help").unwrap();
    let (secret, update) = tokio::time::timeout(WAIT, rx.recv()).await.unwrap().unwrap();
    assert_eq!(secret.as_deref(), Some("s3cr3t_-x"));
    assert_eq!(update["message"]["text"], "/help");
    assert!(sim.wait_until(WAIT, |s| s.pending_updates() == 0).await);

    bot.delete_webhook().await.unwrap();
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
    bot.get_updates().await.unwrap();
}

#[tokio::test]
async fn privacy_mode_hides_group_chatter_but_not_commands_replies_or_mentions() {
    let (sim, bot) = setup().await;
    let u = sim.create_user("Lan", None);
    let g = sim.create_group("Chi bộ", ChatKind::Group);
    sim.add_bot_to_group(g, u, Some("CODE123")).unwrap();
    let mine = bot.send_message(ChatId(g), "Báo cáo?").await.unwrap();
    sim.send_text(g, u, "chào cả nhà").unwrap();
    sim.send_text(g, u, "/help@other_bot").unwrap();
    sim.send_text(g, u, &format!("hỏi @{} chút", sim.bot_username())).unwrap();
    sim.reply(g, u, mine.id.0 as i64, "Đã họp ngày 2/10").unwrap();
    let texts: Vec<String> = bot
        .get_updates()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|u| match u.kind {
            UpdateKind::Message(m) => m.text().map(str::to_string),
            _ => None,
        })
        .collect();
    let bot_name = sim.bot_username();
    assert_eq!(
        texts,
        [format!("/start@{bot_name} CODE123"), format!("hỏi @{bot_name} chút"), "Đã họp ngày 2/10".into()]
    );
}

#[tokio::test]
async fn users_send_documents_and_photos_the_bot_can_download() {
    let (sim, bot) = setup().await;
    let u = sim.create_user("Lan", None);
    sim.send_document(u, u, "bien-ban.pdf", "application/pdf", b"bien ban".to_vec(), None).unwrap();
    sim.send_photo(u, u, vec![1, 2, 3], Some("ảnh buổi họp"), None).unwrap();
    let ups = bot.get_updates().await.unwrap();
    let UpdateKind::Message(doc) = &ups[0].kind else { panic!() };
    let d = doc.document().unwrap();
    assert_eq!(d.file_name.as_deref(), Some("bien-ban.pdf"));
    assert_eq!(d.mime_type.as_ref().unwrap().essence_str(), "application/pdf");
    let f = bot.get_file(d.file.id.clone()).await.unwrap();
    let mut got = Vec::new();
    bot.download_file(&f.path, &mut got).await.unwrap();
    assert_eq!(got, b"bien ban");
    let UpdateKind::Message(photo) = &ups[1].kind else { panic!() };
    assert_eq!(photo.caption(), Some("ảnh buổi họp"));
    assert!(photo.photo().unwrap().len() >= 2);
}
