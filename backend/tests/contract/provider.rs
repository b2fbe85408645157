//! The `openai` provider against a scripted OpenAI-compatible server the
//! test runs: a multi-round tool loop (arguments as a string and as an
//! object, an empty finish_reason), malformed tool arguments, garbage, a
//! 500, a provider that is down, one that hangs, and the round cap. A
//! failure leaves the user's message stored and no half reply.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};
use todo_api::{ApiClient, ChatRequest, ErrorCode, Role};

use crate::cases;
use crate::support::{RunningApp, TestCtx, TestDatabase, TestFn, expect_error, test_config};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_multi_round_tool_loop_ends_in_a_reply,
        malformed_tool_arguments_are_a_502,
        a_provider_error_or_garbage_is_a_502,
        a_provider_that_is_down_is_a_503,
        a_provider_that_hangs_is_a_504,
        a_slow_model_runs_out_of_its_turn_budget_with_its_actions_kept,
        the_round_cap_stops_a_looping_model,
        a_flood_of_tool_calls_in_one_answer_runs_only_the_round_budget,
        tool_calls_across_rounds_stop_at_the_turn_budget,
        an_oversized_answer_is_a_502_and_nothing_runs,
        oversized_arguments_are_refused_without_running,
        deletions_past_three_wait_for_a_yes,
        deletions_held_back_are_dropped_by_a_no_or_a_new_request,
        the_model_is_sent_a_window_of_the_history,
        the_model_is_told_the_users_clock_and_sets_schedules,
    ]
}

/// One scripted answer: status, body, and how long to wait before it.
#[derive(Clone)]
struct Answer {
    status: StatusCode,
    body: String,
    delay: Duration,
}

fn ok(body: Value) -> Answer {
    Answer {
        status: StatusCode::OK,
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

fn tool_call(name: &str, arguments: Value) -> Value {
    json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [
        {"id": format!("call-{name}"), "type": "function", "function": {"name": name, "arguments": arguments}}
    ]}, "finish_reason": "tool_calls"}]})
}

fn text(reply: &str) -> Value {
    json!({"choices": [{"message": {"role": "assistant", "content": reply}, "finish_reason": ""}]})
}

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    /// Repeated once the queue is empty.
    forever: Arc<Mutex<Option<Answer>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

async fn completions(State(script): State<Script>, Json(body): Json<Value>) -> Response {
    script.requests.lock().unwrap().push(body);
    let next = script.answers.lock().unwrap().pop_front();
    let answer = next
        .or_else(|| script.forever.lock().unwrap().clone())
        .unwrap_or_else(|| ok(text("the script ran out")));
    tokio::time::sleep(answer.delay).await;
    (
        answer.status,
        [("content-type", "application/json")],
        answer.body,
    )
        .into_response()
}

/// A scripted provider on a free port, and a backend that uses it.
struct Scripted {
    script: Script,
    app: RunningApp,
    database: TestDatabase,
    api: ApiClient,
}

impl Scripted {
    async fn start(ctx: &TestCtx, answers: Vec<Answer>, extra: &[(&str, &str)]) -> Self {
        let script = Script::default();
        script.answers.lock().unwrap().extend(answers);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let router = axum::Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self::with_base(ctx, script, &format!("http://127.0.0.1:{port}/v1"), extra).await
    }

    async fn with_base(ctx: &TestCtx, script: Script, base: &str, extra: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create(&ctx.backend).await;
        let mut vars = vec![
            ("ASSISTANT_PROVIDER", "openai"),
            ("ASSISTANT_BASE_URL", base),
            ("ASSISTANT_MODEL", "scripted"),
            ("ASSISTANT_API_KEY", "test-key"),
        ];
        vars.extend_from_slice(extra);
        let app = RunningApp::start(test_config(&database.url, &vars), ctx.backend.clone()).await;
        let (api, _) = app.ctx.user("model-user").await;
        Self {
            script,
            app,
            database,
            api,
        }
    }

    async fn say(&self, message: &str) -> reqwest::Response {
        self.api
            .request(Method::POST, "/api/chat")
            .json(&json!({"message": message}))
            .send()
            .await
            .unwrap()
    }

