//! What every handler may use, shared by all requests.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::assistant::Assistant;
use crate::auth::{AccountLimiter, Authenticator, Passwords, TokenKeys, UserBudgets};
use crate::bootstrap::DatabaseGate;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::reminders::{Running, Worker};
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
    /// Checks credentials against their sessions, and issues login tokens.
    pub authenticator: Arc<Authenticator>,
    /// Password hashing, a bounded number at a time.
    pub passwords: Passwords,
    /// Login and signup throttling.
    pub limiter: Arc<AccountLimiter>,
    /// Each user's writes and `/mcp` tool calls per minute.
    pub budgets: Arc<UserBudgets>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Open once the database is migrated.
    pub database: DatabaseGate,
    pub assistant: Arc<Assistant>,
    /// The e-mail reminder worker, with `SMTP_URL`: built here, started
    /// when serving starts, stopped when it ends.
    pub reminders: std::sync::Mutex<ReminderWorker>,
}

/// Where the reminder worker is in its life.
#[derive(Debug, Default)]
pub enum ReminderWorker {
    /// No `SMTP_URL`, or stopped.
    #[default]
    Off,
    Built(Box<Worker>),
    Running(Running),
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        let store = store.with_quotas(config.quotas);
        let budgets = Arc::new(UserBudgets::new(config.user_budgets));
        let metrics = Arc::new(Metrics::new());
        let reminders = match &config.reminders.smtp {
            Some(smtp) => ReminderWorker::Built(Box::new(
                Worker::new(store.clone(), &config.reminders, smtp, metrics.clone())
                    .map_err(|e| anyhow::anyhow!("SMTP_URL cannot be used: {e}"))?,
            )),
            None => ReminderWorker::Off,
        };
        Ok(Self(Arc::new(Shared {
            reminders: std::sync::Mutex::new(reminders),
            assistant: Arc::new(Assistant::new(
                &config.assistant,
                store.clone(),
                budgets.clone(),
            )?),
            budgets,
            authenticator: Arc::new(
                Authenticator::new(
                    TokenKeys::new(
                        config.jwt_secret.as_bytes(),
                        config.jwt_secret_previous.as_deref().map(str::as_bytes),
                        config.jwt_ttl,
                    ),
                    store.clone(),
                )
                .with_access_keys(TokenKeys::for_audience(
                    config.jwt_secret.as_bytes(),
                    config.jwt_secret_previous.as_deref().map(str::as_bytes),
                    crate::oauth::ACCESS_TOKEN_TTL,
                    &config.oauth.issuer,
                    &config.oauth.resource(),
                )),
            ),
            store,
            passwords: Passwords::new(config.hashing),
            limiter: Arc::new(AccountLimiter::new(config.account_limits)),
            config: Arc::new(config),
            metrics,
            database: DatabaseGate::default(),
        })))
    }
}

/// Lets the caller extractors take just the authenticator.
impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        state.authenticator.clone()
    }
}

/// Lets the [`crate::auth::Writer`] extractor charge a user's writes.
impl FromRef<AppState> for Arc<UserBudgets> {
    fn from_ref(state: &AppState) -> Self {
        state.budgets.clone()
    }
}
