//! Domain types that can only hold valid values: handlers parse raw input
//! into these once, and everything past the parser relies on them.

mod fields;
mod task;
mod task_query;
mod user;

pub use fields::{FieldErrors, JsonFields};
pub use task::{Tag, Tags, TaskChanges, TaskDescription, TaskDraft, TaskTitle};
pub use task_query::TaskQuery;
pub use user::{Credentials, Email, Password, Signup, UserName};
