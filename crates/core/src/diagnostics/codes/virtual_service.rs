//! `MR3xxx`: VirtualService rules of istiod's `ValidateVirtualService` and the CRD schema.
//!
//! Generic value problems (durations, percentages, ports, hosts, labels, names, exportTo, missing
//! fields, "only one of" groups) use the shared `MR09xx` codes; the codes here are the rules
//! particular to VirtualService routing.

crate::define_codes! {
    /// A VirtualService without hosts is a delegate, and a delegate may not list gateways, TLS routes or TCP routes.
    /// Add the hosts the routes are for under `spec.hosts`, or keep only `http` routes in the delegate.
    VS_HOSTS_REQUIRED = ("MR3001", "vs-hosts-required", Error, None);
    /// The host `*` is used by a VirtualService bound to the mesh, which istiod rejects.
    /// Name the external hosts (`api.example.com`, `*.example.com`); `*` is only allowed for gateway-bound VirtualServices.
    MESH_WILDCARD_HOST = ("MR3002", "mesh-wildcard-host", Error, None);
    /// Two hosts of one VirtualService overlap (equal, or one wildcard covers the other), which istiod rejects.
    /// Keep one of the two hosts, or move the narrower host's routes into a VirtualService of its own.
    DUPLICATE_HOSTS = ("MR3003", "duplicate-hosts", Error, None);
    /// A VirtualService has no `http`, `tls` or `tcp` route at all.
    /// Add the routes the VirtualService is meant to apply, or delete it.
    NO_ROUTES = ("MR3004", "no-routes", Error, None);
    /// A gateway is named in the legacy `name.namespace` form; istiod accepts it with a warning.
    /// Write gateways as `namespace/name`, such as `istio-system/egressgateway`.
    LEGACY_GATEWAY_NAME = ("MR3005", "legacy-gateway-name", Warning, None);
    /// A header match on a JWT claim (`@request.auth.claims...`) is used by a VirtualService bound to the mesh; istiod only supports it on gateways.
    /// Bind the VirtualService to a gateway only (no `mesh` in `gateways`), or match on a real header.
    JWT_CLAIM_ROUTE_ON_MESH = ("MR3006", "jwt-claim-route-on-mesh", Error, None);
    /// An HTTP route combines actions that exclude each other (route, redirect, directResponse, or fault/rewrite with redirect or directResponse).
    /// A route either forwards (`route`), redirects (`redirect`) or answers itself (`directResponse`); keep one of them.
    HTTP_ROUTE_CONFLICT = ("MR3007", "http-route-conflict", Error, None);
    /// A route has nowhere to send traffic: an HTTP route without `route`, `redirect` or `directResponse`, or a TLS or TCP route without `route`.
    /// Add a `route` with at least one destination.
    ROUTE_REQUIRED = ("MR3008", "route-required", Error, None);
    /// Delegation is misused: a root route that delegates also sets `route` or `redirect`, or a delegate VirtualService delegates again.
    /// A delegating route only sets `delegate` (plus match and policies); delegation is one level deep.
    INVALID_DELEGATION = ("MR3009", "invalid-delegation", Error, None);
    /// A header name is empty or contains characters HTTP header names cannot have.
    /// Use a token such as `x-request-id`: letters, digits and ``!#$%&'*+-.^_`|~``.
    INVALID_HEADER_NAME = ("MR3010", "invalid-header-name", Error, None);
    /// A header operation touches the Host header or a pseudo-header (`:path`...), which Envoy does not let routes change.
    /// Change the host with `rewrite.authority` (or set `:authority`/`host` on requests); drop pseudo-headers from the operation.
    PROTECTED_HEADER = ("MR3011", "protected-header", Error, None);
    /// A header value has control characters or a malformed `%VARIABLE%` expression.
    /// Write a literal `%` as `%%` and close every `%VAR%` or `%VAR(args)%` expression.
    INVALID_HEADER_VALUE = ("MR3012", "invalid-header-value", Error, None);
    /// The authority (Host) is rewritten in more than one place of a route.
    /// Set it once: in `rewrite.authority`, or in one `headers.request` `set`/`add` entry for `:authority` or `host`.
    AUTHORITY_SET_TWICE = ("MR3013", "authority-set-twice", Error, None);
    /// A string match has an empty `prefix` or `regex`, or a CORS origin has no value; istiod rejects it.
    /// Give the match a value; to match any value, use a header presence match `{}` or drop the condition.
    EMPTY_STRING_MATCH = ("MR3014", "empty-string-match", Error, None);
    /// A regular expression is longer than the 1024 bytes istiod accepts.
    /// Shorten the expression, or split the match over several routes.
    REGEX_TOO_LARGE = ("MR3015", "regex-too-large", Error, None);
    /// A regular expression is not valid RE2 syntax, which Istio and Envoy use.
    /// Fix the expression; RE2 has no lookaround and no backreferences (see https://github.com/google/re2/wiki/Syntax).
    INVALID_REGEX = ("MR3016", "invalid-regex", Error, None);
    /// A CORS `allowMethods` entry is not an HTTP method istiod knows.
    /// Use GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE or `*`, in upper case.
    INVALID_CORS_METHOD = ("MR3017", "invalid-cors-method", Error, None);
    /// `corsPolicy.maxAge` has a fraction of a second, which the `Access-Control-Max-Age` header cannot carry.
    /// Use whole seconds, such as `600s` or `24h`.
    CORS_MAX_AGE_PRECISION = ("MR3018", "cors-max-age-precision", Error, None);
    /// A `fault` has neither `abort` nor `delay`.
    /// Add an `abort` or a `delay`, or remove `fault`.
    EMPTY_FAULT = ("MR3019", "empty-fault", Error, None);
    /// A fault abort's `grpcStatus` is not a gRPC status name.
    /// Use a name such as `UNAVAILABLE` or `DEADLINE_EXCEEDED`, not a number.
    INVALID_GRPC_STATUS = ("MR3020", "invalid-grpc-status", Error, None);
    /// A fault type istiod does not support yet (`abort.http2Error`, `delay.exponentialDelay`) is used.
    /// Use `abort.httpStatus` or `abort.grpcStatus`, and `delay.fixedDelay`.
    UNSUPPORTED_FAULT = ("MR3021", "unsupported-fault", Error, None);
    /// An HTTP status (fault abort or direct response) is outside the range istiod accepts.
    /// Use a status from 200 to 599 (istiod also takes 600).
    INVALID_HTTP_STATUS = ("MR3022", "invalid-http-status", Error, None);
    /// A redirect changes nothing: it has no `uri`, `prefixRewrite`, `authority`, `scheme`, `port` or `derivePort`.
    /// Say where to redirect, for example `authority: api.example.com` or `scheme: https`.
    REDIRECT_EMPTY = ("MR3023", "redirect-empty", Error, None);
    /// A redirect uses `prefixRewrite` on a route whose URI matches are not all prefix matches.
    /// Match the URI with `prefix`, or redirect with `uri` instead of `prefixRewrite`.
    REDIRECT_PREFIX_REWRITE_MATCH = ("MR3024", "redirect-prefix-rewrite-match", Error, None);
    /// A redirect's `redirectCode` is not a 3xx status.
    /// Use 301, 302, 303, 307 or 308.
    INVALID_REDIRECT_CODE = ("MR3025", "invalid-redirect-code", Error, None);
    /// A redirect's `scheme` is not `http` or `https`.
    /// Use `http` or `https`, in lower case.
    INVALID_REDIRECT_SCHEME = ("MR3026", "invalid-redirect-scheme", Error, None);
    /// A direct response body is large: over 100 KiB istiod warns that it weighs on the control plane, over 1 MiB it rejects it (reported as an error).
    /// Keep direct responses small, and serve large bodies from a real backend.
    LARGE_DIRECT_RESPONSE = ("MR3027", "large-direct-response", Warning, None);
    /// A retry policy sets `perTryTimeout`, `retryOn` or `retryRemoteLocalities` while `attempts` is 0 (the default), which disables retries.
    /// Set `attempts` to the number of retries wanted, or remove the other retry settings.
    RETRIES_DISABLED_WITH_SETTINGS = ("MR3028", "retries-disabled-with-settings", Error, None);
    /// A `retryOn` entry is not an Envoy retry policy or an HTTP status code.
    /// Use comma-separated policies without spaces, such as `connect-failure,refused-stream,503`.
    INVALID_RETRY_ON = ("MR3029", "invalid-retry-on", Error, None);
    /// A rewrite changes nothing: it has no `uri`, `uriRegexRewrite` or `authority`.
    /// Add what to rewrite, or remove `rewrite`.
    REWRITE_EMPTY = ("MR3030", "rewrite-empty", Error, None);
    /// A `uriRegexRewrite` lacks its `match` or its `rewrite`.
    /// Give both: the RE2 expression in `match` and the replacement in `rewrite`.
    REGEX_REWRITE_INCOMPLETE = ("MR3031", "regex-rewrite-incomplete", Error, None);
    /// A route has several destinations whose weights add up to 0, so it cannot send traffic anywhere.
    /// Give the destinations weights, for example 80 and 20.
    ZERO_TOTAL_WEIGHT = ("MR3032", "zero-total-weight", Error, None);
    /// A TLS route has no `match`; TLS routes are chosen by SNI, so they need one.
    /// Add a `match` with the `sniHosts` the route is for.
    TLS_MATCH_REQUIRED = ("MR3033", "tls-match-required", Error, None);
    /// A TLS match has no `sniHosts`.
    /// List the SNI names (the VirtualService hosts, or some of them) under `sniHosts`.
    SNI_HOSTS_REQUIRED = ("MR3034", "sni-hosts-required", Error, None);
    /// A TLS match's SNI host is not covered by any host of the VirtualService, so the route can never match.
    /// Use SNI names within `spec.hosts`, or add the name to `spec.hosts`.
    SNI_HOST_OUTSIDE_HOSTS = ("MR3035", "sni-host-outside-hosts", Error, None);
    /// A TLS match uses an IP address as SNI host; SNI carries names, and most clients never send an IP there.
    /// Match on the DNS name clients connect to, or route by `destinationSubnets` instead.
    IP_SNI_HOST = ("MR3036", "ip-sni-host", Warning, None);
    /// A route can never be used, because an earlier route without `match` takes all traffic, or earlier routes already take all its matches.
    /// Move catch-all routes last, and remove or reorder the routes shadowed by earlier ones.
    UNREACHABLE_RULE = ("MR3037", "unreachable-rule", Warning, Some("IST0130"));
    /// A match can never be used, because an earlier match is identical or covers it (a shorter URI prefix with the same other conditions).
    /// Remove the match, or put the more specific match first.
    INEFFECTIVE_MATCH = ("MR3038", "ineffective-match", Warning, Some("IST0131"));
}
