//! The browser playground's binding: `lint`, `explain` and `simulate` over `meshroute-wire`.
//!
//! JSON strings go in and out, so the page sees exactly the contract's JSON (`crates/wire/CONTRACT.md`)
//! and `meshroute lint --format json`'s shape. Nothing here knows Istio; this edge only
//!
//! - refuses inputs too large for a browser tab (over [`MAX_BYTES`] or [`MAX_DOCUMENTS`]),
//! - turns a bad request (not JSON, or refused by the contract) into `{"error": "..."}`,
//! - adds `utf16_column` next to every `column` (diagnostics and step references), for editors
//!   that count in UTF-16 code units as JavaScript strings do;
//! - keeps one [`Workspace`] between calls: after a keystroke only the YAML documents that changed
//!   are read again, and `lint` and `simulate` on the text `explain` just read reuse its mesh.
//!   The answers are those of a fresh read of the whole text (`tests/workspace.rs`).
//!
//! No call can panic by construction: the core never panics on any input (an architecture
//! invariant, fuzzed), serialising a `serde_json::Value` cannot fail, and the column conversion
//! clamps instead of indexing. Each call still runs under `catch_unwind`, which turns a panic into
//! an error object where unwinding exists (native builds, tests); on `wasm32-unknown-unknown`
//! panics abort, so the hook logs the message to the console and the JS wrapper in `web/src`
//! catches the resulting trap.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use meshroute_core::Workspace;
use meshroute_core::engine::Mesh;
use serde_json::{Map, Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

/// The largest configuration accepted: 1 MiB of YAML.
pub const MAX_BYTES: usize = 1 << 20;
/// Configurations with this many documents or more are refused.
pub const MAX_DOCUMENTS: usize = 5_000;
/// The most requests one `simulate` call sends.
pub const MAX_SIMULATED: f64 = 100_000.0;
/// The largest seed a JavaScript number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// The input name diagnostics and references carry in their `file` field.
pub const SOURCE_NAME: &str = "playground.yaml";

/// Lints the configuration: `{"diagnostics": [...], "summary": {errors, warnings, infos}}`, as
/// `meshroute lint --format json` prints it, or `{"error": "..."}` for a refused input.
#[wasm_bindgen]
pub fn lint(yaml_text: &str) -> String {
    guarded(|| lint_value(yaml_text))
}

/// Explains one request (a JSON object, `CONTRACT.md` "Request"): the explanation object, or
/// `{"error": "..."}`.
#[wasm_bindgen]
pub fn explain(yaml_text: &str, request_json: &str) -> String {
    guarded(|| explain_value(yaml_text, request_json))
}

/// Sends `n` seeded variants of the request: the simulation object, or `{"error": "..."}`.
/// `n` and `seed` are JavaScript numbers: non-negative integers, `seed` below 2^53.
#[wasm_bindgen]
pub fn simulate(yaml_text: &str, request_json: &str, n: f64, seed: f64) -> String {
    guarded(|| simulate_value(yaml_text, request_json, n, seed))
}

/// The value behind [`lint`].
pub fn lint_value(yaml_text: &str) -> Value {
    if let Err(refusal) = check_size(yaml_text) {
        return refusal;
    }
    let (mut errors, mut warnings, mut infos) = (0, 0, 0);
    let diagnostics: Vec<Value> = with_mesh(yaml_text, |mesh| {
        mesh.diagnostics()
            .iter()
            .map(|d| {
                match d.severity {
                    meshroute_core::Severity::Error => errors += 1,
                    meshroute_core::Severity::Warning => warnings += 1,
                    meshroute_core::Severity::Info => infos += 1,
                }
                meshroute_wire::diagnostic_json(mesh, d)
            })
            .collect()
    });
    let mut value = json!({
        "diagnostics": diagnostics,
        "summary": {"errors": errors, "warnings": warnings, "infos": infos},
    });
    add_utf16_columns(yaml_text, &mut value);
    value
}

/// The value behind [`explain`].
pub fn explain_value(yaml_text: &str, request_json: &str) -> Value {
    let request = match check_size(yaml_text).and_then(|()| request(request_json)) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let request = match meshroute_wire::parse_request(&request) {
        Ok(request) => request,
        Err(why) => return error(why.to_string()),
    };
    let mut value = with_mesh(yaml_text, |mesh| {
        meshroute_wire::explanation_json(mesh, &mesh.explain(&request))
    });
    add_utf16_columns(yaml_text, &mut value);
    value
}

/// The value behind [`simulate`].
pub fn simulate_value(yaml_text: &str, request_json: &str, n: f64, seed: f64) -> Value {
    let request = match check_size(yaml_text).and_then(|()| request(request_json)) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if !(n.fract() == 0.0 && (1.0..=MAX_SIMULATED).contains(&n)) {
        return error(format!("`n` must be an integer from 1 to {MAX_SIMULATED}; found {n}"));
    }
    if !(seed.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&seed)) {
        return error(format!("`seed` must be an integer from 0 to 2^53 - 1; found {seed}"));
    }
    let request = match meshroute_wire::parse_request(&request) {
        Ok(request) => request,
        Err(why) => return error(why.to_string()),
    };
    // Both are integers in range, checked above, so the conversions are exact.
    with_mesh(yaml_text, |mesh| {
        meshroute_wire::simulation_json(&mesh.simulate(&request, n as u32, seed as u64))
    })
}

