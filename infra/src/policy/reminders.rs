//! Rules for the e-mail reminders' wiring, read from what the containers
//! get: a container given `SMTP_URL` (which holds the SMTP password) has it
//! from a Secret, has the `SMTP_FROM` the backend requires beside it, and,
//! where the rendered Secret shows the URL, may reach the port it connects
//! to through every NetworkPolicy that limits its egress. (A URL in a
//! ConfigMap or written into the Pod spec is also caught by "no secret
//! values in ConfigMaps" and "credentials come from Secrets".)

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Report;
use super::assistant::{allows_port, plain_environment, restricts_egress};
use super::index::Index;
use crate::manifest::Manifest;

/// The port a lettre SMTP URL connects to: its own, else 465 for
/// `smtps://`, 587 with a `tls=` parameter (STARTTLS), 25 for plain
/// `smtp://`. None for anything else.
fn smtp_port(url: &str) -> Option<i32> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let host_port = authority.rsplit('@').next()?;
    let own = match host_port.rsplit_once(':') {
        Some((_, port)) if !port.contains(']') => Some(port.parse().ok()?),
        _ => None,
    };
    let query = after
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .unwrap_or("");
    let starttls = query.split('&').any(|pair| pair.starts_with("tls="));
    match (scheme, own) {
        ("smtp" | "smtps", Some(port)) => Some(port),
        ("smtps", None) => Some(465),
        ("smtp", None) if starttls => Some(587),
        ("smtp", None) => Some(25),
        _ => None,
    }
}

pub(super) fn smtp_rules(
    object: &Manifest,
    meta: &ObjectMeta,
    spec: &PodSpec,
    index: &Index,
    policies: &[&NetworkPolicy],
    report: &mut Report,
) {
    let labels = meta.labels.clone().unwrap_or_default();
    let namespace = object.namespace();
    for container in &spec.containers {
        let environment = plain_environment(container, namespace, index);
        let from_secret = container
            .env
            .iter()
            .flatten()
            .filter(|var| var.name == "SMTP_URL")
            .find_map(|var| {
                var.value_from
                    .as_ref()
                    .and_then(|from| from.secret_key_ref.as_ref())
            });
        if from_secret.is_none() && !environment.contains_key("SMTP_URL") {
            continue;
        }
        let subject = format!("{} container {}", object.id(), container.name);
        report.check(
            "SMTP URL from a Secret",
            &subject,
            from_secret.is_some() && !environment.contains_key("SMTP_URL"),
            || {
                "SMTP_URL holds the SMTP password: give it by secretKeyRef only, never in a ConfigMap or the Pod spec".to_owned()
            },
        );
        report.check(
            "SMTP sender set",
            &subject,
            environment
                .get("SMTP_FROM")
                .is_some_and(|from| from.contains('@')),
            || "SMTP_URL is set but SMTP_FROM (the From address) is not: the backend would not start".to_owned(),
        );
        // The URL is known only when the release renders its Secret.
        let Some(url) = from_secret.and_then(|r| index.secret_value(&r.name, &r.key, namespace))
        else {
            continue;
        };
        let port = smtp_port(&url);
        let governing: Vec<_> = policies
            .iter()
            .filter(|p| restricts_egress(p, &labels))
            .collect();
        let reachable = match port {
            None => false,
            Some(port) => governing.is_empty() || governing.iter().any(|p| allows_port(p, port)),
        };
        // Never the URL in a message: it holds the password.
        report.check("SMTP server reachable", &subject, reachable, || match port {
            None => "SMTP_URL is not an smtp:// or smtps:// URL with a port lettre can tell".to_owned(),
            Some(port) => format!(
                "NetworkPolicies restrict its egress and none allows TCP {port}, the port SMTP_URL connects to"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::smtp_port;

    #[test]
    fn ports_come_from_the_url_or_as_lettre_defaults_them() {
        assert_eq!(
            smtp_port("smtp://u:p@mail.example.com:587?tls=required"),
            Some(587)
        );
        assert_eq!(smtp_port("smtp://mail.example.com?tls=required"), Some(587));
        assert_eq!(
            smtp_port("smtp://mail.example.com/helo.example.com?tls=opportunistic"),
            Some(587)
        );
        assert_eq!(smtp_port("smtps://u:p@mail.example.com"), Some(465));
        assert_eq!(smtp_port("smtps://u:p@mail.example.com:2465"), Some(2465));
        assert_eq!(smtp_port("smtp://relay.mail.svc"), Some(25));
        assert_eq!(smtp_port("smtp://u:p%3A1@[2001:db8::1]"), Some(25));
        assert_eq!(smtp_port("smtp://u:p@ss@relay:2525"), Some(2525));
        assert_eq!(smtp_port("https://mail.example.com"), None);
        assert_eq!(smtp_port("smtp://relay:port"), None);
        assert_eq!(smtp_port("relay:25"), None);
    }
}
