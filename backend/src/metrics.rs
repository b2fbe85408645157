//! Prometheus metrics with prometheus-client (the Prometheus project's own
//! Rust client): one registry per application, so tests running several
//! apps in one process never mix their numbers. A plain registry: the HTTP
//! side (timing each request, serving `/metrics`) lives in `routes`.
//!
//! Labels use the route template (`/api/tasks/{id}`), never the raw path,
//! and a closed set of methods, so cardinality stays bounded.

use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::store::Store;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: &'static str,
    outcome: &'static str,
    /// `chat` (the agent) or `mcp` (an MCP client).
    door: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: &'static str,
    outcome: &'static str,
}

/// How a reminder delivery attempt ended (`todo_reminders_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderOutcome {
    /// Accepted by the SMTP server.
    Sent,
    /// Given up: refused for good, or out of attempts.
    Failed,
    /// Not sent this time; tried again later.
    Retried,
    /// Not sent: the task was completed or changed, or it came too late.
    Skipped,
}

impl ReminderOutcome {
    const ALL: [Self; 4] = [Self::Sent, Self::Failed, Self::Retried, Self::Skipped];

    fn label(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Retried => "retried",
            Self::Skipped => "skipped",
        }
    }
}

/// Provider calls take from milliseconds (offline) to tens of seconds.
const PROVIDER_BUCKETS: [f64; 12] = [
    0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0,
];

/// Latency buckets from 1 ms to 10 s: API calls live in the low
/// milliseconds; the tail shows saturation.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Label for requests no route matched (404s from the fallback).
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    durations: Family<HttpLabels, Histogram>,
    pool: Family<PoolLabels, Gauge>,
    chats: Family<OutcomeLabels, Counter>,
    tool_calls: Family<ToolLabels, Counter>,
    provider: Family<ProviderLabels, Histogram>,
    reminders: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<HttpLabels, Counter>::default();
        let durations = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests handled, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request received to response headers sent",
            durations.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state (open, idle)",
            pool.clone(),
        );
        registry.register(
            "todo_build",
            "Build information",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let chats = Family::<OutcomeLabels, Counter>::default();
        let tool_calls = Family::<ToolLabels, Counter>::default();
        let provider = Family::<ProviderLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(PROVIDER_BUCKETS)
        });
        registry.register(
            "assistant_chat_requests",
            "Chat turns, by outcome (ok, failed, rate_limited)",
            chats.clone(),
        );
        registry.register(
            "assistant_tool_calls",
            "Assistant tool calls, by tool, outcome (ok, error) and door (chat, mcp)",
            tool_calls.clone(),
        );
        registry.register(
            "assistant_provider_duration_seconds",
            "Time the model provider took to answer, by provider and outcome",
            provider.clone(),
        );
        let reminders = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "todo_reminders",
            "E-mail reminder deliveries by outcome: sent, failed (given up), retried (failed, tried again later), skipped (task completed or changed, or too late)",
            reminders.clone(),
        );
        // Every outcome from the start, at 0: a rate over a series that
        // appears only with its first event misses that event.
        for outcome in ReminderOutcome::ALL {
            let _ = reminders.get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            });
        }
        Self {
            registry,
            requests,
            durations,
            pool,
            chats,
            tool_calls,
            provider,
            reminders,
        }
    }

    /// Counts one request and its latency under its route template.
    pub fn observe(&self, method: &Method, route: String, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: method_label(method),
            route,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn count_chat(&self, outcome: &'static str) {
        self.chats.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// `tool` is the name a client asked for: one that is no tool counts
    /// as `unknown`, so clients cannot add label values.
    pub fn count_tool_call(&self, tool: &str, outcome: &'static str, door: &'static str) {
        let tool = tool
            .parse::<todo_api::Tool>()
            .map_or("unknown", todo_api::Tool::as_str);
        self.tool_calls
            .get_or_create(&ToolLabels {
                tool,
                outcome,
                door,
            })
            .inc();
    }

    pub fn observe_provider(
        &self,
        provider: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.provider
            .get_or_create(&ProviderLabels { provider, outcome })
            .observe(elapsed.as_secs_f64());
    }

    pub fn count_reminder(&self, outcome: ReminderOutcome) {
        self.reminders
            .get_or_create(&OutcomeLabels {
                outcome: outcome.label(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition, with pool gauges read now.
    pub fn render(&self, store: &Store) -> String {
        let (open, idle) = store.pool_usage();
        self.pool
            .get_or_create(&PoolLabels { state: "open" })
            .set(i64::from(open));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
