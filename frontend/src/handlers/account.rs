//! The Account page and its forms: end a session or every other one,
//! create and revoke personal access tokens, change the password, delete
//! the account. Each change posts, then redirects back (303) with a
//! notice, except creating a token: its answer is the page itself, the
//! one time the token is shown (never in a URL, a cookie or a log line).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode};
use uuid::Uuid;

use super::private_page;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::{DeletionForm, FormState, PasswordForm, TokenForm};
use crate::session::{Session, cleared_cookie};
use crate::state::AppState;
use crate::views::account::{AccountNotice, AccountPage, Outcome, account_page};
use crate::views::fields::sentence;

/// What a redirect back to the page reports (see [`AccountNotice`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountQuery {
    session_ended: Option<String>,
    others_ended: Option<String>,
    token_revoked: Option<String>,
    app_disconnected: Option<String>,
    password_changed: Option<String>,
}

impl AccountQuery {
    fn notice(&self) -> Option<AccountNotice> {
        if self.password_changed.is_some() {
            Some(AccountNotice::PasswordChanged)
        } else if let Some(count) = &self.others_ended {
            count.parse().ok().map(AccountNotice::OthersEnded)
        } else if self.session_ended.is_some() {
            Some(AccountNotice::SessionEnded)
        } else if self.token_revoked.is_some() {
            Some(AccountNotice::TokenRevoked)
        } else if self.app_disconnected.is_some() {
            Some(AccountNotice::AppDisconnected)
        } else {
            None
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let outcome = Outcome {
        notice: query.notice(),
        ..Outcome::default()
    };
    render(&state, &session, outcome, StatusCode::OK).await
}

/// The page as it stands after whatever the request did.
async fn render(
    state: &AppState,
    session: &Session,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (user, usage, sessions, tokens, apps) = tokio::try_join!(
        session.api.me(),
        session.api.usage(),
        session.api.sessions(),
        session.api.personal_tokens(),
        session.api.connected_apps()
    )?;
    let html = account_page(AccountPage {
        user: &user,
        usage: &usage,
        sessions: &sessions.items,
        tokens: &tokens.items,
        apps: &apps.items,
        public_origin: state.config.public_origin.as_deref(),
        outcome: &outcome,
    });
    Ok((status, private_page(html)).into_response())
}

pub async fn revoke_session(
    session: Session,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = session_id(&id)?;
    already_done_if_gone(session.api.revoke_session(id).await)?;
    Ok(Redirect::to("/account?session_ended=1#sessions").into_response())
}

pub async fn revoke_others(session: Session) -> Result<Response, PageError> {
    let ended = session.api.revoke_other_sessions().await?;
    let to = format!("/account?others_ended={}#sessions", ended.revoked);
    Ok(Redirect::to(&to).into_response())
}

pub async fn revoke_token(session: Session, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = session_id(&id)?;
    already_done_if_gone(session.api.revoke_personal_token(id).await)?;
    Ok(Redirect::to("/account?token_revoked=1#tokens").into_response())
}

pub async fn revoke_app(session: Session, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = session_id(&id)?;
    already_done_if_gone(session.api.revoke_connected_app(id).await)?;
    Ok(Redirect::to("/account?app_disconnected=1#apps").into_response())
}

/// Answers with the page itself, the new token on it: a redirect would
/// have to carry the token somewhere (a URL, a cookie) to show it.
pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm<TokenForm>,
) -> Result<Response, PageError> {
    let failed = match form.request() {
        Ok(request) => match session.api.create_personal_token(&request).await {
            Ok(created) => {
                let outcome = Outcome {
                    new_token: Some(created),
                    ..Outcome::default()
                };
                return render(&state, &session, outcome, StatusCode::OK).await;
            }
            Err(error) => refused(error)?,
        },
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState::fields(errors)),
    };
    let (status, token_form) = failed;
    let outcome = Outcome {
        token_draft: form,
        token_form,
        ..Outcome::default()
    };
    render(&state, &session, outcome, status).await
}

pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    let (status, password_form) = match form.change() {
        Ok(change) => match session.api.change_password(&change).await {
            Ok(()) => {
                return Ok(Redirect::to("/account?password_changed=1#password").into_response());
            }
            Err(error) => refused(error)?,
        },
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState::fields(errors)),
    };
    let outcome = Outcome {
        password_form,
        ..Outcome::default()
    };
    render(&state, &session, outcome, status).await
}

/// On success the cookie goes too (its session no longer exists) and the
/// visitor lands on the login page with a goodbye.
pub async fn delete_account(
    State(state): State<AppState>,
    session: Session,
    jar: CookieJar,
    PageForm(form): PageForm<DeletionForm>,
) -> Result<Response, PageError> {
    let (status, deletion_form) = match form.password() {
        Ok(password) => match session.api.delete_account(password).await {
            Ok(()) => {
                let jar = jar.add(cleared_cookie(state.config.cookie_secure));
                return Ok((jar, Redirect::to("/login?account_deleted=1")).into_response());
            }
            Err(error) => refused(error)?,
        },
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState::fields(errors)),
    };
    let outcome = Outcome {
        deletion_form,
        ..Outcome::default()
    };
    render(&state, &session, outcome, status).await
}

/// Session and token ids are UUIDs; anything else names nothing.
fn session_id(raw: &str) -> Result<Uuid, PageError> {
    Uuid::try_parse(raw).map_err(|_| PageError::NotFound)
}

/// A revoke that finds nothing (a double click, another tab) leaves the
/// state asked for: not an error.
fn already_done_if_gone(result: Result<(), ClientError>) -> Result<(), PageError> {
    match result {
        Err(error)
            if error
                .body()
                .is_some_and(|b| b.error.code == ErrorCode::NotFound) =>
        {
            Ok(())
        }
        other => Ok(other?),
    }
}

/// A form the backend refused, as messages on that form; any other
/// failure (backend down, session ended) is an error page or a redirect.
fn refused(error: ClientError) -> Result<(StatusCode, FormState), PageError> {
    let (Some(body), Some(status)) = (error.body(), error.status()) else {
        return Err(error.into());
    };
    let state = match body.error.code {
        // A wrong password on these forms names its field (403); a wrong
        // one elsewhere (401) ends the session like any other 401.
        // The form comes back with the field marked, as any form whose
        // input was refused (422).
        ErrorCode::ValidationFailed | ErrorCode::InvalidCredentials
            if status != StatusCode::UNAUTHORIZED =>
        {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                FormState::fields(body.error.fields.clone()),
            ));
        }
        ErrorCode::QuotaExceeded => FormState::alert(sentence(&body.error.message)),
        ErrorCode::TooManyRequests => FormState::alert(
            "Too many attempts with a wrong password. Please wait a minute and try again."
                .to_owned(),
        ),
        _ => return Err(error.into()),
    };
    Ok((status, state))
}
