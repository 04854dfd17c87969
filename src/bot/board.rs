//! The board's desk in chat, behind the role gates of the handler tree (`super::schema`): `/newpack`
//! (handed to [`super::composer`]), `/pause` and `/resume` of the running broadcast, and `/packs`
//! for staff. Every handler here is reached only by a member of staff whose
//! role allows it, in their private chat.

use std::sync::Arc;

use teloxide::prelude::*;

use super::{BoardCommand, Ctx, HandlerResult};
use crate::audit::Actor;
use crate::i18n::{Args, Locale, escape};
use crate::lifecycle::{BroadcastState, PackStatus};
use crate::packs::store;
use crate::staff::{Role, StaffMember};

/// A board command from a board member or an admin, in their private chat.
pub(super) async fn on_board_command(
    msg: Message,
    cmd: BoardCommand,
    ctx: Arc<Ctx>,
    member: StaffMember,
) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let c = &ctx.catalog;
    let user_id = member.user_id;
    match cmd {
        BoardCommand::Newpack => super::composer::begin(&msg, &ctx, locale).await,
        BoardCommand::Hoidap(arg) => super::questions::on_hoidap(chat, &ctx, locale, user_id, &arg).await,
        BoardCommand::Pause | BoardCommand::Resume => {
            let pause = cmd == BoardCommand::Pause;
            let (from, none) =
                if pause { (BroadcastState::Running, "pause-none") } else { (BroadcastState::Paused, "resume-none") };
            let Some((broadcast, pack_id)) = crate::delivery::broadcast::latest_in_state(&ctx.pool, from).await? else {
                return super::say(&ctx.replies, chat, c.s(locale, none)).await;
            };
            crate::delivery::broadcast::set_paused(&ctx.pool, broadcast, pause, Actor::User(user_id)).await?;
            let pack = store::get(&ctx.pool, pack_id).await?.map(|p| match p.period() {
                Some(period) => period.label(locale),
                None => format!("«{}»", escape(&p.title)),
            });
            let key = if pause { "pause-ok" } else { "resume-ok" };
            super::say(&ctx.replies, chat, c.t(locale, key, Args::new().raw("pack", pack.unwrap_or_default()))).await
        }
    }
}

/// `/packs` for staff: the latest packs, with the acknowledgements of the member's scope (an
/// officer's own unit's subtree; the province for the board).
pub(super) async fn list_packs(chat: ChatId, ctx: &Ctx, locale: Locale, member: &StaffMember) -> HandlerResult {
    let c = &ctx.catalog;
    let scope = if member.role == Role::District { member.unit_id } else { None };
    let packs = store::list(&ctx.pool).await?;
    if packs.is_empty() {
        return super::say(&ctx.replies, chat, c.s(locale, "packs-none")).await;
    }
    let mut lines = Vec::new();
    for p in packs.iter().take(10) {
        let status = match p.status {
            PackStatus::Scheduled => c.t(
                locale,
                "status-scheduled",
                Args::new().raw(
                    "time",
                    p.scheduled_for.map(|t| crate::dates::chat(t, ctx.config.timezone)).unwrap_or_default(),
                ),
            ),
            other => c.s(locale, &format!("status-{other}")),
        };
        let (targeted, acked): (i64, i64) =
            match scope {
                None => sqlx::query_as(
                    "SELECT COALESCE((SELECT CAST(sum(targeted) AS BIGINT) FROM broadcasts WHERE pack_id = $1 AND kind = 'pack'), 0),
                            (SELECT count(*) FROM acks WHERE pack_id = $1)",
                )
                .bind(p.id)
                .fetch_one(&ctx.pool)
                .await?,
                Some(unit) => {
                    // the running totals, by the unit each cell hung from when the pack went out
                    sqlx::query_as(
                        "SELECT CAST(COALESCE(sum(s.targeted), 0) AS BIGINT), CAST(COALESCE(sum(s.acknowledged), 0) AS BIGINT) FROM pack_unit_stats s
                         WHERE s.pack_id = $1 AND s.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2)",
                    )
                    .bind(p.id)
                    .bind(unit)
                    .fetch_one(&ctx.pool)
                    .await?
                }
            };
        let progress = if targeted > 0 {
            c.t(locale, "packs-progress", Args::new().raw("acked", acked).raw("targeted", targeted))
        } else {
            String::new()
        };
        lines.push(c.t(
            locale,
            "packs-line",
            Args::new().raw("id", p.id).user("title", &p.title).raw("status", status).raw("progress", progress),
        ));
    }
    super::say(&ctx.replies, chat, lines.join("\n")).await
}
