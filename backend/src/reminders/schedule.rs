//! When reminders fire, and whether one is still wanted: plain functions
//! of a task's stored fields, its owner's zone and the time, so they are
//! tested without a clock, a database or a server.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use todo_api::limits::REMINDER_MINUTES_MAX;
use uuid::Uuid;

use crate::domain::{DueTime, TimeZoneName};
use crate::store::{ClaimedDelivery, DeliveryTarget, NewDelivery, ReminderTask};

/// The instant a task is due: its date and wall-clock time in `zone`.
pub(crate) fn due_instant(
    date: NaiveDate,
    time: &str,
    zone: &TimeZoneName,
) -> Option<DateTime<Utc>> {
    let time = DueTime::parse(time).ok()?;
    zone.instant(date.and_time(time.time()))
}

/// The leads stored as minutes joined by spaces; a word that is no lead
/// (the store writes none) is left out.
pub(crate) fn leads(joined: &str) -> impl Iterator<Item = u32> + '_ {
    joined
        .split_ascii_whitespace()
        .filter_map(|word| word.parse().ok())
        .filter(|lead| *lead <= REMINDER_MINUTES_MAX)
}

/// The due dates (as stored: the owner's wall clock) of every task that
/// may have a reminder firing between `now - grace` and `now`. Its due
/// instant lies between `now - grace` and `now + 28 days` (the longest
/// lead); a wall-clock date is at most 14 hours ahead of UTC's and 12
/// behind, so a day more on each side covers every zone.
pub(crate) fn scan_window(now: DateTime<Utc>, grace: chrono::Duration) -> (NaiveDate, NaiveDate) {
    let day = chrono::Duration::days(1);
    let longest = chrono::Duration::minutes(i64::from(REMINDER_MINUTES_MAX));
    (
        (now - grace - day).date_naive(),
        (now + longest + day).date_naive(),
    )
}

