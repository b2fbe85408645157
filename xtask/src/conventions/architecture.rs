//! The invariants ARCHITECTURE.md states, checked by tests rather than by
//! memory: which crate may depend on which, where SQL may live, and that
//! every configuration variable the code reads is documented.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::support::process::{cargo, output, project_root};

/// `cargo metadata` of the workspace's own packages.
pub(super) fn workspace_metadata() -> serde_json::Value {
    let text = output(cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]))
    .or_else(|_| output(cargo().args(["metadata", "--format-version", "1", "--no-deps"])))
    .expect("cargo metadata runs");
    serde_json::from_str(&text).expect("cargo metadata is JSON")
}

/// Workspace crate → its normal (non-dev) dependencies that are workspace crates.
fn workspace_dependencies() -> BTreeMap<String, Vec<String>> {
    let metadata = workspace_metadata();
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
        ("todo-offline", &["todo-infra"]),
        ("xtask", &["todo-api"]),
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
                "{krate} must not depend on {dep} (ARCHITECTURE.md: frontend → api, service ← backend; xtask → api; offline → infra)"
            );
        }
    }
}

pub(super) fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
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
    for config in [
        "backend/src/config.rs",
        "frontend/src/config.rs",
        "service/src/server.rs",
    ] {
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

/// The library and binary sources of every workspace crate.
fn crate_sources() -> Vec<(String, std::path::PathBuf)> {
    [
        "backend",
        "backend/api",
        "frontend",
        "infra",
        "offline",
        "service",
        "xtask",
    ]
    .iter()
    .map(|krate| (krate.to_string(), project_root().join(krate).join("src")))
    .collect()
}

/// A file's top-level module: `src/store/tasks.rs` → `store`; the crate
/// root (`lib.rs`, `main.rs`) → `None`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// Code before the first `#[cfg(test)]`: tests may reach anywhere.
fn non_test_code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// rust-analyzer's tidy rule: every module says in its first line what it
/// is for.
#[test]
fn every_module_opens_with_a_doc_comment() {
    let mut missing = Vec::new();
    for (_, src) in crate_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.trim_start().starts_with("//!") {
                missing.push(
                    file.strip_prefix(project_root())
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a `//!` first line:\n{}",
        missing.join("\n")
    );
}

/// Top-level modules of a crate form no cycle of `crate::` references:
/// each can be read, and changed, standing on the ones below it.
#[test]
fn no_import_loops_between_modules() {
    for (krate, src) in crate_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut edges: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let Some(from) = top_module(&src, file) else {
                continue;
            };
            let text = std::fs::read_to_string(file).unwrap();
            let code = non_test_code(&text);
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let is_module = src.join(format!("{to}.rs")).is_file() || src.join(&to).is_dir();
                if is_module && to != from {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
            // `use crate::{a, b}` groups.
            for group in code.split("use crate::{").skip(1) {
                let inside = group.split('}').next().unwrap_or("");
                for item in inside.split(',') {
                    let to = item.trim().split("::").next().unwrap_or("").to_owned();
                    let is_module =
                        src.join(format!("{to}.rs")).is_file() || src.join(&to).is_dir();
                    if is_module && to != from {
                        edges.entry(from.clone()).or_default().insert(to);
                    }
                }
            }
        }
        // Depth-first search for a cycle, reporting its path.
        fn visit(
            node: &str,
            edges: &BTreeMap<String, std::collections::BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|n| n == node) {
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_owned());
            for next in edges.get(node).into_iter().flatten() {
                if let Some(cycle) = visit(next, edges, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            done.insert(node.to_owned());
            None
        }
        let mut done = std::collections::BTreeSet::new();
        for node in edges.keys() {
            if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
                panic!("{krate}: modules import each other: {}", cycle.join(" → "));
            }
        }
    }
}

/// The product spec lives outside the repository: code and docs point at
/// the repository's own docs instead.
#[test]
fn nothing_cites_a_document_outside_the_repository() {
    let mut files = Vec::new();
    for dir in [
        "backend", "frontend", "infra", "offline", "service", "xtask", "helm", "docs", "scripts",
    ] {
        collect_text_files(&project_root().join(dir), &mut files);
    }
    for name in ["README.md", "ARCHITECTURE.md", "Cargo.toml"] {
        files.push(project_root().join(name));
    }
    let this_file = project_root().join("xtask/src/conventions/architecture.rs");
    for file in files.iter().filter(|f| **f != this_file) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for needle in ["SPEC §", "SPEC.md", "../shared/"] {
            assert!(
                !text.contains(needle),
                "{} cites `{needle}`, which is not in the repository; point at docs/ instead",
                file.display()
            );
        }
    }
}

fn collect_text_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            collect_text_files(&path, found);
        } else if [
            "rs", "md", "yaml", "yml", "tpl", "toml", "sh", "txt", "json",
        ]
        .iter()
        .any(|ext| name.ends_with(&format!(".{ext}")))
            || name.ends_with("Dockerfile")
        {
            found.push(path);
        }
    }
}
