//! From a destination to its Envoy cluster: the DestinationRule that applies, the subset, and
//! the endpoints per resolution mode.

use std::net::IpAddr;

use crate::api::{DestinationRule, Resolution, Subset};
use crate::decode::Spanned;
use crate::load::Spec;

use super::index::{DrScope, Mesh};
use super::listener::Proxy;
use super::routing::Target;
use super::{ClusterType, Endpoint};

/// The Istio topology labels every endpoint carries for subset selection (`AugmentLabels`).
const REGION: &str = "topology.kubernetes.io/region";
const ZONE: &str = "topology.kubernetes.io/zone";
const SUBZONE: &str = "topology.istio.io/subzone";

impl Mesh {
    /// The DestinationRule entry for a service as seen from the proxy (§3.6): the proxy's
    /// namespace, then the service's, then the root namespace; within a scope the most specific
    /// host wins.
    pub(crate) fn destination_rule_for(&self, service: u32, proxy: &Proxy<'_>) -> Option<u32> {
        let service = &self.services[service as usize];
        let host = service.host.as_str();
        let first = if proxy.namespace == self.root_namespace {
            Some(&self.dr_root_local)
        } else {
            self.dr_namespace_local.get(proxy.namespace)
        };
        if let Some(found) = first.and_then(|scope| self.lookup_dr(scope, host, proxy, false)) {
            return Some(found);
        }
        for namespace in [service.namespace.as_str(), self.root_namespace.as_str()] {
            if let Some(found) = self
                .dr_exported
                .get(namespace)
                .and_then(|scope| self.lookup_dr(scope, host, proxy, true))
            {
                return Some(found);
            }
        }
        None
    }

    fn lookup_dr(
        &self,
        scope: &DrScope,
        host: &str,
        proxy: &Proxy<'_>,
        exported: bool,
    ) -> Option<u32> {
        let pick = |ids: &[u32]| -> Option<u32> {
            let usable = || {
                ids.iter().copied().filter(|&id| {
                    !exported
                        || self.destination_rules[id as usize].export_to.visible_to(proxy.namespace)
                })
            };
            // A workload-selector rule in the proxy's namespace whose labels the proxy carries
            // comes first; otherwise the last plain rule (`SidecarScope.DestinationRule`).
            let selector = usable().find(|&id| {
                let entry = &self.destination_rules[id as usize];
                let Some(selector) = entry.selector.as_ref() else { return false };
                let ns = &self.config.resources[entry.resources[0]].namespace.value;
                ns == proxy.namespace
                    && selector
                        .iter()
                        .all(|(k, v)| proxy.labels.iter().any(|(pk, pv)| pk == k && pv == v))
            });
            selector.or_else(|| {
                usable().rev().find(|&id| self.destination_rules[id as usize].selector.is_none())
            })
        };
        if let Some(found) = pick(scope.hosts.exact(host)) {
            return Some(found);
        }
        let needle = host.strip_prefix('*').unwrap_or(host);
        for (_, ids) in scope.hosts.covering(needle, false) {
            if let Some(found) = pick(ids) {
                return Some(found);
            }
        }
        None
    }

    /// The rules merged into a DestinationRule entry, oldest first.
    pub(crate) fn dr_specs(&self, entry: u32) -> impl Iterator<Item = (usize, &DestinationRule)> {
        self.destination_rules[entry as usize].resources.iter().filter_map(|&index| {
            match &self.config.resources[index].spec {
                Spec::DestinationRule(spec) => Some((index, &**spec)),
                _ => None,
            }
        })
    }

    /// A subset by name across the merged rules; the first definition wins.
    pub(crate) fn find_subset(
        &self,
        entry: u32,
        name: &str,
    ) -> Option<(usize, usize, &Spanned<Subset>)> {
        self.dr_specs(entry).find_map(|(index, spec)| {
            spec.subsets.iter().flatten().enumerate().find_map(|(position, subset)| {
                (subset.name.as_ref().is_some_and(|n| n.value == name))
                    .then_some((index, position, subset))
            })
        })
    }

