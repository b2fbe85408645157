//! A user's tasks as an RFC 5545 iCalendar document, served at a per-user secret URL so that
//! calendar apps (Google, Apple, Outlook, Thunderbird) subscribe to it and remind the user.
//!
//! Choices made here:
//! - Timed events are zero-length (DTEND = DTSTART). A due time is a deadline, not a block of
//!   work: a 30-minute event would claim time after the deadline, and zero length needs no
//!   wall-clock arithmetic across DST gaps. Events are TRANSP:TRANSPARENT so they never make
//!   the user look busy.
//! - A zone that is UTC throughout the covered range (UTC, Etc/UTC, ...) is written in the UTC
//!   "…Z" form without a VTIMEZONE; every other zone uses TZID=<IANA name> plus a VTIMEZONE.
//! - Completed tasks: the caller passes only what should be shown. To-dos carry
//!   STATUS:COMPLETED / NEEDS-ACTION; events are rendered unchanged (STATUS:CONFIRMED).
//! - Reminders of all-day tasks are relative to the start (00:00 local) of the due date.
//! - Output is a pure function of the inputs (task order is kept, reminders are sorted and
//!   deduplicated), so it can be served with an ETag.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone, TimeZoneTransition};
use uuid::Uuid;

/// Which component each task becomes. Events are what every calendar app shows and alarms on
/// (Google and Apple ignore VTODO in subscriptions); to-dos suit apps with task lists
/// (Thunderbird, some CalDAV clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Components {
    Events,
    Todos,
}

#[derive(Debug, Clone, Copy)]
pub struct FeedTask<'a> {
    pub id: Uuid,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub completed: bool,
    /// A calendar date in the user's zone.
    pub due_date: NaiveDate,
    /// Wall-clock time in the user's zone; `None` = all-day.
    pub due_time: Option<NaiveTime>,
    /// An already-validated RRULE value such as `FREQ=WEEKLY;BYDAY=MO,TH` (no `RRULE:` prefix).
    pub recurrence: Option<&'a str>,
    /// Minutes before the due time (0 = at the due time); for all-day tasks, before 00:00
    /// local of the due date.
    pub reminders: &'a [u32],
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy)]
pub struct Feed<'a> {
    pub calendar_name: &'a str,
    pub time_zone: &'a TimeZone,
    /// The IANA name of `time_zone`, e.g. "Europe/Berlin".
    pub time_zone_name: &'a str,
    pub product_id: &'a str,
    /// UIDs are "<task id>@<host>".
    pub host: &'a str,
    pub components: Components,
    /// Written as DTSTAMP.
    pub now: DateTime<Utc>,
}

/// RFC 5545 §3.1: content lines are folded so that no physical line exceeds 75 octets.
const MAX_LINE_OCTETS: usize = 75;
/// The VTIMEZONE covers at least a year before the earliest timed due date …
const ZONE_LOOKBACK_SECONDS: i64 = 366 * 86_400;
/// … and five years after the latest, because recurring series go on past their first date.
const ZONE_LOOKAHEAD_SECONDS: i64 = 5 * 366 * 86_400;

/// The whole VCALENDAR text: CRLF line endings, lines folded at 75 octets (never inside a
/// UTF-8 character), text values escaped.
pub fn render(feed: &Feed<'_>, tasks: &[FeedTask<'_>]) -> String {
    let mut out = String::with_capacity(1024 + tasks.len() * 512);
    let clock = Clock::for_tasks(feed.time_zone, tasks);
    line(&mut out, "BEGIN", "VCALENDAR");
    line(&mut out, "VERSION", "2.0");
    line(&mut out, "PRODID", &escape_text(feed.product_id));
    line(&mut out, "CALSCALE", "GREGORIAN");
    line(&mut out, "METHOD", "PUBLISH");
    line(&mut out, "NAME", &escape_text(feed.calendar_name)); // RFC 7986
    line(&mut out, "X-WR-CALNAME", &escape_text(feed.calendar_name)); // Apple, Google, Outlook
    line(&mut out, "X-WR-TIMEZONE", &escape_text(feed.time_zone_name));
    // Refresh hints: RFC 7986 and the older Microsoft property.
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
    line(&mut out, "X-PUBLISHED-TTL", "PT1H");
    if let Clock::Zoned(observances) = &clock {
        write_vtimezone(&mut out, feed.time_zone_name, observances);
    }
    for task in tasks {
        write_task(&mut out, feed, &clock, task);
    }
    line(&mut out, "END", "VCALENDAR");
    out
}

