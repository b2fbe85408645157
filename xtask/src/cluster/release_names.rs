//! The names a release's objects get, read from the chart's own render
//! (`helm template` with the deploy's values) rather than re-derived: the
//! chart applies `nameOverride`, `fullnameOverride` and the 63-character
//! cut, and a copy of that rule here would drift from it (and did: it
//! missed all three, so a deploy with an override looked for the wrong
//! database volume and let a lost password through). `backup` and
//! `restore` read theirs ([`BackupNames`]) the same way.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

/// What `deploy` needs to know by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseNames {
    /// The frontend's Service, for the port-forward the deploy suggests.
    pub frontend_service: String,
    /// The bundled PostgreSQL's data claim, `<template>-<statefulset>-0`,
    /// when the release runs it.
    pub database_claim: Option<String>,
    /// The CloudNativePG Cluster, when the release renders one
    /// (`database.mode: cnpg`): the operator must be installed.
    pub cnpg_cluster: Option<String>,
}

impl ReleaseNames {
    /// Renders the chart as `helm upgrade` would with `values` and reads
    /// the names off the result.
    pub fn render(
        helm: &Path,
        chart: &Path,
        release: &str,
        namespace: &str,
        values: &[PathBuf],
    ) -> anyhow::Result<Self> {
        Self::from_manifests(&render(helm, chart, release, namespace, values)?)
    }

    /// Reads the names from rendered manifests (a multi-document YAML).
    pub fn from_manifests(text: &str) -> anyhow::Result<Self> {
        let objects = parse(text)?;
        let of = |kind: &str, component: &str| find(&objects, kind, component);
        let frontend_service = of("Service", "frontend")
            .and_then(name)
            .context("the render has no frontend Service")?;
        let database_claim = match of("StatefulSet", "postgresql") {
            None => None,
            Some(database) => {
                let set = name(database).context("the PostgreSQL StatefulSet has no name")?;
                let template = database["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
                    .as_str()
                    .context("the PostgreSQL StatefulSet has no volume claim template")?;
                Some(format!("{template}-{set}-0"))
            }
        };
        let cnpg_cluster = objects
            .iter()
            .find(|o| {
                o["kind"] == "Cluster"
                    && o["apiVersion"]
                        .as_str()
                        .is_some_and(|v| v.starts_with("postgresql.cnpg.io/"))
            })
            .and_then(name);
        Ok(Self {
            frontend_service,
            database_claim,
            cnpg_cluster,
        })
    }
}

/// `helm template` of the release with `values`, as `helm upgrade` would
/// render it.
pub fn render(
    helm: &Path,
    chart: &Path,
    release: &str,
    namespace: &str,
    values: &[PathBuf],
) -> anyhow::Result<String> {
    let mut command = Command::new(helm);
    command
        .args(["template", release])
        .arg(chart)
        .args(["--namespace", namespace]);
    for file in values {
        command.arg("--values").arg(file);
    }
    let out = command
        .output()
        .with_context(|| format!("could not run {}", helm.display()))?;
    if !out.status.success() {
        bail!(
            "helm template of the release failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn parse(text: &str) -> anyhow::Result<Vec<Value>> {
    serde_saphyr::from_multiple(text).context("the render is not YAML")
}

/// The rendered object of `kind` whose component label is `component`.
fn find<'a>(objects: &'a [Value], kind: &str, component: &str) -> Option<&'a Value> {
    objects.iter().find(|object| {
        object["kind"] == kind
            && object["metadata"]["labels"]["app.kubernetes.io/component"] == component
    })
}

fn name(object: &Value) -> Option<String> {
    object["metadata"]["name"].as_str().map(str::to_owned)
}

/// What `backup` and `restore` need to know by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupNames {
    /// The backend Deployment, which `restore` stops and starts again.
    pub backend: String,
    /// Its Pods, as its selector matches them (`key=value,…`).
    pub backend_selector: String,
    /// Its replicas as rendered, for a plan made without a cluster.
    pub backend_replicas: u32,
    /// Where its readiness probe asks: container port and path.
    pub backend_ready: (u16, String),
    /// The backup CronJob, when the release has backups on.
    pub cron_job: Option<RenderedCronJob>,
}

/// The backup CronJob as the chart renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCronJob {
    pub name: String,
    /// The whole object, for a plan made without a cluster.
    pub object: Value,
}

