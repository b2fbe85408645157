//! The assistant's five tools, implemented once for both doors: the MCP
//! server at `/mcp` and the chat agent.
//!
//! The user a tool acts for is always the caller of the door (its bearer
//! token), never an argument: no prompt can reach another user's tasks.
//! Arguments are validated by the REST API's own domain parsers, so the
//! same input gets the same error codes and field messages there and here.
//! The argument types below describe the tools (their JSON Schemas are
//! generated from them); what a call sends is parsed by those parsers.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use todo_api::{
    ErrorBody, ErrorCode, ErrorDetail, Priority, StatusFilter, Task, TaskCandidate, Tool,
};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::auth::Scopes;
use crate::domain::{DueTime, FieldErrors, Recurrence, TaskChanges, TaskDraft, TaskQuery};
use crate::error::ApiError;
use crate::store::{Store, StoreError};

/// How many candidates an ambiguous title lists at most.
const CANDIDATES_MAX: u32 = 10;

/// Arguments of `add_task`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTaskArgs {
    /// 1–200 characters.
    pub title: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Defaults to medium.
    pub priority: Option<Priority>,
    /// YYYY-MM-DD, the user's local date. Needed by due_time and
    /// recurrence; for a repeating task, its first occurrence.
    pub due_date: Option<NaiveDate>,
    /// HH:MM on a 24-hour clock (e.g. "08:00", "14:30"), wall-clock time
    /// in the user's time zone. Needs due_date. Omit it for a task due
    /// some time that day.
    #[schemars(pattern(todo_api::patterns::DUE_TIME))]
    pub due_time: Option<String>,
    /// How the task repeats, as an RFC 5545 RRULE value in canonical form:
    /// the parts in the order FREQ, INTERVAL (left out when 1), BYDAY
    /// (weekdays MO,TU,WE,TH,FR,SA,SU, Monday first), BYMONTHDAY, COUNT,
    /// UNTIL (YYYYMMDD), WKST (left out when MO); no "RRULE:" prefix.
    /// Examples: FREQ=DAILY (every day); FREQ=WEEKLY;BYDAY=MO (every
    /// Monday); FREQ=WEEKLY;BYDAY=MO,TH (Mondays and Thursdays);
    /// FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR (every weekday);
    /// FREQ=WEEKLY;INTERVAL=2 (every 2 weeks, on due_date's weekday);
    /// FREQ=MONTHLY (on due_date's day of the month);
    /// FREQ=MONTHLY;BYMONTHDAY=-1 (the last day of each month);
    /// FREQ=MONTHLY;BYDAY=1MO (the first Monday of each month);
    /// FREQ=YEARLY; FREQ=DAILY;COUNT=10 (10 times). Needs due_date. Another
    /// spelling of a rule is refused with its canonical form.
    pub recurrence: Option<String>,
    /// Reminders, in minutes before the due time: 0 is at the due time,
    /// 60 an hour before, 1440 a day before; at most 5, each 0–40320 (28
    /// days). Need due_time.
    #[schemars(
        transform = not_null,
        length(max = todo_api::limits::REMINDERS_MAX),
        inner(range(min = 0, max = todo_api::limits::REMINDER_MINUTES_MAX))
    )]
    pub reminders: Option<Vec<u32>>,
    /// Up to 10 tags of 1–32 characters of a-z, 0-9 and '-'.
    #[schemars(transform = not_null)]
    pub tags: Option<Vec<String>>,
}

/// Arguments of `list_tasks`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasksArgs {
    /// all (default), active or completed.
    pub status: Option<StatusFilter>,
    /// Search in titles and descriptions.
    pub q: Option<String>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    /// Only tasks due strictly before this date (YYYY-MM-DD); with
    /// status=active and today's date: the overdue ones.
    pub due_before: Option<NaiveDate>,
    /// 1–100, default 50.
    pub limit: Option<u32>,
}

/// Arguments of `complete_task` and `delete_task`: which task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRefArgs {
    /// The task's id.
    pub task_id: Option<Uuid>,
    /// Or a title to match (ignoring case; several matches are answered
    /// with the candidates, never guessed).
    pub title: Option<String>,
}

