//! The request flags `explain` and `simulate` share, and the request JSON object they become.
//!
//! Only what the user typed goes into the object: defaults (port 80, method GET, namespace
//! `default`...) are the engine's, so that every face gets the same ones. Malformed values are
//! refused here, while parsing, so that they exit with a usage error before any input is read.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, ValueEnum};
use meshroute_core::Source;
use meshroute_core::load::MAX_SOURCE_BYTES;
use serde_json::{Map, Value};

use crate::input::{self, Input, Problem};
use crate::lint::EXIT_USAGE;
use crate::render::clean;

/// The request to explain and the configuration to explain it against.
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Request",
    group(ArgGroup::new("destination").args(["host", "dest_ip"]).required(true).multiple(true))
)]
pub(crate) struct RequestArgs {
    /// Istio configuration: a file, a directory (its *.yaml, *.yml and *.json files,
    /// recursively), or `-` for stdin. Repeat for several.
    #[arg(short = 'f', long = "file", value_name = "PATH", help_heading = "Configuration")]
    pub(crate) files: Vec<PathBuf>,

    /// The HTTP Host (`:authority`), the TLS SNI, or the name the application resolved.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// Destination port [default: 80 for http, http2 and grpc, 443 for https and tls;
    /// required for tcp].
    // Negative numbers are taken as values so that `--port -1` is reported as a bad port.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..),
          allow_negative_numbers = true)]
    port: Option<u16>,

    /// What the application sends [default: http].
    #[arg(long, value_enum)]
    protocol: Option<Protocol>,

    /// Namespace of the calling workload [default: default].
    #[arg(long, value_name = "NAMESPACE")]
    from: Option<String>,

    /// A label of the calling workload. Repeat for several.
    #[arg(long = "source-label", value_name = "KEY=VALUE", value_parser = parse_source_label)]
    source_labels: Vec<(String, String)>,

    /// HTTP method [default: GET].
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,

    /// HTTP path, with or without a query string [default: /].
    #[arg(long, value_name = "PATH")]
    path: Option<String>,

    /// A request header. Repeat for several; a name given twice sends both values.
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(String, String)>,

    /// A cookie, sent with the others in one `cookie` header. Repeat for several.
    #[arg(long = "cookie", value_name = "NAME=VALUE", value_parser = parse_cookie)]
    cookies: Vec<(String, String)>,

    /// A query parameter, appended to the path. Repeat for several.
    #[arg(long = "query", value_name = "NAME=VALUE", value_parser = parse_query)]
    query: Vec<(String, String)>,

    /// IP address of the calling pod [default: 10.0.0.1].
    #[arg(long = "source-ip", value_name = "IP")]
    source_ip: Option<IpAddr>,

    /// IP address the application connected to (what DNS answered it).
    #[arg(long = "dest-ip", value_name = "IP")]
    dest_ip: Option<IpAddr>,

    /// Overrides the outbound traffic policy of the configuration's Sidecar or mesh settings.
    #[arg(long = "outbound-policy", value_enum, ignore_case = true, value_name = "POLICY")]
    outbound_policy: Option<OutboundPolicy>,

    /// The sidecar runs Istio's DNS proxy (ISTIO_META_DNS_CAPTURE), so addresses istiod
    /// allocated to ServiceEntries are used.
    #[arg(long = "dns-capture")]
    dns_capture: bool,

    /// A stand-in DNS answer for DNS-resolved endpoints. Repeat for several hosts.
    #[arg(long = "dns", value_name = "HOST=IP[,IP...]", value_parser = parse_dns)]
    dns: Vec<(String, Vec<IpAddr>)>,
}

/// The contract's `protocol` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Protocol {
    /// Plaintext HTTP/1.1
    Http,
    /// TLS from the application (the same as tls)
    Https,
    /// Plaintext HTTP/2 (h2c)
    Http2,
    /// gRPC over h2c
    Grpc,
    /// TLS from the application, routed by SNI
    Tls,
    /// Opaque TCP
    Tcp,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Http2 => "http2",
            Protocol::Grpc => "grpc",
            Protocol::Tls => "tls",
            Protocol::Tcp => "tcp",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutboundPolicy {
    /// Unknown destinations pass through
    #[value(name = "ALLOW_ANY")]
    AllowAny,
    /// Unknown destinations are blocked
    #[value(name = "REGISTRY_ONLY")]
    RegistryOnly,
}

