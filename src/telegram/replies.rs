//! The way out for everything the bot says in answer to someone: a queue per chat, drained by a
//! task of its own that takes the chat's turn at the [`Limiter`] and tries again as [`insist`]
//! does. A handler puts its answer in the queue and returns at once, so that no handler waits on
//! the limiter (a second per chat, more once a group has had its twenty a minute, a minute after a
//! 429) or on a retry while the dispatcher holds its update: one chat that floods the bot cannot
//! hold up the others.
//!
//! A chat's queue holds at most [`MAX_QUEUED`] answers; more are dropped with a log line (a chat
//! asking faster than Telegram lets the bot answer it gets the first answers, not a backlog that
//! grows for as long as it keeps asking). Answers to one chat leave in the order they were put in,
//! so a dialogue's question follows its introduction. A chat with nothing queued costs nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ReplyMarkup};

use super::insist;
use super::limiter::Limiter;

/// The most answers waiting for one chat; a chat that has this many waiting gets no more.
pub const MAX_QUEUED: usize = 16;

/// How many recent button presses are remembered as answered (a press is answered within
/// seconds of arriving, so a few thousand cover every press still being handled).
const ANSWERED_KEPT: usize = 4096;

/// The most button answers on their way at once. A batch of presses answered all at once opened
/// a connection for each (hundreds), each connected and closed again beyond the client's idle
/// ones (`app::IDLE_CONNECTIONS`); within this many the same connections carry them one after
/// another. An answer takes Telegram a round trip (a few hundred ms from Vietnam): this many
/// answer a couple of hundred presses a second at least, a province's whole pressing at once.
pub const ANSWERS_IN_FLIGHT: usize = 64;

/// One thing to say in a chat.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A message in Telegram HTML, with a keyboard or not.
    Text { html: String, markup: Option<ReplyMarkup> },
    /// New buttons under a message already sent ("not modified" is no failure: a try that went
    /// through unanswered leaves the next one nothing to change).
    Buttons { message_id: i32, markup: InlineKeyboardMarkup },
    /// A file (an export), with an HTML caption or not.
    Document { name: String, bytes: bytes::Bytes, caption: Option<String> },
    /// A picture (a chart).
    Photo { name: String, bytes: bytes::Bytes },
}

impl Reply {
    fn what(&self) -> &'static str {
        match self {
            Reply::Text { .. } => "answer",
            Reply::Buttons { .. } => "edit buttons",
            Reply::Document { .. } => "send a file",
            Reply::Photo { .. } => "send a chart",
        }
    }
}

/// The queues, one per chat with something waiting, and what they send through.
pub struct Replies {
    bot: Bot,
    limiter: Arc<Limiter>,
    /// Chats with answers waiting; a chat is here exactly while its drainer runs.
    queues: Mutex<HashMap<i64, Queue>>,
    /// Button presses already answered, oldest first: Telegram takes a press's first answer only.
    answered: Mutex<Answered>,
    /// Places for button answers on their way ([`ANSWERS_IN_FLIGHT`]).
    answering: Arc<tokio::sync::Semaphore>,
}

#[derive(Default)]
struct Answered {
    ids: std::collections::HashSet<String>,
    order: VecDeque<String>,
}

impl Answered {
    /// True the first time `id` is seen (it is then remembered), false after.
    fn first(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > ANSWERED_KEPT
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Reply>,
    /// Answers dropped since the queue filled (logged once when it empties).
    dropped: u64,
}

impl Replies {
    pub fn new(bot: Bot, limiter: Arc<Limiter>) -> Arc<Replies> {
        Arc::new(Replies {
            bot,
            limiter,
            queues: Mutex::new(HashMap::new()),
            answered: Mutex::default(),
            answering: Arc::new(tokio::sync::Semaphore::new(ANSWERS_IN_FLIGHT)),
        })
    }

    /// Puts `reply` in `chat`'s queue; false when the queue is full and the reply was dropped.
    pub fn send(self: &Arc<Self>, chat: ChatId, reply: Reply) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        match queues.get_mut(&chat.0) {
            Some(q) if q.waiting.len() >= MAX_QUEUED => {
                if q.dropped == 0 {
                    tracing::warn!(
                        chat_id = chat.0,
                        waiting = MAX_QUEUED,
                        "a chat's answers are backed up; dropping more until they leave"
                    );
                }
                q.dropped += 1;
                metrics::counter!("loa_replies_dropped_total").increment(1);
                false
            }
            Some(q) => {
                q.waiting.push_back(reply);
                true
            }
            None => {
                queues.insert(chat.0, Queue { waiting: VecDeque::from([reply]), dropped: 0 });
                let me = self.clone();
                tokio::spawn(async move { me.drain(chat).await });
                true
            }
        }
    }

