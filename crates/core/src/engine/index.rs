//! The index built once per configuration: services by host, address and port; rules by host.
//!
//! Every lookup a request makes is a hash-map probe: exact hosts by key, wildcard hosts by their
//! suffix, probed once per distinct suffix length (Envoy's own virtual-host lookup does the
//! same), so the cost does not grow with the number of entries.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use crate::api::{Location, Resolution, ServiceEntry};
use crate::diagnostics::Diagnostic;
use crate::host;
use crate::load::{Config, Spec};
use crate::protocol::Protocol;
use crate::validate::common::parse_ip;

use super::request::OutboundPolicy;

/// A small, fast, deterministic hasher (the Fx hash of rustc) for short string and integer keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(SEED);
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.write(&[value]);
    }

    fn write_u32(&mut self, value: u32) {
        self.write(&value.to_le_bytes());
    }

    fn write_u64(&mut self, value: u64) {
        self.write(&value.to_le_bytes());
    }

    fn write_usize(&mut self, value: usize) {
        self.write(&(value as u64).to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Host patterns to ids: exact keys, and wildcard keys by the suffix after `*`.
#[derive(Default, Debug)]
pub(crate) struct HostTable {
    exact: FastMap<Box<str>, Vec<u32>>,
    wildcard: FastMap<Box<str>, Vec<u32>>,
    /// Distinct wildcard suffix lengths, longest first.
    suffix_lengths: Vec<usize>,
}

impl HostTable {
    pub(crate) fn insert(&mut self, pattern: &str, id: u32) {
        match pattern.strip_prefix('*') {
            Some(suffix) => {
                self.wildcard.entry(suffix.into()).or_default().push(id);
                if let Err(at) = self.suffix_lengths.binary_search_by(|len| suffix.len().cmp(len)) {
                    self.suffix_lengths.insert(at, suffix.len());
                }
            }
            None => self.exact.entry(pattern.into()).or_default().push(id),
        }
    }

    /// Ids stored under exactly this pattern (a wildcard pattern includes its `*`).
    pub(crate) fn exact(&self, pattern: &str) -> &[u32] {
        match pattern.strip_prefix('*') {
            Some(suffix) => self.wildcard.get(suffix).map_or(&[], Vec::as_slice),
            None => self.exact.get(pattern).map_or(&[], Vec::as_slice),
        }
    }

    /// Wildcard patterns covering `name`, most specific first, as (suffix, ids). With `strict`
    /// the wildcard must cover at least one character (Envoy); without, a partial wildcard such
    /// as `*foo.com` also covers `foo.com` (istiod's `Matches`).
    pub(crate) fn covering<'a>(
        &'a self,
        name: &'a str,
        strict: bool,
    ) -> impl Iterator<Item = (&'a str, &'a [u32])> + 'a {
        self.suffix_lengths.iter().filter_map(move |&len| {
            let fits = if strict { len < name.len() } else { len <= name.len() };
            if !fits || !name.is_char_boundary(name.len() - len) {
                return None;
            }
            let suffix = &name[name.len() - len..];
            self.wildcard.get(suffix).map(|ids| (suffix, ids.as_slice()))
        })
    }
}

/// Where a resource is exported (`exportTo` after mesh defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExportTo {
    Public,
    /// Exported to these namespaces (`.` already replaced by the resource's own).
    Namespaces(Vec<String>),
    Nobody,
}

impl ExportTo {
    pub(crate) fn from_values(values: &[&str], own: &str) -> ExportTo {
        if values.contains(&"*") {
            return ExportTo::Public;
        }
        if values.contains(&"~") {
            return ExportTo::Nobody;
        }
        let mut namespaces: Vec<String> = values
            .iter()
            .map(|value| if *value == "." { own.to_string() } else { value.to_string() })
            .collect();
        crate::sort::sort(&mut namespaces);
        namespaces.dedup();
        ExportTo::Namespaces(namespaces)
    }

