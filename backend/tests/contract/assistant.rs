//! The assistant through `POST /api/chat` on the offline provider: a
//! conversation of English commands, each with the tool call it must
//! become and its effect on the task list; conversations owned like tasks;
//! a restart in the middle of a conversation; rate limits and bad input;
//! due times, repeats and reminders read on the user's own clock.

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_api::{ApiClient, ChatRequest, ChatResponse, ErrorCode, ListQuery, Role, Task};

use crate::cases;
use crate::support::{
    RunningApp, TestCtx, TestDatabase, TestFn, expect_api_error, expect_error, expect_invalid,
    send_json, test_config,
};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        offline_commands_become_tool_calls_with_their_effects,
        a_conversation_resumes_after_a_restart,
        conversations_belong_to_their_owner,
        chat_is_rate_limited_per_user,
        bad_chat_input_is_refused_and_nothing_is_stored,
        a_prompt_cannot_reach_another_users_tasks,
        the_offline_assistant_asks_before_deleting_more_than_three,
        offline_schedules_are_read_on_the_users_clock,
        today_is_each_users_own_date,
    ]
}

/// Waits out the last minute of a UTC day, so "today" cannot change in
/// the middle of a test that compares dates.
async fn away_from_midnight() -> NaiveDate {
    use chrono::Timelike;
    let seconds_left = 86_400 - u64::from(Utc::now().time().num_seconds_from_midnight());
    if seconds_left < 90 {
        tokio::time::sleep(std::time::Duration::from_secs(seconds_left + 2)).await;
    }
    Utc::now().date_naive()
}

fn next(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead =
        (7 + day.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64) % 7;
    today + Duration::days(if ahead == 0 { 7 } else { ahead })
}

fn day(date: NaiveDate) -> Value {
    json!(date.format("%Y-%m-%d").to_string())
}

async fn say(api: &ApiClient, conversation: Option<uuid::Uuid>, message: &str) -> ChatResponse {
    api.chat(&ChatRequest {
        conversation_id: conversation,
        message: message.into(),
    })
    .await
    .unwrap_or_else(|e| panic!("{message:?}: {e}"))
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

fn titled<'a>(tasks: &'a [Task], title: &str) -> Vec<&'a Task> {
    tasks
        .iter()
        .filter(|t| t.title.eq_ignore_ascii_case(title))
        .collect()
}

/// What must hold of the task list after a command.
type Effect = fn(&[Task], &ChatResponse, NaiveDate) -> Result<(), String>;

/// A command, the tool call it must become (or none), and its effect.
type Row = (&'static str, Option<(&'static str, Value)>, Effect);

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

