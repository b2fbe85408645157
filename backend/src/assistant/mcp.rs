//! The MCP door: the five tools at `/mcp`, over the Model Context
//! Protocol's streamable HTTP transport (the official Rust SDK, `rmcp`).
//!
//! Stateless (no session kept between requests) and answering with plain
//! JSON, so any replica serves any request. The bearer credential (a
//! login's token or a personal access token) is checked by the same
//! extractor as `/api` before the SDK sees the request: without a valid
//! one the answer is a 401 in the API's error shape and no tool runs, and
//! a read-only credential calling a write tool gets a 403
//! `insufficient_scope`. The caller it names is what every tool acts for. `Host` must be one of
//! `MCP_ALLOWED_HOSTS` (the SDK's guard against DNS rebinding; in a cluster
//! the chart lists its Service names), and a browser's `Origin`, when
//! sent, one of `MCP_ALLOWED_ORIGINS` (loopback pages by default).
//!
//! With traces on, each request is an MCP server span, continuing the
//! client's trace when its `params._meta` carries a `traceparent`.
//!
//! Tool calls come out of the caller's budgets before the SDK sees them:
//! every call out of their `/mcp` tool calls, a write tool's out of the
//! writes they share with `/api`. A spent budget is a 429 with
//! `Retry-After` whose body is a JSON-RPC error for the request, so an
//! MCP client reports it like any other error.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tracing::Instrument as _;

use super::AssistantSettings;
use super::tools::{Tools, describe, output_schema, specs, writes};
use crate::auth::{Authenticator, Caller, UserBudgets, bearer};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::oauth::OAuthSettings;

/// The MCP server, one per request (the SDK builds one for each).
#[derive(Debug, Clone)]
pub struct TodoMcp {
    tools: Tools,
    metrics: Arc<Metrics>,
    /// What `tools/list` answers, built once.
    listed: Arc<[Tool]>,
}

impl ServerHandler for TodoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("todo", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Manage the caller's to-do tasks: {}. Tasks are always the token holder's own.",
                todo_api::Tool::expected()
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.listed.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Put there by `authenticate`: the SDK keeps the HTTP request parts.
        let caller = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .copied()
            .ok_or_else(|| ErrorData::internal_error("the request carries no caller", None))?;
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let result = self
            .tools
            .call(caller.user_id, caller.scopes, &request.name, &arguments)
            .await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.metrics.count_tool_call(&request.name, outcome, "mcp");
        // A success is the structured result its output schema describes,
        // with a line for people and the same JSON as text for clients that
        // read only text. A failure is a tool result too (the model reads
        // it and can correct itself), never a protocol error: the API's
        // error shape as text, with no structured content, which the
        // output schema does not describe.
        let summary = ContentBlock::text(describe(&request.name, &result));
        Ok(match result {
            Ok(value) => {
                let mut result = CallToolResult::structured(value);
                result.content.insert(0, summary);
                result
            }
            Err(error) => CallToolResult::error(vec![
                summary,
                ContentBlock::text(error.to_json().to_string()),
            ]),
        }
        .into())
    }
}

/// The tools as `tools/list` answers them: with a title, the hints
/// clients use to ask before a destructive call, and the schema of their
/// results, built around `task_schema` (the API's schema of a task).
pub fn listed_tools(task_schema: &serde_json::Value) -> Vec<Tool> {
    specs()
        .into_iter()
        .map(|spec| {
            let annotations = ToolAnnotations::with_title(spec.title)
                .read_only(spec.hints.read_only)
                .destructive(spec.hints.destructive)
                .idempotent(spec.hints.idempotent)
                // A closed world: the caller's own tasks, nothing beyond.
                .open_world(false);
            let mut tool = Tool::new(spec.name(), spec.description, Arc::new(spec.input_schema))
                .with_title(spec.title)
                .with_annotations(annotations);
            tool.output_schema = Some(Arc::new(output_schema(spec.tool, task_schema)));
            tool
        })
        .collect()
}

/// `/mcp`, behind the bearer-token check. `Host` must be one of the
/// settings' allowed hosts and a browser's `Origin`, when sent, one of
/// the allowed origins (403 otherwise, from the SDK).
pub fn router<S>(
    tools: Tools,
    metrics: Arc<Metrics>,
    settings: &AssistantSettings,
    oauth: &OAuthSettings,
    task_schema: &serde_json::Value,
    state: S,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Authenticator>: FromRef<S>,
    Arc<UserBudgets>: FromRef<S>,
{
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(todo_api::limits::BODY_MAX_BYTES)
        .with_allowed_hosts(settings.mcp_allowed_hosts.iter().cloned())
        .with_allowed_origins(settings.mcp_allowed_origins.iter().cloned())
        // Even an empty list is enforced (refusing every `Origin`): only
        // listed browser pages may call; clients outside a browser send none.
        .enforce_origin_validation();
    let listed: Arc<[Tool]> = listed_tools(task_schema).into();
    let service = StreamableHttpService::new(
        move || {
            Ok(TodoMcp {
                tools: tools.clone(),
                metrics: metrics.clone(),
                listed: listed.clone(),
            })
        },
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let door = Door {
        authenticator: Arc::<Authenticator>::from_ref(&state),
        budgets: Arc::<UserBudgets>::from_ref(&state),
        resource_metadata: oauth.resource_metadata_url(),
    };
    Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(door),
            authenticate,
        ))
}

