//! The `main` both binaries share: a multi-threaded runtime, the exit
//! codes (0 done, 1 failed while running, 2 bad configuration) and the
//! one line a failure leaves on stderr.

use std::future::Future;
use std::process::ExitCode;

use crate::application::Configured;

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
}

/// Reads the configuration from the environment (exit 2 naming the
/// variable when it is bad), installs logging (and traces, when
/// configured) from its server settings, runs `work` to its end, then
/// flushes the spans still batched.
pub fn run_configured<C: Configured, Fut>(work: impl FnOnce(C) -> Fut) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    let config = match C::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match config.server().telemetry() {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("configuration error: OTEL_EXPORTER_OTLP_ENDPOINT: {e:#}");
            return ExitCode::from(2);
        }
    };
    telemetry.install();
    let outcome = runtime().block_on(work(config));
    let code = match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "exiting");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

/// The `check --url` subcommand: prints the outcome, exit 0 only on 200.
pub fn check(url: &str, timeout: std::time::Duration) -> ExitCode {
    match runtime().block_on(crate::probe::probe(url, timeout)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("check failed: {reason}");
            ExitCode::FAILURE
        }
    }
}
