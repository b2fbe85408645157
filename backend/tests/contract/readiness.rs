//! Readiness follows the database: cut the connection (through a TCP proxy
//! the test controls) and `/ready` turns 503 naming the database while
//! `/health` stays 200; restore it and `/ready` recovers without a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::support::{RunningApp, TestCtx, TestDatabase, TestFn, test_config};

pub fn postgres_cases() -> Vec<(&'static str, TestFn)> {
    crate::cases![readiness_follows_the_database]
}

/// Forwards TCP to `upstream` while open; `cut` drops every connection and
/// refuses new ones until `restore`.
struct CuttableProxy {
    port: u16,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: JoinHandle<()>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let acceptor = tokio::spawn({
            let (open, links) = (open.clone(), links.clone());
            async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    if !open.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let upstream = upstream.clone();
                    links.lock().await.push(tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    }));
                }
            }
        });
        Self {
            port,
            open,
            links,
            acceptor,
        }
    }

    async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn probe(api: &todo_api::ApiClient, path: &str) -> (StatusCode, Value) {
    let response = api.request(Method::GET, path).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn readiness_follows_the_database(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let mut url = url::Url::parse(&database.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = CuttableProxy::start(upstream).await;
    url.set_port(Some(proxy.port)).unwrap();
    let app = RunningApp::start(
        test_config(url.as_str(), &[("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "1")]),
        ctx.backend.clone(),
    )
    .await;
    let api = app.ctx.api.clone();

    let (status, body) = probe(&api, "/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (user, _) = app.ctx.user("before-outage").await;
    user.stats().await.expect("a pooled connection is open");

    proxy.cut().await;
    // The first request after the cut meets the pooled connection that
    // was cut, and is a 503 with Retry-After like every one after it.
    let first = user
        .request(Method::GET, "/api/tasks/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(first.headers().contains_key("retry-after"));
    let cut_at = Instant::now();
    let (status, body) = probe(&api, "/ready").await;
    let took = cut_at.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
    assert_eq!(body["status"], "not_ready");
    assert_ne!(
        body["checks"]["database"], "ok",
        "the failing check is named: {body}"
    );
    let (status, _) = probe(&api, "/health").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "liveness does not depend on the database"
    );
    let (status, _) = probe(&app.ctx.api, "/api/tasks").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "requests that need no database still work"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = probe(&api, "/ready").await;
        if status == StatusCode::OK {
            assert_eq!(body["checks"]["database"], "ok");
            break;
        }
        assert!(Instant::now() < deadline, "never recovered: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (user, _) = app.ctx.user("after-outage").await;
    user.stats().await.expect("the API works again");

    app.stop().await;
    drop(proxy);
    database.drop().await;
}