/// Arguments of `update_task`: which task, and what to change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaskArgs {
    /// The task's id.
    pub task_id: Option<Uuid>,
    /// Or its current title to match.
    pub current_title: Option<String>,
    /// A new title.
    pub title: Option<String>,
    /// A new description; null clears it.
    pub description: Option<String>,
    pub priority: Option<Priority>,
    /// A new due date (YYYY-MM-DD, the user's local date); null clears it,
    /// and with it the due time, the recurrence and the reminders.
    pub due_date: Option<NaiveDate>,
    /// A new due time, HH:MM on a 24-hour clock in the user's time zone;
    /// needs a due date (the task's own or one given here). null clears
    /// it, and with it the reminders.
    #[schemars(pattern(todo_api::patterns::DUE_TIME))]
    pub due_time: Option<String>,
    /// A new repeat rule, an RRULE value in the canonical form add_task
    /// describes (e.g. FREQ=WEEKLY;BYDAY=MO, FREQ=MONTHLY;BYMONTHDAY=-1);
    /// needs a due date. null: the task no longer repeats.
    pub recurrence: Option<String>,
    /// The new reminders (replacing the old ones), in minutes before the
    /// due time (0: at it); at most 5, each 0–40320; need a due time. []
    /// removes them.
    #[schemars(
        transform = not_null,
        length(max = todo_api::limits::REMINDERS_MAX),
        inner(range(min = 0, max = todo_api::limits::REMINDER_MINUTES_MAX))
    )]
    pub reminders: Option<Vec<u32>>,
    /// The new tags (replacing the old ones).
    #[schemars(transform = not_null)]
    pub tags: Option<Vec<String>>,
    pub completed: Option<bool>,
}

/// An argument that may be left out but is never `null`: the parsers
/// refuse `null` for the arrays (an empty array clears them), so their
/// schemas must not offer it.
fn not_null(schema: &mut schemars::Schema) {
    let Some(Value::Array(types)) = schema.get("type") else {
        return;
    };
    let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let kept = match <[Value; 1]>::try_from(kept) {
        Ok([only]) => only,
        Err(several) => Value::Array(several),
    };
    schema.insert("type".to_owned(), kept);
}

/// A tool as both doors list it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub tool: Tool,
    /// A few words for people (MCP clients show it in their tool lists).
    pub title: &'static str,
    pub description: &'static str,
    /// JSON Schema of the arguments.
    pub input_schema: Map<String, Value>,
    pub hints: Hints,
}

/// What a tool does to the user's tasks, as MCP's tool annotations say it:
/// clients ask before a destructive call and retry idempotent ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Changes nothing.
    pub read_only: bool,
    /// May overwrite or remove what the user had (not only add).
    pub destructive: bool,
    /// Calling it again with the same arguments changes nothing more.
    pub idempotent: bool,
}

impl ToolSpec {
    pub fn name(&self) -> &'static str {
        self.tool.as_str()
    }
}

/// The arguments' JSON Schema, self-contained (no `$ref`: several
/// OpenAI-compatible servers and MCP clients do not follow references).
fn schema_of<T: JsonSchema>() -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let schema =
        serde_json::to_value(generator.into_root_schema_for::<T>()).expect("schemas serialise");
    let Value::Object(mut map) = schema else {
        unreachable!("a struct's schema is an object")
    };
    map.remove("$schema");
    map.remove("title");
    map
}

