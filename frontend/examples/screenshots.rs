//! Saves screenshots of the task list and of a conversation with the
//! assistant (desktop and a 390 px wide phone) for the docs: an in-process
//! backend and frontend, a few seeded tasks and chat messages, headless
//! Chromium. Run through `cargo xtask screenshots`.
//!
//! Usage: `cargo run -p todo-frontend --example screenshots -- OUT_DIR`

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{Days, Utc};
use fantoccini::Client;
use support::Stack;
use support::browser::{Driver, click, find, type_into};
use todo_api::{ApiClient, ChatRequest, NewTask, Priority, SignupRequest, TaskPatch};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

#[tokio::main]
async fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .expect("usage: screenshots OUT_DIR");
    std::fs::create_dir_all(&out).expect("create the output directory");

    let stack = Stack::start().await;
    let conversation = seed(&stack.backend_url).await;
    let assistant = format!("/assistant/{conversation}");
    let driver = Driver::start();
    let shots = [
        ("tasks-desktop.png", false, "/tasks", "ul.tasks"),
        ("tasks-phone.png", true, "/tasks", "ul.tasks"),
        (
            "assistant-desktop.png",
            false,
            assistant.as_str(),
            "div.chat-log ol.messages",
        ),
        (
            "assistant-phone.png",
            true,
            assistant.as_str(),
            "div.chat-log ol.messages",
        ),
    ];
    for (name, phone, path, ready) in shots {
        let client = if phone {
            driver.phone(false, 390, 1500).await
        } else {
            // The PNG comes out 1280 x 1000.
            driver.browser(false, (1280, 1143)).await
        };
        // A wedged browser must not hang the command forever.
        let png = tokio::time::timeout(
            Duration::from_secs(60),
            capture(&client, &stack.url, path, ready),
        )
        .await
        .unwrap_or_else(|_| panic!("{name}: the browser did not finish within 60 s"));
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        let path = out.join(name);
        std::fs::write(&path, png).expect("write the screenshot");
        println!("saved {}", path.display());
    }
}

/// The demo user's tasks, and a conversation (its id) in which the
/// assistant lists, adds and completes tasks.
async fn seed(backend_url: &str) -> uuid::Uuid {
    let api = ApiClient::new(backend_url);
    let auth = api
        .signup(&SignupRequest {
            email: EMAIL.into(),
            password: PASSWORD.into(),
            name: "Ada Lovelace".into(),
            time_zone: None,
        })
        .await
        .expect("sign up the demo user");
    let api = api.with_token(auth.token);
    let today = Utc::now().date_naive();
    let tasks = [
        (
            "Renew passport",
            Some("Photos are in the top drawer."),
            Priority::Medium,
            Some(today + Days::new(21)),
            vec!["admin"],
            false,
        ),
        (
            "Book dentist appointment",
            None,
            Priority::Low,
            None,
            vec!["health"],
            true,
        ),
        (
            "Pay electricity bill",
            Some("Reference number is on the last letter."),
            Priority::High,
            Some(today - Days::new(3)),
            vec!["home", "money"],
            false,
        ),
        (
            "Prepare slides for Thursday's review",
            None,
            Priority::High,
            Some(today + Days::new(2)),
            vec!["work"],
            false,
        ),
        (
            "Water the plants",
            None,
            Priority::Low,
            None,
            vec!["home"],
            false,
        ),
    ];
    for (title, description, priority, due_date, tags, completed) in tasks {
        let task = api
            .create_task(&NewTask {
                title: title.into(),
                description: description.map(Into::into),
                priority: Some(priority),
                due_date,
                tags: tags.into_iter().map(Into::into).collect(),
                completed: None,
                ..NewTask::default()
            })
            .await
            .expect("create a demo task");
        if completed {
            api.update_task(
                task.id,
                &TaskPatch {
                    completed: Some(true),
                    ..TaskPatch::default()
                },
            )
            .await
            .expect("complete a demo task");
        }
    }
    let mut conversation = None;
    for message in [
        "what is overdue?",
        "add call the plumber next friday, high priority, tag home",
        "mark water the plants done",
    ] {
        let reply = api
            .chat(&ChatRequest {
                conversation_id: conversation,
                message: message.into(),
            })
            .await
            .expect("chat with the offline assistant");
        conversation = Some(reply.conversation_id);
    }
    conversation.expect("a conversation was started")
}

async fn capture(c: &Client, base: &str, path: &str, ready: &str) -> Vec<u8> {
    eprintln!("screenshots: logging in");
    c.goto(&format!("{base}/login"))
        .await
        .expect("open the login page");
    type_into(c, "#email", EMAIL).await;
    type_into(c, "#password", PASSWORD).await;
    click(c, "form[action='/login'] button[type=submit]").await;
    find(c, "ul.tasks").await;
    if path != "/tasks" {
        c.goto(&format!("{base}{path}"))
            .await
            .expect("open the page");
    }
    find(c, ready).await;
    eprintln!("screenshots: capturing {path}");
    c.screenshot().await.expect("take a screenshot")
}
