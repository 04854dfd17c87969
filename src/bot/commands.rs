//! The chat commands, and the menus registered with setMyCommands per scope: everyone sees the
//! public commands; each member of staff sees their role's commands in their private chat. The
//! menu descriptions come from the catalogs (`cmd-<name>`), in Vietnamese and English.

use std::collections::BTreeSet;

use crate::db::DbPool;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};
use teloxide::utils::command::BotCommands;

use crate::i18n::{Catalog, Locale};
use crate::staff::{self, Role};

/// The commands everyone may use.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Begin; with an invite code to connect a cell.
    Start(String),
    /// How to use Loa.
    Help,
    /// Change language (vi | en).
    Lang(String),
    /// Show your Telegram id and role.
    Whoami,
    /// Report on a pack (in a cell's chat).
    Report,
    /// A cell's packs (in its chat), or, for staff in their private chat, the recent packs.
    Packs,
    /// Drop what you are doing (a report, a pack being composed).
    Cancel,
    /// A situation report (in a cell's chat, or an officer's private chat).
    Tinhhinh,
}

/// The commands of board staff (and admins): composing and sending.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum BoardCommand {
    /// Compose a new pack.
    Newpack,
    /// Pause the running broadcast.
    Pause,
    /// Resume a paused broadcast.
    Resume,
    /// Answer a cell's question for every cell that got the pack (a hỏi đáp of the pack).
    Hoidap(String),
}

/// The commands of every member of staff for the cells of their scope (an officer's unit's
/// subtree; the province for the board).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum OfficerCommand {
    /// The cells and who has joined.
    Cells(String),
    /// Issue an invite code for a cell.
    Invite(String),
    /// Remind the cells that have not acknowledged a pack, now.
    Remind(String),
}

/// The figures, for every member of staff (a district officer sees their own district).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum StaffCommand {
    /// A pack's figures by district, or the trend.
    Stats(String),
    /// The cells that have not acknowledged a pack.
    Pending(String),
    /// A pack's figures and answers as a spreadsheet.
    Export(String),
    /// A chart of a pack's rates by district, or of the trend.
    Chart(String),
    /// The situation reports of one's scope.
    Inbox(String),
    /// The cells' questions on packs: the open ones, or an answer.
    Hoi(String),
    /// The photo or file a cell attached to a pack report (the report's number in the export).
    Tep(String),
    /// A one-time link that signs in to the board's web desk.
    Web,
}

/// The commands of admins. Anyone may type them; the role is checked in the database each time.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// Give a staff role.
    Grant(String),
    /// Take a staff role away.
    Revoke(String),
}

fn menu_of(catalog: &Catalog, locale: Locale, names: impl IntoIterator<Item = String>) -> Vec<BotCommand> {
    names
        .into_iter()
        .map(|c| {
            let name = c.trim_start_matches('/').to_string();
            let description = catalog.s(locale, &format!("cmd-{name}"));
            BotCommand::new(name, description)
        })
        .collect()
}

/// The menu everyone sees: the public commands (`/packs` shows a cell its packs; `/cancel` drops
/// a report being written).
pub fn public_menu(catalog: &Catalog, locale: Locale) -> Vec<BotCommand> {
    menu_of(catalog, locale, Command::bot_commands().into_iter().map(|c| c.command))
}

/// The menu a member of staff sees in their private chat.
pub fn staff_menu(catalog: &Catalog, locale: Locale, role: Role) -> Vec<BotCommand> {
    let mut menu = public_menu(catalog, locale);
    if role.includes(Role::Board) {
        menu.extend(menu_of(catalog, locale, BoardCommand::bot_commands().into_iter().map(|c| c.command)));
    }
    menu.extend(menu_of(catalog, locale, StaffCommand::bot_commands().into_iter().map(|c| c.command)));
    menu.extend(menu_of(catalog, locale, OfficerCommand::bot_commands().into_iter().map(|c| c.command)));
    if role.includes(Role::Admin) {
        menu.extend(menu_of(catalog, locale, AdminCommand::bot_commands().into_iter().map(|c| c.command)));
    }
    menu
}

/// Registers the public menus (Vietnamese for everyone, English for English-language clients).
pub async fn register_public(bot: &Bot, catalog: &Catalog) -> anyhow::Result<()> {
    bot.set_my_commands(public_menu(catalog, Locale::Vi)).scope(BotCommandScope::Default).await?;
    bot.set_my_commands(public_menu(catalog, Locale::En)).scope(BotCommandScope::Default).language_code("en").await?;
    Ok(())
}

/// Registers (or, with `role` None, removes) one user's staff menu in their private chat.
pub async fn register_staff(bot: &Bot, catalog: &Catalog, user_id: i64, role: Option<Role>) -> anyhow::Result<()> {
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(user_id)) };
    match role {
        Some(role) => {
            bot.set_my_commands(staff_menu(catalog, Locale::Vi, role)).scope(scope.clone()).await?;
            bot.set_my_commands(staff_menu(catalog, Locale::En, role)).scope(scope).language_code("en").await?;
        }
        None => {
            bot.delete_my_commands().scope(scope.clone()).await?;
            bot.delete_my_commands().scope(scope).language_code("en").await?;
        }
    }
    Ok(())
}

/// Registers every menu: the public ones and each known staff member's.
pub async fn register_all(bot: &Bot, catalog: &Catalog, pool: &DbPool, admins: &BTreeSet<i64>) -> anyhow::Result<()> {
    register_public(bot, catalog).await?;
    for m in staff::list(pool, admins).await? {
        // a user who never opened the private chat has no chat to scope a menu to yet
        if let Err(e) = register_staff(bot, catalog, m.user_id, Some(m.role)).await {
            tracing::debug!(user_id = m.user_id, error = %crate::logging::redact(&e.to_string()), "staff menu not registered yet");
        }
    }
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
        assert_eq!(
            AdminCommand::parse("/grant 12 district Na Rì", "loa_bot").unwrap(),
            AdminCommand::Grant("12 district Na Rì".into())
        );
    }

    #[test]
    fn every_menu_has_a_localized_description_for_every_command() {
        let c = Catalog::new();
        for l in Locale::ALL {
            for menu in [public_menu(&c, l), staff_menu(&c, l, Role::Admin)] {
                for cmd in menu {
                    assert!(!cmd.description.starts_with("cmd-"), "{} has no description", cmd.command);
                }
            }
        }
        assert_eq!(public_menu(&c, Locale::Vi)[1].description, "Hướng dẫn sử dụng");
        let admin: Vec<String> = staff_menu(&c, Locale::Vi, Role::Admin).into_iter().map(|c| c.command).collect();
        assert_eq!(
            admin,
            [
                "start", "help", "lang", "whoami", "report", "packs", "cancel", "tinhhinh", "newpack", "pause",
                "resume", "hoidap", "stats", "pending", "export", "chart", "inbox", "hoi", "tep", "web", "cells",
                "invite", "remind", "grant", "revoke"
            ]
        );
        let district: Vec<String> = staff_menu(&c, Locale::Vi, Role::District).into_iter().map(|c| c.command).collect();
        assert_eq!(
            district,
            [
                "start", "help", "lang", "whoami", "report", "packs", "cancel", "tinhhinh", "stats", "pending",
                "export", "chart", "inbox", "hoi", "tep", "web", "cells", "invite", "remind"
            ]
        );
    }
}
