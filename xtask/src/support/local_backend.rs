//! A `todo-backend` binary run as a child process on a free loopback port,
//! for the commands that exercise a real server (bench, api-fuzz); stopped
//! with SIGTERM, by its PID, when dropped.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

#[derive(Debug)]
pub struct LocalBackend {
    child: Child,
    port: u16,
    pub ready_after: Duration,
}

impl LocalBackend {
    /// Starts `binary` on `database_url` with `extra` variables and waits
    /// (up to 30 s) until `/ready` answers 200.
    pub fn start(
        binary: &Path,
        database_url: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let started = Instant::now();
        let mut command = Command::new(binary);
        command
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("JWT_SECRET", "local-backend-secret-0123456789abcdef0123")
            .env("RUST_LOG", "warn")
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::null());
        for (name, value) in extra {
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
            if ready(port) {
                server.ready_after = started.elapsed();
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the backend exited during startup ({status})");
            }
            if Instant::now() > deadline {
                bail!("the backend was not ready within 30 s");
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

impl Drop for LocalBackend {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A bare HTTP/1.1 GET of /ready; true on 200.
fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}
