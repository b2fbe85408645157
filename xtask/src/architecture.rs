//! The invariants ARCHITECTURE.md states, checked by tests rather than by
//! memory: which crate may depend on which, where SQL may live, and that
//! every configuration variable the code reads is documented.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::process::{cargo, output, project_root};

/// Workspace crate → its normal (non-dev) dependencies that are workspace crates.
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let text = output(cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]))
    .or_else(|_| output(cargo().args(["metadata", "--format-version", "1", "--no-deps"])))
    .expect("cargo metadata runs");
    let metadata: serde_json::Value = serde_json::from_str(&text).expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let members: Vec<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    packages
        .iter()
        .map(|package| {
            let deps = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .filter(|name| members.contains(name) || name == "sqlx")
                .collect();
            (package["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let deps = workspace_dependencies();
    let allowed: &[(&str, &[&str])] = &[
        ("todo-api", &[]),
        ("todo-service", &[]),
        ("todo-backend", &["todo-api", "todo-service", "sqlx"]),
        ("todo-frontend", &["todo-api", "todo-service"]),
        ("todo-infra", &[]),
        ("xtask", &["todo-api", "todo-infra"]),
    ];
    for (krate, found) in &deps {
        let permitted = allowed
            .iter()
            .find(|(name, _)| name == krate)
            .map(|(_, permitted)| *permitted)
            .unwrap_or_else(|| {
                panic!("{krate} is not listed in ARCHITECTURE.md's dependency rules")
            });
        for dep in found {
            assert!(
                permitted.contains(&dep.as_str()),
                "{krate} must not depend on {dep} (ARCHITECTURE.md: frontend → api, service ← backend; xtask → infra, api)"
            );
        }
    }
}

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn only_the_store_module_speaks_sql() {
    let src = project_root().join("backend/src");
    let store = src.join("store");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files.iter().filter(|f| !f.starts_with(&store)) {
        let text = std::fs::read_to_string(file).unwrap();
        for needle in [
            "sqlx::query",
            "QueryBuilder",
            "SELECT ",
            "INSERT INTO",
            "DELETE FROM",
        ] {
            assert!(
                !text.contains(needle),
                "{} contains `{needle}`: SQL belongs in backend/src/store",
                file.display()
            );
        }
    }
}

/// Every `"UPPER_CASE"` string literal in a config module that is read as a
/// variable must appear in docs/configuration.md.
#[test]
fn every_configuration_variable_is_documented() {
    let docs = std::fs::read_to_string(project_root().join("docs/configuration.md")).unwrap();
    let mut checked = 0;
    for config in ["backend/src/config.rs", "frontend/src/config.rs"] {
        let Ok(text) = std::fs::read_to_string(project_root().join(config)) else {
            continue;
        };
        let code = text.split("#[cfg(test)]").next().unwrap();
        for literal in code.split('"').skip(1).step_by(2) {
            let is_variable = literal.len() > 3
                && literal.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && (literal.contains('_') || literal == "PORT");
            if is_variable {
                checked += 1;
                assert!(
                    docs.contains(&format!("`{literal}`")),
                    "{config} reads {literal}, which docs/configuration.md does not document"
                );
            }
        }
    }
    assert!(
        checked >= 10,
        "found only {checked} variables: is the scan still right?"
    );
}

#[test]
fn the_ci_script_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let ci = std::fs::read_to_string(project_root().join(".ci/run")).unwrap();
    let command = "cargo xtask test";
    assert!(readme.contains(command), "README names the test command");
    assert!(
        ci.lines().any(|line| line.trim() == command),
        ".ci/run runs `{command}`"
    );
    // As a newcomer runs it: nothing prepared that the README does not say.
    for prepared in [
        "export TEST_DATABASE_URL",
        "export DATABASE_URL",
        "TEST_DATABASE_URL=",
    ] {
        assert!(
            !ci.contains(prepared),
            ".ci/run must not prepare `{prepared}` for the README's test command"
        );
    }
    let status = Command::new("bash")
        .arg("-n")
        .arg(project_root().join(".ci/run"))
        .status()
        .unwrap();
    assert!(status.success(), ".ci/run is valid bash");
}
