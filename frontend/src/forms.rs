//! The HTML forms as the browser sends them (every field a string, as
//! typed), and their translation into API requests. Whatever cannot be
//! translated becomes a message next to its field; the typed text is kept
//! so the form can be shown again unchanged.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use todo_api::{NewPersonalToken, NewTask, PasswordChange, Priority, TaskPatch, limits};

/// The largest form post accepted. The biggest real form (a task with a
/// 2000-character description, every character percent-encoded UTF-8) is
/// under 30 KiB.
pub const FORM_MAX_BYTES: usize = 64 * 1024;

/// Field name → what is wrong with it (the backend uses the same names).
pub type FieldErrors = BTreeMap<String, String>;

/// How one form came back: messages next to fields, and one above it
/// for what no field explains (a quota, too many attempts).
#[derive(Debug, Default)]
pub struct FormState {
    pub errors: FieldErrors,
    pub alert: Option<String>,
}

impl FormState {
    pub fn fields(errors: FieldErrors) -> Self {
        FormState {
            errors,
            alert: None,
        }
    }

    pub fn alert(message: String) -> Self {
        FormState {
            errors: FieldErrors::new(),
            alert: Some(message),
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.alert.is_some()
    }
}

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
            ..NewTask::default()
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
            ..TaskPatch::default()
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
    /// Where to go after logging in: only the OAuth authorization page
    /// ([`safe_next`]), never anywhere else.
    #[serde(default)]
    pub next: Option<String>,
}

/// `next` when it is the OAuth authorization page on this site: a login
/// started there returns there; anything else would make the login page
/// an open redirect.
pub fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|next| {
        next.len() <= 8 * 1024
            && next
                .strip_prefix(crate::paths::OAUTH_AUTHORIZE)
                .is_some_and(|rest| rest.starts_with('?'))
    })
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

/// A read-only personal access token's scope, as the backend spells it.
pub const SCOPE_READ_ONLY: &str = "tasks:read";
/// A token that may also change tasks.
pub const SCOPE_READ_WRITE: &str = "tasks:read tasks:write";
/// How long a new token lasts unless the visitor picks otherwise.
pub const TOKEN_EXPIRY_DEFAULT_DAYS: u32 = 30;

/// The Account page's "create a personal access token" form.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    /// [`SCOPE_READ_ONLY`] or [`SCOPE_READ_WRITE`].
    pub scope: String,
    /// Whole days, 1–365.
    pub expires_in_days: String,
}

impl Default for TokenForm {
    /// The safest choice is the one preselected: read only, a month.
    fn default() -> Self {
        TokenForm {
            name: String::new(),
            scope: SCOPE_READ_ONLY.to_owned(),
            expires_in_days: TOKEN_EXPIRY_DEFAULT_DAYS.to_string(),
        }
    }
}

impl TokenForm {
    /// The request, or every field the backend would refuse anyway.
    pub fn request(&self) -> Result<NewPersonalToken, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.insert(
                "name".into(),
                "give the token a name, e.g. the client that will use it".into(),
            );
        }
        let scope = self.scope.trim();
        if scope != SCOPE_READ_ONLY && scope != SCOPE_READ_WRITE {
            errors.insert("scope".into(), "choose read only or read and write".into());
        }
        let days = self
            .expires_in_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|days| (1..=limits::TOKEN_EXPIRY_MAX_DAYS).contains(days));
        if days.is_none() {
            errors.insert(
                "expires_in_days".into(),
                format!(
                    "must be a whole number of days from 1 to {}",
                    limits::TOKEN_EXPIRY_MAX_DAYS
                ),
            );
        }
        match days {
            Some(expires_in_days) if errors.is_empty() => Ok(NewPersonalToken {
                name: name.to_owned(),
                scope: scope.to_owned(),
                expires_in_days,
            }),
            _ => Err(errors),
        }
    }
}

/// The Account page's "change password" form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
    /// The new password typed again; only the frontend looks at it.
    pub confirm_password: String,
}

impl PasswordForm {
    /// The request; the backend checks the current password and the new
    /// one's rules, the frontend that both copies of the new one agree.
    pub fn change(&self) -> Result<PasswordChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.current_password.is_empty() {
            errors.insert(
                "current_password".into(),
                "enter your current password".into(),
            );
        }
        if self.new_password.is_empty() {
            errors.insert("new_password".into(), "enter a new password".into());
        } else if self.confirm_password != self.new_password {
            errors.insert(
                "confirm_password".into(),
                "does not match the new password; type it again".into(),
            );
        }
        if errors.is_empty() {
            Ok(PasswordChange {
                current_password: self.current_password.clone(),
                new_password: self.new_password.clone(),
            })
        } else {
            Err(errors)
        }
    }
}

/// The Account page's "delete account" form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeletionForm {
    pub password: String,
    /// A checkbox: present ("on") when ticked.
    pub confirm: Option<String>,
}

impl DeletionForm {
    /// The password to confirm with, once the visitor has ticked the box.
    pub fn password(&self) -> Result<&str, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.password.is_empty() {
            errors.insert("password".into(), "enter your password".into());
        }
        if self.confirm.is_none() {
            errors.insert(
                "confirm".into(),
                "tick the box to confirm that everything is to be deleted".into(),
            );
        }
        if errors.is_empty() {
            Ok(&self.password)
        } else {
            Err(errors)
        }
    }
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
    fn a_token_form_becomes_a_request_or_names_every_bad_field() {
        let form = TokenForm {
            name: "  MCP on my laptop ".into(),
            ..TokenForm::default()
        };
        let request = form.request().unwrap();
        assert_eq!(request.name, "MCP on my laptop");
        assert_eq!(request.scope, SCOPE_READ_ONLY);
        assert_eq!(request.expires_in_days, TOKEN_EXPIRY_DEFAULT_DAYS);
        let bad = TokenForm {
            name: " ".into(),
            scope: "tasks:write".into(),
            expires_in_days: "366".into(),
        };
        let errors = bad.request().unwrap_err();
        let keys: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["expires_in_days", "name", "scope"]);
        for days in ["0", "-1", "soon", ""] {
            let form = TokenForm {
                name: "x".into(),
                expires_in_days: days.into(),
                ..TokenForm::default()
            };
            assert!(form.request().is_err(), "{days:?}");
        }
    }

    #[test]
    fn a_password_change_needs_both_copies_of_the_new_password_to_agree() {
        let form = PasswordForm {
            current_password: "old one".into(),
            new_password: "new password".into(),
            confirm_password: "new pasword".into(),
        };
        let errors = form.change().unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["confirm_password"]);
        let form = PasswordForm {
            confirm_password: "new password".into(),
            ..form
        };
        let change = form.change().unwrap();
        assert_eq!(change.new_password, "new password");
        assert_eq!(change.current_password, "old one");
        let errors = PasswordForm::default().change().unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["current_password", "new_password"]
        );
    }

    #[test]
    fn deleting_the_account_needs_the_password_and_the_box_ticked() {
        let unticked = DeletionForm {
            password: "secret".into(),
            confirm: None,
        };
        assert_eq!(
            unticked.password().unwrap_err().keys().collect::<Vec<_>>(),
            ["confirm"]
        );
        let ticked = DeletionForm {
            confirm: Some("on".into()),
            ..unticked
        };
        assert_eq!(ticked.password(), Ok("secret"));
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
