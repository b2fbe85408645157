//! `todo-backend selftest --url URL`: walks a live backend through the
//! whole contract (sign up, create, read, list, update, complete, stats,
//! delete; the MCP door: initialize, tools/list, tools/call; a repeating
//! task read through a calendar feed address, then revoked; a chat round
//! trip on the offline provider; delete the account) and reports the first
//! mismatch as a diff. This is the Helm test hook, so it only talks HTTP.
//! The frontend's own selftest walks the web pages the same way, with the
//! same kit (`todo_service::selftest`).

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::json;
use todo_api::{
    ApiClient, AuthResponse, CalendarFeedCreated, ChatResponse, ErrorBody, ErrorCode, Health,
    MessageList, PersonalTokenCreated, Priority, Readiness, SessionList, Task, TaskList, TaskStats,
    Tool, User,
};
use todo_service::selftest::{
    Mismatch, after_cleanup, call, call_text, expect_eq, mismatch, report,
};
use uuid::Uuid;

/// How long the `ready` step waits for `/ready` to answer 200.
const READY_WAIT: Duration = Duration::from_secs(10);

/// Which parts of the walk to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// The chat round trip expects the offline provider's answers; off
    /// when the backend talks to a real model.
    pub chat: bool,
}

/// The account the walk signed up: a client acting as it, and its
/// password (deleting an account asks for it).
struct Account {
    api: ApiClient,
    email: String,
    password: String,
}

/// Runs every step in order; on any failure, still deletes what it made.
pub async fn run(base_url: &str, walk: Walk) -> Result<(), Mismatch> {
    let api = ApiClient::new(base_url);
    println!("selftest against {}", api.base_url());
    let mut account: Option<Account> = None;
    let mut result = steps(&api, &mut account).await;
    if result.is_ok()
        && let Some(signed_up) = &account
    {
        result = session_steps(&api, signed_up).await;
    }
    if result.is_ok()
        && let Some(Account { api: user, .. }) = &account
    {
        result = mcp_steps(user).await;
        if result.is_ok() {
            result = calendar_steps(&api, user).await;
        }
        if result.is_ok() && walk.chat {
            result = chat_steps(user).await;
        }
    }
    if let Some(Account {
        api: user,
        password,
        ..
    }) = account
    {
        let started = Instant::now();
        let cleanup = call::<()>(
            "delete account",
            user.request(Method::DELETE, "/api/auth/me")
                .json(&json!({ "password": password })),
            StatusCode::NO_CONTENT,
        )
        .await;
        result = after_cleanup(result, cleanup, started);
        if result.is_ok() {
            let started = Instant::now();
            let (_, body): (_, ErrorBody) = call(
                "token revoked with account",
                user.request(Method::GET, "/api/auth/me"),
                StatusCode::UNAUTHORIZED,
            )
            .await?;
            expect_eq(
                "token revoked with account",
                "error.code",
                ErrorCode::Unauthorized,
                body.error.code,
            )?;
            report("token revoked with account", started);
        }
    }
    result
}