    /// The only conversation's messages, by role.
    async fn roles(&self) -> Vec<Role> {
        let conversations = self.api.conversations().await.unwrap();
        assert_eq!(conversations.total, 1, "the user's message is stored");
        let messages = self.api.messages(conversations.items[0].id).await.unwrap();
        messages.items.iter().map(|m| m.role).collect()
    }

    async fn stop(self) {
        self.app.stop().await;
        self.database.drop().await;
    }
}

async fn a_multi_round_tool_loop_ends_in_a_reply(ctx: TestCtx) {
    let scripted = Scripted::start(
        &ctx,
        vec![
            // Arguments as the API says (a JSON string) ...
            ok(tool_call(
                "add_task",
                json!(json!({"title": "Oat milk", "priority": "high"}).to_string()),
            )),
            // ... and as some servers send them (the object itself).
            ok(tool_call("list_tasks", json!({"status": "active"}))),
            ok(text("Added oat milk; you have 1 task left.")),
        ],
        &[],
    )
    .await;
    let reply = scripted
        .api
        .chat(&ChatRequest {
            conversation_id: None,
            message: "add oat milk, it is urgent".into(),
        })
        .await
        .unwrap();
    assert_eq!(reply.response, "Added oat milk; you have 1 task left.");
    let tools: Vec<&str> = reply.tool_calls.iter().map(|c| c.tool.as_str()).collect();
    assert_eq!(tools, ["add_task", "list_tasks"]);
    assert_eq!(reply.tool_calls[1].result["total"], 1);
    assert_eq!(scripted.api.stats().await.unwrap().total, 1);

    let requests = scripted.script.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0]["model"], "scripted");
    assert_eq!(requests[0]["tools"].as_array().unwrap().len(), 5);
    // The last round saw both calls and their results.
    let roles: Vec<&str> = requests[2]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "tool"]
    );
    use Role::{Assistant, Tool, User};
    assert_eq!(scripted.roles().await, [User, Tool, Tool, Assistant]);

    // The next turn replays the stored history to the model.
    let conversation = reply.conversation_id;
    scripted
        .script
        .answers
        .lock()
        .unwrap()
        .push_back(ok(text("Nothing else.")));
    scripted
        .api
        .chat(&ChatRequest {
            conversation_id: Some(conversation),
            message: "anything else?".into(),
        })
        .await
        .unwrap();
    let replayed = scripted
        .script
        .requests
        .lock()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    let roles: Vec<&str> = replayed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    // Each round as it happened: a call, its result; then the reply.
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool",
            "assistant",
            "user"
        ]
    );
    let metrics = scripted
        .api
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "assistant_provider_duration_seconds_count{provider=\"openai\",outcome=\"ok\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "assistant_tool_calls_total{tool=\"add_task\",outcome=\"ok\",door=\"chat\"} 1"
        ),
        "{metrics}"
    );
    scripted.stop().await;
}

async fn malformed_tool_arguments_are_a_502(ctx: TestCtx) {
    let scripted = Scripted::start(
        &ctx,
        vec![ok(tool_call("add_task", json!("{\"title\": ")))],
        &[],
    )
    .await;
    let response = scripted.say("add something").await;
    let error = expect_error(
        response,
        StatusCode::BAD_GATEWAY,
        ErrorCode::AssistantFailed,
    )
    .await;
    assert!(
        error.error.message.contains("message is saved"),
        "{}",
        error.error.message
    );
    assert_eq!(scripted.roles().await, [Role::User], "no half reply");
    assert_eq!(scripted.api.stats().await.unwrap().total, 0);
    scripted.stop().await;
}

async fn a_provider_error_or_garbage_is_a_502(ctx: TestCtx) {
    let broken = Answer {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: "{\"error\": {\"message\": \"boom\"}}".into(),
        delay: Duration::ZERO,
    };
    let garbage = Answer {
        status: StatusCode::OK,
        body: "<html>not json</html>".into(),
        delay: Duration::ZERO,
    };
    let scripted = Scripted::start(&ctx, vec![broken, garbage], &[]).await;
    for _ in 0..2 {
        let response = scripted.say("what is left").await;
        assert!(response.headers().contains_key("x-request-id"));
        let error = expect_error(
            response,
            StatusCode::BAD_GATEWAY,
            ErrorCode::AssistantFailed,
        )
        .await;
        assert!(
            !error.error.message.contains("test-key"),
            "no secret in the answer"
        );
        // The provider's bytes are logged, never shown.
        for shown in ["boom", "html", "not json"] {
            assert!(
                !error.error.message.contains(shown),
                "{}",
                error.error.message
            );
        }
    }
    let conversations = scripted.api.conversations().await.unwrap();
    assert_eq!(
        conversations.total, 2,
        "each message kept, in its own conversation"
    );
    scripted.stop().await;
}

