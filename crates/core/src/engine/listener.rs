//! The registry view of one sidecar, and the listener and filter chain a connection lands on.

use std::net::IpAddr;

use crate::load::Spec;

use super::MatchKind;
use super::index::{Address, Mesh, Service, cidr_contains};
use super::request::{Request, RequestProtocol};

/// Per-request facts about the calling sidecar.
pub(crate) struct Proxy<'r> {
    pub(crate) namespace: &'r str,
    pub(crate) labels: &'r [(String, String)],
    /// The Sidecar resource that scopes this proxy, if any.
    pub(crate) sidecar: Option<usize>,
    pub(crate) dns_capture: bool,
}

/// The service istiod keeps for a hostname in this proxy's scope (§2.6, §2.7): the primary
/// ServiceEntry host and every same-namespace entry merged with it.
#[derive(Clone, Debug)]
pub(crate) struct Selected {
    pub(crate) primary: u32,
    /// The other same-namespace entries for the host, oldest first (usually none).
    pub(crate) others: Vec<u32>,
}

impl Selected {
    /// The primary entry, then the others.
    pub(crate) fn all(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.primary).chain(self.others.iter().copied())
    }

    pub(crate) fn contains(&self, id: u32) -> bool {
        self.primary == id || self.others.contains(&id)
    }
}

/// Where the connection goes inside the sidecar.
pub(crate) enum Chain {
    /// The HTTP connection manager of the wildcard listener: routing by Host follows.
    Http,
    /// A TCP or TLS filter chain that proxies to a service.
    Service { selected: Selected, match_kind: MatchKind, listener: ListenerName },
    /// No listener or chain takes it: the passthrough chain of `virtualOutbound` (or of the
    /// port's listener).
    CatchAll { reason: CatchAllReason },
}

/// The host as an IP literal (`10.0.0.1`, `[2001:db8::1]`), if it is one. Names start with a
/// letter far more often than not, so most hosts are turned away before parsing.
pub(crate) fn ip_literal(host: &str) -> Option<IpAddr> {
    let first = *host.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'[' || host.contains(':')) {
        return None;
    }
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Envoy's listener name (`<bind>_<port>`), kept as data until someone prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListenerName {
    Address(IpAddr, u32),
    Wildcard(u32),
}

impl std::fmt::Display for ListenerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenerName::Address(ip, port) => write!(f, "{ip}_{port}"),
            ListenerName::Wildcard(port) => write!(f, "0.0.0.0_{port}"),
        }
    }
}

/// Why a connection ends on the passthrough chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CatchAllReason {
    /// Plaintext HTTP, and the port has no HTTP listener or TCP chain.
    Http(u32),
    /// TLS whose SNI no chain lists.
    Sni(u32),
    /// Opaque TCP no chain takes.
    Tcp(u32),
}

impl CatchAllReason {
    pub(crate) fn describe(self, sni: Option<&str>) -> String {
        match self {
            CatchAllReason::Http(port) => {
                format!("no HTTP listener on port {port} and no TCP chain takes the connection")
            }
            CatchAllReason::Sni(port) => {
                format!("no filter chain on port {port} matches SNI {}", sni.unwrap_or("(none)"))
            }
            CatchAllReason::Tcp(port) => {
                format!("no TCP listener on port {port} takes the connection")
            }
        }
    }
}

impl Mesh {
    /// The Sidecar that applies: one in the proxy's namespace whose selector matches its labels,
    /// else the namespace-wide one, else the root namespace's (istiod's `getSidecarScope`).
    pub(crate) fn sidecar_for(
        &self,
        namespace: &str,
        labels: &[(String, String)],
    ) -> Option<usize> {
        let mut namespace_wide = None;
        let mut root = None;
        for &index in &self.sidecars {
            let res = &self.config.resources[index];
            let Spec::Sidecar(spec) = &res.spec else { continue };
            if res.decode_failed {
                continue;
            }
            let selector = spec.workload_selector.as_ref().and_then(|s| s.labels.as_ref());
            match selector {
                Some(selector) if res.namespace.value == namespace => {
                    let all = selector.iter().all(|(key, value)| {
                        labels.iter().any(|(k, v)| *k == key.value && *v == value.value)
                    });
                    if all {
                        return Some(index);
                    }
                }
                Some(_) => {}
                None if res.namespace.value == namespace => {
                    namespace_wide = namespace_wide.or(Some(index));
                }
                None if res.namespace.value == self.root_namespace => {
                    root = root.or(Some(index));
                }
                None => {}
            }
        }
        namespace_wide.or(root)
    }

