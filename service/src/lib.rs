//! The service kit both Todo servers (backend and frontend) are built on,
//! so the two behave alike as processes and on the wire: the skeleton of
//! a server (`application`), its command line (`cli`) and allocator
//! (`allocator`), configuration
//! from the environment (`env`, `server`), logging (`telemetry`), graceful
//! shutdown (`server`), the `check` probe (`probe`), `main`'s runtime and
//! exit codes (`process`), the selftests' kit (`selftest`), connection hygiene (`request_body`), the accept
//! loop that keeps slow clients from holding a server (`connections`) and
//! client addresses behind proxies (`client_address`).

#[cfg(feature = "allocator")]
mod allocator;
pub mod application;
pub mod cli;
pub mod client_address;
pub mod connections;
pub mod env;
pub mod probe;
pub mod process;
pub mod request_body;
pub mod selftest;
pub mod server;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
