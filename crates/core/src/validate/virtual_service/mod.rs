//! VirtualService validation, following istiod's `ValidateVirtualService` rule by rule.
//!
//! The top-level rules (delegates, gateway binding, hosts, exportTo) live here. HTTP routes are
//! in [`http`], with their policies and actions (CORS, fault, mirror, redirect, direct response,
//! retries, rewrite) in [`policies`]; TLS and TCP routes are in [`l4`], the checks they share in
//! [`checks`], the unreachable-rule analysis in [`unreachable`] and the RE2 check in [`crate::re2::check`].

mod checks;
mod http;
mod l4;
mod policies;
mod unreachable;

use super::{Ctx, ExportToKind, check_export_to, parse_ip};
use crate::api::VirtualService;
use crate::decode::Spanned;
use crate::diagnostics::codes::values;
use crate::diagnostics::codes::virtual_service as codes;
use crate::host;

/// The annotation with which the Gateway API controller marks the VirtualServices it generates.
const ROUTE_SEMANTICS_ANNOTATION: &str = "internal.istio.io/route-semantics";

/// The reserved gateway name that binds a VirtualService to the sidecars of the mesh.
const MESH_GATEWAY: &str = "mesh";

/// What every route of one VirtualService needs to know about the VirtualService.
pub(super) struct VsInfo<'a> {
    pub(super) spec: &'a VirtualService,
    pub(super) hosts: &'a [Spanned<String>],
    pub(super) gateways: &'a [Spanned<String>],
    /// A VirtualService without hosts is a delegate: its routes are included by a root route.
    pub(super) is_delegate: bool,
    /// Set by `internal.istio.io/route-semantics: gateway`; istiod then skips destination checks
    /// and the gateway-name label check (`ValidateVirtualService`'s `gatewaySemantics`).
    pub(super) gateway_semantics: bool,
}

/// The items of an optional list, or none.
pub(super) fn items<T>(list: &Option<Spanned<Vec<Spanned<T>>>>) -> &[Spanned<T>] {
    list.as_ref().map_or(&[], |list| &list.value[..])
}

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &VirtualService) {
    let hosts = items(&spec.hosts);
    let gateways = items(&spec.gateways);
    let info = VsInfo {
        spec,
        hosts,
        gateways,
        is_delegate: hosts.is_empty(),
        gateway_semantics: ctx
            .resource
            .annotations
            .get(ROUTE_SEMANTICS_ANNOTATION)
            .is_some_and(|value| value.value == "gateway"),
    };

    if info.is_delegate {
        check_delegate_fields(ctx, spec);
    }

    // istiod binds a VirtualService without gateways to the mesh only; with gateways, to the mesh
    // only if `mesh` is listed. Exactly one of the two flags is true.
    let applies_to_gateway =
        !gateways.is_empty() && !gateways.iter().any(|name| name.value == MESH_GATEWAY);
    let applies_to_mesh = !applies_to_gateway;
    if let Some(list) = &spec.gateways {
        checks::check_gateway_names(ctx, list, "spec.gateways", true, info.gateway_semantics);
    }
    if applies_to_mesh {
        check_jwt_claim_routes(ctx, spec);
    }

    let all_hosts_valid = check_hosts(ctx, &info, applies_to_gateway, applies_to_mesh);
    if all_hosts_valid {
        check_duplicate_hosts(ctx, hosts);
    }

    let http = items(&spec.http);
    let tls = items(&spec.tls);
    let tcp = items(&spec.tcp);
    if http.is_empty() && tls.is_empty() && tcp.is_empty() {
        ctx.report(
            &codes::NO_ROUTES,
            Ctx::absent(ctx.resource.spec_span),
            "spec",
            "the VirtualService has no routes; add `http`, `tls` or `tcp` routes",
        );
    }
    for (idx, route) in http.iter().enumerate() {
        http::validate_route(ctx, &info, route, &format!("spec.http[{idx}]"));
    }
    for (idx, route) in tls.iter().enumerate() {
        l4::validate_tls_route(ctx, &info, route, &format!("spec.tls[{idx}]"));
    }
    for (idx, route) in tcp.iter().enumerate() {
        l4::validate_tcp_route(ctx, &info, route, &format!("spec.tcp[{idx}]"));
    }

    check_export_to(ctx, &spec.export_to, ExportToKind::VirtualService, "spec.exportTo");

    unreachable::analyze_http(ctx, http);
    unreachable::analyze_tls(ctx, tls);
    unreachable::analyze_tcp(ctx, tcp);
}

