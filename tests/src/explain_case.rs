//! Explain cases: a mesh configuration followed by one `kind: ExplainCase` document that holds a
//! request and the facts its explanation must show (`tests/cases/explain/README.md`).
//!
//! This module splits a case file, turns the case document into JSON, compares the expectation
//! with the engine's answer as a subset, and checks the optional diagnostics and simulation. The
//! explain harness (`tests/explain.rs`) runs every case through it; other tests reuse the pieces.
//! With `EXPLAIN_DUMP=<dir>` set, every actual explanation is also written to `<dir>` as JSON.

use meshroute_core::Source;
use meshroute_core::yaml::{self, Node, NodeKind, ScalarValue};
use serde_json::{Map, Number, Value};

/// How far a simulated share may stray from the expected one.
pub const SHARE_TOLERANCE: f64 = 0.05;

/// A parsed case file: the configuration text and the case document.
#[derive(Clone, Debug)]
pub struct ExplainCase<'a> {
    /// Everything before the last `---` line, so line numbers are the file's own.
    pub config: &'a str,
    pub request: Value,
    pub expect: Value,
    pub expect_diagnostics: Vec<String>,
    pub simulate: Option<SimulateExpect>,
}

/// The optional `simulate` block of a case.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulateExpect {
    pub n: u32,
    pub seed: u64,
    /// Expected fraction of requests per cluster.
    pub shares: Vec<(String, f64)>,
    /// `Some(true)`: every simulated caller stayed on one endpoint; `Some(false)`: at least one did not.
    pub sticky: Option<bool>,
}

/// Splits a case file at its last line starting with `---`: (configuration, case document).
/// A file without such a line is a case document with no configuration.
pub fn split_case(text: &str) -> (&str, &str) {
    let mut offset = 0;
    let mut split = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            split = Some((offset, offset + line.len()));
        }
        offset += line.len();
    }
    match split {
        Some((start, end)) => (&text[..start], &text[end..]),
        None => ("", text),
    }
}

/// The JSON value of a YAML node: scalars follow the YAML 1.2 core schema (null, booleans,
/// integers, floats, everything else a string); mapping keys are always strings.
pub fn yaml_to_json(node: &Node<'_>) -> Value {
    match &node.kind {
        NodeKind::Scalar(scalar) => match scalar.value() {
            ScalarValue::Null => Value::Null,
            ScalarValue::Bool(b) => Value::Bool(b),
            ScalarValue::Int(i) => {
                if let Ok(v) = i64::try_from(i) {
                    Value::Number(v.into())
                } else if let Ok(v) = u64::try_from(i) {
                    Value::Number(v.into())
                } else {
                    Number::from_f64(i as f64)
                        .map_or_else(|| Value::String(i.to_string()), Value::Number)
                }
            }
            ScalarValue::Float(f) => Number::from_f64(f)
                .map_or_else(|| Value::String(scalar.text.to_string()), Value::Number),
            ScalarValue::Str(s) => Value::String(s.to_string()),
        },
        NodeKind::Seq(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        NodeKind::Map(entries) => {
            let mut map = Map::new();
            for entry in entries {
                let key = match &entry.key.kind {
                    NodeKind::Scalar(scalar) => scalar.text.to_string(),
                    _ => yaml_to_json(&entry.key).to_string(),
                };
                map.insert(key, yaml_to_json(&entry.value));
            }
            Value::Object(map)
        }
    }
}

/// Parses one YAML document (the case document) into JSON.
pub fn document_json(text: &str) -> Result<Value, String> {
    let (documents, errors) = yaml::parse(text);
    if let Some(error) = errors.first() {
        return Err(format!("case document: {}", error.message));
    }
    let mut roots = documents.iter().filter_map(|d| d.root.as_ref());
    let root = roots.next().ok_or("the case document is empty")?;
    if roots.next().is_some() {
        return Err("the case part holds more than one document".into());
    }
    Ok(yaml_to_json(root))
}

impl<'a> ExplainCase<'a> {
    /// Splits and reads a case file.
    pub fn parse(text: &'a str) -> Result<ExplainCase<'a>, String> {
        let (config, case_text) = split_case(text);
        let doc = document_json(case_text)?;
        let obj = doc.as_object().ok_or("the case document is not a mapping")?;
        if obj.get("kind").and_then(Value::as_str) != Some("ExplainCase") {
            return Err("the last document must have `kind: ExplainCase`".into());
        }
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "kind" | "request" | "expect" | "expect_diagnostics" | "simulate"
            ) {
                return Err(format!("unknown key `{key}` in the case document"));
            }
        }
        let request = obj.get("request").cloned().ok_or("the case has no `request`")?;
        let expect = obj.get("expect").cloned().ok_or("the case has no `expect`")?;
        if !expect.is_object() {
            return Err("`expect` must be a mapping".into());
        }
        let expect_diagnostics = match obj.get("expect_diagnostics") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(codes)) => codes
                .iter()
                .map(|c| c.as_str().map(str::to_string).ok_or("`expect_diagnostics` lists codes"))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("`expect_diagnostics` must be a list of codes".into()),
        };
        let simulate = match obj.get("simulate") {
            None | Some(Value::Null) => None,
            Some(value) => Some(parse_simulate(value)?),
        };
        Ok(ExplainCase { config, request, expect, expect_diagnostics, simulate })
    }
}

