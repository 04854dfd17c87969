//! The board's questions in chat: `/stats [pack|trend]`, `/pending [pack] [district]`,
//! `/export [pack] [csv]`, `/chart [pack|trend]`. Staff only, in their private chat; a district
//! officer sees their own district and nothing else.

use crate::telegram::replies::Reply;
use teloxide::prelude::*;

use super::{Ctx, HandlerResult, say};
use crate::i18n::{Args, Locale, escape};
use crate::packs::period::PackKind;
use crate::staff::{Role, StaffMember};
use crate::stats::{self, By, PackStats, Trend};

/// What a question is about: a pack (or the latest), or the trend (of monthly or quarterly packs,
/// or of the kind sent last); and perhaps a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub trend: bool,
    pub trend_kind: Option<PackKind>,
    pub pack: Option<i64>,
    pub district: Option<String>,
    pub csv: bool,
}

/// Reads "[trend [tháng|quý]] [pack id] [district words...] [csv]".
pub fn parse_query(arg: &str) -> Result<Query, String> {
    let mut q = Query { trend: false, trend_kind: None, pack: None, district: None, csv: false };
    let mut rest = Vec::new();
    for (i, w) in arg.split_whitespace().enumerate() {
        let lower = w.to_lowercase();
        if i == 0 && (lower == "trend" || lower == "xu-huong" || lower == "xuhuong") {
            q.trend = true;
        } else if i == 1 && q.trend && ["tháng", "thang", "month", "monthly"].contains(&lower.as_str()) {
            q.trend_kind = Some(PackKind::Monthly);
        } else if i == 1 && q.trend && ["quý", "quy", "quarter", "quarterly"].contains(&lower.as_str()) {
            q.trend_kind = Some(PackKind::Quarterly);
        } else if i == 0 && w.trim_start_matches('#').chars().all(|c| c.is_ascii_digit()) {
            q.pack = Some(w.trim_start_matches('#').parse().map_err(|_| w.to_string())?);
        } else if lower == "csv" && rest.is_empty() {
            q.csv = true;
        } else {
            rest.push(w);
        }
    }
    if !rest.is_empty() {
        q.district = Some(rest.join(" "));
    }
    Ok(q)
}

/// The district a member may see: a district officer's own, whatever they asked.
fn scope(member: &StaffMember, asked: Option<String>) -> Option<String> {
    match member.role {
        Role::District => member.district.clone(),
        _ => asked,
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

/// The stats message: totals, then a table by district that fits a phone (34 characters wide).
pub fn render_stats(ctx: &Ctx, locale: Locale, s: &PackStats) -> String {
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
    if s.late_joined > 0 {
        out.push('\n');
        out.push_str(&c.t(locale, "stats-late-joined", Args::new().raw("count", locale.number(s.late_joined))));
    }
    if s.groups.is_empty() {
        return out;
    }
    let mut table = format!(
        "{}{}{}{}{}\n",
        cell(&c.s(locale, "stats-col-district"), 12),
        right(&c.s(locale, "stats-col-delivered"), 6),
        right(&c.s(locale, "stats-col-acked"), 5),
        right("%", 5),
        right(&c.s(locale, "stats-col-reported"), 6),
    );
    for g in &s.groups {
        let rate = format!("{}%", (g.counts.ack_rate() * 100.0).round() as i64);
        table.push_str(&format!(
            "{}{}{}{}{}\n",
            cell(&g.district, 12),
            right(&g.counts.delivered.to_string(), 6),
            right(&g.counts.acknowledged.to_string(), 5),
            right(&rate, 5),
            right(&g.counts.reported.to_string(), 6),
        ));
    }
    out.push_str("\n\n<pre>");
    out.push_str(&escape(table.trim_end()));
    out.push_str("</pre>");
    out
}

/// The trend message: acknowledgement rate per district for each of the last periods.
pub fn render_trend(ctx: &Ctx, locale: Locale, t: &Trend) -> String {
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
            table.push_str(&cell(&row.district, 10));
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
        c.s(locale, head),
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
    }
}

/// One staff question in chat: where to answer, in which language, and for whom.
pub(super) struct Asked<'a> {
    pub chat: ChatId,
    pub ctx: &'a Ctx,
    pub locale: Locale,
    pub member: &'a StaffMember,
}

