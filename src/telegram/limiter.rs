//! Telegram's sending limits, in one place: the overall rate (`delivery.messages_per_second`, up
//! to 1000/s with paid broadcast), one message a second into a chat, twenty a minute into a group,
//! every album item counted. The per-chat limit is governor's keyed GCRA limiter with no burst.
//! The per-group limit is a sliding window, as Telegram states it ("20 messages per minute to the
//! same group") and as teloxide's own `Throttle` keeps it: a group's message goes when fewer than
//! twenty of its messages went in the last [`GROUP_WINDOW`], so a pack's three messages or a
//! report dialogue's questions reach a group a second apart, not three. The overall rate is an
//! even schedule at 99.5 % of the rate: each send takes the next place in it when it asks (first
//! come, first served, so a rare message such as a progress edit is not starved by a crowd of
//! deliveries), with a catch-up of [`CATCH_UP`] after a gap, and goes at the first [`TICK`] at or
//! after its place. The sends due in one tick go together: the process wakes once a tick, not once
//! a send (at 1000/s that is 250 wake-ups a second instead of 1,000, each with its thread switches),
//! yet no send goes before its place, so no one-second window ever holds more than the rate while
//! the process wakes on time. A process that wakes late (a thread held up, a machine short of CPU;
//! stalls of 50 ms were seen on the benchmark's virtual machine) would send every place it missed
//! at once, a burst that draws 429s: a send woken more than [`LATE`] after its tick gives its place
//! up and takes a new one (once: woken late again, it goes), and a count of the last second's sends holds back any send that would
//! still put more than the rate in a second. Every wait sleeps on tokio's own timer: no timer
//! thread. A 429 that still comes pauses every send for
//! its retry_after; a send whose place fell in the pause takes a new one after it.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// The share of the configured rate actually used.
pub const HEADROOM: f64 = 0.995;
/// How far behind its even schedule the overall rate may fall and still catch up (a send that
/// asks after a gap may take a place this far in the past).
pub const CATCH_UP: Duration = Duration::from_millis(1);
/// The overall rate's sends go at the first tick at or after their place in the schedule: at most
/// this much after it. A send at time t had its place in (t - TICK - CATCH_UP, t], so any second
/// holds at most `floor((1 s + TICK + CATCH_UP) x rate x HEADROOM) + 1` sends, which is within the
/// rate while `TICK + CATCH_UP` <= 1 / HEADROOM - 1 (5 ms): 999 at 1000/s, 30 at 30/s.
pub const TICK: Duration = Duration::from_millis(4);
/// A send woken this long after its tick gives its place up and takes a new one (see
/// [`Limiter::acquire`]): a thread held up for longer would otherwise send all the places it
/// missed at once, a burst Telegram may answer with 429s. 20 ms at 1000/s is twenty sends at most
/// in one burst; a wake-up is normally a millisecond or two late. A send gives its place up once
/// at most: woken late again, it goes.
pub const LATE: Duration = Duration::from_millis(20);
/// How often one chat may be written to.
pub const PER_CHAT: Duration = Duration::from_secs(1);
/// Messages one group may take in [`GROUP_WINDOW`].
pub const PER_GROUP: usize = 20;
/// A minute, and a second more for the network: a request sent a little later than the one
/// twenty before it may still arrive sooner.
pub const GROUP_WINDOW: Duration = Duration::from_secs(61);

/// The limits every send goes through.
pub struct Limiter {
    /// The overall rate's schedule: `None` when Loa's own limit is lifted (a benchmark measuring
    /// its pipeline against an unlimited simulator; never in service). Held only to take a place.
    global: Option<Mutex<Schedule>>,
    /// Where the ticks are counted from.
    origin: Instant,
    chats: ChatLimiter,
    groups: Mutex<HashMap<i64, VecDeque<Instant>>>,
    paused_until: Mutex<Option<Instant>>,
    per_second: u32,
    /// Sends woken more than [`LATE`] after their tick (each took a new place), and the latest
    /// such wake-up in microseconds.
    late: AtomicU64,
    late_max_us: AtomicU64,
}

/// The overall rate: when the next send is due, and the spacing between sends; and the sends of
/// the last second, so that no second ever holds more than the rate (see [`Schedule::room`]).
struct Schedule {
    next: Instant,
    interval: Duration,
    /// When each send of the last second went, oldest first.
    last_second: VecDeque<Instant>,
    /// The most sends any one second may hold: the configured rate.
    most: usize,
}

