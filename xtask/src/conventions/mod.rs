//! Conventions enforced by tests rather than by memory: the architecture's
//! rules (`architecture`), the corner the `offline/` crate is kept in
//! (`offline_boundary`), and docs that stay true (`docs_check`).

mod architecture;
mod docs_check;
mod offline_boundary;
