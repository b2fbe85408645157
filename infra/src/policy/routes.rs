//! Rules for the Gateway API's HTTPRoutes. They are custom objects, whose
//! shape their CRDs check (`custom_resources`); here: every backend a
//! route names is a rendered Service port, and a route that publishes /mcp
//! names only hosts the backend's MCP_ALLOWED_HOSTS lists, as for the
//! Ingress.

use serde_json::Value;

use super::Report;
use super::assistant::{allowed_hosts_behind, host_listed};
use super::index::Index;
use crate::manifest::CustomObject;

pub(super) fn route_rules(route: &CustomObject, index: &Index, report: &mut Report) {
    if !route.api_version.starts_with("gateway.networking.k8s.io/") || route.kind != "HTTPRoute" {
        return;
    }
    let id = format!("{}/{}", route.kind, route.name);
    let namespace = route.raw["metadata"]["namespace"].as_str();
    let hostnames: Vec<&str> = route.raw["spec"]["hostnames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for rule in route.raw["spec"]["rules"].as_array().into_iter().flatten() {
        let publishes_mcp = rule["matches"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["path"]["value"] == "/mcp");
        for backend in rule["backendRefs"].as_array().into_iter().flatten() {
            let name = backend["name"].as_str().unwrap_or("");
            let port = backend["port"].as_i64();
            let service = index.service(name, namespace);
            let exposes = service.is_some_and(|s| {
                s.spec
                    .iter()
                    .flat_map(|spec| spec.ports.iter().flatten())
                    .any(|p| Some(i64::from(p.port)) == port)
            });
            report.check("route backends exist", &id, exposes, || {
                format!("backendRef {name}:{port:?} is not a port of a rendered Service")
            });
            let Some(service) = service.filter(|_| publishes_mcp) else {
                continue;
            };
            for hosts in allowed_hosts_behind(service, namespace, index) {
                for host in &hostnames {
                    report.check(
                        "MCP allowed hosts name the route's host",
                        &id,
                        host_listed(&hosts, host),
                        || {
                            format!(
                                "/mcp is routed to {name:?} but MCP_ALLOWED_HOSTS {hosts:?} lacks {host:?}"
                            )
                        },
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::manifest::{parse_stream, parse_stream_with_custom};
    use crate::policy::{PolicyOptions, check};

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: todo}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 3000, targetPort: http}]\n";

    fn route(backend: &str, port: u16) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: todo}}\nspec:\n  hostnames: [todo.example.com]\n  rules:\n    - matches: [{{path: {{type: PathPrefix, value: /}}}}]\n      backendRefs: [{{name: {backend}, port: {port}}}]\n"
        )
    }

    fn violations(route: &str) -> Vec<String> {
        let objects: Vec<_> = parse_stream(SERVICE)
            .unwrap()
            .into_iter()
            .map(|d| d.manifest)
            .collect();
        let (_, customs) =
            parse_stream_with_custom(route, |v| v.starts_with("gateway.networking.k8s.io/"))
                .unwrap();
        let options = PolicyOptions {
            namespace: Some("todo".into()),
            custom_objects: customs,
            ..PolicyOptions::default()
        };
        check(&objects, &options)
            .violations
            .into_iter()
            .filter(|v| v.rule == "route backends exist")
            .map(|v| v.detail)
            .collect()
    }

    #[test]
    fn a_route_must_name_a_rendered_service_port() {
        assert!(violations(&route("web", 3000)).is_empty());
        assert_eq!(violations(&route("web", 8080)).len(), 1);
        let missing = violations(&route("api", 3000));
        assert!(missing[0].contains("api"), "{missing:?}");
    }
}