impl Schedule {
    fn new(per_second: u32, interval: Duration) -> Schedule {
        let most = per_second.max(1) as usize;
        Schedule { next: Instant::now(), interval, last_second: VecDeque::with_capacity(most), most }
    }

    /// Whether a send may go at `now` without the last second holding more than the rate; if it
    /// may, it is counted, and if not, the time it may. The even schedule alone keeps every second
    /// within the rate while the process wakes on time; a process that wakes late (a machine
    /// short of CPU, a thread held up) sends the places it missed together, and the second after
    /// a late wake-up could hold them and the ones before: this is the hard bound.
    fn room(&mut self, now: Instant) -> Result<(), Instant> {
        while self.last_second.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            self.last_second.pop_front();
        }
        if self.last_second.len() < self.most {
            self.last_second.push_back(now);
            return Ok(());
        }
        Err(self.last_second.front().map(|t| *t + Duration::from_secs(1)).unwrap_or(now))
    }

    /// The place of a send asking at `now` (and not before `not_before`, the end of a pause): the
    /// next one in the schedule.
    fn take(&mut self, now: Instant, not_before: Option<Instant>) -> Instant {
        // after a gap in sending, no more credit than the catch-up
        let mut earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
        if let Some(t) = not_before {
            earliest = earliest.max(t);
        }
        if self.next < earliest {
            self.next = earliest;
        }
        let at = self.next;
        self.next += self.interval;
        at
    }
}

fn spaced(period: Duration) -> Quota {
    Quota::with_period(period).expect("a non-zero period").allow_burst(NonZeroU32::MIN)
}

/// One message a second into each chat, on tokio's clock.
type ChatLimiter = RateLimiter<i64, DefaultKeyedStateStore<i64>, TokioClock, NoOpMiddleware<Duration>>;

/// governor's clock read from tokio's, the one every wait here sleeps on (and the one a test
/// with a paused clock moves): the time since the limiter was made.
#[derive(Clone)]
struct TokioClock(Instant);

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

impl Limiter {
    /// `per_second`: messages a second overall.
    pub fn new(per_second: u32) -> Limiter {
        let per_second = per_second.max(1);
        let interval = Duration::from_secs_f64(1.0 / (f64::from(per_second) * HEADROOM));
        Limiter { per_second, ..Limiter::with_global(Some(Schedule::new(per_second, interval))) }
    }

    /// No overall rate of Loa's own (each chat's and group's limits still hold): for measuring how
    /// many messages a second Loa's pipeline can carry against a simulator that limits nothing.
    pub fn unlimited() -> Limiter {
        Limiter::with_global(None)
    }

    /// The overall rate it keeps, in messages a second; `None` when lifted.
    pub fn per_second(&self) -> Option<u32> {
        self.global.as_ref().map(|_| self.per_second)
    }

    /// How many sends woke more than [`LATE`] after their tick and took a new place, and the
    /// latest of those wake-ups: how often the process was held up while sending.
    pub fn late_wakeups(&self) -> (u64, Duration) {
        (self.late.load(Relaxed), Duration::from_micros(self.late_max_us.load(Relaxed)))
    }

    fn with_global(global: Option<Schedule>) -> Limiter {
        let origin = global.as_ref().map(|g| g.next).unwrap_or_else(Instant::now);
        Limiter {
            global: global.map(Mutex::new),
            origin,
            chats: RateLimiter::new(spaced(PER_CHAT), DefaultKeyedStateStore::default(), TokioClock(origin)),
            groups: Mutex::new(HashMap::new()),
            paused_until: Mutex::new(None),
            per_second: 0,
            late: AtomicU64::new(0),
            late_max_us: AtomicU64::new(0),
        }
    }

