//! `infra/k8s/todo.yaml` is written by `cargo xtask chart --write` from the
//! chart (that command also fails CI when the file is stale). Here, without
//! Helm: the committed file is made of typed, policy-clean objects, and the
//! writer reproduces it byte for byte, so nobody edited it by hand.

use std::collections::BTreeSet;
use std::path::Path;

use todo_infra::{Expectations, Manifest, PolicyOptions, parse_stream, plain, policy};

fn committed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s/todo.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_plain_manifests_are_typed_and_pass_the_policy() {
    let objects: Vec<Manifest> = parse_stream(&committed())
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let kinds: BTreeSet<&str> = objects.iter().map(Manifest::kind).collect();
    for kind in [
        "Deployment",
        "StatefulSet",
        "Service",
        "ConfigMap",
        "Ingress",
        "ServiceAccount",
    ] {
        assert!(kinds.contains(kind), "no {kind} in infra/k8s/todo.yaml");
    }
    assert!(
        objects.iter().all(|o| o.hook().is_none()),
        "Helm hooks belong to the chart only"
    );
    let options = PolicyOptions {
        namespace: Some("todo".to_owned()),
        // The user creates it (infra/k8s/README.md); the chart renders no Secret here.
        external_secrets: BTreeSet::from(["todo-secrets".to_owned()]),
        expectations: Expectations::todo(),
        operator_pods: Vec::new(),
        custom_objects: Vec::new(),
    };
    let report = policy::check(&objects, &options);
    assert!(report.passed(), "{report}");
}

#[test]
fn the_writer_reproduces_the_committed_file() {
    let text = committed();
    let header: String = text
        .lines()
        .take_while(|line| line.starts_with("# "))
        .map(|line| format!("{}\n", &line[2..]))
        .collect();
    let objects: Vec<Manifest> = parse_stream(&text)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let written = plain::render(&objects, header.trim_end()).unwrap();
    assert!(
        written == text,
        "infra/k8s/todo.yaml was edited by hand; run `cargo xtask chart --write`"
    );
}
