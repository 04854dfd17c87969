//! The board's desk in a browser: server-rendered pages (askama templates under `templates/`) on
//! the same listener as `/healthz` and `/metrics` (`http.listen`), signed in through the bot
//! ([`auth`]). Every page is scoped exactly as the chat is: an officer sees their unit's subtree,
//! the board and admins the whole province; the role is read again on every request.
//!
//! - [`pages`]: the overview, packs, a pack with its drill-down and actions, downloads;
//! - [`compose`]: a new pack, checked as `loa pack create` checks a folder, and its schedule;
//! - [`registry`]: the units' tree, a unit's cells, invites;
//! - [`inbox`]: situation reports and their actions;
//! - [`audit_log`]: the audit log, searchable;
//! - [`preview`]: Telegram's HTML as a page shows it (what a cell will see).
//!
//! Every form carries the session's CSRF token and is refused without it; the cookie is
//! SameSite=Strict as well. Answers carry a strict Content-Security-Policy (no inline script, no
//! framing) and are not cached.

// A refusal is the page that says so: handlers return `Result<_, Response>` as axum's own
// extractors do, and the size of a `Response` in an `Err` is no cost worth boxing for.
#![allow(clippy::result_large_err)]

pub mod audit_log;
pub mod auth;
pub mod compose;
pub mod inbox;
pub mod pages;
pub mod preview;
pub mod registry;

use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use teloxide::types::ChatId;

use crate::bot::Ctx;
use crate::bot::gate::PerChat;
use crate::i18n::{Args, Catalog, Locale};
use crate::staff::{Role, StaffMember};

/// What the desk serves from: the bot's context once `loa serve` has built it (the listener
/// starts before Telegram answers; until then pages say Loa is starting).
pub struct Slot {
    open: OnceLock<(Arc<Ctx>, String)>,
    /// Sign-in attempts, all together: thirty at once, then one every two seconds (a board signs
    /// in a few times a day; a flood of guessed links is turned away before the database).
    sign_ins: PerChat,
    /// Refused sign-ins written to the audit log: ten at once, then one every six seconds (each
    /// is logged all the same), so that a flood cannot fill the log.
    refusal_audits: PerChat,
}

impl Slot {
    pub fn new() -> Arc<Slot> {
        Arc::new(Slot {
            open: OnceLock::new(),
            sign_ins: PerChat::new(std::time::Duration::from_secs(2), 30),
            refusal_audits: PerChat::new(std::time::Duration::from_secs(6), 10),
        })
    }

    /// Opens the desk on `ctx`; `bot_username` makes the invites' links.
    pub fn open(&self, ctx: Arc<Ctx>, bot_username: String) {
        let _ = self.open.set((ctx, bot_username));
    }

    fn ctx(&self) -> Option<&Arc<Ctx>> {
        self.open.get().map(|(c, _)| c)
    }

    fn bot_username(&self) -> String {
        self.open.get().map(|(_, u)| u.clone()).unwrap_or_default()
    }
}

/// The language cookie's name (`vi` or `en`), set by the switch in every page's header.
const LANG_COOKIE: &str = "loa_lang";

