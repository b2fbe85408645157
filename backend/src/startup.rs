//! Building the server from its configuration and running it until
//! shutdown; `main` and the tests take the same path.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use todo_service::application::Server;

use crate::config::Config;
use crate::routes;
use crate::state::{AppState, ReminderWorker};
use crate::store::Store;

/// How long `build` waits for a first migration before serving anyway.
const FIRST_MIGRATION_WAIT: Duration = Duration::from_secs(3);

/// A built, bound, migrated server that has not started serving yet:
/// [`Application::build`] binds the port (port 0 picks a free one; see
/// `local_addr`) and starts migrating the database in the background. A
/// database that is up is migrated before it returns; one that is not yet
/// keeps the server not-ready (and its database routes at 503) until it
/// is, with no restart. `run_until` serves until shutdown, gives in-flight
/// requests the configured grace period, and closes the pool.
pub type Application = todo_service::application::Application<AppState>;

impl Server for AppState {
    type Config = Config;

    async fn prepare(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database).with_context(|| {
            format!(
                "DATABASE_URL ({}) cannot be used",
                redact(&config.database.url)
            )
        })?;
        let state = AppState::new(config, store).context("could not set up the assistant")?;
        state.database.open_in_background(&state.store);
        if !state.database.opened_within(FIRST_MIGRATION_WAIT).await {
            tracing::warn!(
                database = %redact(&state.config.database.url),
                "starting before the database is ready; it is retried in the background"
            );
        }
        Ok(state)
    }

    fn router(&self) -> Router {
        routes::app(self.clone())
    }

    /// Once a minute forgets idle limits and stale session checks; once
    /// an hour prunes the rows of sessions that ended a week ago, spent
    /// OAuth codes and OAuth clients nobody connected. Starts the e-mail
    /// reminder worker, if there is one, on a task of its own: this
    /// housekeeping is dropped when serving ends, and the worker is
    /// stopped in its own way ([`Server::stopped`]).
    fn alongside(&self) -> impl Future<Output = ()> + Send + 'static {
        {
            let mut reminders = self.reminders.lock().unwrap_or_else(|e| e.into_inner());
            if let ReminderWorker::Built(worker) = std::mem::take(&mut *reminders) {
                *reminders = ReminderWorker::Running(worker.spawn(self.database.clone()));
            }
        }
        let limiter = self.limiter.clone();
        let assistant = self.assistant.clone();
        let budgets = self.budgets.clone();
        let authenticator = self.authenticator.clone();
        let store = self.store.clone();
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            for minute in 0u64.. {
                tick.tick().await;
                limiter.forget_idle();
                assistant.forget_idle();
                budgets.forget_idle();
                authenticator.forget_stale();
                if minute % 60 == 30 {
                    match store.prune_sessions().await {
                        Ok(pruned) => tracing::debug!(pruned, "pruned ended sessions"),
                        Err(error) => tracing::warn!(%error, "could not prune ended sessions"),
                    }
                    match store.prune_oauth().await {
                        Ok(pruned) => tracing::debug!(pruned, "pruned OAuth codes and clients"),
                        Err(error) => {
                            tracing::warn!(%error, "could not prune OAuth codes and clients")
                        }
                    }
                }
            }
        }
    }

    /// Stops the reminder worker (it finishes the message it is sending
    /// and gives the rest of its batch back), then closes the pool.
    async fn stopped(self) {
        let reminders =
            std::mem::take(&mut *self.reminders.lock().unwrap_or_else(|e| e.into_inner()));
        if let ReminderWorker::Running(worker) = reminders {
            worker.stop().await;
        }
        self.store.close().await;
    }
}

/// The URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/todo"),
            "postgres://app:***@db:5432/todo"
        );
        assert_eq!(redact("sqlite://todo.db"), "sqlite://todo.db");
    }
}
