//! Dates as people say them ("today", "tomorrow", "next friday", "in 3
//! days", "dec 24", "2026-12-24"), read relative to today.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

pub(super) fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    NAMES
        .iter()
        .position(|name| word.len() >= 3 && name.starts_with(word))
        .map(|i| i as u32 + 1)
}

/// A date as people say it, relative to `today`. Weekdays mean the next
/// one after today.
pub fn date_phrase(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let lower = text.trim().to_ascii_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    while let Some(first) = words.first() {
        if [
            "due", "by", "on", "for", "until", "before", "this", "coming",
        ]
        .contains(first)
        {
            words.remove(0);
        } else {
            break;
        }
    }
    let next_weekday = |day: Weekday| {
        let ahead = (7 + day.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        today + Duration::days(if ahead == 0 { 7 } else { ahead })
    };
    match words.as_slice() {
        ["today"] | ["tonight"] => Some(today),
        ["tomorrow"] | ["tmrw"] => Some(today + Duration::days(1)),
        ["day", "after", "tomorrow"] => Some(today + Duration::days(2)),
        ["next", "week"] => Some(today + Duration::days(7)),
        ["next", "month"] => today.checked_add_months(chrono::Months::new(1)),
        ["in", "a", "week"] => Some(today + Duration::days(7)),
        ["in", n, unit] => {
            let n: i64 = n.parse().ok().filter(|n| (0..=3650).contains(n))?;
            match *unit {
                "day" | "days" => Some(today + Duration::days(n)),
                "week" | "weeks" => Some(today + Duration::days(7 * n)),
                _ => None,
            }
        }
        ["next", day] => weekday(day).map(next_weekday),
        [day] if weekday(day).is_some() => weekday(day).map(next_weekday),
        [iso] if iso.len() == 10 => crate::domain::parse_date(iso).ok(),
        [a, b] => {
            // "dec 24", "24 december", "december 24th": the next such day.
            let (m, d) = match (month(a), month(b)) {
                (Some(m), None) => (m, *b),
                (None, Some(m)) => (m, *a),
                _ => return None,
            };
            let day: u32 = d
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .ok()?;
            let this_year = NaiveDate::from_ymd_opt(today.year(), m, day)?;
            if this_year >= today {
                Some(this_year)
            } else {
                NaiveDate::from_ymd_opt(today.year() + 1, m, day)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Wednesday.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    #[test]
    fn dates_are_read_relative_to_today() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d);
        assert_eq!(date_phrase("tomorrow", today()), day(3));
        assert_eq!(date_phrase("next friday", today()), day(4));
        assert_eq!(date_phrase("wednesday", today()), day(9));
        assert_eq!(date_phrase("in 3 days", today()), day(5));
        assert_eq!(date_phrase("due dec 24", today()), day(24));
        assert_eq!(date_phrase("2026-12-24", today()), day(24));
        assert_eq!(
            date_phrase("jan 2", today()),
            NaiveDate::from_ymd_opt(2027, 1, 2)
        );
        assert_eq!(date_phrase("the moon", today()), None);
    }
}
