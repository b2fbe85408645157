//! Logging and traces: one global `tracing` subscriber writing JSON lines
//! (for log collectors) or compact text (for people) to stderr, and, when
//! an OTLP endpoint is configured ([`TraceSettings`]), exporting spans to
//! it over OTLP/HTTP (protobuf) in batches.
//!
//! Traces are off unless configured, and off means absent: no exporter, no
//! OpenTelemetry layer, the same subscriber and the same log lines as
//! without this module's trace half. Every instrumentation point asks
//! [`enabled`] first (one relaxed atomic load) and otherwise makes no span
//! at all ([`span`] hands back `Span::none()`).
//!
//! With traces on: HTTP server spans ([`http_server_span`],
//! [`http_server_response`]) continue the caller's W3C `traceparent`;
//! outgoing calls carry the current span's ([`inject_context`]); JSON log
//! lines written inside a span carry its `trace_id` and `span_id`; and
//! [`Telemetry::shutdown`] flushes what is still batched, within
//! [`FLUSH_TIMEOUT`].

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::MatchedPath;
use axum::http::{HeaderMap, Method, Request, StatusCode, Version};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Status, TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::resource::TelemetryResourceDetector;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::{Dispatch, Event, Instrument as _, Level, Metadata, Span, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer as _;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, filter};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Compact text, for people.
    Pretty,
}

/// How long shutdown waits for the last batch of spans to be sent: a
/// collector that does not answer must not hold up a Pod's exit.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where spans go and which ones; read from the standard `OTEL_*`
/// variables by `ServerSettings`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSettings {
    /// The OTLP/HTTP traces URL, e.g. `http://otel-collector:4318/v1/traces`.
    pub endpoint: String,
    /// `service.name`; when unset, `service.name` from `resource`, else the
    /// executable's name.
    pub service_name: Option<String>,
    /// Resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    pub resource: Vec<(String, String)>,
    pub sampler: Sampling,
    /// How long one export request may take.
    pub export_timeout: Duration,
}

/// Which traces are kept: the standard samplers, ratios in 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    AlwaysOn,
    AlwaysOff,
    Ratio(f64),
    /// Follows the caller's decision; a trace that starts here is kept.
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedRatio(f64),
}

impl Sampling {
    fn sampler(self) -> Sampler {
        let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
        match self {
            Sampling::AlwaysOn => Sampler::AlwaysOn,
            Sampling::AlwaysOff => Sampler::AlwaysOff,
            Sampling::Ratio(ratio) => Sampler::TraceIdRatioBased(ratio),
            Sampling::ParentBasedAlwaysOn => parent_based(Sampler::AlwaysOn),
            Sampling::ParentBasedAlwaysOff => parent_based(Sampler::AlwaysOff),
            Sampling::ParentBasedRatio(ratio) => parent_based(Sampler::TraceIdRatioBased(ratio)),
        }
    }
}

static TRACES_ON: AtomicBool = AtomicBool::new(false);

/// Whether this process exports spans.
#[inline]
pub fn enabled() -> bool {
    TRACES_ON.load(Ordering::Relaxed)
}

/// The process's subscriber, and its tracer provider when traces are on.
#[derive(Debug)]
pub struct Telemetry {
    dispatch: Dispatch,
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Log lines in `format`, filtered by `filter` (`RUST_LOG` syntax),
    /// and spans exported as `traces` say, when given. Not installed yet:
    /// see [`Telemetry::install`]; a test may run a server under
    /// [`Telemetry::dispatch`] instead.
    pub fn new(
        format: LogFormat,
        filter: &str,
        traces: Option<&TraceSettings>,
    ) -> anyhow::Result<Self> {
        let filter = log_filter(filter);
        let Some(traces) = traces else {
            return Ok(Self {
                dispatch: logs_only(format, filter),
                provider: None,
            });
        };
        let provider = provider(traces)?;
        TRACES_ON.store(true, Ordering::Relaxed);
        Ok(Self {
            dispatch: logs_and_spans(format, filter, &provider),
            provider: Some(provider),
        })
    }

    /// Makes it the process's subscriber. A second one (tests start
    /// several servers) is not installed: the first stays.
    pub fn install(&self) {
        let _ = self.dispatch.clone().try_init();
    }

    /// The subscriber, to run a server under on a thread of its own
    /// (`tracing::dispatcher::set_default`), as a test of two servers in
    /// one process does. Only for a server whose spans all end on that
    /// thread: a span dropped last on another thread releases its parent
    /// through that thread's default subscriber, and the parent would
    /// never end.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Sends what is still batched, waiting at most [`FLUSH_TIMEOUT`], and
    /// stops exporting. Blocks: call it once serving has ended, outside
    /// the runtime's worker threads.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown_with_timeout(FLUSH_TIMEOUT)
        {
            tracing::warn!(%error, "could not flush the last spans");
        }
    }
}

/// Installs a subscriber that only logs; `filter` uses `RUST_LOG` syntax.
/// A second call (tests start several servers) keeps the first one.
pub fn init(format: LogFormat, filter: &str) {
    let _ = logs_only(format, log_filter(filter)).try_init();
}

