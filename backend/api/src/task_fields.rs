//! A task's fields, listed once. [`Task`](crate::Task),
//! [`TaskView`](crate::TaskView), the conversions between them and
//! [`TaskListWriter`](crate::TaskListWriter) follow from the table in
//! [`task_fields!`], and so do the backend's column list and row decoder:
//! adding a field is one row here, plus a kind below if it is a new kind.
//!
//! A field's kind says how it is held (in `Task`), borrowed (in
//! `TaskView`), written as JSON, and stored:
//!
//! | kind | owned | borrowed | stored |
//! |---|---|---|---|
//! | `id` | `Uuid` | `Uuid` | `uuid` |
//! | `text` | `String` | `&str` | text |
//! | `optional_text` | `Option<String>` | `Option<&str>` | text, nullable |
//! | `flag` | `bool` | `bool` | boolean |
//! | `priority` | `Priority` | `Priority` | its rank, 0–2 |
//! | `optional_date` | `Option<NaiveDate>` | same | date, nullable |
//! | `minutes` | `Vec<u32>` | [`MinutesView`](crate::MinutesView) | the numbers joined by spaces |
//! | `optional_id` | `Option<Uuid>` | same | `uuid`, nullable |
//! | `tags` | `Vec<String>` | any `IntoIterator<Item = &str>` | the names joined by spaces |
//! | `timestamp` | `DateTime<Utc>` | same | timestamp with time zone |

/// Calls `$then! { … }` with the task's fields in wire and column order,
/// each as `#[attributes] name: Type => kind`: the type `Task` holds it as
/// (written out, not derived from the kind, so derives such as utoipa's
/// see a plain type). The attributes are `Task`'s (its docs and serde
/// options); other consumers ignore them.
#[macro_export]
macro_rules! task_fields {
    ($then:ident) => {
        $then! {
            id: ::uuid::Uuid => id,
            title: String => text,
            description: Option<String> => optional_text,
            completed: bool => flag,
            priority: $crate::Priority => priority,
            /// `YYYY-MM-DD`
            #[serde(serialize_with = "crate::wire_time::optional_date")]
            due_date: Option<::chrono::NaiveDate> => optional_date,
            /// `HH:MM`, wall-clock time in the owner's time zone; needs
            /// `due_date`. `null`: due some time that day.
            due_time: Option<String> => optional_text,
            /// How the task repeats: an RRULE value (RFC 5545), e.g.
            /// `FREQ=WEEKLY;BYDAY=MO,TH`; needs `due_date`. Completing the
            /// task creates the next occurrence.
            recurrence: Option<String> => optional_text,
            /// `recurrence` in words, e.g. `every Monday and Thursday`.
            recurrence_summary: Option<String> => optional_text,
            /// Reminders, as minutes before the due time (0: at the due
            /// time), ascending; need `due_time`.
            // Default: read from a server older than reminders, as a
            // frontend may during a rolling upgrade.
            #[serde(default)]
            reminders: Vec<u32> => minutes,
            tags: Vec<String> => tags,
            /// The occurrence that completing this one created; `null`
            /// otherwise (and once that occurrence is deleted).
            next_occurrence_id: Option<::uuid::Uuid> => optional_id,
            #[serde(serialize_with = "crate::wire_time::timestamp")]
            created_at: ::chrono::DateTime<::chrono::Utc> => timestamp,
            #[serde(serialize_with = "crate::wire_time::timestamp")]
            updated_at: ::chrono::DateTime<::chrono::Utc> => timestamp,
        }
    };
}