async fn offline_commands_become_tool_calls_with_their_effects(ctx: TestCtx) {
    let (api, _) = ctx.user("chatty").await;
    let today = away_from_midnight().await;
    let in_days = |n| day(today + Duration::days(n));
    // (message, the tool call it becomes or None, its effect)
    let table: Vec<Row> = vec![
        (
            "add buy milk",
            Some(("add_task", json!({"title": "buy milk"}))),
            |t, _, _| check(titled(t, "buy milk").len() == 1, "one buy milk"),
        ),
        (
            "add Call mom tomorrow",
            Some((
                "add_task",
                json!({"title": "Call mom", "due_date": in_days(1)}),
            )),
            |t, _, _| {
                check(
                    titled(t, "call mom")[0].due_date.is_some(),
                    "call mom is due",
                )
            },
        ),
        (
            "add pay rent next friday, high priority",
            Some((
                "add_task",
                json!({"title": "pay rent", "due_date": day(next(today, Weekday::Fri)), "priority": "high"}),
            )),
            |t, _, _| {
                check(
                    titled(t, "pay rent")[0].priority == todo_api::Priority::High,
                    "rent is high",
                )
            },
        ),
        (
            "add water plants, tag home",
            Some((
                "add_task",
                json!({"title": "water plants", "tags": ["home"]}),
            )),
            |t, _, _| {
                check(
                    titled(t, "water plants")[0].tags == ["home"],
                    "plants tagged home",
                )
            },
        ),
        (
            "add quarterly report due 2030-12-24 #work",
            Some((
                "add_task",
                json!({"title": "quarterly report", "due_date": "2030-12-24", "tags": ["work"]}),
            )),
            |t, _, _| {
                check(
                    titled(t, "quarterly report")[0].tags == ["work"],
                    "report tagged work",
                )
            },
        ),
        (
            "remind me to book flights in 3 days",
            Some((
                "add_task",
                json!({"title": "book flights", "due_date": in_days(3)}),
            )),
            |t, _, _| check(titled(t, "book flights").len() == 1, "flights added"),
        ),
        (
            "create task fix bike, low priority",
            Some(("add_task", json!({"title": "fix bike", "priority": "low"}))),
            |t, _, _| {
                check(
                    titled(t, "fix bike")[0].priority == todo_api::Priority::Low,
                    "bike is low",
                )
            },
        ),
        (
            "add renew passport, urgent, tags travel and admin",
            Some((
                "add_task",
                json!({"title": "renew passport", "priority": "high", "tags": ["travel", "admin"]}),
            )),
            |t, _, _| {
                check(
                    titled(t, "renew passport")[0].tags == ["travel", "admin"],
                    "passport tags",
                )
            },
        ),
        (
            "add old bill due 2020-01-01",
            Some((
                "add_task",
                json!({"title": "old bill", "due_date": "2020-01-01"}),
            )),
            |t, _, _| check(titled(t, "old bill").len() == 1, "old bill added"),
        ),
        (
            "Please add buy milk tomorrow, high priority, tag home",
            Some((
                "add_task",
                json!({"title": "buy milk", "due_date": in_days(1), "priority": "high", "tags": ["home"]}),
            )),
            |t, _, _| check(titled(t, "buy milk").len() == 2, "two buy milk now"),
        ),
        (
            "what is left?",
            Some(("list_tasks", json!({"status": "active"}))),
            |t, r, _| {
                check(
                    r.tool_calls[0].result["total"]
                        == json!(t.iter().filter(|t| !t.completed).count()),
                    "counts the active ones",
                )
            },
        ),
        (
            "show completed tasks",
            Some(("list_tasks", json!({"status": "completed"}))),
            |_, r, _| {
                check(
                    r.tool_calls[0].result["total"] == 0,
                    "nothing completed yet",
                )
            },
        ),
        (
            "what is overdue?",
            Some((
                "list_tasks",
                json!({"status": "active", "due_before": day(Utc::now().date_naive())}),
            )),
            |_, r, _| {
                check(
                    r.response.contains("old bill") && r.tool_calls[0].result["total"] == 1,
                    "the old bill is overdue",
                )
            },
        ),
        (
            "show high priority tasks",
            Some(("list_tasks", json!({"priority": "high"}))),
            |_, r, _| {
                check(
                    r.tool_calls[0].result["total"] == 3,
                    "three high-priority tasks",
                )
            },
        ),
        (
            "show tasks tagged home",
            Some(("list_tasks", json!({"tag": "home"}))),
            |_, r, _| check(r.tool_calls[0].result["total"] == 2, "two tagged home"),
        ),
        (
            "search for passport",
            Some(("list_tasks", json!({"q": "passport"}))),
            |_, r, _| check(r.tool_calls[0].result["total"] == 1, "one passport"),
        ),
        (
            "mark buy milk done",
            Some(("complete_task", json!({"title": "buy milk"}))),
            |t, r, _| {
                check(
                    r.tool_calls[0].result["error"]["code"] == "ambiguous_match"
                        && r.tool_calls[0].result["error"]["candidates"]
                            .as_array()
                            .map(Vec::len)
                            == Some(2)
                        && r.response.contains("Which one")
                        && titled(t, "buy milk").iter().all(|t| !t.completed),
                    "two matches: candidates, no guess",
                )
            },
        ),
        (
            "mark call mom done",
            Some(("complete_task", json!({"title": "call mom"}))),
            |t, _, _| check(titled(t, "call mom")[0].completed, "call mom completed"),
        ),
        (
            "complete the fix bike task",
            Some(("complete_task", json!({"title": "fix bike"}))),
            |t, _, _| check(titled(t, "fix bike")[0].completed, "bike completed"),
        ),
        (
            "I finished water plants",
            Some(("complete_task", json!({"title": "water plants"}))),
            |t, _, _| check(titled(t, "water plants")[0].completed, "plants completed"),
        ),
        (
            "show completed tasks",
            Some(("list_tasks", json!({"status": "completed"}))),
            |_, r, _| check(r.tool_calls[0].result["total"] == 3, "three completed"),
        ),
        (
            "reopen water plants",
            Some((
                "update_task",
                json!({"current_title": "water plants", "completed": false}),
            )),
            |t, _, _| check(!titled(t, "water plants")[0].completed, "plants reopened"),
        ),
        (
            "rename fix bike to repair bike",
            Some((
                "update_task",
                json!({"current_title": "fix bike", "title": "repair bike"}),
            )),
            |t, _, _| {
                check(
                    titled(t, "repair bike").len() == 1 && titled(t, "fix bike").is_empty(),
                    "renamed",
                )
            },
        ),
        (
            "make the quarterly report high priority",
            Some((
                "update_task",
                json!({"current_title": "quarterly report", "priority": "high"}),
            )),
            |t, _, _| {
                check(
                    titled(t, "quarterly report")[0].priority == todo_api::Priority::High,
                    "report is high",
                )
            },
        ),
        (
            "move book flights to next monday",
            Some((
                "update_task",
                json!({"current_title": "book flights", "due_date": day(next(today, Weekday::Mon))}),
            )),
            |t, _, d| {
                check(
                    titled(t, "book flights")[0].due_date == Some(next(d, Weekday::Mon)),
                    "flights moved",
                )
            },
        ),
        (
            "set the priority of renew passport to low",
            Some((
                "update_task",
                json!({"current_title": "renew passport", "priority": "low"}),
            )),
            |t, _, _| {
                check(
                    titled(t, "renew passport")[0].priority == todo_api::Priority::Low,
                    "passport is low",
                )
            },
        ),
        (
            "call mom is due tomorrow",
            Some((
                "update_task",
                json!({"current_title": "call mom", "due_date": in_days(1)}),
            )),
            |t, _, d| {
                check(
                    titled(t, "call mom")[0].due_date == Some(d + Duration::days(1)),
                    "due date set",
                )
            },
        ),
        (
            "delete the old bill task",
            Some(("delete_task", json!({"title": "old bill"}))),
            |t, r, _| {
                check(
                    titled(t, "old bill").is_empty()
                        && r.tool_calls[0].result["status"] == "deleted",
                    "old bill deleted",
                )
            },
        ),
        (
            "remove repair bike",
            Some(("delete_task", json!({"title": "repair bike"}))),
            |t, _, _| check(titled(t, "repair bike").is_empty(), "bike deleted"),
        ),
        (
            "get rid of the unicorn",
            Some(("delete_task", json!({"title": "unicorn"}))),
            |t, r, _| {
                check(
                    r.tool_calls[0].result["error"]["code"] == "not_found" && t.len() == 8,
                    "nothing deleted",
                )
            },
        ),
        (
            "check off pay rent",
            Some(("complete_task", json!({"title": "pay rent"}))),
            |t, _, _| check(titled(t, "pay rent")[0].completed, "rent paid"),
        ),
        (
            "cancel renew passport",
            Some(("delete_task", json!({"title": "renew passport"}))),
            |t, _, _| check(titled(t, "renew passport").is_empty(), "passport deleted"),
        ),
        ("help", None, |_, r, _| {
            check(
                r.response.contains("I can add, list, complete"),
                "says what it can do",
            )
        }),
        ("sing me a song", None, |t, r, _| {
            check(
                r.response.contains("did not understand") && t.len() == 7,
                "nothing changed",
            )
        }),
    ];
    assert!(table.len() >= 30, "the table has {} commands", table.len());

    let mut conversation = None;
    for (message, expected, effect) in &table {
        let response = say(&api, conversation, message).await;
        conversation = Some(response.conversation_id);
        match expected {
            Some((tool, arguments)) => {
                assert_eq!(
                    response.tool_calls.len(),
                    1,
                    "{message:?}: {:?}",
                    response.tool_calls
                );
                assert_eq!(response.tool_calls[0].tool, *tool, "{message:?}");
                assert_eq!(&response.tool_calls[0].arguments, arguments, "{message:?}");
            }
            None => assert!(
                response.tool_calls.is_empty(),
                "{message:?}: {:?}",
                response.tool_calls
            ),
        }
        let tasks = all_tasks(&api).await;
        if let Err(what) = effect(&tasks, &response, today) {
            panic!(
                "{message:?}: expected {what}; reply {:?}; tasks {:?}",
                response.response,
                tasks
                    .iter()
                    .map(|t| (&t.title, t.completed))
                    .collect::<Vec<_>>()
            );
        }
    }

    // The whole conversation is stored, in order: each command, its one
    // action where it had one, and each reply.
    let all = todo_api::MessageQuery {
        limit: Some(100),
        before: None,
    };
    let page = api.message_page(conversation.unwrap(), &all).await.unwrap();
    let actions = table.iter().filter(|(_, call, _)| call.is_some()).count();
    assert_eq!(page.total as usize, table.len() * 2 + actions);
    assert_eq!(page.older, None, "one page holds it all");
    let messages = page.items;
    assert_eq!(messages.len(), table.len() * 2 + actions);
    assert_eq!(messages[0].role, Role::User);
    assert_eq!(messages[0].content, "add buy milk");
    assert_eq!(messages[1].role, Role::Tool);
    assert_eq!(messages[1].content, "Added task “buy milk”");
    assert_eq!(messages[1].tool_call.as_ref().unwrap().tool, "add_task");
    assert_eq!(messages[2].role, Role::Assistant);
}

