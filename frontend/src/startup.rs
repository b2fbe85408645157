//! The web UI server: [`Application::build`] binds the port (0 picks a
//! free one) and prepares the backend client without contacting the
//! backend, so the frontend starts (and answers its health check) while
//! the backend is still coming up; `run_until` serves until shutdown and
//! gives in-flight requests the configured grace period. `main` and the
//! tests take the same path.

use anyhow::Context;
use axum::Router;
use todo_service::application::Server;

use crate::config::Config;
use crate::routes;
use crate::state::AppState;

pub type Application = todo_service::application::Application<AppState>;

impl Server for AppState {
    type Config = Config;

    async fn prepare(config: Config) -> anyhow::Result<Self> {
        AppState::new(config).context("could not build the backend client")
    }

    fn router(&self) -> Router {
        routes::app(self.clone())
    }
}
