//! What both servers are as processes: where they listen, how they log,
//! which proxies they trust, what a connection may cost them (see
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

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
        })
    }

    /// Binds the listening socket (port 0 picks a free one).
    pub async fn listen(&self) -> anyhow::Result<Listener> {
        TcpListener::bind(self.bind)
            .await
            .map(Listener)
            .with_context(|| format!("could not listen on {} (BIND_ADDR/PORT)", self.bind))
    }
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
