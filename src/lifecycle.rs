//! The lifecycles of what Loa sends, as types: a pack's status, a broadcast's state and kind, a
//! delivery's state. Each is stored as the lowercase word the schema's CHECK constraints list
//! (`migrations/0001_data_model.sql`), read and written through sqlx's type mapping, and shown
//! (JSON, CSV, logs) as the same word. SQL that filters on one of them inside its own text (a
//! partial index's `WHERE state = 'pending'`) keeps the word there: the index needs the literal.

use std::fmt;

use serde::Serialize;

macro_rules! lifecycle {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in the order of the lifecycle.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The value a stored word names.
            pub fn parse(word: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == word)
            }
        }

        $crate::stored_as_word!($name, $name::parse);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

lifecycle! {
    /// Where a pack stands: composed, waiting for its time, going out, out, or called off.
    PackStatus {
        /// Composed, not scheduled.
        Draft => "draft",
        /// Waiting for its time (`scheduled_for`).
        Scheduled => "scheduled",
        /// Its broadcast is running.
        Sending => "sending",
        /// Its broadcast has ended.
        Sent => "sent",
        /// Called off before or while it went out.
        Cancelled => "cancelled",
    }
}

lifecycle! {
    /// Where a broadcast stands.
    BroadcastState {
        /// Its deliveries are being sent.
        Running => "running",
        /// Held by staff (`/pause`); its pending deliveries wait.
        Paused => "paused",
        /// Every delivery sent or failed.
        Done => "done",
        /// Called off; its pending deliveries are cancelled.
        Cancelled => "cancelled",
        /// Telegram refused the pack itself (too long, bad HTML): stopped.
        Failed => "failed",
    }
}

lifecycle! {
    /// What a broadcast sends: the pack itself, a reminder of it, its documents again, or an
    /// answer to a question on it for every cell (`migrations/0013_answers_and_requests.sql`
    /// widened the check for the last).
    BroadcastKind {
        Pack => "pack",
        Reminder => "reminder",
        Resend => "resend",
        /// A board's answer to a cell's question, sent to every cell that got the pack.
        Answer => "answer",
    }
}

lifecycle! {
    /// Where one delivery (one cell's copy of a broadcast) stands.
    DeliveryState {
        /// Waiting for its turn (or its next attempt).
        Pending => "pending",
        /// Claimed by the worker; a crash leaves it here and recovery puts it back to pending.
        Sending => "sending",
        /// The message is out.
        Sent => "sent",
        /// Given up: the chat is gone, the pack was refused, or the attempts ran out.
        Failed => "failed",
        /// Its broadcast was cancelled before it went out.
        Cancelled => "cancelled",
    }
}

impl PackStatus {
    /// A pack that may still be scheduled or cancelled without stopping a broadcast.
    pub fn is_unsent(self) -> bool {
        matches!(self, PackStatus::Draft | PackStatus::Scheduled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are the ones the schema's CHECK constraints allow.
    #[test]
    fn the_words_are_the_schemas() {
        let schema = include_str!("../migrations/0001_data_model.sql");
        let check = |column: &str, words: Vec<&str>| {
            let list = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", ");
            assert!(schema.contains(&format!("CHECK ({column} IN ({list}))")), "{column}: {list}");
        };
        check("status", PackStatus::ALL.iter().map(|s| s.as_str()).collect());
        check("state", BroadcastState::ALL.iter().map(|s| s.as_str()).collect());
        let widened = include_str!("../migrations/0013_answers_and_requests.sql");
        let kinds: Vec<&str> = BroadcastKind::ALL.iter().map(|s| s.as_str()).collect();
        let list = kinds.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", ");
        assert!(widened.contains(&format!("CHECK (kind IN ({list}))")), "kind: {list}");
        check("state", DeliveryState::ALL.iter().map(|s| s.as_str()).collect());
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(PackStatus::parse("Sent"), None);
    }

    #[tokio::test]
    async fn they_go_through_sqlite_as_their_words() {
        let pool = crate::db::connect("sqlite::memory:").await.unwrap();
        let (word, back): (String, BroadcastState) =
            sqlx::query_as("SELECT $1, 'paused'").bind(BroadcastState::Done).fetch_one(&pool).await.unwrap();
        assert_eq!((word.as_str(), back), ("done", BroadcastState::Paused));
        let bad: Result<(PackStatus,), _> = sqlx::query_as("SELECT 'archived'").fetch_one(&pool).await;
        assert!(bad.is_err(), "a word outside the lifecycle is an error, not a default");
    }
}
