//! Every `cargo xtask …` command the Markdown docs show must parse with the
//! real command line, so a renamed command or flag breaks a test instead of
//! a newcomer's first run. Commands are taken from fenced code blocks and
//! inline code (never from prose), and parsed with the same clap definition
//! `main` uses; nothing is executed, so no cluster or Docker is needed.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// One `cargo xtask` command found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Invocation {
    /// Where it was found, `path:line`, for the failure message.
    place: String,
    /// The words after `cargo xtask`, as a shell would split them.
    words: Vec<String>,
}

const MARKER: &str = "cargo xtask";

/// Shell words that end a command: what follows belongs to another program.
fn ends_command(word: &str) -> bool {
    matches!(word, "&&" | "||" | "|" | ";" | "&" | ")")
        || word.starts_with('>')
        || word.starts_with('<') && !word.ends_with('>')
        || word.starts_with("2>")
}

/// `…` stands for "some command" in prose such as "`cargo xtask …`".
fn is_ellipsis(word: &str) -> bool {
    matches!(word, "…" | "...")
}

/// The commands in one logical shell line (continuations already joined).
fn invocations_in_line(line: &str, place: &str, found: &mut Vec<Invocation>) -> Result<(), String> {
    let mut rest = line;
    while let Some(start) = rest.find(MARKER) {
        let after = &rest[start + MARKER.len()..];
        rest = after;
        // `cargo xtask-foo` or `cargo xtasks` is not our command.
        if after.chars().next().is_some_and(|c| !c.is_whitespace()) {
            continue;
        }
        let words = shlex::split(after)
            .ok_or_else(|| format!("{place}: unbalanced quotes in `{}`", line.trim()))?;
        let mut command = Vec::new();
        for word in words {
            if ends_command(&word) || is_ellipsis(&word) {
                break;
            }
            // `cargo xtask lint;` ends at the semicolon.
            if let Some(last) = word.strip_suffix(';') {
                if !last.is_empty() {
                    command.push(last.to_owned());
                }
                break;
            }
            // `<NAME>` placeholders: the flag must exist, the value is the reader's.
            if word.starts_with('<') && word.ends_with('>') {
                command.push("placeholder".to_owned());
            } else {
                command.push(word);
            }
        }
        if !command.is_empty() {
            found.push(Invocation {
                place: place.to_owned(),
                words: command,
            });
        }
    }
    Ok(())
}

/// Joins `\`-continued lines and yields each logical line with the number
/// of its first physical line.
fn logical_lines(block: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, raw) in block.lines().enumerate() {
        let (number, mut text) = current.take().unwrap_or((index, String::new()));
        match raw.trim_end().strip_suffix('\\') {
            Some(continued) => {
                text.push_str(continued);
                text.push(' ');
                current = Some((number, text));
            }
            None => {
                text.push_str(raw);
                lines.push((number, text));
            }
        }
    }
    lines.extend(current);
    lines
}

/// Every `cargo xtask` command in a Markdown text.
fn extract(markdown: &str, path: &str) -> Result<Vec<Invocation>, String> {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    // (first line of the block's content, text so far) while inside a code block.
    let mut block: Option<(usize, String)> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let fence_line =
                    usize::from(matches!(kind, pulldown_cmark::CodeBlockKind::Fenced(_)));
                block = Some((line_of(range.start) + fence_line, String::new()));
            }
            Event::Text(text) => {
                if let Some((_, content)) = block.as_mut() {
                    content.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((first, content)) = block.take() {
                    for (offset, line) in logical_lines(&content) {
                        invocations_in_line(
                            &line,
                            &format!("{path}:{}", first + offset),
                            &mut found,
                        )?;
                    }
                }
            }
            // Inline code may wrap across lines in the source; it is one command.
            Event::Code(code) => invocations_in_line(
                &code.replace('\n', " "),
                &format!("{path}:{}", line_of(range.start)),
                &mut found,
            )?,
            _ => {}
        }
    }
    Ok(found)
}

/// Parses the words with the real CLI; `--help` counts as parsing.
fn check(invocation: &Invocation) -> Result<(), String> {
    let argv = std::iter::once(MARKER.to_owned()).chain(invocation.words.iter().cloned());
    match crate::Cli::command().try_get_matches_from(argv) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            Ok(())
        }
        Err(e) => {
            let reason = e.to_string().lines().next().unwrap_or_default().to_owned();
            Err(format!(
                "{}: `cargo xtask {}`: {reason}",
                invocation.place,
                invocation.words.join(" ")
            ))
        }
    }
}

