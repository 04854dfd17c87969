//! The board's questions in chat: `/stats [pack|trend] [unit] [theo LEVEL]`, `/pending [pack]
//! [unit]`, `/export [pack] [unit] [csv]`, `/chart [pack|trend] [unit]`. Staff only, in their
//! private chat. Figures are by the units of a level of the organisation's tree (by default the
//! level just below the asker's unit, or below the unit named); a unit's row that has units under
//! it gets a button that opens them. An officer of a unit sees its subtree and nothing else.

use crate::telegram::replies::Reply;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

use super::{Ctx, HandlerResult, say};
use crate::i18n::{Args, Locale, escape};
use crate::packs::period::{PackKind, Period};
use crate::staff::{Role, StaffMember};
use crate::stats::{self, PackStats, Trend, View};
use crate::telegram::button::Button;

/// What a question is about: a pack (or the latest), or the trend (of monthly or quarterly packs,
/// or of the kind sent last); perhaps a unit (its code or name) and a level ("theo 2", "by Đảng
/// ủy cơ sở").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// `/stats tinhhinh`: the situation reports by topic instead of a pack.
    pub situations: bool,
    pub trend: bool,
    pub trend_kind: Option<PackKind>,
    pub pack: Option<i64>,
    pub unit: Option<String>,
    pub level: Option<String>,
    pub csv: bool,
    /// `tinhhinh` only: the month or quarter asked about ("2025-Q4", "Quý IV/2025", "tháng 11/2025").
    pub period: Option<Period>,
}

/// Reads "[trend [tháng|quý]] [pack id] [unit words...] [theo|by level words...] [csv]".
pub fn parse_query(arg: &str) -> Result<Query, String> {
    let mut q = Query::default();
    let mut rest = Vec::new();
    let mut level: Option<Vec<&str>> = None;
    let words: Vec<&str> = arg.split_whitespace().collect();
    for (i, w) in words.iter().copied().enumerate() {
        let lower = w.to_lowercase();
        if let Some(level) = level.as_mut() {
            if lower == "csv" && i == words.len() - 1 {
                q.csv = true;
            } else {
                level.push(w);
            }
        } else if i == 0 && (lower == "trend" || lower == "xu-huong" || lower == "xuhuong") {
            q.trend = true;
        } else if i == 0 && ["tinhhinh", "tình-hình", "tinh-hinh", "situations"].contains(&lower.as_str()) {
            q.situations = true;
        } else if i == 1 && q.trend && ["tháng", "thang", "month", "monthly"].contains(&lower.as_str()) {
            q.trend_kind = Some(PackKind::Monthly);
        } else if i == 1 && q.trend && ["quý", "quy", "quarter", "quarterly"].contains(&lower.as_str()) {
            q.trend_kind = Some(PackKind::Quarterly);
        } else if i == 0 && w.trim_start_matches('#').chars().all(|c| c.is_ascii_digit()) {
            q.pack = Some(w.trim_start_matches('#').parse().map_err(|_| w.to_string())?);
        } else if lower == "csv" && rest.is_empty() {
            q.csv = true;
        } else if lower == "theo" || lower == "by" {
            level = Some(Vec::new());
        } else {
            rest.push(w);
        }
    }
    // the situation reports of a month or a quarter: a period first, in one word or two
    if q.situations && !rest.is_empty() {
        if let Ok(p) = Period::parse(rest[0]) {
            q.period = Some(p);
            rest.remove(0);
        } else if rest.len() >= 2
            && let Ok(p) = Period::parse(&format!("{} {}", rest[0], rest[1]))
        {
            q.period = Some(p);
            rest.drain(..2);
        }
    }
    if !rest.is_empty() {
        q.unit = Some(rest.join(" "));
    }
    match level {
        Some(l) if l.is_empty() => return Err(arg.trim().to_string()),
        Some(l) => q.level = Some(l.join(" ")),
        None => {}
    }
    Ok(q)
}

/// The unit whose subtree a member may see: `None` for the board (the whole province), an
/// officer's own unit; `Err` for an officer tied to no unit.
pub(super) fn scope(member: &StaffMember) -> Result<Option<i64>, ()> {
    match member.role {
        Role::District => member.unit_id.map(Some).ok_or(()),
        _ => Ok(None),
    }
}

fn pct(r: f64, locale: Locale) -> String {
    let n = (r * 1000.0).round() as i64;
    let sep = if locale == Locale::Vi { ',' } else { '.' };
    format!("{}{sep}{}%", n / 10, n % 10)
}

