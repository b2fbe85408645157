//! `cargo xtask chart`: everything that can be checked about the Helm chart
//! without a cluster.
//!
//! For the defaults and each `helm/todo/ci/*-values.yaml`: `helm lint
//! --strict`, then `helm template` → typed objects (todo-infra, which
//! rejects unknown fields) → the policy module → the Kubernetes OpenAPI
//! schemas (kubernetes-validate, oldest supported and newest version).
//! Then bad values that `values.schema.json` must reject with a readable
//! message, and the plain manifests in `infra/k8s/` must match the chart.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Args;
use serde_json::Value;
use todo_infra::{ContainerPorts, Expectations, Manifest, PolicyOptions};

use crate::support::process::{describe, output, project_root};
use crate::support::tools;

use crate::support::helm::{CHART, Helm};

const RELEASE: &str = "todo";
const NAMESPACE: &str = "todo";
/// The values the plain manifests are rendered from, and where they go.
const PLAIN_VALUES: &str = "helm/todo/ci/plain-values.yaml";
const PLAIN_OUTPUT: &str = "infra/k8s/todo.yaml";
/// Chart.yaml's kubeVersion floor and the newest schema kubernetes-validate has.
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];
/// The Prometheus Operator API: the ci values files are rendered as on a
/// cluster that serves it (so the ServiceMonitor is checked too), the bare
/// defaults as on one that does not.
const MONITORING_API: &str = "monitoring.coreos.com/v1";

/// Bad values and the message `values.schema.json` must answer with.
const REJECTED: &[(&str, &[&str], &str)] = &[
    (
        "a negative replica count",
        &["backend.replicaCount=-1"],
        "at '/backend/replicaCount': minimum: got -1, want 0",
    ),
    (
        "an unknown top-level key",
        &["replicas=2"],
        "additional properties 'replicas' not allowed",
    ),
    (
        "an Ingress without a host",
        &["ingress.enabled=true", "ingress.host="],
        "at '/ingress/host': minLength: got 0, want 1",
    ),
    (
        "an external database without a URL or Secret",
        &["externalDatabase.enabled=true"],
        "at '/externalDatabase/url': minLength: got 0, want 1",
    ),
    (
        "an external database URL that is not postgres://",
        &[
            "externalDatabase.enabled=true",
            "externalDatabase.url=mysql://db/todo",
        ],
        "at '/externalDatabase/url': 'mysql://db/todo' does not match pattern",
    ),
    (
        "the image tag latest",
        &["frontend.image.tag=latest"],
        "at '/frontend/image/tag': value must be 'a pinned version such as 0.1.0 (latest is not allowed)'",
    ),
    (
        "a JWT secret shorter than 32 bytes",
        &["secrets.jwtSecret=too-short"],
        "at '/secrets/jwtSecret': minLength: got 9, want 32",
    ),
    (
        "a container without limits",
        &["backend.resources.limits=null"],
        "at '/backend/resources': missing property 'limits'",
    ),
    (
        "a malformed image digest",
        &["backend.image.digest=sha256:abc"],
        "at '/backend/image/digest': 'sha256:abc' does not match pattern",
    ),
    (
        "an unknown pull policy",
        &["backend.image.pullPolicy=Sometimes"],
        "at '/backend/image/pullPolicy': value must be one of",
    ),
    (
        "an unknown assistant provider",
        &["assistant.provider=gpt"],
        "at '/assistant/provider': value must be one of 'offline', 'openai'",
    ),
    (
        "the openai provider without a base URL",
        &[
            "assistant.provider=openai",
            "assistant.model=gpt-4o-mini",
            "secrets.assistantApiKey=sk-test",
        ],
        "at '/assistant/baseURL': minLength: got 0, want 1",
    ),
    (
        "the openai provider without a key reference",
        &[
            "assistant.provider=openai",
            "assistant.baseURL=https://api.openai.com/v1",
            "assistant.model=gpt-4o-mini",
        ],
        "at '/secrets/assistantApiKey': minLength: got 0, want 1",
    ),
    (
        "an assistant base URL that is not http(s)",
        &["assistant.baseURL=api.openai.com"],
        "at '/assistant/baseURL': 'api.openai.com' does not match pattern",
    ),
    (
        "an MCP allowed host with a path",
        &["assistant.mcp.allowedHosts[0]=todo.example.com/mcp"],
        "at '/assistant/mcp/allowedHosts/0': 'todo.example.com/mcp' does not match pattern",
    ),
];

