//! Checks shared by the HTTP, TLS and TCP routes of a VirtualService: destinations, gateway
//! names, string matches and regexes, header names and values.

use crate::api::{Destination, Headers, StringMatch};
use crate::decode::{Map, Spanned};
use crate::diagnostics::codes::values;
use crate::diagnostics::codes::virtual_service as codes;
use crate::host;
use crate::re2::check as re2;
use crate::text::Span;
use crate::validate::{Ctx, check_at_most_one, is_istio_dns_label, parse_ip, span_of};

pub(super) use crate::validate::key_path;

/// istiod's `validateDestination` (plus the CRD's required `host`): the host is a DNS name or
/// wildcard but not `*` (IP addresses fail: their last label is numeric), the subset a DNS
/// label, the port 1..65535.
pub(super) fn check_destination(ctx: &mut Ctx<'_>, destination: &Spanned<Destination>, path: &str) {
    match &destination.host {
        None => ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(destination.span),
            format!("{path}.host"),
            "`host` is required: name the service, such as the host of a ServiceEntry",
        ),
        Some(name) if name.value == "*" => ctx.report(
            &values::INVALID_HOST,
            name.span,
            format!("{path}.host"),
            "`*` cannot be a destination host; name the one host the traffic goes to",
        ),
        Some(name) => {
            if let Err(why) = host::validate_wildcard_domain(&name.value) {
                let hint = if parse_ip(&name.value).is_some() {
                    "; destinations are service hosts, so declare the IP in a ServiceEntry with a host name and route to that name"
                } else {
                    ""
                };
                ctx.report(
                    &values::INVALID_HOST,
                    name.span,
                    format!("{path}.host"),
                    format!("destination host `{}` is invalid: {why}{hint}", name.value),
                );
            }
        }
    }
    if let Some(subset) = destination.subset.as_ref().filter(|subset| !subset.value.is_empty()) {
        if !is_istio_dns_label(&subset.value) {
            ctx.report(
                &values::INVALID_NAME_VALUE,
                subset.span,
                format!("{path}.subset"),
                format!(
                    "subset name `{}` is invalid: subset names are DNS labels (letters, digits and `-`, at most 63 characters)",
                    subset.value
                ),
            );
        }
    }
    if let Some(port) = &destination.port {
        let number = port.number.as_ref().map_or(0, |number| number.value);
        if !(1..=65535).contains(&number) {
            let span = port.number.as_ref().map_or(port.span, |number| number.span);
            ctx.report(
                &values::INVALID_PORT,
                span,
                format!("{path}.port.number"),
                format!("destination port number {number} must be in the range 1..65535"),
            );
        }
    }
}

/// istiod's `validateGatewayNames`. Names are `namespace/name`; a name without `/` is the legacy
/// form (`name.namespace`, or the reserved `mesh`), checked as an FQDN. Quirk kept for parity:
/// istiod stops at the first name without `/`, so later names of the list go unchecked.
pub(super) fn check_gateway_names(
    ctx: &mut Ctx<'_>,
    names: &Spanned<Vec<Spanned<String>>>,
    path: &str,
    warn_legacy: bool,
    gateway_semantics: bool,
) {
    for (idx, name) in names.value.iter().enumerate() {
        let item_path = format!("{path}[{idx}]");
        let Some((namespace, gateway)) = name.value.split_once('/') else {
            // The warning is dropped (never shown) for match-level gateway lists of HTTP and TCP
            // routes, which istiod merges with `appendErrors`.
            if warn_legacy && name.value.contains('.') {
                let mut parts = name.value.split('.');
                let first = parts.next().unwrap_or_default();
                let second = parts.next().unwrap_or_default();
                ctx.report(
                    &codes::LEGACY_GATEWAY_NAME,
                    name.span,
                    &item_path,
                    format!("gateway `{}` uses the legacy `name.namespace` form; write it as `{second}/{first}`", name.value),
                );
            }
            if let Err(why) = host::validate_fqdn(&name.value) {
                ctx.report(
                    &values::INVALID_NAME_VALUE,
                    name.span,
                    &item_path,
                    format!(
                        "gateway `{}` is invalid: {why}; name gateways as `namespace/name`",
                        name.value
                    ),
                );
            }
            return;
        };
        if namespace.is_empty() || gateway.is_empty() {
            ctx.report(
                &values::INVALID_NAME_VALUE,
                name.span,
                &item_path,
                format!("gateway `{}` needs both a namespace and a name, as in `istio-system/egressgateway`", name.value),
            );
        }
        if !namespace.is_empty() && !is_istio_dns_label(namespace) {
            ctx.report(
                &values::INVALID_NAME_VALUE,
                name.span,
                &item_path,
                format!("gateway `{}` has an invalid namespace `{namespace}`: use a namespace name (`*` and `.` are not allowed here)", name.value),
            );
        }
        if !gateway.is_empty() && !gateway_semantics && !is_istio_dns_label(gateway) {
            ctx.report(
                &values::INVALID_NAME_VALUE,
                name.span,
                &item_path,
                format!(
                    "gateway `{}` has an invalid name `{gateway}`: gateway names are DNS labels",
                    name.value
                ),
            );
        }
    }
}

