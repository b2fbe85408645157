//! The Grafana dashboard the chart ships (`helm/todo/files/grafana-dashboard.json`,
//! mounted by `templates/grafana-dashboard.yaml`) must query only what
//! exists: every application metric (`http_*`, `db_*`, `todo_*`) and every
//! label it filters or groups by is read from a live backend's `/metrics`,
//! and any other metric must be on an explicit allow-list naming the
//! exporter that provides it. A renamed metric or label then fails here
//! instead of leaving an empty panel in production. The alert rules of
//! `templates/prometheusrule.yaml` are held to the same standard.

use std::collections::{BTreeMap, BTreeSet};
use todo_service::application::Configured as _;

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{self, Expr, LabelModifier, VectorMatchCardinality, VectorSelector};
use serde_json::Value;
use todo_api::{ApiClient, ListQuery, NewTask, SignupRequest};
use todo_backend::{Application, Config};

const DASHBOARD: &str = include_str!("../../helm/todo/files/grafana-dashboard.json");
const ALERT_RULES: &str = include_str!("../../helm/todo/templates/prometheusrule.yaml");

/// Metrics the backend itself exports start with one of these.
const APPLICATION_PREFIXES: [&str; 3] = ["http_", "db_", "todo_"];

/// Metrics from other exporters of kube-prometheus-stack that the
/// dashboard and the alerts may use, each with where it comes from.
const EXTERNAL_METRICS: [(&str, &str); 9] = [
    ("kube_pod_status_ready", "kube-state-metrics"),
    (
        "kube_cronjob_status_last_successful_time",
        "kube-state-metrics",
    ),
    ("kube_cronjob_created", "kube-state-metrics"),
    (
        "cnpg_collector_last_available_backup_timestamp",
        "the CloudNativePG instances' exporter",
    ),
    ("up", "Prometheus itself (one series per scrape target)"),
    (
        "kube_pod_container_status_restarts_total",
        "kube-state-metrics",
    ),
    ("kube_pod_container_resource_limits", "kube-state-metrics"),
    ("container_cpu_usage_seconds_total", "cAdvisor (kubelet)"),
    ("container_memory_working_set_bytes", "cAdvisor (kubelet)"),
];

/// Labels Prometheus attaches to every series it scrapes through the
/// chart's ServiceMonitor (and kube-state-metrics/cAdvisor series carry).
const TARGET_LABELS: [&str; 9] = [
    "namespace",
    "cronjob",
    "service",
    "pod",
    "container",
    "endpoint",
    "job",
    "instance",
    "resource",
];

/// Metric name → label name → values seen, from an exposition text.
type Exported = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// One sample line of the text format: `name{k="v",…} value`.
fn parse_sample(line: &str) -> Result<(String, Vec<(String, String)>), String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or_else(|| format!("no value in {line:?}"))?;
    let name = line[..name_end].to_owned();
    let mut labels = Vec::new();
    if line[name_end..].starts_with('{') {
        let mut chars = line[name_end + 1..].chars();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            let key = key.trim_start_matches(',').trim().to_owned();
            if key.starts_with('}') {
                break;
            }
            if chars.next() != Some('"') {
                return Err(format!("label {key} has no quoted value in {line:?}"));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated value in {line:?}")),
                }
            }
            labels.push((key, value));
            match chars.next() {
                Some(',') => continue,
                Some('}') => break,
                other => return Err(format!("unexpected {other:?} after a label in {line:?}")),
            }
        }
    }
    Ok((name, labels))
}

fn exported(text: &str) -> Result<Exported, String> {
    let mut metrics = Exported::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, labels) = parse_sample(line)?;
        let entry = metrics.entry(name).or_default();
        for (key, value) in labels {
            entry.entry(key).or_default().insert(value);
        }
    }
    Ok(metrics)
}

/// Every PromQL expression of the dashboard, with where it is used.
fn expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    fn panels(list: &Value, found: &mut Vec<(String, String)>) {
        for panel in list.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("?");
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    found.push((
                        format!("panel {title:?} target {}", target["refId"]),
                        expr.to_owned(),
                    ));
                }
            }
            // Collapsed rows keep their panels inside.
            panels(&panel["panels"], found);
        }
    }
    panels(&dashboard["panels"], &mut found);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] != "query" {
            continue;
        }
        let query = variable["query"]
            .as_str()
            .or_else(|| variable["query"]["query"].as_str())
            .unwrap_or("");
        // Grafana's label_values(selector, label): the selector is PromQL.
        let selector = query
            .strip_prefix("label_values(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|args| args.rsplit_once(','))
            .map(|(selector, _)| selector.to_owned())
            .unwrap_or_else(|| query.to_owned());
        found.push((format!("variable {}", variable["name"]), selector));
    }
    found
}

