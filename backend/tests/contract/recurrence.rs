//! Tasks that repeat, with due times and reminders: the next occurrence
//! made by completing one (and removed by undoing it), month ends, leap
//! years, series ends, the owner's time zone, and input the app refuses
//! without writing anything.

use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::{ApiClient, ListQuery, Task, TaskStats};
use uuid::Uuid;

use crate::cases;
use crate::support::{TestCtx, TestFn, expect_invalid, field_names, get_json, send_json};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_schedule_round_trips_through_create_get_and_the_list,
        completing_a_repeating_task_creates_the_next_occurrence_once,
        undoing_a_completion_removes_the_open_next_occurrence,
        month_ends_and_leap_years_follow_the_rule,
        a_series_ends_after_its_count_or_on_its_until_date,
        an_edited_rule_applies_from_the_next_occurrence,
        overdue_and_due_soon_are_read_in_the_owners_time_zone,
        a_profile_sets_the_time_zone_by_its_iana_name,
        rules_times_and_reminders_the_app_cannot_honour_are_refused_whole,
        a_patch_may_not_leave_a_rule_time_or_reminder_without_what_it_needs,
        export_and_import_carry_the_schedule,
    ]
}

/// Creates a task from a JSON body; 201 expected.
async fn create(api: &ApiClient, body: Value) -> Task {
    let response = send_json(api, Method::POST, "/api/tasks", &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn patch(api: &ApiClient, id: Uuid, body: Value) -> Task {
    let response = send_json(api, Method::PATCH, &format!("/api/tasks/{id}"), &body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn complete(api: &ApiClient, id: Uuid) -> Task {
    patch(api, id, json!({"completed": true})).await
}

async fn all_tasks(api: &ApiClient) -> Vec<Task> {
    api.list_tasks(&ListQuery {
        limit: Some(100),
        ..ListQuery::default()
    })
    .await
    .unwrap()
    .items
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Completes the task and each occurrence it makes, `steps` times; the
/// due dates of the occurrences made, in order.
async fn follow_series(api: &ApiClient, first: Task, steps: usize) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    let mut current = first;
    for _ in 0..steps {
        let done = complete(api, current.id).await;
        let Some(next) = done.next_occurrence_id else {
            break;
        };
        current = api.get_task(next).await.unwrap();
        dates.push(current.due_date.unwrap());
    }
    dates
}

async fn a_schedule_round_trips_through_create_get_and_the_list(ctx: TestCtx) {
    let (api, _) = ctx.user("scheduler").await;
    let task = create(
        &api,
        json!({"title": "Bins out", "due_date": "2026-12-10", "due_time": "19:30",
               "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH", "reminders": [60, 0, 60],
               "tags": ["home"]}),
    )
    .await;
    assert_eq!(task.due_time.as_deref(), Some("19:30"));
    assert_eq!(task.recurrence.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO,TH"));
    assert_eq!(
        task.recurrence_summary.as_deref(),
        Some("every Monday and Thursday")
    );
    assert_eq!(task.reminders, [0, 60], "sorted, repeats dropped");
    assert_eq!(task.next_occurrence_id, None);
    assert_eq!(api.get_task(task.id).await.unwrap(), task);
    // The list writes its JSON by hand: it must say the same.
    let listed: Value = get_json(&api, "/api/tasks").await;
    assert_eq!(listed["items"][0], serde_json::to_value(&task).unwrap());
}

async fn completing_a_repeating_task_creates_the_next_occurrence_once(ctx: TestCtx) {
    let (api, _) = ctx.user("completer").await;
    let task = create(
        &api,
        json!({"title": "Water the plants", "description": "the big ones",
               "priority": "high", "due_date": "2026-12-10", "due_time": "08:00",
               "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5", "reminders": [15],
               "tags": ["home", "garden"]}),
    )
    .await;
    let done = complete(&api, task.id).await;
    assert!(done.completed);
    let next_id = done.next_occurrence_id.expect("the next occurrence");
    let next = api.get_task(next_id).await.unwrap();
    // Thursday 10 December, then Monday 14 December: from the rule and the
    // due date, not from when it was completed.
    assert_eq!(next.due_date, Some(date(2026, 12, 14)));
    assert!(!next.completed);
    assert_eq!(
        (
            &next.title,
            &next.description,
            next.priority,
            &next.tags,
            &next.due_time,
            &next.reminders
        ),
        (
            &task.title,
            &task.description,
            task.priority,
            &task.tags,
            &task.due_time,
            &task.reminders
        )
    );
    assert_eq!(
        next.recurrence.as_deref(),
        Some("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"),
        "one of the five occurrences is done"
    );
    // A retried completion (already completed) makes nothing more.
    let again = complete(&api, task.id).await;
    assert_eq!(again.next_occurrence_id, Some(next_id));
    assert_eq!(all_tasks(&api).await.len(), 2);
    let stats: TaskStats = api.stats().await.unwrap();
    assert_eq!((stats.total, stats.completed), (2, 1));
}

async fn undoing_a_completion_removes_the_open_next_occurrence(ctx: TestCtx) {
    let (api, _) = ctx.user("undoer").await;
    let task = create(
        &api,
        json!({"title": "Stand-up notes", "due_date": "2026-12-11", "recurrence": "FREQ=DAILY"}),
    )
    .await;
    let done = complete(&api, task.id).await;
    let next = done.next_occurrence_id.unwrap();
    let reopened = patch(&api, task.id, json!({"completed": false})).await;
    assert!(!reopened.completed);
    assert_eq!(reopened.next_occurrence_id, None);
    assert_eq!(
        api.get_task(next).await.unwrap_err().status(),
        Some(StatusCode::NOT_FOUND),
        "the occurrence it made is gone"
    );
    assert_eq!(all_tasks(&api).await.len(), 1);
    // Completed again, it makes a new next occurrence; once that one is
    // itself done, undoing the first keeps it (it is history now).
    let done = complete(&api, task.id).await;
    let next = done.next_occurrence_id.unwrap();
    assert_ne!(Some(next), reopened.next_occurrence_id);
    let next_done = complete(&api, next).await;
    assert!(next_done.next_occurrence_id.is_some());
    let reopened = patch(&api, task.id, json!({"completed": false})).await;
    assert_eq!(reopened.next_occurrence_id, None);
    assert!(api.get_task(next).await.unwrap().completed);
    assert_eq!(all_tasks(&api).await.len(), 3);
}

async fn month_ends_and_leap_years_follow_the_rule(ctx: TestCtx) {
    let (api, _) = ctx.user("calendarist").await;
    let cases: [(&str, NaiveDate, Vec<NaiveDate>); 6] = [
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            date(2024, 1, 31),
            vec![date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)],
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            date(2025, 1, 31),
            vec![date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)],
        ),
        // The 31st: months without one are skipped (RFC 5545), as every
        // calendar app reading the same rule skips them.
        (
            "FREQ=MONTHLY",
            date(2025, 1, 31),
            vec![date(2025, 3, 31), date(2025, 5, 31), date(2025, 7, 31)],
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=29",
            date(2024, 1, 29),
            vec![date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29)],
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=29",
            date(2025, 1, 29),
            vec![date(2025, 3, 29), date(2025, 4, 29), date(2025, 5, 29)],
        ),
        (
            "FREQ=YEARLY",
            date(2024, 2, 29),
            vec![date(2028, 2, 29), date(2032, 2, 29), date(2036, 2, 29)],
        ),
    ];
    for (rule, start, expected) in cases {
        let task = create(
            &api,
            json!({"title": format!("{rule} from {start}"), "due_date": start.to_string(),
                   "recurrence": rule}),
        )
        .await;
        assert_eq!(
            follow_series(&api, task, expected.len()).await,
            expected,
            "{rule} from {start}"
        );
    }
}

async fn a_series_ends_after_its_count_or_on_its_until_date(ctx: TestCtx) {
    let (api, _) = ctx.user("finisher").await;
    let counted = create(
        &api,
        json!({"title": "Three lessons", "due_date": "2026-12-07",
               "recurrence": "FREQ=WEEKLY;COUNT=3"}),
    )
    .await;
    assert_eq!(
        follow_series(&api, counted, 5).await,
        [date(2026, 12, 14), date(2026, 12, 21)],
        "three occurrences in all"
    );
    let until = create(
        &api,
        json!({"title": "Advent", "due_date": "2026-12-20",
               "recurrence": "FREQ=DAILY;INTERVAL=2;UNTIL=20261224"}),
    )
    .await;
    assert_eq!(
        follow_series(&api, until, 5).await,
        [date(2026, 12, 22), date(2026, 12, 24)],
        "UNTIL is inclusive"
    );
}

async fn an_edited_rule_applies_from_the_next_occurrence(ctx: TestCtx) {
    let (api, _) = ctx.user("editor").await;
    let task = create(
        &api,
        json!({"title": "Review", "due_date": "2026-12-07", "recurrence": "FREQ=WEEKLY"}),
    )
    .await;
    let edited = patch(
        &api,
        task.id,
        json!({"recurrence": "FREQ=MONTHLY;BYDAY=1MO"}),
    )
    .await;
    assert_eq!(
        edited.recurrence_summary.as_deref(),
        Some("every month on the first Monday")
    );
    assert_eq!(edited.due_date, Some(date(2026, 12, 7)), "this one stays");
    assert_eq!(
        follow_series(&api, edited, 2).await,
        [date(2027, 1, 4), date(2027, 2, 1)]
    );
    // Removing the rule: completing makes nothing.
    let plain = create(
        &api,
        json!({"title": "Once", "due_date": "2026-12-07", "recurrence": "FREQ=DAILY"}),
    )
    .await;
    patch(&api, plain.id, json!({"recurrence": null})).await;
    assert_eq!(complete(&api, plain.id).await.next_occurrence_id, None);
}

/// Today's date and `HH:MM` in `zone`, now.
fn local_now(zone: &str) -> (NaiveDate, String) {
    let now = jiff::tz::TimeZone::get(zone)
        .unwrap()
        .to_datetime(jiff::Timestamp::now());
    let local = date(i32::from(now.year()), now.month() as u32, now.day() as u32);
    (local, format!("{:02}:{:02}", now.hour(), now.minute()))
}

async fn overdue_and_due_soon_are_read_in_the_owners_time_zone(ctx: TestCtx) {
    // Zones far from UTC on either side, where the local date is often
    // not UTC's: a server that read "today" in UTC would count wrongly.
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let (api, _) = ctx.user("zoned").await;
        send_json(
            &api,
            Method::PATCH,
            "/api/auth/me",
            &json!({"time_zone": zone}),
        )
        .await;
        let (today, _) = local_now(zone);
        let yesterday = today.pred_opt().unwrap();
        let in_three_days = today + chrono::Duration::days(3);
        let late = create(
            &api,
            json!({"title": "late", "due_date": yesterday.to_string()}),
        )
        .await;
        let due_today = create(
            &api,
            json!({"title": "today, some time", "due_date": today.to_string()}),
        )
        .await;
        // 00:00 today has passed (unless the clock turns this very
        // minute); 23:59 has not.
        let earlier = create(
            &api,
            json!({"title": "earlier today", "due_date": today.to_string(), "due_time": "00:00"}),
        )
        .await;
        create(
            &api,
            json!({"title": "later", "due_date": in_three_days.to_string(), "due_time": "23:59"}),
        )
        .await;
        let overview = api.overview(&ListQuery::default()).await.unwrap();
        assert_eq!(overview.user.time_zone, zone);
        let (today_again, now_hm) = local_now(zone);
        if today_again != today || now_hm == "00:00" {
            // The local day turned during the test: the expectations no
            // longer hold, and the next zone checks the same rules.
            continue;
        }
        assert_eq!(overview.stats.overdue, 2, "{zone}: late and earlier today");
        assert_eq!(api.stats().await.unwrap().overdue, 2, "{zone}");
        let soon: Vec<Uuid> = overview.due_soon.iter().map(|t| t.id).collect();
        assert_eq!(
            soon,
            [late.id, earlier.id, due_today.id],
            "{zone}: soonest first, a task with a time before one without"
        );
        // The client reads it the same way.
        let now = today.and_hms_opt(0, 1, 0).unwrap();
        assert!(late.is_overdue(now) && earlier.is_overdue(now) && !due_today.is_overdue(now));
        assert!(due_today.is_due_today(today));
    }
}

