//! `cargo xtask <command>`: the project's automation, in Rust so it runs
//! wherever cargo does. Each command is a typed struct with a `run` method.

//! Code map: `local/` the local loop, `containers/` the images,
//! `chart/` the chart checks, `cluster/` the cluster commands (plans as
//! data), `support/` what they all use; `ci` runs them in CI's order.
//! `offline` is the one door to the `offline/` crate (stand-ins for a
//! registry and a cluster on machines without them), run as a process.

mod chart;
mod ci;
mod cluster;
mod containers;
#[cfg(test)]
mod conventions;
mod local;
mod offline;
mod support;

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
    Dev(local::dev::Dev),
    /// Save screenshots of the task list and the assistant to docs/screenshots/.
    Screenshots(local::screenshots::Screenshots),
    /// Run the whole test suite (starts a throwaway PostgreSQL if needed).
    Test(local::test::Test),
    /// cargo fmt --check, cargo clippy -D warnings, cargo-deny (licenses, bans, sources).
    Lint(local::lint::Lint),
    /// Load-test the release backend on PostgreSQL and SQLite.
    Bench(local::bench::Bench),
    /// Fuzz the API from its OpenAPI document (schemathesis) on SQLite and PostgreSQL.
    #[command(name = "api-fuzz")]
    ApiFuzz(local::api_fuzz::ApiFuzz),
    /// The official MCP conformance suite and the Python SDK's OAuth login against /mcp.
    #[command(name = "mcp-conformance")]
    McpConformance(local::mcp_conformance::McpConformance),
    /// Build the backend and frontend images, report sizes (40 MB budget), write their SBOMs.
    Images(containers::images::Images),
    /// Build the images and run them hardened against PostgreSQL.
    Smoke(containers::smoke::Smoke),
    /// The contract suite's PostgreSQL cases via testcontainers (needs Docker).
    Testcontainers(containers::testcontainers::Testcontainers),
    /// Lint, render and check the Helm chart; keep infra/k8s in sync.
    Chart(chart::Chart),
    /// Validate .github/workflows/*.yml against the GitHub workflow schema.
    Workflows(local::workflows::Workflows),
    /// Everything CI checks, in order.
    Ci(ci::Ci),
    /// Build, load and helm-install the app into minikube or kind.
    Deploy(cluster::deploy::Deploy),
    /// Run the release's Helm test hooks and show their logs.
    #[command(name = "test-k8s")]
    TestK8s(cluster::test_k8s::TestK8s),
    /// Check prerequisites and diagnose the release in the cluster (its backups included).
    Doctor(cluster::doctor::Doctor),
    /// Run the release's backup now and copy the dump to this machine (./backups/).
    Backup(cluster::backup::Backup),
    /// Put a dump made by `backup` back into the release's database (asks first).
    Restore(cluster::restore::Restore),
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
        Command::Images(cmd) => cmd.run().and_then(|built| {
            if cmd.smoke {
                let _daemon = support::docker::Daemon::ensure()?;
                containers::smoke::smoke(&built, &containers::bases::postgres(cmd.base)?)
            } else {
                Ok(())
            }
        }),
        Command::Smoke(cmd) => cmd.run(),
        Command::Testcontainers(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::ApiFuzz(cmd) => cmd.run(),
        Command::McpConformance(cmd) => cmd.run(),
        Command::Deploy(cmd) => cmd.run(),
        Command::TestK8s(cmd) => cmd.run(),
        Command::Doctor(cmd) => cmd.run(),
        Command::Backup(cmd) => cmd.run(),
        Command::Restore(cmd) => cmd.run(),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
