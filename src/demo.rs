//! `loa demo`: the whole job in one command, with no Telegram token. The Bot API simulator runs
//! in this process and a real `loa serve` (the same [`crate::app::serve_with`]) against it on a
//! temporary database; then a province is played: cells across Bắc Kạn's eight districts are
//! imported from a generated registry and bound through their invites (private chats and groups),
//! a few block the bot or delete their account, one group becomes a supergroup; a board member
//! schedules the sample quarterly pack with its documents; the cells acknowledge and report with
//! delays and rates that differ by district; the board member sends `/remind`; and the figures,
//! the pending list, the .xlsx export and the chart come out.
//!
//! The simulator enforces Telegram's limits at 1000 messages/s (paid broadcast) so that the demo
//! takes well under a minute; what the same run costs at Telegram's free 30/s is stated.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use crate::audit::Actor;
use crate::sim::{ChatKind, RateLimits, Sim};
use crate::stats::{self, By};

/// Bắc Kạn's districts, the prefix of their cells' codes, and how readily their cells acknowledge
/// and report in the demo.
pub const DISTRICTS: [(&str, &str, f64, f64); 8] = [
    ("Thành phố Bắc Kạn", "TP", 0.97, 0.80),
    ("Bạch Thông", "BT", 0.92, 0.65),
    ("Chợ Mới", "CM", 0.90, 0.60),
    ("Ba Bể", "BB", 0.86, 0.55),
    ("Na Rì", "NR", 0.82, 0.50),
    ("Chợ Đồn", "CD", 0.78, 0.45),
    ("Ngân Sơn", "NS", 0.72, 0.40),
    ("Pác Nặm", "PN", 0.62, 0.30),
];

const SAMPLE_TOML: &str = include_str!("../examples/quy-iv-2023/pack.toml");
const SAMPLE_BODY: &str = include_str!("../examples/quy-iv-2023/body.md");
const SAMPLE_PDF: &[u8] = include_bytes!("../examples/quy-iv-2023/ke-hoach.pdf");
const SAMPLE_TXT: &[u8] = include_bytes!("../examples/quy-iv-2023/de-cuong.txt");

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

fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
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

async fn count(pool: &SqlitePool, sql: &str, bind: i64) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).bind(bind).fetch_one(pool).await?)
}