async fn steps(api: &ApiClient, account: &mut Option<Account>) -> Result<(), Mismatch> {
    let started = Instant::now();
    let (_, health): (_, Health) = call(
        "health",
        api.request(Method::GET, "/health"),
        StatusCode::OK,
    )
    .await?;
    expect_eq("health", "status", "healthy", health.status.as_str())?;
    report("health", started);

    let started = Instant::now();
    // Readiness is a moment's answer (a check that took too long on a busy
    // node is a 503 now and a 200 a moment later), so wait a bounded time
    // for it, as `kubectl wait` would, and report the last answer.
    let ready: Readiness = loop {
        match call("ready", api.request(Method::GET, "/ready"), StatusCode::OK).await {
            Ok((_, ready)) => break ready,
            Err(_) if started.elapsed() < READY_WAIT => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(mismatch) => return Err(mismatch),
        }
    };
    expect_eq("ready", "status", "ready", ready.status.as_str())?;
    report("ready", started);

    let started = Instant::now();
    let marker = Uuid::new_v4().simple().to_string();
    let email = format!("selftest-{marker}@selftest.invalid");
    let password = format!("pw-{marker}");
    let signup = api
        .request(Method::POST, "/api/auth/signup")
        .json(&json!({"email": email, "password": password, "name": "Selftest"}));
    let (_, auth): (_, AuthResponse) = call("sign up", signup, StatusCode::CREATED).await?;
    let user = api.with_token(&auth.token);
    *account = Some(Account {
        api: user.clone(),
        email: email.clone(),
        password,
    });
    expect_eq(
        "sign up",
        "user.email",
        email.as_str(),
        auth.user.email.as_str(),
    )?;
    report("sign up", started);

    let started = Instant::now();
    let (_, me): (_, User) = call(
        "me",
        user.request(Method::GET, "/api/auth/me"),
        StatusCode::OK,
    )
    .await?;
    expect_eq("me", "user", &auth.user, &me)?;
    report("me", started);

    let started = Instant::now();
    let title = format!("selftest {marker}");
    let due = Utc::now().date_naive() + chrono::Duration::days(1);
    let create = user.request(Method::POST, "/api/tasks").json(&json!({
        "title": title, "description": "made by todo-backend selftest", "priority": "high",
        "due_date": due, "tags": ["selftest"],
    }));
    let (headers, task): (_, Task) = call("create task", create, StatusCode::CREATED).await?;
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    expect_eq(
        "create task",
        "Location header",
        format!("/api/tasks/{}", task.id),
        location,
    )?;
    expect_eq("create task", "title", title.as_str(), task.title.as_str())?;
    expect_eq("create task", "priority", Priority::High, task.priority)?;
    expect_eq("create task", "due_date", Some(due), task.due_date)?;
    expect_eq(
        "create task",
        "tags",
        vec!["selftest".to_owned()],
        task.tags.clone(),
    )?;
    expect_eq("create task", "completed", false, task.completed)?;
    report("create task", started);

    let path = format!("/api/tasks/{}", task.id);
    let started = Instant::now();
    let (_, fetched): (_, Task) =
        call("get task", user.request(Method::GET, &path), StatusCode::OK).await?;
    expect_eq("get task", "task", &task, &fetched)?;
    report("get task", started);

    let started = Instant::now();
    let list = user
        .request(Method::GET, "/api/tasks")
        .query(&[("q", marker.as_str()), ("status", "active")]);
    let (_, listed): (_, TaskList) = call("list tasks", list, StatusCode::OK).await?;
    expect_eq("list tasks", "total", 1, listed.total)?;
    expect_eq("list tasks", "items", vec![task.clone()], listed.items)?;
    report("list tasks", started);

    let started = Instant::now();
    let renamed = format!("{title} (renamed)");
    let update = user
        .request(Method::PATCH, &path)
        .json(&json!({"title": renamed}));
    let (_, updated): (_, Task) = call("update title", update, StatusCode::OK).await?;
    expect_eq(
        "update title",
        "title",
        renamed.as_str(),
        updated.title.as_str(),
    )?;
    expect_eq(
        "update title",
        "priority (unchanged)",
        task.priority,
        updated.priority,
    )?;
    report("update title", started);

    let started = Instant::now();
    let complete = user
        .request(Method::PATCH, &path)
        .json(&json!({"completed": true}));
    let (_, completed): (_, Task) = call("complete task", complete, StatusCode::OK).await?;
    expect_eq("complete task", "completed", true, completed.completed)?;
    report("complete task", started);

    let started = Instant::now();
    let (_, stats): (_, TaskStats) = call(
        "stats",
        user.request(Method::GET, "/api/tasks/stats"),
        StatusCode::OK,
    )
    .await?;
    expect_eq(
        "stats",
        "(total, active, completed)",
        (1, 0, 1),
        (stats.total, stats.active, stats.completed),
    )?;
    report("stats", started);

    let started = Instant::now();
    call::<()>(
        "delete task",
        user.request(Method::DELETE, &path),
        StatusCode::NO_CONTENT,
    )
    .await?;
    let (_, gone): (_, ErrorBody) = call(
        "deleted task is gone",
        user.request(Method::GET, &path),
        StatusCode::NOT_FOUND,
    )
    .await?;
    expect_eq(
        "deleted task is gone",
        "error.code",
        ErrorCode::NotFound,
        gone.error.code,
    )?;
    report("delete task", started);
    Ok(())
}

