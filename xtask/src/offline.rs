//! The one door to `todo-offline` (the `offline/` crate: stand-ins for a
//! container registry and a Kubernetes cluster on machines without them),
//! run as a process, never linked. Only two paths open it, and a
//! conventions test keeps it so: `chart --on-docker`, to run the rendered
//! chart on Docker, and `ci` when its base images are local (`--base
//! local`, or `auto` where no registry answers), to prepare the stand-ins.

use std::collections::BTreeMap;
use std::process::Stdio;

use anyhow::{Context, bail};

use crate::containers::bases::Role;
use crate::support::process::{WorkspaceBinary, describe, run};

const PACKAGE: &str = "todo-offline";

/// Prepares (or reuses, while their recipe is unchanged) the stand-ins for
/// `roles`; their image names.
pub fn prepare_stand_ins(roles: &[Role]) -> anyhow::Result<BTreeMap<Role, String>> {
    let mut command = WorkspaceBinary::build(PACKAGE)?.command();
    command
        .arg("base-images")
        .args(roles.iter().map(|role| role.name()));
    let text = describe(&command);
    eprintln!("$ {text}");
    // Its progress (debootstrap, docker build) shows as it comes; stdout
    // is the answer.
    let out = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{text}`"))?;
    if !out.status.success() {
        bail!("`{text}` failed ({})", out.status);
    }
    let images: BTreeMap<String, String> = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("`{text}` did not answer with JSON"))?;
    roles
        .iter()
        .map(|role| {
            let image = images
                .get(role.name())
                .with_context(|| format!("`{text}` prepared no {} image", role.name()))?;
            Ok((*role, image.clone()))
        })
        .collect()
}

/// Runs the release `render` renders (`helm template …`, program first)
/// on Docker with the images tagged `image_tag` and `postgres_image`,
/// through its Helm tests; then, with `mutations`, broken copies of it.
pub fn run_chart(
    image_tag: &str,
    postgres_image: &str,
    render: &[String],
    mutations: bool,
) -> anyhow::Result<()> {
    let mut command = WorkspaceBinary::build(PACKAGE)?.command();
    command.args([
        "run-chart",
        "--image-tag",
        image_tag,
        "--postgres-image",
        postgres_image,
    ]);
    if !mutations {
        command.arg("--no-mutations");
    }
    run(command.arg("--").args(render))
}
