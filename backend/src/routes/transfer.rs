//! Export and import of the caller's data: one versioned JSON document
//! ([`todo_api::Export`]) out, the same document back in, all or nothing.
//!
//! The export is written as it is read, a page of rows at a time, and
//! only as fast as the client takes it, so neither its size nor a slow
//! client decides what the server holds: one page, one buffer, and no
//! database connection between pages. One user runs one export at a time
//! (per replica, like the write budgets), for at most
//! `EXPORT_TIME_LIMIT_SECONDS`; an export that cannot finish ends its
//! body unfinished, so the client sees a broken download, never a
//! shorter document.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value, json};
use todo_api::{
    EXPORT_FORMAT, EXPORT_VERSION, ErrorBody, Export, ExportWriter, ExportedMessage, ExportedTask,
    ImportSummary, Role,
};
use tokio::time::Instant;
use uuid::Uuid;

use crate::assistant::agent::TOOL_DATA_MAX_BYTES;
use crate::assistant::stored_record;
use crate::auth::{Caller, Writer};
use crate::domain::{FieldErrors, Quota, Quotas, TaskDraft};
use crate::error::ApiError;
use crate::extract::JsonObject;
use crate::state::AppState;
use crate::store::{
    ConversationExport, ImportBatch, ImportedConversation, ImportedMessage, ImportedTask,
    MessageRow, Store, StoreError, now,
};

/// The caller's tasks and conversations, as one document an import takes
/// back (ids are left out: an import gives new ones).
#[utoipa::path(get, path = "/api/export", tag = "auth", operation_id = "exportData",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every task and conversation of the caller, oldest first", body = Export),
        (status = 429, description = "An export of this user is already under way; see Retry-After", body = ErrorBody),
    ))]
pub async fn export(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let limits = state.config.export;
    let turn = ExportTurn::take(caller.user_id, limits.time_limit)?;
    // Whatever fails before the first byte is still an error response.
    state.store.unless_owner_gone(caller.user_id, ()).await?;
    let download = Download {
        pages: Pages::new(state.store.clone(), caller.user_id, limits.page_rows),
        writer: ExportWriter::new(now()),
        turn,
        time_limit: limits.time_limit,
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        download.into_body(),
    )
        .into_response())
}

/// Bytes collected before they are handed on: enough that a chunk is
/// worth a write, small beside a page of rows.
const CHUNK_BYTES: usize = 64 * 1024;

/// The longest a refused second export is told to wait: most exports
/// take seconds, though one may run to its time limit.
const EXPORT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// An export on its way out.
struct Download {
    pages: Pages,
    writer: ExportWriter,
    turn: ExportTurn,
    time_limit: Duration,
}

/// Why an export's body ended before the document did.
#[derive(Debug, thiserror::Error)]
enum Unfinished {
    #[error("the export took longer than {0:?}")]
    TimedOut(Duration),
    #[error("the account was deleted during the export")]
    AccountGone,
    #[error("reading the export failed: {0}")]
    Store(StoreError),
}

impl Download {
    /// The body: polled only as the client reads, each poll reading
    /// pages until a chunk is full or the document ends. An error ends
    /// the body before its last chunk (the connection closes without
    /// finishing it), and the document is never closed: what the client
    /// has is not valid JSON.
    fn into_body(self) -> Body {
        let chunks = futures::stream::unfold(Some(self), |download| async move {
            let mut download = download?;
            let deadline = download.turn.deadline;
            let outcome = match tokio::time::timeout_at(deadline, download.fill()).await {
                Ok(Ok(chunk)) => Ok(chunk),
                Ok(Err(StoreError::OwnerGone)) => Err(Unfinished::AccountGone),
                Ok(Err(error)) => Err(Unfinished::Store(error)),
                Err(_) => Err(Unfinished::TimedOut(download.time_limit)),
            };
            match outcome {
                Ok((chunk, finished)) => Some((Ok(chunk), (!finished).then_some(download))),
                Err(why) => {
                    tracing::warn!(user = %download.turn.user, error = %why, "export ended unfinished");
                    Some((Err(why), None))
                }
            }
        });
        Body::from_stream(chunks)
    }

