//! Loa's side of the Telegram wire that is not a handler: how fast it may send, what a failure
//! means, how it tries again, how answers leave, and what its buttons carry.
//!
//! - [`limiter`]: Telegram's sending limits (overall, per chat, per group) and the pause after a 429;
//!   one limiter per process, built by `app.rs`, every message goes through it;
//! - [`failure`]: the one classifier of failed requests ([`failure::Verdict`]);
//! - [`send`]: [`send::insist`], the retry policy for a request someone waits on, and
//!   [`send::say`], which queues an answer; [`send::fetch_to_store`], a file a member sent;
//! - [`replies`]: the per-chat answer queues drained on the side;
//! - [`button`]: the inline buttons and their callback data, read and written in one place;
//! - [`lean`]: a delivery's sends, their answers read for the message ids only.

pub mod button;
pub mod failure;
pub mod lean;
pub mod limiter;
pub mod replies;
pub mod send;

pub use send::{fetch_limit, fetch_to_store, insist, say, say_with};