/// The reminders of `task` that fired between `now - grace` and `now`,
/// as deliveries to record (each with a new id).
pub(crate) fn came_due(
    task: &ReminderTask,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Vec<NewDelivery> {
    let zone = TimeZoneName::stored(&task.time_zone);
    let Some(due_at) = due_instant(task.due_date, &task.due_time, &zone) else {
        return Vec::new();
    };
    leads(&task.reminders)
        .filter_map(|lead| {
            let fire_at = due_at - chrono::Duration::minutes(i64::from(lead));
            (fire_at <= now && fire_at >= now - grace).then(|| NewDelivery {
                id: Uuid::new_v4(),
                task_id: task.id,
                due_at,
                minutes_before: lead,
                fire_at,
            })
        })
        .collect()
}

/// Whether a claimed delivery is still wanted, by its task as it is now:
/// when the task is due on its owner's wall clock if so, else why not
/// (its task says otherwise, or it is too late to be of use).
pub(crate) fn wanted(
    delivery: &ClaimedDelivery,
    target: &DeliveryTarget,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Result<NaiveDateTime, &'static str> {
    if target.completed {
        return Err("the task was completed");
    }
    let lead = u32::try_from(delivery.minutes_before).ok();
    if !lead.is_some_and(|lead| leads(&target.reminders).any(|l| l == lead)) {
        return Err("the reminder was removed");
    }
    let zone = TimeZoneName::stored(&target.time_zone);
    let due = target.due_date.zip(
        target
            .due_time
            .as_deref()
            .and_then(|time| DueTime::parse(time).ok()),
    );
    let due = due.map(|(date, time)| date.and_time(time.time()));
    let Some(due) = due.filter(|due| zone.instant(*due) == Some(delivery.due_at)) else {
        return Err("the due time or the time zone changed");
    };
    if now - delivery.fire_at > grace {
        return Err("too late: it fired more than 6 hours ago");
    }
    Ok(due)
}

/// The wait before the attempt after `attempts` failed ones: `first`,
/// doubled for each further one, at most `cap`.
pub(crate) fn backoff(first: Duration, attempts: u32, cap: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    first.saturating_mul(1 << doublings).min(cap)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn task(date: (i32, u32, u32), time: &str, reminders: &str, zone: &str) -> ReminderTask {
        ReminderTask {
            id: Uuid::from_u128(7),
            due_date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
            due_time: time.to_owned(),
            reminders: reminders.to_owned(),
            time_zone: zone.to_owned(),
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn fires(task: &ReminderTask, now: DateTime<Utc>) -> Vec<(u32, DateTime<Utc>)> {
        came_due(task, now, chrono::Duration::hours(6))
            .into_iter()
            .map(|d| (d.minutes_before, d.fire_at))
            .collect()
    }

    #[test]
    fn nine_in_berlin_fires_at_eight_utc_in_winter_and_seven_after_the_spring_change() {
        let winter = task((2027, 3, 27), "09:00", "0", "Europe/Berlin");
        assert_eq!(fires(&winter, utc(2027, 3, 27, 7, 59)), []);
        assert_eq!(
            fires(&winter, utc(2027, 3, 27, 8, 0)),
            [(0, utc(2027, 3, 27, 8, 0))]
        );
        // Clocks go forward on 28 March 2027.
        let summer = task((2027, 3, 29), "09:00", "0 60", "Europe/Berlin");
        assert_eq!(fires(&summer, utc(2027, 3, 29, 5, 59)), []);
        assert_eq!(
            fires(&summer, utc(2027, 3, 29, 6, 0)),
            [(60, utc(2027, 3, 29, 6, 0))]
        );
        assert_eq!(
            fires(&summer, utc(2027, 3, 29, 7, 0)),
            [(0, utc(2027, 3, 29, 7, 0)), (60, utc(2027, 3, 29, 6, 0))]
        );
        let due = came_due(&summer, utc(2027, 3, 29, 7, 0), chrono::Duration::hours(6));
        assert!(due.iter().all(|d| d.due_at == utc(2027, 3, 29, 7, 0)));
        assert!(due.iter().all(|d| d.task_id == summer.id));
    }

    #[test]
    fn new_york_reminders_follow_its_own_change_a_day_ahead_across_it() {
        // America/New_York springs forward on 14 March 2027: 09:00 is
        // 14:00Z before, 13:00Z after.
        let before = task((2027, 3, 13), "09:00", "0", "America/New_York");
        assert_eq!(
            fires(&before, utc(2027, 3, 13, 14, 0)),
            [(0, utc(2027, 3, 13, 14, 0))]
        );
        let after = task((2027, 3, 15), "09:00", "1440", "America/New_York");
        // A day before 09:00 EDT on the 15th is 13:00Z on the 14th (EDT
        // already), not 14:00Z.
        assert_eq!(
            fires(&after, utc(2027, 3, 14, 13, 0)),
            [(1440, utc(2027, 3, 14, 13, 0))]
        );
        assert_eq!(fires(&after, utc(2027, 3, 14, 12, 59)), []);
        // 02:30 does not exist that night: read as 03:30 EDT, 07:30Z.
        let gap = task((2027, 3, 14), "02:30", "0", "America/New_York");
        assert_eq!(
            fires(&gap, utc(2027, 3, 14, 7, 30)),
            [(0, utc(2027, 3, 14, 7, 30))]
        );
        // 01:30 happens twice on 7 November 2027: the first, EDT (05:30Z).
        let fold = task((2027, 11, 7), "01:30", "0", "America/New_York");
        assert_eq!(
            fires(&fold, utc(2027, 11, 7, 5, 30)),
            [(0, utc(2027, 11, 7, 5, 30))]
        );
    }

    #[test]
    fn a_reminder_fires_only_within_the_grace_period() {
        let task = task((2026, 12, 7), "12:00", "0 30 40320", "UTC");
        let now = utc(2026, 12, 7, 18, 0);
        // 12:00 is six hours ago, 11:30 more: only the one at 12:00.
        assert_eq!(fires(&task, now), [(0, utc(2026, 12, 7, 12, 0))]);
        assert_eq!(fires(&task, utc(2026, 12, 7, 18, 1)), []);
        // 28 days before is long past.
        assert_eq!(
            fires(&task, utc(2026, 11, 9, 12, 0)),
            [(40320, utc(2026, 11, 9, 12, 0))]
        );
    }

    #[test]
    fn stored_words_that_are_no_lead_are_left_out() {
        assert_eq!(leads("0 60  1440").collect::<Vec<_>>(), [0, 60, 1440]);
        assert_eq!(leads("x -5 40321 5").collect::<Vec<_>>(), [5]);
        assert_eq!(leads("").count(), 0);
        let broken = task((2026, 12, 7), "9:00", "0", "UTC");
        assert_eq!(fires(&broken, utc(2026, 12, 7, 9, 0)), []);
    }

    #[test]
    fn the_window_covers_every_zone_and_the_longest_lead() {
        let now = utc(2026, 12, 7, 5, 0);
        let (from, to) = scan_window(now, chrono::Duration::hours(6));
        assert_eq!(from, NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
        assert_eq!(to, NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
        // The first day after it, at its earliest, in the zone furthest
        // ahead (UTC+14), 28 days before: still after `now`.
        let after = due_instant(
            to.succ_opt().unwrap(),
            "00:00",
            &TimeZoneName::parse("Pacific/Kiritimati").unwrap(),
        )
        .unwrap();
        assert!(after - chrono::Duration::days(28) > now);
        // The last day before it, at its latest, in the zone furthest
        // behind (UTC-12): before the grace period began.
        let before = due_instant(
            from.pred_opt().unwrap(),
            "23:59",
            &TimeZoneName::parse("Etc/GMT+12").unwrap(),
        )
        .unwrap();
        assert!(before < now - chrono::Duration::hours(6));
    }

    fn claimed(minutes_before: i32, due_at: DateTime<Utc>) -> ClaimedDelivery {
        ClaimedDelivery {
            id: Uuid::from_u128(1),
            task_id: Uuid::from_u128(7),
            due_at,
            minutes_before,
            fire_at: due_at - chrono::Duration::minutes(i64::from(minutes_before)),
            attempts: 1,
        }
    }

    fn target() -> DeliveryTarget {
        DeliveryTarget {
            title: "Dentist".into(),
            description: None,
            completed: false,
            due_date: NaiveDate::from_ymd_opt(2027, 3, 29),
            due_time: Some("09:00".into()),
            reminders: "0 60".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn a_delivery_is_skipped_when_its_task_no_longer_asks_for_it() {
        let grace = chrono::Duration::hours(6);
        let due = utc(2027, 3, 29, 7, 0);
        let now = utc(2027, 3, 29, 7, 1);
        assert_eq!(
            wanted(&claimed(60, due), &target(), now, grace),
            Ok(NaiveDate::from_ymd_opt(2027, 3, 29)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap())
        );
        let completed = DeliveryTarget {
            completed: true,
            ..target()
        };
        assert!(wanted(&claimed(60, due), &completed, now, grace).is_err());
        assert!(wanted(&claimed(30, due), &target(), now, grace).is_err());
        let moved = DeliveryTarget {
            due_time: Some("10:00".into()),
            ..target()
        };
        assert!(wanted(&claimed(60, due), &moved, now, grace).is_err());
        let elsewhere = DeliveryTarget {
            time_zone: "Europe/London".into(),
            ..target()
        };
        assert!(wanted(&claimed(60, due), &elsewhere, now, grace).is_err());
        let undated = DeliveryTarget {
            due_date: None,
            due_time: None,
            reminders: String::new(),
            ..target()
        };
        assert!(wanted(&claimed(0, due), &undated, now, grace).is_err());
        let late = utc(2027, 3, 29, 13, 1);
        assert_eq!(
            wanted(&claimed(0, due), &target(), late, grace),
            Err("too late: it fired more than 6 hours ago")
        );
    }

    #[test]
    fn the_wait_between_attempts_doubles_up_to_its_cap() {
        let first = Duration::from_secs(60);
        let cap = Duration::from_secs(3600);
        let waits: Vec<u64> = (1..=9)
            .map(|attempts| backoff(first, attempts, cap).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(first, 0, cap), first);
        assert_eq!(backoff(first, u32::MAX, cap), cap);
    }
}
