//! The Telegram side of Loa: the handler tree ([`schema`]) and what each update leads to.
//! Every sentence comes from the catalogs ([`crate::i18n`]) in the chat's language.
//!
//! The way in:
//! - `lanes.rs`: each chat's updates in turn, a chat's backlog bounded;
//! - `gate.rs`: who a message comes from (its chat's cell, its sender's role), strangers
//!   answered at most once a minute; the role gates and the one refusing endpoint;
//! - `commands.rs`: the command enums (public, figures, cells of one's scope, board, admin) and the
//!   per-scope menus.
//!
//! The handlers:
//! - `start.rs`: `/start`, with an invite code binding the chat to its cell;
//! - `buttons.rs`: a button pressed (acknowledge, report, documents again, a move decided);
//! - `report.rs`: the report dialogue (`/report` or 📝);
//! - `situation.rs`: the situation report dialogue (`/tinhhinh`) and an urgent one's alert;
//! - `inbox.rs`: `/inbox` for staff: the situation reports of their scope, opened, answered, handled;
//! - `questions.rs`: a reply to a pack's message asks the board; `/hoi` lists and answers;
//! - `cell.rs`: what a cell sees of its packs (`/packs` in its chat, the acknowledged buttons);
//! - `board.rs`: the board's desk (`/newpack`, `/pause`, `/resume`, `/packs` for staff);
//! - `officer.rs`: `/cells`, `/invite`, `/remind` for every member of staff, within their scope;
//! - `composer.rs`: composing a pack in chat, one question (`composer::Step`) at a time;
//! - `dialogues.rs`: where the composer and the report dialogue keep their state;
//! - `analytics.rs`: `/stats`, `/pending`, `/export`, `/chart` for staff, by unit, with drill-down;
//! - `staff.rs`: `/whoami` and the admin commands (`/grant`, `/revoke`);
//! - `announce.rs`: what the scheduler tells the board;
//! - `chats.rs`: following the chats (bot removed, blocked, re-added; group migrated).
//!
//! The way out (answers queued per chat and sent through the limiter on the side, so that no
//! handler waits on Telegram's limits) is [`crate::telegram::replies`].

mod analytics;
pub mod announce;
mod board;
mod buttons;
mod cell;
mod chats;
pub mod commands;
mod composer;
mod dialogues;
pub mod gate;
pub(crate) mod inbox;
pub mod lanes;
mod officer;
pub(crate) mod questions;
mod report;
mod situation;
mod staff;
mod start;

use std::sync::Arc;

use crate::db::DbPool;
use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;

pub use commands::{AdminCommand, BoardCommand, Command, OfficerCommand, StaffCommand};

use crate::config::Config;
use crate::i18n::{Args, Catalog, Locale};
use crate::staff::Role;
use crate::telegram::limiter::Limiter;
use crate::telegram::replies;
pub(crate) use crate::telegram::{say, say_with};

/// What every handler shares: the database, the configuration, the catalogs, the bell that
/// wakes the scheduler when a schedule changes, and the ways in and out.
pub struct Ctx {
    pub pool: DbPool,
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
    /// The chats' `/lang` choices (table `chat_prefs`), read once: every update needs its chat's
    /// language, and this process is the only one that writes them ([`Ctx::set_locale`] keeps both).
    locales: tokio::sync::OnceCell<std::sync::Mutex<std::collections::HashMap<i64, Locale>>>,
}

impl Ctx {
    /// The handlers' context, sharing the process's one catalog and one limiter (built by `app.rs`).
    pub fn new(pool: DbPool, config: Arc<Config>, bot: Bot, catalog: Arc<Catalog>, limiter: Arc<Limiter>) -> Ctx {
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
            locales: tokio::sync::OnceCell::new(),
        }
    }
}

pub type HandlerResult = anyhow::Result<()>;

/// A link that mentions the member, so that in a group the question is forced on them only.
pub(super) fn mention(user: &teloxide::types::User) -> String {
    format!("<a href=\"tg://user?id={}\">{}</a>", user.id.0, crate::i18n::escape(&crate::acks::display_name(user)))
}

