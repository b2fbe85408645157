//! Keeps keep-alive connections usable when a server answers before it has
//! read the whole request body (a 413 from the body limit, a 401 or 415
//! decided from the headers alone).
//!
//! HTTP/1.1 has no way to skip an unread body: the next request on the
//! connection starts after it. hyper closes such a connection silently, so
//! a pooled client's next request fails with a transport error. The
//! [`settle_request_body`] middleware instead reads the rest of the body (a
//! bounded amount, for a bounded time) after the handler has answered, and
//! when that is not enough it says `Connection: close`, so the client opens
//! a new connection instead of reusing a dead one.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;

/// The most a server reads and discards after answering early. A client
/// uploading more than this gets `Connection: close` instead.
pub const DRAIN_MAX_BYTES: usize = 1024 * 1024;

/// How long the rest of a body may take to arrive before the server gives
/// up on the connection.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// axum middleware: see the module documentation. Put it outermost, so it
/// sees the response every other layer produced.
pub async fn settle_request_body(request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let http1 = request.version() < Version::HTTP_2;
    let (parts, body) = request.into_parts();
    let leftover = Arc::new(Mutex::new(Leftover::Reading));
    let tracked = TrackedBody {
        inner: Some(body),
        leftover: Arc::clone(&leftover),
    };
    let mut response = next
        .run(Request::from_parts(parts, Body::new(tracked)))
        .await;
    let state = std::mem::replace(
        &mut *leftover.lock().unwrap_or_else(PoisonError::into_inner),
        Leftover::Finished,
    );
    let reusable = match state {
        Leftover::Finished => true,
        // Something still holds the body (a task reading it on its own).
        Leftover::Reading => false,
        Leftover::Abandoned(rest) => drain(rest).await,
    };
    // HTTP/2 streams end on their own; the header is illegal there.
    if !reusable && http1 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and discards the rest of a body; `true` when it ended within the
/// budget, so the connection can serve the next request.
async fn drain(body: Body) -> bool {
    // A declared length past the budget is not worth waiting for.
    if body.size_hint().lower() > DRAIN_MAX_BYTES as u64 {
        return false;
    }
    let limited = http_body_util::Limited::new(body, DRAIN_MAX_BYTES);
    tokio::time::timeout(DRAIN_TIMEOUT, limited.collect())
        .await
        .is_ok_and(|collected| collected.is_ok())
}

/// What became of the request body once the handler was done with it.
#[derive(Debug)]
enum Leftover {
    /// Not yet dropped.
    Reading,
    /// Read to its end, or never had one.
    Finished,
    /// Dropped before its end: the rest, still on the connection.
    Abandoned(Body),
}

/// The request body as the handler sees it; on drop it hands back what was
/// not read.
#[derive(Debug)]
struct TrackedBody {
    inner: Option<Body>,
    leftover: Arc<Mutex<Leftover>>,
}

impl TrackedBody {
    fn finish(&mut self) {
        self.inner = None;
        *self.leftover.lock().unwrap_or_else(PoisonError::into_inner) = Leftover::Finished;
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        match &polled {
            // An error means the connection is gone: nothing to keep usable.
            Poll::Ready(None | Some(Err(_))) => self.finish(),
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        let rest = match self.inner.take() {
            Some(rest) if !rest.is_end_stream() => Leftover::Abandoned(rest),
            _ => Leftover::Finished,
        };
        *self.leftover.lock().unwrap_or_else(PoisonError::into_inner) = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::extract::DefaultBodyLimit;
    use axum::http::StatusCode;
    use axum::routing::post;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route(
                "/read",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route("/ignore", post(|| async { StatusCode::UNAUTHORIZED }))
            .layer(DefaultBodyLimit::max(16))
            .layer(axum::middleware::from_fn(settle_request_body))
    }

    async fn post_to(path: &str, body: Body) -> Response {
        let request = Request::post(path).body(body).unwrap();
        app().oneshot(request).await.unwrap()
    }

    fn closes(response: &Response) -> bool {
        response.headers().get(header::CONNECTION) == Some(&HeaderValue::from_static("close"))
    }

    #[tokio::test]
    async fn a_body_read_to_its_end_keeps_the_connection() {
        let response = post_to("/read", Body::from("short")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!closes(&response));
    }

    #[tokio::test]
    async fn an_unread_body_within_the_budget_is_drained() {
        let response = post_to("/ignore", Body::from(vec![b'x'; 64 * 1024])).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(!closes(&response));
        let too_large = post_to("/read", Body::from(vec![b'x'; 64 * 1024])).await;
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!closes(&too_large));
    }

    #[tokio::test]
    async fn an_unread_body_over_the_budget_closes_the_connection() {
        let response = post_to("/ignore", Body::from(vec![b'x'; DRAIN_MAX_BYTES + 1])).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(closes(&response));
    }

    #[tokio::test]
    async fn a_body_that_stalls_closes_the_connection() {
        use futures::StreamExt;
        // A client that sends a little and then nothing more.
        let first = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("start")) });
        let body = Body::from_stream(first.chain(futures::stream::pending()));
        let response = post_to("/ignore", body).await;
        assert!(closes(&response));
    }
}
