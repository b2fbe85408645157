//! The paging parameters of the conversation and message lists, read like
//! the task list's: every bad or unknown parameter is reported.

use todo_api::limits::{PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX};

use super::fields::FieldErrors;

/// `limit`: 1 to [`PAGE_LIMIT_MAX`].
pub fn parse_limit(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if (1..=PAGE_LIMIT_MAX).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from 1 to {PAGE_LIMIT_MAX}")),
    }
}

/// `offset`: what the databases take as a row count.
pub fn parse_offset(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n <= i64::MAX as u64 => Ok(n),
        _ => Err("must be a non-negative integer".into()),
    }
}

/// `before`: a message position.
fn parse_position(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n <= i32::MAX as u32 => Ok(n),
        _ => Err("must be a message position (a non-negative integer)".into()),
    }
}

/// Reads `pairs`, handing each known key's value to `read`; unknown and
/// repeated keys are errors, so a typo never silently changes the page.
fn read_pairs(
    pairs: &[(String, String)],
    known: &[&str],
    mut read: impl FnMut(&str, &str, &mut FieldErrors),
) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key.as_str()) {
            errors.add(key.clone(), "must be given at most once");
        } else if !known.contains(&key.as_str()) {
            errors.add(key.clone(), "is not a known query parameter");
        } else {
            seen.push(key);
            read(key, value, &mut errors);
        }
    }
    errors
}

/// One page of the conversation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationPage {
    pub limit: u32,
    pub offset: u64,
}

impl ConversationPage {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut page = Self {
            limit: PAGE_LIMIT_DEFAULT,
            offset: 0,
        };
        let errors = read_pairs(pairs, &["limit", "offset"], |key, value, errors| {
            if key == "limit" {
                page.limit = errors.check(key, parse_limit(value)).unwrap_or(page.limit);
            } else {
                page.offset = errors.check(key, parse_offset(value)).unwrap_or(0);
            }
        });
        errors.finish(|| page)
    }
}

/// One page of a conversation's messages, read backwards from its end:
/// the newest `limit` before position `before` (all, when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagePage {
    pub limit: u32,
    pub before: Option<u32>,
}

impl MessagePage {
    pub fn newest(limit: u32) -> Self {
        Self {
            limit,
            before: None,
        }
    }

    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut page = Self::newest(PAGE_LIMIT_DEFAULT);
        let errors = read_pairs(pairs, &["limit", "before"], |key, value, errors| {
            if key == "limit" {
                page.limit = errors.check(key, parse_limit(value)).unwrap_or(page.limit);
            } else {
                page.before = errors.check(key, parse_position(value));
            }
        });
        errors.finish(|| page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            ConversationPage::parse(&[]).unwrap(),
            ConversationPage {
                limit: PAGE_LIMIT_DEFAULT,
                offset: 0
            }
        );
        assert_eq!(
            MessagePage::parse(&pairs(&[("limit", "100"), ("before", "7")])).unwrap(),
            MessagePage {
                limit: 100,
                before: Some(7)
            }
        );
        for bad in [
            ("limit", "0"),
            ("limit", "101"),
            ("offset", "-1"),
            ("before", "x"),
        ] {
            let wrong = pairs(&[bad]);
            let refused = if bad.0 == "before" {
                MessagePage::parse(&wrong).is_err()
            } else {
                ConversationPage::parse(&wrong).is_err()
            };
            assert!(refused, "{bad:?}");
        }
        assert!(ConversationPage::parse(&pairs(&[("before", "1")])).is_err());
        assert!(MessagePage::parse(&pairs(&[("offset", "1")])).is_err());
        assert!(MessagePage::parse(&pairs(&[("limit", "5"), ("limit", "6")])).is_err());
    }
}