/// istiod's `ValidateWildcardDomainForVirtualServiceBoundToGateway`: a wildcard domain, or with
/// `sni`, Istio's auto-passthrough SNI form `outbound_.<port>_._.<host>`.
pub(super) fn validate_gateway_bound_domain(sni: bool, domain: &str) -> Result<(), String> {
    if domain.is_empty() || domain.len() > 255 {
        return host::validate_wildcard_domain(domain).map_err(|why| why.to_string());
    }
    if sni && domain.starts_with("outbound_") {
        let parts: Vec<&str> = domain.split('_').collect();
        if parts.len() < 4 {
            return Err(
                "auto-passthrough SNI names have the form `outbound_.<port>_._.<host>`".to_string()
            );
        }
        let port = parts[1].trim_matches('.');
        let host = parts[3].trim_matches('.');
        if !port.bytes().any(|byte| byte.is_ascii_digit()) {
            return Err(format!(
                "the port part `{port}` has no digit; the form is `outbound_.<port>_._.<host>`"
            ));
        }
        if !host.bytes().any(|byte| byte.is_ascii_alphabetic()) {
            return Err(format!(
                "the host part `{host}` has no letter; the form is `outbound_.<port>_._.<host>`"
            ));
        }
        return Ok(());
    }
    host::validate_wildcard_domain(domain).map_err(|why| why.to_string())
}

/// The match type a `StringMatch` ends up with. istiod decodes the oneof in field order, so when
/// several are given (which the CRD rejects) the last of exact, prefix, regex wins.
pub(super) enum MatchType<'a> {
    Exact(&'a Spanned<String>),
    Prefix(&'a Spanned<String>),
    Regex(&'a Spanned<String>),
}

pub(super) fn match_type(sm: &StringMatch) -> Option<MatchType<'_>> {
    if let Some(regex) = &sm.regex {
        Some(MatchType::Regex(regex))
    } else if let Some(prefix) = &sm.prefix {
        Some(MatchType::Prefix(prefix))
    } else {
        sm.exact.as_ref().map(MatchType::Exact)
    }
}

/// Which of istiod's string-match validators applies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MatchRule {
    /// `validateStringMatch`: an empty prefix and an empty or invalid regex are errors.
    Full,
    /// `validateStringMatchRegexp`, for `uri`: Envoy takes an empty path prefix, so only the
    /// regex is checked.
    RegexOnly,
}

/// The CRD's one-of rule and istiod's string-match rules for one `StringMatch`.
pub(super) fn check_string_match(
    ctx: &mut Ctx<'_>,
    sm: &Spanned<StringMatch>,
    path: &str,
    rule: MatchRule,
) {
    check_at_most_one(
        ctx,
        &[
            ("exact", span_of(&sm.exact)),
            ("prefix", span_of(&sm.prefix)),
            ("regex", span_of(&sm.regex)),
        ],
        path,
    );
    match match_type(sm) {
        Some(MatchType::Prefix(prefix)) if rule == MatchRule::Full && prefix.value.is_empty() => ctx.report(
            &codes::EMPTY_STRING_MATCH,
            prefix.span,
            format!("{path}.prefix"),
            "an empty `prefix` is not allowed here; give a prefix, or use `regex: \".*\"` to match any value",
        ),
        Some(MatchType::Regex(regex)) => check_match_regex(ctx, regex, &format!("{path}.regex")),
        _ => {}
    }
}

