//! DestinationRule validation, following istiod's `ValidateDestinationRule` rule by rule, plus the
//! DestinationRule parts of the CRD schema and a few meshroute lints.
//!
//! Three sources of findings meet here, and [`Scope`] keeps them apart:
//!
//! - istiod's webhook (`pkg/config/validation/validation.go`): errors, and a few warnings;
//! - the CRD schema the API server enforces before istiod sees the object (required fields,
//!   "at most one of" groups, ranges, the `duration >= 1ms` CEL rule): always errors;
//! - meshroute lints: deprecated fields and settings Istio accepts but ignores (warnings), and
//!   negative durations that no validator checks but Envoy refuses (errors).
//!
//! istiod's `validateTrafficPolicy` stops early in two places (an empty policy, `tunnel` together
//! with `proxyProtocol`); after that only the CRD rules and the lints still apply, which
//! `Scope::webhook == false` expresses. Warnings istiod creates inside `subsets[].trafficPolicy`
//! and `portLevelSettings[]` are discarded by its `appendErrors` and never reach the user
//! (validation-rules.md §7), which `Scope::warnings == false` expresses.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::{
    Ctx, ExportToKind, check_at_most_one, check_duration, check_export_to, check_labels,
    check_non_negative_duration, check_percent_int, check_port, check_selector,
    check_wildcard_domain, is_istio_dns_label, parse_ip,
};
use crate::api::{
    ClientTlsSettings, ConnectionPoolSettings, ConsistentHashLb, DestinationRule, H2UpgradePolicy,
    HttpCookie, LoadBalancerSettings, LocalityFailover, LocalityLbSetting, OutlierDetection,
    PortTrafficPolicy, RetryBudget, SimpleLb, Subset, TlsMode, TrafficPolicy, TunnelSettings,
    WarmupConfiguration, WorkloadSelector, ZoneAwareLbSetting,
};
use crate::decode::{Duration, Spanned};
use crate::diagnostics::Severity;
use crate::diagnostics::codes::destination_rule as codes;
use crate::diagnostics::codes::values;
use crate::host;
use crate::text::Span;

/// The CRD's `maxItems` for `portLevelSettings`.
const MAX_PORT_LEVEL_SETTINGS: usize = 4096;
/// The CRD's `maxProperties` for `workloadSelector.matchLabels`.
const MAX_SELECTOR_LABELS: usize = 4096;
/// Envoy's (and istiod's) exclusive upper bound for a Maglev table.
const MAGLEV_TABLE_LIMIT: u64 = 5_000_011;
/// The node labels istiod does not allow in `failoverPriority` next to locality `failover`, nor
/// ever in a zone-aware `failoverPriority`.
const TOPOLOGY_LABELS: [&str; 3] =
    ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

/// Which rules apply to the block being checked.
#[derive(Clone, Copy)]
struct Scope {
    /// istiod's webhook rules run; false after one of its early returns (CRD rules still run).
    webhook: bool,
    /// istiod's warnings reach the user; false inside subsets and port-level settings.
    warnings: bool,
}

impl Scope {
    const TOP: Scope = Scope { webhook: true, warnings: true };
}

/// A field path built on the stack and rendered only when a finding is reported.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

impl<'a> Path<'a> {
    const fn root(name: &'a str) -> Path<'a> {
        Path { parent: None, seg: Seg::Field(name) }
    }

    fn field(&'a self, name: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Field(name) }
    }

    fn index(&'a self, idx: usize) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Index(idx) }
    }

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Key(key) }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.seg {
            Seg::Field(name) | Seg::Key(name) if self.parent.is_some() => write!(f, ".{name}"),
            Seg::Field(name) | Seg::Key(name) => f.write_str(name),
            Seg::Index(idx) => write!(f, "[{idx}]"),
        }
    }
}

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &DestinationRule) {
    let root = Path::root("spec");
    // `ValidateWildcardDomain(rule.Host)`: an empty host is its "empty domain name" error, and the
    // CRD requires the field.
    match &spec.host {
        Some(host) if !host.value.is_empty() => {
            check_wildcard_domain(ctx, host, "spec.host");
        }
        _ => {
            let span = spec.host.as_ref().map_or(Ctx::absent(ctx.resource.spec_span), |h| h.span);
            ctx.report(
                &codes::DR_HOST_REQUIRED,
                span,
                "spec.host",
                "a DestinationRule needs `spec.host`, the service host it applies to",
            );
        }
    }
    if let Some(policy) = &spec.traffic_policy {
        traffic_policy(ctx, policy, root.field("trafficPolicy"), Scope::TOP);
    }
    if let Some(subsets) = &spec.subsets {
        validate_subsets(ctx, &subsets.value, root.field("subsets"));
    }
    let kind = ExportToKind::DestinationRule { has_selector: spec.workload_selector.is_some() };
    check_export_to(ctx, &spec.export_to, kind, "spec.exportTo");
    if let Some(selector) = &spec.workload_selector {
        workload_selector(ctx, selector);
    }
}

/// The subset loop of `ValidateDestinationRule` and `validateSubset`.
fn validate_subsets(ctx: &mut Ctx<'_>, subsets: &[Spanned<Subset>], path: Path<'_>) {
    let mut seen: HashSet<&str> = HashSet::new();
    for (idx, subset) in subsets.iter().enumerate() {
        let item = path.index(idx);
        match &subset.name {
            // The CRD requires `name`; istiod's `validateSubsetName` rejects an empty one. An
            // empty name is reported once, not again as a duplicate of another empty name.
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(subset.span),
                item.field("name").to_string(),
                "a subset needs a `name`, such as `v1`, which routes use to pick it",
            ),
            Some(name) if name.value.is_empty() => ctx.report(
                &values::MISSING_FIELD,
                name.span,
                item.field("name").to_string(),
                "the subset name is empty; give it a DNS-label name such as `v1`",
            ),
            Some(name) => {
                if !seen.insert(&name.value) {
                    ctx.report(
                        &codes::DR_DUPLICATE_SUBSET,
                        name.span,
                        item.field("name").to_string(),
                        format!(
                            "subset name `{}` is used twice in this DestinationRule; rename one of them",
                            name.value
                        ),
                    );
                }
                if !is_istio_dns_label(&name.value) {
                    ctx.report(
                        &values::INVALID_NAME_VALUE,
                        name.span,
                        item.field("name").to_string(),
                        format!(
                            "subset name `{}` is not a DNS label: use letters, digits and `-`, at most 63 characters",
                            name.value
                        ),
                    );
                }
            }
        }
        if subset.labels.is_some() {
            check_labels(ctx, &subset.labels, &item.field("labels").to_string());
        }
        // `validateSubset` merges the policy with `appendErrors`, which keeps errors only.
        if let Some(policy) = &subset.traffic_policy {
            let scope = Scope { webhook: true, warnings: false };
            traffic_policy(ctx, policy, item.field("trafficPolicy"), scope);
        }
    }
}

