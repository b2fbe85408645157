//! The worker: one per replica, polling, recording what came due,
//! claiming batches and sending them (the module's documentation has the
//! design); [`Running`] is a started one, stopped cleanly on shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tracing::Instrument;
use uuid::Uuid;

use super::mailer::{Mailer, SendFailure, SmtpSettings};
use super::message::Reminder;
use super::schedule::{backoff, came_due, scan_window, wanted};
use super::{BACKOFF_CAP, GRACE, ReminderSettings, SCAN_PAGE, SCAN_PAGES_PER_POLL, send_timeout};
use crate::bootstrap::DatabaseGate;
use crate::domain::TimeZoneName;
use crate::metrics::{Metrics, ReminderOutcome};
use crate::store::{ClaimedDelivery, DeliveryEnd, NewDelivery, Store, StoreError};

/// Reminders recorded per statement batch.
const INSERT_CHUNK: usize = 200;

/// At most this many recorded keys are remembered (see `Worker::seen`);
/// past it the memory is dropped, which costs only inserts that find their
/// row there already.
const SEEN_MAX: usize = 100_000;

/// Ended deliveries are deleted this long after they fired.
const KEEP_ENDED_FOR: chrono::Duration = chrono::Duration::days(7);

/// Rows deleted per poll at most.
const PRUNE_PER_POLL: u32 = 1000;

/// How often marking a sent message is tried: the message went out, and a
/// row left unmarked would be sent again once its lease ran out.
const MARK_SENT_TRIES: u32 = 3;

/// On shutdown, how long the worker may take to finish the message it is
/// sending before it is cut off (its row then waits out its lease).
const STOP_WAIT: Duration = Duration::from_secs(10);

/// What time it is: the store's clock, or a test's.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A reminder's key: task, due instant, lead.
type Key = (Uuid, DateTime<Utc>, u32);

/// One replica's reminder worker.
pub struct Worker {
    /// Names this worker's leases.
    id: Uuid,
    store: Store,
    mailer: Mailer,
    settings: ReminderSettings,
    metrics: Arc<Metrics>,
    clock: Clock,
    /// The SMTP server's URL without its password, for the log.
    smtp_url: String,
    /// Where the scan goes on at the next poll: after this (due date, id);
    /// `None` from the window's start.
    cursor: Option<(chrono::NaiveDate, Uuid)>,
    /// Keys this worker recorded (or found recorded), with when they
    /// fire, until they leave the grace period: a reminder is seen by
    /// every poll for [`GRACE`], and need not be inserted each time.
    seen: HashMap<Key, DateTime<Utc>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("mailer", &self.mailer)
            .field("settings", &self.settings)
            .field("cursor", &self.cursor)
            .field("seen", &self.seen.len())
            .finish_non_exhaustive()
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Reminders that came due and were recorded by this poll.
    pub recorded: u64,
    pub sent: u64,
    /// Given up on: refused for good, or out of attempts.
    pub failed: u64,
    /// Failed this time, to be tried again.
    pub retried: u64,
    /// Not sent: the task was completed or changed, or it was too late.
    pub skipped: u64,
}

impl PollReport {
    fn busy(&self) -> bool {
        self.recorded + self.sent + self.failed + self.retried + self.skipped > 0
    }
}

impl Worker {
    /// The worker for `smtp`, on the store's clock.
    pub fn new(
        store: Store,
        settings: &ReminderSettings,
        smtp: &SmtpSettings,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        Ok(Self {
            id: Uuid::new_v4(),
            store,
            mailer: Mailer::new(smtp, send_timeout(settings.lease))?,
            settings: settings.clone(),
            metrics,
            clock: Arc::new(crate::store::now),
            smtp_url: smtp.redacted_url(),
            cursor: None,
            seen: HashMap::new(),
        })
    }

    /// The same worker on another clock (a test's).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Runs the worker on a task of its own: a poll every poll interval
    /// while the database is migrated, until [`Running::stop`].
    pub fn spawn(mut self, database: DatabaseGate) -> Running {
        let (stop, mut stopping) = watch::channel(false);
        let task = tokio::spawn(async move {
            tracing::info!(
                smtp = %self.smtp_url,
                poll_seconds = self.settings.poll.as_secs(),
                "e-mail reminders on"
            );
            loop {
                if database.is_open() {
                    match self.poll(&stopping).await {
                        Ok(report) if report.busy() => tracing::info!(
                            recorded = report.recorded,
                            sent = report.sent,
                            failed = report.failed,
                            retried = report.retried,
                            skipped = report.skipped,
                            "reminders polled"
                        ),
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, "reminders: the poll failed; trying again at the next")
                        }
                    }
                }
                if *stopping.borrow() {
                    break;
                }
                tokio::select! {
                    _ = stopping.changed() => break,
                    () = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        });
        Running { stop, task }
    }

