//! Task bodies: the task, new task, patch, list page, stats, query string.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};

wire_enum!(
    /// Task priority; sorts `low < medium < high`; `medium` by default.
    #[derive(Default)]
    Priority { Low => "low", #[default] Medium => "medium", High => "high" }
);

wire_enum!(
    /// `status` filter of the task list.
    StatusFilter { All => "all", Active => "active", Completed => "completed" }
);

wire_enum!(
    /// `sort` key of the task list.
    SortField {
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
        DueDate => "due_date",
        Priority => "priority",
        Title => "title",
    }
);

wire_enum!(
    /// `order` of the task list.
    SortOrder { Asc => "asc", Desc => "desc" }
);

pub use crate::task_fields::Task;

impl Task {
    /// Overdue means: not completed, and due before `now` (wall-clock time
    /// in the owner's zone): on an earlier day, or earlier today when it
    /// has a due time.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        !self.completed
            && self.due_date.is_some_and(|due| {
                due < now.date()
                    || (due == now.date()
                        && self
                            .due_time
                            .as_deref()
                            .is_some_and(|time| time < now.format("%H:%M").to_string().as_str()))
            })
    }

    /// Not completed, and due on `today` (in the owner's zone), whatever
    /// the time.
    pub fn is_due_today(&self, today: NaiveDate) -> bool {
        !self.completed && self.due_date == Some(today)
    }
}

/// Body of `POST /api/tasks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTask {
    /// 1–200 characters after trimming.
    pub title: String,
    /// Up to 2000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Defaults to `medium`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// `HH:MM` in the owner's time zone; needs `due_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    /// An RRULE value, e.g. `FREQ=WEEKLY;BYDAY=MO`; needs `due_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<String>,
    /// Minutes before the due time, up to 5, each 0–40320; need `due_time`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<u32>,
    /// Up to 10 tags, each 1–32 characters of `[a-z0-9-]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Defaults to `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
}

/// Body of `PATCH /api/tasks/{id}`: absent fields stay as they are; `null`
/// clears `description`, `due_date`, `due_time` and `recurrence`.
/// Completing a task that repeats creates its next occurrence; setting
/// `completed` back to `false` removes that occurrence again while it is
/// still open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NaiveDate>))]
    pub due_date: Option<Option<NaiveDate>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub due_time: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub recurrence: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// Tells a present `null` (Some(None)) from an absent field (None).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// One page of `GET /api/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskList {
    pub items: Vec<Task>,
    /// Number of tasks matching the filters, ignoring `limit`/`offset`.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskStats {
    pub total: u64,
    pub active: u64,
    pub completed: u64,
    /// Active tasks due before now in the owner's time zone: on an earlier
    /// day, or earlier today when they have a due time.
    pub overdue: u64,
}

/// `GET /api/tasks/overview`: what the task list page shows, in one call
/// (the caller's account, their counts, and one page of tasks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskOverview {
    pub user: crate::User,
    pub stats: TaskStats,
    /// Open tasks overdue or due by the end of tomorrow in the owner's
    /// zone, soonest first, at most 10.
    #[serde(default)]
    pub due_soon: Vec<Task>,
    pub tasks: TaskList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClearedCompleted {
    pub deleted: u64,
}

/// Query string of `GET /api/tasks`. Every field is optional; the server
/// applies the defaults (`status=all`, `sort=created_at`, `order=desc`,
/// `limit=50`, `offset=0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFilter>,
    /// Case-insensitive search in title and description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only tasks due strictly before this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_before: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
    /// 1–100, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frontend reads an older backend's answers during a rolling
    /// upgrade: what it did not send yet reads as its default.
    #[test]
    fn answers_from_a_server_without_schedules_still_read() {
        let task: Task = serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001", "title": "t", "description": null,
            "completed": false, "priority": "low", "due_date": null, "tags": [],
            "created_at": "2026-12-05T08:35:44Z", "updated_at": "2026-12-05T08:35:44Z",
        }))
        .unwrap();
        assert_eq!(
            (task.due_time, task.reminders, task.next_occurrence_id),
            (None, vec![], None)
        );
        let user: crate::User = serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001", "email": "a@b.c", "name": "A",
            "created_at": "2026-12-05T08:35:44Z",
        }))
        .unwrap();
        assert_eq!(user.time_zone, "UTC");
    }
}