async fn a_provider_that_is_down_is_a_503(ctx: TestCtx) {
    // Port 9 (discard) is closed on loopback.
    let scripted = Scripted::with_base(&ctx, Script::default(), "http://127.0.0.1:9/v1", &[]).await;
    let response = scripted.say("what is left").await;
    assert!(response.headers().contains_key("retry-after"));
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::AssistantUnavailable,
    )
    .await;
    assert_eq!(scripted.roles().await, [Role::User]);
    scripted.stop().await;
}

async fn a_provider_that_hangs_is_a_504(ctx: TestCtx) {
    let hanging = Answer {
        delay: Duration::from_secs(10),
        ..ok(text("too late"))
    };
    let scripted = Scripted::start(&ctx, vec![hanging], &[("ASSISTANT_TIMEOUT", "1")]).await;
    let started = Instant::now();
    let response = scripted.say("what is left").await;
    let took = started.elapsed();
    expect_error(
        response,
        StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::AssistantTimeout,
    )
    .await;
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    assert_eq!(scripted.roles().await, [Role::User]);
    scripted.stop().await;
}

/// Each answer is quicker than ASSISTANT_TIMEOUT, but together they are
/// not: the turn ends at the budget, and the action already taken stays on
/// record.
async fn a_slow_model_runs_out_of_its_turn_budget_with_its_actions_kept(ctx: TestCtx) {
    let slow = |body| Answer {
        delay: Duration::from_millis(700),
        ..ok(body)
    };
    let answers = vec![
        slow(tool_call("add_task", json!({"title": "slow one"}))),
        slow(tool_call("add_task", json!({"title": "never added"}))),
        slow(text("too late")),
    ];
    let scripted = Scripted::start(&ctx, answers, &[("ASSISTANT_TIMEOUT", "1")]).await;
    let started = Instant::now();
    let response = scripted.say("add slowly").await;
    let took = started.elapsed();
    expect_error(
        response,
        StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::AssistantTimeout,
    )
    .await;
    assert!(
        took < Duration::from_millis(1400),
        "answered after {took:?}"
    );
    let tasks = scripted.api.list_tasks(&Default::default()).await.unwrap();
    let titles: Vec<&str> = tasks.items.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["slow one"]);
    assert_eq!(scripted.roles().await, [Role::User, Role::Tool]);
    scripted.stop().await;
}

async fn the_round_cap_stops_a_looping_model(ctx: TestCtx) {
    let scripted = Scripted::start(&ctx, vec![], &[("ASSISTANT_MAX_TOOL_ROUNDS", "2")]).await;
    *scripted.script.forever.lock().unwrap() =
        Some(ok(tool_call("add_task", json!({"title": "again"}))));
    let response = scripted.say("add again").await;
    let error = expect_error(
        response,
        StatusCode::BAD_GATEWAY,
        ErrorCode::AssistantFailed,
    )
    .await;
    assert!(
        error.error.message.contains("2 tool rounds"),
        "{}",
        error.error.message
    );
    assert_eq!(scripted.script.requests.lock().unwrap().len(), 3);
    // The two actions happened and are on record; no reply was invented.
    assert_eq!(scripted.api.stats().await.unwrap().total, 2);
    assert_eq!(scripted.roles().await, [Role::User, Role::Tool, Role::Tool]);
    scripted.stop().await;
}

/// One answer asking for `count` calls of `add_task`.
fn many_calls(count: usize, prefix: &str) -> Value {
    let calls: Vec<Value> = (0..count)
        .map(|i| json!({"id": format!("call-{prefix}-{i}"), "type": "function",
                        "function": {"name": "add_task", "arguments": json!({"title": format!("{prefix} {i}")}).to_string()}}))
        .collect();
    json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": calls},
                        "finish_reason": "tool_calls"}]})
}

