//! `ApiClient`: a typed async client for the whole API.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::oauth::{AuthorizationGranted, AuthorizationParams, OAuthClient};
use crate::{
    AccountDeletion, AuthResponse, CalendarFeed, CalendarFeedCreated, ChatRequest, ChatResponse,
    ClearedCompleted, ConversationList, ConversationQuery, ErrorBody, ErrorCode, Export, Health,
    ImportSummary, ListQuery, LoginRequest, MessageList, MessageQuery, NewPersonalToken, NewTask,
    PasswordChange, PersonalTokenCreated, ProfileChange, Readiness, RevokedSessions, SessionList,
    SignupRequest, Task, TaskList, TaskOverview, TaskPatch, TaskStats, Usage, User,
};

/// Why a call failed: the server said no (with the contract's error body),
/// the server said something outside the contract, or nothing got through.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{status}: {} ({:?})", body.error.message, body.error.code)]
    Api { status: StatusCode, body: ErrorBody },
    #[error("{status}: response outside the contract: {detail}")]
    Contract { status: StatusCode, detail: String },
    #[error("could not reach the API: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status, when the server answered at all.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Contract { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status(),
        }
    }

    /// The error body, when the server answered with the contract's shape.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ClientError::Api { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// An export document on its way ([`ApiClient::export_download`]): the
/// server said 200, its headers are in, the body follows.
#[derive(Debug)]
pub struct ExportDownload {
    response: Response,
}

impl ExportDownload {
    /// The response, its body (the document) unread: read it as it comes
    /// (`bytes_stream`, `chunk`). The server sends the document a page at
    /// a time; a body that fails before its end (the connection closed
    /// without finishing it) is an export the server could not finish
    /// (the account deleted meanwhile, its time bound passed, the
    /// database gone), and what came is not a document.
    pub fn into_response(self) -> Response {
        self.response
    }
}

/// A calendar feed document on its way ([`ApiClient::calendar_document`]):
/// the server answered 200 (the document follows) or 304 (the caller's
/// copy is current; no body).
#[derive(Debug)]
pub struct CalendarDocument {
    response: Response,
}

impl CalendarDocument {
    /// 200, or 304 when the `If-None-Match` sent still matches.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The response, its body unread: `Content-Type`, `ETag` and
    /// `Cache-Control` as the server set them, the document to read as it
    /// comes (`bytes_stream`) or whole (`text`).
    pub fn into_response(self) -> Response {
        self.response
    }
}

/// Headers added to every request as it is built (see
/// [`ApiClient::with_headers`]).
#[derive(Clone)]
struct HeaderSource(Arc<dyn Fn(&mut HeaderMap) + Send + Sync>);

impl std::fmt::Debug for HeaderSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeaderSource")
    }
}

/// A typed client for the Todo API. Cheap to clone; clones share one
/// connection pool. `with_token` gives a client acting as a user.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
    forwarded_for: Option<String>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    headers: Option<HeaderSource>,
}