/// istiod's `validateWorkloadSelector` plus the CRD's limits on `matchLabels`.
fn workload_selector(ctx: &mut Ctx<'_>, selector: &Spanned<WorkloadSelector>) {
    const PATH: &str = "spec.workloadSelector.matchLabels";
    check_selector(ctx, selector.match_labels.as_ref(), selector.span, PATH);
    let Some(labels) = &selector.match_labels else { return };
    if labels.len() > MAX_SELECTOR_LABELS {
        ctx.report(
            &values::TOO_MANY_ITEMS,
            labels.span,
            PATH,
            format!(
                "the selector has {} labels; the schema allows at most {MAX_SELECTOR_LABELS}",
                labels.len()
            ),
        );
    }
    for (key, value) in labels.iter() {
        if value.value.len() > 63 {
            ctx.report(
                &values::INVALID_SELECTOR,
                value.span,
                format!("{PATH}.{}", key.value),
                format!(
                    "selector value for `{}` is {} characters long; label values have at most 63",
                    key.value,
                    value.value.len()
                ),
            );
        }
    }
}

/// istiod's `validateTrafficPolicy`, for `spec.trafficPolicy` and `subsets[].trafficPolicy`.
fn traffic_policy(
    ctx: &mut Ctx<'_>,
    policy: &Spanned<TrafficPolicy>,
    path: Path<'_>,
    mut scope: Scope,
) {
    if let Some(list) = &policy.port_level_settings {
        if list.value.len() > MAX_PORT_LEVEL_SETTINGS {
            ctx.report(
                &values::TOO_MANY_ITEMS,
                list.span,
                path.field("portLevelSettings").to_string(),
                format!(
                    "{} port-level settings; the schema allows at most {MAX_PORT_LEVEL_SETTINGS}",
                    list.value.len()
                ),
            );
        }
    }
    let port_level = policy.port_level_settings.as_ref().filter(|list| !list.value.is_empty());
    let any = policy.outlier_detection.is_some()
        || policy.connection_pool.is_some()
        || policy.load_balancer.is_some()
        || policy.tls.is_some()
        || port_level.is_some()
        || policy.tunnel.is_some()
        || policy.proxy_protocol.is_some()
        || policy.retry_budget.is_some();
    if !any {
        // EARLY-RETURN in istiod; with nothing set there is nothing else to check anyway.
        if scope.webhook {
            ctx.report(
                &codes::DR_EMPTY_POLICY,
                policy.span,
                path.to_string(),
                "the traffic policy sets nothing; add load balancing, connection pool, outlier detection, TLS or port-level settings, or remove it",
            );
        }
        return;
    }
    if let (Some(_), Some(proxy)) = (&policy.tunnel, &policy.proxy_protocol) {
        if scope.webhook {
            ctx.report(
                &codes::DR_TUNNEL_WITH_PROXY_PROTOCOL,
                proxy.span,
                path.field("proxyProtocol").to_string(),
                "`tunnel` and `proxyProtocol` cannot be set in the same traffic policy; keep one (istiod checks nothing else in this policy until then)",
            );
            // EARLY-RETURN: istiod validates nothing else in this policy; the CRD still does.
            scope.webhook = false;
        }
    }
    if let Some(outlier) = &policy.outlier_detection {
        outlier_detection(ctx, outlier, path.field("outlierDetection"), scope);
    }
    if let Some(pool) = &policy.connection_pool {
        connection_pool(ctx, pool, path.field("connectionPool"), scope);
    }
    if let Some(lb) = &policy.load_balancer {
        let has_outlier = policy.outlier_detection.is_some();
        load_balancer(ctx, lb, has_outlier, path.field("loadBalancer"), scope);
    }
    if let Some(tls) = &policy.tls {
        tls_settings(ctx, tls, path.field("tls"), scope);
    }
    if let Some(list) = port_level {
        port_level_settings(ctx, &list.value, path.field("portLevelSettings"), scope);
    }
    if let Some(tunnel) = &policy.tunnel {
        tunnel_settings(ctx, tunnel, path.field("tunnel"), scope);
    }
    if let Some(budget) = &policy.retry_budget {
        retry_budget(ctx, budget, path.field("retryBudget"));
    }
    // `proxyProtocol.version`: istiod only rejects numeric values other than V1/V2, which the
    // decoder already refuses as unknown enum values.
}

/// istiod's `validatePortTrafficPolicies`; its warnings are dropped by `appendErrors`.
fn port_level_settings(
    ctx: &mut Ctx<'_>,
    list: &[Spanned<PortTrafficPolicy>],
    path: Path<'_>,
    scope: Scope,
) {
    let scope = Scope { warnings: false, ..scope };
    let mut first_for_port: HashMap<u32, usize> = HashMap::new();
    for (idx, entry) in list.iter().enumerate() {
        let item = path.index(idx);
        match &entry.port {
            None => {
                if scope.webhook {
                    ctx.report(
                        &values::MISSING_FIELD,
                        Ctx::absent(entry.span),
                        item.field("port").to_string(),
                        "port-level settings need `port.number`, the service port they apply to",
                    );
                }
            }
            Some(port) => port_selector(ctx, port, idx, &mut first_for_port, item.field("port")),
        }
        let any = entry.outlier_detection.is_some()
            || entry.connection_pool.is_some()
            || entry.load_balancer.is_some()
            || entry.tls.is_some();
        if !any {
            if scope.webhook {
                ctx.report(
                    &codes::DR_EMPTY_POLICY,
                    entry.span,
                    item.to_string(),
                    "these port-level settings set nothing besides the port; add load balancing, connection pool, outlier detection or TLS, or remove the entry",
                );
            }
            continue;
        }
        if let Some(outlier) = &entry.outlier_detection {
            outlier_detection(ctx, outlier, item.field("outlierDetection"), scope);
        }
        if let Some(pool) = &entry.connection_pool {
            connection_pool(ctx, pool, item.field("connectionPool"), scope);
        }
        if let Some(lb) = &entry.load_balancer {
            let has_outlier = entry.outlier_detection.is_some();
            load_balancer(ctx, lb, has_outlier, item.field("loadBalancer"), scope);
        }
        if let Some(tls) = &entry.tls {
            tls_settings(ctx, tls, item.field("tls"), scope);
        }
    }
}

/// meshroute lints on a port-level selector. istiod checks neither the number's range nor
/// duplicates, but `GetPortLevelTrafficPolicy` matches the service port exactly and takes the
/// first entry, so an out-of-range number or a repeated one is silently dead configuration.
fn port_selector(
    ctx: &mut Ctx<'_>,
    port: &Spanned<crate::api::PortSelector>,
    idx: usize,
    first_for_port: &mut HashMap<u32, usize>,
    path: Path<'_>,
) {
    let Some(number) = &port.number else {
        ctx.report_as(
            &values::INVALID_PORT,
            Severity::Warning,
            port.span,
            path.field("number").to_string(),
            "the port selector has no `number`, so these settings apply to no port; set `port.number`",
        );
        return;
    };
    if !(1..=65535).contains(&number.value) {
        ctx.report_as(
            &values::INVALID_PORT,
            Severity::Warning,
            number.span,
            path.field("number").to_string(),
            format!(
                "port {} is not a port number (1..65535), so these settings never apply; istiod accepts it silently",
                number.value
            ),
        );
        return;
    }
    if let Some(first) = first_for_port.get(&number.value) {
        ctx.report(
            &codes::DR_DUPLICATE_PORT_POLICY,
            number.span,
            path.field("number").to_string(),
            format!(
                "port {} already has settings in entry [{first}]; istiod uses that entry and ignores this one, so merge them",
                number.value
            ),
        );
    } else {
        first_for_port.insert(number.value, idx);
    }
}

