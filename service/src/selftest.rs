//! The kit of both servers' selftests (the Helm test hooks, which only
//! talk HTTP): steps that send a request, require a status and decode the
//! body, print one line each, and fail with the first [`Mismatch`] as a
//! diff.

use std::fmt::Debug;
use std::process::ExitCode;
use std::time::Instant;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// Why the run failed: which step, and what differed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step `{step}` failed: {detail}")]
pub struct Mismatch {
    pub step: &'static str,
    pub detail: String,
}

pub fn mismatch(step: &'static str, detail: impl Into<String>) -> Mismatch {
    Mismatch {
        step,
        detail: detail.into(),
    }
}

pub fn expect_eq<T: PartialEq + Debug>(
    step: &'static str,
    what: &str,
    expected: T,
    actual: T,
) -> Result<(), Mismatch> {
    if expected == actual {
        Ok(())
    } else {
        Err(mismatch(
            step,
            format!("{what}:\n    expected: {expected:?}\n    actual:   {actual:?}"),
        ))
    }
}

/// Sends `request`, requires `status`, and decodes the body as `T`.
pub async fn call<T: DeserializeOwned>(
    step: &'static str,
    request: reqwest::RequestBuilder,
    status: StatusCode,
) -> Result<(reqwest::header::HeaderMap, T), Mismatch> {
    let (headers, text) = call_text(step, request, status).await?;
    let parsed = if text.is_empty() {
        serde_json::from_str("null")
    } else {
        serde_json::from_str(&text)
    };
    let value = parsed.map_err(|e| {
        mismatch(
            step,
            format!("body does not match the contract ({e}):\n    {text}"),
        )
    })?;
    Ok((headers, value))
}

/// Sends `request`, requires `status`, and returns the headers and the
/// body as text (lossily, for the diff), for answers that are not JSON.
pub async fn call_text(
    step: &'static str,
    request: reqwest::RequestBuilder,
    status: StatusCode,
) -> Result<(reqwest::header::HeaderMap, String), Mismatch> {
    let response = request
        .send()
        .await
        .map_err(|e| mismatch(step, format!("request failed: {e}")))?;
    let actual = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| mismatch(step, format!("reading the body failed: {e}")))?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if actual != status {
        return Err(mismatch(
            step,
            format!(
                "status:\n    expected: {status}\n    actual:   {actual}\n    body:     {}",
                text.chars().take(500).collect::<String>()
            ),
        ));
    }
    Ok((headers, text))
}

/// One step's outcome line, as printed.
pub fn report(step: &str, started: Instant) {
    println!(
        "  ok    {step:<28} {:>6.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// A walk's outcome once its cleanup (deleting what it made) ran, started
/// at `started`: the cleanup's failure fails a walk that passed, and is
/// only printed beside one that failed already.
pub fn after_cleanup<T>(
    walk: Result<(), Mismatch>,
    cleanup: Result<T, Mismatch>,
    started: Instant,
) -> Result<(), Mismatch> {
    match (&walk, cleanup) {
        (_, Ok(_)) => report("delete account", started),
        (Ok(()), Err(e)) => return Err(e),
        (Err(_), Err(e)) => eprintln!("  cleanup also failed: {e}"),
    }
    walk
}

/// The process's exit for a walk's outcome, printed.
pub fn verdict(outcome: Result<(), Mismatch>) -> ExitCode {
    match outcome {
        Ok(()) => {
            println!("selftest passed");
            ExitCode::SUCCESS
        }
        Err(mismatch) => {
            eprintln!("selftest FAILED: {mismatch}");
            ExitCode::FAILURE
        }
    }
}
