//! A Telegram Bot API simulator that a teloxide bot cannot tell from Telegram for everything Loa
//! uses. Tests, the demo and the benchmarks run Loa against it; `loa sim` serves it alone.
//!
//! - `world/` holds the simulated users, chats, messages, files and update queue, and the
//!   behaviour of each Bot API method, with Telegram's error descriptions and limits: the state in
//!   `world/mod.rs`, then `people.rs` (what users do), `messages.rs` (what the bot sends),
//!   `limits.rs` (rates and faults), `admin.rs` (menus, webhook), `params.rs` (a request's fields).
//! - `server.rs` is the HTTP layer: `/bot<TOKEN>/<method>`, `/file/bot<TOKEN>/<path>`, the control
//!   routes under `/_sim/`, and the webhook pusher.
//! - Telegram's HTML subset is parsed by [`crate::tghtml`], shared with pack validation.
//!
//! [`Sim`] is the in-process handle: it plays the users (send text, press buttons, add the bot to
//! groups...) and reads what the bot did.

mod server;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

use world::World;
pub use world::{
    ApiError, BotStatus, CallRecord, CallbackAnswer, ChatKind, FaultKind, FaultRule, RateLimits, SimMessage, Upload,
};

/// The token the simulator accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "7000000001:SIMULATOR-TOKEN-for-tests-and-demo";
/// The bot's username in the simulator.
pub const DEFAULT_BOT_USERNAME: &str = "loa_sim_bot";