/// Bad combinations of values that JSON Schema cannot express (it does
/// not compare two values): the templates `fail`, which stops `helm
/// template` and `helm install`; `helm lint` only reports it.
const FAILED_RENDERS: &[(&str, &[&str], &str)] = &[(
    "an assistant turn that outlasts the request timeout",
    &[
        "assistant.provider=openai",
        "assistant.baseURL=https://api.openai.com/v1",
        "assistant.model=gpt-4o-mini",
        "secrets.assistantApiKey=sk-test",
        "assistant.timeoutSeconds=30",
    ],
    "assistant.timeoutSeconds (30) must be shorter than backend.config.requestTimeoutSeconds (30)",
)];

/// Checkov rules that contradict a deliberate choice, and why. Everything
/// else checkov checks must pass on every rendered case. The chart's README
/// gives the same reasons (a test keeps the two in step).
const CHECKOV_SKIPS: &[(&str, &str)] = &[
    (
        "CKV_K8S_15",
        "pull policy Always: the chart wants IfNotPresent (images are loaded into minikube/kind, no registry)",
    ),
    (
        "CKV_K8S_43",
        "image digests: tags are pinned to the appVersion; image.digest pins by digest where one is known",
    ),
    (
        "CKV_K8S_35",
        "secrets as files: the backend takes configuration only from the environment (docs/configuration.md)",
    ),
    (
        "CKV_K8S_40",
        "high UID: the app runs as 65532; PostgreSQL must run as its image's postgres user (999)",
    ),
    (
        "CKV_K8S_8",
        "liveness probe: only the run-to-completion Helm test Pods lack one (the policy module requires probes on workloads)",
    ),
    ("CKV_K8S_9", "readiness probe: as CKV_K8S_8"),
];

/// Lint, render, type-check, policy-check and schema-validate the chart.
#[derive(Debug, Default, Args)]
pub struct Chart {
    /// Regenerate infra/k8s/todo.yaml from the chart instead of failing
    /// when it is out of date.
    #[arg(long)]
    pub write: bool,
    /// Skip checkov's Kubernetes checks (quicker while iterating; CI always
    /// runs them, installing checkov into .local/checkov-venv on first use).
    #[arg(long)]
    pub no_checkov: bool,
    /// Then run the rendered release on Docker (no cluster needed) and its
    /// Helm tests, with the images `cargo xtask images` built.
    #[arg(long)]
    pub on_docker: bool,
    /// Image tag for --on-docker (default: the current tree's, as `cargo
    /// xtask images` tags it).
    #[arg(long, requires = "on_docker")]
    pub image_tag: Option<String>,
    /// PostgreSQL image for --on-docker (default: the chart's
    /// postgres:15-bookworm if present or pullable, else todo-postgres:15).
    #[arg(long, requires = "on_docker")]
    pub postgres_image: Option<String>,
    /// With --on-docker: skip the runs on deliberately broken copies of the
    /// release (quicker while iterating; CI always runs them).
    #[arg(long, requires = "on_docker")]
    pub no_mutations: bool,
}

struct Case {
    name: String,
    values: Option<PathBuf>,
    api_versions: Vec<&'static str>,
}

#[derive(Default)]
struct Totals {
    objects: usize,
    checks: usize,
    validations: usize,
}

