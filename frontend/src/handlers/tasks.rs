//! Task pages and forms: list, add, toggle, edit, delete, clear completed.
//! Completing a repeating task answers with a notice naming the next
//! occurrence's day, and a way to undo it.

use axum::extract::{Path, Query};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use todo_api::{ClientError, ErrorCode, Task, TaskPatch};
use uuid::Uuid;

use super::private_page;
use crate::error::PageError;
use crate::extract::PageForm;
use crate::filter::{Filter, RawFilter};
use crate::forms::{FieldErrors, FormState, RowForm, TaskForm, safe_back};
use crate::schedule::{self, CUSTOM_REPEAT};
use crate::session::Session;
use crate::views::edit::edit_page;
use crate::views::fields::sentence;
use crate::views::tasks::{ListNotice, ListPage, list_page};
use crate::zones;

/// What a redirect back to the list reports (see [`ListNotice`]): the
/// task just completed and the day of its next occurrence.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticeQuery {
    done: Option<String>,
    next: Option<String>,
}

impl NoticeQuery {
    /// Only a task id and a date are taken from the URL, and only parsed:
    /// the words are the page's. Anything unreadable shows no notice.
    fn notice(&self) -> Option<ListNotice> {
        let task = Uuid::try_parse(self.done.as_deref()?).ok()?;
        let next = match self.next.as_deref() {
            None => None,
            Some(raw) => Some(NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?),
        };
        Some(ListNotice::Completed { task, next })
    }
}

pub async fn list(
    session: Session,
    Query(raw): Query<RawFilter>,
    Query(notice): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let filter = raw.parse().map_err(PageError::BadRequest)?;
    render_list(
        &session,
        &filter,
        notice.notice(),
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
    notice: Option<ListNotice>,
    draft: &TaskForm,
    errors: &FormState,
    status: StatusCode,
) -> Result<Response, PageError> {
    let query = filter.to_query();
    // One backend call: the account, the counts, what is due soon and the
    // page together.
    let overview = session.api.overview(&query).await?;
    let html = list_page(ListPage {
        user: &overview.user,
        tasks: &overview.tasks,
        stats: &overview.stats,
        due_soon: &overview.due_soon,
        filter,
        // The backend counts overdue in the user's zone; the page agrees.
        now: zones::local_now(&overview.user.time_zone),
        notice,
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
    render_list(&session, &filter, None, &draft, &errors, status).await
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
    let task = session.api.update_task(id, &patch).await?;
    let back = safe_back(form.back.as_deref());
    if !(completed && task.recurrence.is_some()) {
        return Ok(Redirect::to(&back).into_response());
    }
    // A repeating task just completed: say when it is next due.
    let next = match task.next_occurrence_id {
        Some(next) => match session.api.get_task(next).await {
            Ok(next) => next.due_date,
            // Deleted meanwhile (another tab): nothing to name.
            Err(error) if error.status() == Some(StatusCode::NOT_FOUND) => None,
            Err(error) => return Err(error.into()),
        },
        None => None,
    };
    Ok(Redirect::to(&with_notice(&back, id, next)).into_response())
}

/// `back` with the completion notice's parameters added.
fn with_notice(back: &str, task: Uuid, next: Option<NaiveDate>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("done", &task.to_string());
    if let Some(next) = next {
        query.append_pair("next", &next.format("%Y-%m-%d").to_string());
    }
    let separator = if back.contains('?') { '&' } else { '?' };
    format!("{back}{separator}{}", query.finish())
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
    // The kept rule's words come from the task, never from the post.
    let custom_summary = (task.recurrence.as_deref() == Some(form.custom_recurrence.trim()))
        .then(|| task.recurrence_summary.clone())
        .flatten();
    let form = TaskForm {
        custom_summary,
        ..form
    };
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

/// The edit form as the task stands. Its rule preselects the repeat
/// choice that builds it from the due date; a rule no choice builds is
/// offered as it is, with its words.
fn form_of(task: &Task) -> TaskForm {
    let (recurrence, custom_recurrence, custom_summary) =
        match (task.recurrence.as_deref(), task.due_date) {
            (Some(rule), Some(due)) => match schedule::repeat_of(rule, due) {
                Some(repeat) => (repeat.key.to_owned(), String::new(), None),
                None => (
                    CUSTOM_REPEAT.to_owned(),
                    rule.to_owned(),
                    task.recurrence_summary.clone(),
                ),
            },
            _ => (String::new(), String::new(), None),
        };
    TaskForm {
        title: task.title.clone(),
        description: task.description.clone().unwrap_or_default(),
        priority: task.priority.as_str().to_owned(),
        due_date: task
            .due_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        due_time: task.due_time.clone().unwrap_or_default(),
        recurrence,
        custom_recurrence,
        custom_summary,
        reminders: task.reminders.iter().map(u32::to_string).collect(),
        tags: task.tags.join(", "),
        completed: task.completed.then(|| "on".to_owned()),
        back: None,
    }
}