/// The handler tree. Every update first takes its chat's turn ([`lanes`]); a message then learns
/// who it comes from ([`gate`]), which drops a stranger's messages past one a minute. Each staff
/// command family sits behind its role's gate (`gate::staff_with`): a sender whose role does
/// not open it reaches the one refusing endpoint (`gate::refuse`), which audits; past the gate,
/// a command typed anywhere but the member's private chat is turned away. A handler that fails
/// tells its chat so (`telling_failures`).
pub fn schema() -> UpdateHandler<anyhow::Error> {
    use staff::on_admin_command;
    let gated = |needed: Role, elsewhere: &'static str, handler: UpdateHandler<anyhow::Error>| {
        dptree::entry()
            .branch(
                dptree::filter_map(gate::staff_with(needed))
                    .branch(gate::elsewhere_than_private(elsewhere))
                    .branch(handler),
            )
            .endpoint(gate::refuse)
    };
    let messages = Update::filter_message()
        .filter_map_async(gate::caller)
        .branch(
            dptree::filter(|msg: Message| msg.migrate_to_chat_id().is_some() || msg.migrate_from_chat_id().is_some())
                .endpoint(chats::on_migration),
        )
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(teloxide::filter_command::<StaffCommand, _>().chain(gated(
            Role::District,
            "stats-private-only",
            dptree::endpoint(analytics::on_staff_command),
        )))
        .branch(teloxide::filter_command::<OfficerCommand, _>().chain(gated(
            Role::District,
            "staff-private-only",
            dptree::endpoint(officer::on_officer_command),
        )))
        .branch(teloxide::filter_command::<BoardCommand, _>().chain(gated(
            Role::Board,
            "staff-private-only",
            dptree::endpoint(board::on_board_command),
        )))
        .branch(teloxide::filter_command::<AdminCommand, _>().chain(gated(
            Role::Admin,
            "private-only",
            dptree::endpoint(on_admin_command),
        )))
        .branch(dptree::filter_map_async(report::active_report).endpoint(report::on_report_message))
        .branch(dptree::filter_map_async(situation::active_situation).endpoint(situation::on_message))
        .branch(dptree::filter_map_async(composer::active_dialogue).endpoint(composer::on_dialogue_message))
        .branch(dptree::filter_map_async(questions::active_question).endpoint(questions::on_asked))
        .branch(dptree::filter_map_async(questions::on_a_pack).endpoint(questions::on_question))
        .branch(dptree::endpoint(on_other_message));
    dptree::entry()
        .filter_map_async(|update: Update, ctx: Arc<Ctx>| async move { ctx.lanes.turn(&update).await })
        .branch(telling_failures(
            dptree::entry()
                .branch(messages)
                .branch(Update::filter_callback_query().endpoint(buttons::on_callback))
                .branch(Update::filter_my_chat_member().endpoint(chats::on_my_chat_member)),
        ))
}

/// Runs `inner`; when it fails, the chat the update came from is told that something went wrong
/// (the failure itself goes on to the dispatcher's error handler, which logs it), instead of the
/// silence a member would otherwise wait in. A button's press is answered with the same words.
fn telling_failures(inner: UpdateHandler<anyhow::Error>) -> UpdateHandler<anyhow::Error> {
    let sig = inner.sig().clone();
    let description = inner.description().clone();
    dptree::from_fn_with_description(
        description,
        move |deps: dptree::di::DependencyMap, cont| {
            let inner = inner.clone();
            async move {
                let update = deps.get::<Update>();
                let ctx = deps.get::<Arc<Ctx>>();
                let outcome = inner.execute(deps, cont).await;
                if let std::ops::ControlFlow::Break(Err(_)) = &outcome {
                    tell_failure(&ctx, &update).await;
                }
                outcome
            }
        },
        sig,
    )
}

async fn tell_failure(ctx: &Arc<Ctx>, update: &Update) {
    let Some(chat) = update.chat() else { return };
    let locale = ctx.locale(chat.id).await;
    let text = ctx.catalog.s(locale, "handler-failed");
    if let teloxide::types::UpdateKind::CallbackQuery(q) = &update.kind {
        ctx.replies.answer_button(q.id.clone(), text, true);
    } else {
        ctx.replies.send(chat.id, replies::Reply::Text { html: text, markup: None });
    }
}

impl Ctx {
    /// The language of a chat: its /lang choice, else the configured default.
    pub async fn locale(&self, chat_id: ChatId) -> Locale {
        match self.chosen_locales().await {
            Some(chosen) => chosen.lock().unwrap_or_else(|e| e.into_inner()).get(&chat_id.0).copied(),
            // the choices could not be read: this chat's own, as it stands
            None => return crate::i18n::chat_locale(&self.pool, chat_id.0, self.config.default_locale).await,
        }
        .unwrap_or(self.config.default_locale)
    }

