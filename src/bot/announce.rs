//! What the scheduler tells the board in chat: a slot that came with no pack, a pack that started
//! late. Sent to every admin and board member in their private chat, in their language.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use teloxide::prelude::*;

use super::{Ctx, say};
use crate::delivery::broadcast::Started;
use crate::i18n::Args;
use crate::packs::period::{PackKind, Period};
use crate::schedule::Announcer;
use crate::staff::{self, Role};

/// Tells the board through the bot.
pub struct BotAnnouncer {
    pub bot: Bot,
    pub ctx: Arc<Ctx>,
}

impl BotAnnouncer {
    async fn tell_board(&self, key: &str, args: impl Fn() -> Args<'static>) {
        let members = match staff::list(&self.ctx.pool, &self.ctx.config.admins).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the staff to tell them");
                return;
            }
        };
        for m in members.into_iter().filter(|m| matches!(m.role, Role::Admin | Role::Board)) {
            let chat = ChatId(m.user_id);
            let locale = self.ctx.locale(chat).await;
            if let Err(e) = say(&self.bot, &self.ctx.limiter, chat, self.ctx.catalog.t(locale, key, args())).await {
                tracing::info!(user_id = m.user_id, error = %crate::logging::redact(&e.to_string()), "could not tell a board member");
            }
        }
    }
}

impl Announcer for BotAnnouncer {
    async fn started(&self, started: &Started, late_s: i64) {
        if late_s <= 60 {
            return;
        }
        let title: String = sqlx::query_scalar("SELECT title FROM packs WHERE id = ?")
            .bind(started.pack_id)
            .fetch_one(&self.ctx.pool)
            .await
            .unwrap_or_default();
        let tz = self.ctx.config.timezone;
        let now = Utc::now().timestamp();
        let due = crate::dates::chat(now - late_s, tz);
        let now_text = crate::dates::chat(now, tz);
        let minutes = late_s / 60;
        self.tell_board("pack-started-late", || {
            Args::new()
                .user("title", &title)
                .raw("due", due.clone())
                .raw("now", now_text.clone())
                .raw("minutes", minutes)
        })
        .await;
    }

    async fn empty_slot(&self, _kind: PackKind, period: Period, fired: DateTime<Utc>) {
        let tz = self.ctx.config.timezone;
        let time = crate::dates::chat(fired.timestamp(), tz);
        self.tell_board("slot-empty", || {
            Args::new().raw("period", period.label(crate::i18n::Locale::Vi)).raw("time", time.clone())
        })
        .await;
    }
}