impl Chart {
    pub fn run(self) -> anyhow::Result<()> {
        let started = Instant::now();
        let helm = Helm::local(RELEASE, NAMESPACE)?;
        let validator = tools::KUBERNETES_VALIDATE.ensure()?;
        let root = project_root();
        eprintln!(
            "chart: {}",
            output(helm.command().args(["version", "--short"]))?.trim()
        );

        let checkov = if self.no_checkov {
            eprintln!("chart: checkov SKIPPED (--no-checkov)");
            None
        } else {
            Some(tools::CHECKOV.ensure()?)
        };
        let rendered_dir = tempfile::Builder::new().prefix("todo-chart-").tempdir()?;
        let mut totals = Totals::default();
        let mut failures = Vec::new();
        match check_versions(&root) {
            Ok(version) => eprintln!(
                "chart: Chart.yaml version and appVersion are the workspace version {version}"
            ),
            Err(e) => {
                eprintln!("chart: FAIL {e:#}");
                failures.push("Chart.yaml version".to_owned());
            }
        }
        match check_image_ports(&root) {
            Ok(line) => eprintln!("chart: {line}"),
            Err(e) => {
                eprintln!("chart: FAIL {e:#}");
                failures.push("image ports".to_owned());
            }
        }
        for case in cases(&root)? {
            match check_case(&helm, &validator, &case, rendered_dir.path(), &mut totals) {
                Ok(line) => eprintln!("  ok   {:<22} {line}", case.name),
                Err(e) => {
                    eprintln!("  FAIL {:<22} {e:#}", case.name);
                    failures.push(case.name);
                }
            }
        }

        eprintln!("chart: values.schema.json must reject bad values");
        let mut rejected = 0;
        type Check = fn(&Helm, &[&str], &str) -> anyhow::Result<()>;
        let by_schema = REJECTED
            .iter()
            .map(|c| ("schema", "", check_rejected as Check, c));
        let at_render = FAILED_RENDERS
            .iter()
            .map(|c| ("render", " (at render)", check_failed_render as Check, c));
        for (kind, when, check, (what, sets, expected)) in by_schema.chain(at_render) {
            match check(&helm, sets, expected) {
                Ok(()) => {
                    rejected += 1;
                    eprintln!("  ok   rejects {what}{when}: {expected}");
                }
                Err(e) => {
                    eprintln!("  FAIL rejects {what}{when}: {e:#}");
                    failures.push(format!("{kind}: {what}"));
                }
            }
        }

        if let Some(checkov) = &checkov {
            match run_checkov(checkov, rendered_dir.path()) {
                Ok(summary) => eprintln!("chart: checkov: {summary}"),
                Err(e) => {
                    eprintln!("chart: FAIL checkov: {e:#}");
                    failures.push("checkov".to_owned());
                }
            }
        }

        match sync_plain(&helm, &root, self.write) {
            Ok(message) => eprintln!("chart: {message}"),
            Err(e) => {
                eprintln!("chart: FAIL {e:#}");
                failures.push(PLAIN_OUTPUT.to_owned());
            }
        }

        eprintln!(
            "\nchart: {} objects typed, {} policy checks, {} schema validations (Kubernetes {}), {rejected}/{} bad values rejected, in {:.1?}",
            totals.objects,
            totals.checks,
            totals.validations,
            KUBERNETES_VERSIONS.join(" and "),
            REJECTED.len() + FAILED_RENDERS.len(),
            started.elapsed()
        );
        if !failures.is_empty() {
            bail!("chart checks failed: {}", failures.join(", "));
        }
        if self.on_docker {
            let _daemon = crate::support::docker::Daemon::ensure()?;
            let tag = match self.image_tag {
                Some(tag) => tag,
                None => crate::containers::images::version()?,
            };
            crate::offline::kubelet::run(&tag, self.postgres_image.as_deref(), !self.no_mutations)?;
        }
        Ok(())
    }
}

/// The chart and the images it deploys move with the workspace version:
/// image tags default to appVersion.
fn check_versions(root: &Path) -> anyhow::Result<String> {
    let workspace = crate::support::workspace::version()?;
    let chart_file = root.join(CHART).join("Chart.yaml");
    let chart: Value = serde_saphyr::from_str(&fs::read_to_string(&chart_file)?)
        .with_context(|| format!("{} is not valid YAML", chart_file.display()))?;
    for key in ["version", "appVersion"] {
        let value = chart.get(key).and_then(Value::as_str).unwrap_or_default();
        ensure!(
            value == workspace,
            "{CHART}/Chart.yaml {key} is {value:?} but the workspace version is {workspace:?}; update Chart.yaml"
        );
    }
    Ok(workspace)
}

