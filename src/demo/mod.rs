//! `loa demo`: the whole job in one command, with no Telegram token. The Bot API simulator runs
//! in this process and a real `loa serve` (the same [`crate::app::serve_with`]) against it on a
//! temporary database; then a province in today's shape is played (no district level since 1 July
//! 2025): the province's committee, about a hundred commune and ward committees and a few agency
//! committees directly under it, cells under them, imported from a generated tree registry and
//! bound through their invites (private chats and groups); a few block the bot or delete their
//! account, one group becomes a supergroup; a member of the board (named as `organisation.board`
//! says) schedules the sample quarterly pack with its documents; the cells acknowledge and report
//! with delays and rates that differ by committee; the board member sends `/remind`; and the
//! figures by committee, the pending list, the .xlsx export and the chart come out.
//!
//! The simulator enforces Telegram's limits at 1000 messages/s (paid broadcast) so that the demo
//! takes well under a minute; what the same run costs at Telegram's free 30/s is stated.

//!
//! The phases live apart: `province` (the registry, binding, the cells lost), the board's part
//! here (the sample pack, `/remind`, the figures, all read through [`crate::stats`]), and
//! `members` (one cell's members answering, shared with the tests and benchmarks).

mod members;
mod province;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::DbPool;
use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

use crate::audit::Actor;
use crate::config::Config;
use crate::lifecycle::PackStatus;
use crate::sim::{RateLimits, Sim};
use crate::stats::{self, View};
pub use members::{Plan, answer, question};
pub use province::{COMMITTEES, pace, registry};

/// The province the demo plays: Thái Nguyên as merged on 1 July 2025 (Bắc Kạn into Thái Nguyên).
pub const PROVINCE: &str = "Đảng bộ tỉnh Thái Nguyên";

const SAMPLE_TOML: &str = include_str!("../../examples/quy-iv-2023/pack.toml");
const SAMPLE_BODY: &str = include_str!("../../examples/quy-iv-2023/body.md");
const SAMPLE_PDF: &[u8] = include_bytes!("../../examples/quy-iv-2023/ke-hoach.pdf");
const SAMPLE_TXT: &[u8] = include_bytes!("../../examples/quy-iv-2023/de-cuong.txt");

/// What to play.
#[derive(Debug, Clone)]
pub struct Options {
    pub cells: usize,
    pub out: PathBuf,
    /// Show progress bars (off in tests).
    pub progress: bool,
    pub seed: u64,
    /// Keep the database in this folder (tests read it afterwards); else a temporary one.
    pub keep_database_in: Option<PathBuf>,
}

/// What happened, for the summary (and for tests to check against the database).
#[derive(Debug, Clone)]
pub struct Report {
    /// The board, as the configuration names it.
    pub board: String,
    /// The committees directly under the province's.
    pub committees: usize,
    pub cells: usize,
    pub private_chats: usize,
    pub groups: usize,
    pub blocked: usize,
    pub deactivated: usize,
    pub migrated_group: Option<(i64, i64)>,
    pub pack_id: i64,
    /// Cells the cells' simulated members acknowledged and reported for.
    pub pressed_ack: usize,
    pub reports_sent: usize,
    pub reminded: i64,
    /// Messages Loa sent for the pack (documents and message).
    pub pack_messages: usize,
    pub broadcast_s: f64,
    pub wall_s: f64,
    pub stats: stats::PackStats,
    pub pending: Vec<stats::Pending>,
    pub xlsx: PathBuf,
    pub chart: PathBuf,
}

pub(super) fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:<34} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    b.set_message(what.to_string());
    b
}

pub(super) async fn count(pool: &DbPool, sql: &str, bind: i64) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).bind(bind).fetch_one(pool).await?)
}

