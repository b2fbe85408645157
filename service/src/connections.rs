//! The accept loop both servers run: HTTP/1.1 connections served by hyper,
//! each given a deadline for every request head and counted against a bound
//! on open connections, so slow or idle clients (slowloris) cannot hold a
//! server. Draining them at shutdown is [`OpenConnections::drain`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Service, ServiceExt};

/// What a connection may cost the server. `docs/configuration.md`
/// documents the variables they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a connection may take to send a complete request head
    /// (`HEADER_READ_TIMEOUT_SECONDS`); then it is closed without an answer.
    ///
    /// hyper (1.12, the version pinned in Cargo.lock) starts this clock
    /// whenever it waits for a request head: on a new connection and again
    /// after every response on a kept-alive one, before its next request
    /// has sent a byte (`Conn::poll_read_head`, re-armed from
    /// `State::idle`). So it is also the idle timeout of keep-alive
    /// connections: one idle for this long is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once (`MAX_CONNECTIONS`). At the bound the
    /// server stops accepting, so newcomers wait in the kernel's listen
    /// backlog until an open connection ends.
    pub max_connections: usize,
}

/// After an accept error that is not one client's (out of file
/// descriptors, out of memory), how long to wait before accepting again:
/// the failure would repeat at once, and connections that end meanwhile
/// free what it lacked.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// The least time between two warnings that the connection bound was met,
/// so a server held at its bound logs it without flooding the log.
const AT_BOUND_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// The connections open when accepting stopped.
#[derive(Debug)]
pub struct OpenConnections(GracefulShutdown);

impl OpenConnections {
    /// Asks every open connection to finish: an idle one closes at once, a
    /// busy one after its response (which then says `Connection: close`).
    /// Completes when all have ended.
    pub async fn drain(self) {
        self.0.shutdown().await;
    }
}

/// Serves `app` on `listener` within `limits` until `stop` completes, then
/// closes the listening socket (new connections are refused) and returns
/// the connections still open. Handlers find the peer's address as
/// `ConnectInfo<SocketAddr>`, as with
/// `Router::into_make_service_with_connect_info::<SocketAddr>()`.
pub async fn serve_until(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> OpenConnections {
    let mut http = http1::Builder::new();
    // HTTP/1.1 only: both servers sit behind an ingress (and the frontend's
    // client) speaking HTTP/1.1. Keep-alive stays on, hyper's default.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut with_peer_address = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut last_bound_warning: Option<Instant> = None;
    let mut stop = pin!(stop);
    loop {
        // A slot first, then the connection: at the bound nothing is
        // accepted, so no task is spawned and the backlog holds the rest.
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if last_bound_warning.is_none_or(|at| at.elapsed() >= AT_BOUND_WARNING_INTERVAL) {
                    last_bound_warning = Some(Instant::now());
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "at MAX_CONNECTIONS: new connections wait until one ends"
                    );
                }
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    slot = Arc::clone(&slots).acquire_owned() => {
                        slot.expect("the connection semaphore is never closed")
                    }
                }
            }
        };
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // That client gave up before it was accepted; the next may not.
            Err(error) if is_one_clients_failure(&error) => continue,
            Err(error) => {
                tracing::error!(%error, "could not accept a connection; retrying in a second");
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                }
            }
        };
        let service = serve_peer(&mut with_peer_address, peer).await;
        let connection = open.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(hold_slot_while(slot, peer, connection));
    }
    // Dropping the listener here, before the drain, refuses new connections.
    drop(listener);
    OpenConnections(open)
}

/// The router as one connection's hyper service, with `ConnectInfo` of its
/// peer in every request's extensions: exactly what `axum::serve` builds
/// from the same make-service.
async fn serve_peer(
    with_peer_address: &mut IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    peer: SocketAddr,
) -> TowerToHyperService<
    axum::middleware::AddExtension<Router, axum::extract::ConnectInfo<SocketAddr>>,
> {
    let ready = ServiceExt::<SocketAddr>::ready(with_peer_address)
        .await
        .unwrap_or_else(|never| match never {});
    let service = ready
        .call(peer)
        .await
        .unwrap_or_else(|never| match never {});
    TowerToHyperService::new(service)
}

/// Runs a connection to its end, keeping its slot until then.
async fn hold_slot_while(
    slot: OwnedSemaphorePermit,
    peer: SocketAddr,
    connection: impl Future<Output = Result<(), hyper::Error>>,
) {
    if let Err(error) = connection.await {
        // Header timeouts and clients that hang up mid-request land here;
        // under a slowloris attack these are many, so not above debug.
        tracing::debug!(%peer, %error, "connection ended early");
    }
    drop(slot);
}

/// Accept errors that concern only the client being accepted, not the
/// listener (as `axum::serve` tells them apart).
fn is_one_clients_failure(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
