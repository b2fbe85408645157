//! Reading JSON objects member by member, collecting every field error.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Every problem found in one request, keyed by field name, so a client
/// sees all of them in a single 422 rather than one per round trip.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    /// `Ok(value)` when nothing was recorded, else every recorded problem.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }

    /// Records the error of `result` under `field`, passing the value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }
}

/// Reads the members of a JSON object one by one, recording type errors in
/// a shared [`FieldErrors`]; whatever is left at the end is an unknown field.
#[derive(Debug)]
pub struct JsonFields {
    map: Map<String, Value>,
    pub errors: FieldErrors,
}

/// The state of one member: absent, explicitly `null`, or a value.
#[derive(Debug, PartialEq)]
pub enum Member<T> {
    Absent,
    Null,
    Value(T),
}

impl JsonFields {
    pub fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            errors: FieldErrors::default(),
        }
    }

    fn take(&mut self, key: &str) -> Member<Value> {
        match self.map.remove(key) {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(value) => Member::Value(value),
        }
    }

    /// A string member; `null` is reported as a type error unless allowed.
    pub fn string(&mut self, key: &str, nullable: bool) -> Member<String> {
        match self.take(key) {
            Member::Absent => Member::Absent,
            Member::Null if nullable => Member::Null,
            Member::Value(Value::String(s)) => Member::Value(s),
            _ => {
                self.errors.add(key, "must be a string");
                Member::Null
            }
        }
    }

    /// A required string: absent or `null` is "is required".
    pub fn required_string(&mut self, key: &str) -> Option<String> {
        match self.string(key, true) {
            Member::Value(s) => Some(s),
            Member::Absent | Member::Null => {
                self.errors.add(key, "is required");
                None
            }
        }
    }

    /// A required whole number within `range`: absent or `null` is "is
    /// required", anything else outside it says the range.
    pub fn required_integer(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let problem = format!(
            "must be a whole number from {} to {}",
            range.start(),
            range.end()
        );
        match self.take(key) {
            Member::Absent | Member::Null => {
                self.errors.add(key, "is required");
                None
            }
            // 7 and 7.0 are the same JSON integer (as JSON Schema counts).
            Member::Value(Value::Number(n)) => match n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                        .map(|f| f as u64)
                })
                .filter(|n| range.contains(n))
            {
                Some(n) => Some(n),
                None => {
                    self.errors.add(key, problem);
                    None
                }
            },
            Member::Value(_) => {
                self.errors.add(key, problem);
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Member<bool> {
        match self.take(key) {
            Member::Absent => Member::Absent,
            Member::Value(Value::Bool(b)) => Member::Value(b),
            _ => {
                self.errors.add(key, "must be true or false");
                Member::Null
            }
        }
    }

    pub fn string_array(&mut self, key: &str) -> Member<Vec<String>> {
        match self.take(key) {
            Member::Absent => Member::Absent,
            Member::Value(Value::Array(items)) => {
                let mut strings = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => strings.push(s),
                        _ => {
                            self.errors.add(key, "must be an array of strings");
                            return Member::Null;
                        }
                    }
                }
                Member::Value(strings)
            }
            _ => {
                self.errors.add(key, "must be an array of strings");
                Member::Null
            }
        }
    }

    /// An array of whole numbers of either sign (7.0 counts as 7); the
    /// caller says which are in range. Bounded by the body's size.
    pub fn integer_array(&mut self, key: &str) -> Member<Vec<i64>> {
        const PROBLEM: &str = "must be an array of whole numbers";
        match self.take(key) {
            Member::Absent => Member::Absent,
            Member::Value(Value::Array(items)) => {
                let mut numbers = Vec::with_capacity(items.len());
                for item in items {
                    let number = item.as_i64().or_else(|| {
                        item.as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() <= i64::MAX as f64)
                            .map(|f| f as i64)
                    });
                    match number {
                        Some(number) => numbers.push(number),
                        None => {
                            self.errors.add(key, PROBLEM);
                            return Member::Null;
                        }
                    }
                }
                Member::Value(numbers)
            }
            _ => {
                self.errors.add(key, PROBLEM);
                Member::Null
            }
        }
    }

    /// Reports every member nobody asked for, then hands back the errors.
    pub fn finish(mut self) -> FieldErrors {
        for key in self.map.keys() {
            self.errors.add(key.clone(), "is not a known field");
        }
        self.errors
    }
}
