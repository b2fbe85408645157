//! Repeating tasks: a subset of the iCalendar recurrence rule (RFC 5545
//! §3.3.10, the value of an `RRULE` property) and its expansion over
//! calendar dates.
//!
//! A task's due date is a calendar date, and a repeating task carries a rule
//! such as `FREQ=MONTHLY;BYMONTHDAY=-1`. Completing the task spawns the next
//! one, due on the rule's next date after the current due date: the current
//! due date acts as the rule's DTSTART, and the spawned task carries the rule
//! again with COUNT decremented, so `COUNT=N` means N occurrences in all,
//! counting the current one.
//!
//! The tasks are also published in an iCalendar feed as DTSTART + RRULE, so
//! the series spawned here must be exactly the series a calendar app expands
//! from the same two lines. That is why this module follows the RFC rather
//! than intuition: a monthly rule from the 31st skips the months without a
//! 31st (it never moves to the 30th), a yearly rule from Feb 29 occurs only
//! in leap years, BYMONTHDAY=-1 is the last day of each month, the weeks of
//! a WEEKLY rule with INTERVAL > 1 start on WKST, and DTSTART is always the
//! first occurrence (and counts towards COUNT) even when it doesn't match the
//! rule.
//!
//! The subset accepted:
//!
//! - `FREQ` = `DAILY` | `WEEKLY` | `MONTHLY` | `YEARLY` (required);
//! - `INTERVAL` = 1–366;
//! - `BYDAY`: plain weekdays (`MO,WE,FR`) with DAILY and WEEKLY; exactly one
//!   weekday with a position of 1–4 or -1 (`1MO`, `-1FR`) with MONTHLY;
//! - `BYMONTHDAY`: exactly one day, 1–31 or -1, with MONTHLY and no `BYDAY`;
//! - `COUNT` = 1–1000, or `UNTIL` = a date (`YYYYMMDD`) or a UTC date-time
//!   (`YYYYMMDDTHHMMSSZ`, compared by its date), not both;
//! - `WKST` = `MO` | `SU`.
//!
//! Everything else (sub-daily frequencies, BYSETPOS, BYMONTH, BYYEARDAY,
//! BYWEEKNO, BYHOUR, BYMINUTE, BYSECOND, lists where one value is allowed,
//! unknown parts) is rejected by [`Recurrence::parse`] with a message for
//! the user, so every value of [`Recurrence`] can be expanded.

use std::fmt;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

/// The longest RRULE value [`Recurrence::parse`] accepts (after trimming).
pub const RRULE_MAX_CHARS: usize = 200;

/// How far past the current due date [`Recurrence::next_occurrence`] looks:
/// 50 years of 365.25 days. A rule whose next date lies further ahead (or
/// never comes, like `FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30` from a
/// February) ends the series there.
const SEARCH_HORIZON_DAYS: u64 = 18_263;

/// A valid recurrence rule of the supported subset, normalized so that
/// equal rules compare equal (e.g. `INTERVAL=1` given or not, BYDAY in any
/// order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// 1–366.
    interval: u16,
    pattern: Pattern,
    end: End,
    /// `Mon` or `Sun`.
    week_start: Weekday,
}

/// FREQ together with the BY parts it allows, so that combinations outside
/// the subset cannot be represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// `FREQ=DAILY`, restricted to these weekdays unless the set is empty.
    Daily(Weekdays),
    /// `FREQ=WEEKLY` on these weekdays; on DTSTART's weekday when empty.
    Weekly(Weekdays),
    /// `FREQ=MONTHLY` on this day of the month.
    Monthly(MonthDay),
    /// `FREQ=YEARLY` on DTSTART's month and day.
    Yearly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MonthDay {
    /// No BY part: DTSTART's day of the month.
    StartDay,
    /// `BYMONTHDAY=1`–`31`.
    Day(u8),
    /// `BYMONTHDAY=-1`.
    LastDay,
    /// `BYDAY=1MO`–`4MO` or `-1MO`.
    Weekday {
        position: WeekdayPosition,
        weekday: Weekday,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WeekdayPosition {
    /// 1–4: every month has at least four of each weekday.
    Nth(u8),
    Last,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Never,
    /// Occurrences left, counting the current one: 1–1000.
    Count(u16),
    Until(Until),
}

/// UNTIL as written: a date, or a UTC date-time whose time is kept only to
/// write the rule back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Until {
    date: NaiveDate,
    utc_time: Option<NaiveTime>,
}

/// A set of weekdays; bit 0 is Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Weekdays(u8);

/// Each weekday with its RRULE code and English name, Monday first.
const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "MO", "Monday"),
    (Weekday::Tue, "TU", "Tuesday"),
    (Weekday::Wed, "WE", "Wednesday"),
    (Weekday::Thu, "TH", "Thursday"),
    (Weekday::Fri, "FR", "Friday"),
    (Weekday::Sat, "SA", "Saturday"),
    (Weekday::Sun, "SU", "Sunday"),
];

impl Weekdays {
    const NONE: Self = Self(0);
    const MONDAY_TO_FRIDAY: Self = Self(0b001_1111);
    const ALL: Self = Self(0b111_1111);

    fn bit(day: Weekday) -> u8 {
        1 << day.num_days_from_monday()
    }

    fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    fn with(self, day: Weekday) -> Self {
        Self(self.0 | Self::bit(day))
    }

    fn is_empty(self) -> bool {
        self == Self::NONE
    }

    /// Monday first, as written in the canonical rule and the summary.
    fn iter(self) -> impl Iterator<Item = Weekday> {
        WEEKDAYS
            .iter()
            .map(|&(day, _, _)| day)
            .filter(move |&day| self.contains(day))
    }

    fn codes(self) -> String {
        self.iter().map(weekday_code).collect::<Vec<_>>().join(",")
    }

    fn names(self) -> String {
        join_english(&self.iter().map(weekday_name).collect::<Vec<_>>())
    }
}

fn weekday_code(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize].1
}

fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize].2
}

fn parse_weekday(code: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .find(|&&(_, known, _)| known == code)
        .map(|&(day, _, _)| day)
}

impl Recurrence {
    /// Parses an RRULE value (an optional leading "RRULE:" is accepted; part
    /// names and values case-insensitive; whitespace around the whole, around
    /// each part and around each list item trimmed). Err is a user-facing
    /// message naming the problem, e.g. "BYSETPOS is not supported".
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > RRULE_MAX_CHARS {
            return Err(format!(
                "a recurrence rule must be at most {RRULE_MAX_CHARS} characters"
            ));
        }
        // Everything in a rule is case-insensitive, and the user's text is
        // only echoed in messages, so one upper-cased copy serves for all.
        let upper = trimmed.to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        let parts = RawParts::split(body)?;

