//! Cross-resource and egress lints: configurations istiod accepts whose effect is not what their
//! author meant, each tied to the Istio behaviour that causes it (istio-semantics §9).
//!
//! The lints build small host indexes once, so the whole pass stays linear in the number of
//! resources: exact hosts in a hash map, wildcard hosts by their suffix, so a lookup walks the
//! labels of the name rather than every ServiceEntry.

use std::collections::{HashMap, HashSet};

use crate::api::{
    ClientTlsSettings, Destination, DestinationRule, LoadBalancerSettings, Resolution,
    ServiceEntry, TlsMode, TrafficPolicy, VirtualService,
};
use crate::decode::Spanned;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes::lints as codes;
use crate::host;
use crate::load::{Config, Resource};
use crate::protocol::Protocol;
use crate::text::Span;

use super::Ctx;

/// The Kubernetes DNS suffix istiod appends to short names.
const DOMAIN_SUFFIX: &str = "cluster.local";

pub(super) fn lint(config: &Config, out: &mut Vec<Diagnostic>) {
    let mesh = MeshDefaults::new(config);
    let registry = Registry::new(config);
    let rules = RuleIndex::new(config);
    lint_virtual_services(config, &mesh, &registry, &rules, out);
    for (resource, spec) in config.destination_rules().filter(|(res, _)| !res.decode_failed) {
        let mut ctx = Ctx::new(resource, out);
        lint_destination_rule(&mut ctx, spec, &mesh, &registry);
    }
    for (resource, spec) in config.service_entries().filter(|(res, _)| !res.decode_failed) {
        let mut ctx = Ctx::new(resource, out);
        lint_service_entry(&mut ctx, spec);
    }
}

/// The mesh settings that change how the lints read the resources.
struct MeshDefaults {
    service_export_to: Vec<String>,
    virtual_service_export_to: Vec<String>,
    locality_lb_enabled: bool,
}

impl MeshDefaults {
    fn new(config: &Config) -> MeshDefaults {
        let mesh = config.mesh_config().map(|(_, mesh)| mesh);
        let list = |field: Option<&Spanned<Vec<Spanned<String>>>>| -> Vec<String> {
            field.map_or_else(
                || vec!["*".to_string()],
                |list| list.value.iter().map(|item| item.value.clone()).collect(),
            )
        };
        MeshDefaults {
            service_export_to: list(mesh.and_then(|mesh| mesh.default_service_export_to.as_ref())),
            virtual_service_export_to: list(
                mesh.and_then(|mesh| mesh.default_virtual_service_export_to.as_ref()),
            ),
            // The mesh enables locality load balancing unless it says otherwise.
            locality_lb_enabled: mesh
                .and_then(|mesh| mesh.locality_lb_setting.as_ref())
                .and_then(|setting| setting.enabled.as_ref())
                .is_none_or(|enabled| enabled.value),
        }
    }
}

/// The namespaces an `exportTo` list reaches: `None` for every namespace.
fn audience(
    export_to: Option<&Spanned<Vec<Spanned<String>>>>,
    own_namespace: &str,
    default: &[String],
) -> Option<Vec<String>> {
    let entries: Vec<&str> = match export_to.filter(|list| !list.value.is_empty()) {
        Some(list) => list.value.iter().map(|item| item.value.as_str()).collect(),
        None => default.iter().map(String::as_str).collect(),
    };
    if entries.contains(&"*") {
        return None;
    }
    Some(
        entries
            .iter()
            .filter(|entry| **entry != "~")
            .map(|entry| if *entry == "." { own_namespace.to_string() } else { entry.to_string() })
            .collect(),
    )
}

fn reaches(audience: &Option<Vec<String>>, namespace: &str) -> bool {
    audience.as_ref().is_none_or(|list| list.iter().any(|entry| entry == namespace))
}

/// Kubernetes service names, which meshroute cannot see and so never reports as unknown.
fn is_kubernetes_service(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host.ends_with(".svc.cluster.local") || host.ends_with(".svc")
}