/// The images' defaults (`ENV PORT`, `EXPOSE`, the HEALTHCHECK URL in each
/// Dockerfile stage) equal the chart's `containerPort` values, so the
/// image run alone and the chart agree on where it listens.
fn check_image_ports(root: &Path) -> anyhow::Result<String> {
    let values = fs::read_to_string(root.join(CHART).join("values.yaml"))?;
    let ports = ContainerPorts::from_values(&values).map_err(anyhow::Error::msg)?;
    let dockerfile = fs::read_to_string(root.join("infra/docker/Dockerfile"))?;
    for (stage, port) in [("backend", ports.backend), ("frontend", ports.frontend)] {
        let found = stage_ports(&dockerfile, stage);
        ensure!(
            found.len() == 3 && found.iter().all(|p| *p == port),
            "infra/docker/Dockerfile stage {stage}: ENV PORT, EXPOSE and HEALTHCHECK say {found:?}, \
             but {CHART}/values.yaml has {stage}.containerPort {port}; make them agree"
        );
    }
    Ok(format!(
        "image defaults listen where the chart expects (backend {}, frontend {})",
        ports.backend, ports.frontend
    ))
}

/// The ports a Dockerfile stage names: `ENV PORT=`, `EXPOSE`, and the
/// `127.0.0.1:<port>` of its HEALTHCHECK, in that order of appearance.
fn stage_ports(dockerfile: &str, stage: &str) -> Vec<i32> {
    let header = format!(" AS {stage}");
    let Some(start) = dockerfile
        .lines()
        .position(|l| l.starts_with("FROM ") && l.ends_with(&header))
    else {
        return Vec::new();
    };
    let number = |text: &str| -> Option<i32> {
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    dockerfile
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("FROM "))
        .filter_map(|line| {
            let line = line.trim();
            if let Some(rest) = line.split("PORT=").nth(1) {
                number(rest)
            } else if let Some(rest) = line.strip_prefix("EXPOSE ") {
                number(rest)
            } else {
                line.split("127.0.0.1:").nth(1).and_then(number)
            }
        })
        .collect()
}

fn cases(root: &Path) -> anyhow::Result<Vec<Case>> {
    let mut cases = vec![Case {
        name: "defaults".to_owned(),
        values: None,
        api_versions: Vec::new(),
    }];
    let dir = root.join(CHART).join("ci");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.to_string_lossy().ends_with("-values.yaml"));
    files.sort();
    ensure!(!files.is_empty(), "no values files in {}", dir.display());
    // The example users copy must stay valid too.
    files.push(root.join(CHART).join("secrets.example.yaml"));
    for file in files {
        let name = file
            .file_name()
            .expect("a listed file has a name")
            .to_string_lossy()
            .trim_end_matches("-values.yaml")
            .trim_end_matches(".yaml")
            .to_owned();
        let in_ci = file.parent() == Some(dir.as_path());
        cases.push(Case {
            name: if in_ci { format!("ci/{name}") } else { name },
            values: Some(file),
            api_versions: vec![MONITORING_API],
        });
    }
    Ok(cases)
}

fn check_case(
    helm: &Helm,
    validator: &Path,
    case: &Case,
    rendered_dir: &Path,
    totals: &mut Totals,
) -> anyhow::Result<String> {
    let mut lint = helm.command();
    lint.args(helm.lint_args());
    let mut template = helm.command();
    template.args(helm.template_args());
    for api in &case.api_versions {
        template.args(["--api-versions", api]);
    }
    if let Some(values) = &case.values {
        lint.arg("--values").arg(values);
        template.arg("--values").arg(values);
    }
    output(&mut lint).context("helm lint --strict")?;
    let rendered = output(&mut template)?;

    let documents = todo_infra::parse_stream(&rendered)?;
    let objects: Vec<Manifest> = documents.into_iter().map(|d| d.manifest).collect();
    let options = PolicyOptions {
        namespace: Some(NAMESPACE.to_owned()),
        external_secrets: existing_secrets(case.values.as_deref())?,
        expectations: Expectations::todo_on(
            ContainerPorts::from_values(&fs::read_to_string(
                project_root().join(CHART).join("values.yaml"),
            )?)
            .map_err(anyhow::Error::msg)?,
        ),
    };
    let report = todo_infra::policy::check(&objects, &options);
    if !report.passed() {
        bail!("policy: {report}");
    }

    let file = rendered_dir.join(format!("{}.yaml", case.name.replace('/', "-")));
    fs::write(&file, &rendered)?;
    for version in KUBERNETES_VERSIONS {
        validate(validator, &file, version)?;
    }

    totals.objects += objects.len();
    totals.checks += report.total_checks();
    totals.validations += objects.len() * KUBERNETES_VERSIONS.len();
    let kinds: BTreeSet<&str> = objects.iter().map(Manifest::kind).collect();
    Ok(format!(
        "{} objects ({}), {} policy checks, schema-valid for {}",
        objects.len(),
        kinds.into_iter().collect::<Vec<_>>().join(", "),
        report.total_checks(),
        KUBERNETES_VERSIONS.join(" and ")
    ))
}

