//! A page of tasks as read: the rows, undecoded, for the list route to
//! write out, each task borrowed from its row.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use todo_api::{Task, TaskView};

use super::columns::TaskColumns;
use crate::domain::StoredTags;
use crate::store::StoreError;

/// One page of the owner's tasks as read: the rows, undecoded, and how
/// many tasks match in all. [`TaskPage::tasks`] borrows each task from its
/// row, so writing a page out copies no text on the way.
#[derive(Debug)]
pub struct TaskPage {
    pub(super) rows: PageRows,
    pub(super) total: u64,
}

#[derive(Debug)]
pub(super) enum PageRows {
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

    pub(super) fn into_tasks(self) -> Result<Vec<Task>, StoreError> {
        self.tasks()
            .map(|view| view.map(|view| view.to_task()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use todo_api::Priority;

    use super::*;

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
                 NULL AS schedule, 'a b' AS tags, NULL AS next_occurrence_id, \
                 '2026-12-05T08:35:44Z' AS created_at, \
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
