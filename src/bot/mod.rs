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
//!
//! The way out (answers queued per chat and sent through the limiter on the side, so that no
//! handler waits on Telegram's limits) is [`crate::telegram::replies`].

mod analytics;
pub mod announce;
mod cell;
mod chats;
pub mod commands;
pub mod gate;
pub mod lanes;
mod newpack;
mod staff;
mod start;

use std::sync::Arc;

use sqlx::SqlitePool;
use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;

pub use commands::{AdminCommand, BoardCommand, Command};

use crate::config::Config;
use crate::i18n::{Args, Catalog, Locale};
use crate::telegram::limiter::Limiter;
use crate::telegram::replies;
pub(crate) use crate::telegram::{say, say_with};

/// What every handler shares: the database, the configuration, the catalogs, the bell that
/// wakes the scheduler when a schedule changes, and the ways in and out.
pub struct Ctx {
    pub pool: SqlitePool,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
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
    /// The handlers' context, sharing the process's one catalog and one limiter (built by `app.rs`).
    pub fn new(pool: SqlitePool, config: Arc<Config>, bot: Bot, catalog: Arc<Catalog>, limiter: Arc<Limiter>) -> Ctx {
        Ctx {
            pool,
            config,
            catalog,
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
