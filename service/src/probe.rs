//! The `check --url URL` subcommand both images carry: an HTTP probe for
//! containers without a shell or curl (Docker HEALTHCHECK, Helm test
//! hooks). Redirects are not followed: only a 200 from the URL itself counts.

use std::time::Duration;

/// GETs `url` (plain `http://`); `Ok` with the status line on 200, else a
/// one-line reason.
pub async fn probe(url: &str, timeout: Duration) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("{url:?}: only http:// URLs can be checked"));
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("could not build an HTTP client: {e}"))?;
    let response = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        Ok(format!("GET {url}: {status}"))
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(format!(
            "GET {url}: {status}: {}",
            body.chars().take(300).collect::<String>()
        ))
    }
}
