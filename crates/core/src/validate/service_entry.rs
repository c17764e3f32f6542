//! ServiceEntry validation, following istiod's `ValidateServiceEntry` rule by rule, plus the
//! limits and CEL rules of the ServiceEntry CRD schema that the API server enforces.
//!
//! The webhook and the schema overlap (a `*` host, NONE with endpoints, duplicate ports...);
//! such a rule is reported once, under one code. Rules only the schema has (list sizes, string
//! lengths, required port fields) use the shared `MR09xx` value codes. Field paths are built only
//! when something is reported, since ServiceEntries come by the ten thousand.

use std::collections::HashSet;
use std::hash::Hash;

use super::{
    Ctx, ExportToKind, check_export_to, check_labels, check_port, check_protocol,
    is_istio_dns_label,
};
use crate::api::{Location, Resolution, ServiceEntry, ServicePort, WorkloadEntry};
use crate::decode::Spanned;
use crate::diagnostics::codes::{service_entry as codes, values};
use crate::host;
use crate::protocol::Protocol;
use crate::text::Span;

/// CRD `maxItems` of `spec.hosts`, `spec.addresses` and `spec.ports`.
const MAX_LIST_ITEMS: usize = 256;
/// CRD `maxItems` of `spec.endpoints`.
const MAX_ENDPOINTS: usize = 4096;
/// CRD `maxLength` of each `spec.addresses` entry.
const MAX_ADDRESS_LEN: usize = 64;
/// CRD `maxLength` of an endpoint `address`.
const MAX_ENDPOINT_ADDRESS_LEN: usize = 256;
/// CRD `maxLength` of an endpoint `locality` and `network`.
const MAX_LOCALITY_LEN: usize = 2048;
/// CRD `maxLength` of an endpoint `serviceAccount`.
const MAX_SERVICE_ACCOUNT_LEN: usize = 253;
/// CRD `maxProperties` of endpoint and selector `labels`.
const MAX_LABELS: usize = 256;
/// CRD `maxProperties` of an endpoint's `ports`.
const MAX_ENDPOINT_PORTS: usize = 128;
/// CRD `maxLength` of workload selector label values.
const MAX_SELECTOR_VALUE_LEN: usize = 63;
/// istiod's `ValidatePortName` allows DNS labels of up to 63 characters; the CRD rule on endpoint
/// `ports` keys (`size(key) < 63`) only up to 62.
const MAX_ENDPOINT_PORT_NAME_LEN: usize = 62;

/// istiod's `UnixAddressPrefix`.
const UNIX_PREFIX: &str = "unix://";
/// The label opting a ServiceEntry out of IP auto-allocation.
const AUTOALLOCATE_LABEL: &str = "networking.istio.io/enable-autoallocate-ip";
/// The label attaching a resource to a waypoint.
const USE_WAYPOINT_LABEL: &str = "istio.io/use-waypoint";

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &ServiceEntry) {
    let resolution =
        spec.resolution.as_ref().map_or(Resolution::None, |resolution| resolution.value);
    let hosts = list(&spec.hosts);
    let addresses = list(&spec.addresses);
    let ports = list(&spec.ports);
    let endpoints = list(&spec.endpoints);

    // `ValidateAlphaWorkloadSelector`: istiod returns at once on a selector error, so nothing
    // else of the resource is reported. The API server would list its own schema violations
    // too, but the resource is rejected either way and istiod's single finding is kept.
    if !check_workload_selector(ctx, spec) {
        return;
    }

    // The CRD's "at most one of workloadSelector or endpoints" and istiod's check agree. An
    // explicit `endpoints: []` is treated as unset, as istiod's decoding leaves it nil.
    if let (Some(_), Some(list)) = (&spec.workload_selector, non_empty(&spec.endpoints)) {
        ctx.report(
            &values::CONFLICTING_FIELDS,
            list.span,
            "spec.endpoints",
            "only one of `workloadSelector` and `endpoints` may be set: select workload instances by labels, or list the endpoints, not both",
        );
    }

    check_hosts(ctx, spec, hosts, resolution);
    check_addresses(ctx, spec, addresses, resolution);
    let port_names = check_ports(ctx, spec, ports, addresses, resolution);

    if let Some(list) = spec.endpoints.as_ref().filter(|list| list.value.len() > MAX_ENDPOINTS) {
        ctx.report(
            &values::TOO_MANY_ITEMS,
            list.span,
            "spec.endpoints",
            format!(
                "{} endpoints exceed the CRD limit of {MAX_ENDPOINTS}; split them over several ServiceEntries",
                list.value.len()
            ),
        );
    }
    for (idx, endpoint) in endpoints.iter().enumerate() {
        check_endpoint_schema(ctx, endpoint, idx);
    }

    match resolution {
        Resolution::None => check_none(ctx, spec),
        Resolution::Static => {
            for (idx, endpoint) in endpoints.iter().enumerate() {
                check_static_endpoint(ctx, endpoint, idx, &port_names);
            }
        }
        Resolution::Dns | Resolution::DnsRoundRobin => {
            check_dns(ctx, spec, resolution, &port_names);
        }
        Resolution::DynamicDns => check_dynamic_dns(ctx, spec),
    }

    // Several hosts behind one port that is neither HTTP (Host header) nor TLS (SNI) cannot be
    // told apart, unless resolution NONE ignores the hosts anyway. istiod reports the first such
    // port only.
    if resolution != Resolution::None && hosts.len() > 1 {
        let opaque = ports.iter().enumerate().find(|(_, port)| {
            let protocol = Protocol::parse(protocol_of(port));
            !protocol.is_http() && !protocol.is_tls()
        });
        if let Some((idx, port)) = opaque {
            let (span, path) = protocol_location(port, idx);
            let kind = if protocol_of(port).is_empty() { "sniffed" } else { "non-HTTP, non-TLS" };
            ctx.report(
                &codes::SE_MULTIPLE_HOSTS_TCP,
                span,
                path,
                format!(
                    "port {} is {} but the ServiceEntry has {} hosts, which a {kind} port cannot tell apart; use one ServiceEntry per host, an HTTP or TLS protocol, or resolution NONE",
                    port_number(port),
                    describe_protocol(port),
                    hosts.len(),
                ),
            );
        }
    }

    check_export_to(ctx, &spec.export_to, ExportToKind::ServiceEntry, "spec.exportTo");
}

