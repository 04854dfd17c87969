//! Loa: a Telegram bot through which a provincial Party propaganda-and-education board delivers
//! monthly and quarterly guidance packs to its grassroots party cells, and hears back.
//!
//! A guided tour, by layer, the delivery pipeline first. Arrows point the one way dependencies go:
//! the bot and the command line call the domain, the domain calls storage, nothing calls back up.
//!
//! **The pipeline** (a pack from composed to acknowledged)
//! - [`packs`]: periods, bodies (Markdown/HTML/text to Telegram HTML), pack folders and their
//!   checks, storage, the message as a cell reads it, audiences and delivery estimates.
//! - [`schedule`]: the scheduler; starts each pack's broadcast when its time (or slot) comes.
//! - [`delivery`]: a broadcast starts as one transaction writing the outbox
//!   ([`delivery::broadcast`]); the worker loop claims from it ([`delivery::worker`]), sends each
//!   delivery ([`delivery::deliver`]) and writes each outcome in one place ([`delivery::outbox`]);
//!   the author follows it ([`delivery::progress`]).
//! - [`lifecycle`]: the states a pack, a broadcast and a delivery go through, as types.
//! - [`acks`], [`reports`], [`reminders`]: what cells answer, and chasing those that do not.
//!
//! **The Telegram wire**
//! - [`telegram`]: the limiter, the one classifier of failed requests, the retry policy, the
//!   answer queues, the buttons and their callback data.
//! - [`bot`]: the handler tree: each chat's updates in turn, who a message comes from, role gates,
//!   and the handlers (commands, the composer, the report dialogue, buttons, staff, figures).
//! - [`tghtml`]: Telegram's HTML parse mode, shared by Loa's checks and the simulator.
//! - [`sim`]: the Bot API simulator used by tests, the demo and `loa sim`.
//!
//! **The province and its people**
//! - [`units`]: the organisation as a tree of units of any depth (the province's committee, the
//!   committees under it, their sub-committees), each cell hanging from one; mergers.
//! - [`cells`]: the registry of party cells, invites, and the binding of each cell to its chat.
//! - [`staff`]: roles (admin, board, officer of a unit) and who holds them.
//! - [`audit`]: the audit log of privileged actions.
//! - [`situations`]: situation reports from the cells (topic, severity, place, text, files), the
//!   monthly request for them, the inbox by scope; [`questions`]: questions on a pack, their
//!   answers, and the answers sent to every cell (a pack's hỏi đáp).
//!
//! **Figures**
//! - [`stats`]: figures by pack and unit at any level of the tree; who is behind; the trend.
//! - [`export`]: the .xlsx and CSV exports (and formula-safe cells); [`chart`]: PNG charts.
//! - [`quarter`]: the quarterly summary for the board's review meeting (.xlsx and A4 HTML).
//!
//! **Foundations**
//! - [`config`]: the layered configuration (shipped defaults, `--config` file, `LOA_*` environment)
//!   and its validation; [`config::Config::for_simulator`] for the demo, the tests and benchmarks.
//! - [`db`]: the SQLite pool (WAL, foreign keys, busy timeout), the one write turn, migrations.
//! - [`i18n`]: the Vietnamese and English catalogs; every sentence a user reads comes from there.
//! - [`dates`], [`text`]: times as people read them; text from outside made safe to show.
//! - [`logging`]: logs with secrets and people's words redacted; [`ops`]: health and metrics.
//!
//! **Entry points**
//! - [`app`]: `loa serve`: builds the catalog, the limiter, the bot, the worker and the scheduler,
//!   runs the dispatcher, shuts down cleanly.
//! - [`cli`]: the command line; [`demo`]: `loa demo`, a province played against the simulator.

/// Every binary built on Loa (the `loa` program, its tests and benchmarks) allocates with
/// mimalloc: per send it costs less CPU than glibc's malloc, and over a long run it gives memory
/// back instead of leaving it fragmented in per-thread arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its header's `mi_option_e`; the crate names no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator up as `loa` runs it; called first by the `loa` binary and by the
/// benchmarks, so that they measure what runs. mimalloc 3 keeps the memory a thread freed for a
/// second (`purge_delay`, 1,000 ms) before giving it back, so that peaks of a second overlap; at
/// 100,000 cells that held about 6 MB more at the peak of a broadcast (33.8 against 28.0 MB),
/// at no CPU cost measured (210 and 193 CPU ms per 1,000 messages, one run each). Given back
/// at once instead.
pub fn tune_allocator() {
    // SAFETY: sets one of mimalloc's options; any value is valid for this one
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

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
pub mod migrate_data;
pub mod ops;
pub mod packs;
pub mod quarter;
pub mod questions;
pub mod reminders;
pub mod reports;
pub mod schedule;
pub mod sim;
pub mod situations;
pub mod staff;
pub mod stats;
pub mod telegram;
pub mod text;
pub mod tghtml;
pub mod units;
pub mod web;

#[cfg(test)]
mod tests {
    #[test]
    fn the_allocator_gives_freed_memory_back_at_once() {
        // SAFETY: reads and sets mimalloc options
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        // the option named is the purge delay: mimalloc 3's default for it is 1,000 ms
        // (nothing else in the unit tests tunes the allocator)
        assert_eq!(get(), 1000);
        super::tune_allocator();
        assert_eq!(get(), 0);
    }
}
