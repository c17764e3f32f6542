//! The request being explained, and the sidecar settings that shape its fate.

use std::net::IpAddr;

/// What the application sends on the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestProtocol {
    /// Plaintext HTTP/1.1.
    Http,
    /// Plaintext HTTP/2 (h2c), including gRPC.
    Http2,
    /// TLS the application originates itself (HTTPS and any other TLS).
    Tls,
    /// Bytes Envoy cannot classify as HTTP or TLS.
    Tcp,
}

impl RequestProtocol {
    pub fn parse(text: &str) -> Option<RequestProtocol> {
        match text.to_ascii_lowercase().as_str() {
            "http" | "http1" | "http/1.1" => Some(RequestProtocol::Http),
            "http2" | "h2c" | "grpc" => Some(RequestProtocol::Http2),
            "https" | "tls" => Some(RequestProtocol::Tls),
            "tcp" => Some(RequestProtocol::Tcp),
            _ => None,
        }
    }

    pub fn is_http(self) -> bool {
        matches!(self, RequestProtocol::Http | RequestProtocol::Http2)
    }

    /// The port a client uses when none is given.
    pub fn default_port(self) -> Option<u32> {
        match self {
            RequestProtocol::Http | RequestProtocol::Http2 => Some(80),
            RequestProtocol::Tls => Some(443),
            RequestProtocol::Tcp => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestProtocol::Http => "http",
            RequestProtocol::Http2 => "http2",
            RequestProtocol::Tls => "tls",
            RequestProtocol::Tcp => "tcp",
        }
    }
}

/// `outboundTrafficPolicy.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboundPolicy {
    AllowAny,
    RegistryOnly,
}

impl OutboundPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundPolicy::AllowAny => "ALLOW_ANY",
            OutboundPolicy::RegistryOnly => "REGISTRY_ONLY",
        }
    }
}

/// One outbound request and the sidecar settings it meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Namespace of the calling workload.
    pub namespace: String,
    /// Labels of the calling workload.
    pub source_labels: Vec<(String, String)>,
    /// Host header, SNI or the name the application resolved; may carry a `:port`.
    pub host: Option<String>,
    /// The address the application connected to.
    pub dest_ip: Option<IpAddr>,
    /// Destination port; `None` takes the protocol's default.
    pub port: Option<u32>,
    pub protocol: RequestProtocol,
    pub method: String,
    /// `:path` including any query string.
    pub path: String,
    /// Request headers in order; names are compared case-insensitively.
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    /// The connection peer: the calling pod's IP.
    pub source_ip: IpAddr,
    /// Overrides the outbound traffic policy of the input.
    pub outbound_policy: Option<OutboundPolicy>,
    /// The sidecar runs Istio's DNS proxy, so auto-allocated addresses are in use.
    pub dns_capture: bool,
    /// Stand-in DNS answers: host → IPs, in answer order.
    pub dns: Vec<(String, Vec<IpAddr>)>,
}

impl Default for Request {
    fn default() -> Request {
        Request {
            namespace: "default".to_string(),
            source_labels: Vec::new(),
            host: None,
            dest_ip: None,
            port: None,
            protocol: RequestProtocol::Http,
            method: "GET".to_string(),
            path: "/".to_string(),
            headers: Vec::new(),
            cookies: Vec::new(),
            source_ip: IpAddr::from([10, 0, 0, 1]),
            outbound_policy: None,
            dns_capture: false,
            dns: Vec::new(),
        }
    }
}

impl Request {
    /// The port the connection goes to: the given one, else the protocol's default (80 for TCP,
    /// where a caller that gives none has nothing better).
    pub fn effective_port(&self) -> u32 {
        self.port.or(self.protocol.default_port()).unwrap_or(80)
    }

    /// The host as Envoy matches it: lowercased, without `:port` and without a trailing dot.
    /// Borrowed when the host is already in that form, as it usually is.
    pub fn normalized_host(&self) -> Option<std::borrow::Cow<'_, str>> {
        let raw = self.host.as_deref()?;
        // The usual Host needs nothing done: a lowercase name without port or trailing dot.
        let plain = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if plain && !raw.is_empty() && !raw.ends_with('.') {
            return Some(std::borrow::Cow::Borrowed(raw));
        }
        let host = strip_port(raw.trim());
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return None;
        }
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            Some(std::borrow::Cow::Owned(host.to_ascii_lowercase()))
        } else {
            Some(std::borrow::Cow::Borrowed(host))
        }
    }

    /// All values of a header, in order (names compared case-insensitively). A `cookie` lookup
    /// also sees the cookies given separately.
    pub fn header_values<'a>(&'a self, name: &str) -> Vec<&'a str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The value Envoy's header matchers see: multiple values joined with `,`. Borrowed in the
    /// usual case of one value.
    pub fn header(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        if name.starts_with(':') || name.eq_ignore_ascii_case("host") {
            if name.eq_ignore_ascii_case(":method") {
                return Some(Cow::Borrowed(&self.method));
            }
            if name.eq_ignore_ascii_case(":path") {
                return Some(Cow::Borrowed(&self.path));
            }
            if name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host") {
                return self.host.as_deref().map(Cow::Borrowed);
            }
            if name.eq_ignore_ascii_case(":scheme") {
                return Some(Cow::Borrowed("http"));
            }
        }
        let mut values = self.headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name));
        let mut joined: Option<Cow<'_, str>> =
            values.next().map(|(_, v)| Cow::Borrowed(v.as_str()));
        for (_, more) in values {
            if let Some(value) = joined.as_mut() {
                let owned = value.to_mut();
                owned.push(',');
                owned.push_str(more);
            }
        }
        if name.eq_ignore_ascii_case("cookie") && !self.cookies.is_empty() {
            let cookies = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            joined = Some(Cow::Owned(match joined {
                Some(existing) => format!("{existing}; {cookies}"),
                None => cookies,
            }));
        }
        joined
    }

    /// A cookie's value, from `cookies` first, then from `cookie` headers.
    pub fn cookie(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.cookies.iter().find(|(key, _)| key == name) {
            return Some(value.clone());
        }
        for header in self.header_values("cookie") {
            for pair in header.split(';') {
                if let Some((key, value)) = pair.trim().split_once('=') {
                    if key.trim() == name {
                        return Some(value.trim().trim_matches('"').to_string());
                    }
                }
            }
        }
        None
    }

    /// The path without the query string, as Envoy's `path` and `safe_regex` matchers see it.
    pub fn path_without_query(&self) -> &str {
        let end = self.path.find(['?', '#']).unwrap_or(self.path.len());
        &self.path[..end]
    }

    /// The first value of a query parameter (undecoded), as Envoy's query matchers see it.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let query = self.path.split_once('?')?.1;
        let query = query.split('#').next().unwrap_or("");
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// DNS answers for a host from the stand-in table (case-insensitive, trailing dot ignored).
    pub fn dns_answer(&self, host: &str) -> Option<&[IpAddr]> {
        let host = host.strip_suffix('.').unwrap_or(host);
        self.dns.iter().find_map(|(name, ips)| {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case(host).then_some(ips.as_slice())
        })
    }
}

/// Removes a `:port` suffix, leaving IPv6 literals (`[::1]:80` → `[::1]`) intact.
pub fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.find(']') {
            Some(end) => &host[..end + 2],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        // More than one colon without brackets is a bare IPv6 address, not host:port.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}
