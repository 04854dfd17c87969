//! What a failed send means for a delivery, decided in one place (the Bot API's answers, as the README's delivery section lists them).

use std::time::Duration;

use teloxide::{ApiError, RequestError};

/// The verdict on a failed send.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// 429: pause all sending for this long, then try the same send again (no attempt counted).
    SlowDown(Duration),
    /// The group became a supergroup with this id: rewrite the chat and send again at once.
    Migrated(i64),
    /// The chat is gone for good (blocked, kicked, deactivated, not found): the cell is unreachable.
    Unreachable(String),
    /// The pack itself is wrong (too long, bad HTML): stop the broadcast and tell its author.
    Content(String),
    /// Anything else (network, 5xx, a timeout): try again later.
    Transient(String),
}

/// Classifies a send error. Descriptions come back without any URL (the token is in URLs).
pub fn classify(e: &RequestError) -> Verdict {
    match e {
        RequestError::RetryAfter(s) => Verdict::SlowDown(s.duration()),
        RequestError::MigrateToChatId(c) => Verdict::Migrated(c.0),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked => Verdict::Unreachable("blocked by the user".into()),
            ApiError::UserDeactivated => Verdict::Unreachable("user is deactivated".into()),
            ApiError::ChatNotFound => Verdict::Unreachable("chat not found".into()),
            ApiError::BotKicked | ApiError::BotKickedFromSupergroup | ApiError::BotKickedFromChannel => {
                Verdict::Unreachable("removed from the group".into())
            }
            ApiError::GroupDeactivated => Verdict::Unreachable("group is deactivated".into()),
            ApiError::MessageIsTooLong | ApiError::CantParseEntities(_) | ApiError::MessageTextIsEmpty => {
                Verdict::Content(api.to_string())
            }
            ApiError::Unknown(s) if s.starts_with("Forbidden") => {
                Verdict::Unreachable(s.trim_start_matches("Forbidden: ").to_string())
            }
            ApiError::Unknown(s) if s.contains("message caption is too long") => Verdict::Content(s.clone()),
            other => Verdict::Transient(other.to_string()),
        },
        RequestError::Network(n) => Verdict::Transient(crate::logging::redact(&n.without_url_string())),
        other => Verdict::Transient(crate::logging::redact(&other.to_string())),
    }
}

trait WithoutUrl {
    fn without_url_string(&self) -> String;
}

impl WithoutUrl for std::sync::Arc<reqwest::Error> {
    fn without_url_string(&self) -> String {
        let mut s = self.to_string();
        if let Some(url) = self.url() {
            s = s.replace(url.as_str(), "<url>");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted_into_what_they_mean() {
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            Verdict::Unreachable("blocked by the user".into())
        );
        assert!(
            matches!(classify(&RequestError::Api(ApiError::Unknown("Forbidden: bot was kicked from the group chat".into()))), Verdict::Unreachable(r) if r == "bot was kicked from the group chat")
        );
        assert!(matches!(classify(&RequestError::Api(ApiError::MessageIsTooLong)), Verdict::Content(_)));
        assert_eq!(classify(&RequestError::MigrateToChatId(teloxide::types::ChatId(-1001))), Verdict::Migrated(-1001));
        assert_eq!(
            classify(&RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(7))),
            Verdict::SlowDown(Duration::from_secs(7))
        );
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Internal Server Error".into()))),
            Verdict::Transient(_)
        ));
    }
}
