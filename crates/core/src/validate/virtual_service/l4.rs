//! TLS and TCP routes: istiod's `validateTLSRoute`, `validateTCPRoute` and
//! `validateRouteDestinations`.

use super::checks;
use super::{MESH_GATEWAY, VsInfo, items};
use crate::api::{RouteDestination, TcpRoute, TlsRoute, VirtualService};
use crate::decode::Spanned;
use crate::diagnostics::codes::values;
use crate::diagnostics::codes::virtual_service as codes;
use crate::host;
use crate::validate::{Ctx, check_labels, check_port, is_ip_or_cidr, parse_ip};

/// Whether any TLS match lists SNI hosts (`isSniHost`), which lets gateway-bound hosts use the
/// auto-passthrough `outbound_` form.
pub(super) fn has_sni_hosts(spec: &VirtualService) -> bool {
    items(&spec.tls).iter().any(|route| {
        items(&route.matches).iter().any(|request| !items(&request.sni_hosts).is_empty())
    })
}

pub(super) fn validate_tls_route(
    ctx: &mut Ctx<'_>,
    info: &VsInfo<'_>,
    route: &Spanned<TlsRoute>,
    path: &str,
) {
    let matches = items(&route.matches);
    if matches.is_empty() {
        let span = route.matches.as_ref().map_or(Ctx::absent(route.span), |list| list.span);
        ctx.report(
            &codes::TLS_MATCH_REQUIRED,
            span,
            format!("{path}.match"),
            "a TLS route needs a `match` with `sniHosts`; TLS routes are chosen by the SNI name",
        );
    }
    for (idx, request) in matches.iter().enumerate() {
        let match_path = format!("{path}.match[{idx}]");
        let sni_hosts = items(&request.sni_hosts);
        if sni_hosts.is_empty() {
            let span =
                request.sni_hosts.as_ref().map_or(Ctx::absent(request.span), |list| list.span);
            ctx.report(
                &codes::SNI_HOSTS_REQUIRED,
                span,
                format!("{match_path}.sniHosts"),
                "a TLS match needs at least one SNI host under `sniHosts`, such as one of the VirtualService hosts",
            );
        }
        for (host_idx, sni) in sni_hosts.iter().enumerate() {
            check_sni_host(ctx, info, sni, &format!("{match_path}.sniHosts[{host_idx}]"));
        }
        // Unlike HTTP and TCP matches, TLS matches keep the legacy gateway-name warning.
        let common = L4Match {
            subnets: items(&request.destination_subnets),
            port: request.port.as_ref(),
            source_labels: &request.source_labels,
            gateways: request.gateways.as_ref(),
        };
        check_l4_match(ctx, &common, &match_path, true);
    }
    check_route(ctx, info, route.route.as_ref(), route.span, path, "TLS");
}

pub(super) fn validate_tcp_route(
    ctx: &mut Ctx<'_>,
    info: &VsInfo<'_>,
    route: &Spanned<TcpRoute>,
    path: &str,
) {
    for (idx, request) in items(&route.matches).iter().enumerate() {
        let match_path = format!("{path}.match[{idx}]");
        let common = L4Match {
            subnets: items(&request.destination_subnets),
            port: request.port.as_ref(),
            source_labels: &request.source_labels,
            gateways: request.gateways.as_ref(),
        };
        check_l4_match(ctx, &common, &match_path, false);
    }
    check_route(ctx, info, route.route.as_ref(), route.span, path, "TCP");
}

