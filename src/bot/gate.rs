//! Who a message comes from, read once before any handler: the cell its chat holds, the staff
//! role of its sender. Strangers (a chat bound to no cell, a sender with no role) are answered at
//! most once a minute per chat: their other messages are dropped before anything is read or
//! written for them. An invite code (`/start <code>`) always passes: redeeming one is throttled
//! on its own (failed codes per chat and per user).
//!
//! The same read notes when a bound chat was last heard from, at most once a minute, inside the
//! write turn, so that a chatty group does not write on every message.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use super::{Ctx, HandlerResult};
use crate::cells::{self, Cell, CellStatus};
use crate::staff::{self, Role, SERVICE_ACCOUNTS, StaffMember};

/// How often a stranger's chat is answered.
pub const STRANGER_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);
/// How stale `cells.last_seen_at` may be before a message from the chat writes it again.
pub const SEEN_EVERY_S: i64 = 60;

/// The sender of `msg` as a person who may hold a staff role: none when the message was sent on
/// behalf of a chat (an anonymous admin, a channel) or by one of Telegram's service accounts.
pub fn person(msg: &Message) -> Option<i64> {
    if msg.sender_chat.is_some() {
        return None;
    }
    let id = msg.from.as_ref()?.id.0 as i64;
    (!SERVICE_ACCOUNTS.contains(&id)).then_some(id)
}

/// What is known of a message's origin before it is handled.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The cell this chat holds now.
    pub cell: Option<Cell>,
    /// The sender's staff role, when the sender is a person.
    pub staff: Option<StaffMember>,
}

/// A quota per chat: `burst` at once, then one every `period`.
pub struct PerChat(DefaultKeyedRateLimiter<i64>);

impl PerChat {
    pub fn new(period: std::time::Duration, burst: u32) -> PerChat {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        PerChat(RateLimiter::keyed(Quota::with_period(period).expect("a non-zero period").allow_burst(burst)))
    }

    /// Strangers' chats: one answer a minute.
    pub fn strangers() -> PerChat {
        PerChat::new(STRANGER_PERIOD, 1)
    }

    /// Refusals written to the audit log: five at once, then one every twelve seconds a chat
    /// (each refusal is logged all the same).
    pub fn refusal_audits() -> PerChat {
        PerChat::new(std::time::Duration::from_secs(12), 5)
    }

    /// Takes one of `chat`'s tokens; false when it has none left.
    pub fn admit(&self, chat: i64) -> bool {
        // the keyed state grows with every chat seen: forget those whose minute is over
        if self.0.len() > 10_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&chat).is_ok()
    }
}

/// Whether Loa answers `msg` at all: anything in a private chat; in a group only a command of its
/// own (`/help`, or any `/x@loa_bot`): privacy mode lets little else through, and another bot's
/// command is none of Loa's business.
fn answered(msg: &Message, bot_username: &str) -> bool {
    use teloxide::utils::command::BotCommands;
    if msg.chat.is_private() {
        return true;
    }
    let Some(text) = msg.text().filter(|t| t.starts_with('/')) else { return false };
    let first = text.split_whitespace().next().unwrap_or("");
    if let Some((_, to)) = first.split_once('@') {
        return to.eq_ignore_ascii_case(bot_username);
    }
    super::Command::parse(text, bot_username).is_ok()
        || super::BoardCommand::parse(text, bot_username).is_ok()
        || super::StaffCommand::parse(text, bot_username).is_ok()
        || super::AdminCommand::parse(text, bot_username).is_ok()
}

fn is_invite(msg: &Message) -> bool {
    let Some(text) = msg.text() else { return false };
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let command = first.split('@').next().unwrap_or(first);
    command.eq_ignore_ascii_case("/start") && words.next().is_some()
}

/// Reads who `msg` comes from; `None` drops it (a stranger heard from less than a minute ago).
pub(super) async fn caller(msg: Message, me: teloxide::types::Me, ctx: Arc<Ctx>) -> Option<Caller> {
    let chat = msg.chat.id.0;
    let read = async {
        let mut conn = ctx.pool.acquire().await?;
        let cell = cells::by_chat(&mut conn, chat).await?.filter(|c| c.status() != CellStatus::Retired);
        drop(conn);
        let staff = match person(&msg) {
            Some(user) => staff::role_of(&ctx.pool, &ctx.config.admins, user).await?,
            None => None,
        };
        anyhow::Ok(Caller { cell, staff })
    };
    let caller = match read.await {
        Ok(c) => c,
        Err(e) => {
            // the database cannot be read: handle the message as before, the handlers will say so
            tracing::warn!(chat_id = chat, error = %format!("{e:#}"), "failed to read who a message comes from");
            return Some(Caller { cell: None, staff: None });
        }
    };
    let stranger = caller.cell.is_none() && caller.staff.is_none();
    if stranger && !is_invite(&msg) && answered(&msg, me.username()) && !ctx.strangers.admit(chat) {
        tracing::debug!(chat_id = chat, "a stranger's message dropped: answered less than a minute ago");
        return None;
    }
    if let Some(cell) = &caller.cell {
        let now = crate::dates::now();
        // on the side: the message need not wait for the write turn (a full disk, a broadcast
        // writing) for a note of when the chat was last heard from; one write at a time a chat
        let stale = cell.last_seen_at.is_none_or(|seen| seen <= now - SEEN_EVERY_S);
        if stale && ctx.noting_seen.lock().unwrap_or_else(|e| e.into_inner()).insert(chat) {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                if let Err(e) = cells::binding::touch(&ctx.pool, chat, now).await {
                    tracing::warn!(error = %e, "failed to note the chat as seen");
                }
                ctx.noting_seen.lock().unwrap_or_else(|e| e.into_inner()).remove(&chat);
            });
        }
    }
    Some(caller)
}

