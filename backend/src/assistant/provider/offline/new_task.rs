//! A new task as people dictate it: "buy milk tomorrow, high priority,
//! tag home" is the title "buy milk", due tomorrow, high priority, tagged
//! home; "water the plants every monday at 8am remind me an hour before"
//! is the title "water the plants", repeating every Monday from the next
//! Monday, due at 08:00, with a reminder an hour before. What is neither
//! title nor a modifier becomes the description.
//!
//! Modifiers are read off the end of the title, one at a time, and from
//! whole comma-separated segments after it. So a schedule phrase inside a
//! title stays title: "read every chapter" is a title, "read every chapter
//! every day" is that title, daily. What the modifiers leave unsaid is
//! decided here:
//!
//! - a time without a date: today if that time is still ahead, else
//!   tomorrow;
//! - a repeat without a date: its first day not already past (today when
//!   it fits the rule and its time is still ahead; see
//!   [`Repeat::start`]); with a date ("every monday starting dec 1"), its
//!   first day on or after that date;
//! - a reminder without a time: due at 09:00 (the reply shows it);
//! - "remind me at 7am" with a due time of 8am: a reminder an hour
//!   before; without another time, due at 7am with a reminder then; a
//!   reminder time after the due time is not understood;
//! - "remind me to …" with a time: a reminder at the due time, unless the
//!   command names its own reminders.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Map, Value, json};

use super::dates::{date_phrase, weekday};
use super::grammar::{arguments, before, first_of};
use super::schedule::{Repeat, reminder_phrase, repeat_phrase, time_phrase};

/// The longest schedule phrase read off the end, in words ("every
/// monday, wednesday and friday at 9:15 pm" is read in parts).
const PHRASE_MAX_WORDS: usize = 10;

/// When a reminder is asked for and no time is said.
const DEFAULT_TIME: (u32, u32) = (9, 0);

/// Words that may introduce a date or a time and go with it.
const DATE_WORDS: [&str; 9] = [
    "due",
    "by",
    "on",
    "for",
    "until",
    "before",
    "starting",
    "from",
    "beginning",
];

/// "buy milk tomorrow, high priority, tag home" → add_task arguments, read
/// at `now` (the user's wall clock). `remind` is true when the command
/// began "remind me to".
pub(super) fn new_task(text: &str, now: NaiveDateTime, remind: bool) -> Option<Map<String, Value>> {
    let text = joined_weekday_lists(text);
    // "call mom at 5pm remind me": a reminder at the due time, when the
    // rest names a time; otherwise ("ask bob to remind me") it is title.
    let (first, rest) = text.split_once(',').unwrap_or((&text, ""));
    if let Some(head) = before(first.trim_end(), " remind me") {
        let without = if rest.is_empty() {
            head.to_owned()
        } else {
            format!("{head},{rest}")
        };
        if let Some(read) = Read::of(&without, now)
            && read.modifiers.time.is_some()
        {
            return read.arguments(now, true);
        }
    }
    Read::of(&text, now)?.arguments(now, remind)
}

/// A command split into its title, its notes and its modifiers.
struct Read {
    title: String,
    notes: Vec<String>,
    modifiers: Modifiers,
}

impl Read {
    fn of(text: &str, now: NaiveDateTime) -> Option<Self> {
        let mut segments = text.split(',').map(str::trim).filter(|s| !s.is_empty());
        let mut title = segments.next()?.to_owned();
        let mut modifiers = Modifiers::default();
        // Modifiers may trail the title itself: "buy milk tomorrow high priority".
        loop {
            let before_pass = title.clone();
            title = modifiers.take_trailing(&title, now);
            if title == before_pass {
                break;
            }
        }
        let mut notes = Vec::new();
        for segment in segments {
            let segment = segment.trim_start_matches("and ").trim();
            if !modifiers.take_whole(segment, now) {
                notes.push(segment.to_owned());
            }
        }
        let title = title
            .trim()
            .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'))
            .trim()
            .to_owned();
        (!title.is_empty()).then_some(Self {
            title,
            notes,
            modifiers,
        })
    }