/// Pads or cuts `s` to `w` characters.
fn cell(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { s.chars().take(w).collect() } else { format!("{s}{}", " ".repeat(w - n)) }
}

fn right(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { s.to_string() } else { format!("{}{s}", " ".repeat(w - n)) }
}

/// The most unit rows a stats message shows (the worst first); the rest are counted, and are in
/// the export. Forty rows of 34 characters keep the message far under Telegram's 4,096.
const MAX_ROWS: usize = 40;

/// The stats message: totals, the view, then a table by unit that fits a phone (34 characters
/// wide), and the buttons that open the rows with units under them.
pub fn render_stats(ctx: &Ctx, locale: Locale, s: &PackStats) -> (String, Option<InlineKeyboardMarkup>) {
    let c = &ctx.catalog;
    let t = &s.total;
    let period = s.period.as_deref().and_then(|p| crate::packs::period::Period::parse(p).ok());
    let mut out = c.t(
        locale,
        "stats-head",
        Args::new()
            .raw("pack", crate::packs::message::name(&s.title, period, locale))
            .raw("id", s.pack_id)
            .raw("delivered", locale.number(t.delivered))
            .raw("targeted", locale.number(t.targeted))
            .raw("unreachable", locale.number(t.unreachable))
            .raw("acked", locale.number(t.acknowledged))
            .raw("ack_pct", pct(t.ack_rate(), locale))
            .raw("late", locale.number(t.late))
            .raw("reported", locale.number(t.reported))
            .raw("report_pct", pct(t.report_rate(), locale)),
    );
    if t.not_connected > 0 {
        out.push('\n');
        out.push_str(&c.t(locale, "stats-not-connected", Args::new().raw("count", locale.number(t.not_connected))));
    }
    if s.late_joined > 0 {
        out.push('\n');
        out.push_str(&c.t(locale, "stats-late-joined", Args::new().raw("count", locale.number(s.late_joined))));
    }
    if s.groups.is_empty() {
        return (out, None);
    }
    out.push_str("\n\n");
    out.push_str(&c.t(
        locale,
        "stats-view",
        Args::new().user("within", &s.within.name).user("level", &ctx.config.organisation.level_name(s.level)),
    ));
    let mut table = format!(
        "{}{}{}{}{}\n",
        cell(&c.s(locale, "stats-col-district"), 12),
        right(&c.s(locale, "stats-col-delivered"), 6),
        right(&c.s(locale, "stats-col-acked"), 5),
        right("%", 5),
        right(&c.s(locale, "stats-col-reported"), 6),
    );
    let shown = &s.groups[..s.groups.len().min(MAX_ROWS)];
    for g in shown {
        let rate = format!("{}%", (g.counts.ack_rate() * 100.0).round() as i64);
        table.push_str(&format!(
            "{}{}{}{}{}\n",
            cell(&crate::text::visible(&g.unit.name), 12),
            right(&g.counts.delivered.to_string(), 6),
            right(&g.counts.acknowledged.to_string(), 5),
            right(&rate, 5),
            right(&g.counts.reported.to_string(), 6),
        ));
    }
    out.push_str("\n<pre>");
    out.push_str(&escape(table.trim_end()));
    out.push_str("</pre>");
    if s.groups.len() > shown.len() {
        out.push('\n');
        out.push_str(&c.t(locale, "stats-more-rows", Args::new().raw("count", s.groups.len() - shown.len())));
    }
    let off: Vec<String> = shown
        .iter()
        .filter(|g| g.counts.not_connected > 0)
        .map(|g| format!("{} {}", escape(&g.unit.name), locale.number(g.counts.not_connected)))
        .collect();
    if !off.is_empty() {
        out.push('\n');
        out.push_str(&c.t(locale, "stats-not-connected-units", Args::new().raw("units", off.join(", "))));
    }
    // a row opens its units; a unit with none (or the asked unit's own row) opens to its cells
    let keys: Vec<_> = shown
        .iter()
        .map(|g| {
            let (pack, unit) = (s.pack_id, g.unit.id);
            let button = if g.unit.opens && unit != s.within.id {
                Button::Drill { pack, unit }
            } else {
                Button::CellsOf { pack, unit }
            };
            button.key(c.t(locale, "stats-drill", Args::new().raw("name", crate::text::visible(&g.unit.name))))
        })
        .collect();
    let markup = (!keys.is_empty()).then(|| InlineKeyboardMarkup::new(keys.chunks(2).map(|r| r.to_vec())));
    (out, markup)
}

