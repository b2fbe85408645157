//! The e-mail reminders' wiring rules against a small release whose
//! backend sends through an SMTP server on 587 (STARTTLS), its URL in the
//! release's Secret, then one break at a time.

use std::collections::BTreeSet;
use std::sync::LazyLock;

mod common;

use common::rules;
use todo_infra::Report;

/// The release this suite checks, then breaks one rule at a time.
static RELEASE: LazyLock<String> = LazyLock::new(|| {
    common::release(&common::Variant {
        config: "  SMTP_FROM: Todo <todo@example.com>\n  REMINDER_POLL_SECONDS: \"30\"\n",
        secrets: "  smtp-url: smtp://todo:a-long-smtp-password@smtp.example.com?tls=required\n",
        env: "            - name: SMTP_URL\n              valueFrom: {secretKeyRef: {name: app, key: smtp-url}}\n",
        ingress_path: "{path: /, pathType: Prefix, backend: {service: {name: backend, port: {name: http}}}}",
        more: r#"---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend, namespace: todo, labels: {app.kubernetes.io/name: todo, app.kubernetes.io/instance: t}}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/component: backend}}
  policyTypes: [Ingress, Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
      ports: [{port: 587, protocol: TCP}]
"#,
    })
});

fn check(text: &str) -> Report {
    common::check(text, &[])
}

#[test]
fn the_wired_reminders_pass_their_rules() {
    let report = check(&RELEASE);
    assert!(report.passed(), "{report}");
    for rule in [
        "SMTP URL from a Secret",
        "SMTP sender set",
        "SMTP server reachable",
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
            "valueFrom: {secretKeyRef: {name: app, key: smtp-url}}",
            "value: smtp://todo:in-the-pod-spec@smtp.example.com:587",
            &["credentials come from Secrets", "SMTP URL from a Secret"],
        ),
        (
            "  REMINDER_POLL_SECONDS: \"30\"\n",
            "  REMINDER_POLL_SECONDS: \"30\"\n  SMTP_URL: smtp://relay:25\n",
            &["no secret values in ConfigMaps", "SMTP URL from a Secret"],
        ),
        (
            "  SMTP_FROM: Todo <todo@example.com>\n",
            "",
            &["SMTP sender set"],
        ),
        (
            "ports: [{port: 587, protocol: TCP}]",
            "ports: [{port: 465, protocol: TCP}]",
            &["SMTP server reachable"],
        ),
        (
            "@smtp.example.com?tls=required",
            "@smtp.example.com",
            &["SMTP server reachable"],
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
        assert!(
            !report.to_string().contains("a-long-smtp-password"),
            "a report quotes the SMTP password: {report}"
        );
    }
}

#[test]
fn a_url_in_an_existing_secret_is_trusted_for_its_port() {
    let external = RELEASE
        .replacen(
            "{name: app, key: smtp-url}",
            "{name: todo-smtp, key: url}",
            1,
        )
        .replacen(
            "ports: [{port: 587, protocol: TCP}]",
            "ports: [{port: 2525, protocol: TCP}]",
            1,
        );
    let report = common::check(&external, &["todo-smtp"]);
    assert!(report.passed(), "{report}");
    assert!(
        !report.checks.contains_key("SMTP server reachable"),
        "{report}"
    );
}

#[test]
fn a_backend_without_smtp_has_no_reminder_rules() {
    let without = RELEASE
        .replacen(
            "            - name: SMTP_URL\n              valueFrom: {secretKeyRef: {name: app, key: smtp-url}}\n",
            "            - name: UNRELATED\n              value: x\n",
            1,
        )
        .replacen("  SMTP_FROM: Todo <todo@example.com>\n", "", 1);
    let report = check(&without);
    assert!(report.passed(), "{report}");
    assert!(!report.checks.contains_key("SMTP sender set"), "{report}");
}
