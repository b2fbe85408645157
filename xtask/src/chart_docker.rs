//! The rendered chart, run on Docker: no Kubernetes cluster can run on our
//! machines, so this plays the kubelet's part for the objects `helm
//! template` renders. Each Deployment and StatefulSet becomes one container
//! with the Pod's security context (user, read-only root filesystem,
//! dropped capabilities, no privilege escalation), its limits, its
//! environment resolved from the rendered ConfigMaps and Secret, emptyDirs
//! as tmpfs and claims as volumes, on a network where each Service name
//! resolves to the container it selects. The release comes up in the order
//! a fresh install has it (backend before its database), readiness probes
//! are polled, then the Helm test Pods run. Everything created is removed
//! afterwards, by name.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use todo_infra::Manifest;

use crate::docker::{docker, image_exists};
use crate::process::{output, project_root};
use crate::tools;

const CHART: &str = "helm/todo";
const RELEASE: &str = "todo";
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Renders the chart for the images `todo-backend:<tag>` and
/// `todo-frontend:<tag>` and runs it on Docker, ending with the Helm tests.
pub fn run_release(tag: &str, postgres: Option<&str>) -> anyhow::Result<()> {
    let started = Instant::now();
    for image in [
        format!("todo-backend:{tag}"),
        format!("todo-frontend:{tag}"),
    ] {
        if !image_exists(&image) {
            bail!("{image} is not in the local image store; build it with `cargo xtask images`");
        }
    }
    let (postgres_repository, postgres_tag) = postgres_image(postgres)?;
    let postgres_image = format!("{postgres_repository}:{postgres_tag}");
    let uid = output(docker().args([
        "run",
        "--rm",
        "--entrypoint",
        "id",
        &postgres_image,
        "-u",
        "postgres",
    ]))
    .with_context(|| format!("{postgres_image} has no postgres user"))?;
    let helm = tools::helm()?;
    let rendered = output(
        Command::new(helm)
            .current_dir(project_root())
            .args(["template", RELEASE, CHART, "--namespace", RELEASE])
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
            .args(["--set", &format!("postgresql.runAsUser={}", uid.trim())]),
    )?;
    let objects: Vec<Manifest> = todo_infra::parse_stream(&rendered)?
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    eprintln!(
        "chart on docker: {} objects rendered for tag {tag}, database image {postgres_image} (uid {})",
        objects.len(),
        uid.trim()
    );

    let release = Release::new(&objects)?;
    // A fresh install: Deployments first, so the backend starts before its
    // database and must recover by restarting, as it would in a cluster.
    let workloads: Vec<&Manifest> = objects
        .iter()
        .filter(|o| matches!(o, Manifest::Deployment(_)))
        .chain(
            objects
                .iter()
                .filter(|o| matches!(o, Manifest::StatefulSet(_))),
        )
        .collect();
    for workload in &workloads {
        release.start(workload)?;
    }
    release.wait_ready(&workloads, tag)?;
    let tests: Vec<&Manifest> = objects
        .iter()
        .filter(|o| o.hook() == Some("test"))
        .collect();
    if tests.is_empty() {
        bail!("the chart rendered no Helm test Pods");
    }
    for test in tests {
        release.run_test(test)?;
    }
    eprintln!(
        "chart on docker: {} workloads ready, {} Helm tests passed, in {:.1?}",
        workloads.len(),
        objects.iter().filter(|o| o.hook() == Some("test")).count(),
        started.elapsed()
    );
    Ok(())
}

/// Which PostgreSQL image stands in for the chart's default here: the one
/// asked for, else the default if it is in the local store, else the
/// locally prepared `todo-postgres:15` (prepared now if missing or stale).
fn postgres_image(chosen: Option<&str>) -> anyhow::Result<(String, String)> {
    let image = match chosen {
        Some(image) => {
            if !image_exists(image) {
                bail!("{image} is not in the local image store");
            }
            image.to_owned()
        }
        None if image_exists("postgres:16-alpine") => "postgres:16-alpine".to_owned(),
        None => crate::base_images::local_postgres()?,
    };
    let (repository, tag) = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .with_context(|| format!("PostgreSQL image {image:?} needs a tag (REPOSITORY:TAG)"))?;
    Ok((repository.to_owned(), tag.to_owned()))
}

