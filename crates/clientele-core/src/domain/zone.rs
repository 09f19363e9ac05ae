//! Time zones (the IANA database, through chrono-tz): stored times are UTC; a person's local
//! times are read and shown in their zone. A wall-clock time that a zone skips (the hour the
//! clocks go forward) moves to the first valid minute after it; one that happens twice (the
//! hour they go back) is the earlier of the two.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::error::FieldError;

/// A zone by its IANA name (`Europe/Sofia`), or `UTC`.
pub fn parse_zone(field: &str, name: &str) -> Result<Tz, FieldError> {
    let s = name.trim();
    if s.is_empty() {
        return Ok(Tz::UTC);
    }
    s.parse::<Tz>()
        .map_err(|_| FieldError::new(field, format!("`{s}` is not a time zone name like Europe/Paris or UTC")))
}

/// The zone of a stored name; UTC for a name this build does not know (never fails).
pub fn zone_or_utc(name: &str) -> Tz {
    name.parse::<Tz>().unwrap_or(Tz::UTC)
}

/// Every zone name, for pickers.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// A wall-clock time in `tz` as UTC (skipped times move forward, repeated ones take the first).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: the first minute that exists after it (gaps are at most a few hours).
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// UTC as a wall-clock time in `tz`.
pub fn utc_to_local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// The start of a local day in `tz`, as UTC.
pub fn day_start(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    local_to_utc(tz, d.and_time(NaiveTime::MIN))
}

/// Reads `2026-03-02T09:00`, `2026-03-02 09:00[:ss]` (wall-clock time in `tz`) or an RFC 3339
/// time with an offset (`2026-03-02T07:00:00Z`).
pub fn parse_time(field: &str, input: &str, tz: Tz) -> Result<DateTime<Utc>, FieldError> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(l) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(local_to_utc(tz, l));
        }
    }
    Err(FieldError::new(field, format!("`{s}` is not a time like 2026-03-02T09:00 or 2026-03-02T07:00:00Z")))
}

/// One change of a zone's offset: the instant, the offsets before and after (seconds east of
/// UTC), the abbreviation after, and whether the new offset is summer time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    pub from_secs: i32,
    pub to_secs: i32,
    pub name: String,
    pub daylight: bool,
}

fn offset_at(tz: Tz, t: DateTime<Utc>) -> (i32, String, bool) {
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    let daylight = o.dst_offset().num_seconds() != 0;
    let name = o.abbreviation().map(str::to_owned).unwrap_or_default();
    (o.fix().local_minus_utc(), name, daylight)
}

/// The offset in force at `t`, with its abbreviation and whether it is summer time.
pub fn offset_info(tz: Tz, t: DateTime<Utc>) -> (i32, String, bool) {
    offset_at(tz, t)
}

/// The zone's offset changes between `from` and `to`, found by stepping a day at a time and
/// narrowing each change down to the second (zones change at most a few times a year).
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut t = DateTime::from_timestamp(from.timestamp(), 0).unwrap_or(from);
    let (mut off, _, _) = offset_at(tz, t);
    while t < to {
        let next = (t + Duration::hours(12)).min(to);
        let (o, _, _) = offset_at(tz, next);
        if o != off {
            // Binary search for the first second with the new offset.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let at = DateTime::from_timestamp(mid, 0).unwrap_or(t);
                if offset_at(tz, at).0 == off { lo = mid } else { hi = mid }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            let (to_secs, name, daylight) = offset_at(tz, hi);
            out.push(Transition { at: hi, from_secs: off, to_secs, name, daylight });
            off = o;
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_parse_by_iana_name() {
        assert_eq!(parse_zone("tz", "Europe/Sofia").unwrap(), Tz::Europe__Sofia);
        assert_eq!(parse_zone("tz", "").unwrap(), Tz::UTC);
        assert!(parse_zone("tz", "Mars/Olympus").is_err());
        assert!(zone_names().any(|n| n == "Asia/Seoul"));
    }

    #[test]
    fn nine_in_sofia_is_seven_utc_in_winter_and_six_in_summer() {
        let tz = Tz::Europe__Sofia;
        let winter = parse_time("due_at", "2026-01-15T09:00", tz).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-15T07:00:00+00:00");
        let summer = parse_time("due_at", "2026-07-15 09:00", tz).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-07-15T06:00:00+00:00");
        assert_eq!(utc_to_local(tz, summer).format("%H:%M").to_string(), "09:00");
        let explicit = parse_time("due_at", "2026-07-15T06:00:00Z", tz).unwrap();
        assert_eq!(explicit, summer);
        assert!(parse_time("due_at", "tomorrow", tz).is_err());
    }

    #[test]
    fn skipped_and_repeated_wall_clock_times() {
        let tz = Tz::Europe__Sofia;
        // 2026-03-29 03:00 → 04:00 in Sofia: 03:30 does not exist and moves to 04:00 (01:00 UTC).
        let gap = parse_time("t", "2026-03-29T03:30", tz).unwrap();
        assert_eq!(gap.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        // 2026-10-25 04:00 → 03:00: 03:30 happens twice; the first (00:30 UTC) is taken.
        let twice = parse_time("t", "2026-10-25T03:30", tz).unwrap();
        assert_eq!(twice.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn transitions_of_a_year() {
        let tz = Tz::Europe__Sofia;
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let t = transitions(tz, from, to);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].at.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        assert_eq!((t[0].from_secs, t[0].to_secs, t[0].daylight), (7200, 10800, true));
        assert_eq!(t[0].name, "EEST");
        assert_eq!(t[1].at.to_rfc3339(), "2026-10-25T01:00:00+00:00");
        assert!(!t[1].daylight);
        assert!(transitions(Tz::UTC, from, to).is_empty());
        assert!(transitions(Tz::Asia__Seoul, from, to).is_empty());
    }
}
