//! A new task as people dictate it: "buy milk tomorrow, high priority,
//! tag home" is the title "buy milk", due tomorrow, high priority, tagged
//! home; what is neither title nor a modifier becomes the description.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::dates::date_phrase;
use super::grammar::{arguments, before, first_of};

/// "buy milk tomorrow, high priority, tag home" → add_task arguments.
pub(super) fn new_task(text: &str, today: NaiveDate) -> Option<Map<String, Value>> {
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
