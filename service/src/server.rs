//! What both servers are as processes: where they listen, how they log
//! and where their traces go, which proxies they trust, what a connection may cost them (see
//! [`crate::connections`]), and how they stop (SIGTERM or Ctrl-C: stop
//! accepting, give in-flight requests a grace period, then return).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::connections::{self, ConnectionLimits};
use crate::env::{ConfigError, Vars, invalid};
pub use crate::telemetry::LogFormat;
use crate::telemetry::{Sampling, Telemetry, TraceSettings, parse_resource_attributes};

/// The settings every server reads the same way. `docs/configuration.md`
/// documents each variable.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// After SIGTERM, how long in-flight requests may finish.
    pub shutdown_grace: Duration,
    /// Proxies in front whose `X-Forwarded-For` entries are believed
    /// (see [`crate::client_address`]).
    pub trusted_proxy_hops: u8,
    /// Deadline for each request head, and how many connections at once.
    pub connection_limits: ConnectionLimits,
    /// Where spans are exported (OTLP/HTTP); `None`: nowhere, and no
    /// tracing machinery at all (see [`crate::telemetry`]).
    pub traces: Option<TraceSettings>,
}

impl ServerSettings {
    /// `DEV_MODE` (explicit local development) and the settings, whose log
    /// format defaults to `pretty` in dev mode and to JSON lines
    /// everywhere else.
    pub fn with_dev_mode<F: Fn(&str) -> Option<String>>(
        vars: &Vars<F>,
        default_port: u16,
    ) -> Result<(bool, Self), ConfigError> {
        let dev_mode = vars.flag("DEV_MODE")?;
        let default_log_format = if dev_mode {
            LogFormat::Pretty
        } else {
            LogFormat::Json
        };
        Ok((
            dev_mode,
            Self::from_vars(vars, default_port, default_log_format)?,
        ))
    }

    pub fn from_vars<F: Fn(&str) -> Option<String>>(
        vars: &Vars<F>,
        default_port: u16,
        default_log_format: LogFormat,
    ) -> Result<Self, ConfigError> {
        let address: IpAddr = vars.parse(
            "BIND_ADDR",
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            "an IP address",
        )?;
        let port: u16 = vars.parse("PORT", default_port, "a TCP port (0–65535)")?;
        let log_format = match vars.get("LOG_FORMAT").as_deref() {
            None => default_log_format,
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(invalid(
                    "LOG_FORMAT",
                    format!("{other:?} is not json or pretty"),
                ));
            }
        };
        Ok(Self {
            bind: SocketAddr::new(address, port),
            log_format,
            log_filter: vars.get("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            shutdown_grace: vars.seconds("SHUTDOWN_GRACE_SECONDS", 20)?,
            trusted_proxy_hops: vars.parse(
                "TRUSTED_PROXY_HOPS",
                0,
                "a number of proxies (0–255)",
            )?,
            connection_limits: ConnectionLimits {
                // Up to five minutes: it is also the keep-alive idle timeout
                // (see `ConnectionLimits`), which may need to outlast a
                // proxy's; longer only helps slow clients hold connections.
                header_read_timeout: Duration::from_secs(vars.count_within(
                    "HEADER_READ_TIMEOUT_SECONDS",
                    10,
                    1..=300,
                    "seconds",
                )?),
                // Each open connection costs a file descriptor and some
                // kilobytes of buffers; more than this belongs on more
                // replicas.
                max_connections: vars.count_within(
                    "MAX_CONNECTIONS",
                    1024,
                    1..=65_536,
                    "connections",
                )?,
            },
            traces: traces(vars)?,
        })
    }

    /// The subscriber these settings ask for: their log lines, and traces
    /// when [`ServerSettings::traces`] is set. Not installed yet.
    pub fn telemetry(&self) -> anyhow::Result<Telemetry> {
        Telemetry::new(self.log_format, &self.log_filter, self.traces.as_ref())
    }

    /// Binds the listening socket (port 0 picks a free one).
    pub async fn listen(&self) -> anyhow::Result<Listener> {
        TcpListener::bind(self.bind)
            .await
            .map(Listener)
            .with_context(|| format!("could not listen on {} (BIND_ADDR/PORT)", self.bind))
    }
}

