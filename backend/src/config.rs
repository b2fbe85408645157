//! Configuration comes only from the environment, is read once at startup
//! into [`Config`], and a bad value stops startup naming the variable.
//! `docs/configuration.md` documents every variable read here.

use std::num::NonZeroU32;
use std::time::Duration;

pub use todo_service::application::Configured;
pub use todo_service::env::ConfigError;
use todo_service::env::{Vars, invalid};
pub use todo_service::server::{LogFormat, ServerSettings};

use crate::assistant::provider::OpenAiSettings;
use crate::assistant::{AssistantSettings, DEFAULT_PROVIDER_TIMEOUT, ProviderSettings};
use crate::auth::{AccountLimits, HashingLimits, UserBudgetLimits};
use crate::domain::Quotas;
use crate::oauth::OAuthSettings;
use crate::reminders::{ReminderSettings, SmtpSettings};
use crate::store::DatabaseSettings;

/// Used when `DATABASE_URL` is unset: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://todo.db";

/// Secrets shorter than this are refused; HS256 wants at least 256 bits.
const JWT_SECRET_MIN_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct Config {
    /// Listening address, logging, shutdown grace, trusted proxies.
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub jwt_secret: String,
    /// The secret before the last rotation: tokens it signed still verify.
    pub jwt_secret_previous: Option<String>,
    pub jwt_ttl: Duration,
    /// Explicit local-development mode: a throwaway JWT secret is allowed.
    pub dev_mode: bool,
    pub cors_origins: Vec<String>,
    pub request_timeout: Duration,
    pub readiness_timeout: Duration,
    pub account_limits: AccountLimits,
    pub hashing: HashingLimits,
    pub assistant: AssistantSettings,
    /// What one account may store.
    pub quotas: Quotas,
    /// What one user may do per minute.
    pub user_budgets: UserBudgetLimits,
    /// Where MCP clients find `/mcp` and log in.
    pub oauth: OAuthSettings,
    /// How `GET /api/export` reads and how long it may take.
    pub export: ExportLimits,
    /// E-mail reminders: the SMTP server (none: no worker) and the
    /// worker's pace.
    pub reminders: ReminderSettings,
}

/// `GET /api/export`: rows read per query (`EXPORT_PAGE_ROWS`), which is
/// what bounds an export's memory, whatever the account holds; and the
/// time one may take (`EXPORT_TIME_LIMIT_SECONDS`), after which its body
/// ends unfinished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimits {
    pub page_rows: u32,
    pub time_limit: Duration,
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self {
            // A message may be 8,000 characters and a tool record 64 KiB:
            // a page of 50 stays within a few MiB at worst.
            page_rows: 50,
            time_limit: Duration::from_secs(600),
        }
    }
}

/// A positive whole number of attempts per period.
fn per_minute<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    name: &'static str,
    default: NonZeroU32,
) -> Result<NonZeroU32, ConfigError> {
    vars.parse(name, default, "a positive whole number")
}

