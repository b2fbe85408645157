//! The task list page: what is due soon, add form, filters, counts, rows.
//! Whether a task is overdue or due today is read in the user's time zone,
//! as the backend counts it.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use leptos::either::Either;
use leptos::prelude::*;
use todo_api::{StatusFilter, Task, TaskList, TaskStats, User};
use uuid::Uuid;

use super::edit::{priority_label, task_fields};
use super::layout::document;
use crate::filter::{Filter, PAGE_SIZE, SORTS};
use crate::forms::{FormState, TaskForm};
use crate::schedule::reminders_phrase;

/// Everything the task list page shows.
#[derive(Debug)]
pub struct ListPage<'a> {
    pub user: &'a User,
    pub tasks: &'a TaskList,
    pub stats: &'a TaskStats,
    /// Open tasks overdue or due by the end of tomorrow, soonest first.
    pub due_soon: &'a [Task],
    pub filter: &'a Filter,
    /// The wall-clock time in the user's zone: overdue means not
    /// completed and due before it, due today due on its day.
    pub now: NaiveDateTime,
    /// What the last change did, when it has something to say.
    pub notice: Option<ListNotice>,
    /// The add form as typed (kept when it had errors).
    pub draft: &'a TaskForm,
    /// Why the add form came back: its fields' messages, or one above it
    /// (a full account).
    pub errors: &'a FormState,
}

/// News after a redirect back to the list. The words are fixed here; the
/// URL only carries a task id and a date, both parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListNotice {
    /// A repeating task was completed: its next occurrence is due on
    /// `next` (none when the series ended), and `task` can be reopened.
    Completed { task: Uuid, next: Option<NaiveDate> },
}

pub fn list_page(page: ListPage<'_>) -> String {
    let back = page.filter.href();
    let title = match page.stats.active {
        0 => "Your tasks".to_owned(),
        n => format!("Your tasks ({n} active)"),
    };
    let main = view! {
        <div class="page-head">
            <h1>"Your tasks"</h1>
            {summary(page.stats)}
        </div>
        {page.notice.map(|notice| notice_view(notice, page.now.date(), &back))}
        {due_soon(page.due_soon, page.now, &back)}
        {add_form(page.draft, page.errors, &page.user.time_zone, &back)}
        <section class="card" aria-labelledby="list-title">
            <h2 id="list-title" class="visually-hidden">"Task list"</h2>
            {tabs(page.filter, page.stats)}
            {toolbar(page.filter)}
            {task_list(page.tasks, page.filter, page.now, &back)}
            {pager(page.tasks, page.filter)}
            {clear_completed(page.stats, &back)}
        </section>
    };
    document(&title, Some(page.user), main)
}

fn summary(stats: &TaskStats) -> impl IntoView + use<> {
    let overdue = (stats.overdue > 0).then(|| {
        let text = format!("{} overdue", stats.overdue);
        view! { <span class="pill pill-danger">{text}</span> }
    });
    let text = format!("{} active · {} completed", stats.active, stats.completed);
    view! { <p class="summary" id="summary"><span>{text}</span>{overdue}</p> }
}

/// "Done. Next: Mon 14 Dec", with a button that reopens the task (which
/// removes the occurrence its completion made).
fn notice_view(notice: ListNotice, today: NaiveDate, back: &str) -> impl IntoView + use<> {
    let ListNotice::Completed { task, next } = notice;
    let message = match next {
        Some(next) => format!("Done. Next: {}.", short_date(next, today)),
        None => "Done. That was the last time it repeats.".to_owned(),
    };
    let back = back.to_owned();
    view! {
        <div class="alert alert-info notice-row" role="status" id="done-notice">
            <p>{message}</p>
            <form method="post" action=format!("/tasks/{task}/toggle")>
                <input type="hidden" name="completed" value="false" />
                <input type="hidden" name="back" value=back />
                <button type="submit" class="button button-small" id="undo-done">
                    "Undo"
                </button>
            </form>
        </div>
    }
}

/// "Mon 14 Dec", with the year when it is not this one.
fn short_date(date: NaiveDate, today: NaiveDate) -> String {
    if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}

/// How soon a task is due, read in the user's zone: also the order of
/// the "Due soon" list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Soon {
    Overdue,
    Today,
    Tomorrow,
    Later,
}

