//! Bad and hostile input: each is answered in bounded time, without a panic, by a clear diagnostic.
//!
//! The harness in `support` enforces the deadline and the absence of "panicked" on every run.

use serde_json::Value;

use crate::support::{Run, Scratch, assert_at, service_entry};

/// Lints one file written into a fresh scratch dir and returns the JSON run.
fn lint_one(label: &str, name: &str, bytes: impl AsRef<[u8]>) -> Run {
    let scratch = Scratch::new(label);
    scratch.write(name, bytes);
    scratch.run(&["lint", "--format", "json", name])
}

/// The first error diagnostic, with the whole output in the failure message.
fn first_error(run: &Run) -> Value {
    run.diagnostics()
        .into_iter()
        .find(|diag| diag["severity"] == "error")
        .unwrap_or_else(|| panic!("no error reported:\n{}", run.stdout))
}

/// A deterministic pseudo-random byte stream (Knuth's MMIX LCG, high bits).
fn garbage(len: usize, mask: u8) -> Vec<u8> {
    let mut state: u64 = 0x5eed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8 & mask
        })
        .collect()
}

#[test]
fn an_empty_file_is_a_warning() {
    let run = lint_one("empty", "empty.yaml", "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_at(&run.only("MR0010"), "MR0010", "warning", 1, 1);
}

#[test]
fn ten_thousand_service_entries_lint_clean() {
    let documents: Vec<String> =
        (0..10_000).map(|index| service_entry(&format!("svc-{index}"), "")).collect();
    let run = lint_one("many", "many.yaml", documents.join("---\n"));
    assert_eq!(run.code, 0, "{}", &run.stdout[..run.stdout.len().min(2000)]);
    assert_eq!(run.json()["summary"]["errors"], 0);
}

#[test]
fn ten_megabytes_of_random_bytes_are_rejected() {
    // Every byte value, so the file is (almost certainly at once) invalid UTF-8.
    let run = lint_one("garbage", "garbage.yaml", garbage(10 * 1024 * 1024, 0xff));
    assert_eq!(run.code, 1, "{run:?}");
    let diag = run.only("MR0002");
    assert_eq!(diag["severity"], "error");
    assert!(diag["line"].is_u64() && diag["column"].is_u64(), "{diag}");
}

#[test]
fn ten_megabytes_of_random_ascii_are_rejected() {
    // Seven-bit bytes are valid UTF-8, so this garbage reaches the YAML parser itself: printable
    // text mixed with control characters it must refuse.
    let run = lint_one("garbage-ascii", "garbage.yaml", garbage(10 * 1024 * 1024, 0x7f));
    assert_eq!(run.code, 1, "{run:?}");
    let diag = first_error(&run);
    assert_eq!(diag["code"], "MR0001", "{diag}");
    assert!(diag["line"].is_u64() && diag["column"].is_u64(), "{diag}");
}

#[test]
fn an_alias_bomb_is_defused() {
    // "Billion laughs": ten levels of ten aliases each would expand to 10^10 nodes.
    let mut yaml = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
        yaml.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
    }
    let run = lint_one("alias-bomb", "bomb.yaml", yaml);
    assert_eq!(run.code, 1, "{run:?}");
    let diag = run.only("MR0004");
    assert_eq!(diag["severity"], "error");
    assert!(diag["line"].as_u64().is_some_and(|line| (2..=10).contains(&line)), "{diag}");
}

/// Deep nesting is refused as too deep (MR0003) or by the parser's own limit (MR0001).
fn assert_too_deep(run: &Run) -> Value {
    assert_eq!(run.code, 1, "{run:?}");
    let diag = first_error(run);
    assert!(matches!(diag["code"].as_str(), Some("MR0001" | "MR0003")), "{diag}");
    diag
}

#[test]
fn ten_thousand_nested_flow_sequences_are_refused() {
    let yaml = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let diag = assert_too_deep(&lint_one("deep-flow", "deep.yaml", yaml));
    assert_eq!(diag["line"], 1);
}

#[test]
fn ten_thousand_nested_block_mappings_are_refused() {
    // One more space of indentation per level is the least block nesting can take, so 10,000
    // levels make 50 MB: under the 64 MiB limit, and the slowest input of this suite.
    let mut yaml = Vec::with_capacity(50_100_000);
    for depth in 0..10_000 {
        yaml.resize(yaml.len() + depth, b' ');
        yaml.extend_from_slice(b"a:\n");
    }
    let diag = assert_too_deep(&lint_one("deep-block", "deep.yaml", yaml));
    // On line n the key sits in column n: the finding must point at one of the keys.
    assert!(diag["line"].as_u64().is_some_and(|line| line > 1), "{diag}");
    assert_eq!(diag["line"], diag["column"], "{diag}");
}

#[test]
fn ten_thousand_nested_block_sequences_are_refused() {
    let yaml = format!("{}x\n", "- ".repeat(10_000));
    let diag = assert_too_deep(&lint_one("deep-seq", "deep.yaml", yaml));
    assert_eq!(diag["line"], 1);
}

