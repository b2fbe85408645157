//! The backup and restore of the bundled database, for real, on the
//! running release: data made through the app's API, every table's
//! checksum, one run of the backup CronJob's Pod (its own script, image,
//! security context and claim), the database wiped, the dump restored by
//! the restore script from a Pod derived from the CronJob's (as `cargo
//! xtask restore` derives one), the backend started again, which must come
//! back ready with every table identical. On the way, what must be refused
//! is: a backup whose volume cannot be written, a file that is not a dump
//! of this app, a dump of a newer schema, and a garbled dump (whose
//! restore fails half-way and must change nothing).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::json;
use todo_infra::Manifest;

use super::pod::Release;
use crate::http;
use crate::process::project_root;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The backend's first start after the restore applies no migration (the
/// dump is of this schema), so it is ready within seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// Tasks made for each of the two accounts.
const TASKS_PER_ACCOUNT: usize = 25;

/// Runs the round trip; a one-line summary, or why it failed.
pub fn round_trip(release: &Release, objects: &[Manifest]) -> anyhow::Result<String> {
    let started = Instant::now();
    let cronjob = component(objects, "CronJob", "backup")
        .context("the release renders no backup CronJob (backup.enabled)")?;
    let database = component(objects, "StatefulSet", "postgresql")
        .context("the release renders no bundled database")?;
    let backend = component(objects, "Deployment", "backend").context("no backend")?;
    let backend_port = super::wiring::bindings(objects)?
        .into_iter()
        .find(|b| b.workload == backend.id())
        .map(|b| b.port)
        .context("the backend's port")?;
    let args = release.run_args(cronjob)?;
    let newest = newest_migration()?;

    let (tasks, messages) = seed(backend_port)?;
    let before = checksums(release, database)?;
    eprintln!(
        "backup round trip: {tasks} tasks and {messages} chat messages made through the API; {} tables checksummed",
        before.len()
    );

    let (code, log) = release.run_once(cronjob, &args, None, true)?;
    ensure!(
        code != 0 && log.contains("backup: cannot write to /backups"),
        "a backup onto a read-only volume must fail loudly; it exited {code}:\n{log}"
    );
    eprintln!(
        "backup round trip: a read-only volume fails the backup (exit {code}): {}",
        last_line(&log)
    );

    let (code, log) = release.run_once(cronjob, &args, None, false)?;
    ensure!(code == 0, "the backup CronJob's Pod exited {code}:\n{log}");
    let dump = log
        .lines()
        .find_map(|line| line.strip_prefix("backup: wrote "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .with_context(|| format!("the backup named no file:\n{log}"))?;
    eprintln!("backup round trip: {}", last_line(&log));

    let restore = |action: &str, file: &str, max: &str| {
        let command: Vec<String> = ["sh", "/scripts/restore.sh", action, file, max]
            .map(str::to_owned)
            .to_vec();
        release.run_once(cronjob, &args, Some(&command), false)
    };
    let not_a_dump = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        "echo 'not a dump' > /backups/not-a-dump.dump".to_owned(),
    ];
    release.run_once(cronjob, &args, Some(&not_a_dump), false)?;
    for (file, max, want, why) in [
        (
            "/backups/not-a-dump.dump",
            newest.to_string(),
            2,
            "a file that is not a dump",
        ),
        (
            dump.as_str(),
            (newest - 1).to_string(),
            3,
            "a dump of a newer schema",
        ),
    ] {
        let (code, log) = restore("restore", file, &max)?;
        ensure!(
            code == want && log.contains("nothing was changed"),
            "restoring {why} must be refused with exit {want}; it exited {code}:\n{log}"
        );
        eprintln!(
            "backup round trip: {why} is refused (exit {code}): {}",
            last_line(&log)
        );
    }
    ensure!(
        checksums(release, database)? == before,
        "a refused restore changed the database"
    );
    // Its table of contents intact, the data of its last tables garbled:
    // the check passes, the restore fails half-way and must leave the
    // database as it was.
    let garble = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        format!(
            "cp {dump} /backups/garbled.dump && size=$(wc -c < {dump}) && \
             dd if=/dev/zero of=/backups/garbled.dump bs=1 seek=$((size * 8 / 10)) count=$((size / 10)) conv=notrunc 2>/dev/null"
        ),
    ];
    release.run_once(cronjob, &args, Some(&garble), false)?;
    let (code, log) = restore("restore", "/backups/garbled.dump", &newest.to_string())?;
    ensure!(
        code != 0 && log.contains("nothing was restored"),
        "restoring a garbled dump must fail half-way; it exited {code}:\n{log}"
    );
    ensure!(
        checksums(release, database)? == before,
        "a restore that failed half-way changed the database"
    );
    eprintln!(
        "backup round trip: a garbled dump fails the restore half-way (exit {code}) and changes nothing: {}",
        last_line(&log)
    );

    // As `cargo xtask restore` does: the backend scaled to zero first.
    release.pause(backend)?;
    release.exec(
        database,
        &psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"),
    )?;
    let wiped = checksums(release, database)?;
    ensure!(wiped.is_empty(), "the wipe left tables: {wiped:?}");
    let (code, log) = restore("restore", &dump, &newest.to_string())?;
    ensure!(code == 0, "the restore exited {code}:\n{log}");
    eprintln!(
        "backup round trip: database wiped, then {}",
        last_line(&log)
    );
    release.resume(backend)?;
    let waited = Instant::now();
    loop {
        match http::status(backend_port, "/ready", REQUEST_TIMEOUT) {
            Ok(200) => break,
            _ if waited.elapsed() < READY_TIMEOUT => std::thread::sleep(Duration::from_millis(500)),
            other => bail!("the backend is not ready after the restore: {other:?}"),
        }
    }

    let after = checksums(release, database)?;
    let differing: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|table| before.get(*table) != after.get(*table))
        .collect();
    ensure!(
        differing.is_empty(),
        "tables differ after the restore: {differing:?}\nbefore: {before:#?}\nafter: {after:#?}"
    );
    for (table, (rows, sum)) in &after {
        eprintln!("backup round trip: {table}: {rows} rows, md5 {sum} before and after");
    }
    Ok(format!(
        "{} tables ({} rows) identical after backup, wipe and restore; 4 bad inputs refused; in {:.1?}",
        after.len(),
        after.values().map(|(rows, _)| rows).sum::<u64>(),
        started.elapsed()
    ))
}

