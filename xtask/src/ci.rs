//! `cargo xtask ci`: every check CI runs, in order.

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Args;

use crate::chart::Chart;
use crate::containers::bases::{self, BaseSource, Bases, Role};
use crate::local::{lint::Lint, test::Test};

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
                let (bases, postgres) = step("base images", || self.base_images())?;
                let built = step("images", || crate::containers::images::build(&bases))?;
                step("smoke", || {
                    crate::containers::smoke::smoke(&built, &postgres)
                })?;
                step("chart on docker", || {
                    crate::chart::on_docker::run(&built.version, Some(&postgres), true)
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

    /// The builder, runtime and database images of this run: the official
    /// ones where they can be had (never with `--base local`), stand-ins
    /// prepared now by the `offline/` crate for the rest.
    fn base_images(&self) -> anyhow::Result<(Bases, String)> {
        let mut images = BTreeMap::new();
        for role in Role::ALL {
            if let Some(image) = bases::official(self.base, role)? {
                images.insert(role, image);
            }
        }
        let local: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| !images.contains_key(role))
            .collect();
        if !local.is_empty() {
            images.extend(crate::offline::prepare_stand_ins(&local)?);
        }
        // Every role has its image now: official, or prepared (which
        // fails when one is missing).
        let bases = Bases {
            builder: images[&Role::Builder].clone(),
            runtime: images[&Role::Runtime].clone(),
        };
        let postgres = images[&Role::Postgres].clone();
        bases::check_database_image(&postgres)?;
        Ok((bases, postgres))
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
