//! `cargo xtask bench`: load-tests the release servers over loopback, on
//! PostgreSQL and on SQLite, with wrk. Per scenario it reports requests/s,
//! p50, p99, errors and the servers' CPU per request (backend, frontend
//! when the scenario goes through it, and PostgreSQL, read from /proc),
//! in all and split by process; per database the idle RSS, the RSS after
//! the load, and time to ready.
//! Scenarios: health, the task list, one task, a create, a chat turn on
//! the offline provider, an MCP `tools/call`, and the task page through
//! the frontend.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use todo_api::{ApiClient, NewTask, Priority, SignupRequest};

use crate::support::local_server::{LocalServer, build_servers};
use crate::support::postgres::{TempPostgres, server_binaries};
use crate::support::process::{output, unique_suffix, which};
use crate::support::tools::install_debian_packages;

/// The pool wide enough for the load; rate limits out of the way, since
/// all load comes from one address and one user.
const LOAD_ENV: &[(&str, &str)] = &[
    ("DATABASE_MAX_CONNECTIONS", "16"),
    ("LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT", "100000"),
    ("SIGNUPS_PER_HOUR_PER_CLIENT", "100000"),
    ("CHAT_REQUESTS_PER_MINUTE", "10000000"),
    ("WRITES_PER_MINUTE_PER_USER", "10000000"),
    ("MCP_TOOL_CALLS_PER_MINUTE_PER_USER", "10000000"),
    // The create scenario adds tens of thousands of tasks to one account,
    // the chat scenario a conversation per message.
    ("TASKS_PER_USER_MAX", "100000000"),
    ("CONVERSATIONS_PER_USER_MAX", "100000000"),
];

#[derive(Debug, Args)]
pub struct Bench {
    /// Seconds of load per scenario (after a 2 s warm-up).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Only this database (`postgres` or `sqlite`).
    #[arg(long)]
    only: Option<String>,
    /// Only scenarios whose name contains this.
    #[arg(long)]
    scenario: Option<String>,
    /// Also write the report as Markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Measure the `todo-backend` and `todo-frontend` binaries in this
    /// directory instead of building them (e.g. another checkout's, to
    /// compare before and after a change on one machine).
    #[arg(long)]
    binaries: Option<PathBuf>,
}

#[derive(Debug, Default)]
struct Scenario {
    name: &'static str,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
    /// Server CPU per request, by process.
    cpu: CpuPerRequest,
}

/// CPU milliseconds per request of each part that serves it.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct CpuPerRequest {
    backend: f64,
    frontend: f64,
    /// PostgreSQL's connections to the backend.
    postgres_serving: f64,
    /// The rest of the PostgreSQL cluster (postmaster, WAL writer,
    /// checkpointer, autovacuum, ...).
    postgres_other: f64,
}

impl CpuPerRequest {
    fn total(&self) -> f64 {
        self.backend + self.frontend + self.postgres_serving + self.postgres_other
    }
}

#[derive(Debug)]
struct DatabaseRun {
    database: &'static str,
    start_to_ready: Duration,
    idle_rss_kib: u64,
    after_rss_kib: u64,
    scenarios: Vec<Scenario>,
}

/// One load: a name, where, with which wrk script, and which processes
/// serve it (for the CPU figure).
struct Plan {
    name: &'static str,
    url: String,
    script: Option<PathBuf>,
    through_frontend: bool,
    /// Adds tasks: runs as a user of its own, so every reading scenario
    /// (whatever ran before it) sees the same 50 tasks.
    writes: bool,
}

impl Plan {
    /// A GET of `url` by the reading user, served by the backend alone.
    fn get(name: &'static str, url: String) -> Self {
        Self {
            name,
            url,
            script: None,
            through_frontend: false,
            writes: false,
        }
    }
}