    pub(crate) fn visible_to(&self, namespace: &str) -> bool {
        match self {
            ExportTo::Public => true,
            ExportTo::Namespaces(list) => list.iter().any(|ns| ns == namespace),
            ExportTo::Nobody => false,
        }
    }

    /// Exported only to the resource's own namespace.
    pub(crate) fn is_private_to(&self, own: &str) -> bool {
        matches!(self, ExportTo::Namespaces(list) if list.len() == 1 && list[0] == own)
    }
}

/// One port of a service.
#[derive(Clone, Debug)]
pub(crate) struct ServicePort {
    pub(crate) number: u32,
    pub(crate) protocol: Protocol,
    pub(crate) name: String,
    pub(crate) target_port: Option<u32>,
}

impl ServicePort {
    /// HTTP listener kind: HTTP, HTTP2, gRPC (and the sniffed "auto" protocol).
    pub(crate) fn serves_http(&self) -> bool {
        self.protocol.is_http() || self.protocol == Protocol::Unsupported
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.protocol.is_tls()
    }

    /// Opaque TCP kinds (TCP, Mongo, Redis, MySQL, and the TCP side of sniffed ports).
    pub(crate) fn serves_tcp(&self) -> bool {
        matches!(
            self.protocol,
            Protocol::Tcp
                | Protocol::Mongo
                | Protocol::Redis
                | Protocol::Mysql
                | Protocol::Unsupported
        )
    }
}

/// An address from `addresses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    Ip(IpAddr),
    Cidr(IpAddr, u8),
}

pub(crate) fn cidr_contains(net: IpAddr, len: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let len = u32::from(len.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            (u32::from(net) & mask) == (u32::from(ip) & mask)
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let len = u32::from(len.min(128));
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            (u128::from(net) & mask) == (u128::from(ip) & mask)
        }
        _ => false,
    }
}

/// Parses `10.0.0.1`, `10.0.0.0/16` or `2001:db8::/32`; a full-length prefix becomes the IP.
pub(crate) fn parse_address(text: &str) -> Option<Address> {
    match text.split_once('/') {
        Some((ip, len)) => {
            let ip = parse_ip(ip)?;
            let len: u8 = len.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if len > max {
                return None;
            }
            Some(if len == max { Address::Ip(ip) } else { Address::Cidr(ip, len) })
        }
        None => parse_ip(text).map(Address::Ip),
    }
}

/// One host of one ServiceEntry: istiod's internal `Service` (addresses kept together).
#[derive(Debug)]
pub(crate) struct Service {
    /// Index of the ServiceEntry in `Config::resources`.
    pub(crate) resource: usize,
    /// The host as written (used in cluster names and telemetry).
    pub(crate) host: String,
    /// The host lowercased: the key Envoy's case-insensitive matching uses.
    pub(crate) host_key: String,
    /// Position in `spec.hosts`.
    pub(crate) host_index: usize,
    pub(crate) namespace: String,
    pub(crate) resolution: Resolution,
    pub(crate) location: Location,
    pub(crate) ports: Vec<ServicePort>,
    pub(crate) addresses: Vec<Address>,
    /// Addresses istiod's allocator wrote into `status.addresses` for this host.
    pub(crate) auto_addresses: Vec<IpAddr>,
    pub(crate) export_to: ExportTo,
    /// Whether the allocator would give this host an address (§5.6).
    pub(crate) auto_allocatable: bool,
}

impl Service {
    pub(crate) fn port(&self, number: u32) -> Option<&ServicePort> {
        self.ports.iter().find(|port| port.number == number)
    }

    /// The addresses this proxy binds the service to: explicit ones, else auto-allocated ones
    /// when the proxy captures DNS, else none (`0.0.0.0`).
    pub(crate) fn bound_addresses(&self, dns_capture: bool) -> Vec<Address> {
        if !self.addresses.is_empty() {
            return self.addresses.clone();
        }
        if dns_capture && self.auto_allocatable {
            return self.auto_addresses.iter().map(|ip| Address::Ip(*ip)).collect();
        }
        Vec::new()
    }

