//! `cargo xtask <command>`: the project's automation, in Rust so it runs
//! wherever cargo does. Each command is a typed struct with a `run` method.

mod api_fuzz;
#[cfg(test)]
mod architecture;
mod base_images;
mod bench;
mod browser;
mod chart;
mod chart_docker;
mod ci;
mod cluster;
mod dev;
mod docker;
#[cfg(test)]
mod docs_check;
mod http;
mod images;
mod lint;
mod local_backend;
mod postgres;
mod process;
mod screenshots;
mod smoke;
mod test;
mod testcontainers;
mod tools;
mod workflows;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Build, test and ship the Todo app")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run backend + frontend locally on SQLite; Ctrl-C stops both.
    Dev(dev::Dev),
    /// Save screenshots of the task list to docs/screenshots/.
    Screenshots(screenshots::Screenshots),
    /// Run the whole test suite (starts a throwaway PostgreSQL if needed).
    Test(test::Test),
    /// cargo fmt --check and cargo clippy -D warnings.
    Lint(lint::Lint),
    /// Load-test the release backend on PostgreSQL and SQLite.
    Bench(bench::Bench),
    /// Fuzz the API from its OpenAPI document (schemathesis) on SQLite and PostgreSQL.
    #[command(name = "api-fuzz")]
    ApiFuzz(api_fuzz::ApiFuzz),
    /// Build the backend and frontend images, report sizes (40 MB budget).
    Images(images::Images),
    /// Build the images and run them hardened against PostgreSQL.
    Smoke(smoke::Smoke),
    /// The contract suite's PostgreSQL cases via testcontainers (needs Docker).
    Testcontainers(testcontainers::Testcontainers),
    /// Lint, render and check the Helm chart; keep infra/k8s in sync.
    Chart(chart::Chart),
    /// Validate .github/workflows/*.yml against the GitHub workflow schema.
    Workflows(workflows::Workflows),
    /// Everything CI checks, in order.
    Ci(ci::Ci),
    /// Build, load and helm-install the app into minikube or kind.
    Deploy(cluster::deploy::Deploy),
    /// Run the release's Helm test hooks and show their logs.
    #[command(name = "test-k8s")]
    TestK8s(cluster::test_k8s::TestK8s),
    /// Check prerequisites and diagnose the release in the cluster.
    Doctor(cluster::doctor::Doctor),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(cmd) => cmd.run(),
        Command::Screenshots(cmd) => cmd.run(),
        Command::Test(cmd) => cmd.run(),
        Command::Lint(cmd) => cmd.run(),
        Command::Ci(cmd) => cmd.run(),
        Command::Chart(cmd) => cmd.run(),
        Command::Workflows(cmd) => cmd.run(),
        Command::Images(cmd) => cmd.run(),
        Command::Smoke(cmd) => cmd.run(),
        Command::Testcontainers(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::ApiFuzz(cmd) => cmd.run(),
        Command::Deploy(cmd) => cmd.run(),
        Command::TestK8s(cmd) => cmd.run(),
        Command::Doctor(cmd) => cmd.run(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
