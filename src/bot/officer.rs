//! What every member of staff can do for the cells of their scope (an officer's unit's subtree;
//! the whole province for the board), in their private chat: `/cells [unit]` lists the cells and
//! who has joined, `/invite CODE` issues a new single-use invite for one of them (the old one is
//! revoked), `/remind [pack]` reminds those that have not acknowledged a pack now.

use std::sync::Arc;

use chrono::Utc;
use teloxide::prelude::*;

use super::analytics::{Asked, scope};
use super::{Ctx, HandlerResult, OfficerCommand, say};
use crate::audit::Actor;
use crate::cells::{self, CellStatus, invites};
use crate::i18n::{Args, escape};
use crate::lifecycle::PackStatus;
use crate::packs::store;
use crate::staff::StaffMember;
use crate::telegram::replies::Reply;

/// More cells than this go as a file rather than messages.
const CELLS_IN_MESSAGES: usize = 150;

/// An officer's command (or a board member's, for the whole province), in their private chat.
pub(super) async fn on_officer_command(
    bot: Bot,
    msg: Message,
    cmd: OfficerCommand,
    ctx: Arc<Ctx>,
    member: StaffMember,
) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let Ok(scope) = scope(&member) else {
        return say(&ctx.replies, chat, ctx.catalog.s(locale, "stats-no-scope")).await;
    };
    let asked = Asked { chat, ctx: &ctx, locale, member: &member };
    match cmd {
        OfficerCommand::Cells(arg) => list_cells(&asked, scope, arg.trim()).await,
        OfficerCommand::Invite(arg) => invite(&bot, &asked, scope, arg.trim()).await,
        OfficerCommand::Remind(arg) => remind_now(&asked, scope, arg.trim()).await,
    }
}

/// One cell of `/cells`, with the unit it hangs from.
#[derive(sqlx::FromRow)]
struct Row {
    unit: String,
    code: String,
    name: String,
    status: String,
}

/// `/cells [unit]`: the cells under the member's unit (or a unit within it), by the unit they
/// hang from, each marked joined, not joined or unreachable.
async fn list_cells(a: &Asked<'_>, scope: Option<i64>, arg: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let within = if arg.is_empty() {
        scope
    } else {
        match a.unit(arg, scope).await? {
            Some(id) => Some(id),
            None => return Ok(()),
        }
    };
    let root = match within {
        Some(id) => crate::stats::unit_ref(&ctx.pool, id).await?,
        None => None,
    };
    let title = match root {
        Some(u) => u.name,
        None => {
            let mut conn = ctx.pool.acquire().await?;
            crate::units::root(&mut conn).await?.name
        }
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT COALESCE(u.name, '') AS unit, c.code, c.name, c.status FROM cells c
         LEFT JOIN units u ON u.id = c.unit_id
         WHERE c.status <> 'retired'
           AND ($1 IS NULL OR c.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
         ORDER BY 1, c.code",
    )
    .bind(within)
    .fetch_all(&ctx.pool)
    .await?;
    if rows.is_empty() {
        return a.say(c.t(locale, "cells-none", Args::new().user("unit", &title))).await;
    }
    let count = |s: CellStatus| rows.iter().filter(|r| r.status == s.as_str()).count() as i64;
    let header = c.t(
        locale,
        "cells-head",
        Args::new()
            .user("unit", &title)
            .raw("total", locale.number(rows.len() as i64))
            .raw("bound", locale.number(count(CellStatus::Active)))
            .raw("unbound", locale.number(count(CellStatus::Unbound)))
            .raw("unreachable", locale.number(count(CellStatus::Unreachable))),
    );
    if rows.len() > CELLS_IN_MESSAGES {
        let mut csv = Vec::new();
        csv.extend_from_slice("\u{feff}".as_bytes());
        {
            let mut w = crate::export::csv_writer(&mut csv);
            w.write_record(["Đơn vị", "Mã chi bộ", "Tên chi bộ", "Trạng thái"])?;
            for r in &rows {
                let state = status_word(r.status.as_str());
                w.write_record([&r.unit, &r.code, &r.name, state].map(|s| crate::export::neutralise(s.to_string())))?;
            }
            w.flush()?;
        }
        ctx.replies
            .send(a.chat, Reply::Document { name: "chi-bo.csv".into(), bytes: csv.into(), caption: Some(header) });
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let unit = &rows[i].unit;
        let group: Vec<&Row> = rows[i..].iter().take_while(|r| &r.unit == unit).collect();
        let bound = group.iter().filter(|r| r.status == CellStatus::Active.as_str()).count();
        lines.push(String::new());
        lines.push(c.t(
            locale,
            "cells-unit",
            Args::new().user("unit", unit).raw("bound", bound).raw("total", group.len()),
        ));
        for r in &group {
            let (mark, note) = match r.status.as_str() {
                "active" => ("✅", String::new()),
                "unreachable" => ("⚠️", c.s(locale, "cells-unreachable")),
                _ => ("⏳", c.s(locale, "cells-unbound")),
            };
            lines.push(format!("{mark} <code>{}</code> {}{note}", escape(&r.code), escape(&r.name)));
        }
        i += group.len();
    }
    if count(CellStatus::Unbound) > 0 {
        lines.push(String::new());
        lines.push(c.s(locale, "cells-invite-hint"));
    }
    for page in super::announce::pages(&header, &lines) {
        a.say(page).await?;
    }
    Ok(())
}

