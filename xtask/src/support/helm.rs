//! The one way every command drives Helm: which binary (the one
//! `tools::Tool::Helm` locates, so `chart` and `deploy` agree), which
//! chart, which release in which namespace. Commands get their arguments
//! from here, so `chart --on-docker` (which hands its `helm template` to
//! the `offline/` crate), `deploy` and `test-k8s` render, install and test
//! the same release the same way; `chart` hands this binary to `todo-infra
//! check-chart`, which renders `helm/todo` as release `todo` in namespace
//! `todo` too.

use std::path::PathBuf;
use std::process::Command;

use super::workspace::project_root;

/// The chart, relative to the workspace root.
pub const CHART: &str = "helm/todo";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helm {
    /// The program: a path, or `helm` to take it from PATH.
    pub binary: String,
    pub chart: PathBuf,
    pub release: String,
    pub namespace: String,
}

impl Helm {
    pub fn new(binary: impl Into<String>, release: &str, namespace: &str) -> Self {
        Self {
            binary: binary.into(),
            chart: PathBuf::from(CHART),
            release: release.to_owned(),
            namespace: namespace.to_owned(),
        }
    }

    /// The located (or freshly installed) Helm, for the local checks.
    pub fn local(release: &str, namespace: &str) -> anyhow::Result<Self> {
        let binary = super::tools::helm()?;
        Ok(Self::new(binary.display().to_string(), release, namespace))
    }

    /// A `helm` command run from the workspace root.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.current_dir(project_root());
        command
    }

    fn chart_arg(&self) -> String {
        self.chart.display().to_string()
    }

    /// `helm template <release> <chart> --namespace <namespace>`.
    pub fn template_args(&self) -> Vec<String> {
        strings(&["template", &self.release])
            .chain([self.chart_arg()])
            .chain(strings(&["--namespace", &self.namespace]))
            .collect()
    }

    /// `helm upgrade --install … --atomic --wait`: safe to run again, and a
    /// failed upgrade rolls back by itself.
    pub fn upgrade_args(&self, context: &str, timeout: &str) -> Vec<String> {
        strings(&["upgrade", "--install", &self.release])
            .chain([self.chart_arg()])
            .chain(strings(&[
                "--kube-context",
                context,
                "--namespace",
                &self.namespace,
                "--create-namespace",
                "--atomic",
                "--wait",
                "--timeout",
                timeout,
            ]))
            .collect()
    }

    /// `helm test <release> --logs`.
    pub fn test_args(&self, context: &str, timeout: &str) -> Vec<String> {
        strings(&[
            "test",
            &self.release,
            "--kube-context",
            context,
            "--namespace",
            &self.namespace,
            "--logs",
            "--timeout",
            timeout,
        ])
        .collect()
    }
}

fn strings<'a>(words: &'a [&'a str]) -> impl Iterator<Item = String> + 'a {
    words.iter().map(|w| (*w).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_names_the_same_release_chart_and_namespace() {
        let helm = Helm::new("helm", "todo", "apps");
        assert_eq!(
            helm.template_args().join(" "),
            "template todo helm/todo --namespace apps"
        );
        assert_eq!(
            helm.upgrade_args("kind-todo", "5m").join(" "),
            "upgrade --install todo helm/todo --kube-context kind-todo --namespace apps \
             --create-namespace --atomic --wait --timeout 5m"
        );
        assert_eq!(
            helm.test_args("kind-todo", "5m").join(" "),
            "test todo --kube-context kind-todo --namespace apps --logs --timeout 5m"
        );
    }
}
