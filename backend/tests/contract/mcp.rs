//! The MCP door at `/mcp`, driven by the official SDK's own client over
//! streamable HTTP: initialize, the five tools with their schemas, a call
//! of each, tool errors as tool results, the bearer token checked before
//! anything runs, one user's tools never touching another's tasks, and the
//! allowed `Host` names; due times, repeats and reminders set through
//! the tools, refused with the API's field messages, and a repeating task
//! completed into its next occurrence.

use reqwest::StatusCode;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use todo_api::ErrorCode;

use crate::cases;
use crate::support::{RunningApp, TestCtx, TestDatabase, TestFn, expect_error, test_config};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        an_mcp_client_lists_and_calls_every_tool,
        tool_errors_are_tool_results_in_the_api_shape,
        no_token_no_mcp,
        mcp_users_see_only_their_own_tasks,
        only_allowed_hosts_are_answered,
        every_tool_is_described_and_answers_its_output_schema,
        foreign_origins_and_unknown_protocol_versions_are_refused,
        due_times_repeats_and_reminders_through_mcp,
    ]
}

pub type Client = RunningService<RoleClient, ClientConfig>;

pub async fn connect(base: &str, token: &str) -> Client {
    let config =
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(token);
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("contract-tests", "1.0"),
    )
    .serve(transport)
    .await
    .expect("the MCP client connects")
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(arguments.as_object().cloned().expect("an object")),
        )
        .await
        .unwrap_or_else(|e| panic!("{tool} is answered as a tool result: {e}"))
}

fn structured(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    result
        .structured_content
        .clone()
        .expect("structured content")
}

/// A failed call's error, in the API's error shape: the JSON text after
/// the line for people (a failure has no structured content, which the
/// tool's output schema would not describe).
fn tool_error(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(result.structured_content.is_none(), "{result:?}");
    let text = result
        .content
        .last()
        .and_then(|block| block.as_text())
        .map(|text| text.text.clone())
        .expect("a text block");
    serde_json::from_str(&text).expect("the error as JSON")
}

async fn an_mcp_client_lists_and_calls_every_tool(ctx: TestCtx) {
    let (_, auth) = ctx.user("mcp").await;
    let client = connect(ctx.api.base_url(), &auth.token).await;
    let server = client.peer_info().expect("initialized");
    assert_eq!(
        server.server_info.as_ref().map(|i| i.name.as_str()),
        Some("todo")
    );
    assert!(server.capabilities.tools.is_some());

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
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
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        assert!(tool.input_schema["properties"].is_object(), "{}", tool.name);
        assert!(tool.description.as_deref().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(tools[0].input_schema["required"], json!(["title"]));

    let added = call(
        &client,
        "add_task",
        json!({"title": "via mcp", "priority": "high", "tags": ["mcp"]}),
    )
    .await;
    assert_eq!(added.is_error, Some(false));
    let task = structured(&added);
    assert_eq!(task["title"], "via mcp");
    assert_eq!(task["priority"], "high");
    let id = task["id"].as_str().unwrap().to_owned();

    let listed = structured(&call(&client, "list_tasks", json!({"tag": "mcp"})).await);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], id.as_str());

    let done = structured(&call(&client, "complete_task", json!({"title": "VIA MCP"})).await);
    assert_eq!(done["completed"], true);

    let renamed = structured(
        &call(
            &client,
            "update_task",
            json!({"task_id": id, "title": "renamed", "due_date": "2030-01-02"}),
        )
        .await,
    );
    assert_eq!(renamed["title"], "renamed");
    assert_eq!(renamed["due_date"], "2030-01-02");

    let deleted = structured(&call(&client, "delete_task", json!({"task_id": id})).await);
    assert_eq!(
        deleted,
        json!({"task_id": id, "status": "deleted", "title": "renamed"})
    );
    let api = ctx.api.with_token(&auth.token);
    assert_eq!(
        api.stats().await.unwrap().total,
        0,
        "the REST API sees the same store"
    );
    client.cancel().await.unwrap();
}