/// The Docker objects of one run, removed when dropped.
struct Release<'a> {
    prefix: String,
    network: String,
    objects: &'a [Manifest],
    containers: std::cell::RefCell<Vec<String>>,
    volumes: std::cell::RefCell<Vec<String>>,
}

impl<'a> Release<'a> {
    fn new(objects: &'a [Manifest]) -> anyhow::Result<Self> {
        let prefix = format!("todo-chart-{}", std::process::id());
        let network = format!("{prefix}-net");
        output(docker().args(["network", "create", &network]))?;
        Ok(Self {
            prefix,
            network,
            objects,
            containers: Default::default(),
            volumes: Default::default(),
        })
    }

    fn container_name(&self, object: &Manifest) -> String {
        format!("{}-{}", self.prefix, object.name())
    }

    fn start(&self, workload: &Manifest) -> anyhow::Result<()> {
        let (meta, spec) = workload.pod_template().context("not a workload")?;
        let [container] = spec.containers.as_slice() else {
            bail!(
                "{}: one container per Pod is all this emulation supports",
                workload.id()
            );
        };
        let name = self.container_name(workload);
        let mut command = docker();
        command.args([
            "run",
            "--detach",
            "--name",
            &name,
            "--network",
            &self.network,
        ]);
        // The kubelet restarts containers of Deployments and StatefulSets.
        command.args(["--restart", "always"]);
        for alias in self.service_aliases(workload, meta, container)? {
            command.args(["--network-alias", &alias]);
        }
        self.pod_options(&mut command, workload, spec, container)?;
        self.containers.borrow_mut().push(name.clone());
        let started = Instant::now();
        output(&mut command).with_context(|| format!("starting {}", workload.id()))?;
        eprintln!(
            "chart on docker: started {} as {name} ({:.1?})",
            workload.id(),
            started.elapsed()
        );
        Ok(())
    }

