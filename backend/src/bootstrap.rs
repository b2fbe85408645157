//! Brings the database to the embedded schema, in the background and with
//! backoff, so the server starts, and answers `/health`, before its
//! database does: a Pod whose database comes up late waits "not ready"
//! instead of crash-looping, and becomes ready with no restart.
//!
//! Until the schema is in place, requests that need the database answer
//! 503 (`routes::middleware::require_database`). A database that loses its
//! schema later (reset, restored from an old dump) is noticed by readiness,
//! which starts the same loop again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::store::Store;

/// Backoff between attempts: doubles from the first to the last.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Whether the database is migrated, and the one loop that makes it so.
#[derive(Debug, Clone)]
pub struct DatabaseGate {
    open: Arc<watch::Sender<bool>>,
    /// A bootstrap loop is running; at most one at a time.
    running: Arc<AtomicBool>,
}

impl Default for DatabaseGate {
    fn default() -> Self {
        Self {
            open: Arc::new(watch::Sender::new(false)),
            running: Arc::default(),
        }
    }
}

impl DatabaseGate {
    /// True once migrations are applied (until readiness finds them gone).
    pub fn is_open(&self) -> bool {
        *self.open.borrow()
    }

    /// Waits up to `limit` for the gate to open; true when it did.
    pub async fn opened_within(&self, limit: Duration) -> bool {
        let mut open = self.open.subscribe();
        tokio::time::timeout(limit, open.wait_for(|open| *open))
            .await
            .is_ok()
    }

    /// Migrates in the background, retrying with backoff until it works;
    /// does nothing when the gate is open or a loop runs already. The loop
    /// is never cancelled half-way through a migration.
    pub fn open_in_background(&self, store: &Store) {
        if self.is_open() || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (gate, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            let mut wait = FIRST_RETRY;
            let mut attempt = 1u32;
            loop {
                match store.migrate().await {
                    Ok(()) => {
                        if attempt > 1 {
                            tracing::info!(attempt, "database reachable and migrated: ready");
                        }
                        gate.open.send_replace(true);
                        break;
                    }
                    Err(error) => tracing::warn!(
                        attempt,
                        retry_in_ms = wait.as_millis() as u64,
                        error = format!("{error:#}"),
                        "database not ready (DATABASE_URL); /health answers, /ready says 503"
                    ),
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(LAST_RETRY);
                attempt += 1;
            }
            gate.running.store(false, Ordering::Release);
        });
    }

    /// Readiness found the schema missing: close, and migrate again.
    pub fn reopen(&self, store: &Store) {
        if self.open.send_replace(false) {
            tracing::warn!("the database lost its schema; migrating again");
        }
        self.open_in_background(store);
    }
}
