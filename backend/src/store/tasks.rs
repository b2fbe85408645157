use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use todo_api::{Priority, SortField, SortOrder, StatusFilter, Task, TaskStats};
use uuid::Uuid;

use super::{BeginWrite, Dialect, Store, now, with_pool};
use crate::domain::{Tags, TaskChanges, TaskDraft, TaskQuery};

/// A `tasks` row as both databases return it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: i16,
    pub due_date: Option<NaiveDate>,
    pub tags: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of a list page: the task plus the filter's total match count,
/// computed in the same query by a window function.
#[derive(Debug, Clone, sqlx::FromRow)]
struct TaskPageRow {
    #[sqlx(flatten)]
    task: TaskRow,
    total: i64,
}

/// The columns of [`TaskRow`], as a macro so fixed queries can be built
/// with `concat!` at compile time.
macro_rules! task_columns {
    () => {
        "id, title, description, completed, priority, due_date, tags, created_at, updated_at"
    };
}
const TASK_COLUMNS: &str = task_columns!();

fn priority_rank(priority: Priority) -> i16 {
    match priority {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
    }
}

fn priority_from_rank(rank: i16) -> Priority {
    match rank {
        0 => Priority::Low,
        2 => Priority::High,
        // The CHECK constraint admits only 0–2.
        _ => Priority::Medium,
    }
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Self {
        Task {
            id: row.id,
            title: row.title,
            description: row.description,
            completed: row.completed,
            priority: priority_from_rank(row.priority),
            due_date: row.due_date,
            tags: Tags::split_stored(&row.tags),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside LIKE.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn sort_column(sort: SortField) -> &'static str {
    match sort {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::DueDate => "due_date",
        SortField::Priority => "priority",
        SortField::Title => "lower(title)",
    }
}

fn sort_direction(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    }
}

impl Store {
    pub async fn insert_task(&self, owner: Uuid, draft: &TaskDraft) -> Result<Task, sqlx::Error> {
        let at = now();
        let task = Task {
            id: Uuid::new_v4(),
            title: draft.title.as_str().to_owned(),
            description: draft.description.as_ref().map(|d| d.as_str().to_owned()),
            completed: draft.completed,
            priority: draft.priority,
            due_date: draft.due_date,
            tags: draft.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            created_at: at,
            updated_at: at,
        };
        let sql = "INSERT INTO tasks (id, owner_id, title, description, completed, priority, \
                   due_date, tags, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let _turn = self.write_turn().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql)
                .bind(task.id)
                .bind(owner)
                .bind(&task.title)
                .bind(&task.description)
                .bind(task.completed)
                .bind(priority_rank(task.priority))
                .bind(task.due_date)
                .bind(draft.tags.joined())
                .bind(task.created_at)
                .bind(task.updated_at)
                .execute(&mut *tx)
                .await?;
            for tag in draft.tags.iter() {
                sqlx::query("INSERT INTO task_tags (task_id, owner_id, tag) VALUES ($1, $2, $3)")
                    .bind(task.id)
                    .bind(owner)
                    .bind(tag.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(task)
    }

    pub async fn task(&self, owner: Uuid, id: Uuid) -> Result<Option<Task>, sqlx::Error> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE id = $1 AND owner_id = $2"
        );
        let row: Option<TaskRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id)
            .bind(owner)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(Task::from))
    }

    /// One page of the owner's tasks matching `query`, and how many match
    /// in all.
    pub async fn list_tasks(
        &self,
        owner: Uuid,
        query: &TaskQuery,
    ) -> Result<(Vec<Task>, u64), sqlx::Error> {
        let dialect = self.dialect();
        let search = query.search.as_deref().map(like_pattern);
        let completed = match query.status {
            StatusFilter::All => None,
            StatusFilter::Active => Some(false),
            StatusFilter::Completed => Some(true),
        };
        with_pool!(self, pool => {
            let push_filters = |qb: &mut QueryBuilder<_>| {
                qb.push(" FROM tasks WHERE owner_id = ").push_bind(owner);
                if let Some(completed) = completed {
                    qb.push(" AND completed = ").push_bind(completed);
                }
                if let Some(pattern) = &search {
                    // PostgreSQL: one expression, served by the trigram index.
                    // SQLite: LIKE is already case-insensitive for ASCII.
                    match dialect {
                        Dialect::Postgres => {
                            qb.push(" AND (title || ' ' || coalesce(description, '')) ILIKE ")
                                .push_bind(pattern.clone())
                                .push(" ESCAPE '\\'");
                        }
                        Dialect::Sqlite => {
                            qb.push(" AND (title LIKE ")
                                .push_bind(pattern.clone())
                                .push(" ESCAPE '\\' OR coalesce(description, '') LIKE ")
                                .push_bind(pattern.clone())
                                .push(" ESCAPE '\\')");
                        }
                    }
                }
                if let Some(priority) = query.priority {
                    qb.push(" AND priority = ").push_bind(priority_rank(priority));
                }
                if let Some(tag) = &query.tag {
                    qb.push(
                        " AND EXISTS (SELECT 1 FROM task_tags tt WHERE tt.task_id = tasks.id \
                         AND tt.owner_id = ",
                    )
                    .push_bind(owner)
                    .push(" AND tt.tag = ")
                    .push_bind(tag.as_str().to_owned())
                    .push(")");
                }
                if let Some(due_before) = query.due_before {
                    qb.push(" AND due_date < ").push_bind(due_before);
                }
            };

            let mut select = QueryBuilder::new("SELECT ");
            select.push(TASK_COLUMNS).push(", COUNT(*) OVER () AS total");
            push_filters(&mut select);
            let direction = sort_direction(query.order);
            // Tasks without a due date sort last either way; `id` breaks ties
            // so pages never overlap or skip.
            select
                .push(" ORDER BY ")
                .push(sort_column(query.sort))
                .push(" ")
                .push(direction)
                .push(" NULLS LAST, id ")
                .push(direction)
                .push(" LIMIT ")
                .push_bind(i64::from(query.limit))
                .push(" OFFSET ")
                .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
            let rows: Vec<TaskPageRow> = select.build_query_as().fetch_all(pool).await?;
            let total = match rows.first() {
                Some(row) => row.total,
                // The window sees no rows past the end: count separately.
                None if query.offset > 0 => {
                    let mut count = QueryBuilder::new("SELECT COUNT(*)");
                    push_filters(&mut count);
                    count.build_query_scalar().fetch_one(pool).await?
                }
                None => 0,
            };
            Ok((rows.into_iter().map(|row| Task::from(row.task)).collect(), total.max(0) as u64))
        })
    }

    /// Applies `changes` in one statement (no read-modify-write race);
    /// `None` when the owner has no such task.
    pub async fn update_task(
        &self,
        owner: Uuid,
        id: Uuid,
        changes: &TaskChanges,
    ) -> Result<Option<Task>, sqlx::Error> {
        if changes.is_empty() {
            return self.task(owner, id).await;
        }
        let _turn = self.write_turn().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut update = QueryBuilder::new("UPDATE tasks SET updated_at = ");
            update.push_bind(now());
            if let Some(title) = &changes.title {
                update.push(", title = ").push_bind(title.as_str().to_owned());
            }
            if let Some(description) = &changes.description {
                update
                    .push(", description = ")
                    .push_bind(description.as_ref().map(|d| d.as_str().to_owned()));
            }
            if let Some(completed) = changes.completed {
                update.push(", completed = ").push_bind(completed);
            }
            if let Some(priority) = changes.priority {
                update.push(", priority = ").push_bind(priority_rank(priority));
            }
            if let Some(due_date) = changes.due_date {
                update.push(", due_date = ").push_bind(due_date);
            }
            if let Some(tags) = &changes.tags {
                update.push(", tags = ").push_bind(tags.joined());
            }
            update
                .push(" WHERE id = ")
                .push_bind(id)
                .push(" AND owner_id = ")
                .push_bind(owner)
                .push(" RETURNING ")
                .push(TASK_COLUMNS);
            let row: Option<TaskRow> = update.build_query_as().fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Ok(None);
            };
            if let Some(tags) = &changes.tags {
                sqlx::query("DELETE FROM task_tags WHERE task_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for tag in tags.iter() {
                    sqlx::query("INSERT INTO task_tags (task_id, owner_id, tag) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(owner)
                        .bind(tag.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(Some(Task::from(row)))
        })
    }

    /// `false` when the owner has no such task.
    pub async fn delete_task(&self, owner: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
        let sql = "DELETE FROM tasks WHERE id = $1 AND owner_id = $2";
        let _turn = self.write_turn().await;
        let deleted = with_pool!(self, pool => sqlx::query(sql)
            .bind(id)
            .bind(owner)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }

    pub async fn clear_completed(&self, owner: Uuid) -> Result<u64, sqlx::Error> {
        let sql = "DELETE FROM tasks WHERE owner_id = $1 AND completed = $2";
        let _turn = self.write_turn().await;
        Ok(with_pool!(self, pool => sqlx::query(sql)
            .bind(owner)
            .bind(true)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Counts in one pass; overdue is relative to `today` (UTC).
    pub async fn stats(&self, owner: Uuid, today: NaiveDate) -> Result<TaskStats, sqlx::Error> {
        let sql = "SELECT COUNT(*), \
                   COALESCE(SUM(CASE WHEN completed THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN NOT completed AND due_date < $2 THEN 1 ELSE 0 END), 0) \
                   FROM tasks WHERE owner_id = $1";
        let (total, completed, overdue): (i64, i64, i64) = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(owner).bind(today).fetch_one(pool).await)?;
        let count = |n: i64| n.max(0) as u64;
        Ok(TaskStats {
            total: count(total),
            active: count(total - completed),
            completed: count(completed),
            overdue: count(overdue),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_pattern(r"50%_off\"), r"%50\%\_off\\%");
    }

    #[test]
    fn priority_ranks_round_trip_and_order_by_urgency() {
        for p in Priority::ALL {
            assert_eq!(priority_from_rank(priority_rank(*p)), *p);
        }
        assert!(priority_rank(Priority::Low) < priority_rank(Priority::High));
    }
}
