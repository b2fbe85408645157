//! Which database failures mean "the server, or this connection to it, is
//! going away or not there" rather than a bug: a restart, a crash, a
//! failover, a cut network. Those answer 503 with Retry-After (logged as a
//! warning, no stack trace), their connection is discarded, and a request
//! that wrote nothing is retried once on a connection known to be alive.
//!
//! SQLSTATE codes are PostgreSQL's (Appendix A of its manual): class 08
//! (connection exception), 57P01 `admin_shutdown` (what a fast shutdown
//! tells every session), 57P02 `crash_shutdown`, 57P03
//! `cannot_connect_now` (starting up or shutting down), 25006
//! `read_only_sql_transaction` (a failover left this connection on a
//! standby), 53300 `too_many_connections`, class 53 (out of resources) and
//! 57014 `query_canceled` (a statement timeout or an operator's cancel).

/// The error behind a store failure, if it came from the database driver.
pub(crate) trait DatabaseFailure {
    fn database_error(&self) -> Option<&sqlx::Error>;
}

impl DatabaseFailure for sqlx::Error {
    fn database_error(&self) -> Option<&sqlx::Error> {
        Some(self)
    }
}

impl DatabaseFailure for super::StoreError {
    fn database_error(&self) -> Option<&sqlx::Error> {
        match self {
            super::StoreError::Database(error) => Some(error),
            _ => None,
        }
    }
}

fn sqlstate(error: &sqlx::Error) -> Option<std::borrow::Cow<'_, str>> {
    match error {
        sqlx::Error::Database(e) => e.code(),
        _ => None,
    }
}

/// The connection this came from cannot be used again: its socket broke,
/// or the server ended its session (or made it a standby's). It must be
/// closed, not pooled, and any other connection opened before it is
/// suspect too.
pub fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(_) => sqlstate(error).is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "25006")
        }),
        _ => false,
    }
}

/// The database cannot serve right now, and will again: answer 503 with
/// Retry-After rather than 500.
pub fn unavailable(error: &sqlx::Error) -> bool {
    connection_lost(error)
        || matches!(error, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)
        || sqlstate(error).is_some_and(|code| code.starts_with("53") || code == "57014")
}

/// The failure proves the statement was never executed, so even a write
/// may be sent again: the server refused the session before any work
/// (starting up, full) or refused to write at all (a standby).
pub fn nothing_executed(error: &sqlx::Error) -> bool {
    sqlstate(error).is_some_and(|code| matches!(&*code, "57P03" | "53300" | "25006"))
}

/// Whether a failed attempt may be made once more, on a fresh connection.
/// A read may always be repeated; a write only when it provably did not
/// run: a statement the server answered with "connection terminated" may
/// have committed first.
pub(crate) fn may_retry(error: &sqlx::Error, work: Work) -> bool {
    match work {
        Work::Read => connection_lost(error) || nothing_executed(error),
        Work::Write => nothing_executed(error),
    }
}

/// [`may_retry`] for the outcome of an attempt.
pub(crate) fn failed_retryably<T, E: DatabaseFailure>(result: &Result<T, E>, work: Work) -> bool {
    match result {
        Ok(_) => false,
        Err(error) => error.database_error().is_some_and(|e| may_retry(e, work)),
    }
}

/// What a connection is leased for, which decides whether a failure on it
/// can be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Changes nothing: running it twice is running it once.
    Read,
    /// Changes data: once sent, it may have run.
    Write,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_socket_is_a_lost_connection_and_unavailable() {
        let error = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(connection_lost(&error));
        assert!(unavailable(&error));
        assert!(may_retry(&error, Work::Read));
        assert!(!may_retry(&error, Work::Write), "a write may have arrived");
    }

    #[test]
    fn a_saturated_pool_is_unavailable_but_its_connections_are_fine() {
        for error in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            assert!(unavailable(&error));
            assert!(!connection_lost(&error));
            assert!(
                !may_retry(&error, Work::Read),
                "waiting again doubles the wait"
            );
        }
    }

    #[test]
    fn a_bug_is_neither() {
        for error in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("unexpected message".into()),
            sqlx::Error::ColumnNotFound("x".into()),
        ] {
            assert!(!unavailable(&error), "{error}");
            assert!(!connection_lost(&error), "{error}");
        }
    }

    /// A server's error with a given SQLSTATE, as the driver hands it over.
    #[derive(Debug)]
    struct ServerSaid(&'static str);

    impl std::fmt::Display for ServerSaid {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for ServerSaid {}

    impl sqlx::error::DatabaseError for ServerSaid {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn server_said(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(ServerSaid(code)))
    }

    #[test]
    fn a_server_going_away_ends_the_connection() {
        // admin shutdown, crash shutdown, starting up, a failover's standby,
        // and the connection-exception class.
        for code in [
            "57P01", "57P02", "57P03", "25006", "08006", "08003", "08000",
        ] {
            let error = server_said(code);
            assert!(connection_lost(&error), "{code}");
            assert!(unavailable(&error), "{code}");
            assert!(may_retry(&error, Work::Read), "{code}");
        }
    }

    #[test]
    fn only_a_refusal_before_any_work_lets_a_write_go_again() {
        for code in ["57P03", "53300", "25006"] {
            assert!(may_retry(&server_said(code), Work::Write), "{code}");
        }
        for code in ["57P01", "57P02", "08006"] {
            assert!(
                !may_retry(&server_said(code), Work::Write),
                "{code} may have committed"
            );
        }
    }

    #[test]
    fn resource_limits_are_unavailable_on_a_live_connection() {
        for code in ["53000", "53100", "53200", "57014"] {
            let error = server_said(code);
            assert!(unavailable(&error), "{code}");
            assert!(!connection_lost(&error), "{code}");
        }
    }

    #[test]
    fn constraint_violations_and_syntax_errors_are_not_outages() {
        for code in ["23505", "23503", "42601", "42P01", "22P02", "40001"] {
            assert!(!unavailable(&server_said(code)), "{code}");
        }
    }
}
