//! The pipeline: settings, listener, virtual host, VirtualService route, destinations, result.

use std::cell::Cell;
use std::net::IpAddr;

use crate::api::{HttpMatchRequest, HttpRoute, L4MatchAttributes, TlsMatchAttributes};
use crate::decode::{Map, Spanned};
use crate::host;
use crate::load::Spec;
use crate::text::Span;

use super::index::{Mesh, cidr_contains, parse_address};
use super::listener::{Chain, Proxy, Selected};
use super::matching::{self, Check};
use super::request::{OutboundPolicy, Request};
use super::trace::{StepOutcome, Trace};
use super::{
    Classification, ClusterType, Destination, EntryRef, Explanation, LoadBalancer, MatchKind,
    Outcome, Retries, RouteRef, Telemetry,
};

/// Istio's default `retry_on` when a route sets no retries (`route/retry/retry.go`).
pub(crate) const DEFAULT_RETRY_ON: &str =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

type RefList = Vec<(usize, String, Span)>;

/// The state an evaluation builds up; turned into an [`Explanation`] or [`Classification`].
pub(crate) struct Eval<'m> {
    pub(crate) mesh: &'m Mesh,
    pub(crate) trace: Trace<'m>,
    pub(crate) out: Explanation,
    /// Selected destination service (id) and port, for the DestinationRule stages.
    pub(crate) target: Option<Target>,
    pub(crate) policy: OutboundPolicy,
    /// Follow this destination index instead of the heaviest (used by simulation).
    pub(crate) follow: Option<usize>,
    /// Whether the caller wants the whole explanation; the fast path skips everything that
    /// only serves the story (sentences, names, telemetry).
    pub(crate) full: bool,
    /// The ServiceEntry host matched, by service id.
    pub(crate) se_hit: Option<(u32, MatchKind)>,
    /// The service the listener or virtual host chose; a route back to the same host reuses it.
    pub(crate) matched: Option<Selected>,
    /// The VirtualService that governs the request and the entry that matched.
    pub(crate) vs_hit: Option<VsHit>,
    /// Whether an HTTP route match looked past the host, port and source: at the request's
    /// uri, method, headers or query. A cell because matching only reads the evaluation.
    pub(crate) read_request: Cell<bool>,
}

/// The governing VirtualService by resource index, its section and matching entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VsHit {
    pub(crate) resource: usize,
    pub(crate) section: &'static str,
    pub(crate) route: Option<usize>,
}

/// Where the outbound traffic policy came from.
enum Origin {
    Request,
    Sidecar(usize),
    Mesh(usize),
    Default,
}

/// Where a TLS or TCP entry sits: its VirtualService (resource, namespace, name), section,
/// index and span.
struct L4Entry<'a> {
    vs: (usize, &'a str, &'a str),
    section: &'static str,
    index: usize,
    span: Span,
}

/// The destination the explanation follows into DestinationRule and endpoints.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) selected: Selected,
    pub(crate) port: u32,
    pub(crate) subset: Option<String>,
    /// The route's destination gave an explicit port (matters for port-level hash policies).
    pub(crate) explicit_port: bool,
    /// Whether the route came from a VirtualService (hash policy lookup differs).
    pub(crate) from_vs: bool,
    pub(crate) http: bool,
}

/// A route destination as written, before cluster resolution.
struct RouteDest<'a> {
    host: &'a str,
    subset: Option<&'a str>,
    port: Option<u32>,
    weight: i32,
    /// Section, entry and destination index in the VirtualService, for references.
    path: Option<(&'static str, usize, usize)>,
    span: Span,
}

impl Mesh {
    /// Explains one request: the decision, the steps and the findings on what it touched.
    pub fn explain(&self, request: &Request) -> Explanation {
        let mut eval = self.evaluate(request, true);
        eval.finish_details(request);
        eval.out.service_entry = eval.se_hit.map(|hit| self.entry_ref(hit).to_owned());
        eval.out.virtual_service = eval.vs_hit.map(|hit| self.route_ref(hit).to_owned());
        // istio_stats reports empty labels as "unknown".
        for label in [
            &mut eval.out.telemetry.destination_service,
            &mut eval.out.telemetry.destination_service_name,
            &mut eval.out.telemetry.destination_service_namespace,
        ] {
            if label.is_empty() {
                *label = "unknown".to_string();
            }
        }
        let mut touched = std::mem::take(&mut eval.trace.touched);
        touched.extend(self.related_resources(request));
        eval.out.steps = std::mem::take(&mut eval.trace.steps);
        // Findings on what the request touched or names (a losing VirtualService, a rule that
        // never applies, an entry on the destination address), and findings on no resource at
        // all (a YAML syntax error may have cut the configuration short).
        let mut picked: Vec<usize> = self.lint_unattached.clone();
        for index in touched {
            let res = &self.config.resources[index];
            let key = (res.kind.as_str(), res.namespace.value.clone(), res.name.value.clone());
            picked.extend(self.lint_by_resource.get(&key).into_iter().flatten());
        }
        crate::sort::sort(&mut picked);
        picked.dedup();
        eval.out.diagnostics = picked.into_iter().map(|index| self.lint[index].clone()).collect();
        eval.out
    }

    /// Resources that name the request's host or bind its destination address, whether or not
    /// they decided anything: their findings often explain the outcome.
    fn related_resources(&self, request: &Request) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(host) = request.normalized_host() {
            out.extend(
                self.service_hosts
                    .exact(&host)
                    .iter()
                    .map(|&id| self.services[id as usize].resource),
            );
            out.extend(
                self.vs_hosts
                    .exact(&host)
                    .iter()
                    .map(|&id| self.virtual_services[id as usize].resource),
            );
            out.extend(
                self.dr_by_host
                    .get(&*host)
                    .into_iter()
                    .flatten()
                    .flat_map(|&id| self.destination_rules[id as usize].resources.iter().copied()),
            );
        }
        if let Some(ip) = request.dest_ip {
            out.extend(
                self.by_address
                    .get(&ip)
                    .into_iter()
                    .flatten()
                    .map(|&id| self.services[id as usize].resource),
            );
        }
        out
    }

    /// The fast path the Envoy filter uses per request: entry, cluster and outcome, no story.
    pub fn classify(&self, request: &Request) -> Classification<'_> {
        let mut eval = Eval::new(self, false, None);
        self.run(&mut eval, request);
        Classification {
            outcome: eval.out.outcome,
            http_status: eval.out.http_status,
            service_entry: eval.se_hit.map(|hit| self.entry_ref(hit)),
            virtual_service: eval.vs_hit.map(|hit| self.route_ref(hit)),
            cluster: eval.out.cluster,
            subset: eval.out.subset,
            depends_on_request: eval.read_request.get(),
        }
    }

    /// The request headers `classify` can look at (lowercase, sorted, no pseudo-headers): those
    /// named by `headers` and `withoutHeaders` of any VirtualService HTTP match. A caller that
    /// copies only these into its [`Request`] gets the same classification for less work.
    pub fn routing_header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .virtual_services()
            .flat_map(|(_, spec)| spec.http.iter().flat_map(|routes| routes.iter()))
            .flat_map(|route| route.matches.iter().flat_map(|matches| matches.iter()))
            .flat_map(|m| m.headers.iter().chain(m.without_headers.iter()))
            .flat_map(|headers| headers.iter().map(|(name, _)| name.value.to_ascii_lowercase()))
            .filter(|name| !name.starts_with(':') && name != "host")
            .collect();
        crate::sort::sort(&mut names);
        names.dedup();
        names
    }

    /// The ports on which `classify` of a plaintext HTTP request that names its host can depend
    /// on the request's destination address (`dest_ip`); `None` when that can be any port. A
    /// caller that reads the address only for these gets the same classification for less work.
    ///
    /// With a Host, the address decides only in the listener and filter-chain choice: a listener
    /// bound to a ServiceEntry address (explicit, or auto-allocated under DNS capture) and a
    /// destination-CIDR chain, both built only for an entry's TCP, TLS and sniffed ports
    /// (`select_chain`); and, once such a chain or a whole-port TCP chain took the request, a
    /// VirtualService TCP or TLS match on `destinationSubnets`, which may name any port.
    pub fn address_dependent_http_ports(&self, dns_capture: bool) -> Option<Vec<u32>> {
        let subnets = self.config.virtual_services().any(|(_, spec)| {
            let tcp = spec.tcp.iter().flatten().flat_map(|route| route.matches.iter().flatten());
            let tls = spec.tls.iter().flatten().flat_map(|route| route.matches.iter().flatten());
            tcp.map(|m| &m.destination_subnets)
                .chain(tls.map(|m| &m.destination_subnets))
                .any(|subnets| subnets.as_ref().is_some_and(|s| !s.value.is_empty()))
        });
        if subnets {
            return None;
        }
        let mut ports: Vec<u32> = self
            .services
            .iter()
            .filter(|service| !service.bound_addresses(dns_capture).is_empty())
            .flat_map(|service| service.ports.iter())
            .filter(|port| port.serves_tcp() || port.is_tls())
            .map(|port| port.number)
            .collect();
        crate::sort::sort(&mut ports);
        ports.dedup();
        Some(ports)
    }

    fn entry_ref(&self, (id, match_kind): (u32, MatchKind)) -> EntryRef<'_> {
        let service = &self.services[id as usize];
        EntryRef {
            namespace: &service.namespace,
            name: &self.config.resources[service.resource].name.value,
            host: &service.host,
            match_kind,
            location: service.location.as_str(),
            resolution: service.resolution.as_str(),
        }
    }

    fn route_ref(&self, hit: VsHit) -> RouteRef<'_> {
        let res = &self.config.resources[hit.resource];
        let route_name = match (&res.spec, hit.route) {
            (Spec::VirtualService(spec), Some(index)) if hit.section == "http" => spec
                .http
                .as_ref()
                .and_then(|routes| routes.get(index))
                .and_then(|route| route.name.as_ref())
                .map(|name| name.value.as_str()),
            _ => None,
        };
        RouteRef {
            namespace: &res.namespace.value,
            name: &res.name.value,
            section: hit.section,
            route: hit.route,
            route_name,
        }
    }

    pub(crate) fn evaluate(&self, request: &Request, tracing: bool) -> Eval<'_> {
        self.evaluate_following(request, tracing, None)
    }

    pub(crate) fn evaluate_following(
        &self,
        request: &Request,
        tracing: bool,
        follow: Option<usize>,
    ) -> Eval<'_> {
        let mut eval = Eval::new(self, tracing, follow);
        self.run(&mut eval, request);
        eval
    }

    /// The pipeline, written into `eval` in place: the explanation is large, and the fast path
    /// should not pay for moving it around.
    pub(crate) fn run(&self, eval: &mut Eval<'_>, request: &Request) {
        let sidecar = self.sidecar_for(&request.namespace, &request.source_labels);
        let proxy = Proxy {
            namespace: &request.namespace,
            labels: &request.source_labels,
            sidecar,
            dns_capture: request.dns_capture,
        };
        eval.settings(request, &proxy);
        let port = request.effective_port();
        let host = request.normalized_host();
        let dest_ip = self.destination_ip(request, host.as_deref(), &proxy);
        if let Some((ip, from)) = dest_ip {
            eval.trace.step("destination", StepOutcome::Info, || {
                (format!("the connection goes to {ip}:{port} (address from {from})"), vec![])
            });
        } else {
            eval.trace.step("destination", StepOutcome::Info, || {
                (
                    format!(
                        "the connection goes to port {port}; its IP is not one any listener binds (give dest_ip or a DNS table entry to test address matching)"
                    ),
                    vec![],
                )
            });
        }
        let chain =
            self.select_chain(request, &proxy, port, dest_ip.map(|(ip, _)| ip), host.as_deref());
        match chain {
            Chain::CatchAll { reason } => {
                if eval.full {
                    eval.out.listener = Some("virtualOutbound".to_string());
                }
                let reason =
                    if eval.full { reason.describe(host.as_deref()) } else { String::new() };
                eval.catch_all_tcp(request, port, dest_ip.map(|(ip, _)| ip), &reason);
            }
            Chain::Service { selected, match_kind, listener } => {
                if eval.full {
                    eval.out.listener = Some(listener.to_string());
                }
                eval.matched_service(&selected, match_kind, port, host.as_deref(), listener);
                eval.route_l4(
                    request,
                    &proxy,
                    &selected,
                    port,
                    host.as_deref(),
                    dest_ip.map(|(ip, _)| ip),
                );
            }
            Chain::Http => {
                if eval.full {
                    eval.out.listener = Some(format!("0.0.0.0_{port}"));
                }
                eval.trace.step("listener", StepOutcome::Pass, || {
                    (
                        format!("listener 0.0.0.0_{port} has an HTTP chain; route configuration \"{port}\" picks the virtual host by Host"),
                        vec![],
                    )
                });
                eval.route_http(request, &proxy, port, host.as_deref(), dest_ip.map(|(ip, _)| ip));
            }
        }
    }
}

