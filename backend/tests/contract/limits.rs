//! What one account may hold and do: quotas on tasks, conversations and
//! messages (409 `quota_exceeded`, nothing half-written, usage reported),
//! paging through conversations and messages, and each user's budgets of
//! writes (one across `/api`, `/mcp` and the assistant) and of `/mcp` tool
//! calls (429 with `Retry-After`, a JSON-RPC error at `/mcp`).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::{ApiClient, ChatRequest, ConversationQuery, ErrorCode, MessageQuery, NewTask, Role};

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_error, expect_invalid, field_names,
    test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        tasks_past_the_quota_are_refused_at_every_door,
        conversations_and_messages_past_their_quotas_are_refused,
        conversations_and_messages_are_read_a_page_at_a_time,
        writes_share_one_budget_across_the_api_mcp_and_the_assistant,
        mcp_tool_calls_past_the_budget_are_a_json_rpc_429,
    ]
}

/// A fresh database and app with `overrides`.
async fn start(ctx: &TestCtx, overrides: &[(&str, &str)]) -> (RunningApp, TestDatabase) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(test_config(&database.url, overrides), ctx.backend.clone()).await;
    (app, database)
}

fn task(title: &str) -> NewTask {
    NewTask {
        title: title.into(),
        ..NewTask::default()
    }
}

async fn create(api: &ApiClient, title: &str) -> reqwest::Response {
    api.request(Method::POST, "/api/tasks")
        .json(&json!({"title": title}))
        .send()
        .await
        .unwrap()
}

async fn chat(
    api: &ApiClient,
    conversation: Option<uuid::Uuid>,
    message: &str,
) -> reqwest::Response {
    api.request(Method::POST, "/api/chat")
        .json(&ChatRequest {
            conversation_id: conversation,
            message: message.into(),
        })
        .send()
        .await
        .unwrap()
}

/// One JSON-RPC `tools/call` at `/mcp`, as raw HTTP (no session needed).
async fn mcp_call(api: &ApiClient, id: u32, tool: &str, arguments: Value) -> reqwest::Response {
    api.request(Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                      "params": {"name": tool, "arguments": arguments}}))
        .send()
        .await
        .unwrap()
}

