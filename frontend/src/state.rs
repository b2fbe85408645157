//! What every handler may use: configuration and the backend client.

use std::sync::Arc;

use todo_api::ApiClient;

use crate::config::Config;

/// What every handler shares: the configuration and one pooled client
/// for the backend (per-visitor clients are cheap clones of it).
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub api: ApiClient,
}

impl AppState {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.backend_timeout)
            .connect_timeout(std::time::Duration::from_secs(2))
            // Shorter than the backend's HEADER_READ_TIMEOUT_SECONDS (10 s
            // by default), after which it closes an idle connection: a
            // pooled one is never reused just as the backend closes it.
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            // The backend never redirects; following one would hide a bug.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut api = ApiClient::with_http(http, config.backend_url.clone());
        if todo_service::telemetry::enabled() {
            // The backend's spans join the trace of the page that called it.
            api = api.with_headers(todo_service::telemetry::inject_context);
        }
        Ok(Self {
            config: Arc::new(config),
            api,
        })
    }
}
