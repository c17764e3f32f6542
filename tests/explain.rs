//! Runs every explain case under `tests/cases/explain` through `meshroute_wire::explain` (and
//! `simulate` when the case asks for it) and checks the explanation against the case's `expect`.
//! The rules for a case file are in `tests/cases/explain/README.md`; the logic is in
//! `meshroute_tests::explain_case` so that other tests can reuse it.

use std::path::Path;

fn check(path: &Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let name = path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|why| format!("{name}: not UTF-8: {why}"))?;
    meshroute_tests::explain_case::run_case(&name, text)?;
    Ok(())
}

datatest_stable::harness! {
    { test = check, root = "cases/explain", pattern = r"\.(yaml|yml)$" },
}
