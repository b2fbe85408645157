//! A repeating task's occurrences: completing one creates the next from
//! its rule and due date, in the transaction that completes it; undoing
//! the completion removes that next occurrence while it is still open.
//!
//! The completed occurrence keeps a link to the one it created
//! (`next_occurrence_id`), so an undo knows what to remove and a retried
//! completion (already completed) creates nothing.

use chrono::{DateTime, Utc};
use sqlx::Row;
use todo_api::Task;
use uuid::Uuid;

use super::write::{POSTGRES_INSERT, SQLITE_INSERT, bind_new_task, insert_sqlite_tags};
use crate::domain::{Quota, Recurrence};
use crate::store::StoreError;

/// The row as it was before the change, read under lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Before {
    pub completed: bool,
    pub next_occurrence_id: Option<Uuid>,
}

/// What a change of `completed` does to the series.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Follow {
    /// Create this task, the next occurrence, and link to it.
    Create(Box<Task>),
    /// Remove this occurrence if it is still open, and drop the link.
    Remove(Uuid),
    Nothing,
}

/// The next step for `after`, the row as the change left it: completing
/// an open occurrence with a rule and a due date creates the next one
/// (unless the series ends here); reopening one that created a next
/// occurrence removes it. The next one follows the rule as it is now, so
/// an edited rule applies from the next occurrence on.
pub(super) fn follow(before: Before, after: &Task, at: DateTime<Utc>) -> Follow {
    if !before.completed && after.completed {
        let (Some(rule), Some(due)) = (after.recurrence.as_deref(), after.due_date) else {
            return Follow::Nothing;
        };
        let rule = match Recurrence::parse(rule) {
            Ok(rule) => rule,
            Err(problem) => {
                // Only rules the parser accepted are stored.
                tracing::warn!(task = %after.id, problem, "stored recurrence rule does not parse");
                return Follow::Nothing;
            }
        };
        match rule.next_occurrence(due) {
            Some((next_due, next_rule)) => Follow::Create(Box::new(Task {
                id: Uuid::new_v4(),
                completed: false,
                due_date: Some(next_due),
                recurrence: Some(next_rule.rrule()),
                recurrence_summary: Some(next_rule.summary()),
                next_occurrence_id: None,
                created_at: at,
                updated_at: at,
                ..after.clone()
            })),
            None => Follow::Nothing,
        }
    } else if before.completed && !after.completed {
        before
            .next_occurrence_id
            .map_or(Follow::Nothing, Follow::Remove)
    } else {
        Follow::Nothing
    }
}

const LOCK: &str =
    "SELECT completed, next_occurrence_id FROM tasks WHERE id = $1 AND owner_id = $2";
const LINK: &str = "UPDATE tasks SET next_occurrence_id = $1 WHERE id = $2";
const REMOVE_OPEN: &str = "DELETE FROM tasks WHERE id = $1 AND owner_id = $2 AND completed = $3";

