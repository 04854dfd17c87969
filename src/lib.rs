//! Loa: a Telegram bot through which a provincial Party propaganda-and-education board delivers
//! monthly and quarterly guidance packs to its grassroots party cells, and hears back.
//!
//! A guided tour:
//! - [`config`]: the layered configuration (shipped defaults, `--config` file, `LOA_*` environment)
//!   and its validation; the bot token as a secret.
//! - [`cells`]: the registry of party cells, invites, and the binding of each cell to its chat.
//! - [`acks`], [`reports`], [`reminders`]: what cells answer, and chasing those that do not.
//! - [`stats`]: figures by pack, district and commune; who is behind; the trend.
//! - [`staff`]: roles (admin, board, district) and who holds them.
//! - [`audit`]: the audit log of privileged actions.
//! - [`db`]: the SQLite pool (WAL, foreign keys, busy timeout) and the embedded migrations.
//! - [`i18n`]: the Vietnamese and English catalogs; every sentence a user reads comes from there.
//! - [`bot`]: the Telegram side: the handler tree, commands, and what each answers.
//! - [`app`]: `loa serve`: builds the bot, registers commands, runs the dispatcher, shuts down cleanly.
//! - [`sim`]: the Bot API simulator used by tests, the demo and `loa sim`.
//! - [`telegram`]: the buttons' callback data, read and written in one place.
//! - [`cli`]: the command line.

pub mod acks;
pub mod app;
pub mod audit;
#[cfg(test)]
mod bad_input;
pub mod bot;
pub mod cells;
pub mod chart;
pub mod cli;
pub mod config;
pub mod dates;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod export;
pub mod i18n;
pub mod lifecycle;
pub mod logging;
pub mod ops;
pub mod packs;
pub mod reminders;
pub mod reports;
pub mod schedule;
pub mod sim;
pub mod staff;
pub mod stats;
pub mod telegram;
pub mod text;
pub mod tghtml;
