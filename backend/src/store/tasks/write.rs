//! Task writes: each one statement on PostgreSQL, one transaction on
//! SQLite, run to completion whatever becomes of the request
//! ([`Store::write_for_owner`]), never a read-modify-write. A change of
//! `completed` is the exception: it may create or remove a repeating
//! task's next occurrence, so it is one transaction that locks the row
//! first ([`occurrences`](super::occurrences)).

use sqlx::QueryBuilder;
use todo_api::Task;
use uuid::Uuid;

use super::columns::{TASK_COLUMNS, TaskColumns, priority_rank};
use super::occurrences;
use crate::domain::{Quota, TaskChanges, TaskDraft};
use crate::store::{
    BeginWrite, Pool, Store, StoreError, constraint_or, in_query_span, now, on_postgres,
    owner_gone_or, with_connection,
};

/// The columns a new task is inserted with, in the order
/// [`bind_new_task!`] binds them (a macro, for `concat!`).
macro_rules! insert_columns {
    () => {
        "id, owner_id, title, description, completed, priority, due_date, due_time, \
         recurrence, recurrence_summary, reminders, tags, created_at, updated_at"
    };
}

/// The fourteen values of [`INSERT_COLUMNS`] for `task`, bound to a query
/// of either database.
macro_rules! bind_new_task {
    ($query:expr, $task:expr, $owner:expr) => {{
        let task: &todo_api::Task = $task;
        $query
            .bind(task.id)
            .bind($owner)
            .bind(task.title.clone())
            .bind(task.description.clone())
            .bind(task.completed)
            .bind($crate::store::tasks::columns::priority_rank(task.priority))
            .bind(task.due_date)
            .bind(task.due_time.clone())
            .bind(task.recurrence.clone())
            .bind(task.recurrence_summary.clone())
            .bind($crate::store::tasks::write::joined_minutes(&task.reminders))
            .bind(task.tags.join(" "))
            .bind(task.created_at)
            .bind(task.updated_at)
    }};
}
pub(super) use bind_new_task;

/// Reminders as stored: the numbers joined by spaces.
pub(super) fn joined_minutes(minutes: &[u32]) -> String {
    minutes
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pushes `UPDATE tasks SET … WHERE id = … AND owner_id = … RETURNING
/// <task columns>, owner_id` for `changes` onto a query builder of either
/// database.
macro_rules! push_update {
    ($builder:expr, $changes:expr, $id:expr, $owner:expr) => {{
        let changes: &TaskChanges = $changes;
        $builder
            .push("UPDATE tasks SET updated_at = ")
            .push_bind(now());
        if let Some(title) = &changes.title {
            $builder
                .push(", title = ")
                .push_bind(title.as_str().to_owned());
        }
        if let Some(description) = &changes.description {
            $builder
                .push(", description = ")
                .push_bind(description.as_ref().map(|d| d.as_str().to_owned()));
        }
        if let Some(completed) = changes.completed {
            $builder.push(", completed = ").push_bind(completed);
        }
        if let Some(priority) = changes.priority {
            $builder
                .push(", priority = ")
                .push_bind(priority_rank(priority));
        }
        if let Some(due_date) = changes.due_date {
            $builder.push(", due_date = ").push_bind(due_date);
        }
        if let Some(due_time) = changes.due_time {
            $builder
                .push(", due_time = ")
                .push_bind(due_time.map(|time| time.text()));
        }
        if let Some(recurrence) = &changes.recurrence {
            $builder
                .push(", recurrence = ")
                .push_bind(recurrence.as_ref().map(|rule| rule.rrule()))
                .push(", recurrence_summary = ")
                .push_bind(recurrence.as_ref().map(|rule| rule.summary()));
        }
        if let Some(reminders) = &changes.reminders {
            $builder
                .push(", reminders = ")
                .push_bind(reminders.joined());
        }
        if let Some(tags) = &changes.tags {
            $builder.push(", tags = ").push_bind(tags.joined());
        }
        $builder
            .push(" WHERE id = ")
            .push_bind($id)
            .push(" AND owner_id = ")
            .push_bind($owner)
            .push(" RETURNING ")
            .push(TASK_COLUMNS)
            // Last, so the task's columns decode by position from the start.
            .push(", owner_id");
    }};
}

/// The tag rows of one task, as one multi-row INSERT.
pub(super) async fn insert_sqlite_tags(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    task: Uuid,
    owner: Uuid,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut insert = QueryBuilder::new("INSERT INTO task_tags (task_id, owner_id, tag) ");
    insert.push_values(tags, |mut row, tag| {
        row.push_bind(task).push_bind(owner).push_bind(tag.clone());
    });
    insert.build().execute(&mut **tx).await?;
    Ok(())
}

/// A task and its tags in one statement, if the owner is under `$16`
/// tasks; answers how many tasks it inserted.
pub(super) const POSTGRES_INSERT: &str = concat!(
    "WITH task AS (INSERT INTO tasks (",
    insert_columns!(),
    ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 \
     WHERE (SELECT task_count FROM users WHERE id = $2) < $16 RETURNING id), \
     tags AS (INSERT INTO task_tags (task_id, owner_id, tag) \
     SELECT task.id, $2, tag FROM task, unnest($15::text[]) AS tag) \
     SELECT COUNT(*) FROM task"
);

