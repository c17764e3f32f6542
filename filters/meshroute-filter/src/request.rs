//! Envoy's view of a request or connection, turned into the core's [`Request`].
//!
//! Everything here takes bytes as Envoy hands them over and never fails: a missing or garbled
//! value becomes "absent", so the core still answers (usually "passthrough") and traffic flows.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use meshroute_core::engine::{Mesh, Request, RequestProtocol};

use crate::config::Settings;

/// What the listener knows about the downstream connection: the original destination. Not the
/// source address: `classify` never looks at it (only consistent hashing does, in `explain`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Downstream {
    /// The IP in `destination.address`: on an outbound sidecar listener, the address the app
    /// dialled. HTTP requests read it only where it can matter (see [`Reads`]).
    pub address: Option<IpAddr>,
    /// `destination.port`.
    pub port: Option<u16>,
}

impl Downstream {
    pub fn of(destination: Option<SocketAddr>) -> Downstream {
        Downstream { address: destination.map(|a| a.ip()), port: destination.map(|a| a.port()) }
    }
}

/// Which parts of an HTTP request the configuration's routing can look at, worked out once per
/// configuration: every property or header the filter reads is a host call on every request it
/// evaluates. The authority and destination are read for every request, kept answer or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// The request headers VirtualService matches name ([`Mesh::routing_header_names`]). When
    /// there are any, the filter reads the whole header map: Envoy's matchers see repeated
    /// headers joined with `,`, and a single lookup returns only the first value.
    pub headers: Vec<String>,
    /// `:method` and `:path`, which only the `match` of a VirtualService HTTP route reads.
    pub method_and_path: bool,
    /// The ports on which `destination.address` can decide an HTTP request's fate; `None`:
    /// any port ([`Mesh::address_dependent_http_ports`]).
    address_ports: Option<Vec<u32>>,
}

impl Reads {
    pub fn of(mesh: &Mesh, settings: &Settings) -> Reads {
        let method_and_path = mesh.config().virtual_services().any(|(_, spec)| {
            spec.http
                .iter()
                .flat_map(|routes| routes.iter())
                .any(|route| route.matches.as_ref().is_some_and(|m| !m.is_empty()))
        });
        Reads {
            headers: mesh.routing_header_names(),
            method_and_path,
            address_ports: mesh.address_dependent_http_ports(settings.dns_capture),
        }
    }

    /// Whether an HTTP request to `port` needs `destination.address`. A request without
    /// `:authority` reads it too: its address is the name it is counted under.
    pub fn address_needed(&self, port: Option<u16>, has_authority: bool) -> bool {
        !has_authority
            || port.is_none_or(|port| {
                self.address_ports.as_ref().is_none_or(|ports| ports.contains(&u32::from(port)))
            })
    }
}

/// Reads an `ip:port` property value (`10.0.0.1:443`, `[2001:db8::1]:443`).
pub fn parse_address(bytes: &[u8]) -> Option<SocketAddr> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Reads an integer property, which Envoy encodes as 8 bytes, little-endian.
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The longest `:authority` or SNI taken as a host. DNS names end at 253 characters; the rest
/// of a longer value cannot name a registered host and is not worth copying.
const MAX_HOST: usize = 1024;