impl<'m> Eval<'m> {
    pub(crate) fn new(mesh: &'m Mesh, tracing: bool, follow: Option<usize>) -> Eval<'m> {
        Eval {
            follow,
            full: tracing,
            se_hit: None,
            vs_hit: None,
            matched: None,
            mesh,
            trace: Trace::new(&mesh.config, tracing),
            out: empty_explanation(),
            target: None,
            policy: OutboundPolicy::AllowAny,
            read_request: Cell::new(false),
        }
    }
}

fn empty_explanation() -> Explanation {
    Explanation {
        outcome: Outcome::Passthrough,
        http_status: None,
        response_flag: None,
        service_entry: None,
        virtual_service: None,
        destination_rule: None,
        listener: None,
        cluster: None,
        cluster_exists: true,
        subset: None,
        destinations: Vec::new(),
        envoy_cluster_type: None,
        endpoints: Vec::new(),
        load_balancer: None,
        hash: None,
        tls_origination: None,
        timeout: None,
        retries: None,
        telemetry: Telemetry {
            destination_service: String::new(),
            destination_service_name: String::new(),
            destination_service_namespace: String::new(),
        },
        steps: Vec::new(),
        diagnostics: Vec::new(),
    }
}

impl<'m> Eval<'m> {
    fn settings(&mut self, request: &Request, proxy: &Proxy<'_>) {
        let mesh = self.mesh;
        let sidecar_policy = proxy.sidecar.and_then(|index| {
            let res = &mesh.config.resources[index];
            let Spec::Sidecar(spec) = &res.spec else { return None };
            let policy = spec.outbound_traffic_policy.as_ref()?;
            // The Sidecar's enum zero value is REGISTRY_ONLY; a policy without a mode means it.
            let mode = match policy.mode.as_ref().map(|m| m.value) {
                Some(crate::api::OutboundMode::AllowAny) => OutboundPolicy::AllowAny,
                _ => OutboundPolicy::RegistryOnly,
            };
            Some((index, mode, policy.span))
        });
        if let Some(index) = proxy.sidecar {
            self.trace.touch(index);
        }
        let (policy, origin) = if let Some(mode) = request.outbound_policy {
            (mode, Origin::Request)
        } else if let Some((index, mode, _)) = sidecar_policy {
            (mode, Origin::Sidecar(index))
        } else if let Some((index, mode)) = mesh.mesh_policy {
            (mode, Origin::Mesh(index))
        } else {
            (OutboundPolicy::AllowAny, Origin::Default)
        };
        self.policy = policy;
        if !self.full {
            return;
        }
        let origin = match origin {
            Origin::Request => "the request's override".to_string(),
            Origin::Sidecar(index) => {
                let res = &mesh.config.resources[index];
                format!("Sidecar {}/{}", res.namespace.value, res.name.value)
            }
            Origin::Mesh(index) => {
                format!("mesh config ({})", mesh.config.resources[index].name.value)
            }
            Origin::Default => "Istio's default".to_string(),
        };
        let namespace = proxy.namespace.to_string();
        let sidecar_ref = proxy.sidecar;
        let sidecar_span = sidecar_policy.map(|(_, _, span)| span);
        let mesh_ref = mesh.mesh_policy.map(|(index, _)| index);
        self.trace.step("settings", StepOutcome::Info, || {
            let mut refs: RefList = Vec::new();
            if request.outbound_policy.is_none() {
                if let (Some(index), Some(span)) = (sidecar_ref, sidecar_span) {
                    refs.push((index, "spec.outboundTrafficPolicy".into(), span));
                } else if let Some(index) = mesh_ref {
                    let res = &mesh.config.resources[index];
                    refs.push((index, format!("{}.outboundTrafficPolicy", res.spec_path), res.spec_span));
                }
            }
            let scope = match sidecar_ref {
                Some(index) => {
                    let res = &mesh.config.resources[index];
                    format!("; Sidecar {}/{} scopes what it sees", res.namespace.value, res.name.value)
                }
                None => String::new(),
            };
            (
                format!(
                    "sidecar in namespace {namespace}: outbound traffic policy {} (from {origin}), DNS capture {}{scope}",
                    policy.as_str(),
                    if request.dns_capture { "on" } else { "off" }
                ),
                refs,
            )
        });
    }

    fn se_ref(&self, id: u32) -> (usize, String, Span) {
        let service = &self.mesh.services[id as usize];
        let spec = service.spec(&self.mesh.config);
        let span = spec
            .hosts
            .as_ref()
            .and_then(|hosts| hosts.get(service.host_index))
            .map_or(Span::default(), |h| h.span);
        (service.resource, format!("spec.hosts[{}]", service.host_index), span)
    }

