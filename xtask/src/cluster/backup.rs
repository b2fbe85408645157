//! `cargo xtask backup`: runs the release's backup CronJob once, now, and
//! copies the dump it wrote to this machine. Dumps live on the backups
//! volume, which only Pods can read, so a reader Pod made from the
//! CronJob's own Pod template as the cluster has it (its image, env,
//! volumes, securityContext and labels, so the NetworkPolicies treat it as
//! a backup Pod; only its command is a bounded `sleep`) mounts it, and is
//! deleted whatever happened. `restore` shares the pieces: a
//! [`Procedure`] (steps, a rescue when some of them fail, a cleanup that
//! always runs), [`derive_pod`] and [`Found`].

use std::fs;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Map, Value, json};

use super::deploy::{check_tools, kube_context};
use super::plan;
use super::release_names::{self, BackupNames};
use super::{ClusterFacts, Installed, ReleaseArgs, Tool, detect};
use crate::support::process::{free_port, output, project_root};

/// The container of the CronJob's Pod that runs `backup.sh`; derived
/// Pods keep it (and only it).
pub const DUMP_CONTAINER: &str = "dump";
/// Where the backups volume is mounted in backup Pods.
pub const BACKUPS_DIR: &str = "/backups";
/// A reader Pod's life at most: ample to copy a dump out, and an end
/// should its deletion fail.
const READER_SECONDS: u32 = 900;
/// How long a derived Pod may take to start (an image pull included).
pub const POD_READY_TIMEOUT: &str = "180s";
/// The label the NetworkPolicies admit to the database as a backup Pod.
const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
/// The newest dump's path: names carry a UTC timestamp, so the last in
/// name order is the newest; `.partial` files (a dump being written) do
/// not match.
const NEWEST_DUMP: &str = "ls -1 /backups/todo-????????T??????Z.dump 2>/dev/null | tail -n 1";

#[derive(Debug, Args)]
pub struct Backup {
    #[command(flatten)]
    pub target: ReleaseArgs,
    /// Directory the dump is copied to (created when missing).
    #[arg(long, default_value = "backups")]
    pub output: PathBuf,
    /// How long to wait for the backup Job (default: the Job's own
    /// deadline, `backup.activeDeadlineSeconds`, and 3 minutes to start).
    #[arg(long)]
    pub timeout: Option<String>,
    /// Print the plan without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Show the underlying commands and their output.
    #[arg(long)]
    pub verbose: bool,
}

/// `kubectl --context <context> -n <namespace>`: every command of a
/// procedure targets one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubectl {
    pub context: String,
    pub namespace: String,
}

impl Kubectl {
    pub fn args(&self, rest: &[&str]) -> Vec<String> {
        ["--context", &self.context, "-n", &self.namespace]
            .iter()
            .chain(rest)
            .map(|arg| (*arg).to_owned())
            .collect()
    }

    fn command(&self, rest: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command.args(self.args(rest));
        command
    }

    fn line(&self, rest: &[&str]) -> String {
        command_line("kubectl", &self.args(rest))
    }

    /// A step that runs `kubectl … <rest>`.
    pub fn step(
        &self,
        title: impl Into<String>,
        rest: &[&str],
        on_failure: impl Into<String>,
    ) -> Step {
        Step::new(
            title,
            Op::Run {
                program: "kubectl".into(),
                args: self.args(rest),
            },
            on_failure,
        )
    }

    /// `kubectl exec <pod> -c dump -- <command>`.
    pub fn exec_args<'a>(pod: &'a str, command: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["exec", pod, "-c", DUMP_CONTAINER, "--"];
        args.extend(command);
        args
    }
}

/// The command line as a shell would take it (the deploy plan's quoting).
fn command_line(program: &str, args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    plan::Step::run("", program, &args, "")
        .command_line()
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// An external command, run as is.
    Run { program: String, args: Vec<String> },
    /// `kubectl create -f -` of a Pod made from the backup CronJob.
    CreatePod {
        kubectl: Kubectl,
        pod: Value,
        from: String,
    },
    /// `kubectl wait` for the Job's Complete and Failed conditions at
    /// once: the first to arrive decides, so a failed Job is known at
    /// once rather than at the timeout.
    WaitJob {
        kubectl: Kubectl,
        job: String,
        timeout: String,
    },
    /// `kubectl wait --for=delete` on the Pods `selector` matches; none
    /// left to wait for counts as done (kubectl calls that an error).
    WaitGone {
        kubectl: Kubectl,
        selector: String,
        timeout: String,
    },
    /// A local file into the Pod's dump container, its size compared after.
    Upload {
        kubectl: Kubectl,
        pod: String,
        local: PathBuf,
        remote: String,
    },
    /// The newest dump on the Pod's backups volume into `dir`, mode 600
    /// (it holds every account), its size compared and its format checked.
    FetchNewest {
        kubectl: Kubectl,
        pod: String,
        dir: PathBuf,
    },
    /// GET `path` on the Deployment's container `port` through a short
    /// `kubectl port-forward` (the backend image has no shell to exec, and
    /// a port-forward is not subject to the NetworkPolicies), until 200.
    CheckReady {
        kubectl: Kubectl,
        deployment: String,
        port: u16,
        path: String,
    },
    /// Tell the user something the plan decided or read.
    Notice(String),
}

/// How long [`Op::CheckReady`] asks before it gives up.
const READY_WITHIN: Duration = Duration::from_secs(60);

