//! Task reads, each scoped by owner: one task, tasks by title, a page of
//! the list (counted one of two ways, see `long_lists`), the overview and
//! the counts. An empty answer tells a gone owner from an owner with
//! nothing ([`Store::unless_owner_gone`]).

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::{QueryBuilder, Row};
use todo_api::{SortField, SortOrder, StatusFilter, Task, TaskList, TaskOverview, TaskStats, User};
use uuid::Uuid;

use super::columns::{TASK_COLUMN_COUNT, TASK_COLUMNS, TaskColumns, priority_rank};
use super::page::TaskPage;
use crate::domain::{TaskQuery, TimeZoneName};

/// The most tasks [`Store::overview`] lists as due soon.
const DUE_SOON_MAX: i64 = 10;
use crate::store::{Dialect, Store, StoreError, with_connection};

/// The account and its counts, as [`Store::overview`] reads them.
#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    email: String,
    name: String,
    time_zone: String,
    created_at: DateTime<Utc>,
    total: i64,
    completed: i64,
}

impl AccountRow {
    fn into_parts(self, overdue: i64) -> (User, TaskStats) {
        let stats = task_stats(self.total, self.completed, overdue);
        let user = User {
            id: self.id,
            email: self.email,
            name: self.name,
            time_zone: self.time_zone,
            created_at: self.created_at,
        };
        (user, stats)
    }
}

/// Open tasks due before `$2` (a date), or on it before `$3` (`HH:MM`).
macro_rules! overdue_condition {
    () => {
        "NOT completed AND (due_date < $2 OR (due_date = $2 AND due_time < $3))"
    };
}