    pub(crate) fn spec<'c>(&self, config: &'c Config) -> &'c ServiceEntry {
        match &config.resources[self.resource].spec {
            Spec::ServiceEntry(spec) => spec,
            _ => unreachable!("services are built from ServiceEntries only"),
        }
    }
}

/// A DestinationRule as istiod indexes it: host expanded, exportTo resolved, same-scope rules
/// with the same host and exportTo merged.
#[derive(Debug)]
pub(crate) struct DrEntry {
    /// The rules merged into this entry, oldest first; the first one names it.
    pub(crate) resources: Vec<usize>,
    pub(crate) host: String,
    pub(crate) export_to: ExportTo,
    pub(crate) selector: Option<Vec<(String, String)>>,
}

/// DestinationRules of one lookup scope, by host.
#[derive(Default, Debug)]
pub(crate) struct DrScope {
    pub(crate) hosts: HostTable,
}

/// A VirtualService that applies to sidecars.
#[derive(Debug)]
pub(crate) struct VsEntry {
    pub(crate) resource: usize,
    pub(crate) namespace: String,
    /// Hosts after short-name expansion.
    pub(crate) hosts: Vec<String>,
    pub(crate) export_to: ExportTo,
    pub(crate) age: (i64, u32),
}

/// The index over one configuration; build once, evaluate many requests.
pub struct Mesh {
    pub(crate) config: Config,
    pub(crate) lint: Vec<Diagnostic>,
    pub(crate) services: Vec<Service>,
    /// Services by lowercased host (Envoy compares Host and SNI case-insensitively).
    pub(crate) service_hosts: HostTable,
    /// Services by explicit IP address.
    pub(crate) by_address: FastMap<IpAddr, Vec<u32>>,
    /// Services by auto-allocated address.
    pub(crate) by_auto_address: FastMap<IpAddr, Vec<u32>>,
    /// Services with CIDR addresses, most specific prefix first.
    pub(crate) cidr_services: Vec<(IpAddr, u8, u32)>,
    /// Services with an HTTP-kind port, by port number (oldest first).
    pub(crate) http_by_port: FastMap<u32, Vec<u32>>,
    /// Ports with an HTTP-kind port on a public service, and (port, namespace) pairs for
    /// services exported to named namespaces: whether a proxy has an HTTP listener on a port
    /// is then two probes rather than a scan.
    pub(crate) http_public_ports: FastMap<u32, ()>,
    pub(crate) http_namespace_ports: FastMap<String, Vec<u32>>,
    /// Lint findings by the resource they are about, and those about no resource.
    pub(crate) lint_by_resource: FastMap<(&'static str, String, String), Vec<usize>>,
    pub(crate) lint_unattached: Vec<usize>,
    /// DestinationRule entries by expanded host.
    pub(crate) dr_by_host: FastMap<String, Vec<u32>>,
    /// Services with a TCP-kind port, by port number (oldest first).
    pub(crate) tcp_by_port: FastMap<u32, Vec<u32>>,
    pub(crate) virtual_services: Vec<VsEntry>,
    pub(crate) vs_hosts: HostTable,
    /// VirtualServices with an exact host that a wildcard ServiceEntry host covers, by that
    /// wildcard's suffix: TCP and TLS routing considers them (`Matches` is symmetric).
    pub(crate) vs_under_wildcard: FastMap<Box<str>, Vec<u32>>,
    pub(crate) destination_rules: Vec<DrEntry>,
    pub(crate) dr_namespace_local: FastMap<String, DrScope>,
    pub(crate) dr_exported: FastMap<String, DrScope>,
    pub(crate) dr_root_local: DrScope,
    pub(crate) regexes: super::matching::RegexCache,
    /// Sidecar resources (indices into `Config::resources`).
    pub(crate) sidecars: Vec<usize>,
    pub(crate) root_namespace: String,
    pub(crate) mesh_policy: Option<(usize, OutboundPolicy)>,
}

impl Mesh {
    /// Indexes a loaded configuration. Resources that failed to decode are left out, as istiod
    /// refuses them; `diagnostics` (usually from [`crate::lint`]) are kept to show per request.
    pub fn new(config: Config, diagnostics: Vec<Diagnostic>) -> Mesh {
        let mesh_config = config.mesh_config().map(|(_, mesh)| mesh.clone());
        let mesh_resource =
            config.resources.iter().rposition(|res| matches!(res.spec, Spec::MeshConfig(_)));
        let root_namespace = mesh_config
            .as_ref()
            .and_then(|mesh| mesh.root_namespace.as_ref())
            .map_or_else(|| "istio-system".to_string(), |ns| ns.value.clone());
        let default_export = |field: Option<&crate::decode::Spanned<crate::api::Strings>>| {
            field.map(|values| values.iter().map(|v| v.value.clone()).collect::<Vec<_>>())
        };
        let mesh_se_export = mesh_config
            .as_ref()
            .and_then(|mesh| default_export(mesh.default_service_export_to.as_ref()));
        let mesh_vs_export = mesh_config
            .as_ref()
            .and_then(|mesh| default_export(mesh.default_virtual_service_export_to.as_ref()));
        let mesh_dr_export = mesh_config
            .as_ref()
            .and_then(|mesh| default_export(mesh.default_destination_rule_export_to.as_ref()));
        let mesh_policy = mesh_config.as_ref().and_then(|mesh| {
            let policy = mesh.outbound_traffic_policy.as_ref()?;
            let mode = policy.mode.as_ref().map(|mode| mode.value);
            let mode = match mode {
                Some(crate::api::OutboundMode::RegistryOnly) => OutboundPolicy::RegistryOnly,
                // An explicit policy without a mode keeps istiod's default (open question 1 of
                // the semantics notes: the YAML merge leaves the default in place).
                _ => OutboundPolicy::AllowAny,
            };
            Some((mesh_resource.unwrap_or(0), mode))
        });

        let mut mesh = Mesh {
            config: Config::default(),
            lint: diagnostics,
            services: Vec::new(),
            service_hosts: HostTable::default(),
            by_address: FastMap::default(),
            by_auto_address: FastMap::default(),
            cidr_services: Vec::new(),
            http_by_port: FastMap::default(),
            http_public_ports: FastMap::default(),
            http_namespace_ports: FastMap::default(),
            lint_by_resource: FastMap::default(),
            lint_unattached: Vec::new(),
            dr_by_host: FastMap::default(),
            tcp_by_port: FastMap::default(),
            virtual_services: Vec::new(),
            vs_hosts: HostTable::default(),
            vs_under_wildcard: FastMap::default(),
            destination_rules: Vec::new(),
            dr_namespace_local: FastMap::default(),
            dr_exported: FastMap::default(),
            dr_root_local: DrScope::default(),
            regexes: super::matching::RegexCache::default(),
            sidecars: config
                .resources
                .iter()
                .enumerate()
                .filter(|(_, res)| matches!(res.spec, Spec::Sidecar(_)))
                .map(|(index, _)| index)
                .collect(),
            root_namespace,
            mesh_policy,
        };
        mesh.index_services(&config, mesh_se_export.as_deref());
        mesh.index_virtual_services(&config, mesh_vs_export.as_deref());
        mesh.index_destination_rules(&config, mesh_dr_export.as_deref());
        mesh.index_vs_under_wildcards();
        for (index, diagnostic) in mesh.lint.iter().enumerate() {
            match &diagnostic.resource {
                Some(resource) => mesh
                    .lint_by_resource
                    .entry((resource.kind, resource.namespace.clone(), resource.name.clone()))
                    .or_default()
                    .push(index),
                None => mesh.lint_unattached.push(index),
            }
        }
        mesh.config = config;
        mesh
    }

