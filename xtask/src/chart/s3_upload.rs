//! The backup CronJob's upload to object storage (`files/backup/upload.sh`),
//! run for real against an S3-compatible server on loopback (moto), with
//! the AWS CLI: each run copies the newest dump under the prefix and keeps
//! the newest `retention` dumps there, leaves other keys alone, and fails
//! loudly when there is no dump or the bucket cannot be written.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use crate::support::helm::CHART;
use crate::support::process::{free_port, output, project_root};
use crate::support::tools;

const BUCKET: &str = "todo-backups";
const PREFIX: &str = "production/todo";
const RETENTION: usize = 2;

/// Runs the upload script's cases; a one-line summary.
pub fn check() -> anyhow::Result<String> {
    let started = Instant::now();
    let moto = tools::MOTO_SERVER.ensure()?;
    let aws = tools::AWS_CLI.ensure()?;
    let port = free_port()?;
    let server = Server::start(&moto, port)?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let bin = aws.parent().context("the AWS CLI's directory")?.to_owned();
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        output(credentials(
            Command::new(&aws)
                .args(["--endpoint-url", &endpoint])
                .args(args),
        ))
    };
    cli(&["s3", "mb", &format!("s3://{BUCKET}")])?;
    // Another application's object under the same prefix stays.
    let unrelated = tempfile::NamedTempFile::new()?;
    cli(&[
        "s3",
        "cp",
        &unrelated.path().display().to_string(),
        &format!("s3://{BUCKET}/{PREFIX}/notes.txt"),
    ])?;

    let dumps = tempfile::tempdir()?;
    let upload = |bucket: &str| -> anyhow::Result<(bool, String)> {
        let script = project_root().join(CHART).join("files/backup/upload.sh");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = credentials(
            Command::new("sh")
                .arg(script)
                .env("PATH", path)
                .env("BACKUP_DIR", dumps.path())
                .env("BACKUP_RETENTION", RETENTION.to_string())
                .env("S3_BUCKET", bucket)
                .env("S3_PREFIX", PREFIX)
                .env("S3_ENDPOINT", &endpoint),
        )
        .output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((out.status.success(), text))
    };

    let (ok, text) = upload(BUCKET)?;
    ensure!(
        !ok && text.contains("no dump"),
        "an upload without a dump must fail: {text}"
    );
    let mut uploaded = Vec::new();
    for day in 1..=4 {
        let name = format!("todo-202612{day:02}T023000Z.dump");
        fs::write(dumps.path().join(&name), format!("dump of day {day}"))?;
        let (ok, text) = upload(BUCKET)?;
        ensure!(ok, "upload {day} failed:\n{text}");
        uploaded.push(name);
    }
    let listed = cli(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        BUCKET,
        "--prefix",
        &format!("{PREFIX}/"),
        "--query",
        "Contents[].Key",
        "--output",
        "text",
    ])?;
    let mut keys: Vec<&str> = listed.split_whitespace().collect();
    keys.sort_unstable();
    let mut expected: Vec<String> = uploaded[uploaded.len() - RETENTION..]
        .iter()
        .map(|name| format!("{PREFIX}/{name}"))
        .collect();
    expected.push(format!("{PREFIX}/notes.txt"));
    expected.sort_unstable();
    ensure!(
        keys == expected,
        "after 4 uploads keeping {RETENTION}, the bucket holds {keys:?}, want {expected:?}"
    );
    let newest_key = format!("{PREFIX}/{}", uploaded[uploaded.len() - 1]);
    let newest = cli(&["s3", "cp", &format!("s3://{BUCKET}/{newest_key}"), "-"])?;
    ensure!(
        newest == "dump of day 4",
        "the newest dump came back as {newest:?}"
    );

    let (ok, text) = upload("no-such-bucket")?;
    ensure!(
        !ok,
        "an upload to a bucket that does not exist must fail:\n{text}"
    );
    drop(server);
    Ok(format!(
        "4 uploads to S3 (moto on 127.0.0.1:{port}) kept the {RETENTION} newest dumps and the unrelated key; no dump and a missing bucket failed; in {:.1?}",
        started.elapsed()
    ))
}

/// Test credentials: moto accepts any, and nothing may reach a real account.
fn credentials(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

/// moto's server, stopped (by its PID) when dropped.
struct Server(Child);

impl Server {
    fn start(program: &Path, port: u16) -> anyhow::Result<Self> {
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let server = Self(child);
        let waited = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if waited.elapsed() > Duration::from_secs(30) {
                bail!("moto_server did not listen on 127.0.0.1:{port} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