/// The gate of a role: passes the sender's staff record on when their role includes `needed`
/// (an admin passes every gate, a board member the board's and the district officers').
pub(super) fn staff_with(needed: Role) -> impl Fn(Caller) -> Option<StaffMember> + Clone + Send + Sync + 'static {
    move |caller: Caller| caller.staff.filter(|m| m.role.includes(needed))
}

/// The command a message starts with, as typed but without the bot's name: "/stats".
pub(super) fn command_name(msg: &Message) -> String {
    let first = msg.text().and_then(|t| t.split_whitespace().next()).unwrap_or("");
    first.split('@').next().unwrap_or(first).to_lowercase()
}

/// The one refusing endpoint: a command whose role gate did not open. A member of staff hears that
/// their role does not allow it, anyone else that it is for staff; see [`deny`].
pub(super) async fn refuse(msg: Message, ctx: Arc<Ctx>, caller: Caller) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let user_id = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or(0);
    let key = if caller.staff.is_some() { "denied-admin" } else { "denied-staff" };
    deny(&ctx, chat, user_id, &command_name(&msg), key, locale).await
}

/// Staff work in their private chat only: figures stay out of groups, and nothing a member of staff
/// does is done by typing in a group (an invite code or a grant would be read by everyone there).
/// The endpoint for a staff command typed elsewhere, answering with the catalog's `key`.
pub(super) fn elsewhere_than_private(key: &'static str) -> UpdateHandler<anyhow::Error> {
    dptree::filter(|msg: Message| !msg.chat.is_private()).endpoint(move |msg: Message, ctx: Arc<Ctx>| async move {
        let locale = ctx.locale(msg.chat.id).await;
        let args = crate::i18n::Args::new().raw("command", command_name(&msg));
        super::say(&ctx.replies, msg.chat.id, ctx.catalog.t(locale, key, args)).await
    })
}

/// Refuses a staff command: logged always, audited within the chat's quota of refusals (a member
/// typing a refused command again and again writes a few rows, not one each time), and the
/// member told why.
pub(super) async fn deny(
    ctx: &Ctx,
    chat: teloxide::types::ChatId,
    user_id: i64,
    command: &str,
    key: &str,
    locale: crate::i18n::Locale,
) -> HandlerResult {
    tracing::warn!(chat_id = chat.0, user_id, command, "staff command refused: no permission");
    if ctx.refusal_audits.admit(chat.0) {
        staff::record_denial(&ctx.pool, user_id, command).await?;
    }
    let text = ctx.catalog.t(locale, key, crate::i18n::Args::new().raw("command", command.to_string()));
    super::say(&ctx.replies, chat, text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(json: serde_json::Value) -> Message {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_message_on_behalf_of_a_chat_is_no_persons() {
        let chat = serde_json::json!({"id": -100, "type": "group", "title": "G"});
        let from = |id: i64| serde_json::json!({"id": id, "is_bot": false, "first_name": "A"});
        let plain =
            msg(serde_json::json!({"message_id": 1, "date": 0, "chat": chat, "from": from(42), "text": "/stats"}));
        assert_eq!(person(&plain), Some(42));
        let anonymous = msg(serde_json::json!({"message_id": 1, "date": 0, "chat": chat, "from": from(1087968824),
            "sender_chat": chat, "text": "/stats"}));
        assert_eq!(person(&anonymous), None);
        for id in SERVICE_ACCOUNTS {
            let m =
                msg(serde_json::json!({"message_id": 1, "date": 0, "chat": chat, "from": from(id), "text": "/stats"}));
            assert_eq!(person(&m), None, "{id}");
        }
    }

    #[test]
    fn an_invite_is_a_start_with_a_code() {
        let chat = serde_json::json!({"id": 5, "type": "private", "first_name": "A"});
        let with = |t: &str| msg(serde_json::json!({"message_id": 1, "date": 0, "chat": chat, "text": t}));
        assert!(is_invite(&with("/start ABC")));
        assert!(is_invite(&with("/start@loa_bot ABC")));
        assert!(!is_invite(&with("/start")));
        assert!(!is_invite(&with("/help ABC")));
    }

    #[test]
    fn in_a_group_only_loas_commands_are_answered() {
        let group = serde_json::json!({"id": -5, "type": "group", "title": "G"});
        let private = serde_json::json!({"id": 5, "type": "private", "first_name": "A"});
        let at = |chat: &serde_json::Value, t: &str| {
            answered(&msg(serde_json::json!({"message_id": 1, "date": 0, "chat": chat, "text": t})), "loa_bot")
        };
        assert!(at(&private, "xin chào"));
        assert!(at(&group, "/help"));
        assert!(at(&group, "/help@loa_bot"));
        assert!(at(&group, "/bogus@Loa_Bot"));
        assert!(at(&group, "/stats 3"));
        assert!(!at(&group, "/weather"));
        assert!(!at(&group, "/help@other_bot"));
        assert!(!at(&group, "họp lúc 8 giờ"));
    }
}