    fn matched_service(
        &mut self,
        selected: &Selected,
        match_kind: MatchKind,
        port: u32,
        host: Option<&str>,
        listener: super::listener::ListenerName,
    ) {
        let service = &self.mesh.services[selected.primary as usize];
        let res = &self.mesh.config.resources[service.resource];
        for member in selected.all() {
            let index = self.mesh.services[member as usize].resource;
            self.trace.touch(index);
        }
        self.se_hit = Some((selected.primary, match_kind));
        self.matched = Some(selected.clone());
        if !self.full {
            return;
        }
        let se_ref = self.se_ref(selected.primary);
        let name = &res.name.value;
        let ns = &service.namespace;
        let se_host = &service.host;
        let merged = selected.others.len() + 1;
        self.trace.step("service_entry", StepOutcome::Pass, || {
            let how = match match_kind {
                MatchKind::Exact => format!("{} equals host {se_host}", if matches!(listener, super::listener::ListenerName::Wildcard(_)) && host.is_some() { "the name" } else { "the host" }),
                MatchKind::Wildcard => format!("{} is covered by wildcard host {se_host}", host.unwrap_or("?")),
                MatchKind::Address => format!("the destination address belongs to {se_host} (listener {listener})"),
                MatchKind::Port => format!("{se_host} declares TCP port {port} without addresses, so its chain on {listener} takes every connection to port {port}"),
            };
            let merged = if merged > 1 { format!("; {merged} entries for this host in {ns} are merged") } else { String::new() };
            (format!("ServiceEntry {ns}/{name}: {how}{merged}"), vec![se_ref])
        });
    }

    /// The passthrough chain: PassthroughCluster under ALLOW_ANY, BlackHoleCluster otherwise.
    fn catch_all_tcp(
        &mut self,
        request: &Request,
        port: u32,
        dest_ip: Option<IpAddr>,
        reason: &str,
    ) {
        let policy = self.policy;
        self.trace.step("listener", StepOutcome::Fail, || {
            (format!("{reason}; the connection takes the passthrough chain"), vec![])
        });
        match policy {
            OutboundPolicy::AllowAny => {
                self.passthrough(port, dest_ip);
                self.trace.step("result", StepOutcome::Info, || {
                    ("ALLOW_ANY: PassthroughCluster forwards to the original destination, unmanaged (no DestinationRule, no retries)".into(), vec![])
                });
            }
            OutboundPolicy::RegistryOnly => {
                self.out.outcome = Outcome::Blackhole;
                self.out.cluster = Some("BlackHoleCluster".into());
                self.out.envoy_cluster_type = Some(ClusterType::Static);
                if self.full {
                    self.out.telemetry.destination_service_name = "BlackHoleCluster".into();
                }
                self.trace.step("result", StepOutcome::Fail, || {
                    ("REGISTRY_ONLY: BlackHoleCluster has no endpoints, so the connection is closed".into(), vec![])
                });
            }
        }
        let _ = request;
    }

    /// PassthroughCluster: ORIGINAL_DST to the address the application dialled.
    fn passthrough(&mut self, port: u32, dest_ip: Option<IpAddr>) {
        self.out.outcome = Outcome::Passthrough;
        self.out.cluster = Some("PassthroughCluster".into());
        self.out.envoy_cluster_type = Some(ClusterType::OriginalDst);
        self.out.load_balancer = Some(LoadBalancer::ClusterProvided);
        if let Some(ip) = dest_ip {
            self.out.endpoints.push(super::Endpoint {
                address: ip.to_string(),
                port,
                labels: vec![],
                locality: None,
                weight: 1,
            });
        }
        if self.full {
            self.out.telemetry.destination_service_name = "PassthroughCluster".into();
        }
    }

    // ---------------------------------------------------------------- HTTP

    fn route_http(
        &mut self,
        request: &Request,
        proxy: &Proxy<'_>,
        port: u32,
        host: Option<&str>,
        dest_ip: Option<IpAddr>,
    ) {
        let mesh = self.mesh;
        if self.full {
            let raw_host = request.host.clone().unwrap_or_default();
            self.out.telemetry.destination_service =
                if raw_host.is_empty() { "unknown".into() } else { raw_host };
            self.out.telemetry.destination_service_name =
                self.out.telemetry.destination_service.clone();
        }
        let matched = host.and_then(|h| mesh.match_virtual_host(h, port, proxy));
        // Non-registry VirtualService hosts get a virtual host on port 80 only (§6.1); its exact
        // domain outranks a wildcard entry's.
        let exact_service = matches!(matched, Some((_, MatchKind::Exact | MatchKind::Address)));
        if port == 80 && !exact_service {
            if let Some(h) = host {
                if let Some(vs) = mesh.non_registry_vs(h, proxy) {
                    let vs_res = mesh.virtual_services[vs as usize].resource;
                    self.trace.touch(vs_res);
                    self.trace.step("virtual_host", StepOutcome::Info, || {
                        (format!("{h} is no ServiceEntry host, but a VirtualService names it: istiod gives such hosts a virtual host on port 80 only, and its exact domain wins"), vec![])
                    });
                    self.http_virtual_service(request, proxy, vs, None, h, port);
                    return;
                }
            }
        }
        let Some((selected, match_kind)) = matched else {
            let shown = host.unwrap_or("(no host)").to_string();
            match self.policy {
                OutboundPolicy::AllowAny => {
                    self.passthrough(port, dest_ip);
                    self.trace.step("virtual_host", StepOutcome::Fail, || {
                        (format!("no virtual host in route \"{port}\" matches {shown}; the catch-all virtual host allow_any sends it to PassthroughCluster (ALLOW_ANY)"), vec![])
                    });
                }
                OutboundPolicy::RegistryOnly => {
                    self.out.outcome = Outcome::Blackhole;
                    self.out.http_status = Some(502);
                    if self.full {
                        self.out.telemetry.destination_service_name = "BlackHoleCluster".into();
                    }
                    self.trace.step("virtual_host", StepOutcome::Fail, || {
                        (format!("no virtual host in route \"{port}\" matches {shown}; the catch-all virtual host block_all answers 502 (REGISTRY_ONLY)"), vec![])
                    });
                }
            }
            return;
        };
        self.matched_service(
            &selected,
            match_kind,
            port,
            host,
            super::listener::ListenerName::Wildcard(port),
        );
        let service_host = mesh.services[selected.primary as usize].host.as_str();
        let governing = mesh.governing_vs(service_host, proxy);
        // A VirtualService none of whose routes istiod generates for this proxy (matches on
        // another port, other source labels...) yields no virtual host: the default one stays.
        let generated = governing.filter(|&vs| mesh.vs_generates_http(vs, proxy, port));
        if let (Some(vs), None) = (governing, generated) {
            let entry = &mesh.virtual_services[vs as usize];
            let res = &mesh.config.resources[entry.resource];
            let (ns, name, index) =
                (res.namespace.value.clone(), res.name.value.clone(), entry.resource);
            self.trace.touch(index);
            let span = res.spec_span;
            self.trace.step("virtual_service", StepOutcome::Skip, || {
                (format!("VirtualService {ns}/{name} names this host, but none of its http routes applies to this sidecar on port {port} (port, gateways, sourceLabels or sourceNamespace), so istiod keeps the default route"), vec![(index, "spec.http".into(), span)])
            });
        }
        match generated {
            Some(vs) => {
                let h = host.unwrap_or("").to_string();
                self.http_virtual_service(request, proxy, vs, Some(&selected), &h, port);
            }
            None => {
                self.trace.step("virtual_service", StepOutcome::Skip, || {
                    (format!("no VirtualService route for {service_host}: the default route sends everything to outbound|{port}||{service_host}"), vec![])
                });
                let dest = RouteDest {
                    host: service_host,
                    subset: None,
                    port: None,
                    weight: 0,
                    path: None,
                    span: Span::default(),
                };
                self.resolve_destinations(proxy, &[dest], port, true, false, None);
                if self.full {
                    self.out.retries = Some(default_retries());
                }
                self.trace.step("retries", StepOutcome::Info, || {
                    (format!("no route timeout (Istio disables Envoy's 15 s default); Istio's default retries: up to 2 on {DEFAULT_RETRY_ON}"), vec![])
                });
            }
        }
    }

