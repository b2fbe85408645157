//! End-to-end in a real browser (headless Chromium): the whole flow of a
//! user, a walk through the Account page, signing up in the browser's
//! time zone, and a repeating task with a time and a reminder, each once
//! with JavaScript enabled and once with it disabled. The UI needs no
//! JavaScript, so both must behave the same, except for the one thing the
//! sign-up page's script adds: the browser's time zone.

mod support;

use fantoccini::Client;
use support::Stack;
use support::browser::{
    Driver, choose, click, count, find, follow, path, text, type_into, wait_for_new_page,
};

#[tokio::test]
async fn the_whole_flow_with_javascript_enabled() {
    whole_flow(true).await;
}

#[tokio::test]
async fn the_whole_flow_with_javascript_disabled() {
    whole_flow(false).await;
}

#[tokio::test]
async fn the_account_page_with_javascript_enabled() {
    in_browser(account_walk, true).await;
}

#[tokio::test]
async fn the_account_page_with_javascript_disabled() {
    in_browser(account_walk, false).await;
}

#[tokio::test]
async fn signing_up_with_javascript_takes_the_browsers_time_zone() {
    in_browser_in(zone_walk, true, Some(BROWSER_ZONE)).await;
}

#[tokio::test]
async fn signing_up_without_javascript_starts_in_utc() {
    in_browser_in(zone_walk, false, Some(BROWSER_ZONE)).await;
}

#[tokio::test]
async fn a_repeating_task_with_javascript_enabled() {
    in_browser_in(repeating_task, true, Some(BROWSER_ZONE)).await;
}

#[tokio::test]
async fn a_repeating_task_with_javascript_disabled() {
    in_browser_in(repeating_task, false, Some(BROWSER_ZONE)).await;
}

async fn whole_flow(javascript: bool) {
    in_browser(run, javascript).await;
}

/// Runs `walk` in a fresh browser in front of a fresh stack.
async fn in_browser<F, Fut>(walk: F, javascript: bool)
where
    F: FnOnce(Client, String, bool) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    in_browser_in(walk, javascript, None).await;
}

/// [`in_browser`] with the browser in time zone `zone`.
async fn in_browser_in<F, Fut>(walk: F, javascript: bool, zone: Option<&str>)
where
    F: FnOnce(Client, String, bool) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let stack = Stack::start().await;
    let driver = Driver::start_in_zone(zone);
    let client = driver.browser(javascript, (1280, 1000)).await;
    // Run in a task so a failed assertion still closes the browser.
    let flow = tokio::spawn(walk(client.clone(), stack.url.clone(), javascript));
    let outcome = flow.await;
    let _ = client.close().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// The browser really runs (or refuses) scripts as configured.
async fn check_javascript(c: &Client, javascript: bool) {
    c.goto("data:text/html,<p id=probe>off</p><script>document.getElementById('probe').textContent='on'</script>")
        .await
        .unwrap();
    let expected = if javascript { "on" } else { "off" };
    assert_eq!(text(c, "#probe").await, expected, "JavaScript setting");
}