impl Op {
    pub fn describe(&self) -> String {
        match self {
            Op::Run { program, args } => command_line(program, args),
            Op::CreatePod { kubectl, pod, from } => {
                let container = &pod["spec"]["containers"][0];
                format!(
                    "{} with Pod {}: {from}'s Pod template (image {}, its env, volumes, securityContext and labels), command `{}`",
                    kubectl.line(&["create", "-f", "-"]),
                    pod["metadata"]["name"].as_str().unwrap_or("?"),
                    container["image"].as_str().unwrap_or("?"),
                    container["command"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            Op::WaitJob {
                kubectl,
                job,
                timeout,
            } => {
                let wait = |condition: &str| {
                    kubectl.line(&[
                        "wait",
                        &format!("--for=condition={condition}"),
                        &format!("job/{job}"),
                        &format!("--timeout={timeout}"),
                    ])
                };
                format!(
                    "{} alongside {} (the first to finish decides)",
                    wait("complete"),
                    wait("failed")
                )
            }
            Op::WaitGone {
                kubectl,
                selector,
                timeout,
            } => format!(
                "{} (no Pod left counts as done)",
                kubectl.line(&[
                    "wait",
                    "--for=delete",
                    "pod",
                    "-l",
                    selector,
                    &format!("--timeout={timeout}")
                ])
            ),
            Op::Upload {
                kubectl,
                pod,
                local,
                remote,
            } => format!(
                "{} < {}, then compare the sizes",
                kubectl
                    .line(&Kubectl::exec_args(
                        pod,
                        &["sh", "-c", &format!("cat > {remote}")]
                    ))
                    .replacen(" exec ", " exec -i ", 1),
                local.display()
            ),
            Op::FetchNewest { kubectl, pod, dir } => format!(
                "{}, then {} > {}/<that file> (mode 600), then compare the sizes",
                kubectl.line(&Kubectl::exec_args(pod, &["sh", "-c", NEWEST_DUMP])),
                kubectl.line(&Kubectl::exec_args(pod, &["cat", "<that file>"])),
                dir.display()
            ),
            Op::CheckReady {
                kubectl,
                deployment,
                port,
                path,
            } => format!(
                "{}, then GET {path} on it until it answers 200 (at most {} s)",
                kubectl.line(&[
                    "port-forward",
                    &format!("deployment/{deployment}"),
                    &format!("<free port>:{port}")
                ]),
                READY_WITHIN.as_secs()
            ),
            Op::Notice(text) => text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub op: Op,
    /// What to do next when this step fails.
    pub on_failure: String,
    /// kubectl arguments whose output is shown when this step fails.
    pub evidence: Option<Vec<String>>,
}

impl Step {
    pub fn new(title: impl Into<String>, op: Op, on_failure: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            op,
            on_failure: on_failure.into(),
            evidence: None,
        }
    }

    pub fn notice(title: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(title, Op::Notice(text.into()), "")
    }
}

/// Steps run when one of some steps fails, before the cleanup: what puts
/// back what those steps took away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rescue {
    /// The indices of the steps whose failure calls for it.
    pub covers: Range<usize>,
    pub steps: Vec<Step>,
    /// Said once it has run.
    pub done: String,
}

/// A plan with a rescue and a cleanup: the steps in order until one fails;
/// then the rescue when it covers that step; then, whatever happened, the
/// cleanup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Procedure {
    pub steps: Vec<Step>,
    pub rescue: Option<Rescue>,
    pub cleanup: Vec<Step>,
}

fn glyph_line(glyph: &str, step: &Step) -> String {
    format!("  {glyph} {}\n        {}", step.title, step.op.describe())
}

impl Procedure {
    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// The rescue that runs when step `at` fails.
    fn rescue_for(&self, at: usize) -> Option<&Rescue> {
        self.rescue
            .as_ref()
            .filter(|rescue| rescue.covers.contains(&at))
    }

    /// The titles of the steps that run, in order, when step `failing`
    /// fails (or none does): what `execute` does, as data.
    #[cfg(test)]
    pub fn sequence(&self, failing: Option<usize>) -> Vec<&str> {
        let ran = match failing {
            Some(at) => &self.steps[..=at.min(self.steps.len().saturating_sub(1))],
            None => &self.steps[..],
        };
        let rescue = failing.and_then(|at| self.rescue_for(at));
        ran.iter()
            .chain(rescue.into_iter().flat_map(|r| &r.steps))
            .chain(&self.cleanup)
            .map(|step| step.title.as_str())
            .collect()
    }

    /// Every step's description, the rescue's and cleanup's included.
    #[cfg(test)]
    pub fn commands(&self) -> Vec<String> {
        self.steps
            .iter()
            .chain(self.rescue.iter().flat_map(|r| &r.steps))
            .chain(&self.cleanup)
            .map(|step| step.op.describe())
            .collect()
    }

    pub fn text(&self) -> String {
        let mut text = format!("plan ({} steps):\n", self.steps.len());
        for (i, step) in self.steps.iter().enumerate() {
            text.push_str(&format!(
                "  {:>2}. {}\n        {}\n",
                i + 1,
                step.title,
                step.op.describe()
            ));
        }
        if let Some(rescue) = &self.rescue {
            text.push_str(&format!(
                "if one of steps {}–{} fails:\n",
                rescue.covers.start + 1,
                rescue.covers.end
            ));
            for step in &rescue.steps {
                text.push_str(&glyph_line("↺", step));
                text.push('\n');
            }
        }
        if !self.cleanup.is_empty() {
            text.push_str("whatever happened:\n");
            for step in &self.cleanup {
                text.push_str(&glyph_line("⌫", step));
                text.push('\n');
            }
        }
        text
    }

    pub fn print(&self) {
        print!("{}", self.text());
    }

    pub fn execute(&self, verbose: bool) -> anyhow::Result<()> {
        // Ctrl-C stops the step under way (its kubectl gets the signal
        // too) but not this process: the rescue and the cleanup still run.
        // A second one leaves at once.
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&interrupted);
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: putting things back first (Ctrl-C again leaves now)");
        });
        let started = Instant::now();
        let total = self.steps.len();
        let mut failure = None;
        for (i, step) in self.steps.iter().enumerate() {
            let result = run_step(&format!("[{}/{total}] ", i + 1), step, verbose);
            let result = match result {
                Ok(()) if interrupted.load(Ordering::SeqCst) => {
                    Err(anyhow::anyhow!("interrupted after: {}", step.title))
                }
                result => result,
            };
            if let Err(e) = result {
                failure = Some((i, e));
                break;
            }
        }
        let mut rescue_note = String::new();
        if let Some(rescue) = failure.as_ref().and_then(|(at, _)| self.rescue_for(*at)) {
            let failed: Vec<String> = rescue
                .steps
                .iter()
                .filter_map(|step| run_step("↺ ", step, verbose).err())
                .map(|e| format!("{e:#}"))
                .collect();
            rescue_note = if failed.is_empty() {
                format!("\n\n{}", rescue.done)
            } else {
                format!(
                    "\n\nputting things back failed too — do it by hand:\n{}\n{}",
                    rescue
                        .steps
                        .iter()
                        .map(|s| format!("  {}", s.op.describe()))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    failed.join("\n")
                )
            };
        }
        for step in &self.cleanup {
            if let Err(e) = run_step("⌫ ", step, verbose) {
                eprintln!("{e:#}\nwhat to do next: {}", step.on_failure);
            }
        }
        match failure {
            None => {
                eprintln!("done in {:.0?}", started.elapsed());
                Ok(())
            }
            Some((at, e)) => bail!(
                "{e:#}\n\nwhat to do next: {}{rescue_note}",
                self.steps[at].on_failure
            ),
        }
    }
}

