//! The rendered chart, run on Docker: no Kubernetes cluster can run on our
//! machines, so this plays the kubelet's part for the objects `helm
//! template` renders. Each Deployment and StatefulSet becomes one container
//! on the host network, with every Service name (short and qualified)
//! mapped to 127.0.0.1, the Pod's security context, limits, environment
//! resolved from the rendered ConfigMaps and Secret, emptyDirs as tmpfs and
//! claims as volumes. Host networking is faithful only when every Service
//! exposes the port its Pods listen on and all ports are distinct and free,
//! which is checked first. Then every startup, liveness and readiness probe
//! is polled as declared, the Helm test Pods run, and everything is stopped
//! with SIGTERM and must exit 0.
//!
//! Then the same run is repeated on deliberately broken copies of the
//! release (a probe path, a Service port, an env reference), each of which
//! must be rejected for its own reason.

mod backup;
mod mutation;
mod pod;
mod probes;
mod wiring;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use todo_infra::Manifest;

use crate::docker::image_exists;
use crate::process::{output, project_root};
use mutation::Mutation;
use pod::Release;
use probes::{Kubelet, PodProbes};

const RELEASE: &str = "todo";
const DEFAULT_DATABASE_PORT: u16 = 5432;
/// Time for the whole release to become ready: the database's first start
/// runs initdb, and the backend crash-loops until it can connect.
const READY_TIMEOUT: Duration = Duration::from_secs(180);
/// A broken release fails well before this; it only bounds a mutation
/// that the checks would otherwise not notice.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(90);

/// What one run renders and runs.
#[derive(Debug, Clone)]
pub struct Run {
    /// The tag of `todo-backend:<tag>` and `todo-frontend:<tag>`.
    pub image_tag: String,
    /// The database image, `REPOSITORY:TAG`, already in the local store
    /// (xtask has checked it keeps the chart's database image contract).
    pub postgres_image: String,
    /// `helm template …` for the release, as xtask's Helm wrapper spells
    /// it: program first. The images and the database port are added here.
    pub render: Vec<String>,
    /// Then run deliberately broken copies, each of which must be rejected.
    pub mutations: bool,
}

/// Renders the chart for the images `todo-backend:<tag>` and
/// `todo-frontend:<tag>`, runs it on Docker through its Helm tests, then
/// checks that broken copies of it are rejected.
pub fn run(run: &Run) -> anyhow::Result<()> {
    let started = Instant::now();
    for image in [
        format!("todo-backend:{}", run.image_tag),
        format!("todo-frontend:{}", run.image_tag),
        run.postgres_image.clone(),
    ] {
        if !image_exists(&image) {
            bail!("{image} is not in the local image store; build it with `cargo xtask images`");
        }
    }
    let objects = render(run)?;
    let summary = conform(&objects, "release", READY_TIMEOUT, true)?;
    eprintln!(
        "chart on docker: release conforms in {:.1?}: {summary}",
        started.elapsed()
    );
    if !run.mutations {
        return Ok(());
    }
    for mutation in Mutation::ALL {
        let began = Instant::now();
        let (broken, change) = mutation.apply(&objects)?;
        eprintln!("\nchart on docker: mutation {mutation:?}: {change}; this run must fail");
        let label = format!("{mutation:?}").to_lowercase();
        match conform(&broken, &label, MUTATION_TIMEOUT, false) {
            Ok(_) => bail!("the conformance run accepted a broken release ({change})"),
            Err(error) => {
                let text = mutation.check(&error)?;
                eprintln!(
                    "chart on docker: mutation {mutation:?} rejected in {:.1?}, as expected: {text}",
                    began.elapsed()
                );
            }
        }
    }
    eprintln!(
        "chart on docker: {} mutations rejected; all done in {:.1?}",
        Mutation::ALL.len(),
        started.elapsed()
    );
    Ok(())
}

