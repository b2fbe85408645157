//! Full-page errors (404, 403, 503, …) with a way back.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;

use super::layout::document;

/// A page explaining an error, with a way back; never a blank screen.
pub fn error_page(status: StatusCode, title: &'static str, message: &str) -> Response {
    let message = message.to_owned();
    let code = status.as_u16().to_string();
    let main = view! {
        <section class="card narrow error-card" aria-labelledby="error-title">
            <p class="error-code">{code}</p>
            <h1 id="error-title">{title}</h1>
            <p>{message}</p>
            <p class="actions-row">
                <a class="button" href="/tasks">"Back to your tasks"</a>
            </p>
        </section>
    };
    let mut response = (status, Html(document(title, None, main))).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}
