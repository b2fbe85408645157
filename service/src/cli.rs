//! The command line both servers share: a binary's own subcommands, one
//! of which is the default when none is given (`serve`), with the
//! binary's name, version and description.

use clap::{ArgMatches, Command, Subcommand};

/// Parses the command line into `C`, or `None` when no subcommand was
/// given; exits with clap's usage message on a bad one. Call it through
/// [`command_line!`](crate::command_line), which supplies the binary's
/// name and version.
pub fn parse<C: Subcommand>(
    name: &'static str,
    version: &'static str,
    about: &'static str,
) -> Option<C> {
    let matches = command::<C>(name, version, about).get_matches();
    subcommand(&matches)
}

fn command<C: Subcommand>(
    name: &'static str,
    version: &'static str,
    about: &'static str,
) -> Command {
    C::augment_subcommands(Command::new(name).version(version).about(about))
}

fn subcommand<C: Subcommand>(matches: &ArgMatches) -> Option<C> {
    matches.subcommand_name()?;
    Some(C::from_arg_matches(matches).unwrap_or_else(|e| e.exit()))
}

/// `command_line!(Subcommands, "about")`: the binary's subcommand, or
/// `None` for the default.
#[macro_export]
macro_rules! command_line {
    ($subcommands:ty, $about:expr) => {
        $crate::cli::parse::<$subcommands>(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            $about,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Subcommand)]
    enum Commands {
        Serve,
        Check {
            #[arg(long)]
            url: String,
        },
    }

    fn parsed(args: &[&str]) -> Result<Option<Commands>, clap::Error> {
        let matches =
            command::<Commands>("server", "1.0", "a server").try_get_matches_from(args)?;
        Ok(subcommand(&matches))
    }

    #[test]
    fn no_subcommand_is_the_default_and_others_parse() {
        assert_eq!(parsed(&["server"]).unwrap(), None);
        assert_eq!(parsed(&["server", "serve"]).unwrap(), Some(Commands::Serve));
        assert_eq!(
            parsed(&["server", "check", "--url", "http://x"]).unwrap(),
            Some(Commands::Check {
                url: "http://x".into()
            })
        );
        assert!(parsed(&["server", "nonsense"]).is_err());
        let version = parsed(&["server", "--version"]).unwrap_err();
        assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
    }
}