    /// Whether the Sidecar's egress hosts import the service (`ns/host`, `./host`, `*/host`, with
    /// `~` excluding). No Sidecar imports everything.
    pub(crate) fn imported(&self, service: &Service, proxy: &Proxy<'_>) -> bool {
        let Some(sidecar) = proxy.sidecar else { return true };
        let res = &self.config.resources[sidecar];
        let Spec::Sidecar(spec) = &res.spec else { return true };
        let Some(egress) = spec.egress.as_ref() else { return true };
        let mut imported = false;
        for listener in egress {
            for entry in listener.hosts.iter().flatten() {
                let Some((ns, host)) = entry.value.split_once('/') else { continue };
                let (negate, ns) = match ns.strip_prefix('~') {
                    Some(rest) => (true, if rest.is_empty() { "*" } else { rest }),
                    None => (false, ns),
                };
                let ns = if ns == "." { res.namespace.value.as_str() } else { ns };
                if (ns == "*" || ns == service.namespace)
                    && crate::host::subset_of(&service.host, host)
                {
                    if negate {
                        return false;
                    }
                    imported = true;
                }
            }
        }
        imported
    }

    fn usable(&self, id: u32, proxy: &Proxy<'_>) -> bool {
        let service = &self.services[id as usize];
        service.export_to.visible_to(proxy.namespace) && self.imported(service, proxy)
    }

    /// Picks the service for one hostname among same-host candidates (oldest first): the
    /// proxy's own namespace wins, else an entry exported explicitly to it, else the oldest
    /// public one. Same-namespace entries are merged behind the primary.
    pub(crate) fn select(&self, ids: &[u32], proxy: &Proxy<'_>) -> Option<Selected> {
        let visible = || ids.iter().copied().filter(|&id| self.usable(id, proxy));
        let in_own = visible().find(|&id| self.services[id as usize].namespace == proxy.namespace);
        let primary = in_own
            .or_else(|| {
                visible().find(|&id| {
                    matches!(
                        self.services[id as usize].export_to,
                        super::index::ExportTo::Namespaces(_)
                    )
                })
            })
            .or_else(|| visible().next())?;
        if ids.len() == 1 {
            return Some(Selected { primary, others: Vec::new() });
        }
        let namespace = &self.services[primary as usize].namespace;
        let others = visible()
            .filter(|&id| id != primary && self.services[id as usize].namespace == *namespace)
            .collect();
        Some(Selected { primary, others })
    }

    /// The service for an exact (lowercased) hostname in this proxy's scope.
    pub(crate) fn select_host(&self, host: &str, proxy: &Proxy<'_>) -> Option<Selected> {
        self.select(self.service_hosts.exact(host), proxy)
    }

    /// The merged port of a selected service: the first member that declares it.
    pub(crate) fn selected_port(
        &self,
        selected: &Selected,
        number: u32,
    ) -> Option<(u32, &super::index::ServicePort)> {
        let primary = &self.services[selected.primary as usize];
        if let Some(port) = primary.port(number) {
            return Some((selected.primary, port));
        }
        // Ports of later entries are merged in only when they agree on resolution and exportTo
        // (`canMergeServices`).
        selected.others.iter().find_map(|&id| {
            let other = &self.services[id as usize];
            let compatible =
                other.resolution == primary.resolution && other.export_to == primary.export_to;
            if compatible { other.port(number).map(|port| (id, port)) } else { None }
        })
    }

