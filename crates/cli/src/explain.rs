//! `meshroute explain`: what the sidecar does with one request, told as a short story.
//!
//! The engine's answer is the explanation JSON of `crates/wire/CONTRACT.md`; `--format json`
//! prints it untouched, and the text story is rendered from that JSON alone, never from the
//! engine's Rust types, so it shows exactly what every other face shows. A field missing or of an
//! unexpected type is skipped rather than trusted: the story degrades, it does not panic.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use meshroute_core::Config;
use serde_json::Value;

use crate::render::{self, Format, Style, clean};
use crate::request::{self, RequestArgs};

/// Explain what the sidecar does with one outbound request.
///
/// Loads the configuration, follows the request through listener, route, cluster and endpoints
/// the way Envoy would with what istiod generates, and prints each step with the YAML that
/// decided it. Problems in the configuration do not stop the explanation; the findings on the
/// resources the request touched are listed after it.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  meshroute explain -f egress/ --from payments --host api.stripe.com --protocol tls
  meshroute explain -f mesh.yaml --host geo.example.com --cookie session=u1 --format json

Exit status:
  0  the request was explained, whatever happens to it
  2  an input could not be read, or the command line or request was invalid

Colours are used only when stdout is a terminal and NO_COLOR is not set.")]
pub(crate) struct ExplainArgs {
    /// Output format: `text` for people, `json` for tools (the explanation object on one line).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    #[command(flatten)]
    request: RequestArgs,
}

