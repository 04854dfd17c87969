//! `/whoami` for everyone, and the admin commands (`/grant`, `/revoke`). The role is read
//! from the database on every call; anyone without it gets a polite refusal, and the attempt is
//! logged and audited.

use std::sync::Arc;

use teloxide::prelude::*;

use super::{AdminCommand, Ctx, HandlerResult, say};
use crate::audit::Actor;
use crate::cells;
use crate::i18n::{Args, Catalog, Locale};
use crate::staff::{self, Role, StaffError, StaffMember};

fn role_text(c: &Catalog, locale: Locale, m: Option<&StaffMember>) -> String {
    match m {
        None => c.s(locale, "role-none"),
        Some(m) => match m.role {
            Role::Admin => c.s(locale, "role-admin"),
            Role::Board => c.s(locale, "role-board"),
            Role::District => {
                c.t(locale, "role-district", Args::new().user("district", m.district.as_deref().unwrap_or("")))
            }
        },
    }
}

pub(super) async fn on_whoami(msg: &Message, ctx: &Arc<Ctx>, locale: Locale) -> HandlerResult {
    let c = &ctx.catalog;
    let Some(user) = &msg.from else { return Ok(()) };
    let user_id = user.id.0 as i64;
    let member = staff::role_of(&ctx.pool, &ctx.config.admins, user_id).await?;
    let mut conn = ctx.pool.acquire().await?;
    let cell = cells::by_chat(&mut conn, msg.chat.id.0).await?;
    drop(conn);
    let cell_line = match cell {
        Some(cell) => c.t(locale, "whoami-cell", Args::new().user("cell", &cell.name).user("district", &cell.district)),
        None => c.s(locale, "whoami-no-cell"),
    };
    let text = c.t(
        locale,
        "whoami",
        Args::new()
            .raw("id", user_id.to_string())
            .raw("role", role_text(c, locale, member.as_ref()))
            .raw("cell", cell_line),
    );
    say(&ctx.replies, msg.chat.id, text).await
}

/// Sets a user's staff menu in their private chat to what their role is now.
pub(super) async fn refresh_menu(bot: &Bot, ctx: &Arc<Ctx>, user_id: i64) {
    let role = match staff::role_of(&ctx.pool, &ctx.config.admins, user_id).await {
        Ok(m) => m.map(|m| m.role),
        Err(e) => {
            tracing::warn!(user_id, error = %e, "failed to read the role for the menu");
            return;
        }
    };
    if let Err(e) = super::commands::register_staff(bot, &ctx.catalog, user_id, role).await {
        tracing::debug!(user_id, error = %crate::logging::redact(&e.to_string()), "staff menu not updated");
    }
}

pub(super) async fn on_admin_command(
    bot: Bot,
    msg: Message,
    cmd: AdminCommand,
    ctx: Arc<Ctx>,
    _admin: StaffMember,
) -> HandlerResult {
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let Some(user) = &msg.from else { return Ok(()) };
    let user_id = user.id.0 as i64;
    let name = match &cmd {
        AdminCommand::Grant(_) => "/grant",
        AdminCommand::Revoke(_) => "/revoke",
    };
    if let Err(e) = staff::note_name(&ctx.pool, user_id, &crate::acks::display_name(user)).await {
        tracing::debug!(error = %e, "failed to note the admin's name");
    }
    // the command's name only: an argument may be an invite code or someone's id
    tracing::info!(user_id, command = name, "admin command");
    match cmd {
        AdminCommand::Grant(arg) => grant(&bot, chat, &arg, &ctx, locale, user_id).await,
        AdminCommand::Revoke(arg) => revoke(&bot, chat, arg.trim(), &ctx, locale, user_id).await,
    }
}

fn staff_error(c: &Catalog, locale: Locale, e: &StaffError) -> String {
    match e {
        StaffError::BadUserId(id) => c.t(locale, "staff-err-bad-id", Args::new().raw("given", id.to_string())),
        StaffError::DistrictMissing => c.s(locale, "staff-err-district-missing"),
        StaffError::DistrictNotAllowed => c.s(locale, "staff-err-district-not-allowed"),
        StaffError::BootstrapAdmin(id) => c.t(locale, "staff-err-bootstrap", Args::new().raw("id", id.to_string())),
        StaffError::NotStaff(id) => c.t(locale, "staff-err-not-staff", Args::new().raw("id", id.to_string())),
        StaffError::ServiceAccount(id) => c.t(locale, "staff-err-service", Args::new().raw("id", id.to_string())),
    }
}

