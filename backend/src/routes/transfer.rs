//! Export and import of the caller's data: one versioned JSON document
//! ([`todo_api::Export`]) out, the same document back in, all or nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value, json};
use todo_api::{
    EXPORT_FORMAT, EXPORT_VERSION, ErrorBody, Export, ExportedConversation, ExportedMessage,
    ExportedTask, ImportSummary, Role,
};

use crate::assistant::agent::TOOL_DATA_MAX_BYTES;
use crate::assistant::stored_record;
use crate::auth::{Caller, Writer};
use crate::domain::{FieldErrors, Quota, Quotas, TaskDraft};
use crate::error::ApiError;
use crate::extract::JsonObject;
use crate::state::AppState;
use crate::store::{ImportBatch, ImportedConversation, ImportedMessage, ImportedTask, now};

/// The caller's tasks and conversations, as one document an import takes
/// back (ids are left out: an import gives new ones).
#[utoipa::path(get, path = "/api/export", tag = "auth", operation_id = "exportData",
    security(("bearer" = [])),
    responses((status = 200, description = "Every task and conversation of the caller, oldest first", body = Export)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Export>, ApiError> {
    let (tasks, conversations) = state.store.export(caller.user_id).await?;
    let tasks = tasks
        .into_iter()
        .map(|task| ExportedTask {
            title: task.title,
            description: task.description,
            completed: task.completed,
            priority: task.priority,
            due_date: task.due_date,
            tags: task.tags,
            created_at: task.created_at,
            updated_at: task.updated_at,
        })
        .collect();
    let conversations = conversations
        .into_iter()
        .map(|conversation| ExportedConversation {
            messages: conversation
                .messages
                .iter()
                .map(|row| ExportedMessage {
                    role: row.role(),
                    content: row.content.clone(),
                    // A tool message's record; an assistant's pending
                    // confirmation is not carried (it names this
                    // account's tasks and is answered here or never).
                    tool_call: match row.role() {
                        Role::Tool => stored_record(row),
                        _ => None,
                    },
                    created_at: row.created_at,
                })
                .collect(),
            title: conversation.title,
            created_at: conversation.created_at,
            updated_at: conversation.updated_at,
        })
        .collect();
    Ok(Json(Export::new(now(), tasks, conversations)))
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
    let created_at = timestamp(
        &mut errors,
        &format!("{at}.created_at"),
        map.remove("created_at"),
    );
    let updated_at = timestamp(
        &mut errors,
        &format!("{at}.updated_at"),
        map.remove("updated_at"),
    );
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
    let created_at = timestamp(
        &mut errors,
        &format!("{at}.created_at"),
        map.remove("created_at"),
    );
    let updated_at = timestamp(
        &mut errors,
        &format!("{at}.updated_at"),
        map.remove("updated_at"),
    );
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