        let Some(freq) = parts.freq else {
            return Err("FREQ is required".into());
        };
        let interval = match parts.interval {
            None => 1,
            Some(value) => parse_digits(value)
                .filter(|n| (1..=366).contains(n))
                .and_then(|n| u16::try_from(n).ok())
                .ok_or("INTERVAL must be 1–366")?,
        };
        let pattern = parse_pattern(freq, parts.by_day, parts.by_month_day)?;
        let end = match (parts.count, parts.until) {
            (Some(_), Some(_)) => return Err("COUNT and UNTIL cannot both be given".into()),
            (Some(count), None) => End::Count(
                parse_digits(count)
                    .filter(|n| (1..=1000).contains(n))
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or("COUNT must be 1–1000")?,
            ),
            (None, Some(until)) => End::Until(parse_until(until)?),
            (None, None) => End::Never,
        };
        let week_start = match parts.wkst {
            None | Some("MO") => Weekday::Mon,
            Some("SU") => Weekday::Sun,
            Some(_) => return Err("WKST must be MO or SU".into()),
        };
        Ok(Self {
            interval,
            pattern,
            end,
            week_start,
        })
    }

    /// The canonical RRULE text (no "RRULE:" prefix), parts in the order
    /// FREQ, INTERVAL (omitted when 1), BYDAY, BYMONTHDAY, COUNT, UNTIL,
    /// WKST (omitted when MO). `parse(rrule()) == self`.
    pub fn rrule(&self) -> String {
        let mut text = String::from(match self.pattern {
            Pattern::Daily(_) => "FREQ=DAILY",
            Pattern::Weekly(_) => "FREQ=WEEKLY",
            Pattern::Monthly(_) => "FREQ=MONTHLY",
            Pattern::Yearly => "FREQ=YEARLY",
        });
        if self.interval != 1 {
            text.push_str(&format!(";INTERVAL={}", self.interval));
        }
        match self.pattern {
            Pattern::Daily(days) | Pattern::Weekly(days) if !days.is_empty() => {
                text.push_str(&format!(";BYDAY={}", days.codes()));
            }
            Pattern::Monthly(MonthDay::Weekday { position, weekday }) => {
                let position = match position {
                    WeekdayPosition::Nth(n) => n.to_string(),
                    WeekdayPosition::Last => "-1".to_owned(),
                };
                text.push_str(&format!(";BYDAY={position}{}", weekday_code(weekday)));
            }
            Pattern::Monthly(MonthDay::Day(day)) => {
                text.push_str(&format!(";BYMONTHDAY={day}"));
            }
            Pattern::Monthly(MonthDay::LastDay) => text.push_str(";BYMONTHDAY=-1"),
            Pattern::Daily(_)
            | Pattern::Weekly(_)
            | Pattern::Monthly(MonthDay::StartDay)
            | Pattern::Yearly => {}
        }
        match self.end {
            End::Never => {}
            End::Count(count) => text.push_str(&format!(";COUNT={count}")),
            End::Until(until) => text.push_str(&format!(";UNTIL={until}")),
        }
        if self.week_start == Weekday::Sun {
            text.push_str(";WKST=SU");
        }
        text
    }

    /// English summary for people, e.g. "every 2 weeks on Monday, Wednesday
    /// and Friday", "every month on the last Friday", "every 3 days, 5
    /// times". Where the day comes from DTSTART (WEEKLY without BYDAY,
    /// MONTHLY and YEARLY without BY parts) it just says "every week",
    /// "every month", "every year".
    pub fn summary(&self) -> String {
        let interval = self.interval;
        let mut text = match self.pattern {
            Pattern::Daily(days) if days.is_empty() || days == Weekdays::ALL => {
                every(interval, "day")
            }
            // Every Nth day, skipped unless it falls on one of the days.
            Pattern::Daily(days) if interval > 1 => {
                format!(
                    "{}, only on {}",
                    every(interval, "day"),
                    weekdays_phrase(days)
                )
            }
            Pattern::Daily(days) => every_weekdays(days),
            Pattern::Weekly(days) if days.is_empty() => every(interval, "week"),
            Pattern::Weekly(days) if interval > 1 => {
                format!("{} on {}", every(interval, "week"), weekdays_phrase(days))
            }
            Pattern::Weekly(days) => every_weekdays(days),
            Pattern::Monthly(day) => {
                let every_month = every(interval, "month");
                match day {
                    MonthDay::StartDay => every_month,
                    MonthDay::Day(day) => format!("{every_month} on the {}", ordinal(day)),
                    MonthDay::LastDay => format!("{every_month} on the last day"),
                    MonthDay::Weekday { position, weekday } => {
                        let position = match position {
                            WeekdayPosition::Nth(1) => "first",
                            WeekdayPosition::Nth(2) => "second",
                            WeekdayPosition::Nth(3) => "third",
                            WeekdayPosition::Nth(_) => "fourth",
                            WeekdayPosition::Last => "last",
                        };
                        format!("{every_month} on the {position} {}", weekday_name(weekday))
                    }
                }
            }
            Pattern::Yearly => every(interval, "year"),
        };
        match self.end {
            End::Never => {}
            End::Count(1) => text.push_str(", once"),
            End::Count(count) => text.push_str(&format!(", {count} times")),
            End::Until(until) => text.push_str(&format!(", until {}", until.date)),
        }
        text
    }

    /// The occurrence after `current` (taken as DTSTART), with the rule the
    /// next occurrence carries (COUNT decremented). None when the series
    /// ends at `current`: COUNT=1, the next date is after UNTIL, or no date
    /// matches within about 50 years.
    pub fn next_occurrence(&self, current: NaiveDate) -> Option<(NaiveDate, Recurrence)> {
        let end = match self.end {
            End::Count(1) => return None,
            End::Count(left) => End::Count(left - 1),
            other => other,
        };
        let next = self.next_date_after(current)?;
        if let End::Until(until) = self.end
            && next > until.date
        {
            return None;
        }
        Some((
            next,
            Self {
                end,
                ..self.clone()
            },
        ))
    }

    /// The first date after `start` that the rule generates from DTSTART =
    /// `start`, looking at most [`SEARCH_HORIZON_DAYS`] ahead.
    ///
    /// RFC 5545 expands a rule period by period (day, week, month or year,
    /// stepping INTERVAL periods from the one holding DTSTART), each period
    /// yielding the dates its BY parts select, and dates that don't exist
    /// (Feb 30) yield nothing. Since periods only move forward, the first
    /// candidate after `start` is the answer.
    fn next_date_after(&self, start: NaiveDate) -> Option<NaiveDate> {
        let horizon = start
            .checked_add_days(Days::new(SEARCH_HORIZON_DAYS))
            .unwrap_or(NaiveDate::MAX);
        let mut candidates = Vec::with_capacity(7);
        // Each period starts at least a day after the previous one, so the
        // horizon check ends the loop before this bound; the bound makes the
        // work limit plain.
        for period in 0..=SEARCH_HORIZON_DAYS {
            candidates.clear();
            let period_start = self.period_candidates(start, period, &mut candidates)?;
            if period_start > horizon {
                return None;
            }
            if let Some(&next) = candidates.iter().find(|&&date| date > start) {
                return (next <= horizon).then_some(next);
            }
        }
        None
    }

    /// Appends to `out`, in date order, the dates the rule selects in the
    /// period `period` intervals after the one holding `start` (DTSTART), and
    /// returns the period's first day; None when the period lies beyond the
    /// dates chrono can represent.
    fn period_candidates(
        &self,
        start: NaiveDate,
        period: u64,
        out: &mut Vec<NaiveDate>,
    ) -> Option<NaiveDate> {
        // Periods of the rule's frequency from DTSTART's period.
        let steps = period.checked_mul(u64::from(self.interval))?;
        match self.pattern {
            Pattern::Daily(days) => {
                let day = start.checked_add_days(Days::new(steps))?;
                if days.is_empty() || days.contains(day.weekday()) {
                    out.push(day);
                }
                Some(day)
            }
            Pattern::Weekly(days) => {
                // Weeks begin on WKST; which weeks are "every Nth" is
                // counted from the week holding DTSTART.
                let since_week_start = (7 + start.weekday().num_days_from_monday()
                    - self.week_start.num_days_from_monday())
                    % 7;
                let week_start = start
                    .checked_sub_days(Days::new(u64::from(since_week_start)))?
                    .checked_add_days(Days::new(steps.checked_mul(7)?))?;
                // Without BYDAY the rule repeats on DTSTART's weekday.
                let days = if days.is_empty() {
                    Weekdays::NONE.with(start.weekday())
                } else {
                    days
                };
                out.extend(
                    (0..7)
                        .filter_map(|offset| week_start.checked_add_days(Days::new(offset)))
                        .filter(|day| days.contains(day.weekday())),
                );
                Some(week_start)
            }
            Pattern::Monthly(month_day) => {
                let month_index = i64::from(start.year()) * 12
                    + i64::from(start.month0())
                    + i64::try_from(steps).ok()?;
                let year = i32::try_from(month_index.div_euclid(12)).ok()?;
                let month = u32::try_from(month_index.rem_euclid(12)).ok()? + 1;
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                out.extend(month_day.date_in(year, month, start.day()));
                Some(first)
            }
            Pattern::Yearly => {
                let year = i64::from(start.year()) + i64::try_from(steps).ok()?;
                let year = i32::try_from(year).ok()?;
                let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
                // Feb 29 exists only in leap years; other years yield nothing.
                out.extend(NaiveDate::from_ymd_opt(year, start.month(), start.day()));
                Some(first)
            }
        }
    }
}

