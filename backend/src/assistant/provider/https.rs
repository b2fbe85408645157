//! The one HTTP(S) client of the backend, for the model provider: hyper
//! with rustls on ring (the crypto provider sqlx uses too), trusting the
//! system's certificate authorities, else Mozilla's. Kept apart from
//! reqwest so the rest of the workspace builds its clients without TLS.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The most of a provider's answer that is read (a chat completion with a
/// few tool calls is a few KiB): a larger one is refused, not buffered.
pub const ANSWER_MAX_BYTES: usize = 1024 * 1024;

/// How a request failed before an answer arrived.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Transport(String),
    /// The answer was larger than [`ANSWER_MAX_BYTES`]: not read further.
    #[error("an answer larger than {0} bytes")]
    TooLarge(usize),
}

#[derive(Debug, Clone)]
pub struct HttpsClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HttpsClient {
    pub fn new(timeout: Duration) -> Self {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let connector = match builder.with_provider_and_native_roots(provider.clone()) {
            Ok(with_roots) => with_roots.https_or_http().enable_http1().build(),
            Err(_) => hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_webpki_roots(provider)
                .expect("ring supports the default protocol versions")
                .https_or_http()
                .enable_http1()
                .build(),
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { client, timeout }
    }

    /// POSTs `body` as JSON to `url`; the status and the whole answer.
    pub async fn post_json(
        &self,
        url: &str,
        bearer: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, String), SendError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                SendError::Transport("the API key is not a valid header value".into())
            })?;
            request = request.header(header::AUTHORIZATION, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| SendError::Transport(format!("{url}: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| SendError::Transport(format!("{url}: {e}")))?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), ANSWER_MAX_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        SendError::TooLarge(ANSWER_MAX_BYTES)
                    } else {
                        SendError::Transport(format!("{url}: reading the answer: {e}"))
                    }
                })?
                .to_bytes();
            Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout(self.timeout))?
    }
}
