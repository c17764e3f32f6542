//! The `meshroute` command line: argument parsing and dispatch to one module per subcommand.

mod explain;
mod input;
mod lint;
mod render;
mod request;
mod simulate;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

/// Lint and explain Istio outbound routing configuration (ServiceEntry, DestinationRule,
/// VirtualService, Sidecar and mesh settings).
#[derive(Debug, Parser)]
#[command(name = "meshroute", version, propagate_version = true, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One variant per subcommand, each with its own module.
#[derive(Debug, Subcommand)]
enum Command {
    Lint(lint::LintArgs),
    Explain(explain::ExplainArgs),
    Simulate(simulate::SimulateArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap reports help and --version as "errors" with exit code 0, and usage errors with
            // 2; both keep our exit-code contract, and printing may fail only on a closed pipe.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(lint::EXIT_USAGE));
        }
    };
    match cli.command {
        Command::Lint(args) => lint::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Simulate(args) => simulate::run(&args),
    }
}

/// Reports a command-line problem found after parsing (a cookie given twice, a request the
/// engine refuses) the way clap reports its own, with the subcommand's usage, and returns the
/// usage exit status.
pub(crate) fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    let mut command = Cli::command();
    // Building fills in the `meshroute <subcommand>` names the usage line shows.
    command.build();
    let error = match command.find_subcommand_mut(subcommand) {
        Some(subcommand) => subcommand.error(ErrorKind::ValueValidation, message),
        None => command.error(ErrorKind::ValueValidation, message),
    };
    let _ = error.print();
    ExitCode::from(lint::EXIT_USAGE)
}
