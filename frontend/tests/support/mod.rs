//! A real stack in-process: the backend on a fresh SQLite file and the
//! frontend in front of it, both on free loopback ports; plus a small
//! cookie-keeping HTTP client that does not follow redirects, so tests see
//! exactly what a browser would receive.

#![allow(dead_code)] // each test target uses a different part

pub mod browser;

use std::collections::HashMap;
use todo_service::application::Configured as _;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// Both servers; dropping it stops them.
pub struct Stack {
    pub url: String,
    pub backend_url: String,
    _stops: Vec<oneshot::Sender<()>>,
    _dir: TempDir,
}

impl Stack {
    pub async fn start() -> Stack {
        Self::start_with(&[]).await
    }

    /// With `extra` backend variables (e.g. another assistant provider).
    pub async fn start_with(extra: &[(&str, &str)]) -> Stack {
        Self::start_configured(extra, &[]).await
    }

    /// With `backend_extra` and `frontend_extra` variables over the
    /// defaults of each.
    pub async fn start_configured(
        backend_extra: &[(&str, &str)],
        frontend_extra: &[(&str, &str)],
    ) -> Stack {
        let extra = backend_extra;
        let dir = tempfile::tempdir().expect("temp dir");
        let database = format!("sqlite://{}", dir.path().join("todo.db").display());
        let mut vars = HashMap::from([
            ("DATABASE_URL", database.as_str()),
            ("BIND_ADDR", "127.0.0.1"),
            ("PORT", "0"),
            ("DEV_MODE", "true"),
            ("LOG_FORMAT", "pretty"),
            ("RUST_LOG", "warn"),
            // The frontend in front forwards each visitor's address.
            ("TRUSTED_PROXY_HOPS", "1"),
            // Every test visitor comes from 127.0.0.1.
            ("LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT", "10000"),
            ("LOGIN_ATTEMPTS_PER_MINUTE_PER_EMAIL", "10000"),
            ("CHAT_REQUESTS_PER_MINUTE", "10000"),
        ]);
        vars.extend(extra.iter().copied());
        let config = todo_backend::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
            .expect("backend test configuration is valid");
        let backend = todo_backend::Application::build(config)
            .await
            .expect("the backend starts");
        let backend_url = format!("http://{}", backend.local_addr());
        let (stop_backend, stopped) = oneshot::channel::<()>();
        tokio::spawn(backend.run_until(async {
            let _ = stopped.await;
        }));
        let (url, stop_frontend) = start_frontend(&backend_url, frontend_extra).await;
        Stack {
            url,
            backend_url,
            _stops: vec![stop_backend, stop_frontend],
            _dir: dir,
        }
    }
}

/// A frontend alone, talking to `backend_url` (which may be dead), with
/// `extra` variables over the defaults.
pub async fn start_frontend(
    backend_url: &str,
    extra: &[(&str, &str)],
) -> (String, oneshot::Sender<()>) {
    let mut vars = HashMap::from([
        ("BACKEND_URL", backend_url),
        ("BIND_ADDR", "127.0.0.1"),
        ("PORT", "0"),
        ("LOG_FORMAT", "pretty"),
        ("RUST_LOG", "warn"),
        // Served over plain http on loopback, as a deployment without
        // TLS would be: the cookie is `todo_session`, without `Secure`.
        ("COOKIE_SECURE", "false"),
    ]);
    vars.extend(extra.iter().copied());
    let config = todo_frontend::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
        .expect("frontend test configuration is valid");
    let app = todo_frontend::Application::build(config)
        .await
        .expect("the frontend starts");
    let url = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// One response, as a browser would get it.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// Asserts the page contains `needle`, showing the page when not.
    #[track_caller]
    pub fn has(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in the page ({}):\n{}",
            self.status,
            self.body
        );
        self
    }

    #[track_caller]
    pub fn lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.body.contains(needle),
            "did not expect {needle:?} in the page ({}):\n{}",
            self.status,
            self.body
        );
        self
    }

    #[track_caller]
    pub fn redirects_to(&self, target: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        assert_eq!(self.location(), Some(target));
        self
    }

    /// How many times `needle` occurs.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// A visitor: keeps the session cookie, sends `Origin` like a browser.
pub struct Web {
    http: reqwest::Client,
    pub base: String,
    /// The session cookie's value.
    pub session: Option<String>,
    /// The session cookie's name: `todo_session` on a plain-http site.
    pub cookie_name: &'static str,
    /// The `Origin` form posts claim; the frontend's own URL by default.
    pub origin: String,
    /// Sent as `User-Agent` when set (reqwest sends none by default).
    pub user_agent: Option<String>,
}

impl Web {
    pub fn new(base: &str) -> Web {
        Web {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_owned(),
            session: None,
            cookie_name: "todo_session",
            origin: base.to_owned(),
            user_agent: None,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// A form POST from one of our own pages.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = self.origin.clone();
        self.post_from(path, form, Some(&origin)).await
    }

    /// A form POST claiming to come from `origin` (or from nowhere).
    pub async fn post_from(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        self.send(request).await
    }

    /// A same-origin urlencoded POST whose body the test makes itself
    /// (e.g. streamed, with no Content-Length).
    pub async fn post_body(&mut self, path: &str, body: reqwest::Body) -> Page {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, self.origin.clone())
            .body(body);
        self.send(request).await
    }

    /// A same-origin `multipart/form-data` POST of one file, as a browser
    /// sends a form with `<input type="file" name="{field}">`.
    pub async fn post_file(&mut self, path: &str, field: &str, contents: &[u8]) -> Page {
        let boundary = "----todo-test-boundary-7d9f2c";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"export.json\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(contents);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::ORIGIN, self.origin.clone())
            .body(body);
        self.send(request).await
    }

    /// `GET path` with the session, its body unread: for a download read
    /// as it comes.
    pub async fn open(&self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = &self.session {
            request = request.header(header::COOKIE, format!("{}={token}", self.cookie_name));
        }
        request.send().await.expect("the frontend answers")
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Page {
        if let Some(token) = &self.session {
            request = request.header(header::COOKIE, format!("{}={token}", self.cookie_name));
        }
        if let Some(agent) = &self.user_agent {
            request = request.header(header::USER_AGENT, agent);
        }
        let response = request.send().await.expect("the frontend answers");
        let status = response.status();
        let headers = response.headers().clone();
        for cookie in headers.get_all(header::SET_COOKIE) {
            let cookie = cookie.to_str().expect("ascii cookie");
            if let Some(rest) = cookie
                .strip_prefix(self.cookie_name)
                .and_then(|rest| rest.strip_prefix('='))
            {
                let value = rest.split(';').next().unwrap_or_default();
                self.session = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        let body = response.text().await.expect("a body");
        Page {
            status,
            headers,
            body,
        }
    }

    /// Signs up a fresh account and lands on the task list.
    pub async fn sign_up(&mut self, name: &str) -> String {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let page = self
            .post(
                "/signup",
                &[("name", name), ("email", &email), ("password", PASSWORD)],
            )
            .await;
        page.redirects_to("/tasks");
        assert!(self.session.is_some(), "signup set the session cookie");
        email
    }

    /// Logs in to an existing account and lands on the task list.
    pub async fn log_in(&mut self, email: &str, password: &str) {
        self.post("/login", &[("email", email), ("password", password)])
            .await
            .redirects_to("/tasks");
        assert!(self.session.is_some(), "login set the session cookie");
    }
}
