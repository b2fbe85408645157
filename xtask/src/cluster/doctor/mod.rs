//! `cargo xtask doctor`: prerequisites with versions (and whether Docker's
//! daemon answers), then, with a cluster, the release's Pods, its Helm
//! state, its Ingress, its backups and recent warnings, each problem with
//! its cause and a fix. What kubectl and helm print is recorded and
//! diagnosed by `todo-infra diagnose` (the rules, typed with k8s-openapi
//! and unit-tested on recorded output, live in `infra/src/diagnosis`); this
//! command gathers the evidence a finding asks for and reports. `--ai`
//! hands the same context to kubectl-ai. Any problem, a missing
//! prerequisite included, makes the exit status non-zero; a backup older
//! than its alert threshold is a warning, listed but not counted.

mod prerequisites;

use std::process::Command;

use anyhow::Context;
use clap::Args;
use serde::Deserialize;

use self::prerequisites::DaemonState;
use super::deploy::kube_context;
use super::{ClusterFacts, ClusterKind, Installed, ReleaseArgs, Tool, detect};
use crate::support::process::{WorkspaceBinary, output};

#[derive(Debug, Args)]
pub struct Doctor {
    #[command(flatten)]
    pub target: ReleaseArgs,
    /// Ask kubectl-ai to explain the gathered state.
    #[arg(long)]
    pub ai: bool,
}

/// What `todo-infra diagnose` found.
#[derive(Debug, Deserialize)]
struct Diagnosis {
    pods: Vec<PodLine>,
    findings: Vec<Finding>,
    warnings: Vec<String>,
    /// One line per backup CronJob; a failing one is among the findings.
    #[serde(default)]
    backups: Vec<BackupLine>,
}

