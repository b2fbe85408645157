//! The Todo web UI as a library: `main`, the tests and the benchmark build
//! the same [`Application`] from a [`Config`].
//!
//! Code map: `config` reads the environment; `routes` maps URLs to
//! `handlers`, which call the backend through `todo_api::ApiClient` as the
//! visitor (`session`) and render `views` (Leptos, server-side only);
//! `forms` and `filter` translate what browsers send (`extract` reads
//! them, answering bad posts with pages); `schedule` holds the task
//! form's repeat and reminder choices, `zones` the IANA time zones and a
//! user's wall-clock time; `origin` refuses cross-site POSTs; `assets`
//! holds the embedded CSS, icon and the one script; `paths` names the
//! URLs, which `selftest` (the Helm test) walks.

pub mod assets;
pub mod config;
pub mod error;
pub mod extract;
pub mod filter;
pub mod forms;
pub mod handlers;
pub mod origin;
pub mod paths;
pub mod routes;
pub mod schedule;
pub mod selftest;
pub mod session;
pub mod startup;
pub mod state;
pub mod views;
pub mod zones;

pub use config::Config;
pub use startup::Application;
