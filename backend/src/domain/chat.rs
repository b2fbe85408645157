//! A chat turn as the user sends it: which conversation, and the message.

use serde_json::{Map, Value};
use todo_api::limits::CHAT_MESSAGE_MAX_CHARS;
use uuid::Uuid;

use super::fields::{FieldErrors, JsonFields, Member};

/// A valid `POST /api/chat` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    pub conversation_id: Option<Uuid>,
    /// Trimmed, 1–4000 characters, no NUL.
    pub message: String,
}

impl ChatTurn {
    pub fn parse(body: Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut fields = JsonFields::new(body);
        let message = fields.required_string("message");
        let conversation = fields.string("conversation_id", true);
        let mut errors = fields.finish();
        let message = message.and_then(|m| errors.check("message", parse_message(&m)));
        let conversation_id = match conversation {
            Member::Value(raw) => errors.check(
                "conversation_id",
                Uuid::try_parse(raw.trim())
                    .map_err(|_| "must be a conversation id (a UUID)".into()),
            ),
            Member::Absent | Member::Null => None,
        };
        match message {
            Some(message) if errors.is_empty() => Ok(Self {
                conversation_id,
                message,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_message(raw: &str) -> Result<String, String> {
    let message = raw.trim();
    let chars = message.chars().count();
    if chars == 0 {
        Err("must not be empty".into())
    } else if chars > CHAT_MESSAGE_MAX_CHARS {
        Err(format!(
            "must be at most {CHAT_MESSAGE_MAX_CHARS} characters"
        ))
    } else if message.contains('\0') {
        Err("must not contain NUL characters".into())
    } else {
        Ok(message.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<ChatTurn, FieldErrors> {
        ChatTurn::parse(value.as_object().cloned().unwrap())
    }

    #[test]
    fn a_turn_is_a_trimmed_message_and_maybe_a_conversation() {
        let turn = parse(json!({"message": "  add milk "})).unwrap();
        assert_eq!(turn.message, "add milk");
        assert_eq!(turn.conversation_id, None);
        let id = Uuid::new_v4();
        let turn = parse(json!({"message": "x", "conversation_id": id.to_string()})).unwrap();
        assert_eq!(turn.conversation_id, Some(id));
    }

    #[test]
    fn bad_turns_name_every_bad_field() {
        let errors = parse(json!({"message": " ", "conversation_id": "nope", "x": 1}))
            .unwrap_err()
            .into_map();
        let keys: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["conversation_id", "message", "x"]);
        assert!(parse(json!({"message": "y".repeat(4001)})).is_err());
    }
}
