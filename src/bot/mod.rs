//! The Telegram side of Loa: the handler tree ([`schema`]) and what each update leads to.
//! Every sentence comes from the catalogs ([`crate::i18n`]) in the chat's language.
//!
//! - `commands.rs`: the command enums and the per-scope menus;
//! - `start.rs`: `/start`, with an invite code binding the chat to its cell;
//! - `staff.rs`: `/whoami` and the admin commands, with the role checked on every call;
//! - `cell.rs`: what cells do: acknowledge, report, list their packs, ask for documents again;
//! - `newpack.rs`: composing a pack in chat (`/newpack`, `/cancel`) and `/packs`;
//! - `analytics.rs`: `/stats`, `/pending`, `/export`, `/chart` for staff;
//! - `announce.rs`: what the scheduler tells the board;
//! - `chats.rs`: following the chats (bot removed, blocked, re-added; group migrated);
//! - `lanes.rs`: the way in: each chat's updates in turn, a chat's backlog bounded;
//! - `gate.rs`: who a message comes from (its chat's cell, its sender's role), strangers
//!   answered at most once a minute;
//! - `replies.rs`: the way out: answers queued per chat and sent through the limiter on the side,
//!   so that no handler waits on Telegram's limits.

mod analytics;
pub mod announce;
mod cell;
mod chats;
pub mod commands;
pub mod gate;
pub mod lanes;
mod newpack;
pub mod replies;
mod staff;
mod start;

use std::sync::Arc;

use sqlx::SqlitePool;
use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::ReplyMarkup;

pub use commands::{AdminCommand, BoardCommand, Command};

use crate::config::Config;
use crate::delivery::limiter::Limiter;
use crate::i18n::{Args, Catalog, Locale};

/// What every handler shares: the database, the configuration, the catalogs, the bell that
/// wakes the scheduler when a schedule changes, and the ways in and out.
pub struct Ctx {
    pub pool: SqlitePool,
    pub config: Arc<Config>,
    pub catalog: Catalog,
    pub schedule_changed: Arc<tokio::sync::Notify>,
    /// The one limiter every message of this process goes through (answers, packs, progress).
    pub limiter: Arc<Limiter>,
    /// Answers, queued per chat and sent on the side.
    pub replies: Arc<replies::Replies>,
    /// Each chat's updates in turn.
    pub lanes: Arc<lanes::Lanes>,
    /// Strangers' chats, answered once a minute.
    pub strangers: gate::PerChat,
    /// Refusals audited per chat.
    pub refusal_audits: gate::PerChat,
    /// Chats whose last-seen time is being written (one write at a time a chat).
    pub noting_seen: std::sync::Mutex<std::collections::HashSet<i64>>,
}

impl Ctx {
    pub fn new(pool: SqlitePool, config: Arc<Config>, bot: Bot) -> Ctx {
        let limiter = Arc::new(Limiter::new(config.delivery.messages_per_second));
        Ctx {
            pool,
            config,
            catalog: Catalog::new(),
            schedule_changed: Arc::new(tokio::sync::Notify::new()),
            replies: replies::Replies::new(bot, limiter.clone()),
            limiter,
            lanes: lanes::Lanes::new(),
            strangers: gate::PerChat::strangers(),
            refusal_audits: gate::PerChat::refusal_audits(),
            noting_seen: Default::default(),
        }
    }
}

pub type HandlerResult = anyhow::Result<()>;

/// The handler tree. Every update first takes its chat's turn ([`lanes`]); a message then learns
/// who it comes from ([`gate`]), which drops a stranger's messages past one a minute.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .filter_map_async(gate::caller)
        .branch(
            dptree::filter(|msg: Message| msg.migrate_to_chat_id().is_some() || msg.migrate_from_chat_id().is_some())
                .endpoint(chats::on_migration),
        )
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(teloxide::filter_command::<AdminCommand, _>().endpoint(staff::on_admin_command))
        .branch(teloxide::filter_command::<BoardCommand, _>().endpoint(newpack::on_board_command))
        .branch(dptree::filter_map_async(cell::active_report).endpoint(cell::on_report_message))
        .branch(dptree::filter_map_async(newpack::active_dialogue).endpoint(newpack::on_dialogue_message))
        .branch(dptree::endpoint(on_other_message));
    dptree::entry()
        .filter_map_async(|update: Update, ctx: Arc<Ctx>| async move { ctx.lanes.turn(&update).await })
        .branch(messages)
        .branch(Update::filter_callback_query().endpoint(cell::on_callback))
        .branch(Update::filter_my_chat_member().endpoint(chats::on_my_chat_member))
}

impl Ctx {
    /// The language of a chat: its /lang choice, else the configured default.
    pub async fn locale(&self, chat_id: ChatId) -> Locale {
        crate::i18n::chat_locale(&self.pool, chat_id.0, self.config.default_locale).await
    }