fn soon(task: &Task, now: NaiveDateTime) -> Soon {
    let today = now.date();
    if task.is_overdue(now) {
        Soon::Overdue
    } else if task.is_due_today(today) {
        Soon::Today
    } else if task.due_date == today.checked_add_days(Days::new(1)) {
        Soon::Tomorrow
    } else {
        Soon::Later
    }
}

/// The open tasks overdue or due by the end of tomorrow, above the rest:
/// overdue first, then today, then tomorrow, each saying which in words.
fn due_soon(tasks: &[Task], now: NaiveDateTime, back: &str) -> impl IntoView + use<> {
    (!tasks.is_empty()).then(|| {
        let mut ordered: Vec<(Soon, &Task)> = tasks.iter().map(|t| (soon(t, now), t)).collect();
        // Stable: within a group, the backend's order (soonest first).
        ordered.sort_by_key(|(when, _)| *when);
        let heading = format!("Due soon ({})", tasks.len());
        let items = ordered
            .into_iter()
            .map(|(when, task)| {
                let (class, label) = match when {
                    Soon::Overdue => ("soon soon-overdue", "Overdue"),
                    Soon::Today => ("soon soon-today", "Today"),
                    Soon::Tomorrow => ("soon soon-tomorrow", "Tomorrow"),
                    Soon::Later => ("soon", "Soon"),
                };
                let href = format!("/tasks/{}/edit?back={}", task.id, encode(back));
                let title = task.title.clone();
                let due = task.due_date.map(|date| {
                    let mut text = match when {
                        Soon::Today | Soon::Tomorrow => String::new(),
                        _ => date.format("%b %-d, %Y").to_string(),
                    };
                    if let Some(time) = &task.due_time {
                        if !text.is_empty() {
                            text.push_str(", ");
                        }
                        text.push_str(time);
                    }
                    let machine = machine_time(date, task.due_time.as_deref());
                    (!text.is_empty())
                        .then(|| view! { <time class="soon-due" datetime=machine>{text}</time> })
                });
                let repeat = task.recurrence_summary.clone().map(repeat_marker);
                view! {
                    <li class=class>
                        <span class="soon-when">{label}</span>
                        <a class="soon-title" href=href>{title}</a>
                        {due}
                        {repeat}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="card due-soon" id="due-soon" aria-labelledby="due-soon-title">
                <h2 id="due-soon-title">{heading}</h2>
                <ul class="soon-list" aria-labelledby="due-soon-title">{items}</ul>
            </section>
        }
    })
}

/// A `datetime` attribute: the date, with the wall-clock time when there
/// is one (a local time, as the task's due time is).
fn machine_time(date: NaiveDate, time: Option<&str>) -> String {
    match time {
        Some(time) => format!("{}T{time}", date.format("%Y-%m-%d")),
        None => date.format("%Y-%m-%d").to_string(),
    }
}

/// "↻ every Monday": the arrow for the eye, the word for screen readers.
fn repeat_marker(summary: String) -> impl IntoView {
    view! {
        <span class="repeat">
            <span aria-hidden="true">"↻ "</span>
            <span class="visually-hidden">"Repeats "</span>
            {summary}
        </span>
    }
}

fn add_form(
    draft: &TaskForm,
    state: &FormState,
    time_zone: &str,
    back: &str,
) -> impl IntoView + use<> {
    let alert = match (&state.alert, state.errors.is_empty()) {
        (Some(alert), _) => Some(alert.clone()),
        (None, false) => {
            Some("The task was not added. Please correct the fields marked below.".to_owned())
        }
        (None, true) => None,
    }
    .map(|message| view! { <div class="alert alert-error" role="alert">{message}</div> });
    let back = back.to_owned();
    view! {
        <section class="card add-card" aria-labelledby="add-title">
            <h2 id="add-title">"Add a task"</h2>
            {alert}
            <form method="post" action="/tasks" class="stack add-form" novalidate>
                <input type="hidden" name="back" value=back />
                {task_fields(
                    draft,
                    &state.errors,
                    time_zone,
                    view! { <button type="submit" class="button button-primary add-button">"Add task"</button> },
                )}
            </form>
        </section>
    }
}

fn tabs(filter: &Filter, stats: &TaskStats) -> impl IntoView + use<> {
    let items = [
        (StatusFilter::All, "All", stats.total),
        (StatusFilter::Active, "Active", stats.active),
        (StatusFilter::Completed, "Completed", stats.completed),
    ]
    .into_iter()
    .map(|(status, label, count)| {
        let current = (filter.status == status).then_some("page");
        let href = filter.with_status(status).href();
        let id = format!("tab-{}", status.as_str());
        view! {
            <li>
                <a href=href id=id class="tab" aria-current=current>
                    {label}
                    <span class="count">{count}</span>
                </a>
            </li>
        }
    })
    .collect_view();
    view! {
        <nav class="tabs" aria-label="Filter tasks">
            <ul>{items}</ul>
        </nav>
    }
}

fn toolbar(filter: &Filter) -> impl IntoView + use<> {
    let status = (filter.status != StatusFilter::All).then(|| filter.status.as_str());
    let q = filter.q.clone();
    let options = SORTS
        .iter()
        .map(|(key, label, ..)| {
            let selected = *key == filter.sort;
            view! { <option value=*key selected=selected>{*label}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/tasks" class="toolbar" role="search" aria-label="Search and sort">
            {status.map(|s| view! { <input type="hidden" name="status" value=s /> })}
            <div class="field field-search">
                <label for="q">"Search"</label>
                <input type="search" id="q" name="q" value=q placeholder="Title or description" />
            </div>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">{options}</select>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </form>
    }
}

fn task_list(
    tasks: &TaskList,
    filter: &Filter,
    now: NaiveDateTime,
    back: &str,
) -> impl IntoView + use<> {
    // `Either`, not `AnyView`: an `AnyView` renders into a string of its
    // own that is then copied into the page.
    if tasks.items.is_empty() {
        return Either::Left(empty_state(filter));
    }
    let heading = if filter.q.is_empty() {
        format!("{} {}", tasks.total, plural(tasks.total, "task", "tasks"))
    } else {
        format!(
            "{} {} matching “{}”",
            tasks.total,
            plural(tasks.total, "task", "tasks"),
            filter.q
        )
    };
    let rows = tasks
        .items
        .iter()
        .map(|task| task_row(task, now, back))
        .collect_view();
    Either::Right(view! {
        <p class="list-count" id="list-count" role="status">{heading}</p>
        <ul class="tasks" aria-labelledby="list-title">{rows}</ul>
    })
}

fn empty_state(filter: &Filter) -> impl IntoView + use<> {
    let (title, hint) = if !filter.q.is_empty() {
        (
            format!("No tasks match “{}”.", filter.q),
            "Try another word, or clear the search.",
        )
    } else {
        match filter.status {
            StatusFilter::All => (
                "No tasks yet.".to_owned(),
                "Add your first task with the form above.",
            ),
            StatusFilter::Active => (
                "Nothing left to do.".to_owned(),
                "Every task is completed. Enjoy the quiet.",
            ),
            StatusFilter::Completed => (
                "No completed tasks yet.".to_owned(),
                "Tasks you complete show up here.",
            ),
        }
    };
    let clear = (!filter.q.is_empty()).then(|| {
        let href = Filter {
            q: String::new(),
            page: 1,
            ..filter.clone()
        }
        .href();
        view! { <a href=href>"Clear the search"</a> }
    });
    view! {
        <div class="empty" id="empty-state" role="status">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint} " " {clear}</p>
        </div>
    }
}

fn task_row(task: &Task, now: NaiveDateTime, back: &str) -> impl IntoView + use<> {
    let overdue = task.is_overdue(now);
    let due_today = !overdue && task.is_due_today(now.date());
    let mut class = format!("task priority-{}", task.priority.as_str());
    if task.completed {
        class.push_str(" is-completed");
    }
    if overdue {
        class.push_str(" is-overdue");
    }
    if due_today {
        class.push_str(" is-due-today");
    }
    let id = task.id;
    let title = task.title.clone();
    let toggle_label = if task.completed {
        format!("Mark “{}” as not completed", task.title)
    } else {
        format!("Mark “{}” as completed", task.title)
    };
    let next_state = (!task.completed).to_string();
    let pressed = task.completed.to_string();
    let description = task
        .description
        .clone()
        .map(|d| view! { <p class="task-description">{d}</p> });
    let priority = format!("{} priority", priority_label(task.priority));
    let priority_class = format!("badge badge-{}", task.priority.as_str());
    let due = task.due_date.map(|due| {
        let at = task
            .due_time
            .as_deref()
            .map(|time| format!(" at {time}"))
            .unwrap_or_default();
        let (text, class) = if overdue {
            (
                format!("Overdue · due {}{at}", due.format("%b %-d, %Y")),
                "due due-overdue",
            )
        } else if due_today {
            (format!("Due today{at}"), "due due-today")
        } else {
            (format!("Due {}{at}", due.format("%b %-d, %Y")), "due")
        };
        let datetime = machine_time(due, task.due_time.as_deref());
        view! { <time class=class datetime=datetime>{text}</time> }
    });
    let repeat = task.recurrence_summary.clone().map(repeat_marker);
    let reminders = (!task.reminders.is_empty()).then(|| {
        let noun = if task.reminders.len() == 1 {
            "Reminder"
        } else {
            "Reminders"
        };
        let text = format!("{noun} {}", reminders_phrase(&task.reminders));
        view! {
            <span class="reminder">
                <span aria-hidden="true">"🔔 "</span>
                {text}
            </span>
        }
    });
    let tags = task
        .tags
        .iter()
        .map(|tag| {
            let tag = format!("#{tag}");
            view! { <li class="tag">{tag}</li> }
        })
        .collect_view();
    let edit_href = format!("/tasks/{id}/edit?back={}", encode(back));
    let edit_label = format!("Edit “{}”", task.title);
    let delete_label = format!("Delete “{}”", task.title);
    let back_toggle = back.to_owned();
    let back_delete = back.to_owned();
    view! {
        <li class=class id=format!("task-{id}")>
            <form method="post" action=format!("/tasks/{id}/toggle") class="toggle-form">
                <input type="hidden" name="completed" value=next_state />
                <input type="hidden" name="back" value=back_toggle />
                <button type="submit" class="check" aria-label=toggle_label aria-pressed=pressed>
                    <span aria-hidden="true" class="check-mark"></span>
                </button>
            </form>
            <div class="task-body">
                <p class="task-title">{title}</p>
                {description}
                <div class="task-meta">
                    <span class=priority_class>{priority}</span>
                    {due}
                    {repeat}
                    {reminders}
                    <ul class="tags" aria-label="Tags">{tags}</ul>
                </div>
            </div>
            <div class="task-actions">
                <a class="button button-small" href=edit_href aria-label=edit_label>"Edit"</a>
                <form method="post" action=format!("/tasks/{id}/delete")>
                    <input type="hidden" name="back" value=back_delete />
                    <button type="submit" class="button button-small button-danger" aria-label=delete_label>
                        "Delete"
                    </button>
                </form>
            </div>
        </li>
    }
}

fn pager(tasks: &TaskList, filter: &Filter) -> impl IntoView + use<> {
    let pages = tasks.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    (pages > 1).then(|| {
        let prev = (filter.page > 1).then(|| {
            let href = filter.with_page(filter.page - 1).href();
            view! { <a class="button button-small" href=href rel="prev">"Previous"</a> }
        });
        let next = (filter.page < pages).then(|| {
            let href = filter.with_page(filter.page + 1).href();
            view! { <a class="button button-small" href=href rel="next">"Next"</a> }
        });
        let position = format!("Page {} of {pages}", filter.page);
        view! {
            <nav class="pager" aria-label="Pages">
                {prev}
                <span>{position}</span>
                {next}
            </nav>
        }
    })
}

fn clear_completed(stats: &TaskStats, back: &str) -> impl IntoView + use<> {
    let back = back.to_owned();
    (stats.completed > 0).then(|| {
        let label = format!("Clear completed ({})", stats.completed);
        view! {
            <form method="post" action="/tasks/clear-completed" class="clear-form">
                <input type="hidden" name="back" value=back />
                <button type="submit" class="button button-quiet" id="clear-completed">{label}</button>
            </form>
        }
    })
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
