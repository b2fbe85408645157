//! The task list page: add form, filters, counts, rows.

use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use todo_api::{StatusFilter, Task, TaskList, TaskStats, User};

use super::edit::{priority_label, task_fields};
use super::layout::document;
use crate::filter::{Filter, PAGE_SIZE, SORTS};
use crate::forms::{FormState, TaskForm};

/// Everything the task list page shows.
#[derive(Debug)]
pub struct ListPage<'a> {
    pub user: &'a User,
    pub tasks: &'a TaskList,
    pub stats: &'a TaskStats,
    pub filter: &'a Filter,
    /// Overdue means: not completed and due before this day.
    pub today: NaiveDate,
    /// The add form as typed (kept when it had errors).
    pub draft: &'a TaskForm,
    /// Why the add form came back: its fields' messages, or one above it
    /// (a full account).
    pub errors: &'a FormState,
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
        {add_form(page.draft, page.errors, &back)}
        <section class="card" aria-labelledby="list-title">
            <h2 id="list-title" class="visually-hidden">"Task list"</h2>
            {tabs(page.filter, page.stats)}
            {toolbar(page.filter)}
            {task_list(page.tasks, page.filter, page.today, &back)}
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

fn add_form(draft: &TaskForm, state: &FormState, back: &str) -> impl IntoView + use<> {
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
    today: NaiveDate,
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
        .map(|task| task_row(task, today, back))
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

fn task_row(task: &Task, today: NaiveDate, back: &str) -> impl IntoView + use<> {
    let overdue = task.is_overdue(today.and_time(chrono::NaiveTime::MIN));
    let mut class = format!("task priority-{}", task.priority.as_str());
    if task.completed {
        class.push_str(" is-completed");
    }
    if overdue {
        class.push_str(" is-overdue");
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
        let text = if overdue {
            format!("Overdue · due {}", due.format("%b %-d, %Y"))
        } else {
            format!("Due {}", due.format("%b %-d, %Y"))
        };
        let datetime = due.format("%Y-%m-%d").to_string();
        let class = if overdue { "due due-overdue" } else { "due" };
        view! { <time class=class datetime=datetime>{text}</time> }
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
