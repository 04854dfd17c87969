//! What the author of a pack sees while it goes out: one progress message, edited at most every
//! [`EVERY`] ("Đang gửi Quý IV/2023: 840/1.512 (55%) · 3 không gửi được · còn khoảng 22 giây"), and
//! when the broadcast ends a summary with the cells that could not be reached and why. The author
//! is whoever composed the pack in chat; for a pack from the command line, the bootstrap admins.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::i18n::{Args, Catalog, Locale};
use crate::lifecycle::BroadcastState;
use crate::packs::duration_words;
use crate::packs::period::Period;
use crate::telegram::insist;
use crate::telegram::limiter::Limiter;

/// How often the progress message is edited at most.
pub const EVERY: Duration = Duration::from_secs(5);

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    state: BroadcastState,
    targeted: i64,
    progress_chat_id: Option<i64>,
    progress_message_id: Option<i64>,
    title: String,
    period: Option<String>,
    created_by: Option<i64>,
    sent: i64,
    failed: i64,
    remaining: i64,
}

/// Sends and edits progress messages until `stop`.
pub struct Reporter {
    pub pool: crate::db::DbPool,
    pub bot: Bot,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub limiter: Arc<Limiter>,
}

impl Reporter {
    pub async fn run(self, stop: CancellationToken) {
        loop {
            if let Err(e) = self.step().await {
                tracing::warn!(error = %crate::logging::redact(&format!("{e:#}")), "progress report failed");
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(EVERY) => {}
            }
        }
        // a last look, so that a broadcast that just ended is summed up
        let _ = self.step().await;
    }

    async fn locale(&self, chat: i64) -> Locale {
        crate::i18n::chat_locale(&self.pool, chat, self.config.default_locale).await
    }