struct ServiceEntryRef<'c> {
    resource: &'c Resource,
    spec: &'c ServiceEntry,
    /// The host as written in this ServiceEntry.
    host: &'c str,
    audience: Option<Vec<String>>,
}

/// ServiceEntry hosts, indexed for exact lookups and for "which wildcards cover this name".
struct Registry<'c> {
    exact: HashMap<&'c str, Vec<ServiceEntryRef<'c>>>,
    /// Whole-label wildcards by the suffix after `*` (`.example.com`, or `` for `*`).
    wildcards: HashMap<&'c str, Vec<ServiceEntryRef<'c>>>,
    /// Partial wildcards (`*example.com`), matched by a plain suffix test; rare, so a list.
    partial: Vec<ServiceEntryRef<'c>>,
}

impl<'c> Registry<'c> {
    fn new(config: &'c Config) -> Registry<'c> {
        let mesh = MeshDefaults::new(config);
        let mut registry =
            Registry { exact: HashMap::new(), wildcards: HashMap::new(), partial: Vec::new() };
        for (resource, spec) in config.service_entries().filter(|(res, _)| !res.decode_failed) {
            let audience = audience(
                spec.export_to.as_ref(),
                &resource.namespace.value,
                &mesh.service_export_to,
            );
            for host in spec.hosts.iter().flat_map(|hosts| hosts.value.iter()) {
                let host = host.value.as_str();
                let entry = ServiceEntryRef { resource, spec, host, audience: audience.clone() };
                match host.strip_prefix('*') {
                    None => registry.exact.entry(host).or_default().push(entry),
                    Some(suffix) if suffix.is_empty() || suffix.starts_with('.') => {
                        registry.wildcards.entry(suffix).or_default().push(entry)
                    }
                    Some(_) => registry.partial.push(entry),
                }
            }
        }
        registry
    }

    fn exact(&self, host: &str) -> &[ServiceEntryRef<'c>] {
        self.exact.get(host).map_or(&[], Vec::as_slice)
    }

    /// The wildcard ServiceEntries whose host covers the exact name `host`.
    fn covering_wildcards(&self, host: &str) -> Vec<&ServiceEntryRef<'c>> {
        let mut out = Vec::new();
        for (idx, _) in host.match_indices('.') {
            if let Some(list) = self.wildcards.get(&host[idx..]) {
                out.extend(list);
            }
        }
        if let Some(list) = self.wildcards.get("") {
            out.extend(list);
        }
        out.extend(self.partial.iter().filter(|entry| host::matches(entry.host, host)));
        out
    }

    /// The ServiceEntry hosts a DestinationRule host applies to: the same name, or for a wildcard
    /// rule every host it covers (istiod's `MostSpecificHostMatch` keyed on the service host).
    /// In input order, then by host: the maps' own order is arbitrary, and findings name the first.
    fn governed_by(&self, rule_host: &str) -> Vec<&ServiceEntryRef<'c>> {
        if !host::is_wildcard(rule_host) {
            return self.exact(rule_host).iter().collect();
        }
        let exact = self
            .exact
            .iter()
            .filter(|(name, _)| host::subset_of(name, rule_host))
            .flat_map(|(_, list)| list);
        let wild = self.wildcards.values().chain(std::iter::once(&self.partial)).flatten();
        let mut governed: Vec<&ServiceEntryRef<'c>> =
            exact.chain(wild.filter(|entry| host::subset_of(entry.host, rule_host))).collect();
        crate::sort::sort_by(&mut governed, |a, b| {
            (a.resource.order, a.host).cmp(&(b.resource.order, b.host))
        });
        governed
    }
}

/// DestinationRules by expanded host, for subset lookups.
struct RuleIndex<'c> {
    exact: HashMap<String, Vec<&'c DestinationRule>>,
    wildcard: Vec<(String, &'c DestinationRule)>,
}