/// State shared by the HTTP handlers and the control handle. One lock over the whole world keeps
/// every method atomic, as Telegram's are from a bot's point of view; it is never held across an
/// await. `updates` wakes long polls and the webhook pusher; `changed` wakes tests that wait for
/// the bot to do something.
pub(crate) struct Shared {
    world: Mutex<World>,
    updates: Notify,
    changed: Notify,
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the world, then wakes whoever waits for a change.
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let r = f(&mut self.world());
        self.updates.notify_waiters();
        self.changed.notify_waiters();
        r
    }
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub token: String,
    pub bot_username: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: DEFAULT_TOKEN.into(),
            bot_username: DEFAULT_BOT_USERNAME.into(),
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Sim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Sim {
    /// Starts a simulator on `config.listen` (port 0 picks a free one).
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(config.token, config.bot_username)),
            updates: Notify::new(),
            changed: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        let pusher = tokio::spawn(server::webhook_pusher(shared.clone()));
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator server stopped");
            }
            pusher.abort();
        });
        Ok(Sim { shared, addr, stop: Some(stop) })
    }

    /// Starts a simulator on a free loopback port with the default token.
    pub async fn start_default() -> std::io::Result<Sim> {
        Sim::start(SimConfig::default()).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a bot as its `api_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> String {
        self.shared.world().token.clone()
    }

    pub fn bot_username(&self) -> String {
        self.shared.world().bot_username.clone()
    }

    pub fn bot_id(&self) -> i64 {
        self.shared.world().bot_id
    }

    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.shared.with(f)
    }

    // ----- users and chats ------------------------------------------------------------------

    /// A new user (Vietnamese client unless `language_code` says otherwise). Returns the user id,
    /// which is also the id of the user's private chat with the bot.
    pub fn create_user(&self, first_name: &str, last_name: Option<&str>) -> i64 {
        self.with(|w| w.create_user(first_name, last_name, Some("vi")))
    }

    pub fn create_user_with_language(&self, first_name: &str, language_code: &str) -> i64 {
        self.with(|w| w.create_user(first_name, None, Some(language_code)))
    }

    /// The user opens the private chat with the bot (presses Start) without sending anything the
    /// bot would see: from now on the bot may write to them.
    pub fn open_private_chat(&self, user_id: i64) {
        self.with(|w| w.open_private_chat(user_id))
    }

    /// How many distinct files Telegram holds (uploads by the bot and users).
    pub fn file_count(&self) -> usize {
        self.shared.world().files.len()
    }

    /// A new basic group or supergroup, without the bot in it.
    pub fn create_group(&self, title: &str, kind: ChatKind) -> i64 {
        self.with(|w| w.create_group(title, kind))
    }

    /// `by` adds the bot to the group; with `start`, as through a `?startgroup=<start>` link.
    pub fn add_bot_to_group(&self, chat_id: i64, by: i64, start: Option<&str>) -> Result<(), String> {
        self.with(|w| w.add_bot_to_group(chat_id, by, start))
    }

    pub fn remove_bot_from_group(&self, chat_id: i64, by: i64) -> Result<(), String> {
        self.with(|w| w.remove_bot_from_group(chat_id, by))
    }

    /// The user blocks (or unblocks) the bot in their private chat.
    pub fn block_bot(&self, user_id: i64, blocked: bool) -> Result<(), String> {
        self.with(|w| w.set_blocked(user_id, blocked))
    }

    /// The user deletes their account: sends to them answer "user is deactivated".
    pub fn deactivate_user(&self, user_id: i64) {
        self.with(|w| {
            if let Some(u) = w.users.get_mut(&user_id) {
                u.deactivated = true;
            }
        })
    }

    /// Upgrades a basic group to a supergroup; returns the new chat id.
    pub fn migrate_group(&self, chat_id: i64, by: i64) -> Result<i64, String> {
        self.with(|w| w.migrate_group(chat_id, by))
    }

    /// The chat disappears from Telegram: sends to it answer "chat not found".
    pub fn delete_chat(&self, chat_id: i64) {
        self.with(|w| {
            w.chats.remove(&chat_id);
            w.users.remove(&chat_id);
        })
    }

    pub fn set_privacy_mode(&self, on: bool) {
        self.with(|w| w.privacy_mode = on)
    }

    // ----- what users do ----------------------------------------------------------------------

    /// A user writes `text` in a chat (their private chat with the bot when `chat_id == user_id`).
    /// A group message the bot cannot see under privacy mode is kept in the chat but not sent to it.
    pub fn send_text(&self, chat_id: i64, user_id: i64, text: &str) -> Result<i64, String> {
        self.with(|w| w.user_text(chat_id, user_id, text, None))
    }

    /// A user writes formatted text, given as Telegram HTML (the client turns it into entities).
    pub fn send_formatted(&self, chat_id: i64, user_id: i64, html: &str) -> Result<i64, String> {
        let parsed = crate::tghtml::parse(html)?;
        self.with(|w| w.user_text_with(chat_id, user_id, &parsed.text, parsed.entities, None))
    }

    /// A user replies to a message (e.g. answering the bot's ForceReply).
    pub fn reply(&self, chat_id: i64, user_id: i64, to_message_id: i64, text: &str) -> Result<i64, String> {
        self.with(|w| w.user_text(chat_id, user_id, text, Some(to_message_id)))
    }

    pub fn send_document(
        &self,
        chat_id: i64,
        user_id: i64,
        file_name: &str,
        mime: &str,
        bytes: Vec<u8>,
        reply_to: Option<i64>,
    ) -> Result<i64, String> {
        let up = Upload { file_name: Some(file_name.into()), content_type: Some(mime.into()), bytes };
        self.with(|w| w.user_file(chat_id, user_id, "document", up, None, reply_to))
    }

    pub fn send_photo(
        &self,
        chat_id: i64,
        user_id: i64,
        bytes: Vec<u8>,
        caption: Option<&str>,
        reply_to: Option<i64>,
    ) -> Result<i64, String> {
        let up = Upload { file_name: None, content_type: Some("image/jpeg".into()), bytes };
        self.with(|w| w.user_file(chat_id, user_id, "photo", up, caption, reply_to))
    }

    /// A user presses the inline button with `data` under message `message_id`. Returns the
    /// callback query id.
    pub fn press_button(&self, chat_id: i64, user_id: i64, message_id: i64, data: &str) -> Result<String, String> {
        self.with(|w| w.press_button(chat_id, user_id, message_id, data))
    }

    /// A callback query with data the message never carried (a forged or stale button).
    pub fn forge_callback(&self, chat_id: i64, user_id: i64, message_id: i64, data: &str) -> Result<String, String> {
        self.with(|w| w.forge_callback(chat_id, user_id, message_id, data))
    }

    /// Queues a raw update, as Telegram would send it (for malformed-input tests).
    pub fn push_raw_update(&self, kind: &'static str, payload: serde_json::Value) -> i64 {
        self.with(|w| w.push_update(kind, payload))
    }

    // ----- what the bot did -------------------------------------------------------------------

    /// Every message in a chat, users' and bot's, in order.
    pub fn messages(&self, chat_id: i64) -> Vec<SimMessage> {
        self.shared.world().chats.get(&chat_id).map(|c| c.messages.clone()).unwrap_or_default()
    }

    /// The messages the bot sent to a chat, in order.
    pub fn bot_messages(&self, chat_id: i64) -> Vec<SimMessage> {
        self.messages(chat_id).into_iter().filter(|m| m.from_bot).collect()
    }

    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.shared.world().callback_answers.clone()
    }

    /// How many times the bot called `method` (case-insensitive), successful or not.
    pub fn call_count(&self, method: &str) -> usize {
        self.shared.world().calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).count()
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared.world().calls.clone()
    }

    /// The commands the bot registered for a scope (JSON as sent, e.g. `{"type":"default"}`) and
    /// language ("" for all).
    pub fn commands(&self, scope: serde_json::Value, language_code: &str) -> Vec<serde_json::Value> {
        let key = (serde_json::to_string(&scope).unwrap_or_default(), language_code.to_string());
        match self.shared.world().commands.get(&key) {
            Some(serde_json::Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        }
    }

    /// Forgets the commands registered for a scope and language (as deleteMyCommands would).
    pub fn delete_commands(&self, scope: serde_json::Value) {
        let key = serde_json::to_string(&scope).unwrap_or_default();
        self.with(|w| w.commands.retain(|(s, _), _| *s != key))
    }

    pub fn file_bytes(&self, file_id: &str) -> Option<Vec<u8>> {
        self.shared.world().files.get(file_id).map(|f| f.bytes.clone())
    }

    pub fn pending_updates(&self) -> usize {
        self.shared.world().updates.len()
    }

    pub fn webhook_url(&self) -> Option<String> {
        self.shared.world().webhook.as_ref().map(|w| w.url.clone())
    }

    // ----- Telegram under pressure --------------------------------------------------------------

    /// Runs the simulator as a Bot API server started with `--local` whose working folder is
    /// `dir` (`None`: as api.telegram.org): getFile answers a file's absolute path under `dir`
    /// with no size limit, and uploads may be up to 2000 MB.
    pub fn set_local_mode(&self, dir: Option<std::path::PathBuf>) {
        self.with(|w| w.local_dir = dir)
    }

    pub fn set_limits(&self, limits: RateLimits) {
        self.with(|w| w.limits = limits)
    }

    pub fn limits(&self) -> RateLimits {
        self.shared.world().limits.clone()
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.with(|w| w.faults.push(rule))
    }

    pub fn clear_faults(&self) {
        self.with(|w| w.faults.clear())
    }

    /// Waits until `check` holds over the world, up to `timeout`. Returns whether it held.
    pub async fn wait_until(&self, timeout: Duration, mut check: impl FnMut(&Sim) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if check(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Waits until the bot has sent at least `n` messages to `chat_id`; returns them.
    pub async fn wait_for_bot_messages(&self, chat_id: i64, n: usize, timeout: Duration) -> Vec<SimMessage> {
        self.wait_until(timeout, |s| s.bot_messages(chat_id).len() >= n).await;
        self.bot_messages(chat_id)
    }

    /// Waits until every queued update has been taken by the bot.
    pub async fn wait_for_updates_taken(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.pending_updates() == 0).await
    }
}
