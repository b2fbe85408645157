//! PostgreSQL connections, pooled by deadpool, handed out as [`Lease`]s.
//!
//! Why not sqlx's own pool: it pings every connection it takes back, a
//! whole round trip to the database after every query (a `Sync`, answered
//! by `ReadyForQuery`), and a task spawned to do it. That ping exists for
//! the rare connection a cancelled future left with unread answers or a
//! queued `ROLLBACK`; this pool pays for it only then. A lease that was
//! used to the end ([`Lease::settle`]) and has nothing queued goes straight
//! back; any other lease is flushed first, on a task of its own, and a
//! connection that fails that is closed rather than reused.
//!
//! Like sqlx's pool with this store's settings: connections are opened
//! lazily, a connection that sat idle for a second is pinged before use, no
//! connection lives longer than [`MAX_LIFETIME`], idle ones are closed after
//! [`IDLE_TIMEOUT`], and getting one (waiting, connecting, pinging) is
//! bounded by one acquire timeout.
//!
//! A connection found lost (see `availability`: a restart, a crash, a
//! failover) is discarded, never pooled again, and makes every pooled
//! connection handed out before that moment suspect: each is pinged
//! before its next use, so the rest of a restarted server's connections
//! are replaced without a user ever meeting them.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Object, PoolError, QueueMode, RecycleError, RecycleResult};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::availability::{DatabaseFailure, connection_lost};

/// A connection that sat idle this long is pinged before use: it may have
/// been cut (a database restart, a proxy's idle timeout).
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);
/// Connections are replaced after this long, so server-side memory and
/// settings never drift for good (sqlx's default).
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Idle connections beyond this are closed (sqlx's default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How often, at most, a lease looks for idle connections to close.
const REAP_EVERY: Duration = Duration::from_secs(60);
/// A connection that cannot be brought back to idle within this is closed
/// (a peer that went silent would otherwise hold its pool slot for good).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful close waits for each connection's goodbye.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Manager {
    options: PgConnectOptions,
    /// What [`Manager::lost_at`] counts from.
    started: Instant,
    /// Milliseconds after `started`, plus one, of the last lost connection;
    /// zero while none was.
    lost_at: AtomicU64,
}

impl Manager {
    fn millis_since_start(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_millis() as u64
    }

    /// Whether a connection last handed out at `handed_out` may have died
    /// with the one lost last.
    fn suspect(&self, handed_out: Instant) -> bool {
        let lost_at = self.lost_at.load(Ordering::Relaxed);
        lost_at != 0 && self.millis_since_start(handed_out) < lost_at
    }
}

impl managed::Manager for Manager {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options)
            .await
            .map_err(not_answering)
    }

    async fn recycle(
        &self,
        connection: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.age() >= MAX_LIFETIME {
            return Err(RecycleError::message("past its lifetime"));
        }
        let handed_out = metrics.recycled.unwrap_or(metrics.created);
        if metrics.last_used() >= PING_AFTER_IDLE || self.suspect(handed_out) {
            connection.ping().await.map_err(RecycleError::Backend)?;
        }
        Ok(())
    }
}

/// A connection that could not be opened because what answered did not
/// speak the protocol (a handshake cut off mid-way, by a server going down
/// or a proxy or load balancer with nothing behind it) is a server that is
/// not there now, like a refused socket: it is reported as one, so the
/// request is retried or answered 503, never 500. Other failures (a wrong
/// password, an unknown database) stay what they are.
fn not_answering(error: sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::Protocol(what) => sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            format!("the database did not answer the handshake: {what}"),
        )),
        other => other,
    }
}

/// The pool: cheap to clone, clones share the connections.
#[derive(Debug, Clone)]
pub struct PostgresPool {
    pool: managed::Pool<Manager>,
    acquire_timeout: Duration,
    /// Milliseconds after `started` of the last look for idle connections.
    last_reap: Arc<AtomicU64>,
    started: Instant,
}