impl fmt::Display for Recurrence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rrule())
    }
}

impl MonthDay {
    /// The selected day in the given month, if that month has it.
    fn date_in(self, year: i32, month: u32, start_day: u32) -> Option<NaiveDate> {
        match self {
            Self::StartDay => NaiveDate::from_ymd_opt(year, month, start_day),
            Self::Day(day) => NaiveDate::from_ymd_opt(year, month, u32::from(day)),
            Self::LastDay => last_day_of_month(year, month),
            Self::Weekday {
                position: WeekdayPosition::Nth(n),
                weekday,
            } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                let to_weekday = (7 + weekday.num_days_from_monday()
                    - first.weekday().num_days_from_monday())
                    % 7;
                first.checked_add_days(Days::new(u64::from(to_weekday) + 7 * (u64::from(n) - 1)))
            }
            Self::Weekday {
                position: WeekdayPosition::Last,
                weekday,
            } => {
                let last = last_day_of_month(year, month)?;
                let from_weekday = (7 + last.weekday().num_days_from_monday()
                    - weekday.num_days_from_monday())
                    % 7;
                last.checked_sub_days(Days::new(u64::from(from_weekday)))
            }
        }
    }
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    (28..=31)
        .rev()
        .find_map(|day| NaiveDate::from_ymd_opt(year, month, day))
}

impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date;
        write!(f, "{:04}{:02}{:02}", date.year(), date.month(), date.day())?;
        if let Some(time) = self.utc_time {
            write!(f, "{}", time.format("T%H%M%SZ"))?;
        }
        Ok(())
    }
}

/// The supported parts of a rule, each at most once, values not yet parsed.
#[derive(Debug, Default)]
struct RawParts<'a> {
    freq: Option<&'a str>,
    interval: Option<&'a str>,
    by_day: Option<&'a str>,
    by_month_day: Option<&'a str>,
    count: Option<&'a str>,
    until: Option<&'a str>,
    wkst: Option<&'a str>,
}

impl<'a> RawParts<'a> {
    /// Splits an upper-cased rule into its `NAME=VALUE` parts.
    fn split(body: &'a str) -> Result<Self, String> {
        if body.trim().is_empty() {
            return Err("the recurrence rule is empty".into());
        }
        // Some producers end a rule with ';': tolerate exactly that one.
        let body = body.trim_end().strip_suffix(';').unwrap_or(body);
        let mut parts = Self::default();
        for part in body.split(';') {
            let part = part.trim();
            if part.is_empty() {
                return Err("the recurrence rule has an empty part (\";;\")".into());
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(format!("{part} is not of the form NAME=VALUE"));
            };
            let (name, value) = (name.trim(), value.trim());
            let slot = parts.slot(name)?;
            if slot.is_some() {
                return Err(format!("{name} is given more than once"));
            }
            if value.is_empty() {
                return Err(format!("{name} needs a value"));
            }
            *slot = Some(value);
        }
        Ok(parts)
    }

    fn slot(&mut self, name: &str) -> Result<&mut Option<&'a str>, String> {
        Ok(match name {
            "FREQ" => &mut self.freq,
            "INTERVAL" => &mut self.interval,
            "BYDAY" => &mut self.by_day,
            "BYMONTHDAY" => &mut self.by_month_day,
            "COUNT" => &mut self.count,
            "UNTIL" => &mut self.until,
            "WKST" => &mut self.wkst,
            "BYSETPOS" | "BYMONTH" | "BYYEARDAY" | "BYWEEKNO" | "BYHOUR" | "BYMINUTE"
            | "BYSECOND" => return Err(format!("{name} is not supported")),
            "" => return Err("a part of the recurrence rule has no name".into()),
            _ => return Err(format!("{name} is not a recurrence rule part")),
        })
    }
}

/// The FREQ values of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

fn parse_frequency(value: &str) -> Result<Frequency, String> {
    match value {
        "DAILY" => Ok(Frequency::Daily),
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        "YEARLY" => Ok(Frequency::Yearly),
        "HOURLY" | "MINUTELY" | "SECONDLY" => Err(format!(
            "FREQ={value} is not supported: a task repeats at most daily"
        )),
        _ => Err("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY".into()),
    }
}

