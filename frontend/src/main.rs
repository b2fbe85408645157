//! `todo-frontend`: `serve` (the default), `check` and `selftest`.

use std::process::ExitCode;

use std::time::Duration;

use clap::Subcommand;
use todo_frontend::{Application, Config, selftest};
use todo_service::process::{check, run_configured, runtime};
use todo_service::selftest::verdict;
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
    /// Walk a live frontend as a visitor without JavaScript: sign up, add
    /// a task, see it listed, chat with the assistant, log out and in
    /// again; then delete the account through the backend. Exit non-zero
    /// with the step on the first mismatch.
    Selftest {
        /// The frontend's base URL, e.g. http://todo-frontend:3000.
        #[arg(long)]
        url: String,
        /// The backend's base URL, for the cleanup.
        #[arg(long)]
        backend_url: String,
        /// The origin form posts claim: the frontend's PUBLIC_URL when it
        /// has one (default: the origin of --url).
        #[arg(long)]
        origin: Option<String>,
        /// Leave out the chat message (it expects the offline provider's
        /// answers; use this when a real model is configured).
        #[arg(long)]
        skip_chat: bool,
    },
}

fn main() -> ExitCode {
    match todo_service::command_line!(Command, ABOUT).unwrap_or(Command::Serve) {
        Command::Check { url } => check(&url, Duration::from_secs(5)),
        Command::Selftest {
            url,
            backend_url,
            origin,
            skip_chat,
        } => verdict(runtime().block_on(selftest::run(selftest::FrontendWalk {
            frontend: &url,
            backend: &backend_url,
            origin: origin.as_deref(),
            walk: selftest::Walk { chat: !skip_chat },
        }))),
        Command::Serve => run_configured::<Config, _>(serve),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = config.backend_url.clone();
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), %backend, "listening");
    app.run_until(shutdown_signal()).await
}
