//! Running commands: echoed before they run, failures say what ran.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

pub use super::workspace::project_root;
use super::workspace::target_dir;

/// The cargo that invoked us, so toolchain overrides are honoured.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root());
    command
}

/// A binary of this workspace (its package names both), built in the
/// dev profile, whose dependencies the test build has already compiled.
/// The crates behind these binaries (k8s-openapi, the emulation) are thus
/// never part of xtask's own build.
#[derive(Debug)]
pub struct WorkspaceBinary(PathBuf);

impl WorkspaceBinary {
    pub fn build(package: &str) -> anyhow::Result<Self> {
        run(cargo().args(["build", "--quiet", "--package", package, "--bin", package]))?;
        Ok(Self(target_dir().join("debug").join(package)))
    }

    /// A command running it from the workspace root.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.0);
        command.current_dir(project_root());
        command
    }
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

/// Whether this process runs as root.
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `<pid>-<nanoseconds since the epoch, hex>`: tells this run's throwaway
/// things (containers, users, directories) apart from any other run's.
pub fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{}-{nanos:x}", std::process::id())
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
