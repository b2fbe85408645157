//! `todo-frontend selftest --url URL --backend-url URL`, the frontend's
//! Helm test: the path a visitor takes through the frontend, as plain form
//! posts and page loads (the pages need no JavaScript): sign up through
//! the form, add a task through the form, see it on the task list, send
//! the assistant a message and see its action on the conversation and on
//! the list, fetch a calendar feed through the frontend (its address made
//! through the backend), log out (the old session is then refused) and
//! log in again.
//! The account is deleted through the backend afterwards, with the
//! session's own token. The paths and the cookie names are the frontend's
//! own (`paths`, `session`), so the walk cannot drift from the pages.

use std::time::Instant;

use reqwest::header::{HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use todo_api::ApiClient;
use uuid::Uuid;

use todo_service::selftest::{Mismatch, after_cleanup, call, mismatch, report};

use crate::paths;
use crate::session::{SECURE_SESSION_COOKIE, SESSION_COOKIE};

/// Which parts of the walk to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// The chat message expects the offline provider's answers; off when
    /// the backend talks to a real model.
    pub chat: bool,
}

/// Where to walk and what origin to claim.
#[derive(Debug, Clone)]
pub struct FrontendWalk<'a> {
    /// The frontend's base URL, e.g. http://todo-frontend:3000.
    pub frontend: &'a str,
    /// The backend's base URL, for deleting the account afterwards.
    pub backend: &'a str,
    /// The public origin the frontend checks form posts against (its
    /// PUBLIC_URL); None: the frontend's own URL, as a browser on it sends.
    pub origin: Option<&'a str>,
    pub walk: Walk,
}

/// A browser without JavaScript: forms, redirects by hand, one cookie.
struct Visitor {
    http: reqwest::Client,
    base: String,
    origin: String,
    /// The session cookie as the frontend set it: its name (plain, or
    /// `__Host-` behind https) and value.
    session: Option<(&'static str, String)>,
    /// The password it signed up with (deleting the account asks for it).
    password: Option<String>,
}

/// A page as loaded: status, headers, HTML.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

impl Page {
    fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    fn expect(self, step: &'static str, status: StatusCode) -> Result<Self, Mismatch> {
        if self.status == status {
            return Ok(self);
        }
        Err(mismatch(
            step,
            format!(
                "status:\n    expected: {status}\n    actual:   {}\n    page:     {}",
                self.status,
                self.html.chars().take(500).collect::<String>()
            ),
        ))
    }

    fn expect_redirect(self, step: &'static str, prefix: &str) -> Result<String, Mismatch> {
        let page = self.expect(step, StatusCode::SEE_OTHER)?;
        match page.location() {
            Some(to) if to.starts_with(prefix) => Ok(to.to_owned()),
            other => Err(mismatch(
                step,
                format!("redirect:\n    expected: {prefix}…\n    actual:   {other:?}"),
            )),
        }
    }

    fn expect_text(&self, step: &'static str, text: &str) -> Result<(), Mismatch> {
        if self.html.contains(text) {
            Ok(())
        } else {
            Err(mismatch(step, format!("the page does not show {text:?}")))
        }
    }
}

impl Visitor {
    fn new(base: &str, origin: Option<&str>) -> Result<Self, Mismatch> {
        let base = base.trim_end_matches('/').to_owned();
        let origin = match origin {
            Some(origin) => origin.trim_end_matches('/').to_owned(),
            None => reqwest::Url::parse(&base)
                .map(|url| url.origin().ascii_serialization())
                .map_err(|e| mismatch("frontend url", format!("{base:?}: {e}")))?,
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(40))
            .build()
            .map_err(|e| mismatch("frontend client", e.to_string()))?;
        Ok(Self {
            http,
            base,
            origin,
            session: None,
            password: None,
        })
    }

