//! The `todo-backend` binary as an operator runs it: configuration errors,
//! graceful shutdown on SIGTERM, and the `selftest`/`check` subcommands.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use todo_api::{ApiClient, SignupRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// Shared with the contract suite, which uses all of it; this file only starts one.
#[allow(dead_code)]
#[path = "common/own_postgres.rs"]
mod own_postgres;

use own_postgres::OwnPostgres;

const BINARY: &str = env!("CARGO_BIN_EXE_todo-backend");
const SECRET: &str = "cli-tests-secret-0123456789abcdef0123";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process started from the real binary on a fresh SQLite file.
struct Server {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("todo.db").display()),
            )
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("JWT_SECRET", SECRET)
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().expect("the binary starts");
        let server = Self {
            child,
            port,
            _dir: dir,
        };
        let api = server.api();
        let deadline = Instant::now() + Duration::from_secs(20);
        while api.ready().await.is_err() {
            assert!(Instant::now() < deadline, "server never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn api(&self) -> ApiClient {
        ApiClient::new(self.url())
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for exit, up to `limit`.
    fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_binary(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(BINARY);
    command.env_clear().args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

#[test]
fn startup_without_jwt_secret_names_the_variable() {
    let out = run_binary(&["serve"], &[("DATABASE_URL", "sqlite::memory:")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}

#[test]
fn startup_with_an_unparsable_database_url_names_the_variable() {
    for url in [
        "mysql://localhost/todo",
        "postgres://user@host:notaport/db",
        "not a url",
    ] {
        let out = run_binary(&["serve"], &[("JWT_SECRET", SECRET), ("DATABASE_URL", url)]);
        assert_eq!(out.status.code(), Some(2), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("DATABASE_URL"), "{url}: {stderr}");
    }
}

#[test]
fn migrate_with_an_unreachable_database_fails_naming_it() {
    let port = free_port();
    let url = format!("postgres://todo:secret@127.0.0.1:{port}/todo");
    let out = run_binary(
        &["migrate"],
        &[
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", &url),
            ("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "2"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        !stderr.contains("secret@"),
        "the password is redacted: {stderr}"
    );
}

/// A child process killed when the test ends, however it ends.
struct Reaped(std::process::Child);

impl Reaped {
    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn status_of(api: &ApiClient, path: &str) -> Option<u16> {
    let response = api.request(reqwest::Method::GET, path).send().await.ok()?;
    Some(response.status().as_u16())
}

/// Started before its database, the server stays up: `/health` 200,
/// `/ready` 503 and the API 503 while it retries, then it migrates and
/// becomes ready by itself when a real PostgreSQL appears, with no restart.
#[tokio::test]
async fn serve_waits_for_a_postgresql_that_starts_late() {
    let (port, http_port) = (free_port(), free_port());
    let password = "late-secret-pw";
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new(BINARY)
        .env_clear()
        .env(
            "DATABASE_URL",
            format!("postgres://todo:{password}@127.0.0.1:{port}/postgres"),
        )
        .env("BIND_ADDR", "127.0.0.1")
        .env("PORT", http_port.to_string())
        .env("JWT_SECRET", SECRET)
        .env("LOG_FORMAT", "json")
        .env("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "1")
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let mut server = Reaped(child);
    let api = ApiClient::new(format!("http://127.0.0.1:{http_port}"));

    let deadline = Instant::now() + Duration::from_secs(20);
    while status_of(&api, "/health").await != Some(200) {
        assert!(Instant::now() < deadline, "/health never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        assert_eq!(status_of(&api, "/health").await, Some(200));
        assert_eq!(status_of(&api, "/ready").await, Some(503));
        assert_eq!(status_of(&api, "/api/tasks/stats").await, Some(503));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("DATABASE_URL"), "{logged}");
    assert!(!logged.contains(password), "the password stays out of logs");

    let _postgres = OwnPostgres::start(port, password);
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_of(&api, "/ready").await != Some(200) {
        assert!(Instant::now() < deadline, "never became ready");
        assert!(server.alive(), "the server exited instead of waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.alive(), "ready without a restart");
    let auth = api
        .signup(&SignupRequest {
            email: "late@example.com".into(),
            password: "patient person".into(),
            name: "Late".into(),
            time_zone: None,
        })
        .await
        .expect("the API works once migrated");
    api.with_token(&auth.token).stats().await.unwrap();
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let mut server = Server::start(&[("SHUTDOWN_GRACE_SECONDS", "10")]).await;
    let auth = server
        .api()
        .signup(&SignupRequest {
            email: "slow@example.com".into(),
            password: "slow but sure".into(),
            name: "Slow".into(),
            time_zone: None,
        })
        .await
        .unwrap();

    // 20 requests whose bodies are only half sent: in flight, server-side.
    let body = br#"{"title": "sent in two halves", "priority": "high"}"#;
    let (first, second) = body.split_at(body.len() / 2);
    let mut streams = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let head = format!(
            "POST /api/tasks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            auth.token,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(first).await.unwrap();
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(("127.0.0.1", server.port))
            .await
            .is_err(),
        "new connections are refused once shutdown starts"
    );

    let mut finished = 0;
    for mut stream in streams {
        stream.write_all(second).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response);
        assert!(
            text.starts_with("HTTP/1.1 201"),
            "in-flight request completed: {text}"
        );
        finished += 1;
    }
    assert_eq!(finished, 20);

    let status = server
        .wait(Duration::from_secs(10))
        .expect("exits within the grace period");
    assert_eq!(status.code(), Some(0));
    assert!(signalled.elapsed() < Duration::from_secs(10));
}

/// What an OTLP/HTTP receiver got: each span's name with its resource's
/// `service.name`.
async fn receive_spans() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
) {
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    };
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use prost::Message as _;

    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let spans = received.clone();
    let receiver = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| async move {
            let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
            for resource_spans in request.resource_spans {
                let service = resource_spans
                    .resource
                    .iter()
                    .flat_map(|resource| &resource.attributes)
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                        Value::StringValue(name) => Some(name.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let names = resource_spans
                    .scope_spans
                    .into_iter()
                    .flat_map(|scope| scope.spans)
                    .map(|span| (service.clone(), span.name));
                spans.lock().unwrap().extend(names);
            }
            ExportTraceServiceResponse::default().encode_to_vec()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    (url, received)
}

// The receiver answers on a worker while this thread waits for the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn sigterm_sends_the_last_spans_before_exiting() {
    let (collector, received) = receive_spans().await;
    // Batches go out every 5 s by default: only the flush on shutdown can
    // deliver these in time.
    let mut server = Server::start(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &collector)]).await;
    server.api().health().await.unwrap();
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(0));
    let spans = received.lock().unwrap().clone();
    assert!(
        spans.contains(&("todo-backend".to_owned(), "GET /health".to_owned())),
        "the request's span, named after the executable: {spans:?}"
    );
    assert!(
        spans.contains(&("todo-backend".to_owned(), "GET /ready".to_owned())),
        "{spans:?}"
    );
}

#[test]
fn bad_trace_settings_stop_startup_naming_the_variable() {
    let out = run_binary(
        &["serve"],
        &[
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "sqlite::memory:"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector.example.com",
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}

#[tokio::test]
async fn sigint_also_shuts_down_cleanly() {
    let mut server = Server::start(&[]).await;
    server.signal("INT");
    let status = server.wait(Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(0));
}

async fn run_selftest(url: String) -> std::process::Output {
    tokio::task::spawn_blocking(move || run_binary(&["selftest", "--url", &url], &[]))
        .await
        .unwrap()
}

#[tokio::test]
async fn selftest_passes_against_a_live_backend() {
    let server = Server::start(&[]).await;
    let out = run_selftest(server.url()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("selftest passed"));
    for step in [
        "calendar feed",
        "complete repeating task",
        "revoke calendar feed",
    ] {
        assert!(
            stdout.contains(&format!("ok    {step}")),
            "{step}: {stdout}"
        );
    }
    // It cleaned up after itself: its account is gone, so no user remains
    // that could log in, and the metrics show the account was deleted.
    let metrics = reqwest::get(format!("{}/metrics", server.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"http_requests_total{method="DELETE",route="/api/auth/me",status="204"} 1"#
        ),
        "{metrics}"
    );
}

/// Forwards to `upstream`, but answers task creation with 200 instead of
/// 201: a backend that breaks the contract in one small way.
async fn start_broken_proxy(upstream: String) -> String {
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: Request| {
        let client = client.clone();
        let upstream = upstream.clone();
        async move {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let url = format!(
                "{upstream}{}",
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            );
            let mut forwarded = client.request(parts.method.clone(), url).body(bytes);
            for (name, value) in &parts.headers {
                if name != "host" {
                    forwarded = forwarded.header(name, value);
                }
            }
            let answer = forwarded.send().await.unwrap();
            let mut status = answer.status();
            if parts.method == "POST"
                && parts.uri.path() == "/api/tasks"
                && status == StatusCode::CREATED
            {
                status = StatusCode::OK;
            }
            let headers = answer.headers().clone();
            let mut response = Response::new(Body::from(answer.bytes().await.unwrap()));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn selftest_fails_with_a_readable_diff_against_a_broken_backend() {
    let server = Server::start(&[]).await;
    let broken = start_broken_proxy(server.url()).await;
    let out = run_selftest(broken).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("step `create task` failed"), "{stderr}");
    assert!(stderr.contains("expected: 201 Created"), "{stderr}");
    assert!(stderr.contains("actual:   200 OK"), "{stderr}");
}

#[tokio::test]
async fn check_exits_zero_only_on_200() {
    let server = Server::start(&[]).await;
    let check = |args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_binary(&args, &[]).status.success()
        })
        .await
        .unwrap()
    };
    let url = server.url();
    assert!(
        check(vec![
            "check".into(),
            "--url".into(),
            format!("{url}/health")
        ])
        .await
    );
    assert!(
        check(vec![
            "check".into(),
            "--url".into(),
            url.clone(),
            "--ready".into()
        ])
        .await
    );
    assert!(
        !check(vec![
            "check".into(),
            "--url".into(),
            format!("{url}/missing")
        ])
        .await
    );
    let closed = format!("http://127.0.0.1:{}/health", free_port());
    assert!(!check(vec!["check".into(), "--url".into(), closed]).await);
}
