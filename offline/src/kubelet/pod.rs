//! Docker containers as the kubelet would run the rendered Pods: on the
//! host network with every Service name mapped to 127.0.0.1, with the Pod's
//! security context, limits, environment and volumes. Everything created
//! is recorded and removed by name when the release is dropped.

use std::cell::RefCell;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use todo_infra::Manifest;

use super::probes::Kubelet;
use super::wiring::{self, docker_cpus, docker_memory};
use crate::docker::docker;
use crate::process::output;

const TEST_TIMEOUT: Duration = Duration::from_secs(180);

/// The Docker objects of one run.
pub struct Release<'a> {
    prefix: String,
    objects: &'a [Manifest],
    hosts: Vec<String>,
    containers: RefCell<Vec<String>>,
    volumes: RefCell<Vec<String>>,
    /// Containers run to their end so far (each gets its own name).
    runs: RefCell<usize>,
    /// ConfigMaps projected as files.
    scratch: tempfile::TempDir,
}

impl<'a> Release<'a> {
    pub fn new(objects: &'a [Manifest], label: &str, namespace: &str) -> Self {
        Self {
            prefix: format!("todo-conform-{}-{label}", std::process::id()),
            objects,
            hosts: wiring::host_names(objects, namespace),
            containers: Default::default(),
            volumes: Default::default(),
            runs: Default::default(),
            scratch: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn container_name(&self, object: &Manifest) -> String {
        format!("{}-{}", self.prefix, object.name())
    }

    /// `docker run` arguments for one Pod, without running anything: the
    /// environment is resolved here, so a broken reference stops the run
    /// before any container starts, as the kubelet refuses the container.
    pub fn run_args(&self, object: &Manifest) -> anyhow::Result<Vec<String>> {
        let (_, spec) = object.pod_template().context("not a Pod")?;
        let container = wiring::only_container(object)?;
        let mut args = vec!["--network".to_owned(), "host".to_owned()];
        for host in &self.hosts {
            args.push("--add-host".to_owned());
            args.push(format!("{host}:127.0.0.1"));
        }
        security(&mut args, spec, container)?;
        for (name, value) in wiring::environment(self.objects, object, container)? {
            args.push("--env".to_owned());
            args.push(format!("{name}={value}"));
        }
        Ok(args)
    }

    /// Starts a Deployment's or StatefulSet's one Pod; the kubelet
    /// restarts such containers, so Docker does too.
    pub fn start(&self, workload: &Manifest, args: &[String]) -> anyhow::Result<String> {
        let (_, spec) = workload.pod_template().context("not a workload")?;
        let container = wiring::only_container(workload)?;
        let name = self.container_name(workload);
        let mut command = docker();
        command
            .args(["run", "--detach", "--name", &name, "--restart", "always"])
            .args(args);
        for mount in container.volume_mounts.iter().flatten() {
            let option = self.mount(workload, spec, &mount.name, &mount.mount_path)?;
            command.args(option);
        }
        image_and_args(&mut command, container)?;
        self.containers.borrow_mut().push(name.clone());
        output(&mut command).with_context(|| format!("starting {}", workload.id()))?;
        Ok(name)
    }

    /// emptyDir → tmpfs; a ConfigMap → its data as read-only files; a
    /// claim (a StatefulSet's, or a PersistentVolumeClaim by name, shared
    /// by every Pod that mounts it) → a Docker volume made group-writable
    /// for fsGroup, as the kubelet does.
    fn mount(
        &self,
        object: &Manifest,
        spec: &PodSpec,
        volume: &str,
        path: &str,
    ) -> anyhow::Result<[String; 2]> {
        let docker_volume = match spec.volumes.iter().flatten().find(|v| v.name == volume) {
            Some(declared) if declared.empty_dir.is_some() => {
                return Ok(["--tmpfs".to_owned(), format!("{path}:mode=1777")]);
            }
            Some(declared) if declared.config_map.is_some() => {
                let name = &declared.config_map.as_ref().expect("checked").name;
                let directory = self.config_map_files(name)?;
                return Ok([
                    "--volume".to_owned(),
                    format!("{}:{path}:ro", directory.display()),
                ]);
            }
            Some(declared) if declared.persistent_volume_claim.is_some() => {
                let claim = &declared
                    .persistent_volume_claim
                    .as_ref()
                    .expect("checked")
                    .claim_name;
                let docker_volume = format!("{}-claim-{claim}", self.prefix);
                if self.volumes.borrow().contains(&docker_volume) {
                    return Ok(["-v".to_owned(), format!("{docker_volume}:{path}")]);
                }
                docker_volume
            }
            Some(_) => bail!(
                "{}: volume {volume} is neither an emptyDir, a ConfigMap nor a claim",
                object.id()
            ),
            None => {
                let Manifest::StatefulSet(_) = object else {
                    bail!("{}: volume {volume} is not declared", object.id());
                };
                format!("{}-{}-{volume}", self.prefix, object.name())
            }
        };
        self.volumes.borrow_mut().push(docker_volume.clone());
        output(docker().args(["volume", "create", &docker_volume]))?;
        let group = spec
            .security_context
            .as_ref()
            .and_then(|s| s.fs_group)
            .unwrap_or(0);
        let image = spec.containers[0].image.clone().unwrap_or_default();
        output(
            docker()
                .args(["run", "--rm", "--user", "0", "--entrypoint", "sh", "-v"])
                .arg(format!("{docker_volume}:/volume"))
                .arg(&image)
                .args([
                    "-c",
                    &format!("chown root:{group} /volume && chmod 2775 /volume"),
                ]),
        )
        .context("preparing the claim's volume like fsGroup does")?;
        Ok(["-v".to_owned(), format!("{docker_volume}:{path}")])
    }

    /// A rendered ConfigMap's data as files in a directory of this run
    /// (readable by any user, as the kubelet's projection is).
    fn config_map_files(&self, name: &str) -> anyhow::Result<std::path::PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let data = self
            .objects
            .iter()
            .find_map(|o| match o {
                Manifest::ConfigMap(c) if o.name() == name => {
                    Some(c.data.clone().unwrap_or_default())
                }
                _ => None,
            })
            .with_context(|| format!("ConfigMap {name} is not rendered"))?;
        let directory = self.scratch.path().join(name);
        std::fs::create_dir_all(&directory)?;
        std::fs::set_permissions(&directory, std::fs::Permissions::from_mode(0o755))?;
        for (key, value) in data {
            let file = directory.join(key);
            std::fs::write(&file, value)?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
        }
        Ok(directory)
    }

    /// Runs a Pod's container once to its end, as a Job's Pod: with the
    /// container's own command or `command` in its place, and its claims
    /// mounted read-only when `claims_read_only` (a volume that cannot be
    /// written). Answers its exit code and output.
    pub fn run_once(
        &self,
        object: &Manifest,
        args: &[String],
        command: Option<&[String]>,
        claims_read_only: bool,
    ) -> anyhow::Result<(i32, String)> {
        let (_, spec) = object.pod_template().context("not a Pod template")?;
        let mut container = wiring::only_container(object)?.clone();
        if let Some(command) = command {
            container.command = Some(command.to_vec());
            container.args = None;
        }
        let name = format!("{}-{}-{}", self.prefix, object.name(), self.runs.borrow());
        *self.runs.borrow_mut() += 1;
        let mut docker_run = docker();
        docker_run.args(["run", "--name", &name]).args(args);
        for mount in container.volume_mounts.iter().flatten() {
            let [flag, mut value] = self.mount(object, spec, &mount.name, &mount.mount_path)?;
            let claim = spec
                .volumes
                .iter()
                .flatten()
                .any(|v| v.name == mount.name && v.persistent_volume_claim.is_some());
            if (mount.read_only == Some(true) || (claim && claims_read_only))
                && !value.ends_with(":ro")
            {
                value.push_str(":ro");
            }
            docker_run.args([flag, value]);
        }
        image_and_args(&mut docker_run, &container)?;
        self.containers.borrow_mut().push(name.clone());
        let out = docker_run
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", object.id()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok((out.status.code().unwrap_or(-1), text))
    }

    /// A command in a running workload's container (`kubectl exec`).
    pub fn exec(&self, workload: &Manifest, command: &[String]) -> anyhow::Result<String> {
        output(
            docker()
                .args(["exec", &self.container_name(workload)])
                .args(command),
        )
    }

    /// Stops one workload's container for a while (scaled to zero).
    pub fn pause(&self, workload: &Manifest) -> anyhow::Result<()> {
        output(docker().args(["stop", "--time", "30", &self.container_name(workload)]))
            .map(|_| ())
            .with_context(|| format!("stopping {}", workload.id()))
    }

    /// Starts a paused workload's container again (scaled back).
    pub fn resume(&self, workload: &Manifest) -> anyhow::Result<()> {
        output(docker().args(["start", &self.container_name(workload)]))
            .map(|_| ())
            .with_context(|| format!("starting {}", workload.id()))
    }

    /// A `helm test` Pod: runs once and must exit 0, while the workloads'
    /// probes keep being polled. Its output is shown.
    pub fn run_test(
        &self,
        test: &Manifest,
        args: &[String],
        kubelet: &mut Kubelet,
    ) -> anyhow::Result<()> {
        let container = wiring::only_container(test)?;
        let name = self.container_name(test);
        let log = tempfile::tempfile()?;
        let mut command = docker();
        command.args(["run", "--name", &name]).args(args);
        image_and_args(&mut command, container)?;
        eprintln!(
            "chart on docker: helm test {}: {}",
            test.name(),
            container
                .args
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        );
        self.containers.borrow_mut().push(name.clone());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?)
            .spawn()
            .with_context(|| format!("running {}", test.id()))?;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if let Err(e) = kubelet.tick() {
                let _ = child.kill();
                return Err(e.context(format!("while {} ran", test.id())));
            }
            if started.elapsed() > TEST_TIMEOUT {
                let _ = child.kill();
                bail!(
                    "helm test {} did not finish in {TEST_TIMEOUT:?}",
                    test.name()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut text = String::new();
        use std::io::{Read, Seek};
        let mut log = log;
        log.rewind()?;
        log.read_to_string(&mut text)?;
        for line in text.lines() {
            eprintln!("    {line}");
        }
        if !status.success() {
            bail!("helm test {} failed ({status})", test.name());
        }
        Ok(())
    }

    /// Stops every workload as the kubelet deletes a Pod: the preStop sleep,
    /// then SIGTERM with the rest of terminationGracePeriodSeconds (the
    /// hook's time counts against it), all at once as on uninstall. Each
    /// must exit 0.
    pub fn stop(&self, workloads: &[&Manifest]) -> anyhow::Result<Vec<String>> {
        let plans: Vec<(String, String, u64, u64)> = workloads
            .iter()
            .map(|w| {
                let (_, spec) = w.pod_template().context("not a workload")?;
                let grace = u64::try_from(spec.termination_grace_period_seconds.unwrap_or(30))
                    .unwrap_or(30);
                let pre_stop = spec.containers[0]
                    .lifecycle
                    .as_ref()
                    .and_then(|l| l.pre_stop.as_ref())
                    .and_then(|h| h.sleep.as_ref())
                    .map_or(0, |s| u64::try_from(s.seconds).unwrap_or(0));
                Ok((w.id(), self.container_name(w), grace, pre_stop))
            })
            .collect::<anyhow::Result<_>>()?;
        let results: Vec<anyhow::Result<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .map(|(id, name, grace, pre_stop)| {
                    scope.spawn(move || stop_one(id, name, *grace, *pre_stop))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a stop thread panicked"))
                .collect()
        });
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        for result in results {
            match result {
                Ok(report) => reports.push(report),
                Err(e) => failures.push(format!("{e:#}")),
            }
        }
        if !failures.is_empty() {
            bail!(
                "not every container stopped cleanly:\n  {}",
                failures.join("\n  ")
            );
        }
        Ok(reports)
    }

    /// The last log lines of a container, for a failure report.
    pub fn logs(&self, object: &Manifest) -> String {
        let logs = docker()
            .args(["logs", "--tail", "15", &self.container_name(object)])
            .output();
        match logs {
            Ok(out) => format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => e.to_string(),
        }
    }
}

fn stop_one(id: &str, name: &str, grace: u64, pre_stop: u64) -> anyhow::Result<String> {
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(pre_stop));
    // The kubelet allows 2 s after the hook when it used up the grace period.
    let remaining = grace.saturating_sub(pre_stop).max(2);
    output(docker().args(["stop", "--time", &remaining.to_string(), name]))
        .with_context(|| format!("stopping {id}"))?;
    let state = output(docker().args([
        "inspect",
        "--format",
        "{{.State.ExitCode}} {{.State.OOMKilled}}",
        name,
    ]))?;
    let (code, oom) = state.trim().split_once(' ').unwrap_or((state.trim(), ""));
    if code != "0" {
        bail!(
            "{id} exited with {code} after SIGTERM{} (grace {remaining} s after a {pre_stop} s preStop sleep)",
            if oom == "true" { ", OOM-killed" } else { "" }
        );
    }
    Ok(format!(
        "{id} exited 0 after SIGTERM in {:.1?} (preStop sleep {pre_stop} s, grace {grace} s)",
        started.elapsed()
    ))
}

/// Security context, limits: what Docker can enforce of them.
fn security(args: &mut Vec<String>, spec: &PodSpec, container: &Container) -> anyhow::Result<()> {
    let mut push = |a: &str, b: String| {
        args.push(a.to_owned());
        args.push(b);
    };
    let pod = spec.security_context.clone().unwrap_or_default();
    let own = container.security_context.clone().unwrap_or_default();
    if let Some(user) = own.run_as_user.or(pod.run_as_user) {
        let group = own.run_as_group.or(pod.run_as_group).unwrap_or(user);
        push("--user", format!("{user}:{group}"));
    }
    if let Some(group) = pod.fs_group {
        push("--group-add", group.to_string());
    }
    if own.read_only_root_filesystem == Some(true) {
        args.push("--read-only".to_owned());
    }
    if own.allow_privilege_escalation == Some(false) {
        args.push("--security-opt".to_owned());
        args.push("no-new-privileges".to_owned());
    }
    let capabilities = own.capabilities.unwrap_or_default();
    for dropped in capabilities.drop.iter().flatten() {
        args.push("--cap-drop".to_owned());
        args.push(dropped.clone());
    }
    for added in capabilities.add.iter().flatten() {
        args.push("--cap-add".to_owned());
        args.push(added.clone());
    }
    let limits = container
        .resources
        .as_ref()
        .and_then(|r| r.limits.clone())
        .unwrap_or_default();
    if let Some(memory) = limits.get("memory") {
        args.push("--memory".to_owned());
        args.push(docker_memory(&memory.0)?);
    }
    if let Some(cpu) = limits.get("cpu") {
        args.push("--cpus".to_owned());
        args.push(docker_cpus(&cpu.0)?);
    }
    Ok(())
}

/// `command` replaces the image's ENTRYPOINT and `args` its CMD.
fn image_and_args(command: &mut Command, container: &Container) -> anyhow::Result<()> {
    if let Some(entrypoint) = container.command.as_ref().and_then(|c| c.first()) {
        command.args(["--entrypoint", entrypoint]);
    }
    command.arg(
        container
            .image
            .as_deref()
            .context("a container without an image")?,
    );
    command.args(container.command.iter().flatten().skip(1));
    command.args(container.args.iter().flatten());
    Ok(())
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let containers = self.containers.borrow();
        if !containers.is_empty() {
            let _ = docker()
                .args(["rm", "--force", "--volumes"])
                .args(containers.iter())
                .output();
        }
        let volumes = self.volumes.borrow();
        if !volumes.is_empty() {
            let _ = docker()
                .args(["volume", "rm", "--force"])
                .args(volumes.iter())
                .output();
        }
        eprintln!(
            "chart on docker: removed {} container(s) and {} volume(s) named {}-*",
            containers.len(),
            volumes.len(),
            self.prefix
        );
    }
}
