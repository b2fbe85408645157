//! Task pages and forms: list, add, toggle, edit, delete, clear completed.

use axum::extract::{Path, Query};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode, Task, TaskPatch};
use uuid::Uuid;

use super::private_page;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::filter::{Filter, RawFilter};
use crate::forms::{FieldErrors, FormState, RowForm, TaskForm, safe_back};
use crate::session::Session;
use crate::views::edit::edit_page;
use crate::views::fields::sentence;
use crate::views::tasks::{ListPage, list_page};

pub async fn list(session: Session, Query(raw): Query<RawFilter>) -> Result<Response, PageError> {
    let filter = raw.parse().map_err(PageError::BadRequest)?;
    render_list(
        &session,
        &filter,
        &TaskForm::default(),
        &FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The list page; also how a rejected add form is shown again, with the
/// visitor's input and the messages in place.
async fn render_list(
    session: &Session,
    filter: &Filter,
    draft: &TaskForm,
    errors: &FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let query = filter.to_query();
    // One backend call: the account, the counts and the page together.
    let overview = session.api.overview(&query).await?;
    let html = list_page(ListPage {
        user: &overview.user,
        tasks: &overview.tasks,
        stats: &overview.stats,
        filter,
        // The backend counts overdue in UTC; the page agrees with it.
        today: Utc::now().date_naive(),
        draft,
        errors,
    });
    Ok((status, private_page(html)).into_response())
}

pub async fn create(
    session: Session,
    PageForm(form): PageForm<TaskForm>,
) -> Result<Response, PageError> {
    let back = safe_back(form.back.as_deref());
    let (status, errors) = match form.new_task() {
        Ok(task) => match session.api.create_task(&task).await {
            Ok(_) => return Ok(Redirect::to(&back).into_response()),
            Err(error) => refused_addition(error)?,
        },
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, FormState::fields(errors)),
    };
    let filter = filter_of(&back);
    let draft = TaskForm {
        back: Some(back),
        ..form
    };
    render_list(&session, &filter, &draft, &errors, status).await
}

pub async fn toggle(
    session: Session,
    Path(id): Path<String>,
    PageForm(form): PageForm<RowForm>,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let completed = match form.completed.as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => {
            return Err(PageError::BadRequest(
                "completed must be true or false".into(),
            ));
        }
    };
    let patch = TaskPatch {
        completed: Some(completed),
        ..TaskPatch::default()
    };
    session.api.update_task(id, &patch).await?;
    Ok(Redirect::to(&safe_back(form.back.as_deref())).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackQuery {
    back: Option<String>,
}

pub async fn edit_form(
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<BackQuery>,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let (user, task) = tokio::try_join!(session.api.me(), session.api.get_task(id))?;
    let back = safe_back(query.back.as_deref());
    let form = form_of(&task);
    let html = edit_page(&user, id, &task.title, &form, &FieldErrors::new(), &back);
    Ok(private_page(html))
}

pub async fn edit(
    session: Session,
    Path(id): Path<String>,
    PageForm(form): PageForm<TaskForm>,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    let back = safe_back(form.back.as_deref());
    let errors = match form.patch() {
        Ok(patch) => match session.api.update_task(id, &patch).await {
            Ok(_) => return Ok(Redirect::to(&back).into_response()),
            Err(error) => rejected_fields(error)?,
        },
        Err(errors) => errors,
    };
    let (user, task) = tokio::try_join!(session.api.me(), session.api.get_task(id))?;
    let html = edit_page(&user, id, &task.title, &form, &errors, &back);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, private_page(html)).into_response())
}

pub async fn delete(
    session: Session,
    Path(id): Path<String>,
    PageForm(form): PageForm<RowForm>,
) -> Result<Response, PageError> {
    let id = task_id(&id)?;
    match session.api.delete_task(id).await {
        Ok(()) => {}
        // Already gone (a double click): what was asked for is true.
        Err(error)
            if error
                .body()
                .is_some_and(|b| b.error.code == ErrorCode::NotFound) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Redirect::to(&safe_back(form.back.as_deref())).into_response())
}

pub async fn clear_completed(
    session: Session,
    PageForm(form): PageForm<RowForm>,
) -> Result<Response, PageError> {
    session.api.clear_completed().await?;
    Ok(Redirect::to(&safe_back(form.back.as_deref())).into_response())
}

/// Ids are UUIDs; anything else cannot name a task.
fn task_id(raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

/// Why the backend refused a new task: a full account (409, its message
/// says what to delete) above the form, or the fields it marked (422);
/// any other failure is an error page.
fn refused_addition(error: ClientError) -> Result<(StatusCode, FormState), PageError> {
    match error.body() {
        Some(body) if body.error.code == ErrorCode::QuotaExceeded => Ok((
            StatusCode::CONFLICT,
            FormState::alert(sentence(&body.error.message)),
        )),
        _ => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            FormState::fields(rejected_fields(error)?),
        )),
    }
}

/// Field messages of a 422; any other failure is an error page.
fn rejected_fields(error: ClientError) -> Result<FieldErrors, PageError> {
    match error.body() {
        Some(body) if body.error.code == ErrorCode::ValidationFailed => {
            Ok(body.error.fields.clone())
        }
        _ => Err(error.into()),
    }
}

/// The list filter a `back` URL (already made safe) points at.
fn filter_of(back: &str) -> Filter {
    back.parse::<Uri>()
        .ok()
        .and_then(|uri| Query::<RawFilter>::try_from_uri(&uri).ok())
        .and_then(|Query(raw)| raw.parse().ok())
        .unwrap_or_default()
}

fn form_of(task: &Task) -> TaskForm {
    TaskForm {
        title: task.title.clone(),
        description: task.description.clone().unwrap_or_default(),
        priority: task.priority.as_str().to_owned(),
        due_date: task
            .due_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        tags: task.tags.join(", "),
        completed: task.completed.then(|| "on".to_owned()),
        back: None,
    }
}
