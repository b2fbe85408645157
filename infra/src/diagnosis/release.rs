//! Rules on the release as a whole rather than its Pods: a Helm release
//! left in a pending state, and an Ingress users cannot reach (no address,
//! or on minikube a host that /etc/hosts does not send to `minikube ip`).

use k8s_openapi::api::networking::v1::Ingress;
use serde::Deserialize;

use super::{Finding, finding};

/// One line of `helm history -o json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Revision {
    pub revision: u32,
    pub status: String,
    #[serde(default)]
    pub description: String,
}

/// A release whose last operation never finished blocks every later
/// `helm upgrade` ("another operation is in progress"). The fix is a
/// rollback to the last good revision, or an uninstall when there is none.
pub fn pending_release(history: &[Revision], release: &str, namespace: &str) -> Option<Finding> {
    let last = history.iter().max_by_key(|r| r.revision)?;
    let subject = format!("helm release {release}");
    let good = history
        .iter()
        .filter(|r| r.revision < last.revision)
        .filter(|r| matches!(r.status.as_str(), "deployed" | "superseded"))
        .map(|r| r.revision)
        .max();
    let fix = match good {
        Some(revision) => format!(
            "roll back to the last good revision, then deploy again: `helm rollback {release} {revision} -n {namespace} --wait` (then `cargo xtask deploy`)"
        ),
        None => format!(
            "nothing was ever deployed: `helm uninstall {release} -n {namespace}` (the database volume and the deploy Secret are kept), then `cargo xtask deploy`"
        ),
    };
    match last.status.as_str() {
        status @ ("pending-install" | "pending-upgrade" | "pending-rollback") => Some(finding(
            &subject,
            format!("stuck in {status} (revision {})", last.revision),
            "a helm operation was interrupted (Ctrl-C, a closed laptop, a lost connection) before it recorded its result; Helm refuses every later upgrade with \"another operation (install/upgrade/rollback) is in progress\"",
            fix,
        )),
        "failed" => Some(finding(
            &subject,
            format!("its last operation failed (revision {})", last.revision),
            if last.description.is_empty() {
                "see `helm history`".to_owned()
            } else {
                last.description.clone()
            },
            fix,
        )),
        _ => None,
    }
}

/// The Ingresses' reachability. `minikube` is `minikube ip` on a minikube
/// cluster (its hosts must resolve there), `hosts` the text of /etc/hosts.
pub fn ingress_reachability(
    ingresses: &[Ingress],
    minikube: Option<&str>,
    hosts: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for ingress in ingresses {
        let name = ingress.metadata.name.clone().unwrap_or_default();
        let addresses: Vec<String> = ingress
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
            .collect();
        if addresses.is_empty() {
            let class = ingress
                .spec
                .as_ref()
                .and_then(|s| s.ingress_class_name.clone())
                .unwrap_or_else(|| "(default)".into());
            findings.push(finding(
                &format!("ingress/{name}"),
                "no address",
                format!("no ingress controller has admitted it (class {class}): none runs, or it watches another class"),
                match minikube {
                    Some(_) => "`minikube addons enable ingress`, then `kubectl -n ingress-nginx get pods` until the controller is Running".to_owned(),
                    None => "install one (`cargo xtask deploy --ingress true` applies ingress-nginx on kind), or set ingress.className to the class yours watches; `kubectl get ingressclass`".to_owned(),
                },
            ));
        }
        let Some(ip) = minikube else { continue };
        let rule_hosts = ingress
            .spec
            .as_ref()
            .and_then(|s| s.rules.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|r| r.host.clone());
        for host in rule_hosts {
            let resolved = resolve_in_hosts(hosts, &host);
            let add = format!("echo \"{ip} {host}\" | sudo tee -a /etc/hosts");
            match resolved {
                None => findings.push(finding(
                    &format!("ingress/{name}"),
                    format!("{host} is not in /etc/hosts"),
                    format!("the browser cannot find {host}; minikube's ingress answers on {ip}"),
                    format!("{add} (with the docker driver on macOS or Windows: `minikube tunnel` and 127.0.0.1 instead)"),
                )),
                Some(address) if address != ip && address != "127.0.0.1" => findings.push(finding(
                    &format!("ingress/{name}"),
                    format!("{host} points at {address} in /etc/hosts"),
                    format!("minikube's ingress answers on {ip} (`minikube ip`; it changes when the cluster is recreated)"),
                    format!("replace the line for {host} in /etc/hosts: {ip} {host}"),
                )),
                Some(_) => {}
            }
        }
    }
    findings
}