/// A task, if the owner is under `$15` tasks (its tags follow separately).
pub(super) const SQLITE_INSERT: &str = concat!(
    "INSERT INTO tasks (",
    insert_columns!(),
    ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 \
     WHERE (SELECT task_count FROM users WHERE id = $2) < $15"
);

impl Store {
    /// One statement on PostgreSQL (the task and its tags through a
    /// data-modifying CTE); one transaction on SQLite, where a round trip
    /// is a function call.
    pub async fn insert_task(&self, owner: Uuid, draft: &TaskDraft) -> Result<Task, StoreError> {
        let at = now();
        let task = draft.to_task(Uuid::new_v4(), at);
        // Checked in the statement that adds, against the count the
        // triggers keep: exact on SQLite (one writer at a time); on
        // PostgreSQL, creates of one account racing at the limit can pass
        // it by the number in flight at once.
        let limit = i64::try_from(self.quotas.tasks).unwrap_or(i64::MAX);
        let inserted = self
            .write(in_query_span("INSERT", move |store| async move {
                match &store.pool {
                    Pool::Postgres(pool) => {
                        let inserted: i64 = on_postgres!(Write, pool, conn => bind_new_task!(
                        sqlx::query(POSTGRES_INSERT), &task, owner)
                    .bind(&task.tags)
                    .bind(limit)
                    .fetch_one(conn)
                    .await
                    .map(|row| sqlx::Row::get(&row, 0))
                    .map_err(owner_gone_or))?;
                        Ok((inserted > 0).then_some(task))
                    }
                    Pool::Sqlite(pool) => {
                        let mut conn = pool.acquire().await?;
                        let mut tx = conn.begin_write().await?;
                        let inserted = bind_new_task!(sqlx::query(SQLITE_INSERT), &task, owner)
                            .bind(limit)
                            .execute(&mut *tx)
                            .await
                            .map_err(owner_gone_or)?
                            .rows_affected();
                        if inserted == 0 {
                            return Ok(None);
                        }
                        insert_sqlite_tags(&mut tx, task.id, owner, &task.tags).await?;
                        tx.commit().await?;
                        Ok(Some(task))
                    }
                }
            }))
            .await?;
        match inserted {
            Some(task) => Ok(task),
            // The owner's row answered no count: gone, or at the limit.
            None => {
                self.unless_owner_gone(owner, ()).await?;
                Err(StoreError::QuotaExceeded(Quota::Tasks(self.quotas.tasks)))
            }
        }
    }