/// Waits until `f` says done, ticking `bar` with its progress; fails after `limit`.
pub(super) async fn until(
    bar: &ProgressBar,
    limit: Duration,
    what: &str,
    mut f: impl AsyncFnMut() -> anyhow::Result<(u64, bool)>,
) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        let (pos, done) = f().await?;
        bar.set_position(pos);
        if done {
            bar.finish();
            return Ok(());
        }
        if start.elapsed() > limit {
            anyhow::bail!("the demo waited {} s for {what}; it did not happen", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Plays the province. Everything happens in a temporary folder except what goes to `out`.
pub async fn run(opts: Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let n = opts.cells.max(8);
    let work = tempfile::tempdir().context("failed to make a temporary folder")?;
    std::fs::create_dir_all(&opts.out).with_context(|| format!("failed to create {}", opts.out.display()))?;

    // the simulator, at paid-broadcast speed, with Telegram's per-chat and per-group limits
    let sim = Arc::new(Sim::start_default().await.context("failed to start the simulator")?);
    sim.set_limits(RateLimits { enforce: true, global_per_sec: 1000, ..RateLimits::default() });
    let board = sim.create_user("Hoàng Thị Mai", None);
    sim.send_text(board, board, "/start").map_err(anyhow::Error::msg)?;

    // Loa, against it
    let db_dir = opts.keep_database_in.clone().unwrap_or_else(|| work.path().to_path_buf());
    let db = format!("sqlite://{}/loa.db", db_dir.display());
    let mut config =
        Config::for_simulator(&db, Some((&sim.url(), &sim.token())), Some(1000)).map_err(|e| anyhow::anyhow!("{e}"))?;
    config.admins.insert(board);
    let pool = crate::db::open(&db).await?;
    let stop = CancellationToken::new();
    let serve = tokio::spawn(crate::app::serve_with(config.clone(), stop.clone(), Default::default()));

    // the registry, every cell's invite, the cells bound, and a few lost
    let rows = crate::cells::import::parse_csv(registry(n, PROVINCE).as_bytes())
        .map_err(|e| anyhow::anyhow!("the generated registry does not read: {e:?}"))?;
    crate::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await?;
    let cells = crate::cells::list(&pool, &Default::default()).await?;
    let invites = crate::cells::invites::issue(&pool, &cells, 30, Actor::Cli).await?;
    let mut bound = province::bind(&sim, &pool, &invites, opts.progress).await?;
    let lost = province::lose_some(&sim, &pool, &mut bound).await?;

    // the board member schedules the sample quarterly pack, documents and all; it goes out
    let (pack_id, docs, period) = schedule_sample(work.path(), &pool, &config, board).await?;
    let broadcast_s = watch_broadcast(&pool, pack_id, opts.progress).await?;

    // the cells answer, each committee at its own pace
    let (pressed_ack, reports_sent) = answer_all(&sim, &pool, pack_id, &bound, &mut rng, opts.progress).await?;

    // the board member reminds the cells that have not acknowledged
    let reminded = remind(&sim, &pool, pack_id, board, opts.progress).await?;

    // the figures, the pending list, the spreadsheet and the chart
    let s = stats::pack(&pool, pack_id, View::PROVINCE).await?.context("the pack's figures")?;
    let committees = count(
        &pool,
        "SELECT count(*) FROM units WHERE parent_id = (SELECT id FROM units WHERE parent_id IS NULL) AND $1 = 0",
        0,
    )
    .await? as usize;
    let pending = stats::pending(&pool, pack_id, None).await?;
    let xlsx = opts.out.join("loa-demo.xlsx");
    crate::export::write_xlsx(&pool, &config, pack_id, View::PROVINCE, &xlsx).await?;
    let chart = opts.out.join("loa-demo.png");
    let (catalog, vi) = (crate::i18n::Catalog::new(), crate::i18n::Locale::Vi);
    let title = match period {
        Some(p) => format!("{} ({})", s.title, p.label(vi)),
        None => s.title.clone(),
    };
    let png = crate::chart::pack_png(&s, &title, &catalog.s(vi, "chart-acked"), &catalog.s(vi, "chart-reported"))?;
    write_file(&chart, &png)?;

    stop.cancel();
    match serve.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "loa serve ended with an error"),
        Err(e) => tracing::warn!(error = %e, "loa serve panicked"),
    }
    pool.close().await;
    Ok(Report {
        board: config.organisation.board.clone(),
        committees,
        cells: n,
        private_chats: bound.private_chats,
        groups: bound.groups,
        blocked: lost.blocked.len(),
        deactivated: lost.deactivated.len(),
        migrated_group: lost.migrated_group,
        pack_id,
        pressed_ack,
        reports_sent,
        reminded,
        pack_messages: s.total.delivered as usize * (docs + 1),
        broadcast_s,
        wall_s: started.elapsed().as_secs_f64(),
        stats: s,
        pending,
        xlsx,
        chart,
    })
}

