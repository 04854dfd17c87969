//! The simulated Telegram world: users, chats, messages, files, the update queue, rate limits and
//! faults. Everything here is synchronous and runs under one lock; the HTTP layer (`server.rs`)
//! parses requests and calls into it, and the control handle (`mod.rs`) drives users from tests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::tghtml as html;

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

/// A Bot API error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub description: String,
    pub parameters: Option<Value>,
}

impl ApiError {
    pub fn bad_request(what: impl AsRef<str>) -> Self {
        ApiError { code: 400, description: format!("Bad Request: {}", what.as_ref()), parameters: None }
    }
    pub fn forbidden(what: impl AsRef<str>) -> Self {
        ApiError { code: 403, description: format!("Forbidden: {}", what.as_ref()), parameters: None }
    }
    pub fn too_many(retry_after: u64) -> Self {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            parameters: Some(json!({ "retry_after": retry_after })),
        }
    }
    pub fn body(&self) -> Value {
        let mut v = json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(p) = &self.parameters {
            v["parameters"] = p.clone();
        }
        v
    }
}

pub type ApiResult = Result<Value, ApiError>;

#[derive(Debug, Clone)]
pub struct SimUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
    /// The user opened the private chat with the bot (pressed Start).
    pub started: bool,
    pub blocked_bot: bool,
    pub deactivated: bool,
}

impl SimUser {
    pub fn json(&self) -> Value {
        let mut v = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(l) = &self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        if let Some(l) = &self.language_code {
            v["language_code"] = json!(l);
        }
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotStatus {
    Member,
    Administrator,
    Left,
    Kicked,
}

impl BotStatus {
    fn as_str(self) -> &'static str {
        match self {
            BotStatus::Member => "member",
            BotStatus::Administrator => "administrator",
            BotStatus::Left => "left",
            BotStatus::Kicked => "kicked",
        }
    }
}

/// One message in a chat, from the bot or from a user, as the simulator keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct SimMessage {
    pub message_id: i64,
    pub from_bot: bool,
    /// The Bot API method that made it (`sendmessage`, ...), or `user` for a user's message.
    pub method: String,
    /// The Message object, as the Bot API returns it (after any edits).
    pub json: Value,
    /// The text or caption exactly as the bot sent it (HTML source when parse_mode was HTML).
    pub source: Option<String>,
    pub parse_mode: Option<String>,
    /// Earlier versions, oldest first.
    pub edits: Vec<Value>,
    pub deleted: bool,
}

