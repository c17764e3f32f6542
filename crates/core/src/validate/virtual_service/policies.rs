//! HTTP route policies and actions: CORS, faults, mirrors, redirects, direct responses, retries
//! and rewrites, as the validators called by istiod's `validateHTTPRoute` check them.

use super::checks::{self, MatchType};
use super::items;
use crate::api::{
    CorsPolicy, HttpDirectResponse, HttpFaultInjection, HttpMatchRequest, HttpRedirect, HttpRetry,
    HttpRewrite, HttpRoute,
};
use crate::decode::Spanned;
use crate::diagnostics::Severity;
use crate::diagnostics::codes::virtual_service as codes;
use crate::diagnostics::codes::{input, values};
use crate::text::Span;
use crate::validate::{
    Ctx, check_at_most_one, check_duration, check_percentage, check_port, span_of,
};

/// `validateCORSPolicy`.
pub(super) fn check_cors(ctx: &mut Ctx<'_>, cors: &Spanned<CorsPolicy>, path: &str) {
    for (idx, origin) in items(&cors.allow_origins).iter().enumerate() {
        let origin_path = format!("{path}.allowOrigins[{idx}]");
        check_at_most_one(
            ctx,
            &[
                ("exact", span_of(&origin.exact)),
                ("prefix", span_of(&origin.prefix)),
                ("regex", span_of(&origin.regex)),
            ],
            &origin_path,
        );
        let value = match checks::match_type(origin) {
            Some(MatchType::Exact(value) | MatchType::Prefix(value) | MatchType::Regex(value)) => {
                Some(value)
            }
            None => None,
        };
        match value {
            Some(value) if !value.value.is_empty() => {
                if let Some(MatchType::Regex(regex)) = checks::match_type(origin) {
                    checks::check_regex(ctx, regex, &format!("{origin_path}.regex"));
                }
            }
            _ => ctx.report(
                &codes::EMPTY_STRING_MATCH,
                value.map_or(origin.span, |value| value.span),
                origin_path,
                "a CORS origin needs a non-empty `exact`, `prefix` or `regex`, such as `exact: https://shop.example.com`",
            ),
        }
    }
    const METHODS: &[&str] =
        &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"];
    for (idx, method) in items(&cors.allow_methods).iter().enumerate() {
        if !METHODS.contains(&method.value.as_str()) {
            ctx.report(
                &codes::INVALID_CORS_METHOD,
                method.span,
                format!("{path}.allowMethods[{idx}]"),
                format!(
                    "`{}` is not a supported HTTP method; use one of {}",
                    method.value,
                    METHODS.join(", ")
                ),
            );
        }
    }
    for (field, list) in
        [("allowHeaders", &cors.allow_headers), ("exposeHeaders", &cors.expose_headers)]
    {
        for (idx, name) in items(list).iter().enumerate() {
            checks::check_cors_header_name(ctx, name, format!("{path}.{field}[{idx}]"));
        }
    }
    let max_age_path = format!("{path}.maxAge");
    check_duration(ctx, &cors.max_age, &max_age_path);
    if let Some(max_age) = &cors.max_age {
        // Independent of the duration rule: `Access-Control-Max-Age` counts whole seconds.
        if max_age.value.nanos > 0 && max_age.value.nanos % 1_000_000_000 != 0 {
            ctx.report(
                &codes::CORS_MAX_AGE_PRECISION,
                max_age.span,
                max_age_path,
                format!(
                    "`maxAge` {} has a fraction of a second; CORS max age is in whole seconds",
                    max_age.value
                ),
            );
        }
    }
}

