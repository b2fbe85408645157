//! `todo-infra check-chart`: everything that can be checked about the Helm
//! chart without a cluster, for `cargo xtask chart` (which installs the
//! tools and passes their paths).
//!
//! For the defaults, each `helm/todo/ci/*-values.yaml` and the secrets
//! example: `helm lint --strict`, then `helm template` → the custom objects
//! of the operators whose CRDs `todo-infra` embeds (CloudNativePG's)
//! against those CRDs → typed objects (rejecting unknown fields) → the
//! policy module → the Kubernetes OpenAPI schemas (kubernetes-validate,
//! oldest supported and newest version). Then the images' ports against the
//! chart's, checkov over every rendered case, bad values that
//! `values.schema.json` must reject with a readable message, and the plain
//! manifests in `infra/k8s/`, which must match the chart (or are written,
//! with `--write`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use todo_infra::custom_resources::{self, Crds};
use todo_infra::{image_ports, plain, rendered};

use crate::process::{describe, output};

/// The chart, the release and namespace it is rendered as, relative to
/// the workspace root (the current directory).
const CHART: &str = "helm/todo";
const RELEASE: &str = "todo";
const NAMESPACE: &str = "todo";
const CHART_VALUES: &str = "helm/todo/values.yaml";
const DOCKERFILE: &str = "infra/docker/Dockerfile";
/// The values the plain manifests are rendered from, and where they go.
const PLAIN_VALUES: &str = "helm/todo/ci/plain-values.yaml";
const PLAIN_OUTPUT: &str = "infra/k8s/todo.yaml";
/// Chart.yaml's kubeVersion floor and the newest schema kubernetes-validate has.
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];
/// Kinds kubernetes-validate has no schema for that the typed model checks
/// instead; the kinds of the embedded CRDs are added to these.
const TYPED_ELSEWHERE: &[&str] = &["ServiceMonitor", "PrometheusRule"];
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
        "a task quota of none",
        &["backend.config.quotas.tasksPerUser=0"],
        "at '/backend/config/quotas/tasksPerUser': minimum: got 0, want 1",
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
        &["database.mode=external"],
        "at '/externalDatabase/url': minLength: got 0, want 1",
    ),
    (
        "an external database URL that is not postgres://",
        &[
            "database.mode=external",
            "externalDatabase.url=mysql://db/todo",
        ],
        "at '/externalDatabase/url': 'mysql://db/todo' does not match pattern",
    ),
    (
        "an unknown database mode",
        &["database.mode=sqlite"],
        "at '/database/mode': value must be one of 'bundled', 'external', 'cnpg'",
    ),
    (
        "backups of a database the chart does not run",
        &[
            "database.mode=external",
            "externalDatabase.url=postgres://db/todo",
            "backup.enabled=true",
        ],
        "at '/database/mode': value must be 'bundled'",
    ),
    (
        "backups to S3 without a bucket",
        &[
            "backup.enabled=true",
            "backup.s3.enabled=true",
            "backup.s3.existingSecret=s3",
        ],
        "at '/backup/s3/bucket': minLength: got 0, want 3",
    ),
    (
        "a backup schedule that is not cron",
        &["backup.schedule=nightly"],
        "at '/backup/schedule': 'nightly' does not match pattern",
    ),
    (
        "an HTTPRoute attached to no Gateway",
        &["gateway.enabled=true"],
        "at '/gateway/parentRefs': minItems: got 0, want 1",
    ),
    (
        "a route host name that is not a DNS name",
        &[
            "gateway.enabled=true",
            "gateway.create.enabled=true",
            "gateway.hostnames[0]=Todo_App",
        ],
        "at '/gateway/hostnames/0': 'Todo_App' does not match pattern",
    ),
    (
        "traces without a collector",
        &["otel.enabled=true"],
        "at '/otel/endpoint': minLength: got 0, want 1",
    ),
    (
        "CloudNativePG backups without a destination",
        &[
            "database.mode=cnpg",
            "cnpg.backup.enabled=true",
            "cnpg.backup.existingSecret=s3",
        ],
        "at '/cnpg/backup/destinationPath': minLength: got 0, want 1",
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
    (
        "e-mail reminders without a From address",
        &[
            "reminders.smtp.enabled=true",
            "reminders.smtp.existingSecret=todo-smtp",
        ],
        "at '/reminders/smtp/from': minLength: got 0, want 1",
    ),
    (
        "e-mail reminders without a URL or Secret",
        &[
            "reminders.smtp.enabled=true",
            "reminders.smtp.from=todo@example.com",
        ],
        "at '/reminders/smtp/existingSecret': minLength: got 0, want 1",
    ),
    (
        "an SMTP port out of range",
        &["reminders.smtp.port=70000"],
        "at '/reminders/smtp/port': maximum: got 70,000, want 65,535",
    ),
    (
        "a From address without an address",
        &["reminders.smtp.from=Todo"],
        "at '/reminders/smtp/from': 'Todo' does not match pattern",
    ),
    (
        "an SMTP egress range that is not a CIDR",
        &["reminders.smtp.egressCIDRs[0]=smtp.example.com"],
        "at '/reminders/smtp/egressCIDRs/0': 'smtp.example.com' does not match pattern",
    ),
    (
        "a reminder poll under 5 seconds",
        &["reminders.pollSeconds=1"],
        "at '/reminders/pollSeconds': minimum: got 1, want 5",
    ),
];