impl<'c> RuleIndex<'c> {
    fn new(config: &'c Config) -> RuleIndex<'c> {
        let mut index = RuleIndex { exact: HashMap::new(), wildcard: Vec::new() };
        for (resource, spec) in config.destination_rules().filter(|(res, _)| !res.decode_failed) {
            let Some(rule_host) = &spec.host else { continue };
            let expanded = host::resolve_short_name(
                &rule_host.value,
                &resource.namespace.value,
                DOMAIN_SUFFIX,
            );
            if host::is_wildcard(&expanded) {
                index.wildcard.push((expanded, spec));
            } else {
                index.exact.entry(expanded).or_default().push(spec);
            }
        }
        index
    }

    fn defines_subset(&self, destination_host: &str, subset: &str) -> bool {
        let has = |rule: &DestinationRule| {
            rule.subsets
                .iter()
                .flat_map(|subsets| subsets.value.iter())
                .any(|entry| entry.name.as_ref().is_some_and(|name| name.value == subset))
        };
        let exact = self.exact.get(destination_host).into_iter().flatten().any(|rule| has(rule));
        exact
            || self
                .wildcard
                .iter()
                .any(|(rule_host, rule)| host::subset_of(destination_host, rule_host) && has(rule))
    }
}

/// Every destination a VirtualService routes or mirrors to, with its field path.
fn destinations(spec: &VirtualService) -> Vec<(&Spanned<Destination>, String)> {
    let mut out = Vec::new();
    for (http_idx, route) in spec.http.iter().flat_map(|list| list.value.iter()).enumerate() {
        for (idx, weighted) in route.route.iter().flat_map(|list| list.value.iter()).enumerate() {
            if let Some(destination) = &weighted.destination {
                out.push((destination, format!("spec.http[{http_idx}].route[{idx}].destination")));
            }
        }
        if let Some(mirror) = &route.mirror {
            out.push((mirror, format!("spec.http[{http_idx}].mirror")));
        }
        for (idx, mirror) in route.mirrors.iter().flat_map(|list| list.value.iter()).enumerate() {
            if let Some(destination) = &mirror.destination {
                out.push((
                    destination,
                    format!("spec.http[{http_idx}].mirrors[{idx}].destination"),
                ));
            }
        }
    }
    for (kind, routes) in [
        (
            "tls",
            spec.tls.as_ref().map(|list| list.value.iter().map(|r| &r.route).collect::<Vec<_>>()),
        ),
        (
            "tcp",
            spec.tcp.as_ref().map(|list| list.value.iter().map(|r| &r.route).collect::<Vec<_>>()),
        ),
    ] {
        for (route_idx, route) in routes.into_iter().flatten().enumerate() {
            for (idx, weighted) in route.iter().flat_map(|list| list.value.iter()).enumerate() {
                if let Some(destination) = &weighted.destination {
                    out.push((
                        destination,
                        format!("spec.{kind}[{route_idx}].route[{idx}].destination"),
                    ));
                }
            }
        }
    }
    out
}

/// Whether a VirtualService applies to sidecars: no `gateways`, or `mesh` among them.
fn applies_to_mesh(spec: &VirtualService) -> bool {
    spec.gateways.as_ref().is_none_or(|gateways| {
        gateways.value.is_empty() || gateways.value.iter().any(|gw| gw.value == "mesh")
    })
}

fn lint_virtual_services(
    config: &Config,
    mesh: &MeshDefaults,
    registry: &Registry<'_>,
    rules: &RuleIndex<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let mut services: Vec<(&Resource, &VirtualService)> = config
        .virtual_services()
        .filter(|(res, spec)| !res.decode_failed && applies_to_mesh(spec))
        .collect();
    // istiod settles conflicts oldest first; input order stands in for missing timestamps.
    crate::sort::sort_by_key(&mut services, |(res, _)| res.age_key());
    let mut first_by_host: HashMap<String, (&Resource, Option<Vec<String>>)> = HashMap::new();
    for (resource, spec) in services {
        let namespace = resource.namespace.value.as_str();
        let vs_audience =
            audience(spec.export_to.as_ref(), namespace, &mesh.virtual_service_export_to);
        let mut ctx = Ctx::new(resource, out);
        for (idx, vs_host) in spec.hosts.iter().flat_map(|hosts| hosts.value.iter()).enumerate() {
            let expanded = host::resolve_short_name(&vs_host.value, namespace, DOMAIN_SUFFIX);
            let path = format!("spec.hosts[{idx}]");
            match first_by_host.get(&expanded) {
                Some((first, first_audience))
                    if !std::ptr::eq(*first, resource)
                        && shadowed_somewhere(
                            (&first.namespace.value, first_audience),
                            (namespace, &vs_audience),
                        ) =>
                {
                    ctx.report(
                        &codes::CONFLICTING_VIRTUAL_SERVICES,
                        vs_host.span,
                        path,
                        format!(
                            "VirtualService {}/{} also routes `{expanded}` and is older; sidecars use only that one and ignore these routes for the host",
                            first.namespace.value, first.name.value
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    first_by_host.insert(expanded.clone(), (resource, vs_audience.clone()));
                }
            }
            lint_http_routes_on_tls_ports(&mut ctx, spec, &expanded, registry);
        }
        for (destination, path) in destinations(spec) {
            lint_destination(&mut ctx, destination, &path, registry, rules);
        }
    }
}

/// Whether the newer VirtualService loses to the older one for some namespace both reach.
/// Sidecars rank VirtualServices private to their namespace first, then those exported to it by
/// name, then public ones, and only then by age (`SelectVirtualServices`, §3.5), so a newer
/// rule private to its namespace is not ignored there.
fn shadowed_somewhere(
    older: (&str, &Option<Vec<String>>),
    newer: (&str, &Option<Vec<String>>),
) -> bool {
    let rank = |(own, audience): (&str, &Option<Vec<String>>), namespace: &str| match audience {
        None => 2,
        Some(list) if list.len() == 1 && list[0] == own && own == namespace => 0,
        Some(_) => 1,
    };
    match newer.1 {
        // A public newer rule ranks last everywhere: any overlap shadows it.
        None => audiences_overlap(older.1, newer.1),
        Some(list) => list
            .iter()
            .filter(|namespace| reaches(older.1, namespace))
            .any(|namespace| rank(older, namespace) <= rank(newer, namespace)),
    }
}

fn audiences_overlap(a: &Option<Vec<String>>, b: &Option<Vec<String>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (None, Some(list)) | (Some(list), None) => !list.is_empty(),
        (Some(a), Some(b)) => a.iter().any(|ns| b.contains(ns)),
    }
}

/// §9.4: `http` routes never apply to a host whose ports are all HTTPS/TLS.
fn lint_http_routes_on_tls_ports(
    ctx: &mut Ctx<'_>,
    spec: &VirtualService,
    vs_host: &str,
    registry: &Registry<'_>,
) {
    let Some(http) = spec.http.as_ref().filter(|http| !http.value.is_empty()) else { return };
    let entries = registry.exact(vs_host);
    let ports: Vec<Protocol> = entries
        .iter()
        .flat_map(|entry| entry.spec.ports.iter().flat_map(|ports| ports.value.iter()))
        .map(|port| {
            Protocol::parse(port.protocol.as_ref().map_or("", |protocol| protocol.value.as_str()))
        })
        .collect();
    if !ports.is_empty() && ports.iter().all(|protocol| protocol.is_tls()) {
        let owner = &entries[0].resource;
        ctx.report(
            &codes::HTTP_ROUTES_ON_TLS_PORTS,
            http.span,
            "spec.http",
            format!(
                "these http routes never apply to `{vs_host}`: every port of ServiceEntry {}/{} is HTTPS or TLS, which the sidecar routes as opaque TLS by SNI; use `tls` routes with `sniHosts`",
                owner.namespace.value, owner.name.value
            ),
        );
    }
}

fn lint_destination(
    ctx: &mut Ctx<'_>,
    destination: &Spanned<Destination>,
    path: &str,
    registry: &Registry<'_>,
    rules: &RuleIndex<'_>,
) {
    let Some(dest_host) = &destination.host else { return };
    let namespace = ctx.namespace();
    let expanded = host::resolve_short_name(&dest_host.value, namespace, DOMAIN_SUFFIX);
    if is_kubernetes_service(&expanded) || host::is_wildcard(&expanded) {
        return;
    }
    let exact = registry.exact(&expanded);
    if exact.is_empty() {
        let covering = registry.covering_wildcards(&expanded);
        if let Some(wildcard) = covering.first() {
            ctx.report(
                &codes::HOST_UNDER_WILDCARD,
                dest_host.span,
                format!("{path}.host"),
                format!(
                    "`{expanded}` is only covered by wildcard ServiceEntry {}/{} (`{}`); istiod builds no cluster for the specific host, so requests get 503 NC; add a ServiceEntry for `{expanded}`",
                    wildcard.resource.namespace.value, wildcard.resource.name.value, wildcard.host
                ),
            );
        } else {
            ctx.report(
                &codes::UNKNOWN_HOST,
                dest_host.span,
                format!("{path}.host"),
                format!("no ServiceEntry defines `{expanded}`, so there is no cluster for it and requests get 503 NC; add a ServiceEntry or fix the host"),
            );
        }
    } else if !exact.iter().any(|entry| reaches(&entry.audience, namespace)) {
        let owner = &exact[0].resource;
        ctx.report(
            &codes::NOT_EXPORTED,
            dest_host.span,
            format!("{path}.host"),
            format!(
                "ServiceEntry {}/{} defines `{expanded}` but is not exported to namespace `{namespace}`; add `{namespace}` to its exportTo",
                owner.namespace.value, owner.name.value
            ),
        );
    }
    if let Some(subset) = destination.subset.as_ref().filter(|subset| !subset.value.is_empty()) {
        if !rules.defines_subset(&expanded, &subset.value) {
            ctx.report(
                &codes::UNKNOWN_SUBSET,
                subset.span,
                format!("{path}.subset"),
                format!("no DestinationRule for `{expanded}` defines subset `{}`, so its cluster does not exist and requests get 503 NC", subset.value),
            );
        }
    }
}

/// One traffic policy of a DestinationRule and where it sits.
struct PolicyAt<'p> {
    path: String,
    load_balancer: Option<&'p Spanned<LoadBalancerSettings>>,
    outlier_span: Option<Span>,
    tls: Option<&'p Spanned<ClientTlsSettings>>,
    /// The port it is limited to, for port-level entries.
    port: Option<u32>,
}

/// Every policy block of a rule: top level, its port-level entries, each subset and theirs.
fn policies(spec: &DestinationRule) -> Vec<PolicyAt<'_>> {
    let mut out = Vec::new();
    fn collect<'p>(policy: &'p Spanned<TrafficPolicy>, base: String, out: &mut Vec<PolicyAt<'p>>) {
        out.push(PolicyAt {
            path: base.clone(),
            load_balancer: policy.load_balancer.as_ref(),
            outlier_span: policy.outlier_detection.as_ref().map(|outlier| outlier.span),
            tls: policy.tls.as_ref(),
            port: None,
        });
        for (idx, entry) in
            policy.port_level_settings.iter().flat_map(|list| list.value.iter()).enumerate()
        {
            out.push(PolicyAt {
                path: format!("{base}.portLevelSettings[{idx}]"),
                load_balancer: entry.load_balancer.as_ref(),
                outlier_span: entry.outlier_detection.as_ref().map(|outlier| outlier.span),
                tls: entry.tls.as_ref(),
                port: entry
                    .port
                    .as_ref()
                    .and_then(|port| port.number.as_ref())
                    .map(|number| number.value),
            });
        }
    }
    if let Some(policy) = &spec.traffic_policy {
        collect(policy, "spec.trafficPolicy".to_string(), &mut out);
    }
    for (idx, subset) in spec.subsets.iter().flat_map(|list| list.value.iter()).enumerate() {
        if let Some(policy) = &subset.traffic_policy {
            collect(policy, format!("spec.subsets[{idx}].trafficPolicy"), &mut out);
        }
    }
    out
}