/// Log lines as [`logs_only`] writes them, and spans for `provider`. Each
/// layer filters for itself: `RUST_LOG` decides what is logged, not what
/// is traced.
fn logs_and_spans(format: LogFormat, filter: EnvFilter, provider: &SdkTracerProvider) -> Dispatch {
    let logs = match format {
        LogFormat::Json => json_lines(std::io::stderr).with_filter(filter).boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("todo"))
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(filter::filter_fn(exported));
    Dispatch::new(tracing_subscriber::registry().with(logs).with(spans))
}

fn log_filter(filter: &str) -> EnvFilter {
    EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"))
}

fn logs_only(format: LogFormat, filter: EnvFilter) -> Dispatch {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .finish()
            .into(),
        LogFormat::Pretty => builder.compact().finish().into(),
    }
}

/// The JSON log lines of the subscriber with traces: those of
/// [`logs_only`], each with the ids of the span it was written in.
fn json_lines<S, W>(writer: W) -> impl tracing_subscriber::Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .map_event_format(WithTraceIds)
        .with_writer(writer)
}

/// What becomes part of a trace: spans at `info` and above (the
/// application's are all `info`), warnings and errors as span events; never
/// the SDK's own diagnostics, which would feed back into it.
fn exported(metadata: &Metadata<'_>) -> bool {
    if metadata.target().starts_with("opentelemetry") {
        return false;
    }
    let at_least = if metadata.is_span() {
        Level::INFO
    } else {
        Level::WARN
    };
    *metadata.level() <= at_least
}

fn provider(traces: &TraceSettings) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces.endpoint.as_str())
        .with_timeout(traces.export_timeout)
        .build()
        .context("could not set up the OTLP trace exporter")?;
    // Later attributes win: the executable's name, then the resource
    // attributes, then `OTEL_SERVICE_NAME`.
    let mut resource = Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes([
            KeyValue::new("service.name", executable_name()),
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        ])
        .with_attributes(
            traces
                .resource
                .iter()
                .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
        );
    if let Some(name) = &traces.service_name {
        resource = resource.with_service_name(name.clone());
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(traces.sampler.sampler())
        .with_resource(resource.build())
        .build())
}

fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "todo".to_owned())
}

/// The JSON line of an event, with the trace and span ids of the span it
/// happened in.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let ids = Context::map_current(|cx| {
            let span = cx.span();
            let ids = span.span_context();
            ids.is_valid().then(|| (ids.trace_id(), ids.span_id()))
        });
        let Some((trace_id, span_id)) = ids else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // One JSON object and a newline: the ids go before its closing brace.
        match line.trim_end().strip_suffix('}') {
            Some(object) => writeln!(
                writer,
                r#"{object},"trace_id":"{trace_id}","span_id":"{span_id}"}}"#
            ),
            None => writer.write_str(&line),
        }
    }
}

/// `make()` when traces are on; otherwise a span that is no span at all.
#[inline]
pub fn span(make: impl FnOnce() -> Span) -> Span {
    if enabled() { make() } else { Span::none() }
}

/// `tokio::spawn`, the task staying in the current span when traces are
/// on, so that what it does is part of the same trace.
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if enabled() {
        tokio::spawn(future.instrument(Span::current()))
    } else {
        tokio::spawn(future)
    }
}

/// Sets an attribute of `span`'s exported span, beside its `tracing`
/// fields (so not in the log lines).
pub fn attribute(span: &Span, key: &'static str, value: impl Into<opentelemetry::Value>) {
    if enabled() {
        span.set_attribute(key, value);
    }
}

/// Marks `span` as failed with `kind` (its `error.type`), e.g. an error code.
pub fn failed(span: &Span, kind: impl Into<String>) {
    if enabled() {
        let kind = kind.into();
        span.set_status(Status::error(kind.clone()));
        span.set_attribute("error.type", kind);
    }
}

/// Makes `span` the server span of `request` when traces are on: named
/// `{method} {route}`, with the HTTP semantic conventions' attributes, and
/// a child of the caller's span when the request carries a `traceparent`.
/// `span` must declare the (empty) fields `otel.name` and `otel.kind`,
/// which are filled only then, so the log lines stay as they were.
pub fn http_server_span<B>(span: &Span, request: &Request<B>) {
    if !enabled() {
        return;
    }
    let method = known_method(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    match route {
        Some(route) => span.record("otel.name", format!("{method} {route}")),
        None => span.record("otel.name", method),
    };
    span.record("otel.kind", "server");
    set_remote_parent(span, &extract(request.headers()));
    span.set_attribute("http.request.method", method);
    if let Some(route) = route {
        span.set_attribute("http.route", route.to_owned());
    }
    span.set_attribute("url.path", request.uri().path().to_owned());
    span.set_attribute("url.scheme", "http");
    if let Some(version) = protocol_version(request.version()) {
        span.set_attribute("network.protocol.version", version);
    }
}

/// Records the answer's status on a span made by [`http_server_span`]: a
/// 5xx fails it, a 4xx is the client's error, not the server's.
pub fn http_server_response(span: &Span, status: StatusCode) {
    if !enabled() {
        return;
    }
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(Status::error(""));
        span.set_attribute("error.type", status.as_str().to_owned());
    }
}