async fn run(c: Client, base: String, javascript: bool) {
    check_javascript(&c, javascript).await;

    // A protected page sends a stranger to log in.
    c.goto(&format!("{base}/tasks")).await.unwrap();
    assert_eq!(path(&c).await, "/login");

    // Keyboard: the first Tab reaches the skip link, the next ones the form.
    let body = find(&c, "body").await;
    body.send_keys(TAB).await.unwrap();
    assert_eq!(focused(&c).await, "skip-link");
    c.active_element()
        .await
        .unwrap()
        .send_keys(&TAB.repeat(2))
        .await
        .unwrap();
    assert_eq!(focused(&c).await, "email");

    // Sign up.
    follow(&c, "a[href='/signup']").await;
    find(&c, "#name").await;
    type_into(&c, "#name", "Ada").await;
    type_into(&c, "#email", &format!("ada-{javascript}@example.com")).await;
    type_into(&c, "#password", "correct horse battery").await;
    follow(&c, "form[action='/signup'] button[type=submit]").await;
    find(&c, "#empty-state").await;
    assert_eq!(path(&c).await, "/tasks");
    assert!(text(&c, ".account").await.contains("Ada"));

    // An empty title is refused next to the field, the rest is kept.
    type_into(&c, "#description", "kept").await;
    follow(&c, "form[action='/tasks'] button[type=submit]").await;
    assert!(text(&c, "#title-error").await.contains("Must not be empty"));
    assert_eq!(
        find(&c, "#description")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("kept")
    );

    // Keyboard only: type a title, press Enter, the task is added.
    click(&c, "#title").await;
    let old_page = find(&c, "html").await;
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("Typed with the keyboard{ENTER}"))
        .await
        .unwrap();
    wait_for_new_page(&c, old_page).await;
    find(&c, "ul.tasks > li").await;
    assert_eq!(
        text(&c, "ul.tasks .task-title").await,
        "Typed with the keyboard"
    );
    let id = find(&c, "ul.tasks > li")
        .await
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    follow(&c, &format!("#{id} button[aria-label^=Delete]")).await;
    find(&c, "#empty-state").await;

    // Three tasks with different priorities, one due in the past.
    add_task(&c, "Buy milk", "", "low", None, "errands").await;
    add_task(
        &c,
        "Write report",
        "For the board",
        "high",
        Some("01152020"),
        "",
    )
    .await;
    add_task(&c, "Call plumber", "", "medium", None, "home").await;
    assert_eq!(count(&c, "ul.tasks > li").await, 3);
    assert_eq!(text(&c, "#tab-all .count").await, "3");
    let overdue = find(&c, "li.is-overdue .task-title")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(overdue, "Write report");
    assert!(text(&c, "li.is-overdue .due").await.contains("Overdue"));
    assert!(text(&c, "#summary").await.contains("1 overdue"));

    // Complete one.
    follow(&c, "button[aria-label='Mark “Buy milk” as completed']").await;
    find(&c, "li.is-completed").await;
    assert_eq!(text(&c, "li.is-completed .task-title").await, "Buy milk");

    // Filter tabs and their counts.
    follow(&c, "#tab-active").await;
    find(&c, "#tab-active[aria-current=page]").await;
    assert_eq!(count(&c, "ul.tasks > li").await, 2);
    assert_eq!(text(&c, "#tab-active .count").await, "2");
    assert_eq!(text(&c, "#tab-completed .count").await, "1");
    follow(&c, "#tab-completed").await;
    find(&c, "#tab-completed[aria-current=page]").await;
    assert_eq!(count(&c, "ul.tasks > li").await, 1);
    assert_eq!(text(&c, "ul.tasks .task-title").await, "Buy milk");
    follow(&c, "#tab-all").await;
    find(&c, "#tab-all[aria-current=page]").await;

    // Search.
    type_into(&c, "#q", "report").await;
    follow(&c, "form.toolbar button[type=submit]").await;
    find(&c, "#q[value=report]").await;
    assert_eq!(count(&c, "ul.tasks > li").await, 1);
    assert!(text(&c, "#list-count").await.contains("matching “report”"));

    // Edit a title; back on the same search afterwards.
    follow(&c, "a[aria-label='Edit “Write report”']").await;
    find(&c, "form[action$='/edit']").await;
    assert_eq!(c.title().await.unwrap(), "Edit “Write report” · Todo");
    type_into(&c, "#title", "Write quarterly report").await;
    follow(&c, "form[action$='/edit'] button[type=submit]").await;
    find(&c, "#q[value=report]").await;
    assert_eq!(path(&c).await, "/tasks?q=report");
    assert_eq!(
        text(&c, "ul.tasks .task-title").await,
        "Write quarterly report"
    );

    // Delete.
    c.goto(&format!("{base}/tasks")).await.unwrap();
    follow(&c, "button[aria-label='Delete “Call plumber”']").await;
    find(&c, "#tab-all .count").await;
    assert_eq!(text(&c, "#tab-all .count").await, "2");
    assert!(!text(&c, "ul.tasks").await.contains("Call plumber"));

    // Clear completed.
    follow(&c, "#clear-completed").await;
    find(&c, "#tab-completed .count").await;
    assert_eq!(text(&c, "#tab-completed .count").await, "0");
    assert_eq!(count(&c, "ul.tasks > li").await, 1);
    assert_eq!(count(&c, "#clear-completed").await, 0);

    // Log out; the list is protected again.
    follow(&c, ".account button[type=submit]").await;
    assert!(text(&c, ".alert-info").await.contains("logged out"));
    c.goto(&format!("{base}/tasks")).await.unwrap();
    find(&c, "form[action='/login']").await;
    assert_eq!(path(&c).await, "/login");
}

