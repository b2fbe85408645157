//! The Todo API contract: every request, response and error body that
//! crosses the wire, plus a typed async client.
//!
//! The backend serialises these types, the frontend, `xtask` and the tests
//! deserialise them: the contract is written once, here.

#[macro_use]
mod wire_enum;

mod chat;
mod client;
mod error;
mod export;
mod json_string;
mod minutes;
pub mod oauth;
mod ops;
mod task;
mod task_fields;
mod task_page;
mod usage;
mod user;
mod wire_time;

pub use chat::{
    ChatRequest, ChatResponse, Conversation, ConversationList, ConversationQuery, Message,
    MessageList, MessageQuery, Role, Tool, ToolCallRecord,
};
pub use client::{ApiClient, CalendarDocument, ClientError, ExportDownload};
pub use error::{ErrorBody, ErrorCode, ErrorDetail, TaskCandidate};
pub use export::{
    EXPORT_FORMAT, EXPORT_VERSION, Export, ExportWriter, ExportedConversation, ExportedMessage,
    ExportedTask, ImportSummary,
};
pub use minutes::MinutesView;
pub use ops::{Health, Readiness};
pub use task::{
    ClearedCompleted, ListQuery, NewTask, Priority, SortField, SortOrder, StatusFilter, Task,
    TaskList, TaskOverview, TaskPatch, TaskStats,
};
pub use task_page::{BorrowedTags, TaskListWriter, TaskView};
pub use usage::{Allowance, Usage};
pub use user::{
    AccountDeletion, AuthResponse, CalendarFeed, CalendarFeedCreated, LoginRequest,
    NewPersonalToken, PasswordChange, PersonalTokenCreated, ProfileChange, RevokedSessions, Scope,
    Session, SessionKind, SessionList, SignupRequest, User,
};

/// Limits shared by the server's parsers and by any client that wants to
/// check input before sending it (the frontend does, to keep forms honest).
pub mod limits {
    pub const TITLE_MAX_CHARS: usize = 200;
    pub const DESCRIPTION_MAX_CHARS: usize = 2000;
    pub const TAGS_MAX: usize = 10;
    pub const TAG_MAX_CHARS: usize = 32;
    pub const NAME_MAX_CHARS: usize = 100;
    pub const EMAIL_MAX_CHARS: usize = 254;
    pub const PASSWORD_MIN_CHARS: usize = 8;
    pub const PASSWORD_MAX_CHARS: usize = 128;
    pub const PAGE_LIMIT_MAX: u32 = 100;
    pub const PAGE_LIMIT_DEFAULT: u32 = 50;
    pub const BODY_MAX_BYTES: usize = 64 * 1024;
    /// The body limit of `POST /api/import` alone: an export document.
    pub const IMPORT_MAX_BYTES: usize = 8 * 1024 * 1024;
    pub const SEARCH_MAX_CHARS: usize = 200;
    pub const CHAT_MESSAGE_MAX_CHARS: usize = 4000;
    pub const TOKEN_NAME_MAX_CHARS: usize = 100;
    pub const TOKEN_EXPIRY_MAX_DAYS: u32 = 365;
    /// Reminders of one task.
    pub const REMINDERS_MAX: usize = 5;
    /// The earliest reminder: 28 days before the due time.
    pub const REMINDER_MINUTES_MAX: u32 = 28 * 24 * 60;
    /// An IANA time zone name, e.g. `America/Argentina/ComodRivadavia`.
    pub const TIME_ZONE_MAX_CHARS: usize = 64;
}

/// The request rules that types alone cannot state, as regular
/// expressions for the OpenAPI document, so that what the document accepts
/// is exactly what the server accepts. Written with explicit character
/// classes only, so ECMA-262 (JSON Schema), Python (`re`) and Rust
/// (`regex`) read them the same way; the backend's tests check each one
/// against its parser.
pub mod patterns {
    /// What `str::trim` removes: the Unicode `White_Space` characters.
    macro_rules! ws {
        () => {
            "\t\n\u{b}\u{c}\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}"
        };
    }
    /// `char::is_control`: C0, DEL and C1.
    macro_rules! control {
        () => {
            "\u{0}-\u{1f}\u{7f}-\u{9f}"
        };
    }