async fn grant(bot: &Bot, chat: ChatId, arg: &str, ctx: &Arc<Ctx>, locale: Locale, actor: i64) -> HandlerResult {
    let c = &ctx.catalog;
    let mut words = arg.split_whitespace();
    let (Some(id_text), Some(role_text)) = (words.next(), words.next()) else {
        return say(&ctx.replies, chat, c.s(locale, "grant-usage")).await;
    };
    let district_text = words.collect::<Vec<_>>().join(" ");
    let Some(user_id) = id_text.parse::<i64>().ok().filter(|i| *i > 0) else {
        return say(&ctx.replies, chat, c.t(locale, "staff-err-bad-id", Args::new().user("given", id_text))).await;
    };
    let Some(role) = Role::parse(role_text) else {
        return say(&ctx.replies, chat, c.t(locale, "staff-err-bad-role", Args::new().user("given", role_text))).await;
    };
    // an officer serves a unit, named by its code or its name (a district's name in the old layout)
    let unit = if district_text.is_empty() || role != Role::District {
        None
    } else {
        let mut conn = ctx.pool.acquire().await?;
        let found = crate::units::find(&mut conn, &district_text).await?;
        drop(conn);
        match found.as_slice() {
            [] => {
                let known: Vec<String> = cells::districts(&ctx.pool).await?.into_iter().take(3).collect();
                let args = Args::new().user("given", &district_text).user("known", &known.join(", "));
                return say(&ctx.replies, chat, c.t(locale, "staff-err-unknown-district", args)).await;
            }
            [u] if u.parent_id.is_none() => {
                return say(
                    &ctx.replies,
                    chat,
                    c.t(locale, "staff-err-root", Args::new().raw("id", user_id.to_string())),
                )
                .await;
            }
            [u] => Some(u.clone()),
            several => {
                let codes = several.iter().map(|u| u.code.as_str()).collect::<Vec<_>>().join(", ");
                let args = Args::new().user("given", &district_text).user("codes", &codes);
                return say(&ctx.replies, chat, c.t(locale, "stats-unit-ambiguous", args)).await;
            }
        }
    };
    let granted = match (&unit, district_text.is_empty()) {
        (Some(u), _) => staff::grant_unit(&ctx.pool, &ctx.config.admins, user_id, u, Actor::User(actor)).await?,
        // a board or admin role named with a unit is refused by the grant, as at the terminal
        (None, false) => {
            staff::grant(&ctx.pool, &ctx.config.admins, user_id, role, Some(district_text.clone()), Actor::User(actor))
                .await?
        }
        (None, true) => staff::grant(&ctx.pool, &ctx.config.admins, user_id, role, None, Actor::User(actor)).await?,
    };
    match granted {
        Ok(m) => {
            refresh_menu(bot, ctx, user_id).await;
            let role_name = role_text_of(c, locale, &m);
            say(
                &ctx.replies,
                chat,
                c.t(locale, "grant-ok", Args::new().raw("role", role_name).raw("id", user_id.to_string())),
            )
            .await
        }
        Err(e) => say(&ctx.replies, chat, staff_error(c, locale, &e)).await,
    }
}

fn role_text_of(c: &Catalog, locale: Locale, m: &StaffMember) -> String {
    role_text(c, locale, Some(m))
}

async fn revoke(bot: &Bot, chat: ChatId, arg: &str, ctx: &Arc<Ctx>, locale: Locale, actor: i64) -> HandlerResult {
    let c = &ctx.catalog;
    if arg.is_empty() {
        return say(&ctx.replies, chat, c.s(locale, "revoke-usage")).await;
    }
    let Some(user_id) = arg.parse::<i64>().ok().filter(|i| *i > 0) else {
        return say(&ctx.replies, chat, c.t(locale, "staff-err-bad-id", Args::new().user("given", arg))).await;
    };
    match staff::revoke(&ctx.pool, &ctx.config.admins, user_id, Actor::User(actor)).await? {
        Ok(role) => {
            refresh_menu(bot, ctx, user_id).await;
            let gone = StaffMember {
                user_id,
                role,
                district: None,
                unit_id: None,
                display_name: None,
                granted_at: None,
                from_config: false,
            };
            let role_name = match role {
                Role::District => c.t(locale, "role-district", Args::new().raw("district", "")).trim_end().to_string(),
                _ => role_text_of(c, locale, &gone),
            };
            say(
                &ctx.replies,
                chat,
                c.t(locale, "revoke-ok", Args::new().raw("role", role_name).raw("id", user_id.to_string())),
            )
            .await
        }
        Err(e) => say(&ctx.replies, chat, staff_error(c, locale, &e)).await,
    }
}