impl PostgresPool {
    /// Connects nothing yet: the first lease opens the first connection.
    pub fn new(options: PgConnectOptions, max_connections: u32, acquire_timeout: Duration) -> Self {
        let manager = Manager {
            options,
            started: Instant::now(),
            lost_at: AtomicU64::new(0),
        };
        let pool = managed::Pool::builder(manager)
            .max_size(max_connections.max(1) as usize)
            // The connection used last is handed out first: warm ones stay
            // busy and the rest go idle long enough to be closed.
            .queue_mode(QueueMode::Lifo)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .expect("a pool with a runtime and a size builds");
        Self {
            pool,
            acquire_timeout,
            last_reap: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
        }
    }

    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.pool.manager().options
    }

    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// A connection of one's own until the lease is dropped.
    pub async fn lease(&self) -> Result<Lease, sqlx::Error> {
        self.reap_idle();
        match tokio::time::timeout(self.acquire_timeout, self.pool.get()).await {
            Ok(Ok(connection)) => Ok(Lease {
                connection: Some(connection),
                settled: false,
            }),
            Ok(Err(PoolError::Backend(error))) => Err(error),
            Ok(Err(PoolError::Closed)) => Err(sqlx::Error::PoolClosed),
            Ok(Err(other)) => Err(sqlx::Error::Protocol(format!("connection pool: {other}"))),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// Ends a lease by what its work came to: settled when it succeeded;
    /// discarded when its connection was lost, after which every pooled
    /// connection handed out before now is pinged before its next use;
    /// otherwise flushed before reuse (see [`Lease`]).
    pub(crate) fn end<T, E: DatabaseFailure>(&self, mut lease: Lease, result: &Result<T, E>) {
        match result {
            Ok(_) => lease.settle(),
            Err(error) => {
                if error.database_error().is_some_and(connection_lost) {
                    lease.discard();
                    self.note_lost();
                }
            }
        }
    }

    /// A connection was found lost: the others opened to the same server
    /// may be too.
    pub(crate) fn note_lost(&self) {
        let manager = self.pool.manager();
        let now = manager.millis_since_start(Instant::now()) + 1;
        manager.lost_at.fetch_max(now, Ordering::Relaxed);
    }

    /// Closes connections idle for longer than [`IDLE_TIMEOUT`], at most
    /// once every [`REAP_EVERY`].
    fn reap_idle(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_reap.load(Ordering::Relaxed);
        if now.saturating_sub(last) < REAP_EVERY.as_millis() as u64
            || self
                .last_reap
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let idle = self
            .pool
            .retain(|_, metrics| metrics.last_used() < IDLE_TIMEOUT)
            .removed;
        if !idle.is_empty() {
            tokio::spawn(close_all(idle));
        }
    }

    /// (open connections, idle connections)
    pub fn usage(&self) -> (u32, u32) {
        let status = self.pool.status();
        (status.size as u32, status.available as u32)
    }

    /// Refuses new leases and says goodbye on every idle connection;
    /// connections still leased are closed when they come back.
    pub async fn close(&self) {
        let idle = self.pool.retain(|_, _| false).removed;
        self.pool.close();
        close_all(idle).await;
    }
}

async fn close_all(connections: Vec<PgConnection>) {
    for connection in connections {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, connection.close()).await;
    }
}

/// One pooled connection, dereferencing to a [`PgConnection`].
///
/// Call [`Lease::settle`] once the work on it succeeded; a lease dropped
/// unsettled (its work failed, so the connection may be broken, or its
/// future was cancelled part-way) or with something still queued (a
/// dropped transaction's `ROLLBACK`) is checked and flushed before the
/// connection is reused, and closed if that fails.
#[derive(Debug)]
pub struct Lease {
    connection: Option<Object<Manager>>,
    settled: bool,
}

impl Lease {
    /// The work on this connection ran to its end.
    pub fn settle(&mut self) {
        self.settled = true;
    }

    /// The connection is lost: close it rather than return it (no
    /// goodbye: its server has gone, or ended the session).
    fn discard(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(Object::take(connection));
        }
    }
}

impl Deref for Lease {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.connection.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("present until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        // `should_flush`: bytes written but not sent, such as the ROLLBACK a
        // dropped transaction queues.
        let clean = self.settled && !connection.should_flush() && !connection.is_in_transaction();
        if clean {
            return; // back to the pool, no round trip
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let mut connection = connection;
                    // `ping` first reads every answer still owed, then
                    // round-trips once more: the connection is idle after it.
                    let flushed = tokio::time::timeout(FLUSH_TIMEOUT, connection.ping()).await;
                    if !matches!(flushed, Ok(Ok(()))) {
                        drop(Object::take(connection));
                    }
                });
            }
            // No runtime to flush on (the process is ending): never reuse it.
            Err(_) => drop(Object::take(connection)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::availability::unavailable;

    #[test]
    fn a_garbled_handshake_is_a_server_not_there() {
        let garbled = not_answering(sqlx::Error::Protocol(
            "unexpected response from SSLRequest: 0x00".into(),
        ));
        assert!(
            unavailable(&garbled) && connection_lost(&garbled),
            "{garbled}"
        );
        let misconfigured = not_answering(sqlx::Error::Configuration("no such option".into()));
        assert!(!unavailable(&misconfigured));
    }
}
