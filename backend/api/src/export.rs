//! One account's data as one versioned document: what `GET /api/export`
//! answers and `POST /api/import` takes back; [`ExportWriter`] writes it a
//! piece at a time, for a server that never holds the whole.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Priority, Role, ToolCallRecord};

/// The `format` of an export document.
pub const EXPORT_FORMAT: &str = "todo-export";
/// The `version` of the export documents this crate writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// `GET /api/export`, and the body of `POST /api/import`: the caller's
/// tasks and conversations, without ids (an import gives them new ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Export {
    /// Always `todo-export`.
    pub format: String,
    /// Always 1; an import refuses any other.
    pub version: u32,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub exported_at: DateTime<Utc>,
    pub tasks: Vec<ExportedTask>,
    pub conversations: Vec<ExportedConversation>,
}

impl Export {
    /// A document of this format and version.
    pub fn new(
        exported_at: DateTime<Utc>,
        tasks: Vec<ExportedTask>,
        conversations: Vec<ExportedConversation>,
    ) -> Self {
        Self {
            format: EXPORT_FORMAT.to_owned(),
            version: EXPORT_VERSION,
            exported_at,
            tasks,
            conversations,
        }
    }
}

/// A task as exported: its fields as `POST /api/tasks` takes them, with
/// when it was created and last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedTask {
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    #[serde(serialize_with = "crate::wire_time::optional_date")]
    pub due_date: Option<NaiveDate>,
    /// Left out when the task has none, so that a document of tasks
    /// without schedules is what it was before they existed (and older
    /// versions of the app import it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<u32>,
    pub tags: Vec<String>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A conversation with all its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedConversation {
    pub title: String,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ExportedMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedMessage {
    pub role: Role,
    pub content: String,
    /// For a tool message: the call and its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call: Option<ToolCallRecord>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    pub created_at: DateTime<Utc>,
}

/// Writes an [`Export`] document item by item, byte for byte what serde
/// writes for the whole (tested): tasks first, then each conversation
/// followed by its messages. What is written collects in a buffer that
/// the caller empties with [`ExportWriter::take`] whenever it likes, so
/// the document's size never decides how much is held at once.
#[derive(Debug)]
pub struct ExportWriter {
    json: Vec<u8>,
    at: Section,
    /// Items written in the innermost open list (the tasks, or the last
    /// conversation's messages): whether the next needs a comma.
    items: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Tasks,
    /// Inside a conversation's `messages`.
    Messages,
    Finished,
}

/// The head of [`ExportedConversation`]: its fields before `messages`,
/// in the same order and format.
#[derive(Serialize)]
struct ConversationHead<'a> {
    title: &'a str,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    created_at: &'a DateTime<Utc>,
    #[serde(serialize_with = "crate::wire_time::timestamp")]
    updated_at: &'a DateTime<Utc>,
}