async fn tasks_past_the_quota_are_refused_at_every_door(ctx: TestCtx) {
    let (app, database) = start(&ctx, &[("TASKS_PER_USER_MAX", "3")]).await;
    let (alice, _) = app.ctx.user("full").await;
    for i in 0..3 {
        alice
            .create_task(&task(&format!("task {i}")))
            .await
            .unwrap();
    }
    let usage = alice.usage().await.unwrap();
    assert_eq!((usage.tasks.used, usage.tasks.limit), (3, 3));
    assert_eq!(usage.tags_per_task, 10);

    let refused = expect_error(
        create(&alice, "one too many").await,
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
    )
    .await;
    assert!(
        refused.error.message.contains("3 tasks"),
        "{}",
        refused.error.message
    );
    assert!(
        refused.error.message.contains("delete"),
        "{}",
        refused.error.message
    );
    // The tool door and the assistant say the same, as a tool error.
    let answer: Value = mcp_call(&alice, 1, "add_task", json!({"title": "via mcp"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][1]["text"].as_str().unwrap();
    assert!(text.contains("quota_exceeded"), "{text}");
    let reply: todo_api::ChatResponse = chat(&alice, None, "add via chat")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        reply.tool_calls[0].result["error"]["code"],
        "quota_exceeded"
    );
    // Nothing was half-written: no task, no tag row.
    assert_eq!(alice.stats().await.unwrap().total, 3);
    assert_eq!(alice.usage().await.unwrap().tasks.used, 3);

    // Room again after a delete; another account has its own quota.
    let listed = alice.list_tasks(&Default::default()).await.unwrap();
    alice.delete_task(listed.items[0].id).await.unwrap();
    assert_eq!(alice.usage().await.unwrap().tasks.used, 2);
    alice.create_task(&task("fits again")).await.unwrap();
    let (bob, _) = app.ctx.user("empty").await;
    bob.create_task(&task("bob's")).await.unwrap();
    assert_eq!(bob.usage().await.unwrap().tasks.used, 1);
    // Clearing completed tasks gives their room back too.
    for item in alice.list_tasks(&Default::default()).await.unwrap().items {
        alice
            .update_task(
                item.id,
                &todo_api::TaskPatch {
                    completed: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    alice.clear_completed().await.unwrap();
    assert_eq!(alice.usage().await.unwrap().tasks.used, 0);
    app.stop().await;
    database.drop().await;
}

async fn conversations_and_messages_past_their_quotas_are_refused(ctx: TestCtx) {
    // A turn may add its message, 2 actions and a reply: 4 messages must
    // fit for it to start.
    let (app, database) = start(
        &ctx,
        &[
            ("CONVERSATIONS_PER_USER_MAX", "2"),
            ("MESSAGES_PER_CONVERSATION_MAX", "7"),
            ("ASSISTANT_MAX_TOOL_CALLS_PER_TURN", "2"),
        ],
    )
    .await;
    let (alice, _) = app.ctx.user("talker").await;
    let first: todo_api::ChatResponse = chat(&alice, None, "add milk").await.json().await.unwrap();
    let id = first.conversation_id;
    assert_eq!(
        chat(&alice, Some(id), "what is left").await.status(),
        StatusCode::OK
    );
    assert_eq!(alice.messages(id).await.unwrap().total, 6);
    let full = expect_error(
        chat(&alice, Some(id), "add bread").await,
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
    )
    .await;
    assert!(
        full.error.message.contains("start a new one"),
        "{}",
        full.error.message
    );
    assert_eq!(alice.messages(id).await.unwrap().total, 6, "nothing stored");
    assert_eq!(alice.stats().await.unwrap().total, 1, "nothing done");

    assert_eq!(
        chat(&alice, None, "what is left").await.status(),
        StatusCode::OK
    );
    let over = expect_error(
        chat(&alice, None, "add eggs").await,
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
    )
    .await;
    assert!(
        over.error.message.contains("2 conversations"),
        "{}",
        over.error.message
    );
    let usage = alice.usage().await.unwrap();
    assert_eq!(
        (usage.conversations.used, usage.conversations.limit),
        (2, 2)
    );
    assert_eq!(usage.messages_per_conversation, 7);
    assert_eq!(alice.conversations().await.unwrap().total, 2);
    assert_eq!(alice.stats().await.unwrap().total, 1);

    alice.delete_conversation(id).await.unwrap();
    assert_eq!(alice.usage().await.unwrap().conversations.used, 1);
    assert_eq!(
        chat(&alice, None, "add eggs").await.status(),
        StatusCode::OK
    );
    app.stop().await;
    database.drop().await;
}

async fn conversations_and_messages_are_read_a_page_at_a_time(ctx: TestCtx) {
    let (api, _) = ctx.user("pager").await;
    let mut conversation = None;
    for _ in 0..4 {
        let reply: todo_api::ChatResponse = chat(&api, conversation, "what is left")
            .await
            .json()
            .await
            .unwrap();
        conversation = Some(reply.conversation_id);
    }
    let id = conversation.unwrap();
    for _ in 0..2 {
        assert_eq!(
            chat(&api, None, "what is left").await.status(),
            StatusCode::OK
        );
    }

    let page = |limit, offset| ConversationQuery {
        limit: Some(limit),
        offset: Some(offset),
    };
    let first = api.conversation_page(&page(2, 0)).await.unwrap();
    assert_eq!(
        (first.items.len(), first.total, first.limit, first.offset),
        (2, 3, 2, 0)
    );
    let rest = api.conversation_page(&page(2, 2)).await.unwrap();
    assert_eq!((rest.items.len(), rest.total), (1, 3));
    // The oldest-active one comes last: the long conversation, written first.
    assert_eq!(rest.items[0].id, id);

    // Four turns of a user message, a tool record and a reply: 12, read
    // backwards from the newest.
    let newest = api
        .message_page(
            id,
            &MessageQuery {
                limit: Some(5),
                before: None,
            },
        )
        .await
        .unwrap();
    let positions = |list: &todo_api::MessageList| -> Vec<u32> {
        list.items.iter().map(|m| m.position).collect()
    };
    assert_eq!(newest.total, 12);
    assert_eq!(positions(&newest), [7, 8, 9, 10, 11]);
    assert_eq!(newest.older, Some(7));
    let middle = api
        .message_page(
            id,
            &MessageQuery {
                limit: Some(5),
                before: newest.older,
            },
        )
        .await
        .unwrap();
    assert_eq!(positions(&middle), [2, 3, 4, 5, 6]);
    let start = api
        .message_page(
            id,
            &MessageQuery {
                limit: Some(5),
                before: middle.older,
            },
        )
        .await
        .unwrap();
    assert_eq!(positions(&start), [0, 1]);
    assert_eq!(start.older, None, "the page that starts the conversation");
    assert_eq!(start.items[0].role, Role::User);
    assert_eq!(
        api.messages(id).await.unwrap().items.len(),
        12,
        "default 50"
    );

    for (path, field) in [
        ("/api/conversations?limit=0", "limit"),
        ("/api/conversations?offset=-1", "offset"),
        ("/api/conversations?before=3", "before"),
        (
            &*format!("/api/conversations/{id}/messages?before=x"),
            "before",
        ),
        (
            &*format!("/api/conversations/{id}/messages?limit=101"),
            "limit",
        ),
        (
            &*format!("/api/conversations/{id}/messages?offset=1"),
            "offset",
        ),
    ] {
        let response = api.request(Method::GET, path).send().await.unwrap();
        let body = expect_invalid(response).await;
        assert_eq!(field_names(&body), [field], "{path}");
    }
}

async fn writes_share_one_budget_across_the_api_mcp_and_the_assistant(ctx: TestCtx) {
    let (app, database) = start(&ctx, &[("WRITES_PER_MINUTE_PER_USER", "4")]).await;
    let (alice, _) = app.ctx.user("busy").await;
    // Two through the API, one through /mcp, one by the assistant's tool
    // (the chat message itself is a write too: the last of the four).
    alice.create_task(&task("api one")).await.unwrap();
    let answer: Value = mcp_call(&alice, 1, "add_task", json!({"title": "mcp one"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let reply: todo_api::ChatResponse = chat(&alice, None, "add chat one")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        reply.tool_calls[0].result.get("error").is_none(),
        "{reply:?}"
    );
    assert_eq!(alice.stats().await.unwrap().total, 3);

    // Spent: each door says so, and nothing is written.
    let refused = create(&alice, "api two").await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
    let refused = mcp_call(&alice, 9, "add_task", json!({"title": "mcp two"})).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["id"], 9, "{body}");
    assert_eq!(body["error"]["code"], -32029, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("too many changes"), "{message}");
    assert_eq!(alice.stats().await.unwrap().total, 3);
    // Reads are not writes.
    let listed: Value = mcp_call(&alice, 2, "list_tasks", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["result"]["structuredContent"]["total"], 3,
        "{listed}"
    );
    // Another user has a budget of their own.
    let (bob, _) = app.ctx.user("idle").await;
    bob.create_task(&task("bob's")).await.unwrap();
    app.stop().await;
    database.drop().await;
}

async fn mcp_tool_calls_past_the_budget_are_a_json_rpc_429(ctx: TestCtx) {
    let (app, database) = start(&ctx, &[("MCP_TOOL_CALLS_PER_MINUTE_PER_USER", "2")]).await;
    let (alice, auth) = app.ctx.user("caller").await;
    for id in 1..=2 {
        let response = mcp_call(&alice, id, "list_tasks", json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let refused = mcp_call(&alice, 3, "list_tasks", json!({})).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], 3);
    assert_eq!(body["error"]["code"], -32029);
    assert_eq!(body["error"]["data"]["retry_after_seconds"], retry_after);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("too many tool calls"), "{message}");

    // The SDK's client reports it as an error of the call; listing the
    // tools is not a tool call and is still answered.
    let client = crate::mcp::connect(app.ctx.api.base_url(), &auth.token).await;
    assert!(client.list_all_tools().await.is_ok());
    let failed = client
        .call_tool(rmcp::model::CallToolRequestParams::new("list_tasks"))
        .await;
    assert!(failed.is_err(), "{failed:?}");
    let (bob, _) = app.ctx.user("other").await;
    assert_eq!(
        mcp_call(&bob, 1, "list_tasks", json!({})).await.status(),
        StatusCode::OK
    );
    app.stop().await;
    database.drop().await;
}
