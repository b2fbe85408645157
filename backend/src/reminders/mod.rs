//! E-mail reminders: a worker in every replica sends each task reminder
//! that comes due, once, through an SMTP server (`SMTP_URL`); without
//! one, no worker runs.
//!
//! # How a reminder goes out
//!
//! Every `REMINDER_POLL_SECONDS`, each replica's [`Worker`]:
//!
//! 1. **Finds what came due.** It reads the open tasks with reminders
//!    whose due date (the owner's wall clock) lies in a window around
//!    today wide enough for every zone and the longest lead (28 days),
//!    a page at a time in (due date, id) order, at most
//!    [`SCAN_PAGES_PER_POLL`] pages a poll: a larger set is swept over
//!    several polls, carrying on where the last stopped. For each
//!    reminder it works out, in Rust, when it fires: the instant of the
//!    due date and time in the owner's time zone (a time skipped by a
//!    daylight-saving change is read as after it, a repeated one as the
//!    first: `TimeZoneName::instant`), minus the lead. One that fired no
//!    more than [`GRACE`] ago becomes a row of `reminder_deliveries`,
//!    inserted with `ON CONFLICT DO NOTHING` on its unique key (task, due
//!    instant, lead): however many replicas see it, there is one row. A
//!    reminder found later than [`GRACE`] after it fired (every replica
//!    down for hours) is not sent: "due in an hour" a day late helps
//!    nobody. Each occurrence of a repeating task is a task of its own,
//!    so each has its own deliveries.
//! 2. **Claims a batch** (`REMINDER_BATCH_SIZE`): one statement leases
//!    pending rows whose next attempt is due and that nobody holds (never
//!    leased, or the lease ran out) to this worker for
//!    `REMINDER_LEASE_SECONDS`, counting an attempt. On PostgreSQL the
//!    rows are locked `FOR UPDATE SKIP LOCKED`, so replicas claiming at
//!    once split the rows instead of waiting or taking the same ones; on
//!    SQLite the claim runs in a transaction that holds the one write
//!    lock (`store/reminders.rs`).
//! 3. **Sends each.** Just before sending, the worker renews its lease and
//!    reads the task and its owner again: a task completed, deleted, or
//!    whose reminder or due time (or the owner's zone) changed since is
//!    skipped, recorded as such and not sent (a changed due time is a new
//!    key, so a new delivery if it comes due). The e-mail is plain text,
//!    to the owner, its Message-ID made from the delivery's id. Accepted:
//!    the row is marked sent. Refused for good (a 5xx other than
//!    authentication's): marked failed at once. Anything else (a 4xx, a
//!    connection or TLS error, a timeout, a refused login): the lease is
//!    let go and the next attempt waits `REMINDER_RETRY_SECONDS`, doubled
//!    each time up to an hour; after `REMINDER_MAX_ATTEMPTS` attempts the
//!    row is marked failed. `last_error` keeps the server's answer,
//!    never the URL or its password.
//!
//! A batch that came back full is followed by another in the same poll,
//! for at most a poll interval, so a backlog is worked off at once.
//!
//! # Never twice
//!
//! - Two replicas never hold one row: a claim is one atomic statement
//!   over rows nobody holds (row locks on PostgreSQL, the single writer
//!   on SQLite), and every later change of the row (renewing, retrying,
//!   failing, skipping) names the lease's holder.
//! - A replica that dies mid-batch leaves its rows leased until their
//!   lease runs out; then another claims and sends them. A lease is
//!   renewed before each message, and a message may take at most half a
//!   lease ([`send_timeout`]), so a live worker keeps the rows it works on.
//! - One window cannot be closed: the SMTP server accepted a message and
//!   the replica died (or lost its database) before recording it. Another
//!   replica then sends it again, with the same Message-ID, which lets
//!   the receiving system drop the duplicate. Marking a message sent is
//!   done whoever holds the lease by then, so a replica that took an
//!   expired lease over and has not sent yet finds the row done.
//! - On shutdown the worker finishes the message it is sending, then
//!   gives the rest of its batch back at once (the attempt not counted),
//!   instead of leaving it leased.
//!
//! Ended rows are deleted a week after they fired: a row is what keeps
//! its reminder from being recorded again, and only for [`GRACE`] would it
//! be.

mod mailer;
mod message;
mod schedule;
mod worker;

use std::time::Duration;

pub use mailer::{SmtpSettings, parse_from};
pub use worker::{PollReport, Running, Worker};

/// How long after a reminder fired it is still sent: a worker that finds
/// it later (every replica down, the SMTP server refusing for hours) lets
/// it go. Past it a reminder is noise: the due time is near or past.
pub const GRACE: chrono::Duration = chrono::Duration::hours(6);

/// Tasks read per page of the scan.
pub const SCAN_PAGE: u32 = 500;

/// Pages read per poll at most: a poll reads at most 10,000 tasks; more
/// are swept over several polls.
pub const SCAN_PAGES_PER_POLL: u32 = 20;

/// The longest wait between two attempts at one delivery.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60 * 60);

/// What the worker does, and through which server: read by `config`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderSettings {
    /// `SMTP_URL` and `SMTP_FROM`; `None`: no worker.
    pub smtp: Option<SmtpSettings>,
    /// `REMINDER_POLL_SECONDS`: between two polls of one worker.
    pub poll: Duration,
    /// `REMINDER_LEASE_SECONDS`: how long a claim holds a delivery.
    pub lease: Duration,
    /// `REMINDER_BATCH_SIZE`: deliveries claimed at once.
    pub batch: u32,
    /// `REMINDER_RETRY_SECONDS`: the wait after a first failed attempt.
    pub retry_after: Duration,
    /// `REMINDER_MAX_ATTEMPTS`: attempts before a delivery fails.
    pub max_attempts: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            smtp: None,
            poll: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            batch: 20,
            retry_after: Duration::from_secs(60),
            max_attempts: 8,
        }
    }
}

/// How long one message may take, from connecting to the server's last
/// answer: half a lease (renewed just before), so the lease outlasts it,
/// and no more than a minute.
pub fn send_timeout(lease: Duration) -> Duration {
    (lease / 2).min(Duration::from_secs(60))
}
