//! What every handler may use, shared by all requests.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::assistant::Assistant;
use crate::auth::{LoginLimiter, TokenKeys};
use crate::bootstrap::DatabaseGate;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;

/// What every handler may use. A clone is one reference count: the state
/// is cloned for every request (the handler's `State`, each middleware's),
/// and a count per field was a measurable share of a cheap request.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// The state's parts, reached through [`AppState`]'s `Deref`; those
/// behind their own `Arc` are also handed to tasks that outlive a request.
#[derive(Debug)]
pub struct Shared {
    pub store: Store,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: Arc<LoginLimiter>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Open once the database is migrated.
    pub database: DatabaseGate,
    pub assistant: Arc<Assistant>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Shared {
            assistant: Arc::new(Assistant::new(&config.assistant, store.clone())?),
            store,
            tokens: Arc::new(TokenKeys::new(config.jwt_secret.as_bytes(), config.jwt_ttl)),
            login_limiter: Arc::new(LoginLimiter::new(config.login_limits)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            database: DatabaseGate::default(),
        })))
    }
}

/// Lets the caller extractor take just the token keys.
impl FromRef<AppState> for Arc<TokenKeys> {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}
