//! Periods of guidance and the kinds of pack. A monthly pack's period is a month (`2023-10`, shown
//! "Tháng 10/2023"); a quarterly pack's a quarter (`2023-Q4`, shown "Quý IV/2023"); thematic and
//! urgent packs may have none. The one place periods are parsed and written.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::i18n::Locale;

/// The kind of a guidance pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackKind {
    Monthly,
    Quarterly,
    Thematic,
    Urgent,
}

impl PackKind {
    pub const ALL: [PackKind; 4] = [PackKind::Monthly, PackKind::Quarterly, PackKind::Thematic, PackKind::Urgent];

    pub fn parse(s: &str) -> Option<PackKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PackKind::Monthly => "monthly",
            PackKind::Quarterly => "quarterly",
            PackKind::Thematic => "thematic",
            PackKind::Urgent => "urgent",
        }
    }

    /// Whether `period` suits this kind: a monthly pack needs a month, a quarterly one a quarter.
    pub fn check_period(self, period: Option<Period>) -> Result<(), PeriodError> {
        match (self, period) {
            (PackKind::Monthly, Some(Period::Month { .. })) => Ok(()),
            (PackKind::Monthly, _) => Err(PeriodError::MonthNeeded),
            (PackKind::Quarterly, Some(Period::Quarter { .. })) => Ok(()),
            (PackKind::Quarterly, _) => Err(PeriodError::QuarterNeeded),
            (PackKind::Thematic | PackKind::Urgent, _) => Ok(()),
        }
    }
}

/// What is wrong with a period as written. Its text (English) is for the command line and
/// pack.toml; in chat, [`PeriodError::key`] names the catalog's sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error(
        "{0:?} is not a period: write a month as \"2023-10\" or \"Tháng 10/2023\", a quarter as \"2023-Q4\" or \"Quý IV/2023\""
    )]
    NotAPeriod(String),
    #[error("{0:?}: the year must be between 2000 and 2100")]
    Year(String),
    #[error("{0:?}: a quarter is Q1 to Q4 (I to IV)")]
    Quarter(String),
    #[error("{0:?}: a month is 01 to 12")]
    Month(String),
    #[error("a monthly pack needs a month, e.g. \"2023-10\" or \"Tháng 10/2023\"")]
    MonthNeeded,
    #[error("a quarterly pack needs a quarter, e.g. \"2023-Q4\" or \"Quý IV/2023\"")]
    QuarterNeeded,
}

impl PeriodError {
    /// The catalog's sentence for this error (its argument, when any, is `given`).
    pub fn key(&self) -> &'static str {
        match self {
            PeriodError::NotAPeriod(_) => "period-err-not",
            PeriodError::Year(_) => "period-err-year",
            PeriodError::Quarter(_) => "period-err-quarter",
            PeriodError::Month(_) => "period-err-month",
            PeriodError::MonthNeeded => "period-err-month-needed",
            PeriodError::QuarterNeeded => "period-err-quarter-needed",
        }
    }

    /// What was written, for the sentences that quote it.
    pub fn given(&self) -> &str {
        match self {
            PeriodError::NotAPeriod(g) | PeriodError::Year(g) | PeriodError::Quarter(g) | PeriodError::Month(g) => g,
            PeriodError::MonthNeeded | PeriodError::QuarterNeeded => "",
        }
    }
}

