//! Plain manifests (`infra/k8s/`) for people who deploy without Helm,
//! written from the same typed objects the policy checked.

use std::path::Path;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::manifest::{Manifest, parse_stream};

/// Labels that describe Helm's bookkeeping, which plain manifests do not have.
const HELM_ONLY_LABELS: &[&str] = &["helm.sh/chart"];
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// Renders `objects` as one multi-document YAML file for `kubectl apply -f`:
/// Helm hooks (test Pods) are left out, and the labels say the objects are
/// managed by kubectl rather than Helm. `header` is written as a comment
/// at the top (how the file was made).
pub fn render(objects: &[Manifest], header: &str) -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for object in objects.iter().filter(|o| o.hook().is_none()) {
        let mut object = object.clone();
        for meta in metadata_mut(&mut object) {
            relabel(meta);
        }
        out.push_str("---\n");
        out.push_str(&object.to_yaml()?);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// Renders the plain manifests of the `helm template` output `rendered`
/// and compares them with the file at `path` (relative to the current
/// directory), or writes them there with `write`. Ok with what was done;
/// Err when the file is out of date.
pub fn sync(rendered: &str, header: &str, path: &Path, write: bool) -> Result<String, String> {
    let objects: Vec<Manifest> = parse_stream(rendered)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let text = render(&objects, header).map_err(|e| e.to_string())?;
    let shown = path.display();
    if write {
        std::fs::write(path, &text).map_err(|e| format!("cannot write {shown}: {e}"))?;
        return Ok(format!(
            "wrote {shown} ({} objects)",
            text.matches("\n---\n").count()
        ));
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current != text {
        let line = current
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(text.lines().count()))
            + 1;
        return Err(format!(
            "{shown} is out of date with the chart (first difference at line {line}); run `cargo xtask chart --write` and commit it"
        ));
    }
    Ok(format!("{shown} matches the chart"))
}

fn relabel(meta: &mut ObjectMeta) {
    if let Some(labels) = meta.labels.as_mut() {
        for label in HELM_ONLY_LABELS {
            labels.remove(*label);
        }
        if let Some(value) = labels.get_mut(MANAGED_BY) {
            "kubectl".clone_into(value);
        }
    }
}

/// The object's own metadata and that of the Pods and claims it creates.
fn metadata_mut(object: &mut Manifest) -> Vec<&mut ObjectMeta> {
    match object {
        Manifest::Deployment(d) => {
            let spec = d.spec.as_mut();
            let mut metas = vec![&mut d.metadata];
            if let Some(meta) = spec.and_then(|s| s.template.metadata.as_mut()) {
                metas.push(meta);
            }
            metas
        }
        Manifest::StatefulSet(s) => {
            let mut metas = vec![&mut s.metadata];
            if let Some(spec) = s.spec.as_mut() {
                metas.extend(spec.template.metadata.as_mut());
                metas.extend(
                    spec.volume_claim_templates
                        .iter_mut()
                        .flatten()
                        .map(|c| &mut c.metadata),
                );
            }
            metas
        }
        other => vec![other.metadata_mut()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_stream;

    const STREAM: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {helm.sh/chart: todo-0.1.0, app.kubernetes.io/managed-by: Helm, app.kubernetes.io/name: todo}
data:
  PORT: \"8080\"
  dashboard.json: |-
    {
      \"title\": \"x\"
    }
---
apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations: {helm.sh/hook: test}
spec:
  containers: [{name: t, image: t:1}]
";

    #[test]
    fn drops_hooks_and_helm_labels_and_reads_back_the_same_objects() {
        let objects: Vec<Manifest> = parse_stream(STREAM)
            .unwrap()
            .into_iter()
            .map(|d| d.manifest)
            .collect();
        let text = render(&objects, "generated\nby a test").unwrap();
        assert!(
            text.starts_with("# generated\n# by a test\n---\n"),
            "{text}"
        );
        assert!(!text.contains("helm.sh/chart"), "{text}");
        assert!(!text.contains("kind: Pod"), "{text}");

        let again: Vec<Manifest> = parse_stream(&text)
            .unwrap()
            .into_iter()
            .map(|d| d.manifest)
            .collect();
        assert_eq!(again.len(), 1);
        let Manifest::ConfigMap(config_map) = &again[0] else {
            panic!("{again:?}")
        };
        let data = config_map.data.as_ref().unwrap();
        assert_eq!(data["PORT"], "8080");
        assert_eq!(data["dashboard.json"], "{\n  \"title\": \"x\"\n}");
        assert_eq!(
            config_map.metadata.labels.as_ref().unwrap()[MANAGED_BY],
            "kubectl"
        );
        // Writing what was read gives the same text: the writer is stable.
        assert_eq!(render(&again, "generated\nby a test").unwrap(), text);
    }
}
