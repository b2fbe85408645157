//! What the offline provider understands, as a table of rules ([`RULES`]):
//! each rule reads one way of saying something, answers the tool call it
//! means, and lists examples of what it reads, which the tests hold it to
//! (each example gives its call, and no earlier rule claims it). Rules are
//! tried in order; the first that reads a command wins.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};
use todo_api::Tool;

use super::new_task::{new_task, when_phrase};

/// A tool call: which tool, with what.
pub type Call = (Tool, Map<String, Value>);

/// A command as the rules read it: without politeness ("please", "can
/// you") and closing punctuation.
#[derive(Debug)]
pub struct Command<'a> {
    pub text: &'a str,
    /// `text` in ASCII lower case, for matching words anywhere.
    pub lower: String,
}

impl<'a> Command<'a> {
    fn new(text: &'a str) -> Option<Self> {
        let mut command = text.trim().trim_end_matches(['?', '.', '!']).trim();
        for polite in [
            "please ",
            "can you ",
            "could you ",
            "would you ",
            "hey, ",
            "ok, ",
        ] {
            if let Some(rest) = after(command, polite) {
                command = rest.trim();
            }
        }
        if let Some(rest) = before(command, " please") {
            command = rest.trim();
        }
        (!command.is_empty()).then(|| Self {
            text: command,
            lower: command.to_ascii_lowercase(),
        })
    }
}

