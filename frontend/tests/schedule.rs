//! Due times, repeats, reminders, time zones and the calendar feed,
//! without JavaScript, against a real backend: tasks added and edited
//! through the forms, the list's due-soon section and highlighting read in
//! the user's zone, completing a repeating task (the notice, the next
//! occurrence, undo), the Account page's time zone and calendar feed, the
//! feed fetched through the frontend, and signing up with the browser's
//! zone.

mod support;

use chrono::{Datelike, Days, NaiveDate};
use reqwest::StatusCode;
use reqwest::header;
use support::{PASSWORD, Page, Stack, Web, start_frontend};
use todo_api::{ApiClient, ListQuery, NewTask, Task};
use todo_frontend::zones;

/// A client acting for `web`'s account straight at the backend.
fn backend_api(stack: &Stack, web: &Web) -> ApiClient {
    ApiClient::new(&stack.backend_url).with_token(web.session.as_deref().unwrap())
}

async fn all_tasks(api: &ApiClient) -> Vec<Task> {
    api.list_tasks(&ListQuery::default()).await.unwrap().items
}

/// The one task titled `title`.
async fn task_titled(api: &ApiClient, title: &str) -> Task {
    let mut found: Vec<Task> = all_tasks(api)
        .await
        .into_iter()
        .filter(|t| t.title == title)
        .collect();
    assert_eq!(found.len(), 1, "one task titled {title:?}: {found:?}");
    found.remove(0)
}

fn ymd(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Where the task row showing `title` starts in the page.
fn row_start(page: &Page, title: &str) -> usize {
    let list = page.body.find("class=\"tasks\"").expect("a task list");
    let at = list
        + page.body[list..]
            .find(&format!("<p class=\"task-title\">{title}</p>"))
            .unwrap_or_else(|| panic!("no row for {title:?}:\n{}", page.body));
    let class = page.body[..at]
        .rfind("class=\"task ")
        .expect("the row's class");
    page.body[..class].rfind("<li").expect("the row's li")
}

/// The opening tag of the task row showing `title` (its classes say
/// whether it is overdue or due today).
fn row_tag<'p>(page: &'p Page, title: &str) -> &'p str {
    let start = row_start(page, title);
    let end = start + page.body[start..].find('>').unwrap();
    &page.body[start..=end]
}

/// The row of `title` from its opening tag to its actions.
fn row<'p>(page: &'p Page, title: &str) -> &'p str {
    let start = row_start(page, title);
    let end = start + page.body[start..].find("class=\"task-actions\"").unwrap();
    &page.body[start..end]
}

/// The Due soon section.
fn due_soon(page: &Page) -> &str {
    let start = page
        .body
        .find("id=\"due-soon\"")
        .unwrap_or_else(|| panic!("no Due soon section:\n{}", page.body));
    let end = start + page.body[start..].find("</section>").unwrap();
    &page.body[start..end]
}

async fn set_time_zone(web: &mut Web, zone: &str) {
    web.post("/account/time-zone", &[("time_zone", zone)])
        .await
        .redirects_to("/account?time_zone_changed=1#time-zone");
}

