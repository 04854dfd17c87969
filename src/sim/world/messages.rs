//! What the bot sends and changes: messages, documents, photos and albums, copies, edits,
//! deletions, button answers, files and chats read back. Every send is checked as Telegram checks
//! it (the chat writable, the HTML parsed, lengths, markup, the limits) and answered with Telegram's
//! own errors.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::*;

impl World {
    pub(super) fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let chat = self.chats.get_mut(&chat_id).expect("chat exists");
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        id
    }

    // ----- files ------------------------------------------------------------------------------

    pub(super) fn store_file(&mut self, kind: &'static str, upload: Upload) -> SimFile {
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

    pub(super) fn file_json(&self, f: &SimFile) -> Value {
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

    // ----- the Bot API methods ----------------------------------------------------------------

    /// Resolves the chat a bot wants to write to, with Telegram's errors.
    pub(super) fn writable_chat(&self, params: &Params) -> Result<i64, ApiError> {
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
    pub(super) fn formatted(
        &self,
        params: &Params,
        key: &str,
        entities_key: &str,
    ) -> Result<(String, Vec<Value>), ApiError> {
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

    pub(super) fn check_markup(&self, params: &Params) -> Result<Option<Value>, ApiError> {
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

    pub(super) fn bot_message(
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

    pub(super) fn reply_to(&self, chat_id: i64, params: &Params) -> Result<Option<Value>, ApiError> {
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
        // the message Telegram returns carries the link preview options it was sent with
        // (Message.link_preview_options); their values are not checked here
        let preview = params.json("link_preview_options")?.filter(Value::is_object);
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
                if let Some(p) = preview {
                    m["link_preview_options"] = p;
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
    pub(super) fn input_file(
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
            let most = if self.local_dir.is_some() { super::LOCAL_MAX_UPLOAD } else { MAX_UPLOAD };
            if up.bytes.len() > most {
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

    pub(super) fn caption(&self, params: &Params) -> Result<Option<(String, Vec<Value>)>, ApiError> {
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

    pub(super) fn editable(&mut self, params: &Params, what: &str) -> Result<(i64, usize), ApiError> {
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
        let after = cb.created.elapsed();
        self.callback_answers.push(CallbackAnswer {
            callback_query_id: id,
            chat_id,
            text,
            show_alert: params.bool("show_alert")?.unwrap_or(false),
            after,
        });
        Ok(json!(true))
    }

    pub fn get_file(&self, params: &Params) -> ApiResult {
        let id = params.str("file_id").unwrap_or_default();
        let f = self.files.get(&id).ok_or_else(|| ApiError::bad_request("invalid file id"))?;
        if let Some(dir) = &self.local_dir {
            // local mode: no size limit, and the file's absolute path on the server's disk (in
            // the bot's folder of the working directory), written there by the server
            let path = dir.join(self.bot_id.to_string()).join(&f.path);
            if !path.exists() {
                let written = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&path, &f.bytes));
                if let Err(e) = written {
                    return Err(ApiError {
                        code: 500,
                        description: format!("Internal Server Error: {e}"),
                        parameters: None,
                    });
                }
            }
            return Ok(json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.bytes.len(),
                             "file_path": path.to_string_lossy()}));
        }
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
}
