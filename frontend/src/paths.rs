//! The frontend's URLs, in one place: the router serves them and the
//! frontend's selftest walks them, so the two cannot drift apart.

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const SIGNUP: &str = "/signup";
pub const LOGOUT: &str = "/logout";
pub const TASKS: &str = "/tasks";
pub const ASSISTANT: &str = "/assistant";
pub const ACCOUNT: &str = "/account";
/// The OAuth authorization page MCP clients send users to.
pub const OAUTH_AUTHORIZE: &str = "/oauth/authorize";
/// A calendar feed, `/calendar/<secret>.ics`, passed through from the
/// backend for calendar apps.
pub const CALENDAR_FEED: &str = "/calendar/{file}";
/// Liveness (and readiness): answers without asking the backend.
pub const HEALTH: &str = "/api/health";
/// Where a visitor whose session ended is sent.
pub const SESSION_ENDED: &str = "/login?expired=1";