/// The row's state before the change, locked until the transaction ends;
/// `None` when the owner has no such task.
pub(super) async fn lock_postgres(
    tx: &mut sqlx::PgConnection,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<Before>, sqlx::Error> {
    let row = sqlx::query(concat!(
        "SELECT completed, next_occurrence_id FROM tasks WHERE id = $1 AND owner_id = $2",
        " FOR UPDATE"
    ))
    .bind(id)
    .bind(owner)
    .fetch_optional(tx)
    .await?;
    row.map(|row| {
        Ok(Before {
            completed: row.try_get(0)?,
            next_occurrence_id: row.try_get(1)?,
        })
    })
    .transpose()
}

/// As [`lock_postgres`]; SQLite's `BEGIN IMMEDIATE` already holds the
/// database's one write lock.
pub(super) async fn lock_sqlite(
    tx: &mut sqlx::SqliteConnection,
    owner: Uuid,
    id: Uuid,
) -> Result<Option<Before>, sqlx::Error> {
    let row = sqlx::query(LOCK)
        .bind(id)
        .bind(owner)
        .fetch_optional(tx)
        .await?;
    row.map(|row| {
        Ok(Before {
            completed: row.try_get(0)?,
            next_occurrence_id: row.try_get(1)?,
        })
    })
    .transpose()
}

/// Applies `follow` to `task` (the changed row) in the open transaction,
/// setting its `next_occurrence_id` to match. The next occurrence counts
/// against the owner's task quota: past it, nothing is written.
pub(super) async fn apply_postgres(
    tx: &mut sqlx::PgConnection,
    owner: Uuid,
    task: &mut Task,
    follow: Follow,
    task_limit: u64,
) -> Result<(), StoreError> {
    match follow {
        Follow::Create(next) => {
            let inserted: i64 = bind_new_task!(sqlx::query(POSTGRES_INSERT), &next, owner)
                .bind(&next.tags)
                .bind(i64::try_from(task_limit).unwrap_or(i64::MAX))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if inserted == 0 {
                return Err(StoreError::QuotaExceeded(Quota::Tasks(task_limit)));
            }
            link_postgres(tx, task, Some(next.id)).await
        }
        Follow::Remove(next) => {
            sqlx::query(REMOVE_OPEN)
                .bind(next)
                .bind(owner)
                .bind(false)
                .execute(&mut *tx)
                .await?;
            link_postgres(tx, task, None).await
        }
        Follow::Nothing => Ok(()),
    }
}

async fn link_postgres(
    tx: &mut sqlx::PgConnection,
    task: &mut Task,
    next: Option<Uuid>,
) -> Result<(), StoreError> {
    sqlx::query(LINK)
        .bind(next)
        .bind(task.id)
        .execute(tx)
        .await?;
    task.next_occurrence_id = next;
    Ok(())
}

/// As [`apply_postgres`], with the tags inserted separately.
pub(super) async fn apply_sqlite(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    owner: Uuid,
    task: &mut Task,
    follow: Follow,
    task_limit: u64,
) -> Result<(), StoreError> {
    let next = match follow {
        Follow::Create(next) => {
            let inserted = bind_new_task!(sqlx::query(SQLITE_INSERT), &next, owner)
                .bind(i64::try_from(task_limit).unwrap_or(i64::MAX))
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if inserted == 0 {
                return Err(StoreError::QuotaExceeded(Quota::Tasks(task_limit)));
            }
            insert_sqlite_tags(tx, next.id, owner, &next.tags).await?;
            Some(next.id)
        }
        Follow::Remove(next) => {
            sqlx::query(REMOVE_OPEN)
                .bind(next)
                .bind(owner)
                .bind(false)
                .execute(&mut **tx)
                .await?;
            None
        }
        Follow::Nothing => return Ok(()),
    };
    sqlx::query(LINK)
        .bind(next)
        .bind(task.id)
        .execute(&mut **tx)
        .await?;
    task.next_occurrence_id = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use todo_api::Priority;

    use super::*;

    fn weekly(completed: bool) -> Task {
        Task {
            id: Uuid::new_v4(),
            title: "bins out".into(),
            description: Some("the green one".into()),
            completed,
            priority: Priority::High,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 7),
            due_time: Some("19:30".into()),
            recurrence: Some("FREQ=WEEKLY;BYDAY=MO;COUNT=3".into()),
            recurrence_summary: Some("every Monday, 3 times".into()),
            reminders: vec![0, 60],
            tags: vec!["home".into()],
            next_occurrence_id: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    const OPEN: Before = Before {
        completed: false,
        next_occurrence_id: None,
    };

    #[test]
    fn completing_creates_the_next_occurrence_from_the_due_date_keeping_the_rest() {
        let at = DateTime::UNIX_EPOCH + chrono::Duration::days(1);
        let Follow::Create(next) = follow(OPEN, &weekly(true), at) else {
            panic!("no next occurrence");
        };
        let done = weekly(true);
        assert_eq!(next.due_date, NaiveDate::from_ymd_opt(2026, 12, 14));
        assert_eq!(
            next.recurrence.as_deref(),
            Some("FREQ=WEEKLY;BYDAY=MO;COUNT=2")
        );
        assert!(!next.completed);
        assert_ne!(next.id, done.id);
        assert_eq!(
            (
                &next.title,
                &next.description,
                next.priority,
                &next.tags,
                &next.due_time,
                &next.reminders
            ),
            (
                &done.title,
                &done.description,
                done.priority,
                &done.tags,
                &done.due_time,
                &done.reminders
            )
        );
        assert_eq!(next.created_at, at);
    }

    #[test]
    fn only_a_change_of_completed_follows_the_series() {
        let at = DateTime::UNIX_EPOCH;
        let done = Before {
            completed: true,
            next_occurrence_id: None,
        };
        assert_eq!(follow(done, &weekly(true), at), Follow::Nothing);
        assert_eq!(follow(OPEN, &weekly(false), at), Follow::Nothing);
        let mut last = weekly(true);
        last.recurrence = Some("FREQ=WEEKLY;BYDAY=MO;COUNT=1".into());
        assert_eq!(follow(OPEN, &last, at), Follow::Nothing, "the series ends");
        let mut plain = weekly(true);
        plain.recurrence = None;
        assert_eq!(follow(OPEN, &plain, at), Follow::Nothing);
        let next = Uuid::new_v4();
        let linked = Before {
            completed: true,
            next_occurrence_id: Some(next),
        };
        assert_eq!(follow(linked, &weekly(false), at), Follow::Remove(next));
    }
}
