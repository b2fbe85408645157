//! Persistence. One [`Store`] over either PostgreSQL (the cluster) or
//! SQLite (the embedded default); every query is written once and compiled
//! for both through [`with_connection!`], so the two can never drift apart.
//!
//! Invariants: every task query is scoped by `owner_id`, and an owner that
//! no longer exists is an error ([`StoreError::OwnerGone`]), never an empty
//! answer; every write runs to completion once started, in its turn
//! ([`Store::write`], [`Store::write_for_owner`]); nothing outside this
//! module writes SQL.

pub(crate) mod availability;
mod conversations;
mod oauth;
pub mod postgres_pool;
mod reminders;
mod sessions;
#[macro_use]
mod tasks;
mod transfer;
mod users;
// After `tasks`, whose column macros it uses.
mod calendar;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Connection, PgConnection, SqliteConnection, SqlitePool};

use postgres_pool::PostgresPool;

pub use calendar::FeedOwner;
pub use conversations::{MessageRow, NewMessage};
pub use oauth::{IssuedCode, Redemption, Rotation};
pub use reminders::{ClaimedDelivery, DeliveryEnd, DeliveryTarget, NewDelivery, ReminderTask};
pub use sessions::{NewSession, SessionGrant, SessionRow};
pub use tasks::TaskPage;
pub use transfer::{
    ConversationExport, ImportBatch, ImportedConversation, ImportedMessage, ImportedTask,
};
pub use users::UserRecord;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The account the call acts for does not exist (any more): its token
    /// outlived it, e.g. across a database reset or restore.
    #[error("the owner's account does not exist")]
    OwnerGone,
    #[error("an account with this email already exists")]
    EmailTaken,
    /// The write would take the account past one of its quotas; nothing
    /// was written.
    #[error("quota exceeded: {0:?}")]
    QuotaExceeded(crate::domain::Quota),
    /// The write would break a rule between a task's fields that only
    /// the row it changes can tell (a due time without a due date, say):
    /// the field and the problem. Nothing was written.
    #[error("{0}: {1}")]
    Conflict(&'static str, &'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Which SQL dialect a pool speaks; only search differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// How to reach the database; built by `config` from `DATABASE_URL`.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub dialect: Dialect,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    /// Reads a `postgres://…`, `postgresql://…` or `sqlite:…` URL.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let dialect = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| e.to_string())?;
            Dialect::Sqlite
        } else {
            return Err("must start with postgres://, postgresql:// or sqlite:".into());
        };
        Ok(Self {
            url: url.to_owned(),
            dialect,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        })
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Postgres(PostgresPool),
    Sqlite(SqlitePool),
}

/// Runs `$body` with `$conn` bound to a pooled connection of the concrete
/// database (`&mut PgConnection` or `&mut SqliteConnection`); the body is
/// type-checked once per database, and must be a `Result`; `?` and
/// `return` inside it end the body, not the enclosing function. Failing to
/// get a connection returns from the enclosing function with the error.
///
/// `with_connection!(self, conn => …)` is a read; `with_connection!(write
/// self, conn => …)` a write. On PostgreSQL a read that met a lost
/// connection (a restarted or failed-over server: see `availability`) runs
/// once more on a live one, so its body must be repeatable; a write runs
/// again only when the failure proves it never ran. A connection whose body
/// failed, or returned early, is checked before it is reused, and a lost
/// one is discarded (see `postgres_pool`).
///
/// When traces are on, the body runs in a span of its own ([`query_span`]),
/// whose statement kind is read from the SQL when the body is one
/// `sqlx::query…(sql)` on a variable, and is a read's `SELECT` otherwise.
macro_rules! with_connection {
    (write $store:expr, $conn:ident => sqlx::$query:ident($sql:ident) $($rest:tt)*) => {
        $crate::store::with_connection!(
            @run Write, $store, Some(&$sql), $conn => sqlx::$query($sql) $($rest)*
        )
    };
    (write $store:expr, $conn:ident => $body:expr) => {
        $crate::store::with_connection!(@run Write, $store, None, $conn => $body)
    };
    ($store:expr, $conn:ident => sqlx::$query:ident($sql:ident) $($rest:tt)*) => {
        $crate::store::with_connection!(
            @run Read, $store, Some(&$sql), $conn => sqlx::$query($sql) $($rest)*
        )
    };
    ($store:expr, $conn:ident => $body:expr) => {
        $crate::store::with_connection!(@run Read, $store, Some(&"SELECT"), $conn => $body)
    };
    (@run $work:ident, $store:expr, $sql:expr, $conn:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Postgres(pool) => {
                let span = $crate::store::query_span($crate::store::Dialect::Postgres, $sql);
                $crate::store::on_postgres!(@in span, $work, pool, $conn => $body)
            }
            $crate::store::Pool::Sqlite(pool) => {
                let span = $crate::store::query_span($crate::store::Dialect::Sqlite, $sql);
                let mut connection = pool.acquire().await?;
                tracing::Instrument::instrument(
                    async {
                        let $conn: &mut sqlx::SqliteConnection = &mut connection;
                        $body
                    },
                    span,
                )
                .await
            }
        }
    };
}
pub(crate) use with_connection;