thread_local! {
    /// The page's configuration between calls (JavaScript calls in one thread, one at a time).
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new(SOURCE_NAME));
}

/// Runs `call` on the mesh of `yaml_text`, read through the workspace.
fn with_mesh<T>(yaml_text: &str, call: impl FnOnce(&Mesh) -> T) -> T {
    WORKSPACE.with(|workspace| call(workspace.borrow_mut().mesh(yaml_text)))
}

fn error(message: impl Into<String>) -> Value {
    json!({ "error": message.into() })
}

fn request(request_json: &str) -> Result<Value, Value> {
    serde_json::from_str(request_json)
        .map_err(|why| error(format!("the request is not valid JSON: {why}")))
}

/// Refuses inputs that would freeze the tab: more than [`MAX_BYTES`] or [`MAX_DOCUMENTS`].
fn check_size(yaml_text: &str) -> Result<(), Value> {
    if yaml_text.len() > MAX_BYTES {
        return Err(error(format!(
            "the configuration is {} bytes; the playground reads at most {MAX_BYTES} bytes (1 MiB). \
             Use the `meshroute` CLI for larger inputs",
            yaml_text.len()
        )));
    }
    let documents = document_count(yaml_text);
    if documents >= MAX_DOCUMENTS {
        return Err(error(format!(
            "the configuration has {documents} YAML documents; the playground reads fewer than \
             {MAX_DOCUMENTS}. Use the `meshroute` CLI for larger inputs"
        )));
    }
    Ok(())
}

/// An upper bound on the number of YAML documents: one, plus one per `---` marker line.
fn document_count(text: &str) -> usize {
    1 + text
        .split('\n')
        .filter(|line| {
            line.strip_prefix("---")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
        })
        .count()
}

/// Runs `call` and serialises its value; a panic becomes an error object where it can unwind.
fn guarded(call: impl FnOnce() -> Value) -> String {
    #[cfg(target_arch = "wasm32")]
    console_error_panic_hook::set_once();
    let value = catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| {
        // Whatever the workspace held may be half-updated: start the next call afresh.
        WORKSPACE.with(|workspace| workspace.replace(Workspace::new(SOURCE_NAME)));
        error("internal error in meshroute; please report it with the input that caused it")
    });
    // Serialising a `Value` cannot fail (its keys are strings); keep a valid answer regardless.
    serde_json::to_string(&value).unwrap_or_else(|_| {
        r#"{"error":"internal error: the answer could not be serialised"}"#.into()
    })
}

/// Adds `utf16_column` beside `column` in every diagnostic and step reference of `value`.
fn add_utf16_columns(text: &str, value: &mut Value) {
    let lines = LineStarts::new(text);
    let Some(object) = value.as_object_mut() else { return };
    if let Some(Value::Array(diagnostics)) = object.get_mut("diagnostics") {
        for diagnostic in diagnostics.iter_mut().filter_map(Value::as_object_mut) {
            add_utf16_column(&lines, diagnostic);
        }
    }
    if let Some(Value::Array(steps)) = object.get_mut("steps") {
        for step in steps {
            if let Some(Value::Array(refs)) = step.get_mut("refs") {
                for reference in refs.iter_mut().filter_map(Value::as_object_mut) {
                    add_utf16_column(&lines, reference);
                }
            }
        }
    }
}

