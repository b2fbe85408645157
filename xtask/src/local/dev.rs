//! `cargo xtask dev`: the backend and the frontend on this machine, on the
//! embedded SQLite database, until Ctrl-C.

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use crate::support::http;
use crate::support::process::{cargo, project_root, run};
use crate::support::workspace::target_dir;

/// Builds and runs the backend (DEV_MODE, SQLite under `.local/dev/`) and
/// the frontend in front of it; prints the URL; Ctrl-C stops both.
#[derive(Debug, Args)]
pub struct Dev {
    /// The frontend's port (the URL to open).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// The backend's port.
    #[arg(long, default_value_t = 8080)]
    pub backend_port: u16,
    /// Build with optimisations (slower build, faster app).
    #[arg(long)]
    pub release: bool,
}

impl Dev {
    pub fn run(self) -> anyhow::Result<()> {
        for (port, flag) in [(self.backend_port, "--backend-port"), (self.port, "--port")] {
            TcpListener::bind(("127.0.0.1", port)).with_context(|| {
                format!(
                    "port {port} is in use: stop what listens there, or pick another with {flag}"
                )
            })?;
        }
        let mut build = cargo();
        build.args(["build", "-p", "todo-backend", "-p", "todo-frontend"]);
        if self.release {
            build.arg("--release");
        }
        run(&mut build)?;
        let bin = target_dir().join(if self.release { "release" } else { "debug" });

        let data = project_root().join(".local").join("dev");
        std::fs::create_dir_all(&data)
            .with_context(|| format!("could not create {}", data.display()))?;
        let database = data.join("todo.db");

        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("could not install the Ctrl-C handler")?;

        let backend_url = format!("http://127.0.0.1:{}", self.backend_port);
        let mut stack = Stack::default();
        stack.spawn(
            "backend",
            Command::new(bin.join("todo-backend"))
                .env("DEV_MODE", "true")
                .env("DATABASE_URL", format!("sqlite://{}", database.display()))
                .env("BIND_ADDR", "127.0.0.1")
                .env("PORT", self.backend_port.to_string())
                .env("LOG_FORMAT", "pretty")
                .env("TRUSTED_PROXY_HOPS", "1")
                .env(
                    "OAUTH_AUTHORIZE_URL",
                    format!("http://127.0.0.1:{}/oauth/authorize", self.port),
                )
                .env("SHUTDOWN_GRACE_SECONDS", "5"),
        )?;
        stack.spawn(
            "frontend",
            Command::new(bin.join("todo-frontend"))
                // Plain http on loopback: a cookie without Secure.
                .env("DEV_MODE", "true")
                .env("BACKEND_URL", &backend_url)
                .env("BIND_ADDR", "127.0.0.1")
                .env("PORT", self.port.to_string())
                .env("LOG_FORMAT", "pretty")
                .env("SHUTDOWN_GRACE_SECONDS", "5"),
        )?;

        let waited = stack.wait_until_up(
            &[(self.backend_port, "/health"), (self.port, "/api/health")],
            &stop,
        );
        if let Err(e) = waited {
            stack.stop();
            return Err(e);
        }
        if !stop.load(Ordering::SeqCst) {
            eprintln!(
                "\n  Todo is running: http://127.0.0.1:{}\n  (backend {backend_url}, data in {}; DEV_MODE: a new JWT secret each start, so sessions end on restart)\n  Press Ctrl-C to stop both.\n",
                self.port,
                database.display()
            );
        }
        while !stop.load(Ordering::SeqCst) {
            if let Some((name, status)) = stack.exited()? {
                stack.stop();
                bail!("the {name} stopped on its own ({status}); see its log above");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("\ndev: stopping the frontend and the backend");
        stack.stop();
        Ok(())
    }
}

/// The processes started here, stopped in reverse order.
#[derive(Default)]
struct Stack {
    children: Vec<(&'static str, Child)>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pids: Vec<_> = self.children.iter().map(|(n, c)| (n, c.id())).collect();
        f.debug_struct("Stack").field("children", &pids).finish()
    }
}

impl Stack {
    fn spawn(&mut self, name: &'static str, command: &mut Command) -> anyhow::Result<()> {
        let child = command
            .spawn()
            .with_context(|| format!("could not start the {name} ({:?})", command.get_program()))?;
        eprintln!("dev: started the {name} (pid {})", child.id());
        self.children.push((name, child));
        Ok(())
    }

    /// The first child that has exited, if any.
    fn exited(&mut self) -> anyhow::Result<Option<(&'static str, ExitStatus)>> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                return Ok(Some((name, status)));
            }
        }
        Ok(None)
    }

    fn wait_until_up(&mut self, probes: &[(u16, &str)], stop: &AtomicBool) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        for (port, path) in probes {
            loop {
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                if let Some((name, status)) = self.exited()? {
                    bail!("the {name} exited during startup ({status}); see its log above");
                }
                if http::get(*port, path).is_ok_and(|r| r.status == 200) {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("nothing answered 200 on http://127.0.0.1:{port}{path} within 60 s");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// SIGTERM (the servers finish in-flight requests), then a hard kill
    /// for whatever is still running after 10 s.
    fn stop(&mut self) {
        while let Some((name, mut child)) = self.children.pop() {
            if child.try_wait().ok().flatten().is_some() {
                continue;
            }
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        eprintln!("dev: the {name} stopped ({status})");
                        break;
                    }
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    _ => {
                        eprintln!("dev: the {name} did not stop within 10 s; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}