/// The items of an optional list, empty when absent.
fn list<T>(field: &Option<Spanned<Vec<Spanned<T>>>>) -> &[Spanned<T>] {
    field.as_ref().map_or(&[][..], |list| &list.value[..])
}

/// An optional list that is present and has items.
fn non_empty<T>(field: &Option<Spanned<Vec<Spanned<T>>>>) -> Option<&Spanned<Vec<Spanned<T>>>> {
    field.as_ref().filter(|list| !list.value.is_empty())
}

/// Reports a list longer than the CRD's `maxItems`.
fn check_max_items<T>(
    ctx: &mut Ctx<'_>,
    field: &Option<Spanned<Vec<Spanned<T>>>>,
    max: usize,
    path: &str,
    what: &str,
) {
    if let Some(list) = field.as_ref().filter(|list| list.value.len() > max) {
        ctx.report(
            &values::TOO_MANY_ITEMS,
            list.span,
            path,
            format!(
                "{} {what} exceed the CRD limit of {max}; split them over several ServiceEntries",
                list.value.len()
            ),
        );
    }
}

/// Whether a string fits the CRD's `maxLength` (counted in characters, as CEL and OpenAPI do).
fn fits(value: &str, max: usize) -> bool {
    value.len() <= max || value.chars().count() <= max
}

/// Reports a string longer than the CRD's `maxLength`; returns whether it fits.
fn check_max_len(
    ctx: &mut Ctx<'_>,
    value: &Spanned<String>,
    max: usize,
    path: impl FnOnce() -> String,
    what: &str,
) -> bool {
    if fits(&value.value, max) {
        return true;
    }
    let len = value.value.chars().count();
    ctx.report(
        &values::VALUE_OUT_OF_RANGE,
        value.span,
        path(),
        format!("{what} is {len} characters long; the CRD allows at most {max}"),
    );
    false
}

/// A set of the values seen so far, a plain list while small (the usual one to three ports).
struct Seen<T> {
    small: Vec<T>,
    large: HashSet<T>,
}

impl<T: Copy + Eq + Hash> Seen<T> {
    const SMALL: usize = 16;

    fn new() -> Seen<T> {
        Seen { small: Vec::new(), large: HashSet::new() }
    }

    /// Adds `value`; returns false if it was already there.
    fn insert(&mut self, value: T) -> bool {
        if self.large.is_empty() {
            if self.small.contains(&value) {
                return false;
            }
            if self.small.len() < Self::SMALL {
                self.small.push(value);
                return true;
            }
            self.large.extend(self.small.drain(..));
        }
        self.large.insert(value)
    }
}