fn add_utf16_column(lines: &LineStarts<'_>, object: &mut Map<String, Value>) {
    let line = object.get("line").and_then(Value::as_u64);
    let column = object.get("column").and_then(Value::as_u64);
    let utf16 = match (line, column) {
        (Some(line), Some(column)) => Value::from(lines.utf16_column(line, column)),
        _ => Value::Null,
    };
    object.insert("utf16_column".into(), utf16);
}

/// Line starts of one text, for converting the core's columns to UTF-16.
struct LineStarts<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineStarts<'a> {
    fn new(text: &'a str) -> LineStarts<'a> {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineStarts { text, starts }
    }

    /// The 1-based UTF-16 column of the core's 1-based `column` on 1-based `line`.
    ///
    /// The core counts columns in Unicode scalar values (`LineIndex::line_col` counts `chars()`),
    /// so the conversion walks that many characters from the line start and sums their UTF-16
    /// lengths; positions past the line's end are clamped to it.
    fn utf16_column(&self, line: u64, column: u64) -> u64 {
        let start = usize::try_from(line)
            .ok()
            .and_then(|line| line.checked_sub(1))
            .and_then(|index| self.starts.get(index))
            .copied()
            .unwrap_or(self.text.len());
        // Every start is 0 or just after a `\n`, so it is a character boundary.
        let rest = self.text.get(start..).unwrap_or_default();
        let chars = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        let units: usize =
            rest.chars().take_while(|&c| c != '\n').take(chars).map(char::len_utf16).sum();
        units as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: stripe\n  namespace: default\nspec:\n  hosts: [api.stripe.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n";

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("every answer is JSON")
    }

    #[test]
    fn utf16_columns_count_code_units() {
        // `é` is 2 UTF-8 bytes and 1 UTF-16 unit; `😀` 4 bytes and 2 units (a surrogate pair).
        let lines = LineStarts::new("ab\né😀x: 1\n");
        assert_eq!(lines.utf16_column(1, 3), 3);
        assert_eq!(lines.utf16_column(2, 1), 1);
        assert_eq!(lines.utf16_column(2, 2), 2);
        assert_eq!(lines.utf16_column(2, 3), 4);
        assert_eq!(lines.utf16_column(2, 4), 5);
        // Clamped: past the line's end, and lines past the text's end.
        assert_eq!(lines.utf16_column(1, 99), 3);
        assert_eq!(lines.utf16_column(0, 1), 1);
        assert_eq!(lines.utf16_column(99, 5), 1);
    }

    #[test]
    fn lint_has_the_cli_shape_and_utf16_columns() {
        let text = ENTRY.replace("protocol: TLS", "protocol: TLZ");
        let value = parse(&lint(&text));
        let diagnostics = value["diagnostics"].as_array().expect("a list");
        assert!(!diagnostics.is_empty(), "{value}");
        for d in diagnostics {
            for key in ["code", "severity", "message", "file", "line", "column", "path"] {
                assert!(d.get(key).is_some(), "{key} missing in {d}");
            }
            assert!(d["utf16_column"].is_u64() || d["line"].is_null(), "{d}");
        }
        assert!(value["summary"]["errors"].as_u64().unwrap_or(0) >= 1, "{value}");
        assert_eq!(parse(&lint(ENTRY))["diagnostics"], json!([]));
    }

    #[test]
    fn utf16_column_follows_non_ascii_before_the_finding() {
        // The same finding (`bad host`), after 5 characters that are 5 or 6 UTF-16 units.
        let plain = ENTRY.replace("  hosts: [api.stripe.com]", "  hosts: [a.com, \"bad host\"]");
        let emoji = ENTRY.replace("  hosts: [api.stripe.com]", "  hosts: [\"😀ab\", \"bad host\"]");
        let find = |text: &str| {
            let value = parse(&lint(text));
            value["diagnostics"]
                .as_array()
                .and_then(|list| list.iter().find(|d| d["path"] == "spec.hosts[1]").cloned())
                .unwrap_or_else(|| panic!("a finding on spec.hosts[1] in {value}"))
        };
        let (plain, emoji) = (find(&plain), find(&emoji));
        assert_eq!(
            (&plain["line"], &plain["column"], &plain["utf16_column"]),
            (&json!(7), &json!(18), &json!(18))
        );
        assert_eq!(
            (&emoji["line"], &emoji["column"], &emoji["utf16_column"]),
            (&json!(7), &json!(18), &json!(19))
        );
    }

    #[test]
    fn explain_returns_the_contract_with_utf16_columns_on_refs() {
        let value = parse(&explain(ENTRY, r#"{"host": "api.stripe.com", "protocol": "tls"}"#));
        assert_eq!(value["outcome"], "routed", "{value}");
        assert_eq!(value["service_entry"]["name"], "stripe");
        let refs: Vec<&Value> = value["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["refs"].as_array().into_iter().flatten())
            .collect();
        assert!(!refs.is_empty(), "{value}");
        assert!(refs.iter().all(|r| r["utf16_column"] == r["column"]), "ASCII input: {value}");
    }

    #[test]
    fn bad_requests_become_error_objects() {
        for (request, needle) in [
            ("{", "not valid JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"protocol": "carrier-pigeon", "host": "a"}"#, "`protocol`"),
            (r#"{"port": 80}"#, "`host` or a `dest_ip`"),
        ] {
            let value = parse(&explain(ENTRY, request));
            let message = value["error"].as_str().unwrap_or_else(|| panic!("{value}"));
            assert!(message.contains(needle), "{request}: {message}");
            assert!(parse(&simulate(ENTRY, request, 10.0, 1.0))["error"].is_string());
        }
    }

    #[test]
    fn simulate_checks_its_numbers() {
        let request = r#"{"host": "api.stripe.com", "protocol": "tls"}"#;
        let value = parse(&simulate(ENTRY, request, 50.0, 7.0));
        assert_eq!(value["n"], 50, "{value}");
        for (n, seed) in [(0.0, 1.0), (1.5, 1.0), (-1.0, 1.0), (1e9, 1.0), (f64::NAN, 1.0)] {
            assert!(parse(&simulate(ENTRY, request, n, seed))["error"].is_string(), "n={n}");
        }
        for seed in [-1.0, 0.5, 1e17, f64::INFINITY] {
            assert!(parse(&simulate(ENTRY, request, 5.0, seed))["error"].is_string(), "{seed}");
        }
    }

    #[test]
    fn answers_after_edits_are_those_of_a_fresh_read() {
        use meshroute_core::Source;
        let request = r#"{"host": "api.stripe.com", "protocol": "tls"}"#;
        let second = ENTRY.replace("stripe", "paypal");
        let steps = [
            ENTRY.to_string(),
            format!("{ENTRY}---\n{second}"),
            // The first document's host changes: only that part is read again.
            format!("{}---\n{second}", ENTRY.replace("api.stripe.com", "pay.stripe.com")),
            // Broken YAML in the second document: the whole text is read as one.
            format!("{ENTRY}---\n{}", second.replace("hosts: [", "hosts: [[")),
            format!("# a comment\n{ENTRY}---\n{second}"),
        ];
        for text in &steps {
            let sources = [Source { name: SOURCE_NAME, bytes: text.as_bytes() }];
            let mut fresh =
                meshroute_wire::explain(&sources, &serde_json::from_str(request).unwrap())
                    .expect("a valid request");
            add_utf16_columns(text, &mut fresh);
            assert_eq!(parse(&explain(text, request)), fresh, "{text}");
            let mesh = meshroute_wire::build_mesh(&sources);
            let codes: Vec<&str> = mesh.diagnostics().iter().map(|d| d.code.id).collect();
            let linted = parse(&lint(text));
            let linted: Vec<&str> = linted["diagnostics"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["code"].as_str())
                .collect();
            assert_eq!(linted, codes, "{text}");
        }
    }

    #[test]
    fn large_inputs_are_refused() {
        let big = "#".repeat(MAX_BYTES + 1);
        let many = "---\na: 1\n".repeat(MAX_DOCUMENTS);
        let request = r#"{"host": "a.com"}"#;
        for text in [&big, &many] {
            assert!(parse(&lint(text))["error"].as_str().is_some_and(|m| m.contains("CLI")));
            assert!(parse(&explain(text, request))["error"].is_string());
            assert!(parse(&simulate(text, request, 1.0, 0.0))["error"].is_string());
        }
        let fewer = "---\na: 1\n".repeat(MAX_DOCUMENTS - 2);
        assert!(parse(&lint(&fewer)).get("error").is_none());
        assert_eq!(document_count("a: 1\n--- # x\n---\n----\n"), 3);
    }
}
