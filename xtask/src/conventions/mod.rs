//! Conventions enforced by tests rather than by memory: the architecture's
//! rules (`architecture`) and docs that stay true (`docs_check`).

mod architecture;
mod docs_check;
