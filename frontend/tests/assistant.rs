//! The Assistant page: server-side (what the HTML says) and in a real
//! browser with JavaScript on and off. A short conversation adds,
//! completes and deletes a task, and the task page agrees.

mod support;

use fantoccini::Client;
use reqwest::StatusCode;
use support::browser::{Driver, count, find, follow, path, text, type_into};
use support::{Stack, Web};
use todo_api::{ApiClient, ChatRequest};
use uuid::Uuid;

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
async fn a_full_account_or_conversation_keeps_the_typed_message() {
    // Room for one conversation of one turn: a turn is let in only with
    // room for its message, up to 20 actions and the reply.
    let stack = Stack::start_with(&[
        ("CONVERSATIONS_PER_USER_MAX", "1"),
        ("MESSAGES_PER_CONVERSATION_MAX", "22"),
    ])
    .await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Talkative").await;
    let sent = web.post("/assistant", &[("message", "add tea")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let location = sent.location().unwrap().to_owned();
    let conversation = location.trim_start_matches("/assistant/").to_owned();

    let full = web
        .post(
            "/assistant",
            &[
                ("message", "add <b>biscuits</b>"),
                ("conversation_id", &conversation),
            ],
        )
        .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    full.has("id=\"message-error\" class=\"alert alert-error\">This conversation is full")
        .has("add &lt;b&gt;biscuits&lt;/b&gt;</textarea>")
        .has("aria-describedby=\"message-error\"")
        // Beside the conversation it was meant for.
        .has("<p>add tea</p>")
        .has(&format!("value=\"{conversation}\""));

    let another = web.post("/assistant", &[("message", "add scones")]).await;
    assert_eq!(another.status, StatusCode::CONFLICT);
    another
        .has("id=\"message-error\" class=\"alert alert-error\">This account holds 1 conversation")
        .has("delete")
        .has("add scones</textarea>");
    // Neither was stored, nor acted on.
    web.get(&location).await.lacks("biscuits");
    web.get("/tasks")
        .await
        .has("tea")
        .lacks("biscuits")
        .lacks("scones");
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

/// The backend API as the visitor `web` is logged in.
fn api_of(stack: &Stack, web: &Web) -> ApiClient {
    ApiClient::new(&stack.backend_url).with_token(web.session.as_deref().expect("logged in"))
}

/// Sends `message` straight to the API (faster than through the page),
/// in `conversation` or a new one; answers the conversation's id.
async fn chat(api: &ApiClient, conversation: Option<Uuid>, message: &str) -> Uuid {
    let request = ChatRequest {
        conversation_id: conversation,
        message: message.to_owned(),
    };
    api.chat(&request)
        .await
        .expect("the assistant answers")
        .conversation_id
}

#[tokio::test]
async fn a_long_conversation_reads_backwards_a_page_at_a_time() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Talker").await;
    let api = api_of(&stack, &web);
    // 18 turns of 3 messages (yours, the action, the reply): 54, more
    // than the newest page's 50.
    let id = chat(&api, None, "add chore 0").await;
    for turn in 1..18 {
        chat(&api, Some(id), &format!("add chore {turn}")).await;
    }
    let older = api
        .messages(id)
        .await
        .unwrap()
        .older
        .expect("an older page");

    let newest = web.get(&format!("/assistant/{id}")).await;
    assert_eq!(newest.status, StatusCode::OK);
    let earlier = format!("/assistant/{id}?before={older}");
    newest
        .has(&format!(
            "href=\"{earlier}\" rel=\"prev\" id=\"earlier-messages\" class=\"button button-small\">Earlier messages</a>"
        ))
        .has(&format!("Messages {}–54 of 54", older + 1))
        .has("<p>add chore 17</p>")
        .lacks("<p>add chore 0</p>")
        .lacks("id=\"latest-messages\"");

    let first_page = web.get(&earlier).await;
    assert_eq!(first_page.status, StatusCode::OK);
    first_page
        .has("<p>add chore 0</p>")
        .has("Added task “chore 0”")
        .has(&format!("Messages 1–{older} of 54"))
        .lacks("<p>add chore 17</p>")
        // It starts the conversation: nothing earlier, a way back.
        .lacks("id=\"earlier-messages\"")
        .has(&format!(
            "href=\"/assistant/{id}\" id=\"latest-messages\" class=\"button button-small\">Latest messages</a>"
        ))
        // The box still answers in this conversation.
        .has(&format!("name=\"conversation_id\" value=\"{id}\""));

    // A cursor that is not one is the visitor's bad request.
    for bad in ["garbage", "0", "-3", "1.5", "99999999999"] {
        let page = web.get(&format!("/assistant/{id}?before={bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "before={bad}");
        page.has("before must be a whole number from 1");
    }
    for bad in ["garbage", "-1", "18446744073709551615"] {
        let page = web.get(&format!("/assistant?offset={bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "offset={bad}");
    }
}

#[tokio::test]
async fn the_conversation_list_pages_too() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Chatty").await;
    let api = api_of(&stack, &web);
    // One more than a page of 50; the most recently active come first.
    let oldest = chat(&api, None, "question 0").await;
    for n in 1..=50 {
        chat(&api, None, &format!("question {n}")).await;
    }

    let first_page = web.get("/assistant").await;
    first_page
        .has(">question 50</a>")
        .has(">question 1</a>")
        .lacks(">question 0</a>")
        .has("href=\"/assistant?offset=50\" rel=\"next\" id=\"more-conversations\" class=\"button button-small\">More conversations</a>")
        .lacks("Newer conversations");

    let second_page = web.get("/assistant?offset=50").await;
    assert_eq!(second_page.status, StatusCode::OK);
    second_page
        .has(">question 0</a>")
        .lacks(">question 1</a>")
        .lacks("id=\"more-conversations\"")
        .has("href=\"/assistant\" rel=\"prev\" class=\"button button-small\">Newer conversations</a>")
        // Opening one keeps the list on its page.
        .has(&format!("href=\"/assistant/{oldest}?offset=50\""));
    let opened = web.get(&format!("/assistant/{oldest}?offset=50")).await;
    opened
        .has("<p>question 0</p>")
        .has("<title>question 0 · Assistant · Todo</title>")
        .has("aria-current=\"page\">question 0</a>");

    // Past the end, the list says so and leads back.
    web.get("/assistant?offset=500")
        .await
        .has("No more conversations.")
        .has("Newer conversations");
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