impl BackupNames {
    /// Reads the names from rendered manifests (a multi-document YAML).
    pub fn from_manifests(text: &str) -> anyhow::Result<Self> {
        let objects = parse(text)?;
        let backend = find(&objects, "Deployment", "backend")
            .context("the render has no backend Deployment")?;
        let backend_name = name(backend).context("the backend Deployment has no name")?;
        let labels = backend["spec"]["selector"]["matchLabels"]
            .as_object()
            .filter(|labels| !labels.is_empty())
            .context("the backend Deployment has no selector labels")?;
        let mut selector: Vec<String> = labels
            .iter()
            .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
            .collect();
        selector.sort();
        let backend_selector = selector.join(",");
        let containers = backend["spec"]["template"]["spec"]["containers"]
            .as_array()
            .context("the backend Deployment has no containers")?;
        let container = containers
            .iter()
            .find(|c| c["name"] == "backend")
            .or(containers.first())
            .context("the backend Deployment has no containers")?;
        let probe = &container["readinessProbe"]["httpGet"];
        let path = probe["path"]
            .as_str()
            .context("the backend has no HTTP readiness probe")?
            .to_owned();
        let port = match &probe["port"] {
            Value::Number(number) => number.as_u64(),
            // A named port: the container's port of that name.
            Value::String(port_name) => container["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == port_name.as_str())
                .and_then(|p| p["containerPort"].as_u64()),
            _ => None,
        }
        .and_then(|port| u16::try_from(port).ok())
        .context("the backend's readiness probe names no port it has")?;
        let backend_replicas = backend["spec"]["replicas"]
            .as_u64()
            .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
        let cron_job = match find(&objects, "CronJob", "backup") {
            None => None,
            Some(object) => Some(RenderedCronJob {
                name: name(object).context("the backup CronJob has no name")?,
                object: object.clone(),
            }),
        };
        Ok(Self {
            backend: backend_name,
            backend_selector,
            backend_replicas,
            backend_ready: (port, path),
            cron_job,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `helm template` renders of the two objects, trimmed to the
    /// fields read, for a release and its overrides.
    fn render(frontend: &str, database: Option<&str>) -> String {
        let mut text = format!(
            "---\n# Source: todo/templates/services.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: {frontend}\n  labels:\n    app.kubernetes.io/component: frontend\nspec:\n  type: ClusterIP\n"
        );
        if let Some(database) = database {
            text.push_str(&format!(
                "---\n# Source: todo/templates/postgresql-statefulset.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {database}\n  labels:\n    app.kubernetes.io/component: postgresql\nspec:\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n"
            ));
        }
        text
    }

    #[test]
    fn names_come_from_the_render_whatever_overrides_made_them() {
        // fullnameOverride=shop, as the chart renders it.
        let names = ReleaseNames::from_manifests(&render("shop-frontend", Some("shop-postgresql")))
            .unwrap();
        assert_eq!(names.frontend_service, "shop-frontend");
        assert_eq!(
            names.database_claim.as_deref(),
            Some("data-shop-postgresql-0")
        );
        // nameOverride=tasks on release demo: "demo-tasks-…", which the
        // old copy of the rule ("demo-todo-…") got wrong.
        let names = ReleaseNames::from_manifests(&render(
            "demo-tasks-frontend",
            Some("demo-tasks-postgresql"),
        ))
        .unwrap();
        assert_eq!(
            names.database_claim.as_deref(),
            Some("data-demo-tasks-postgresql-0")
        );
        // An external database: no claim to look for.
        let names = ReleaseNames::from_manifests(&render("todo-frontend", None)).unwrap();
        assert_eq!(names.database_claim, None);
        assert!(ReleaseNames::from_manifests("---\nkind: ConfigMap\n").is_err());
    }

    /// The backend Deployment and the backup CronJob as the chart renders
    /// them, trimmed to the fields read.
    fn backup_render(fullname: &str, backups: bool) -> String {
        let mut text = format!(
            "---\n# Source: todo/templates/deployments.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {fullname}-backend\n  labels:\n    app.kubernetes.io/component: backend\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: todo\n      app.kubernetes.io/instance: demo\n      app.kubernetes.io/component: backend\n  template:\n    spec:\n      containers:\n        - name: backend\n          ports:\n            - name: http\n              containerPort: 8080\n          readinessProbe:\n            httpGet:\n              path: /ready\n              port: http\n"
        );
        if backups {
            text.push_str(&format!(
                "---\n# Source: todo/templates/backup-cronjob.yaml\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {fullname}-backup\n  labels:\n    app.kubernetes.io/component: backup\nspec:\n  schedule: \"0 3 * * *\"\n"
            ));
        }
        text
    }

    #[test]
    fn backup_names_come_from_the_render_too() {
        let names = BackupNames::from_manifests(&backup_render("shop", true)).unwrap();
        assert_eq!(names.backend, "shop-backend");
        assert_eq!(
            names.backend_selector,
            "app.kubernetes.io/component=backend,app.kubernetes.io/instance=demo,app.kubernetes.io/name=todo"
        );
        assert_eq!(names.backend_replicas, 2);
        assert_eq!(names.backend_ready, (8080, "/ready".to_owned()));
        let cron_job = names.cron_job.unwrap();
        assert_eq!(cron_job.name, "shop-backup");
        assert_eq!(cron_job.object["spec"]["schedule"], "0 3 * * *");
        // Backups off: no CronJob, and the backend still named.
        let off = BackupNames::from_manifests(&backup_render("todo", false)).unwrap();
        assert_eq!(off.backend, "todo-backend");
        assert_eq!(off.cron_job, None);
        assert!(BackupNames::from_manifests("---\nkind: ConfigMap\n").is_err());
    }
}
