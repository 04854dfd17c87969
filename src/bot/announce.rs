//! What the scheduler tells the staff in chat: a slot that came with no pack, a pack that started
//! late (to every admin and board member), and after a pack's deadline the cells behind on it
//! (each district officer their own district's; the board the province's summary). Each in the
//! reader's private chat and language.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use teloxide::prelude::*;

use super::{Ctx, say};
use crate::delivery::broadcast::Started;
use crate::i18n::{Args, escape};
use crate::packs::period::{PackKind, Period};
use crate::reminders::{Behind, Escalation};
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
            if let Err(e) = say(&self.ctx.replies, chat, self.ctx.catalog.t(locale, key, args())).await {
                tracing::info!(user_id = m.user_id, error = %crate::logging::redact(&e.to_string()), "could not tell a board member");
            }
        }
    }
}

/// Joins lines into messages that stay under Telegram's 4,096 characters (with room to spare).
pub fn pages(header: &str, lines: &[String]) -> Vec<String> {
    const LIMIT: usize = 3800;
    let mut out = Vec::new();
    let mut page = header.to_string();
    for line in lines {
        if page.chars().count() + line.chars().count() + 1 > LIMIT && page != header {
            out.push(std::mem::take(&mut page));
        }
        if !page.is_empty() {
            page.push('\n');
        }
        page.push_str(line);
    }
    if !page.is_empty() {
        out.push(page);
    }
    out
}

impl BotAnnouncer {
    async fn tell(&self, chat: ChatId, html: String) {
        if let Err(e) = say(&self.ctx.replies, chat, html).await {
            tracing::info!(chat_id = chat.0, error = %crate::logging::redact(&e.to_string()), "could not tell a member of staff");
        }
    }
}

impl Announcer for BotAnnouncer {
    async fn escalate(&self, e: &Escalation) {
        let members = match staff::list(&self.ctx.pool, &self.ctx.config.admins).await {
            Ok(m) => m,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the staff to tell them");
                return;
            }
        };
        let c = &self.ctx.catalog;
        let deadline = chrono::NaiveDate::parse_from_str(&e.deadline, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| e.deadline.clone());
        let period = e.period.as_deref().and_then(|p| Period::parse(p).ok());
        // each cell's news goes to the officers of the nearest unit above it that has some
        let officered: std::collections::BTreeSet<i64> =
            members.iter().filter(|m| m.role == Role::District).filter_map(|m| m.unit_id).collect();
        let mut heard_by: std::collections::HashMap<i64, Option<i64>> = std::collections::HashMap::new();
        for (unit, _, _) in &e.by_unit {
            match crate::units::nearest_officered(&self.ctx.pool, *unit, &officered).await {
                Ok(o) => heard_by.insert(*unit, o),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the tree to tell the officers");
                    return;
                }
            };
        }
        for m in members {
            let chat = ChatId(m.user_id);
            let locale = self.ctx.locale(chat).await;
            let pack = crate::packs::message::name(&e.title, period, locale);
            let state = |b: &Behind| {
                let key = if !b.acknowledged { "behind-not-acked" } else { "behind-not-reported" };
                c.s(locale, key)
            };
            match (m.role, m.unit_id) {
                (Role::District, Some(unit)) => {
                    let mine = |u: &i64| heard_by.get(u) == Some(&Some(unit));
                    let cells: Vec<&Behind> = e.cells.iter().filter(|b| mine(&b.unit_id)).collect();
                    if cells.is_empty() {
                        continue;
                    }
                    let (targeted, behind) = e
                        .by_unit
                        .iter()
                        .filter(|(u, _, _)| mine(u))
                        .fold((0, 0), |(t, b), (_, ut, ub)| (t + ut, b + ub));
                    let name: String = sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
                        .bind(unit)
                        .fetch_optional(&self.ctx.pool)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    let header = c.t(
                        locale,
                        "escalate-district",
                        Args::new()
                            .raw("pack", pack.clone())
                            .raw("deadline", deadline.clone())
                            .user("district", &name)
                            .raw("behind", behind)
                            .raw("targeted", targeted),
                    );
                    let lines: Vec<String> = cells
                        .iter()
                        .map(|b| format!("• <code>{}</code> {} — {}", escape(&b.code), escape(&b.name), state(b)))
                        .collect();
                    for page in pages(&header, &lines) {
                        self.tell(chat, page).await;
                    }
                }
                (Role::Admin | Role::Board, _) => {
                    let pct = |n: i64, of: i64| if of == 0 { 0 } else { (n * 100 + of / 2) / of };
                    let mut header = c.t(
                        locale,
                        "escalate-board",
                        Args::new()
                            .raw("pack", pack.clone())
                            .raw("deadline", deadline.clone())
                            .raw("acked", e.acknowledged)
                            .raw("targeted", e.targeted)
                            .raw("ack_pct", pct(e.acknowledged, e.targeted)),
                    );
                    if e.report_requested {
                        header.push('\n');
                        header.push_str(
                            &c.t(
                                locale,
                                "escalate-board-reports",
                                Args::new()
                                    .raw("reported", e.reported)
                                    .raw("targeted", e.targeted)
                                    .raw("pct", pct(e.reported, e.targeted)),
                            ),
                        );
                    }
                    let lines: Vec<String> = e
                        .committees
                        .iter()
                        .filter(|d| d.behind > 0)
                        .map(|d| {
                            c.t(
                                locale,
                                "escalate-board-line",
                                Args::new()
                                    .user("district", &d.unit)
                                    .raw("behind", d.behind)
                                    .raw("targeted", d.targeted),
                            )
                        })
                        .collect();
                    header.push('\n');
                    header.push_str(
                        &c.s(locale, if lines.is_empty() { "escalate-board-all-done" } else { "escalate-board-worst" }),
                    );
                    for page in pages(&header, &lines) {
                        self.tell(chat, page).await;
                    }
                }
                _ => {}
            }
        }
        tracing::info!(
            pack_id = e.pack_id,
            behind = e.cells.len(),
            "cells behind reported to the units' officers and the board"
        );
    }

    async fn started(&self, started: &Started, late_s: i64) {
        if late_s <= 60 {
            return;
        }
        let title: String = sqlx::query_scalar("SELECT title FROM packs WHERE id = $1")
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