    /// The cluster type for a service port, given whether the DR's load balancer is PASSTHROUGH.
    pub(crate) fn cluster_type(resolution: Resolution, passthrough_lb: bool) -> ClusterType {
        if passthrough_lb {
            return ClusterType::OriginalDst;
        }
        match resolution {
            Resolution::None => ClusterType::OriginalDst,
            Resolution::Static => ClusterType::Eds,
            Resolution::Dns => ClusterType::StrictDns,
            Resolution::DnsRoundRobin => ClusterType::LogicalDns,
            // Dynamic DNS uses a dynamic forward proxy cluster; the closest built-in shape is
            // "resolved per request", which ORIGINAL_DST conveys best.
            Resolution::DynamicDns => ClusterType::OriginalDst,
        }
    }

    /// The endpoints of the target's cluster, subset selector applied, DNS names expanded.
    pub(crate) fn endpoints(
        &self,
        target: &Target,
        request: &super::Request,
        dest_ip: Option<IpAddr>,
        subset_labels: Option<&[(String, String)]>,
    ) -> (ClusterType, Vec<Endpoint>) {
        let primary = &self.services[target.selected.primary as usize];
        let cluster_type = Self::cluster_type(primary.resolution, false);
        let port = target.port;
        let mut raw: Vec<Endpoint> = Vec::new();
        match primary.resolution {
            Resolution::None | Resolution::DynamicDns => {
                if let Some(ip) = dest_ip {
                    let port = primary.port(port).and_then(|p| p.target_port).unwrap_or(port);
                    raw.push(Endpoint {
                        address: ip.to_string(),
                        port,
                        labels: vec![],
                        locality: None,
                        weight: 1,
                    });
                }
                return (cluster_type, raw);
            }
            _ => {}
        }
        // DNS_ROUND_ROBIN keeps only the oldest entry's endpoint; the others merge all.
        let members: Vec<u32> = if primary.resolution == Resolution::DnsRoundRobin {
            vec![target.selected.primary]
        } else {
            target.selected.all().collect()
        };
        for id in members {
            let service = &self.services[id as usize];
            let Some(port_def) = service.port(port) else { continue };
            let spec = service.spec(&self.config);
            let endpoints = spec.endpoints.as_ref().map_or(&[][..], |v| v.as_slice());
            if endpoints.is_empty() {
                // DNS entries without endpoints resolve the host itself; a workload selector
                // (WorkloadEntries meshroute cannot see) or STATIC without endpoints gives none.
                if matches!(service.resolution, Resolution::Dns | Resolution::DnsRoundRobin)
                    && spec.workload_selector.is_none()
                {
                    raw.push(Endpoint {
                        address: service.host.clone(),
                        port: port_def.target_port.unwrap_or(port),
                        labels: vec![],
                        locality: None,
                        weight: 1,
                    });
                }
                continue;
            }
            for endpoint in endpoints {
                let Some(address) = endpoint.address.as_ref().map(|a| a.value.clone()) else {
                    continue;
                };
                let is_ip = address.parse::<IpAddr>().is_ok() || address.starts_with("unix://");
                if service.resolution == Resolution::Static && !is_ip {
                    // EDS drops endpoints that are not IPs.
                    continue;
                }
                let mapped = endpoint
                    .ports
                    .as_ref()
                    .and_then(|ports| ports.get(&port_def.name))
                    .map(|p| p.value);
                let port = mapped.or(port_def.target_port).unwrap_or(port);
                let labels = endpoint
                    .labels
                    .iter()
                    .flat_map(|l| l.iter())
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect();
                let weight = endpoint.weight.as_ref().map_or(1, |w| w.value.max(1));
                raw.push(Endpoint {
                    address,
                    port,
                    labels,
                    locality: endpoint
                        .locality
                        .as_ref()
                        .map(|l| l.value.clone())
                        .filter(|l| !l.is_empty()),
                    weight,
                });
                if service.resolution == Resolution::DnsRoundRobin {
                    break;
                }
            }
        }
        if let Some(labels) = subset_labels {
            raw.retain(|endpoint| {
                let augmented = augmented_labels(endpoint);
                labels.iter().all(|(k, v)| augmented.iter().any(|(ek, ev)| ek == k && ev == v))
            });
        }
        // Expand DNS names through the stand-in DNS table.
        let mut out = Vec::new();
        for endpoint in raw {
            let is_name = endpoint.address.parse::<IpAddr>().is_err()
                && !endpoint.address.starts_with("unix://");
            if is_name && matches!(cluster_type, ClusterType::StrictDns | ClusterType::LogicalDns) {
                if let Some(ips) = request.dns_answer(&endpoint.address) {
                    let take = if cluster_type == ClusterType::LogicalDns { 1 } else { ips.len() };
                    for ip in ips.iter().take(take) {
                        out.push(Endpoint { address: ip.to_string(), ..endpoint.clone() });
                    }
                    continue;
                }
            }
            out.push(endpoint);
        }
        (cluster_type, out)
    }