/// Bad combinations of values that JSON Schema cannot express (it does
/// not compare two values): the templates `fail`, which stops `helm
/// template` and `helm install`; `helm lint` only reports it.
const FAILED_RENDERS: &[(&str, &[&str], &str)] = &[
    (
        "an assistant turn that outlasts the request timeout",
        &[
            "assistant.provider=openai",
            "assistant.baseURL=https://api.openai.com/v1",
            "assistant.model=gpt-4o-mini",
            "secrets.assistantApiKey=sk-test",
            "assistant.timeoutSeconds=30",
        ],
        "assistant.timeoutSeconds (30) must be shorter than backend.config.requestTimeoutSeconds (30)",
    ),
    (
        "a conversation quota no chat turn fits in",
        &[
            "assistant.maxToolCallsPerTurn=30",
            "backend.config.quotas.messagesPerConversation=31",
        ],
        "backend.config.quotas.messagesPerConversation (31) must be at least assistant.maxToolCallsPerTurn + 2 (32)",
    ),
    (
        "an SMTP port that is not the URL's",
        &[
            "reminders.smtp.enabled=true",
            "reminders.smtp.from=todo@example.com",
            "reminders.smtp.url=smtps://todo:ci-only@smtp.example.com",
        ],
        "reminders.smtp.port (587) is not the port reminders.smtp.url connects to",
    ),
    (
        "an SMTP URL that is not smtp:// (not shown)",
        &[
            "reminders.smtp.enabled=true",
            "reminders.smtp.from=todo@example.com",
            "reminders.smtp.url=https://todo:ci-only@smtp.example.com",
        ],
        "reminders.smtp.url must be smtp://",
    ),
];

/// Upgrades (`helm template --is-upgrade`, as `helm upgrade` renders)
/// whose `lookup` finds no Secret and that were given no value: the chart
/// stops instead of generating a signing key or database password that
/// would not match the release's. Given the values, or `existingSecret`,
/// the same upgrade renders (checked beside these).
const FAILED_UPGRADES: &[(&str, &[&str], &str)] = &[
    (
        "an upgrade that cannot read back the signing key",
        &[],
        "the release's Secret \"todo\" (key \"jwt-secret\") was not found",
    ),
    (
        "an upgrade that cannot read back the database password",
        &["secrets.jwtSecret=0123456789abcdef0123456789abcdef"],
        "(key \"postgres-password\") was not found",
    ),
];

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

/// The tools the checks run, as xtask located or installed them.
#[derive(Debug)]
pub struct Tools {
    pub helm: PathBuf,
    pub kubernetes_validate: PathBuf,
    /// None: checkov skipped (`--no-checkov` while iterating).
    pub checkov: Option<PathBuf>,
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
    custom_objects: usize,
    cel_rules_skipped: usize,
}

/// What a case's check prints when it passes.
struct Passed {
    summary: String,
    /// What the CRD check found, when the case renders custom objects.
    custom: Option<String>,
}

