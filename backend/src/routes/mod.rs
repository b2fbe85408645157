//! HTTP: [`app`] builds the whole router, so tests can drive it with
//! `oneshot` or over a real socket alike.

mod auth;
mod calendar;
mod chat;
mod metrics;
mod middleware;
mod oauth;
pub(crate) mod openapi;
mod ops;
mod tasks;
mod transfer;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use openapi::ApiDoc;

use crate::error::ApiError;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    // Everything that needs the database waits for its schema (503 until then).
    let database_routes = Router::new()
        .route("/api/auth/signup", post(auth::signup))
        .route("/api/auth/login", post(auth::login))
        .route(
            "/api/auth/me",
            get(auth::me)
                .patch(auth::change_profile)
                .delete(auth::delete_me),
        )
        .route(
            "/api/auth/calendar-feed",
            get(calendar::show)
                .post(calendar::create)
                .delete(calendar::revoke),
        )
        .route("/calendar/{file}", get(calendar::serve))
        .route("/api/auth/usage", get(auth::usage))
        .route("/api/export", get(transfer::export))
        .route(
            "/api/import",
            // An export document: larger than any other body.
            post(transfer::import).layer(DefaultBodyLimit::max(todo_api::limits::IMPORT_MAX_BYTES)),
        )
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/password", post(auth::change_password))
        .route("/api/auth/sessions", get(auth::sessions))
        .route(
            "/api/auth/sessions/revoke-others",
            post(auth::revoke_other_sessions),
        )
        .route(
            "/api/auth/sessions/{id}",
            axum::routing::delete(auth::revoke_session),
        )
        .route(
            "/api/auth/tokens",
            get(auth::personal_tokens).post(auth::create_personal_token),
        )
        .route(
            "/api/auth/tokens/{id}",
            axum::routing::delete(auth::revoke_personal_token),
        )
        .route("/api/auth/apps", get(auth::connected_apps))
        .route(
            "/api/auth/apps/{id}",
            axum::routing::delete(auth::revoke_connected_app),
        )
        .route("/oauth/register", post(oauth::register))
        .route("/oauth/clients/{client_id}", get(oauth::client))
        .route("/oauth/authorize", post(oauth::authorize))
        .route("/oauth/token", post(oauth::token))
        .route("/api/tasks", get(tasks::list).post(tasks::create))
        .route("/api/tasks/stats", get(tasks::stats))
        .route("/api/tasks/overview", get(tasks::overview))
        .route("/api/tasks/clear-completed", post(tasks::clear_completed))
        .route(
            "/api/tasks/{id}",
            get(tasks::get).patch(tasks::update).delete(tasks::delete),
        )
        .route("/api/chat", post(chat::chat))
        .route("/api/conversations", get(chat::list))
        .route(
            "/api/conversations/{id}",
            axum::routing::delete(chat::delete),
        )
        .route("/api/conversations/{id}/messages", get(chat::messages))
        .merge(crate::assistant::mcp::router(
            state.assistant.tools().clone(),
            state.metrics.clone(),
            &state.config.assistant,
            &state.config.oauth,
            &openapi::inlined_schema("Task"),
            state.clone(),
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::require_database,
        ));
    let routes = Router::new()
        .merge(database_routes)
        .route("/api/openapi.json", get(openapi::document))
        .route(
            "/.well-known/oauth-protected-resource",
            get(oauth::protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(oauth::protected_resource),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::authorization_server),
        )
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(todo_api::limits::BODY_MAX_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    middleware::wrap(routes, &state).with_state(state)
}
