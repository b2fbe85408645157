use std::time::Instant;

use clap::Args;

use crate::{chart::Chart, lint::Lint, test::Test};

/// Everything `.ci/run` checks: lints, then the test suite.
#[derive(Debug, Args)]
pub struct Ci {
    /// Skip the test suite (when the caller has just run it).
    #[arg(long)]
    skip_tests: bool,
}

impl Ci {
    pub fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        step("lint", || Lint {}.run())?;
        step("chart", || Chart { write: false }.run())?;
        if !self.skip_tests {
            step("test", || Test::default().run())?;
        }
        eprintln!("\nci: all steps passed in {:.0?}", started.elapsed());
        Ok(())
    }
}

fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    eprintln!("\n==> ci: {name}");
    let started = Instant::now();
    let result = f();
    match &result {
        Ok(()) => eprintln!("==> ci: {name} passed in {:.0?}", started.elapsed()),
        Err(_) => eprintln!("==> ci: {name} FAILED after {:.0?}", started.elapsed()),
    }
    result
}
