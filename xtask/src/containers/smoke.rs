//! `cargo xtask smoke`: runs the built images the way the cluster does —
//! read-only root, user 65532, no capabilities, no privilege escalation, a
//! memory limit — against a real PostgreSQL, and checks what they serve,
//! that they hold no shell, and that SIGTERM ends them cleanly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;

use super::bases::{self, BaseSource, Bases};
use super::images::{self, Built, seconds};
use crate::support::docker::{Daemon, docker};
use crate::support::http;
use crate::support::process::{free_port, output, run, unique_suffix};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// A SIGTERM must end each container within this (then Docker kills);
/// docs/containers.md.
const STOP_GRACE_SECONDS: u64 = 10;
const MEMORY_LIMIT: &str = "128m";

/// Builds the images (unless given) and smoke-tests them.
#[derive(Debug, Args)]
pub struct Smoke {
    /// Test this backend image instead of building (needs --frontend-image).
    #[arg(long, requires = "frontend_image")]
    backend_image: Option<String>,
    /// Test this frontend image instead of building (needs --backend-image).
    #[arg(long, requires = "backend_image")]
    frontend_image: Option<String>,
    /// Where base images come from when building.
    #[arg(long, value_enum, default_value_t = BaseSource::Auto)]
    base: BaseSource,
}

impl Smoke {
    pub fn run(self) -> anyhow::Result<()> {
        let _daemon = Daemon::ensure()?;
        let built = match (self.backend_image, self.frontend_image) {
            (Some(backend), Some(frontend)) => Built {
                backend,
                frontend,
                version: "given".into(),
            },
            _ => images::build(&Bases::resolve(self.base)?)?,
        };
        smoke(&built, &bases::postgres(self.base)?)
    }
}

/// The containers this run started; removed (and only they) on drop, with
/// their logs shown first when the test failed.
#[derive(Debug, Default)]
struct Containers {
    names: Vec<String>,
    passed: bool,
}

impl Containers {
    fn start(&mut self, name: &str, args: &[String]) -> anyhow::Result<Instant> {
        let mut command = docker();
        command.args(["run", "--detach", "--name", name]).args(args);
        self.names.push(name.to_string());
        let started = Instant::now();
        output(&mut command).with_context(|| format!("`docker run` of {name} failed"))?;
        Ok(started)
    }

