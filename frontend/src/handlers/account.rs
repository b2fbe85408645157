//! The Account page and its forms: set the time zone, end a session or
//! every other one, create and revoke personal access tokens, make and
//! revoke the calendar feed address, change the password, delete the
//! account. Each change posts, then redirects back (303) with a notice,
//! except creating a token or a feed address: the answer is the page
//! itself, the one time the secret is shown (never in a URL, a cookie or
//! a log line).
//! "Export my data" answers the backend's export document as a download,
//! passed on as it arrives; "Import" posts a file (multipart, no
//! JavaScript) whose bytes go to the backend's import as they are.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode};
use uuid::Uuid;

use super::private_page;
use crate::config::Config;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::forms::{DeletionForm, FormState, PasswordForm, TimeZoneForm, TokenForm};
use crate::session::{Session, cleared_cookie};
use crate::state::AppState;
use crate::views::account::{AccountNotice, AccountPage, Outcome, account_page};
use crate::views::fields::sentence;
use crate::zones;

/// What a redirect back to the page reports (see [`AccountNotice`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountQuery {
    session_ended: Option<String>,
    others_ended: Option<String>,
    token_revoked: Option<String>,
    app_disconnected: Option<String>,
    password_changed: Option<String>,
    time_zone_changed: Option<String>,
    feed_revoked: Option<String>,
    imported_tasks: Option<String>,
    imported_conversations: Option<String>,
}

