//! Accounts that hold up against a hostile client: revocable sessions
//! (logout, one by one, all but this one, on a password change; refused on
//! every door, at once here and within seconds on another process),
//! personal access tokens (shown once, scoped, revocable, expiring),
//! bounded password hashing, signup throttling, and secret rotation.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use todo_api::{
    ApiClient, AuthResponse, ErrorCode, LoginRequest, NewPersonalToken, PasswordChange,
    PersonalTokenCreated, SessionKind, SignupRequest,
};
use uuid::Uuid;

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_api_error, expect_error, expect_invalid,
    expire_rows, send_json, test_config,
};

/// Moves a session's expiry into the past, as time would.
async fn expire_session(database_url: &str, session: Uuid) {
    let sql = "UPDATE sessions SET expires_at = $1 WHERE id = $2";
    assert_eq!(expire_rows(database_url, sql, Some(session)).await, 1);
}

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        logout_ends_the_session_on_every_door,
        a_session_revoked_on_one_process_is_refused_by_another_within_five_seconds,
        logins_are_listed_and_ended_one_by_one_or_all_but_this_one,
        a_password_change_needs_the_current_one_and_ends_every_other_session,
        deleting_the_account_needs_its_password,
        personal_tokens_are_shown_once_listed_and_revoked,
        a_read_only_token_is_refused_on_every_write_route_and_write_tool,
        a_personal_token_never_manages_the_account,
        an_expired_personal_token_says_it_expired,
        signups_are_throttled_per_email,
        signups_are_throttled_per_client,
        password_hashing_beyond_its_bound_is_503_with_retry_after,
        a_stranger_cannot_lock_the_owner_out,
        tokens_signed_with_the_previous_secret_still_work,
    ]
}

const PASSWORD: &str = "correct horse battery";