/// How `tool` is described to a model or an MCP client.
pub fn spec(tool: Tool) -> ToolSpec {
    let hints = |read_only, destructive, idempotent| Hints {
        read_only,
        destructive,
        idempotent,
    };
    let (title, description, input_schema, hints) = match tool {
        Tool::AddTask => (
            "Add a task",
            "Add a task for the user: optionally due on a date and at a time (the user's local ones), repeating by an RRULE, with reminders before its due time.",
            schema_of::<AddTaskArgs>(),
            hints(false, false, false),
        ),
        Tool::ListTasks => (
            "List tasks",
            "List the user's tasks, optionally filtered; answers the tasks and how many match.",
            schema_of::<ListTasksArgs>(),
            hints(true, false, true),
        ),
        // Nothing is lost, but not idempotent: completing a repeating task
        // creates its next occurrence, and the same call by title again
        // completes that one (an open match wins) and creates another.
        Tool::CompleteTask => (
            "Complete a task",
            "Mark one of the user's tasks done, by id or by title. Completing a repeating task creates its next occurrence (the result's next_occurrence_id).",
            schema_of::<TaskRefArgs>(),
            hints(false, false, false),
        ),
        // Replaces a title, a description or tags: the old ones are gone.
        Tool::UpdateTask => (
            "Change a task",
            "Change one of the user's tasks (title, description, priority, due date and time, recurrence, reminders, tags, completed), found by id or current title.",
            schema_of::<UpdateTaskArgs>(),
            hints(false, true, true),
        ),
        Tool::DeleteTask => (
            "Delete a task",
            "Delete one of the user's tasks, by id or by title.",
            schema_of::<TaskRefArgs>(),
            hints(false, true, true),
        ),
    };
    ToolSpec {
        tool,
        title,
        description,
        input_schema,
        hints,
    }
}

/// The JSON Schema of what `tool` answers when it succeeds, built around
/// `task`, the API's own schema of a task (so a tool's result and
/// `GET /api/tasks/{id}` are one shape).
pub fn output_schema(tool: Tool, task: &Value) -> Map<String, Value> {
    let schema = match tool {
        Tool::AddTask | Tool::CompleteTask | Tool::UpdateTask => task.clone(),
        Tool::ListTasks => json!({
            "type": "object",
            "required": ["items", "total"],
            "properties": {
                "items": {"type": "array", "items": task},
                "total": {"type": "integer", "minimum": 0, "description": "How many tasks match, over all pages."},
            },
            "additionalProperties": false,
        }),
        Tool::DeleteTask => json!({
            "type": "object",
            "required": ["task_id", "status", "title"],
            "properties": {
                "task_id": {"type": "string", "format": "uuid"},
                "status": {"const": "deleted"},
                "title": {"type": "string"},
            },
            "additionalProperties": false,
        }),
    };
    match schema {
        Value::Object(map) => map,
        _ => unreachable!("every output schema is an object"),
    }
}

/// Whether `tool` changes tasks (and so needs the `tasks:write` scope).
pub fn writes(tool: Tool) -> bool {
    match tool {
        Tool::ListTasks => false,
        Tool::AddTask | Tool::CompleteTask | Tool::UpdateTask | Tool::DeleteTask => true,
    }
}

/// Every tool, in [`Tool::ALL`]'s order.
pub fn specs() -> Vec<ToolSpec> {
    Tool::ALL.iter().copied().map(spec).collect()
}

/// Why a tool call failed, in the API's error vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub candidates: Vec<TaskCandidate>,
}

impl ToolError {
    fn invalid(fields: FieldErrors) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            message: "some arguments are invalid".into(),
            fields: fields.into_map(),
            candidates: Vec::new(),
        }
    }

    fn one_field(field: &str, problem: &str) -> Self {
        let mut fields = FieldErrors::default();
        fields.add(field, problem);
        Self::invalid(fields)
    }

    fn not_found(what: &str) -> Self {
        Self {
            code: ErrorCode::NotFound,
            message: format!("no task {what}"),
            fields: BTreeMap::new(),
            candidates: Vec::new(),
        }
    }

    /// The API's error body: `{"error": {code, message, fields?, candidates?}}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                fields: self.fields.clone(),
                candidates: self.candidates.clone(),
            },
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.body()).expect("error bodies serialise")
    }
}

impl From<StoreError> for ToolError {
    fn from(error: StoreError) -> Self {
        let api = ApiError::from(error);
        let (_, code) = api.status_and_code();
        if code == ErrorCode::Internal {
            tracing::error!(error = ?api, "tool failed");
        }
        Self {
            code,
            message: api.public_message(),
            fields: BTreeMap::new(),
            candidates: Vec::new(),
        }
    }
}

