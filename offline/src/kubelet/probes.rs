//! The kubelet's probing, for containers on the host network: startup
//! first, then liveness and readiness, each on its own schedule
//! (initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold).
//! Where the kubelet would restart a container (startup or liveness out of
//! failures) the run fails instead: a cluster would crash-loop, and
//! `helm install --wait` would time out.

use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::wiring::container_port;
use crate::docker::docker;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Startup,
    Liveness,
    Readiness,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Startup => "startup",
            Kind::Liveness => "liveness",
            Kind::Readiness => "readiness",
        }
    }
}

/// What a probe does, resolved against the container's declared ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Http { port: u16, path: String },
    Tcp { port: u16 },
    Exec { command: Vec<String> },
}

impl Action {
    pub fn resolve(container: &Container, probe: &Probe) -> anyhow::Result<Self> {
        let port = |port: &IntOrString| match port {
            IntOrString::Int(n) => u16::try_from(*n).ok(),
            IntOrString::String(_) => container_port(container, port),
        };
        if let Some(http) = &probe.http_get {
            let number = port(&http.port)
                .with_context(|| format!("httpGet port {:?} is not declared", http.port))?;
            return Ok(Action::Http {
                port: number,
                path: http.path.clone().unwrap_or_else(|| "/".to_owned()),
            });
        }
        if let Some(tcp) = &probe.tcp_socket {
            let number = port(&tcp.port)
                .with_context(|| format!("tcpSocket port {:?} is not declared", tcp.port))?;
            return Ok(Action::Tcp { port: number });
        }
        if let Some(exec) = &probe.exec {
            let command = exec.command.clone().unwrap_or_default();
            if command.is_empty() {
                bail!("an exec probe without a command");
            }
            return Ok(Action::Exec { command });
        }
        bail!("only httpGet, tcpSocket and exec probes are emulated")
    }

    fn describe(&self) -> String {
        match self {
            Action::Http { port, path } => format!("httpGet http://127.0.0.1:{port}{path}"),
            Action::Tcp { port } => format!("tcpSocket 127.0.0.1:{port}"),
            Action::Exec { command } => format!("exec {}", command.join(" ")),
        }
    }

    /// One attempt, as the kubelet counts it: HTTP 200–399, a TCP
    /// connection, or exit status 0, within the timeout.
    fn attempt(&self, container: &str, timeout: Duration) -> Result<(), String> {
        match self {
            Action::Http { port, path } => {
                let status =
                    crate::http::status(*port, path, timeout).map_err(|e| format!("{e:#}"))?;
                if (200..400).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("HTTP {status}"))
                }
            }
            Action::Tcp { port } => {
                let address = SocketAddr::from(([127, 0, 0, 1], *port));
                TcpStream::connect_timeout(&address, timeout)
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            Action::Exec { command } => {
                let mut exec = docker();
                exec.args(["exec", container]).args(command);
                run_bounded(&mut exec, timeout)
            }
        }
    }
}

/// Runs a command for at most `timeout`; Ok on exit status 0.
fn run_bounded(command: &mut Command, timeout: Duration) -> Result<(), String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {timeout:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        Err(format!("{} ({})", text.trim(), out.status))
    }
}

/// One declared probe and its counters.
#[derive(Debug)]
struct Tracker {
    kind: Kind,
    action: Action,
    initial_delay: Duration,
    period: Duration,
    timeout: Duration,
    failure_threshold: u32,
    next: Option<Instant>,
    failures: u32,
    /// Consecutive readiness failures while every other workload was ready.
    stuck: u32,
    polls: u32,
    passes: u32,
    last: String,
}

impl Tracker {
    fn new(kind: Kind, container: &Container, probe: &Probe) -> anyhow::Result<Self> {
        let seconds = |value: Option<i32>, default: u64| {
            Duration::from_secs(value.map_or(default, |v| u64::try_from(v.max(0)).unwrap_or(0)))
        };
        Ok(Self {
            kind,
            action: Action::resolve(container, probe)
                .with_context(|| format!("{} probe", kind.name()))?,
            initial_delay: seconds(probe.initial_delay_seconds, 0),
            period: seconds(probe.period_seconds, 10).max(Duration::from_secs(1)),
            timeout: seconds(probe.timeout_seconds, 1).max(Duration::from_secs(1)),
            failure_threshold: u32::try_from(probe.failure_threshold.unwrap_or(3).max(1))
                .unwrap_or(3),
            next: None,
            failures: 0,
            stuck: 0,
            polls: 0,
            passes: 0,
            last: String::new(),
        })
    }

