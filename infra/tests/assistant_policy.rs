//! The assistant's wiring rules against a small release that uses an
//! OpenAI-compatible provider inside the cluster and routes `/mcp` on its
//! Ingress, then one break at a time.

use std::collections::BTreeSet;

use todo_infra::{Expectations, Manifest, PolicyOptions, Report, parse_stream, policy};

const RELEASE: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
data:
  PORT: "8080"
  ASSISTANT_PROVIDER: openai
  ASSISTANT_BASE_URL: http://ollama.ollama:11434/v1
  MCP_ALLOWED_HOSTS: backend,backend.todo.svc,todo.local
---
apiVersion: v1
kind: Secret
metadata: {name: app, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
stringData:
  assistant-api-key: a-long-provider-key-0123456789
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  selector: {matchLabels: {app.kubernetes.io/component: backend}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t, app.kubernetes.io/component: backend}
      annotations: {checksum/config: abc123}
    spec:
      serviceAccountName: app
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: backend
          image: todo-backend:0.1.0
          imagePullPolicy: IfNotPresent
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{configMapRef: {name: backend}}]
          env:
            - name: ASSISTANT_API_KEY
              valueFrom: {secretKeyRef: {name: app, key: assistant-api-key}}
          livenessProbe: {httpGet: {path: /health, port: http}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          resources:
            requests: {cpu: 50m, memory: 32Mi}
            limits: {cpu: 500m, memory: 128Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  selector: {app.kubernetes.io/component: backend}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  rules:
    - host: todo.local
      http:
        paths:
          - {path: /mcp, pathType: Exact, backend: {service: {name: backend, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/component: backend}}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ollama}}}]
      ports: [{port: 11434, protocol: TCP}]
"#;

fn check(text: &str) -> Report {
    let objects: Vec<Manifest> = parse_stream(text)
        .unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let options = PolicyOptions {
        namespace: Some("todo".to_owned()),
        external_secrets: BTreeSet::new(),
        expectations: Expectations::todo(),
    };
    policy::check(&objects, &options)
}

fn rules(report: &Report) -> BTreeSet<&'static str> {
    report.violations.iter().map(|v| v.rule).collect()
}

#[test]
fn the_wired_assistant_passes_its_rules() {
    let report = check(RELEASE);
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