/// A repeating task with a due time and a reminder in the account's time
/// zone, read through a new calendar feed address as a calendar app reads
/// it (no credential); completing the task makes its next occurrence;
/// the revoked address answers 404.
async fn calendar_steps(api: &ApiClient, user: &ApiClient) -> Result<(), Mismatch> {
    let started = Instant::now();
    let (_, me): (_, User) = call(
        "set time zone",
        user.request(Method::PATCH, "/api/auth/me")
            .json(&json!({"time_zone": "Europe/Berlin"})),
        StatusCode::OK,
    )
    .await?;
    expect_eq(
        "set time zone",
        "time_zone",
        "Europe/Berlin",
        me.time_zone.as_str(),
    )?;
    report("set time zone", started);

    let started = Instant::now();
    let due = Utc::now().date_naive() + chrono::Duration::days(2);
    let create = user.request(Method::POST, "/api/tasks").json(&json!({
        "title": "selftest weekly", "due_date": due, "due_time": "09:30",
        "recurrence": "FREQ=WEEKLY", "reminders": [60],
    }));
    let (_, task): (_, Task) = call("repeating task", create, StatusCode::CREATED).await?;
    expect_eq(
        "repeating task",
        "recurrence_summary",
        Some("every week"),
        task.recurrence_summary.as_deref(),
    )?;
    report("repeating task", started);

    let started = Instant::now();
    let (_, feed): (_, CalendarFeedCreated) = call(
        "calendar feed address",
        user.request(Method::POST, "/api/auth/calendar-feed"),
        StatusCode::CREATED,
    )
    .await?;
    report("calendar feed address", started);

    let started = Instant::now();
    let (headers, text) = call_text(
        "calendar feed",
        api.request(Method::GET, &feed.path),
        StatusCode::OK,
    )
    .await?;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    expect_eq(
        "calendar feed",
        "content type",
        true,
        content_type.starts_with("text/calendar"),
    )?;
    let start = format!("DTSTART;TZID=Europe/Berlin:{}T093000", due.format("%Y%m%d"));
    for expected in [
        "BEGIN:VCALENDAR",
        &format!("UID:{}@", task.id),
        start.as_str(),
        "RRULE:FREQ=WEEKLY",
        "TRIGGER:-PT60M",
        "BEGIN:VTIMEZONE",
        "END:VCALENDAR",
    ] {
        if !text.contains(expected) {
            return Err(mismatch(
                "calendar feed",
                format!("no {expected:?} in:\n{text}"),
            ));
        }
    }
    report("calendar feed", started);

    let started = Instant::now();
    let path = format!("/api/tasks/{}", task.id);
    let (_, done): (_, Task) = call(
        "complete repeating task",
        user.request(Method::PATCH, &path)
            .json(&json!({"completed": true})),
        StatusCode::OK,
    )
    .await?;
    let Some(next) = done.next_occurrence_id else {
        return Err(mismatch("complete repeating task", "no next occurrence"));
    };
    let (_, next): (_, Task) = call(
        "complete repeating task",
        user.request(Method::GET, &format!("/api/tasks/{next}")),
        StatusCode::OK,
    )
    .await?;
    expect_eq(
        "complete repeating task",
        "next due date",
        Some(due + chrono::Duration::days(7)),
        next.due_date,
    )?;
    report("complete repeating task", started);

    let started = Instant::now();
    call::<()>(
        "revoke calendar feed",
        user.request(Method::DELETE, "/api/auth/calendar-feed"),
        StatusCode::NO_CONTENT,
    )
    .await?;
    call_text(
        "revoked feed is gone",
        api.request(Method::GET, &feed.path),
        StatusCode::NOT_FOUND,
    )
    .await?;
    report("revoke calendar feed", started);
    Ok(())
}