/// The desk's routes, to merge into the HTTP listener's router.
pub fn router(slot: Arc<Slot>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
        .route("/progress.json", get(pages::progress))
        .route("/packs", get(pages::packs))
        .route(
            "/packs/new",
            get(compose::form).post(compose::create).layer(axum::extract::DefaultBodyLimit::max(compose::MOST_BYTES)),
        )
        .route("/preview", post(compose::preview))
        .route("/packs/{id}", get(pages::pack))
        .route("/packs/{id}/schedule", post(compose::schedule))
        .route("/packs/{id}/remind", post(pages::remind))
        .route("/packs/{id}/pause", post(pages::pause))
        .route("/packs/{id}/resume", post(pages::resume))
        .route("/packs/{id}/cancel", post(pages::cancel))
        .route("/packs/{id}/export.xlsx", get(pages::export_xlsx))
        .route("/packs/{id}/export.csv", get(pages::export_csv))
        .route("/packs/{id}/chart.svg", get(pages::chart_svg))
        .route("/packs/{id}/chart.png", get(pages::chart_png))
        .route("/packs/{id}/documents/{n}", get(pages::document))
        .route("/units", get(registry::units))
        .route("/units/{id}", get(registry::unit))
        .route("/units/{id}/invites.csv", post(registry::invite_sheet))
        .route("/cells/{code}/invite", post(registry::invite))
        .route("/cells/{code}/revoke", post(registry::revoke))
        .route("/inbox", get(inbox::list))
        .route("/inbox/{id}", get(inbox::show))
        .route("/inbox/{id}/reply", post(inbox::reply))
        .route("/inbox/{id}/handle", post(inbox::handle))
        .route("/inbox/{id}/forward", post(inbox::forward))
        .route("/inbox/{id}/files/{n}", get(inbox::file))
        .route("/questions/{id}/answer", post(inbox::answer_question))
        .route("/audit", get(audit_log::search))
        .route("/static/loa.css", get(css))
        .route("/static/loa.js", get(js))
        .layer(axum::middleware::from_fn_with_state(slot.clone(), same_origin))
        .layer(axum::middleware::from_fn(guard_headers))
        .with_state(slot)
}

/// A form posted from another site is refused (a second guard beside the forms' token and the
/// SameSite cookie; it also keeps another site from signing a browser in with a link of its
/// own). Browsers name the page a form came from in `Origin`; it must be the desk's own address
/// (`http.public_url`) or the host the request was sent to. A request without `Origin` (not from
/// a browser's form) goes on to the other checks.
async fn same_origin(State(slot): State<Arc<Slot>>, req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST
        && let Some(origin) = req.headers().get(header::ORIGIN)
    {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        let web = slot.ctx().map(|c| c.config.web_url.clone());
        if !origin_allowed(origin.to_str().unwrap_or("null"), host, web.as_ref()) {
            tracing::warn!(path = %req.uri().path(), origin = ?origin, "a form from another site was refused");
            let words = "Biểu mẫu gửi từ một trang khác không được nhận.\nA form from another site is not accepted.\n";
            return (StatusCode::FORBIDDEN, words).into_response();
        }
    }
    next.run(req).await
}

/// Whether `origin` (an Origin header) is the desk's own: the configured address's scheme, host and
/// port, or the host the request was sent to.
fn origin_allowed(origin: &str, host: Option<&str>, web: Option<&url::Url>) -> bool {
    let Ok(o) = url::Url::parse(origin) else { return false };
    if web.is_some_and(|w| w.origin() == o.origin()) {
        return true;
    }
    let Some(oh) = o.host_str() else { return false };
    let theirs = match o.port() {
        Some(p) => format!("{oh}:{p}"),
        None => oh.to_string(),
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(&theirs))
}

/// Headers on every answer of the desk: a strict policy for what a page may load and run, no
/// framing, no referrer to other sites (a sign-in link's token is in its address), nothing cached.
async fn guard_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // no referrer to other sites (a sign-in link's token is in its address); the desk's own pages
    // keep theirs, and with it a browser names the desk as the `Origin` of its forms (under
    // `no-referrer` it sends "null", which [`same_origin`] could not tell from another site)
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

async fn css() -> Response {
    static_file("text/css; charset=utf-8", include_str!("../../templates/loa.css"))
}

