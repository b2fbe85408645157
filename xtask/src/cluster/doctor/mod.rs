//! `cargo xtask doctor`: prerequisites with versions (and whether Docker's
//! daemon answers), then, with a cluster, the release's Pods, its Helm
//! state, its Ingress and recent warnings, each problem with its cause and
//! a fix. Diagnosis is a pure function of what kubectl and helm print
//! (typed with k8s-openapi), so every rule is unit-tested on recorded
//! output; `--ai` hands the same context to kubectl-ai. Any problem, a
//! missing prerequisite included, makes the exit status non-zero.

mod prerequisites;
mod release;

use std::process::Command;

use anyhow::Context;
use clap::Args;
use k8s_openapi::List;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;

use self::prerequisites::DaemonState;
use super::deploy::kube_context;
use super::{ClusterFacts, ClusterKind, Installed, ReleaseArgs, Tool, detect};

#[derive(Debug, Args)]
pub struct Doctor {
    #[command(flatten)]
    pub target: ReleaseArgs,
    /// Ask kubectl-ai to explain the gathered state.
    #[arg(long)]
    pub ai: bool,
}

/// More facts a finding needs, fetched by the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// The last log lines of the previous (crashed) container.
    PreviousLogs { pod: String, container: String },
    /// The body of the backend's `/ready`, through the API server proxy.
    ReadyBody { pod: String, port: u16 },
    /// Memory in use now, per container (`kubectl top`, needs metrics-server).
    Usage { pod: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub pod: String,
    pub problem: String,
    pub cause: String,
    pub fix: String,
    pub evidence: Option<Evidence>,
}

fn finding(
    pod: &str,
    problem: impl Into<String>,
    cause: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        pod: pod.to_owned(),
        problem: problem.into(),
        cause: cause.into(),
        fix: fix.into(),
        evidence: None,
    }
}

