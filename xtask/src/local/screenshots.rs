//! `cargo xtask screenshots`: refreshes docs/screenshots/.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::support::browser;
use crate::support::process::{cargo, project_root, run};

/// Saves `tasks-desktop.png`, `tasks-phone.png` (390 px wide) and the same
/// two of a conversation with the assistant (`assistant-*.png`): the
/// frontend's `screenshots` example starts a backend and the frontend
/// in-process, seeds a few tasks and chat messages and drives headless
/// Chromium.
#[derive(Debug, Args)]
pub struct Screenshots {
    /// Where to write the PNGs (relative to the workspace root).
    #[arg(long, default_value = "docs/screenshots")]
    pub out: PathBuf,
}

impl Screenshots {
    pub fn run(self) -> anyhow::Result<()> {
        if !browser::ensure("screenshots") {
            bail!("screenshots need headless Chromium (see above)");
        }
        let out = project_root().join(&self.out);
        run(cargo()
            .args([
                "run",
                "-q",
                "-p",
                "todo-frontend",
                "--example",
                "screenshots",
                "--",
            ])
            .arg(&out))
    }
}
