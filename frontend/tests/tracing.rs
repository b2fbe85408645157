//! Traces across both servers, as a collector receives them: the backend
//! and the frontend export to an OTLP/HTTP receiver on loopback, each
//! under a subscriber of its own (so each is its own `service.name`, as
//! in a cluster). One page view and one chat turn later, both flush on
//! shutdown, and the receiver holds one trace per page that runs from the
//! frontend's server span through the backend's down to the database, the
//! chat turn, the model call and the tool; and an MCP call that names its
//! client's trace in `params._meta` continues that trace.
//!
//! The backend's subscriber is the process's, as in production: a span
//! that ends on a thread of someone else's (sqlx's SQLite workers drop
//! the last handle of a query's span there) releases its parent through
//! that thread's default subscriber, so a subscriber scoped to one thread
//! would keep the parents open forever. The frontend, whose spans never
//! leave its thread, gets a scoped one.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message as _;
use support::Web;
use todo_service::application::{Application, Configured, Server};
use todo_service::telemetry::{Sampling, Telemetry, TraceSettings};
use tokio::sync::oneshot;

/// Every span received, with the `service.name` of its resource.
#[derive(Debug, Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, Span)>>>);

async fn collect(
    State(received): State<Received>,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP/HTTP protobuf body");
    let mut spans = received.0.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| string(kv.value.as_ref()?.value.as_ref()?))
            .unwrap_or_default()
            .to_owned();
        for scope in resource_spans.scope_spans {
            spans.extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
        }
    }
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

fn string(value: &Value) -> Option<&str> {
    match value {
        Value::StringValue(text) => Some(text),
        _ => None,
    }
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    string(attribute(span, key)?)
}

fn number(span: &Span, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::IntValue(number) => Some(*number),
        _ => None,
    }
}

/// A server on a thread of its own, a single-threaded runtime, under the
/// subscriber of `telemetry` when it is given (else the process's).
struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

fn start<S: Server>(config: S::Config, telemetry: Option<&Telemetry>) -> Running
where
    S::Config: 'static,
{
    let dispatch = telemetry.map(|telemetry| telemetry.dispatch().clone());
    let (bound, address) = std::sync::mpsc::channel::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let _subscriber = dispatch.as_ref().map(tracing::dispatcher::set_default);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let app = Application::<S>::build(config)
                .await
                .expect("the server starts");
            bound.send(app.local_addr()).expect("the test waits");
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("the server stops cleanly");
        });
    });
    let address = address
        .recv_timeout(Duration::from_secs(20))
        .expect("the server is listening");
    Running {
        url: format!("http://{address}"),
        stop,
        thread,
    }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::task::spawn_blocking(move || self.thread.join().expect("the server thread"))
            .await
            .unwrap();
    }
}

fn traced(service: &str, receiver: SocketAddr) -> Option<TraceSettings> {
    Some(TraceSettings {
        endpoint: format!("http://{receiver}/v1/traces"),
        service_name: Some(service.to_owned()),
        resource: vec![("deployment.environment.name".into(), "test".into())],
        sampler: Sampling::ParentBasedAlwaysOn,
        export_timeout: Duration::from_secs(5),
    })
}

fn config<C: Configured>(pairs: &[(&str, &str)]) -> C {
    let vars: HashMap<&str, &str> = pairs.iter().copied().collect();
    C::from_lookup(|name| vars.get(name).map(|value| value.to_string()))
        .expect("a valid test configuration")
}

/// The spans of one trace, by span id.
struct Trace<'a> {
    spans: Vec<&'a (String, Span)>,
}

impl<'a> Trace<'a> {
    fn of(all: &'a [(String, Span)], trace_id: &[u8]) -> Self {
        Self {
            spans: all.iter().filter(|(_, s)| s.trace_id == trace_id).collect(),
        }
    }

