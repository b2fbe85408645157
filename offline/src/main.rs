//! `todo-offline`: the stand-ins for a registry and a cluster, as commands
//! xtask runs (`cargo xtask ci --base local`, `cargo xtask chart
//! --on-docker`). Progress goes to stderr; stdout carries only the answer
//! xtask reads.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todo_offline::base_images::{self, Role};
use todo_offline::kubelet;

#[derive(Debug, Parser)]
#[command(
    name = "todo-offline",
    about = "For machines without a container registry or a Kubernetes cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prepare local stand-ins for official base images (reused while
    /// their recipe is unchanged); print `{"<role>": "<image>", …}`.
    BaseImages {
        /// Which stand-ins.
        #[arg(value_enum, required = true)]
        roles: Vec<Role>,
    },
    /// Run the rendered chart on Docker as a kubelet would, through its
    /// Helm tests; then broken copies of it, which must be rejected.
    RunChart {
        /// Tag of the todo-backend and todo-frontend images to run.
        #[arg(long)]
        image_tag: String,
        /// The database image (REPOSITORY:TAG), in the local store.
        #[arg(long)]
        postgres_image: String,
        /// Skip the runs on deliberately broken copies of the release.
        #[arg(long)]
        no_mutations: bool,
        /// The `helm template …` command that renders the release.
        #[arg(last = true, required = true)]
        render: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::BaseImages { roles } => roles
            .into_iter()
            .map(|role| Ok((role.name(), base_images::prepare(role)?)))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()
            .map(|images| println!("{}", serde_json::json!(images))),
        Command::RunChart {
            image_tag,
            postgres_image,
            no_mutations,
            render,
        } => kubelet::run(&kubelet::Run {
            image_tag,
            postgres_image,
            render,
            mutations: !no_mutations,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo-offline: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
