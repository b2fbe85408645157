//! Running commands: echoed before they run, failures say what ran.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

pub use super::workspace::project_root;

/// The cargo that invoked us, so toolchain overrides are honoured.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root());
    command
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `command` with inherited stdio; an error names it and its status.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let text = describe(command);
    eprintln!("$ {text}");
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("could not start `{text}`"))?;
    if !status.success() {
        bail!("`{text}` failed ({status}) after {:.0?}", started.elapsed());
    }
    Ok(())
}

/// Runs `command` quietly and returns its stdout; a failure carries both
/// streams (some tools, helm among them, report problems on stdout).
pub fn output(command: &mut Command) -> anyhow::Result<String> {
    let text = describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said: Vec<&str> = [stdout.trim(), stderr.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        bail!("`{text}` failed ({}): {}", output.status, said.join("\n"));
    }
    Ok(stdout)
}

/// Whether `program` is on PATH.
pub fn which(program: impl AsRef<OsStr>) -> Option<PathBuf> {
    let program = program.as_ref();
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}
