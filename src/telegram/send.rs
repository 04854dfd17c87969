//! The sending helpers: [`insist`], the one retry policy for a request someone is waiting on, and
//! [`say`]/[`say_with`], which queue an answer in a chat ([`Replies`]) and return at once.

use std::sync::Arc;
use std::time::Duration;

use teloxide::types::{ChatId, ReplyMarkup};

use super::failure::{Verdict, classify};
use super::limiter::Limiter;
use super::replies::{Replies, Reply};

/// The most a 429 is waited out by [`insist`]; a longer wait gives up (the delivery worker, which
/// sends most, pauses on its own).
const LONGEST_SLOW_DOWN: Duration = Duration::from_secs(60);
/// How many more tries [`insist`] makes after the first.
const MORE_TRIES: u32 = 4;

/// Makes a request for someone who is waiting for it (an answer, a question of a dialogue, a
/// button's new state): a 429 is waited out as told (up to a minute), a passing failure
/// ([`Verdict::Passing`]) tried again after 1 s, 2 s, 4 s and 8 s (teloxide itself waits 10 s
/// after a 5xx before it answers); four more tries at most. With `limiter`, every try takes its
/// turn in the chat. A request that went through but whose answer was lost may so arrive twice.
pub async fn insist<T, F, Fut>(
    limiter: Option<(&Limiter, i64)>,
    what: &'static str,
    mut make: F,
) -> Result<T, teloxide::RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, teloxide::RequestError>>,
{
    let mut tries = 0u32;
    loop {
        if let Some((l, chat)) = limiter {
            l.acquire(chat, 1).await;
        }
        let e = match make().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let wait = match classify(&e) {
            _ if tries >= MORE_TRIES => return Err(e),
            Verdict::SlowDown(wait) if wait <= LONGEST_SLOW_DOWN => {
                tracing::warn!(request = what, retry_after_s = wait.as_secs(), "throttled by Telegram; waiting");
                wait
            }
            Verdict::Passing(why) => {
                let wait = Duration::from_secs(1 << tries);
                tracing::warn!(request = what, error = %why, retry_in_s = wait.as_secs(), "request failed; trying again");
                wait
            }
            _ => return Err(e),
        };
        tokio::time::sleep(wait).await;
        tries += 1;
    }
}

/// Answers in a chat: the answer is queued ([`Replies`]) and leaves on the side, through the
/// limiter and [`insist`]; the handler goes on at once.
pub async fn say(replies: &Arc<Replies>, chat_id: ChatId, html: String) -> anyhow::Result<()> {
    say_with(replies, chat_id, html, None).await
}

/// [`say`] with a keyboard.
pub async fn say_with(
    replies: &Arc<Replies>,
    chat_id: ChatId,
    html: String,
    markup: Option<ReplyMarkup>,
) -> anyhow::Result<()> {
    replies.send(chat_id, Reply::Text { html, markup });
    Ok(())
}

/// The largest file Loa fetches from Telegram: 20 MB through the public Bot API (its getFile
/// limit), 2000 MB from a Bot API server in local mode (`telegram.local_mode`).
pub fn fetch_limit(config: &crate::config::Config) -> u64 {
    if config.telegram.local_mode { LOCAL_FETCH_LIMIT } else { crate::situations::MAX_FILE_BYTES }
}

/// What a Bot API server in local mode lets a bot have and send: 2000 MB.
pub const LOCAL_FETCH_LIMIT: u64 = 2000 * 1024 * 1024;

/// Fetches a file a member sent into Loa's store; returns (sha256, stored path). Through the
/// public Bot API the bytes are downloaded (at most 20 MB); a Bot API server in local mode
/// answers getFile with the file's absolute path on its disk, which Loa copies from (the server
/// must share its working folder with Loa: same machine, or the same volume).
pub async fn fetch_to_store(
    bot: &teloxide::Bot,
    config: &crate::config::Config,
    file_id: &str,
) -> anyhow::Result<(String, std::path::PathBuf)> {
    use anyhow::Context;
    use teloxide::net::Download;
    use teloxide::prelude::Requester;
    let file = bot.get_file(teloxide::types::FileId(file_id.to_string())).await?;
    let path = std::path::Path::new(&file.path);
    if path.is_absolute() {
        if !config.telegram.local_mode {
            anyhow::bail!(
                "the Bot API server answered getFile with a path on its own disk: it runs with --local; \
                 set telegram.local_mode = true (and let Loa read the server's working folder)"
            );
        }
        // the server is trusted as Telegram is, but only a plain file is read: not a link, a
        // device or a folder, and no path that climbs out with ".."
        let plain = !path.components().any(|c| matches!(c, std::path::Component::ParentDir))
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
        if !plain {
            anyhow::bail!(
                "the local Bot API server's file {} is not a plain file Loa can read: Loa must share the server's working folder",
                path.display()
            );
        }
        let (config, src) = (config.clone(), path.to_path_buf());
        return tokio::task::spawn_blocking(move || {
            crate::packs::store::store_path(&config, &src).with_context(|| {
                format!(
                    "the local Bot API server's file {} cannot be read here: Loa must share the server's working folder",
                    src.display()
                )
            })
        })
        .await?;
    }
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await?;
    crate::packs::store::store_bytes(config, &bytes)
}
