//! Properties of the core's fast path (`Mesh::classify`) over every HTTP case of the explain
//! corpus.

use std::path::Path;

use meshroute_core::Source;
use meshroute_core::engine::{Mesh, Request};
use meshroute_tests::explain_case::ExplainCase;

/// The same request with other uri, method, headers and query: what a route match can read
/// beyond the host, port and source.
fn variants(request: &Request, header_names: &[String]) -> Vec<Request> {
    let bare = Request {
        method: "PATCH".into(),
        path: "/meshroute/variant?probe=1".into(),
        headers: Vec::new(),
        cookies: Vec::new(),
        ..request.clone()
    };
    let every_header = Request {
        method: "GET".into(),
        path: "/".into(),
        headers: header_names.iter().map(|n| (n.clone(), "meshroute-variant".into())).collect(),
        ..request.clone()
    };
    let no_query = Request { path: request.path_without_query().to_string(), ..request.clone() };
    vec![bare, every_header, no_query]
}

/// The Envoy filter keeps an answer for every later request with the same authority and
/// destination when `depends_on_request` is false, so false must mean it: whatever the uri,
/// method, headers and query, the classification is the same. Checked on every HTTP case with
/// variants that change each of them; and the variants must reach the cases whose routes do
/// match on them, or the check would prove nothing.
#[test]
fn an_answer_that_does_not_depend_on_the_request_ignores_its_details() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/explain");
    let files = meshroute_tests::yaml_files(&root);
    let (mut independent, mut dependent, mut changed) = (0, 0, 0);
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("case files are UTF-8");
        let case = ExplainCase::parse(&text).expect("explain cases parse");
        let request = meshroute_wire::parse_request(&case.request).expect("case requests parse");
        if !request.protocol.is_http() {
            continue;
        }
        let (config, diagnostics) =
            meshroute_core::lint(&[Source { name: "case", bytes: case.config.as_bytes() }]);
        let mesh = Mesh::new(config, diagnostics);
        let answer = mesh.classify(&request);
        if answer.depends_on_request {
            dependent += 1;
        } else {
            independent += 1;
        }
        for variant in variants(&request, &mesh.routing_header_names()) {
            let other = mesh.classify(&variant);
            if other == answer {
                continue;
            }
            changed += 1;
            if !answer.depends_on_request {
                let name = file.strip_prefix(&root).unwrap_or(file).display().to_string();
                problems.push(format!(
                    "{name}: said not to depend on the request, but {} {} gives {other:?} instead of {answer:?}",
                    variant.method, variant.path
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(independent >= 100, "only {independent} HTTP cases answer by host and port alone");
    assert!(dependent >= 10, "only {dependent} HTTP cases have routes that read the request");
    assert!(changed >= 10, "the variants changed only {changed} answers");
}