impl OutboundPolicy {
    fn as_str(self) -> &'static str {
        match self {
            OutboundPolicy::AllowAny => "ALLOW_ANY",
            OutboundPolicy::RegistryOnly => "REGISTRY_ONLY",
        }
    }
}

/// A request ready for the engine: its JSON and the configuration read in full.
pub(crate) struct Prepared {
    pub(crate) request: Value,
    pub(crate) inputs: Vec<Input>,
}

impl Prepared {
    pub(crate) fn sources(&self) -> Vec<Source<'_>> {
        self.inputs.iter().map(|input| Source { name: &input.name, bytes: &input.bytes }).collect()
    }
}

/// Builds the request and reads the configuration. A bad flag or an input that cannot be read
/// ends the run with exit status 2 (after a message on stderr): explaining against part of the
/// configuration could tell a confidently wrong story. Broken YAML is not such a case; the
/// engine reports it among the explanation's diagnostics.
pub(crate) fn prepare(args: &RequestArgs, subcommand: &str) -> Result<Prepared, ExitCode> {
    let request = args.to_json().map_err(|message| crate::usage_error(subcommand, &message))?;
    let inputs = input::read_all(&args.files);
    let mut err = io::stderr().lock();
    // Writing to stderr can fail only when nobody reads it; the exit status still tells.
    for dir in &inputs.empty_dirs {
        let _ = writeln!(err, "meshroute: no .yaml, .yml or .json files in {}", clean(dir));
    }
    if inputs.problems.is_empty() {
        return Ok(Prepared { request, inputs: inputs.read });
    }
    for problem in &inputs.problems {
        let _ = match problem {
            Problem::Unreadable { name, reason } => writeln!(
                err,
                "meshroute: cannot read `{}`: {reason}; check the path and its permissions",
                clean(name)
            ),
            Problem::TooLarge { name, size } => {
                let size = size.map(|size| format!("{size} bytes, ")).unwrap_or_default();
                writeln!(
                    err,
                    "meshroute: `{}` is {size}more than the {MAX_SOURCE_BYTES} bytes meshroute \
                     reads; split it into several files",
                    clean(name)
                )
            }
        };
    }
    Err(ExitCode::from(EXIT_USAGE))
}

impl RequestArgs {
    /// The request object of CONTRACT.md, with only the fields given on the command line, in
    /// the contract's order. Fails on what a single flag cannot see: a name given twice where the
    /// contract holds one value per name.
    pub(crate) fn to_json(&self) -> Result<Value, String> {
        let mut request = Map::new();
        let mut put = |key: &str, value: Value| {
            request.insert(key.to_string(), value);
        };
        if let Some(from) = &self.from {
            put("from", from.as_str().into());
        }
        if !self.source_labels.is_empty() {
            put("source_labels", unique_map("--source-label", &self.source_labels)?);
        }
        if let Some(host) = &self.host {
            put("host", host.as_str().into());
        }
        if let Some(port) = self.port {
            put("port", port.into());
        }
        if let Some(protocol) = self.protocol {
            put("protocol", protocol.as_str().into());
        }
        if let Some(method) = &self.method {
            put("method", method.as_str().into());
        }
        if let Some(path) = &self.path {
            put("path", path.as_str().into());
        }
        if !self.headers.is_empty() {
            put("headers", headers(&self.headers));
        }
        if !self.cookies.is_empty() {
            put("cookies", unique_map("--cookie", &self.cookies)?);
        }
        if !self.query.is_empty() {
            put("query", unique_map("--query", &self.query)?);
        }
        if let Some(ip) = self.source_ip {
            put("source_ip", ip.to_string().into());
        }
        if let Some(ip) = self.dest_ip {
            put("dest_ip", ip.to_string().into());
        }
        if let Some(policy) = self.outbound_policy {
            put("outbound_policy", policy.as_str().into());
        }
        if self.dns_capture {
            put("dns_capture", true.into());
        }
        if !self.dns.is_empty() {
            put("dns", dns(&self.dns));
        }
        Ok(Value::Object(request))
    }