/// What the credential check at `/mcp` needs.
struct Door {
    authenticator: Arc<Authenticator>,
    budgets: Arc<UserBudgets>,
    /// Named in every challenge, so a client without a token finds where
    /// to get one (RFC 9728 §5.1).
    resource_metadata: String,
}

impl Door {
    /// The challenge of a 401 or 403 at `/mcp`: the resource's metadata
    /// and the scopes to ask for, and for a refused token, why (RFC 6750
    /// §3, RFC 9728 §5.1, the MCP authorization spec).
    fn challenge(&self, error: Option<&str>) -> HeaderValue {
        let error = error.map_or(String::new(), |error| format!(r#"error="{error}", "#));
        let value = format!(
            r#"Bearer {error}resource_metadata="{}", scope="tasks:read tasks:write""#,
            self.resource_metadata
        );
        HeaderValue::from_str(&value).expect("the metadata URL is an origin and a fixed path")
    }

    fn refuse(&self, error: ApiError, reason: Option<&str>) -> Response {
        let mut response = error.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, self.challenge(reason));
        response
    }
}

/// 401 before the SDK (and any tool) sees a request without a valid
/// credential (a revoked or expired session, a deleted account); 403 for
/// a write tool called with a read-only one; 429 once the caller's budget
/// is spent; otherwise the caller rides along in the request's extensions.
async fn authenticate(State(door): State<Arc<Door>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let checked = match bearer(&parts) {
        // No credential at all: only the way to get one (RFC 6750 §3.1).
        Err(missing) => return door.refuse(missing, None),
        Ok(token) => door.authenticator.authenticate_at_mcp(token).await,
    };
    let caller: Caller = match checked {
        Ok(caller) => caller,
        Err(refused) if refused.status_and_code().0 == StatusCode::UNAUTHORIZED => {
            return door.refuse(refused, Some("invalid_token"));
        }
        Err(other) => return other.into_response(),
    };
    let bytes = match axum::body::to_bytes(body, todo_api::limits::BODY_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let calls = ToolCalls::in_body(&bytes);
    if !caller.scopes.write
        && let Some(tool) = calls.tools.iter().find(|tool| writes(**tool))
    {
        // Refused here with the 403 the MCP authorization spec names,
        // before the SDK would answer 200 with a tool error.
        tracing::debug!(%tool, "a read-only credential called a write tool");
        let needed = todo_api::Scope::TasksWrite;
        return door.refuse(
            ApiError::InsufficientScope { needed },
            Some("insufficient_scope"),
        );
    }
    if let Err(retry_after) = door.budgets.mcp_tool_calls(caller.user_id, calls.count) {
        return rate_limited(calls.first_id, retry_after, "tool calls");
    }
    if let Err(retry_after) = door.budgets.write(caller.user_id, calls.writes()) {
        return rate_limited(calls.first_id, retry_after, "changes");
    }
    parts.extensions.insert(caller);
    let span = mcp_span(&bytes, &parts.headers);
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .instrument(span)
        .await
}

/// The span of one MCP request, when traces are on, as the MCP semantic
/// conventions describe it: named by its method (and tool), and the child
/// of the span its `params._meta.traceparent` names, when it names one
/// (a client's own trace, which an HTTP proxy between may not carry).
/// A batch or a body that is not JSON-RPC gets none.
fn mcp_span(body: &[u8], headers: &axum::http::HeaderMap) -> tracing::Span {
    #[derive(serde::Deserialize)]
    struct Message {
        #[serde(default)]
        id: serde_json::Value,
        method: String,
        #[serde(default)]
        params: Option<Params>,
    }
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(default)]
        name: Option<serde_json::Value>,
        #[serde(default, rename = "_meta")]
        meta: Option<Meta>,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(default)]
        traceparent: Option<String>,
        #[serde(default)]
        tracestate: Option<String>,
    }
    todo_service::telemetry::span(|| {
        let Ok(message) = serde_json::from_slice::<Message>(body) else {
            return tracing::Span::none();
        };
        let (tool, meta) = match message.params {
            Some(params) => (
                params
                    .name
                    .and_then(|name| name.as_str().map(str::to_owned)),
                params.meta,
            ),
            None => (None, None),
        };
        let tool = tool.filter(|_| message.method == "tools/call");
        // Span names stay few: a method as MCP spells them, a tool that exists.
        let method = if message.method.len() <= 64
            && message
                .method
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'/' || b == b'_')
        {
            message.method.as_str()
        } else {
            "_OTHER"
        };
        let name = match tool
            .as_deref()
            .and_then(|t| t.parse::<todo_api::Tool>().ok())
        {
            Some(tool) => format!("{method} {tool}"),
            None => method.to_owned(),
        };
        let span = tracing::info_span!(
            "mcp",
            otel.name = name,
            otel.kind = "server",
            mcp.method.name = method,
        );
        use todo_service::telemetry::attribute;
        if let Some(tool) = tool {
            attribute(&span, "gen_ai.operation.name", "execute_tool");
            attribute(&span, "gen_ai.tool.name", tool);
        }
        match message.id {
            serde_json::Value::String(id) => attribute(&span, "jsonrpc.request.id", id),
            serde_json::Value::Number(id) => attribute(&span, "jsonrpc.request.id", id.to_string()),
            _ => {}
        }
        if let Some(version) = headers
            .get("mcp-protocol-version")
            .and_then(|value| value.to_str().ok())
        {
            attribute(&span, "mcp.protocol.version", version.to_owned());
        }
        attribute(&span, "network.transport", "tcp");
        if let Some(Meta {
            traceparent: Some(traceparent),
            tracestate,
        }) = meta
        {
            todo_service::telemetry::continue_trace(&span, &traceparent, tracestate.as_deref());
        }
        span
    })
}

