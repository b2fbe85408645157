//! Test harness plumbing: provisions a fresh database per test (a SQLite
//! file, or a new PostgreSQL database), spawns the real application on
//! port 0, and hands the test a typed client.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use todo_service::application::Configured as _;

use reqwest::StatusCode;
use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};
use todo_api::{ApiClient, AuthResponse, ErrorBody, ErrorCode, SignupRequest};
use todo_backend::{Application, Config};
use tokio::sync::oneshot;
use uuid::Uuid;

pub type TestFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
pub type TestFn = fn(TestCtx) -> TestFuture;

/// Registers async test functions under their own names.
#[macro_export]
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), (|ctx| Box::pin($name(ctx))) as $crate::support::TestFn)),*]
    };
}

pub const JWT_SECRET: &str = "contract-tests-secret-0123456789abcdef";

/// Which database a run uses.
#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(Arc<PostgresServer>),
    /// PostgreSQL was wanted but none could be found or started.
    Unavailable(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) | Backend::Unavailable(_) => "postgres",
        }
    }
}

/// A PostgreSQL server where each test gets its own database.
pub struct PostgresServer {
    admin_url: url::Url,
    pub origin: &'static str,
    _container: Option<ContainerAsync<Postgres>>,
}

impl PostgresServer {
    /// `TEST_DATABASE_URL`, else a `postgres://` `DATABASE_URL`, else a
    /// throwaway container through testcontainers. Never silently skipped:
    /// the error explains how to provide one.
    pub async fn find() -> Result<Self, String> {
        for var in ["TEST_DATABASE_URL", "DATABASE_URL"] {
            if let Ok(url) = std::env::var(var)
                && (url.starts_with("postgres://") || url.starts_with("postgresql://"))
            {
                let admin_url = url::Url::parse(&url).map_err(|e| format!("{var}: {e}"))?;
                PgConnection::connect(admin_url.as_str())
                    .await
                    .map_err(|e| format!("{var} is set but PostgreSQL is unreachable: {e}"))?;
                return Ok(Self {
                    admin_url,
                    origin: var,
                    _container: None,
                });
            }
        }
        let image =
            std::env::var("TEST_POSTGRES_IMAGE").unwrap_or_else(|_| "postgres:15-bookworm".into());
        let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
        let container = Postgres::default()
            .with_name(name)
            .with_tag(tag)
            .start()
            .await
            .map_err(|e| {
                format!(
                    "no PostgreSQL for the contract tests: TEST_DATABASE_URL is unset and \
                     testcontainers could not start {image} ({e}). Either export \
                     TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres, or run \
                     `cargo xtask test` (which starts a throwaway PostgreSQL), or start Docker \
                     (set TEST_POSTGRES_IMAGE to use a local image)."
                )
            })?;
        let port = container
            .get_host_port_ipv4(5432)
            .await
            .map_err(|e| format!("testcontainers: {e}"))?;
        let admin_url = url::Url::parse(&format!(
            "postgres://postgres:postgres@127.0.0.1:{port}/postgres"
        ))
        .expect("a valid URL");
        Ok(Self {
            admin_url,
            origin: "testcontainers",
            _container: Some(container),
        })
    }

    /// Removes the container, if this server is one.
    pub async fn shutdown(self) {
        if let Some(container) = self._container {
            let _ = container.rm().await;
        }
    }

    async fn create_database(&self) -> String {
        let name = format!("todo_test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(self.admin_url.as_str())
            .await
            .expect("admin connection");
        admin
            .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .expect("CREATE DATABASE");
        let mut url = self.admin_url.clone();
        url.set_path(&format!("/{name}"));
        url.to_string()
    }

    async fn drop_database(&self, url: &str) {
        let name = url::Url::parse(url)
            .expect("valid")
            .path()
            .trim_start_matches('/')
            .to_owned();
        if let Ok(mut admin) = PgConnection::connect(self.admin_url.as_str()).await {
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                )))
                .await;
        }
    }
}

/// A database that lives as long as one test.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn create(backend: &Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("todo.db").display());
                Self {
                    url,
                    backend: backend.clone(),
                    _dir: Some(dir),
                }
            }
            Backend::Postgres(server) => Self {
                url: server.create_database().await,
                backend: backend.clone(),
                _dir: None,
            },
            Backend::Unavailable(why) => panic!("{why}"),
        }
    }

    pub async fn drop(self) {
        if let Backend::Postgres(server) = &self.backend {
            server.drop_database(&self.url).await;
        }
    }
}

/// The configuration every test app starts from; `overrides` replace
/// single variables.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.into()),
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("JWT_SECRET".into(), JWT_SECRET.into()),
        ("LOG_FORMAT".into(), "pretty".into()),
        ("DATABASE_MAX_CONNECTIONS".into(), "5".into()),
        ("SHUTDOWN_GRACE_SECONDS".into(), "5".into()),
        // Conversations of dozens of turns; the limit has a test of its own.
        ("CHAT_REQUESTS_PER_MINUTE".into(), "1000".into()),
        // Cases that write in bulk; the budgets have cases of their own.
        ("WRITES_PER_MINUTE_PER_USER".into(), "100000".into()),
        ("MCP_TOOL_CALLS_PER_MINUTE_PER_USER".into(), "100000".into()),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test configuration is valid")
}