    /// The destination address: the request's, else the stand-in DNS answer, else what the DNS
    /// proxy answers when the sidecar captures DNS (explicit or auto-allocated addresses).
    pub(crate) fn destination_ip(
        &self,
        request: &Request,
        host: Option<&str>,
        proxy: &Proxy<'_>,
    ) -> Option<(IpAddr, &'static str)> {
        if let Some(ip) = request.dest_ip {
            return Some((ip, "the request"));
        }
        let host = host?;
        if let Some(ip) = ip_literal(host) {
            return Some((ip, "the host, an IP literal"));
        }
        if proxy.dns_capture {
            if let Some(selected) = self.select_host(host, proxy) {
                let service = &self.services[selected.primary as usize];
                let ip = service.bound_addresses(true).into_iter().find_map(|a| match a {
                    Address::Ip(ip) => Some(ip),
                    Address::Cidr(..) => None,
                });
                if let Some(ip) = ip {
                    return Some((ip, "Istio's DNS proxy"));
                }
            }
        }
        request
            .dns_answer(host)
            .and_then(|ips| ips.first().copied())
            .map(|ip| (ip, "the DNS table"))
    }

    /// Listener and filter-chain selection (§1 steps 2–3, §4.2).
    pub(crate) fn select_chain(
        &self,
        request: &Request,
        proxy: &Proxy<'_>,
        port: u32,
        dest_ip: Option<IpAddr>,
        host: Option<&str>,
    ) -> Chain {
        // 1. A listener bound to exactly dest_ip:port: a TCP/TLS service on that address.
        if let Some(ip) = dest_ip {
            let bound = self.by_address.get(&ip).into_iter().flatten().chain(
                if proxy.dns_capture { self.by_auto_address.get(&ip) } else { None }
                    .into_iter()
                    .flatten(),
            );
            for &id in bound {
                let service = &self.services[id as usize];
                let Some(port_def) = service.port(port) else { continue };
                if !(port_def.serves_tcp() || port_def.is_tls()) {
                    // HTTP ports never get address listeners (the address only adds a domain),
                    // and UDP ports get nothing at all.
                    continue;
                }
                if !service.bound_addresses(proxy.dns_capture).contains(&Address::Ip(ip)) {
                    continue;
                }
                let Some(selected) =
                    self.select(self.service_hosts.exact(&service.host_key), proxy)
                else {
                    continue;
                };
                if !selected.contains(id) {
                    continue;
                }
                if port_def.protocol == crate::protocol::Protocol::Unsupported
                    && request.protocol.is_http()
                {
                    // A sniffed port on a VIP carries its own HTTP chain; routing by Host follows.
                    return Chain::Http;
                }
                return Chain::Service {
                    selected,
                    match_kind: MatchKind::Address,
                    listener: ListenerName::Address(ip, port),
                };
            }
        }
        let wildcard_listener = ListenerName::Wildcard(port);
        // 2. The wildcard listener's chains. Plaintext HTTP goes to the HTTP chain when one exists.
        if request.protocol.is_http() && self.has_http_chain(port, proxy) {
            return Chain::Http;
        }
        // Destination CIDR chains outrank server names in Envoy's filter-chain match.
        if let Some(ip) = dest_ip {
            for &(net, len, id) in &self.cidr_services {
                if !cidr_contains(net, len, ip) {
                    continue;
                }
                let service = &self.services[id as usize];
                let Some(port_def) = service.port(port) else { continue };
                if !(port_def.serves_tcp() || port_def.is_tls()) {
                    continue;
                }
                if let Some(selected) =
                    self.select(self.service_hosts.exact(&service.host_key), proxy)
                {
                    return Chain::Service {
                        selected,
                        match_kind: MatchKind::Address,
                        listener: wildcard_listener,
                    };
                }
            }
        }
        if request.protocol == RequestProtocol::Tls {
            if let Some(sni) = host {
                if let Some((selected, kind)) = self.match_sni(sni, port, proxy) {
                    return Chain::Service {
                        selected,
                        match_kind: kind,
                        listener: wildcard_listener,
                    };
                }
            }
        }
        // A TCP port without addresses: a chain with no match takes every connection to the port.
        for &id in self.tcp_by_port.get(&port).into_iter().flatten() {
            let service = &self.services[id as usize];
            if !service.bound_addresses(proxy.dns_capture).is_empty() {
                continue;
            }
            let Some(selected) = self.select(self.service_hosts.exact(&service.host_key), proxy)
            else {
                continue;
            };
            if selected.primary != id {
                continue;
            }
            return Chain::Service {
                selected,
                match_kind: MatchKind::Port,
                listener: wildcard_listener,
            };
        }
        let reason = if request.protocol.is_http() {
            CatchAllReason::Http(port)
        } else if request.protocol == RequestProtocol::Tls {
            CatchAllReason::Sni(port)
        } else {
            CatchAllReason::Tcp(port)
        };
        Chain::CatchAll { reason }
    }

