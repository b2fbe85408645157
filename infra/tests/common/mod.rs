//! What the policy suites share: a small release as the chart renders it
//! (a ServiceAccount, the backend's ConfigMap, Secret, Deployment and
//! Service, an Ingress), varied per suite, and the policy run over it.

use std::collections::BTreeSet;

use todo_infra::{Expectations, Manifest, PolicyOptions, Report, parse_stream, policy};

/// The parts of a release that differ between suites.
pub struct Variant<'a> {
    /// Lines of the backend ConfigMap's `data` after `PORT`.
    pub config: &'a str,
    /// Lines of the Secret's `stringData`.
    pub secrets: &'a str,
    /// Items of the backend container's `env`.
    pub env: &'a str,
    /// The Ingress rule's one path.
    pub ingress_path: &'a str,
    /// Objects after the Ingress (each starting with `---`).
    pub more: &'a str,
}

/// The release, as YAML.
pub fn release(variant: &Variant<'_>) -> String {
    let Variant {
        config,
        secrets,
        env,
        ingress_path,
        more,
    } = variant;
    format!(
        r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: app, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: backend, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
data:
  PORT: "8080"
{config}---
apiVersion: v1
kind: Secret
metadata: {{name: app, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
stringData:
{secrets}---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: backend, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
spec:
  selector: {{matchLabels: {{app.kubernetes.io/component: backend}}}}
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxUnavailable: 0, maxSurge: 1}}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t, app.kubernetes.io/component: backend}}
      annotations: {{checksum/config: abc123}}
    spec:
      serviceAccountName: app
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true, runAsUser: 65532, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
        - name: backend
          image: todo-backend:0.1.0
          imagePullPolicy: IfNotPresent
          ports: [{{name: http, containerPort: 8080}}]
          envFrom: [{{configMapRef: {{name: backend}}}}]
          env:
{env}          livenessProbe: {{httpGet: {{path: /health, port: http}}}}
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          resources:
            requests: {{cpu: 50m, memory: 32Mi}}
            limits: {{cpu: 500m, memory: 128Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {{name: backend, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
spec:
  selector: {{app.kubernetes.io/component: backend}}
  ports: [{{name: http, port: 8080, targetPort: http}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: todo, labels: {{app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}}}
spec:
  rules:
    - host: todo.local
      http:
        paths:
          - {ingress_path}
{more}"#
    )
}

/// The policy's report on `text`, with `external_secrets` taken as given.
pub fn check(text: &str, external_secrets: &[&str]) -> Report {
    let objects: Vec<Manifest> = parse_stream(text)
        .unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let options = PolicyOptions {
        namespace: Some("todo".to_owned()),
        external_secrets: external_secrets.iter().map(|s| (*s).to_owned()).collect(),
        expectations: Expectations::todo(),
        operator_pods: Vec::new(),
        custom_objects: Vec::new(),
    };
    policy::check(&objects, &options)
}

/// The rules a report says were broken.
pub fn rules(report: &Report) -> BTreeSet<&'static str> {
    report.violations.iter().map(|v| v.rule).collect()
}
