//! When a task repeats and reminds, as the task form offers it: the repeat
//! choices and the canonical RRULE each one builds from the due date (the
//! backend takes only the canonical spelling, `todo_api::patterns::RRULE`),
//! and reminders in words.

use chrono::{Datelike, NaiveDate, Weekday};

/// The form's value for a rule none of the [`REPEATS`] builds (one made
/// through the API or the assistant): it is kept as it is.
pub const CUSTOM_REPEAT: &str = "custom";

/// One choice of the form's "Repeat" menu.
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    /// The form's value.
    pub key: &'static str,
    pub label: &'static str,
    /// The rule from the due date, canonical as the backend writes it.
    rule: fn(NaiveDate) -> String,
}

impl Repeat {
    pub fn rule(&self, due: NaiveDate) -> String {
        (self.rule)(due)
    }
}

/// The repeat choices, in menu order. Those that name a weekday or a day
/// of the month take it from the due date, so the rule and the first
/// occurrence agree (RFC 5545 counts DTSTART as the first occurrence even
/// when it does not match the rule).
pub const REPEATS: [Repeat; 7] = [
    Repeat {
        key: "daily",
        label: "Every day",
        rule: |_| "FREQ=DAILY".to_owned(),
    },
    Repeat {
        key: "weekdays",
        label: "Every weekday (Monday to Friday)",
        rule: |_| "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned(),
    },
    Repeat {
        key: "weekly",
        label: "Every week, on the due date’s weekday",
        rule: |due| format!("FREQ=WEEKLY;BYDAY={}", weekday_code(due.weekday())),
    },
    Repeat {
        key: "biweekly",
        label: "Every 2 weeks, on the due date’s weekday",
        rule: |due| {
            format!(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY={}",
                weekday_code(due.weekday())
            )
        },
    },
    Repeat {
        key: "monthly",
        label: "Every month, on the due date’s day",
        rule: |due| format!("FREQ=MONTHLY;BYMONTHDAY={}", due.day()),
    },
    Repeat {
        key: "monthly-last",
        label: "Every month, on its last day",
        rule: |_| "FREQ=MONTHLY;BYMONTHDAY=-1".to_owned(),
    },
    Repeat {
        key: "yearly",
        label: "Every year",
        rule: |_| "FREQ=YEARLY".to_owned(),
    },
];

/// The choice named `key`, if any.
pub fn repeat(key: &str) -> Option<&'static Repeat> {
    REPEATS.iter().find(|repeat| repeat.key == key)
}

/// The choice that builds exactly `rule` from `due`: what the edit form
/// preselects. Anything else is [`CUSTOM_REPEAT`].
pub fn repeat_of(rule: &str, due: NaiveDate) -> Option<&'static Repeat> {
    REPEATS.iter().find(|repeat| repeat.rule(due) == rule)
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// The reminders the form offers, in minutes before the due time.
pub const REMINDER_CHOICES: [u32; 5] = [0, 10, 30, 60, 24 * 60];

/// A reminder in words: "at the due time", "10 minutes before",
/// "1 hour 30 minutes before", "2 days before".
pub fn reminder_words(minutes: u32) -> String {
    if minutes == 0 {
        return "at the due time".to_owned();
    }
    let (days, hours, rest) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts: Vec<String> = [(days, "day"), (hours, "hour"), (rest, "minute")]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| {
            if count == 1 {
                format!("1 {unit}")
            } else {
                format!("{count} {unit}s")
            }
        })
        .collect();
    format!("{} before", parts.join(" "))
}

/// A task's reminders in one phrase: "10 minutes before and 1 day before".
pub fn reminders_phrase(minutes: &[u32]) -> String {
    let words: Vec<String> = minutes.iter().map(|m| reminder_words(*m)).collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn each_choice_builds_a_canonical_rule_from_the_due_date() {
        // 2026-12-14 is a Monday.
        let monday = date(2026, 12, 14);
        let rules: Vec<(&str, String)> = REPEATS
            .iter()
            .map(|repeat| (repeat.key, repeat.rule(monday)))
            .collect();
        assert_eq!(
            rules,
            [
                ("daily", "FREQ=DAILY".to_owned()),
                ("weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned()),
                ("weekly", "FREQ=WEEKLY;BYDAY=MO".to_owned()),
                ("biweekly", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO".to_owned()),
                ("monthly", "FREQ=MONTHLY;BYMONTHDAY=14".to_owned()),
                ("monthly-last", "FREQ=MONTHLY;BYMONTHDAY=-1".to_owned()),
                ("yearly", "FREQ=YEARLY".to_owned()),
            ]
        );
        let canonical = regex::Regex::new(todo_api::patterns::RRULE).unwrap();
        for (key, rule) in &rules {
            assert!(canonical.is_match(rule), "{key}: {rule} is not canonical");
        }
        assert_eq!(
            repeat("weekly").unwrap().rule(date(2026, 12, 17)),
            "FREQ=WEEKLY;BYDAY=TH"
        );
    }

    #[test]
    fn a_rule_is_recognised_only_as_the_choice_that_builds_it_from_that_date() {
        let monday = date(2026, 12, 14);
        assert_eq!(
            repeat_of("FREQ=WEEKLY;BYDAY=MO", monday).unwrap().key,
            "weekly"
        );
        assert_eq!(
            repeat_of("FREQ=MONTHLY;BYMONTHDAY=14", monday).unwrap().key,
            "monthly"
        );
        // Another weekday or day than the due date's, a count, an interval
        // no choice has: kept as custom.
        for custom in [
            "FREQ=WEEKLY;BYDAY=TU",
            "FREQ=MONTHLY;BYMONTHDAY=3",
            "FREQ=DAILY;COUNT=5",
            "FREQ=DAILY;INTERVAL=3",
            "FREQ=WEEKLY",
        ] {
            assert!(repeat_of(custom, monday).is_none(), "{custom}");
        }
        assert!(repeat("hourly").is_none());
    }

    #[test]
    fn reminders_read_as_words() {
        assert_eq!(reminder_words(0), "at the due time");
        assert_eq!(reminder_words(10), "10 minutes before");
        assert_eq!(reminder_words(60), "1 hour before");
        assert_eq!(reminder_words(90), "1 hour 30 minutes before");
        assert_eq!(reminder_words(1440), "1 day before");
        assert_eq!(reminder_words(2 * 1440 + 1), "2 days 1 minute before");
        assert_eq!(reminders_phrase(&[]), "");
        assert_eq!(reminders_phrase(&[30]), "30 minutes before");
        assert_eq!(
            reminders_phrase(&[0, 10, 1440]),
            "at the due time, 10 minutes before and 1 day before"
        );
    }
}
