//! Rules on the release's backups: its backup CronJob's status and the
//! Jobs it made. A last success within the alert threshold is fine; an
//! older one is a warning (the data a restore would bring back is getting
//! stale); a last Job that failed, or no success at all long after the
//! CronJob was created, is a failure.

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::{Evidence, Finding, finding};

/// The CronJob annotation that carries the chart's `backup.alert.maxAgeHours`.
pub const MAX_AGE_ANNOTATION: &str = "todo.example/backup-max-age-hours";

/// The chart's default for `backup.alert.maxAgeHours`: a daily backup
/// plus two hours of slack for a slow run.
pub const DEFAULT_MAX_AGE_HOURS: i64 = 26;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Failure,
}

/// One backup CronJob as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    pub cron_job: String,
    pub level: Level,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// What the rules make of one CronJob: its line, and for a failure the
/// finding that counts as a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: BackupStatus,
    pub finding: Option<Finding>,
}

/// How a finished Job ended, and when.
struct Finished<'a> {
    job: &'a Job,
    failed: bool,
    at: Option<Timestamp>,
}

/// The alert threshold in hours: the annotation when it holds a positive
/// whole number, else the chart's default (and why, when it was there
/// but unreadable).
fn threshold_hours(cron_job: &CronJob) -> (i64, Option<String>) {
    let annotation = cron_job
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(MAX_AGE_ANNOTATION));
    match annotation.map(|text| (text, text.trim().parse::<i64>())) {
        None => (DEFAULT_MAX_AGE_HOURS, None),
        Some((_, Ok(hours))) if hours > 0 => (hours, None),
        Some((text, _)) => (
            DEFAULT_MAX_AGE_HOURS,
            Some(format!(
                "{MAX_AGE_ANNOTATION} is {text:?}, not a number of hours: {DEFAULT_MAX_AGE_HOURS} h used"
            )),
        ),
    }
}

fn owned_by(job: &Job, cron_job: &str) -> bool {
    job.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|owner| owner.kind == "CronJob" && owner.name == cron_job)
}

fn finished(job: &Job) -> Option<Finished<'_>> {
    let status = job.status.as_ref()?;
    let condition = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))?;
    let failed = condition.type_ == "Failed";
    let at = status
        .completion_time
        .as_ref()
        .filter(|_| !failed)
        .or(condition.last_transition_time.as_ref())
        .or(status.start_time.as_ref())
        .or(job.metadata.creation_timestamp.as_ref())
        .map(|t| t.0);
    Some(Finished { job, failed, at })
}