/// The tool layer: the store, acting for one owner per call.
#[derive(Debug, Clone)]
pub struct Tools {
    store: Store,
}

impl Tools {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Runs tool `name` for `owner`, whose credential holds `scopes`; the
    /// answer is the tool's JSON result. Each call is a span of its own
    /// when traces are on, whichever door it came through.
    pub async fn call(
        &self,
        owner: Uuid,
        scopes: Scopes,
        name: &str,
        arguments: &Value,
    ) -> Result<Value, ToolError> {
        let span = todo_service::telemetry::span(|| {
            // Named only after a tool that exists: the name is the caller's.
            let known = name.parse::<Tool>().ok();
            let span = tracing::info_span!(
                "tool",
                otel.name = match known {
                    Some(tool) => format!("execute_tool {tool}"),
                    None => "execute_tool".to_owned(),
                },
                gen_ai.operation.name = "execute_tool",
                gen_ai.tool.name = name,
            );
            todo_service::telemetry::attribute(&span, "gen_ai.tool.type", "function");
            span
        });
        let result = self
            .run(owner, scopes, name, arguments)
            .instrument(span.clone())
            .await;
        if let Err(error) = &result
            && todo_service::telemetry::enabled()
        {
            let code = serde_json::to_value(error.code).unwrap_or_default();
            todo_service::telemetry::failed(&span, code.as_str().unwrap_or("error"));
        }
        result
    }

    async fn run(
        &self,
        owner: Uuid,
        scopes: Scopes,
        name: &str,
        arguments: &Value,
    ) -> Result<Value, ToolError> {
        let arguments = match arguments {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            _ => return Err(ToolError::one_field("arguments", "must be a JSON object")),
        };
        let Ok(tool) = name.parse::<Tool>() else {
            return Err(ToolError {
                code: ErrorCode::NotFound,
                message: format!(
                    "there is no tool {name:?}; the tools are {}",
                    Tool::expected()
                ),
                fields: BTreeMap::new(),
                candidates: Vec::new(),
            });
        };
        if writes(tool) && !scopes.write {
            return Err(ToolError {
                code: ErrorCode::InsufficientScope,
                message: format!("{tool} changes tasks; this credential may only read them"),
                fields: BTreeMap::new(),
                candidates: Vec::new(),
            });
        }
        match tool {
            Tool::AddTask => self.add_task(owner, arguments).await,
            Tool::ListTasks => self.list_tasks(owner, arguments).await,
            Tool::CompleteTask => self.complete_task(owner, arguments).await,
            Tool::UpdateTask => self.update_task(owner, arguments).await,
            Tool::DeleteTask => self.delete_task(owner, arguments).await,
        }
    }

    async fn add_task(
        &self,
        owner: Uuid,
        arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let draft = TaskDraft::parse(arguments).map_err(ToolError::invalid)?;
        let task = self.store.insert_task(owner, &draft).await?;
        Ok(task_json(&task))
    }

    async fn list_tasks(
        &self,
        owner: Uuid,
        arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let mut pairs = Vec::new();
        let mut errors = FieldErrors::default();
        for (key, value) in arguments {
            match value {
                Value::Null => {}
                Value::String(text) => pairs.push((key, text)),
                Value::Number(n) => pairs.push((key, n.to_string())),
                _ => errors.add(key, "must be a string or a number"),
            }
        }
        if !errors.is_empty() {
            return Err(ToolError::invalid(errors));
        }
        let query = TaskQuery::parse(&pairs).map_err(ToolError::invalid)?;
        let (items, total) = self.store.list_tasks(owner, &query).await?;
        Ok(json!({"items": items, "total": total}))
    }

    async fn complete_task(
        &self,
        owner: Uuid,
        mut arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let task = self.find(owner, &mut arguments, "title", true).await?;
        refuse_extra(arguments)?;
        let changes = TaskChanges {
            completed: Some(true),
            ..TaskChanges::default()
        };
        self.apply(owner, task.id, &changes).await
    }

