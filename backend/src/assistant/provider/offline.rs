//! The offline provider: a deterministic reader of plain English commands,
//! so the assistant works with no API key and no network. It understands
//! the five tools' everyday phrasings ("add buy milk tomorrow, high
//! priority, tag home", "what is left?", "mark buy milk done", "rename buy
//! milk to buy oat milk", "delete the report task", "what is overdue?"),
//! dates ("today", "tomorrow", "next friday", "in 3 days", "dec 24",
//! "2026-12-24"), priorities and tags; and when it does not understand, it
//! says what it can do.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{Map, Value, json};

use super::{Reply, ToolCall, Turn};

#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

pub const HELP: &str = "I can add, list, complete, change and delete your tasks. Try: \
    “add buy milk tomorrow, high priority, tag home”, “what is left?”, \
    “show completed tasks”, “what is overdue?”, “mark buy milk done”, \
    “rename buy milk to buy oat milk”, “make the report high priority”, \
    “move the report to next friday”, “delete the report task”.";

impl Offline {
    pub fn next(&self, transcript: &[Turn], today: NaiveDate) -> Reply {
        let last_user = transcript.iter().rposition(|t| matches!(t, Turn::User(_)));
        let Some(at) = last_user else {
            return Reply::Text(HELP.into());
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
            Some((name, arguments)) => Reply::ToolCalls(vec![ToolCall {
                id: format!("offline-{}", at + 1),
                name: name.to_owned(),
                arguments: Value::Object(arguments),
            }]),
            None => Reply::Text(format!("Sorry, I did not understand that. {HELP}")),
        }
    }
}

/// `text` with `prefix` removed, ignoring ASCII case.
fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `text` without `suffix`, ignoring ASCII case.
fn before<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

/// Splits at the first ` sep ` (ASCII case ignored).
fn split_once_ci<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(sep)?;
    Some((&text[..at], &text[at + sep.len()..]))
}

fn first_of<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| after(text, p))
}

/// A task as a command names it: "the report task" → "report".
fn reference(text: &str) -> String {
    let mut name = text
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'));
    for article in ["the ", "my ", "a "] {
        if let Some(rest) = after(name, article) {
            name = rest;
        }
    }
    for suffix in [" task", " item", " todo"] {
        if let Some(rest) = before(name, suffix) {
            name = rest;
        }
    }
    name.trim().to_owned()
}

