//! Running programs: each echoed or quiet, and a failure says what ran.
//! (The same few helpers as xtask's `support::process`: this crate is run
//! by xtask as a process and shares no code with it.)

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The workspace root (where the top-level Cargo.toml is).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives one level below the root")
        .to_path_buf()
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `command` with its output on stderr (stdout is this binary's
/// answer to xtask); an error names it and its status.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let text = describe(command);
    eprintln!("$ {text}");
    let status = command
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("could not start `{text}`"))?;
    if !status.success() {
        bail!("`{text}` failed ({status})");
    }
    Ok(())
}

/// Runs `command` quietly and returns its stdout; a failure carries both
/// streams.
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
