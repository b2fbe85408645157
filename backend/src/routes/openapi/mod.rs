//! The OpenAPI 3.1 document: derived from the handlers' annotations and
//! the `todo-api` types, then made exact (`exact`), and served as it is.

mod exact;

use std::sync::LazyLock;

use axum::Json;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, calendar, chat, ops, tasks, transfer};

/// The derived part of the document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Todo API", description = "Multi-user task service."),
    paths(
        auth::signup, auth::login, auth::logout, auth::me, auth::usage, auth::delete_me,
        auth::change_password, auth::sessions, auth::revoke_session, auth::revoke_other_sessions,
        auth::personal_tokens, auth::create_personal_token, auth::revoke_personal_token,
        auth::connected_apps, auth::revoke_connected_app, auth::change_profile,
        calendar::show, calendar::create, calendar::revoke, calendar::serve,
        transfer::export, transfer::import,
        tasks::list, tasks::create, tasks::get, tasks::update, tasks::delete,
        tasks::stats, tasks::overview, tasks::clear_completed,
        chat::chat, chat::list, chat::messages, chat::delete,
        ops::health, ops::ready, ops::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts, sessions and personal access tokens"),
        (name = "tasks", description = "The caller's tasks"),
        (name = "calendar", description = "The secret calendar feed calendar apps subscribe to"),
        (name = "assistant", description = "Chat with the assistant; its actions are the MCP tools also served at /mcp"),
        (name = "operations", description = "Probes for Kubernetes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("a login's JWT, or a personal access token (todo_pat_…)")
                    .build(),
            ),
        );
    }
}

/// The document as served: built once, exact, versioned like the crate.
pub static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    exact::exact(serde_json::to_value(doc).expect("the document serialises"))
});

pub async fn document() -> Json<&'static Value> {
    Json(&DOCUMENT)
}

/// The document's schema `name`, self-contained: every
/// `#/components/schemas/…` reference replaced by what it names (MCP
/// clients validate tool results with such schemas and do not follow
/// references into another document).
pub fn inlined_schema(name: &str) -> Value {
    let schema = DOCUMENT["components"]["schemas"]
        .get(name)
        .unwrap_or_else(|| panic!("the document has no schema {name}"));
    inline_references(schema.clone())
}

fn inline_references(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(target) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
            {
                return inlined_schema(target);
            }
            Value::Object(
                map.into_iter()
                    .map(|(key, value)| (key, inline_references(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(inline_references).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlined_schemas_hold_no_references() {
        let task = inlined_schema("Task");
        let text = task.to_string();
        assert!(!text.contains("$ref"), "{text}");
        assert_eq!(
            task["properties"]["priority"]["enum"],
            serde_json::json!(["low", "medium", "high"]),
            "{text}"
        );
    }
}
