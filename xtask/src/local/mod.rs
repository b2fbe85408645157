//! The local loop: run the app (`dev`), check the code (`lint`,
//! `workflows`), test it (`test`, `api-fuzz`), measure it (`bench`) and
//! picture it (`screenshots`).

pub mod api_fuzz;
pub mod bench;
pub mod dev;
pub mod lint;
pub mod mcp_conformance;
pub mod screenshots;
pub mod test;
pub mod workflows;