/// The rules: one finding per problem a Pod shows.
pub fn diagnose(pods: &[Pod]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(status) = &pod.status else { continue };
        let phase = status.phase.as_deref().unwrap_or("Unknown");

        if phase == "Pending" {
            let unscheduled = status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "PodScheduled" && c.status == "False");
            if let Some(condition) = unscheduled {
                let message = condition.message.clone().unwrap_or_default();
                let (cause, fix) = if message.contains("PersistentVolumeClaim") {
                    (
                        format!("its PersistentVolumeClaim is not bound: {message}"),
                        "the cluster needs a default StorageClass (`kubectl get storageclass`; minikube: `minikube addons enable storage-provisioner default-storageclass`), or set postgresql.persistence.storageClass".to_owned(),
                    )
                } else if message.contains("Insufficient") {
                    (
                        format!("no node has room for its resource requests: {message}"),
                        "give the cluster more memory/CPU (`minikube start --memory 4096 --cpus 2`) or lower the chart's resources.requests".to_owned(),
                    )
                } else {
                    (
                        format!("it cannot be scheduled: {message}"),
                        "check node selectors, taints and tolerations: `kubectl describe pod`"
                            .to_owned(),
                    )
                };
                findings.push(finding(&name, "Pending", cause, fix));
                continue;
            }
        }

        let containers = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten());
        for container in containers {
            let waiting = container.state.as_ref().and_then(|s| s.waiting.as_ref());
            let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
            let image = &container.image;
            let oom_killed = [container.state.as_ref(), container.last_state.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|s| s.terminated.as_ref())
                .find(|t| t.reason.as_deref() == Some("OOMKilled"));
            if let Some(killed) = oom_killed {
                let limit = memory_limit(pod, &container.name);
                let component = container.name.as_str();
                let mut f = finding(
                    &name,
                    format!(
                        "OOMKilled ({}, {} restarts)",
                        container.name, container.restart_count
                    ),
                    format!(
                        "it reached its memory limit of {} and the kernel killed it there: the peak was the limit{}",
                        limit.as_deref().unwrap_or("(none set: the node ran out)"),
                        killed
                            .finished_at
                            .as_ref()
                            .map(|t| format!(", at {}", t.0))
                            .unwrap_or_default()
                    ),
                    format!(
                        "raise {component}.resources.limits.memory (and requests.memory) in a values file and deploy with `-f`; the usage below shows what it needs when it runs"
                    ),
                );
                f.evidence = Some(Evidence::Usage { pod: name.clone() });
                findings.push(f);
                continue;
            }
            match reason {
                "ImagePullBackOff" | "ErrImagePull" | "ErrImageNeverPull" => findings.push(finding(
                    &name,
                    format!("{reason} ({image})"),
                    "the image is not in this cluster (local images must be loaded into minikube/kind) or the tag does not exist",
                    format!("run `cargo xtask deploy`, which builds and loads the images; or by hand: `minikube image load {image}` / `kind load docker-image {image}`"),
                )),
                "CrashLoopBackOff" => {
                    let mut f = finding(
                        &name,
                        format!("CrashLoopBackOff ({} restarts)", container.restart_count),
                        format!("container {} keeps exiting; its last log lines are below", container.name),
                        "read the log: a `configuration error: VARIABLE: …` line names the setting to fix (see docs/configuration.md); a database error means the database is unreachable or its Secret is wrong",
                    );
                    f.evidence = Some(Evidence::PreviousLogs { pod: name.clone(), container: container.name.clone() });
                    findings.push(f);
                }
                "CreateContainerConfigError" => findings.push(finding(
                    &name,
                    reason,
                    waiting.and_then(|w| w.message.clone()).unwrap_or_else(|| "a referenced ConfigMap or Secret key is missing".into()),
                    "create the missing Secret (deploy does: `cargo xtask deploy`), or fix secrets.existingSecret / externalDatabase.existingSecret",
                )),
                _ => {}
            }
            let running = container
                .state
                .as_ref()
                .is_some_and(|s| s.running.is_some());
            if running && !container.ready && phase == "Running" {
                let mut f = finding(
                    &name,
                    format!("running but not ready ({})", container.name),
                    "the readiness probe fails; for the backend, /ready names the failing check (database or migrations)",
                    "if the database check fails: is the PostgreSQL Pod ready, and does DATABASE_URL in the Secret point at it? `cargo xtask doctor` shows the /ready body below",
                );
                if container.name == "backend" {
                    f.evidence = Some(Evidence::ReadyBody {
                        pod: name.clone(),
                        port: 8080,
                    });
                }
                findings.push(f);
            }
        }
    }
    findings
}

/// The memory limit of container `name` in `pod`'s spec.
fn memory_limit(pod: &Pod, name: &str) -> Option<String> {
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .chain(pod.spec.as_ref()?.init_containers.iter().flatten())
        .find(|c| c.name == name)?
        .resources
        .as_ref()?
        .limits
        .as_ref()?
        .get("memory")
        .map(|q| q.0.clone())
}

/// Containers the kubelet restarted because their liveness probe failed:
/// a process that is up but does not answer in time (a CPU limit that
/// throttles it, a timeout too short for a slow node), not one that crashed.
pub fn liveness_restarts(pods: &[Pod], events: &[Event]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for pod in pods {
        let Some(name) = pod.metadata.name.as_deref() else {
            continue;
        };
        let about_pod = |e: &&Event| e.involved_object.name.as_deref() == Some(name);
        let kills: u32 = events
            .iter()
            .filter(about_pod)
            .filter(|e| e.reason.as_deref() == Some("Killing"))
            .filter(|e| {
                e.message
                    .as_deref()
                    .is_some_and(|m| m.contains("failed liveness probe"))
            })
            .map(|e| e.count.unwrap_or(1).max(1) as u32)
            .sum();
        if kills == 0 {
            continue;
        }
        let mut failures: Vec<&Event> = events
            .iter()
            .filter(about_pod)
            .filter(|e| {
                e.message
                    .as_deref()
                    .is_some_and(|m| m.starts_with("Liveness probe failed"))
            })
            .collect();
        failures.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
        let why = failures
            .last()
            .and_then(|e| e.message.as_deref())
            .unwrap_or("Liveness probe failed");
        let component = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/component"))
            .map(String::as_str)
            .unwrap_or("backend");
        findings.push(finding(
            name,
            format!("restarted {kills} time(s) by its liveness probe"),
            format!(
                "the process was running but did not answer its health check in time: {}",
                why.trim()
            ),
            format!(
                "look for CPU throttling (`kubectl top pod`; raise {component}.resources.limits.cpu), or give a slow node more time:                  {component}.livenessProbe.timeoutSeconds / failureThreshold in a values file. The health endpoint never waits on the database"
            ),
        ));
    }
    findings
}

