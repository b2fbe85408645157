//! What the task list shows: the `/tasks` query string (tab, search, sort,
//! page), its translation to the API's [`ListQuery`], and back to links.

use serde::Deserialize;
use todo_api::{ListQuery, SortField, SortOrder, StatusFilter};

/// Tasks per page; the API's maximum, so most lists fit on one page.
pub const PAGE_SIZE: u32 = todo_api::limits::PAGE_LIMIT_MAX;

/// The sort menu: one choice names both the field and the direction.
pub const SORTS: &[(&str, &str, SortField, SortOrder)] = &[
    (
        "newest",
        "Newest first",
        SortField::CreatedAt,
        SortOrder::Desc,
    ),
    (
        "oldest",
        "Oldest first",
        SortField::CreatedAt,
        SortOrder::Asc,
    ),
    ("due", "Due date", SortField::DueDate, SortOrder::Asc),
    ("priority", "Priority", SortField::Priority, SortOrder::Desc),
    ("title", "Title A–Z", SortField::Title, SortOrder::Asc),
    (
        "updated",
        "Recently updated",
        SortField::UpdatedAt,
        SortOrder::Desc,
    ),
];

/// The query string as sent; blank values mean "default".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawFilter {
    pub status: String,
    pub q: String,
    pub sort: String,
    pub page: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub status: StatusFilter,
    pub q: String,
    /// Key into [`SORTS`].
    pub sort: &'static str,
    /// 1-based.
    pub page: u64,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            status: StatusFilter::All,
            q: String::new(),
            sort: SORTS[0].0,
            page: 1,
        }
    }
}

impl RawFilter {
    /// A hand-edited URL with an unknown value gets a message naming it.
    pub fn parse(&self) -> Result<Filter, String> {
        let mut filter = Filter {
            q: self.q.trim().to_owned(),
            ..Filter::default()
        };
        if !self.status.trim().is_empty() {
            filter.status = self
                .status
                .trim()
                .parse()
                .map_err(|e| format!("status {e}"))?;
        }
        if !self.sort.trim().is_empty() {
            filter.sort = SORTS
                .iter()
                .find(|(key, ..)| *key == self.sort.trim())
                .map(|(key, ..)| *key)
                .ok_or_else(|| {
                    let keys: Vec<_> = SORTS.iter().map(|(key, ..)| *key).collect();
                    format!("sort must be one of: {}", keys.join(", "))
                })?;
        }
        if !self.page.trim().is_empty() {
            filter.page = self
                .page
                .trim()
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or("page must be a whole number from 1")?;
        }
        Ok(filter)
    }
}

impl Filter {
    pub fn to_query(&self) -> ListQuery {
        let (_, _, field, order) = SORTS
            .iter()
            .find(|(key, ..)| *key == self.sort)
            .copied()
            .unwrap_or(SORTS[0]);
        ListQuery {
            status: Some(self.status),
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            sort: Some(field),
            order: Some(order),
            limit: Some(PAGE_SIZE),
            offset: Some((self.page - 1) * u64::from(PAGE_SIZE)),
            ..ListQuery::default()
        }
    }

    /// The `/tasks` URL showing this filter; defaults are left out so
    /// links stay short.
    pub fn href(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if self.status != StatusFilter::All {
            query.append_pair("status", self.status.as_str());
        }
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if self.sort != SORTS[0].0 {
            query.append_pair("sort", self.sort);
        }
        if self.page != 1 {
            query.append_pair("page", &self.page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "/tasks".to_owned()
        } else {
            format!("/tasks?{query}")
        }
    }

    /// The same view on another tab (back to its first page).
    pub fn with_status(&self, status: StatusFilter) -> Filter {
        Filter {
            status,
            page: 1,
            ..self.clone()
        }
    }

    pub fn with_page(&self, page: u64) -> Filter {
        Filter {
            page,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: &str, q: &str, sort: &str, page: &str) -> RawFilter {
        RawFilter {
            status: status.into(),
            q: q.into(),
            sort: sort.into(),
            page: page.into(),
        }
    }

    #[test]
    fn blank_values_are_defaults_and_links_round_trip() {
        let filter = raw("", "", "", "").parse().unwrap();
        assert_eq!(filter, Filter::default());
        assert_eq!(filter.href(), "/tasks");

        let filter = raw("active", " milk & eggs ", "due", "2").parse().unwrap();
        assert_eq!(
            filter.href(),
            "/tasks?status=active&q=milk+%26+eggs&sort=due&page=2"
        );
        let query = filter.to_query();
        assert_eq!(query.sort, Some(SortField::DueDate));
        assert_eq!(query.order, Some(SortOrder::Asc));
        assert_eq!(query.offset, Some(u64::from(PAGE_SIZE)));
        assert_eq!(query.q.as_deref(), Some("milk & eggs"));
    }

    #[test]
    fn unknown_values_are_named() {
        assert!(
            raw("done", "", "", "")
                .parse()
                .unwrap_err()
                .contains("status")
        );
        assert!(
            raw("", "", "colour", "")
                .parse()
                .unwrap_err()
                .contains("sort")
        );
        assert!(raw("", "", "", "0").parse().unwrap_err().contains("page"));
    }
}
