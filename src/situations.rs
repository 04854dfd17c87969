//! Situation reports (báo cáo tình hình): what a bound cell, or a unit's officer, tells the board
//! at any time, apart from any pack: a topic from `situations.topics`, a severity (thường, cần chú
//! ý, khẩn), the place, the text, and photos or files kept in Loa's store by content. Each is
//! written once, with its files, in one transaction, then waits in the inbox (new, seen, handled)
//! of the board and of the officers of the units above it; an urgent one is also sent to them at
//! once (`routed`).

use crate::db::DbPool;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};

/// The longest text a situation report takes (Telegram's message is 4,096; the rest is the frame
/// it is shown in).
pub const MAX_TEXT: usize = 3000;
/// The longest place.
pub const MAX_PLACE: usize = 200;
/// The most files one report keeps.
pub const MAX_FILES: usize = 10;
/// The largest file Loa can fetch from Telegram (the Bot API's getFile limit).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// How pressing a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// thường
    Normal,
    /// cần chú ý
    Attention,
    /// khẩn: sent at once to the officers above and the board
    Urgent,
}

crate::stored_as_word!(Severity, Severity::parse);

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Normal, Severity::Attention, Severity::Urgent];

    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Attention => "attention",
            Severity::Urgent => "urgent",
        }
    }

    /// Reads a severity as people answer it: its number (1-3), the Vietnamese words with or without
    /// their marks, or the English ones.
    pub fn parse(text: &str) -> Option<Severity> {
        let t = text.trim().trim_start_matches(['🟢', '🟡', '🔴']).trim().to_lowercase();
        match t.as_str() {
            "1" | "thường" | "thuong" | "bình thường" | "binh thuong" | "normal" => Some(Severity::Normal),
            "2" | "cần chú ý" | "can chu y" | "chú ý" | "chu y" | "attention" => Some(Severity::Attention),
            "3" | "khẩn" | "khan" | "khẩn cấp" | "khan cap" | "urgent" => Some(Severity::Urgent),
            _ => None,
        }
    }
}

/// Why an answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not one of the topics (the answer as given).
    UnknownTopic,
    UnknownSeverity,
    Empty,
    /// Longer than allowed: (characters given, the most).
    TooLong(usize, usize),
}

/// Reads a topic as people answer it: its number in the list, or its name (without regard to
/// case); gives the topic as configured.
pub fn parse_topic(topics: &[String], text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if let Ok(n) = t.parse::<usize>() {
        return topics.get(n.wrapping_sub(1)).cloned().ok_or(Invalid::UnknownTopic);
    }
    let wanted = t.to_lowercase();
    topics.iter().find(|x| x.to_lowercase() == wanted).cloned().ok_or(Invalid::UnknownTopic)
}

/// Checks a free text (the place, the report): not empty once invisible characters are gone, at
/// most `max` characters.
pub fn check_text(text: &str, max: usize) -> Result<String, Invalid> {
    let t = crate::text::visible(text);
    let t = t.trim();
    let n = t.chars().count();
    if n == 0 {
        Err(Invalid::Empty)
    } else if n > max {
        Err(Invalid::TooLong(n, max))
    } else {
        Ok(t.to_string())
    }
}

/// A file of a report, once stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredFile {
    pub kind: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub local_path: String,
    pub telegram_file_id: String,
}

/// A report ready to be written.
#[derive(Debug, Clone)]
pub struct NewSituation {
    pub cell_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub chat_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub topic: String,
    pub severity: Severity,
    pub place: String,
    pub body: String,
    pub files: Vec<StoredFile>,
}

/// A report written.
#[derive(Debug, Clone)]
pub struct Filed {
    pub id: i64,
    /// The cell's acknowledgement of the request it answered, when this report made it.
    pub ack: Option<crate::acks::Ack>,
}