    async fn set_locale(&self, chat_id: ChatId, locale: Locale) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO chat_prefs (chat_id, locale, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at",
        )
        .bind(chat_id.0)
        .bind(locale.code())
        .bind(crate::dates::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Answers in a chat: the answer is queued ([`replies`]) and leaves on the side, through the
/// limiter and [`insist`]; the handler goes on at once.
pub(crate) async fn say(replies: &Arc<replies::Replies>, chat_id: ChatId, html: String) -> HandlerResult {
    say_with(replies, chat_id, html, None).await
}

/// [`say`] with a keyboard.
pub(crate) async fn say_with(
    replies: &Arc<replies::Replies>,
    chat_id: ChatId,
    html: String,
    markup: Option<ReplyMarkup>,
) -> HandlerResult {
    replies.send(chat_id, replies::Reply::Text { html, markup });
    Ok(())
}

/// Whether a failed request may go through if made again: the network or Telegram's front end
/// failed (a dropped connection, a 5xx, an HTML page instead of JSON), not the request itself.
/// JSON that teloxide could not read is not one: the request may well have been carried out.
pub(crate) fn passing_failure(e: &teloxide::RequestError) -> bool {
    use teloxide::RequestError as E;
    match e {
        E::Network(_) | E::Io(_) => true,
        E::InvalidJson { raw, .. } => !raw.trim_start().starts_with('{'),
        E::Api(teloxide::ApiError::Unknown(s)) => {
            ["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"]
                .iter()
                .any(|p| s.starts_with(p))
        }
        _ => false,
    }
}

/// Makes a request for someone who is waiting for it (an answer, a question of a dialogue, a
/// button's new state): a 429 is waited out as told (up to a minute), a passing failure tried
/// again after 1 s, 2 s, 4 s and 8 s (teloxide itself waits 10 s after a 5xx before it answers);
/// four more tries at most. With `limiter`, every try takes its
/// turn in the chat. A request that went through but whose answer was lost may so arrive twice.
pub(crate) async fn insist<T, F, Fut>(
    limiter: Option<(&Limiter, i64)>,
    what: &'static str,
    mut make: F,
) -> Result<T, teloxide::RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, teloxide::RequestError>>,
{
    let mut tries = 0u32;
    loop {
        if let Some((l, chat)) = limiter {
            l.acquire(chat, 1).await;
        }
        let wait = match make().await {
            Ok(v) => return Ok(v),
            Err(teloxide::RequestError::RetryAfter(wait)) if tries < 4 && wait.duration().as_secs() <= 60 => {
                tracing::warn!(request = what, retry_after_s = wait.seconds(), "throttled by Telegram; waiting");
                wait.duration()
            }
            Err(e) if tries < 4 && passing_failure(&e) => {
                let wait = std::time::Duration::from_secs(1 << tries);
                tracing::warn!(request = what, error = %crate::logging::redact(&e.to_string()), retry_in_s = wait.as_secs(), "request failed; trying again");
                wait
            }
            Err(e) => return Err(e),
        };
        tokio::time::sleep(wait).await;
        tries += 1;
    }
}

async fn on_command(bot: Bot, msg: Message, cmd: Command, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    // the command's name only: an argument may be an invite code
    let name = match &cmd {
        Command::Start(code) if !code.trim().is_empty() => "start <code>",
        Command::Start(_) => "start",
        Command::Help => "help",
        Command::Lang(_) => "lang",
        Command::Whoami => "whoami",
        Command::Report => "report",
    };
    tracing::info!(chat_id = chat.0, command = name, "command");
    match cmd {
        Command::Start(code) => start::on_start(&bot, &msg, code.trim(), &ctx, locale).await,
        Command::Help => say(&ctx.replies, chat, c.s(locale, "help")).await,
        Command::Lang(arg) => match Locale::parse(&arg) {
            Some(new) => {
                ctx.set_locale(chat, new).await?;
                say(&ctx.replies, chat, c.s(new, "lang-set")).await
            }
            None => say(&ctx.replies, chat, c.t(locale, "lang-usage", Args::new().user("given", arg.trim()))).await,
        },
        Command::Whoami => staff::on_whoami(&msg, &ctx, locale).await,
        Command::Report => cell::on_report_command(&msg, &ctx, locale).await,
    }
}

/// Messages that are not one of our commands. In a private chat Loa says what it understands;
/// in a group it answers only an unknown command addressed to it by name.
async fn on_other_message(msg: Message, me: teloxide::types::Me, ctx: Arc<Ctx>) -> HandlerResult {
    let Some(text) = msg.text() else { return Ok(()) };
    let chat = msg.chat.id;
    let first = text.split_whitespace().next().unwrap_or("");
    let addressed = first.split_once('@').map(|(_, to)| to.eq_ignore_ascii_case(me.username())).unwrap_or(false);
    if !msg.chat.is_private() && !addressed {
        return Ok(());
    }
    let locale = ctx.locale(chat).await;
    let reply = if first.starts_with('/') {
        let command = first.split('@').next().unwrap_or(first);
        ctx.catalog.t(locale, "unknown-command", Args::new().user("command", command))
    } else {
        ctx.catalog.s(locale, "not-understood")
    };
    say(&ctx.replies, chat, reply).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::{ApiError as A, RequestError as E};

    #[test]
    fn only_failures_on_the_way_are_tried_again() {
        assert!(passing_failure(&E::Api(A::Unknown("Internal Server Error".into()))));
        assert!(passing_failure(&E::Api(A::Unknown("Bad Gateway".into()))));
        assert!(passing_failure(&E::Io(Arc::new(std::io::Error::other("connection reset")))));
        let invalid = |raw: &str| E::InvalidJson {
            source: Arc::new(serde_json::from_str::<serde_json::Value>(raw).unwrap_err()),
            raw: raw.into(),
        };
        assert!(passing_failure(&invalid("<html><head><title>502 Bad Gateway</title></head></html>")));
        assert!(!passing_failure(&invalid("{\"ok\":true,\"result\":{\"message_id\":")), "carried out, maybe");
        assert!(!passing_failure(&E::Api(A::Unknown("Bad Request: message to edit not found".into()))));
        assert!(!passing_failure(&E::Api(A::BotBlocked)));
        assert!(!passing_failure(&E::Api(A::MessageNotModified)));
        assert!(!passing_failure(&E::RetryAfter(teloxide::types::Seconds::from_seconds(3))));
    }
}
