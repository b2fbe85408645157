//! The Docker engine: the client command, and a daemon we start ourselves
//! when none is running (installing Debian's `docker.io` first if needed).
//! Only a daemon started here is ever stopped here, by its own PID.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::support::process::{output, which};
use crate::support::tools::{install_debian_packages, may_install_debian_packages};

/// Debian's client: it has BuildKit built in. A `docker` earlier in PATH
/// may be a newer client without buildx that refuses `DOCKER_BUILDKIT=1`.
const DEBIAN_CLIENT: &str = "/usr/bin/docker";
const DEBIAN_DAEMON: &str = "/usr/sbin/dockerd";
const DAEMON_START_TIMEOUT: Duration = Duration::from_secs(60);
const DAEMON_STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A `docker` command with BuildKit enabled.
pub fn docker() -> Command {
    let program = if Path::new(DEBIAN_CLIENT).is_file() {
        PathBuf::from(DEBIAN_CLIENT)
    } else {
        which("docker").unwrap_or_else(|| PathBuf::from("docker"))
    };
    let mut command = Command::new(program);
    command.env("DOCKER_BUILDKIT", "1");
    command
}

/// Why Docker cannot be used here, if it cannot: neither a daemon that
/// answers, nor an engine we could start, nor one we could install.
pub fn unavailable_reason() -> Option<String> {
    if daemon_answers() || Path::new(DEBIAN_DAEMON).is_file() || may_install_debian_packages() {
        return None;
    }
    Some(
        "no Docker daemon answers and Docker is not installed (install Docker Engine, \
         or on Debian run scripts/install-system-deps.sh as root)"
            .to_string(),
    )
}

/// Whether a daemon answers.
pub fn daemon_answers() -> bool {
    docker()
        .arg("info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether `image` (name:tag) is in the local image store.
pub fn image_exists(image: &str) -> bool {
    docker()
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Uncompressed size in bytes, as `docker image inspect` reports it.
pub fn image_size(image: &str) -> anyhow::Result<u64> {
    let size = output(docker().args(["image", "inspect", "--format", "{{.Size}}", image]))?;
    size.trim().parse().with_context(|| {
        format!("`docker image inspect` gave a size that is not a number: {size:?}")
    })
}

/// Keeps a daemon available for as long as it lives. When this process
/// started the daemon, dropping the guard stops exactly that daemon.
#[derive(Debug)]
pub struct Daemon {
    started: Option<Child>,
}

impl Daemon {
    /// Uses the running daemon, or installs and starts one.
    pub fn ensure() -> anyhow::Result<Self> {
        if daemon_answers() {
            return Ok(Self { started: None });
        }
        if !Path::new(DEBIAN_DAEMON).is_file() {
            install_docker()?;
        }
        if daemon_answers() {
            // The package's own service may have started it.
            return Ok(Self { started: None });
        }
        let log_path =
            std::env::temp_dir().join(format!("todo-dockerd-{}.log", std::process::id()));
        let log = File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        eprintln!(
            "docker: no daemon answers; starting {DEBIAN_DAEMON} (log: {})",
            log_path.display()
        );
        let child = Command::new(DEBIAN_DAEMON)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start {DEBIAN_DAEMON} (it needs root)"))?;
        let mut daemon = Self {
            started: Some(child),
        };
        let deadline = Instant::now() + DAEMON_START_TIMEOUT;
        loop {
            if daemon_answers() {
                let pid = daemon.started.as_ref().map_or(0, Child::id);
                eprintln!("docker: daemon started (pid {pid}); it is stopped when xtask ends");
                return Ok(daemon);
            }
            if let Some(child) = daemon.started.as_mut()
                && let Some(status) = child.try_wait()?
            {
                daemon.started = None;
                bail!(
                    "dockerd exited at once ({status}); see {} — is another daemon \
                     holding /var/run/docker.pid, or is this not root?",
                    log_path.display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "dockerd did not answer within {DAEMON_START_TIMEOUT:?}; see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let Some(mut child) = self.started.take() else {
            return;
        };
        let pid = child.id();
        eprintln!("docker: stopping the daemon this run started (pid {pid})");
        // SIGTERM lets dockerd stop its containers and release its state.
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let deadline = Instant::now() + DAEMON_STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("docker: dockerd (pid {pid}) ignored SIGTERM; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Installs Debian's engine; only attempted as root on Debian.
fn install_docker() -> anyhow::Result<()> {
    eprintln!("docker: {DEBIAN_DAEMON} is missing");
    if !install_debian_packages(&["docker.io"], "docker") {
        bail!(
            "Docker is not installed, and Debian's docker.io could not be installed here (that needs \
             root on Debian): install Docker Engine (https://docs.docker.com/engine/install/) and start it"
        );
    }
    Ok(())
}