    /// The next chunk, and whether it ends the document.
    async fn fill(&mut self) -> Result<(Vec<u8>, bool), StoreError> {
        while self.writer.buffered() < CHUNK_BYTES {
            match self.pages.next().await? {
                Some(item) => self.write(item),
                None => {
                    self.writer.finish();
                    return Ok((self.writer.take(), true));
                }
            }
        }
        Ok((self.writer.take(), false))
    }

    fn write(&mut self, item: Item) {
        match item {
            Item::Task(task) => self.writer.task(&ExportedTask {
                title: task.title,
                description: task.description,
                completed: task.completed,
                priority: task.priority,
                due_date: task.due_date,
                due_time: task.due_time,
                recurrence: task.recurrence,
                reminders: task.reminders,
                tags: task.tags,
                created_at: task.created_at,
                updated_at: task.updated_at,
            }),
            Item::Conversation(conversation) => self.writer.conversation(
                &conversation.title,
                &conversation.created_at,
                &conversation.updated_at,
            ),
            Item::Message(row) => {
                let role = row.role();
                // A tool message's record; an assistant's pending
                // confirmation is not carried (it names this account's
                // tasks and is answered here or never).
                let tool_call = match role {
                    Role::Tool => stored_record(&row),
                    _ => None,
                };
                self.writer.message(&ExportedMessage {
                    role,
                    content: row.content,
                    tool_call,
                    created_at: row.created_at,
                });
            }
        }
    }
}

/// The next thing an export writes, in the document's order: every task,
/// then each conversation followed by its messages.
enum Item {
    Task(todo_api::Task),
    Conversation(ConversationExport),
    /// A message of the last conversation.
    Message(MessageRow),
}

/// Where an export has got to, and the rest of the page it read last:
/// at most a page of rows is held, and no connection between pages.
///
/// Not a snapshot: what changes while an export runs may or may not be in
/// it. But an account deleted before the end is an error, never a short
/// document: its rows vanish with it, and an empty page looks like the
/// end, so the end is believed only once the owner is still there.
struct Pages {
    store: Store,
    owner: Uuid,
    rows: u32,
    at: Position,
    /// What was read and not yet written: at most a page.
    ready: VecDeque<Item>,
    /// Conversations read ahead of their messages: at most a page.
    heads: VecDeque<ConversationExport>,
    /// Where the next page of conversations starts; `None` once the last
    /// one is read.
    heads_after: Option<Option<(DateTime<Utc>, Uuid)>>,
}

#[derive(Clone, Copy)]
enum Position {
    Tasks {
        after: Option<(DateTime<Utc>, Uuid)>,
    },
    Messages {
        conversation: Uuid,
        after: i32,
    },
    NextConversation,
    Finished,
}

impl Pages {
    fn new(store: Store, owner: Uuid, rows: u32) -> Self {
        Self {
            store,
            owner,
            rows: rows.max(1),
            at: Position::Tasks { after: None },
            ready: VecDeque::new(),
            heads: VecDeque::new(),
            heads_after: Some(None),
        }
    }

    /// The next item, reading a page when the last is used up; `None` at
    /// the end.
    async fn next(&mut self) -> Result<Option<Item>, StoreError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            if !self.read_page().await? {
                return Ok(None);
            }
        }
    }

    /// Reads what comes next into `ready` (possibly nothing: a short
    /// page ends its list); `false` at the end.
    async fn read_page(&mut self) -> Result<bool, StoreError> {
        let (store, owner, rows) = (&self.store, self.owner, self.rows);
        let full = |read: usize| read >= rows as usize;
        match self.at {
            Position::Tasks { after } => {
                let tasks = store.export_tasks(owner, after, rows).await?;
                self.at = match tasks.last() {
                    Some(last) if full(tasks.len()) => Position::Tasks {
                        after: Some((last.created_at, last.id)),
                    },
                    _ => Position::NextConversation,
                };
                self.ready.extend(tasks.into_iter().map(Item::Task));
            }
            Position::Messages {
                conversation,
                after,
            } => {
                let messages = store
                    .export_messages(owner, conversation, after, rows)
                    .await?;
                self.at = match messages.last() {
                    Some(last) if full(messages.len()) => Position::Messages {
                        conversation,
                        after: last.position,
                    },
                    _ => Position::NextConversation,
                };
                self.ready.extend(messages.into_iter().map(Item::Message));
            }
            Position::NextConversation => {
                if self.heads.is_empty()
                    && let Some(after) = self.heads_after
                {
                    let heads = store.export_conversations(owner, after, rows).await?;
                    self.heads_after = match heads.last() {
                        Some(last) if full(heads.len()) => Some(Some((last.created_at, last.id))),
                        _ => None,
                    };
                    self.heads.extend(heads);
                }
                match self.heads.pop_front() {
                    Some(head) => {
                        self.at = Position::Messages {
                            conversation: head.id,
                            after: -1,
                        };
                        self.ready.push_back(Item::Conversation(head));
                    }
                    None => {
                        store.unless_owner_gone(owner, ()).await?;
                        self.at = Position::Finished;
                        return Ok(false);
                    }
                }
            }
            Position::Finished => return Ok(false),
        }
        Ok(true)
    }
}