/// `validateHTTPFaultInjection` and the CRD's one-of rules on the abort and delay types.
pub(super) fn check_fault(ctx: &mut Ctx<'_>, fault: &Spanned<HttpFaultInjection>, path: &str) {
    if fault.abort.is_none() && fault.delay.is_none() {
        ctx.report(
            &codes::EMPTY_FAULT,
            fault.span,
            path,
            "a fault needs an `abort`, a `delay`, or both",
        );
    }
    if let Some(abort) = &fault.abort {
        let abort_path = format!("{path}.abort");
        check_percentage(
            ctx,
            &abort.percentage.as_ref().and_then(|percent| percent.value.value.clone()),
            &format!("{abort_path}.percentage.value"),
        );
        check_at_most_one(
            ctx,
            &[
                ("httpStatus", span_of(&abort.http_status)),
                ("grpcStatus", span_of(&abort.grpc_status)),
                ("http2Error", span_of(&abort.http2_error)),
            ],
            &abort_path,
        );
        // The error type istiod sees is the last one set, in proto field order. An abort without
        // an error type draws a warning that istiod drops (`appendErrors`), so none here.
        if let Some(error) = &abort.http2_error {
            ctx.report(
                &codes::UNSUPPORTED_FAULT,
                error.span,
                format!("{abort_path}.http2Error"),
                "HTTP/2 error aborts are not supported by istiod yet; use `httpStatus` or `grpcStatus`",
            );
        } else if let Some(status) = &abort.grpc_status {
            if !GRPC_STATUSES.contains(&status.value.as_str()) {
                ctx.report(
                    &codes::INVALID_GRPC_STATUS,
                    status.span,
                    format!("{abort_path}.grpcStatus"),
                    format!("`{}` is not a gRPC status name; use one such as UNAVAILABLE or DEADLINE_EXCEEDED", status.value),
                );
            }
        } else if let Some(status) = &abort.http_status {
            check_http_status(
                ctx,
                status.value.into(),
                status.span,
                format!("{abort_path}.httpStatus"),
            );
        }
    }
    if let Some(delay) = &fault.delay {
        let delay_path = format!("{path}.delay");
        check_percentage(
            ctx,
            &delay.percentage.as_ref().and_then(|percent| percent.value.value.clone()),
            &format!("{delay_path}.percentage.value"),
        );
        check_at_most_one(
            ctx,
            &[
                ("fixedDelay", span_of(&delay.fixed_delay)),
                ("exponentialDelay", span_of(&delay.exponential_delay)),
            ],
            &delay_path,
        );
        check_duration(ctx, &delay.fixed_delay, &format!("{delay_path}.fixedDelay"));
        check_duration(ctx, &delay.exponential_delay, &format!("{delay_path}.exponentialDelay"));
        if let Some(exponential) = &delay.exponential_delay {
            ctx.report(
                &codes::UNSUPPORTED_FAULT,
                exponential.span,
                format!("{delay_path}.exponentialDelay"),
                "exponential delays are not supported by istiod yet; use `fixedDelay`",
            );
        }
    }
}

/// Go's `grpc.SupportedGRPCStatus` names.
const GRPC_STATUSES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// istiod's `validateHTTPStatus`. Quirk kept for parity: its message says 200-599 but it
/// accepts 600 too.
fn check_http_status(ctx: &mut Ctx<'_>, status: i64, span: Span, path: String) {
    if !(200..=600).contains(&status) {
        ctx.report(
            &codes::INVALID_HTTP_STATUS,
            span,
            path,
            format!("HTTP status {status} is out of range; use a status from 200 to 599"),
        );
    }
}

/// The deprecated `mirrorPercent`, `mirrorPercentage`, `mirror` and `mirrors` of a route.
pub(super) fn check_mirrors(ctx: &mut Ctx<'_>, route: &Spanned<HttpRoute>, path: &str) {
    for (field, percent) in
        [("mirrorPercent", &route.mirror_percent), ("mirror_percent", &route.mirror_percent_alias)]
    {
        let Some(percent) = percent else { continue };
        let field_path = format!("{path}.{field}");
        if percent.value > 100 {
            ctx.report(
                &values::PERCENT_OUT_OF_RANGE,
                percent.span,
                &field_path,
                format!("mirror percent {} is more than 100", percent.value),
            );
        }
        ctx.report(
            &values::DEPRECATED_FIELD,
            percent.span,
            field_path,
            format!(
                "`{field}` is deprecated; use `mirrorPercentage: {{value: {}}}`",
                percent.value
            ),
        );
    }
    if let Some(percentage) = &route.mirror_percentage {
        check_mirror_percentage(
            ctx,
            percentage.value.value.as_ref(),
            &format!("{path}.mirrorPercentage.value"),
        );
    }
    if let Some(mirror) = &route.mirror {
        checks::check_destination(ctx, mirror, &format!("{path}.mirror"));
    }
    for (idx, mirror) in items(&route.mirrors).iter().enumerate() {
        let mirror_path = format!("{path}.mirrors[{idx}]");
        let Some(destination) = &mirror.destination else {
            ctx.report(
                &values::MISSING_FIELD,
                Ctx::absent(mirror.span),
                format!("{mirror_path}.destination"),
                "`destination` is required: name the host to mirror to",
            );
            continue;
        };
        checks::check_destination(ctx, destination, &format!("{mirror_path}.destination"));
        if let Some(percentage) = &mirror.percentage {
            check_mirror_percentage(
                ctx,
                percentage.value.value.as_ref(),
                &format!("{mirror_path}.percentage.value"),
            );
        }
    }
}