/// istiod's `ValidateAlphaWorkloadSelector` with the schema's selector limits. Returns false
/// when istiod would stop validating the resource.
fn check_workload_selector(ctx: &mut Ctx<'_>, spec: &ServiceEntry) -> bool {
    let Some(selector) = &spec.workload_selector else { return true };
    let Some(labels) = selector.labels.as_ref().filter(|labels| !labels.is_empty()) else {
        ctx.report(
            &values::EMPTY_SELECTOR,
            selector.span,
            "spec.workloadSelector",
            "workload selector has no labels, so the ServiceEntry applies to every workload in the namespace; add `labels`, or remove the selector",
        );
        return true;
    };
    if labels.len() > MAX_LABELS {
        ctx.report(
            &values::TOO_MANY_ITEMS,
            labels.span,
            "spec.workloadSelector.labels",
            format!("{} selector labels exceed the CRD limit of {MAX_LABELS}", labels.len()),
        );
    }
    let path = |key: &str| match key {
        "" => "spec.workloadSelector.labels".to_string(),
        key => format!("spec.workloadSelector.labels.{key}"),
    };
    let mut ok = true;
    for (key, value) in labels.iter() {
        // istiod reports an empty key and a wildcard separately, so one label can earn both.
        if key.value.is_empty() {
            ctx.report(
                &values::INVALID_SELECTOR,
                key.span,
                path(&key.value),
                "workload selector has an empty label key; select by a real label",
            );
            ok = false;
        }
        if key.value.contains('*') || value.value.contains('*') {
            ctx.report(
                &values::INVALID_SELECTOR,
                key.span.cover(value.span),
                path(&key.value),
                format!(
                    "`{}: {}` uses a wildcard, which workload selectors do not support; select by exact labels",
                    key.value, value.value
                ),
            );
            ok = false;
        } else {
            check_max_len(
                ctx,
                value,
                MAX_SELECTOR_VALUE_LEN,
                || path(&key.value),
                &format!("selector label value `{}`", value.value),
            );
        }
    }
    ok
}

/// Host rules: at least one, at most 256, no bare `*`, valid wildcard domains, and the
/// partial-wildcard warning (not for DYNAMIC_DNS, where hosts like `*foo.com` are meant).
fn check_hosts(
    ctx: &mut Ctx<'_>,
    spec: &ServiceEntry,
    hosts: &[Spanned<String>],
    resolution: Resolution,
) {
    if hosts.is_empty() {
        let span =
            spec.hosts.as_ref().map_or(Ctx::absent(ctx.resource.spec_span), |hosts| hosts.span);
        ctx.report(
            &codes::SE_HOSTS_REQUIRED,
            span,
            "spec.hosts",
            "a ServiceEntry needs at least one host in `spec.hosts`",
        );
    }
    check_max_items(ctx, &spec.hosts, MAX_LIST_ITEMS, "spec.hosts", "hosts");
    for (idx, host) in hosts.iter().enumerate() {
        if host.value == "*" {
            ctx.report(
                &codes::SE_HOST_WILDCARD_ALL,
                host.span,
                format!("spec.hosts[{idx}]"),
                "host `*` is not allowed in a ServiceEntry; name the domains (such as `*.example.com`), or allow all egress with the mesh outbound traffic policy",
            );
            continue;
        }
        if let Err(why) = host::validate_wildcard_domain(&host.value) {
            ctx.report(
                &values::INVALID_HOST,
                host.span,
                format!("spec.hosts[{idx}]"),
                format!("host `{}` is invalid: {why}", host.value),
            );
        }
        if resolution != Resolution::DynamicDns && host::is_partial_wildcard(&host.value) {
            ctx.report(
                &codes::SE_PARTIAL_WILDCARD_HOST,
                host.span,
                format!("spec.hosts[{idx}]"),
                format!(
                    "host `{}` is a partial wildcard, which also matches unrelated names; use a whole-label wildcard such as `*.{}`",
                    host.value,
                    suggest_domain(&host.value)
                ),
            );
        }
    }
}

/// The domain after a host's wildcard part, for the partial-wildcard hint: `*stripe.com` and
/// `files*.stripe.com` both suggest `stripe.com`.
fn suggest_domain(host: &str) -> &str {
    let after = host.rsplit_once('*').map_or(host, |(_, rest)| rest);
    after.trim_start_matches(['-', '.'])
}

/// `spec.addresses`: IPs or CIDR blocks (CIDRs only for NONE and STATIC), with the CRD limits.
fn check_addresses(
    ctx: &mut Ctx<'_>,
    spec: &ServiceEntry,
    addresses: &[Spanned<String>],
    resolution: Resolution,
) {
    check_max_items(ctx, &spec.addresses, MAX_LIST_ITEMS, "spec.addresses", "addresses");
    let mut first_cidr = None;
    for (idx, address) in addresses.iter().enumerate() {
        if first_cidr.is_none() && address.value.contains('/') {
            first_cidr = Some((idx, address));
        }
        // An over-long entry is rejected by the API server before istiod sees it; one finding.
        let path = || format!("spec.addresses[{idx}]");
        if !check_max_len(
            ctx,
            address,
            MAX_ADDRESS_LEN,
            path,
            &format!("address `{}`", address.value),
        ) {
            continue;
        }
        if !super::is_ip_or_cidr(&address.value) {
            ctx.report(
                &values::INVALID_ADDRESS,
                address.span,
                path(),
                format!(
                    "address `{}` is not an IP address or CIDR block; write it as `203.0.113.10` or `10.0.0.0/16`",
                    address.value
                ),
            );
        }
    }
    // istiod reports this once, for any `/` in any address, valid block or not.
    if let Some((idx, address)) = first_cidr {
        if !matches!(resolution, Resolution::None | Resolution::Static) {
            ctx.report(
                &codes::SE_CIDR_REQUIRES_NONE_OR_STATIC,
                address.span,
                format!("spec.addresses[{idx}]"),
                format!(
                    "address `{}` is a CIDR block, which needs resolution NONE or STATIC, not {}; use single IP addresses or change the resolution",
                    address.value,
                    resolution.as_str()
                ),
            );
        }
    }
}

