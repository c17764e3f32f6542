//! Port protocols as istiod parses them: case-insensitively, with "auto" for anything else.

/// A `ServicePort.protocol` value after istiod's `protocol.Parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Http2,
    HttpProxy,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Udp,
    Mongo,
    Redis,
    Mysql,
    /// Empty or unrecognised: the port is sniffed ("auto").
    Unsupported,
}

impl Protocol {
    /// The accepted spellings, as istiod's validation lists them.
    pub const NAMES: &'static [&'static str] = &[
        "TCP",
        "UDP",
        "GRPC",
        "GRPC-Web",
        "HTTP",
        "HTTP_PROXY",
        "HTTP2",
        "HTTPS",
        "TLS",
        "Mongo",
        "Redis",
        "MySQL",
    ];

    pub fn parse(text: &str) -> Protocol {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "http" => Protocol::Http,
            "http_proxy" => Protocol::HttpProxy,
            "http2" => Protocol::Http2,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            _ => Protocol::Unsupported,
        }
    }

    /// Whether istiod's validation accepts the text: empty (sniffed) or a known name.
    pub fn is_valid_name(text: &str) -> bool {
        text.is_empty() || Protocol::parse(text) != Protocol::Unsupported
    }

    /// Routed by HTTP route configuration on the sidecar.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http
                | Protocol::Http2
                | Protocol::HttpProxy
                | Protocol::Grpc
                | Protocol::GrpcWeb
        )
    }

    /// Opaque TLS, routed by SNI; `HTTPS` and `TLS` are the same on the sidecar outbound path.
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }

    /// istiod's `IsTCP`: TCP-proxied protocols, including TLS ones, but not UDP or sniffed ports.
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Protocol::Tcp
                | Protocol::Https
                | Protocol::Tls
                | Protocol::Mongo
                | Protocol::Redis
                | Protocol::Mysql
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_case_insensitively() {
        assert_eq!(Protocol::parse("https"), Protocol::Https);
        assert_eq!(Protocol::parse("Grpc-Web"), Protocol::GrpcWeb);
        assert_eq!(Protocol::parse(""), Protocol::Unsupported);
        assert!(Protocol::is_valid_name("mysql"));
        assert!(!Protocol::is_valid_name("HBONE"));
    }
}