/// A month or a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Period {
    /// A period as people write it; years 2000-2100. A month: "2023-10", "Tháng 10/2023",
    /// "tháng 10 năm 2023", "T10/2023", "10/2023", "October 2023". A quarter: "2023-Q4",
    /// "Quý IV/2023", "quý 4 năm 2023", "Q4/2023", "Q4 2023". Case, diacritics of the words and the
    /// separators (`/ - .` and spaces) do not matter.
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let t = crate::text::visible(s).trim().to_lowercase();
        let shown = crate::text::visible(s).trim().to_string();
        let bad = || PeriodError::NotAPeriod(shown.clone());
        // what the words say: a quarter or a month, its number, the year
        let mut quarter: Option<bool> = None;
        let mut number: Option<(u32, bool)> = None; // (value, written in Roman numerals)
        let mut year: Option<i32> = None;
        let words =
            t.split(|c: char| c.is_whitespace() || matches!(c, '/' | '-' | '.' | ',')).filter(|w| !w.is_empty());
        for w in words {
            let mut set_number = |n: (u32, bool)| if number.replace(n).is_some() { Err(bad()) } else { Ok(()) };
            match w {
                "năm" | "nam" | "year" | "of" => continue,
                "quý" | "quy" | "quarter" => {
                    quarter = Some(true);
                    continue;
                }
                "tháng" | "thang" | "month" => {
                    quarter = Some(false);
                    continue;
                }
                _ => {}
            }
            if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) {
                if year.replace(w.parse().map_err(|_| bad())?).is_some() {
                    return Err(bad());
                }
            } else if let Some(n) = number_of(w) {
                set_number(n)?;
            } else if let Some(rest) = ["quý", "quy", "q"].iter().find_map(|p| w.strip_prefix(p)) {
                quarter = Some(true);
                set_number(number_of(rest).ok_or_else(bad)?)?;
            } else if let Some(rest) = ["tháng", "thang", "t"].iter().find_map(|p| w.strip_prefix(p)) {
                quarter = Some(false);
                set_number(number_of(rest).filter(|n| !n.1).ok_or_else(bad)?)?;
            } else if let Some(m) = MONTHS_EN.iter().position(|m| m.eq_ignore_ascii_case(w)) {
                quarter = Some(false);
                set_number((m as u32 + 1, false))?;
            } else {
                return Err(bad());
            }
        }
        let (Some(year), Some((n, roman))) = (year, number) else { return Err(bad()) };
        if !(2000..=2100).contains(&year) {
            return Err(PeriodError::Year(shown));
        }
        // a Roman numeral alone is a quarter ("IV/2023"), as boards write them
        if quarter.unwrap_or(roman) {
            if !(1..=4).contains(&n) {
                return Err(PeriodError::Quarter(shown));
            }
            return Ok(Period::Quarter { year, quarter: n });
        }
        if !(1..=12).contains(&n) {
            return Err(PeriodError::Month(shown));
        }
        Ok(Period::Month { year, month: n })
    }

    /// The canonical written form: "2023-10" or "2023-Q4".
    pub fn code(&self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
        }
    }

    /// As people read it: "Tháng 10/2023", "Quý IV/2023"; "October 2023", "Q4 2023".
    pub fn label(&self, locale: Locale) -> String {
        match (self, locale) {
            (Period::Month { year, month }, Locale::Vi) => format!("Tháng {month}/{year}"),
            (Period::Quarter { year, quarter }, Locale::Vi) => format!("Quý {}/{year}", ROMAN[*quarter as usize - 1]),
            (Period::Month { year, month }, Locale::En) => format!("{} {year}", MONTHS_EN[*month as usize - 1]),
            (Period::Quarter { year, quarter }, Locale::En) => format!("Q{quarter} {year}"),
        }
    }

    /// The first day of the period.
    pub fn first_day(&self) -> NaiveDate {
        let (year, month) = match *self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, quarter * 3 - 2),
        };
        NaiveDate::from_ymd_opt(year, month, 1).expect("a period starts on a real day")
    }

    /// The first day after the period.
    pub fn next_day(&self) -> NaiveDate {
        let months = match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
        };
        self.first_day() + chrono::Months::new(months)
    }

    /// The month or quarter that contains `date`.
    pub fn containing(date: NaiveDate, quarterly: bool) -> Period {
        if quarterly {
            Period::Quarter { year: date.year(), quarter: (date.month() - 1) / 3 + 1 }
        } else {
            Period::Month { year: date.year(), month: date.month() }
        }
    }
}