    fn find(&self, what: &str, test: impl Fn(&str, &Span) -> bool) -> &'a Span {
        let found: Vec<&Span> = self
            .spans
            .iter()
            .filter(|(service, span)| test(service, span))
            .map(|(_, span)| span)
            .collect();
        assert!(
            !found.is_empty(),
            "no {what} in the trace: {:#?}",
            self.summary()
        );
        found[0]
    }

    fn service_of(&self, span: &Span) -> &str {
        self.spans
            .iter()
            .find(|(_, s)| s.span_id == span.span_id)
            .map(|(service, _)| service.as_str())
            .unwrap_or_default()
    }

    fn parent(&self, span: &Span) -> Option<&'a Span> {
        self.spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| !span.parent_span_id.is_empty() && s.span_id == span.parent_span_id)
    }

    fn descends_from(&self, span: &Span, ancestor: &Span) -> bool {
        let mut at = self.parent(span);
        while let Some(parent) = at {
            if parent.span_id == ancestor.span_id {
                return true;
            }
            at = self.parent(parent);
        }
        false
    }

    fn summary(&self) -> Vec<String> {
        self.spans
            .iter()
            .map(|(service, span)| format!("{service}: {} ({:?})", span.name, span.kind()))
            .collect()
    }
}

/// The trace and span an MCP client names as the parent of its call.
const MCP_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const MCP_PARENT: &str = "b7ad6b7169203331";

fn is_server(span: &Span) -> bool {
    span.kind() == SpanKind::Server
}