/// Sessions and personal access tokens: a second login is listed and
/// logged out (its token refused after); a read-only token reads, is
/// refused a write (403 `insufficient_scope`), and is refused altogether
/// once revoked.
async fn session_steps(api: &ApiClient, account: &Account) -> Result<(), Mismatch> {
    let user = &account.api;
    let started = Instant::now();
    let login = api
        .request(Method::POST, "/api/auth/login")
        .json(&json!({"email": account.email, "password": account.password}));
    let (_, second): (_, AuthResponse) = call("second login", login, StatusCode::OK).await?;
    let second = api.with_token(&second.token);
    let (_, listed): (_, SessionList) = call(
        "second login",
        user.request(Method::GET, "/api/auth/sessions"),
        StatusCode::OK,
    )
    .await?;
    expect_eq("second login", "sessions listed", 2, listed.items.len())?;
    report("second login", started);

    let started = Instant::now();
    call::<()>(
        "log out",
        second.request(Method::POST, "/api/auth/logout"),
        StatusCode::NO_CONTENT,
    )
    .await?;
    call::<ErrorBody>(
        "log out",
        second.request(Method::GET, "/api/auth/me"),
        StatusCode::UNAUTHORIZED,
    )
    .await?;
    report("log out", started);

    let started = Instant::now();
    let create = user
        .request(Method::POST, "/api/auth/tokens")
        .json(&json!({"name": "selftest", "scope": "tasks:read", "expires_in_days": 1}));
    let (_, created): (_, PersonalTokenCreated) =
        call("personal token", create, StatusCode::CREATED).await?;
    let reader = api.with_token(&created.token);
    call::<TaskList>(
        "personal token",
        reader.request(Method::GET, "/api/tasks"),
        StatusCode::OK,
    )
    .await?;
    let (_, refused): (_, ErrorBody) = call(
        "personal token",
        reader
            .request(Method::POST, "/api/tasks")
            .json(&json!({"title": "not allowed"})),
        StatusCode::FORBIDDEN,
    )
    .await?;
    expect_eq(
        "personal token",
        "error.code",
        ErrorCode::InsufficientScope,
        refused.error.code,
    )?;
    call::<()>(
        "personal token",
        user.request(
            Method::DELETE,
            &format!("/api/auth/tokens/{}", created.session.id),
        ),
        StatusCode::NO_CONTENT,
    )
    .await?;
    call::<ErrorBody>(
        "personal token",
        reader.request(Method::GET, "/api/tasks"),
        StatusCode::UNAUTHORIZED,
    )
    .await?;
    report("personal token", started);
    Ok(())
}

