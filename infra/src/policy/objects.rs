//! Rules for the objects around the workloads: Services, Ingresses,
//! ConfigMaps and disruption budgets.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Report;
use super::index::Index;
use super::workload::resolve_port;
use crate::manifest::Manifest;

/// A budget that can never be met blocks every node drain.
pub(super) fn disruption_rules(
    object: &Manifest,
    budget: &k8s_openapi::api::policy::v1::PodDisruptionBudget,
    selector: &LabelSelector,
    index: &Index,
    report: &mut Report,
) {
    let spec = budget.spec.clone().unwrap_or_default();
    for workload in index.workloads_matching(selector, object.namespace()) {
        let replicas = index.minimum_replicas(workload);
        let allows = match (&spec.min_available, &spec.max_unavailable) {
            (Some(IntOrString::Int(min)), _) => replicas > *min,
            (_, Some(IntOrString::Int(max))) => *max > 0,
            (_, Some(IntOrString::String(max))) => max != "0%",
            (Some(IntOrString::String(min)), _) => min != "100%",
            (None, None) => true,
        };
        report.check("disruption budget allows evictions", &object.id(), allows, || {
            format!(
                "{} runs at least {replicas} replica(s); minAvailable {:?} / maxUnavailable {:?} would block every eviction",
                workload.id(),
                spec.min_available,
                spec.max_unavailable
            )
        });
    }
}

pub(super) fn service_rules(object: &Manifest, index: &Index, report: &mut Report) {
    let Manifest::Service(service) = object else {
        return;
    };
    let id = object.id();
    let spec = service.spec.clone().unwrap_or_default();
    let selector = spec.selector.clone().unwrap_or_default();
    let pods = index.pods_with_labels(&selector, object.namespace(), false);
    report.check(
        "services select Pods",
        &id,
        !selector.is_empty() && !pods.is_empty(),
        || format!("selector {selector:?} matches no rendered Pod template"),
    );
    if pods.is_empty() {
        // Already reported; no Pods means no ports to compare against.
        return;
    }
    for port in spec.ports.iter().flatten() {
        let target = port
            .target_port
            .clone()
            .unwrap_or(IntOrString::Int(port.port));
        let declared = pods.iter().any(|spec| {
            spec.containers
                .iter()
                .any(|c| resolve_port(c, &target).is_some())
        });
        report.check("services target declared ports", &id, declared, || {
            format!(
                "port {:?} targets {target:?}, which no selected container declares",
                port.name
            )
        });
    }
}

pub(super) fn ingress_rules(object: &Manifest, index: &Index, report: &mut Report) {
    let Manifest::Ingress(ingress) = object else {
        return;
    };
    let id = object.id();
    let spec = ingress.spec.clone().unwrap_or_default();
    let backends = spec
        .default_backend
        .iter()
        .chain(spec.rules.iter().flatten().flat_map(|r| {
            r.http
                .iter()
                .flat_map(|h| h.paths.iter().map(|p| &p.backend))
        }));
    for backend in backends {
        let Some(target) = &backend.service else {
            continue;
        };
        let service = index.service(&target.name, object.namespace());
        let port = target.port.as_ref();
        let ok = service.is_some_and(|s| {
            s.spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .is_some_and(|ports| {
                    ports.iter().any(|p| match port {
                        Some(port) => {
                            port.name
                                .as_ref()
                                .is_some_and(|n| p.name.as_ref() == Some(n))
                                || port.number == Some(p.port)
                        }
                        None => false,
                    })
                })
        });
        report.check("ingress backends exist", &id, ok, || {
            format!(
                "backend Service {:?} port {port:?} is not rendered",
                target.name
            )
        });
    }
}

pub(super) fn config_map_rules(object: &Manifest, index: &Index, report: &mut Report) {
    let Manifest::ConfigMap(config_map) = object else {
        return;
    };
    let id = object.id();
    let secret_values = index.secret_values();
    for (key, value) in config_map.data.iter().flatten() {
        let leaked = secret_values
            .iter()
            .find(|secret| value.contains(secret.as_str()));
        report.check(
            "no secret values in ConfigMaps",
            &id,
            leaked.is_none(),
            || format!("key {key:?} contains the value of a Secret key"),
        );
        let lower = key.to_ascii_lowercase();
        let sensitive = [
            "password",
            "secret",
            "token",
            "private_key",
            "database_url",
            "api_key",
            "smtp_url",
        ]
        .iter()
        .any(|word| lower.contains(word));
        report.check("no secret values in ConfigMaps", &id, !sensitive, || {
            format!("key {key:?} looks like a credential; keep it in a Secret")
        });
    }
}
