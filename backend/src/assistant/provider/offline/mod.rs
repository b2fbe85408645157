//! The offline provider: a deterministic reader of plain English commands,
//! so the assistant works with no API key and no network. It understands
//! the five tools' everyday phrasings ("add buy milk tomorrow, high
//! priority, tag home", "what is left?", "mark buy milk done", "rename buy
//! milk to buy oat milk", "delete the report task", "delete a, b and c",
//! "what is overdue?"),
//! dates ("today", "tomorrow", "next friday", "in 3 days", "dec 24",
//! "2026-12-24"), times ("at 9am", "at 14:30"), repeats ("every monday",
//! "every 2 weeks", "daily"), reminders ("remind me an hour before"),
//! priorities and tags; and when it does not understand, it says what it
//! can do. `grammar` holds what it understands, as a table of rules with
//! examples; `dates`, `schedule` and `new_task` read the parts. Everything
//! is read at the user's wall-clock time, in their time zone.

mod dates;
mod grammar;
mod new_task;
mod schedule;

use chrono::NaiveDateTime;
use serde_json::Value;
use todo_api::Tool;

use super::{Reply, ToolCall, Turn};
use crate::assistant::tools::{due_of, next_due, schedule_notes};
use grammar::understand;

#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

/// What it can do, with one example of each way of saying things it
/// understands (the first of each rule's examples).
fn help() -> String {
    let examples: Vec<String> = grammar::RULES
        .iter()
        .map(|rule| format!("“{}”", rule.examples[0].0))
        .collect();
    format!(
        "I can add, list, complete, change and delete your tasks. Try: {}.",
        examples.join(", ")
    )
}

impl Offline {
    /// The next step, at `now` on the user's wall clock.
    pub fn next(&self, transcript: &[Turn], now: NaiveDateTime) -> Reply {
        let last_user = transcript.iter().rposition(|t| matches!(t, Turn::User(_)));
        let Some(at) = last_user else {
            return Reply::Text(help());
        };
        let results: Vec<(&str, &Value)> = transcript[at + 1..]
            .iter()
            .filter_map(|turn| match turn {
                Turn::ToolResult { name, result, .. } => Some((name.as_str(), result)),
                _ => None,
            })
            .collect();
        if !results.is_empty() {
            return Reply::Text(summarize(&results, now));
        }
        let Turn::User(text) = &transcript[at] else {
            unreachable!("rposition found a user turn")
        };
        match understand(text, now) {
            Some(calls) => Reply::ToolCalls(
                calls
                    .into_iter()
                    .enumerate()
                    .map(|(n, (tool, arguments))| ToolCall {
                        id: format!("offline-{}-{n}", at + 1),
                        name: tool.as_str().to_owned(),
                        arguments: Value::Object(arguments),
                    })
                    .collect(),
            ),
            None => Reply::Text(format!("Sorry, I did not understand that. {}", help())),
        }
    }
}

/// The reply once the tools have answered.
fn summarize(results: &[(&str, &Value)], now: NaiveDateTime) -> String {
    results
        .iter()
        .map(|(tool, result)| summarize_one(tool, result, now))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "“water the plants” (due Mon Dec 7 08:00; every Monday; reminder 1
/// hour before)": what a person needs to see of a task, overdue or not
/// at `now`.
fn task_line(task: &Value, now: NaiveDateTime) -> String {
    let mut line = format!("“{}”", task["title"].as_str().unwrap_or(""));
    let mut notes = Vec::new();
    if let Some(priority) = task["priority"].as_str().filter(|p| *p != "medium") {
        notes.push(format!("{priority} priority"));
    }
    if let Some(due) = due_of(task) {
        let overdue = due.is_past(now) && task["completed"] != true;
        notes.push(format!(
            "due {}{}",
            due.written("%a %b %-d"),
            if overdue { ", overdue" } else { "" }
        ));
    }
    notes.extend(schedule_notes(task));
    if let Some(tags) = task["tags"].as_array().filter(|t| !t.is_empty()) {
        let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
        notes.push(format!("tags: {}", tags.join(", ")));
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join("; ")));
    }
    line
}