    /// Whether the wildcard listener on `port` has an HTTP chain for this proxy: some visible
    /// service declares an HTTP-kind port with that number.
    pub(crate) fn has_http_chain(&self, port: u32, proxy: &Proxy<'_>) -> bool {
        if proxy.sidecar.is_none() {
            return self.http_public_ports.contains_key(&port)
                || self
                    .http_namespace_ports
                    .get(proxy.namespace)
                    .is_some_and(|ports| ports.contains(&port));
        }
        // A Sidecar narrows what is imported: check the services themselves.
        self.http_by_port.get(&port).into_iter().flatten().any(|&id| {
            let service = &self.services[id as usize];
            service.export_to.visible_to(proxy.namespace) && self.imported(service, proxy)
        })
    }

    /// SNI chains of the wildcard listener: exact server name, then wildcards longest first,
    /// among TLS services without a bound address on that port.
    fn match_sni(&self, sni: &str, port: u32, proxy: &Proxy<'_>) -> Option<(Selected, MatchKind)> {
        let usable = |selected: &Selected| {
            let service = &self.services[selected.primary as usize];
            service.port(port).is_some_and(|p| p.is_tls())
                && service.bound_addresses(proxy.dns_capture).is_empty()
        };
        if let Some(selected) = self.select(self.service_hosts.exact(sni), proxy) {
            if usable(&selected) {
                return Some((selected, MatchKind::Exact));
            }
        }
        for (_, ids) in self.service_hosts.covering(sni, true) {
            if let Some(selected) = self.select(ids, proxy) {
                if usable(&selected) {
                    return Some((selected, MatchKind::Wildcard));
                }
            }
        }
        None
    }

    /// Virtual-host selection in route config `"<port>"` (§2.8): exact domain, then wildcard
    /// domains longest first, among visible services with an HTTP-kind port `port`; IP hosts
    /// match services that list the address.
    pub(crate) fn match_virtual_host(
        &self,
        host: &str,
        port: u32,
        proxy: &Proxy<'_>,
    ) -> Option<(Selected, MatchKind)> {
        let serves = |selected: &Selected| {
            self.selected_port(selected, port).is_some_and(|(_, p)| p.serves_http())
        };
        if let Some(selected) = self.select(self.service_hosts.exact(host), proxy) {
            if serves(&selected) {
                return Some((selected, MatchKind::Exact));
            }
        }
        if let Some(ip) = ip_literal(host) {
            let mut ids: Vec<u32> = self.by_address.get(&ip).cloned().unwrap_or_default();
            if proxy.dns_capture {
                ids.extend(self.by_auto_address.get(&ip).into_iter().flatten());
            }
            for id in ids {
                let service = &self.services[id as usize];
                if let Some(selected) = self.select_host(&service.host_key, proxy) {
                    if serves(&selected) {
                        return Some((selected, MatchKind::Address));
                    }
                }
            }
            return None;
        }
        for (_, ids) in self.service_hosts.covering(host, true) {
            if let Some(selected) = self.select(ids, proxy) {
                if serves(&selected) {
                    return Some((selected, MatchKind::Wildcard));
                }
            }
        }
        None
    }
}
