//! Cron-like schedules: five fields (minute, hour, day of month, month, day of week) with
//! `*`, lists (`1,15`), ranges (`1-5`) and steps (`*/10`, `0-30/5`), evaluated in UTC.
//! Day of month and day of week combine as in cron: when both are restricted, either matches.

use chrono::{DateTime, Datelike, Duration, DurationRound, Timelike, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_any: bool,
    weekdays_any: bool,
}

fn field(spec: &str, name: &str, min: u32, max: u32) -> Result<(u64, bool), String> {
    let mut bits = 0_u64;
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("{name}: `{s}` is not a step"))?;
                if step == 0 {
                    return Err(format!("{name}: the step must be at least 1"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a: u32 = a.parse().map_err(|_| format!("{name}: `{a}` is not a number"))?;
            let b: u32 = b.parse().map_err(|_| format!("{name}: `{b}` is not a number"))?;
            (a, b)
        } else {
            let v: u32 = range.parse().map_err(|_| format!("{name}: `{range}` is not a number"))?;
            // `5/10` means from 5 to the end, every 10.
            if step > 1 { (v, max) } else { (v, v) }
        };
        // Day of week 7 is Sunday too.
        let top = if name == "day of week" { 7 } else { max };
        if lo < min || hi > top || lo > hi {
            return Err(format!("{name}: `{range}` is outside {min}-{max}"));
        }
        let mut v = lo;
        while v <= hi {
            let bit = if name == "day of week" && v == 7 { 0 } else { v };
            bits |= 1 << bit;
            v += step;
        }
    }
    Ok((bits, spec == "*"))
}

impl Cron {
    /// Parses a five-field expression; the error names the field in words.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let parts: Vec<&str> = match parts.as_slice() {
            ["@hourly"] => vec!["0", "*", "*", "*", "*"],
            ["@daily"] => vec!["0", "0", "*", "*", "*"],
            ["@weekly"] => vec!["0", "0", "*", "*", "0"],
            ["@monthly"] => vec!["0", "0", "1", "*", "*"],
            p if p.len() == 5 => p.to_vec(),
            _ => return Err("a schedule has five fields: minute hour day-of-month month day-of-week".into()),
        };
        let (minutes, _) = field(parts[0], "minute", 0, 59)?;
        let (hours, _) = field(parts[1], "hour", 0, 23)?;
        let (days, days_any) = field(parts[2], "day of month", 1, 31)?;
        let (months, _) = field(parts[3], "month", 1, 12)?;
        let (weekdays, weekdays_any) = field(parts[4], "day of week", 0, 6)?;
        Ok(Self { source: s.trim().to_owned(), minutes, hours, days, months, weekdays, days_any, weekdays_any })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn day_matches(&self, t: DateTime<Utc>) -> bool {
        let dom = self.days & (1 << t.day()) != 0;
        let dow = self.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
        match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (false, true) => dom,
            (true, false) => dow,
            (false, false) => dom || dow,
        }
    }

    /// The first slot strictly after `t` (to the minute); `None` when there is none within
    /// five years (a 31st of February).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut c = t.duration_trunc(Duration::minutes(1)).ok()? + Duration::minutes(1);
        let end = t + Duration::days(366 * 5);
        while c < end {
            if self.months & (1 << c.month()) == 0 || !self.day_matches(c) {
                c = (c + Duration::days(1)).with_hour(0)?.with_minute(0)?;
                continue;
            }
            if self.hours & (1 << c.hour()) == 0 {
                c = (c + Duration::hours(1)).with_minute(0)?;
                continue;
            }
            if self.minutes & (1 << c.minute()) == 0 {
                c += Duration::minutes(1);
                continue;
            }
            return Some(c);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap_or_default()
    }

    #[test]
    fn steps_lists_and_ranges() {
        let c = Cron::parse("*/15 * * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.next_after(at(2026, 1, 1, 10, 7)), Some(at(2026, 1, 1, 10, 15)));
        assert_eq!(c.next_after(at(2026, 1, 1, 10, 45)), Some(at(2026, 1, 1, 11, 0)));
        let c = Cron::parse("30 9 * * 1-5").unwrap_or_else(|e| panic!("{e}"));
        // 2026-01-02 is a Friday: the next weekday 09:30 after Friday noon is Monday.
        assert_eq!(c.next_after(at(2026, 1, 2, 12, 0)), Some(at(2026, 1, 5, 9, 30)));
        let c = Cron::parse("0 0 1,15 * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.next_after(at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 15, 0, 0)));
        let c = Cron::parse("@hourly").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.next_after(at(2026, 1, 1, 23, 59)), Some(at(2026, 1, 2, 0, 0)));
        let c = Cron::parse("0 12 * * 7").unwrap_or_else(|e| panic!("{e}"));
        // Sunday as 7.
        assert_eq!(c.next_after(at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 4, 12, 0)));
    }

    #[test]
    fn impossible_and_bad_schedules() {
        assert_eq!(Cron::parse("0 0 31 2 *").map(|c| c.next_after(at(2026, 1, 1, 0, 0))), Ok(None));
        assert!(Cron::parse("61 * * * *").unwrap_err().contains("minute"));
        assert!(Cron::parse("* 24 * * *").unwrap_err().contains("hour"));
        assert!(Cron::parse("* * * *").unwrap_err().contains("five fields"));
        assert!(Cron::parse("*/0 * * * *").unwrap_err().contains("step"));
        assert!(Cron::parse("x * * * *").unwrap_err().contains("minute"));
    }
}
