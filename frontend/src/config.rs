//! Configuration comes only from the environment, is read once at startup
//! into [`Config`], and a bad value stops startup naming the variable.

use std::time::Duration;

pub use todo_service::application::Configured;
pub use todo_service::env::ConfigError;
use todo_service::env::{Vars, invalid};
pub use todo_service::server::{LogFormat, ServerSettings};
use url::Url;

pub const DEFAULT_BACKEND_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    /// Listening address, logging, shutdown grace, trusted proxies (the
    /// ingress, whose `X-Forwarded-For` names the visitor to the backend).
    pub server: ServerSettings,
    /// The backend's root URL, without a trailing slash.
    pub backend_url: String,
    /// The origin visitors use (scheme, host, port). When unset, a POST
    /// must come from the host named in its own `Host` header.
    pub public_origin: Option<String>,
    /// Local development over plain http (`DEV_MODE`): the session cookie
    /// is not `Secure` unless asked for, and logs are readable text.
    pub dev_mode: bool,
    /// Adds `Secure` to the session cookie and names it with the
    /// `__Host-` prefix. On unless `DEV_MODE` (or `COOKIE_SECURE=false`
    /// for a site served over plain http).
    pub cookie_secure: bool,
    pub backend_timeout: Duration,
    /// How long a chat message may take: longer than the backend's own
    /// request timeout, so the backend's answer (even a timeout) arrives.
    pub chat_timeout: Duration,
}

/// How the server skeleton (`todo_service::application`) reads it.
impl Configured for Config {
    fn server(&self) -> &ServerSettings {
        &self.server
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(lookup);
        let (dev_mode, server) = ServerSettings::with_dev_mode(&vars, 3000)?;

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

        // Secure unless told otherwise: forgetting the flag behind HTTPS
        // would let the session leak over any plain-http request.
        let cookie_secure = match vars.get("COOKIE_SECURE") {
            Some(_) => vars.flag("COOKIE_SECURE")?,
            None => !dev_mode,
        };
        if cookie_secure
            && let Some(origin) = public_origin.as_deref()
            && origin.starts_with("http://")
        {
            // Browsers drop a Secure cookie set over plain http: nobody
            // could stay logged in. Better to say so at startup.
            return Err(invalid(
                "COOKIE_SECURE",
                format!(
                    "the session cookie is Secure (the default outside DEV_MODE) but PUBLIC_URL {origin} is plain http, so browsers would not keep it; serve the site over https, or set COOKIE_SECURE=false"
                ),
            ));
        }

        Ok(Config {
            server,
            backend_url: backend_url.trim_end_matches('/').to_owned(),
            public_origin,
            dev_mode,
            cookie_secure,
            backend_timeout: vars.seconds("BACKEND_TIMEOUT_SECONDS", 10)?,
            chat_timeout: vars.seconds("CHAT_TIMEOUT_SECONDS", 35)?,
        })
    }
}

impl Config {
    /// Whether responses tell browsers to use only HTTPS from now on:
    /// exactly when visitors reach the site over https.
    pub fn strict_transport_security(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|origin| origin.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(todo_service::env::lookup(vars))
    }

    #[test]
    fn defaults_listen_on_3000_and_talk_to_a_local_backend() {
        let config = config(&[]).unwrap();
        assert_eq!(config.server.bind.port(), 3000);
        assert_eq!(config.backend_url, DEFAULT_BACKEND_URL);
        assert_eq!(config.public_origin, None);
        assert!(!config.dev_mode);
        assert!(config.cookie_secure, "Secure unless said otherwise");
        assert!(!config.strict_transport_security());
        assert_eq!(config.server.log_format, LogFormat::Json);
    }

    #[test]
    fn dev_mode_serves_plain_http_with_readable_logs() {
        let dev = config(&[("DEV_MODE", "true")]).unwrap();
        assert!(!dev.cookie_secure);
        assert_eq!(dev.server.log_format, LogFormat::Pretty);
        let asked = config(&[("DEV_MODE", "true"), ("COOKIE_SECURE", "true")]).unwrap();
        assert!(asked.cookie_secure, "an explicit COOKIE_SECURE wins");
        let plain = config(&[("COOKIE_SECURE", "false")]).unwrap();
        assert!(!plain.cookie_secure);
        assert!(!plain.dev_mode);
    }

    #[test]
    fn https_sites_get_strict_transport_security() {
        let https = config(&[("PUBLIC_URL", "https://todo.example.com")]).unwrap();
        assert!(https.strict_transport_security());
        assert!(https.cookie_secure);
        let http = config(&[
            ("PUBLIC_URL", "http://todo.local"),
            ("COOKIE_SECURE", "false"),
        ])
        .unwrap();
        assert!(!http.strict_transport_security());
    }

    #[test]
    fn a_secure_cookie_on_a_plain_http_site_stops_startup() {
        let error = config(&[("PUBLIC_URL", "http://todo.local")]).unwrap_err();
        assert_eq!(error.variable, "COOKIE_SECURE");
        assert!(error.to_string().contains("http://todo.local"), "{error}");
        let dev = config(&[("PUBLIC_URL", "http://127.0.0.1:3000"), ("DEV_MODE", "1")]).unwrap();
        assert!(!dev.cookie_secure);
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
            ("DEV_MODE", "sometimes"),
            ("TRUSTED_PROXY_HOPS", "many"),
            ("LOG_FORMAT", "xml"),
            ("SHUTDOWN_GRACE_SECONDS", "0"),
            ("BACKEND_TIMEOUT_SECONDS", "soon"),
            ("CHAT_TIMEOUT_SECONDS", "0"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
            assert!(error.to_string().contains(var));
        }
    }
}