/// A delegate VirtualService (no hosts) may carry neither gateways nor TLS or TCP routes: it is
/// only ever reached through a root VirtualService's HTTP route.
fn check_delegate_fields(ctx: &mut Ctx<'_>, spec: &VirtualService) {
    let fields = [
        (
            "gateways",
            spec.gateways.as_ref().filter(|list| !list.value.is_empty()).map(|list| list.span),
        ),
        ("tls", spec.tls.as_ref().filter(|list| !list.value.is_empty()).map(|list| list.span)),
        ("tcp", spec.tcp.as_ref().filter(|list| !list.value.is_empty()).map(|list| list.span)),
    ];
    for (field, span) in fields {
        let Some(span) = span else { continue };
        let what = match field {
            "gateways" => "gateways (the root VirtualService binds to gateways)",
            "tls" => "TLS routes (delegation is for HTTP routes only)",
            _ => "TCP routes (delegation is for HTTP routes only)",
        };
        ctx.report(
            &codes::VS_HOSTS_REQUIRED,
            span,
            format!("spec.{field}"),
            format!(
                "a VirtualService without hosts is a delegate and cannot have {what}; add the hosts under `spec.hosts` or remove `{field}`"
            ),
        );
    }
}

/// istiod only supports routing on JWT claims at gateways: a mesh-bound VirtualService with an
/// `@request.auth.claims...` header match is rejected.
fn check_jwt_claim_routes(ctx: &mut Ctx<'_>, spec: &VirtualService) {
    for (route_idx, route) in items(&spec.http).iter().enumerate() {
        for (match_idx, request) in items(&route.matches).iter().enumerate() {
            for (field, map) in
                [("headers", &request.headers), ("withoutHeaders", &request.without_headers)]
            {
                let Some(map) = map else { continue };
                for (key, _) in map.iter() {
                    if checks::is_jwt_claim_route(&key.value) {
                        let path = checks::key_path(
                            &format!("spec.http[{route_idx}].match[{match_idx}].{field}"),
                            &key.value,
                        );
                        ctx.report(
                            &codes::JWT_CLAIM_ROUTE_ON_MESH,
                            key.span,
                            path,
                            format!(
                                "routing on the JWT claim `{}` is only supported for VirtualServices bound to gateways, and this one applies to the mesh; list only gateways under `spec.gateways` or match on a header",
                                key.value
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// The hosts rules of `ValidateVirtualService`; returns whether every host passed them.
fn check_hosts(
    ctx: &mut Ctx<'_>,
    info: &VsInfo<'_>,
    applies_to_gateway: bool,
    applies_to_mesh: bool,
) -> bool {
    let is_sni_host = l4::has_sni_hosts(info.spec);
    let mut all_valid = true;
    for (idx, name) in info.hosts.iter().enumerate() {
        let path = format!("spec.hosts[{idx}]");
        let result = if applies_to_gateway {
            checks::validate_gateway_bound_domain(is_sni_host, &name.value)
        } else {
            host::validate_wildcard_domain(&name.value).map_err(|why| why.to_string())
        };
        match result {
            // istiod lets IP addresses through silently here (and only here among VS hosts).
            Err(_) if parse_ip(&name.value).is_some() => {}
            Err(why) => {
                ctx.report(
                    &values::INVALID_HOST,
                    name.span,
                    path,
                    format!("host `{}` is invalid: {why}", name.value),
                );
                all_valid = false;
            }
            Ok(()) if applies_to_mesh && name.value == "*" => {
                ctx.report(
                    &codes::MESH_WILDCARD_HOST,
                    name.span,
                    path,
                    "the host `*` is not allowed for a VirtualService bound to the mesh; name the hosts the routes are for, such as `api.example.com` or `*.example.com`",
                );
                all_valid = false;
            }
            Ok(()) => {}
        }
    }
    all_valid
}

/// Hosts of one VirtualService must not overlap (`host.Name.Matches`, wildcard-aware and
/// case-sensitive); istiod reports every overlapping pair.
fn check_duplicate_hosts(ctx: &mut Ctx<'_>, hosts: &[Spanned<String>]) {
    for (i, first) in hosts.iter().enumerate() {
        for (j, second) in hosts.iter().enumerate().skip(i + 1) {
            if host::matches(&first.value, &second.value) {
                let how = if first.value == second.value { "is listed twice" } else { "overlaps" };
                let message = if first.value == second.value {
                    format!("host `{}` {how}; remove the duplicate", second.value)
                } else {
                    format!(
                        "host `{}` {how} with host `{}` of the same VirtualService; keep one of them or move one into its own VirtualService",
                        second.value, first.value
                    )
                };
                ctx.report(
                    &codes::DUPLICATE_HOSTS,
                    second.span,
                    format!("spec.hosts[{j}]"),
                    message,
                );
            }
        }
    }
}
