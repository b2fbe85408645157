//! Facts about the workspace itself: where it is, where cargo builds, and
//! the version every artefact (crates, images, chart) carries.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The workspace root (where the top-level Cargo.toml is).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` (relative to the
/// workspace root when relative), else `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => project_root().join(dir),
        None => project_root().join("target"),
    }
}

/// `version` under `[workspace.package]` of the root Cargo.toml.
pub fn version() -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(project_root().join("Cargo.toml"))?;
    version_in(&manifest).context("Cargo.toml has no `version = \"...\"` under [workspace.package]")
}

fn version_in(manifest: &str) -> Option<String> {
    let mut in_section = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
            continue;
        }
        if in_section
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "version"
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::version_in;

    #[test]
    fn the_workspace_version_is_read_from_its_section() {
        let manifest = "[package]\nversion = \"9.9.9\"\n[workspace.package]\nedition = \"2024\"\nversion = \"0.1.0\"\n";
        assert_eq!(version_in(manifest).as_deref(), Some("0.1.0"));
    }

    #[test]
    fn no_workspace_version_is_none() {
        assert_eq!(version_in("[package]\nversion = \"1.0.0\"\n"), None);
    }
}
