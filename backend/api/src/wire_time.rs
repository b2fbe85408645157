//! How timestamps and dates are written on the wire, exactly as chrono's
//! own `Serialize` writes them (`2026-12-05T08:35:44.576123Z`, with 0, 3,
//! 6 or 9 fraction digits; `2026-12-05`), but formatted into a buffer and
//! handed to the serializer as one string.
//!
//! Why: chrono serialises through `collect_str`, which feeds serde_json
//! one character at a time, each through its escaping routine; a page of
//! 50 tasks spent more on its 100 timestamps than on all its titles and
//! descriptions. Reading is chrono's own `Deserialize`, unchanged.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serializer;

/// For `#[serde(serialize_with = "crate::wire_time::timestamp")]`.
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// For `#[serde(serialize_with = "crate::wire_time::optional_date")]`.
pub fn optional_date<S: Serializer>(
    date: &Option<NaiveDate>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => serializer.serialize_str(&date.to_string()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "timestamp")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "optional_date")]
        on: Option<NaiveDate>,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<Utc>,
        on: Option<NaiveDate>,
    }

    #[test]
    fn the_wire_format_is_chronos_own() {
        let base = Utc.with_ymd_and_hms(2026, 12, 5, 8, 35, 44).unwrap();
        let fractions = [
            Duration::zero(),
            Duration::milliseconds(576),
            Duration::microseconds(576_123),
            Duration::microseconds(100),
            Duration::nanoseconds(576_123_001),
            Duration::microseconds(999_999),
        ];
        let dates = [
            None,
            NaiveDate::from_ymd_opt(2026, 1, 2),
            NaiveDate::from_ymd_opt(9999, 12, 31),
            NaiveDate::from_ymd_opt(1, 1, 1),
        ];
        for fraction in fractions {
            for on in dates {
                let at = base + fraction;
                let fast = serde_json::to_string(&Fast { at, on }).unwrap();
                let chrono = serde_json::to_string(&Chrono { at, on }).unwrap();
                assert_eq!(fast, chrono);
            }
        }
    }
}