async fn tool_errors_are_tool_results_in_the_api_shape(ctx: TestCtx) {
    let (api, auth) = ctx.user("careless").await;
    let client = connect(ctx.api.base_url(), &auth.token).await;
    // The same rules, fields and codes as POST /api/tasks.
    let invalid = call(
        &client,
        "add_task",
        json!({"title": " ", "priority": "urgent", "colour": "red"}),
    )
    .await;
    let error = tool_error(&invalid)["error"].clone();
    assert_eq!(error["code"], "validation_failed");
    let mut fields: Vec<&str> = error["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["colour", "priority", "title"]);

    for title in ["twin", "twin"] {
        api.create_task(&todo_api::NewTask {
            title: title.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let ambiguous = tool_error(&call(&client, "delete_task", json!({"title": "twin"})).await);
    assert_eq!(ambiguous["error"]["code"], "ambiguous_match");
    assert_eq!(
        ambiguous["error"]["candidates"].as_array().unwrap().len(),
        2
    );
    assert_eq!(api.stats().await.unwrap().total, 2, "nothing guessed");

    let missing = tool_error(
        &call(
            &client,
            "complete_task",
            json!({"task_id": uuid::Uuid::new_v4()}),
        )
        .await,
    );
    assert_eq!(missing["error"]["code"], "not_found");
    let unknown = call(&client, "rm_rf", json!({})).await;
    assert_eq!(unknown.is_error, Some(true));
    client.cancel().await.unwrap();
}

async fn no_token_no_mcp(ctx: TestCtx) {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let http = reqwest::Client::new();
    let url = format!("{}/mcp", ctx.api.base_url());
    for token in [None, Some("not-a-token")] {
        let mut request = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        // The way to a token (RFC 9728); the oauth cases follow it.
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("resource_metadata="),
            "{challenge}"
        );
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
    // A signed token whose account is gone gets no tools either.
    let (api, auth) = ctx.user("gone").await;
    api.delete_account("correct horse battery").await.unwrap();
    let response = http
        .post(&url)
        .bearer_auth(&auth.token)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

async fn mcp_users_see_only_their_own_tasks(ctx: TestCtx) {
    let (alice_api, alice) = ctx.user("alice").await;
    let (_, bob) = ctx.user("bob").await;
    let secret = alice_api
        .create_task(&todo_api::NewTask {
            title: "alice only".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let bob_client = connect(ctx.api.base_url(), &bob.token).await;
    let listed = structured(&call(&bob_client, "list_tasks", json!({})).await);
    assert_eq!(listed["total"], 0);
    for (tool, arguments) in [
        ("complete_task", json!({"task_id": secret.id})),
        ("delete_task", json!({"task_id": secret.id})),
        ("delete_task", json!({"title": "alice only"})),
        (
            "update_task",
            json!({"task_id": secret.id, "title": "mine now"}),
        ),
    ] {
        let result = tool_error(&call(&bob_client, tool, arguments.clone()).await);
        assert_eq!(result["error"]["code"], "not_found", "{tool} {arguments}");
    }
    // No argument names the user: one that tries is refused like any unknown field.
    let spoofed =
        tool_error(&call(&bob_client, "list_tasks", json!({"user_id": alice.user.id})).await);
    assert_eq!(spoofed["error"]["code"], "validation_failed");
    let unchanged = alice_api.get_task(secret.id).await.unwrap();
    assert_eq!(unchanged, secret);
    bob_client.cancel().await.unwrap();
}

async fn only_allowed_hosts_are_answered(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(
            &database.url,
            &[("MCP_ALLOWED_HOSTS", "todo-backend, todo-backend.apps.svc")],
        ),
        ctx.backend.clone(),
    )
    .await;
    let (_, auth) = app.ctx.user("hosted").await;
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let post = |host: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/mcp", app.ctx.api.base_url()))
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .bearer_auth(&auth.token)
            .json(&list)
            .send()
    };
    let refused = post("evil.example").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for host in ["todo-backend:8080", "todo-backend.apps.svc"] {
        let answered = post(host).await.unwrap();
        assert_eq!(answered.status(), StatusCode::OK, "{host}");
        let body: Value = answered.json().await.unwrap();
        assert_eq!(
            body["result"]["tools"].as_array().unwrap().len(),
            5,
            "{host}"
        );
    }
    app.stop().await;
    database.drop().await;
}

/// What a client needs to reason about a tool: a title, the four hints,
/// and an output schema that every successful result matches (checked by
/// a JSON Schema validator, as clients do).
async fn every_tool_is_described_and_answers_its_output_schema(ctx: TestCtx) {
    let (_, auth) = ctx.user("schemas").await;
    let client = connect(ctx.api.base_url(), &auth.token).await;
    let tools = client.list_all_tools().await.unwrap();
    let mut validators = std::collections::HashMap::new();
    for tool in &tools {
        let name = tool.name.to_string();
        assert!(
            tool.title.as_deref().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
        let hints = tool.annotations.as_ref().expect("annotations");
        assert_eq!(hints.title, tool.title, "{name}");
        for (hint, value) in [
            ("readOnlyHint", hints.read_only_hint),
            ("destructiveHint", hints.destructive_hint),
            ("idempotentHint", hints.idempotent_hint),
            ("openWorldHint", hints.open_world_hint),
        ] {
            assert!(value.is_some(), "{name} sets {hint}");
        }
        assert_eq!(hints.open_world_hint, Some(false), "{name}");
        let read_only = hints.read_only_hint == Some(true);
        assert_eq!(read_only, name == "list_tasks", "{name}");
        let schema =
            Value::Object((**tool.output_schema.as_ref().expect("an output schema")).clone());
        assert!(
            !schema.to_string().contains("$ref"),
            "{name}: self-contained"
        );
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{name}'s output schema is a JSON Schema: {e}"));
        validators.insert(name, validator);
    }
    let destructive: Vec<&str> = tools
        .iter()
        .filter(|t| t.annotations.as_ref().and_then(|a| a.destructive_hint) == Some(true))
        .map(|t| t.name.as_ref())
        .collect();
    assert_eq!(destructive, ["update_task", "delete_task"]);

    let check = |tool: &str, result: &CallToolResult| {
        let value = structured(result);
        if let Err(error) = validators[tool].validate(&value) {
            panic!("{tool} answered {value} against its output schema: {error}");
        }
        let line = result.content[0].as_text().expect("a line for people");
        assert!(
            !line.text.is_empty() && !line.text.contains('\n'),
            "{tool}: {line:?}"
        );
        assert_eq!(
            result.content.len(),
            2,
            "{tool}: the line, then the JSON for text-only clients"
        );
        value
    };
    let added = check(
        "add_task",
        &call(
            &client,
            "add_task",
            json!({"title": "schema", "description": "checked", "due_date": "2031-05-06", "tags": ["a", "b"]}),
        )
        .await,
    );
    let plain = check(
        "add_task",
        &call(&client, "add_task", json!({"title": "plain"})).await,
    );
    assert!(plain["due_date"].is_null());
    check("list_tasks", &call(&client, "list_tasks", json!({})).await);
    check(
        "list_tasks",
        &call(&client, "list_tasks", json!({"tag": "none"})).await,
    );
    let id = added["id"].clone();
    check(
        "complete_task",
        &call(&client, "complete_task", json!({"task_id": id})).await,
    );
    check(
        "update_task",
        &call(
            &client,
            "update_task",
            json!({"task_id": id, "description": null, "tags": []}),
        )
        .await,
    );
    check(
        "delete_task",
        &call(&client, "delete_task", json!({"task_id": id})).await,
    );
    client.cancel().await.unwrap();
}

/// A browser page from another origin gets nothing (403), an allowed one
/// and a client outside a browser (no `Origin`) are answered, and a
/// protocol revision the server does not speak is a 400.
async fn foreign_origins_and_unknown_protocol_versions_are_refused(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(
            &database.url,
            &[("MCP_ALLOWED_ORIGINS", "https://inspector.example")],
        ),
        ctx.backend.clone(),
    )
    .await;
    let (_, auth) = app.ctx.user("browser").await;
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let post = |origin: Option<&'static str>, version: &'static str| {
        let mut request = reqwest::Client::new()
            .post(format!("{}/mcp", app.ctx.api.base_url()))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", version)
            .bearer_auth(&auth.token)
            .json(&list);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    for origin in [
        "http://evil.example",
        "https://inspector.example:8443",
        "null",
    ] {
        let refused = post(Some(origin), "2025-11-25").await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{origin}");
    }
    for origin in [Some("https://inspector.example"), None] {
        let answered = post(origin, "2025-11-25").await.unwrap();
        assert_eq!(answered.status(), StatusCode::OK, "{origin:?}");
    }
    for version in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        assert_eq!(
            post(None, version).await.unwrap().status(),
            StatusCode::OK,
            "{version}"
        );
    }
    let unknown = post(None, "1999-01-01").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
    database.drop().await;

    // By default only pages served from this machine may call.
    let token = ctx.user("default").await.1.token;
    for (origin, status) in [
        ("http://localhost:6274", StatusCode::OK),
        ("http://127.0.0.1:8080", StatusCode::OK),
        ("https://localhost:6274", StatusCode::FORBIDDEN),
        ("http://inspector.example", StatusCode::FORBIDDEN),
    ] {
        let answer = reqwest::Client::new()
            .post(format!("{}/mcp", ctx.api.base_url()))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .header("origin", origin)
            .bearer_auth(&token)
            .json(&list)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{origin}");
    }
}

/// `add_task` takes `due_time`, `recurrence` and `reminders` and stores
/// them; bad ones are the API's field errors and write nothing; completing
/// the repeating task makes its next occurrence; every result matches its
/// tool's output schema.
async fn due_times_repeats_and_reminders_through_mcp(ctx: TestCtx) {
    let (api, auth) = ctx.user("scheduled").await;
    let client = connect(ctx.api.base_url(), &auth.token).await;
    let tools = client.list_all_tools().await.unwrap();
    let validator = |name: &str| {
        let tool = tools.iter().find(|t| t.name == name).expect("listed");
        let properties = &tool.input_schema["properties"];
        if name == "add_task" || name == "update_task" {
            for field in ["due_time", "recurrence", "reminders"] {
                assert!(properties[field].is_object(), "{name} takes {field}");
            }
        }
        let schema = Value::Object((**tool.output_schema.as_ref().unwrap()).clone());
        jsonschema::draft202012::new(&schema).unwrap()
    };
    let (add, complete, update) = (
        validator("add_task"),
        validator("complete_task"),
        validator("update_task"),
    );
    // Completing a repeat makes a new task, which the same call by title
    // would complete next: not idempotent.
    let completing = tools.iter().find(|t| t.name == "complete_task").unwrap();
    assert_eq!(
        completing.annotations.as_ref().unwrap().idempotent_hint,
        Some(false)
    );
    let valid = |validator: &jsonschema::Validator, result: &CallToolResult| {
        let value = structured(result);
        if let Err(error) = validator.validate(&value) {
            panic!("{value} against the output schema: {error}");
        }
        value
    };

    let added = call(
        &client,
        "add_task",
        json!({"title": "water the plants", "due_date": "2030-01-07", "due_time": "08:00",
               "recurrence": "FREQ=WEEKLY;BYDAY=MO", "reminders": [60, 0]}),
    )
    .await;
    let task = valid(&add, &added);
    assert_eq!(task["due_time"], "08:00");
    assert_eq!(task["recurrence"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(task["recurrence_summary"], "every Monday");
    assert_eq!(task["reminders"], json!([0, 60]));
    let line = &added.content[0].as_text().unwrap().text;
    assert_eq!(
        line,
        "Added task “water the plants” · due Jan 7 08:00 · every Monday · reminders at the due time and 1 hour before"
    );
    let id: uuid::Uuid = serde_json::from_value(task["id"].clone()).unwrap();
    let stored = api.get_task(id).await.unwrap();
    assert_eq!(
        serde_json::to_value(&stored).unwrap(),
        task,
        "stored as answered"
    );

    // Each bad value: the field and its message, as POST /api/tasks says it.
    for (arguments, field, message) in [
        (
            json!({"title": "x", "due_date": "2030-01-07", "recurrence": "FREQ=HOURLY"}),
            "recurrence",
            "HOURLY",
        ),
        (
            json!({"title": "x", "due_date": "2030-01-07", "recurrence": "FREQ=WEEKLY;BYDAY=TH,MO"}),
            "recurrence",
            "write this rule as FREQ=WEEKLY;BYDAY=MO,TH",
        ),
        (
            json!({"title": "x", "recurrence": "FREQ=DAILY"}),
            "recurrence",
            "needs a due_date",
        ),
        (
            json!({"title": "x", "due_date": "2030-01-07", "reminders": [30]}),
            "reminders",
            "need a due_time",
        ),
        (
            json!({"title": "x", "due_date": "2030-01-07", "due_time": "08:00", "reminders": [-5]}),
            "reminders",
            "after the due time",
        ),
        (
            json!({"title": "x", "due_date": "2030-01-07", "due_time": "9am"}),
            "due_time",
            "HH:MM",
        ),
    ] {
        let refused = tool_error(&call(&client, "add_task", arguments.clone()).await);
        assert_eq!(refused["error"]["code"], "validation_failed", "{arguments}");
        let said = refused["error"]["fields"][field]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains(message), "{arguments}: {refused}");
        let rest: Vec<&String> = refused["error"]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != field)
            .collect();
        assert!(rest.is_empty(), "{arguments}: only {field}: {refused}");
    }
    let refused = tool_error(
        &call(
            &client,
            "update_task",
            json!({"task_id": id, "due_time": null, "reminders": [10]}),
        )
        .await,
    );
    assert!(
        refused["error"]["fields"]["reminders"]
            .as_str()
            .is_some_and(|m| m.contains("need a due_time")),
        "{refused}"
    );
    assert_eq!(api.stats().await.unwrap().total, 1, "nothing was written");
    assert_eq!(api.get_task(id).await.unwrap(), stored, "nor changed");

    // Completing it makes the next occurrence, a week on.
    let completed = call(&client, "complete_task", json!({"task_id": id})).await;
    let done = valid(&complete, &completed);
    assert_eq!(done["completed"], true);
    let next_id: uuid::Uuid = serde_json::from_value(done["next_occurrence_id"].clone())
        .unwrap_or_else(|e| panic!("a next occurrence: {e}: {done}"));
    assert_eq!(
        completed.content[0].as_text().unwrap().text,
        "Completed task “water the plants” · next due Jan 14"
    );
    let next = api.get_task(next_id).await.unwrap();
    assert!(!next.completed);
    assert_eq!(next.due_date, chrono::NaiveDate::from_ymd_opt(2030, 1, 14));
    assert_eq!(next.due_time.as_deref(), Some("08:00"));
    assert_eq!(next.recurrence.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO"));
    assert_eq!(next.reminders, [0, 60]);
    assert_eq!(api.stats().await.unwrap().total, 2);

    // The next one changed through update_task: a new time and rule, then
    // no repeat and no reminders.
    let changed = valid(
        &update,
        &call(
            &client,
            "update_task",
            json!({"task_id": next_id, "due_time": "18:30", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=-1", "reminders": [1440]}),
        )
        .await,
    );
    assert_eq!(changed["due_time"], "18:30");
    assert_eq!(changed["recurrence_summary"], "every month on the last day");
    assert_eq!(changed["reminders"], json!([1440]));
    let cleared = valid(
        &update,
        &call(
            &client,
            "update_task",
            json!({"task_id": next_id, "recurrence": null, "due_time": null}),
        )
        .await,
    );
    assert!(cleared["recurrence"].is_null() && cleared["due_time"].is_null());
    assert_eq!(cleared["reminders"], json!([]), "no time, no reminders");
    client.cancel().await.unwrap();
}
