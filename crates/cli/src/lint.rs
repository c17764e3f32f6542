//! `meshroute lint`: read the inputs, run the core's lint, print the findings, pick the exit code.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use meshroute_core::diagnostics::codes::input::{INPUT_TOO_LARGE, UNREADABLE_INPUT};
use meshroute_core::load::MAX_SOURCE_BYTES;
use meshroute_core::{Diagnostic, Severity, Source};

use crate::input::{self, Problem};
use crate::render::{self, Counts, Finding, Format, Style};

/// No diagnostic is an error (warnings and infos are allowed).
const EXIT_OK: u8 = 0;
/// At least one diagnostic is an error.
const EXIT_ERRORS: u8 = 1;
/// An input could not be read, or the command line was wrong.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Check Istio configuration files for mistakes.
///
/// Reads ServiceEntry, DestinationRule, VirtualService and Sidecar resources and mesh settings
/// from YAML or JSON files, and reports syntax errors, schema violations and configurations that
/// Istio accepts but that do not route the way their author meant.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status:
  0  no errors (warnings and infos may have been reported)
  1  at least one error was reported
  2  an input could not be read, or the command line was invalid

Colours are used only when stdout is a terminal and NO_COLOR is not set.")]
pub(crate) struct LintArgs {
    /// Output format: `text` for people, `json` for tools (one object on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Files, directories (their *.yaml, *.yml and *.json files, recursively, in path order),
    /// or `-` for stdin.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

pub(crate) fn run(args: &LintArgs) -> ExitCode {
    let inputs = input::read_all(&args.paths);
    let sources: Vec<Source<'_>> =
        inputs.read.iter().map(|input| Source { name: &input.name, bytes: &input.bytes }).collect();
    let (config, diagnostics) = meshroute_core::lint(&sources);

    // Inputs that never reached the core come first: they are about the command line itself.
    let unreadable =
        inputs.problems.iter().any(|problem| matches!(problem, Problem::Unreadable { .. }));
    let mut findings: Vec<Finding> = inputs.problems.into_iter().map(problem_finding).collect();
    findings.extend(diagnostics.into_iter().map(|diagnostic| {
        let file = diagnostic
            .location
            .and_then(|location| config.sources.get(location.source.0 as usize))
            .map(|source| source.name.clone());
        Finding { diagnostic, file }
    }));
    let counts = Counts::of(&findings);

    if let Err(error) = print(args.format, &config, &findings, counts, &inputs.empty_dirs) {
        // A reader that went away (`meshroute lint . | head`) is not a failure worth a message.
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(io::stderr(), "meshroute: cannot write output: {error}");
        }
        return ExitCode::from(EXIT_USAGE);
    }
    let code = if unreadable {
        EXIT_USAGE
    } else if counts.errors > 0 {
        EXIT_ERRORS
    } else {
        EXIT_OK
    };
    ExitCode::from(code)
}

fn print(
    format: Format,
    config: &meshroute_core::Config,
    findings: &[Finding],
    counts: Counts,
    empty_dirs: &[String],
) -> io::Result<()> {
    let style = Style::for_stdout();
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        Format::Text => render::text(&mut out, config, findings, style)?,
        Format::Json => render::json(&mut out, findings)?,
    }
    out.flush()?;
    // Notes and the summary go to stderr so that stdout holds findings only.
    let mut err = io::stderr().lock();
    for dir in empty_dirs {
        writeln!(err, "meshroute: no .yaml, .yml or .json files in {dir}")?;
    }
    if format == Format::Text {
        writeln!(err, "{}", counts.summary())?;
    }
    Ok(())
}

fn problem_finding(problem: Problem) -> Finding {
    let (diagnostic, name) = match problem {
        Problem::Unreadable { name, reason } => (
            Diagnostic::new(
                &UNREADABLE_INPUT,
                format!("cannot read `{name}`: {reason}; check the path and its permissions"),
            ),
            name,
        ),
        Problem::TooLarge { name, size } => {
            let size = size.map(|size| format!("{size} bytes, ")).unwrap_or_default();
            let message = format!(
                "input is {size}more than the {MAX_SOURCE_BYTES} bytes meshroute reads; split it into several files"
            );
            (Diagnostic::new(&INPUT_TOO_LARGE, message), name)
        }
    };
    debug_assert_eq!(diagnostic.severity, Severity::Error);
    Finding { diagnostic, file: Some(name) }
}
