//! What the derived document cannot say by itself, so that it describes
//! exactly what the server does: the rules each request field is parsed
//! with (lengths, patterns, enums, formats, no unknown fields), the query
//! parameters of the task list, every status each operation can answer
//! with its body, and the links between operations.
//!
//! Every request schema is replaced as a whole, and each replacement must
//! name the same fields the Rust type has: adding a field without a rule
//! here fails `exact` (and so every test that reads the document).

use serde_json::{Map, Value, json};
use todo_api::limits::{
    DESCRIPTION_MAX_CHARS, EMAIL_MAX_CHARS, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS, TAGS_MAX, TOKEN_EXPIRY_MAX_DAYS,
};
use todo_api::limits::{REMINDER_MINUTES_MAX, REMINDERS_MAX};
use todo_api::{Priority, SortField, SortOrder, StatusFilter, patterns};

use crate::domain::TimeZoneName;

/// The derived document, made exact.
pub fn exact(mut doc: Value) -> Value {
    request_bodies(&mut doc);
    list_parameters(&mut doc);
    calendar_parameters(&mut doc);
    paging_parameters(&mut doc);
    standard_responses(&mut doc);
    links(&mut doc);
    doc
}

fn words<T: Copy>(all: &[T], word: fn(T) -> &'static str) -> Value {
    all.iter().map(|v| json!(word(*v))).collect()
}

fn title() -> Value {
    json!({"type": "string", "pattern": patterns::TITLE,
           "description": "1–200 characters once trimmed (the stored title is trimmed), no control characters."})
}

fn description() -> Value {
    json!({"type": ["string", "null"], "maxLength": DESCRIPTION_MAX_CHARS, "pattern": patterns::NO_NUL,
           "description": "Up to 2000 characters, no NUL; blank or `null` means none."})
}

fn priority() -> Value {
    json!({"type": "string", "enum": words(Priority::ALL, Priority::as_str)})
}

fn due_date() -> Value {
    json!({"type": ["string", "null"], "format": "date",
           "description": "`YYYY-MM-DD`; `null` means none."})
}

fn due_time() -> Value {
    json!({"type": ["string", "null"], "pattern": patterns::DUE_TIME,
           "description": "`HH:MM` (24-hour) in the owner's time zone; needs `due_date`. `null` means none."})
}

fn recurrence() -> Value {
    json!({"type": ["string", "null"], "pattern": patterns::RRULE,
           "description": "How the task repeats: an RFC 5545 RRULE value in canonical form, e.g. \
                           `FREQ=WEEKLY;BYDAY=MO,TH`, `FREQ=MONTHLY;BYMONTHDAY=-1`, \
                           `FREQ=DAILY;INTERVAL=2;COUNT=10`; needs `due_date`. Another spelling \
                           of a supported rule is refused with its canonical form. `null` means none."})
}

fn reminders() -> Value {
    json!({"type": "array", "maxItems": REMINDERS_MAX,
           "items": {"type": "integer", "minimum": 0, "maximum": REMINDER_MINUTES_MAX},
           "description": "Minutes before the due time (0: at it; at most 28 days); need `due_time`. \
                           Repeats are dropped."})
}

/// A time zone: exactly one of the IANA names the server knows.
fn time_zone(nullable: bool) -> Value {
    let names: Vec<Value> = TimeZoneName::known_names()
        .into_iter()
        .map(Value::from)
        .collect();
    let mut schema = json!({"type": "string", "enum": names,
                            "description": "An IANA time zone name, e.g. `Europe/Berlin`."});
    if nullable {
        schema["type"] = json!(["string", "null"]);
        if let Some(names) = schema["enum"].as_array_mut() {
            names.push(Value::Null);
        }
    }
    schema
}

/// `then` must hold when `field` is present and a string.
fn when_string(field: &str, then: Value) -> Value {
    json!({"if": {"required": [field], "properties": {field: {"type": "string"}}}, "then": then})
}

/// What a new (or imported) task's due time, rule and reminders need.
fn needs_of_a_new_task() -> Value {
    json!([
        when_string("due_time", string_required("due_date")),
        when_string("recurrence", string_required("due_date")),
        {"if": {"required": ["reminders"], "properties": {"reminders": {"minItems": 1}}},
         "then": string_required("due_time")},
    ])
}

/// `field` present and a string.
fn string_required(field: &str) -> Value {
    json!({"required": [field], "properties": {field: {"type": "string"}}})
}

