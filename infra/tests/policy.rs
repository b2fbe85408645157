//! The policy module against a small compliant release, then against one
//! break at a time: each break must trip exactly the rule it breaks.

use std::collections::BTreeSet;
use std::sync::LazyLock;

mod common;

use common::rules;
use todo_infra::Report;

/// The release this suite checks, then breaks one rule at a time.
static RELEASE: LazyLock<String> = LazyLock::new(|| {
    common::release(&common::Variant {
        config: "  LOG_FORMAT: json\n",
        secrets: "  jwt-secret: a-very-long-signing-key-0123456789\n  postgres-password: hunter2hunter2\n",
        env: "            - name: DATABASE_PASSWORD\n              valueFrom: {secretKeyRef: {name: app, key: postgres-password}}\n            - name: DATABASE_URL\n              value: postgres://todo:$(DATABASE_PASSWORD)@db:5432/todo\n",
        ingress_path: "{path: /, pathType: Prefix, backend: {service: {name: backend, port: {name: http}}}}",
        more: "",
    })
});

fn check(text: &str) -> Report {
    common::check(text, &["provided-elsewhere"])
}

fn broken(from: &str, to: &str) -> Report {
    assert!(RELEASE.contains(from), "fixture has no {from:?}");
    check(&RELEASE.replacen(from, to, 1))
}

#[test]
fn the_compliant_release_passes_every_check() {
    let report = check(&RELEASE);
    assert!(report.passed(), "{report}");
    assert_eq!(report.objects, 6);
    // One check per rule application: the number moves only when rules do.
    assert!(report.total_checks() >= 40, "{report}");
    for rule in [
        "non-root",
        "read-only root filesystem",
        "no privilege escalation",
        "capabilities dropped",
        "seccomp RuntimeDefault",
        "requests and limits",
        "probes on the right paths and ports",
        "env references resolve",
        "services select Pods",
        "services target declared ports",
        "ingress backends exist",
        "no secret values in ConfigMaps",
    ] {
        assert!(
            report.checks.contains_key(rule),
            "rule {rule:?} never ran: {report}"
        );
    }
}

#[test]
fn each_break_trips_its_own_rule_only() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "read-only root filesystem",
        ),
        (
            "runAsNonRoot: true, runAsUser: 65532",
            "runAsUser: 0",
            "non-root",
        ),
        (
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
            "no privilege escalation",
        ),
        ("drop: [ALL]", "drop: [NET_RAW]", "capabilities dropped"),
        (
            "type: RuntimeDefault",
            "type: Unconfined",
            "seccomp RuntimeDefault",
        ),
        (
            "limits: {cpu: 500m, memory: 128Mi}",
            "limits: {cpu: 500m}",
            "requests and limits",
        ),
        (
            "readinessProbe: {httpGet: {path: /ready",
            "readinessProbe: {httpGet: {path: /health",
            "probes on the right paths and ports",
        ),
        (
            "key: postgres-password",
            "key: password",
            "env references resolve",
        ),
        ("@db:5432", "@$(DB_HOST):5432", "env references resolve"),
        (
            "configMapRef: {name: backend}",
            "configMapRef: {name: missing}",
            "env references resolve",
        ),
        (
            "selector: {app.kubernetes.io/component: backend}",
            "selector: {app.kubernetes.io/component: frontend}",
            "services select Pods",
        ),
        (
            "targetPort: http",
            "targetPort: metrics",
            "services target declared ports",
        ),
        (
            "service: {name: backend, port: {name: http}}",
            "service: {name: frontend, port: {name: http}}",
            "ingress backends exist",
        ),
        (
            "LOG_FORMAT: json",
            "LOG_FORMAT: a-very-long-signing-key-0123456789",
            "no secret values in ConfigMaps",
        ),
        (
            "LOG_FORMAT: json",
            "DB_PASSWORD: x",
            "no secret values in ConfigMaps",
        ),
        (
            "name: app, namespace: todo",
            "name: app, namespace: default",
            "namespaced",
        ),
        (
            "maxUnavailable: 0",
            "maxUnavailable: 1",
            "rolling update keeps capacity",
        ),
        (
            "image: todo-backend:0.1.0",
            "image: todo-backend:latest",
            "pinned image",
        ),
        (
            "annotations: {checksum/config: abc123}",
            "annotations: {example.com/owner: me}",
            "config changes roll Pods",
        ),
        (
            "imagePullPolicy: IfNotPresent",
            "imagePullPolicy: Always",
            "pull policy IfNotPresent",
        ),
    ];
    for (from, to, rule) in cases {
        let report = broken(from, to);
        assert_eq!(
            rules(&report),
            BTreeSet::from([*rule]),
            "{from:?} -> {to:?}: {report}"
        );
    }
}