/// `validateStringMatchRegexp`: a regex match must not be empty, and must be valid RE2.
pub(super) fn check_match_regex(ctx: &mut Ctx<'_>, regex: &Spanned<String>, path: &str) {
    if regex.value.is_empty() {
        ctx.report(
            &codes::EMPTY_STRING_MATCH,
            regex.span,
            path,
            "an empty `regex` is not allowed; give an RE2 expression such as `.*`",
        );
        return;
    }
    check_regex(ctx, regex, path);
}

/// istiod's `validateStringRegexp`: at most 1024 bytes (Envoy's RE2 program-size limit, which
/// istiod approximates by length) and accepted by Go's RE2 parser.
pub(super) fn check_regex(ctx: &mut Ctx<'_>, regex: &Spanned<String>, path: &str) {
    if regex.value.len() > 1024 {
        ctx.report(
            &codes::REGEX_TOO_LARGE,
            regex.span,
            path,
            format!(
                "the regex is {} bytes long; istiod accepts at most 1024 bytes",
                regex.value.len()
            ),
        );
        return;
    }
    if let Err(why) = re2::check(&regex.value) {
        ctx.report(
            &codes::INVALID_REGEX,
            regex.span,
            path,
            format!("`{}` is not a valid RE2 regex: {why}", regex.value),
        );
    }
}

/// RFC 7230 token characters, which header names consist of.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// Istio's `jwt.ToRoutingClaim(...).Match`: `@request.auth.claims.<path>` or
/// `@request.auth.claims[<a>][<b>]`, the prefix compared case-insensitively.
pub(super) fn is_jwt_claim_route(name: &str) -> bool {
    const PREFIX: &str = "@request.auth.claims";
    let bytes = name.as_bytes();
    if bytes.len() < PREFIX.len() || !bytes[..PREFIX.len()].eq_ignore_ascii_case(PREFIX.as_bytes())
    {
        return false;
    }
    let rest = &name[PREFIX.len()..];
    (rest.starts_with('.') && rest.len() > 1)
        || (rest.starts_with('[') && rest.ends_with(']') && rest.len() > 2)
}

fn report_empty_header_name(ctx: &mut Ctx<'_>, key: &Spanned<String>, path: String) {
    ctx.report(&codes::INVALID_HEADER_NAME, key.span, path, "a header name cannot be empty");
}

/// `ValidateHTTPHeaderNameOrJwtClaimRoute`, for the keys of `headers` and `withoutHeaders`
/// matches: a token, a pseudo-header, or a JWT claim route.
pub(super) fn check_match_header_name(ctx: &mut Ctx<'_>, key: &Spanned<String>, path: String) {
    const PSEUDO_HEADERS: &[&str] = &[":method", ":scheme", ":authority", ":path", ":status"];
    if key.value.is_empty() {
        report_empty_header_name(ctx, key, path);
    } else if !is_jwt_claim_route(&key.value)
        && !PSEUDO_HEADERS.contains(&key.value.as_str())
        && !is_token(&key.value)
    {
        ctx.report(
            &codes::INVALID_HEADER_NAME,
            key.span,
            path,
            format!(
                "`{}` is not a valid header name; header names are tokens such as `x-user-tier`",
                key.value
            ),
        );
    }
}

/// `ValidateCORSHTTPHeaderName`: a token, or `*`.
pub(super) fn check_cors_header_name(ctx: &mut Ctx<'_>, name: &Spanned<String>, path: String) {
    if name.value.is_empty() {
        report_empty_header_name(ctx, name, path);
    } else if name.value != "*" && !is_token(&name.value) {
        ctx.report(
            &codes::INVALID_HEADER_NAME,
            name.span,
            path,
            format!(
                "`{}` is not a valid header name; use a token such as `content-type`, or `*`",
                name.value
            ),
        );
    }
}

fn is_authority_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case("host")
}

