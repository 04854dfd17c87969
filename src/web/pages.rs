//! The overview, the packs, one pack (its delivery, its figures by unit with drill-down, the
//! cells behind, its actions) and the downloads (spreadsheets, charts, documents).

use crate::db::DbPool;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{Chrome, Crumb, Signed, TokenForm, html};
use crate::audit::Actor;
use crate::i18n::{Args, Locale};
use crate::lifecycle::{BroadcastState, PackStatus};
use crate::packs::store::{self, Pack};
use crate::staff::Role;
use crate::stats::{self, Counts, View};

/// The running totals of a pack within a member's scope (the sum of its units' rows: one row per
/// unit that received the pack, however many cells).
pub async fn totals(pool: &DbPool, pack_id: i64, scope: Option<i64>) -> sqlx::Result<Counts> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(sum(targeted), 0) AS BIGINT) AS targeted, CAST(COALESCE(sum(delivered), 0) AS BIGINT) AS delivered,
                CAST(COALESCE(sum(unreachable), 0) AS BIGINT) AS unreachable, CAST(COALESCE(sum(acknowledged), 0) AS BIGINT) AS acknowledged,
                CAST(COALESCE(sum(late), 0) AS BIGINT) AS late, CAST(COALESCE(sum(reported), 0) AS BIGINT) AS reported,
                CAST(COALESCE(sum(not_connected), 0) AS BIGINT) AS not_connected
         FROM pack_unit_stats
         WHERE pack_id = $1 AND ($2 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))",
    )
    .bind(pack_id)
    .bind(scope)
    .fetch_one(pool)
    .await
}

/// A pack's name as a page shows it: its period's label and title.
fn pack_name(p: &Pack, locale: Locale) -> String {
    match p.period() {
        Some(period) => format!("{} · {}", period.label(locale), p.title),
        None => p.title.clone(),
    }
}

/// The newest broadcast of a pack itself (not its reminders), with its state.
async fn pack_broadcast(pool: &DbPool, pack_id: i64) -> sqlx::Result<Option<(i64, BroadcastState)>> {
    sqlx::query_as("SELECT id, state FROM broadcasts WHERE pack_id = $1 AND kind = 'pack' ORDER BY id DESC LIMIT 1")
        .bind(pack_id)
        .fetch_optional(pool)
        .await
}

/// A pack's status in words (with its time when scheduled).
fn status_text(s: &Signed, p: &Pack) -> String {
    match p.status {
        PackStatus::Scheduled => s.tr.t(
            "status-scheduled",
            Args::new()
                .raw("time", p.scheduled_for.map(|t| crate::dates::chat(t, s.ctx.config.timezone)).unwrap_or_default()),
        ),
        other => s.tr.s(&format!("status-{other}")),
    }
}

// ----- the overview ------------------------------------------------------------------------------

/// A pack in a table of the overview or of the packs page.
pub struct PackRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub targeted: String,
    pub done: i64,
    pub target: i64,
    pub acked: String,
    pub ack_rate: String,
    pub reported: String,
    pub report_rate: String,
    pub behind: String,
    pub state: String,
}

impl PackRow {
    fn new(s: &Signed, p: &Pack, c: &Counts, state: String) -> PackRow {
        let tr = &s.tr;
        PackRow {
            id: p.id,
            name: pack_name(p, tr.locale),
            status: status_text(s, p),
            targeted: tr.n(&c.targeted),
            done: c.delivered + c.unreachable,
            target: c.targeted,
            acked: tr.n(&c.acknowledged),
            ack_rate: tr.pct(&c.ack_rate()),
            reported: tr.n(&c.reported),
            report_rate: tr.pct(&c.report_rate()),
            behind: tr.n(&c.behind()),
            state,
        }
    }
}

pub struct UrgentRow {
    pub id: i64,
    pub topic: String,
    pub from: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    p: Chrome,
    flight: Vec<PackRow>,
    latest: Vec<PackRow>,
    urgent: Vec<UrgentRow>,
    cells: String,
    connected: String,
    inbox_new: String,
}

/// How many packs the overview shows the uptake of.
const LATEST: usize = 6;

pub async fn overview(s: Signed) -> Response {
    match overview_page(&s).await {
        Ok(r) => r,
        Err(e) => s.failed(e),
    }
}

