//! The effective traffic policy of the chosen cluster, and what it does to this request:
//! load balancer, consistent-hash key and pick, TLS origination, pools, outlier detection.

use crate::api::{
    ClientTlsSettings, ConnectionPoolSettings, ConsistentHashLb, DestinationRule,
    LoadBalancerSettings, Location, OutlierDetection, Resolution, SimpleLb, TlsMode, TrafficPolicy,
};
use crate::decode::Spanned;
use crate::hash::{self, Host, MaglevTable, Ring};
use crate::text::Span;

use super::routing::Eval;
use super::trace::StepOutcome;
use super::{
    ClusterType, HashDecision, HashSource, LoadBalancer, NamedRef, Request, TlsOrigination,
};

/// Where a policy block came from, for references.
type Origin = (usize, String, Span);

/// One resolved block and the YAML it came from.
struct Block<'c, T> {
    value: &'c T,
    origin: Origin,
}

#[derive(Default)]
struct Effective<'c> {
    load_balancer: Option<Block<'c, LoadBalancerSettings>>,
    connection_pool: Option<Block<'c, ConnectionPoolSettings>>,
    outlier_detection: Option<Block<'c, OutlierDetection>>,
    tls: Option<Block<'c, ClientTlsSettings>>,
}

fn block<'c, T>(
    field: &'c Option<Spanned<T>>,
    resource: usize,
    path: String,
) -> Option<Block<'c, T>> {
    field
        .as_ref()
        .map(|spanned| Block { value: &spanned.value, origin: (resource, path, spanned.span) })
}

/// The four blocks of a `TrafficPolicy` or of one of its port-level entries, found at `path`.
fn blocks<'c>(
    load_balancer: &'c Option<Spanned<LoadBalancerSettings>>,
    connection_pool: &'c Option<Spanned<ConnectionPoolSettings>>,
    outlier_detection: &'c Option<Spanned<OutlierDetection>>,
    tls: &'c Option<Spanned<ClientTlsSettings>>,
    resource: usize,
    path: &str,
) -> Effective<'c> {
    Effective {
        load_balancer: block(load_balancer, resource, format!("{path}.loadBalancer")),
        connection_pool: block(connection_pool, resource, format!("{path}.connectionPool")),
        outlier_detection: block(outlier_detection, resource, format!("{path}.outlierDetection")),
        tls: block(tls, resource, format!("{path}.tls")),
    }
}

fn blocks_of<'c>(policy: &'c TrafficPolicy, resource: usize, path: &str) -> Effective<'c> {
    let p = policy;
    blocks(&p.load_balancer, &p.connection_pool, &p.outlier_detection, &p.tls, resource, path)
}

/// The port-level entry of a policy for `port`, as blocks; `None` when there is none.
fn port_level<'c>(
    policy: &'c TrafficPolicy,
    resource: usize,
    path: &str,
    port: u32,
) -> Option<Effective<'c>> {
    let (index, e) =
        policy.port_level_settings.iter().flatten().enumerate().find(|(_, entry)| {
            entry.port.as_ref().and_then(|p| p.number.as_ref()).is_some_and(|n| n.value == port)
        })?;
    let path = format!("{path}.portLevelSettings[{index}]");
    Some(blocks(
        &e.load_balancer,
        &e.connection_pool,
        &e.outlier_detection,
        &e.tls,
        resource,
        &path,
    ))
}

/// The rule's top-level policy: the oldest merged rule that has one (whole-policy, no merge).
fn top_policy<'c>(specs: &[(usize, &'c DestinationRule)]) -> Option<(usize, &'c TrafficPolicy)> {
    specs.iter().find_map(|(index, spec)| spec.traffic_policy.as_ref().map(|p| (*index, &p.value)))
}