fn text(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

fn base(settings: &Settings, namespace: &str, downstream: &Downstream) -> Request {
    Request {
        namespace: namespace.to_string(),
        dest_ip: downstream.address,
        port: downstream.port.map(u32::from),
        outbound_policy: settings.outbound_policy,
        dns_capture: settings.dns_capture,
        ..Request::default()
    }
}

/// An HTTP request as the HTTP filter sees it at request headers. `headers` are the request's
/// headers whose names routing can look at (see `Mesh::routing_header_names`).
pub fn http_request(
    settings: &Settings,
    namespace: &str,
    downstream: &Downstream,
    authority: Option<&[u8]>,
    method: Option<&[u8]>,
    path: Option<&[u8]>,
    headers: Vec<(String, String)>,
) -> Request {
    let mut request = base(settings, namespace, downstream);
    request.protocol = RequestProtocol::Http;
    // Envoy matches virtual hosts on the Host without port, case-insensitively; the core's
    // `normalized_host` does the same to whatever is given here.
    request.host = authority.filter(|a| !a.is_empty()).map(|a| text(a, MAX_HOST));
    if let Some(method) = method {
        request.method = text(method, 64);
    }
    if let Some(path) = path {
        request.path = String::from_utf8_lossy(path).into_owned();
    }
    request.headers = headers;
    request
}

/// A connection as the network filter sees it: TLS when the client sent an SNI, else TCP.
pub fn connection_request(
    settings: &Settings,
    namespace: &str,
    downstream: &Downstream,
    sni: Option<&[u8]>,
) -> Request {
    let mut request = base(settings, namespace, downstream);
    let sni = sni.filter(|s| !s.is_empty());
    request.protocol = if sni.is_some() { RequestProtocol::Tls } else { RequestProtocol::Tcp };
    request.host = sni.map(|s| text(s, MAX_HOST));
    request
}

/// The host an unregistered request is counted under: what Envoy matched on, normalised.
/// Borrowed from the request in the usual case.
pub fn requested_host(request: &Request) -> Option<Cow<'_, str>> {
    if let Some(host) = request.normalized_host() {
        return Some(host);
    }
    request.dest_ip.map(|ip: IpAddr| Cow::Owned(ip.to_string()))
}

/// How many first bytes of a connection tell HTTP from anything else.
pub const HTTP_SNIFF_BYTES: usize = 16;

/// Whether a connection's first bytes are an HTTP/1 request line or the HTTP/2 preface.
pub fn looks_like_http(head: &[u8]) -> bool {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"DELETE ",
        b"HEAD ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    head.starts_with(b"PRI * HTTP/2") || METHODS.iter().any(|m| head.starts_with(m))
}