    fn http_virtual_service(
        &mut self,
        request: &Request,
        proxy: &Proxy<'_>,
        vs: u32,
        selected: Option<&Selected>,
        host: &str,
        port: u32,
    ) {
        let mesh = self.mesh;
        let entry = &mesh.virtual_services[vs as usize];
        let res = &mesh.config.resources[entry.resource];
        let Spec::VirtualService(spec) = &res.spec else { return };
        self.trace.touch(entry.resource);
        let vs_name = &res.name.value;
        let vs_ns = &res.namespace.value;
        self.vs_hit = Some(VsHit { resource: entry.resource, section: "http", route: None });
        let _ = selected;
        let vs_index = entry.resource;
        self.trace.step("virtual_service", StepOutcome::Pass, || {
            (
                format!("VirtualService {vs_ns}/{vs_name} governs this host"),
                vec![(
                    vs_index,
                    "spec.hosts".into(),
                    spec.hosts
                        .as_ref()
                        .map_or(res.spec_span, |h| h.first().map_or(res.spec_span, |x| x.span)),
                )],
            )
        });
        let routes: &[Spanned<HttpRoute>] = spec.http.as_ref().map_or(&[][..], |v| v.as_slice());
        for (index, route) in routes.iter().enumerate() {
            match self.http_route_matches(request, proxy, route, port) {
                Ok(which) => {
                    let route_name = route.name.as_ref().map(|n| n.value.as_str());
                    if let Some(hit) = self.vs_hit.as_mut() {
                        hit.route = Some(index);
                    }
                    let path = match which {
                        Some(m) => format!("spec.http[{index}].match[{m}]"),
                        None => format!("spec.http[{index}]"),
                    };
                    let span = match which {
                        Some(m) => route
                            .matches
                            .as_ref()
                            .and_then(|ms| ms.get(m))
                            .map_or(route.span, |m| m.span),
                        None => route.span,
                    };
                    self.trace.step("route", StepOutcome::Pass, || {
                        let label = route_name.map_or_else(
                            || format!("http[{index}]"),
                            |n| format!("http[{index}] ({n})"),
                        );
                        let why = if which.is_some() {
                            "matches"
                        } else {
                            "has no match conditions, so it takes every request"
                        };
                        (format!("route {label} {why}"), vec![(vs_index, path, span)])
                    });
                    self.apply_http_route(
                        request, proxy, vs_index, index, route, vs_ns, host, port,
                    );
                    return;
                }
                Err(reason) => {
                    let span = route.span;
                    self.trace.step("route", StepOutcome::Fail, || {
                        (
                            format!("route http[{index}] does not match: {reason}"),
                            vec![(vs_index, format!("spec.http[{index}]"), span)],
                        )
                    });
                }
            }
        }
        self.out.outcome = Outcome::LocalReply;
        self.out.http_status = Some(404);
        self.out.response_flag = Some("NR");
        self.trace.step("result", StepOutcome::Fail, || {
            (
                "no route of the VirtualService matches: Envoy answers 404 with response flag NR"
                    .into(),
                vec![],
            )
        });
    }

    /// `Ok(Some(i))` when match `i` applies, `Ok(None)` for a route without matches, `Err` with
    /// the reason otherwise.
    fn http_route_matches(
        &self,
        request: &Request,
        proxy: &Proxy<'_>,
        route: &HttpRoute,
        port: u32,
    ) -> Result<Option<usize>, String> {
        let matches: &[Spanned<HttpMatchRequest>] =
            route.matches.as_ref().map_or(&[][..], |v| v.as_slice());
        if matches.is_empty() {
            return Ok(None);
        }
        let mut reasons = Vec::new();
        for (index, m) in matches.iter().enumerate() {
            match self.http_match(request, proxy, m, port) {
                Check::Match => return Ok(Some(index)),
                Check::Miss(_) if !self.full => {}
                Check::Miss(reason) => reasons.push(if matches.len() > 1 {
                    format!("match[{index}]: {reason}")
                } else {
                    reason
                }),
            }
        }
        Err(reasons.join("; "))
    }

    /// A failed condition; its sentence is only written when someone will read it.
    fn miss(&self, reason: impl FnOnce() -> String) -> Check {
        Check::Miss(if self.full { reason() } else { String::new() })
    }

    fn http_match(
        &self,
        request: &Request,
        proxy: &Proxy<'_>,
        m: &HttpMatchRequest,
        port: u32,
    ) -> Check {
        let regexes = &self.mesh.regexes;
        if let Err(reason) = http_static_match(proxy, m, port) {
            return self.miss(|| reason.describe(proxy));
        }
        // Runtime predicates, evaluated by Envoy per request. `authority` reads the host and
        // `scheme` is always http here, so neither makes the answer depend on more than those.
        if m.uri.is_some()
            || m.method.is_some()
            || m.headers.is_some()
            || m.without_headers.is_some()
            || m.query_params.is_some()
        {
            self.read_request.set(true);
        }
        if let Some(uri) = m.uri.as_ref() {
            let ignore_case = m.ignore_uri_case.as_ref().is_some_and(|v| v.value);
            // exact and regex see the path without its query; prefix sees the raw :path.
            let value = if uri.prefix.is_some() {
                request.path.as_str()
            } else {
                request.path_without_query()
            };
            match matching::string_match(regexes, uri, value, ignore_case && uri.regex.is_none()) {
                Ok(true) => {}
                Ok(false) => {
                    return self.miss(|| {
                        format!("uri {} does not match {value}", matching::describe(uri))
                    });
                }
                Err(e) => return Check::Miss(e),
            }
        }
        for (field, name, value) in [
            (&m.method, "method", Some(request.method.as_str())),
            (&m.authority, "authority", request.host.as_deref()),
            (&m.scheme, "scheme", Some("http")),
        ] {
            if let Some(matcher) = field.as_ref() {
                let Some(value) = value else { return self.miss(|| format!("{name} is absent")) };
                match matching::string_match(regexes, matcher, value, false) {
                    Ok(true) => {}
                    Ok(false) => {
                        return self.miss(|| {
                            format!("{name} {} does not match {value}", matching::describe(matcher))
                        });
                    }
                    Err(e) => return Check::Miss(e),
                }
            }
        }
        if let Some(headers) = m.headers.as_ref() {
            if let Some(reason) = self.headers_miss(request, headers, false) {
                return Check::Miss(reason);
            }
        }
        if let Some(headers) = m.without_headers.as_ref() {
            if let Some(reason) = self.headers_miss(request, headers, true) {
                return Check::Miss(reason);
            }
        }
        if let Some(params) = m.query_params.as_ref() {
            for (name, matcher) in params.iter() {
                let value = request.query_param(&name.value);
                let ok = match value {
                    None => false,
                    Some(_) if matching::is_presence(matcher) => true,
                    Some(v) => matching::string_match(regexes, matcher, v, false).unwrap_or(false),
                };
                if !ok {
                    return Check::Miss(match value {
                        None => format!("query parameter {} is absent", name.value),
                        Some(v) => format!(
                            "query parameter {}={v} does not match {}",
                            name.value,
                            matching::describe(matcher)
                        ),
                    });
                }
            }
        }
        Check::Match
    }