/// How timed tasks' DATE-TIME values are written.
enum Clock {
    /// The zone is UTC throughout the covered range: "…Z" values, no VTIMEZONE needed.
    Utc,
    /// Local wall time with TZID, defined by a VTIMEZONE with these observances (empty when
    /// no task has a time, so nothing refers to the zone).
    Zoned(Vec<Observance>),
}

/// `rule` with its UNTIL written in DTSTART's value type, as RFC 5545 §3.3.10 requires: a
/// date after an all-day DTSTART, a UTC date-time after a timed one. A task's rule ends on
/// its UNTIL date, whatever time of day UNTIL gives, so a timed series ends at the last
/// second of that date in the owner's zone. A rule without UNTIL is returned as it is.
fn until_like_start(rule: &str, timed: bool, zone: &TimeZone) -> String {
    let parts = rule
        .split(';')
        .map(|part| match part.strip_prefix("UNTIL=") {
            Some(until) => {
                let date = until.get(..8).unwrap_or(until);
                let written = if timed {
                    end_of_day_utc(date, zone)
                } else {
                    None
                };
                format!("UNTIL={}", written.as_deref().unwrap_or(date))
            }
            None => part.to_owned(),
        });
    parts.collect::<Vec<_>>().join(";")
}

/// The last second of `YYYYMMDD` in `zone`, as a UTC `YYYYMMDDTHHMMSSZ`.
fn end_of_day_utc(date: &str, zone: &TimeZone) -> Option<String> {
    let date = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
    let day = jiff::civil::Date::new(
        i16::try_from(date.year()).ok()?,
        i8::try_from(date.month()).ok()?,
        i8::try_from(date.day()).ok()?,
    )
    .ok()?;
    // The later reading of a repeated hour: the last second the date has.
    let last_second = zone
        .to_ambiguous_zoned_datetime(day.at(23, 59, 59, 0))
        .later()
        .ok()?;
    Some(
        last_second
            .timestamp()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string(),
    )
}

/// One STANDARD or DAYLIGHT sub-component of a VTIMEZONE.
struct Observance {
    daylight: bool,
    /// Local time of the onset, in the offset in effect before it (RFC 5545 §3.6.5).
    onset: String,
    from: Offset,
    to: Offset,
    name: String,
}

