//! Login, sign-up and logout: forms in, session cookie and redirects out.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode, LoginRequest, SignupRequest};

use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::{FieldErrors, LoginForm, SignupForm};
use crate::session::{Visitor, cleared_cookie, session_cookie};
use crate::state::AppState;
use crate::views::auth::{Notice, login_page, signup_page};

/// `/`: the list for someone with a session, the login page otherwise.
pub async fn home(visitor: Visitor) -> Redirect {
    if visitor.token.is_some() {
        Redirect::to("/tasks")
    } else {
        Redirect::to("/login")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    expired: Option<String>,
    logged_out: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Response {
    let errors = FieldErrors::new();
    if query.expired.is_some() {
        // The backend refused the token: drop it so the browser stops
        // sending it.
        let jar = jar.add(cleared_cookie(state.config.cookie_secure));
        let notice = Notice::Info("Your session has ended. Please log in again.");
        return (jar, Html(login_page("", &errors, Some(notice)))).into_response();
    }
    let notice = query
        .logged_out
        .is_some()
        .then_some(Notice::Info("You have been logged out."));
    Html(login_page("", &errors, notice)).into_response()
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
        let page = login_page(&form.email, &errors, None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
    }
    let request = LoginRequest {
        email: form.email.trim().to_owned(),
        password: form.password,
    };
    match visitor.api.login(&request).await {
        Ok(auth) => {
            let jar = jar.add(session_cookie(auth.token, state.config.cookie_secure));
            Ok((jar, Redirect::to("/tasks")).into_response())
        }
        Err(error) => {
            let (status, errors, notice) = form_failure(error)?;
            let page = login_page(&form.email, &errors, notice);
            Ok((status, Html(page)).into_response())
        }
    }
}

pub async fn signup_form() -> Html<String> {
    Html(signup_page("", "", &FieldErrors::new(), None))
}

pub async fn signup(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    PageForm(form): PageForm<SignupForm>,
) -> Result<Response, PageError> {
    let request = SignupRequest {
        name: form.name.trim().to_owned(),
        email: form.email.trim().to_owned(),
        password: form.password,
    };
    match visitor.api.signup(&request).await {
        Ok(auth) => {
            let jar = jar.add(session_cookie(auth.token, state.config.cookie_secure));
            Ok((jar, Redirect::to("/tasks")).into_response())
        }
        Err(error) => {
            let (status, errors, notice) = form_failure(error)?;
            let page = signup_page(&form.name, &form.email, &errors, notice);
            Ok((status, Html(page)).into_response())
        }
    }
}

pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> impl IntoResponse {
    // The JWT is stateless: dropping the cookie is what logging out means
    // here; the token itself expires on the backend's schedule.
    let jar = jar.add(cleared_cookie(state.config.cookie_secure));
    (jar, Redirect::to("/login?logged_out=1"))
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
