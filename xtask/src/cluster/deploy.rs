//! `cargo xtask deploy`: build the images, load them into the local
//! cluster, create the secrets, and `helm upgrade --install` the chart.
//! Safe to re-run: images get a fresh tag, secrets are reused, Helm upgrades.

use std::path::{Path, PathBuf};

use clap::Args;

use super::plan::{Access, Action, Plan, Step};
use super::release_names::ReleaseNames;
use super::{ClusterFacts, ClusterKind, Installed, ReleaseArgs, Tool, detect, secrets};
use crate::support::helm::Helm;

/// kind needs the ingress-nginx variant made for it (hostPort on the node).
const KIND_INGRESS_MANIFEST: &str = "https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/kind/deploy.yaml";
/// The CloudNativePG release whose CRDs `cargo xtask chart` validates the
/// rendered Cluster against (infra/crds/cloudnative-pg/README.md).
/// Envoy Gateway, the Gateway API implementation `deploy --gateway`
/// installs: its Helm chart (an OCI artifact) and the version pinned.
const ENVOY_GATEWAY_CHART: &str = "oci://docker.io/envoyproxy/gateway-helm";
const ENVOY_GATEWAY_VERSION: &str = "v1.6.0";
/// Where Envoy Gateway runs, and its proxies with it.
pub const ENVOY_GATEWAY_NAMESPACE: &str = "envoy-gateway-system";
/// The GatewayClass `eg` for Envoy Gateway's controller (cluster-scoped,
/// so applied by deploy rather than rendered by the chart).
const ENVOY_GATEWAY_CLASS: &str = "infra/k8s/gateway/envoy-gateway-class.yaml";
const CNPG_OPERATOR_MANIFEST: &str = "https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.30/releases/cnpg-1.30.0.yaml";

#[derive(Debug, Args)]
pub struct Deploy {
    #[command(flatten)]
    pub target: ReleaseArgs,
    /// Expose the app through an Ingress (default: on for minikube, off elsewhere).
    #[arg(long)]
    pub ingress: Option<bool>,
    /// Expose the app through the Gateway API instead: on minikube and kind,
    /// install Envoy Gateway and its GatewayClass, and route the host
    /// through a Gateway the chart creates.
    #[arg(long, conflicts_with = "ingress")]
    pub gateway: bool,
    /// Host name of the Ingress.
    #[arg(long, default_value = "todo.local")]
    pub host: String,
    /// Registry to push images to (required for clusters that cannot load local images).
    #[arg(long)]
    pub registry: Option<String>,
    /// How long Helm waits for the release to become ready.
    #[arg(long, default_value = "5m")]
    pub timeout: String,
    /// Extra values files for Helm.
    #[arg(long = "values", short = 'f')]
    pub values: Vec<PathBuf>,
    /// Print the plan without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Show the underlying commands and their output.
    #[arg(long)]
    pub verbose: bool,
}

/// Everything the plan depends on, gathered before planning.
#[derive(Debug, Clone)]
pub struct DeployInputs {
    pub cluster: ClusterKind,
    pub installed: Installed,
    /// The local copy of the release's secrets.
    pub secrets_path: PathBuf,
    /// What the cluster and the local file hold.
    pub secrets: secrets::Facts,
    /// Values a first deploy would use.
    pub generated: secrets::Values,
    pub image_tag: String,
    pub chart: PathBuf,
    /// What the chart names the release's objects, read off its render.
    pub names: ReleaseNames,
    /// Refuse to plan when a tool is missing (off for `--dry-run`, which
    /// shows the plan anyway, after the list of what is missing).
    pub require_tools: bool,
}

/// The Secret `deploy` keeps the release's secrets in: deploy's own
/// object (the chart reads it as `secrets.existingSecret`), named as
/// deploys always have, so an existing release keeps finding it.
pub fn secret_name(release: &str) -> String {
    if release.contains("todo") {
        format!("{release}-deploy-secrets")
    } else {
        format!("{release}-todo-deploy-secrets")
    }
}

