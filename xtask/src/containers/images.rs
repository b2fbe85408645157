//! `cargo xtask images`: builds the backend and frontend images from
//! infra/docker/Dockerfile, tags them `<name>:<version>` and enforces the
//! size budget.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use super::bases::{BaseSource, Bases, DOCKERFILE};
use crate::support::docker::{Daemon, docker, image_size};
use crate::support::process::{output, project_root, run};

/// The size budget of docs/containers.md: uncompressed, as `docker image inspect` reports it (bytes,
/// decimal megabytes like `docker images` prints).
pub const BUDGET_BYTES: u64 = 40_000_000;

/// Builds todo-backend:<version> and todo-frontend:<version> and reports
/// their sizes; fails when one is over the 40 MB budget.
#[derive(Debug, Args)]
pub struct Images {
    /// Where the builder and runtime base images come from.
    #[arg(long, value_enum, default_value_t = BaseSource::Auto)]
    pub base: BaseSource,
    /// Then run the smoke test against the built images (composed by the
    /// command line: building does not know about smoke testing).
    #[arg(long)]
    pub smoke: bool,
}

/// The images one build produced.
#[derive(Debug, Clone)]
pub struct Built {
    pub backend: String,
    pub frontend: String,
    pub version: String,
}

/// One image of the Dockerfile: its target stage and repository name.
const TARGETS: [(&str, &str); 2] = [("backend", "todo-backend"), ("frontend", "todo-frontend")];

impl Images {
    /// Builds both images, with a daemon started for the build if none
    /// runs, and says what was built.
    pub fn run(&self) -> anyhow::Result<Built> {
        let _daemon = Daemon::ensure()?;
        build(&Bases::resolve(self.base)?)
    }
}

/// Builds both images from `bases`; the daemon must be up.
pub fn build(bases: &Bases) -> anyhow::Result<Built> {
    let version = version()?;
    let revision = output(git().args(["rev-parse", "HEAD"]))?
        .trim()
        .to_string();
    eprintln!(
        "images: version {version}; builder {}; runtime {}",
        bases.builder, bases.runtime
    );
    let mut report = Vec::new();
    for (target, name) in TARGETS {
        let tag = format!("{name}:{version}");
        let started = Instant::now();
        build_target(bases, target, &tag, &version, &revision)?;
        let elapsed = started.elapsed();
        let size = image_size(&tag)?;
        report.push((tag, size, elapsed));
    }
    eprintln!(
        "\nimages: built (sizes uncompressed, budget {} MB each):",
        mb(BUDGET_BYTES)
    );
    let mut over = Vec::new();
    for (tag, size, elapsed) in &report {
        let verdict = if *size > BUDGET_BYTES {
            "OVER BUDGET"
        } else {
            "ok"
        };
        eprintln!(
            "  {tag:<40} {:>6.1} MB  ({size} bytes, built in {})  {verdict}",
            *size as f64 / 1e6,
            seconds(*elapsed)
        );
        if *size > BUDGET_BYTES {
            over.push(tag.clone());
        }
    }
    if !over.is_empty() {
        bail!(
            "{} over the {} MB budget (docs/containers.md); see `docker history <image>` for what takes the space",
            over.join(", "),
            mb(BUDGET_BYTES)
        );
    }
    Ok(Built {
        backend: report[0].0.clone(),
        frontend: report[1].0.clone(),
        version,
    })
}

fn build_target(
    bases: &Bases,
    target: &str,
    tag: &str,
    version: &str,
    revision: &str,
) -> anyhow::Result<()> {
    let mut command = docker();
    command
        .args(["build", "--network", "host", "--progress", "plain"])
        .arg("-f")
        .arg(project_root().join(DOCKERFILE))
        .args(["--target", target, "-t", tag])
        .args(["--build-arg", &format!("VERSION={version}")])
        .args(["--build-arg", &format!("REVISION={revision}")])
        .args(bases.build_args()?)
        .arg(project_root());
    run(&mut command).with_context(|| format!("building the {target} image failed"))
}

fn git() -> Command {
    let mut command = Command::new("git");
    command.current_dir(project_root());
    command
}

/// `<workspace version>-<short sha>[-dirty]`: every build of a different
/// tree gets a different tag, so nothing ever depends on `latest`.
pub fn version() -> anyhow::Result<String> {
    let workspace = crate::support::workspace::version()?;
    let sha = output(git().args(["rev-parse", "--short=7", "HEAD"]))
        .context("the image tag needs the git revision: is this a git checkout?")?;
    let dirty = !output(git().args(["status", "--porcelain"]))?
        .trim()
        .is_empty();
    Ok(format!(
        "{workspace}-{}{}",
        sha.trim(),
        if dirty { "-dirty" } else { "" }
    ))
}

fn mb(bytes: u64) -> u64 {
    bytes / 1_000_000
}

pub fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