/// The distinct names of the ServiceEntry's ports: istiod's `servicePorts` set, where an absent
/// name counts as the empty name, as Go's getters return it.
struct PortNames<'a> {
    names: Vec<&'a str>,
}

impl PortNames<'_> {
    fn contains(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    /// The declared names, for messages.
    fn listing(&self) -> String {
        let names: Vec<String> = self
            .names
            .iter()
            .filter(|name| !name.is_empty())
            .map(|name| format!("`{name}`"))
            .collect();
        if names.is_empty() { "none are named".to_string() } else { names.join(", ") }
    }
}

/// The port loop of `ValidateServiceEntry`, with the CRD's required fields and limits.
fn check_ports<'a>(
    ctx: &mut Ctx<'_>,
    spec: &ServiceEntry,
    ports: &'a [Spanned<ServicePort>],
    addresses: &[Spanned<String>],
    resolution: Resolution,
) -> PortNames<'a> {
    check_max_items(ctx, &spec.ports, MAX_LIST_ITEMS, "spec.ports", "ports");
    // `ShouldV2AutoAllocateIPFromConfig` with PILOT_ENABLE_IP_AUTOALLOCATE at its default (on):
    // istiod allocates an address unless the resolution is NONE, the resource opts out by label
    // ("false" in any case), or it has addresses of its own.
    let opted_out = ctx
        .resource
        .labels
        .get(AUTOALLOCATE_LABEL)
        .is_some_and(|value| value.value.eq_ignore_ascii_case("false"));
    let auto_allocation = resolution != Resolution::None && !opted_out && addresses.is_empty();

    let mut names: Vec<&'a str> = Vec::with_capacity(ports.len());
    let mut seen_names: Seen<&'a str> = Seen::new();
    let mut seen_numbers: Seen<u32> = Seen::new();
    for (idx, port) in ports.iter().enumerate() {
        let path = |field: &str| format!("spec.ports[{idx}].{field}");
        let name = port.name.as_ref().map_or("", |name| name.value.as_str());
        if seen_names.insert(name) {
            names.push(name);
        } else if let Some(name_field) = &port.name {
            // Two absent names are reported as missing below, where the CRD stops.
            ctx.report(
                &codes::SE_DUPLICATE_PORT_NAME,
                name_field.span,
                path("name"),
                format!("port name `{name}` is already used by another port; give every port a unique name"),
            );
        }
        if let Some(number) = &port.number {
            if !seen_numbers.insert(number.value) {
                ctx.report(
                    &codes::SE_DUPLICATE_PORT_NUMBER,
                    number.span,
                    path("number"),
                    format!(
                        "port {} is already defined by another port; keep one entry per port number",
                        number.value
                    ),
                );
            }
        }
        // istiod validates a non-zero `targetPort`; the CRD's CEL rule rejects an explicit 0 too.
        if let Some(target_port) = port.target_port.as_ref().filter(|port| !is_port(port.value)) {
            check_port(ctx, target_port, &path("targetPort"));
        }
        // The webhook compares the protocol with "TCP" exactly, so `tcp` does not warn (parity).
        let protocol = protocol_of(port);
        if addresses.is_empty() && !auto_allocation && (protocol.is_empty() || protocol == "TCP") {
            let why = if resolution == Resolution::None {
                "resolution NONE gets no auto-allocated address"
            } else {
                "the `networking.istio.io/enable-autoallocate-ip: \"false\"` label turns address auto-allocation off"
            };
            let (span, at) = protocol_location(port, idx);
            ctx.report(
                &codes::SE_ADDRESSES_REQUIRED,
                span,
                at,
                format!(
                    "port {} is {} and the ServiceEntry has no `addresses` ({why}), so the port is matched on every destination IP; add `addresses` or use an HTTP or TLS protocol",
                    port_number(port),
                    describe_protocol(port)
                ),
            );
        }
        match &port.name {
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(port.span),
                path("name"),
                "`name` is required on every ServiceEntry port; name it after its protocol, such as `https` or `tcp-postgres`",
            ),
            Some(name) => check_port_name(ctx, name, || path("name"), 63),
        }
        if let Some(protocol) =
            port.protocol.as_ref().filter(|protocol| !Protocol::is_valid_name(&protocol.value))
        {
            check_protocol(ctx, protocol, &path("protocol"));
        }
        match &port.number {
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(port.span),
                path("number"),
                "`number` is required on every ServiceEntry port; give the port the application connects to",
            ),
            Some(number) if !is_port(number.value) => check_port(ctx, number, &path("number")),
            Some(_) => {}
        }
    }
    PortNames { names }
}

