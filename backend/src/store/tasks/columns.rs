//! A task's columns, from the API's one table of a task's fields
//! (`todo_api::task_fields!`): their list for queries (`task_columns!`),
//! and the one decoder every task read goes through ([`TaskColumns`]).
//!
//! Columns are named after the fields and decoded by position, not by
//! name: a page is 50 rows of nine columns, and a lookup by name hashes
//! the name every time. A field's kind says how it is stored; two kinds
//! are stored differently from how the API holds them: a priority as its
//! rank (so it sorts by urgency), tags as one string of names joined by
//! spaces (read back without a second query).

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use todo_api::{Priority, Task, TaskView};

use crate::domain::StoredTags;

/// A column's value, read with `$get` (`try_get` or `try_get_unchecked`)
/// at `$index`, turned into what `TaskView` holds.
macro_rules! decode_column {
    (priority, $row:expr, $get:ident, $index:expr) => {
        priority_from_rank($row.$get::<i16, _>($index)?)
    };
    (tags, $row:expr, $get:ident, $index:expr) => {
        StoredTags($row.$get($index)?)
    };
    (minutes, $row:expr, $get:ident, $index:expr) => {
        todo_api::MinutesView::Stored($row.$get($index)?)
    };
    ($as_is:ident, $row:expr, $get:ident, $index:expr) => {
        $row.$get($index)?
    };
}

/// `TaskView` from the first columns of a row, in the table's order.
macro_rules! decode_task_view {
    ($row:expr, $get:ident; $($name:ident : $kind:ident),*) => {{
        let row = $row;
        let mut column = 0usize;
        let mut next = || {
            column += 1;
            column - 1
        };
        TaskView {
            $($name: decode_column!($kind, row, $get, next()),)*
        }
    }};
}

/// From the field table: the column list and the decoder for each
/// database's rows.
macro_rules! columns_from_fields {
    ($($(#[$meta:meta])* $name:ident : $owned:ty => $kind:ident),* $(,)?) => {
        /// The columns of a task, as a macro so fixed queries can be built
        /// with `concat!` at compile time.
        macro_rules! task_columns {
            () => {
                concat_columns!($($name),*)
            };
        }

        /// Where a column after a task's starts.
        pub(super) const TASK_COLUMN_COUNT: usize = [$(stringify!($name)),*].len();

        impl TaskColumns for PgRow {
            fn task_view(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
                Ok(decode_task_view!(self, try_get; $($name: $kind),*))
            }

            fn task_view_of_checked_columns(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
                Ok(decode_task_view!(self, try_get_unchecked; $($name: $kind),*))
            }
        }

        impl TaskColumns for SqliteRow {
            fn task_view(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
                Ok(decode_task_view!(self, try_get; $($name: $kind),*))
            }

            fn task_view_of_checked_columns(&self) -> Result<TaskView<'_, StoredTags<'_>>, sqlx::Error> {
                Ok(decode_task_view!(self, try_get_unchecked; $($name: $kind),*))
            }
        }
    };
}

/// `"a, b, c"` from `a, b, c`.
macro_rules! concat_columns {
    ($first:ident $(, $name:ident)*) => {
        concat!(stringify!($first) $(, ", ", stringify!($name))*)
    };
}

todo_api::task_fields!(columns_from_fields);

/// [`task_columns!`] as a string.
pub(in crate::store) const TASK_COLUMNS: &str = task_columns!();

/// A row that starts with the [`task_columns!`]: the one way a task is
/// read from either database.
pub(in crate::store) trait TaskColumns: Row {
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
        self.task_view().map(|view| view.to_task())
    }
}

/// How a priority is stored: its rank, so that it sorts by urgency.
pub(in crate::store) fn priority_rank(priority: Priority) -> i16 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_the_api_fields_in_order() {
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
                "due_time",
                "recurrence",
                "recurrence_summary",
                "reminders",
                "tags",
                "next_occurrence_id",
                "created_at",
                "updated_at"
            ]
        );
        assert_eq!(TASK_COLUMN_COUNT, names.len());
        let task = serde_json::to_value(Task {
            id: uuid::Uuid::nil(),
            title: "t".into(),
            description: None,
            completed: false,
            priority: Priority::Low,
            due_date: None,
            due_time: None,
            recurrence: None,
            recurrence_summary: None,
            reminders: vec![],
            tags: vec![],
            next_occurrence_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        })
        .unwrap();
        let fields: Vec<&str> = task
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted_names = names.clone();
        sorted_names.sort_unstable();
        assert_eq!(fields, sorted_names, "one column per field of a task");
    }

    #[test]
    fn priority_ranks_round_trip_and_order_by_urgency() {
        for p in Priority::ALL {
            assert_eq!(priority_from_rank(priority_rank(*p)), *p);
        }
        assert!(priority_rank(Priority::Low) < priority_rank(Priority::High));
    }
}
