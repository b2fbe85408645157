//! Reading `helm template` output into typed objects.
//!
//! Each document is parsed as YAML, then deserialised into its k8s-openapi
//! type. Those types ignore fields they do not know (serde's
//! `deny_unknown_fields` is not set on them), so the typed object is
//! serialised again and compared with the raw document: any field that did
//! not survive the round trip is reported as unknown. That catches typos
//! such as `readOnlyRootFilesytem` which the API server would drop silently.

use std::fmt;

use k8s_openapi::Resource;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Pod, PodSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::prometheus_rule::PrometheusRule;
use crate::service_monitor::ServiceMonitor;

/// Declares the closed set of kinds the project renders, with one typed
/// variant each. Adding a kind to the chart means adding it here.
macro_rules! manifests {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// One typed Kubernetes object.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Manifest {
            $($variant(Box<$ty>),)*
        }

        impl Manifest {
            /// `(apiVersion, kind)` of every supported type, for error messages.
            pub const SUPPORTED: &'static [(&'static str, &'static str)] =
                &[$((<$ty as Resource>::API_VERSION, <$ty as Resource>::KIND),)*];

            fn from_raw(api_version: &str, kind: &str, raw: Value) -> Option<Result<Self, serde_json::Error>> {
                $(
                    if api_version == <$ty as Resource>::API_VERSION && kind == <$ty as Resource>::KIND {
                        return Some(serde_json::from_value::<$ty>(raw).map(|o| Manifest::$variant(Box::new(o))));
                    }
                )*
                None
            }

            pub fn kind(&self) -> &'static str {
                match self {
                    $(Manifest::$variant(_) => <$ty as Resource>::KIND,)*
                }
            }

            pub fn api_version(&self) -> &'static str {
                match self {
                    $(Manifest::$variant(_) => <$ty as Resource>::API_VERSION,)*
                }
            }

            pub fn metadata(&self) -> &ObjectMeta {
                match self {
                    $(Manifest::$variant(o) => k8s_openapi::Metadata::metadata(o.as_ref()),)*
                }
            }

            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $(Manifest::$variant(o) => k8s_openapi::Metadata::metadata_mut(o.as_mut()),)*
                }
            }

            /// The object as YAML, serialised from the typed model.
            pub fn to_yaml(&self) -> Result<String, serde_saphyr::SerializeError> {
                match self {
                    $(Manifest::$variant(o) => serde_saphyr::to_string(o.as_ref()),)*
                }
            }

            /// The object as JSON, exactly as the typed model serialises it.
            pub fn to_value(&self) -> Value {
                let value = match self {
                    $(Manifest::$variant(o) => serde_json::to_value(o.as_ref()),)*
                };
                value.expect("k8s-openapi types serialise to JSON")
            }
        }
    };
}

manifests! {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Secret(Secret),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Service(Service),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    CronJob(CronJob),
    Pod(Pod),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    PodDisruptionBudget(PodDisruptionBudget),
    Ingress(Ingress),
    NetworkPolicy(NetworkPolicy),
    ServiceMonitor(ServiceMonitor),
    PrometheusRule(PrometheusRule),
}

impl Manifest {
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// `Kind/name`, how kubectl names an object.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }

    /// The Pod template of a workload, or the spec of a bare Pod, with the
    /// metadata its Pods get.
    pub fn pod_template(&self) -> Option<(&ObjectMeta, &PodSpec)> {
        match self {
            Manifest::Deployment(d) => {
                let template = &d.spec.as_ref()?.template;
                Some((template.metadata.as_ref()?, template.spec.as_ref()?))
            }
            Manifest::StatefulSet(s) => {
                let template = &s.spec.as_ref()?.template;
                Some((template.metadata.as_ref()?, template.spec.as_ref()?))
            }
            Manifest::CronJob(c) => {
                let template = &c.spec.as_ref()?.job_template.spec.as_ref()?.template;
                Some((template.metadata.as_ref()?, template.spec.as_ref()?))
            }
            Manifest::Pod(p) => Some((&p.metadata, p.spec.as_ref()?)),
            _ => None,
        }
    }

    /// Whether this object is a Helm hook (e.g. a `helm test` Pod) rather
    /// than part of the release's steady state.
    pub fn hook(&self) -> Option<&str> {
        self.metadata()
            .annotations
            .as_ref()?
            .get("helm.sh/hook")
            .map(String::as_str)
    }
}