impl Bench {
    pub fn run(self) -> anyhow::Result<()> {
        let wrk = which("wrk")
            .or_else(|| install_debian_packages(&["wrk"], "bench").then(|| which("wrk")).flatten())
            .context(
                "wrk is not installed: `apt-get install -y wrk` (Debian) or see https://github.com/wg/wrk",
            )?;
        let release = match &self.binaries {
            Some(dir) => dir.clone(),
            None => build_servers(true)?,
        };
        let mut runs = Vec::new();
        if self.only.as_deref().is_none_or(|only| only == "postgres") {
            let bin = server_binaries()
                .or_else(|| {
                    install_debian_packages(&["postgresql"], "bench")
                        .then(server_binaries)
                        .flatten()
                })
                .context("PostgreSQL server binaries not found: `apt-get install -y postgresql`")?;
            let cluster = TempPostgres::start(&bin)?;
            runs.push(self.measure("postgres", &release, &wrk, &cluster.url, Some(&cluster))?);
        }
        if self.only.as_deref().is_none_or(|only| only == "sqlite") {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            runs.push(self.measure("sqlite", &release, &wrk, &url, None)?);
        }
        let report = render(&runs, &self);
        println!("\n{report}");
        if let Some(path) = &self.markdown {
            std::fs::write(path, &report)?;
            eprintln!("bench: wrote {}", path.display());
        }
        Ok(())
    }

    fn measure(
        &self,
        database: &'static str,
        release: &Path,
        wrk: &Path,
        url: &str,
        cluster: Option<&TempPostgres>,
    ) -> anyhow::Result<DatabaseRun> {
        let postgres = cluster.map(|cluster| cluster.pid);
        eprintln!("\nbench: {database}");
        let backend_binary = release.join("todo-backend");
        // The first start applies migrations; the measured one finds them applied.
        drop(LocalServer::backend(&backend_binary, url, LOAD_ENV)?);
        let server = LocalServer::backend(&backend_binary, url, LOAD_ENV)?;
        std::thread::sleep(Duration::from_secs(1));
        let idle_rss_kib = server.rss_kib()?;
        let base = server.base_url();
        let frontend = LocalServer::frontend(&release.join("todo-frontend"), &base)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let Seeded {
            reader,
            writer,
            task_id,
        } = runtime.block_on(seed(&base))?;
        // Measure the steady state, not a table seconds old: with no
        // statistics and no visibility map yet, PostgreSQL spent about a
        // fifth more per list. This is what autovacuum does within a minute.
        // The chat's tables are left alone. Analyzed while still empty, they
        // would keep plans made for empty tables through thousands of
        // inserts.
        if let Some(cluster) = cluster {
            cluster.vacuum_analyze(&["users", "tasks", "task_tags"])?;
        }

        let scripts = tempfile::tempdir()?;
        let post = |name: &str, body: &str| -> anyhow::Result<PathBuf> {
            let path = scripts.path().join(format!("{name}.lua"));
            std::fs::write(
                &path,
                format!(
                    "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
                     wrk.headers[\"Accept\"] = \"application/json, text/event-stream\"\n\
                     wrk.body = [[{body}]]\n"
                ),
            )?;
            Ok(path)
        };
        let plans = [
            Plan::get("GET /health", format!("{base}/health")),
            Plan::get(
                "GET /api/tasks?limit=50",
                format!("{base}/api/tasks?limit=50"),
            ),
            Plan::get("GET /api/tasks/{id}", format!("{base}/api/tasks/{task_id}")),
            Plan {
                script: Some(post(
                    "create",
                    r#"{"title": "load test task", "priority": "high", "tags": ["bench", "load"]}"#,
                )?),
                writes: true,
                ..Plan::get("POST /api/tasks (2 tags)", format!("{base}/api/tasks"))
            },
            Plan {
                script: Some(post("chat", r#"{"message": "what is left?"}"#)?),
                ..Plan::get("POST /api/chat (offline)", format!("{base}/api/chat"))
            },
            Plan {
                script: Some(post(
                    "mcp",
                    r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {"limit": 10}}}"#,
                )?),
                ..Plan::get("POST /mcp tools/call", format!("{base}/mcp"))
            },
            Plan {
                through_frontend: true,
                ..Plan::get(
                    "GET /tasks (page, 50 tasks)",
                    format!("{}/tasks", frontend.base_url()),
                )
            },
        ];
        let mut scenarios = Vec::new();
        for plan in plans {
            if self
                .scenario
                .as_deref()
                .is_some_and(|only| !plan.name.contains(only))
            {
                continue;
            }
            let mut pids = vec![server.pid()];
            if plan.through_frontend {
                pids.push(frontend.pid());
            }
            let token = if plan.writes { &writer } else { &reader };
            scenarios.push(self.load(wrk, &plan, token, &pids, postgres)?);
        }
        std::thread::sleep(Duration::from_secs(2));
        let after_rss_kib = server.rss_kib()?;
        Ok(DatabaseRun {
            database,
            start_to_ready: server.ready_after,
            idle_rss_kib,
            after_rss_kib,
            scenarios,
        })
    }

    fn load(
        &self,
        wrk: &Path,
        plan: &Plan,
        token: &str,
        pids: &[u32],
        postgres: Option<u32>,
    ) -> anyhow::Result<Scenario> {
        let wrk_run = |seconds: u64| -> anyhow::Result<String> {
            let mut command = Command::new(wrk);
            command
                .args(["--latency", "-t", "2", "-c"])
                .arg(self.connections.to_string())
                .arg("-d")
                .arg(format!("{seconds}s"))
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .args(["-H", &format!("Cookie: todo_session={token}")]);
            if let Some(script) = &plan.script {
                command.arg("-s").arg(script);
            }
            command.arg(&plan.url);
            output(&mut command)
        };
        eprintln!(
            "bench: {} (warm-up 2 s, then {} s)",
            plan.name, self.duration
        );
        wrk_run(2)?;
        let before = CpuTicks::read(pids, postgres);
        let text = wrk_run(self.duration)?;
        let used = CpuTicks::read(pids, postgres).since(&before);
        let mut scenario = parse_wrk(plan.name, &text)
            .with_context(|| format!("could not read wrk's report:\n{text}"))?;
        scenario.cpu = used.per_request(scenario.requests, ticks_per_second());
        Ok(scenario)
    }
}

/// `utime + stime` of a process, and of its reaped children when asked.
fn process_ticks(pid: u32, with_children: bool) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| ticks_of_stat(&stat, with_children))
        .unwrap_or(0)
}

