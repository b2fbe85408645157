//! The container images: where their bases and the database image come
//! from (`bases`), building them (`images`) with what each ships listed
//! (`sbom`), running them hardened (`smoke`), and the contract suite's
//! PostgreSQL through testcontainers (`testcontainers`).

pub mod bases;
pub mod images;
pub mod sbom;
pub mod smoke;
pub mod testcontainers;