/// Writes a report and its files in one transaction, audited. When it answers a situation request
/// (`answering`: that pack's delivery to the cell), the same transaction links it to the request,
/// writes it as the pack's report from the cell (a report given before is superseded) and
/// acknowledges the pack, so that it is counted as any pack's report.
pub async fn store(
    pool: &DbPool,
    r: &NewSituation,
    now: i64,
    answering: Option<(&crate::acks::Target, chrono_tz::Tz)>,
) -> anyhow::Result<Filed> {
    let mut tx = crate::db::begin_write(pool).await?;
    let routed = if r.severity == Severity::Urgent { "unsent" } else { "inbox" };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO situation_reports (cell_id, unit_id, chat_id, user_id, user_name, topic, severity, place, body,
                                        routed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(r.cell_id)
    .bind(r.unit_id)
    .bind(r.chat_id)
    .bind(r.user_id)
    .bind(&r.user_name)
    .bind(&r.topic)
    .bind(r.severity)
    .bind(&r.place)
    .bind(&r.body)
    .bind(routed)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for f in &r.files {
        sqlx::query(
            "INSERT INTO situation_files (report_id, kind, name, size, sha256, local_path, telegram_file_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&f.kind)
        .bind(&f.name)
        .bind(f.size)
        .bind(&f.sha256)
        .bind(&f.local_path)
        .bind(&f.telegram_file_id)
        .execute(&mut *tx)
        .await?;
    }
    let mut ack = None;
    if let Some((t, tz)) = answering {
        sqlx::query("UPDATE situation_reports SET pack_id = $1 WHERE id = $2")
            .bind(t.pack_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let today = crate::acks::local_date(chrono::DateTime::from_timestamp(now, 0).unwrap_or_default(), tz);
        let report: i64 = sqlx::query_scalar(
            "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body, at,
                                  late, situation_id)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10) RETURNING id",
        )
        .bind(t.pack_id)
        .bind(t.cell_id)
        .bind(t.delivery_id)
        .bind(r.user_id)
        .bind(&r.user_name)
        .bind(today.to_string())
        .bind(&r.body)
        .bind(now)
        .bind(i64::from(t.is_late(now, tz)))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE reports SET superseded_by = $1 WHERE pack_id = $2 AND cell_id = $3 AND superseded_by IS NULL AND id <> $1",
        )
        .bind(report)
        .bind(t.pack_id)
        .bind(t.cell_id)
        .execute(&mut *tx)
        .await?;
        if let crate::acks::Outcome::Recorded(a) =
            crate::acks::record_in(&mut tx, t, r.user_id, &r.user_name, now, tz, "report").await?
        {
            ack = Some(a);
        }
    }
    // the details name the topic and severity, never the text (people's words stay out of the log)
    let details = json!({
        "topic": r.topic,
        "severity": r.severity.as_str(),
        "files": r.files.len(),
        "cell_id": r.cell_id,
        "pack_id": answering.map(|(t, _)| t.pack_id),
    });
    audit::record(&mut tx, Actor::User(r.user_id), "situation.filed", Some(&id.to_string()), "ok", details).await?;
    tx.commit().await?;
    Ok(Filed { id, ack })
}