fn originates_tls(tls: &ClientTlsSettings) -> bool {
    matches!(tls.mode.as_ref().map(|mode| mode.value), Some(TlsMode::Simple | TlsMode::Mutual))
}

fn lint_destination_rule(
    ctx: &mut Ctx<'_>,
    spec: &DestinationRule,
    mesh: &MeshDefaults,
    registry: &Registry<'_>,
) {
    let policies = policies(spec);
    lint_policy_blocks(ctx, spec, &policies, mesh);
    let Some(rule_host) = &spec.host else { return };
    // An empty or malformed host is already an error; saying it matches nothing adds noise.
    if host::validate_wildcard_domain(&rule_host.value).is_err() {
        return;
    }
    let expanded = host::resolve_short_name(&rule_host.value, ctx.namespace(), DOMAIN_SUFFIX);
    if is_kubernetes_service(&expanded) {
        return;
    }
    let governed = registry.governed_by(&expanded);
    if governed.is_empty() {
        let covering = if host::is_wildcard(&expanded) {
            Vec::new()
        } else {
            registry.covering_wildcards(&expanded)
        };
        if let Some(wildcard) = covering.first() {
            ctx.report(
                &codes::HOST_UNDER_WILDCARD,
                rule_host.span,
                "spec.host",
                format!(
                    "this rule never applies: `{expanded}` is only covered by wildcard ServiceEntry {}/{} (`{}`), and istiod looks rules up by the ServiceEntry's host; write the rule for `{}`",
                    wildcard.resource.namespace.value, wildcard.resource.name.value, wildcard.host, wildcard.host
                ),
            );
        } else {
            ctx.report(
                &codes::DESTINATION_RULE_UNUSED,
                rule_host.span,
                "spec.host",
                format!("no ServiceEntry has host `{expanded}`, so this rule applies to nothing; hosts are matched as written"),
            );
        }
        return;
    }
    let mut reported: HashSet<(Span, &'static str)> = HashSet::new();
    for entry in governed {
        let resolution =
            entry.spec.resolution.as_ref().map_or(Resolution::None, |resolution| resolution.value);
        for port in entry.spec.ports.iter().flat_map(|ports| ports.value.iter()) {
            let Some(number) = port.number.as_ref().map(|number| number.value) else { continue };
            let protocol = Protocol::parse(
                port.protocol.as_ref().map_or("", |protocol| protocol.value.as_str()),
            );
            for policy in
                policies.iter().filter(|policy| applies_to_port(policy, &policies, number))
            {
                if let Some(tls) = policy.tls.filter(|tls| protocol.is_tls() && originates_tls(tls))
                {
                    if reported.insert((tls.span, "tls")) {
                        ctx.report(
                            &codes::DOUBLE_TLS,
                            tls.span,
                            format!("{}.tls", policy.path),
                            format!(
                                "port {number} of `{}` is {}, so the application already speaks TLS; this policy makes the sidecar wrap it in a second TLS session; declare the port HTTP and send plain HTTP, or drop `tls` here",
                                entry.host,
                                port.protocol.as_ref().map_or("TLS", |protocol| protocol.value.as_str())
                            ),
                        );
                    }
                }
                let hash = policy.load_balancer.and_then(|lb| lb.consistent_hash.as_ref());
                if let Some(hash) = hash
                    .filter(|_| matches!(resolution, Resolution::None | Resolution::DnsRoundRobin))
                {
                    if reported.insert((hash.span, "hash")) {
                        let why = if resolution == Resolution::None {
                            "resolution NONE forwards each connection to its original IP (ORIGINAL_DST), so there are no hosts to hash over"
                        } else {
                            "DNS_ROUND_ROBIN gives the cluster one logical host, so every key picks the same one"
                        };
                        ctx.report(
                            &codes::HASH_WITHOUT_EFFECT,
                            hash.span,
                            format!("{}.loadBalancer.consistentHash", policy.path),
                            format!("consistent hashing has no effect on `{}`: {why}", entry.host),
                        );
                    }
                }
            }
        }
    }
}

/// Whether a policy block is the one istiod uses for `port`: a port-level entry for that port, or
/// the top level (of the rule or a subset) when no port-level entry of the same parent names it.
fn applies_to_port(policy: &PolicyAt<'_>, all: &[PolicyAt<'_>], port: u32) -> bool {
    match policy.port {
        Some(entry_port) => entry_port == port,
        None => {
            let prefix = format!("{}.portLevelSettings[", policy.path);
            !all.iter().any(|other| other.port == Some(port) && other.path.starts_with(&prefix))
        }
    }
}

