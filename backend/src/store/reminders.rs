//! The reminder worker's rows (`backend/src/reminders/` has the design):
//! the scan of open tasks with reminders, the `reminder_deliveries` made of
//! those that came due (once each, by their unique key), a worker's claim
//! of a batch under a lease, and how each delivery ends.
//!
//! A delivery is pending while none of `sent_at`, `failed_at` and
//! `skipped_at` is set; a worker changes a pending row only while it holds
//! its lease (`lease_owner`), except to record that it was sent (see
//! [`Store::reminder_sent`]).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{BeginWrite, Dialect, Store, StoreError, with_connection};

/// An open task with reminders, as the scan reads it: enough to work out
/// when each of its reminders fires.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReminderTask {
    pub id: Uuid,
    pub due_date: NaiveDate,
    /// `HH:MM`; never null for a task with reminders (a CHECK says so).
    pub due_time: String,
    /// Minutes before the due time, joined by spaces.
    pub reminders: String,
    /// The owner's IANA time zone.
    pub time_zone: String,
}

/// A reminder that came due, to be recorded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: Uuid,
    pub task_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub minutes_before: u32,
    pub fire_at: DateTime<Utc>,
}

/// A delivery a worker claimed: its lease is the worker's.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub task_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub minutes_before: i32,
    pub fire_at: DateTime<Utc>,
    /// Including this one.
    pub attempts: i32,
}

/// A delivery's task and owner as they are now, read just before sending:
/// what the e-mail says, and whether it is still wanted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryTarget {
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<String>,
    pub reminders: String,
    pub email: String,
    pub name: String,
    pub time_zone: String,
}

/// How a claimed delivery ends, or why it goes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryEnd {
    /// Given up: a permanent rejection, or the last attempt failed.
    Failed { error: String },
    /// Not sent, and never will be: why.
    Skipped { reason: String },
    /// Failed this time; claimable again from `next_attempt_at`.
    Retry {
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// Not attempted (the worker is stopping): claimable again at once,
    /// the claim's attempt given back.
    Released,
}

/// The claim, in its dialect's lock: rows still to make whose time has
/// come and that nobody holds (never leased, or the lease ran out),
/// soonest first, leased to `$1` until `$2`, their attempt counted. The
/// rows are chosen in a CTE, which PostgreSQL runs once (a CTE that locks
/// rows is never folded into the statement): chosen in a subquery, a plan
/// that runs it again for each row updated would lock and skip a
/// different set each time.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "WITH claimable AS (SELECT id FROM reminder_deliveries WHERE \
             sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL AND next_attempt_at <= $3 \
             AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at, id LIMIT $4",
            $lock,
            ") UPDATE reminder_deliveries SET lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1 WHERE id IN (SELECT id FROM claimable) \
             RETURNING id, task_id, due_at, minutes_before, fire_at, attempts"
        )
    };
}

/// PostgreSQL: replicas claim at the same moment, and each skips the rows
/// another's claim has locked instead of waiting for them; the lock also
/// makes the row's conditions be checked again on its latest version.
const CLAIM_POSTGRES: &str = claim_sql!(" FOR UPDATE SKIP LOCKED");
/// SQLite has no row locks and needs none: one writer at a time, and the
/// claim runs in a transaction that took the write lock before it read
/// (`BEGIN IMMEDIATE`, [`BeginWrite`]), so no other process can change,
/// or claim, a row between the claim's read and its write.
const CLAIM_SQLITE: &str = claim_sql!("");