fn tags() -> Value {
    json!({"type": "array", "maxItems": TAGS_MAX,
           "items": {"type": "string", "pattern": patterns::TAG},
           "description": "Up to 10 tags of 1–32 characters of `a-z`, `0-9`, `-`; repeats are dropped."})
}

fn with_default(mut schema: Value, default: impl Into<Value>) -> Value {
    schema["default"] = default.into();
    schema
}

fn request_bodies(doc: &mut Value) {
    let email = json!({"type": "string", "maxLength": EMAIL_MAX_CHARS, "pattern": patterns::EMAIL,
                       "description": "Stored trimmed and lower-cased; unique regardless of case."});
    replace_schema(
        doc,
        "NewTask",
        &["title"],
        [
            ("title", title()),
            ("description", description()),
            ("priority", with_default(priority(), "medium")),
            ("due_date", due_date()),
            ("due_time", due_time()),
            ("recurrence", recurrence()),
            ("reminders", reminders()),
            ("tags", tags()),
            ("completed", with_default(json!({"type": "boolean"}), false)),
        ],
    );
    // A due time or a rule needs a due date, reminders a due time.
    doc["components"]["schemas"]["NewTask"]["allOf"] = needs_of_a_new_task();
    replace_schema(
        doc,
        "TaskPatch",
        &[],
        [
            ("title", title()),
            ("description", description()),
            ("priority", priority()),
            ("due_date", due_date()),
            ("due_time", due_time()),
            ("recurrence", recurrence()),
            ("reminders", reminders()),
            ("tags", tags()),
            ("completed", json!({"type": "boolean"})),
        ],
    );
    // Clearing the due date clears its time and rule, clearing the time
    // its reminders: a patch may not set what it clears the need of. (The
    // task as stored must also hold them: a 422 says which.)
    let cleared =
        |field: &str| json!({"required": [field], "properties": {field: {"type": "null"}}});
    let not_string = |field: &str| json!({"not": string_required(field)});
    doc["components"]["schemas"]["TaskPatch"]["allOf"] = json!([
        {"if": cleared("due_date"), "then": {"allOf": [not_string("due_time"), not_string("recurrence")]}},
        {"if": cleared("due_time"), "then": {"not": {"required": ["reminders"],
            "properties": {"reminders": {"minItems": 1}}}}},
    ]);
    replace_schema(
        doc,
        "ProfileChange",
        &[],
        [
            (
                "name",
                json!({"type": "string", "pattern": patterns::NAME,
                        "description": "1–100 characters once trimmed, no control characters."}),
            ),
            ("time_zone", time_zone(false)),
        ],
    );
    doc["components"]["schemas"]["ProfileChange"]["minProperties"] = json!(1);
    replace_schema(
        doc,
        "SignupRequest",
        &["email", "password", "name"],
        [
            ("email", email),
            (
                "password",
                json!({"type": "string", "minLength": PASSWORD_MIN_CHARS, "maxLength": PASSWORD_MAX_CHARS}),
            ),
            (
                "name",
                json!({"type": "string", "pattern": patterns::NAME,
                        "description": "1–100 characters once trimmed, no control characters."}),
            ),
            ("time_zone", with_default(time_zone(true), "UTC")),
        ],
    );
    replace_schema(
        doc,
        "ChatRequest",
        &["message"],
        [
            (
                "message",
                json!({"type": "string", "pattern": patterns::CHAT_MESSAGE,
                        "description": "1–4000 characters once trimmed, no NUL."}),
            ),
            (
                "conversation_id",
                json!({"type": ["string", "null"], "format": "uuid",
                        "description": "Continue this conversation; absent or null starts a new one."}),
            ),
        ],
    );
    let password =
        json!({"type": "string", "minLength": PASSWORD_MIN_CHARS, "maxLength": PASSWORD_MAX_CHARS});
    replace_schema(
        doc,
        "PasswordChange",
        &["current_password", "new_password"],
        [
            (
                "current_password",
                json!({"type": "string", "minLength": 1,
                        "description": "The account's password now; a wrong one is a 422 naming this field."}),
            ),
            ("new_password", password),
        ],
    );
    replace_schema(
        doc,
        "AccountDeletion",
        &["password"],
        [(
            "password",
            json!({"type": "string", "minLength": 1,
                    "description": "The account's password; a wrong one is a 422 naming this field."}),
        )],
    );
    replace_schema(
        doc,
        "NewPersonalToken",
        &["name", "scope", "expires_in_days"],
        [
            (
                "name",
                json!({"type": "string", "pattern": patterns::NAME,
                        "description": "1–100 characters once trimmed, no control characters."}),
            ),
            (
                "scope",
                json!({"type": "string", "enum": ["tasks:read", "tasks:read tasks:write"]}),
            ),
            (
                "expires_in_days",
                json!({"type": "integer", "minimum": 1, "maximum": TOKEN_EXPIRY_MAX_DAYS}),
            ),
        ],
    );
    let timestamp = |what: &str| {
        json!({"type": ["string", "null"], "format": "date-time",
               "description": format!("RFC 3339; absent or `null` on import means now. {what}").trim_end()})
    };
    replace_schema(
        doc,
        "Export",
        &["format", "version"],
        [
            (
                "format",
                json!({"type": "string", "enum": [todo_api::EXPORT_FORMAT]}),
            ),
            (
                "version",
                json!({"type": "integer", "enum": [todo_api::EXPORT_VERSION],
                        "description": "An import refuses any other version (422 naming `version`)."}),
            ),
            ("exported_at", timestamp("Not read back.")),
            (
                "tasks",
                json!({"type": "array", "items": {"$ref": "#/components/schemas/ExportedTask"},
                        "description": "At most the account's task quota."}),
            ),
            (
                "conversations",
                json!({"type": "array", "items": {"$ref": "#/components/schemas/ExportedConversation"},
                        "description": "At most the account's conversation quota."}),
            ),
        ],
    );
    replace_schema(
        doc,
        "ExportedTask",
        &["title"],
        [
            ("title", title()),
            ("description", description()),
            ("priority", with_default(priority(), "medium")),
            ("due_date", due_date()),
            ("due_time", due_time()),
            ("recurrence", recurrence()),
            ("reminders", reminders()),
            ("tags", tags()),
            ("completed", with_default(json!({"type": "boolean"}), false)),
            ("created_at", timestamp("")),
            ("updated_at", timestamp("")),
        ],
    );
    doc["components"]["schemas"]["ExportedTask"]["allOf"] = needs_of_a_new_task();
    replace_schema(
        doc,
        "ExportedConversation",
        &["title"],
        [
            (
                "title",
                json!({"type": "string", "maxLength": 200, "pattern": patterns::NO_NUL}),
            ),
            ("created_at", timestamp("")),
            ("updated_at", timestamp("")),
            (
                "messages",
                json!({"type": "array", "items": {"$ref": "#/components/schemas/ExportedMessage"},
                        "description": "Oldest first; at most the quota of messages per conversation."}),
            ),
        ],
    );
    replace_schema(
        doc,
        "ExportedMessage",
        &["role", "content"],
        [
            (
                "role",
                json!({"type": "string", "enum": ["user", "assistant", "tool"]}),
            ),
            (
                "content",
                json!({"type": "string", "pattern": patterns::NO_NUL}),
            ),
            (
                "tool_call",
                json!({"oneOf": [
                    {"type": "null"},
                    {"type": "object", "required": ["tool", "arguments", "result"],
                     "additionalProperties": false,
                     "properties": {"tool": {"type": "string"}, "arguments": {"type": "object"},
                                    "result": {"type": "object"}}},
                ], "description": "Only on a tool message: the call and its result."}),
            ),
            ("created_at", timestamp("")),
        ],
    );
    // A tool call only on a tool message: a rule across two fields.
    doc["components"]["schemas"]["ExportedMessage"]["anyOf"] = json!([
        {"properties": {"role": {"const": "tool"}}},
        {"properties": {"tool_call": {"type": "null"}}},
    ]);
    replace_schema(
        doc,
        "LoginRequest",
        &["email", "password"],
        [
            (
                "email",
                json!({"type": "string", "description": "Compared trimmed and lower-cased."}),
            ),
            ("password", json!({"type": "string", "minLength": 1})),
        ],
    );
}

