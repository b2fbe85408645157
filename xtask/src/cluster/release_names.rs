//! The names a release's objects get, read from the chart's own render
//! (`helm template` with the deploy's values) rather than re-derived: the
//! chart applies `nameOverride`, `fullnameOverride` and the 63-character
//! cut, and a copy of that rule here would drift from it (and did: it
//! missed all three, so a deploy with an override looked for the wrong
//! database volume and let a lost password through).

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
        Self::from_manifests(&String::from_utf8_lossy(&out.stdout))
    }

    /// Reads the names from rendered manifests (a multi-document YAML).
    pub fn from_manifests(text: &str) -> anyhow::Result<Self> {
        let objects: Vec<Value> =
            serde_saphyr::from_multiple(text).context("the render is not YAML")?;
        let of = |kind: &str, component: &str| {
            objects.iter().find(|object| {
                object["kind"] == kind
                    && object["metadata"]["labels"]["app.kubernetes.io/component"] == component
            })
        };
        let name = |object: &Value| object["metadata"]["name"].as_str().map(str::to_owned);
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
        Ok(Self {
            frontend_service,
            database_claim,
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
}