async fn in_flight(s: &Signed) -> anyhow::Result<Vec<PackRow>> {
    let pool = &s.ctx.pool;
    let rows: Vec<(i64, BroadcastState)> = sqlx::query_as(
        "SELECT pack_id, state FROM broadcasts WHERE kind = 'pack' AND state IN ('running', 'paused') ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for (pack_id, state) in rows {
        let Some(p) = store::get(pool, pack_id).await? else { continue };
        let c = totals(pool, pack_id, s.scope).await?;
        if c.targeted == 0 && s.scope.is_some() {
            continue;
        }
        out.push(PackRow::new(s, &p, &c, s.tr.s(&format!("web-broadcast-{state}"))));
    }
    Ok(out)
}

async fn overview_page(s: &Signed) -> anyhow::Result<Response> {
    let pool = &s.ctx.pool;
    let flight = in_flight(s).await?;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM packs WHERE status IN ('sending', 'sent') ORDER BY id DESC LIMIT $1")
            .bind(LATEST as i64)
            .fetch_all(pool)
            .await?;
    let mut latest = Vec::new();
    for id in ids {
        let Some(p) = store::get(pool, id).await? else { continue };
        let c = totals(pool, id, s.scope).await?;
        latest.push(PackRow::new(s, &p, &c, String::new()));
    }
    let filter = crate::situations::InboxFilter { within: s.scope, status: Some("new".into()), limit: 50 };
    let fresh = crate::situations::inbox(pool, &filter).await?;
    let inbox_new = s.tr.n(&(fresh.len() as i64));
    let tz = s.ctx.config.timezone;
    let urgent = fresh
        .iter()
        .filter(|r| r.severity == crate::situations::Severity::Urgent)
        .take(10)
        .map(|r| UrgentRow {
            id: r.id,
            topic: r.topic.clone(),
            from: r.cell_name.clone().unwrap_or_else(|| r.unit.clone()),
            when: crate::dates::chat(r.created_at, tz),
        })
        .collect();
    let (cells, connected): (i64, i64) = sqlx::query_as(
        "SELECT count(*), CAST(COALESCE(sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM cells
         WHERE status <> 'retired' AND ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))",
    )
    .bind(s.scope)
    .fetch_one(pool)
    .await?;
    let page = Overview {
        p: s.chrome("overview", s.tr.s("web-overview-title")),
        flight,
        latest,
        urgent,
        cells: s.tr.n(&cells),
        connected: s.tr.n(&connected),
        inbox_new,
    };
    Ok(html(&page))
}

/// One broadcast in flight, for the overview's live progress.
#[derive(Serialize)]
struct Progress {
    pack_id: i64,
    targeted: i64,
    done: i64,
    state_text: String,
}

/// The broadcasts in flight within the member's scope, as JSON (the overview asks every 3 s).
pub async fn progress(s: Signed) -> Response {
    match in_flight(&s).await {
        Ok(rows) => {
            let out: Vec<Progress> = rows
                .into_iter()
                .map(|r| Progress { pack_id: r.id, targeted: r.target, done: r.done, state_text: r.state })
                .collect();
            axum::Json(out).into_response()
        }
        Err(e) => s.failed(e),
    }
}

// ----- the packs ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "packs.html")]
struct Packs {
    p: Chrome,
    rows: Vec<PackRow>,
}