/// The address /etc/hosts gives `host` (the first line naming it wins, as
/// for the resolver).
fn resolve_in_hosts<'a>(hosts: &'a str, host: &str) -> Option<&'a str> {
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let address = fields.next()?;
        fields
            .any(|name| name.eq_ignore_ascii_case(host))
            .then_some(address)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(json: &str) -> Vec<Revision> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_interrupted_upgrade_is_rolled_back_to_the_last_good_revision() {
        // `helm history todo -n todo -o json` after a Ctrl-C during an upgrade.
        let recorded = history(
            r#"[{"revision":1,"updated":"2026-12-01T10:00:00Z","status":"superseded","chart":"todo-0.1.0","app_version":"0.1.0","description":"Install complete"},
                {"revision":2,"updated":"2026-12-01T11:00:00Z","status":"deployed","chart":"todo-0.1.0","app_version":"0.1.0","description":"Upgrade complete"},
                {"revision":3,"updated":"2026-12-02T09:00:00Z","status":"pending-upgrade","chart":"todo-0.1.0","app_version":"0.1.0","description":"Preparing upgrade"}]"#,
        );
        let found = pending_release(&recorded, "todo", "todo").unwrap();
        assert_eq!(found.problem, "stuck in pending-upgrade (revision 3)");
        assert!(
            found.fix.contains("helm rollback todo 2 -n todo --wait"),
            "{}",
            found.fix
        );
    }

    #[test]
    fn an_interrupted_first_install_is_uninstalled() {
        let recorded = history(
            r#"[{"revision":1,"updated":"2026-12-02T09:00:00Z","status":"pending-install","chart":"todo-0.1.0","app_version":"0.1.0","description":"Initial install underway"}]"#,
        );
        let found = pending_release(&recorded, "todo", "todo").unwrap();
        assert_eq!(found.problem, "stuck in pending-install (revision 1)");
        assert!(found.fix.contains("helm uninstall todo -n todo"));
    }

    #[test]
    fn a_deployed_release_raises_nothing_and_a_failed_one_says_why() {
        let ok = history(
            r#"[{"revision":1,"status":"superseded","description":"Install complete"},{"revision":2,"status":"deployed","description":"Upgrade complete"}]"#,
        );
        assert_eq!(pending_release(&ok, "todo", "todo"), None);
        let failed = history(
            r#"[{"revision":1,"status":"deployed","description":"Install complete"},{"revision":2,"status":"failed","description":"Upgrade \"todo\" failed: context deadline exceeded"}]"#,
        );
        let found = pending_release(&failed, "todo", "todo").unwrap();
        assert!(found.cause.contains("context deadline exceeded"));
        assert!(found.fix.contains("helm rollback todo 1"));
    }

    fn ingress(json: serde_json::Value) -> Ingress {
        serde_json::from_value(json).unwrap()
    }

    fn todo_ingress(status: serde_json::Value) -> Ingress {
        ingress(serde_json::json!({
            "metadata": {"name": "todo"},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "todo.local"}]},
            "status": status
        }))
    }

    #[test]
    fn an_ingress_without_an_address_names_the_missing_controller() {
        let pending = todo_ingress(serde_json::json!({"loadBalancer": {}}));
        let findings = ingress_reachability(std::slice::from_ref(&pending), None, "");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].problem, "no address");
        assert!(findings[0].cause.contains("class nginx"));
        let on_minikube = ingress_reachability(
            &[pending],
            Some("192.168.49.2"),
            "192.168.49.2 todo.local\n",
        );
        assert!(
            on_minikube[0]
                .fix
                .contains("minikube addons enable ingress")
        );
    }

    #[test]
    fn on_minikube_the_host_must_resolve_to_minikube_ip() {
        let admitted = todo_ingress(
            serde_json::json!({"loadBalancer": {"ingress": [{"ip": "192.168.49.2"}]}}),
        );
        let hosts = "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n";
        let missing =
            ingress_reachability(std::slice::from_ref(&admitted), Some("192.168.49.2"), hosts);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].problem, "todo.local is not in /etc/hosts");
        assert!(
            missing[0]
                .fix
                .starts_with("echo \"192.168.49.2 todo.local\" | sudo tee -a /etc/hosts")
        );

        let stale = format!("{hosts}192.168.49.3 todo.local # an older cluster\n");
        let wrong = ingress_reachability(
            std::slice::from_ref(&admitted),
            Some("192.168.49.2"),
            &stale,
        );
        assert_eq!(
            wrong[0].problem,
            "todo.local points at 192.168.49.3 in /etc/hosts"
        );

        let right = format!("{hosts}192.168.49.2 todo todo.local\n");
        assert!(
            ingress_reachability(
                std::slice::from_ref(&admitted),
                Some("192.168.49.2"),
                &right
            )
            .is_empty()
        );
        // Off minikube, /etc/hosts is the user's business (DNS, a tunnel).
        assert!(ingress_reachability(&[admitted], None, hosts).is_empty());
    }
}