/// Asks every cell for its periodic situation report for `period` (a month): writes the request
/// as a pack whose purpose is `situation` (the board's words from the catalog in the default
/// language, the topics listed, a report asked, the deadline `situations.request_days` away, sent
/// to every cell) and starts its broadcast. The cells answer it with the situation report
/// dialogue; their answers stand as the pack's reports, so they are counted, reminded and escalated
/// as for any pack's report. `None` when that period was asked for already (one request a period).
pub async fn request(
    pool: &DbPool,
    config: &crate::config::Config,
    period: crate::packs::period::Period,
    actor: Actor,
    now: i64,
) -> anyhow::Result<Option<crate::delivery::broadcast::Started>> {
    use crate::i18n::{Args, Catalog};
    let catalog = Catalog::for_board(&config.organisation.board);
    let locale = config.default_locale;
    // "tháng 12/2026" inside a sentence, not "Tháng 12/2026"
    let label = match (locale, period.label(locale)) {
        (crate::i18n::Locale::Vi, l) => {
            l.chars().next().map(|c| c.to_lowercase().chain(l.chars().skip(1)).collect()).unwrap_or(l)
        }
        (_, l) => l,
    };
    let today =
        chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().with_timezone(&config.timezone).date_naive();
    let deadline = today + chrono::Duration::days(i64::from(config.situation_request_days));
    let topics: Vec<String> = config
        .situation_topics
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {}", i + 1, crate::i18n::escape(t)))
        .collect();
    let title = catalog.t(locale, "sit-request-title", Args::new().raw("period", label.clone()));
    let body = catalog.t(
        locale,
        "sit-request-body",
        Args::new().raw("period", label.clone()).raw("topics", topics.join("\n")),
    );
    let prompt = catalog.t(locale, "sit-request-prompt", Args::new().raw("period", label));
    let mut tx = crate::db::begin_write(pool).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO packs (kind, period, title, body_html, body_source, body_format, audience, deadline, report_prompt,
                            status, schedule_kind, scheduled_for, created_by, created_at, updated_at, purpose)
         VALUES ('monthly', $1, $2, $3, $3, 'html', '\"all\"', $4, $5, 'scheduled', 'now', $6, $7, $6, $6, 'situation')
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(period.code())
    .bind(&title)
    .bind(&body)
    .bind(deadline.to_string())
    .bind(&prompt)
    .bind(now)
    .bind(actor.user_id())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let details = json!({ "period": period.code(), "deadline": deadline.to_string() });
    audit::record(&mut tx, actor, "situations.requested", Some(&id.to_string()), "ok", details).await?;
    tx.commit().await?;
    tracing::info!(pack_id = id, period = %period, "cells asked for their situation report");
    // due now: started here, or by the scheduler's next step if this one fails
    crate::delivery::broadcast::start(pool, id, actor, now).await
}

/// Notes whether an urgent report's alert went out to anyone.
pub async fn mark_routed(pool: &DbPool, id: i64, sent: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE situation_reports SET routed = $1 WHERE id = $2 AND routed <> 'inbox'")
        .bind(if sent { "sent" } else { "unsent" })
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A report as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Situation {
    pub id: i64,
    /// The cell's code, when a cell filed it.
    pub cell: Option<String>,
    /// The name of the unit it was filed under.
    pub unit: String,
    /// The chat it was filed from.
    pub chat_id: i64,
    pub user_name: String,
    pub topic: String,
    pub severity: Severity,
    pub place: String,
    pub body: String,
    pub status: String,
    pub routed: String,
    pub files: i64,
    pub created_at: i64,
    pub handled_note: Option<String>,
    pub handled_at: Option<i64>,
    /// Who marked it handled: their name as staff, else their Telegram id.
    pub handled_by: Option<String>,
    /// The cell's name, when a cell filed it.
    pub cell_name: Option<String>,
    /// The situation request (a pack) it answers, if it answers one.
    pub pack_id: Option<i64>,
}

const SITUATION: &str =
    "SELECT s.id, c.code AS cell, COALESCE(u.name, '') AS unit, s.chat_id, s.user_name, s.topic, s.severity,
        s.place, s.body, s.status, s.routed,
        (SELECT count(*) FROM situation_files f WHERE f.report_id = s.id) AS files, s.created_at, s.handled_note,
        s.handled_at, COALESCE(st.display_name, CAST(s.handled_by AS TEXT)) AS handled_by, c.name AS cell_name,
        s.pack_id
     FROM situation_reports s LEFT JOIN cells c ON c.id = s.cell_id LEFT JOIN units u ON u.id = s.unit_id
     LEFT JOIN staff st ON st.user_id = s.handled_by";

/// Which reports an inbox shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Only those filed under this unit's subtree (an officer's).
    pub within: Option<i64>,
    /// Only those in this state ("new", "seen", "handled").
    pub status: Option<String>,
    /// At most this many, newest first (0: all).
    pub limit: i64,
}

