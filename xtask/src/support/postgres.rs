//! A throwaway PostgreSQL cluster on 127.0.0.1 for the test suite, made
//! from the host's server binaries (Debian's `postgresql` package).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::support::process::{free_port, is_root, output, run, unique_suffix, which};

/// A running cluster; stopped (by its PID file's PID) and deleted on drop.
#[derive(Debug)]
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
    pub pid: u32,
    pub url: String,
}

/// The directory holding `initdb` and `pg_ctl`, if a server is installed.
pub fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .or_else(|| which("initdb").and_then(|p| p.parent().map(Path::to_path_buf)))
}

impl TempPostgres {
    pub fn start(bin: &Path) -> anyhow::Result<Self> {
        // initdb refuses to run as root; run the cluster as `postgres`.
        let as_postgres_user = is_root();
        let dir = std::env::temp_dir().join(format!("todo-test-pg-{}", unique_suffix()));
        std::fs::create_dir_all(&dir)?;
        let password = format!("pw{}", std::process::id());
        std::fs::write(dir.join("pwfile"), &password)?;
        if as_postgres_user {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let port = free_port()?;
        let mut cluster = Self {
            dir,
            bin: bin.to_path_buf(),
            as_postgres_user,
            pid: 0,
            url: format!("postgres://todo:{password}@127.0.0.1:{port}/postgres"),
        };
        let data = cluster.dir.join("data");
        output(
            cluster
                .tool("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "todo", "-A", "scram-sha-256", "--no-sync"])
                .arg(format!("--pwfile={}", cluster.dir.join("pwfile").display())),
        )
        .context("initdb failed")?;
        // fsync off: this data is thrown away after the run.
        output(
            cluster
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(format!(
                    "-h 127.0.0.1 -p {port} -k {} -F -c max_connections=200",
                    cluster.dir.display()
                ))
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-w", "start"]),
        )
        .with_context(|| {
            format!(
                "PostgreSQL did not start; see {}/server.log",
                cluster.dir.display()
            )
        })?;
        let pid_file = std::fs::read_to_string(data.join("postmaster.pid"))?;
        cluster.pid = pid_file
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .context("postmaster.pid has no PID")?;
        Ok(cluster)
    }

    /// `VACUUM ANALYZE` on `tables`: what autovacuum does within its first
    /// minute of a new table's life (its statistics for the planner, its
    /// visibility map for scans), done now.
    pub fn vacuum_analyze(&self, tables: &[&str]) -> anyhow::Result<()> {
        let mut vacuumdb = self.tool("vacuumdb");
        vacuumdb.args(["--analyze", "--quiet"]);
        for table in tables {
            vacuumdb.args(["--table", table]);
        }
        output(vacuumdb.arg("--dbname").arg(&self.url)).context("vacuumdb failed")?;
        Ok(())
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        if self.pid == 0 {
            return Ok(());
        }
        let stopped = output(
            self.tool("pg_ctl")
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "fast", "-w", "stop"]),
        );
        if stopped.is_err() {
            // Fall back to the PID we recorded; never a broader kill.
            let _ = Command::new("kill").arg(self.pid.to_string()).status();
        }
        self.pid = 0;
        std::fs::remove_dir_all(&self.dir).ok();
        if let Err(e) = stopped {
            bail!("pg_ctl stop failed: {e}");
        }
        Ok(())
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("xtask: {e}");
        }
    }
}
