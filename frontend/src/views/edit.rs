//! The edit page of one task.

use leptos::prelude::*;
use todo_api::{Priority, User, limits};
use uuid::Uuid;

use super::fields::{Input, field_error, invalid, textarea_text};
use super::layout::document;
use crate::forms::{FieldErrors, TaskForm};

/// The task fields shared by the add and edit forms (never both on one
/// page, so the ids are unique).
/// `last` ends the row of small fields (the add form puts its button there).
pub fn task_fields<L: IntoView + 'static>(
    form: &TaskForm,
    errors: &FieldErrors,
    last: L,
) -> impl IntoView + use<L> {
    let (desc_invalid, desc_described) = invalid("description", errors);
    let (prio_invalid, prio_described) = invalid("priority", errors);
    let chosen = form.priority.trim().to_owned();
    let options = Priority::ALL
        .iter()
        .map(|p| {
            let selected = if chosen.is_empty() {
                *p == Priority::default()
            } else {
                chosen == p.as_str()
            };
            view! { <option value=p.as_str() selected=selected>{priority_label(*p)}</option> }
        })
        .collect_view();
    let description = textarea_text(&form.description);
    view! {
        {Input::text("title", "Title", &form.title)
            .required()
            .maxlength(limits::TITLE_MAX_CHARS)
            .render(errors)}
        <div class="field field-wide">
            <label for="description">"Description " <span class="optional">"(optional)"</span></label>
            <textarea
                id="description"
                name="description"
                rows="2"
                maxlength=limits::DESCRIPTION_MAX_CHARS
                aria-invalid=desc_invalid
                aria-describedby=desc_described
            >
                {description}
            </textarea>
            {field_error("description", errors)}
        </div>
        <div class="field-row">
            <div class="field">
                <label for="priority">"Priority"</label>
                <select
                    id="priority"
                    name="priority"
                    aria-invalid=prio_invalid
                    aria-describedby=prio_described
                >
                    {options}
                </select>
                {field_error("priority", errors)}
            </div>
            {Input::text("due_date", "Due date", &form.due_date).kind("date").render(errors)}
            {Input::text("tags", "Tags", &form.tags)
                .hint("Separated by commas, e.g. home, errands")
                .render(errors)}
            {last}
        </div>
    }
}

pub fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "Low",
        Priority::Medium => "Medium",
        Priority::High => "High",
    }
}

pub fn edit_page(
    user: &User,
    id: Uuid,
    original_title: &str,
    form: &TaskForm,
    errors: &FieldErrors,
    back: &str,
) -> String {
    let action = format!("/tasks/{id}/edit");
    let back_value = back.to_owned();
    let cancel = back.to_owned();
    let completed = form.completed.is_some();
    let summary = (!errors.is_empty()).then(|| {
        view! {
            <div class="alert alert-error" role="alert">
                "The task was not saved. Please correct the fields marked below."
            </div>
        }
    });
    let main = view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Edit task"</h1>
            {summary}
            <form method="post" action=action class="stack" novalidate>
                <input type="hidden" name="back" value=back_value />
                {task_fields(form, errors, ())}
                <div class="field field-check">
                    <input type="checkbox" id="completed" name="completed" checked=completed />
                    <label for="completed">"Completed"</label>
                </div>
                <div class="actions-row">
                    <button type="submit" class="button button-primary">"Save changes"</button>
                    <a class="button button-quiet" href=cancel>"Cancel"</a>
                </div>
            </form>
        </section>
    };
    document(
        &format!("Edit “{}”", shorten(original_title, 40)),
        Some(user),
        main,
    )
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}
