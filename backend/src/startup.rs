use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::routes;
use crate::state::AppState;
use crate::store::Store;

/// How long `build` waits for a first migration before serving anyway.
const FIRST_MIGRATION_WAIT: Duration = Duration::from_secs(3);

/// A built, bound, migrated server that has not started serving yet.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Binds the port (port 0 picks a free one; see
    /// [`Application::local_addr`]) and starts migrating the database in
    /// the background. A database that is up is migrated before this
    /// returns; one that is not yet keeps the server not-ready (and its
    /// database routes at 503) until it is, with no restart.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database).with_context(|| {
            format!(
                "DATABASE_URL ({}) cannot be used",
                redact(&config.database.url)
            )
        })?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("could not listen on {} (BIND_ADDR/PORT)", config.bind))?;
        let state = AppState::new(config, store);
        state.database.open_in_background(&state.store);
        if !state.database.opened_within(FIRST_MIGRATION_WAIT).await {
            tracing::warn!(
                database = %redact(&state.config.database.url),
                "starting before the database is ready; it is retried in the background"
            );
        }
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, gives
    /// in-flight requests the configured grace period, and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application { listener, state } = self;
        let grace = state.config.shutdown_grace;
        let store = state.store.clone();
        let limiter = state.login_limiter.clone();
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.forget_idle();
            }
        });

        let (stopping_tx, mut stopping_rx) = watch::channel(false);
        let signal = async move {
            shutdown.await;
            tracing::info!(
                grace_seconds = grace.as_secs(),
                "shutting down: no new connections"
            );
            let _ = stopping_tx.send(true);
        };
        let app = routes::app(state).into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(signal);
        let deadline = async move {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = serve => result.context("the server failed")?,
            () = deadline => tracing::warn!("grace period over; abandoning unfinished requests"),
        }
        sweeper.abort();
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGTERM (Kubernetes) or Ctrl-C (a terminal).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
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