fn arguments(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The tool call a command means, if any.
pub fn understand(text: &str, today: NaiveDate) -> Option<(&'static str, Map<String, Value>)> {
    let mut command = text.trim().trim_end_matches(['?', '.', '!']).trim();
    for polite in [
        "please ",
        "can you ",
        "could you ",
        "would you ",
        "hey, ",
        "ok, ",
    ] {
        if let Some(rest) = after(command, polite) {
            command = rest.trim();
        }
    }
    if let Some(rest) = before(command, " please") {
        command = rest.trim();
    }
    if command.is_empty() {
        return None;
    }
    let lower = command.to_ascii_lowercase();
    let date = |d: NaiveDate| json!(d.format("%Y-%m-%d").to_string());

    // Questions and listings.
    if lower.contains("overdue") || lower.contains("late ") || lower.ends_with(" late") {
        return Some((
            "list_tasks",
            arguments(&[("status", json!("active")), ("due_before", date(today))]),
        ));
    }
    if lower.contains("due today") {
        return Some((
            "list_tasks",
            arguments(&[
                ("status", json!("active")),
                ("due_before", date(today + Duration::days(1))),
            ]),
        ));
    }
    let asks = [
        "what", "show", "list", "which", "display", "give me", "how many",
    ]
    .iter()
    .any(|w| lower.starts_with(w));
    if asks {
        let mut pairs: Vec<(&str, Value)> = Vec::new();
        let done = ["completed", "done", "finished", "did i"]
            .iter()
            .any(|w| lower.contains(w));
        let open = [
            "left",
            "active",
            "open",
            "remaining",
            "pending",
            "to do",
            "todo",
            "unfinished",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if done && !open {
            pairs.push(("status", json!("completed")));
        } else if open {
            pairs.push(("status", json!("active")));
        }
        for (word, priority) in [
            ("high", "high"),
            ("urgent", "high"),
            ("low", "low"),
            ("medium", "medium"),
        ] {
            if lower.contains(&format!("{word} priority"))
                || lower.contains(&format!("{word}-priority"))
                || (word == "urgent" && lower.contains("urgent"))
            {
                pairs.push(("priority", json!(priority)));
                break;
            }
        }
        if let Some((_, rest)) =
            split_once_ci(command, "tagged ").or_else(|| split_once_ci(command, "with tag "))
            && let Some(tag) = rest.split_whitespace().next()
        {
            pairs.push(("tag", json!(tag.to_lowercase())));
        }
        return Some(("list_tasks", arguments(&pairs)));
    }
    if let Some(q) = first_of(command, &["search for ", "search ", "find ", "look for "]) {
        return Some(("list_tasks", arguments(&[("q", json!(reference(q)))])));
    }

    // Adding.
    if let Some(rest) = first_of(
        command,
        &[
            "add a task to ",
            "add a task ",
            "add task ",
            "add ",
            "create a task ",
            "create task ",
            "create ",
            "new task ",
            "remind me to ",
            "i need to ",
            "todo ",
        ],
    ) {
        return new_task(rest, today).map(|args| ("add_task", args));
    }

    // Completing and reopening.
    for prefix in ["mark ", "set "] {
        if let Some(rest) = after(command, prefix) {
            for (suffix, completed) in [
                (" as not done", false),
                (" not done", false),
                (" as undone", false),
                (" undone", false),
                (" as active", false),
                (" as open", false),
                (" as done", true),
                (" done", true),
                (" as complete", true),
                (" complete", true),
                (" as completed", true),
                (" completed", true),
                (" as finished", true),
                (" finished", true),
            ] {
                if let Some(name) = before(rest, suffix) {
                    return Some(if completed {
                        (
                            "complete_task",
                            arguments(&[("title", json!(reference(name)))]),
                        )
                    } else {
                        (
                            "update_task",
                            arguments(&[
                                ("current_title", json!(reference(name))),
                                ("completed", json!(false)),
                            ]),
                        )
                    });
                }
            }
        }
    }
    if let Some(name) = first_of(
        command,
        &[
            "complete ",
            "finish ",
            "check off ",
            "tick off ",
            "done with ",
            "i finished ",
            "i did ",
        ],
    ) {
        return Some((
            "complete_task",
            arguments(&[("title", json!(reference(name)))]),
        ));
    }
    if let Some(name) = before(command, " is done").or_else(|| before(command, " is finished")) {
        return Some((
            "complete_task",
            arguments(&[("title", json!(reference(name)))]),
        ));
    }
    if let Some(name) = first_of(command, &["reopen ", "uncomplete ", "undo "]) {
        return Some((
            "update_task",
            arguments(&[
                ("current_title", json!(reference(name))),
                ("completed", json!(false)),
            ]),
        ));
    }

    // Changing.
    if let Some(rest) = first_of(
        command,
        &["rename ", "retitle ", "change the title of ", "change "],
    ) && let Some((old, new)) = split_once_ci(rest, " to ")
    {
        let new = new
            .trim()
            .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'));
        if !new.is_empty() {
            return Some((
                "update_task",
                arguments(&[
                    ("current_title", json!(reference(old))),
                    ("title", json!(new)),
                ]),
            ));
        }
    }
    if let Some(rest) = after(command, "make ") {
        for (suffix, priority) in [
            (" high priority", "high"),
            (" urgent", "high"),
            (" important", "high"),
            (" low priority", "low"),
            (" medium priority", "medium"),
            (" normal priority", "medium"),
        ] {
            if let Some(name) = before(rest, suffix) {
                return Some((
                    "update_task",
                    arguments(&[
                        ("current_title", json!(reference(name))),
                        ("priority", json!(priority)),
                    ]),
                ));
            }
        }
    }
    if let Some(rest) = first_of(
        command,
        &[
            "set the priority of ",
            "set priority of ",
            "change the priority of ",
        ],
    ) && let Some((name, priority)) = split_once_ci(rest, " to ")
    {
        let priority = priority.trim().to_ascii_lowercase();
        return Some((
            "update_task",
            arguments(&[
                ("current_title", json!(reference(name))),
                ("priority", json!(priority)),
            ]),
        ));
    }
    if let Some(name) = after(command, "prioritize ") {
        return Some((
            "update_task",
            arguments(&[
                ("current_title", json!(reference(name))),
                ("priority", json!("high")),
            ]),
        ));
    }
    if let Some(rest) = first_of(
        command,
        &[
            "move ",
            "postpone ",
            "reschedule ",
            "set the due date of ",
            "set due date of ",
        ],
    ) && let Some((name, when)) = split_once_ci(rest, " to ")
        && let Some(due) = date_phrase(when, today)
    {
        return Some((
            "update_task",
            arguments(&[
                ("current_title", json!(reference(name))),
                ("due_date", date(due)),
            ]),
        ));
    }
    if let Some((name, when)) = split_once_ci(command, " is due ")
        && let Some(due) = date_phrase(when, today)
    {
        return Some((
            "update_task",
            arguments(&[
                ("current_title", json!(reference(name))),
                ("due_date", date(due)),
            ]),
        ));
    }

    // Deleting.
    if let Some(name) = first_of(
        command,
        &[
            "delete ",
            "remove ",
            "drop ",
            "get rid of ",
            "cancel ",
            "forget ",
        ],
    ) {
        return Some((
            "delete_task",
            arguments(&[("title", json!(reference(name)))]),
        ));
    }
    None
}

/// "buy milk tomorrow, high priority, tag home" → add_task arguments.
fn new_task(text: &str, today: NaiveDate) -> Option<Map<String, Value>> {
    let mut segments = text.split(',').map(str::trim).filter(|s| !s.is_empty());
    let mut title = segments.next()?.to_owned();
    let mut modifiers = Modifiers::default();
    // Modifiers may trail the title itself: "buy milk tomorrow high priority".
    loop {
        let before_pass = title.clone();
        title = modifiers.take_trailing(&title, today);
        if title == before_pass {
            break;
        }
    }
    let mut notes = Vec::new();
    for segment in segments {
        let segment = segment.trim_start_matches("and ").trim();
        if !modifiers.take_whole(segment, today) {
            notes.push(segment.to_owned());
        }
    }
    let title = title
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'))
        .trim();
    if title.is_empty() {
        return None;
    }
    let mut args = arguments(&[("title", json!(title))]);
    if !notes.is_empty() {
        args.insert("description".into(), json!(notes.join(", ")));
    }
    if let Some(priority) = modifiers.priority {
        args.insert("priority".into(), json!(priority));
    }
    if let Some(due) = modifiers.due {
        args.insert("due_date".into(), json!(due.format("%Y-%m-%d").to_string()));
    }
    if !modifiers.tags.is_empty() {
        args.insert("tags".into(), json!(modifiers.tags));
    }
    Some(args)
}

#[derive(Debug, Default)]
struct Modifiers {
    priority: Option<&'static str>,
    due: Option<NaiveDate>,
    tags: Vec<String>,
}

const PRIORITY_PHRASES: [(&str, &str); 9] = [
    ("high priority", "high"),
    ("priority high", "high"),
    ("urgent", "high"),
    ("important", "high"),
    ("low priority", "low"),
    ("priority low", "low"),
    ("medium priority", "medium"),
    ("priority medium", "medium"),
    ("normal priority", "medium"),
];

impl Modifiers {
    fn add_tags(&mut self, words: &str) {
        for word in words
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case("and"))
        {
            let tag = word.trim_start_matches('#').to_lowercase();
            if !tag.is_empty() && !self.tags.contains(&tag) {
                self.tags.push(tag);
            }
        }
    }

    /// A segment that is all modifier ("high priority", "tag home",
    /// "due friday", "#home"); false when it is something else.
    fn take_whole(&mut self, segment: &str, today: NaiveDate) -> bool {
        let lower = segment.to_ascii_lowercase();
        if let Some((_, priority)) = PRIORITY_PHRASES.iter().find(|(p, _)| lower == *p) {
            self.priority = Some(priority);
            return true;
        }
        if let Some(words) = first_of(
            segment,
            &["tags ", "tag ", "tagged ", "with tags ", "with tag "],
        ) {
            self.add_tags(words);
            return true;
        }
        if segment.split_whitespace().all(|w| w.starts_with('#')) {
            self.add_tags(segment);
            return true;
        }
        if let Some(due) = date_phrase(segment, today) {
            self.due = Some(due);
            return true;
        }
        false
    }

    /// Removes one modifier from the end of `title`, if it ends with one.
    fn take_trailing(&mut self, title: &str, today: NaiveDate) -> String {
        let words: Vec<&str> = title.split_whitespace().collect();
        if words.len() < 2 {
            return title.to_owned();
        }
        // `#tag` words anywhere.
        if words.iter().any(|w| w.starts_with('#') && w.len() > 1) {
            let (tags, rest): (Vec<&str>, Vec<&str>) = words
                .iter()
                .partition(|w| w.starts_with('#') && w.len() > 1);
            self.add_tags(&tags.join(" "));
            return rest.join(" ");
        }
        let lower = title.to_ascii_lowercase();
        for (phrase, priority) in PRIORITY_PHRASES {
            if let Some(rest) = before(title, &format!(" {phrase}")) {
                self.priority = Some(priority);
                return rest.trim().to_owned();
            }
        }
        for marker in [" tagged ", " tags ", " tag "] {
            if let Some(at) = lower.rfind(marker) {
                self.add_tags(&title[at + marker.len()..]);
                return title[..at].trim().to_owned();
            }
        }
        // The longest trailing date phrase, with its "due"/"by"/"on".
        for take in (1..=4).rev() {
            if take >= words.len() {
                continue;
            }
            let phrase = words[words.len() - take..].join(" ");
            if let Some(due) = date_phrase(&phrase, today) {
                self.due = Some(due);
                let mut rest = &words[..words.len() - take];
                if let Some(last) = rest.last()
                    && ["due", "by", "on", "for", "until", "before"]
                        .contains(&last.to_ascii_lowercase().as_str())
                    && rest.len() > 1
                {
                    rest = &rest[..rest.len() - 1];
                }
                return rest.join(" ");
            }
        }
        title.to_owned()
    }
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    NAMES
        .iter()
        .position(|name| word.len() >= 3 && name.starts_with(word))
        .map(|i| i as u32 + 1)
}

/// A date as people say it, relative to `today`. Weekdays mean the next
/// one after today.
pub fn date_phrase(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let lower = text.trim().to_ascii_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    while let Some(first) = words.first() {
        if [
            "due", "by", "on", "for", "until", "before", "this", "coming",
        ]
        .contains(first)
        {
            words.remove(0);
        } else {
            break;
        }
    }
    let next_weekday = |day: Weekday| {
        let ahead = (7 + day.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        today + Duration::days(if ahead == 0 { 7 } else { ahead })
    };
    match words.as_slice() {
        ["today"] | ["tonight"] => Some(today),
        ["tomorrow"] | ["tmrw"] => Some(today + Duration::days(1)),
        ["day", "after", "tomorrow"] => Some(today + Duration::days(2)),
        ["next", "week"] => Some(today + Duration::days(7)),
        ["next", "month"] => today.checked_add_months(chrono::Months::new(1)),
        ["in", "a", "week"] => Some(today + Duration::days(7)),
        ["in", n, unit] => {
            let n: i64 = n.parse().ok().filter(|n| (0..=3650).contains(n))?;
            match *unit {
                "day" | "days" => Some(today + Duration::days(n)),
                "week" | "weeks" => Some(today + Duration::days(7 * n)),
                _ => None,
            }
        }
        ["next", day] => weekday(day).map(next_weekday),
        [day] if weekday(day).is_some() => weekday(day).map(next_weekday),
        [iso] if iso.len() == 10 => crate::domain::parse_date(iso).ok(),
        [a, b] => {
            // "dec 24", "24 december", "december 24th": the next such day.
            let (m, d) = match (month(a), month(b)) {
                (Some(m), None) => (m, *b),
                (None, Some(m)) => (m, *a),
                _ => return None,
            };
            let day: u32 = d
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .ok()?;
            let this_year = NaiveDate::from_ymd_opt(today.year(), m, day)?;
            if this_year >= today {
                Some(this_year)
            } else {
                NaiveDate::from_ymd_opt(today.year() + 1, m, day)
            }
        }
        _ => None,
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
    match tool {
        "add_task" => format!("Added {}.", task_line(result, today)),
        "complete_task" => format!("Marked {} done.", task_line(result, today)),
        "update_task" => format!("Updated {}.", task_line(result, today)),
        "delete_task" => format!("Deleted “{}”.", result["title"].as_str().unwrap_or("")),
        "list_tasks" => {
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
        other => format!("Ran {other}."),
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
    fn dates_are_read_relative_to_today() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d);
        assert_eq!(date_phrase("tomorrow", today()), day(3));
        assert_eq!(date_phrase("next friday", today()), day(4));
        assert_eq!(date_phrase("wednesday", today()), day(9));
        assert_eq!(date_phrase("in 3 days", today()), day(5));
        assert_eq!(date_phrase("due dec 24", today()), day(24));
        assert_eq!(date_phrase("2026-12-24", today()), day(24));
        assert_eq!(
            date_phrase("jan 2", today()),
            NaiveDate::from_ymd_opt(2027, 1, 2)
        );
        assert_eq!(date_phrase("the moon", today()), None);
    }

    #[test]
    fn it_says_what_it_can_do_when_it_does_not_understand() {
        let reply = Offline.next(&[Turn::User("sing me a song".into())], today());
        let Reply::Text(text) = reply else {
            panic!("{reply:?}")
        };
        assert!(text.contains("I can add, list, complete"), "{text}");
    }
}
