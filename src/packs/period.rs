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

    /// Whether `period` suits this kind; `None` when the period is fine, else what is expected.
    pub fn check_period(self, period: Option<Period>) -> Result<(), &'static str> {
        match (self, period) {
            (PackKind::Monthly, Some(Period::Month { .. })) => Ok(()),
            (PackKind::Monthly, _) => Err("a monthly pack needs a month, e.g. \"2023-10\""),
            (PackKind::Quarterly, Some(Period::Quarter { .. })) => Ok(()),
            (PackKind::Quarterly, _) => Err("a quarterly pack needs a quarter, e.g. \"2023-Q4\""),
            (PackKind::Thematic | PackKind::Urgent, _) => Ok(()),
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
    /// "2023-10" (a month) or "2023-Q4" (a quarter); years 2000-2100.
    pub fn parse(s: &str) -> Result<Period, String> {
        let t = s.trim();
        let bad = || format!("{t:?} is not a period: write a month as \"2023-10\" or a quarter as \"2023-Q4\"");
        let (y, rest) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || !y.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(format!("{t:?}: the year must be between 2000 and 2100"));
        }
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            let quarter: u32 = q.parse().ok().filter(|_| q.len() == 1).ok_or_else(bad)?;
            if !(1..=4).contains(&quarter) {
                return Err(format!("{t:?}: a quarter is Q1 to Q4"));
            }
            return Ok(Period::Quarter { year, quarter });
        }
        if rest.len() != 2 || !rest.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let month: u32 = rest.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(format!("{t:?}: a month is 01 to 12"));
        }
        Ok(Period::Month { year, month })
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

    /// The month or quarter that contains `date`.
    pub fn containing(date: NaiveDate, quarterly: bool) -> Period {
        if quarterly {
            Period::Quarter { year: date.year(), quarter: (date.month() - 1) / 3 + 1 }
        } else {
            Period::Month { year: date.year(), month: date.month() }
        }
    }
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
    fn bad_periods_say_what_is_expected() {
        for bad in ["2023-13", "2023-Q5", "2023-Q0", "2023", "23-10", "2023-1", "2023/10", "Q4-2023", "1999-01", ""] {
            assert!(Period::parse(bad).is_err(), "{bad} parsed");
        }
        assert!(Period::parse("2023-13").unwrap_err().contains("01 to 12"));
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