/// The sample quarterly pack (`examples/quy-iv-2023`), written to `work`, read as `loa pack
/// create` reads a folder, and scheduled now by the board member. Returns the pack, how many
/// documents it has, and its period.
async fn schedule_sample(
    work: &Path,
    pool: &DbPool,
    config: &Config,
    board: i64,
) -> anyhow::Result<(i64, usize, Option<crate::packs::period::Period>)> {
    let folder = work.join("quy-iv-2023");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("pack.toml"), SAMPLE_TOML)?;
    std::fs::write(folder.join("body.md"), SAMPLE_BODY)?;
    std::fs::write(folder.join("ke-hoach.pdf"), SAMPLE_PDF)?;
    std::fs::write(folder.join("de-cuong.txt"), SAMPLE_TXT)?;
    let today = Utc::now().with_timezone(&config.timezone).date_naive();
    let draft = crate::packs::folder::read(&folder, pool, today)
        .await?
        .map_err(|p| anyhow::anyhow!("the sample pack does not read: {p}"))?;
    let pack_id = crate::packs::store::create(pool, config, &draft, Actor::User(board)).await?;
    let now = crate::packs::store::When::Now;
    crate::packs::store::schedule(pool, config, pack_id, now, Utc::now(), Actor::User(board))
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((pack_id, draft.attachments.len(), draft.period))
}

/// Follows the broadcast through the pack's figures until the pack is sent. Returns the seconds
/// from its start to its end (the scheduler, which sees a pack scheduled from outside the chat
/// within 5 s, starts it).
async fn watch_broadcast(pool: &DbPool, pack_id: i64, progress: bool) -> anyhow::Result<f64> {
    let sending = bar(progress, 0, "Gửi định hướng Quý IV/2023");
    let mut started = None;
    until(&sending, Duration::from_secs(120), "the pack to go out", async || {
        let total = stats::pack(pool, pack_id, View::PROVINCE).await?.map(|s| s.total).unwrap_or_default();
        let status = crate::packs::store::get(pool, pack_id).await?.map(|p| p.status);
        if total.targeted > 0 && started.is_none() {
            started = Some(Instant::now());
        }
        sending.set_length(total.targeted as u64);
        Ok(((total.delivered + total.unreachable) as u64, status == Some(PackStatus::Sent)))
    })
    .await?;
    Ok(started.map(|s| s.elapsed().as_secs_f64()).unwrap_or_default())
}

/// Every cell the pack reached answers as its committee tends to ([`pace`]), each after a
/// delay of its own; waits until every report sent is stored. Returns (acknowledged, reported).
async fn answer_all(
    sim: &Arc<Sim>,
    pool: &DbPool,
    pack_id: i64,
    bound: &province::Bound,
    rng: &mut StdRng,
    progress: bool,
) -> anyhow::Result<(usize, usize)> {
    let delivered = stats::delivered(pool, pack_id).await?;
    let answering = bar(progress, delivered.len() as u64, "Chi bộ xác nhận, báo cáo");
    let mut tasks = tokio::task::JoinSet::new();
    for d in &delivered {
        let (ack_p, report_p) = pace(&d.district);
        let plan = Plan {
            chat: d.chat_id,
            user: bound.members.get(&d.code).map(|m| m.1).unwrap_or_default(),
            message_id: d.message_id,
            delivery_id: d.delivery_id,
            ack: rng.random_bool(ack_p),
            report: rng.random_bool(report_p),
            delay: Duration::from_millis(rng.random_range(0..6000)),
            attendance: rng.random_range(8..40),
        };
        let sim = sim.clone();
        tasks.spawn(async move { answer(&sim, plan).await });
    }
    let (mut pressed_ack, mut reports_sent) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (a, r) = r.context("a cell's answers failed")??;
        pressed_ack += usize::from(a);
        reports_sent += usize::from(r);
        answering.inc(1);
    }
    answering.finish();
    // every report stored (the last confirmation may still be on its way)
    let deadline = Instant::now() + Duration::from_secs(20);
    while stats::pack(pool, pack_id, View::PROVINCE).await?.map(|s| s.total.reported).unwrap_or_default()
        < reports_sent as i64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((pressed_ack, reports_sent))
}