/// Replaces a request schema, keeping its description; panics when the
/// derived schema has other fields than the rules, so none goes unruled.
fn replace_schema<const N: usize>(
    doc: &mut Value,
    name: &str,
    required: &[&str],
    properties: [(&str, Value); N],
) {
    let schema = &mut doc["components"]["schemas"][name];
    let derived: Vec<&String> = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("the document has no schema {name}"))
        .keys()
        .collect();
    let ruled: Vec<&str> = properties.iter().map(|(field, _)| *field).collect();
    let mut derived_sorted: Vec<&str> = derived.iter().map(|s| s.as_str()).collect();
    let mut ruled_sorted = ruled.clone();
    derived_sorted.sort_unstable();
    ruled_sorted.sort_unstable();
    assert_eq!(
        derived_sorted, ruled_sorted,
        "{name}: every field needs exactly one rule in routes/openapi/exact.rs"
    );
    let description = schema.get("description").cloned();
    *schema = json!({
        "type": "object",
        "required": required,
        "properties": properties.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>(),
        // The server answers 422 naming any field it does not know.
        "additionalProperties": false,
    });
    if let Some(description) = description {
        schema["description"] = description;
    }
}

/// The feed's one query parameter: which component each task becomes.
fn calendar_parameters(doc: &mut Value) {
    let parameters = doc["paths"]["/calendar/{file}"]["get"]["parameters"]
        .as_array_mut()
        .expect("the feed's parameters are documented");
    for parameter in parameters {
        if parameter["name"] == "components" {
            parameter["schema"] =
                json!({"type": "string", "enum": ["event", "todo"], "default": "event"});
        }
    }
}

