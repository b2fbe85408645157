//! Domain types that can only hold valid values: handlers parse raw input
//! into these once, and everything past the parser relies on them.

mod account;
mod chat;
mod fields;
mod page;
mod quota;
mod recurrence;
mod schedule;
mod scopes;
mod task;
mod task_query;
mod user;

pub use account::{AccountDeletion, NewPersonalToken, PasswordChange, token_scope};
pub use chat::ChatTurn;
pub use fields::{FieldErrors, JsonFields};
pub use page::{ConversationPage, MessagePage, parse_limit};
pub use quota::{Quota, Quotas, TAGS_PER_TASK};
pub use recurrence::Recurrence;
pub use schedule::{DueTime, Reminders, TimeZoneName};
pub use scopes::Scopes;
pub(crate) use task::parse_date;
pub use task::{
    NEED_DUE_TIME, NEEDS_DUE_DATE, StoredTags, Tag, Tags, TaskChanges, TaskDescription, TaskDraft,
    TaskTitle,
};
pub use task_query::TaskQuery;
pub use user::{Credentials, Email, Password, ProfileChange, Signup, UserName};

/// The OpenAPI document states these rules as `todo_api::patterns`; here
/// each pattern must accept exactly what its parser accepts.
#[cfg(test)]
mod patterns_agree {
    use regex::Regex;
    use todo_api::limits::{DESCRIPTION_MAX_CHARS, EMAIL_MAX_CHARS};
    use todo_api::patterns;

    use super::*;

    /// Characters at the edges of every rule: whitespace `trim` removes
    /// and whitespace it does not, controls, NUL, separators, non-ASCII.
    const ALPHABET: &[char] = &[
        'a', 'Z', '7', '-', '.', '@', ' ', '\t', '\n', '\u{b}', '\u{1c}', '\u{0}', '\u{7f}',
        '\u{85}', '\u{a0}', '\u{2003}', '\u{200b}', '\u{3000}', 'é', 'İ', '😀',
    ];