/// The trend message: acknowledgement rate per district for each of the last periods.
pub fn render_trend(ctx: &Ctx, locale: Locale, t: &Trend, level: &str) -> String {
    let c = &ctx.catalog;
    if t.packs.is_empty() {
        return c.s(locale, "stats-none");
    }
    let short = |code: &str| match crate::packs::period::Period::parse(code) {
        Ok(p) => {
            let label = p.code();
            // "2023-10" -> "10/23", "2023-Q4" -> "Q4/23"
            match label.split_once('-') {
                Some((y, rest)) => format!("{rest}/{}", &y[y.len().saturating_sub(2)..]),
                None => label,
            }
        }
        Err(_) => code.to_string(),
    };
    let table = |rates: &dyn Fn(&stats::TrendRow) -> &Vec<Option<f64>>| {
        let mut table = cell(&c.s(locale, "stats-col-district"), 10);
        for (_, code) in &t.packs {
            table.push_str(&right(&short(code), 6));
        }
        table.push('\n');
        for row in &t.rows {
            table.push_str(&cell(&crate::text::visible(&row.unit), 10));
            for r in rates(row) {
                let v = r.map(|r| format!("{}%", (r * 100.0).round() as i64)).unwrap_or_else(|| "–".into());
                table.push_str(&right(&v, 6));
            }
            table.push('\n');
        }
        format!("<pre>{}</pre>", escape(table.trim_end()))
    };
    let head = if t.kind == PackKind::Quarterly { "stats-trend-head-quarterly" } else { "stats-trend-head-monthly" };
    format!(
        "{}\n\n{}\n{}\n\n{}\n{}",
        c.t(locale, head, Args::new().user("level", level)),
        c.s(locale, "stats-trend-acked"),
        table(&|r| &r.acked),
        c.s(locale, "stats-trend-reported"),
        table(&|r| &r.reported)
    )
}

/// A figures command from a member of staff, in their private chat.
pub(super) async fn on_staff_command(
    msg: Message,
    cmd: super::StaffCommand,
    ctx: std::sync::Arc<Ctx>,
    member: StaffMember,
) -> HandlerResult {
    use super::StaffCommand as C;
    let chat = msg.chat.id;
    let locale = ctx.locale(chat).await;
    let asked = Asked { chat, ctx: &ctx, locale, member: &member };
    match cmd {
        C::Stats(arg) => on_stats(&asked, &arg).await,
        C::Pending(arg) => on_pending(&asked, &arg).await,
        C::Export(arg) => on_export(&asked, &arg).await,
        C::Chart(arg) => on_chart(&asked, &arg).await,
        C::Inbox(arg) => super::inbox::on_inbox(&asked, &arg).await,
        C::Hoi(arg) => super::questions::on_hoi(&asked, &arg).await,
        C::Tep(arg) => super::inbox::on_report_file(&asked, &arg).await,
        C::Web => on_web(&asked).await,
    }
}

/// `/web`: a one-time link to the web desk (valid 10 minutes, single use, for this member only).
async fn on_web(a: &Asked<'_>) -> HandlerResult {
    let token = crate::web::auth::issue_link(&a.ctx.pool, a.member.user_id, crate::dates::now()).await?;
    let mut url = a.ctx.config.web_url.join("login")?;
    url.set_query(Some(&format!("t={token}")));
    let minutes = crate::web::auth::LINK_TTL / 60;
    let text = a.ctx.catalog.t(a.locale, "web-link", Args::new().user("url", url.as_str()).raw("minutes", minutes));
    a.say(text).await
}

/// One staff question in chat: where to answer, in which language, and for whom.
pub(super) struct Asked<'a> {
    pub chat: ChatId,
    pub ctx: &'a Ctx,
    pub locale: Locale,
    pub member: &'a StaffMember,
}