/// A port name must be a DNS label of at most `max` characters.
fn check_port_name(
    ctx: &mut Ctx<'_>,
    name: &Spanned<String>,
    path: impl FnOnce() -> String,
    max: usize,
) {
    if is_istio_dns_label(&name.value) && name.value.len() <= max {
        return;
    }
    ctx.report(
        &values::INVALID_PORT_NAME,
        name.span,
        path(),
        format!(
            "port name `{}` is not a DNS label: use letters, digits and `-`, at most {max} characters",
            name.value
        ),
    );
}

/// istiod's `ValidatePort` range, checked before building a path for the shared reporter.
fn is_port(number: u32) -> bool {
    (1..=65535).contains(&number)
}

fn protocol_of(port: &ServicePort) -> &str {
    port.protocol.as_ref().map_or("", |protocol| protocol.value.as_str())
}

fn port_number(port: &ServicePort) -> u32 {
    port.number.as_ref().map_or(0, |number| number.value)
}

/// `TCP`, or `sniffed (no protocol set)`, for messages.
fn describe_protocol(port: &ServicePort) -> &str {
    match protocol_of(port) {
        "" => "sniffed (no protocol set)",
        protocol => protocol,
    }
}

/// Where to blame a port's protocol: the protocol value, or the port when it has none.
fn protocol_location(port: &Spanned<ServicePort>, idx: usize) -> (Span, String) {
    match &port.protocol {
        Some(protocol) => (protocol.span, format!("spec.ports[{idx}].protocol")),
        None => (port.span, format!("spec.ports[{idx}]")),
    }
}

/// The path of an endpoint field, built when reported.
fn endpoint_path(idx: usize, field: &str) -> String {
    format!("spec.endpoints[{idx}].{field}")
}

/// The CRD's per-endpoint rules, which hold whatever the resolution.
fn check_endpoint_schema(ctx: &mut Ctx<'_>, endpoint: &Spanned<WorkloadEntry>, idx: usize) {
    if endpoint.address.is_none() && endpoint.network.is_none() {
        ctx.report(
            &codes::SE_ENDPOINT_ADDRESS_REQUIRED,
            Ctx::absent(endpoint.span),
            endpoint_path(idx, "address"),
            "endpoint has no `address`; give its IP address, DNS name or `unix://` socket path",
        );
    }
    if let Some(address) = &endpoint.address {
        let path = || endpoint_path(idx, "address");
        let fits = check_max_len(ctx, address, MAX_ENDPOINT_ADDRESS_LEN, path, "endpoint address");
        if let (true, Some(socket)) = (fits, address.value.strip_prefix(UNIX_PREFIX)) {
            // istiod's `ValidateUnixAddress` and the CRD's two UDS rules together: an absolute
            // path or an abstract `@name`, never ending in `/`.
            let valid =
                (socket.starts_with('/') || socket.starts_with('@')) && !socket.ends_with('/');
            if !valid {
                ctx.report(
                    &codes::SE_INVALID_UNIX_ADDRESS,
                    address.span,
                    path(),
                    format!(
                        "`{}` is not a Unix socket address: use `unix:///absolute/path.sock` or `unix://@abstract-name`, without a trailing `/`",
                        address.value
                    ),
                );
            }
            if let Some(ports) = endpoint.ports.as_ref().filter(|ports| !ports.is_empty()) {
                ctx.report(
                    &codes::SE_UNIX_ENDPOINT_WITH_PORTS,
                    ports.span,
                    endpoint_path(idx, "ports"),
                    format!(
                        "unix endpoint `{}` must not list ports; remove `ports`",
                        address.value
                    ),
                );
            }
        }
    }
    let limits = [
        ("network", &endpoint.network, MAX_LOCALITY_LEN),
        ("locality", &endpoint.locality, MAX_LOCALITY_LEN),
        ("serviceAccount", &endpoint.service_account, MAX_SERVICE_ACCOUNT_LEN),
    ];
    for (field, value, max) in limits {
        if let Some(value) = value {
            check_max_len(
                ctx,
                value,
                max,
                || endpoint_path(idx, field),
                &format!("endpoint {field}"),
            );
        }
    }
    if let Some(labels) = endpoint.labels.as_ref().filter(|labels| labels.len() > MAX_LABELS) {
        ctx.report(
            &values::TOO_MANY_ITEMS,
            labels.span,
            endpoint_path(idx, "labels"),
            format!("{} endpoint labels exceed the CRD limit of {MAX_LABELS}", labels.len()),
        );
    }
    if let Some(ports) = &endpoint.ports {
        if ports.len() > MAX_ENDPOINT_PORTS {
            ctx.report(
                &values::TOO_MANY_ITEMS,
                ports.span,
                endpoint_path(idx, "ports"),
                format!(
                    "{} endpoint ports exceed the CRD limit of {MAX_ENDPOINT_PORTS}",
                    ports.len()
                ),
            );
        }
        // istiod checks port names and numbers only for STATIC and DNS, the CRD for every
        // resolution, so they are checked here once.
        for (name, number) in ports.iter() {
            let path = || format!("spec.endpoints[{idx}].ports.{}", name.value);
            check_port_name(ctx, name, path, MAX_ENDPOINT_PORT_NAME_LEN);
            if !is_port(number.value) {
                check_port(ctx, number, &path());
            }
        }
    }
}

