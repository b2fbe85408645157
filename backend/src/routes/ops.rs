//! Operations endpoints: `/health`, `/ready`, `/metrics`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use todo_api::{Health, Readiness};

use crate::state::AppState;

/// Liveness: answers as long as the process serves HTTP. Never touches the
/// database, so a database outage cannot get healthy Pods restarted.
#[utoipa::path(get, path = "/health", tag = "operations", operation_id = "health",
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "healthy".into(),
    })
}

/// Readiness: the database answers within the readiness timeout and every
/// embedded migration is applied. Recovers by itself when the database does.
#[utoipa::path(get, path = "/ready", tag = "operations", operation_id = "ready",
    responses(
        (status = 200, description = "Ready for traffic", body = Readiness),
        (status = 503, description = "Not ready; `checks` names what failed", body = Readiness),
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let store = &state.store;
    let gate = &state.database;
    let checks = async {
        let database = match store.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "readiness: database check failed");
                return ("unreachable".to_owned(), "unknown".to_owned());
            }
        };
        if !gate.is_open() {
            // Still being applied in the background.
            return ("ok".to_owned(), "pending".to_owned());
        }
        let migrations = match store.migrations_applied().await {
            Ok(true) => "ok".to_owned(),
            Ok(false) => {
                gate.reopen(store);
                "pending".to_owned()
            }
            Err(e) => {
                tracing::warn!(error = %e, "readiness: migration check failed");
                "unknown".to_owned()
            }
        };
        (database, migrations)
    };
    let (database, migrations) = tokio::time::timeout(state.config.readiness_timeout, checks)
        .await
        .unwrap_or_else(|_| ("timeout".to_owned(), "unknown".to_owned()));
    let ready = database == "ok" && migrations == "ok";
    let checks = BTreeMap::from([
        ("database".to_owned(), database),
        ("migrations".to_owned(), migrations),
    ]);
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    (
        status,
        Json(Readiness {
            status: word.into(),
            checks,
        }),
    )
}

/// Prometheus metrics in the OpenMetrics text format: requests and latency
/// by method, route template and status; database pool connections; build
/// information.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "OpenMetrics text exposition",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        state.metrics.render(&state.store),
    )
        .into_response()
}

const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