impl Asked<'_> {
    pub(super) async fn say(&self, html: String) -> HandlerResult {
        say(&self.ctx.replies, self.chat, html).await
    }

    /// The question an argument asks and the view it asks for, scoped to the member; `None`
    /// once the member has been told what is wrong with it.
    async fn query(&self, arg: &str) -> anyhow::Result<Option<(Query, View)>> {
        let (c, locale) = (&self.ctx.catalog, self.locale);
        let q = match parse_query(arg) {
            Ok(q) => q,
            Err(bad) => {
                self.say(c.t(locale, "stats-usage", Args::new().user("given", &bad))).await?;
                return Ok(None);
            }
        };
        let Ok(scope) = scope(self.member) else {
            self.say(c.s(locale, "stats-no-scope")).await?;
            return Ok(None);
        };
        let level = match &q.level {
            None => None,
            Some(text) => match stats::level_arg(&self.ctx.config.organisation, text) {
                Ok((level, _)) => Some(level),
                Err(_) => {
                    let levels = self.ctx.config.organisation.levels.iter().skip(1).cloned().collect::<Vec<_>>();
                    let args = Args::new().user("given", text).user("levels", &levels.join(", "));
                    self.say(c.t(locale, "stats-bad-level", args)).await?;
                    return Ok(None);
                }
            },
        };
        let within = match &q.unit {
            None => scope,
            Some(words) => match self.unit(words, scope).await? {
                Some(id) => Some(id),
                None => return Ok(None),
            },
        };
        Ok(Some((q, View { level, within })))
    }

    /// The unit `words` name, if the member may see it; `None` once told why not.
    pub(super) async fn unit(&self, words: &str, scope: Option<i64>) -> anyhow::Result<Option<i64>> {
        let (c, locale) = (&self.ctx.catalog, self.locale);
        let mut conn = self.ctx.pool.acquire().await?;
        let mut found = crate::units::find(&mut conn, words).await?;
        if let Some(scope) = scope
            && found.len() > 1
        {
            // the same name elsewhere in the province does not confuse an officer
            let mut mine = Vec::new();
            for u in found.drain(..) {
                if crate::units::within(&mut conn, scope, u.id).await? {
                    mine.push(u);
                }
            }
            found = mine;
        }
        match found.as_slice() {
            [] => {
                self.say(c.t(locale, "stats-no-unit", Args::new().user("given", words))).await?;
                Ok(None)
            }
            [u] => {
                if let Some(scope) = scope
                    && !crate::units::within(&mut conn, scope, u.id).await?
                {
                    self.say(c.t(locale, "stats-out-of-scope", Args::new().user("given", words))).await?;
                    return Ok(None);
                }
                Ok(Some(u.id))
            }
            several => {
                let codes = several.iter().map(|u| u.code.as_str()).collect::<Vec<_>>().join(", ");
                let args = Args::new().user("given", words).user("codes", &codes);
                self.say(c.t(locale, "stats-unit-ambiguous", args)).await?;
                Ok(None)
            }
        }
    }

    /// The pack a question is about (the latest sent when none is named); `None` once the
    /// member has been told there is none.
    async fn pack(&self, q: &Query) -> anyhow::Result<Option<crate::packs::store::Pack>> {
        let c = &self.ctx.catalog;
        let id = match q.pack {
            Some(id) => id,
            None => match stats::latest_pack(&self.ctx.pool).await? {
                Some(id) => id,
                None => {
                    self.say(c.s(self.locale, "stats-none")).await?;
                    return Ok(None);
                }
            },
        };
        let pack = crate::packs::store::get(&self.ctx.pool, id).await?;
        if pack.is_none() {
            self.say(c.t(self.locale, "stats-no-pack", Args::new().raw("id", id))).await?;
        }
        Ok(pack)
    }

    /// The trend, or `None` once the member has been told there is nothing sent yet.
    async fn trend(&self, kind: Option<PackKind>, view: View) -> anyhow::Result<Option<Trend>> {
        let t = stats::trend(&self.ctx.pool, kind, 6, view).await?;
        if t.packs.is_empty() {
            self.say(self.ctx.catalog.s(self.locale, "stats-none")).await?;
            return Ok(None);
        }
        Ok(Some(t))
    }

    async fn stats(&self, pack_id: i64, view: View) -> anyhow::Result<PackStats> {
        stats::pack(&self.ctx.pool, pack_id, view).await?.ok_or_else(|| anyhow::anyhow!("pack {pack_id} vanished"))
    }

    /// Sends a pack's figures with their drill-down buttons.
    fn send_stats(&self, s: &PackStats) {
        let (html, markup) = render_stats(self.ctx, self.locale, s);
        self.ctx.replies.send(self.chat, Reply::Text { html, markup: markup.map(ReplyMarkup::InlineKeyboard) });
    }
}