/// A cell's status in the words of the file `/cells` sends.
fn status_word(status: &str) -> &'static str {
    match status {
        "active" => "đã kết nối",
        "unreachable" => "không liên lạc được",
        _ => "chưa kết nối",
    }
}

/// `/invite CODE`: a new invite for a cell of the member's scope (the one it had is revoked).
async fn invite(bot: &Bot, a: &Asked<'_>, scope: Option<i64>, code: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    if code.is_empty() {
        return a.say(c.s(locale, "invite-usage")).await;
    }
    let mut conn = ctx.pool.acquire().await?;
    let cell = cells::by_code(&mut conn, code).await?.filter(|cell| cell.status() != CellStatus::Retired);
    let Some(cell) = cell else {
        return a.say(c.t(locale, "invite-no-cell", Args::new().user("code", code))).await;
    };
    if let Some(scope) = scope {
        let mine = match cell.unit_id {
            Some(unit) => crate::units::within(&mut conn, scope, unit).await?,
            None => false,
        };
        if !mine {
            drop(conn);
            tracing::info!(user_id = a.member.user_id, "an invite asked for a cell outside the officer's unit");
            return a.say(c.t(locale, "invite-out-of-scope", Args::new().user("code", code))).await;
        }
    }
    drop(conn);
    let issued = invites::issue(
        &ctx.pool,
        std::slice::from_ref(&cell),
        ctx.config.invite_ttl_days,
        Actor::User(a.member.user_id),
    )
    .await?;
    let issued = &issued[0];
    let username = match ctx.config.telegram.bot_username.clone() {
        Some(u) => u,
        None => bot.get_me().await?.username().to_string(),
    };
    let (private, group) = invites::links(&username, &issued.code);
    let text = c.t(
        locale,
        "invite-issued",
        Args::new()
            .user("cell", &cell.name)
            .user("district", &cell.district)
            .raw("expires", crate::dates::chat(issued.expires_at, ctx.config.timezone))
            .raw("code", issued.code.as_str().to_string())
            .raw("private", private)
            .raw("group", group),
    );
    a.say(text).await
}

/// `/remind [pack]`: reminds now every cell of the member's scope that has not acknowledged the
/// pack (the latest pack sent when none is named), except those already reminded today.
async fn remind_now(a: &Asked<'_>, scope: Option<i64>, arg: &str) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let pack_id = if arg.is_empty() {
        sqlx::query_scalar::<_, i64>(
            "SELECT pack_id FROM broadcasts WHERE kind = 'pack' AND state IN ('running', 'paused', 'done') ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&ctx.pool)
        .await?
    } else {
        match arg.trim_start_matches('#').parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return a.say(c.t(locale, "remind-usage", Args::new().user("given", arg))).await,
        }
    };
    let pack = match pack_id {
        Some(id) => store::get(&ctx.pool, id).await?,
        None => None,
    };
    let Some(pack) = pack.filter(|p| matches!(p.status, PackStatus::Sending | PackStatus::Sent)) else {
        let key = if arg.is_empty() { "remind-no-pack" } else { "remind-not-sent" };
        return a.say(c.t(locale, key, Args::new().user("given", arg))).await;
    };
    let now = Utc::now();
    let today = now.with_timezone(&ctx.config.timezone).date_naive();
    let which = crate::reminders::Which { pack: Some(pack.id), within: scope, forced: true };
    let started =
        crate::reminders::remind(&ctx.pool, &ctx.config, today, which, Actor::User(a.member.user_id), now.timestamp())
            .await?;
    let cells: i64 = started.iter().map(|s| s.targeted).sum();
    let name = crate::packs::message::name(&pack.title, pack.period(), locale);
    let key = if cells > 0 { "remind-started" } else { "remind-nobody" };
    a.say(c.t(locale, key, Args::new().raw("pack", name).raw("cells", cells))).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_names_every_status_in_words() {
        assert_eq!(super::status_word("active"), "đã kết nối");
        assert_eq!(super::status_word("unreachable"), "không liên lạc được");
        assert_eq!(super::status_word("unbound"), "chưa kết nối");
    }
}