/// One JSON-RPC call to `/mcp`, as an MCP client sends it over streamable
/// HTTP (stateless: every request stands alone).
async fn mcp_call(
    step: &'static str,
    user: &ApiClient,
    id: u64,
    method: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value, Mismatch> {
    let request = user
        .request(Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    let (_, answer): (_, serde_json::Value) = call(step, request, StatusCode::OK).await?;
    if let Some(error) = answer.get("error") {
        return Err(mismatch(step, format!("JSON-RPC error: {error}")));
    }
    Ok(answer["result"].clone())
}

async fn mcp_steps(user: &ApiClient) -> Result<(), Mismatch> {
    let started = Instant::now();
    let init = mcp_call(
        "mcp initialize",
        user,
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "todo-backend selftest", "version": env!("CARGO_PKG_VERSION")}}),
    )
    .await?;
    expect_eq(
        "mcp initialize",
        "serverInfo.name",
        &json!("todo"),
        &init["serverInfo"]["name"],
    )?;
    report("mcp initialize", started);

    let started = Instant::now();
    let listed = mcp_call("mcp tools/list", user, 2, "tools/list", json!({})).await?;
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    expect_eq(
        "mcp tools/list",
        "tools",
        Tool::ALL
            .iter()
            .map(|tool| tool.as_str())
            .collect::<Vec<_>>(),
        names,
    )?;
    report("mcp tools/list", started);

    let started = Instant::now();
    let title = format!("selftest mcp {}", Uuid::new_v4().simple());
    let added = mcp_call(
        "mcp add_task",
        user,
        3,
        "tools/call",
        json!({"name": Tool::AddTask, "arguments": {"title": title, "tags": ["selftest"]}}),
    )
    .await?;
    expect_eq("mcp add_task", "isError", &json!(false), &added["isError"])?;
    let task = &added["structuredContent"];
    expect_eq("mcp add_task", "title", &json!(title), &task["title"])?;
    report("mcp add_task", started);

    let started = Instant::now();
    let deleted = mcp_call(
        "mcp delete_task",
        user,
        4,
        "tools/call",
        json!({"name": Tool::DeleteTask, "arguments": {"task_id": task["id"]}}),
    )
    .await?;
    expect_eq(
        "mcp delete_task",
        "status",
        &json!("deleted"),
        &deleted["structuredContent"]["status"],
    )?;
    report("mcp delete_task", started);

    // What a client given only the URL of /mcp reads first.
    let started = Instant::now();
    let (_, metadata): (_, serde_json::Value) = call(
        "mcp discovery",
        user.request(Method::GET, "/.well-known/oauth-protected-resource/mcp"),
        StatusCode::OK,
    )
    .await?;
    let resource = metadata["resource"].as_str().unwrap_or_default();
    if !resource.ends_with("/mcp") || !metadata["authorization_servers"][0].is_string() {
        return Err(mismatch(
            "mcp discovery",
            format!("the protected resource metadata names no /mcp resource or issuer: {metadata}"),
        ));
    }
    report("mcp discovery", started);

    // An unattended client's way in: a personal access token.
    let started = Instant::now();
    let (_, created): (_, serde_json::Value) = call(
        "mcp personal token",
        user.request(Method::POST, "/api/auth/tokens")
            .json(&json!({"name": "selftest", "scope": "tasks:read", "expires_in_days": 1})),
        StatusCode::CREATED,
    )
    .await?;
    let token = created["token"].as_str().unwrap_or_default();
    let listed = mcp_call(
        "mcp tools/call with a personal token",
        &user.with_token(token),
        5,
        "tools/call",
        json!({"name": Tool::ListTasks, "arguments": {"limit": 1}}),
    )
    .await?;
    expect_eq(
        "mcp tools/call with a personal token",
        "isError",
        &json!(false),
        &listed["isError"],
    )?;
    report("mcp tools/call with a personal token", started);
    Ok(())
}

async fn chat_steps(user: &ApiClient) -> Result<(), Mismatch> {
    let started = Instant::now();
    let title = format!("selftest chat {}", Uuid::new_v4().simple());
    let add = user
        .request(Method::POST, "/api/chat")
        .json(&json!({"message": format!("add {title}, high priority")}));
    let (_, reply): (_, ChatResponse) = call("chat add", add, StatusCode::OK).await?;
    let tools: Vec<&str> = reply.tool_calls.iter().map(|c| c.tool.as_str()).collect();
    expect_eq(
        "chat add",
        "tool calls",
        vec![Tool::AddTask.as_str()],
        tools,
    )?;
    expect_eq(
        "chat add",
        "the task",
        (&json!(title), &json!("high")),
        (
            &reply.tool_calls[0].result["title"],
            &reply.tool_calls[0].result["priority"],
        ),
    )?;
    report("chat add", started);

    let started = Instant::now();
    let delete = user.request(Method::POST, "/api/chat").json(&json!({
        "conversation_id": reply.conversation_id,
        "message": format!("delete {title}"),
    }));
    let (_, deleted): (_, ChatResponse) = call("chat delete", delete, StatusCode::OK).await?;
    expect_eq(
        "chat delete",
        "status",
        Some(&json!("deleted")),
        deleted.tool_calls.first().map(|c| &c.result["status"]),
    )?;
    let messages = user.request(
        Method::GET,
        &format!("/api/conversations/{}/messages", reply.conversation_id),
    );
    let (_, history): (_, MessageList) = call("chat history", messages, StatusCode::OK).await?;
    expect_eq("chat history", "messages", 6, history.items.len())?;
    call::<()>(
        "chat cleanup",
        user.request(
            Method::DELETE,
            &format!("/api/conversations/{}", reply.conversation_id),
        ),
        StatusCode::NO_CONTENT,
    )
    .await?;
    report("chat round trip", started);
    Ok(())
}