/// Mirror percentages only need to be within 0..100 (no lower bound above 0 as for faults).
fn check_mirror_percentage(ctx: &mut Ctx<'_>, value: Option<&Spanned<f64>>, path: &str) {
    let Some(value) = value else { return };
    if value.value > 100.0 || value.value < 0.0 {
        ctx.report(
            &values::PERCENT_OUT_OF_RANGE,
            value.span,
            path,
            format!("mirror percentage {} is not within 0 to 100", value.value),
        );
    }
}

/// A string field that is set in the proto3 sense: present and not empty.
fn set(field: &Option<Spanned<String>>) -> Option<&Spanned<String>> {
    field.as_ref().filter(|value| !value.value.is_empty())
}

/// `validateHTTPRedirect`, which stops at its first failing rule, and the CRD's one-of rule on
/// `port` and `derivePort`.
pub(super) fn check_redirect(
    ctx: &mut Ctx<'_>,
    redirect: &Spanned<HttpRedirect>,
    matches: &[Spanned<HttpMatchRequest>],
    path: &str,
) {
    check_at_most_one(
        ctx,
        &[("port", span_of(&redirect.port)), ("derivePort", span_of(&redirect.derive_port))],
        path,
    );
    if let (Some(_), Some(prefix_rewrite)) = (set(&redirect.uri), set(&redirect.prefix_rewrite)) {
        ctx.report(
            &values::CONFLICTING_FIELDS,
            prefix_rewrite.span,
            format!("{path}.prefixRewrite"),
            "only one of `uri` and `prefixRewrite` may be set; `uri` replaces the whole path, `prefixRewrite` only the matched prefix",
        );
        return;
    }
    if set(&redirect.prefix_rewrite).is_some() {
        for (idx, request) in matches.iter().enumerate() {
            let Some(uri) = &request.uri else { continue };
            if !matches!(checks::match_type(uri), Some(MatchType::Prefix(_))) {
                let parent = path.strip_suffix(".redirect").unwrap_or(path);
                ctx.report(
                    &codes::REDIRECT_PREFIX_REWRITE_MATCH,
                    uri.span,
                    format!("{parent}.match[{idx}].uri"),
                    "`redirect.prefixRewrite` replaces the matched URI prefix, so every URI match of the route must be a `prefix` match",
                );
                return;
            }
        }
    }
    if set(&redirect.uri).is_none()
        && set(&redirect.prefix_rewrite).is_none()
        && set(&redirect.authority).is_none()
        && redirect.port.is_none()
        && redirect.derive_port.is_none()
        && set(&redirect.scheme).is_none()
    {
        ctx.report(
            &codes::REDIRECT_EMPTY,
            redirect.span,
            path,
            "the redirect changes nothing; set `uri`, `prefixRewrite`, `authority`, `scheme`, `port` or `derivePort`",
        );
        return;
    }
    if let Some(code) = redirect.redirect_code.as_ref().filter(|code| code.value != 0) {
        if !(300..=399).contains(&code.value) {
            ctx.report(
                &codes::INVALID_REDIRECT_CODE,
                code.span,
                format!("{path}.redirectCode"),
                format!(
                    "{} is not a redirect status; use a 3xx code such as 301 or 308",
                    code.value
                ),
            );
            return;
        }
    }
    if let Some(scheme) = set(&redirect.scheme) {
        if scheme.value != "http" && scheme.value != "https" {
            ctx.report(
                &codes::INVALID_REDIRECT_SCHEME,
                scheme.span,
                format!("{path}.scheme"),
                format!("redirect scheme `{}` is invalid; use `http` or `https`", scheme.value),
            );
            return;
        }
    }
    // With both port fields (which the CRD rejects) istiod keeps `derivePort`, the later field.
    if let Some(port) =
        redirect.port.as_ref().filter(|port| port.value > 0 && redirect.derive_port.is_none())
    {
        check_port(ctx, port, &format!("{path}.port"));
    }
}

