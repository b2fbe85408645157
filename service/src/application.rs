//! The skeleton both servers are: an [`Application`] is built from the
//! configuration (its port bound, its state prepared) before it serves,
//! then served until shutdown with a grace period for in-flight requests.
//! `main` and the test suites take the same path. What differs between
//! the servers is their [`Server`] state.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;

use crate::connections::ConnectionLimits;
use crate::env::ConfigError;
use crate::server::{Listener, ServerSettings, serve};

/// A server's configuration: read once from the environment, and carrying
/// the settings every server has.
pub trait Configured: Sized + Send {
    /// Where to listen, how to log, how long to drain.
    fn server(&self) -> &ServerSettings;

    /// Reads it through `lookup` (a variable's value by name); a bad
    /// value is an error naming the variable.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError>;

    /// Reads it from the process's environment.
    fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// A server's state: what it is built from and what it serves.
pub trait Server: Sized + Send + 'static {
    type Config: Configured;

    /// The state, from the configuration, once the port is bound.
    fn prepare(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Every route, with its layers.
    fn router(&self) -> Router;

    /// Work that runs while the server serves (housekeeping), dropped when
    /// serving ends.
    fn alongside(&self) -> impl Future<Output = ()> + Send + 'static {
        std::future::pending()
    }

    /// Called once serving has ended, to release what the state holds.
    fn stopped(self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// A built, bound server that has not started serving yet.
#[derive(Debug)]
pub struct Application<S> {
    listener: Listener,
    state: S,
    limits: ConnectionLimits,
    grace: Duration,
}

impl<S: Server> Application<S> {
    /// Binds the port (port 0 picks a free one; see
    /// [`Application::local_addr`]), then prepares the state.
    pub async fn build(config: S::Config) -> anyhow::Result<Self> {
        let settings = config.server();
        let limits = settings.connection_limits;
        let grace = settings.shutdown_grace;
        let listener = settings.listen().await?;
        let state = S::prepare(config).await?;
        Ok(Self {
            listener,
            state,
            limits,
            grace,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &S {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting and gives
    /// in-flight requests the grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            state,
            limits,
            grace,
        } = self;
        let alongside = tokio::spawn(state.alongside());
        serve(listener, state.router(), limits, grace, shutdown).await;
        alongside.abort();
        state.stopped().await;
        tracing::info!("stopped");
        Ok(())
    }
}
