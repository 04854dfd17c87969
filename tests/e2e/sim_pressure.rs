//! Telegram under pressure, as the simulator plays it: rate limits with retry_after, blocked and
//! kicked bots, vanished chats, migrated groups, and transient faults.

use std::time::{Duration, Instant};

use loa::sim::{ChatKind, FaultKind, FaultRule, RateLimits};
use serde_json::json;
use teloxide::prelude::*;
use teloxide::types::{InputFile, InputMedia, InputMediaDocument, UpdateKind};
use teloxide::{ApiError, RequestError};

use crate::harness::{setup, started_user};

fn retry_after(e: &RequestError) -> Option<u32> {
    match e {
        RequestError::RetryAfter(s) => Some(s.seconds()),
        _ => None,
    }
}

#[tokio::test]
async fn one_chat_takes_a_short_burst_then_one_message_a_second() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    for i in 0..3 {
        bot.send_message(ChatId(u), format!("{i}")).await.unwrap();
    }
    let err = bot.send_message(ChatId(u), "3").await.unwrap_err();
    assert_eq!(retry_after(&err), Some(1), "{err:?}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    bot.send_message(ChatId(u), "4").await.unwrap();
    let err = bot.send_message(ChatId(u), "5").await.unwrap_err();
    assert_eq!(retry_after(&err), Some(1), "sustained, the chat takes one a second: {err:?}");
    assert_eq!(sim.bot_messages(u).len(), 4);
}

#[tokio::test]
async fn the_global_rate_is_enforced_across_chats() {
    let (sim, bot) = setup().await;
    sim.set_limits(RateLimits { global_per_sec: 5, ..RateLimits::default() });
    let users: Vec<i64> = (0..6).map(|i| started_user(&sim, &format!("U{i}"))).collect();
    for u in &users[..5] {
        bot.send_message(ChatId(*u), "x").await.unwrap();
    }
    let err = bot.send_message(ChatId(users[5]), "x").await.unwrap_err();
    assert_eq!(retry_after(&err), Some(1), "{err:?}");
}

#[tokio::test]
async fn a_group_takes_20_messages_a_minute_and_album_items_count() {
    let (sim, bot) = setup().await;
    sim.set_limits(RateLimits { per_chat_per_sec: 100, per_chat_burst: 100, ..RateLimits::default() });
    let u = sim.create_user("A", None);
    let g = sim.create_group("Chi bộ", ChatKind::Group);
    sim.add_bot_to_group(g, u, None).unwrap();
    for i in 0..18 {
        bot.send_message(ChatId(g), format!("{i}")).await.unwrap();
    }
    // an album of 3 documents is 3 messages: 18 + 3 > 20
    let album = |n: usize| -> Vec<InputMedia> {
        (0..n)
            .map(|i| {
                InputMedia::Document(InputMediaDocument::new(
                    InputFile::memory(vec![b'x'; 3]).file_name(format!("{i}.pdf")),
                ))
            })
            .collect()
    };
    let err = bot.send_media_group(ChatId(g), album(3)).await.unwrap_err();
    let wait = retry_after(&err).expect("429");
    assert!((50..=60).contains(&wait), "retry_after {wait}");
    bot.send_media_group(ChatId(g), album(2)).await.unwrap();
    let err = bot.send_message(ChatId(g), "21").await.unwrap_err();
    assert!(retry_after(&err).is_some());
}

#[tokio::test]
async fn limits_can_be_switched_off_for_a_fast_run() {
    let (sim, bot) = setup().await;
    sim.set_limits(RateLimits { enforce: false, ..RateLimits::default() });
    let u = started_user(&sim, "A");
    for i in 0..50 {
        bot.send_message(ChatId(u), format!("{i}")).await.unwrap();
    }
    assert_eq!(sim.bot_messages(u).len(), 50);
}