/// The reports of an inbox, urgent and new first, then newest first.
pub async fn inbox(pool: &DbPool, f: &InboxFilter) -> sqlx::Result<Vec<Situation>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        // the reports are chosen and put in order first, their details read for those alone
        "{SITUATION}
         WHERE s.id IN (
             SELECT id FROM situation_reports
             WHERE ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
               AND ($2 IS NULL OR status = $2)
             ORDER BY status = 'handled', status = 'seen', severity = 'urgent' DESC, id DESC
             LIMIT $3)
         ORDER BY s.status = 'handled', s.status = 'seen', s.severity = 'urgent' DESC, s.id DESC"
    )))
    .bind(f.within)
    .bind(f.status.as_deref())
    .bind(if f.limit > 0 { f.limit } else { i64::MAX })
    .fetch_all(pool)
    .await
}

/// The reports filed from `since` to before `until` within `within` (only the urgent ones when
/// `urgent_only`), oldest first.
pub async fn between(
    pool: &DbPool,
    within: Option<i64>,
    since: i64,
    until: i64,
    urgent_only: bool,
) -> sqlx::Result<Vec<Situation>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITUATION}
         WHERE ($1 IS NULL OR s.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
           AND s.created_at >= $2 AND s.created_at < $3 AND (NOT $4 OR s.severity = 'urgent')
         ORDER BY s.created_at, s.id"
    )))
    .bind(within)
    .bind(since)
    .bind(until)
    .bind(urgent_only)
    .fetch_all(pool)
    .await
}

/// Reports counted under one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UnitCount {
    pub code: String,
    pub name: String,
    pub total: i64,
    pub urgent: i64,
    pub attention: i64,
    pub handled: i64,
}

/// The reports filed from `since` to before `until` under each unit directly below `within` (the
/// province's committee for `None`), the most first; a report filed at `within` itself (by its
/// officers) is in no row.
pub async fn by_unit(pool: &DbPool, within: Option<i64>, since: i64, until: i64) -> sqlx::Result<Vec<UnitCount>> {
    // counted by the unit filed under first (a few thousand rows at most), then summed up to
    // the ancestor directly under `within`
    sqlx::query_as(
        "WITH per_unit AS (
             SELECT unit_id, count(*) AS total, count(*) FILTER (WHERE severity = 'urgent') AS urgent,
                    count(*) FILTER (WHERE severity = 'attention') AS attention,
                    count(*) FILTER (WHERE status = 'handled') AS handled
             FROM situation_reports
             WHERE created_at >= $2 AND created_at < $3
               AND ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
             GROUP BY unit_id)
         SELECT a.code, a.name, CAST(sum(p.total) AS BIGINT) AS total, CAST(sum(p.urgent) AS BIGINT) AS urgent, CAST(sum(p.attention) AS BIGINT) AS attention,
                CAST(sum(p.handled) AS BIGINT) AS handled
         FROM per_unit p
         JOIN unit_paths up ON up.descendant = p.unit_id
         JOIN units a ON a.id = up.ancestor
         WHERE a.parent_id = COALESCE($1, (SELECT id FROM units WHERE parent_id IS NULL))
         GROUP BY a.id ORDER BY total DESC, a.name",
    )
    .bind(within)
    .bind(since)
    .bind(until)
    .fetch_all(pool)
    .await
}

/// One report, if it is within `within` (the whole province for `None`).
pub async fn get(pool: &DbPool, id: i64, within: Option<i64>) -> sqlx::Result<Option<Situation>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITUATION} WHERE s.id = $1
           AND ($2 IS NULL OR s.unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $2))"
    )))
    .bind(id)
    .bind(within)
    .fetch_optional(pool)
    .await
}