/// Sign up, open the Account page from the header, create a token (seen
/// once), find it listed without its secret, revoke it.
async fn account_walk(c: Client, base: String, javascript: bool) {
    check_javascript(&c, javascript).await;
    c.goto(&format!("{base}/signup")).await.unwrap();
    type_into(&c, "#name", "Grace").await;
    type_into(&c, "#email", "grace@example.com").await;
    type_into(&c, "#password", "correct horse battery").await;
    follow(&c, "form[action='/signup'] button[type=submit]").await;
    find(&c, "#empty-state").await;

    follow(&c, "#account-link").await;
    assert_eq!(path(&c).await, "/account");
    assert_eq!(c.title().await.unwrap(), "Account · Todo");
    assert_eq!(text(&c, "h1").await, "Account");
    assert!(text(&c, "#profile").await.contains("grace@example.com"));
    assert_eq!(count(&c, "#sessions li.credential").await, 1);
    assert_eq!(text(&c, "#sessions .badge-current").await, "This device");
    assert!(
        text(&c, "#sessions .credential-name")
            .await
            .contains("Headless Chrome on Linux")
    );

    // Keyboard: the token form's fields follow each other in order; Tab
    // enters the radio group at its chosen option.
    click(&c, "#name").await;
    for expected in ["scope-0", "expires_in_days", "create-token"] {
        c.active_element()
            .await
            .unwrap()
            .send_keys(TAB)
            .await
            .unwrap();
        assert_eq!(focused(&c).await, expected);
    }

    type_into(&c, "#name", "MCP client").await;
    click(&c, "label[for=scope-1]").await;
    choose(&c, "#expires_in_days", "90").await;
    follow(&c, "#create-token").await;
    let token = find(&c, "#new-token-value")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the token is in the field");
    assert!(token.starts_with("todo_pat_"), "{token}");
    assert_eq!(c.title().await.unwrap(), "Token created · Account · Todo");
    assert!(
        text(&c, ".new-token")
            .await
            .contains("it will not be shown again")
    );
    assert!(
        text(&c, ".new-token")
            .await
            .contains("Authorization: Bearer <token>")
    );
    let listed = text(&c, "#tokens ul.credentials").await;
    assert!(
        listed.contains("MCP client") && listed.contains("Read and write"),
        "{listed}"
    );

    // Opened again, the page lists the token but never shows it.
    follow(&c, "#account-link").await;
    find(&c, "#tokens ul.credentials").await;
    assert_eq!(count(&c, "#new-token-value").await, 0);
    assert!(!c.source().await.unwrap().contains(&token));

    follow(&c, "button[aria-label='Revoke token “MCP client”']").await;
    find(&c, "#no-tokens").await;
    assert!(text(&c, "#tokens .alert-info").await.contains("revoked"));
}

/// The browsers' time zone in the time zone walks: not the machine's
/// (UTC here), so taking it is visible.
const BROWSER_ZONE: &str = "America/New_York";

/// The zone a new account gets: the browser's when its script runs.
fn expected_zone(javascript: bool) -> &'static str {
    if javascript { BROWSER_ZONE } else { "UTC" }
}

async fn sign_up(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/signup")).await.unwrap();
    type_into(c, "#name", name).await;
    type_into(c, "#email", &format!("{}@example.com", name.to_lowercase())).await;
    type_into(c, "#password", "correct horse battery").await;
    follow(c, "form[action='/signup'] button[type=submit]").await;
    find(c, "#empty-state").await;
}

/// Sign up: the hidden field holds the browser's zone when the script
/// runs, and the account starts in it (UTC without the script); then
/// another zone is chosen on the Account page.
async fn zone_walk(c: Client, base: String, javascript: bool) {
    check_javascript(&c, javascript).await;
    c.goto(&format!("{base}/signup")).await.unwrap();
    let filled = find(&c, "#time_zone").await.prop("value").await.unwrap();
    let expected = if javascript { BROWSER_ZONE } else { "" };
    assert_eq!(filled.as_deref(), Some(expected));
    sign_up(&c, &base, "Tz").await;

    follow(&c, "#account-link").await;
    assert_eq!(
        text(&c, "#current-time-zone").await,
        expected_zone(javascript)
    );
    let selected = find(&c, "#time_zone").await.prop("value").await.unwrap();
    assert_eq!(selected.as_deref(), Some(expected_zone(javascript)));

    choose(&c, "#time_zone", "Europe/Berlin").await;
    follow(&c, "#save-time-zone").await;
    assert_eq!(path(&c).await, "/account?time_zone_changed=1");
    assert!(text(&c, "#time-zone .alert-info").await.contains("saved"));
    assert_eq!(text(&c, "#current-time-zone").await, "Europe/Berlin");
}

