//! `todo-backend check --url URL`: an HTTP probe for images without a
//! shell (Docker HEALTHCHECK, Helm test hooks). Exit 0 only on 200.

use std::time::Duration;

/// GETs `url`; `Ok` only on HTTP 200, else a one-line reason.
pub async fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("could not build an HTTP client: {e}"))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        Ok(())
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(format!(
            "GET {url}: {status}: {}",
            body.chars().take(300).collect::<String>()
        ))
    }
}