pub async fn packs(s: Signed) -> Response {
    let run = async {
        let pool = &s.ctx.pool;
        let mut rows = Vec::new();
        for p in store::list(pool).await? {
            // an officer follows what went out; drafts and schedules are the board's
            if !s.may(Role::Board) && !matches!(p.status, PackStatus::Sending | PackStatus::Sent) {
                continue;
            }
            let c = totals(pool, p.id, s.scope).await?;
            rows.push(PackRow::new(&s, &p, &c, String::new()));
        }
        anyhow::Ok(html(&Packs { p: s.chrome("packs", s.tr.s("web-packs-title")), rows }))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

// ----- one pack ----------------------------------------------------------------------------------

/// A pack's page: which unit it is opened at, and what was just done.
#[derive(Deserialize, Default)]
pub struct PackQuery {
    /// The unit drilled into (within the member's scope).
    #[serde(default)]
    unit: Option<i64>,
    /// What an action did ("remind:5", "pause", "resume", "cancel").
    #[serde(default)]
    done: Option<String>,
}

pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub opens: bool,
    pub targeted: String,
    pub delivered: String,
    pub unreachable: String,
    pub acked: String,
    pub ack_rate: String,
    pub reported: String,
    pub report_rate: String,
    pub not_connected: String,
}

pub struct CellRow {
    pub code: String,
    pub name: String,
    pub state: String,
    pub reported: bool,
}

pub struct BehindRow {
    pub unit: String,
    pub code: String,
    pub name: String,
    pub why: String,
}

pub struct StateRow {
    pub state: String,
    pub reason: String,
    pub count: String,
}

#[derive(Template)]
#[template(path = "pack.html")]
struct PackPage {
    p: Chrome,
    id: i64,
    done: Option<String>,
    status: String,
    deadline: String,
    audience: String,
    documents: Vec<(usize, String, String)>,
    body: String,
    body_refused: Option<String>,
    totals: PackRow,
    states: Vec<StateRow>,
    crumbs: Vec<Crumb>,
    within: i64,
    level_name: String,
    units: Vec<UnitRow>,
    cells: Vec<CellRow>,
    behind: Vec<BehindRow>,
    behind_more: String,
    may_pause: bool,
    may_resume: bool,
    may_cancel: bool,
    may_remind: bool,
    sent: bool,
    /// A draft or scheduled pack: its schedule form and delivery estimate.
    is_draft: bool,
    estimate: String,
}

/// The most cells behind a page lists (the spreadsheet has them all).
const BEHIND_SHOWN: i64 = 200;
/// Past this many cells behind, the page lists none: a list that long is read unit by unit.
const BEHIND_LISTED: i64 = 2000;

/// The pack `id` and the unit its page is opened at, if the member may see them: the unit must
/// lie within the member's scope.
async fn opened(s: &Signed, id: i64, unit: Option<i64>) -> anyhow::Result<Option<(Pack, Option<i64>)>> {
    let pool = &s.ctx.pool;
    let Some(p) = store::get(pool, id).await? else { return Ok(None) };
    if !s.may(Role::Board) && !matches!(p.status, PackStatus::Sending | PackStatus::Sent) {
        return Ok(None);
    }
    let within = match (unit, s.scope) {
        (None, scope) => scope,
        (Some(u), None) => Some(u),
        (Some(u), Some(scope)) => {
            let mut conn = pool.acquire().await?;
            if !crate::units::within(&mut conn, scope, u).await? {
                return Ok(None);
            }
            Some(u)
        }
    };
    Ok(Some((p, within)))
}

pub async fn pack(s: Signed, Path(id): Path<i64>, Query(q): Query<PackQuery>) -> Response {
    match pack_page(&s, id, q).await {
        Ok(Some(r)) => r,
        Ok(None) => s.not_found(),
        Err(e) => s.failed(e),
    }
}

async fn pack_page(s: &Signed, id: i64, q: PackQuery) -> anyhow::Result<Option<Response>> {
    let (pool, tr) = (&s.ctx.pool, &s.tr);
    let Some((p, within)) = opened(s, id, q.unit).await? else { return Ok(None) };
    let Some(st) = stats::pack(pool, id, View { level: None, within }).await? else { return Ok(None) };
    let broadcast = pack_broadcast(pool, id).await?;
    let state = broadcast.map(|(_, b)| tr.s(&format!("web-broadcast-{b}"))).unwrap_or_default();
    let totals = PackRow::new(s, &p, &st.total, state);
    // delivery by state, from the running totals; the reasons of those that failed from the
    // failed deliveries alone (a partial index holds just them)
    let scope = match within {
        Some(_) => "AND d.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2)",
        None => "AND $2 IS NULL",
    };
    // SQLite is told to read the partial index of failed deliveries; PostgreSQL finds it alone
    let indexed = crate::db::pick(pool, "INDEXED BY deliveries_failed", "");
    let reasons: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(d.error, ''), count(*) FROM deliveries d {indexed}
         WHERE d.broadcast_id IN (SELECT id FROM broadcasts WHERE pack_id = $1 AND kind = 'pack')
           AND d.state = 'failed' {scope}
         GROUP BY 1 ORDER BY 2 DESC"
    )))
    .bind(id)
    .bind(within)
    .fetch_all(pool)
    .await?;
    let t = &st.total;
    let mut states = Vec::new();
    let waiting = t.targeted - t.delivered - t.unreachable;
    for (key, n) in [("pending", waiting), ("sent", t.delivered)] {
        if n > 0 {
            states.push(StateRow {
                state: tr.s(&format!("web-delivery-{key}")),
                reason: String::new(),
                count: tr.n(&n),
            });
        }
    }
    for (reason, n) in reasons {
        states.push(StateRow { state: tr.s("web-delivery-failed"), reason, count: tr.n(&n) });
    }
    let crumbs = s.crumbs(st.within.id).await?;
    let units = st
        .groups
        .iter()
        .filter(|g| g.unit.id != st.within.id)
        .map(|g| {
            let c = &g.counts;
            UnitRow {
                id: g.unit.id,
                name: g.unit.name.clone(),
                opens: true,
                targeted: tr.n(&c.targeted),
                delivered: tr.n(&c.delivered),
                unreachable: tr.n(&c.unreachable),
                acked: tr.n(&c.acknowledged),
                ack_rate: tr.pct(&c.ack_rate()),
                reported: tr.n(&c.reported),
                report_rate: tr.pct(&c.report_rate()),
                not_connected: tr.n(&c.not_connected),
            }
        })
        .collect();
    // the cells hanging from the unit opened itself (below the province's committee)
    let cells = if within.is_some() || st.groups.is_empty() {
        stats::unit_cells(pool, id, st.within.id)
            .await?
            .into_iter()
            .map(|c| CellRow {
                code: c.code,
                name: c.name,
                state: tr.s(&format!("web-cell-{}", c.state.replace('_', "-"))),
                reported: c.reported,
            })
            .collect()
    } else {
        Vec::new()
    };
    // the cells behind, listed when there are few enough to read; else the units' rows lead the way
    // down (and the spreadsheet has them all)
    let behind_count = st.total.behind();
    let (behind_rows, behind_more) = if behind_count <= BEHIND_LISTED {
        let rows = stats::pending_first(pool, id, within, BEHIND_SHOWN).await?;
        let more = if behind_count > BEHIND_SHOWN {
            tr.t("web-behind-more", Args::new().raw("shown", BEHIND_SHOWN).raw("count", tr.n(&behind_count)))
        } else {
            String::new()
        };
        (rows, more)
    } else {
        (Vec::new(), tr.t("web-behind-many", Args::new().raw("count", tr.n(&behind_count))))
    };
    let behind = behind_rows
        .into_iter()
        .map(|b| BehindRow {
            unit: b.unit,
            code: b.code,
            name: b.name,
            why: b.unreachable.map(|e| tr.t("web-behind-unreachable", Args::new().user("why", &e))).unwrap_or_default(),
        })
        .collect();
    let documents = store::attachments(pool, id)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, (name, size, _))| (i + 1, name, size_words(size)))
        .collect();
    let (body, body_refused) = match super::preview::to_web_html(&p.body_html) {
        Ok(b) => (b, None),
        Err(why) => (String::new(), Some(why)),
    };
    let board = s.may(Role::Board);
    let bstate = broadcast.map(|(_, b)| b);
    let level_name = s.ctx.config.organisation.level_name(st.level);
    let done = q.done.as_deref().map(|d| done_text(s, d));
    // what sending it would take, as `loa pack show` says it
    let estimate = if p.status.is_unsent() {
        let (cells, active) = crate::packs::audience_counts(pool, &p.audience()).await?;
        let per_second = s.ctx.config.delivery.messages_per_second;
        let secs = crate::packs::estimate_seconds(active, p.attachments + 1, per_second);
        tr.t(
            "web-estimate",
            Args::new()
                .raw("cells", tr.n(&cells))
                .raw("active", tr.n(&active))
                .raw("messages", p.attachments + 1)
                .raw("rate", per_second)
                .raw("time", crate::packs::duration_words(secs, tr.locale)),
        )
    } else {
        String::new()
    };
    let page = PackPage {
        p: s.chrome("packs", pack_name(&p, tr.locale)),
        id,
        done,
        status: status_text(s, &p),
        deadline: p.deadline.clone().unwrap_or_default(),
        audience: audience_words(tr, &p.audience()),
        documents,
        body,
        body_refused,
        totals,
        states,
        crumbs,
        within: st.within.id,
        level_name,
        units,
        cells,
        behind,
        behind_more,
        may_pause: board && bstate == Some(BroadcastState::Running),
        may_resume: board && bstate == Some(BroadcastState::Paused),
        may_cancel: board && (p.status.is_unsent() || p.status == PackStatus::Sending),
        may_remind: matches!(p.status, PackStatus::Sending | PackStatus::Sent),
        sent: matches!(p.status, PackStatus::Sending | PackStatus::Sent),
        is_draft: p.status.is_unsent(),
        estimate,
    };
    Ok(Some(html(&page)))
}

