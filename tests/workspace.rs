//! The incremental workspace (`meshroute_core::Workspace`, what the playground re-explains with
//! after every keystroke) against a fresh read of the whole text: on every corpus case, and
//! along random edit sequences over configurations made of several cases, the findings, the
//! resources and the explanation must be the same JSON.

use std::path::{Path, PathBuf};

use meshroute_core::engine::Mesh;
use meshroute_core::{Source, Workspace};
use meshroute_tests::explain_case::ExplainCase;
use serde_json::{Value, json};

const NAME: &str = "playground.yaml";

fn case_files() -> Vec<PathBuf> {
    let out = meshroute_tests::yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"));
    assert!(out.len() > 400, "the corpus is missing: {} files", out.len());
    out
}

/// Everything a face shows of a mesh: each finding, each resource, and the explanation of
/// `request` when there is one.
fn answer(mesh: &Mesh, request: Option<&Value>) -> Value {
    let diagnostics: Vec<Value> =
        mesh.diagnostics().iter().map(|d| meshroute_wire::diagnostic_json(mesh, d)).collect();
    let resources: Vec<Value> = mesh
        .config()
        .resources
        .iter()
        .map(|r| {
            let file = mesh.config().source(r.source);
            let at = file.line_col(r.span.start);
            json!([r.kind.as_str(), r.namespace.value, r.name.value, r.order, at.line, at.column])
        })
        .collect();
    let explanation = request.map(|request| {
        let request = meshroute_wire::parse_request(request).expect("the case's request is valid");
        meshroute_wire::explanation_json(mesh, &mesh.explain(&request))
    });
    json!({ "diagnostics": diagnostics, "resources": resources, "explanation": explanation })
}

fn whole(text: &str, request: Option<&Value>) -> Value {
    answer(&meshroute_wire::build_mesh(&[Source { name: NAME, bytes: text.as_bytes() }]), request)
}

fn first_difference(a: &Value, b: &Value) -> String {
    let (a, b) = (a.to_string(), b.to_string());
    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let from = at.saturating_sub(120);
    format!(
        "whole:     …{}\nworkspace: …{}",
        a.get(from..(at + 120).min(a.len())).unwrap_or(&a),
        b.get(from..(at + 120).min(b.len())).unwrap_or(&b)
    )
}

/// The configuration and request of a case file: explain cases have both, lint cases only YAML.
fn config_and_request(text: &str) -> (&str, Option<Value>) {
    match ExplainCase::parse(text) {
        Ok(case) => (case.config, Some(case.request)),
        Err(_) => (text, None),
    }
}

#[test]
fn every_case_reads_the_same_in_a_workspace() {
    let mut checked = 0;
    for path in case_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let (config, request) = config_and_request(&text);
        let expected = whole(config, request.as_ref());
        // Fresh, and again after the workspace held another text.
        let mut workspace = Workspace::new(NAME);
        let fresh = answer(workspace.mesh(config), request.as_ref());
        assert!(fresh == expected, "{}:\n{}", path.display(), first_difference(&expected, &fresh));
        workspace.mesh("apiVersion: v1\nkind: Namespace\n---\n# only this\n");
        let again = answer(workspace.mesh(config), request.as_ref());
        assert!(
            again == expected,
            "{} (2nd):\n{}",
            path.display(),
            first_difference(&expected, &again)
        );
        checked += 1;
    }
    assert!(checked > 400);
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random edit of `text`, at a character boundary: typing, deleting, a new document marker,
/// moving a line, or YAML that breaks the reader (an open bracket, a tab, a directive).
fn edit(text: &str, rng: &mut Rng) -> String {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let at = boundaries[rng.below(boundaries.len())];
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut out = text.to_string();
    match rng.below(12) {
        0..=3 => {
            let typed =
                ["x", "1", " ", ":", "-", "é", "\n", "#", "*", "\"", "v2", "api.example.com"];
            out.insert_str(at, typed[rng.below(typed.len())]);
        }
        4..=5 => {
            let end = boundaries
                .iter()
                .copied()
                .find(|&b| b >= at + 1 + rng.below(40))
                .unwrap_or(text.len());
            out.replace_range(at..end, "");
        }
        6 => out.insert_str(line_start, "---\n"),
        7 => out.insert_str(line_start, "# a comment\n"),
        8 => {
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[line_start..end].to_string();
            out.insert_str(line_start, &line);
        }
        9 => out.insert(at, '['),
        10 => out.insert_str(line_start, ["\t", "%YAML 1.2\n", "...\n", "\u{1}"][rng.below(4)]),
        _ => {
            // A comment at the top of the first document after a marker: every later part moves.
            out = text.replacen("\n---\n", "\n---\n# moved\n", 1);
        }
    }
    out
}

#[test]
fn random_edits_read_the_same_in_a_workspace() {
    let files = case_files();
    let texts: Vec<String> =
        files.iter().map(|path| std::fs::read_to_string(path).unwrap_or_default()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut steps, mut incremental) = (0, 0);
    for _ in 0..40 {
        // A configuration of several cases; the request of the first explain case among them.
        let mut request = None;
        let mut pieces = Vec::new();
        for _ in 0..6 {
            let (config, case_request) = config_and_request(&texts[rng.below(texts.len())]);
            request = request.or(case_request);
            pieces.push(config.trim_end().to_string());
        }
        let mut text = pieces.join("\n---\n");
        let mut last_in_parts = text.clone();
        let mut workspace = Workspace::new(NAME);
        for _ in 0..40 {
            // Edits that break the YAML pile up; an editor's user fixes them, so most of the
            // time go back to the last text that was read in parts (the cache must survive).
            let read_whole = workspace.mesh(&text).config().sources.len() <= 1;
            if read_whole && rng.below(8) != 0 {
                text = last_in_parts.clone();
            }
            text = edit(&text, &mut rng);
            let expected = whole(&text, request.as_ref());
            let actual = answer(workspace.mesh(&text), request.as_ref());
            assert!(
                actual == expected,
                "after {steps} edits, on:\n{text}\n{}",
                first_difference(&expected, &actual)
            );
            steps += 1;
            if workspace.mesh(&text).config().sources.len() > 1 {
                incremental += 1;
                last_in_parts = text.clone();
            }
        }
    }
    // Most edits keep the text cuttable, so the parts, not the fallback, are what was compared.
    assert!(incremental * 2 > steps, "only {incremental} of {steps} edits were read in parts");
}
