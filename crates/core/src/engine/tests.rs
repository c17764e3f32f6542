//! Unit and property tests of the engine's building blocks; whole requests live in the corpus.

use std::net::IpAddr;

use proptest::prelude::*;

use super::index::{ExportTo, HostTable, cidr_contains};
use super::request::{Request, strip_port};

#[test]
fn strip_port_keeps_ipv6_literals() {
    assert_eq!(strip_port("api.example.com:8443"), "api.example.com");
    assert_eq!(strip_port("api.example.com"), "api.example.com");
    assert_eq!(strip_port("[2001:db8::1]:443"), "[2001:db8::1]");
    assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
    assert_eq!(strip_port("host:notaport"), "host:notaport");
}

#[test]
fn normalized_host_lowercases_and_drops_port_and_trailing_dot() {
    let request = Request { host: Some("API.Example.COM.:443".into()), ..Request::default() };
    assert_eq!(request.normalized_host().as_deref(), Some("api.example.com"));
    let empty = Request { host: Some(":80".into()), ..Request::default() };
    assert_eq!(empty.normalized_host(), None);
}

#[test]
fn headers_cookies_and_query_follow_envoy() {
    let request = Request {
        path: "/search?q=istio&lang=en&q=envoy#frag".into(),
        headers: vec![
            ("x-user".into(), "b".into()),
            ("X-User".into(), "a".into()),
            ("cookie".into(), "theme=dark; session=\"s1\"".into()),
        ],
        cookies: vec![("extra".into(), "1".into())],
        ..Request::default()
    };
    assert_eq!(request.header("x-user").as_deref(), Some("b,a"));
    assert_eq!(request.header(":path").as_deref(), Some("/search?q=istio&lang=en&q=envoy#frag"));
    assert_eq!(request.cookie("session").as_deref(), Some("s1"));
    assert_eq!(request.cookie("extra").as_deref(), Some("1"));
    assert_eq!(request.cookie("missing"), None);
    // Envoy's query matchers take the first value.
    assert_eq!(request.query_param("q"), Some("istio"));
    assert_eq!(request.query_param("absent"), None);
    assert_eq!(request.path_without_query(), "/search");
}

#[test]
fn cidr_containment_respects_family_and_prefix() {
    let net: IpAddr = "10.1.0.0".parse().unwrap();
    assert!(cidr_contains(net, 16, "10.1.200.3".parse().unwrap()));
    assert!(!cidr_contains(net, 16, "10.2.0.1".parse().unwrap()));
    assert!(!cidr_contains(net, 16, "::1".parse().unwrap()));
    assert!(cidr_contains("2001:db8::".parse().unwrap(), 32, "2001:db8:1::5".parse().unwrap()));
    assert!(cidr_contains(net, 0, "192.168.1.1".parse().unwrap()));
}

#[test]
fn export_to_visibility() {
    assert!(ExportTo::from_values(&["*"], "a").visible_to("b"));
    assert!(ExportTo::from_values(&["."], "a").visible_to("a"));
    assert!(!ExportTo::from_values(&["."], "a").visible_to("b"));
    assert!(ExportTo::from_values(&["b", "."], "a").visible_to("b"));
    assert!(!ExportTo::from_values(&["~"], "a").visible_to("a"));
    assert!(ExportTo::from_values(&["a"], "a").is_private_to("a"));
}

/// The straightforward reference: every wildcard pattern whose suffix covers `name`, most
/// specific (longest suffix) first, then exact patterns.
fn reference_covering(patterns: &[String], name: &str, strict: bool) -> Vec<String> {
    let mut hits: Vec<&String> = patterns
        .iter()
        .filter(|p| match p.strip_prefix('*') {
            Some(suffix) => name.ends_with(suffix) && (!strict || name.len() > suffix.len()),
            None => false,
        })
        .collect();
    hits.sort_by_key(|p| std::cmp::Reverse(p.len()));
    hits.dedup();
    hits.into_iter().map(|p| p[1..].to_string()).collect()
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![Just("a"), Just("b"), Just("api"), Just("x-y"), Just("com"), Just("org")]
        .prop_map(str::to_string)
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..5).prop_map(|labels| labels.join("."))
}

fn pattern() -> impl Strategy<Value = String> {
    (name(), 0..3u8).prop_map(|(name, kind)| match kind {
        0 => name,
        1 => format!("*.{name}"),
        // A partial wildcard (`*foo.com`), which istiod only warns about.
        _ => format!("*{name}"),
    })
}