/// Who a pack goes to, in the page's language (catalog text: the names in it are escaped).
fn audience_words(tr: &super::Tr, a: &crate::packs::Audience) -> String {
    let crate::packs::Audience::Some { districts, units, tags, cells } = a else { return tr.s("web-audience-all") };
    let mut parts = Vec::new();
    for (key, list) in [
        ("web-audience-districts", districts),
        ("web-audience-units", units),
        ("web-audience-tags", tags),
        ("web-audience-cells", cells),
    ] {
        if !list.is_empty() {
            let names = list.iter().cloned().collect::<Vec<_>>().join(", ");
            parts.push(tr.t(key, Args::new().user("list", &names)));
        }
    }
    parts.join("; ")
}

/// "12,5 MB" / "12.5 MB".
fn size_words(bytes: i64) -> String {
    let mb = bytes as f64 / 1_048_576.0;
    if mb >= 1.0 { format!("{mb:.1} MB") } else { format!("{} KB", (bytes as f64 / 1024.0).ceil() as i64) }
}

/// The words for what an action just did (the `done` of the page's address).
fn done_text(s: &Signed, done: &str) -> String {
    match done.split_once(':') {
        Some(("remind", n)) => {
            let n: i64 = n.parse().unwrap_or(0);
            let key = if n > 0 { "web-done-remind" } else { "web-done-remind-nobody" };
            s.tr.t(key, Args::new().raw("cells", n))
        }
        _ => match done {
            "pause" | "resume" | "cancel" | "created" | "scheduled" => s.tr.s(&format!("web-done-{done}")),
            _ => String::new(),
        },
    }
}

