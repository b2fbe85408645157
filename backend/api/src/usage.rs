//! What an account holds against what it may hold.

use serde::{Deserialize, Serialize};

/// One quota: how much is used of how much is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allowance {
    pub used: u64,
    pub limit: u64,
}

/// `GET /api/auth/usage`: the caller's account against its quotas. A
/// create past a quota answers 409 `quota_exceeded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    pub tasks: Allowance,
    pub conversations: Allowance,
    /// Messages one conversation may hold (a chat turn is admitted only
    /// when all it may add fits).
    pub messages_per_conversation: u64,
    /// Tags one task may carry.
    pub tags_per_task: u64,
}
