//! The HTML forms as the browser sends them (every field a string, as
//! typed), and their translation into API requests. Whatever cannot be
//! translated becomes a message next to its field; the typed text is kept
//! so the form can be shown again unchanged.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use todo_api::{
    NewPersonalToken, NewTask, PasswordChange, Priority, ProfileChange, TaskPatch, limits,
};

use crate::schedule::{self, CUSTOM_REPEAT};

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

/// The add and edit forms of a task. Read from the post's pairs in order
/// (`reminders` is a group of checkboxes, so it may come several times,
/// which a plain struct cannot take); names it does not know are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub due_date: String,
    /// `HH:MM`, as `<input type="time">` sends it.
    pub due_time: String,
    /// A key of [`schedule::REPEATS`], [`CUSTOM_REPEAT`], or blank: does
    /// not repeat.
    pub recurrence: String,
    /// With [`CUSTOM_REPEAT`]: the rule kept as it is (the task's own,
    /// which no choice builds).
    pub custom_recurrence: String,
    /// The kept rule in words, from the task itself: never read from a
    /// post.
    pub custom_summary: Option<String>,
    /// Minutes before the due time, one per ticked box.
    pub reminders: Vec<String>,
    /// Comma- or space-separated.
    pub tags: String,
    /// A checkbox: present ("on") when ticked, absent otherwise.
    pub completed: Option<String>,
    /// Where to go afterwards (a task-list URL, see [`safe_back`]).
    pub back: Option<String>,
}

impl From<Vec<(String, String)>> for TaskForm {
    fn from(pairs: Vec<(String, String)>) -> Self {
        let mut form = TaskForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "title" => form.title = value,
                "description" => form.description = value,
                "priority" => form.priority = value,
                "due_date" => form.due_date = value,
                "due_time" => form.due_time = value,
                "recurrence" => form.recurrence = value,
                "custom_recurrence" => form.custom_recurrence = value,
                "reminders" => form.reminders.push(value),
                "tags" => form.tags = value,
                "completed" => form.completed = Some(value),
                "back" => form.back = Some(value),
                _ => {}
            }
        }
        form
    }
}

/// The fields of a task form once read: what both requests are made of.
#[derive(Debug)]
struct Checked {
    priority: Option<Priority>,
    due_date: Option<NaiveDate>,
    due_time: Option<String>,
    recurrence: Option<String>,
    reminders: Vec<u32>,
}

impl TaskForm {
    pub fn new_task(&self) -> Result<NewTask, FieldErrors> {
        let checked = self.checked()?;
        Ok(NewTask {
            title: self.title.trim().to_owned(),
            description: non_empty(&self.description),
            priority: checked.priority,
            due_date: checked.due_date,
            due_time: checked.due_time,
            recurrence: checked.recurrence,
            reminders: checked.reminders,
            tags: self.tag_list(),
            completed: None,
        })
    }

    /// Every field is sent: a blank description, due date, time or repeat
    /// clears it, and no ticked reminder clears the reminders.
    pub fn patch(&self) -> Result<TaskPatch, FieldErrors> {
        let checked = self.checked()?;
        Ok(TaskPatch {
            title: Some(self.title.trim().to_owned()),
            description: Some(non_empty(&self.description)),
            completed: Some(self.completed.is_some()),
            priority: checked.priority,
            due_date: Some(checked.due_date),
            due_time: Some(checked.due_time),
            recurrence: Some(checked.recurrence),
            reminders: Some(checked.reminders),
            tags: Some(self.tag_list()),
        })
    }