    /// Deterministic strings, their lengths bunched around every limit.
    fn samples() -> Vec<String> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let lengths = [
            0, 1, 2, 3, 5, 31, 32, 33, 98, 99, 100, 101, 102, 198, 200, 202, 253, 255,
        ];
        let mut out = Vec::new();
        for _ in 0..400 {
            let length = lengths[(next() % lengths.len() as u64) as usize];
            let plain = next() % 3 == 0;
            let text: String = (0..length)
                .map(|_| {
                    if plain {
                        ['a', 'b', ' ', '.', '@'][(next() % 5) as usize]
                    } else {
                        ALPHABET[(next() % ALPHABET.len() as u64) as usize]
                    }
                })
                .collect();
            out.push(text);
        }
        out.extend(
            [
                "",
                " ",
                "a",
                " a ",
                "a b",
                "\ta\n",
                "a\tb",
                "ada@example.com",
                " Ada@Example.COM ",
                "a@b",
                "a@.b",
                "a@b.",
                "a@b..c",
                "a@b.c",
                "a b@c.de",
                "@b.c",
                "a@@b.c",
                "x@y.z\u{0}",
                "home",
                "Home",
                "a-1",
                "-",
                &"t".repeat(32),
                &"t".repeat(33),
                &"x".repeat(200),
                &format!(" {} ", "x".repeat(200)),
                &"x".repeat(201),
                "\u{1c}a",
                "a\u{85}",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        out
    }

    /// The pattern, with the document's `maxLength` beside it when given,
    /// accepts a sample exactly when the parser does.
    fn agree(pattern: &str, max_length: Option<usize>, parser: impl Fn(&str) -> bool) {
        let regex = Regex::new(pattern).expect("the pattern compiles in Rust too");
        for sample in samples() {
            let document = regex.is_match(&sample)
                && max_length.is_none_or(|max| sample.chars().count() <= max);
            assert_eq!(
                document,
                parser(&sample),
                "{pattern:?} and the parser disagree on {sample:?}"
            );
        }
    }

    #[test]
    fn titles() {
        agree(patterns::TITLE, None, |s| TaskTitle::parse(s).is_ok());
    }

    #[test]
    fn names() {
        agree(patterns::NAME, None, |s| UserName::parse(s).is_ok());
    }

    #[test]
    fn emails_with_their_length() {
        agree(patterns::EMAIL, Some(EMAIL_MAX_CHARS), |s| {
            Email::parse(s).is_ok()
        });
    }

    #[test]
    fn tags() {
        agree(patterns::TAG, None, |s| Tag::parse(s).is_ok());
    }

    #[test]
    fn descriptions_with_their_length() {
        agree(patterns::NO_NUL, Some(DESCRIPTION_MAX_CHARS), |s| {
            TaskDescription::parse(s).is_ok()
        });
    }

    #[test]
    fn chat_messages() {
        let regex = Regex::new(patterns::CHAT_MESSAGE).expect("compiles");
        let parses = |s: &str| {
            let body = serde_json::json!({"message": s});
            ChatTurn::parse(body.as_object().cloned().unwrap()).is_ok()
        };
        let mut cases = samples();
        cases.extend([
            "m".repeat(4000),
            "m".repeat(4001),
            format!("  {}\n", "m".repeat(4000)),
            format!("m{}m", " ".repeat(3998)),
            format!("m{}m", " ".repeat(3999)),
        ]);
        for sample in cases {
            assert_eq!(
                regex.is_match(&sample),
                parses(&sample),
                "{:?}",
                &sample[..sample.len().min(40)]
            );
        }
    }

    #[test]
    fn due_times() {
        let regex = Regex::new(patterns::DUE_TIME).expect("compiles");
        let mut cases = samples();
        for hour in 0..=25 {
            for minute in [0, 9, 30, 59, 60] {
                cases.push(format!("{hour:02}:{minute:02}"));
                cases.push(format!("{hour}:{minute:02}"));
            }
        }
        cases.extend(["12:00:00", "1200", " 12:00", "12:0", "１2:00"].map(String::from));
        for sample in cases {
            assert_eq!(
                regex.is_match(&sample),
                DueTime::parse(&sample).is_ok(),
                "{sample:?}"
            );
        }
    }

    /// Rules from their parts, in and out of order, in either case, with
    /// values at and past every bound: the pattern accepts exactly what
    /// the API's parser accepts.
    #[test]
    fn repeat_rules() {
        let regex = Regex::new(patterns::RRULE).expect("compiles");
        let frequencies = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "daily"];
        let parts: &[&[&str]] = &[
            &[
                "",
                ";INTERVAL=1",
                ";INTERVAL=2",
                ";INTERVAL=366",
                ";INTERVAL=367",
                ";INTERVAL=0",
            ],
            &[
                "",
                ";BYDAY=MO",
                ";BYDAY=MO,TH",
                ";BYDAY=TH,MO",
                ";BYDAY=MO,TU,WE,TH,FR",
                ";BYDAY=MO,MO",
                ";BYDAY=1MO",
                ";BYDAY=-1FR",
                ";BYDAY=5MO",
                ";BYDAY=+1MO",
                ";BYDAY=SU",
            ],
            &[
                "",
                ";BYMONTHDAY=1",
                ";BYMONTHDAY=31",
                ";BYMONTHDAY=-1",
                ";BYMONTHDAY=32",
                ";BYMONTHDAY=0",
            ],
            &[
                "",
                ";COUNT=1",
                ";COUNT=1000",
                ";COUNT=1001",
                ";COUNT=0",
                ";UNTIL=20261224",
                ";UNTIL=20240229",
                ";UNTIL=20250229",
                ";UNTIL=21000229",
                ";UNTIL=20000229",
                ";UNTIL=20261224T235959Z",
                ";UNTIL=20261224T240000Z",
                ";UNTIL=20261224T120000",
                ";UNTIL=00010101",
                ";UNTIL=00000229",
                ";COUNT=2;UNTIL=20261224",
            ],
            &[
                "",
                ";WKST=SU",
                ";WKST=MO",
                ";WKST=TU",
                ";BYSETPOS=1",
                ";BYHOUR=9",
            ],
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let mut chosen: Vec<&str> = parts.iter().map(|p| p[next(p.len())]).collect();
            if next(10) == 0 {
                let (a, b) = (next(chosen.len()), next(chosen.len()));
                chosen.swap(a, b);
            }
            let mut rule = format!(
                "FREQ={}{}",
                frequencies[next(frequencies.len())],
                chosen.concat()
            );
            match next(20) {
                0 => rule = format!("RRULE:{rule}"),
                1 => rule.push(';'),
                2 => rule = rule.to_lowercase(),
                _ => {}
            }
            assert_eq!(
                regex.is_match(&rule),
                task::parse_recurrence(&rule).is_ok(),
                "{rule}: {:?}",
                task::parse_recurrence(&rule)
            );
            checked += 1;
        }
        assert_eq!(checked, 20_000);
    }

    #[test]
    fn searches() {
        agree(patterns::SEARCH, None, |s| {
            TaskQuery::parse(&[("q".to_owned(), s.to_owned())]).is_ok()
        });
    }
}
