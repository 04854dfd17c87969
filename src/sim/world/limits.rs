//! Telegram's limits and the faults tests inject: the overall rate, each chat's burst and pace,
//! each group's twenty a minute (every album item counted), the 429 that a breach gets; the
//! calls made, by method; and the fault rules (a 5xx, a dropped connection, a slow answer, any Bot
//! API error) picked by method, chat, probability and count.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::*;

/// Telegram's limits, as the simulator enforces them when `enforce` is on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimits {
    pub enforce: bool,
    /// Messages per second over all chats (Telegram: about 30; paid broadcast up to 1000).
    pub global_per_sec: u32,
    /// Messages per second into one chat, sustained (Telegram: about 1).
    pub per_chat_per_sec: u32,
    /// Messages one chat takes in a burst before the per-second rate applies (Telegram tolerates
    /// short bursts). The per-chat limit is a token bucket of this size.
    pub per_chat_burst: u32,
    /// Messages per minute into one group or supergroup (Telegram: 20).
    pub per_group_per_min: u32,
    /// Whether edits count toward the per-chat and per-group limits.
    pub edits_count: bool,
    /// Slack subtracted from each window so that a sender that keeps the rate exactly is not
    /// punished for network jitter.
    pub slack_ms: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enforce: true,
            global_per_sec: 30,
            per_chat_per_sec: 1,
            per_chat_burst: 3,
            per_group_per_min: 20,
            edits_count: true,
            slack_ms: 50,
        }
    }
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this HTTP status and Telegram's JSON error for it (500, 502, ...).
    ServerError { status: u16 },
    /// Drop the connection before the request is carried out: nothing happened.
    Drop,
    /// Carry the request out, then drop the connection: it happened, but the bot cannot know
    /// (the case that can make a retried send arrive twice).
    DropAfter,
    /// Wait this long, then answer normally.
    Slow { millis: u64 },
    /// Answer with this Bot API error.
    Api {
        code: u16,
        description: String,
        #[serde(default)]
        retry_after: Option<u64>,
    },
}

/// A fault rule: which requests it hits, how often and how many times.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// Lower-case method name; `None` for every method.
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose chat_id is this one.
    #[serde(default)]
    pub chat_id: Option<i64>,
    /// Chance in [0, 1] that a matching request is hit.
    #[serde(default = "one")]
    pub probability: f64,
    /// How many more requests it may hit; `None` for no end.
    #[serde(default)]
    pub remaining: Option<u32>,
    pub fault: FaultKind,
}

fn one() -> f64 {
    1.0
}

impl World {
    /// Checks and, when allowed, records `n` messages to `chat_id` (an album counts each item).
    /// `counts_global` is false for edits, which Telegram limits per chat but not overall.
    pub(super) fn take_rate(&mut self, chat_id: i64, n: usize, counts_global: bool) -> Result<(), ApiError> {
        if !self.limits.enforce {
            return Ok(());
        }
        let now = Instant::now();
        let slack = Duration::from_millis(self.limits.slack_ms);
        let sec = Duration::from_secs(1).saturating_sub(slack);
        let min = Duration::from_secs(60).saturating_sub(slack);
        let is_group = self.chats.get(&chat_id).map(|c| c.is_group()).unwrap_or(false);
        let empty = VecDeque::new();
        let chat_window = self.chat_sends.get(&chat_id).unwrap_or(&empty);
        let mut waits = Vec::new();
        if counts_global {
            waits.extend(window_wait(&self.sends, now, sec, self.limits.global_per_sec as usize, n));
        }
        // Per chat: a token bucket, `per_chat_burst` deep, refilled at `per_chat_per_sec`. An album
        // goes through when the bucket could hold it (or is full), and may leave it in debt.
        let rate = f64::from(self.limits.per_chat_per_sec.max(1));
        let burst = f64::from(self.limits.per_chat_burst.max(1));
        let (tokens, last) = self.chat_buckets.get(&chat_id).copied().unwrap_or((burst, now));
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(burst);
        let need = (n as f64).min(burst);
        // the slack forgives a sender that keeps the rate exactly but meets network jitter
        let forgiven = self.limits.slack_ms as f64 / 1000.0 * rate;
        if tokens + forgiven < need {
            waits.push(Duration::from_secs_f64((need - tokens) / rate));
        }
        if is_group {
            waits.extend(window_wait(chat_window, now, min, self.limits.per_group_per_min as usize, n));
        }
        if let Some(w) = waits.into_iter().max() {
            let secs = w.as_secs_f64().ceil().max(1.0) as u64;
            return Err(ApiError::too_many(secs));
        }
        for _ in 0..n {
            if counts_global {
                self.sends.push_back(now);
            }
            self.chat_sends.entry(chat_id).or_default().push_back(now);
        }
        self.chat_buckets.insert(chat_id, (tokens - n as f64, now));
        // forget what no window can see any more
        while self.sends.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(2)) {
            self.sends.pop_front();
        }
        if let Some(w) = self.chat_sends.get_mut(&chat_id) {
            while w.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(61)) {
                w.pop_front();
            }
        }
        Ok(())
    }

    /// The fault, if any, that hits this request; consumes one use of the rule.
    pub fn pick_fault(&mut self, method: &str, chat_id: Option<i64>) -> Option<FaultKind> {
        let mut rng = rand::rng();
        for rule in self.faults.iter_mut() {
            if rule.method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(method)) {
                continue;
            }
            if rule.chat_id.is_some() && rule.chat_id != chat_id {
                continue;
            }
            if rule.remaining == Some(0) {
                continue;
            }
            if rule.probability < 1.0 && rng.random::<f64>() >= rule.probability {
                continue;
            }
            if let Some(r) = rule.remaining.as_mut() {
                *r -= 1;
            }
            return Some(rule.fault.clone());
        }
        None
    }

    /// Records a call as it arrives (a long poll shows up at once); returns its index.
    pub fn begin_call(&mut self, method: &str, chat_id: Option<i64>) -> usize {
        self.calls.push(CallRecord {
            method: method.to_string(),
            chat_id,
            ok: false,
            error_code: None,
            at: Instant::now(),
        });
        self.calls.len() - 1
    }

    /// Records how a call ended: `Err(status)` for an error answer (0 for a dropped connection).
    pub fn finish_call(&mut self, index: usize, result: Result<(), u16>) {
        if let Some(c) = self.calls.get_mut(index) {
            c.ok = result.is_ok();
            c.error_code = result.err();
        }
    }
}

/// How long until `n` more sends fit in a sliding `span` that allows `cap`; `None` when they fit now.
fn window_wait(window: &VecDeque<Instant>, now: Instant, span: Duration, cap: usize, n: usize) -> Option<Duration> {
    let recent: Vec<Instant> = window.iter().copied().filter(|t| now.duration_since(*t) < span).collect();
    if recent.len() + n <= cap {
        return None;
    }
    // the oldest sends must leave the window until only cap - n remain
    let must_leave = recent.len() + n - cap;
    let last_leaving = recent.get(must_leave.saturating_sub(1).min(recent.len().saturating_sub(1)))?;
    Some(span.saturating_sub(now.duration_since(*last_leaving)))
}
