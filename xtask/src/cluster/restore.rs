//! `cargo xtask restore FILE`: puts a dump made by `cargo xtask backup`
//! back into the release's database. Nothing is touched until the file is
//! a custom-format dump and the user said yes on the terminal (or
//! `--yes`); the chart's `restore.sh check` then refuses a dump of another
//! app or of a newer version before the backend is stopped. The backend
//! is stopped for the restore (it must not write to a schema being
//! replaced) and always started again with the replicas it had, and the
//! restore Pod is always deleted.

use std::fs;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use super::backup::{
    DUMP_MAGIC, Found, Kubectl, Op, POD_READY_TIMEOUT, Procedure, Rescue, Step, delete_pod,
    derive_pod, name_with_suffix, pod_start_failure, size_text, stamp, starts_with_magic,
};
use super::deploy::check_tools;
use super::{Installed, ReleaseArgs, Tool};
use crate::support::process::{output, project_root};

/// A restore Pod's life at most: a large database's restore included,
/// and an end should its deletion fail.
const RESTORE_SECONDS: u32 = 3600;
/// Where the restore Pod receives the dump (a volume of its own).
const UPLOAD_DIR: &str = "/restore";
/// How long the backend's Pods may take to stop.
const STOP_TIMEOUT: &str = "120s";

#[derive(Debug, Args)]
pub struct Restore {
    /// A dump made by `cargo xtask backup` (PostgreSQL custom format).
    pub file: PathBuf,
    /// Restore without asking (needed without a terminal).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub target: ReleaseArgs,
    /// How long the backend may take to come back after the restore.
    #[arg(long, default_value = "5m")]
    pub timeout: String,
    /// Print the plan without running it.
    #[arg(long)]
    pub dry_run: bool,
    /// Show the underlying commands and their output.
    #[arg(long)]
    pub verbose: bool,
}

/// Everything the restore plan depends on.
#[derive(Debug, Clone)]
pub struct RestoreInputs {
    pub found: Found,
    /// The dump, as an absolute path.
    pub file: PathBuf,
    /// The backend Deployment's replicas now, given back after the restore.
    pub replicas: u32,
    /// The newest migration this checkout's backend knows.
    pub max_version: u64,
    pub stamp: u64,
}