fn list_parameters(doc: &mut Value) {
    let parameter = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    let parameters = json!([
        parameter(
            "status",
            "Which tasks; default `all`.",
            json!({"type": "string", "enum": words(StatusFilter::ALL, StatusFilter::as_str), "default": "all"})
        ),
        parameter(
            "q",
            "Case-insensitive search in title and description; at most 200 characters once trimmed.",
            json!({"type": "string", "pattern": patterns::SEARCH})
        ),
        parameter("priority", "Only this priority.", priority()),
        parameter(
            "tag",
            "Only tasks with this tag.",
            json!({"type": "string", "pattern": patterns::TAG})
        ),
        parameter(
            "due_before",
            "Only tasks due strictly before this date.",
            json!({"type": "string", "format": "date"})
        ),
        parameter(
            "sort",
            "Sort key; default `created_at`.",
            json!({"type": "string", "enum": words(SortField::ALL, SortField::as_str), "default": "created_at"})
        ),
        parameter(
            "order",
            "Sort order; default `desc`.",
            json!({"type": "string", "enum": words(SortOrder::ALL, SortOrder::as_str), "default": "desc"})
        ),
        parameter(
            "limit",
            "Page size.",
            json!({"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT_MAX, "default": PAGE_LIMIT_DEFAULT})
        ),
        parameter(
            "offset",
            "Tasks to skip.",
            json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0})
        ),
    ]);
    // The list and the overview take the same query.
    for path in ["/api/tasks", "/api/tasks/overview"] {
        let list = &mut doc["paths"][path]["get"]["parameters"];
        let derived: Vec<&str> = list
            .as_array()
            .expect("the task list has parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        let ruled: Vec<&str> = parameters
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            derived, ruled,
            "every list parameter needs exactly one rule"
        );
        *list = parameters.clone();
    }
}

/// The paging parameters of the conversation and message lists, with the
/// bounds their parser holds them to.
fn paging_parameters(doc: &mut Value) {
    let parameter = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    let limit = parameter(
        "limit",
        "Page size.",
        json!({"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT_MAX, "default": PAGE_LIMIT_DEFAULT}),
    );
    let pages = [
        (
            "/api/conversations",
            vec![
                limit.clone(),
                parameter(
                    "offset",
                    "Conversations to skip.",
                    json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "default": 0}),
                ),
            ],
        ),
        (
            "/api/conversations/{id}/messages",
            vec![
                limit,
                parameter(
                    "before",
                    "Only messages before this position (a page's `older`); absent: the newest.",
                    json!({"type": "integer", "minimum": 0, "maximum": i32::MAX}),
                ),
            ],
        ),
    ];
    for (path, rules) in pages {
        let list = doc["paths"][path]["get"]["parameters"]
            .as_array_mut()
            .expect("a paged list has parameters");
        let mut ruled = 0;
        for parameter in list.iter_mut().filter(|p| p["in"] == "query") {
            let rule = rules
                .iter()
                .find(|rule| rule["name"] == parameter["name"])
                .unwrap_or_else(|| panic!("{path}: no rule for {}", parameter["name"]));
            *parameter = rule.clone();
            ruled += 1;
        }
        assert_eq!(ruled, rules.len(), "{path}: every rule names a parameter");
    }
}

