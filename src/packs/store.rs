//! Packs in the database, and their documents under the data folder, stored by content
//! (`files/<sha256>`): the same document in two packs is kept once and, once Telegram has it,
//! uploaded once. Scheduling records when a pack is due: now, at a local time, or in its slot.

use std::path::{Path, PathBuf};

use crate::db::DbPool;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Audience;
use super::folder::{PackDraft, Schedule};
use super::period::{PackKind, Period};
use crate::audit::{self, Actor};
use crate::config::Config;
use crate::lifecycle::PackStatus;

/// A pack as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pack {
    pub id: i64,
    pub kind: String,
    pub period: Option<String>,
    pub title: String,
    pub body_html: String,
    pub audience: String,
    pub deadline: Option<String>,
    pub report_prompt: Option<String>,
    pub status: PackStatus,
    pub schedule_kind: Option<String>,
    pub scheduled_for: Option<i64>,
    pub created_at: i64,
    pub attachments: i64,
}

impl Pack {
    pub fn period(&self) -> Option<Period> {
        self.period.as_deref().and_then(|p| Period::parse(p).ok())
    }
    pub fn kind(&self) -> Option<PackKind> {
        PackKind::parse(&self.kind)
    }
    pub fn audience(&self) -> Audience {
        Audience::from_json(&self.audience).unwrap_or(Audience::All)
    }
    pub fn deadline(&self) -> Option<NaiveDate> {
        self.deadline.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

const PACK_COLUMNS: &str = "p.id, p.kind, p.period, p.title, p.body_html, p.audience, p.deadline, p.report_prompt, p.status, \
     p.schedule_kind, p.scheduled_for, p.created_at, (SELECT count(*) FROM attachments a WHERE a.pack_id = p.id) AS attachments";

/// Where Loa keeps files (`database.data_dir`: by default the SQLite database's folder).
pub fn data_dir(config: &Config) -> PathBuf {
    config.data_dir.clone()
}

/// Copies a file into `files/<sha256>` (once per content); returns (sha256, stored path). The
/// file is read a piece at a time (hashed and written beside the store as it goes), so a large
/// document never sits whole in memory.
fn store_file(dir: &Path, src: &Path) -> anyhow::Result<(String, PathBuf)> {
    use anyhow::Context;
    use std::io::{Read, Write};
    let files = dir.join("files");
    std::fs::create_dir_all(&files).with_context(|| format!("failed to create {}", files.display()))?;
    let mut input = std::fs::File::open(src).with_context(|| format!("failed to read {}", src.display()))?;
    // write beside, then rename: a crash never leaves a half file under the final name
    let tmp = files.join(format!(".copy-{}-{}.part", std::process::id(), rand::random::<u64>()));
    let copied = (|| -> anyhow::Result<String> {
        let mut out = std::fs::File::create(&tmp).with_context(|| format!("failed to write {}", tmp.display()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = input.read(&mut buf).with_context(|| format!("failed to read {}", src.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).with_context(|| format!("failed to write {}", tmp.display()))?;
        }
        out.sync_all().with_context(|| format!("failed to write {}", tmp.display()))?;
        Ok(hex(&hasher.finalize()))
    })();
    let hash = match copied {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let dest = files.join(&hash);
    if dest.exists() {
        let _ = std::fs::remove_file(&tmp);
    } else {
        std::fs::rename(&tmp, &dest).with_context(|| format!("failed to store {}", dest.display()))?;
    }
    Ok((hash, dest))
}

/// Copies a file from elsewhere on this machine (a local Bot API server's file) into the store;
/// returns (sha256, stored path). The file itself is left where it is.
pub fn store_path(config: &Config, src: &Path) -> anyhow::Result<(String, PathBuf)> {
    store_file(&data_dir(config), src)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A document of a new pack, from a folder or from a chat.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub name: String,
    pub size: i64,
    pub mime: String,
    /// Empty when Loa has no copy (a document over 20 MB sent in chat).
    pub sha256: String,
    pub local_path: Option<String>,
    pub telegram_file_id: Option<String>,
    pub telegram_file_unique_id: Option<String>,
}

/// Stores a checked pack from a folder as a draft; returns its id.
pub async fn create(pool: &DbPool, config: &Config, draft: &PackDraft, actor: Actor) -> anyhow::Result<i64> {
    let dir = data_dir(config);
    let mut attachments = Vec::new();
    for a in &draft.attachments {
        let (sha256, path) = store_file(&dir, &a.path)?;
        attachments.push(NewAttachment {
            name: a.name.clone(),
            size: a.size as i64,
            mime: a.mime.to_string(),
            sha256,
            local_path: Some(path.to_string_lossy().to_string()),
            telegram_file_id: None,
            telegram_file_unique_id: None,
        });
    }
    insert(pool, draft, &attachments, actor).await
}

/// Copies bytes already in hand into `files/<sha256>`; returns (sha256, stored path).
pub fn store_bytes(config: &Config, bytes: &[u8]) -> anyhow::Result<(String, PathBuf)> {
    let dir = data_dir(config);
    let tmp = tempfile_in(&dir)?;
    std::fs::write(&tmp, bytes)?;
    let stored = store_file(&dir, &tmp);
    let _ = std::fs::remove_file(&tmp);
    stored
}

fn tempfile_in(dir: &Path) -> anyhow::Result<PathBuf> {
    let files = dir.join("files");
    std::fs::create_dir_all(&files)?;
    Ok(files.join(format!(".incoming-{}-{}", std::process::id(), rand::random::<u64>())))
}

/// Writes a pack and its documents in one transaction (a draft); returns its id.
pub async fn insert(
    pool: &DbPool,
    draft: &PackDraft,
    attachments: &[NewAttachment],
    actor: Actor,
) -> anyhow::Result<i64> {
    let now = crate::dates::now();
    let created_by = actor.user_id();
    let mut tx = crate::db::begin_write(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO packs (kind, period, title, body_html, body_source, body_format, audience, deadline, report_prompt,
                            status, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12) RETURNING id",
    )
    .bind(draft.kind.as_str())
    .bind(draft.period.map(|p| p.code()))
    .bind(&draft.title)
    .bind(&draft.body_html)
    .bind(&draft.body_source)
    .bind(draft.body_format.as_str())
    .bind(draft.audience.to_json())
    .bind(draft.deadline.map(|d| d.to_string()))
    .bind(&draft.report_prompt)
    .bind(created_by)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (pos, a) in attachments.iter().enumerate() {
        // a document Telegram already has (same content, in an earlier pack) keeps its file_id
        let known: Option<String> = match &a.telegram_file_id {
            Some(f) => Some(f.clone()),
            None => {
                sqlx::query_scalar(
                    "SELECT telegram_file_id FROM attachments WHERE sha256 = $1 AND sha256 != '' AND telegram_file_id IS NOT NULL LIMIT 1",
                )
                .bind(&a.sha256)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "INSERT INTO attachments (pack_id, position, file_name, sha256, size, mime, local_path, telegram_file_id, telegram_file_unique_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(pos as i64)
        .bind(&a.name)
        .bind(&a.sha256)
        .bind(a.size)
        .bind(&a.mime)
        .bind(&a.local_path)
        .bind(known)
        .bind(&a.telegram_file_unique_id)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(&mut tx, actor, "packs.create", Some(&id.to_string()), "ok", json!({ "title": draft.title })).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(pool: &DbPool) -> sqlx::Result<Vec<Pack>> {
    let sql = format!("SELECT {PACK_COLUMNS} FROM packs p ORDER BY p.id DESC");
    sqlx::query_as::<_, Pack>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await
}

pub async fn get(pool: &DbPool, id: i64) -> sqlx::Result<Option<Pack>> {
    let sql = format!("SELECT {PACK_COLUMNS} FROM packs p WHERE p.id = $1");
    sqlx::query_as::<_, Pack>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await
}

/// The documents of a pack, in order: (file name, size, stored path).
pub async fn attachments(pool: &DbPool, id: i64) -> sqlx::Result<Vec<(String, i64, Option<String>)>> {
    sqlx::query_as("SELECT file_name, size, local_path FROM attachments WHERE pack_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(pool)
        .await
}

/// When to send, as asked at the command line or in chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Now,
    At(NaiveDateTime),
    Slot,
}

impl From<Schedule> for Option<When> {
    fn from(s: Schedule) -> Self {
        match s {
            Schedule::Draft => None,
            Schedule::At(t) => Some(When::At(t)),
            Schedule::Slot => Some(When::Slot),
        }
    }
}

/// Why a pack could not be scheduled or cancelled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("there is no pack {0}")]
    NoSuchPack(i64),
    #[error("pack {id} is {status}; only a draft, scheduled (or, to cancel, sending) pack can be {what}")]
    WrongStatus { id: i64, status: PackStatus, what: &'static str },
    #[error("{0} is in the past")]
    InThePast(String),
    #[error("{0} does not exist in the time zone {1} (a clock change)")]
    NoSuchLocalTime(String, Tz),
    #[error("only monthly and quarterly packs go out in a slot")]
    NoSlotForKind,
    #[error("the slot for {0} has passed; schedule it --now or --at a time")]
    SlotPassed(String),
    #[error("the deadline {deadline} comes before the send time {send}")]
    DeadlineBeforeSend { deadline: String, send: String },
}

/// The next time the pack's slot fires within its period, after `now`.
pub fn slot_time(
    config: &Config,
    kind: PackKind,
    period: Period,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ScheduleError> {
    let (slot, quarterly) = match kind {
        PackKind::Monthly => (&config.schedule.monthly_slot, false),
        PackKind::Quarterly => (&config.schedule.quarterly_slot, true),
        _ => return Err(ScheduleError::NoSlotForKind),
    };
    let local_now = now.with_timezone(&config.timezone);
    for t in slot.schedule.after(&local_now).take(400) {
        let p = Period::containing(t.date_naive(), quarterly);
        if p == period {
            return Ok(t.with_timezone(&Utc));
        }
        if p > period {
            break;
        }
    }
    Err(ScheduleError::SlotPassed(period.label(crate::i18n::Locale::En)))
}

/// Schedules a draft (or reschedules a scheduled pack). Returns the UTC time it is due.
pub async fn schedule(
    pool: &DbPool,
    config: &Config,
    id: i64,
    when: When,
    now: DateTime<Utc>,
    actor: Actor,
) -> anyhow::Result<Result<DateTime<Utc>, ScheduleError>> {
    let Some(pack) = get(pool, id).await? else { return Ok(Err(ScheduleError::NoSuchPack(id))) };
    if !pack.status.is_unsent() {
        return Ok(Err(ScheduleError::WrongStatus { id, status: pack.status, what: "scheduled" }));
    }
    let tz = config.timezone;
    let due = match when {
        When::Now => now,
        When::At(local) => {
            let Some(t) = tz.from_local_datetime(&local).earliest() else {
                return Ok(Err(ScheduleError::NoSuchLocalTime(local.format("%Y-%m-%d %H:%M").to_string(), tz)));
            };
            let t = t.with_timezone(&Utc);
            if t < now {
                return Ok(Err(ScheduleError::InThePast(local.format("%Y-%m-%d %H:%M").to_string())));
            }
            t
        }
        When::Slot => match (pack.kind(), pack.period()) {
            (Some(kind), Some(period)) => match slot_time(config, kind, period, now) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            },
            _ => return Ok(Err(ScheduleError::NoSlotForKind)),
        },
    };
    let send_date = due.with_timezone(&tz).date_naive();
    let deadline = match pack.deadline() {
        Some(d) if d < send_date => {
            return Ok(Err(ScheduleError::DeadlineBeforeSend { deadline: d.to_string(), send: send_date.to_string() }));
        }
        named => super::deadline_for(named, send_date, config.default_deadline_days),
    };
    let kind = match when {
        When::Now => "now",
        When::At(_) => "at",
        When::Slot => "slot",
    };
    let mut tx = crate::db::begin_write(pool).await?;
    sqlx::query(
        "UPDATE packs SET status = 'scheduled', schedule_kind = $1, scheduled_for = $2, deadline = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(kind)
    .bind(due.timestamp())
    .bind(deadline.to_string())
    .bind(crate::dates::now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        "packs.schedule",
        Some(&id.to_string()),
        "ok",
        json!({ "when": kind, "due": due.timestamp() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(due))
}