/// A month's or a quarter's number: one or two digits, or a Roman numeral (I to XII).
fn number_of(w: &str) -> Option<(u32, bool)> {
    const ROMAN_TO_XII: [&str; 12] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"];
    if (1..=2).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit()) {
        return w.parse().ok().map(|n| (n, false));
    }
    ROMAN_TO_XII.iter().position(|r| *r == w).map(|i| (i as u32 + 1, true))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn periods_read_and_show_as_the_board_writes_them() {
        let q = Period::parse("2023-Q4").unwrap();
        assert_eq!(q, Period::Quarter { year: 2023, quarter: 4 });
        assert_eq!(q.label(Locale::Vi), "Quý IV/2023");
        assert_eq!(q.label(Locale::En), "Q4 2023");
        let m = Period::parse(" 2023-10 ").unwrap();
        assert_eq!(m.label(Locale::Vi), "Tháng 10/2023");
        assert_eq!(m.label(Locale::En), "October 2023");
        assert_eq!(Period::parse("2024-q1").unwrap().label(Locale::Vi), "Quý I/2024");
        assert_eq!(Period::parse("2024-03").unwrap().label(Locale::Vi), "Tháng 3/2024");
    }

    #[test]
    fn periods_are_read_as_people_write_them() {
        let q4 = Period::Quarter { year: 2023, quarter: 4 };
        let oct = Period::Month { year: 2023, month: 10 };
        for (text, want) in [
            ("Quý IV/2023", q4),
            ("quý 4 năm 2023", q4),
            ("Quy IV - 2023", q4),
            ("QUÝ iv/2023", q4),
            ("Q4/2023", q4),
            ("Q4 2023", q4),
            ("IV/2023", q4),
            ("2023-Q4", q4),
            ("2023 q4", q4),
            ("Tháng 10/2023", oct),
            ("tháng 10 năm 2023", oct),
            ("Thang 10-2023", oct),
            ("T10/2023", oct),
            ("10/2023", oct),
            ("10.2023", oct),
            ("2023-10", oct),
            ("2023/10", oct),
            ("October 2023", oct),
            ("  tháng  10 / 2023 ", oct),
        ] {
            assert_eq!(Period::parse(text), Ok(want), "{text}");
        }
        assert_eq!(Period::parse("1/2024"), Ok(Period::Month { year: 2024, month: 1 }));
        assert_eq!(Period::parse("tháng 1/2024").unwrap().label(Locale::Vi), "Tháng 1/2024");
    }

    #[test]
    fn bad_periods_say_what_is_expected() {
        for bad in [
            "2023-13",
            "2023-Q5",
            "2023-Q0",
            "2023",
            "23-10",
            "1999-01",
            "",
            "quý 5/2023",
            "tháng 13/2023",
            "quý",
            "10/11/2023",
            "2023-2024",
            "abc 2023",
            "10/2023/2024",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} parsed");
        }
        assert_eq!(Period::parse("2023-13"), Err(PeriodError::Month("2023-13".into())));
        assert_eq!(Period::parse("Quý V/2023"), Err(PeriodError::Quarter("Quý V/2023".into())));
        assert_eq!(Period::parse("1999-01"), Err(PeriodError::Year("1999-01".into())));
        assert!(Period::parse("2023-13").unwrap_err().to_string().contains("01 to 12"));
    }

    #[test]
    fn kinds_want_their_period() {
        let m = Period::parse("2023-10").ok();
        let q = Period::parse("2023-Q4").ok();
        assert!(PackKind::Monthly.check_period(m).is_ok());
        assert!(PackKind::Monthly.check_period(q).is_err());
        assert!(PackKind::Quarterly.check_period(q).is_ok());
        assert!(PackKind::Quarterly.check_period(None).is_err());
        assert!(PackKind::Urgent.check_period(None).is_ok());
        assert!(PackKind::Thematic.check_period(m).is_ok());
    }

    #[test]
    fn the_period_of_a_date() {
        let d = NaiveDate::from_ymd_opt(2023, 11, 5).unwrap();
        assert_eq!(Period::containing(d, true).code(), "2023-Q4");
        assert_eq!(Period::containing(d, false).code(), "2023-11");
    }

    proptest! {
        #[test]
        fn every_period_reads_back_from_its_code(year in 2000i32..=2100, month in 1u32..=12, quarterly: bool) {
            let p = if quarterly { Period::Quarter { year, quarter: (month - 1) / 3 + 1 } } else { Period::Month { year, month } };
            prop_assert_eq!(Period::parse(&p.code()), Ok(p));
            prop_assert_eq!(Period::parse(&p.code().to_lowercase()), Ok(p));
        }

        #[test]
        fn the_parser_never_panics(s in "\\PC{0,12}") {
            let _ = Period::parse(&s);
        }

        #[test]
        fn labels_name_the_year_and_a_number_or_numeral(year in 2000i32..=2100, quarter in 1u32..=4) {
            let label = Period::Quarter { year, quarter }.label(Locale::Vi);
            prop_assert!(label.starts_with("Quý "));
            let suffix = format!("/{}", year);
            prop_assert!(label.ends_with(&suffix));
        }
    }
}
