//! The assistant's wiring rules against a small release that uses an
//! OpenAI-compatible provider inside the cluster and routes `/mcp` on its
//! Ingress, then one break at a time.

use std::collections::BTreeSet;
use std::sync::LazyLock;

mod common;

use common::rules;
use todo_infra::Report;

/// The release this suite checks, then breaks one rule at a time.
static RELEASE: LazyLock<String> = LazyLock::new(|| {
    common::release(&common::Variant {
        config: "  ASSISTANT_PROVIDER: openai\n  ASSISTANT_BASE_URL: http://ollama.ollama:11434/v1\n  MCP_ALLOWED_HOSTS: backend,backend.todo.svc,todo.local\n",
        secrets: "  assistant-api-key: a-long-provider-key-0123456789\n",
        env: "            - name: ASSISTANT_API_KEY\n              valueFrom: {secretKeyRef: {name: app, key: assistant-api-key}}\n",
        ingress_path: "{path: /mcp, pathType: Exact, backend: {service: {name: backend, port: {name: http}}}}",
        more: r#"---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/component: backend}}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ollama}}}]
      ports: [{port: 11434, protocol: TCP}]
"#,
    })
});

fn check(text: &str) -> Report {
    common::check(text, &[])
}

#[test]
fn the_wired_assistant_passes_its_rules() {
    let report = check(&RELEASE);
    assert!(report.passed(), "{report}");
    for rule in [
        "credentials come from Secrets",
        "assistant key from a Secret",
        "provider reachable",
        "MCP allowed hosts name the Service",
        "MCP allowed hosts name the Ingress host",
    ] {
        assert!(
            report.checks.contains_key(rule),
            "rule {rule:?} never ran: {report}"
        );
    }
}

#[test]
fn each_break_of_the_wiring_trips_its_rule() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "valueFrom: {secretKeyRef: {name: app, key: assistant-api-key}}",
            "value: sk-in-the-pod-spec",
            &[
                "credentials come from Secrets",
                "assistant key from a Secret",
            ],
        ),
        (
            "ports: [{port: 11434, protocol: TCP}]",
            "ports: [{port: 443, protocol: TCP}]",
            &["provider reachable"],
        ),
        (
            "ASSISTANT_BASE_URL: http://ollama.ollama:11434/v1",
            "ASSISTANT_BASE_URL: ollama",
            &["provider reachable"],
        ),
        (
            "MCP_ALLOWED_HOSTS: backend,backend.todo.svc,todo.local",
            "MCP_ALLOWED_HOSTS: backend.todo.svc,todo.local",
            &["MCP allowed hosts name the Service"],
        ),
        (
            "MCP_ALLOWED_HOSTS: backend,backend.todo.svc,todo.local",
            "MCP_ALLOWED_HOSTS: backend,backend.todo.svc",
            &["MCP allowed hosts name the Ingress host"],
        ),
        (
            "  PORT: \"8080\"\n",
            "  PORT: \"8080\"\n  ASSISTANT_API_KEY: sk\n",
            &["no secret values in ConfigMaps"],
        ),
    ];
    for (from, to, expected) in cases {
        assert!(RELEASE.contains(from), "fixture has no {from:?}");
        let report = check(&RELEASE.replacen(from, to, 1));
        assert_eq!(
            rules(&report),
            expected.iter().copied().collect::<BTreeSet<_>>(),
            "{from:?} -> {to:?}: {report}"
        );
    }
}

#[test]
fn an_offline_backend_needs_no_key_and_no_egress() {
    let offline = RELEASE
        .replacen(
            "ASSISTANT_PROVIDER: openai",
            "ASSISTANT_PROVIDER: offline",
            1,
        )
        .replacen(
            "ports: [{port: 11434, protocol: TCP}]",
            "ports: [{port: 5432, protocol: TCP}]",
            1,
        );
    let report = check(&offline);
    assert!(report.passed(), "{report}");
    assert!(
        !report.checks.contains_key("provider reachable"),
        "{report}"
    );
}
