//! A PostgreSQL server of a test's own, made from the host's server
//! binaries (Debian's `postgresql` package), that the test may stop and
//! start as an operator would: the shared test server cannot be restarted
//! under the other cases' feet. Runs as the `postgres` user when we are
//! root (initdb refuses root); stopped by its data directory on drop.

use std::path::PathBuf;
use std::process::Command;

/// How `pg_ctl stop` ends the server's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Sessions are told "terminating connection due to administrator
    /// command" (SQLSTATE 57P01): a Pod's SIGTERM, a node drain.
    Fast,
    /// Sessions are killed and the next start recovers from the WAL: a
    /// crash, an OOM kill, a failover.
    Immediate,
}

impl StopMode {
    fn as_arg(self) -> &'static str {
        match self {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        }
    }
}

pub struct OwnPostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    port: u16,
    password: String,
}

impl OwnPostgres {
    /// initdb and start a cluster on 127.0.0.1:`port` whose superuser is
    /// `todo` with `password`.
    pub fn start(port: u16, password: &str) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").is_file())
            .max()
            .expect(
                "this test starts a real PostgreSQL: install the server \
                 (Debian: apt-get install postgresql; `cargo xtask test` does it)",
            );
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), password).unwrap();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let server = Self {
            bin,
            dir,
            as_postgres,
            port,
            password: password.to_owned(),
        };
        let initdb = server
            .tool("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-U", "todo", "-A", "scram-sha-256", "--no-sync"])
            .arg(format!(
                "--pwfile={}",
                server.dir.path().join("pw").display()
            ))
            .output()
            .unwrap();
        assert!(initdb.status.success(), "initdb: {initdb:?}");
        server.start_again();
        server
    }

    /// `postgres://todo:…@127.0.0.1:port/database`
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://todo:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// Starts the (stopped) server on its data directory and waits until
    /// it accepts connections.
    pub fn start_again(&self) {
        let started = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-o")
            .arg(format!(
                "-h 127.0.0.1 -p {} -k {} -F",
                self.port,
                self.dir.path().display()
            ))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(
            started.status.success(),
            "pg_ctl start: {started:?}; log: {}",
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Stops the server and waits until it has exited.
    pub fn stop(&self, mode: StopMode) {
        let stopped = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode.as_arg(), "-w", "stop"])
            .output()
            .unwrap();
        assert!(stopped.status.success(), "pg_ctl stop: {stopped:?}");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
