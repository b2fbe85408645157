//! The deployment's secrets. The cluster's Secret is the source of truth:
//! the bundled database's volume was initialised with its password, so a
//! deploy from a second checkout (or after `.local/` was deleted) must reuse
//! it, never generate a new one. A local file (git-ignored, mode 600) keeps
//! a copy and is where a user adds keys such as `assistant-api-key`. Values
//! are generated only when neither has them and no database volume exists.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use base64::Engine;
use serde::Deserialize;

/// The keys the chart reads from `secrets.existingSecret`.
pub const KEYS: [&str; 2] = ["jwt-secret", "postgres-password"];

/// Where a release's secrets are kept: `.local/deploy/<cluster>/<release>.env`.
pub fn default_path(cluster: &str, release: &str) -> PathBuf {
    crate::support::process::project_root()
        .join(".local/deploy")
        .join(cluster.replace(['/', ':'], "_"))
        .join(format!("{release}.env"))
}

/// Secret values. `Debug` shows the keys only, so a printed plan or a
/// failed assertion never shows a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<String, String>);

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Values {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Every key of [`KEYS`] is present and usable.
    fn check(self) -> anyhow::Result<Self> {
        for key in KEYS {
            if self.get(key).is_none_or(str::is_empty) {
                bail!("missing {key}");
            }
        }
        if self.0["jwt-secret"].len() < 32 {
            bail!("jwt-secret must be at least 32 characters");
        }
        Ok(self)
    }

    /// Random values for a first deploy.
    pub fn generate() -> anyhow::Result<Self> {
        Ok(Self(BTreeMap::from([
            ("jwt-secret".to_owned(), random_hex(32)?),
            ("postgres-password".to_owned(), random_hex(24)?),
        ])))
    }

    fn file_text(&self) -> String {
        let mut text = String::from(
            "# Secrets of this deployment; `cargo xtask deploy` reuses them. Keep private.\n",
        );
        for (key, value) in &self.0 {
            text.push_str(&format!("{key}={value}\n"));
        }
        text
    }

    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buffer))
        .context("could not read /dev/urandom")?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `values` to a new file (mode 600); refuses to overwrite one.
pub fn write_new(path: &Path, values: &Values) -> anyhow::Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; refusing to replace its secrets",
            path.display()
        );
    }
    std::fs::create_dir_all(path.parent().context("the path has a parent")?)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options
        .open(path)?
        .write_all(values.file_text().as_bytes())?;
    Ok(())
}

/// Reads `key=value` lines; every key of [`KEYS`] must be present.
pub fn read(path: &Path) -> anyhow::Result<Values> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<Values> {
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
    Values(values).check()
}

/// The two fields of a Secret that hold its values.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretData {
    kind: String,
    /// Base64, as the API server returns it.
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default)]
    string_data: BTreeMap<String, String>,
}

/// The values of a Secret as `kubectl get secret -o json` prints it.
pub fn from_secret_json(json: &str) -> anyhow::Result<Values> {
    let secret: SecretData = serde_json::from_str(json).context("not a Secret")?;
    if secret.kind != "Secret" {
        bail!("not a Secret but a {}", secret.kind);
    }
    let mut values = BTreeMap::new();
    for (key, encoded) in secret.data {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .with_context(|| format!("key {key} is not base64"))?;
        let value =
            String::from_utf8(bytes).with_context(|| format!("key {key} is not UTF-8 text"))?;
        values.insert(key, value);
    }
    values.extend(secret.string_data);
    Values(values).check()
}

/// What the cluster and this checkout hold, read before planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The release's Secret in the cluster, when it exists.
    pub cluster: Option<Values>,
    /// The local file, when it exists.
    pub local: Option<Values>,
    /// The bundled database's PersistentVolumeClaim, when it exists.
    pub database_claim: Option<String>,
}

