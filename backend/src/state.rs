//! What every handler may use, shared by all requests.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::assistant::Assistant;
use crate::auth::{LoginLimiter, TokenKeys};
use crate::bootstrap::DatabaseGate;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;

/// What every handler may use; cheap to clone (everything is shared).
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: Arc<LoginLimiter>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Open once the database is migrated.
    pub database: DatabaseGate,
    pub assistant: Arc<Assistant>,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        let assistant = Arc::new(Assistant::new(&config.assistant, store.clone())?);
        Ok(Self {
            assistant,
            store,
            tokens: Arc::new(TokenKeys::new(config.jwt_secret.as_bytes(), config.jwt_ttl)),
            login_limiter: Arc::new(LoginLimiter::new(config.login_limits)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            database: DatabaseGate::default(),
        })
    }
}

/// Lets the caller extractor take just the token keys.
impl FromRef<AppState> for Arc<TokenKeys> {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}