    /// Waits until `messages` messages (an album counts each item) may go to `chat_id`.
    pub async fn acquire(&self, chat_id: i64, messages: u32) {
        for _ in 0..messages.max(1) {
            self.wait_pause().await;
            self.until_chat_ready(chat_id).await;
            if chat_id < 0 {
                self.until_group_ready(chat_id).await;
            }
            if let Some(global) = &self.global {
                let mut gave_up = false;
                loop {
                    let pause = self.pause_end();
                    let place = global.lock().unwrap_or_else(|e| e.into_inner()).take(Instant::now(), pause);
                    let at = self.on_tick(place);
                    if at > Instant::now() {
                        tokio::time::sleep_until(at).await;
                    }
                    // woken late (the thread was held up, the machine short of CPU): every send
                    // whose place passed meanwhile woke with this one, and together they would
                    // reach Telegram as a burst; the places missed are given up instead, and this
                    // send takes a new one. Once only: on a machine that cannot keep time at all
                    // the sends must still go (the count of the last second below still holds)
                    let late = Instant::now().saturating_duration_since(at);
                    if late > LATE && !gave_up {
                        gave_up = true;
                        self.late.fetch_add(1, Relaxed);
                        self.late_max_us.fetch_max(u64::try_from(late.as_micros()).unwrap_or(u64::MAX), Relaxed);
                        continue;
                    }
                    // never more than the rate in a second, however late this wake-up came
                    loop {
                        let room = global.lock().unwrap_or_else(|e| e.into_inner()).room(Instant::now());
                        match room {
                            Ok(()) => break,
                            Err(at) => tokio::time::sleep_until(self.on_tick(at)).await,
                        }
                    }
                    // a 429 came while this send waited: its place may have fallen in the pause
                    if self.pause_end() == pause {
                        break;
                    }
                    self.wait_pause().await;
                }
            }
        }
        self.wait_pause().await;
    }

    /// The first tick at or after `t`.
    fn on_tick(&self, t: Instant) -> Instant {
        let since = t.saturating_duration_since(self.origin).as_nanos();
        let tick = TICK.as_nanos();
        let ticks = since.div_ceil(tick);
        self.origin + Duration::from_nanos(u64::try_from(ticks * tick).unwrap_or(u64::MAX))
    }

    /// Waits until `chat` may take one more message (on a tick, as the overall rate's sends go,
    /// so that the chats' waits wake the process together too).
    async fn until_chat_ready(&self, chat: i64) {
        while let Err(not_until) = self.chats.check_key(&chat) {
            let wait = not_until.wait_time_from(self.chats.clock().now());
            tokio::time::sleep_until(self.on_tick(Instant::now() + wait)).await;
        }
    }