/// Runs every check, reporting each as it goes; fails naming those that
/// failed.
pub fn check(tools: &Tools, write: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let rendered_dir = tempfile::Builder::new().prefix("todo-chart-").tempdir()?;
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    let crds = Crds::chart().context("the CRDs embedded in todo-infra")?;
    let origins: Vec<String> = crds.origins().iter().map(ToString::to_string).collect();
    eprintln!(
        "chart: custom objects are validated against the CRDs of {}",
        origins.join(", ")
    );
    match image_ports::check(&read(DOCKERFILE)?, &read(CHART_VALUES)?) {
        Ok(line) => eprintln!("chart: {line}"),
        Err(e) => {
            eprintln!("chart: FAIL {e}");
            failures.push("image ports".to_owned());
        }
    }
    for case in cases()? {
        match check_case(tools, &crds, &case, rendered_dir.path(), &mut totals) {
            Ok(passed) => {
                eprintln!("  ok   {:<22} {}", case.name, passed.summary);
                if let Some(custom) = passed.custom {
                    eprintln!("       {:<22} {custom}", "");
                }
            }
            Err(e) => {
                eprintln!("  FAIL {:<22} {e:#}", case.name);
                failures.push(case.name);
            }
        }
    }

    eprintln!("chart: values.schema.json must reject bad values");
    let mut rejected = 0;
    type Check = fn(&Path, &[&str], &str) -> anyhow::Result<()>;
    let by_schema = REJECTED
        .iter()
        .map(|c| ("schema", "", check_rejected as Check, c));
    let at_render = FAILED_RENDERS
        .iter()
        .map(|c| ("render", " (at render)", check_failed_render as Check, c));
    let on_upgrade = FAILED_UPGRADES
        .iter()
        .map(|c| ("upgrade", " (on upgrade)", check_failed_upgrade as Check, c));
    for (kind, when, check, (what, sets, expected)) in by_schema.chain(at_render).chain(on_upgrade)
    {
        match check(&tools.helm, sets, expected) {
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

    match &tools.checkov {
        Some(checkov) => match run_checkov(checkov, rendered_dir.path()) {
            Ok(summary) => eprintln!("chart: checkov: {summary}"),
            Err(e) => {
                eprintln!("chart: FAIL checkov: {e:#}");
                failures.push("checkov".to_owned());
            }
        },
        None => eprintln!("chart: checkov SKIPPED (--no-checkov)"),
    }

    match sync_plain(&tools.helm, write) {
        Ok(message) => eprintln!("chart: {message}"),
        Err(e) => {
            eprintln!("chart: FAIL {e:#}");
            failures.push(PLAIN_OUTPUT.to_owned());
        }
    }

    eprintln!(
        "\nchart: {} objects typed, {} policy checks, {} schema validations (Kubernetes {}), {} custom objects valid against their CRDs ({} CEL rules not evaluated), {rejected}/{} bad values rejected, in {:.1?}",
        totals.objects,
        totals.checks,
        totals.validations,
        KUBERNETES_VERSIONS.join(" and "),
        totals.custom_objects,
        totals.cel_rules_skipped,
        REJECTED.len() + FAILED_RENDERS.len() + FAILED_UPGRADES.len(),
        started.elapsed()
    );
    if !failures.is_empty() {
        bail!("chart checks failed: {}", failures.join(", "));
    }
    Ok(())
}

fn read(path: &str) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {path}"))
}

/// A `helm` command: `args` then the chart.
fn helm(binary: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command.args(args);
    command
}

/// `helm template <release> <chart> --namespace <namespace>`.
fn template(binary: &Path) -> Command {
    helm(
        binary,
        &["template", RELEASE, CHART, "--namespace", NAMESPACE],
    )
}

/// `helm lint --strict --quiet <chart>`.
fn lint(binary: &Path) -> Command {
    helm(binary, &["lint", "--strict", "--quiet", CHART])
}

fn cases() -> anyhow::Result<Vec<Case>> {
    let mut cases = vec![Case {
        name: "defaults".to_owned(),
        values: None,
        api_versions: Vec::new(),
    }];
    let dir = Path::new(CHART).join("ci");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.to_string_lossy().ends_with("-values.yaml"));
    files.sort();
    ensure!(!files.is_empty(), "no values files in {}", dir.display());
    // The example users copy must stay valid too.
    files.push(Path::new(CHART).join("secrets.example.yaml"));
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
    tools: &Tools,
    crds: &Crds,
    case: &Case,
    rendered_dir: &Path,
    totals: &mut Totals,
) -> anyhow::Result<Passed> {
    let mut lint = lint(&tools.helm);
    let mut template = template(&tools.helm);
    for api in &case.api_versions {
        template.args(["--api-versions", api]);
    }
    if let Some(values) = &case.values {
        lint.arg("--values").arg(values);
        template.arg("--values").arg(values);
    }
    output(&mut lint).context("helm lint --strict")?;
    let text = output(&mut template)?;
    let custom = check_custom_objects(crds, case, &text)?;
    let case_values = case.values.as_deref().map(fs::read_to_string).transpose()?;
    let report = rendered::check(
        &text,
        case_values.as_deref(),
        &read(CHART_VALUES)?,
        NAMESPACE,
    )
    .map_err(anyhow::Error::msg)?;
    if let Some(violations) = report.violations {
        bail!("policy: {violations}");
    }

    let file = rendered_dir.join(format!("{}.yaml", case.name.replace('/', "-")));
    fs::write(&file, &text)?;
    let mut no_schema: Vec<&str> = TYPED_ELSEWHERE.to_vec();
    no_schema.extend(crds.kinds().map(|gvk| gvk.kind.as_str()));
    for version in KUBERNETES_VERSIONS {
        validate(&tools.kubernetes_validate, &file, version, &no_schema)?;
    }

    totals.objects += report.objects;
    totals.checks += report.checks;
    totals.validations += report.objects * KUBERNETES_VERSIONS.len();
    totals.custom_objects += custom.validated;
    totals.cel_rules_skipped += custom.cel_rules_skipped;
    Ok(Passed {
        summary: format!(
            "{} objects ({}), {} policy checks, schema-valid for {}",
            report.objects,
            report.kinds.join(", "),
            report.checks,
            KUBERNETES_VERSIONS.join(" and ")
        ),
        custom: (custom.validated > 0).then(|| {
            format!(
                "{} custom objects valid against their CRDs, {} CEL rules skipped (not evaluated)",
                custom.validated, custom.cel_rules_skipped
            )
        }),
    })
}