fn summarize_one(tool: &str, result: &Value, now: NaiveDateTime) -> String {
    if let Some(error) = result.get("error") {
        let message = error["message"].as_str().unwrap_or("it failed");
        return match error["code"].as_str() {
            Some("ambiguous_match") => {
                let names: Vec<String> = error["candidates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| format!("“{}”", c["title"].as_str().unwrap_or("")))
                    .collect();
                format!(
                    "Several tasks match: {}. Which one do you mean?",
                    names.join(", ")
                )
            }
            Some("not_found") => format!("I could not find that task ({message})."),
            Some("validation_failed") => {
                let fields: Vec<String> = error["fields"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("is invalid")))
                    .collect();
                format!("That did not work: {}.", fields.join("; "))
            }
            _ => format!("That did not work: {message}."),
        };
    }
    let Ok(tool) = tool.parse::<Tool>() else {
        return format!("Ran {tool}.");
    };
    match tool {
        Tool::AddTask => format!("Added {}.", task_line(result, now)),
        Tool::CompleteTask => match next_due(result) {
            Some(next) => format!(
                "Marked {} done; next on {}.",
                task_line(result, now),
                next.format("%a %b %-d")
            ),
            None => format!("Marked {} done.", task_line(result, now)),
        },
        Tool::UpdateTask => format!("Updated {}.", task_line(result, now)),
        Tool::DeleteTask => format!("Deleted “{}”.", result["title"].as_str().unwrap_or("")),
        Tool::ListTasks => {
            let items = result["items"].as_array().cloned().unwrap_or_default();
            let total = result["total"].as_u64().unwrap_or(items.len() as u64);
            if total == 0 {
                return "No tasks match. Nothing to do here.".into();
            }
            let mut text = format!("{total} task{}:", if total == 1 { "" } else { "s" });
            for task in items.iter().take(10) {
                let mark = if task["completed"] == true {
                    "✓ "
                } else {
                    ""
                };
                text.push_str(&format!("\n- {mark}{}", task_line(task, now)));
            }
            if total > 10 {
                text.push_str(&format!("\n… and {} more.", total - 10));
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Wednesday 2 December 2026, 10:00 on the user's clock.
    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    #[test]
    fn it_says_what_it_can_do_when_it_does_not_understand() {
        let reply = Offline.next(&[Turn::User("sing me a song".into())], now());
        let Reply::Text(text) = reply else {
            panic!("{reply:?}")
        };
        assert!(text.contains("I can add, list, complete"), "{text}");
        for rule in grammar::RULES {
            assert!(
                text.contains(rule.examples[0].0),
                "{text} shows {}",
                rule.name
            );
        }
    }

    fn reply_to(tool: &str, result: Value) -> String {
        let transcript = [
            Turn::User("…".into()),
            Turn::ToolResult {
                call_id: "c".into(),
                name: tool.into(),
                result,
            },
        ];
        match Offline.next(&transcript, now()) {
            Reply::Text(text) => text,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replies_show_the_due_time_the_repeat_and_the_reminders() {
        let task = json!({
            "title": "water the plants", "priority": "medium", "completed": false,
            "due_date": "2026-12-07", "due_time": "08:00",
            "recurrence": "FREQ=WEEKLY;BYDAY=MO", "recurrence_summary": "every Monday",
            "reminders": [60], "tags": [], "next_occurrence_id": null,
        });
        assert_eq!(
            reply_to("add_task", task.clone()),
            "Added “water the plants” (due Mon Dec 7 08:00; every Monday; reminder 1 hour before)."
        );
        let mut done = task;
        done["completed"] = json!(true);
        done["next_occurrence_id"] = json!("0b4f6a2e-8d0c-4a55-9a43-3c1f7f1f7e11");
        assert_eq!(
            reply_to("complete_task", done.clone()),
            "Marked “water the plants” (due Mon Dec 7 08:00; every Monday; reminder 1 hour before) done; next on Mon Dec 14."
        );
        // A series that ended creates nothing, and says nothing of a next one.
        done["next_occurrence_id"] = Value::Null;
        assert!(!reply_to("complete_task", done).contains("next on"));
    }

    #[test]
    fn a_task_due_earlier_today_is_overdue_one_due_later_is_not() {
        let at = |time: &str| json!({"title": "call", "due_date": "2026-12-02", "due_time": time, "completed": false});
        assert!(reply_to("add_task", at("09:59")).contains("09:59, overdue"));
        assert!(!reply_to("add_task", at("10:01")).contains("overdue"));
        let some_time_today =
            json!({"title": "call", "due_date": "2026-12-02", "completed": false});
        assert!(!reply_to("add_task", some_time_today).contains("overdue"));
    }
}