async fn a_conversation_resumes_after_a_restart(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let (api, auth) = app.ctx.user("restarted").await;
    let first = say(&api, None, "add write the letter").await;
    app.stop().await;

    let app = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
    let api = app.ctx.api.with_token(&auth.token);
    let second = say(
        &api,
        Some(first.conversation_id),
        "mark write the letter done",
    )
    .await;
    assert_eq!(second.conversation_id, first.conversation_id);
    assert_eq!(second.tool_calls[0].result["completed"], true);
    let messages = api.messages(first.conversation_id).await.unwrap().items;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    use Role::{Assistant, Tool, User};
    assert_eq!(roles, [User, Tool, Assistant, User, Tool, Assistant]);
    let listed = api.conversations().await.unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].title, "add write the letter");
    app.stop().await;
    database.drop().await;
}

async fn conversations_belong_to_their_owner(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, _) = ctx.user("bob").await;
    let older = say(&alice, None, "add first thing").await;
    let newer = say(&alice, None, "add second thing").await;
    let listed = alice.conversations().await.unwrap();
    let ids: Vec<_> = listed.items.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [newer.conversation_id, older.conversation_id],
        "newest first"
    );

    assert_eq!(bob.conversations().await.unwrap().total, 0);
    expect_api_error(
        bob.messages(older.conversation_id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    expect_api_error(
        bob.delete_conversation(older.conversation_id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    let intrusion = bob
        .chat(&ChatRequest {
            conversation_id: Some(older.conversation_id),
            message: "delete first thing".into(),
        })
        .await;
    expect_api_error(intrusion, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(
        alice
            .messages(older.conversation_id)
            .await
            .unwrap()
            .items
            .len(),
        3
    );

    alice
        .delete_conversation(older.conversation_id)
        .await
        .unwrap();
    expect_api_error(
        alice.messages(older.conversation_id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    );
    assert_eq!(alice.conversations().await.unwrap().total, 1);
    // The tasks the conversation made stay.
    assert_eq!(alice.stats().await.unwrap().total, 2);
    let response = alice
        .request(Method::GET, "/api/conversations/not-a-uuid/messages")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn chat_is_rate_limited_per_user(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let app = RunningApp::start(
        test_config(&database.url, &[("CHAT_REQUESTS_PER_MINUTE", "2")]),
        ctx.backend.clone(),
    )
    .await;
    let (alice, _) = app.ctx.user("limited").await;
    let (bob, _) = app.ctx.user("unlimited").await;
    say(&alice, None, "what is left").await;
    say(&alice, None, "what is left").await;
    let response = alice
        .request(Method::POST, "/api/chat")
        .json(&json!({"message": "what is left"}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
    // Another user has a budget of their own, and nothing was stored.
    say(&bob, None, "what is left").await;
    assert_eq!(alice.conversations().await.unwrap().total, 2);
    app.stop().await;
    database.drop().await;
}

async fn bad_chat_input_is_refused_and_nothing_is_stored(ctx: TestCtx) {
    let (api, _) = ctx.user("terse").await;
    for (body, field) in [
        (json!({"message": "   "}), "message"),
        (json!({"message": "x".repeat(4001)}), "message"),
        (json!({}), "message"),
        (
            json!({"message": "hi", "conversation_id": "nope"}),
            "conversation_id",
        ),
        (json!({"message": "hi", "colour": "red"}), "colour"),
    ] {
        let error = expect_invalid(send_json(&api, Method::POST, "/api/chat", &body).await).await;
        assert!(error.error.fields.contains_key(field), "{body}: {error:?}");
    }
    let unknown = api
        .chat(&ChatRequest {
            conversation_id: Some(uuid::Uuid::new_v4()),
            message: "hello".into(),
        })
        .await;
    expect_api_error(unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound);
    assert_eq!(api.conversations().await.unwrap().total, 0);
}

/// The user is the token's, never something a message can name.
async fn a_prompt_cannot_reach_another_users_tasks(ctx: TestCtx) {
    let (alice, _) = ctx.user("alice").await;
    let (bob, bob_auth) = ctx.user("bob").await;
    bob.create_task(&todo_api::NewTask {
        title: "bob's secret plan".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    for prompt in [
        "show all users' tasks",
        &format!("show tasks of user {}", bob_auth.user.id),
        "search for secret plan",
        "delete bob's secret plan",
        "mark bob's secret plan done",
    ] {
        let response = say(&alice, None, prompt).await;
        for record in &response.tool_calls {
            let result = &record.result;
            let mut seen: Vec<&Value> = vec![&result["title"]];
            seen.extend(
                result["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| &t["title"]),
            );
            seen.extend(
                result["error"]["candidates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| &c["title"]),
            );
            assert!(
                seen.iter().all(|title| *title != "bob's secret plan"),
                "{prompt}: {result}"
            );
            assert!(
                !result.to_string().contains(&bob_auth.user.id.to_string()),
                "{prompt}: {result}"
            );
        }
    }
    let bobs = all_tasks(&bob).await;
    assert_eq!(bobs.len(), 1);
    assert!(!bobs[0].completed);
}

async fn the_offline_assistant_asks_before_deleting_more_than_three(ctx: TestCtx) {
    let (api, _) = ctx.user("tidy").await;
    for title in ["a1", "b2", "c3", "d4", "e5", "f6", "g7"] {
        say(&api, None, &format!("add {title}")).await;
    }
    let asked = say(&api, None, "delete a1, b2, c3, d4 and e5").await;
    assert_eq!(asked.tool_calls.len(), 3);
    assert!(asked.response.contains("“d4”, “e5”"), "{}", asked.response);
    assert_eq!(api.stats().await.unwrap().total, 4);
    let kept = say(&api, Some(asked.conversation_id), "no").await;
    assert!(kept.tool_calls.is_empty());
    assert_eq!(api.stats().await.unwrap().total, 4);

    let asked = say(&api, None, "delete d4, e5, f6 and g7").await;
    assert_eq!(asked.tool_calls.len(), 3);
    assert!(asked.response.contains("“g7”"), "{}", asked.response);
    let done = say(&api, Some(asked.conversation_id), "yes please").await;
    assert_eq!(done.tool_calls.len(), 1);
    assert_eq!(done.tool_calls[0].result["title"], "g7");
    assert_eq!(api.stats().await.unwrap().total, 0);
}

/// Signs up a user living in `zone`, a zone without daylight saving whose
/// offset from UTC is `hours`, so the test can tell their wall clock.
async fn user_in(ctx: &TestCtx, name: &str, zone: &str, hours: i32) -> (ApiClient, UserClock) {
    let auth = ctx
        .api
        .signup(&todo_api::SignupRequest {
            email: format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple()),
            password: "correct horse battery".into(),
            name: name.into(),
            time_zone: Some(zone.into()),
        })
        .await
        .expect("signup succeeds");
    assert_eq!(auth.user.time_zone, zone);
    let offset = chrono::FixedOffset::east_opt(hours * 3600).expect("an offset");
    (ctx.api.with_token(&auth.token), UserClock(offset))
}

/// A user's wall clock.
#[derive(Clone, Copy)]
struct UserClock(chrono::FixedOffset);

impl UserClock {
    fn now(self) -> chrono::NaiveDateTime {
        Utc::now().with_timezone(&self.0).naive_local()
    }

    /// The user's now, once it is not within two minutes before their
    /// midnight or before `times` of their day, so what the server reads
    /// ("today", "still ahead") cannot change between the two readings.
    async fn settled(self, times: &[(u32, u32)]) -> chrono::NaiveDateTime {
        use chrono::Timelike;
        let now = self.now();
        let seconds = now.num_seconds_from_midnight();
        let wait = times
            .iter()
            .map(|&(h, m)| h * 3600 + m * 60)
            .chain([86_400])
            .filter(|at| *at >= seconds && *at - seconds < 120)
            .map(|at| at - seconds + 2)
            .max();
        if let Some(wait) = wait {
            tokio::time::sleep(std::time::Duration::from_secs(u64::from(wait))).await;
        }
        self.now()
    }
}

/// The date a time without a date means: today while it is ahead.
fn day_of(now: chrono::NaiveDateTime, h: u32, m: u32) -> NaiveDate {
    let at = chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    if at > now.time() {
        now.date()
    } else {
        now.date() + Duration::days(1)
    }
}

/// The first `weekday` that is today (while `h:m` is ahead) or later.
fn first(now: chrono::NaiveDateTime, weekday: Weekday, h: u32, m: u32) -> NaiveDate {
    let at = chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let today = now.date();
    if today.weekday() == weekday && at > now.time() {
        today
    } else {
        next(today, weekday)
    }
}

/// Chat commands with times, repeats and reminders, through the real API,
/// for a user whose day is not UTC's (UTC+14): each becomes the call it
/// must, and the task is stored with what it said.
async fn offline_schedules_are_read_on_the_users_clock(ctx: TestCtx) {
    let (api, clock) = user_in(&ctx, "scheduler", "Pacific/Kiritimati", 14).await;
    let now = clock.settled(&[(8, 0), (9, 0)]).await;
    let today = now.date();
    let one = |tasks: &[Task], title: &str| -> Task {
        let found = titled(tasks, title);
        assert_eq!(found.len(), 1, "one {title:?}: {tasks:?}");
        found[0].clone()
    };

    // A weekly chore at a time, with a reminder.
    let response = say(
        &api,
        None,
        "add water the plants every monday at 8am remind me an hour before",
    )
    .await;
    let conversation = Some(response.conversation_id);
    let monday = first(now, Weekday::Mon, 8, 0);
    assert_eq!(
        response.tool_calls[0].arguments,
        json!({"title": "water the plants", "due_date": day(monday), "due_time": "08:00",
               "recurrence": "FREQ=WEEKLY;BYDAY=MO", "reminders": [60]})
    );
    let plants = one(&all_tasks(&api).await, "water the plants");
    assert_eq!(plants.due_date, Some(monday));
    assert_eq!(plants.due_time.as_deref(), Some("08:00"));
    assert_eq!(plants.recurrence.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO"));
    assert_eq!(plants.recurrence_summary.as_deref(), Some("every Monday"));
    assert_eq!(plants.reminders, [60]);
    assert_eq!(
        response.response,
        format!(
            "Added “water the plants” (due {} 08:00; every Monday; reminder 1 hour before).",
            monday.format("%a %b %-d")
        )
    );

    let table: Vec<(&str, Value)> = vec![
        (
            "add call the bank tomorrow at 14:30",
            json!({"title": "call the bank", "due_date": day(today + Duration::days(1)), "due_time": "14:30"}),
        ),
        (
            "remind me to stretch at 9am",
            json!({"title": "stretch", "due_date": day(day_of(now, 9, 0)), "due_time": "09:00", "reminders": [0]}),
        ),
        (
            "add back up the laptop every 2 weeks",
            json!({"title": "back up the laptop", "due_date": day(today), "recurrence": "FREQ=WEEKLY;INTERVAL=2"}),
        ),
        (
            "Add Pay Rent next Friday, remind me 2 days before",
            json!({"title": "Pay Rent", "due_date": day(next(today, Weekday::Fri)), "due_time": "09:00", "reminders": [2880]}),
        ),
        (
            "add yoga every Monday, Wednesday and Friday at 7:15pm",
            json!({"title": "yoga", "due_date": day([Weekday::Mon, Weekday::Wed, Weekday::Fri]
                       .map(|d| first(now, d, 19, 15)).into_iter().min().unwrap()),
                   "due_time": "19:15", "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE,FR"}),
        ),
        (
            "add read every chapter",
            json!({"title": "read every chapter"}),
        ),
    ];
    for (message, arguments) in &table {
        let response = say(&api, conversation, message).await;
        assert_eq!(response.tool_calls.len(), 1, "{message:?}: {response:?}");
        assert_eq!(response.tool_calls[0].tool, "add_task", "{message:?}");
        assert_eq!(&response.tool_calls[0].arguments, arguments, "{message:?}");
        // Stored as asked: the API's task has every field the call set.
        let result = &response.tool_calls[0].result;
        for (field, value) in arguments.as_object().unwrap() {
            assert_eq!(&result[field], value, "{message:?}: {field}");
        }
        let stored = one(&all_tasks(&api).await, arguments["title"].as_str().unwrap());
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            *result,
            "{message:?}"
        );
    }

    // "Today" is the user's: the tasks due by the end of their day.
    let due = say(&api, conversation, "what is due today?").await;
    assert_eq!(
        due.tool_calls[0].arguments,
        json!({"status": "active", "due_before": day(today + Duration::days(1))})
    );

    // Completing a repeat makes the next one, and the reply says when.
    let done = say(&api, conversation, "mark water the plants done").await;
    let result = &done.tool_calls[0].result;
    assert_eq!(result["completed"], true);
    let next_id: uuid::Uuid = serde_json::from_value(result["next_occurrence_id"].clone())
        .unwrap_or_else(|e| panic!("a next occurrence: {e}: {result}"));
    let following = monday + Duration::days(7);
    assert!(
        done.response
            .ends_with(&format!("done; next on {}.", following.format("%a %b %-d"))),
        "{}",
        done.response
    );
    let next_task = api.get_task(next_id).await.unwrap();
    assert_eq!(next_task.title, "water the plants");
    assert!(!next_task.completed);
    assert_eq!(next_task.due_date, Some(following));
    assert_eq!(next_task.due_time.as_deref(), Some("08:00"));
    assert_eq!(next_task.reminders, [60]);
    assert_eq!(titled(&all_tasks(&api).await, "water the plants").len(), 2);

    // A new date and time for a task.
    let moved = say(
        &api,
        conversation,
        "move call the bank to next friday at 9am",
    )
    .await;
    assert_eq!(
        moved.tool_calls[0].arguments,
        json!({"current_title": "call the bank", "due_date": day(next(today, Weekday::Fri)), "due_time": "09:00"})
    );
    let bank = one(&all_tasks(&api).await, "call the bank");
    assert_eq!(bank.due_date, Some(next(today, Weekday::Fri)));
    assert_eq!(bank.due_time.as_deref(), Some("09:00"));

    // A reminder the API refuses is the tool's error, and nothing is added.
    let before = all_tasks(&api).await.len();
    let refused = say(
        &api,
        conversation,
        "add stretch daily, remind me 5 weeks before",
    )
    .await;
    let error = &refused.tool_calls[0].result["error"];
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert!(
        error["fields"]["reminders"]
            .as_str()
            .is_some_and(|m| m.contains("at most 40320 minutes")),
        "{error}"
    );
    assert!(
        refused.response.starts_with("That did not work: reminders"),
        "{}",
        refused.response
    );
    assert_eq!(all_tasks(&api).await.len(), before);
}

/// "Today" is each user's own date: users a day apart (UTC+14 and
/// UTC-11, whose dates always differ) are each answered with theirs.
async fn today_is_each_users_own_date(ctx: TestCtx) {
    for (zone, hours) in [("Pacific/Kiritimati", 14), ("Pacific/Pago_Pago", -11)] {
        let (api, clock) = user_in(&ctx, "faraway", zone, hours).await;
        let now = clock.settled(&[]).await;
        let overdue = say(&api, None, "what is overdue?").await;
        assert_eq!(
            overdue.tool_calls[0].arguments,
            json!({"status": "active", "due_before": day(now.date())}),
            "{zone}"
        );
        let added = say(&api, None, "add call home today").await;
        assert_eq!(
            added.tool_calls[0].arguments["due_date"],
            day(now.date()),
            "{zone}"
        );
    }
}
