//! The Todo API contract: every request, response and error body that
//! crosses the wire, plus a typed async client.
//!
//! The backend serialises these types, the frontend, `xtask` and the tests
//! deserialise them: the contract is written once, here.

mod client;
mod error;
mod ops;
mod task;
mod user;

pub use client::{ApiClient, ClientError};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use ops::{Health, Readiness};
pub use task::{
    ClearedCompleted, ListQuery, NewTask, Priority, SortField, SortOrder, StatusFilter, Task,
    TaskList, TaskPatch, TaskStats,
};
pub use user::{AuthResponse, LoginRequest, SignupRequest, User};

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
}
