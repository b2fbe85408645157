//! A task's columns, from the API's one table of a task's fields
//! (`todo_api::task_fields!`): their list for queries (`task_columns!`),
//! and the one decoder every task read goes through ([`TaskColumns`]).
//!
//! Columns are named after the fields and decoded by position, not by
//! name: a page is 50 rows of eleven columns, and a lookup by name hashes
//! the name every time. A field's kind says how it is stored; two kinds
//! are stored differently from how the API holds them: a priority as its
//! rank (so it sorts by urgency), tags as one string of names joined by
//! spaces (read back without a second query).
//!
//! The schedule (due time, reminders, repeat rule and its summary) is
//! four columns of the table but is read as one, `schedule`: a generated
//! column (`migrations/*/20261211000001_schedule_column.sql`), NULL for a
//! task without a schedule, the common case, and otherwise the fields
//! joined by `|`, summary last (a repeat rule, a time and minutes never
//! hold a `|`, and a summary is only split off at the third). Each
//! column value read costs sqlx-sqlite an allocation and a free, even a
//! NULL: four NULLs per row made the SQLite list about a fifth dearer.
//! PostgreSQL stores the column, so a page does not evaluate an
//! expression per row (`docs/benchmarks.md`).

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use todo_api::{Priority, Task, TaskView};

use super::timestamps::StoredTimestamp;
use crate::domain::StoredTags;

/// One column's SQL, preceded by `", "`, or nothing for the schedule's
/// fields after the first: they share `due_time`'s column.
macro_rules! column_after_first {
    (due_time) => {
        ", schedule"
    };
    (recurrence) => {
        ""
    };
    (recurrence_summary) => {
        ""
    };
    (reminders) => {
        ""
    };
    ($name:ident) => {
        concat!(", ", stringify!($name))
    };
}

/// How many columns a field takes: the schedule's fields after the
/// first take none.
macro_rules! columns_of_field {
    (recurrence) => {
        0
    };
    (recurrence_summary) => {
        0
    };
    (reminders) => {
        0
    };
    ($name:ident) => {
        1
    };
}

/// A column's value, read with `$get` (`try_get` or `try_get_unchecked`)
/// at `$index`, turned into what `TaskView` holds.
macro_rules! decode_column {
    (priority, $row:expr, $get:ident, $index:expr) => {
        priority_from_rank($row.$get::<i16, _>($index)?)
    };
    (tags, $row:expr, $get:ident, $index:expr) => {
        StoredTags($row.$get($index)?)
    };
    (timestamp, $row:expr, $get:ident, $index:expr) => {
        $row.$get::<StoredTimestamp, _>($index)?.0
    };
    ($as_is:ident, $row:expr, $get:ident, $index:expr) => {
        $row.$get($index)?
    };
}

/// A field's value: the schedule's fields from the schedule column (read
/// at `due_time`, the first of them), the others from their own column.
macro_rules! decode_field {
    (due_time, $kind:ident, $schedule:ident, $row:expr, $get:ident, $next:expr) => {{
        $schedule = Schedule::parse($row.$get($next)?);
        $schedule.due_time
    }};
    (recurrence, $kind:ident, $schedule:ident, $row:expr, $get:ident, $next:expr) => {
        $schedule.recurrence
    };
    (recurrence_summary, $kind:ident, $schedule:ident, $row:expr, $get:ident, $next:expr) => {
        $schedule.recurrence_summary
    };
    (reminders, $kind:ident, $schedule:ident, $row:expr, $get:ident, $next:expr) => {
        todo_api::MinutesView::Stored($schedule.reminders)
    };
    ($name:ident, $kind:ident, $schedule:ident, $row:expr, $get:ident, $next:expr) => {
        decode_column!($kind, $row, $get, $next)
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
        let schedule: Schedule<'_>;
        $(let $name = decode_field!($name, $kind, schedule, row, $get, next());)*
        TaskView { $($name),* }
    }};
}

/// The schedule column's parts, borrowed from the row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Schedule<'a> {
    due_time: Option<&'a str>,
    reminders: &'a str,
    recurrence: Option<&'a str>,
    recurrence_summary: Option<&'a str>,
}

