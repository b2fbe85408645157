//! The `offline/` crate (stand-ins for a registry and a cluster on machines
//! without them) stays in its corner: no workspace crate depends on it, and
//! inside xtask only `offline.rs`, the door that runs its binary, names it,
//! and only the `chart --on-docker` path and `ci` open that door. The one
//! thing both sides share is the label stand-ins are found by.

use std::path::Path;

use super::architecture::{rust_files, workspace_metadata};
use crate::containers::bases::STAND_IN_LABEL;
use crate::support::process::project_root;

const PACKAGE: &str = "todo-offline";

#[test]
fn no_crate_depends_on_the_offline_crate() {
    let metadata = workspace_metadata();
    let packages = metadata["packages"].as_array().expect("packages");
    assert!(
        packages.iter().any(|p| p["name"] == PACKAGE),
        "{PACKAGE} is a workspace member"
    );
    let dependents: Vec<&str> = packages
        .iter()
        .filter(|p| {
            p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| d["name"] == PACKAGE)
        })
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        dependents.is_empty(),
        "{dependents:?} depend on {PACKAGE}: run its binary (xtask/src/offline.rs) instead"
    );
}

/// xtask's source files (outside these tests) whose text contains any of
/// `needles`, relative to `xtask/src`.
fn files_naming(src: &Path, needles: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut naming: Vec<String> = files
        .iter()
        .filter(|file| !file.starts_with(src.join("conventions")))
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            needles.iter().any(|needle| text.contains(needle))
        })
        .map(|file| file.strip_prefix(src).unwrap().display().to_string())
        .collect();
    naming.sort();
    naming
}

#[test]
fn only_chart_on_docker_and_ci_run_the_offline_crate() {
    let src = project_root().join("xtask/src");
    assert_eq!(
        files_naming(&src, &[PACKAGE, "todo_offline"]),
        ["offline.rs"],
        "only the door names the offline crate"
    );
    assert_eq!(
        files_naming(&src, &["offline::"]),
        ["chart/on_docker.rs", "ci.rs"],
        "only `chart --on-docker` and `ci --base local` open the door"
    );
}

#[test]
fn stand_ins_are_labelled_as_the_image_commands_look_them_up() {
    let base_images = project_root().join("offline/src/base_images.rs");
    let text = std::fs::read_to_string(base_images).unwrap();
    assert!(text.contains(&format!("const STAND_IN_LABEL: &str = {STAND_IN_LABEL:?};")));
}
