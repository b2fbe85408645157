//! What a credential may do: the scopes of a login (everything) or a
//! personal access token (`tasks:read`, or with `tasks:write`).

use todo_api::Scope;

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
}

impl Scopes {
    /// Everything: what a login holds.
    pub const ALL: Scopes = Scopes {
        read: true,
        write: true,
    };

    /// From a stored, space-separated scope string; unknown words grant
    /// nothing.
    pub fn parse(stored: &str) -> Self {
        let words: Vec<Scope> = stored
            .split_whitespace()
            .filter_map(|word| word.parse().ok())
            .collect();
        Self {
            read: words.contains(&Scope::TasksRead),
            write: words.contains(&Scope::TasksWrite),
        }
    }

    /// The stored, space-separated form.
    pub fn to_words(self) -> String {
        let mut words = Vec::new();
        if self.read {
            words.push(Scope::TasksRead.as_str());
        }
        if self.write {
            words.push(Scope::TasksWrite.as_str());
        }
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_from_words_and_back() {
        assert_eq!(Scopes::parse("tasks:read tasks:write"), Scopes::ALL);
        let read_only = Scopes::parse("tasks:read");
        assert!(read_only.read && !read_only.write);
        assert_eq!(read_only.to_words(), "tasks:read");
        assert_eq!(Scopes::ALL.to_words(), "tasks:read tasks:write");
        let nothing = Scopes::parse("admin everything");
        assert!(!nothing.read && !nothing.write);
    }
}