/// A report's files.
pub async fn files(pool: &DbPool, id: i64) -> sqlx::Result<Vec<StoredFile>> {
    sqlx::query_as(
        "SELECT kind, name, size, sha256, local_path, telegram_file_id FROM situation_files WHERE report_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// How many reports of an inbox are new, seen and handled.
pub async fn counts(pool: &DbPool, within: Option<i64>) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'seen'),
                count(*) FILTER (WHERE status = 'handled')
         FROM situation_reports
         WHERE ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))",
    )
    .bind(within)
    .fetch_one(pool)
    .await
}

/// A member of staff opened a report: a new one becomes seen (audited once).
pub async fn mark_seen(pool: &DbPool, id: i64, by: i64) -> anyhow::Result<()> {
    let mut tx = crate::db::begin_write(pool).await?;
    let changed = sqlx::query("UPDATE situation_reports SET status = 'seen' WHERE id = $1 AND status = 'new'")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed > 0 {
        audit::record(&mut tx, Actor::User(by), "situation.seen", Some(&id.to_string()), "ok", json!({})).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A member of staff marks a report handled, with a note (audited); false when it was already.
pub async fn mark_handled(pool: &DbPool, id: i64, by: i64, note: &str, now: i64) -> anyhow::Result<bool> {
    let mut tx = crate::db::begin_write(pool).await?;
    let changed = sqlx::query(
        "UPDATE situation_reports SET status = 'handled', handled_by = $1, handled_at = $2, handled_note = $3
         WHERE id = $4 AND status <> 'handled'",
    )
    .bind(by)
    .bind(now)
    .bind(note)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        let details = json!({ "note_chars": note.chars().count() });
        audit::record(&mut tx, Actor::User(by), "situation.handled", Some(&id.to_string()), "ok", details).await?;
    }
    tx.commit().await?;
    Ok(changed > 0)
}

/// One topic's reports over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TopicCount {
    pub topic: String,
    pub total: i64,
    pub urgent: i64,
    pub attention: i64,
    pub handled: i64,
}

impl TopicCount {
    /// The reports of ordinary severity (neither urgent nor needing attention).
    pub fn normal(&self) -> i64 {
        self.total - self.urgent - self.attention
    }
}