/// `validateSniHost`. Quirk kept for parity: a VirtualService without gateways counts as
/// gateway-bound here (no `mesh` in an empty list), unlike in the hosts check, so the
/// `outbound_` SNI form is accepted.
fn check_sni_host(ctx: &mut Ctx<'_>, info: &VsInfo<'_>, sni: &Spanned<String>, path: &str) {
    let gateway_bound = !info.gateways.iter().any(|name| name.value == MESH_GATEWAY);
    let result = if gateway_bound {
        checks::validate_gateway_bound_domain(true, &sni.value)
    } else {
        host::validate_wildcard_domain(&sni.value).map_err(|why| why.to_string())
    };
    if let Err(why) = result {
        if parse_ip(&sni.value).is_some() {
            ctx.report(
                &codes::IP_SNI_HOST,
                sni.span,
                path,
                format!("`{}` is an IP address; SNI carries host names and most clients never send an IP — match on `destinationSubnets` instead", sni.value),
            );
        } else {
            ctx.report(
                &values::INVALID_HOST,
                sni.span,
                path,
                format!("SNI host `{}` is invalid: {why}", sni.value),
            );
        }
        return;
    }
    if !info.hosts.iter().any(|name| host::subset_of(&sni.value, &name.value)) {
        let hosts: Vec<&str> = info.hosts.iter().map(|name| name.value.as_str()).collect();
        ctx.report(
            &codes::SNI_HOST_OUTSIDE_HOSTS,
            sni.span,
            path,
            format!(
                "SNI host `{}` is not covered by any host of the VirtualService ({}); use one of the hosts, or add it to `spec.hosts`",
                sni.value,
                if hosts.is_empty() { "it has none".to_string() } else { hosts.join(", ") }
            ),
        );
    }
}

/// The fields TLS and TCP matches share.
struct L4Match<'m> {
    subnets: &'m [Spanned<String>],
    port: Option<&'m Spanned<u32>>,
    source_labels: &'m Option<Spanned<crate::decode::Map<String>>>,
    gateways: Option<&'m Spanned<Vec<Spanned<String>>>>,
}

/// The checks TLS and TCP matches share; `legacy_gateway_warning` keeps istiod's legacy
/// gateway-name warning, which it returns for TLS matches only.
fn check_l4_match(
    ctx: &mut Ctx<'_>,
    request: &L4Match<'_>,
    match_path: &str,
    legacy_gateway_warning: bool,
) {
    check_subnets(ctx, request.subnets, match_path);
    if let Some(port) = request.port.filter(|port| port.value != 0) {
        check_port(ctx, port, &format!("{match_path}.port"));
    }
    check_labels(ctx, request.source_labels, &format!("{match_path}.sourceLabels"));
    if let Some(gateways) = request.gateways {
        checks::check_gateway_names(
            ctx,
            gateways,
            &format!("{match_path}.gateways"),
            legacy_gateway_warning,
            false,
        );
    }
}

/// `ValidateIPSubnet` for each `destinationSubnets` entry.
fn check_subnets(ctx: &mut Ctx<'_>, subnets: &[Spanned<String>], match_path: &str) {
    for (idx, subnet) in subnets.iter().enumerate() {
        if !is_ip_or_cidr(&subnet.value) {
            ctx.report(
                &values::INVALID_ADDRESS,
                subnet.span,
                format!("{match_path}.destinationSubnets[{idx}]"),
                format!(
                    "`{}` is not an IP address or CIDR block such as `10.20.0.0/16`",
                    subnet.value
                ),
            );
        }
    }
}

/// The `route` of a TLS or TCP route: required, and its destinations checked like HTTP ones.
fn check_route(
    ctx: &mut Ctx<'_>,
    info: &VsInfo<'_>,
    route: Option<&Spanned<Vec<Spanned<RouteDestination>>>>,
    parent: crate::text::Span,
    path: &str,
    kind: &str,
) {
    check_route_required(ctx, route, parent, path, kind);
    if let Some(destinations) = route {
        checks::check_weighted_destinations(
            ctx,
            info.gateway_semantics,
            destinations,
            &format!("{path}.route"),
            "connection",
            |_, _: &RouteDestination, _| {},
        );
    }
}

fn check_route_required(
    ctx: &mut Ctx<'_>,
    route: Option<&Spanned<Vec<Spanned<RouteDestination>>>>,
    parent: crate::text::Span,
    path: &str,
    kind: &str,
) {
    if route.is_none_or(|list| list.value.is_empty()) {
        let span = route.map_or(Ctx::absent(parent), |list| list.span);
        ctx.report(
            &codes::ROUTE_REQUIRED,
            span,
            format!("{path}.route"),
            format!("the {kind} route has no `route`; add at least one destination"),
        );
    }
}