    /// One poll: record what came due, then claim and send batches until
    /// one comes back short, the poll interval is spent, or `stopping`
    /// turns true (the rest of a batch is given back).
    pub async fn poll(
        &mut self,
        stopping: &watch::Receiver<bool>,
    ) -> Result<PollReport, StoreError> {
        let span = todo_service::telemetry::span(|| {
            tracing::info_span!("reminders poll", otel.name = "reminders poll")
        });
        let mut report = PollReport::default();
        let outcome = self
            .poll_in_span(stopping, &mut report)
            .instrument(span.clone())
            .await;
        if let Err(error) = &outcome {
            todo_service::telemetry::failed(&span, error_kind(error));
        }
        outcome.map(|()| report)
    }

    async fn poll_in_span(
        &mut self,
        stopping: &watch::Receiver<bool>,
        report: &mut PollReport,
    ) -> Result<(), StoreError> {
        let now = self.now();
        report.recorded = self.record_due(now).await?;
        let started = tokio::time::Instant::now();
        loop {
            if *stopping.borrow() {
                break;
            }
            let now = self.now();
            let batch = self
                .store
                .claim_reminder_deliveries(
                    self.id,
                    now,
                    now + span_of(self.settings.lease),
                    self.settings.batch,
                )
                .await?;
            let full = batch.len() == self.settings.batch as usize;
            let mut batch = batch.into_iter();
            while let Some(delivery) = batch.next() {
                if *stopping.borrow() {
                    self.release(std::iter::once(delivery).chain(batch.by_ref()))
                        .await;
                    return Ok(());
                }
                self.deliver(delivery, report).await?;
            }
            if !full || started.elapsed() >= self.settings.poll {
                break;
            }
        }
        let pruned = self
            .store
            .prune_reminder_deliveries(now - KEEP_ENDED_FOR, PRUNE_PER_POLL)
            .await?;
        if pruned > 0 {
            tracing::debug!(pruned, "reminders: pruned ended deliveries");
        }
        Ok(())
    }

    /// Scans for reminders that fired within the grace period and records
    /// those not recorded yet; how many were new.
    async fn record_due(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let (from, to) = scan_window(now, GRACE);
        self.seen.retain(|_, fire_at| *fire_at >= now - GRACE);
        if self.seen.len() > SEEN_MAX {
            self.seen.clear();
        }
        // A cursor left before the window (days went by) starts it over.
        let mut after = self.cursor.filter(|(date, _)| *date >= from);
        let mut due: Vec<NewDelivery> = Vec::new();
        for page in 1..=SCAN_PAGES_PER_POLL {
            let tasks = self
                .store
                .reminder_tasks(from, to, after, SCAN_PAGE)
                .await?;
            for task in &tasks {
                due.extend(
                    came_due(task, now, GRACE)
                        .into_iter()
                        .filter(|d| !self.seen.contains_key(&key(d))),
                );
            }
            after = tasks.last().map(|task| (task.due_date, task.id));
            if tasks.len() < SCAN_PAGE as usize {
                // The sweep is done: the next starts from the beginning.
                after = None;
                break;
            }
            if page == SCAN_PAGES_PER_POLL {
                tracing::debug!(
                    pages = page,
                    "reminders: more tasks than one poll reads; the next goes on"
                );
            }
        }
        self.cursor = after;
        let mut recorded = 0;
        for chunk in due.chunks(INSERT_CHUNK) {
            recorded += self
                .store
                .insert_reminder_deliveries(chunk.to_vec(), now)
                .await?;
            self.seen.extend(
                chunk
                    .iter()
                    .map(|delivery| (key(delivery), delivery.fire_at)),
            );
        }
        Ok(recorded)
    }

    /// Sends one claimed delivery, or skips it, and records the end.
    async fn deliver(
        &self,
        delivery: ClaimedDelivery,
        report: &mut PollReport,
    ) -> Result<(), StoreError> {
        let span = todo_service::telemetry::span(|| {
            let span = tracing::info_span!(
                "reminder send",
                otel.name = "send reminder",
                otel.kind = "client",
            );
            todo_service::telemetry::attribute(
                &span,
                "todo.reminder.delivery",
                delivery.id.to_string(),
            );
            todo_service::telemetry::attribute(
                &span,
                "todo.reminder.attempt",
                i64::from(delivery.attempts),
            );
            span
        });
        let result = self
            .deliver_in_span(&delivery, report)
            .instrument(span.clone())
            .await;
        match &result {
            Err(error) => todo_service::telemetry::failed(&span, error_kind(error)),
            Ok(Some(kind)) => todo_service::telemetry::failed(&span, *kind),
            Ok(None) => {}
        }
        result.map(|_| ())
    }

