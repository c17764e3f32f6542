//! The fixture format shared by every face: expectations written as comments in the case file.
//!
//! A lint case is one YAML file under `tests/cases/lint/`. Its leading comments say what the
//! case is about; its last lines list every diagnostic meshroute must report, one per line:
//!
//! ```text
//! # expect: error MR1020 spec.endpoints @ 14:3
//! ```
//!
//! (severity, code, field path or `-`, and the 1-based line and column). A case with no
//! `# expect:` line must produce no diagnostic at all. Expectations sit at the end of the file so
//! that rewriting them (`UPDATE_EXPECT=1`) never moves the YAML they point into. The format is
//! plain text on purpose: the browser and Envoy harnesses read the same files.

pub mod explain_case;
pub mod schema;

use std::path::{Path, PathBuf};

use meshroute_core::{Diagnostic, Source};

/// One expected (or actual) diagnostic, reduced to what a case pins.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expect {
    pub line: u32,
    pub column: u32,
    pub code: String,
    pub severity: String,
    pub path: String,
}

impl Expect {
    pub fn from_diagnostic(diagnostic: &Diagnostic) -> Expect {
        let line_col = diagnostic.location.and_then(|loc| loc.line_col);
        Expect {
            line: line_col.map_or(0, |lc| lc.line),
            column: line_col.map_or(0, |lc| lc.column),
            code: diagnostic.code.id.to_string(),
            severity: diagnostic.severity.as_str().to_string(),
            path: diagnostic.path.clone().unwrap_or_else(|| "-".to_string()),
        }
    }

    pub fn render(&self) -> String {
        format!(
            "# expect: {} {} {} @ {}:{}",
            self.severity, self.code, self.path, self.line, self.column
        )
    }

    /// Parses one `# expect:` line; `None` for any other line.
    pub fn parse(line: &str) -> Option<Result<Expect, String>> {
        let rest = line.trim().strip_prefix("# expect:")?;
        let parse = || -> Result<Expect, String> {
            let (head, position) = rest.rsplit_once(" @ ").ok_or("missing ` @ line:col`")?;
            let mut words = head.split_whitespace();
            let severity = words.next().ok_or("missing severity")?.to_string();
            let code = words.next().ok_or("missing code")?.to_string();
            let path = words.collect::<Vec<_>>().join(" ");
            if path.is_empty() {
                return Err("missing path (use `-` for none)".into());
            }
            let (line, column) =
                position.trim().split_once(':').ok_or("position must be line:col")?;
            Ok(Expect {
                line: line.parse().map_err(|_| format!("bad line `{line}`"))?,
                column: column.parse().map_err(|_| format!("bad column `{column}`"))?,
                code,
                severity,
                path,
            })
        };
        Some(parse())
    }
}

/// Every expectation written in a case file.
pub fn expectations(text: &str) -> Result<Vec<Expect>, String> {
    let mut out = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        if let Some(expect) = Expect::parse(line) {
            out.push(expect.map_err(|why| format!("line {}: {why}", idx + 1))?);
        }
    }
    out.sort();
    Ok(out)
}

/// Lints one case file the way `meshroute lint FILE` does and reduces the findings.
pub fn lint_case(name: &str, bytes: &[u8]) -> Vec<Expect> {
    let (_config, diagnostics) = meshroute_core::lint(&[Source { name, bytes }]);
    let mut out: Vec<Expect> = diagnostics.iter().map(Expect::from_diagnostic).collect();
    out.sort();
    out
}

/// The case text with its expectation lines replaced by `actual`.
pub fn rewrite(text: &str, actual: &[Expect]) -> String {
    let mut kept: Vec<&str> = text.lines().filter(|line| Expect::parse(line).is_none()).collect();
    while kept.last().is_some_and(|line| line.trim().is_empty()) {
        kept.pop();
    }
    let mut out = kept.join("\n");
    out.push('\n');
    for expect in actual {
        out.push_str(&expect.render());
        out.push('\n');
    }
    out
}

/// Every file under `dir` that `keep` takes, sorted; build output, `node_modules` and hidden
/// folders are skipped.
pub fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target"
                    && name != "node_modules"
                    && !name.to_string_lossy().starts_with('.')
                {
                    pending.push(path);
                }
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The case files (`.yaml`) under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, &|path| path.extension().is_some_and(|ext| ext == "yaml"))
}