fn parse_simulate(value: &Value) -> Result<SimulateExpect, String> {
    let obj = value.as_object().ok_or("`simulate` must be a mapping")?;
    let n =
        obj.get("n").and_then(Value::as_u64).ok_or("`simulate.n` must be a positive integer")?;
    let seed =
        obj.get("seed").and_then(Value::as_u64).ok_or("`simulate.seed` must be an integer")?;
    let mut shares = Vec::new();
    if let Some(map) = obj.get("shares") {
        for (cluster, share) in map.as_object().ok_or("`simulate.shares` must be a mapping")? {
            let share = share.as_f64().ok_or("a share must be a number")?;
            shares.push((cluster.clone(), share));
        }
    }
    let sticky = match obj.get("sticky") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err("`simulate.sticky` must be a boolean".into()),
    };
    for key in obj.keys() {
        if !matches!(key.as_str(), "n" | "seed" | "shares" | "sticky") {
            return Err(format!("unknown key `simulate.{key}`"));
        }
    }
    Ok(SimulateExpect {
        n: u32::try_from(n).map_err(|_| "`simulate.n` is too large")?,
        seed,
        shares,
        sticky,
    })
}

/// The first place where `actual` does not contain `expected`: (JSON path, expected, actual).
///
/// Objects match when every expected key is present with a matching value; lists must have the
/// same length and match element by element; numbers compare numerically.
pub fn subset_diff(expected: &Value, actual: &Value) -> Option<(String, Value, Value)> {
    diff_at("$", expected, actual)
}

fn diff_at(path: &str, expected: &Value, actual: &Value) -> Option<(String, Value, Value)> {
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            for (key, value) in exp {
                let child = format!("{path}.{key}");
                match act.get(key) {
                    Some(actual_value) => {
                        if let Some(diff) = diff_at(&child, value, actual_value) {
                            return Some(diff);
                        }
                    }
                    None => return Some((child, value.clone(), Value::String("<absent>".into()))),
                }
            }
            None
        }
        (Value::Array(exp), Value::Array(act)) => {
            if exp.len() != act.len() {
                return Some((
                    format!("{path} (length {} expected, {} actual)", exp.len(), act.len()),
                    expected.clone(),
                    actual.clone(),
                ));
            }
            exp.iter()
                .zip(act)
                .enumerate()
                .find_map(|(i, (e, a))| diff_at(&format!("{path}[{i}]"), e, a))
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            let close = (e - a).abs() <= 1e-6 * e.abs().max(1.0);
            (!close).then(|| (path.to_string(), expected.clone(), actual.clone()))
        }
        _ => (expected != actual).then(|| (path.to_string(), expected.clone(), actual.clone())),
    }
}

/// The diagnostic codes an explanation carries.
pub fn diagnostic_codes(explanation: &Value) -> Vec<String> {
    explanation
        .get("diagnostics")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| d.get("code").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a simulation result against the case's `simulate` block; `Err` says what is off.
pub fn check_simulation(expect: &SimulateExpect, result: &Value) -> Result<(), String> {
    let total = result.get("n").and_then(Value::as_f64).unwrap_or(f64::from(expect.n));
    let counts: Vec<(String, f64)> = result
        .get("destinations")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| {
                    Some((d.get("cluster")?.as_str()?.to_string(), d.get("count")?.as_f64()?))
                })
                .collect()
        })
        .unwrap_or_default();
    for (cluster, share) in &expect.shares {
        let count: f64 = counts.iter().filter(|(c, _)| c == cluster).map(|(_, n)| n).sum();
        let got = if total > 0.0 { count / total } else { 0.0 };
        if (got - share).abs() > SHARE_TOLERANCE {
            return Err(format!(
                "simulate: cluster `{cluster}` got {got:.3} of the requests, expected {share} ± {SHARE_TOLERANCE}"
            ));
        }
    }
    if let Some(sticky) = expect.sticky {
        let clients = result.get("clients").and_then(Value::as_u64);
        let sticky_clients = result.get("sticky_clients").and_then(Value::as_u64);
        let (Some(clients), Some(sticky_clients)) = (clients, sticky_clients) else {
            return Err("simulate: the result lacks `clients` or `sticky_clients`".into());
        };
        let all = sticky_clients == clients;
        if all != sticky {
            return Err(format!(
                "simulate: {sticky_clients} of {clients} callers stayed on one endpoint, expected {}",
                if sticky { "all" } else { "not all" }
            ));
        }
    }
    Ok(())
}

