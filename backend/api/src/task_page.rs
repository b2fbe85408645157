//! A page of tasks written straight from borrowed data: [`TaskView`] is a
//! [`Task`](crate::Task) whose text is borrowed (from a database row, say),
//! and [`TaskListWriter`] writes a [`TaskList`](crate::TaskList) one task
//! at a time.
//!
//! Why not serde: the list is the API's busiest answer, and serde_json
//! passes every byte of every string, field name and timestamp through its
//! escaper. Here field names are constants, text that needs no escaping
//! (nearly all of it) is copied in one piece, and anything else goes
//! through serde_json after all. The tests hold the output to exactly what
//! serializing the owned types writes.

pub use crate::task_fields::{BorrowedTags, TaskView};

/// Writes the JSON of a [`TaskList`](crate::TaskList) incrementally:
/// items first, then the page's numbers.
#[derive(Debug)]
pub struct TaskListWriter {
    json: Vec<u8>,
    items: usize,
}

/// What a task usually takes on the wire, to size the buffer once: a
/// page that fits is never copied while it grows. A task with a short
/// title, a sentence of description, two tags and no schedule takes
/// about 400 bytes; one that repeats and reminds, about 500.
const TYPICAL_TASK_BYTES: usize = 512;

impl TaskListWriter {
    /// A writer with room for about `expected_items` tasks.
    pub fn with_capacity(expected_items: usize) -> Self {
        let mut json = Vec::with_capacity(64 + expected_items * TYPICAL_TASK_BYTES);
        json.extend_from_slice(br#"{"items":["#);
        Self { json, items: 0 }
    }

    /// Appends one task, its fields in [`Task`](crate::Task)'s order.
    pub fn push<'a, Tags>(&mut self, task: &TaskView<'a, Tags>)
    where
        Tags: Clone + IntoIterator<Item = &'a str>,
    {
        if self.items > 0 {
            self.json.push(b',');
        }
        self.items += 1;
        task.write_json(&mut self.json);
    }

    /// Closes the list: the JSON of the whole page.
    pub fn finish(mut self, total: u64, limit: u32, offset: u64) -> Vec<u8> {
        use std::io::Write as _;
        write!(
            self.json,
            r#"],"total":{total},"limit":{limit},"offset":{offset}}}"#
        )
        .expect("writing into a Vec cannot fail");
        self.json
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::json_string::write_string;
    use crate::{Priority, Task, TaskList};

    /// Text that exercises every escape: each ASCII character, and
    /// characters of two, three and four bytes.
    fn awkward_texts() -> Vec<String> {
        let mut texts: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        texts.extend(
            [
                "",
                "plain words",
                "é ✓ 😀",
                "\"quoted\"\n\\slash\\",
                "\u{7f}\u{80}\u{2028}\u{2029}",
            ]
            .map(String::from),
        );
        texts
    }

    fn tasks() -> Vec<Task> {
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 8, 35, 44).unwrap();
        let mut tasks = vec![
            Task {
                id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
                title: "Write the \"report\"\n".into(),
                description: Some("tab\there, slash \\ and é ✓ \u{1}".into()),
                completed: false,
                priority: Priority::High,
                due_date: NaiveDate::from_ymd_opt(2026, 12, 24),
                due_time: Some("09:30".into()),
                recurrence: Some("FREQ=WEEKLY;BYDAY=MO,TH".into()),
                recurrence_summary: Some("every Monday and Thursday".into()),
                reminders: vec![0, 60, 40320],
                tags: vec!["work".into(), "q4".into()],
                next_occurrence_id: Some(Uuid::from_u128(7)),
                created_at: at,
                updated_at: at + chrono::Duration::microseconds(576_123),
            },
            Task {
                id: Uuid::from_u128(u128::MAX),
                title: "x".into(),
                description: None,
                completed: true,
                priority: Priority::Low,
                due_date: NaiveDate::from_ymd_opt(-3, 1, 1),
                due_time: None,
                recurrence: None,
                recurrence_summary: None,
                reminders: vec![],
                tags: vec![],
                next_occurrence_id: None,
                created_at: at + chrono::Duration::nanoseconds(1),
                updated_at: Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap(),
            },
        ];
        for (index, text) in awkward_texts().into_iter().enumerate() {
            tasks.push(Task {
                id: Uuid::from_u128(index as u128),
                title: text.clone(),
                description: Some(text.clone()),
                completed: index % 2 == 0,
                priority: Priority::Medium,
                due_date: None,
                due_time: None,
                recurrence: None,
                recurrence_summary: None,
                reminders: vec![index as u32],
                tags: vec![text.clone(), "tag".into()],
                next_occurrence_id: None,
                created_at: at + chrono::Duration::milliseconds(index as i64),
                updated_at: at,
            });
        }
        tasks
    }

    #[test]
    fn the_writer_writes_what_a_task_list_serializes_to() {
        let all = tasks();
        for count in [0, 1, 2, all.len()] {
            let items: Vec<Task> = all.iter().take(count).cloned().collect();
            let mut writer = TaskListWriter::with_capacity(count);
            for task in &items {
                writer.push(&task.view());
            }
            let written = writer.finish(120, 50, 7);
            let list = TaskList {
                items,
                total: 120,
                limit: 50,
                offset: 7,
            };
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&list).unwrap()
            );
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in awkward_texts() {
            let mut json = Vec::new();
            write_string(&mut json, &text);
            assert_eq!(
                String::from_utf8(json).unwrap(),
                serde_json::to_string(&text).unwrap()
            );
        }
    }
}
