//! Tasks, by concern: `columns` (a task's columns, from the API's one
//! table of its fields, and the one row decoder), `page` (a page of rows
//! as read), `read` (owner-scoped reads; `long_lists` picks how a page is
//! counted), `write` (atomic writes, run to completion) and `occurrences`
//! (what completing a repeating task creates, and undoing it removes),
//! `timestamps` (how a task's timestamps are decoded).

#[macro_use]
mod columns;
mod long_lists;
mod occurrences;
mod page;
mod read;
mod timestamps;
mod write;

pub(super) use columns::{TASK_COLUMNS, TaskColumns, priority_rank};
pub(super) use long_lists::LongLists;
pub use page::TaskPage;