/// The reports filed from `since` to before `until` within `within`, by topic (the most first).
pub async fn by_topic(pool: &DbPool, within: Option<i64>, since: i64, until: i64) -> sqlx::Result<Vec<TopicCount>> {
    sqlx::query_as(
        "SELECT topic, count(*) AS total, count(*) FILTER (WHERE severity = 'urgent') AS urgent,
                count(*) FILTER (WHERE severity = 'attention') AS attention,
                count(*) FILTER (WHERE status = 'handled') AS handled
         FROM situation_reports
         WHERE created_at >= $2 AND created_at < $3
           AND ($1 IS NULL OR unit_id IN (SELECT descendant FROM unit_paths WHERE ancestor = $1))
         GROUP BY topic ORDER BY total DESC, topic",
    )
    .bind(within)
    .bind(since)
    .bind(until)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Vec<String> {
        ["Kinh tế, đời sống", "Đất đai", "Khác"].map(String::from).to_vec()
    }

    #[test]
    fn topics_and_severities_are_read_as_people_answer() {
        let t = topics();
        assert_eq!(parse_topic(&t, "2"), Ok("Đất đai".into()));
        assert_eq!(parse_topic(&t, " đất ĐAI "), Ok("Đất đai".into()));
        assert_eq!(parse_topic(&t, "4"), Err(Invalid::UnknownTopic));
        assert_eq!(parse_topic(&t, "0"), Err(Invalid::UnknownTopic));
        assert_eq!(parse_topic(&t, "Dat dai"), Err(Invalid::UnknownTopic), "marks are part of the name");
        assert_eq!(Severity::parse("3"), Some(Severity::Urgent));
        assert_eq!(Severity::parse("🔴 Khẩn"), Some(Severity::Urgent));
        assert_eq!(Severity::parse("can chu y"), Some(Severity::Attention));
        assert_eq!(Severity::parse("Thường"), Some(Severity::Normal));
        assert_eq!(Severity::parse("rất khẩn"), None);
        assert_eq!(check_text(" \u{200b} ", 10), Err(Invalid::Empty));
        assert_eq!(check_text(&"x".repeat(11), 10), Err(Invalid::TooLong(11, 10)));
        assert_eq!(check_text(" Thôn Nà Pài ", 11), Ok("Thôn Nà Pài".into()), "eleven characters, not bytes");
    }

    #[tokio::test]
    async fn a_report_is_stored_with_its_files_listed_by_scope_and_handled_once() {
        let pool = crate::db::open("sqlite::memory:").await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let root = crate::units::root(&mut conn).await.unwrap();
        let a = crate::units::add(&mut conn, "X-A", "Xã A", "xa", root.id).await.unwrap();
        let b = crate::units::add(&mut conn, "X-B", "Xã B", "xa", root.id).await.unwrap();
        drop(conn);
        let new = |unit, severity| NewSituation {
            cell_id: None,
            unit_id: Some(unit),
            chat_id: 5,
            user_id: 7,
            user_name: "An".into(),
            topic: "Đất đai".into(),
            severity,
            place: "Thôn 1".into(),
            body: "Tranh chấp đất".into(),
            files: vec![StoredFile {
                kind: "photo".into(),
                name: "anh.jpg".into(),
                size: 3,
                sha256: "abc".into(),
                local_path: "/x".into(),
                telegram_file_id: "F1".into(),
            }],
        };
        let first = store(&pool, &new(a, Severity::Normal), 100, None).await.unwrap().id;
        let urgent = store(&pool, &new(b, Severity::Urgent), 200, None).await.unwrap().id;
        let all = inbox(&pool, &InboxFilter::default()).await.unwrap();
        assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), [urgent, first], "urgent first");
        assert_eq!((all[0].routed.as_str(), all[1].routed.as_str()), ("unsent", "inbox"));
        assert_eq!((all[0].unit.as_str(), all[0].files), ("Xã B", 1));
        let mine = inbox(&pool, &InboxFilter { within: Some(a), ..Default::default() }).await.unwrap();
        assert_eq!(mine.iter().map(|s| s.id).collect::<Vec<_>>(), [first], "an officer sees their unit's");
        assert!(get(&pool, urgent, Some(a)).await.unwrap().is_none());
        mark_routed(&pool, urgent, true).await.unwrap();
        mark_seen(&pool, first, 9).await.unwrap();
        mark_seen(&pool, first, 9).await.unwrap();
        assert!(mark_handled(&pool, first, 9, "Đã chuyển UBND xã", 300).await.unwrap());
        assert!(!mark_handled(&pool, first, 9, "again", 301).await.unwrap(), "handled once");
        assert_eq!(counts(&pool, None).await.unwrap(), (1, 0, 1));
        let topics = by_topic(&pool, None, 0, i64::MAX).await.unwrap();
        assert_eq!(topics, [TopicCount { topic: "Đất đai".into(), total: 2, urgent: 1, attention: 0, handled: 1 }]);
        assert!(by_topic(&pool, None, 201, i64::MAX).await.unwrap().is_empty(), "since a time");
        assert_eq!(by_topic(&pool, Some(b), 0, i64::MAX).await.unwrap()[0].total, 1, "within a unit");
        let s = get(&pool, first, None).await.unwrap().unwrap();
        assert_eq!((s.status.as_str(), s.handled_note.as_deref()), ("handled", Some("Đã chuyển UBND xã")));
        assert_eq!(get(&pool, urgent, None).await.unwrap().unwrap().routed, "sent");
        assert_eq!(files(&pool, first).await.unwrap()[0].telegram_file_id, "F1");
        let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'situation.%'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(audited, 4, "two filed, one seen (once), one handled (once)");
    }
}
