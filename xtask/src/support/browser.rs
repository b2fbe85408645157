//! Headless Chromium for the frontend's browser tests and screenshots:
//! Debian's `chromium` and `chromium-driver`, installed when missing if we
//! may (root on Debian), always saying so.

use std::path::PathBuf;

use crate::support::tools::install_debian_packages;

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
    if !install_debian_packages(&PACKAGES, who) {
        eprintln!(
            "{who}: headless Chromium is missing; install it (Debian/Ubuntu: \
             `sudo apt-get install -y chromium chromium-driver`) or set CHROMIUM and CHROMEDRIVER"
        );
        return false;
    }
    present()
}
