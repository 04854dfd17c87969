//! Loa's end-to-end tests: one test binary (so the crate links once), one module per area.
//! Everything that talks to Telegram runs against the in-process Bot API simulator.

mod answers;
mod authz;
mod binding;
mod bot_chat;
mod browser;
mod cli;
mod delivery;
mod demo;
mod faults;
mod flood;
mod harness;
mod names;
mod newpack;
mod ops;
mod packs;
mod postgres;
mod provinces;
mod proxy;
mod quarter;
mod registry;
mod reminders;
mod scheduler;
mod sim_api;
mod sim_pressure;
mod situations;
mod staff;
mod stats;
mod web;