/// [`with_connection!`]'s PostgreSQL half, for code that speaks one
/// dialect: `$work` is `Read` or `Write` (`availability::Work`).
macro_rules! on_postgres {
    ($work:ident, $pool:expr, $conn:ident => $body:expr) => {
        $crate::store::on_postgres!(@in tracing::Span::none(), $work, $pool, $conn => $body)
    };
    (@in $span:expr, $work:ident, $pool:expr, $conn:ident => $body:expr) => {{
        use $crate::store::availability::{Work, may_retry};
        let pool: &$crate::store::postgres_pool::PostgresPool = $pool;
        let span: tracing::Span = $span;
        let mut retried = false;
        loop {
            let mut lease = match pool.lease().await {
                Ok(lease) => lease,
                Err(error) if !retried && may_retry(&error, Work::$work) => {
                    retried = true;
                    pool.note_lost();
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let result: Result<_, _> = tracing::Instrument::instrument(
                async {
                    let $conn: &mut sqlx::PgConnection = &mut lease;
                    $body
                },
                span.clone(),
            )
            .await;
            pool.end(lease, &result);
            if retried || !$crate::store::availability::failed_retryably(&result, Work::$work) {
                break result;
            }
            retried = true;
            tracing::debug!("database connection lost; trying once more");
        }
    }};
}
pub(crate) use on_postgres;

/// The span of one unit of database work, when traces are on: the
/// database system and the statement's kind (`db.operation.name`, read
/// from the start of `sql`), never its text or values.
pub(crate) fn query_span(dialect: Dialect, sql: Option<&dyn AsRef<str>>) -> tracing::Span {
    todo_service::telemetry::span(|| {
        let system = match dialect {
            Dialect::Postgres => "postgresql",
            Dialect::Sqlite => "sqlite",
        };
        let operation = sql.and_then(|sql| statement_kind(sql.as_ref()));
        let span = tracing::info_span!(
            "db",
            otel.name = operation.unwrap_or(system),
            otel.kind = "client",
            db.system.name = system,
        );
        // The name before the conventions settled on `db.system.name`.
        todo_service::telemetry::attribute(&span, "db.system", system);
        if let Some(operation) = operation {
            todo_service::telemetry::attribute(&span, "db.operation.name", operation);
        }
        span
    })
}

/// `write`, for a write whose statements bypass [`with_connection!`]: its
/// future in a [`query_span`] of `operation`, made when the write starts
/// (after its turn, not while it waits for one).
pub(crate) fn in_query_span<Fut: std::future::Future>(
    operation: &'static str,
    write: impl FnOnce(Store) -> Fut,
) -> impl FnOnce(Store) -> tracing::instrument::Instrumented<Fut> {
    move |store| {
        let span = query_span(store.dialect(), Some(&operation));
        tracing::Instrument::instrument(write(store), span)
    }
}

/// What a statement does: its first keyword, or for a `WITH` query the
/// first data-changing statement in it (else `SELECT`).
fn statement_kind(sql: &str) -> Option<&'static str> {
    const KINDS: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];
    let kind = |word: &str| {
        KINDS
            .into_iter()
            .find(|kind| word.eq_ignore_ascii_case(kind))
    };
    let mut words = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty());
    let first = words.next()?;
    if first.eq_ignore_ascii_case("WITH") {
        return Some(
            words
                .filter_map(kind)
                .find(|kind| *kind != "SELECT")
                .unwrap_or("SELECT"),
        );
    }
    kind(first)
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite allows one writer at a time. Queueing writers here, in FIFO
    /// order, replaces SQLite's busy-handler back-off (sleeps of up to
    /// 100 ms, unfair) and keeps write latency flat under contention.
    /// `None` on PostgreSQL, which has row-level locking.
    sqlite_writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// How to count each owner's next list (see `tasks::long_lists`).
    long_lists: std::sync::Arc<tasks::LongLists>,
    /// What one account may store; checked in the statement that adds.
    quotas: crate::domain::Quotas,
}