    /// The request in one line, as a person would say it: `GET http://api.stripe.com:443/ from
    /// namespace payments`. Defaults the user left out are shown as CONTRACT.md documents them.
    pub(crate) fn headline(&self) -> String {
        let protocol = self.protocol.unwrap_or(Protocol::Http);
        let host = match (&self.host, self.dest_ip) {
            (Some(host), _) => meshroute_core::engine::strip_port(host).to_string(),
            (None, Some(IpAddr::V6(ip))) => format!("[{ip}]"),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "?".to_string(),
        };
        let port = self.port.or(match protocol {
            Protocol::Http | Protocol::Http2 | Protocol::Grpc => Some(80),
            Protocol::Https | Protocol::Tls => Some(443),
            Protocol::Tcp => None,
        });
        let authority = match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let mut line = match protocol {
            Protocol::Http | Protocol::Http2 | Protocol::Grpc => {
                let method = self.method.as_deref().unwrap_or("GET");
                let path = self.path.as_deref().unwrap_or("/");
                let mut line = format!("{method} http://{authority}{path}");
                for (index, (name, value)) in self.query.iter().enumerate() {
                    let separator = if index == 0 && !path.contains('?') { '?' } else { '&' };
                    let _ = write!(line, "{separator}{name}={value}");
                }
                match protocol {
                    Protocol::Http2 => line.push_str(" over HTTP/2"),
                    Protocol::Grpc => line.push_str(" over gRPC"),
                    _ => {}
                }
                line
            }
            Protocol::Https | Protocol::Tls => format!("TLS {authority}"),
            Protocol::Tcp => format!("TCP {authority}"),
        };
        if let (Some(_), Some(ip)) = (&self.host, self.dest_ip) {
            let _ = write!(line, " to {ip}");
        }
        let _ = write!(line, " from namespace {}", self.from.as_deref().unwrap_or("default"));
        if !self.source_labels.is_empty() {
            let labels: Vec<String> =
                self.source_labels.iter().map(|(key, value)| format!("{key}={value}")).collect();
            let _ = write!(line, " ({})", labels.join(","));
        }
        if let Some(ip) = self.source_ip {
            let _ = write!(line, ", pod IP {ip}");
        }
        // Cleaned line by line: the flags' text goes to a terminal, the newlines are ours.
        let mut headline = clean(&line).into_owned();
        for (name, value) in &self.headers {
            let _ = write!(headline, "\n  {}: {}", clean(name), clean(value));
        }
        if !self.cookies.is_empty() {
            let cookies: Vec<String> =
                self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            let _ = write!(headline, "\n  cookie: {}", clean(&cookies.join("; ")));
        }
        headline
    }
}

/// Pairs as a JSON object; a name given twice is refused, since the contract keeps one value per
/// name and silently dropping one would explain a different request than the one typed.
fn unique_map(flag: &str, pairs: &[(String, String)]) -> Result<Value, String> {
    let mut map = Map::new();
    for (name, value) in pairs {
        if map.insert(name.clone(), value.as_str().into()).is_some() {
            return Err(format!("{flag} `{name}` is given twice; give each name once"));
        }
    }
    Ok(Value::Object(map))
}

