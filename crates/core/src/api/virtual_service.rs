//! `networking.istio.io` VirtualService: HTTP, TLS and TCP routes.

use crate::decode::{Duration, Map, Spanned};
use crate::{istio_enum, message};

use super::{Percent, PortSelector, StringMatch, Strings};

message! {
    /// The `spec` of a VirtualService.
    pub struct VirtualService {
        hosts: Strings = "hosts",
        gateways: Strings = "gateways",
        http: Vec<Spanned<HttpRoute>> = "http",
        tls: Vec<Spanned<TlsRoute>> = "tls",
        tcp: Vec<Spanned<TcpRoute>> = "tcp",
        export_to: Strings = "exportTo",
    }
}

message! {
    /// `Destination`: a service host, optional subset and port.
    pub struct Destination {
        host: String = "host",
        subset: String = "subset",
        port: PortSelector = "port",
    }
}

message! {
    /// `HTTPRoute`.
    pub struct HttpRoute {
        name: String = "name",
        matches: Vec<Spanned<HttpMatchRequest>> = "match",
        route: Vec<Spanned<HttpRouteDestination>> = "route",
        redirect: HttpRedirect = "redirect",
        direct_response: HttpDirectResponse = "directResponse",
        delegate: Delegate = "delegate",
        rewrite: HttpRewrite = "rewrite",
        timeout: Duration = "timeout",
        retries: HttpRetry = "retries",
        fault: HttpFaultInjection = "fault",
        mirror: Destination = "mirror",
        mirrors: Vec<Spanned<HttpMirrorPolicy>> = "mirrors",
        /// Deprecated in favour of `mirrorPercentage`.
        mirror_percent: u32 = "mirrorPercent",
        /// The CRD's snake_case alias of `mirrorPercent`.
        mirror_percent_alias: u32 = "mirror_percent",
        mirror_percentage: Percent = "mirrorPercentage",
        cors_policy: CorsPolicy = "corsPolicy",
        headers: Headers = "headers",
    }
}

message! {
    /// `Delegate`: another VirtualService whose routes replace this entry.
    pub struct Delegate {
        name: String = "name",
        namespace: String = "namespace",
    }
}

message! {
    /// `Headers`: operations on request and response headers.
    pub struct Headers {
        request: HeaderOperations = "request",
        response: HeaderOperations = "response",
    }
}

message! {
    /// `Headers.HeaderOperations`.
    pub struct HeaderOperations {
        set: Map<String> = "set",
        add: Map<String> = "add",
        remove: Strings = "remove",
    }
}

message! {
    /// `TLSRoute`: routes TLS by SNI.
    pub struct TlsRoute {
        matches: Vec<Spanned<TlsMatchAttributes>> = "match",
        route: Vec<Spanned<RouteDestination>> = "route",
    }
}

message! {
    /// `TCPRoute`: routes opaque TCP by destination and port.
    pub struct TcpRoute {
        matches: Vec<Spanned<L4MatchAttributes>> = "match",
        route: Vec<Spanned<RouteDestination>> = "route",
    }
}

message! {
    /// `HTTPMatchRequest`: conditions ANDed within one match.
    pub struct HttpMatchRequest {
        name: String = "name",
        uri: StringMatch = "uri",
        scheme: StringMatch = "scheme",
        method: StringMatch = "method",
        authority: StringMatch = "authority",
        headers: Map<StringMatch> = "headers",
        port: u32 = "port",
        source_labels: Map<String> = "sourceLabels",
        gateways: Strings = "gateways",
        query_params: Map<StringMatch> = "queryParams",
        ignore_uri_case: bool = "ignoreUriCase",
        without_headers: Map<StringMatch> = "withoutHeaders",
        source_namespace: String = "sourceNamespace",
        stat_prefix: String = "statPrefix",
    }
}

message! {
    /// `HTTPRouteDestination`.
    pub struct HttpRouteDestination {
        destination: Destination = "destination",
        weight: i32 = "weight",
        headers: Headers = "headers",
    }
}

message! {
    /// `RouteDestination` (TLS and TCP routes).
    pub struct RouteDestination {
        destination: Destination = "destination",
        weight: i32 = "weight",
    }
}

