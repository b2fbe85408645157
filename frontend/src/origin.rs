//! Cross-site request forgery guard: every state-changing request must
//! prove it comes from one of our own pages. Browsers send `Origin` on
//! form POSTs (and `Referer` on older ones); a request that carries
//! neither, or names another site, is refused with 403 before any handler
//! runs. The session cookie is also `SameSite=Lax`, so a cross-site POST
//! would arrive without it anyway: two independent locks.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use url::Url;

use crate::state::AppState;
use crate::views::errors::error_page;

pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe {
        return next.run(request).await;
    }
    match check(request.headers(), state.config.public_origin.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(reason, method = %request.method(), path = request.uri().path(), "refused a cross-site request");
            error_page(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form was not sent from a page of this site, so nothing was changed. Go back, reload the page and try again.",
            )
        }
    }
}

/// `Ok` when the request demonstrably comes from this site. With a
/// configured public origin the whole origin (scheme, host, port) must
/// match; without one, the host and port must equal the request's `Host`.
pub fn check(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), &'static str> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !matches!(site, "same-origin" | "none")
    {
        return Err("Sec-Fetch-Site is not same-origin");
    }
    let claimed = match (text(header::ORIGIN), text(header::REFERER)) {
        (Some("null"), _) => return Err("Origin is null"),
        (Some(origin), _) => Url::parse(origin).map_err(|_| "Origin is not a URL")?,
        (None, Some(referer)) => Url::parse(referer).map_err(|_| "Referer is not a URL")?,
        (None, None) => return Err("neither Origin nor Referer"),
    };
    let matches = match public_origin {
        Some(expected) => claimed.origin().ascii_serialization() == expected,
        None => {
            let host = text(header::HOST).ok_or("no Host header")?;
            authority(&claimed).is_some_and(|a| a.eq_ignore_ascii_case(host))
        }
    };
    if matches {
        Ok(())
    } else {
        Err("Origin/Referer names another site")
    }
}

/// `host[:port]` as a `Host` header would spell it (default port omitted).
fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_host_without_public_url_is_accepted() {
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert_eq!(check(&h, None), Ok(()));
        let h = headers(&[
            ("host", "todo.local"),
            ("referer", "https://todo.local/tasks?q=x"),
        ]);
        assert_eq!(check(&h, None), Ok(()));
    }

    #[test]
    fn other_sites_and_anonymous_posts_are_refused() {
        for h in [
            headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://evil.example"),
            ]),
            headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3001"),
            ]),
            headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]),
            headers(&[
                ("host", "127.0.0.1:3000"),
                ("referer", "http://evil.example/127.0.0.1:3000"),
            ]),
            headers(&[("host", "127.0.0.1:3000")]),
            headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "cross-site"),
            ]),
        ] {
            assert!(check(&h, None).is_err(), "{h:?}");
        }
    }

    #[test]
    fn a_public_url_pins_the_scheme_too() {
        let public = Some("https://todo.example.com");
        let h = headers(&[
            ("host", "frontend:3000"),
            ("origin", "https://todo.example.com"),
        ]);
        assert_eq!(check(&h, public), Ok(()));
        let h = headers(&[
            ("host", "todo.example.com"),
            ("origin", "http://todo.example.com"),
        ]);
        assert!(check(&h, public).is_err());
    }
}
