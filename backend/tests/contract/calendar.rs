//! The calendar feed: a secret address a calendar app subscribes to with
//! no other credential, read back here by a real iCalendar parser; its
//! repeats, alarms and times in the owner's zone across daylight-saving
//! changes; its cache validator; and revoking or replacing the address.

use icalendar::parser::{Component, read_calendar, unfold};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use todo_api::{ApiClient, CalendarFeedCreated, ErrorCode, Task};

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_error, send_json, test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_feed_lists_open_dated_tasks_with_their_repeats_and_alarms,
        feed_times_are_wall_clock_times_in_the_owners_zone_across_dst,
        a_feed_answers_304_to_its_etag,
        a_replaced_or_revoked_feed_address_answers_404,
        only_a_login_manages_the_feed_address,
        feed_fetches_are_limited_per_client_found_or_not,
    ]
}

async fn create(api: &ApiClient, body: Value) -> Task {
    let response = send_json(api, Method::POST, "/api/tasks", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn set_time_zone(api: &ApiClient, zone: &str) {
    let response = send_json(
        api,
        Method::PATCH,
        "/api/auth/me",
        &json!({"time_zone": zone}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn new_feed(api: &ApiClient) -> CalendarFeedCreated {
    let response = api
        .request(Method::POST, "/api/auth/calendar-feed")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// The feed at `path`, fetched as a calendar app does: no credential.
async fn fetch(ctx: &TestCtx, path: &str) -> reqwest::Response {
    ctx.api.request(Method::GET, path).send().await.unwrap()
}

/// The body of a 200 feed, checked for its content type.
async fn fetch_text(ctx: &TestCtx, path: &str) -> String {
    let response = fetch(ctx, path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("private"),
        "a shared cache must not keep a credential's answer"
    );
    response.text().await.unwrap()
}

fn value<'c>(component: &'c Component<'_>, name: &str) -> Option<&'c str> {
    component.find_prop(name).map(|p| p.val.as_str())
}

fn parameter<'c>(component: &'c Component<'_>, name: &str, key: &str) -> Option<&'c str> {
    let property = component.find_prop(name)?;
    property
        .params
        .iter()
        .find(|p| p.key == key)
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

fn items<'c>(calendar: &'c [Component<'c>], kind: &str) -> Vec<&'c Component<'c>> {
    calendar.iter().filter(|c| c.name == kind).collect()
}

fn by_summary<'c>(items: &[&'c Component<'c>], title: &str) -> &'c Component<'c> {
    items
        .iter()
        .copied()
        .find(|c| value(c, "SUMMARY") == Some(title))
        .unwrap_or_else(|| {
            panic!(
                "no item {title:?} in {:?}",
                items
                    .iter()
                    .map(|c| value(c, "SUMMARY"))
                    .collect::<Vec<_>>()
            )
        })
}

fn triggers(component: &Component<'_>) -> Vec<String> {
    component
        .components
        .iter()
        .filter(|c| c.name == "VALARM")
        .map(|alarm| value(alarm, "TRIGGER").unwrap_or_default().to_owned())
        .collect()
}

async fn a_feed_lists_open_dated_tasks_with_their_repeats_and_alarms(ctx: TestCtx) {
    let (api, _) = ctx.user("subscriber").await;
    set_time_zone(&api, "Europe/Berlin").await;
    create(
        &api,
        json!({"title": "Bins out; green, then blue", "description": "by 8 \\ sharp\nplease",
               "due_date": "2026-12-10", "due_time": "19:30",
               "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH", "reminders": [0, 60]}),
    )
    .await;
    create(
        &api,
        json!({"title": "Grandma's birthday 🎂", "due_date": "2026-12-24",
               "recurrence": "FREQ=YEARLY"}),
    )
    .await;
    create(&api, json!({"title": "Someday"})).await;
    let done = create(
        &api,
        json!({"title": "Already done", "due_date": "2026-12-01", "completed": true}),
    )
    .await;
    assert!(done.completed);
    let feed = new_feed(&api).await;
    assert!(feed.token.starts_with("todo_cal_"));
    assert_eq!(feed.path, format!("/calendar/{}.ics", feed.token));

    let text = fetch_text(&ctx, &feed.path).await;
    assert!(text.lines().all(|line| line.len() <= 75), "folded lines");
    let unfolded = unfold(&text);
    let calendar = read_calendar(&unfolded).expect("a real iCalendar parser reads it");
    let name = calendar
        .properties
        .iter()
        .find(|p| p.name == "X-WR-CALNAME");
    assert_eq!(name.map(|p| p.val.as_str()), Some("Todo — subscriber"));
    let zone = calendar
        .properties
        .iter()
        .find(|p| p.name == "X-WR-TIMEZONE");
    assert_eq!(zone.map(|p| p.val.as_str()), Some("Europe/Berlin"));

    let events = items(&calendar.components, "VEVENT");
    assert_eq!(events.len(), 2, "open tasks with a due date only");
    let bins = by_summary(&events, "Bins out; green, then blue");
    assert_eq!(value(bins, "DTSTART"), Some("20261210T193000"));
    assert_eq!(parameter(bins, "DTSTART", "TZID"), Some("Europe/Berlin"));
    assert_eq!(value(bins, "RRULE"), Some("FREQ=WEEKLY;BYDAY=MO,TH"));
    assert_eq!(value(bins, "DESCRIPTION"), Some("by 8 \\ sharp\nplease"));
    // On the wire, as RFC 5545 escapes text.
    assert!(
        text.contains("SUMMARY:Bins out\\; green\\, then blue\r\n"),
        "{text}"
    );
    assert!(
        unfolded.contains("DESCRIPTION:by 8 \\\\ sharp\\nplease"),
        "{unfolded}"
    );
    let mut alarms = triggers(bins);
    alarms.sort();
    assert_eq!(alarms, ["-PT60M", "PT0M"]);
    let birthday = by_summary(&events, "Grandma's birthday 🎂");
    assert_eq!(value(birthday, "DTSTART"), Some("20261224"));
    assert_eq!(parameter(birthday, "DTSTART", "VALUE"), Some("DATE"));
    assert_eq!(value(birthday, "RRULE"), Some("FREQ=YEARLY"));
    assert!(
        !items(&calendar.components, "VTIMEZONE").is_empty(),
        "a TZID needs its VTIMEZONE"
    );

    // To-dos for apps with task lists.
    let text = fetch_text(&ctx, &format!("{}?components=todo", feed.path)).await;
    let unfolded = unfold(&text);
    let calendar = read_calendar(&unfolded).expect("parses");
    let todos = items(&calendar.components, "VTODO");
    assert_eq!(todos.len(), 2);
    let bins = by_summary(&todos, "Bins out; green, then blue");
    assert_eq!(value(bins, "DUE"), Some("20261210T193000"));
    assert_eq!(value(bins, "STATUS"), Some("NEEDS-ACTION"));
    // A component the feed does not make is refused.
    let response = fetch(&ctx, &format!("{}?components=journal", feed.path)).await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
}

/// The instant a feed's local `YYYYMMDDTHHMMSS` in `zone` names, as a
/// calendar app computes it from the TZID.
fn instant(local: &str, zone: &str) -> String {
    let civil: jiff::civil::DateTime = jiff::fmt::strtime::parse("%Y%m%dT%H%M%S", local)
        .unwrap()
        .to_datetime()
        .unwrap();
    let zone = jiff::tz::TimeZone::get(zone).unwrap();
    civil
        .to_zoned_datetime(zone)
        .unwrap()
        .timestamp()
        .strftime("%Y-%m-%dT%H:%MZ")
        .to_string()
}

async fn feed_times_are_wall_clock_times_in_the_owners_zone_across_dst(ctx: TestCtx) {
    // A daily 09:00 task over each zone's spring change: every occurrence
    // stays at 09:00 local, one hour earlier in UTC after the change.
    for (zone, before, after, utc_before, utc_after) in [
        (
            "Europe/Berlin",
            "2026-03-28",
            "2026-03-29",
            "2026-03-28T08:00Z",
            "2026-03-29T07:00Z",
        ),
        (
            "America/New_York",
            "2026-03-07",
            "2026-03-08",
            "2026-03-07T14:00Z",
            "2026-03-08T13:00Z",
        ),
    ] {
        let (api, _) = ctx.user("dst").await;
        set_time_zone(&api, zone).await;
        let first = create(
            &api,
            json!({"title": "Stretch", "due_date": before, "due_time": "09:00",
                   "recurrence": "FREQ=DAILY", "reminders": [30]}),
        )
        .await;
        let done = send_json(
            &api,
            Method::PATCH,
            &format!("/api/tasks/{}", first.id),
            &json!({"completed": true}),
        )
        .await;
        let done: Task = done.json().await.unwrap();
        let next = api
            .get_task(done.next_occurrence_id.unwrap())
            .await
            .unwrap();
        assert_eq!(next.due_date.unwrap().to_string(), after, "{zone}");
        assert_eq!(
            next.due_time.as_deref(),
            Some("09:00"),
            "{zone}: wall clock kept"
        );

        let feed = new_feed(&api).await;
        let text = fetch_text(&ctx, &feed.path).await;
        let unfolded = unfold(&text);
        let calendar = read_calendar(&unfolded).expect("parses");
        let events = items(&calendar.components, "VEVENT");
        assert_eq!(events.len(), 1, "{zone}: the open occurrence");
        let start = value(events[0], "DTSTART").unwrap();
        assert_eq!(parameter(events[0], "DTSTART", "TZID"), Some(zone));
        assert_eq!(instant(start, zone), utc_after, "{zone}");
        assert_eq!(
            instant(&format!("{}T090000", before.replace('-', "")), zone),
            utc_before,
            "{zone}: the hour before the change"
        );
        // The VTIMEZONE carries the change, so an app without the IANA
        // database computes the same.
        let zone_block = items(&calendar.components, "VTIMEZONE")[0];
        let change = zone_block
            .components
            .iter()
            .filter(|c| c.name == "DAYLIGHT")
            .filter_map(|c| value(c, "DTSTART"))
            .any(|start| start.starts_with(&after.replace('-', "")));
        assert!(change, "{zone}: the spring change on {after}: {text}");
    }
}

async fn a_feed_answers_304_to_its_etag(ctx: TestCtx) {
    let (api, _) = ctx.user("cacher").await;
    create(&api, json!({"title": "t", "due_date": "2026-12-24"})).await;
    let feed = new_feed(&api).await;
    let first = fetch(&ctx, &feed.path).await;
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let unchanged = ctx
        .api
        .request(Method::GET, &feed.path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert!(unchanged.text().await.unwrap().is_empty());
    // A change to a task changes the document and its tag.
    create(&api, json!({"title": "u", "due_date": "2026-12-25"})).await;
    let changed = ctx
        .api
        .request(Method::GET, &feed.path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::ETAG].to_str().unwrap(), etag);
}

async fn a_replaced_or_revoked_feed_address_answers_404(ctx: TestCtx) {
    let (api, _) = ctx.user("revoker").await;
    let missing = api
        .request(Method::GET, "/api/auth/calendar-feed")
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let first = new_feed(&api).await;
    let status: Value = api
        .request(Method::GET, "/api/auth/calendar-feed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(status["created_at"].is_string());
    assert!(status.get("token").is_none(), "the secret is shown once");
    fetch_text(&ctx, &first.path).await;
    let second = new_feed(&api).await;
    assert_ne!(first.token, second.token);
    expect_error(
        fetch(&ctx, &first.path).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    fetch_text(&ctx, &second.path).await;
    let revoked = api
        .request(Method::DELETE, "/api/auth/calendar-feed")
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    expect_error(
        fetch(&ctx, &second.path).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    let again = api
        .request(Method::DELETE, "/api/auth/calendar-feed")
        .send()
        .await
        .unwrap();
    expect_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // Addresses that are no secret, or a secret of another kind, open
    // nothing either.
    for path in [
        "/calendar/x.ics",
        "/calendar/todo_cal_.ics",
        &second.path.replace(".ics", ""),
        &format!("/calendar/{}.ics", second.token.to_uppercase()),
    ] {
        expect_error(
            fetch(&ctx, path).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
}

async fn only_a_login_manages_the_feed_address(ctx: TestCtx) {
    let (api, _) = ctx.user("tokened").await;
    let token: Value = api
        .request(Method::POST, "/api/auth/tokens")
        .json(&json!({"name": "script", "scope": "tasks:read tasks:write", "expires_in_days": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let script = ctx.api.with_token(token["token"].as_str().unwrap());
    for method in [Method::POST, Method::DELETE] {
        let response = script
            .request(method.clone(), "/api/auth/calendar-feed")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method}");
    }
    let response = send_json(
        &script,
        Method::PATCH,
        "/api/auth/me",
        &json!({"time_zone": "Asia/Tokyo"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(api.me().await.unwrap().time_zone, "UTC");
}

async fn feed_fetches_are_limited_per_client_found_or_not(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(
            &database.url,
            &[("CALENDAR_FEED_FETCHES_PER_MINUTE_PER_CLIENT", "3")],
        ),
        ctx.backend.clone(),
    )
    .await;
    let (api, _) = app.ctx.user("polled").await;
    let feed = new_feed(&api).await;
    // Guesses spend the same budget as the real address.
    let guess =
        "/calendar/todo_cal_0000000000000000000000000000000000000000000000000000000000000000.ics";
    expect_error(
        fetch(&app.ctx, guess).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    fetch_text(&app.ctx, &feed.path).await;
    fetch_text(&app.ctx, &feed.path).await;
    let limited = fetch(&app.ctx, &feed.path).await;
    assert!(limited.headers().contains_key(header::RETRY_AFTER));
    expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
    app.stop().await;
    database.drop().await;
}