#[tokio::test]
async fn blocked_kicked_deactivated_and_missing_chats_answer_like_telegram() {
    let (sim, bot) = setup().await;
    let blocked = started_user(&sim, "Blocked");
    sim.block_bot(blocked, true).unwrap();
    let err = bot.send_message(ChatId(blocked), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::BotBlocked)), "{err:?}");

    let gone = started_user(&sim, "Gone");
    sim.deactivate_user(gone);
    let err = bot.send_message(ChatId(gone), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::UserDeactivated)), "{err:?}");

    let shy = sim.create_user("Never started", None);
    let err = bot.send_message(ChatId(shy), "x").await.unwrap_err();
    assert!(err.to_string().contains("bot can't initiate conversation with a user"), "{err}");

    let admin = started_user(&sim, "Admin");
    let group = sim.create_group("G", ChatKind::Group);
    sim.add_bot_to_group(group, admin, None).unwrap();
    sim.remove_bot_from_group(group, admin).unwrap();
    let err = bot.send_message(ChatId(group), "x").await.unwrap_err();
    assert!(err.to_string().contains("Forbidden: bot was kicked from the group chat"), "{err}");
    let sg = sim.create_group("SG", ChatKind::Supergroup);
    sim.add_bot_to_group(sg, admin, None).unwrap();
    sim.remove_bot_from_group(sg, admin).unwrap();
    let err = bot.send_message(ChatId(sg), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::BotKickedFromSupergroup)), "{err:?}");

    let err = bot.send_message(ChatId(-1_009_999_999_999), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::ChatNotFound)), "{err:?}");
    sim.delete_chat(admin);
    let err = bot.send_message(ChatId(admin), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::ChatNotFound)), "{err:?}");

    // blocking and kicking also arrive as my_chat_member updates
    let kinds: Vec<String> = bot
        .get_updates()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|u| match u.kind {
            UpdateKind::MyChatMember(m) => Some(format!("{}:{:?}", m.chat.id.0, m.new_chat_member.kind)),
            _ => None,
        })
        .collect();
    assert!(kinds.iter().any(|k| k.starts_with(&format!("{blocked}:Banned"))), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with(&format!("{group}:Banned"))), "{kinds:?}");
}

#[tokio::test]
async fn a_migrated_group_answers_with_its_new_id_and_both_chats_announce_it() {
    let (sim, bot) = setup().await;
    let u = sim.create_user("A", None);
    let g = sim.create_group("Chi bộ", ChatKind::Group);
    sim.add_bot_to_group(g, u, None).unwrap();
    let new_id = sim.migrate_group(g, u).unwrap();
    assert!(new_id < -1_000_000_000_000, "supergroup ids start at -100…");
    let err = bot.send_message(ChatId(g), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::MigrateToChatId(c) if c.0 == new_id), "{err:?}");
    bot.send_message(ChatId(new_id), "x").await.unwrap();
    let ups = bot.get_updates().await.unwrap();
    let migrate_to = ups.iter().find_map(|u| match &u.kind {
        UpdateKind::Message(m) => m.migrate_to_chat_id().map(|c| (m.chat.id.0, c.0)),
        _ => None,
    });
    assert_eq!(migrate_to, Some((g, new_id)));
    let migrate_from = ups.iter().find_map(|u| match &u.kind {
        UpdateKind::Message(m) => m.migrate_from_chat_id().map(|c| (m.chat.id.0, c.0)),
        _ => None,
    });
    assert_eq!(migrate_from, Some((new_id, g)));
}