impl AccountQuery {
    fn notice(&self) -> Option<AccountNotice> {
        if let (Some(tasks), Some(conversations)) =
            (&self.imported_tasks, &self.imported_conversations)
        {
            Some(AccountNotice::Imported {
                tasks: tasks.parse().ok()?,
                conversations: conversations.parse().ok()?,
            })
        } else if self.password_changed.is_some() {
            Some(AccountNotice::PasswordChanged)
        } else if self.time_zone_changed.is_some() {
            Some(AccountNotice::TimeZoneChanged)
        } else if self.feed_revoked.is_some() {
            Some(AccountNotice::FeedRevoked)
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
    headers: HeaderMap,
    Query(query): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let outcome = Outcome {
        notice: query.notice(),
        ..Outcome::default()
    };
    render(&state, &session, &headers, outcome, StatusCode::OK).await
}

/// The page as it stands after whatever the request did.
async fn render(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (user, usage, sessions, tokens, apps, feed) = tokio::try_join!(
        session.api.me(),
        session.api.usage(),
        session.api.sessions(),
        session.api.personal_tokens(),
        session.api.connected_apps(),
        session.api.calendar_feed()
    )?;
    let site_origin = site_origin(&state.config, headers);
    let html = account_page(AccountPage {
        user: &user,
        usage: &usage,
        sessions: &sessions.items,
        tokens: &tokens.items,
        apps: &apps.items,
        public_origin: state.config.public_origin.as_deref(),
        calendar_feed: feed.as_ref(),
        site_origin: site_origin.as_deref(),
        now: zones::local_now(&user.time_zone),
        outcome: &outcome,
    });
    Ok((status, private_page(html)).into_response())
}

/// The origin calendar apps reach this site at: `PUBLIC_URL`, or else the
/// host the visitor used, over https unless the session cookie says the
/// site is served over plain http. Only the visitor sees it, on their own
/// page, so a forged `Host` misleads nobody else.
fn site_origin(config: &Config, headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = &config.public_origin {
        return Some(origin.clone());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority: axum::http::uri::Authority = host.parse().ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    let scheme = if config.cookie_secure {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{authority}"))
}

/// Saves the time zone chosen from the menu; the backend knows which
/// names it accepts, and says so next to the field otherwise.
pub async fn change_time_zone(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    PageForm(form): PageForm<TimeZoneForm>,
) -> Result<Response, PageError> {
    let (status, time_zone_form) = match form.change() {
        Ok(change) => match session.api.change_profile(&change).await {
            Ok(_) => {
                return Ok(Redirect::to("/account?time_zone_changed=1#time-zone").into_response());
            }
            Err(error) => refused(error)?,
        },
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState::fields(errors)),
    };
    let outcome = Outcome {
        time_zone_form,
        ..Outcome::default()
    };
    render(&state, &session, &headers, outcome, status).await
}

/// Makes a new feed address (replacing any earlier one) and answers with
/// the page showing it, like a new token: a redirect would have to carry
/// the secret somewhere to show it.
pub async fn create_calendar_feed(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let created = session.api.create_calendar_feed().await?;
    let outcome = Outcome {
        new_feed: Some(created),
        ..Outcome::default()
    };
    render(&state, &session, &headers, outcome, StatusCode::OK).await
}

pub async fn revoke_calendar_feed(session: Session) -> Result<Response, PageError> {
    already_done_if_gone(session.api.revoke_calendar_feed().await)?;
    Ok(Redirect::to("/account?feed_revoked=1#calendar").into_response())
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
    headers: HeaderMap,
    PageForm(form): PageForm<TokenForm>,
) -> Result<Response, PageError> {
    let failed = match form.request() {
        Ok(request) => match session.api.create_personal_token(&request).await {
            Ok(created) => {
                let outcome = Outcome {
                    new_token: Some(created),
                    ..Outcome::default()
                };
                return render(&state, &session, &headers, outcome, StatusCode::OK).await;
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
    render(&state, &session, &headers, outcome, status).await
}

pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
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
    render(&state, &session, &headers, outcome, status).await
}

/// On success the cookie goes too (its session no longer exists) and the
/// visitor lands on the login page with a goodbye.
pub async fn delete_account(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
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
    render(&state, &session, &headers, outcome, status).await
}

/// Everything the account holds, as a file to keep: the backend's export
/// document, downloaded rather than shown, and passed on as it arrives,
/// never held whole (its size is the account's). A backend that ends the
/// document unfinished ends this body unfinished too: the browser sees a
/// failed download, not a short file.
pub async fn export(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PageError> {
    // Named after the day it was asked for: the document is not read.
    let disposition = format!(
        "attachment; filename=\"todo-export-{}.json\"",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    // The backend's answer (or refusal) comes within the usual timeout;
    // the document may then take as long as the backend lets it.
    let download = tokio::time::timeout(
        state.config.backend_timeout,
        session
            .api
            .with_timeout(EXPORT_DOWNLOAD_MAX)
            .export_download(),
    )
    .await
    .map_err(|_| PageError::Unavailable("the export did not start in time".to_owned()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(download.into_response().bytes_stream()),
    )
        .into_response())
}

/// How long an export's download may take through the frontend: longer
/// than the backend's own bound (`EXPORT_TIME_LIMIT_SECONDS`, 10 minutes
/// by default), which ends it visibly.
const EXPORT_DOWNLOAD_MAX: Duration = Duration::from_secs(30 * 60);

/// The body limit of the import form: the backend's, with room for the
/// multipart framing around the file.
pub const IMPORT_FORM_MAX_BYTES: usize = todo_api::limits::IMPORT_MAX_BYTES + 16 * 1024;

/// The file of the import form, handed to the backend as it was read;
/// back to the page with the count added, or with why nothing was.
pub async fn import(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (status, import_form) = match uploaded_file(form, "file").await {
        Err(refused) => refused,
        Ok(file) if file.is_empty() => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FormState::alert("Choose an export file to import.".to_owned()),
        ),
        Ok(file) => match session.api.import_json(file.to_vec()).await {
            Ok(added) => {
                let to = format!(
                    "/account?imported_tasks={}&imported_conversations={}#data",
                    added.tasks, added.conversations
                );
                return Ok(Redirect::to(&to).into_response());
            }
            Err(error) => import_refused(error)?,
        },
    };
    let outcome = Outcome {
        import_form,
        ..Outcome::default()
    };
    render(&state, &session, &headers, outcome, status).await
}

/// The bytes of the form's file field `name` (empty when none was
/// chosen), read by axum's multipart parser (multer) within the route's
/// body limit; a body that is not such a form, or too large, is the
/// answer to show instead.
async fn uploaded_file(
    form: Result<Multipart, MultipartRejection>,
    name: &str,
) -> Result<Bytes, (StatusCode, FormState)> {
    let not_a_form = || {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            FormState::alert("Choose an export file to import.".to_owned()),
        )
    };
    let too_large = |error: &MultipartError| {
        (error.status() == StatusCode::PAYLOAD_TOO_LARGE)
            .then(|| (StatusCode::PAYLOAD_TOO_LARGE, FormState::alert(too_large())))
    };
    let mut form = form.map_err(|_| not_a_form())?;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(Bytes::new()),
            Err(error) => return Err(too_large(&error).unwrap_or_else(not_a_form)),
        };
        if field.name() == Some(name) {
            return field
                .bytes()
                .await
                .map_err(|error| too_large(&error).unwrap_or_else(not_a_form));
        }
    }
}

fn too_large() -> String {
    format!(
        "Nothing was imported: the file is larger than {} MiB.",
        todo_api::limits::IMPORT_MAX_BYTES / (1024 * 1024)
    )
}

/// Why the backend took nothing from the file, in words; any other failure
/// (backend down, session ended, writes spent) is the usual error page.
fn import_refused(error: ClientError) -> Result<(StatusCode, FormState), PageError> {
    let (Some(body), Some(status)) = (error.body(), error.status()) else {
        return Err(error.into());
    };
    let message = match body.error.code {
        ErrorCode::ValidationFailed => {
            let problems: Vec<String> = body
                .error
                .fields
                .iter()
                .take(5)
                .map(|(field, problem)| format!("{field} {problem}"))
                .collect();
            format!(
                "Nothing was imported: the file is not a valid export ({}).",
                problems.join("; ")
            )
        }
        ErrorCode::QuotaExceeded => {
            format!("Nothing was imported: {}", sentence(&body.error.message))
        }
        ErrorCode::MalformedBody => {
            "Nothing was imported: the file is not an export (it is not a JSON object).".to_owned()
        }
        ErrorCode::PayloadTooLarge => too_large(),
        _ => return Err(error.into()),
    };
    Ok((status, FormState::alert(message)))
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