async fn a_profile_sets_the_time_zone_by_its_iana_name(ctx: TestCtx) {
    let (api, auth) = ctx.user("traveller").await;
    assert_eq!(auth.user.time_zone, "UTC", "the default");
    let response = send_json(
        &api,
        Method::PATCH,
        "/api/auth/me",
        &json!({"time_zone": "America/New_York"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let user: todo_api::User = response.json().await.unwrap();
    assert_eq!(user.time_zone, "America/New_York");
    assert_eq!(user.name, "traveller", "the name stays");
    assert_eq!(api.me().await.unwrap().time_zone, "America/New_York");
    // Sign-up takes one too.
    let signed_up: todo_api::AuthResponse = ctx
        .api
        .request(Method::POST, "/api/auth/signup")
        .json(
            &json!({"email": format!("tz-{}@example.com", Uuid::new_v4().simple()),
                      "password": "correct horse battery", "name": "Berliner",
                      "time_zone": "Europe/Berlin"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(signed_up.user.time_zone, "Europe/Berlin");
    for (zone, problem) in [
        ("Mars/Olympus_Mons", "not a known"),
        ("europe/berlin", "write this time zone as Europe/Berlin"),
        ("", "IANA"),
    ] {
        let body = expect_invalid(
            send_json(
                &api,
                Method::PATCH,
                "/api/auth/me",
                &json!({"time_zone": zone}),
            )
            .await,
        )
        .await;
        assert!(
            body.error.fields["time_zone"].contains(problem),
            "{zone}: {:?}",
            body.error.fields
        );
    }
    let body =
        expect_invalid(send_json(&api, Method::PATCH, "/api/auth/me", &json!({})).await).await;
    assert_eq!(field_names(&body), ["name"]);
    assert_eq!(api.me().await.unwrap().time_zone, "America/New_York");
}

async fn rules_times_and_reminders_the_app_cannot_honour_are_refused_whole(ctx: TestCtx) {
    let (api, _) = ctx.user("refused").await;
    let bad: [(Value, &str, &str); 10] = [
        (
            json!({"title": "x", "due_date": "2026-12-07", "recurrence": "FREQ=MONTHLY;BYSETPOS=-1"}),
            "recurrence",
            "BYSETPOS is not supported",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "recurrence": "FREQ=HOURLY"}),
            "recurrence",
            "not supported",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "recurrence": "FREQ=WEEKLY;COUNT=2;UNTIL=20270101"}),
            "recurrence",
            "COUNT and UNTIL",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "recurrence": "freq=weekly;byday=th,mo"}),
            "recurrence",
            "write this rule as FREQ=WEEKLY;BYDAY=MO,TH",
        ),
        (
            json!({"title": "x", "recurrence": "FREQ=DAILY"}),
            "recurrence",
            "needs a due_date",
        ),
        (
            json!({"title": "x", "due_time": "09:00"}),
            "due_time",
            "needs a due_date",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "due_time": "24:00"}),
            "due_time",
            "HH:MM",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "reminders": [10]}),
            "reminders",
            "need a due_time",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "due_time": "09:00", "reminders": [-15]}),
            "reminders",
            "cannot come after the due time",
        ),
        (
            json!({"title": "x", "due_date": "2026-12-07", "due_time": "09:00", "reminders": [0, 1, 2, 3, 4, 5]}),
            "reminders",
            "at most 5",
        ),
    ];
    for (body, field, problem) in bad {
        let error = expect_invalid(send_json(&api, Method::POST, "/api/tasks", &body).await).await;
        let message = error.error.fields.get(field).cloned().unwrap_or_default();
        assert!(
            message.contains(problem),
            "{body}: {field} should say {problem:?}: {:?}",
            error.error.fields
        );
    }
    assert!(all_tasks(&api).await.is_empty(), "nothing was written");
    // A bad patch leaves the task exactly as it was.
    let task = create(
        &api,
        json!({"title": "kept", "due_date": "2026-12-07", "due_time": "09:00",
               "recurrence": "FREQ=DAILY", "reminders": [5]}),
    )
    .await;
    let error = expect_invalid(
        send_json(
            &api,
            Method::PATCH,
            &format!("/api/tasks/{}", task.id),
            &json!({"title": "changed", "recurrence": "FREQ=DAILY;BYHOUR=9", "reminders": [-1]}),
        )
        .await,
    )
    .await;
    assert_eq!(field_names(&error), ["recurrence", "reminders"]);
    assert_eq!(api.get_task(task.id).await.unwrap(), task);
}