/// Headers by name, case-insensitively (HTTP names are), keeping the first spelling: one value
/// as a string, several as a list in the order given.
fn headers(pairs: &[(String, String)]) -> Value {
    let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in pairs {
        match grouped.iter_mut().find(|(seen, _)| seen.eq_ignore_ascii_case(name)) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    let map = grouped
        .into_iter()
        .map(|(name, values)| {
            let value = match values.as_slice() {
                [one] => Value::from(*one),
                many => Value::from(many.to_vec()),
            };
            (name.to_string(), value)
        })
        .collect();
    Value::Object(map)
}

/// Answers by host; a host given twice gets the addresses of both, each once.
fn dns(answers: &[(String, Vec<IpAddr>)]) -> Value {
    let mut grouped: Vec<(&str, Vec<IpAddr>)> = Vec::new();
    for (host, ips) in answers {
        let index = match grouped.iter().position(|(seen, _)| seen == host) {
            Some(index) => index,
            None => {
                grouped.push((host, Vec::new()));
                grouped.len() - 1
            }
        };
        let known = &mut grouped[index].1;
        for ip in ips {
            if !known.contains(ip) {
                known.push(*ip);
            }
        }
    }
    let map = grouped
        .into_iter()
        .map(|(host, ips)| {
            let ips: Vec<Value> = ips.iter().map(|ip| ip.to_string().into()).collect();
            (host.to_string(), Value::Array(ips))
        })
        .collect();
    Value::Object(map)
}

/// RFC 9110 token characters: what a header or cookie name may be made of.
fn is_token(name: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-.^_`|~";
    !name.is_empty() && name.chars().all(|ch| ch.is_ascii_alphanumeric() || SPECIALS.contains(ch))
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err("expected `Name: value`, as in --header 'x-user: alice'".to_string());
    };
    if name.is_empty() && !value.is_empty() {
        return Err(
            "pseudo-headers are set with --host, --method and --path, not --header".to_string()
        );
    }
    if !is_token(name) {
        return Err(format!(
            "`{name}` is not a header name (letters, digits and !#$%&'*+-.^_`|~, no spaces); \
             expected `Name: value`"
        ));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// `name=value`, split at the first `=`; the value may be empty, the name may not.
fn split_pair<'a>(text: &'a str, example: &str) -> Result<(&'a str, &'a str), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name, value)),
        Some(_) => Err(format!("the name before `=` is empty; expected {example}")),
        None => Err(format!("expected {example}")),
    }
}

fn parse_cookie(text: &str) -> Result<(String, String), String> {
    let (name, value) = split_pair(text, "`name=value`, as in --cookie session=abc")?;
    if !is_token(name) {
        return Err(format!("`{name}` is not a cookie name (no spaces, `;` or `=`)"));
    }
    if value.contains(';') {
        return Err("a cookie value cannot contain `;`; give each cookie its own --cookie".into());
    }
    Ok((name.to_string(), value.to_string()))
}

fn parse_query(text: &str) -> Result<(String, String), String> {
    let (name, value) = split_pair(text, "`name=value`, as in --query user=alice")?;
    Ok((name.to_string(), value.to_string()))
}

fn parse_source_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = split_pair(text, "`key=value`, as in --source-label app=checkout")?;
    Ok((name.to_string(), value.to_string()))
}

