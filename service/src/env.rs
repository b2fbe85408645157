//! Reading configuration from environment variables: each value is read
//! once, typed, and a bad one becomes a [`ConfigError`] naming its variable
//! (startup prints that one line and exits 2). Blank values count as unset;
//! values are trimmed.

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

/// One bad variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

pub fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// A lookup over fixed `(name, value)` pairs, standing in for the
/// environment in tests.
pub fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// Typed access to a source of variables: the process environment, or a
/// map in tests.
#[derive(Debug)]
pub struct Vars<F>(F);

impl Vars<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn from_env() -> Self {
        Vars(|name| std::env::var(name).ok())
    }
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(lookup: F) -> Self {
        Vars(lookup)
    }

    /// The trimmed value; `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// `default` when unset; `expected` says what a good value looks like.
    pub fn parse<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| invalid(name, format!("{raw:?} is not {expected}"))),
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`); unset is false.
    pub fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(other) => Err(invalid(name, format!("{other:?} is not true or false"))),
        }
    }

    /// A whole number of `unit`s within `range`; `default` when unset.
    pub fn count_within<T: FromStr + PartialOrd + Display>(
        &self,
        name: &'static str,
        default: T,
        range: RangeInclusive<T>,
        unit: &str,
    ) -> Result<T, ConfigError> {
        let (low, high) = (range.start(), range.end());
        let value = self.parse(
            name,
            default,
            &format!("a whole number of {unit} ({low}–{high})"),
        )?;
        if !range.contains(&value) {
            return Err(invalid(name, format!("must be between {low} and {high}")));
        }
        Ok(value)
    }

    /// A whole, positive number of seconds.
    pub fn seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parse(name, default, "a whole number of seconds")?;
        if secs == 0 {
            return Err(invalid(name, "must be at least 1"));
        }
        Ok(Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Vars::new(move |k| map.get(k).cloned())
    }

    #[test]
    fn blank_is_unset_and_values_are_trimmed() {
        let vars = vars(&[("A", "  "), ("B", " 42 ")]);
        assert_eq!(vars.get("A"), None);
        assert_eq!(vars.parse("B", 0u32, "a number"), Ok(42));
        assert_eq!(vars.parse("C", 7u32, "a number"), Ok(7));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let vars = vars(&[("FLAG", "maybe"), ("WAIT", "0"), ("N", "x")]);
        assert_eq!(vars.flag("FLAG").unwrap_err().variable, "FLAG");
        assert_eq!(vars.seconds("WAIT", 5).unwrap_err().variable, "WAIT");
        let error = vars
            .count_within("WAIT", 5u32, 1..=60, "seconds")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration error: WAIT: must be between 1 and 60"
        );
        let error = vars.count_within("N", 5u32, 1..=60, "seconds").unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration error: N: \"x\" is not a whole number of seconds (1–60)"
        );
        assert_eq!(vars.count_within("UNSET", 5u32, 1..=60, "seconds"), Ok(5));
        let error = vars.parse::<u8>("N", 0, "a small number").unwrap_err();
        assert_eq!(
            error.to_string(),
            "configuration error: N: \"x\" is not a small number"
        );
    }
}