fn lint_policy_blocks(
    ctx: &mut Ctx<'_>,
    spec: &DestinationRule,
    policies: &[PolicyAt<'_>],
    mesh: &MeshDefaults,
) {
    for policy in policies {
        if let Some(tls) = policy.tls {
            // `configmap://` credentials are read by sidecars without a selector (istiod's
            // buildUpstreamClusterTLSContext); only Secret credentials need one.
            let credential = tls
                .credential_name
                .as_ref()
                .filter(|name| !name.value.is_empty() && !name.value.starts_with("configmap://"));
            if let Some(credential) =
                credential.filter(|_| originates_tls(tls) && spec.workload_selector.is_none())
            {
                ctx.report(
                    &codes::CREDENTIAL_NAME_ON_SIDECAR,
                    credential.span,
                    format!("{}.tls.credentialName", policy.path),
                    format!(
                        "sidecars ignore credentialName `{}` unless the DestinationRule has a workloadSelector, and then send plaintext; add a workloadSelector or use certificate files",
                        credential.value
                    ),
                );
            }
        }
        if let Some(outlier_span) = policy.outlier_span {
            // An explicit locality setting, or zone-aware settings (which replace locality load
            // balancing), mean the author already chose what happens across localities.
            let explicit_locality = policy.load_balancer.is_some_and(|lb| {
                lb.locality_lb_setting.is_some() || lb.zone_aware_lb_setting.is_some()
            });
            if mesh.locality_lb_enabled && !explicit_locality {
                ctx.report(
                    &codes::OUTLIER_ENABLES_FAILOVER,
                    outlier_span,
                    format!("{}.outlierDetection", policy.path),
                    "outlier detection also turns on locality failover (the mesh enables locality load balancing), so endpoints in other regions only get traffic when local ones fail",
                );
            }
        }
    }
    lint_port_level_drops(ctx, spec.traffic_policy.as_ref(), "spec.trafficPolicy");
    for (idx, subset) in spec.subsets.iter().flat_map(|list| list.value.iter()).enumerate() {
        lint_port_level_drops(
            ctx,
            subset.traffic_policy.as_ref(),
            &format!("spec.subsets[{idx}].trafficPolicy"),
        );
    }
}

/// §9.6: a port-level entry replaces its parent policy wholesale for that port.
fn lint_port_level_drops(ctx: &mut Ctx<'_>, policy: Option<&Spanned<TrafficPolicy>>, base: &str) {
    let Some(policy) = policy else { return };
    let top: [(&str, bool); 4] = [
        ("loadBalancer", policy.load_balancer.is_some()),
        ("connectionPool", policy.connection_pool.is_some()),
        ("outlierDetection", policy.outlier_detection.is_some()),
        ("tls", policy.tls.is_some()),
    ];
    for (idx, entry) in
        policy.port_level_settings.iter().flat_map(|list| list.value.iter()).enumerate()
    {
        let in_entry = [
            entry.load_balancer.is_some(),
            entry.connection_pool.is_some(),
            entry.outlier_detection.is_some(),
            entry.tls.is_some(),
        ];
        let dropped: Vec<&str> = top
            .iter()
            .zip(in_entry)
            .filter(|((_, at_top), here)| *at_top && !here)
            .map(|((name, _), _)| *name)
            .collect();
        if dropped.is_empty() {
            continue;
        }
        let port = entry
            .port
            .as_ref()
            .and_then(|port| port.number.as_ref())
            .map_or_else(|| "this port".to_string(), |n| format!("port {}", n.value));
        let names =
            dropped.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(" and ");
        let verb = if dropped.len() == 1 { "does" } else { "do" };
        ctx.report(
            &codes::PORT_LEVEL_DROPS_TOP_LEVEL,
            entry.span,
            format!("{base}.portLevelSettings[{idx}]"),
            format!("on {port} this entry replaces the policy above it entirely, so its {names} {verb} not apply there; repeat it in this entry if it should"),
        );
    }
}

fn lint_service_entry(ctx: &mut Ctx<'_>, spec: &ServiceEntry) {
    let resolution =
        spec.resolution.as_ref().map_or(Resolution::None, |resolution| resolution.value);
    // With auto-allocation switched off by label, istiod's own "addresses required" warning
    // (MR1007) already says this.
    let opted_out = ctx
        .resource
        .labels
        .get("networking.istio.io/enable-autoallocate-ip")
        .is_some_and(|value| value.value.eq_ignore_ascii_case("false"));
    let has_addresses =
        spec.addresses.as_ref().is_some_and(|addresses| !addresses.value.is_empty());
    for (idx, port) in spec.ports.iter().flat_map(|ports| ports.value.iter()).enumerate() {
        let protocol_text = port.protocol.as_ref().map_or("", |protocol| protocol.value.as_str());
        let protocol = Protocol::parse(protocol_text);
        let span = port.protocol.as_ref().map_or(port.span, |protocol| protocol.span);
        let number = port.number.as_ref().map_or(0, |number| number.value);
        if protocol == Protocol::Udp {
            ctx.report(&codes::UDP_PORT_IGNORED, span, format!("spec.ports[{idx}].protocol"), format!("port {number} is UDP, which sidecars ignore: no listener or cluster is built for it"));
            continue;
        }
        let opaque_tcp = matches!(
            protocol,
            Protocol::Tcp
                | Protocol::Mongo
                | Protocol::Mysql
                | Protocol::Redis
                | Protocol::Unsupported
        );
        // NONE without addresses already gets istiod's own "addresses required" warning.
        if opaque_tcp && !has_addresses && resolution != Resolution::None && !opted_out {
            let kind = if protocol == Protocol::Unsupported {
                "protocol-less (sniffed)".to_string()
            } else {
                protocol_text.to_string()
            };
            ctx.report(
                &codes::TCP_PORT_WITHOUT_ADDRESSES,
                span,
                format!("spec.ports[{idx}]"),
                format!(
                    "{kind} port {number} has no `addresses`, so the sidecar sends every connection to port {number}, whatever its destination IP, to this ServiceEntry (unless DNS capture gives it an auto-allocated address); add `addresses` to scope it"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Source;

    /// Two ServiceEntries under one wildcard rule that originates TLS on their TLS ports: the
    /// single finding names the entry that comes first in the input, whatever order the hash
    /// maps inside the registry hold them in (each map is seeded afresh, so repeat).
    #[test]
    fn a_wildcard_rule_names_the_first_entry_it_governs() {
        let entry = |name: &str| {
            format!(
                "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {{name: {name}}}\nspec:\n  hosts: [{name}.orders.example.com]\n  ports: [{{number: 443, name: tls, protocol: TLS}}]\n  resolution: DNS\n---\n"
            )
        };
        let rule = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all}\nspec:\n  host: \"*.orders.example.com\"\n  trafficPolicy: {tls: {mode: SIMPLE}}\n";
        for (first, second) in [("geo", "geo2"), ("geo2", "geo"), ("zeta", "alpha")] {
            let text = format!("{}{}{rule}", entry(first), entry(second));
            for _ in 0..8 {
                let (_, diagnostics) =
                    crate::lint(&[Source { name: "t.yaml", bytes: text.as_bytes() }]);
                let messages: Vec<&str> = diagnostics
                    .iter()
                    .filter(|d| d.code.id == "MR5005")
                    .map(|d| d.message.as_str())
                    .collect();
                assert_eq!(messages.len(), 1, "{diagnostics:?}");
                let named = format!("`{first}.orders.example.com`");
                assert!(messages[0].contains(&named), "{first} first: {}", messages[0]);
            }
        }
    }
}