/// `/stats [pack|trend] [unit] [theo level]`.
async fn on_stats(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let Some((q, view)) = a.query(arg).await? else { return Ok(()) };
    if q.situations {
        return situation_figures(a, &q, view).await;
    }
    if q.trend {
        let Some(t) = a.trend(q.trend_kind, view).await? else { return Ok(()) };
        let level = trend_level(a, view).await?;
        return a.say(render_trend(a.ctx, a.locale, &t, &level)).await;
    }
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let s = a.stats(pack.id, view).await?;
    a.send_stats(&s);
    Ok(())
}

/// How far back `/stats tinhhinh` looks when no period is named.
const SITUATION_DAYS: i64 = 90;

/// The time `tinhhinh` figures cover: the period asked (its first instant to the next period's),
/// or the last [`SITUATION_DAYS`] days; and how to say it.
fn situation_span(a: &Asked<'_>, period: Option<Period>) -> (i64, i64, String) {
    let (c, locale, tz) = (&a.ctx.catalog, a.locale, a.ctx.config.timezone);
    match period {
        Some(p) => {
            (crate::dates::start_of(p.first_day(), tz), crate::dates::start_of(p.next_day(), tz), p.label(locale))
        }
        None => (
            crate::dates::now() - SITUATION_DAYS * 86_400,
            i64::MAX,
            c.t(locale, "stats-sit-span-days", Args::new().raw("days", SITUATION_DAYS)),
        ),
    }
}

/// The name of the unit a view is within (the province's committee for none).
async fn within_name(a: &Asked<'_>, view: View) -> anyhow::Result<String> {
    let found = match view.within {
        Some(id) => stats::unit_ref(&a.ctx.pool, id).await?.map(|u| u.name),
        None => None,
    };
    Ok(match found {
        Some(name) => name,
        None => crate::units::root(&mut *a.ctx.pool.acquire().await?).await?.name,
    })
}

/// `/stats tinhhinh [period] [unit]`: the situation reports of the period (the last 90 days by
/// default) within the view's unit, by topic, with how many were urgent and were handled; then by
/// the units directly under it.
async fn situation_figures(a: &Asked<'_>, q: &Query, view: View) -> HandlerResult {
    let (c, locale, ctx) = (&a.ctx.catalog, a.locale, a.ctx);
    let (since, until, span) = situation_span(a, q.period);
    let rows = crate::situations::by_topic(&ctx.pool, view.within, since, until).await?;
    let within = within_name(a, view).await?;
    let total: i64 = rows.iter().map(|r| r.total).sum();
    let urgent: i64 = rows.iter().map(|r| r.urgent).sum();
    let handled: i64 = rows.iter().map(|r| r.handled).sum();
    let mut out = c.t(
        locale,
        "stats-sit-head",
        Args::new()
            .user("within", &within)
            .raw("span", span)
            .raw("total", locale.number(total))
            .raw("urgent", locale.number(urgent))
            .raw("handled", locale.number(handled)),
    );
    if rows.is_empty() {
        return a.say(out).await;
    }
    let mut table = format!(
        "{}{}{}{}\n",
        cell(&c.s(locale, "stats-sit-col-topic"), 19),
        right(&c.s(locale, "stats-sit-col-total"), 5),
        right(&c.s(locale, "stats-sit-col-urgent"), 5),
        right(&c.s(locale, "stats-sit-col-handled"), 5),
    );
    for r in &rows {
        table.push_str(&format!(
            "{}{}{}{}\n",
            cell(&crate::text::visible(&r.topic), 19),
            right(&r.total.to_string(), 5),
            right(&r.urgent.to_string(), 5),
            right(&r.handled.to_string(), 5),
        ));
    }
    out.push_str("\n\n<pre>");
    out.push_str(&escape(table.trim_end()));
    out.push_str("</pre>");
    let units = crate::situations::by_unit(&ctx.pool, view.within, since, until).await?;
    if !units.is_empty() {
        let mut table = format!(
            "{}{}{}{}\n",
            cell(&c.s(locale, "stats-sit-col-unit"), 19),
            right(&c.s(locale, "stats-sit-col-total"), 5),
            right(&c.s(locale, "stats-sit-col-urgent"), 5),
            right(&c.s(locale, "stats-sit-col-handled"), 5),
        );
        for u in units.iter().take(15) {
            table.push_str(&format!(
                "{}{}{}{}\n",
                cell(&crate::text::visible(&u.name), 19),
                right(&u.total.to_string(), 5),
                right(&u.urgent.to_string(), 5),
                right(&u.handled.to_string(), 5),
            ));
        }
        if units.len() > 15 {
            table.push_str(&c.t(locale, "stats-sit-more-units", Args::new().raw("count", (units.len() - 15) as i64)));
        }
        out.push_str("\n<pre>");
        out.push_str(&escape(table.trim_end()));
        out.push_str("</pre>");
    }
    a.say(out).await
}

