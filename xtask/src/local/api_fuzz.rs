//! `cargo xtask api-fuzz`: property-based testing of the served OpenAPI
//! document with schemathesis, against a real backend on SQLite and on
//! PostgreSQL. Every phase runs (examples, coverage, fuzzing, stateful)
//! with every check, from a fixed seed and within a bounded number of
//! cases, so a run is repeatable and its time bounded. It fails on any
//! server error, undocumented status, response outside its schema, invalid
//! request accepted or valid request refused (with one exception, stated in
//! `xtask/api-fuzz.toml`: a task patch's validity also depends on the
//! stored task).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use todo_api::{ApiClient, SignupRequest};

use crate::support::local_server::LocalServer;
use crate::support::postgres::{TempPostgres, server_binaries};
use crate::support::process::{cargo, run};
use crate::support::workspace::{project_root, target_dir};

/// The one operation left out: it ends the session the run authenticates
/// with, after which every other operation could only answer 401 (the
/// contract suite covers it). Deleting the account and changing the
/// password stay in: both need the password, which the fuzzer never sends.
const EXCLUDED_OPERATION: &str = "logout";

/// Hard stop for one database's run, whatever schemathesis does.
const RUN_LIMIT: Duration = Duration::from_secs(600);

const MAX_EXAMPLES: u32 = 100;
const SEED: u64 = 20_261_202;

#[derive(Debug, Args)]
pub struct ApiFuzz {
    /// Test cases per operation and phase.
    #[arg(long, default_value_t = MAX_EXAMPLES)]
    max_examples: u32,
    /// The random seed; the default makes runs repeatable.
    #[arg(long, default_value_t = SEED)]
    seed: u64,
    /// Only this database (`postgres` or `sqlite`).
    #[arg(long)]
    only: Option<String>,
}

impl Default for ApiFuzz {
    fn default() -> Self {
        Self {
            max_examples: MAX_EXAMPLES,
            seed: SEED,
            only: None,
        }
    }
}

impl ApiFuzz {
    pub fn run(self) -> anyhow::Result<()> {
        let schemathesis = crate::support::tools::SCHEMATHESIS.ensure()?;
        // The binary the test build made: no second build with other features.
        run(cargo().args(["test", "--workspace", "--no-run", "--quiet"]))?;
        let binary = target_dir().join("debug/todo-backend");
        let mut passed = Vec::new();
        if self.only.as_deref().is_none_or(|only| only == "sqlite") {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
            self.fuzz("sqlite", &schemathesis, &binary, &url)?;
            passed.push("sqlite");
        }
        if self.only.as_deref().is_none_or(|only| only == "postgres") {
            let bin = server_binaries().context(
                "PostgreSQL server binaries not found: `apt-get install -y postgresql` \
                 (or run `cargo xtask test` once, which installs them on Debian)",
            )?;
            let cluster = TempPostgres::start(&bin)?;
            self.fuzz("postgres", &schemathesis, &binary, &cluster.url)?;
            passed.push("postgres");
        }
        eprintln!(
            "api-fuzz: no failures on {} (seed {}, up to {} cases per operation and phase)",
            passed.join(" and "),
            self.seed,
            self.max_examples
        );
        Ok(())
    }

    fn fuzz(
        &self,
        database: &str,
        schemathesis: &Path,
        binary: &Path,
        url: &str,
    ) -> anyhow::Result<()> {
        eprintln!("\napi-fuzz: {database}");
        // Rate-limit warnings are expected here; only errors are news.
        // Every request is the one fuzzing user's: its writes per minute
        // would otherwise end most of a run in 429s.
        let server = LocalServer::backend(
            binary,
            url,
            &[
                ("RUST_LOG", "error"),
                ("WRITES_PER_MINUTE_PER_USER", "1000000"),
                ("MCP_TOOL_CALLS_PER_MINUTE_PER_USER", "1000000"),
            ],
        )?;
        let base = server.base_url();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let token = runtime
            .block_on(ApiClient::new(&base).signup(&SignupRequest {
                email: format!("fuzzer-{database}@example.com"),
                password: "fuzzing password".into(),
                name: "Fuzzer".into(),
                time_zone: None,
            }))
            .context("could not sign the fuzzing user up")?
            .token;
        let reports = target_dir().join(format!("api-fuzz/{database}"));
        let mut command = Command::new(schemathesis);
        command
            .arg("--config-file")
            .arg(project_root().join("xtask/api-fuzz.toml"))
            .arg("run")
            .arg(format!("{base}/api/openapi.json"))
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--seed", &self.seed.to_string()])
            .args(["--max-examples", &self.max_examples.to_string()])
            .args(["--exclude-operation-id", EXCLUDED_OPERATION])
            .args(["--request-timeout", "10"])
            .args(["--workers", "1"])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--report", "junit", "--report-dir"])
            .arg(&reports)
            .arg("--no-color")
            .current_dir(target_dir());
        let started = Instant::now();
        let mut child = command.spawn().context("could not start schemathesis")?;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                bail!("schemathesis ran over {RUN_LIMIT:?} on {database}; stopped it");
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        drop(server);
        if !status.success() {
            bail!(
                "schemathesis found problems on {database} ({status}); the report above lists \
                 each with a curl line to reproduce it, and {} holds the JUnit report",
                reports.display()
            );
        }
        eprintln!("api-fuzz: {database} clean in {:.0?}", started.elapsed());
        Ok(())
    }
}
