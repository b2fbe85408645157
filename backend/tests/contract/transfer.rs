//! Export and import: a round trip loses nothing, an import is all or
//! nothing (a wrong version, an invalid task, a quota passed: nothing is
//! written), and an export holds the caller's data only. An export is
//! read a page at a time as its client reads: one at a time per user, and
//! one that cannot finish ends its body unfinished, never as valid JSON.

use std::time::Duration;

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
        an_export_of_many_pages_is_the_whole_document_and_round_trips,
        an_export_is_read_as_its_client_reads_it,
        a_second_export_of_the_same_user_waits_for_the_first,
        an_account_deleted_during_its_export_ends_the_download_unfinished,
        an_export_past_its_time_limit_ends_unfinished,
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

/// A running app of its own, with `overrides` over the test configuration.
async fn app_with(ctx: &TestCtx, overrides: &[(&str, &str)]) -> (RunningApp, TestDatabase) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(test_config(&database.url, overrides), ctx.backend.clone()).await;
    (app, database)
}

/// A timestamp `minutes` after a fixed instant.
fn at(minutes: i64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-06-01T08:00:00Z").unwrap();
    (base + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

const PRIORITIES: [&str; 3] = ["low", "medium", "high"];

/// A document as an export writes it (every field, in order, the dates
/// distinct so the order is the document's): `tasks` tasks, and one
/// conversation per entry of `messages` holding that many messages.
fn many_pages(tasks: usize, messages: &[usize]) -> Value {
    let tasks: Vec<Value> = (0..tasks)
        .map(|i| {
            json!({"title": format!("task {i}"),
                   "description": if i % 2 == 0 { json!(format!("about {i}\n\"quoted\" é")) } else { Value::Null },
                   "completed": i % 3 == 0, "priority": PRIORITIES[i % 3],
                   "due_date": if i % 2 == 1 { json!("2027-01-31") } else { Value::Null },
                   "tags": if i % 4 == 0 { json!(["home", "q1"]) } else { json!([]) },
                   "created_at": at(i as i64), "updated_at": at(i as i64 + 1000)})
        })
        .collect();
    let conversations: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(c, &count)| {
            let messages: Vec<Value> = (0..count)
                .map(|m| {
                    let created_at = at(2000 + (c * 100 + m) as i64);
                    match m % 3 {
                        0 => json!({"role": "user", "content": format!("ask {c}.{m}"), "created_at": created_at}),
                        1 => json!({"role": "tool", "content": format!("did {c}.{m}"),
                                    "tool_call": {"tool": "add_task", "arguments": {"title": format!("t{m}")},
                                                  "result": {"status": "created", "n": m}},
                                    "created_at": created_at}),
                        _ => json!({"role": "assistant", "content": format!("done {c}.{m}"), "created_at": created_at}),
                    }
                })
                .collect();
            json!({"title": format!("conversation {c}"), "created_at": at(1500 + c as i64),
                   "updated_at": at(3000 + c as i64), "messages": messages})
        })
        .collect();
    document(json!(tasks), json!(conversations))
}

/// The whole export of `api`'s account, as sent: its bytes.
async fn export_bytes(api: &ApiClient) -> Vec<u8> {
    let response = api
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.bytes().await.unwrap().to_vec()
}

/// `document` without `exported_at`, which differs between two exports.
fn undated(mut document: Value) -> Value {
    document.as_object_mut().unwrap().remove("exported_at");
    document
}

async fn an_export_of_many_pages_is_the_whole_document_and_round_trips(ctx: TestCtx) {
    // Three rows a page: nine tasks are three full pages and an empty
    // one; five conversations two pages; their messages none, less than a
    // page, a page exactly, several pages and a short one, several full.
    let (app, database) = app_with(&ctx, &[("EXPORT_PAGE_ROWS", "3")]).await;
    let (alice, _) = app.ctx.user("alice").await;
    let (bob, _) = app.ctx.user("bob").await;
    let empty: Value = serde_json::from_slice(&export_bytes(&bob).await).unwrap();
    assert_eq!(
        undated(empty),
        json!({"format": "todo-export", "version": 1, "tasks": [], "conversations": []})
    );

    let original = many_pages(9, &[0, 1, 3, 7, 6]);
    assert_eq!(
        import(&alice, &original).await.status(),
        StatusCode::CREATED
    );
    let bytes = export_bytes(&alice).await;
    let first: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(undated(first.clone()), undated(original.clone()));
    // Byte for byte what serializing the whole document writes.
    let typed: todo_api::Export = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        serde_json::to_string(&typed).unwrap()
    );

    // Imported elsewhere, it exports the same again.
    let response = import(&bob, &first).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary, json!({"tasks": 9, "conversations": 5}));
    let second: Value = serde_json::from_slice(&export_bytes(&bob).await).unwrap();
    assert_eq!(undated(second), undated(first));
    app.stop().await;
    database.drop().await;
}

/// Tasks per import of [`fill_large`], each 2,000 four-byte characters of
/// description: the import stays under its 8 MiB.
const LARGE_TASKS_PER_IMPORT: usize = 850;