#[tokio::test]
async fn a_page_view_and_a_chat_turn_are_one_trace_each_across_both_servers() {
    let received = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = listener.local_addr().unwrap();
    let collector = axum::Router::new()
        .route("/v1/traces", post(collect))
        .with_state(received.clone());
    let (stop_receiver, receiver_stopped) = oneshot::channel::<()>();
    let receiving = tokio::spawn(async move {
        axum::serve(listener, collector)
            .with_graceful_shutdown(async {
                let _ = receiver_stopped.await;
            })
            .await
    });

    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("todo.db").display());
    let mut backend_config: todo_backend::Config = config(&[
        ("DATABASE_URL", &database),
        ("BIND_ADDR", "127.0.0.1"),
        ("PORT", "0"),
        ("DEV_MODE", "true"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "warn"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ]);
    backend_config.server.traces = traced("todo-backend", receiver);
    let backend_telemetry = backend_config.server.telemetry().expect("traces set up");
    backend_telemetry.install();
    let backend = start::<todo_backend::state::AppState>(backend_config, None);

    let mut frontend_config: todo_frontend::Config = config(&[
        ("BACKEND_URL", &backend.url),
        ("BIND_ADDR", "127.0.0.1"),
        ("PORT", "0"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "warn"),
        ("COOKIE_SECURE", "false"),
    ]);
    frontend_config.server.traces = traced("todo-frontend", receiver);
    let frontend_telemetry = frontend_config.server.telemetry().expect("traces set up");
    let frontend =
        start::<todo_frontend::state::AppState>(frontend_config, Some(&frontend_telemetry));

    let mut web = Web::new(&frontend.url);
    web.sign_up("Tracer").await;
    assert_eq!(web.get("/tasks").await.status, reqwest::StatusCode::OK);
    let sent = web.post("/assistant", &[("message", "add buy milk")]).await;
    assert_eq!(sent.status, reqwest::StatusCode::SEE_OTHER, "{}", sent.body);

    // An MCP client's own trace, named in the request's `_meta`.
    let account = todo_api::ApiClient::new(&backend.url)
        .signup(&todo_api::SignupRequest {
            email: "mcp-tracer@example.com".into(),
            password: support::PASSWORD.into(),
            name: "MCP".into(),
            time_zone: None,
        })
        .await
        .expect("a backend account");
    let called = todo_api::ApiClient::new(&backend.url)
        .with_token(account.token)
        .request(reqwest::Method::POST, "/mcp")
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({
            "jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {
                "name": "list_tasks", "arguments": {},
                "_meta": {"traceparent": format!("00-{MCP_TRACE}-{MCP_PARENT}-01")},
            },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(called.status(), reqwest::StatusCode::OK);

    frontend.stop().await;
    backend.stop().await;
    tokio::task::spawn_blocking(move || {
        frontend_telemetry.shutdown();
        backend_telemetry.shutdown();
    })
    .await
    .unwrap();
    let _ = stop_receiver.send(());
    receiving.await.unwrap().unwrap();

    let all = received.0.lock().unwrap().clone();
    let page_view = |method: &str, route: &str| {
        let found: Vec<&Span> = all
            .iter()
            .filter(|(service, span)| {
                service == "todo-frontend"
                    && is_server(span)
                    && text(span, "http.request.method") == Some(method)
                    && text(span, "http.route") == Some(route)
            })
            .map(|(_, span)| span)
            .collect();
        assert_eq!(found.len(), 1, "one {method} {route} on the frontend");
        found[0]
    };

    // The task list: the frontend's page, the backend's answer to it, the
    // database's reads, in one trace.
    let list = page_view("GET", "/tasks");
    assert_eq!(list.name, "GET /tasks");
    assert_eq!(number(list, "http.response.status_code"), Some(200));
    let trace = Trace::of(&all, &list.trace_id);
    let api = trace.find("backend server span", |service, span| {
        service == "todo-backend" && is_server(span)
    });
    assert_eq!(
        trace.service_of(trace.parent(api).expect("the backend's span has a parent")),
        "todo-frontend",
        "the backend's server span is a child of a frontend span"
    );
    assert!(text(api, "http.route").is_some_and(|route| route.starts_with("/api/")));
    let read = trace.find("database read", |service, span| {
        service == "todo-backend" && text(span, "db.operation.name") == Some("SELECT")
    });
    assert_eq!(text(read, "db.system.name"), Some("sqlite"));
    assert!(trace.descends_from(read, api));

    // The chat turn: from the frontend's form post to the tool's insert.
    let chat = page_view("POST", "/assistant");
    assert_eq!(number(chat, "http.response.status_code"), Some(303));
    let trace = Trace::of(&all, &chat.trace_id);
    let api = trace.find("the backend's /api/chat", |service, span| {
        service == "todo-backend"
            && is_server(span)
            && text(span, "http.route") == Some("/api/chat")
    });
    assert_eq!(api.name, "POST /api/chat");
    assert_eq!(number(api, "http.response.status_code"), Some(200));
    assert_eq!(
        trace.service_of(trace.parent(api).expect("the backend's span has a parent")),
        "todo-frontend"
    );
    assert!(trace.descends_from(api, chat));
    let turn = trace.find("chat turn", |_, span| {
        text(span, "gen_ai.operation.name") == Some("invoke_agent")
    });
    assert!(trace.descends_from(turn, api));
    assert!(text(turn, "gen_ai.conversation.id").is_some());
    let model = trace.find("model call", |_, span| {
        text(span, "gen_ai.operation.name") == Some("chat")
    });
    assert_eq!(text(model, "gen_ai.provider.name"), Some("todo.offline"));
    assert!(trace.descends_from(model, turn));
    let tool = trace.find("add_task", |_, span| {
        text(span, "gen_ai.tool.name") == Some("add_task")
    });
    assert_eq!(tool.name, "execute_tool add_task");
    assert!(trace.descends_from(tool, turn));
    let insert = trace.find("the tool's insert", |_, span| {
        text(span, "db.operation.name") == Some("INSERT") && trace.descends_from(span, tool)
    });
    assert_eq!(insert.kind(), SpanKind::Client);
    // The MCP request continues the client's trace, and its tool call is in it.
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mcp = all
        .iter()
        .map(|(_, span)| span)
        .find(|span| text(span, "mcp.method.name") == Some("tools/call"))
        .expect("an MCP span");
    assert_eq!(mcp.name, "tools/call list_tasks");
    assert_eq!(mcp.kind(), SpanKind::Server);
    assert_eq!(hex(&mcp.trace_id), MCP_TRACE);
    assert_eq!(hex(&mcp.parent_span_id), MCP_PARENT);
    let mcp_trace = Trace::of(&all, &mcp.trace_id);
    let listed = mcp_trace.find("list_tasks", |_, span| {
        text(span, "gen_ai.tool.name") == Some("list_tasks")
    });
    assert!(mcp_trace.descends_from(listed, mcp));

    // What a query span says is its kind and system, never the values.
    for (_, span) in &trace.spans {
        if text(span, "db.system.name").is_some() {
            for kv in &span.attributes {
                let value = format!("{:?}", kv.value);
                assert!(!value.contains("milk"), "{}: {value}", kv.key);
            }
        }
    }
}