async fn js() -> Response {
    static_file("text/javascript; charset=utf-8", include_str!("../../templates/loa.js"))
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    let mut res = (StatusCode::OK, [(header::CONTENT_TYPE, kind)], body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    res
}

// ----- words ------------------------------------------------------------------------------------

/// The catalogs in one language, for a page.
#[derive(Clone)]
pub struct Tr {
    catalog: Arc<Catalog>,
    pub locale: Locale,
}

impl Tr {
    /// A message of the catalog. Catalog messages are written as Telegram HTML (their arguments
    /// that came from people escaped), so templates show them with `|safe`.
    pub fn s(&self, key: &str) -> String {
        self.catalog.s(self.locale, key)
    }

    pub fn t(&self, key: &str, args: Args<'_>) -> String {
        self.catalog.t(self.locale, key, args)
    }

    /// A number as the language writes it (1.234 / 1,234).
    pub fn n(&self, n: &i64) -> String {
        self.locale.number(*n)
    }

    /// A rate as a percentage with one decimal (82,5% / 82.5%).
    pub fn pct(&self, r: &f64) -> String {
        let n = (r * 1000.0).round() as i64;
        let sep = if self.locale == Locale::Vi { ',' } else { '.' };
        format!("{}{sep}{}%", n / 10, n % 10)
    }

    /// The language code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.locale.code()
    }
}

// ----- who is asking -----------------------------------------------------------------------------

/// A signed-in member of staff, as the request found them: the session on, the role read now.
pub struct Signed {
    pub ctx: Arc<Ctx>,
    pub member: StaffMember,
    pub session: auth::Session,
    /// The unit whose subtree the member sees: `None` for the board (the whole province).
    pub scope: Option<i64>,
    pub tr: Tr,
    /// The bot's username, for invite links.
    pub bot_username: String,
}

fn cookie_of(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The language of a page: the switch's cookie, else the member's chat language (their /lang),
/// else the configured default.
async fn locale_of(ctx: &Ctx, headers: &HeaderMap, user: Option<i64>) -> Locale {
    if let Some(l) = cookie_of(headers, LANG_COOKIE).as_deref().and_then(Locale::parse) {
        return l;
    }
    match user {
        Some(u) => ctx.locale(ChatId(u)).await,
        None => ctx.config.default_locale,
    }
}

impl FromRequestParts<Arc<Slot>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, slot: &Arc<Slot>) -> Result<Signed, Response> {
        let Some(ctx) = slot.ctx().cloned() else { return Err(starting()) };
        let now = crate::dates::now();
        let cookie = cookie_of(&parts.headers, auth::COOKIE);
        let session = match &cookie {
            Some(c) => auth::session(&ctx.pool, c, now).await.map_err(|e| failed(&ctx, None, e.into()))?,
            None => None,
        };
        let Some(session) = session else {
            let tr = Tr { catalog: ctx.catalog.clone(), locale: locale_of(&ctx, &parts.headers, None).await };
            let key = if cookie.is_some() { "web-session-over" } else { "web-signed-out" };
            return Err(notice(&tr, StatusCode::UNAUTHORIZED, "web-sign-in-title", &tr.s(key), true));
        };
        let tr =
            Tr { catalog: ctx.catalog.clone(), locale: locale_of(&ctx, &parts.headers, Some(session.user_id)).await };
        let member = crate::staff::role_of(&ctx.pool, &ctx.config.admins, session.user_id)
            .await
            .map_err(|e| failed(&ctx, Some(&tr), e.into()))?;
        let Some(member) = member else {
            // the role was taken away: the session ends here
            let c = cookie.as_deref().unwrap_or_default();
            if let Err(e) = auth::end(&ctx.pool, c, session.user_id, now, "no_role").await {
                return Err(failed(&ctx, Some(&tr), e));
            }
            let mut res = notice(&tr, StatusCode::FORBIDDEN, "web-sign-in-title", &tr.s("web-no-role"), true);
            res.headers_mut().append(header::SET_COOKIE, clear_cookie(&ctx));
            return Err(res);
        };
        let scope = match member.role {
            Role::District => match member.unit_id {
                Some(u) => Some(u),
                None => {
                    return Err(notice(
                        &tr,
                        StatusCode::FORBIDDEN,
                        "web-refused-title",
                        &tr.s("stats-no-scope"),
                        false,
                    ));
                }
            },
            _ => None,
        };
        Ok(Signed { ctx, member, session, scope, tr, bot_username: slot.bot_username() })
    }
}

impl Signed {
    /// Whether the member's role includes `role`'s rights.
    pub fn may(&self, role: Role) -> bool {
        self.member.role.includes(role)
    }

