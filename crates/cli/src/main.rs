//! The `meshroute` command line: argument parsing and dispatch to one module per subcommand.

mod input;
mod lint;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lint and explain Istio outbound routing configuration (ServiceEntry, DestinationRule,
/// VirtualService, Sidecar and mesh settings).
#[derive(Debug, Parser)]
#[command(name = "meshroute", version, propagate_version = true, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One variant per subcommand; `explain` and `simulate` join `Lint` here, each with its own module.
#[derive(Debug, Subcommand)]
enum Command {
    Lint(lint::LintArgs),
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
    }
}
