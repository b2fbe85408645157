//! Where the images a build and its tests start from come from: the
//! official ones (the Dockerfile's `BUILDER_IMAGE` and `RUNTIME_IMAGE`
//! defaults, the chart's database image) when they are in the local store
//! or can be pulled, else stand-ins already in the local store. Stand-ins
//! are made from Debian's packages by the `offline/` crate, which only
//! `cargo xtask ci --base local` (and `chart --on-docker`, for the
//! database) runs; they are found here by the role they are labelled with,
//! so `images`, `smoke` and `testcontainers` take a plain image name either
//! way. A fallback is always announced, never silent.

use anyhow::{Context, bail};
use clap::ValueEnum;

use crate::support::docker::{docker, image_exists};
use crate::support::helm::CHART;
use crate::support::process::{WorkspaceBinary, output, project_root};

/// The app's Dockerfile, relative to the workspace root.
pub const DOCKERFILE: &str = "infra/docker/Dockerfile";
/// The label a stand-in carries, valued with its [`Role`] name.
pub(crate) const STAND_IN_LABEL: &str = "dev.todo.stand-in";

/// Where base images come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BaseSource {
    /// Official images if present or pullable, else local equivalents.
    Auto,
    /// Official images only; fail when they cannot be had.
    Official,
    /// Local equivalents only (as `cargo xtask ci --base local` prepares
    /// them); never contact a registry.
    Local,
}

/// What an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Builder,
    Runtime,
    Postgres,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Builder, Role::Runtime, Role::Postgres];

    /// As the stand-ins' label and the offline crate's command line say it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Builder => "builder",
            Role::Runtime => "runtime",
            Role::Postgres => "postgres",
        }
    }

    /// The official image: the Dockerfile's default, or the chart's.
    pub fn official(self) -> anyhow::Result<String> {
        match self {
            Role::Builder => dockerfile_default("BUILDER_IMAGE"),
            Role::Runtime => dockerfile_default("RUNTIME_IMAGE"),
            Role::Postgres => chart_database_image(),
        }
    }
}

/// The builder and runtime images the app Dockerfile is built with.
#[derive(Debug, Clone)]
pub struct Bases {
    pub builder: String,
    pub runtime: String,
}

impl Bases {
    /// The official images, else the stand-ins in the local store.
    pub fn resolve(source: BaseSource) -> anyhow::Result<Self> {
        Ok(Self {
            builder: resolve(source, Role::Builder)?,
            runtime: resolve(source, Role::Runtime)?,
        })
    }

    /// `--build-arg NAME=image` for each image that is not the
    /// Dockerfile's default.
    pub fn build_args(&self) -> anyhow::Result<Vec<String>> {
        let mut args = Vec::new();
        for (name, image) in [
            ("BUILDER_IMAGE", &self.builder),
            ("RUNTIME_IMAGE", &self.runtime),
        ] {
            if *image != dockerfile_default(name)? {
                args.extend(["--build-arg".to_owned(), format!("{name}={image}")]);
            }
        }
        Ok(args)
    }
}

/// The database image for smoke tests and testcontainers: the chart's
/// default when present or pullable (hosted CI), else the stand-in in the
/// local store. Either way its contract is checked.
pub fn postgres(source: BaseSource) -> anyhow::Result<String> {
    let image = resolve(source, Role::Postgres)?;
    check_database_image(&image)?;
    Ok(image)
}

/// Fails unless `image` (in the local store) keeps what the chart relies
/// on in its database image (`todo-infra check-database-image`).
pub fn check_database_image(image: &str) -> anyhow::Result<()> {
    let mut check = WorkspaceBinary::build("todo-infra")?.command();
    let kept = output(check.args(["check-database-image", image]))?;
    eprintln!("images: {}", kept.trim());
    Ok(())
}

/// The official image for `role` when present or pullable, else the
/// stand-in in the local store.
fn resolve(source: BaseSource, role: Role) -> anyhow::Result<String> {
    official(source, role)?.map_or_else(|| stand_in(role), Ok)
}

/// `Some(official)` when it can be used, `None` where a stand-in must do.
pub fn official(source: BaseSource, role: Role) -> anyhow::Result<Option<String>> {
    let official = role.official()?;
    if source == BaseSource::Local {
        eprintln!("images: --base local: using a LOCAL equivalent of {official}");
        return Ok(None);
    }
    if image_exists(&official) {
        eprintln!("images: base {official} (already in the local store)");
        return Ok(Some(official));
    }
    match output(docker().args(["pull", "--quiet", &official])) {
        Ok(_) => {
            eprintln!("images: base {official} (pulled)");
            Ok(Some(official))
        }
        Err(e) if source == BaseSource::Official => {
            Err(e.context(format!("--base official: cannot pull {official}")))
        }
        Err(e) => {
            let reason = format!("{e:#}");
            let reason = reason.lines().last().unwrap_or("pull failed");
            eprintln!(
                "\nimages: *** LOCAL FALLBACK *** {official} is not in the local store and \
                 cannot be pulled ({reason}).\nimages: *** using a locally prepared equivalent \
                 built from Debian packages instead (see docs/containers.md) ***\n"
            );
            Ok(None)
        }
    }
}

/// The newest stand-in for `role` in the local store.
fn stand_in(role: Role) -> anyhow::Result<String> {
    let listed = output(docker().args([
        "image",
        "ls",
        "--filter",
        &format!("label={STAND_IN_LABEL}={}", role.name()),
        "--filter",
        "dangling=false",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ]))?;
    // The app images are built FROM the runtime stand-in and inherit its
    // label: never take one of them for the base.
    let stand_in = listed.lines().find(|image| {
        !["todo-backend:", "todo-frontend:"]
            .iter()
            .any(|app| image.starts_with(app))
    });
    match stand_in {
        Some(image) => {
            eprintln!("images: using the stand-in {image} (prepared earlier)");
            Ok(image.to_owned())
        }
        None => bail!(
            "no local stand-in for the {} image ({}) is in the local store: \
             `cargo xtask ci --base local` prepares them from Debian's packages (docs/containers.md)",
            role.name(),
            role.official()?
        ),
    }
}

/// `postgresql.image` of the chart's values: `REPOSITORY:TAG`.
fn chart_database_image() -> anyhow::Result<String> {
    let values: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(
        project_root().join(CHART).join("values.yaml"),
    )?)
    .context("the chart's values.yaml is not YAML")?;
    let image = &values["postgresql"]["image"];
    match (image["repository"].as_str(), image["tag"].as_str()) {
        (Some(repository), Some(tag)) => Ok(format!("{repository}:{tag}")),
        _ => bail!("the chart's values.yaml has no postgresql.image.repository and .tag"),
    }
}

/// The Dockerfile's default for `ARG name=...`: the official image.
fn dockerfile_default(name: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(project_root().join(DOCKERFILE))
        .with_context(|| format!("cannot read {DOCKERFILE}"))?;
    let prefix = format!("ARG {name}=");
    text.lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .map(|value| value.trim().to_string())
        .with_context(|| format!("{DOCKERFILE} has no `{prefix}<image>` line"))
}
