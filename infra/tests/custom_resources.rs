//! The CloudNativePG objects the chart renders with `database.mode: cnpg`,
//! written out by hand, against the operator's embedded CRDs: they must be
//! valid as they are, and each single mistake must be caught at its path.

use serde_json::Value;
use todo_infra::custom_resources::{CLOUDNATIVE_PG, Crds, Validation};

const CLUSTER: &str = "\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: todo-db
  namespace: todo
  labels:
    app.kubernetes.io/name: todo
    app.kubernetes.io/instance: todo
    app.kubernetes.io/component: database
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: todo-0.1.0
spec:
  instances: 3
  bootstrap:
    initdb:
      database: todo
      owner: todo
  storage:
    size: 1Gi
    storageClass: standard
  monitoring:
    enablePodMonitor: true
  backup:
    retentionPolicy: 30d
    barmanObjectStore:
      destinationPath: s3://bucket/path
      endpointURL: https://s3.example.com
      s3Credentials:
        accessKeyId:
          name: todo-backup
          key: ACCESS_KEY_ID
        secretAccessKey:
          name: todo-backup
          key: ACCESS_SECRET_KEY
      wal:
        compression: gzip
  resources:
    requests:
      cpu: 100m
      memory: 256Mi
    limits:
      cpu: 1
      memory: 512Mi
  affinity:
    enablePodAntiAffinity: true
";

const SCHEDULED_BACKUP: &str = "\
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: todo-db-daily
  namespace: todo
spec:
  schedule: '0 0 3 * * *'
  cluster:
    name: todo-db
  backupOwnerReference: self
  method: barmanObjectStore
";

fn crds() -> Crds {
    Crds::cloudnative_pg().unwrap_or_else(|e| panic!("the embedded CRDs do not load: {e}"))
}

fn validate(crds: &Crds, text: &str) -> Validation {
    let object: Value = serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    crds.validate(&object)
        .expect("postgresql.cnpg.io is covered by the embedded CRDs")
}

fn errors(crds: &Crds, text: &str) -> Vec<String> {
    validate(crds, text)
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Replaces `from` in `text`, which must occur exactly once.
fn mutate(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} is not unique");
    text.replacen(from, to, 1)
}

#[test]
fn the_crds_are_cloudnative_pgs_recorded_release() {
    let crds = crds();
    assert_eq!(crds.origins(), [CLOUDNATIVE_PG.origin()]);
    assert_eq!(
        crds.origin("postgresql.cnpg.io/v1")
            .map(ToString::to_string),
        Some("CloudNativePG 1.30.0 (4b5e244a7d03)".to_owned())
    );
}

#[test]
fn the_cluster_the_chart_renders_is_valid() {
    let crds = crds();
    let validation = validate(&crds, CLUSTER);
    assert!(validation.is_valid(), "{validation}");
    assert_eq!(
        (validation.kind.as_str(), validation.name.as_str()),
        ("Cluster", "todo-db")
    );
    // At least the spec's imageName/imageCatalogRef rule and initdb's
    // locale rules would have run on the API server.
    assert!(validation.cel_rules_skipped >= 4, "{validation}");
}

#[test]
fn the_scheduled_backup_the_chart_renders_is_valid() {
    let validation = validate(&crds(), SCHEDULED_BACKUP);
    assert!(validation.is_valid(), "{validation}");
    assert_eq!(validation.cel_rules_skipped, 1, "{validation}");
}

#[test]
fn one_mistake_in_the_cluster_fails_at_its_path() {
    let crds = crds();
    for (from, to, expected) in [
        (
            "  instances: 3\n",
            "  instances: \"3\"\n",
            "spec.instances: expected integer, got string",
        ),
        (
            "    size: 1Gi\n",
            "    size: 1\n",
            "spec.storage.size: expected string, got integer",
        ),
        (
            "    retentionPolicy: 30d\n",
            "    retentionPolicy: 30 days\n",
            "spec.backup.retentionPolicy: \"30 days\" does not match the pattern ^[1-9][0-9]*[dwm]$",
        ),
        (
            "        compression: gzip\n",
            "        compression: gz\n",
            "spec.backup.barmanObjectStore.wal.compression: unsupported value \"gz\": expected one of \"bzip2\", \"gzip\", \"lz4\", \"snappy\", \"xz\", \"zstd\"",
        ),
        (
            "          key: ACCESS_SECRET_KEY\n",
            "",
            "spec.backup.barmanObjectStore.s3Credentials.secretAccessKey.key: required field missing",
        ),
        (
            "      destinationPath: s3://bucket/path\n",
            "",
            "spec.backup.barmanObjectStore.destinationPath: required field missing",
        ),
        (
            "    enablePodAntiAffinity: true\n",
            "    enablePodAntiAffinity: yes please\n",
            "spec.affinity.enablePodAntiAffinity: expected boolean, got string",
        ),
        (
            "      memory: 512Mi\n",
            "      memory: 512 MB\n",
            "spec.resources.limits[memory]: \"512 MB\" does not match the pattern",
        ),
        (
            "      owner: todo\n",
            "      owner: todo\n      ownr: todo\n",
            "spec.bootstrap.initdb.ownr: unknown field",
        ),
        (
            "    storageClass: standard\n",
            "    storageClassName: standard\n",
            "spec.storage.storageClassName: unknown field",
        ),
    ] {
        let found = errors(&crds, &mutate(CLUSTER, from, to));
        assert_eq!(found.len(), 1, "{from:?} → {to:?}: {found:?}");
        assert!(
            found[0].starts_with(expected),
            "{from:?} → {to:?}: expected {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn one_mistake_in_the_scheduled_backup_fails_at_its_path() {
    let crds = crds();
    for (from, to, expected) in [
        (
            "  backupOwnerReference: self\n",
            "  backupOwnerReference: owner\n",
            "spec.backupOwnerReference: unsupported value \"owner\"",
        ),
        (
            "  method: barmanObjectStore\n",
            "  method: barman\n",
            "spec.method: unsupported value \"barman\"",
        ),
        (
            "  cluster:\n    name: todo-db\n",
            "  cluster: todo-db\n",
            "spec.cluster: expected object, got string",
        ),
        (
            "  schedule: '0 0 3 * * *'\n",
            "",
            "spec.schedule: required field missing",
        ),
    ] {
        let found = errors(&crds, &mutate(SCHEDULED_BACKUP, from, to));
        assert_eq!(found.len(), 1, "{from:?} → {to:?}: {found:?}");
        assert!(
            found[0].starts_with(expected),
            "{from:?} → {to:?}: expected {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn a_rendered_stream_is_validated_object_by_object() {
    let stream = format!(
        "---\n# Source: todo/templates/cnpg-cluster.yaml\n{CLUSTER}---\n# Source: todo/templates/cnpg-scheduledbackup.yaml\n{SCHEDULED_BACKUP}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: todo}}\n"
    );
    let report = crds().validate_stream(&stream).unwrap();
    assert_eq!((report.validated, report.invalid.len()), (2, 0), "{report}");
    assert!(report.cel_rules_skipped >= 5, "{report}");
}
