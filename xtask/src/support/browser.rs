//! Headless Chromium for the frontend's browser tests and screenshots:
//! Debian's `chromium` and `chromium-driver`, installed when missing if we
//! may (root on Debian), always saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::process::{run, which};

const PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

/// The binaries the tests use (`CHROMIUM`/`CHROMEDRIVER` override them).
fn binaries() -> [PathBuf; 2] {
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    [
        pick("CHROMIUM", "/usr/bin/chromium"),
        pick("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ]
}

fn present() -> bool {
    binaries().iter().all(|b| b.is_file())
}

/// `true` when the browser is there (already, or after installing it).
/// Otherwise prints how to install it; the browser tests then fail with
/// the same advice rather than skip.
pub fn ensure(who: &str) -> bool {
    if present() {
        return true;
    }
    let debian = Path::new("/etc/debian_version").exists();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !(debian && root && which("apt-get").is_some()) {
        eprintln!(
            "{who}: headless Chromium is missing; install it (Debian/Ubuntu: \
             `sudo apt-get install -y chromium chromium-driver`) or set CHROMIUM and CHROMEDRIVER"
        );
        return false;
    }
    eprintln!("{who}: installing Debian's `chromium` and `chromium-driver` for the browser tests");
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    let installed = install().or_else(|_| {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        install()
    });
    if let Err(e) = installed {
        eprintln!("{who}: could not install Chromium: {e:#}");
    }
    present()
}