    /// Refuses unless the member's role includes `role`'s rights (audited as chat refusals are).
    pub async fn require(&self, role: Role, what: &str) -> Result<(), Response> {
        if self.may(role) {
            return Ok(());
        }
        if let Err(e) = crate::staff::record_denial(&self.ctx.pool, self.member.user_id, &format!("web {what}")).await {
            tracing::warn!(error = %format!("{e:#}"), "a refusal could not be audited");
        }
        Err(self.refuse("web-refused-role"))
    }

    /// Checks the CSRF token a form carried back.
    pub fn check_form(&self, given: &str) -> Result<(), Response> {
        if crate::ops::secret_matches(given.as_bytes(), &self.session.csrf) {
            return Ok(());
        }
        tracing::warn!(user = self.member.user_id, "a web form without its session's token was refused");
        Err(notice(&self.tr, StatusCode::FORBIDDEN, "web-refused-title", &self.tr.s("web-bad-form"), false))
    }

    /// A refusal page with the catalog's message `key`.
    pub fn refuse(&self, key: &str) -> Response {
        notice(&self.tr, StatusCode::FORBIDDEN, "web-refused-title", &self.tr.s(key), false)
    }

    /// A page saying `what` was not found (or is outside the member's scope: the same words).
    pub fn not_found(&self) -> Response {
        notice(&self.tr, StatusCode::NOT_FOUND, "web-not-found-title", &self.tr.s("web-not-found"), false)
    }

    /// A failure, logged; the page says so without details.
    pub fn failed(&self, e: anyhow::Error) -> Response {
        failed(&self.ctx, Some(&self.tr), e)
    }

    /// The way down to `unit` from the top the member may see (their own unit, or the province's
    /// committee), for a page's breadcrumbs.
    pub async fn crumbs(&self, unit: i64) -> anyhow::Result<Vec<Crumb>> {
        let mut conn = self.ctx.pool.acquire().await?;
        // its ancestors come nearest first; the way down starts at the root
        let mut way = crate::units::ancestors(&mut conn, unit).await?;
        way.reverse();
        way.extend(crate::units::get(&mut conn, unit).await?);
        let mut crumbs: Vec<Crumb> = way.into_iter().map(|u| Crumb { id: u.id, name: u.name }).collect();
        if let Some(scope) = self.scope
            && let Some(k) = crumbs.iter().position(|c| c.id == scope)
        {
            crumbs.drain(..k);
        }
        Ok(crumbs)
    }

    /// The parts of every page: the header's menu, the member, the forms' token.
    pub fn chrome(&self, nav: &'static str, title: String) -> Chrome {
        let who = self.member.display_name.clone().unwrap_or_else(|| self.member.user_id.to_string());
        Chrome {
            tr: self.tr.clone(),
            title,
            nav,
            who,
            role: self.tr.s(&format!("web-role-{}", self.member.role.as_str())),
            csrf: self.session.csrf.clone(),
            board: self.may(Role::Board),
            signed: true,
        }
    }
}

/// A unit on the way down to the one a page shows.
pub struct Crumb {
    pub id: i64,
    pub name: String,
}

/// What every page's frame needs (`templates/base.html`).
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    /// The menu entry of this page.
    pub nav: &'static str,
    pub who: String,
    pub role: String,
    pub csrf: String,
    /// The board's entries (the audit log) are shown.
    pub board: bool,
    /// Signed in: the menu and the sign-out button are shown.
    pub signed: bool,
}

impl Chrome {
    fn outside(tr: &Tr, title: String) -> Chrome {
        Chrome {
            tr: tr.clone(),
            title,
            nav: "",
            who: String::new(),
            role: String::new(),
            csrf: String::new(),
            board: false,
            signed: false,
        }
    }
}

/// Renders a template as a page (200).
pub fn html(t: &impl Template) -> Response {
    html_with(StatusCode::OK, t)
}