    fn headers_miss(
        &self,
        request: &Request,
        headers: &Map<crate::api::StringMatch>,
        invert: bool,
    ) -> Option<String> {
        let regexes = &self.mesh.regexes;
        for (name, matcher) in headers.iter() {
            let value = request.header(&name.value);
            let presence = matching::is_presence(matcher);
            let matched = match (&value, presence) {
                (None, true) => false,
                (Some(_), true) => true,
                // withoutHeaders sets treat_missing_header_as_empty on value matchers.
                (None, false) => {
                    if invert {
                        matching::string_match(regexes, matcher, "", false).unwrap_or(false)
                    } else {
                        false
                    }
                }
                (Some(v), false) => {
                    matching::string_match(regexes, matcher, v, false).unwrap_or(false)
                }
            };
            if matched == invert {
                if !self.full {
                    return Some(String::new());
                }
                let shown = value.as_deref().unwrap_or("absent");
                return Some(if invert {
                    format!(
                        "withoutHeaders {}: {} matches ({shown})",
                        name.value,
                        matching::describe(matcher)
                    )
                } else {
                    format!(
                        "header {} {} does not match ({shown})",
                        name.value,
                        matching::describe(matcher)
                    )
                });
            }
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_http_route(
        &mut self,
        request: &Request,
        proxy: &Proxy<'_>,
        vs_res: usize,
        index: usize,
        route: &Spanned<HttpRoute>,
        vs_ns: &str,
        host: &str,
        port: u32,
    ) {
        if let Some(redirect) = route.redirect.as_ref() {
            let code = redirect.redirect_code.as_ref().map_or(301, |c| c.value);
            let code = if code == 0 { 301 } else { code };
            self.out.outcome = Outcome::LocalReply;
            self.out.http_status = Some(code as u16);
            let target = redirect_target(redirect, request, host, port);
            let span = redirect.span;
            self.trace.step("result", StepOutcome::Info, || {
                (
                    format!("redirect: Envoy answers {code} with Location {target}"),
                    vec![(vs_res, format!("spec.http[{index}].redirect"), span)],
                )
            });
            return;
        }
        if let Some(direct) = route.direct_response.as_ref() {
            let status = direct.status.as_ref().map_or(200, |s| s.value);
            self.out.outcome = Outcome::LocalReply;
            self.out.http_status = Some(status as u16);
            let span = direct.span;
            self.trace.step("result", StepOutcome::Info, || {
                (
                    format!(
                        "directResponse: Envoy answers {status} itself; nothing is sent upstream"
                    ),
                    vec![(vs_res, format!("spec.http[{index}].directResponse"), span)],
                )
            });
            return;
        }
        if route.delegate.is_some() {
            self.out.outcome = Outcome::LocalReply;
            self.out.http_status = Some(404);
            self.out.response_flag = Some("NR");
            self.trace.step("route", StepOutcome::Skip, || {
                ("delegate routes are expanded by istiod from another VirtualService; meshroute does not follow delegation yet".into(), vec![])
            });
            return;
        }
        if let Some(rewrite) = route.rewrite.as_ref().filter(|_| self.full) {
            let span = rewrite.span;
            let mut parts = Vec::new();
            if let Some(uri) = rewrite.uri.as_ref() {
                parts.push(format!("path prefix rewritten to \"{}\"", uri.value));
            }
            if let Some(re) = rewrite.uri_regex_rewrite.as_ref() {
                parts.push(format!(
                    "path regex-rewritten ({} → {})",
                    re.regex.as_ref().map_or("", |r| r.value.as_str()),
                    re.rewrite.as_ref().map_or("", |r| r.value.as_str())
                ));
            }
            if let Some(authority) = rewrite.authority.as_ref() {
                parts.push(format!("Host rewritten to {}", authority.value));
            }
            self.trace.step("rewrite", StepOutcome::Info, || {
                (parts.join("; "), vec![(vs_res, format!("spec.http[{index}].rewrite"), span)])
            });
        }
        if let Some(headers) =
            route.headers.as_ref().and_then(|h| h.request.as_ref()).filter(|_| self.full)
        {
            let span = headers.span;
            let mut parts = Vec::new();
            for (verb, map) in [("set", &headers.set), ("add", &headers.add)] {
                for (name, value) in map.iter().flat_map(|m| m.iter()) {
                    let name = name.value.to_ascii_lowercase();
                    if name == "host" || name == ":authority" {
                        parts.push(format!(
                            "{verb} {name} rewrites the authority to {}",
                            value.value
                        ));
                    } else if !name.starts_with(':') {
                        parts.push(format!("{verb} {name}: {}", value.value));
                    }
                }
            }
            for name in headers.remove.iter().flatten() {
                parts.push(format!("remove {}", name.value));
            }
            if !parts.is_empty() {
                self.trace.step("headers", StepOutcome::Info, || {
                    (
                        format!("request headers: {}", parts.join("; ")),
                        vec![(vs_res, format!("spec.http[{index}].headers.request"), span)],
                    )
                });
            }
        }
        if let Some(fault) = route.fault.as_ref() {
            let span = fault.span;
            self.trace.step("fault", StepOutcome::Info, || {
                let mut parts = Vec::new();
                if let Some(delay) = fault.delay.as_ref() {
                    let pct = percentage(&delay.percentage).unwrap_or(0.0);
                    parts.push(format!(
                        "delay {} for {pct}% of requests",
                        delay
                            .fixed_delay
                            .as_ref()
                            .map_or_else(|| "?".into(), |d| d.value.to_string())
                    ));
                }
                if let Some(abort) = fault.abort.as_ref() {
                    let pct = percentage(&abort.percentage).unwrap_or(0.0);
                    parts.push(format!(
                        "abort with {} for {pct}% of requests",
                        abort
                            .http_status
                            .as_ref()
                            .map_or_else(|| "a gRPC status".into(), |s| s.value.to_string())
                    ));
                }
                (
                    format!("fault injection: {}", parts.join("; ")),
                    vec![(vs_res, format!("spec.http[{index}].fault"), span)],
                )
            });
        }
        if let Some(mirror) = route.mirror.as_ref() {
            let span = mirror.span;
            let pct = percentage(&route.mirror_percentage).unwrap_or(100.0);
            let to = mirror.host.as_ref().map_or("", |h| h.value.as_str()).to_string();
            self.trace.step("mirror", StepOutcome::Info, || {
                (
                    format!("{pct}% of requests are mirrored to {to} (responses ignored)"),
                    vec![(vs_res, format!("spec.http[{index}].mirror"), span)],
                )
            });
        }
        let dests: Vec<RouteDest<'_>> = route
            .route
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, d)| {
                RouteDest::new(
                    d.destination.as_ref()?,
                    d.weight.as_ref(),
                    ("http", index, i),
                    d.span,
                )
            })
            .collect();
        self.resolve_destinations(proxy, &dests, port, true, true, Some((vs_res, vs_ns)));
        // An abort for every request answers before the router: nothing goes upstream.
        let abort = route.fault.as_ref().and_then(|f| f.abort.as_ref());
        if let Some(abort) = abort {
            let pct = percentage(&abort.percentage).unwrap_or(0.0);
            if let Some(status) = abort.http_status.as_ref().filter(|_| pct >= 100.0) {
                self.out.outcome = Outcome::LocalReply;
                self.out.http_status = Some(status.value.clamp(0, 999) as u16);
                let status = status.value;
                self.trace.step("result", StepOutcome::Info, || (format!("the fault filter aborts every request with {status} before it reaches the router"), vec![]));
            }
        }
        // Timeout and retries: the story's business, not the fast path's.
        if self.full {
            self.timeout_and_retries(vs_res, index, route);
        }
    }

    fn timeout_and_retries(&mut self, vs_res: usize, index: usize, route: &Spanned<HttpRoute>) {
        if let Some(timeout) = route.timeout.as_ref() {
            let text = proto_duration(timeout.value);
            self.out.timeout = if timeout.value.nanos == 0 { None } else { Some(text.clone()) };
            let span = timeout.span;
            self.trace.step("timeout", StepOutcome::Info, || {
                (
                    format!("route timeout {text}"),
                    vec![(vs_res, format!("spec.http[{index}].timeout"), span)],
                )
            });
        } else {
            self.trace.step("timeout", StepOutcome::Info, || ("no route timeout: Istio disables Envoy's 15 s default, so requests may wait indefinitely".into(), vec![]));
        }
        match route.retries.as_ref() {
            None => self.out.retries = Some(default_retries()),
            Some(retries) => {
                let attempts = retries.attempts.as_ref().map_or(0, |a| a.value.max(0) as u32);
                let span = retries.span;
                if attempts == 0 {
                    self.out.retries = None;
                    self.trace.step("retries", StepOutcome::Info, || {
                        (
                            "retries.attempts is 0: no retry policy at all".into(),
                            vec![(vs_res, format!("spec.http[{index}].retries"), span)],
                        )
                    });
                } else {
                    let mut retry_on = Vec::new();
                    let mut codes = Vec::new();
                    let text = retries.retry_on.as_ref().map_or("", |r| r.value.as_str());
                    for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        match token.parse::<u32>() {
                            Ok(code) if (100..600).contains(&code) => codes.push(code),
                            _ => retry_on.push(token.to_string()),
                        }
                    }
                    let retry_on = if retry_on.is_empty() && codes.is_empty() {
                        DEFAULT_RETRY_ON.to_string()
                    } else {
                        if !codes.is_empty()
                            && !retry_on.iter().any(|t| t == "retriable-status-codes")
                        {
                            retry_on.push("retriable-status-codes".into());
                        }
                        retry_on.join(",")
                    };
                    let per_try = retries.per_try_timeout.as_ref().map(|d| proto_duration(d.value));
                    self.out.retries = Some(Retries {
                        attempts,
                        per_try_timeout: per_try,
                        retry_on,
                        retriable_status_codes: codes,
                        default: false,
                    });
                }
            }
        }
        if let Some(retries) = self.out.retries.clone() {
            self.trace.step("retries", StepOutcome::Info, || {
                let origin =
                    if retries.default { "Istio's default retry policy" } else { "retry policy" };
                let per_try =
                    retries.per_try_timeout.map_or(String::new(), |t| format!(", {t} per try"));
                (
                    format!(
                        "{origin}: up to {} retries on {}{per_try}",
                        retries.attempts, retries.retry_on
                    ),
                    vec![],
                )
            });
        }
    }

    // ---------------------------------------------------------------- TLS and TCP

