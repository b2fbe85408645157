//! E-mail reminders against a real SMTP server (aiosmtpd, run from
//! `backend/tests/smtp/sink.py` on `TEST_SMTP_PYTHON`, which `cargo xtask
//! test` provides): what is sent, to whom and when; retries and failures;
//! replicas sharing one database; a replica killed mid-send; a reminder
//! across a daylight-saving change. Every wait is bounded, and so is each
//! case as a whole.

use std::collections::{BTreeSet, HashMap};
use std::process::Stdio;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sqlx::Connection;
use todo_api::{ApiClient, NewTask, SignupRequest, TaskPatch};
use todo_backend::domain::TimeZoneName;
use todo_backend::metrics::Metrics;
use todo_backend::reminders::{ReminderSettings, SmtpSettings, Worker};
use todo_backend::store::{DatabaseSettings, Store};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use uuid::Uuid;

use crate::cases;
use crate::support::{RunningApp, TestCtx, TestDatabase, TestFn, test_config};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        a_reminder_due_now_is_sent_once_to_its_owner_in_their_zone,
        reminders_of_completed_tasks_and_reminders_not_yet_due_are_not_sent,
        a_reminder_whose_task_is_completed_before_its_retry_is_skipped,
        a_temporary_failure_is_retried_and_the_reminder_sent_once,
        a_permanent_refusal_fails_the_reminder_at_once_and_for_good,
        temporary_failures_fail_the_reminder_after_its_last_attempt,
        replicas_polling_one_database_deliver_every_reminder_exactly_once,
        a_replica_killed_mid_send_leaves_its_batch_to_another_once_the_lease_runs_out,
        a_replica_shut_down_mid_batch_gives_the_rest_back_at_once,
        nine_in_berlin_after_the_spring_change_is_reminded_at_seven_utc,
    ]
}

/// The poll interval the cases run with (the least allowed).
const POLL: Duration = Duration::from_secs(5);
/// No case may take longer than this, whatever it waits for.
const CASE_LIMIT: Duration = Duration::from_secs(150);
const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
const FROM: &str = "Todo <todo@example.com>";

/// Runs a case's body within [`CASE_LIMIT`]: a case that hangs fails.
async fn bounded(body: impl Future<Output = ()>) {
    if tokio::time::timeout(CASE_LIMIT, body).await.is_err() {
        panic!("the case took longer than {CASE_LIMIT:?}");
    }
}

/// One event of the SMTP server (see `sink.py`).
#[derive(Debug, Clone, serde::Deserialize)]
struct SinkEvent {
    event: String,
    n: Option<u32>,
    code: Option<u16>,
    message_id: Option<String>,
    #[serde(default)]
    rcpt_tos: Vec<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    subject: String,
    body: Option<String>,
    auto_submitted: Option<String>,
    content_type: Option<String>,
}

/// The test's own SMTP server, a Python process stopped by its PID when
/// the case ends (and killed if the case panics: `kill_on_drop`).
struct SmtpSink {
    child: Child,
    port: u16,
    events: Arc<Mutex<Vec<SinkEvent>>>,
    /// Held open: the server exits when it closes.
    _stdin: ChildStdin,
}