    /// Applies `changes` atomically with no read-modify-write race: one
    /// statement on PostgreSQL (the row and its tags through a CTE), one
    /// transaction on SQLite. A change of `completed` also locks the row
    /// and follows a repeating task's series in the same transaction
    /// ([`occurrences`](super::occurrences)). [`StoreError::OwnerGone`]
    /// when the owner has gone; `None` when the owner has no such task.
    pub async fn update_task(
        &self,
        owner: Uuid,
        id: Uuid,
        changes: &TaskChanges,
    ) -> Result<Option<Task>, StoreError> {
        if changes.is_empty() {
            return self.task(owner, id).await;
        }
        let changes = changes.clone();
        let task_limit = self.quotas.tasks;
        self.write_for_owner(
            owner,
            in_query_span("UPDATE", move |store| async move {
                let tags: Option<Vec<String>> = changes
                    .tags
                    .as_ref()
                    .map(|tags| tags.iter().map(|t| t.as_str().to_owned()).collect());
                let follows_series = changes.completed.is_some();
                match &store.pool {
                    Pool::Postgres(pool) => on_postgres!(Write, pool, conn => {
                        let mut statement = QueryBuilder::new("WITH updated AS (");
                        push_update!(statement, &changes, id, owner);
                        statement.push(")");
                        if let Some(tags) = &tags {
                            // Tags that stay are neither deleted nor inserted,
                            // so the sub-statements never touch the same row.
                            statement
                                .push(
                                    ", dropped AS (DELETE FROM task_tags \
                                     WHERE task_id IN (SELECT id FROM updated) AND tag <> ALL(",
                                )
                                .push_bind(tags.clone())
                                .push(
                                    ")), added AS (INSERT INTO task_tags (task_id, owner_id, tag) \
                                     SELECT id, owner_id, tag FROM updated, unnest(",
                                )
                                .push_bind(tags.clone())
                                .push("::text[]) AS tag ON CONFLICT (task_id, tag) DO NOTHING)");
                        }
                        statement
                            .push(" SELECT ")
                            .push(TASK_COLUMNS)
                            .push(" FROM updated");
                        if !follows_series {
                            let row = statement
                                .build()
                                .fetch_optional(conn)
                                .await
                                .map_err(constraint_or)?;
                            return Ok::<_, StoreError>(
                                row.as_ref().map(TaskColumns::task).transpose()?,
                            );
                        }
                        let mut tx = conn.begin_write().await?;
                        let Some(before) = occurrences::lock_postgres(&mut tx, owner, id).await?
                        else {
                            return Ok(None);
                        };
                        let row = statement
                            .build()
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(constraint_or)?;
                        let Some(mut task) = row.as_ref().map(TaskColumns::task).transpose()? else {
                            return Ok(None);
                        };
                        let follow = occurrences::follow(before, &task, now());
                        occurrences::apply_postgres(&mut tx, owner, &mut task, follow, task_limit)
                            .await?;
                        tx.commit().await?;
                        Ok(Some(task))
                    }),
                    Pool::Sqlite(pool) => {
                        let mut conn = pool.acquire().await?;
                        let mut tx = conn.begin_write().await?;
                        let before = if follows_series {
                            match occurrences::lock_sqlite(&mut tx, owner, id).await? {
                                Some(before) => Some(before),
                                None => return Ok(None),
                            }
                        } else {
                            None
                        };
                        let mut update = QueryBuilder::new("");
                        push_update!(update, &changes, id, owner);
                        let row = update
                            .build()
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(constraint_or)?;
                        let Some(mut task) = row.as_ref().map(TaskColumns::task).transpose()?
                        else {
                            return Ok(None);
                        };
                        if let Some(tags) = tags {
                            sqlx::query("DELETE FROM task_tags WHERE task_id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                            insert_sqlite_tags(&mut tx, id, owner, &tags).await?;
                        }
                        if let Some(before) = before {
                            let follow = occurrences::follow(before, &task, now());
                            occurrences::apply_sqlite(
                                &mut tx, owner, &mut task, follow, task_limit,
                            )
                            .await?;
                        }
                        tx.commit().await?;
                        Ok(Some(task))
                    }
                }
            }),
            Option::is_some,
        )
        .await
    }

    /// `false` when the owner has no such task (the tags go with it).
    pub async fn delete_task(&self, owner: Uuid, id: Uuid) -> Result<bool, StoreError> {
        self.delete_owned(
            "DELETE FROM tasks WHERE id = $1 AND owner_id = $2",
            owner,
            id,
        )
        .await
    }

    /// How many completed tasks were deleted.
    pub async fn clear_completed(&self, owner: Uuid) -> Result<u64, StoreError> {
        let sql = "DELETE FROM tasks WHERE owner_id = $1 AND completed = $2";
        self.write_for_owner(
            owner,
            move |store| async move {
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(owner)
                    .bind(true)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            },
            |deleted| *deleted > 0,
        )
        .await
    }
}