/// A pooled SQLite connection that sat idle this long is checked before use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Checks a connection before handing it out only when it has been idle:
/// one that was in use a moment ago is alive, and pinging it anyway (sqlx's
/// default) costs a round trip on every query. One that idled may have been
/// cut (a database restart, a proxy's idle timeout); a failed ping closes it
/// and the pool hands out another.
async fn ping_if_idle<C: sqlx::Connection>(
    connection: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for >= PING_AFTER_IDLE {
        connection.ping().await?;
    }
    Ok(true)
}

impl Store {
    /// Sets up the pool without connecting: the first connection is made
    /// when something needs one, so a database that is not up yet delays
    /// readiness rather than startup. Fails only on options that cannot work.
    pub fn open(settings: &DatabaseSettings) -> Result<Self, sqlx::Error> {
        let pool = match settings.dialect {
            Dialect::Postgres => Pool::Postgres(PostgresPool::new(
                PgConnectOptions::from_str(&settings.url)?,
                settings.max_connections,
                settings.acquire_timeout,
            )),
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(&settings.url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(settings.max_connections)
                        .acquire_timeout(settings.acquire_timeout)
                        .test_before_acquire(false)
                        .before_acquire(|connection, meta| Box::pin(ping_if_idle(connection, meta)))
                        .connect_lazy_with(options),
                )
            }
        };
        let sqlite_writer = matches!(pool, Pool::Sqlite(_)).then(Default::default);
        Ok(Self {
            pool,
            sqlite_writer,
            long_lists: Default::default(),
            quotas: Default::default(),
        })
    }

    /// The store with these per-account limits instead of the defaults.
    pub fn with_quotas(mut self, quotas: crate::domain::Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    pub fn quotas(&self) -> crate::domain::Quotas {
        self.quotas
    }

    /// Runs one write on a task of its own, to completion, whatever becomes
    /// of the caller (a client that hangs up, a request timeout).
    ///
    /// Why: a write future dropped at an `.await` can leave its pooled
    /// connection in a state sqlx does not repair. A `BEGIN` cancelled
    /// before its answer arrives is never rolled back: the connection goes
    /// back to the pool inside a transaction, every later autocommit write
    /// on it joins that transaction, and those writes, already answered
    /// 2xx, vanish when the connection closes. A write that is never
    /// cancelled commits or rolls back, and only then releases its
    /// connection.
    async fn uncancelled<T, Fut>(&self, write: impl FnOnce(Store) -> Fut) -> Result<T, StoreError>
    where
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        match todo_service::telemetry::spawn(write(self.clone())).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // Only a runtime that is shutting down cancels a spawned task.
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolClosed)),
        }
    }

    /// Runs one write as every write runs: on a task of its own, to
    /// completion ([`Store::uncancelled`]), in its turn (SQLite has one
    /// writer at a time; [`Store::write_turn`]).
    pub(crate) async fn write<T, Fut>(
        &self,
        write: impl FnOnce(Store) -> Fut + Send + 'static,
    ) -> Result<T, StoreError>
    where
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        self.uncancelled(move |store| async move {
            let _turn = store.write_turn().await;
            write(store).await
        })
        .await
    }

    /// [`Store::write`] for `owner`: when the write `touched` nothing, it
    /// says whether that is because the owner's account is gone
    /// ([`StoreError::OwnerGone`]) rather than the row.
    pub(crate) async fn write_for_owner<T, Fut>(
        &self,
        owner: uuid::Uuid,
        write: impl FnOnce(Store) -> Fut + Send + 'static,
        touched: impl FnOnce(&T) -> bool,
    ) -> Result<T, StoreError>
    where
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let done = self.write(write).await?;
        if touched(&done) {
            Ok(done)
        } else {
            self.unless_owner_gone(owner, done).await
        }
    }

    /// Runs `sql`, a `DELETE … WHERE id = $1 AND owner_id = $2`, for the
    /// owner's row `id`; `false` when the owner has no such row.
    pub(crate) async fn delete_owned(
        &self,
        sql: &'static str,
        owner: uuid::Uuid,
        id: uuid::Uuid,
    ) -> Result<bool, StoreError> {
        let deleted = self
            .write_for_owner(
                owner,
                move |store| async move {
                    Ok(with_connection!(write store, conn => sqlx::query(sql)
                        .bind(id)
                        .bind(owner)
                        .execute(conn)
                        .await
                        .map(|done| done.rows_affected()))?)
                },
                |deleted| *deleted > 0,
            )
            .await?;
        Ok(deleted > 0)
    }

    /// Whether `owner` is an account; asked only when a scoped query found
    /// nothing, so the common path costs no extra round trip (a row that
    /// exists proves its owner does, through the foreign key).
    pub(crate) async fn owner_exists(&self, owner: uuid::Uuid) -> Result<bool, sqlx::Error> {
        let sql = "SELECT COUNT(*) FROM users WHERE id = $1";
        let count: i64 = with_connection!(self, conn => sqlx::query_scalar(sql).bind(owner).fetch_one(conn).await)?;
        Ok(count > 0)
    }

    /// `found` when the owner exists, [`StoreError::OwnerGone`] otherwise.
    pub(crate) async fn unless_owner_gone<T>(
        &self,
        owner: uuid::Uuid,
        found: T,
    ) -> Result<T, StoreError> {
        if self.owner_exists(owner).await? {
            Ok(found)
        } else {
            Err(StoreError::OwnerGone)
        }
    }

    /// Held for the duration of one write (statement or transaction).
    async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.sqlite_writer {
            Some(writer) => Some(writer.clone().lock_owned().await),
            None => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Applies pending migrations, exactly once even when several processes
    /// start together: PostgreSQL through sqlx's advisory lock, SQLite (where
    /// sqlx takes no lock) through an exclusive lock on a file beside the
    /// database.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        match &self.pool {
            Pool::Postgres(pool) => migrate_postgres(pool).await,
            Pool::Sqlite(pool) => {
                let database = pool.connect_options().get_filename().to_owned();
                let _guard = if database.as_os_str().is_empty()
                    || database == std::path::Path::new(":memory:")
                {
                    None
                } else {
                    let mut lock_path = database.into_os_string();
                    lock_path.push(".migrate-lock");
                    Some(lock_file(lock_path.into()).await?)
                };
                SQLITE_MIGRATIONS.run(pool).await
            }
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.pool {
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
        }
    }

    /// True when every embedded migration is recorded as applied.
    pub async fn migrations_applied(&self) -> Result<bool, sqlx::Error> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success";
        let applied: Vec<i64> = match with_connection!(self, conn => sqlx::query_scalar(sql).fetch_all(conn).await)
        {
            Ok(applied) => applied,
            // No bookkeeping table yet: nothing has been applied.
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => {
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        Ok(self.migrator().iter().all(|m| applied.contains(&m.version)))
    }

    /// One round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_connection!(self, conn => sqlx::query("SELECT 1").execute(conn).await.map(|_| ()))
    }

    /// (open connections, idle connections)
    pub fn pool_usage(&self) -> (u32, u32) {
        match &self.pool {
            Pool::Postgres(pool) => pool.usage(),
            Pool::Sqlite(pool) => (pool.size(), pool.num_idle() as u32),
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Postgres(pool) => pool.close().await,
            Pool::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Opens a transaction that writes. SQLite takes the write lock up front
/// (`BEGIN IMMEDIATE`) so concurrent writers queue on the busy timeout
/// instead of failing when a read lock cannot be upgraded.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &mut self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'_, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for PgConnection {
    type Db = sqlx::Postgres;
    async fn begin_write(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

impl BeginWrite for SqliteConnection {
    type Db = sqlx::Sqlite;
    async fn begin_write(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

/// The migrations, on a connection of their own (a one-connection sqlx
/// pool, closed after): sqlx's `Migrator::run` needs an `Acquire` that
/// rustc can prove for every lifetime inside a spawned task, which a
/// borrowed connection is not. Migrating is rare; the connection is cheap.
async fn migrate_postgres(pool: &PostgresPool) -> Result<(), MigrateError> {
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(pool.acquire_timeout())
        .connect_lazy_with(pool.connect_options().clone());
    let migrated = POSTGRES_MIGRATIONS.run(&own).await;
    own.close().await;
    migrated
}

/// Blocks (off the async threads) until this process holds the lock; it is
/// released when the returned file is dropped.
async fn lock_file(path: std::path::PathBuf) -> Result<std::fs::File, MigrateError> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| MigrateError::Source(Box::new(e)))?
    .map_err(|e: std::io::Error| MigrateError::Execute(sqlx::Error::Io(e)))
}

/// The current time at the precision both databases keep (microseconds),
/// so what we return equals what we read back later.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// True when a database error is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// A write naming an owner that does not exist fails its foreign key.
/// A broken rule between a task's fields (a CHECK constraint of the
/// tasks table) as the field and its problem; any other error as is.
fn constraint_or(error: sqlx::Error) -> StoreError {
    use crate::domain::{NEED_DUE_TIME, NEEDS_DUE_DATE};
    const RULES: [(&str, &str, &str); 3] = [
        ("tasks_due_time_needs_due_date", "due_time", NEEDS_DUE_DATE),
        (
            "tasks_recurrence_needs_due_date",
            "recurrence",
            NEEDS_DUE_DATE,
        ),
        ("tasks_reminders_need_due_time", "reminders", NEED_DUE_TIME),
    ];
    if let sqlx::Error::Database(e) = &error
        && e.is_check_violation()
    {
        // PostgreSQL names the constraint; SQLite only in its message.
        let named = |name: &str| e.constraint() == Some(name) || e.message().contains(name);
        if let Some((_, field, problem)) = RULES.iter().find(|(name, ..)| named(name)) {
            return StoreError::Conflict(field, problem);
        }
    }
    StoreError::Database(error)
}

fn owner_gone_or(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(e) if e.is_foreign_key_violation() => StoreError::OwnerGone,
        _ => StoreError::Database(error),
    }
}

#[cfg(test)]
mod tests {
    use super::statement_kind;

    #[test]
    fn a_statement_is_known_by_its_first_keyword_or_what_its_cte_changes() {
        for (sql, kind) in [
            ("SELECT id FROM tasks", Some("SELECT")),
            ("  insert INTO tasks (id) VALUES ($1)", Some("INSERT")),
            ("UPDATE tasks SET title = $1", Some("UPDATE")),
            ("DELETE FROM tasks WHERE id = $1", Some("DELETE")),
            (
                "WITH task AS (INSERT INTO tasks (id) SELECT $1 RETURNING id) SELECT COUNT(*) FROM task",
                Some("INSERT"),
            ),
            (
                "WITH recent AS (SELECT 1) SELECT * FROM recent",
                Some("SELECT"),
            ),
            ("PRAGMA foreign_keys", None),
            ("", None),
        ] {
            assert_eq!(statement_kind(sql), kind, "{sql}");
        }
    }

    /// `.cargo/config.toml` builds the bundled SQLite without memory
    /// statistics: with them, every allocation takes a process-wide mutex,
    /// and sqlx allocates for each column value it reads.
    #[tokio::test]
    async fn sqlite_is_built_without_memory_statistics() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&mut conn)
            .await
            .expect("compile options");
        assert!(
            options.iter().any(|option| option == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }
}
