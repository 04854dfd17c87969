//! The dialogues under way (composing a pack, writing a report), one row of `dialogues` per chat
//! and member, its state as JSON: written after every answer, so that a restart in the middle of
//! one loses nothing. A member has at most one dialogue in a chat; starting another replaces it.

use serde::Serialize;

/// The questions of a dialogue, in order, as an enum stored in the dialogue's JSON as its number
/// (1, 2, ...), so that a dialogue saved before a restart reads back the same; a number outside
/// the list does not read. Gives `ALL` (in order) and `before()` (the question before, the first
/// for the first).
macro_rules! questions {
    ($(#[$doc:meta])* $name:ident { $(#[$fdoc:meta])* $first:ident $(, $(#[$vdoc:meta])* $rest:ident)* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(into = "u8", try_from = "u8")]
        pub enum $name {
            $(#[$fdoc])*
            #[default]
            $first = 1,
            $($(#[$vdoc])* $rest),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$name::$first $(, $name::$rest)*];

            /// The question before this one in order (the first has none before it).
            pub fn before(self) -> $name {
                Self::ALL.iter().rev().copied().find(|q| *q < self).unwrap_or($name::$first)
            }
        }

        impl From<$name> for u8 {
            fn from(q: $name) -> u8 {
                q as u8
            }
        }

        impl TryFrom<u8> for $name {
            type Error = String;
            fn try_from(n: u8) -> Result<$name, String> {
                let found = Self::ALL.get(usize::from(n).wrapping_sub(1)).copied();
                found.ok_or_else(|| format!("no {} {n}", stringify!($name)))
            }
        }
    };
}
use crate::db::DbPool;
pub(super) use questions;
use serde::de::DeserializeOwned;
use teloxide::types::Message;

/// Which dialogue a row holds (the `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialogue {
    /// `/newpack`: a board member composing a pack.
    Newpack,
    /// A cell's member writing a report on a pack.
    Report,
    /// A cell's member (or an officer) writing a situation report.
    Situation,
    /// A cell's member who pressed «❓ Hỏi» and is typing the question.
    Question,
}

impl Dialogue {
    fn word(self) -> &'static str {
        match self {
            Dialogue::Newpack => "newpack",
            Dialogue::Report => "report",
            Dialogue::Situation => "situation",
            Dialogue::Question => "question",
        }
    }
}

/// Whose dialogue: a chat and a member in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub chat: i64,
    pub user: i64,
}

impl Key {
    /// The dialogue key of a message: its chat and its sender (0 for a message with no sender).
    pub fn of(msg: &Message) -> Key {
        Key { chat: msg.chat.id.0, user: msg.from.as_ref().map(|u| u.id.0 as i64).unwrap_or(0) }
    }
}

/// The state of `kind` for `key`, if that member has one under way there. A state that no longer
/// reads (an older shape) counts as none.
pub async fn load<T: DeserializeOwned>(pool: &DbPool, key: Key, kind: Dialogue) -> anyhow::Result<Option<T>> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM dialogues WHERE chat_id = $1 AND user_id = $2 AND kind = $3")
            .bind(key.chat)
            .bind(key.user)
            .bind(kind.word())
            .fetch_optional(pool)
            .await?;
    Ok(state.and_then(|s| serde_json::from_str(&s).ok()))
}

/// Writes the state of `kind` for `key` (replacing any dialogue that member had in that chat).
pub async fn save<T: Serialize>(pool: &DbPool, key: Key, kind: Dialogue, state: &T) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO dialogues (chat_id, user_id, kind, state, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(key.chat)
    .bind(key.user)
    .bind(kind.word())
    .bind(serde_json::to_string(state)?)
    .bind(crate::dates::now())
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends the dialogue of `kind` for `key`; false when there was none.
pub async fn clear(pool: &DbPool, key: Key, kind: Dialogue) -> anyhow::Result<bool> {
    let r = sqlx::query("DELETE FROM dialogues WHERE chat_id = $1 AND user_id = $2 AND kind = $3")
        .bind(key.chat)
        .bind(key.user)
        .bind(kind.word())
        .execute(pool)
        .await?;
    Ok(r.rows_affected() > 0)
}
