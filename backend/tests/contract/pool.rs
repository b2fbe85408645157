//! The PostgreSQL connection pool gives a connection back without a round
//! trip only when its work finished cleanly; these cases drive the pool
//! itself, on the suite's PostgreSQL, through the paths where it must not:
//! a transaction dropped part-way (its `ROLLBACK` only queued) reaches the
//! server at once, not whenever the connection is next used, since until
//! then the server holds the transaction open with its locks; and a
//! connection whose work failed because it broke is closed, not handed out
//! again.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use todo_backend::store::postgres_pool::PostgresPool;

use crate::support::{TestCtx, TestDatabase, TestFn, connections_in_transaction};

pub fn postgres_cases() -> Vec<(&'static str, TestFn)> {
    crate::cases![
        a_transaction_dropped_part_way_is_rolled_back_at_once,
        a_connection_that_broke_is_not_handed_out_again
    ]
}

fn pool_for(database: &TestDatabase) -> PostgresPool {
    let options = PgConnectOptions::from_str(&database.url).expect("a PostgreSQL URL");
    PostgresPool::new(options, 2, Duration::from_secs(5))
}

/// The server process behind a leased connection; the lease is settled
/// only when the query succeeded, as the store does.
async fn backend_pid(pool: &PostgresPool) -> Result<i32, sqlx::Error> {
    let mut lease = pool.lease().await?;
    let pid = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *lease)
        .await?;
    lease.settle();
    Ok(pid)
}

async fn a_transaction_dropped_part_way_is_rolled_back_at_once(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let pool = pool_for(&database);
    let mut admin = PgConnection::connect(&database.url)
        .await
        .expect("admin connection");
    sqlx::query("CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)")
        .execute(&mut admin)
        .await
        .expect("a table");
    sqlx::query("INSERT INTO counters VALUES (1, 0)")
        .execute(&mut admin)
        .await
        .expect("a row");

    for settled in [true, false] {
        let mut lease = pool.lease().await.expect("a connection");
        let mut transaction = lease.begin().await.expect("BEGIN");
        sqlx::query("UPDATE counters SET n = n + 1 WHERE id = 1")
            .execute(&mut *transaction)
            .await
            .expect("an update that locks the row");
        // An early return: the transaction is dropped, which only queues
        // its ROLLBACK on the connection.
        drop(transaction);
        if settled {
            lease.settle();
        }
        drop(lease);
        // Nothing uses the pool after this, so nothing else would flush it.
        assert_eq!(
            connections_in_transaction(&mut admin, Duration::from_secs(2)).await,
            0,
            "a pooled connection was left inside the dropped transaction (settled: {settled})"
        );
    }
    let n: i32 = sqlx::query_scalar("SELECT n FROM counters WHERE id = 1")
        .fetch_one(&mut admin)
        .await
        .expect("the row");
    assert_eq!(n, 0, "both updates were rolled back");

    pool.close().await;
    let _ = admin.close().await;
    database.drop().await;
}

async fn a_connection_that_broke_is_not_handed_out_again(ctx: TestCtx) {
    let database = TestDatabase::create(&ctx.backend).await;
    let pool = pool_for(&database);
    let mut admin = PgConnection::connect(&database.url)
        .await
        .expect("admin connection");
    let first = backend_pid(&pool).await.expect("a pid");

    // The server ends that connection while it idles in the pool; it was
    // used a moment ago, so the pool hands it out without a ping.
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(&mut admin)
        .await
        .expect("pg_terminate_backend");
    assert!(terminated);
    // That query fails: the connection was cut. Failed work is never
    // settled, so the pool checks the connection and, since it is broken,
    // closes it.
    let failed = backend_pid(&pool).await;
    assert!(failed.is_err(), "the connection was cut: {failed:?}");

    // The very next lease works: the broken connection is out of the pool
    // from the moment its lease was dropped.
    let second = backend_pid(&pool)
        .await
        .expect("the pool hands out a working connection");
    assert_ne!(second, first, "a new connection");

    pool.close().await;
    let _ = admin.close().await;
    database.drop().await;
}
