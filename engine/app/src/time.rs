//! Times as people give them: RFC 3339 (`2026-11-24T09:30:00+02:00`) or a bare
//! date, which each use reads as a moment of that day (noon for when something
//! happened, the end of the day for "as known by", the start for "from").
//! Shared by every front end, so a date means the same moment everywhere.

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::Code;

use crate::error::{Result, reject};

/// What a bare date means, for one use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// 00:00:00 UTC: "from".
    Start,
    /// 12:00:00 UTC: when something happened, "now".
    Noon,
    /// 23:59:59 UTC: "as of", "up to".
    End,
}

impl Day {
    fn hms(self) -> (u32, u32, u32) {
        match self {
            Day::Start => (0, 0, 0),
            Day::Noon => (12, 0, 0),
            Day::End => (23, 59, 59),
        }
    }
}

/// Reads `text` as a time; `label` names the input in the refusal (`--as-of`).
pub fn parse(text: &str, label: &str, day: Day) -> Result<DateTime<Utc>> {
    let (hour, minute, second) = day.hms();
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| {
                d.and_hms_opt(hour, minute, second)
                    .unwrap_or_default()
                    .and_utc()
            })
        })
        .map_err(|_| {
            reject(
                Code::InvalidInput,
                format!(
                    "{label} takes a time like 2026-11-24T09:30:00+02:00 or a date, got '{text}'"
                ),
            )
        })
}

/// When something happened, as a command states it: the time, and how the
/// front end's user wrote it (`--occurred-at 2026-11-24`), for the refusal if
/// it is in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub at: DateTime<Utc>,
    pub written: String,
}

impl When {
    /// Reads `text`, given as `label`, as when something happened (a date: its noon).
    pub fn parse(text: &str, label: &str) -> Result<When> {
        Ok(When {
            at: parse(text, label, Day::Noon)?,
            written: format!("{label} {text}"),
        })
    }

    /// A time from a program (already typed).
    pub fn at(at: DateTime<Utc>) -> When {
        When {
            at,
            written: format!("occurred-at {}", at.to_rfc3339()),
        }
    }
}

/// When the thing happened: `given`, or `now`; never in the future.
pub(crate) fn occurred(given: Option<&When>, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    match given {
        None => Ok(now),
        Some(when) if when.at > now => Err(reject(
            Code::InvalidInput,
            format!(
                "{} is in the future; record what has happened",
                when.written
            ),
        )),
        Some(when) => Ok(when.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_mean_a_moment_of_their_day() {
        let at = |text, day| parse(text, "--t", day).unwrap().to_rfc3339();
        assert_eq!(at("2026-11-24", Day::Noon), "2026-11-24T12:00:00+00:00");
        assert_eq!(at("2026-11-24", Day::End), "2026-11-24T23:59:59+00:00");
        assert_eq!(at("2026-11-24", Day::Start), "2026-11-24T00:00:00+00:00");
        assert_eq!(
            at("2026-11-24T09:30:00+02:00", Day::Noon),
            "2026-11-24T07:30:00+00:00"
        );
        let err = parse("yesterday", "--as-of", Day::End).unwrap_err();
        assert_eq!(err.code(), Some(Code::InvalidInput));
        assert_eq!(
            err.to_string(),
            "--as-of takes a time like 2026-11-24T09:30:00+02:00 or a date, got 'yesterday'"
        );
    }

    #[test]
    fn nothing_occurs_in_the_future() {
        let now = parse("2026-11-24", "now", Day::Noon).unwrap();
        let future = When::parse("2999-01-01", "--occurred-at").unwrap();
        assert_eq!(
            occurred(Some(&future), now).unwrap_err().to_string(),
            "--occurred-at 2999-01-01 is in the future; record what has happened"
        );
        assert_eq!(occurred(None, now).unwrap(), now);
    }
}
