//! The rules every rendered release must satisfy (SPEC §6): hardened,
//! resource-bounded, probed workloads, and references between objects that
//! resolve. Each rule application counts as one check, so a report says how
//! much was verified, not only what failed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::manifest::Manifest;

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

impl Expectations {
    /// The Todo app's contract: backend `/health` and `/ready` on 8080,
    /// frontend `/api/health` on 3000.
    pub fn todo() -> Self {
        let probe = |component: &str, port, liveness: &str, readiness: &str| ProbeExpectation {
            component: component.to_owned(),
            container: component.to_owned(),
            port,
            liveness_path: liveness.to_owned(),
            readiness_path: readiness.to_owned(),
        };
        Self {
            probes: vec![
                probe("backend", 8080, "/health", "/ready"),
                probe("frontend", 3000, "/api/health", "/api/health"),
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
    for object in objects {
        metadata_rules(object, options, &mut report);
        if let Some((meta, spec)) = object.pod_template() {
            let component = meta
                .labels
                .as_ref()
                .and_then(|l| l.get("app.kubernetes.io/component"))
                .map(String::as_str);
            let long_running = object.hook().is_none() && !matches!(object, Manifest::Pod(_));
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
            if long_running {
                rollout_rules(object, meta, spec, &index, &mut report);
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
            Manifest::Service(_) => service_rules(object, &index, &mut report),
            Manifest::Ingress(_) => ingress_rules(object, &index, &mut report),
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
                let matched = !index
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

fn workload_rules(
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
fn resolve_port(container: &Container, port: &IntOrString) -> Option<i32> {
    let ports = container.ports.iter().flatten();
    match port {
        IntOrString::Int(n) => ports.clone().any(|p| p.container_port == *n).then_some(*n),
        IntOrString::String(name) => ports
            .clone()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.container_port),
    }
}

fn reference_rules(
    object: &Manifest,
    spec: &PodSpec,
    options: &PolicyOptions,
    index: &Index,
    report: &mut Report,
) {
    let id = object.id();
    let namespace = object.namespace();
    let external = |name: &str| options.external_secrets.contains(name);
    for container in spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
    {
        let subject = format!("{id} container {}", container.name);
        // Names defined so far, for `$(VAR)` expansion (which only sees earlier variables).
        let mut defined: BTreeSet<String> = BTreeSet::new();
        for source in container.env_from.iter().flatten() {
            if let Some(config_map) = &source.config_map_ref {
                let found = index.config_map_keys(&config_map.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    found.is_some() || config_map.optional == Some(true),
                    || format!("envFrom ConfigMap {:?} is not rendered", config_map.name),
                );
                defined.extend(found.unwrap_or_default());
            }
            if let Some(secret) = &source.secret_ref {
                let found = index.secret_keys(&secret.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    found.is_some() || external(&secret.name) || secret.optional == Some(true),
                    || {
                        format!(
                            "envFrom Secret {:?} is neither rendered nor declared as existing",
                            secret.name
                        )
                    },
                );
                defined.extend(found.unwrap_or_default());
            }
        }
        for var in container.env.iter().flatten() {
            if let Some(value) = &var.value {
                for reference in expansions(value) {
                    report.check(
                        "env references resolve",
                        &subject,
                        defined.contains(reference),
                        || {
                            format!(
                                "{} refers to $({reference}), which is not defined before it",
                                var.name
                            )
                        },
                    );
                }
            }
            let from = var.value_from.as_ref();
            if let Some(key_ref) = from.and_then(|f| f.config_map_key_ref.as_ref()) {
                let keys = index.config_map_keys(&key_ref.name, namespace);
                report.check(
                    "env references resolve",
                    &subject,
                    keys.as_ref().is_some_and(|k| k.contains(&key_ref.key))
                        || key_ref.optional == Some(true),
                    || {
                        format!(
                            "{} reads key {:?} of ConfigMap {:?}, which is not rendered",
                            var.name, key_ref.key, key_ref.name
                        )
                    },
                );
            }
            if let Some(key_ref) = from.and_then(|f| f.secret_key_ref.as_ref()) {
                let keys = index.secret_keys(&key_ref.name, namespace);
                let ok = match keys {
                    Some(keys) => keys.contains(&key_ref.key),
                    None => external(&key_ref.name),
                };
                report.check("env references resolve", &subject, ok || key_ref.optional == Some(true), || {
                    format!("{} reads key {:?} of Secret {:?}, which is neither rendered nor declared as existing", var.name, key_ref.key, key_ref.name)
                });
            }
            defined.insert(var.name.clone());
        }
        for arg in container
            .command
            .iter()
            .flatten()
            .chain(container.args.iter().flatten())
        {
            for reference in expansions(arg) {
                report.check(
                    "env references resolve",
                    &subject,
                    defined.contains(reference),
                    || format!("argument {arg:?} refers to $({reference}), which is not defined"),
                );
            }
        }
        for mount in container.volume_mounts.iter().flatten() {
            let declared = spec.volumes.iter().flatten().any(|v| v.name == mount.name)
                || volume_claim_names(object).contains(&mount.name);
            report.check("volume mounts resolve", &subject, declared, || {
                format!(
                    "mounts volume {:?}, which the Pod does not declare",
                    mount.name
                )
            });
        }
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(config_map) = &volume.config_map {
            report.check(
                "volume references resolve",
                &id,
                index.config_map_keys(&config_map.name, namespace).is_some()
                    || config_map.optional == Some(true),
                || {
                    format!(
                        "volume {:?} uses ConfigMap {:?}, which is not rendered",
                        volume.name, config_map.name
                    )
                },
            );
        }
        if let Some(secret) = &volume.secret {
            let name = secret.secret_name.clone().unwrap_or_default();
            report.check("volume references resolve", &id, index.secret_keys(&name, namespace).is_some() || external(&name) || secret.optional == Some(true), || {
                format!("volume {:?} uses Secret {name:?}, which is neither rendered nor declared as existing", volume.name)
            });
        }
    }
}

fn volume_claim_names(object: &Manifest) -> Vec<String> {
    match object {
        Manifest::StatefulSet(s) => s
            .spec
            .iter()
            .flat_map(|s| s.volume_claim_templates.iter().flatten())
            .filter_map(|c| c.metadata.name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The variable names in Kubernetes `$(NAME)` expansions (`$$` escapes).
fn expansions(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
        } else if let Some(open) = after.strip_prefix('(') {
            match open.find(')') {
                Some(close) => {
                    names.push(&open[..close]);
                    rest = &open[close + 1..];
                }
                None => break,
            }
        } else {
            rest = after;
        }
    }
    names
}

/// A Pod that reads a rendered ConfigMap or Secret only at startup must
/// carry a checksum of it, or a changed value never reaches running Pods.
fn rollout_rules(
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

/// A budget that can never be met blocks every node drain.
fn disruption_rules(
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

fn service_rules(object: &Manifest, index: &Index, report: &mut Report) {
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

fn ingress_rules(object: &Manifest, index: &Index, report: &mut Report) {
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

fn config_map_rules(object: &Manifest, index: &Index, report: &mut Report) {
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
        let sensitive = ["password", "secret", "token", "private_key", "database_url"]
            .iter()
            .any(|word| lower.contains(word));
        report.check("no secret values in ConfigMaps", &id, !sensitive, || {
            format!("key {key:?} looks like a credential; keep it in a Secret")
        });
    }
}

/// Lookups across the rendered objects.
struct Index<'a> {
    objects: &'a [Manifest],
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Manifest]) -> Self {
        Self { objects }
    }

    fn find(&self, kind: &str, name: &str, namespace: Option<&str>) -> Option<&'a Manifest> {
        self.objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name && o.namespace() == namespace)
    }

    fn config_map_keys(&self, name: &str, namespace: Option<&str>) -> Option<BTreeSet<String>> {
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

    fn secret_keys(&self, name: &str, namespace: Option<&str>) -> Option<BTreeSet<String>> {
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

    /// Every Secret value long enough that finding it elsewhere is no accident.
    fn secret_values(&self) -> Vec<String> {
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

    fn service(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<&'a k8s_openapi::api::core::v1::Service> {
        match self.find("Service", name, namespace)? {
            Manifest::Service(s) => Some(s),
            _ => None,
        }
    }

    fn service_account_automount(
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
    fn pods_with_labels(
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
    fn workloads_matching(
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
    fn minimum_replicas(&self, workload: &Manifest) -> i32 {
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

    fn pods_matching(
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

    fn services_matching(
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