impl ExportWriter {
    /// A document exported at `exported_at`, open for its tasks.
    pub fn new(exported_at: DateTime<Utc>) -> Self {
        let mut json = Vec::with_capacity(256);
        json.extend_from_slice(br#"{"format":"#);
        serde_json::to_writer(&mut json, EXPORT_FORMAT).expect("a string serializes into memory");
        json.extend_from_slice(format!(r#","version":{EXPORT_VERSION},"exported_at":"#).as_bytes());
        crate::wire_time::with_timestamp(&exported_at, |text| {
            serde_json::to_writer(&mut json, text).expect("a string serializes into memory")
        });
        json.extend_from_slice(br#","tasks":["#);
        Self {
            json,
            at: Section::Tasks,
            items: 0,
        }
    }

    /// The next task; every task comes before the first conversation.
    pub fn task(&mut self, task: &ExportedTask) {
        assert_eq!(self.at, Section::Tasks, "tasks come first");
        self.comma();
        serde_json::to_writer(&mut self.json, task).expect("a task serializes into memory");
    }

    /// The next conversation's own fields; its messages follow.
    pub fn conversation(
        &mut self,
        title: &str,
        created_at: &DateTime<Utc>,
        updated_at: &DateTime<Utc>,
    ) {
        match self.at {
            Section::Tasks => self.json.extend_from_slice(br#"],"conversations":["#),
            Section::Messages => self.json.extend_from_slice(b"]},"),
            Section::Finished => panic!("the document is finished"),
        }
        self.at = Section::Messages;
        let head = ConversationHead {
            title,
            created_at,
            updated_at,
        };
        serde_json::to_writer(&mut self.json, &head).expect("a head serializes into memory");
        // Reopens the object serde closed, for the list that follows.
        self.json.pop();
        self.json.extend_from_slice(br#","messages":["#);
        self.items = 0;
    }

    /// The next message of the last conversation.
    pub fn message(&mut self, message: &ExportedMessage) {
        assert_eq!(
            self.at,
            Section::Messages,
            "a message belongs to a conversation"
        );
        self.comma();
        serde_json::to_writer(&mut self.json, message).expect("a message serializes into memory");
    }

    /// Closes the document: nothing may be written after.
    pub fn finish(&mut self) {
        match self.at {
            Section::Tasks => self.json.extend_from_slice(br#"],"conversations":[]}"#),
            Section::Messages => self.json.extend_from_slice(b"]}]}"),
            Section::Finished => panic!("the document is finished"),
        }
        self.at = Section::Finished;
    }

    /// Bytes written and not yet taken.
    pub fn buffered(&self) -> usize {
        self.json.len()
    }

    /// What was written since the last take.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.json)
    }

    fn comma(&mut self) {
        if self.items > 0 {
            self.json.push(b',');
        }
        self.items += 1;
    }
}

/// Answer of `POST /api/import`: what was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub tasks: u64,
    pub conversations: u64,
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use serde_json::json;

    use super::*;

    fn task(title: &str, at: DateTime<Utc>) -> ExportedTask {
        ExportedTask {
            title: title.to_owned(),
            description: Some("line one\nline \"two\" \u{1} é ✓ 😀".into()),
            completed: true,
            priority: Priority::High,
            due_date: NaiveDate::from_ymd_opt(2027, 1, 31),
            due_time: Some("07:45".into()),
            recurrence: Some("FREQ=MONTHLY;BYMONTHDAY=-1".into()),
            reminders: vec![0, 1440],
            tags: vec!["home".into(), "q1".into()],
            created_at: at,
            updated_at: at + chrono::Duration::microseconds(576_123),
        }
    }

    fn message(role: Role, content: &str, at: DateTime<Utc>) -> ExportedMessage {
        ExportedMessage {
            role,
            content: content.to_owned(),
            tool_call: (role == Role::Tool).then(|| ToolCallRecord {
                tool: "add_task".into(),
                arguments: json!({"title": "milk", "tags": ["a\"b"]}),
                result: json!({"id": 1, "nested": {"list": [1, 2.5, null, true]}}),
            }),
            created_at: at,
        }
    }

    fn conversation(title: &str, messages: usize, at: DateTime<Utc>) -> ExportedConversation {
        let roles = [Role::User, Role::Tool, Role::Assistant];
        ExportedConversation {
            title: title.to_owned(),
            created_at: at,
            updated_at: at + chrono::Duration::milliseconds(5),
            messages: (0..messages)
                .map(|i| message(roles[i % 3], &format!("message \t{i}"), at))
                .collect(),
        }
    }

    fn written(document: &Export) -> String {
        let mut writer = ExportWriter::new(document.exported_at);
        let mut out = Vec::new();
        for task in &document.tasks {
            writer.task(task);
            // Taken at any point, the pieces make the same whole.
            out.extend(writer.take());
        }
        for conversation in &document.conversations {
            writer.conversation(
                &conversation.title,
                &conversation.created_at,
                &conversation.updated_at,
            );
            for message in &conversation.messages {
                writer.message(message);
            }
        }
        writer.finish();
        out.extend(writer.take());
        assert_eq!(writer.buffered(), 0);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_writer_writes_what_an_export_serializes_to() {
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 8, 35, 44).unwrap();
        let tasks = [task("first", at), task("\"second\"", at), task("", at)];
        let conversations = [
            conversation("empty", 0, at),
            conversation("one", 1, at),
            conversation("with a tool \u{2028}", 5, at),
        ];
        for (task_count, conversation_count) in [(0, 0), (1, 0), (0, 1), (0, 3), (3, 1), (3, 3)] {
            let document = Export::new(
                at + chrono::Duration::nanoseconds(7),
                tasks[..task_count].to_vec(),
                conversations[..conversation_count].to_vec(),
            );
            assert_eq!(
                written(&document),
                serde_json::to_string(&document).unwrap(),
                "{task_count} tasks, {conversation_count} conversations"
            );
        }
    }

    #[test]
    #[should_panic(expected = "a message belongs to a conversation")]
    fn a_message_outside_a_conversation_is_a_bug() {
        let mut writer = ExportWriter::new(Utc::now());
        writer.message(&message(Role::User, "hi", Utc::now()));
    }
}
