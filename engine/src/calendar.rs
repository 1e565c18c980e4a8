//! Deadlines as the law counts them: calendar days, weeks, months, and working
//! days in the Estonian calendar.
//!
//! A working day is Monday to Friday except a public holiday (riigipüha, Public
//! Holidays and Days of National Importance Act § 2): 1 January, 24 February, Good
//! Friday, Easter Sunday, 1 May, Pentecost, 23 and 24 June, 20 August, 24, 25
//! and 26 December. Easter moves, so it is computed (Gregorian computus), never
//! listed. Everything here is a pure function of dates.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A length of time as a definition states it: `5 working days`, `1 month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    pub amount: u32,
    pub unit: DurationUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DurationUnit {
    Days,
    WorkingDays,
    Weeks,
    Months,
    Years,
}

/// Why a duration's text is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a duration: write a whole number and a unit, e.g. '5 working days', '10 days', '2 weeks', '1 month' or '5 years'"
)]
pub struct DurationError(pub String);

impl Duration {
    /// Parses `N days`, `N working days`, `N weeks`, `N months` or `N years` (singular
    /// units too: `1 month`).
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let err = || DurationError(text.to_owned());
        let words: Vec<&str> = text.split_whitespace().collect();
        let (amount, unit_words) = words.split_first().ok_or_else(err)?;
        let amount: u32 = amount.parse().map_err(|_| err())?;
        let unit = match unit_words {
            ["day" | "days"] => DurationUnit::Days,
            ["working", "day" | "days"] => DurationUnit::WorkingDays,
            ["week" | "weeks"] => DurationUnit::Weeks,
            ["month" | "months"] => DurationUnit::Months,
            ["year" | "years"] => DurationUnit::Years,
            _ => return Err(err()),
        };
        if amount == 0 || amount > 10_000 {
            return Err(err());
        }
        Ok(Duration { amount, unit })
    }

    /// The day this much time after `start` falls on. Working days are counted
    /// from the day after `start`; a month later is the same day of the month,
    /// or the month's last day if it has no such day (31 January + 1 month is
    /// 28 or 29 February).
    pub fn after(self, start: NaiveDate) -> NaiveDate {
        let n = u64::from(self.amount);
        let result = match self.unit {
            DurationUnit::Days => start.checked_add_days(Days::new(n)),
            DurationUnit::Weeks => start.checked_add_days(Days::new(n * 7)),
            DurationUnit::Months => start.checked_add_months(Months::new(self.amount)),
            DurationUnit::Years => self
                .amount
                .checked_mul(12)
                .and_then(|m| start.checked_add_months(Months::new(m))),
            DurationUnit::WorkingDays => Some(add_working_days(start, self.amount)),
        };
        result.unwrap_or(NaiveDate::MAX)
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = if self.amount == 1 { "" } else { "s" };
        let unit = match self.unit {
            DurationUnit::Days => "day",
            DurationUnit::WorkingDays => "working day",
            DurationUnit::Weeks => "week",
            DurationUnit::Months => "month",
            DurationUnit::Years => "year",
        };
        write!(f, "{} {unit}{plural}", self.amount)
    }
}