/// The name of the level a trend's rows are at.
async fn trend_level(a: &Asked<'_>, view: View) -> anyhow::Result<String> {
    let within = match view.within {
        Some(id) => stats::unit_ref(&a.ctx.pool, id).await?.map(|u| u.level).unwrap_or(0),
        None => 0,
    };
    Ok(a.ctx.config.organisation.level_name(view.level.unwrap_or(within + 1).max(within)))
}

/// A row of a pack's figures opened (`su:` button: the units under it; `sc:`, `to_cells`: the
/// cells hanging from it), for a member who may see it, in their private chat.
pub(super) async fn on_drill(
    ctx: &std::sync::Arc<Ctx>,
    q: &CallbackQuery,
    pack: i64,
    unit: i64,
    to_cells: bool,
) -> HandlerResult {
    let user = q.from.id.0 as i64;
    let chat = q.message.as_ref().map(|m| m.chat());
    let locale = match chat {
        Some(c) => ctx.locale(c.id).await,
        None => ctx.config.default_locale,
    };
    let member = crate::staff::role_of(&ctx.pool, &ctx.config.admins, user).await?;
    let allowed = match (&member, chat) {
        (Some(m), Some(c)) if c.is_private() && m.role.includes(Role::District) => match scope(m) {
            Ok(None) => true,
            Ok(Some(scope)) => crate::units::within(&mut *ctx.pool.acquire().await?, scope, unit).await?,
            Err(()) => false,
        },
        _ => false,
    };
    let (Some(member), Some(chat), true) = (member, chat, allowed) else {
        tracing::warn!(user_id = user, unit_id = unit, "a row of figures opened by someone who may not see it");
        ctx.replies.answer_button(q.id.clone(), ctx.catalog.s(locale, "button-invalid"), true);
        return Ok(());
    };
    ctx.replies.answer_button(q.id.clone(), String::new(), false);
    let asked = Asked { chat: chat.id, ctx, locale, member: &member };
    if to_cells {
        return send_unit_cells(&asked, pack, unit).await;
    }
    if let Some(s) = stats::pack(&ctx.pool, pack, View::below(unit)).await? {
        asked.send_stats(&s);
    }
    Ok(())
}

/// The cells of one unit as a pack found them: acknowledged (and reported), waiting, unreachable,
/// not connected.
async fn send_unit_cells(a: &Asked<'_>, pack_id: i64, unit: i64) -> HandlerResult {
    let (c, locale) = (&a.ctx.catalog, a.locale);
    let (Some(pack), Some(u)) =
        (crate::packs::store::get(&a.ctx.pool, pack_id).await?, stats::unit_ref(&a.ctx.pool, unit).await?)
    else {
        return Ok(());
    };
    let cells = stats::unit_cells(&a.ctx.pool, pack_id, unit).await?;
    let acked = cells.iter().filter(|x| x.state == "acknowledged").count();
    let base =
        cells.iter().filter(|x| matches!(x.state.as_str(), "acknowledged" | "delivered" | "not_connected")).count();
    let header = c.t(
        locale,
        "stats-cells-head",
        Args::new()
            .user("unit", &u.name)
            .raw("pack", crate::packs::message::name(&pack.title, pack.period(), locale))
            .raw("acked", acked)
            .raw("base", base),
    );
    let lines: Vec<String> = cells
        .iter()
        .map(|x| {
            let (mark, note) = match x.state.as_str() {
                "acknowledged" => ("✅", String::new()),
                "delivered" => ("⏳", String::new()),
                "unreachable" => ("⚠️", c.s(locale, "pending-unreachable")),
                "not_connected" => ("⛔", c.s(locale, "cells-unbound")),
                _ => ("…", String::new()),
            };
            let report = if x.reported { " 📝" } else { "" };
            format!("{mark} <code>{}</code> {}{note}{report}", escape(&x.code), escape(&x.name))
        })
        .collect();
    for page in super::announce::pages(&header, &lines) {
        a.say(page).await?;
    }
    Ok(())
}

/// More cells than this go as a file rather than messages.
const PENDING_IN_MESSAGES: usize = 150;

