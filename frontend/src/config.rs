//! Configuration comes only from the environment, is read once at startup
//! into [`Config`], and a bad value stops startup naming the variable.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use url::Url;

pub const DEFAULT_BACKEND_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The backend's root URL, without a trailing slash.
    pub backend_url: String,
    /// The origin visitors use (scheme, host, port). When unset, a POST
    /// must come from the host named in its own `Host` header.
    pub public_origin: Option<String>,
    /// Adds `Secure` to the session cookie (set it whenever the site is
    /// served over HTTPS).
    pub cookie_secure: bool,
    /// Take the visitor's address from the first `X-Forwarded-For` hop
    /// (only behind a proxy that sets it, e.g. the ingress).
    /// Proxies in front (the ingress) whose `X-Forwarded-For` entries are
    /// believed when naming the visitor to the backend.
    pub trusted_proxy_hops: u8,
    pub backend_timeout: Duration,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub log_filter: String,
}

/// One bad variable: startup prints this single line and exits non-zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parse<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| invalid(name, format!("{raw:?} is not {expected}"))),
        }
    }

    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(other) => Err(invalid(name, format!("{other:?} is not true or false"))),
        }
    }

    fn seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parse(name, default, "a whole number of seconds")?;
        if secs == 0 {
            return Err(invalid(name, "must be at least 1"));
        }
        Ok(Duration::from_secs(secs))
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let address: IpAddr = vars.parse(
            "BIND_ADDR",
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            "an IP address",
        )?;
        let port: u16 = vars.parse("PORT", 3000, "a TCP port (0–65535)")?;

        let backend_url = vars
            .get("BACKEND_URL")
            .unwrap_or_else(|| DEFAULT_BACKEND_URL.to_owned());
        let parsed = Url::parse(&backend_url).map_err(|_| {
            invalid(
                "BACKEND_URL",
                format!("{backend_url:?} is not a URL like http://todo-backend:8080"),
            )
        })?;
        // The binary carries no TLS client (smaller image, one less
        // dependency); the backend is reached inside the cluster.
        if parsed.scheme() != "http" || parsed.host().is_none() {
            return Err(invalid(
                "BACKEND_URL",
                format!(
                    "{backend_url:?} is not a plain http:// URL like http://todo-backend:8080 (the frontend has no TLS client)"
                ),
            ));
        }

        let public_origin = vars
            .get("PUBLIC_URL")
            .map(|raw| {
                let url = Url::parse(&raw)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
                url.map(|u| u.origin().ascii_serialization())
                    .ok_or_else(|| {
                        invalid(
                            "PUBLIC_URL",
                            format!("{raw:?} is not a URL like https://todo.example.com"),
                        )
                    })
            })
            .transpose()?;

        let log_format = match vars.get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(invalid(
                    "LOG_FORMAT",
                    format!("{other:?} is not json or pretty"),
                ));
            }
        };

        Ok(Config {
            bind: SocketAddr::new(address, port),
            backend_url: backend_url.trim_end_matches('/').to_owned(),
            public_origin,
            cookie_secure: vars.flag("COOKIE_SECURE")?,
            trusted_proxy_hops: vars.parse(
                "TRUSTED_PROXY_HOPS",
                0,
                "a number of proxies (0–255)",
            )?,
            backend_timeout: vars.seconds("BACKEND_TIMEOUT_SECONDS", 10)?,
            shutdown_grace: vars.seconds("SHUTDOWN_GRACE_SECONDS", 20)?,
            log_format,
            log_filter: vars.get("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_listen_on_3000_and_talk_to_a_local_backend() {
        let config = config(&[]).unwrap();
        assert_eq!(config.bind.port(), 3000);
        assert_eq!(config.backend_url, DEFAULT_BACKEND_URL);
        assert_eq!(config.public_origin, None);
        assert!(!config.cookie_secure);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn public_url_is_reduced_to_its_origin() {
        let config = config(&[("PUBLIC_URL", "https://todo.example.com/app/")]).unwrap();
        assert_eq!(
            config.public_origin.as_deref(),
            Some("https://todo.example.com")
        );
        let config = self::config(&[("BACKEND_URL", "http://backend:8080/")]).unwrap();
        assert_eq!(config.backend_url, "http://backend:8080");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("BACKEND_URL", "backend:8080"),
            ("BACKEND_URL", "ftp://backend"),
            ("BACKEND_URL", "https://backend"),
            ("PUBLIC_URL", "todo.example.com"),
            ("PORT", "http"),
            ("BIND_ADDR", "localhost"),
            ("COOKIE_SECURE", "maybe"),
            ("TRUSTED_PROXY_HOPS", "many"),
            ("LOG_FORMAT", "xml"),
            ("SHUTDOWN_GRACE_SECONDS", "0"),
            ("BACKEND_TIMEOUT_SECONDS", "soon"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
            assert!(error.to_string().contains(var));
        }
    }
}
