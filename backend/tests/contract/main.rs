//! The black-box contract suite: every case runs against the real
//! application over HTTP, once on SQLite and once on PostgreSQL, each time
//! with a fresh database.
//!
//! A custom harness (libtest-mimic) lets one PostgreSQL server (from
//! `TEST_DATABASE_URL` or testcontainers) be shared by all cases and torn
//! down at the end; filters work as usual: `cargo test --test contract -- sqlite::`.

#[path = "../common/own_postgres.rs"]
mod own_postgres;
mod support;

mod accounts;
mod assistant;
mod auth;
mod calendar;
mod concurrency;
mod integrity;
mod isolation;
mod limits;
mod mcp;
mod oauth;
mod observability;
mod operations;
mod pool;
mod provider;
mod readiness;
mod recurrence;
mod reminders;
mod restart;
mod tasks;
mod transfer;
mod validation;

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use support::{Backend, PostgresServer, TestFn};

fn all_cases() -> Vec<(&'static str, &'static str, TestFn)> {
    let modules: [(&str, Vec<(&str, TestFn)>); 18] = [
        ("accounts", accounts::cases()),
        ("assistant", assistant::cases()),
        ("auth", auth::cases()),
        ("calendar", calendar::cases()),
        ("concurrency", concurrency::cases()),
        ("integrity", integrity::cases()),
        ("isolation", isolation::cases()),
        ("limits", limits::cases()),
        ("mcp", mcp::cases()),
        ("oauth", oauth::cases()),
        ("observability", observability::cases()),
        ("operations", operations::cases()),
        ("provider", provider::cases()),
        ("recurrence", recurrence::cases()),
        ("reminders", reminders::cases()),
        ("tasks", tasks::cases()),
        ("transfer", transfer::cases()),
        ("validation", validation::cases()),
    ];
    modules
        .into_iter()
        .flat_map(|(module, cases)| cases.into_iter().map(move |(name, f)| (module, name, f)))
        .collect()
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if std::env::var_os("TEST_LOG").is_some() {
        todo_service::telemetry::init(todo_service::server::LogFormat::Pretty, "info");
    }

    let wants_postgres = args
        .filter
        .as_deref()
        .is_none_or(|f| !f.starts_with("sqlite"));
    let postgres = if wants_postgres && !args.list {
        match runtime.block_on(PostgresServer::find()) {
            Ok(server) => {
                eprintln!("contract suite: PostgreSQL from {}", server.origin);
                Backend::Postgres(Arc::new(server))
            }
            Err(why) => {
                eprintln!("contract suite: {why}");
                Backend::Unavailable(why)
            }
        }
    } else {
        Backend::Unavailable("not requested".into())
    };

    let handle = runtime.handle().clone();
    let mut trials = Vec::new();
    for backend in [Backend::Sqlite, postgres.clone()] {
        let mut cases = all_cases();
        if !matches!(backend, Backend::Sqlite) {
            // A TCP connection to cut exists only for a server database.
            cases.extend(
                readiness::postgres_cases()
                    .into_iter()
                    .map(|(name, f)| ("readiness", name, f)),
            );
            // A server of its own, stopped and started under load.
            cases.extend(
                restart::postgres_cases()
                    .into_iter()
                    .map(|(name, f)| ("restart", name, f)),
            );
            // Its connection pool is PostgreSQL's own.
            cases.extend(
                pool::postgres_cases()
                    .into_iter()
                    .map(|(name, f)| ("pool", name, f)),
            );
        }
        for (module, name, test) in cases {
            let backend = backend.clone();
            let handle = handle.clone();
            let full_name = format!("{}::{module}::{name}", backend.name());
            trials.push(Trial::test(full_name, move || {
                if let Backend::Unavailable(why) = &backend {
                    return Err(Failed::from(why.as_str()));
                }
                handle
                    .block_on(support::run_case(backend, test))
                    .map_err(Failed::from)
            }));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // Tear the container (if any) down inside the runtime that started it.
    if let Backend::Postgres(server) = postgres
        && let Ok(server) = Arc::try_unwrap(server)
    {
        runtime.block_on(server.shutdown());
    }
    conclusion.exit_code()
}