#[tokio::test]
async fn a_repeating_task_is_added_completed_with_a_notice_and_undone() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Rita").await;
    set_time_zone(&mut web, "Europe/Berlin").await;
    let api = backend_api(&stack, &web);
    let today = zones::local_now("Europe/Berlin").date();
    let tomorrow = today + Days::new(1);
    let yesterday = today - Days::new(1);

    // Through the form: due tomorrow at 09:00, every week on that
    // weekday, reminding 10 minutes and a day before.
    web.post(
        "/tasks",
        &[
            ("title", "Water the plants"),
            ("due_date", &ymd(tomorrow)),
            ("due_time", "09:00"),
            ("recurrence", "weekly"),
            ("reminders", "1440"),
            ("reminders", "10"),
            ("back", "/tasks"),
        ],
    )
    .await
    .redirects_to("/tasks");
    for (title, due) in [("Call mum", today), ("Pay the bill", yesterday)] {
        web.post(
            "/tasks",
            &[
                ("title", title),
                ("due_date", &ymd(due)),
                ("back", "/tasks"),
            ],
        )
        .await
        .redirects_to("/tasks");
    }
    let plants = task_titled(&api, "Water the plants").await;
    let weekday = tomorrow.format("%A").to_string();
    assert_eq!(
        plants.recurrence.as_deref(),
        Some(format!("FREQ=WEEKLY;BYDAY={}", &weekday[..2].to_uppercase()).as_str())
    );
    assert_eq!(plants.reminders, [10, 1440]);
    assert_eq!(plants.due_time.as_deref(), Some("09:00"));

    let page = web.get("/tasks").await;
    let plants_row = row(&page, "Water the plants");
    for expected in [
        format!("Due {} at 09:00", tomorrow.format("%b %-d, %Y")),
        format!("every {weekday}"),
        "<span class=\"visually-hidden\">Repeats </span>".to_owned(),
        "Reminders 10 minutes before and 1 day before".to_owned(),
    ] {
        assert!(
            plants_row.contains(&expected),
            "{expected:?} in {plants_row}"
        );
    }
    assert!(row_tag(&page, "Call mum").contains("is-due-today"));
    assert!(row(&page, "Call mum").contains("Due today"));
    assert!(row_tag(&page, "Pay the bill").contains("is-overdue"));
    assert!(!row_tag(&page, "Water the plants").contains("is-"));

    // Due soon: overdue first, then today, then tomorrow, each said in words.
    let soon = due_soon(&page);
    assert!(
        soon.contains("<h2 id=\"due-soon-title\">Due soon (3)</h2>"),
        "{soon}"
    );
    assert!(soon.contains("aria-labelledby=\"due-soon-title\""));
    let position = |text: &str| {
        soon.find(text)
            .unwrap_or_else(|| panic!("{text:?} in {soon}"))
    };
    assert!(position("Pay the bill") < position("Call mum"));
    assert!(position("Call mum") < position("Water the plants"));
    assert!(position("Overdue") < position("Pay the bill"));
    assert!(position(">Today<") < position("Call mum"));
    assert!(position(">Tomorrow<") < position("Water the plants"));
    assert!(soon.contains(&format!("{}T09:00", ymd(tomorrow))));

    // Completing it from the list: the next one, a week on, is named.
    let next_due = tomorrow + Days::new(7);
    let toggle = format!("/tasks/{}/toggle", plants.id);
    let done = web
        .post(
            &toggle,
            &[("completed", "true"), ("back", "/tasks?sort=due")],
        )
        .await;
    let expected = format!("/tasks?sort=due&done={}&next={}", plants.id, ymd(next_due));
    done.redirects_to(&expected);
    let page = web.get(&expected).await;
    let next_words = if next_due.year() == today.year() {
        next_due.format("%a %-d %b").to_string()
    } else {
        next_due.format("%a %-d %b %Y").to_string()
    };
    page.has(&format!("Done. Next: {next_words}."))
        .has("role=\"status\" id=\"done-notice\"")
        .has(&format!("action=\"/tasks/{}/toggle\"", plants.id))
        .has("id=\"undo-done\"");
    let tasks = all_tasks(&api).await;
    let series: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.title == "Water the plants")
        .collect();
    assert_eq!(series.len(), 2);
    let next = series.iter().find(|t| !t.completed).expect("the next one");
    assert_eq!(next.due_date, Some(next_due));
    assert_eq!(next.reminders, [10, 1440]);
    assert_eq!(next.recurrence, plants.recurrence);

    // A hand-edited notice says nothing it was not built to say.
    web.get("/tasks?done=not-a-task&next=2026-01-01")
        .await
        .lacks("done-notice");

    // Undo: reopened, and the occurrence its completion made is gone.
    web.post(
        &toggle,
        &[("completed", "false"), ("back", "/tasks?sort=due")],
    )
    .await
    .redirects_to("/tasks?sort=due");
    let reopened = task_titled(&api, "Water the plants").await;
    assert!(!reopened.completed);
    assert_eq!(reopened.next_occurrence_id, None);
    web.get("/tasks").await.lacks("done-notice");

    // Completing a task that does not repeat says nothing more.
    let bill = task_titled(&api, "Pay the bill").await;
    web.post(
        &format!("/tasks/{}/toggle", bill.id),
        &[("completed", "true"), ("back", "/tasks")],
    )
    .await
    .redirects_to("/tasks");
}

