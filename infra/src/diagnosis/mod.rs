//! `cargo xtask doctor`'s rules, as pure functions of what kubectl and
//! helm print: the release's Pods (pulls, crash loops, OOM kills, liveness
//! restarts, readiness), its Helm state and its Ingresses (`release`), its
//! backups (`backup`), and recent warnings. Each problem is a [`Finding`]
//! with its cause and a fix; every rule is unit-tested on recorded output.
//! `todo-infra diagnose` reads the recorded JSON and prints a [`Diagnosis`]
//! for xtask to report.

mod backup;
mod release;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

pub use self::backup::{
    Assessment, BackupStatus, DEFAULT_MAX_AGE_HOURS, Level, MAX_AGE_ANNOTATION, assess, now,
};
pub use self::release::Revision;

/// What kubectl and helm reported about a release.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub release: String,
    pub namespace: String,
    pub pods: Vec<Pod>,
    pub events: Vec<Event>,
    pub ingresses: Vec<Ingress>,
    /// `helm history`, when Helm is installed and the release exists.
    pub history: Option<Vec<Revision>>,
    /// `minikube ip` on a minikube cluster.
    pub minikube_ip: Option<String>,
    /// The text of /etc/hosts.
    pub hosts: String,
}

/// One Pod as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodLine {
    pub name: String,
    pub phase: String,
    /// Ready containers of all, e.g. `1/1`.
    pub ready: String,
}

/// Everything the rules found in an [`Observed`] release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub pods: Vec<PodLine>,
    pub findings: Vec<Reported>,
    /// The ten newest Warning events, newest last.
    pub warnings: Vec<String>,
    /// One line per backup CronJob of the release ([`Diagnosis::with_backups`]).
    pub backups: Vec<BackupStatus>,
}

impl Diagnosis {
    /// Adds the backups' state: `cron_jobs` are the release's backup
    /// CronJobs, `jobs` the namespace's Jobs (those the CronJobs own are
    /// read). A failure is a finding too, so it counts as a problem; a
    /// warning is only listed.
    pub fn with_backups(
        mut self,
        namespace: &str,
        cron_jobs: &[CronJob],
        jobs: &[Job],
        now: Timestamp,
    ) -> Self {
        for cron_job in cron_jobs {
            let Assessment { status, finding } = assess(cron_job, jobs, now);
            self.backups.push(status);
            self.findings.extend(finding.map(|finding| Reported {
                evidence: finding.evidence.as_ref().map(|e| e.kubectl_args(namespace)),
                finding,
            }));
        }
        self
    }
}

/// A finding as the runner gets it: its evidence is the kubectl command
/// (after `kubectl --context <context>`) whose output shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reported {
    #[serde(flatten)]
    pub finding: Finding,
    pub evidence: Option<Vec<String>>,
}

/// Runs every rule on what was observed.
pub fn diagnose_release(observed: &Observed) -> Diagnosis {
    let pods = observed
        .pods
        .iter()
        .map(|pod| {
            let status = pod.status.as_ref();
            PodLine {
                name: pod.metadata.name.clone().unwrap_or_else(|| "?".into()),
                phase: status
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| "?".into()),
                ready: status
                    .and_then(|s| s.container_statuses.as_ref())
                    .map(|cs| format!("{}/{}", cs.iter().filter(|c| c.ready).count(), cs.len()))
                    .unwrap_or_else(|| "0/0".into()),
            }
        })
        .collect();
    let mut findings = diagnose(&observed.pods);
    findings.extend(liveness_restarts(&observed.pods, &observed.events));
    if let Some(history) = &observed.history {
        findings.extend(release::pending_release(
            history,
            &observed.release,
            &observed.namespace,
        ));
    }
    findings.extend(release::ingress_reachability(
        &observed.ingresses,
        observed.minikube_ip.as_deref(),
        &observed.hosts,
    ));
    Diagnosis {
        pods,
        findings: findings
            .into_iter()
            .map(|finding| Reported {
                evidence: finding
                    .evidence
                    .as_ref()
                    .map(|e| e.kubectl_args(&observed.namespace)),
                finding,
            })
            .collect(),
        warnings: warnings(&observed.events, 10),
        backups: Vec::new(),
    }
}

/// More facts a finding needs, fetched by the runner (xtask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// The last log lines of the previous (crashed) container.
    PreviousLogs { pod: String, container: String },
    /// The body of the backend's `/ready`, through the API server proxy.
    ReadyBody { pod: String, port: u16 },
    /// Memory in use now, per container (`kubectl top`, needs metrics-server).
    Usage { pod: String },
    /// The last log lines of a Job's Pod, init containers included (a
    /// backup's dump runs as one when it uploads).
    JobLogs { job: String },
}

