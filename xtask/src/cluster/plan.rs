//! A plan is a list of steps, each a piece of data: what it does, the exact
//! command (or built-in action), and what to do when it fails. `--dry-run`
//! prints it; otherwise it runs step by step with a spinner.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::secrets;

/// How the user reaches the app once deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// minikube's ingress addon: the host must resolve to `minikube ip`.
    MinikubeIngress { profile: String, host: String },
    /// An ingress controller the user runs: the host must resolve to it.
    Ingress { host: String },
    /// The Gateway API: the Gateway's proxy Service, found by the labels
    /// Envoy Gateway gives it, forwarded locally.
    Gateway {
        proxy_namespace: String,
        release_namespace: String,
        host: String,
    },
    /// No ingress: forward a local port to the frontend Service.
    PortForward {
        namespace: String,
        service: String,
        port: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An external command, run as is.
    Run { program: String, args: Vec<String> },
    /// Build both images (`cargo xtask images`) and tag them with `tag`.
    BuildImages { tag: String },
    /// Keep a copy of the secrets in the local file (never overwritten).
    WriteLocalSecrets {
        path: PathBuf,
        values: secrets::Values,
    },
    /// Create or update the Namespace and the Secret.
    ApplySecret {
        context: String,
        namespace: String,
        name: String,
        values: secrets::Values,
        origin: secrets::Origin,
    },
    /// Tell the user something the plan decided (a kept value, say).
    Notice(String),
    /// Print how to open the app.
    ShowAccess(Access),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub action: Action,
    /// What to do next when this step fails.
    pub on_failure: String,
}

