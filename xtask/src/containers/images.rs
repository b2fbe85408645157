//! `cargo xtask images`: builds the backend and frontend images from
//! infra/docker/Dockerfile, tags them `<name>:<version>`, enforces the
//! size budget and writes an SBOM beside each (`sbom`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use super::bases::{BaseSource, Bases, DOCKERFILE};
use super::sbom;
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
    /// Build nothing and need no Docker: write only the SBOMs of the Rust
    /// dependencies (the workspace's, and each binary's per --platform).
    /// The release workflow's images are built by buildx, which cannot
    /// leave them in a local image store to be read.
    #[arg(long, conflicts_with = "smoke")]
    pub sbom_only: bool,
    /// The platforms of --sbom-only's binary SBOMs.
    #[arg(
        long = "platform",
        value_name = "OS/ARCH",
        requires = "sbom_only",
        default_values = ["linux/amd64", "linux/arm64"]
    )]
    pub platforms: Vec<String>,
    /// Where the SBOMs go [default: .local/sbom].
    #[arg(long, value_name = "DIR")]
    pub sbom_dir: Option<PathBuf>,
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
        let sbom_dir = self.sbom_dir.clone().unwrap_or_else(sbom::default_dir);
        if self.sbom_only {
            return rust_sboms(&self.platforms, &sbom_dir);
        }
        let _daemon = Daemon::ensure()?;
        build_with_sboms(&Bases::resolve(self.base)?, &sbom_dir)
    }
}

/// `--sbom-only`: the workspace's SBOM and each binary's for each of
/// `platforms`. What it returns names the images a build of this tree
/// would tag; none is built (`--smoke` cannot be asked for with it).
fn rust_sboms(platforms: &[String], dir: &Path) -> anyhow::Result<Built> {
    let version = version()?;
    let mut sboms = sbom::Session::start(dir, &packages())?;
    for platform in platforms {
        for (_, name) in TARGETS {
            sboms.binary_only(name, &version, platform)?;
        }
    }
    sboms.workspace(&version)?;
    sboms.finish()?;
    Ok(Built {
        backend: format!("{}:{version}", TARGETS[0].1),
        frontend: format!("{}:{version}", TARGETS[1].1),
        version,
    })
}

/// The packages whose binaries the images ship; the Dockerfile builds
/// them in one `cargo build`, so their features are resolved together.
fn packages() -> Vec<&'static str> {
    TARGETS.iter().map(|(_, name)| *name).collect()
}

/// Builds both images from `bases`, their SBOMs in `.local/sbom/`; the
/// daemon must be up.
pub fn build(bases: &Bases) -> anyhow::Result<Built> {
    build_with_sboms(bases, &sbom::default_dir())
}

fn build_with_sboms(bases: &Bases, sbom_dir: &Path) -> anyhow::Result<Built> {
    let version = version()?;
    // Before anything is built: a workspace whose crates cannot be listed
    // fails in seconds, not after the build.
    let mut sboms = sbom::Session::start(sbom_dir, &packages())?;
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
        sboms
            .image(&tag, name, &bases.runtime)
            .with_context(|| format!("could not write the SBOM of {tag}"))?;
        report.push((tag, size, elapsed));
    }
    sboms.workspace(&version)?;
    sboms.finish()?;
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
