//! Envoy's view of a request or connection, turned into the core's [`Request`].
//!
//! Everything here takes bytes as Envoy hands them over and never fails: a missing or garbled
//! value becomes "absent", so the core still answers (usually "passthrough") and traffic flows.

use std::net::{IpAddr, SocketAddr};

use meshroute_core::engine::{Request, RequestProtocol};

use crate::config::Settings;

/// What the listener knows about the downstream connection. Only the original destination:
/// `classify` never looks at the source address (only consistent hashing does, in `explain`),
/// so the filter does not pay a host call per request to read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Downstream {
    /// `destination.address`: on an outbound sidecar listener, the address the app dialled.
    pub destination: Option<SocketAddr>,
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
        dest_ip: downstream.destination.map(|a| a.ip()),
        port: downstream.destination.map(|a| u32::from(a.port())),
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
pub fn requested_host(request: &Request) -> Option<String> {
    if let Some(host) = request.normalized_host() {
        return Some(host.into_owned());
    }
    request.dest_ip.map(|ip: IpAddr| ip.to_string())
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
        let downstream = Downstream { destination: parse_address(b"10.1.2.3:3306") };
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
}