/// One document of a rendered stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The template it came from (Helm's `# Source:` comment), if any.
    pub source: Option<String>,
    pub manifest: Manifest,
}

/// Why a stream was rejected; every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
pub struct ParseError {
    pub problems: Vec<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s) in the manifests:", self.problems.len())?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// An object of a custom resource whose CRD schemas the caller checks
/// (`custom_resources`), kept as rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub raw: Value,
}

/// Parses a multi-document YAML stream (as `helm template` prints it).
/// Empty documents are skipped; anything else must be a supported, fully
/// understood Kubernetes object.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, ParseError> {
    parse_stream_with_custom(text, |_| false).map(|(documents, _)| documents)
}

/// As [`parse_stream`], except that objects whose apiVersion `custom`
/// accepts are returned apart, untyped, for a check against their CRDs.
pub fn parse_stream_with_custom(
    text: &str,
    custom: impl Fn(&str) -> bool,
) -> Result<(Vec<Document>, Vec<CustomObject>), ParseError> {
    let mut documents = Vec::new();
    let mut customs = Vec::new();
    let mut problems = Vec::new();
    for (index, chunk) in split_documents(text).into_iter().enumerate() {
        let source = chunk
            .lines()
            .find_map(|line| line.strip_prefix("# Source: ").map(|s| s.trim().to_owned()));
        let place = match &source {
            Some(source) => format!("document {} ({source})", index + 1),
            None => format!("document {}", index + 1),
        };
        match parse_document(chunk, &custom) {
            Ok(Parsed::Empty) => {}
            Ok(Parsed::Typed(manifest)) => documents.push(Document { source, manifest }),
            Ok(Parsed::Custom(object)) => customs.push(object),
            Err(problem) => problems.push(format!("{place}: {problem}")),
        }
    }
    if problems.is_empty() {
        Ok((documents, customs))
    } else {
        Err(ParseError { problems })
    }
}

/// Splits at `---` document markers. A marker at column 0 always ends a
/// document in YAML (block scalars are indented), so this is exact and
/// keeps each document's own text for error messages.
fn split_documents(text: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") {
            documents.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push(&text[start..]);
    documents
}

/// What one document of a stream is.
enum Parsed {
    Empty,
    Typed(Manifest),
    Custom(CustomObject),
}

fn parse_document(text: &str, custom: &impl Fn(&str) -> bool) -> Result<Parsed, String> {
    if text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        return Ok(Parsed::Empty);
    }
    let raw: Value = serde_saphyr::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    if raw.is_null() {
        return Ok(Parsed::Empty);
    }
    let object = raw
        .as_object()
        .ok_or_else(|| "not a mapping (a Kubernetes object is a mapping)".to_owned())?;
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or("no apiVersion")?;
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("no kind")?;
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>");
    let subject = format!("{kind}/{name}");
    if custom(api_version) {
        return Ok(Parsed::Custom(CustomObject {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            raw,
        }));
    }
    let manifest = Manifest::from_raw(api_version, kind, raw.clone())
        .ok_or_else(|| {
            let supported: Vec<String> = Manifest::SUPPORTED
                .iter()
                .map(|(v, k)| format!("{v} {k}"))
                .collect();
            format!(
                "{subject}: unsupported type {api_version} {kind} (supported: {})",
                supported.join(", ")
            )
        })?
        .map_err(|e| format!("{subject}: does not match the {api_version} {kind} schema: {e}"))?;

    let mut differences = Vec::new();
    compare(
        &raw,
        &manifest.to_value(),
        &mut String::new(),
        &mut differences,
    );
    if differences.is_empty() {
        Ok(Parsed::Typed(manifest))
    } else {
        Err(format!("{subject}: {}", differences.join("; ")))
    }
}