/// What a test gets: a client for a running app and its address.
#[derive(Clone)]
pub struct TestCtx {
    pub api: ApiClient,
    pub backend: Backend,
}

pub struct RunningApp {
    pub ctx: TestCtx,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningApp {
    pub async fn start(config: Config, ctx_backend: Backend) -> Self {
        let app = Application::build(config)
            .await
            .expect("the application builds");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let api = ApiClient::new(format!("http://{addr}"));
        Self {
            ctx: TestCtx {
                api,
                backend: ctx_backend,
            },
            stop,
            server,
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server
            .await
            .expect("server task")
            .expect("server stops cleanly");
    }
}

/// Runs one test against a fresh database and app, cleaning up even when
/// the test fails.
pub async fn run_case(backend: Backend, test: TestFn) -> Result<(), String> {
    let database = TestDatabase::create(&backend).await;
    let app = RunningApp::start(test_config(&database.url, &[]), backend).await;
    let outcome = tokio::spawn(test(app.ctx.clone())).await;
    app.stop().await;
    database.drop().await;
    outcome.map_err(|e| match e.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "test panicked".into()),
        Err(e) => e.to_string(),
    })
}

impl TestCtx {
    /// Signs up a fresh user and returns a client acting as them.
    pub async fn user(&self, name: &str) -> (ApiClient, AuthResponse) {
        let auth = self
            .api
            .signup(&SignupRequest {
                email: format!("{name}-{}@example.com", Uuid::new_v4().simple()),
                password: "correct horse battery".into(),
                name: name.into(),
                time_zone: None,
            })
            .await
            .expect("signup succeeds");
        (self.api.with_token(&auth.token), auth)
    }
}

/// Asserts a response is the contract's error with `status` and `code`,
/// and returns its body.
pub async fn expect_error(
    response: reqwest::Response,
    status: StatusCode,
    code: ErrorCode,
) -> ErrorBody {
    let actual = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "status; body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type:?}"
    );
    let body: ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("error shape: {e}: {text}"));
    assert_eq!(body.error.code, code, "code; body: {text}");
    assert!(!body.error.message.is_empty());
    body
}

/// `GET path` by `api`, its body read as JSON (whatever the status).
pub async fn get_json<T: serde::de::DeserializeOwned>(api: &ApiClient, path: &str) -> T {
    api.request(reqwest::Method::GET, path)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

/// `method path` with `body` as JSON, sent by `api`: the response, whatever
/// its status.
pub async fn send_json(
    api: &ApiClient,
    method: reqwest::Method,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    api.request(method, path)
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// Asserts a response is the contract's 422 `validation_failed`, and
/// returns its body (whose `fields` name every bad field).
pub async fn expect_invalid(response: reqwest::Response) -> ErrorBody {
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await
}

/// Asserts a client error is the contract's error with `status` and `code`.
pub fn expect_api_error(
    result: Result<impl std::fmt::Debug, todo_api::ClientError>,
    status: StatusCode,
    code: ErrorCode,
) -> ErrorBody {
    match result {
        Err(todo_api::ClientError::Api { status: s, body }) => {
            assert_eq!(s, status, "{body:?}");
            assert_eq!(body.error.code, code, "{body:?}");
            body
        }
        other => panic!("expected {status} {code:?}, got {other:?}"),
    }
}

/// A JSON value's keys, for asserting which fields an error names.
pub fn field_names(body: &ErrorBody) -> Vec<String> {
    body.error.fields.keys().cloned().collect()
}

/// Counts the connections to the current database, other than `admin`'s,
/// left idle inside a transaction, giving the server up to `patience` to
/// finish what it still runs: a connection stranded in a transaction
/// stays that way.
pub async fn connections_in_transaction(
    admin: &mut PgConnection,
    patience: std::time::Duration,
) -> i64 {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&mut *admin)
        .await
        .expect("pg_stat_activity");
        if open == 0 || tokio::time::Instant::now() >= deadline {
            return open;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Moves expiries an hour into the past, as time would: runs `sql`, an
/// `UPDATE … SET expires_at = $1 …` (with `$2` bound to `id` when given),
/// on the test database itself. Returns how many rows changed.
pub async fn expire_rows(database_url: &str, sql: &'static str, id: Option<Uuid>) -> u64 {
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    if database_url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        let mut query = sqlx::query(sql).bind(past);
        if let Some(id) = id {
            query = query.bind(id);
        }
        query.execute(&mut conn).await.unwrap().rows_affected()
    } else {
        let mut conn = PgConnection::connect(database_url).await.unwrap();
        let mut query = sqlx::query(sql).bind(past);
        if let Some(id) = id {
            query = query.bind(id);
        }
        query.execute(&mut conn).await.unwrap().rows_affected()
    }
}
