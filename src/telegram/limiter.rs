//! Telegram's sending limits, in one place: the overall rate (`delivery.messages_per_second`, up
//! to 1000/s with paid broadcast), one message a second into a chat, twenty a minute into a group,
//! every album item counted. Built on governor's GCRA limiters: the per-chat and per-group ones
//! with no burst, the overall one at 97 % of the rate with a burst of the remaining 3 %, so that no
//! one-second window Telegram might use ever sees more than the rate. A 429 that still comes pauses
//! every send for its retry_after.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The share of the configured rate actually used.
pub const HEADROOM: f64 = 0.97;
/// How often one chat may be written to.
pub const PER_CHAT: Duration = Duration::from_secs(1);
/// How often one group may be written to (20 a minute).
pub const PER_GROUP: Duration = Duration::from_secs(3);

/// The limits every send goes through.
pub struct Limiter {
    global: DefaultDirectRateLimiter,
    /// Sends take their turn on the overall rate in the order they asked (tokio's mutex is fair),
    /// so a rare message (a progress edit) is not starved by a crowd of deliveries.
    turn: tokio::sync::Mutex<()>,
    chats: DefaultKeyedRateLimiter<i64>,
    groups: DefaultKeyedRateLimiter<i64>,
    paused_until: Mutex<Option<Instant>>,
}

/// How many sends may go at once on the overall rate after a pause in sending: the headroom's
/// worth, so that no one-second window ever holds more than the rate (burst + 97 % of the rate).
/// Without it every late wake-up of a waiting send would be lost for good, which at 1000/s (one
/// send a millisecond) costs a tenth of the rate; with it a late wake-up is made up at once.
fn global_burst(per_second: u32) -> NonZeroU32 {
    let spare = (f64::from(per_second) * (1.0 - HEADROOM)).floor() as u32;
    NonZeroU32::new(spare).unwrap_or(NonZeroU32::MIN)
}

fn spaced(period: Duration) -> Quota {
    Quota::with_period(period).expect("a non-zero period").allow_burst(NonZeroU32::MIN)
}

impl Limiter {
    /// `per_second`: messages a second overall.
    pub fn new(per_second: u32) -> Limiter {
        let per_second = per_second.max(1);
        // 3 % under the rate: requests released evenly may still arrive a little bunched
        let interval = Duration::from_secs_f64(1.0 / (f64::from(per_second) * HEADROOM));
        Limiter {
            global: RateLimiter::direct(spaced(interval).allow_burst(global_burst(per_second))),
            turn: tokio::sync::Mutex::new(()),
            chats: RateLimiter::keyed(spaced(PER_CHAT)),
            groups: RateLimiter::keyed(spaced(PER_GROUP)),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits until `messages` messages (an album counts each item) may go to `chat_id`.
    pub async fn acquire(&self, chat_id: i64, messages: u32) {
        for _ in 0..messages.max(1) {
            self.wait_pause().await;
            self.chats.until_key_ready(&chat_id).await;
            if chat_id < 0 {
                self.groups.until_key_ready(&chat_id).await;
            }
            let _turn = self.turn.lock().await;
            self.global.until_ready().await;
        }
        self.wait_pause().await;
    }

    /// Telegram said 429: nothing is sent by anyone for `wait`.
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
        tracing::warn!(retry_after_s = wait.as_secs(), "Telegram asked to slow down: all sending paused");
    }

    async fn wait_pause(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Forgets chats not written to lately (keeps memory flat over a long run).
    pub fn forget_idle(&self) {
        self.chats.retain_recent();
        self.groups.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_overall_rate_spaces_sends_evenly() {
        let l = Limiter::new(50);
        let start = std::time::Instant::now();
        for chat in 0..26 {
            l.acquire(1000 + chat, 1).await;
        }
        let took = start.elapsed();
        // 26 sends at 97 % of 50/s: the first at once, then one every 20.6 ms
        assert!(took >= Duration::from_millis(500) && took < Duration::from_millis(900), "{took:?}");
    }

    #[tokio::test]
    async fn the_headroom_bursts_after_a_gap_but_no_second_holds_more_than_the_rate() {
        assert_eq!(global_burst(1000).get(), 30);
        assert_eq!(global_burst(30).get(), 1, "at 30/s the headroom is less than one send");
        // after a gap, the headroom's worth may go at once, and not much more
        let l = Limiter::new(1000);
        let at_once = std::iter::repeat_with(|| l.global.check()).take(100).take_while(Result::is_ok).count();
        assert!((30..60).contains(&at_once), "{at_once}");
        let l = Limiter::new(1000);
        let start = std::time::Instant::now();
        let mut times = Vec::new();
        for chat in 0..1500 {
            l.acquire(chat, 1).await;
            times.push(start.elapsed());
        }
        for (i, t) in times.iter().enumerate() {
            let within = times[i..].iter().take_while(|u| **u < *t + Duration::from_secs(1)).count();
            assert!(within <= 1000, "{within} sends in the second from {t:?}");
        }
    }

    #[tokio::test]
    async fn one_chat_gets_one_message_a_second() {
        let l = Limiter::new(1000);
        let start = std::time::Instant::now();
        l.acquire(42, 2).await; // an album of two
        l.acquire(42, 1).await;
        assert!(start.elapsed() >= Duration::from_millis(1950), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_pause_holds_every_chat() {
        let l = Limiter::new(1000);
        l.pause(Duration::from_millis(300));
        let start = std::time::Instant::now();
        l.acquire(7, 1).await;
        assert!(start.elapsed() >= Duration::from_millis(290));
    }
}