/// istiod's `validateOutlierDetection` plus the CRD range of the HTTP error codes.
fn outlier_detection(
    ctx: &mut Ctx<'_>,
    outlier: &Spanned<OutlierDetection>,
    path: Path<'_>,
    scope: Scope,
) {
    duration(ctx, &outlier.base_ejection_time, path.field("baseEjectionTime"), scope);
    if scope.webhook {
        // istiod warns about `consecutiveErrors` (and ignores the field when building Envoy's
        // outlier detection); the warning is dropped inside subsets and port-level settings.
        if let Some(errors) = outlier.consecutive_errors.as_ref().filter(|e| e.value != 0) {
            if scope.warnings {
                ctx.report(
                    &values::DEPRECATED_FIELD,
                    errors.span,
                    path.field("consecutiveErrors").to_string(),
                    "`consecutiveErrors` is deprecated and istiod ignores it entirely, so it ejects nothing; use `consecutive5xxErrors` (5xx responses) or `consecutiveGatewayErrors` (502, 503, 504)",
                );
            }
        }
        let split = outlier.split_external_local_origin_errors.as_ref().is_some_and(|s| s.value);
        if let Some(failures) = &outlier.consecutive_local_origin_failures {
            if failures.value > 0 && !split {
                ctx.report(
                    &codes::DR_LOCAL_ORIGIN_WITHOUT_SPLIT,
                    failures.span,
                    path.field("consecutiveLocalOriginFailures").to_string(),
                    "`consecutiveLocalOriginFailures` only counts when `splitExternalLocalOriginErrors: true`; set that, or remove this field",
                );
            }
        }
    }
    duration(ctx, &outlier.interval, path.field("interval"), scope);
    if scope.webhook {
        if outlier.max_ejection_percent.is_some() {
            let field = path.field("maxEjectionPercent").to_string();
            check_percent_int(ctx, &outlier.max_ejection_percent, &field);
        }
        if outlier.min_health_percent.is_some() {
            let field = path.field("minHealthPercent").to_string();
            check_percent_int(ctx, &outlier.min_health_percent, &field);
        }
    }
    if let Some(status_codes) = &outlier.outlier_detection_http_error_codes {
        let list = path.field("outlierDetectionHttpErrorCodes");
        for (idx, code) in status_codes.value.iter().enumerate() {
            if !(100..=599).contains(&code.value) {
                ctx.report(
                    &values::VALUE_OUT_OF_RANGE,
                    code.span,
                    list.index(idx).to_string(),
                    format!(
                        "{} is not an HTTP status code; use a code from 100 to 599",
                        code.value
                    ),
                );
            }
        }
    }
}

/// istiod's `validateConnectionPool`.
fn connection_pool(
    ctx: &mut Ctx<'_>,
    pool: &Spanned<ConnectionPoolSettings>,
    path: Path<'_>,
    scope: Scope,
) {
    if pool.http.is_none() && pool.tcp.is_none() {
        // EARLY-RETURN in istiod; nothing else is set.
        if scope.webhook {
            ctx.report(
                &codes::DR_EMPTY_POLICY,
                pool.span,
                path.to_string(),
                "the connection pool sets neither `tcp` nor `http`; add limits under one of them, or remove it",
            );
        }
        return;
    }
    if let Some(http) = &pool.http {
        let p = path.field("http");
        if scope.webhook {
            for (name, value) in [
                ("http1MaxPendingRequests", &http.http1_max_pending_requests),
                ("http2MaxRequests", &http.http2_max_requests),
                ("maxRequestsPerConnection", &http.max_requests_per_connection),
                ("maxRetries", &http.max_retries),
                ("maxConcurrentStreams", &http.max_concurrent_streams),
            ] {
                non_negative(ctx, value, p.field(name));
            }
        }
        duration(ctx, &http.idle_timeout, p.field("idleTimeout"), scope);
        let upgrade = http
            .h2_upgrade_policy
            .as_ref()
            .is_some_and(|policy| policy.value == H2UpgradePolicy::Upgrade);
        if let Some(client) = http.use_client_protocol.as_ref().filter(|flag| flag.value) {
            if scope.webhook && upgrade {
                ctx.report(
                    &codes::DR_H2_UPGRADE_WITH_CLIENT_PROTOCOL,
                    client.span,
                    p.field("useClientProtocol").to_string(),
                    "`useClientProtocol: true` contradicts `h2UpgradePolicy: UPGRADE`; keep the client's protocol or force HTTP/2, not both",
                );
            }
        }
        if let Some(keepalive) = &http.http2_keep_alive {
            let kp = p.field("http2KeepAlive");
            for (name, value) in
                [("interval", &keepalive.interval), ("timeout", &keepalive.timeout)]
            {
                match value {
                    Some(_) => duration(ctx, value, kp.field(name), scope),
                    // Required by istiod only; the CRD does not list it.
                    None if scope.webhook => ctx.report(
                        &values::MISSING_FIELD,
                        Ctx::absent(keepalive.span),
                        kp.field(name).to_string(),
                        format!("`http2KeepAlive` needs `{name}`, such as `{name}: 30s`"),
                    ),
                    None => {}
                }
            }
        }
    }
    if let Some(tcp) = &pool.tcp {
        let p = path.field("tcp");
        if scope.webhook {
            non_negative(ctx, &tcp.max_connections, p.field("maxConnections"));
        }
        duration(ctx, &tcp.connect_timeout, p.field("connectTimeout"), scope);
        duration(ctx, &tcp.max_connection_duration, p.field("maxConnectionDuration"), scope);
        if let Some(idle) = &tcp.idle_timeout {
            // istiod skips the check when the timeout truncates to 0ms (`0s` disables it, and
            // sub-millisecond values slip through); the CRD has no rule for this field. A negative
            // value that slips through is still refused by Envoy, so it is reported as well.
            let field = p.field("idleTimeout").to_string();
            if scope.webhook && idle.value.nanos / 1_000_000 != 0 {
                check_duration(ctx, &tcp.idle_timeout, &field);
            } else {
                check_non_negative_duration(ctx, &tcp.idle_timeout, &field);
            }
        }
        if let Some(keepalive) = &tcp.tcp_keepalive {
            let kp = p.field("tcpKeepalive");
            duration(ctx, &keepalive.time, kp.field("time"), scope);
            duration(ctx, &keepalive.interval, kp.field("interval"), scope);
        }
    }
}