/// Adds the current span's W3C trace context (`traceparent`, and
/// `tracestate` when there is one) to an outgoing request's headers.
pub fn inject_context(headers: &mut HeaderMap) {
    if enabled() {
        let cx = Span::current().context();
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}

/// Makes the span that a W3C `traceparent` (and `tracestate`) names the
/// parent of `span`, which must not have been entered yet; a malformed one
/// is ignored.
pub fn continue_trace(span: &Span, traceparent: &str, tracestate: Option<&str>) {
    if !enabled() {
        return;
    }
    let mut headers = HeaderMap::new();
    let fields = [
        ("traceparent", Some(traceparent)),
        ("tracestate", tracestate),
    ];
    for (name, value) in fields {
        if let Some(value) = value.and_then(|value| value.parse().ok()) {
            headers.insert(name, value);
        }
    }
    set_remote_parent(span, &extract(&headers));
}

fn extract(headers: &HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

fn set_remote_parent(span: &Span, parent: &Context) {
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent.clone());
    }
}

/// The method as the conventions name it: one of the standard ones, or
/// `_OTHER`, so a client cannot make up attribute values.
fn known_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

fn protocol_version(version: Version) -> Option<&'static str> {
    match version {
        Version::HTTP_10 => Some("1.0"),
        Version::HTTP_11 => Some("1.1"),
        Version::HTTP_2 => Some("2"),
        _ => None,
    }
}

/// Reads `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs separated by
/// commas, values percent-encoded. `None` when one is malformed.
pub fn parse_resource_attributes(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            Some((key.to_owned(), percent_decoded(value.trim())?))
        })
        .collect()
}

fn percent_decoded(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::SpanId;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The spans that ended: name, id, parent's id.
    #[derive(Debug, Clone, Default)]
    struct Ended(Arc<Mutex<Vec<(String, SpanId, SpanId)>>>);

    impl opentelemetry_sdk::trace::SpanExporter for Ended {
        async fn export(
            &self,
            batch: Vec<opentelemetry_sdk::trace::SpanData>,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            let spans = batch.into_iter().map(|span| {
                let id = span.span_context.span_id();
                (span.name.into_owned(), id, span.parent_span_id)
            });
            self.0.lock().unwrap().extend(spans);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_spawned_task_stays_in_its_callers_span() {
        let ended = Ended::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(ended.clone())
            .build();
        let dispatch = logs_and_spans(LogFormat::Json, log_filter("warn"), &provider);
        let _default = tracing::dispatcher::set_default(&dispatch);
        TRACES_ON.store(true, Ordering::Relaxed);
        async {
            spawn(async {
                let _inner = tracing::info_span!("inner");
            })
            .await
            .unwrap();
        }
        .instrument(tracing::info_span!("outer"))
        .await;
        let ended = ended.0.lock().unwrap().clone();
        let names: Vec<&str> = ended.iter().map(|(name, ..)| name.as_str()).collect();
        assert_eq!(names, ["inner", "outer"], "both ended, the task's first");
        assert_eq!(
            ended[0].2, ended[1].1,
            "the task's span is the caller's child"
        );
    }

    #[test]
    fn json_lines_in_a_span_carry_its_trace_and_span_ids() {
        let lines = Lines::default();
        let writer = lines.clone();
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(json_lines(move || writer.clone()))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(n = 1, "outside");
            tracing::info_span!("work", job = "x").in_scope(|| tracing::info!(n = 2, "inside"));
        });
        let written = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = written
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
            .collect();
        assert_eq!(lines.len(), 2, "{written}");
        assert_eq!(lines[0]["message"], "outside");
        assert!(lines[0].get("trace_id").is_none(), "{written}");
        assert_eq!(lines[1]["message"], "inside");
        assert_eq!(lines[1]["n"], 2);
        assert_eq!(lines[1]["span"]["job"], "x");
        let hex = |value: &serde_json::Value, len: usize| {
            value
                .as_str()
                .is_some_and(|id| id.len() == len && id.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        assert!(hex(&lines[1]["trace_id"], 32), "{written}");
        assert!(hex(&lines[1]["span_id"], 16), "{written}");
    }

    #[test]
    fn resource_attributes_are_pairs_with_percent_encoded_values() {
        assert_eq!(
            parse_resource_attributes("deployment.environment.name=prod, team=a%2Cb%20c,"),
            Some(vec![
                ("deployment.environment.name".to_owned(), "prod".to_owned()),
                ("team".to_owned(), "a,b c".to_owned()),
            ])
        );
        assert_eq!(parse_resource_attributes(""), Some(Vec::new()));
        for bad in ["novalue", "=x", "k=%zz", "k=%4"] {
            assert_eq!(parse_resource_attributes(bad), None, "{bad}");
        }
    }
}