pub fn kube_context(cluster: &ClusterKind) -> String {
    match cluster {
        ClusterKind::Minikube { profile } => profile.clone(),
        ClusterKind::Kind { name } => format!("kind-{name}"),
        ClusterKind::Context { name } => name.clone(),
    }
}

/// Tools every cluster needs, plus the cluster's own CLI.
fn required_tools(cluster: &ClusterKind) -> Vec<Tool> {
    let mut tools = vec![Tool::Docker, Tool::Kubectl, Tool::Helm];
    match cluster {
        ClusterKind::Minikube { .. } => tools.push(Tool::Minikube),
        ClusterKind::Kind { .. } => tools.push(Tool::Kind),
        ClusterKind::Context { .. } => {}
    }
    tools
}

/// One clear error naming every missing tool with how to install it.
pub fn check_tools(installed: &Installed, needed: &[Tool]) -> Result<(), String> {
    let missing: Vec<String> = needed
        .iter()
        .filter(|tool| !installed.has(**tool))
        .map(|tool| {
            format!(
                "  - {} is not installed: {}",
                tool.program(),
                tool.install_hint()
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing prerequisites:\n{}", missing.join("\n")))
    }
}

impl Deploy {
    fn ingress_enabled(&self, cluster: &ClusterKind) -> bool {
        !self.gateway
            && self
                .ingress
                .unwrap_or(matches!(cluster, ClusterKind::Minikube { .. }))
    }

    pub fn plan(&self, inputs: &DeployInputs) -> Result<Plan, String> {
        let cluster = &inputs.cluster;
        if let Err(missing) = check_tools(&inputs.installed, &required_tools(cluster)) {
            if inputs.require_tools {
                return Err(missing);
            }
            eprintln!(
                "deploy: {missing}
"
            );
        }
        let context = kube_context(cluster);
        let tag = &inputs.image_tag;
        let images: Vec<String> = ["todo-backend", "todo-frontend"]
            .iter()
            .map(|r| format!("{r}:{tag}"))
            .collect();
        let ingress = self.ingress_enabled(cluster);
        let mut plan = Plan::default();

        plan.push(Step {
            title: format!("build images (tag {tag})"),
            action: Action::BuildImages { tag: tag.clone() },
            on_failure: "run `cargo xtask images` to see the build error; `cargo xtask doctor` checks Docker".into(),
        });
        match cluster {
            ClusterKind::Minikube { profile } => {
                for image in &images {
                    plan.push(Step::run(
                        format!("load {image} into minikube"),
                        "minikube",
                        &["-p", profile, "image", "load", image],
                        format!("is minikube running? `minikube -p {profile} status`; start it with `minikube start -p {profile} --memory 4096 --cpus 2`"),
                    ));
                }
            }
            ClusterKind::Kind { name } => {
                let mut args = vec!["load", "docker-image", "--name", name.as_str()];
                args.extend(images.iter().map(String::as_str));
                plan.push(Step::run(
                    "load images into kind",
                    "kind",
                    &args,
                    format!("is the kind cluster up? `kind get clusters`; create it with `kind create cluster --name {name}`"),
                ));
            }
            ClusterKind::Context { name } => {
                let Some(registry) = &self.registry else {
                    return Err(format!(
                        "kube context {name} is not minikube or kind, so local images cannot be loaded into it: \
                         pass --registry <registry the cluster can pull from>, or use --cluster minikube|kind"
                    ));
                };
                for image in &images {
                    let remote = format!("{registry}/{image}");
                    plan.push(Step::run(
                        format!("tag {remote}"),
                        "docker",
                        &["tag", image, &remote],
                        "check `docker images`",
                    ));
                    plan.push(Step::run(
                        format!("push {remote}"),
                        "docker",
                        &["push", &remote],
                        format!("log in to the registry: `docker login {registry}`"),
                    ));
                }
            }
        }
        if ingress {
            match cluster {
                ClusterKind::Minikube { profile } => plan.push(Step::run(
                    "enable minikube's ingress addon",
                    "minikube",
                    &["-p", profile, "addons", "enable", "ingress"],
                    "see `minikube addons list`; or deploy with --ingress false",
                )),
                ClusterKind::Kind { .. } => {
                    plan.push(Step::run(
                        "install ingress-nginx for kind",
                        "kubectl",
                        &["--context", &context, "apply", "-f", KIND_INGRESS_MANIFEST],
                        "the kind cluster needs port mappings for an ingress (see docs/quickstart.md); or deploy with --ingress false",
                    ));
                    plan.push(Step::run(
                        "wait for ingress-nginx",
                        "kubectl",
                        &[
                            "--context",
                            &context,
                            "-n",
                            "ingress-nginx",
                            "wait",
                            "--for=condition=ready",
                            "pod",
                            "--selector=app.kubernetes.io/component=controller",
                            "--timeout=180s",
                        ],
                        "`kubectl -n ingress-nginx get pods` shows why the controller is not ready",
                    ));
                }
                ClusterKind::Context { .. } => {}
            }
        }
        let secret_name = secret_name(&self.target.release);
        let namespace = &self.target.namespace;
        let resolution = secrets::resolve(
            &inputs.secrets,
            &inputs.generated,
            &inputs.secrets_path,
            &secret_name,
            namespace,
        )?;
        for note in &resolution.notes {
            plan.push(Step {
                title: "secrets".into(),
                action: Action::Notice(note.clone()),
                on_failure: String::new(),
            });
        }
        if resolution.write_local {
            plan.push(Step {
                title: match resolution.origin {
                    secrets::Origin::Generated => "generate secrets (first deploy)".into(),
                    _ => format!(
                        "keep a copy of the cluster's secrets in {}",
                        inputs.secrets_path.display()
                    ),
                },
                action: Action::WriteLocalSecrets {
                    path: inputs.secrets_path.clone(),
                    values: resolution.values.clone(),
                },
                on_failure: format!("check that {} is writable", inputs.secrets_path.display()),
            });
        }
        plan.push(Step {
            title: match resolution.origin {
                secrets::Origin::Cluster => {
                    format!("reuse Secret {namespace}/{secret_name} from the cluster")
                }
                _ => format!("create or update Secret {namespace}/{secret_name}"),
            },
            action: Action::ApplySecret {
                context: context.clone(),
                namespace: namespace.clone(),
                name: secret_name.clone(),
                values: resolution.values,
                origin: resolution.origin,
            },
            on_failure: format!(
                "`kubectl --context {context} auth can-i create secrets -n {namespace}`"
            ),
        });

        if self.gateway {
            match cluster {
                ClusterKind::Minikube { .. } | ClusterKind::Kind { .. } => {
                    let helm = inputs.installed.program(Tool::Helm);
                    plan.push(Step::run(
                        format!("install Envoy Gateway {ENVOY_GATEWAY_VERSION}"),
                        &helm,
                        &[
                            "upgrade", "--install", "eg", ENVOY_GATEWAY_CHART,
                            "--version", ENVOY_GATEWAY_VERSION,
                            "--kube-context", &context,
                            "--namespace", ENVOY_GATEWAY_NAMESPACE, "--create-namespace",
                            "--wait", "--timeout", "5m",
                        ],
                        "Helm pulls the chart from docker.io: check the cluster's machine reaches it, or install a Gateway API implementation yourself and deploy without --gateway, with gateway.* in a values file",
                    ));
                    plan.push(Step::run(
                        "create the GatewayClass eg",
                        "kubectl",
                        &["--context", &context, "apply", "-f", ENVOY_GATEWAY_CLASS],
                        format!("`kubectl --context {context} get gatewayclass eg -o yaml` says why it is not accepted"),
                    ));
                }
                ClusterKind::Context { name } => {
                    plan.push(Step::run(
                        "check that the cluster serves the Gateway API",
                        "kubectl",
                        &["--context", &context, "get", "gatewayclass", "eg"],
                        format!("on {name}, install a Gateway API implementation with a GatewayClass \"eg\" (or deploy without --gateway, with gateway.create.gatewayClassName in a values file)"),
                    ));
                }
            }
        }
        let release = Helm {
            binary: inputs.installed.program(Tool::Helm),
            chart: inputs.chart.clone(),
            release: self.target.release.clone(),
            namespace: self.target.namespace.clone(),
        };
        let mut helm = release.upgrade_args(&context, &self.timeout);
        // Tags are strings even when they look like numbers.
        for key in ["backend.image.tag", "frontend.image.tag"] {
            helm.push("--set-string".into());
            helm.push(format!("{key}={tag}"));
        }
        let mut set = |key: &str, value: &str| {
            helm.push("--set".into());
            helm.push(format!("{key}={value}"));
        };
        set("secrets.existingSecret", &secret_name);
        set("ingress.enabled", if ingress { "true" } else { "false" });
        if ingress {
            set("ingress.host", &self.host);
        }
        if self.gateway {
            set("gateway.enabled", "true");
            set("gateway.create.enabled", "true");
            set("gateway.create.gatewayClassName", "eg");
            set("gateway.hostnames[0]", &self.host);
        }
        if let (ClusterKind::Context { .. }, Some(registry)) = (cluster, &self.registry) {
            set("global.imageRegistry", registry);
        }
        for file in &self.values {
            helm.push("--values".into());
            helm.push(file.display().to_string());
        }
        let helm_args: Vec<&str> = helm.iter().map(String::as_str).collect();
        if let Some(cluster_name) = &inputs.names.cnpg_cluster {
            // Without the operator's CRDs the upgrade fails on the Cluster
            // object with a message that does not say what to install.
            plan.push(Step::run(
                format!("check that the CloudNativePG operator is installed (for Cluster {cluster_name})"),
                "kubectl",
                &["--context", &context, "get", "crd", "clusters.postgresql.cnpg.io"],
                format!("database.mode cnpg needs the CloudNativePG operator: `kubectl apply --server-side -f {CNPG_OPERATOR_MANIFEST}` (see docs/database.md)"),
            ));
        }
        plan.push(Step::run(
            format!("helm upgrade --install {}", self.target.release),
            &release.binary,
            &helm_args,
            format!("`cargo xtask doctor --release {} --namespace {}` explains what is not ready (Helm rolled the release back)", self.target.release, self.target.namespace),
        ));
        let access = match (cluster, ingress) {
            _ if self.gateway => Access::Gateway {
                proxy_namespace: ENVOY_GATEWAY_NAMESPACE.into(),
                release_namespace: self.target.namespace.clone(),
                host: self.host.clone(),
            },
            (ClusterKind::Minikube { profile }, true) => Access::MinikubeIngress {
                profile: profile.clone(),
                host: self.host.clone(),
            },
            (_, true) => Access::Ingress {
                host: self.host.clone(),
            },
            (_, false) => Access::PortForward {
                namespace: self.target.namespace.clone(),
                service: inputs.names.frontend_service.clone(),
                port: 3000,
            },
        };
        plan.push(Step {
            title: "how to open the app".into(),
            action: Action::ShowAccess(access),
            on_failure: String::new(),
        });
        Ok(plan)
    }

    pub fn run(self) -> anyhow::Result<()> {
        let installed = Installed::probe();
        let facts = ClusterFacts::probe(&installed);
        let cluster = detect(self.target.cluster, &facts).map_err(anyhow::Error::msg)?;
        eprintln!("deploy: target {}", cluster.describe());
        let context = kube_context(&cluster);
        let secrets_path = secrets::default_path(&context, &self.target.release);
        let chart = crate::support::process::project_root().join("helm/todo");
        // The claim to look for is the one the chart will name, with the
        // user's values files (and their overrides) applied.
        let rendered = ReleaseNames::render(
            Path::new(&installed.program(Tool::Helm)),
            &chart,
            &self.target.release,
            &self.target.namespace,
            &self.values,
        );
        let names = match rendered {
            Ok(names) => names,
            Err(e) if self.dry_run => {
                eprintln!(
                    "deploy: {e:#}\ndeploy: (the plan below cannot name the release's objects)"
                );
                ReleaseNames {
                    frontend_service: "<the frontend Service>".into(),
                    database_claim: None,
                    cnpg_cluster: None,
                }
            }
            Err(e) => {
                return Err(e.context("deploy reads the release's names off the chart's render"));
            }
        };
        let facts = secrets::Facts::probe(
            &context,
            &self.target.namespace,
            &secret_name(&self.target.release),
            names.database_claim.as_deref(),
            &secrets_path,
        );
        let facts = match facts {
            Ok(facts) => facts,
            Err(e) if self.dry_run => {
                eprintln!("deploy: {e:#}\ndeploy: (the plan below assumes a cluster without the release)");
                secrets::Facts {
                    local: secrets_path.exists().then(|| secrets::read(&secrets_path)).transpose()?,
                    ..Default::default()
                }
            }
            Err(e) => return Err(e.context("deploy reads the release's Secret before it changes anything; is the cluster running?")),
        };
        let inputs = DeployInputs {
            secrets: facts,
            generated: secrets::Values::generate()?,
            secrets_path,
            installed,
            image_tag: unique_tag()?,
            chart,
            names,
            require_tools: !self.dry_run,
            cluster,
        };
        let plan = self.plan(&inputs).map_err(anyhow::Error::msg)?;
        if self.dry_run {
            plan.print();
            return Ok(());
        }
        plan.execute(self.verbose)
    }
}

/// `<workspace version>-<unix time>`: unique per build, so a cluster never
/// runs a stale image that happens to share a tag.
fn unique_tag() -> anyhow::Result<String> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(format!("{}-{seconds}", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterChoice;
    use std::path::Path;

    fn deploy(ingress: Option<bool>) -> Deploy {
        Deploy {
            target: ReleaseArgs {
                cluster: ClusterChoice::Auto,
                release: "todo".into(),
                namespace: "todo".into(),
            },
            ingress,
            gateway: false,
            host: "todo.local".into(),
            registry: None,
            timeout: "5m".into(),
            values: vec![],
            dry_run: true,
            verbose: false,
        }
    }

    fn values(password: &str) -> secrets::Values {
        secrets::Values::of(&[
            ("jwt-secret", "0123456789abcdef0123456789abcdef"),
            ("postgres-password", password),
        ])
    }

    /// `local_file`: a re-deploy from the same checkout (the local file
    /// exists, and so does the cluster's Secret).
    fn inputs(cluster: ClusterKind, tools: &[Tool], local_file: bool) -> DeployInputs {
        let secrets = if local_file {
            secrets::Facts {
                cluster: Some(values("kept")),
                local: Some(values("kept")),
                database_claim: Some("data-todo-postgresql-0".into()),
            }
        } else {
            secrets::Facts::default()
        };
        DeployInputs {
            cluster,
            installed: Installed::with(tools),
            secrets_path: PathBuf::from("/tmp/x/todo.env"),
            secrets,
            generated: values("generated"),
            image_tag: "0.1.0-1700000000".into(),
            chart: PathBuf::from("helm/todo"),
            names: ReleaseNames {
                frontend_service: "todo-frontend".into(),
                database_claim: Some("data-todo-postgresql-0".into()),
                cnpg_cluster: None,
            },
            require_tools: true,
        }
    }

    const ALL: &[Tool] = &[
        Tool::Docker,
        Tool::Kubectl,
        Tool::Helm,
        Tool::Minikube,
        Tool::Kind,
    ];
    fn minikube() -> ClusterKind {
        ClusterKind::Minikube {
            profile: "minikube".into(),
        }
    }
    fn kind() -> ClusterKind {
        ClusterKind::Kind { name: "dev".into() }
    }

    fn helm_command(plan: &Plan) -> String {
        plan.commands()
            .into_iter()
            .find(|c| c.starts_with("helm upgrade"))
            .expect("a helm step")
    }

    #[test]
    fn minikube_loads_with_minikube_image_load_and_enables_its_ingress() {
        let plan = deploy(None).plan(&inputs(minikube(), ALL, false)).unwrap();
        let commands = plan.commands();
        assert!(
            commands.contains(
                &"minikube -p minikube image load todo-backend:0.1.0-1700000000".to_owned()
            )
        );
        assert!(commands.contains(
            &"minikube -p minikube image load todo-frontend:0.1.0-1700000000".to_owned()
        ));
        assert!(commands.contains(&"minikube -p minikube addons enable ingress".to_owned()));
        assert!(!commands.iter().any(|c| c.starts_with("kind ")));
        let helm = helm_command(&plan);
        assert!(helm.contains("--atomic --wait --timeout 5m"));
        assert!(helm.contains("--set ingress.enabled=true --set ingress.host=todo.local"));
        assert!(helm.contains("--kube-context minikube"));
        assert!(matches!(
            plan.steps.last().unwrap().action,
            Action::ShowAccess(Access::MinikubeIngress { .. })
        ));
    }

    #[test]
    fn kind_loads_with_kind_load_docker_image() {
        let plan = deploy(None).plan(&inputs(kind(), ALL, false)).unwrap();
        let commands = plan.commands();
        assert!(commands.contains(
            &"kind load docker-image --name dev todo-backend:0.1.0-1700000000 todo-frontend:0.1.0-1700000000".to_owned()
        ));
        assert!(!commands.iter().any(|c| c.starts_with("minikube")));
        assert!(helm_command(&plan).contains("--kube-context kind-dev"));
        // Ingress is off by default on kind: access is a port-forward.
        assert!(helm_command(&plan).contains("--set ingress.enabled=false"));
        assert!(matches!(
            &plan.steps.last().unwrap().action,
            Action::ShowAccess(Access::PortForward { service, .. }) if service == "todo-frontend"
        ));
    }

    #[test]
    fn ingress_can_be_switched_either_way() {
        let on = deploy(Some(true)).plan(&inputs(kind(), ALL, true)).unwrap();
        assert!(
            on.commands()
                .iter()
                .any(|c| c.contains("ingress-nginx") && c.contains("apply"))
        );
        assert!(helm_command(&on).contains("ingress.enabled=true"));
        let off = deploy(Some(false))
            .plan(&inputs(minikube(), ALL, true))
            .unwrap();
        assert!(
            !off.commands()
                .iter()
                .any(|c| c.contains("addons enable ingress"))
        );
        assert!(helm_command(&off).contains("ingress.enabled=false"));
    }

    fn secret_steps(plan: &Plan) -> Vec<&Action> {
        plan.steps
            .iter()
            .map(|s| &s.action)
            .filter(|a| {
                matches!(
                    a,
                    Action::WriteLocalSecrets { .. }
                        | Action::ApplySecret { .. }
                        | Action::Notice(_)
                )
            })
            .collect()
    }

    fn applied(plan: &Plan) -> (secrets::Values, secrets::Origin) {
        plan.steps
            .iter()
            .find_map(|s| match &s.action {
                Action::ApplySecret { values, origin, .. } => Some((values.clone(), *origin)),
                _ => None,
            })
            .expect("a Secret step")
    }

    #[test]
    fn a_fresh_cluster_gets_new_secrets_saved_locally_then_applied() {
        let plan = deploy(None).plan(&inputs(minikube(), ALL, false)).unwrap();
        let steps = secret_steps(&plan);
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert!(matches!(
            steps[0],
            Action::WriteLocalSecrets { path, values: v } if path == Path::new("/tmp/x/todo.env") && *v == values("generated")
        ));
        assert_eq!(
            applied(&plan),
            (values("generated"), secrets::Origin::Generated)
        );
        assert!(helm_command(&plan).contains("--set secrets.existingSecret=todo-deploy-secrets"));
        // Secrets never travel as Helm values.
        assert!(!helm_command(&plan).contains("generated"));
    }

    #[test]
    fn an_existing_secret_is_reused_from_a_checkout_without_the_local_file() {
        let mut second_checkout = inputs(minikube(), ALL, false);
        second_checkout.secrets = secrets::Facts {
            cluster: Some(values("in-cluster")),
            local: None,
            database_claim: Some("data-todo-postgresql-0".into()),
        };
        let plan = deploy(None).plan(&second_checkout).unwrap();
        assert_eq!(
            applied(&plan),
            (values("in-cluster"), secrets::Origin::Cluster)
        );
        assert!(
            secret_steps(&plan).iter().any(|a| matches!(
                a,
                Action::WriteLocalSecrets { values: v, .. } if *v == values("in-cluster")
            )),
            "the new checkout gets the cluster's values, not generated ones"
        );
        // The same checkout again: nothing is written, the same values applied.
        let rerun = deploy(None).plan(&inputs(minikube(), ALL, true)).unwrap();
        assert_eq!(applied(&rerun), (values("kept"), secrets::Origin::Cluster));
        assert_eq!(secret_steps(&rerun).len(), 1);
    }

    #[test]
    fn a_local_file_alone_is_applied_and_a_lost_one_is_refused_over_a_volume() {
        let mut local_only = inputs(kind(), ALL, false);
        local_only.secrets.local = Some(values("local"));
        let plan = deploy(None).plan(&local_only).unwrap();
        assert_eq!(
            applied(&plan),
            (values("local"), secrets::Origin::LocalFile)
        );
        assert_eq!(secret_steps(&plan).len(), 1, "the file is not rewritten");

        let mut lost = inputs(kind(), ALL, false);
        lost.secrets.database_claim = Some("data-todo-postgresql-0".into());
        let error = deploy(None).plan(&lost).unwrap_err();
        assert!(
            error.contains("a new one would lock the backend out"),
            "{error}"
        );
    }

    #[test]
    fn a_diverged_local_password_is_reported_and_the_cluster_kept() {
        let mut diverged = inputs(minikube(), ALL, true);
        diverged.secrets.local = Some(values("edited-locally"));
        let plan = deploy(None).plan(&diverged).unwrap();
        assert_eq!(applied(&plan).0, values("kept"));
        assert!(secret_steps(&plan).iter().any(
            |a| matches!(a, Action::Notice(text) if text.contains("another postgres-password"))
        ));
    }

    #[test]
    fn every_build_gets_its_own_tag() {
        let a = deploy(None).plan(&inputs(kind(), ALL, true)).unwrap();
        let mut later = inputs(kind(), ALL, true);
        later.image_tag = "0.1.0-1700000100".into();
        let b = deploy(None).plan(&later).unwrap();
        assert!(helm_command(&a).contains("--set-string backend.image.tag=0.1.0-1700000000"));
        assert!(helm_command(&b).contains("--set-string backend.image.tag=0.1.0-1700000100"));
        assert!(helm_command(&b).contains("--set-string frontend.image.tag=0.1.0-1700000100"));
    }

    #[test]
    fn a_missing_helm_is_one_clear_error_with_the_install_hint() {
        let error = deploy(None)
            .plan(&inputs(
                minikube(),
                &[Tool::Docker, Tool::Kubectl, Tool::Minikube],
                false,
            ))
            .unwrap_err();
        assert_eq!(
            error
                .lines()
                .filter(|l| l.contains("is not installed"))
                .count(),
            1
        );
        assert!(error.contains("helm is not installed"));
        assert!(error.contains("https://helm.sh/docs/intro/install/"));
        let kind_missing = deploy(None)
            .plan(&inputs(
                kind(),
                &[Tool::Docker, Tool::Kubectl, Tool::Helm],
                false,
            ))
            .unwrap_err();
        assert!(kind_missing.contains("kind is not installed"));
        // --dry-run still shows the whole plan.
        let mut dry = inputs(kind(), &[], false);
        dry.require_tools = false;
        assert!(
            deploy(None)
                .plan(&dry)
                .unwrap()
                .commands()
                .iter()
                .any(|c| c.starts_with("helm upgrade --install"))
        );
    }

    #[test]
    fn a_gateway_deploy_installs_envoy_gateway_and_routes_through_it() {
        let mut gateway = deploy(None);
        gateway.gateway = true;
        let plan = gateway.plan(&inputs(kind(), ALL, true)).unwrap();
        let commands = plan.commands();
        let install = commands
            .iter()
            .position(|c| {
                c.contains(
                    "upgrade --install eg oci://docker.io/envoyproxy/gateway-helm --version v1.6.0",
                )
            })
            .expect("Envoy Gateway installed");
        let class = commands
            .iter()
            .position(|c| c.ends_with("apply -f infra/k8s/gateway/envoy-gateway-class.yaml"))
            .expect("the GatewayClass applied");
        let upgrade = commands
            .iter()
            .position(|c| c.starts_with("helm upgrade --install todo"))
            .unwrap();
        assert!(install < class && class < upgrade, "{commands:#?}");
        let release = &commands[upgrade];
        for value in [
            "ingress.enabled=false",
            "gateway.enabled=true",
            "gateway.create.enabled=true",
            "gateway.hostnames[0]=todo.local",
        ] {
            assert!(release.contains(value), "{value} not in {release}");
        }
        assert!(plan.steps.iter().any(|s| matches!(
            &s.action,
            Action::ShowAccess(Access::Gateway { proxy_namespace, .. }) if proxy_namespace == "envoy-gateway-system"
        )));
        // On another cluster the implementation is the user's: only checked.
        let context = ClusterKind::Context { name: "eks".into() };
        let mut elsewhere = deploy(None);
        elsewhere.registry = Some("registry.example.com".into());
        elsewhere.gateway = true;
        let commands = elsewhere
            .plan(&inputs(context, ALL, true))
            .unwrap()
            .commands();
        assert!(commands.iter().any(|c| c.ends_with("get gatewayclass eg")));
        assert!(!commands.iter().any(|c| c.contains("gateway-helm")));
    }

    #[test]
    fn a_cnpg_release_checks_for_the_operator_before_the_upgrade() {
        let plain = deploy(None)
            .plan(&inputs(kind(), ALL, true))
            .unwrap()
            .commands();
        assert!(
            !plain
                .iter()
                .any(|c| c.contains("clusters.postgresql.cnpg.io"))
        );
        let mut cnpg = inputs(kind(), ALL, true);
        cnpg.names.database_claim = None;
        cnpg.names.cnpg_cluster = Some("todo-db".into());
        let plan = deploy(None).plan(&cnpg).unwrap();
        let commands = plan.commands();
        let check = commands
            .iter()
            .position(|c| c.ends_with("get crd clusters.postgresql.cnpg.io"))
            .expect("the operator check");
        let upgrade = commands
            .iter()
            .position(|c| c.starts_with("helm upgrade --install"))
            .unwrap();
        assert!(check < upgrade, "{commands:#?}");
    }

    #[test]
    fn a_plain_context_needs_a_registry_and_pushes_there() {
        let context = ClusterKind::Context { name: "eks".into() };
        let error = deploy(None)
            .plan(&inputs(context.clone(), ALL, true))
            .unwrap_err();
        assert!(error.contains("--registry"));
        let mut with_registry = deploy(None);
        with_registry.registry = Some("ghcr.io/acme".into());
        let plan = with_registry.plan(&inputs(context, ALL, true)).unwrap();
        assert!(
            plan.commands()
                .contains(&"docker push ghcr.io/acme/todo-backend:0.1.0-1700000000".to_owned())
        );
        assert!(helm_command(&plan).contains("--set global.imageRegistry=ghcr.io/acme"));
        assert!(!plan.commands().iter().any(|c| c.contains(" load ")));
    }

    #[test]
    fn deploys_keep_the_secret_names_they_always_had() {
        assert_eq!(secret_name("todo"), "todo-deploy-secrets");
        assert_eq!(secret_name("demo"), "demo-todo-deploy-secrets");
    }

    #[test]
    fn the_port_forward_names_the_service_the_chart_rendered() {
        let mut inputs = inputs(minikube(), ALL, false);
        inputs.names.frontend_service = "shop-frontend".into();
        let plan = deploy(Some(false)).plan(&inputs).unwrap();
        let shown = plan.steps.iter().any(|step| {
            matches!(&step.action, Action::ShowAccess(Access::PortForward { service, .. }) if service == "shop-frontend")
        });
        assert!(shown, "{plan:?}");
    }
}