message! {
    /// `L4MatchAttributes`.
    pub struct L4MatchAttributes {
        destination_subnets: Strings = "destinationSubnets",
        port: u32 = "port",
        /// Hidden in istio/api and ignored by istiod.
        source_subnet: String = "sourceSubnet",
        source_labels: Map<String> = "sourceLabels",
        gateways: Strings = "gateways",
        source_namespace: String = "sourceNamespace",
    }
}

message! {
    /// `TLSMatchAttributes`.
    pub struct TlsMatchAttributes {
        sni_hosts: Strings = "sniHosts",
        destination_subnets: Strings = "destinationSubnets",
        port: u32 = "port",
        source_labels: Map<String> = "sourceLabels",
        gateways: Strings = "gateways",
        source_namespace: String = "sourceNamespace",
    }
}

message! {
    /// `HTTPRedirect`.
    pub struct HttpRedirect {
        uri: String = "uri",
        authority: String = "authority",
        port: u32 = "port",
        derive_port: RedirectPortSelection = "derivePort",
        scheme: String = "scheme",
        redirect_code: u32 = "redirectCode",
        prefix_rewrite: String = "prefixRewrite",
    }
}

istio_enum! {
    /// `HTTPRedirect.RedirectPortSelection`.
    pub enum RedirectPortSelection {
        FromProtocolDefault = "FROM_PROTOCOL_DEFAULT",
        FromRequestPort = "FROM_REQUEST_PORT",
    }
}

message! {
    /// `HTTPDirectResponse`.
    pub struct HttpDirectResponse {
        status: u32 = "status",
        body: HttpBody = "body",
    }
}

message! {
    /// `HTTPBody`: one of `string` or `bytes` (base64).
    pub struct HttpBody {
        string: String = "string",
        bytes: String = "bytes",
    }
}

message! {
    /// `HTTPRewrite`.
    pub struct HttpRewrite {
        uri: String = "uri",
        authority: String = "authority",
        uri_regex_rewrite: RegexRewrite = "uriRegexRewrite",
    }
}

message! {
    /// `RegexRewrite`.
    pub struct RegexRewrite {
        regex: String = "match",
        rewrite: String = "rewrite",
    }
}

message! {
    /// `HTTPRetry`.
    pub struct HttpRetry {
        attempts: i32 = "attempts",
        per_try_timeout: Duration = "perTryTimeout",
        retry_on: String = "retryOn",
        retry_remote_localities: bool = "retryRemoteLocalities",
        retry_ignore_previous_hosts: bool = "retryIgnorePreviousHosts",
        backoff: Duration = "backoff",
    }
}

message! {
    /// `CorsPolicy`.
    pub struct CorsPolicy {
        allow_origins: Vec<Spanned<StringMatch>> = "allowOrigins",
        /// Deprecated in favour of `allowOrigins`.
        allow_origin: Strings = "allowOrigin",
        allow_methods: Strings = "allowMethods",
        allow_headers: Strings = "allowHeaders",
        expose_headers: Strings = "exposeHeaders",
        max_age: Duration = "maxAge",
        allow_credentials: bool = "allowCredentials",
        unmatched_preflights: UnmatchedPreflights = "unmatchedPreflights",
    }
}

istio_enum! {
    /// `CorsPolicy.UnmatchedPreflights`.
    pub enum UnmatchedPreflights {
        Unspecified = "UNSPECIFIED",
        Forward = "FORWARD",
        Ignore = "IGNORE",
    }
}

message! {
    /// `HTTPFaultInjection`.
    pub struct HttpFaultInjection {
        delay: FaultDelay = "delay",
        abort: FaultAbort = "abort",
    }
}

message! {
    /// `HTTPFaultInjection.Delay`.
    pub struct FaultDelay {
        fixed_delay: Duration = "fixedDelay",
        exponential_delay: Duration = "exponentialDelay",
        percentage: Percent = "percentage",
        /// Deprecated integer percentage.
        percent: i32 = "percent",
    }
}

message! {
    /// `HTTPFaultInjection.Abort`.
    pub struct FaultAbort {
        http_status: i32 = "httpStatus",
        grpc_status: String = "grpcStatus",
        http2_error: String = "http2Error",
        percentage: Percent = "percentage",
    }
}

message! {
    /// `HTTPMirrorPolicy`.
    pub struct HttpMirrorPolicy {
        destination: Destination = "destination",
        percentage: Percent = "percentage",
    }
}
