//! Connecting an MCP client through the web pages, without JavaScript,
//! against a real backend: the authorization link sends a visitor to log
//! in and back, the consent screen names the app and what it asks, Allow
//! returns a code the backend exchanges for a token that works at `/mcp`,
//! Deny and bad links never hand out a code, and the Account page lists
//! and disconnects the app.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{PASSWORD, Page, Stack, Web};

const REDIRECT: &str = "http://127.0.0.1:33418/callback";
// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn register(stack: &Stack, name: &str) -> String {
    let client: Value = reqwest::Client::new()
        .post(format!("{}/oauth/register", stack.backend_url))
        .json(&json!({"client_name": name, "redirect_uris": [REDIRECT]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client["client_id"].as_str().unwrap().to_owned()
}

/// The authorization request's parameters, as a client sends them.
fn params<'a>(client_id: &'a str, redirect: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", "tasks:read tasks:write"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

fn authorize_path(params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("/oauth/authorize?{query}")
}

fn query_of(location: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn exchange(stack: &Stack, client_id: &str, code: &str) -> Value {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ])
        .finish();
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", stack.backend_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn mcp_status(stack: &Stack, token: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/mcp", stack.backend_url))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap()
        .status()
}

fn location(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location().unwrap().to_owned()
}

#[tokio::test]
async fn an_app_is_connected_through_login_and_consent() {
    let stack = Stack::start().await;
    let client_id = register(&stack, "Claude").await;
    let mut earlier = Web::new(&stack.url);
    let email = earlier.sign_up("Ada").await;

    // A browser without a session: to the login page, and back after.
    let mut browser = Web::new(&stack.url);
    let authorize = authorize_path(&params(&client_id, REDIRECT));
    let to_login = location(&browser.get(&authorize).await);
    assert!(to_login.starts_with("/login?next="), "{to_login}");
    let login = browser.get(&to_login).await;
    login
        .has("Log in to connect an app")
        .has("<input type=\"hidden\" name=\"next\" value=\"/oauth/authorize?");
    let back = browser
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", &authorize),
            ],
        )
        .await;
    assert_eq!(location(&back), authorize);

    let consent = browser.get(&authorize).await;
    assert_eq!(consent.status, StatusCode::OK);
    consent
        .has("Connect Claude?")
        .has("See your tasks")
        .has("Add, change, complete and delete your tasks")
        .has(&email)
        .has(REDIRECT)
        .has("name=\"code_challenge\"")
        .has("value=\"allow\"")
        .has("value=\"deny\"");
    let policy = consent.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(
        policy.contains("form-action 'self' http://127.0.0.1:33418;"),
        "{policy}"
    );

    let mut allow = params(&client_id, REDIRECT);
    allow.push(("decision", "allow"));
    let to_client = location(&browser.post("/oauth/authorize", &allow).await);
    assert!(
        to_client.starts_with(&format!("{REDIRECT}?code=todo_ac_")),
        "{to_client}"
    );
    assert_eq!(query_of(&to_client, "state").as_deref(), Some("st4te"));
    let code = query_of(&to_client, "code").unwrap();
    let tokens = exchange(&stack, &client_id, &code).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&stack, access).await, StatusCode::OK);

    // The Account page lists it; Disconnect ends its access.
    let account = browser.get("/account").await;
    account
        .has("<h2 id=\"apps-title\">Connected apps</h2>")
        .has("Claude")
        .has("May read and change your tasks");
    let at = account
        .body
        .find("action=\"/account/apps/")
        .expect("a Disconnect form");
    let action = &account.body[at + 8..];
    let action = &action[..action.find('"').unwrap()];
    let done = browser.post(action, &[]).await;
    assert_eq!(location(&done), "/account?app_disconnected=1#apps");
    browser
        .get("/account?app_disconnected=1")
        .await
        .has("The app is disconnected")
        .has("No app is connected");
    assert_eq!(mcp_status(&stack, access).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deny_bad_links_and_forged_posts_never_hand_out_a_code() {
    let stack = Stack::start().await;
    let client_id = register(&stack, "Curious").await;
    let mut browser = Web::new(&stack.url);
    browser.sign_up("Bea").await;

    let mut deny = params(&client_id, REDIRECT);
    deny.push(("decision", "deny"));
    let back = location(&browser.post("/oauth/authorize", &deny).await);
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query_of(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_of(&back, "state").as_deref(), Some("st4te"));
    assert!(query_of(&back, "code").is_none());

    // A redirect one character off, an unknown app: a page, no redirect.
    let off = format!("{REDIRECT}x");
    for path in [
        authorize_path(&params(&client_id, &off)),
        authorize_path(&params("no-such-app", REDIRECT)),
        "/oauth/authorize".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        page.has("This link cannot connect an app").lacks("code=");
    }
    let mut off_allow = params(&client_id, &off);
    off_allow.push(("decision", "allow"));
    let page = browser.post("/oauth/authorize", &off_allow).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // A request longer than the page accepts.
    let long_state = "s".repeat(9 * 1024);
    let mut long = params(&client_id, REDIRECT);
    long[4] = ("state", &long_state);
    let page = browser.get(&authorize_path(&long)).await;
    assert_eq!(page.status, StatusCode::URI_TOO_LONG);
    page.lacks("code=");

    // A bad scope goes back to the app as the error.
    let mut bad_scope = params(&client_id, REDIRECT);
    bad_scope[3] = ("scope", "tasks:everything");
    let back = location(&browser.get(&authorize_path(&bad_scope)).await);
    assert_eq!(query_of(&back, "error").as_deref(), Some("invalid_scope"));

    // Allow posted from another site: refused before anything happens.
    let mut allow = params(&client_id, REDIRECT);
    allow.push(("decision", "allow"));
    let forged = browser
        .post_from("/oauth/authorize", &allow, Some("http://evil.example"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.location().is_none());

    // The login page's `next` goes to the authorization page only.
    let mut other = Web::new(&stack.url);
    let email = {
        let mut signer = Web::new(&stack.url);
        signer.sign_up("Cy").await
    };
    let login = other
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&login), "/tasks");
}
