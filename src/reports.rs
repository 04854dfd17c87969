//! Reports: a cell's short account of how it took up a pack — the day its meeting discussed the
//! guidance, how many members attended, a short text, and perhaps a photo or a document. A report
//! also counts as the cell's acknowledgement. It may be corrected until the deadline: the latest
//! counts, the earlier ones stay (pointing at the one that replaced them).

use crate::db::DbPool;
use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::acks::{self, Outcome, Target};

/// The longest report text, in characters.
pub const MAX_TEXT: usize = 1000;
/// The most members a cell's meeting can have (the largest cells have a few hundred).
pub const MAX_ATTENDANCE: i64 = 1000;
/// How far back a meeting may be, in days.
pub const MAX_AGE_DAYS: i64 = 366;

/// Why an answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not a date in a form Loa reads.
    NotADate,
    /// A day that does not exist (31/02).
    NoSuchDay,
    /// After today.
    Future,
    /// Longer ago than [`MAX_AGE_DAYS`].
    TooOld,
    NotACount,
    CountOutOfRange,
    Empty,
    TooLong(usize),
}

impl Invalid {
    /// The catalog key of the message that explains it.
    pub fn key(&self) -> &'static str {
        match self {
            Invalid::NotADate => "report-bad-date",
            Invalid::NoSuchDay => "report-no-such-day",
            Invalid::Future => "report-future-date",
            Invalid::TooOld => "report-old-date",
            Invalid::NotACount => "report-bad-count",
            Invalid::CountOutOfRange => "report-count-range",
            Invalid::Empty => "report-empty",
            Invalid::TooLong(_) => "report-too-long",
        }
    }
}

/// Reads a meeting date: "dd/mm/yyyy" (also with "-" or "." and without leading zeros), or
/// "yyyy-mm-dd"; it must exist, not be after `today`, nor more than a year before it.
pub fn parse_meeting_date(text: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let t = text.trim();
    let parts: Vec<&str> = t.split(['/', '-', '.']).map(str::trim).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return Err(Invalid::NotADate);
    }
    let nums: Vec<u32> = parts.iter().map(|p| p.parse::<u32>().unwrap_or(u32::MAX)).collect();
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else if parts[2].len() == 4 {
        (nums[2], nums[1], nums[0])
    } else {
        return Err(Invalid::NotADate);
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(Invalid::NotADate);
    }
    let date = NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(Invalid::NoSuchDay)?;
    if date > today {
        return Err(Invalid::Future);
    }
    if (today - date).num_days() > MAX_AGE_DAYS {
        return Err(Invalid::TooOld);
    }
    Ok(date)
}

/// Reads an attendance count: a whole number from 1 to [`MAX_ATTENDANCE`].
pub fn parse_attendance(text: &str) -> Result<i64, Invalid> {
    let t = text.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::NotACount);
    }
    match t.parse::<i64>() {
        Ok(n) if (1..=MAX_ATTENDANCE).contains(&n) => Ok(n),
        _ => Err(Invalid::CountOutOfRange),
    }
}

/// Checks a report text: not empty, at most [`MAX_TEXT`] characters.
pub fn check_text(text: &str) -> Result<String, Invalid> {
    let t = crate::text::visible(text);
    let t = t.trim();
    let n = t.chars().count();
    if n == 0 {
        Err(Invalid::Empty)
    } else if n > MAX_TEXT {
        Err(Invalid::TooLong(n))
    } else {
        Ok(t.to_string())
    }
}

/// A report ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub user_id: i64,
    pub user_name: String,
    pub meeting_date: NaiveDate,
    pub attendance: i64,
    pub body: String,
    /// The photo or file attached, if any.
    pub attachment: Option<Attachment>,
}

/// A report's photo or file, kept in Loa's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub telegram_file_id: String,
    /// "photo" or "document".
    pub kind: String,
    pub name: String,
    pub sha256: String,
    /// Where the store keeps it.
    pub path: String,
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub meeting_date: String,
    pub attendance: i64,
    pub body: String,
    pub attachment_kind: Option<String>,
    pub at: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub late: bool,
}

/// The cell's current report on the pack (the latest), if any.
pub async fn current(pool: &DbPool, pack_id: i64, cell_id: i64) -> sqlx::Result<Option<Report>> {
    sqlx::query_as(
        "SELECT id, user_id, user_name, meeting_date, attendance, body, attachment_kind, at, late FROM reports
         WHERE pack_id = $1 AND cell_id = $2 AND superseded_by IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(pack_id)
    .bind(cell_id)
    .fetch_optional(pool)
    .await
}

/// What storing a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub report_id: i64,
    /// It replaced an earlier report.
    pub corrected: bool,
    pub late: bool,
    /// The acknowledgement this report made (when the cell had not acknowledged before).
    pub ack: Option<acks::Ack>,
}