/// The CPU ticks in one `/proc/PID/stat` line: utime and stime (fields 14
/// and 15 of proc(5)), plus cutime and cstime (16, 17) when asked.
fn ticks_of_stat(stat: &str, with_children: bool) -> Option<u64> {
    // The fields after `(comm)`, which may contain spaces, start at field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    let own = field(14)? + field(15)?;
    Some(if with_children {
        own + field(16)? + field(17)?
    } else {
        own
    })
}

/// CPU ticks of the serving processes at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct CpuTicks {
    backend: u64,
    frontend: u64,
    postgres_serving: u64,
    postgres_other: u64,
}

impl CpuTicks {
    /// `servers` are the backend's PID, then the frontend's when it serves
    /// the scenario. `postgres` is the postmaster: its connections to the
    /// app run as the `todo` role (process title `postgres: todo ...`);
    /// everything else in the cluster, and the children that already
    /// exited (counted in the postmaster's cutime), is `postgres_other`.
    fn read(servers: &[u32], postgres: Option<u32>) -> Self {
        let mut ticks = Self {
            backend: servers.first().map_or(0, |pid| process_ticks(*pid, false)),
            frontend: servers.get(1).map_or(0, |pid| process_ticks(*pid, false)),
            ..Self::default()
        };
        let Some(postmaster) = postgres else {
            return ticks;
        };
        ticks.postgres_other = process_ticks(postmaster, true);
        for pid in std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| parent_of(*pid) == Some(postmaster))
        {
            let used = process_ticks(pid, false);
            let title = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if title.starts_with(b"postgres: todo ") {
                ticks.postgres_serving += used;
            } else {
                ticks.postgres_other += used;
            }
        }
        ticks
    }

    fn since(&self, before: &Self) -> Self {
        Self {
            backend: self.backend.saturating_sub(before.backend),
            frontend: self.frontend.saturating_sub(before.frontend),
            postgres_serving: self
                .postgres_serving
                .saturating_sub(before.postgres_serving),
            postgres_other: self.postgres_other.saturating_sub(before.postgres_other),
        }
    }

    fn per_request(&self, requests: u64, ticks_per_second: f64) -> CpuPerRequest {
        let ms = |ticks: u64| ticks as f64 * 1000.0 / ticks_per_second / requests.max(1) as f64;
        CpuPerRequest {
            backend: ms(self.backend),
            frontend: ms(self.frontend),
            postgres_serving: ms(self.postgres_serving),
            postgres_other: ms(self.postgres_other),
        }
    }
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn ticks_per_second() -> f64 {
    output(Command::new("getconf").arg("CLK_TCK"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Who the load runs as.
struct Seeded {
    /// A user with 50 tasks (two tags each), for every reading scenario.
    reader: String,
    /// A user of its own for the scenario that adds tasks.
    writer: String,
    /// One of the reader's tasks.
    task_id: String,
}

/// Other users, each with their own tasks: the reader's tasks are a few
/// among many, as in any database with more than one user. On a table that
/// holds only the reader's tasks, PostgreSQL plans lists and foreign-key
/// checks for a two-page table.
const NEIGHBOURS: usize = 20;

/// Signs up the reader, the writer and the neighbours, and seeds 50 tasks
/// each for the reader and the neighbours.
async fn seed(base: &str) -> anyhow::Result<Seeded> {
    let api = ApiClient::new(base);
    for neighbour in 0..NEIGHBOURS {
        let neighbour = api.with_token(&sign_up(&api, &format!("neighbour-{neighbour}")).await?);
        for i in 0..50 {
            neighbour
                .create_task(&NewTask {
                    title: format!("Neighbour's task number {i}"),
                    tags: vec!["seed".into()],
                    ..NewTask::default()
                })
                .await?;
        }
    }
    let mut tokens = Vec::new();
    for role in ["reader", "writer"] {
        tokens.push(sign_up(&api, role).await?);
    }
    let reader = api.with_token(&tokens[0]);
    let mut first = None;
    for i in 0..50 {
        let task = reader
            .create_task(&NewTask {
                title: format!("Seeded task number {i}"),
                description: Some(
                    "A realistic description of moderate length for the list payload.".into(),
                ),
                priority: Some([Priority::Low, Priority::Medium, Priority::High][i % 3]),
                tags: vec!["seed".into(), format!("group-{}", i % 5)],
                ..NewTask::default()
            })
            .await?;
        first.get_or_insert(task.id);
    }
    let writer = tokens.pop().expect("two users signed up");
    Ok(Seeded {
        reader: tokens.pop().expect("two users signed up"),
        writer,
        task_id: first.expect("50 tasks were created").to_string(),
    })
}

/// A new user's token; `who` shows in the email address.
async fn sign_up(api: &ApiClient, who: &str) -> anyhow::Result<String> {
    let auth = api
        .signup(&SignupRequest {
            email: format!("bench-{who}-{}@example.com", unique_suffix()),
            password: "benchmark password".into(),
            name: "Bench".into(),
            time_zone: None,
        })
        .await?;
    Ok(auth.token)
}

/// Reads wrk's `--latency` report.
fn parse_wrk(name: &'static str, text: &str) -> Option<Scenario> {
    let mut scenario = Scenario {
        name,
        ..Scenario::default()
    };
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(value)) => {
                scenario.requests_per_second = value.parse().ok()?
            }
            (Some("50%"), Some(value)) => scenario.p50_ms = duration_ms(value)?,
            (Some("99%"), Some(value)) => scenario.p99_ms = duration_ms(value)?,
            (Some("Non-2xx"), _) => {
                scenario.errors += line.rsplit(' ').next()?.parse::<u64>().ok()?
            }
            (Some("Socket"), Some("errors:")) => {
                for part in line.trim_start_matches("Socket errors:").split(',') {
                    scenario.errors += part.split_whitespace().nth(1)?.parse::<u64>().ok()?;
                }
            }
            (Some(count), Some("requests")) => scenario.requests = count.parse().ok()?,
            _ => {}
        }
    }
    (scenario.requests_per_second > 0.0).then_some(scenario)
}