impl Clock {
    fn for_tasks(tz: &TimeZone, tasks: &[FeedTask<'_>]) -> Clock {
        let Some((start, end)) = coverage(tasks) else {
            return Clock::Zoned(Vec::new());
        };
        let observances = observances(tz, start, end);
        match observances.as_slice() {
            [only] if only.from == Offset::UTC && only.to == Offset::UTC => Clock::Utc,
            _ => Clock::Zoned(observances),
        }
    }
}

/// The span the VTIMEZONE must describe, or `None` when no task has a time.
fn coverage(tasks: &[FeedTask<'_>]) -> Option<(Timestamp, Timestamp)> {
    let mut dates = tasks
        .iter()
        .filter(|t| t.due_time.is_some())
        .map(|t| t.due_date);
    let first = dates.next()?;
    let (earliest, latest) = dates.fold((first, first), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let midnight_utc = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc().timestamp();
    let start = midnight_utc(earliest).saturating_sub(ZONE_LOOKBACK_SECONDS);
    let end = midnight_utc(latest).saturating_add(ZONE_LOOKAHEAD_SECONDS);
    Some((clamped_timestamp(start), clamped_timestamp(end)))
}

fn clamped_timestamp(seconds: i64) -> Timestamp {
    let seconds = seconds.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn observances(tz: &TimeZone, start: Timestamp, end: Timestamp) -> Vec<Observance> {
    let in_range: Vec<TimeZoneTransition<'_>> = tz
        .following(start)
        .take_while(|t| t.timestamp() <= end)
        .collect();
    if in_range.is_empty() {
        // No change in range (UTC, Asia/Tokyo): one STANDARD with the fixed offset.
        return vec![Observance::fixed(tz, start)];
    }
    // The observance in force at `start` (the last change at or before it) comes first, so that
    // times before the first in-range change have a defined offset.
    let first = Timestamp::from_second(start.as_second().saturating_add(1))
        .ok()
        .and_then(|after_start| tz.preceding(after_start).next())
        .map_or_else(
            || Observance::fixed(tz, start),
            |t| Observance::from_transition(tz, &t),
        );
    let changes = in_range.iter().map(|t| Observance::from_transition(tz, t));
    std::iter::once(first).chain(changes).collect()
}

impl Observance {
    /// The offset in force at `at`, as a standard-time observance from the conventional 1970
    /// onset.
    fn fixed(tz: &TimeZone, at: Timestamp) -> Observance {
        let info = tz.to_offset_info(at);
        Observance {
            daylight: false,
            onset: "19700101T000000".to_owned(),
            from: info.offset(),
            to: info.offset(),
            name: info.abbreviation().to_owned(),
        }
    }

    fn from_transition(tz: &TimeZone, transition: &TimeZoneTransition<'_>) -> Observance {
        let at = transition.timestamp();
        let before = Timestamp::from_second(at.as_second().saturating_sub(1))
            .map(|ts| tz.to_offset(ts))
            .unwrap_or(transition.offset());
        Observance {
            daylight: transition.dst().is_dst(),
            onset: before.to_datetime(at).strftime("%Y%m%dT%H%M%S").to_string(),
            from: before,
            to: transition.offset(),
            name: transition.abbreviation().to_owned(),
        }
    }
}

fn write_vtimezone(out: &mut String, tz_name: &str, observances: &[Observance]) {
    if observances.is_empty() {
        return;
    }
    line(out, "BEGIN", "VTIMEZONE");
    line(out, "TZID", &escape_text(tz_name));
    for observance in observances {
        let kind = if observance.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        line(out, "BEGIN", kind);
        line(out, "DTSTART", &observance.onset);
        line(out, "TZOFFSETFROM", &format_offset(observance.from));
        line(out, "TZOFFSETTO", &format_offset(observance.to));
        if !observance.name.is_empty() {
            line(out, "TZNAME", &escape_text(&observance.name));
        }
        line(out, "END", kind);
    }
    line(out, "END", "VTIMEZONE");
}

/// RFC 5545 UTC-OFFSET: ±HHMM, with seconds only when non-zero (historical LMT offsets).
fn format_offset(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (hours, minutes, seconds) = (abs / 3600, abs / 60 % 60, abs % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    }
}

fn write_task(out: &mut String, feed: &Feed<'_>, clock: &Clock, task: &FeedTask<'_>) {
    let component = match feed.components {
        Components::Events => "VEVENT",
        Components::Todos => "VTODO",
    };
    line(out, "BEGIN", component);
    let uid = format!("{}@{}", task.id, feed.host);
    line(out, "UID", &escape_text(&uid));
    line(out, "DTSTAMP", &utc_stamp(feed.now));
    line(out, "CREATED", &utc_stamp(task.created_at));
    line(out, "LAST-MODIFIED", &utc_stamp(task.updated_at));
    line(out, "SUMMARY", &escape_text(task.title));
    if let Some(description) = task.description.filter(|d| !d.is_empty()) {
        line(out, "DESCRIPTION", &escape_text(description));
    }
    let when = |out: &mut String, name: &str| match task.due_time {
        Some(time) => {
            let local = task.due_date.and_time(time).format("%Y%m%dT%H%M%S");
            match clock {
                Clock::Utc => line(out, name, &format!("{local}Z")),
                Clock::Zoned(_) => {
                    let head = format!("{name};TZID={}", param_value(feed.time_zone_name));
                    line(out, &head, &local.to_string());
                }
            }
        }
        None => line(
            out,
            &format!("{name};VALUE=DATE"),
            &format_date(task.due_date),
        ),
    };
    match feed.components {
        Components::Events => {
            when(out, "DTSTART");
            if task.due_time.is_some() {
                when(out, "DTEND"); // zero-length: a deadline, see the module docs
            } else if let Some(next_day) = task.due_date.succ_opt() {
                line(out, "DTEND;VALUE=DATE", &format_date(next_day));
            }
        }
        Components::Todos => {
            // RFC 5545 needs DTSTART to anchor an RRULE. Otherwise it is left out: clients
            // such as Thunderbird hide to-dos whose start lies in the future.
            if task.recurrence.is_some() {
                when(out, "DTSTART");
            }
            when(out, "DUE");
        }
    }
    if let Some(rule) = task.recurrence {
        // Validated upstream; dropping control characters still rules out injected lines.
        let rule: String = rule.chars().filter(|c| !c.is_control()).collect();
        line(
            out,
            "RRULE",
            &until_like_start(&rule, task.due_time.is_some(), feed.time_zone),
        );
    }
    let status = match (feed.components, task.completed) {
        (Components::Events, _) => "CONFIRMED",
        (Components::Todos, true) => "COMPLETED",
        (Components::Todos, false) => "NEEDS-ACTION",
    };
    line(out, "STATUS", status);
    let trigger = match feed.components {
        Components::Events => {
            line(out, "TRANSP", "TRANSPARENT");
            "TRIGGER"
        }
        // A VTODO's alarm defaults to DTSTART; the reminder is about DUE.
        Components::Todos => "TRIGGER;RELATED=END",
    };
    let minutes_before: BTreeSet<u32> = task.reminders.iter().copied().collect();
    for minutes in minutes_before {
        line(out, "BEGIN", "VALARM");
        line(out, "ACTION", "DISPLAY");
        line(out, "DESCRIPTION", &escape_text(task.title));
        let offset = if minutes == 0 {
            "PT0M".to_owned()
        } else {
            format!("-PT{minutes}M")
        };
        line(out, trigger, &offset);
        line(out, "END", "VALARM");
    }
    line(out, "END", component);
}

fn format_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn utc_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 §3.3.11 TEXT: escapes `\ ; ,` and line breaks (CRLF, LF or CR → `\n`); other
/// control characters are not allowed in TEXT and are dropped (TAB is allowed and kept).
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_cr = false;
    for c in text.chars() {
        let was_after_cr = std::mem::replace(&mut after_cr, c == '\r');
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' if was_after_cr => {} // second half of CRLF, already written
            '\r' | '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (RFC 5545 §3.2): quoted when it holds `;`, `:` or `,`. DQUOTE and control
/// characters cannot be represented and are dropped.
fn param_value(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if clean.contains([';', ':', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// Appends the content line `head:value`, folded: each physical line holds at most 75 octets
/// (a continuation's leading space included) and breaks only between characters.
fn line(out: &mut String, head: &str, value: &str) {
    let content = format!("{head}:{value}");
    let mut rest = content.as_str();
    let mut budget = MAX_LINE_OCTETS;
    while rest.len() > budget {
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1; // at most 3 steps back: budget ≥ 74 so a cut always exists
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        budget = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::parser::{Component, read_calendar, unfold};

    /// Escapable characters, a newline, an emoji and 100 CJK characters that force folding.
    fn tricky_title() -> String {
        format!(
            "Pay rent; call Bob, Alice \\ Co\nthen 🎉 {}",
            "日本語の".repeat(25)
        )
    }

    fn at(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn task(title: &str, date: NaiveDate, hm: Option<(u32, u32)>) -> FeedTask<'_> {
        let stamp = at(2026, 5, 1)
            .and_hms_opt(12, 0, 0)
            .expect("valid time")
            .and_utc();
        let days = u128::from(date.num_days_from_ce().unsigned_abs());
        FeedTask {
            id: Uuid::from_u128(days << 64 | title.len() as u128),
            title,
            description: None,
            completed: false,
            due_date: date,
            due_time: hm.and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0)),
            recurrence: None,
            reminders: &[],
            updated_at: stamp,
            created_at: stamp,
        }
    }

    fn render_in(zone: &str, components: Components, tasks: &[FeedTask<'_>]) -> String {
        let tz = TimeZone::get(zone).expect("zone in bundled tzdb");
        let feed = Feed {
            calendar_name: "Todo — Ada",
            time_zone: &tz,
            time_zone_name: zone,
            product_id: "-//todo-k8s//Todo 0.1.0//EN",
            host: "todo.example",
            components,
            now: at(2026, 5, 2)
                .and_hms_opt(8, 0, 0)
                .expect("valid time")
                .and_utc(),
        };
        render(&feed, tasks)
    }

    fn val<'c>(component: &'c Component<'_>, name: &str) -> &'c str {
        component
            .find_prop(name)
            .map_or("<missing>", |p| p.val.as_str())
    }

    /// The value and one parameter of a property.
    fn with<'c>(c: &'c Component<'_>, name: &str, key: &str) -> (&'c str, Option<&'c str>) {
        let params = c
            .find_prop(name)
            .map(|p| p.params.as_slice())
            .unwrap_or_default();
        let param = params
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| p.val.as_ref());
        (val(c, name), param.map(|v| v.as_str()))
    }

    fn triggers<'c>(component: &'c Component<'_>) -> Vec<(&'c str, Option<&'c str>)> {
        let alarms = component.components.iter().filter(|c| c.name == "VALARM");
        alarms.map(|a| with(a, "TRIGGER", "RELATED")).collect()
    }

    #[test]
    fn events_parse_back_with_properties_parameters_and_escaped_text() {
        let title = tricky_title();
        let mut timed = task(&title, at(2026, 6, 15), Some((9, 30)));
        timed.description = Some("line one\r\nline two\u{7}");
        timed.recurrence = Some("FREQ=WEEKLY;BYDAY=MO,TH");
        timed.reminders = &[15, 0, 15];
        let mut all_day = task("Birthday", at(2026, 12, 31), None);
        all_day.reminders = &[60];
        let uid = format!("{}@todo.example", timed.id);
        let unfolded = unfold(&render_in(
            "Europe/Berlin",
            Components::Events,
            &[timed, all_day],
        ));
        let escaped = "\r\nSUMMARY:Pay rent\\; call Bob\\, Alice \\\\ Co\\nthen 🎉 日本語の";
        assert!(unfolded.contains(escaped), "{unfolded}");

        let cal = read_calendar(&unfolded).expect("output parses");
        let root = Component {
            name: "VCALENDAR".into(),
            properties: cal.properties,
            components: vec![],
        };
        for (name, want) in [
            ("VERSION", "2.0"),
            ("PRODID", "-//todo-k8s//Todo 0.1.0//EN"),
            ("CALSCALE", "GREGORIAN"),
            ("METHOD", "PUBLISH"),
            ("X-WR-CALNAME", "Todo — Ada"),
            ("X-WR-TIMEZONE", "Europe/Berlin"),
            ("X-PUBLISHED-TTL", "PT1H"),
        ] {
            assert_eq!(val(&root, name), want, "{name}");
        }
        assert_eq!(
            with(&root, "REFRESH-INTERVAL", "VALUE"),
            ("PT1H", Some("DURATION"))
        );
        let names: Vec<&str> = cal.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["VTIMEZONE", "VEVENT", "VEVENT"]);
        assert_eq!(val(&cal.components[0], "TZID"), "Europe/Berlin");

        let event = &cal.components[1];
        assert_eq!(val(event, "SUMMARY"), title);
        assert_eq!(val(event, "DESCRIPTION"), "line one\nline two");
        for name in ["DTSTART", "DTEND"] {
            assert_eq!(
                with(event, name, "TZID"),
                ("20260615T093000", Some("Europe/Berlin"))
            );
        }
        assert_eq!(val(event, "RRULE"), "FREQ=WEEKLY;BYDAY=MO,TH");
        assert_eq!(val(event, "UID"), uid);
        assert_eq!(val(event, "DTSTAMP"), "20260502T080000Z");
        assert_eq!(val(event, "LAST-MODIFIED"), "20260501T120000Z");
        assert_eq!(val(event, "STATUS"), "CONFIRMED");
        assert_eq!(triggers(event), [("PT0M", None), ("-PT15M", None)]);
        let alarm_texts = event
            .components
            .iter()
            .map(|a| (val(a, "ACTION"), val(a, "DESCRIPTION")));
        assert!(
            alarm_texts
                .into_iter()
                .all(|texts| texts == ("DISPLAY", title.as_str()))
        );

        let birthday = &cal.components[2];
        assert_eq!(
            with(birthday, "DTSTART", "VALUE"),
            ("20261231", Some("DATE"))
        );
        assert_eq!(with(birthday, "DTEND", "VALUE"), ("20270101", Some("DATE")));
        assert!(birthday.find_prop("RRULE").is_none());
        assert_eq!(triggers(birthday), [("-PT60M", None)]);
    }

    /// RFC 5545 wants UNTIL in DTSTART's value type. A task's series ends on its UNTIL date
    /// whichever way the rule gives it; a calendar app expanding the feed's rule must agree.
    #[test]
    fn until_takes_the_value_type_of_the_start_and_keeps_the_last_date() {
        let mut timed = task("Stand-up", at(2026, 6, 1), Some((9, 30)));
        timed.recurrence = Some("FREQ=DAILY;UNTIL=20260630");
        let mut all_day = task("Log hours", at(2026, 6, 1), None);
        all_day.recurrence = Some("FREQ=WEEKLY;UNTIL=20260629T120000Z");
        let mut open_ended = task("Stretch", at(2026, 6, 1), Some((7, 0)));
        open_ended.recurrence = Some("FREQ=DAILY;COUNT=3");
        let text = render_in(
            "Europe/Berlin",
            Components::Events,
            &[timed, all_day, open_ended],
        );
        let unfolded = unfold(&text);
        let cal = read_calendar(&unfolded).expect("output parses");
        let rules: Vec<&str> = cal.components[1..]
            .iter()
            .map(|c| val(c, "RRULE"))
            .collect();
        assert_eq!(
            rules,
            [
                "FREQ=DAILY;UNTIL=20260630T215959Z",
                "FREQ=WEEKLY;UNTIL=20260629",
                "FREQ=DAILY;COUNT=3"
            ]
        );
        // A calendar library expands the timed series to the UNTIL date, inclusive.
        let expanded: rrule::RRuleSet = format!(
            "DTSTART;TZID=Europe/Berlin:20260601T093000\nRRULE:{}",
            rules[0]
        )
        .parse()
        .expect("the rrule crate takes a UTC UNTIL after a zoned DTSTART");
        let dates = expanded.all(100).dates;
        assert_eq!(dates.len(), 30);
        assert_eq!(
            dates.last().map(|d| d.naive_local()),
            at(2026, 6, 30).and_hms_opt(9, 30, 0)
        );

        let in_utc = render_in("UTC", Components::Events, &[timed]);
        assert!(in_utc.contains("RRULE:FREQ=DAILY;UNTIL=20260630T235959Z\r\n"));
    }

    #[test]
    fn todos_use_due_related_alarms_and_status() {
        let mut recurring = task("Water plants", at(2026, 3, 2), Some((7, 5)));
        recurring.recurrence = Some("FREQ=DAILY");
        recurring.reminders = &[10];
        recurring.completed = true;
        let tasks = [
            recurring,
            task("Once", at(2026, 3, 3), Some((8, 0))),
            task("Taxes", at(2026, 5, 31), None),
        ];
        let unfolded = unfold(&render_in("America/New_York", Components::Todos, &tasks));
        let cal = read_calendar(&unfolded).expect("output parses");
        let [_, recurring, once, all_day] = cal.components.as_slice() else {
            panic!("expected a VTIMEZONE and 3 VTODOs: {unfolded}");
        };
        assert_eq!(once.name.as_str(), "VTODO");
        for name in ["DTSTART", "DUE"] {
            assert_eq!(
                with(recurring, name, "TZID"),
                ("20260302T070500", Some("America/New_York"))
            );
        }
        assert_eq!(val(recurring, "STATUS"), "COMPLETED");
        assert_eq!(triggers(recurring), [("-PT10M", Some("END"))]);
        assert!(once.find_prop("DTSTART").is_none() && once.find_prop("DTEND").is_none());
        assert_eq!(val(once, "STATUS"), "NEEDS-ACTION");
        assert_eq!(with(all_day, "DUE", "VALUE"), ("20260531", Some("DATE")));
    }

    #[test]
    fn lines_are_folded_at_75_octets_on_character_boundaries() {
        let title = tricky_title();
        let tasks = [task(&title, at(2026, 1, 1), Some((0, 0)))];
        let text = render_in("Asia/Tokyo", Components::Events, &tasks);
        let body = text
            .as_bytes()
            .strip_suffix(b"\n")
            .expect("ends with a line break");
        let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
        for physical in &lines {
            let physical = physical
                .strip_suffix(b"\r")
                .expect("every line ends with CRLF");
            assert!(!physical.contains(&b'\r'), "bare CR");
            assert!(
                physical.len() <= MAX_LINE_OCTETS,
                "{} octets",
                physical.len()
            );
            assert!(
                std::str::from_utf8(physical).is_ok(),
                "folding split a UTF-8 sequence"
            );
        }
        assert!(
            lines.iter().filter(|l| l.starts_with(b" ")).count() >= 4,
            "title folded"
        );
    }

    /// [kind, DTSTART, TZOFFSETFROM, TZOFFSETTO, TZNAME] of each VTIMEZONE observance.
    fn observances_of(zone: &str) -> Vec<[String; 5]> {
        let text = render_in(
            zone,
            Components::Events,
            &[task("x", at(2026, 6, 1), Some((12, 0)))],
        );
        let unfolded = unfold(&text);
        let cal = read_calendar(&unfolded).expect("output parses");
        let vtimezone = cal
            .components
            .iter()
            .find(|c| c.name == "VTIMEZONE")
            .expect("VTIMEZONE");
        let fields = ["DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME"];
        let row = |o: &Component<'_>| {
            let [start, from, to, name] = fields.map(|n| val(o, n).to_owned());
            [o.name.as_str().to_owned(), start, from, to, name]
        };
        vtimezone.components.iter().map(row).collect()
    }

    #[test]
    fn vtimezone_has_the_2026_transitions() {
        let row = |r: [&str; 5]| r.map(str::to_owned);
        for (zone, spring, autumn) in [
            (
                "Europe/Berlin",
                ["DAYLIGHT", "20260329T020000", "+0100", "+0200", "CEST"],
                ["STANDARD", "20261025T030000", "+0200", "+0100", "CET"],
            ),
            (
                "America/New_York",
                ["DAYLIGHT", "20260308T020000", "-0500", "-0400", "EDT"],
                ["STANDARD", "20261101T020000", "-0400", "-0500", "EST"],
            ),
        ] {
            let observed = observances_of(zone);
            assert!(observed.contains(&row(spring)), "{zone}: {observed:?}");
            assert!(observed.contains(&row(autumn)), "{zone}: {observed:?}");
            // From a year before the task (the first onset is in force by then) to 5 years after.
            assert!(
                observed[0][1].as_str() <= "20250601T000000",
                "{zone}: {:?}",
                observed[0]
            );
            assert!(observed.iter().any(|o| o[1].starts_with("2031")), "{zone}");
        }
        let tokyo = ["STANDARD", "19700101T000000", "+0900", "+0900", "JST"];
        assert_eq!(observances_of("Asia/Tokyo"), [row(tokyo)]);
    }

    #[test]
    fn utc_uses_the_z_form_without_vtimezone() {
        let text = render_in(
            "UTC",
            Components::Events,
            &[task("x", at(2026, 6, 1), Some((12, 0)))],
        );
        assert!(text.contains("\r\nDTSTART:20260601T120000Z\r\n"), "{text}");
        assert!(
            !text.contains("VTIMEZONE") && !text.contains("TZID"),
            "{text}"
        );
        let all_day = render_in(
            "Europe/Berlin",
            Components::Events,
            &[task("x", at(2026, 6, 1), None)],
        );
        assert!(
            !all_day.contains("VTIMEZONE"),
            "no TZID is used, so no VTIMEZONE"
        );
    }

    #[test]
    fn output_is_deterministic() {
        let title = tricky_title();
        let render_once = || {
            let mut timed = task(&title, at(2026, 10, 25), Some((2, 30)));
            timed.reminders = &[30, 5];
            timed.recurrence = Some("FREQ=MONTHLY");
            render_in(
                "Europe/Berlin",
                Components::Todos,
                &[timed, task("b", at(2027, 1, 1), None)],
            )
        };
        assert_eq!(render_once(), render_once());
    }

    /// A hand-written check, independent of the parser crate: BEGIN/END nest properly and each
    /// VEVENT/VTODO has one UID, one DTSTAMP and exactly one start (DTSTART for events, DUE for
    /// to-dos, whose DTSTART is optional).
    #[test]
    fn components_have_the_required_properties() {
        let mut recurring = task("r", at(2026, 2, 1), Some((9, 0)));
        recurring.recurrence = Some("FREQ=WEEKLY");
        let tasks = [
            recurring,
            task("a", at(2026, 2, 2), None),
            task("b", at(2026, 2, 3), Some((1, 0))),
        ];
        for (components, kind, start, optional) in [
            (Components::Events, "VEVENT", "DTSTART", "DTEND"),
            (Components::Todos, "VTODO", "DUE", "DTSTART"),
        ] {
            let text = unfold(&render_in("Europe/Berlin", components, &tasks));
            let mut stack: Vec<&str> = Vec::new();
            let mut groups: Vec<Vec<&str>> = Vec::new(); // property names of each task component
            for content in text.split("\r\n").filter(|l| !l.is_empty()) {
                let (head, value) = content.split_once(':').expect("name:value");
                let name = head.split(';').next().unwrap_or(head);
                match name {
                    "BEGIN" if value == kind => {
                        stack.push(value);
                        groups.push(Vec::new());
                    }
                    "BEGIN" => stack.push(value),
                    "END" => assert_eq!(stack.pop(), Some(value), "unbalanced END:{value}"),
                    _ if stack.last() == Some(&kind) => {
                        groups.last_mut().into_iter().for_each(|g| g.push(name))
                    }
                    _ => {}
                }
            }
            assert!(stack.is_empty(), "unclosed {stack:?}");
            assert_eq!(groups.len(), tasks.len(), "one {kind} per task");
            for names in &groups {
                let count = |wanted: &str| names.iter().filter(|n| **n == wanted).count();
                assert_eq!(
                    (count("UID"), count("DTSTAMP"), count(start)),
                    (1, 1, 1),
                    "{names:?}"
                );
                assert!(count(optional) <= 1, "{kind}: {names:?}");
            }
        }
    }
}