impl Store {
    /// Open tasks with reminders due from `from` to `to` (dates as stored:
    /// the owner's wall clock), after `after` in (due date, id) order, at
    /// most `limit`: one page of the worker's scan, read along the partial
    /// index `tasks_reminders_due_idx`. Each task with its owner's zone.
    pub async fn reminder_tasks(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, Uuid)>,
        limit: u32,
    ) -> Result<Vec<ReminderTask>, StoreError> {
        // The partial index's terms are repeated as written there
        // (`NOT completed`): SQLite uses a partial index only then.
        let sql = "SELECT t.id, t.due_date, t.due_time, t.reminders, u.time_zone \
                   FROM tasks t JOIN users u ON u.id = t.owner_id \
                   WHERE t.reminders <> '' AND NOT t.completed AND t.due_time IS NOT NULL \
                   AND t.due_date >= $1 AND t.due_date <= $2 AND (t.due_date, t.id) > ($3, $4) \
                   ORDER BY t.due_date, t.id LIMIT $5";
        // Before every task of `from`: no id sorts below the nil UUID.
        let (after_date, after_id) = after.unwrap_or((from, Uuid::nil()));
        let rows = with_connection!(self, conn => sqlx::query_as(sql)
            .bind(from)
            .bind(to)
            .bind(after_date)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await)?;
        Ok(rows)
    }

    /// Records the deliveries, each once: one whose key (task, due
    /// instant, lead) is recorded already, by this worker or another, is
    /// left as it is, and so is one whose task was deleted or completed
    /// since it was read. How many were new.
    pub async fn insert_reminder_deliveries(
        &self,
        mut deliveries: Vec<NewDelivery>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        // In key order, so that replicas inserting overlapping sets wait
        // for each other's keys in one order and never deadlock.
        deliveries.sort_by_key(|d| (d.task_id, d.due_at, d.minutes_before));
        // From the task's row, so a task deleted meanwhile adds nothing
        // (rather than failing the foreign key, and the whole batch).
        let sql = "INSERT INTO reminder_deliveries (id, task_id, owner_id, due_at, minutes_before, \
                   fire_at, attempts, next_attempt_at, created_at) \
                   SELECT $1, id, owner_id, $2, $3, $4, 0, $4, $5 FROM tasks \
                   WHERE id = $6 AND NOT completed \
                   ON CONFLICT (task_id, due_at, minutes_before) DO NOTHING";
        self.write(move |store| async move {
            Ok(with_connection!(write store, conn => {
                let mut tx = conn.begin_write().await?;
                let mut inserted = 0;
                for delivery in &deliveries {
                    inserted += sqlx::query(sql)
                        .bind(delivery.id)
                        .bind(delivery.due_at)
                        .bind(i32::try_from(delivery.minutes_before).unwrap_or(i32::MAX))
                        .bind(delivery.fire_at)
                        .bind(at)
                        .bind(delivery.task_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(inserted)
            })?)
        })
        .await
    }

    /// Claims up to `limit` deliveries whose time has come at `now` for
    /// `worker`, leased until `lease_until`: no other worker claims them
    /// until then. Each claim counts as an attempt.
    pub async fn claim_reminder_deliveries(
        &self,
        worker: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let sql = match self.dialect() {
            Dialect::Postgres => CLAIM_POSTGRES,
            Dialect::Sqlite => CLAIM_SQLITE,
        };
        self.write(move |store| async move {
            let mut claimed: Vec<ClaimedDelivery> = with_connection!(write store, conn => {
                let mut tx = conn.begin_write().await?;
                let claimed = sqlx::query_as(sql)
                    .bind(worker)
                    .bind(lease_until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(claimed)
            })?;
            // RETURNING promises no order.
            claimed.sort_by_key(|d| (d.fire_at, d.id));
            Ok(claimed)
        })
        .await
    }

    /// Extends `worker`'s lease of a pending delivery to `lease_until`,
    /// just before sending it, and reads its task and owner as they are
    /// now. `None` when the lease is no longer the worker's (another took
    /// it over after it ran out), the delivery ended meanwhile, or its
    /// task is gone (and the delivery with it).
    pub async fn renew_reminder_lease(
        &self,
        id: Uuid,
        worker: Uuid,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<DeliveryTarget>, StoreError> {
        let renew = "UPDATE reminder_deliveries SET lease_until = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND sent_at IS NULL \
                     AND failed_at IS NULL AND skipped_at IS NULL";
        let read = "SELECT t.title, t.description, t.completed, t.due_date, t.due_time, \
                    t.reminders, u.email, u.name, u.time_zone \
                    FROM reminder_deliveries d JOIN tasks t ON t.id = d.task_id \
                    JOIN users u ON u.id = t.owner_id WHERE d.id = $1";
        self.write(move |store| async move {
            Ok(with_connection!(write store, conn => {
                let renewed = sqlx::query(renew)
                    .bind(id)
                    .bind(worker)
                    .bind(lease_until)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if renewed == 0 {
                    return Ok(None);
                }
                sqlx::query_as(read).bind(id).fetch_optional(&mut *conn).await
            })?)
        })
        .await
    }

    /// Records that the SMTP server accepted the delivery's message.
    /// Whoever holds the lease: a message that went out went out, and a
    /// worker that took the lease over after it ran out then finds the
    /// delivery done and does not send it again. `false` when it was
    /// recorded as sent already.
    pub async fn reminder_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE reminder_deliveries SET sent_at = $2, failed_at = NULL, \
                   skipped_at = NULL, last_error = NULL, lease_owner = NULL, lease_until = NULL \
                   WHERE id = $1 AND sent_at IS NULL";
        let updated = self
            .write(move |store| async move {
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(id)
                    .bind(at)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            })
            .await?;
        Ok(updated > 0)
    }

    /// Ends, or gives back, a pending delivery `worker` holds the lease
    /// of; `false` when it holds it no more (nothing changed).
    pub async fn end_reminder_delivery(
        &self,
        id: Uuid,
        worker: Uuid,
        end: DeliveryEnd,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Each sets its columns, and every one lets the lease go.
        let (sql, time, text) = match end {
            DeliveryEnd::Failed { error } => (
                "UPDATE reminder_deliveries SET failed_at = $3, last_error = $4, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 \
                 AND sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL",
                at,
                Some(error),
            ),
            DeliveryEnd::Skipped { reason } => (
                "UPDATE reminder_deliveries SET skipped_at = $3, last_error = $4, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 \
                 AND sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL",
                at,
                Some(reason),
            ),
            DeliveryEnd::Retry {
                error,
                next_attempt_at,
            } => (
                "UPDATE reminder_deliveries SET next_attempt_at = $3, last_error = $4, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 \
                 AND sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL",
                next_attempt_at,
                Some(error),
            ),
            DeliveryEnd::Released => (
                "UPDATE reminder_deliveries SET attempts = attempts - 1, \
                 lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 \
                 AND sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL",
                at,
                None,
            ),
        };
        let updated = self
            .write(move |store| async move {
                Ok(with_connection!(write store, conn => {
                    let query = sqlx::query(sql).bind(id).bind(worker);
                    // PostgreSQL refuses a value for a parameter the
                    // statement does not name.
                    let query = match &text {
                        Some(text) => query.bind(time).bind(text.as_str()),
                        None => query,
                    };
                    query.execute(conn).await.map(|done| done.rows_affected())
                })?)
            })
            .await?;
        Ok(updated > 0)
    }

    /// Deletes up to `limit` ended deliveries that fired before `before`;
    /// how many. A delivery's row is what keeps its reminder from being
    /// recorded again, so it is kept well past the time a reminder is
    /// still looked for (`reminders::GRACE`).
    pub async fn prune_reminder_deliveries(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let sql = "DELETE FROM reminder_deliveries WHERE id IN (SELECT id FROM reminder_deliveries \
                   WHERE fire_at < $1 AND NOT (sent_at IS NULL AND failed_at IS NULL \
                   AND skipped_at IS NULL) ORDER BY fire_at LIMIT $2)";
        self.write(move |store| async move {
            Ok(with_connection!(write store, conn => sqlx::query(sql)
                .bind(before)
                .bind(i64::from(limit))
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_claims_differ_only_in_postgres_row_locks() {
        assert_eq!(
            CLAIM_POSTGRES.replace(" FOR UPDATE SKIP LOCKED", ""),
            CLAIM_SQLITE
        );
        assert!(
            CLAIM_SQLITE.contains("sent_at IS NULL AND failed_at IS NULL AND skipped_at IS NULL")
        );
    }
}
