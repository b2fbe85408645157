//! Times, repeats and reminders as people say them: "at 9am", "at 14:30",
//! "every monday and thursday", "every 2 weeks", "daily", "remind me an
//! hour before". Each reader takes one whole phrase, as lower-case words,
//! and answers what it means or None; `new_task` peels such phrases off
//! the end of a command.
//!
//! The rules, which `docs/assistant.md` repeats:
//!
//! - A time needs "am"/"pm", a colon, or is "noon"/"midnight": "at 9am",
//!   "at 9:15pm", "at 14:30", "9 am". A bare "at 8" is not a time (8 in
//!   the morning or the evening?), so "dinner at 8" stays a title.
//! - A repeat is "every …"/"each …" (a weekday or several, "weekday",
//!   "weekend", "day", "week", "month", "year", "other …", "N days/weeks/
//!   months/years"), "daily"/"weekly"/"monthly"/"yearly"/"annually",
//!   "fortnightly", or plural weekdays ("on mondays and thursdays").
//! - A reminder lead is "remind me …/reminder …/with a reminder … before":
//!   amounts joined by "and" before one "before" add up ("1 hour and 30
//!   minutes before" is 90 minutes); each "before" is a reminder of its own.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::dates::weekday;
use crate::domain::Recurrence;

/// Minutes in a day and in a week.
const DAY: u32 = 24 * 60;
const WEEK: u32 = 7 * DAY;

/// A clock time: "9am", "9 am", "9:15pm", "12am" (midnight), "14:30",
/// "noon", "midnight", after an optional "at" (or "by", "around", "due
/// at").
pub fn time_phrase(words: &[&str]) -> Option<NaiveTime> {
    let words = match words {
        ["due", "at" | "by", rest @ ..] | ["at" | "by" | "around", rest @ ..] => rest,
        rest => rest,
    };
    match words {
        [one] => clock(one, None),
        [number, meridiem] => clock(number, Some(meridiem)),
        _ => None,
    }
}

