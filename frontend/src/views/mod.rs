//! The pages, as Leptos views rendered to HTML strings on the server.
//! No view here calls the backend: handlers fetch, views only render.

pub mod account;
pub mod assistant;
pub mod auth;
pub mod edit;
pub mod errors;
pub mod fields;
pub mod layout;
pub mod oauth;
pub mod tasks;