impl<'a> Schedule<'a> {
    fn parse(column: Option<&'a str>) -> Self {
        let Some(column) = column else {
            return Self::default();
        };
        let mut parts = column.splitn(4, '|');
        let mut part = || parts.next().unwrap_or_default();
        let some = |part: &'a str| (!part.is_empty()).then_some(part);
        Self {
            due_time: some(part()),
            reminders: part(),
            recurrence: some(part()),
            recurrence_summary: some(part()),
        }
    }
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
        pub(super) const TASK_COLUMN_COUNT: usize = 0 $(+ columns_of_field!($name))*;

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

/// `"a, b, c"` from `a, b, c`, the schedule's fields as one column.
macro_rules! concat_columns {
    ($first:ident $(, $name:ident)*) => {
        concat!(stringify!($first) $(, column_after_first!($name))*)
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

    /// The schedule column's definitions, one per dialect.
    const SCHEDULE_MIGRATIONS: [&str; 2] = [
        include_str!("../../../migrations/postgres/20261211000001_schedule_column.sql"),
        include_str!("../../../migrations/sqlite/20261211000001_schedule_column.sql"),
    ];

    /// Both dialects compute the column with the same expression, so the
    /// SQLite test below speaks for PostgreSQL's too (and the contract
    /// suite reads schedules back on both).
    #[test]
    fn the_dialects_define_the_schedule_column_alike() {
        let expression = |migration: &'static str| {
            let start = migration
                .find("GENERATED ALWAYS AS")
                .expect("a generated column");
            let end = migration.rfind(')').expect("its expression closes");
            migration[start..end].split_whitespace().collect::<Vec<_>>()
        };
        assert_eq!(
            expression(SCHEDULE_MIGRATIONS[0]),
            expression(SCHEDULE_MIGRATIONS[1])
        );
    }

    #[test]
    fn the_columns_are_the_api_fields_in_order_the_schedule_as_one() {
        let names = [
            "id",
            "title",
            "description",
            "completed",
            "priority",
            "due_date",
            "schedule",
            "tags",
            "next_occurrence_id",
            "created_at",
            "updated_at",
        ];
        assert_eq!(TASK_COLUMNS, names.join(", "));
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
        let mut fields: Vec<&str> = task
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let schedule = ["due_time", "recurrence", "recurrence_summary", "reminders"];
        for migration in SCHEDULE_MIGRATIONS {
            for field in schedule {
                assert!(migration.contains(field), "{field} is in the schedule");
            }
        }
        fields.retain(|field| !schedule.contains(field));
        let mut sorted_names: Vec<&str> = names
            .iter()
            .copied()
            .filter(|name| *name != "schedule")
            .collect();
        sorted_names.sort_unstable();
        assert_eq!(fields, sorted_names, "one column per field of a task");
    }

    #[test]
    fn a_schedule_is_split_into_its_fields() {
        assert_eq!(Schedule::parse(None), Schedule::default());
        assert_eq!(
            Schedule::parse(Some("09:30|0 60|FREQ=WEEKLY;BYDAY=MO|every Monday")),
            Schedule {
                due_time: Some("09:30"),
                reminders: "0 60",
                recurrence: Some("FREQ=WEEKLY;BYDAY=MO"),
                recurrence_summary: Some("every Monday"),
            }
        );
        assert_eq!(
            Schedule::parse(Some("||FREQ=DAILY|every day")),
            Schedule {
                due_time: None,
                reminders: "",
                recurrence: Some("FREQ=DAILY"),
                recurrence_summary: Some("every day"),
            }
        );
        assert_eq!(
            Schedule::parse(Some("07:00|||")),
            Schedule {
                due_time: Some("07:00"),
                ..Schedule::default()
            }
        );
    }

    /// The schedule column as SQLite computes it on the migrated table,
    /// read back; and the constraint that lets it skip `reminders`.
    #[tokio::test]
    async fn sqlite_computes_the_schedule_column_as_it_is_read() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        crate::store::SQLITE_MIGRATIONS
            .run(&mut conn)
            .await
            .unwrap();
        // Tasks without their owner: only the CHECK constraints matter here.
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut conn)
            .await
            .unwrap();
        let insert = |n: u8,
                      due_time: Option<&'static str>,
                      reminders: &'static str,
                      recurrence: Option<&'static str>| {
            sqlx::query(
                "INSERT INTO tasks (id, owner_id, title, priority, due_date, due_time, reminders, \
                 recurrence, recurrence_summary, created_at, updated_at) \
                 VALUES (?, X'00', 't', 0, '2026-12-07', ?, ?, ?, ?, ?, ?)",
            )
            .bind(vec![n])
            .bind(due_time)
            .bind(reminders)
            .bind(recurrence)
            .bind(recurrence.map(|_| "every year"))
            .bind(format!("2026-12-07T00:00:0{n}Z"))
            .bind("2026-12-07T00:00:00Z")
        };
        for (n, due_time, reminders, recurrence) in [
            (1, None, "", None),
            (2, Some("08:15"), "5", None),
            (3, None, "", Some("FREQ=YEARLY")),
        ] {
            insert(n, due_time, reminders, recurrence)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let refused = insert(4, None, "5", None).execute(&mut conn).await;
        assert!(
            matches!(&refused, Err(sqlx::Error::Database(e)) if e.message().contains("tasks_reminders_need_due_time")),
            "reminders without a due time are refused, so no schedule is two NULL tests: {refused:?}"
        );
        let columns: Vec<Option<String>> =
            sqlx::query_scalar("SELECT schedule FROM tasks ORDER BY created_at")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let schedules: Vec<Schedule<'_>> = columns
            .iter()
            .map(|column| Schedule::parse(column.as_deref()))
            .collect();
        assert_eq!(
            schedules,
            [
                Schedule::default(),
                Schedule {
                    due_time: Some("08:15"),
                    reminders: "5",
                    ..Schedule::default()
                },
                Schedule {
                    recurrence: Some("FREQ=YEARLY"),
                    recurrence_summary: Some("every year"),
                    ..Schedule::default()
                },
            ]
        );
    }

    #[test]
    fn priority_ranks_round_trip_and_order_by_urgency() {
        for p in Priority::ALL {
            assert_eq!(priority_from_rank(priority_rank(*p)), *p);
        }
        assert!(priority_rank(Priority::Low) < priority_rank(Priority::High));
    }
}
