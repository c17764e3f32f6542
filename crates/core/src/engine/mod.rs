//! Evaluation: what an Istio sidecar does with one outbound request, step by step.
//!
//! [`Mesh::new`] indexes a loaded [`Config`] once; [`Mesh::explain`] then evaluates any number of
//! requests against it. Evaluation never fails: every request gets an [`Explanation`] with a
//! decision, the steps that led to it (each pointing at the YAML that decided) and the lint
//! findings on the resources it touched. The order of the stages is Istio's pipeline
//! (`istio-semantics.md` §1): registry view, listener and filter chain, VirtualService route,
//! destination cluster, DestinationRule policy, endpoints, load balancing, telemetry.
//!
//! [`Mesh::classify`] runs the same stages up to the cluster with tracing off; it is what the
//! Envoy filter calls per request.

mod cluster;
mod index;
mod listener;
mod matching;
mod policy;
mod request;
mod routing;
mod simulate;
mod trace;

#[cfg(test)]
mod tests;

pub use index::Mesh;
pub use request::{OutboundPolicy, Request, RequestProtocol, strip_port};
pub use simulate::{Simulation, SimulationCount, SimulationEndpoint};
pub use trace::{Ref, Step, StepOutcome};

use crate::diagnostics::Diagnostic;

/// What the sidecar does with the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent to a cluster istiod built from the registry.
    Routed,
    /// Sent to `PassthroughCluster`: the original destination, unmanaged.
    Passthrough,
    /// Refused: `BlackHoleCluster` for TCP, a 502 from `block_all` for HTTP.
    Blackhole,
    /// Envoy answers itself: 404 NR, 503 NC, a direct response, a redirect, or a closed TCP
    /// connection when a TCP route names a cluster that does not exist.
    LocalReply,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Routed => "routed",
            Outcome::Passthrough => "passthrough",
            Outcome::Blackhole => "blackhole",
            Outcome::LocalReply => "local_reply",
        }
    }
}

/// How the request found its ServiceEntry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// The Host or SNI equals an entry host.
    Exact,
    /// A wildcard entry host covers the Host or SNI.
    Wildcard,
    /// The destination address is the entry's address (explicit, CIDR or auto-allocated).
    Address,
    /// A TCP port without addresses, which takes every connection to that port.
    Port,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Wildcard => "wildcard",
            MatchKind::Address => "address",
            MatchKind::Port => "port",
        }
    }
}

/// The ServiceEntry host the request matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEntryMatch {
    pub namespace: String,
    pub name: String,
    pub host: String,
    pub match_kind: MatchKind,
    pub location: &'static str,
    pub resolution: &'static str,
}

/// A resource named by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedRef {
    pub namespace: String,
    pub name: String,
}

/// The governing VirtualService and the entry that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServiceMatch {
    pub namespace: String,
    pub name: String,
    /// `http`, `tls` or `tcp`.
    pub section: &'static str,
    /// Index of the matching entry in that section; `None` when no entry matched.
    pub route: Option<usize>,
    /// The entry's `name`, when it has one.
    pub route_name: Option<String>,
}

/// One destination of the route, after zero weights are dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Destination {
    pub cluster: String,
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<u32>,
    pub weight: u32,
    pub percent: f64,
    /// Whether istiod generates the cluster; a missing one makes Envoy answer 503 NC.
    pub exists: bool,
}

/// The Envoy cluster discovery type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterType {
    Eds,
    StrictDns,
    LogicalDns,
    OriginalDst,
    Static,
}

impl ClusterType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterType::Eds => "EDS",
            ClusterType::StrictDns => "STRICT_DNS",
            ClusterType::LogicalDns => "LOGICAL_DNS",
            ClusterType::OriginalDst => "ORIGINAL_DST",
            ClusterType::Static => "STATIC",
        }
    }
}

/// One endpoint (Envoy host) of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// An IP, or a hostname the DNS table did not resolve.
    pub address: String,
    pub port: u32,
    pub labels: Vec<(String, String)>,
    pub locality: Option<String>,
    /// `load_balancing_weight`: the endpoint's weight, 0 and unset becoming 1.
    pub weight: u32,
}

/// Envoy's load-balancing policy for the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancer {
    LeastRequest,
    RoundRobin,
    Random,
    RingHash,
    Maglev,
    ClusterProvided,
}

impl LoadBalancer {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadBalancer::LeastRequest => "LEAST_REQUEST",
            LoadBalancer::RoundRobin => "ROUND_ROBIN",
            LoadBalancer::Random => "RANDOM",
            LoadBalancer::RingHash => "RING_HASH",
            LoadBalancer::Maglev => "MAGLEV",
            LoadBalancer::ClusterProvided => "CLUSTER_PROVIDED",
        }
    }
}

