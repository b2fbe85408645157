//! Time zones from jiff's bundled IANA database, the one the backend
//! judges names with (so both agree, whatever the host has installed):
//! the names the Account page offers, and the wall-clock time in a user's
//! zone, which decides what the task list calls overdue or due today.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Every name the backend accepts: those the database spells exactly as
/// asked (an alias answers with its own name, which the backend would
/// refuse), sorted.
static KNOWN_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let db = jiff::tz::db();
    let mut names: Vec<String> = db
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| {
            db.get(name)
                .is_ok_and(|zone| zone.iana_name() == Some(name.as_str()))
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
});

/// The IANA names a user may choose, sorted (`Africa/Abidjan` … `Zulu`).
pub fn known_names() -> &'static [String] {
    &KNOWN_NAMES
}

/// The wall-clock time in `zone` at `at`. A name the database does not
/// know (the backend stores only names it knows, but a newer backend's
/// database may know more) is read as UTC, as the backend reads it.
pub fn local_time(zone: &str, at: DateTime<Utc>) -> NaiveDateTime {
    let Ok(zone) = jiff::tz::db().get(zone) else {
        return at.naive_utc();
    };
    jiff::Timestamp::from_microsecond(at.timestamp_micros())
        .ok()
        .map(|instant| zone.to_datetime(instant))
        .and_then(|civil| {
            NaiveDate::from_ymd_opt(
                i32::from(civil.year()),
                u32::try_from(civil.month()).ok()?,
                u32::try_from(civil.day()).ok()?,
            )?
            .and_hms_opt(
                u32::try_from(civil.hour()).ok()?,
                u32::try_from(civil.minute()).ok()?,
                u32::try_from(civil.second()).ok()?,
            )
        })
        .unwrap_or_else(|| at.naive_utc())
}

/// The wall-clock time in `zone` now.
pub fn local_now(zone: &str) -> NaiveDateTime {
    local_time(zone, Utc::now())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_names_are_the_databases_own_spellings() {
        let names = known_names();
        assert!(names.len() > 300, "{}", names.len());
        for expected in ["America/New_York", "Europe/Berlin", "UTC", "Asia/Kolkata"] {
            assert!(names.iter().any(|n| n == expected), "{expected}");
        }
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]), "sorted");
        assert!(!names.iter().any(|n| n == "europe/berlin"));
    }

    #[test]
    fn the_local_time_follows_the_zone_and_its_daylight_saving() {
        let at = |y, m, d, h, min| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        let noon = Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap();
        // New York moved to daylight saving time that morning.
        assert_eq!(local_time("America/New_York", noon), at(2026, 3, 8, 8, 0));
        assert_eq!(
            local_time("America/New_York", noon - chrono::Days::new(1)),
            at(2026, 3, 7, 7, 0)
        );
        // A day ahead of UTC, and a day behind it.
        let late = Utc.with_ymd_and_hms(2026, 12, 7, 23, 30, 0).unwrap();
        assert_eq!(
            local_time("Pacific/Kiritimati", late),
            at(2026, 12, 8, 13, 30)
        );
        assert_eq!(
            local_time("Pacific/Pago_Pago", late),
            at(2026, 12, 7, 12, 30)
        );
        assert_eq!(local_time("Nowhere/Gone", late), at(2026, 12, 7, 23, 30));
    }
}
