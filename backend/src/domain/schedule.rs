//! When a task is due and when it reminds: a due time, reminders, and the
//! time zone they are read in.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use todo_api::limits::{REMINDER_MINUTES_MAX, REMINDERS_MAX, TIME_ZONE_MAX_CHARS};

/// A due time: wall-clock `HH:MM` in the owner's zone, minutes precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueTime(NaiveTime);

impl DueTime {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let shaped = raw.len() == 5
            && raw.bytes().enumerate().all(|(i, b)| {
                if i == 2 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            });
        shaped
            .then(|| NaiveTime::parse_from_str(raw, "%H:%M").ok())
            .flatten()
            .map(Self)
            .ok_or_else(|| "must be a time as HH:MM (00:00–23:59)".to_owned())
    }

    pub fn from_time(time: NaiveTime) -> Self {
        Self(
            time.with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(time),
        )
    }

    pub fn time(self) -> NaiveTime {
        self.0
    }

    /// As stored and sent: `HH:MM`.
    pub fn text(self) -> String {
        self.0.format("%H:%M").to_string()
    }
}

/// A task's reminders: up to five distinct leads before the due time, in
/// minutes, ascending. A reminder after the due time is refused: a
/// reminder is there to come before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reminders(Vec<u32>);

impl Reminders {
    pub fn parse(raw: &[i64]) -> Result<Self, String> {
        if raw.len() > REMINDERS_MAX {
            return Err(format!("at most {REMINDERS_MAX} reminders are allowed"));
        }
        let mut minutes = Vec::with_capacity(raw.len());
        for &lead in raw {
            if lead < 0 {
                return Err(
                    "a reminder cannot come after the due time: give minutes before it (0 is at the due time)"
                        .into(),
                );
            }
            let lead = u32::try_from(lead)
                .ok()
                .filter(|lead| *lead <= REMINDER_MINUTES_MAX)
                .ok_or_else(|| {
                    format!("a reminder may be at most {REMINDER_MINUTES_MAX} minutes (28 days) before the due time")
                })?;
            if !minutes.contains(&lead) {
                minutes.push(lead);
            }
        }
        minutes.sort_unstable();
        Ok(Self(minutes))
    }

