//! What one account may store, so that no account can fill the database
//! for everyone.

use todo_api::limits::TAGS_MAX;

/// Per-account limits, with defaults no real person meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub tasks: u64,
    pub conversations: u64,
    pub messages_per_conversation: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            tasks: 10_000,
            conversations: 1_000,
            messages_per_conversation: 2_000,
        }
    }
}

/// Tags one task may carry: a parse rule (`TAGS_MAX`) rather than a
/// setting, since the API document states it.
pub const TAGS_PER_TASK: u64 = TAGS_MAX as u64;

/// The quota a write would have passed, with its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Tasks(u64),
    Conversations(u64),
    MessagesPerConversation(u64),
}

impl Quota {
    /// What the user reads: which limit, and what to delete.
    pub fn message(self) -> String {
        match self {
            Quota::Tasks(limit) => format!(
                "this account holds {limit} tasks, the most it may; delete some (completed ones first) to add more"
            ),
            Quota::Conversations(limit) => format!(
                "this account holds {limit} conversations, the most it may; delete old ones to start another"
            ),
            Quota::MessagesPerConversation(limit) => format!(
                "this conversation is full (at most {limit} messages); start a new one, or delete this one"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_names_its_limit_and_what_to_delete() {
        for quota in [
            Quota::Tasks(7),
            Quota::Conversations(7),
            Quota::MessagesPerConversation(7),
        ] {
            let message = quota.message();
            assert!(message.contains('7'), "{message}");
            assert!(message.contains("delete"), "{message}");
        }
    }
}