    /// The add_task arguments; `remind`: a reminder at the due time when
    /// there is one and no other reminder was asked for.
    fn arguments(self, now: NaiveDateTime, remind: bool) -> Option<Map<String, Value>> {
        let Self {
            title,
            notes,
            modifiers,
        } = self;
        let mut args = arguments(&[("title", json!(title))]);
        if !notes.is_empty() {
            args.insert("description".into(), json!(notes.join(", ")));
        }
        if let Some(priority) = modifiers.priority {
            args.insert("priority".into(), json!(priority));
        }
        let schedule = modifiers.schedule(now, remind)?;
        if let Some(due) = schedule.date {
            args.insert("due_date".into(), json!(due.format("%Y-%m-%d").to_string()));
        }
        if let Some(time) = schedule.time {
            args.insert("due_time".into(), json!(time.format("%H:%M").to_string()));
        }
        if let Some(rule) = schedule.rule {
            args.insert("recurrence".into(), json!(rule));
        }
        if !schedule.reminders.is_empty() {
            args.insert("reminders".into(), json!(schedule.reminders));
        }
        if !modifiers.tags.is_empty() {
            args.insert("tags".into(), json!(modifiers.tags));
        }
        Some(args)
    }
}

/// When a task is due, as the API takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Schedule {
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    pub rule: Option<String>,
    pub reminders: Vec<u32>,
}

/// "tomorrow at 14:30", "next friday at 9am", "at 9am": a date and a time
/// and nothing else (for "move X to …"), with the same defaults as a new
/// task's.
pub(super) fn when_phrase(text: &str, now: NaiveDateTime) -> Option<Schedule> {
    let mut modifiers = Modifiers::default();
    if !modifiers.take_whole(text, now)
        || modifiers.priority.is_some()
        || !modifiers.tags.is_empty()
    {
        return None;
    }
    let schedule = modifiers.schedule(now, false)?;
    let only_when = schedule.rule.is_none() && schedule.reminders.is_empty();
    (only_when && schedule.date.is_some()).then_some(schedule)
}

