//! Guidance packs: what they are (`period.rs`), how their body becomes Telegram HTML (`body.rs`).
//! The folder format, storage and scheduling arrive with the rest of issue 4.

pub mod body;
pub mod period;