    /// Service names that select this Pod, so they resolve to it. Docker
    /// cannot remap ports, so a Service must expose the port it targets.
    fn service_aliases(
        &self,
        workload: &Manifest,
        meta: &ObjectMeta,
        container: &Container,
    ) -> anyhow::Result<Vec<String>> {
        let labels = meta.labels.clone().unwrap_or_default();
        let mut aliases = Vec::new();
        for object in self.objects {
            let Manifest::Service(service) = object else {
                continue;
            };
            let spec = service.spec.clone().unwrap_or_default();
            let selector = spec.selector.unwrap_or_default();
            if selector.is_empty() || !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                continue;
            }
            for port in spec.ports.iter().flatten() {
                let target = port
                    .target_port
                    .clone()
                    .unwrap_or(IntOrString::Int(port.port));
                let target = container_port(container, &target).with_context(|| {
                    format!(
                        "{} targets a port {} does not declare",
                        object.id(),
                        workload.id()
                    )
                })?;
                if target != port.port {
                    bail!(
                        "{} maps port {} to {target}; Docker aliases cannot remap ports",
                        object.id(),
                        port.port
                    );
                }
            }
            aliases.push(object.name().to_owned());
        }
        Ok(aliases)
    }

    /// Security context, limits, volumes, environment, image and arguments.
    fn pod_options(
        &self,
        command: &mut Command,
        object: &Manifest,
        spec: &PodSpec,
        container: &Container,
    ) -> anyhow::Result<()> {
        let pod = spec.security_context.clone().unwrap_or_default();
        let own = container.security_context.clone().unwrap_or_default();
        if let Some(user) = own.run_as_user.or(pod.run_as_user) {
            let group = own.run_as_group.or(pod.run_as_group).unwrap_or(user);
            command.args(["--user", &format!("{user}:{group}")]);
        }
        if let Some(group) = pod.fs_group {
            command.args(["--group-add", &group.to_string()]);
        }
        if own.read_only_root_filesystem == Some(true) {
            command.arg("--read-only");
        }
        if own.allow_privilege_escalation == Some(false) {
            command.args(["--security-opt", "no-new-privileges"]);
        }
        let capabilities = own.capabilities.unwrap_or_default();
        for dropped in capabilities.drop.iter().flatten() {
            command.args(["--cap-drop", dropped]);
        }
        for added in capabilities.add.iter().flatten() {
            command.args(["--cap-add", added]);
        }
        let limits = container
            .resources
            .as_ref()
            .and_then(|r| r.limits.clone())
            .unwrap_or_default();
        if let Some(memory) = limits.get("memory") {
            command.args(["--memory", &docker_memory(&memory.0)?]);
        }
        if let Some(cpu) = limits.get("cpu") {
            command.args(["--cpus", &docker_cpus(&cpu.0)?]);
        }
        for mount in container.volume_mounts.iter().flatten() {
            self.mount(command, object, spec, &mount.name, &mount.mount_path)?;
        }
        for (name, value) in self.environment(object, container)? {
            command.args(["--env", &format!("{name}={value}")]);
        }
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

    /// emptyDir → tmpfs; a StatefulSet claim → a Docker volume made
    /// group-writable for fsGroup, as the kubelet does.
    fn mount(
        &self,
        command: &mut Command,
        object: &Manifest,
        spec: &PodSpec,
        volume: &str,
        path: &str,
    ) -> anyhow::Result<()> {
        if let Some(declared) = spec.volumes.iter().flatten().find(|v| v.name == volume) {
            if declared.empty_dir.is_some() {
                command.args(["--tmpfs", &format!("{path}:mode=1777")]);
                return Ok(());
            }
            bail!(
                "{}: volume {volume} is neither an emptyDir nor a claim",
                object.id()
            );
        }
        let Manifest::StatefulSet(_) = object else {
            bail!("{}: volume {volume} is not declared", object.id());
        };
        let docker_volume = format!("{}-{}-{volume}", self.prefix, object.name());
        output(docker().args(["volume", "create", &docker_volume]))?;
        self.volumes.borrow_mut().push(docker_volume.clone());
        let (_, pod) = object
            .pod_template()
            .context("a StatefulSet has a Pod template")?;
        let group = pod
            .security_context
            .as_ref()
            .and_then(|s| s.fs_group)
            .unwrap_or(0);
        let image = pod.containers[0].image.clone().unwrap_or_default();
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
        command.args(["-v", &format!("{docker_volume}:{path}")]);
        Ok(())
    }

    /// The container's environment as the kubelet computes it: envFrom
    /// first, then `env` in order with `$(VAR)` expanded from earlier names.
    fn environment(
        &self,
        object: &Manifest,
        container: &Container,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        let mut ordered = Vec::new();
        for from in container.env_from.iter().flatten() {
            let data = match (&from.config_map_ref, &from.secret_ref) {
                (Some(r), _) => self.data("ConfigMap", &r.name)?,
                (_, Some(r)) => self.data("Secret", &r.name)?,
                _ => bail!("{}: an envFrom with no source", object.id()),
            };
            for (key, value) in data {
                values.insert(key.clone(), value.clone());
                ordered.push((key, value));
            }
        }
        for var in container.env.iter().flatten() {
            let value = match (&var.value, &var.value_from) {
                (Some(value), _) => expand(value, &values),
                (None, Some(from)) => {
                    let (kind, name, key) = match (&from.config_map_key_ref, &from.secret_key_ref) {
                        (Some(r), _) => ("ConfigMap", &r.name, &r.key),
                        (_, Some(r)) => ("Secret", &r.name, &r.key),
                        _ => bail!(
                            "{}: {} comes from a source this emulation does not know",
                            object.id(),
                            var.name
                        ),
                    };
                    self.data(kind, name)?
                        .remove(key.as_str())
                        .with_context(|| format!("{kind} {name} has no key {key}"))?
                }
                (None, None) => String::new(),
            };
            values.insert(var.name.clone(), value.clone());
            ordered.push((var.name.clone(), value));
        }
        Ok(ordered)
    }

    fn data(&self, kind: &str, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
        for object in self.objects {
            match object {
                Manifest::ConfigMap(c) if kind == "ConfigMap" && object.name() == name => {
                    return Ok(c.data.clone().unwrap_or_default());
                }
                Manifest::Secret(s) if kind == "Secret" && object.name() == name => {
                    let mut data: BTreeMap<String, String> =
                        s.string_data.clone().unwrap_or_default();
                    for (key, value) in s.data.iter().flatten() {
                        let text = String::from_utf8(value.0.clone())
                            .with_context(|| format!("Secret {name} key {key} is not text"))?;
                        data.insert(key.clone(), text);
                    }
                    return Ok(data);
                }
                _ => {}
            }
        }
        bail!("{kind} {name} is not rendered")
    }

    /// Polls every readiness probe until all pass, as the Service
    /// endpoints controller would, and reports the restarts it took.
    fn wait_ready(&self, workloads: &[&Manifest], tag: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut pending: Vec<&Manifest> = workloads.to_vec();
        while !pending.is_empty() {
            if started.elapsed() > READY_TIMEOUT {
                let names: Vec<String> = pending.iter().map(|w| w.id()).collect();
                for workload in &pending {
                    let logs = docker()
                        .args(["logs", "--tail", "20", &self.container_name(workload)])
                        .output();
                    if let Ok(logs) = logs {
                        eprintln!(
                            "--- {} (last log lines)\n{}{}",
                            workload.id(),
                            String::from_utf8_lossy(&logs.stdout),
                            String::from_utf8_lossy(&logs.stderr)
                        );
                    }
                }
                bail!("not ready after {READY_TIMEOUT:?}: {}", names.join(", "));
            }
            let mut still = Vec::new();
            for workload in pending {
                if self.ready(workload, tag)? {
                    let restarts = output(docker().args([
                        "inspect",
                        "--format",
                        "{{.RestartCount}}",
                        &self.container_name(workload),
                    ]))?;
                    eprintln!(
                        "chart on docker: {} ready after {:.1?} ({} restart(s))",
                        workload.id(),
                        started.elapsed(),
                        restarts.trim()
                    );
                } else {
                    still.push(workload);
                }
            }
            pending = still;
            if !pending.is_empty() {
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        Ok(())
    }

    /// One readiness check: HTTP probes go through `todo-backend check`
    /// (the image has no shell or curl), exec probes run in the container.
    fn ready(&self, workload: &Manifest, tag: &str) -> anyhow::Result<bool> {
        let (_, spec) = workload.pod_template().context("not a workload")?;
        let container = &spec.containers[0];
        let name = self.container_name(workload);
        let probe: &Probe = container
            .readiness_probe
            .as_ref()
            .with_context(|| format!("{} has no readiness probe", workload.id()))?;
        let mut command = docker();
        if let Some(http) = &probe.http_get {
            let port = container_port(container, &http.port)
                .context("the probe's port is not declared")?;
            let url = format!(
                "http://{name}:{port}{}",
                http.path.as_deref().unwrap_or("/")
            );
            command.args([
                "run",
                "--rm",
                "--network",
                &self.network,
                &format!("todo-backend:{tag}"),
                "check",
                "--url",
                &url,
            ]);
        } else if let Some(exec) = &probe.exec {
            command
                .args(["exec", &name])
                .args(exec.command.iter().flatten());
        } else {
            bail!(
                "{}: only httpGet and exec readiness probes are emulated",
                workload.id()
            );
        }
        let status = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        Ok(status.is_ok_and(|s| s.success()))
    }

    /// A `helm test` Pod: runs once, must exit 0; its output is shown.
    fn run_test(&self, test: &Manifest) -> anyhow::Result<()> {
        let (_, spec) = test.pod_template().context("a test hook is a Pod")?;
        let [container] = spec.containers.as_slice() else {
            bail!(
                "{}: one container per test Pod is all this emulation supports",
                test.id()
            );
        };
        let mut command = docker();
        command.args([
            "run",
            "--rm",
            "--name",
            &self.container_name(test),
            "--network",
            &self.network,
        ]);
        self.pod_options(&mut command, test, spec, container)?;
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
        let out = command
            .output()
            .with_context(|| format!("running {}", test.id()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for line in text.lines() {
            eprintln!("    {line}");
        }
        if !out.status.success() {
            bail!("helm test {} failed ({})", test.name(), out.status);
        }
        Ok(())
    }
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let containers = self.containers.borrow();
        if !containers.is_empty() {
            let _ = docker()
                .args(["rm", "--force"])
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
        let _ = docker().args(["network", "rm", &self.network]).output();
        eprintln!(
            "chart on docker: removed {} container(s), {} volume(s) and network {}",
            containers.len(),
            volumes.len(),
            self.network
        );
    }
}

/// The container port a named or numbered port refers to.
fn container_port(container: &Container, port: &IntOrString) -> Option<i32> {
    let mut ports = container.ports.iter().flatten();
    match port {
        IntOrString::Int(n) => ports.any(|p| p.container_port == *n).then_some(*n),
        IntOrString::String(name) => ports
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port),
    }
}

/// Kubernetes `$(VAR)` expansion: known names are replaced, `$$` is a
/// literal `$`, anything else is left as written.
fn expand(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|s| s.split_once(')')) {
            match values.get(name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&format!("$({name})")),
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A memory quantity (`128Mi`, `1Gi`, `500M`, bytes) as Docker's `--memory`.
fn docker_memory(quantity: &str) -> anyhow::Result<String> {
    let units: [(&str, u64); 6] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("k", 1000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
    ];
    for (suffix, factor) in units {
        if let Some(number) = quantity.strip_suffix(suffix) {
            let n: u64 = number
                .parse()
                .with_context(|| format!("memory limit {quantity:?}"))?;
            return Ok((n * factor).to_string());
        }
    }
    let n: u64 = quantity
        .parse()
        .with_context(|| format!("memory limit {quantity:?}"))?;
    Ok(n.to_string())
}

/// A CPU quantity (`500m`, `1`, `0.5`) as Docker's `--cpus`.
fn docker_cpus(quantity: &str) -> anyhow::Result<String> {
    let cpus: f64 = match quantity.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().map(|m| m / 1000.0),
        None => quantity.parse(),
    }
    .with_context(|| format!("cpu limit {quantity:?}"))?;
    Ok(format!("{cpus}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_the_kubelet() {
        let values = BTreeMap::from([("PASSWORD".to_owned(), "s3cret".to_owned())]);
        assert_eq!(
            expand("postgres://u:$(PASSWORD)@db/x", &values),
            "postgres://u:s3cret@db/x"
        );
        assert_eq!(
            expand("$$(PASSWORD) $(OTHER) $5", &values),
            "$(PASSWORD) $(OTHER) $5"
        );
    }

    #[test]
    fn converts_quantities_for_docker() {
        assert_eq!(docker_memory("128Mi").unwrap(), "134217728");
        assert_eq!(docker_memory("1G").unwrap(), "1000000000");
        assert_eq!(docker_cpus("500m").unwrap(), "0.5");
        assert_eq!(docker_cpus("1").unwrap(), "1");
        assert!(docker_memory("lots").is_err());
    }
}