/// Exports under way in this process, by user: the turn's ticket (so an
/// ending export forgets only itself) and its deadline.
static EXPORTS: LazyLock<Mutex<HashMap<Uuid, (u64, Instant)>>> = LazyLock::new(Default::default);
static TICKETS: AtomicU64 = AtomicU64::new(0);

/// A user's one export at a time, held until its body is done or dropped.
/// A turn past its deadline no longer counts: its body ends with an error
/// the next time it is read, and a client that stopped reading must not
/// keep its user from exporting again.
#[derive(Debug)]
struct ExportTurn {
    user: Uuid,
    ticket: u64,
    deadline: Instant,
}

impl ExportTurn {
    fn take(user: Uuid, time_limit: Duration) -> Result<Self, ApiError> {
        let now = Instant::now();
        let mut exports = EXPORTS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, deadline)) = exports.get(&user)
            && *deadline > now
        {
            return Err(ApiError::TooManyRequests {
                retry_after: (*deadline - now).min(EXPORT_RETRY_AFTER),
            });
        }
        let ticket = TICKETS.fetch_add(1, Ordering::Relaxed);
        let deadline = now + time_limit;
        exports.insert(user, (ticket, deadline));
        Ok(Self {
            user,
            ticket,
            deadline,
        })
    }
}

impl Drop for ExportTurn {
    fn drop(&mut self) {
        let mut exports = EXPORTS.lock().unwrap_or_else(PoisonError::into_inner);
        if exports
            .get(&self.user)
            .is_some_and(|(ticket, _)| *ticket == self.ticket)
        {
            exports.remove(&self.user);
        }
    }
}

/// Adds an export document's tasks and conversations to the caller's
/// account, all or nothing; what is there stays.
#[utoipa::path(post, path = "/api/import", tag = "auth", operation_id = "importData",
    security(("bearer" = [])), request_body = Export,
    responses(
        (status = 201, description = "Everything was added; how many of each", body = ImportSummary),
        (status = 409, description = "The account would hold more tasks or conversations than it may, or a conversation more messages (`quota_exceeded`); nothing was stored", body = ErrorBody),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 422, description = "Another `format` or `version`, or an invalid task or message (`fields` names it, as `tasks[3].title`); nothing was stored", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    Writer(caller): Writer,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<ImportSummary>), ApiError> {
    let batch = parse_import(body, state.store.quotas())?;
    let (tasks, conversations) = state.store.import(caller.user_id, batch).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportSummary {
            tasks,
            conversations,
        }),
    ))
}

/// Invalid items reported before the parser stops looking at more.
const REPORTED_ITEMS_MAX: usize = 20;

/// Characters a conversation's title may have.
const CONVERSATION_TITLE_MAX_CHARS: usize = 200;

