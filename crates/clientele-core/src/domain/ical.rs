//! An RFC 5545 iCalendar document of a person's tasks, for calendar programs to subscribe to:
//! one VTIMEZONE for the person's zone (its offset changes over the years the events span),
//! a VEVENT per task with its start in that zone, reminders as VALARMs. Lines end in CRLF and
//! are folded at 75 octets; text values are escaped.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::zone::{offset_info, transitions, utc_to_local};

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub uid: String,
    pub start: DateTime<Utc>,
    pub all_day: bool,
    pub duration_minutes: Option<i32>,
    pub summary: String,
    pub description: Option<String>,
    pub cancelled: bool,
    pub done: bool,
    pub reminders: Vec<i32>,
    pub url: Option<String>,
    pub updated: DateTime<Utc>,
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so that no line is longer than 75 octets (a fold never
/// splits a UTF-8 character).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    let (h, m, s) = (a / 3600, (a % 3600) / 60, a % 60);
    if s != 0 { format!("{sign}{h:02}{m:02}{s:02}") } else { format!("{sign}{h:02}{m:02}") }
}

/// The VTIMEZONE of `tz` between `from` and `to`: one observance per offset change, each
/// starting at the wall-clock time (in the old offset) when it happened.
fn vtimezone(out: &mut String, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    let list = transitions(tz, from, to);
    if list.is_empty() {
        let (secs, name, daylight) = offset_info(tz, from);
        let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
        line(out, &format!("BEGIN:{kind}"));
        line(out, "DTSTART:19700101T000000");
        line(out, &format!("TZOFFSETFROM:{}", offset(secs)));
        line(out, &format!("TZOFFSETTO:{}", offset(secs)));
        if !name.is_empty() {
            line(out, &format!("TZNAME:{}", escape_text(&name)));
        }
        line(out, &format!("END:{kind}"));
    }
    for t in list {
        let kind = if t.daylight { "DAYLIGHT" } else { "STANDARD" };
        let local = (t.at + Duration::seconds(i64::from(t.from_secs))).naive_utc();
        line(out, &format!("BEGIN:{kind}"));
        line(out, &format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
        line(out, &format!("TZOFFSETFROM:{}", offset(t.from_secs)));
        line(out, &format!("TZOFFSETTO:{}", offset(t.to_secs)));
        if !t.name.is_empty() {
            line(out, &format!("TZNAME:{}", escape_text(&t.name)));
        }
        line(out, &format!("END:{kind}"));
    }
    line(out, "END:VTIMEZONE");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The whole document. `name` is the calendar's display name; `now` its DTSTAMP.
pub fn calendar(name: &str, tz: Tz, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Clientele//Clientele CRM//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(name)));
    line(&mut out, &format!("X-WR-TIMEZONE:{}", tz.name()));
    // The zone's history over the years the events cover (and the current one).
    let first = events.iter().map(|e| e.start).min().unwrap_or(now).min(now);
    let last = events.iter().map(|e| e.start).max().unwrap_or(now).max(now);
    let from = Utc.with_ymd_and_hms(first.year() - 1, 1, 1, 0, 0, 0).single().unwrap_or(first);
    let to = Utc.with_ymd_and_hms(last.year() + 1, 12, 31, 0, 0, 0).single().unwrap_or(last);
    vtimezone(&mut out, tz, from, to);
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape_text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        line(&mut out, &format!("LAST-MODIFIED:{}", stamp(e.updated)));
        let local = utc_to_local(tz, e.start);
        if e.all_day {
            let day = local.date();
            line(&mut out, &format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
            line(&mut out, &format!("DTEND;VALUE=DATE:{}", (day + Duration::days(1)).format("%Y%m%d")));
            line(&mut out, "TRANSP:TRANSPARENT");
        } else {
            line(&mut out, &format!("DTSTART;TZID={}:{}", tz.name(), local.format("%Y%m%dT%H%M%S")));
            let end = e.start + Duration::minutes(i64::from(e.duration_minutes.unwrap_or(30)));
            line(&mut out, &format!("DTEND;TZID={}:{}", tz.name(), utc_to_local(tz, end).format("%Y%m%dT%H%M%S")));
        }
        let summary = if e.done { format!("✓ {}", e.summary) } else { e.summary.clone() };
        line(&mut out, &format!("SUMMARY:{}", escape_text(&summary)));
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", escape_text(d)));
        }
        if let Some(u) = &e.url {
            line(&mut out, &format!("URL:{}", u.replace(['\r', '\n'], "")));
        }
        line(&mut out, &format!("STATUS:{}", if e.cancelled { "CANCELLED" } else { "CONFIRMED" }));
        if !e.done && !e.cancelled {
            for m in &e.reminders {
                line(&mut out, "BEGIN:VALARM");
                line(&mut out, "ACTION:DISPLAY");
                line(&mut out, &format!("DESCRIPTION:{}", escape_text(&e.summary)));
                line(&mut out, &format!("TRIGGER:-PT{m}M"));
                line(&mut out, "END:VALARM");
            }
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zone::parse_time;

    fn event(summary: &str, start: DateTime<Utc>) -> Event {
        Event {
            uid: "t1@clientele".into(),
            start,
            all_day: false,
            duration_minutes: Some(45),
            summary: summary.into(),
            description: Some("line one\nline; two, three".into()),
            cancelled: false,
            done: false,
            reminders: vec![15],
            url: None,
            updated: start,
        }
    }

    #[test]
    fn events_start_in_the_owners_zone() {
        let tz = Tz::Europe__Sofia;
        let start = parse_time("t", "2026-07-01T09:00", tz).unwrap();
        let doc = calendar("Tasks", tz, &[event("Call Ivan", start)], start);
        assert!(doc.contains("DTSTART;TZID=Europe/Sofia:20260701T090000\r\n"), "{doc}");
        assert!(doc.contains("DTEND;TZID=Europe/Sofia:20260701T094500\r\n"));
        assert!(doc.contains("DESCRIPTION:line one\\nline\\; two\\, three\r\n"));
        assert!(doc.contains("TRIGGER:-PT15M\r\n"));
        // Summer and winter time of 2025–2027.
        assert!(doc.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20260329T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0300\r\nTZNAME:EEST\r\n"
        ));
        assert!(
            doc.contains("BEGIN:STANDARD\r\nDTSTART:20261025T040000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0200\r\n")
        );
        assert!(doc.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let tz = Tz::UTC;
        let start = parse_time("t", "2026-01-01T10:00:00Z", tz).unwrap();
        let doc = calendar("Задачи", tz, &[event(&"Позвонить клиенту ".repeat(10), start)], start);
        for l in doc.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = doc.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", "Позвонить клиенту ".repeat(10))));
        assert!(doc.contains(
            "TZID:UTC\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n"
        ));
    }

    #[test]
    fn all_day_events_are_dates() {
        let tz = Tz::Asia__Seoul;
        let start = parse_time("t", "2026-05-05T00:00", tz).unwrap();
        let mut e = event("Holiday", start);
        e.all_day = true;
        let doc = calendar("x", tz, &[e], start);
        assert!(doc.contains("DTSTART;VALUE=DATE:20260505\r\nDTEND;VALUE=DATE:20260506\r\n"));
    }
}
