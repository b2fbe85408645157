//! The tools a deploy needs and whether Docker's daemon answers: every
//! missing one is a problem, so `doctor` exits non-zero on a machine that
//! cannot deploy.

use super::super::{ClusterKind, Installed, Tool};

/// What `docker info` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonState {
    Running {
        version: String,
    },
    /// The CLI is there, the daemon does not answer (its error's last line).
    NotRunning {
        error: String,
    },
    /// No docker CLI at all (reported as a missing tool).
    NoClient,
}

/// The prerequisites section of the report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Prerequisites {
    pub lines: Vec<String>,
    /// One entry per missing prerequisite, each with its fix.
    pub missing: Vec<String>,
}

/// Docker, kubectl and Helm always; the cluster's own CLI when one is
/// targeted, else minikube or kind. kubectl-ai is optional (`--ai`).
pub fn check(
    installed: &Installed,
    daemon: &DaemonState,
    cluster: Option<&ClusterKind>,
) -> Prerequisites {
    let required = |tool: Tool| match tool {
        Tool::Docker | Tool::Kubectl | Tool::Helm => true,
        Tool::Minikube => match cluster {
            Some(kind) => matches!(kind, ClusterKind::Minikube { .. }),
            None => !installed.has(Tool::Kind),
        },
        Tool::Kind => match cluster {
            Some(kind) => matches!(kind, ClusterKind::Kind { .. }),
            None => !installed.has(Tool::Minikube),
        },
        Tool::KubectlAi => false,
    };
    let mut report = Prerequisites::default();
    for tool in Tool::ALL {
        match installed.version(tool) {
            Some(version) => report
                .lines
                .push(format!("  ✔ {:<11} {version}", tool.program())),
            None if required(tool) => {
                report.lines.push(format!(
                    "  ✘ {:<11} missing — {}",
                    tool.program(),
                    tool.install_hint()
                ));
                report
                    .missing
                    .push(format!("{} is not installed", tool.program()));
            }
            None => report.lines.push(format!(
                "  - {:<11} not installed (optional) — {}",
                tool.program(),
                tool.install_hint()
            )),
        }
    }
    match daemon {
        DaemonState::Running { version } => report
            .lines
            .push(format!("  ✔ {:<11} daemon {version} answers", "docker")),
        DaemonState::NotRunning { error } => {
            report.lines.push(format!(
                "  ✘ {:<11} the daemon is not running ({error}) — start it: `sudo systemctl start docker` \
                 (Docker Desktop: open it); deploy builds images with it, and minikube's docker driver and kind run on it",
                "docker"
            ));
            report
                .missing
                .push("the Docker daemon is not running".to_owned());
        }
        DaemonState::NoClient => {}
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYABLE: &[Tool] = &[Tool::Docker, Tool::Kubectl, Tool::Helm, Tool::Minikube];

    fn running() -> DaemonState {
        DaemonState::Running {
            version: "28.2.2".into(),
        }
    }

    #[test]
    fn a_machine_that_can_deploy_has_nothing_missing() {
        let minikube = ClusterKind::Minikube {
            profile: "minikube".into(),
        };
        let report = check(&Installed::with(DEPLOYABLE), &running(), Some(&minikube));
        assert_eq!(report.missing, Vec::<String>::new());
        // kind and kubectl-ai are not needed for minikube.
        assert!(
            report
                .lines
                .iter()
                .any(|l| l.contains("kind") && l.contains("optional"))
        );
    }

    #[test]
    fn a_missing_tool_or_a_stopped_daemon_is_a_problem() {
        let kind = ClusterKind::Kind {
            name: "kind".into(),
        };
        let report = check(
            &Installed::with(&[Tool::Docker, Tool::Kubectl]),
            &DaemonState::NotRunning {
                error: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?".into(),
            },
            Some(&kind),
        );
        assert_eq!(
            report.missing,
            [
                "helm is not installed",
                "kind is not installed",
                "the Docker daemon is not running"
            ]
        );
        assert!(
            report
                .lines
                .iter()
                .any(|l| l.contains("sudo systemctl start docker"))
        );
    }

    #[test]
    fn without_a_cluster_either_local_cluster_tool_will_do() {
        let base = [Tool::Docker, Tool::Kubectl, Tool::Helm];
        let none = check(&Installed::with(&base), &running(), None);
        assert_eq!(
            none.missing,
            ["minikube is not installed", "kind is not installed"]
        );
        let with_kind = check(
            &Installed::with(&[Tool::Docker, Tool::Kubectl, Tool::Helm, Tool::Kind]),
            &running(),
            None,
        );
        assert_eq!(with_kind.missing, Vec::<String>::new());
    }
}