/// The standard OpenTelemetry variables, as far as this exporter goes:
/// traces on when an OTLP endpoint is set (and neither
/// `OTEL_SDK_DISABLED` nor `OTEL_TRACES_EXPORTER=none` says otherwise),
/// over plain-http OTLP with protobuf bodies only.
fn traces<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Option<TraceSettings>, ConfigError> {
    if vars.flag("OTEL_SDK_DISABLED")? {
        return Ok(None);
    }
    match vars.get("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => {
            return Err(invalid(
                "OTEL_TRACES_EXPORTER",
                format!("{other:?} is not otlp or none"),
            ));
        }
    }
    // The signal's own URL is used as it is; the general one is a base.
    let (variable, endpoint) = match (
        vars.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        vars.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        (Some(url), _) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url),
        (None, Some(base)) => (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{}/v1/traces", base.trim_end_matches('/')),
        ),
        (None, None) => return Ok(None),
    };
    match url::Url::parse(&endpoint) {
        Ok(url) if url.scheme() == "http" && url.host().is_some() => {}
        Ok(url) if url.scheme() == "https" => {
            return Err(invalid(
                variable,
                format!(
                    "{endpoint:?} is https, and traces are sent over plain http only (the servers carry no TLS client for them): use a collector inside the cluster, e.g. http://otel-collector:4318"
                ),
            ));
        }
        _ => {
            return Err(invalid(
                variable,
                format!("{endpoint:?} is not a URL like http://otel-collector:4318"),
            ));
        }
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        match vars.get(variable).as_deref() {
            None => continue,
            Some("http/protobuf") => break,
            Some(other) => {
                return Err(invalid(
                    variable,
                    format!("{other:?} is not supported: traces are sent as http/protobuf"),
                ));
            }
        }
    }
    let resource = match vars.get("OTEL_RESOURCE_ATTRIBUTES") {
        None => Vec::new(),
        Some(raw) => parse_resource_attributes(&raw).ok_or_else(|| {
            invalid(
                "OTEL_RESOURCE_ATTRIBUTES",
                "is not a list like deployment.environment.name=prod,team=todo (values percent-encoded)",
            )
        })?,
    };
    let timeout_ms = match vars.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") {
        Some(_) => vars.count_within(
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            10_000,
            1..=600_000,
            "milliseconds",
        )?,
        None => vars.count_within(
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            10_000,
            1..=600_000,
            "milliseconds",
        )?,
    };
    Ok(Some(TraceSettings {
        endpoint,
        service_name: vars.get("OTEL_SERVICE_NAME"),
        resource,
        sampler: sampling(vars)?,
        export_timeout: Duration::from_millis(timeout_ms),
    }))
}

fn sampling<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Sampling, ConfigError> {
    let ratio = || -> Result<f64, ConfigError> {
        let ratio: f64 = vars.parse("OTEL_TRACES_SAMPLER_ARG", 1.0, "a ratio from 0 to 1")?;
        if (0.0..=1.0).contains(&ratio) {
            Ok(ratio)
        } else {
            Err(invalid("OTEL_TRACES_SAMPLER_ARG", "must be from 0 to 1"))
        }
    };
    Ok(match vars.get("OTEL_TRACES_SAMPLER").as_deref() {
        None | Some("parentbased_always_on") => Sampling::ParentBasedAlwaysOn,
        Some("parentbased_always_off") => Sampling::ParentBasedAlwaysOff,
        Some("parentbased_traceidratio") => Sampling::ParentBasedRatio(ratio()?),
        Some("always_on") => Sampling::AlwaysOn,
        Some("always_off") => Sampling::AlwaysOff,
        Some("traceidratio") => Sampling::Ratio(ratio()?),
        Some(other) => {
            return Err(invalid(
                "OTEL_TRACES_SAMPLER",
                format!(
                    "{other:?} is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"
                ),
            ));
        }
    })
}

/// A bound socket not yet served.
#[derive(Debug)]
pub struct Listener(TcpListener);