/// `helm template` with the given images and defaults elsewhere, except
/// the database port when 5432 is taken on this host.
fn render(run: &Run) -> anyhow::Result<Vec<Manifest>> {
    let (postgres_repository, postgres_tag) = run
        .postgres_image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .with_context(|| {
            format!(
                "PostgreSQL image {:?} needs a tag (REPOSITORY:TAG)",
                run.postgres_image
            )
        })?;
    let database_port = if port_free(DEFAULT_DATABASE_PORT) {
        DEFAULT_DATABASE_PORT
    } else {
        let port = TcpListener::bind(("0.0.0.0", 0))?.local_addr()?.port();
        eprintln!(
            "chart on docker: port {DEFAULT_DATABASE_PORT} is taken on this host; the database gets postgresql.port={port}"
        );
        port
    };
    let (program, args) = run
        .render
        .split_first()
        .context("the render command is empty")?;
    let tag = &run.image_tag;
    let rendered = output(
        Command::new(program)
            .args(args)
            .current_dir(project_root())
            .args(["--set-string", &format!("backend.image.tag={tag}")])
            .args(["--set-string", &format!("frontend.image.tag={tag}")])
            .args([
                "--set",
                &format!("postgresql.image.repository={postgres_repository}"),
            ])
            .args([
                "--set-string",
                &format!("postgresql.image.tag={postgres_tag}"),
            ])
            .args(["--set", &format!("postgresql.port={database_port}")])
            // The backup CronJob's Pod is run once, and its dump restored.
            .args(["--set", "backup.enabled=true"]),
    )?;
    let objects: Vec<Manifest> = todo_infra::parse_stream(&rendered)?
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    eprintln!(
        "chart on docker: {} objects rendered for tag {tag}, database image {} on port {database_port}",
        objects.len(),
        run.postgres_image,
    );
    Ok(objects)
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// One conformance run of `objects`; Ok with a summary, or the first
/// reason the release would not work in a cluster.
/// With `round_trip`, the database is then backed up, wiped and restored
/// (`backup`) before the release is stopped.
fn conform(
    objects: &[Manifest],
    label: &str,
    timeout: Duration,
    round_trip: bool,
) -> anyhow::Result<String> {
    let bindings = wiring::bindings(objects)?;
    for binding in &bindings {
        if !port_free(binding.port) {
            bail!(
                "port {} of {} ({}) is already in use on this host; free it and re-run",
                binding.port,
                binding.service,
                binding.workload
            );
        }
    }
    eprintln!(
        "chart on docker [{label}]: ports checked: {}",
        bindings
            .iter()
            .map(|b| format!("{} = {} :{}", b.service, b.workload, b.port))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let workloads = wiring::workloads(objects);
    let tests: Vec<&Manifest> = objects
        .iter()
        .filter(|o| o.hook() == Some("test"))
        .collect();
    if tests.is_empty() {
        bail!("the chart rendered no Helm test Pods");
    }
    let release = Release::new(objects, label, RELEASE);
    // Every container's arguments (and so its environment) first: a
    // reference that does not resolve stops the run before anything starts.
    let workload_args = workloads
        .iter()
        .map(|w| release.run_args(w))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let test_args = tests
        .iter()
        .map(|t| release.run_args(t))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut kubelet = Kubelet::default();
    for (workload, args) in workloads.iter().zip(&workload_args) {
        let began = Instant::now();
        let name = release.start(workload, args)?;
        eprintln!(
            "chart on docker [{label}]: started {} as {name} ({:.1?})",
            workload.id(),
            began.elapsed()
        );
        let container = wiring::only_container(workload)?;
        kubelet
            .pods
            .push(PodProbes::new(workload.id(), name, container)?);
    }
    let began = Instant::now();
    let mut reported = vec![false; workloads.len()];
    loop {
        let ticked = kubelet.tick();
        for (pod, reported) in kubelet.pods.iter().zip(reported.iter_mut()) {
            if pod.settled() && !*reported {
                *reported = true;
                eprintln!(
                    "chart on docker [{label}]: {} ready and live after {:.1?} ({} restart(s))",
                    pod.workload,
                    began.elapsed(),
                    pod.restarts()
                );
            }
        }
        let failure = match ticked {
            Err(e) => Some(e),
            Ok(()) if kubelet.settled() => None,
            Ok(()) if began.elapsed() > timeout => Some(anyhow::anyhow!(
                "not ready and live after {timeout:?}: {}",
                kubelet
                    .pods
                    .iter()
                    .filter(|p| !p.settled())
                    .map(|p| format!("{} ({})", p.workload, p.summary()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Ok(()) => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        if let Some(error) = failure {
            for (workload, pod) in workloads.iter().zip(&kubelet.pods) {
                if !pod.settled() {
                    eprintln!(
                        "--- {} (last log lines)\n{}",
                        workload.id(),
                        release.logs(workload)
                    );
                }
            }
            return Err(error);
        }
        break;
    }
    for (test, args) in tests.iter().zip(&test_args) {
        release.run_test(test, args, &mut kubelet)?;
    }
    let restored = if round_trip {
        let summary = backup::round_trip(&release, objects)?;
        eprintln!("chart on docker [{label}]: backup round trip: {summary}");
        format!(", backup and restore round trip passed ({summary})")
    } else {
        String::new()
    };
    let probes: u32 = kubelet.pods.iter().map(PodProbes::polls).sum();
    for pod in &kubelet.pods {
        eprintln!(
            "chart on docker [{label}]: {}: {}",
            pod.workload,
            pod.summary()
        );
    }
    for report in release.stop(&workloads)? {
        eprintln!("chart on docker [{label}]: {report}");
    }
    Ok(format!(
        "{} ports distinct and free, {} workloads ready and live ({probes} probes polled), {} Helm tests passed{restored}, all exited 0 on SIGTERM",
        bindings.len(),
        workloads.len(),
        tests.len()
    ))
}
