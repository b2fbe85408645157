//! Rules for the assistant's wiring, read from what the containers get:
//! credentials only from Secrets, a model provider that the NetworkPolicies
//! governing the backend let it reach, and MCP allowed hosts that name
//! every way a client comes in (the Service, an Ingress routing `/mcp`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Report;
use super::index::Index;
use crate::manifest::Manifest;

/// Name parts that mark an environment variable as a credential.
const CREDENTIAL_WORDS: &[&str] = &["API_KEY", "SECRET", "PASSWORD", "TOKEN", "SMTP_URL"];

/// A credential written into the Pod spec is readable by anyone who can
/// read the Deployment; it belongs in a Secret.
pub(super) fn credential_rules(object: &Manifest, spec: &PodSpec, report: &mut Report) {
    for container in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        let subject = format!("{} container {}", object.id(), container.name);
        for var in container.env.iter().flatten() {
            let upper = var.name.to_ascii_uppercase();
            if !CREDENTIAL_WORDS.iter().any(|word| upper.contains(word)) {
                continue;
            }
            report.check(
                "credentials come from Secrets",
                &subject,
                var.value.is_none(),
                || {
                    format!(
                        "env {} is written in the Pod spec; use secretKeyRef",
                        var.name
                    )
                },
            );
        }
    }
}

/// What a container sees as plain configuration: its ConfigMaps' data
/// (envFrom) overlaid with literal `env` values.
pub(super) fn plain_environment(
    container: &Container,
    namespace: Option<&str>,
    index: &Index,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for source in container.env_from.iter().flatten() {
        if let Some(config_map) = &source.config_map_ref {
            values.extend(index.config_map_data(&config_map.name, namespace));
        }
    }
    for var in container.env.iter().flatten() {
        if let Some(value) = &var.value {
            values.insert(var.name.clone(), value.clone());
        }
    }
    values
}

/// The port an http(s) URL connects to.
fn url_port(url: &str) -> Option<i32> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    match host_port.rsplit_once(':') {
        Some((_, port)) if !port.contains(']') => port.parse().ok(),
        _ => match scheme {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        },
    }
}

/// Whether `policy` restricts egress of Pods labelled `labels`.
pub(super) fn restricts_egress(policy: &NetworkPolicy, labels: &BTreeMap<String, String>) -> bool {
    let Some(spec) = &policy.spec else {
        return false;
    };
    let wanted = spec
        .pod_selector
        .as_ref()
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default();
    wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
        && spec.policy_types.iter().flatten().any(|t| t == "Egress")
}

/// Whether `policy` has an egress rule open to TCP `port` (a rule with no
/// ports is open to all).
pub(super) fn allows_port(policy: &NetworkPolicy, port: i32) -> bool {
    policy
        .spec
        .iter()
        .flat_map(|s| s.egress.iter().flatten())
        .any(|rule| match &rule.ports {
            None => true,
            Some(ports) if ports.is_empty() => true,
            Some(ports) => ports.iter().any(|p| {
                p.protocol.as_deref().unwrap_or("TCP") == "TCP"
                    && match &p.port {
                        None => true,
                        Some(IntOrString::Int(n)) => {
                            *n == port || p.end_port.is_some_and(|end| (*n..=end).contains(&port))
                        }
                        Some(IntOrString::String(_)) => false,
                    }
            }),
        })
}

