//! What the simulated people do: users and groups come into being, open a chat with the bot,
//! add, remove and block it, upgrade a group to a supergroup, write text, send files, and press
//! buttons. Each becomes an update for the bot, as privacy mode lets it through.

use std::time::Instant;

use serde_json::{Value, json};

use super::*;

impl World {
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

    pub(super) fn ensure_private_chat(&mut self, user_id: i64) {
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

    pub(super) fn member_update(&mut self, chat_id: i64, by: i64, old: BotStatus, new: BotStatus) {
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

    pub(super) fn user_message(
        &mut self,
        chat_id: i64,
        user_id: i64,
        fill: impl FnOnce(&mut Value),
    ) -> Result<i64, String> {
        self.user_message_raw(chat_id, user_id, fill, true)
    }

    /// Records a user's message in a chat and, when the bot can see it, queues the update.
    pub(super) fn user_message_raw(
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
    pub(super) fn group_can_see(&self, text: &str, reply_to_bot: bool) -> bool {
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
