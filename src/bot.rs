//! The Telegram side of Loa: the handler tree ([`schema`]), the commands, and what each answers.
//! Every sentence comes from the catalogs ([`crate::i18n`]) in the chat's language.

use std::sync::Arc;

use sqlx::SqlitePool;
use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, ChatMemberUpdated, ParseMode};
use teloxide::utils::command::BotCommands;

use crate::config::Config;
use crate::i18n::{Args, Catalog, Locale};

/// What every handler shares: the database, the configuration, the catalogs.
pub struct Ctx {
    pub pool: SqlitePool,
    pub config: Arc<Config>,
    pub catalog: Catalog,
}

pub type HandlerResult = anyhow::Result<()>;

/// The commands everyone may use. Their descriptions for Telegram's menu come from the catalogs
/// (`cmd-<name>`), in Vietnamese and English.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Begin; with an invite code to connect a cell.
    Start(String),
    /// How to use Loa.
    Help,
    /// Change language (vi | en).
    Lang(String),
}

/// The handler tree.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let commands = teloxide::filter_command::<Command, _>().endpoint(on_command);
    let messages = Update::filter_message().branch(commands).branch(dptree::endpoint(on_other_message));
    dptree::entry().branch(messages).branch(Update::filter_my_chat_member().endpoint(on_my_chat_member))
}

impl Ctx {
    /// The language of a chat: its /lang choice, else the configured default.
    pub async fn locale(&self, chat_id: ChatId) -> Locale {
        let chosen: Option<String> = sqlx::query_scalar("SELECT locale FROM chat_prefs WHERE chat_id = ?")
            .bind(chat_id.0)
            .fetch_optional(&self.pool)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "failed to read the chat's language");
                None
            });
        chosen.as_deref().and_then(Locale::parse).unwrap_or(self.config.default_locale)
    }

    async fn set_locale(&self, chat_id: ChatId, locale: Locale) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO chat_prefs (chat_id, locale, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at",
        )
        .bind(chat_id.0)
        .bind(locale.code())
        .bind(crate::db::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Answers in a chat. Should Telegram still say "too many requests" (a user typing faster than a
/// chat may be answered), waits as told and tries again, a few times at most.
async fn say(bot: &Bot, chat_id: ChatId, html: String) -> HandlerResult {
    let mut tries = 0;
    loop {
        match bot.send_message(chat_id, html.clone()).parse_mode(ParseMode::Html).await {
            Ok(_) => return Ok(()),
            Err(teloxide::RequestError::RetryAfter(wait)) if tries < 3 && wait.duration().as_secs() <= 60 => {
                tries += 1;
                tracing::warn!(
                    chat_id = chat_id.0,
                    retry_after_s = wait.seconds(),
                    "answer throttled by Telegram; waiting"
                );
                tokio::time::sleep(wait.duration()).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn on_command(bot: Bot, msg: Message, cmd: Command, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    tracing::info!(chat_id = chat.0, command = ?cmd, "command");
    match cmd {
        Command::Start(_code) => {
            let text = if msg.chat.is_private() {
                let name = msg.from.as_ref().map(|u| u.first_name.clone()).unwrap_or_default();
                c.t(locale, "welcome-private", Args::new().user("name", &name))
            } else {
                let title = msg.chat.title().unwrap_or_default().to_string();
                c.t(locale, "welcome-group", Args::new().user("title", &title))
            };
            say(&bot, chat, text).await
        }
        Command::Help => say(&bot, chat, c.s(locale, "help")).await,
        Command::Lang(arg) => match Locale::parse(&arg) {
            Some(new) => {
                ctx.set_locale(chat, new).await?;
                say(&bot, chat, c.s(new, "lang-set")).await
            }
            None => say(&bot, chat, c.t(locale, "lang-usage", Args::new().user("given", arg.trim()))).await,
        },
    }
}

/// Messages that are not one of our commands. In a private chat Loa says what it understands;
/// in a group it answers only an unknown command addressed to it by name.
async fn on_other_message(bot: Bot, msg: Message, me: teloxide::types::Me, ctx: Arc<Ctx>) -> HandlerResult {
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
    say(&bot, chat, reply).await
}

async fn on_my_chat_member(update: ChatMemberUpdated) -> HandlerResult {
    tracing::info!(
        chat_id = update.chat.id.0,
        old = ?update.old_chat_member.kind,
        new = ?update.new_chat_member.kind,
        "the bot's membership changed"
    );
    Ok(())
}

/// The command menu in one language.
pub fn command_menu(catalog: &Catalog, locale: Locale) -> Vec<BotCommand> {
    Command::bot_commands()
        .into_iter()
        .map(|c| {
            let name = c.command.trim_start_matches('/').to_string();
            let description = catalog.s(locale, &format!("cmd-{name}"));
            BotCommand::new(name, description)
        })
        .collect()
}

/// Registers the command menus: Vietnamese for everyone, English for English-language clients.
pub async fn register_commands(bot: &Bot, catalog: &Catalog) -> anyhow::Result<()> {
    bot.set_my_commands(command_menu(catalog, Locale::Vi)).scope(BotCommandScope::Default).await?;
    bot.set_my_commands(command_menu(catalog, Locale::En)).scope(BotCommandScope::Default).language_code("en").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_the_bot_name_and_arguments() {
        assert_eq!(Command::parse("/start ABC_123", "loa_bot").unwrap(), Command::Start("ABC_123".into()));
        assert_eq!(Command::parse("/start", "loa_bot").unwrap(), Command::Start(String::new()));
        assert_eq!(Command::parse("/help@loa_bot", "loa_bot").unwrap(), Command::Help);
        assert!(Command::parse("/help@other_bot", "loa_bot").is_err());
        assert_eq!(Command::parse("/lang en", "loa_bot").unwrap(), Command::Lang("en".into()));
    }

    #[test]
    fn the_menu_has_a_localized_description_for_every_command() {
        let c = Catalog::new();
        for l in Locale::ALL {
            let menu = command_menu(&c, l);
            assert_eq!(menu.len(), Command::bot_commands().len());
            for cmd in menu {
                assert!(!cmd.description.starts_with("cmd-"), "{} has no description", cmd.command);
            }
        }
        assert_eq!(command_menu(&c, Locale::Vi)[1].description, "Hướng dẫn sử dụng");
    }
}
