//! Task rows: writes (atomic, run to completion) and owner-scoped reads.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row};
use todo_api::{
    Priority, SortField, SortOrder, StatusFilter, Task, TaskList, TaskOverview, TaskStats,
    TaskView, User,
};
use uuid::Uuid;

use super::{
    BeginWrite, Dialect, Pool, Store, StoreError, now, on_postgres, owner_gone_or, with_connection,
};
use crate::domain::{StoredTags, TaskChanges, TaskDraft, TaskQuery};

/// Decodes the task in the columns `0..9` of a row, in [`task_columns!`]
/// order, borrowing its text from the row, with `$get` (`try_get`, or
/// `try_get_unchecked` for a row whose statement's column types were
/// already checked). By position, not by name: a page is 50 rows of nine
/// columns, and a lookup by name hashes the name every time.
macro_rules! decode_task_view {
    ($row:expr, $get:ident) => {{
        let row = $row;
        TaskView {
            id: row.$get(0)?,
            title: row.$get(1)?,
            description: row.$get(2)?,
            completed: row.$get(3)?,
            priority: priority_from_rank(row.$get(4)?),
            due_date: row.$get(5)?,
            tags: StoredTags(row.$get(6)?),
            created_at: row.$get(7)?,
            updated_at: row.$get(8)?,
        }
    }};
}