impl Evidence {
    /// The kubectl arguments (after `--context`) that fetch it.
    pub fn kubectl_args(&self, namespace: &str) -> Vec<String> {
        let args: Vec<&str> = match self {
            Evidence::PreviousLogs { pod, container } => vec![
                "-n",
                namespace,
                "logs",
                pod,
                "-c",
                container,
                "--previous",
                "--tail",
                "15",
            ],
            Evidence::ReadyBody { pod, port } => {
                let path = format!("/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/ready");
                return vec!["get".into(), "--raw".into(), path];
            }
            Evidence::Usage { pod } => vec!["-n", namespace, "top", "pod", pod, "--containers"],
            Evidence::JobLogs { job } => {
                return [
                    "-n",
                    namespace,
                    "logs",
                    &format!("job/{job}"),
                    "--all-containers",
                    "--tail",
                    "20",
                ]
                .into_iter()
                .map(str::to_owned)
                .collect();
            }
        };
        args.into_iter().map(str::to_owned).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub pod: String,
    pub problem: String,
    pub cause: String,
    pub fix: String,
    /// Given to the runner as [`Reported::evidence`].
    #[serde(skip)]
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

    /// xtask reads this shape (`cluster/doctor`'s test reads the same text).
    #[test]
    fn a_diagnosis_is_printed_in_the_shape_xtask_reads() {
        let observed = Observed {
            release: "todo".into(),
            namespace: "todo".into(),
            pods: vec![waiting("CrashLoopBackOff")],
            ..Observed::default()
        };
        let printed = serde_json::to_value(diagnose_release(&observed)).unwrap();
        assert_eq!(
            printed["pods"],
            serde_json::json!([{"name": "todo-backend-abc", "phase": "Pending", "ready": "0/1"}])
        );
        let finding = &printed["findings"][0];
        assert_eq!(finding["pod"], "todo-backend-abc");
        assert_eq!(finding["problem"], "CrashLoopBackOff (4 restarts)");
        assert!(finding["cause"].is_string() && finding["fix"].is_string());
        assert_eq!(
            finding["evidence"],
            serde_json::json!([
                "-n",
                "todo",
                "logs",
                "todo-backend-abc",
                "-c",
                "backend",
                "--previous",
                "--tail",
                "15"
            ])
        );
        assert_eq!(printed["warnings"], serde_json::json!([]));
        assert_eq!(printed["backups"], serde_json::json!([]));
    }

    #[test]
    fn backups_are_listed_and_a_failing_one_counts_as_a_finding() {
        let cron_job: CronJob = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "todo-backup", "namespace": "todo", "creationTimestamp": "2026-12-01T00:00:00Z"},
            "status": {"lastSuccessfulTime": "2026-12-10T03:00:00Z"}
        }))
        .unwrap();
        let failed: Job = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "todo-backup-manual-1", "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "todo-backup", "uid": "u"}]},
            "status": {"conditions": [{"type": "Failed", "status": "True", "lastTransitionTime": "2026-12-10T04:00:00Z"}]}
        }))
        .unwrap();
        let now: Timestamp = "2026-12-10T05:00:00Z".parse().unwrap();
        let healthy = diagnose_release(&Observed::default()).with_backups(
            "todo",
            std::slice::from_ref(&cron_job),
            &[],
            now,
        );
        let printed = serde_json::to_value(&healthy).unwrap();
        assert_eq!(printed["backups"][0]["cron_job"], "todo-backup");
        assert_eq!(printed["backups"][0]["level"], "ok");
        assert!(healthy.findings.is_empty());

        let failing = diagnose_release(&Observed::default()).with_backups(
            "todo",
            &[cron_job],
            &[failed],
            now,
        );
        assert_eq!(failing.backups[0].level, Level::Failure);
        assert_eq!(failing.findings.len(), 1);
        assert_eq!(
            failing.findings[0].evidence.as_deref().unwrap().join(" "),
            "-n todo logs job/todo-backup-manual-1 --all-containers --tail 20"
        );
    }

    #[test]
    fn evidence_is_fetched_with_kubectl_in_the_namespace() {
        let ready = Evidence::ReadyBody {
            pod: "todo-backend-xyz".into(),
            port: 8080,
        };
        assert_eq!(
            ready.kubectl_args("apps").join(" "),
            "get --raw /api/v1/namespaces/apps/pods/todo-backend-xyz:8080/proxy/ready"
        );
        let usage = Evidence::Usage {
            pod: "todo-backend-7d9f".into(),
        };
        assert_eq!(
            usage.kubectl_args("apps").join(" "),
            "-n apps top pod todo-backend-7d9f --containers"
        );
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