    async fn update_task(
        &self,
        owner: Uuid,
        mut arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let task = self
            .find(owner, &mut arguments, "current_title", false)
            .await?;
        // What is left are the changes, judged like a PATCH body.
        let changes = TaskChanges::parse(arguments).map_err(ToolError::invalid)?;
        if changes.is_empty() {
            return Err(ToolError::one_field(
                "title",
                "name at least one field to change",
            ));
        }
        self.apply(owner, task.id, &changes).await
    }

    async fn delete_task(
        &self,
        owner: Uuid,
        mut arguments: Map<String, Value>,
    ) -> Result<Value, ToolError> {
        let task = self.find(owner, &mut arguments, "title", false).await?;
        refuse_extra(arguments)?;
        if !self.store.delete_task(owner, task.id).await? {
            return Err(ToolError::not_found("with this id"));
        }
        Ok(json!({"task_id": task.id, "status": "deleted", "title": task.title}))
    }

    /// The task a `delete_task` call with `arguments` would delete,
    /// without deleting it (to ask the user first).
    pub async fn target_of_delete(
        &self,
        owner: Uuid,
        arguments: &Value,
    ) -> Result<Task, ToolError> {
        let Value::Object(arguments) = arguments else {
            return Err(ToolError::one_field("arguments", "must be a JSON object"));
        };
        let mut arguments = arguments.clone();
        let task = self.find(owner, &mut arguments, "title", false).await?;
        refuse_extra(arguments)?;
        Ok(task)
    }

    async fn apply(
        &self,
        owner: Uuid,
        id: Uuid,
        changes: &TaskChanges,
    ) -> Result<Value, ToolError> {
        match self.store.update_task(owner, id, changes).await? {
            Some(task) => Ok(task_json(&task)),
            None => Err(ToolError::not_found("with this id")),
        }
    }

    /// The one task `task_id` or the title field names; several matches
    /// answer with the candidates. With `prefer_active`, an active match
    /// wins over completed ones (marking done what is already done is not
    /// what "mark X done" means).
    async fn find(
        &self,
        owner: Uuid,
        arguments: &mut Map<String, Value>,
        title_field: &str,
        prefer_active: bool,
    ) -> Result<Task, ToolError> {
        let id = arguments.remove("task_id");
        let title = arguments.remove(title_field);
        match (id, title) {
            (Some(Value::String(raw)), _) => {
                let id = Uuid::try_parse(raw.trim())
                    .map_err(|_| ToolError::one_field("task_id", "must be a task id (a UUID)"))?;
                self.store
                    .task(owner, id)
                    .await?
                    .ok_or_else(|| ToolError::not_found("with this id"))
            }
            (Some(Value::Null) | None, Some(Value::String(title))) if !title.trim().is_empty() => {
                let title = title.trim();
                let mut found = self
                    .store
                    .tasks_titled(owner, title, CANDIDATES_MAX)
                    .await?;
                if prefer_active && found.iter().any(|t| !t.completed) {
                    found.retain(|t| !t.completed);
                }
                match found.len() {
                    0 => Err(ToolError::not_found(&format!("titled {title:?}"))),
                    1 => Ok(found.remove(0)),
                    n => Err(ToolError {
                        code: ErrorCode::AmbiguousMatch,
                        message: format!(
                            "{n} tasks match {title:?}; say which one (by task_id or a fuller title)"
                        ),
                        fields: BTreeMap::new(),
                        candidates: found
                            .into_iter()
                            .map(|t| TaskCandidate {
                                id: t.id,
                                title: t.title,
                                completed: t.completed,
                            })
                            .collect(),
                    }),
                }
            }
            (Some(_), _) => Err(ToolError::one_field(
                "task_id",
                "must be a task id (a UUID)",
            )),
            (_, Some(Value::String(_) | Value::Null) | None) => Err(ToolError::one_field(
                "task_id",
                &format!("give the task's task_id or its {title_field}"),
            )),
            (_, Some(_)) => Err(ToolError::one_field(title_field, "must be a string")),
        }
    }
}