/// Parses the proxy-wasm serialisation of a header map: a count, the sizes of each name and
/// value, then the NUL-terminated names and values. Malformed input yields what parsed cleanly.
pub fn parse_header_pairs(bytes: &[u8]) -> Vec<(&[u8], &[u8])> {
    let word = |at: usize| -> Option<usize> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(raw) as usize)
    };
    let Some(count) = word(0) else { return Vec::new() };
    // Each pair needs 8 bytes of sizes, so a count beyond that is a lie.
    let count = count.min(bytes.len() / 8);
    let mut pairs = Vec::with_capacity(count);
    let mut data = 4 + count * 8;
    for index in 0..count {
        let (Some(key_len), Some(value_len)) = (word(4 + index * 8), word(8 + index * 8)) else {
            break;
        };
        let Some(key) = bytes.get(data..data.saturating_add(key_len)) else { break };
        data = data.saturating_add(key_len).saturating_add(1);
        let Some(value) = bytes.get(data..data.saturating_add(value_len)) else { break };
        data = data.saturating_add(value_len).saturating_add(1);
        pairs.push((key, value));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize(pairs: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = (pairs.len() as u32).to_le_bytes().to_vec();
        for (key, value) in pairs {
            out.extend((key.len() as u32).to_le_bytes());
            out.extend((value.len() as u32).to_le_bytes());
        }
        for (key, value) in pairs {
            out.extend(key.as_bytes());
            out.push(0);
            out.extend(*value);
            out.push(0);
        }
        out
    }

    #[test]
    fn header_pairs_round_trip_including_non_utf8_values() {
        let bytes = serialize(&[(":authority", b"api.example.com"), ("x-raw", b"\xff\xfe")]);
        let pairs = parse_header_pairs(&bytes);
        assert_eq!(
            pairs,
            vec![(&b":authority"[..], &b"api.example.com"[..]), (&b"x-raw"[..], &b"\xff\xfe"[..])]
        );
    }

    #[test]
    fn truncated_or_lying_header_maps_yield_only_what_parsed() {
        let bytes = serialize(&[("a", b"1"), ("b", b"2")]);
        assert_eq!(parse_header_pairs(&bytes[..bytes.len() - 3]).len(), 1);
        let mut lying = bytes.clone();
        lying[0] = 0xff;
        assert!(parse_header_pairs(&lying).len() <= 2);
        assert!(parse_header_pairs(&[]).is_empty());
        assert!(parse_header_pairs(&[1, 0]).is_empty());
    }

    #[test]
    fn http_is_told_from_other_first_bytes() {
        assert!(looks_like_http(b"GET / HTTP/1.1\r\n"));
        assert!(looks_like_http(b"PRI * HTTP/2.0\r\n"));
        assert!(!looks_like_http(b"\x16\x03\x01\x00"));
        assert!(!looks_like_http(b"GETX"));
        assert!(!looks_like_http(b""));
    }

    #[test]
    fn addresses_and_ports_parse_as_envoy_encodes_them() {
        assert_eq!(parse_address(b"10.0.0.5:443"), Some("10.0.0.5:443".parse().unwrap()));
        assert_eq!(
            parse_address(b"[2001:db8::1]:8443"),
            Some("[2001:db8::1]:8443".parse().unwrap())
        );
        assert_eq!(parse_address(b"garbage"), None);
        assert_eq!(parse_u64(&443u64.to_le_bytes()), Some(443));
        assert_eq!(parse_u64(b"443"), None);
    }

    #[test]
    fn connection_without_sni_is_tcp_with_the_original_destination() {
        let downstream = Downstream::of(parse_address(b"10.1.2.3:3306"));
        let request = connection_request(&Settings::default(), "shop", &downstream, Some(b""));
        assert_eq!(request.protocol, RequestProtocol::Tcp);
        assert_eq!(request.host, None);
        assert_eq!(request.port, Some(3306));
        assert_eq!(request.dest_ip, Some("10.1.2.3".parse().unwrap()));
        let tls =
            connection_request(&Settings::default(), "shop", &downstream, Some(b"db.example.com"));
        assert_eq!(tls.protocol, RequestProtocol::Tls);
        assert_eq!(tls.host.as_deref(), Some("db.example.com"));
    }

    #[test]
    fn unreadable_authority_bytes_become_replacement_characters_not_errors() {
        let request = http_request(
            &Settings::default(),
            "default",
            &Downstream::default(),
            Some(b"bad\xffhost"),
            Some(b"GET"),
            Some(b"/p\xfe"),
            Vec::new(),
        );
        assert_eq!(request.host.as_deref(), Some("bad\u{fffd}host"));
        assert_eq!(request.path, "/p\u{fffd}");
        let long = vec![b'a'; 70_000];
        let request = http_request(
            &Settings::default(),
            "default",
            &Downstream::default(),
            Some(&long),
            None,
            None,
            Vec::new(),
        );
        assert_eq!(request.host.map(|h| h.len()), Some(MAX_HOST));
    }

    fn reads(resources: &str, extra: serde_json::Value) -> Reads {
        let mut json = serde_json::json!({"resources": resources});
        if let (Some(json), Some(extra)) = (json.as_object_mut(), extra.as_object()) {
            json.extend(extra.clone());
        }
        crate::config::load(json.to_string().as_bytes()).expect("the test mesh loads").reads
    }

    const ADDRESSED: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: default}
spec:
  hosts: [db.internal]
  addresses: [10.1.0.0/16]
  ports: [{number: 3306, name: mysql, protocol: TCP}, {number: 8080, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.5}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}]
  resolution: DNS
status:
  addresses: [{value: 240.240.0.9, host: api.example.com}]