    /// The configuration the index was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The lint findings given at build time.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.lint
    }

    /// Gives the configuration back and drops the index, so a caller that edits the
    /// configuration (see [`crate::workspace`]) need not copy it.
    pub fn into_config(self) -> Config {
        self.config
    }

    fn index_services(&mut self, config: &Config, mesh_export: Option<&[String]>) {
        // istiod processes services oldest first; every per-key list below inherits the order.
        for index in of_kind(config, |spec| matches!(spec, Spec::ServiceEntry(_)), |_| ()) {
            let res = &config.resources[index];
            let Spec::ServiceEntry(spec) = &res.spec else { continue };
            let namespace = res.namespace.value.clone();
            let export_values = export_values(spec.export_to.as_ref(), mesh_export);
            let export_to = ExportTo::from_values(&export_values, &namespace);
            let resolution = spec.resolution.as_ref().map_or(Resolution::None, |r| r.value);
            let location = spec.location.as_ref().map_or(Location::MeshExternal, |l| l.value);
            let ports: Vec<ServicePort> = spec
                .ports
                .iter()
                .flat_map(|ports| ports.iter().enumerate())
                .filter_map(|(_, port)| {
                    let number = port.number.as_ref()?.value;
                    Some(ServicePort {
                        number,
                        protocol: Protocol::parse(
                            port.protocol.as_ref().map_or("", |p| p.value.as_str()),
                        ),
                        name: port.name.as_ref().map_or_else(String::new, |n| n.value.clone()),
                        target_port: port.target_port.as_ref().map(|t| t.value).filter(|&t| t > 0),
                    })
                })
                .collect();
            let addresses: Vec<Address> = spec
                .addresses
                .iter()
                .flat_map(|list| list.iter())
                .filter_map(|address| parse_address(&address.value))
                .collect();
            let opted_out = res
                .labels
                .get("networking.istio.io/enable-autoallocate-ip")
                .is_some_and(|value| value.value == "false");
            for (host_index, host_value) in spec.hosts.iter().flatten().enumerate() {
                let host = host_value.value.clone();
                let auto_addresses: Vec<IpAddr> = res
                    .status
                    .iter()
                    .flat_map(|status| status.addresses.iter().flatten())
                    .filter(|address| {
                        address.host.as_ref().is_none_or(|h| h.value.eq_ignore_ascii_case(&host))
                    })
                    .filter_map(|address| parse_ip(&address.value.value.as_ref()?.value))
                    .collect();
                let id = self.services.len() as u32;
                let service = Service {
                    resource: index,
                    host_key: host.to_ascii_lowercase(),
                    auto_allocatable: addresses.is_empty()
                        && resolution != Resolution::None
                        && !host::is_wildcard(&host)
                        && !opted_out,
                    host,
                    host_index,
                    namespace: namespace.clone(),
                    resolution,
                    location,
                    ports: ports.clone(),
                    addresses: addresses.clone(),
                    auto_addresses,
                    export_to: export_to.clone(),
                };
                self.service_hosts.insert(&service.host_key, id);
                for address in &service.addresses {
                    match *address {
                        Address::Ip(ip) => self.by_address.entry(ip).or_default().push(id),
                        Address::Cidr(net, len) => self.cidr_services.push((net, len, id)),
                    }
                }
                for ip in &service.auto_addresses {
                    self.by_auto_address.entry(*ip).or_default().push(id);
                }
                for port in &service.ports {
                    if port.serves_http() {
                        self.http_by_port.entry(port.number).or_default().push(id);
                        match &service.export_to {
                            ExportTo::Public => {
                                self.http_public_ports.insert(port.number, ());
                            }
                            ExportTo::Namespaces(list) => {
                                for ns in list {
                                    let ports =
                                        self.http_namespace_ports.entry(ns.clone()).or_default();
                                    if !ports.contains(&port.number) {
                                        ports.push(port.number);
                                    }
                                }
                            }
                            ExportTo::Nobody => {}
                        }
                    }
                    // Only entries without explicit addresses can own a port-wide TCP chain.
                    if port.serves_tcp() && service.addresses.is_empty() {
                        self.tcp_by_port.entry(port.number).or_default().push(id);
                    }
                }
                self.services.push(service);
            }
        }
        // Envoy picks the most specific prefix range first; a stable sort keeps age order among
        // equal prefixes.
        crate::sort::sort_by_key(&mut self.cidr_services, |entry| std::cmp::Reverse(entry.1));
    }

