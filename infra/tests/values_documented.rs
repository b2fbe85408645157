//! Every chart value has a row in the "Helm values" table of
//! `docs/configuration.md`, and every row names a value that exists, so
//! the configuration reference cannot fall behind the chart.

use std::path::Path;

/// Dotted paths of the leaves of a values tree: scalars, empty maps and
/// lists (e.g. `backend.resources.limits.cpu`, `commonLabels`).
fn value_paths(value: &serde_json::Value, prefix: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                value_paths(child, &path, found);
            }
        }
        _ => found.push(prefix.to_owned()),
    }
}

/// The first cell of each row of the "Helm values" table.
fn documented_values(markdown: &str) -> Vec<String> {
    let section = markdown.split("\n## Helm values").nth(1).unwrap_or("");
    let section = section.split("\n## ").next().unwrap_or("");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(path, _)| path.to_owned()))
        .collect()
}

/// Which chart values the table misses, and which rows name no value.
fn values_table_gaps(
    values: &serde_json::Value,
    documented: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut paths = Vec::new();
    value_paths(values, "", &mut paths);
    // A row may document a whole map (a label selector) by its own path.
    let covered = |path: &str| {
        documented
            .iter()
            .any(|d| path == d || path.starts_with(&format!("{d}.")))
    };
    let missing = paths.iter().filter(|p| !covered(p)).cloned().collect();
    let stale = documented
        .iter()
        .filter(|d| {
            !paths
                .iter()
                .any(|p| p == *d || p.starts_with(&format!("{d}.")))
        })
        .cloned()
        .collect();
    (missing, stale)
}

#[test]
fn every_chart_value_is_in_the_configuration_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let values: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join("helm/todo/values.yaml")).unwrap(),
    )
    .unwrap();
    let documented =
        documented_values(&std::fs::read_to_string(root.join("docs/configuration.md")).unwrap());
    let (missing, stale) = values_table_gaps(&values, &documented);
    assert!(
        missing.is_empty(),
        "docs/configuration.md (Helm values) lacks: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/configuration.md (Helm values) names values that do not exist: {stale:?}"
    );
}

#[test]
fn the_values_table_check_finds_missing_and_stale_rows() {
    let values = serde_json::json!({
        "backend": {"replicaCount": 1, "resources": {"limits": {"cpu": "1"}}},
        "commonLabels": {},
        "selector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}
    });
    let markdown = "# Config\n\n| `ENV` | x |\n\n## Helm values\n\n| value | default |\n|---|---|\n\
                    | `backend.replicaCount` | `1` |\n| `selector` | … |\n| `backend.gone` | `x` |\n\n## Next\n\n| `commonLabels` | |\n";
    let documented = documented_values(markdown);
    assert_eq!(
        documented,
        ["backend.replicaCount", "selector", "backend.gone"]
    );
    let (missing, stale) = values_table_gaps(&values, &documented);
    assert_eq!(missing, ["backend.resources.limits.cpu", "commonLabels"]);
    assert_eq!(stale, ["backend.gone"]);
}