/// FREQ with BYDAY and BYMONTHDAY, checked against each other.
fn parse_pattern(
    freq: &str,
    by_day: Option<&str>,
    by_month_day: Option<&str>,
) -> Result<Pattern, String> {
    let freq = parse_frequency(freq)?;
    if by_month_day.is_some() && freq != Frequency::Monthly {
        return Err("BYMONTHDAY needs FREQ=MONTHLY".into());
    }
    if by_day.is_some() && freq == Frequency::Yearly {
        return Err("BYDAY is not supported with FREQ=YEARLY".into());
    }
    let by_day = by_day.map(parse_by_day).transpose()?;
    match freq {
        Frequency::Daily => Ok(Pattern::Daily(plain_weekdays(by_day)?)),
        Frequency::Weekly => Ok(Pattern::Weekly(plain_weekdays(by_day)?)),
        Frequency::Monthly => match (by_day, by_month_day) {
            (Some(_), Some(_)) => Err("BYDAY and BYMONTHDAY cannot both be given".into()),
            (Some(items), None) => match items.as_slice() {
                [
                    ByDayItem {
                        position: Some(position),
                        weekday,
                        ..
                    },
                ] => Ok(Pattern::Monthly(MonthDay::Weekday {
                    position: *position,
                    weekday: *weekday,
                })),
                _ => Err("with FREQ=MONTHLY, BYDAY takes one weekday with its \
                          position in the month, e.g. 1MO or -1FR"
                    .into()),
            },
            (None, Some(day)) => Ok(Pattern::Monthly(parse_month_day(day)?)),
            (None, None) => Ok(Pattern::Monthly(MonthDay::StartDay)),
        },
        Frequency::Yearly => Ok(Pattern::Yearly),
    }
}

/// BYDAY for DAILY and WEEKLY: weekdays without a position, each once.
fn plain_weekdays(by_day: Option<Vec<ByDayItem<'_>>>) -> Result<Weekdays, String> {
    let mut days = Weekdays::NONE;
    for item in by_day.into_iter().flatten() {
        if item.position.is_some() {
            return Err(format!("BYDAY={} needs FREQ=MONTHLY", item.text));
        }
        if days.contains(item.weekday) {
            return Err(format!(
                "BYDAY lists {} more than once",
                weekday_code(item.weekday)
            ));
        }
        days = days.with(item.weekday);
    }
    Ok(days)
}

/// One item of a BYDAY list, e.g. `MO` or `-1FR`.
#[derive(Debug)]
struct ByDayItem<'a> {
    text: &'a str,
    position: Option<WeekdayPosition>,
    weekday: Weekday,
}

fn parse_by_day(value: &str) -> Result<Vec<ByDayItem<'_>>, String> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err("BYDAY has an empty item".to_owned());
            }
            let not_a_weekday =
                || format!("BYDAY: {item} is not a weekday (MO, TU, WE, TH, FR, SA or SU)");
            // The weekday code is the last two characters; checking for
            // ASCII first keeps the split on a character boundary.
            let code_at = item
                .len()
                .checked_sub(2)
                .filter(|_| item.is_ascii())
                .ok_or_else(not_a_weekday)?;
            let (position, code) = item.split_at(code_at);
            let weekday = parse_weekday(code).ok_or_else(not_a_weekday)?;
            let position = match position {
                "" => None,
                _ => match parse_signed(position).ok_or_else(not_a_weekday)? {
                    -1 => Some(WeekdayPosition::Last),
                    n @ 1..=4 => u8::try_from(n).ok().map(WeekdayPosition::Nth),
                    _ => {
                        return Err(format!(
                            "BYDAY={item}: the position in the month must be 1–4 or -1"
                        ));
                    }
                },
            };
            Ok(ByDayItem {
                text: item,
                position,
                weekday,
            })
        })
        .collect()
}

fn parse_month_day(value: &str) -> Result<MonthDay, String> {
    if value.contains(',') {
        return Err("BYMONTHDAY takes exactly one day".into());
    }
    match parse_signed(value) {
        Some(-1) => Ok(MonthDay::LastDay),
        day => day
            .and_then(|day| u8::try_from(day).ok())
            .filter(|day| (1..=31).contains(day))
            .map(MonthDay::Day)
            .ok_or_else(|| "BYMONTHDAY must be 1–31 or -1".into()),
    }
}

fn parse_until(value: &str) -> Result<Until, String> {
    const FORMAT: &str = "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)";
    let (date, time) = match value.split_once('T') {
        None => (value, None),
        Some((date, time)) => match time.strip_suffix('Z') {
            Some(time) => (date, Some(time)),
            None if time.len() == 6 && parse_digits(time).is_some() => {
                return Err("UNTIL must be in UTC: a date-time ends in Z".into());
            }
            None => return Err(FORMAT.into()),
        },
    };
    // Lengths in bytes: any non-ASCII character fails the digit checks.
    if date.len() != 8 || time.is_some_and(|time| time.len() != 6) {
        return Err(FORMAT.into());
    }
    // Each field is a fixed run of digits: slice, then parse.
    let field = |text: &str, from: usize, to: usize| {
        text.get(from..to)
            .and_then(parse_digits)
            .ok_or_else(|| FORMAT.to_owned())
    };
    let year = i32::try_from(field(date, 0, 4)?).map_err(|_| FORMAT.to_owned())?;
    let date = NaiveDate::from_ymd_opt(year, field(date, 4, 6)?, field(date, 6, 8)?)
        .ok_or_else(|| format!("UNTIL={value} is not a valid date"))?;
    let utc_time = match time {
        None => None,
        Some(time) => Some(
            NaiveTime::from_hms_opt(field(time, 0, 2)?, field(time, 2, 4)?, field(time, 4, 6)?)
                .ok_or_else(|| format!("UNTIL={value} is not a valid time"))?,
        ),
    };
    Ok(Until { date, utc_time })
}

/// A run of ASCII digits (no sign, as RFC 5545 writes COUNT and INTERVAL);
/// None when empty, not digits, or too large for u32.
fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Digits with an optional leading `+` or `-`.
fn parse_signed(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(digits) => parse_digits(digits).map(|n| -i64::from(n)),
        None => parse_digits(text.strip_prefix('+').unwrap_or(text)).map(i64::from),
    }
}

/// "every day", "every 3 days".
fn every(interval: u16, unit: &str) -> String {
    if interval == 1 {
        format!("every {unit}")
    } else {
        format!("every {interval} {unit}s")
    }
}

/// "every weekday", "every Monday and Thursday", "every day".
fn every_weekdays(days: Weekdays) -> String {
    match days {
        Weekdays::ALL => "every day".into(),
        Weekdays::MONDAY_TO_FRIDAY => "every weekday".into(),
        _ => format!("every {}", days.names()),
    }
}

/// "weekdays", "Monday, Wednesday and Friday".
fn weekdays_phrase(days: Weekdays) -> String {
    match days {
        Weekdays::MONDAY_TO_FRIDAY => "weekdays".into(),
        _ => days.names(),
    }
}