async fn a_flood_of_tool_calls_in_one_answer_runs_only_the_round_budget(ctx: TestCtx) {
    let scripted = Scripted::start(&ctx, vec![ok(many_calls(500, "flood"))], &[]).await;
    let response = scripted.say("hi").await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: todo_api::ChatResponse = response.json().await.unwrap();
    assert_eq!(reply.tool_calls.len(), 8, "the default round budget");
    assert!(
        reply.response.contains("I stopped here"),
        "{}",
        reply.response
    );
    assert!(
        reply.response.contains("492 were not done"),
        "{}",
        reply.response
    );
    assert_eq!(
        scripted.api.stats().await.unwrap().total,
        8,
        "exactly the budget"
    );
    assert_eq!(
        scripted.script.requests.lock().unwrap().len(),
        1,
        "the turn ended"
    );
    let mut expected = vec![Role::User];
    expected.extend([Role::Tool; 8]);
    expected.push(Role::Assistant);
    assert_eq!(scripted.roles().await, expected, "all on record");
    scripted.stop().await;
}

async fn tool_calls_across_rounds_stop_at_the_turn_budget(ctx: TestCtx) {
    let scripted = Scripted::start(
        &ctx,
        vec![],
        &[
            ("ASSISTANT_MAX_TOOL_CALLS_PER_TURN", "12"),
            ("ASSISTANT_MAX_TOOL_ROUNDS", "10"),
        ],
    )
    .await;
    *scripted.script.forever.lock().unwrap() = Some(ok(many_calls(5, "again")));
    let response = scripted.say("add some").await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: todo_api::ChatResponse = response.json().await.unwrap();
    assert_eq!(reply.tool_calls.len(), 12);
    assert!(
        reply.response.contains("at most 12 actions"),
        "{}",
        reply.response
    );
    assert_eq!(
        scripted.api.stats().await.unwrap().total,
        12,
        "exactly the budget"
    );
    assert_eq!(
        scripted.script.requests.lock().unwrap().len(),
        3,
        "5 + 5 + 2 of 5"
    );
    scripted.stop().await;
}

async fn an_oversized_answer_is_a_502_and_nothing_runs(ctx: TestCtx) {
    let huge = "x".repeat(1024 * 1024 + 1);
    let scripted = Scripted::start(
        &ctx,
        vec![ok(tool_call(
            "add_task",
            json!({"title": "big", "description": huge}),
        ))],
        &[],
    )
    .await;
    let response = scripted.say("add a big one").await;
    let error = expect_error(
        response,
        StatusCode::BAD_GATEWAY,
        ErrorCode::AssistantFailed,
    )
    .await;
    assert!(error.error.message.len() < 300, "{}", error.error.message);
    assert_eq!(scripted.api.stats().await.unwrap().total, 0);
    assert_eq!(scripted.roles().await, [Role::User]);
    scripted.stop().await;
}

async fn oversized_arguments_are_refused_without_running(ctx: TestCtx) {
    let long = "y".repeat(9 * 1024);
    let scripted = Scripted::start(
        &ctx,
        vec![
            ok(tool_call(
                "add_task",
                json!({"title": "long", "description": long})
                    .to_string()
                    .into(),
            )),
            ok(text("that did not work")),
        ],
        &[],
    )
    .await;
    let response = scripted.say("add a long one").await;
    assert_eq!(response.status(), StatusCode::OK);
    let reply: todo_api::ChatResponse = response.json().await.unwrap();
    assert_eq!(reply.tool_calls.len(), 1);
    assert_eq!(
        reply.tool_calls[0].result["error"]["code"],
        "validation_failed"
    );
    assert_eq!(scripted.api.stats().await.unwrap().total, 0, "nothing ran");
    // What is stored of it is its size, not the bytes.
    let conversation = reply.conversation_id;
    let stored = scripted.api.messages(conversation).await.unwrap();
    let record = stored.items[1].tool_call.as_ref().expect("the tool record");
    let omitted = record.arguments["omitted_bytes"].as_u64().unwrap_or(0);
    assert!(omitted > 9 * 1024, "{:?}", record.arguments);
    assert_eq!(record.arguments.as_object().unwrap().len(), 1);
    scripted.stop().await;
}

