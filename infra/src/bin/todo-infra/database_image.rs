//! `todo-infra check-database-image IMAGE`: the chart's database image
//! contract, checked on an image in the local Docker store.

use std::process::Command;

use anyhow::{Context, bail};
use todo_infra::database_image::{POSTGRES_CONTRACT, chart_default};

use crate::process::output;

/// Ok with a line saying the image keeps the contract; Err with every
/// breach.
pub fn check(image: &str) -> anyhow::Result<String> {
    let config: serde_json::Value = serde_json::from_str(&output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{json .Config}}",
        image,
    ]))?)
    .with_context(|| format!("docker image inspect {image}"))?;
    let uid = output(Command::new("docker").args([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "id",
        image,
        "-u",
        "postgres",
    ]))
    .with_context(|| format!("{image} has no postgres user"))?;
    let default = chart_default(&std::fs::read_to_string("helm/todo/values.yaml")?)
        .map_err(anyhow::Error::msg)?;
    let breaches = POSTGRES_CONTRACT.breaches(&config, &uid);
    if !breaches.is_empty() {
        bail!(
            "{image} does not keep the database image contract of the chart's default {default}:\n  {}",
            breaches.join("\n  ")
        );
    }
    Ok(format!(
        "{image} keeps the database image contract of the chart's default {default} (uid {}, PostgreSQL {})",
        POSTGRES_CONTRACT.uid, POSTGRES_CONTRACT.major
    ))
}