impl Listener {
    /// Where it listens (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.0
            .local_addr()
            .expect("a bound listener has an address")
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes;
/// then stops accepting (new connections are refused), lets each open
/// connection finish its request in flight, and returns once all have
/// ended or `grace` is over, whichever is first.
pub async fn serve(
    Listener(listener): Listener,
    app: Router,
    limits: ConnectionLimits,
    grace: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let open = connections::serve_until(listener, app, limits, shutdown).await;
    tracing::info!(
        grace_seconds = grace.as_secs(),
        "shutting down: no new connections"
    );
    if tokio::time::timeout(grace, open.drain()).await.is_err() {
        // Their tasks are dropped with the runtime when `main` returns.
        tracing::warn!("grace period over; abandoning unfinished requests");
    }
}

/// Completes on SIGTERM (Kubernetes) or Ctrl-C (a terminal).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)], port: u16) -> Result<ServerSettings, ConfigError> {
        let vars = Vars::new(crate::env::lookup(pairs));
        ServerSettings::from_vars(&vars, port, LogFormat::Json)
    }

    #[test]
    fn defaults_listen_everywhere_on_the_given_port() {
        let settings = settings(&[], 3000).unwrap();
        assert_eq!(settings.bind.to_string(), "0.0.0.0:3000");
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.trusted_proxy_hops, 0);
        assert_eq!(settings.shutdown_grace, Duration::from_secs(20));
        assert_eq!(
            settings.connection_limits,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(10),
                max_connections: 1024,
            }
        );
    }

    #[test]
    fn connection_limits_are_read_within_their_bounds() {
        let settings = settings(
            &[
                ("HEADER_READ_TIMEOUT_SECONDS", "300"),
                ("MAX_CONNECTIONS", "1"),
            ],
            80,
        )
        .unwrap();
        assert_eq!(
            settings.connection_limits,
            ConnectionLimits {
                header_read_timeout: Duration::from_secs(300),
                max_connections: 1,
            }
        );
    }

    #[test]
    fn traces_are_off_without_an_endpoint() {
        assert_eq!(settings(&[], 80).unwrap().traces, None);
        for off in [
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ] {
            let on = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
            assert_eq!(settings(&[on, off], 80).unwrap().traces, None, "{off:?}");
        }
    }

    #[test]
    fn traces_read_the_standard_variables() {
        let traces = settings(
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
                ("OTEL_SERVICE_NAME", "todo-backend"),
                (
                    "OTEL_RESOURCE_ATTRIBUTES",
                    "deployment.environment.name=prod",
                ),
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ],
            80,
        )
        .unwrap()
        .traces
        .unwrap();
        assert_eq!(
            traces,
            TraceSettings {
                endpoint: "http://collector:4318/v1/traces".into(),
                service_name: Some("todo-backend".into()),
                resource: vec![("deployment.environment.name".into(), "prod".into())],
                sampler: Sampling::ParentBasedRatio(0.25),
                export_timeout: Duration::from_secs(10),
            }
        );
        let own = settings(
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
                (
                    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                    "http://jaeger:4318/v1/traces",
                ),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ],
            80,
        )
        .unwrap()
        .traces
        .unwrap();
        assert_eq!(own.endpoint, "http://jaeger:4318/v1/traces");
        assert_eq!(own.sampler, Sampling::ParentBasedAlwaysOn);
        assert_eq!(own.export_timeout, Duration::from_millis(2500));
    }

    #[test]
    fn bad_trace_settings_name_their_variable() {
        let on = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        for (var, value) in [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
            ("OTEL_TRACES_SAMPLER", "jaeger_remote"),
            ("OTEL_TRACES_EXPORTER", "zipkin"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "0"),
            ("OTEL_SDK_DISABLED", "maybe"),
        ] {
            let error = settings(&[on, (var, value)], 80).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
        }
        for arg in ["2", "-0.5", "half"] {
            let pairs = [
                on,
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", arg),
            ];
            let error = settings(&pairs, 80).unwrap_err();
            assert_eq!(error.variable, "OTEL_TRACES_SAMPLER_ARG", "{arg}");
        }
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("PORT", "http"),
            ("BIND_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("SHUTDOWN_GRACE_SECONDS", "0"),
            ("TRUSTED_PROXY_HOPS", "-1"),
            ("HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("HEADER_READ_TIMEOUT_SECONDS", "301"),
            ("HEADER_READ_TIMEOUT_SECONDS", "1.5"),
            ("MAX_CONNECTIONS", "0"),
            ("MAX_CONNECTIONS", "65537"),
            ("MAX_CONNECTIONS", "many"),
        ] {
            let error = settings(&[(var, value)], 80).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
        }
    }
}
