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
//!
//! With no key, the dispatcher handles every update it is given at once, however many: under a
//! flood of button presses on a busy machine thousands were in hand together, each holding its
//! update (the pack's message inside it), its copy of the dependencies and its handlers' futures,
//! several KB: in a heap profile of a four-minute run of the soak benchmark at 10,000 cells
//! (`heaptrack`), about 19 MB of the 44 MB allocated at the peak. So the updates are taken from
//! Telegram only while fewer than [`MAX_IN_HAND`] are in hand ([`bounded`], around the update
//! listener); the rest wait at Telegram, which keeps them for a day, and with polling the next
//! `getUpdates` is simply asked a little later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use futures::{StreamExt, stream::BoxStream};
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

/// The most updates of one chat in hand at once (the one being handled included).
pub const MAX_WAITING: usize = 8;

/// The most updates in hand at once, every chat together. Handling a press or a message takes
/// milliseconds (a batch's write, a read): this many carry thousands a second.
pub const MAX_IN_HAND: i64 = 256;

/// The lanes of the chats with updates in hand.
#[derive(Default)]
pub struct Lanes {
    lanes: Mutex<HashMap<i64, Lane>>,
    /// Updates taken by [`bounded`] whose handling has not ended.
    in_hand: AtomicI64,
    /// Rung when an update's handling ends.
    room: tokio::sync::Notify,
}

struct Lane {
    turn: Arc<tokio::sync::Mutex<()>>,
    in_hand: usize,
    dropped: u64,
}

/// An update's turn in its chat, held while it is handled (a dependency of the handler tree, so
/// it is let go when the handlers are done with the update); its last copy let go, the update
/// leaves the ones in hand.
#[derive(Clone)]
pub struct Turn(#[allow(dead_code)] Option<Arc<Held>>, #[allow(dead_code)] Arc<Handling>);

/// An update being handled: dropped when its handling ends, however it ends.
pub struct Handling {
    lanes: Arc<Lanes>,
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.lanes.in_hand.fetch_sub(1, Ordering::AcqRel);
        self.lanes.room.notify_one();
    }
}

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
        // every update the dispatcher hands on comes through here first: from now until this is
        // dropped (with the turn, or at once when the update is dropped) it is in hand
        let handling = Arc::new(Handling { lanes: self.clone() });
        if matches!(update.kind, UpdateKind::CallbackQuery(_)) {
            return Some(Turn(None, handling));
        }
        let Some(chat) = update.chat().map(|c| c.id.0) else { return Some(Turn(None, handling)) };
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
        Some(Turn(Some(Arc::new(Held { lanes: self.clone(), chat, _guard: guard })), handling))
    }

    /// Waits until fewer than [`MAX_IN_HAND`] updates are in hand, and counts one more.
    async fn admit(&self) {
        loop {
            // asked for before looking, so that an end between the look and the wait is not missed
            let ended = self.room.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.in_hand.load(Ordering::Acquire) < MAX_IN_HAND {
                // one listener takes updates: nothing else counts up meanwhile
                self.in_hand.fetch_add(1, Ordering::AcqRel);
                return;
            }
            ended.await;
        }
    }

    /// How many updates are in hand.
    pub fn updates_in_hand(&self) -> i64 {
        self.in_hand.load(Ordering::Acquire).max(0)
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

/// `listener`, taking an update only while fewer than [`MAX_IN_HAND`] are in hand (see the
/// module's doc). Every update it yields goes through [`Lanes::turn`], which counts it out again;
/// one teloxide does not hand on (an update it could not read) is not counted.
pub fn bounded<L>(listener: L, lanes: Arc<Lanes>) -> Bounded<L>
where
    L: UpdateListener,
{
    Bounded { inner: listener, lanes }
}

/// See [`bounded`].
pub struct Bounded<L> {
    inner: L,
    lanes: Arc<Lanes>,
}

impl<'a, L> AsUpdateStream<'a> for Bounded<L>
where
    L: UpdateListener + 'static,
    L::Err: Send + 'static,
{
    type StreamErr = L::Err;
    type Stream = BoxStream<'a, Result<Update, L::Err>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let lanes = self.lanes.clone();
        self.inner
            .as_stream()
            .then(move |next| {
                let lanes = lanes.clone();
                async move {
                    if let Ok(update) = &next
                        && !matches!(update.kind, UpdateKind::Error(_))
                    {
                        lanes.admit().await;
                    }
                    next
                }
            })
            .boxed()
    }
}

impl<L> UpdateListener for Bounded<L>
where
    L: UpdateListener + 'static,
    L::Err: Send + 'static,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
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

    /// A listener handing out the updates it was given.
    struct Listed {
        updates: Vec<Update>,
        stop: StopToken,
    }

    impl<'a> AsUpdateStream<'a> for Listed {
        type StreamErr = std::convert::Infallible;
        type Stream = BoxStream<'a, Result<Update, std::convert::Infallible>>;

        fn as_stream(&'a mut self) -> Self::Stream {
            futures::stream::iter(std::mem::take(&mut self.updates).into_iter().map(Ok)).boxed()
        }
    }

    impl UpdateListener for Listed {
        type Err = std::convert::Infallible;

        fn stop_token(&mut self) -> StopToken {
            self.stop.clone()
        }
    }

    #[tokio::test]
    async fn no_more_updates_are_taken_than_the_bound_until_one_is_handled() {
        let lanes = Lanes::new();
        let bound = usize::try_from(MAX_IN_HAND).unwrap();
        // one update of a chat each, one more than the bound, then an update teloxide could not
        // read (it never reaches the handlers: it must not count) and one last
        let mut updates: Vec<Update> = (1..=bound + 1).map(|i| message_update(i as i64, i as i32)).collect();
        updates.push(Update { id: teloxide::types::UpdateId(9_000), kind: UpdateKind::Error(serde_json::json!({})) });
        updates.push(message_update(9_001, 9_001));
        let (stop, _flag) = teloxide::stop::mk_stop_token();
        let mut listener = bounded(Listed { updates, stop }, lanes.clone());
        let mut stream = listener.as_stream();
        let mut turns = Vec::new();
        for _ in 0..bound {
            let update = stream.next().await.unwrap().unwrap();
            turns.push(lanes.turn(&update).await.expect("a chat's first update takes its turn"));
        }
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND);
        // the bound reached: the next update stays with the listener (at Telegram)
        let waited = tokio::time::timeout(std::time::Duration::from_millis(200), stream.next()).await;
        assert!(waited.is_err(), "an update past the bound was taken");
        // one handled: the next is taken
        drop(turns.pop());
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND - 1);
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await;
        let update = next.expect("taken once an update was handled").unwrap().unwrap();
        assert_eq!(update.id.0, MAX_IN_HAND as u32 + 1);
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND);
        // an update dropped unhandled (its lane full, here simply let go) counts out as well
        drop(lanes.turn(&update).await);
        drop(turns.drain(..10));
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND - 11);
        // the unreadable update passes without counting; the last is counted
        let unreadable = stream.next().await.unwrap().unwrap();
        assert!(matches!(unreadable.kind, UpdateKind::Error(_)));
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND - 11);
        let last = stream.next().await.unwrap().unwrap();
        assert_eq!(last.id.0, 9_001);
        assert_eq!(lanes.updates_in_hand(), MAX_IN_HAND - 10);
        assert!(stream.next().await.is_none());
        drop(stream);
        drop(turns);
        assert_eq!(lanes.updates_in_hand(), 1, "the last update was never handled here");
    }
}
