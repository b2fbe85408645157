//! `todo-infra`: the typed checks as commands, which xtask runs as a
//! process (so a `cargo xtask` build never compiles k8s-openapi): the
//! chart's checks (`check-chart`), the database image contract
//! (`check-database-image`), and the doctor's rules on recorded kubectl and
//! helm output (`diagnose`). Run from the workspace root. Progress goes to
//! stderr; stdout carries the answer xtask reads.

mod chart;
mod database_image;
mod process;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde::de::DeserializeOwned;
use todo_infra::diagnosis::{self, Observed};

#[derive(Debug, Parser)]
#[command(
    name = "todo-infra",
    about = "Typed checks of the chart and the cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint, render, type, policy-check and schema-validate the chart; its
    /// bad values rejected; checkov; the plain manifests in infra/k8s/.
    CheckChart {
        #[arg(long)]
        helm: PathBuf,
        #[arg(long)]
        kubernetes_validate: PathBuf,
        /// Without it, checkov is skipped.
        #[arg(long)]
        checkov: Option<PathBuf>,
        /// Regenerate infra/k8s/todo.yaml instead of failing when it is
        /// out of date.
        #[arg(long)]
        write: bool,
    },
    /// Check that a local image keeps the chart's database image contract.
    CheckDatabaseImage { image: String },
    /// Diagnose a release from recorded `kubectl get … -o json` and `helm
    /// history -o json` output; print the findings as JSON.
    Diagnose {
        #[arg(long)]
        release: String,
        #[arg(long)]
        namespace: String,
        /// `kubectl get pods -o json`.
        #[arg(long)]
        pods: PathBuf,
        /// `kubectl get events -o json`.
        #[arg(long)]
        events: PathBuf,
        /// `kubectl get ingress -o json`.
        #[arg(long)]
        ingresses: PathBuf,
        /// `helm history -o json`, when Helm knows the release.
        #[arg(long)]
        helm_history: Option<PathBuf>,
        /// `minikube ip`, on a minikube cluster.
        #[arg(long)]
        minikube_ip: Option<String>,
        /// The hosts file the browser resolves with.
        #[arg(long, default_value = "/etc/hosts")]
        hosts: PathBuf,
        /// `kubectl get cronjobs -o json` of the release's backup CronJobs.
        #[arg(long)]
        cron_jobs: Option<PathBuf>,
        /// `kubectl get jobs -o json` of the namespace (the Jobs the
        /// CronJobs own are read).
        #[arg(long, requires = "cron_jobs")]
        jobs: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-infra: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::CheckChart {
            helm,
            kubernetes_validate,
            checkov,
            write,
        } => chart::check(
            &chart::Tools {
                helm,
                kubernetes_validate,
                checkov,
            },
            write,
        ),
        Command::CheckDatabaseImage { image } => {
            println!("{}", database_image::check(&image)?);
            Ok(())
        }
        Command::Diagnose {
            release,
            namespace,
            pods,
            events,
            ingresses,
            helm_history,
            minikube_ip,
            hosts,
            cron_jobs,
            jobs,
        } => {
            let observed = Observed {
                release,
                namespace,
                pods: items(&pods)?,
                events: items(&events)?,
                ingresses: items(&ingresses)?,
                history: helm_history
                    .map(|path| -> anyhow::Result<_> {
                        serde_json::from_str(&read(&path)?)
                            .with_context(|| format!("{} is not helm history", path.display()))
                    })
                    .transpose()?,
                minikube_ip,
                hosts: std::fs::read_to_string(&hosts).unwrap_or_default(),
            };
            let mut diagnosis = diagnosis::diagnose_release(&observed);
            if let Some(cron_jobs) = cron_jobs {
                let jobs = jobs.map(|path| items(&path)).transpose()?;
                diagnosis = diagnosis.with_backups(
                    &observed.namespace,
                    &items(&cron_jobs)?,
                    &jobs.unwrap_or_default(),
                    diagnosis::now(),
                );
            }
            println!("{}", serde_json::to_string(&diagnosis)?);
            Ok(())
        }
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The items of a `kubectl get … -o json` list. kubectl prints its own
/// `"kind": "List"`, not the API's `PodList`, so the envelope is read as
/// plain JSON and only the items as typed objects.
fn items<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    list_items(&read(path)?).with_context(|| format!("in {}", path.display()))
}

fn list_items<T: DeserializeOwned>(json: &str) -> anyhow::Result<Vec<T>> {
    let list: serde_json::Value = serde_json::from_str(json).context("not JSON")?;
    let Some(items) = list.get("items").and_then(serde_json::Value::as_array) else {
        bail!("not a kubectl list (no items)");
    };
    items
        .iter()
        .map(T::deserialize)
        .collect::<Result<_, _>>()
        .context("an item is not of the listed kind")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Pod;

    use super::list_items;

    #[test]
    fn kubectls_list_and_the_apis_pod_list_are_both_read() {
        // `kubectl get pods -o json` wraps the items in its own `List`.
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"todo-backend-abc"}}"#;
        for kind in ["List", "PodList"] {
            let json =
                format!(r#"{{"apiVersion":"v1","kind":"{kind}","metadata":{{}},"items":[{pod}]}}"#);
            let pods: Vec<Pod> = list_items(&json).unwrap();
            assert_eq!(pods[0].metadata.name.as_deref(), Some("todo-backend-abc"));
        }
        assert!(list_items::<Pod>(r#"{"kind":"Pod"}"#).is_err());
        assert!(list_items::<Pod>(r#"{"items":[{"apiVersion":"v1","kind":"Event"}]}"#).is_err());
    }
}
