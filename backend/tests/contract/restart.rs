//! A PostgreSQL restart, as a Pod restart, a node drain or a crash does it,
//! costs users at most a 503 with Retry-After: never a 500, never an
//! acknowledged write, and service is whole again within seconds of the
//! database's return, with no restart of the backend. Each case runs a
//! server of its own (`common/own_postgres.rs`) so it can stop it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use todo_api::ApiClient;
use uuid::Uuid;

use crate::own_postgres::{OwnPostgres, StopMode};
use crate::support::{RunningApp, TestCtx, TestFn, test_config};

pub fn postgres_cases() -> Vec<(&'static str, TestFn)> {
    crate::cases![
        requests_right_after_a_stop_and_a_start_are_503_then_served,
        load_through_two_restarts_loses_nothing_and_recovers,
    ]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A backend on a PostgreSQL of its own, migrated and ready, with a user.
struct Stage {
    postgres: OwnPostgres,
    app: RunningApp,
    user: ApiClient,
}

impl Stage {
    async fn start(ctx: &TestCtx) -> Self {
        let postgres = OwnPostgres::start(free_port(), "restart-test-pw");
        let app = RunningApp::start(
            test_config(
                &postgres.url("postgres"),
                &[
                    ("DATABASE_MAX_CONNECTIONS", "5"),
                    ("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "2"),
                ],
            ),
            ctx.backend.clone(),
        )
        .await;
        let api = app.ctx.api.clone();
        let deadline = Instant::now() + Duration::from_secs(20);
        while api.ready().await.is_err() {
            assert!(Instant::now() < deadline, "never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (user, _) = app.ctx.user("restarted").await;
        Self {
            postgres,
            app,
            user,
        }
    }

    /// Opens every pooled connection: concurrent reads, each on its own.
    async fn warm(&self) {
        let reads = (0..6).map(|_| send(&self.user, Request::List));
        for answer in futures::future::join_all(reads).await {
            assert_eq!(answer.status, StatusCode::OK, "warming: {answer:?}");
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Request {
    List,
    Create,
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
    at: Instant,
}

async fn send(api: &ApiClient, request: Request) -> Answer {
    let builder = match request {
        Request::List => api.request(Method::GET, "/api/tasks?limit=5"),
        Request::Create => api
            .request(Method::POST, "/api/tasks")
            .json(&json!({"title": format!("kept {}", Uuid::new_v4()), "tags": ["restart"]})),
    };
    let response = builder.send().await.expect("the backend answers");
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
        at: Instant::now(),
    }
}

/// A 503 in the one error shape, saying when to retry.
fn assert_unavailable(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {answer:?}"
    );
    assert_eq!(
        answer.body["error"]["code"], "unavailable",
        "{what}: {answer:?}"
    );
    let seconds: u64 = answer
        .retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what}: a 503 says when to retry: {answer:?}"));
    assert!((1..=30).contains(&seconds), "{what}: {answer:?}");
}

/// The operator's experiment: warm the pool, stop the database, and the
/// very first request that meets a connection the server closed is a 503
/// (it was a 500: "terminating connection due to administrator command"),
/// as is every request until the database is back; then, with a pool full
/// of connections to the old server, the first requests are served.
async fn requests_right_after_a_stop_and_a_start_are_503_then_served(ctx: TestCtx) {
    let stage = Stage::start(&ctx).await;
    let api = &stage.app.ctx.api;
    for mode in [StopMode::Fast, StopMode::Immediate] {
        stage.warm().await;
        stage.postgres.stop(mode);
        for i in 0..6 {
            assert_unavailable(
                &send(&stage.user, Request::List).await,
                &format!("{mode:?} read {i}"),
            );
        }
        assert_unavailable(
            &send(&stage.user, Request::Create).await,
            &format!("{mode:?} write"),
        );
        let ready = api.request(Method::GET, "/ready").send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE, "{mode:?}");
        let health = api.request(Method::GET, "/health").send().await.unwrap();
        assert_eq!(
            health.status(),
            StatusCode::OK,
            "liveness ignores the database"
        );

        stage.postgres.start_again();
        let ready = api.request(Method::GET, "/ready").send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK, "{mode:?}: ready at once");

        // Warm again, restart with nobody asking, then ask: every pooled
        // connection belongs to the old server.
        stage.warm().await;
        stage.postgres.stop(mode);
        stage.postgres.start_again();
        let reads = (0..6).map(|_| send(&stage.user, Request::List));
        for answer in futures::future::join_all(reads).await {
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{mode:?}: a read after a restart: {answer:?}"
            );
        }
        let write = send(&stage.user, Request::Create).await;
        assert_eq!(write.status, StatusCode::CREATED, "{mode:?}: {write:?}");
    }
    stage.app.stop().await;
}

/// Clients keep reading and writing while the database is stopped fast,
/// started, killed (immediate) and started again.
async fn load_through_two_restarts_loses_nothing_and_recovers(ctx: TestCtx) {
    let stage = Stage::start(&ctx).await;
    stage.warm().await;
    let until = Instant::now() + Duration::from_secs(9);
    let clients: Vec<_> = (0..6)
        .map(|client| {
            let user = stage.user.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut turn = client;
                while Instant::now() < until {
                    let request = if turn % 2 == 0 {
                        Request::Create
                    } else {
                        Request::List
                    };
                    answers.push(send(&user, request).await);
                    turn += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                answers
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(800)).await;
    let postgres = &stage.postgres;
    postgres.stop(StopMode::Fast);
    tokio::time::sleep(Duration::from_millis(600)).await;
    postgres.start_again();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    postgres.stop(StopMode::Immediate);
    tokio::time::sleep(Duration::from_millis(600)).await;
    postgres.start_again();
    let back_at = Instant::now();

    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }
    let mut acknowledged = BTreeSet::new();
    let mut unavailable = 0;
    let mut last_failure = None;
    for answer in &answers {
        match answer.status {
            StatusCode::OK => {}
            StatusCode::CREATED => {
                acknowledged.insert(answer.body["id"].as_str().unwrap().to_owned());
            }
            _ => {
                assert_unavailable(answer, "under load");
                unavailable += 1;
                last_failure = Some(answer.at);
            }
        }
    }
    assert!(
        unavailable > 0,
        "the restarts were not met by any request: the case proves nothing"
    );
    assert!(
        acknowledged.len() > 20,
        "too few writes: {}",
        acknowledged.len()
    );
    if let Some(last) = last_failure {
        let after = last.saturating_duration_since(back_at);
        assert!(
            after < Duration::from_secs(3),
            "service came back {after:?} after the database did"
        );
    }

    let mut database = PgConnection::connect(&postgres.url("postgres"))
        .await
        .unwrap();
    let stored: BTreeSet<String> = sqlx::query_scalar::<_, Uuid>("SELECT id FROM tasks")
        .fetch_all(&mut database)
        .await
        .unwrap()
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    let tagged: i64 = sqlx::query_scalar("SELECT count(*) FROM task_tags WHERE tag = 'restart'")
        .fetch_one(&mut database)
        .await
        .unwrap();
    assert_eq!(
        tagged as usize,
        stored.len(),
        "every stored task has its tag: nothing half-written"
    );
    eprintln!(
        "restart load: {} answers, {} created, {unavailable} × 503",
        answers.len(),
        acknowledged.len()
    );
    stage.app.stop().await;
}
