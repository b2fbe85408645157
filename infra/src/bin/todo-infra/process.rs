//! Running the tools the checks use (helm, the validators, docker): quiet,
//! and a failure says what ran, with what it printed.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `command` and returns its stdout; a failure carries both streams
/// (helm, among others, reports problems on stdout).
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
