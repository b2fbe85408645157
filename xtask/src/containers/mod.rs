//! The container images: where their bases and the database image come
//! from (`bases`), building them (`images`), running them hardened
//! (`smoke`), and the contract suite's PostgreSQL through testcontainers
//! (`testcontainers`).

pub mod bases;
pub mod images;
pub mod smoke;
pub mod testcontainers;
