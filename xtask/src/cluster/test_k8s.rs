//! `cargo xtask test-k8s`: runs the release's Helm test hooks (a Pod that
//! runs `todo-backend selftest` against the backend Service, one that
//! loads the frontend through its Service), shows their logs, summarises.

use std::process::Command;

use anyhow::bail;
use clap::Args;

use super::deploy::kube_context;
use super::{ClusterFacts, Installed, ReleaseArgs, Tool, detect};
use crate::cluster::deploy::check_tools;
use crate::support::helm::Helm;

#[derive(Debug, Args)]
pub struct TestK8s {
    #[command(flatten)]
    pub target: ReleaseArgs,
    #[arg(long, default_value = "5m")]
    pub timeout: String,
    /// Print the command without running it.
    #[arg(long)]
    pub dry_run: bool,
}

/// One hook's outcome as Helm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResult {
    pub name: String,
    pub phase: String,
}

impl TestK8s {
    fn helm(&self, installed: &Installed) -> Helm {
        Helm::new(
            installed.program(Tool::Helm),
            &self.target.release,
            &self.target.namespace,
        )
    }

    pub fn run(self) -> anyhow::Result<()> {
        let installed = Installed::probe();
        check_tools(&installed, &[Tool::Helm, Tool::Kubectl]).map_err(anyhow::Error::msg)?;
        let cluster = detect(self.target.cluster, &ClusterFacts::probe(&installed))
            .map_err(anyhow::Error::msg)?;
        let context = kube_context(&cluster);
        let helm = self.helm(&installed);
        let args = helm.test_args(&context, &self.timeout);
        eprintln!("$ {} {}", helm.binary, args.join(" "));
        if self.dry_run {
            return Ok(());
        }
        let output = helm.command().args(&args).output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{text}");
        let hooks = summarize(&text);
        if !output.status.success() {
            // Helm may stop before dumping logs: show every hook Pod's log.
            for hook in hooks.iter().filter(|h| h.phase != "Succeeded") {
                let logs = Command::new("kubectl")
                    .args([
                        "--context",
                        &context,
                        "-n",
                        &self.target.namespace,
                        "logs",
                        &format!("pod/{}", hook.name),
                        "--tail",
                        "100",
                    ])
                    .output()?;
                println!(
                    "--- logs of {} ---\n{}{}",
                    hook.name,
                    String::from_utf8_lossy(&logs.stdout),
                    String::from_utf8_lossy(&logs.stderr)
                );
            }
        }
        let passed = hooks.iter().filter(|h| h.phase == "Succeeded").count();
        println!(
            "\ntest-k8s: {passed} of {} Helm test hooks passed",
            hooks.len()
        );
        for hook in &hooks {
            println!("  {:<10} {}", hook.phase, hook.name);
        }
        if !output.status.success() || passed != hooks.len() || hooks.is_empty() {
            bail!(
                "the Helm tests of release {} failed; `cargo xtask doctor --release {} --namespace {}` diagnoses the release",
                self.target.release,
                self.target.release,
                self.target.namespace
            );
        }
        Ok(())
    }
}

/// Reads `TEST SUITE:` / `Phase:` pairs (and `pod X failed` lines) from
/// `helm test` output.
pub fn summarize(output: &str) -> Vec<HookResult> {
    let mut hooks: Vec<HookResult> = Vec::new();
    let mut current: Option<String> = None;
    for line in output.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("TEST SUITE:") {
            let name = name.trim();
            current = (name != "None").then(|| name.to_owned());
        } else if let (Some(phase), Some(name)) = (line.strip_prefix("Phase:"), &current) {
            hooks.push(HookResult {
                name: name.clone(),
                phase: phase.trim().to_owned(),
            });
            current = None;
        } else if let Some(rest) = line
            .split("pod ")
            .nth(1)
            .filter(|_| line.contains(" failed"))
        {
            let name = rest.split_whitespace().next().unwrap_or("").to_owned();
            if !name.is_empty() && !hooks.iter().any(|h| h.name == name) {
                hooks.push(HookResult {
                    name,
                    phase: "Failed".into(),
                });
            }
        }
    }
    hooks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterChoice;

    #[test]
    fn passing_hooks_are_summarised() {
        let output = "NAME: todo\nLAST DEPLOYED: today\nNAMESPACE: todo\nSTATUS: deployed\nREVISION: 1\n\
            TEST SUITE:     todo-test-backend\nLast Started:   x\nLast Completed: y\nPhase:          Succeeded\n\
            TEST SUITE:     todo-test-frontend\nLast Started:   x\nLast Completed: y\nPhase:          Succeeded\n";
        assert_eq!(
            summarize(output),
            vec![
                HookResult {
                    name: "todo-test-backend".into(),
                    phase: "Succeeded".into()
                },
                HookResult {
                    name: "todo-test-frontend".into(),
                    phase: "Succeeded".into()
                },
            ]
        );
    }

    #[test]
    fn a_failed_hook_is_reported_even_without_a_phase_line() {
        let output = "Error: 1 error occurred:\n\t* pod todo-test-backend failed\n";
        assert_eq!(
            summarize(output),
            vec![HookResult {
                name: "todo-test-backend".into(),
                phase: "Failed".into()
            }]
        );
    }

    #[test]
    fn the_command_shows_logs_and_targets_the_release() {
        let cmd = TestK8s {
            target: ReleaseArgs {
                cluster: ClusterChoice::Kind,
                release: "todo".into(),
                namespace: "apps".into(),
            },
            timeout: "3m".into(),
            dry_run: true,
        };
        assert_eq!(
            cmd.helm(&Installed::default())
                .test_args("kind-kind", &cmd.timeout)
                .join(" "),
            "test todo --kube-context kind-kind --namespace apps --logs --timeout 3m"
        );
    }
}
