//! The rules every rendered release must satisfy (helm/todo/README.md,
//! "Security"): hardened,
//! resource-bounded, probed workloads, references between objects that
//! resolve, the assistant's wiring (key, provider egress, MCP hosts) and the
//! e-mail reminders' (SMTP URL from a Secret, sender, SMTP port egress). Each rule application counts as one check, so a report says how
//! much was verified, not only what failed.

mod assistant;
mod index;
pub mod network;
mod objects;
mod references;
mod reminders;
mod routes;
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::manifest::Manifest;
use index::Index;
use objects::{config_map_rules, disruption_rules, ingress_rules, service_rules};
use references::reference_rules;
use workload::{rollout_rules, workload_rules};

/// What a probe of one component must look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeExpectation {
    /// Value of the Pod's `app.kubernetes.io/component` label.
    pub component: String,
    pub container: String,
    pub port: i32,
    pub liveness_path: String,
    pub readiness_path: String,
}

/// Per-component probe contracts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    pub probes: Vec<ProbeExpectation>,
}

/// The ports the containers listen on, as the chart's values set them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerPorts {
    pub backend: i32,
    pub frontend: i32,
}

impl ContainerPorts {
    /// `backend.containerPort` and `frontend.containerPort` of a values file.
    pub fn from_values(values_yaml: &str) -> Result<Self, String> {
        let values: serde_json::Value =
            serde_saphyr::from_str(values_yaml).map_err(|e| format!("values are not YAML: {e}"))?;
        let port = |component: &str| {
            values[component]["containerPort"]
                .as_i64()
                .and_then(|p| i32::try_from(p).ok())
                .ok_or_else(|| format!("the values have no {component}.containerPort"))
        };
        Ok(Self {
            backend: port("backend")?,
            frontend: port("frontend")?,
        })
    }

    /// The chart's own defaults (`helm/todo/values.yaml`).
    pub fn chart_defaults() -> Self {
        Self::from_values(include_str!("../../../helm/todo/values.yaml"))
            .expect("the chart's values.yaml names both container ports")
    }
}

impl Expectations {
    /// The Todo app's contract: backend `/health` and `/ready`, frontend
    /// `/api/health`, each on its container port.
    pub fn todo() -> Self {
        Self::todo_on(ContainerPorts::chart_defaults())
    }

    pub fn todo_on(ports: ContainerPorts) -> Self {
        let probe = |component: &str, port, liveness: &str, readiness: &str| ProbeExpectation {
            component: component.to_owned(),
            container: component.to_owned(),
            port,
            liveness_path: liveness.to_owned(),
            readiness_path: readiness.to_owned(),
        };
        Self {
            probes: vec![
                probe("backend", ports.backend, "/health", "/ready"),
                probe("frontend", ports.frontend, "/api/health", "/api/health"),
            ],
        }
    }
}

/// Facts the rendered objects cannot show by themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// Namespace every object must be in (`.Release.Namespace`).
    pub namespace: Option<String>,
    /// Secrets that exist outside the render (`existingSecret` values):
    /// references to them are accepted without knowing their keys.
    pub external_secrets: BTreeSet<String>,
    pub expectations: Expectations,
    /// The labels of Pods an operator creates for the custom objects
    /// rendered (a CloudNativePG Cluster's instances), which a
    /// NetworkPolicy may select though no Pod template is rendered.
    pub operator_pods: Vec<BTreeMap<String, String>>,
    /// The custom objects rendered (an HTTPRoute), whose references into
    /// the typed objects are checked here.
    pub custom_objects: Vec<crate::manifest::CustomObject>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// `Kind/name`, plus the container where it applies.
    pub subject: String,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.subject, self.rule, self.detail)
    }
}

/// Outcome of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub objects: usize,
    /// How many times each rule was applied.
    pub checks: BTreeMap<&'static str, usize>,
    pub violations: Vec<Violation>,
}

impl Report {
    pub fn total_checks(&self) -> usize {
        self.checks.values().sum()
    }

    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    fn check(
        &mut self,
        rule: &'static str,
        subject: &str,
        ok: bool,
        detail: impl FnOnce() -> String,
    ) {
        *self.checks.entry(rule).or_default() += 1;
        if !ok {
            self.violations.push(Violation {
                subject: subject.to_owned(),
                rule,
                detail: detail(),
            });
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} objects, {} checks ({} rules), {} violation(s)",
            self.objects,
            self.total_checks(),
            self.checks.len(),
            self.violations.len()
        )?;
        for violation in &self.violations {
            write!(f, "\n  - {violation}")?;
        }
        Ok(())
    }
}