    async fn load(
        &mut self,
        step: &'static str,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Result<Page, Mismatch> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some((name, value)) = &self.session {
            request = request.header("cookie", format!("{name}={value}"));
        }
        if let Some(form) = form {
            request = request.header(ORIGIN, &self.origin).form(form);
        }
        let response = request
            .send()
            .await
            .map_err(|e| mismatch(step, format!("request failed: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        for cookie in headers.get_all(SET_COOKIE) {
            let Some((name, rest)) = cookie.to_str().ok().and_then(|c| c.split_once('=')) else {
                continue;
            };
            let Some(name) = [SESSION_COOKIE, SECURE_SESSION_COOKIE]
                .into_iter()
                .find(|known| *known == name)
            else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or("");
            self.session = (!value.is_empty()).then(|| (name, value.to_owned()));
        }
        let html = response
            .text()
            .await
            .map_err(|e| mismatch(step, format!("reading the page failed: {e}")))?;
        Ok(Page {
            status,
            headers,
            html,
        })
    }

    async fn get(&mut self, step: &'static str, path: &str) -> Result<Page, Mismatch> {
        self.load(step, Method::GET, path, None).await
    }

    async fn post(
        &mut self,
        step: &'static str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Page, Mismatch> {
        self.load(step, Method::POST, path, Some(form)).await
    }
}

/// Walks the frontend; on any failure, still deletes the account it made.
pub async fn run(target: FrontendWalk<'_>) -> Result<(), Mismatch> {
    println!("selftest of the frontend at {}", target.frontend);
    let mut visitor = Visitor::new(target.frontend, target.origin)?;
    let result = steps(&mut visitor, target.backend, target.walk).await;
    let Some((_, token)) = visitor.session.clone() else {
        return result;
    };
    let started = Instant::now();
    let account = ApiClient::new(target.backend).with_token(token);
    let password = visitor.password.clone().unwrap_or_default();
    let cleanup = call::<()>(
        "delete account",
        account
            .request(Method::DELETE, "/api/auth/me")
            .json(&serde_json::json!({ "password": password })),
        StatusCode::NO_CONTENT,
    )
    .await;
    after_cleanup(result, cleanup, started)
}

/// Makes the account's feed address through the backend, fetches it
/// through the frontend as a calendar app does (no cookie: the address is
/// the credential) and finds the task there, then revokes it and finds the
/// address refused.
async fn calendar_feed(visitor: &mut Visitor, backend: &str, title: &str) -> Result<(), Mismatch> {
    const STEP: &str = "calendar feed through the frontend";
    let Some((_, token)) = visitor.session.clone() else {
        return Err(mismatch(STEP, "no session to make the feed address with"));
    };
    let account = ApiClient::new(backend).with_token(token);
    let created = account
        .create_calendar_feed()
        .await
        .map_err(|e| mismatch(STEP, format!("making the address through the backend: {e}")))?;
    let session = visitor.session.take();
    let fetched = visitor.get(STEP, &created.path).await;
    let feed = fetched.and_then(|page| page.expect(STEP, StatusCode::OK));
    let content_type = feed.as_ref().ok().and_then(|page| {
        page.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let revoked = account.revoke_calendar_feed().await;
    let after = visitor.get(STEP, &created.path).await;
    visitor.session = session;
    let feed = feed?;
    if !content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("text/calendar"))
    {
        return Err(mismatch(
            STEP,
            format!("content type:\n    expected: text/calendar\n    actual:   {content_type:?}"),
        ));
    }
    feed.expect_text(STEP, "BEGIN:VCALENDAR")?;
    feed.expect_text(STEP, title)?;
    revoked.map_err(|e| mismatch(STEP, format!("revoking the address: {e}")))?;
    after?.expect(STEP, StatusCode::NOT_FOUND)?;
    Ok(())
}

async fn steps(visitor: &mut Visitor, backend: &str, walk: Walk) -> Result<(), Mismatch> {
    let started = Instant::now();
    visitor
        .get("frontend health", paths::HEALTH)
        .await?
        .expect("frontend health", StatusCode::OK)?;
    report("frontend health", started);

    let started = Instant::now();
    let form = visitor
        .get("sign-up page", paths::SIGNUP)
        .await?
        .expect("sign-up page", StatusCode::OK)?;
    form.expect_text("sign-up page", "name=\"email\"")?;
    report("sign-up page", started);

    let started = Instant::now();
    let marker = Uuid::new_v4().simple().to_string();
    let email = format!("selftest-web-{marker}@selftest.invalid");
    let password = format!("pw-{marker}");
    visitor
        .post(
            "sign up through the form",
            paths::SIGNUP,
            &[
                ("name", "Selftest"),
                ("email", &email),
                ("password", &password),
            ],
        )
        .await?
        .expect_redirect("sign up through the form", paths::TASKS)?;
    visitor.password = Some(password);
    if visitor.session.is_none() {
        return Err(mismatch(
            "sign up through the form",
            "no session cookie was set",
        ));
    }
    report("sign up through the form", started);

    let started = Instant::now();
    let title = format!("selftest web {marker}");
    // Due, at a time, repeating and reminding: the form's every field,
    // and a task the calendar feed lists.
    let due = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    visitor
        .post(
            "add a task through the form",
            paths::TASKS,
            &[
                ("title", &title),
                ("priority", "high"),
                ("due_date", &due),
                ("due_time", "09:00"),
                ("recurrence", "weekly"),
                ("reminders", "10"),
                ("tags", "selftest"),
            ],
        )
        .await?
        .expect_redirect("add a task through the form", paths::TASKS)?;
    report("add a task through the form", started);

    let started = Instant::now();
    let list = visitor
        .get("the task list shows it", paths::TASKS)
        .await?
        .expect("the task list shows it", StatusCode::OK)?;
    list.expect_text("the task list shows it", &title)?;
    report("the task list shows it", started);

    if walk.chat {
        let started = Instant::now();
        let chat_title = format!("selftest assistant {marker}");
        let message = format!("add {chat_title}");
        let conversation = visitor
            .post(
                "chat through the page",
                paths::ASSISTANT,
                &[("message", &message)],
            )
            .await?
            .expect_redirect("chat through the page", &format!("{}/", paths::ASSISTANT))?;
        let page = visitor
            .get("chat through the page", &conversation)
            .await?
            .expect("chat through the page", StatusCode::OK)?;
        page.expect_text("chat through the page", "Added task")?;
        page.expect_text("chat through the page", &chat_title)?;
        let list = visitor
            .get("the task list shows the assistant's task", paths::TASKS)
            .await?
            .expect("the task list shows the assistant's task", StatusCode::OK)?;
        list.expect_text("the task list shows the assistant's task", &chat_title)?;
        report("chat through the page", started);
    }

    let started = Instant::now();
    calendar_feed(visitor, backend, &title).await?;
    report("calendar feed through the frontend", started);

    let started = Instant::now();
    let ended = visitor.session.clone();
    visitor
        .post("log out", paths::LOGOUT, &[])
        .await?
        .expect_redirect("log out", paths::LOGIN)?;
    // The old cookie, replayed, opens nothing: the session is over.
    visitor.session = ended;
    visitor
        .get("log out", paths::TASKS)
        .await?
        .expect_redirect("log out", paths::SESSION_ENDED)?;
    report("log out", started);

    let started = Instant::now();
    let password = visitor.password.clone().unwrap_or_default();
    visitor
        .post(
            "log in through the form",
            paths::LOGIN,
            &[("email", &email), ("password", &password)],
        )
        .await?
        .expect_redirect("log in through the form", paths::TASKS)?;
    report("log in through the form", started);
    Ok(())
}