impl Step {
    pub fn run(
        title: impl Into<String>,
        program: &str,
        args: &[&str],
        on_failure: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            action: Action::Run {
                program: program.into(),
                args: args.iter().map(|a| a.to_string()).collect(),
            },
            on_failure: on_failure.into(),
        }
    }

    /// The command line, when the step is one.
    pub fn command_line(&self) -> Option<String> {
        match &self.action {
            Action::Run { program, args } => Some(
                std::iter::once(program.clone())
                    .chain(args.iter().map(|a| shell_quote(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match &self.action {
            Action::Run { .. } => self.command_line().unwrap_or_default(),
            Action::BuildImages { tag } => {
                format!("cargo xtask images, then tag todo-backend:{tag} and todo-frontend:{tag}")
            }
            Action::WriteLocalSecrets { path, values } => format!(
                "write {} to {} (mode 600)",
                values.keys().collect::<Vec<_>>().join(", "),
                path.display()
            ),
            Action::ApplySecret {
                context,
                namespace,
                name,
                values,
                origin,
            } => {
                let from = match origin {
                    secrets::Origin::Cluster => "the values already in the cluster",
                    secrets::Origin::LocalFile => "the local file",
                    secrets::Origin::Generated => "new random values",
                };
                format!(
                    "kubectl --context {context} apply Namespace {namespace} and Secret {namespace}/{name} ({}) with {from}",
                    values.keys().collect::<Vec<_>>().join(", ")
                )
            }
            Action::Notice(text) => text.clone(),
            Action::ShowAccess(access) => format!("print how to open the app ({access:?})"),
        }
    }
}

fn shell_quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// Every step's command line, for assertions.
    #[cfg(test)]
    pub fn commands(&self) -> Vec<String> {
        self.steps.iter().filter_map(Step::command_line).collect()
    }

    pub fn print(&self) {
        println!("plan ({} steps):", self.steps.len());
        for (i, step) in self.steps.iter().enumerate() {
            println!(
                "  {:>2}. {}\n        {}",
                i + 1,
                step.title,
                step.describe()
            );
        }
    }

    pub fn execute(&self, verbose: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        for (i, step) in self.steps.iter().enumerate() {
            let label = format!("[{}/{}] {}", i + 1, self.steps.len(), step.title);
            if verbose {
                eprintln!("$ {}", step.describe());
            }
            let step_started = Instant::now();
            let spinner = spinner(&label, verbose);
            let result = execute_step(step, verbose);
            spinner.finish_and_clear();
            match result {
                Ok(Some(message)) => {
                    eprintln!("✔ {label} ({:.0?})", step_started.elapsed());
                    println!("{message}");
                }
                Ok(None) => eprintln!("✔ {label} ({:.0?})", step_started.elapsed()),
                Err(e) => {
                    eprintln!("✘ {label} failed after {:.0?}", step_started.elapsed());
                    bail!("{e:#}\n\nwhat to do next: {}", step.on_failure);
                }
            }
        }
        eprintln!("done in {:.0?}", started.elapsed());
        Ok(())
    }
}

fn spinner(label: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("a valid template"),
    );
    bar.set_message(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs one step; `Some(text)` is output for the user.
fn execute_step(step: &Step, verbose: bool) -> anyhow::Result<Option<String>> {
    match &step.action {
        Action::Run { program, args } => {
            let mut command = Command::new(program);
            command.args(args);
            run_captured(&mut command, verbose).map(|_| None)
        }
        Action::BuildImages { tag } => {
            let _daemon = crate::support::docker::Daemon::ensure()?;
            let bases = crate::containers::bases::Bases::resolve(
                crate::containers::bases::BaseSource::Auto,
            )?;
            let built = crate::containers::images::build(&bases)?;
            for (image, repository) in [
                (&built.backend, "todo-backend"),
                (&built.frontend, "todo-frontend"),
            ] {
                run_captured(
                    Command::new("docker").args(["tag", image, &format!("{repository}:{tag}")]),
                    verbose,
                )?;
            }
            Ok(None)
        }
        Action::WriteLocalSecrets { path, values } => {
            secrets::write_new(path, values)?;
            Ok(Some(format!(
                "wrote the secrets to {} — keep this file private; deploys reuse the cluster's Secret first",
                path.display()
            )))
        }
        Action::ApplySecret {
            context,
            namespace,
            name,
            values,
            ..
        } => {
            let manifest = secrets::manifest(namespace, name, values);
            let mut child = Command::new("kubectl")
                .args(["--context", context, "apply", "-f", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("could not run kubectl")?;
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(manifest.as_bytes())?;
            let output = child.wait_with_output()?;
            if !output.status.success() {
                bail!(
                    "kubectl apply failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            Ok(None)
        }
        Action::Notice(text) => Ok(Some(text.clone())),
        Action::ShowAccess(access) => Ok(Some(access_text(access)?)),
    }
}

fn run_captured(command: &mut Command, verbose: bool) -> anyhow::Result<()> {
    let text = crate::support::process::describe(command);
    if verbose {
        return crate::support::process::run(command);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    if !output.status.success() {
        let mut log = String::from_utf8_lossy(&output.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&output.stderr));
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        bail!("`{text}` failed ({}):\n{}", output.status, tail.join("\n"));
    }
    Ok(())
}

fn access_text(access: &Access) -> anyhow::Result<String> {
    Ok(match access {
        Access::MinikubeIngress { profile, host } => {
            let ip = crate::support::process::output(
                Command::new("minikube").args(["-p", profile, "ip"]),
            )
            .map(|ip| ip.trim().to_owned())
            .unwrap_or_else(|_| "$(minikube ip)".into());
            format!(
                "The app is deployed. Point {host} at minikube:\n\n    echo \"{ip} {host}\" | sudo tee -a /etc/hosts\n\n\
                 then open http://{host}/ (on macOS/Windows with the docker driver, run `minikube tunnel` and use 127.0.0.1 instead).\n\
                 Prove it works: cargo xtask test-k8s"
            )
        }
        Access::Ingress { host } => format!(
            "The app is deployed behind your ingress controller: make {host} resolve to it, then open http://{host}/\n\
             Prove it works: cargo xtask test-k8s"
        ),
        Access::Gateway {
            proxy_namespace,
            release_namespace,
            host,
        } => format!(
            "The app is deployed behind its Gateway. Forward the Gateway's proxy Service:\n\n    \
             kubectl -n {proxy_namespace} port-forward \"$(kubectl -n {proxy_namespace} get service \
             -l gateway.envoyproxy.io/owning-gateway-namespace={release_namespace} -o name | head -n 1)\" 8080:80\n\n\
             then open http://{host}:8080/ with {host} pointing at 127.0.0.1 (echo \"127.0.0.1 {host}\" | sudo tee -a /etc/hosts),\n\
             or: curl -H 'Host: {host}' http://127.0.0.1:8080/\nProve it works: cargo xtask test-k8s"
        ),
        Access::PortForward {
            namespace,
            service,
            port,
        } => format!(
            "The app is deployed. Reach it through a port-forward:\n\n    kubectl -n {namespace} port-forward svc/{service} {port}:{port}\n\n\
             then open http://127.0.0.1:{port}/\nProve it works: cargo xtask test-k8s"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let step = Step::run("x", "helm", &["--set", "a=b c", "it's"], "fix it");
        assert_eq!(
            step.command_line().unwrap(),
            r"helm --set 'a=b c' 'it'\''s'"
        );
    }
}
