//! Dates and times as people read them, in the configured time zone. The one place that formats
//! them: the CLI's tables and files, JSON, and (in Vietnamese order) chat messages.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

fn local(ts: i64, tz: Tz) -> Option<DateTime<Tz>> {
    Utc.timestamp_opt(ts, 0).single().map(|t| t.with_timezone(&tz))
}

/// Now, in Unix seconds: the unit of every `*_at` column.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

/// "2023-10-01 08:00": tables and CSV.
pub fn table(ts: i64, tz: Tz) -> String {
    local(ts, tz).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// "2023-10-01T08:00:00+07:00": JSON.
pub fn rfc3339(ts: i64, tz: Tz) -> String {
    local(ts, tz).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// "08:15 03/10/2023": chat messages (Vietnamese order, used in both languages).
pub fn chat(ts: i64, tz: Tz) -> String {
    local(ts, tz).map(|t| t.format("%H:%M %d/%m/%Y").to_string()).unwrap_or_default()
}

/// "03/10/2023": a date in a chat message.
pub fn chat_date(ts: i64, tz: Tz) -> String {
    local(ts, tz).map(|t| t.format("%d/%m/%Y").to_string()).unwrap_or_default()
}

/// The first instant of local day `d` in `tz` (the earliest, should the day start twice).
pub fn start_of(d: chrono::NaiveDate, tz: Tz) -> i64 {
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| midnight.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_configured_zone() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let ts = 1_696_122_000; // 2023-10-01 01:00 UTC
        assert_eq!(table(ts, tz), "2023-10-01 08:00");
        assert_eq!(rfc3339(ts, tz), "2023-10-01T08:00:00+07:00");
        assert_eq!(chat(ts, tz), "08:00 01/10/2023");
        assert_eq!(chat_date(ts, tz), "01/10/2023");
    }
}