    /// Every chat's `/lang` choice, read on first use (again on the next if that read failed).
    async fn chosen_locales(&self) -> Option<&std::sync::Mutex<std::collections::HashMap<i64, Locale>>> {
        let read = self.locales.get_or_try_init(|| async {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT chat_id, locale FROM chat_prefs").fetch_all(&self.pool).await?;
            let chosen = rows.into_iter().filter_map(|(chat, code)| Some((chat, Locale::parse(&code)?))).collect();
            Ok::<_, sqlx::Error>(std::sync::Mutex::new(chosen))
        });
        read.await.inspect_err(|e| tracing::warn!(error = %e, "failed to read the chats' languages")).ok()
    }

    async fn set_locale(&self, chat_id: ChatId, locale: Locale) -> anyhow::Result<()> {
        let chosen = self.chosen_locales().await;
        sqlx::query(
            "INSERT INTO chat_prefs (chat_id, locale, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (chat_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at",
        )
        .bind(chat_id.0)
        .bind(locale.code())
        .bind(crate::dates::now())
        .execute(&self.pool)
        .await?;
        if let Some(chosen) = chosen {
            chosen.lock().unwrap_or_else(|e| e.into_inner()).insert(chat_id.0, locale);
        }
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
        Command::Packs => "packs",
        Command::Cancel => "cancel",
        Command::Tinhhinh => "tinhhinh",
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
        Command::Report => report::on_report_command(&msg, &ctx, locale).await,
        Command::Packs => on_packs(&msg, &ctx, locale).await,
        Command::Tinhhinh => situation::on_command(&msg, &ctx, locale).await,
        Command::Cancel => {
            let key = dialogues::Key::of(&msg);
            let key = if dialogues::clear(&ctx.pool, key, dialogues::Dialogue::Report).await? {
                "report-cancelled"
            } else if dialogues::clear(&ctx.pool, key, dialogues::Dialogue::Situation).await? {
                "sit-cancelled"
            } else if dialogues::clear(&ctx.pool, key, dialogues::Dialogue::Question).await? {
                "q-cancelled"
            } else if composer::cancel(&ctx, key).await? {
                "np-cancelled"
            } else {
                "np-nothing"
            };
            say_with(&ctx.replies, chat, c.s(locale, key), composer::no_keyboard()).await
        }
    }
}

/// `/packs`: in a cell's chat, the cell's own packs, for anyone there; for a member of staff in
/// their private chat, the recent packs with their progress.
async fn on_packs(msg: &Message, ctx: &Arc<Ctx>, locale: Locale) -> HandlerResult {
    let chat = msg.chat.id;
    let mut conn = ctx.pool.acquire().await?;
    let cell = crate::cells::by_chat(&mut conn, chat.0).await?;
    drop(conn);
    if let Some(cell) = cell {
        return cell::list_cell_packs(chat, cell.id, ctx, locale).await;
    }
    let member = match gate::person(msg) {
        Some(user) => crate::staff::role_of(&ctx.pool, &ctx.config.admins, user).await?,
        None => None,
    };
    let Some(member) = member else {
        let user_id = msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or(0);
        return gate::deny(ctx, chat, user_id, "/packs", "denied-staff", locale).await;
    };
    if !msg.chat.is_private() {
        let text = ctx.catalog.t(locale, "stats-private-only", Args::new().raw("command", "/packs"));
        return say(&ctx.replies, chat, text).await;
    }
    board::list_packs(chat, ctx, locale, &member).await
}

/// Messages that are not one of our commands. In a private chat Loa says what it understands;
/// in a group it answers only an unknown command addressed to it by name. In a cell's chat, a reply
/// to one of Loa's messages that is no pack (a question meant for a pack) is told how to ask.
async fn on_other_message(msg: Message, me: teloxide::types::Me, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let to_loa = msg.reply_to_message().and_then(|r| r.from.as_ref()).is_some_and(|u| u.id == me.id);
    if to_loa && !msg.text().is_some_and(|t| t.starts_with('/')) {
        let cell = crate::cells::by_chat(&mut *ctx.pool.acquire().await?, chat.0).await?;
        if cell.is_some() {
            let locale = ctx.locale(chat).await;
            return say(&ctx.replies, chat, ctx.catalog.s(locale, "q-not-a-pack")).await;
        }
    }
    let Some(text) = msg.text() else { return Ok(()) };
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