    fn route_l4(
        &mut self,
        request: &Request,
        proxy: &Proxy<'_>,
        selected: &Selected,
        port: u32,
        sni: Option<&str>,
        dest_ip: Option<IpAddr>,
    ) {
        let mesh = self.mesh;
        let service = &mesh.services[selected.primary as usize];
        let tls = service.port(port).is_some_and(|p| p.is_tls());
        let section = if tls { "tls" } else { "tcp" };
        let mut any_tls_routes = false;
        for vs in mesh.l4_virtual_services(service, proxy) {
            let entry = &mesh.virtual_services[vs as usize];
            let res = &mesh.config.resources[entry.resource];
            let Spec::VirtualService(spec) = &res.spec else { continue };
            let vs_ns = res.namespace.value.clone();
            let vs_name = res.name.value.clone();
            let vs_res = entry.resource;
            type Entry<'s> = (
                Result<Option<usize>, Vec<String>>,
                &'s Option<Spanned<Vec<Spanned<crate::api::RouteDestination>>>>,
                Span,
            );
            let entries: Box<dyn Iterator<Item = Entry<'_>> + '_> = if tls {
                let routes = spec.tls.as_ref().map_or(&[][..], |v| v.as_slice());
                // Only matches istiod generates for this proxy replace the entry's own chain.
                let generated = routes
                    .iter()
                    .flat_map(|r| r.matches.iter().flatten())
                    .any(|m| tls_static(m, proxy, port).is_ok());
                if !generated {
                    continue;
                }
                any_tls_routes = true;
                // A TLS entry needs a match (validation requires one).
                Box::new(routes.iter().map(|route| {
                    let matches = route.matches.as_ref().map_or(&[][..], |v| v.as_slice());
                    let verdict =
                        l4_verdict(matches, false, |m| tls_match(m, proxy, port, sni, dest_ip));
                    (verdict, &route.route, route.span)
                }))
            } else {
                let routes = spec.tcp.as_ref().map_or(&[][..], |v| v.as_slice());
                if routes.is_empty() {
                    continue;
                }
                // A TCP entry without a match takes every connection.
                Box::new(routes.iter().map(|route| {
                    let matches = route.matches.as_ref().map_or(&[][..], |v| v.as_slice());
                    let verdict = l4_verdict(matches, true, |m| tcp_match(m, proxy, port, dest_ip));
                    (verdict, &route.route, route.span)
                }))
            };
            self.trace.touch(vs_res);
            for (index, (verdict, route, span)) in entries.enumerate() {
                let entry = L4Entry { vs: (vs_res, &vs_ns, &vs_name), section, index, span };
                if self.l4_entry(proxy, port, entry, verdict, route) {
                    return;
                }
            }
        }
        if any_tls_routes {
            // A TLS VirtualService replaces the service's own SNI chain (§6.9, trap 29).
            let reason = format!(
                "the TLS VirtualService for {} lists no route for SNI {}, and it replaces the entry's own SNI chain",
                service.host,
                sni.unwrap_or("(none)")
            );
            self.se_hit = None;
            self.vs_hit = None;
            self.catch_all_tcp(request, port, dest_ip, &reason);
            return;
        }
        let host = service.host.clone();
        self.trace.step("virtual_service", StepOutcome::Skip, || {
            (
                format!("no {section} route applies: the chain proxies to outbound|{port}||{host}"),
                vec![],
            )
        });
        let dest = RouteDest {
            host: &host,
            subset: None,
            port: Some(port),
            weight: 0,
            path: None,
            span: Span::default(),
        };
        self.resolve_destinations(proxy, &[dest], port, false, false, None);
    }

    /// One `tls` or `tcp` entry of a VirtualService: routes the connection when one of its
    /// matches took it (`Ok`), or records why none did (`Err`). Returns whether it routed.
    fn l4_entry(
        &mut self,
        proxy: &Proxy<'_>,
        port: u32,
        entry: L4Entry<'_>,
        verdict: Result<Option<usize>, Vec<String>>,
        route: &Option<Spanned<Vec<Spanned<crate::api::RouteDestination>>>>,
    ) -> bool {
        let L4Entry { vs: (vs_res, vs_ns, vs_name), section, index, span } = entry;
        match verdict {
            Ok(matched) => {
                self.vs_hit = Some(VsHit { resource: vs_res, section, route: Some(index) });
                self.trace.step("route", StepOutcome::Pass, || {
                    let path = match matched {
                        Some(m) => format!("spec.{section}[{index}].match[{m}]"),
                        None => format!("spec.{section}[{index}]"),
                    };
                    (
                        format!("VirtualService {vs_ns}/{vs_name} {section}[{index}] matches"),
                        vec![(vs_res, path, span)],
                    )
                });
                let dests =
                    l4_dests(route.as_ref().map_or(&[][..], |v| v.as_slice()), section, index);
                self.resolve_destinations(proxy, &dests, port, false, true, Some((vs_res, vs_ns)));
                true
            }
            Err(reasons) => {
                self.trace.step("route", StepOutcome::Fail, || {
                    (
                        format!("VirtualService {vs_ns}/{vs_name} {section}[{index}] does not match: {}", reasons.join("; ")),
                        vec![(vs_res, format!("spec.{section}[{index}]"), span)],
                    )
                });
                false
            }
        }
    }

    // ---------------------------------------------------------------- destinations

    /// Turns route destinations into clusters (§6.3, §6.4) and follows the main one.
    fn resolve_destinations(
        &mut self,
        proxy: &Proxy<'_>,
        dests: &[RouteDest<'_>],
        listener_port: u32,
        http: bool,
        from_vs: bool,
        vs: Option<(usize, &str)>,
    ) {
        let mesh = self.mesh;
        let single = dests.len() == 1;
        let kept = || dests.iter().filter(move |d| single || d.weight > 0);
        let weight_of = |d: &RouteDest<'_>| if single { 100 } else { d.weight.max(0) as u32 };
        let total: u64 = kept().map(|d| u64::from(weight_of(d))).sum();
        // Follow the destination that takes the most traffic (the first on ties).
        let count = kept().count();
        let heaviest = kept()
            .enumerate()
            .max_by(|(a, x), (b, y)| weight_of(x).cmp(&weight_of(y)).then(b.cmp(a)))
            .map(|(index, _)| index);
        let Some(main) = self.follow.filter(|&k| k < count).or(heaviest) else {
            self.out.outcome = Outcome::LocalReply;
            self.out.http_status = if http { Some(503) } else { None };
            self.out.cluster_exists = false;
            return;
        };
        let mut main_target: Option<(String, Option<String>, bool, Option<Target>)> = None;
        let mut listed: Vec<Destination> = Vec::new();
        for (index, dest) in kept().enumerate() {
            // The fast path only needs the destination it follows.
            if !self.full && index != main {
                continue;
            }
            let dest_host: std::borrow::Cow<'_, str> = match vs {
                Some((_, ns)) if !dest.host.contains('.') => {
                    host::resolve_short_name(dest.host, ns, "cluster.local").into()
                }
                _ => dest.host.into(),
            };
            let lookup: std::borrow::Cow<'_, str> =
                if dest_host.bytes().any(|b| b.is_ascii_uppercase()) {
                    dest_host.to_ascii_lowercase().into()
                } else {
                    std::borrow::Cow::Borrowed(&*dest_host)
                };
            let selected = match &self.matched {
                Some(matched) if mesh.services[matched.primary as usize].host_key == *lookup => {
                    Some(matched.clone())
                }
                _ => mesh.select_host(&lookup, proxy),
            };
            // HTTP routes without a destination port use the listener port (trap 31); TCP/TLS
            // routes infer the port when the service has exactly one.
            let port = match dest.port {
                Some(port) => port,
                None if http => listener_port,
                None => selected
                    .as_ref()
                    .map(|s| &mesh.services[s.primary as usize])
                    .filter(|s| s.ports.len() == 1)
                    .map_or(listener_port, |s| s.ports[0].number),
            };
            let weight = weight_of(dest);
            let cluster = cluster_name(port, dest.subset.unwrap_or(""), &dest_host);
            let mut target = selected.map(|selected| Target {
                selected,
                port,
                subset: dest.subset.map(str::to_string),
                explicit_port: dest.port.is_some(),
                from_vs,
                http,
            });
            // Existence: a visible service with that port, and the subset defined.
            let missing =
                self.cluster_missing_reason(proxy, &dest_host, port, dest.subset, target.as_ref());
            if let Some(reason) = &missing {
                target = None;
                self.trace.step("destination", StepOutcome::Fail, || {
                    (format!("cluster {cluster} does not exist: {reason}"), vec![])
                });
            }
            if self.full {
                let percent =
                    if total == 0 { 0.0 } else { f64::from(weight) * 100.0 / total as f64 };
                listed.push(Destination {
                    cluster: cluster.clone(),
                    host: dest_host.clone().into_owned(),
                    subset: dest.subset.map(str::to_string),
                    port: Some(port),
                    weight,
                    percent,
                    exists: missing.is_none(),
                });
            }
            if index == main {
                main_target =
                    Some((cluster, dest.subset.map(str::to_string), missing.is_none(), target));
            }
        }
        if self.full && !single {
            let dropped = dests.len() - count;
            let refs: RefList = match vs {
                Some((res, _)) => dests
                    .iter()
                    .filter_map(|d| {
                        let (section, entry, index) = d.path?;
                        Some((res, format!("spec.{section}[{entry}].route[{index}]"), d.span))
                    })
                    .collect(),
                None => vec![],
            };
            let summary = listed
                .iter()
                .map(|d| format!("{} weight {} ({:.1}%)", d.cluster, d.weight, d.percent))
                .collect::<Vec<_>>()
                .join(", ");
            self.trace.step("destination", StepOutcome::Info, || {
                let dropped = if dropped > 0 {
                    format!("; {dropped} destination(s) with weight 0 dropped")
                } else {
                    String::new()
                };
                (format!("weighted split: {summary}{dropped}"), refs)
            });
        }
        self.out.destinations = listed;
        let Some((cluster, subset, exists, target)) = main_target else { return };
        self.out.subset = subset;
        self.out.cluster_exists = exists;
        if let Some(target) = target {
            let service = &mesh.services[target.selected.primary as usize];
            if self.full {
                self.out.telemetry = Telemetry {
                    destination_service: service.host.clone(),
                    destination_service_name: service.host.clone(),
                    destination_service_namespace: service.namespace.clone(),
                };
            }
            for member in target.selected.all() {
                self.trace.touch(mesh.services[member as usize].resource);
            }
            self.out.outcome = Outcome::Routed;
            if single {
                self.trace.step("destination", StepOutcome::Pass, || {
                    (format!("cluster {cluster}"), vec![])
                });
            }
            self.target = Some(target);
        } else {
            self.out.outcome = Outcome::LocalReply;
            self.out.response_flag = Some("NC");
            if http {
                self.out.http_status = Some(503);
            }
            self.trace.step("result", StepOutcome::Fail, || {
                let what = if http {
                    "Envoy answers 503 with response flag NC (no cluster)"
                } else {
                    "the TCP proxy has no cluster and closes the connection"
                };
                (format!("{cluster} is not generated by istiod: {what}"), vec![])
            });
        }
        self.out.cluster = Some(cluster);
    }

    /// Why istiod would not generate the cluster, or `None` when it would. The fast path gets
    /// an empty reason: it only needs to know.
    fn cluster_missing_reason(
        &self,
        proxy: &Proxy<'_>,
        dest_host: &str,
        port: u32,
        subset: Option<&str>,
        target: Option<&Target>,
    ) -> Option<String> {
        let missing = self.mesh.cluster_missing(proxy, port, subset, target)?;
        if !self.full {
            return Some(String::new());
        }
        let subset = subset.unwrap_or("");
        Some(match missing {
            Missing::Host => {
                let wildcard_hint = self
                    .mesh
                    .service_hosts
                    .covering(&dest_host.to_ascii_lowercase(), true)
                    .next()
                    .map(|(suffix, _)| format!(" (a wildcard entry *{suffix} exists, but destinations are looked up by their exact host)"))
                    .unwrap_or_default();
                format!(
                    "no ServiceEntry host {dest_host} is visible from namespace {}{wildcard_hint}",
                    proxy.namespace
                )
            }
            Missing::Port => format!("{dest_host} has no port {port}"),
            Missing::Udp => format!("port {port} is UDP, for which sidecars build nothing"),
            Missing::Subset { rule: true } => {
                format!("subset {subset} is not defined in the DestinationRule that applies")
            }
            Missing::Subset { rule: false } => {
                format!("subset {subset} needs a DestinationRule defining it, and none applies")
            }
            Missing::DnsSubsetEmpty => format!(
                "subset {subset} selects no endpoint of the DNS entry, and istiod skips DNS clusters without endpoints"
            ),
        })
    }
}

