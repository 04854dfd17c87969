//! Delivery: getting each pack to every targeted cell. `broadcast.rs` starts a broadcast: one
//! transaction that writes the broadcast and one delivery row (the outbox) per reachable cell.
//! `worker.rs` sends from the outbox within the limits of [`crate::telegram::limiter`], judging
//! failures with [`crate::telegram::failure`]; `progress.rs` keeps the author informed;
//! `lease.rs` lets one instance at a time send a bot's deliveries when several share PostgreSQL.

pub mod broadcast;
pub mod deliver;
pub mod lease;
pub mod outbox;
pub mod progress;
pub mod worker;