#[tokio::test]
async fn the_users_time_zone_decides_what_is_overdue_and_due_today() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Zoe").await;
    // 25 hours apart: their dates always differ.
    let (ahead, behind) = ("Pacific/Kiritimati", "Pacific/Pago_Pago");
    let ahead_today = zones::local_now(ahead).date();
    let behind_today = zones::local_now(behind).date();
    assert!(behind_today < ahead_today);
    for (title, due) in [("Ahead", ahead_today), ("Behind", behind_today)] {
        web.post(
            "/tasks",
            &[
                ("title", title),
                ("due_date", &ymd(due)),
                ("back", "/tasks"),
            ],
        )
        .await
        .redirects_to("/tasks");
    }

    set_time_zone(&mut web, ahead).await;
    let page = web.get("/tasks").await;
    assert!(row_tag(&page, "Ahead").contains("is-due-today"));
    assert!(row_tag(&page, "Behind").contains("is-overdue"));
    page.has("1 overdue");

    set_time_zone(&mut web, behind).await;
    let page = web.get("/tasks").await;
    assert!(row_tag(&page, "Behind").contains("is-due-today"));
    let ahead_row = row_tag(&page, "Ahead");
    assert!(!ahead_row.contains("is-overdue") && !ahead_row.contains("is-due-today"));
    page.lacks("overdue</span>");
}