async fn a_patch_may_not_leave_a_rule_time_or_reminder_without_what_it_needs(ctx: TestCtx) {
    let (api, _) = ctx.user("patcher").await;
    let task = create(
        &api,
        json!({"title": "t", "due_date": "2026-12-07", "due_time": "09:00",
               "recurrence": "FREQ=DAILY", "reminders": [5]}),
    )
    .await;
    // Clearing the time clears its reminders.
    let untimed = patch(&api, task.id, json!({"due_time": null})).await;
    assert_eq!((untimed.due_time, untimed.reminders.len()), (None, 0));
    // A reminder on a task without a time: the stored row says no.
    let error = expect_invalid(
        send_json(
            &api,
            Method::PATCH,
            &format!("/api/tasks/{}", task.id),
            &json!({"reminders": [10]}),
        )
        .await,
    )
    .await;
    assert_eq!(error.error.fields["reminders"], "need a due_time");
    // Clearing the date clears the rule (and the time).
    let undated = patch(&api, task.id, json!({"due_date": null})).await;
    assert_eq!(
        (
            undated.due_date,
            undated.recurrence,
            undated.recurrence_summary
        ),
        (None, None, None)
    );
    let error = expect_invalid(
        send_json(
            &api,
            Method::PATCH,
            &format!("/api/tasks/{}", task.id),
            &json!({"recurrence": "FREQ=WEEKLY"}),
        )
        .await,
    )
    .await;
    assert_eq!(error.error.fields["recurrence"], "needs a due_date");
    let error = expect_invalid(
        send_json(
            &api,
            Method::PATCH,
            &format!("/api/tasks/{}", task.id),
            &json!({"due_date": null, "due_time": "10:00"}),
        )
        .await,
    )
    .await;
    assert_eq!(field_names(&error), ["due_time"]);
    // Setting them together works.
    let timed = patch(
        &api,
        task.id,
        json!({"due_date": "2026-12-24", "due_time": "18:00", "reminders": [60]}),
    )
    .await;
    assert_eq!(timed.reminders, [60]);
}

async fn export_and_import_carry_the_schedule(ctx: TestCtx) {
    let (api, _) = ctx.user("mover").await;
    let task = create(
        &api,
        json!({"title": "Pay rent", "due_date": "2027-01-31", "due_time": "07:45",
               "recurrence": "FREQ=MONTHLY;BYMONTHDAY=-1", "reminders": [0, 1440]}),
    )
    .await;
    let document = api.export().await.unwrap();
    let (other, _) = ctx.user("receiver").await;
    other.import(&document).await.unwrap();
    let imported = all_tasks(&other).await;
    assert_eq!(imported.len(), 1);
    let copy = &imported[0];
    assert_eq!(
        (
            &copy.due_time,
            &copy.recurrence,
            &copy.recurrence_summary,
            &copy.reminders
        ),
        (
            &task.due_time,
            &task.recurrence,
            &task.recurrence_summary,
            &task.reminders
        )
    );
    assert_eq!(
        follow_series(&other, copy.clone(), 1).await,
        [date(2027, 2, 28)]
    );
}