/// `validateHTTPDirectResponse`, the CRD's required `status` and one-of body, and the base64
/// syntax of `body.bytes` (the CRD's `format: byte`).
pub(super) fn check_direct_response(
    ctx: &mut Ctx<'_>,
    response: &Spanned<HttpDirectResponse>,
    path: &str,
) {
    if let Some(body) = &response.body {
        let body_path = format!("{path}.body");
        check_at_most_one(
            ctx,
            &[("string", span_of(&body.string)), ("bytes", span_of(&body.bytes))],
            &body_path,
        );
        // istiod sees the later field of the oneof when both are given.
        let size = match (&body.bytes, &body.string) {
            (Some(bytes), _) => match base64_decoded_len(&bytes.value) {
                Some(size) => Some((size, bytes.span, format!("{body_path}.bytes"))),
                None => {
                    ctx.report(
                        &input::WRONG_TYPE,
                        bytes.span,
                        format!("{body_path}.bytes"),
                        "`body.bytes` is not valid base64; encode the body, or give it as `string`",
                    );
                    None
                }
            },
            (None, Some(string)) => {
                Some((string.value.len(), string.span, format!("{body_path}.string")))
            }
            (None, None) => None,
        };
        if let Some((size, span, size_path)) = size {
            if size > 1024 * 1024 {
                ctx.report_as(
                    &codes::LARGE_DIRECT_RESPONSE,
                    Severity::Error,
                    span,
                    size_path,
                    format!("the direct response body is {size} bytes; istiod accepts at most 1 MiB — serve it from a backend"),
                );
            } else if size > 100 * 1024 {
                ctx.report(
                    &codes::LARGE_DIRECT_RESPONSE,
                    span,
                    size_path,
                    format!("the direct response body is {size} bytes; bodies over 100 KiB weigh on the control plane and every proxy"),
                );
            }
        }
    }
    match &response.status {
        None => ctx.report(
            &values::MISSING_FIELD,
            Ctx::absent(response.span),
            format!("{path}.status"),
            "`status` is required: give the HTTP status to answer with, such as 503",
        ),
        Some(status) => {
            check_http_status(ctx, status.value.into(), status.span, format!("{path}.status"))
        }
    }
}

/// The decoded length of base64 text as protobuf's JSON decoder reads `bytes` (standard or
/// URL-safe alphabet, padding optional); `None` when the text is not base64.
fn base64_decoded_len(text: &str) -> Option<usize> {
    let data = text.trim_end_matches('=');
    let padding = text.len() - data.len();
    let alphabet_ok = data
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'-' | b'_'));
    let length_ok = data.len() % 4 != 1 && (padding == 0 || (padding <= 2 && text.len() % 4 == 0));
    (alphabet_ok && length_ok).then_some(data.len() * 3 / 4)
}

/// `agent.ValidateHTTPRetry`.
pub(super) fn check_retries(ctx: &mut Ctx<'_>, retries: &Spanned<HttpRetry>, path: &str) {
    let attempts = retries.attempts.as_ref().map_or(0, |attempts| attempts.value);
    if let Some(negative) = retries.attempts.as_ref().filter(|attempts| attempts.value < 0) {
        ctx.report(
            &values::VALUE_OUT_OF_RANGE,
            negative.span,
            format!("{path}.attempts"),
            format!(
                "retry attempts cannot be negative ({}); use 0 to disable retries",
                negative.value
            ),
        );
    }
    let retry_on = retries.retry_on.as_ref().filter(|retry_on| !retry_on.value.is_empty());
    if attempts == 0
        && (retries.per_try_timeout.is_some()
            || retry_on.is_some()
            || retries.retry_remote_localities.is_some())
    {
        let span =
            retries.attempts.as_ref().map_or(Ctx::absent(retries.span), |attempts| attempts.span);
        ctx.report(
            &codes::RETRIES_DISABLED_WITH_SETTINGS,
            span,
            format!("{path}.attempts"),
            "retries are disabled (`attempts` is 0 or unset) but the policy sets `perTryTimeout`, `retryOn` or `retryRemoteLocalities`; set `attempts`, such as `attempts: 3`",
        );
    }
    check_duration(ctx, &retries.per_try_timeout, &format!("{path}.perTryTimeout"));
    if let Some(retry_on) = retry_on {
        // istiod splits on `,` without trimming, so `5xx, reset` has an invalid ` reset`.
        for token in retry_on.value.split(',') {
            if !is_retry_on_policy(token) {
                ctx.report(
                    &codes::INVALID_RETRY_ON,
                    retry_on.span,
                    format!("{path}.retryOn"),
                    format!(
                        "`{token}` is not a retry policy or HTTP status; use policies such as `5xx`, `connect-failure`, `refused-stream`, `retriable-status-codes` or codes such as `503`, comma-separated without spaces"
                    ),
                );
            }
        }
    }
    check_duration(ctx, &retries.backoff, &format!("{path}.backoff"));
}

