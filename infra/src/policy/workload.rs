//! Rules for each Pod template: hardening, resources, images, probes, and
//! rollouts that follow configuration changes.

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::index::Index;
use super::{PolicyOptions, Report};
use crate::manifest::Manifest;

pub(super) fn workload_rules(
    object: &Manifest,
    spec: &PodSpec,
    component: Option<&str>,
    long_running: bool,
    options: &PolicyOptions,
    index: &Index,
    report: &mut Report,
) {
    let id = object.id();
    let pod = spec.security_context.clone().unwrap_or_default();
    report.check(
        "service account token not mounted",
        &id,
        spec.automount_service_account_token == Some(false)
            || index.service_account_automount(
                spec.service_account_name.as_deref(),
                object.namespace(),
            ) == Some(false),
        || "automountServiceAccountToken is not false on the Pod or its ServiceAccount".to_owned(),
    );
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers);
    for container in containers {
        let subject = format!("{id} container {}", container.name);
        container_security_rules(&subject, container, &pod, report);
        resource_rules(&subject, container, report);
        image_rules(&subject, container, report);
    }
    if long_running {
        for container in &spec.containers {
            let subject = format!("{id} container {}", container.name);
            probe_rules(&subject, container, component, options, report);
        }
    }
}

fn container_security_rules(
    subject: &str,
    container: &Container,
    pod: &PodSecurityContext,
    report: &mut Report,
) {
    let own = container.security_context.clone().unwrap_or_default();
    let run_as_non_root = own.run_as_non_root.or(pod.run_as_non_root);
    let run_as_user = own.run_as_user.or(pod.run_as_user);
    report.check("non-root", subject, run_as_non_root == Some(true) && run_as_user != Some(0), || {
        format!("runAsNonRoot is {run_as_non_root:?} and runAsUser {run_as_user:?}; want runAsNonRoot: true and a non-zero user")
    });
    report.check(
        "read-only root filesystem",
        subject,
        own.read_only_root_filesystem == Some(true),
        || "securityContext.readOnlyRootFilesystem is not true".to_owned(),
    );
    report.check(
        "no privilege escalation",
        subject,
        own.allow_privilege_escalation == Some(false) && own.privileged != Some(true),
        || {
            "securityContext.allowPrivilegeEscalation must be false (and privileged not true)"
                .to_owned()
        },
    );
    let capabilities = own.capabilities.clone().unwrap_or_default();
    let drops_all = capabilities.drop.iter().flatten().any(|c| c == "ALL");
    let adds = capabilities.add.clone().unwrap_or_default();
    report.check(
        "capabilities dropped",
        subject,
        drops_all && adds.is_empty(),
        || {
            format!(
                "capabilities must drop ALL and add none (drop {:?}, add {adds:?})",
                capabilities.drop
            )
        },
    );
    let seccomp = own
        .seccomp_profile
        .as_ref()
        .or(pod.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str());
    report.check(
        "seccomp RuntimeDefault",
        subject,
        seccomp == Some("RuntimeDefault"),
        || format!("seccompProfile.type is {seccomp:?}, want RuntimeDefault"),
    );
}

fn resource_rules(subject: &str, container: &Container, report: &mut Report) {
    let resources = container.resources.clone().unwrap_or_default();
    for (kind, list) in [
        ("requests", &resources.requests),
        ("limits", &resources.limits),
    ] {
        for resource in ["cpu", "memory"] {
            let set = list.as_ref().is_some_and(|l| l.contains_key(resource));
            report.check("requests and limits", subject, set, || {
                format!("resources.{kind}.{resource} is not set")
            });
        }
    }
}

fn image_rules(subject: &str, container: &Container, report: &mut Report) {
    let image = container.image.as_deref().unwrap_or("");
    let tag = image
        .rsplit_once(':')
        // A colon before the last "/" is a registry port, not a tag.
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(_, tag)| tag);
    report.check(
        "pinned image",
        subject,
        tag.is_some_and(|t| !t.is_empty() && t != "latest") || image.contains('@'),
        || format!("image {image:?} has no tag or uses latest"),
    );
    report.check(
        "pull policy IfNotPresent",
        subject,
        container.image_pull_policy.as_deref() == Some("IfNotPresent"),
        || format!("imagePullPolicy is {:?}", container.image_pull_policy),
    );
}