proptest! {
    #[test]
    fn host_table_lookups_match_a_linear_scan(patterns in prop::collection::vec(pattern(), 0..40), needle in name(), strict in any::<bool>()) {
        let mut table = HostTable::default();
        for (id, pattern) in patterns.iter().enumerate() {
            table.insert(pattern, id as u32);
        }
        // Exact lookups return exactly the ids inserted under that pattern, in order.
        let expected_exact: Vec<u32> = patterns.iter().enumerate().filter(|(_, p)| **p == needle).map(|(id, _)| id as u32).collect();
        prop_assert_eq!(table.exact(&needle).to_vec(), expected_exact);
        // Wildcard lookups visit the covering suffixes longest first, each with its ids.
        let got: Vec<String> = table.covering(&needle, strict).map(|(suffix, _)| suffix.to_string()).collect();
        prop_assert_eq!(&got, &reference_covering(&patterns, &needle, strict));
        for (suffix, ids) in table.covering(&needle, strict) {
            let expected: Vec<u32> = patterns.iter().enumerate().filter(|(_, p)| p.strip_prefix('*') == Some(suffix)).map(|(id, _)| id as u32).collect();
            prop_assert_eq!(ids.to_vec(), expected);
        }
        // The first covering wildcard is Istio's most specific match for a non-wildcard needle.
        if !strict {
            let best = crate::host::most_specific_match(&needle, patterns.iter().filter(|p| p.starts_with('*')).map(String::as_str));
            let first = table.covering(&needle, false).next().map(|(suffix, _)| format!("*{suffix}"));
            prop_assert_eq!(first.as_deref(), best.map(|(p, _)| p));
        }
    }
}

#[test]
fn cluster_names_follow_istio() {
    use super::routing::cluster_name;
    assert_eq!(cluster_name(443, "", "api.stripe.com"), "outbound|443||api.stripe.com");
    assert_eq!(cluster_name(0, "v1", "a"), "outbound|0|v1|a");
    assert_eq!(cluster_name(65535, "", "*.example.com"), "outbound|65535||*.example.com");
    assert_eq!(cluster_name(u32::MAX, "s", "h"), format!("outbound|{}|s|h", u32::MAX));
}

/// `depends_on_request` says whether a route match read more of the request than its host,
/// port and source, so a caller knows when it may reuse the answer for the same host.
#[test]
fn an_answer_depends_on_the_request_only_where_a_match_reads_it() {
    let yaml = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: apis, namespace: default}
spec:
  hosts: [canary.example.com, plain.example.com, ported.example.com, bare.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: canary, namespace: default}
spec:
  hosts: [canary.example.com]
  http:
  - match: [{headers: {x-canary: {exact: 'yes'}}}]
    route: [{destination: {host: canary.example.com, subset: v2}}]
  - route: [{destination: {host: canary.example.com, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: plain, namespace: default}
spec:
  hosts: [plain.example.com]
  http:
  - route: [{destination: {host: plain.example.com}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ported, namespace: default}
spec:
  hosts: [ported.example.com]
  http:
  - match: [{port: 8080, uri: {prefix: /v2}}]
    route: [{destination: {host: ported.example.com, subset: v2}}]
  - match: [{authority: {exact: ported.example.com}}]
    route: [{destination: {host: ported.example.com}}]
";
    let (config, diagnostics) =
        crate::lint(&[crate::Source { name: "t.yaml", bytes: yaml.as_bytes() }]);
    let mesh = super::Mesh::new(config, diagnostics);
    let depends = |host: &str, headers: Vec<(String, String)>| {
        let request =
            Request { host: Some(host.into()), port: Some(80), headers, ..Request::default() };
        let classification = mesh.classify(&request);
        (classification.depends_on_request, classification.subset)
    };
    // The header match is read whether or not it matches.
    let canary = vec![("x-canary".to_string(), "yes".to_string())];
    assert_eq!(depends("canary.example.com", canary), (true, Some("v2".into())));
    assert_eq!(depends("canary.example.com", Vec::new()), (true, Some("v1".into())));
    // No match at all, or no VirtualService: host and port decide.
    assert_eq!(depends("plain.example.com", Vec::new()), (false, None));
    assert_eq!(depends("bare.example.com", Vec::new()), (false, None));
    // A match that fails on its port never reads the uri; an authority match reads only the host.
    assert_eq!(depends("ported.example.com", Vec::new()), (false, None));
}