/// Secrets a values file says exist outside the release.
fn existing_secrets(values: Option<&Path>) -> anyhow::Result<BTreeSet<String>> {
    let Some(path) = values else {
        return Ok(BTreeSet::new());
    };
    let text = fs::read_to_string(path)?;
    let values: Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    Ok([
        "/secrets/existingSecret",
        "/externalDatabase/existingSecret",
    ]
    .into_iter()
    .filter_map(|pointer| values.pointer(pointer).and_then(Value::as_str))
    .filter(|name| !name.is_empty())
    .map(str::to_owned)
    .collect())
}

/// Runs kubernetes-validate in strict mode (unknown properties are errors).
/// Its only tolerated remark is that it has no schema for the Prometheus
/// Operator's CRDs (ServiceMonitor, PrometheusRule), which the typed model
/// checks instead.
fn validate(validator: &Path, file: &Path, version: &str) -> anyhow::Result<()> {
    let mut command = Command::new(validator);
    command
        .args(["--strict", "--quiet", "--kubernetes-version", version])
        .arg(file);
    let text = describe(&command);
    let out = command
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let remarks: Vec<&str> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|line| !line.trim().is_empty())
        .filter(|line| {
            !["ServiceMonitor", "PrometheusRule"]
                .iter()
                .any(|kind| line.contains(&format!("Couldn't find schema for kind {kind}")))
        })
        .collect();
    if !out.status.success() || !remarks.is_empty() {
        bail!("Kubernetes {version} schema: {}", remarks.join("\n    "));
    }
    Ok(())
}

/// checkov's Kubernetes framework over every rendered case, offline.
fn run_checkov(checkov: &Path, dir: &Path) -> anyhow::Result<String> {
    let skips: Vec<&str> = CHECKOV_SKIPS.iter().map(|(id, _)| *id).collect();
    let mut command = Command::new(checkov);
    command
        .args([
            "--skip-download",
            "--quiet",
            "--compact",
            "--framework",
            "kubernetes",
        ])
        .args(["--skip-check", &skips.join(",")])
        .arg("--directory")
        .arg(dir);
    let text = describe(&command);
    let out = command
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("`{text}` found problems:\n{}", stdout.trim());
    }
    let summary = stdout
        .lines()
        .find(|line| line.contains("Passed checks"))
        .unwrap_or("no failed checks")
        .trim()
        .to_owned();
    Ok(format!(
        "{summary} ({} rules skipped on purpose: {})",
        skips.len(),
        skips.join(", ")
    ))
}

/// `helm template` and `helm lint` with bad values must both fail with `expected`.
fn check_rejected(helm: &Helm, sets: &[&str], expected: &str) -> anyhow::Result<()> {
    for args in [helm.template_args(), helm.lint_args()] {
        expect_failure(helm, args, sets, expected)?;
    }
    Ok(())
}

/// `helm template` must fail with `expected`; `helm lint` must say it.
fn check_failed_render(helm: &Helm, sets: &[&str], expected: &str) -> anyhow::Result<()> {
    expect_failure(helm, helm.template_args(), sets, expected)?;
    let mut lint = helm.command();
    lint.args(helm.lint_args())
        .args(sets.iter().flat_map(|set| ["--set", set]));
    let out = lint.output().context("could not start helm lint")?;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(
        all.contains(expected),
        "`{}` does not report {expected:?}:\n{}",
        describe(&lint),
        all.trim()
    );
    Ok(())
}

