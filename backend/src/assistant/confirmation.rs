//! Deleting is not undone, so a turn deletes at most
//! [`DELETES_WITHOUT_CONFIRMATION`] tasks on the model's word alone. The
//! deletions it asks for beyond that are not run: the reply lists them
//! and asks, and they are stored with that reply ([`Pending`]). The next
//! message decides: a yes runs exactly those (by id, whatever titles
//! have changed since), a no drops them, anything else drops them and is
//! a new request. The provider is not asked either way, so the offline
//! and the OpenAI-compatible provider go through the same gate.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::store::MessageRow;

/// Deletions one turn runs before asking.
pub const DELETES_WITHOUT_CONFIRMATION: usize = 3;

/// Where a stored reply keeps what it asked about.
const PENDING_KEY: &str = "pending_deletes";

/// A task the model asked to delete, held back for the user's word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDelete {
    pub task_id: Uuid,
    pub title: String,
}

/// The deletions a reply asked the user to confirm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending(pub Vec<HeldDelete>);

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The question the reply ends with.
    pub fn question(&self) -> String {
        let titles: Vec<String> = self.0.iter().map(|d| format!("“{}”", d.title)).collect();
        let count = match self.0.len() {
            1 => "1 more task".to_owned(),
            n => format!("{n} more tasks"),
        };
        format!(
            "Deleting {count} needs your confirmation: {}. Reply “yes” to delete {}, or “no” to keep {}.",
            titles.join(", "),
            if self.0.len() == 1 { "it" } else { "them" },
            if self.0.len() == 1 { "it" } else { "them" },
        )
    }

    /// As stored with the reply that asks.
    pub fn to_tool_data(&self) -> String {
        serde_json::json!({ PENDING_KEY: self.0 }).to_string()
    }

    /// What `row`, a stored reply, asked to confirm, if anything.
    pub fn asked_in(row: &MessageRow) -> Option<Self> {
        if row.role() != todo_api::Role::Assistant {
            return None;
        }
        let data: Value = serde_json::from_str(row.tool_data.as_deref()?).ok()?;
        let held: Vec<HeldDelete> = serde_json::from_value(data.get(PENDING_KEY)?.clone()).ok()?;
        (!held.is_empty()).then_some(Self(held))
    }
}

/// How a message answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Not an answer: a new request.
    Other,
}

impl Answer {
    /// Reads a short reply: "yes", "yes please", "ok, delete them", "go
    /// ahead" say yes; "no", "cancel", "keep them", "don't" say no. A
    /// long message is a new request, even if it starts with "yes".
    pub fn of(message: &str) -> Self {
        let lower = message.trim().to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() || words.len() > 6 {
            return Answer::Other;
        }
        const NO: &[&str] = &[
            "no", "n", "nope", "cancel", "stop", "don't", "dont", "keep", "abort",
        ];
        const YES: &[&str] = &[
            "yes",
            "y",
            "yep",
            "yeah",
            "ok",
            "okay",
            "sure",
            "confirm",
            "confirmed",
            "proceed",
        ];
        if words.iter().any(|w| NO.contains(w)) || lower.contains("do not") {
            Answer::No
        } else if YES.contains(&words[0]) || lower.starts_with("go ahead") || lower == "do it" {
            Answer::Yes
        } else {
            Answer::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_answers_are_read_as_yes_or_no() {
        for yes in [
            "yes",
            "Yes!",
            "yes please",
            "ok, delete them",
            "go ahead",
            "Confirm.",
        ] {
            assert_eq!(Answer::of(yes), Answer::Yes, "{yes}");
        }
        for no in [
            "no",
            "No thanks",
            "cancel",
            "keep them",
            "don't",
            "yes, but do not",
        ] {
            assert_eq!(Answer::of(no), Answer::No, "{no}");
        }
        for other in [
            "add buy milk",
            "what is left?",
            "yes and also add a task to call the plumber tomorrow morning",
            "",
        ] {
            assert_eq!(Answer::of(other), Answer::Other, "{other}");
        }
    }

    #[test]
    fn a_question_is_stored_and_read_back_from_its_reply_only() {
        let pending = Pending(vec![HeldDelete {
            task_id: Uuid::nil(),
            title: "report".into(),
        }]);
        let row = |role: &str| MessageRow {
            id: Uuid::nil(),
            position: 3,
            role: role.into(),
            content: pending.question(),
            tool_data: Some(pending.to_tool_data()),
            created_at: chrono::Utc::now(),
        };
        assert_eq!(Pending::asked_in(&row("assistant")), Some(pending.clone()));
        assert_eq!(Pending::asked_in(&row("tool")), None);
        assert!(pending.question().contains("“report”"));
        assert!(pending.question().contains("1 more task "));
    }
}