    /// (Re)arms the probe for a container (re)started at `at`.
    fn arm(&mut self, at: Instant) {
        self.next = Some(at + self.initial_delay);
        self.failures = 0;
        self.stuck = 0;
    }

    fn due(&self, now: Instant) -> bool {
        self.next.is_some_and(|next| now >= next)
    }

    fn poll(&mut self, container: &str, now: Instant) -> bool {
        self.polls += 1;
        self.next = Some(now + self.period);
        match self.action.attempt(container, self.timeout) {
            Ok(()) => {
                self.passes += 1;
                self.failures = 0;
                self.stuck = 0;
                self.last = "ok".to_owned();
                true
            }
            Err(why) => {
                self.failures += 1;
                self.last = why;
                false
            }
        }
    }

    fn failure(&self, workload: &str) -> String {
        format!(
            "{workload}: {} probe {} failed {} time(s) in a row (failureThreshold {}, every {:?}): {}",
            self.kind.name(),
            self.action.describe(),
            self.failures,
            self.failure_threshold,
            self.period,
            self.last
        )
    }
}

/// The probes of one running container.
#[derive(Debug)]
pub struct PodProbes {
    pub workload: String,
    pub container: String,
    startup: Option<Tracker>,
    liveness: Option<Tracker>,
    readiness: Tracker,
    restarts: Option<u32>,
    started: bool,
    ready_since: Option<Instant>,
}

impl PodProbes {
    pub fn new(workload: String, container_name: String, spec: &Container) -> anyhow::Result<Self> {
        let tracker = |kind, probe: &Option<Probe>| {
            probe
                .as_ref()
                .map(|p| Tracker::new(kind, spec, p))
                .transpose()
                .with_context(|| workload.clone())
        };
        let readiness = tracker(Kind::Readiness, &spec.readiness_probe)?
            .with_context(|| format!("{workload} declares no readiness probe"))?;
        Ok(Self {
            startup: tracker(Kind::Startup, &spec.startup_probe)?,
            liveness: tracker(Kind::Liveness, &spec.liveness_probe)?,
            readiness,
            workload,
            container: container_name,
            restarts: None,
            started: false,
            ready_since: None,
        })
    }

    pub fn ready(&self) -> bool {
        self.ready_since.is_some()
    }

    /// Ready, and its liveness probe (if declared) has passed at least once.
    pub fn settled(&self) -> bool {
        self.ready() && self.liveness.as_ref().is_none_or(|l| l.passes > 0)
    }

    pub fn restarts(&self) -> u32 {
        self.restarts.unwrap_or(0)
    }

    /// Probes whatever is due. `others_ready`: every other workload is
    /// ready, so a readiness probe that keeps failing now is not waiting
    /// for a dependency and will not pass by waiting longer.
    pub fn tick(&mut self, others_ready: bool) -> anyhow::Result<()> {
        let now = Instant::now();
        let (restarts, running) = container_state(&self.container)?;
        if self.restarts != Some(restarts) {
            // A new container instance: the kubelet starts probing afresh.
            self.restarts = Some(restarts);
            self.started = self.startup.is_none();
            self.ready_since = None;
            match &mut self.startup {
                Some(startup) => startup.arm(now),
                None => self.arm_after_startup(now),
            }
        }
        if !running {
            self.ready_since = None;
            return Ok(());
        }
        if !self.started {
            let startup = self
                .startup
                .as_mut()
                .expect("not started implies a startup probe");
            if startup.due(now) {
                if startup.poll(&self.container, now) {
                    self.started = true;
                    self.arm_after_startup(now);
                } else if startup.failures >= startup.failure_threshold {
                    bail!(
                        "{}; the kubelet would restart it",
                        startup.failure(&self.workload)
                    );
                }
            }
            return Ok(());
        }
        if let Some(liveness) = &mut self.liveness
            && liveness.due(now)
            && !liveness.poll(&self.container, now)
            && liveness.failures >= liveness.failure_threshold
        {
            bail!(
                "{}; the kubelet would kill and restart it",
                liveness.failure(&self.workload)
            );
        }
        let readiness = &mut self.readiness;
        if readiness.due(now) {
            if readiness.poll(&self.container, now) {
                self.ready_since.get_or_insert(now);
            } else {
                if readiness.failures >= readiness.failure_threshold {
                    self.ready_since = None;
                }
                readiness.stuck = if others_ready { readiness.stuck + 1 } else { 0 };
                if readiness.stuck >= readiness.failure_threshold {
                    bail!(
                        "{} while every other workload is ready; it would never receive traffic",
                        readiness.failure(&self.workload)
                    );
                }
            }
        }
        Ok(())
    }

