//! Bodies of the operations endpoints (`/health`, `/ready`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /health`: liveness; the process is up and serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
}

/// `GET /ready`: readiness with one entry per dependency checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// Check name → `ok` or what failed.
    pub checks: BTreeMap<String, String>,
}