/// The JSON-RPC error code of a spent budget: in the range JSON-RPC
/// leaves to servers, beside the SDK's own.
const RATE_LIMITED: i32 = -32029;

/// 429 with `Retry-After`, its body the JSON-RPC error answering `id`:
/// too many `what` this minute.
fn rate_limited(id: serde_json::Value, retry_after: std::time::Duration, what: &str) -> Response {
    let seconds = retry_after.as_secs().max(1);
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": RATE_LIMITED,
            "message": format!("too many {what} this minute; retry after {seconds} s"),
            "data": {"retry_after_seconds": seconds},
        },
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The tool calls a JSON-RPC message (or batch) makes.
#[derive(Debug, Default, PartialEq)]
struct ToolCalls {
    /// Every `tools/call`, whether or not it names a tool.
    count: u32,
    /// The tools named that exist.
    tools: Vec<todo_api::Tool>,
    /// The id of the first message, to answer a refusal with.
    first_id: serde_json::Value,
}

impl ToolCalls {
    fn in_body(body: &[u8]) -> Self {
        /// Only what is looked at; the SDK reads the rest.
        #[derive(serde::Deserialize)]
        struct Message {
            #[serde(default)]
            id: serde_json::Value,
            #[serde(default)]
            method: Option<String>,
            #[serde(default)]
            params: Option<Params>,
        }
        #[derive(serde::Deserialize)]
        struct Params {
            #[serde(default)]
            name: Option<serde_json::Value>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Body {
            One(Message),
            Batch(Vec<Message>),
        }
        let messages = match serde_json::from_slice::<Body>(body) {
            Ok(Body::One(message)) => vec![message],
            Ok(Body::Batch(batch)) => batch,
            // The SDK answers what is not JSON-RPC.
            Err(_) => return Self::default(),
        };
        let mut calls = Self {
            first_id: messages
                .first()
                .map_or(serde_json::Value::Null, |m| m.id.clone()),
            ..Self::default()
        };
        for message in messages {
            if message.method.as_deref() != Some("tools/call") {
                continue;
            }
            calls.count += 1;
            let named = message.params.and_then(|p| p.name);
            if let Some(tool) = named.as_ref().and_then(|n| n.as_str()?.parse().ok()) {
                calls.tools.push(tool);
            }
        }
        calls
    }

    fn writes(&self) -> u32 {
        self.tools.iter().filter(|tool| writes(**tool)).count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_are_counted_alone_and_in_batches() {
        let call = |id: u32, name: &str| {
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                               "params": {"name": name, "arguments": {}}})
        };
        let read =
            |value: serde_json::Value| ToolCalls::in_body(&serde_json::to_vec(&value).unwrap());
        let add = read(call(7, "add_task"));
        assert_eq!((add.count, add.writes()), (1, 1));
        assert_eq!(add.first_id, serde_json::json!(7));
        let list = read(call(1, "list_tasks"));
        assert_eq!((list.count, list.writes()), (1, 0));
        let unknown = read(call(1, "no_such_tool"));
        assert_eq!(
            (unknown.count, unknown.writes(), unknown.tools.len()),
            (1, 0, 0)
        );
        let batch = read(serde_json::json!([
            call(1, "list_tasks"),
            call(2, "delete_task")
        ]));
        assert_eq!((batch.count, batch.writes()), (2, 1));
        assert_eq!(
            batch.tools,
            vec![todo_api::Tool::ListTasks, todo_api::Tool::DeleteTask]
        );
        let other = read(serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
        assert_eq!((other.count, other.first_id), (0, serde_json::json!(2)));
        assert_eq!(ToolCalls::in_body(b"not json"), ToolCalls::default());
    }
}