/// A `retryOn` token istiod accepts: one of Envoy's `x-envoy-retry-on` or
/// `x-envoy-retry-grpc-on` policies, or an integer (Go's `strconv.Atoi`: optional sign, leading
/// zeros allowed) that Go's `http.StatusText` knows.
fn is_retry_on_policy(token: &str) -> bool {
    const POLICIES: &[&str] = &[
        "5xx",
        "gateway-error",
        "reset",
        "reset-before-request",
        "connect-failure",
        "retriable-4xx",
        "refused-stream",
        "retriable-status-codes",
        "retriable-headers",
        "envoy-ratelimited",
        "http3-post-connect-failure",
        "cancelled",
        "deadline-exceeded",
        "internal",
        "resource-exhausted",
        "unavailable",
    ];
    if POLICIES.contains(&token) {
        return true;
    }
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty()
        || !digits.bytes().all(|byte| byte.is_ascii_digit())
        || token.starts_with('-')
    {
        return false;
    }
    let code = digits.trim_start_matches('0');
    let code: u32 = if code.is_empty() {
        0
    } else if code.len() > 3 {
        return false;
    } else {
        code.parse().unwrap_or(0)
    };
    is_known_http_status(code)
}

/// The status codes Go's `net/http.StatusText` names.
fn is_known_http_status(code: u32) -> bool {
    matches!(
        code,
        100..=103
            | 200..=208
            | 226
            | 300..=305
            | 307
            | 308
            | 400..=418
            | 421..=426
            | 428
            | 429
            | 431
            | 451
            | 500..=508
            | 510
            | 511
    )
}

/// `validateHTTPRewrite`, which stops at its first failing rule.
pub(super) fn check_rewrite(ctx: &mut Ctx<'_>, rewrite: &Spanned<HttpRewrite>, path: &str) {
    let uri = rewrite.uri.as_ref().filter(|uri| !uri.value.is_empty());
    if let (Some(_), Some(regex_rewrite)) = (uri, &rewrite.uri_regex_rewrite) {
        ctx.report(
            &values::CONFLICTING_FIELDS,
            regex_rewrite.span,
            format!("{path}.uriRegexRewrite"),
            "only one of `uri` and `uriRegexRewrite` may be set",
        );
        return;
    }
    let authority = rewrite.authority.as_ref().filter(|authority| !authority.value.is_empty());
    if uri.is_none() && rewrite.uri_regex_rewrite.is_none() && authority.is_none() {
        ctx.report(
            &codes::REWRITE_EMPTY,
            rewrite.span,
            path,
            "the rewrite changes nothing; set `uri`, `uriRegexRewrite` or `authority`",
        );
        return;
    }
    if let Some(regex_rewrite) = &rewrite.uri_regex_rewrite {
        let regex_path = format!("{path}.uriRegexRewrite");
        let regex = regex_rewrite.regex.as_ref().filter(|regex| !regex.value.is_empty());
        let replacement =
            regex_rewrite.rewrite.as_ref().filter(|replacement| !replacement.value.is_empty());
        match (regex, replacement) {
            (Some(regex), Some(_)) => checks::check_regex(ctx, regex, &format!("{regex_path}.match")),
            _ => ctx.report(
                &codes::REGEX_REWRITE_INCOMPLETE,
                regex_rewrite.span,
                regex_path,
                "`uriRegexRewrite` needs both `match` (an RE2 expression) and `rewrite` (the replacement, which may use `\\1`)",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_on_tokens() {
        for ok in [
            "5xx",
            "connect-failure",
            "503",
            "+503",
            "0503",
            "retriable-status-codes",
            "unavailable",
            "418",
        ] {
            assert!(is_retry_on_policy(ok), "{ok}");
        }
        for bad in [
            "",
            " reset",
            "5XX",
            "-503",
            "509",
            "306",
            "599",
            "foo",
            "50 3",
            "99999999999999999999",
        ] {
            assert!(!is_retry_on_policy(bad), "{bad}");
        }
    }

    #[test]
    fn direct_response_over_one_mebibyte_is_an_error() {
        let body = "x".repeat(1024 * 1024 + 1);
        let text = format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: big\n  namespace: web\nspec:\n  hosts:\n  - status.example.com\n  gateways:\n  - istio-system/egress-gateway\n  http:\n  - directResponse:\n      status: 200\n      body:\n        string: {body}\n"
        );
        let (_config, diagnostics) =
            crate::lint(&[crate::Source { name: "big.yaml", bytes: text.as_bytes() }]);
        let found: Vec<_> =
            diagnostics.iter().filter(|d| d.code.id == codes::LARGE_DIRECT_RESPONSE.id).collect();
        assert_eq!(found.len(), 1, "{diagnostics:?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_decoded_len("aGVsbG8="), Some(5));
        assert_eq!(base64_decoded_len("aGVsbG8"), Some(5));
        assert_eq!(base64_decoded_len("aGVsbG8h"), Some(6));
        assert_eq!(base64_decoded_len("a"), None);
        assert_eq!(base64_decoded_len("a*b="), None);
    }
}