    fn arm_after_startup(&mut self, now: Instant) {
        if let Some(liveness) = &mut self.liveness {
            liveness.arm(now);
        }
        self.readiness.arm(now);
    }

    /// What each probe did: its action, polls and passes.
    pub fn summary(&self) -> String {
        [
            self.startup.as_ref(),
            self.liveness.as_ref(),
            Some(&self.readiness),
        ]
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{} {} polled {}x, passed {}x",
                t.kind.name(),
                t.action.describe(),
                t.polls,
                t.passes
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
    }

    pub fn polls(&self) -> u32 {
        self.startup.as_ref().map_or(0, |t| t.polls)
            + self.liveness.as_ref().map_or(0, |t| t.polls)
            + self.readiness.polls
    }
}

/// Restart count and whether the container runs now.
fn container_state(name: &str) -> anyhow::Result<(u32, bool)> {
    let out = crate::process::output(docker().args([
        "inspect",
        "--format",
        "{{.RestartCount}} {{.State.Running}}",
        name,
    ]))?;
    let (count, running) = out
        .trim()
        .split_once(' ')
        .with_context(|| format!("docker inspect {name}: {out:?}"))?;
    Ok((
        count
            .parse()
            .with_context(|| format!("restart count {count:?}"))?,
        running == "true",
    ))
}

/// The probes of every workload of a release.
#[derive(Debug, Default)]
pub struct Kubelet {
    pub pods: Vec<PodProbes>,
}

impl Kubelet {
    pub fn tick(&mut self) -> anyhow::Result<()> {
        for index in 0..self.pods.len() {
            let others_ready = self
                .pods
                .iter()
                .enumerate()
                .all(|(i, p)| i == index || p.ready());
            self.pods[index].tick(others_ready)?;
        }
        Ok(())
    }

    pub fn settled(&self) -> bool {
        self.pods.iter().all(PodProbes::settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ContainerPort, ExecAction, HTTPGetAction, TCPSocketAction};

    fn container() -> Container {
        Container {
            name: "app".into(),
            ports: Some(vec![ContainerPort {
                name: Some("http".into()),
                container_port: 8080,
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn resolves_probe_actions_against_declared_ports() {
        let http = Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/ready".into()),
                port: IntOrString::String("http".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            Action::resolve(&container(), &http).unwrap(),
            Action::Http {
                port: 8080,
                path: "/ready".into()
            }
        );
        let tcp = Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("metrics".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let error = Action::resolve(&container(), &tcp).unwrap_err().to_string();
        assert!(error.contains("tcpSocket port"), "{error}");
        let exec = Probe {
            exec: Some(ExecAction {
                command: Some(vec!["pg_isready".into()]),
            }),
            ..Default::default()
        };
        assert_eq!(
            Action::resolve(&container(), &exec).unwrap(),
            Action::Exec {
                command: vec!["pg_isready".into()]
            }
        );
        assert!(Action::resolve(&container(), &Probe::default()).is_err());
    }

    #[test]
    fn applies_the_kubelet_defaults() {
        let probe = Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(8080),
                ..Default::default()
            }),
            ..Default::default()
        };
        let tracker = Tracker::new(Kind::Liveness, &container(), &probe).unwrap();
        assert_eq!(tracker.period, Duration::from_secs(10));
        assert_eq!(tracker.timeout, Duration::from_secs(1));
        assert_eq!(tracker.failure_threshold, 3);
        assert_eq!(tracker.initial_delay, Duration::ZERO);
    }

    #[test]
    fn http_probes_count_redirects_as_success_and_404_as_failure() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for (status, stream) in ["302 Found", "404 Not Found"]
                .into_iter()
                .zip(listener.incoming())
            {
                let mut stream = stream.unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                    request.push(byte[0]);
                }
                stream
                    .write_all(format!("HTTP/1.0 {status}\r\n\r\n").as_bytes())
                    .unwrap();
            }
        });
        let action = Action::Http {
            port,
            path: "/x".into(),
        };
        assert_eq!(action.attempt("unused", Duration::from_secs(2)), Ok(()));
        assert_eq!(
            action.attempt("unused", Duration::from_secs(2)),
            Err("HTTP 404".into())
        );
        server.join().unwrap();
    }
}
