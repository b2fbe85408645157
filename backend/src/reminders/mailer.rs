//! The SMTP side: `SMTP_URL` and `SMTP_FROM` read and checked once
//! ([`SmtpSettings`]), and the client that sends one message per
//! connection (lettre over Tokio, TLS by rustls on ring, trusting the
//! system's certificate authorities, else Mozilla's). The URL holds a
//! password: nothing here prints it, and errors are scrubbed of it.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::client::{CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection is secured, as the URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://host` (port 25): no TLS, for a relay in one's own network.
    Plain,
    /// `smtp://…?tls=required` (port 587): STARTTLS or no mail.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered.
    Opportunistic,
    /// `smtps://` (port 465): TLS from the first byte.
    Wrapper,
}

/// `SMTP_URL` and `SMTP_FROM`, checked. Its `Debug` hides the password.
#[derive(Clone, PartialEq)]
pub struct SmtpSettings {
    url: String,
    host: String,
    security: Security,
    /// The password as written in the URL and percent-decoded: what is
    /// scrubbed from errors.
    secrets: Vec<String>,
    from: Mailbox,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &self.redacted_url())
            .field("from", &self.from)
            .finish()
    }
}

/// A bad `SMTP_URL` or `SMTP_FROM`: which, and why (never the password).
pub type SettingsError = (&'static str, String);

impl SmtpSettings {
    /// Reads lettre's URL format: `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`, `smtp://host:25`; the path, if any,
    /// is the name the client greets the server with (EHLO). `from` is
    /// required with it.
    pub fn parse(url: &str, from: Option<&str>) -> Result<Self, SettingsError> {
        let bad = |problem: &str| ("SMTP_URL", problem.to_owned());
        // The URL's text is never quoted back: it may hold the password.
        let parsed = url::Url::parse(url).map_err(|_| {
            bad("is not a URL like smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465")
        })?;
        let tls = parsed
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let security = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => Security::Plain,
            ("smtp", Some("required")) => Security::StartTls,
            ("smtp", Some("opportunistic")) => Security::Opportunistic,
            ("smtp", Some(_)) => return Err(bad("tls= must be required or opportunistic")),
            ("smtps", None) => Security::Wrapper,
            ("smtps", Some(_)) => {
                return Err(bad(
                    "smtps:// is TLS from the start: leave tls= out (or use smtp://…?tls=required for STARTTLS)",
                ));
            }
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| bad("names no host"))?
            .to_owned();
        let mut secrets = Vec::new();
        match (parsed.username(), parsed.password()) {
            ("", None) => {}
            ("", Some(_)) => return Err(bad("has a password but no user name")),
            (_, None) => {
                return Err(bad(
                    "has a user name but no password (smtp://user:pass@host); percent-encode a ':' or '@' in either",
                ));
            }
            (_, Some(password)) => {
                let decoded = percent_decode(password)
                    .ok_or_else(|| bad("its password is not valid percent-encoded UTF-8"))?;
                percent_decode(parsed.username())
                    .ok_or_else(|| bad("its user name is not valid percent-encoded UTF-8"))?;
                secrets.push(password.to_owned());
                if decoded != password {
                    secrets.push(decoded);
                }
            }
        }
        let from = from.ok_or_else(|| {
            (
                "SMTP_FROM",
                "is required with SMTP_URL: the sender of the reminders, e.g. Todo <todo@example.com>"
                    .to_owned(),
            )
        })?;
        let from = parse_from(from)?;
        let settings = Self {
            url: url.to_owned(),
            host,
            security,
            secrets,
            from,
        };
        // What lettre makes of it, so a URL it would refuse stops startup.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| ("SMTP_URL", settings.scrub(&e.to_string())))?;
        Ok(settings)
    }

    /// The URL with its password replaced by `***`, for logs.
    pub fn redacted_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => self.url.clone(),
        }
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// `text` without the password, at most 500 characters: what an
    /// error may say in a log line or a row.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.secrets.iter().filter(|s| !s.is_empty()) {
            text = text.replace(secret.as_str(), "***");
        }
        if text.chars().count() > 500 {
            text = text.chars().take(499).chain(['…']).collect();
        }
        text
    }
}

/// A `SMTP_FROM` mailbox: `Todo <todo@example.com>` or a bare address.
pub fn parse_from(raw: &str) -> Result<Mailbox, SettingsError> {
    raw.parse::<Mailbox>().map_err(|_| {
        (
            "SMTP_FROM",
            format!("{raw:?} is not a mailbox like Todo <todo@example.com> or todo@example.com"),
        )
    })
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why a message did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendFailure {
    /// The server refused it for good (5xx): sending it again would be
    /// refused again.
    Permanent(String),
    /// Anything that may pass later: a 4xx, no connection, TLS, a
    /// timeout, and a refused login (a setting to fix, not a reason to
    /// drop the reminder).
    Temporary(String),
}

/// The SMTP client: one connection per message.
#[derive(Debug, Clone)]
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: SmtpSettings,
    timeout: Duration,
}

/// Replies that refuse the login or demand one: the account or its
/// settings are wrong, which someone can fix, so they are retried.
const LOGIN_REFUSED: [u16; 4] = [530, 534, 535, 538];