#[test]
fn invalid_utf8_is_located() {
    let mut yaml = service_entry("stripe-api", "").into_bytes();
    // Inside a value on line 8: `  - stripe-api.example.com` becomes `  - st\xff\xferipe...`.
    let at = yaml.windows(6).position(|window| window == b"  - st").expect("hosts item") + 6;
    yaml.splice(at..at, [0xff, 0xfe]);
    let run = lint_one("utf8", "se.yaml", yaml);
    assert_eq!(run.code, 1, "{run:?}");
    assert_at(&run.only("MR0002"), "MR0002", "error", 8, 7);
}

#[test]
fn tabs_as_indentation_are_a_syntax_error_on_their_line() {
    let yaml = service_entry("stripe-api", "").replace("  location:", "\tlocation:");
    let run = lint_one("tabs", "se.yaml", yaml);
    assert_eq!(run.code, 1, "{run:?}");
    let diag = run.only("MR0001");
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["line"], 9, "{diag}");
}

#[test]
fn duplicate_keys_are_reported_at_the_second_key() {
    let run = lint_one("dup", "se.yaml", service_entry("stripe-api", "  resolution: STATIC\n"));
    assert_eq!(run.code, 1, "{run:?}");
    assert_at(&run.only("MR0005"), "MR0005", "error", 15, 3);
}

#[test]
fn scalars_where_maps_or_lists_belong_are_wrong_types_at_each_level() {
    let yaml = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: 5
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: a
spec: \"x\"
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: b
  labels: \"x\"
spec:
  hosts: b.example.com
  ports: [ \"x\" ]
  endpoints: [42]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: c
spec:
  hosts: [c.example.com]
  resolution: STATIC
  ports:
  - number: http
    name: 5
  endpoints:
  - address: 10.0.0.1
    labels: \"x\"
    ports: [1]
  workloadSelector: 7
";
    let run = lint_one("wrong-types", "se.yaml", yaml);
    assert_eq!(run.code, 1, "{run:?}");
    let diagnostics = run.diagnostics();
    let mut found: Vec<(Option<&str>, u64, u64)> = Vec::new();
    for diag in diagnostics.iter().filter(|diag| diag["code"] == "MR0021") {
        assert_eq!(diag["severity"], "error", "{diag}");
        let line = diag["line"].as_u64().expect("located");
        let column = diag["column"].as_u64().expect("located");
        found.push((diag["path"].as_str(), line, column));
    }
    let expected = [
        (3, 11, None),
        (9, 7, Some("spec")),
        (15, 11, Some("metadata.labels")),
        (17, 10, Some("spec.hosts")),
        (18, 12, Some("spec.ports[0]")),
        (19, 15, Some("spec.endpoints[0]")),
        (29, 13, Some("spec.ports[0].number")),
        (30, 11, Some("spec.ports[0].name")),
        (33, 13, Some("spec.endpoints[0].labels")),
        (34, 12, Some("spec.endpoints[0].ports")),
        (35, 21, Some("spec.workloadSelector")),
    ];
    for (line, column, path) in expected {
        assert!(
            found
                .iter()
                .any(|&(p, l, c)| (l, c) == (line, column) && (path.is_none() || p == path)),
            "no MR0021 at {line}:{column} ({path:?}); found {found:?}"
        );
    }
}

#[test]
fn a_port_number_too_large_for_any_integer_is_out_of_range() {
    let yaml =
        service_entry("stripe-api", "").replace("number: 443", "number: 99999999999999999999");
    let run = lint_one("big-port", "se.yaml", yaml);
    assert_eq!(run.code, 1, "{run:?}");
    let diag = run.only("MR0023");
    assert_at(&diag, "MR0023", "error", 12, 13);
    assert_eq!(diag["path"], "spec.ports[0].number");
}

#[test]
fn a_document_that_is_a_list_is_not_a_resource() {
    let run = lint_one("list", "list.yaml", "- a\n- b\n");
    assert_eq!(run.code, 1, "{run:?}");
    assert_at(&run.only("MR0011"), "MR0011", "error", 1, 1);
}

#[test]
fn a_span_past_the_end_of_the_text_is_clamped() {
    // Found by `cargo fuzz` (fuzz/regressions/configmap-mesh-span-past-end.yaml): the core maps a
    // syntax error at the end of a ConfigMap's `data.mesh` block one byte past the end of the
    // file. The excerpt must clamp it rather than slice out of bounds.
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n name: istio\ndata:\n mesh: |\n  {";
    let scratch = Scratch::new("span-past-end");
    scratch.write("mesh.yaml", yaml);
    let run = scratch.run(&["lint", "mesh.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.starts_with("error[MR0001] data.mesh (mesh.yaml:7:"), "{}", run.stdout);
    assert!(run.stdout.contains("\n7 |   {\n"), "{}", run.stdout);
}