/// Logs `email` in again from `agent`: a new session.
async fn login(api: &ApiClient, email: &str, agent: &str) -> ApiClient {
    let auth = api
        .with_user_agent(agent)
        .login(&LoginRequest {
            email: email.into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("login succeeds");
    api.with_token(&auth.token)
}

/// A new personal access token of `api`'s account.
async fn new_token(api: &ApiClient, name: &str, scope: &str, days: u32) -> PersonalTokenCreated {
    api.create_personal_token(&NewPersonalToken {
        name: name.into(),
        scope: scope.into(),
        expires_in_days: days,
    })
    .await
    .expect("the token is created")
}

/// GET /api/auth/me with `api`'s credential: its status.
async fn me_status(api: &ApiClient) -> StatusCode {
    api.request(Method::GET, "/api/auth/me")
        .send()
        .await
        .unwrap()
        .status()
}

/// One JSON-RPC message to `/mcp`: the HTTP status and the body.
async fn mcp(api: &ApiClient, method: &str, params: Value) -> (StatusCode, Value) {
    let response = api
        .request(Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn assert_refused_everywhere(api: &ApiClient, why: &str) {
    assert_eq!(
        me_status(api).await,
        StatusCode::UNAUTHORIZED,
        "/api: {why}"
    );
    let (status, _) = mcp(api, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "/mcp: {why}");
    let chat = send_json(
        api,
        Method::POST,
        "/api/chat",
        &json!({"message": "what is left?"}),
    )
    .await;
    assert_eq!(chat.status(), StatusCode::UNAUTHORIZED, "/api/chat: {why}");
}

async fn logout_ends_the_session_on_every_door(ctx: TestCtx) {
    let (api, auth) = ctx.user("leaver").await;
    let other = login(&ctx.api, &auth.user.email, "second browser").await;
    assert_eq!(me_status(&api).await, StatusCode::OK);
    let (status, _) = mcp(&api, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    api.logout().await.unwrap();
    assert_refused_everywhere(&api, "after logout").await;
    assert_eq!(
        me_status(&other).await,
        StatusCode::OK,
        "another session of the account is untouched"
    );
    let again = api.logout().await;
    expect_api_error(again, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
}

/// Two backends on one database, as two replicas: a session ended on one
/// is refused on the other within five seconds.
async fn a_session_revoked_on_one_process_is_refused_by_another_within_five_seconds(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let first = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let second = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let (on_first, _) = first.ctx.user("replicated").await;
    let token = on_first.token().unwrap().to_owned();
    let on_second = second.ctx.api.with_token(&token);
    // The second process has read (and remembers) the session.
    assert_eq!(me_status(&on_second).await, StatusCode::OK);
    on_first.logout().await.unwrap();
    let revoked_at = Instant::now();
    assert_eq!(
        me_status(&on_first).await,
        StatusCode::UNAUTHORIZED,
        "at once where it was revoked"
    );
    loop {
        let status = me_status(&on_second).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked_at.elapsed() < Duration::from_secs(5),
            "the other process still accepts the session after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = revoked_at.elapsed();
    assert_refused_everywhere(&on_second, "on the other process").await;
    eprintln!("revocation reached the other process in {took:?}");
    first.stop().await;
    second.stop().await;
    database.drop().await;
}

async fn logins_are_listed_and_ended_one_by_one_or_all_but_this_one(ctx: TestCtx) {
    let (signed_up, auth) = ctx.user("sessions").await;
    let email = auth.user.email.clone();
    let laptop = login(&ctx.api, &email, "Firefox on the laptop").await;
    let phone = login(&ctx.api, &email, "Safari on the phone").await;
    let tablet = login(&ctx.api, &email, "Chrome on the tablet").await;

    let listed = laptop.sessions().await.unwrap().items;
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed.iter().all(|s| s.kind == SessionKind::Login));
    let current: Vec<_> = listed.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0].user_agent.as_deref(),
        Some("Firefox on the laptop")
    );
    let phone_session = listed
        .iter()
        .find(|s| s.user_agent.as_deref() == Some("Safari on the phone"))
        .unwrap()
        .id;

    laptop.revoke_session(phone_session).await.unwrap();
    assert_eq!(me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&tablet).await, StatusCode::OK);
    expect_api_error(
        laptop.revoke_session(phone_session).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    // Another account's session is no session of this one.
    let (stranger, _) = ctx.user("stranger").await;
    let strangers = stranger.sessions().await.unwrap().items[0].id;
    expect_api_error(
        laptop.revoke_session(strangers).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    assert_eq!(me_status(&stranger).await, StatusCode::OK);

    let revoked = laptop.revoke_other_sessions().await.unwrap();
    assert_eq!(revoked.revoked, 2, "the signup's and the tablet's");
    assert_eq!(me_status(&tablet).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&signed_up).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&laptop).await, StatusCode::OK);
    let left = laptop.sessions().await.unwrap().items;
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
}

async fn a_password_change_needs_the_current_one_and_ends_every_other_session(ctx: TestCtx) {
    let (api, auth) = ctx.user("changer").await;
    let email = auth.user.email.clone();
    let elsewhere = login(&ctx.api, &email, "elsewhere").await;
    let token = new_token(&api, "script", "tasks:read tasks:write", 30).await;
    let script = ctx.api.with_token(&token.token);
    assert_eq!(me_status(&script).await, StatusCode::OK);

    let wrong = api
        .change_password(&PasswordChange {
            current_password: "not it at all".into(),
            new_password: "a brand new password".into(),
        })
        .await;
    // Not 401 (the session is fine) nor 422 (the request is well-formed).
    let body = expect_api_error(wrong, StatusCode::FORBIDDEN, ErrorCode::InvalidCredentials);
    assert!(
        body.error.fields.contains_key("current_password"),
        "{body:?}"
    );
    let weak = send_json(
        &api,
        Method::POST,
        "/api/auth/password",
        &json!({"current_password": PASSWORD, "new_password": "short"}),
    )
    .await;
    let body = expect_invalid(weak).await;
    assert!(body.error.fields.contains_key("new_password"), "{body:?}");
    assert_eq!(
        me_status(&elsewhere).await,
        StatusCode::OK,
        "nothing changed yet"
    );

    api.change_password(&PasswordChange {
        current_password: PASSWORD.into(),
        new_password: "a brand new password".into(),
    })
    .await
    .unwrap();
    assert_eq!(me_status(&api).await, StatusCode::OK, "this session stays");
    assert_eq!(me_status(&elsewhere).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&script).await, StatusCode::UNAUTHORIZED);
    let old = ctx
        .api
        .login(&LoginRequest {
            email: email.clone(),
            password: PASSWORD.into(),
        })
        .await;
    expect_api_error(old, StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    ctx.api
        .login(&LoginRequest {
            email,
            password: "a brand new password".into(),
        })
        .await
        .expect("the new password logs in");
}

async fn deleting_the_account_needs_its_password(ctx: TestCtx) {
    let (api, _) = ctx.user("deleter").await;
    let body =
        expect_invalid(send_json(&api, Method::DELETE, "/api/auth/me", &json!({})).await).await;
    assert!(body.error.fields.contains_key("password"));
    let wrong = api.delete_account("a wrong guess").await;
    let body = expect_api_error(wrong, StatusCode::FORBIDDEN, ErrorCode::InvalidCredentials);
    assert!(body.error.fields.contains_key("password"));
    assert_eq!(me_status(&api).await, StatusCode::OK, "still there");
    api.delete_account(PASSWORD).await.unwrap();
    assert_refused_everywhere(&api, "after deletion").await;
}

async fn personal_tokens_are_shown_once_listed_and_revoked(ctx: TestCtx) {
    let (api, _) = ctx.user("tokens").await;
    let created = new_token(&api, "  kubectl-ai  ", "tasks:read", 7).await;
    assert!(created.token.starts_with("todo_pat_"), "{}", created.token);
    assert_eq!(created.session.name.as_deref(), Some("kubectl-ai"));
    assert_eq!(created.session.scope, "tasks:read");
    assert_eq!(created.session.kind, SessionKind::PersonalToken);
    let days = (created.session.expires_at - created.session.created_at).num_days();
    assert_eq!(days, 7);
    // 30 and 30.0 are one JSON integer.
    let whole = send_json(
        &api,
        Method::POST,
        "/api/auth/tokens",
        &json!({"name": "float", "scope": "tasks:read", "expires_in_days": 30.0}),
    )
    .await;
    assert_eq!(whole.status(), StatusCode::CREATED);
    let whole: PersonalTokenCreated = whole.json().await.unwrap();
    api.revoke_personal_token(whole.session.id).await.unwrap();

    let listed = api.personal_tokens().await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.session.id);
    let raw = api
        .request(Method::GET, "/api/auth/tokens")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!raw.contains(&created.token), "a token is shown only once");
    assert!(
        api.sessions()
            .await
            .unwrap()
            .items
            .iter()
            .all(|s| s.kind == SessionKind::Login),
        "logins and tokens are listed apart"
    );

    let client = ctx.api.with_token(&created.token);
    assert_eq!(me_status(&client).await, StatusCode::OK);
    client.list_tasks(&Default::default()).await.unwrap();
    let (status, listed) = mcp(
        &client,
        "tools/call",
        json!({"name": "list_tasks", "arguments": {}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["result"]["isError"], false, "{listed}");

    api.revoke_personal_token(created.session.id).await.unwrap();
    assert_refused_everywhere(&client, "a revoked token").await;
    assert!(api.personal_tokens().await.unwrap().items.is_empty());
    expect_api_error(
        api.revoke_personal_token(created.session.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );

    for bad in [
        json!({"name": "", "scope": "tasks:read", "expires_in_days": 7}),
        json!({"name": "x", "scope": "tasks:write", "expires_in_days": 7}),
        json!({"name": "x", "scope": "tasks:read", "expires_in_days": 0}),
        json!({"name": "x", "scope": "tasks:read", "expires_in_days": 366}),
        json!({"name": "x", "scope": "tasks:read"}),
        json!({"name": "x", "scope": "tasks:read", "expires_in_days": 1.5}),
    ] {
        expect_invalid(send_json(&api, Method::POST, "/api/auth/tokens", &bad).await).await;
    }
}

/// Every route and tool that changes something, with a body where it
/// takes one.
fn write_routes(task: Uuid) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/api/tasks".into(),
            Some(json!({"title": "no"})),
        ),
        (
            Method::PATCH,
            format!("/api/tasks/{task}"),
            Some(json!({"completed": true})),
        ),
        (Method::DELETE, format!("/api/tasks/{task}"), None),
        (Method::POST, "/api/tasks/clear-completed".into(), None),
        (
            Method::POST,
            "/api/chat".into(),
            Some(json!({"message": "add milk"})),
        ),
        (
            Method::DELETE,
            format!("/api/conversations/{}", Uuid::new_v4()),
            None,
        ),
    ]
}

async fn a_read_only_token_is_refused_on_every_write_route_and_write_tool(ctx: TestCtx) {
    let (api, _) = ctx.user("reader").await;
    let task = api
        .create_task(&todo_api::NewTask {
            title: "stays".into(),
            completed: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let token = new_token(&api, "read only", "tasks:read", 1).await;
    let reader = ctx.api.with_token(&token.token);
    for (method, path, body) in write_routes(task.id) {
        let mut request = reader.request(method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        expect_error(
            response,
            StatusCode::FORBIDDEN,
            ErrorCode::InsufficientScope,
        )
        .await;
        assert!(
            challenge.contains(r#"error="insufficient_scope""#)
                && challenge.contains("tasks:write"),
            "{method} {path}: {challenge:?}"
        );
    }
    for tool in ["add_task", "complete_task", "update_task", "delete_task"] {
        let (status, body) = mcp(
            &reader,
            "tools/call",
            json!({"name": tool, "arguments": {"task_id": task.id, "title": "x"}}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{tool}: {body}");
        assert_eq!(
            body["error"]["code"], "insufficient_scope",
            "{tool}: {body}"
        );
    }
    // Reads work, and nothing was changed.
    let (status, listed) = mcp(
        &reader,
        "tools/call",
        json!({"name": "list_tasks", "arguments": {}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed["result"]["structuredContent"]["total"], 1,
        "{listed}"
    );
    let still = reader.get_task(task.id).await.unwrap();
    assert_eq!(still, task);
    assert_eq!(reader.stats().await.unwrap().total, 1);
}

async fn a_personal_token_never_manages_the_account(ctx: TestCtx) {
    let (api, _) = ctx.user("owner").await;
    let token = new_token(&api, "full", "tasks:read tasks:write", 1).await;
    let script = ctx.api.with_token(&token.token);
    script
        .create_task(&todo_api::NewTask {
            title: "a write works".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let session = api.sessions().await.unwrap().items[0].id;
    let account_routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/auth/sessions".into(), None),
        (
            Method::DELETE,
            format!("/api/auth/sessions/{session}"),
            None,
        ),
        (
            Method::POST,
            "/api/auth/sessions/revoke-others".into(),
            None,
        ),
        (Method::GET, "/api/auth/tokens".into(), None),
        (
            Method::POST,
            "/api/auth/tokens".into(),
            Some(json!({"name": "more", "scope": "tasks:read", "expires_in_days": 1})),
        ),
        (
            Method::DELETE,
            format!("/api/auth/tokens/{}", token.session.id),
            None,
        ),
        (
            Method::POST,
            "/api/auth/password".into(),
            Some(json!({"current_password": PASSWORD, "new_password": "taken over!"})),
        ),
        (
            Method::DELETE,
            "/api/auth/me".into(),
            Some(json!({"password": PASSWORD})),
        ),
    ];
    for (method, path, body) in account_routes {
        let mut request = script.request(method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        expect_error(
            response,
            StatusCode::FORBIDDEN,
            ErrorCode::InsufficientScope,
        )
        .await;
    }
    assert_eq!(
        me_status(&api).await,
        StatusCode::OK,
        "the login is untouched"
    );
}

async fn an_expired_personal_token_says_it_expired(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let (api, _) = app.ctx.user("expiring").await;
    let token = new_token(&api, "short-lived", "tasks:read", 1).await;
    let client = app.ctx.api.with_token(&token.token);
    assert_eq!(me_status(&client).await, StatusCode::OK);
    // A day passes.
    expire_session(&database.url, token.session.id).await;
    let deadline = Instant::now() + Duration::from_secs(6);
    let error = loop {
        let result = client.me().await;
        match result {
            Ok(_) => {
                assert!(Instant::now() < deadline, "still accepted after expiry");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => break error,
        }
    };
    let body = expect_api_error(
        Err::<(), _>(error),
        StatusCode::UNAUTHORIZED,
        ErrorCode::TokenExpired,
    );
    assert!(body.error.message.contains("expired"), "{body:?}");
    assert!(
        api.personal_tokens().await.unwrap().items.is_empty(),
        "no longer listed"
    );
    app.stop().await;
    database.drop().await;
}

fn signup_of(email: &str) -> SignupRequest {
    SignupRequest {
        email: email.into(),
        password: PASSWORD.into(),
        name: "Signer".into(),
        time_zone: None,
    }
}

async fn signup_status(api: &ApiClient, email: &str) -> (StatusCode, Option<String>) {
    let response = send_json(
        api,
        Method::POST,
        "/api/auth/signup",
        &serde_json::to_value(signup_of(email)).unwrap(),
    )
    .await;
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry)
}

/// 30 signups of one email: one account, a few 409s, then 429s with
/// Retry-After: no unlimited oracle of which emails have accounts.
async fn signups_are_throttled_per_email(ctx: TestCtx) {
    let email = format!("oracle-{}@example.com", Uuid::new_v4().simple());
    let mut statuses = Vec::new();
    for i in 0..30 {
        // Each from its own address, so only the per-email budget counts.
        let api = ctx.api.forwarded_for(format!("198.51.100.{i}"));
        let (status, retry) = signup_status(&api, &email).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(retry.is_some(), "429 says when to retry");
        }
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses[0], 201, "{statuses:?}");
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 20, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [201, 409, 429].contains(s)),
        "{statuses:?}"
    );
}

async fn signups_are_throttled_per_client(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(&database.url, &[("SIGNUPS_PER_HOUR_PER_CLIENT", "3")]),
        ctx.backend.clone(),
    )
    .await;
    let api = &app.ctx.api;
    for i in 0..3 {
        let (status, _) = signup_status(
            api,
            &format!("c{i}-{}@example.com", Uuid::new_v4().simple()),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, retry) = signup_status(api, "c9@example.com").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = retry.unwrap().parse().unwrap();
    assert!((1..=3600).contains(&seconds));
    app.stop().await;
    database.drop().await;
}

/// One hash at a time and no waiting: concurrent signups beyond it are
/// 503 with Retry-After, never an error or a crash, and the others land.
async fn password_hashing_beyond_its_bound_is_503_with_retry_after(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(
            &database.url,
            &[("HASHING_CONCURRENCY", "1"), ("HASHING_WAIT_MS", "0")],
        ),
        ctx.backend.clone(),
    )
    .await;
    let signups = (0..12).map(|i| {
        let api = app.ctx.api.forwarded_for(format!("192.0.2.{i}"));
        async move {
            signup_status(
                &api,
                &format!("burst{i}-{}@example.com", Uuid::new_v4().simple()),
            )
            .await
        }
    });
    let answers = futures::future::join_all(signups).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let busy: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(created + busy.len(), answers.len(), "{answers:?}");
    assert!(created >= 1, "{answers:?}");
    assert!(
        !busy.is_empty(),
        "twelve at once with one turn and no wait: {answers:?}"
    );
    assert!(busy.iter().all(|(_, retry)| retry.is_some()), "{answers:?}");
    app.stop().await;
    database.drop().await;
}

/// Behind a trusted proxy: a stranger spends their own budget for the
/// owner's account; the owner, from their own address, still logs in.
async fn a_stranger_cannot_lock_the_owner_out(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(&database.url, &[("TRUSTED_PROXY_HOPS", "1")]),
        ctx.backend.clone(),
    )
    .await;
    let email = "owner@example.com";
    app.ctx.api.signup(&signup_of(email)).await.unwrap();
    let stranger = app.ctx.api.forwarded_for("203.0.113.66");
    let mut locked = false;
    for _ in 0..8 {
        let attempt = stranger
            .login(&LoginRequest {
                email: email.into(),
                password: "a wrong guess".into(),
            })
            .await;
        locked |=
            matches!(attempt, Err(ref e) if e.status() == Some(StatusCode::TOO_MANY_REQUESTS));
    }
    assert!(locked, "the stranger is limited");
    let owner = app.ctx.api.forwarded_for("192.0.2.1");
    owner
        .login(&LoginRequest {
            email: email.into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("the owner still gets in");
    app.stop().await;
    database.drop().await;
}

/// Rotating the secret: a process with the new secret and the old one as
/// JWT_SECRET_PREVIOUS accepts tokens signed before, and signs new ones
/// that a process with only the old secret refuses.
async fn tokens_signed_with_the_previous_secret_still_work(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let old = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let (before, auth) = old.ctx.user("rotated").await;
    let new_secret = "the-new-secret-after-rotation-0123456789";
    let rotated = RunningApp::start(
        test_config(
            &database.url,
            &[
                ("JWT_SECRET", new_secret),
                ("JWT_SECRET_PREVIOUS", crate::support::JWT_SECRET),
            ],
        ),
        ctx.backend.clone(),
    )
    .await;
    let on_rotated = rotated.ctx.api.with_token(before.token().unwrap());
    assert_eq!(
        me_status(&on_rotated).await,
        StatusCode::OK,
        "an old token still works"
    );
    let fresh: AuthResponse = rotated
        .ctx
        .api
        .login(&LoginRequest {
            email: auth.user.email.clone(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    assert_eq!(
        me_status(&rotated.ctx.api.with_token(&fresh.token)).await,
        StatusCode::OK
    );
    assert_eq!(
        me_status(&old.ctx.api.with_token(&fresh.token)).await,
        StatusCode::UNAUTHORIZED,
        "new tokens are signed with the new secret"
    );
    old.stop().await;
    rotated.stop().await;
    database.drop().await;
}