impl Asked<'_> {
    async fn say(&self, html: String) -> HandlerResult {
        say(&self.ctx.replies, self.chat, html).await
    }

    /// The question an argument asks, its district scoped to the member; `None` once the member
    /// has been told what is wrong with it.
    async fn query(&self, arg: &str) -> anyhow::Result<Option<(Query, Option<String>)>> {
        match parse_query(arg) {
            Ok(q) => {
                let district = scope(self.member, q.district.clone());
                Ok(Some((q, district)))
            }
            Err(bad) => {
                let c = &self.ctx.catalog;
                self.say(c.t(self.locale, "stats-usage", Args::new().user("given", &bad))).await?;
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
    async fn trend(&self, kind: Option<PackKind>, district: Option<&str>) -> anyhow::Result<Option<Trend>> {
        let t = stats::trend(&self.ctx.pool, kind, 6, district).await?;
        if t.packs.is_empty() {
            self.say(self.ctx.catalog.s(self.locale, "stats-none")).await?;
            return Ok(None);
        }
        Ok(Some(t))
    }

    async fn stats(&self, pack_id: i64, district: Option<&str>) -> anyhow::Result<PackStats> {
        stats::pack(&self.ctx.pool, pack_id, By::District, district)
            .await?
            .ok_or_else(|| anyhow::anyhow!("pack {pack_id} vanished"))
    }
}

/// `/stats [pack|trend] [district]`.
async fn on_stats(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let Some((q, district)) = a.query(arg).await? else { return Ok(()) };
    if q.trend {
        let Some(t) = a.trend(q.trend_kind, district.as_deref()).await? else { return Ok(()) };
        return a.say(render_trend(a.ctx, a.locale, &t)).await;
    }
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let s = a.stats(pack.id, district.as_deref()).await?;
    a.say(render_stats(a.ctx, a.locale, &s)).await
}

/// More cells than this go as a file rather than messages.
const PENDING_IN_MESSAGES: usize = 150;

/// `/pending [pack] [district]`.
async fn on_pending(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale, chat) = (&a.ctx.catalog, a.locale, a.chat);
    let Some((q, district)) = a.query(arg).await? else { return Ok(()) };
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let id = pack.id;
    let list = stats::pending(&a.ctx.pool, id, district.as_deref()).await?;
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
            w.write_record(["Huyện", "Mã chi bộ", "Tên chi bộ", "Không gửi được"])?;
            for p in &list {
                w.write_record(
                    [&p.district, &p.code, &p.name, p.unreachable.as_deref().unwrap_or("")]
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
        if current != Some(p.district.as_str()) {
            let n = list.iter().filter(|x| x.district == p.district).count();
            lines.push(format!("\n<b>{}</b> ({n})", escape(&p.district)));
            current = Some(p.district.as_str());
        }
        let why = p.unreachable.as_ref().map(|_| c.s(locale, "pending-unreachable")).unwrap_or_default();
        lines.push(format!("<code>{}</code> {}{why}", escape(&p.code), escape(&p.name)));
    }
    for page in super::announce::pages(&header, &lines) {
        a.say(page).await?;
    }
    Ok(())
}

/// `/export [pack] [district] [csv]`.
async fn on_export(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let Some((q, district)) = a.query(arg).await? else { return Ok(()) };
    let Some(pack) = a.pack(&q).await? else { return Ok(()) };
    let (id, tz) = (pack.id, a.ctx.config.timezone);
    let (bytes, name) = if q.csv {
        let rows = crate::export::cell_rows(&a.ctx.pool, id, district.as_deref()).await?;
        let mut buf = Vec::new();
        crate::export::write_csv(&mut buf, &rows, tz)?;
        (buf, format!("loa-dinh-huong-{id}.csv"))
    } else {
        (
            crate::export::xlsx_bytes(&a.ctx.pool, tz, id, district.as_deref()).await?,
            format!("loa-dinh-huong-{id}.xlsx"),
        )
    };
    a.ctx.replies.send(a.chat, Reply::Document { name, bytes: bytes.into(), caption: None });
    Ok(())
}

/// `/chart [pack|trend] [district]`.
async fn on_chart(a: &Asked<'_>, arg: &str) -> HandlerResult {
    let (c, locale) = (&a.ctx.catalog, a.locale);
    let Some((q, district)) = a.query(arg).await? else { return Ok(()) };
    // drawing takes a CPU for tens of milliseconds: off the tasks that handle updates
    let png = if q.trend {
        let Some(t) = a.trend(q.trend_kind, district.as_deref()).await? else { return Ok(()) };
        let title = c.s(locale, "chart-trend-title");
        tokio::task::spawn_blocking(move || crate::chart::trend_png(&t, &title, locale)).await??
    } else {
        let Some(pack) = a.pack(&q).await? else { return Ok(()) };
        let s = a.stats(pack.id, district.as_deref()).await?;
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
    fn queries_read_a_pack_a_district_trend_and_csv() {
        let q = |s: &str| parse_query(s).unwrap();
        assert_eq!(q(""), Query { trend: false, trend_kind: None, pack: None, district: None, csv: false });
        assert_eq!(q("12"), Query { trend: false, trend_kind: None, pack: Some(12), district: None, csv: false });
        assert_eq!(
            q("#12 Na Rì"),
            Query { trend: false, trend_kind: None, pack: Some(12), district: Some("Na Rì".into()), csv: false }
        );
        assert_eq!(
            q("Ba Bể"),
            Query { trend: false, trend_kind: None, pack: None, district: Some("Ba Bể".into()), csv: false }
        );
        assert_eq!(q("trend"), Query { trend: true, trend_kind: None, pack: None, district: None, csv: false });
        assert_eq!(q("3 csv"), Query { trend: false, trend_kind: None, pack: Some(3), district: None, csv: true });
        assert!(parse_query("99999999999999999999999").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_command_argument_is_read_or_refused(s in "\\PC{0,60}") {
            if let Ok(q) = parse_query(&s) {
                proptest::prop_assert!(q.district.as_deref().is_none_or(|d| !d.is_empty()));
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