fn task_stats(total: i64, completed: i64, overdue: i64) -> TaskStats {
    let count = |n: i64| n.max(0) as u64;
    TaskStats {
        total: count(total),
        active: count(total - completed),
        completed: count(completed),
        overdue: count(overdue),
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

/// The `ORDER BY` expression of a sort, and whether it can be NULL.
fn sort_column(sort: SortField) -> (&'static str, bool) {
    match sort {
        SortField::CreatedAt => ("created_at", false),
        SortField::UpdatedAt => ("updated_at", false),
        SortField::DueDate => ("due_date", true),
        SortField::Priority => ("priority", false),
        SortField::Title => ("lower(title)", false),
    }
}

fn sort_direction(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    }
}

impl Store {
    /// `None` when the owner has no such task.
    pub async fn task(&self, owner: Uuid, id: Uuid) -> Result<Option<Task>, StoreError> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE id = $1 AND owner_id = $2"
        );
        let task: Option<Task> = with_connection!(self, conn => sqlx::query(sql)
            .bind(id)
            .bind(owner)
            .fetch_optional(conn)
            .await
            .and_then(|row| row.as_ref().map(TaskColumns::task).transpose()))?;
        match task {
            Some(task) => Ok(Some(task)),
            None => self.unless_owner_gone(owner, None).await,
        }
    }

    /// The owner's tasks a title names, for the assistant's tools: those
    /// whose title equals it ignoring case, else those containing it (at
    /// most `limit`, newest first).
    pub async fn tasks_titled(
        &self,
        owner: Uuid,
        title: &str,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let exact = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE owner_id = $1 AND lower(title) = lower($2) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let tasks: Vec<Task> = with_connection!(self, conn => sqlx::query(exact)
            .bind(owner)
            .bind(title)
            .bind(i64::from(limit))
            .fetch_all(conn)
            .await
            .and_then(|rows| rows.iter().map(TaskColumns::task).collect()))?;
        let tasks = if tasks.is_empty() {
            let containing = concat!(
                "SELECT ",
                task_columns!(),
                " FROM tasks WHERE owner_id = $1 AND lower(title) LIKE lower($2) ESCAPE '\\' \
                 ORDER BY created_at DESC, id DESC LIMIT $3"
            );
            with_connection!(self, conn => sqlx::query(containing)
                .bind(owner)
                .bind(like_pattern(title))
                .bind(i64::from(limit))
                .fetch_all(conn)
                .await
                .and_then(|rows| rows.iter().map(TaskColumns::task).collect()))?
        } else {
            tasks
        };
        if tasks.is_empty() {
            self.unless_owner_gone(owner, tasks).await
        } else {
            Ok(tasks)
        }
    }

    /// One page of the owner's tasks matching `query`, and how many match
    /// in all.
    pub async fn list_tasks(
        &self,
        owner: Uuid,
        query: &TaskQuery,
    ) -> Result<(Vec<Task>, u64), StoreError> {
        let page = self.task_page(owner, query).await?;
        let total = page.total();
        Ok((page.into_tasks()?, total))
    }

    /// [`Store::list_tasks`] with the tasks left in their rows, for writing
    /// them out without owned copies.
    pub async fn task_page(&self, owner: Uuid, query: &TaskQuery) -> Result<TaskPage, StoreError> {
        let page = self.page_of_tasks(owner, query).await?;
        if page.total() > 0 {
            Ok(page)
        } else {
            self.unless_owner_gone(owner, page).await
        }
    }

    /// The task list page's data: the owner's account with their counts
    /// (one query, which also tells a gone owner) and one page of tasks,
    /// side by side; then, in the owner's time zone read from the first,
    /// what is overdue and what is due soon, side by side.
    pub async fn overview(
        &self,
        owner: Uuid,
        query: &TaskQuery,
        now: DateTime<Utc>,
    ) -> Result<TaskOverview, StoreError> {
        let account = "SELECT u.id, u.email, u.name, u.time_zone, u.created_at, COUNT(t.id) AS total, \
                       COALESCE(SUM(CASE WHEN t.completed THEN 1 ELSE 0 END), 0) AS completed \
                       FROM users u LEFT JOIN tasks t ON t.owner_id = u.id \
                       WHERE u.id = $1 GROUP BY u.id, u.email, u.name, u.time_zone, u.created_at";
        let account = async {
            let row: Option<AccountRow> = with_connection!(self, conn =>
                sqlx::query_as(account).bind(owner).fetch_optional(conn).await)?;
            row.ok_or(StoreError::OwnerGone)
        };
        let (account, page) = tokio::try_join!(account, self.page_of_tasks(owner, query))?;
        let local = TimeZoneName::stored(&account.time_zone).local(now);
        let (overdue, due_soon) =
            tokio::try_join!(self.overdue(owner, local), self.due_soon(owner, local))?;
        let (user, stats) = account.into_parts(overdue);
        Ok(TaskOverview {
            user,
            stats,
            due_soon,
            tasks: TaskList {
                total: page.total(),
                items: page.into_tasks()?,
                limit: query.limit,
                offset: query.offset,
            },
        })
    }

    /// [`Store::list_tasks`] without telling an empty list from a gone owner.
    async fn page_of_tasks(&self, owner: Uuid, query: &TaskQuery) -> Result<TaskPage, StoreError> {
        let dialect = self.dialect();
        let search = query.search.as_deref().map(like_pattern);
        let completed = match query.status {
            StatusFilter::All => None,
            StatusFilter::Active => Some(false),
            StatusFilter::Completed => Some(true),
        };
        let long_lists = &self.long_lists;
        let page = with_connection!(self, conn => {
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

            // Two ways to the total (see `long_lists`): a list expected to
            // fit in its page is read with one row to spare and, if it does
            // fit, states its own total; a longer one counts in the same
            // statement, as a scalar subquery (an index-only count;
            // `COUNT(*) OVER ()` would make PostgreSQL read every match in
            // full before the first row: 200 ms instead of 30 for an owner
            // with 300,000 tasks).
            let count_inline = long_lists.expects_more(owner);
            let mut select = QueryBuilder::new("SELECT ");
            select.push(TASK_COLUMNS);
            if count_inline {
                select.push(", (SELECT COUNT(*)");
                push_filters(&mut select);
                select.push(")");
            }
            push_filters(&mut select);
            let page_size = query.limit as usize;
            let read = i64::from(query.limit) + i64::from(!count_inline);
            let direction = sort_direction(query.order);
            let (column, nullable) = sort_column(query.sort);
            // Tasks without a due date sort last either way. Only there:
            // on a NOT NULL column, `DESC NULLS LAST` would stop PostgreSQL
            // from reading a page backwards off the `(owner_id, column, id)`
            // index (it would sort every match instead). `id` breaks ties
            // so pages never overlap or skip.
            select
                .push(" ORDER BY ")
                .push(column)
                .push(" ")
                .push(direction)
                .push(if nullable { " NULLS LAST" } else { "" })
                .push(", id ")
                .push(direction)
                .push(" LIMIT ")
                .push_bind(read)
                .push(" OFFSET ")
                .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
            let mut rows = select.build().fetch_all(&mut *conn).await?;
            let counted: Option<i64> = match rows.first() {
                Some(row) if count_inline => Some(row.try_get(TASK_COLUMN_COUNT)?),
                _ => None,
            };
            let ran_past = rows.len() > page_size;
            rows.truncate(page_size);
            let total = match counted {
                Some(total) => total.max(0) as u64,
                // Past the end, or more after the page: the rows cannot
                // tell, so count.
                None if ran_past || (rows.is_empty() && query.offset > 0) => {
                    let mut count = QueryBuilder::new("SELECT COUNT(*)");
                    push_filters(&mut count);
                    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
                    total.max(0) as u64
                }
                None => query.offset + rows.len() as u64,
            };
            long_lists.remember(owner, total > query.offset + page_size as u64);
            Ok::<_, sqlx::Error>(TaskPage { rows: rows.into(), total })
        })?;
        Ok(page)
    }

    /// The owner's time zone; UTC for a gone owner (whose reads answer
    /// [`StoreError::OwnerGone`] anyway).
    pub async fn time_zone_of(&self, owner: Uuid) -> Result<TimeZoneName, StoreError> {
        let sql = "SELECT time_zone FROM users WHERE id = $1";
        let name: Option<String> = with_connection!(self, conn =>
            sqlx::query_scalar(sql).bind(owner).fetch_optional(conn).await)?;
        Ok(name.map_or_else(TimeZoneName::utc, |name| TimeZoneName::stored(&name)))
    }

    /// How many of the owner's open tasks are due before `local` (the
    /// owner's wall-clock time).
    async fn overdue(&self, owner: Uuid, local: NaiveDateTime) -> Result<i64, StoreError> {
        let sql = concat!(
            "SELECT COUNT(*) FROM tasks WHERE owner_id = $1 AND ",
            overdue_condition!()
        );
        Ok(with_connection!(self, conn => sqlx::query_scalar(sql)
            .bind(owner)
            .bind(local.date())
            .bind(local.format("%H:%M").to_string())
            .fetch_one(conn)
            .await)?)
    }

    /// The owner's open tasks due by the end of tomorrow (overdue ones
    /// included), soonest first, at most [`DUE_SOON_MAX`]; a task due
    /// some time on a day comes after those due at a time that day.
    async fn due_soon(&self, owner: Uuid, local: NaiveDateTime) -> Result<Vec<Task>, StoreError> {
        let sql = concat!(
            "SELECT ",
            task_columns!(),
            " FROM tasks WHERE owner_id = $1 AND completed = $2 AND due_date <= $3 \
             ORDER BY due_date, COALESCE(due_time, '24:00'), id LIMIT $4"
        );
        let tomorrow = local.date() + chrono::Duration::days(1);
        let rows = with_connection!(self, conn => sqlx::query(sql)
            .bind(owner)
            .bind(false)
            .bind(tomorrow)
            .bind(DUE_SOON_MAX)
            .fetch_all(conn)
            .await
            .and_then(|rows| rows.iter().map(TaskColumns::task).collect::<Result<Vec<_>, _>>()))?;
        Ok(rows)
    }

    /// Counts in one pass; overdue is relative to now in the owner's time
    /// zone.
    pub async fn stats(&self, owner: Uuid, now: DateTime<Utc>) -> Result<TaskStats, StoreError> {
        let local = self.time_zone_of(owner).await?.local(now);
        let sql = concat!(
            "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN completed THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN ",
            overdue_condition!(),
            " THEN 1 ELSE 0 END), 0) FROM tasks WHERE owner_id = $1"
        );
        let (total, completed, overdue): (i64, i64, i64) = with_connection!(self, conn =>
            sqlx::query_as(sql)
                .bind(owner)
                .bind(local.date())
                .bind(local.format("%H:%M").to_string())
                .fetch_one(conn)
                .await)?;
        let stats = task_stats(total, completed, overdue);
        if total > 0 {
            Ok(stats)
        } else {
            self.unless_owner_gone(owner, stats).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_pattern(r"50%_off\"), r"%50\%\_off\\%");
    }
}
