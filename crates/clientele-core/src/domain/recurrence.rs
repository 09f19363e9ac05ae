//! Recurring tasks: a subset of RFC 5545 RRULE — `FREQ` (DAILY, WEEKLY, MONTHLY, YEARLY),
//! `INTERVAL`, and an end by `COUNT` or `UNTIL`. Occurrences keep their wall-clock time in the
//! task's zone (a call at 09:00 in Sofia stays at 09:00 across the change to summer time).
//! As in RFC 5545, a monthly or yearly rule skips the months that lack its day (a task on the
//! 31st recurs on the next 31st; on 29 February, in leap years).

use std::fmt;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::zone::{local_to_utc, utc_to_local};
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Freq {
    pub fn as_str(self) -> &'static str {
        match self {
            Freq::Daily => "DAILY",
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
            Freq::Yearly => "YEARLY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Never,
    /// This many occurrences in all (the first included).
    Count(u32),
    /// No occurrence after this instant.
    Until(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    pub end: End,
}

/// Occurrences are looked for this far at most (a rule whose every candidate is skipped, e.g.
/// yearly on 30 February, ends instead of looping).
const MAX_CANDIDATES: u32 = 10_000;

impl Rule {
    /// `FREQ=WEEKLY;INTERVAL=2;COUNT=10` (an `RRULE:` prefix is allowed).
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let bad = |m: String| FieldError::new(field, m);
        let s = input.trim();
        let s = s.strip_prefix("RRULE:").unwrap_or(s);
        let (mut freq, mut interval, mut count, mut until) = (None, 1u32, None, None);
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| bad(format!("`{part}` is not NAME=VALUE")))?;
            match k.trim().to_ascii_uppercase().as_str() {
                "FREQ" => {
                    freq = Some(match v.trim().to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        other => return Err(bad(format!("FREQ `{other}` is not DAILY, WEEKLY, MONTHLY or YEARLY"))),
                    })
                }
                "INTERVAL" => {
                    interval = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=999).contains(n))
                        .ok_or_else(|| bad("INTERVAL must be a whole number from 1 to 999".into()))?
                }
                "COUNT" => {
                    count = Some(
                        v.trim()
                            .parse::<u32>()
                            .ok()
                            .filter(|n| (1..=1000).contains(n))
                            .ok_or_else(|| bad("COUNT must be a whole number from 1 to 1000".into()))?,
                    )
                }
                "UNTIL" => {
                    until = Some(parse_until(v.trim()).ok_or_else(|| {
                        bad(format!("UNTIL `{v}` is not a date such as 20261231 or 20261231T235959Z"))
                    })?)
                }
                other => return Err(bad(format!("`{other}` is not supported (FREQ, INTERVAL, COUNT and UNTIL are)"))),
            }
        }
        let freq = freq.ok_or_else(|| bad("FREQ is required".into()))?;
        let end = match (count, until) {
            (Some(_), Some(_)) => return Err(bad("COUNT and UNTIL cannot both be given".into())),
            (Some(n), None) => End::Count(n),
            (None, Some(u)) => End::Until(u),
            (None, None) => End::Never,
        };
        Ok(Rule { freq, interval, end })
    }

    /// The n-th candidate (0 = the start) as a wall-clock time, or `None` when that month
    /// lacks the start's day.
    fn candidate(&self, start: NaiveDateTime, k: u32) -> Option<NaiveDateTime> {
        let n = k.checked_mul(self.interval)?;
        match self.freq {
            Freq::Daily => start.checked_add_signed(Duration::days(i64::from(n))),
            Freq::Weekly => start.checked_add_signed(Duration::weeks(i64::from(n))),
            Freq::Monthly | Freq::Yearly => {
                let months = if self.freq == Freq::Yearly { n.checked_mul(12)? } else { n };
                let first = NaiveDate::from_ymd_opt(start.year(), start.month(), 1)?;
                let m = first.checked_add_months(Months::new(months))?;
                NaiveDate::from_ymd_opt(m.year(), m.month(), start.day()).map(|d| d.and_time(start.time()))
            }
        }
    }

    /// Every occurrence of a series that starts at `start` (the first occurrence) in `tz`, in
    /// order, as (index, instant). Ends with the rule; bounded anyway.
    pub fn occurrences(&self, start: DateTime<Utc>, tz: Tz) -> Occurrences {
        Occurrences { rule: *self, local: utc_to_local(tz, start), tz, k: 0, index: 0 }
    }

    /// The occurrence that follows number `index` (0-based), if the series goes on.
    pub fn after(&self, start: DateTime<Utc>, tz: Tz, index: u32) -> Option<(u32, DateTime<Utc>)> {
        self.occurrences(start, tz).find(|(i, _)| *i == index + 1)
    }
}

fn parse_until(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S") {
        return Some(t.and_utc());
    }
    // A date alone includes that whole day.
    NaiveDate::parse_from_str(v, "%Y%m%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN).and_utc() + Duration::days(1) - Duration::seconds(1))
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        match self.end {
            End::Never => Ok(()),
            End::Count(n) => write!(f, ";COUNT={n}"),
            End::Until(u) => write!(f, ";UNTIL={}", u.format("%Y%m%dT%H%M%SZ")),
        }
    }
}