    /// Whether a DNS subset cluster would not be generated because its selector leaves no
    /// endpoint. Checked without building the endpoint list, since the fast path asks too.
    pub(crate) fn dns_subset_is_empty(&self, target: &Target, definition: &Subset) -> bool {
        let primary = &self.services[target.selected.primary as usize];
        if !matches!(primary.resolution, Resolution::Dns | Resolution::DnsRoundRobin) {
            return false;
        }
        let wanted: &[(Spanned<String>, Spanned<String>)] =
            definition.labels.as_ref().map_or(&[], |labels| labels.entries.as_slice());
        let round_robin = primary.resolution == Resolution::DnsRoundRobin;
        let members = std::iter::once(target.selected.primary)
            .chain(target.selected.others.iter().copied().filter(|_| !round_robin));
        for id in members {
            let service = &self.services[id as usize];
            if service.port(target.port).is_none() {
                continue;
            }
            let spec = service.spec(&self.config);
            let endpoints = spec.endpoints.as_ref().map_or(&[][..], |v| v.as_slice());
            if endpoints.is_empty() {
                // The synthesized host endpoint carries no labels.
                if spec.workload_selector.is_none() && wanted.is_empty() {
                    return false;
                }
                continue;
            }
            let take = if round_robin { 1 } else { endpoints.len() };
            for endpoint in endpoints.iter().take(take) {
                let locality = endpoint.locality.as_ref().map_or("", |l| l.value.as_str());
                let selected = wanted.iter().all(|(key, value)| {
                    let own = endpoint
                        .labels
                        .as_ref()
                        .and_then(|labels| labels.get(&key.value))
                        .is_some_and(|v| v.value == value.value);
                    own || topology_label(locality, &key.value) == Some(value.value.as_str())
                });
                if selected {
                    return false;
                }
            }
        }
        true
    }
}

/// The value of a topology label istiod derives from a `region/zone/subzone` locality.
fn topology_label<'a>(locality: &'a str, key: &str) -> Option<&'a str> {
    let position = [REGION, ZONE, SUBZONE].iter().position(|k| *k == key)?;
    locality.split('/').nth(position).filter(|part| !part.is_empty())
}

/// Endpoint labels plus the topology labels istiod derives from its locality.
pub(crate) fn augmented_labels(endpoint: &Endpoint) -> Vec<(String, String)> {
    let mut labels = endpoint.labels.clone();
    if let Some(locality) = endpoint.locality.as_deref() {
        let mut parts = locality.split('/');
        for key in [REGION, ZONE, SUBZONE] {
            match parts.next() {
                Some(part) if !part.is_empty() => labels.push((key.to_string(), part.to_string())),
                _ => break,
            }
        }
    }
    labels
}
