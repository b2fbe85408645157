//! `cargo xtask lint`: rustfmt and clippy, warnings denied.

use clap::Args;

use crate::support::process::{cargo, run};

/// Formatting and lints, as CI enforces them.
#[derive(Debug, Args)]
pub struct Lint {}

impl Lint {
    pub fn run(self) -> anyhow::Result<()> {
        run(cargo().args(["fmt", "--all", "--check"]))?;
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    }
}