/// Stores a report (and the acknowledgement it implies) in one transaction; an earlier report
/// of the cell on the pack is kept and points at this one.
/// `dialogue` (chat, user) is the report dialogue that ends with it, deleted in the same transaction.
pub async fn store(
    pool: &DbPool,
    target: &Target,
    r: &NewReport,
    at: i64,
    tz: Tz,
    dialogue: Option<(i64, i64)>,
) -> sqlx::Result<Stored> {
    let late = target.is_late(at, tz);
    let mut tx = crate::db::begin_write(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reports (pack_id, cell_id, delivery_id, user_id, user_name, meeting_date, attendance, body,
             attachment_file_id, attachment_kind, attachment_name, attachment_sha256, attachment_path, at, late)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(target.pack_id)
    .bind(target.cell_id)
    .bind(target.delivery_id)
    .bind(r.user_id)
    .bind(&r.user_name)
    .bind(r.meeting_date.to_string())
    .bind(r.attendance)
    .bind(&r.body)
    .bind(r.attachment.as_ref().map(|a| a.telegram_file_id.clone()))
    .bind(r.attachment.as_ref().map(|a| a.kind.clone()))
    .bind(r.attachment.as_ref().map(|a| a.name.clone()))
    .bind(r.attachment.as_ref().map(|a| a.sha256.clone()))
    .bind(r.attachment.as_ref().map(|a| a.path.clone()))
    .bind(at)
    .bind(i64::from(late))
    .fetch_one(&mut *tx)
    .await?;
    let corrected = sqlx::query(
        "UPDATE reports SET superseded_by = $1 WHERE pack_id = $2 AND cell_id = $3 AND superseded_by IS NULL AND id <> $4",
    )
    .bind(id)
    .bind(target.pack_id)
    .bind(target.cell_id)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    let ack = match acks::record_in(&mut tx, target, r.user_id, &r.user_name, at, tz, "report").await? {
        Outcome::Recorded(a) => Some(a),
        Outcome::Already(_) => None,
    };
    if let Some((chat, user)) = dialogue {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = $1 AND user_id = $2 AND kind = 'report'")
            .bind(chat)
            .bind(user)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Stored { report_id: id, corrected, late, ack })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn meeting_dates_are_read_in_the_usual_forms_and_checked() {
        let today = d(2023, 10, 20);
        assert_eq!(parse_meeting_date("05/10/2023", today), Ok(d(2023, 10, 5)));
        assert_eq!(parse_meeting_date(" 5/10/2023 ", today), Ok(d(2023, 10, 5)));
        assert_eq!(parse_meeting_date("5-10-2023", today), Ok(d(2023, 10, 5)));
        assert_eq!(parse_meeting_date("2023-10-05", today), Ok(d(2023, 10, 5)));
        assert_eq!(parse_meeting_date("20.10.2023", today), Ok(d(2023, 10, 20)));
        assert_eq!(parse_meeting_date("hôm qua", today), Err(Invalid::NotADate));
        assert_eq!(parse_meeting_date("5/10", today), Err(Invalid::NotADate));
        assert_eq!(parse_meeting_date("13/13/2023", today), Err(Invalid::NotADate));
        assert_eq!(parse_meeting_date("31/02/2023", today), Err(Invalid::NoSuchDay));
        assert_eq!(parse_meeting_date("29/02/2023", today), Err(Invalid::NoSuchDay));
        assert_eq!(parse_meeting_date("21/10/2023", today), Err(Invalid::Future));
        assert_eq!(parse_meeting_date("01/01/2020", today), Err(Invalid::TooOld));
        assert_eq!(parse_meeting_date("99999999999/1/2023", today), Err(Invalid::NotADate));
    }

    #[test]
    fn attendance_is_a_whole_number_within_reason() {
        assert_eq!(parse_attendance(" 25 "), Ok(25));
        assert_eq!(parse_attendance("0"), Err(Invalid::CountOutOfRange));
        assert_eq!(parse_attendance("1001"), Err(Invalid::CountOutOfRange));
        assert_eq!(parse_attendance("99999999999999999999999"), Err(Invalid::CountOutOfRange));
        assert_eq!(parse_attendance("-3"), Err(Invalid::NotACount));
        assert_eq!(parse_attendance("hai mươi"), Err(Invalid::NotACount));
        assert_eq!(parse_attendance("2.5"), Err(Invalid::NotACount));
    }

    #[test]
    fn report_texts_are_trimmed_and_limited() {
        assert_eq!(check_text("  Đã quán triệt.  "), Ok("Đã quán triệt.".into()));
        assert_eq!(check_text("   "), Err(Invalid::Empty));
        assert_eq!(check_text(&"ạ".repeat(1000)).map(|t| t.chars().count()), Ok(1000));
        assert_eq!(check_text(&"ạ".repeat(1001)), Err(Invalid::TooLong(1001)));
    }
}