// ----- actions -----------------------------------------------------------------------------------

/// `POST /packs/{id}/remind`: reminds now the cells of the member's scope (or of the unit the
/// page is opened at) that have not acknowledged the pack; never twice a day.
pub async fn remind(s: Signed, Path(id): Path<i64>, form: axum::Form<TokenForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    let run = async {
        let Some((p, within)) = opened(&s, id, None).await? else { return Ok(s.not_found()) };
        if !matches!(p.status, PackStatus::Sending | PackStatus::Sent) {
            return Ok(s.refuse("web-refused-not-sent"));
        }
        let now = Utc::now();
        let today = now.with_timezone(&s.ctx.config.timezone).date_naive();
        let which = crate::reminders::Which { pack: Some(id), within, forced: true };
        let actor = Actor::User(s.member.user_id);
        let started =
            crate::reminders::remind(&s.ctx.pool, &s.ctx.config, today, which, actor, now.timestamp()).await?;
        let cells: i64 = started.iter().map(|b| b.targeted).sum();
        anyhow::Ok(Redirect::to(&format!("/packs/{id}?done=remind:{cells}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

pub async fn pause(s: Signed, Path(id): Path<i64>, form: axum::Form<TokenForm>) -> Response {
    pause_or_resume(s, id, form, true).await
}

pub async fn resume(s: Signed, Path(id): Path<i64>, form: axum::Form<TokenForm>) -> Response {
    pause_or_resume(s, id, form, false).await
}

async fn pause_or_resume(s: Signed, id: i64, form: axum::Form<TokenForm>, pause: bool) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    if let Err(r) = s.require(Role::Board, if pause { "pause" } else { "resume" }).await {
        return r;
    }
    let run = async {
        let Some((broadcast, _)) = pack_broadcast(&s.ctx.pool, id).await? else { return Ok(s.not_found()) };
        let actor = Actor::User(s.member.user_id);
        if !crate::delivery::broadcast::set_paused(&s.ctx.pool, broadcast, pause, actor).await? {
            return Ok(s.refuse(if pause { "pause-none" } else { "resume-none" }));
        }
        let done = if pause { "pause" } else { "resume" };
        anyhow::Ok(Redirect::to(&format!("/packs/{id}?done={done}")).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

pub async fn cancel(s: Signed, Path(id): Path<i64>, form: axum::Form<TokenForm>) -> Response {
    if let Err(r) = s.check_form(&form.csrf) {
        return r;
    }
    if let Err(r) = s.require(Role::Board, "cancel").await {
        return r;
    }
    let run = async {
        match crate::delivery::broadcast::cancel_pack(&s.ctx.pool, id, Actor::User(s.member.user_id)).await? {
            Ok(()) => anyhow::Ok(Redirect::to(&format!("/packs/{id}?done=cancel")).into_response()),
            Err(crate::packs::store::ScheduleError::NoSuchPack(_)) => Ok(s.not_found()),
            Err(_) => Ok(s.refuse("web-refused-cancel")),
        }
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

// ----- downloads ---------------------------------------------------------------------------------

/// A file to save: its name in ASCII for old browsers and in full (RFC 6266's `filename*`, UTF-8
/// percent-encoded) for the rest, so that a document's Vietnamese name arrives as it was.
pub fn download(kind: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';') { c } else { '_' }).collect();
    let full = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{full}");
    (StatusCode::OK, [(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

pub async fn export_xlsx(s: Signed, Path(id): Path<i64>, Query(q): Query<PackQuery>) -> Response {
    let run = async {
        let Some((_, within)) = opened(&s, id, q.unit).await? else { return Ok(s.not_found()) };
        let bytes = crate::export::xlsx_bytes(&s.ctx.pool, &s.ctx.config, id, View { level: None, within }).await?;
        let kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        anyhow::Ok(download(kind, &format!("loa-pack-{id}.xlsx"), bytes))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

pub async fn export_csv(s: Signed, Path(id): Path<i64>, Query(q): Query<PackQuery>) -> Response {
    let run = async {
        let Some((_, within)) = opened(&s, id, q.unit).await? else { return Ok(s.not_found()) };
        let rows = crate::export::cell_rows(&s.ctx.pool, id, within).await?;
        let mut out = Vec::new();
        crate::export::write_csv(&mut out, &rows, s.ctx.config.timezone)?;
        anyhow::Ok(download("text/csv; charset=utf-8", &format!("loa-pack-{id}.csv"), out))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

async fn chart_stats(s: &Signed, id: i64, unit: Option<i64>) -> anyhow::Result<Option<stats::PackStats>> {
    let Some((_, within)) = opened(s, id, unit).await? else { return Ok(None) };
    Ok(stats::pack(&s.ctx.pool, id, View { level: None, within }).await?)
}

pub async fn chart_svg(s: Signed, Path(id): Path<i64>, Query(q): Query<PackQuery>) -> Response {
    let run = async {
        let Some(st) = chart_stats(&s, id, q.unit).await? else { return Ok(s.not_found()) };
        let (acked, reported) = (s.tr.s("chart-acked"), s.tr.s("chart-reported"));
        let svg = crate::chart::pack_svg(&st, &st.title, &acked, &reported)?;
        anyhow::Ok((StatusCode::OK, [(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

pub async fn chart_png(s: Signed, Path(id): Path<i64>, Query(q): Query<PackQuery>) -> Response {
    let run = async {
        let Some(st) = chart_stats(&s, id, q.unit).await? else { return Ok(s.not_found()) };
        let (acked, reported) = (s.tr.s("chart-acked"), s.tr.s("chart-reported"));
        let png = crate::chart::pack_png(&st, &st.title, &acked, &reported)?;
        anyhow::Ok(download("image/png", &format!("loa-pack-{id}.png"), png))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}

/// `GET /packs/{id}/documents/{n}`: the pack's n-th document (from 1), from Loa's store.
pub async fn document(s: Signed, Path((id, n)): Path<(i64, usize)>) -> Response {
    let run = async {
        let Some(_) = opened(&s, id, None).await? else { return Ok(s.not_found()) };
        let docs = store::attachments(&s.ctx.pool, id).await?;
        let Some((name, _, Some(path))) = n.checked_sub(1).and_then(|i| docs.get(i)).cloned() else {
            return Ok(s.not_found());
        };
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(pack_id = id, error = %e, "a pack's stored document could not be read");
                return Ok(s.not_found());
            }
        };
        let ext = name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        anyhow::Ok(download(crate::packs::folder::mime_of(&ext), &name, bytes))
    };
    run.await.unwrap_or_else(|e| s.failed(e))
}
