//! `cargo xtask testcontainers`: the contract suite's PostgreSQL cases on
//! the path users without a database get — no `TEST_DATABASE_URL`, so the
//! suite starts PostgreSQL itself through testcontainers — using the
//! chart's default database image, or where it cannot be pulled the locally
//! prepared stand-in `todo-postgres:15`, which testcontainers finds in the
//! local store and never pulls.

use clap::Args;

use super::bases::{self, BaseSource};
use crate::support::docker::Daemon;
use crate::support::process::{cargo, run};

#[derive(Debug, Default, Args)]
pub struct Testcontainers {
    /// The image testcontainers starts (default: the chart's database image,
    /// else the local todo-postgres:15).
    #[arg(long)]
    pub image: Option<String>,
}

impl Testcontainers {
    pub fn run(self) -> anyhow::Result<()> {
        let _daemon = Daemon::ensure()?;
        let image = match self.image {
            Some(image) => image,
            None => bases::postgres(BaseSource::Auto)?,
        };
        eprintln!("testcontainers: contract suite, PostgreSQL cases, on a container of {image}");
        // --workspace rather than -p todo-backend: the same feature
        // unification as `cargo xtask test`, so the test binary it built is
        // reused instead of recompiling dependencies with other features.
        run(cargo()
            .args([
                "test",
                "--workspace",
                "--test",
                "contract",
                "--",
                "postgres::",
            ])
            .env("TEST_POSTGRES_IMAGE", &image)
            // The reminder cases send to a real SMTP server.
            .env(
                "TEST_SMTP_PYTHON",
                crate::support::tools::AIOSMTPD.interpreter()?,
            )
            // Either of these would make the suite skip testcontainers.
            .env_remove("TEST_DATABASE_URL")
            .env_remove("DATABASE_URL"))
    }
}