/// Warning events, newest last, one line each.
pub fn warnings(events: &[Event], limit: usize) -> Vec<String> {
    let mut warnings: Vec<&Event> = events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .collect();
    warnings.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
    warnings
        .iter()
        .rev()
        .take(limit)
        .rev()
        .map(|e| {
            format!(
                "{} {}: {} (x{})",
                e.involved_object.name.as_deref().unwrap_or("?"),
                e.reason.as_deref().unwrap_or("?"),
                e.message.as_deref().unwrap_or("").trim(),
                e.count.unwrap_or(1)
            )
        })
        .collect()
}

fn kubectl_json(context: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("kubectl")
        .args(["--context", context])
        .args(args)
        .args(["-o", "json"])
        .output()?;
    if !output.status.success() {
        anyhow::bail!(
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `helm history`, when Helm is installed and the release exists.
fn helm_history(
    installed: &Installed,
    context: &str,
    release: &str,
    namespace: &str,
) -> Option<Vec<release::Revision>> {
    let out = Command::new(installed.program(Tool::Helm))
        .args([
            "history",
            release,
            "-n",
            namespace,
            "--kube-context",
            context,
        ])
        .args(["--max", "10", "-o", "json"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    serde_json::from_slice(&out.stdout).ok()
}

fn gather_evidence(context: &str, namespace: &str, evidence: &Evidence) -> String {
    let output = match evidence {
        Evidence::PreviousLogs { pod, container } => Command::new("kubectl")
            .args([
                "--context",
                context,
                "-n",
                namespace,
                "logs",
                pod,
                "-c",
                container,
                "--previous",
                "--tail",
                "15",
            ])
            .output(),
        Evidence::ReadyBody { pod, port } => Command::new("kubectl")
            .args([
                "--context",
                context,
                "get",
                "--raw",
                &format!("/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/ready"),
            ])
            .output(),
        Evidence::Usage { pod } => Command::new("kubectl")
            .args([
                "--context",
                context,
                "-n",
                namespace,
                "top",
                "pod",
                pod,
                "--containers",
            ])
            .output(),
    };
    match output {
        Ok(o) => format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
        .trim()
        .to_owned(),
        Err(e) => format!("(could not run kubectl: {e})"),
    }
}

/// What `docker info` says about the daemon.
fn docker_daemon(installed: &Installed) -> DaemonState {
    if !installed.has(Tool::Docker) {
        return DaemonState::NoClient;
    }
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Ok(out) if out.status.success() => DaemonState::Running {
            version: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        },
        Ok(out) => DaemonState::NotRunning {
            error: String::from_utf8_lossy(&out.stderr)
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("docker info failed")
                .trim()
                .to_owned(),
        },
        Err(e) => DaemonState::NotRunning {
            error: e.to_string(),
        },
    }
}

fn report_finding(report: &mut String, context: &str, namespace: &str, f: &Finding) {
    report.push_str(&format!(
        "\n✘ {}: {}\n  cause: {}\n  fix:   {}\n",
        f.pod, f.problem, f.cause, f.fix
    ));
    if let Some(evidence) = &f.evidence {
        for line in gather_evidence(context, namespace, evidence).lines() {
            report.push_str(&format!("  | {line}\n"));
        }
    }
}

impl Doctor {
    pub fn run(self) -> anyhow::Result<()> {
        let installed = Installed::probe();
        let facts = ClusterFacts::probe(&installed);
        let cluster = detect(self.target.cluster, &facts);
        let prerequisites = prerequisites::check(
            &installed,
            &docker_daemon(&installed),
            cluster.as_ref().ok(),
        );
        let mut report = String::from("prerequisites:\n");
        for line in &prerequisites.lines {
            report.push_str(line);
            report.push('\n');
        }
        let mut problems = prerequisites.missing.len();
        match cluster {
            Err(why) => {
                report.push_str(&format!("\ncluster: none reachable — {why}\n"));
                problems += 1;
            }
            Ok(cluster) => problems += self.diagnose_cluster(&installed, &cluster, &mut report)?,
        }
        println!("{report}");
        if self.ai {
            self.ask_ai(&installed, &report)?;
        }
        if problems > 0 {
            anyhow::bail!("{problems} problem(s) found; each lists a fix above");
        }
        Ok(())
    }

    /// Appends the cluster part of the report; returns the problem count.
    fn diagnose_cluster(
        &self,
        installed: &Installed,
        cluster: &ClusterKind,
        report: &mut String,
    ) -> anyhow::Result<usize> {
        let context = kube_context(cluster);
        let namespace = &self.target.namespace;
        let release = &self.target.release;
        report.push_str(&format!("\ncluster: {}\n", cluster.describe()));
        let selector = format!("app.kubernetes.io/instance={release}");
        let pods: List<Pod> = serde_json::from_str(
            &kubectl_json(&context, &["-n", namespace, "get", "pods", "-l", &selector]).context(
                "could not list the release's Pods; is the cluster running? `kubectl cluster-info`",
            )?,
        )?;
        let events: List<Event> = serde_json::from_str(&kubectl_json(
            &context,
            &["-n", namespace, "get", "events"],
        )?)?;
        let ingresses: List<Ingress> = serde_json::from_str(&kubectl_json(
            &context,
            &["-n", namespace, "get", "ingress", "-l", &selector],
        )?)?;
        report.push_str(&format!(
            "release {release} in namespace {namespace}: {} Pods\n",
            pods.items.len()
        ));
        for pod in &pods.items {
            let status = pod.status.as_ref();
            let ready = status
                .and_then(|s| s.container_statuses.as_ref())
                .map(|cs| format!("{}/{}", cs.iter().filter(|c| c.ready).count(), cs.len()))
                .unwrap_or_else(|| "0/0".into());
            report.push_str(&format!(
                "  {:<45} {:<10} ready {ready}\n",
                pod.metadata.name.as_deref().unwrap_or("?"),
                status.and_then(|s| s.phase.as_deref()).unwrap_or("?")
            ));
        }
        let mut problems = 0;
        if pods.items.is_empty() {
            report.push_str(&format!("  no Pods: is the release installed? `helm list -n {namespace}`; deploy with `cargo xtask deploy`\n"));
            problems += 1;
        }
        let mut findings = diagnose(&pods.items);
        findings.extend(liveness_restarts(&pods.items, &events.items));
        if let Some(history) = helm_history(installed, &context, release, namespace) {
            findings.extend(release::pending_release(&history, release, namespace));
        }
        let minikube_ip = match cluster {
            ClusterKind::Minikube { profile } => crate::support::process::output(
                Command::new("minikube").args(["-p", profile, "ip"]),
            )
            .ok()
            .map(|ip| ip.trim().to_owned()),
            _ => None,
        };
        let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        findings.extend(release::ingress_reachability(
            &ingresses.items,
            minikube_ip.as_deref(),
            &hosts,
        ));
        problems += findings.len();
        for f in &findings {
            report_finding(report, &context, namespace, f);
        }
        let recent = warnings(&events.items, 10);
        if !recent.is_empty() {
            report.push_str("\nrecent warnings:\n");
            for line in recent {
                report.push_str(&format!("  {line}\n"));
            }
        }
        if findings.is_empty() && !pods.items.is_empty() {
            report.push_str("\nno problems found in the release.\n");
        }
        Ok(problems)
    }

    fn ask_ai(&self, installed: &Installed, report: &str) -> anyhow::Result<()> {
        if !installed.has(Tool::KubectlAi) {
            println!(
                "--ai: kubectl-ai is not installed: {}",
                Tool::KubectlAi.install_hint()
            );
            return Ok(());
        }
        let prompt = format!(
            "You are helping operate the Helm release '{}' in namespace '{}' (a Todo app: Rust backend, frontend, PostgreSQL). \
             Here is what `cargo xtask doctor` gathered:\n\n{report}\n\nExplain the most likely root cause and the exact commands to fix it. \
             Do not change anything in the cluster.",
            self.target.release, self.target.namespace
        );
        crate::support::process::run(Command::new("kubectl-ai").args(["--quiet", &prompt]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).expect("a valid Pod")
    }

    fn waiting(reason: &str) -> Pod {
        pod(serde_json::json!({
            "metadata": {"name": "todo-backend-abc"},
            "status": {"phase": "Pending", "containerStatuses": [{
                "name": "backend", "image": "todo-backend:0.1.0-1", "imageID": "", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": reason, "message": "details"}}
            }]}
        }))
    }

    #[test]
    fn image_pull_failures_mean_the_image_was_not_loaded() {
        for reason in ["ImagePullBackOff", "ErrImageNeverPull", "ErrImagePull"] {
            let findings = diagnose(&[waiting(reason)]);
            assert_eq!(findings.len(), 1, "{reason}");
            assert!(findings[0].cause.contains("not in this cluster"));
            assert!(
                findings[0]
                    .fix
                    .contains("kind load docker-image todo-backend:0.1.0-1")
            );
        }
    }

    #[test]
    fn a_crash_loop_fetches_the_last_log_lines() {
        let findings = diagnose(&[waiting("CrashLoopBackOff")]);
        assert_eq!(findings[0].problem, "CrashLoopBackOff (4 restarts)");
        assert_eq!(
            findings[0].evidence,
            Some(Evidence::PreviousLogs {
                pod: "todo-backend-abc".into(),
                container: "backend".into()
            })
        );
    }

    #[test]
    fn pending_pods_are_told_apart_by_pvc_or_resources() {
        let pending = |message: &str| {
            pod(serde_json::json!({
                "metadata": {"name": "todo-postgresql-0"},
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]}
            }))
        };
        let pvc = diagnose(&[pending(
            "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
        )]);
        assert!(pvc[0].fix.contains("StorageClass"));
        let cpu = diagnose(&[pending("0/1 nodes are available: 1 Insufficient memory.")]);
        assert!(cpu[0].fix.contains("--memory 4096"));
    }

    #[test]
    fn a_running_backend_that_is_not_ready_shows_its_ready_body() {
        let findings = diagnose(&[pod(serde_json::json!({
            "metadata": {"name": "todo-backend-xyz"},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "backend", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"running": {}}
            }]}
        }))]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].evidence,
            Some(Evidence::ReadyBody {
                pod: "todo-backend-xyz".into(),
                port: 8080
            })
        );
    }

    #[test]
    fn an_oom_killed_container_shows_its_limit_and_current_usage() {
        // `kubectl get pod -o json` of a backend killed at its limit, then restarted.
        let killed = pod(serde_json::json!({
            "metadata": {"name": "todo-backend-7d9f", "labels": {"app.kubernetes.io/component": "backend"}},
            "spec": {"containers": [{"name": "backend", "image": "todo-backend:0.1.0-1",
                "resources": {"limits": {"cpu": "1", "memory": "256Mi"}, "requests": {"memory": "64Mi"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "backend", "image": "todo-backend:0.1.0-1", "imageID": "", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                    "startedAt": "2026-12-02T09:00:00Z", "finishedAt": "2026-12-02T09:01:12Z"}}
            }]}
        }));
        let findings = diagnose(&[killed]);
        assert_eq!(
            findings.len(),
            1,
            "OOM explains the crash loop: {findings:?}"
        );
        assert_eq!(findings[0].problem, "OOMKilled (backend, 3 restarts)");
        assert!(findings[0].cause.contains("memory limit of 256Mi"));
        assert!(findings[0].cause.contains("the peak was the limit"));
        assert!(findings[0].cause.contains("2026-12-02T09:01:12"));
        assert!(findings[0].fix.contains("backend.resources.limits.memory"));
        assert_eq!(
            findings[0].evidence,
            Some(Evidence::Usage {
                pod: "todo-backend-7d9f".into()
            })
        );
    }

    #[test]
    fn restarts_by_the_liveness_probe_are_told_from_crashes() {
        let running = pod(serde_json::json!({
            "metadata": {"name": "todo-frontend-5c4b", "labels": {"app.kubernetes.io/component": "frontend"}},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "frontend", "image": "i", "imageID": "", "ready": true, "restartCount": 2, "state": {"running": {}}
            }]}
        }));
        // `kubectl get events -o json`, as the kubelet records a liveness kill.
        let event = |reason: &str, message: &str, count: i32, time: &str| -> Event {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("todo-frontend-5c4b.{reason}")},
                "involvedObject": {"kind": "Pod", "name": "todo-frontend-5c4b", "fieldPath": "spec.containers{frontend}"},
                "type": if reason == "Killing" { "Normal" } else { "Warning" },
                "reason": reason, "message": message, "count": count, "lastTimestamp": time
            }))
            .unwrap()
        };
        let events = [
            event(
                "Unhealthy",
                "Liveness probe failed: Get \"http://10.244.0.12:3000/api/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                6,
                "2026-12-02T09:05:00Z",
            ),
            event(
                "Killing",
                "Container frontend failed liveness probe, will be restarted",
                2,
                "2026-12-02T09:05:01Z",
            ),
            event(
                "BackOff",
                "Back-off restarting failed container",
                1,
                "2026-12-02T09:05:02Z",
            ),
        ];
        let findings = liveness_restarts(std::slice::from_ref(&running), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].problem,
            "restarted 2 time(s) by its liveness probe"
        );
        assert!(findings[0].cause.contains("context deadline exceeded"));
        assert!(
            findings[0]
                .fix
                .contains("frontend.livenessProbe.timeoutSeconds")
        );
        // Without a liveness kill, a restart is someone else's finding.
        assert!(liveness_restarts(&[running], &events[2..]).is_empty());
    }

    #[test]
    fn healthy_pods_raise_nothing() {
        let healthy = pod(serde_json::json!({
            "metadata": {"name": "todo-frontend-1"},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "frontend", "image": "i", "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}
            }]}
        }));
        assert!(diagnose(&[healthy]).is_empty());
    }

    #[test]
    fn warnings_are_listed_newest_last() {
        let event = |name: &str, time: &str| -> Event {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name}, "involvedObject": {"name": name}, "type": "Warning",
                "reason": "BackOff", "message": "Back-off restarting", "lastTimestamp": time, "count": 3
            }))
            .unwrap()
        };
        let lines = warnings(
            &[
                event("b", "2026-01-01T00:00:02Z"),
                event("a", "2026-01-01T00:00:01Z"),
            ],
            10,
        );
        assert_eq!(
            lines,
            [
                "a BackOff: Back-off restarting (x3)",
                "b BackOff: Back-off restarting (x3)"
            ]
        );
    }
}