pub(crate) fn run(args: &ExplainArgs) -> ExitCode {
    let prepared = match request::prepare(&args.request, "explain") {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let sources = prepared.sources();
    let explanation = match meshroute_wire::explain(&sources, &prepared.request) {
        Ok(explanation) => explanation,
        Err(error) => {
            return crate::usage_error("explain", &format!("invalid request: {error}"));
        }
    };
    match args.format {
        Format::Json => render::to_stdout(|mut out| {
            serde_json::to_writer(&mut out, &explanation)?;
            writeln!(out)
        }),
        Format::Text => {
            // The contract's refs carry kind, name and line; with several inputs a line alone is
            // ambiguous. The engine adds each ref's file today; should one come without, the
            // configuration is loaded a second time to find it.
            let files = if refs_lack_files(&explanation) {
                Files::new(&meshroute_core::load(&sources).0)
            } else {
                Files::default()
            };
            let headline = args.request.headline();
            render::to_stdout(|mut out| {
                story(&mut out, &headline, &explanation, &files, Style::for_stdout())
            })
        }
    }
}

/// Whether some step's ref does not name its input file.
fn refs_lack_files(explanation: &Value) -> bool {
    array(explanation, "steps")
        .iter()
        .flat_map(|step| array(step, "refs"))
        .any(|reference| !reference.get("file").is_some_and(Value::is_string))
}

/// Where each loaded resource sits: which input and which lines.
#[derive(Debug, Default)]
pub(crate) struct Files {
    resources: Vec<Placed>,
}

#[derive(Debug)]
struct Placed {
    kind: &'static str,
    namespace: String,
    name: String,
    file: String,
    lines: (u32, u32),
}

impl Files {
    pub(crate) fn new(config: &Config) -> Files {
        let resources = config
            .resources
            .iter()
            .filter_map(|resource| {
                let source = config.sources.get(resource.source.0 as usize)?;
                let line = |offset| source.line_col(offset).line;
                Some(Placed {
                    kind: resource.kind.as_str(),
                    namespace: resource.namespace.value.clone(),
                    name: resource.name.value.clone(),
                    file: source.name.clone(),
                    lines: (line(resource.span.start), line(resource.span.end)),
                })
            })
            .collect();
        Files { resources }
    }

    /// The input holding the resource a ref names: its `file` when it has one, else the one
    /// input that holds a resource of the same kind, namespace and name around the ref's line.
    fn of<'a>(&'a self, reference: &'a Value) -> Option<&'a str> {
        if let Some(file) = reference.get("file").and_then(Value::as_str) {
            return Some(file);
        }
        let field = |key: &str| reference.get(key).and_then(Value::as_str);
        let line = reference.get("line").and_then(Value::as_u64);
        let mut files = self.resources.iter().filter(|placed| {
            field("kind") == Some(placed.kind)
                && field("namespace").is_none_or(|namespace| namespace == placed.namespace)
                && field("name").is_none_or(|name| name == placed.name)
                && line.is_none_or(|line| {
                    (u64::from(placed.lines.0)..=u64::from(placed.lines.1)).contains(&line)
                })
        });
        let first = files.next()?;
        files.all(|other| other.file == first.file).then_some(first.file.as_str())
    }
}

/// Width of the labels of the result block.
const LABEL_WIDTH: usize = 18;

/// Endpoints listed before the rest are summarised as a count.
const MAX_ENDPOINTS_SHOWN: usize = 8;

/// Writes the explanation as a story: the request, one line per step, the result, the findings.
pub(crate) fn story(
    out: &mut impl Write,
    headline: &str,
    explanation: &Value,
    files: &Files,
    style: Style,
) -> io::Result<()> {
    writeln!(out, "{}", style.paint("1", headline))?;
    writeln!(out)?;
    steps(out, explanation, files, style)?;
    writeln!(out)?;
    result(out, explanation, style)?;
    let diagnostics = array(explanation, "diagnostics");
    if !diagnostics.is_empty() {
        writeln!(out)?;
        render::json_diagnostics_text(out, diagnostics, style)?;
    }
    Ok(())
}

fn steps(out: &mut impl Write, explanation: &Value, files: &Files, style: Style) -> io::Result<()> {
    let steps = array(explanation, "steps");
    let width = steps.iter().map(|step| text(step, "stage").chars().count()).max().unwrap_or(0);
    for step in steps {
        let mark = match step.get("outcome").and_then(Value::as_str) {
            Some("pass") => style.paint("32", "✓"),
            Some("fail") => style.paint("1;31", "✗"),
            Some("skip") => style.paint("2", "–"),
            Some("info") => style.paint("36", "·"),
            _ => "?".into(),
        };
        let stage = format!("{:width$}", text(step, "stage"));
        let mut line = format!("  {mark} {}  {}", style.paint("1", &stage), text(step, "summary"));
        if let Some(reference) = array(step, "refs").first() {
            line.push_str(&style.paint("2", &format!("  — {}", reference_text(reference, files))));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// `VirtualService payments/stripe spec.http[0] (vs.yaml:12)`; `(line 12)` when the input
/// cannot be told.
fn reference_text(reference: &Value, files: &Files) -> String {
    let field = |key: &str| reference.get(key).and_then(Value::as_str).map(clean);
    let mut parts = Vec::new();
    parts.extend(field("kind"));
    match (field("namespace"), field("name")) {
        (Some(namespace), Some(name)) => parts.push(format!("{namespace}/{name}").into()),
        (None, Some(name)) => parts.push(name),
        _ => {}
    }
    parts.extend(field("path"));
    let line = reference.get("line").and_then(Value::as_u64);
    match (files.of(reference), line) {
        (Some(file), Some(line)) => parts.push(format!("({}:{line})", clean(file)).into()),
        (Some(file), None) => parts.push(format!("({})", clean(file)).into()),
        (None, Some(line)) => parts.push(format!("(line {line})").into()),
        (None, None) => {}
    }
    parts.join(" ")
}

fn result(out: &mut impl Write, explanation: &Value, style: Style) -> io::Result<()> {
    let mut row = |label: &str, value: &str| -> io::Result<()> {
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        writeln!(out, "  {}{first}", style.paint("1", &format!("{label:LABEL_WIDTH$}")))?;
        for line in lines {
            writeln!(out, "  {:LABEL_WIDTH$}{line}", "")?;
        }
        Ok(())
    };

    let outcome_name = text(explanation, "outcome");
    let outcome = outcome_name.clone();
    let status = explanation.get("http_status").and_then(Value::as_u64);
    let flag = explanation.get("response_flag").and_then(Value::as_str).map(clean);
    let outcome = match (status, flag) {
        (Some(status), Some(flag)) => format!("{outcome} (HTTP {status} {flag})"),
        (Some(status), None) => format!("{outcome} (HTTP {status})"),
        (None, Some(flag)) => format!("{outcome} ({flag})"),
        (None, None) => outcome,
    };
    let color = if matches!(outcome.as_str(), "routed" | "passthrough") { "1;32" } else { "1;31" };
    row("outcome", &style.paint(color, &outcome))?;

    if let Some(entry) = object(explanation, "service_entry") {
        let matched = match text(entry, "match").as_str() {
            "exact" => "exact host".to_string(),
            "wildcard" => "wildcard host".to_string(),
            "address" => "address".to_string(),
            "port" => "port".to_string(),
            other => other.to_string(),
        };
        let value = format!("{} ({matched} match on {})", qualified(entry), text(entry, "host"));
        row("service entry", &value)?;
    }
    if let Some(service) = object(explanation, "virtual_service") {
        // `section` and `route_name` are the engine's additions to the contract; without them
        // the index alone still says which entry.
        let section = service.get("section").and_then(Value::as_str).map(clean);
        let route = match (service.get("route").and_then(Value::as_u64), section) {
            (Some(index), Some(section)) => format!("route {section}[{index}]"),
            (Some(index), None) => format!("route {index}"),
            (None, _) => "no route matched".to_string(),
        };
        let route = match service.get("route_name").and_then(Value::as_str) {
            Some(name) => format!("{route} \"{}\"", clean(name)),
            None => route,
        };
        row("virtual service", &format!("{}, {route}", qualified(service)))?;
    }
    if let Some(rule) = object(explanation, "destination_rule") {
        row("destination rule", &qualified(rule))?;
    }

    let cluster = explanation.get("cluster").and_then(Value::as_str);
    let value = match cluster {
        Some(cluster) => {
            let mut value = clean(cluster).into_owned();
            if let Some(kind) = explanation.get("envoy_cluster_type").and_then(Value::as_str) {
                value.push_str(&format!(" ({})", clean(kind)));
            }
            if explanation.get("cluster_exists") == Some(&Value::Bool(false)) {
                value.push_str(&style.paint("1;31", " — istiod generates no such cluster"));
            }
            value
        }
        None => "none".to_string(),
    };
    row("cluster", &value)?;

    let destinations = array(explanation, "destinations");
    if destinations.len() > 1 {
        let percents: Vec<String> = destinations
            .iter()
            .map(|destination| match destination.get("percent").and_then(Value::as_f64) {
                Some(percent) if percent.fract() == 0.0 => format!("{percent:.0}%"),
                Some(percent) => format!("{percent:.1}%"),
                None => "?%".to_string(),
            })
            .collect();
        let width = percents.iter().map(String::len).max().unwrap_or(0);
        let lines: Vec<String> = destinations
            .iter()
            .zip(&percents)
            .map(|(destination, percent)| {
                let weight = number(destination, "weight");
                format!("{percent:>width$}  {} (weight {weight})", text(destination, "cluster"))
            })
            .collect();
        row("destinations", &lines.join("\n"))?;
    }

    if cluster.is_some() {
        let endpoints = array(explanation, "endpoints");
        let mut lines: Vec<String> =
            endpoints.iter().take(MAX_ENDPOINTS_SHOWN).map(endpoint_text).collect();
        if endpoints.len() > MAX_ENDPOINTS_SHOWN {
            lines.push(format!("… and {} more", endpoints.len() - MAX_ENDPOINTS_SHOWN));
        }
        if lines.is_empty() {
            lines.push("none".to_string());
        }
        row("endpoints", &lines.join("\n"))?;
    }
    if let Some(balancer) = explanation.get("load_balancer").and_then(Value::as_str) {
        row("load balancer", &clean(balancer))?;
    }
    if let Some(hash) = object(explanation, "hash") {
        row("hash", &hash_text(hash))?;
    }
    // TLS origination is a property of a routed cluster; passthrough and blackhole have none.
    if outcome_name == "routed" {
        let tls = match object(explanation, "tls_origination") {
            Some(tls) => {
                let auto = tls.get("auto_sni") == Some(&Value::Bool(true));
                let mut value = match tls.get("sni").and_then(Value::as_str) {
                    Some(sni) if auto => {
                        format!("{}, SNI {} (auto SNI)", text(tls, "mode"), clean(sni))
                    }
                    Some(sni) => format!("{}, SNI {}", text(tls, "mode"), clean(sni)),
                    None if auto => format!("{}, SNI from each request's Host", text(tls, "mode")),
                    None => format!("{}, no SNI", text(tls, "mode")),
                };
                if let Some(verify) = tls.get("verify").and_then(Value::as_str) {
                    value.push_str(&format!(", verifies {}", clean(verify)));
                }
                value
            }
            None => "none".to_string(),
        };
        row("tls origination", &tls)?;
    }

    let retries = object(explanation, "retries");
    match explanation.get("timeout").and_then(Value::as_str) {
        Some(timeout) => row("timeout", &clean(timeout))?,
        // Timeouts and retries come with an HTTP route; without one, neither line says anything.
        None if retries.is_some() => row("timeout", "none")?,
        None => {}
    }
    if let Some(retries) = retries {
        let attempts = retries.get("attempts").and_then(Value::as_u64).unwrap_or(0);
        let mut value = match attempts {
            0 => "none".to_string(),
            1 => "1 attempt".to_string(),
            n => format!("{n} attempts"),
        };
        if attempts > 0 {
            if let Some(per_try) = retries.get("per_try_timeout").and_then(Value::as_str) {
                value.push_str(&format!(", {} per try", clean(per_try)));
            }
            if let Some(on) = retries.get("retry_on").and_then(Value::as_str) {
                value.push_str(&format!(", on {}", clean(on)));
            }
        }
        if retries.get("default") == Some(&Value::Bool(true)) {
            value.push_str(" (Istio's default)");
        }
        row("retries", &value)?;
    }

    if let Some(telemetry) = object(explanation, "telemetry") {
        let labels: Vec<String> =
            ["destination_service", "destination_service_name", "destination_service_namespace"]
                .into_iter()
                .map(|label| format!("{label}=\"{}\"", text(telemetry, label)))
                .collect();
        row("telemetry", &labels.join("\n"))?;
    }
    Ok(())
}

/// `10.0.0.7:443  locality us-east1/a  weight 2  {version=v1}`.
fn endpoint_text(endpoint: &Value) -> String {
    let mut value = address(endpoint);
    if let Some(locality) = endpoint.get("locality").and_then(Value::as_str) {
        value.push_str(&format!("  locality {}", clean(locality)));
    }
    if let Some(weight) = endpoint.get("weight").and_then(Value::as_u64) {
        value.push_str(&format!("  weight {weight}"));
    }
    if let Some(labels) = endpoint.get("labels").and_then(Value::as_object) {
        if !labels.is_empty() {
            let labels: Vec<String> = labels
                .iter()
                .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or("?")))
                .collect();
            value.push_str(&format!("  {{{}}}", clean(&labels.join(","))));
        }
    }
    value
}

/// `cookie session = "u1" → 10.0.0.7:443`, or what happens instead: the engine's `note`
/// when it gives one, else whether hashing pins anything at all.
fn hash_text(hash: &Value) -> String {
    let source = text(hash, "source");
    let key = match hash.get("name").and_then(Value::as_str) {
        Some(name) => format!("{} {}", source.replace('_', " "), clean(name)),
        None => source.replace('_', " "),
    };
    let effective = hash.get("effective").and_then(Value::as_bool).unwrap_or(false);
    let mut value = match hash.get("value").and_then(Value::as_str) {
        Some(value) => format!("{key} = \"{}\"", clean(value)),
        None => format!("{key}, not in the request"),
    };
    match object(hash, "endpoint") {
        Some(endpoint) if effective => value.push_str(&format!(" → {}", address(endpoint))),
        _ if !effective => value.push_str(": not effective, hashing cannot pin an endpoint"),
        _ => {}
    }
    if let Some(note) = hash.get("note").and_then(Value::as_str) {
        value.push_str(&format!("\n({})", clean(note)));
    }
    value
}

/// `address:port`, with IPv6 addresses in brackets; the address alone without a port.
fn address(endpoint: &Value) -> String {
    let address = text(endpoint, "address");
    match endpoint.get("port").and_then(Value::as_u64) {
        Some(port) if address.contains(':') => format!("[{address}]:{port}"),
        Some(port) => format!("{address}:{port}"),
        None => address,
    }
}

/// `namespace/name` of a resource object.
fn qualified(resource: &Value) -> String {
    format!("{}/{}", text(resource, "namespace"), text(resource, "name"))
}

/// A string field, cleaned for the terminal; `?` when absent or not a string.
fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .map_or_else(|| "?".to_string(), |s| clean(s).into_owned())
}

/// A number field as shown; `?` when absent.
fn number(value: &Value, key: &str) -> String {
    value
        .get(key)
        .filter(|value| value.is_number())
        .map_or_else(|| "?".to_string(), Value::to_string)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn object<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|value| value.is_object())
}