    /// [`Worker::deliver`]; `Some(kind)` when the message did not go out.
    async fn deliver_in_span(
        &self,
        delivery: &ClaimedDelivery,
        report: &mut PollReport,
    ) -> Result<Option<&'static str>, StoreError> {
        let now = self.now();
        let Some(target) = self
            .store
            .renew_reminder_lease(delivery.id, self.id, now + span_of(self.settings.lease))
            .await?
        else {
            // Another worker took it over after the lease ran out, or the
            // task (and so the delivery) was deleted.
            tracing::debug!(delivery = %delivery.id, "reminders: no longer ours; left alone");
            return Ok(Some("lease_lost"));
        };
        let due = match wanted(delivery, &target, now, GRACE) {
            Ok(due) => due,
            Err(reason) => {
                tracing::debug!(delivery = %delivery.id, reason, "reminders: skipped");
                self.end(
                    delivery,
                    DeliveryEnd::Skipped {
                        reason: reason.to_owned(),
                    },
                )
                .await?;
                report.skipped += 1;
                self.metrics.count_reminder(ReminderOutcome::Skipped);
                return Ok(Some("skipped"));
            }
        };
        let zone = TimeZoneName::stored(&target.time_zone);
        let reminder = Reminder {
            delivery: delivery.id,
            title: &target.title,
            description: target.description.as_deref(),
            name: &target.name,
            email: &target.email,
            due,
            zone: zone.as_str(),
            minutes_before: u32::try_from(delivery.minutes_before).unwrap_or(0),
            today: zone.local(now).date(),
        };
        let failure = match reminder.message(self.mailer.from()) {
            Ok(message) => match self.mailer.send(message).await {
                Ok(()) => {
                    self.mark_sent(delivery).await?;
                    report.sent += 1;
                    self.metrics.count_reminder(ReminderOutcome::Sent);
                    tracing::debug!(delivery = %delivery.id, task = %delivery.task_id, "reminders: sent");
                    return Ok(None);
                }
                Err(failure) => failure,
            },
            Err(problem) => SendFailure::Permanent(problem),
        };
        let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
        let (end, kind) = match failure {
            SendFailure::Permanent(error) => (DeliveryEnd::Failed { error }, "rejected"),
            SendFailure::Temporary(error) if attempts >= self.settings.max_attempts => {
                (DeliveryEnd::Failed { error }, "attempts_exhausted")
            }
            SendFailure::Temporary(error) => {
                let wait = backoff(self.settings.retry_after, attempts, BACKOFF_CAP);
                let next_attempt_at = self.now() + span_of(wait);
                (
                    DeliveryEnd::Retry {
                        error,
                        next_attempt_at,
                    },
                    "retry",
                )
            }
        };
        match &end {
            DeliveryEnd::Retry {
                error,
                next_attempt_at,
            } => {
                tracing::warn!(
                    delivery = %delivery.id,
                    attempt = attempts,
                    %next_attempt_at,
                    %error,
                    "reminders: not sent; trying again later"
                );
                report.retried += 1;
                self.metrics.count_reminder(ReminderOutcome::Retried);
            }
            DeliveryEnd::Failed { error } => {
                tracing::warn!(
                    delivery = %delivery.id,
                    attempt = attempts,
                    %error,
                    "reminders: not sent, given up"
                );
                report.failed += 1;
                self.metrics.count_reminder(ReminderOutcome::Failed);
            }
            DeliveryEnd::Skipped { .. } | DeliveryEnd::Released => {}
        }
        self.end(delivery, end).await?;
        Ok(Some(kind))
    }

    async fn end(&self, delivery: &ClaimedDelivery, end: DeliveryEnd) -> Result<(), StoreError> {
        let ours = self
            .store
            .end_reminder_delivery(delivery.id, self.id, end, self.now())
            .await?;
        if !ours {
            tracing::debug!(delivery = %delivery.id, "reminders: lease lost before the end was recorded");
        }
        Ok(())
    }

    /// Records a sent message, trying again on a failure: the message is
    /// out, and a row left unmarked is sent again when its lease runs out.
    async fn mark_sent(&self, delivery: &ClaimedDelivery) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.store.reminder_sent(delivery.id, self.now()).await {
                Ok(_) => return Ok(()),
                Err(error) if tries < MARK_SENT_TRIES => {
                    tracing::warn!(delivery = %delivery.id, %error, "reminders: could not record a sent message; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Gives claimed deliveries back (the worker is stopping): claimable
    /// again at once, by any worker.
    async fn release(&self, deliveries: impl Iterator<Item = ClaimedDelivery>) {
        for delivery in deliveries {
            if let Err(error) = self
                .store
                .end_reminder_delivery(delivery.id, self.id, DeliveryEnd::Released, self.now())
                .await
            {
                // It waits out its lease instead.
                tracing::warn!(delivery = %delivery.id, %error, "reminders: could not give a delivery back");
            }
        }
    }
}

fn key(delivery: &NewDelivery) -> Key {
    (delivery.task_id, delivery.due_at, delivery.minutes_before)
}

fn span_of(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

fn error_kind(error: &StoreError) -> &'static str {
    match error {
        StoreError::Database(_) => "database",
        _ => "store",
    }
}

/// A started worker.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops the worker: it finishes the message it is sending, gives the
    /// rest of its batch back and ends; one that takes longer than
    /// [`STOP_WAIT`] is cut off (its rows wait out their lease).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        match tokio::time::timeout(STOP_WAIT, &mut task).await {
            Ok(Ok(())) => {}
            Ok(Err(ended)) => tracing::error!(error = %ended, "reminders: the worker had ended"),
            Err(_) => {
                tracing::warn!("reminders: the worker did not stop in time; cut off");
                task.abort();
            }
        }
    }
}