/// Grafana replaces its interval variables before Prometheus sees the query.
fn with_grafana_variables(expr: &str) -> String {
    [
        "$__rate_interval",
        "${__rate_interval}",
        "$__interval",
        "${__interval}",
        "$__range",
        "${__range}",
    ]
    .iter()
    .fold(expr.to_owned(), |e, variable| e.replace(variable, "5m"))
}

/// What an expression reads: its selectors and the labels it groups/matches on.
#[derive(Default)]
struct Uses {
    selectors: Vec<VectorSelector>,
    grouping: Vec<String>,
    quantiles: Vec<f64>,
}

fn walk(expr: &Expr, uses: &mut Uses) {
    let modifier_labels = |modifier: &LabelModifier| modifier.labels().labels.clone();
    match expr {
        Expr::Aggregate(a) => {
            uses.grouping
                .extend(a.modifier.as_ref().map(modifier_labels).unwrap_or_default());
            walk(&a.expr, uses);
            if let Some(param) = &a.param {
                walk(param, uses);
            }
        }
        Expr::Unary(u) => walk(&u.expr, uses),
        Expr::Binary(b) => {
            if let Some(modifier) = &b.modifier {
                uses.grouping.extend(
                    modifier
                        .matching
                        .as_ref()
                        .map(modifier_labels)
                        .unwrap_or_default(),
                );
                if let VectorMatchCardinality::ManyToOne(labels)
                | VectorMatchCardinality::OneToMany(labels) = &modifier.card
                {
                    uses.grouping.extend(labels.labels.clone());
                }
            }
            walk(&b.lhs, uses);
            walk(&b.rhs, uses);
        }
        Expr::Paren(p) => walk(&p.expr, uses),
        Expr::Subquery(s) => walk(&s.expr, uses),
        Expr::VectorSelector(vs) => uses.selectors.push(vs.clone()),
        Expr::MatrixSelector(ms) => uses.selectors.push(ms.vs.clone()),
        Expr::Call(call) => {
            if call.func.name == "histogram_quantile"
                && let Some(Expr::NumberLiteral(q)) = call.args.args.first().map(|a| a.as_ref())
            {
                uses.quantiles.push(q.val);
            }
            for arg in &call.args.args {
                walk(arg, uses);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn metric_name(selector: &VectorSelector) -> Option<String> {
    selector.name.clone().or_else(|| {
        selector
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.clone())
    })
}

fn is_application_metric(name: &str) -> bool {
    APPLICATION_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// The `expr` of every rule in the PrometheusRule template, with Helm's
/// placeholders filled in: inside a quoted label value with a name, outside
/// (the threshold) with a number, so the result is the PromQL Prometheus gets.
fn rule_expressions(template: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut alert = "?".to_owned();
    let mut lines = template.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("- alert: ") {
            alert = name.trim().to_owned();
        }
        if trimmed != "expr: |-" {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let mut expr = String::new();
        while let Some(next) = lines.next_if(|l| l.len() - l.trim_start().len() > indent) {
            expr.push_str(next.trim());
            expr.push(' ');
        }
        found.push((format!("alert {alert}"), fill_helm_placeholders(&expr)));
    }
    found
}

fn fill_helm_placeholders(expr: &str) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .map_or(rest.len(), |e| start + e + 2);
        let inside_quotes = out.matches('"').count() % 2 == 1;
        out.push_str(if inside_quotes { "release" } else { "0.05" });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Checks every dashboard expression against what the backend exports;
/// returns the problems found and the metric names and quantiles used.
fn check_dashboard(
    dashboard: &Value,
    exported: &Exported,
) -> (Vec<String>, BTreeSet<String>, Vec<f64>) {
    check_expressions(expressions(dashboard), exported)
}

fn check_expressions(
    expressions: Vec<(String, String)>,
    exported: &Exported,
) -> (Vec<String>, BTreeSet<String>, Vec<f64>) {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let mut quantiles = Vec::new();
    let known_labels: BTreeSet<&str> = exported
        .values()
        .flat_map(|labels| labels.keys().map(String::as_str))
        .chain(TARGET_LABELS)
        .collect();
    for (place, expr) in expressions {
        let ast = match parser::parse(&with_grafana_variables(&expr)) {
            Ok(ast) => ast,
            Err(e) => {
                problems.push(format!("{place}: not valid PromQL ({e}): {expr}"));
                continue;
            }
        };
        let mut uses = Uses::default();
        walk(&ast, &mut uses);
        quantiles.extend(uses.quantiles);
        for label in &uses.grouping {
            if !known_labels.contains(label.as_str()) {
                problems.push(format!(
                    "{place}: groups or matches on label {label:?}, which no series carries"
                ));
            }
        }
        for selector in &uses.selectors {
            let Some(name) = metric_name(selector) else {
                problems.push(format!("{place}: a selector without a metric name: {expr}"));
                continue;
            };
            used.insert(name.clone());
            if !is_application_metric(&name) {
                if !EXTERNAL_METRICS.iter().any(|(allowed, _)| *allowed == name) {
                    problems.push(format!(
                        "{place}: {name} is neither exported by the backend nor on the allow-list of other exporters' metrics"
                    ));
                }
                continue;
            }
            let Some(labels) = exported.get(&name) else {
                let names: Vec<&String> = exported.keys().collect();
                problems.push(format!(
                    "{place}: the backend does not export {name} (it exports {names:?})"
                ));
                continue;
            };
            for Matcher {
                op,
                name: label,
                value,
            } in &selector.matchers.matchers
            {
                if label == "__name__" || TARGET_LABELS.contains(&label.as_str()) {
                    continue;
                }
                match labels.get(label) {
                    None => problems.push(format!("{place}: {name} has no label {label:?} (it has {:?})", labels.keys())),
                    Some(values) if matches!(op, MatchOp::Equal) && !values.contains(value) => problems.push(format!(
                        "{place}: {name}{{{label}=\"{value}\"}} matches nothing (values seen: {values:?})"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    (problems, used, quantiles)
}

/// The dashboard must be loadable by Grafana as well as correct PromQL.
fn layout_problems(dashboard: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        let title = panel["title"].as_str().unwrap_or("?");
        if !ids.insert(panel["id"].as_u64().unwrap_or(0)) {
            problems.push(format!("panel {title:?}: duplicate or missing id"));
        }
        let x = panel["gridPos"]["x"].as_u64().unwrap_or(99);
        let w = panel["gridPos"]["w"].as_u64().unwrap_or(99);
        if x + w > 24 {
            problems.push(format!(
                "panel {title:?}: wider than Grafana's 24-column grid"
            ));
        }
        if panel["datasource"]["uid"] != "${datasource}" {
            problems.push(format!(
                "panel {title:?}: must use the ${{datasource}} variable"
            ));
        }
        if panel["description"].as_str().unwrap_or("").is_empty() {
            problems.push(format!(
                "panel {title:?}: needs a description (shown as the panel's help)"
            ));
        }
    }
    problems
}

async fn live_metrics() -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("todo.db").display());
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("DATABASE_URL", database),
        ("BIND_ADDR", "127.0.0.1".into()),
        ("PORT", "0".into()),
        (
            "JWT_SECRET",
            "dashboard-test-secret-0123456789abcdef".into(),
        ),
        ("LOG_FORMAT", "json".into()),
        ("RUST_LOG", "warn".into()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("a valid configuration");
    let app = Application::build(config)
        .await
        .expect("the backend starts");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    // Traffic on several routes and statuses, so every series family has samples.
    let anonymous = ApiClient::new(base.clone());
    let auth = anonymous
        .signup(&SignupRequest {
            email: "dashboard@example.com".into(),
            password: "correct horse battery".into(),
            name: "Dashboard".into(),
            time_zone: None,
        })
        .await
        .expect("signup");
    let api = anonymous.with_token(auth.token);
    let task = api
        .create_task(&NewTask {
            title: "measured".into(),
            ..NewTask::default()
        })
        .await
        .expect("create");
    api.get_task(task.id).await.expect("read");
    api.list_tasks(&ListQuery::default()).await.expect("list");
    assert!(
        api.get_task(uuid::Uuid::new_v4()).await.is_err(),
        "an unknown task is a 404"
    );
    anonymous.ready().await.expect("ready");
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("a body");

    stop.send(()).expect("the server is still running");
    server.await.expect("server task").expect("clean shutdown");
    text
}

#[tokio::test]
async fn every_dashboard_query_names_metrics_and_labels_the_backend_exports() {
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let text = live_metrics().await;
    let exported = exported(&text).expect("the exposition parses");
    for family in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "db_pool_connections",
        "todo_build_info",
    ] {
        assert!(
            exported.contains_key(family),
            "the live backend exports {family}:\n{text}"
        );
    }

    let (problems, used, quantiles) = check_dashboard(&dashboard, &exported);
    assert!(
        problems.is_empty(),
        "dashboard problems:\n{}",
        problems.join("\n")
    );
    let rules = rule_expressions(ALERT_RULES);
    let alerts: Vec<&str> = rules.iter().map(|(place, _)| place.as_str()).collect();
    assert_eq!(
        alerts,
        [
            "alert TodoHighErrorRate",
            "alert TodoBackendDown",
            "alert TodoPodsNotReady",
            "alert TodoBackupTooOld",
            "alert TodoDatabaseBackupTooOld"
        ]
    );
    let (rule_problems, _, _) = check_expressions(rules, &exported);
    assert!(
        rule_problems.is_empty(),
        "alert rule problems:\n{}",
        rule_problems.join("\n")
    );
    let layout = layout_problems(&dashboard);
    assert!(
        layout.is_empty(),
        "dashboard layout problems:\n{}",
        layout.join("\n")
    );

    // The panels the chart promises: request rate, error rate, latency
    // percentiles, DB pool use, Pod restarts, CPU and memory.
    for needed in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "db_pool_connections",
        "kube_pod_container_status_restarts_total",
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
    ] {
        assert!(used.contains(needed), "no panel queries {needed}");
    }
    for q in [0.5, 0.95, 0.99] {
        assert!(quantiles.contains(&q), "no panel shows the {q} quantile");
    }
    let expressions = expressions(&dashboard);
    assert!(
        expressions
            .iter()
            .any(|(_, e)| e.contains("http_requests_total")
                && e.contains(r#"status=~"5..""#)
                && e.contains(" / ")),
        "an error-ratio panel (5xx / all)"
    );
}

#[test]
fn wrong_metric_names_labels_and_unlisted_exporters_are_reported() {
    let exposition = "# TYPE http_requests counter\n\
        http_requests_total{method=\"GET\",route=\"/api/tasks/{id}\",status=\"200\"} 3\n\
        db_pool_connections{state=\"open\"} 2\n\
        db_pool_connections{state=\"idle\"} 1\n# EOF\n";
    let exported = exported(exposition).unwrap();
    assert!(exported["http_requests_total"]["route"].contains("/api/tasks/{id}"));

    let dashboard = |expr: &str| serde_json::json!({"panels": [{"title": "p", "targets": [{"refId": "A", "expr": expr}]}], "templating": {"list": []}});
    let problems = |expr: &str| check_dashboard(&dashboard(expr), &exported).0;

    assert!(problems(r#"sum by (route) (rate(http_requests_total{namespace="x", status=~"5.."}[$__rate_interval]))"#).is_empty());
    assert!(
        problems("rate(http_request_total[5m])")[0].contains("does not export http_request_total")
    );
    assert!(
        problems(r#"http_requests_total{status_code="500"}"#)[0]
            .contains("no label \"status_code\"")
    );
    assert!(problems(r#"db_pool_connections{state="used"}"#)[0].contains("matches nothing"));
    assert!(problems("sum by (path) (http_requests_total)")[0].contains("label \"path\""));
    assert!(problems("node_cpu_seconds_total")[0].contains("allow-list"));
    assert!(problems("sum(rate(http_requests_total[5m])")[0].contains("not valid PromQL"));
    assert!(
        problems("kube_pod_container_status_restarts_total").is_empty(),
        "allow-listed"
    );
}

#[test]
fn template_variable_queries_are_checked_too() {
    let dashboard = serde_json::json!({
        "panels": [],
        "templating": {"list": [
            {"name": "namespace", "type": "query", "query": "label_values(todo_build_info, namespace)"},
            {"name": "pod", "type": "query", "query": {"query": "label_values(todo_build_inf{namespace=\"$namespace\"}, pod)", "refId": "A"}},
            {"name": "datasource", "type": "datasource", "query": "prometheus"}
        ]}
    });
    let exported = exported("todo_build_info{version=\"0.1.0\"} 1\n").unwrap();
    let (problems, used, _) = check_dashboard(&dashboard, &exported);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("variable \"pod\": the backend does not export todo_build_inf")
    );
    assert!(used.contains("todo_build_info"));
}

#[test]
fn alert_rules_are_read_from_the_template_with_placeholders_filled() {
    let template = r#"
        - alert: Demo
          expr: |-
            sum(rate(http_requests_total{namespace="{{ $namespace }}", status=~"5.."}[5m]))
              > {{ $threshold }}
          for: 5m
"#;
    let rules = rule_expressions(template);
    assert_eq!(
        rules,
        [(
            "alert Demo".to_owned(),
            r#"sum(rate(http_requests_total{namespace="release", status=~"5.."}[5m])) > 0.05 "#
                .to_owned()
        )]
    );
    let exported = exported("http_requests_total{status=\"200\"} 1\n").unwrap();
    assert!(check_expressions(rules, &exported).0.is_empty());
    let broken = rule_expressions(&template.replace("http_requests_total", "http_request_count"));
    assert!(check_expressions(broken, &exported).0[0].contains("http_request_count"));
}