/// istiod's `validateLoadBalancer` plus the CRD's oneof groups, ranges and required fields.
fn load_balancer(
    ctx: &mut Ctx<'_>,
    lb: &Spanned<LoadBalancerSettings>,
    has_outlier: bool,
    path: Path<'_>,
    scope: Scope,
) {
    at_most_one(
        ctx,
        &[
            ("simple", lb.simple.as_ref().map(|s| s.span)),
            ("consistentHash", lb.consistent_hash.as_ref().map(|c| c.span)),
        ],
        path,
    );
    // meshroute lint (istiod says nothing): LEAST_CONN is deprecated and mapped to LEAST_REQUEST
    // by `applyLoadBalancer`. As istiod has no warning here that could be dropped, it is reported
    // in subsets and port-level settings too; skipped when the CRD already rejects `simple`.
    if let Some(simple) = lb.simple.as_ref().filter(|s| s.value == SimpleLb::LeastConn) {
        if lb.consistent_hash.is_none() {
            ctx.report(
                &values::DEPRECATED_FIELD,
                simple.span,
                path.field("simple").to_string(),
                "`LEAST_CONN` is deprecated and istiod applies `LEAST_REQUEST` instead; write `simple: LEAST_REQUEST`",
            );
        }
    }
    if let Some(hash) = &lb.consistent_hash {
        consistent_hash(ctx, hash, path.field("consistentHash"), scope);
    }
    if scope.webhook {
        if let (Some(_), Some(zone_aware)) = (&lb.locality_lb_setting, &lb.zone_aware_lb_setting) {
            ctx.report(
                &values::CONFLICTING_FIELDS,
                zone_aware.span,
                path.field("zoneAwareLbSetting").to_string(),
                "only one of `localityLbSetting` and `zoneAwareLbSetting` may be set; keep the one you mean",
            );
        }
        if let Some(locality) = &lb.locality_lb_setting {
            locality_lb_setting(ctx, locality, has_outlier, path.field("localityLbSetting"), scope);
        }
    }
    if let Some(zone_aware) = &lb.zone_aware_lb_setting {
        zone_aware_lb_setting(
            ctx,
            zone_aware,
            has_outlier,
            path.field("zoneAwareLbSetting"),
            scope,
        );
    }
    if let Some(warmup) = &lb.warmup {
        warmup_configuration(ctx, warmup, path.field("warmup"), scope);
    }
    if let Some(secs) = &lb.warmup_duration_secs {
        // istiod does not validate this field; the CRD requires at least 1ms.
        let field = path.field("warmupDurationSecs");
        if secs.value < Duration::MILLISECOND {
            ctx.report(
                &values::DURATION_TOO_SHORT,
                secs.span,
                field.to_string(),
                format!("duration `{}` must be at least 1ms", secs.value),
            );
        } else {
            // meshroute lint, reported at every level like LEAST_CONN: `applySlowStartConfig`
            // still uses the field, but only when `warmup` is absent.
            let message = if lb.warmup.is_some() {
                "`warmupDurationSecs` is deprecated and ignored here because `warmup` is set; remove it"
            } else {
                "`warmupDurationSecs` is deprecated; istiod still uses it as the slow-start window, but move it to `warmup.duration`"
            };
            ctx.report(&values::DEPRECATED_FIELD, secs.span, field.to_string(), message);
        }
    }
}