    /// The checks both forms share: a title, readable values, and what
    /// the fields need of each other (a time, a repeat need a date;
    /// reminders a time), said in the form's words before the backend
    /// says it in the API's. The backend judges the rest.
    fn checked(&self) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::new();
        let priority = self.priority(&mut errors);
        let due_date = self.due_date(&mut errors);
        let due_time = self.due_time(&mut errors);
        let reminders = self.reminder_minutes(&mut errors);
        if self.title.trim().is_empty() {
            errors.insert("title".into(), "must not be empty".into());
        }
        let date_given = due_date.is_some() || errors.contains_key("due_date");
        let time_given = due_time.is_some() || errors.contains_key("due_time");
        if due_time.is_some() && !date_given {
            errors.insert(
                "due_time".into(),
                "needs a due date: choose the day as well".into(),
            );
        }
        let recurrence = self.recurrence(due_date, date_given, &mut errors);
        if !reminders.is_empty() && !time_given {
            errors.insert(
                "reminders".into(),
                "need a due time: reminders count back from it".into(),
            );
        }
        if errors.is_empty() {
            Ok(Checked {
                priority,
                due_date,
                due_time,
                recurrence,
                reminders,
            })
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

    /// `HH:MM`; seconds, which a browser adds only when asked to with
    /// `step`, are dropped (the backend keeps minutes).
    fn due_time(&self, errors: &mut FieldErrors) -> Option<String> {
        let raw = self.due_time.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveTime::parse_from_str(raw, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M:%S"))
        {
            Ok(time) => Some(time.format("%H:%M").to_string()),
            Err(_) => {
                errors.insert(
                    "due_time".into(),
                    "must be a time like 14:30 (24-hour clock)".into(),
                );
                None
            }
        }
    }

    /// The canonical rule of the chosen repeat, built from the due date.
    fn recurrence(
        &self,
        due_date: Option<NaiveDate>,
        date_given: bool,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        let key = self.recurrence.trim();
        if key.is_empty() {
            return None;
        }
        let custom = self.custom_recurrence.trim();
        let known = (key == CUSTOM_REPEAT && !custom.is_empty()) || schedule::repeat(key).is_some();
        if !known {
            errors.insert(
                "recurrence".into(),
                "choose one of the listed repeats".into(),
            );
            return None;
        }
        let Some(due) = due_date else {
            if !date_given {
                errors.insert(
                    "recurrence".into(),
                    "needs a due date: a task repeats from it".into(),
                );
            }
            return None;
        };
        match schedule::repeat(key) {
            Some(repeat) => Some(repeat.rule(due)),
            None => Some(custom.to_owned()),
        }
    }

    /// Ticked reminders, each minutes before the due time; distinct and
    /// ascending, as the backend keeps them.
    fn reminder_minutes(&self, errors: &mut FieldErrors) -> Vec<u32> {
        let mut minutes = Vec::new();
        for raw in &self.reminders {
            match raw.trim().parse::<u32>() {
                Ok(lead) => minutes.push(lead),
                Err(_) => {
                    errors.insert(
                        "reminders".into(),
                        "must be whole minutes before the due time".into(),
                    );
                    return Vec::new();
                }
            }
        }
        minutes.sort_unstable();
        minutes.dedup();
        minutes
    }

    /// The ticked reminders as numbers, for ticking the boxes again;
    /// unreadable ones are left out (their message says why).
    pub fn reminder_values(&self) -> Vec<u32> {
        self.reminders
            .iter()
            .filter_map(|raw| raw.trim().parse().ok())
            .collect()
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
    /// The browser's IANA time zone, filled in by a script
    /// (`static/timezone.js`); blank without JavaScript.
    pub time_zone: String,
}

impl SignupForm {
    /// The time zone to sign up with: the browser's, passed on as it came
    /// (the backend knows which names it accepts); none when blank or
    /// longer than any name.
    pub fn time_zone(&self) -> Option<String> {
        let zone = self.time_zone.trim();
        (!zone.is_empty() && zone.chars().count() <= limits::TIME_ZONE_MAX_CHARS)
            .then(|| zone.to_owned())
    }
}

/// The Account page's time zone form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TimeZoneForm {
    /// An IANA name, as the menu offers it.
    pub time_zone: String,
}

impl TimeZoneForm {
    pub fn change(&self) -> Result<ProfileChange, FieldErrors> {
        let zone = self.time_zone.trim();
        if zone.is_empty() {
            let mut errors = FieldErrors::new();
            errors.insert("time_zone".into(), "choose a time zone".into());
            return Err(errors);
        }
        Ok(ProfileChange {
            name: None,
            time_zone: Some(zone.to_owned()),
        })
    }
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
        assert_eq!(patch.due_time, Some(None));
        assert_eq!(patch.recurrence, Some(None));
        assert_eq!(patch.reminders, Some(vec![]));
        assert_eq!(patch.tags, Some(vec![]));
        assert_eq!(patch.completed, Some(false));
        assert_eq!(patch.priority, None);
    }

    fn posted(pairs: &[(&str, &str)]) -> TaskForm {
        TaskForm::from(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn a_repeating_task_with_a_time_and_reminders_becomes_its_rule() {
        // 2026-12-17 is a Thursday.
        let form = posted(&[
            ("title", "Standup"),
            ("due_date", "2026-12-17"),
            ("due_time", "09:30"),
            ("recurrence", "weekly"),
            ("reminders", "60"),
            ("reminders", "10"),
            ("reminders", "10"),
            ("unknown", "ignored"),
        ]);
        let task = form.new_task().unwrap();
        assert_eq!(task.due_time.as_deref(), Some("09:30"));
        assert_eq!(task.recurrence.as_deref(), Some("FREQ=WEEKLY;BYDAY=TH"));
        assert_eq!(task.reminders, [10, 60]);
        let patch = form.patch().unwrap();
        assert_eq!(
            patch.recurrence,
            Some(Some("FREQ=WEEKLY;BYDAY=TH".to_owned()))
        );
        assert_eq!(patch.reminders, Some(vec![10, 60]));
        // Seconds from a browser asked for them are dropped.
        let form = posted(&[
            ("title", "x"),
            ("due_date", "2026-12-17"),
            ("due_time", "07:05:00"),
        ]);
        assert_eq!(form.new_task().unwrap().due_time.as_deref(), Some("07:05"));
    }

    #[test]
    fn a_custom_rule_is_kept_as_it_came() {
        let form = posted(&[
            ("title", "x"),
            ("due_date", "2026-12-17"),
            ("recurrence", CUSTOM_REPEAT),
            ("custom_recurrence", "FREQ=DAILY;INTERVAL=3"),
        ]);
        assert_eq!(
            form.new_task().unwrap().recurrence.as_deref(),
            Some("FREQ=DAILY;INTERVAL=3")
        );
        let form = posted(&[
            ("title", "x"),
            ("due_date", "2026-12-17"),
            ("recurrence", CUSTOM_REPEAT),
        ]);
        assert!(form.new_task().unwrap_err().contains_key("recurrence"));
    }

    #[test]
    fn what_the_fields_need_of_each_other_is_said_at_the_field() {
        let errors = posted(&[
            ("title", "x"),
            ("due_time", "09:00"),
            ("recurrence", "daily"),
        ])
        .new_task()
        .unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["due_time", "recurrence"]
        );
        assert!(errors["recurrence"].contains("needs a due date"));
        let errors = posted(&[
            ("title", "x"),
            ("due_date", "2026-12-17"),
            ("reminders", "10"),
        ])
        .new_task()
        .unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["reminders"]);
        assert!(errors["reminders"].contains("need a due time"));
        // A bad date is reported once, not again as what others lack.
        let errors = posted(&[
            ("title", "x"),
            ("due_date", "soon"),
            ("due_time", "25:00"),
            ("recurrence", "fortnightly"),
            ("reminders", "ten"),
        ])
        .new_task()
        .unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["due_date", "due_time", "recurrence", "reminders"]
        );
        assert!(errors["recurrence"].contains("listed"));
        assert!(errors["due_time"].contains("14:30"));
    }

    #[test]
    fn a_signup_passes_on_the_browsers_time_zone_when_there_is_one() {
        let form = |zone: &str| SignupForm {
            time_zone: zone.into(),
            ..SignupForm::default()
        };
        assert_eq!(
            form(" America/New_York ").time_zone().as_deref(),
            Some("America/New_York")
        );
        assert_eq!(form("").time_zone(), None);
        assert_eq!(form(&"A".repeat(65)).time_zone(), None);
        let change = TimeZoneForm {
            time_zone: "Europe/Berlin".into(),
        }
        .change()
        .unwrap();
        assert_eq!(change.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(change.name, None);
        assert!(TimeZoneForm::default().change().is_err());
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