impl Facts {
    /// Asks the cluster for the Secret and the database claim, and reads
    /// the local file. A cluster that cannot be asked is an error: guessing
    /// "no Secret" would generate a password the volume does not know.
    pub fn probe(
        context: &str,
        namespace: &str,
        secret: &str,
        claim: Option<&str>,
        local_path: &Path,
    ) -> anyhow::Result<Self> {
        let get = |kind: &str, name: &str| -> anyhow::Result<Option<String>> {
            let out = Command::new("kubectl")
                .args(["--context", context, "-n", namespace, "get", kind, name])
                .args(["--ignore-not-found", "-o", "json"])
                .output()
                .context("could not run kubectl")?;
            if !out.status.success() {
                bail!(
                    "kubectl could not read {kind} {namespace}/{name}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            Ok((!text.is_empty()).then_some(text))
        };
        let cluster = get("secret", secret)?
            .map(|json| from_secret_json(&json))
            .transpose()
            .with_context(|| format!("the Secret {namespace}/{secret} in the cluster"))?;
        let database_claim = match claim {
            Some(claim) => get("pvc", claim)?.map(|_| claim.to_owned()),
            None => None,
        };
        let local = local_path.exists().then(|| read(local_path)).transpose()?;
        Ok(Self {
            cluster,
            local,
            database_claim,
        })
    }
}

/// Where the values a deploy applies come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The release's Secret, already in the cluster.
    Cluster,
    /// The local file (the cluster has no Secret yet).
    LocalFile,
    /// Generated now: a first deploy.
    Generated,
}

/// The secrets decision of one deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub origin: Origin,
    /// What the Secret will hold.
    pub values: Values,
    /// The local file is missing: write these values to it.
    pub write_local: bool,
    /// What the user should know (kept values, keys taken from the file).
    pub notes: Vec<String>,
}

/// Decides which values the Secret gets. The cluster's core keys always
/// win; keys only the local file has (an `assistant-api-key` added there)
/// are added to them.
pub fn resolve(
    facts: &Facts,
    generated: &Values,
    local_path: &Path,
    secret: &str,
    namespace: &str,
) -> Result<Resolution, String> {
    let file = local_path.display();
    match (&facts.cluster, &facts.local) {
        (Some(cluster), local) => {
            let mut values = cluster.clone();
            let mut notes = Vec::new();
            for (key, value) in local.iter().flat_map(|l| l.0.iter()) {
                let in_cluster = cluster.get(key);
                if KEYS.contains(&key.as_str()) {
                    if in_cluster != Some(value.as_str()) {
                        notes.push(format!(
                            "{file} has another {key} than the Secret {namespace}/{secret}; the cluster's is kept \
                             (the running release and the database use it). To change it on purpose, see \
                             docs/quickstart.md#secrets"
                        ));
                    }
                } else if in_cluster != Some(value.as_str()) {
                    notes.push(format!("{key} from {file}"));
                    values.0.insert(key.clone(), value.clone());
                }
            }
            Ok(Resolution {
                origin: Origin::Cluster,
                values,
                write_local: local.is_none(),
                notes,
            })
        }
        (None, Some(local)) => Ok(Resolution {
            origin: Origin::LocalFile,
            values: local.clone(),
            write_local: false,
            notes: Vec::new(),
        }),
        (None, None) => match &facts.database_claim {
            Some(claim) => Err(format!(
                "the database volume {namespace}/{claim} exists, but neither the Secret {namespace}/{secret} \
                 nor {file} holds the password it was initialised with, and a new one would lock the backend out.\n\
                 Either restore {file} (from the checkout that deployed it) and deploy again,\n\
                 or, to start over with an EMPTY database: kubectl -n {namespace} delete pvc {claim}"
            )),
            None => Ok(Resolution {
                origin: Origin::Generated,
                values: generated.clone(),
                write_local: true,
                notes: Vec::new(),
            }),
        },
    }
}

