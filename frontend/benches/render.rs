//! How long the task list page takes with 100 tasks, measured end to end
//! through the frontend (one backend call per page, to
//! `GET /api/tasks/overview`) and for the server-side rendering alone.
//!
//! `cargo bench -p todo-frontend --bench render` (`BENCH_REQUESTS`
//! overrides the number of timed requests, default 500).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use support::Stack;
use todo_api::{ApiClient, NewTask, Priority, SignupRequest};
use todo_frontend::filter::Filter;
use todo_frontend::forms::TaskForm;
use todo_frontend::views::tasks::{ListPage, list_page};

const TASKS: usize = 100;

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let stack = Stack::start().await;
    let api = ApiClient::new(&stack.backend_url);
    let auth = api
        .signup(&SignupRequest {
            email: "bench@example.com".into(),
            password: "correct horse battery".into(),
            name: "Bench".into(),
            time_zone: None,
        })
        .await
        .expect("sign up");
    let api = api.with_token(auth.token.clone());
    let today = Utc::now().date_naive();
    for i in 0..TASKS {
        api.create_task(&NewTask {
            title: format!("Task number {i} with a realistic, medium-length title"),
            description: (i % 3 == 0)
                .then(|| "Some details about this task & what it needs.".into()),
            priority: Some(Priority::ALL[i % 3]),
            due_date: (i % 4 == 0).then(|| today - Days::new(5) + Days::new(i as u64)),
            tags: vec!["work".into(), format!("tag-{}", i % 7)],
            completed: Some(i % 5 == 0),
            ..NewTask::default()
        })
        .await
        .expect("seed a task");
    }

    // End to end: GET /tasks through the frontend, like a browser.
    let http = reqwest::Client::new();
    let url = format!("{}/tasks", stack.url);
    let cookie = format!("todo_session={}", auth.token);
    let fetch = || async {
        let started = Instant::now();
        let response = http
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the frontend answers");
        assert_eq!(response.status(), 200);
        let body = response.text().await.expect("a body");
        assert_eq!(body.matches("class=\"task ").count(), TASKS);
        (started.elapsed(), body.len())
    };
    for _ in 0..20 {
        fetch().await;
    }
    let mut page = Vec::with_capacity(requests);
    let mut size = 0;
    for _ in 0..requests {
        let (elapsed, bytes) = fetch().await;
        page.push(elapsed);
        size = bytes;
    }

    // Rendering alone: the same data, straight into the Leptos view.
    let filter = Filter::default();
    let overview = api.overview(&filter.to_query()).await.expect("overview");
    assert_eq!(overview.tasks.items.len(), TASKS);
    let now = todo_frontend::zones::local_now(&overview.user.time_zone);
    let draft = TaskForm::default();
    let errors = Default::default();
    let mut render = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        let html = list_page(ListPage {
            user: &overview.user,
            tasks: &overview.tasks,
            stats: &overview.stats,
            due_soon: &overview.due_soon,
            filter: &filter,
            now,
            notice: None,
            draft: &draft,
            errors: &errors,
        });
        render.push(started.elapsed());
        std::hint::black_box(html);
    }

    println!("task list page with {TASKS} tasks ({size} bytes of HTML), {requests} requests each:");
    report(
        "  GET /tasks end to end (frontend + 3 backend calls, SQLite)",
        &mut page,
    );
    report(
        "  server-side rendering alone (Leptos view to HTML)",
        &mut render,
    );
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}
