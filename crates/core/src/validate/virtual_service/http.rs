//! HTTP routes: istiod's `validateHTTPRoute`, its conflict, match and destination checks; the
//! policies and actions a route carries are in [`super::policies`].

use super::checks::{self, MatchRule, MatchType, entries, key_path};
use super::{VsInfo, items, policies};
use crate::api::{HttpMatchRequest, HttpRoute, HttpRouteDestination};
use crate::decode::Spanned;
use crate::diagnostics::codes::values;
use crate::diagnostics::codes::virtual_service as codes;
use crate::text::Span;
use crate::validate::{Ctx, check_duration, check_labels, check_port, is_istio_dns_label, span_of};

/// The three kinds of HTTP route of `getHTTPRouteType`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RouteType {
    /// A route of a delegate VirtualService (one without hosts).
    Delegate,
    /// A route of a VirtualService with hosts that hands its traffic to a delegate.
    Root,
    Independent,
}

pub(super) fn validate_route(
    ctx: &mut Ctx<'_>,
    info: &VsInfo<'_>,
    route: &Spanned<HttpRoute>,
    path: &str,
) {
    let route_type = if info.is_delegate {
        RouteType::Delegate
    } else if route.delegate.is_some() {
        RouteType::Root
    } else {
        RouteType::Independent
    };
    check_conflicts(ctx, route, route_type, path);
    let matches = items(&route.matches);
    for (idx, request) in matches.iter().enumerate() {
        check_match_request(ctx, request, &format!("{path}.match[{idx}]"));
    }
    checks::check_header_operations(ctx, &route.headers, &format!("{path}.headers"));
    if let Some(cors) = &route.cors_policy {
        policies::check_cors(ctx, cors, &format!("{path}.corsPolicy"));
    }
    if let Some(fault) = &route.fault {
        policies::check_fault(ctx, fault, &format!("{path}.fault"));
    }
    policies::check_mirrors(ctx, route, path);
    if let Some(redirect) = &route.redirect {
        policies::check_redirect(ctx, redirect, matches, &format!("{path}.redirect"));
    }
    if let Some(response) = &route.direct_response {
        policies::check_direct_response(ctx, response, &format!("{path}.directResponse"));
    }
    if let Some(retries) = &route.retries {
        policies::check_retries(ctx, retries, &format!("{path}.retries"));
    }
    if let Some(rewrite) = &route.rewrite {
        policies::check_rewrite(ctx, rewrite, &format!("{path}.rewrite"));
    }
    let rewrite_authority = route.rewrite.as_ref().and_then(|rewrite| rewrite.authority.as_ref());
    checks::check_authority_rewrite(ctx, rewrite_authority, &route.headers, path);
    if let Some(destinations) = &route.route {
        checks::check_weighted_destinations(
            ctx,
            info.gateway_semantics,
            destinations,
            &format!("{path}.route"),
            "traffic",
            |ctx, entry: &HttpRouteDestination, entry_path| {
                checks::check_header_operations(
                    ctx,
                    &entry.headers,
                    &format!("{entry_path}.headers"),
                );
            },
        );
    }
    check_duration(ctx, &route.timeout, &format!("{path}.timeout"));
}

fn non_empty<T>(list: &Option<Spanned<Vec<Spanned<T>>>>) -> Option<Span> {
    list.as_ref().filter(|list| !list.value.is_empty()).map(|list| list.span)
}

