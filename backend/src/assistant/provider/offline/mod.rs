//! The offline provider: a deterministic reader of plain English commands,
//! so the assistant works with no API key and no network. It understands
//! the five tools' everyday phrasings ("add buy milk tomorrow, high
//! priority, tag home", "what is left?", "mark buy milk done", "rename buy
//! milk to buy oat milk", "delete the report task", "delete a, b and c",
//! "what is overdue?"),
//! dates ("today", "tomorrow", "next friday", "in 3 days", "dec 24",
//! "2026-12-24"), priorities and tags; and when it does not understand, it
//! says what it can do. `grammar` holds what it understands, as a table
//! of rules with examples; `dates` and `new_task` read the parts.

mod dates;
mod grammar;
mod new_task;

use chrono::NaiveDate;
use serde_json::Value;
use todo_api::Tool;

use super::{Reply, ToolCall, Turn};
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
    pub fn next(&self, transcript: &[Turn], today: NaiveDate) -> Reply {
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
            return Reply::Text(summarize(&results, today));
        }
        let Turn::User(text) = &transcript[at] else {
            unreachable!("rposition found a user turn")
        };
        match understand(text, today) {
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
fn summarize(results: &[(&str, &Value)], today: NaiveDate) -> String {
    results
        .iter()
        .map(|(tool, result)| summarize_one(tool, result, today))
        .collect::<Vec<_>>()
        .join("\n")
}

fn task_line(task: &Value, today: NaiveDate) -> String {
    let mut line = format!("“{}”", task["title"].as_str().unwrap_or(""));
    let mut notes = Vec::new();
    if let Some(priority) = task["priority"].as_str().filter(|p| *p != "medium") {
        notes.push(format!("{priority} priority"));
    }
    if let Some(due) = task["due_date"]
        .as_str()
        .and_then(|d| crate::domain::parse_date(d).ok())
    {
        let overdue = due < today && task["completed"] != true;
        notes.push(format!(
            "due {}{}",
            due.format("%a %b %-d"),
            if overdue { ", overdue" } else { "" }
        ));
    }
    if let Some(tags) = task["tags"].as_array().filter(|t| !t.is_empty()) {
        let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
        notes.push(format!("tags: {}", tags.join(", ")));
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join("; ")));
    }
    line
}

fn summarize_one(tool: &str, result: &Value, today: NaiveDate) -> String {
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
        Tool::AddTask => format!("Added {}.", task_line(result, today)),
        Tool::CompleteTask => format!("Marked {} done.", task_line(result, today)),
        Tool::UpdateTask => format!("Updated {}.", task_line(result, today)),
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
                text.push_str(&format!("\n- {mark}{}", task_line(task, today)));
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
    use super::*;

    /// A Wednesday.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    #[test]
    fn it_says_what_it_can_do_when_it_does_not_understand() {
        let reply = Offline.next(&[Turn::User("sing me a song".into())], today());
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
}