pub struct Occurrences {
    rule: Rule,
    local: NaiveDateTime,
    tz: Tz,
    k: u32,
    index: u32,
}

impl Iterator for Occurrences {
    type Item = (u32, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.k < MAX_CANDIDATES {
            if let End::Count(n) = self.rule.end
                && self.index >= n
            {
                return None;
            }
            let k = self.k;
            self.k += 1;
            let Some(local) = self.rule.candidate(self.local, k) else {
                if matches!(self.rule.freq, Freq::Monthly | Freq::Yearly) {
                    continue;
                }
                return None;
            };
            let at = local_to_utc(self.tz, local);
            if let End::Until(u) = self.rule.end
                && at > u
            {
                return None;
            }
            let i = self.index;
            self.index += 1;
            return Some((i, at));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zone::parse_time;

    fn at(s: &str) -> DateTime<Utc> {
        parse_time("t", s, Tz::UTC).unwrap()
    }

    fn local(tz: Tz, list: &[(u32, DateTime<Utc>)]) -> Vec<String> {
        list.iter().map(|(_, t)| utc_to_local(tz, *t).format("%Y-%m-%d %H:%M").to_string()).collect()
    }

    #[test]
    fn parses_and_prints_the_subset() {
        let r = Rule::parse("recurrence", "RRULE:FREQ=weekly;INTERVAL=2;COUNT=5").unwrap();
        assert_eq!(r, Rule { freq: Freq::Weekly, interval: 2, end: End::Count(5) });
        assert_eq!(r.to_string(), "FREQ=WEEKLY;INTERVAL=2;COUNT=5");
        let u = Rule::parse("r", "FREQ=DAILY;UNTIL=20260310").unwrap();
        assert_eq!(u.to_string(), "FREQ=DAILY;UNTIL=20260310T235959Z");
        for bad in [
            "",
            "FREQ=HOURLY",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;COUNT=2;UNTIL=20260101",
            "FREQ=DAILY;BYDAY=MO",
            "INTERVAL=2",
        ] {
            assert!(Rule::parse("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn daily_with_count_keeps_the_local_time_across_summer_time() {
        let tz = Tz::Europe__Sofia;
        let start = parse_time("t", "2026-03-27T09:00", tz).unwrap();
        let r = Rule::parse("r", "FREQ=DAILY;COUNT=4").unwrap();
        let all: Vec<_> = r.occurrences(start, tz).collect();
        assert_eq!(local(tz, &all), ["2026-03-27 09:00", "2026-03-28 09:00", "2026-03-29 09:00", "2026-03-30 09:00"]);
        // 07:00 UTC before the change, 06:00 UTC after it.
        assert_eq!(all[0].1.to_rfc3339(), "2026-03-27T07:00:00+00:00");
        assert_eq!(all[3].1.to_rfc3339(), "2026-03-30T06:00:00+00:00");
        assert_eq!(all.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    #[test]
    fn weekly_interval_until() {
        let r = Rule::parse("r", "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260401T000000Z").unwrap();
        let all: Vec<_> = r.occurrences(at("2026-03-02T10:00:00Z"), Tz::UTC).collect();
        assert_eq!(local(Tz::UTC, &all), ["2026-03-02 10:00", "2026-03-16 10:00", "2026-03-30 10:00"]);
    }

    #[test]
    fn monthly_on_the_31st_skips_short_months() {
        let r = Rule::parse("r", "FREQ=MONTHLY;COUNT=4").unwrap();
        let all: Vec<_> = r.occurrences(at("2026-01-31T08:00:00Z"), Tz::UTC).collect();
        assert_eq!(
            local(Tz::UTC, &all),
            ["2026-01-31 08:00", "2026-03-31 08:00", "2026-05-31 08:00", "2026-07-31 08:00"]
        );
    }

    #[test]
    fn yearly_on_leap_day() {
        let r = Rule::parse("r", "FREQ=YEARLY;COUNT=2").unwrap();
        let all: Vec<_> = r.occurrences(at("2024-02-29T12:00:00Z"), Tz::UTC).collect();
        assert_eq!(local(Tz::UTC, &all), ["2024-02-29 12:00", "2028-02-29 12:00"]);
    }

    #[test]
    fn the_next_occurrence_after_one_and_the_end_of_a_series() {
        let tz = Tz::Europe__Sofia;
        let start = parse_time("t", "2026-01-05T09:00", tz).unwrap();
        let r = Rule::parse("r", "FREQ=WEEKLY;COUNT=3").unwrap();
        let (i, next) = r.after(start, tz, 0).unwrap();
        assert_eq!((i, utc_to_local(tz, next).format("%Y-%m-%d %H:%M").to_string()), (1, "2026-01-12 09:00".into()));
        assert_eq!(r.after(start, tz, 1).map(|(i, _)| i), Some(2));
        assert_eq!(r.after(start, tz, 2), None);
        let open = Rule::parse("r", "FREQ=DAILY;INTERVAL=3").unwrap();
        assert_eq!(open.occurrences(start, tz).take(100).count(), 100);
    }
}