/// The type a kind is borrowed as in [`TaskView`](crate::TaskView), whose
/// parameters are the text's lifetime `'a` and the tags' type `Tags`;
/// kinds not named here are copied, as the type `Task` holds.
macro_rules! view_type {
    (text, $owned:ty) => { &'a str };
    (optional_text, $owned:ty) => { Option<&'a str> };
    (tags, $owned:ty) => { Tags };
    (minutes, $owned:ty) => { $crate::MinutesView<'a> };
    ($copied:ident, $owned:ty) => { $owned };
}

/// A `Task` field's value borrowed for a `TaskView`.
macro_rules! borrow_value {
    (text, $value:expr) => {
        $value.as_str()
    };
    (optional_text, $value:expr) => {
        $value.as_deref()
    };
    (tags, $value:expr) => {
        $value.iter().map(String::as_str as fn(&String) -> &str)
    };
    (minutes, $value:expr) => {
        $crate::MinutesView::Listed(&$value)
    };
    ($copied:ident, $value:expr) => {
        $value
    };
}

/// A `TaskView` field's value owned for a `Task`.
macro_rules! own_value {
    (text, $value:expr) => {
        $value.to_owned()
    };
    (optional_text, $value:expr) => {
        $value.map(str::to_owned)
    };
    (tags, $value:expr) => {
        $value.clone().into_iter().map(str::to_owned).collect()
    };
    (minutes, $value:expr) => {
        $value.iter().collect()
    };
    ($copied:ident, $value:expr) => {
        $value
    };
}

/// Appends a `TaskView` field's value as JSON, exactly as serde writes
/// the `Task` field (the list writer's tests hold it to that).
macro_rules! write_value {
    (id, $json:expr, $value:expr) => {{
        $json.push(b'"');
        $json.extend_from_slice(
            $value
                .hyphenated()
                .encode_lower(&mut ::uuid::Uuid::encode_buffer())
                .as_bytes(),
        );
        $json.push(b'"');
    }};
    (text, $json:expr, $value:expr) => {
        $crate::json_string::write_string($json, $value)
    };
    (optional_text, $json:expr, $value:expr) => {
        match $value {
            Some(text) => $crate::json_string::write_string($json, text),
            None => $json.extend_from_slice(b"null"),
        }
    };
    (optional_id, $json:expr, $value:expr) => {
        match $value {
            Some(id) => write_value!(id, $json, id),
            None => $json.extend_from_slice(b"null"),
        }
    };
    (minutes, $json:expr, $value:expr) => {
        $value.write_json($json)
    };
    (flag, $json:expr, $value:expr) => {
        $json.extend_from_slice(if $value { b"true" } else { b"false" })
    };
    (priority, $json:expr, $value:expr) => {{
        $json.push(b'"');
        $json.extend_from_slice($value.as_str().as_bytes());
        $json.push(b'"');
    }};
    (optional_date, $json:expr, $value:expr) => {
        match &$value {
            Some(date) => $crate::wire_time::with_date(date, |text| {
                $crate::json_string::write_string($json, text)
            }),
            None => $json.extend_from_slice(b"null"),
        }
    };
    (tags, $json:expr, $value:expr) => {{
        $json.push(b'[');
        for (index, tag) in $value.clone().into_iter().enumerate() {
            if index > 0 {
                $json.push(b',');
            }
            $crate::json_string::write_string($json, tag);
        }
        $json.push(b']');
    }};
    (timestamp, $json:expr, $value:expr) => {
        $crate::wire_time::with_timestamp(&$value, |text| {
            $crate::json_string::write_string($json, text)
        })
    };
}

/// Declares `Task`, `TaskView`, their conversions and the list writer's
/// `push_fields` from the table.
macro_rules! define_task {
    (
        $(#[$first_meta:meta])* $first:ident : $first_owned:ty => $first_kind:ident,
        $($(#[$meta:meta])* $name:ident : $owned:ty => $kind:ident),* $(,)?
    ) => {
        #[derive(Debug, Clone, PartialEq, Eq, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct Task {
            $(#[$first_meta])* pub $first: $first_owned,
            $($(#[$meta])* pub $name: $owned,)*
        }

        /// A task that borrows its text. `Tags` yields the tag names, so
        /// tags can stay in whatever form they were read.
        // Debug and Clone by hand: derives cannot see through type macros.
        pub struct TaskView<'a, Tags> {
            pub $first: view_type!($first_kind, $first_owned),
            $(pub $name: view_type!($kind, $owned),)*
        }

        impl<Tags: Clone> Clone for TaskView<'_, Tags> {
            fn clone(&self) -> Self {
                Self {
                    $first: self.$first.clone(),
                    $($name: self.$name.clone(),)*
                }
            }
        }

        impl<Tags: ::std::fmt::Debug> ::std::fmt::Debug for TaskView<'_, Tags> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("TaskView")
                    .field(stringify!($first), &self.$first)
                    $(.field(stringify!($name), &self.$name))*
                    .finish()
            }
        }

        /// The tags of a task borrowed from a [`Task`].
        pub type BorrowedTags<'a> =
            ::std::iter::Map<::std::slice::Iter<'a, String>, fn(&String) -> &str>;

        impl Task {
            /// This task, borrowed.
            pub fn view(&self) -> TaskView<'_, BorrowedTags<'_>> {
                TaskView {
                    $first: borrow_value!($first_kind, self.$first),
                    $($name: borrow_value!($kind, self.$name),)*
                }
            }
        }

        impl<'a, Tags> TaskView<'a, Tags>
        where
            Tags: Clone + IntoIterator<Item = &'a str>,
        {
            /// This task, owned.
            pub fn to_task(&self) -> Task {
                Task {
                    $first: own_value!($first_kind, self.$first),
                    $($name: own_value!($kind, self.$name),)*
                }
            }

            /// Appends this task's JSON object, fields in `Task`'s order.
            pub(crate) fn write_json(&self, json: &mut Vec<u8>) {
                json.extend_from_slice(concat!("{\"", stringify!($first), "\":").as_bytes());
                write_value!($first_kind, json, self.$first);
                $(
                    json.extend_from_slice(concat!(",\"", stringify!($name), "\":").as_bytes());
                    write_value!($kind, json, self.$name);
                )*
                json.push(b'}');
            }
        }
    };
}

task_fields!(define_task);
