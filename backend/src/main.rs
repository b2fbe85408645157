//! `todo-backend`: `serve` (the default), `migrate`, `check`, `selftest`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use todo_backend::selftest;
use todo_backend::startup::redact;
use todo_backend::{Application, Config};
use todo_service::process::{check, run_configured, runtime};
use todo_service::selftest::verdict;
use todo_service::server::shutdown_signal;

/// What `--help` says the binary is.
const ABOUT: &str = "The Todo API server. Server configuration comes from environment variables; see docs/configuration.md.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Probe a URL: exit 0 only when it answers 200 (for images without a shell).
    Check {
        /// The URL to GET, e.g. http://127.0.0.1:8080/health.
        #[arg(long)]
        url: String,
        /// Treat --url as a base URL and probe its /ready endpoint.
        #[arg(long)]
        ready: bool,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
    /// Walk a live backend through the whole API contract; exit non-zero
    /// with a diff on the first mismatch. Cleans up after itself.
    Selftest {
        /// The backend's base URL, e.g. http://todo-backend:8080.
        #[arg(long)]
        url: String,
        /// Leave out the chat round trip (it expects the offline
        /// provider's answers; use this when a real model is configured).
        #[arg(long)]
        skip_chat: bool,
    },
}

fn main() -> ExitCode {
    match todo_service::command_line!(Command, ABOUT).unwrap_or(Command::Serve) {
        Command::Serve => with_config(|config| async move {
            let database = redact(&config.database.url);
            let app = Application::build(config).await?;
            tracing::info!(address = %app.local_addr(), %database, "listening");
            app.run_until(shutdown_signal()).await
        }),
        Command::Migrate => with_config(|config| async move {
            let store = todo_backend::store::Store::open(&config.database)?;
            store.migrate().await.with_context(|| {
                format!(
                    "could not apply migrations to DATABASE_URL ({})",
                    redact(&config.database.url)
                )
            })?;
            store.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }),
        Command::Check {
            url,
            ready,
            timeout_ms,
        } => {
            let url = if ready {
                format!("{}/ready", url.trim_end_matches('/'))
            } else {
                url
            };
            check(&url, Duration::from_millis(timeout_ms))
        }
        Command::Selftest { url, skip_chat } => {
            verdict(runtime().block_on(selftest::run(&url, selftest::Walk { chat: !skip_chat })))
        }
    }
}

/// Reads the server configuration (exit 2 naming the variable when it is
/// bad), sets up logging, and runs `f`.
fn with_config<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    run_configured::<Config, _>(f)
}
