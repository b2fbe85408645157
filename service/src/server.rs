//! What both servers are as processes: where they listen, how they log,
//! which proxies they trust, and how they stop (SIGTERM or Ctrl-C: stop
//! accepting, give in-flight requests a grace period, then return).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

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
}

impl ServerSettings {
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

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting and gives in-flight requests `grace` before returning.
pub async fn serve(
    Listener(listener): Listener,
    app: Router,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stopping_tx, mut stopping_rx) = watch::channel(false);
    let signal = async move {
        shutdown.await;
        tracing::info!(
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections"
        );
        let _ = stopping_tx.send(true);
    };
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let serve = axum::serve(listener, app).with_graceful_shutdown(signal);
    let deadline = async move {
        let _ = stopping_rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = serve => result.context("the server failed")?,
        () = deadline => tracing::warn!("grace period over; abandoning unfinished requests"),
    }
    Ok(())
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
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("PORT", "http"),
            ("BIND_ADDR", "localhost"),
            ("LOG_FORMAT", "xml"),
            ("SHUTDOWN_GRACE_SECONDS", "0"),
            ("TRUSTED_PROXY_HOPS", "-1"),
        ] {
            let error = settings(&[(var, value)], 80).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
        }
    }
}
