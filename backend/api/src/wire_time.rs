//! How timestamps and dates are written on the wire, exactly as chrono's
//! own `Serialize` writes them (`2026-12-05T08:35:44.576123Z`, with 0, 3,
//! 6 or 9 fraction digits; `2026-12-05`), but formatted on the stack and
//! handed to the serializer as one string.
//!
//! Why: chrono serialises through `collect_str`, which feeds serde_json
//! one character at a time, each through its escaping routine; a page of
//! 50 tasks spent more on its 100 timestamps than on all its titles and
//! descriptions. Its `to_rfc3339_opts` still goes through `fmt` and a new
//! `String`; the usual case (years 0–9999, no leap second) is written
//! digit by digit here, and anything else falls back to chrono. Reading is
//! chrono's own `Deserialize`, unchanged.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// For `#[serde(serialize_with = "crate::wire_time::timestamp")]`.
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    with_timestamp(at, |text| serializer.serialize_str(text))
}

/// For `#[serde(serialize_with = "crate::wire_time::optional_date")]`.
pub fn optional_date<S: Serializer>(
    date: &Option<NaiveDate>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => with_date(date, |text| serializer.serialize_str(text)),
        None => serializer.serialize_none(),
    }
}

/// Hands `write` the wire text of `at`, formatted on the stack unless
/// chrono has to write it.
pub(crate) fn with_timestamp<R>(at: &DateTime<Utc>, write: impl FnOnce(&str) -> R) -> R {
    let mut text = [0u8; 30];
    match write_timestamp(at, &mut text) {
        Some(text) => write(text),
        None => write(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// Hands `write` the wire text of `date`, as [`with_timestamp`] does.
pub(crate) fn with_date<R>(date: &NaiveDate, write: impl FnOnce(&str) -> R) -> R {
    let mut text = [0u8; 10];
    match write_date(date, &mut text) {
        Some(()) => write(ascii(&text)),
        None => write(&date.to_string()),
    }
}

/// `YYYY-MM-DD` into `text`; `None` for a year chrono writes otherwise.
fn write_date(date: &NaiveDate, text: &mut [u8; 10]) -> Option<()> {
    let year = u32::try_from(date.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    digits(&mut text[0..4], year);
    text[4] = b'-';
    digits(&mut text[5..7], date.month());
    text[7] = b'-';
    digits(&mut text[8..10], date.day());
    Some(())
}

/// RFC 3339 in UTC with chrono's `AutoSi` fraction, into `text`; `None`
/// for a year beyond four digits or a leap second.
fn write_timestamp<'t>(at: &DateTime<Utc>, text: &'t mut [u8; 30]) -> Option<&'t str> {
    // The UTC fields straight from the stored date and time: `DateTime`'s
    // own accessors each add the offset (zero for UTC) to the whole
    // date-time first, five times a timestamp.
    let at = at.naive_utc();
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut date = [0u8; 10];
    write_date(&at.date(), &mut date)?;
    text[..10].copy_from_slice(&date);
    text[10] = b'T';
    digits(&mut text[11..13], at.hour());
    text[13] = b':';
    digits(&mut text[14..16], at.minute());
    text[16] = b':';
    digits(&mut text[17..19], at.second());
    let mut end = 19;
    let (fraction, places) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if places > 0 {
        text[end] = b'.';
        digits(&mut text[end + 1..end + 1 + places], fraction);
        end += 1 + places;
    }
    text[end] = b'Z';
    Some(ascii(&text[..=end]))
}

/// `value` in decimal, zero-padded to fill `out`.
fn digits(out: &mut [u8], mut value: u32) {
    for place in out.iter_mut().rev() {
        *place = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn ascii(text: &[u8]) -> &str {
    std::str::from_utf8(text).expect("only ASCII digits and separators were written")
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
            NaiveDate::from_ymd_opt(0, 2, 29),
            NaiveDate::from_ymd_opt(10_000, 1, 1),
            NaiveDate::from_ymd_opt(-1, 12, 31),
        ];
        let bases = [
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-5, 6, 7, 8, 9, 10).unwrap(),
            // A leap second: chrono keeps it as a nanosecond past 10⁹.
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        ];
        for (fraction, base) in fractions.into_iter().flat_map(|f| bases.map(|b| (f, b))) {
            for on in dates {
                let at = base + fraction;
                let fast = serde_json::to_string(&Fast { at, on }).unwrap();
                let chrono = serde_json::to_string(&Chrono { at, on }).unwrap();
                assert_eq!(fast, chrono);
            }
        }
    }
}
