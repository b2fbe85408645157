//! `cargo xtask lint`: rustfmt and clippy, warnings denied, then
//! cargo-deny on the dependency graph (licences, bans, sources; deny.toml).

use std::process::Command;

use clap::Args;

use crate::support::process::{cargo, project_root, run};
use crate::support::tools;

/// What cargo-deny checks. Not `advisories`: its database is a git
/// repository on GitHub, which our machines cannot reach (deny.toml).
pub const DENY_CHECKS: [&str; 3] = ["licenses", "bans", "sources"];

/// Formatting, lints and the dependency policy, as CI enforces them.
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
        ]))?;
        let deny = tools::CARGO_DENY.ensure()?;
        run(&mut deny_command(&deny))
    }
}

/// `cargo-deny check …` on the workspace's manifest and deny.toml (which
/// also says which platforms and features make the graph). Run as cargo's
/// subcommand binary directly, so no cargo-deny on PATH is needed;
/// `--locked` as the image build is. Without inclusion graphs: with them
/// the duplicate-version warnings alone run to thousands of lines;
/// `cargo tree -i <crate>` says who pulls a crate in.
fn deny_command(deny: &std::path::Path) -> Command {
    let mut command = Command::new(deny);
    command
        .current_dir(project_root())
        .arg("deny")
        .arg("--locked")
        .arg("--manifest-path")
        .arg(project_root().join("Cargo.toml"))
        .arg("--config")
        .arg(project_root().join("deny.toml"))
        .args(["check", "--hide-inclusion-graph"])
        .args(DENY_CHECKS);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_deny_checks_the_policy_but_not_advisories() {
        let command = deny_command(std::path::Path::new("cargo-deny"));
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[0], "deny", "run as cargo's subcommand: {args:?}");
        let check = args.iter().position(|a| a == "check").unwrap();
        assert!(args[check..].ends_with(&DENY_CHECKS.map(String::from)));
        assert!(!args.iter().any(|a| a == "advisories"));
    }
}
