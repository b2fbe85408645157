//! Export and import: a round trip loses nothing, an import is all or
//! nothing (a wrong version, an invalid task, a quota passed: nothing is
//! written), and an export holds the caller's data only.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::{ApiClient, ChatRequest, ErrorCode, ListQuery, Role};

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_error, expect_invalid, field_names, get_json,
    send_json, test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_round_trip_loses_nothing,
        another_format_or_version_is_refused_and_nothing_is_written,
        a_document_past_the_task_quota_is_refused_and_nothing_is_written,
        an_invalid_task_in_the_middle_writes_none_of_the_others,
        an_export_holds_the_callers_data_only,
        an_import_may_be_larger_than_other_bodies_but_is_bounded,
    ]
}

async fn export(api: &ApiClient) -> Value {
    let response = api
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn import(api: &ApiClient, document: &Value) -> reqwest::Response {
    send_json(api, Method::POST, "/api/import", document).await
}

async fn counts(api: &ApiClient) -> (u64, u64) {
    let usage = api.usage().await.unwrap();
    (usage.tasks.used, usage.conversations.used)
}

fn document(tasks: Value, conversations: Value) -> Value {
    json!({"format": "todo-export", "version": 1, "exported_at": "2026-12-01T10:00:00Z",
           "tasks": tasks, "conversations": conversations})
}

/// Tasks of every shape, and a conversation with a tool call.
async fn fill(api: &ApiClient, prefix: &str) {
    for body in [
        json!({"title": format!("{prefix} full"), "description": "with\nlines", "priority": "high",
               "due_date": "2027-01-31", "tags": ["home", "q1"], "completed": true}),
        json!({"title": format!("{prefix} bare")}),
        json!({"title": format!("{prefix} low"), "priority": "low", "tags": ["work"]}),
    ] {
        let response = send_json(api, Method::POST, "/api/tasks", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let reply = api
        .chat(&ChatRequest {
            conversation_id: None,
            message: format!("add {prefix} via chat"),
        })
        .await
        .unwrap();
    assert!(!reply.tool_calls.is_empty(), "{reply:?}");
}

/// `tasks` sorted by title (an import gives new ids, which break ties of
/// equal creation times).
fn sorted_tasks(document: &Value) -> Vec<Value> {
    let mut tasks = document["tasks"].as_array().unwrap().clone();
    tasks.sort_by(|a, b| a["title"].as_str().cmp(&b["title"].as_str()));
    tasks
}

async fn a_round_trip_loses_nothing(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    fill(&alice, "alice").await;
    let first = export(&alice).await;
    assert_eq!(first["format"], "todo-export");
    assert_eq!(first["version"], 1);
    assert!(
        chrono::DateTime::parse_from_rfc3339(first["exported_at"].as_str().unwrap()).is_ok(),
        "{first}"
    );
    assert_eq!(first["tasks"].as_array().unwrap().len(), 4, "{first}");
    let conversations = first["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1, "{first}");
    let messages = conversations[0]["messages"].as_array().unwrap();
    let tool = messages
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap_or_else(|| panic!("a tool message: {first}"));
    assert_eq!(tool["tool_call"]["tool"], "add_task", "{tool}");
    // Ids stay behind: an import gives new ones.
    assert!(first["tasks"][0].get("id").is_none());
    // The typed contract reads it too.
    let typed: todo_api::Export = serde_json::from_value(first.clone()).unwrap();
    assert_eq!(typed.tasks.len(), 4);

    let (bob, _) = ctx.user("bob").await;
    let response = import(&bob, &first).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary, json!({"tasks": 4, "conversations": 1}));
    assert_eq!(counts(&bob).await, (4, 1));

    let second = export(&bob).await;
    assert_eq!(sorted_tasks(&second), sorted_tasks(&first));
    assert_eq!(second["conversations"], first["conversations"]);

    // The imported tasks are whole tasks: found by tag, with new ids.
    let tagged = bob
        .list_tasks(&ListQuery {
            tag: Some("home".into()),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(tagged.items.len(), 1);
    assert_eq!(tagged.items[0].title, "alice full");
    assert_eq!(tagged.items[0].tags, vec!["home", "q1"]);
    let alices = alice.list_tasks(&ListQuery::default()).await.unwrap();
    assert!(alices.items.iter().all(|t| t.id != tagged.items[0].id));
    // The conversation reads as the original did, tool record included.
    let listed = bob.conversations().await.unwrap();
    let read = bob.messages(listed.items[0].id).await.unwrap();
    let record = read
        .items
        .iter()
        .find(|m| m.role == Role::Tool)
        .and_then(|m| m.tool_call.clone())
        .expect("the tool record");
    assert_eq!(serde_json::to_value(&record).unwrap(), tool["tool_call"]);

    // Importing again adds, never replaces.
    let again = import(&bob, &first).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(counts(&bob).await, (8, 2));
    // And the typed client does the same.
    bob.import(&typed).await.unwrap();
    assert_eq!(counts(&bob).await, (12, 3));
}

async fn another_format_or_version_is_refused_and_nothing_is_written(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let tasks = json!([{"title": "one"}, {"title": "two"}]);
    let conversations = json!([{"title": "c", "messages": [{"role": "user", "content": "hi"}]}]);
    let mut wrong_version = document(tasks.clone(), conversations.clone());
    wrong_version["version"] = json!(2);
    let refused = expect_invalid(import(&alice, &wrong_version).await).await;
    assert_eq!(field_names(&refused), vec!["version"]);
    let mut wrong_format = document(tasks.clone(), conversations.clone());
    wrong_format["format"] = json!("other-app");
    let refused = expect_invalid(import(&alice, &wrong_format).await).await;
    assert_eq!(field_names(&refused), vec!["format"]);
    let mut missing = document(tasks, conversations);
    missing.as_object_mut().unwrap().remove("version");
    let refused = expect_invalid(import(&alice, &missing).await).await;
    assert_eq!(field_names(&refused), vec!["version"]);
    assert_eq!(counts(&alice).await, (0, 0));
}

async fn a_document_past_the_task_quota_is_refused_and_nothing_is_written(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(&database.url, &[("TASKS_PER_USER_MAX", "3")]),
        ctx.backend.clone(),
    )
    .await;
    let (alice, _) = app.ctx.user("alice").await;
    alice
        .create_task(&todo_api::NewTask {
            title: "already here".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let conversation = json!([{"title": "c", "messages": [{"role": "user", "content": "hi"}]}]);
    // Fits the quota by itself, not beside what the account holds.
    let three = document(
        json!([{"title": "a", "tags": ["x"]}, {"title": "b"}, {"title": "c"}]),
        conversation.clone(),
    );
    let refused = expect_error(
        import(&alice, &three).await,
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
    )
    .await;
    assert!(refused.error.message.contains('3'), "{refused:?}");
    assert_eq!(counts(&alice).await, (1, 0));
    // Past it by itself.
    let four = document(
        json!([{"title": "a"}, {"title": "b"}, {"title": "c"}, {"title": "d"}]),
        json!([]),
    );
    expect_error(
        import(&alice, &four).await,
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
    )
    .await;
    assert_eq!(counts(&alice).await, (1, 0));
    let tasks = alice.list_tasks(&ListQuery::default()).await.unwrap();
    assert_eq!(tasks.total, 1);
    // What fits is taken.
    let two = document(json!([{"title": "a"}, {"title": "b"}]), conversation);
    assert_eq!(import(&alice, &two).await.status(), StatusCode::CREATED);
    assert_eq!(counts(&alice).await, (3, 1));
    app.stop().await;
    database.drop().await;
}

async fn an_invalid_task_in_the_middle_writes_none_of_the_others(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let bad = document(
        json!([
            {"title": "first", "tags": ["ok"]},
            {"title": "second"},
            {"title": "   ", "priority": "urgent"},
            {"title": "fourth"},
            {"title": "fifth", "colour": "red", "due_date": "tomorrow"},
        ]),
        json!([{"title": "c", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "robot", "content": "beep"},
        ]}]),
    );
    let refused = expect_invalid(import(&alice, &bad).await).await;
    assert_eq!(
        field_names(&refused),
        vec![
            "conversations[0].messages[1].role",
            "tasks[2].priority",
            "tasks[2].title",
            "tasks[4].colour",
            "tasks[4].due_date",
        ]
    );
    assert_eq!(counts(&alice).await, (0, 0));
    // A valid document goes in afterwards, whole.
    let good = document(json!([{"title": "first"}]), json!([]));
    assert_eq!(import(&alice, &good).await.status(), StatusCode::CREATED);
    assert_eq!(counts(&alice).await, (1, 0));
    // A tool call on a message that is not a tool's is refused too.
    let misplaced = document(
        json!([]),
        json!([{"title": "c", "messages": [{"role": "user", "content": "hi",
            "tool_call": {"tool": "add_task", "arguments": {}, "result": {}}}]}]),
    );
    let refused = expect_invalid(import(&alice, &misplaced).await).await;
    assert_eq!(
        field_names(&refused),
        vec!["conversations[0].messages[0].tool_call"]
    );
    assert_eq!(counts(&alice).await, (1, 0));
}

async fn an_export_holds_the_callers_data_only(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, _) = ctx.user("bob").await;
    fill(&alice, "alice").await;
    fill(&bob, "bob").await;
    for (api, me, other) in [(&alice, "alice", "bob"), (&bob, "bob", "alice")] {
        let mine = export(api).await;
        let text = mine.to_string();
        assert!(text.contains(me), "{text}");
        assert!(!text.contains(other), "{me}'s export names {other}: {text}");
        assert_eq!(mine["tasks"].as_array().unwrap().len(), 4);
        assert_eq!(mine["conversations"].as_array().unwrap().len(), 1);
    }
    // Anonymous callers get nothing.
    let anonymous: Value = get_json(&ctx.api, "/api/export").await;
    assert_eq!(anonymous["error"]["code"], "unauthorized");
}

async fn an_import_may_be_larger_than_other_bodies_but_is_bounded(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let tasks: Vec<Value> = (0..100)
        .map(|i| {
            json!({"title": format!("task {i}"), "description": "d".repeat(1500),
                        "tags": ["bulk"]})
        })
        .collect();
    let large = document(json!(tasks), json!([]));
    assert!(large.to_string().len() > todo_api::limits::BODY_MAX_BYTES);
    let response = import(&alice, &large).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(counts(&alice).await, (100, 0));
    let tagged = alice
        .list_tasks(&ListQuery {
            tag: Some("bulk".into()),
            limit: Some(1),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(tagged.total, 100);
    // Other routes keep their limit.
    let big_task = json!({"title": "x", "description": "d".repeat(70 * 1024)});
    expect_error(
        send_json(&alice, Method::POST, "/api/tasks", &big_task).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    // And the import has its own.
    let huge = document(
        json!([{"title": "x", "description": "d".repeat(todo_api::limits::IMPORT_MAX_BYTES)}]),
        json!([]),
    );
    expect_error(
        import(&alice, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    assert_eq!(counts(&alice).await, (100, 0));
}
