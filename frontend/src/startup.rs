//! Building the web UI server from its configuration and running it until
//! shutdown; `main` and the tests take the same path.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use todo_service::server::Listener;

use crate::config::Config;
use crate::routes;
use crate::state::AppState;

/// A bound server that has not started serving yet. Building it does not
/// contact the backend: the frontend starts (and answers its health
/// check) while the backend is still coming up.
#[derive(Debug)]
pub struct Application {
    listener: Listener,
    state: AppState,
}

impl Application {
    /// Binds the port (0 picks a free one; see [`Application::local_addr`]).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = config.server.listen().await?;
        let state = AppState::new(config).context("could not build the backend client")?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and gives
    /// in-flight requests the configured grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application { listener, state } = self;
        let grace = state.config.server.shutdown_grace;
        todo_service::server::serve(listener, routes::app(state), grace, shutdown).await?;
        tracing::info!("stopped");
        Ok(())
    }
}
