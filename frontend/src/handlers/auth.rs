//! Login, sign-up and logout: forms in, session cookie and redirects out.
//! Logging in or signing up passes the browser's `User-Agent` on, which
//! names the session on the Account page; logging out ends the session on
//! the backend too.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode, LoginRequest, SignupRequest};

use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::{FieldErrors, LoginForm, SignupForm, safe_next};
use crate::paths;
use crate::session::{Visitor, cleared_cookie, session_cookie};
use crate::state::AppState;
use crate::views::auth::{Notice, login_page, signup_page};

/// `/`: the list for someone with a session, the login page otherwise.
pub async fn home(visitor: Visitor) -> Redirect {
    if visitor.token.is_some() {
        Redirect::to(paths::TASKS)
    } else {
        Redirect::to(paths::LOGIN)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    expired: Option<String>,
    /// `1`, or [`LOGOUT_UNCONFIRMED`] when the backend could not be told.
    logged_out: Option<String>,
    account_deleted: Option<String>,
    /// The OAuth authorization page to return to.
    next: Option<String>,
}

/// `logged_out=` this: the cookie is gone, but the backend may still
/// hold the session.
const LOGOUT_UNCONFIRMED: &str = "unconfirmed";

impl LoginQuery {
    /// What the login page says first. The texts are fixed here: nothing
    /// from the URL is shown.
    fn notice(&self) -> Option<Notice> {
        if self.expired.is_some() {
            return Some(Notice::Info(
                "Your session has ended: it expired, or it was logged out (perhaps from another device, or by a password change). Please log in again.",
            ));
        }
        if self.account_deleted.is_some() {
            return Some(Notice::Info(
                "Your account, its tasks and its conversations have been deleted. Goodbye!",
            ));
        }
        match self.logged_out.as_deref() {
            Some(LOGOUT_UNCONFIRMED) => Some(Notice::Error(
                "You are logged out in this browser, but the server could not be reached to end the session there. It ends by itself when it expires; to end it now, log in and choose “Log out everywhere else” on your Account page.".to_owned(),
            )),
            Some(_) => Some(Notice::Info("You have been logged out.")),
            None => None,
        }
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Response {
    let errors = FieldErrors::new();
    let next = safe_next(query.next.as_deref());
    let page = Html(login_page("", &errors, query.notice(), next));
    if query.expired.is_some() {
        // The backend refused the token: drop it so the browser stops
        // sending it.
        let jar = jar.add(cleared_cookie(state.config.cookie_secure));
        return (jar, page).into_response();
    }
    page.into_response()
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    if form.email.trim().is_empty() {
        errors.insert("email".into(), "enter your email address".into());
    }
    if form.password.is_empty() {
        errors.insert("password".into(), "enter your password".into());
    }
    if !errors.is_empty() {
        let page = login_page(&form.email, &errors, None, safe_next(form.next.as_deref()));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
    }
    let request = LoginRequest {
        email: form.email.trim().to_owned(),
        password: form.password,
    };
    match visitor.opening_a_session().login(&request).await {
        Ok(auth) => {
            let jar = jar.add(session_cookie(auth.token, state.config.cookie_secure));
            let to = safe_next(form.next.as_deref()).unwrap_or(paths::TASKS);
            Ok((jar, Redirect::to(to)).into_response())
        }
        Err(error) => {
            let (status, errors, notice) = form_failure(error)?;
            let page = login_page(
                &form.email,
                &errors,
                notice,
                safe_next(form.next.as_deref()),
            );
            Ok((status, Html(page)).into_response())
        }
    }
}

/// The sign-up page's Content-Security-Policy: every page's (see
/// `routes`), plus scripts from here (its one script fills in the
/// browser's time zone), never inline ones.
const SIGNUP_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The sign-up page may run its one script (`/static/timezone.js`).
fn with_script(response: impl IntoResponse) -> Response {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            SIGNUP_CONTENT_SECURITY_POLICY,
        )],
        response,
    )
        .into_response()
}

pub async fn signup_form() -> Response {
    with_script(Html(signup_page("", "", "", &FieldErrors::new(), None)))
}

pub async fn signup(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    PageForm(form): PageForm<SignupForm>,
) -> Result<Response, PageError> {
    let mut request = SignupRequest {
        name: form.name.trim().to_owned(),
        email: form.email.trim().to_owned(),
        password: form.password.clone(),
        time_zone: form.time_zone(),
    };
    let api = visitor.opening_a_session();
    let mut outcome = api.signup(&request).await;
    // The browser's zone is a convenience: a name this backend does not
    // know (an old browser's alias, a newer database's zone) must not
    // stop the signup. Without it the account starts in UTC.
    if let Some(zone) = request.time_zone.take()
        && let Err(error) = &outcome
        && error.body().is_some_and(|body| {
            body.error.code == ErrorCode::ValidationFailed
                && body.error.fields.contains_key("time_zone")
        })
    {
        tracing::info!(
            zone,
            "the backend refused the browser's time zone; signing up in UTC"
        );
        outcome = api.signup(&request).await;
    }
    match outcome {
        Ok(auth) => {
            let jar = jar.add(session_cookie(auth.token, state.config.cookie_secure));
            Ok((jar, Redirect::to(paths::TASKS)).into_response())
        }
        Err(error) => {
            let (status, errors, notice) = form_failure(error)?;
            let page = signup_page(&form.name, &form.email, &form.time_zone, &errors, notice);
            Ok(with_script((status, Html(page))))
        }
    }
}

/// Ends the session on the backend, so the token is refused from now on
/// even if a copy of the cookie survives, then drops the cookie. The
/// cookie goes whatever the backend says: a browser asked to log out is
/// never left logged in.
pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
) -> impl IntoResponse {
    let jar = jar.add(cleared_cookie(state.config.cookie_secure));
    let ended = match visitor.token {
        None => true,
        Some(token) => match visitor.api.with_token(token).logout().await {
            Ok(()) => true,
            // Refused: the session had already ended (expired, revoked).
            Err(error) if error.status() == Some(StatusCode::UNAUTHORIZED) => true,
            Err(error) => {
                tracing::warn!(%error, "logging out could not end the session on the backend");
                false
            }
        },
    };
    let to = if ended {
        "/login?logged_out=1".to_owned()
    } else {
        format!("/login?logged_out={LOGOUT_UNCONFIRMED}")
    };
    (jar, Redirect::to(&to))
}

/// A refused login or signup becomes messages on the form; anything else
/// (backend down, broken contract) becomes an error page.
fn form_failure(
    error: ClientError,
) -> Result<(StatusCode, FieldErrors, Option<Notice>), PageError> {
    let Some(body) = error.body() else {
        return Err(error.into());
    };
    let status = error.status().unwrap_or(StatusCode::BAD_REQUEST);
    let mut fields = body.error.fields.clone();
    let notice = match body.error.code {
        ErrorCode::ValidationFailed => Some(Notice::Error(
            "Please correct the fields marked below.".to_owned(),
        )),
        ErrorCode::InvalidCredentials => Some(Notice::Error(
            "That email and password do not match an account.".to_owned(),
        )),
        ErrorCode::EmailTaken => {
            fields.insert(
                "email".into(),
                "an account with this email already exists; log in instead".into(),
            );
            None
        }
        ErrorCode::TooManyRequests => Some(Notice::Error(
            "Too many attempts. Please wait a minute and try again.".to_owned(),
        )),
        _ => return Err(error.into()),
    };
    Ok((status, fields, notice))
}
