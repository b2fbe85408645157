//! What rendered NetworkPolicies let through, evaluated as the API server
//! documents it: a Pod no policy selects (for a direction) is open; a
//! selected Pod admits a connection when some rule of a selecting policy
//! matches the peer and the port. Named ports resolve against the
//! destination's container ports. Enough to assert, without a CNI, that the
//! paths the app needs are open and the others closed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::Manifest;

pub type Labels = BTreeMap<String, String>;

/// One end of a connection: a Pod with its labels, in a namespace with its
/// labels, and (for a destination) the ports its containers name.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub namespace: String,
    pub namespace_labels: Labels,
    pub pod_labels: Labels,
    pub named_ports: BTreeMap<String, i32>,
}

impl Endpoint {
    /// A Pod outside the release, e.g. the ingress controller.
    pub fn outside(namespace: &str, pod_labels: &[(&str, &str)]) -> Self {
        Self {
            namespace: namespace.to_owned(),
            namespace_labels: namespace_labels(namespace),
            pod_labels: pod_labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            named_ports: BTreeMap::new(),
        }
    }

    /// The Pods of a rendered workload (Deployment, StatefulSet or Pod).
    pub fn of_workload(object: &Manifest) -> Option<Self> {
        let (metadata, spec) = object.pod_template()?;
        let namespace = object.namespace().unwrap_or("default").to_owned();
        Some(Self {
            namespace_labels: namespace_labels(&namespace),
            namespace,
            pod_labels: metadata.labels.clone().unwrap_or_default(),
            named_ports: named_ports(spec),
        })
    }
}

/// Every namespace carries its name as this label (Kubernetes 1.22+).
fn namespace_labels(namespace: &str) -> Labels {
    Labels::from([(
        "kubernetes.io/metadata.name".to_owned(),
        namespace.to_owned(),
    )])
}

fn named_ports(spec: &PodSpec) -> BTreeMap<String, i32> {
    spec.containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| Some((p.name.clone()?, p.container_port)))
        .collect()
}

fn selects(selector: &LabelSelector, labels: &Labels) -> bool {
    let by_labels = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = selector.match_expressions.iter().flatten().all(|e| {
        let value = labels.get(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions
}

/// Whether `peer` (written in `policy_namespace`'s policy) names `pod`.
fn peer_matches(peer: &NetworkPolicyPeer, policy_namespace: &str, pod: &Endpoint) -> bool {
    match (&peer.namespace_selector, &peer.pod_selector) {
        (None, None) => false, // an ipBlock: not a Pod of the cluster
        (None, Some(pods)) => pod.namespace == policy_namespace && selects(pods, &pod.pod_labels),
        (Some(namespaces), pods) => {
            selects(namespaces, &pod.namespace_labels)
                && pods.as_ref().is_none_or(|p| selects(p, &pod.pod_labels))
        }
    }
}

fn port_matches(ports: Option<&Vec<NetworkPolicyPort>>, port: i32, destination: &Endpoint) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|p| match &p.port {
        None => true,
        Some(IntOrString::Int(number)) => {
            *number == port
                || p.end_port
                    .is_some_and(|end| (*number..=end).contains(&port))
        }
        Some(IntOrString::String(name)) => destination.named_ports.get(name) == Some(&port),
    })
}

fn policy_namespace(policy: &NetworkPolicy) -> &str {
    policy.metadata.namespace.as_deref().unwrap_or("default")
}

/// The policies that govern `pod` in `direction` ("Ingress" or "Egress").
fn governing<'a>(
    policies: &'a [&'a NetworkPolicy],
    pod: &Endpoint,
    direction: &str,
) -> Vec<&'a NetworkPolicy> {
    policies
        .iter()
        .copied()
        .filter(|p| policy_namespace(p) == pod.namespace)
        .filter(|p| {
            let spec = p.spec.as_ref();
            let selector = spec
                .and_then(|s| s.pod_selector.clone())
                .unwrap_or_default();
            let types = spec.and_then(|s| s.policy_types.clone());
            let has_egress = spec.is_some_and(|s| s.egress.is_some());
            let applies = match types {
                Some(types) => types.iter().any(|t| t == direction),
                // Without policyTypes: Ingress always, Egress when rules exist.
                None => direction == "Ingress" || has_egress,
            };
            applies && selects(&selector, &pod.pod_labels)
        })
        .collect()
}

/// Whether one rule of `policy` matches: its peers (none listed: any peer)
/// name `peer`, and its ports include `port` on `destination`.
fn rule_matches(
    policy: &NetworkPolicy,
    peers: Option<&Vec<NetworkPolicyPeer>>,
    ports: Option<&Vec<NetworkPolicyPort>>,
    peer: &Endpoint,
    destination: &Endpoint,
    port: i32,
) -> bool {
    let peers_ok = peers.is_none_or(|peers| {
        peers.is_empty()
            || peers
                .iter()
                .any(|p| peer_matches(p, policy_namespace(policy), peer))
    });
    peers_ok && port_matches(ports, port, destination)
}

/// Whether `from` may open a connection to `to` on `port`: `from`'s egress
/// and `to`'s ingress must both allow it.
pub fn allows(policies: &[&NetworkPolicy], from: &Endpoint, to: &Endpoint, port: i32) -> bool {
    let egress = governing(policies, from, "Egress");
    let egress_ok = egress.is_empty()
        || egress.iter().any(|p| {
            let rules = p.spec.as_ref().and_then(|s| s.egress.as_ref());
            rules
                .into_iter()
                .flatten()
                .any(|rule| rule_matches(p, rule.to.as_ref(), rule.ports.as_ref(), to, to, port))
        });
    let ingress = governing(policies, to, "Ingress");
    let ingress_ok = ingress.is_empty()
        || ingress.iter().any(|p| {
            let rules = p.spec.as_ref().and_then(|s| s.ingress.as_ref());
            rules.into_iter().flatten().any(|rule| {
                rule_matches(p, rule.from.as_ref(), rule.ports.as_ref(), from, to, port)
            })
        });
    egress_ok && ingress_ok
}