    fn index_virtual_services(&mut self, config: &Config, mesh_export: Option<&[String]>) {
        for index in of_kind(config, |spec| matches!(spec, Spec::VirtualService(_)), |_| ()) {
            let res = &config.resources[index];
            let Spec::VirtualService(spec) = &res.spec else { continue };
            let gateways: Vec<&str> =
                spec.gateways.iter().flatten().map(|g| g.value.as_str()).collect();
            // A VirtualService reaches sidecars only with no gateways or with `mesh` among them.
            if !gateways.is_empty() && !gateways.contains(&"mesh") {
                continue;
            }
            let namespace = res.namespace.value.clone();
            let export_values = export_values(spec.export_to.as_ref(), mesh_export);
            let hosts: Vec<String> = spec
                .hosts
                .iter()
                .flatten()
                .map(|h| host::resolve_short_name(&h.value, &namespace, "cluster.local"))
                .collect();
            let id = self.virtual_services.len() as u32;
            for host in &hosts {
                self.vs_hosts.insert(host, id);
            }
            self.regexes.compile_virtual_service(spec);
            self.virtual_services.push(VsEntry {
                resource: index,
                export_to: ExportTo::from_values(&export_values, &namespace),
                namespace,
                hosts,
                age: res.age_key(),
            });
        }
    }