/// The rendered object of `kind` whose Pods carry the component label.
fn component<'a>(objects: &'a [Manifest], kind: &str, name: &str) -> Option<&'a Manifest> {
    objects.iter().find(|o| {
        o.kind() == kind
            && o.pod_template().is_some_and(|(meta, _)| {
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get("app.kubernetes.io/component"))
                    .is_some_and(|c| c == name)
            })
    })
}

/// The newest migration the backend knows: the numeric prefix of the last
/// file in its PostgreSQL migrations.
fn newest_migration() -> anyhow::Result<u64> {
    let directory = project_root().join("backend/migrations/postgres");
    std::fs::read_dir(&directory)
        .with_context(|| format!("reading {}", directory.display()))?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.split('_').next()?.parse::<u64>().ok()
        })
        .max()
        .with_context(|| format!("no migrations in {}", directory.display()))
}

/// Two accounts with tasks of every shape (tags, due dates, priorities,
/// completed or not, descriptions) and a conversation with the assistant.
fn seed(port: u16) -> anyhow::Result<(usize, usize)> {
    let call =
        |method: &str, path: &str, token: Option<&str>, body: serde_json::Value, want: u16| {
            let (status, answer) =
                http::json(port, method, path, token, Some(&body), REQUEST_TIMEOUT)?;
            ensure!(
                status == want,
                "{method} {path} answered {status}, want {want}: {answer}"
            );
            Ok(answer)
        };
    let mut messages = 0;
    for account in ["ada", "grace"] {
        let marker = std::process::id();
        let signed_up = call(
            "POST",
            "/api/auth/signup",
            None,
            json!({"email": format!("{account}-{marker}@backup.test"), "password": "restore-me-1234", "name": account}),
            201,
        )?;
        let token = signed_up["token"].as_str().context("no token")?.to_owned();
        for n in 0..TASKS_PER_ACCOUNT {
            let priority = ["low", "medium", "high"][n % 3];
            let mut task = json!({
                "title": format!("{account}'s task {n} — ünïcode, \"quotes\", back\\slash; semicolons"),
                "priority": priority,
                "tags": [format!("tag{}", n % 4), "backup"],
                "completed": n % 5 == 0,
            });
            if n % 2 == 0 {
                task["due_date"] = json!(format!("2027-{:02}-{:02}", n % 12 + 1, n % 28 + 1));
            }
            if n % 3 == 0 {
                task["description"] = json!(format!("line one\nline two of {n}"));
            }
            call("POST", "/api/tasks", Some(&token), task, 201)?;
        }
        let mut conversation = serde_json::Value::Null;
        for message in ["add buy milk", "list my tasks"] {
            let mut body = json!({"message": message});
            if !conversation.is_null() {
                body["conversation_id"] = conversation.clone();
            }
            let answer = call("POST", "/api/chat", Some(&token), body, 200)?;
            conversation = answer["conversation_id"].clone();
            messages += 1;
        }
    }
    // The assistant's "add buy milk" added one task per account.
    Ok((2 * (TASKS_PER_ACCOUNT + 1), messages))
}

/// `psql` in the database's container, as its own user, one statement
/// string, unaligned and quiet.
fn psql(sql: &str) -> Vec<String> {
    [
        "sh",
        "-c",
        "exec psql --no-psqlrc -v ON_ERROR_STOP=1 -At -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\" -c \"$0\"",
        sql,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Every table of the app's schema: its row count and the md5 of all its
/// rows as text, in a stable order.
fn checksums(
    release: &Release,
    database: &Manifest,
) -> anyhow::Result<BTreeMap<String, (u64, String)>> {
    let tables = release.exec(
        database,
        &psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
    )?;
    let mut sums = BTreeMap::new();
    for table in tables.lines().map(str::trim).filter(|t| !t.is_empty()) {
        let sql = format!(
            "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM public.\"{table}\" t"
        );
        let line = release.exec(database, &psql(&sql))?;
        let (rows, sum) = line
            .trim()
            .split_once(' ')
            .with_context(|| format!("checksum of {table}: {line:?}"))?;
        sums.insert(table.to_owned(), (rows.parse()?, sum.to_owned()));
    }
    Ok(sums)
}

fn last_line(log: &str) -> &str {
    log.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}
