//! `cargo xtask chart --on-docker` (and CI's step of that name): the
//! rendered chart run on Docker as a kubelet would, by the `offline/`
//! crate, with the images `cargo xtask images` built and a database image
//! that keeps the chart's contract: the one asked for, else the chart's
//! default if present or pullable, else the stand-in `todo-postgres:15`
//! (prepared now if missing or stale).

use anyhow::{Context, ensure};

use crate::containers::bases::{self, BaseSource, Role};
use crate::support::docker::image_exists;
use crate::support::helm::Helm;

/// The release and namespace the run renders (as `cargo xtask chart`).
const RELEASE: &str = "todo";

/// Runs the release of images tagged `tag` on the database image
/// `postgres` (default: see the module), through its Helm tests; then,
/// with `mutations`, broken copies of it, which must be rejected.
pub fn run(tag: &str, postgres: Option<&str>, mutations: bool) -> anyhow::Result<()> {
    let postgres = match postgres {
        Some(image) => {
            ensure!(
                image_exists(image),
                "{image} is not in the local image store"
            );
            image.to_owned()
        }
        None => match bases::official(BaseSource::Auto, Role::Postgres)? {
            Some(image) => image,
            None => crate::offline::prepare_stand_ins(&[Role::Postgres])?
                .remove(&Role::Postgres)
                .context("no database stand-in was prepared")?,
        },
    };
    // The chart's securityContext (runAsUser, PGDATA, the writable mounts)
    // is rendered as users get it: the image must fit it, not the reverse.
    bases::check_database_image(&postgres)?;
    let helm = Helm::local(RELEASE, RELEASE)?;
    let render: Vec<String> = std::iter::once(helm.binary.clone())
        .chain(helm.template_args())
        .collect();
    crate::offline::run_chart(tag, &postgres, &render, mutations)
}
