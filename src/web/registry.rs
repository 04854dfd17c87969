//! The units and cells of a member's scope: the tree with its counts, a unit's cells and who has
//! joined, and invites (a new single-use code for a cell, a code revoked, the invite sheet of a
//! unit's cells without a chat).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, Signed, TokenForm, html};
use crate::audit::Actor;
use crate::cells::{self, Cell, CellStatus, invites};
use crate::i18n::Args;

/// A unit of the tree, with its counts.
pub struct UnitLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Its depth below the unit the page starts from (for the indent).
    pub indent: i64,
    pub level_name: String,
    pub cells: String,
    pub connected: String,
    pub below: String,
    pub connected_below: String,
}

#[derive(sqlx::FromRow)]
struct TreeRow {
    id: i64,
    code: String,
    name: String,
    parent_id: Option<i64>,
    depth: i64,
}

/// The subtree of `top`, depth-first (each unit after its parent, siblings by code), with each
/// unit's own cells and those of its whole subtree: one pass over the cells, summed up the tree
/// here rather than once per unit in SQL.
pub(super) async fn tree_of(s: &Signed, top: i64) -> anyhow::Result<Vec<UnitLine>> {
    let pool = &s.ctx.pool;
    let rows: Vec<TreeRow> = sqlx::query_as(
        "WITH RECURSIVE walk (id, sort, depth) AS (
             SELECT $1, '', 0
             UNION ALL
             SELECT u.id, walk.sort || '/' || u.code, walk.depth + 1 FROM units u JOIN walk ON u.parent_id = walk.id
             WHERE u.retired_at IS NULL
         )
         SELECT u.id, u.code, u.name, u.parent_id, walk.depth FROM walk JOIN units u ON u.id = walk.id ORDER BY walk.sort",
    )
    .bind(top)
    .fetch_all(pool)
    .await?;
    // from the root, every cell counts: no list of the units to check each against
    let root = rows.first().is_some_and(|r| r.parent_id.is_none());
    let scope = if root {
        "AND $1 IS NOT NULL"
    } else {
        "AND unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1)"
    };
    let counts: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT unit_id, count(*), CAST(COALESCE(sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cells
         WHERE status <> 'retired' {scope} GROUP BY unit_id"
    )))
    .bind(top)
    .fetch_all(pool)
    .await?;
    let own: HashMap<i64, (i64, i64)> = counts.into_iter().map(|(u, n, c)| (u, (n, c))).collect();
    let mut below: HashMap<i64, (i64, i64)> = HashMap::new();
    // children come after their parents: summing from the end carries each subtree up
    for r in rows.iter().rev() {
        let (n, c) = own.get(&r.id).copied().unwrap_or_default();
        let sub = below.entry(r.id).or_default();
        sub.0 += n;
        sub.1 += c;
        let sub = *sub;
        if r.id != top
            && let Some(p) = r.parent_id
        {
            let up = below.entry(p).or_default();
            up.0 += sub.0;
            up.1 += sub.1;
        }
    }
    let (tr, org) = (&s.tr, &s.ctx.config.organisation);
    let top_level: i64 = sqlx::query_scalar("SELECT COALESCE(max(depth), 0) FROM unit_paths WHERE descendant = $1")
        .bind(top)
        .fetch_one(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (n, c) = own.get(&r.id).copied().unwrap_or_default();
            let (bn, bc) = below.get(&r.id).copied().unwrap_or_default();
            UnitLine {
                id: r.id,
                code: r.code,
                name: r.name,
                indent: r.depth,
                level_name: org.level_name(top_level + r.depth),
                cells: tr.n(&n),
                connected: tr.n(&c),
                below: tr.n(&bn),
                connected_below: tr.n(&bc),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "units.html")]
struct Units {
    p: Chrome,
    units: Vec<UnitLine>,
}