#[tokio::test]
async fn the_time_zone_is_chosen_on_the_account_page() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Tim").await;
    let api = backend_api(&stack, &web);

    let page = web.get("/account").await;
    page.has("<h2 id=\"time-zone-title\">Time zone</h2>")
        .has("<label for=\"time_zone\">Time zone</label>")
        .has("<select id=\"time_zone\" name=\"time_zone\" aria-describedby=\"time_zone-hint\">")
        .has("<option value=\"UTC\" selected>UTC</option>")
        .has("<optgroup label=\"Europe\">")
        .has("<option value=\"Europe/Berlin\">Europe/Berlin</option>")
        .has("action=\"/account/time-zone#time-zone\"")
        .has("<strong id=\"current-time-zone\">UTC</strong>");

    set_time_zone(&mut web, "Europe/Berlin").await;
    assert_eq!(api.me().await.unwrap().time_zone, "Europe/Berlin");
    let page = web.get("/account?time_zone_changed=1").await;
    page.has("<title>Time zone saved · Account · Todo</title>")
        .has("Your time zone is saved")
        .has("<option value=\"Europe/Berlin\" selected>Europe/Berlin</option>")
        .has("<option value=\"UTC\">UTC</option>");
    // The add form says which zone its time is in.
    web.get("/tasks")
        .await
        .has("In your time zone, Europe/Berlin.");

    // A name the backend does not know comes back next to the field.
    let page = web
        .post("/account/time-zone", &[("time_zone", "Mars/Olympus_Mons")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("<title>Not saved · Account · Todo</title>")
        .has("id=\"time_zone-error\"")
        .has("not a known IANA time zone name")
        .has("aria-invalid=\"true\"");
    let page = web.post("/account/time-zone", &[("time_zone", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("Choose a time zone");
    assert_eq!(api.me().await.unwrap().time_zone, "Europe/Berlin");
}

/// The feed address shown on a page (the `feed-url` field), as a path
/// on the frontend and in full.
fn shown_feed(page: &Page) -> (String, String) {
    let at = page
        .body
        .find("id=\"feed-url\"")
        .unwrap_or_else(|| panic!("no feed address on the page:\n{}", page.body));
    let field = &page.body[at..];
    let start = field.find("value=\"").unwrap() + 7;
    let url = field[start..start + field[start..].find('"').unwrap()].to_owned();
    let path = url[url.find("/calendar/").expect("a calendar path")..].to_owned();
    (url, path)
}

#[tokio::test]
async fn the_calendar_feed_is_made_fetched_through_the_frontend_remade_and_revoked() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Cal").await;
    let tomorrow = zones::local_now("UTC").date() + Days::new(1);
    web.post(
        "/tasks",
        &[
            ("title", "Dentist"),
            ("due_date", &ymd(tomorrow)),
            ("due_time", "14:30"),
            ("recurrence", "yearly"),
            ("reminders", "60"),
            ("back", "/tasks"),
        ],
    )
    .await
    .redirects_to("/tasks");

    let page = web.get("/account").await;
    page.has("<h2 id=\"calendar-title\">Calendar feed</h2>")
        .has("You have no feed address")
        .has("Make a feed address")
        .has("Google Calendar")
        .has("Apple Calendar")
        .has("Outlook")
        .has("Thunderbird")
        .has("<code>?components=todo</code>")
        .lacks("id=\"revoke-feed\"");

    // Made: the answer is the page itself, the one time it shows the address.
    let made = web.post("/account/calendar-feed", &[]).await;
    assert_eq!(made.status, StatusCode::OK);
    assert!(made.location().is_none());
    assert_eq!(made.headers["cache-control"], "no-store");
    made.has("<title>Calendar feed address made · Account · Todo</title>")
        .has("Copy it now: it will not be shown again.")
        .has("You have a feed address, made ");
    let (url, path) = shown_feed(&made);
    assert_eq!(url, format!("{}{path}", stack.url));
    made.has(&format!("value=\"{url}?components=todo\""))
        .has(&format!(
            "href=\"webcal://{}{path}\"",
            stack.url.trim_start_matches("http://")
        ));
    let later = web.get("/account").await;
    later
        .lacks(&path)
        .has("You have a feed address, made ")
        .has("Make a new address")
        .has("id=\"revoke-feed\"");

    // Fetched through the frontend as a calendar app does: no cookie.
    let app = reqwest::Client::new();
    let feed = app.get(&url).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    let headers = feed.headers().clone();
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=300");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(headers.get(header::SET_COOKIE).is_none());
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let body = feed.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR"), "{body}");
    for expected in [
        "BEGIN:VEVENT",
        "SUMMARY:Dentist",
        "RRULE:FREQ=YEARLY",
        "BEGIN:VALARM",
    ] {
        assert!(body.contains(expected), "{expected} in {body}");
    }
    let straight = backend_api(&stack, &web)
        .calendar_document(path.trim_start_matches("/calendar/"), None, None)
        .await
        .unwrap()
        .into_response()
        .text()
        .await
        .unwrap();
    assert_eq!(body, straight, "passed through unchanged");

    // Unchanged since the ETag: 304, no body.
    let again = app
        .get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG].to_str().unwrap(), etag);
    assert_eq!(again.headers()[header::REFERRER_POLICY], "no-referrer");
    assert!(again.text().await.unwrap().is_empty());

    // To-dos instead of events; other parameters stay here.
    let todos = app
        .get(format!("{url}?nocache=17&components=todo"))
        .send()
        .await
        .unwrap();
    assert_eq!(todos.status(), StatusCode::OK);
    let todos = todos.text().await.unwrap();
    assert!(todos.contains("BEGIN:VTODO") && !todos.contains("BEGIN:VEVENT"));
    let bad = app
        .get(format!("{url}?components=journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Remade: the old address stops working, the new one works.
    let remade = web.post("/account/calendar-feed", &[]).await;
    let (new_url, _) = shown_feed(&remade);
    assert_ne!(new_url, url);
    assert_eq!(
        app.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&new_url).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Revoked: 404, said in words, kept by no cache.
    web.post("/account/calendar-feed/revoke", &[])
        .await
        .redirects_to("/account?feed_revoked=1#calendar");
    let gone = app.get(&new_url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(gone.headers()[header::REFERRER_POLICY], "no-referrer");
    assert!(
        gone.text()
            .await
            .unwrap()
            .contains("No calendar feed at this address")
    );
    web.get("/account?feed_revoked=1")
        .await
        .has("<title>Calendar feed revoked · Account · Todo</title>")
        .has("The calendar feed address is revoked")
        .has("You have no feed address");
    // Again: already so.
    web.post("/account/calendar-feed/revoke", &[])
        .await
        .redirects_to("/account?feed_revoked=1#calendar");

    // Addresses that cannot be a feed are not asked about.
    for path in ["/calendar/nope", "/calendar/a%20b.ics", "/calendar/.ics"] {
        let answer = app
            .get(format!("{}{path}", stack.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_feed_the_backend_cannot_serve_is_a_503_to_try_again() {
    // Port 9 (discard) is closed on loopback: nothing answers there.
    let (url, _stop) = start_frontend("http://127.0.0.1:9", &[]).await;
    let answer = reqwest::get(format!("{url}/calendar/todo_cal_abc.ics"))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.headers()[header::RETRY_AFTER], "60");
    assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn cross_site_posts_to_the_new_account_forms_change_nothing() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Eve").await;
    let api = backend_api(&stack, &web);
    api.create_calendar_feed().await.unwrap();
    for (path, form) in [
        ("/account/time-zone", vec![("time_zone", "Asia/Tokyo")]),
        ("/account/calendar-feed", vec![]),
        ("/account/calendar-feed/revoke", vec![]),
    ] {
        for origin in [Some("http://evil.example"), None] {
            let page = web.post_from(path, &form, origin).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} from {origin:?}");
        }
    }
    assert_eq!(api.me().await.unwrap().time_zone, "UTC");
    let feed = api.calendar_feed().await.unwrap().expect("still there");
    let page = web.get("/account").await;
    page.has("You have a feed address, made ");
    assert_eq!(api.calendar_feed().await.unwrap(), Some(feed));
}

#[tokio::test]
async fn field_errors_of_the_schedule_come_back_next_to_their_fields() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Fay").await;
    let today = ymd(zones::local_now("UTC").date());

    // A reminder without a time: said next to the reminders, boxes kept.
    let page = web
        .post(
            "/tasks",
            &[
                ("title", "Remind me"),
                ("due_date", &today),
                ("reminders", "10"),
                ("back", "/tasks"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("The task was not added")
        .has("id=\"reminders-error\"")
        .has("Need a due time: reminders count back from it")
        .has("aria-describedby=\"reminders-hint reminders-error\"")
        .has("id=\"reminder-10\" name=\"reminders\" value=\"10\" checked")
        .has("<legend>Reminders ");

    // A time or a repeat without a date.
    let page = web
        .post(
            "/tasks",
            &[
                ("title", "No day"),
                ("due_time", "08:15"),
                ("recurrence", "daily"),
                ("back", "/tasks"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"due_time-error\"")
        .has("id=\"recurrence-error\"")
        .has("Needs a due date: a task repeats from it")
        .has("value=\"08:15\"")
        .has("<option value=\"daily\" selected>Every day</option>");

    // What only the backend knows comes back the same way: a reminder
    // further ahead than it allows.
    let page = web
        .post(
            "/tasks",
            &[
                ("title", "Far ahead"),
                ("due_date", &today),
                ("due_time", "10:00"),
                ("reminders", "50000"),
                ("back", "/tasks"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"reminders-error\"")
        .has("at most 40320 minutes")
        .has("id=\"reminder-50000\" name=\"reminders\" value=\"50000\" checked");
    web.get("/tasks").await.has("No tasks yet.");
}

#[tokio::test]
async fn the_edit_form_shows_the_schedule_and_keeps_a_rule_no_choice_builds() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);
    web.sign_up("Ed").await;
    let api = backend_api(&stack, &web);
    // 2026-12-17 is a Thursday.
    let thursday = NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
    let weekly = api
        .create_task(&NewTask {
            title: "Weekly".into(),
            due_date: Some(thursday),
            due_time: Some("07:45".into()),
            recurrence: Some("FREQ=WEEKLY;BYDAY=TH".into()),
            reminders: vec![0, 15],
            ..NewTask::default()
        })
        .await
        .unwrap();
    let page = web.get(&format!("/tasks/{}/edit", weekly.id)).await;
    page.has("<input type=\"time\" id=\"due_time\" name=\"due_time\" value=\"07:45\"")
        .has("<option value=\"weekly\" selected>")
        .lacks("name=\"custom_recurrence\"")
        .has("id=\"reminder-0\" name=\"reminders\" value=\"0\" checked")
        // Set through the API, not one of the usual choices: offered, ticked.
        .has("id=\"reminder-15\" name=\"reminders\" value=\"15\" checked")
        .has("<label for=\"reminder-15\">15 minutes before</label>")
        .has("id=\"reminder-10\" name=\"reminders\" value=\"10\">");

    let custom = api
        .create_task(&NewTask {
            title: "Every third day".into(),
            due_date: Some(thursday),
            recurrence: Some("FREQ=DAILY;INTERVAL=3".into()),
            ..NewTask::default()
        })
        .await
        .unwrap();
    let edit = format!("/tasks/{}/edit", custom.id);
    let page = web.get(&edit).await;
    page.has(
        "<option value=\"custom\" selected>As set: every 3 days (FREQ=DAILY;INTERVAL=3)</option>",
    )
    .has("<input type=\"hidden\" name=\"custom_recurrence\" value=\"FREQ=DAILY;INTERVAL=3\"");

    // Saved as it came: the rule stays.
    let unchanged = [
        ("title", "Every third day, renamed"),
        ("due_date", "2026-12-17"),
        ("recurrence", "custom"),
        ("custom_recurrence", "FREQ=DAILY;INTERVAL=3"),
        ("back", "/tasks"),
    ];
    web.post(&edit, &unchanged).await.redirects_to("/tasks");
    let saved = api.get_task(custom.id).await.unwrap();
    assert_eq!(saved.title, "Every third day, renamed");
    assert_eq!(saved.recurrence.as_deref(), Some("FREQ=DAILY;INTERVAL=3"));

    // A refused edit keeps the rule and its words.
    let page = web
        .post(
            &edit,
            &[
                ("title", ""),
                ("due_date", "2026-12-17"),
                ("recurrence", "custom"),
                ("custom_recurrence", "FREQ=DAILY;INTERVAL=3"),
                ("back", "/tasks"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("As set: every 3 days (FREQ=DAILY;INTERVAL=3)");

    // Another choice replaces it; none clears it.
    web.post(
        &edit,
        &[
            ("title", "Every third day, renamed"),
            ("due_date", "2026-12-17"),
            ("recurrence", "monthly"),
            ("custom_recurrence", "FREQ=DAILY;INTERVAL=3"),
            ("back", "/tasks"),
        ],
    )
    .await
    .redirects_to("/tasks");
    let saved = api.get_task(custom.id).await.unwrap();
    assert_eq!(
        saved.recurrence.as_deref(),
        Some("FREQ=MONTHLY;BYMONTHDAY=17")
    );
    web.post(
        &edit,
        &[
            ("title", "Once"),
            ("due_date", "2026-12-17"),
            ("back", "/tasks"),
        ],
    )
    .await
    .redirects_to("/tasks");
    let saved = api.get_task(custom.id).await.unwrap();
    assert_eq!(saved.recurrence, None);
    assert_eq!(saved.recurrence_summary, None);
}

#[tokio::test]
async fn signing_up_takes_the_browsers_time_zone_and_falls_back_to_utc() {
    let stack = Stack::start().await;
    let mut web = Web::new(&stack.url);

    let page = web.get("/signup").await;
    page.has("<input type=\"hidden\" id=\"time_zone\" name=\"time_zone\" value=\"\"")
        .has("<script src=\"/static/timezone.js?v=")
        .has(" defer></script>")
        .lacks("<script>");
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    // Every other page runs no script at all.
    let login = web.get("/login").await;
    let policy = login.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(!policy.contains("script-src"), "{policy}");
    let script_path = {
        let at = page.body.find("/static/timezone.js?v=").unwrap();
        let rest = &page.body[at..];
        rest[..rest.find('"').unwrap()].to_owned()
    };
    let script = reqwest::get(format!("{}{script_path}", stack.url))
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("resolvedOptions().timeZone")
    );

    for (zone, kept) in [
        ("America/New_York", "America/New_York"),
        // Unknown to the backend: signed up all the same, in UTC.
        ("Mars/Olympus_Mons", "UTC"),
        ("", "UTC"),
    ] {
        let mut web = Web::new(&stack.url);
        let email = format!("zone-{}@example.com", uuid::Uuid::new_v4().simple());
        web.post(
            "/signup",
            &[
                ("name", "Zoned"),
                ("email", &email),
                ("password", PASSWORD),
                ("time_zone", zone),
            ],
        )
        .await
        .redirects_to("/tasks");
        let user = backend_api(&stack, &web).me().await.unwrap();
        assert_eq!(user.time_zone, kept, "signed up with {zone:?}");
    }

    // Other refusals still come back, the zone kept for the next try.
    let page = web
        .post(
            "/signup",
            &[
                ("name", "Zoned"),
                ("email", "not an email"),
                ("password", PASSWORD),
                ("time_zone", "Mars/Olympus_Mons"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.has("id=\"email-error\"")
        .has("value=\"Mars/Olympus_Mons\"");
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
}
