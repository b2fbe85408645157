use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use todo_backend::Application;

use crate::cases;
use crate::support::{TestCtx, TestDatabase, TestFn, get_json, test_config};

pub fn cases() -> Vec<(&'static str, TestFn)> {
    cases![
        health_and_ready_report_ok,
        openapi_documents_every_route_and_every_route_exists,
        the_openapi_document_is_exact,
        replicas_starting_together_migrate_once,
        request_ids_are_echoed_or_minted,
        responses_carry_security_headers,
    ]
}

async fn health_and_ready_report_ok(ctx: TestCtx) {
    let health: Value = get_json(&ctx.api, "/health").await;
    assert_eq!(health, serde_json::json!({"status": "healthy"}));
    let ready = ctx.api.request(Method::GET, "/ready").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok"}})
    );
}

/// Every served route: (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/signup"),
    ("post", "/api/auth/login"),
    ("get", "/api/auth/me"),
    ("delete", "/api/auth/me"),
    ("get", "/api/auth/usage"),
    ("patch", "/api/auth/me"),
    ("get", "/api/auth/calendar-feed"),
    ("post", "/api/auth/calendar-feed"),
    ("delete", "/api/auth/calendar-feed"),
    ("get", "/calendar/{file}"),
    ("get", "/api/export"),
    ("post", "/api/import"),
    ("post", "/api/auth/logout"),
    ("post", "/api/auth/password"),
    ("get", "/api/auth/sessions"),
    ("post", "/api/auth/sessions/revoke-others"),
    ("delete", "/api/auth/sessions/{id}"),
    ("get", "/api/auth/tokens"),
    ("post", "/api/auth/tokens"),
    ("delete", "/api/auth/tokens/{id}"),
    ("get", "/api/auth/apps"),
    ("delete", "/api/auth/apps/{id}"),
    ("get", "/api/tasks"),
    ("post", "/api/tasks"),
    ("get", "/api/tasks/{id}"),
    ("patch", "/api/tasks/{id}"),
    ("delete", "/api/tasks/{id}"),
    ("get", "/api/tasks/stats"),
    ("get", "/api/tasks/overview"),
    ("post", "/api/tasks/clear-completed"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("post", "/api/chat"),
    ("get", "/api/conversations"),
    ("get", "/api/conversations/{id}/messages"),
    ("delete", "/api/conversations/{id}"),
];

async fn openapi_documents_every_route_and_every_route_exists(ctx: TestCtx) {
    let doc: Value = get_json(&ctx.api, "/api/openapi.json").await;
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
            code != "not_found"
                || path.starts_with("/api/tasks/")
                || path.starts_with("/api/conversations/")
                // No feed at an address that was never made.
                || path.starts_with("/calendar/"),
            "{method} {path} is not routed"
        );
    }
}

/// Every `"$ref"` in `value`, with where it was found.
fn references(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    found.push((at.to_owned(), child.as_str().unwrap_or("").to_owned()));
                } else {
                    references(child, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                references(child, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

async fn the_openapi_document_is_exact(ctx: TestCtx) {
    let doc: Value = get_json(&ctx.api, "/api/openapi.json").await;

    let mut found = Vec::new();
    references(&doc, "", &mut found);
    assert!(
        found.len() > 50,
        "only {} references: is the walk right?",
        found.len()
    );
    for (at, reference) in &found {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: {reference} is not local"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: {reference} does not resolve"
        );
    }

    // Each operation declares every error it can answer, with the one body.
    let resolve = |response: &Value| -> Value {
        match response["$ref"].as_str() {
            Some(reference) => doc.pointer(&reference[1..]).unwrap().clone(),
            None => response.clone(),
        }
    };
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let mut expected: Vec<&str> = Vec::new();
            if path.starts_with("/api/") && path != "/api/openapi.json" {
                expected.extend(["408", "500", "503"]);
            }
            if operation.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            if operation.get("security").is_some() {
                expected.push("401");
            }
            if path.contains("{id}") {
                expected.push("404");
            }
            for status in expected {
                let response = resolve(
                    responses
                        .get(status)
                        .unwrap_or_else(|| panic!("{method} {path} does not declare {status}")),
                );
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status} has the error body"
                );
            }
            for (status, response) in responses {
                let response = resolve(response);
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} says what it means"
                );
            }
        }
    }
    let rate_limited = resolve(&doc["paths"]["/api/auth/login"]["post"]["responses"]["429"]);
    assert!(rate_limited["headers"]["Retry-After"].is_object());

    // Request bodies say what the server accepts, and nothing else.
    for name in [
        "NewTask",
        "TaskPatch",
        "SignupRequest",
        "LoginRequest",
        "ChatRequest",
        "ExportedTask",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(
            schema["additionalProperties"], false,
            "{name} refuses unknown fields"
        );
        for (field, rule) in schema["properties"].as_object().unwrap() {
            assert!(
                rule.get("pattern").is_some()
                    || rule.get("enum").is_some()
                    || rule.get("format").is_some()
                    || rule.get("maxLength").is_some()
                    || rule.get("minLength").is_some()
                    || rule.get("maxItems").is_some()
                    || rule["type"] == "boolean"
                    || (name == "LoginRequest" && field == "email"),
                "{name}.{field} states its rule: {rule}"
            );
        }
    }
    // The export document's parts refuse unknown fields too; its lists
    // are bounded by the account's quotas, which the document cannot state.
    for name in ["Export", "ExportedConversation", "ExportedMessage"] {
        assert_eq!(
            doc["components"]["schemas"][name]["additionalProperties"], false,
            "{name} refuses unknown fields"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["Export"]["properties"]["version"]["enum"],
        serde_json::json!([todo_api::EXPORT_VERSION])
    );
    let title = &doc["components"]["schemas"]["NewTask"]["properties"]["title"];
    assert_eq!(title["pattern"], todo_api::patterns::TITLE);
    let limit = doc["paths"]["/api/tasks"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (
            limit["schema"]["minimum"].as_u64(),
            limit["schema"]["maximum"].as_u64()
        ),
        (Some(1), Some(100))
    );

    // Operations: metrics described as text.
    let metrics = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        metrics
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("application/openmetrics-text")),
        "{metrics}"
    );
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