/// The header operations of a route or destination (`Headers`), as `validateHTTPRoute` and
/// `validateHTTPRouteDestinations` check them.
pub(super) fn check_header_operations(
    ctx: &mut Ctx<'_>,
    headers: &Option<Spanned<Headers>>,
    path: &str,
) {
    let Some(headers) = headers else { return };
    if let Some(request) = &headers.request {
        let base = format!("{path}.request");
        for (field, map) in [("add", &request.add), ("set", &request.set)] {
            for (key, value) in entries(map) {
                let entry_path = key_path(&format!("{base}.{field}"), &key.value);
                check_request_set_name(ctx, key, entry_path.clone());
                check_header_value(ctx, value, entry_path);
            }
        }
        for (idx, name) in super::items(&request.remove).iter().enumerate() {
            check_operation_name(ctx, name, format!("{base}.remove[{idx}]"));
        }
    }
    if let Some(response) = &headers.response {
        let base = format!("{path}.response");
        for (field, map) in [("add", &response.add), ("set", &response.set)] {
            for (key, value) in entries(map) {
                let entry_path = key_path(&format!("{base}.{field}"), &key.value);
                check_operation_name(ctx, key, entry_path.clone());
                check_header_value(ctx, value, entry_path);
            }
        }
        for (idx, name) in super::items(&response.remove).iter().enumerate() {
            check_operation_name(ctx, name, format!("{base}.remove[{idx}]"));
        }
    }
}

/// The entries of an optional map.
pub(super) fn entries<T>(
    map: &Option<Spanned<Map<T>>>,
) -> impl Iterator<Item = (&Spanned<String>, &Spanned<T>)> {
    map.iter().flat_map(|map| map.value.iter())
}

/// `ValidateHTTPHeaderWithAuthorityOperationName`: request headers may be added or set, except
/// pseudo-headers; the authority may be set as `:authority` or `host` (checked for uniqueness
/// separately).
fn check_request_set_name(ctx: &mut Ctx<'_>, key: &Spanned<String>, path: String) {
    let name = &key.value;
    if name.is_empty() {
        report_empty_header_name(ctx, key, path);
    } else if (name.starts_with(':') || name.eq_ignore_ascii_case("host"))
        && !is_authority_header(name)
    {
        ctx.report(
            &codes::PROTECTED_HEADER,
            key.span,
            path,
            format!("the pseudo-header `{name}` cannot be set by a route; only `:authority` (or `host`) can"),
        );
    }
}

/// `ValidateHTTPHeaderOperationName`: neither Host nor pseudo-headers may be removed, nor set on
/// responses.
fn check_operation_name(ctx: &mut Ctx<'_>, key: &Spanned<String>, path: String) {
    let name = &key.value;
    if name.is_empty() {
        report_empty_header_name(ctx, key, path);
    } else if name.eq_ignore_ascii_case("host") {
        ctx.report(
            &codes::PROTECTED_HEADER,
            key.span,
            path,
            "the Host header cannot be changed here; rewrite it with `rewrite.authority` or `headers.request.set`",
        );
    } else if name.starts_with(':') {
        ctx.report(
            &codes::PROTECTED_HEADER,
            key.span,
            path,
            format!("the pseudo-header `{name}` cannot be removed or set here"),
        );
    }
}

