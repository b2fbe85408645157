//! `cargo xtask doctor`: prerequisites with versions, then, with a cluster,
//! the release's Pods and recent warnings, each problem with its cause and
//! a fix. Diagnosis is a pure function of the typed Pods and Events
//! (k8s-openapi), so every rule is unit-tested; `--ai` hands the same
//! context to kubectl-ai.

use std::process::Command;

use anyhow::Context;
use clap::Args;
use k8s_openapi::List;
use k8s_openapi::api::core::v1::{Event, Pod};

use super::deploy::kube_context;
use super::{ClusterFacts, Installed, ReleaseArgs, Tool, detect};

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

impl Doctor {
    pub fn run(self) -> anyhow::Result<()> {
        let installed = Installed::probe();
        let mut report = String::from("prerequisites:\n");
        for tool in Tool::ALL {
            match installed.version(tool) {
                Some(version) => {
                    report.push_str(&format!("  ✔ {:<11} {version}\n", tool.program()))
                }
                None => report.push_str(&format!(
                    "  ✘ {:<11} missing — {}\n",
                    tool.program(),
                    tool.install_hint()
                )),
            }
        }
        let facts = ClusterFacts::probe(&installed);
        let mut problems = 0;
        match detect(self.target.cluster, &facts) {
            Err(why) => report.push_str(&format!("\ncluster: none reachable — {why}\n")),
            Ok(cluster) => {
                let context = kube_context(&cluster);
                report.push_str(&format!("\ncluster: {}\n", cluster.describe()));
                let selector = format!("app.kubernetes.io/instance={}", self.target.release);
                let pods: List<Pod> = serde_json::from_str(
                    &kubectl_json(&context, &["-n", &self.target.namespace, "get", "pods", "-l", &selector])
                        .context("could not list the release's Pods; is the cluster running? `kubectl cluster-info`")?,
                )?;
                let events: List<Event> = serde_json::from_str(&kubectl_json(
                    &context,
                    &["-n", &self.target.namespace, "get", "events"],
                )?)?;
                report.push_str(&format!(
                    "release {} in namespace {}: {} Pods\n",
                    self.target.release,
                    self.target.namespace,
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
                if pods.items.is_empty() {
                    report.push_str(&format!("  no Pods: is the release installed? `helm list -n {}`; deploy with `cargo xtask deploy`\n", self.target.namespace));
                    problems += 1;
                }
                let findings = diagnose(&pods.items);
                problems += findings.len();
                for f in &findings {
                    report.push_str(&format!(
                        "\n✘ {}: {}\n  cause: {}\n  fix:   {}\n",
                        f.pod, f.problem, f.cause, f.fix
                    ));
                    if let Some(evidence) = &f.evidence {
                        for line in
                            gather_evidence(&context, &self.target.namespace, evidence).lines()
                        {
                            report.push_str(&format!("  | {line}\n"));
                        }
                    }
                }
                let recent = warnings(&events.items, 10);
                if !recent.is_empty() {
                    report.push_str("\nrecent warnings:\n");
                    for line in recent {
                        report.push_str(&format!("  {line}\n"));
                    }
                }
                if findings.is_empty() && !pods.items.is_empty() {
                    report.push_str("\nno problems found.\n");
                }
            }
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