fn html_with(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a web page could not be rendered");
            let words = "Loa không dựng được trang này; lỗi đã được ghi lại.\nLoa could not render this page; the error is logged.\n";
            (StatusCode::INTERNAL_SERVER_ERROR, words).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct Notice {
    p: Chrome,
    /// Catalog text (Telegram HTML from our own catalog, arguments escaped).
    message: String,
    /// Shows how to sign in (`/web` in the bot's private chat).
    sign_in: bool,
}

/// A page with one message (a refusal, a notice, an error).
pub(super) fn notice(tr: &Tr, status: StatusCode, title: &str, message: &str, sign_in: bool) -> Response {
    html_with(status, &Notice { p: Chrome::outside(tr, tr.s(title)), message: message.to_string(), sign_in })
}

fn starting() -> Response {
    // before the catalogs are open: both languages, plainly
    let words = "Loa đang khởi động, xin thử lại sau vài giây.\nLoa is starting; try again in a few seconds.\n";
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], words).into_response()
}

fn failed(ctx: &Ctx, tr: Option<&Tr>, e: anyhow::Error) -> Response {
    tracing::error!(error = %crate::logging::redact(&format!("{e:#}")), "a web page failed");
    let tr = tr.cloned().unwrap_or(Tr { catalog: ctx.catalog.clone(), locale: ctx.config.default_locale });
    notice(&tr, StatusCode::INTERNAL_SERVER_ERROR, "web-failed-title", &tr.s("handler-failed"), false)
}

/// Where a form's action goes back to: a page of the desk (a path of its own), else the overview.
pub fn back_to(path: &str) -> Response {
    let safe = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    Redirect::to(if safe { path } else { "/" }).into_response()
}

// ----- signing in and out ------------------------------------------------------------------------

