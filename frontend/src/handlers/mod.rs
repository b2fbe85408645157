//! HTTP handlers: read the form or query, call the backend as the
//! visitor, and answer with a page or a 303 redirect (post/redirect/get,
//! so reloading a page never re-submits a form).

pub mod account;
pub mod assistant;
pub mod auth;
pub mod calendar;
pub mod oauth;
pub mod tasks;

use axum::Json;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// Liveness: the process serves; deliberately no backend call, so a
/// backend outage does not restart every frontend Pod too.
pub async fn health() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// An HTML page that holds a user's data: never stored by caches.
pub fn private_page(html: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}