/// The board member sends `/remind`; waits until the reminders are out (or Loa says nobody needs
/// one). Returns how many reminders were sent.
async fn remind(sim: &Sim, pool: &DbPool, pack_id: i64, board: i64, progress: bool) -> anyhow::Result<i64> {
    sim.send_text(board, board, "/remind").map_err(anyhow::Error::msg)?;
    let reminding = bar(progress, 1, "Nhắc chi bộ chưa xác nhận");
    until(&reminding, Duration::from_secs(60), "the reminders", async || {
        let r = stats::reminders(pool, pack_id).await?;
        let out = r.broadcasts > 0 && r.waiting == 0;
        let nobody = sim
            .bot_messages(board)
            .iter()
            .any(|m| m.text().is_some_and(|t| t.starts_with("Không có chi bộ nào cần nhắc")));
        Ok((u64::from(out), out || nobody))
    })
    .await?;
    Ok(stats::reminders(pool, pack_id).await?.sent)
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

impl Report {
    /// The summary `loa demo` prints.
    pub fn summary(&self) -> String {
        let t = &self.stats.total;
        let pct = |r: f64| format!("{:.1}%", r * 100.0);
        let mut out = String::new();
        out.push_str(&format!(
            "Loa demo: {} cells ({} private chats, {} groups; {} blocked the bot, {} deleted their account{})\n",
            self.cells,
            self.private_chats,
            self.groups,
            self.blocked,
            self.deactivated,
            if self.migrated_group.is_some() { "; one group became a supergroup" } else { "" },
        ));
        out.push_str(&format!(
            "Pack {} «{}»: {}; reminders sent {}\n\n",
            self.pack_id,
            self.stats.title,
            t.line(),
            self.reminded,
        ));
        out.push_str(&format!(
            "{}, {}: {} committees directly under the province's; the worst first:\n",
            self.board, PROVINCE, self.committees
        ));
        out.push_str(&format!(
            "{:<44}{:>9}{:>10}{:>8}{:>10}{:>8}\n",
            "committee", "delivered", "ack'd", "rate", "reported", "rate"
        ));
        const SHOWN: usize = 12;
        for g in self.stats.groups.iter().take(SHOWN) {
            let c = &g.counts;
            out.push_str(&format!(
                "{:<44}{:>9}{:>10}{:>8}{:>10}{:>8}\n",
                crate::text::visible(&g.unit.name).chars().take(42).collect::<String>(),
                c.delivered,
                c.acknowledged,
                pct(c.ack_rate()),
                c.reported,
                pct(c.report_rate())
            ));
        }
        if self.stats.groups.len() > SHOWN {
            out.push_str(&format!("... and {} more (every one in the workbook)\n", self.stats.groups.len() - SHOWN));
        }
        out.push_str(&format!("\nNot acknowledged ({}):\n", self.pending.len()));
        let mut by: Vec<(String, Vec<String>)> = Vec::new();
        for p in &self.pending {
            let code = if p.unreachable.is_some() { format!("{} (unreachable)", p.code) } else { p.code.clone() };
            match by.last_mut() {
                Some((d, codes)) if *d == p.unit => codes.push(code),
                _ => by.push((p.unit.clone(), vec![code])),
            }
        }
        for (d, codes) in by {
            out.push_str(&format!("  {d}: {}\n", codes.join(", ")));
        }
        let at_30 = self.pack_messages as f64 / 30.0;
        out.push_str(&format!(
            "\nWritten: {} and {}\n\
             The pack went out as {} messages in {:.1} s with the simulator at 1000 messages/s (paid broadcast; \
             a chat takes one message a second, a group twenty a minute); at Telegram's free 30 messages/s the same broadcast needs {}. \
             The whole demo took {:.1} s.\n",
            self.xlsx.display(),
            self.chart.display(),
            self.pack_messages,
            self.broadcast_s,
            crate::packs::duration_words(at_30.ceil() as u64, crate::i18n::Locale::En),
            self.wall_s,
        ));
        out
    }
}
