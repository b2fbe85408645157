//! `todo-frontend`: `serve` (the default) and `check`.

use std::process::ExitCode;

use std::time::Duration;

use clap::Subcommand;
use todo_frontend::{Application, Config};
use todo_service::process::{check, run_configured};
use todo_service::server::shutdown_signal;

/// What `--help` says the binary is.
const ABOUT: &str =
    "The Todo web UI. Configuration comes from environment variables; see docs/frontend.md.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// GET a URL and exit 0 only on HTTP 200 (a probe for shell-less images).
    Check {
        /// e.g. http://127.0.0.1:3000/api/health
        #[arg(long)]
        url: String,
    },
}

fn main() -> ExitCode {
    match todo_service::command_line!(Command, ABOUT).unwrap_or(Command::Serve) {
        Command::Check { url } => check(&url, Duration::from_secs(5)),
        Command::Serve => run_configured(Config::from_env(), |c| &c.server, serve),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = config.backend_url.clone();
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), %backend, "listening");
    app.run_until(shutdown_signal()).await
}
