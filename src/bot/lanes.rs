//! The way in: a chat's updates are handled one after the other (a dialogue's answers in order),
//! different chats side by side, and a chat's backlog is bounded.
//!
//! teloxide's dispatcher, keyed by chat, hands each chat's updates to a task of its own through a
//! queue of 64, and *waits* when that queue is full: one chat whose updates come faster than they
//! are handled then holds up every other chat. So the dispatcher hands every update on at once
//! (no key), and each update takes its chat's [`Turn`] here first: a fair lock per chat, with at
//! most [`MAX_WAITING`] updates waiting for it. An update that finds the chat's lane full is
//! dropped with a log line. Button presses take no turn: each is one transaction, handled as it
//! comes. A chat with nothing waiting costs nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use teloxide::types::{Update, UpdateKind};

/// The most updates of one chat in hand at once (the one being handled included).
pub const MAX_WAITING: usize = 8;

/// The lanes of the chats with updates in hand.
#[derive(Default)]
pub struct Lanes {
    lanes: Mutex<HashMap<i64, Lane>>,
}

struct Lane {
    turn: Arc<tokio::sync::Mutex<()>>,
    in_hand: usize,
    dropped: u64,
}

/// An update's turn in its chat, held while it is handled (a dependency of the handler tree, so
/// it is let go when the handlers are done with the update).
#[derive(Clone)]
pub struct Turn(#[allow(dead_code)] Option<Arc<Held>>);

pub struct Held {
    lanes: Arc<Lanes>,
    chat: i64,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.lanes.leave(self.chat);
    }
}

impl Lanes {
    pub fn new() -> Arc<Lanes> {
        Arc::new(Lanes::default())
    }

    /// Waits for the turn of `update`'s chat; `None` when that chat already has
    /// [`MAX_WAITING`] updates in hand (the update is dropped). Updates without a chat, and
    /// button presses, go at once.
    pub async fn turn(self: &Arc<Self>, update: &Update) -> Option<Turn> {
        if matches!(update.kind, UpdateKind::CallbackQuery(_)) {
            return Some(Turn(None));
        }
        let Some(chat) = update.chat().map(|c| c.id.0) else { return Some(Turn(None)) };
        let turn = {
            let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
            let lane = lanes.entry(chat).or_insert_with(|| Lane { turn: Default::default(), in_hand: 0, dropped: 0 });
            if lane.in_hand >= MAX_WAITING {
                if lane.dropped == 0 {
                    tracing::warn!(
                        chat_id = chat,
                        in_hand = MAX_WAITING,
                        "a chat sends faster than it is answered; dropping its updates until it slows"
                    );
                }
                lane.dropped += 1;
                metrics::counter!("loa_updates_dropped_total").increment(1);
                return None;
            }
            lane.in_hand += 1;
            lane.turn.clone()
        };
        let guard = turn.lock_owned().await;
        Some(Turn(Some(Arc::new(Held { lanes: self.clone(), chat, _guard: guard }))))
    }

    fn leave(&self, chat: i64) {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lane) = lanes.get_mut(&chat) {
            lane.in_hand -= 1;
            if lane.in_hand == 0 {
                if lane.dropped > 0 {
                    tracing::warn!(
                        chat_id = chat,
                        dropped = lane.dropped,
                        "updates dropped while the chat's lane was full"
                    );
                }
                lanes.remove(&chat);
            }
        }
    }

    /// How many chats have updates in hand (for /metrics and tests).
    pub fn chats_in_hand(&self) -> usize {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_update(chat: i64, id: i32) -> Update {
        // from text: teloxide reads an update's kind from borrowed keys
        let json = serde_json::json!({
            "update_id": id,
            "message": {"message_id": id, "date": 0, "chat": {"id": chat, "type": "private", "first_name": "A"},
                        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "text": "hi"}
        });
        let update: Update = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(update.chat().map(|c| c.id.0), Some(chat));
        update
    }

    #[tokio::test]
    async fn a_chat_holds_a_bounded_backlog_and_other_chats_pass() {
        let lanes = Lanes::new();
        let first = lanes.turn(&message_update(1, 1)).await.expect("the first takes the turn");
        // the rest of chat 1 wait behind it, up to the bound
        let mut waiting = Vec::new();
        for i in 2..=MAX_WAITING as i32 {
            let (l, u) = (lanes.clone(), message_update(1, i));
            waiting.push(tokio::spawn(async move { l.turn(&u).await.is_some() }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(lanes.turn(&message_update(1, 99)).await.is_none(), "one more than the bound is dropped");
        // another chat is not held up
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), lanes.turn(&message_update(2, 1))).await;
        assert!(matches!(other, Ok(Some(_))));
        drop(other);
        drop(first);
        for w in waiting {
            assert!(w.await.unwrap(), "every waiting update gets its turn");
        }
        assert_eq!(lanes.chats_in_hand(), 0, "a chat with nothing in hand is forgotten");
    }
}