/// A row that starts with the [`task_columns!`]: the one way a task is
/// read from either database.
trait TaskColumns: Row {
    /// The task, each column's type checked against the Rust type it
    /// decodes to.
    fn task_view(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error>;

    /// The task, for a row of a statement whose column types
    /// [`TaskColumns::task_view`] already accepted on another row: every
    /// row of one result shares its columns, so a page checks them once,
    /// not once per row (the check clones and compares each column's type
    /// description, a tenth of decoding a page).
    fn task_view_of_checked_columns(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error>;

    fn task(&self) -> Result<Task, sqlx::Error> {
        self.task_view().map(owned_task)
    }
}

impl TaskColumns for PgRow {
    fn task_view(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
        Ok(decode_task_view!(self, try_get))
    }

    fn task_view_of_checked_columns(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
        Ok(decode_task_view!(self, try_get_unchecked))
    }
}

impl TaskColumns for SqliteRow {
    fn task_view(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
        Ok(decode_task_view!(self, try_get))
    }

    fn task_view_of_checked_columns(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
        Ok(decode_task_view!(self, try_get_unchecked))
    }
}

fn owned_task(view: TaskView<'_, StoredTags<'_>>) -> Task {
    Task {
        id: view.id,
        title: view.title.to_owned(),
        description: view.description.map(str::to_owned),
        completed: view.completed,
        priority: view.priority,
        due_date: view.due_date,
        tags: view.tags.iter().map(str::to_owned).collect(),
        created_at: view.created_at,
        updated_at: view.updated_at,
    }
}

/// One page of the owner's tasks as read: the rows, undecoded, and how
/// many tasks match in all. [`TaskPage::tasks`] borrows each task from its
/// row, so writing a page out copies no text on the way.
#[derive(Debug)]
pub struct TaskPage {
    rows: PageRows,
    total: u64,
}

#[derive(Debug)]
enum PageRows {
    Postgres(Vec<PgRow>),
    Sqlite(Vec<SqliteRow>),
}

impl From<Vec<PgRow>> for PageRows {
    fn from(rows: Vec<PgRow>) -> Self {
        Self::Postgres(rows)
    }
}

impl From<Vec<SqliteRow>> for PageRows {
    fn from(rows: Vec<SqliteRow>) -> Self {
        Self::Sqlite(rows)
    }
}

impl TaskPage {
    /// How many tasks match the query, beyond this page too.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn len(&self) -> usize {
        match &self.rows {
            PageRows::Postgres(rows) => rows.len(),
            PageRows::Sqlite(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The page's tasks in order; one that fails to decode is an error.
    /// The first row's column types are checked; the rest share them.
    pub fn tasks(&self) -> impl Iterator<Item = Result<TaskView<'_, StoredTags<'_>>, StoreError>> {
        fn decode<R: TaskColumns>(
            rows: &[R],
            index: usize,
        ) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
            if index == 0 {
                rows[index].task_view()
            } else {
                rows[index].task_view_of_checked_columns()
            }
        }
        (0..self.len()).map(|index| {
            let view = match &self.rows {
                PageRows::Postgres(rows) => decode(rows, index),
                PageRows::Sqlite(rows) => decode(rows, index),
            };
            view.map_err(StoreError::from)
        })
    }

    fn into_tasks(self) -> Result<Vec<Task>, StoreError> {
        self.tasks().map(|view| view.map(owned_task)).collect()
    }
}

/// The columns of a task, as a macro so fixed queries can be built
/// with `concat!` at compile time.
macro_rules! task_columns {
    () => {
        "id, title, description, completed, priority, due_date, tags, created_at, updated_at"
    };
}
const TASK_COLUMNS: &str = task_columns!();
/// Where a column after a task's starts.
const TASK_COLUMN_COUNT: usize = 9;

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

/// The account and its counts, as [`Store::overview`] reads them.
#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    email: String,
    name: String,
    created_at: DateTime<Utc>,
    total: i64,
    completed: i64,
    overdue: i64,
}

impl AccountRow {
    fn into_parts(self) -> (User, TaskStats) {
        let stats = task_stats(self.total, self.completed, self.overdue);
        let user = User {
            id: self.id,
            email: self.email,
            name: self.name,
            created_at: self.created_at,
        };
        (user, stats)
    }
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
async fn insert_sqlite_tags(
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

impl Store {
    /// One statement on PostgreSQL (the task and its tags through a
    /// data-modifying CTE); one transaction on SQLite, where a round trip
    /// is a function call.
    pub async fn insert_task(&self, owner: Uuid, draft: &TaskDraft) -> Result<Task, StoreError> {
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
        let joined = draft.tags.joined();
        self.uncancelled(move |store| async move {
            // The row's ten values, bound the same way for either database.
            macro_rules! insert {
                ($sql:expr $(,)?) => {
                    sqlx::query($sql)
                        .bind(task.id)
                        .bind(owner)
                        .bind(&task.title)
                        .bind(&task.description)
                        .bind(task.completed)
                        .bind(priority_rank(task.priority))
                        .bind(task.due_date)
                        .bind(&joined)
                        .bind(task.created_at)
                        .bind(task.updated_at)
                };
            }
            match &store.pool {
                Pool::Postgres(pool) => {
                    on_postgres!(Write, pool, conn => insert!(
                        "WITH task AS (INSERT INTO tasks (id, owner_id, title, description, \
                         completed, priority, due_date, tags, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id) \
                         INSERT INTO task_tags (task_id, owner_id, tag) \
                         SELECT task.id, $2, tag FROM task, unnest($11::text[]) AS tag",
                    )
                    .bind(&task.tags)
                    .execute(conn)
                    .await
                    .map_err(owner_gone_or))?;
                }
                Pool::Sqlite(pool) => {
                    let _turn = store.write_turn().await;
                    let mut conn = pool.acquire().await?;
                    let mut tx = conn.begin_write().await?;
                    insert!(
                        "INSERT INTO tasks (id, owner_id, title, description, completed, \
                         priority, due_date, tags, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .execute(&mut *tx)
                    .await
                    .map_err(owner_gone_or)?;
                    insert_sqlite_tags(&mut tx, task.id, owner, &task.tags).await?;
                    tx.commit().await?;
                }
            }
            Ok(task)
        })
        .await
    }

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
    /// (one query, which also tells a gone owner), and one page of tasks,
    /// the two queries running side by side.
    pub async fn overview(
        &self,
        owner: Uuid,
        query: &TaskQuery,
        today: NaiveDate,
    ) -> Result<TaskOverview, StoreError> {
        let account = "SELECT u.id, u.email, u.name, u.created_at, COUNT(t.id) AS total, \
                       COALESCE(SUM(CASE WHEN t.completed THEN 1 ELSE 0 END), 0) AS completed, \
                       COALESCE(SUM(CASE WHEN NOT t.completed AND t.due_date < $2 THEN 1 ELSE 0 END), 0) AS overdue \
                       FROM users u LEFT JOIN tasks t ON t.owner_id = u.id \
                       WHERE u.id = $1 GROUP BY u.id, u.email, u.name, u.created_at";
        let account = async {
            let row: Option<AccountRow> = with_connection!(self, conn =>
                sqlx::query_as(account).bind(owner).bind(today).fetch_optional(conn).await)?;
            row.ok_or(StoreError::OwnerGone)
        };
        let (account, page) = tokio::try_join!(account, self.page_of_tasks(owner, query))?;
        let (user, stats) = account.into_parts();
        Ok(TaskOverview {
            user,
            stats,
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

    /// Applies `changes` atomically with no read-modify-write race: one
    /// statement on PostgreSQL (the row and its tags through a CTE), one
    /// transaction on SQLite. [`StoreError::OwnerGone`] when the owner has
    /// gone; `None` when the owner has no such task.
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
        let updated = self
            .uncancelled(move |store| async move {
                let tags: Option<Vec<String>> = changes
                    .tags
                    .as_ref()
                    .map(|tags| tags.iter().map(|t| t.as_str().to_owned()).collect());
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
                        let row = statement.build().fetch_optional(conn).await?;
                        Ok::<_, StoreError>(row.as_ref().map(TaskColumns::task).transpose()?)
                    }),
                    Pool::Sqlite(pool) => {
                        let _turn = store.write_turn().await;
                        let mut conn = pool.acquire().await?;
                        let mut tx = conn.begin_write().await?;
                        let mut update = QueryBuilder::new("");
                        push_update!(update, &changes, id, owner);
                        let row = update.build().fetch_optional(&mut *tx).await?;
                        let task = row.as_ref().map(TaskColumns::task).transpose()?;
                        if let (Some(_), Some(tags)) = (&task, tags) {
                            sqlx::query("DELETE FROM task_tags WHERE task_id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                            insert_sqlite_tags(&mut tx, id, owner, &tags).await?;
                        }
                        tx.commit().await?;
                        Ok(task)
                    }
                }
            })
            .await?;
        match updated {
            Some(task) => Ok(Some(task)),
            None => self.unless_owner_gone(owner, None).await,
        }
    }

    /// `false` when the owner has no such task (the tags go with it).
    pub async fn delete_task(&self, owner: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let deleted = self
            .uncancelled(move |store| async move {
                let sql = "DELETE FROM tasks WHERE id = $1 AND owner_id = $2";
                let _turn = store.write_turn().await;
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(id)
                    .bind(owner)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            })
            .await?;
        if deleted > 0 {
            Ok(true)
        } else {
            self.unless_owner_gone(owner, false).await
        }
    }

    pub async fn clear_completed(&self, owner: Uuid) -> Result<u64, StoreError> {
        let deleted = self
            .uncancelled(move |store| async move {
                let sql = "DELETE FROM tasks WHERE owner_id = $1 AND completed = $2";
                let _turn = store.write_turn().await;
                Ok(with_connection!(write store, conn => sqlx::query(sql)
                    .bind(owner)
                    .bind(true)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?)
            })
            .await?;
        if deleted > 0 {
            Ok(deleted)
        } else {
            self.unless_owner_gone(owner, 0).await
        }
    }

    /// Counts in one pass; overdue is relative to `today` (UTC).
    pub async fn stats(&self, owner: Uuid, today: NaiveDate) -> Result<TaskStats, StoreError> {
        let sql = "SELECT COUNT(*), \
                   COALESCE(SUM(CASE WHEN completed THEN 1 ELSE 0 END), 0), \
                   COALESCE(SUM(CASE WHEN NOT completed AND due_date < $2 THEN 1 ELSE 0 END), 0) \
                   FROM tasks WHERE owner_id = $1";
        let (total, completed, overdue): (i64, i64, i64) = with_connection!(self, conn =>
            sqlx::query_as(sql).bind(owner).bind(today).fetch_one(conn).await)?;
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
    fn the_task_columns_are_the_ones_decoded_by_position() {
        let names: Vec<&str> = TASK_COLUMNS.split(", ").collect();
        assert_eq!(
            names,
            [
                "id",
                "title",
                "description",
                "completed",
                "priority",
                "due_date",
                "tags",
                "created_at",
                "updated_at"
            ],
            "decode_task_view! reads them in this order"
        );
    }

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

    /// Two rows whose `priority` is text: a checked read refuses it, an
    /// unchecked one reads the number SQLite converts it to. So the page
    /// must refuse its first row, and the second (not checked again) must
    /// decode.
    #[tokio::test]
    async fn a_page_checks_its_column_types_on_its_first_row() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        macro_rules! row {
            () => {
                "SELECT X'000102030405060708090a0b0c0d0e0f' AS id, 'title' AS title, \
                 NULL AS description, 0 AS completed, '2' AS priority, NULL AS due_date, \
                 'a b' AS tags, '2026-12-05T08:35:44Z' AS created_at, \
                 '2026-12-05T08:35:44Z' AS updated_at"
            };
        }
        let rows: Vec<SqliteRow> = sqlx::query(concat!(row!(), " UNION ALL ", row!()))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let page = TaskPage {
            rows: rows.into(),
            total: 2,
        };
        let mut tasks = page.tasks();
        let first = tasks.next().expect("a first row");
        assert!(
            matches!(&first, Err(StoreError::Database(sqlx::Error::ColumnDecode { index, .. })) if index.contains('4')),
            "the first row's text priority is refused: {first:?}"
        );
        let second = tasks
            .next()
            .expect("a second row")
            .expect("decodes unchecked");
        assert_eq!(second.priority, Priority::High);
        assert_eq!(second.tags.iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
