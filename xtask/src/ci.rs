//! `cargo xtask ci`: every check CI runs, in order.

use std::time::Instant;

use clap::Args;

use crate::chart::Chart;
use crate::local::{lint::Lint, test::Test};
use crate::offline::base_images::{self, BaseSource};

/// Everything `.ci/run` checks: lints, then the test suite.
#[derive(Debug, Args)]
pub struct Ci {
    /// Skip the test suite (when the caller has just run it).
    #[arg(long)]
    skip_tests: bool,
    /// Skip the image build, smoke test and testcontainers run.
    #[arg(long)]
    skip_docker: bool,
    /// Where base images and the database image come from (hosted CI:
    /// `official`, which never falls back to local equivalents).
    #[arg(long, value_enum, default_value_t = BaseSource::Auto)]
    base: BaseSource,
}

impl Ci {
    pub fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        step("lint", || Lint {}.run())?;
        step("chart", || Chart::default().run())?;
        step("workflows", || {
            crate::local::workflows::Workflows::default().run()
        })?;
        if !self.skip_tests {
            step("test", || Test::default().run())?;
        }
        step("api fuzz", || {
            crate::local::api_fuzz::ApiFuzz::default().run()
        })?;
        match crate::support::docker::unavailable_reason() {
            _ if self.skip_docker => eprintln!("\nci: image steps skipped (--skip-docker)"),
            Some(why) => eprintln!("\nci: image steps SKIPPED: {why}"),
            None => {
                let _daemon = crate::support::docker::Daemon::ensure()?;
                let built = step("images", || crate::containers::images::build(self.base))?;
                let postgres = step("database image", || base_images::postgres(self.base))?;
                step("smoke", || {
                    crate::containers::smoke::smoke(&built, &postgres)
                })?;
                step("chart on docker", || {
                    crate::offline::kubelet::run_release(&built.version, Some(&postgres))
                })?;
                step("testcontainers", || {
                    crate::containers::testcontainers::Testcontainers {
                        image: Some(postgres.clone()),
                    }
                    .run()
                })?;
            }
        }
        eprintln!("\nci: all steps passed in {:.0?}", started.elapsed());
        Ok(())
    }
}

fn step<T>(name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    eprintln!("\n==> ci: {name}");
    let started = Instant::now();
    let result = f();
    match &result {
        Ok(_) => eprintln!("==> ci: {name} passed in {:.0?}", started.elapsed()),
        Err(_) => eprintln!("==> ci: {name} FAILED after {:.0?}", started.elapsed()),
    }
    result
}