fn probe_rules(
    subject: &str,
    container: &Container,
    component: Option<&str>,
    options: &PolicyOptions,
    report: &mut Report,
) {
    let expectation = component.and_then(|component| {
        options
            .expectations
            .probes
            .iter()
            .find(|p| p.component == component && p.container == container.name)
    });
    for (kind, probe, path) in [
        (
            "liveness",
            &container.liveness_probe,
            expectation.map(|e| e.liveness_path.as_str()),
        ),
        (
            "readiness",
            &container.readiness_probe,
            expectation.map(|e| e.readiness_path.as_str()),
        ),
    ] {
        let Some(probe) = probe else {
            report.check("probes", subject, false, || format!("no {kind} probe"));
            continue;
        };
        report.check("probes", subject, true, String::new);
        let target = probe_target(probe);
        let port = target
            .as_ref()
            .and_then(|(port, _)| port.as_ref())
            .map(|p| resolve_port(container, p));
        if let Some(port) = &port {
            report.check(
                "probes target declared ports",
                subject,
                port.is_some(),
                || format!("the {kind} probe's port is not a port of the container"),
            );
        }
        if let Some(expected) = expectation {
            let actual_path = target.as_ref().and_then(|(_, path)| path.clone());
            let actual_port = port.flatten();
            report.check(
                "probes on the right paths and ports",
                subject,
                actual_path.as_deref() == path && actual_port == Some(expected.port),
                || {
                    format!(
                        "{kind} probe is {} on port {actual_port:?}, want HTTP GET {} on {}",
                        actual_path.as_deref().unwrap_or("not an HTTP GET"),
                        path.unwrap_or_default(),
                        expected.port
                    )
                },
            );
        }
    }
}

/// The port and HTTP path a probe hits (`None` for exec probes).
fn probe_target(probe: &Probe) -> Option<(Option<IntOrString>, Option<String>)> {
    if let Some(http) = &probe.http_get {
        return Some((
            Some(http.port.clone()),
            Some(http.path.clone().unwrap_or_else(|| "/".to_owned())),
        ));
    }
    if let Some(tcp) = &probe.tcp_socket {
        return Some((Some(tcp.port.clone()), None));
    }
    if let Some(grpc) = &probe.grpc {
        return Some((Some(IntOrString::Int(grpc.port)), None));
    }
    None
}

/// The container port a named or numbered port refers to.
pub(super) fn resolve_port(container: &Container, port: &IntOrString) -> Option<i32> {
    let ports = container.ports.iter().flatten();
    match port {
        IntOrString::Int(n) => ports.clone().any(|p| p.container_port == *n).then_some(*n),
        IntOrString::String(name) => ports
            .clone()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.container_port),
    }
}

/// A Pod that reads a rendered ConfigMap or Secret only at startup must
/// carry a checksum of it, or a changed value never reaches running Pods.
pub(super) fn rollout_rules(
    object: &Manifest,
    meta: &ObjectMeta,
    spec: &PodSpec,
    index: &Index,
    report: &mut Report,
) {
    let namespace = object.namespace();
    let rendered = |kind: &str, name: &str| index.find(kind, name, namespace).is_some();
    let mut sources = Vec::new();
    for container in spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
    {
        for from in container.env_from.iter().flatten() {
            sources.extend(
                from.config_map_ref
                    .as_ref()
                    .map(|r| ("ConfigMap", r.name.clone())),
            );
            sources.extend(from.secret_ref.as_ref().map(|r| ("Secret", r.name.clone())));
        }
        for var in container.env.iter().flatten() {
            let from = var.value_from.as_ref();
            sources.extend(
                from.and_then(|f| f.config_map_key_ref.as_ref())
                    .map(|r| ("ConfigMap", r.name.clone())),
            );
            sources.extend(
                from.and_then(|f| f.secret_key_ref.as_ref())
                    .map(|r| ("Secret", r.name.clone())),
            );
        }
    }
    sources.retain(|(kind, name)| rendered(kind, name));
    if sources.is_empty() {
        return;
    }
    let has_checksum = meta
        .annotations
        .as_ref()
        .is_some_and(|a| a.keys().any(|k| k.starts_with("checksum/")));
    report.check(
        "config changes roll Pods",
        &object.id(),
        has_checksum,
        || format!("the Pod template reads {sources:?} but has no checksum/* annotation"),
    );
}