/// The webhook's STATIC and DNS endpoint checks shared by both: every `ports` key names a port
/// of the ServiceEntry, and the labels are valid.
fn check_endpoint_names_and_labels(
    ctx: &mut Ctx<'_>,
    endpoint: &Spanned<WorkloadEntry>,
    idx: usize,
    port_names: &PortNames<'_>,
) {
    if let Some(ports) = &endpoint.ports {
        for (name, _) in ports.iter().filter(|(name, _)| !port_names.contains(&name.value)) {
            ctx.report(
                &codes::SE_ENDPOINT_PORT_UNDEFINED,
                name.span,
                format!("spec.endpoints[{idx}].ports.{}", name.value),
                format!(
                    "endpoint port `{}` is not a port of this ServiceEntry; use one of the names in `spec.ports` ({})",
                    name.value,
                    port_names.listing()
                ),
            );
        }
    }
    if endpoint.labels.is_some() {
        check_labels(ctx, &endpoint.labels, &endpoint_path(idx, "labels"));
    }
}

/// Resolution NONE: traffic goes to the original destination, so endpoints make no sense and
/// a selector has no effect.
fn check_none(ctx: &mut Ctx<'_>, spec: &ServiceEntry) {
    if let Some(list) = non_empty(&spec.endpoints) {
        ctx.report(
            &codes::SE_NONE_WITH_ENDPOINTS,
            list.span,
            "spec.endpoints",
            "resolution NONE sends traffic to the original destination IP, so endpoints are not allowed; remove them, or use resolution STATIC or DNS",
        );
    }
    if let Some(selector) = &spec.workload_selector {
        ctx.report(
            &codes::SE_NONE_WITH_WORKLOAD_SELECTOR,
            selector.span,
            "spec.workloadSelector",
            "a workload selector has no effect with resolution NONE; use resolution STATIC to route to the selected workloads, or remove it",
        );
    }
}

/// istiod's `validateWorkloadEntry` with FQDN addresses disallowed (resolution STATIC).
fn check_static_endpoint(
    ctx: &mut Ctx<'_>,
    endpoint: &Spanned<WorkloadEntry>,
    idx: usize,
    port_names: &PortNames<'_>,
) {
    let address = endpoint.address.as_ref().filter(|address| !address.value.is_empty());
    let network = endpoint.network.as_ref().filter(|network| !network.value.is_empty());
    let address_span =
        || endpoint.address.as_ref().map_or(Ctx::absent(endpoint.span), |address| address.span);
    let Some(address) = address else {
        match network {
            // istiod stops checking this endpoint here. With neither field present at all, the
            // schema check has reported it already.
            None => {
                if endpoint.address.is_some() || endpoint.network.is_some() {
                    ctx.report(
                        &codes::SE_ENDPOINT_ADDRESS_REQUIRED,
                        address_span(),
                        endpoint_path(idx, "address"),
                        "endpoint address is empty; give its IP address or `unix://` socket path",
                    );
                }
            }
            Some(network) => {
                ctx.report(
                    &codes::SE_ENDPOINT_ADDRESS_UNSET_WITH_NETWORK,
                    address_span(),
                    endpoint_path(idx, "address"),
                    format!(
                        "endpoint has no address, only network `{}`, so it is reached through that network's gateway; set `address` if it is directly reachable",
                        network.value
                    ),
                );
                check_endpoint_names_and_labels(ctx, endpoint, idx, port_names);
            }
        }
        return;
    };
    let is_unix = address.value.starts_with(UNIX_PREFIX);
    // Unix addresses and over-long ones were judged by the schema check.
    if !is_unix
        && fits(&address.value, MAX_ENDPOINT_ADDRESS_LEN)
        && super::parse_ip(&address.value).is_none()
    {
        ctx.report(
            &codes::SE_STATIC_ENDPOINT_NOT_IP,
            address.span,
            endpoint_path(idx, "address"),
            format!(
                "endpoint address `{}` is not an IP address; STATIC endpoints must be IPs or unix:// paths, use resolution DNS to resolve names",
                address.value
            ),
        );
    }
    check_endpoint_names_and_labels(ctx, endpoint, idx, port_names);
    if is_unix && port_names.names.len() != 1 {
        ctx.report(
            &codes::SE_UNIX_ENDPOINT_PORT_COUNT,
            address.span,
            endpoint_path(idx, "address"),
            format!(
                "unix endpoint `{}` needs exactly one service port, but the ServiceEntry has {}; declare a single port",
                address.value,
                port_names.names.len()
            ),
        );
    }
}

