//! What every command stands on: running processes (and this workspace's
//! binaries), finding and installing tools, the Docker daemon, the Helm
//! wrapper (`helm`), the workspace (`workspace`), one HTTP GET on loopback
//! (`http`), and local servers (PostgreSQL, the backend and frontend
//! binaries, Chromium) for the commands that need real ones.

pub mod browser;
pub mod docker;
pub mod helm;
pub mod http;
pub mod local_server;
pub mod postgres;
pub mod process;
pub mod tools;
pub mod workspace;
