//! `server::serve` against raw TCP clients on loopback: a client that
//! sends its request head slowly, or never, cannot hold the server (the
//! header-read timeout closes it; `MAX_CONNECTIONS` bounds how many are
//! open), and shutdown still lets a request in flight finish.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use todo_service::env::{Vars, lookup};
use todo_service::server::{LogFormat, ServerSettings, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long `/slow` takes to answer.
const SLOW_HANDLER: Duration = Duration::from_millis(800);

/// Long enough for loopback, short enough to keep each test a few seconds.
const PATIENCE: Duration = Duration::from_secs(3);

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        // The peer's address as the handler sees it: ConnectInfo must be in
        // every request's extensions, as `axum::serve` put it there.
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(SLOW_HANDLER).await;
                "done"
            }),
        )
        .route(
            "/endless",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(600)).await;
                "too late"
            }),
        )
}

/// A server on 127.0.0.1, port 0, configured by `vars` as the binaries are.
struct Running {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    /// Completes when `serve` returns, with the time it did.
    served: JoinHandle<Instant>,
}

impl Running {
    async fn start(vars: &[(&str, &str)]) -> Self {
        let mut pairs = vec![("BIND_ADDR", "127.0.0.1"), ("PORT", "0")];
        pairs.extend_from_slice(vars);
        let settings = ServerSettings::from_vars(&Vars::new(lookup(&pairs)), 0, LogFormat::Json)
            .expect("valid test settings");
        let listener = settings.listen().await.expect("a free port");
        let address = listener.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            serve(
                listener,
                app(),
                settings.connection_limits,
                settings.shutdown_grace,
                shutdown,
            )
            .await;
            Instant::now()
        });
        Self {
            address,
            stop: Some(stop),
            served,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.expect("connect")
    }

    fn shut_down(&mut self) {
        let _ = self.stop.take().expect("shut down once").send(());
    }
}

async fn send_get(stream: &mut TcpStream, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
}

/// Reads one response with a Content-Length body: its status line and body.
async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read_u8().await {
            Ok(byte) => head.push(byte),
            Err(e) => panic!("the connection ended inside a response head ({e}): {head:?}"),
        }
    }
    let head = String::from_utf8(head).expect("an ASCII head");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().expect("a length"))
        })
        .expect("a Content-Length");
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.expect("the whole body");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, String::from_utf8(body).expect("a UTF-8 body"))
}

/// `GET path` on `stream`, answered within [`PATIENCE`].
async fn get_on(stream: &mut TcpStream, path: &str) -> (String, String) {
    send_get(stream, path).await;
    tokio::time::timeout(PATIENCE, read_response(stream))
        .await
        .unwrap_or_else(|_| panic!("GET {path} was not answered within {PATIENCE:?}"))
}

/// Waits up to `limit` for the server to close `stream`; whether it did.
/// Anything the server sent first is returned with it.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut received)).await {
        Ok(Ok(_)) => Some(received),
        // A reset is closed too.
        Ok(Err(_)) => Some(received),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_stalled_request_head_is_closed_after_the_header_read_timeout_while_others_are_served() {
    let server = Running::start(&[("HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    let mut stalled = server.connect().await;
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    let stalled_at = Instant::now();

    // Meanwhile another client is served, and sees its own address.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut other = server.connect().await;
    let (status, peer) = get_on(&mut other, "/peer").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(peer, other.local_addr().unwrap().to_string());

    let received = closed_within(&mut stalled, PATIENCE)
        .await
        .expect("a request head stalled past the timeout closes its connection");
    let held = stalled_at.elapsed();
    assert!(
        held >= Duration::from_millis(900),
        "closed only after the timeout, not {held:?}"
    );
    assert!(
        !String::from_utf8_lossy(&received).contains("200 OK"),
        "the stalled request was not answered: {received:?}"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_read_timeout() {
    // hyper re-arms the header-read timeout while a kept-alive connection
    // waits for its next request, which the comment on ConnectionLimits
    // relies on.
    let server = Running::start(&[("HEADER_READ_TIMEOUT_SECONDS", "1")]).await;
    let mut idle = server.connect().await;
    assert_eq!(get_on(&mut idle, "/").await.0, "HTTP/1.1 200 OK");
    let idle_since = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        get_on(&mut idle, "/").await.0,
        "HTTP/1.1 200 OK",
        "kept alive within the timeout"
    );
    assert!(
        closed_within(&mut idle, PATIENCE).await.is_some(),
        "an idle kept-alive connection is closed"
    );
    assert!(idle_since.elapsed() >= Duration::from_millis(1400));
}

#[tokio::test]
async fn at_max_connections_a_new_connection_waits_until_one_ends() {
    // A long header timeout, so only the bound decides who is served.
    let server = Running::start(&[
        ("MAX_CONNECTIONS", "2"),
        ("HEADER_READ_TIMEOUT_SECONDS", "60"),
    ])
    .await;
    // Two clients hold the slots: one that never sends, one kept alive.
    let silent = server.connect().await;
    let mut kept_alive = server.connect().await;
    assert_eq!(get_on(&mut kept_alive, "/").await.0, "HTTP/1.1 200 OK");

    // The kernel completes the third handshake; the server does not accept it.
    let mut waiting = server.connect().await;
    send_get(&mut waiting, "/").await;
    let early = tokio::time::timeout(Duration::from_millis(700), read_response(&mut waiting)).await;
    assert!(
        early.is_err(),
        "a connection past MAX_CONNECTIONS was served: {early:?}"
    );

    drop(silent);
    let (status, _) = tokio::time::timeout(PATIENCE, read_response(&mut waiting))
        .await
        .expect("served once a slot is free");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        get_on(&mut kept_alive, "/").await.0,
        "HTTP/1.1 200 OK",
        "the connections already open were served throughout"
    );
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_then_returns() {
    let mut server = Running::start(&[("SHUTDOWN_GRACE_SECONDS", "10")]).await;
    let mut idle = server.connect().await;
    assert_eq!(get_on(&mut idle, "/").await.0, "HTTP/1.1 200 OK");
    let mut in_flight = server.connect().await;
    send_get(&mut in_flight, "/slow").await;
    let sent_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.shut_down();
    assert!(
        closed_within(&mut idle, Duration::from_secs(1))
            .await
            .is_some(),
        "an idle connection is closed at once"
    );
    assert!(
        TcpStream::connect(server.address).await.is_err(),
        "new connections are refused once shutdown starts"
    );

    let (status, body) = tokio::time::timeout(PATIENCE, read_response(&mut in_flight))
        .await
        .expect("the request in flight is answered");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "done")
    );
    assert!(
        closed_within(&mut in_flight, Duration::from_secs(1))
            .await
            .is_some(),
        "its connection then closes"
    );
    let served_at = tokio::time::timeout(PATIENCE, server.served)
        .await
        .expect("serve returns once drained")
        .unwrap();
    assert!(
        served_at.duration_since(sent_at) >= SLOW_HANDLER,
        "serve waited for the request in flight"
    );
}

#[tokio::test]
async fn shutdown_returns_after_the_grace_period_with_a_request_still_running() {
    let mut server = Running::start(&[("SHUTDOWN_GRACE_SECONDS", "1")]).await;
    let mut endless = server.connect().await;
    send_get(&mut endless, "/endless").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped_at = Instant::now();
    server.shut_down();
    let served_at = tokio::time::timeout(PATIENCE, server.served)
        .await
        .expect("serve returns when the grace period is over")
        .unwrap();
    let took = served_at.duration_since(stopped_at);
    assert!(
        took >= Duration::from_millis(900),
        "the request got its grace period, not {took:?}"
    );
}