/// The file's size, or why it is not a dump `restore` takes.
pub fn check_file(file: &Path) -> Result<u64, String> {
    let metadata = fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if !metadata.is_file() {
        return Err(format!("{} is not a file", file.display()));
    }
    match starts_with_magic(file) {
        Ok(true) => Ok(metadata.len()),
        Ok(false) => Err(format!(
            "{} is not a PostgreSQL custom-format dump (it does not start with {}): restore takes the files `cargo xtask backup` writes",
            file.display(),
            String::from_utf8_lossy(DUMP_MAGIC)
        )),
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}

/// Whether the user can be asked: a dry run asks nothing, `--yes` has
/// answered, otherwise a terminal is needed.
pub fn check_confirmation(yes: bool, terminal: bool, dry_run: bool) -> Result<(), String> {
    if dry_run || yes || terminal {
        Ok(())
    } else {
        Err("restore replaces the release's data and asks first, but there is no terminal to ask on: pass --yes to restore without asking".into())
    }
}

/// The largest migration version among `names` (`<version>_<name>.sql`).
pub fn newest_migration<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<u64> {
    names
        .into_iter()
        .filter(|name| name.ends_with(".sql"))
        .filter_map(|name| name.split('_').next()?.parse::<u64>().ok())
        .max()
}

fn max_version() -> anyhow::Result<u64> {
    let dir = project_root().join("backend/migrations/postgres");
    let names: Vec<String> = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    newest_migration(names.iter().map(String::as_str))
        .ok_or_else(|| anyhow::anyhow!("no migrations in {}", dir.display()))
}

impl Restore {
    pub fn plan(&self, inputs: &RestoreInputs) -> Result<Procedure, String> {
        let found = &inputs.found;
        let (cron_job, object) = found.cron_job()?;
        let kubectl = &found.kubectl;
        let namespace = &kubectl.namespace;
        let names = &found.names;
        let backend = &names.backend;
        let replicas = inputs.replicas;
        let pod = name_with_suffix(cron_job, &format!("restore-{}", inputs.stamp));
        let upload = format!("{UPLOAD_DIR}/upload.dump");
        let version = inputs.max_version.to_string();
        let script = |verb: &'static str| {
            Kubectl::exec_args(
                &pod,
                &["sh", "/scripts/restore.sh", verb, &upload, &version],
            )
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        };
        let script_step = |title: &str, verb: &'static str, on_failure: String| {
            let args = script(verb);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            kubectl.step(title, &args, on_failure)
        };
        let scale = |to: u32| format!("--replicas={to}");
        let mut plan = Procedure::default();

        plan.push(Step::new(
            "start the restore Pod",
            Op::CreatePod {
                kubectl: kubectl.clone(),
                pod: derive_pod(object, &pod, RESTORE_SECONDS, Some(UPLOAD_DIR))?,
                from: format!("CronJob {cron_job}"),
            },
            format!(
                "`kubectl --context {} auth can-i create pods -n {namespace}`",
                kubectl.context
            ),
        ));
        plan.push(kubectl.step(
            "wait for the restore Pod",
            &[
                "wait",
                "--for=condition=Ready",
                &format!("pod/{pod}"),
                &format!("--timeout={POD_READY_TIMEOUT}"),
            ],
            pod_start_failure(kubectl, &pod),
        ));
        plan.push(Step::new(
            format!("copy {} in", inputs.file.display()),
            Op::Upload {
                kubectl: kubectl.clone(),
                pod: pod.clone(),
                local: inputs.file.clone(),
                remote: upload.clone(),
            },
            "nothing was changed; run it again (a dropped connection), or see whether the node has room for the file",
        ));
        plan.push(script_step(
            "check the dump against this app",
            "check",
            format!(
                "nothing was changed. Exit 2: the file is not a dump of this app; exit 3: a newer version of the app made it \
                 (its newest migration is past {version}): deploy that version, then restore"
            ),
        ));
        plan.push(Step::notice(
            "record the backend's replicas",
            format!("Deployment {backend} runs {replicas} replica(s); it gets them back after the restore"),
        ));
        let stop_at = plan.steps.len();
        plan.push(kubectl.step(
            "stop the backend",
            &["scale", &format!("deployment/{backend}"), &scale(0)],
            "nothing was changed",
        ));
        plan.push(Step::new(
            "wait until the backend's Pods are gone",
            Op::WaitGone {
                kubectl: kubectl.clone(),
                selector: names.backend_selector.clone(),
                timeout: STOP_TIMEOUT.into(),
            },
            format!(
                "the database was not changed; `kubectl --context {} -n {namespace} get pods -l {}` shows what does not stop",
                kubectl.context, names.backend_selector
            ),
        ));
        plan.push(script_step(
            "replace the database's data with the dump's",
            "restore",
            "the restore is one transaction: the database is as it was; its output above says why"
                .into(),
        ));
        plan.push(kubectl.step(
            format!("start the backend again ({replicas} replica(s))"),
            &["scale", &format!("deployment/{backend}"), &scale(replicas)],
            format!(
                "`kubectl --context {} -n {namespace} scale deployment/{backend} --replicas={replicas}`",
                kubectl.context
            ),
        ));
        let started_at = plan.steps.len();
        let doctor = format!(
            "the data is restored but the backend is not ready: `cargo xtask doctor --release {} --namespace {namespace}`",
            found.release
        );
        if replicas == 0 {
            plan.push(Step::notice(
                "the backend stays stopped",
                format!("Deployment {backend} had 0 replicas before the restore, and has 0 now: scale it up to serve"),
            ));
        } else {
            plan.push(kubectl.step(
                "wait for the backend to roll out (it migrates the restored database as it starts)",
                &[
                    "rollout",
                    "status",
                    &format!("deployment/{backend}"),
                    &format!("--timeout={}", self.timeout),
                ],
                doctor.clone(),
            ));
            let (port, path) = &names.backend_ready;
            plan.push(Step::new(
                format!("check the backend's {path}"),
                Op::CheckReady {
                    kubectl: kubectl.clone(),
                    deployment: backend.clone(),
                    port: *port,
                    path: path.clone(),
                },
                doctor,
            ));
        }
        plan.rescue = Some(Rescue {
            covers: stop_at..started_at,
            steps: vec![kubectl.step(
                format!("start the backend again ({replicas} replica(s)) after the failure"),
                &["scale", &format!("deployment/{backend}"), &scale(replicas)],
                "",
            )],
            done: format!(
                "The backend was started again with its {replicas} replica(s). The restore is one transaction, \
                 so the database holds either what it held before or the whole dump, never a mix \
                 (before the restore step, it was not touched)."
            ),
        });
        plan.cleanup.push(delete_pod(kubectl, &pod, "restore"));
        Ok(plan)
    }

    pub fn run(self) -> anyhow::Result<()> {
        // Refusals first, before anything reads the cluster.
        let size = check_file(&self.file).map_err(anyhow::Error::msg)?;
        let terminal = std::io::stdin().is_terminal();
        check_confirmation(self.yes, terminal, self.dry_run).map_err(anyhow::Error::msg)?;
        let file = fs::canonicalize(&self.file)?;
        let installed = Installed::probe();
        if !self.dry_run {
            check_tools(&installed, &[Tool::Kubectl, Tool::Helm]).map_err(anyhow::Error::msg)?;
        }
        let found = Found::gather(&installed, &self.target, self.dry_run, "restore")?;
        let replicas = match (&found.cron_job, found.live) {
            (Some(_), true) => {
                let said = output(
                    std::process::Command::new("kubectl").args(found.kubectl.args(&[
                        "get",
                        &format!("deployment/{}", found.names.backend),
                        "-o",
                        "jsonpath={.spec.replicas}",
                    ])),
                )?;
                said.trim().parse().unwrap_or(1)
            }
            _ => found.names.backend_replicas,
        };
        let inputs = RestoreInputs {
            file: file.clone(),
            replicas,
            max_version: max_version()?,
            stamp: stamp(),
            found,
        };
        let plan = self.plan(&inputs).map_err(anyhow::Error::msg)?;
        if self.dry_run {
            plan.print();
            return Ok(());
        }
        if !self.yes {
            plan.print();
            let kubectl = &inputs.found.kubectl;
            eprint!(
                "\nrestore: this replaces every account, task and conversation of release {} in namespace {} \
                 (kube context {}) with those in {} ({}), and stops the backend while it runs.\n\
                 Type yes to go on: ",
                inputs.found.release,
                kubectl.namespace,
                kubectl.context,
                file.display(),
                size_text(size)
            );
            std::io::stderr().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if answer.trim() != "yes" {
                bail!("not confirmed: nothing was changed");
            }
        }
        plan.execute(self.verbose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterChoice;
    use crate::cluster::backup::tests::{cron_job_json, found};

    fn restore() -> Restore {
        Restore {
            file: PathBuf::from("backups/todo-20261210T030000Z.dump"),
            yes: false,
            target: ReleaseArgs {
                cluster: ClusterChoice::Auto,
                release: "todo".into(),
                namespace: "todo".into(),
            },
            timeout: "5m".into(),
            dry_run: false,
            verbose: false,
        }
    }

    fn inputs(replicas: u32) -> RestoreInputs {
        RestoreInputs {
            found: found(Some(cron_job_json())),
            file: PathBuf::from("/home/me/backups/todo-20261210T030000Z.dump"),
            replicas,
            max_version: 20261209000001,
            stamp: 1_765_360_800,
        }
    }

    const TITLES: [&str; 11] = [
        "start the restore Pod",
        "wait for the restore Pod",
        "copy /home/me/backups/todo-20261210T030000Z.dump in",
        "check the dump against this app",
        "record the backend's replicas",
        "stop the backend",
        "wait until the backend's Pods are gone",
        "replace the database's data with the dump's",
        "start the backend again (2 replica(s))",
        "wait for the backend to roll out (it migrates the restored database as it starts)",
        "check the backend's /ready",
    ];
    const RESCUE: &str = "start the backend again (2 replica(s)) after the failure";
    const CLEANUP: &str = "delete the restore Pod";

    #[test]
    fn a_restore_checks_first_then_stops_restores_and_starts_the_backend() {
        let plan = restore().plan(&inputs(2)).unwrap();
        let mut expected: Vec<&str> = TITLES.to_vec();
        expected.push(CLEANUP);
        assert_eq!(plan.sequence(None), expected);
        let k = "kubectl --context kind-dev -n todo";
        let pod = "todo-backup-restore-1765360800";
        let commands = plan.commands();
        assert!(commands[0].starts_with(&format!(
            "{k} create -f - with Pod {pod}: CronJob todo-backup's Pod template"
        )));
        assert!(commands[0].ends_with("command `sleep 3600`"));
        assert_eq!(
            commands[1],
            format!("{k} wait --for=condition=Ready pod/{pod} --timeout=180s")
        );
        assert_eq!(
            commands[2],
            format!(
                "{k} exec -i {pod} -c dump -- sh -c 'cat > /restore/upload.dump' < /home/me/backups/todo-20261210T030000Z.dump, then compare the sizes"
            )
        );
        assert_eq!(
            commands[3],
            format!(
                "{k} exec {pod} -c dump -- sh /scripts/restore.sh check /restore/upload.dump 20261209000001"
            )
        );
        assert_eq!(
            commands[4],
            "Deployment todo-backend runs 2 replica(s); it gets them back after the restore"
        );
        assert_eq!(
            commands[5],
            format!("{k} scale deployment/todo-backend --replicas=0")
        );
        assert_eq!(
            commands[6],
            format!(
                "{k} wait --for=delete pod -l app.kubernetes.io/component=backend,app.kubernetes.io/instance=todo,app.kubernetes.io/name=todo --timeout=120s (no Pod left counts as done)"
            )
        );
        assert_eq!(
            commands[7],
            format!(
                "{k} exec {pod} -c dump -- sh /scripts/restore.sh restore /restore/upload.dump 20261209000001"
            )
        );
        assert_eq!(
            commands[8],
            format!("{k} scale deployment/todo-backend --replicas=2")
        );
        assert_eq!(
            commands[9],
            format!("{k} rollout status deployment/todo-backend --timeout=5m")
        );
        assert_eq!(
            commands[10],
            format!(
                "{k} port-forward deployment/todo-backend '<free port>:8080', then GET /ready on it until it answers 200 (at most 60 s)"
            )
        );
        // The rescue, then the cleanup.
        assert_eq!(
            commands[11],
            format!("{k} scale deployment/todo-backend --replicas=2")
        );
        assert_eq!(
            commands[12],
            format!("{k} delete pod {pod} --ignore-not-found --wait=false")
        );
        // The restore Pod is made from the CronJob, with a volume for the upload.
        let Op::CreatePod { pod: manifest, .. } = &plan.steps[0].op else {
            panic!("the first step starts the Pod")
        };
        assert_eq!(
            manifest["spec"]["containers"][0]["image"],
            "postgres:15-bookworm"
        );
        assert_eq!(
            manifest["spec"]["containers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["mountPath"],
            "/restore"
        );
    }

    #[test]
    fn a_refused_dump_stops_before_the_backend_is_touched() {
        let plan = restore().plan(&inputs(2)).unwrap();
        let check = TITLES
            .iter()
            .position(|t| t.starts_with("check the dump"))
            .unwrap();
        let sequence = plan.sequence(Some(check));
        assert_eq!(sequence.last(), Some(&CLEANUP));
        assert!(
            !sequence.iter().any(|t| t.contains("backend")),
            "{sequence:?}"
        );
        assert!(
            plan.steps[check]
                .on_failure
                .starts_with("nothing was changed. Exit 2")
        );
    }

    #[test]
    fn after_the_backend_is_stopped_any_failure_starts_it_again_then_cleans_up() {
        let plan = restore().plan(&inputs(2)).unwrap();
        let stop = TITLES
            .iter()
            .position(|t| *t == "stop the backend")
            .unwrap();
        let start = TITLES
            .iter()
            .position(|t| t.starts_with("start the backend again"))
            .unwrap();
        for failing in 0..TITLES.len() {
            let sequence = plan.sequence(Some(failing));
            let rescued = sequence.contains(&RESCUE);
            assert_eq!(
                rescued,
                (stop..=start).contains(&failing),
                "step {failing}: {sequence:?}"
            );
            assert_eq!(sequence.last(), Some(&CLEANUP));
            if rescued {
                assert_eq!(sequence[sequence.len() - 2], RESCUE);
            }
        }
        let rescue = plan.rescue.as_ref().unwrap();
        assert!(
            rescue
                .done
                .starts_with("The backend was started again with its 2 replica(s)")
        );
        let restore_step = TITLES
            .iter()
            .position(|t| t.starts_with("replace"))
            .unwrap();
        assert_eq!(
            plan.sequence(Some(restore_step))[restore_step + 1..],
            [RESCUE, CLEANUP]
        );
        // The dry run shows both.
        let text = plan.text();
        assert!(
            text.contains("if one of steps 6–9 fails:\n  ↺ start the backend again"),
            "{text}"
        );
        assert!(
            text.contains("whatever happened:\n  ⌫ delete the restore Pod"),
            "{text}"
        );
    }

    #[test]
    fn a_stopped_backend_stays_stopped() {
        let plan = restore().plan(&inputs(0)).unwrap();
        assert!(
            plan.commands()
                .iter()
                .any(|c| c.ends_with("scale deployment/todo-backend --replicas=0"))
        );
        assert!(
            !plan
                .commands()
                .iter()
                .any(|c| c.contains("rollout status") || c.contains("port-forward"))
        );
        assert!(plan.sequence(None).contains(&"the backend stays stopped"));
    }

    #[test]
    fn a_release_without_backups_is_refused() {
        let mut without = inputs(2);
        without.found = found(None);
        let error = restore().plan(&without).unwrap_err();
        assert!(error.contains("--set backup.enabled=true"), "{error}");
    }

    #[test]
    fn a_missing_file_or_one_that_is_not_a_dump_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("todo-20261210T030000Z.dump");
        assert!(check_file(&missing).unwrap_err().contains("No such file"));
        let plain = dir.path().join("todo.sql");
        fs::write(&plain, "--\n-- PostgreSQL database dump\n--\n").unwrap();
        let error = check_file(&plain).unwrap_err();
        assert!(
            error.contains("not a PostgreSQL custom-format dump"),
            "{error}"
        );
        assert!(check_file(dir.path()).unwrap_err().contains("not a file"));
        let dump = dir.path().join("todo-20261210T030000Z.dump");
        fs::write(&dump, b"PGDMP\x01\x0f\x00\x04\x08\x01\x01").unwrap();
        assert_eq!(check_file(&dump), Ok(12));
    }

    #[test]
    fn without_a_terminal_only_yes_goes_on() {
        assert!(
            check_confirmation(false, false, false)
                .unwrap_err()
                .contains("--yes")
        );
        assert_eq!(check_confirmation(true, false, false), Ok(()));
        assert_eq!(check_confirmation(false, true, false), Ok(()));
        assert_eq!(check_confirmation(false, false, true), Ok(()));
    }

    #[test]
    fn the_newest_migration_is_the_largest_prefix() {
        assert_eq!(
            newest_migration([
                "20261126000001_init.sql",
                "20261209000001_usage.sql",
                "20261202000001_conversations.sql",
                "README.md",
            ]),
            Some(20261209000001)
        );
        assert_eq!(newest_migration(["notes.txt"]), None);
        assert!(max_version().unwrap() >= 20261209000001);
    }

    #[test]
    fn both_commands_are_on_the_command_line() {
        use clap::Parser;
        let parsed = crate::Cli::try_parse_from([
            "cargo xtask",
            "restore",
            "backups/x.dump",
            "--yes",
            "--namespace",
            "apps",
        ])
        .unwrap();
        assert!(matches!(
            parsed.command,
            crate::Command::Restore(Restore { yes: true, ref target, .. }) if target.namespace == "apps"
        ));
        assert!(
            crate::Cli::try_parse_from(["cargo xtask", "restore"]).is_err(),
            "FILE is required"
        );
        assert!(
            crate::Cli::try_parse_from([
                "cargo xtask",
                "backup",
                "--output",
                "/tmp/b",
                "--dry-run"
            ])
            .is_ok()
        );
    }
}