/// The `n`th working day after `start`.
pub fn add_working_days(start: NaiveDate, n: u32) -> NaiveDate {
    let mut day = start;
    let mut left = n;
    while left > 0 {
        match day.succ_opt() {
            Some(next) => day = next,
            None => return NaiveDate::MAX,
        }
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Working days from `from` to `to`: the working days after `from` up to and
/// including `to`, negative when `to` is earlier (how many have passed).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let (start, end, sign) = if to >= from {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut count = 0;
    let mut day = start;
    while day < end {
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
        if is_working_day(day) {
            count += 1;
        }
    }
    sign * count
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(day)
}

/// Estonian public holidays (riigipühad).
pub fn is_public_holiday(day: NaiveDate) -> bool {
    let fixed = matches!(
        (day.month(), day.day()),
        (1, 1) | (2, 24) | (5, 1) | (6, 23) | (6, 24) | (8, 20) | (12, 24) | (12, 25) | (12, 26)
    );
    if fixed {
        return true;
    }
    let Some(easter) = easter_sunday(day.year()) else {
        return false;
    };
    let offset = day.signed_duration_since(easter).num_days();
    // Good Friday, Easter Sunday, Pentecost (the seventh Sunday after Easter).
    matches!(offset, -2 | 0 | 49)
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_dates() {
        for (year, easter) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), Some(date(easter)), "{year}");
        }
    }

    #[test]
    fn estonian_holidays() {
        let holidays_2026 = [
            "2026-01-01",
            "2026-02-24",
            "2026-04-03",
            "2026-04-05",
            "2026-05-01",
            "2026-05-24",
            "2026-06-23",
            "2026-06-24",
            "2026-08-20",
            "2026-12-24",
            "2026-12-25",
            "2026-12-26",
        ];
        for day in holidays_2026 {
            assert!(is_public_holiday(date(day)), "{day}");
        }
        let year = date("2026-01-01").iter_days().take(365);
        assert_eq!(
            year.filter(|d| is_public_holiday(*d)).count(),
            holidays_2026.len()
        );
        assert!(
            !is_public_holiday(date("2026-04-06")),
            "Easter Monday is a working day"
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cases = [
            // Friday + 1 working day: Monday.
            ("2026-11-20", 1, "2026-11-23"),
            // Monday + 5 working days: next Monday.
            ("2026-11-23", 5, "2026-11-30"),
            // Across Independence Day (Tuesday 24 Feb 2026).
            ("2026-02-20", 3, "2026-02-26"),
            // Across Good Friday (3 Apr 2026) and Easter.
            ("2026-04-01", 2, "2026-04-06"),
            // Across Midsummer (Tue 23 and Wed 24 June 2026).
            ("2026-06-22", 1, "2026-06-25"),
            // Across Christmas: 23 Dec 2026 is a Wednesday; 24-26 are holidays, 27 a Sunday.
            ("2026-12-23", 1, "2026-12-28"),
            // Started on a Saturday: counting starts on Monday.
            ("2026-11-21", 1, "2026-11-23"),
        ];
        for (start, n, due) in cases {
            assert_eq!(add_working_days(date(start), n), date(due), "{start} + {n}");
            // Counting back: the working days between are the ones added.
            assert_eq!(
                working_days_between(date(start), date(due)),
                i64::from(n),
                "{start} .. {due}"
            );
            assert_eq!(working_days_between(date(due), date(start)), -i64::from(n));
        }
        assert_eq!(
            working_days_between(date("2026-11-23"), date("2026-11-23")),
            0
        );
    }

    #[test]
    fn durations_parse_and_add() {
        let d = Duration::parse("5 working days").unwrap();
        assert_eq!(
            d,
            Duration {
                amount: 5,
                unit: DurationUnit::WorkingDays
            }
        );
        assert_eq!(d.to_string(), "5 working days");
        assert_eq!(
            Duration::parse("1 month")
                .unwrap()
                .after(date("2026-01-31")),
            date("2026-02-28")
        );
        assert_eq!(
            Duration::parse("6 months")
                .unwrap()
                .after(date("2026-03-15")),
            date("2026-09-15")
        );
        assert_eq!(
            Duration::parse("2 weeks")
                .unwrap()
                .after(date("2026-11-25")),
            date("2026-12-09")
        );
        assert_eq!(
            Duration::parse(" 10   days ")
                .unwrap()
                .after(date("2026-11-25")),
            date("2026-12-05")
        );
        for bad in [
            "",
            "5",
            "five days",
            "5 fortnights",
            "0 days",
            "-1 days",
            "5 working",
            "1.5 days",
        ] {
            let err = Duration::parse(bad).unwrap_err();
            assert!(err.to_string().contains("is not a duration"), "{bad}");
        }
    }
}
