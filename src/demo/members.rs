//! The province's simulated members: one cell's members answering a pack (pressing ✅, and the
//! report dialogue's four questions), used by the demo, the tests and the benchmarks.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::sim::Sim;

/// The latest question `number` ("1/4"...) of the report dialogue put to `user` in `chat`, asked
/// after the user's last message there.
pub async fn question(sim: &Sim, chat: i64, user: i64, number: &str) -> anyhow::Result<i64> {
    let mention = format!("tg://user?id={user}");
    let start = Instant::now();
    loop {
        let all = sim.messages(chat);
        let after = all.iter().rposition(|m| !m.from_bot && m.json["from"]["id"] == user).map(|i| i + 1).unwrap_or(0);
        let found = all.iter().skip(after).rev().find(|m| {
            m.from_bot
                && m.source.as_deref().is_some_and(|s| s.contains(&mention) && s.contains(number))
                && m.json.pointer("/reply_markup/force_reply").is_some()
        });
        if let Some(m) = found {
            return Ok(m.message_id);
        }
        if start.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("question {number} never came to user {user} in chat {chat}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What one cell's members will do with the pack.
#[derive(Debug, Clone)]
pub struct Plan {
    pub chat: i64,
    pub user: i64,
    /// The pack's message with the buttons, and its delivery.
    pub message_id: i64,
    pub delivery_id: i64,
    pub ack: bool,
    pub report: bool,
    pub delay: Duration,
    pub attendance: u32,
}

/// One cell's members answering the pack: perhaps acknowledging, perhaps reporting (📝, then the
/// dialogue's four questions answered). Says what they did: (acknowledged, reported).
pub async fn answer(sim: &Sim, plan: Plan) -> anyhow::Result<(bool, bool)> {
    let Plan { chat, user, message_id, delivery_id, ack, report, delay, attendance } = plan;
    tokio::time::sleep(delay).await;
    if ack {
        sim.press_button(chat, user, message_id, &format!("a:{delivery_id}"))
            .map_err(|e| anyhow::anyhow!("pressing ✅ on message {message_id} in chat {chat}: {e}"))?;
    }
    if !report {
        return Ok((ack, false));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.press_button(chat, user, message_id, &format!("r:{delivery_id}"))
        .map_err(|e| anyhow::anyhow!("pressing 📝 on message {message_id} in chat {chat}: {e}"))?;
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let day = (Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1)).format("%d/%m/%Y").to_string();
    let answers = [
        ("1/4", day),
        ("2/4", attendance.to_string()),
        ("3/4", "Chi bộ đã quán triệt đầy đủ; đảng viên và quần chúng đồng tình, phấn khởi.".to_string()),
        ("4/4", "Không".to_string()),
    ];
    for (number, text) in answers {
        let q = question(sim, chat, user, number).await?;
        sim.reply(chat, user, q, &text)
            .map_err(|e| anyhow::anyhow!("answering question {number} in chat {chat}: {e}"))?;
    }
    Ok((ack, true))
}
