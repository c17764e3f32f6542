//! What `explain` and `simulate` print: the contract's JSON untouched, and a text story that
//! carries the same facts. These run the real engine through the binary.

use meshroute_tests::schema::{contract_schema, validate};
use serde_json::Value;

use crate::CONFIG;
use crate::support::{Run, Scratch};

/// Runs a JSON subcommand that must succeed, and checks its output against the named schema.
fn json_run(scratch: &Scratch, args: &[&str], schema: &str) -> (Run, Value) {
    let run = scratch.run(args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "one object on one line: {}", run.stdout);
    let value = run.json();
    if let Err(errors) = validate(&contract_schema(schema), &value) {
        panic!(
            "{args:?} does not follow {schema}.schema.json:\n{}\n\n{value:#}",
            errors.join("\n")
        );
    }
    (run, value)
}

#[test]
fn json_output_follows_the_explanation_schema() {
    let scratch = Scratch::new("schema");
    scratch.write("mesh.yaml", CONFIG);
    let requests: &[&[&str]] = &[
        &["--from", "payments", "--host", "api.stripe.com", "--protocol", "tls"],
        &["--host", "geo.example.com", "--cookie", "session=u1", "--header", "x-user: a"],
        &["--host", "unknown.example.com", "--outbound-policy", "REGISTRY_ONLY"],
        &["--host", "unknown.example.com", "--protocol", "https", "--dest-ip", "203.0.113.9"],
        &["--dest-ip", "203.0.113.9", "--port", "5432", "--protocol", "tcp"],
    ];
    for request in requests {
        let mut args = vec!["explain", "--format", "json", "-f", "mesh.yaml"];
        args.extend_from_slice(request);
        let (run, explanation) = json_run(&scratch, &args, "explanation");
        assert!(run.stderr.is_empty(), "JSON runs keep stderr quiet: {run:?}");
        let steps = explanation["steps"].as_array().expect("steps");
        assert!(!steps.is_empty(), "every explanation tells how it got there: {explanation}");
    }
}

#[test]
fn json_output_is_the_explanation() {
    let scratch = Scratch::new("json");
    scratch.write("mesh.yaml", CONFIG);
    let args = ["explain", "--format", "json", "-f", "mesh.yaml", "--host", "api.stripe.com"];
    let mut args = args.to_vec();
    args.extend(["--from", "payments", "--protocol", "tls"]);
    let (_, explanation) = json_run(&scratch, &args, "explanation");
    // The contract's fields come in its order; fields added later may sit anywhere.
    let contract = [
        "outcome",
        "http_status",
        "service_entry",
        "virtual_service",
        "destination_rule",
        "cluster",
        "cluster_exists",
        "destinations",
        "envoy_cluster_type",
        "endpoints",
        "load_balancer",
        "hash",
        "tls_origination",
        "timeout",
        "retries",
        "telemetry",
        "steps",
        "diagnostics",
    ];
    let keys: Vec<&str> = explanation
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .filter(|key| contract.contains(key))
        .collect();
    assert_eq!(keys, contract);
    assert_eq!(explanation["outcome"], "routed", "{explanation:#}");
    assert_eq!(explanation["cluster"], "outbound|443||api.stripe.com", "{explanation:#}");
    assert_eq!(explanation["cluster_exists"], true);
    assert_eq!(explanation["envoy_cluster_type"], "STRICT_DNS", "{explanation:#}");
    let entry = &explanation["service_entry"];
    assert_eq!(
        (&entry["namespace"], &entry["name"], &entry["host"], &entry["match"]),
        (&"payments".into(), &"stripe".into(), &"api.stripe.com".into(), &"exact".into()),
        "{explanation:#}"
    );
}

#[test]
fn configuration_can_come_from_stdin() {
    let scratch = Scratch::new("stdin");
    let args =
        ["explain", "--format", "json", "-f", "-", "--host", "api.stripe.com", "--protocol", "tls"];
    let run = scratch.run_with_stdin(&args, CONFIG.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["cluster"], "outbound|443||api.stripe.com", "{}", run.stdout);
}