/// One way of saying something the assistant can do.
pub struct Rule {
    pub name: &'static str,
    /// Commands it reads, each with the call it means as
    /// `tool {arguments as JSON}`, read on Wednesday 2026-12-02 at 10:00 on
    /// the user's clock. The first is shown in the help.
    pub examples: &'static [(&'static str, &'static str)],
    /// Reads a command at the user's wall-clock time.
    pub read: fn(&Command<'_>, NaiveDateTime) -> Option<Call>,
}

/// Every rule, in the order they are tried. A new task comes first: a
/// command that starts "add" adds, even when its title or its date says
/// "overdue", "due today" or "late".
pub const RULES: &[Rule] = &[
    Rule {
        name: "a new task",
        examples: &[
            (
                "add buy milk tomorrow, high priority, tag home",
                r#"add_task {"due_date":"2026-12-03","priority":"high","tags":["home"],"title":"buy milk"}"#,
            ),
            (
                "please remind me to call mom on friday",
                r#"add_task {"due_date":"2026-12-04","title":"call mom"}"#,
            ),
            (
                "add a task to write the report #work, the one for Q4",
                r#"add_task {"description":"the one for Q4","tags":["work"],"title":"write the report"}"#,
            ),
            (
                "add water the plants every monday at 8am remind me an hour before",
                r#"add_task {"due_date":"2026-12-07","due_time":"08:00","recurrence":"FREQ=WEEKLY;BYDAY=MO","reminders":[60],"title":"water the plants"}"#,
            ),
            (
                "add standup every weekday at 9:30",
                r#"add_task {"due_date":"2026-12-03","due_time":"09:30","recurrence":"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR","title":"standup"}"#,
            ),
            (
                "add back up the laptop every 2 weeks",
                r#"add_task {"due_date":"2026-12-02","recurrence":"FREQ=WEEKLY;INTERVAL=2","title":"back up the laptop"}"#,
            ),
            (
                "add dentist next friday at 14:30, remind me a day before",
                r#"add_task {"due_date":"2026-12-04","due_time":"14:30","reminders":[1440],"title":"dentist"}"#,
            ),
            (
                "remind me to call mom at 9am",
                r#"add_task {"due_date":"2026-12-03","due_time":"09:00","reminders":[0],"title":"call mom"}"#,
            ),
            (
                "add pay rent due today at 5pm",
                r#"add_task {"due_date":"2026-12-02","due_time":"17:00","title":"pay rent"}"#,
            ),
            (
                "add read every chapter",
                r#"add_task {"title":"read every chapter"}"#,
            ),
        ],
        read: add,
    },
    Rule {
        name: "overdue",
        examples: &[
            (
                "what is overdue?",
                r#"list_tasks {"due_before":"2026-12-02","status":"active"}"#,
            ),
            (
                "am I late on anything",
                r#"list_tasks {"due_before":"2026-12-02","status":"active"}"#,
            ),
        ],
        read: overdue,
    },
    Rule {
        name: "due today",
        examples: &[(
            "what is due today?",
            r#"list_tasks {"due_before":"2026-12-03","status":"active"}"#,
        )],
        read: due_today,
    },
    Rule {
        name: "a listing",
        examples: &[
            ("what is left?", r#"list_tasks {"status":"active"}"#),
            (
                "show completed tasks",
                r#"list_tasks {"status":"completed"}"#,
            ),
            ("list my tasks", r#"list_tasks {}"#),
            (
                "show urgent tasks tagged Home",
                r#"list_tasks {"priority":"high","tag":"home"}"#,
            ),
            (
                "which low priority tasks are open",
                r#"list_tasks {"priority":"low","status":"active"}"#,
            ),
        ],
        read: listing,
    },
    Rule {
        name: "a search",
        examples: &[
            ("search for milk", r#"list_tasks {"q":"milk"}"#),
            ("find the report", r#"list_tasks {"q":"report"}"#),
        ],
        read: search,
    },
    Rule {
        name: "marked done or not done",
        examples: &[
            (
                "mark buy milk done",
                r#"complete_task {"title":"buy milk"}"#,
            ),
            (
                "set the report as completed",
                r#"complete_task {"title":"report"}"#,
            ),
            (
                "mark the report as not done",
                r#"update_task {"completed":false,"current_title":"report"}"#,
            ),
        ],
        read: marked,
    },
    Rule {
        name: "finished",
        examples: &[
            ("finish the report", r#"complete_task {"title":"report"}"#),
            ("I did the laundry", r#"complete_task {"title":"laundry"}"#),
            ("buy milk is done", r#"complete_task {"title":"buy milk"}"#),
        ],
        read: finished,
    },
    Rule {
        name: "reopened",
        examples: &[(
            "reopen buy milk",
            r#"update_task {"completed":false,"current_title":"buy milk"}"#,
        )],
        read: reopened,
    },
    Rule {
        name: "renamed",
        examples: &[(
            "rename buy milk to buy oat milk",
            r#"update_task {"current_title":"buy milk","title":"buy oat milk"}"#,
        )],
        read: renamed,
    },
    Rule {
        name: "a new priority",
        examples: &[
            (
                "make the report high priority",
                r#"update_task {"current_title":"report","priority":"high"}"#,
            ),
            (
                "set the priority of the report to low",
                r#"update_task {"current_title":"report","priority":"low"}"#,
            ),
            (
                "prioritize the report",
                r#"update_task {"current_title":"report","priority":"high"}"#,
            ),
        ],
        read: reprioritized,
    },
    Rule {
        name: "a new due date",
        examples: &[
            (
                "move the report to next friday",
                r#"update_task {"current_title":"report","due_date":"2026-12-04"}"#,
            ),
            (
                "the report is due tomorrow",
                r#"update_task {"current_title":"report","due_date":"2026-12-03"}"#,
            ),
            (
                "move the report to tomorrow at 14:30",
                r#"update_task {"current_title":"report","due_date":"2026-12-03","due_time":"14:30"}"#,
            ),
        ],
        read: rescheduled,
    },
    Rule {
        name: "deleted",
        examples: &[
            (
                "delete the report task",
                r#"delete_task {"title":"report"}"#,
            ),
            ("get rid of buy milk", r#"delete_task {"title":"buy milk"}"#),
        ],
        read: deleted,
    },
];

/// The tool call a command means, if any.
pub fn understand(text: &str, now: NaiveDateTime) -> Option<Vec<Call>> {
    if let Some(calls) = Command::new(text).and_then(|command| several_deleted(&command)) {
        tracing::debug!(
            calls = calls.len(),
            "offline provider understood a list to delete"
        );
        return Some(calls);
    }
    let (rule, call) = understood_by(text, now)?;
    tracing::debug!(rule = rule.name, tool = %call.0, "offline provider understood");
    Some(vec![call])
}

/// "delete a, b and c": one deletion per task named. A list needs a
/// comma, so a title with " and " in it ("delete salt and pepper") is
/// still one task.
fn several_deleted(command: &Command<'_>) -> Option<Vec<Call>> {
    let (tool, whole) = deleted(command, NaiveDateTime::MIN)?;
    let names = whole["title"].as_str()?;
    if !names.contains(',') {
        return None;
    }
    let calls: Vec<Call> = names
        .split(',')
        .flat_map(|part| {
            let part = part.trim();
            match after(part, "and ") {
                Some(last) => vec![last],
                None => match split_once_ci(part, " and ") {
                    Some((one, two)) => vec![one, two],
                    None => vec![part],
                },
            }
        })
        .map(reference)
        .filter(|name| !name.is_empty())
        .map(|name| (tool, arguments(&[("title", json!(name))])))
        .collect();
    (calls.len() > 1).then_some(calls)
}

/// The first rule that reads `text`, and the call it means.
fn understood_by(text: &str, now: NaiveDateTime) -> Option<(&'static Rule, Call)> {
    let command = Command::new(text)?;
    RULES
        .iter()
        .find_map(|rule| (rule.read)(&command, now).map(|call| (rule, call)))
}

fn date(day: NaiveDate) -> Value {
    json!(day.format("%Y-%m-%d").to_string())
}

fn overdue(command: &Command<'_>, now: NaiveDateTime) -> Option<Call> {
    let lower = &command.lower;
    (lower.contains("overdue") || lower.contains("late ") || lower.ends_with(" late")).then(|| {
        (
            Tool::ListTasks,
            arguments(&[
                ("status", json!("active")),
                ("due_before", date(now.date())),
            ]),
        )
    })
}

fn due_today(command: &Command<'_>, now: NaiveDateTime) -> Option<Call> {
    command.lower.contains("due today").then(|| {
        (
            Tool::ListTasks,
            arguments(&[
                ("status", json!("active")),
                ("due_before", date(now.date() + Duration::days(1))),
            ]),
        )
    })
}

fn listing(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    let lower = &command.lower;
    let asks = [
        "what", "show", "list", "which", "display", "give me", "how many",
    ]
    .iter()
    .any(|w| lower.starts_with(w));
    if !asks {
        return None;
    }
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    let done = ["completed", "done", "finished", "did i"]
        .iter()
        .any(|w| lower.contains(w));
    let open = [
        "left",
        "active",
        "open",
        "remaining",
        "pending",
        "to do",
        "todo",
        "unfinished",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if done && !open {
        pairs.push(("status", json!("completed")));
    } else if open {
        pairs.push(("status", json!("active")));
    }
    for (word, priority) in [
        ("high", "high"),
        ("urgent", "high"),
        ("low", "low"),
        ("medium", "medium"),
    ] {
        if lower.contains(&format!("{word} priority"))
            || lower.contains(&format!("{word}-priority"))
            || (word == "urgent" && lower.contains("urgent"))
        {
            pairs.push(("priority", json!(priority)));
            break;
        }
    }
    if let Some((_, rest)) =
        split_once_ci(command.text, "tagged ").or_else(|| split_once_ci(command.text, "with tag "))
        && let Some(tag) = rest.split_whitespace().next()
    {
        pairs.push(("tag", json!(tag.to_lowercase())));
    }
    Some((Tool::ListTasks, arguments(&pairs)))
}

fn search(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    let q = first_of(
        command.text,
        &["search for ", "search ", "find ", "look for "],
    )?;
    Some((Tool::ListTasks, arguments(&[("q", json!(reference(q)))])))
}

fn add(command: &Command<'_>, now: NaiveDateTime) -> Option<Call> {
    let (rest, remind) = match after(command.text, "remind me to ") {
        Some(rest) => (rest, true),
        None => (
            first_of(
                command.text,
                &[
                    "add a task to ",
                    "add a task ",
                    "add task ",
                    "add ",
                    "create a task ",
                    "create task ",
                    "create ",
                    "new task ",
                    "i need to ",
                    "todo ",
                ],
            )?,
            false,
        ),
    };
    new_task(rest, now, remind).map(|args| (Tool::AddTask, args))
}

fn complete(name: &str) -> Call {
    (
        Tool::CompleteTask,
        arguments(&[("title", json!(reference(name)))]),
    )
}

fn reopen(name: &str) -> Call {
    (
        Tool::UpdateTask,
        arguments(&[
            ("current_title", json!(reference(name))),
            ("completed", json!(false)),
        ]),
    )
}

fn marked(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    let rest = first_of(command.text, &["mark ", "set "])?;
    [
        (" as not done", false),
        (" not done", false),
        (" as undone", false),
        (" undone", false),
        (" as active", false),
        (" as open", false),
        (" as done", true),
        (" done", true),
        (" as complete", true),
        (" complete", true),
        (" as completed", true),
        (" completed", true),
        (" as finished", true),
        (" finished", true),
    ]
    .into_iter()
    .find_map(|(suffix, completed)| {
        before(rest, suffix).map(|name| {
            if completed {
                complete(name)
            } else {
                reopen(name)
            }
        })
    })
}

fn finished(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    first_of(
        command.text,
        &[
            "complete ",
            "finish ",
            "check off ",
            "tick off ",
            "done with ",
            "i finished ",
            "i did ",
        ],
    )
    .or_else(|| before(command.text, " is done"))
    .or_else(|| before(command.text, " is finished"))
    .map(complete)
}

fn reopened(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    first_of(command.text, &["reopen ", "uncomplete ", "undo "]).map(reopen)
}

fn renamed(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    let rest = first_of(
        command.text,
        &["rename ", "retitle ", "change the title of ", "change "],
    )?;
    let (old, new) = split_once_ci(rest, " to ")?;
    let new = new
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'));
    (!new.is_empty()).then(|| {
        (
            Tool::UpdateTask,
            arguments(&[
                ("current_title", json!(reference(old))),
                ("title", json!(new)),
            ]),
        )
    })
}

fn with_priority(name: &str, priority: &str) -> Call {
    (
        Tool::UpdateTask,
        arguments(&[
            ("current_title", json!(reference(name))),
            ("priority", json!(priority)),
        ]),
    )
}

fn reprioritized(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    if let Some(rest) = after(command.text, "make ") {
        let found = [
            (" high priority", "high"),
            (" urgent", "high"),
            (" important", "high"),
            (" low priority", "low"),
            (" medium priority", "medium"),
            (" normal priority", "medium"),
        ]
        .into_iter()
        .find_map(|(suffix, priority)| {
            before(rest, suffix).map(|name| with_priority(name, priority))
        });
        if found.is_some() {
            return found;
        }
    }
    if let Some(rest) = first_of(
        command.text,
        &[
            "set the priority of ",
            "set priority of ",
            "change the priority of ",
        ],
    ) && let Some((name, priority)) = split_once_ci(rest, " to ")
    {
        return Some(with_priority(name, &priority.trim().to_ascii_lowercase()));
    }
    after(command.text, "prioritize ").map(|name| with_priority(name, "high"))
}

fn rescheduled(command: &Command<'_>, now: NaiveDateTime) -> Option<Call> {
    let moved = first_of(
        command.text,
        &[
            "move ",
            "postpone ",
            "reschedule ",
            "set the due date of ",
            "set due date of ",
        ],
    )
    .and_then(|rest| split_once_ci(rest, " to "))
    .and_then(|(name, when)| Some((name, when_phrase(when, now)?)));
    let (name, due) = moved.or_else(|| {
        let (name, when) = split_once_ci(command.text, " is due ")?;
        Some((name, when_phrase(when, now)?))
    })?;
    let mut pairs = vec![
        ("current_title", json!(reference(name))),
        ("due_date", date(due.date?)),
    ];
    if let Some(time) = due.time {
        pairs.push(("due_time", json!(time.format("%H:%M").to_string())));
    }
    Some((Tool::UpdateTask, arguments(&pairs)))
}

fn deleted(command: &Command<'_>, _now: NaiveDateTime) -> Option<Call> {
    let name = first_of(
        command.text,
        &[
            "delete ",
            "remove ",
            "drop ",
            "get rid of ",
            "cancel ",
            "forget ",
        ],
    )?;
    Some((
        Tool::DeleteTask,
        arguments(&[("title", json!(reference(name)))]),
    ))
}

/// `text` with `prefix` removed, ignoring ASCII case.
pub(super) fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `text` without `suffix`, ignoring ASCII case.
pub(super) fn before<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

/// Splits at the first ` sep ` (ASCII case ignored).
fn split_once_ci<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(sep)?;
    Some((&text[..at], &text[at + sep.len()..]))
}

pub(super) fn first_of<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|p| after(text, p))
}

/// A task as a command names it: "the report task" → "report".
fn reference(text: &str) -> String {
    let mut name = text
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”'));
    for article in ["the ", "my ", "a "] {
        if let Some(rest) = after(name, article) {
            name = rest;
        }
    }
    for suffix in [" task", " item", " todo"] {
        if let Some(rest) = before(name, suffix) {
            name = rest;
        }
    }
    name.trim().to_owned()
}

pub(super) fn arguments(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// When the examples are read: Wednesday 2 December 2026, 10:00.
    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn expected_call(written: &str) -> Call {
        let (tool, arguments) = written.split_once(' ').expect("`tool {…}`");
        let Value::Object(arguments) = serde_json::from_str(arguments).expect("JSON arguments")
        else {
            panic!("arguments are an object: {written}")
        };
        (tool.parse().expect("a tool"), arguments)
    }

    #[test]
    fn every_rule_reads_its_examples_as_written_and_before_any_later_rule() {
        for rule in RULES {
            assert!(!rule.examples.is_empty(), "{} has examples", rule.name);
            for (command, written) in rule.examples {
                let (by, call) = understood_by(command, now())
                    .unwrap_or_else(|| panic!("{}: {command:?} is not understood", rule.name));
                assert_eq!(
                    by.name, rule.name,
                    "{command:?} is read by another rule first"
                );
                assert_eq!(call, expected_call(written), "{command:?}");
            }
        }
    }

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<&str> = RULES.iter().map(|rule| rule.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }

    #[test]
    fn what_no_rule_reads_is_not_understood() {
        for command in ["sing me a song", "", "   ?!", "please", "add ,"] {
            assert_eq!(understand(command, now()), None, "{command:?}");
        }
    }

    #[test]
    fn a_list_to_delete_is_one_deletion_per_task() {
        let titles = |command: &str| -> Vec<String> {
            understand(command, now())
                .unwrap()
                .into_iter()
                .map(|(tool, arguments)| {
                    assert_eq!(tool, Tool::DeleteTask);
                    arguments["title"].as_str().unwrap().to_owned()
                })
                .collect()
        };
        assert_eq!(titles("delete a, b and the c task"), ["a", "b", "c"]);
        assert_eq!(
            titles("remove milk, eggs, and bread"),
            ["milk", "eggs", "bread"]
        );
        assert_eq!(titles("delete salt and pepper"), ["salt and pepper"]);
        assert_eq!(titles("delete report"), ["report"]);
    }
}