/// The time now, to the second, as [`assess`] takes it (the jiff that
/// k8s-openapi builds has no clock of its own).
pub fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_secs())
        .ok()
        .and_then(|seconds| Timestamp::from_second(seconds).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `3h 12m`, `2d 4h`: precise enough to compare with a threshold in hours.
pub fn age(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) if minutes == 0 => "less than a minute".to_owned(),
        (0, 0) => format!("{minutes}m"),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// The rules for one CronJob, given the namespace's Jobs and the time now.
pub fn assess(cron_job: &CronJob, jobs: &[Job], now: Timestamp) -> Assessment {
    let name = cron_job.metadata.name.clone().unwrap_or_default();
    let namespace = cron_job
        .metadata
        .namespace
        .as_deref()
        .unwrap_or("<namespace>");
    let subject = format!("cronjob/{name}");
    let (hours, unreadable) = threshold_hours(cron_job);
    let since = |t: Timestamp| now.duration_since(t).as_secs();
    let status = cron_job.status.as_ref();
    let mut finished_jobs: Vec<Finished<'_>> = jobs
        .iter()
        .filter(|job| owned_by(job, &name))
        .filter_map(finished)
        .collect();
    finished_jobs.sort_by_key(|f| f.at);
    let last_success = status
        .and_then(|s| s.last_successful_time.as_ref())
        .map(|t| t.0)
        .into_iter()
        .chain(
            finished_jobs
                .iter()
                .filter(|f| !f.failed)
                .filter_map(|f| f.at),
        )
        .max();
    let last_schedule = status
        .and_then(|s| s.last_schedule_time.as_ref())
        .map(|t| match since(t.0) {
            s if s < 0 => "just scheduled".to_owned(),
            s => format!("last scheduled {} ago", age(s)),
        })
        .unwrap_or_else(|| "never scheduled".to_owned());
    let running = status
        .and_then(|s| s.active.as_ref())
        .is_some_and(|active| !active.is_empty());
    let mut notes: Vec<String> = vec![last_schedule];
    if running {
        notes.push("a backup runs now".into());
    }
    notes.extend(unreadable);
    let notes = notes.join("; ");
    let threshold = format!("alert after {hours} h");
    let run_now = "`cargo xtask backup` runs one now and shows its log if it fails";

    let failure = |summary: String, cause: String, fix: String, evidence: Option<Evidence>| {
        let mut found = finding(&subject, summary.clone(), cause, fix.clone());
        found.evidence = evidence;
        Assessment {
            status: BackupStatus {
                cron_job: name.clone(),
                level: Level::Failure,
                summary,
                fix: Some(fix),
            },
            finding: Some(found),
        }
    };
    let line = |level: Level, summary: String, fix: Option<String>| Assessment {
        status: BackupStatus {
            cron_job: name.clone(),
            level,
            summary,
            fix,
        },
        finding: None,
    };

    if let Some(last) = finished_jobs.last().filter(|f| f.failed) {
        let job = last.job.metadata.name.clone().unwrap_or_default();
        let why = last
            .job
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Failed" && c.status == "True"))
            .map(|c| {
                [c.reason.as_deref(), c.message.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .filter(|why| !why.is_empty())
            .unwrap_or_else(|| "it failed".to_owned());
        let previous = match last_success {
            Some(t) => format!("the last success was {} ago", age(since(t))),
            None => "no backup has ever succeeded".to_owned(),
        };
        return failure(
            format!("the last backup Job failed ({job}); {previous}; {notes}"),
            format!(
                "Job {job} ended Failed ({why}); its log is below (a database it cannot reach, a full backups volume, an object store that refuses the upload)"
            ),
            format!(
                "fix what the log names; {run_now}; `kubectl -n {namespace} get pvc` shows the backups volume"
            ),
            Some(Evidence::JobLogs { job }),
        );
    }
    let Some(last) = last_success else {
        let created = cron_job
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| since(t.0));
        return match created {
            Some(seconds) if seconds > hours * 3600 => failure(
                format!(
                    "no backup has succeeded since the CronJob was created {} ago; {notes}",
                    age(seconds)
                ),
                format!(
                    "more than {hours} h without a single dump: nothing could be restored if the database were lost"
                ),
                format!(
                    "`kubectl -n {namespace} get cronjob {name}` shows its schedule and whether it is suspended; {run_now}"
                ),
                None,
            ),
            _ => line(
                Level::Ok,
                format!("no backup yet: the CronJob is new ({threshold}); {notes}"),
                None,
            ),
        };
    };
    let seconds = since(last);
    let summary = format!(
        "last successful backup {} ago ({threshold}); {notes}",
        age(seconds)
    );
    let suspended = cron_job
        .spec
        .as_ref()
        .and_then(|s| s.suspend)
        .unwrap_or(false);
    if suspended {
        return line(
            Level::Warning,
            format!("suspended: no new backups are made; {summary}"),
            Some(format!(
                "resume it: `kubectl -n {namespace} patch cronjob {name} -p '{{\"spec\":{{\"suspend\":false}}}}'`"
            )),
        );
    }
    if seconds > hours * 3600 {
        return line(
            Level::Warning,
            format!("older than {hours} h: {summary}"),
            Some(format!(
                "see why no newer backup succeeded: `kubectl -n {namespace} get jobs`; {run_now}"
            )),
        );
    }
    line(Level::Ok, summary, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-12-10T12:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// `kubectl get cronjob -o json` of the chart's backup CronJob,
    /// trimmed to what the rules read.
    fn cron_job(status: serde_json::Value, annotations: serde_json::Value) -> CronJob {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": "todo-backup",
                "namespace": "todo",
                "creationTimestamp": "2026-12-01T09:00:00Z",
                "labels": {"app.kubernetes.io/component": "backup", "app.kubernetes.io/instance": "todo"},
                "annotations": annotations
            },
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
            "status": status
        }))
        .unwrap()
    }

    fn job(name: &str, condition: &str, at: &str) -> Job {
        let mut status = serde_json::json!({
            "startTime": at,
            "conditions": [{"type": condition, "status": "True", "lastTransitionTime": at,
                "reason": if condition == "Failed" { "BackoffLimitExceeded" } else { "" },
                "message": if condition == "Failed" { "Job has reached the specified backoff limit" } else { "" }}]
        });
        if condition == "Complete" {
            status["completionTime"] = at.into();
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": "todo", "creationTimestamp": at,
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "todo-backup", "uid": "u", "controller": true}]},
            "status": status
        }))
        .unwrap()
    }

    #[test]
    fn a_recent_success_is_ok_with_its_age() {
        let found = assess(
            &cron_job(
                serde_json::json!({"lastScheduleTime": "2026-12-10T03:00:00Z", "lastSuccessfulTime": "2026-12-10T03:01:30Z"}),
                serde_json::json!({}),
            ),
            &[job("todo-backup-29001", "Complete", "2026-12-10T03:01:30Z")],
            now(),
        );
        assert_eq!(found.status.level, Level::Ok);
        assert_eq!(
            found.status.summary,
            "last successful backup 8h 58m ago (alert after 26 h); last scheduled 9h 0m ago"
        );
        assert_eq!(found.finding, None);
    }

    #[test]
    fn the_threshold_comes_from_the_annotation() {
        // 33 h since the last success.
        let status = serde_json::json!({"lastScheduleTime": "2026-12-09T03:00:00Z", "lastSuccessfulTime": "2026-12-09T03:00:00Z"});
        let default = assess(&cron_job(status.clone(), serde_json::json!({})), &[], now());
        assert_eq!(default.status.level, Level::Warning);
        assert!(
            default
                .status
                .summary
                .starts_with("older than 26 h: last successful backup 1d 9h ago")
        );
        assert!(
            default
                .status
                .fix
                .as_deref()
                .unwrap()
                .contains("cargo xtask backup")
        );
        assert_eq!(default.finding, None, "a warning is not a failure");

        let relaxed = assess(
            &cron_job(
                status.clone(),
                serde_json::json!({MAX_AGE_ANNOTATION: "48"}),
            ),
            &[],
            now(),
        );
        assert_eq!(relaxed.status.level, Level::Ok);
        assert!(relaxed.status.summary.contains("alert after 48 h"));

        let unreadable = assess(
            &cron_job(status, serde_json::json!({MAX_AGE_ANNOTATION: "two days"})),
            &[],
            now(),
        );
        assert_eq!(unreadable.status.level, Level::Warning);
        assert!(
            unreadable
                .status
                .summary
                .contains("not a number of hours: 26 h used")
        );
    }

    #[test]
    fn a_failed_last_job_is_a_failure_with_its_log_even_after_a_recent_success() {
        let found = assess(
            &cron_job(
                serde_json::json!({"lastScheduleTime": "2026-12-10T03:00:00Z", "lastSuccessfulTime": "2026-12-09T03:01:00Z"}),
                serde_json::json!({}),
            ),
            &[
                job("todo-backup-28999", "Complete", "2026-12-09T03:01:00Z"),
                job("todo-backup-29001", "Failed", "2026-12-10T03:04:00Z"),
            ],
            now(),
        );
        assert_eq!(found.status.level, Level::Failure);
        assert!(
            found.status.summary.starts_with(
                "the last backup Job failed (todo-backup-29001); the last success was 1d 8h ago"
            ),
            "{}",
            found.status.summary
        );
        let finding = found.finding.unwrap();
        assert_eq!(finding.pod, "cronjob/todo-backup");
        assert!(finding.cause.contains("BackoffLimitExceeded"));
        assert_eq!(
            finding.evidence,
            Some(Evidence::JobLogs {
                job: "todo-backup-29001".into()
            })
        );
        assert_eq!(
            finding.evidence.unwrap().kubectl_args("todo").join(" "),
            "-n todo logs job/todo-backup-29001 --all-containers --tail 20"
        );
    }

    #[test]
    fn a_failure_followed_by_a_success_is_fine_and_other_jobs_are_not_ours() {
        let mut foreign = job("import-1", "Failed", "2026-12-10T11:00:00Z");
        foreign.metadata.owner_references = None;
        let found = assess(
            &cron_job(
                serde_json::json!({"lastSuccessfulTime": "2026-12-10T10:00:00Z"}),
                serde_json::json!({}),
            ),
            &[
                job("todo-backup-manual-1", "Failed", "2026-12-10T09:00:00Z"),
                job("todo-backup-manual-2", "Complete", "2026-12-10T10:00:00Z"),
                foreign,
            ],
            now(),
        );
        assert_eq!(found.status.level, Level::Ok, "{found:?}");
    }

    #[test]
    fn never_succeeding_is_a_failure_only_once_the_threshold_has_passed() {
        // Created 2026-12-01, nine days ago: long past 26 h.
        let never = assess(
            &cron_job(serde_json::json!({}), serde_json::json!({})),
            &[],
            now(),
        );
        assert_eq!(never.status.level, Level::Failure);
        assert!(never.status.summary.starts_with(
            "no backup has succeeded since the CronJob was created 9d 3h ago; never scheduled"
        ));
        assert!(never.finding.is_some());

        let mut new = cron_job(serde_json::json!({}), serde_json::json!({}));
        new.metadata.creation_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                "2026-12-10T10:00:00Z".parse().unwrap(),
            ));
        let young = assess(&new, &[], now());
        assert_eq!(young.status.level, Level::Ok);
        assert!(young.status.summary.starts_with("no backup yet"));
    }

    #[test]
    fn a_suspended_cron_job_is_a_warning() {
        let mut suspended = cron_job(
            serde_json::json!({"lastSuccessfulTime": "2026-12-10T03:00:00Z"}),
            serde_json::json!({}),
        );
        suspended.spec.as_mut().unwrap().suspend = Some(true);
        let found = assess(&suspended, &[], now());
        assert_eq!(found.status.level, Level::Warning);
        assert!(found.status.fix.unwrap().contains("\"suspend\":false"));
    }

    #[test]
    fn now_reads_the_system_clock() {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((super::now().as_second() - clock).abs() <= 1);
    }

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(age(30), "less than a minute");
        assert_eq!(age(59 * 60), "59m");
        assert_eq!(age(3 * 3600 + 12 * 60), "3h 12m");
        assert_eq!(age(2 * 86400 + 4 * 3600 + 59), "2d 4h");
        assert_eq!(age(-5), "less than a minute");
    }
}