    /// Runs an app `image` as restricted as the chart does, listening on
    /// 127.0.0.1 at `port`; the figure of how long from `docker run` until
    /// `ready_path` answers 200.
    fn start_app(
        &mut self,
        name: &str,
        image: &str,
        (port, ready_path): (u16, &str),
        settings: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let mut args = hardened(MEMORY_LIMIT);
        args.extend(env(&[
            ("BIND_ADDR", "127.0.0.1"),
            ("PORT", &port.to_string()),
        ]));
        args.extend(env(settings));
        args.push(image.to_owned());
        let started = self.start(name, &args)?;
        wait_for_200(name, port, ready_path)?;
        let ready = started.elapsed();
        eprintln!(
            "smoke: {name} answers {ready_path} with 200 {} after `docker run`",
            seconds(ready)
        );
        Ok(format!(
            "{name}: docker run -> {ready_path} 200 in {}",
            seconds(ready)
        ))
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        for name in &self.names {
            if !self.passed {
                eprintln!("\n--- smoke: last log lines of {name} ---");
                let _ = docker().args(["logs", "--tail", "40", name]).status();
            }
            let _ = docker()
                .args(["rm", "--force", "--volumes", name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Flags every app container runs with: as restricted as the Helm chart.
/// The images' HEALTHCHECK assumes the default ports, which the smoke test
/// cannot take on a shared machine; `probe_inside` runs the same probe.
fn hardened(memory: &str) -> Vec<String> {
    [
        "--no-healthcheck",
        "--network=host",
        "--read-only",
        "--user=65532:65532",
        "--cap-drop=ALL",
        "--security-opt=no-new-privileges",
        &format!("--memory={memory}"),
    ]
    .map(String::from)
    .to_vec()
}

/// `docker run` flags setting these environment variables.
fn env(variables: &[(&str, &str)]) -> Vec<String> {
    variables
        .iter()
        .flat_map(|(name, value)| ["--env".to_string(), format!("{name}={value}")])
        .collect()
}

/// Polls `path` on 127.0.0.1:`port` until it answers 200.
fn wait_for_200(container: &str, port: u16, path: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last = String::from("no answer yet");
    while Instant::now() < deadline {
        match http::get(port, path) {
            Ok(response) if response.status == 200 => return Ok(()),
            Ok(response) => last = format!("HTTP {}: {}", response.status, response.body.trim()),
            Err(e) => last = format!("{e:#}"),
        }
        if !running(container)? {
            bail!("{container} exited while waiting for {path} (last: {last})");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{container}: {path} did not answer 200 within {READY_TIMEOUT:?} (last: {last})")
}

fn running(container: &str) -> anyhow::Result<bool> {
    let state = output(docker().args(["inspect", "--format", "{{.State.Running}}", container]))?;
    Ok(state.trim() == "true")
}

/// Smoke-tests `built` against a database of `postgres_image`.
pub fn smoke(built: &Built, postgres_image: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let suffix = unique_suffix();
    let mut containers = Containers::default();
    let mut figures = Vec::new();

    for image in [&built.backend, &built.frontend] {
        assert_no_shell(image)?;
    }

    let pg_port = free_port()?;
    let pg_password = format!("smoke-{suffix}");
    let postgres = format!("todo-smoke-postgres-{suffix}");
    let mut args = vec!["--network=host".to_string()];
    args.extend(env(&[
        ("POSTGRES_USER", "todo"),
        ("POSTGRES_PASSWORD", &pg_password),
        ("POSTGRES_DB", "todo"),
    ]));
    args.push(postgres_image.to_owned());
    // Loopback only, even though the container shares the host's network.
    for setting in [
        &format!("port={pg_port}"),
        "listen_addresses=127.0.0.1",
        "fsync=off",
    ] {
        args.extend(["-c".to_owned(), setting.to_owned()]);
    }
    let pg_started = containers.start(&postgres, &args)?;
    wait_for_tcp(&postgres, pg_port)?;
    eprintln!(
        "smoke: PostgreSQL ({postgres}) accepts connections on 127.0.0.1:{pg_port} after {}",
        seconds(pg_started.elapsed())
    );

    let backend_port = free_port()?;
    let backend = format!("todo-smoke-backend-{suffix}");
    let backend_url = format!("http://127.0.0.1:{backend_port}");
    let database_url = format!("postgres://todo:{pg_password}@127.0.0.1:{pg_port}/todo");
    let jwt_secret = format!("smoke-test-secret-{suffix}-0123456789abcdef");
    figures.push(containers.start_app(
        &backend,
        &built.backend,
        (backend_port, "/ready"),
        &[("DATABASE_URL", &database_url), ("JWT_SECRET", &jwt_secret)],
    )?);
    wait_for_200(&backend, backend_port, "/health")?;

    let frontend_port = free_port()?;
    let frontend = format!("todo-smoke-frontend-{suffix}");
    let public_url = format!("http://127.0.0.1:{frontend_port}");
    figures.push(containers.start_app(
        &frontend,
        &built.frontend,
        (frontend_port, "/api/health"),
        &[
            ("BACKEND_URL", &backend_url),
            ("PUBLIC_URL", &public_url),
            ("COOKIE_SECURE", "false"),
        ],
    )?);

    probe_inside(
        &backend,
        "todo-backend",
        &format!("http://127.0.0.1:{backend_port}/health"),
    )?;
    probe_inside(
        &frontend,
        "todo-frontend",
        &format!("{public_url}/api/health"),
    )?;

    // The contract check ships inside the backend image, and the visitor's
    // walk through the web pages (sign up and add a task with the forms,
    // see it on /tasks, chat, log out and in) inside the frontend's; run
    // each from its image, just as restricted, against the running
    // containers.
    for (image, walk) in [
        (&built.backend, vec!["--url", &backend_url]),
        (
            &built.frontend,
            vec!["--url", &public_url, "--backend-url", &backend_url],
        ),
    ] {
        run(docker()
            .args(["run", "--rm"])
            .args(hardened(MEMORY_LIMIT))
            .args([image, "selftest"])
            .args(&walk))
        .with_context(|| format!("`selftest` of {image} against the containers failed"))?;
    }
    eprintln!("smoke: signed up, added a task and saw it on /tasks through the frontend");
    figures.push(signup_burst(&backend, backend_port)?);
    // After real traffic: a figure for the chart's memory requests/limits.
    let usage = output(docker().args([
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}}: {{.MemUsage}}",
        &backend,
        &frontend,
    ]))?;
    for line in usage.lines() {
        figures.push(format!("memory {line}"));
    }

    for name in [&frontend, &backend, &postgres] {
        let took = stop(name)?;
        figures.push(format!(
            "{name}: docker stop -> exit 0 in {}",
            seconds(took)
        ));
    }

    containers.passed = true;
    eprintln!(
        "\nsmoke: {} and {} (version {}) passed in {}",
        built.backend,
        built.frontend,
        built.version,
        seconds(started.elapsed())
    );
    for figure in figures {
        eprintln!("  {figure}");
    }
    Ok(())
}

/// Concurrent anonymous signups at the backend.
const SIGNUP_BURST: usize = 40;

/// Fires [`SIGNUP_BURST`] concurrent signups at the backend, under the
/// chart's memory limit: each is answered 201, 429 (throttled) or 503
/// (hashing is bounded), the container survives, and the process's peak
/// resident memory (VmHWM, read from the host's /proc) stays under the
/// limit. Returns the figure for the report.
fn signup_burst(container: &str, port: u16) -> anyhow::Result<String> {
    let api = todo_api::ApiClient::new(format!("http://127.0.0.1:{port}"));
    let marker = unique_suffix();
    let statuses = tokio::runtime::Runtime::new()?.block_on(async {
        let mut burst = tokio::task::JoinSet::new();
        for i in 0..SIGNUP_BURST {
            let (api, email) = (api.clone(), format!("burst-{marker}-{i}@smoke.invalid"));
            burst.spawn(async move {
                let signup = todo_api::SignupRequest {
                    email,
                    password: "burst password".into(),
                    name: "Burst".into(),
                    time_zone: None,
                };
                match api.signup(&signup).await {
                    Ok(_) => Ok(201),
                    Err(error) => error.status().map(|s| s.as_u16()).context(error),
                }
            });
        }
        burst.join_all().await
    });
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    for status in statuses {
        *counts.entry(status?).or_default() += 1;
    }
    ensure!(
        counts.keys().all(|status| [201, 429, 503].contains(status)),
        "smoke: {SIGNUP_BURST} concurrent signups answered {counts:?} (only 201, 429 or 503 may)"
    );
    ensure!(
        running(container)?,
        "smoke: the backend did not survive the signups (OOM-killed?)"
    );
    let pid = output(docker().args(["inspect", "-f", "{{.State.Pid}}", container]))?;
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim()))?;
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in the backend's /proc status")?;
    let (peak_mib, limit_mib) = (
        peak_kib as f64 / 1024.0,
        MEMORY_LIMIT.trim_end_matches('m').parse::<f64>()?,
    );
    ensure!(
        peak_mib < limit_mib,
        "smoke: the backend peaked at {peak_mib:.1} MiB, over its {MEMORY_LIMIT} limit"
    );
    Ok(format!(
        "backend: {SIGNUP_BURST} concurrent signups answered {counts:?}; peak RSS {peak_mib:.1} MiB (limit {MEMORY_LIMIT})"
    ))
}

/// Runs the image's own probe (its HEALTHCHECK command, on the port in
/// use) inside the running container: it must work without a shell.
fn probe_inside(container: &str, binary: &str, url: &str) -> anyhow::Result<()> {
    output(docker().args([
        "exec",
        container,
        &format!("/usr/local/bin/{binary}"),
        "check",
        "--url",
        url,
    ]))
    .with_context(|| format!("the health probe inside {container} failed"))?;
    eprintln!("smoke: `{binary} check --url {url}` passes inside {container}");
    Ok(())
}

fn wait_for_tcp(container: &str, port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        // While initialising, the image's server listens on its unix
        // socket only, so a TCP connection means the real server is up.
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if !running(container)? {
            bail!("{container} exited before accepting connections");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{container} did not accept connections on 127.0.0.1:{port} within {READY_TIMEOUT:?}")
}

/// The image must not contain a shell: running one has to fail with
/// Docker's "executable not found" (exit 127), not with anything the
/// shell itself could have returned.
fn assert_no_shell(image: &str) -> anyhow::Result<()> {
    for shell in ["/bin/sh", "/bin/bash", "/usr/bin/sh", "/bin/busybox"] {
        let result = docker()
            .args([
                "run",
                "--rm",
                "--network=none",
                "--entrypoint",
                shell,
                image,
                "-c",
                "exit 0",
            ])
            .stdin(Stdio::null())
            .output()?;
        let code = result.status.code();
        if result.status.success() || code != Some(127) {
            bail!(
                "{image} runs {shell} (exit {code:?}): the runtime image must have no shell; {}",
                String::from_utf8_lossy(&result.stderr).trim()
            );
        }
    }
    eprintln!("smoke: {image} has no shell (/bin/sh, bash, busybox all absent)");
    Ok(())
}

/// `docker stop` (SIGTERM, SIGKILL after the grace period); the container
/// must be gone before the grace period ends, with exit code 0.
fn stop(name: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    output(docker().args(["stop", "--time", &STOP_GRACE_SECONDS.to_string(), name]))?;
    let took = started.elapsed();
    let code = output(docker().args(["inspect", "--format", "{{.State.ExitCode}}", name]))?;
    let code = code.trim();
    ensure!(
        code == "0",
        "{name} exited with code {code} on SIGTERM (137 means Docker had to kill it after {STOP_GRACE_SECONDS} s)"
    );
    ensure!(
        took < Duration::from_secs(STOP_GRACE_SECONDS),
        "{name} took {} to stop; the limit is {STOP_GRACE_SECONDS} s",
        seconds(took)
    );
    eprintln!(
        "smoke: {name} stopped by `docker stop` with exit code 0 in {}",
        seconds(took)
    );
    Ok(took)
}
