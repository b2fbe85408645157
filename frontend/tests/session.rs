//! The session as a browser without JavaScript sees it: logging out ends
//! it on the backend too, a login names itself after the browser, and a
//! site served over https gets a `__Host-` cookie and HSTS on every answer.

mod support;

use reqwest::StatusCode;
use support::{PASSWORD, Stack, Web, start_frontend};
use todo_api::ApiClient;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[tokio::test]
async fn after_logging_out_the_old_cookie_is_refused() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Leaver").await;
    let old = web.session.clone().unwrap();

    web.post("/logout", &[])
        .await
        .redirects_to("/login?logged_out=1");
    assert!(web.session.is_none(), "logout clears the cookie");

    // A copy of the cookie kept elsewhere no longer opens anything.
    web.session = Some(old.clone());
    web.get("/tasks").await.redirects_to("/login?expired=1");
    web.get("/login?expired=1")
        .await
        .has("Your session has ended")
        .has("logged out");
    assert!(web.session.is_none(), "the stale cookie is removed");
    let refused = ApiClient::new(&stack.backend_url)
        .with_token(old)
        .me()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn logging_out_an_already_ended_session_still_clears_the_cookie() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    let email = web.sign_up("Twice").await;
    let mut other = Web::new(&stack.url);
    other.log_in(&email, PASSWORD).await;
    other
        .post("/account/sessions/revoke-others", &[])
        .await
        .redirects_to("/account?others_ended=1#sessions");

    let page = web.post("/logout", &[]).await;
    page.redirects_to("/login?logged_out=1");
    assert!(web.session.is_none());
}

#[tokio::test]
async fn logging_out_while_the_backend_is_down_clears_the_cookie_and_says_so() {
    // Port 9 (discard) is closed on loopback: nothing answers there.
    let (url, _stop) = start_frontend("http://127.0.0.1:9", &[]).await;
    let mut web = Web::new(&url);
    web.session = Some("some-token".into());
    let page = web.post("/logout", &[]).await;
    page.redirects_to("/login?logged_out=unconfirmed");
    assert!(web.session.is_none(), "the cookie goes all the same");
    web.get("/login?logged_out=unconfirmed")
        .await
        .has("could not be reached to end the session")
        .has("Log out everywhere else");
}

#[tokio::test]
async fn a_login_and_a_signup_name_their_session_after_the_browser() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.user_agent = Some(FIREFOX.to_owned());
    let email = web.sign_up("Agent").await;
    let mut other = Web::new(&stack.url);
    other.user_agent = Some("curl/8.5.0".to_owned());
    other.log_in(&email, PASSWORD).await;

    let sessions = ApiClient::new(&stack.backend_url)
        .with_token(web.session.clone().unwrap())
        .sessions()
        .await
        .unwrap();
    let mut agents: Vec<_> = sessions
        .items
        .iter()
        .map(|s| s.user_agent.as_deref().unwrap_or("none"))
        .collect();
    agents.sort();
    assert_eq!(
        agents,
        [
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "curl/8.5.0"
        ]
    );
}

#[tokio::test]
async fn an_https_site_gets_a_host_prefixed_secure_cookie_and_hsts() {
    const ORIGIN: &str = "https://todo.example.test";
    // Blank is unset: COOKIE_SECURE takes its default, which is true.
    let stack =
        Stack::start_configured(&[], &[("PUBLIC_URL", ORIGIN), ("COOKIE_SECURE", "")]).await;
    let mut web = Web::new(&stack.url);
    web.cookie_name = "__Host-todo_session";
    web.origin = ORIGIN.to_owned();

    let page = web.get("/login").await;
    assert_eq!(
        page.headers["strict-transport-security"],
        "max-age=31536000"
    );
    let email = web.sign_up("Secure").await;
    let signup = web
        .post("/login", &[("email", &email), ("password", PASSWORD)])
        .await;
    let cookie = signup.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-todo_session="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    web.get("/tasks").await.has("Secure");

    // Every answer carries HSTS: pages, redirects, errors, assets, refusals.
    for path in [
        "/tasks",
        "/",
        "/no-such-page",
        "/static/icon.svg",
        "/api/health",
    ] {
        let page = web.get(path).await;
        assert_eq!(
            page.headers["strict-transport-security"], "max-age=31536000",
            "{path} ({})",
            page.status
        );
    }
    let refused = web
        .post_from("/tasks", &[("title", "x")], Some("https://evil.example"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.headers["strict-transport-security"],
        "max-age=31536000"
    );

    // Only the name in use is read: the same token as `todo_session` is
    // no session here.
    let token = web.session.clone().unwrap();
    let mut plain = Web::new(&stack.url);
    plain.session = Some(token);
    plain.get("/tasks").await.redirects_to("/login");

    web.post("/logout", &[])
        .await
        .redirects_to("/login?logged_out=1");
    assert!(
        web.session.is_none(),
        "the removal names the __Host- cookie"
    );
}

#[tokio::test]
async fn a_plain_http_site_sends_no_hsts() {
    let stack = Stack::start().await;
    let page = Web::new(&stack.url).get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get("strict-transport-security").is_none());
}
