//! A server binary of this workspace (`todo-backend`, `todo-frontend`) run
//! as a child process on a free loopback port, for the commands that
//! exercise real servers (bench, api-fuzz); stopped with SIGTERM, by its
//! PID, when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::http;
use super::process::{cargo, free_port, run};
use super::workspace::target_dir;

/// Builds `todo-backend` and `todo-frontend` (with optimisations when
/// `release`), and answers the directory that holds them.
pub fn build_servers(release: bool) -> anyhow::Result<std::path::PathBuf> {
    let mut build = cargo();
    build.args([
        "build",
        "--quiet",
        "-p",
        "todo-backend",
        "-p",
        "todo-frontend",
    ]);
    if release {
        build.arg("--release");
    }
    run(&mut build)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }))
}

#[derive(Debug)]
pub struct LocalServer {
    child: Child,
    port: u16,
    pub ready_after: Duration,
}

impl LocalServer {
    /// Starts the backend `binary` on `database_url` with `extra`
    /// variables and waits until `/ready` answers 200.
    pub fn backend(
        binary: &Path,
        database_url: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut env = vec![
            ("DATABASE_URL", database_url),
            ("JWT_SECRET", "local-backend-secret-0123456789abcdef0123"),
            ("LOG_FORMAT", "json"),
        ];
        env.extend_from_slice(extra);
        Self::start(binary, &env, "/ready")
    }

    /// Starts the frontend `binary` in front of the backend at `backend`
    /// and waits until `/api/health` answers 200.
    /// It is served over plain http, so its session cookie is not Secure
    /// (named `todo_session`).
    pub fn frontend(binary: &Path, backend: &str) -> anyhow::Result<Self> {
        Self::frontend_on(binary, backend, free_port()?)
    }

    /// [`LocalServer::frontend`] on `port`, for a backend that must know
    /// the frontend's address before it starts.
    pub fn frontend_on(binary: &Path, backend: &str, port: u16) -> anyhow::Result<Self> {
        Self::start_on(
            port,
            binary,
            &[("BACKEND_URL", backend), ("COOKIE_SECURE", "false")],
            "/api/health",
        )
    }

    /// Starts `binary` with `env` and waits (up to 30 s) until `ready`
    /// answers 200.
    fn start(binary: &Path, env: &[(&str, &str)], ready: &str) -> anyhow::Result<Self> {
        Self::start_on(free_port()?, binary, env, ready)
    }

    fn start_on(
        port: u16,
        binary: &Path,
        env: &[(&str, &str)],
        ready: &str,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut command = Command::new(binary);
        command
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let mut server = Self {
            child,
            port,
            ready_after: Duration::ZERO,
        };
        let deadline = started + Duration::from_secs(30);
        loop {
            if http::get(port, ready).is_ok_and(|r| r.status == 200) {
                server.ready_after = started.elapsed();
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("{} exited during startup ({status})", binary.display());
            }
            if Instant::now() > deadline {
                bail!("{} did not answer {ready} within 30 s", binary.display());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, from /proc.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/PID/status")
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