/// How the server skeleton (`todo_service::application`) reads it.
impl Configured for Config {
    fn server(&self) -> &ServerSettings {
        &self.server
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(lookup);
        let (dev_mode, server) = ServerSettings::with_dev_mode(&vars, 8080)?;

        let url = vars
            .get("DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let mut database =
            DatabaseSettings::from_url(&url).map_err(|e| invalid("DATABASE_URL", e))?;
        database.max_connections =
            vars.parse("DATABASE_MAX_CONNECTIONS", 10, "a positive whole number")?;
        if database.max_connections == 0 {
            return Err(invalid("DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        database.acquire_timeout = vars.seconds("DATABASE_ACQUIRE_TIMEOUT_SECONDS", 5)?;

        let jwt_secret = match vars.get("JWT_SECRET") {
            Some(secret) if secret.len() >= JWT_SECRET_MIN_BYTES => secret,
            Some(_) => {
                return Err(invalid(
                    "JWT_SECRET",
                    format!(
                        "must be at least {JWT_SECRET_MIN_BYTES} bytes (try: openssl rand -hex 32)"
                    ),
                ));
            }
            None if dev_mode => format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            None => {
                return Err(invalid(
                    "JWT_SECRET",
                    "is required (generate one with `openssl rand -hex 32`; DEV_MODE=true allows a throwaway secret for local development)",
                ));
            }
        };

        let readiness_ms: u64 = vars.parse(
            "READINESS_TIMEOUT_MS",
            1000,
            "a whole number of milliseconds",
        )?;
        if !(50..=1000).contains(&readiness_ms) {
            return Err(invalid(
                "READINESS_TIMEOUT_MS",
                "must be between 50 and 1000",
            ));
        }

        let assistant = assistant_settings(&vars)?;
        let request_timeout = vars.seconds("REQUEST_TIMEOUT_SECONDS", 30)?;
        if let ProviderSettings::OpenAi(openai) = &assistant.provider
            && openai.timeout >= request_timeout
        {
            // Otherwise the request would time out mid-turn and its client
            // would never hear what the assistant already did.
            return Err(invalid(
                "ASSISTANT_TIMEOUT",
                "must be shorter than REQUEST_TIMEOUT_SECONDS",
            ));
        }
        let jwt_secret_previous = match vars.get("JWT_SECRET_PREVIOUS") {
            Some(secret) if secret.len() < JWT_SECRET_MIN_BYTES => {
                return Err(invalid(
                    "JWT_SECRET_PREVIOUS",
                    format!("must be at least {JWT_SECRET_MIN_BYTES} bytes, like JWT_SECRET"),
                ));
            }
            previous => previous.filter(|secret| !secret.is_empty()),
        };
        let hash_concurrency: usize = vars.parse(
            "HASHING_CONCURRENCY",
            HashingLimits::default().concurrency,
            "a whole number of hashes (1–64)",
        )?;
        if !(1..=64).contains(&hash_concurrency) {
            return Err(invalid("HASHING_CONCURRENCY", "must be between 1 and 64"));
        }
        let hash_wait_ms: u64 = vars.parse(
            "HASHING_WAIT_MS",
            HashingLimits::default().wait.as_millis() as u64,
            "a whole number of milliseconds (0–30000)",
        )?;
        if hash_wait_ms > 30_000 {
            return Err(invalid("HASHING_WAIT_MS", "must be at most 30000"));
        }
        let defaults = AccountLimits::default();
        let oauth = oauth_settings(&vars, server.bind.port())?;
        let default_quotas = Quotas::default();
        let quota = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            let value: u64 = vars.parse(name, default, "a positive whole number")?;
            if value == 0 {
                return Err(invalid(name, "must be at least 1"));
            }
            Ok(value)
        };
        let quotas = Quotas {
            tasks: quota("TASKS_PER_USER_MAX", default_quotas.tasks)?,
            conversations: quota("CONVERSATIONS_PER_USER_MAX", default_quotas.conversations)?,
            messages_per_conversation: quota(
                "MESSAGES_PER_CONVERSATION_MAX",
                default_quotas.messages_per_conversation,
            )?,
        };
        // A turn is admitted only with room for all it may add.
        let turn_room = u64::from(assistant.max_calls_per_turn) + 2;
        if quotas.messages_per_conversation < turn_room {
            return Err(invalid(
                "MESSAGES_PER_CONVERSATION_MAX",
                format!(
                    "must be at least {turn_room}: a chat turn (its message, up to ASSISTANT_MAX_TOOL_CALLS_PER_TURN actions, and the reply) must fit"
                ),
            ));
        }
        let default_budgets = UserBudgetLimits::default();
        let user_budgets = UserBudgetLimits {
            writes_per_minute: per_minute(
                &vars,
                "WRITES_PER_MINUTE_PER_USER",
                default_budgets.writes_per_minute,
            )?,
            mcp_tool_calls_per_minute: per_minute(
                &vars,
                "MCP_TOOL_CALLS_PER_MINUTE_PER_USER",
                default_budgets.mcp_tool_calls_per_minute,
            )?,
        };
        let default_export = ExportLimits::default();
        let export = ExportLimits {
            page_rows: vars.count_within(
                "EXPORT_PAGE_ROWS",
                default_export.page_rows,
                1..=1000,
                "rows",
            )?,
            time_limit: vars.seconds(
                "EXPORT_TIME_LIMIT_SECONDS",
                default_export.time_limit.as_secs(),
            )?,
        };
        let reminders = reminder_settings(&vars)?;
        Ok(Config {
            reminders,
            export,
            oauth,
            assistant,
            quotas,
            user_budgets,
            server,
            database,
            jwt_secret,
            jwt_secret_previous,
            jwt_ttl: vars.seconds("JWT_TTL_SECONDS", 24 * 60 * 60)?,
            dev_mode,
            cors_origins: parse_origins(vars.get("CORS_ALLOWED_ORIGINS"))?,
            request_timeout,
            readiness_timeout: Duration::from_millis(readiness_ms),
            account_limits: AccountLimits {
                login_per_email_and_client_per_minute: per_minute(
                    &vars,
                    "LOGIN_ATTEMPTS_PER_MINUTE_PER_EMAIL",
                    defaults.login_per_email_and_client_per_minute,
                )?,
                login_per_client_per_minute: per_minute(
                    &vars,
                    "LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT",
                    defaults.login_per_client_per_minute,
                )?,
                login_per_email_per_minute: per_minute(
                    &vars,
                    "LOGIN_ATTEMPTS_PER_MINUTE_PER_ACCOUNT",
                    defaults.login_per_email_per_minute,
                )?,
                signup_per_client_per_hour: per_minute(
                    &vars,
                    "SIGNUPS_PER_HOUR_PER_CLIENT",
                    defaults.signup_per_client_per_hour,
                )?,
                signup_per_email_per_hour: per_minute(
                    &vars,
                    "SIGNUPS_PER_HOUR_PER_EMAIL",
                    defaults.signup_per_email_per_hour,
                )?,
                oauth_per_client_per_minute: per_minute(
                    &vars,
                    "OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT",
                    defaults.oauth_per_client_per_minute,
                )?,
                calendar_feed_per_client_per_minute: per_minute(
                    &vars,
                    "CALENDAR_FEED_FETCHES_PER_MINUTE_PER_CLIENT",
                    defaults.calendar_feed_per_client_per_minute,
                )?,
            },
            hashing: HashingLimits {
                concurrency: hash_concurrency,
                wait: Duration::from_millis(hash_wait_ms),
            },
        })
    }
}

fn assistant_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<AssistantSettings, ConfigError> {
    let defaults = AssistantSettings::default();
    let provider = match vars.get("ASSISTANT_PROVIDER").as_deref() {
        None | Some("offline") => ProviderSettings::Offline,
        Some("openai") => {
            let base_url = vars.get("ASSISTANT_BASE_URL").ok_or_else(|| {
                invalid(
                    "ASSISTANT_BASE_URL",
                    "is required with ASSISTANT_PROVIDER=openai (e.g. https://api.openai.com/v1)",
                )
            })?;
            let parsed = url::Url::parse(&base_url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if parsed.is_none() {
                return Err(invalid(
                    "ASSISTANT_BASE_URL",
                    format!("{base_url:?} is not a URL like https://api.openai.com/v1"),
                ));
            }
            let model = vars.get("ASSISTANT_MODEL").ok_or_else(|| {
                invalid(
                    "ASSISTANT_MODEL",
                    "is required with ASSISTANT_PROVIDER=openai (e.g. gpt-4o-mini)",
                )
            })?;
            let timeout = vars.seconds("ASSISTANT_TIMEOUT", DEFAULT_PROVIDER_TIMEOUT.as_secs())?;
            ProviderSettings::OpenAi(OpenAiSettings {
                base_url,
                model,
                api_key: vars.get("ASSISTANT_API_KEY"),
                timeout,
            })
        }
        Some(other) => {
            return Err(invalid(
                "ASSISTANT_PROVIDER",
                format!("{other:?} is not offline or openai"),
            ));
        }
    };
    let max_tool_rounds = vars.count_within(
        "ASSISTANT_MAX_TOOL_ROUNDS",
        defaults.max_tool_rounds,
        1..=20,
        "rounds",
    )?;
    let max_calls_per_round = vars.count_within(
        "ASSISTANT_MAX_TOOL_CALLS_PER_ROUND",
        defaults.max_calls_per_round,
        1..=50,
        "tool calls",
    )?;
    let max_calls_per_turn = vars.count_within(
        "ASSISTANT_MAX_TOOL_CALLS_PER_TURN",
        defaults.max_calls_per_turn,
        1..=200,
        "tool calls",
    )?;
    let list = |raw: String| -> Vec<String> {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mcp_allowed_hosts = vars
        .get("MCP_ALLOWED_HOSTS")
        .map_or(defaults.mcp_allowed_hosts, list);
    let mcp_allowed_origins =
        vars.get("MCP_ALLOWED_ORIGINS")
            .map_or(Ok(defaults.mcp_allowed_origins), |raw| {
                list(raw)
                    .iter()
                    .map(|origin| exact_origin(origin))
                    .collect()
            })?;
    Ok(AssistantSettings {
        provider,
        max_tool_rounds,
        max_calls_per_round,
        max_calls_per_turn,
        history_messages: vars.count_within(
            "ASSISTANT_HISTORY_MESSAGES",
            defaults.history_messages,
            2..=500,
            "messages",
        )?,
        chat_per_minute: per_minute(vars, "CHAT_REQUESTS_PER_MINUTE", defaults.chat_per_minute)?,
        mcp_allowed_hosts,
        mcp_allowed_origins,
    })
}

/// `SMTP_URL` and `SMTP_FROM` (both or neither: no e-mail), and the
/// worker's pace, read and checked whether or not SMTP is set: the chart
/// always sets `REMINDER_POLL_SECONDS`.
fn reminder_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<ReminderSettings, ConfigError> {
    let defaults = ReminderSettings::default();
    let seconds_within = |name: &'static str, default: std::time::Duration, low: u64, high: u64| {
        vars.count_within(name, default.as_secs(), low..=high, "seconds")
            .map(Duration::from_secs)
    };
    let poll = seconds_within("REMINDER_POLL_SECONDS", defaults.poll, 5, 3600)?;
    let lease = seconds_within("REMINDER_LEASE_SECONDS", defaults.lease, 10, 3600)?;
    let retry_after = seconds_within("REMINDER_RETRY_SECONDS", defaults.retry_after, 1, 3600)?;
    let batch = vars.count_within("REMINDER_BATCH_SIZE", defaults.batch, 1..=500, "deliveries")?;
    let max_attempts = vars.count_within(
        "REMINDER_MAX_ATTEMPTS",
        defaults.max_attempts,
        1..=20,
        "attempts",
    )?;
    let from = vars.get("SMTP_FROM");
    let smtp = match vars.get("SMTP_URL") {
        Some(url) => Some(
            SmtpSettings::parse(&url, from.as_deref())
                .map_err(|(variable, problem)| invalid(variable, problem))?,
        ),
        None => {
            // Checked all the same, so a typo shows before SMTP is on.
            if let Some(from) = &from {
                crate::reminders::parse_from(from)
                    .map_err(|(variable, problem)| invalid(variable, problem))?;
            }
            None
        }
    };
    Ok(ReminderSettings {
        smtp,
        poll,
        lease,
        batch,
        retry_after,
        max_attempts,
    })
}

/// `MCP_PUBLIC_URL`, the backend's origin as MCP clients reach it (the
/// OAuth issuer), and `OAUTH_AUTHORIZE_URL`, the frontend's authorization
/// page; by default both on this machine, as `cargo xtask dev` starts them.
fn oauth_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    port: u16,
) -> Result<OAuthSettings, ConfigError> {
    let issuer = match vars.get("MCP_PUBLIC_URL") {
        Some(raw) => {
            let url = url::Url::parse(raw.trim())
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
                .filter(|url| {
                    url.path() == "/" && url.query().is_none() && url.fragment().is_none()
                })
                .ok_or_else(|| {
                    invalid(
                        "MCP_PUBLIC_URL",
                        "must be an http(s) origin with no path, e.g. https://todo.example.com",
                    )
                })?;
            url.origin().ascii_serialization()
        }
        None => format!("http://127.0.0.1:{port}"),
    };
    let authorize_url = match vars.get("OAUTH_AUTHORIZE_URL") {
        Some(raw) => url::Url::parse(raw.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .map(String::from)
            .ok_or_else(|| {
                invalid(
                    "OAUTH_AUTHORIZE_URL",
                    "must be an http(s) URL, e.g. https://todo.example.com/oauth/authorize",
                )
            })?,
        None => "http://127.0.0.1:3000/oauth/authorize".to_owned(),
    };
    Ok(OAuthSettings {
        issuer,
        authorize_url,
    })
}

/// An allowed origin as exactly one (scheme, host, port), RFC 6454's
/// triple: the scheme's default port written out, since the MCP SDK lets
/// an origin without a port match any port. `null` (a sandboxed page) and
/// a `:*` port (any) are kept as written.
fn exact_origin(origin: &str) -> Result<String, ConfigError> {
    let bad = || {
        invalid(
            "MCP_ALLOWED_ORIGINS",
            format!(
                "{origin:?} is not an origin: write scheme://host[:port], e.g. https://app.example.com"
            ),
        )
    };
    if origin == "null" {
        return Ok(origin.to_owned());
    }
    let (scheme, authority) = origin.split_once("://").ok_or_else(bad)?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return Err(bad()),
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(bad());
    }
    // The port follows the last ':' outside an IPv6 literal's brackets.
    let after_host = authority.rfind(']').map_or(0, |bracket| bracket + 1);
    Ok(if authority[after_host..].contains(':') {
        origin.to_owned()
    } else {
        format!("{origin}:{default_port}")
    })
}

fn parse_origins(raw: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let url = url::Url::parse(origin).map_err(|_| {
                invalid(
                    "CORS_ALLOWED_ORIGINS",
                    format!("{origin:?} is not an origin like https://todo.example.com"),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https")
                || url.path() != "/"
                || url.query().is_some()
            {
                return Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    format!("{origin:?} is not an origin like https://todo.example.com"),
                ));
            }
            Ok(origin.trim_end_matches('/').to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(todo_service::env::lookup(vars))
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_use_embedded_sqlite_and_port_8080() {
        let config = config(&[("JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(config.database.url, DEFAULT_DATABASE_URL);
        assert_eq!(config.server.bind.port(), 8080);
        assert_eq!(config.server.log_format, LogFormat::Json);
    }

    #[test]
    fn the_jwt_secret_is_required_outside_dev_mode() {
        assert_eq!(config(&[]).unwrap_err().variable, "JWT_SECRET");
        assert_eq!(
            config(&[("JWT_SECRET", "short")]).unwrap_err().variable,
            "JWT_SECRET"
        );
        let dev = config(&[("DEV_MODE", "true")]).unwrap();
        assert!(dev.jwt_secret.len() >= JWT_SECRET_MIN_BYTES);
    }

    #[test]
    fn the_openai_provider_needs_a_url_and_a_model() {
        let openai = [("JWT_SECRET", SECRET), ("ASSISTANT_PROVIDER", "openai")];
        assert_eq!(config(&openai).unwrap_err().variable, "ASSISTANT_BASE_URL");
        let with_url = [
            openai[0],
            openai[1],
            ("ASSISTANT_BASE_URL", "http://ollama:11434/v1"),
        ];
        assert_eq!(config(&with_url).unwrap_err().variable, "ASSISTANT_MODEL");
        let bad_url = [openai[0], openai[1], ("ASSISTANT_BASE_URL", "ollama")];
        assert_eq!(config(&bad_url).unwrap_err().variable, "ASSISTANT_BASE_URL");
        let full = [
            with_url[0],
            with_url[1],
            with_url[2],
            ("ASSISTANT_MODEL", "llama3.1"),
        ];
        let ProviderSettings::OpenAi(settings) = config(&full).unwrap().assistant.provider else {
            panic!("openai expected")
        };
        assert_eq!(settings.api_key, None);
        assert_eq!(settings.timeout, DEFAULT_PROVIDER_TIMEOUT);
        let outlasting = [
            full[0],
            full[1],
            full[2],
            full[3],
            ("ASSISTANT_TIMEOUT", "30"),
            ("REQUEST_TIMEOUT_SECONDS", "30"),
        ];
        assert_eq!(
            config(&outlasting).unwrap_err().variable,
            "ASSISTANT_TIMEOUT"
        );
        assert_eq!(
            config(&[("JWT_SECRET", SECRET)])
                .unwrap()
                .assistant
                .provider,
            ProviderSettings::Offline
        );
    }

    #[test]
    fn the_oauth_issuer_is_an_origin_local_by_default() {
        let oauth = |vars: &[(&str, &str)]| config(vars).unwrap().oauth;
        let local = oauth(&[("JWT_SECRET", SECRET), ("PORT", "9000")]);
        assert_eq!(local.issuer, "http://127.0.0.1:9000");
        assert_eq!(local.authorize_url, "http://127.0.0.1:3000/oauth/authorize");
        let public = oauth(&[
            ("JWT_SECRET", SECRET),
            ("MCP_PUBLIC_URL", "https://Todo.Example.com/"),
            (
                "OAUTH_AUTHORIZE_URL",
                "https://todo.example.com/oauth/authorize",
            ),
        ]);
        assert_eq!(public.issuer, "https://todo.example.com");
        assert_eq!(public.resource(), "https://todo.example.com/mcp");
    }

    #[test]
    fn mcp_origins_are_a_list_of_origins_loopback_by_default() {
        let origins = |vars: &[(&str, &str)]| config(vars).unwrap().assistant.mcp_allowed_origins;
        assert_eq!(
            origins(&[("JWT_SECRET", SECRET)]),
            ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        );
        assert_eq!(
            origins(&[
                ("JWT_SECRET", SECRET),
                (
                    "MCP_ALLOWED_ORIGINS",
                    " https://app.example.com, http://localhost:*,null "
                ),
            ]),
            ["https://app.example.com:443", "http://localhost:*", "null"]
        );
        assert_eq!(
            origins(&[
                ("JWT_SECRET", SECRET),
                ("MCP_ALLOWED_ORIGINS", "http://[::1],http://[::1]:8080"),
            ]),
            ["http://[::1]:80", "http://[::1]:8080"]
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://a.example/path",
            "https://user@a.example",
        ] {
            let error =
                config(&[("JWT_SECRET", SECRET), ("MCP_ALLOWED_ORIGINS", bad)]).unwrap_err();
            assert_eq!(error.variable, "MCP_ALLOWED_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn reminders_are_off_without_an_smtp_server_and_paced_either_way() {
        let off = config(&[("JWT_SECRET", SECRET), ("REMINDER_POLL_SECONDS", "60")]).unwrap();
        assert_eq!(off.reminders.smtp, None);
        assert_eq!(off.reminders.poll, Duration::from_secs(60));
        assert_eq!(off.reminders.lease, Duration::from_secs(120));
        let smtp = [
            ("JWT_SECRET", SECRET),
            (
                "SMTP_URL",
                "smtp://todo:s3cret@mail.example.com:587?tls=required",
            ),
        ];
        let missing = config(&smtp).unwrap_err();
        assert_eq!(missing.variable, "SMTP_FROM");
        let on = config(&[smtp[0], smtp[1], ("SMTP_FROM", "Todo <todo@example.com>")]).unwrap();
        let settings = on.reminders.smtp.expect("SMTP is on");
        assert_eq!(
            settings.redacted_url(),
            "smtp://todo:***@mail.example.com:587?tls=required"
        );
        // Nothing the configuration prints shows the password.
        let bad = config(&[
            ("JWT_SECRET", SECRET),
            (
                "SMTP_URL",
                "smtp://todo:s3cret@mail.example.com?tls=sometimes",
            ),
            ("SMTP_FROM", "todo@example.com"),
        ])
        .unwrap_err();
        assert_eq!(bad.variable, "SMTP_URL");
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
        let shown = format!(
            "{:?}",
            config(&[smtp[0], smtp[1], ("SMTP_FROM", "todo@example.com")]).unwrap()
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_URL", "postgres://user@:notaport/db"),
            ("PORT", "http"),
            ("BIND_ADDR", "localhost:80"),
            ("LOG_FORMAT", "xml"),
            ("SHUTDOWN_GRACE_SECONDS", "0"),
            ("CORS_ALLOWED_ORIGINS", "not a url"),
            ("TRUSTED_PROXY_HOPS", "yes"),
            ("TRUSTED_PROXY_HOPS", "-1"),
            ("READINESS_TIMEOUT_MS", "5000"),
            ("ASSISTANT_PROVIDER", "gpt"),
            ("ASSISTANT_MAX_TOOL_ROUNDS", "0"),
            ("ASSISTANT_MAX_TOOL_CALLS_PER_ROUND", "0"),
            ("ASSISTANT_MAX_TOOL_CALLS_PER_TURN", "500"),
            ("CHAT_REQUESTS_PER_MINUTE", "0"),
            ("MCP_ALLOWED_ORIGINS", "app.example.com"),
            ("MCP_PUBLIC_URL", "https://todo.example.com/mcp"),
            ("MCP_PUBLIC_URL", "todo.example.com"),
            ("OAUTH_AUTHORIZE_URL", "/oauth/authorize"),
            ("EXPORT_PAGE_ROWS", "0"),
            ("EXPORT_PAGE_ROWS", "5000"),
            ("EXPORT_TIME_LIMIT_SECONDS", "0"),
            ("REMINDER_POLL_SECONDS", "4"),
            ("REMINDER_POLL_SECONDS", "3601"),
            ("REMINDER_LEASE_SECONDS", "9"),
            ("REMINDER_RETRY_SECONDS", "0"),
            ("REMINDER_BATCH_SIZE", "0"),
            ("REMINDER_MAX_ATTEMPTS", "21"),
            ("SMTP_URL", "https://mail.example.com"),
            ("SMTP_FROM", "not a mailbox"),
        ] {
            let error = config(&[("JWT_SECRET", SECRET), (var, value)]).unwrap_err();
            assert_eq!(error.variable, var, "{var}={value}");
            assert!(error.to_string().contains(var));
        }
    }
}