/// `ValidateHTTPHeaderValue`: no control characters except TAB, and Envoy's `%VARIABLE%`
/// formatter syntax.
fn check_header_value(ctx: &mut Ctx<'_>, value: &Spanned<String>, path: String) {
    let problem = if value
        .value
        .chars()
        .any(|ch| matches!(ch, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'))
    {
        Some("it contains a control character".to_string())
    } else {
        header_formatter_error(&value.value).map(str::to_string)
    };
    if let Some(problem) = problem {
        ctx.report(
            &codes::INVALID_HEADER_VALUE,
            value.span,
            path,
            format!("header value `{}` is invalid: {problem}", value.value.escape_debug()),
        );
    }
}

/// The states of Envoy's header formatter parser (`header_parser.cc`), which istiod mirrors in
/// `validateHeaderValue`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Formatter {
    Literal,
    VariableName,
    ExpectArray,
    ExpectString,
    String,
    ExpectDelimiterOrEnd,
    ExpectArgsEnd,
    ExpectVariableEnd,
}

/// Why a header value is not valid formatter syntax, if it is not.
fn header_formatter_error(value: &str) -> Option<&'static str> {
    let bytes = value.as_bytes();
    let mut state = Formatter::Literal;
    let mut pos = 0;
    while pos < bytes.len() {
        let byte = bytes[pos];
        let has_next = pos + 1 < bytes.len();
        match state {
            Formatter::Literal if byte == b'%' => {
                if !has_next {
                    return Some(
                        "a single `%` ends the value; write `%%` for a literal percent sign",
                    );
                }
                if bytes[pos + 1] == b'%' {
                    pos += 1;
                } else {
                    state = Formatter::VariableName;
                }
            }
            Formatter::Literal => {}
            Formatter::VariableName => match byte {
                b'%' => state = Formatter::Literal,
                b'(' => state = Formatter::ExpectArray,
                _ => {}
            },
            Formatter::ExpectArray => match byte {
                b'[' => state = Formatter::ExpectString,
                b' ' => {}
                _ => state = Formatter::String,
            },
            Formatter::ExpectDelimiterOrEnd => match byte {
                b',' => state = Formatter::ExpectString,
                b']' => state = Formatter::ExpectArgsEnd,
                b' ' => {}
                _ => {
                    return Some(
                        "expected `,` or `]` in the argument list of a `%VAR(...)%` expression",
                    );
                }
            },
            Formatter::ExpectString => match byte {
                b'"' => state = Formatter::String,
                b' ' => {}
                _ => {
                    return Some(
                        "expected `\"` to start an argument of a `%VAR([...])%` expression",
                    );
                }
            },
            Formatter::String => match byte {
                b'\\' if !has_next => return Some("a backslash ends an argument string"),
                b'\\' => pos += 1,
                b')' => state = Formatter::ExpectVariableEnd,
                b'"' => state = Formatter::ExpectDelimiterOrEnd,
                _ => {}
            },
            Formatter::ExpectArgsEnd => match byte {
                b')' => state = Formatter::ExpectVariableEnd,
                b' ' => {}
                _ => {
                    return Some(
                        "expected `)` after the argument list of a `%VAR(...)%` expression",
                    );
                }
            },
            Formatter::ExpectVariableEnd => match byte {
                b'%' => state = Formatter::Literal,
                b' ' => {}
                _ => return Some("expected `%` to close a `%VAR(...)%` expression"),
            },
        }
        pos += 1;
    }
    (state != Formatter::Literal)
        .then_some("a `%VARIABLE%` expression is not closed; close it with `%`, or write `%%` for a literal percent sign")
}

/// The authority may be rewritten in one place only (`validateAuthorityRewrite`): `rewrite.authority`,
/// then the request `set` entries, then the `add` entries for `:authority`/`host`, in that order.
pub(super) fn check_authority_rewrite(
    ctx: &mut Ctx<'_>,
    rewrite_authority: Option<&Spanned<String>>,
    headers: &Option<Spanned<Headers>>,
    path: &str,
) {
    let mut current = rewrite_authority.map(|authority| authority.value.as_str()).unwrap_or("");
    let Some(request) = headers.as_ref().and_then(|headers| headers.request.as_ref()) else {
        return;
    };
    for (field, map) in [("set", &request.set), ("add", &request.add)] {
        for (key, value) in entries(map) {
            if !is_authority_header(&key.value) {
                continue;
            }
            if !current.is_empty() {
                ctx.report(
                    &codes::AUTHORITY_SET_TWICE,
                    key.span,
                    key_path(&format!("{path}.headers.request.{field}"), &key.value),
                    format!(
                        "the authority is already rewritten to `{current}`; setting `{}` to `{}` too is not allowed — rewrite it in one place",
                        key.value, value.value
                    ),
                );
                return;
            }
            current = &value.value;
        }
    }
}

/// One entry of a route's weighted destinations: HTTP (`HTTPRouteDestination`) or TLS/TCP
/// (`RouteDestination`), which share the destination and weight rules.
pub(super) trait WeightedDestination {
    fn destination(&self) -> Option<&Spanned<Destination>>;
    fn weight(&self) -> Option<&Spanned<i32>>;
}

