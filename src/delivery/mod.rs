//! Delivery: getting each pack to every targeted cell. `broadcast.rs` starts a broadcast: one
//! transaction that writes the broadcast and one delivery row (the outbox) per reachable cell.
//! The worker that sends from the outbox, within Telegram's limits, arrives with issue 5.

pub mod broadcast;
pub mod errors;
pub mod limiter;
pub mod worker;