/// Runs one case file through `meshroute_wire::explain` (and `simulate`); `Err` is the report.
pub fn run_case(name: &str, text: &str) -> Result<(), String> {
    let case = ExplainCase::parse(text).map_err(|why| format!("{name}: {why}"))?;
    let sources = [Source { name, bytes: case.config.as_bytes() }];
    let actual = meshroute_wire::explain(&sources, &case.request)
        .map_err(|why| format!("{name}: the request was refused: {why}"))?;
    let pretty = || serde_json::to_string_pretty(&actual).unwrap_or_default();
    if let Some(dir) = std::env::var_os("EXPLAIN_DUMP") {
        // Debugging aid: keep every actual explanation for reading, named after the case.
        let file =
            std::path::Path::new(&dir).join(format!("{}.json", name.replace(['/', '\\'], "__")));
        let _ = std::fs::write(file, pretty());
    }
    // Every face relies on the documented shape: check the request and the answer against it.
    let schema_errors = |what: &str, schema: &str, value: &Value| {
        crate::schema::validate(&crate::schema::contract_schema(schema), value)
            .map_err(|errors| format!("{name}: the {what} breaks {schema}.schema.json: {errors:?}"))
    };
    schema_errors("request", "request", &case.request)?;
    schema_errors("explanation", "explanation", &actual)?;
    check_fast_path(name, &sources, &case.request, &actual)?;
    if let Some((path, expected, got)) = subset_diff(&case.expect, &actual) {
        return Err(format!(
            "{name}: explanation differs at {path}\n  expected: {expected}\n  actual:   {got}\n--- actual explanation\n{}",
            pretty()
        ));
    }
    let codes = diagnostic_codes(&actual);
    let missing: Vec<&String> =
        case.expect_diagnostics.iter().filter(|code| !codes.contains(code)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "{name}: diagnostics {missing:?} expected among {codes:?}\n--- actual explanation\n{}",
            pretty()
        ));
    }
    if let Some(sim) = &case.simulate {
        let result = meshroute_wire::simulate(&sources, &case.request, sim.n, sim.seed)
            .map_err(|why| format!("{name}: simulate refused the request: {why}"))?;
        schema_errors("simulation", "simulation", &result)?;
        check_simulation(sim, &result).map_err(|why| {
            format!(
                "{name}: {why}\n--- actual simulation\n{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            )
        })?;
    }
    Ok(())
}

/// The Envoy filter calls `Mesh::classify`, which skips the story; it must still reach the same
/// decision as the full explanation.
fn check_fast_path(
    name: &str,
    sources: &[Source<'_>],
    request: &Value,
    explanation: &Value,
) -> Result<(), String> {
    let mesh = meshroute_wire::build_mesh(sources);
    let request = meshroute_wire::parse_request(request).map_err(|why| format!("{name}: {why}"))?;
    let fast = mesh.classify(&request);
    let entry = fast.service_entry.map(|e| {
        serde_json::json!({"namespace": e.namespace, "name": e.name, "host": e.host, "match": e.match_kind.as_str()})
    });
    let route = fast
        .virtual_service
        .map(|r| serde_json::json!({"namespace": r.namespace, "name": r.name, "route": r.route}));
    let got = serde_json::json!({
        "outcome": fast.outcome.as_str(),
        "http_status": fast.http_status,
        "cluster": fast.cluster,
        "subset": fast.subset,
        "service_entry": entry,
        "virtual_service": route,
    });
    match subset_diff(&got, explanation) {
        None => Ok(()),
        Some((path, fast, full)) => Err(format!(
            "{name}: the fast path disagrees with the explanation at {path}: classify says {fast}, explain says {full}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_separator() {
        let text = "a: 1\n---\nb: 2\n---\nkind: ExplainCase\n";
        assert_eq!(split_case(text), ("a: 1\n---\nb: 2\n", "kind: ExplainCase\n"));
        assert_eq!(split_case("kind: ExplainCase\n"), ("", "kind: ExplainCase\n"));
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let v = document_json("a: null\nb: true\nc: 80\nd: 2.5\ne: 10s\nf: \"80\"\ng: 10.0.0.1\n")
            .expect("parses");
        assert_eq!(
            v,
            serde_json::json!({"a": null, "b": true, "c": 80, "d": 2.5, "e": "10s", "f": "80", "g": "10.0.0.1"})
        );
    }

    #[test]
    fn subset_rules() {
        let actual = serde_json::json!({"a": 1.0, "b": [{"x": 1, "y": 2}], "c": null});
        assert!(subset_diff(&serde_json::json!({"a": 1, "b": [{"x": 1}]}), &actual).is_none());
        assert!(subset_diff(&serde_json::json!({"b": []}), &actual).is_some());
        assert!(subset_diff(&serde_json::json!({"d": null}), &actual).is_some());
        let (path, _, _) =
            subset_diff(&serde_json::json!({"b": [{"y": 3}]}), &actual).expect("differs");
        assert_eq!(path, "$.b[0].y");
    }
}
