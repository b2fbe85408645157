//! `cargo xtask chart`: everything that can be checked about the Helm chart
//! without a cluster. This command locates (or installs) the tools and
//! checks that the chart moves with the workspace version; the checks
//! themselves are `todo-infra check-chart`, run as a process: for the
//! defaults and each `helm/todo/ci/*-values.yaml`, `helm lint --strict`,
//! then `helm template` → typed objects → the policy module → the
//! Kubernetes OpenAPI schemas; the images' ports, checkov, bad values that
//! `values.schema.json` must reject, and the plain manifests in
//! `infra/k8s/`; and the backup upload script against an S3 server on
//! loopback (`s3_upload`). `--on-docker` then runs the release
//! (`on_docker`).

pub mod on_docker;
mod s3_upload;

use std::fs;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Args;
use serde_json::Value;

use crate::support::helm::{CHART, Helm};
use crate::support::process::{WorkspaceBinary, output, project_root, run};
use crate::support::tools;

const RELEASE: &str = "todo";

/// Lint, render, type-check, policy-check and schema-validate the chart.
#[derive(Debug, Default, Args)]
pub struct Chart {
    /// Regenerate infra/k8s/todo.yaml from the chart instead of failing
    /// when it is out of date.
    #[arg(long)]
    pub write: bool,
    /// Skip checkov's Kubernetes checks (quicker while iterating; CI always
    /// runs them, installing checkov into .local/checkov-venv on first use).
    #[arg(long)]
    pub no_checkov: bool,
    /// Then run the rendered release on Docker (no cluster needed) and its
    /// Helm tests, with the images `cargo xtask images` built.
    #[arg(long)]
    pub on_docker: bool,
    /// Image tag for --on-docker (default: the current tree's, as `cargo
    /// xtask images` tags it).
    #[arg(long, requires = "on_docker")]
    pub image_tag: Option<String>,
    /// PostgreSQL image for --on-docker (default: the chart's
    /// postgres:15-bookworm if present or pullable, else todo-postgres:15).
    #[arg(long, requires = "on_docker")]
    pub postgres_image: Option<String>,
    /// With --on-docker: skip the runs on deliberately broken copies of the
    /// release (quicker while iterating; CI always runs them).
    #[arg(long, requires = "on_docker")]
    pub no_mutations: bool,
}

impl Chart {
    pub fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        let helm = Helm::local(RELEASE, RELEASE)?;
        let validator = tools::KUBERNETES_VALIDATE.ensure()?;
        eprintln!(
            "chart: {}",
            output(helm.command().args(["version", "--short"]))?.trim()
        );
        let checkov = (!self.no_checkov)
            .then(|| tools::CHECKOV.ensure())
            .transpose()?;
        let versions = check_versions();
        match &versions {
            Ok(version) => eprintln!(
                "chart: Chart.yaml version and appVersion are the workspace version {version}"
            ),
            Err(e) => eprintln!("chart: FAIL {e:#}"),
        }
        let mut check = WorkspaceBinary::build("todo-infra")?.command();
        check
            .args(["check-chart", "--helm", &helm.binary])
            .arg("--kubernetes-validate")
            .arg(validator);
        if let Some(checkov) = checkov {
            check.arg("--checkov").arg(checkov);
        }
        if self.write {
            check.arg("--write");
        }
        let checked = run(&mut check);
        let names = check_release_names(std::path::Path::new(&helm.binary));
        match &names {
            Ok(()) => eprintln!(
                "chart: deploy reads the database claim and frontend Service off the render, overrides included"
            ),
            Err(e) => eprintln!("chart: FAIL {e:#}"),
        }
        let uploads = s3_upload::check();
        match &uploads {
            Ok(summary) => eprintln!("chart: backup upload script: {summary}"),
            Err(e) => eprintln!("chart: FAIL backup upload script: {e:#}"),
        }
        versions.context("Chart.yaml version")?;
        checked?;
        names?;
        uploads.context("the backup upload script against S3")?;
        eprintln!("chart: all checks passed in {:.1?}", started.elapsed());
        if self.on_docker {
            let _daemon = crate::support::docker::Daemon::ensure()?;
            let tag = match self.image_tag {
                Some(tag) => tag,
                None => crate::containers::images::version()?,
            };
            on_docker::run(&tag, self.postgres_image.as_deref(), !self.no_mutations)?;
        }
        Ok(())
    }
}

/// What `deploy` reads off the chart's render for a release named "demo"
/// is what the chart names its objects, with `nameOverride` and
/// `fullnameOverride` given in a values file as a user would.
fn check_release_names(helm: &std::path::Path) -> anyhow::Result<()> {
    use crate::cluster::release_names::ReleaseNames;
    let cases = [
        ("", "demo-todo-frontend", "data-demo-todo-postgresql-0"),
        (
            "nameOverride: tasks\n",
            "demo-tasks-frontend",
            "data-demo-tasks-postgresql-0",
        ),
        (
            "fullnameOverride: shop\n",
            "shop-frontend",
            "data-shop-postgresql-0",
        ),
    ];
    let chart = project_root().join(CHART);
    for (values, frontend, claim) in cases {
        let file = tempfile::NamedTempFile::new()?;
        fs::write(file.path(), values)?;
        let names = ReleaseNames::render(helm, &chart, "demo", "demo", &[file.path().to_owned()])?;
        ensure!(
            names.frontend_service == frontend && names.database_claim.as_deref() == Some(claim),
            "with {values:?} deploy would read {names:?}, the chart renders {frontend} and {claim}"
        );
    }
    Ok(())
}

/// The chart and the images it deploys move with the workspace version:
/// image tags default to appVersion.
fn check_versions() -> anyhow::Result<String> {
    let workspace = crate::support::workspace::version()?;
    let chart_file = project_root().join(CHART).join("Chart.yaml");
    let chart: Value = serde_saphyr::from_str(&fs::read_to_string(&chart_file)?)
        .with_context(|| format!("{} is not valid YAML", chart_file.display()))?;
    for key in ["version", "appVersion"] {
        let value = chart.get(key).and_then(Value::as_str).unwrap_or_default();
        ensure!(
            value == workspace,
            "{CHART}/Chart.yaml {key} is {value:?} but the workspace version is {workspace:?}; update Chart.yaml"
        );
    }
    Ok(workspace)
}