/// wrk prints durations as `812.00us`, `1.23ms` or `2.01s`.
fn duration_ms(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

fn render(runs: &[DatabaseRun], bench: &Bench) -> String {
    let mut out = String::new();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "Release servers, wrk -t2 -c{} -d{}s per scenario after a 2 s warm-up, load generator on the same \
         {cpus}-core machine, loopback only. CPU is the serving processes' (backend; frontend for the page; \
         PostgreSQL's whole cluster) per request.\n",
        bench.connections, bench.duration
    );
    for run in runs {
        let _ = writeln!(
            out,
            "### {}\n\nstart to first 200 on /ready: {:.0} ms (migrations already applied) · backend RSS idle \
             {:.1} MiB, after the load {:.1} MiB\n",
            run.database,
            run.start_to_ready.as_secs_f64() * 1000.0,
            run.idle_rss_kib as f64 / 1024.0,
            run.after_rss_kib as f64 / 1024.0
        );
        let _ = writeln!(
            out,
            "| scenario | requests/s | p50 | p99 | errors | CPU per request | backend | frontend | PostgreSQL: connections + rest |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for s in &run.scenarios {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} ms | {:.2} ms | {} | **{:.3} ms** | {:.3} | {:.3} | {:.3} + {:.3} |",
                s.name,
                s.requests_per_second,
                s.p50_ms,
                s.p99_ms,
                s.errors,
                s.cpu.total(),
                s.cpu.backend,
                s.cpu.frontend,
                s.cpu.postgres_serving,
                s.cpu.postgres_other
            );
        }
        let _ = writeln!(out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 10s test @ http://127.0.0.1:1/health
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us  1.10ms  20.00ms   90.00%
  Latency Distribution
     50%  640.00us
     75%    1.00ms
     90%    1.50ms
     99%    5.12ms
  123456 requests in 10.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  12345.60
Transfer/sec:      2.00MB
";

    #[test]
    fn wrk_reports_are_read() {
        let s = parse_wrk("x", WRK).unwrap();
        assert_eq!(s.requests, 123456);
        assert!((s.requests_per_second - 12345.6).abs() < 1e-6);
        assert!((s.p50_ms - 0.64).abs() < 1e-9);
        assert!((s.p99_ms - 5.12).abs() < 1e-9);
        assert_eq!(s.errors, 10);
    }

    #[test]
    fn durations_convert_to_milliseconds() {
        assert_eq!(duration_ms("2.5s"), Some(2500.0));
        assert_eq!(duration_ms("500.00us"), Some(0.5));
        assert_eq!(duration_ms("abc"), None);
    }

    #[test]
    fn ticks_come_from_the_utime_and_stime_fields() {
        // A real line's shape: a comm with a space and a parenthesis.
        let stat = "4242 (todo (be) x) S 1 4242 4242 0 -1 4194560 1200 0 3 0 \
                    700 55 9 4 20 0 8 0 123456 1000000 2500 18446744073709551615";
        assert_eq!(ticks_of_stat(stat, false), Some(755));
        assert_eq!(ticks_of_stat(stat, true), Some(768));
        assert_eq!(ticks_of_stat("garbage", false), None);
    }

    #[test]
    fn cpu_is_split_by_process_per_request() {
        let before = CpuTicks {
            backend: 100,
            frontend: 50,
            postgres_serving: 200,
            postgres_other: 10,
        };
        let after = CpuTicks {
            backend: 300,
            frontend: 50,
            postgres_serving: 300,
            postgres_other: 12,
        };
        // 100 ticks a second: a tick is 10 ms; over 1,000 requests.
        let cpu = after.since(&before).per_request(1000, 100.0);
        assert_eq!(
            cpu,
            CpuPerRequest {
                backend: 2.0,
                frontend: 0.0,
                postgres_serving: 1.0,
                postgres_other: 0.02,
            }
        );
        assert!((cpu.total() - 3.02).abs() < 1e-9);
        // A counter that went backwards (a process replaced) counts nothing.
        assert_eq!(before.since(&after).backend, 0);
    }

    #[test]
    fn cpu_ticks_of_this_process_are_read() {
        // Spend some CPU, then see it counted.
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(process_ticks(std::process::id(), false) > 0);
        assert_eq!(
            parent_of(std::process::id()),
            Some(std::os::unix::process::parent_id())
        );
    }
}
