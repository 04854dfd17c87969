//! The bot's own settings: its command menus per scope and language, and its webhook.

use serde_json::{Value, json};

use super::*;

impl World {
    pub(super) fn scope_key(params: &Params) -> Result<(String, String), ApiError> {
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
}