    /// Sends `chat`'s answers in order until none is left, then forgets the chat.
    async fn drain(self: Arc<Self>, chat: ChatId) {
        loop {
            let next = {
                let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                let q = queues.get_mut(&chat.0).expect("a draining chat has a queue");
                match q.waiting.pop_front() {
                    Some(r) => r,
                    None => {
                        if q.dropped > 0 {
                            tracing::warn!(
                                chat_id = chat.0,
                                dropped = q.dropped,
                                "answers dropped while the chat's queue was full"
                            );
                        }
                        queues.remove(&chat.0);
                        return;
                    }
                }
            };
            self.deliver(chat, next).await;
        }
    }

    async fn deliver(&self, chat: ChatId, reply: Reply) {
        let what = reply.what();
        let turn = Some((self.limiter.as_ref(), chat.0));
        let bot = &self.bot;
        let result = match reply {
            Reply::Text { html, markup } => insist(turn, what, || {
                // no link previews: Telegram would fetch every link an answer holds (a sign-in
                // link to the web desk among them) and fill the chat with cards
                let mut req = bot.send_message(chat, html.clone()).parse_mode(ParseMode::Html).link_preview_options(
                    teloxide::types::LinkPreviewOptions {
                        is_disabled: true,
                        url: None,
                        prefer_small_media: false,
                        prefer_large_media: false,
                        show_above_text: false,
                    },
                );
                if let Some(m) = &markup {
                    req = req.reply_markup(m.clone());
                }
                req.into_future()
            })
            .await
            .map(drop),
            Reply::Buttons { message_id, markup } => {
                match insist(turn, what, || {
                    bot.edit_message_reply_markup(chat, MessageId(message_id))
                        .reply_markup(markup.clone())
                        .into_future()
                })
                .await
                {
                    Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
                    other => other.map(drop),
                }
            }
            Reply::Document { name, bytes, caption } => insist(turn, what, || {
                let mut req = bot.send_document(chat, InputFile::memory(bytes.clone()).file_name(name.clone()));
                if let Some(c) = &caption {
                    req = req.caption(c.clone()).parse_mode(ParseMode::Html);
                }
                req.into_future()
            })
            .await
            .map(drop),
            Reply::Photo { name, bytes } => insist(turn, what, || {
                bot.send_photo(chat, InputFile::memory(bytes.clone()).file_name(name.clone())).into_future()
            })
            .await
            .map(drop),
        };
        if let Err(e) = result {
            tracing::warn!(chat_id = chat.0, request = what, error = %crate::logging::redact(&e.to_string()), "an answer could not be sent");
        }
    }

    /// Answers a button press, on the side (no chat turn: Telegram counts these apart). Only the
    /// first answer to a press goes out, as only the first counts at Telegram: a handler that told
    /// the member something particular and then failed is not overtaken by the general "something
    /// went wrong" of the failing-handler answer.
    pub fn answer_button(&self, query_id: teloxide::types::CallbackQueryId, text: String, alert: bool) {
        if !self.answered.lock().unwrap_or_else(|e| e.into_inner()).first(&query_id.0) {
            tracing::debug!("a button press answered already; a later answer is dropped");
            return;
        }
        let (bot, answering) = (self.bot.clone(), self.answering.clone());
        tokio::spawn(async move {
            // the semaphore is never closed; answers wait their turn in the order they came
            let _place = answering.acquire_owned().await;
            let answered = insist(None, "answer a button", || {
                let mut req = bot.answer_callback_query(query_id.clone()).text(text.clone());
                if alert {
                    req = req.show_alert(true);
                }
                req.into_future()
            });
            if let Err(e) = answered.await {
                tracing::warn!(error = %crate::logging::redact(&e.to_string()), "failed to answer a button press");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_is_answered_once_and_old_presses_are_forgotten_in_order() {
        let mut a = Answered::default();
        assert!(a.first("1"));
        assert!(!a.first("1"), "the second answer to a press is dropped");
        for i in 2..=ANSWERED_KEPT + 1 {
            assert!(a.first(&i.to_string()));
        }
        // the oldest press has been forgotten, the newest are still remembered
        assert_eq!(a.order.len(), ANSWERED_KEPT);
        assert_eq!(a.ids.len(), ANSWERED_KEPT);
        assert!(a.first("1"));
        assert!(!a.first(&(ANSWERED_KEPT + 1).to_string()));
    }
}