/// `/pending [pack] [unit]`.
async fn on_pending(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale, chat) = (&a.ctx.catalog, a.locale, a.chat);
    let Some((q, view)) = a.query(arg).await? else { return Ok(()) };
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let id = pack.id;
    let list = stats::pending(&a.ctx.pool, id, view.within).await?;
    let name = crate::packs::message::name(&pack.title, pack.period(), locale);
    if list.is_empty() {
        return a.say(c.t(locale, "pending-none", Args::new().raw("pack", name))).await;
    }
    let header =
        c.t(locale, "pending-head", Args::new().raw("pack", name).raw("count", locale.number(list.len() as i64)));
    if list.len() > PENDING_IN_MESSAGES {
        let mut csv = Vec::new();
        {
            csv.extend_from_slice("\u{feff}".as_bytes());
            let mut w = crate::export::csv_writer(&mut csv);
            w.write_record(["Đơn vị", "Mã chi bộ", "Tên chi bộ", "Không gửi được"])?;
            for p in &list {
                w.write_record(
                    [&p.unit, &p.code, &p.name, p.unreachable.as_deref().unwrap_or("")]
                        .map(|s| crate::export::neutralise(s.to_string())),
                )?;
            }
            w.flush()?;
        }
        let name = format!("chua-xac-nhan-{id}.csv");
        a.ctx.replies.send(chat, Reply::Document { name, bytes: csv.into(), caption: Some(header) });
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut current: Option<&str> = None;
    for p in &list {
        if current != Some(p.unit.as_str()) {
            let n = list.iter().filter(|x| x.unit == p.unit).count();
            lines.push(format!("\n<b>{}</b> ({n})", escape(&p.unit)));
            current = Some(p.unit.as_str());
        }
        let why = p.unreachable.as_ref().map(|_| c.s(locale, "pending-unreachable")).unwrap_or_default();
        lines.push(format!("<code>{}</code> {}{why}", escape(&p.code), escape(&p.name)));
    }
    for page in super::announce::pages(&header, &lines) {
        a.say(page).await?;
    }
    Ok(())
}

/// `/export [pack] [unit] [theo level] [csv]`.
async fn on_export(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let Some((q, view)) = a.query(arg).await? else { return Ok(()) };
    if q.situations {
        let (since, until, span) = situation_span(a, q.period);
        let ctx = a.ctx;
        let topics = crate::situations::by_topic(&ctx.pool, view.within, since, until).await?;
        let units = crate::situations::by_unit(&ctx.pool, view.within, since, until).await?;
        let rows = crate::situations::between(&ctx.pool, view.within, since, until, false).await?;
        let tz = ctx.config.timezone;
        let bytes =
            tokio::task::spawn_blocking(move || crate::export::situations_xlsx(&topics, &units, &rows, tz)).await??;
        let name = format!("loa-tinh-hinh-{}.xlsx", q.period.map(|p| p.code()).unwrap_or_else(|| "90-ngay".into()));
        let caption = a.ctx.catalog.t(
            a.locale,
            "export-sit-caption",
            Args::new().raw("span", span).user("within", &within_name(a, view).await?),
        );
        a.ctx.replies.send(a.chat, Reply::Document { name, bytes: bytes.into(), caption: Some(caption) });
        return Ok(());
    }
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let id = pack.id;
    let (bytes, name) = if q.csv {
        let rows = crate::export::cell_rows(&a.ctx.pool, id, view.within).await?;
        let mut buf = Vec::new();
        crate::export::write_csv(&mut buf, &rows, a.ctx.config.timezone)?;
        (buf, format!("loa-dinh-huong-{id}.csv"))
    } else {
        (crate::export::xlsx_bytes(&a.ctx.pool, &a.ctx.config, id, view).await?, format!("loa-dinh-huong-{id}.xlsx"))
    };
    a.ctx.replies.send(a.chat, Reply::Document { name, bytes: bytes.into(), caption: None });
    Ok(())
}