fn parse_dns(text: &str) -> Result<(String, Vec<IpAddr>), String> {
    const EXAMPLE: &str = "`HOST=IP[,IP...]`, as in --dns api.example.com=203.0.113.7,203.0.113.8";
    let (host, ips) = split_pair(text, EXAMPLE)?;
    let mut parsed = Vec::new();
    let mut seen = BTreeSet::new();
    for ip in ips.split(',') {
        let ip = ip.trim();
        let address: IpAddr = ip.parse().map_err(|_| {
            if ip.is_empty() {
                format!("an IP address is missing after `{host}=`; expected {EXAMPLE}")
            } else {
                format!("`{ip}` is not an IP address; expected {EXAMPLE}")
            }
        })?;
        if seen.insert(address) {
            parsed.push(address);
        }
    }
    Ok((host.to_string(), parsed))
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        request: RequestArgs,
    }

    fn parse(args: &[&str]) -> Result<RequestArgs, clap::Error> {
        let argv = std::iter::once("probe").chain(args.iter().copied());
        Probe::try_parse_from(argv).map(|probe| probe.request)
    }

    fn request(args: &[&str]) -> Value {
        parse(args).expect("parses").to_json().expect("a request")
    }

    #[test]
    fn only_given_fields_are_sent() {
        assert_eq!(request(&["--host", "api.stripe.com"]), json!({"host": "api.stripe.com"}));
        assert_eq!(request(&["--dest-ip", "10.0.0.7"]), json!({"dest_ip": "10.0.0.7"}));
    }

    #[test]
    fn every_flag_has_its_contract_field() {
        let value = request(&[
            "-f",
            "a.yaml",
            "--host",
            "api.stripe.com",
            "--port",
            "443",
            "--protocol",
            "http2",
            "--from",
            "payments",
            "--source-label",
            "app=checkout",
            "--source-label",
            "v=2",
            "--method",
            "POST",
            "--path",
            "/v1/charges",
            "--header",
            "X-User: alice",
            "--header",
            "x-user:bob",
            "--header",
            "accept: */*",
            "--cookie",
            "session=u1",
            "--query",
            "debug=",
            "--source-ip",
            "10.1.2.3",
            "--dest-ip",
            "::1",
            "--outbound-policy",
            "registry_only",
            "--dns-capture",
            "--dns",
            "a.example.com=1.2.3.4,1.2.3.5",
            "--dns",
            "a.example.com=1.2.3.4,1.2.3.6",
        ]);
        assert_eq!(
            value,
            json!({
                "from": "payments",
                "source_labels": {"app": "checkout", "v": "2"},
                "host": "api.stripe.com",
                "port": 443,
                "protocol": "http2",
                "method": "POST",
                "path": "/v1/charges",
                "headers": {"X-User": ["alice", "bob"], "accept": "*/*"},
                "cookies": {"session": "u1"},
                "query": {"debug": ""},
                "source_ip": "10.1.2.3",
                "dest_ip": "::1",
                "outbound_policy": "REGISTRY_ONLY",
                "dns_capture": true,
                "dns": {"a.example.com": ["1.2.3.4", "1.2.3.5", "1.2.3.6"]}
            })
        );
    }

    #[test]
    fn malformed_values_are_usage_errors() {
        for args in [
            &["--from", "x"][..],
            &["--host", "a", "--header", "no colon"],
            &["--host", "a", "--header", "two words: x"],
            &["--host", "a", "--header", ":authority: x"],
            &["--host", "a", "--cookie", "novalue"],
            &["--host", "a", "--cookie", "=x"],
            &["--host", "a", "--cookie", "a=b; c=d"],
            &["--host", "a", "--dns", "b.example.com"],
            &["--host", "a", "--dns", "b.example.com=1.2.3.4,"],
            &["--host", "a", "--dns", "b.example.com=not-an-ip"],
            &["--host", "a", "--port", "0"],
            &["--host", "a", "--port", "70000"],
            &["--host", "a", "--port", "https"],
            &["--host", "a", "--protocol", "udp"],
            &["--host", "a", "--source-ip", "10.0.0"],
            &["--host", "a", "--outbound-policy", "DENY"],
        ] {
            let error = parse(args).expect_err(&format!("{args:?} must be refused"));
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn names_given_twice_are_refused_where_the_contract_keeps_one_value() {
        let args = parse(&["--host", "a", "--cookie", "s=1", "--cookie", "s=2"]).expect("parses");
        assert_eq!(args.to_json().unwrap_err(), "--cookie `s` is given twice; give each name once");
    }

    #[test]
    fn headlines() {
        let headline = |args: &[&str]| parse(args).expect("parses").headline();
        assert_eq!(
            headline(&["--host", "api.stripe.com", "--port", "443", "--from", "payments"]),
            "GET http://api.stripe.com:443/ from namespace payments"
        );
        assert_eq!(
            headline(&["--host", "a.example.com:8080", "--query", "x=1", "--query", "y=2"]),
            "GET http://a.example.com:80/?x=1&y=2 from namespace default"
        );
        assert_eq!(
            headline(&["--host", "api.stripe.com", "--protocol", "tls"]),
            "TLS api.stripe.com:443 from namespace default"
        );
        assert_eq!(
            headline(&["--dest-ip", "fd00::7", "--protocol", "tcp", "--port", "5432"]),
            "TCP [fd00::7]:5432 from namespace default"
        );
        assert_eq!(
            headline(&["--host", "a", "--header", "x-user: al\x1bice", "--cookie", "s=1"]),
            "GET http://a:80/ from namespace default\n  x-user: al\u{fffd}ice\n  cookie: s=1"
        );
    }
}
