//! Task endpoints: list, create, read, update, delete, stats, clear completed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::Utc;
use todo_api::{
    ClearedCompleted, ErrorBody, ListQuery, NewTask, Task, TaskList, TaskListWriter, TaskOverview,
    TaskPatch, TaskStats,
};

use crate::auth::{Caller, Writer};
use crate::domain::{TaskChanges, TaskDraft, TaskQuery};
use crate::error::ApiError;
use crate::extract::{JsonObject, QueryPairs, TaskId};
use crate::state::AppState;

/// The caller's tasks, filtered, sorted and paginated in SQL.
#[utoipa::path(get, path = "/api/tasks", tag = "tasks", operation_id = "listTasks",
    security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "One page of matching tasks, and how many match in all", body = TaskList),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryPairs(pairs): QueryPairs,
) -> Result<impl IntoResponse, ApiError> {
    let query = TaskQuery::parse(&pairs)?;
    let page = state.store.task_page(caller.user_id, &query).await?;
    // Written from the rows as read: the same bytes as `Json(TaskList)`
    // (todo-api's tests hold the writer to that), without first copying
    // every task's text into an owned `Task`.
    let mut list = TaskListWriter::with_capacity(page.len());
    for task in page.tasks() {
        list.push(&task?);
    }
    let json = list.finish(page.total(), query.limit, query.offset);
    Ok(([(header::CONTENT_TYPE, APPLICATION_JSON)], json))
}

/// The media type `Json` answers with.
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

#[utoipa::path(post, path = "/api/tasks", tag = "tasks", operation_id = "createTask",
    security(("bearer" = [])), request_body = NewTask,
    responses(
        (status = 201, description = "Created; `Location` names it", body = Task,
            headers(("Location" = String, description = "/api/tasks/{id}"))),
        (status = 409, description = "The account holds the most tasks it may (`quota_exceeded`); nothing was stored", body = ErrorBody),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Writer(caller): Writer,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, HeaderMap, Json<Task>), ApiError> {
    let draft = TaskDraft::parse(body)?;
    let task = state.store.insert_task(caller.user_id, &draft).await?;
    let mut headers = HeaderMap::new();
    let location = HeaderValue::from_str(&format!("/api/tasks/{}", task.id))
        .expect("a UUID path is a valid header value");
    headers.insert(header::LOCATION, location);
    Ok((StatusCode::CREATED, headers, Json(task)))
}

#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", operation_id = "getTask",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = Task)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    TaskId(id): TaskId,
) -> Result<Json<Task>, ApiError> {
    state
        .store
        .task(caller.user_id, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("task"))
}

#[utoipa::path(patch, path = "/api/tasks/{id}", tag = "tasks", operation_id = "updateTask",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Task id")),
    request_body = TaskPatch,
    responses(
        (status = 200, description = "The task as changed", body = Task),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    Writer(caller): Writer,
    TaskId(id): TaskId,
    JsonObject(body): JsonObject,
) -> Result<Json<Task>, ApiError> {
    let changes = TaskChanges::parse(body)?;
    state
        .store
        .update_task(caller.user_id, id, &changes)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("task"))
}

#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks", operation_id = "deleteTask",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Task id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Writer(caller): Writer,
    TaskId(id): TaskId,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_task(caller.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("task"))
    }
}

/// Counts of the caller's tasks; overdue is relative to now in the
/// caller's time zone.
#[utoipa::path(get, path = "/api/tasks/stats", tag = "tasks", operation_id = "taskStats",
    security(("bearer" = [])), responses((status = 200, description = "Counts of the caller's tasks", body = TaskStats)))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TaskStats>, ApiError> {
    Ok(Json(state.store.stats(caller.user_id, Utc::now()).await?))
}

/// What the task list page shows, in one round trip: the caller's account,
/// their counts, and one page of tasks (the list's query parameters).
#[utoipa::path(get, path = "/api/tasks/overview", tag = "tasks", operation_id = "taskOverview",
    security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The account, its counts and one page of matching tasks", body = TaskOverview),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    ))]
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<TaskOverview>, ApiError> {
    let query = TaskQuery::parse(&pairs)?;
    Ok(Json(
        state
            .store
            .overview(caller.user_id, &query, Utc::now())
            .await?,
    ))
}

/// Delete all of the caller's completed tasks.
#[utoipa::path(post, path = "/api/tasks/clear-completed", tag = "tasks",
    operation_id = "clearCompleted", security(("bearer" = [])),
    responses(
        (status = 200, description = "How many tasks were deleted", body = ClearedCompleted),
        (status = 403, description = "The credential may not change tasks: a read-only personal access token (`insufficient_scope`)", body = ErrorBody),
        (status = 429, description = "The user's writes this minute are spent (shared by the API, `/mcp` and the assistant); see Retry-After", body = ErrorBody),
    ))]
pub async fn clear_completed(
    State(state): State<AppState>,
    Writer(caller): Writer,
) -> Result<Json<ClearedCompleted>, ApiError> {
    let deleted = state.store.clear_completed(caller.user_id).await?;
    Ok(Json(ClearedCompleted { deleted }))
}
