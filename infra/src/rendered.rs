//! The chart check's typed step on one rendered case: the `helm
//! template` output parsed into typed objects (unknown fields rejected),
//! then the policy, with the Secrets the case's values file says exist
//! outside the release and the probe ports of the chart's values.

use std::collections::BTreeSet;

use crate::custom_resources::Crds;
use crate::manifest::{CustomObject, Manifest, parse_stream_with_custom};
use crate::policy::{self, ContainerPorts, Expectations, PolicyOptions};

/// What the check of one case found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    pub objects: usize,
    /// The kinds rendered, sorted.
    pub kinds: Vec<String>,
    pub checks: usize,
    /// The policy's report when it found violations.
    pub violations: Option<String>,
}

/// Checks `rendered` in `namespace`. `case_values` is the values file the
/// case was rendered with, if any; `chart_values` the chart's values.yaml.
pub fn check(
    rendered: &str,
    case_values: Option<&str>,
    chart_values: &str,
    namespace: &str,
) -> Result<CaseReport, String> {
    // Custom resources are checked against their CRDs by the caller; here
    // only what they imply for the typed objects counts.
    // Loaded once: the CRDs are large and every case needs the same.
    static CRDS: std::sync::OnceLock<Result<Crds, String>> = std::sync::OnceLock::new();
    let crds = CRDS
        .get_or_init(|| Crds::chart().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)?;
    let (documents, customs) =
        parse_stream_with_custom(rendered, |api_version| crds.covers(api_version))
            .map_err(|e| e.to_string())?;
    let objects: Vec<Manifest> = documents.into_iter().map(|d| d.manifest).collect();
    let mut external_secrets = case_values
        .map(existing_secrets)
        .transpose()?
        .unwrap_or_default();
    external_secrets.extend(operator_secrets(&customs));
    let options = PolicyOptions {
        namespace: Some(namespace.to_owned()),
        external_secrets,
        expectations: Expectations::todo_on(ContainerPorts::from_values(chart_values)?),
        operator_pods: operator_pods(&customs),
        custom_objects: customs.clone(),
    };
    let report = policy::check(&objects, &options);
    let kinds: BTreeSet<String> = objects
        .iter()
        .map(|o| o.kind().to_owned())
        .chain(customs.iter().map(|c| c.kind.clone()))
        .collect();
    Ok(CaseReport {
        objects: objects.len() + customs.len(),
        kinds: kinds.into_iter().collect(),
        checks: report.total_checks(),
        violations: (!report.passed()).then(|| report.to_string()),
    })
}

/// Secrets an operator creates for the custom objects rendered: a
/// CloudNativePG Cluster's database owner, `<cluster>-app`.
fn operator_secrets(customs: &[CustomObject]) -> impl Iterator<Item = String> + '_ {
    customs
        .iter()
        .filter(|c| c.api_version.starts_with("postgresql.cnpg.io/") && c.kind == "Cluster")
        .map(|c| format!("{}-app", c.name))
}

/// The labels the operator gives the Pods of the custom objects
/// rendered: a CloudNativePG Cluster's instances carry `cnpg.io/cluster`.
fn operator_pods(customs: &[CustomObject]) -> Vec<std::collections::BTreeMap<String, String>> {
    customs
        .iter()
        .filter(|c| c.api_version.starts_with("postgresql.cnpg.io/") && c.kind == "Cluster")
        .map(|c| [("cnpg.io/cluster".to_owned(), c.name.clone())].into())
        .collect()
}

/// Secrets a values file says exist outside the release.
fn existing_secrets(values_yaml: &str) -> Result<BTreeSet<String>, String> {
    let values: serde_json::Value = serde_saphyr::from_str(values_yaml)
        .map_err(|e| format!("the values file is not valid YAML: {e}"))?;
    Ok([
        "/secrets/existingSecret",
        "/externalDatabase/existingSecret",
        "/backup/s3/existingSecret",
        "/cnpg/backup/existingSecret",
        "/reminders/smtp/existingSecret",
    ]
    .into_iter()
    .filter_map(|pointer| values.pointer(pointer).and_then(serde_json::Value::as_str))
    .filter(|name| !name.is_empty())
    .map(str::to_owned)
    .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &str = "backend: {containerPort: 8080}\nfrontend: {containerPort: 3000}\n";

    #[test]
    fn secrets_named_by_the_values_file_are_external() {
        let values = "secrets: {existingSecret: mine}\nexternalDatabase: {existingSecret: ''}\n";
        assert_eq!(
            existing_secrets(values).unwrap(),
            BTreeSet::from(["mine".to_owned()])
        );
    }

    #[test]
    fn an_unknown_field_is_an_error_not_a_violation() {
        let rendered = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nnoSuchField: 1\n";
        assert!(check(rendered, None, VALUES, "todo").is_err());
    }

    #[test]
    fn a_violation_is_reported_with_the_counts() {
        let rendered =
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: elsewhere}\n";
        let report = check(rendered, None, VALUES, "todo").unwrap();
        assert_eq!(
            (report.objects, report.kinds.as_slice()),
            (1, &["ConfigMap".to_owned()][..])
        );
        assert!(report.checks > 0);
        assert!(report.violations.unwrap().contains("elsewhere"));
    }
}
