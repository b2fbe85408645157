//! The Docker client. xtask has made sure a daemon answers before it runs
//! this crate's binary, and stops the daemon it started itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::which;

/// Debian's client: it has BuildKit built in. A `docker` earlier in PATH
/// may be a newer client without buildx that refuses `DOCKER_BUILDKIT=1`.
const DEBIAN_CLIENT: &str = "/usr/bin/docker";

/// A `docker` command with BuildKit enabled.
pub fn docker() -> Command {
    let program = if Path::new(DEBIAN_CLIENT).is_file() {
        PathBuf::from(DEBIAN_CLIENT)
    } else {
        which("docker").unwrap_or_else(|| PathBuf::from("docker"))
    };
    let mut command = Command::new(program);
    command.env("DOCKER_BUILDKIT", "1");
    command
}

/// Whether `image` (name:tag) is in the local image store.
pub fn image_exists(image: &str) -> bool {
    docker()
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
