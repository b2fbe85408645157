use reqwest::{Method, StatusCode};
use serde_json::json;
use todo_api::{ErrorCode, LoginRequest, SignupRequest};

use crate::cases;
use crate::support::{
    JWT_SECRET, TestCtx, TestFn, expect_api_error, expect_error, expect_invalid, field_names,
    send_json,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        signup_creates_an_account_and_logs_in,
        login_accepts_the_right_password_only,
        emails_are_unique_regardless_of_case,
        signup_lists_every_invalid_field,
        me_requires_a_valid_token,
        expired_and_foreign_tokens_are_refused,
        a_token_that_outlived_its_account_is_401_everywhere,
        login_is_rate_limited_per_email,
        login_is_rate_limited_per_client,
        a_forged_forwarded_for_neither_escapes_nor_spends_a_limit,
    ]
}

fn signup(email: &str, password: &str) -> SignupRequest {
    SignupRequest {
        email: email.into(),
        password: password.into(),
        name: "Ada Lovelace".into(),
        time_zone: None,
    }
}

async fn signup_creates_an_account_and_logs_in(ctx: TestCtx) {
    let response = ctx
        .api
        .request(Method::POST, "/api/auth/signup")
        .json(&signup("  Ada@Example.COM ", "analytical engine"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let auth: todo_api::AuthResponse = response.json().await.unwrap();
    assert_eq!(auth.user.email, "ada@example.com");
    assert_eq!(auth.user.name, "Ada Lovelace");
    let me = ctx.api.with_token(&auth.token).me().await.unwrap();
    assert_eq!(me, auth.user);
}

async fn login_accepts_the_right_password_only(ctx: TestCtx) {
    let created = ctx
        .api
        .signup(&signup("grace@example.com", "cobol-forever"))
        .await
        .unwrap();
    let ok = ctx
        .api
        .login(&LoginRequest {
            email: "GRACE@example.com".into(),
            password: "cobol-forever".into(),
        })
        .await
        .unwrap();
    assert_eq!(ok.user.id, created.user.id);
    assert_eq!(
        ctx.api.with_token(&ok.token).me().await.unwrap().id,
        created.user.id
    );

    let wrong = ctx
        .api
        .login(&LoginRequest {
            email: "grace@example.com".into(),
            password: "fortran-forever".into(),
        })
        .await;
    expect_api_error(
        wrong,
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
    );
    let unknown = ctx
        .api
        .login(&LoginRequest {
            email: "nobody@example.com".into(),
            password: "cobol-forever".into(),
        })
        .await;
    let body = expect_api_error(
        unknown,
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
    );
    assert!(
        !body.error.message.contains("nobody"),
        "does not reveal which part was wrong"
    );
}

async fn emails_are_unique_regardless_of_case(ctx: TestCtx) {
    ctx.api
        .signup(&signup("linus@example.com", "first password"))
        .await
        .unwrap();
    let again = ctx
        .api
        .signup(&signup("LINUS@Example.com", "second password"))
        .await;
    expect_api_error(again, StatusCode::CONFLICT, ErrorCode::EmailTaken);
    // Nothing was overwritten: the first password still works, the second never did.
    let login = |password: &str| LoginRequest {
        email: "linus@example.com".into(),
        password: password.into(),
    };
    ctx.api.login(&login("first password")).await.unwrap();
    let second = ctx.api.login(&login("second password")).await;
    expect_api_error(
        second,
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
    );
}

async fn signup_lists_every_invalid_field(ctx: TestCtx) {
    let body = expect_invalid(
        send_json(
            &ctx.api,
            Method::POST,
            "/api/auth/signup",
            &json!({"email": "not-an-email", "password": "short", "name": "   "}),
        )
        .await,
    )
    .await;
    assert_eq!(field_names(&body), ["email", "name", "password"]);

    let body = expect_invalid(send_json(&ctx.api, Method::POST, "/api/auth/signup", &json!({"email": "a@example.com", "password": "p".repeat(129), "name": "n".repeat(101)})).await).await;
    assert_eq!(field_names(&body), ["name", "password"]);
    // Nothing was written: the address is still free.
    ctx.api
        .signup(&signup("a@example.com", "long enough"))
        .await
        .unwrap();
}

async fn me_requires_a_valid_token(ctx: TestCtx) {
    let missing = ctx
        .api
        .request(Method::GET, "/api/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    expect_error(missing, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    for header in [
        "Bearer",
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer a.b.c",
    ] {
        let response = ctx
            .api
            .request(Method::GET, "/api/auth/me")
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    }
}

/// A login token as the backend signs one, for session `sid` of `sub`.
fn token(secret: &str, sub: uuid::Uuid, sid: uuid::Uuid, iat: u64, exp: u64) -> String {
    signed(
        secret,
        json!({"sub": sub, "sid": sid, "iss": "todo-backend", "aud": "todo-api", "iat": iat, "exp": exp}),
    )
}

fn signed(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The session a login token names.
fn session_of(token: &str) -> uuid::Uuid {
    let mut validation = jsonwebtoken::Validation::default();
    validation.set_audience(&["todo-api"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap();
    data.claims["sid"].as_str().unwrap().parse().unwrap()
}

async fn expired_and_foreign_tokens_are_refused(ctx: TestCtx) {
    let (_, auth) = ctx.user("tokens").await;
    let now = jsonwebtoken::get_current_timestamp();
    let user = auth.user.id;
    let session = session_of(&auth.token);

    let fresh = ctx
        .api
        .with_token(token(JWT_SECRET, user, session, now, now + 600));
    assert_eq!(
        fresh.me().await.unwrap().id,
        user,
        "a well-formed token works"
    );

    let expired = ctx
        .api
        .with_token(token(JWT_SECRET, user, session, now - 7200, now - 3600));
    expect_api_error(
        expired.me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::TokenExpired,
    );
    expect_api_error(
        expired.stats().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::TokenExpired,
    );

    let forged = ctx.api.with_token(token(
        "some-other-secret-0123456789abcdef",
        user,
        session,
        now,
        now + 600,
    ));
    expect_api_error(
        forged.me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );

    let garbled = ctx.api.with_token(format!("{}x", auth.token));
    expect_api_error(
        garbled.me().await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    );

    // Signed with the right secret, for the right session, but issued by
    // someone else or for another API: refused.
    for (iss, aud) in [
        ("someone-else", "todo-api"),
        ("todo-backend", "another-api"),
    ] {
        let claims = json!({"sub": user, "sid": session, "iss": iss, "aud": aud,
                            "iat": now, "exp": now + 600});
        let foreign = ctx.api.with_token(signed(JWT_SECRET, claims));
        expect_api_error(
            foreign.me().await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
        );
    }
}

async fn login_is_rate_limited_per_email(ctx: TestCtx) {
    ctx.api
        .signup(&signup("target@example.com", "the real password"))
        .await
        .unwrap();
    let attempt = |password: &str| LoginRequest {
        email: "target@example.com".into(),
        password: password.into(),
    };
    for _ in 0..5 {
        let result = ctx.api.login(&attempt("a wrong guess")).await;
        expect_api_error(
            result,
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
        );
    }
    let response = ctx
        .api
        .request(Method::POST, "/api/auth/login")
        .json(&attempt("the real password"))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
    // Another account from the same client is unaffected.
    ctx.api
        .signup(&signup("other@example.com", "other password"))
        .await
        .unwrap();
    ctx.api
        .login(&LoginRequest {
            email: "other@example.com".into(),
            password: "other password".into(),
        })
        .await
        .unwrap();
}

/// An app of its own whose client limit is 3 a minute: a token comes back
/// every 20 s, far longer than the few logins a test makes take even on a
/// loaded machine, so the limit bites exactly when the test says. (With
/// the default of 30 a minute a token comes back every 2 s, and 30 slow
/// password checks could outlast that.)
async fn app_with_client_limit_of_three(
    ctx: &TestCtx,
    extra: &[(&str, &str)],
) -> (crate::support::RunningApp, crate::support::TestDatabase) {
    let database = crate::support::TestDatabase::create(&ctx.backend).await;
    let mut vars = vec![
        ("LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT", "3"),
        ("LOGIN_ATTEMPTS_PER_MINUTE_PER_EMAIL", "1000"),
    ];
    vars.extend_from_slice(extra);
    let app = crate::support::RunningApp::start(
        crate::support::test_config(&database.url, &vars),
        ctx.backend.clone(),
    )
    .await;
    (app, database)
}

async fn login_is_rate_limited_per_client(ctx: TestCtx) {
    let (app, database) = app_with_client_limit_of_three(&ctx, &[]).await;
    // Spread over many emails, so only the client's budget is spent.
    for i in 0..3 {
        let result = app
            .ctx
            .api
            .login(&LoginRequest {
                email: format!("spray{i}@example.com"),
                password: "guess guess".into(),
            })
            .await;
        expect_api_error(
            result,
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
        );
    }
    let result = app
        .ctx
        .api
        .login(&LoginRequest {
            email: "fresh@example.com".into(),
            password: "guess guess".into(),
        })
        .await;
    expect_api_error(
        result,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    );
    app.stop().await;
    database.drop().await;
}

/// A failed login (a new email each time, so only the client limit bites).
async fn login_as(api: &todo_api::ApiClient, forwarded_for: &str) -> StatusCode {
    let email = format!("someone-{}@example.com", uuid::Uuid::new_v4().simple());
    api.request(Method::POST, "/api/auth/login")
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "guess guess"}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_forged_forwarded_for_neither_escapes_nor_spends_a_limit(ctx: TestCtx) {
    // No trusted proxy (the default): the header is ignored, so a client
    // rotating made-up addresses is still one client.
    let (direct, database) = app_with_client_limit_of_three(&ctx, &[]).await;
    for i in 0..3 {
        let forged = format!("203.0.113.{i}");
        assert_eq!(
            login_as(&direct.ctx.api, &forged).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_as(&direct.ctx.api, "198.51.100.77").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    direct.stop().await;
    database.drop().await;

    // Behind one trusted proxy (this test plays it, appending the address
    // it saw): only the entry the proxy wrote counts.
    let (app, database) =
        app_with_client_limit_of_three(&ctx, &[("TRUSTED_PROXY_HOPS", "1")]).await;
    let (victim, attacker) = ("192.0.2.10", "192.0.2.66");
    for i in 0..3 {
        // The attacker writes a fresh address each time, then the victim's.
        let forged = format!("203.0.113.{i}, {victim}, {attacker}");
        assert_eq!(
            login_as(&app.ctx.api, &forged).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let forged = format!("203.0.113.99, {victim}, {attacker}");
    assert_eq!(
        login_as(&app.ctx.api, &forged).await,
        StatusCode::TOO_MANY_REQUESTS,
        "forged entries do not make the attacker a new client"
    );
    assert_eq!(
        login_as(&app.ctx.api, victim).await,
        StatusCode::UNAUTHORIZED,
        "the attacker naming the victim did not spend the victim's budget"
    );
    app.stop().await;
    database.drop().await;
}

/// Every authenticated route, with a body where it takes one.
fn authenticated_routes() -> Vec<(Method, String, Option<serde_json::Value>)> {
    let id = uuid::Uuid::new_v4();
    vec![
        (Method::GET, "/api/auth/me".into(), None),
        (
            Method::DELETE,
            "/api/auth/me".into(),
            Some(json!({"password": "correct horse battery"})),
        ),
        (Method::GET, "/api/tasks".into(), None),
        (Method::GET, "/api/tasks?status=completed&q=x".into(), None),
        (
            Method::POST,
            "/api/tasks".into(),
            Some(json!({"title": "&", "tags": ["a"]})),
        ),
        (Method::GET, format!("/api/tasks/{id}"), None),
        (
            Method::PATCH,
            format!("/api/tasks/{id}"),
            Some(json!({"completed": true})),
        ),
        (Method::PATCH, format!("/api/tasks/{id}"), Some(json!({}))),
        (Method::DELETE, format!("/api/tasks/{id}"), None),
        (Method::GET, "/api/tasks/stats".into(), None),
        (
            Method::GET,
            "/api/tasks/overview?status=active".into(),
            None,
        ),
        (Method::POST, "/api/tasks/clear-completed".into(), None),
        (
            Method::POST,
            "/api/chat".into(),
            Some(json!({"message": "add milk"})),
        ),
        (
            Method::POST,
            "/api/chat".into(),
            Some(json!({"message": "hi", "conversation_id": id})),
        ),
        (Method::GET, "/api/conversations".into(), None),
        (
            Method::GET,
            format!("/api/conversations/{id}/messages"),
            None,
        ),
        (Method::DELETE, format!("/api/conversations/{id}"), None),
    ]
}

/// A database reset or restore leaves signed, unexpired tokens for
/// accounts that are gone: they get 401 asking to log in again, never a
/// 500, a foreign-key error or an empty answer.
async fn a_token_that_outlived_its_account_is_401_everywhere(ctx: TestCtx) {
    let now = jsonwebtoken::get_current_timestamp();
    // Never existed here (the database was reset since it was issued).
    let reset = token(
        JWT_SECRET,
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        now,
        now + 600,
    );
    // Existed, with tasks, and was deleted.
    let (deleted, _) = ctx.user("deleted").await;
    let task = deleted
        .create_task(&todo_api::NewTask {
            title: "left behind".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    deleted
        .delete_account("correct horse battery")
        .await
        .unwrap();
    let deleted_token = deleted.token().unwrap().to_owned();

    for stale in [reset, deleted_token] {
        let api = ctx.api.with_token(&stale);
        let mut routes = authenticated_routes();
        routes.push((Method::GET, format!("/api/tasks/{}", task.id), None));
        for (method, path, body) in routes {
            let mut request = api.request(method.clone(), &path);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let error =
                expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
            assert!(
                error.error.message.contains("log in again"),
                "{method} {path}: {}",
                error.error.message
            );
        }
    }
}
