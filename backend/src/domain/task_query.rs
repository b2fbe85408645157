//! The task list's query string, parsed with every bad parameter reported.

use chrono::NaiveDate;
use todo_api::limits::PAGE_LIMIT_DEFAULT;
use todo_api::{Priority, SortField, SortOrder, StatusFilter};

use super::fields::FieldErrors;
use super::page::{parse_limit, parse_offset};
use super::task::{Tag, parse_date};

/// The parsed query string of `GET /api/tasks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskQuery {
    pub status: StatusFilter,
    /// Search text, trimmed; `None` when blank.
    pub search: Option<String>,
    pub priority: Option<Priority>,
    pub tag: Option<Tag>,
    pub due_before: Option<NaiveDate>,
    pub sort: SortField,
    pub order: SortOrder,
    pub limit: u32,
    pub offset: u64,
}

impl Default for TaskQuery {
    fn default() -> Self {
        Self {
            status: StatusFilter::All,
            search: None,
            priority: None,
            tag: None,
            due_before: None,
            sort: SortField::CreatedAt,
            order: SortOrder::Desc,
            limit: PAGE_LIMIT_DEFAULT,
            offset: 0,
        }
    }
}

use todo_api::limits::SEARCH_MAX_CHARS;

impl TaskQuery {
    /// Parses `key=value` pairs; unknown or repeated keys are errors so a
    /// typo never silently widens the result.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut query = TaskQuery::default();
        let mut errors = FieldErrors::default();
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            if seen.contains(&key.as_str()) {
                errors.add(key.clone(), "must be given at most once");
                continue;
            }
            seen.push(key);
            match key.as_str() {
                "status" => {
                    if let Some(v) = errors.check(key, value.parse()) {
                        query.status = v;
                    }
                }
                "q" => {
                    let q = value.trim();
                    if q.chars().count() > SEARCH_MAX_CHARS {
                        errors.add(
                            "q",
                            format!("must be at most {SEARCH_MAX_CHARS} characters"),
                        );
                    } else if q.contains('\0') {
                        errors.add("q", "must not contain NUL characters");
                    } else if !q.is_empty() {
                        query.search = Some(q.to_owned());
                    }
                }
                "priority" => query.priority = errors.check(key, value.parse()),
                "tag" => query.tag = errors.check(key, Tag::parse(value)),
                "due_before" => query.due_before = errors.check(key, parse_date(value)),
                "sort" => {
                    if let Some(v) = errors.check(key, value.parse()) {
                        query.sort = v;
                    }
                }
                "order" => {
                    if let Some(v) = errors.check(key, value.parse()) {
                        query.order = v;
                    }
                }
                "limit" => {
                    if let Some(limit) = errors.check(key, parse_limit(value)) {
                        query.limit = limit;
                    }
                }
                "offset" => {
                    if let Some(offset) = errors.check(key, parse_offset(value)) {
                        query.offset = offset;
                    }
                }
                _ => errors.add(key.clone(), "is not a known query parameter"),
            }
        }
        errors.finish(|| query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<TaskQuery, FieldErrors> {
        let pairs: Vec<_> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TaskQuery::parse(&pairs)
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        assert_eq!(parse(&[]).unwrap(), TaskQuery::default());
    }

    #[test]
    fn limits_and_offsets_are_bounded() {
        for bad in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("offset", "-1"),
        ] {
            assert!(parse(&[bad]).is_err(), "{bad:?}");
        }
        assert_eq!(parse(&[("limit", "100")]).unwrap().limit, 100);
    }

    #[test]
    fn unknown_and_repeated_keys_are_reported() {
        let errors = parse(&[("prority", "high"), ("q", "a"), ("q", "b")])
            .unwrap_err()
            .into_map();
        assert!(errors.contains_key("prority"));
        assert!(errors.contains_key("q"));
    }
}
