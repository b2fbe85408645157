//! Lookups across the rendered objects, shared by the rules.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::manifest::Manifest;

/// Lookups across the rendered objects.
pub(super) struct Index<'a> {
    objects: &'a [Manifest],
}

impl<'a> Index<'a> {
    pub(super) fn new(objects: &'a [Manifest]) -> Self {
        Self { objects }
    }

    pub(super) fn find(
        &self,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<&'a Manifest> {
        self.objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name && o.namespace() == namespace)
    }

    pub(super) fn config_map_keys(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<BTreeSet<String>> {
        match self.find("ConfigMap", name, namespace)? {
            Manifest::ConfigMap(c) => Some(
                c.data
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .chain(c.binary_data.iter().flatten().map(|(k, _)| k.clone()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A ConfigMap's text data (empty when it is not rendered).
    pub(super) fn config_map_data(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> BTreeMap<String, String> {
        match self.find("ConfigMap", name, namespace) {
            Some(Manifest::ConfigMap(c)) => c.data.clone().unwrap_or_default(),
            _ => BTreeMap::new(),
        }
    }

    /// Every rendered NetworkPolicy in `namespace`.
    pub(super) fn network_policies(
        &self,
        namespace: Option<&str>,
    ) -> Vec<&'a k8s_openapi::api::networking::v1::NetworkPolicy> {
        self.objects
            .iter()
            .filter(|o| o.namespace() == namespace)
            .filter_map(|o| match o {
                Manifest::NetworkPolicy(n) => Some(n.as_ref()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn secret_keys(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<BTreeSet<String>> {
        match self.find("Secret", name, namespace)? {
            Manifest::Secret(s) => Some(
                s.data
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.clone())
                    .chain(s.string_data.iter().flatten().map(|(k, _)| k.clone()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The text of one key of a rendered Secret (`data` or `stringData`).
    pub(super) fn secret_value(
        &self,
        name: &str,
        key: &str,
        namespace: Option<&str>,
    ) -> Option<String> {
        match self.find("Secret", name, namespace)? {
            Manifest::Secret(s) => s
                .string_data
                .as_ref()
                .and_then(|d| d.get(key).cloned())
                .or_else(|| {
                    let bytes = s.data.as_ref()?.get(key)?;
                    String::from_utf8(bytes.0.clone()).ok()
                }),
            _ => None,
        }
    }

    /// Every Secret value long enough that finding it elsewhere is no accident.
    pub(super) fn secret_values(&self) -> Vec<String> {
        let mut values = Vec::new();
        for object in self.objects {
            if let Manifest::Secret(s) = object {
                values.extend(
                    s.data
                        .iter()
                        .flatten()
                        .filter_map(|(_, v)| String::from_utf8(v.0.clone()).ok()),
                );
                values.extend(s.string_data.iter().flatten().map(|(_, v)| v.clone()));
            }
        }
        values.retain(|v| v.len() >= 8);
        values
    }

    pub(super) fn service(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<&'a k8s_openapi::api::core::v1::Service> {
        match self.find("Service", name, namespace)? {
            Manifest::Service(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn service_account_automount(
        &self,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Option<bool> {
        match self.find("ServiceAccount", name.unwrap_or("default"), namespace)? {
            Manifest::ServiceAccount(sa) => sa.automount_service_account_token,
            _ => None,
        }
    }

    /// Pod specs whose template labels include all of `labels`. Hook Pods
    /// (`helm test`) count only where asked: a Service or a budget must
    /// cover the release's steady state, a NetworkPolicy may govern tests.
    pub(super) fn pods_with_labels(
        &self,
        labels: &BTreeMap<String, String>,
        namespace: Option<&str>,
        include_hooks: bool,
    ) -> Vec<&'a PodSpec> {
        self.objects
            .iter()
            .filter(|o| o.namespace() == namespace && (include_hooks || o.hook().is_none()))
            .filter_map(Manifest::pod_template)
            .filter(|(meta, _)| {
                let pod_labels = meta.labels.clone().unwrap_or_default();
                labels.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
            })
            .map(|(_, spec)| spec)
            .collect()
    }

    /// Deployments and StatefulSets whose Pods `selector` matches.
    pub(super) fn workloads_matching(
        &self,
        selector: &LabelSelector,
        namespace: Option<&str>,
    ) -> Vec<&'a Manifest> {
        let wanted = selector.match_labels.clone().unwrap_or_default();
        self.objects
            .iter()
            .filter(|o| o.namespace() == namespace && o.hook().is_none())
            .filter(|o| matches!(o, Manifest::Deployment(_) | Manifest::StatefulSet(_)))
            .filter(|o| {
                o.pod_template().is_some_and(|(meta, _)| {
                    let labels = meta.labels.clone().unwrap_or_default();
                    wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
            })
            .collect()
    }

    /// The fewest replicas a workload runs: its autoscaler's floor, else
    /// `spec.replicas` (1 when unset).
    pub(super) fn minimum_replicas(&self, workload: &Manifest) -> i32 {
        let autoscaled = self.objects.iter().find_map(|o| match o {
            Manifest::HorizontalPodAutoscaler(h) => h.spec.as_ref().filter(|s| {
                s.scale_target_ref.kind == workload.kind()
                    && s.scale_target_ref.name == workload.name()
            }),
            _ => None,
        });
        if let Some(spec) = autoscaled {
            return spec.min_replicas.unwrap_or(1);
        }
        let replicas = match workload {
            Manifest::Deployment(d) => d.spec.as_ref().and_then(|s| s.replicas),
            Manifest::StatefulSet(s) => s.spec.as_ref().and_then(|s| s.replicas),
            _ => None,
        };
        replicas.unwrap_or(1)
    }

    pub(super) fn pods_matching(
        &self,
        selector: &LabelSelector,
        namespace: Option<&str>,
        include_hooks: bool,
    ) -> Vec<&'a PodSpec> {
        if selector
            .match_expressions
            .as_ref()
            .is_some_and(|e| !e.is_empty())
        {
            // The chart selects by labels only; expressions would need a real evaluator.
            return Vec::new();
        }
        self.pods_with_labels(
            &selector.match_labels.clone().unwrap_or_default(),
            namespace,
            include_hooks,
        )
    }

    pub(super) fn services_matching(
        &self,
        selector: &LabelSelector,
        namespace: Option<&str>,
    ) -> Vec<&'a k8s_openapi::api::core::v1::Service> {
        let wanted = selector.match_labels.clone().unwrap_or_default();
        self.objects
            .iter()
            .filter(|o| o.namespace() == namespace)
            .filter_map(|o| match o {
                Manifest::Service(s) => Some(s.as_ref()),
                _ => None,
            })
            .filter(|s| {
                let labels = s.metadata.labels.clone().unwrap_or_default();
                wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .collect()
    }
}