impl<'m> Eval<'m> {
    /// Everything after the route: DestinationRule, endpoints, load balancing, TLS.
    pub(crate) fn finish_details(&mut self, request: &Request) {
        let Some(target) = self.target.clone() else { return };
        let mesh = self.mesh;
        let sidecar = mesh.sidecar_for(&request.namespace, &request.source_labels);
        let proxy = super::listener::Proxy {
            namespace: &request.namespace,
            labels: &request.source_labels,
            sidecar,
            dns_capture: request.dns_capture,
        };
        let service = &mesh.services[target.selected.primary as usize];
        let port = target.port;
        let dr = mesh.destination_rule_for(target.selected.primary, &proxy);
        let specs: Vec<(usize, &DestinationRule)> =
            dr.map(|dr| mesh.dr_specs(dr).collect()).unwrap_or_default();
        let mut subset_labels: Option<Vec<(String, String)>> = None;
        let mut effective = Effective::default();
        let mut subset_policy: Option<(usize, String, &TrafficPolicy)> = None;
        if let Some(dr) = dr {
            let (first, _) = specs[0];
            let res = &mesh.config.resources[first];
            self.trace.touch(first);
            for &(index, _) in &specs {
                self.trace.touch(index);
            }
            self.out.destination_rule = Some(NamedRef {
                namespace: res.namespace.value.clone(),
                name: res.name.value.clone(),
            });
            let why = if res.namespace.value == request.namespace {
                "the caller's namespace"
            } else if res.namespace.value == service.namespace {
                "the service's namespace"
            } else {
                "the root namespace"
            };
            let host_span = specs[0].1.host.as_ref().map_or(res.spec_span, |h| h.span);
            let merged = specs.len();
            let ns = res.namespace.value.clone();
            let name = res.name.value.clone();
            self.trace.step("destination_rule", StepOutcome::Pass, || {
                let merged = if merged > 1 { format!(" ({merged} rules for this host merged; the oldest one's trafficPolicy counts)") } else { String::new() };
                (format!("DestinationRule {ns}/{name} applies, found in {why}{merged}"), vec![(first, "spec.host".into(), host_span)])
            });
            if let Some(subset) = target.subset.as_deref() {
                if let Some((index, position, definition)) = mesh.find_subset(dr, subset) {
                    let labels: Vec<(String, String)> = definition
                        .labels
                        .iter()
                        .flat_map(|l| l.iter())
                        .map(|(k, v)| (k.value.clone(), v.value.clone()))
                        .collect();
                    let shown = labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let span = definition.span;
                    self.trace.step("subset", StepOutcome::Pass, || {
                        (
                            format!(
                                "subset {subset} selects endpoints labelled {}",
                                if shown.is_empty() { "(anything)".into() } else { shown }
                            ),
                            vec![(index, format!("spec.subsets[{position}]"), span)],
                        )
                    });
                    subset_labels = Some(labels);
                    if let Some(policy) = definition.traffic_policy.as_ref() {
                        subset_policy = Some((
                            index,
                            format!("spec.subsets[{position}].trafficPolicy"),
                            &policy.value,
                        ));
                    }
                }
            }
            // §7.2: port-level replaces the top level wholesale; subset blocks replace per block.
            if let Some((index, top)) = top_policy(&specs) {
                effective = match port_level(top, index, "spec.trafficPolicy", port) {
                    Some(level) => {
                        self.trace.step("policy", StepOutcome::Info, || {
                            (format!("portLevelSettings for port {port} replace the top-level trafficPolicy as a whole: blocks it does not set fall back to defaults, not to the top level"), vec![])
                        });
                        level
                    }
                    None => blocks_of(top, index, "spec.trafficPolicy"),
                };
            }
            if let Some((index, path, policy)) = subset_policy {
                match port_level(policy, index, &path, port) {
                    Some(level) => effective = level,
                    None => {
                        let own = blocks_of(policy, index, &path);
                        if own.load_balancer.is_some() {
                            effective.load_balancer = own.load_balancer;
                        }
                        if own.connection_pool.is_some() {
                            effective.connection_pool = own.connection_pool;
                        }
                        if own.outlier_detection.is_some() {
                            effective.outlier_detection = own.outlier_detection;
                        }
                        if own.tls.is_some() {
                            effective.tls = own.tls;
                        }
                    }
                }
            }
        } else {
            let host = service.host.clone();
            self.trace.step("destination_rule", StepOutcome::Skip, || {
                (
                    format!(
                        "no DestinationRule for {host} is visible from {}: Istio's defaults apply",
                        request.namespace
                    ),
                    vec![],
                )
            });
        }

        // Endpoints and cluster type.
        let passthrough_lb = effective
            .load_balancer
            .as_ref()
            .and_then(|b| b.value.simple.as_ref())
            .is_some_and(|s| s.value == SimpleLb::Passthrough);
        let host = request.normalized_host();
        let dest_ip = mesh.destination_ip(request, host.as_deref(), &proxy).map(|(ip, _)| ip);
        let (mut cluster_type, mut endpoints) =
            mesh.endpoints(&target, request, dest_ip, subset_labels.as_deref());
        if passthrough_lb {
            cluster_type = ClusterType::OriginalDst;
            endpoints = dest_ip
                .map(|ip| {
                    vec![super::Endpoint {
                        address: ip.to_string(),
                        port,
                        labels: vec![],
                        locality: None,
                        weight: 1,
                    }]
                })
                .unwrap_or_default();
        }
        self.out.envoy_cluster_type = Some(cluster_type);
        self.endpoint_step(service.resolution, cluster_type, &endpoints, request);
        self.out.endpoints = endpoints;

        // Load balancer.
        let lb = effective.load_balancer.as_ref();
        let consistent = lb.and_then(|b| b.value.consistent_hash.as_ref());
        let load_balancer = if cluster_type == ClusterType::OriginalDst {
            LoadBalancer::ClusterProvided
        } else if let Some(hash) = consistent {
            if hash.maglev.is_some() { LoadBalancer::Maglev } else { LoadBalancer::RingHash }
        } else {
            match lb.and_then(|b| b.value.simple.as_ref()).map(|s| s.value) {
                Some(SimpleLb::RoundRobin) => LoadBalancer::RoundRobin,
                Some(SimpleLb::Random) => LoadBalancer::Random,
                _ => LoadBalancer::LeastRequest,
            }
        };
        self.out.load_balancer = Some(load_balancer);
        {
            let origin = lb.map(|b| b.origin.clone());
            self.trace.step("load_balancer", StepOutcome::Info, || {
                let text = match (load_balancer, &origin) {
                    (LoadBalancer::ClusterProvided, _) => "ORIGINAL_DST clusters forward to the original destination; DestinationRule load-balancer settings have no effect".to_string(),
                    (lb, None) => format!("load balancer {} (Istio's default)", lb.as_str()),
                    (lb, Some(_)) => format!("load balancer {}", lb.as_str()),
                };
                (text, origin.into_iter().collect())
            });
        }
        if matches!(load_balancer, LoadBalancer::RingHash | LoadBalancer::Maglev)
            || consistent.is_some()
        {
            self.hash_step(
                request,
                &target,
                &specs,
                subset_policy_ref(&target, mesh, dr),
                load_balancer,
                cluster_type,
                consistent,
            );
        }

        // Locality load balancing, when the rule sets it explicitly.
        if let Some(locality) = lb.and_then(|b| b.value.locality_lb_setting.as_ref()) {
            let origin = lb.map(|b| b.origin.clone());
            let enabled = locality.enabled.as_ref().is_none_or(|e| e.value);
            let failover: Vec<String> = locality
                .failover
                .iter()
                .flatten()
                .map(|f| {
                    let from = f.from.as_ref().map_or("?", |v| v.value.as_str());
                    let to = f.to.as_ref().map_or("?", |v| v.value.as_str());
                    format!("{from} → {to}")
                })
                .collect();
            let distribute = locality.distribute.as_ref().is_some_and(|d| !d.value.is_empty());
            let has_outlier = effective.outlier_detection.is_some();
            self.trace.step("locality", StepOutcome::Info, || {
                let text = if !enabled {
                    "localityLbSetting.enabled is false: endpoints are used regardless of locality".to_string()
                } else if distribute {
                    "localityLbSetting.distribute weights traffic by locality (the caller's locality decides which entry applies)".to_string()
                } else if !failover.is_empty() && !has_outlier {
                    format!("failover {} is set but has no effect: Istio applies locality failover only with outlierDetection", failover.join(", "))
                } else if !failover.is_empty() {
                    format!("failover by locality ({}) once endpoints in the caller's locality are ejected", failover.join(", "))
                } else {
                    "locality load balancing as Istio's default: prefer the caller's locality when outlier detection is set".to_string()
                };
                (text, origin.into_iter().collect())
            });
        }

        // Connection pool and outlier detection.
        if let Some(pool) = effective.connection_pool.as_ref() {
            let text = describe_pool(pool.value);
            let origin = pool.origin.clone();
            self.trace.step("connection_pool", StepOutcome::Info, || (text, vec![origin]));
        }
        if let Some(outlier) = effective.outlier_detection.as_ref() {
            let text = describe_outlier(outlier.value);
            let origin = outlier.origin.clone();
            self.trace.step("outlier_detection", StepOutcome::Info, || {
                (format!("{text}; with outlier detection set, Istio's default locality load balancing turns on failover by locality"), vec![origin])
            });
        }

        // TLS origination.
        self.tls_step(request, &target, effective.tls.as_ref(), dr, service.location);
    }

