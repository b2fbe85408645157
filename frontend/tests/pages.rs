//! Server-side tests: every page rendered by the real frontend in front of
//! a real backend, asserting on the HTML a browser would receive.

mod support;

use reqwest::StatusCode;
use support::{Stack, Web, start_frontend};

#[tokio::test]
async fn health_answers_without_the_backend() {
    let (url, _stop) = start_frontend("http://127.0.0.1:9", &[]).await;
    let response = reqwest::get(format!("{url}/api/health")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    // The probe subcommand the shell-less image uses.
    let timeout = std::time::Duration::from_secs(5);
    let line = todo_service::probe::probe(&format!("{url}/api/health"), timeout)
        .await
        .unwrap();
    assert!(line.contains("200"), "{line}");
    let refused = todo_service::probe::probe(&format!("{url}/no-such-page"), timeout).await;
    assert!(refused.unwrap_err().contains("404"));
}

#[tokio::test]
async fn a_dead_backend_gives_a_clear_503_page() {
    // Port 9 (discard) is closed on loopback: nothing answers there.
    let (url, _stop) = start_frontend("http://127.0.0.1:9", &[]).await;
    let mut web = Web::new(&url);
    web.get("/login")
        .await
        .has("<h1 id=\"page-title\">Log in</h1>");

    let page = web
        .post(
            "/login",
            &[("email", "a@example.com"), ("password", "whatever1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    page.has("<title>Service unavailable · Todo</title>")
        .has("cannot be reached right now");

    web.session = Some("some-token".into());
    let page = web.get("/tasks").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    page.has("Service unavailable");
    assert_eq!(page.headers["retry-after"], "5");
}

#[tokio::test]
async fn login_and_signup_pages_have_labelled_fields() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);

    web.get("/").await.redirects_to("/login");
    let login = web.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    login
        .has("<title>Log in · Todo</title>")
        .has("<form method=\"post\" action=\"/login\"")
        .has("<label for=\"email\">Email</label>")
        .has("<input type=\"email\" id=\"email\" name=\"email\"")
        .has("<label for=\"password\">Password</label>")
        .has("autocomplete=\"current-password\"")
        .has("<main id=\"main\"")
        .has("href=\"/signup\"");
    assert_eq!(login.count("<h1"), 1);

    let signup = web.get("/signup").await;
    signup
        .has("<title>Sign up · Todo</title>")
        .has("<label for=\"name\">Name</label>")
        .has("<input type=\"text\" id=\"name\" name=\"name\"")
        .has("autocomplete=\"new-password\"")
        .has("aria-describedby=\"password-hint\"");

    // The stylesheet is served from the binary.
    let css = reqwest::get(format!("{}/static/app.css", stack.url))
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains(".task"));
}

#[tokio::test]
async fn signup_errors_are_shown_next_to_fields_with_input_kept() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);

    let page = web
        .post(
            "/signup",
            &[
                ("name", "Ada <Lovelace>"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"email-error\"")
        .has("id=\"password-error\"")
        .has("aria-invalid=\"true\"")
        .has("value=\"Ada &lt;Lovelace&gt;\"")
        .has("value=\"not-an-email\"")
        .lacks("value=\"short\"");
    assert!(web.session.is_none());

    let email = web.sign_up("Grace").await;
    let mut other = Web::new(&stack.url);
    let page = other
        .post(
            "/signup",
            &[
                ("name", "Grace"),
                ("email", &email),
                ("password", "another password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    page.has("An account with this email already exists");
}

#[tokio::test]
async fn login_logout_and_protected_pages() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.get("/tasks").await.redirects_to("/login");

    let email = web.sign_up("Linus").await;
    web.post("/logout", &[])
        .await
        .redirects_to("/login?logged_out=1");
    assert!(web.session.is_none(), "logout clears the cookie");
    web.get("/login?logged_out=1")
        .await
        .has("You have been logged out.");
    web.get("/tasks").await.redirects_to("/login");

    let page = web
        .post(
            "/login",
            &[("email", &email), ("password", "wrong password")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    page.has("do not match an account")
        .has(&format!("value=\"{email}\""));

    let page = web.post("/login", &[("email", ""), ("password", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("Enter your email address")
        .has("Enter your password");

    let page = web
        .post(
            "/login",
            &[("email", &email), ("password", "correct horse battery")],
        )
        .await;
    page.redirects_to("/tasks");
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    web.get("/tasks").await.has("Linus");
}

#[tokio::test]
async fn an_invalid_session_sends_the_visitor_to_log_in() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.session = Some("not-a-jwt".into());
    web.get("/tasks").await.redirects_to("/login?expired=1");
    let page = web.get("/login?expired=1").await;
    page.has("Your session has ended");
    assert!(web.session.is_none(), "the stale cookie is removed");
}

#[tokio::test]
async fn a_session_whose_account_is_gone_is_sent_to_log_in() {
    // As after a database reset: the token is valid, the account is not.
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Vanished").await;
    let token = web.session.clone().unwrap();
    todo_api::ApiClient::new(&stack.backend_url)
        .with_token(&token)
        .delete_account("correct horse battery")
        .await
        .unwrap();
    web.get("/tasks").await.redirects_to("/login?expired=1");
    web.session = Some(token);
    web.post("/tasks", &[("title", "lost?")])
        .await
        .redirects_to("/login?expired=1");
    web.get("/login?expired=1")
        .await
        .has("Your session has ended");
    assert!(web.session.is_none(), "the stale cookie is removed");
}

#[tokio::test]
async fn the_task_list_renders_tasks_counts_and_escapes_titles() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Margaret").await;

    let empty = web.get("/tasks").await;
    assert_eq!(empty.status, StatusCode::OK);
    empty
        .has("<title>Your tasks · Todo</title>")
        .has("No tasks yet.")
        .has("<form method=\"post\" action=\"/tasks\"")
        .has("<label for=\"title\">Title</label>")
        .has("<textarea id=\"description\" name=\"description\"")
        .has("<select id=\"priority\" name=\"priority\"")
        .has("<option value=\"medium\" selected>Medium</option>")
        .has("<input type=\"date\" id=\"due_date\" name=\"due_date\"")
        .has("<label for=\"tags\">Tags</label>")
        .has("role=\"search\"")
        .lacks("Clear completed");
    assert_eq!(empty.headers["cache-control"], "no-store");
    assert_eq!(empty.count("<h1"), 1);

    for (title, priority, due, tags) in [
        ("<script>alert(1)</script>", "high", "", ""),
        ("Water the plants", "low", "2020-01-15", "home, garden"),
        ("Renew passport", "medium", "2999-01-01", ""),
    ] {
        web.post(
            "/tasks",
            &[
                ("title", title),
                ("description", "details & more"),
                ("priority", priority),
                ("due_date", due),
                ("tags", tags),
                ("back", "/tasks"),
            ],
        )
        .await
        .redirects_to("/tasks");
    }

    let page = web.get("/tasks").await;
    page.has("&lt;script&gt;alert(1)&lt;/script&gt;")
        .lacks("<script>alert(1)")
        .has("<title>Your tasks (3 active) · Todo</title>")
        .has("3 tasks")
        .has("details &amp; more")
        .has("High priority")
        .has("Low priority")
        .has("#garden")
        .has("Overdue · due Jan 15, 2020")
        .has("Due Jan 1, 2999")
        .has("1 overdue");
    assert_eq!(page.count("class=\"task "), 3);
    assert_eq!(
        page.count("is-overdue"),
        1,
        "only the past, open task is overdue"
    );
    // Tab counts: All 3, Active 3, Completed 0.
    page.has("All<span class=\"count\">3</span>")
        .has("Active<span class=\"count\">3</span>")
        .has("Completed<span class=\"count\">0</span>");
    // Newest first by default.
    let newest = page.body.find("Renew passport").unwrap();
    let oldest = page.body.find("&lt;script&gt;").unwrap();
    assert!(newest < oldest);
}

#[tokio::test]
async fn add_form_errors_keep_the_input() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Barbara").await;

    let page = web
        .post(
            "/tasks",
            &[
                ("title", "   "),
                ("description", "kept </textarea><script>alert(1)</script>"),
                ("priority", "urgent"),
                ("due_date", "31/12/2026"),
                ("tags", "x"),
                ("back", "/tasks?status=active"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("The task was not added")
        .has("id=\"title-error\"")
        .has("Must not be empty")
        .has("id=\"priority-error\"")
        .has("id=\"due_date-error\"")
        .has("Must be a date like 2026-12-31")
        .has("kept &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>")
        .lacks("<script>")
        .has("value=\"31/12/2026\"")
        // The list behind the form is the one the visitor came from.
        .has("aria-current=\"page\" class=\"tab\"");

    // Limits the backend enforces come back next to the field as well.
    let long = "x".repeat(201);
    let page = web
        .post(
            "/tasks",
            &[
                ("title", &long),
                ("tags", "Fine, not_ok!"),
                ("back", "/tasks"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"title-error\"")
        .has("id=\"tags-error\"")
        .has("value=\"Fine, not_ok!\"");
    web.get("/tasks").await.has("No tasks yet.");
}

#[tokio::test]
async fn a_full_account_keeps_the_new_task_and_says_what_to_delete() {
    let stack = Stack::start_with(&[("TASKS_PER_USER_MAX", "2")]).await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Hoarder").await;
    for title in ["First", "Second"] {
        web.post("/tasks", &[("title", title), ("back", "/tasks")])
            .await
            .redirects_to("/tasks");
    }

    let page = web
        .post(
            "/tasks",
            &[
                ("title", "Third <b>one</b>"),
                ("description", "kept"),
                ("tags", "home"),
                ("back", "/tasks?status=active"),
            ],
        )
        .await;
    // The list with the form as typed, not an error page.
    assert_eq!(page.status, StatusCode::CONFLICT);
    page.has("role=\"alert\" class=\"alert alert-error\">This account holds 2 tasks")
        .has("delete some")
        .lacks("Please correct the fields")
        .has("value=\"Third &lt;b&gt;one&lt;/b&gt;\"")
        .has("kept</textarea>")
        .has("value=\"home\"")
        .has("<p class=\"task-title\">First</p>")
        .has("aria-current=\"page\" class=\"tab\"");
    web.get("/tasks").await.lacks("Third");
    web.get("/account")
        .await
        .has("<dt>Tasks</dt><dd>2 of 2</dd>");

    // Once one is gone, there is room again.
    let body = web.get("/tasks").await.body;
    let first = task_id(&body, "First");
    web.post(&format!("/tasks/{first}/delete"), &[("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    web.post("/tasks", &[("title", "Third"), ("back", "/tasks")])
        .await
        .redirects_to("/tasks");
}

#[tokio::test]
async fn toggle_filter_search_sort_edit_delete_and_clear() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Edsger").await;
    for title in ["Alpha task", "Beta task", "Gamma chore"] {
        web.post("/tasks", &[("title", title), ("back", "/tasks")])
            .await
            .redirects_to("/tasks");
    }
    let page = web.get("/tasks").await;
    let id = task_id(&page.body, "Beta task");

    // Toggle keeps the list the visitor was on.
    web.post(
        &format!("/tasks/{id}/toggle"),
        &[("completed", "true"), ("back", "/tasks?status=active")],
    )
    .await
    .redirects_to("/tasks?status=active");

    let active = web.get("/tasks?status=active").await;
    active
        .has("Active<span class=\"count\">2</span>")
        .has("Completed<span class=\"count\">1</span>")
        .has("2 tasks")
        .lacks("Beta task");
    let completed = web.get("/tasks?status=completed").await;
    completed
        .has("1 task<")
        .has("Beta task")
        .has("is-completed")
        .has("Mark “Beta task” as not completed")
        .has("Clear completed (1)");

    let search = web.get("/tasks?q=chore").await;
    search
        .has("1 task matching “chore”")
        .has("Gamma chore")
        .lacks("Alpha task");
    web.get("/tasks?q=nothing-like-it")
        .await
        .has("No tasks match “nothing-like-it”.");

    let sorted = web.get("/tasks?sort=title").await;
    let a = sorted.body.find("Alpha task").unwrap();
    let g = sorted.body.find("Gamma chore").unwrap();
    assert!(a < g);
    sorted.has("<option value=\"title\" selected>");

    // Edit: the form is filled in; errors keep the input; saving redirects.
    let gamma = task_id(&search.body, "Gamma chore");
    let edit = web
        .get(&format!("/tasks/{gamma}/edit?back=%2Ftasks%3Fq%3Dchore"))
        .await;
    edit.has("<title>Edit “Gamma chore” · Todo</title>")
        .has("value=\"Gamma chore\"")
        .has("name=\"back\" value=\"/tasks?q=chore\"");
    let page = web
        .post(
            &format!("/tasks/{gamma}/edit"),
            &[
                ("title", ""),
                ("due_date", "soon"),
                ("back", "/tasks?q=chore"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"title-error\"").has("value=\"soon\"");
    let page = web
        .post(
            &format!("/tasks/{gamma}/edit"),
            &[
                ("title", "<b>x</b>"),
                ("description", "</textarea><script>1</script>"),
                ("due_date", "soon"),
            ],
        )
        .await;
    page.has("value=\"&lt;b&gt;x&lt;/b&gt;\"")
        .has("&lt;/textarea&gt;&lt;script&gt;1&lt;/script&gt;</textarea>")
        .lacks("<script>");
    web.post(
        &format!("/tasks/{gamma}/edit"),
        &[
            ("title", "Gamma chore, renamed"),
            ("priority", "high"),
            ("completed", "on"),
            ("back", "/tasks?q=chore"),
        ],
    )
    .await
    .redirects_to("/tasks?q=chore");
    web.get("/tasks?q=chore")
        .await
        .has("Gamma chore, renamed")
        .has("High priority");

    // Delete, then clear both completed tasks.
    let alpha = task_id(&web.get("/tasks").await.body, "Alpha task");
    web.post(&format!("/tasks/{alpha}/delete"), &[("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    // A second delete of the same task is harmless.
    web.post(&format!("/tasks/{alpha}/delete"), &[("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    web.get("/tasks")
        .await
        .lacks("Alpha task")
        .has("Clear completed (2)");
    web.post("/tasks/clear-completed", &[("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    web.get("/tasks").await.has("No tasks yet.");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Mallory").await;
    web.post("/tasks", &[("title", "Keep me"), ("back", "/tasks")])
        .await
        .redirects_to("/tasks");
    let id = task_id(&web.get("/tasks").await.body, "Keep me");

    for (path, form) in [
        ("/tasks", vec![("title", "Injected")]),
        ("/tasks/clear-completed", vec![]),
        ("/logout", vec![]),
    ] {
        for origin in [Some("http://evil.example"), None] {
            let page = web.post_from(path, &form, origin).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} from {origin:?}");
            page.has("Request refused");
        }
    }
    let delete = format!("/tasks/{id}/delete");
    let page = web
        .post_from(&delete, &[], Some("http://evil.example"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Still logged in, nothing added, nothing deleted.
    assert!(web.session.is_some());
    let page = web.get("/tasks").await;
    page.has("Keep me").lacks("Injected").has("1 task<");
}

#[tokio::test]
async fn bad_urls_get_error_pages_and_redirects_stay_on_site() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Eve").await;

    let page = web.get("/tasks?sort=colour").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.has("sort must be one of");
    let page = web.get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.has("<title>Not found · Todo</title>");
    let page = web.get("/tasks/not-a-uuid/edit").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let missing = uuid::Uuid::new_v4();
    let page = web.get(&format!("/tasks/{missing}/edit")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    web.post("/tasks", &[("title", "Stay"), ("back", "//evil.example/x")])
        .await
        .redirects_to("/tasks");
}

/// The id of the task row whose title is `title`.
fn task_id(body: &str, title: &str) -> String {
    let title_at = body
        .find(&format!("<p class=\"task-title\">{title}</p>"))
        .unwrap_or_else(|| panic!("no task {title:?} in:\n{body}"));
    let row_at = body[..title_at].rfind("id=\"task-").expect("a task row");
    body[row_at + 9..row_at + 9 + 36].to_owned()
}

#[tokio::test]
async fn an_oversized_form_is_a_413_page_and_the_connection_stays_usable() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Verbose").await;
    let long = "x".repeat(todo_frontend::forms::FORM_MAX_BYTES + 1);
    for round in 0..5 {
        let page = web
            .post("/tasks", &[("title", "Too long"), ("description", &long)])
            .await;
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "round {round}");
        page.has("Too much text");
        for _ in 0..3 {
            let list = web.get("/tasks").await;
            assert_eq!(list.status, StatusCode::OK, "round {round}");
            list.lacks("Too long");
        }
        // The same, streamed without a Content-Length.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            std::iter::once(Ok(b"title=x&description=".to_vec()))
                .chain((0..80).map(|_| Ok(vec![b'y'; 1024])))
                .collect();
        let page = web
            .post_body(
                "/tasks",
                reqwest::Body::wrap_stream(futures::stream::iter(chunks)),
            )
            .await;
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "round {round}");
        for _ in 0..3 {
            assert_eq!(
                web.get("/tasks").await.status,
                StatusCode::OK,
                "round {round}"
            );
        }
    }
    // On the wire: the server answers once the limit is passed, while the
    // rest is on its way; the connection must still serve the next request.
    let address = stack.url.trim_start_matches("http://").to_owned();
    let body = format!(
        "title=x&description={}",
        "z".repeat(2 * todo_frontend::forms::FORM_MAX_BYTES)
    );
    let head = format!(
        "POST /tasks HTTP/1.1\r\nHost: {address}\r\nOrigin: {}\r\nCookie: todo_session={}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        stack.url,
        web.session.as_deref().expect("signed up"),
        body.len()
    );
    let (past_the_limit, rest) = body
        .as_bytes()
        .split_at(todo_frontend::forms::FORM_MAX_BYTES + 1);
    let statuses = todo_service::testing::raw_exchange(
        &address,
        &[head.as_bytes(), past_the_limit, rest],
        "/api/health",
    )
    .await;
    assert!(statuses[0].starts_with("HTTP/1.1 413"), "{}", statuses[0]);
    assert!(statuses[1].starts_with("HTTP/1.1 200"), "{}", statuses[1]);
}

#[tokio::test]
async fn too_many_changes_in_a_minute_is_a_429_page_and_nothing_changes() {
    let stack = Stack::start_with(&[("WRITES_PER_MINUTE_PER_USER", "2")]).await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Hasty").await;
    for title in ["First", "Second"] {
        web.post("/tasks", &[("title", title), ("back", "/tasks")])
            .await
            .redirects_to("/tasks");
    }
    let page = web
        .post("/tasks", &[("title", "Third"), ("back", "/tasks")])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    page.has("Too many changes").has("Wait a minute");
    let list = web.get("/tasks").await;
    list.lacks("Third");
    let first = task_id(&list.body, "First");
    let page = web
        .post(&format!("/tasks/{first}/delete"), &[("back", "/tasks")])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    web.get("/tasks")
        .await
        .has("<p class=\"task-title\">First</p>");
}
