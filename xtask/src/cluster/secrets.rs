//! The deployment's secrets live in a local file (git-ignored, mode 600),
//! never in values.yaml: generated once, then reused by every deploy, so a
//! re-deploy never rotates them by accident.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The keys the chart reads from `secrets.existingSecret`.
pub const KEYS: [&str; 2] = ["jwt-secret", "postgres-password"];

/// Where a release's secrets are kept: `.local/deploy/<cluster>/<release>.env`.
pub fn default_path(cluster: &str, release: &str) -> PathBuf {
    crate::support::process::project_root()
        .join(".local/deploy")
        .join(cluster.replace(['/', ':'], "_"))
        .join(format!("{release}.env"))
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buffer))
        .context("could not read /dev/urandom")?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes fresh random values; refuses to overwrite an existing file.
pub fn generate(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; refusing to replace its secrets",
            path.display()
        );
    }
    std::fs::create_dir_all(path.parent().context("the path has a parent")?)?;
    let text = format!(
        "# Secrets of this deployment; `cargo xtask deploy` reuses them. Keep private.\njwt-secret={}\npostgres-password={}\n",
        random_hex(32)?,
        random_hex(24)?
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options.open(path)?.write_all(text.as_bytes())?;
    Ok(())
}

/// Reads `key=value` lines; every key of [`KEYS`] must be present.
pub fn read(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (key, value) = line
            .split_once('=')
            .with_context(|| format!("line {line:?} is not key=value"))?;
        values.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    for key in KEYS {
        if values.get(key).is_none_or(|v| v.is_empty()) {
            bail!("missing {key}");
        }
    }
    if values["jwt-secret"].len() < 32 {
        bail!("jwt-secret must be at least 32 characters");
    }
    Ok(values)
}

/// The Namespace and Secret as a JSON manifest for `kubectl apply -f -`.
pub fn manifest(namespace: &str, name: &str, values: &BTreeMap<String, String>) -> String {
    let labels = serde_json::json!({"app.kubernetes.io/managed-by": "cargo-xtask-deploy", "app.kubernetes.io/part-of": "todo"});
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "stringData": values,
            },
        ],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_random_private_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("xtask-secrets-{}", std::process::id()));
        let path = dir.join("todo.env");
        generate(&path).unwrap();
        let first = read(&path).unwrap();
        assert_eq!(first["jwt-secret"].len(), 64);
        assert!(
            generate(&path).is_err(),
            "an existing file is never replaced"
        );
        assert_eq!(read(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let other = dir.join("other.env");
        generate(&other).unwrap();
        assert_ne!(read(&other).unwrap()["jwt-secret"], first["jwt-secret"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn incomplete_files_are_refused() {
        assert!(parse("jwt-secret=x").is_err());
        assert!(parse("jwt-secret=short\npostgres-password=p").is_err());
        assert!(
            parse(&format!(
                "jwt-secret={}\npostgres-password=p",
                "s".repeat(32)
            ))
            .is_ok()
        );
    }

    #[test]
    fn the_manifest_carries_both_keys_in_the_namespace() {
        let values = parse(&format!(
            "jwt-secret={}\npostgres-password=pw",
            "s".repeat(40)
        ))
        .unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&manifest("todo", "todo-secrets", &values)).unwrap();
        assert_eq!(json["items"][1]["metadata"]["namespace"], "todo");
        assert_eq!(json["items"][1]["stringData"]["postgres-password"], "pw");
    }
}
