//! Calendar feeds: a per-account secret iCalendar address that calendar
//! apps subscribe to, listing the open tasks with due dates, their
//! repeats and their reminders. `feed` renders the document; this module
//! makes and recognises the secrets and turns tasks into feed items.

pub mod feed;

use chrono::NaiveTime;
use todo_api::Task;

use crate::auth::personal_token;

/// What every feed secret starts with (so a leaked one is recognisable).
pub const SECRET_PREFIX: &str = "todo_cal_";

/// The most tasks one feed lists, soonest first.
pub const FEED_MAX_TASKS: u32 = 2000;

/// A new feed secret, and the hash it is stored under.
pub fn new_secret() -> (String, Vec<u8>) {
    personal_token::generate_with(SECRET_PREFIX)
}

/// The stored hash of a secret taken from a feed address, if it has a
/// secret's shape; anything else can open no feed, so it is not looked up.
pub fn secret_hash(secret: &str) -> Option<Vec<u8>> {
    let hex = secret.strip_prefix(SECRET_PREFIX)?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| personal_token::hash(secret))
}

/// The address a secret's feed is served at, on the app's public origin.
pub fn feed_path(secret: &str) -> String {
    format!("/calendar/{secret}.ics")
}

/// A task as a feed item; `None` without a due date.
pub fn feed_task(task: &Task) -> Option<feed::FeedTask<'_>> {
    Some(feed::FeedTask {
        id: task.id,
        title: &task.title,
        description: task.description.as_deref(),
        completed: task.completed,
        due_date: task.due_date?,
        due_time: task
            .due_time
            .as_deref()
            .and_then(|time| NaiveTime::parse_from_str(time, "%H:%M").ok()),
        recurrence: task.recurrence.as_deref(),
        reminders: &task.reminders,
        updated_at: task.updated_at,
        created_at: task.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_secret_of_the_right_shape_is_hashed() {
        let (secret, hash) = new_secret();
        assert_eq!(secret_hash(&secret), Some(hash));
        assert!(secret_hash(&secret.to_uppercase()).is_none());
        assert!(secret_hash(&secret[..secret.len() - 1]).is_none());
        assert!(secret_hash("todo_pat_0123").is_none());
        assert_eq!(feed_path("x"), "/calendar/x.ics");
    }
}