    /// For every exact VirtualService host, every wildcard service suffix that covers it.
    fn index_vs_under_wildcards(&mut self) {
        let mut found: Vec<(Box<str>, u32)> = Vec::new();
        for (id, vs) in self.virtual_services.iter().enumerate() {
            for vs_host in vs.hosts.iter().filter(|h| !host::is_wildcard(h)) {
                let lower = vs_host.to_ascii_lowercase();
                for (suffix, _) in self.service_hosts.covering(&lower, false) {
                    found.push((suffix.into(), id as u32));
                }
            }
        }
        for (suffix, id) in found {
            let ids = self.vs_under_wildcard.entry(suffix).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }

    fn index_destination_rules(&mut self, config: &Config, mesh_export: Option<&[String]>) {
        // Workload-selector rules first, then oldest first (istiod's `sortConfigByCreationTime`
        // after `setDestinationRules` partitions them).
        let has_no_selector = |spec: &Spec| match spec {
            Spec::DestinationRule(spec) => spec.workload_selector.is_none(),
            _ => true,
        };
        for index in
            of_kind(config, |spec| matches!(spec, Spec::DestinationRule(_)), has_no_selector)
        {
            let res = &config.resources[index];
            let Spec::DestinationRule(spec) = &res.spec else { continue };
            let Some(host_value) = spec.host.as_ref() else { continue };
            let namespace = res.namespace.value.clone();
            let host = host::resolve_short_name(&host_value.value, &namespace, "cluster.local");
            let selector: Option<Vec<(String, String)>> =
                spec.workload_selector.as_ref().map(|selector| {
                    selector
                        .match_labels
                        .iter()
                        .flat_map(|labels| labels.iter())
                        .map(|(k, v)| (k.value.clone(), v.value.clone()))
                        .collect()
                });
            let explicit: Vec<&str> =
                spec.export_to.iter().flatten().map(|v| v.value.as_str()).collect();
            let export_to = if selector.is_some() {
                // A selector rule is private to its namespace whatever it says.
                ExportTo::Namespaces(vec![namespace.clone()])
            } else if !explicit.is_empty() {
                ExportTo::from_values(&explicit, &namespace)
            } else {
                // Of the mesh default only `.` and `*` are honoured for DestinationRules.
                match mesh_export {
                    Some(values) if values.iter().any(|v| v == ".") => {
                        ExportTo::Namespaces(vec![namespace.clone()])
                    }
                    _ => ExportTo::Public,
                }
            };
            let local = match &export_to {
                ExportTo::Public => true,
                ExportTo::Namespaces(list) => list.contains(&namespace),
                ExportTo::Nobody => false,
            };
            let private_only = export_to.is_private_to(&namespace);
            let is_root = namespace == self.root_namespace;
            let mut scopes: Vec<ScopeKey> = Vec::new();
            if local && !(is_root && private_only) {
                scopes.push(ScopeKey::Local(namespace.clone()));
            }
            if private_only && is_root {
                scopes.push(ScopeKey::RootLocal);
            }
            if !private_only {
                scopes.push(ScopeKey::Exported(namespace.clone()));
            }
            for scope in scopes {
                self.insert_dr(scope, index, &host, &export_to, &selector);
            }
        }
    }

    /// Adds a rule to a scope, merging it into an existing entry for the same host with the same
    /// exportTo and selector, as istiod's `mergeDestinationRule` does.
    fn insert_dr(
        &mut self,
        scope: ScopeKey,
        resource: usize,
        host: &str,
        export_to: &ExportTo,
        selector: &Option<Vec<(String, String)>>,
    ) {
        let existing: Vec<u32> = {
            let table = match &scope {
                ScopeKey::Local(ns) => self.dr_namespace_local.get(ns).map(|s| &s.hosts),
                ScopeKey::Exported(ns) => self.dr_exported.get(ns).map(|s| &s.hosts),
                ScopeKey::RootLocal => Some(&self.dr_root_local.hosts),
            };
            table.map(|t| t.exact(host).to_vec()).unwrap_or_default()
        };
        for id in existing {
            let entry = &mut self.destination_rules[id as usize];
            if entry.host == host && &entry.export_to == export_to && &entry.selector == selector {
                if !entry.resources.contains(&resource) {
                    entry.resources.push(resource);
                }
                return;
            }
        }
        let id = self.destination_rules.len() as u32;
        self.dr_by_host.entry(host.to_ascii_lowercase()).or_default().push(id);
        self.destination_rules.push(DrEntry {
            resources: vec![resource],
            host: host.to_string(),
            export_to: export_to.clone(),
            selector: selector.clone(),
        });
        let table = match scope {
            ScopeKey::Local(ns) => &mut self.dr_namespace_local.entry(ns).or_default().hosts,
            ScopeKey::Exported(ns) => &mut self.dr_exported.entry(ns).or_default().hosts,
            ScopeKey::RootLocal => &mut self.dr_root_local.hosts,
        };
        table.insert(host, id);
    }
}

/// Indices of the decoded resources whose spec `keep` accepts, ordered by `group` and then
/// oldest first, the order istiod processes configuration in.
fn of_kind<G: Ord>(
    config: &Config,
    keep: impl Fn(&Spec) -> bool,
    group: impl Fn(&Spec) -> G,
) -> Vec<usize> {
    let mut order: Vec<usize> = config
        .resources
        .iter()
        .enumerate()
        .filter(|(_, res)| !res.decode_failed && keep(&res.spec))
        .map(|(index, _)| index)
        .collect();
    crate::sort::sort_by_key(&mut order, |&index| {
        let res = &config.resources[index];
        (group(&res.spec), res.age_key())
    });
    order
}

/// A resource's `exportTo`, or the mesh default when it has none (`*` when the mesh sets none).
fn export_values<'a>(
    own: Option<&'a crate::decode::Spanned<crate::api::Strings>>,
    mesh_default: Option<&'a [String]>,
) -> Vec<&'a str> {
    match own.filter(|values| !values.is_empty()) {
        Some(values) => values.iter().map(|v| v.value.as_str()).collect(),
        None => mesh_default.map_or_else(|| vec!["*"], |v| v.iter().map(String::as_str).collect()),
    }
}

enum ScopeKey {
    Local(String),
    Exported(String),
    RootLocal,
}