/// Why a route's cluster does not exist (§6.3, §7.1).
enum Missing {
    /// No visible ServiceEntry has the destination host.
    Host,
    /// The service has no such port.
    Port,
    /// The port is UDP, for which sidecars build nothing.
    Udp,
    /// The subset is not defined; `rule` says whether a DestinationRule applies at all.
    Subset { rule: bool },
    /// A DNS subset whose selector leaves no endpoint.
    DnsSubsetEmpty,
}

impl Mesh {
    fn cluster_missing(
        &self,
        proxy: &Proxy<'_>,
        port: u32,
        subset: Option<&str>,
        target: Option<&Target>,
    ) -> Option<Missing> {
        let Some(target) = target else { return Some(Missing::Host) };
        match self.selected_port(&target.selected, port) {
            None => return Some(Missing::Port),
            Some((_, p)) if p.protocol == crate::protocol::Protocol::Udp => {
                return Some(Missing::Udp);
            }
            Some(_) => {}
        }
        let subset = subset?;
        let dr = self.destination_rule_for(target.selected.primary, proxy);
        match dr.and_then(|dr| self.find_subset(dr, subset)) {
            None => Some(Missing::Subset { rule: dr.is_some() }),
            Some((_, _, definition)) => {
                self.dns_subset_is_empty(target, definition).then_some(Missing::DnsSubsetEmpty)
            }
        }
    }
}

/// The predicates istiod decides per proxy (§6.2): `port`, `gateways`, `sourceLabels`,
/// `sourceNamespace`. A match failing them is not generated for this sidecar at all.
fn http_static_match<'a>(
    proxy: &Proxy<'_>,
    m: &'a HttpMatchRequest,
    port: u32,
) -> Result<(), StaticMiss<'a>> {
    if let Some(p) = m.port.as_ref() {
        if p.value != 0 && p.value != port {
            return Err(StaticMiss::Port(p.value, port));
        }
    }
    let mut gateways = m.gateways.iter().flatten().peekable();
    if gateways.peek().is_some() {
        // With match-level gateways istiod skips the source checks (trap 24).
        if !gateways.any(|g| g.value == "mesh") {
            return Err(StaticMiss::Gateways);
        }
        return Ok(());
    }
    if let Some(labels) = m.source_labels.as_ref() {
        for (key, value) in labels.iter() {
            if !proxy.labels.iter().any(|(k, v)| *k == key.value && *v == value.value) {
                return Err(StaticMiss::SourceLabel(&key.value, &value.value));
            }
        }
    }
    if let Some(ns) = m.source_namespace.as_ref() {
        if ns.value != proxy.namespace {
            return Err(StaticMiss::SourceNamespace(&ns.value));
        }
    }
    Ok(())
}

/// Why istiod leaves a match out for this proxy; written out only for explanations.
enum StaticMiss<'a> {
    Port(u32, u32),
    Gateways,
    SourceLabel(&'a str, &'a str),
    SourceNamespace(&'a str),
}

impl StaticMiss<'_> {
    fn describe(&self, proxy: &Proxy<'_>) -> String {
        match self {
            StaticMiss::Port(wanted, port) => {
                format!("port {wanted} is not the listener port {port}")
            }
            StaticMiss::Gateways => "its gateways do not include mesh".into(),
            StaticMiss::SourceLabel(key, value) => {
                format!("sourceLabels {key}={value} is not a label of the caller")
            }
            StaticMiss::SourceNamespace(ns) => {
                format!("sourceNamespace {ns} is not {}", proxy.namespace)
            }
        }
    }
}

/// Whether istiod generates any Envoy route from this http entry for this proxy.
fn http_route_generated(proxy: &Proxy<'_>, route: &HttpRoute, port: u32) -> bool {
    let matches = route.matches.as_ref().map_or(&[][..], |v| v.as_slice());
    matches.is_empty() || matches.iter().any(|m| http_static_match(proxy, m, port).is_ok())
}

impl<'a> RouteDest<'a> {
    /// A destination as written; `None` when it names no host.
    fn new(
        dest: &'a crate::api::Destination,
        weight: Option<&Spanned<i32>>,
        path: (&'static str, usize, usize),
        span: Span,
    ) -> Option<RouteDest<'a>> {
        Some(RouteDest {
            host: dest.host.as_ref().map_or("", |h| h.value.as_str()),
            subset: dest.subset.as_ref().map(|s| s.value.as_str()).filter(|s| !s.is_empty()),
            port: dest
                .port
                .as_ref()
                .and_then(|p| p.number.as_ref())
                .map(|n| n.value)
                .filter(|&n| n > 0),
            weight: weight.map_or(0, |w| w.value),
            path: Some(path),
            span,
        })
    }
}

fn l4_dests<'a>(
    routes: &'a [Spanned<crate::api::RouteDestination>],
    section: &'static str,
    index: usize,
) -> Vec<RouteDest<'a>> {
    routes
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            RouteDest::new(d.destination.as_ref()?, d.weight.as_ref(), (section, index, i), d.span)
        })
        .collect()
}

fn static_l4(
    proxy: &Proxy<'_>,
    port: u32,
    match_port: Option<&Spanned<u32>>,
    gateways: Option<&Vec<Spanned<String>>>,
    labels: Option<&Spanned<Map<String>>>,
    namespace: Option<&Spanned<String>>,
) -> Result<(), String> {
    if let Some(p) = match_port {
        if p.value != 0 && p.value != port {
            return Err(format!("port {} is not {port}", p.value));
        }
    }
    let gateways: Vec<&str> = gateways.into_iter().flatten().map(|g| g.value.as_str()).collect();
    if !gateways.is_empty() && !gateways.contains(&"mesh") {
        return Err("its gateways do not include mesh".into());
    }
    // Unlike HTTP, TLS and TCP matches check sources even when gateways are listed (trap 24).
    if let Some(labels) = labels {
        for (key, value) in labels.iter() {
            if !proxy.labels.iter().any(|(k, v)| *k == key.value && *v == value.value) {
                return Err(format!(
                    "sourceLabels {}={} is not a label of the caller",
                    key.value, value.value
                ));
            }
        }
    }
    if let Some(ns) = namespace {
        if ns.value != proxy.namespace {
            return Err(format!("sourceNamespace {} is not {}", ns.value, proxy.namespace));
        }
    }
    Ok(())
}

fn subnets_match(
    subnets: Option<&Vec<Spanned<String>>>,
    dest_ip: Option<IpAddr>,
) -> Result<(), String> {
    let subnets: Vec<&str> = subnets.into_iter().flatten().map(|s| s.value.as_str()).collect();
    if subnets.is_empty() {
        return Ok(());
    }
    let Some(ip) = dest_ip else {
        return Err("destinationSubnets need a destination address".into());
    };
    let hit = subnets.iter().any(|s| match parse_address(s) {
        Some(super::index::Address::Ip(own)) => own == ip,
        Some(super::index::Address::Cidr(net, len)) => cidr_contains(net, len, ip),
        None => false,
    });
    if hit { Ok(()) } else { Err(format!("{ip} is not in destinationSubnets")) }
}

/// The static predicates of a TLS or TCP match (both message types carry the same fields).
macro_rules! l4_static {
    ($m:expr, $proxy:expr, $port:expr) => {
        static_l4(
            $proxy,
            $port,
            $m.port.as_ref(),
            $m.gateways.as_ref().map(|g| &g.value),
            $m.source_labels.as_ref(),
            $m.source_namespace.as_ref(),
        )
    };
}