/// The Namespace and Secret as a JSON manifest for `kubectl apply -f -`.
pub fn manifest(namespace: &str, name: &str, values: &Values) -> String {
    let labels = serde_json::json!({"app.kubernetes.io/managed-by": "cargo-xtask-deploy", "app.kubernetes.io/part-of": "todo"});
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "stringData": values.0,
            },
        ],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "0123456789abcdef0123456789abcdef";

    fn values(password: &str) -> Values {
        Values::of(&[("jwt-secret", JWT), ("postgres-password", password)])
    }

    fn decide(facts: &Facts) -> Result<Resolution, String> {
        resolve(
            facts,
            &values("generated"),
            Path::new(".local/deploy/minikube/todo.env"),
            "todo-deploy-secrets",
            "todo",
        )
    }

    #[test]
    fn a_fresh_cluster_gets_generated_values_written_locally() {
        let resolution = decide(&Facts::default()).unwrap();
        assert_eq!(resolution.origin, Origin::Generated);
        assert_eq!(
            resolution.values.get("postgres-password"),
            Some("generated")
        );
        assert!(resolution.write_local);
    }

    #[test]
    fn an_existing_secret_wins_over_the_local_file_and_a_fresh_checkout() {
        // A second checkout: no local file, the cluster has the Secret.
        let fresh_checkout = Facts {
            cluster: Some(values("in-cluster")),
            local: None,
            database_claim: Some("data-todo-postgresql-0".into()),
        };
        let resolution = decide(&fresh_checkout).unwrap();
        assert_eq!(resolution.origin, Origin::Cluster);
        assert_eq!(resolution.values, values("in-cluster"));
        assert!(resolution.write_local, "the checkout gets a copy");
        assert!(resolution.notes.is_empty());

        // A local file with another password never rotates the cluster's.
        let mut local = values("stale-local");
        local
            .0
            .insert("assistant-api-key".into(), "sk-local".into());
        let diverged = Facts {
            local: Some(local),
            ..fresh_checkout
        };
        let resolution = decide(&diverged).unwrap();
        assert_eq!(
            resolution.values.get("postgres-password"),
            Some("in-cluster")
        );
        assert!(!resolution.write_local, "the user's file is left alone");
        // Keys only the file has are added: that is how an API key is set.
        assert_eq!(resolution.values.get("assistant-api-key"), Some("sk-local"));
        assert_eq!(
            resolution.notes[0],
            "assistant-api-key from .local/deploy/minikube/todo.env"
        );
        assert!(resolution.notes[1].contains("another postgres-password"));
        assert!(resolution.notes[1].contains("the cluster's is kept"));
        assert_eq!(
            resolution.notes.len(),
            2,
            "the equal jwt-secret is not noted"
        );
    }

    #[test]
    fn the_local_file_alone_is_applied() {
        let resolution = decide(&Facts {
            local: Some(values("local")),
            ..Facts::default()
        })
        .unwrap();
        assert_eq!(resolution.origin, Origin::LocalFile);
        assert_eq!(resolution.values, values("local"));
        assert!(!resolution.write_local);
    }

    #[test]
    fn a_volume_without_its_password_is_refused_not_rotated() {
        let error = decide(&Facts {
            database_claim: Some("data-todo-postgresql-0".into()),
            ..Facts::default()
        })
        .unwrap_err();
        assert!(error.contains("data-todo-postgresql-0 exists"));
        assert!(error.contains("restore .local/deploy/minikube/todo.env"));
        assert!(error.contains("kubectl -n todo delete pvc data-todo-postgresql-0"));
    }

    #[test]
    fn a_secret_from_kubectl_is_decoded_and_checked() {
        // As `kubectl get secret -o json` prints it (base64 data).
        let json = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"todo-deploy-secrets"},
            "data":{"jwt-secret":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","postgres-password":"aHVudGVyMg=="}}"#;
        assert_eq!(from_secret_json(json).unwrap(), values("hunter2"));
        let incomplete = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"data":{"postgres-password":"aHVudGVyMg=="}}"#;
        assert!(
            from_secret_json(incomplete)
                .unwrap_err()
                .to_string()
                .contains("missing jwt-secret")
        );
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let shown = format!("{:?}", values("hunter2"));
        assert_eq!(shown, r#"{"jwt-secret", "postgres-password"}"#);
    }

    #[test]
    fn written_secrets_are_private_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("xtask-secrets-{}", std::process::id()));
        let path = dir.join("todo.env");
        let first = Values::generate().unwrap();
        write_new(&path, &first).unwrap();
        assert_eq!(read(&path).unwrap(), first);
        assert_eq!(first.get("jwt-secret").unwrap().len(), 64);
        assert!(
            write_new(&path, &Values::generate().unwrap()).is_err(),
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
        assert_ne!(Values::generate().unwrap(), first);
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
        let json: serde_json::Value =
            serde_json::from_str(&manifest("todo", "todo-secrets", &values("pw"))).unwrap();
        assert_eq!(json["items"][1]["metadata"]["namespace"], "todo");
        assert_eq!(json["items"][1]["stringData"]["postgres-password"], "pw");
    }
}