/// An export document, checked as a whole: its format and version first,
/// then every task through the parser of `POST /api/tasks`, and every
/// conversation and message; a document with more items than the quotas
/// could ever admit is refused before its items are read.
pub fn parse_import(mut body: Map<String, Value>, quotas: Quotas) -> Result<ImportBatch, ApiError> {
    let mut errors = FieldErrors::default();
    if body.remove("format") != Some(json!(EXPORT_FORMAT)) {
        errors.add("format", format!("must be \"{EXPORT_FORMAT}\""));
    }
    let version = body.remove("version");
    if version.as_ref().and_then(Value::as_u64) != Some(u64::from(EXPORT_VERSION)) {
        errors.add(
            "version",
            format!("must be {EXPORT_VERSION}, the only version this server reads"),
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(value) = body.remove("exported_at") {
        timestamp(&mut errors, "exported_at", Some(value));
    }
    let tasks = array(&mut errors, &mut body, "tasks", "tasks");
    let conversations = array(&mut errors, &mut body, "conversations", "conversations");
    for key in body.keys() {
        errors.add(key.clone(), "is not a known field");
    }
    if tasks.len() as u64 > quotas.tasks {
        return Err(StoreQuota(Quota::Tasks(quotas.tasks)).into());
    }
    if conversations.len() as u64 > quotas.conversations {
        return Err(StoreQuota(Quota::Conversations(quotas.conversations)).into());
    }
    let mut batch = ImportBatch::default();
    let mut invalid = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        if invalid >= REPORTED_ITEMS_MAX {
            break;
        }
        let at = format!("tasks[{i}]");
        match parse_task(&at, task) {
            Ok(task) => batch.tasks.push(task),
            Err(problems) => {
                invalid += 1;
                for (field, problem) in problems.into_map() {
                    errors.add(field, problem);
                }
            }
        }
    }
    for (i, conversation) in conversations.into_iter().enumerate() {
        if invalid >= REPORTED_ITEMS_MAX {
            break;
        }
        let at = format!("conversations[{i}]");
        match parse_conversation(&at, conversation, quotas) {
            Ok(conversation) => batch.conversations.push(conversation),
            Err(ParseError::Fields(problems)) => {
                invalid += 1;
                for (field, problem) in problems.into_map() {
                    errors.add(field, problem);
                }
            }
            Err(ParseError::Quota(quota)) => return Err(StoreQuota(quota).into()),
        }
    }
    errors.finish(|| batch).map_err(ApiError::from)
}

/// A quota the document passes by itself.
struct StoreQuota(Quota);

impl From<StoreQuota> for ApiError {
    fn from(StoreQuota(quota): StoreQuota) -> Self {
        ApiError::QuotaExceeded(quota.message())
    }
}

enum ParseError {
    Fields(FieldErrors),
    Quota(Quota),
}

/// The member `key` as an array (reported as `field`): absent or `null`
/// is empty.
fn array(
    errors: &mut FieldErrors,
    body: &mut Map<String, Value>,
    key: &str,
    field: &str,
) -> Vec<Value> {
    match body.remove(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add(field, "must be an array");
            Vec::new()
        }
    }
}

/// An RFC 3339 timestamp at the precision the store keeps; absent or
/// `null` is now.
fn timestamp(errors: &mut FieldErrors, field: &str, value: Option<Value>) -> DateTime<Utc> {
    match value {
        None | Some(Value::Null) => now(),
        Some(Value::String(text)) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => at.with_timezone(&Utc).trunc_subsecs(6),
            Err(_) => {
                errors.add(field, "must be an RFC 3339 timestamp");
                now()
            }
        },
        Some(_) => {
            errors.add(field, "must be an RFC 3339 timestamp");
            now()
        }
    }
}

/// The `created_at` and `updated_at` of the item at `at`, both as
/// [`timestamp`] reads them.
fn dates(
    errors: &mut FieldErrors,
    at: &str,
    map: &mut Map<String, Value>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let mut read = |field: &str| timestamp(errors, &format!("{at}.{field}"), map.remove(field));
    (read("created_at"), read("updated_at"))
}

fn object(at: &str, value: Value) -> Result<Map<String, Value>, FieldErrors> {
    match value {
        Value::Object(map) => Ok(map),
        _ => {
            let mut errors = FieldErrors::default();
            errors.add(at, "must be an object");
            Err(errors)
        }
    }
}

/// A task: its dates, then the rest exactly as `POST /api/tasks` takes it.
fn parse_task(at: &str, value: Value) -> Result<ImportedTask, FieldErrors> {
    let mut map = object(at, value)?;
    let mut errors = FieldErrors::default();
    let (created_at, updated_at) = dates(&mut errors, at, &mut map);
    let draft = match TaskDraft::parse(map) {
        Ok(draft) => Some(draft),
        Err(problems) => {
            for (field, problem) in problems.into_map() {
                errors.add(format!("{at}.{field}"), problem);
            }
            None
        }
    };
    match draft {
        Some(draft) if errors.is_empty() => Ok(ImportedTask {
            draft,
            created_at,
            updated_at,
        }),
        _ => Err(errors),
    }
}