impl SimMessage {
    /// The plain text (or caption) after entity parsing.
    pub fn text(&self) -> Option<&str> {
        self.json.get("text").or_else(|| self.json.get("caption")).and_then(Value::as_str)
    }
    pub fn reply_markup(&self) -> Option<&Value> {
        self.json.get("reply_markup")
    }
    /// The labels of the inline keyboard buttons, row by row flattened.
    pub fn button_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(rows) = self.json.pointer("/reply_markup/inline_keyboard").and_then(Value::as_array) {
            for row in rows {
                for b in row.as_array().into_iter().flatten() {
                    out.push(b["text"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        out
    }
    pub fn document_name(&self) -> Option<&str> {
        self.json.pointer("/document/file_name").and_then(Value::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct SimChat {
    pub id: i64,
    pub kind: ChatKind,
    pub title: Option<String>,
    pub bot_status: BotStatus,
    pub migrated_to: Option<i64>,
    pub next_message_id: i64,
    pub messages: Vec<SimMessage>,
}

impl SimChat {
    fn is_group(&self) -> bool {
        self.kind != ChatKind::Private
    }
}

#[derive(Debug, Clone)]
pub struct SimFile {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub bytes: Vec<u8>,
    pub path: String,
    /// document or photo: a file_id of one kind cannot be sent as the other.
    pub kind: &'static str,
}

/// An answer the bot gave to a button press.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackAnswer {
    pub callback_query_id: String,
    pub chat_id: i64,
    pub text: Option<String>,
    pub show_alert: bool,
}

#[derive(Debug, Clone)]
struct PendingCallback {
    chat_id: i64,
    created: Instant,
    answered: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub last_error: Option<(i64, String)>,
}

/// One call the bot made.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub method: String,
    pub chat_id: Option<i64>,
    pub ok: bool,
    pub error_code: Option<u16>,
    #[serde(skip)]
    pub at: Instant,
}

/// A file that came in a multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

pub const MAX_UPLOAD: usize = 50 * 1024 * 1024;
pub const MAX_DOWNLOAD: usize = 20 * 1024 * 1024;
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Everything the simulator knows.
pub struct World {
    pub token: String,
    pub bot_id: i64,
    pub bot_username: String,
    pub bot_name: String,
    pub privacy_mode: bool,
    pub users: HashMap<i64, SimUser>,
    pub chats: HashMap<i64, SimChat>,
    pub files: HashMap<String, SimFile>,
    pub updates: VecDeque<(i64, &'static str, Value)>,
    pub allowed_updates: Option<Vec<String>>,
    pub webhook: Option<Webhook>,
    pub commands: BTreeMap<(String, String), Value>,
    pub callback_answers: Vec<CallbackAnswer>,
    callbacks: HashMap<String, PendingCallback>,
    pub calls: Vec<CallRecord>,
    pub limits: RateLimits,
    sends: VecDeque<Instant>,
    chat_sends: HashMap<i64, VecDeque<Instant>>,
    /// Per-chat token buckets: (tokens, when last refilled).
    chat_buckets: HashMap<i64, (f64, Instant)>,
    pub faults: Vec<FaultRule>,
    pub poll_generation: u64,
    next_user: i64,
    next_group: i64,
    next_supergroup: i64,
    next_update: i64,
    next_file: u64,
    next_callback: u64,
    next_album: u64,
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl World {
    pub fn new(token: String, bot_username: String) -> Self {
        let bot_id = token.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(7_000_000_001);
        World {
            token,
            bot_id,
            bot_name: "Loa".into(),
            bot_username,
            privacy_mode: true,
            users: HashMap::new(),
            chats: HashMap::new(),
            files: HashMap::new(),
            updates: VecDeque::new(),
            allowed_updates: None,
            webhook: None,
            commands: BTreeMap::new(),
            callback_answers: Vec::new(),
            callbacks: HashMap::new(),
            calls: Vec::new(),
            limits: RateLimits::default(),
            sends: VecDeque::new(),
            chat_sends: HashMap::new(),
            chat_buckets: HashMap::new(),
            faults: Vec::new(),
            poll_generation: 0,
            next_user: 100_000_001,
            next_group: -4_000_000_001,
            next_supergroup: -1_002_000_000_001,
            next_update: 1,
            next_file: 1,
            next_callback: 1,
            next_album: 1,
        }
    }

    pub fn bot_json(&self) -> Value {
        json!({"id": self.bot_id, "is_bot": true, "first_name": self.bot_name, "username": self.bot_username})
    }

    fn chat_json(&self, chat_id: i64) -> Value {
        let chat = &self.chats[&chat_id];
        match chat.kind {
            ChatKind::Private => {
                let u = &self.users[&chat_id];
                let mut v = json!({"id": chat_id, "type": "private", "first_name": u.first_name});
                if let Some(l) = &u.last_name {
                    v["last_name"] = json!(l);
                }
                if let Some(n) = &u.username {
                    v["username"] = json!(n);
                }
                v
            }
            ChatKind::Group => json!({"id": chat_id, "type": "group", "title": chat.title}),
            ChatKind::Supergroup => json!({"id": chat_id, "type": "supergroup", "title": chat.title}),
        }
    }

    // ----- the control side: users and chats ------------------------------------------------

    pub fn create_user(&mut self, first_name: &str, last_name: Option<&str>, language_code: Option<&str>) -> i64 {
        let id = self.next_user;
        self.next_user += 1;
        self.users.insert(
            id,
            SimUser {
                id,
                first_name: first_name.to_string(),
                last_name: last_name.map(str::to_string),
                username: None,
                language_code: language_code.map(str::to_string),
                started: false,
                blocked_bot: false,
                deactivated: false,
            },
        );
        id
    }

    pub fn open_private_chat(&mut self, user_id: i64) {
        if let Some(u) = self.users.get_mut(&user_id) {
            u.started = true;
            self.ensure_private_chat(user_id);
        }
    }

    fn ensure_private_chat(&mut self, user_id: i64) {
        self.chats.entry(user_id).or_insert_with(|| SimChat {
            id: user_id,
            kind: ChatKind::Private,
            title: None,
            bot_status: BotStatus::Member,
            migrated_to: None,
            next_message_id: 1,
            messages: Vec::new(),
        });
    }

    pub fn create_group(&mut self, title: &str, kind: ChatKind) -> i64 {
        let id = match kind {
            ChatKind::Supergroup => {
                let id = self.next_supergroup;
                self.next_supergroup -= 1;
                id
            }
            _ => {
                let id = self.next_group;
                self.next_group -= 1;
                id
            }
        };
        self.chats.insert(
            id,
            SimChat {
                id,
                kind: if kind == ChatKind::Private { ChatKind::Group } else { kind },
                title: Some(title.to_string()),
                bot_status: BotStatus::Left,
                migrated_to: None,
                next_message_id: 1,
                messages: Vec::new(),
            },
        );
        id
    }

    pub fn push_update(&mut self, kind: &'static str, payload: Value) -> i64 {
        let id = self.next_update;
        self.next_update += 1;
        let mut update = json!({ "update_id": id });
        update[kind] = payload;
        self.updates.push_back((id, kind, update));
        id
    }

    fn member_update(&mut self, chat_id: i64, by: i64, old: BotStatus, new: BotStatus) {
        let bot = self.bot_json();
        let member = |s: BotStatus| {
            let mut m = json!({"status": s.as_str(), "user": bot.clone()});
            if s == BotStatus::Kicked {
                m["until_date"] = json!(0);
            }
            if s == BotStatus::Administrator {
                m["can_be_edited"] = json!(false);
                for k in [
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ] {
                    m[k] = json!(false);
                }
            }
            m
        };
        let payload = json!({
            "chat": self.chat_json(chat_id),
            "from": self.users[&by].json(),
            "date": now_secs(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        });
        self.push_update("my_chat_member", payload);
    }

    /// A user adds the bot to a group, through a `?startgroup=<param>` link when `start` is given:
    /// Telegram then posts `/start@bot <param>` in the group for the user.
    pub fn add_bot_to_group(&mut self, chat_id: i64, by: i64, start: Option<&str>) -> Result<(), String> {
        let chat = self.chats.get_mut(&chat_id).ok_or("no such chat")?;
        if !chat.is_group() {
            return Err("not a group".into());
        }
        let old = chat.bot_status;
        chat.bot_status = BotStatus::Member;
        self.member_update(chat_id, by, old, BotStatus::Member);
        let bot = self.bot_json();
        self.user_message(chat_id, by, |m| {
            m["new_chat_members"] = json!([bot.clone()]);
            m["new_chat_member"] = bot.clone();
            m["new_chat_participant"] = bot;
        })?;
        if let Some(p) = start {
            let text = format!("/start@{} {p}", self.bot_username);
            self.user_text(chat_id, by, &text, None)?;
        }
        Ok(())
    }

    /// A user removes the bot from a group (kicked) or the bot leaves.
    pub fn remove_bot_from_group(&mut self, chat_id: i64, by: i64) -> Result<(), String> {
        let chat = self.chats.get_mut(&chat_id).ok_or("no such chat")?;
        let old = chat.bot_status;
        chat.bot_status = BotStatus::Kicked;
        self.member_update(chat_id, by, old, BotStatus::Kicked);
        Ok(())
    }

    pub fn set_blocked(&mut self, user_id: i64, blocked: bool) -> Result<(), String> {
        let user = self.users.get_mut(&user_id).ok_or("no such user")?;
        if user.blocked_bot == blocked {
            return Ok(());
        }
        user.blocked_bot = blocked;
        self.ensure_private_chat(user_id);
        let (old, new) =
            if blocked { (BotStatus::Member, BotStatus::Kicked) } else { (BotStatus::Kicked, BotStatus::Member) };
        self.member_update(user_id, user_id, old, new);
        Ok(())
    }

    /// A basic group is upgraded to a supergroup: the old id stops working and both chats get
    /// the service messages Telegram sends. Returns the new id.
    pub fn migrate_group(&mut self, chat_id: i64, by: i64) -> Result<i64, String> {
        let chat = self.chats.get(&chat_id).ok_or("no such chat")?;
        if chat.kind != ChatKind::Group {
            return Err("only a basic group can be migrated".into());
        }
        let title = chat.title.clone().unwrap_or_default();
        let status = chat.bot_status;
        let new_id = self.create_group(&title, ChatKind::Supergroup);
        self.chats.get_mut(&new_id).expect("just made").bot_status = status;
        self.chats.get_mut(&chat_id).expect("checked").migrated_to = Some(new_id);
        // The service messages are delivered to bots regardless of privacy mode.
        self.user_message_raw(chat_id, by, |m| m["migrate_to_chat_id"] = json!(new_id), true)?;
        self.user_message_raw(new_id, by, |m| m["migrate_from_chat_id"] = json!(chat_id), true)?;
        Ok(new_id)
    }

    fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let chat = self.chats.get_mut(&chat_id).expect("chat exists");
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        id
    }

    fn user_message(&mut self, chat_id: i64, user_id: i64, fill: impl FnOnce(&mut Value)) -> Result<i64, String> {
        self.user_message_raw(chat_id, user_id, fill, true)
    }

    /// Records a user's message in a chat and, when the bot can see it, queues the update.
    fn user_message_raw(
        &mut self,
        chat_id: i64,
        user_id: i64,
        fill: impl FnOnce(&mut Value),
        visible: bool,
    ) -> Result<i64, String> {
        let user = self.users.get(&user_id).ok_or("no such user")?.clone();
        if !self.chats.contains_key(&chat_id) {
            if chat_id == user_id {
                self.ensure_private_chat(user_id);
            } else {
                return Err("no such chat".into());
            }
        }
        if chat_id == user_id {
            self.users.get_mut(&user_id).expect("exists").started = true;
        }
        let message_id = self.next_message_id(chat_id);
        let mut m = json!({
            "message_id": message_id,
            "from": user.json(),
            "chat": self.chat_json(chat_id),
            "date": now_secs(),
        });
        fill(&mut m);
        let chat = &self.chats[&chat_id];
        let bot_there = match chat.kind {
            ChatKind::Private => !user.blocked_bot,
            _ => matches!(chat.bot_status, BotStatus::Member | BotStatus::Administrator),
        };
        let migrated = chat.migrated_to.is_some();
        self.chats.get_mut(&chat_id).expect("exists").messages.push(SimMessage {
            message_id,
            from_bot: false,
            method: "user".into(),
            json: m.clone(),
            source: m.get("text").or_else(|| m.get("caption")).and_then(Value::as_str).map(str::to_string),
            parse_mode: None,
            edits: Vec::new(),
            deleted: false,
        });
        if (visible && bot_there && !migrated) || m.get("migrate_to_chat_id").is_some() {
            self.push_update("message", m);
        }
        Ok(message_id)
    }

    /// Whether the bot, in privacy mode, sees this text in a group.
    fn group_can_see(&self, text: &str, reply_to_bot: bool) -> bool {
        if !self.privacy_mode || reply_to_bot {
            return true;
        }
        let mention = format!("@{}", self.bot_username);
        if let Some(cmd) = text.strip_prefix('/') {
            let word = cmd.split_whitespace().next().unwrap_or("");
            return match word.split_once('@') {
                Some((_, to)) => to.eq_ignore_ascii_case(&self.bot_username),
                None => true,
            };
        }
        text.to_lowercase().contains(&mention.to_lowercase())
    }

    /// A user sends text (a command when it starts with '/'), optionally as a reply.
    pub fn user_text(&mut self, chat_id: i64, user_id: i64, text: &str, reply_to: Option<i64>) -> Result<i64, String> {
        self.user_text_with(chat_id, user_id, text, Vec::new(), reply_to)
    }

    /// A user sends text with formatting (bold, links...) given as Bot API entities.
    pub fn user_text_with(
        &mut self,
        chat_id: i64,
        user_id: i64,
        text: &str,
        formatting: Vec<Value>,
        reply_to: Option<i64>,
    ) -> Result<i64, String> {
        let reply_json = match reply_to {
            Some(r) => Some(
                self.chats
                    .get(&chat_id)
                    .and_then(|c| c.messages.iter().find(|m| m.message_id == r))
                    .ok_or("no message to reply to")?
                    .clone(),
            ),
            None => None,
        };
        let is_group = self.chats.get(&chat_id).map(|c| c.is_group()).unwrap_or(false);
        let reply_to_bot = reply_json.as_ref().map(|m| m.from_bot).unwrap_or(false);
        let visible = !is_group || self.group_can_see(text, reply_to_bot);
        let mut entities = text_entities(text, &self.bot_username);
        entities.extend(formatting);
        entities.sort_by_key(|e| e["offset"].as_u64());
        self.user_message_raw(
            chat_id,
            user_id,
            |m| {
                m["text"] = json!(text);
                if !entities.is_empty() {
                    m["entities"] = json!(entities);
                }
                if let Some(r) = reply_json {
                    m["reply_to_message"] = r.json;
                }
            },
            visible,
        )
    }

    /// A user sends a document or photo (`kind` "document" or "photo").
    pub fn user_file(
        &mut self,
        chat_id: i64,
        user_id: i64,
        kind: &'static str,
        upload: Upload,
        caption: Option<&str>,
        reply_to: Option<i64>,
    ) -> Result<i64, String> {
        let file = self.store_file(kind, upload);
        let media = self.file_json(&file);
        let reply_json = reply_to.and_then(|r| {
            self.chats.get(&chat_id).and_then(|c| c.messages.iter().find(|m| m.message_id == r)).cloned()
        });
        let reply_to_bot = reply_json.as_ref().map(|m| m.from_bot).unwrap_or(false);
        let is_group = self.chats.get(&chat_id).map(|c| c.is_group()).unwrap_or(false);
        let visible = !is_group || self.group_can_see(caption.unwrap_or(""), reply_to_bot);
        self.user_message_raw(
            chat_id,
            user_id,
            |m| {
                m[kind] = media;
                if let Some(c) = caption {
                    m["caption"] = json!(c);
                }
                if let Some(r) = reply_json {
                    m["reply_to_message"] = r.json;
                }
            },
            visible,
        )
    }

    /// A user presses an inline button under one of the bot's messages. Returns the query id.
    pub fn press_button(&mut self, chat_id: i64, user_id: i64, message_id: i64, data: &str) -> Result<String, String> {
        let user = self.users.get(&user_id).ok_or("no such user")?.json();
        let chat = self.chats.get(&chat_id).ok_or("no such chat")?;
        let msg = chat.messages.iter().find(|m| m.message_id == message_id && !m.deleted).ok_or("no such message")?;
        let has_button = msg
            .json
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()).any(|b| b["callback_data"] == data)
            })
            .unwrap_or(false);
        if !has_button {
            return Err("the message has no button with that callback_data".into());
        }
        let message = msg.json.clone();
        let id = format!("{}{:012}", self.bot_id % 1_000_000, self.next_callback);
        self.next_callback += 1;
        self.callbacks.insert(id.clone(), PendingCallback { chat_id, created: Instant::now(), answered: false });
        let payload = json!({
            "id": id,
            "from": user,
            "message": message,
            "chat_instance": format!("{}", (chat_id.wrapping_mul(2_654_435_761)).abs()),
            "data": data,
        });
        self.push_update("callback_query", payload);
        Ok(id)
    }

    /// A callback_query with data the bot never sent (a forged or stale button).
    pub fn forge_callback(
        &mut self,
        chat_id: i64,
        user_id: i64,
        message_id: i64,
        data: &str,
    ) -> Result<String, String> {
        let user = self.users.get(&user_id).ok_or("no such user")?.json();
        let message = self
            .chats
            .get(&chat_id)
            .and_then(|c| c.messages.iter().find(|m| m.message_id == message_id))
            .map(|m| m.json.clone())
            .ok_or("no such message")?;
        let id = format!("{}{:012}", self.bot_id % 1_000_000, self.next_callback);
        self.next_callback += 1;
        self.callbacks.insert(id.clone(), PendingCallback { chat_id, created: Instant::now(), answered: false });
        self.push_update(
            "callback_query",
            json!({"id": id, "from": user, "message": message, "chat_instance": "1", "data": data}),
        );
        Ok(id)
    }

    // ----- files ------------------------------------------------------------------------------

    fn store_file(&mut self, kind: &'static str, upload: Upload) -> SimFile {
        let n = self.next_file;
        self.next_file += 1;
        let ext = upload
            .file_name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, e)| format!(".{e}"))
            .unwrap_or_default();
        let prefix = if kind == "photo" { "AgAC" } else { "BQAC" };
        let file = SimFile {
            file_id: format!("{prefix}AgADsim{n:08}"),
            file_unique_id: format!("AgADu{n:08}"),
            file_name: upload.file_name,
            mime_type: upload.content_type.or_else(|| Some("application/octet-stream".into())),
            bytes: upload.bytes,
            path: format!("{}s/file_{n}{ext}", kind),
            kind,
        };
        self.files.insert(file.file_id.clone(), file.clone());
        file
    }

    fn file_json(&self, f: &SimFile) -> Value {
        if f.kind == "photo" {
            json!([
                {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": 90, "height": 67, "file_size": f.bytes.len().min(1500)},
                {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": 1280, "height": 960, "file_size": f.bytes.len()}
            ])
        } else {
            let mut v = json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.bytes.len()});
            if let Some(n) = &f.file_name {
                v["file_name"] = json!(n);
            }
            if let Some(m) = &f.mime_type {
                v["mime_type"] = json!(m);
            }
            v
        }
    }

    pub fn file_by_path(&self, path: &str) -> Option<&SimFile> {
        self.files.values().find(|f| f.path == path)
    }

    // ----- rate limits and faults -------------------------------------------------------------

    /// Checks and, when allowed, records `n` messages to `chat_id` (an album counts each item).
    /// `counts_global` is false for edits, which Telegram limits per chat but not overall.
    fn take_rate(&mut self, chat_id: i64, n: usize, counts_global: bool) -> Result<(), ApiError> {
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

    // ----- the Bot API methods ----------------------------------------------------------------

    /// Resolves the chat a bot wants to write to, with Telegram's errors.
    fn writable_chat(&self, params: &Params) -> Result<i64, ApiError> {
        let chat_id = params.chat_id()?;
        let Some(chat) = self.chats.get(&chat_id) else {
            if let Some(u) = self.users.get(&chat_id) {
                if u.deactivated {
                    return Err(ApiError::forbidden("user is deactivated"));
                }
                return Err(ApiError::forbidden("bot can't initiate conversation with a user"));
            }
            return Err(ApiError::bad_request("chat not found"));
        };
        if let Some(to) = chat.migrated_to {
            return Err(ApiError {
                code: 400,
                description: "Bad Request: group chat was upgraded to a supergroup chat".into(),
                parameters: Some(json!({ "migrate_to_chat_id": to })),
            });
        }
        match chat.kind {
            ChatKind::Private => {
                let u = &self.users[&chat_id];
                if u.deactivated {
                    return Err(ApiError::forbidden("user is deactivated"));
                }
                if u.blocked_bot {
                    return Err(ApiError::forbidden("bot was blocked by the user"));
                }
                if !u.started {
                    return Err(ApiError::forbidden("bot can't initiate conversation with a user"));
                }
            }
            ChatKind::Group => match chat.bot_status {
                BotStatus::Kicked => return Err(ApiError::forbidden("bot was kicked from the group chat")),
                BotStatus::Left => return Err(ApiError::forbidden("bot is not a member of the group chat")),
                _ => {}
            },
            ChatKind::Supergroup => match chat.bot_status {
                BotStatus::Kicked => return Err(ApiError::forbidden("bot was kicked from the supergroup chat")),
                BotStatus::Left => return Err(ApiError::forbidden("bot is not a member of the supergroup chat")),
                _ => {}
            },
        }
        Ok(chat_id)
    }

    /// Parses text or a caption in the requested parse mode: (plain text, entities).
    fn formatted(&self, params: &Params, key: &str, entities_key: &str) -> Result<(String, Vec<Value>), ApiError> {
        let raw = params.str(key).unwrap_or_default();
        match params.str("parse_mode").as_deref() {
            None | Some("") => {
                let ents = match params.json(entities_key)? {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                Ok((raw, ents))
            }
            Some(m) if m.eq_ignore_ascii_case("html") => {
                let p = html::parse(&raw).map_err(ApiError::bad_request)?;
                Ok((p.text, p.entities))
            }
            // The simulator does not interpret Markdown; Loa sends HTML.
            Some(m) if m.eq_ignore_ascii_case("markdown") || m.eq_ignore_ascii_case("markdownv2") => {
                Ok((raw, Vec::new()))
            }
            Some(_) => Err(ApiError::bad_request("unsupported parse_mode")),
        }
    }

    fn check_markup(&self, params: &Params) -> Result<Option<Value>, ApiError> {
        let Some(markup) = params.json("reply_markup")? else { return Ok(None) };
        if let Some(rows) = markup.get("inline_keyboard") {
            let rows = rows.as_array().ok_or_else(|| {
                ApiError::bad_request(
                    "field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays",
                )
            })?;
            for row in rows {
                for b in row.as_array().into_iter().flatten() {
                    if b.get("text").and_then(Value::as_str).is_none_or(str::is_empty) {
                        return Err(ApiError::bad_request(
                            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                        ));
                    }
                    if let Some(d) = b.get("callback_data") {
                        let d = d.as_str().unwrap_or_default();
                        if d.is_empty() || d.len() > 64 {
                            return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                        }
                    }
                }
            }
        }
        Ok(Some(markup))
    }

    fn bot_message(
        &mut self,
        chat_id: i64,
        method: &str,
        fill: impl FnOnce(&mut Value),
        source: Option<String>,
        parse_mode: Option<String>,
    ) -> Value {
        let message_id = self.next_message_id(chat_id);
        let mut m = json!({
            "message_id": message_id,
            "from": self.bot_json(),
            "chat": self.chat_json(chat_id),
            "date": now_secs(),
        });
        fill(&mut m);
        self.chats.get_mut(&chat_id).expect("exists").messages.push(SimMessage {
            message_id,
            from_bot: true,
            method: method.to_string(),
            json: m.clone(),
            source,
            parse_mode,
            edits: Vec::new(),
            deleted: false,
        });
        m
    }

    fn reply_to(&self, chat_id: i64, params: &Params) -> Result<Option<Value>, ApiError> {
        let id = match params.json("reply_parameters")? {
            Some(rp) => rp.get("message_id").and_then(Value::as_i64),
            None => params.i64("reply_to_message_id")?,
        };
        let Some(id) = id else { return Ok(None) };
        let found = self.chats[&chat_id].messages.iter().find(|m| m.message_id == id && !m.deleted);
        match found {
            Some(m) => Ok(Some(m.json.clone())),
            None => Err(ApiError::bad_request("message to be replied not found")),
        }
    }

    pub fn send_message(&mut self, params: &Params) -> ApiResult {
        let chat_id = self.writable_chat(params)?;
        let raw = params.str("text").unwrap_or_default();
        if raw.trim().is_empty() {
            return Err(ApiError::bad_request("message text is empty"));
        }
        let (text, entities) = self.formatted(params, "text", "entities")?;
        if text.trim().is_empty() {
            return Err(ApiError::bad_request("message text is empty"));
        }
        if text.chars().count() > 4096 {
            return Err(ApiError::bad_request("message is too long"));
        }
        let markup = self.check_markup(params)?;
        let reply = self.reply_to(chat_id, params)?;
        self.take_rate(chat_id, 1, true)?;
        let pm = params.str("parse_mode");
        Ok(self.bot_message(
            chat_id,
            "sendmessage",
            |m| {
                m["text"] = json!(text);
                if !entities.is_empty() {
                    m["entities"] = json!(entities);
                }
                if let Some(k) = markup {
                    m["reply_markup"] = k;
                }
                if let Some(r) = reply {
                    m["reply_to_message"] = r;
                }
            },
            Some(raw),
            pm,
        ))
    }

    /// Resolves a document or photo argument: a new upload, `attach://name`, or a file_id.
    fn input_file(
        &mut self,
        value: Option<String>,
        field: &str,
        uploads: &HashMap<String, Upload>,
        kind: &'static str,
    ) -> Result<SimFile, ApiError> {
        let upload =
            match value.as_deref() {
                None => uploads.get(field).cloned(),
                Some(v) => match v.strip_prefix("attach://") {
                    Some(name) => Some(uploads.get(name).cloned().ok_or_else(|| {
                        ApiError::bad_request(format!("file of type {kind} not found in the request"))
                    })?),
                    None => None,
                },
            };
        if let Some(up) = upload {
            if up.bytes.is_empty() {
                return Err(ApiError::bad_request("file must be non-empty"));
            }
            if up.bytes.len() > MAX_UPLOAD {
                return Err(ApiError { code: 413, description: "Request Entity Too Large".into(), parameters: None });
            }
            return Ok(self.store_file(kind, up));
        }
        let Some(id) = value else {
            return Err(ApiError::bad_request(format!("there is no {kind} in the request")));
        };
        match self.files.get(&id) {
            Some(f) if f.kind == kind => Ok(f.clone()),
            _ => Err(ApiError::bad_request("wrong file identifier/HTTP URL specified")),
        }
    }

    fn caption(&self, params: &Params) -> Result<Option<(String, Vec<Value>)>, ApiError> {
        if params.str("caption").is_none() {
            return Ok(None);
        }
        let (text, ents) = self.formatted(params, "caption", "caption_entities")?;
        if text.chars().count() > 1024 {
            return Err(ApiError::bad_request("message caption is too long"));
        }
        Ok(Some((text, ents)))
    }

    pub fn send_file(&mut self, params: &Params, uploads: &HashMap<String, Upload>, kind: &'static str) -> ApiResult {
        let chat_id = self.writable_chat(params)?;
        let caption = self.caption(params)?;
        let markup = self.check_markup(params)?;
        let reply = self.reply_to(chat_id, params)?;
        let file = self.input_file(params.str(kind), kind, uploads, kind)?;
        self.take_rate(chat_id, 1, true)?;
        let media = self.file_json(&file);
        let method = format!("send{kind}");
        Ok(self.bot_message(
            chat_id,
            &method,
            |m| {
                m[kind] = media;
                if let Some((c, e)) = caption {
                    m["caption"] = json!(c);
                    if !e.is_empty() {
                        m["caption_entities"] = json!(e);
                    }
                }
                if let Some(k) = markup {
                    m["reply_markup"] = k;
                }
                if let Some(r) = reply {
                    m["reply_to_message"] = r;
                }
            },
            params.str("caption"),
            params.str("parse_mode"),
        ))
    }

    pub fn send_media_group(&mut self, params: &Params, uploads: &HashMap<String, Upload>) -> ApiResult {
        let chat_id = self.writable_chat(params)?;
        let media = match params.json("media")? {
            Some(Value::Array(a)) => a,
            _ => return Err(ApiError::bad_request("media to send are not specified")),
        };
        // The documentation says 2-10 items; Telegram in fact also takes a single one.
        if media.is_empty() {
            return Err(ApiError::bad_request("media to send are not specified"));
        }
        if media.len() > 10 {
            return Err(ApiError::bad_request("Too much messages to send as an album"));
        }
        let kinds: Vec<&str> = media.iter().map(|m| m["type"].as_str().unwrap_or("")).collect();
        for k in &kinds {
            if !["document", "photo", "video", "audio"].contains(k) {
                return Err(ApiError::bad_request(format!("unsupported media type \"{k}\" in album")));
            }
        }
        if kinds.contains(&"document") && kinds.iter().any(|k| *k != "document") {
            return Err(ApiError::bad_request("document can't be mixed with other media types"));
        }
        if !kinds.iter().all(|k| *k == "document" || *k == "photo") {
            return Err(ApiError::bad_request("the simulator sends albums of documents or photos only"));
        }
        let reply = self.reply_to(chat_id, params)?;
        // validate every item before sending any
        let mut items = Vec::new();
        for item in &media {
            let kind: &'static str = if item["type"] == "photo" { "photo" } else { "document" };
            let sub = Params::from_value(item.clone());
            let caption = self.caption(&sub)?;
            let file = self.input_file(sub.str("media"), "media", uploads, kind)?;
            items.push((kind, file, caption, sub.str("caption"), sub.str("parse_mode")));
        }
        self.take_rate(chat_id, items.len(), true)?;
        let album = format!("{}", 13_000_000_000_000_000u64 + self.next_album);
        self.next_album += 1;
        let mut out = Vec::new();
        for (kind, file, caption, source, pm) in items {
            let media = self.file_json(&file);
            let album = album.clone();
            let reply = reply.clone();
            out.push(self.bot_message(
                chat_id,
                "sendmediagroup",
                |m| {
                    m["media_group_id"] = json!(album);
                    m[kind] = media;
                    if let Some((c, e)) = caption {
                        m["caption"] = json!(c);
                        if !e.is_empty() {
                            m["caption_entities"] = json!(e);
                        }
                    }
                    if let Some(r) = reply {
                        m["reply_to_message"] = r;
                    }
                },
                source,
                pm,
            ));
        }
        Ok(Value::Array(out))
    }

    pub fn copy_message(&mut self, params: &Params) -> ApiResult {
        let chat_id = self.writable_chat(params)?;
        let from = params.i64("from_chat_id")?.ok_or_else(|| ApiError::bad_request("chat not found"))?;
        let mid = params.i64("message_id")?.ok_or_else(|| ApiError::bad_request("message to copy not found"))?;
        let src = self
            .chats
            .get(&from)
            .ok_or_else(|| ApiError::bad_request("chat not found"))?
            .messages
            .iter()
            .find(|m| m.message_id == mid && !m.deleted)
            .cloned()
            .ok_or_else(|| ApiError::bad_request("message to copy not found"))?;
        let markup = self.check_markup(params)?;
        let caption = self.caption(params)?;
        self.take_rate(chat_id, 1, true)?;
        let m = self.bot_message(
            chat_id,
            "copymessage",
            |m| {
                for k in ["text", "entities", "document", "photo", "caption", "caption_entities"] {
                    if let Some(v) = src.json.get(k) {
                        m[k] = v.clone();
                    }
                }
                if let Some((c, e)) = caption {
                    m["caption"] = json!(c);
                    m["caption_entities"] = json!(e);
                }
                if let Some(k) = markup {
                    m["reply_markup"] = k;
                }
            },
            src.source.clone(),
            src.parse_mode.clone(),
        );
        Ok(json!({ "message_id": m["message_id"] }))
    }

    fn editable(&mut self, params: &Params, what: &str) -> Result<(i64, usize), ApiError> {
        if params.str("inline_message_id").is_some() {
            return Err(ApiError::bad_request("the simulator has no inline messages"));
        }
        let chat_id = self.writable_chat(params)?;
        let mid =
            params.i64("message_id")?.ok_or_else(|| ApiError::bad_request(format!("message to {what} not found")))?;
        let chat = &self.chats[&chat_id];
        let idx = chat
            .messages
            .iter()
            .position(|m| m.message_id == mid && !m.deleted)
            .ok_or_else(|| ApiError::bad_request(format!("message to {what} not found")))?;
        if !chat.messages[idx].from_bot {
            return Err(ApiError::bad_request(format!("message can't be {what}ed")));
        }
        Ok((chat_id, idx))
    }

    pub fn edit_message(&mut self, params: &Params, text_too: bool) -> ApiResult {
        let (chat_id, idx) = self.editable(params, "edit")?;
        let markup = self.check_markup(params)?;
        let old = self.chats[&chat_id].messages[idx].json.clone();
        let mut new = old.clone();
        let mut source = self.chats[&chat_id].messages[idx].source.clone();
        if text_too {
            let raw = params.str("text").unwrap_or_default();
            if raw.trim().is_empty() {
                return Err(ApiError::bad_request("message text is empty"));
            }
            if old.get("text").is_none() {
                return Err(ApiError::bad_request("there is no text in the message to edit"));
            }
            let (text, entities) = self.formatted(params, "text", "entities")?;
            if text.chars().count() > 4096 {
                return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
            }
            new["text"] = json!(text);
            if entities.is_empty() {
                new.as_object_mut().expect("object").remove("entities");
            } else {
                new["entities"] = json!(entities);
            }
            source = Some(raw);
        }
        match markup {
            Some(k) if k.get("inline_keyboard").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) => {
                new["reply_markup"] = k;
            }
            _ => {
                new.as_object_mut().expect("object").remove("reply_markup");
            }
        }
        if new == old {
            return Err(ApiError::bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            ));
        }
        if self.limits.edits_count {
            self.take_rate(chat_id, 1, false)?;
        }
        new["edit_date"] = json!(now_secs());
        let pm = params.str("parse_mode");
        let msg = &mut self.chats.get_mut(&chat_id).expect("exists").messages[idx];
        msg.edits.push(old);
        msg.json = new.clone();
        msg.source = source;
        if text_too {
            msg.parse_mode = pm;
        }
        Ok(new)
    }

    pub fn delete_message(&mut self, params: &Params) -> ApiResult {
        let chat_id = params.chat_id()?;
        if !self.chats.contains_key(&chat_id) {
            return Err(ApiError::bad_request("chat not found"));
        }
        let mid = params.i64("message_id")?.unwrap_or(0);
        let msg = self
            .chats
            .get_mut(&chat_id)
            .expect("checked")
            .messages
            .iter_mut()
            .find(|m| m.message_id == mid && !m.deleted)
            .ok_or_else(|| ApiError::bad_request("message to delete not found"))?;
        msg.deleted = true;
        Ok(json!(true))
    }

    pub fn answer_callback(&mut self, params: &Params) -> ApiResult {
        let id = params.str("callback_query_id").unwrap_or_default();
        let invalid = || ApiError::bad_request("query is too old and response timeout expired or query ID is invalid");
        let cb = self.callbacks.get_mut(&id).ok_or_else(invalid)?;
        if cb.answered || cb.created.elapsed() > CALLBACK_TIMEOUT {
            return Err(invalid());
        }
        let text = params.str("text");
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
        }
        cb.answered = true;
        let chat_id = cb.chat_id;
        self.callback_answers.push(CallbackAnswer {
            callback_query_id: id,
            chat_id,
            text,
            show_alert: params.bool("show_alert")?.unwrap_or(false),
        });
        Ok(json!(true))
    }

    fn scope_key(params: &Params) -> Result<(String, String), ApiError> {
        let scope = params.json("scope")?.unwrap_or(json!({"type": "default"}));
        let ty = scope.get("type").and_then(Value::as_str).unwrap_or("");
        let ok = [
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        ];
        if !ok.contains(&ty) {
            return Err(ApiError::bad_request("can't parse BotCommandScope: unsupported type"));
        }
        let lang = params.str("language_code").unwrap_or_default();
        if !(lang.is_empty() || (lang.len() == 2 && lang.chars().all(|c| c.is_ascii_lowercase()))) {
            return Err(ApiError::bad_request("invalid language code specified"));
        }
        Ok((serde_json::to_string(&scope).unwrap_or_default(), lang))
    }

    pub fn set_my_commands(&mut self, params: &Params) -> ApiResult {
        let commands = match params.json("commands")? {
            Some(Value::Array(a)) => a,
            _ => return Err(ApiError::bad_request("field \"commands\" must be an Array")),
        };
        if commands.len() > 100 {
            return Err(ApiError::bad_request("too many commands specified"));
        }
        for c in &commands {
            let name = c.get("command").and_then(Value::as_str).unwrap_or("");
            let desc = c.get("description").and_then(Value::as_str).unwrap_or("");
            let valid = !name.is_empty()
                && name.len() <= 32
                && name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
            if !valid {
                return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
            }
            if desc.is_empty() || desc.chars().count() > 256 {
                return Err(ApiError::bad_request("command description must be non-empty"));
            }
        }
        let key = Self::scope_key(params)?;
        if let Some(scope) = params.json("scope")?
            && let Some(chat) = scope.get("chat_id")
        {
            let id = chat.as_i64().or_else(|| chat.as_str().and_then(|s| s.parse().ok()));
            if !id.is_some_and(|id| self.chats.contains_key(&id)) {
                return Err(ApiError::bad_request("chat not found"));
            }
        }
        self.commands.insert(key, Value::Array(commands));
        Ok(json!(true))
    }

    pub fn get_my_commands(&self, params: &Params) -> ApiResult {
        let key = Self::scope_key(params)?;
        Ok(self.commands.get(&key).cloned().unwrap_or(json!([])))
    }

    pub fn delete_my_commands(&mut self, params: &Params) -> ApiResult {
        let key = Self::scope_key(params)?;
        self.commands.remove(&key);
        Ok(json!(true))
    }

    pub fn get_file(&self, params: &Params) -> ApiResult {
        let id = params.str("file_id").unwrap_or_default();
        let f = self.files.get(&id).ok_or_else(|| ApiError::bad_request("invalid file id"))?;
        if f.bytes.len() > MAX_DOWNLOAD {
            return Err(ApiError::bad_request("file is too big"));
        }
        Ok(
            json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.bytes.len(), "file_path": f.path}),
        )
    }

    pub fn get_chat(&self, params: &Params) -> ApiResult {
        let chat_id = params.chat_id()?;
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::bad_request("chat not found"))?;
        if chat.migrated_to.is_some() || (chat.is_group() && chat.bot_status == BotStatus::Kicked) {
            return Err(ApiError::bad_request("chat not found"));
        }
        let mut v = self.chat_json(chat_id);
        v["accent_color_id"] = json!(0);
        v["max_reaction_count"] = json!(11);
        v["accepted_gift_types"] = json!({"unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false});
        Ok(v)
    }

    pub fn send_chat_action(&mut self, params: &Params) -> ApiResult {
        self.writable_chat(params)?;
        let action = params.str("action").unwrap_or_default();
        let ok = [
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        ];
        if !ok.contains(&action.as_str()) {
            return Err(ApiError::bad_request("wrong parameter action in request"));
        }
        Ok(json!(true))
    }

    pub fn set_webhook(&mut self, params: &Params) -> ApiResult {
        let url = params.str("url").unwrap_or_default();
        if url.is_empty() {
            self.webhook = None;
            return Ok(json!(true));
        }
        let parsed = url::Url::parse(&url).map_err(|_| ApiError::bad_request("bad webhook: invalid URL"))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        // Telegram wants HTTPS; the simulator also accepts plain HTTP on loopback, where tests run.
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            return Err(ApiError::bad_request("bad webhook: HTTPS url must be provided for webhook"));
        }
        if parsed.scheme() == "https" && !matches!(parsed.port_or_known_default(), Some(80 | 88 | 443 | 8443)) {
            return Err(ApiError::bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"));
        }
        let secret = params.str("secret_token");
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if secret.as_ref().is_some_and(|s| s.is_empty() || s.len() > 256 || !s.chars().all(allowed)) {
            return Err(ApiError::bad_request("secret token contains unallowed characters"));
        }
        if params.bool("drop_pending_updates")?.unwrap_or(false) {
            self.updates.clear();
        }
        if let Some(Value::Array(a)) = params.json("allowed_updates")? {
            self.allowed_updates = Some(a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        }
        self.webhook = Some(Webhook { url, secret_token: secret, last_error: None });
        self.poll_generation += 1;
        Ok(json!(true))
    }

    pub fn delete_webhook(&mut self, params: &Params) -> ApiResult {
        self.webhook = None;
        if params.bool("drop_pending_updates")?.unwrap_or(false) {
            self.updates.clear();
        }
        Ok(json!(true))
    }

    pub fn webhook_info(&self) -> ApiResult {
        let mut v = json!({"url": "", "has_custom_certificate": false, "pending_update_count": self.updates.len()});
        if let Some(w) = &self.webhook {
            v["url"] = json!(w.url);
            v["max_connections"] = json!(40);
            if let Some((at, msg)) = &w.last_error {
                v["last_error_date"] = json!(at);
                v["last_error_message"] = json!(msg);
            }
        }
        if let Some(a) = &self.allowed_updates {
            v["allowed_updates"] = json!(a);
        }
        Ok(v)
    }

    /// Confirms updates below `offset` and returns up to `limit` of the rest that the bot wants.
    pub fn take_updates(&mut self, offset: Option<i64>, limit: usize) -> Vec<Value> {
        match offset {
            Some(o) if o < 0 => {
                let keep = o.unsigned_abs() as usize;
                while self.updates.len() > keep {
                    self.updates.pop_front();
                }
            }
            Some(o) => {
                while self.updates.front().is_some_and(|(id, _, _)| *id < o) {
                    self.updates.pop_front();
                }
            }
            None => {}
        }
        let allowed = self.allowed_updates.clone();
        let wanted = |kind: &str| match &allowed {
            Some(a) if !a.is_empty() => a.iter().any(|k| k == kind),
            _ => !["chat_member", "message_reaction", "message_reaction_count"].contains(&kind),
        };
        // updates the bot did not ask for are dropped, as Telegram does
        self.updates.retain(|(_, kind, _)| wanted(kind));
        self.updates.iter().take(limit).map(|(_, _, u)| u.clone()).collect()
    }
}

/// Builds the entities Telegram attaches to a user's text: the leading bot command and mentions.
fn text_entities(text: &str, bot_username: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if text.starts_with('/') {
        let word = text.split_whitespace().next().unwrap_or("");
        out.push(json!({"type": "bot_command", "offset": 0, "length": word.encode_utf16().count()}));
    }
    let mention = format!("@{bot_username}");
    if let Some(p) = text.find(&mention).filter(|p| !text[..*p].ends_with(|c: char| c.is_alphanumeric() || c == '/')) {
        let off = text[..p].encode_utf16().count();
        out.push(json!({"type": "mention", "offset": off, "length": mention.encode_utf16().count()}));
    }
    out
}

/// A request's parameters, whether they came as JSON, a form, multipart or the query string.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    pub fn from_value(v: Value) -> Self {
        match v {
            Value::Object(m) => Params(m),
            _ => Params::default(),
        }
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| ApiError::bad_request(format!("invalid {key} specified")))
            }
            Some(Value::String(s)) => {
                s.trim().parse().map(Some).map_err(|_| ApiError::bad_request(format!("invalid {key} specified")))
            }
            Some(_) => Err(ApiError::bad_request(format!("invalid {key} specified"))),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" | "" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!("invalid {key} specified"))),
            },
            Some(_) => Err(ApiError::bad_request(format!("invalid {key} specified"))),
        }
    }

    /// A field holding JSON: given as JSON directly, or as a JSON string in a form.
    pub fn json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    pub fn chat_id(&self) -> Result<i64, ApiError> {
        match self.0.get("chat_id") {
            None | Some(Value::Null) => Err(ApiError::bad_request("chat_id is empty")),
            Some(Value::String(s)) if s.starts_with('@') => Err(ApiError::bad_request("chat not found")),
            _ => self.i64("chat_id")?.ok_or_else(|| ApiError::bad_request("chat not found")),
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