/// Resolutions DNS and DNS_ROUND_ROBIN.
fn check_dns(
    ctx: &mut Ctx<'_>,
    spec: &ServiceEntry,
    resolution: Resolution,
    port_names: &PortNames<'_>,
) {
    let hosts = list(&spec.hosts);
    let endpoints = list(&spec.endpoints);
    // Without endpoints the hosts themselves are resolved, so they must be plain names; istiod
    // reports the first host that is not and stops.
    if endpoints.is_empty() {
        let first =
            hosts.iter().enumerate().find(|(_, host)| host::validate_fqdn(&host.value).is_err());
        if let Some((idx, host)) = first {
            ctx.report(
                &codes::SE_DNS_HOST_NOT_FQDN,
                host.span,
                format!("spec.hosts[{idx}]"),
                format!(
                    "host `{}` cannot be resolved: resolution {} without endpoints needs plain DNS names; list exact names, add endpoints, or use resolution NONE or DYNAMIC_DNS for wildcards",
                    host.value,
                    resolution.as_str()
                ),
            );
        }
    }
    if let Some(list) = spec.endpoints.as_ref().filter(|list| list.value.len() > 1) {
        if resolution == Resolution::DnsRoundRobin {
            ctx.report(
                &codes::SE_DNS_ROUND_ROBIN_ENDPOINTS,
                list.span,
                "spec.endpoints",
                format!(
                    "resolution DNS_ROUND_ROBIN takes at most one endpoint, found {}; keep one, or use resolution DNS",
                    list.value.len()
                ),
            );
        }
    }
    for (idx, endpoint) in endpoints.iter().enumerate() {
        match &endpoint.address {
            // Neither address nor network: reported as missing by the schema check.
            None if endpoint.network.is_none() => {}
            None => ctx.report(
                &codes::SE_DNS_ENDPOINT_INVALID_ADDRESS,
                Ctx::absent(endpoint.span),
                endpoint_path(idx, "address"),
                format!(
                    "endpoint has no address; resolution {} needs a DNS name or an IP address for each endpoint",
                    resolution.as_str()
                ),
            ),
            Some(address) => {
                let valid = super::parse_ip(&address.value).is_some() || host::validate_fqdn(&address.value).is_ok();
                // Over-long addresses were reported by the schema check.
                if !valid && fits(&address.value, MAX_ENDPOINT_ADDRESS_LEN) {
                    ctx.report(
                        &codes::SE_DNS_ENDPOINT_INVALID_ADDRESS,
                        address.span,
                        endpoint_path(idx, "address"),
                        format!(
                            "endpoint address `{}` is neither a DNS name nor an IP address; resolution {} needs one of them",
                            address.value,
                            resolution.as_str()
                        ),
                    );
                }
            }
        }
        check_endpoint_names_and_labels(ctx, endpoint, idx, port_names);
    }
    // All hosts share the given addresses, so a TCP-family port, where the address is all the
    // proxy matches on, cannot tell them apart. istiod only warns, for the first such port.
    if !list(&spec.addresses).is_empty() && hosts.len() > 1 {
        let ports = list(&spec.ports);
        let tcp =
            ports.iter().enumerate().find(|(_, port)| Protocol::parse(protocol_of(port)).is_tcp());
        if let Some((idx, port)) = tcp {
            let (span, path) = protocol_location(port, idx);
            ctx.report(
                &codes::SE_MULTIPLE_HOSTS_WITH_ADDRESSES,
                span,
                path,
                format!(
                    "{} hosts share `addresses` and port {} is {}, so connections to those addresses cannot be told apart by host; use one ServiceEntry per host",
                    hosts.len(),
                    port_number(port),
                    describe_protocol(port)
                ),
            );
        }
    }
}