/// Add a task due tomorrow at 09:30, every week, reminding 10 minutes
/// before; see it listed and due soon; complete it, see the next one
/// named, undo; find the schedule in the edit form.
async fn repeating_task(c: Client, base: String, javascript: bool) {
    check_javascript(&c, javascript).await;
    sign_up(&c, &base, "Rep").await;
    let tomorrow =
        todo_frontend::zones::local_now(expected_zone(javascript)).date() + chrono::Days::new(1);
    type_into(&c, "#title", "Standup").await;
    // Date and time inputs take keystrokes in en-US order.
    find(&c, "#due_date")
        .await
        .send_keys(&tomorrow.format("%m%d%Y").to_string())
        .await
        .unwrap();
    find(&c, "#due_time")
        .await
        .send_keys("0930AM")
        .await
        .unwrap();
    choose(&c, "#recurrence", "weekly").await;
    click(&c, "label[for=reminder-10]").await;
    follow(&c, "form[action='/tasks'] button[type=submit]").await;

    let row = text(&c, "ul.tasks > li").await;
    let weekday = tomorrow.format("%A").to_string();
    for expected in [
        "Standup".to_owned(),
        format!("Due {} at 09:30", tomorrow.format("%b %-d, %Y")),
        format!("every {weekday}"),
        "Reminder 10 minutes before".to_owned(),
    ] {
        assert!(row.contains(&expected), "{expected:?} in {row:?}");
    }
    // The label is upper-cased by the stylesheet.
    let soon = text(&c, "#due-soon").await;
    assert!(
        soon.contains("Due soon (1)") && soon.contains("TOMORROW") && soon.contains("Standup"),
        "{soon}"
    );

    follow(&c, "button[aria-label='Mark “Standup” as completed']").await;
    let next = tomorrow + chrono::Days::new(7);
    let notice = text(&c, "#done-notice").await;
    assert!(
        notice.contains(&format!("Done. Next: {}", next.format("%a %-d %b"))),
        "{notice}"
    );
    assert_eq!(
        count(&c, "ul.tasks > li").await,
        2,
        "the next one is listed"
    );

    follow(&c, "#undo-done").await;
    find(&c, "ul.tasks").await;
    assert_eq!(count(&c, "#done-notice").await, 0);
    assert_eq!(count(&c, "ul.tasks > li").await, 1, "the next one is gone");
    assert_eq!(count(&c, "li.is-completed").await, 0);

    follow(&c, "a[aria-label='Edit “Standup”']").await;
    let value = |css: &'static str| {
        let c = c.clone();
        async move { find(&c, css).await.prop("value").await.unwrap() }
    };
    assert_eq!(value("#due_time").await.as_deref(), Some("09:30"));
    assert_eq!(value("#recurrence").await.as_deref(), Some("weekly"));
    assert!(find(&c, "#reminder-10").await.is_selected().await.unwrap());
    assert!(!find(&c, "#reminder-30").await.is_selected().await.unwrap());
}

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// The `id` (or, without one, the class) of the focused element.
async fn focused(c: &Client) -> String {
    let element = c.active_element().await.unwrap();
    match element.attr("id").await.unwrap() {
        Some(id) if !id.is_empty() => id,
        _ => element.attr("class").await.unwrap().unwrap_or_default(),
    }
}

/// Fills in and submits the add form. `due` is typed as the date input
/// takes keystrokes in en-US: mmddyyyy.
async fn add_task(
    c: &Client,
    title: &str,
    description: &str,
    priority: &str,
    due: Option<&str>,
    tags: &str,
) {
    let before = count(c, "ul.tasks > li").await;
    type_into(c, "#title", title).await;
    type_into(c, "#description", description).await;
    choose(c, "#priority", priority).await;
    if let Some(due) = due {
        find(c, "#due_date").await.send_keys(due).await.unwrap();
    }
    type_into(c, "#tags", tags).await;
    follow(c, "form[action='/tasks'] button[type=submit]").await;
    let rows = format!("ul.tasks > li:nth-child({})", before + 1);
    find(c, &rows).await;
    assert!(
        text(c, "ul.tasks").await.contains(title),
        "{title} is listed after adding it"
    );
}