impl WeightedDestination for crate::api::HttpRouteDestination {
    fn destination(&self) -> Option<&Spanned<Destination>> {
        self.destination.as_ref()
    }
    fn weight(&self) -> Option<&Spanned<i32>> {
        self.weight.as_ref()
    }
}

impl WeightedDestination for crate::api::RouteDestination {
    fn destination(&self) -> Option<&Spanned<Destination>> {
        self.destination.as_ref()
    }
    fn weight(&self) -> Option<&Spanned<i32>> {
        self.weight.as_ref()
    }
}

/// istiod's `validateHTTPRouteDestinations` and `validateRouteDestinations`: each entry needs a
/// valid destination (unchecked under gateway semantics) and a non-negative weight, several
/// entries a positive total; `extra` adds the per-entry checks of one route kind.
pub(super) fn check_weighted_destinations<T: WeightedDestination>(
    ctx: &mut Ctx<'_>,
    gateway_semantics: bool,
    destinations: &Spanned<Vec<Spanned<T>>>,
    path: &str,
    what: &str,
    mut extra: impl FnMut(&mut Ctx<'_>, &T, &str),
) {
    let mut total: i32 = 0;
    for (idx, entry) in destinations.value.iter().enumerate() {
        let entry_path = format!("{path}[{idx}]");
        match entry.destination() {
            None => ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(entry.span),
                format!("{entry_path}.destination"),
                format!("`destination` is required: name the host to send the {what} to"),
            ),
            Some(destination) if !gateway_semantics => {
                check_destination(ctx, destination, &format!("{entry_path}.destination"));
            }
            Some(_) => {}
        }
        extra(ctx, &entry.value, &entry_path);
        check_weight(ctx, entry.weight(), &entry_path);
        // istiod sums in int32; keep its wrap-around.
        total = total.wrapping_add(entry.weight().map_or(0, |weight| weight.value));
    }
    check_total_weight(ctx, destinations.value.len(), total, destinations.span, path);
}

/// `validateWeight`: weights are relative and cannot be negative.
fn check_weight(ctx: &mut Ctx<'_>, weight: Option<&Spanned<i32>>, entry_path: &str) {
    if let Some(weight) = weight.filter(|weight| weight.value < 0) {
        ctx.report(
            &values::VALUE_OUT_OF_RANGE,
            weight.span,
            format!("{entry_path}.weight"),
            format!("weight {} is negative; weights are relative shares from 0 up", weight.value),
        );
    }
}

/// Several destinations whose weights add up to 0 cannot take any traffic.
fn check_total_weight(ctx: &mut Ctx<'_>, count: usize, total: i32, span: Span, path: &str) {
    if count > 1 && total == 0 {
        ctx.report(
            &codes::ZERO_TOTAL_WEIGHT,
            span,
            path,
            "the destinations' weights add up to 0; give each destination its share, such as 80 and 20",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_follow_envoy_formatter_syntax() {
        for ok in [
            "foo",
            "%HOSTNAME%",
            "100%%",
            "prefix %HOSTNAME% suffix",
            "a %START_TIME(%s)% b",
            "%REQ([\"x\", \"y\"])%",
            "",
        ] {
            assert_eq!(header_formatter_error(ok), None, "{ok}");
        }
        for bad in
            ["abc%123", "%START_TIME%%", "50%", "%REQ([x])%", "%REQ([\"x\" y])%", "%REQ(\"x\\"]
        {
            assert!(header_formatter_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn jwt_claim_routes() {
        assert!(is_jwt_claim_route("@request.auth.claims.groups"));
        assert!(is_jwt_claim_route("@Request.Auth.Claims[nested][key]"));
        assert!(!is_jwt_claim_route("@request.auth.claims."));
        assert!(!is_jwt_claim_route("@request.auth.claims[]"));
        assert!(!is_jwt_claim_route("x-claims"));
    }

    #[test]
    fn gateway_bound_sni_form() {
        assert!(validate_gateway_bound_domain(true, "outbound_.443_._.api.example.com").is_ok());
        assert!(validate_gateway_bound_domain(true, "outbound_.x_._.api").is_err());
        assert!(validate_gateway_bound_domain(true, "outbound_.443").is_err());
        assert!(validate_gateway_bound_domain(false, "outbound_.443_._.api.example.com").is_err());
    }
}