";

    #[test]
    fn http_requests_read_the_address_only_on_ports_an_address_listener_can_take() {
        let plain = reads(ADDRESSED, serde_json::json!({}));
        assert!(plain.address_needed(Some(3306), true), "the entry's TCP port binds its CIDR");
        assert!(!plain.address_needed(Some(8080), true), "its HTTP port only adds a domain");
        assert!(!plain.address_needed(Some(443), true), "no addresses: SNI and Host decide");
        assert!(plain.address_needed(Some(80), false), "without a Host the address names it");
        assert!(plain.address_needed(None, true));
        let captured = reads(ADDRESSED, serde_json::json!({"dns_capture": true}));
        assert!(captured.address_needed(Some(443), true), "DNS capture binds the allocated one");
        assert!(!captured.address_needed(Some(80), true));
    }

    #[test]
    fn method_path_and_headers_are_read_only_when_a_virtual_service_matches_on_them() {
        let none = reads(ADDRESSED, serde_json::json!({}));
        assert!(!none.method_and_path && none.headers.is_empty());
        let matching = format!(
            "{ADDRESSED}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: api, namespace: default}}
spec:
  hosts: [api.example.com]
  http:
  - match: [{{headers: {{X-Canary: {{exact: \"1\"}}}}}}]
    route: [{{destination: {{host: api.example.com}}}}]
"
        );
        let matching = reads(&matching, serde_json::json!({}));
        assert!(matching.method_and_path);
        assert_eq!(matching.headers, vec!["x-canary".to_string()]);
    }

    fn classifier(
        loaded: &crate::config::Loaded,
    ) -> impl Fn(&str, u16, Option<&str>) -> (meshroute_core::engine::Outcome, Option<String>) + '_
    {
        move |host: &str, port: u16, address: Option<&str>| {
            let downstream = Downstream {
                address: address.map(|a| a.parse().expect("an IP")),
                port: Some(port),
            };
            let request = http_request(
                &loaded.settings,
                "default",
                &downstream,
                Some(host.as_bytes()),
                None,
                None,
                Vec::new(),
            );
            let classification = loaded.mesh.classify(&request);
            (classification.outcome, classification.cluster)
        }
    }

    /// Given a request the rule lets go without its address, the core answers the same without
    /// it; given one it does not, the address changes the answer (so the rule is not vacuous).
    #[test]
    fn the_address_rule_agrees_with_the_core() {
        let json = serde_json::json!({"resources": ADDRESSED}).to_string();
        let loaded = crate::config::load(json.as_bytes()).expect("the test mesh loads");
        let classify = classifier(&loaded);
        for (host, port, address) in [
            ("db.internal", 8080, "10.1.0.5"),
            ("unknown.example", 8080, "10.1.0.5"),
            ("api.example.com", 80, "10.1.0.5"),
            ("api.example.com", 443, "192.0.2.1"),
        ] {
            assert!(!loaded.reads.address_needed(Some(port), true), "{host}:{port}");
            assert_eq!(
                classify(host, port, Some(address)),
                classify(host, port, None),
                "{host}:{port} at {address}"
            );
        }
        assert!(loaded.reads.address_needed(Some(3306), true));
        assert_ne!(
            classify("unknown.example", 3306, Some("10.1.0.5")),
            classify("unknown.example", 3306, None)
        );
    }

    /// A TCP route matching `destinationSubnets` makes the address decide on a port where no
    /// entry binds one: an HTTP request on a port without an HTTP chain takes the whole-port
    /// TCP chain, and the route's match looks at the address.
    #[test]
    fn a_destination_subnet_match_makes_every_port_read_the_address() {
        let mesh = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy, namespace: default}
spec:
  hosts: [legacy.internal]
  ports: [{number: 9000, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.9.0.1, labels: {v: a}}, {address: 10.9.0.2, labels: {v: b}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: legacy, namespace: default}
spec:
  host: legacy.internal
  subsets: [{name: a, labels: {v: a}}, {name: b, labels: {v: b}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: legacy, namespace: default}
spec:
  hosts: [legacy.internal]
  tcp:
  - match: [{destinationSubnets: [10.9.0.2/32]}]
    route: [{destination: {host: legacy.internal, subset: b}}]
  - route: [{destination: {host: legacy.internal, subset: a}}]
";
        let json = serde_json::json!({"resources": mesh}).to_string();
        let loaded = crate::config::load(json.as_bytes()).expect("the test mesh loads");
        assert!(loaded.reads.address_needed(Some(9000), true));
        assert!(loaded.reads.address_needed(Some(80), true), "a match may name any port");
        let classify = classifier(&loaded);
        assert_ne!(
            classify("legacy.internal", 9000, Some("10.9.0.2")),
            classify("legacy.internal", 9000, None)
        );
    }
}