#[derive(Debug, Deserialize)]
struct BackupLine {
    cron_job: String,
    /// `ok`, `warning` or `failure`.
    level: String,
    summary: String,
    fix: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PodLine {
    name: String,
    phase: String,
    ready: String,
}

#[derive(Debug, Deserialize)]
struct Finding {
    pod: String,
    problem: String,
    cause: String,
    fix: String,
    /// The kubectl arguments (after `--context`) whose output shows more.
    evidence: Option<Vec<String>>,
}

fn kubectl_json(context: &str, args: &[&str]) -> anyhow::Result<String> {
    output(
        Command::new("kubectl")
            .args(["--context", context])
            .args(args)
            .args(["-o", "json"]),
    )
}

/// `helm history -o json`, when Helm is installed and the release exists.
fn helm_history(
    installed: &Installed,
    context: &str,
    release: &str,
    namespace: &str,
) -> Option<String> {
    output(
        Command::new(installed.program(Tool::Helm))
            .args(["history", release, "-n", namespace])
            .args(["--kube-context", context, "--max", "10", "-o", "json"]),
    )
    .ok()
}

/// What `kubectl --context <context> <args>` prints, errors included.
fn gather_evidence(context: &str, args: &[String]) -> String {
    match Command::new("kubectl")
        .args(["--context", context])
        .args(args)
        .output()
    {
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
    match output(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"])) {
        Ok(version) => DaemonState::Running {
            version: version.trim().to_owned(),
        },
        // Its last line: docker's own complaint (no daemon, no permission).
        Err(e) => DaemonState::NotRunning {
            error: format!("{e:#}")
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("docker info failed")
                .trim()
                .to_owned(),
        },
    }
}

fn report_finding(report: &mut String, context: &str, f: &Finding) {
    report.push_str(&format!(
        "\n✘ {}: {}\n  cause: {}\n  fix:   {}\n",
        f.pod, f.problem, f.cause, f.fix
    ));
    if let Some(evidence) = &f.evidence {
        for line in gather_evidence(context, evidence).lines() {
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
        // What kubectl and helm print, recorded for `todo-infra diagnose`.
        let recorded = tempfile::Builder::new().prefix("todo-doctor-").tempdir()?;
        let mut diagnose = WorkspaceBinary::build("todo-infra")?.command();
        diagnose.args(["diagnose", "--release", release, "--namespace", namespace]);
        let mut record = |flag: &str, json: String| -> anyhow::Result<()> {
            let path = recorded.path().join(format!("{flag}.json"));
            std::fs::write(&path, json)?;
            diagnose.arg(format!("--{flag}")).arg(path);
            Ok(())
        };
        record(
            "pods",
            kubectl_json(&context, &["-n", namespace, "get", "pods", "-l", &selector]).context(
                "could not list the release's Pods; is the cluster running? `kubectl cluster-info`",
            )?,
        )?;
        let events = kubectl_json(&context, &["-n", namespace, "get", "events"])?;
        record("events", events)?;
        let ingresses = ["-n", namespace, "get", "ingress", "-l", &selector];
        record("ingresses", kubectl_json(&context, &ingresses)?)?;
        let backups = format!("{selector},app.kubernetes.io/component=backup");
        let cron_jobs = ["-n", namespace, "get", "cronjobs", "-l", &backups];
        record("cron-jobs", kubectl_json(&context, &cron_jobs)?)?;
        // All of them: Jobs are told apart by the CronJob that owns them,
        // which a manual `kubectl create job --from` keeps too.
        record(
            "jobs",
            kubectl_json(&context, &["-n", namespace, "get", "jobs"])?,
        )?;
        if let Some(history) = helm_history(installed, &context, release, namespace) {
            record("helm-history", history)?;
        }
        if let ClusterKind::Minikube { profile } = cluster
            && let Ok(ip) = output(Command::new("minikube").args(["-p", profile, "ip"]))
        {
            diagnose.args(["--minikube-ip", ip.trim()]);
        }
        let diagnosis: Diagnosis = serde_json::from_str(&output(&mut diagnose)?)
            .context("todo-infra diagnose did not answer with its findings")?;

        report.push_str(&format!(
            "release {release} in namespace {namespace}: {} Pods\n",
            diagnosis.pods.len()
        ));
        for pod in &diagnosis.pods {
            report.push_str(&format!(
                "  {:<45} {:<10} ready {}\n",
                pod.name, pod.phase, pod.ready
            ));
        }
        let mut problems = 0;
        if diagnosis.pods.is_empty() {
            report.push_str(&format!("  no Pods: is the release installed? `helm list -n {namespace}`; deploy with `cargo xtask deploy`\n"));
            problems += 1;
        }
        problems += diagnosis.findings.len();
        for f in &diagnosis.findings {
            report_finding(report, &context, f);
        }
        if !diagnosis.pods.is_empty() {
            report.push_str(&backup_report(&diagnosis.backups));
        }
        if !diagnosis.warnings.is_empty() {
            report.push_str("\nrecent warnings:\n");
            for line in &diagnosis.warnings {
                report.push_str(&format!("  {line}\n"));
            }
        }
        if diagnosis.findings.is_empty() && !diagnosis.pods.is_empty() {
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

/// The backups part of the report (a failure is also listed as a finding).
fn backup_report(backups: &[BackupLine]) -> String {
    if backups.is_empty() {
        return "\nbackups: none (the release has no backup CronJob; backup.enabled is off)\n"
            .into();
    }
    let mut text = String::from("\nbackups:\n");
    for line in backups {
        let glyph = match line.level.as_str() {
            "ok" => "✔",
            "warning" => "⚠",
            _ => "✘",
        };
        text.push_str(&format!("  {glyph} {}: {}\n", line.cron_job, line.summary));
        if let Some(fix) = line.fix.as_ref().filter(|_| line.level == "warning") {
            text.push_str(&format!("    fix: {fix}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `todo-infra diagnose` prints it (infra's diagnosis test checks
    /// the same shape).
    const PRINTED: &str = r#"{"pods":[{"name":"todo-backend-abc","phase":"Pending","ready":"0/1"}],
        "findings":[{"pod":"todo-backend-abc","problem":"CrashLoopBackOff (4 restarts)","cause":"c","fix":"f",
        "evidence":["-n","todo","logs","todo-backend-abc","-c","backend","--previous","--tail","15"]}],"warnings":[]}"#;

    #[test]
    fn the_diagnosis_of_todo_infra_is_read() {
        let diagnosis: Diagnosis = serde_json::from_str(PRINTED).unwrap();
        assert_eq!(diagnosis.pods[0].ready, "0/1");
        assert_eq!(
            diagnosis.findings[0].problem,
            "CrashLoopBackOff (4 restarts)"
        );
        assert_eq!(
            diagnosis.findings[0].evidence.as_deref().unwrap()[2..4],
            ["logs", "todo-backend-abc"]
        );
        assert!(diagnosis.warnings.is_empty());
        assert!(
            diagnosis.backups.is_empty(),
            "an older todo-infra prints none"
        );
    }

    #[test]
    fn backups_are_reported_by_level() {
        let printed = r#"{"pods":[],"findings":[],"warnings":[],"backups":[
            {"cron_job":"todo-backup","level":"ok","summary":"last successful backup 8h 58m ago (alert after 26 h); last scheduled 9h 0m ago"},
            {"cron_job":"old-backup","level":"warning","summary":"older than 26 h: last successful backup 1d 9h ago","fix":"run one now"},
            {"cron_job":"bad-backup","level":"failure","summary":"the last backup Job failed","fix":"read its log"}]}"#;
        let diagnosis: Diagnosis = serde_json::from_str(printed).unwrap();
        assert_eq!(
            backup_report(&diagnosis.backups),
            "\nbackups:\n  ✔ todo-backup: last successful backup 8h 58m ago (alert after 26 h); last scheduled 9h 0m ago\n  \
             ⚠ old-backup: older than 26 h: last successful backup 1d 9h ago\n    fix: run one now\n  \
             ✘ bad-backup: the last backup Job failed\n"
        );
        assert!(backup_report(&[]).contains("backup.enabled is off"));
    }
}
