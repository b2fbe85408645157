//! Reminder minutes as a [`TaskView`](crate::TaskView) holds them.

use std::io::Write;

/// A task's reminders (minutes before its due time), borrowed: either as
/// the store keeps them (the numbers joined by spaces, read back without
/// splitting them into a vector first) or from a [`Task`](crate::Task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinutesView<'a> {
    /// As stored: decimal numbers separated by single spaces; `""` for none.
    Stored(&'a str),
    Listed(&'a [u32]),
}

impl<'a> MinutesView<'a> {
    /// The minutes, in order. A stored number that does not parse is
    /// skipped: the store writes only what the parser accepted.
    pub fn iter(self) -> impl Iterator<Item = u32> + 'a {
        let (stored, listed) = match self {
            Self::Stored(text) => (Some(text.split_ascii_whitespace()), None),
            Self::Listed(minutes) => (None, Some(minutes.iter().copied())),
        };
        stored
            .into_iter()
            .flatten()
            .filter_map(|number| number.parse().ok())
            .chain(listed.into_iter().flatten())
    }

    /// Appends the JSON array, as serde writes a `Vec<u32>`.
    pub(crate) fn write_json(self, json: &mut Vec<u8>) {
        json.push(b'[');
        for (index, minutes) in self.iter().enumerate() {
            if index > 0 {
                json.push(b',');
            }
            // Writing into a Vec cannot fail.
            let _ = write!(json, "{minutes}");
        }
        json.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_listed_minutes_write_the_same_json() {
        for (stored, listed) in [
            ("", &[][..]),
            ("0", &[0][..]),
            ("0 60 1440", &[0, 60, 1440][..]),
        ] {
            let mut from_store = Vec::new();
            MinutesView::Stored(stored).write_json(&mut from_store);
            let mut from_list = Vec::new();
            MinutesView::Listed(listed).write_json(&mut from_list);
            assert_eq!(from_store, from_list);
            assert_eq!(from_store, serde_json::to_vec(listed).unwrap());
        }
    }
}
