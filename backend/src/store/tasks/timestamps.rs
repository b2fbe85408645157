//! A task's timestamps as read: PostgreSQL's binary `timestamptz` turned
//! into a `DateTime<Utc>` directly.
//!
//! Why: sqlx adds the microseconds to PostgreSQL's epoch as a chrono
//! `Duration` and then converts through a fixed offset, about 250
//! instructions a timestamp: a tenth of decoding a page of 50 tasks, two
//! timestamps each (`docs/benchmarks.md`). Counting from the Unix epoch
//! with chrono's `from_timestamp_micros` gives the same instant for a
//! fraction of that, and refuses what chrono cannot hold (PostgreSQL's
//! `infinity`) with an error where sqlx's sum panics. The text form (only
//! simple queries use it) and SQLite go through sqlx's own decoding.

use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Postgres, Sqlite, Type};

/// A timestamp column of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StoredTimestamp(pub(super) DateTime<Utc>);

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The instant `micros` microseconds after PostgreSQL's epoch, as stored
/// in a binary `timestamptz`; `None` beyond what chrono holds.
fn from_postgres_micros(micros: i64) -> Option<DateTime<Utc>> {
    micros
        .checked_add(POSTGRES_EPOCH_MICROS)
        .and_then(DateTime::from_timestamp_micros)
}

impl Type<Postgres> for StoredTimestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredTimestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.format() != PgValueFormat::Binary {
            return <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Self);
        }
        let bytes: [u8; 8] = value.as_bytes()?.try_into()?;
        let micros = i64::from_be_bytes(bytes);
        from_postgres_micros(micros)
            .map(Self)
            .ok_or_else(|| format!("timestamp {micros} µs from 2000-01-01 is out of range").into())
    }
}

impl Type<Sqlite> for StoredTimestamp {
    fn type_info() -> SqliteTypeInfo {
        <DateTime<Utc> as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <DateTime<Utc> as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for StoredTimestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Sqlite>>::decode(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;

    /// sqlx's own reading: PostgreSQL's epoch plus the microseconds.
    fn as_sqlx_reads_it(micros: i64) -> DateTime<Utc> {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        (epoch + Duration::microseconds(micros)).and_utc()
    }

    #[test]
    fn the_instant_is_the_one_sqlx_reads() {
        const DAY: i64 = 86_400_000_000;
        let mut samples = vec![
            0,
            1,
            -1,
            DAY - 1,
            -DAY,
            // Now, the first and last microsecond of the years the API
            // writes with four digits, and around leap days.
            as_micros("2026-12-07T11:27:15.730123Z"),
            as_micros("0001-01-01T00:00:00Z"),
            as_micros("9999-12-31T23:59:59.999999Z"),
            as_micros("2024-02-29T12:00:00Z"),
            as_micros("1900-03-01T00:00:00Z"),
        ];
        // Every 37 hours and 1 µs, 250 years either side of 2000.
        let step = 37 * 3_600_000_000 + 1;
        samples.extend((-60_000..60_000).map(|n| n * step));
        for micros in samples {
            assert_eq!(
                from_postgres_micros(micros),
                Some(as_sqlx_reads_it(micros)),
                "{micros} µs"
            );
        }
    }

    fn as_micros(at: &str) -> i64 {
        let at: DateTime<Utc> = at.parse().unwrap();
        (at - as_sqlx_reads_it(0)).num_microseconds().unwrap()
    }

    #[test]
    fn what_chrono_cannot_hold_is_none() {
        // PostgreSQL's `infinity` and `-infinity`.
        assert_eq!(from_postgres_micros(i64::MAX), None);
        assert_eq!(from_postgres_micros(i64::MIN), None);
    }
}