/// Where the consistent-hash key comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashSource {
    Cookie,
    Header,
    SourceIp,
    Query,
}

impl HashSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HashSource::Cookie => "cookie",
            HashSource::Header => "header",
            HashSource::SourceIp => "source_ip",
            HashSource::Query => "query",
        }
    }
}

/// Consistent hashing applied to this request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashDecision {
    pub source: HashSource,
    /// Header, cookie or query parameter name; `None` for the source IP.
    pub name: Option<String>,
    /// The value hashed; `None` when the request does not carry it.
    pub value: Option<String>,
    /// The 64-bit xxHash of the key Envoy computes, when there is one.
    pub key: Option<u64>,
    /// Whether hashing pins an endpoint for this request.
    pub effective: bool,
    /// The endpoint Envoy's ring or Maglev table picks for `key`.
    pub endpoint: Option<(String, u32)>,
    /// Why hashing has no effect, or what Envoy does instead.
    pub note: Option<String>,
}

/// TLS the sidecar originates to the upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOrigination {
    /// `SIMPLE`, `MUTUAL` or `ISTIO_MUTUAL`.
    pub mode: &'static str,
    /// The SNI sent; `None` when none is.
    pub sni: Option<String>,
    /// The SNI is taken from each request's Host (`auto_sni`).
    pub auto_sni: bool,
    /// What the upstream certificate is checked against.
    pub verify: String,
}

/// The retry policy Envoy applies to the route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retries {
    pub attempts: u32,
    pub per_try_timeout: Option<String>,
    pub retry_on: String,
    pub retriable_status_codes: Vec<u32>,
    /// Whether this is Istio's default policy rather than one the VirtualService wrote.
    pub default: bool,
}

/// The `istio_requests_total` labels reported by the calling sidecar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Telemetry {
    pub destination_service: String,
    pub destination_service_name: String,
    pub destination_service_namespace: String,
}

/// The full answer for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub outcome: Outcome,
    pub http_status: Option<u16>,
    /// Envoy's response flag for a local reply (`NR`, `NC`), when there is one.
    pub response_flag: Option<&'static str>,
    pub service_entry: Option<ServiceEntryMatch>,
    pub virtual_service: Option<VirtualServiceMatch>,
    pub destination_rule: Option<NamedRef>,
    pub listener: Option<String>,
    pub cluster: Option<String>,
    pub cluster_exists: bool,
    pub subset: Option<String>,
    pub destinations: Vec<Destination>,
    pub envoy_cluster_type: Option<ClusterType>,
    pub endpoints: Vec<Endpoint>,
    pub load_balancer: Option<LoadBalancer>,
    pub hash: Option<HashDecision>,
    pub tls_origination: Option<TlsOrigination>,
    pub timeout: Option<String>,
    pub retries: Option<Retries>,
    pub telemetry: Telemetry,
    pub steps: Vec<Step>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The per-request answer the Envoy filter needs: which entry, which cluster, what outcome.
/// Names borrow from the [`Mesh`], so classifying allocates little.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification<'m> {
    pub outcome: Outcome,
    pub http_status: Option<u16>,
    pub service_entry: Option<EntryRef<'m>>,
    pub virtual_service: Option<RouteRef<'m>>,
    pub cluster: Option<String>,
    pub subset: Option<String>,
    /// Whether this answer can change with more of an HTTP request than its host, port,
    /// destination address and source: an HTTP route match looked at the uri, method, headers
    /// or query parameters. When false, every request that agrees on those gets the same
    /// classification, so a caller may keep it for them.
    pub depends_on_request: bool,
}

/// A matched ServiceEntry host, borrowed from the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'m> {
    pub namespace: &'m str,
    pub name: &'m str,
    pub host: &'m str,
    pub match_kind: MatchKind,
    pub location: &'static str,
    pub resolution: &'static str,
}

impl EntryRef<'_> {
    pub fn to_owned(&self) -> ServiceEntryMatch {
        ServiceEntryMatch {
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            host: self.host.to_string(),
            match_kind: self.match_kind,
            location: self.location,
            resolution: self.resolution,
        }
    }
}

/// The governing VirtualService and matching entry, borrowed from the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRef<'m> {
    pub namespace: &'m str,
    pub name: &'m str,
    pub section: &'static str,
    pub route: Option<usize>,
    pub route_name: Option<&'m str>,
}

impl RouteRef<'_> {
    pub fn to_owned(&self) -> VirtualServiceMatch {
        VirtualServiceMatch {
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            section: self.section,
            route: self.route,
            route_name: self.route_name.map(str::to_string),
        }
    }
}