    /// 1–200 characters once surrounding whitespace is trimmed, none of
    /// them a control character.
    pub const TITLE: &str = concat!(
        "^[",
        ws!(),
        "]*[^",
        ws!(),
        control!(),
        "](?:[^",
        control!(),
        "]{0,198}[^",
        ws!(),
        control!(),
        "])?[",
        ws!(),
        "]*$"
    );
    /// As a title, 1–100 characters.
    pub const NAME: &str = concat!(
        "^[",
        ws!(),
        "]*[^",
        ws!(),
        control!(),
        "](?:[^",
        control!(),
        "]{0,98}[^",
        ws!(),
        control!(),
        "])?[",
        ws!(),
        "]*$"
    );
    /// Any text without NUL (which PostgreSQL cannot store).
    pub const NO_NUL: &str = "^[^\u{0}]*$";
    /// `local@domain.tld` after trimming: no whitespace or control
    /// character inside, a domain of at least two dot-separated labels.
    pub const EMAIL: &str = concat!(
        "^[",
        ws!(),
        "]*[^@",
        ws!(),
        control!(),
        "]+@[^@.",
        ws!(),
        control!(),
        "]+(?:\\.[^@.",
        ws!(),
        control!(),
        "]+)+[",
        ws!(),
        "]*$"
    );
    /// A chat message: 1–4000 characters once trimmed, no NUL.
    pub const CHAT_MESSAGE: &str = concat!(
        "^[",
        ws!(),
        "]*[^",
        ws!(),
        "\u{0}](?:[^\u{0}]{0,3998}[^",
        ws!(),
        "\u{0}])?[",
        ws!(),
        "]*$"
    );
    /// A due time, `HH:MM` on a 24-hour clock.
    pub const DUE_TIME: &str = "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$";
    /// A repeat rule as the server writes it back: an RFC 5545 RRULE value
    /// of the supported subset, in canonical form (upper case, parts in
    /// the order FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL, WKST;
    /// INTERVAL=1 and WKST=MO left out; weekdays Monday first).
    pub const RRULE: &str = concat!(
        "^FREQ=(?:",
        "(?:DAILY|WEEKLY)",
        rrule_interval!(),
        "(?:;BYDAY=",
        rrule_days!(),
        ")?",
        "|MONTHLY",
        rrule_interval!(),
        "(?:;BYDAY=(?:[1-4]|-1)(?:MO|TU|WE|TH|FR|SA|SU)|;BYMONTHDAY=(?:[1-9]|[12][0-9]|3[01]|-1))?",
        "|YEARLY",
        rrule_interval!(),
        ")",
        "(?:;COUNT=(?:[1-9][0-9]{0,2}|1000)|;UNTIL=",
        rrule_date!(),
        "(?:T(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z)?)?",
        "(?:;WKST=SU)?$"
    );
    /// `;INTERVAL=` 2–366 (1 is left out).
    macro_rules! rrule_interval {
        () => {
            "(?:;INTERVAL=(?:[2-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6]))?"
        };
    }
    /// Distinct weekdays, Monday first.
    macro_rules! rrule_days {
        () => {
            concat!(
                "(?:MO(?:,TU)?(?:,WE)?(?:,TH)?(?:,FR)?(?:,SA)?(?:,SU)?",
                "|TU(?:,WE)?(?:,TH)?(?:,FR)?(?:,SA)?(?:,SU)?",
                "|WE(?:,TH)?(?:,FR)?(?:,SA)?(?:,SU)?",
                "|TH(?:,FR)?(?:,SA)?(?:,SU)?",
                "|FR(?:,SA)?(?:,SU)?",
                "|SA(?:,SU)?",
                "|SU)"
            )
        };
    }
    /// A calendar date `YYYYMMDD` of years 0001–9999, leap days included.
    macro_rules! rrule_date {
        () => {
            concat!(
                "(?:(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})",
                "(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)",
                "|02(?:0[1-9]|1[0-9]|2[0-8]))",
                "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)0229)"
            )
        };
    }
    use {rrule_date, rrule_days, rrule_interval};
    /// A tag: 1–32 of `a-z`, `0-9` and `-`.
    pub const TAG: &str = "^[a-z0-9-]{1,32}$";
    /// Search text: at most 200 characters once trimmed, no NUL.
    pub const SEARCH: &str = concat!(
        "^[",
        ws!(),
        "]*(?:[^",
        ws!(),
        "\u{0}](?:[^\u{0}]{0,198}[^",
        ws!(),
        "\u{0}])?)?[",
        ws!(),
        "]*$"
    );
}