/// Text without NUL (which PostgreSQL cannot store).
fn text(errors: &mut FieldErrors, field: &str, value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) if text.contains('\0') => {
            errors.add(field, "must not contain NUL characters");
            None
        }
        Some(Value::String(text)) => Some(text),
        None | Some(Value::Null) => {
            errors.add(field, "is required");
            None
        }
        Some(_) => {
            errors.add(field, "must be a string");
            None
        }
    }
}

fn parse_conversation(
    at: &str,
    value: Value,
    quotas: Quotas,
) -> Result<ImportedConversation, ParseError> {
    let mut map = object(at, value).map_err(ParseError::Fields)?;
    let mut errors = FieldErrors::default();
    let title_field = format!("{at}.title");
    let title = text(&mut errors, &title_field, map.remove("title"));
    if title
        .as_ref()
        .is_some_and(|t| t.chars().count() > CONVERSATION_TITLE_MAX_CHARS)
    {
        errors.add(
            title_field,
            format!("must be at most {CONVERSATION_TITLE_MAX_CHARS} characters"),
        );
    }
    let (created_at, updated_at) = dates(&mut errors, at, &mut map);
    let messages = array(&mut errors, &mut map, "messages", &format!("{at}.messages"));
    for key in map.keys() {
        errors.add(format!("{at}.{key}"), "is not a known field");
    }
    if messages.len() as u64 > quotas.messages_per_conversation {
        return Err(ParseError::Quota(Quota::MessagesPerConversation(
            quotas.messages_per_conversation,
        )));
    }
    let mut parsed = Vec::with_capacity(messages.len());
    for (i, message) in messages.into_iter().enumerate() {
        match parse_message(&format!("{at}.messages[{i}]"), message) {
            Ok(message) => parsed.push(message),
            Err(problems) => {
                for (field, problem) in problems.into_map() {
                    errors.add(field, problem);
                }
            }
        }
    }
    match title {
        Some(title) if errors.is_empty() => Ok(ImportedConversation {
            title,
            created_at,
            updated_at,
            messages: parsed,
        }),
        _ => Err(ParseError::Fields(errors)),
    }
}

fn parse_message(at: &str, value: Value) -> Result<ImportedMessage, FieldErrors> {
    let mut map = object(at, value)?;
    let mut errors = FieldErrors::default();
    let role_field = format!("{at}.role");
    let role = match map.remove("role") {
        Some(Value::String(role)) => match role.as_str() {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        },
        _ => None,
    };
    if role.is_none() {
        errors.add(role_field, "must be one of user, assistant, tool");
    }
    let content = text(&mut errors, &format!("{at}.content"), map.remove("content"));
    let created_at = timestamp(
        &mut errors,
        &format!("{at}.created_at"),
        map.remove("created_at"),
    );
    let tool_field = format!("{at}.tool_call");
    let tool_data = match map.remove("tool_call") {
        None | Some(Value::Null) => None,
        Some(Value::Object(mut call)) => {
            let tool = call.remove("tool");
            // As the API shows a tool record: a name, and two objects.
            let arguments = call.remove("arguments");
            let result = call.remove("result");
            let shaped = matches!(tool, Some(Value::String(_)))
                && matches!(arguments, Some(Value::Object(_)))
                && matches!(result, Some(Value::Object(_)));
            if !call.is_empty() || !shaped {
                errors.add(
                    tool_field.clone(),
                    "must be {\"tool\": <name>, \"arguments\": …, \"result\": …}",
                );
            }
            if role != Some(Role::Tool) {
                errors.add(
                    tool_field.clone(),
                    "only a tool message carries a tool call",
                );
            }
            let data = json!({"tool": tool, "arguments": arguments, "result": result}).to_string();
            if data.len() > TOOL_DATA_MAX_BYTES {
                errors.add(
                    tool_field.clone(),
                    format!("must be at most {} KiB", TOOL_DATA_MAX_BYTES / 1024),
                );
            }
            Some(data)
        }
        Some(_) => {
            errors.add(tool_field, "must be an object");
            None
        }
    };
    for key in map.keys() {
        errors.add(format!("{at}.{key}"), "is not a known field");
    }
    match (role, content) {
        (Some(role), Some(content)) if errors.is_empty() => Ok(ImportedMessage {
            role,
            content,
            tool_data,
            created_at,
        }),
        _ => Err(errors),
    }
}