/// Fills `api`'s account with `imports` × [`LARGE_TASKS_PER_IMPORT`]
/// completed tasks of about 8 KB each on the wire: an export many times
/// what sockets buffer, so an export held by its client is still
/// running, and a server that read ahead of its client would show.
async fn fill_large(api: &ApiClient, imports: usize) -> usize {
    let description = "😀".repeat(todo_api::limits::DESCRIPTION_MAX_CHARS);
    for i in 0..imports {
        let tasks: Vec<Value> = (0..LARGE_TASKS_PER_IMPORT)
            .map(|j| json!({"title": format!("bulk {i}.{j}"), "description": description, "completed": true}))
            .collect();
        let response = import(api, &document(json!(tasks), json!([]))).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    imports * LARGE_TASKS_PER_IMPORT
}

/// An export whose head is in and whose first bytes were read.
async fn started_export(api: &ApiClient) -> (reqwest::Response, Vec<u8>) {
    let mut response = api
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.unwrap().expect("a first chunk");
    (response, first.to_vec())
}

/// Reads the rest of `response` onto `bytes`; an error when the body
/// ended before its end.
async fn read_rest(response: &mut reqwest::Response, bytes: &mut Vec<u8>) -> reqwest::Result<()> {
    while let Some(chunk) = response.chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(())
}

async fn an_export_is_read_as_its_client_reads_it(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let total = fill_large(&alice, 4).await;
    let (mut held, mut bytes) = started_export(&alice).await;
    // Held, then the account emptied: what the server had not yet read
    // is not in what follows.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cleared = alice.clear_completed().await.unwrap();
    assert_eq!(cleared.deleted as usize, total);
    read_rest(&mut held, &mut bytes).await.unwrap();
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    let sent = document["tasks"].as_array().unwrap().len();
    // The server ran ahead of its client by no more than the sockets
    // between them buffer (a few MB), far from the whole 28 MB.
    assert!(sent > 0, "the first chunk held tasks");
    assert!(
        sent < total / 2,
        "{sent} of {total} tasks were read before the client asked for them"
    );
    assert_eq!(document["conversations"], json!([]));
}

async fn a_second_export_of_the_same_user_waits_for_the_first(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, _) = ctx.user("bob").await;
    let total = fill_large(&alice, 2).await;
    let (mut held, mut bytes) = started_export(&alice).await;

    let second = alice
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    let retry_after: u64 = second.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry_after), "Retry-After: {retry_after}");
    expect_error(
        second,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
    // Another user's export is not held up.
    let bobs: Value = serde_json::from_slice(&export_bytes(&bob).await).unwrap();
    assert_eq!(bobs["tasks"], json!([]));

    // Read slowly, the first is whole; then the user may export again.
    while bytes.len() < 4 * 1024 * 1024 {
        let Some(chunk) = held.chunk().await.unwrap() else {
            break;
        };
        bytes.extend_from_slice(&chunk);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    read_rest(&mut held, &mut bytes).await.unwrap();
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(document["tasks"].as_array().unwrap().len(), total);
    let (abandoned, _) = started_export(&alice).await;

    // A download given up frees the turn once the server sees it go.
    drop(abandoned);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let again = alice
            .request(Method::GET, "/api/export")
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::OK {
            let document: Value = again.json().await.unwrap();
            assert_eq!(document["tasks"].as_array().unwrap().len(), total);
            break;
        }
        assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            tokio::time::Instant::now() < deadline,
            "an abandoned export still holds its user's turn"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The document says so.
    let doc: Value = get_json(&ctx.api, "/api/openapi.json").await;
    let refused = &doc["paths"]["/api/export"]["get"]["responses"]["429"]["$ref"];
    assert_eq!(refused, "#/components/responses/TooManyRequests");
}

/// Whether `bytes` end the document: a body cut short never parses.
fn parses(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok()
}

async fn an_account_deleted_during_its_export_ends_the_download_unfinished(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    fill_large(&alice, 2).await;
    let (mut held, mut bytes) = started_export(&alice).await;
    alice.delete_account("correct horse battery").await.unwrap();
    let ended = read_rest(&mut held, &mut bytes).await;
    assert!(ended.is_err(), "the body ended as if whole");
    assert!(!parses(&bytes), "what came is a document");
    // Before the first byte, the same is a JSON error.
    let refused = alice
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    expect_error(refused, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

async fn an_export_past_its_time_limit_ends_unfinished(ctx: TestCtx) {
    let (app, database) = app_with(&ctx, &[("EXPORT_TIME_LIMIT_SECONDS", "1")]).await;
    let (alice, _) = app.ctx.user("alice").await;
    fill_large(&alice, 2).await;
    let (mut held, mut bytes) = started_export(&alice).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ended = read_rest(&mut held, &mut bytes).await;
    assert!(ended.is_err(), "the body ended as if whole");
    assert!(!parses(&bytes), "what came is a document");
    // Its turn ended with it.
    let again = alice
        .request(Method::GET, "/api/export")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    drop((held, again));
    app.stop().await;
    database.drop().await;
}
