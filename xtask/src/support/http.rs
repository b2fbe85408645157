//! One HTTP exchange with a server on 127.0.0.1, for commands that probe
//! containers and local servers (smoke, dev): reqwest on a throwaway
//! runtime, redirects not followed, so a command sees what a browser gets.

use std::time::Duration;

use anyhow::Context;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Name (lower case) and value, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Sends one request to 127.0.0.1:`port`, giving up after `timeout`.
/// `headers` are extra headers.
pub fn request(
    timeout: Duration,
    method: &str,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<Response> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut request = client.request(method.clone(), format!("http://127.0.0.1:{port}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    runtime
        .block_on(async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect();
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Response {
                status,
                headers,
                body,
            })
        })
        .with_context(|| format!("{method} {path} on port {port}"))
}

/// A short timeout for probing servers on loopback.
pub const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(10);

pub fn get(port: u16, path: &str) -> anyhow::Result<Response> {
    request(LOOPBACK_TIMEOUT, "GET", port, path, &[], None)
}