/// Waits until `f` says done, ticking `bar` with its progress; fails after `limit`.
async fn until(
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

/// The registry: `n` cells spread over the districts, a dozen communes each.
pub fn registry(n: usize) -> String {
    let mut csv = String::from("code,name,district,commune,parent,tags\n");
    for i in 0..n {
        let (district, prefix, _, _) = DISTRICTS[i % DISTRICTS.len()];
        let commune = format!("Xã số {}", (i / DISTRICTS.len()) % 12 + 1);
        csv.push_str(&format!(
            "{prefix}-{:04},Chi bộ thôn số {},{district},{commune},Đảng bộ {commune},{}\n",
            i + 1,
            i + 1,
            if i % 3 == 0 { "xa;vung-cao" } else { "xa" }
        ));
    }
    csv
}

/// The latest question `number` ("1/4"...) of the report dialogue put to `user` in `chat`, asked
/// after the user's last message there.
pub async fn question(sim: &Sim, chat: i64, user: i64, number: &str) -> anyhow::Result<i64> {
    let mention = format!("tg://user?id={user}");
    let start = Instant::now();
    loop {
        let all = sim.messages(chat);
        let after = all.iter().rposition(|m| !m.from_bot && m.json["from"]["id"] == user).map(|i| i + 1).unwrap_or(0);
        let found = all.iter().skip(after).rev().find(|m| {
            m.from_bot
                && m.source.as_deref().is_some_and(|s| s.contains(&mention) && s.contains(number))
                && m.json.pointer("/reply_markup/force_reply").is_some()
        });
        if let Some(m) = found {
            return Ok(m.message_id);
        }
        if start.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("question {number} never came to user {user} in chat {chat}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What one cell's members will do with the pack.
#[derive(Debug, Clone)]
pub struct Plan {
    pub chat: i64,
    pub user: i64,
    /// The pack's message with the buttons, and its delivery.
    pub message_id: i64,
    pub delivery_id: i64,
    pub ack: bool,
    pub report: bool,
    pub delay: Duration,
    pub attendance: u32,
}

/// One cell's members answering the pack: perhaps acknowledging, perhaps reporting (📝, then the
/// dialogue's four questions answered). Says what they did: (acknowledged, reported).
pub async fn answer(sim: &Sim, plan: Plan) -> anyhow::Result<(bool, bool)> {
    let Plan { chat, user, message_id, delivery_id, ack, report, delay, attendance } = plan;
    tokio::time::sleep(delay).await;
    if ack {
        sim.press_button(chat, user, message_id, &format!("a:{delivery_id}")).map_err(anyhow::Error::msg)?;
    }
    if !report {
        return Ok((ack, false));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.press_button(chat, user, message_id, &format!("r:{delivery_id}")).map_err(anyhow::Error::msg)?;
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let day = (Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1)).format("%d/%m/%Y").to_string();
    let answers = [
        ("1/4", day),
        ("2/4", attendance.to_string()),
        ("3/4", "Chi bộ đã quán triệt đầy đủ; đảng viên và quần chúng đồng tình, phấn khởi.".to_string()),
        ("4/4", "Không".to_string()),
    ];
    for (number, text) in answers {
        let q = question(sim, chat, user, number).await?;
        sim.reply(chat, user, q, &text).map_err(anyhow::Error::msg)?;
    }
    Ok((ack, true))
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
    let mut config = crate::config::Config::for_simulator(&db, Some((&sim.url(), &sim.token())), Some(1000))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    config.admins.insert(board);
    let pool = crate::db::open(&db).await?;
    let stop = CancellationToken::new();
    let serve = tokio::spawn(crate::app::serve_with(config.clone(), stop.clone(), Default::default()));

    // the registry, and every cell's invite
    let rows = crate::cells::import::parse_csv(registry(n).as_bytes())
        .map_err(|e| anyhow::anyhow!("the generated registry does not read: {e:?}"))?;
    crate::cells::import::apply(&pool, &rows, Default::default(), Actor::Cli).await?;
    let cells = crate::cells::list(&pool, &Default::default()).await?;
    let invites = crate::cells::invites::issue(&pool, &cells, 30, Actor::Cli).await?;

    // binding: two cells in five through a group, the others through a secretary's private chat
    let binding = bar(opts.progress, n as u64, "Chi bộ kết nối qua mã mời");
    let mut members: HashMap<String, (i64, i64)> = HashMap::new(); // cell code -> (chat, member)
    let (mut private_chats, mut groups) = (0, 0);
    for (i, inv) in invites.iter().enumerate() {
        let secretary = sim.create_user(&format!("Bí thư {}", i + 1), Some(&inv.cell_name.replace("Chi bộ ", "")));
        if i % 5 < 2 {
            let g = sim.create_group(&inv.cell_name, ChatKind::Group);
            sim.add_bot_to_group(g, secretary, Some(inv.code.as_str())).map_err(anyhow::Error::msg)?;
            members.insert(inv.cell_code.clone(), (g, secretary));
            groups += 1;
        } else {
            sim.send_text(secretary, secretary, &format!("/start {}", inv.code.as_str()))
                .map_err(anyhow::Error::msg)?;
            members.insert(inv.cell_code.clone(), (secretary, secretary));
            private_chats += 1;
        }
    }
    until(&binding, Duration::from_secs(60), "the cells to bind", async || {
        let bound = count(&pool, "SELECT count(*) FROM cells WHERE status = 'active' AND id > ?", 0).await.unwrap_or(0);
        Ok((bound as u64, bound as usize >= n))
    })
    .await?;

    // a few cells block the bot or delete their account; one group becomes a supergroup
    let privates: Vec<String> = members.iter().filter(|(_, (c, u))| c == u).map(|(k, _)| k.clone()).collect();
    let mut sorted = privates.clone();
    sorted.sort();
    let blocked: Vec<String> = sorted.iter().step_by(37).take((n / 60).max(1)).cloned().collect();
    for code in &blocked {
        sim.block_bot(members[code].1, true).map_err(anyhow::Error::msg)?;
    }
    let deactivated: Vec<String> =
        sorted.iter().skip(5).step_by(53).filter(|c| !blocked.contains(c)).take((n / 100).max(1)).cloned().collect();
    for code in &deactivated {
        sim.deactivate_user(members[code].1);
    }
    let mut group_codes: Vec<&String> = members.iter().filter(|(_, (c, _))| *c < 0).map(|(k, _)| k).collect();
    group_codes.sort();
    let migrated_group = match group_codes.first() {
        Some(code) => {
            let code = (*code).clone();
            let (g, by) = members[&code];
            let new = sim.migrate_group(g, by).map_err(anyhow::Error::msg)?;
            members.insert(code.clone(), (new, by));
            let deadline = Instant::now() + Duration::from_secs(10);
            while count(&pool, "SELECT count(*) FROM cells WHERE chat_id = ?", new).await? == 0
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Some((g, new))
        }
        None => None,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&pool, "SELECT count(*) FROM cells WHERE status = 'unreachable' AND id > ?", 0).await?
        < blocked.len() as i64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // the board member schedules the sample quarterly pack, documents and all
    let folder = work.path().join("quy-iv-2023");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("pack.toml"), SAMPLE_TOML)?;
    std::fs::write(folder.join("body.md"), SAMPLE_BODY)?;
    std::fs::write(folder.join("ke-hoach.pdf"), SAMPLE_PDF)?;
    std::fs::write(folder.join("de-cuong.txt"), SAMPLE_TXT)?;
    let today = Utc::now().with_timezone(&config.timezone).date_naive();
    let draft = crate::packs::folder::read(&folder, &pool, today)
        .await?
        .map_err(|p| anyhow::anyhow!("the sample pack does not read: {p}"))?;
    let pack_id = crate::packs::store::create(&pool, &config, &draft, Actor::User(board)).await?;
    crate::packs::store::schedule(
        &pool,
        &config,
        pack_id,
        crate::packs::store::When::Now,
        Utc::now(),
        Actor::User(board),
    )
    .await?
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let docs = draft.attachments.len();

    // the broadcast
    let sending = bar(opts.progress, n as u64, "Gửi định hướng Quý IV/2023");
    let broadcast_started = Instant::now();
    until(&sending, Duration::from_secs(120), "the pack to go out", async || {
        let (targeted, done, status): (i64, i64, crate::lifecycle::PackStatus) = sqlx::query_as(
            "SELECT COALESCE((SELECT sum(targeted) FROM broadcasts WHERE pack_id = ?1 AND kind = 'pack'), 0),
                    (SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
                     WHERE b.pack_id = ?1 AND b.kind = 'pack' AND d.state IN ('sent', 'failed')),
                    (SELECT status FROM packs WHERE id = ?1)",
        )
        .bind(pack_id)
        .fetch_one(&pool)
        .await?;
        if targeted > 0 {
            sending.set_length(targeted as u64);
        }
        Ok((done as u64, status == crate::lifecycle::PackStatus::Sent))
    })
    .await?;
    let broadcast_s = broadcast_started.elapsed().as_secs_f64();

    // the cells answer, each district at its own pace
    let delivered: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.code, COALESCE(d.district, c.district), d.chat_id, d.ack_message_id, d.id
         FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id JOIN cells c ON c.id = d.cell_id
         WHERE b.pack_id = ? AND b.kind = 'pack' AND d.state = 'sent' ORDER BY d.id",
    )
    .bind(pack_id)
    .fetch_all(&pool)
    .await?;
    let answering = bar(opts.progress, delivered.len() as u64, "Chi bộ xác nhận, báo cáo");
    let mut tasks = tokio::task::JoinSet::new();
    for (code, district, chat, message_id, delivery_id) in &delivered {
        let (_, _, ack_p, report_p) = DISTRICTS.iter().find(|d| d.0 == district).copied().unwrap_or(("", "", 0.8, 0.5));
        let ack = rng.random_bool(ack_p);
        let report = rng.random_bool(report_p);
        let delay = Duration::from_millis(rng.random_range(0..6000));
        let attendance = rng.random_range(8..40);
        let user = members.get(code).map(|m| m.1).unwrap_or_default();
        let plan = Plan {
            chat: *chat,
            user,
            message_id: *message_id,
            delivery_id: *delivery_id,
            ack,
            report,
            delay,
            attendance,
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
    while count(&pool, "SELECT count(DISTINCT cell_id) FROM reports WHERE pack_id = ?", pack_id).await?
        < reports_sent as i64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // the board member reminds the cells that have not acknowledged
    sim.send_text(board, board, "/remind").map_err(anyhow::Error::msg)?;
    let reminding = bar(opts.progress, 1, "Nhắc chi bộ chưa xác nhận");
    until(&reminding, Duration::from_secs(60), "the reminders", async || {
        let (broadcasts, open): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM broadcasts WHERE pack_id = ?1 AND kind = 'reminder'),
                    (SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
                     WHERE b.pack_id = ?1 AND b.kind = 'reminder' AND d.state IN ('pending', 'sending'))",
        )
        .bind(pack_id)
        .fetch_one(&pool)
        .await?;
        let nobody = sim
            .bot_messages(board)
            .iter()
            .any(|m| m.text().is_some_and(|t| t.starts_with("Không có chi bộ nào cần nhắc")));
        Ok((u64::from(broadcasts > 0 && open == 0), (broadcasts > 0 && open == 0) || nobody))
    })
    .await?;
    let reminded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
         WHERE b.pack_id = ? AND b.kind = 'reminder' AND d.state = 'sent'",
    )
    .bind(pack_id)
    .fetch_one(&pool)
    .await?;

    // the figures, the pending list, the spreadsheet and the chart
    let s = stats::pack(&pool, pack_id, By::District, None).await?.context("the pack's figures")?;
    let pending = stats::pending(&pool, pack_id, None).await?;
    let xlsx = opts.out.join("loa-demo.xlsx");
    crate::export::write_xlsx(&pool, config.timezone, pack_id, None, &xlsx).await?;
    let chart = opts.out.join("loa-demo.png");
    let (catalog, vi) = (crate::i18n::Catalog::new(), crate::i18n::Locale::Vi);
    let title = match draft.period {
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
        cells: n,
        private_chats,
        groups,
        blocked: blocked.len(),
        deactivated: deactivated.len(),
        migrated_group,
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
            "Pack {} «{}»: targeted {}, delivered {}, unreachable {}; acknowledged {} ({}; {} late), reported {} ({}); reminders sent {}\n\n",
            self.pack_id,
            self.stats.title,
            t.targeted,
            t.delivered,
            t.unreachable,
            t.acknowledged,
            pct(t.ack_rate()),
            t.late,
            t.reported,
            pct(t.report_rate()),
            self.reminded,
        ));
        out.push_str(&format!(
            "{:<20}{:>9}{:>10}{:>8}{:>10}{:>8}\n",
            "district", "delivered", "ack'd", "rate", "reported", "rate"
        ));
        for g in &self.stats.groups {
            let c = &g.counts;
            out.push_str(&format!(
                "{:<20}{:>9}{:>10}{:>8}{:>10}{:>8}\n",
                g.district,
                c.delivered,
                c.acknowledged,
                pct(c.ack_rate()),
                c.reported,
                pct(c.report_rate())
            ));
        }
        out.push_str(&format!("\nNot acknowledged ({}):\n", self.pending.len()));
        let mut by: Vec<(String, Vec<String>)> = Vec::new();
        for p in &self.pending {
            let code = if p.unreachable.is_some() { format!("{} (unreachable)", p.code) } else { p.code.clone() };
            match by.last_mut() {
                Some((d, codes)) if *d == p.district => codes.push(code),
                _ => by.push((p.district.clone(), vec![code])),
            }
        }
        for (d, codes) in by {
            out.push_str(&format!("  {d}: {}\n", codes.join(", ")));
        }
        let at_30 = self.pack_messages as f64 / 30.0;
        out.push_str(&format!(
            "\nWritten: {} and {}\n\
             The pack went out as {} messages in {:.1} s with the simulator at 1000 messages/s (paid broadcast; \
             a group takes one message every 3 s); at Telegram's free 30 messages/s the same broadcast needs {}. \
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
