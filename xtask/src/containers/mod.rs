//! The container images: building them (`images`), running them hardened
//! (`smoke`), and the contract suite's PostgreSQL through testcontainers
//! (`testcontainers`).

pub mod images;
pub mod smoke;
pub mod testcontainers;
