//! Loa's side of the Telegram wire that is not a handler: for now the buttons' callback data
//! ([`button`]). The limiter, the classifier of failed requests and the sending helpers join it
//! as the house is re-cut.

pub mod button;