#[cfg(test)]
mod tests {
    use meshroute_core::Source;
    use serde_json::json;

    use super::*;

    /// The configuration the fixture explanations point into.
    const CONFIG: &str = include_str!("../tests/explain/fixtures/geo.yaml");

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/explain/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("read fixture");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    fn render(explanation: &Value, files: &Files) -> String {
        let mut out = Vec::new();
        story(
            &mut out,
            "GET http://geo.example.com:80/ from namespace geo",
            explanation,
            files,
            Style { color: false },
        )
        .expect("write to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    fn files() -> Files {
        let (config, _) =
            meshroute_core::load(&[Source { name: "geo.yaml", bytes: CONFIG.as_bytes() }]);
        Files::new(&config)
    }

    #[test]
    fn the_fixtures_follow_the_contract_schema() {
        let schema = meshroute_tests::schema::contract_schema("explanation");
        for name in ["weighted.json", "local-reply.json"] {
            if let Err(errors) = meshroute_tests::schema::validate(&schema, &fixture(name)) {
                panic!("{name}: {errors:#?}");
            }
        }
    }

    #[test]
    fn a_weighted_route_reads_as_a_story() {
        let expected = include_str!("../tests/explain/fixtures/weighted.txt");
        assert_eq!(render(&fixture("weighted.json"), &files()), expected);
    }

    #[test]
    fn a_local_reply_shows_its_status_and_no_cluster_details() {
        let expected = include_str!("../tests/explain/fixtures/local-reply.txt");
        assert_eq!(render(&fixture("local-reply.json"), &files()), expected);
    }

    #[test]
    fn refs_name_the_file_only_when_one_input_holds_the_resource() {
        let reference = json!({"kind": "VirtualService", "namespace": "geo", "name": "geo-split",
            "path": "spec.http[0]", "line": 26});
        assert_eq!(
            reference_text(&reference, &files()),
            "VirtualService geo/geo-split spec.http[0] (geo.yaml:26)"
        );
        assert_eq!(
            reference_text(&reference, &Files::default()),
            "VirtualService geo/geo-split spec.http[0] (line 26)"
        );
        // The same resource in two inputs: the line alone cannot say which.
        let (config, _) = meshroute_core::load(&[
            Source { name: "a.yaml", bytes: CONFIG.as_bytes() },
            Source { name: "b.yaml", bytes: CONFIG.as_bytes() },
        ]);
        assert_eq!(
            reference_text(&reference, &Files::new(&config)),
            "VirtualService geo/geo-split spec.http[0] (line 26)"
        );
        let mesh = json!({"kind": "MeshConfig", "namespace": null, "name": null, "path": null, "line": null});
        assert_eq!(reference_text(&mesh, &Files::default()), "MeshConfig");
    }

    #[test]
    fn unexpected_shapes_degrade_without_panicking() {
        for explanation in [
            json!({}),
            json!(null),
            json!([1, 2]),
            json!({"steps": [1, {"refs": 2}], "hash": {}, "endpoints": [{}], "cluster": "c"}),
        ] {
            let text = render(&explanation, &Files::default());
            assert!(text.contains("outcome"), "{text}");
        }
    }

    #[test]
    fn hostile_strings_are_cleaned() {
        let mut explanation = fixture("weighted.json");
        explanation["steps"][0]["summary"] = json!("evil \u{1b}[2J \u{202e}text");
        explanation["endpoints"][0]["address"] = json!("10.0.0.1\u{7}");
        let text = render(&explanation, &Files::default());
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{7}'),
            "{text}"
        );
    }
}