fn tls_static(m: &TlsMatchAttributes, proxy: &Proxy<'_>, port: u32) -> Result<(), String> {
    l4_static!(m, proxy, port)
}

fn tls_match(
    m: &TlsMatchAttributes,
    proxy: &Proxy<'_>,
    port: u32,
    sni: Option<&str>,
    dest_ip: Option<IpAddr>,
) -> Result<(), String> {
    tls_static(m, proxy, port)?;
    let hosts: Vec<&str> = m.sni_hosts.iter().flatten().map(|h| h.value.as_str()).collect();
    let Some(sni) = sni else { return Err("the connection carries no SNI".into()) };
    // Envoy's server_names: exact, or `*.parent` covering any deeper name.
    let hit = hosts.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        match h.strip_prefix('*') {
            Some(suffix) => sni.len() > suffix.len() && sni.ends_with(suffix),
            None => h == sni,
        }
    });
    if !hit {
        return Err(format!("SNI {sni} is not among sniHosts {}", hosts.join(", ")));
    }
    subnets_match(m.destination_subnets.as_ref().map(|s| &s.value), dest_ip)
}

fn tcp_match(
    m: &L4MatchAttributes,
    proxy: &Proxy<'_>,
    port: u32,
    dest_ip: Option<IpAddr>,
) -> Result<(), String> {
    l4_static!(m, proxy, port)?;
    subnets_match(m.destination_subnets.as_ref().map(|s| &s.value), dest_ip)
}

/// Which match of a TLS or TCP entry takes the connection (`Ok(None)`: the entry has no match
/// and `empty_matches` says that takes everything), or why none does.
fn l4_verdict<M>(
    matches: &[Spanned<M>],
    empty_matches: bool,
    check: impl Fn(&M) -> Result<(), String>,
) -> Result<Option<usize>, Vec<String>> {
    if matches.is_empty() && empty_matches {
        return Ok(None);
    }
    let mut reasons = Vec::new();
    for (index, m) in matches.iter().enumerate() {
        match check(m) {
            Ok(()) => return Ok(Some(index)),
            Err(reason) => reasons.push(reason),
        }
    }
    Err(reasons)
}

/// `outbound|<port>|<subset>|<host>`, built without the formatting machinery: the fast path
/// makes one per request.
pub(crate) fn cluster_name(port: u32, subset: &str, host: &str) -> String {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = port;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let port = std::str::from_utf8(&digits[at..]).unwrap_or("0");
    let mut name = String::with_capacity(12 + port.len() + subset.len() + host.len());
    for part in ["outbound|", port, "|", subset, "|", host] {
        name.push_str(part);
    }
    name
}

/// The value of a `Percent` field that is set.
fn percentage(field: &Option<Spanned<crate::api::Percent>>) -> Option<f64> {
    field.as_ref().and_then(|p| p.value.value.as_ref()).map(|v| v.value)
}

/// A duration as protobuf JSON and Envoy's config dump print it: seconds, with 3, 6 or 9
/// fractional digits when needed (`60s`, `0.250s`).
pub(crate) fn proto_duration(duration: crate::decode::Duration) -> String {
    let nanos = duration.nanos;
    let sign = if nanos < 0 { "-" } else { "" };
    let nanos = nanos.unsigned_abs();
    let (secs, frac) = (nanos / 1_000_000_000, nanos % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{secs}s")
    } else if frac % 1_000_000 == 0 {
        format!("{sign}{secs}.{:03}s", frac / 1_000_000)
    } else if frac % 1_000 == 0 {
        format!("{sign}{secs}.{:06}s", frac / 1_000)
    } else {
        format!("{sign}{secs}.{frac:09}s")
    }
}

pub(crate) fn default_retries() -> Retries {
    Retries {
        attempts: 2,
        per_try_timeout: None,
        retry_on: DEFAULT_RETRY_ON.to_string(),
        retriable_status_codes: Vec::new(),
        default: true,
    }
}

fn redirect_target(
    redirect: &crate::api::HttpRedirect,
    request: &Request,
    host: &str,
    port: u32,
) -> String {
    let scheme = redirect.scheme.as_ref().map_or("http", |s| s.value.as_str());
    let authority = redirect.authority.as_ref().map_or(host, |a| a.value.as_str());
    let port = match (redirect.port.as_ref(), redirect.derive_port.as_ref().map(|d| d.value)) {
        (Some(p), _) => Some(p.value),
        (None, Some(crate::api::RedirectPortSelection::FromRequestPort)) => Some(port),
        _ => None,
    };
    let port =
        port.filter(|&p| !((scheme == "http" && p == 80) || (scheme == "https" && p == 443)));
    let path = redirect.uri.as_ref().map_or_else(|| request.path.clone(), |u| u.value.clone());
    match port {
        Some(p) => format!("{scheme}://{authority}:{p}{path}"),
        None => format!("{scheme}://{authority}{path}"),
    }
}

impl Mesh {
    /// Visible VirtualServices in Istio's candidate order for a namespace: private to it,
    /// exported to it explicitly, public; each oldest first (§3.5).
    fn vs_order_key(&self, vs: u32, namespace: &str) -> (u8, (i64, u32)) {
        let entry = &self.virtual_services[vs as usize];
        let group = match &entry.export_to {
            super::index::ExportTo::Namespaces(list)
                if entry.namespace == namespace && list.len() == 1 && list[0] == namespace =>
            {
                0
            }
            super::index::ExportTo::Namespaces(_) => 1,
            _ => 2,
        };
        (group, entry.age)
    }

    fn vs_usable(&self, vs: u32, proxy: &Proxy<'_>) -> bool {
        let entry = &self.virtual_services[vs as usize];
        if !entry.export_to.visible_to(proxy.namespace) {
            return false;
        }
        // A Sidecar imports a VirtualService when one of its hosts overlaps an imported host.
        let Some(sidecar) = proxy.sidecar else { return true };
        let res = &self.config.resources[sidecar];
        let Spec::Sidecar(spec) = &res.spec else { return true };
        let Some(egress) = spec.egress.as_ref() else { return true };
        egress.iter().flat_map(|l| l.hosts.iter().flatten()).any(|entry_host| {
            let Some((ns, h)) = entry_host.value.split_once('/') else { return false };
            if ns.starts_with('~') {
                return false;
            }
            let ns = if ns == "." { res.namespace.value.as_str() } else { ns };
            (ns == "*" || ns == self.virtual_services[vs as usize].namespace)
                && self.virtual_services[vs as usize].hosts.iter().any(|vh| host::matches(vh, h))
        })
    }

    fn first_in_order(&self, ids: &[u32], proxy: &Proxy<'_>) -> Option<u32> {
        ids.iter()
            .copied()
            .filter(|&vs| self.vs_usable(vs, proxy))
            .min_by_key(|&vs| self.vs_order_key(vs, proxy.namespace))
    }

    /// The VirtualService governing a service host for HTTP (§6.1): the most specific VS host,
    /// identical hosts resolved by candidate order.
    pub(crate) fn governing_vs(&self, service_host: &str, proxy: &Proxy<'_>) -> Option<u32> {
        if let Some(vs) = self.first_in_order(self.vs_hosts.exact(service_host), proxy) {
            return Some(vs);
        }
        let needle = service_host.strip_prefix('*').unwrap_or(service_host);
        for (_, ids) in self.vs_hosts.covering(needle, false) {
            if let Some(vs) = self.first_in_order(ids, proxy) {
                return Some(vs);
            }
        }
        None
    }

    /// Whether istiod generates any HTTP route of this VirtualService for the proxy on `port`.
    fn vs_generates_http(&self, vs: u32, proxy: &Proxy<'_>, port: u32) -> bool {
        let res = &self.config.resources[self.virtual_services[vs as usize].resource];
        let Spec::VirtualService(spec) = &res.spec else { return false };
        spec.http.iter().flatten().any(|route| http_route_generated(proxy, route, port))
    }

    /// A visible VirtualService naming `host` exactly when no ServiceEntry does (§6.1 port-80 rule).
    fn non_registry_vs(&self, host: &str, proxy: &Proxy<'_>) -> Option<u32> {
        if !self.service_hosts.exact(host).is_empty() {
            return None;
        }
        self.first_in_order(self.vs_hosts.exact(host), proxy)
    }

    /// Every VirtualService whose hosts overlap the service host, in candidate order (TCP/TLS).
    fn l4_virtual_services(&self, service: &super::index::Service, proxy: &Proxy<'_>) -> Vec<u32> {
        let service_host = service.host.as_str();
        let mut ids: Vec<u32> = self.vs_hosts.exact(service_host).to_vec();
        let needle = service_host.strip_prefix('*').unwrap_or(service_host);
        for (_, more) in self.vs_hosts.covering(needle, false) {
            ids.extend_from_slice(more);
        }
        if let Some(suffix) = service.host_key.strip_prefix('*') {
            ids.extend(self.vs_under_wildcard.get(suffix).into_iter().flatten());
        }
        crate::sort::sort(&mut ids);
        ids.dedup();
        ids.retain(|&vs| self.vs_usable(vs, proxy));
        crate::sort::sort_by_key(&mut ids, |&vs| self.vs_order_key(vs, proxy.namespace));
        ids
    }
}
