//! What every command stands on: running processes, finding and installing
//! tools, the Docker daemon, the Helm wrapper (`helm`), the workspace (`workspace`), and local servers
//! (PostgreSQL, the backend binary, Chromium) for the commands that need
//! real ones.

pub mod browser;
pub mod docker;
pub mod helm;
pub mod http;
pub mod local_backend;
pub mod postgres;
pub mod process;
pub mod tools;
pub mod workspace;