impl SmtpSink {
    async fn start(args: &[&str]) -> Self {
        let python = std::env::var("TEST_SMTP_PYTHON").unwrap_or_else(|_| {
            panic!(
                "TEST_SMTP_PYTHON is unset: the e-mail reminder cases need a real SMTP server \
                 (aiosmtpd). Run `cargo xtask test`, which installs it and sets TEST_SMTP_PYTHON, \
                 or set TEST_SMTP_PYTHON to a Python interpreter with aiosmtpd==1.4.6 installed."
            )
        });
        let mut child = Command::new(&python)
            .arg(SINK)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("TEST_SMTP_PYTHON={python} does not run: {e}"));
        let stdin = child.stdin.take().expect("piped");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP server says its port within 20 s")
            .expect("its output is readable")
            .unwrap_or_else(|| {
                panic!("the SMTP server exited at once: is aiosmtpd installed for {python}?")
            });
        let listening: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
        let port = listening["port"].as_u64().expect("the port") as u16;
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let event: SinkEvent = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("the SMTP server wrote {line:?}: {e}"));
                seen.lock().unwrap().push(event);
            }
        });
        Self {
            child,
            port,
            events,
            _stdin: stdin,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn events(&self) -> Vec<SinkEvent> {
        self.events.lock().unwrap().clone()
    }

    fn of(&self, kind: &str) -> Vec<SinkEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.event == kind)
            .collect()
    }

    /// Waits until `done` holds of the events, at most `within`.
    async fn wait_until(
        &self,
        what: &str,
        within: Duration,
        done: impl Fn(&[SinkEvent]) -> bool,
    ) -> Vec<SinkEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let events = self.events();
            if done(&events) {
                return events;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within {within:?}; the SMTP server saw {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `count` messages of `kind` arrived.
    async fn wait_for(&self, kind: &str, count: usize, within: Duration) -> Vec<SinkEvent> {
        self.wait_until(&format!("{count} {kind}"), within, |events| {
            events.iter().filter(|e| e.event == kind).count() >= count
        })
        .await;
        self.of(kind)
    }

    /// Stops the server by its PID.
    async fn stop(mut self) {
        let pid = self.child.id();
        self.child
            .kill()
            .await
            .unwrap_or_else(|e| panic!("stopping the SMTP server (pid {pid:?}): {e}"));
    }
}

/// The configuration of a replica sending through `sink`.
fn config_with_smtp(
    database: &TestDatabase,
    sink: &SmtpSink,
    extra: &[(&str, &str)],
) -> todo_backend::Config {
    let url = sink.url();
    let poll = POLL.as_secs().to_string();
    let mut vars = vec![
        ("SMTP_URL", url.as_str()),
        ("SMTP_FROM", FROM),
        ("REMINDER_POLL_SECONDS", poll.as_str()),
        ("REMINDER_RETRY_SECONDS", "1"),
    ];
    vars.extend_from_slice(extra);
    test_config(&database.url, &vars)
}

/// Signs up a user living in `zone`.
async fn user_in(api: &ApiClient, name: &str, zone: &str) -> (ApiClient, String) {
    let email = format!(
        "{}-{}@example.com",
        name.to_lowercase(),
        Uuid::new_v4().simple()
    );
    let auth = api
        .signup(&SignupRequest {
            email: email.clone(),
            password: "correct horse battery".into(),
            name: name.into(),
            time_zone: Some(zone.into()),
        })
        .await
        .expect("signup succeeds");
    (api.with_token(&auth.token), email)
}

/// The wall-clock minute `offset` from now in `zone`: a due date and time.
fn local_minute(zone: &str, offset: chrono::Duration) -> NaiveDateTime {
    let local = TimeZoneName::parse(zone)
        .unwrap()
        .local(Utc::now() + offset);
    local
        .date()
        .and_hms_opt(
            chrono::Timelike::hour(&local),
            chrono::Timelike::minute(&local),
            0,
        )
        .unwrap()
}

/// A task due at `due` with `reminders`.
fn task(title: &str, due: NaiveDateTime, reminders: &[u32]) -> NewTask {
    NewTask {
        title: title.into(),
        description: Some(format!("About {title}.")),
        due_date: Some(due.date()),
        due_time: Some(due.format("%H:%M").to_string()),
        reminders: reminders.to_vec(),
        ..NewTask::default()
    }
}

/// One delivery row, read from the database itself.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Delivery {
    id: Uuid,
    task_id: Uuid,
    due_at: DateTime<Utc>,
    minutes_before: i32,
    attempts: i32,
    sent: i32,
    failed: i32,
    skipped: i32,
    leased: i32,
    last_error: Option<String>,
}