/// Every rendered object of a group the embedded CRDs define, against its
/// CRD; a failure names the values file the case was rendered with.
fn check_custom_objects(
    crds: &Crds,
    case: &Case,
    rendered: &str,
) -> anyhow::Result<custom_resources::StreamReport> {
    let values = match &case.values {
        Some(file) => file.display().to_string(),
        None => format!("{CHART_VALUES} (the defaults)"),
    };
    let report = crds
        .validate_stream(rendered)
        .map_err(|e| anyhow::anyhow!("{values}: the rendered manifests: {e}"))?;
    if !report.invalid.is_empty() {
        let invalid: Vec<String> = report
            .invalid
            .iter()
            .map(|v| v.to_string().replace('\n', "\n    "))
            .collect();
        bail!(
            "{values}: {} of {} custom objects do not match their CRDs:\n    {}",
            report.invalid.len(),
            report.validated,
            invalid.join("\n    ")
        );
    }
    Ok(report)
}

/// Runs kubernetes-validate in strict mode (unknown properties are errors).
/// Its only tolerated remark is that it has no schema for a kind in
/// `no_schema`: the Prometheus Operator's, which the typed model checks,
/// and those of the embedded CRDs, checked against them.
fn validate(
    validator: &Path,
    file: &Path,
    version: &str,
    no_schema: &[&str],
) -> anyhow::Result<()> {
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
            !no_schema
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
fn check_rejected(helm: &Path, sets: &[&str], expected: &str) -> anyhow::Result<()> {
    for command in [template(helm), lint(helm)] {
        expect_failure(command, sets, expected)?;
    }
    Ok(())
}

/// `helm template` must fail with `expected`; `helm lint` must say it.
fn check_failed_render(helm: &Path, sets: &[&str], expected: &str) -> anyhow::Result<()> {
    expect_failure(template(helm), sets, expected)?;
    let mut lint = lint(helm);
    lint.args(sets.iter().flat_map(|set| ["--set", set]));
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

/// `helm template --is-upgrade` with `sets` fails saying `expected`; with
/// `secrets.existingSecret`, or with both generated values given, the same
/// upgrade renders.
fn check_failed_upgrade(helm: &Path, sets: &[&str], expected: &str) -> anyhow::Result<()> {
    let upgrade = || {
        let mut command = template(helm);
        command.arg("--is-upgrade");
        command
    };
    expect_failure(upgrade(), sets, expected)?;
    for given in [
        &["secrets.existingSecret=todo-secrets"][..],
        &[
            "secrets.jwtSecret=0123456789abcdef0123456789abcdef",
            "postgresql.auth.password=the-current-one",
        ],
    ] {
        let mut command = upgrade();
        command.args(given.iter().flat_map(|set| ["--set", *set]));
        let out = command.output().context("could not start helm template")?;
        ensure!(
            out.status.success(),
            "`{}` fails:\n{}",
            describe(&command),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Runs the helm `command` with `sets`; it must fail saying `expected`.
fn expect_failure(mut command: Command, sets: &[&str], expected: &str) -> anyhow::Result<()> {
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
fn sync_plain(helm: &Path, write: bool) -> anyhow::Result<String> {
    let rendered = output(template(helm).args(["--values", PLAIN_VALUES]))?;
    let header = format!(
        "Plain manifests for `kubectl apply` (no Helm), release {RELEASE:?} in namespace {NAMESPACE:?}.\n\
         Generated by `cargo xtask chart --write` from {CHART} with {PLAIN_VALUES}; do not edit.\n\
         Create the namespace and the Secret first: see infra/k8s/README.md."
    );
    plain::sync(&rendered, &header, Path::new(PLAIN_OUTPUT), write).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skipped_checkov_check_has_its_reason_in_the_chart_readme() {
        let readme = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../helm/todo/README.md"),
        )
        .unwrap();
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
}
