//! The chart's default NetworkPolicies (as rendered into
//! `infra/k8s/todo.yaml`) open exactly the paths the app needs: the
//! ingress controller (minikube's addon and kind's manifest both run in
//! `ingress-nginx`) to the frontend, the frontend to the backend, the
//! backend to its database, DNS; and nothing else.

use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use todo_infra::policy::network::{Endpoint, allows};
use todo_infra::{Manifest, parse_stream};

fn rendered() -> Vec<Manifest> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s/todo.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    parse_stream(&text)
        .unwrap()
        .into_iter()
        .map(|d| d.manifest)
        .collect()
}

fn workload(objects: &[Manifest], name: &str) -> Endpoint {
    objects
        .iter()
        .find(|o| o.name() == name && o.pod_template().is_some())
        .and_then(Endpoint::of_workload)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

#[test]
fn the_default_policies_open_the_apps_paths_and_close_the_rest() {
    let objects = rendered();
    let policies: Vec<&NetworkPolicy> = objects
        .iter()
        .filter_map(|o| match o {
            Manifest::NetworkPolicy(p) => Some(p.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(
        policies.len(),
        3,
        "frontend, backend and database each get one"
    );
    let frontend = workload(&objects, "todo-frontend");
    let backend = workload(&objects, "todo-backend");
    let database = workload(&objects, "todo-postgresql");
    let controller = Endpoint::outside(
        "ingress-nginx",
        &[("app.kubernetes.io/component", "controller")],
    );
    let stranger = Endpoint::outside("default", &[("run", "curl")]);
    let dns = Endpoint::outside("kube-system", &[("k8s-app", "kube-dns")]);

    let open = [
        (
            "ingress controller -> frontend",
            &controller,
            &frontend,
            3000,
        ),
        ("frontend -> backend", &frontend, &backend, 8080),
        ("backend -> database", &backend, &database, 5432),
        ("frontend -> DNS", &frontend, &dns, 53),
        ("backend -> DNS", &backend, &dns, 53),
    ];
    for (path, from, to, port) in open {
        assert!(allows(&policies, from, to, port), "{path} must be open");
    }
    let closed = [
        ("another namespace -> frontend", &stranger, &frontend, 3000),
        ("another namespace -> backend", &stranger, &backend, 8080),
        ("ingress controller -> backend", &controller, &backend, 8080),
        ("frontend -> database", &frontend, &database, 5432),
        (
            "ingress controller -> database",
            &controller,
            &database,
            5432,
        ),
        (
            "frontend -> backend on another port",
            &frontend,
            &backend,
            9090,
        ),
        ("database -> backend", &database, &backend, 8080),
        ("frontend -> the internet", &frontend, &stranger, 443),
    ];
    for (path, from, to, port) in closed {
        assert!(!allows(&policies, from, to, port), "{path} must be closed");
    }
}

#[test]
fn without_policies_everything_is_open() {
    let objects = rendered();
    let frontend = workload(&objects, "todo-frontend");
    let database = workload(&objects, "todo-postgresql");
    assert!(allows(&[], &frontend, &database, 5432));
}
