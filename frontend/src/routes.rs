//! `app(state) -> Router`: every URL of the UI and the layers around them.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::PageError;
use crate::handlers::{assistant, auth, health, tasks};
use crate::state::AppState;
use crate::{assets, origin};

/// No scripts at all, styles and images only from here, forms only to
/// here, never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/signup", get(auth::signup_form).post(auth::signup))
        .route("/logout", post(auth::logout))
        .route("/tasks", get(tasks::list).post(tasks::create))
        .route("/tasks/clear-completed", post(tasks::clear_completed))
        .route("/tasks/{id}/toggle", post(tasks::toggle))
        .route("/tasks/{id}/edit", get(tasks::edit_form).post(tasks::edit))
        .route("/tasks/{id}/delete", post(tasks::delete))
        .route("/assistant", get(assistant::start).post(assistant::send))
        .route("/assistant/{id}", get(assistant::conversation))
        .route("/assistant/{id}/delete", post(assistant::delete))
        .route("/api/health", get(health))
        .route(assets::CSS_PATH, get(assets::stylesheet))
        .route(assets::ICON_PATH, get(assets::icon))
        .fallback(|| async { PageError::NotFound })
        .layer(DefaultBodyLimit::max(crate::forms::FORM_MAX_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::same_origin_only,
        ))
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(TraceLayer::new_for_http())
        // Outermost: whatever answered early, the connection stays usable.
        .layer(middleware::from_fn(
            todo_service::request_body::settle_request_body,
        ))
        .with_state(state)
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
