//! The chart check's typed step on one rendered case: the `helm
//! template` output parsed into typed objects (unknown fields rejected),
//! then the policy, with the Secrets the case's values file says exist
//! outside the release and the probe ports of the chart's values.

use std::collections::BTreeSet;

use crate::manifest::{Manifest, parse_stream};
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
    let objects: Vec<Manifest> = parse_stream(rendered)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let options = PolicyOptions {
        namespace: Some(namespace.to_owned()),
        external_secrets: case_values
            .map(existing_secrets)
            .transpose()?
            .unwrap_or_default(),
        expectations: Expectations::todo_on(ContainerPorts::from_values(chart_values)?),
    };
    let report = policy::check(&objects, &options);
    let kinds: BTreeSet<&str> = objects.iter().map(Manifest::kind).collect();
    Ok(CaseReport {
        objects: objects.len(),
        kinds: kinds.into_iter().map(str::to_owned).collect(),
        checks: report.total_checks(),
        violations: (!report.passed()).then(|| report.to_string()),
    })
}

/// Secrets a values file says exist outside the release.
fn existing_secrets(values_yaml: &str) -> Result<BTreeSet<String>, String> {
    let values: serde_json::Value = serde_saphyr::from_str(values_yaml)
        .map_err(|e| format!("the values file is not valid YAML: {e}"))?;
    Ok([
        "/secrets/existingSecret",
        "/externalDatabase/existingSecret",
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
