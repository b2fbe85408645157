//! `app(state) -> Router`: every URL of the UI and the layers around them.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, MakeSpan, OnResponse, TraceLayer};
use tracing::Span;

use crate::error::PageError;
use crate::handlers::{account, assistant, auth, calendar, health, oauth, tasks};
use crate::state::AppState;
use crate::{assets, origin, paths};

/// A year, the usual figure. Without `includeSubDomains`: this server
/// knows only its own host, and a sibling subdomain still served over
/// plain http would become unreachable. Without `preload`, which is a
/// decision for the domain's owner, not for an application.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// No scripts at all, styles and images only from here, forms only to
/// here, never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// The sign-up page sets its own (`handlers::auth`): this one plus
// scripts from here.

pub fn app(state: AppState) -> Router {
    let strict_transport_security = state.config.strict_transport_security();
    let router = Router::new()
        .route(paths::HOME, get(auth::home))
        .route(paths::LOGIN, get(auth::login_form).post(auth::login))
        .route(paths::SIGNUP, get(auth::signup_form).post(auth::signup))
        .route(paths::LOGOUT, post(auth::logout))
        .route(paths::TASKS, get(tasks::list).post(tasks::create))
        .route("/tasks/clear-completed", post(tasks::clear_completed))
        .route("/tasks/{id}/toggle", post(tasks::toggle))
        .route("/tasks/{id}/edit", get(tasks::edit_form).post(tasks::edit))
        .route("/tasks/{id}/delete", post(tasks::delete))
        .route(
            paths::ASSISTANT,
            get(assistant::start).post(assistant::send),
        )
        .route("/assistant/{id}", get(assistant::conversation))
        .route("/assistant/{id}/delete", post(assistant::delete))
        .route(
            paths::OAUTH_AUTHORIZE,
            get(oauth::authorize_page).post(oauth::decide),
        )
        .route(paths::ACCOUNT, get(account::page))
        .route(
            "/account/sessions/revoke-others",
            post(account::revoke_others),
        )
        .route(
            "/account/sessions/{id}/revoke",
            post(account::revoke_session),
        )
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/apps/{id}/revoke", post(account::revoke_app))
        .route("/account/password", post(account::change_password))
        .route("/account/time-zone", post(account::change_time_zone))
        .route(
            "/account/calendar-feed",
            post(account::create_calendar_feed),
        )
        .route(
            "/account/calendar-feed/revoke",
            post(account::revoke_calendar_feed),
        )
        .route("/account/delete", post(account::delete_account))
        .route("/account/export", get(account::export))
        .route(
            "/account/import",
            // A file: larger than any form.
            post(account::import).layer(DefaultBodyLimit::max(account::IMPORT_FORM_MAX_BYTES)),
        )
        .route(paths::CALENDAR_FEED, get(calendar::feed))
        .route(paths::HEALTH, get(health))
        .route(assets::CSS_PATH, get(assets::stylesheet))
        .route(assets::ICON_PATH, get(assets::icon))
        .route(assets::TIMEZONE_JS_PATH, get(assets::timezone_script))
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
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(|response: &Response, latency, span: &Span| {
                    todo_service::telemetry::http_server_response(span, response.status());
                    DefaultOnResponse::new().on_response(response, latency, span);
                }),
        )
        // Outermost: whatever answered early, the connection stays usable.
        .layer(middleware::from_fn(
            todo_service::request_body::settle_request_body,
        ))
        .with_state(state);
    if strict_transport_security {
        // Outermost of all: every answer carries it, early ones included.
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ))
    } else {
        router
    }
}

/// Each request's span: `tower-http`'s default (at `debug`), or, when
/// traces are exported, an `info` span that is the trace's server span and
/// the parent of the backend calls made for the page.
fn request_span(request: &Request) -> Span {
    if !todo_service::telemetry::enabled() {
        return DefaultMakeSpan::new().make_span(request);
    }
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    todo_service::telemetry::http_server_span(&span, request);
    span
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