/// The `consistentHash` part of `validateLoadBalancer`, and the CRD's two oneof groups.
fn consistent_hash(
    ctx: &mut Ctx<'_>,
    hash: &Spanned<ConsistentHashLb>,
    path: Path<'_>,
    scope: Scope,
) {
    let keys = [
        ("httpHeaderName", hash.http_header_name.as_ref().map(|f| f.span)),
        ("httpCookie", hash.http_cookie.as_ref().map(|f| f.span)),
        ("useSourceIp", hash.use_source_ip.as_ref().map(|f| f.span)),
        ("httpQueryParameterName", hash.http_query_parameter_name.as_ref().map(|f| f.span)),
    ];
    at_most_one(ctx, &keys, path);
    if keys.iter().all(|(_, span)| span.is_none()) {
        // meshroute lint: istiod and the CRD accept a hash without a key, but then no route hash
        // policy is built and Envoy's ring or Maglev balancer hashes a random number.
        ctx.report(
            &codes::DR_CONSISTENT_HASH_WITHOUT_KEY,
            hash.span,
            path.to_string(),
            "`consistentHash` names no hash key, so every request hashes to a random host; set `httpHeaderName`, `httpCookie`, `useSourceIp` or `httpQueryParameterName`",
        );
    }
    at_most_one(
        ctx,
        &[
            ("ringHash", hash.ring_hash.as_ref().map(|f| f.span)),
            ("maglev", hash.maglev.as_ref().map(|f| f.span)),
        ],
        path,
    );
    if let Some(cookie) = &hash.http_cookie {
        http_cookie(ctx, cookie, path.field("httpCookie"), scope);
    }
    if !scope.webhook {
        return;
    }
    if let Some(min_ring) = hash.minimum_ring_size.as_ref().filter(|size| size.value != 0) {
        let field = path.field("minimumRingSize");
        if hash.ring_hash.is_some() || hash.maglev.is_some() {
            ctx.report(
                &values::CONFLICTING_FIELDS,
                min_ring.span,
                field.to_string(),
                "the deprecated `minimumRingSize` cannot be combined with `ringHash` or `maglev`; move it to `ringHash.minimumRingSize`",
            );
        } else if scope.warnings {
            // istiod's own deprecation warning; `ApplyRingHashLoadBalancer` still uses the value.
            ctx.report(
                &values::DEPRECATED_FIELD,
                min_ring.span,
                field.to_string(),
                "`consistentHash.minimumRingSize` is deprecated; istiod still uses it as the ring hash's minimum ring size, but move it to `ringHash.minimumRingSize`",
            );
        }
    }
    if let Some(maglev) = &hash.maglev {
        let field = path.field("maglev");
        let field = field.field("tableSize");
        match &maglev.table_size {
            // istiod reports a zero size both as unset and as not prime; one finding says it.
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(maglev.span),
                field.to_string(),
                "a Maglev table needs `tableSize`, a prime below 5000011 such as 65537; istiod rejects it without one",
            ),
            Some(size) if size.value == 0 => ctx.report(
                &values::MISSING_FIELD,
                size.span,
                field.to_string(),
                "`tableSize` is 0; use a prime below 5000011 such as 65537",
            ),
            // istiod reports "not prime" too; a value this large must change anyway, and
            // testing its primality by trial division could take seconds.
            Some(size) if size.value >= MAGLEV_TABLE_LIMIT => ctx.report(
                &values::VALUE_OUT_OF_RANGE,
                size.span,
                field.to_string(),
                format!(
                    "`tableSize` {} is too large; use a prime below 5000011 such as 65537",
                    size.value
                ),
            ),
            Some(size) if !is_prime(size.value) => ctx.report(
                &codes::DR_MAGLEV_TABLE_SIZE_NOT_PRIME,
                size.span,
                field.to_string(),
                format!(
                    "`tableSize` {} is not a prime number; use a prime such as 65537 or 131071",
                    size.value
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Envoy's primality test, which istiod's `isPrime` copies: 1, 2 and 3 count as prime.
fn is_prime(x: u64) -> bool {
    if x != 0 && x < 4 {
        return true;
    }
    if x & 1 == 0 {
        return false;
    }
    let mut factor = 3u64;
    while factor * factor <= x {
        if x % factor == 0 {
            return false;
        }
        factor += 2;
    }
    true
}

/// The `httpCookie` rules: the CRD requires `name` (istiod rejects an empty one), attribute names
/// must be present and unique.
fn http_cookie(ctx: &mut Ctx<'_>, cookie: &Spanned<HttpCookie>, path: Path<'_>, scope: Scope) {
    match &cookie.name {
        None => ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(cookie.span),
            path.field("name").to_string(),
            "`httpCookie` needs the `name` of the cookie to hash, such as `session-id`",
        ),
        Some(name) if name.value.is_empty() && scope.webhook => ctx.report(
            &values::MISSING_FIELD,
            name.span,
            path.field("name").to_string(),
            "the cookie name is empty; name the cookie to hash, such as `session-id`",
        ),
        Some(_) => {}
    }
    // Neither istiod nor the CRD checks `ttl`; `0s` means a session cookie, but Envoy refuses a
    // negative duration.
    if cookie.ttl.is_some() {
        check_non_negative_duration(ctx, &cookie.ttl, &path.field("ttl").to_string());
    }
    let Some(attributes) = &cookie.attributes else { return };
    let list = path.field("attributes");
    let mut seen: HashSet<&str> = HashSet::new();
    for (idx, attribute) in attributes.value.iter().enumerate() {
        let item = list.index(idx);
        match &attribute.name {
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(attribute.span),
                item.field("name").to_string(),
                "a cookie attribute needs a `name`, such as `SameSite`",
            ),
            Some(name) if name.value.is_empty() => {
                if scope.webhook {
                    ctx.report(
                        &values::MISSING_FIELD,
                        name.span,
                        item.field("name").to_string(),
                        "the cookie attribute name is empty; use a name such as `SameSite`",
                    );
                }
            }
            Some(name) => {
                if !seen.insert(&name.value) && scope.webhook {
                    ctx.report(
                        &codes::DR_DUPLICATE_COOKIE_ATTRIBUTE,
                        name.span,
                        item.field("name").to_string(),
                        format!("cookie attribute `{}` is listed twice; keep one", name.value),
                    );
                }
            }
        }
    }
}

/// `agent.ValidateLocalityLbSetting`, with its early returns.
fn locality_lb_setting(
    ctx: &mut Ctx<'_>,
    locality: &Spanned<LocalityLbSetting>,
    has_outlier: bool,
    path: Path<'_>,
    scope: Scope,
) {
    let distribute = locality.distribute.as_ref().map_or(&[][..], |list| &list.value[..]);
    let failover = locality.failover.as_ref().map_or(&[][..], |list| &list.value[..]);
    let priority = locality.failover_priority.as_ref().map_or(&[][..], |list| &list.value[..]);
    if let (false, false, Some(list)) =
        (distribute.is_empty(), failover.is_empty(), &locality.failover)
    {
        ctx.report(
            &values::CONFLICTING_FIELDS,
            list.span,
            path.field("failover").to_string(),
            "`distribute` and `failover` cannot both be set; choose weighted distribution or failover",
        );
        return;
    }
    if !failover.is_empty() {
        let list = path.field("failoverPriority");
        if let Some((idx, label)) = priority
            .iter()
            .enumerate()
            .find(|(_, label)| TOPOLOGY_LABELS.contains(&label.value.as_str()))
        {
            ctx.report(
                &codes::DR_FAILOVER_PRIORITY_TOPOLOGY_LABEL,
                label.span,
                list.index(idx).to_string(),
                format!(
                    "`{}` cannot be in `failoverPriority` together with `failover`, which already orders by region; remove it",
                    label.value
                ),
            );
            return;
        }
    }
    let distribute_path = path.field("distribute");
    for (idx, entry) in distribute.iter().enumerate() {
        let item = distribute_path.index(idx);
        let to_path = item.field("to");
        let weights = entry.to.as_ref().map_or(&[][..], |to| &to.entries[..]);
        let mut total: u64 = 0;
        for (key, weight) in weights {
            if weight.value == 0 || weight.value > 100 {
                ctx.report(
                    &values::VALUE_OUT_OF_RANGE,
                    weight.span,
                    to_path.key(&key.value).to_string(),
                    format!(
                        "locality weight {} for `{}` must be from 1 to 100",
                        weight.value, key.value
                    ),
                );
                return;
            }
            total += u64::from(weight.value);
        }
        if total != 100 {
            let span = entry.to.as_ref().map_or(Ctx::absent(entry.span), |to| to.span);
            ctx.report(
                &codes::DR_LOCALITY_WEIGHTS_NOT_100,
                span,
                to_path.to_string(),
                format!(
                    "the weights under `to` add up to {total}, not 100; adjust them to total 100"
                ),
            );
            return;
        }
        if let Some((pos, error)) =
            first_locality_error(weights.iter().map(|(key, _)| key.value.as_str()))
        {
            let (key, _) = &weights[pos];
            report_locality(ctx, error, &key.value, key.span, to_path.key(&key.value));
        }
    }
    let froms =
        distribute.iter().map(|entry| entry.from.as_ref().map_or("", |from| from.value.as_str()));
    if let Some((pos, error)) = first_locality_error(froms) {
        let entry = &distribute[pos];
        let item = distribute_path.index(pos);
        let span = entry.from.as_ref().map_or(Ctx::absent(entry.span), |from| from.span);
        let text = entry.from.as_ref().map_or("", |from| from.value.as_str());
        report_locality(ctx, error, text, span, item.field("from"));
    }
    if !has_outlier && scope.warnings && (!failover.is_empty() || !priority.is_empty()) {
        report_failover_without_outlier(ctx, locality, path);
    }
    check_failover(ctx, failover, path.field("failover"));
}

/// `agent.ValidateZoneAwareLbSetting` and the CRD's `minClusterSize` range.
fn zone_aware_lb_setting(
    ctx: &mut Ctx<'_>,
    zone_aware: &Spanned<ZoneAwareLbSetting>,
    has_outlier: bool,
    path: Path<'_>,
    scope: Scope,
) {
    if let Some(size) = &zone_aware.min_cluster_size {
        if size.value < 1 || size.value > u64::from(u32::MAX) {
            ctx.report(
                &values::VALUE_OUT_OF_RANGE,
                size.span,
                path.field("minClusterSize").to_string(),
                format!("`minClusterSize` {} must be from 1 to 4294967295", size.value),
            );
        }
    }
    if !scope.webhook {
        return;
    }
    let failover = zone_aware.failover.as_ref().map_or(&[][..], |list| &list.value[..]);
    let priority = zone_aware.failover_priority.as_ref().map_or(&[][..], |list| &list.value[..]);
    let list = path.field("failoverPriority");
    for (idx, label) in priority.iter().enumerate() {
        if TOPOLOGY_LABELS.contains(&label.value.as_str()) {
            ctx.report(
                &codes::DR_FAILOVER_PRIORITY_TOPOLOGY_LABEL,
                label.span,
                list.index(idx).to_string(),
                format!(
                    "`{}` cannot be in a zone-aware `failoverPriority`: region, zone and subzone are always taken into account; remove it",
                    label.value
                ),
            );
        }
    }
    if !has_outlier && scope.warnings && (!failover.is_empty() || !priority.is_empty()) {
        let anchor = zone_aware.failover.as_ref().map_or(zone_aware.span, |list| list.span);
        ctx.report(
            &codes::DR_FAILOVER_WITHOUT_OUTLIER_DETECTION,
            anchor,
            path.to_string(),
            "failover only happens when `outlierDetection` ejects endpoints, and this policy has none; add `outlierDetection` next to the `loadBalancer`",
        );
    }
    check_failover(ctx, failover, path.field("failover"));
}

fn report_failover_without_outlier(
    ctx: &mut Ctx<'_>,
    locality: &Spanned<LocalityLbSetting>,
    path: Path<'_>,
) {
    let anchor = locality
        .failover
        .as_ref()
        .filter(|list| !list.value.is_empty())
        .map(|list| list.span)
        .or(locality.failover_priority.as_ref().map(|list| list.span))
        .unwrap_or(locality.span);
    ctx.report(
        &codes::DR_FAILOVER_WITHOUT_OUTLIER_DETECTION,
        anchor,
        path.to_string(),
        "failover only happens when `outlierDetection` ejects endpoints, and this policy has none; add `outlierDetection` next to the `loadBalancer`",
    );
}

/// The per-entry failover rules shared by locality and zone-aware settings: two different plain
/// region names.
fn check_failover(ctx: &mut Ctx<'_>, failover: &[Spanned<LocalityFailover>], path: Path<'_>) {
    for (idx, entry) in failover.iter().enumerate() {
        let item = path.index(idx);
        let from = entry.from.as_ref().map_or("", |f| f.value.as_str());
        let to = entry.to.as_ref().map_or("", |t| t.value.as_str());
        let to_span = entry.to.as_ref().map_or(Ctx::absent(entry.span), |t| t.span);
        if from == to {
            ctx.report(
                &codes::DR_INVALID_FAILOVER,
                to_span,
                item.field("to").to_string(),
                format!("failover from region `{from}` to itself does nothing; name a different region in `to`"),
            );
        }
        for (name, text, span) in
            [("from", from, entry.from.as_ref().map(|f| f.span)), ("to", to, Some(to_span))]
        {
            let span = span.unwrap_or(Ctx::absent(entry.span));
            if text.contains('/') {
                ctx.report(
                    &codes::DR_INVALID_FAILOVER,
                    span,
                    item.field(name).to_string(),
                    format!("failover `{name}: {text}` names a zone; failover works between regions, so write the region alone"),
                );
            }
            if text.contains('*') {
                ctx.report(
                    &codes::DR_INVALID_FAILOVER,
                    span,
                    item.field(name).to_string(),
                    format!(
                        "failover `{name}: {text}` has a `*`; failover takes exact region names"
                    ),
                );
            }
        }
    }
}

/// What `validateLocalities` finds wrong with a list of localities.
#[derive(Clone, Copy)]
enum LocalityError {
    Wildcard,
    Empty,
    Overlap,
}

fn report_locality(
    ctx: &mut Ctx<'_>,
    error: LocalityError,
    locality: &str,
    span: Span,
    path: Path<'_>,
) {
    let (code, message) = match error {
        LocalityError::Wildcard => (
            &codes::DR_INVALID_LOCALITY,
            format!("locality `{locality}` may hold a single `*`, and only as its last character"),
        ),
        LocalityError::Empty => (
            &codes::DR_INVALID_LOCALITY,
            format!(
                "locality `{locality}` has an empty region, zone or subzone; write `region`, `region/zone` or `region/zone/subzone`"
            ),
        ),
        LocalityError::Overlap => (
            &codes::DR_OVERLAPPING_LOCALITIES,
            format!(
                "locality `{locality}` repeats or falls inside a locality listed before it; list each place once"
            ),
        ),
    };
    ctx.report(code, span, path.to_string(), message);
}

/// The zones claimed in one region, each with its claimed subzones.
type Zones<'s> = Vec<(&'s str, Vec<&'s str>)>;

/// istiod's `validateLocalities`: the first malformed or overlapping locality, by position.
///
/// A region entry claims the whole region, a zone entry its zone, a subzone entry itself; a later
/// entry inside something already claimed overlaps. `*` is an ordinary name here, except that
/// once the region `*` is listed every later entry overlaps.
fn first_locality_error<'s>(
    localities: impl Iterator<Item = &'s str>,
) -> Option<(usize, LocalityError)> {
    // region -> zones; a zone `*` marks a region-only entry, a subzone `*` a zone-only entry.
    let mut regions: Vec<(&str, Zones<'_>)> = Vec::new();
    for (pos, locality) in localities.enumerate() {
        let stars = locality.matches('*').count();
        if stars > 1 || (stars == 1 && !locality.ends_with('*')) {
            return Some((pos, LocalityError::Wildcard));
        }
        if regions.iter().any(|(region, _)| *region == "*") {
            return Some((pos, LocalityError::Overlap));
        }
        let mut parts = locality.splitn(3, '/');
        let region = parts.next().unwrap_or("");
        let zone = parts.next();
        let subzone = parts.next();
        if region.is_empty() || zone == Some("") || subzone == Some("") {
            return Some((pos, LocalityError::Empty));
        }
        let existing = regions.iter_mut().find(|(name, _)| *name == region);
        let overlap = match (existing, zone, subzone) {
            (Some(_), None, _) => true,
            (None, None, _) => {
                regions.push((region, vec![("*", vec!["*"])]));
                false
            }
            (Some((_, zones)), Some(zone), subzone) => {
                if zones.iter().any(|(name, _)| *name == "*") {
                    true
                } else if let Some((_, subzones)) = zones.iter_mut().find(|(name, _)| *name == zone)
                {
                    match subzone {
                        None => true,
                        Some(subzone) => {
                            let taken =
                                subzones.iter().any(|name| *name == "*" || *name == subzone);
                            if !taken {
                                subzones.push(subzone);
                            }
                            taken
                        }
                    }
                } else {
                    zones.push((zone, vec![subzone.unwrap_or("*")]));
                    false
                }
            }
            (None, Some(zone), subzone) => {
                regions.push((region, vec![(zone, vec![subzone.unwrap_or("*")])]));
                false
            }
        };
        if overlap {
            return Some((pos, LocalityError::Overlap));
        }
    }
    None
}

/// The `warmup` part of `validateLoadBalancer` plus the CRD's required field and ranges.
fn warmup_configuration(
    ctx: &mut Ctx<'_>,
    warmup: &Spanned<WarmupConfiguration>,
    path: Path<'_>,
    scope: Scope,
) {
    match &warmup.duration {
        None => ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(warmup.span),
            path.field("duration").to_string(),
            "`warmup` needs a `duration`, the slow-start window such as `60s`",
        ),
        Some(_) => duration(ctx, &warmup.duration, path.field("duration"), scope),
    }
    // The CRD takes 0..100; istiod only checks the upper end.
    if let Some(percent) = &warmup.minimum_percent {
        if !(0.0..=100.0).contains(&percent.value) {
            ctx.report(
                &values::PERCENT_OUT_OF_RANGE,
                percent.span,
                path.field("minimumPercent").to_string(),
                format!("`minimumPercent` {} is not a percentage from 0 to 100", percent.value),
            );
        }
    }
    // The CRD takes any value >= 0; istiod also refuses 0 ("should be greater than 0").
    if let Some(aggression) = &warmup.aggression {
        let bad = if scope.webhook { aggression.value <= 0.0 } else { aggression.value < 0.0 };
        if bad {
            ctx.report(
                &values::VALUE_OUT_OF_RANGE,
                aggression.span,
                path.field("aggression").to_string(),
                format!(
                    "`aggression` {} must be greater than 0; 1.0 ramps traffic up linearly",
                    aggression.value
                ),
            );
        }
    }
}

/// `agent.ValidateTLS` (ClientTLSSettings), then a meshroute lint for ignored fields.
fn tls_settings(ctx: &mut Ctx<'_>, tls: &Spanned<ClientTlsSettings>, path: Path<'_>, scope: Scope) {
    let mode = tls.mode.as_ref().map_or(TlsMode::Disable, |mode| mode.value);
    let set = |field: &Option<Spanned<String>>| field.as_ref().is_some_and(|v| !v.value.is_empty());
    let sans = tls.subject_alt_names.as_ref().is_some_and(|list| !list.value.is_empty());
    if scope.webhook {
        if let Some(credential) = &tls.credential_name {
            if let Some(problem) = configmap_credential_problem(&credential.value, ctx.namespace())
            {
                ctx.report(
                    &codes::DR_INVALID_CONFIGMAP_CREDENTIAL,
                    credential.span,
                    path.field("credentialName").to_string(),
                    problem,
                );
            }
        }
        if let Some(skip) = tls.insecure_skip_verify.as_ref().filter(|flag| flag.value) {
            let mut conflicting: Vec<&str> = Vec::new();
            if set(&tls.ca_certificates) {
                conflicting.push("caCertificates");
            }
            if mode == TlsMode::Simple && set(&tls.credential_name) {
                conflicting.push("credentialName");
            }
            if sans {
                conflicting.push("subjectAltNames");
            }
            if matches!(mode, TlsMode::Simple | TlsMode::Mutual) && !conflicting.is_empty() {
                ctx.report(
                    &codes::DR_INSECURE_SKIP_VERIFY_CONFLICT,
                    skip.span,
                    path.field("insecureSkipVerify").to_string(),
                    format!(
                        "`insecureSkipVerify: true` turns server verification off, so {} would never be used; remove {} or drop `insecureSkipVerify`",
                        join_names(conflicting.iter().copied()),
                        if conflicting.len() == 1 { "it" } else { "them" }
                    ),
                );
            }
        }
        let credential = tls.credential_name.as_ref().filter(|name| !name.value.is_empty());
        match (mode, credential) {
            (TlsMode::Simple | TlsMode::Mutual, Some(credential)) => {
                let files: Vec<&str> = [
                    ("clientCertificate", &tls.client_certificate),
                    ("caCertificates", &tls.ca_certificates),
                    ("privateKey", &tls.private_key),
                    ("caCrl", &tls.ca_crl),
                ]
                .into_iter()
                .filter(|(_, field)| set(field))
                .map(|(name, _)| name)
                .collect();
                if !files.is_empty() {
                    ctx.report(
                        &codes::DR_CREDENTIAL_NAME_WITH_FILES,
                        credential.span,
                        path.field("credentialName").to_string(),
                        format!(
                            "`credentialName` `{}` already supplies the certificates, so {} cannot be set too; put them in the secret or drop `credentialName`",
                            credential.value,
                            join_names(files.iter().copied())
                        ),
                    );
                }
            }
            (TlsMode::Mutual, None) => {
                for (name, field, what) in [
                    ("clientCertificate", &tls.client_certificate, "client certificate"),
                    ("privateKey", &tls.private_key, "private key"),
                ] {
                    if !set(field) {
                        let span = field.as_ref().map_or(Ctx::absent(tls.span), |f| f.span);
                        ctx.report(
                            &codes::DR_MUTUAL_TLS_WITHOUT_CERT,
                            span,
                            path.field(name).to_string(),
                            format!(
                                "MUTUAL TLS needs the {what}: set `{name}` to its file path, or name a secret with `credentialName`"
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // meshroute lint: `buildUpstreamClusterTLSContext` builds no TLS for DISABLE and uses the
    // mesh certificates for ISTIO_MUTUAL, so these fields are ignored; the API documents that
    // they "should be empty" for ISTIO_MUTUAL but istiod does not check it.
    if matches!(mode, TlsMode::Disable | TlsMode::IstioMutual) {
        let ignored: Vec<(&str, Span)> = [
            ("clientCertificate", &tls.client_certificate),
            ("privateKey", &tls.private_key),
            ("caCertificates", &tls.ca_certificates),
            ("credentialName", &tls.credential_name),
            ("caCrl", &tls.ca_crl),
        ]
        .into_iter()
        .filter_map(|(name, field)| {
            field.as_ref().filter(|v| !v.value.is_empty()).map(|v| (name, v.span))
        })
        .collect();
        if let Some(&(first, span)) = ignored.iter().min_by_key(|(_, span)| span.start) {
            let names = join_names(ignored.iter().map(|(name, _)| *name));
            let message = if mode == TlsMode::Disable {
                format!(
                    "TLS mode is DISABLE{}, so {} {} ignored and traffic leaves in plain text; set `mode: SIMPLE` or `mode: MUTUAL` to originate TLS",
                    if tls.mode.is_none() { " (the default)" } else { "" },
                    names,
                    if ignored.len() == 1 { "is" } else { "are" }
                )
            } else {
                format!(
                    "ISTIO_MUTUAL uses the mesh's own certificates, so {} {} ignored; remove {}, or use `mode: MUTUAL` for your own certificates",
                    names,
                    if ignored.len() == 1 { "is" } else { "are" },
                    if ignored.len() == 1 { "it" } else { "them" }
                )
            };
            ctx.report(&codes::DR_TLS_FIELDS_IGNORED, span, path.field(first).to_string(), message);
        }
    }
}

/// The `configmap://` part of `agent.ValidateTLS` (through `credentials.ParseResourceName`):
/// `configmap://<namespace>/<name>`, both non-empty, in the resource's own namespace.
fn configmap_credential_problem(credential: &str, namespace: &str) -> Option<String> {
    let rest = credential.strip_prefix("configmap://")?;
    let mut parts = rest.split('/');
    let ns = parts.next().unwrap_or("");
    let Some(name) = parts.next() else {
        return Some(format!(
            "`{credential}` names no namespace; write `configmap://{namespace}/<name>`"
        ));
    };
    if ns.is_empty() || name.is_empty() {
        return Some(format!(
            "`{credential}` has an empty namespace or name; write `configmap://{namespace}/<name>`"
        ));
    }
    if ns != namespace || namespace.is_empty() {
        return Some(format!(
            "`{credential}` reads a ConfigMap in namespace `{ns}`; it must be in this DestinationRule's namespace `{namespace}`"
        ));
    }
    None
}

/// istiod's `validateTunnelSettings` plus the CRD's required fields.
fn tunnel_settings(
    ctx: &mut Ctx<'_>,
    tunnel: &Spanned<TunnelSettings>,
    path: Path<'_>,
    scope: Scope,
) {
    if tunnel.target_host.is_none() {
        ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(tunnel.span),
            path.field("targetHost").to_string(),
            "`tunnel` needs `targetHost`, the proxy host to tunnel through",
        );
    }
    if tunnel.target_port.is_none() {
        ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(tunnel.span),
            path.field("targetPort").to_string(),
            "`tunnel` needs `targetPort`, the proxy port to tunnel through",
        );
    }
    if !scope.webhook {
        return;
    }
    if let Some(protocol) = &tunnel.protocol {
        if !matches!(protocol.value.as_str(), "" | "CONNECT" | "POST") {
            ctx.report(
                &codes::DR_INVALID_TUNNEL_PROTOCOL,
                protocol.span,
                path.field("protocol").to_string(),
                format!(
                    "tunnel protocol `{}` is not supported; use `CONNECT` or `POST`, in capitals",
                    protocol.value
                ),
            );
        }
    }
    if let Some(target) = &tunnel.target_host {
        if let Err(why) = host::validate_fqdn(&target.value) {
            if parse_ip(&target.value).is_none() {
                ctx.report(
                    &values::INVALID_HOST,
                    target.span,
                    path.field("targetHost").to_string(),
                    format!(
                        "tunnel target `{}` is neither a DNS name nor an IP address: {why}",
                        target.value
                    ),
                );
            }
        }
    }
    if let Some(port) = &tunnel.target_port {
        check_port(ctx, port, &path.field("targetPort").to_string());
    }
}

/// `retryBudget`: no istiod rule; the CRD bounds `percent`, and Envoy refuses a negative interval.
fn retry_budget(ctx: &mut Ctx<'_>, budget: &Spanned<RetryBudget>, path: Path<'_>) {
    if let Some(percent) = &budget.percent {
        if !(0.0..=100.0).contains(&percent.value) {
            ctx.report(
                &values::PERCENT_OUT_OF_RANGE,
                percent.span,
                path.field("percent").to_string(),
                format!(
                    "retry budget `percent` {} is not a percentage from 0 to 100",
                    percent.value
                ),
            );
        }
    }
    if budget.budget_interval.is_some() {
        let field = path.field("budgetInterval").to_string();
        check_non_negative_duration(ctx, &budget.budget_interval, &field);
    }
}

/// A duration field under both istiod's `ValidateDuration` and the CRD's `>= 1ms` rule; after an
/// istiod early return only the CRD rule (no millisecond-precision check) remains.
fn duration(ctx: &mut Ctx<'_>, value: &Option<Spanned<Duration>>, path: Path<'_>, scope: Scope) {
    let Some(duration) = value else { return };
    if scope.webhook {
        check_duration(ctx, value, &path.to_string());
    } else if duration.value < Duration::MILLISECOND {
        ctx.report(
            &values::DURATION_TOO_SHORT,
            duration.span,
            path.to_string(),
            format!("duration `{}` must be at least 1ms", duration.value),
        );
    }
}

/// istiod's "must be non-negative" rules for connection pool limits.
fn non_negative(ctx: &mut Ctx<'_>, value: &Option<Spanned<i32>>, path: Path<'_>) {
    let Some(value) = value.as_ref().filter(|v| v.value < 0) else { return };
    let name = match path.seg {
        Seg::Field(name) | Seg::Key(name) => name,
        Seg::Index(_) => "value",
    };
    ctx.report(
        &values::VALUE_OUT_OF_RANGE,
        value.span,
        path.to_string(),
        format!("`{name}` is {}; it must be 0 or more", value.value),
    );
}

/// `a`, `a` and `b`, `a`, `b` and `c`: field names for a message.
fn join_names<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The CRD's "at most one of" rule for a proto oneof, reporting the field written last.
fn at_most_one(ctx: &mut Ctx<'_>, fields: &[(&str, Option<Span>)], path: Path<'_>) {
    if fields.iter().filter(|(_, span)| span.is_some()).count() < 2 {
        return;
    }
    let mut ordered: Vec<(&str, Option<Span>)> = fields.to_vec();
    crate::sort::sort_by_key(&mut ordered, |(_, span)| span.map(|span| span.start));
    check_at_most_one(ctx, &ordered, &path.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_follow_envoy() {
        assert!(is_prime(1) && is_prime(2) && is_prime(3));
        assert!(!is_prime(0) && !is_prime(4) && !is_prime(65535));
        assert!(is_prime(65537) && is_prime(131071) && is_prime(4999999));
        assert!(!is_prime(9));
    }

    #[test]
    fn localities_like_istiod() {
        let check = |list: &[&str]| first_locality_error(list.iter().copied()).map(|(pos, _)| pos);
        assert_eq!(check(&["us-east", "us-west/zone1", "eu/zone1/sub1"]), None);
        assert_eq!(check(&["us-east", "us-east/zone1"]), Some(1));
        assert_eq!(check(&["us-east/zone1", "us-east"]), Some(1));
        assert_eq!(check(&["us-east/zone1", "us-east/zone1/sub"]), Some(1));
        assert_eq!(check(&["us-east/zone1/a", "us-east/zone1/b"]), None);
        assert_eq!(check(&["us-east/zone1/a", "us-east/zone1/a"]), Some(1));
        assert_eq!(check(&["*", "us-east"]), Some(1));
        assert_eq!(check(&["us-east", "*"]), None);
        assert_eq!(check(&["us-*/zone"]), Some(0));
        assert_eq!(check(&["us-east/*"]), None);
        assert_eq!(check(&["us-east//a"]), Some(0));
        assert_eq!(check(&[""]), Some(0));
    }
}