impl ApiClient {
    /// `base_url` is the backend's root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a client without TLS options always builds");
        Self::with_http(http, base_url)
    }

    pub fn with_http(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token: None,
            forwarded_for: None,
            user_agent: None,
            timeout: None,
            headers: None,
        }
    }

    /// The same client, authenticated as the holder of `token`.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// The same client, sending `X-Forwarded-For` (a proxy such as the
    /// frontend passes on its visitor's address for rate limiting).
    pub fn forwarded_for(&self, client_addr: impl Into<String>) -> Self {
        Self {
            forwarded_for: Some(client_addr.into()),
            ..self.clone()
        }
    }

    /// The same client, sending `User-Agent: user_agent` (the frontend
    /// passes on its visitor's browser, which names their session).
    pub fn with_user_agent(&self, user_agent: impl Into<String>) -> Self {
        Self {
            user_agent: Some(user_agent.into()),
            ..self.clone()
        }
    }

    /// The same client, giving each request `timeout` instead of the
    /// HTTP client's own (a chat turn may take longer than a list).
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            ..self.clone()
        }
    }

    /// The same client, letting `source` add headers to each request as
    /// it is built, in the caller's context (e.g. the current trace's
    /// `traceparent`).
    pub fn with_headers(&self, source: impl Fn(&mut HeaderMap) + Send + Sync + 'static) -> Self {
        Self {
            headers: Some(HeaderSource(Arc::new(source))),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path` (starting with `/`) with this client's
    /// credentials, for anything the typed methods do not cover.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base_url, path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(addr) = &self.forwarded_for {
            request = request.header("x-forwarded-for", addr);
        }
        if let Some(user_agent) = &self.user_agent {
            request = request.header(reqwest::header::USER_AGENT, user_agent);
        }
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        if let Some(HeaderSource(source)) = &self.headers {
            let mut headers = HeaderMap::new();
            source(&mut headers);
            request = request.headers(headers);
        }
        request
    }

    pub async fn signup(&self, body: &SignupRequest) -> Result<AuthResponse, ClientError> {
        self.send_json(Method::POST, "/api/auth/signup", body, StatusCode::CREATED)
            .await
    }

    pub async fn login(&self, body: &LoginRequest) -> Result<AuthResponse, ClientError> {
        self.send_json(Method::POST, "/api/auth/login", body, StatusCode::OK)
            .await
    }

    pub async fn me(&self) -> Result<User, ClientError> {
        self.get("/api/auth/me").await
    }

    /// Deletes the caller's account and every task it owns; `password` is
    /// the account's, to confirm.
    pub async fn delete_account(&self, password: &str) -> Result<(), ClientError> {
        let body = AccountDeletion {
            password: password.to_owned(),
        };
        let response = self
            .request(Method::DELETE, "/api/auth/me")
            .json(&body)
            .send()
            .await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    /// Changes the account's name or time zone (a login only); the
    /// account as changed.
    pub async fn change_profile(&self, body: &ProfileChange) -> Result<User, ClientError> {
        self.send_json(Method::PATCH, "/api/auth/me", body, StatusCode::OK)
            .await
    }

    /// Since when the account has a calendar feed address; `None` when it
    /// has none (never made, or revoked). The address itself is shown only
    /// when it is made.
    pub async fn calendar_feed(&self) -> Result<Option<CalendarFeed>, ClientError> {
        match self.get("/api/auth/calendar-feed").await {
            Ok(feed) => Ok(Some(feed)),
            Err(error)
                if error.status() == Some(StatusCode::NOT_FOUND)
                    && error
                        .body()
                        .is_some_and(|body| body.error.code == ErrorCode::NotFound) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Makes a new secret calendar feed address (a login only), replacing
    /// any earlier one, which stops working at once. The answer holds the
    /// secret this once.
    pub async fn create_calendar_feed(&self) -> Result<CalendarFeedCreated, ClientError> {
        let response = self
            .request(Method::POST, "/api/auth/calendar-feed")
            .send()
            .await?;
        expect(response, StatusCode::CREATED).await
    }

    /// Revokes the calendar feed address (a login only): it answers 404
    /// from now on. 404 when there was none.
    pub async fn revoke_calendar_feed(&self) -> Result<(), ClientError> {
        self.delete("/api/auth/calendar-feed").await
    }

    /// The calendar feed served at `/calendar/{file}` (`file` is
    /// `<secret>.ics`, the last segment of [`CalendarFeedCreated::path`]),
    /// as calendar apps fetch it: no credential but the secret in the path
    /// (this client's token is not sent). `components` picks `event` (the
    /// server's default) or `todo`; `if_none_match` is an `ETag` from an
    /// earlier answer, for a 304 when nothing changed. A refusal (404 for
    /// an unknown or revoked address, 422 for a bad `components`) is the
    /// usual [`ClientError`]. The request's timeout runs until the body is
    /// read to its end.
    pub async fn calendar_document(
        &self,
        file: &str,
        components: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<CalendarDocument, ClientError> {
        let anonymous = Self {
            token: None,
            ..self.clone()
        };
        let mut request = anonymous.request(Method::GET, &format!("/calendar/{}", segment(file)));
        if let Some(components) = components {
            request = request.query(&[("components", components)]);
        }
        if let Some(tag) = if_none_match {
            request = request.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let response = request.send().await?;
        let status = response.status();
        if status == StatusCode::OK || status == StatusCode::NOT_MODIFIED {
            Ok(CalendarDocument { response })
        } else {
            let bytes = response.bytes().await?;
            Err(failure(status, &bytes))
        }
    }

    /// Ends the session this client's token names.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let response = self
            .request(Method::POST, "/api/auth/logout")
            .send()
            .await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    /// Changes the password; every other session of the account ends.
    pub async fn change_password(&self, body: &PasswordChange) -> Result<(), ClientError> {
        let response = self
            .request(Method::POST, "/api/auth/password")
            .json(body)
            .send()
            .await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    /// The account's logins that are neither ended nor expired.
    pub async fn sessions(&self) -> Result<SessionList, ClientError> {
        self.get("/api/auth/sessions").await
    }

    /// Ends one login of the account.
    pub async fn revoke_session(&self, id: Uuid) -> Result<(), ClientError> {
        self.delete(&format!("/api/auth/sessions/{id}")).await
    }

    /// Ends every login of the account but this one.
    pub async fn revoke_other_sessions(&self) -> Result<RevokedSessions, ClientError> {
        let response = self
            .request(Method::POST, "/api/auth/sessions/revoke-others")
            .send()
            .await?;
        expect(response, StatusCode::OK).await
    }

    /// The account's personal access tokens that are neither revoked nor
    /// expired.
    pub async fn personal_tokens(&self) -> Result<SessionList, ClientError> {
        self.get("/api/auth/tokens").await
    }

    pub async fn create_personal_token(
        &self,
        body: &NewPersonalToken,
    ) -> Result<PersonalTokenCreated, ClientError> {
        self.send_json(Method::POST, "/api/auth/tokens", body, StatusCode::CREATED)
            .await
    }

    pub async fn revoke_personal_token(&self, id: Uuid) -> Result<(), ClientError> {
        self.delete(&format!("/api/auth/tokens/{id}")).await
    }

    /// The apps the account connected through OAuth (MCP clients).
    pub async fn connected_apps(&self) -> Result<SessionList, ClientError> {
        self.get("/api/auth/apps").await
    }

    /// Disconnects an app: its tokens are refused from now on.
    pub async fn revoke_connected_app(&self, id: Uuid) -> Result<(), ClientError> {
        self.delete(&format!("/api/auth/apps/{id}")).await
    }

    /// The protected resource's metadata (RFC 9728): `resource` (the URL
    /// of `/mcp`) and `authorization_servers` (the issuer).
    pub async fn protected_resource_metadata(&self) -> Result<serde_json::Value, ClientError> {
        self.get("/.well-known/oauth-protected-resource").await
    }

    /// A registered OAuth client, as the authorization page shows it.
    pub async fn oauth_client(&self, client_id: &str) -> Result<OAuthClient, ClientError> {
        self.get(&format!("/oauth/clients/{}", segment(client_id)))
            .await
    }

    /// Asks for a code once the user allowed the request (a login's
    /// token): where the browser goes next.
    pub async fn authorize(
        &self,
        params: &AuthorizationParams,
    ) -> Result<AuthorizationGranted, ClientError> {
        self.send_json(Method::POST, "/oauth/authorize", params, StatusCode::OK)
            .await
    }

    pub async fn list_tasks(&self, query: &ListQuery) -> Result<TaskList, ClientError> {
        let request = self.request(Method::GET, "/api/tasks").query(query);
        expect(request.send().await?, StatusCode::OK).await
    }

    /// The task list page's data in one round trip: the account, the
    /// counts and one page of tasks.
    pub async fn overview(&self, query: &ListQuery) -> Result<TaskOverview, ClientError> {
        let request = self
            .request(Method::GET, "/api/tasks/overview")
            .query(query);
        expect(request.send().await?, StatusCode::OK).await
    }

    pub async fn create_task(&self, body: &NewTask) -> Result<Task, ClientError> {
        self.send_json(Method::POST, "/api/tasks", body, StatusCode::CREATED)
            .await
    }

    pub async fn get_task(&self, id: Uuid) -> Result<Task, ClientError> {
        self.get(&format!("/api/tasks/{id}")).await
    }

    pub async fn update_task(&self, id: Uuid, patch: &TaskPatch) -> Result<Task, ClientError> {
        self.send_json(
            Method::PATCH,
            &format!("/api/tasks/{id}"),
            patch,
            StatusCode::OK,
        )
        .await
    }

    pub async fn delete_task(&self, id: Uuid) -> Result<(), ClientError> {
        let response = self
            .request(Method::DELETE, &format!("/api/tasks/{id}"))
            .send()
            .await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    pub async fn stats(&self) -> Result<TaskStats, ClientError> {
        self.get("/api/tasks/stats").await
    }

    pub async fn clear_completed(&self) -> Result<ClearedCompleted, ClientError> {
        let response = self
            .request(Method::POST, "/api/tasks/clear-completed")
            .send()
            .await?;
        expect(response, StatusCode::OK).await
    }

    /// One turn with the assistant.
    pub async fn chat(&self, body: &ChatRequest) -> Result<ChatResponse, ClientError> {
        self.send_json(Method::POST, "/api/chat", body, StatusCode::OK)
            .await
    }

    /// The first page of conversations (the server's default size).
    pub async fn conversations(&self) -> Result<ConversationList, ClientError> {
        self.conversation_page(&ConversationQuery::default()).await
    }

    pub async fn conversation_page(
        &self,
        query: &ConversationQuery,
    ) -> Result<ConversationList, ClientError> {
        let request = self.request(Method::GET, "/api/conversations").query(query);
        expect(request.send().await?, StatusCode::OK).await
    }

    /// The newest page of a conversation's messages.
    pub async fn messages(&self, conversation: Uuid) -> Result<MessageList, ClientError> {
        self.message_page(conversation, &MessageQuery::default())
            .await
    }

    pub async fn message_page(
        &self,
        conversation: Uuid,
        query: &MessageQuery,
    ) -> Result<MessageList, ClientError> {
        let request = self
            .request(
                Method::GET,
                &format!("/api/conversations/{conversation}/messages"),
            )
            .query(query);
        expect(request.send().await?, StatusCode::OK).await
    }

    /// Every task and conversation of the account, as one document, read
    /// whole into memory; [`ApiClient::export_download`] passes it on
    /// instead.
    pub async fn export(&self) -> Result<Export, ClientError> {
        self.get("/api/export").await
    }

    /// The export document once its head is in, its body unread, for a
    /// caller that passes the document on as it arrives rather than
    /// holding it (its size is the account's); a refusal (401, 429, …) is
    /// the usual [`ClientError`]. The request's timeout runs until the
    /// body is read to its end: a large account needs a long one
    /// ([`ApiClient::with_timeout`]).
    pub async fn export_download(&self) -> Result<ExportDownload, ClientError> {
        let response = self.request(Method::GET, "/api/export").send().await?;
        let status = response.status();
        if status == StatusCode::OK {
            Ok(ExportDownload { response })
        } else {
            let bytes = response.bytes().await?;
            Err(failure(status, &bytes))
        }
    }

    /// Adds an export document's tasks and conversations to the account,
    /// all or nothing.
    pub async fn import(&self, document: &Export) -> Result<ImportSummary, ClientError> {
        self.send_json(Method::POST, "/api/import", document, StatusCode::CREATED)
            .await
    }

    /// [`ApiClient::import`] of a document as it was read (a file's bytes),
    /// unparsed: the server judges it.
    pub async fn import_json(&self, document: Vec<u8>) -> Result<ImportSummary, ClientError> {
        let response = self
            .request(Method::POST, "/api/import")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(document)
            .send()
            .await?;
        expect(response, StatusCode::CREATED).await
    }

    /// The account's use of its quotas.
    pub async fn usage(&self) -> Result<Usage, ClientError> {
        self.get("/api/auth/usage").await
    }

    pub async fn delete_conversation(&self, conversation: Uuid) -> Result<(), ClientError> {
        let response = self
            .request(
                Method::DELETE,
                &format!("/api/conversations/{conversation}"),
            )
            .send()
            .await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("/health").await
    }

    /// `Ok` only when ready; a 503 comes back as `Err(Contract)` carrying
    /// the body, which names the failing check.
    pub async fn ready(&self) -> Result<Readiness, ClientError> {
        self.get("/ready").await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        expect(
            self.request(Method::GET, path).send().await?,
            StatusCode::OK,
        )
        .await
    }

    async fn delete(&self, path: &str) -> Result<(), ClientError> {
        let response = self.request(Method::DELETE, path).send().await?;
        expect_empty(response, StatusCode::NO_CONTENT).await
    }

    async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        success: StatusCode,
    ) -> Result<T, ClientError> {
        let response = self.request(method, path).json(body).send().await?;
        expect(response, success).await
    }
}

/// `text` as one path segment, whatever it holds: every byte outside
/// RFC 3986's unreserved set percent-encoded.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn expect<T: DeserializeOwned>(
    response: Response,
    success: StatusCode,
) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if status == success {
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Contract {
            status,
            detail: format!("{e}: {}", String::from_utf8_lossy(&bytes)),
        })
    } else {
        Err(failure(status, &bytes))
    }
}

async fn expect_empty(response: Response, success: StatusCode) -> Result<(), ClientError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if status == success {
        Ok(())
    } else {
        Err(failure(status, &bytes))
    }
}

fn failure(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) if !status.is_success() => ClientError::Api { status, body },
        _ => ClientError::Contract {
            status,
            detail: String::from_utf8_lossy(bytes).chars().take(500).collect(),
        },
    }
}