#[tokio::test]
async fn faults_hit_the_chosen_method_the_chosen_number_of_times() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    sim.set_limits(RateLimits { enforce: false, ..RateLimits::default() });

    // a dropped connection is a network error for the bot
    sim.add_fault(FaultRule {
        method: Some("sendmessage".into()),
        chat_id: None,
        probability: 1.0,
        remaining: Some(1),
        fault: FaultKind::Drop,
    });
    let err = bot.send_message(ChatId(u), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    bot.send_message(ChatId(u), "after the drop").await.unwrap();
    assert_eq!(sim.bot_messages(u).len(), 1, "a drop before the request is carried out sends nothing");

    // a drop after the request is carried out: the message is there, the bot saw an error
    sim.add_fault(FaultRule {
        method: Some("sendmessage".into()),
        chat_id: None,
        probability: 1.0,
        remaining: Some(1),
        fault: FaultKind::DropAfter,
    });
    let err = bot.send_message(ChatId(u), "lost answer").await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    assert_eq!(sim.bot_messages(u).last().unwrap().text(), Some("lost answer"));

    // a slow answer is slow, then normal
    sim.add_fault(FaultRule {
        method: Some("sendmessage".into()),
        chat_id: Some(u),
        probability: 1.0,
        remaining: Some(1),
        fault: FaultKind::Slow { millis: 700 },
    });
    let t = Instant::now();
    bot.send_message(ChatId(u), "slow").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(700));

    // any Bot API error can be injected, e.g. a 429 with its retry_after
    sim.add_fault(FaultRule {
        method: None,
        chat_id: Some(u),
        probability: 1.0,
        remaining: Some(2),
        fault: FaultKind::Api {
            code: 429,
            description: "Too Many Requests: retry after 7".into(),
            retry_after: Some(7),
        },
    });
    assert_eq!(retry_after(&bot.send_message(ChatId(u), "x").await.unwrap_err()), Some(7));
    assert_eq!(retry_after(&bot.send_message(ChatId(u), "x").await.unwrap_err()), Some(7));
    bot.send_message(ChatId(u), "x").await.unwrap();

    // server errors come back with their status (teloxide waits 10 s after a 5xx, so read it raw)
    sim.add_fault(FaultRule {
        method: Some("getme".into()),
        chat_id: None,
        probability: 1.0,
        remaining: Some(2),
        fault: FaultKind::ServerError { status: 500 },
    });
    let url = format!("{}/bot{}/getMe", sim.url(), sim.token());
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"})
    );
    sim.clear_faults();
    sim.add_fault(FaultRule {
        method: Some("getme".into()),
        chat_id: None,
        probability: 1.0,
        remaining: None,
        fault: FaultKind::ServerError { status: 502 },
    });
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("<html>"), "a proxy's 502 page is HTML");
    sim.clear_faults();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);

    // a probability hits about that share of requests
    sim.add_fault(FaultRule {
        method: Some("getchat".into()),
        chat_id: None,
        probability: 0.3,
        remaining: None,
        fault: FaultKind::Api { code: 400, description: "Bad Request: chat not found".into(), retry_after: None },
    });
    let mut failed = 0;
    for _ in 0..200 {
        if bot.get_chat(ChatId(u)).await.is_err() {
            failed += 1;
        }
    }
    assert!((30..=90).contains(&failed), "{failed} of 200 failed at p = 0.3");
}

#[tokio::test]
async fn the_control_api_over_http_plays_users_and_reads_the_chat() {
    let (sim, bot) = setup().await;
    let c = reqwest::Client::new();
    let base = sim.url();
    let post = |path: &str, body: serde_json::Value| {
        let c = c.clone();
        let url = format!("{base}{path}");
        async move { c.post(url).json(&body).send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let user = post("/_sim/users", json!({"first_name": "Lan"})).await["result"].as_i64().unwrap();
    let sent = post(&format!("/_sim/chats/{user}/messages"), json!({"from": user, "text": "/start"})).await;
    assert_eq!(sent["ok"], true);
    let ups = bot.get_updates().await.unwrap();
    assert_eq!(ups.len(), 1);
    bot.send_message(ChatId(user), "Chào").await.unwrap();
    let msgs: serde_json::Value =
        c.get(format!("{base}/_sim/chats/{user}/messages")).send().await.unwrap().json().await.unwrap();
    let list = msgs["result"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["from_bot"], true);
    assert_eq!(list[1]["json"]["text"], "Chào");
    let group =
        post("/_sim/groups", json!({"title": "Chi bộ", "kind": "supergroup"})).await["result"].as_i64().unwrap();
    assert!(group < -1_000_000_000_000);
    let added = post(&format!("/_sim/chats/{group}/bot"), json!({"action": "add", "by": user})).await;
    assert_eq!(added["ok"], true);
    let bad = post(&format!("/_sim/chats/{group}/bot"), json!({"action": "dance", "by": user})).await;
    assert_eq!(bad["ok"], false);
    let calls: serde_json::Value = c.get(format!("{base}/_sim/calls")).send().await.unwrap().json().await.unwrap();
    assert_eq!(calls["result"]["sendmessage"], 1);
}

#[tokio::test]
async fn server_errors_reach_teloxide_as_telegram_sends_them() {
    let (sim, bot) = setup().await;
    let u = started_user(&sim, "A");
    let fault = |method: &str, status| FaultRule {
        method: Some(method.into()),
        chat_id: None,
        probability: 1.0,
        remaining: Some(1),
        fault: FaultKind::ServerError { status },
    };
    sim.add_fault(fault("getme", 500));
    sim.add_fault(fault("getchat", 502));
    // teloxide waits 10 s after any 5xx before it reads the answer; both run side by side
    let (me, chat) = tokio::join!(bot.get_me().into_future(), bot.get_chat(ChatId(u)).into_future());
    assert!(matches!(&me, Err(RequestError::Api(ApiError::Unknown(d))) if d == "Internal Server Error"), "{me:?}");
    assert!(matches!(&chat, Err(RequestError::InvalidJson { .. })), "a proxy's HTML page is not JSON: {chat:?}");
    bot.get_me().await.unwrap();
}
