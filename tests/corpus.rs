//! Checks on the corpus and the registry as a whole: every diagnostic code is documented and
//! exercised by at least one case, the corpus is as large and as balanced as promised, and every
//! Rust file says what it is for.

use std::path::{Path, PathBuf};

use meshroute_core::diagnostics::codes;
use meshroute_tests::{expectations, files_under, yaml_files};

/// Codes no case file can exercise, each with the reason.
const NOT_IN_CASES: &[(&str, &str)] = &[
    ("MR0030", "reported by the CLI for a path it cannot read; tested in crates/cli/tests"),
    ("MR0031", "needs an input over 64 MiB; tested by a unit test in the core"),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo root")
        .to_path_buf()
}

fn lint_cases() -> Vec<PathBuf> {
    files_under(&repo_root().join("tests/cases/lint"), &|path| {
        matches!(path.extension().and_then(|ext| ext.to_str()), Some("yaml" | "yml" | "json"))
    })
}

#[test]
fn diagnostics_reference_is_current() {
    let path = repo_root().join("crates/core/DIAGNOSTICS.md");
    let generated = codes::markdown();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, generated).expect("write DIAGNOSTICS.md");
            return;
        }
        panic!(
            "{} is out of date; run UPDATE_EXPECT=1 cargo test -p meshroute-tests --test corpus",
            path.display()
        );
    }
}

#[test]
fn codes_are_unique_and_in_their_area() {
    let mut ids: Vec<&str> = codes::all().map(|code| code.id).collect();
    let mut names: Vec<&str> = codes::all().map(|code| code.name).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    names.sort();
    names.dedup();
    assert_eq!(ids.len(), total, "duplicate code ids");
    assert_eq!(names.len(), total, "duplicate code names");
    for code in codes::all() {
        assert!(
            code.id.len() == 6
                && code.id.starts_with("MR")
                && code.id[2..].bytes().all(|b| b.is_ascii_digit()),
            "{}",
            code.id
        );
        assert!(
            !code.summary().is_empty() && code.doc.len() >= 2,
            "{} needs a summary and a how-to-fix line",
            code.id
        );
    }
}

#[test]
fn every_code_is_exercised_by_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for path in lint_cases() {
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read case")).into_owned();
        for expect in expectations(&text).unwrap_or_else(|why| panic!("{}: {why}", path.display()))
        {
            seen.insert(expect.code);
        }
    }
    let missing: Vec<&str> = codes::all()
        .map(|code| code.id)
        .filter(|id| !seen.contains(*id) && !NOT_IN_CASES.iter().any(|(exempt, _)| exempt == id))
        .collect();
    assert!(missing.is_empty(), "codes without a case under tests/cases/lint: {missing:?}");
}

#[test]
fn corpus_is_large_and_balanced() {
    let cases = lint_cases();
    let valid = cases
        .iter()
        .filter(|path| {
            let text =
                String::from_utf8_lossy(&std::fs::read(path).expect("read case")).into_owned();
            expectations(&text)
                .is_ok_and(|list| list.iter().all(|expect| expect.severity == "info"))
        })
        .count();
    assert!(
        cases.len() >= 120,
        "only {} lint cases; the corpus promises at least 120",
        cases.len()
    );
    assert!(
        valid * 3 >= cases.len(),
        "only {valid} of {} cases are valid configurations; at least a third must be",
        cases.len()
    );
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let root = repo_root();
    let mut offenders = Vec::new();
    for dir in ["crates", "tests", "filters"] {
        for path in
            files_under(&root.join(dir), &|path| path.extension().is_some_and(|ext| ext == "rs"))
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.starts_with("//!") {
                offenders.push(path.strip_prefix(&root).unwrap_or(&path).display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "files without a leading `//!` line: {offenders:?}");
}

/// The explain corpus covers every topic the issue names, and each case says what it shows and
/// keeps its configuration valid for istiod (the point is routing, not rejection).
#[test]
fn explain_corpus_is_large_described_and_valid() {
    let root = repo_root().join("tests/cases/explain");
    let cases = yaml_files(&root);
    assert!(
        cases.len() >= 100,
        "the explain corpus has {} cases; at least 100 are promised",
        cases.len()
    );
    for topic in [
        "seeds",
        "registry",
        "listener",
        "http-routing",
        "tls-tcp",
        "destination-rule",
        "endpoints",
        "hashing",
        "traps",
    ] {
        let count = cases
            .iter()
            .filter(|path| path.parent().is_some_and(|dir| dir.ends_with(topic)))
            .count();
        assert!(count > 0, "no explain case under {topic}/");
    }
    for path in &cases {
        let text = std::fs::read_to_string(path).expect("case files are UTF-8");
        assert!(
            text.starts_with("# "),
            "{} must open with a comment line saying what it shows",
            path.display()
        );
        let (config, _) = meshroute_tests::explain_case::split_case(&text);
        let (_, diagnostics) = meshroute_core::lint(&[meshroute_core::Source {
            name: "case",
            bytes: config.as_bytes(),
        }]);
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code.id, d.message))
            .collect();
        assert!(errors.is_empty(), "{}: the configuration is rejected: {errors:?}", path.display());
    }
}