/// One answer deleting each of `titles`.
fn deletions(titles: &[String]) -> Value {
    let calls: Vec<Value> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| json!({"id": format!("call-delete-{i}"), "type": "function",
                                 "function": {"name": "delete_task", "arguments": json!({"title": title}).to_string()}}))
        .collect();
    json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": calls},
                        "finish_reason": "tool_calls"}]})
}

/// A user with tasks "chore 0" … "chore {count-1}", and a model that
/// answers the first message by deleting all of them.
async fn six_chores(ctx: &TestCtx) -> (Scripted, Vec<String>) {
    let titles: Vec<String> = (0..6).map(|i| format!("chore {i}")).collect();
    let scripted = Scripted::start(ctx, vec![ok(deletions(&titles))], &[]).await;
    for title in &titles {
        scripted
            .api
            .create_task(&todo_api::NewTask {
                title: title.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    (scripted, titles)
}

async fn deletions_past_three_wait_for_a_yes(ctx: TestCtx) {
    let (scripted, _) = six_chores(&ctx).await;
    let asked: todo_api::ChatResponse = scripted
        .say("clear out my chores")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(asked.tool_calls.len(), 3, "three run on the model's word");
    assert_eq!(scripted.api.stats().await.unwrap().total, 3);
    for held in ["“chore 3”", "“chore 4”", "“chore 5”"] {
        assert!(asked.response.contains(held), "{}", asked.response);
    }
    assert!(asked.response.contains("Reply “yes”"), "{}", asked.response);

    // Renamed meanwhile: the yes deletes exactly the tasks it was asked
    // about, by id.
    let left = scripted.api.list_tasks(&Default::default()).await.unwrap();
    let renamed = left.items.iter().find(|t| t.title == "chore 4").unwrap();
    scripted
        .api
        .update_task(
            renamed.id,
            &todo_api::TaskPatch {
                title: Some("chore four".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let conversation = Some(asked.conversation_id);
    let done = scripted
        .api
        .chat(&ChatRequest {
            conversation_id: conversation,
            message: "yes".into(),
        })
        .await
        .unwrap();
    assert_eq!(done.tool_calls.len(), 3);
    assert!(
        done.response.contains("deleted 3 tasks"),
        "{}",
        done.response
    );
    assert_eq!(scripted.api.stats().await.unwrap().total, 0);
    assert_eq!(
        scripted.script.requests.lock().unwrap().len(),
        1,
        "the model is not asked to confirm"
    );
    // A second yes has nothing left to confirm: it goes to the model.
    scripted
        .api
        .chat(&ChatRequest {
            conversation_id: conversation,
            message: "yes".into(),
        })
        .await
        .unwrap();
    assert_eq!(scripted.script.requests.lock().unwrap().len(), 2);
    scripted.stop().await;
}

async fn deletions_held_back_are_dropped_by_a_no_or_a_new_request(ctx: TestCtx) {
    let (scripted, titles) = six_chores(&ctx).await;
    let asked: todo_api::ChatResponse = scripted
        .say("delete the chores")
        .await
        .json()
        .await
        .unwrap();
    let conversation = Some(asked.conversation_id);
    let kept = scripted
        .api
        .chat(&ChatRequest {
            conversation_id: conversation,
            message: "no, keep them".into(),
        })
        .await
        .unwrap();
    assert!(kept.tool_calls.is_empty());
    assert!(kept.response.contains("kept them"), "{}", kept.response);
    assert_eq!(scripted.api.stats().await.unwrap().total, 3);
    assert_eq!(scripted.script.requests.lock().unwrap().len(), 1);

    // Asked again; this time the user moves on to something else, which
    // the model answers, and the held deletions stay undone.
    scripted
        .script
        .answers
        .lock()
        .unwrap()
        .extend([ok(deletions(&titles)), ok(text("Sure."))]);
    let fresh = scripted.api.list_tasks(&Default::default()).await.unwrap();
    assert_eq!(fresh.total, 3);
    for title in &titles[..3] {
        scripted
            .api
            .create_task(&todo_api::NewTask {
                title: title.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let again = scripted
        .api
        .chat(&ChatRequest {
            conversation_id: conversation,
            message: "delete them after all".into(),
        })
        .await
        .unwrap();
    assert_eq!(again.tool_calls.len(), 3);
    assert!(
        again.response.contains("confirmation"),
        "{}",
        again.response
    );
    let moved_on = scripted
        .api
        .chat(&ChatRequest {
            conversation_id: conversation,
            message: "what about my groceries list for the weekend".into(),
        })
        .await
        .unwrap();
    assert_eq!(moved_on.response, "Sure.");
    assert_eq!(scripted.script.requests.lock().unwrap().len(), 3);
    assert_eq!(
        scripted.api.stats().await.unwrap().total,
        3,
        "nothing more deleted"
    );
    scripted.stop().await;
}

async fn the_model_is_sent_a_window_of_the_history(ctx: TestCtx) {
    let scripted = Scripted::start(
        &ctx,
        vec![ok(text("one")), ok(text("two")), ok(text("three"))],
        &[("ASSISTANT_HISTORY_MESSAGES", "4")],
    )
    .await;
    let mut conversation = None;
    for message in ["first", "second", "third"] {
        let reply = scripted
            .api
            .chat(&ChatRequest {
                conversation_id: conversation,
                message: message.into(),
            })
            .await
            .unwrap();
        conversation = Some(reply.conversation_id);
    }
    let requests = scripted.script.requests.lock().unwrap().clone();
    let sent: Vec<(String, String)> = requests[2]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap_or("").to_owned(),
            )
        })
        .filter(|(role, _)| role != "system")
        .collect();
    let expected: Vec<(String, String)> = [
        ("assistant", "one"),
        ("user", "second"),
        ("assistant", "two"),
        ("user", "third"),
    ]
    .iter()
    .map(|(r, c)| (r.to_string(), c.to_string()))
    .collect();
    assert_eq!(sent, expected, "the newest 4 stored messages");
    scripted.stop().await;
}

/// The model is told the user's own date, time and time zone, and the
/// tools it is given take due times, repeats and reminders, which a call
/// sets on the task.
async fn the_model_is_told_the_users_clock_and_sets_schedules(ctx: TestCtx) {
    let arguments = json!({"title": "water the plants", "due_date": "2030-01-07",
        "due_time": "08:00", "recurrence": "FREQ=WEEKLY;BYDAY=MO", "reminders": [60]});
    let scripted = Scripted::start(
        &ctx,
        vec![
            ok(tool_call("add_task", json!(arguments.to_string()))),
            ok(text("Added.")),
        ],
        &[],
    )
    .await;
    // A user whose day is UTC+14 (no daylight saving there).
    let auth = scripted
        .app
        .ctx
        .api
        .signup(&todo_api::SignupRequest {
            email: format!("far-{}@example.com", uuid::Uuid::new_v4().simple()),
            password: "correct horse battery".into(),
            name: "far".into(),
            time_zone: Some("Pacific/Kiritimati".into()),
        })
        .await
        .unwrap();
    let api = scripted.app.ctx.api.with_token(&auth.token);
    let clock = chrono::FixedOffset::east_opt(14 * 3600).unwrap();
    let local = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&clock).naive_local();
    let before = local(chrono::Utc::now());
    let reply = api
        .chat(&ChatRequest {
            conversation_id: None,
            message: "water the plants every monday at 8, remind me an hour before".into(),
        })
        .await
        .unwrap();
    let after = local(chrono::Utc::now());
    assert_eq!(
        reply.tool_calls[0].result["recurrence_summary"],
        "every Monday"
    );
    assert_eq!(reply.tool_calls[0].result["reminders"], json!([60]));

    let requests = scripted.script.requests.lock().unwrap().clone();
    let prompt = requests[0]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("Pacific/Kiritimati"), "{prompt}");
    // The user's date and time as the turn began, between two readings.
    let said = |at: chrono::NaiveDateTime| {
        format!(
            "It is now {} on {}",
            at.format("%H:%M"),
            at.format("%A %Y-%m-%d")
        )
    };
    assert!(
        prompt.contains(&said(before)) || prompt.contains(&said(after)),
        "{prompt} (between {before} and {after})"
    );
    let add = requests[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "add_task")
        .unwrap()["function"]["parameters"]
        .clone();
    for field in ["due_time", "recurrence", "reminders"] {
        assert!(
            add["properties"][field]["description"].is_string(),
            "{field}: {add}"
        );
    }
    scripted.stop().await;
}