/// Error statuses, each with the one error body (and the headers it comes
/// with), as reusable responses.
const STANDARD: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "The body is not JSON, or not a JSON object (`malformed_body`).",
    ),
    (
        "401",
        "Unauthorized",
        "No valid bearer token (`unauthorized`, `token_expired`); a token whose account is gone says to log in again.",
    ),
    (
        "403",
        "Forbidden",
        "The credential may not do this (`insufficient_scope`): a read-only personal access token on a write, or a personal access token where only a login may act; or a password confirming an account change is wrong (`invalid_credentials`, with `fields`).",
    ),
    (
        "409",
        "Conflict",
        "An account with this email already exists (`email_taken`), or an account limit is reached (`quota_exceeded`).",
    ),
    (
        "404",
        "NotFound",
        "No such resource for this user (`not_found`); another user's tasks are indistinguishable from missing ones.",
    ),
    (
        "408",
        "RequestTimeout",
        "The request took longer than the server's timeout (`request_timeout`).",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is over 64 KiB, or 8 MiB for `/api/import` (`payload_too_large`).",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not sent as `application/json` (`unsupported_media_type`).",
    ),
    (
        "422",
        "ValidationFailed",
        "Some fields are invalid; `fields` names each with its problem (`validation_failed`).",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many attempts; retry after `Retry-After` seconds (`too_many_requests`).",
    ),
    (
        "500",
        "Internal",
        "An internal error; details are in the server log under the request id, never here (`internal`).",
    ),
    (
        "503",
        "Unavailable",
        "The database is unreachable or not migrated yet; retry after `Retry-After` seconds (`unavailable`).",
    ),
];

fn standard_responses(doc: &mut Value) {
    let retry_after = json!({"Retry-After": {"description": "Seconds to wait before retrying.",
                                              "schema": {"type": "integer", "minimum": 1}}});
    let mut components = Map::new();
    for (status, name, description) in STANDARD {
        let mut response = json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        });
        if matches!(*status, "429" | "503") {
            response["headers"] = retry_after.clone();
        }
        if *status == "401" {
            response["headers"] = json!({"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}});
        }
        if *status == "403" {
            response["headers"] = json!({"WWW-Authenticate": {"description": "For a missing scope: `Bearer error=\"insufficient_scope\", scope=\"…\"` (RFC 6750).", "schema": {"type": "string"}}});
        }
        components.insert((*name).to_owned(), response);
    }
    doc["components"]["responses"] = Value::Object(components);

    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, operations) in paths.iter_mut() {
        for (_, operation) in operations.as_object_mut().expect("operations").iter_mut() {
            for status in statuses_of(path, operation) {
                let (_, name, _) = STANDARD
                    .iter()
                    .find(|(s, _, _)| *s == status)
                    .expect("a standard status");
                operation["responses"][status] =
                    json!({"$ref": format!("#/components/responses/{name}")});
            }
        }
    }
}

/// The error statuses an operation can answer: decided by what it is
/// (under `/api`, with a body, authenticated, naming an id) and by what
/// its handler declares itself (409, 429).
fn statuses_of(path: &str, operation: &Value) -> Vec<&'static str> {
    let mut statuses = Vec::new();
    let declared = |status: &str| operation["responses"].get(status).is_some();
    if operation.get("requestBody").is_some() {
        statuses.extend(["400", "413", "415", "422"]);
    }
    if operation.get("security").is_some() {
        statuses.push("401");
    }
    if path.contains('{') {
        statuses.push("404");
    }
    for own in ["401", "403", "409", "422", "429"] {
        if declared(own) && !statuses.contains(&own) {
            statuses.push(own);
        }
    }
    if path.starts_with("/api/") && path != "/api/openapi.json" {
        statuses.extend(["408", "500", "503"]);
    }
    statuses
}

/// Where the id a create answers with can be used next.
fn links(doc: &mut Value) {
    let by_id = |operation: &str| json!({"operationId": operation, "parameters": {"id": "$response.body#/id"}});
    doc["paths"]["/api/tasks"]["post"]["responses"]["201"]["links"] = json!({
        "GetTask": by_id("getTask"),
        "UpdateTask": by_id("updateTask"),
        "DeleteTask": by_id("deleteTask"),
    });
}
