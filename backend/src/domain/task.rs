//! Tasks: title, description, tags, dates, new tasks and changes as valid values.

use chrono::NaiveDate;
use serde_json::{Map, Value};
use todo_api::Priority;
use todo_api::limits::{DESCRIPTION_MAX_CHARS, TAG_MAX_CHARS, TAGS_MAX, TITLE_MAX_CHARS};

use super::fields::{FieldErrors, JsonFields, Member};
use super::recurrence::Recurrence;
use super::schedule::{DueTime, Reminders};

/// A task title: trimmed, 1–200 characters (Unicode scalar values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTitle(String);

impl TaskTitle {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars == 0 {
            Err("must not be empty".into())
        } else if chars > TITLE_MAX_CHARS {
            Err(format!("must be at most {TITLE_MAX_CHARS} characters"))
        } else if trimmed.chars().any(char::is_control) {
            Err("must not contain control characters".into())
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A description of up to 2000 characters, without NUL (which PostgreSQL
/// cannot store); blank means "no description".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDescription(String);

impl TaskDescription {
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else if raw.chars().count() > DESCRIPTION_MAX_CHARS {
            Err(format!(
                "must be at most {DESCRIPTION_MAX_CHARS} characters"
            ))
        } else if raw.contains('\0') {
            Err("must not contain NUL characters".into())
        } else {
            Ok(Some(Self(raw.to_owned())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tag: 1–32 characters of `[a-z0-9-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > TAG_MAX_CHARS {
            return Err(format!("tags must be 1–{TAG_MAX_CHARS} characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "tag {raw:?} may only contain lower-case letters, digits and '-'"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most 10 distinct tags, in the order first given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<Tag>);

impl Tags {
    pub fn parse(raw: &[String]) -> Result<Self, String> {
        if raw.len() > TAGS_MAX {
            return Err(format!("at most {TAGS_MAX} tags are allowed"));
        }
        let mut tags: Vec<Tag> = Vec::with_capacity(raw.len());
        for item in raw {
            let tag = Tag::parse(item)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(Self(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    /// Space-separated; unambiguous because a tag never contains a space.
    pub fn joined(&self) -> String {
        self.0.iter().map(Tag::as_str).collect::<Vec<_>>().join(" ")
    }
}

/// Tags as the store keeps them ([`Tags::joined`]), borrowed: yields each
/// tag without splitting them into owned strings first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredTags<'a>(pub &'a str);

impl<'a> StoredTags<'a> {
    pub fn iter(self) -> std::str::SplitWhitespace<'a> {
        self.0.split_whitespace()
    }
}

impl<'a> IntoIterator for StoredTags<'a> {
    type Item = &'a str;
    type IntoIter = std::str::SplitWhitespace<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

fn parse_priority(raw: &str) -> Result<Priority, String> {
    raw.parse()
}

/// A repeat rule, as the API takes it: the canonical text
/// [`Recurrence::rrule`] writes, so that what is stored is what was sent
/// and the OpenAPI document's pattern says exactly what is accepted. A
/// rule written another way is refused with its canonical spelling.
pub(crate) fn parse_recurrence(raw: &str) -> Result<Recurrence, String> {
    let rule = Recurrence::parse(raw)?;
    let canonical = rule.rrule();
    if canonical == raw {
        Ok(rule)
    } else {
        Err(format!("write this rule as {canonical}"))
    }
}

/// A calendar date written exactly `YYYY-MM-DD` (RFC 3339 `full-date`).
pub(crate) fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| "must be a date as YYYY-MM-DD".to_owned())
}

/// A new task, fully validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    pub title: TaskTitle,
    pub description: Option<TaskDescription>,
    pub completed: bool,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<DueTime>,
    pub recurrence: Option<Recurrence>,
    pub reminders: Reminders,
    pub tags: Tags,
}

impl TaskDraft {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let title = fields.required_string("title");
        let description = fields.string("description", true);
        let completed = fields.bool("completed");
        let priority = fields.string("priority", false);
        let due_date = fields.string("due_date", true);
        let due_time = fields.string("due_time", true);
        let recurrence = fields.string("recurrence", true);
        let reminders = fields.integer_array("reminders");
        let tags = fields.string_array("tags");
        let mut errors = fields.finish();

        let title = title.and_then(|t| errors.check("title", TaskTitle::parse(&t)));
        let description = match description {
            Member::Value(d) => errors
                .check("description", TaskDescription::parse(&d))
                .flatten(),
            _ => None,
        };
        let priority = match priority {
            Member::Value(p) => errors.check("priority", parse_priority(&p)),
            _ => Some(Priority::default()),
        };
        let due_date = match due_date {
            Member::Value(d) => errors.check("due_date", parse_date(&d)),
            _ => None,
        };
        let due_time = match due_time {
            Member::Value(t) => errors.check("due_time", DueTime::parse(&t)),
            _ => None,
        };
        let recurrence = match recurrence {
            Member::Value(r) => errors.check("recurrence", parse_recurrence(&r)),
            _ => None,
        };
        let reminders = match reminders {
            Member::Value(r) => errors.check("reminders", Reminders::parse(&r)),
            _ => Some(Reminders::default()),
        };
        let tags = match tags {
            Member::Value(t) => errors.check("tags", Tags::parse(&t)),
            _ => Some(Tags::default()),
        };
        // What each field needs of the others; a patch is checked by the
        // database's constraints against the row it changes.
        if due_time.is_some() && due_date.is_none() {
            errors.add("due_time", NEEDS_DUE_DATE);
        }
        if recurrence.is_some() && due_date.is_none() {
            errors.add("recurrence", NEEDS_DUE_DATE);
        }
        if reminders.as_ref().is_some_and(|r| !r.is_empty()) && due_time.is_none() {
            errors.add("reminders", NEED_DUE_TIME);
        }
        let completed = matches!(completed, Member::Value(true));
        match (title, priority, reminders, tags) {
            (Some(title), Some(priority), Some(reminders), Some(tags)) if errors.is_empty() => {
                Ok(Self {
                    title,
                    description,
                    completed,
                    priority,
                    due_date,
                    due_time,
                    recurrence,
                    reminders,
                    tags,
                })
            }
            _ => Err(errors),
        }
    }
}

impl TaskDraft {
    /// The task this draft makes, with its id and time of creation.
    pub fn to_task(&self, id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>) -> todo_api::Task {
        todo_api::Task {
            id,
            title: self.title.as_str().to_owned(),
            description: self.description.as_ref().map(|d| d.as_str().to_owned()),
            completed: self.completed,
            priority: self.priority,
            due_date: self.due_date,
            due_time: self.due_time.map(DueTime::text),
            recurrence: self.recurrence.as_ref().map(Recurrence::rrule),
            recurrence_summary: self.recurrence.as_ref().map(Recurrence::summary),
            reminders: self.reminders.minutes().to_vec(),
            tags: self.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            next_occurrence_id: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// The field messages of the rules between fields, shared with the store,
/// which reports a patch that breaks them.
pub const NEEDS_DUE_DATE: &str = "needs a due_date";
pub const NEED_DUE_TIME: &str = "need a due_time";

/// A validated partial update: `None` leaves a field as it is; for the
/// nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    pub title: Option<TaskTitle>,
    pub description: Option<Option<TaskDescription>>,
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<NaiveDate>>,
    pub due_time: Option<Option<DueTime>>,
    pub recurrence: Option<Option<Recurrence>>,
    pub reminders: Option<Reminders>,
    pub tags: Option<Tags>,
}

impl TaskChanges {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let title = fields.string("title", false);
        let description = fields.string("description", true);
        let completed = fields.bool("completed");
        let priority = fields.string("priority", false);
        let due_date = fields.string("due_date", true);
        let due_time = fields.string("due_time", true);
        let recurrence = fields.string("recurrence", true);
        let reminders = fields.integer_array("reminders");
        let tags = fields.string_array("tags");
        let mut errors = fields.finish();

        let mut changes = TaskChanges::default();
        if let Member::Value(t) = title {
            changes.title = errors.check("title", TaskTitle::parse(&t));
        }
        changes.description = match description {
            Member::Absent => None,
            Member::Null => Some(None),
            Member::Value(d) => errors.check("description", TaskDescription::parse(&d)),
        };
        if let Member::Value(c) = completed {
            changes.completed = Some(c);
        }
        if let Member::Value(p) = priority {
            changes.priority = errors.check("priority", parse_priority(&p));
        }
        changes.due_date = match due_date {
            Member::Absent => None,
            Member::Null => Some(None),
            Member::Value(d) => errors.check("due_date", parse_date(&d)).map(Some),
        };
        changes.due_time = match due_time {
            Member::Absent => None,
            Member::Null => Some(None),
            Member::Value(t) => errors.check("due_time", DueTime::parse(&t)).map(Some),
        };
        changes.recurrence = match recurrence {
            Member::Absent => None,
            Member::Null => Some(None),
            Member::Value(r) => errors.check("recurrence", parse_recurrence(&r)).map(Some),
        };
        if let Member::Value(r) = reminders {
            changes.reminders = errors.check("reminders", Reminders::parse(&r));
        }
        if let Member::Value(t) = tags {
            changes.tags = errors.check("tags", Tags::parse(&t));
        }
        // Clearing the due date clears what hangs on it, and clearing the
        // due time its reminders, unless the patch sets them (which is a
        // contradiction, reported here).
        if changes.due_date == Some(None) {
            if matches!(changes.due_time, Some(Some(_))) {
                errors.add("due_time", NEEDS_DUE_DATE);
            }
            if matches!(changes.recurrence, Some(Some(_))) {
                errors.add("recurrence", NEEDS_DUE_DATE);
            }
            changes.due_time = Some(None);
            changes.recurrence = Some(None);
        }
        if changes.due_time == Some(None) {
            if changes.reminders.as_ref().is_some_and(|r| !r.is_empty()) {
                errors.add("reminders", NEED_DUE_TIME);
            }
            changes.reminders = Some(Reminders::default());
        }
        errors.finish(|| changes)
    }

    pub fn is_empty(&self) -> bool {
        *self == TaskChanges::default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("test bodies are objects")
    }

    #[test]
    fn titles_are_trimmed_and_bounded_in_characters_not_bytes() {
        assert_eq!(
            TaskTitle::parse("  buy milk ").unwrap().as_str(),
            "buy milk"
        );
        assert!(TaskTitle::parse("   ").is_err());
        assert!(TaskTitle::parse(&"é".repeat(200)).is_ok());
        assert!(TaskTitle::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn tags_reject_bad_characters_and_drop_duplicates() {
        assert!(Tag::parse("Home").is_err());
        assert!(Tag::parse("a b").is_err());
        assert!(Tag::parse(&"a".repeat(33)).is_err());
        let tags = Tags::parse(&["x".into(), "y-2".into(), "x".into()]).unwrap();
        assert_eq!(tags.joined(), "x y-2");
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&eleven).is_err());
    }

    #[test]
    fn stored_tags_read_back_as_they_were_given() {
        let tags = Tags::parse(&["x".into(), "y-2".into()]).unwrap();
        let stored = tags.joined();
        assert_eq!(StoredTags(&stored).iter().collect::<Vec<_>>(), ["x", "y-2"]);
        assert!(StoredTags("").iter().next().is_none());
    }

    #[test]
    fn a_draft_reports_every_bad_field_at_once() {
        let errors = TaskDraft::parse(object(json!({
            "title": " ",
            "priority": "urgent",
            "due_date": "2024-02-30",
            "tags": ["OK"],
            "colour": "red",
        })))
        .unwrap_err()
        .into_map();
        let keys: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["colour", "due_date", "priority", "tags", "title"]);
    }

    #[test]
    fn a_draft_applies_defaults() {
        let draft = TaskDraft::parse(object(json!({"title": "x"}))).unwrap();
        assert_eq!(draft.priority, Priority::Medium);
        assert!(!draft.completed);
        assert_eq!(draft.tags, Tags::default());
    }

    #[test]
    fn changes_tell_null_from_absent() {
        let changes =
            TaskChanges::parse(object(json!({"description": null, "completed": true}))).unwrap();
        assert_eq!(changes.description, Some(None));
        assert_eq!(changes.due_date, None);
        assert_eq!(changes.completed, Some(true));
        assert!(TaskChanges::parse(object(json!({"title": null}))).is_err());
    }

    #[test]
    fn dates_must_be_calendar_dates_in_iso_form() {
        assert!(parse_date("2025-01-31").is_ok());
        assert!(parse_date("2025-1-31").is_err());
        assert!(parse_date("31/01/2025").is_err());
        assert!(parse_date("2025-02-29").is_err());
        assert!(parse_date("+202-01-01").is_err());
        assert!(parse_date("2025-01-3١").is_err());
    }
}
