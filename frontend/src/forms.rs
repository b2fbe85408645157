//! The HTML forms as the browser sends them (every field a string, as
//! typed), and their translation into API requests. Whatever cannot be
//! translated becomes a message next to its field; the typed text is kept
//! so the form can be shown again unchanged.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use todo_api::{NewTask, Priority, TaskPatch};

/// The largest form post accepted. The biggest real form (a task with a
/// 2000-character description, every character percent-encoded UTF-8) is
/// under 30 KiB.
pub const FORM_MAX_BYTES: usize = 64 * 1024;

/// Field name → what is wrong with it (the backend uses the same names).
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub due_date: String,
    /// Comma- or space-separated.
    pub tags: String,
    /// A checkbox: present ("on") when ticked, absent otherwise.
    pub completed: Option<String>,
    /// Where to go afterwards (a task-list URL, see [`safe_back`]).
    pub back: Option<String>,
}

impl TaskForm {
    pub fn new_task(&self) -> Result<NewTask, FieldErrors> {
        let (priority, due_date) = self.checked()?;
        Ok(NewTask {
            title: self.title.trim().to_owned(),
            description: non_empty(&self.description),
            priority,
            due_date,
            tags: self.tag_list(),
            completed: None,
        })
    }

    /// Every field is sent: a blank description or due date clears it.
    pub fn patch(&self) -> Result<TaskPatch, FieldErrors> {
        let (priority, due_date) = self.checked()?;
        Ok(TaskPatch {
            title: Some(self.title.trim().to_owned()),
            description: Some(non_empty(&self.description)),
            completed: Some(self.completed.is_some()),
            priority,
            due_date: Some(due_date),
            tags: Some(self.tag_list()),
        })
    }

    /// The checks both forms share: a title, and a readable priority and
    /// due date (returned parsed).
    fn checked(&self) -> Result<(Option<Priority>, Option<NaiveDate>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let priority = self.priority(&mut errors);
        let due_date = self.due_date(&mut errors);
        if self.title.trim().is_empty() {
            errors.insert("title".into(), "must not be empty".into());
        }
        if errors.is_empty() {
            Ok((priority, due_date))
        } else {
            Err(errors)
        }
    }

    fn priority(&self, errors: &mut FieldErrors) -> Option<Priority> {
        let raw = self.priority.trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse() {
            Ok(priority) => Some(priority),
            Err(problem) => {
                errors.insert("priority".into(), problem);
                None
            }
        }
    }

    fn due_date(&self, errors: &mut FieldErrors) -> Option<NaiveDate> {
        let raw = self.due_date.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                errors.insert("due_date".into(), "must be a date like 2026-12-31".into());
                None
            }
        }
    }

    /// Tags are written as words; case is not significant.
    fn tag_list(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for tag in self
            .tags
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
        {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags
    }
}

fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// The Assistant page's message box.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatForm {
    pub message: String,
    /// Absent starts a new conversation.
    pub conversation_id: Option<String>,
}

/// The small forms on each task row (toggle, delete) and clear-completed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RowForm {
    /// Toggle: the state to set ("true"/"false"), so a double submit is
    /// harmless.
    pub completed: Option<String>,
    pub back: Option<String>,
}

/// Only task-list URLs of this site are followed after a form, so a
/// crafted `back` cannot send the visitor elsewhere.
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(back)
            if back == "/tasks"
                || (back.starts_with("/tasks?") && !back.contains(['\\', '\r', '\n'])) =>
        {
            back.to_owned()
        }
        _ => "/tasks".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, priority: &str, due: &str, tags: &str) -> TaskForm {
        TaskForm {
            title: title.into(),
            priority: priority.into(),
            due_date: due.into(),
            tags: tags.into(),
            ..TaskForm::default()
        }
    }

    #[test]
    fn a_filled_form_becomes_a_new_task() {
        let task = form("  Pay rent ", "high", "2026-01-31", "Home, money  home")
            .new_task()
            .unwrap();
        assert_eq!(task.title, "Pay rent");
        assert_eq!(task.priority, Some(Priority::High));
        assert_eq!(task.due_date, NaiveDate::from_ymd_opt(2026, 1, 31));
        assert_eq!(task.tags, ["home", "money"]);
        assert_eq!(task.description, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = form(" ", "urgent", "31/01/2026", "")
            .new_task()
            .unwrap_err();
        let keys: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["due_date", "priority", "title"]);
    }

    #[test]
    fn an_edit_clears_blank_optional_fields() {
        let patch = form("Keep", "", "", "").patch().unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.due_date, Some(None));
        assert_eq!(patch.tags, Some(vec![]));
        assert_eq!(patch.completed, Some(false));
        assert_eq!(patch.priority, None);
    }

    #[test]
    fn only_task_list_urls_are_followed() {
        assert_eq!(
            safe_back(Some("/tasks?status=active&q=x")),
            "/tasks?status=active&q=x"
        );
        assert_eq!(safe_back(Some("/tasks")), "/tasks");
        for hostile in [
            "//evil.example",
            "https://evil.example/tasks",
            "/tasksevil",
            "/tasks?\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_back(Some(hostile)), "/tasks", "{hostile}");
        }
        assert_eq!(safe_back(None), "/tasks");
    }
}
