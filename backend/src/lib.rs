//! The Todo backend as a library: `main` and the tests build the same
//! [`Application`] from a [`Config`].
//!
//! Code map: `config` reads the environment; `domain` parses input into
//! valid types; `store` is the only code that speaks SQL; `auth` issues and
//! checks credentials; `routes` maps HTTP to all of these; `reminders` sends
//! the reminders that come due by e-mail; `startup` wires the server and its
//! shutdown.

pub mod assistant;
pub mod auth;
pub mod bootstrap;
pub mod calendar;
pub mod config;
pub mod domain;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod oauth;
pub mod reminders;
pub mod routes;
pub mod selftest;
pub mod startup;
pub mod state;
pub mod store;

pub use config::Config;
pub use startup::Application;