/// `/chart [pack|trend] [unit] [theo level]`.
async fn on_chart(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale) = (&a.ctx.catalog, a.locale);
    let Some((q, view)) = a.query(arg).await? else { return Ok(()) };
    // drawing takes a CPU for tens of milliseconds: off the tasks that handle updates
    let png = if q.situations {
        let (since, until, span) = situation_span(a, q.period);
        let rows = crate::situations::by_topic(&a.ctx.pool, view.within, since, until).await?;
        let title =
            c.t(locale, "chart-sit-title", Args::new().raw("span", span).raw("within", within_name(a, view).await?));
        let names = ["normal", "attention", "urgent"].map(|s| c.s(locale, &format!("sit-severity-{s}")));
        tokio::task::spawn_blocking(move || {
            crate::chart::topics_png(&rows, &title, [names[0].as_str(), names[1].as_str(), names[2].as_str()])
        })
        .await??
    } else if q.trend {
        let Some(t) = a.trend(q.trend_kind, view).await? else { return Ok(()) };
        let title = c.s(locale, "chart-trend-title");
        tokio::task::spawn_blocking(move || crate::chart::trend_png(&t, &title, locale)).await??
    } else {
        let Some(pack) = a.pack(&q).await? else { return Ok(()) };
        let s = a.stats(pack.id, view).await?;
        let title = match pack.period() {
            Some(p) => format!("{} ({})", s.title, p.label(locale)),
            None => s.title.clone(),
        };
        let (acked, reported) = (c.s(locale, "chart-acked"), c.s(locale, "chart-reported"));
        tokio::task::spawn_blocking(move || crate::chart::pack_png(&s, &title, &acked, &reported)).await??
    };
    a.ctx.replies.send(a.chat, Reply::Photo { name: "loa-bieu-do.png".into(), bytes: png.into() });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_a_pack_a_unit_a_level_trend_and_csv() {
        let q = |s: &str| parse_query(s).unwrap();
        assert_eq!(q(""), Query::default());
        assert_eq!(q("12"), Query { pack: Some(12), ..Query::default() });
        assert_eq!(q("#12 Xã Na Rì"), Query { pack: Some(12), unit: Some("Xã Na Rì".into()), ..Query::default() });
        assert_eq!(q("Ba Bể"), Query { unit: Some("Ba Bể".into()), ..Query::default() });
        assert_eq!(q("trend"), Query { trend: true, ..Query::default() });
        assert_eq!(q("tinhhinh X-BV"), Query { situations: true, unit: Some("X-BV".into()), ..Query::default() });
        let q4 = Period::parse("2025-Q4").ok();
        assert_eq!(q("tinhhinh 2025-Q4"), Query { situations: true, period: q4, ..Query::default() });
        assert_eq!(
            q("tinhhinh Quý IV/2025 xã Bằng Vân"),
            Query { situations: true, period: q4, unit: Some("xã Bằng Vân".into()), ..Query::default() }
        );
        let nov = Period::parse("2025-11").ok();
        assert_eq!(q("tinhhinh tháng 11/2025"), Query { situations: true, period: nov, ..Query::default() });
        // a period is read for the situation figures only; elsewhere the words name a unit
        assert_eq!(q("2025-Q4"), Query { unit: Some("2025-Q4".into()), ..Query::default() });
        assert_eq!(q("3 csv"), Query { pack: Some(3), csv: true, ..Query::default() });
        assert_eq!(q("12 theo 2"), Query { pack: Some(12), level: Some("2".into()), ..Query::default() });
        assert_eq!(
            q("XA-01 theo Đảng bộ bộ phận csv"),
            Query {
                unit: Some("XA-01".into()), level: Some("Đảng bộ bộ phận".into()), csv: true, ..Query::default()
            }
        );
        assert_eq!(
            q("trend quý by 1"),
            Query { trend: true, trend_kind: Some(PackKind::Quarterly), level: Some("1".into()), ..Query::default() }
        );
        assert!(parse_query("99999999999999999999999").is_err());
        assert!(parse_query("12 theo").is_err(), "a level is named after «theo»");
    }

    proptest::proptest! {
        #[test]
        fn any_command_argument_is_read_or_refused(s in "\\PC{0,60}") {
            if let Ok(q) = parse_query(&s) {
                proptest::prop_assert!(q.unit.as_deref().is_none_or(|d| !d.is_empty()));
                proptest::prop_assert!(q.level.as_deref().is_none_or(|d| !d.is_empty()));
            }
        }
    }

    #[test]
    fn table_cells_pad_and_cut_by_characters() {
        assert_eq!(cell("Bạch Thông", 12), "Bạch Thông  ");
        assert_eq!(cell("Thành phố Bắc Kạn", 12), "Thành phố Bắ");
        assert_eq!(right("93%", 5), "  93%");
        assert_eq!(pct(0.822, Locale::Vi), "82,2%");
        assert_eq!(pct(0.822, Locale::En), "82.2%");
    }
}
