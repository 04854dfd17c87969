//! What a failed request means, decided in one place for every sender: the delivery worker (which
//! retries later, pauses on a 429, follows a migrated group, gives up on a chat that is gone) and
//! [`insist`](super::send::insist) (which repeats an answer only when the way failed, not the
//! request). The Bot API's answers are listed in the README's delivery section.

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
    /// The network or Telegram's front end failed (a dropped connection, a timeout, a 5xx, an HTML
    /// page instead of JSON), not the request: the same request may go through if made again.
    Passing(String),
    /// Anything else: the request failed for a reason of its own, or its answer could not be read
    /// (it may have been carried out). A delivery tries again later; an answer is not repeated.
    Transient(String),
}

impl Verdict {
    /// The verdict's name, for metrics and logs (`Passing` and `Transient` are both "transient").
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::SlowDown(_) => "slow_down",
            Verdict::Migrated(_) => "migrated",
            Verdict::Unreachable(_) => "unreachable",
            Verdict::Content(_) => "content",
            Verdict::Passing(_) | Verdict::Transient(_) => "transient",
        }
    }
}

/// What Telegram's front end says when it, not the Bot API, failed.
const FRONT_END_FAILURES: [&str; 4] =
    ["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"];

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
            ApiError::Unknown(s) if FRONT_END_FAILURES.iter().any(|p| s.starts_with(p)) => Verdict::Passing(s.clone()),
            other => Verdict::Transient(other.to_string()),
        },
        RequestError::Network(n) => Verdict::Passing(crate::logging::redact(&n.without_url_string())),
        RequestError::Io(io) => Verdict::Passing(crate::logging::redact(&io.to_string())),
        // JSON that could not be read may well say the request was carried out
        RequestError::InvalidJson { raw, .. } if !raw.trim_start().starts_with('{') => {
            Verdict::Passing("an answer that is not JSON (a proxy's error page)".into())
        }
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
    }

    #[test]
    fn only_failures_on_the_way_are_passing() {
        use std::sync::Arc;
        let passing = |e: RequestError| matches!(classify(&e), Verdict::Passing(_));
        assert!(passing(RequestError::Api(ApiError::Unknown("Internal Server Error".into()))));
        assert!(passing(RequestError::Api(ApiError::Unknown("Bad Gateway".into()))));
        assert!(passing(RequestError::Io(Arc::new(std::io::Error::other("connection reset")))));
        let invalid = |raw: &str| RequestError::InvalidJson {
            source: Arc::new(serde_json::from_str::<serde_json::Value>(raw).unwrap_err()),
            raw: raw.into(),
        };
        assert!(passing(invalid("<html><head><title>502 Bad Gateway</title></head></html>")));
        assert!(!passing(invalid("{\"ok\":true,\"result\":{\"message_id\":")), "carried out, maybe");
        assert!(matches!(classify(&invalid("{\"ok\":true")), Verdict::Transient(_)), "a delivery still tries again");
        assert!(!passing(RequestError::Api(ApiError::Unknown("Bad Request: message to edit not found".into()))));
        assert!(!passing(RequestError::Api(ApiError::BotBlocked)));
        assert!(!passing(RequestError::Api(ApiError::MessageNotModified)));
        assert!(!passing(RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3))));
    }
}
