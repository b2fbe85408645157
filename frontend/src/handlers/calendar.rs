//! `GET /calendar/{file}`: a user's calendar feed, passed through from the
//! backend. The frontend is the site's public origin, so the address the
//! Account page hands out is here, and calendar apps fetch it without a
//! cookie: the secret in the path is the only credential. Status,
//! `Content-Type`, `ETag` (and 304 for a matching `If-None-Match`) and
//! `Cache-Control` are the backend's; only `components` of the query goes
//! on; the document streams through, bounded in time and size, never held
//! whole.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use todo_api::ClientError;

use crate::session::Visitor;
use crate::state::AppState;

/// The largest feed passed on. The backend lists at most 2000 tasks; even
/// with every title and description at its longest in four-byte
/// characters a feed stays under 40 MiB, and real ones are far smaller.
/// A larger answer is cut off, which the calendar app sees as a failed
/// download rather than a short calendar.
pub const FEED_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How long a feed's download may take once the backend has answered:
/// room for a slow client on a large feed, not for a stalled one.
const FEED_DOWNLOAD_MAX: Duration = Duration::from_secs(120);

/// The longest `<secret>` in `<secret>.ics` passed on; the backend's are
/// 73 characters. Anything else names no feed and is not asked about.
const SECRET_MAX_CHARS: usize = 128;

/// The longest `If-None-Match` passed on (the backend's ETags are 66).
const ETAG_MAX_BYTES: usize = 1024;

pub async fn feed(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !is_feed_file(&file) {
        return refusal(StatusCode::NOT_FOUND, NOT_FOUND);
    }
    let components = query.as_deref().and_then(components);
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() <= ETAG_MAX_BYTES);
    // The answer's head comes within the usual timeout; the body then has
    // FEED_DOWNLOAD_MAX to arrive.
    let asked = tokio::time::timeout(
        state.config.backend_timeout,
        // The visitor's client: its address goes on (`X-Forwarded-For`),
        // so the backend's log names who fetched a feed; no credential
        // does, the secret in the path being the only one.
        visitor
            .api
            .with_timeout(FEED_DOWNLOAD_MAX)
            .calendar_document(&file, components.as_deref(), if_none_match),
    )
    .await;
    let document = match asked {
        Ok(Ok(document)) => document,
        Ok(Err(error)) => return refused(&error),
        Err(_) => {
            tracing::warn!("the calendar feed did not start in time");
            return unavailable();
        }
    };
    let response = document.into_response();
    let status = response.status();
    let mut answer = HeaderMap::new();
    for name in [header::CONTENT_TYPE, header::ETAG, header::CACHE_CONTROL] {
        if let Some(value) = response.headers().get(&name) {
            answer.insert(name, value.clone());
        }
    }
    // The address is a secret: a link followed from the calendar's text
    // must not carry it elsewhere.
    answer.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if status == StatusCode::NOT_MODIFIED {
        return (StatusCode::NOT_MODIFIED, answer).into_response();
    }
    if response
        .content_length()
        .is_some_and(|length| length > FEED_MAX_BYTES)
    {
        tracing::warn!(
            length = response.content_length(),
            "the calendar feed is larger than the frontend passes on"
        );
        return refusal(StatusCode::BAD_GATEWAY, TOO_LARGE);
    }
    let body = limited(response.bytes_stream(), FEED_MAX_BYTES);
    (status, answer, Body::from_stream(body)).into_response()
}

/// `chunks` as they come, until more than `max` bytes have: then an
/// error, which ends the response's body there (the server stops reading
/// it), so the client sees a broken download, never a short calendar.
fn limited<E: std::error::Error + Send + Sync + 'static>(
    chunks: impl Stream<Item = Result<Bytes, E>>,
    max: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> {
    let mut passed = 0u64;
    chunks.map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        passed += chunk.len() as u64;
        if passed > max {
            tracing::warn!("the calendar feed ran past the size the frontend passes on");
            return Err(std::io::Error::other(TOO_LARGE.trim_end()));
        }
        Ok(chunk)
    })
}

/// `<secret>.ics`, the secret made of letters, digits, `_` and `-`.
fn is_feed_file(file: &str) -> bool {
    file.strip_suffix(".ics").is_some_and(|secret| {
        !secret.is_empty()
            && secret.len() <= SECRET_MAX_CHARS
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// The `components` the visitor asked for (the last one, when several);
/// every other parameter (a calendar app's cache-buster) stays here.
fn components(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "components")
        .map(|(_, value)| value.into_owned())
        .last()
}

const NOT_FOUND: &str = "No calendar feed at this address: it was never made, or it was revoked or replaced by a new one.\n";
const TOO_LARGE: &str = "The calendar feed is too large to pass on.\n";

/// What the backend's refusal becomes: its status, with words for people
/// who open the address in a browser.
fn refused(error: &ClientError) -> Response {
    match error.status() {
        Some(StatusCode::NOT_FOUND) => refusal(StatusCode::NOT_FOUND, NOT_FOUND),
        Some(StatusCode::UNPROCESSABLE_ENTITY) => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Ask for components=event (the default) or components=todo.\n",
        ),
        // The backend's per-address budget is per minute: a minute is
        // always enough to wait.
        Some(StatusCode::TOO_MANY_REQUESTS) => with_retry_after(refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many fetches of calendar feeds from this address; try again in a minute.\n",
        )),
        _ => {
            tracing::warn!(%error, "the calendar feed could not be fetched from the backend");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    with_retry_after(refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "The calendar cannot be reached right now; your calendar app will try again.\n",
    ))
}

fn with_retry_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// A plain-text answer no cache keeps.
fn refusal(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_secrets_file_name_is_asked_about() {
        assert!(is_feed_file(&format!("todo_cal_{}.ics", "0a".repeat(32))));
        for not_a_feed in [
            ".ics",
            "feed",
            "feed.ics.ics",
            "../api/tasks.ics",
            "a b.ics",
            "%2e%2e.ics",
            &format!("{}.ics", "a".repeat(129)),
        ] {
            assert!(!is_feed_file(not_a_feed), "{not_a_feed}");
        }
    }

    #[tokio::test]
    async fn a_body_past_the_limit_ends_in_an_error_after_what_fit() {
        let chunks = || {
            futures::stream::iter(
                [&b"BEGIN:"[..], b"VCALENDAR", b"\r\n"]
                    .map(|chunk| Ok::<_, std::io::Error>(Bytes::from_static(chunk))),
            )
        };
        let whole: Vec<_> = limited(chunks(), 17).collect().await;
        assert_eq!(whole.len(), 3);
        assert!(whole.iter().all(Result::is_ok));
        let mut cut = Box::pin(limited(chunks(), 16));
        assert_eq!(cut.next().await.unwrap().unwrap(), "BEGIN:");
        assert_eq!(cut.next().await.unwrap().unwrap(), "VCALENDAR");
        let error = cut.next().await.unwrap().unwrap_err();
        assert!(error.to_string().contains("too large"), "{error}");
    }

    #[test]
    fn only_the_components_parameter_goes_on() {
        assert_eq!(components("components=todo").as_deref(), Some("todo"));
        assert_eq!(
            components("nocache=123&components=event&x=y").as_deref(),
            Some("event")
        );
        assert_eq!(
            components("components=event&components=todo").as_deref(),
            Some("todo")
        );
        assert_eq!(components("nocache=1"), None);
    }
}