/// `GET /units`: the tree of the member's scope.
pub async fn units(s: Signed) -> Response {
    let run = async {
        let top = match s.scope {
            Some(u) => u,
            None => {
                let mut conn = s.ctx.pool.acquire().await?;
                crate::units::root(&mut conn).await?.id
            }
        };
        // the top unit and the units directly under it; each opens its own page
        let units = tree_of(&s, top).await?.into_iter().filter(|u| u.indent <= 1).collect();
        anyhow::Ok(html(&Units { p: s.chrome("units", s.tr.s("web-units-title")), units }))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// One cell of a unit's page.
pub struct CellLine {
    pub code: String,
    pub name: String,
    pub status: String,
    pub joined: bool,
    pub chat: String,
    pub bound_at: String,
    pub last_seen: String,
    pub open_invite: bool,
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    p: Chrome,
    id: i64,
    done: Option<String>,
    crumbs: Vec<super::Crumb>,
    units: Vec<UnitLine>,
    cells: Vec<CellLine>,
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    #[serde(default)]
    done: Option<String>,
}

/// Whether unit `unit` lies within the member's scope.
async fn in_scope(s: &Signed, unit: i64) -> anyhow::Result<bool> {
    let mut conn = s.ctx.pool.acquire().await?;
    Ok(match s.scope {
        Some(scope) => crate::units::within(&mut conn, scope, unit).await?,
        None => crate::units::get(&mut conn, unit).await?.is_some(),
    })
}

/// `GET /units/{id}`: a unit's sub-units and the cells hanging from it, each with whether it
/// has joined and whether a code of it is out.
pub async fn unit(s: Signed, Path(id): Path<i64>, Query(q): Query<UnitQuery>) -> Response {
    let run = async {
        if !in_scope(&s, id).await? {
            return Ok(s.not_found());
        }
        let pool = &s.ctx.pool;
        let mut conn = pool.acquire().await?;
        let Some(u) = crate::units::get(&mut conn, id).await? else { return Ok(s.not_found()) };
        drop(conn);
        let crumbs = s.crumbs(id).await?;
        let units: Vec<UnitLine> = tree_of(&s, id).await?.into_iter().filter(|l| l.indent == 1).collect();
        let list = cells::list(pool, &cells::ListFilter { unit: Some(id), ..Default::default() }).await?;
        let tz = s.ctx.config.timezone;
        let now = crate::dates::now();
        let open = invites::open_in_unit(pool, id, now).await?;
        let mut lines = Vec::new();
        for c in list.into_iter().filter(|c| c.unit_id == Some(id) && c.status() != CellStatus::Retired) {
            let open_invite = open.contains(&c.id);
            lines.push(CellLine {
                status: s.tr.s(&format!("web-cell-status-{}", c.status)),
                joined: c.status() == CellStatus::Active,
                chat: c.chat_type.clone().map(|t| s.tr.s(&format!("web-chat-{t}"))).unwrap_or_default(),
                bound_at: c.bound_at.map(|t| crate::dates::chat(t, tz)).unwrap_or_default(),
                last_seen: c.last_seen_at.map(|t| crate::dates::chat(t, tz)).unwrap_or_default(),
                code: c.code,
                name: c.name,
                open_invite,
            });
        }
        let done = q.done.as_deref().and_then(|d| d.strip_prefix("revoked:")).map(|n| {
            let n: i64 = n.parse().unwrap_or(0);
            s.tr.t("web-done-revoked", Args::new().raw("count", n))
        });
        anyhow::Ok(html(&UnitPage { p: s.chrome("units", u.name), id, done, crumbs, units, cells: lines }))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// The cell `code` if the member may act on it (not retired, its unit within their scope).
async fn cell_in_scope(s: &Signed, code: &str) -> anyhow::Result<Option<Cell>> {
    let mut conn = s.ctx.pool.acquire().await?;
    let Some(cell) = cells::by_code(&mut conn, code).await?.filter(|c| c.status() != CellStatus::Retired) else {
        return Ok(None);
    };
    drop(conn);
    let mine = match (s.scope, cell.unit_id) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(_), Some(u)) => in_scope(s, u).await?,
    };
    Ok(mine.then_some(cell))
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    p: Chrome,
    unit: Option<i64>,
    cell: String,
    code: String,
    private: String,
    group: String,
    expires: String,
}

/// `POST /cells/{code}/invite`: a new single-use code for the cell (its older unused ones
/// stop working), shown once.
pub async fn invite(s: Signed, Path(code): Path<String>, form: axum::Form<TokenForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let run = async {
        let Some(cell) = cell_in_scope(&s, &code).await? else { return Ok(s.not_found()) };
        if s.bot_username.is_empty() {
            return Ok(s.refuse("web-no-bot-username"));
        }
        let ttl = s.ctx.config.invite_ttl_days;
        let issued =
            invites::issue(&s.ctx.pool, std::slice::from_ref(&cell), ttl, Actor::User(s.member.user_id)).await?;
        let issued = &issued[0];
        let (private, group) = invites::links(&s.bot_username, &issued.code);
        let page = InvitePage {
            p: s.chrome("units", s.tr.s("web-invite-title")),
            unit: cell.unit_id,
            cell: format!("{} · {}", cell.code, cell.name),
            code: issued.code.as_str().to_string(),
            private,
            group,
            expires: crate::dates::chat(issued.expires_at, s.ctx.config.timezone),
        };
        anyhow::Ok(html(&page))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// `POST /cells/{code}/revoke`: the cell's unused codes stop working.
pub async fn revoke(s: Signed, Path(code): Path<String>, form: axum::Form<TokenForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let run = async {
        let Some(cell) = cell_in_scope(&s, &code).await? else { return Ok(s.not_found()) };
        let n = invites::revoke(&s.ctx.pool, &cell, Actor::User(s.member.user_id)).await?;
        let unit = cell.unit_id.unwrap_or_default();
        anyhow::Ok(Redirect::to(&format!("/units/{unit}?done=revoked:{n}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

#[derive(Deserialize)]
pub struct SheetForm {
    #[serde(default)]
    csrf: String,
    /// New codes for every cell, joined or not (a chat to be moved).
    #[serde(default)]
    all: Option<String>,
}

/// `POST /units/{id}/invites.csv`: new codes for the cells under the unit that have no chat (or
/// all of them), as the sheet `loa cells invites --out` writes.
pub async fn invite_sheet(s: Signed, Path(id): Path<i64>, form: axum::Form<SheetForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let run = async {
        if !in_scope(&s, id).await? {
            return Ok(s.not_found());
        }
        if s.bot_username.is_empty() {
            return Ok(s.refuse("web-no-bot-username"));
        }
        let all = form.all.is_some();
        let targets: Vec<Cell> = cells::list(&s.ctx.pool, &cells::ListFilter { unit: Some(id), ..Default::default() })
            .await?
            .into_iter()
            .filter(|c| c.status() != CellStatus::Retired && (all || c.chat_id.is_none()))
            .collect();
        if targets.is_empty() {
            return Ok(s.refuse("web-invites-nobody"));
        }
        let actor = Actor::User(s.member.user_id);
        let issued = invites::issue(&s.ctx.pool, &targets, s.ctx.config.invite_ttl_days, actor).await?;
        let mut out = Vec::new();
        crate::cli::cells::write_invites(&mut out, &issued, &s.bot_username, &s.ctx.config)?;
        anyhow::Ok(super::pages::download("text/csv; charset=utf-8", &format!("loa-invites-unit-{id}.csv"), out))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}