fn refuse_extra(arguments: Map<String, Value>) -> Result<(), ToolError> {
    let mut errors = FieldErrors::default();
    for key in arguments.keys() {
        errors.add(key.clone(), "is not a known field");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ToolError::invalid(errors))
    }
}

fn task_json(task: &Task) -> Value {
    serde_json::to_value(task).expect("tasks serialise")
}

/// One line saying what a call did, for people: "Added task “Buy milk”
/// · high · due Dec 3 08:00 · every Thursday · reminder 1 hour before";
/// "Completed task “Water plants” · next due Dec 14". `tool` is the name
/// the model asked for.
pub fn describe(tool: &str, result: &Result<Value, ToolError>) -> String {
    let Ok(tool) = tool.parse::<Tool>() else {
        return match result {
            Ok(_) => format!("Ran {tool}"),
            Err(error) => format!("A tool failed: {}", error.message),
        };
    };
    let value = match result {
        Ok(value) => value,
        Err(error) => return format!("{} failed: {}", verb_of(tool), error.message),
    };
    let title = value["title"].as_str().unwrap_or("");
    let details = || {
        let mut parts = vec![format!("“{title}”")];
        if let Some(priority) = value["priority"].as_str().filter(|p| *p != "medium") {
            parts.push(priority.to_owned());
        }
        if let Some(due) = due_of(value) {
            parts.push(format!("due {}", due.written("%b %-d")));
        }
        parts.extend(schedule_notes(value));
        parts.join(" · ")
    };
    match tool {
        Tool::AddTask => format!("Added task {}", details()),
        Tool::CompleteTask => match next_due(value) {
            Some(next) => format!(
                "Completed task “{title}” · next due {}",
                next.format("%b %-d")
            ),
            None => format!("Completed task “{title}”"),
        },
        Tool::UpdateTask => format!("Updated task {}", details()),
        Tool::DeleteTask => format!("Deleted task “{title}”"),
        Tool::ListTasks => {
            let total = value["total"].as_u64().unwrap_or(0);
            format!("Listed tasks: {total} found")
        }
    }
}

/// When a task (as a tool answers it) is due: a date, and maybe a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Due {
    /// The date in `date_format`, then the time as HH:MM if there is one.
    pub fn written(self, date_format: &str) -> String {
        match self.time {
            Some(time) => format!("{} {}", self.date.format(date_format), time.format("%H:%M")),
            None => self.date.format(date_format).to_string(),
        }
    }

    /// Whether it is past at `now` (the user's wall clock): a task due
    /// some time on a day is past only once that day is.
    pub fn is_past(self, now: NaiveDateTime) -> bool {
        match self.time {
            Some(time) => self.date.and_time(time) < now,
            None => self.date < now.date(),
        }
    }
}

pub fn due_of(task: &Value) -> Option<Due> {
    let date = crate::domain::parse_date(task["due_date"].as_str()?).ok()?;
    let time = task["due_time"]
        .as_str()
        .and_then(|t| DueTime::parse(t).ok())
        .map(DueTime::time);
    Some(Due { date, time })
}

/// The date of the occurrence that completing `task` created: its rule's
/// next date after its due date, which is how the store made it. None
/// when completing it created none.
pub fn next_due(task: &Value) -> Option<NaiveDate> {
    task["next_occurrence_id"].as_str()?;
    let rule = Recurrence::parse(task["recurrence"].as_str()?).ok()?;
    let (next, _) = rule.next_occurrence(due_of(task)?.date)?;
    Some(next)
}

/// How a task repeats and reminds, in words: "every Monday", "reminder 1
/// hour before".
pub fn schedule_notes(task: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(summary) = task["recurrence_summary"].as_str() {
        notes.push(summary.to_owned());
    }
    let leads: Vec<u64> = task["reminders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    if !leads.is_empty() {
        let each: Vec<String> = leads.iter().map(|&m| reminder_lead(m)).collect();
        let noun = if leads.len() == 1 {
            "reminder"
        } else {
            "reminders"
        };
        notes.push(format!("{noun} {}", english_list(&each)));
    }
    notes
}