fn run_step(prefix: &str, step: &Step, verbose: bool) -> anyhow::Result<()> {
    let label = format!("{prefix}{}", step.title);
    if verbose {
        eprintln!("$ {}", step.op.describe());
    }
    eprintln!("… {label}");
    let started = Instant::now();
    match perform(&step.op, verbose) {
        Ok(said) => {
            eprintln!("✔ {label} ({:.0?})", started.elapsed());
            if let Some(said) = said {
                println!("{said}");
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("✘ {label} failed after {:.0?}", started.elapsed());
            let evidence = step.evidence.as_ref().map(|args| {
                let shown = match Command::new("kubectl").args(args).output() {
                    Ok(o) => format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    ),
                    Err(e) => format!("(could not run kubectl: {e})"),
                };
                format!(
                    "\n--- {} ---\n{}",
                    command_line("kubectl", args),
                    shown.trim_end()
                )
            });
            Err(e.context(format!("{}{}", step.title, evidence.unwrap_or_default())))
        }
    }
}

/// Runs one operation; `Some(text)` is output for the user.
fn perform(op: &Op, verbose: bool) -> anyhow::Result<Option<String>> {
    match op {
        Op::Run { program, args } => {
            let said = output(Command::new(program).args(args))?;
            if verbose && !said.trim().is_empty() {
                eprintln!("{}", said.trim_end());
            }
            Ok(None)
        }
        Op::CreatePod { kubectl, pod, .. } => {
            let mut child = kubectl
                .command(&["create", "-f", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("could not run kubectl")?;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(serde_json::to_string(pod)?.as_bytes())?;
            finished(child, "kubectl create")?;
            Ok(None)
        }
        Op::WaitJob {
            kubectl,
            job,
            timeout,
        } => wait_job(kubectl, job, timeout).map(|()| None),
        Op::WaitGone {
            kubectl,
            selector,
            timeout,
        } => {
            let waited = output(&mut kubectl.command(&[
                "wait",
                "--for=delete",
                "pod",
                "-l",
                selector,
                &format!("--timeout={timeout}"),
            ]));
            match waited {
                Err(e) if !format!("{e:#}").contains("no matching resources found") => Err(e),
                _ => Ok(None),
            }
        }
        Op::Upload {
            kubectl,
            pod,
            local,
            remote,
        } => {
            let file = fs::File::open(local)
                .with_context(|| format!("cannot read {}", local.display()))?;
            let size = file.metadata()?.len();
            let copy = format!("cat > {remote}");
            let mut args = Kubectl::exec_args(pod, &["sh", "-c", &copy]);
            args.insert(1, "-i");
            let child = kubectl
                .command(&args)
                .stdin(file)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("could not run kubectl")?;
            finished(child, "kubectl exec")?;
            let copied = remote_size(kubectl, pod, remote)?;
            if copied != size {
                bail!("{copied} of {size} bytes arrived in {pod}:{remote}");
            }
            Ok(Some(format!(
                "copied {} into {pod} ({})",
                local.display(),
                size_text(size)
            )))
        }
        Op::FetchNewest { kubectl, pod, dir } => fetch_newest(kubectl, pod, dir).map(Some),
        Op::CheckReady {
            kubectl,
            deployment,
            port,
            path,
        } => check_ready(kubectl, deployment, *port, path).map(Some),
        Op::Notice(text) => Ok(Some(text.clone())),
    }
}

/// Waits for `child`; a failure carries what it said.
fn finished(child: Child, what: &str) -> anyhow::Result<String> {
    let out = child.wait_with_output()?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("`{what}` failed ({}): {}", out.status, said.trim());
    }
    Ok(said)
}

fn wait_job(kubectl: &Kubectl, job: &str, timeout: &str) -> anyhow::Result<()> {
    let spawn = |condition: &str| {
        kubectl
            .command(&[
                "wait",
                &format!("--for=condition={condition}"),
                &format!("job/{job}"),
                &format!("--timeout={timeout}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("could not run kubectl")
    };
    let mut complete = spawn("complete")?;
    let mut failed = match spawn("failed") {
        Ok(child) => child,
        Err(e) => {
            let _ = complete.kill();
            let _ = complete.wait();
            return Err(e);
        }
    };
    loop {
        let (done, other, completes) = if complete.try_wait()?.is_some() {
            (complete, failed, true)
        } else if failed.try_wait()?.is_some() {
            (failed, complete, false)
        } else {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        let mut other = other;
        let _ = other.kill();
        let _ = other.wait();
        finished(done, "kubectl wait")?;
        if !completes {
            bail!("Job {job} failed");
        }
        return Ok(());
    }
}

/// The size in bytes of `path` in the Pod.
fn remote_size(kubectl: &Kubectl, pod: &str, path: &str) -> anyhow::Result<u64> {
    let said = output(&mut kubectl.command(&Kubectl::exec_args(
        pod,
        &["sh", "-c", "wc -c < \"$1\"", "size", path],
    )))?;
    said.trim()
        .parse()
        .with_context(|| format!("`wc -c` of {path} answered {said:?}"))
}

fn fetch_newest(kubectl: &Kubectl, pod: &str, dir: &Path) -> anyhow::Result<String> {
    let said = output(&mut kubectl.command(&Kubectl::exec_args(pod, &["sh", "-c", NEWEST_DUMP])))?;
    let newest = said.trim();
    let name = newest
        .strip_prefix(&format!("{BACKUPS_DIR}/"))
        .filter(|name| name.starts_with("todo-") && name.ends_with(".dump") && !name.contains('/'))
        .with_context(|| {
            if newest.is_empty() {
                format!("no dump on the backups volume ({BACKUPS_DIR} has no todo-*.dump)")
            } else {
                format!("{newest:?} is not a dump's name")
            }
        })?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let target = dir.join(name);
    let partial = dir.join(format!("{name}.partial"));
    let copied = (|| -> anyhow::Result<u64> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        let child = kubectl
            .command(&Kubectl::exec_args(pod, &["cat", newest]))
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(Stdio::piped())
            .spawn()
            .context("could not run kubectl")?;
        finished(child, "kubectl exec cat")?;
        let size = fs::metadata(&partial)?.len();
        let expected = remote_size(kubectl, pod, newest)?;
        if size != expected {
            bail!("{size} of {expected} bytes of {newest} arrived");
        }
        if !starts_with_magic(&partial)? {
            bail!("{newest} is not a PostgreSQL custom-format dump");
        }
        fs::rename(&partial, &target)?;
        Ok(size)
    })();
    match copied {
        Ok(size) => Ok(format!(
            "saved {} ({}, {size} bytes)",
            target.display(),
            size_text(size)
        )),
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// What every PostgreSQL custom-format dump starts with.
pub const DUMP_MAGIC: &[u8] = b"PGDMP";

pub fn starts_with_magic(path: &Path) -> anyhow::Result<bool> {
    let mut head = [0u8; 5];
    let mut file = fs::File::open(path)?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(&head[..read] == DUMP_MAGIC)
}

fn check_ready(
    kubectl: &Kubectl,
    deployment: &str,
    port: u16,
    path: &str,
) -> anyhow::Result<String> {
    /// Ends the port-forward however the check ends.
    struct Forward(Child);
    impl Drop for Forward {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let local = free_port()?;
    let mut forward = Forward(
        kubectl
            .command(&[
                "port-forward",
                &format!("deployment/{deployment}"),
                &format!("{local}:{port}"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("could not run kubectl port-forward")?,
    );
    let started = Instant::now();
    loop {
        if let Some(status) = forward.0.try_wait()? {
            let mut said = String::new();
            if let Some(mut stderr) = forward.0.stderr.take() {
                let _ = stderr.read_to_string(&mut said);
            }
            bail!("kubectl port-forward ended ({status}): {}", said.trim());
        }
        let last = match crate::support::http::get(local, path) {
            Ok(answer) if answer.status == 200 => {
                return Ok(format!(
                    "the backend is ready: {path} answers 200 {}",
                    answer.body.trim()
                ));
            }
            Ok(answer) => format!("{} {}", answer.status, answer.body.trim()),
            Err(e) => format!("{e:#}"),
        };
        if started.elapsed() > READY_WITHIN {
            bail!(
                "{path} did not answer 200 within {} s; last: {last}",
                READY_WITHIN.as_secs()
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `<base>-<suffix>`, `base` cut so the whole fits a label value's 63
/// characters (Job names become the `job-name` label of their Pods).
pub fn name_with_suffix(base: &str, suffix: &str) -> String {
    let room = 63usize.saturating_sub(suffix.len() + 1);
    let base: String = base.chars().take(room).collect();
    format!("{}-{suffix}", base.trim_end_matches('-'))
}

/// The claim the CronJob's dump container has at /backups.
pub fn backups_claim(cron_job: &Value) -> Option<String> {
    let spec = &cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let volume = ["initContainers", "containers"]
        .iter()
        .filter_map(|key| spec[*key].as_array())
        .flatten()
        .filter(|c| c["name"] == DUMP_CONTAINER)
        .filter_map(|c| c["volumeMounts"].as_array())
        .flatten()
        .find(|m| m["mountPath"] == BACKUPS_DIR)?["name"]
        .as_str()?;
    spec["volumes"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == volume)?["persistentVolumeClaim"]["claimName"]
        .as_str()
        .map(str::to_owned)
}

/// The volume a restore Pod receives its dump in: the Pod's own, gone
/// with it, so nothing is left on the backups volume.
const SCRATCH_VOLUME: &str = "scratch";

/// A Pod made from the CronJob's Pod template: the `dump` container
/// alone (an init container when the CronJob uploads), with its image,
/// env, mounts, resources and securityContext, the Pod's volumes,
/// securityContext, service account and labels; its command a `sleep` of
/// `seconds`, its life bounded by `activeDeadlineSeconds` too. `scratch`
/// adds an emptyDir mounted there.
pub fn derive_pod(
    cron_job: &Value,
    name: &str,
    seconds: u32,
    scratch: Option<&str>,
) -> Result<Value, String> {
    let from = cron_job["metadata"]["name"]
        .as_str()
        .unwrap_or("the backup CronJob");
    let template = &cron_job["spec"]["jobTemplate"]["spec"]["template"];
    let mut spec = template["spec"]
        .as_object()
        .cloned()
        .ok_or_else(|| format!("CronJob {from} has no Pod template"))?;
    let mut container = ["initContainers", "containers"]
        .iter()
        .filter_map(|key| spec.get(*key).and_then(Value::as_array))
        .flatten()
        .find(|c| c["name"] == DUMP_CONTAINER)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            format!("CronJob {from} has no container named {DUMP_CONTAINER}: is it the chart's backup CronJob?")
        })?;
    let labels = template["metadata"]["labels"]
        .as_object()
        .filter(|labels| labels.get(COMPONENT_LABEL).and_then(Value::as_str) == Some("backup"))
        .cloned()
        .ok_or_else(|| {
            format!(
                "CronJob {from}'s Pod template is not labelled {COMPONENT_LABEL}: backup, which the NetworkPolicies admit to the database"
            )
        })?;
    container.insert("command".into(), json!(["sleep", seconds.to_string()]));
    // What would run instead of the sleep, probe it, or mark it a sidecar.
    for key in [
        "args",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "restartPolicy",
    ] {
        container.remove(key);
    }
    if let Some(path) = scratch {
        push(
            &mut container,
            "volumeMounts",
            json!({"name": SCRATCH_VOLUME, "mountPath": path}),
        );
        push(
            &mut spec,
            "volumes",
            json!({"name": SCRATCH_VOLUME, "emptyDir": {}}),
        );
    }
    spec.remove("initContainers");
    spec.insert("containers".into(), json!([container]));
    spec.insert("restartPolicy".into(), json!("Never"));
    spec.insert("activeDeadlineSeconds".into(), json!(seconds + 60));
    let mut annotations = template["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    annotations.insert(
        "todo.example/derived-from".into(),
        json!(format!("cronjob/{from}")),
    );
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": spec,
    }))
}

fn push(object: &mut Map<String, Value>, key: &str, item: Value) {
    match object.get_mut(key).and_then(Value::as_array_mut) {
        Some(items) => items.push(item),
        None => {
            object.insert(key.into(), json!([item]));
        }
    }
}

/// Why a release without backups cannot be backed up or restored.
pub fn no_backups(release: &str, namespace: &str) -> String {
    format!(
        "release {release} in namespace {namespace} has no backup CronJob: turn backups on \
         (`backup.enabled: true` in a values file given to `cargo xtask deploy -f`, or \
         `helm upgrade {release} helm/todo -n {namespace} --reuse-values --set backup.enabled=true`), then run this again"
    )
}

/// What `backup` and `restore` read before they plan: the release's
/// names off the chart's render with the release's own values, and its
/// backup CronJob as the cluster has it.
#[derive(Debug, Clone)]
pub struct Found {
    pub kubectl: Kubectl,
    pub release: String,
    pub names: BackupNames,
    /// `None`: the release has no backup CronJob.
    pub cron_job: Option<Value>,
    /// Read from the cluster, not made up for a dry run without one.
    pub live: bool,
}

impl Found {
    pub fn gather(
        installed: &Installed,
        target: &ReleaseArgs,
        dry_run: bool,
        who: &str,
    ) -> anyhow::Result<Self> {
        let cluster =
            detect(target.cluster, &ClusterFacts::probe(installed)).map_err(anyhow::Error::msg)?;
        eprintln!("{who}: target {}", cluster.describe());
        let kubectl = Kubectl {
            context: kube_context(&cluster),
            namespace: target.namespace.clone(),
        };
        let (release, namespace) = (&target.release, &target.namespace);
        let helm = installed.program(Tool::Helm);
        // The names the installed release has: its own values, whatever
        // files or --set made them.
        let values_dir = tempfile::Builder::new().prefix("todo-values-").tempdir()?;
        let values = values_dir.path().join("values.yaml");
        let installed_values = output(Command::new(&helm).args([
            "get",
            "values",
            release,
            "-n",
            namespace,
            "--kube-context",
            &kubectl.context,
            "-o",
            "yaml",
        ]));
        let live = match installed_values {
            Ok(text) => {
                let text = if text.trim() == "null" { "" } else { &text };
                fs::write(&values, text)?;
                true
            }
            Err(e) if dry_run => {
                eprintln!(
                    "{who}: {e:#}\n{who}: (the plan below is for the chart's defaults with backup.enabled=true)"
                );
                fs::write(&values, "backup:\n  enabled: true\n")?;
                false
            }
            Err(e) => {
                return Err(e.context(format!(
                    "{who} reads release {release}'s values to name its objects; is it installed? `helm list -n {namespace}`"
                )));
            }
        };
        let render = release_names::render(
            Path::new(&helm),
            &project_root().join(crate::support::helm::CHART),
            release,
            namespace,
            &[values],
        )?;
        let names = BackupNames::from_manifests(&render)?;
        let cron_job = match &names.cron_job {
            None => None,
            Some(rendered) if !live => Some(rendered.object.clone()),
            Some(rendered) => read_object(&kubectl, "cronjob", &rendered.name)?,
        };
        Ok(Self {
            kubectl,
            release: release.clone(),
            names,
            cron_job,
            live,
        })
    }

    /// The CronJob and its name, or why there is none.
    pub fn cron_job(&self) -> Result<(&str, &Value), String> {
        match (&self.names.cron_job, &self.cron_job) {
            (Some(rendered), Some(object)) => Ok((&rendered.name, object)),
            _ => Err(no_backups(&self.release, &self.kubectl.namespace)),
        }
    }
}

/// `kubectl get <kind>/<name> -o json`; `None` when there is no such object.
pub fn read_object(kubectl: &Kubectl, kind: &str, name: &str) -> anyhow::Result<Option<Value>> {
    let out = kubectl
        .command(&["get", &format!("{kind}/{name}"), "-o", "json"])
        .stdin(Stdio::null())
        .output()
        .context("could not run kubectl")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if stderr.contains("NotFound") {
            return Ok(None);
        }
        bail!(
            "`kubectl get {kind}/{name}` failed: {}; is the cluster running? `kubectl cluster-info`",
            stderr.trim()
        );
    }
    Ok(Some(serde_json::from_slice(&out.stdout).with_context(
        || format!("kubectl get {kind}/{name} did not answer JSON"),
    )?))
}

/// Seconds since the epoch: tells this run's Job and Pods apart.
pub fn stamp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Everything the backup plan depends on.
#[derive(Debug, Clone)]
pub struct BackupInputs {
    pub found: Found,
    pub stamp: u64,
}

impl Backup {
    pub fn plan(&self, inputs: &BackupInputs) -> Result<Procedure, String> {
        let found = &inputs.found;
        let (cron_job, object) = found.cron_job()?;
        let kubectl = &found.kubectl;
        let namespace = &kubectl.namespace;
        let job = name_with_suffix(cron_job, &format!("manual-{}", inputs.stamp));
        let reader = name_with_suffix(cron_job, &format!("reader-{}", inputs.stamp));
        let pod = derive_pod(object, &reader, READER_SECONDS, None)?;
        let claim = backups_claim(object);
        let volume = claim
            .as_deref()
            .map_or("the backups volume".to_owned(), |claim| {
                format!("claim {claim}")
            });
        let mut plan = Procedure::default();
        plan.push(Step::notice(
            "the release's backup CronJob",
            format!(
                "CronJob {cron_job} (schedule {:?}), dumps kept on {volume}",
                object["spec"]["schedule"].as_str().unwrap_or("?")
            ),
        ));
        plan.push(kubectl.step(
            format!("start a backup now (Job {job})"),
            &["create", "job", &job, &format!("--from=cronjob/{cron_job}")],
            format!(
                "`kubectl --context {} auth can-i create jobs -n {namespace}`",
                kubectl.context
            ),
        ));
        let mut wait = Step::new(
            "wait for the backup to finish",
            Op::WaitJob {
                kubectl: kubectl.clone(),
                job: job.clone(),
                timeout: self.timeout.clone().unwrap_or_else(|| job_timeout(object)),
            },
            format!(
                "its log above says why (a database it cannot reach, a full volume: `kubectl -n {namespace} get pvc`); \
                 a slow database needs a longer --timeout; `cargo xtask doctor --release {} --namespace {namespace}` diagnoses the release",
                found.release
            ),
        );
        wait.evidence = Some(kubectl.args(&[
            "logs",
            &format!("job/{job}"),
            "--all-containers",
            "--tail",
            "50",
        ]));
        plan.push(wait);
        plan.push(Step::new(
            format!("start a reader Pod on {volume}"),
            Op::CreatePod {
                kubectl: kubectl.clone(),
                pod,
                from: format!("CronJob {cron_job}"),
            },
            format!(
                "`kubectl --context {} auth can-i create pods -n {namespace}`",
                kubectl.context
            ),
        ));
        plan.push(kubectl.step(
            "wait for the reader Pod",
            &[
                "wait",
                "--for=condition=Ready",
                &format!("pod/{reader}"),
                &format!("--timeout={POD_READY_TIMEOUT}"),
            ],
            pod_start_failure(kubectl, &reader),
        ));
        plan.push(Step::new(
            format!("copy the newest dump to {}", self.output.display()),
            Op::FetchNewest {
                kubectl: kubectl.clone(),
                pod: reader.clone(),
                dir: self.output.clone(),
            },
            format!(
                "check that {} is writable and has room",
                self.output.display()
            ),
        ));
        plan.cleanup.push(delete_pod(kubectl, &reader, "reader"));
        Ok(plan)
    }

    pub fn run(self) -> anyhow::Result<()> {
        let installed = Installed::probe();
        if !self.dry_run {
            check_tools(&installed, &[Tool::Kubectl, Tool::Helm]).map_err(anyhow::Error::msg)?;
        }
        let found = Found::gather(&installed, &self.target, self.dry_run, "backup")?;
        let inputs = BackupInputs {
            found,
            stamp: stamp(),
        };
        let plan = self.plan(&inputs).map_err(anyhow::Error::msg)?;
        if self.dry_run {
            plan.print();
            return Ok(());
        }
        plan.execute(self.verbose)
    }
}

/// How long a backup Job can take: its deadline, which fails it, and
/// time for its Pod to start; 30 minutes for a CronJob without one.
fn job_timeout(cron_job: &Value) -> String {
    let deadline = cron_job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
        .as_u64()
        .unwrap_or(1800);
    format!("{}s", deadline + 180)
}

/// Why a derived Pod may not start, and where to look.
pub fn pod_start_failure(kubectl: &Kubectl, pod: &str) -> String {
    format!(
        "`kubectl --context {} -n {} describe pod {pod}` says why: an image it cannot pull, or a backups claim \
         only one node can mount (ReadWriteOnce) held by a backup Job running on another node — try again when it has finished",
        kubectl.context, kubectl.namespace
    )
}

/// The cleanup step that deletes a derived Pod.
pub fn delete_pod(kubectl: &Kubectl, pod: &str, what: &str) -> Step {
    kubectl.step(
        format!("delete the {what} Pod"),
        &["delete", "pod", pod, "--ignore-not-found", "--wait=false"],
        format!(
            "it ends by itself within the hour; or `kubectl --context {} -n {} delete pod {pod}`",
            kubectl.context, kubectl.namespace
        ),
    )
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::cluster::ClusterChoice;
    use crate::cluster::release_names::RenderedCronJob;

    /// `kubectl get cronjob todo-backup -o json` of the chart's backup
    /// CronJob as a cluster answers it (S3 off: `dump` is the container).
    pub const CRON_JOB: &str = r#"{
      "apiVersion": "batch/v1",
      "kind": "CronJob",
      "metadata": {
        "annotations": {"meta.helm.sh/release-name": "todo", "meta.helm.sh/release-namespace": "todo", "todo.example/backup-max-age-hours": "26"},
        "creationTimestamp": "2026-12-01T09:00:00Z",
        "generation": 1,
        "labels": {"app.kubernetes.io/component": "backup", "app.kubernetes.io/instance": "todo", "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "todo", "app.kubernetes.io/part-of": "todo", "app.kubernetes.io/version": "0.1.0", "helm.sh/chart": "todo-0.1.0"},
        "name": "todo-backup",
        "namespace": "todo",
        "resourceVersion": "48213",
        "uid": "5b0e7f9e-2f4c-4d8e-9b1a-0c6f3f0e2a11"
      },
      "spec": {
        "concurrencyPolicy": "Forbid",
        "failedJobsHistoryLimit": 1,
        "schedule": "0 3 * * *",
        "successfulJobsHistoryLimit": 3,
        "suspend": false,
        "jobTemplate": {
          "metadata": {"creationTimestamp": null},
          "spec": {
            "activeDeadlineSeconds": 1800,
            "backoffLimit": 2,
            "template": {
              "metadata": {
                "creationTimestamp": null,
                "annotations": {"checksum/scripts": "9f2c"},
                "labels": {"app.kubernetes.io/component": "backup", "app.kubernetes.io/instance": "todo", "app.kubernetes.io/name": "todo"}
              },
              "spec": {
                "automountServiceAccountToken": false,
                "serviceAccountName": "todo",
                "restartPolicy": "Never",
                "securityContext": {"fsGroup": 999, "runAsGroup": 999, "runAsNonRoot": true, "runAsUser": 999, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                  "name": "dump",
                  "image": "postgres:15-bookworm",
                  "imagePullPolicy": "IfNotPresent",
                  "command": ["sh", "/scripts/backup.sh"],
                  "env": [
                    {"name": "PGHOST", "value": "todo-postgresql"},
                    {"name": "PGPORT", "value": "5432"},
                    {"name": "PGUSER", "value": "todo"},
                    {"name": "PGDATABASE", "value": "todo"},
                    {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"key": "postgres-password", "name": "todo-deploy-secrets"}}},
                    {"name": "BACKUP_DIR", "value": "/backups"},
                    {"name": "BACKUP_KEEP", "value": "7"}
                  ],
                  "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}},
                  "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true},
                  "terminationMessagePath": "/dev/termination-log",
                  "terminationMessagePolicy": "File",
                  "volumeMounts": [
                    {"mountPath": "/scripts", "name": "scripts", "readOnly": true},
                    {"mountPath": "/backups", "name": "backups"},
                    {"mountPath": "/tmp", "name": "tmp"}
                  ]
                }],
                "volumes": [
                  {"configMap": {"defaultMode": 420, "name": "todo-backup-scripts"}, "name": "scripts"},
                  {"name": "backups", "persistentVolumeClaim": {"claimName": "todo-backups"}},
                  {"emptyDir": {}, "name": "tmp"}
                ]
              }
            }
          }
        }
      },
      "status": {"lastScheduleTime": "2026-12-10T03:00:00Z", "lastSuccessfulTime": "2026-12-10T03:01:12Z"}
    }"#;

    pub fn cron_job_json() -> Value {
        serde_json::from_str(CRON_JOB).unwrap()
    }

    pub fn found(cron_job: Option<Value>) -> Found {
        Found {
            kubectl: Kubectl {
                context: "kind-dev".into(),
                namespace: "todo".into(),
            },
            release: "todo".into(),
            names: BackupNames {
                backend: "todo-backend".into(),
                backend_selector: "app.kubernetes.io/component=backend,app.kubernetes.io/instance=todo,app.kubernetes.io/name=todo".into(),
                backend_replicas: 2,
                backend_ready: (8080, "/ready".into()),
                cron_job: cron_job.as_ref().map(|object| RenderedCronJob {
                    name: "todo-backup".into(),
                    object: object.clone(),
                }),
            },
            cron_job,
            live: true,
        }
    }

    fn backup() -> Backup {
        Backup {
            target: ReleaseArgs {
                cluster: ClusterChoice::Auto,
                release: "todo".into(),
                namespace: "todo".into(),
            },
            output: PathBuf::from("backups"),
            timeout: None,
            dry_run: true,
            verbose: false,
        }
    }

    fn inputs(cron_job: Option<Value>) -> BackupInputs {
        BackupInputs {
            found: found(cron_job),
            stamp: 1_765_360_800,
        }
    }

    #[test]
    fn a_backup_runs_the_cron_job_waits_and_copies_the_newest_dump_out() {
        let plan = backup().plan(&inputs(Some(cron_job_json()))).unwrap();
        let k = "kubectl --context kind-dev -n todo";
        assert_eq!(
            plan.commands(),
            [
                "CronJob todo-backup (schedule \"0 3 * * *\"), dumps kept on claim todo-backups"
                    .to_owned(),
                format!("{k} create job todo-backup-manual-1765360800 --from=cronjob/todo-backup"),
                format!(
                    "{k} wait --for=condition=complete job/todo-backup-manual-1765360800 --timeout=1980s alongside \
                     {k} wait --for=condition=failed job/todo-backup-manual-1765360800 --timeout=1980s (the first to finish decides)"
                ),
                format!(
                    "{k} create -f - with Pod todo-backup-reader-1765360800: CronJob todo-backup's Pod template \
                     (image postgres:15-bookworm, its env, volumes, securityContext and labels), command `sleep 900`"
                ),
                format!(
                    "{k} wait --for=condition=Ready pod/todo-backup-reader-1765360800 --timeout=180s"
                ),
                format!(
                    "{k} exec todo-backup-reader-1765360800 -c dump -- sh -c 'ls -1 /backups/todo-????????T??????Z.dump 2>/dev/null | tail -n 1', \
                     then {k} exec todo-backup-reader-1765360800 -c dump -- cat '<that file>' > backups/<that file> (mode 600), then compare the sizes"
                ),
                format!(
                    "{k} delete pod todo-backup-reader-1765360800 --ignore-not-found --wait=false"
                ),
            ]
        );
        // A failed Job shows its log.
        assert_eq!(
            plan.steps[2].evidence.as_ref().unwrap().join(" "),
            "--context kind-dev -n todo logs job/todo-backup-manual-1765360800 --all-containers --tail 50"
        );
    }

    #[test]
    fn the_wait_for_the_job_follows_its_deadline_unless_told() {
        let mut told = backup();
        told.timeout = Some("45m".into());
        let plan = told.plan(&inputs(Some(cron_job_json()))).unwrap();
        assert!(plan.commands()[2].contains("--timeout=45m"));
        let mut without = cron_job_json();
        without["spec"]["jobTemplate"]["spec"]
            .as_object_mut()
            .unwrap()
            .remove("activeDeadlineSeconds");
        assert_eq!(job_timeout(&without), "1980s");
        without["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] = json!(600);
        assert_eq!(job_timeout(&without), "780s");
    }

    #[test]
    fn the_reader_pod_is_deleted_whatever_happened() {
        let plan = backup().plan(&inputs(Some(cron_job_json()))).unwrap();
        assert_eq!(plan.rescue, None);
        for failing in 0..plan.steps.len() {
            let sequence = plan.sequence(Some(failing));
            assert_eq!(sequence.len(), failing + 2, "{sequence:?}");
            assert_eq!(sequence.last(), Some(&"delete the reader Pod"));
        }
        assert_eq!(
            plan.sequence(None),
            [
                "the release's backup CronJob",
                "start a backup now (Job todo-backup-manual-1765360800)",
                "wait for the backup to finish",
                "start a reader Pod on claim todo-backups",
                "wait for the reader Pod",
                "copy the newest dump to backups",
                "delete the reader Pod",
            ]
        );
    }

    #[test]
    fn a_release_without_backups_is_refused_with_how_to_turn_them_on() {
        let error = backup().plan(&inputs(None)).unwrap_err();
        assert!(error.contains("has no backup CronJob"), "{error}");
        assert!(error.contains("--set backup.enabled=true"), "{error}");
        // The render has one but the cluster does not (deployed before).
        let mut stale = inputs(Some(cron_job_json()));
        stale.found.cron_job = None;
        assert!(
            backup()
                .plan(&stale)
                .unwrap_err()
                .contains("--set backup.enabled=true")
        );
    }

    #[test]
    fn derived_pods_keep_what_the_network_policies_and_the_database_need() {
        let cron_job = cron_job_json();
        let template = &cron_job["spec"]["jobTemplate"]["spec"]["template"];
        let dump = &template["spec"]["containers"][0];
        let pod = derive_pod(&cron_job, "todo-backup-reader-1", 900, None).unwrap();
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["metadata"]["name"], "todo-backup-reader-1");
        assert_eq!(pod["metadata"]["labels"], template["metadata"]["labels"]);
        assert_eq!(
            pod["spec"]["securityContext"],
            template["spec"]["securityContext"]
        );
        assert_eq!(pod["spec"]["volumes"], template["spec"]["volumes"]);
        assert_eq!(pod["spec"]["serviceAccountName"], "todo");
        let containers = pod["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 1);
        let container = &containers[0];
        for kept in [
            "name",
            "image",
            "env",
            "volumeMounts",
            "securityContext",
            "resources",
        ] {
            assert_eq!(container[kept], dump[kept], "{kept}");
        }
        assert_eq!(container["command"], json!(["sleep", "900"]));
        assert!(container.get("args").is_none());
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(pod["spec"]["activeDeadlineSeconds"], 960);
        assert_eq!(
            pod["metadata"]["annotations"]["todo.example/derived-from"],
            "cronjob/todo-backup"
        );
        // A restore Pod gets a volume of its own for the upload.
        let restore = derive_pod(&cron_job, "r", 3600, Some("/restore")).unwrap();
        let volumes = restore["spec"]["volumes"].as_array().unwrap();
        assert_eq!(
            volumes.len(),
            template["spec"]["volumes"].as_array().unwrap().len() + 1
        );
        assert_eq!(
            volumes.last().unwrap(),
            &json!({"name": "scratch", "emptyDir": {}})
        );
        assert_eq!(
            restore["spec"]["containers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .last()
                .unwrap(),
            &json!({"name": "scratch", "mountPath": "/restore"})
        );
    }

    #[test]
    fn with_uploads_on_the_dump_init_container_is_the_one_kept() {
        let mut cron_job = cron_job_json();
        let spec = &mut cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let dump = spec["containers"][0].clone();
        spec["initContainers"] = json!([dump.clone()]);
        spec["containers"] = json!([{"name": "upload", "image": "amazon/aws-cli:2", "command": ["sh", "/scripts/upload.sh"]}]);
        let pod = derive_pod(&cron_job, "p", 900, None).unwrap();
        assert!(pod["spec"].get("initContainers").is_none());
        let containers = pod["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0]["image"], dump["image"]);
        assert_eq!(containers[0]["env"], dump["env"]);
        assert_eq!(backups_claim(&cron_job).as_deref(), Some("todo-backups"));
    }

    #[test]
    fn a_cron_job_that_is_not_the_charts_is_refused() {
        let mut unlabelled = cron_job_json();
        unlabelled["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove(COMPONENT_LABEL);
        assert!(
            derive_pod(&unlabelled, "p", 1, None)
                .unwrap_err()
                .contains("NetworkPolicies")
        );
        let mut renamed = cron_job_json();
        renamed["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"] =
            json!("pg");
        assert!(
            derive_pod(&renamed, "p", 1, None)
                .unwrap_err()
                .contains("no container named dump")
        );
    }

    #[test]
    fn names_fit_a_label_value() {
        assert_eq!(
            name_with_suffix("todo-backup", "manual-1765360800"),
            "todo-backup-manual-1765360800"
        );
        let long = format!("{}-backup", "a".repeat(50));
        let name = name_with_suffix(&long, "manual-1765360800");
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("-manual-1765360800"));
        assert!(!name.contains("--"));
    }

    #[test]
    fn sizes_and_the_dump_magic() {
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(12 * 1024 * 1024 + 300 * 1024), "12.3 MiB");
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("a.dump");
        fs::write(&dump, b"PGDMP\x01\x0e\x00").unwrap();
        assert!(starts_with_magic(&dump).unwrap());
        let text = dir.path().join("b.sql");
        fs::write(&text, b"--\n-- PostgreSQL database dump\n").unwrap();
        assert!(!starts_with_magic(&text).unwrap());
        let short = dir.path().join("c");
        fs::write(&short, b"PG").unwrap();
        assert!(!starts_with_magic(&short).unwrap());
    }
}
