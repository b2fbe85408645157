//! The cluster-facing commands (`deploy`, `test-k8s`, `doctor`, `backup`,
//! `restore`). Each turns what it finds on the machine into a
//! [`plan::Plan`] of steps (`backup` and `restore` into a
//! [`backup::Procedure`], which adds a rescue and a cleanup), as plain data
//! that unit tests assert on, and only then executes it.

pub mod backup;
pub mod deploy;
pub mod doctor;
pub mod plan;
pub mod release_names;
pub mod restore;
pub mod secrets;
pub mod test_k8s;

use std::process::Command;

use clap::ValueEnum;

pub use crate::support::tools::{Installed, Tool};

/// The release a cluster command acts on, as the command line names it.
#[derive(Debug, Clone, clap::Args)]
pub struct ReleaseArgs {
    /// Which cluster: detected, or as named.
    #[arg(long, value_enum, default_value_t = ClusterChoice::Auto)]
    pub cluster: ClusterChoice,
    /// Helm release name.
    #[arg(long, default_value = "todo")]
    pub release: String,
    /// Namespace (`deploy` creates it when missing).
    #[arg(long, default_value = "todo")]
    pub namespace: String,
}

/// Which cluster to target, as asked on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ClusterChoice {
    /// Detect: the current kube context, else a running kind cluster or minikube profile.
    #[default]
    Auto,
    Minikube,
    Kind,
    /// Whatever the current kube context points at (images must be pullable).
    Context,
}

/// The cluster a plan targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterKind {
    Minikube {
        profile: String,
    },
    Kind {
        name: String,
    },
    /// Any other cluster: images are not loaded, they must be pullable.
    Context {
        name: String,
    },
}

impl ClusterKind {
    pub fn describe(&self) -> String {
        match self {
            ClusterKind::Minikube { profile } => format!("minikube (profile {profile})"),
            ClusterKind::Kind { name } => format!("kind (cluster {name})"),
            ClusterKind::Context { name } => format!("kube context {name}"),
        }
    }
}

/// What the kube configuration and local cluster tools report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    pub current_context: Option<String>,
    pub minikube_profiles: Vec<String>,
    pub kind_clusters: Vec<String>,
}

impl ClusterFacts {
    pub fn probe(installed: &Installed) -> Self {
        let lines = |program: &str, args: &[&str]| -> Vec<String> {
            Command::new(program)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let current_context = if installed.has(Tool::Kubectl) {
            lines("kubectl", &["config", "current-context"])
                .into_iter()
                .next()
        } else {
            None
        };
        let minikube_profiles = if installed.has(Tool::Minikube) {
            lines("minikube", &["profile", "list", "-o", "json"])
                .join("")
                .split("\"Name\":\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_owned))
                .collect()
        } else {
            Vec::new()
        };
        let kind_clusters = if installed.has(Tool::Kind) {
            lines("kind", &["get", "clusters"])
        } else {
            Vec::new()
        };
        Self {
            current_context,
            minikube_profiles,
            kind_clusters,
        }
    }
}

/// Picks the cluster: what was asked for, else what the current context
/// points at, else the only local cluster there is.
pub fn detect(choice: ClusterChoice, facts: &ClusterFacts) -> Result<ClusterKind, String> {
    let context = facts.current_context.clone();
    let from_context = context.as_deref().and_then(|ctx| {
        if let Some(name) = ctx.strip_prefix("kind-") {
            Some(ClusterKind::Kind {
                name: name.to_owned(),
            })
        } else if facts.minikube_profiles.iter().any(|p| p == ctx) {
            Some(ClusterKind::Minikube {
                profile: ctx.to_owned(),
            })
        } else {
            None
        }
    });
    // An explicit kind or minikube: the current context's cluster of that
    // kind, else the first one there is, else the tool's default name.
    let first = |found: &[String], default: &str| {
        found.first().cloned().unwrap_or_else(|| default.to_owned())
    };
    match (choice, from_context) {
        (ClusterChoice::Minikube, Some(ClusterKind::Minikube { profile })) => {
            Ok(ClusterKind::Minikube { profile })
        }
        (ClusterChoice::Minikube, _) => Ok(ClusterKind::Minikube {
            profile: first(&facts.minikube_profiles, "minikube"),
        }),
        (ClusterChoice::Kind, Some(ClusterKind::Kind { name })) => Ok(ClusterKind::Kind { name }),
        (ClusterChoice::Kind, _) => Ok(ClusterKind::Kind {
            name: first(&facts.kind_clusters, "kind"),
        }),
        (ClusterChoice::Context, _) => context
            .map(|name| ClusterKind::Context { name })
            .ok_or_else(|| "no current kube context: `kubectl config use-context NAME`".to_owned()),
        (ClusterChoice::Auto, Some(kind)) => Ok(kind),
        (ClusterChoice::Auto, None) => {
            if let Some(name) = context {
                return Ok(ClusterKind::Context { name });
            }
            match (facts.kind_clusters.first(), facts.minikube_profiles.first()) {
                (Some(name), None) => Ok(ClusterKind::Kind { name: name.clone() }),
                (None, Some(profile)) => Ok(ClusterKind::Minikube { profile: profile.clone() }),
                (Some(_), Some(_)) => Err("both a kind cluster and a minikube profile exist: choose with --cluster kind|minikube".into()),
                (None, None) => Err("no cluster found: start one (`minikube start --memory 4096 --cpus 2` or `kind create cluster`) and run this again".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(context: Option<&str>, minikube: &[&str], kind: &[&str]) -> ClusterFacts {
        ClusterFacts {
            current_context: context.map(str::to_owned),
            minikube_profiles: minikube.iter().map(|s| s.to_string()).collect(),
            kind_clusters: kind.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_current_context_decides_when_it_is_local() {
        assert_eq!(
            detect(ClusterChoice::Auto, &facts(Some("kind-dev"), &[], &["dev"])),
            Ok(ClusterKind::Kind { name: "dev".into() })
        );
        assert_eq!(
            detect(
                ClusterChoice::Auto,
                &facts(Some("minikube"), &["minikube"], &[])
            ),
            Ok(ClusterKind::Minikube {
                profile: "minikube".into()
            })
        );
        assert_eq!(
            detect(ClusterChoice::Auto, &facts(Some("prod-eks"), &[], &[])),
            Ok(ClusterKind::Context {
                name: "prod-eks".into()
            })
        );
    }

    #[test]
    fn without_a_context_the_only_local_cluster_is_used_or_a_choice_is_asked() {
        assert_eq!(
            detect(ClusterChoice::Auto, &facts(None, &[], &["k"])),
            Ok(ClusterKind::Kind { name: "k".into() })
        );
        assert!(
            detect(ClusterChoice::Auto, &facts(None, &["m"], &["k"]))
                .unwrap_err()
                .contains("--cluster")
        );
        assert!(
            detect(ClusterChoice::Auto, &facts(None, &[], &[]))
                .unwrap_err()
                .contains("minikube start")
        );
    }

    #[test]
    fn an_explicit_choice_wins() {
        assert_eq!(
            detect(
                ClusterChoice::Kind,
                &facts(Some("minikube"), &["minikube"], &[])
            ),
            Ok(ClusterKind::Kind {
                name: "kind".into()
            })
        );
        assert_eq!(
            detect(ClusterChoice::Minikube, &facts(None, &[], &[])),
            Ok(ClusterKind::Minikube {
                profile: "minikube".into()
            })
        );
    }
}