fn session_cookie(ctx: &Ctx, value: String) -> HeaderValue {
    let c = cookie::Cookie::build((auth::COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(ctx.config.web_url.scheme() == "https")
        .max_age(cookie::time::Duration::seconds(auth::SESSION_TTL))
        .build();
    HeaderValue::from_str(&c.to_string()).expect("a cookie of base64 text is a header")
}

fn clear_cookie(ctx: &Ctx) -> HeaderValue {
    let c = cookie::Cookie::build((auth::COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(ctx.config.web_url.scheme() == "https")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("an empty cookie is a header")
}

/// Who a sign-in came from, for the audit log: the browser's own words, cut short.
fn client(headers: &HeaderMap) -> String {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(120).collect()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    p: Chrome,
    token: String,
    /// Why the link does not work, when it does not (catalog text).
    refused: Option<String>,
}

#[derive(serde::Deserialize)]
struct LinkQuery {
    #[serde(default)]
    t: String,
}

/// The page a sign-in link opens: one button that signs in. Opening it does not use the link up.
async fn login_page(State(slot): State<Arc<Slot>>, headers: HeaderMap, q: axum::extract::Query<LinkQuery>) -> Response {
    let Some(ctx) = slot.ctx() else { return starting() };
    let tr = Tr { catalog: ctx.catalog.clone(), locale: locale_of(ctx, &headers, None).await };
    let refused = match auth::check_link(&ctx.pool, q.t.trim(), crate::dates::now()).await {
        Ok(Ok(_)) => None,
        Ok(Err(why)) => Some(tr.s(&format!("web-link-{}", why.as_str().replace('_', "-")))),
        Err(e) => return failed(ctx, Some(&tr), e.into()),
    };
    let status = if refused.is_some() { StatusCode::FORBIDDEN } else { StatusCode::OK };
    html_with(
        status,
        &LoginPage { p: Chrome::outside(&tr, tr.s("web-sign-in-title")), token: q.t.trim().to_string(), refused },
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    t: String,
}

/// The sign-in button: uses the link and starts the session.
async fn login(State(slot): State<Arc<Slot>>, headers: HeaderMap, form: axum::Form<LoginForm>) -> Response {
    let Some(ctx) = slot.ctx() else { return starting() };
    let tr = Tr { catalog: ctx.catalog.clone(), locale: locale_of(ctx, &headers, None).await };
    if !slot.sign_ins.admit(0) {
        tracing::warn!("a sign-in was turned away: too many attempts in the last minute");
        let mut res = notice(&tr, StatusCode::TOO_MANY_REQUESTS, "web-sign-in-title", &tr.s("web-sign-in-busy"), false);
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return res;
    }
    let client = client(&headers);
    let audit_refusal = || slot.refusal_audits.admit(0);
    match auth::sign_in(&ctx.pool, &ctx.config.admins, form.t.trim(), crate::dates::now(), &client, &audit_refusal)
        .await
    {
        Ok(Ok(started)) => {
            tracing::info!(user = started.member.user_id, role = %started.member.role, "signed in to the web desk");
            let mut res = Redirect::to("/").into_response();
            res.headers_mut().append(header::SET_COOKIE, session_cookie(ctx, started.cookie));
            res
        }
        Ok(Err(why)) => {
            tracing::info!(reason = why.as_str(), "a sign-in was refused");
            let key = format!("web-link-{}", why.as_str().replace('_', "-"));
            let page = LoginPage {
                p: Chrome::outside(&tr, tr.s("web-sign-in-title")),
                token: String::new(),
                refused: Some(tr.s(&key)),
            };
            html_with(StatusCode::FORBIDDEN, &page)
        }
        Err(e) => failed(ctx, Some(&tr), e),
    }
}

/// A form that carries nothing but the token.
#[derive(serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub csrf: String,
    /// The page to go back to.
    #[serde(default)]
    pub back: String,
}

async fn logout(signed: Signed, headers: HeaderMap, form: axum::Form<TokenForm>) -> Response {
    if let Err(r) = signed.check_form(&form.csrf) {
        return r;
    }
    let cookie = cookie_of(&headers, auth::COOKIE).unwrap_or_default();
    if let Err(e) = auth::end(&signed.ctx.pool, &cookie, signed.member.user_id, crate::dates::now(), "sign_out").await {
        return signed.failed(e);
    }
    let mut res = notice(&signed.tr, StatusCode::OK, "web-sign-in-title", &signed.tr.s("web-signed-out-now"), true);
    res.headers_mut().append(header::SET_COOKIE, clear_cookie(&signed.ctx));
    res
}

#[derive(serde::Deserialize)]
struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// The language switch: a cookie of the browser's own (the chat's /lang is left as it is).
async fn set_lang(signed: Signed, form: axum::Form<LangForm>) -> Response {
    if let Err(r) = signed.check_form(&form.csrf) {
        return r;
    }
    let Some(locale) = Locale::parse(&form.lang) else { return signed.refuse("web-bad-form") };
    let c = cookie::Cookie::build((LANG_COOKIE, locale.code()))
        .path("/")
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::days(365))
        .build();
    let mut res = back_to(&form.back);
    res.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&c.to_string()).expect("a language code"));
    res
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn a_form_from_the_desk_itself_passes_and_from_another_site_does_not() {
        let web: url::Url = "https://loa.example.vn/".parse().unwrap();
        // behind a proxy that rewrites Host, the configured address is what counts
        assert!(origin_allowed("https://loa.example.vn", Some("127.0.0.1:9090"), Some(&web)));
        assert!(!origin_allowed("http://loa.example.vn", Some("127.0.0.1:9090"), Some(&web)), "another scheme");
        assert!(!origin_allowed("https://evil.example", Some("127.0.0.1:9090"), Some(&web)));
        assert!(!origin_allowed("https://loa.example.vn.evil.example", None, Some(&web)));
        // on one machine, the host the browser sent the form to
        assert!(origin_allowed("http://10.0.0.5:9090", Some("10.0.0.5:9090"), Some(&web)));
        assert!(!origin_allowed("http://10.0.0.5:9091", Some("10.0.0.5:9090"), Some(&web)));
        assert!(!origin_allowed("null", Some("10.0.0.5:9090"), Some(&web)), "a sandboxed page's form");
    }
}
