//! `cargo xtask test`: the whole suite, with a PostgreSQL provided.

use anyhow::bail;
use clap::Args;

use super::mcp_conformance::McpConformance;
use crate::support::postgres::{TempPostgres, server_binaries};
use crate::support::process::{cargo, run, which};
use crate::support::tools::{AIOSMTPD, install_debian_packages};

/// Runs `cargo test --workspace`, then (unless `cargo test` arguments
/// narrow the run) `mcp-conformance`: the official MCP conformance suite
/// and the Python SDK's OAuth login against `/mcp`, on SQLite and on the
/// throwaway PostgreSQL. The contract suite needs PostgreSQL: it uses
/// `TEST_DATABASE_URL` when set; otherwise this starts a throwaway cluster
/// from the host's PostgreSQL (installing Debian's package when running as
/// root on Debian), or, without one, leaves it to testcontainers and
/// Docker. The e-mail reminder cases need a real SMTP server: this
/// installs aiosmtpd (pinned, into `.local/smtp-venv`) and passes its
/// interpreter as `TEST_SMTP_PYTHON`, unless that is set already.
#[derive(Debug, Default, Args)]
pub struct Test {
    /// Extra arguments for `cargo test` (after `--`).
    #[arg(last = true)]
    pub cargo_args: Vec<String>,
}

impl Test {
    pub fn run(self) -> anyhow::Result<()> {
        let mut command = cargo();
        command.args(["test", "--workspace"]).args(&self.cargo_args);
        crate::support::browser::ensure("test");
        if std::env::var_os("TEST_SMTP_PYTHON").is_none() {
            let python = AIOSMTPD.interpreter()?;
            eprintln!(
                "test: the SMTP server of the reminder tests runs on {}",
                python.display()
            );
            command.env("TEST_SMTP_PYTHON", python);
        }
        let cluster = match provided_database() {
            Some(var) => {
                eprintln!("test: PostgreSQL from {var}");
                None
            }
            None => match server_binaries().or_else(install_postgres) {
                Some(bin) => {
                    let cluster = TempPostgres::start(&bin)?;
                    eprintln!(
                        "test: started a throwaway PostgreSQL (pid {}) from {}",
                        cluster.pid,
                        bin.display()
                    );
                    command.env("TEST_DATABASE_URL", &cluster.url);
                    Some(cluster)
                }
                None if which("docker").is_some() => {
                    eprintln!("test: no PostgreSQL server here; the suite will use testcontainers");
                    None
                }
                None => bail!(
                    "the tests need PostgreSQL. Install it (Debian/Ubuntu: `sudo apt-get install -y postgresql`), \
                     or export TEST_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/postgres, or start Docker"
                ),
            },
        };
        run(&mut command)?;
        if !self.cargo_args.is_empty() {
            return Ok(());
        }
        // Only a cluster of its own: the app's schema is not migrated into
        // a server someone else provided.
        McpConformance {
            postgres: cluster.as_ref().map(|cluster| cluster.url.clone()),
        }
        .run()
    }
}

fn provided_database() -> Option<&'static str> {
    ["TEST_DATABASE_URL", "DATABASE_URL"]
        .into_iter()
        .find(|var| {
            std::env::var(var)
                .is_ok_and(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
        })
}

/// On Debian as root, installs the server package, saying so first.
fn install_postgres() -> Option<std::path::PathBuf> {
    install_debian_packages(&["postgresql"], "test")
        .then(server_binaries)
        .flatten()
}