#[test]
fn text_output_tells_the_story_with_marks_and_the_cluster() {
    let scratch = Scratch::new("text");
    scratch.write("mesh.yaml", CONFIG);
    let run = scratch.run(&[
        "explain",
        "-f",
        "mesh.yaml",
        "--from",
        "payments",
        "--host",
        "api.stripe.com",
        "--protocol",
        "tls",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("TLS api.stripe.com:443 from namespace payments"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  ✓ "), "a passing step:\n{}", run.stdout);
    assert!(
        run.stdout.lines().any(|line| line.trim_start().starts_with("cluster")
            && line.contains("outbound|443||api.stripe.com")),
        "the cluster line:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("outcome           routed"), "{}", run.stdout);
    // A step's ref points into the one input: the file and the line.
    assert!(run.stdout.contains("ServiceEntry payments/stripe"), "{}", run.stdout);
    assert!(run.stdout.contains("(mesh.yaml:"), "{}", run.stdout);

    let run = scratch.run(&[
        "explain",
        "-f",
        "mesh.yaml",
        "--host",
        "unknown.example.com",
        "--outbound-policy",
        "REGISTRY_ONLY",
    ]);
    assert_eq!(run.code, 0, "a blocked request is still explained: {run:?}");
    assert!(run.stdout.contains("  ✗ "), "a failing step:\n{}", run.stdout);
    assert!(run.stdout.contains("outcome "), "{}", run.stdout);
}

#[test]
fn weighted_routes_list_their_destinations_and_the_hash() {
    let scratch = Scratch::new("weighted");
    scratch.write("mesh.yaml", CONFIG);
    let run = scratch.run(&[
        "explain",
        "-f",
        "mesh.yaml",
        "--host",
        "geo.example.com",
        "--cookie",
        "session=u1",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("80%  outbound|80|v1|geo.example.com (weight 80)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("20%  outbound|80|v2|geo.example.com (weight 20)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("cookie session = \"u1\""), "{}", run.stdout);
}

/// A ServiceEntry with an error istiod's webhook would reject, on the request's path.
const BROKEN_ENTRY: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: geocoding, namespace: geo}
spec:
  hosts: [geocoding.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints:
  - address: api.old-geocoding-provider.com
";

#[test]
fn errors_in_the_configuration_do_not_stop_the_explanation() {
    let scratch = Scratch::new("invalid");
    scratch.write("geo.yaml", BROKEN_ENTRY);
    let args = ["explain", "--format", "json", "-f", "geo.yaml", "--host", "geocoding.internal"];
    let mut args = args.to_vec();
    args.extend(["--protocol", "tls", "--from", "geo"]);
    let (_, explanation) = json_run(&scratch, &args, "explanation");
    let diagnostics = explanation["diagnostics"].as_array().expect("diagnostics");
    let error = diagnostics
        .iter()
        .find(|diagnostic| diagnostic["code"] == "MR1014")
        .unwrap_or_else(|| panic!("the error is among the diagnostics: {explanation:#}"));
    assert_eq!(
        (&error["severity"], &error["file"], &error["line"]),
        (&"error".into(), &"geo.yaml".into(), &10.into())
    );

    args.drain(1..3);
    let run = scratch.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("\nerror[MR1014] geo/geocoding ServiceEntry spec.endpoints[0].address (geo.yaml:10:14): "),
        "{}",
        run.stdout
    );
}

#[test]
fn yaml_that_does_not_parse_is_explained_with_the_syntax_error() {
    let scratch = Scratch::new("syntax");
    // The syntax error ends the file for the parser: the ServiceEntry after it is lost, so the
    // explanation must say why, or it would confidently describe a passthrough.
    let broken = format!("kind: [unclosed\n---\n{CONFIG}");
    scratch.write("mesh.yaml", &broken);
    let args = ["explain", "--format", "json", "-f", "mesh.yaml", "--host", "api.stripe.com"];
    let (_, explanation) = json_run(&scratch, &args, "explanation");
    let diagnostics = explanation["diagnostics"].as_array().expect("diagnostics");
    let error = diagnostics
        .iter()
        .find(|diagnostic| diagnostic["code"] == "MR0001")
        .unwrap_or_else(|| panic!("the syntax error is among the diagnostics: {explanation:#}"));
    assert_eq!((&error["severity"], &error["file"]), (&"error".into(), &"mesh.yaml".into()));

    let run = scratch.run(&["explain", "-f", "mesh.yaml", "--host", "api.stripe.com"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("\nerror[MR0001] (mesh.yaml:2:1): "), "{}", run.stdout);
}

#[test]
fn simulations_are_determined_by_their_seed() {
    let scratch = Scratch::new("simulate");
    scratch.write("mesh.yaml", CONFIG);
    let simulate = |seed: &str| {
        let args = [
            "simulate",
            "--format",
            "json",
            "-f",
            "mesh.yaml",
            "--host",
            "geo.example.com",
            "--cookie",
            "session=u1",
            "-n",
            "500",
            "--seed",
            seed,
        ];
        json_run(&scratch, &args, "simulation")
    };
    let (first, simulation) = simulate("7");
    let (again, _) = simulate("7");
    assert_eq!(first.stdout, again.stdout, "the same seed gives the same simulation");
    assert_eq!(simulation["n"], 500);
    assert_eq!(simulation["seed"], 7);
    let counted: u64 = simulation["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .map(|destination| destination["count"].as_u64().expect("a count"))
        .sum();
    assert_eq!(counted, 500, "every request went somewhere: {simulation:#}");
    // Another seed may or may not move requests; it must still be a simulation of 500.
    let (_, other) = simulate("8");
    assert_eq!(other["n"], 500);
    assert_eq!(other["seed"], 8);

    let run =
        scratch.run(&["simulate", "-f", "mesh.yaml", "--host", "geo.example.com", "-n", "200"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("GET http://geo.example.com:80/ from namespace default\n200 requests"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("outbound|80|v1|geo.example.com"), "{}", run.stdout);
    assert!(run.stdout.contains('%') && run.stdout.contains('█'), "{}", run.stdout);
    assert!(run.stdout.contains("sticky clients  "), "{}", run.stdout);
}
