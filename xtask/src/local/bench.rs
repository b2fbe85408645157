//! `cargo xtask bench`: load-tests the release backend over loopback on
//! PostgreSQL and on SQLite with wrk, and reports throughput, latency
//! percentiles, errors, idle memory and time to ready.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use todo_api::{ApiClient, NewTask, Priority, SignupRequest};

use crate::support::local_backend::LocalBackend;
use crate::support::postgres::{TempPostgres, server_binaries};
use crate::support::process::{cargo, output, run, which};
use crate::support::workspace::target_dir;

/// The pool wide enough for the load; login limits out of the way, since
/// all load comes from one address.
const LOAD_ENV: &[(&str, &str)] = &[
    ("DATABASE_MAX_CONNECTIONS", "16"),
    ("LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT", "100000"),
];

#[derive(Debug, Args)]
pub struct Bench {
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Only this database (`postgres` or `sqlite`).
    #[arg(long)]
    only: Option<String>,
    /// Also write the report as Markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

#[derive(Debug)]
struct Scenario {
    name: &'static str,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

#[derive(Debug)]
struct DatabaseRun {
    database: &'static str,
    start_to_ready: Duration,
    idle_rss_kib: u64,
    scenarios: Vec<Scenario>,
}

impl Bench {
    pub fn run(self) -> anyhow::Result<()> {
        let wrk = which("wrk").context("wrk is not installed: `apt-get install -y wrk` (Debian) or see https://github.com/wg/wrk")?;
        run(cargo().args(["build", "--release", "--quiet", "-p", "todo-backend"]))?;
        let binary = target_dir().join("release/todo-backend");
        let mut runs = Vec::new();
        if self.only.as_deref().is_none_or(|only| only == "postgres") {
            let bin = server_binaries()
                .context("PostgreSQL server binaries not found: `apt-get install -y postgresql`")?;
            let cluster = TempPostgres::start(&bin)?;
            runs.push(self.measure("postgres", &binary, &wrk, &cluster.url)?);
        }
        if self.only.as_deref().is_none_or(|only| only == "sqlite") {
            let dir =
                std::env::temp_dir().join(format!("todo-bench-sqlite-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}", dir.join("bench.db").display());
            let result = self.measure("sqlite", &binary, &wrk, &url);
            std::fs::remove_dir_all(&dir).ok();
            runs.push(result?);
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
        binary: &Path,
        wrk: &Path,
        url: &str,
    ) -> anyhow::Result<DatabaseRun> {
        eprintln!("\nbench: {database}");
        // The first start applies migrations; the measured one finds them applied.
        drop(LocalBackend::start(binary, url, LOAD_ENV)?);
        let server = LocalBackend::start(binary, url, LOAD_ENV)?;
        std::thread::sleep(Duration::from_secs(1));
        let idle_rss_kib = server.rss_kib()?;
        let base = server.base_url();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let (token, task_id) = runtime.block_on(seed(&base))?;

        let scripts = std::env::temp_dir().join(format!("todo-bench-{}", std::process::id()));
        std::fs::create_dir_all(&scripts)?;
        let post = scripts.join("post.lua");
        std::fs::write(
            &post,
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.body = '{\"title\": \"load test task\", \"priority\": \"high\", \"tags\": [\"bench\"]}'\n",
        )?;
        let auth = format!("Authorization: Bearer {token}");
        let plans: [(&str, String, Option<&Path>); 4] = [
            ("GET /health", format!("{base}/health"), None),
            (
                "GET /api/tasks?limit=50",
                format!("{base}/api/tasks?limit=50"),
                None,
            ),
            (
                "GET /api/tasks/{id}",
                format!("{base}/api/tasks/{task_id}"),
                None,
            ),
            (
                "POST /api/tasks",
                format!("{base}/api/tasks"),
                Some(post.as_path()),
            ),
        ];
        let mut scenarios = Vec::new();
        for (name, target, script) in plans {
            eprintln!("bench: {database}: {name} for {} s", self.duration);
            let mut command = Command::new(wrk);
            command
                .args(["--latency", "-t", "2", "-c"])
                .arg(self.connections.to_string())
                .arg("-d")
                .arg(format!("{}s", self.duration))
                .args(["-H", &auth]);
            if let Some(script) = script {
                command.arg("-s").arg(script);
            }
            command.arg(&target);
            let text = output(&mut command)?;
            scenarios.push(
                parse_wrk(name, &text)
                    .with_context(|| format!("could not read wrk's report:\n{text}"))?,
            );
        }
        std::fs::remove_dir_all(&scripts).ok();
        Ok(DatabaseRun {
            database,
            start_to_ready: server.ready_after,
            idle_rss_kib,
            scenarios,
        })
    }
}

/// Signs up a user and seeds 50 tasks; returns the token and one task id.
async fn seed(base: &str) -> anyhow::Result<(String, String)> {
    let api = ApiClient::new(base);
    let auth = api
        .signup(&SignupRequest {
            email: format!("bench-{}@example.com", std::process::id()),
            password: "benchmark password".into(),
            name: "Bench".into(),
        })
        .await?;
    let user = api.with_token(&auth.token);
    let mut first = None;
    for i in 0..50 {
        let task = user
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
    Ok((
        auth.token,
        first.expect("50 tasks were created").to_string(),
    ))
}

/// Reads wrk's `--latency` report.
fn parse_wrk(name: &'static str, text: &str) -> Option<Scenario> {
    let mut scenario = Scenario {
        name,
        requests_per_second: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        requests: 0,
        errors: 0,
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
        "Release backend, wrk -t2 -c{} -d{}s per scenario, load generator on the same {cpus}-core machine, loopback only.\n",
        bench.connections, bench.duration
    );
    for run in runs {
        let _ = writeln!(
            out,
            "### {}\n\nstart to first 200 on /ready: {:.0} ms (migrations already applied) · idle RSS: {:.1} MiB\n",
            run.database,
            run.start_to_ready.as_secs_f64() * 1000.0,
            run.idle_rss_kib as f64 / 1024.0
        );
        let _ = writeln!(
            out,
            "| scenario | requests/s | p50 | p99 | requests | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for s in &run.scenarios {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
                s.name, s.requests_per_second, s.p50_ms, s.p99_ms, s.requests, s.errors
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
}