    /// Waits until `group` has had fewer than [`PER_GROUP`] messages in the last [`GROUP_WINDOW`],
    /// and counts one more.
    async fn until_group_ready(&self, group: i64) {
        loop {
            let wait = {
                let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
                let sent = groups.entry(group).or_default();
                let now = Instant::now();
                while sent.front().is_some_and(|t| now.duration_since(*t) >= GROUP_WINDOW) {
                    sent.pop_front();
                }
                if sent.len() < PER_GROUP {
                    sent.push_back(now);
                    return;
                }
                sent.front().map(|t| *t + GROUP_WINDOW - now).unwrap_or_default()
            };
            tokio::time::sleep(wait).await;
        }
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

    /// When the pause Telegram asked for ends, if one was asked for.
    fn pause_end(&self) -> Option<Instant> {
        *self.paused_until.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn wait_pause(&self) {
        loop {
            match self.pause_end() {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Forgets chats not written to lately (keeps memory flat over a long run).
    pub fn forget_idle(&self) {
        self.chats.retain_recent();
        let now = Instant::now();
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups.retain(|_, sent| sent.back().is_some_and(|t| now.duration_since(*t) < GROUP_WINDOW));
        groups.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn the_overall_rate_spaces_sends_evenly() {
        // tokio's clock stands still unless a send sleeps: how far it moved is how long sends waited
        let l = Limiter::new(50);
        let start = Instant::now();
        for chat in 0..26 {
            l.acquire(1000 + chat, 1).await;
        }
        // the first at once, then one every 20.1 ms (99.5 % of 50/s); the timer counts whole ms
        let interval = Duration::from_secs_f64(1.0 / (50.0 * HEADROOM));
        let took = start.elapsed();
        assert!(took >= interval * 25 && took <= interval * 25 + Duration::from_millis(25), "{took:?}");
    }

    #[test]
    fn the_tick_and_the_catch_up_never_let_a_second_hold_more_than_the_rate() {
        let late = (TICK + CATCH_UP).as_secs_f64();
        for rate in [1u32, 20, 30, 100, 1000] {
            let within = ((1.0 + late) * f64::from(rate) * HEADROOM).floor() as u32 + 1;
            assert!(within <= rate, "{within} sends in a second at {rate}/s");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_sends_no_burst_and_no_second_holds_more_than_the_rate() {
        // 400 sends at 100/s; the process wakes half a second late once (the clock jumps: every
        // send whose tick passed wakes at once), then on time, a millisecond at a time
        let l = Arc::new(Limiter::new(100));
        let times = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for chat in 0..400 {
            let (l, times) = (l.clone(), times.clone());
            tasks.push(tokio::spawn(async move {
                l.acquire(1000 + chat, 1).await;
                times.lock().unwrap().push(Instant::now());
            }));
        }
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(500)).await;
        while times.lock().unwrap().len() < 400 {
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut times = times.lock().unwrap().clone();
        times.sort();
        let within = |t: &Instant, span: Duration| times.iter().filter(|u| **u >= *t && **u < *t + span).count();
        // the sends whose places passed more than LATE before the wake-up gave them up and took
        // new ones: no burst (at 100/s a place every 10 ms: only the two or so places within LATE
        // of the wake-up went at it)
        let (late, latest) = l.late_wakeups();
        assert!(late >= 40, "{late} sends woke late");
        assert!(latest >= Duration::from_millis(400), "the latest wake-up was {latest:?} after its tick");
        let burst = times.iter().map(|t| within(t, Duration::from_millis(2))).max();
        assert!(burst <= Some(3), "the late wake-up sent {burst:?} at once");
        let most = times.iter().map(|t| within(t, Duration::from_secs(1))).max();
        assert_eq!(most, Some(100), "the fullest second holds the rate, no more");
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_gives_its_place_up_once_and_goes_when_it_wakes_late_again() {
        // 20 sends at 100/s, places 0-200 ms; the process wakes 500 ms late: each gives its place
        // up and takes a new one (500-700 ms); it then wakes a second late again: they go, however
        // late, rather than give their places up for ever
        let l = Arc::new(Limiter::new(100));
        let done = Arc::new(Mutex::new(0));
        for chat in 0..20 {
            let (l, done) = (l.clone(), done.clone());
            tokio::spawn(async move {
                l.acquire(1000 + chat, 1).await;
                *done.lock().unwrap() += 1;
            });
        }
        tokio::task::yield_now().await;
        let sent_at_once = *done.lock().unwrap();
        tokio::time::advance(Duration::from_millis(500)).await;
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        assert!(*done.lock().unwrap() <= sent_at_once + 2, "the sends woken late went");
        assert!(l.late_wakeups().0 >= 17, "{:?} gave their places up", l.late_wakeups());
        tokio::time::advance(Duration::from_secs(1)).await;
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
        assert_eq!(*done.lock().unwrap(), 20, "every send went at its second late wake-up");
        assert!(l.late_wakeups().0 <= 20, "a send gave its place up twice: {:?}", l.late_wakeups());
    }

    #[test]
    fn a_second_full_of_sends_makes_the_next_wait_for_the_oldest_to_leave_it() {
        let mut s = Schedule::new(3, Duration::from_millis(333));
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(s.room(t0), Ok(()));
        assert_eq!(s.room(t0 + ms(100)), Ok(()));
        assert_eq!(s.room(t0 + ms(200)), Ok(()));
        assert_eq!(s.room(t0 + ms(500)), Err(t0 + ms(1000)));
        assert_eq!(s.room(t0 + ms(1000)), Ok(()));
        assert_eq!(s.room(t0 + ms(1050)), Err(t0 + ms(1100)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_send_is_caught_up_but_a_gap_gives_no_burst() {
        let interval = Duration::from_secs_f64(1.0 / (30.0 * HEADROOM));
        let mut s = Schedule::new(30, interval);
        let t0 = s.next;
        assert_eq!(s.take(t0, None), t0);
        // asking 1 ms late: the next is still due on the even schedule, not 1 ms later
        let second = s.take(t0 + interval + CATCH_UP, None);
        assert_eq!(second, t0 + interval);
        assert_eq!(s.take(second, None), t0 + interval * 2);
        // after a gap of a second, at most the catch-up's worth is credited: one send at once here
        let later = t0 + Duration::from_secs(2);
        let first = s.take(later, None);
        assert_eq!(first, later - CATCH_UP);
        assert_eq!(s.take(later, None), later - CATCH_UP + interval, "the second waits an interval");
        // nothing is placed in a pause
        let pause_end = later + Duration::from_secs(5);
        assert_eq!(s.take(later, Some(pause_end)), pause_end);
    }

    /// Sends to `chats` distinct chats, all asking at once as a broadcast's deliveries do; when
    /// each went, from the first.
    async fn crowd(l: Arc<Limiter>, chats: i64) -> Vec<Duration> {
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for chat in 0..chats {
            let l = l.clone();
            tasks.spawn(async move {
                l.acquire(chat, 1).await;
                start.elapsed()
            });
        }
        let mut times = tasks.join_all().await;
        times.sort();
        times
    }

    #[tokio::test(start_paused = true)]
    async fn a_crowd_goes_at_the_rate_on_ticks_and_no_second_holds_more() {
        let l = Arc::new(Limiter::new(1000));
        let times = crowd(l, 3000).await;
        for (i, t) in times.iter().enumerate() {
            let within = times[i..].iter().take_while(|u| **u < *t + Duration::from_secs(1)).count();
            assert!(within <= 1000, "{within} sends in the second from {t:?}");
            // every send went on a tick, and no later than a tick after its place
            assert_eq!(t.as_nanos() % TICK.as_nanos(), 0, "send {i} at {t:?}");
            let place = Duration::from_secs_f64(i as f64 / (1000.0 * HEADROOM));
            assert!(*t >= place && *t < place + TICK, "send {i} at {t:?}, its place at {place:?}");
        }
        // the sends of one tick go together: 250 wake-ups a second, not 1,000
        let mut ticks = times.clone();
        ticks.dedup();
        assert!(ticks.len() <= times.len() / 3, "{} ticks for {} sends", ticks.len(), times.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_that_comes_while_sends_wait_moves_them_after_it() {
        let l = Arc::new(Limiter::new(1000));
        let waiting = tokio::spawn(crowd(l.clone(), 500));
        // 100 ms in, Telegram says 429 with a second to wait
        tokio::time::sleep(Duration::from_millis(100)).await;
        l.pause(Duration::from_secs(1));
        let times = waiting.await.unwrap();
        let pause = Duration::from_millis(100)..Duration::from_millis(1100);
        assert!(times.iter().all(|t| !pause.contains(t)), "a send went in the pause");
        let after: Vec<Duration> = times.iter().copied().filter(|t| *t >= pause.end).collect();
        assert!(after.len() >= 390, "the sends placed in the pause went after it: {}", after.len());
        // at the rate after it too, not all at once: any 100 ms holds the sends placed in about
        // 100 ms (and a tick and the catch-up before it)
        for (i, t) in times.iter().enumerate() {
            let within = times[i..].iter().take_while(|u| **u < *t + Duration::from_millis(100)).count();
            assert!(within <= 106, "{within} sends in the 100 ms from {t:?}: a burst");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_unlimited_limiter_never_waits_for_the_overall_rate() {
        // tokio's clock stands still unless a send sleeps: how far it moved is how long sends waited
        let l = Limiter::unlimited();
        let start = Instant::now();
        for chat in 0..5000 {
            l.acquire(chat, 1).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        let times = crowd(Arc::new(Limiter::new(1000)), 1000).await;
        let interval = Duration::from_secs_f64(1.0 / (1000.0 * HEADROOM));
        let last = times[999];
        assert!(last >= interval * 999 && last < interval * 999 + TICK, "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn one_chat_gets_one_message_a_second() {
        let l = Limiter::new(1000);
        let start = Instant::now();
        l.acquire(42, 2).await; // an album of two
        l.acquire(42, 1).await;
        let took = start.elapsed();
        assert!(took >= Duration::from_secs(2) && took < Duration::from_millis(2010), "{took:?}");
        // another chat is not held by this one's pace
        let before = Instant::now();
        l.acquire(43, 1).await;
        assert!(before.elapsed() < Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_takes_twenty_a_minute_a_second_apart() {
        let l = Limiter::new(1000);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..45 {
            l.acquire(-100, 1).await;
            times.push(start.elapsed());
        }
        // the first twenty a second apart (each chat's own limit), as a pack and a dialogue need
        for (i, t) in times.iter().take(PER_GROUP).enumerate() {
            let due = Duration::from_secs(i as u64);
            assert!(*t >= due && *t < due + Duration::from_millis(10), "send {i} at {t:?}");
        }
        // the twenty-first only when the first has left the window; no window ever holds more
        assert!(times[PER_GROUP] >= GROUP_WINDOW, "{:?}", times[PER_GROUP]);
        for (i, t) in times.iter().enumerate() {
            let within = times[i..].iter().take_while(|u| **u < *t + GROUP_WINDOW).count();
            assert!(within <= PER_GROUP, "{within} messages in the window from {t:?}");
        }
        // a private chat's sends are not counted against any group, and an idle group is forgotten
        let before = Instant::now();
        l.acquire(100, 1).await;
        assert!(before.elapsed() < Duration::from_millis(5));
        tokio::time::advance(GROUP_WINDOW).await;
        l.forget_idle();
        assert!(l.groups.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_chat() {
        let l = Limiter::new(1000);
        l.pause(Duration::from_millis(300));
        let start = Instant::now();
        l.acquire(7, 1).await;
        assert!(start.elapsed() >= Duration::from_millis(300));
    }
}