/// Records every place where `raw` holds something `typed` lost or changed.
fn compare(raw: &Value, typed: &Value, path: &mut String, out: &mut Vec<String>) {
    match (raw, typed) {
        (Value::Object(raw), Value::Object(typed)) => {
            for (key, raw_value) in raw {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match typed.get(key) {
                    Some(typed_value) => compare(raw_value, typed_value, path, out),
                    // An explicit null means "unset", which is what a missing field is.
                    None if raw_value.is_null() => {}
                    None => out.push(format!("unknown field `{path}`")),
                }
                path.truncate(len);
            }
        }
        (Value::Array(raw), Value::Array(typed)) => {
            if raw.len() != typed.len() {
                out.push(format!(
                    "`{path}` has {} items but {} were understood",
                    raw.len(),
                    typed.len()
                ));
                return;
            }
            for (index, (raw, typed)) in raw.iter().zip(typed).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                compare(raw, typed, path, out);
                path.truncate(len);
            }
        }
        // Quantities and int-or-string fields may be written as numbers and
        // come back as the same text.
        (Value::Number(n), Value::String(s)) if n.to_string() == *s => {}
        (raw, typed) if raw == typed => {}
        (raw, typed) => out.push(format!("`{path}` was {raw} but reads back as {typed}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "\
---
# Source: todo/templates/backend-deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: todo
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web:1.0.0
          resources:
            limits: {cpu: 1, memory: 64Mi}
";

    #[test]
    fn parses_typed_objects_with_their_source() {
        let docs = parse_stream(&format!("{DEPLOYMENT}---\n# empty\n---\n")).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(
            docs[0].source.as_deref(),
            Some("todo/templates/backend-deployment.yaml")
        );
        assert_eq!(docs[0].manifest.id(), "Deployment/web");
        assert_eq!(docs[0].manifest.namespace(), Some("todo"));
        let (meta, spec) = docs[0].manifest.pod_template().unwrap();
        assert_eq!(meta.labels.as_ref().unwrap()["app"], "web");
        assert_eq!(spec.containers[0].image.as_deref(), Some("web:1.0.0"));
    }

    #[test]
    fn rejects_unknown_fields_with_their_path() {
        let text = DEPLOYMENT.replace(
            "          image: web:1.0.0\n",
            "          image: web:1.0.0\n          securityContext:\n            readOnlyRootFilesytem: true\n",
        );
        let error = parse_stream(&text).unwrap_err();
        assert_eq!(error.problems.len(), 1, "{error}");
        assert!(
            error.problems[0].contains(
                "unknown field `spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem`"
            ),
            "{error}"
        );
        assert!(
            error.problems[0]
                .starts_with("document 2 (todo/templates/backend-deployment.yaml): Deployment/web"),
            "{error}"
        );
    }

    #[test]
    fn rejects_wrong_types_unsupported_kinds_and_bad_yaml() {
        let wrong_type = DEPLOYMENT.replace("name: web\n  namespace", "name: [web]\n  namespace");
        let unsupported = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\n";
        let bad_yaml = "apiVersion: v1\nkind: ConfigMap\n  data: : :\n";
        let not_a_mapping = "- just\n- a list\n";
        for (text, expected) in [
            (
                wrong_type.as_str(),
                "does not match the apps/v1 Deployment schema",
            ),
            (unsupported, "unsupported type batch/v1 Job"),
            (bad_yaml, "not valid YAML"),
            (not_a_mapping, "not a mapping"),
        ] {
            let error = parse_stream(text).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{expected:?} not in {error}"
            );
        }
    }

    #[test]
    fn reports_every_bad_document_not_just_the_first() {
        let text = "apiVersion: v1\nkind: Nope\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndatta: {}\n";
        let error = parse_stream(text).unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        assert!(
            error.problems[1].contains("unknown field `datta`"),
            "{error}"
        );
    }

    #[test]
    fn numbers_read_back_as_quantities_are_not_differences() {
        let docs = parse_stream(DEPLOYMENT).unwrap();
        let (_, spec) = docs[0].manifest.pod_template().unwrap();
        let limits = spec.containers[0]
            .resources
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap();
        assert_eq!(limits["cpu"].0, "1");
    }

    #[test]
    fn service_monitors_are_typed_too() {
        let text = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\nspec:\n  selector: {matchLabels: {a: b}}\n  endpoints: [{port: http, path: /metrics, intervall: 30s}]\n";
        let error = parse_stream(text).unwrap_err();
        assert!(error.to_string().contains("intervall"), "{error}");
        let good = text.replace("intervall", "interval");
        let docs = parse_stream(&good).unwrap();
        assert_eq!(docs[0].manifest.id(), "ServiceMonitor/m");
    }
}