/// A workload configured for an OpenAI-compatible provider has its key
/// from a Secret and may reach the provider's port.
pub(super) fn provider_rules(
    object: &Manifest,
    meta: &ObjectMeta,
    spec: &PodSpec,
    index: &Index,
    policies: &[&NetworkPolicy],
    report: &mut Report,
) {
    let labels = meta.labels.clone().unwrap_or_default();
    for container in &spec.containers {
        let environment = plain_environment(container, object.namespace(), index);
        if environment.get("ASSISTANT_PROVIDER").map(String::as_str) != Some("openai") {
            continue;
        }
        let subject = format!("{} container {}", object.id(), container.name);
        let key_from_secret = container.env.iter().flatten().any(|var| {
            var.name == "ASSISTANT_API_KEY"
                && var
                    .value_from
                    .as_ref()
                    .is_some_and(|from| from.secret_key_ref.is_some())
        });
        report.check(
            "assistant key from a Secret",
            &subject,
            key_from_secret,
            || "ASSISTANT_PROVIDER is openai but ASSISTANT_API_KEY has no secretKeyRef".to_owned(),
        );
        let base_url = environment
            .get("ASSISTANT_BASE_URL")
            .cloned()
            .unwrap_or_default();
        let port = url_port(&base_url);
        let governing: Vec<_> = policies
            .iter()
            .filter(|p| restricts_egress(p, &labels))
            .collect();
        let reachable = match port {
            None => false,
            Some(port) => governing.is_empty() || governing.iter().any(|p| allows_port(p, port)),
        };
        report.check("provider reachable", &subject, reachable, || match port {
            None => format!("ASSISTANT_BASE_URL {base_url:?} names no http(s) port"),
            Some(port) => format!(
                "NetworkPolicies restrict its egress and none allows TCP {port}, the port of ASSISTANT_BASE_URL {base_url:?}"
            ),
        });
    }
}

/// `MCP_ALLOWED_HOSTS` of the containers behind a Service (those that
/// serve MCP at all).
pub(super) fn allowed_hosts_behind(
    service: &k8s_openapi::api::core::v1::Service,
    namespace: Option<&str>,
    index: &Index,
) -> Vec<Vec<String>> {
    let selector = service
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    if selector.is_empty() {
        return Vec::new();
    }
    index
        .pods_with_labels(&selector, namespace, false)
        .into_iter()
        .flat_map(|pod| &pod.containers)
        .filter_map(|container| {
            plain_environment(container, namespace, index)
                .get("MCP_ALLOWED_HOSTS")
                .map(|list| {
                    list.split(',')
                        .map(|h| h.trim().to_ascii_lowercase())
                        .filter(|h| !h.is_empty())
                        .collect()
                })
        })
        .collect()
}

pub(super) fn host_listed(hosts: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    hosts
        .iter()
        .any(|allowed| allowed == &host || allowed.split(':').next() == Some(host.as_str()))
}

/// In-cluster clients (the Helm test among them) call the Service by name.
pub(super) fn mcp_service_rules(object: &Manifest, index: &Index, report: &mut Report) {
    let Manifest::Service(service) = object else {
        return;
    };
    for hosts in allowed_hosts_behind(service, object.namespace(), index) {
        report.check(
            "MCP allowed hosts name the Service",
            &object.id(),
            host_listed(&hosts, object.name()),
            || {
                format!(
                    "MCP_ALLOWED_HOSTS {hosts:?} lacks {:?}, so clients calling the Service get 403",
                    object.name()
                )
            },
        );
    }
}

/// An Ingress routing `/mcp` brings clients with its host in `Host`.
pub(super) fn mcp_ingress_rules(object: &Manifest, index: &Index, report: &mut Report) {
    let Manifest::Ingress(ingress) = object else {
        return;
    };
    let rules = ingress.spec.iter().flat_map(|s| s.rules.iter().flatten());
    for rule in rules {
        let Some(host) = &rule.host else {
            continue;
        };
        let paths = rule.http.iter().flat_map(|h| &h.paths);
        for path in paths.filter(|p| p.path.as_deref() == Some("/mcp")) {
            let Some(target) = &path.backend.service else {
                continue;
            };
            let Some(service) = index.service(&target.name, object.namespace()) else {
                continue;
            };
            for hosts in allowed_hosts_behind(service, object.namespace(), index) {
                report.check(
                    "MCP allowed hosts name the Ingress host",
                    &object.id(),
                    host_listed(&hosts, host),
                    || {
                        format!(
                            "/mcp is routed to {:?} but MCP_ALLOWED_HOSTS {hosts:?} lacks {host:?}",
                            target.name
                        )
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_port;

    #[test]
    fn ports_come_from_the_url_or_its_scheme() {
        assert_eq!(url_port("https://api.openai.com/v1"), Some(443));
        assert_eq!(url_port("http://ollama.ollama:11434/v1"), Some(11434));
        assert_eq!(url_port("http://[::1]/v1"), Some(80));
        assert_eq!(url_port("http://[::1]:8000"), Some(8000));
        assert_eq!(url_port("ollama:11434"), None);
        assert_eq!(url_port(""), None);
    }
}