impl Mailer {
    /// The client for `settings`; `timeout` bounds each message, from
    /// connecting to the last answer, and each read or write within it.
    pub fn new(settings: &SmtpSettings, timeout: Duration) -> Result<Self, String> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| settings.scrub(&e.to_string()))?;
        if settings.security != Security::Plain && !system_roots_present() {
            // lettre reads the system's certificate authorities; a system
            // without any (a scratch image) trusts Mozilla's instead.
            let parameters = TlsParameters::builder(settings.host.clone())
                .certificate_store(CertificateStore::WebpkiRoots)
                .build_rustls()
                .map_err(|e| settings.scrub(&e.to_string()))?;
            builder = builder.tls(match settings.security {
                Security::StartTls => Tls::Required(parameters),
                Security::Opportunistic => Tls::Opportunistic(parameters),
                Security::Wrapper | Security::Plain => Tls::Wrapper(parameters),
            });
        }
        Ok(Self {
            transport: builder.timeout(Some(timeout)).build(),
            settings: settings.clone(),
            timeout,
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.settings.from
    }

    /// Sends one message, within the timeout.
    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(self.classify(&error)),
            Err(_) => Err(SendFailure::Temporary(format!(
                "no answer from the SMTP server within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    fn classify(&self, error: &lettre::transport::smtp::Error) -> SendFailure {
        let text = self.settings.scrub(&error_chain(error));
        let login = error
            .status()
            .and_then(|code| code.to_string().parse::<u16>().ok())
            .is_some_and(|code| LOGIN_REFUSED.contains(&code));
        if error.is_permanent() && !login {
            SendFailure::Permanent(text)
        } else {
            SendFailure::Temporary(text)
        }
    }
}

/// An error with its causes, `: `-separated (lettre's own text leaves a
/// connection error's reason in its source).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Whether the system has certificate authorities to trust.
fn system_roots_present() -> bool {
    !rustls_native_certs::load_native_certs().certs.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<SmtpSettings, SettingsError> {
        SmtpSettings::parse(url, Some("Todo <todo@example.com>"))
    }

    #[test]
    fn the_three_ways_to_reach_a_server_are_read() {
        assert_eq!(
            parse("smtp://user:pass@mail.example.com:587?tls=required")
                .unwrap()
                .security,
            Security::StartTls
        );
        assert_eq!(
            parse("smtps://user:pass@mail.example.com:465")
                .unwrap()
                .security,
            Security::Wrapper
        );
        let relay = parse("smtp://relay.internal:25").unwrap();
        assert_eq!(relay.security, Security::Plain);
        assert_eq!(relay.host, "relay.internal");
        assert_eq!(relay.redacted_url(), "smtp://relay.internal:25");
        assert_eq!(
            parse("smtp://mail.example.com?tls=opportunistic")
                .unwrap()
                .security,
            Security::Opportunistic
        );
    }

    #[test]
    fn bad_urls_are_refused_without_quoting_the_password() {
        for (url, says) in [
            ("mail.example.com", "is not a URL"),
            ("http://user:s3cret@mail.example.com", "smtp://"),
            ("smtp://user:s3cret@mail.example.com?tls=always", "tls="),
            (
                "smtps://user:s3cret@mail.example.com?tls=required",
                "leave tls= out",
            ),
            ("smtp://user@mail.example.com", "no password"),
            ("smtp://:s3cret@mail.example.com", "no user name"),
            ("smtp://user:s3cret%ff@mail.example.com", "percent-encoded"),
            ("smtp:///path", "no host"),
        ] {
            let (variable, problem) = parse(url).unwrap_err();
            assert_eq!(variable, "SMTP_URL", "{url}");
            assert!(problem.contains(says), "{url}: {problem}");
            assert!(!problem.contains("s3cret"), "{url}: {problem}");
        }
    }

    #[test]
    fn the_sender_is_required_and_must_be_a_mailbox() {
        let url = "smtp://relay.internal:25";
        assert_eq!(SmtpSettings::parse(url, None).unwrap_err().0, "SMTP_FROM");
        assert_eq!(
            SmtpSettings::parse(url, Some("Todo <not an address>"))
                .unwrap_err()
                .0,
            "SMTP_FROM"
        );
        let bare = SmtpSettings::parse(url, Some("todo@example.com")).unwrap();
        assert_eq!(bare.from().email.to_string(), "todo@example.com");
    }

    #[test]
    fn the_password_never_shows() {
        let settings =
            parse("smtp://me%40example.com:p%40ss%3Aw0rd@mail.example.com:587?tls=required")
                .unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("p%40ss"), "{shown}");
        assert!(
            shown.contains("me%40example.com:***@mail.example.com"),
            "{shown}"
        );
        assert_eq!(
            settings.scrub("535 rejected p@ss:w0rd and p%40ss%3Aw0rd"),
            "535 rejected *** and ***"
        );
        assert_eq!(settings.scrub(&"e".repeat(600)).chars().count(), 500);
        // Nor does the client's own `Debug` (lettre hides credentials).
        let mailer = Mailer::new(&settings, Duration::from_secs(5)).unwrap();
        let shown = format!("{mailer:?}");
        assert!(!shown.contains("w0rd"), "{shown}");
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_a_temporary_failure() {
        // A port nothing listens on: bound, then let go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let mailer = Mailer::new(&settings, Duration::from_secs(5)).unwrap();
        let message = Message::builder()
            .from(settings.from().clone())
            .to("ada@example.com".parse().unwrap())
            .subject("x")
            .body(String::from("x"))
            .unwrap();
        match mailer.send(message).await {
            Err(SendFailure::Temporary(error)) => assert!(!error.is_empty()),
            other => panic!("expected a temporary failure, got {other:?}"),
        }
    }
}
