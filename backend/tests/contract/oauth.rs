//! OAuth 2.1 for MCP clients, end to end over HTTP: discovery from a bare
//! 401 at `/mcp`, registration, the code the authorization page asks for,
//! the PKCE exchange, tokens bound to `/mcp`, rotation and revocation, and
//! each bad input answered with the error its RFC names.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use todo_api::oauth::{AuthorizationGranted, AuthorizationParams};
use todo_api::{ApiClient, ErrorCode};

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_error, expire_rows, test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_bare_401_at_mcp_leads_to_every_endpoint,
        an_app_registers_logs_in_and_calls_tools_with_its_grant,
        a_reused_refresh_token_or_code_revokes_the_grant,
        bad_requests_get_the_errors_their_rfcs_name,
        a_read_only_grant_cannot_write,
        a_disconnected_app_is_refused,
        expired_codes_and_grants_are_refused,
        oauth_requests_are_throttled_per_client,
    ]
}

const REDIRECT: &str = "http://127.0.0.1:33418/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get_json(ctx: &TestCtx, path: &str) -> Value {
    let response = http()
        .get(format!("{}{path}", ctx.api.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Registers a client; its id.
async fn register(ctx: &TestCtx, name: &str) -> String {
    let response = http()
        .post(format!("{}/oauth/register", ctx.api.base_url()))
        .json(&json!({"client_name": name, "redirect_uris": [REDIRECT],
                      "grant_types": ["authorization_code", "refresh_token"],
                      "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let client: Value = response.json().await.unwrap();
    assert_eq!(client["token_endpoint_auth_method"], "none");
    assert_eq!(client["redirect_uris"], json!([REDIRECT]));
    client["client_id"].as_str().unwrap().to_owned()
}

fn params(client_id: &str, scope: &str) -> AuthorizationParams {
    AuthorizationParams {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some(scope.into()),
        state: Some("opaque-state".into()),
        code_challenge: Some(challenge(VERIFIER)),
        code_challenge_method: Some("S256".into()),
        resource: None,
    }
}

/// What the authorization page asks the backend for once the user
/// allowed: where the browser goes next, parsed.
async fn allow(user: &ApiClient, params: &AuthorizationParams) -> reqwest::Url {
    let response = user
        .request(reqwest::Method::POST, "/oauth/authorize")
        .json(params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let granted: AuthorizationGranted = response.json().await.unwrap();
    reqwest::Url::parse(&granted.redirect_to).unwrap()
}

fn query(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn token(ctx: &TestCtx, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = http()
        .post(format!("{}/oauth/token", ctx.api.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap())
}

/// The token endpoint's answer to `code`, sent with `redirect` and `verifier`.
async fn redeem(
    ctx: &TestCtx,
    client_id: &str,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ];
    token(ctx, &form).await
}

/// The token endpoint's answer to `refresh_token`.
async fn refresh(ctx: &TestCtx, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
    ];
    token(ctx, &form).await
}

/// A code for `scope`, exchanged: the token answer.
async fn connect(ctx: &TestCtx, user: &ApiClient, client_id: &str, scope: &str) -> Value {
    let back = allow(user, &params(client_id, scope)).await;
    let code = query(&back, "code").expect("a code");
    let (status, tokens) = redeem(ctx, client_id, &code, REDIRECT, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

async fn mcp_list(ctx: &TestCtx, token: &str) -> reqwest::Response {
    http()
        .post(format!("{}/mcp", ctx.api.base_url()))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
}

async fn mcp_call(ctx: &TestCtx, token: &str, tool: &str, arguments: Value) -> reqwest::Response {
    http()
        .post(format!("{}/mcp", ctx.api.base_url()))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                      "params": {"name": tool, "arguments": arguments}}))
        .send()
        .await
        .unwrap()
}

fn challenge_param(header: &str, name: &str) -> Option<String> {
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_owned())
}

async fn a_bare_401_at_mcp_leads_to_every_endpoint(ctx: TestCtx) {
    let response = http()
        .post(format!("{}/mcp", ctx.api.base_url()))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no token, no error: {challenge}"
    );
    assert_eq!(
        challenge_param(&challenge, "scope").as_deref(),
        Some("tasks:read tasks:write")
    );
    let metadata_url = challenge_param(&challenge, "resource_metadata").expect(&challenge);
    let path = reqwest::Url::parse(&metadata_url)
        .unwrap()
        .path()
        .to_owned();
    assert_eq!(path, "/.well-known/oauth-protected-resource/mcp");
    let resource = get_json(&ctx, &path).await;
    assert_eq!(
        resource,
        get_json(&ctx, "/.well-known/oauth-protected-resource").await
    );
    let issuer = resource["authorization_servers"][0].as_str().unwrap();
    assert_eq!(resource["resource"], format!("{issuer}/mcp"));
    assert!(metadata_url.starts_with(issuer));

    let server = get_json(&ctx, "/.well-known/oauth-authorization-server").await;
    assert_eq!(server["issuer"], issuer);
    assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(server["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(
        server["registration_endpoint"],
        format!("{issuer}/oauth/register")
    );
    assert!(
        server["authorization_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/oauth/authorize")
    );

    // A token that is not one: the same way in, and why.
    let refused = mcp_list(&ctx, "not-a-token").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        challenge_param(&challenge, "error").as_deref(),
        Some("invalid_token")
    );
    assert_eq!(
        challenge_param(&challenge, "resource_metadata"),
        Some(metadata_url)
    );
}

async fn an_app_registers_logs_in_and_calls_tools_with_its_grant(ctx: TestCtx) {
    let client_id = register(&ctx, "Claude").await;
    let shown = get_json(&ctx, &format!("/oauth/clients/{client_id}")).await;
    assert_eq!(shown["client_name"], "Claude");
    let (user, _) = ctx.user("connector").await;

    let back = allow(&user, &params(&client_id, "tasks:read tasks:write")).await;
    assert_eq!(back.as_str().split('?').next(), Some(REDIRECT));
    assert_eq!(query(&back, "state").as_deref(), Some("opaque-state"));
    let server = get_json(&ctx, "/.well-known/oauth-authorization-server").await;
    assert_eq!(query(&back, "iss").as_deref(), server["issuer"].as_str());
    let code = query(&back, "code").unwrap();
    let (status, tokens) = token(
        &ctx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            (
                "resource",
                &format!("{}/mcp", server["issuer"].as_str().unwrap()),
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "tasks:read tasks:write");
    let access = tokens["access_token"].as_str().unwrap();

    let added = mcp_call(&ctx, access, "add_task", json!({"title": "from an app"})).await;
    assert_eq!(added.status(), StatusCode::OK);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["result"]["structuredContent"]["title"], "from an app");
    assert_eq!(user.stats().await.unwrap().total, 1, "the user's own tasks");

    // Bound to /mcp: the API refuses the access token.
    let api = ctx.api.with_token(access);
    expect_error(
        api.request(reqwest::Method::GET, "/api/tasks")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
    )
    .await;

    // Listed on the account as a connected app, by the name it gave.
    let apps: Value = user
        .request(reqwest::Method::GET, "/api/auth/apps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps["items"].as_array().unwrap().len(), 1, "{apps}");
    assert_eq!(apps["items"][0]["name"], "Claude");
    assert_eq!(apps["items"][0]["kind"], "connected_app");

    // The refresh token rotates; the new access token works.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (status, renewed) = refresh(&ctx, &client_id, refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let renewed_access = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        mcp_list(&ctx, renewed_access).await.status(),
        StatusCode::OK
    );
}

async fn a_reused_refresh_token_or_code_revokes_the_grant(ctx: TestCtx) {
    let client_id = register(&ctx, "Reuser").await;
    let (user, _) = ctx.user("reuse").await;
    let tokens = connect(&ctx, &user, &client_id, "tasks:read tasks:write").await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&ctx, &client_id, first).await;
    assert_eq!(status, StatusCode::OK);
    // The first token again: someone holds a copy. The whole grant ends.
    let (status, error) = refresh(&ctx, &client_id, first).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = refresh(&ctx, &client_id, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the rotated token died with the grant"
    );
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(
        mcp_list(&ctx, access).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A code used twice: refused, and the grant it gave revoked.
    let back = allow(&user, &params(&client_id, "tasks:read")).await;
    let code = query(&back, "code").unwrap();
    let (status, granted) = redeem(&ctx, &client_id, &code, REDIRECT, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = redeem(&ctx, &client_id, &code, REDIRECT, VERIFIER).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let access = granted["access_token"].as_str().unwrap();
    assert_eq!(
        mcp_list(&ctx, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn bad_requests_get_the_errors_their_rfcs_name(ctx: TestCtx) {
    let base = ctx.api.base_url().to_owned();
    // Registration: a redirect a code could leak through.
    for uris in [
        json!(["http://evil.example/cb"]),
        json!(["https://a.example/cb#x"]),
        json!([]),
    ] {
        let response = http()
            .post(format!("{base}/oauth/register"))
            .json(&json!({"redirect_uris": uris}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uris}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_redirect_uri", "{uris}");
    }
    let client_id = register(&ctx, "Careful").await;
    let (user, _) = ctx.user("careful").await;

    // Never redirected: an unknown client, a redirect one character off.
    let unknown = AuthorizationParams {
        client_id: Some("no-such-client".into()),
        ..params(&client_id, "tasks:read")
    };
    let one_off = AuthorizationParams {
        redirect_uri: Some(format!("{REDIRECT}x")),
        ..params(&client_id, "tasks:read")
    };
    for bad in [unknown, one_off] {
        let response = user
            .request(reqwest::Method::POST, "/oauth/authorize")
            .json(&bad)
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
    }
    // Sent back to the client: a scope there is not.
    let back = allow(&user, &params(&client_id, "tasks:admin")).await;
    assert_eq!(query(&back, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(query(&back, "state").as_deref(), Some("opaque-state"));
    assert!(query(&back, "code").is_none());
    // A body that is not an authorization request: the API's error shape.
    let malformed = user
        .request(reqwest::Method::POST, "/oauth/authorize")
        .json(&json!({"client_id": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    // A personal access token cannot connect apps.
    let pat = user
        .create_personal_token(&todo_api::NewPersonalToken {
            name: "script".into(),
            scope: "tasks:read tasks:write".into(),
            expires_in_days: 1,
        })
        .await
        .unwrap();
    let response = ctx
        .api
        .with_token(&pat.token)
        .request(reqwest::Method::POST, "/oauth/authorize")
        .json(&params(&client_id, "tasks:read"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The token endpoint: a wrong verifier spends the code.
    let back = allow(&user, &params(&client_id, "tasks:read")).await;
    let code = query(&back, "code").unwrap();
    let (status, error) = redeem(
        &ctx,
        &client_id,
        &code,
        REDIRECT,
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = redeem(&ctx, &client_id, &code, REDIRECT, VERIFIER).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the code was spent by the wrong verifier"
    );

    // Another redirect URI than the code's.
    let back = allow(&user, &params(&client_id, "tasks:read")).await;
    let code = query(&back, "code").unwrap();
    let (status, error) = redeem(
        &ctx,
        &client_id,
        &code,
        "http://127.0.0.1:33418/other",
        VERIFIER,
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    for (form, status, expected) in [
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", "nobody"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", client_id.as_str()),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", client_id.as_str()),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", client_id.as_str()),
                ("refresh_token", "todo_rt_made_up"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", client_id.as_str()),
                ("refresh_token", "x"),
                ("resource", "https://evil.example/mcp"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_target",
        ),
    ] {
        let (actual, error) = token(&ctx, &form).await;
        assert_eq!(
            (actual, error["error"].as_str()),
            (status, Some(expected)),
            "{form:?}"
        );
        assert!(error["access_token"].is_null());
    }
}

async fn a_read_only_grant_cannot_write(ctx: TestCtx) {
    let client_id = register(&ctx, "Reader").await;
    let (user, _) = ctx.user("reader").await;
    let tokens = connect(&ctx, &user, &client_id, "tasks:read").await;
    assert_eq!(tokens["scope"], "tasks:read");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_list(&ctx, access).await.status(), StatusCode::OK);
    let refused = mcp_call(&ctx, access, "delete_task", json!({"title": "x"})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        challenge_param(&challenge, "error").as_deref(),
        Some("insufficient_scope")
    );
    assert_eq!(
        challenge_param(&challenge, "scope").as_deref(),
        Some("tasks:read tasks:write")
    );
    assert!(challenge_param(&challenge, "resource_metadata").is_some());
}

async fn a_disconnected_app_is_refused(ctx: TestCtx) {
    let client_id = register(&ctx, "Forgotten").await;
    let (user, _) = ctx.user("disconnect").await;
    let tokens = connect(&ctx, &user, &client_id, "tasks:read tasks:write").await;
    let apps: Value = user
        .request(reqwest::Method::GET, "/api/auth/apps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = apps["items"][0]["id"].as_str().unwrap();
    let response = user
        .request(reqwest::Method::DELETE, &format!("/api/auth/apps/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        mcp_list(&ctx, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, error) =
        refresh(&ctx, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

/// Moves every expiry in `table` an hour into the past, as time would.
async fn expire_all(database_url: &str, table: &str) {
    let sql = match table {
        "oauth_codes" => "UPDATE oauth_codes SET expires_at = $1",
        "sessions" => "UPDATE sessions SET expires_at = $1",
        other => panic!("no expiry to move in {other}"),
    };
    assert!(expire_rows(database_url, sql, None).await > 0, "{table}");
}

async fn expired_codes_and_grants_are_refused(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let ctx = app.ctx.clone();
    let client_id = register(&ctx, "Slow").await;
    let (user, _) = ctx.user("slow").await;

    // A code older than its ten minutes.
    let back = allow(&user, &params(&client_id, "tasks:read")).await;
    let code = query(&back, "code").unwrap();
    expire_all(&database.url, "oauth_codes").await;
    let (status, error) = redeem(&ctx, &client_id, &code, REDIRECT, VERIFIER).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // A grant unused past its lifetime: its tokens end with it.
    let tokens = connect(&ctx, &user, &client_id, "tasks:read").await;
    expire_all(&database.url, "sessions").await;
    let (status, error) =
        refresh(&ctx, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Within the few seconds a replica believes what it read of a session.
    tokio::time::sleep(std::time::Duration::from_millis(4_500)).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        mcp_list(&ctx, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
    database.drop().await;
}

async fn oauth_requests_are_throttled_per_client(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(
            &database.url,
            &[
                ("SIGNUPS_PER_HOUR_PER_CLIENT", "2"),
                ("OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT", "3"),
            ],
        ),
        ctx.backend.clone(),
    )
    .await;
    let ctx = app.ctx.clone();
    let base = ctx.api.base_url().to_owned();
    let throttled = |response: reqwest::Response| async move {
        let retry_after = response.headers().get("retry-after").cloned();
        let error = expect_error(
            response,
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests,
        )
        .await;
        let seconds: u64 = retry_after
            .expect("Retry-After")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(seconds >= 1, "{error:?}");
    };

    // Registrations: anonymous, on the signups' hourly budget.
    let client_id = register(&ctx, "First").await;
    register(&ctx, "Second").await;
    let third = http()
        .post(format!("{base}/oauth/register"))
        .json(&json!({"redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap();
    throttled(third).await;

    // Lookups and token exchanges: on the per-minute budget.
    get_json(&ctx, &format!("/oauth/clients/{client_id}")).await;
    for _ in 0..2 {
        let (status, error) = token(
            &ctx,
            &[("grant_type", "password"), ("client_id", &client_id)],
        )
        .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
        );
    }
    let over = http()
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=password&client_id={client_id}"))
        .send()
        .await
        .unwrap();
    throttled(over).await;
    let lookup = http()
        .get(format!("{base}/oauth/clients/{client_id}"))
        .send()
        .await
        .unwrap();
    throttled(lookup).await;
    app.stop().await;
    database.drop().await;
}