/// README.md, ARCHITECTURE.md, docs/ and the chart's README: every
/// Markdown file of the project outside build output and hidden folders.
fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && !matches!(name.as_str(), "target" | "node_modules") {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") {
            found.push(path);
        }
    }
}

#[test]
fn every_cargo_xtask_command_in_the_docs_parses() {
    let root = crate::support::process::project_root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    files.sort();
    let mut invocations = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        let text = std::fs::read_to_string(file).expect("a readable Markdown file");
        match extract(&text, &relative) {
            Ok(found) => invocations.extend(found),
            Err(e) => errors.push(e),
        }
    }
    errors.extend(invocations.iter().filter_map(|i| check(i).err()));
    println!(
        "checked {} `cargo xtask` commands in {} Markdown files",
        invocations.len(),
        files.len()
    );
    assert!(
        errors.is_empty(),
        "commands in the docs that `cargo xtask` rejects:\n{}",
        errors.join("\n")
    );
    // The docs a newcomer follows must actually show commands; an extractor
    // that silently found nothing would make this test pass vacuously.
    for doc in [
        "README.md",
        "docs/quickstart.md",
        "docs/monitoring.md",
        "docs/troubleshooting.md",
        "docs/kubectl-ai.md",
        "docs/database.md",
    ] {
        let count = invocations
            .iter()
            .filter(|i| i.place.starts_with(&format!("{doc}:")))
            .count();
        assert!(
            count >= 2,
            "{doc} shows {count} `cargo xtask` commands; expected the documented ones"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(found: &[Invocation]) -> Vec<String> {
        found.iter().map(|i| i.words.join(" ")).collect()
    }

    #[test]
    fn commands_come_from_code_blocks_and_inline_code_only() {
        let markdown = "Run `cargo xtask deploy --dry-run` first.\n\nIn prose, cargo xtask lint is not a command.\n\n\
                        ```sh\n$ cargo xtask deploy --cluster kind \\\n    --namespace demo   # comment\nFOO=1 cargo xtask test && echo ok\n```\n";
        let found = extract(markdown, "x.md").unwrap();
        assert_eq!(
            words(&found),
            [
                "deploy --dry-run",
                "deploy --cluster kind --namespace demo",
                "test"
            ]
        );
        assert_eq!(found[0].place, "x.md:1");
        assert_eq!(found[1].place, "x.md:6");
        assert_eq!(found[2].place, "x.md:8");
    }

    #[test]
    fn the_generic_ellipsis_and_placeholders_are_handled() {
        let found = extract(
            "`cargo xtask …` and `cargo xtask doctor --release <NAME>` and `cargo xtask-other`",
            "x.md",
        )
        .unwrap();
        assert_eq!(words(&found), ["doctor --release placeholder"]);
    }

    #[test]
    fn unbalanced_quotes_are_an_error_not_a_skip() {
        assert!(
            extract("```\ncargo xtask deploy --host 'todo.local\n```\n", "x.md")
                .unwrap_err()
                .contains("x.md:2")
        );
    }

    #[test]
    fn a_made_up_flag_or_command_is_rejected_and_real_ones_pass() {
        let markdown = "```sh\ncargo xtask deploy --no-such-flag\ncargo xtask deploy --cluster kind --dry-run\n\
                        cargo xtask deploy --cluster docker-desktop\ncargo xtask launch\ncargo xtask doctor --help\n```\n";
        let found = extract(markdown, "bad.md").unwrap();
        let results: Vec<Result<(), String>> = found.iter().map(check).collect();
        let no_such_flag = results[0].as_ref().unwrap_err();
        assert!(
            no_such_flag.starts_with("bad.md:2: `cargo xtask deploy --no-such-flag`"),
            "{no_such_flag}"
        );
        assert!(no_such_flag.contains("--no-such-flag"));
        assert!(results[1].is_ok());
        assert!(
            results[2].as_ref().unwrap_err().contains("docker-desktop"),
            "a value outside the enum"
        );
        assert!(
            results[3].as_ref().unwrap_err().contains("launch"),
            "an unknown command"
        );
        assert!(results[4].is_ok(), "--help parses");
    }
}