/// Applies every rule to `objects`.
pub fn check(objects: &[Manifest], options: &PolicyOptions) -> Report {
    let mut report = Report {
        objects: objects.len(),
        ..Report::default()
    };
    let index = Index::new(objects);
    for custom in &options.custom_objects {
        routes::route_rules(custom, &index, &mut report);
    }
    for object in objects {
        metadata_rules(object, options, &mut report);
        if let Some((meta, spec)) = object.pod_template() {
            let component = meta
                .labels
                .as_ref()
                .and_then(|l| l.get("app.kubernetes.io/component"))
                .map(String::as_str);
            // Pods that run to completion (Helm tests, a CronJob's Jobs) have
            // no probes and no rollout.
            let long_running = object.hook().is_none()
                && !matches!(object, Manifest::Pod(_) | Manifest::CronJob(_));
            workload_rules(
                object,
                spec,
                component,
                long_running,
                options,
                &index,
                &mut report,
            );
            reference_rules(object, spec, options, &index, &mut report);
            assistant::credential_rules(object, spec, &mut report);
            if long_running {
                rollout_rules(object, meta, spec, &index, &mut report);
                let policies = index.network_policies(object.namespace());
                assistant::provider_rules(object, meta, spec, &index, &policies, &mut report);
                reminders::smtp_rules(object, meta, spec, &index, &policies, &mut report);
            }
        }
        match object {
            Manifest::Deployment(d) => {
                let strategy = d.spec.as_ref().and_then(|s| s.strategy.as_ref());
                let max_unavailable = strategy
                    .and_then(|s| s.rolling_update.as_ref())
                    .and_then(|r| r.max_unavailable.as_ref());
                report.check(
                    "rolling update keeps capacity",
                    &object.id(),
                    matches!(max_unavailable, Some(IntOrString::Int(0)))
                        || matches!(max_unavailable, Some(IntOrString::String(s)) if s == "0%"),
                    || {
                        format!(
                            "strategy.rollingUpdate.maxUnavailable is {max_unavailable:?}, want 0"
                        )
                    },
                );
            }
            Manifest::Service(_) => {
                service_rules(object, &index, &mut report);
                assistant::mcp_service_rules(object, &index, &mut report);
            }
            Manifest::Ingress(_) => {
                ingress_rules(object, &index, &mut report);
                assistant::mcp_ingress_rules(object, &index, &mut report);
            }
            Manifest::ConfigMap(_) => config_map_rules(object, &index, &mut report),
            Manifest::HorizontalPodAutoscaler(h) => {
                let target = h.spec.as_ref().map(|s| &s.scale_target_ref);
                let found = target
                    .is_some_and(|t| index.find(&t.kind, &t.name, object.namespace()).is_some());
                report.check("autoscaler target exists", &object.id(), found, || {
                    format!("scaleTargetRef {target:?} is not a rendered object")
                });
            }
            Manifest::PodDisruptionBudget(p) => {
                let selector = p.spec.as_ref().and_then(|s| s.selector.as_ref());
                let matched = selector
                    .is_some_and(|s| !index.pods_matching(s, object.namespace(), false).is_empty());
                report.check("selector matches Pods", &object.id(), matched, || {
                    "the selector matches no rendered Pod template".to_owned()
                });
                if let Some(selector) = selector {
                    disruption_rules(object, p, selector, &index, &mut report);
                }
            }
            Manifest::NetworkPolicy(n) => {
                // No podSelector selects every Pod in the namespace.
                let selector = n
                    .spec
                    .as_ref()
                    .and_then(|s| s.pod_selector.clone())
                    .unwrap_or_default();
                let wanted = selector.match_labels.clone().unwrap_or_default();
                let operator_made = selector.match_expressions.iter().flatten().next().is_none()
                    && options.operator_pods.iter().any(|labels| {
                        wanted
                            .iter()
                            .all(|(key, value)| labels.get(key) == Some(value))
                    });
                let matched = operator_made
                    || !index
                        .pods_matching(&selector, object.namespace(), true)
                        .is_empty();
                report.check("selector matches Pods", &object.id(), matched, || {
                    "the podSelector matches no rendered Pod template".to_owned()
                });
            }
            Manifest::ServiceMonitor(m) => {
                let services = index.services_matching(&m.spec.selector, object.namespace());
                let ok = !services.is_empty()
                    && m.spec.endpoints.iter().all(|e| {
                        services.iter().any(|s| {
                            s.spec
                                .as_ref()
                                .and_then(|s| s.ports.as_ref())
                                .is_some_and(|ports| {
                                    ports
                                        .iter()
                                        .any(|p| p.name.as_deref() == Some(e.port.as_str()))
                                })
                        })
                    });
                report.check(
                    "service monitor targets a Service port",
                    &object.id(),
                    ok,
                    || {
                        "no rendered Service matches the selector with the endpoints' named ports"
                            .to_owned()
                    },
                );
            }
            _ => {}
        }
    }
    report
}

fn metadata_rules(object: &Manifest, options: &PolicyOptions, report: &mut Report) {
    let id = object.id();
    if let Some(namespace) = &options.namespace {
        report.check(
            "namespaced",
            &id,
            object.namespace() == Some(namespace.as_str()),
            || {
                format!(
                    "metadata.namespace is {:?}, want {namespace:?}",
                    object.namespace()
                )
            },
        );
    }
    let labels = object.metadata().labels.clone().unwrap_or_default();
    for label in ["app.kubernetes.io/name", "app.kubernetes.io/instance"] {
        report.check("standard labels", &id, labels.contains_key(label), || {
            format!("label {label} is missing")
        });
    }
    let name = object.name();
    report.check(
        "valid name",
        &id,
        !name.is_empty() && name.len() <= 63,
        || format!("name {name:?} is empty or longer than 63 characters"),
    );
}