/// "every monday, wednesday and friday" → "every monday wednesday and
/// friday": a comma inside a list of weekdays after "every"/"each" (or
/// between plural weekdays) does not end a segment.
fn joined_weekday_lists(text: &str) -> String {
    let is_day = |word: &str| {
        let word = word.trim_end_matches(',').to_ascii_lowercase();
        weekday(&word).is_some() || weekday(word.strip_suffix('s').unwrap_or("")).is_some()
    };
    let is_and = |word: &str| matches!(word.to_ascii_lowercase().as_str(), "and" | "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    let mut in_list = false;
    let mut changed = false;
    for (i, word) in words.iter().enumerate() {
        let lower = word.to_ascii_lowercase();
        let next_is_day = words.get(i + 1).is_some_and(|next| is_day(next));
        // The list goes on after this word: another day, or "and" and a day.
        let goes_on = next_is_day
            || (words.get(i + 1).is_some_and(|next| is_and(next))
                && words.get(i + 2).is_some_and(|next| is_day(next)));
        if matches!(lower.as_str(), "every" | "each" | "on") {
            in_list = next_is_day;
        } else if in_list && is_day(word) {
            if word.ends_with(',') && goes_on {
                joined.push(word.trim_end_matches(',').to_owned());
                changed = true;
                continue;
            }
        } else if !(in_list && is_and(word)) {
            in_list = false;
        }
        joined.push((*word).to_owned());
    }
    if changed {
        joined.join(" ")
    } else {
        text.to_owned()
    }
}

#[derive(Debug, Default, Clone)]
struct Modifiers {
    priority: Option<&'static str>,
    due: Option<NaiveDate>,
    time: Option<NaiveTime>,
    repeat: Option<Repeat>,
    /// Reminders said as "… before", in minutes.
    leads: Vec<u32>,
    /// "remind me at 7am": a reminder at that time on the due day.
    remind_at: Option<NaiveTime>,
    tags: Vec<String>,
}

const PRIORITY_PHRASES: [(&str, &str); 9] = [
    ("high priority", "high"),
    ("priority high", "high"),
    ("urgent", "high"),
    ("important", "high"),
    ("low priority", "low"),
    ("priority low", "low"),
    ("medium priority", "medium"),
    ("priority medium", "medium"),
    ("normal priority", "medium"),
];

impl Modifiers {
    fn add_tags(&mut self, words: &str) {
        for word in words
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case("and"))
        {
            let tag = word.trim_start_matches('#').to_lowercase();
            if !tag.is_empty() && !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }

    /// A segment that is all modifier ("high priority", "tag home",
    /// "due friday", "#home", "every monday at 8am", "remind me an hour
    /// before"); false (and nothing taken) when it is something else.
    fn take_whole(&mut self, segment: &str, now: NaiveDateTime) -> bool {
        let lower = segment.to_ascii_lowercase();
        if let Some((_, priority)) = PRIORITY_PHRASES.iter().find(|(p, _)| lower == *p) {
            self.priority = Some(priority);
            return true;
        }
        if let Some(words) = first_of(
            segment,
            &["tags ", "tag ", "tagged ", "with tags ", "with tag "],
        ) {
            self.add_tags(words);
            return true;
        }
        if segment.split_whitespace().all(|w| w.starts_with('#')) {
            self.add_tags(segment);
            return true;
        }
        // Schedule phrases, all of the segment; tried on a copy so that a
        // segment that is only partly schedule changes nothing.
        let mut trial = self.clone();
        let mut rest = segment.to_owned();
        while !rest.is_empty() {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let Some(taken) = trial.take_schedule(&words, now, 0) else {
                return false;
            };
            rest = words[..words.len() - taken].join(" ");
        }
        *self = trial;
        true
    }

    /// Removes one modifier from the end of `title`, if it ends with one,
    /// leaving at least one word.
    fn take_trailing(&mut self, title: &str, now: NaiveDateTime) -> String {
        let words: Vec<&str> = title.split_whitespace().collect();
        if words.len() < 2 {
            return title.to_owned();
        }
        // `#tag` words anywhere.
        if words.iter().any(|w| w.starts_with('#') && w.len() > 1) {
            let (tags, rest): (Vec<&str>, Vec<&str>) = words
                .iter()
                .partition(|w| w.starts_with('#') && w.len() > 1);
            self.add_tags(&tags.join(" "));
            return rest.join(" ");
        }
        for (phrase, priority) in PRIORITY_PHRASES {
            if let Some(rest) = before(title, &format!(" {phrase}")) {
                self.priority = Some(priority);
                return rest.trim().to_owned();
            }
        }
        // Before the tag markers, which take every word after them.
        if let Some(taken) = self.take_schedule(&words, now, 1) {
            return words[..words.len() - taken].join(" ");
        }
        let lower = title.to_ascii_lowercase();
        for marker in [" tagged ", " tags ", " tag "] {
            if let Some(at) = lower.rfind(marker) {
                self.add_tags(&title[at + marker.len()..]);
                return title[..at].trim().to_owned();
            }
        }
        title.to_owned()
    }

    /// Reads the longest schedule phrase (a reminder, a repeat, a time or
    /// a date) that ends `words`, leaving at least `keep` words before it;
    /// answers how many words it took. A date or time takes the "due",
    /// "by", "on" … before it too.
    fn take_schedule(&mut self, words: &[&str], now: NaiveDateTime, keep: usize) -> Option<usize> {
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let longest = PHRASE_MAX_WORDS.min(words.len().saturating_sub(keep));
        for take in (1..=longest).rev() {
            let phrase = &lower[lower.len() - take..];
            // What follows a tag marker is tags ("tag monday"), read below.
            let after_marker = lower.len() > take
                && matches!(lower[lower.len() - take - 1], "tag" | "tags" | "tagged");
            if after_marker {
                continue;
            }
            // The word before, too, if it introduces the date and is not
            // the last word that must stay.
            let with_date_word = |taken: usize| {
                let before = lower.len() - taken;
                let date_word = before > keep && DATE_WORDS.contains(&lower[before - 1]);
                if date_word { taken + 1 } else { taken }
            };
            if let Some(leads) = reminder_phrase(phrase) {
                self.leads.extend(leads);
                return Some(take);
            }
            if let Some(repeat) = repeat_phrase(phrase) {
                self.repeat = Some(repeat);
                return Some(take);
            }
            if let Some(time) = time_phrase(phrase) {
                self.time = Some(time);
                return Some(with_date_word(take));
            }
            if let Some(due) = date_phrase(&phrase.join(" "), now.date()) {
                self.due = Some(due);
                return Some(with_date_word(take));
            }
        }
        // "remind me" just before the time it names ("remind me at 7am",
        // "remind me tomorrow at 7am"): that time is the reminder's.
        if lower.ends_with(&["remind", "me"]) && lower.len() - 2 >= keep && self.remind_at.is_none()
        {
            let time = self.time.take()?;
            self.remind_at = Some(time);
            return Some(2);
        }
        None
    }

    /// The date, time, rule and reminders these modifiers say, with the
    /// module's defaults for what they leave out. None when they
    /// contradict each other (a reminder time after the due time).
    fn schedule(&self, now: NaiveDateTime, remind: bool) -> Option<Schedule> {
        let mut time = self.time;
        let mut reminders = self.leads.clone();
        if let Some(at) = self.remind_at {
            match time {
                None => {
                    time = Some(at);
                    reminders.push(0);
                }
                Some(due) if at <= due => {
                    reminders.push(u32::try_from((due - at).num_minutes()).ok()?);
                }
                Some(_) => return None,
            }
        }
        if remind && time.is_some() && reminders.is_empty() {
            reminders.push(0);
        }
        if !reminders.is_empty() && time.is_none() {
            time = NaiveTime::from_hms_opt(DEFAULT_TIME.0, DEFAULT_TIME.1, 0);
        }
        reminders.sort_unstable();
        reminders.dedup();
        let (date, rule) = match (&self.repeat, self.due) {
            (Some(repeat), Some(from)) => {
                let first = repeat.first_from(from);
                (Some(first), Some(repeat.rrule(first)))
            }
            (Some(repeat), None) => {
                let (first, rule) = repeat.start(now, time);
                (Some(first), Some(rule))
            }
            (None, Some(due)) => (Some(due), None),
            (None, None) => (
                time.map(|t| {
                    if t > now.time() {
                        now.date()
                    } else {
                        now.date() + Duration::days(1)
                    }
                }),
                None,
            ),
        };
        Some(Schedule {
            date,
            time,
            rule,
            reminders,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday 2 December 2026, 10:00 on the user's clock.
    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn added(text: &str) -> Value {
        Value::Object(new_task(text, now(), false).unwrap_or_else(|| panic!("{text:?}")))
    }

    #[test]
    fn a_schedule_phrase_at_the_end_is_read_one_inside_the_title_is_not() {
        assert_eq!(
            added("read every chapter"),
            json!({"title": "read every chapter"})
        );
        assert_eq!(
            added("read every chapter every day"),
            json!({"title": "read every chapter", "due_date": "2026-12-02", "recurrence": "FREQ=DAILY"})
        );
        assert_eq!(
            added("meet bob at the station"),
            json!({"title": "meet bob at the station"})
        );
        assert_eq!(added("dinner at 8"), json!({"title": "dinner at 8"}));
        assert_eq!(
            added("ask bob to remind me"),
            json!({"title": "ask bob to remind me"})
        );
        // What follows a tag marker is tags, even a weekday.
        assert_eq!(
            added("water plants tag monday"),
            json!({"title": "water plants", "tags": ["monday"]})
        );
        // A title is never used up: one word stays.
        assert_eq!(added("daily"), json!({"title": "daily"}));
        assert_eq!(
            added("due tomorrow"),
            json!({"title": "due", "due_date": "2026-12-03"})
        );
    }

    #[test]
    fn a_time_without_a_date_is_today_while_ahead_else_tomorrow() {
        assert_eq!(
            added("call mom at 14:30"),
            json!({"title": "call mom", "due_date": "2026-12-02", "due_time": "14:30"})
        );
        assert_eq!(
            added("call mom at 9am"),
            json!({"title": "call mom", "due_date": "2026-12-03", "due_time": "09:00"})
        );
        assert_eq!(
            added("call mom at 10:00"),
            json!({"title": "call mom", "due_date": "2026-12-03", "due_time": "10:00"}),
            "now is not ahead"
        );
        assert_eq!(
            added("standup at 9:15pm"),
            json!({"title": "standup", "due_date": "2026-12-02", "due_time": "21:15"})
        );
    }

    #[test]
    fn dates_and_times_combine_in_either_order_and_in_segments() {
        let due = |date: &str, time: &str| json!({"title": "pay rent", "due_date": date, "due_time": time});
        assert_eq!(
            added("pay rent tomorrow at 14:30"),
            due("2026-12-03", "14:30")
        );
        assert_eq!(
            added("pay rent at 14:30 tomorrow"),
            due("2026-12-03", "14:30")
        );
        assert_eq!(
            added("pay rent next friday at 9am"),
            due("2026-12-04", "09:00")
        );
        assert_eq!(
            added("pay rent dec 24 at 18:00"),
            due("2026-12-24", "18:00")
        );
        assert_eq!(
            added("pay rent on dec 24 at 6pm"),
            due("2026-12-24", "18:00")
        );
        assert_eq!(
            added("pay rent, dec 24 at 18:00"),
            due("2026-12-24", "18:00")
        );
        assert_eq!(
            added("pay rent due at 5pm on friday"),
            due("2026-12-04", "17:00")
        );
        assert_eq!(
            added("PAY RENT TOMORROW AT 2:30PM"),
            json!({"title": "PAY RENT", "due_date": "2026-12-03", "due_time": "14:30"})
        );
    }

    #[test]
    fn repeats_start_on_their_first_day_not_yet_past() {
        assert_eq!(
            added("water the plants every monday"),
            json!({"title": "water the plants", "due_date": "2026-12-07", "recurrence": "FREQ=WEEKLY;BYDAY=MO"})
        );
        assert_eq!(
            added("gym every monday and thursday"),
            json!({"title": "gym", "due_date": "2026-12-03", "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH"})
        );
        assert_eq!(
            added("gym every Monday, Wednesday and Friday at 7am"),
            json!({"title": "gym", "due_date": "2026-12-04", "due_time": "07:00",
                   "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE,FR"})
        );
        assert_eq!(
            added("standup every weekday at 9:30"),
            json!({"title": "standup", "due_date": "2026-12-03", "due_time": "09:30",
                   "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"})
        );
        assert_eq!(
            added("review every wednesday"),
            json!({"title": "review", "due_date": "2026-12-02", "recurrence": "FREQ=WEEKLY;BYDAY=WE"}),
            "today fits and has no time to miss"
        );
        for (said, rule) in [
            ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
            ("every 3 days", "FREQ=DAILY;INTERVAL=3"),
            ("every month", "FREQ=MONTHLY"),
            ("every year", "FREQ=YEARLY"),
            ("daily", "FREQ=DAILY"),
            ("weekly", "FREQ=WEEKLY"),
            ("monthly", "FREQ=MONTHLY"),
            ("yearly", "FREQ=YEARLY"),
            ("every day", "FREQ=DAILY"),
        ] {
            assert_eq!(
                added(&format!("back up the laptop {said}")),
                json!({"title": "back up the laptop", "due_date": "2026-12-02", "recurrence": rule}),
                "{said}"
            );
        }
        assert_eq!(
            added("pay rent every month, starting jan 31"),
            json!({"title": "pay rent", "due_date": "2027-01-31", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=-1"})
        );
        assert_eq!(
            added("yoga every monday, starting dec 10"),
            json!({"title": "yoga", "due_date": "2026-12-14", "recurrence": "FREQ=WEEKLY;BYDAY=MO"}),
            "the first Monday from the 10th"
        );
        assert_eq!(
            added("pay rent every month from jan 30"),
            json!({"title": "pay rent", "due_date": "2027-01-30", "recurrence": "FREQ=MONTHLY"})
        );
    }

    #[test]
    fn reminders_need_a_time_and_default_to_nine() {
        assert_eq!(
            added("water the plants every monday at 8am remind me an hour before"),
            json!({"title": "water the plants", "due_date": "2026-12-07", "due_time": "08:00",
                   "recurrence": "FREQ=WEEKLY;BYDAY=MO", "reminders": [60]})
        );
        assert_eq!(
            added("dentist friday at 14:00, remind me a day before and an hour before"),
            json!({"title": "dentist", "due_date": "2026-12-04", "due_time": "14:00",
                   "reminders": [60, 1440]})
        );
        assert_eq!(
            added("pay rent friday remind me 2 days before"),
            json!({"title": "pay rent", "due_date": "2026-12-04", "due_time": "09:00",
                   "reminders": [2880]})
        );
        assert_eq!(
            added("call mom remind me 30 minutes before"),
            json!({"title": "call mom", "due_date": "2026-12-03", "due_time": "09:00",
                   "reminders": [30]}),
            "09:00 has passed today"
        );
        assert_eq!(
            added("call mom remind me at 9pm"),
            json!({"title": "call mom", "due_date": "2026-12-02", "due_time": "21:00",
                   "reminders": [0]})
        );
        assert_eq!(
            added("call mom remind me tomorrow at 7:30am"),
            json!({"title": "call mom", "due_date": "2026-12-03", "due_time": "07:30",
                   "reminders": [0]})
        );
        assert_eq!(
            added("flight at 8am tomorrow remind me at 6am"),
            json!({"title": "flight", "due_date": "2026-12-03", "due_time": "08:00",
                   "reminders": [120]})
        );
        assert_eq!(
            added("call mom at 5pm remind me"),
            json!({"title": "call mom", "due_date": "2026-12-02", "due_time": "17:00",
                   "reminders": [0]})
        );
        // A reminder after the due time is a contradiction, not a guess.
        assert_eq!(
            new_task("flight at 8am remind me at 9am", now(), false),
            None
        );
    }

    #[test]
    fn remind_me_to_with_a_time_reminds_at_the_due_time() {
        let read = |text| Value::Object(new_task(text, now(), true).unwrap());
        assert_eq!(
            read("call mom at 5pm"),
            json!({"title": "call mom", "due_date": "2026-12-02", "due_time": "17:00", "reminders": [0]})
        );
        assert_eq!(
            read("call mom at 5pm, remind me 10 minutes before"),
            json!({"title": "call mom", "due_date": "2026-12-02", "due_time": "17:00", "reminders": [10]})
        );
        assert_eq!(
            read("call mom on friday"),
            json!({"title": "call mom", "due_date": "2026-12-04"})
        );
    }

    #[test]
    fn times_are_wall_clock_whatever_daylight_saving_does() {
        // 29 March 2026 is the night Europe springs forward and 25 October
        // the night it falls back; the dates and times are the user's
        // wall clock, so neither shifts anything.
        for (date, next) in [("2026-03-28", "2026-03-29"), ("2026-10-24", "2026-10-25")] {
            let evening = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(23, 0, 0)
                .unwrap();
            let read = Value::Object(new_task("jog at 2:30am daily", evening, false).unwrap());
            assert_eq!(
                read,
                json!({"title": "jog", "due_date": next, "due_time": "02:30", "recurrence": "FREQ=DAILY"})
            );
        }
    }

    #[test]
    fn a_move_names_a_date_and_maybe_a_time() {
        let when = |text| when_phrase(text, now());
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d);
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(
            when("tomorrow at 14:30"),
            Some(Schedule {
                date: day(3),
                time: at(14, 30),
                ..Schedule::default()
            })
        );
        assert_eq!(
            when("9am"),
            Some(Schedule {
                date: day(3),
                time: at(9, 0),
                ..Schedule::default()
            })
        );
        assert_eq!(when("friday").map(|s| s.date), Some(day(4)));
        for not_a_when in ["the moon", "every monday", "high priority", "tag home", ""] {
            assert_eq!(when(not_a_when), None, "{not_a_when}");
        }
    }

    #[test]
    fn weekday_lists_keep_their_commas_out_of_the_segments() {
        assert_eq!(
            joined_weekday_lists("gym every mon, wed, and fri, tag health"),
            "gym every mon wed and fri, tag health"
        );
        assert_eq!(
            joined_weekday_lists("gym on mondays, thursdays"),
            "gym on mondays thursdays"
        );
        let untouched = "buy milk monday, high priority";
        assert_eq!(joined_weekday_lists(untouched), untouched);
    }
}