/// Runs helm with `args` and `sets`; it must fail saying `expected`.
fn expect_failure(
    helm: &Helm,
    args: Vec<String>,
    sets: &[&str],
    expected: &str,
) -> anyhow::Result<()> {
    let mut command = helm.command();
    command.args(args);
    for set in sets {
        command.args(["--set", set]);
    }
    let text = describe(&command);
    let out = command
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        bail!("`{text}` succeeded; the chart should reject these values");
    }
    if !all.contains(expected) {
        bail!(
            "`{text}` failed without saying {expected:?}:\n{}",
            all.trim()
        );
    }
    Ok(())
}

/// Renders the plain manifests and compares them with `infra/k8s/todo.yaml`
/// (or writes them with `--write`).
fn sync_plain(helm: &Helm, root: &Path, write: bool) -> anyhow::Result<String> {
    let rendered = output(
        helm.command()
            .args(helm.template_args())
            .args(["--values", PLAIN_VALUES]),
    )?;
    let objects: Vec<Manifest> = todo_infra::parse_stream(&rendered)?
        .into_iter()
        .map(|d| d.manifest)
        .collect();
    let header = format!(
        "Plain manifests for `kubectl apply` (no Helm), release {RELEASE:?} in namespace {NAMESPACE:?}.\n\
         Generated by `cargo xtask chart --write` from {CHART} with {PLAIN_VALUES}; do not edit.\n\
         Create the namespace and the Secret first: see infra/k8s/README.md."
    );
    let text = todo_infra::plain::render(&objects, &header)?;
    let path = root.join(PLAIN_OUTPUT);
    if write {
        fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(format!(
            "wrote {PLAIN_OUTPUT} ({} objects)",
            text.matches("\n---\n").count()
        ));
    }
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current != text {
        let line = current
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(text.lines().count()))
            + 1;
        bail!(
            "{PLAIN_OUTPUT} is out of date with the chart (first difference at line {line}); run `cargo xtask chart --write` and commit it"
        );
    }
    Ok(format!("{PLAIN_OUTPUT} matches the chart"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_database_image_is_the_one_whose_contract_is_checked() {
        use crate::offline::base_images::{DEFAULT_POSTGRES, POSTGRES_CONTRACT};
        let values: Value = serde_saphyr::from_str(
            &fs::read_to_string(project_root().join(CHART).join("values.yaml")).unwrap(),
        )
        .unwrap();
        let pg = &values["postgresql"];
        assert_eq!(
            format!(
                "{}:{}",
                pg["image"]["repository"].as_str().unwrap(),
                pg["image"]["tag"].as_str().unwrap()
            ),
            DEFAULT_POSTGRES
        );
        assert_eq!(pg["runAsUser"].as_u64(), Some(POSTGRES_CONTRACT.uid.into()));
        let tag = DEFAULT_POSTGRES.split(':').nth(1).unwrap();
        assert_eq!(tag.split('-').next(), Some(POSTGRES_CONTRACT.major));
    }

    #[test]
    fn every_skipped_checkov_check_has_its_reason_in_the_chart_readme() {
        let readme = fs::read_to_string(project_root().join(CHART).join("README.md")).unwrap();
        let table: Vec<&str> = readme
            .lines()
            .filter(|line| line.starts_with("| `CKV"))
            .collect();
        for (id, _) in CHECKOV_SKIPS {
            assert!(
                table.iter().any(|row| row.contains(&format!("`{id}`"))),
                "helm/todo/README.md gives no reason for skipping {id}"
            );
        }
        for row in &table {
            let id = row.split('`').nth(1).unwrap();
            assert!(
                CHECKOV_SKIPS.iter().any(|(skipped, _)| *skipped == id),
                "helm/todo/README.md explains {id}, which is not skipped"
            );
        }
    }

    #[test]
    fn a_dockerfile_stage_names_its_ports() {
        let dockerfile = "FROM x AS build\nEXPOSE 1\nFROM y AS backend\nENV PORT=8080 \\\n    LOG_FORMAT=json\nEXPOSE 8080\nHEALTHCHECK \\\n    CMD [\"b\", \"--url\", \"http://127.0.0.1:8080/health\"]\nFROM z AS frontend\nEXPOSE 3000\n";
        assert_eq!(stage_ports(dockerfile, "backend"), [8080, 8080, 8080]);
        assert_eq!(stage_ports(dockerfile, "frontend"), [3000]);
        assert!(stage_ports(dockerfile, "missing").is_empty());
    }
}