async fn deliveries(database: &TestDatabase) -> Vec<Delivery> {
    let sql = "SELECT id, task_id, due_at, minutes_before, attempts, \
               CASE WHEN sent_at IS NULL THEN 0 ELSE 1 END AS sent, \
               CASE WHEN failed_at IS NULL THEN 0 ELSE 1 END AS failed, \
               CASE WHEN skipped_at IS NULL THEN 0 ELSE 1 END AS skipped, \
               CASE WHEN lease_owner IS NULL THEN 0 ELSE 1 END AS leased, \
               last_error FROM reminder_deliveries ORDER BY fire_at, task_id";
    if database.url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&database.url)
            .await
            .unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    }
}

/// The `todo_reminders_total` counters of a replica, by outcome.
async fn reminder_counts(api: &ApiClient) -> HashMap<String, u64> {
    let text = api
        .request(reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("todo_reminders_total{outcome=\""))
        .filter_map(|rest| {
            let (outcome, value) = rest.split_once("\"} ")?;
            Some((outcome.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

fn body_of(event: &SinkEvent) -> String {
    event.body.clone().unwrap_or_default().replace("\r\n", "\n")
}

async fn a_reminder_due_now_is_sent_once_to_its_owner_in_their_zone(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&[]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let app =
            RunningApp::start(config_with_smtp(&database, &sink, &[]), ctx.backend.clone()).await;
        // UTC+05:30 all year: the due time is read in the owner's zone,
        // not the server's.
        let zone = "Asia/Kolkata";
        let (owner, email) = user_in(&app.ctx.api, "Asha", zone).await;
        let due = local_minute(zone, chrono::Duration::zero());
        let created = owner
            .create_task(&task("Call the bank", due, &[0]))
            .await
            .unwrap();

        let accepted = sink.wait_for("accepted", 1, 3 * POLL).await;
        let mail = &accepted[0];
        assert_eq!(
            mail.rcpt_tos,
            std::slice::from_ref(&email),
            "to the owner only"
        );
        assert_eq!(
            mail.subject,
            format!(
                "Reminder: Call the bank — due {} (Asia/Kolkata)",
                due.format("%H:%M")
            )
        );
        assert_eq!(mail.from, FROM);
        assert_eq!(mail.content_type.as_deref(), Some("text/plain"));
        assert_eq!(mail.auto_submitted.as_deref(), Some("auto-generated"));
        let body = body_of(mail);
        assert!(body.starts_with("Hello Asha,"), "{body}");
        assert!(body.contains("Call the bank"), "{body}");
        assert!(
            body.contains(&format!(
                "Due:      {} (Asia/Kolkata)",
                due.format("%A, %-d %B %Y, %H:%M")
            )),
            "{body}"
        );
        assert!(body.contains("Reminder: at the due time"), "{body}");
        assert!(body.contains("About Call the bank."), "{body}");
        let message_id = mail.message_id.clone().expect("a Message-ID");

        // Two more polls: nothing more goes out.
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        assert_eq!(sink.of("accepted").len(), 1, "{:#?}", sink.events());
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 1, "{rows:#?}");
        let row = &rows[0];
        assert_eq!(row.task_id, created.id);
        assert_eq!(
            (row.sent, row.failed, row.skipped, row.leased),
            (1, 0, 0, 0)
        );
        assert_eq!(row.attempts, 1);
        assert_eq!(row.minutes_before, 0);
        let zone = TimeZoneName::parse(zone).unwrap();
        assert_eq!(Some(row.due_at), zone.instant(due));
        // Made from the delivery's id: whoever sends it, it is the same.
        assert_eq!(
            message_id,
            format!("<reminder-{}@example.com>", row.id.simple())
        );
        let counts = reminder_counts(&app.ctx.api).await;
        assert_eq!(counts.get("sent"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("failed"), Some(&0), "{counts:?}");

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn reminders_of_completed_tasks_and_reminders_not_yet_due_are_not_sent(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&[]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let app =
            RunningApp::start(config_with_smtp(&database, &sink, &[]), ctx.backend.clone()).await;
        let zone = "America/New_York";
        let (owner, _) = user_in(&app.ctx.api, "Noor", zone).await;
        let now = local_minute(zone, chrono::Duration::zero());
        let completed = NewTask {
            completed: Some(true),
            ..task("Already done", now, &[0])
        };
        owner.create_task(&completed).await.unwrap();
        let later = local_minute(zone, chrono::Duration::hours(2));
        owner
            .create_task(&task("Later today", later, &[0, 60]))
            .await
            .unwrap();
        let soon = local_minute(zone, chrono::Duration::minutes(10));
        owner.create_task(&task("Soon", soon, &[0])).await.unwrap();
        // Created last: once it is sent, a poll has seen all of them.
        let control = owner
            .create_task(&task("Due now", now, &[0]))
            .await
            .unwrap();

        let accepted = sink.wait_for("accepted", 1, 3 * POLL).await;
        assert!(accepted[0].subject.starts_with("Reminder: Due now — "));
        tokio::time::sleep(POLL + Duration::from_secs(1)).await;
        assert_eq!(sink.events().len(), 1, "{:#?}", sink.events());
        let rows = deliveries(&database).await;
        assert_eq!(
            rows.iter().map(|r| r.task_id).collect::<Vec<_>>(),
            [control.id],
            "only the open task's due reminder was recorded: {rows:#?}"
        );

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn a_reminder_whose_task_is_completed_before_its_retry_is_skipped(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&["--reject-temporary", "1"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let app =
            RunningApp::start(config_with_smtp(&database, &sink, &[]), ctx.backend.clone()).await;
        let (owner, _) = user_in(&app.ctx.api, "Iris", "UTC").await;
        let due = local_minute("UTC", chrono::Duration::zero());
        let created = owner
            .create_task(&task("Water plants", due, &[0]))
            .await
            .unwrap();
        sink.wait_for("rejected", 1, 3 * POLL).await;
        // Done before the next poll tries again.
        owner
            .update_task(
                created.id,
                &TaskPatch {
                    completed: Some(true),
                    ..TaskPatch::default()
                },
            )
            .await
            .unwrap();
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        assert!(sink.of("accepted").is_empty(), "{:#?}", sink.events());
        assert_eq!(sink.events().len(), 1, "{:#?}", sink.events());
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!((rows[0].sent, rows[0].failed, rows[0].skipped), (0, 0, 1));
        assert_eq!(
            rows[0].last_error.as_deref(),
            Some("the task was completed")
        );
        let counts = reminder_counts(&app.ctx.api).await;
        assert_eq!(counts.get("retried"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("skipped"), Some(&1), "{counts:?}");

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn a_temporary_failure_is_retried_and_the_reminder_sent_once(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&["--reject-temporary", "2"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let app =
            RunningApp::start(config_with_smtp(&database, &sink, &[]), ctx.backend.clone()).await;
        let (owner, email) = user_in(&app.ctx.api, "Tariq", "Europe/Berlin").await;
        let due = local_minute("Europe/Berlin", chrono::Duration::zero());
        owner
            .create_task(&task("Renew passport", due, &[0]))
            .await
            .unwrap();

        // Refused twice (451), a poll apart, then accepted.
        let accepted = sink.wait_for("accepted", 1, 6 * POLL).await;
        assert_eq!(accepted[0].rcpt_tos, [email]);
        let rejected = sink.of("rejected");
        assert_eq!(rejected.len(), 2);
        assert!(rejected.iter().all(|e| e.code == Some(451)));
        // Each attempt carried the same Message-ID.
        let ids: BTreeSet<_> = sink.events().iter().map(|e| e.message_id.clone()).collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        assert_eq!(sink.of("accepted").len(), 1, "{:#?}", sink.events());
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!((rows[0].sent, rows[0].failed, rows[0].attempts), (1, 0, 3));
        let counts = reminder_counts(&app.ctx.api).await;
        assert_eq!(counts.get("retried"), Some(&2), "{counts:?}");
        assert_eq!(counts.get("sent"), Some(&1), "{counts:?}");

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn a_permanent_refusal_fails_the_reminder_at_once_and_for_good(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&["--reject-permanent", "100"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let app =
            RunningApp::start(config_with_smtp(&database, &sink, &[]), ctx.backend.clone()).await;
        let (owner, _) = user_in(&app.ctx.api, "Pia", "UTC").await;
        let due = local_minute("UTC", chrono::Duration::zero());
        owner
            .create_task(&task("Pay rent", due, &[0]))
            .await
            .unwrap();

        let rejected = sink.wait_for("rejected", 1, 3 * POLL).await;
        assert_eq!(rejected[0].code, Some(550));
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        assert_eq!(
            sink.events().len(),
            1,
            "never tried again: {:#?}",
            sink.events()
        );
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!((rows[0].sent, rows[0].failed, rows[0].attempts), (0, 1, 1));
        let error = rows[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("550"), "{error}");
        let counts = reminder_counts(&app.ctx.api).await;
        assert_eq!(counts.get("failed"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("retried"), Some(&0), "{counts:?}");

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn temporary_failures_fail_the_reminder_after_its_last_attempt(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&["--reject-temporary", "100"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let config = config_with_smtp(&database, &sink, &[("REMINDER_MAX_ATTEMPTS", "2")]);
        let app = RunningApp::start(config, ctx.backend.clone()).await;
        let (owner, _) = user_in(&app.ctx.api, "Ola", "UTC").await;
        let due = local_minute("UTC", chrono::Duration::zero());
        owner
            .create_task(&task("File taxes", due, &[0]))
            .await
            .unwrap();

        sink.wait_for("rejected", 2, 5 * POLL).await;
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        assert_eq!(
            sink.events().len(),
            2,
            "two attempts, no more: {:#?}",
            sink.events()
        );
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!((rows[0].sent, rows[0].failed, rows[0].attempts), (0, 1, 2));
        let error = rows[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("451"), "{error}");

        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn replicas_polling_one_database_deliver_every_reminder_exactly_once(ctx: TestCtx) {
    bounded(async {
        // Slow enough that one replica's poll cannot send them all alone:
        // the others claim batches meanwhile.
        let sink = SmtpSink::start(&["--delay-ms", "400"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let mut replicas = Vec::new();
        for _ in 0..3 {
            let config = config_with_smtp(&database, &sink, &[("REMINDER_BATCH_SIZE", "3")]);
            replicas.push(RunningApp::start(config, ctx.backend.clone()).await);
        }
        let (owner, email) = user_in(&replicas[0].ctx.api, "Mina", "Australia/Sydney").await;
        let due = local_minute("Australia/Sydney", chrono::Duration::zero());
        let mut titles = BTreeSet::new();
        for i in 0..20 {
            let title = format!("Reminder number {i:02}");
            owner.create_task(&task(&title, due, &[0])).await.unwrap();
            titles.insert(title);
        }

        let accepted = sink.wait_for("accepted", 20, Duration::from_secs(60)).await;
        tokio::time::sleep(2 * POLL + Duration::from_secs(1)).await;
        let accepted_after = sink.of("accepted");
        assert_eq!(accepted_after.len(), 20, "{accepted_after:#?}");
        assert_eq!(accepted.len(), 20);
        let ids: BTreeSet<_> = accepted_after
            .iter()
            .map(|e| e.message_id.clone())
            .collect();
        assert_eq!(ids.len(), 20, "20 distinct Message-IDs: {ids:?}");
        let subjects: BTreeSet<_> = accepted_after
            .iter()
            .map(|e| {
                e.subject
                    .trim_start_matches("Reminder: ")
                    .split(" — ")
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(subjects, titles);
        assert!(accepted_after.iter().all(|e| e.rcpt_tos == [email.clone()]));
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 20, "{rows:#?}");
        // One claim each: no row was ever held by two replicas.
        assert!(
            rows.iter().all(|r| (r.sent, r.attempts) == (1, 1)),
            "{rows:#?}"
        );
        let mut sent_by = Vec::new();
        for replica in &replicas {
            let counts = reminder_counts(&replica.ctx.api).await;
            sent_by.push(counts.get("sent").copied().unwrap_or(0));
        }
        assert_eq!(sent_by.iter().sum::<u64>(), 20, "{sent_by:?}");
        assert!(
            sent_by.iter().filter(|n| **n > 0).count() >= 2,
            "the replicas shared the work: {sent_by:?}"
        );
        eprintln!("replicas sent {sent_by:?}");

        for replica in replicas {
            replica.stop().await;
        }
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

/// A replica as its own process (the real binary), to be killed hard.
struct Process {
    child: Child,
}

impl Process {
    async fn start(database: &TestDatabase, vars: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_todo-backend"));
        command
            .env_clear()
            .env("DATABASE_URL", &database.url)
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("JWT_SECRET", crate::support::JWT_SECRET)
            .env("LOG_FORMAT", "json")
            .env("WRITES_PER_MINUTE_PER_USER", "100000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (name, value) in vars {
            command.env(name, value);
        }
        let child = command.spawn().expect("the binary starts");
        let api = ApiClient::new(format!("http://127.0.0.1:{port}"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while api.ready().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the replica never became ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child }
    }

    /// SIGKILL: no shutdown, no giving back.
    async fn kill(mut self) {
        self.child.kill().await.expect("the replica is killed");
    }
}

async fn a_replica_killed_mid_send_leaves_its_batch_to_another_once_the_lease_runs_out(
    ctx: TestCtx,
) {
    bounded(async {
        // The third message is never answered: replica A waits on it.
        let sink = SmtpSink::start(&["--hang-on", "3"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        let url = sink.url();
        let lease = "10";
        let poll = POLL.as_secs().to_string();
        let vars = [
            ("SMTP_URL", url.as_str()),
            ("SMTP_FROM", FROM),
            ("REMINDER_POLL_SECONDS", poll.as_str()),
            ("REMINDER_LEASE_SECONDS", lease),
            ("REMINDER_RETRY_SECONDS", "1"),
        ];
        // The reminders are all there before A starts, so its first poll
        // records and claims them together.
        let seeding = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
        let (owner, _) = user_in(&seeding.ctx.api, "Kai", "Europe/Lisbon").await;
        let due = local_minute("Europe/Lisbon", chrono::Duration::zero());
        for i in 0..8 {
            owner
                .create_task(&task(&format!("Errand {i}"), due, &[0]))
                .await
                .unwrap();
        }
        seeding.stop().await;
        let first = Process::start(&database, &vars).await;
        let hanging = sink
            .wait_until("replica A hangs on the third message", 3 * POLL, |events| {
                events.iter().any(|e| e.event == "hanging")
            })
            .await;
        first.kill().await;
        let hung = hanging
            .iter()
            .find(|e| e.event == "hanging")
            .unwrap()
            .clone();
        assert_eq!(hung.n, Some(3));
        let before = sink.of("accepted");
        assert_eq!(before.len(), 2, "A sent two before it hung: {before:#?}");
        // A held the rest of its batch: leased, not sent.
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 8, "{rows:#?}");
        assert_eq!(rows.iter().filter(|r| r.sent == 1).count(), 2, "{rows:#?}");
        assert_eq!(
            rows.iter().filter(|r| r.leased == 1).count(),
            6,
            "{rows:#?}"
        );

        // Replica B, started after A died, delivers the rest once A's
        // leases run out (10 s) at one of its polls.
        let config = test_config(&database.url, &vars);
        let second = RunningApp::start(config, ctx.backend.clone()).await;
        let accepted = sink.wait_for("accepted", 8, Duration::from_secs(40)).await;
        tokio::time::sleep(POLL + Duration::from_secs(1)).await;
        let accepted_after = sink.of("accepted");
        assert_eq!(accepted_after.len(), 8, "{:#?}", sink.events());
        assert_eq!(accepted.len(), 8);
        let ids: BTreeSet<_> = accepted_after
            .iter()
            .map(|e| e.message_id.clone())
            .collect();
        assert_eq!(ids.len(), 8, "every reminder once: {ids:?}");
        // The message A never heard back about went again, under the same
        // Message-ID: a receiver that had taken A's copy drops this one.
        assert!(ids.contains(&hung.message_id), "{hung:?} {ids:?}");
        let rows = deliveries(&database).await;
        assert!(
            rows.iter().all(|r| r.sent == 1 && r.leased == 0),
            "{rows:#?}"
        );
        let counts = reminder_counts(&second.ctx.api).await;
        assert_eq!(
            counts.get("sent"),
            Some(&6),
            "B sent the six left: {counts:?}"
        );

        second.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn a_replica_shut_down_mid_batch_gives_the_rest_back_at_once(ctx: TestCtx) {
    bounded(async {
        // Two seconds a message: the replica is mid-batch when it stops.
        let sink = SmtpSink::start(&["--delay-ms", "2000"]).await;
        let database = TestDatabase::create(&ctx.backend).await;
        // A lease far longer than the case: a row left leased would not
        // be sent again within it.
        let lease = [("REMINDER_LEASE_SECONDS", "3600")];
        let seeding = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
        let (owner, _) = user_in(&seeding.ctx.api, "Remy", "UTC").await;
        let due = local_minute("UTC", chrono::Duration::zero());
        for i in 0..5 {
            owner
                .create_task(&task(&format!("Chore {i}"), due, &[0]))
                .await
                .unwrap();
        }
        seeding.stop().await;
        let first = RunningApp::start(
            config_with_smtp(&database, &sink, &lease),
            ctx.backend.clone(),
        )
        .await;
        sink.wait_for("accepted", 1, 2 * POLL).await;
        // Stopping: the message being sent is finished, the rest given
        // back, within the worker's stop limit (10 s).
        let stopping = tokio::time::Instant::now();
        first.stop().await;
        let took = stopping.elapsed();
        assert!(took < Duration::from_secs(10), "stopping took {took:?}");
        let sent = sink.of("accepted").len();
        assert!((1..5).contains(&sent), "{:#?}", sink.events());
        let rows = deliveries(&database).await;
        assert_eq!(rows.len(), 5, "{rows:#?}");
        assert_eq!(
            rows.iter().filter(|r| r.sent == 1).count(),
            sent,
            "{rows:#?}"
        );
        assert!(
            rows.iter()
                .filter(|r| r.sent == 0)
                .all(|r| r.leased == 0 && r.attempts == 0),
            "the unsent are free again, their claim not counted: {rows:#?}"
        );

        // Another replica sends them at its first poll, long before the
        // lease would have run out.
        let second = RunningApp::start(
            config_with_smtp(&database, &sink, &lease),
            ctx.backend.clone(),
        )
        .await;
        sink.wait_for("accepted", 5, Duration::from_secs(30)).await;
        let ids: BTreeSet<_> = sink
            .of("accepted")
            .iter()
            .map(|e| e.message_id.clone())
            .collect();
        assert_eq!(ids.len(), 5, "{:#?}", sink.events());
        assert!(
            deliveries(&database)
                .await
                .iter()
                .all(|r| r.sent == 1 && r.attempts == 1)
        );

        second.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}

async fn nine_in_berlin_after_the_spring_change_is_reminded_at_seven_utc(ctx: TestCtx) {
    bounded(async {
        let sink = SmtpSink::start(&[]).await;
        // The worker runs here, on a clock of the test's: 29 March 2027 is
        // months away, and a reminder may lead by 28 days at most.
        let database = TestDatabase::create(&ctx.backend).await;
        let app = RunningApp::start(test_config(&database.url, &[]), ctx.backend.clone()).await;
        let (owner, email) = user_in(&app.ctx.api, "Lena", "Europe/Berlin").await;
        let at_nine = |day| {
            NaiveDate::from_ymd_opt(2027, 3, day)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
        };
        // Clocks in Berlin go forward on 28 March 2027.
        let winter = owner
            .create_task(&task("Winter dentist", at_nine(27), &[0]))
            .await
            .unwrap();
        let summer = owner
            .create_task(&task("Summer dentist", at_nine(29), &[0]))
            .await
            .unwrap();

        let store = Store::open(&DatabaseSettings::from_url(&database.url).unwrap()).unwrap();
        let smtp = SmtpSettings::parse(&sink.url(), Some(FROM)).unwrap();
        let clock = Arc::new(AtomicI64::new(0));
        let now = clock.clone();
        let mut worker = Worker::new(
            store.clone(),
            &ReminderSettings::default(),
            &smtp,
            Arc::new(Metrics::new()),
        )
        .unwrap()
        .with_clock(Arc::new(move || {
            DateTime::from_timestamp(now.load(Ordering::SeqCst), 0).unwrap()
        }));
        let (_keep, stopping) = tokio::sync::watch::channel(false);
        let mut poll_at = async |y, m, d, h, min| {
            let at = Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
            clock.store(at.timestamp(), Ordering::SeqCst);
            worker.poll(&stopping).await.expect("the poll works")
        };

        // 09:00 CET is 08:00Z.
        assert_eq!(poll_at(2027, 3, 27, 7, 59).await.recorded, 0);
        let report = poll_at(2027, 3, 27, 8, 0).await;
        assert_eq!((report.recorded, report.sent), (1, 1), "{report:?}");
        // 09:00 CEST is 07:00Z, not 08:00Z.
        let report = poll_at(2027, 3, 29, 6, 59).await;
        assert_eq!((report.recorded, report.sent), (0, 0), "{report:?}");
        let report = poll_at(2027, 3, 29, 7, 0).await;
        assert_eq!((report.recorded, report.sent), (1, 1), "{report:?}");

        let accepted = sink.wait_for("accepted", 2, Duration::from_secs(10)).await;
        assert_eq!(accepted.len(), 2, "{accepted:#?}");
        assert_eq!(
            accepted[0].subject,
            "Reminder: Winter dentist — due 09:00 (Europe/Berlin)"
        );
        assert_eq!(
            accepted[1].subject,
            "Reminder: Summer dentist — due 09:00 (Europe/Berlin)"
        );
        assert!(accepted.iter().all(|e| e.rcpt_tos == [email.clone()]));
        assert!(
            body_of(&accepted[1])
                .contains("Due:      Monday, 29 March 2027, 09:00 (Europe/Berlin)")
        );
        let rows = deliveries(&database).await;
        let due_at: Vec<_> = rows.iter().map(|r| (r.task_id, r.due_at)).collect();
        assert_eq!(
            due_at,
            [
                (
                    winter.id,
                    Utc.with_ymd_and_hms(2027, 3, 27, 8, 0, 0).unwrap()
                ),
                (
                    summer.id,
                    Utc.with_ymd_and_hms(2027, 3, 29, 7, 0, 0).unwrap()
                ),
            ]
        );

        store.close().await;
        app.stop().await;
        sink.stop().await;
        database.drop().await;
    })
    .await;
}
