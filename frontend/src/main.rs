use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todo_frontend::startup::shutdown_signal;
use todo_frontend::{Application, Config, telemetry};

/// The Todo web UI. Configuration comes from environment variables;
/// see docs/frontend.md.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

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
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    match cli.command.unwrap_or(Command::Serve) {
        Command::Check { url } => match runtime.block_on(todo_frontend::check::check(&url)) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(problem) => {
                eprintln!("check failed: {problem}");
                ExitCode::FAILURE
            }
        },
        Command::Serve => {
            let config = match Config::from_env() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            telemetry::init(config.log_format, &config.log_filter);
            match runtime.block_on(serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "exiting");
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let backend = config.backend_url.clone();
    let app = Application::build(config).await?;
    tracing::info!(address = %app.local_addr(), %backend, "listening");
    app.run_until(shutdown_signal()).await
}