    fn endpoint_step(
        &mut self,
        resolution: Resolution,
        cluster_type: ClusterType,
        endpoints: &[super::Endpoint],
        request: &Request,
    ) {
        let count = endpoints.len();
        let shown = endpoints
            .iter()
            .take(4)
            .map(|e| format!("{}:{}", e.address, e.port))
            .collect::<Vec<_>>()
            .join(", ");
        let unresolved = endpoints.iter().any(|e| {
            e.address.parse::<std::net::IpAddr>().is_err() && !e.address.starts_with("unix://")
        });
        let _ = request;
        self.trace.step("endpoints", if count == 0 && cluster_type != ClusterType::OriginalDst { StepOutcome::Fail } else { StepOutcome::Info }, || {
            let mode = match cluster_type {
                ClusterType::OriginalDst => "ORIGINAL_DST: Envoy connects to the address the application dialled".to_string(),
                ClusterType::Eds => "EDS: the endpoints are the entry's IP addresses".to_string(),
                ClusterType::StrictDns => "STRICT_DNS: each name is resolved and every returned IP is a separate endpoint".to_string(),
                ClusterType::LogicalDns => "LOGICAL_DNS: one logical endpoint; Envoy connects to the first IP of the latest answer".to_string(),
                ClusterType::Static => "STATIC".to_string(),
            };
            let list = if count == 0 {
                if cluster_type == ClusterType::OriginalDst { String::new() } else { "; no endpoints: Envoy answers 503 UH".into() }
            } else {
                format!("; {count} endpoint(s): {shown}{}", if count > 4 { ", …" } else { "" })
            };
            let hint = if unresolved { " (give a DNS table entry to see the resolved IPs)" } else { "" };
            (format!("resolution {}: {mode}{list}{hint}", resolution.as_str()), vec![])
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn hash_step(
        &mut self,
        request: &Request,
        target: &super::routing::Target,
        specs: &[(usize, &DestinationRule)],
        subset: Option<(usize, &TrafficPolicy)>,
        load_balancer: LoadBalancer,
        cluster_type: ClusterType,
        cluster_hash: Option<&Spanned<ConsistentHashLb>>,
    ) {
        let port = target.port;
        // The route's hash policy (§7.4): looked up separately from the cluster's policy.
        let top = top_policy(specs).map(|(_, p)| p);
        let lb_of = |policy: &TrafficPolicy, port_level: bool| -> Option<ConsistentHashLb> {
            if port_level {
                policy
                    .port_level_settings
                    .iter()
                    .flatten()
                    .find(|e| {
                        e.port
                            .as_ref()
                            .and_then(|p| p.number.as_ref())
                            .is_some_and(|n| n.value == port)
                    })
                    .and_then(|e| e.load_balancer.as_ref())
                    .and_then(|lb| lb.consistent_hash.as_ref())
                    .map(|h| h.value.clone())
            } else {
                policy
                    .load_balancer
                    .as_ref()
                    .and_then(|lb| lb.consistent_hash.as_ref())
                    .map(|h| h.value.clone())
            }
        };
        let route_hash: Option<ConsistentHashLb> = if !target.http {
            // TCP honours only useSourceIp, from the subset's or the top-level policy.
            let from = subset
                .and_then(|(_, p)| {
                    p.load_balancer
                        .as_ref()
                        .map(|lb| lb.consistent_hash.as_ref().map(|h| h.value.clone()))
                })
                .unwrap_or_else(|| top.and_then(|p| lb_of(p, false)));
            from.filter(|h| h.use_source_ip.as_ref().is_some_and(|v| v.value))
        } else if target.from_vs {
            let explicit = target.explicit_port;
            let candidates = [
                subset.filter(|_| explicit).and_then(|(_, p)| lb_of(p, true)),
                subset.and_then(|(_, p)| lb_of(p, false)),
                top.filter(|_| explicit).and_then(|p| lb_of(p, true)),
                top.and_then(|p| lb_of(p, false)),
            ];
            candidates.into_iter().flatten().next()
        } else {
            top.and_then(|p| lb_of(p, true).or_else(|| lb_of(p, false)))
        };
        let Some(route_hash) = route_hash else {
            self.out.hash = cluster_hash.map(|h| {
                let (source, name) = hash_source(&h.value);
                HashDecision {
                    source,
                    name,
                    value: None,
                    key: None,
                    effective: false,
                    endpoint: None,
                    note: Some(if target.from_vs && !target.explicit_port {
                        "the consistentHash is set at port level, and a VirtualService route without destination.port does not see port-level hash policies: the cluster is RING_HASH but Envoy hashes a random value per request".to_string()
                    } else {
                        "the route carries no hash policy, so Envoy hashes a random value per request".to_string()
                    }),
                }
            });
            if let Some(note) = self.out.hash.as_ref().and_then(|h| h.note.clone()) {
                self.trace.step("hash", StepOutcome::Fail, || (note, vec![]));
            }
            return;
        };
        let (source, name) = hash_source(&route_hash);
        let value: Option<String> = match source {
            HashSource::Header => {
                let mut values: Vec<&str> = request.header_values(name.as_deref().unwrap_or(""));
                if values.is_empty() {
                    None
                } else {
                    crate::sort::sort(&mut values);
                    Some(values.concat())
                }
            }
            HashSource::Cookie => {
                request.cookie(name.as_deref().unwrap_or("")).filter(|v| !v.is_empty())
            }
            HashSource::SourceIp => Some(source_ip(request, target.http)),
            HashSource::Query => {
                request.query_param(name.as_deref().unwrap_or("")).map(str::to_string)
            }
        };
        let mut note = None;
        let mut generated = false;
        if value.is_none() && source == HashSource::Cookie {
            if let Some(ttl) = route_hash.http_cookie.as_ref().and_then(|c| c.ttl.as_ref()) {
                // Envoy generates the cookie from the downstream connection's addresses.
                let addresses = format!("{}{}", source_ip(request, false), "127.0.0.1");
                let _ = addresses;
                generated = true;
                note = Some(format!(
                    "the request has no {} cookie and ttl is {}: Envoy generates one per downstream connection, sets it with Set-Cookie, and hashes it; later requests carrying it stick",
                    name.as_deref().unwrap_or(""),
                    ttl.value
                ));
            }
        }
        let key = value.as_deref().map(|v| hash::xxhash64(v.as_bytes(), 0));
        let mut effective = key.is_some() || generated;
        if cluster_type == ClusterType::OriginalDst {
            effective = false;
            note = Some("ORIGINAL_DST (resolution NONE or PASSTHROUGH): the hash cannot choose among endpoints".into());
        } else if cluster_type == ClusterType::LogicalDns {
            effective = false;
            note = Some(
                "LOGICAL_DNS (DNS_ROUND_ROBIN) has one logical endpoint: hashing has no effect"
                    .into(),
            );
        } else if !matches!(load_balancer, LoadBalancer::RingHash | LoadBalancer::Maglev) {
            effective = false;
            note = Some(format!(
                "the cluster's load balancer is {}, so the route's hash is ignored",
                load_balancer.as_str()
            ));
        } else if self.out.endpoints.len() == 1 && effective {
            effective = false;
            note = Some("one endpoint: every request lands there whatever the hash".into());
        } else if value.is_none() && !generated {
            note = Some(format!(
                "the request carries no {}: Envoy hashes a random value, so the endpoint is random",
                match source {
                    HashSource::Header => format!("{} header", name.as_deref().unwrap_or("")),
                    HashSource::Cookie => format!(
                        "{} cookie (and no ttl to generate one)",
                        name.as_deref().unwrap_or("")
                    ),
                    HashSource::Query =>
                        format!("{} query parameter", name.as_deref().unwrap_or("")),
                    HashSource::SourceIp => "source IP".into(),
                }
            ));
        }
        let endpoint = match (key, effective) {
            (Some(key), true) => self.pick(key, load_balancer, cluster_hash.map(|h| &h.value)),
            _ => None,
        };
        if effective && key.is_some() && endpoint.is_none() && note.is_none() {
            note =
                Some("the endpoints are unresolved names; give DNS answers to see the pick".into());
        }
        let decision = HashDecision { source, name, value, key, effective, endpoint, note };
        let shown = decision.clone();
        self.trace.step(
            "hash",
            if shown.effective { StepOutcome::Pass } else { StepOutcome::Fail },
            || {
                let what = match (&shown.name, shown.source) {
                    (Some(n), s) => format!("{} {n}", s.as_str()),
                    (None, s) => s.as_str().to_string(),
                };
                let value = shown
                    .value
                    .as_deref()
                    .map_or_else(|| "absent".to_string(), |v| format!("\"{v}\""));
                let pick = shown
                    .endpoint
                    .as_ref()
                    .map_or(String::new(), |(a, p)| format!(" → endpoint {a}:{p}"));
                let note = shown.note.as_ref().map_or(String::new(), |n| format!("; {n}"));
                let key = shown.key.map_or(String::new(), |k| format!(" (xxHash64 {k:#018x})"));
                (format!("hash on {what}: {value}{key}{pick}{note}"), vec![])
            },
        );
        self.out.hash = Some(decision);
    }

    /// Envoy's ring-hash or Maglev pick over the cluster's endpoints (address strings as keys).
    fn pick(
        &self,
        key: u64,
        load_balancer: LoadBalancer,
        settings: Option<&ConsistentHashLb>,
    ) -> Option<(String, u32)> {
        let endpoints = &self.out.endpoints;
        if endpoints.is_empty()
            || endpoints.iter().any(|e| e.address.parse::<std::net::IpAddr>().is_err())
        {
            return None;
        }
        let keys: Vec<String> = endpoints
            .iter()
            .map(|e| match e.address.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{}", e.port),
                _ => format!("{}:{}", e.address, e.port),
            })
            .collect();
        let hosts: Vec<Host<'_>> = keys
            .iter()
            .zip(endpoints)
            .map(|(k, e)| Host { hash_key: k, weight: e.weight.max(1) })
            .collect();
        let index = match load_balancer {
            LoadBalancer::Maglev => {
                let size = settings
                    .and_then(|s| s.maglev.as_ref())
                    .and_then(|m| m.table_size.as_ref())
                    .map_or(hash::DEFAULT_TABLE_SIZE, |t| t.value);
                let size = if size == 0 { hash::DEFAULT_TABLE_SIZE } else { size };
                MaglevTable::new(&hosts, size).ok()?.pick(key)?
            }
            _ => {
                let min = settings
                    .and_then(|s| {
                        s.ring_hash
                            .as_ref()
                            .and_then(|r| r.minimum_ring_size.as_ref())
                            .or(s.minimum_ring_size.as_ref())
                    })
                    .map_or(hash::DEFAULT_MIN_RING_SIZE, |m| m.value);
                let min = if min == 0 { hash::DEFAULT_MIN_RING_SIZE } else { min };
                Ring::new(&hosts, min, hash::DEFAULT_MAX_RING_SIZE.max(min)).ok()?.pick(key)?
            }
        };
        endpoints.get(index).map(|e| (e.address.clone(), e.port))
    }

    fn tls_step(
        &mut self,
        request: &Request,
        target: &super::routing::Target,
        tls: Option<&Block<'_, ClientTlsSettings>>,
        dr: Option<u32>,
        location: Location,
    ) {
        let mesh = self.mesh;
        let service = &mesh.services[target.selected.primary as usize];
        let Some(tls) = tls else {
            // No tls: auto mTLS only for MESH_INTERNAL endpoints labelled for Istio.
            let istio_endpoints = location == Location::MeshInternal
                && !self.out.endpoints.is_empty()
                && self.out.endpoints.iter().all(|e| {
                    e.labels.iter().any(|(k, v)| k == "security.istio.io/tlsMode" && v == "istio")
                });
            if istio_endpoints {
                let sni = istio_sni(target, &service.host);
                self.out.tls_origination = Some(TlsOrigination {
                    mode: "ISTIO_MUTUAL",
                    sni: Some(sni),
                    auto_sni: false,
                    verify: "mesh certificates".into(),
                });
                self.trace.step("tls", StepOutcome::Info, || ("no tls settings; MESH_INTERNAL endpoints labelled security.istio.io/tlsMode=istio get Istio mTLS automatically".into(), vec![]));
            } else {
                let why = if location == Location::MeshExternal {
                    "MESH_EXTERNAL entries never get auto mTLS"
                } else {
                    "the endpoints are not labelled for Istio mTLS"
                };
                self.trace.step("tls", StepOutcome::Info, || (format!("no TLS origination: the sidecar sends what the application sends ({why})"), vec![]));
            }
            return;
        };
        let origin = tls.origin.clone();
        let settings = tls.value;
        let mode = settings.mode.as_ref().map_or(TlsMode::Disable, |m| m.value);
        let has_selector =
            dr.is_some_and(|dr| mesh.destination_rules[dr as usize].selector.is_some());
        match mode {
            TlsMode::Disable => {
                self.trace.step("tls", StepOutcome::Info, || {
                    ("tls mode DISABLE: plaintext upstream".into(), vec![origin])
                });
            }
            TlsMode::Simple | TlsMode::Mutual => {
                let credential =
                    settings.credential_name.as_ref().is_some_and(|c| !c.value.is_empty());
                if credential
                    && !has_selector
                    && !settings
                        .credential_name
                        .as_ref()
                        .is_some_and(|c| c.value.starts_with("configmap://"))
                {
                    self.trace.step("tls", StepOutcome::Fail, || {
                        ("credentialName is only read by sidecars when the DestinationRule has a workloadSelector: istiod builds no TLS context, so the connection is plaintext".into(), vec![origin])
                    });
                    return;
                }
                let sni = settings.sni.as_ref().map(|s| s.value.clone()).filter(|s| !s.is_empty());
                let auto_sni = sni.is_none() && target.http;
                let sent_sni = sni.clone().or_else(|| {
                    if auto_sni {
                        request.normalized_host().map(std::borrow::Cow::into_owned)
                    } else {
                        None
                    }
                });
                let verify = if settings.insecure_skip_verify.as_ref().is_some_and(|v| v.value) {
                    "nothing (insecureSkipVerify)".to_string()
                } else {
                    let ca = settings
                        .ca_certificates
                        .as_ref()
                        .map_or_else(|| "the system CA bundle".to_string(), |c| c.value.clone());
                    let sans: Vec<String> = settings
                        .subject_alt_names
                        .iter()
                        .flatten()
                        .map(|s| s.value.clone())
                        .collect();
                    if !sans.is_empty() {
                        format!("{ca}, SANs {}", sans.join(", "))
                    } else if sni.is_none() {
                        format!(
                            "{ca}, certificate name checked against the Host (auto SAN validation)"
                        )
                    } else {
                        ca
                    }
                };
                let mode_name = if mode == TlsMode::Simple { "SIMPLE" } else { "MUTUAL" };
                self.out.tls_origination = Some(TlsOrigination {
                    mode: mode_name,
                    sni: sent_sni.clone(),
                    auto_sni,
                    verify: verify.clone(),
                });
                self.trace.step("tls", StepOutcome::Pass, || {
                    let sni_text = match (&sni, auto_sni) {
                        (Some(s), _) => format!("SNI {s}"),
                        (None, true) => format!("SNI from each request's Host ({})", sent_sni.as_deref().unwrap_or("?")),
                        (None, false) => "no SNI (auto SNI needs HTTP; set tls.sni)".into(),
                    };
                    (format!("the sidecar originates TLS ({mode_name}), {sni_text}; verifies {verify}"), vec![origin])
                });
            }
            TlsMode::IstioMutual => {
                let sni = settings
                    .sni
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_else(|| istio_sni(target, &service.host));
                self.out.tls_origination = Some(TlsOrigination {
                    mode: "ISTIO_MUTUAL",
                    sni: Some(sni.clone()),
                    auto_sni: false,
                    verify: "mesh certificates".into(),
                });
                self.trace.step("tls", StepOutcome::Pass, || {
                    (format!("Istio mTLS with mesh certificates, SNI {sni}"), vec![origin])
                });
            }
        }
    }
}

fn subset_policy_ref<'m>(
    target: &super::routing::Target,
    mesh: &'m super::Mesh,
    dr: Option<u32>,
) -> Option<(usize, &'m TrafficPolicy)> {
    let subset = target.subset.as_deref()?;
    let (index, _, definition) = mesh.find_subset(dr?, subset)?;
    definition.traffic_policy.as_ref().map(|p| (index, &p.value))
}

/// The SNI Istio mTLS uses when the rule names none: `outbound_.<port>_.<subset>_.<host>`.
fn istio_sni(target: &super::routing::Target, host: &str) -> String {
    format!("outbound_.{}_.{}_.{host}", target.port, target.subset.as_deref().unwrap_or(""))
}

fn hash_source(hash: &ConsistentHashLb) -> (HashSource, Option<String>) {
    if let Some(header) = hash.http_header_name.as_ref() {
        return (HashSource::Header, Some(header.value.to_ascii_lowercase()));
    }
    if let Some(cookie) = hash.http_cookie.as_ref() {
        return (HashSource::Cookie, cookie.name.as_ref().map(|n| n.value.clone()));
    }
    if let Some(query) = hash.http_query_parameter_name.as_ref() {
        return (HashSource::Query, Some(query.value.clone()));
    }
    (HashSource::SourceIp, None)
}

/// The downstream address Envoy hashes: on sidecar outbound HTTP the rightmost valid
/// X-Forwarded-For entry when present (use_remote_address is off), else the peer.
fn source_ip(request: &Request, http: bool) -> String {
    if http {
        let xff = request.header_values("x-forwarded-for");
        if let Some(last) = xff.last() {
            if let Some(ip) =
                last.rsplit(',').map(str::trim).find_map(|s| s.parse::<std::net::IpAddr>().ok())
            {
                return ip.to_string();
            }
        }
    }
    request.source_ip.to_string()
}

/// Appends `label value` for a field that is set.
fn field<T: std::fmt::Display>(parts: &mut Vec<String>, label: &str, value: &Option<Spanned<T>>) {
    if let Some(value) = value {
        parts.push(format!("{label} {}", value.value));
    }
}

fn describe_pool(pool: &ConnectionPoolSettings) -> String {
    let mut parts = Vec::new();
    if let Some(tcp) = pool.tcp.as_ref() {
        field(&mut parts, "maxConnections", &tcp.max_connections);
        field(&mut parts, "connectTimeout", &tcp.connect_timeout);
        field(&mut parts, "tcp idleTimeout", &tcp.idle_timeout);
    }
    if let Some(http) = pool.http.as_ref() {
        field(&mut parts, "http1MaxPendingRequests", &http.http1_max_pending_requests);
        field(&mut parts, "http2MaxRequests", &http.http2_max_requests);
        field(&mut parts, "maxRequestsPerConnection", &http.max_requests_per_connection);
        field(&mut parts, "maxRetries", &http.max_retries);
        field(&mut parts, "idleTimeout", &http.idle_timeout);
    }
    if parts.is_empty() {
        "connection pool block set without limits".into()
    } else {
        format!("connection pool: {}; beyond these, Envoy rejects with 503 UO", parts.join(", "))
    }
}

fn describe_outlier(outlier: &OutlierDetection) -> String {
    let mut parts = Vec::new();
    match outlier.consecutive_5xx_errors.as_ref() {
        Some(v) => parts.push(format!("eject after {} consecutive 5xx", v.value)),
        None => parts.push("eject after 5 consecutive 5xx (Envoy's default)".into()),
    }
    field(&mut parts, "consecutive gateway errors", &outlier.consecutive_gateway_errors);
    field(&mut parts, "checked every", &outlier.interval);
    field(&mut parts, "ejected for", &outlier.base_ejection_time);
    field(&mut parts, "max ejection %", &outlier.max_ejection_percent);
    if outlier.consecutive_errors.is_some() {
        parts.push("consecutiveErrors is deprecated and ignored".into());
    }
    format!("outlier detection: {}", parts.join(", "))
}
