//! The simulated Telegram world: users, chats, messages, files, the update queue, rate limits and
//! faults. Everything here is synchronous and runs under one lock; the HTTP layer (`server.rs`)
//! parses requests and calls into it, and the control handle (`sim/mod.rs`) drives users from
//! tests. This file holds the world's state and its update queue; the rest is by concern:
//! `people` (what users do), `messages` (what the bot sends), `limits` (rates and faults),
//! `admin` (command menus and the webhook), `params` (reading a request).

mod admin;
mod limits;
mod messages;
mod params;
mod people;

pub use limits::{FaultKind, FaultRule, RateLimits};
pub use params::Params;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::tghtml as html;

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
    /// How long after the press the answer came.
    #[serde(skip)]
    pub after: std::time::Duration,
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
/// What a Bot API server in local mode (`--local`) takes in one upload: 2000 MB.
pub const LOCAL_MAX_UPLOAD: usize = 2000 * 1024 * 1024;
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Everything the simulator knows.
pub struct World {
    pub token: String,
    pub bot_id: i64,
    pub bot_username: String,
    pub bot_name: String,
    pub privacy_mode: bool,
    /// The working folder of a Bot API server run with `--local`; `None`: api.telegram.org.
    pub local_dir: Option<std::path::PathBuf>,
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
            local_dir: None,
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

    pub fn push_update(&mut self, kind: &'static str, payload: Value) -> i64 {
        let id = self.next_update;
        self.next_update += 1;
        let mut update = json!({ "update_id": id });
        update[kind] = payload;
        self.updates.push_back((id, kind, update));
        id
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