/// Resolution DYNAMIC_DNS (Envoy's dynamic forward proxy).
fn check_dynamic_dns(ctx: &mut Ctx<'_>, spec: &ServiceEntry) {
    // istiod also reports an empty host list here; that is the same finding as MR1001.
    for (idx, host) in list(&spec.hosts).iter().enumerate() {
        if !host.value.starts_with('*') {
            ctx.report(
                &codes::SE_DYNAMIC_DNS_HOST_NOT_WILDCARD,
                host.span,
                format!("spec.hosts[{idx}]"),
                format!(
                    "host `{}` must be a wildcard such as `*.{}` for resolution DYNAMIC_DNS; use resolution DNS for an exact name",
                    host.value, host.value
                ),
            );
        }
    }
    if let Some(list) = non_empty(&spec.addresses) {
        ctx.report(
            &codes::SE_DYNAMIC_DNS_ADDRESSES,
            list.span,
            "spec.addresses",
            "resolution DYNAMIC_DNS does not take `addresses`: routes come from the host names; remove them",
        );
    }
    if let Some(list) = non_empty(&spec.endpoints) {
        ctx.report(
            &codes::SE_DYNAMIC_DNS_ENDPOINTS,
            list.span,
            "spec.endpoints",
            "resolution DYNAMIC_DNS does not take `endpoints`: the destination is resolved from the requested name; remove them",
        );
    }
    for (idx, port) in list(&spec.ports).iter().enumerate() {
        let protocol = Protocol::parse(protocol_of(port));
        if !matches!(protocol, Protocol::Http | Protocol::Tls | Protocol::Grpc | Protocol::Http2) {
            let (span, path) = protocol_location(port, idx);
            let hint =
                if protocol == Protocol::Https { " (use TLS for HTTPS traffic)" } else { "" };
            ctx.report(
                &codes::SE_DYNAMIC_DNS_PROTOCOL,
                span,
                path,
                format!(
                    "port {} is {}; resolution DYNAMIC_DNS supports only HTTP, HTTP2, GRPC and TLS ports{hint}",
                    port_number(port),
                    describe_protocol(port),
                ),
            );
        }
    }
    // The location can only be MESH_EXTERNAL or MESH_INTERNAL here: other values are numeric
    // enums, which meshroute reports while decoding. `usesWaypoint`: a non-empty
    // `istio.io/use-waypoint` label other than `none` (any case).
    let internal =
        spec.location.as_ref().filter(|location| location.value == Location::MeshInternal);
    let waypoint = ctx
        .resource
        .labels
        .get(USE_WAYPOINT_LABEL)
        .filter(|value| !value.value.is_empty() && !value.value.eq_ignore_ascii_case("none"));
    if let (Some(location), Some(waypoint)) = (internal, waypoint) {
        ctx.report(
            &codes::SE_DYNAMIC_DNS_INTERNAL_WAYPOINT,
            location.span,
            "spec.location",
            format!(
                "location MESH_INTERNAL with resolution DYNAMIC_DNS is not supported behind waypoint `{}`; use MESH_EXTERNAL, or label the ServiceEntry `istio.io/use-waypoint: none`",
                waypoint.value
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_wildcards_follow_istiod() {
        assert!(host::is_partial_wildcard("*stripe.com"));
        assert!(host::is_partial_wildcard("*-eu.stripe.com"));
        assert!(host::is_partial_wildcard("files*.stripe.com"));
        assert!(!host::is_partial_wildcard("*"));
        assert!(!host::is_partial_wildcard("*.stripe.com"));
        assert!(!host::is_partial_wildcard("*.foo*.com"));
        assert_eq!(suggest_domain("*stripe.com"), "stripe.com");
        assert_eq!(suggest_domain("files*.stripe.com"), "stripe.com");
    }

    #[test]
    fn addresses_parse_like_go_netip() {
        use crate::validate::{is_ip_or_cidr, parse_ip};
        assert!(parse_ip("fe80::1%eth0").is_some());
        assert!(parse_ip("fe80::1%").is_none());
        assert!(parse_ip("10.0.0.1%eth0").is_none());
        assert!(parse_ip("010.0.0.1").is_none());
        assert!(parse_ip("[2001:db8::1]").is_none());
        assert!(is_ip_or_cidr("10.0.0.0/8"));
        assert!(!is_ip_or_cidr("fe80::/10%eth0"));
        assert!(!is_ip_or_cidr("10.0.0.0/8/8"));
    }

    #[test]
    fn seen_switches_to_a_set() {
        let mut seen = Seen::new();
        for value in 0..40u32 {
            assert!(seen.insert(value));
        }
        assert!(!seen.insert(3));
        assert!(!seen.insert(39));
        assert!(seen.insert(40));
    }
}
