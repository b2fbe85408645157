//! The edit page of one task.

use leptos::prelude::*;
use todo_api::{Priority, User, limits};
use uuid::Uuid;

use super::fields::{Input, capitalise, field_error, invalid, textarea_text};
use super::layout::document;
use crate::forms::{FieldErrors, TaskForm};
use crate::schedule::{CUSTOM_REPEAT, REMINDER_CHOICES, REPEATS, reminder_words};

/// The task fields shared by the add and edit forms (never both on one
/// page, so the ids are unique). `time_zone` is the user's, which the due
/// time is read in. `last` ends the row of small fields (the add form puts
/// its button there).
pub fn task_fields<L: IntoView + 'static>(
    form: &TaskForm,
    errors: &FieldErrors,
    time_zone: &str,
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
    let time_hint = format!("In your time zone, {time_zone}.");
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
            {Input::text("due_time", "Due time", &form.due_time)
                .kind("time")
                .hint(&time_hint)
                .render(errors)}
            {repeat_field(form, errors)}
            {Input::text("tags", "Tags", &form.tags)
                .hint("Separated by commas, e.g. home, errands")
                .render(errors)}
            {reminder_fields(form, errors)}
            {last}
        </div>
    }
}

/// The "Repeat" menu: does not repeat, the preset choices, and, for a
/// rule none of them builds, that rule itself (kept in a hidden field
/// while it stays chosen).
fn repeat_field(form: &TaskForm, errors: &FieldErrors) -> impl IntoView + use<> {
    let (repeat_invalid, error_ref) = invalid("recurrence", errors);
    let described = match error_ref {
        Some(error) => format!("recurrence-hint {error}"),
        None => "recurrence-hint".to_owned(),
    };
    let chosen = form.recurrence.trim().to_owned();
    let presets = REPEATS
        .iter()
        .map(|repeat| {
            let selected = chosen == repeat.key;
            view! { <option value=repeat.key selected=selected>{repeat.label}</option> }
        })
        .collect_view();
    let custom_rule = form.custom_recurrence.trim().to_owned();
    let custom = (!custom_rule.is_empty()).then(|| {
        let label = match &form.custom_summary {
            Some(summary) => format!("As set: {summary} ({custom_rule})"),
            None => format!("As set: {custom_rule}"),
        };
        let selected = chosen == CUSTOM_REPEAT;
        view! {
            <option value=CUSTOM_REPEAT selected=selected>{label}</option>
        }
    });
    let kept = (!custom_rule.is_empty()).then(|| {
        view! { <input type="hidden" name="custom_recurrence" value=custom_rule.clone() /> }
    });
    view! {
        <div class="field">
            <label for="recurrence">"Repeat"</label>
            <select
                id="recurrence"
                name="recurrence"
                aria-invalid=repeat_invalid
                aria-describedby=described
            >
                <option value="" selected=chosen.is_empty()>"Does not repeat"</option>
                {presets}
                {custom}
            </select>
            {kept}
            <p class="field-hint" id="recurrence-hint">
                "From the due date; completing the task makes the next one."
            </p>
            {field_error("recurrence", errors)}
        </div>
    }
}

/// The reminders, a box each: the usual choices, and any other the task
/// already has (set through the API), so saving keeps it.
fn reminder_fields(form: &TaskForm, errors: &FieldErrors) -> impl IntoView + use<> {
    let ticked = form.reminder_values();
    let mut offered: Vec<u32> = REMINDER_CHOICES.to_vec();
    offered.extend(ticked.iter().copied());
    offered.sort_unstable();
    offered.dedup();
    let (_, error_ref) = invalid("reminders", errors);
    let described = match error_ref {
        Some(error) => format!("reminders-hint {error}"),
        None => "reminders-hint".to_owned(),
    };
    let boxes = offered
        .into_iter()
        .map(|minutes| {
            let id = format!("reminder-{minutes}");
            let checked = ticked.contains(&minutes);
            let label = capitalise(&reminder_words(minutes));
            view! {
                <div class="field-check">
                    <input
                        type="checkbox"
                        id=id.clone()
                        name="reminders"
                        value=minutes.to_string()
                        checked=checked
                    />
                    <label for=id>{label}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="field choices reminders" aria-describedby=described>
            <legend>"Reminders " <span class="optional">"(optional)"</span></legend>
            <p class="field-hint" id="reminders-hint">"They need a due time."</p>
            <div class="reminder-choices">{boxes}</div>
            {field_error("reminders", errors)}
        </fieldset>
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
                {task_fields(form, errors, &user.time_zone, ())}
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