/// A reminder's lead in words: 0 → "at the due time", 90 → "1 hour 30
/// minutes before", 2880 → "2 days before", 10080 → "1 week before".
pub fn reminder_lead(minutes: u64) -> String {
    const WEEK: u64 = 7 * 24 * 60;
    if minutes == 0 {
        return "at the due time".to_owned();
    }
    let unit = |n: u64, name: &str| format!("{n} {name}{}", if n == 1 { "" } else { "s" });
    if minutes.is_multiple_of(WEEK) {
        return format!("{} before", unit(minutes / WEEK, "week"));
    }
    let parts: Vec<String> = [
        (minutes / 1440, "day"),
        (minutes % 1440 / 60, "hour"),
        (minutes % 60, "minute"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, name)| unit(n, name))
    .collect();
    format!("{} before", parts.join(" "))
}

/// "a", "a and b", "a, b and c".
fn english_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn verb_of(tool: Tool) -> &'static str {
    match tool {
        Tool::AddTask => "Adding a task",
        Tool::ListTasks => "Listing tasks",
        Tool::CompleteTask => "Completing a task",
        Tool::UpdateTask => "Updating a task",
        Tool::DeleteTask => "Deleting a task",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_that_refuses_unknown_fields() {
        let specs = specs();
        let names: Vec<&str> = specs.iter().map(ToolSpec::name).collect();
        assert_eq!(
            names,
            [
                "add_task",
                "list_tasks",
                "complete_task",
                "update_task",
                "delete_task"
            ]
        );
        for spec in &specs {
            assert_eq!(spec.input_schema["type"], "object", "{}", spec.name());
            assert_eq!(
                spec.input_schema["additionalProperties"],
                false,
                "{}",
                spec.name()
            );
        }
        let add = &specs[0].input_schema;
        assert_eq!(add["required"], json!(["title"]));
        assert!(add["properties"]["priority"].to_string().contains("high"));
    }

    #[test]
    fn the_schedule_arguments_say_their_form_and_what_they_need() {
        for tool in [Tool::AddTask, Tool::UpdateTask] {
            let schema = spec(tool).input_schema;
            let property = |name: &str| schema["properties"][name].clone();
            let due_time = property("due_time");
            assert_eq!(due_time["pattern"], todo_api::patterns::DUE_TIME, "{tool}");
            let said = due_time["description"].as_str().unwrap();
            assert!(
                said.contains("HH:MM") && said.contains("time zone"),
                "{tool}: {said}"
            );
            let recurrence = property("recurrence")["description"].to_string();
            assert!(
                recurrence.contains("FREQ=WEEKLY;BYDAY=MO") && recurrence.contains("canonical"),
                "{tool}: {recurrence}"
            );
            let reminders = property("reminders");
            // The parsers refuse null for an array: the schema does not offer it.
            assert_eq!(reminders["type"], "array", "{tool}: {reminders}");
            assert_eq!(reminders["maxItems"], 5, "{tool}");
            assert_eq!(reminders["items"]["minimum"], 0, "{tool}");
            assert_eq!(reminders["items"]["maximum"], 40320, "{tool}");
            assert!(
                reminders["description"]
                    .to_string()
                    .contains("minutes before")
            );
            assert_eq!(property("tags")["type"], "array", "{tool}");
        }
        let add = spec(Tool::AddTask).input_schema;
        for (field, needs) in [
            ("due_time", "Needs due_date"),
            ("recurrence", "Needs due_date"),
            ("reminders", "Need due_time"),
        ] {
            let said = add["properties"][field]["description"].to_string();
            assert!(said.contains(needs), "{field}: {said}");
        }
        // Every example in the rule's description is a rule the API takes
        // as written.
        let described = add["properties"]["recurrence"]["description"]
            .as_str()
            .unwrap()
            .to_owned();
        let examples: Vec<&str> = described
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .map(|word| word.trim_end_matches([';', ',', '.']))
            .filter(|word| word.starts_with("FREQ="))
            .collect();
        assert!(examples.len() >= 8, "{examples:?}");
        for example in examples {
            let rule = Recurrence::parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
            assert_eq!(rule.rrule(), example);
        }
    }

    #[test]
    fn the_hints_say_what_each_tool_does() {
        for spec in specs() {
            let Hints {
                read_only,
                destructive,
                idempotent,
            } = spec.hints;
            let name = spec.name();
            assert_eq!(
                read_only,
                !writes(spec.tool),
                "{name}: reads iff it needs no write scope"
            );
            assert!(
                !(read_only && destructive),
                "{name}: a read destroys nothing"
            );
            assert!(!read_only || idempotent, "{name}: a read can be repeated");
            assert!(!spec.title.is_empty() && spec.title.len() <= 40, "{name}");
        }
        let hints = |tool| spec(tool).hints;
        // Adding a task makes a new one each time, and so does completing
        // a repeating task by title (its next occurrence, then the next).
        assert!(!hints(Tool::AddTask).idempotent);
        assert!(!hints(Tool::CompleteTask).idempotent);
        assert!(hints(Tool::DeleteTask).destructive && hints(Tool::DeleteTask).idempotent);
        assert!(hints(Tool::UpdateTask).destructive);
        assert!(!hints(Tool::CompleteTask).destructive);
    }

    #[test]
    fn output_schemas_are_objects_built_on_the_task_schema() {
        let task = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        for &tool in Tool::ALL.iter() {
            let schema = output_schema(tool, &task);
            assert!(schema.contains_key("properties"), "{tool}: {schema:?}");
            assert!(schema.contains_key("type"), "{tool}: an object schema");
        }
        assert_eq!(Value::Object(output_schema(Tool::AddTask, &task)), task);
        assert_eq!(
            output_schema(Tool::ListTasks, &task)["properties"]["items"]["items"],
            task
        );
    }

    #[test]
    fn a_scheduled_task_and_a_completed_repeat_read_as_one_line() {
        let task = json!({
            "title": "Water plants", "priority": "medium", "due_date": "2026-12-07",
            "due_time": "08:00", "recurrence": "FREQ=WEEKLY;BYDAY=MO",
            "recurrence_summary": "every Monday", "reminders": [0, 60],
            "next_occurrence_id": null,
        });
        assert_eq!(
            describe("add_task", &Ok(task.clone())),
            "Added task “Water plants” · due Dec 7 08:00 · every Monday · reminders at the due time and 1 hour before"
        );
        let mut done = task;
        done["completed"] = json!(true);
        assert_eq!(
            describe("complete_task", &Ok(done.clone())),
            "Completed task “Water plants”",
            "no next occurrence was made"
        );
        done["next_occurrence_id"] = json!(Uuid::nil());
        assert_eq!(
            describe("complete_task", &Ok(done.clone())),
            "Completed task “Water plants” · next due Dec 14"
        );
        // The next date is the rule's, as the store computes it: a month's
        // last day from January's.
        done["due_date"] = json!("2027-01-31");
        done["recurrence"] = json!("FREQ=MONTHLY;BYMONTHDAY=-1");
        assert_eq!(
            next_due(&done),
            NaiveDate::from_ymd_opt(2027, 2, 28),
            "{done}"
        );
    }

    #[test]
    fn reminder_leads_read_in_the_largest_units() {
        for (minutes, said) in [
            (0, "at the due time"),
            (1, "1 minute before"),
            (30, "30 minutes before"),
            (60, "1 hour before"),
            (90, "1 hour 30 minutes before"),
            (1440, "1 day before"),
            (1500, "1 day 1 hour before"),
            (2880, "2 days before"),
            (10080, "1 week before"),
            (40320, "4 weeks before"),
        ] {
            assert_eq!(reminder_lead(minutes), said);
        }
    }

    #[test]
    fn actions_read_as_one_line() {
        let task = json!({"title": "Buy milk", "priority": "high", "due_date": "2026-12-03"});
        assert_eq!(
            describe("add_task", &Ok(task)),
            "Added task “Buy milk” · high · due Dec 3"
        );
        let error = ToolError::not_found("titled \"x\"");
        assert_eq!(
            describe("delete_task", &Err(error)),
            "Deleting a task failed: no task titled \"x\""
        );
    }
}
