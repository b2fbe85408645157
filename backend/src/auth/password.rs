//! Password hashing with argon2id, on the blocking pool, a bounded number
//! at a time.
//!
//! Each hash or verification holds 19 MiB for its duration (argon2id's
//! memory cost), so unbounded concurrency is unbounded memory: 40
//! concurrent signups took the process to 720 MiB, past any container's
//! limit. [`Passwords`] lets `HASHING_CONCURRENCY` run at once; the
//! rest wait up to `HASHING_WAIT_MS` for a turn and are then
//! refused ([`Busy`]: 503 with Retry-After), so the bound × 19 MiB plus the
//! server's working set is the most this ever takes.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// argon2id's memory cost per hash, in KiB (the OWASP minimum: 19 MiB).
pub const HASH_MEMORY_KIB: u32 = 19 * 1024;

/// argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(HASH_MEMORY_KIB, 2, 1, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// No turn came within the wait: too many hashes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many passwords are being checked at once")]
pub struct Busy;

/// Why hashing or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy(_) => {
                ApiError::Overloaded("too many sign-ins are being checked at once")
            }
            PasswordError::Internal(error) => ApiError::Internal(error),
        }
    }
}

/// How many hashes may run at once, and how long one waits for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    pub concurrency: usize,
    pub wait: Duration,
}

impl Default for HashingLimits {
    /// Two at a time: 38 MiB of hashing next to a working set of about
    /// 25 MiB fits the chart's 128 MiB limit with room to spare.
    fn default() -> Self {
        Self {
            concurrency: 2,
            wait: Duration::from_millis(1500),
        }
    }
}

/// The process's password hashing, bounded (see the module's docs).
#[derive(Debug, Clone)]
pub struct Passwords {
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Passwords {
    pub fn new(limits: HashingLimits) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            wait: limits.wait,
        }
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.in_turn(move || {
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
        })
        .await
    }

    /// Whether `password` matches `stored`; `stored` of `None` means "no
    /// such user" and still costs one verification, so response time does
    /// not reveal which emails exist.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.in_turn(move || {
            let exists = stored.is_some();
            let stored = stored.unwrap_or_else(|| DECOY_HASH.clone());
            let hash = PasswordHash::new(&stored)
                .map_err(|e| anyhow::anyhow!("stored password hash is unreadable: {e}"))?;
            let matches = hasher().verify_password(password.as_bytes(), &hash).is_ok();
            Ok(exists && matches)
        })
        .await
    }

    /// Runs `work` on the blocking pool once a turn is free (argon2 is
    /// deliberately CPU-heavy and would stall the requests sharing an
    /// async worker thread), or fails with [`Busy`] after the wait.
    async fn in_turn<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let turn = tokio::time::timeout(self.wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .expect("the semaphore is never closed");
        let outcome = tokio::task::spawn_blocking(move || {
            let outcome = work();
            drop(turn);
            outcome
        })
        .await
        .map_err(|e| anyhow::anyhow!("the hashing task stopped: {e}"))?;
        Ok(outcome?)
    }
}

/// A hash of a random password, verified against when the email is
/// unknown.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"decoy password never used", &salt)
        .expect("hashing a constant succeeds")
        .to_string()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = Passwords::new(HashingLimits::default());
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            passwords
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn beyond_the_bound_work_waits_then_is_refused() {
        let passwords = Passwords::new(HashingLimits {
            concurrency: 1,
            wait: Duration::from_millis(50),
        });
        // Hold the only turn.
        let held = passwords.turns.clone().acquire_owned().await.unwrap();
        let refused = passwords.hash("waits too long".into()).await;
        assert!(
            matches!(refused, Err(PasswordError::Busy(Busy))),
            "{refused:?}"
        );
        drop(held);
        assert!(passwords.hash("has a turn".into()).await.is_ok());
    }
}
