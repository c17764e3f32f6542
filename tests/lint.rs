//! Runs every lint case under `tests/cases/lint` through the core and compares the findings
//! with the case's `# expect:` lines. `UPDATE_EXPECT=1` rewrites the lines from the findings,
//! for review in the diff; it never passes a case by itself.

use std::path::Path;

use meshroute_tests::{Expect, expectations, lint_case, rewrite};

fn check(path: &Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let text = String::from_utf8_lossy(&bytes);
    let expected = expectations(&text).map_err(|why| format!("{}: {why}", path.display()))?;
    let actual = lint_case(&path.display().to_string(), &bytes);
    if actual == expected {
        return Ok(());
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() && std::str::from_utf8(&bytes).is_ok() {
        std::fs::write(path, rewrite(&text, &actual))?;
        return Ok(());
    }
    let render = |list: &[Expect]| list.iter().map(Expect::render).collect::<Vec<_>>().join("\n");
    Err(format!(
        "{}: findings differ\n--- expected\n{}\n--- actual\n{}\n(messages: {})",
        path.display(),
        render(&expected),
        render(&actual),
        messages(&bytes)
    )
    .into())
}

/// The full messages, to make a failing case readable without running the CLI.
fn messages(bytes: &[u8]) -> String {
    let (_config, diagnostics) =
        meshroute_core::lint(&[meshroute_core::Source { name: "case", bytes }]);
    diagnostics
        .iter()
        .map(|d| format!("\n  {} {}: {}", d.code.id, d.path.as_deref().unwrap_or("-"), d.message))
        .collect()
}

datatest_stable::harness! {
    { test = check, root = "cases/lint", pattern = r"\.(yaml|yml|json)$" },
}