    /// One look at every broadcast not yet summed up.
    pub async fn step(&self) -> anyhow::Result<()> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT b.id, b.state, b.targeted, b.progress_chat_id, b.progress_message_id, p.title, p.period, p.created_by,
                    (SELECT count(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.state = 'sent') AS sent,
                    (SELECT count(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.state = 'failed') AS failed,
                    (SELECT count(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.state IN ('pending', 'sending')) AS remaining
             FROM broadcasts b JOIN packs p ON p.id = b.pack_id
             WHERE b.kind = 'pack' AND b.reported_at IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let chat = r.progress_chat_id.or(r.created_by).or_else(|| self.config.admins.iter().next().copied());
            let Some(chat) = chat else {
                self.mark_reported(r.id).await?;
                continue;
            };
            let locale = self.locale(chat).await;
            let pack = match r.period.as_deref().and_then(|p| Period::parse(p).ok()) {
                Some(p) => p.label(locale),
                None => format!("«{}»", crate::i18n::escape(&r.title)),
            };
            let done = r.sent + r.failed;
            let percent = if r.targeted > 0 { done * 100 / r.targeted } else { 100 };
            let args = || {
                Args::new()
                    .raw("pack", pack.clone())
                    .raw("done", locale.number(done))
                    .raw("total", locale.number(r.targeted))
                    .raw("percent", percent)
                    .raw("failed", locale.number(r.failed))
                    .raw("sent", locale.number(r.sent))
            };
            match r.state {
                BroadcastState::Running | BroadcastState::Paused => {
                    if r.targeted == 0 {
                        continue;
                    }
                    let text = if r.state == BroadcastState::Paused {
                        self.catalog.t(locale, "progress-paused", args())
                    } else {
                        let secs = super::super::packs::estimate_seconds(
                            r.remaining,
                            1,
                            self.config.delivery.messages_per_second,
                        );
                        self.catalog.t(locale, "progress", args().raw("left", duration_words(secs, locale)))
                    };
                    self.show(r.id, chat, r.progress_message_id, text).await?;
                }
                state => {
                    let mut text = match state {
                        BroadcastState::Failed => {
                            let reason: String = sqlx::query_scalar(
                                "SELECT COALESCE((SELECT error FROM deliveries WHERE broadcast_id = $1 AND state = 'failed' ORDER BY id DESC LIMIT 1), '')",
                            )
                            .bind(r.id)
                            .fetch_one(&self.pool)
                            .await?;
                            self.catalog.t(locale, "progress-failed", args().user("reason", &reason))
                        }
                        BroadcastState::Cancelled => self.catalog.t(locale, "progress-cancelled", args()),
                        _ => self.catalog.t(locale, "progress-done", args()),
                    };
                    let unreachable: Vec<(String, String, String)> = sqlx::query_as(
                        "SELECT c.code, c.name, COALESCE(d.error, '') FROM deliveries d JOIN cells c ON c.id = d.cell_id
                         WHERE d.broadcast_id = $1 AND d.state = 'failed' ORDER BY c.code LIMIT 31",
                    )
                    .bind(r.id)
                    .fetch_all(&self.pool)
                    .await?;
                    if !unreachable.is_empty() && state != BroadcastState::Failed {
                        text.push_str("\n\n");
                        text.push_str(&self.catalog.t(
                            locale,
                            "progress-unreachable",
                            Args::new().raw("count", r.failed),
                        ));
                        for (code, name, why) in unreachable.iter().take(30) {
                            let why = match why.as_str() {
                                "blocked by the user" => self.catalog.s(locale, "reason-blocked"),
                                "user is deactivated" => self.catalog.s(locale, "reason-deactivated"),
                                "chat not found" => self.catalog.s(locale, "reason-not-found"),
                                "removed from the group" | "bot was kicked from the group chat" => {
                                    self.catalog.s(locale, "reason-removed")
                                }
                                other => crate::i18n::escape(other),
                            };
                            text.push_str(&format!(
                                "\n• {} {}: {why}",
                                crate::i18n::escape(code),
                                crate::i18n::escape(name)
                            ));
                        }
                        if r.failed > 30 {
                            text.push_str("\n…");
                        }
                    }
                    if r.targeted > 0 || state != BroadcastState::Done {
                        let sent = insist(Some((&self.limiter, chat)), "send a broadcast summary", || {
                            self.bot.send_message(ChatId(chat), text.clone()).parse_mode(ParseMode::Html).into_future()
                        });
                        if let Err(e) = sent.await {
                            tracing::info!(chat_id = chat, error = %crate::logging::redact(&e.to_string()), "could not send the broadcast summary");
                        }
                    }
                    self.mark_reported(r.id).await?;
                }
            }
        }
        Ok(())
    }

    /// Sends the progress message the first time, edits it after.
    async fn show(&self, broadcast: i64, chat: i64, message: Option<i64>, text: String) -> anyhow::Result<()> {
        let turn = Some((self.limiter.as_ref(), chat));
        match message {
            None => {
                let sent = insist(turn, "send a progress message", || {
                    self.bot.send_message(ChatId(chat), text.clone()).parse_mode(ParseMode::Html).into_future()
                });
                match sent.await {
                    Ok(m) => {
                        sqlx::query(
                            "UPDATE broadcasts SET progress_chat_id = $1, progress_message_id = $2 WHERE id = $3",
                        )
                        .bind(chat)
                        .bind(i64::from(m.id.0))
                        .bind(broadcast)
                        .execute(&self.pool)
                        .await?;
                    }
                    Err(e) => {
                        tracing::info!(chat_id = chat, error = %crate::logging::redact(&e.to_string()), "could not send the progress message")
                    }
                }
            }
            Some(id) => {
                let edit = insist(turn, "edit a progress message", || {
                    self.bot
                        .edit_message_text(ChatId(chat), MessageId(id as i32), text.clone())
                        .parse_mode(ParseMode::Html)
                        .into_future()
                });
                match edit.await {
                    Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => {}
                    Err(e) => {
                        tracing::info!(chat_id = chat, error = %crate::logging::redact(&e.to_string()), "could not edit the progress message")
                    }
                }
            }
        }
        Ok(())
    }

    async fn mark_reported(&self, broadcast: i64) -> sqlx::Result<()> {
        sqlx::query("UPDATE broadcasts SET reported_at = $1 WHERE id = $2")
            .bind(crate::dates::now())
            .bind(broadcast)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
