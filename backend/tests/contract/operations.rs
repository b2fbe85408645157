use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use todo_backend::Application;

use crate::cases;
use crate::support::{TestCtx, TestDatabase, TestFn, test_config};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        health_and_ready_report_ok,
        openapi_documents_every_route_and_every_route_exists,
        replicas_starting_together_migrate_once,
        request_ids_are_echoed_or_minted,
        responses_carry_security_headers,
    ]
}

async fn health_and_ready_report_ok(ctx: TestCtx) {
    let health: Value = ctx
        .api
        .request(Method::GET, "/health")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, serde_json::json!({"status": "healthy"}));
    let ready = ctx.api.request(Method::GET, "/ready").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok"}})
    );
}

/// SPEC §3.2 and §3.3: (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/signup"),
    ("post", "/api/auth/login"),
    ("get", "/api/auth/me"),
    ("delete", "/api/auth/me"),
    ("get", "/api/tasks"),
    ("post", "/api/tasks"),
    ("get", "/api/tasks/{id}"),
    ("patch", "/api/tasks/{id}"),
    ("delete", "/api/tasks/{id}"),
    ("get", "/api/tasks/stats"),
    ("post", "/api/tasks/clear-completed"),
    ("get", "/health"),
    ("get", "/ready"),
];

async fn openapi_documents_every_route_and_every_route_exists(ctx: TestCtx) {
    let doc: Value = ctx
        .api
        .request(Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, expected,
        "the document lists exactly the served routes"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    // Each documented route is really served (not the 404/405 fallback).
    for (method, path) in ROUTES {
        let path = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = ctx.api.request(method.clone(), &path).send().await.unwrap();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let code = body["error"]["code"].as_str().unwrap_or("");
        assert!(
            code != "method_not_allowed",
            "{method} {path} is not routed"
        );
        assert!(
            code != "not_found" || path.starts_with("/api/tasks/"),
            "{method} {path} is not routed"
        );
    }
}

async fn replicas_starting_together_migrate_once(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let (first, second) = tokio::join!(
        Application::build(test_config(&database.url, &[])),
        Application::build(test_config(&database.url, &[])),
    );
    let (first, second) = (
        first.expect("replica 1 starts"),
        second.expect("replica 2 starts"),
    );
    assert!(first.state().store.migrations_applied().await.unwrap());
    assert!(second.state().store.migrations_applied().await.unwrap());
    first.state().store.close().await;
    second.state().store.close().await;
    drop((first, second));
    database.drop().await;
}

async fn request_ids_are_echoed_or_minted(ctx: TestCtx) {
    let response = ctx
        .api
        .request(Method::GET, "/health")
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    let response = ctx
        .api
        .request(Method::GET, "/health")
        .send()
        .await
        .unwrap();
    let minted = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(minted).is_ok(), "minted id {minted}");
}

async fn responses_carry_security_headers(ctx: TestCtx) {
    let response = ctx
        .api
        .request(Method::GET, "/api/tasks")
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("content-security-policy"));
}