/// "A", "A and B", "A, B and C".
fn join_english(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd".
fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(iso: &str) -> NaiveDate {
        NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap_or_else(|e| panic!("{iso}: {e}"))
    }

    fn rule(text: &str) -> Recurrence {
        Recurrence::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// `start` and the dates after it, found by completing each task in
    /// turn: every step takes the previous date as DTSTART and the rule the
    /// previous step returned.
    fn series(rule: &Recurrence, start: NaiveDate, limit: usize) -> Vec<NaiveDate> {
        let mut dates = vec![start];
        let mut rule = rule.clone();
        while dates.len() < limit {
            let current = dates[dates.len() - 1];
            let Some((next, next_rule)) = rule.next_occurrence(current) else {
                break;
            };
            assert!(next > current, "{rule} from {current} went back to {next}");
            dates.push(next);
            rule = next_rule;
        }
        dates
    }

    /// The first `limit` occurrences the `rrule` crate expands from
    /// `DTSTART:<start>T000000Z` and the same rule, adjusted where the crate
    /// knowingly differs from what this module promises.
    fn crate_series(rule: &Recurrence, start: NaiveDate, limit: usize) -> Vec<NaiveDate> {
        // After a UTC DTSTART the crate wants a UTC UNTIL; midnight UTC of
        // the UNTIL date keeps that date in, as a date-only UNTIL does.
        let mut for_crate = rule.clone();
        if let End::Until(until) = &mut for_crate.end {
            until.utc_time = until.utc_time.or(Some(NaiveTime::MIN));
        }
        let until_before_start = matches!(rule.end, End::Until(until) if until.date < start);
        let mut dates: Vec<NaiveDate> = if until_before_start {
            // The crate refuses such a rule; the series is DTSTART alone.
            Vec::new()
        } else {
            let text = format!(
                "DTSTART:{}T000000Z\nRRULE:{for_crate}",
                start.format("%Y%m%d")
            );
            let set: rrule::RRuleSet = text
                .parse()
                .unwrap_or_else(|e| panic!("rrule crate rejects {text:?}: {e}"));
            let limit = u16::try_from(limit).expect("small limit");
            set.all(limit)
                .dates
                .iter()
                .map(|d| d.date_naive())
                .collect()
        };
        // RFC 5545: "The DTSTART property value always counts as the first
        // occurrence", matching or not. The crate follows python-dateutil,
        // which leaves a non-matching DTSTART out.
        if dates.first() != Some(&start) {
            dates.insert(0, start);
            if let End::Count(count) = rule.end {
                dates.truncate(usize::from(count));
            }
        }
        dates.truncate(limit);
        // This module looks at most SEARCH_HORIZON_DAYS ahead for the next
        // date; a longer gap ends its series.
        let horizon = i64::try_from(SEARCH_HORIZON_DAYS).expect("small");
        if let Some(gap) = dates
            .windows(2)
            .position(|pair| (pair[1] - pair[0]).num_days() > horizon)
        {
            dates.truncate(gap + 1);
        }
        dates
    }

    fn assert_matches_crate(text: &str, start: NaiveDate) {
        let rule = rule(text);
        let ours = series(&rule, start, 12);
        let theirs = crate_series(&rule, start, 12);
        assert_eq!(ours, theirs, "{text} from {start}");
    }

    #[test]
    fn first_twelve_occurrences_match_the_rrule_crate() {
        let cases = [
            // DAILY
            ("FREQ=DAILY", "2024-02-27"),
            ("FREQ=DAILY;INTERVAL=3", "2024-02-27"),
            ("FREQ=DAILY;INTERVAL=366", "2023-03-01"),
            ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2024-01-06"),
            ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2024-01-10"),
            ("FREQ=DAILY;INTERVAL=2;BYDAY=MO,WE,FR", "2024-01-01"),
            ("FREQ=DAILY;INTERVAL=10;BYDAY=SU", "2024-01-03"),
            ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2024-01-03"),
            // WEEKLY
            ("FREQ=WEEKLY", "2024-02-29"),
            ("FREQ=WEEKLY;INTERVAL=2", "2024-12-25"),
            ("FREQ=WEEKLY;BYDAY=MO,TH", "2024-01-01"),
            ("FREQ=WEEKLY;BYDAY=MO,TH", "2024-01-06"),
            ("FREQ=WEEKLY;BYDAY=SU", "2024-01-01"),
            (
                "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;INTERVAL=3",
                "2024-01-04",
            ),
            // RFC 5545's own WKST example (see the hand-written test).
            ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO", "1997-08-05"),
            ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU", "1997-08-05"),
            ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA,SU;WKST=SU", "2024-01-06"),
            ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA,SU", "2024-01-06"),
            // MONTHLY on the 29th/30th/31st and the last day
            ("FREQ=MONTHLY", "2024-01-29"),
            ("FREQ=MONTHLY", "2024-01-30"),
            ("FREQ=MONTHLY", "2024-01-31"),
            ("FREQ=MONTHLY", "2025-01-31"),
            ("FREQ=MONTHLY", "2100-01-29"),
            ("FREQ=MONTHLY;INTERVAL=2", "2024-01-31"),
            ("FREQ=MONTHLY;INTERVAL=3", "2024-11-30"),
            ("FREQ=MONTHLY;BYMONTHDAY=29", "2028-01-15"),
            ("FREQ=MONTHLY;BYMONTHDAY=29", "2100-01-29"),
            ("FREQ=MONTHLY;BYMONTHDAY=30", "2024-01-31"),
            ("FREQ=MONTHLY;BYMONTHDAY=31", "2024-01-31"),
            ("FREQ=MONTHLY;BYMONTHDAY=31", "2100-02-01"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "2024-01-31"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "2028-01-31"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "2100-01-31"),
            ("FREQ=MONTHLY;BYMONTHDAY=1", "2024-01-31"),
            ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31", "2024-01-31"),
            // MONTHLY on a weekday
            ("FREQ=MONTHLY;BYDAY=1MO", "2024-09-02"),
            ("FREQ=MONTHLY;BYDAY=1MO", "2024-09-03"),
            ("FREQ=MONTHLY;BYDAY=-1FR", "2024-02-01"),
            ("FREQ=MONTHLY;BYDAY=4TH", "2024-11-28"),
            ("FREQ=MONTHLY;INTERVAL=2;BYDAY=2WE", "2028-02-29"),
            ("FREQ=MONTHLY;BYDAY=-1SU", "2100-02-28"),
            // YEARLY
            ("FREQ=YEARLY", "2024-02-29"),
            ("FREQ=YEARLY", "2024-03-01"),
            ("FREQ=YEARLY;INTERVAL=2", "2024-02-29"),
            ("FREQ=YEARLY;INTERVAL=3", "2096-02-29"),
            ("FREQ=YEARLY", "2096-02-29"),
            // COUNT: where the series ends, also from a non-matching DTSTART
            ("FREQ=DAILY;COUNT=5", "2024-02-27"),
            ("FREQ=DAILY;COUNT=1", "2024-02-27"),
            ("FREQ=WEEKLY;BYDAY=MO,TU;COUNT=3", "2024-01-06"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", "2024-01-31"),
            ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", "2024-02-01"),
            ("FREQ=YEARLY;COUNT=3", "2024-02-29"),
            // UNTIL: inclusive, date or UTC date-time
            ("FREQ=WEEKLY;UNTIL=20240229", "2024-02-01"),
            ("FREQ=DAILY;UNTIL=20240110T235959Z", "2024-01-01"),
            ("FREQ=DAILY;UNTIL=20240110T000000Z", "2024-01-01"),
            (
                "FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20240731T000000Z",
                "2024-01-31",
            ),
            ("FREQ=MONTHLY;UNTIL=20240229", "2024-01-31"),
            ("FREQ=YEARLY;UNTIL=20320229", "2024-02-29"),
            ("FREQ=DAILY;UNTIL=20231231", "2024-01-01"),
        ];
        for (text, start) in cases {
            assert_matches_crate(text, date(start));
        }
    }

    /// xorshift64: deterministic, so a failure can be replayed.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            let at = self.below(items.len() as u64);
            items[usize::try_from(at).expect("small")]
        }
    }

    #[test]
    fn random_rules_match_the_rrule_crate() {
        let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
        let codes = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
        for _ in 0..400 {
            let freq = random.pick(&["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]);
            let mut text = format!("FREQ={freq}");
            let interval = match freq {
                "DAILY" | "WEEKLY" => random.pick(&["1", "1", "2", "3", "4", "5", "7", "13"]),
                "MONTHLY" => random.pick(&["1", "1", "2", "3", "5", "6", "7", "11", "12", "13"]),
                _ => random.pick(&["1", "1", "2", "3", "4", "5"]),
            };
            if interval != "1" {
                text.push_str(&format!(";INTERVAL={interval}"));
            }
            match freq {
                "DAILY" | "WEEKLY" if random.below(3) > 0 => {
                    let days: Vec<&str> = codes
                        .iter()
                        .copied()
                        .filter(|_| random.below(3) == 0)
                        .collect();
                    if !days.is_empty() {
                        text.push_str(&format!(";BYDAY={}", days.join(",")));
                    }
                }
                "MONTHLY" => match random.below(3) {
                    0 => {}
                    1 => {
                        let day = random.below(32);
                        let day = if day == 0 {
                            "-1".to_owned()
                        } else {
                            day.to_string()
                        };
                        text.push_str(&format!(";BYMONTHDAY={day}"));
                    }
                    _ => {
                        let position = random.pick(&["1", "2", "3", "4", "-1"]);
                        text.push_str(&format!(";BYDAY={position}{}", random.pick(&codes)));
                    }
                },
                _ => {}
            }
            let start = NaiveDate::from_ymd_opt(1990, 1, 1)
                .and_then(|d| d.checked_add_days(Days::new(random.below(120 * 366))))
                .expect("in range");
            match random.below(4) {
                0 => text.push_str(&format!(";COUNT={}", 1 + random.below(15))),
                1 => {
                    let until = start
                        .checked_add_days(Days::new(random.below(3 * 366)))
                        .expect("in range");
                    let time = random.pick(&["", "T000000Z", "T235959Z", "T120000Z"]);
                    text.push_str(&format!(";UNTIL={}{time}", until.format("%Y%m%d")));
                }
                _ => {}
            }
            if random.below(3) == 0 {
                text.push_str(";WKST=SU");
            }
            assert_matches_crate(&text, start);
        }
    }

    fn after(text: &str, start: &str, count: usize) -> Vec<NaiveDate> {
        series(&rule(text), date(start), count + 1)[1..].to_vec()
    }

    fn dates(isos: &[&str]) -> Vec<NaiveDate> {
        isos.iter().map(|iso| date(iso)).collect()
    }

    // Written out by hand, so that a bug shared with the rrule crate would
    // still show.
    #[test]
    fn month_ends_and_leap_years() {
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=-1", "2024-01-31", 3),
            dates(&["2024-02-29", "2024-03-31", "2024-04-30"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=-1", "2100-01-31", 2),
            dates(&["2100-02-28", "2100-03-31"])
        );
        // Months without a 31st are skipped, never shortened to the 30th.
        assert_eq!(
            after("FREQ=MONTHLY", "2025-01-31", 2),
            dates(&["2025-03-31", "2025-05-31"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31", "2024-01-31", 4),
            dates(&["2024-03-31", "2024-05-31", "2024-07-31", "2025-01-31"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=30", "2024-01-30", 2),
            dates(&["2024-03-30", "2024-04-30"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=29", "2028-01-29", 1),
            dates(&["2028-02-29"])
        );
        // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=29", "2100-01-29", 1),
            dates(&["2100-03-29"])
        );
        assert_eq!(
            after("FREQ=MONTHLY", "2000-01-29", 1),
            dates(&["2000-02-29"])
        );
        assert_eq!(
            after("FREQ=YEARLY", "2024-02-29", 2),
            dates(&["2028-02-29", "2032-02-29"])
        );
        assert_eq!(
            after("FREQ=YEARLY", "2096-02-29", 1),
            dates(&["2104-02-29"])
        );
        assert_eq!(
            after("FREQ=YEARLY;INTERVAL=3", "2024-02-29", 1),
            dates(&["2036-02-29"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYDAY=-1FR", "2024-02-01", 2),
            dates(&["2024-02-23", "2024-03-29"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYDAY=1MO", "2024-09-02", 2),
            dates(&["2024-10-07", "2024-11-04"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYDAY=4TH", "2024-02-01", 1),
            dates(&["2024-02-22"])
        );
    }

    #[test]
    fn weeks_and_weekdays() {
        // RFC 5545 §3.8.5.3: "An example where the days generated makes a
        // difference because of WKST" (DTSTART 1997-08-05, a Tuesday).
        assert_eq!(
            series(
                &rule("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"),
                date("1997-08-05"),
                10
            ),
            dates(&["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"])
        );
        assert_eq!(
            series(
                &rule("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"),
                date("1997-08-05"),
                10
            ),
            dates(&["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"])
        );
        // Friday → Monday.
        assert_eq!(
            after("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2024-01-05", 2),
            dates(&["2024-01-08", "2024-01-09"])
        );
        assert_eq!(
            after("FREQ=WEEKLY;INTERVAL=2", "2024-12-25", 2),
            dates(&["2025-01-08", "2025-01-22"])
        );
        // Every third day, kept only when it is a Monday: 2024-01-01 is one,
        // and the next Monday among every third day is 21 days later.
        assert_eq!(
            after("FREQ=DAILY;INTERVAL=3;BYDAY=MO", "2024-01-01", 1),
            dates(&["2024-01-22"])
        );
    }

    #[test]
    fn dtstart_counts_even_when_it_does_not_match() {
        // 2024-01-06 is a Saturday: it is the first of the three occurrences.
        assert_eq!(
            series(
                &rule("FREQ=WEEKLY;BYDAY=MO,TU;COUNT=3"),
                date("2024-01-06"),
                10
            ),
            dates(&["2024-01-06", "2024-01-08", "2024-01-09"])
        );
        assert_eq!(
            after("FREQ=MONTHLY;BYMONTHDAY=15", "2024-01-10", 2),
            dates(&["2024-01-15", "2024-02-15"])
        );
    }

    #[test]
    fn count_is_decremented_and_ends_the_series() {
        let start = date("2024-01-01");
        let (next, carried) = rule("FREQ=DAILY;COUNT=3")
            .next_occurrence(start)
            .expect("next");
        assert_eq!(next, date("2024-01-02"));
        assert_eq!(carried.rrule(), "FREQ=DAILY;COUNT=2");
        let (_, last) = carried.next_occurrence(next).expect("next");
        assert_eq!(last.rrule(), "FREQ=DAILY;COUNT=1");
        assert_eq!(last.next_occurrence(date("2024-01-03")), None);
        // Rules without COUNT are carried unchanged.
        let forever = rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=SU");
        let (_, carried) = forever.next_occurrence(start).expect("next");
        assert_eq!(carried, forever);
    }

    #[test]
    fn until_is_inclusive_and_compared_by_date() {
        for until in ["20240103", "20240103T000000Z", "20240103T235959Z"] {
            let text = format!("FREQ=DAILY;UNTIL={until}");
            assert_eq!(
                series(&rule(&text), date("2024-01-01"), 10),
                dates(&["2024-01-01", "2024-01-02", "2024-01-03"]),
                "{text}"
            );
            // Carried unchanged, as written.
            let (_, carried) = rule(&text)
                .next_occurrence(date("2024-01-01"))
                .expect("next");
            assert_eq!(carried.rrule(), text);
        }
        assert_eq!(
            rule("FREQ=DAILY;UNTIL=20231231").next_occurrence(date("2024-01-01")),
            None
        );
    }

    #[test]
    fn next_occurrence_is_bounded() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // February every 12 months: there is never a 30th.
            let never = rule("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30");
            let results = [
                never.next_occurrence(date("2024-02-10")),
                // Feb 29 every 100 years from 2000: 2100 is not a leap year,
                // and 2400 is beyond the search.
                rule("FREQ=YEARLY;INTERVAL=100").next_occurrence(date("2000-02-29")),
                // The next date exists but lies more than ~50 years ahead.
                rule("FREQ=YEARLY;INTERVAL=60").next_occurrence(date("2024-03-01")),
                // At the end of chrono's calendar.
                rule("FREQ=DAILY").next_occurrence(NaiveDate::MAX),
                rule("FREQ=MONTHLY;BYMONTHDAY=31").next_occurrence(NaiveDate::MAX),
                rule("FREQ=WEEKLY;BYDAY=MO").next_occurrence(NaiveDate::MAX),
                rule("FREQ=YEARLY").next_occurrence(NaiveDate::MAX),
            ];
            let _ = done.send(results);
        });
        let results = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("next_occurrence must give up within its search horizon");
        for result in results {
            assert_eq!(result, None);
        }
        // Just inside the horizon still counts.
        assert_eq!(
            after("FREQ=YEARLY;INTERVAL=50", "2024-03-01", 1),
            dates(&["2074-03-01"])
        );
        assert_eq!(
            rule("FREQ=DAILY")
                .next_occurrence(NaiveDate::MIN)
                .map(|(d, _)| d),
            NaiveDate::MIN.succ_opt()
        );
    }

    #[test]
    fn rejects_what_the_subset_leaves_out() {
        let cases = [
            ("", "the recurrence rule is empty"),
            ("RRULE:", "the recurrence rule is empty"),
            ("INTERVAL=2", "FREQ is required"),
            (
                "FREQ=HOURLY",
                "FREQ=HOURLY is not supported: a task repeats at most daily",
            ),
            (
                "FREQ=minutely",
                "FREQ=MINUTELY is not supported: a task repeats at most daily",
            ),
            (
                "FREQ=SECONDLY",
                "FREQ=SECONDLY is not supported: a task repeats at most daily",
            ),
            (
                "FREQ=FORTNIGHTLY",
                "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY",
            ),
            ("FREQ=", "FREQ needs a value"),
            ("FREQ=DAILY;COUNT=", "COUNT needs a value"),
            ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be 1–366"),
            ("FREQ=DAILY;INTERVAL=367", "INTERVAL must be 1–366"),
            ("FREQ=DAILY;INTERVAL=-1", "INTERVAL must be 1–366"),
            ("FREQ=DAILY;INTERVAL=+2", "INTERVAL must be 1–366"),
            (
                "FREQ=DAILY;INTERVAL=99999999999999999999",
                "INTERVAL must be 1–366",
            ),
            ("FREQ=DAILY;COUNT=0", "COUNT must be 1–1000"),
            ("FREQ=DAILY;COUNT=1001", "COUNT must be 1–1000"),
            (
                "FREQ=DAILY;COUNT=3;UNTIL=20261231",
                "COUNT and UNTIL cannot both be given",
            ),
            (
                "FREQ=DAILY;UNTIL=2026-12-31",
                "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)",
            ),
            (
                "FREQ=DAILY;UNTIL=20261231T235959",
                "UNTIL must be in UTC: a date-time ends in Z",
            ),
            (
                "FREQ=DAILY;UNTIL=20261231T2359Z",
                "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)",
            ),
            (
                "FREQ=DAILY;UNTIL=2026-12-31T00:00:00Z",
                "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)",
            ),
            (
                "FREQ=DAILY;UNTIL=20260230",
                "UNTIL=20260230 is not a valid date",
            ),
            (
                "FREQ=DAILY;UNTIL=20261231T245959Z",
                "UNTIL=20261231T245959Z is not a valid time",
            ),
            (
                "FREQ=DAILY;UNTIL=2026123é",
                "UNTIL must be a date (YYYYMMDD) or a UTC date-time (YYYYMMDDTHHMMSSZ)",
            ),
            ("FREQ=DAILY;WKST=TU", "WKST must be MO or SU"),
            ("FREQ=DAILY;WKST=XX", "WKST must be MO or SU"),
            ("FREQ=DAILY;BYSETPOS=1", "BYSETPOS is not supported"),
            ("FREQ=YEARLY;BYMONTH=2", "BYMONTH is not supported"),
            ("FREQ=YEARLY;BYYEARDAY=100", "BYYEARDAY is not supported"),
            ("FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO is not supported"),
            ("FREQ=DAILY;BYHOUR=9", "BYHOUR is not supported"),
            ("FREQ=DAILY;BYMINUTE=30", "BYMINUTE is not supported"),
            ("FREQ=DAILY;BYSECOND=0", "BYSECOND is not supported"),
            ("FREQ=DAILY;X-FOO=1", "X-FOO is not a recurrence rule part"),
            ("FREQ=DAILY;=1", "a part of the recurrence rule has no name"),
            ("FREQ=DAILY;COUNT", "COUNT is not of the form NAME=VALUE"),
            (
                "FREQ=DAILY;;COUNT=2",
                "the recurrence rule has an empty part (\";;\")",
            ),
            ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given more than once"),
            (
                "FREQ=DAILY;COUNT=2;count=3",
                "COUNT is given more than once",
            ),
            ("FREQ=DAILY;BYDAY=1MO", "BYDAY=1MO needs FREQ=MONTHLY"),
            ("FREQ=WEEKLY;BYDAY=MO,-1FR", "BYDAY=-1FR needs FREQ=MONTHLY"),
            (
                "FREQ=WEEKLY;BYDAY=MO,TU,MO",
                "BYDAY lists MO more than once",
            ),
            (
                "FREQ=WEEKLY;BYDAY=MON",
                "BYDAY: MON is not a weekday (MO, TU, WE, TH, FR, SA or SU)",
            ),
            (
                "FREQ=WEEKLY;BYDAY=M",
                "BYDAY: M is not a weekday (MO, TU, WE, TH, FR, SA or SU)",
            ),
            ("FREQ=WEEKLY;BYDAY=MO,", "BYDAY has an empty item"),
            (
                "FREQ=WEEKLY;BYDAY=ÉMO",
                "BYDAY: ÉMO is not a weekday (MO, TU, WE, TH, FR, SA or SU)",
            ),
            (
                "FREQ=MONTHLY;BYDAY=5MO",
                "BYDAY=5MO: the position in the month must be 1–4 or -1",
            ),
            (
                "FREQ=MONTHLY;BYDAY=-2FR",
                "BYDAY=-2FR: the position in the month must be 1–4 or -1",
            ),
            (
                "FREQ=MONTHLY;BYDAY=MO",
                "with FREQ=MONTHLY, BYDAY takes one weekday with its position in the month, e.g. 1MO or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=1MO,3MO",
                "with FREQ=MONTHLY, BYDAY takes one weekday with its position in the month, e.g. 1MO or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=1",
                "BYDAY and BYMONTHDAY cannot both be given",
            ),
            (
                "FREQ=YEARLY;BYDAY=MO",
                "BYDAY is not supported with FREQ=YEARLY",
            ),
            ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY needs FREQ=MONTHLY"),
            ("FREQ=YEARLY;BYMONTHDAY=1", "BYMONTHDAY needs FREQ=MONTHLY"),
            (
                "FREQ=MONTHLY;BYMONTHDAY=1,15",
                "BYMONTHDAY takes exactly one day",
            ),
            ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY must be 1–31 or -1"),
            (
                "FREQ=MONTHLY;BYMONTHDAY=32",
                "BYMONTHDAY must be 1–31 or -1",
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=-2",
                "BYMONTHDAY must be 1–31 or -1",
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=last",
                "BYMONTHDAY must be 1–31 or -1",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(
                Recurrence::parse(input),
                Err(message.to_owned()),
                "{input:?}"
            );
        }
        // Exactly at the limit (spaces inside a part count) and one past it.
        let at_limit = format!("FREQ={}DAILY", " ".repeat(RRULE_MAX_CHARS - 10));
        assert_eq!(
            Recurrence::parse(&at_limit).map(|r| r.rrule()),
            Ok("FREQ=DAILY".into())
        );
        let too_long = format!("FREQ={}DAILY", " ".repeat(RRULE_MAX_CHARS - 9));
        assert_eq!(
            Recurrence::parse(&too_long),
            Err("a recurrence rule must be at most 200 characters".to_owned())
        );
        // Surrounding whitespace doesn't count towards the limit.
        let padded = format!("{}FREQ=DAILY{}", " ".repeat(150), " ".repeat(150));
        assert_eq!(
            Recurrence::parse(&padded).map(|r| r.rrule()),
            Ok("FREQ=DAILY".into())
        );
    }

    #[test]
    fn canonical_form_round_trips() {
        let cases = [
            ("FREQ=DAILY", "FREQ=DAILY"),
            ("  rrule:freq=daily;interval=1  ", "FREQ=DAILY"),
            ("RRULE:FREQ=DAILY;", "FREQ=DAILY"),
            (
                "FREQ=WEEKLY; BYDAY = fr, mo ,we ; INTERVAL=02",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
            ),
            (
                "WKST=SU;BYDAY=SU,SA;FREQ=WEEKLY;INTERVAL=2",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU;WKST=SU",
            ),
            ("FREQ=WEEKLY;WKST=MO", "FREQ=WEEKLY"),
            ("FREQ=MONTHLY;BYMONTHDAY=+05", "FREQ=MONTHLY;BYMONTHDAY=5"),
            (
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12",
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12",
            ),
            ("FREQ=MONTHLY;BYDAY=+1mo", "FREQ=MONTHLY;BYDAY=1MO"),
            (
                "FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=3",
                "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR",
            ),
            ("FREQ=YEARLY;UNTIL=20261231", "FREQ=YEARLY;UNTIL=20261231"),
            (
                "UNTIL=20261231t235959z;FREQ=DAILY",
                "FREQ=DAILY;UNTIL=20261231T235959Z",
            ),
            (
                "FREQ=DAILY;INTERVAL=366;BYDAY=SU,SA,FR,TH,WE,TU,MO;COUNT=1000;WKST=SU",
                "FREQ=DAILY;INTERVAL=366;BYDAY=MO,TU,WE,TH,FR,SA,SU;COUNT=1000;WKST=SU",
            ),
        ];
        for (input, canonical) in cases {
            let parsed = rule(input);
            assert_eq!(parsed.rrule(), canonical, "{input:?}");
            assert_eq!(parsed.to_string(), canonical);
            assert_eq!(rule(&parsed.rrule()), parsed, "{input:?}");
        }
        assert_eq!(
            rule("FREQ=WEEKLY;BYDAY=MO,TU"),
            rule("FREQ=WEEKLY;BYDAY=TU,MO")
        );
        assert_ne!(rule("FREQ=WEEKLY"), rule("FREQ=WEEKLY;WKST=SU"));
    }

    #[test]
    fn summaries() {
        let cases = [
            ("FREQ=DAILY", "every day"),
            ("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
            ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
            (
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR",
                "every 2 weeks on weekdays",
            ),
            ("FREQ=DAILY;BYDAY=SA,SU,MO,TU,WE,TH,FR", "every day"),
            ("FREQ=DAILY;BYDAY=SA,SU", "every Saturday and Sunday"),
            (
                "FREQ=DAILY;INTERVAL=3;BYDAY=MO",
                "every 3 days, only on Monday",
            ),
            ("FREQ=WEEKLY", "every week"),
            ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
            ("FREQ=WEEKLY;BYDAY=TH,MO", "every Monday and Thursday"),
            ("FREQ=WEEKLY;BYDAY=FR", "every Friday"),
            (
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
                "every 2 weeks on Monday, Wednesday and Friday",
            ),
            ("FREQ=MONTHLY", "every month"),
            ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
            ("FREQ=MONTHLY;BYMONTHDAY=31", "every month on the 31st"),
            ("FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
            ("FREQ=MONTHLY;BYMONTHDAY=2", "every month on the 2nd"),
            ("FREQ=MONTHLY;BYMONTHDAY=3", "every month on the 3rd"),
            ("FREQ=MONTHLY;BYMONTHDAY=11", "every month on the 11th"),
            ("FREQ=MONTHLY;BYMONTHDAY=12", "every month on the 12th"),
            ("FREQ=MONTHLY;BYMONTHDAY=13", "every month on the 13th"),
            ("FREQ=MONTHLY;BYMONTHDAY=22", "every month on the 22nd"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
            ("FREQ=MONTHLY;BYDAY=1MO", "every month on the first Monday"),
            (
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=3WE",
                "every 2 months on the third Wednesday",
            ),
            ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
            ("FREQ=YEARLY", "every year"),
            ("FREQ=YEARLY;INTERVAL=4", "every 4 years"),
            ("FREQ=DAILY;INTERVAL=3;COUNT=5", "every 3 days, 5 times"),
            ("FREQ=DAILY;COUNT=1", "every day, once"),
            ("FREQ=WEEKLY;UNTIL=20261231", "every week, until 2026-12-31"),
            (
                "FREQ=WEEKLY;UNTIL=20261231T235959Z",
                "every week, until 2026-12-31",
            ),
        ];
        for (text, summary) in cases {
            assert_eq!(rule(text).summary(), summary, "{text}");
        }
    }
}
