//! The Assistant page: server-side (what the HTML says) and in a real
//! browser with JavaScript on and off. A short conversation adds,
//! completes and deletes a task, and the task page agrees.

mod support;

use fantoccini::Client;
use reqwest::StatusCode;
use support::browser::{Driver, count, find, follow, path, text, type_into};
use support::{Stack, Web};

#[tokio::test]
async fn a_conversation_posts_redirects_and_shows_each_action() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Chatter").await;
    web.get("/tasks")
        .await
        .has("<a href=\"/assistant\">Assistant</a>")
        .has("<a href=\"/tasks\">Tasks</a>");

    let empty = web.get("/assistant").await;
    empty
        .has("<h1>Assistant</h1>")
        .has("No conversations yet.")
        .has("role=\"log\"")
        .has("aria-label=\"Conversation\"")
        .has("<label for=\"message\">Message</label>")
        .has("autofocus")
        .lacks("<script");

    let sent = web
        .post(
            "/assistant",
            &[("message", "add buy milk tomorrow, high priority")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let location = sent.location().unwrap().to_owned();
    assert!(location.starts_with("/assistant/"), "{location}");
    let conversation = location.trim_start_matches("/assistant/").to_owned();

    let page = web.get(&location).await;
    page.has("<p>add buy milk tomorrow, high priority</p>")
        .has("Added task “buy milk” · high · due ")
        .has("href=\"/tasks/")
        .has("Added “buy milk”")
        .has(&format!("value=\"{conversation}\""))
        .has("aria-current=\"page\"");
    // The task list shows what the assistant did.
    web.get("/tasks").await.has("buy milk");

    let next = web
        .post(
            "/assistant",
            &[
                ("message", "mark buy milk done"),
                ("conversation_id", &conversation),
            ],
        )
        .await;
    next.redirects_to(&location);
    web.get(&location).await.has("Completed task “buy milk”");
    web.get("/tasks?status=completed").await.has("buy milk");

    web.post(&format!("{location}/delete"), &[])
        .await
        .redirects_to("/assistant");
    web.get("/assistant").await.has("No conversations yet.");
    assert_eq!(web.get(&location).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unavailable_model_keeps_the_typed_message() {
    // A backend whose model provider is not reachable (port 9 is closed).
    let stack = Stack::start_with(&[
        ("ASSISTANT_PROVIDER", "openai"),
        ("ASSISTANT_BASE_URL", "http://127.0.0.1:9/v1"),
        ("ASSISTANT_MODEL", "none"),
    ])
    .await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Patient").await;
    let page = web
        .post("/assistant", &[("message", "add <b>tea</b> & biscuits")])
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    page.has("role=\"alert\"")
        .has("The assistant could not answer")
        .has("Your message is saved")
        .has("add &lt;b&gt;tea&lt;/b&gt; &amp; biscuits</textarea>")
        .has("aria-describedby=\"message-error\"");
    // The message is in a conversation of its own, with no reply.
    web.get("/assistant")
        .await
        .has("add &lt;b&gt;tea&lt;/b&gt; &amp; biscuits");
}

#[tokio::test]
async fn another_users_conversation_is_not_found() {
    let stack = Stack::start().await;
    let mut alice = Web::new(&stack.url);
    alice.sign_up("Alice").await;
    let sent = alice
        .post("/assistant", &[("message", "what is left?")])
        .await;
    let location = sent.location().unwrap().to_owned();
    let mut bob = Web::new(&stack.url);
    bob.sign_up("Bob").await;
    assert_eq!(bob.get(&location).await.status, StatusCode::NOT_FOUND);
    let conversation = location.trim_start_matches("/assistant/");
    let intrusion = bob
        .post(
            "/assistant",
            &[("message", "hello"), ("conversation_id", conversation)],
        )
        .await;
    assert_eq!(intrusion.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn in_a_browser_with_javascript() {
    in_a_browser(true).await;
}

#[tokio::test]
async fn in_a_browser_without_javascript() {
    in_a_browser(false).await;
}

async fn in_a_browser(javascript: bool) {
    let stack = Stack::start().await;
    let driver = Driver::start();
    let client = driver.browser(javascript, (1280, 1000)).await;
    let flow = tokio::spawn(converse(client.clone(), stack.url.clone(), javascript));
    let outcome = flow.await;
    let _ = client.close().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn say(c: &Client, message: &str) {
    type_into(c, "#message", message).await;
    follow(c, "#composer button[type=submit]").await;
}

async fn converse(c: Client, base: String, javascript: bool) {
    c.goto(&format!("{base}/signup")).await.unwrap();
    type_into(&c, "#name", "Ada").await;
    type_into(&c, "#email", &format!("ada-chat-{javascript}@example.com")).await;
    type_into(&c, "#password", "correct horse battery").await;
    follow(&c, "form[action='/signup'] button[type=submit]").await;
    follow(&c, "a[href='/assistant']").await;
    assert_eq!(path(&c).await, "/assistant");
    // The box has the focus, ready to type.
    let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
    assert_eq!(focused.as_deref(), Some("message"));

    say(&c, "add water the plants, tag home").await;
    assert!(path(&c).await.starts_with("/assistant/"));
    find(&c, ".message-action").await;
    assert!(
        text(&c, ".message-action")
            .await
            .contains("Added task “water the plants”")
    );
    let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
    assert_eq!(
        focused.as_deref(),
        Some("message"),
        "focus is back in the box"
    );

    say(&c, "mark water the plants done").await;
    assert_eq!(count(&c, ".message-action").await, 2);
    say(&c, "what is left?").await;
    assert!(text(&c, ".messages").await.contains("No tasks match"));

    // The action line opens the task, which the assistant completed.
    follow(&c, ".message-action a").await;
    assert!(path(&c).await.ends_with("/edit"));
    assert_eq!(
        find(&c, "#completed")
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    c.goto(&format!("{base}/assistant")).await.unwrap();
    follow(&c, ".conversation a").await;
    say(&c, "delete water the plants").await;
    assert!(
        text(&c, ".messages")
            .await
            .contains("Deleted “water the plants”")
    );
    c.goto(&format!("{base}/tasks")).await.unwrap();
    find(&c, "#empty-state").await;
}
