//! The Gateway API CRDs load, and an HTTPRoute like the chart's is valid
//! against them while a broken one is not.

use todo_infra::custom_resources::Crds;

const ROUTE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: todo, namespace: todo}
spec:
  parentRefs: [{name: eg, namespace: envoy-gateway-system}]
  hostnames: [todo.example.com]
  rules:
    - matches: [{path: {type: Exact, value: /mcp}}]
      backendRefs: [{name: todo-backend, port: 8080}]
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: todo-frontend, port: 3000}]
"#;

#[test]
fn an_http_route_like_the_charts_is_valid_and_a_broken_one_is_not() {
    let crds = Crds::chart().expect("the embedded CRDs load");
    assert!(crds.covers("gateway.networking.k8s.io/v1"));
    let route: serde_json::Value = serde_saphyr::from_str(ROUTE).unwrap();
    let validation = crds.validate(&route).unwrap();
    assert!(validation.is_valid(), "{validation}");
    let broken = serde_saphyr::from_str(&ROUTE.replace("PathPrefix", "Prefix")).unwrap();
    let validation = crds.validate(&broken).unwrap();
    assert!(!validation.is_valid());
    assert!(
        validation
            .to_string()
            .contains("spec.rules[1].matches[0].path.type"),
        "{validation}"
    );
}
