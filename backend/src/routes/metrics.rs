//! Times every request and counts it under its route template.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::UNMATCHED_ROUTE;
use crate::state::AppState;

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