#[test]
fn a_mounted_token_passes_only_when_the_service_account_forbids_it() {
    // The Pod no longer says false, but its ServiceAccount does.
    let report = broken("      automountServiceAccountToken: false\n", "");
    assert!(report.passed(), "{report}");
    let report = check(
        &RELEASE
            .replacen("      automountServiceAccountToken: false\n", "", 1)
            .replacen(
                "automountServiceAccountToken: false",
                "automountServiceAccountToken: true",
                1,
            ),
    );
    assert_eq!(
        rules(&report),
        BTreeSet::from(["service account token not mounted"]),
        "{report}"
    );
}

#[test]
fn declared_existing_secrets_resolve_and_others_do_not() {
    let report = broken(
        "secretKeyRef: {name: app,",
        "secretKeyRef: {name: provided-elsewhere,",
    );
    assert!(report.passed(), "{report}");
    let report = broken("secretKeyRef: {name: app,", "secretKeyRef: {name: nowhere,");
    assert_eq!(rules(&report), BTreeSet::from(["env references resolve"]));
    assert!(
        report.violations[0].detail.contains("\"nowhere\""),
        "{report}"
    );
}

#[test]
fn violations_name_the_object_and_container() {
    let report = broken(
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    );
    let text = report.violations[0].to_string();
    assert_eq!(
        text,
        "Deployment/backend container backend [read-only root filesystem]: securityContext.readOnlyRootFilesystem is not true"
    );
}

#[test]
fn a_budget_must_leave_room_for_an_eviction() {
    let budget = "---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  minAvailable: 1
  selector: {matchLabels: {app.kubernetes.io/component: backend}}
";
    // One replica (replicas unset) and minAvailable 1: no Pod may ever be evicted.
    let report = check(&format!("{}{budget}", *RELEASE));
    assert_eq!(
        rules(&report),
        BTreeSet::from(["disruption budget allows evictions"]),
        "{report}"
    );
    assert!(
        report.violations[0]
            .detail
            .contains("Deployment/backend runs at least 1 replica"),
        "{report}"
    );

    let two = RELEASE.replacen("spec:\n  selector:", "spec:\n  replicas: 2\n  selector:", 1);
    let report = check(&format!("{two}{budget}"));
    assert!(report.passed(), "{report}");

    // An autoscaler's floor counts, not spec.replicas.
    let hpa = "---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: backend}
  minReplicas: 2
  maxReplicas: 4
";
    let report = check(&format!("{}{budget}{hpa}", *RELEASE));
    assert!(report.passed(), "{report}");
}

#[test]
fn probes_must_exist_and_hit_declared_ports() {
    let report = broken(
        "          livenessProbe: {httpGet: {path: /health, port: http}}\n",
        "",
    );
    assert_eq!(rules(&report), BTreeSet::from(["probes"]), "{report}");
    assert!(
        report.violations[0].detail.contains("no liveness probe"),
        "{report}"
    );

    let report = broken("path: /ready, port: 8080", "path: /ready, port: 9090");
    assert_eq!(
        rules(&report),
        BTreeSet::from([
            "probes target declared ports",
            "probes on the right paths and ports"
        ]),
        "{report}"
    );
}

#[test]
fn mounts_need_a_declared_volume() {
    let report = broken(
        "          envFrom: [{configMapRef: {name: backend}}]\n",
        "          envFrom: [{configMapRef: {name: backend}}]\n          volumeMounts: [{name: scratch, mountPath: /tmp}]\n",
    );
    assert_eq!(
        rules(&report),
        BTreeSet::from(["volume mounts resolve"]),
        "{report}"
    );
}