/// `validateHTTPRouteConflict`: a route forwards, redirects or answers directly; delegation has
/// its own restrictions.
fn check_conflicts(
    ctx: &mut Ctx<'_>,
    route: &Spanned<HttpRoute>,
    route_type: RouteType,
    path: &str,
) {
    let forwards = non_empty(&route.route);
    if route_type == RouteType::Root {
        // istiod checks nothing else on a delegating route: its actions come from the delegate.
        if let Some(redirect) = &route.redirect {
            ctx.report(
                &codes::INVALID_DELEGATION,
                redirect.span,
                format!("{path}.redirect"),
                "a route that delegates must not also redirect; move the redirect into the delegate VirtualService",
            );
        }
        if let Some(span) = forwards {
            ctx.report(
                &codes::INVALID_DELEGATION,
                span,
                format!("{path}.route"),
                "a route that delegates must not also have destinations; move them into the delegate VirtualService",
            );
        }
        return;
    }
    if route_type == RouteType::Delegate {
        if let Some(delegate) = &route.delegate {
            ctx.report(
                &codes::INVALID_DELEGATION,
                delegate.span,
                format!("{path}.delegate"),
                "a delegate VirtualService (one without hosts) cannot delegate again; delegation is one level deep",
            );
        }
    }
    let conflict = |ctx: &mut Ctx<'_>, span: Option<Span>, field: &str, action: &str| {
        if let Some(span) = span {
            ctx.report(
                &codes::HTTP_ROUTE_CONFLICT,
                span,
                format!("{path}.{field}"),
                format!("a route with `{action}` cannot also have `{field}`; keep one of them, or split them over two routes with different matches"),
            );
        }
    };
    if route.redirect.is_some() {
        conflict(ctx, forwards, "route", "redirect");
        conflict(ctx, span_of(&route.fault), "fault", "redirect");
        conflict(ctx, span_of(&route.rewrite), "rewrite", "redirect");
        conflict(ctx, span_of(&route.direct_response), "directResponse", "redirect");
    } else if route.direct_response.is_some() {
        conflict(ctx, forwards, "route", "directResponse");
        conflict(ctx, span_of(&route.fault), "fault", "directResponse");
        conflict(ctx, span_of(&route.rewrite), "rewrite", "directResponse");
    } else if forwards.is_none() {
        let span = route.route.as_ref().map_or(Ctx::absent(route.span), |list| list.span);
        ctx.report(
            &codes::ROUTE_REQUIRED,
            span,
            format!("{path}.route"),
            "the HTTP route has no `route`, `redirect` or `directResponse`; add a `route` with at least one destination",
        );
    }
    if let (Some(_), Some(mirrors)) = (&route.mirror, non_empty(&route.mirrors)) {
        ctx.report(
            &values::CONFLICTING_FIELDS,
            mirrors,
            format!("{path}.mirrors"),
            "only one of `mirror` and `mirrors` may be set; move the single mirror into `mirrors`",
        );
    }
}

/// `validateHTTPRouteMatchRequest` for one match, plus the CRD's one-of rule on string matches.
fn check_match_request(ctx: &mut Ctx<'_>, request: &Spanned<HttpMatchRequest>, path: &str) {
    for (key, value) in entries(&request.headers) {
        let entry_path = key_path(&format!("{path}.headers"), &key.value);
        checks::check_match_header_name(ctx, key, entry_path.clone());
        checks::check_string_match(ctx, value, &entry_path, MatchRule::Full);
    }
    for (key, value) in entries(&request.without_headers) {
        let entry_path = key_path(&format!("{path}.withoutHeaders"), &key.value);
        checks::check_match_header_name(ctx, key, entry_path.clone());
        // `regex: "*"` is Istio's marker for "header present", not a regex.
        if !matches!(checks::match_type(value), Some(MatchType::Regex(regex)) if regex.value == "*")
        {
            checks::check_string_match(ctx, value, &entry_path, MatchRule::Full);
        }
    }
    if let Some(uri) = &request.uri {
        checks::check_string_match(ctx, uri, &format!("{path}.uri"), MatchRule::RegexOnly);
    }
    for (field, value) in [
        ("scheme", &request.scheme),
        ("method", &request.method),
        ("authority", &request.authority),
    ] {
        if let Some(value) = value {
            checks::check_string_match(ctx, value, &format!("{path}.{field}"), MatchRule::Full);
        }
    }
    for (key, value) in entries(&request.query_params) {
        checks::check_string_match(
            ctx,
            value,
            &key_path(&format!("{path}.queryParams"), &key.value),
            MatchRule::Full,
        );
    }
    if let Some(port) = request.port.as_ref().filter(|port| port.value != 0) {
        check_port(ctx, port, &format!("{path}.port"));
    }
    check_labels(ctx, &request.source_labels, &format!("{path}.sourceLabels"));
    if let Some(gateways) = &request.gateways {
        checks::check_gateway_names(ctx, gateways, &format!("{path}.gateways"), false, false);
    }
    if let Some(namespace) =
        request.source_namespace.as_ref().filter(|namespace| !namespace.value.is_empty())
    {
        if !is_istio_dns_label(&namespace.value) {
            ctx.report(
                &values::INVALID_NAME_VALUE,
                namespace.span,
                format!("{path}.sourceNamespace"),
                format!("`{}` is not a valid namespace name", namespace.value),
            );
        }
    }
}