/// "9", "9:15", "14:30", each maybe followed by am/pm (joined or apart).
fn clock(word: &str, meridiem: Option<&str>) -> Option<NaiveTime> {
    match (word, meridiem) {
        ("noon" | "midday", None) => return NaiveTime::from_hms_opt(12, 0, 0),
        ("midnight", None) => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let (digits, pm) = match meridiem {
        Some(m) => (word, Some(is_pm(m)?)),
        None => match word.find(|c: char| c.is_ascii_alphabetic()) {
            Some(at) => (&word[..at], Some(is_pm(&word[at..])?)),
            None => (word, None),
        },
    };
    let (hour, minute) = match digits.split_once(':') {
        Some((h, m)) if m.len() == 2 => (number(h)?, number(m)?),
        Some(_) => return None,
        // A bare hour is a time only with am or pm.
        None if pm.is_some() => (number(digits)?, 0),
        None => return None,
    };
    let hour = match pm {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(true) => hour % 12 + 12,
        Some(false) => hour % 12,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

fn is_pm(word: &str) -> Option<bool> {
    match word.trim_end_matches('.') {
        "am" | "a.m" => Some(false),
        "pm" | "p.m" => Some(true),
        _ => None,
    }
}

/// 1–2 ASCII digits.
fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A count as a digit string or a word ("a", "an", "one" … "twelve").
fn count(word: &str) -> Option<u32> {
    const WORDS: [&str; 12] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        _ => WORDS
            .iter()
            .position(|w| *w == word)
            .map(|i| i as u32 + 1)
            .or_else(|| {
                (word.len() <= 5 && word.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| word.parse().ok())
                    .flatten()
            }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    fn word(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// How a task repeats, as said: a frequency, every how many, and on which
/// weekdays (none: on the first date's own day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    pub frequency: Frequency,
    pub interval: u32,
    /// Monday first, no repeats.
    pub days: Vec<Weekday>,
}

impl Repeat {
    fn every(frequency: Frequency, interval: u32) -> Self {
        Self {
            frequency,
            interval,
            days: Vec::new(),
        }
    }

    fn on(interval: u32, mut days: Vec<Weekday>) -> Self {
        days.sort_by_key(|d| d.num_days_from_monday());
        days.dedup();
        Self {
            frequency: Frequency::Weekly,
            interval,
            days,
        }
    }

    /// The rule in the API's canonical form, for a series that starts on
    /// `first`. "Every month" from the 31st is the last day of each month
    /// (`BYMONTHDAY=-1`): only seven months have a 31st, and RFC 5545
    /// skips the others, which nobody saying "every month" means. From a
    /// 29th or 30th it stays that day, and February is skipped, as
    /// calendar apps do.
    pub fn rrule(&self, first: NaiveDate) -> String {
        let mut rule = format!("FREQ={}", self.frequency.word());
        if self.interval != 1 {
            rule.push_str(&format!(";INTERVAL={}", self.interval));
        }
        if !self.days.is_empty() {
            let codes: Vec<&str> = self.days.iter().map(|d| code(*d)).collect();
            rule.push_str(&format!(";BYDAY={}", codes.join(",")));
        }
        if self.frequency == Frequency::Monthly && first.day() == 31 {
            rule.push_str(";BYMONTHDAY=-1");
        }
        rule
    }

    /// The first due date and the rule when no date was said: the series
    /// is read as starting today (so "every month" said on the 31st is the
    /// month's last day), and its first day is the first not already past
    /// at `now` (the user's wall clock).
    pub fn start(&self, now: NaiveDateTime, time: Option<NaiveTime>) -> (NaiveDate, String) {
        (self.first_date(now, time), self.rrule(now.date()))
    }

    /// The first day of a series said to start on `from`: that day, or for
    /// a rule on named weekdays the first of them on or after it ("every
    /// monday starting dec 10" starts on Monday the 14th, not on the
    /// Thursday RFC 5545 would count as a first occurrence).
    pub fn first_from(&self, from: NaiveDate) -> NaiveDate {
        (0..7)
            .map(|n| from + Duration::days(n))
            .find(|day| self.days.is_empty() || self.days.contains(&day.weekday()))
            .unwrap_or(from)
    }

    /// Today when it fits the rule and `time` (the due time, if any) is
    /// still ahead. Otherwise: the next of the weekdays named, or, for a
    /// rule on the first date's own day, the rule's next date after today
    /// ("every week at 8am" said on Wednesday at 10:00 starts next
    /// Wednesday, so the series keeps today's weekday).
    fn first_date(&self, now: NaiveDateTime, time: Option<NaiveTime>) -> NaiveDate {
        let today = now.date();
        let ahead = time.is_none_or(|t| t > now.time());
        let fits = |day: NaiveDate| self.days.is_empty() || self.days.contains(&day.weekday());
        if fits(today) && ahead {
            return today;
        }
        if !self.days.is_empty() {
            return (1..=7)
                .map(|n| today + Duration::days(n))
                .find(|day| fits(*day))
                .unwrap_or(today);
        }
        Recurrence::parse(&self.rrule(today))
            .ok()
            .and_then(|rule| rule.next_occurrence(today))
            .map_or(today + Duration::days(1), |(next, _)| next)
    }
}

fn code(day: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][day.num_days_from_monday() as usize]
}

/// "monday", "mon", and the plural "mondays" (which only a repeat uses).
fn weekday_or_plural(word: &str) -> Option<(Weekday, bool)> {
    weekday(word).map(|d| (d, false)).or_else(|| {
        word.strip_suffix('s')
            .filter(|w| w.ends_with("day"))
            .and_then(weekday)
            .map(|d| (d, true))
    })
}

/// Weekdays listed as "monday and thursday", "mon, wed & fri" (the
/// commas already gone from the words), each singular or each plural.
fn weekday_list(words: &[&str]) -> Option<(Vec<Weekday>, bool)> {
    let mut days = Vec::new();
    let mut plural = None;
    let mut expect_day = true;
    for word in words {
        if expect_day {
            let (day, is_plural) = weekday_or_plural(word)?;
            if *plural.get_or_insert(is_plural) != is_plural {
                return None;
            }
            days.push(day);
            expect_day = false;
        } else if matches!(*word, "and" | "&") {
            expect_day = true;
        } else {
            let (day, is_plural) = weekday_or_plural(word)?;
            if plural != Some(is_plural) {
                return None;
            }
            days.push(day);
        }
    }
    (!days.is_empty() && !expect_day).then(|| (days, plural.unwrap_or(false)))
}

/// A repeat, as the module's rules say.
pub fn repeat_phrase(words: &[&str]) -> Option<Repeat> {
    use Frequency::{Daily, Monthly, Weekly, Yearly};
    let unit = |word: &str| -> Option<Frequency> {
        Some(match word {
            "day" | "days" => Daily,
            "week" | "weeks" => Weekly,
            "month" | "months" => Monthly,
            "year" | "years" => Yearly,
            _ => return None,
        })
    };
    match words {
        ["daily"] => Some(Repeat::every(Daily, 1)),
        ["weekly"] => Some(Repeat::every(Weekly, 1)),
        ["fortnightly"] => Some(Repeat::every(Weekly, 2)),
        ["monthly"] => Some(Repeat::every(Monthly, 1)),
        ["yearly" | "annually"] => Some(Repeat::every(Yearly, 1)),
        ["on", rest @ ..] => {
            let (days, plural) = weekday_list(rest).or_else(|| weekend_or_weekdays(rest))?;
            plural.then(|| Repeat::on(1, days))
        }
        ["every" | "each", rest @ ..] => {
            let (interval, rest) = match rest {
                ["other", rest @ ..] => (2, rest),
                [n, rest @ ..] if rest.len() == 1 && count(n).is_some() => (count(n)?, rest),
                rest => (1, rest),
            };
            match rest {
                [word] if unit(word).is_some() => {
                    let frequency = unit(word)?;
                    // "every 2 week" is fine; "every 2 day" too; "every week" needs no number.
                    Some(Repeat::every(frequency, interval))
                }
                ["weekday"] if interval == 1 => Some(Repeat::on(1, monday_to_friday())),
                ["weekend"] if interval == 1 => Some(Repeat::on(1, weekend())),
                days => {
                    let (days, plural) = weekday_list(days)?;
                    (!plural).then(|| Repeat::on(interval, days))
                }
            }
        }
        days => {
            let (days, plural) = weekday_list(days).or_else(|| weekend_or_weekdays(days))?;
            plural.then(|| Repeat::on(1, days))
        }
    }
}

/// "weekdays", "weekends" (plural: said of a repeat).
fn weekend_or_weekdays(words: &[&str]) -> Option<(Vec<Weekday>, bool)> {
    match words {
        ["weekdays"] => Some((monday_to_friday(), true)),
        ["weekends"] => Some((weekend(), true)),
        _ => None,
    }
}

fn monday_to_friday() -> Vec<Weekday> {
    vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
}

fn weekend() -> Vec<Weekday> {
    vec![Weekday::Sat, Weekday::Sun]
}

/// Reminder leads in minutes: "remind me an hour before", "reminder 30
/// minutes before", "with a reminder 1 hour and 30 minutes before",
/// "remind me a day before and an hour before", "remind me the day
/// before", "remind me at the due time" (0).
pub fn reminder_phrase(words: &[&str]) -> Option<Vec<u32>> {
    let rest = match words {
        ["remind", "me", rest @ ..]
        | ["and", "remind", "me", rest @ ..]
        | ["reminder" | "reminders", rest @ ..]
        | ["with", "a", "reminder", rest @ ..]
        | ["with", "reminders", rest @ ..] => rest,
        _ => return None,
    };
    if matches!(rest, ["at", "the", "due", "time"] | ["on", "time"]) {
        return Some(vec![0]);
    }
    let mut leads = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|w| matches!(*w, "before" | "early" | "earlier" | "ahead"))?;
        leads.push(lead(&rest[..end])?);
        rest = &rest[end + 1..];
        match rest {
            ["and", more @ ..] if !more.is_empty() => rest = more,
            [] => {}
            _ => return None,
        }
    }
    (!leads.is_empty()).then_some(leads)
}

/// "an hour", "30 minutes", "2 days", "half an hour", "the day", "1 hour
/// and 30 minutes" (added up), in minutes.
fn lead(words: &[&str]) -> Option<u32> {
    match words {
        ["half", "an", "hour"] => return Some(30),
        ["the", "day"] => return Some(DAY),
        ["the", "week"] => return Some(WEEK),
        [] => return None,
        _ => {}
    }
    let mut total: u32 = 0;
    let mut rest = words;
    loop {
        let [n, unit, more @ ..] = rest else {
            return None;
        };
        let per = match *unit {
            "minute" | "minutes" | "min" | "mins" => 1,
            "hour" | "hours" | "hr" | "hrs" | "h" => 60,
            "day" | "days" => DAY,
            "week" | "weeks" => WEEK,
            _ => return None,
        };
        total = total.checked_add(count(n)?.checked_mul(per)?)?;
        match more {
            [] => return Some(total),
            ["and", more @ ..] => rest = more,
            more => rest = more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    fn time(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn times_need_am_pm_a_colon_or_a_name() {
        for (said, meant) in [
            ("at 9am", time(9, 0)),
            ("at 9 am", time(9, 0)),
            ("at 9:15pm", time(21, 15)),
            ("at 9:15 p.m.", time(21, 15)),
            ("at 14:30", time(14, 30)),
            ("14:30", time(14, 30)),
            ("at 12am", time(0, 0)),
            ("at 12pm", time(12, 0)),
            ("at noon", time(12, 0)),
            ("at midnight", time(0, 0)),
            ("by 5pm", time(17, 0)),
            ("due at 08:05", time(8, 5)),
            ("at 0:00", time(0, 0)),
        ] {
            assert_eq!(time_phrase(&words(said)), meant, "{said}");
        }
        for not_a_time in [
            "at 8",
            "at 13pm",
            "at 0am",
            "at 24:00",
            "at 9:5",
            "at 9:60",
            "at the station",
            "at",
            "9",
            "at 9 o'clock",
            "at 123:00",
        ] {
            assert_eq!(time_phrase(&words(not_a_time)), None, "{not_a_time}");
        }
    }

    fn rule(said: &str) -> Option<String> {
        // Read on a Wednesday that is not a month's 31st.
        let first = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        repeat_phrase(&words(said)).map(|r| r.rrule(first))
    }

    #[test]
    fn repeats_become_canonical_rules() {
        for (said, meant) in [
            ("every monday", "FREQ=WEEKLY;BYDAY=MO"),
            ("every mon", "FREQ=WEEKLY;BYDAY=MO"),
            ("every monday and thursday", "FREQ=WEEKLY;BYDAY=MO,TH"),
            ("every thursday and monday", "FREQ=WEEKLY;BYDAY=MO,TH"),
            ("every mon wed and fri", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
            ("each friday", "FREQ=WEEKLY;BYDAY=FR"),
            ("every other monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
            ("every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
            ("on weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
            ("every weekend", "FREQ=WEEKLY;BYDAY=SA,SU"),
            ("on mondays and thursdays", "FREQ=WEEKLY;BYDAY=MO,TH"),
            ("sundays", "FREQ=WEEKLY;BYDAY=SU"),
            ("every day", "FREQ=DAILY"),
            ("daily", "FREQ=DAILY"),
            ("every 3 days", "FREQ=DAILY;INTERVAL=3"),
            ("every other day", "FREQ=DAILY;INTERVAL=2"),
            ("every week", "FREQ=WEEKLY"),
            ("weekly", "FREQ=WEEKLY"),
            ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
            ("every two weeks", "FREQ=WEEKLY;INTERVAL=2"),
            ("fortnightly", "FREQ=WEEKLY;INTERVAL=2"),
            ("every month", "FREQ=MONTHLY"),
            ("monthly", "FREQ=MONTHLY"),
            ("every 6 months", "FREQ=MONTHLY;INTERVAL=6"),
            ("every year", "FREQ=YEARLY"),
            ("yearly", "FREQ=YEARLY"),
            ("annually", "FREQ=YEARLY"),
        ] {
            let written = rule(said);
            assert_eq!(written.as_deref(), Some(meant), "{said}");
            // What the API accepts: its own canonical spelling.
            let parsed = Recurrence::parse(meant).unwrap();
            assert_eq!(parsed.rrule(), meant, "{said}");
        }
        for not_a_repeat in [
            "every chapter",
            "every",
            "every other",
            "each of them",
            "monday",
            "on monday",
            "mondays and thursday",
            "every mondays",
            "every monday and",
            "every 2",
            "every day and night",
        ] {
            assert_eq!(rule(not_a_repeat), None, "{not_a_repeat}");
        }
    }

    #[test]
    fn every_month_from_a_31st_is_the_last_day_of_each_month() {
        let monthly = repeat_phrase(&["monthly"]).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        assert_eq!(monthly.rrule(day(1, 31)), "FREQ=MONTHLY;BYMONTHDAY=-1");
        let rule = Recurrence::parse(&monthly.rrule(day(1, 31))).unwrap();
        assert_eq!(rule.next_occurrence(day(1, 31)).unwrap().0, day(2, 28));
        assert_eq!(rule.next_occurrence(day(2, 28)).unwrap().0, day(3, 31));
        // From the 30th it stays the 30th; February has none.
        assert_eq!(monthly.rrule(day(1, 30)), "FREQ=MONTHLY");
        let rule = Recurrence::parse("FREQ=MONTHLY").unwrap();
        assert_eq!(rule.next_occurrence(day(1, 30)).unwrap().0, day(3, 30));
        // Only a month's rule: "every week" from a 31st is every week.
        let weekly = repeat_phrase(&["weekly"]).unwrap();
        assert_eq!(weekly.rrule(day(1, 31)), "FREQ=WEEKLY");
    }

    #[test]
    fn a_series_starts_on_its_first_day_not_yet_past() {
        // Wednesday 2 December 2026, 10:00.
        let now = NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let first = |said: &str, at: Option<NaiveTime>| {
            repeat_phrase(&words(said)).unwrap().first_date(now, at)
        };
        assert_eq!(first("every monday", None), day(7));
        assert_eq!(first("every wednesday", None), day(2), "today fits");
        assert_eq!(first("every wednesday", time(10, 30)), day(2));
        assert_eq!(
            first("every wednesday", time(9, 0)),
            day(9),
            "9am has passed"
        );
        assert_eq!(first("every wednesday", time(10, 0)), day(9), "10am is now");
        assert_eq!(first("every monday and thursday", None), day(3));
        assert_eq!(first("every weekday", time(8, 0)), day(3));
        assert_eq!(first("every other monday", None), day(7));
        assert_eq!(first("every day", time(8, 0)), day(3));
        assert_eq!(first("every day", time(18, 0)), day(2));
        assert_eq!(first("every 3 days", time(8, 0)), day(5));
        assert_eq!(first("every week", time(8, 0)), day(9), "keeps the weekday");
        assert_eq!(
            first("every month", time(8, 0)),
            NaiveDate::from_ymd_opt(2027, 1, 2).unwrap()
        );
        assert_eq!(first("every month", None), day(2));
    }

    #[test]
    fn a_series_on_the_31st_past_its_time_moves_to_the_next_month_end() {
        let now = NaiveDate::from_ymd_opt(2027, 1, 31)
            .unwrap()
            .and_hms_opt(20, 0, 0)
            .unwrap();
        let monthly = repeat_phrase(&["monthly"]).unwrap();
        let month_end = "FREQ=MONTHLY;BYMONTHDAY=-1".to_owned();
        assert_eq!(monthly.start(now, None), (now.date(), month_end.clone()));
        assert_eq!(
            monthly.start(now, time(8, 0)),
            (NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(), month_end)
        );
        // From the 30th past its time: the next 30th, February skipped.
        let now = now - Duration::days(1);
        assert_eq!(
            monthly.start(now, time(8, 0)),
            (
                NaiveDate::from_ymd_opt(2027, 3, 30).unwrap(),
                "FREQ=MONTHLY".to_owned()
            )
        );
    }

    #[test]
    fn reminder_leads_are_minutes_before() {
        for (said, meant) in [
            ("remind me an hour before", vec![60]),
            ("remind me 1 hour before", vec![60]),
            ("remind me 30 minutes before", vec![30]),
            ("remind me 30 mins early", vec![30]),
            ("remind me half an hour before", vec![30]),
            ("remind me 2 days before", vec![2 * 1440]),
            ("remind me the day before", vec![1440]),
            ("remind me a week before", vec![10080]),
            ("remind me 1 hour and 30 minutes before", vec![90]),
            ("remind me 1 day 2 hours before", vec![1440 + 120]),
            ("remind me a day before and an hour before", vec![1440, 60]),
            ("with a reminder 10 minutes before", vec![10]),
            ("reminder 15 min before", vec![15]),
            ("remind me at the due time", vec![0]),
            ("remind me 0 minutes before", vec![0]),
        ] {
            assert_eq!(reminder_phrase(&words(said)), Some(meant), "{said}");
        }
        for not_a_reminder in [
            "remind me",
            "remind me before",
            "remind me an hour",
            "remind me an hour before lunch",
            "remind me a fortnight before",
            "an hour before",
            "remind me to call",
            "remind me 99999999 weeks before",
        ] {
            assert_eq!(
                reminder_phrase(&words(not_a_reminder)),
                None,
                "{not_a_reminder}"
            );
        }
    }
}