    pub fn minutes(&self) -> &[u32] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As stored: the numbers joined by spaces (`""` for none).
    pub fn joined(&self) -> String {
        self.0
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A time zone by its IANA name, known to the bundled time zone database
/// (so every replica and every image agrees on it).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeZoneName {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl TimeZoneName {
    /// Exactly as the database spells it (`Europe/Berlin`); another
    /// spelling of a known name is refused with the right one.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.chars().count() > TIME_ZONE_MAX_CHARS {
            return Err("must be an IANA time zone name such as Europe/Berlin".into());
        }
        let unknown = || format!("{raw:?} is not a known IANA time zone name (e.g. Europe/Berlin)");
        let zone = jiff::tz::db().get(raw).map_err(|_| unknown())?;
        match zone.iana_name() {
            Some(name) if name == raw => Ok(Self {
                name: name.to_owned(),
                zone,
            }),
            Some(name) => Err(format!("write this time zone as {name}")),
            None => Err(unknown()),
        }
    }

    /// Every name [`TimeZoneName::parse`] accepts, sorted.
    pub fn known_names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| Self::parse(name).is_ok())
            .collect();
        names.sort_unstable();
        names
    }

    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    /// A stored name; the database holds only names this parser accepted,
    /// but one the bundled database dropped reads as UTC rather than fail.
    pub fn stored(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| Self::utc())
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }

    /// Wall-clock time in this zone at `at`.
    pub fn local(&self, at: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
        let civil = jiff::Timestamp::from_microsecond(at.timestamp_micros())
            .map(|ts| self.zone.to_datetime(ts))
            .ok();
        civil
            .and_then(|c| {
                NaiveDate::from_ymd_opt(i32::from(c.year()), c.month() as u32, c.day() as u32)?
                    .and_hms_opt(c.hour() as u32, c.minute() as u32, c.second() as u32)
            })
            .unwrap_or_else(|| at.naive_utc())
    }

    /// The instant of a wall-clock time in this zone. A time skipped by a
    /// daylight-saving change (02:30 on a spring-forward day) is read as
    /// the same length after the gap's start (03:30), and a repeated one
    /// as its first occurrence: RFC 5545's rule for DTSTART, so the feed
    /// and the e-mails agree.
    pub fn instant(&self, local: NaiveDateTime) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{Datelike, Timelike};
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(local.month()).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            0,
        )
        .ok()?;
        let instant = self
            .zone
            .to_ambiguous_zoned_datetime(civil)
            .compatible()
            .ok()?
            .timestamp();
        chrono::DateTime::from_timestamp_micros(instant.as_microsecond())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn due_times_are_hh_mm_on_a_24_hour_clock() {
        assert_eq!(DueTime::parse("09:05").unwrap().text(), "09:05");
        assert_eq!(DueTime::parse("23:59").unwrap().text(), "23:59");
        for bad in ["9:05", "24:00", "12:60", "12:00:00", "noon", "１2:00", ""] {
            assert!(DueTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reminders_are_bounded_distinct_sorted_and_never_after_the_due_time() {
        assert_eq!(Reminders::parse(&[60, 0, 60]).unwrap().minutes(), [0, 60]);
        assert_eq!(Reminders::parse(&[1440, 10]).unwrap().joined(), "10 1440");
        let after = Reminders::parse(&[-5]).unwrap_err();
        assert!(after.contains("after the due time"), "{after}");
        assert!(Reminders::parse(&[40321]).is_err());
        assert!(Reminders::parse(&[1, 2, 3, 4, 5, 6]).is_err());
        assert!(Reminders::parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn time_zones_are_iana_names_from_the_bundled_database() {
        assert_eq!(
            TimeZoneName::parse("Europe/Berlin").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert!(
            TimeZoneName::parse("europe/berlin")
                .unwrap_err()
                .contains("Europe/Berlin")
        );
        let names = TimeZoneName::known_names();
        assert!(names.len() > 300, "{}", names.len());
        assert!(names.iter().any(|n| n == "America/New_York") && names.iter().any(|n| n == "UTC"));
        assert!(
            TimeZoneName::parse("Mars/Olympus_Mons")
                .unwrap_err()
                .contains("not a known")
        );
        assert!(TimeZoneName::parse("").is_err());
        assert!(TimeZoneName::parse(&"A".repeat(65)).is_err());
        assert_eq!(TimeZoneName::stored("Nowhere/Gone").as_str(), "UTC");
    }

    #[test]
    fn wall_clock_times_become_instants_across_daylight_saving_changes() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        let at = |y, m, d, h, min| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        // 09:00 is 08:00Z in winter, 07:00Z in summer.
        assert_eq!(
            berlin.instant(at(2026, 3, 28, 9, 0)).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 28, 8, 0, 0).unwrap()
        );
        assert_eq!(
            berlin.instant(at(2026, 3, 29, 9, 0)).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap()
        );
        // 02:30 does not exist on 29 March: it is read as 03:30 CEST.
        assert_eq!(
            berlin.instant(at(2026, 3, 29, 2, 30)).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
        // 02:30 happens twice on 25 October: the first one, CEST.
        assert_eq!(
            berlin.instant(at(2026, 10, 25, 2, 30)).unwrap(),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()
        );
        let new_york = TimeZoneName::parse("America/New_York").unwrap();
        assert_eq!(
            new_york.local(Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap()),
            at(2026, 3, 8, 8, 0)
        );
        assert_eq!(
            new_york.local(Utc.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap()),
            at(2026, 3, 7, 7, 0)
        );
    }
}
