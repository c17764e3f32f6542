//! `networking.istio.io` DestinationRule: traffic policy, subsets, TLS origination.

use crate::decode::{Duration, Map, Spanned};
use crate::{istio_enum, message};

use super::{PortSelector, Strings, WorkloadSelector};

message! {
    /// The `spec` of a DestinationRule.
    pub struct DestinationRule {
        host: String = "host",
        traffic_policy: TrafficPolicy = "trafficPolicy",
        subsets: Vec<Spanned<Subset>> = "subsets",
        export_to: Strings = "exportTo",
        workload_selector: WorkloadSelector = "workloadSelector",
    }
}

message! {
    /// `TrafficPolicy`.
    pub struct TrafficPolicy {
        load_balancer: LoadBalancerSettings = "loadBalancer",
        connection_pool: ConnectionPoolSettings = "connectionPool",
        outlier_detection: OutlierDetection = "outlierDetection",
        tls: ClientTlsSettings = "tls",
        port_level_settings: Vec<Spanned<PortTrafficPolicy>> = "portLevelSettings",
        tunnel: TunnelSettings = "tunnel",
        proxy_protocol: ProxyProtocol = "proxyProtocol",
        retry_budget: RetryBudget = "retryBudget",
    }
}

message! {
    /// `TrafficPolicy.PortTrafficPolicy`: replaces the top-level policy for one port.
    pub struct PortTrafficPolicy {
        port: PortSelector = "port",
        load_balancer: LoadBalancerSettings = "loadBalancer",
        connection_pool: ConnectionPoolSettings = "connectionPool",
        outlier_detection: OutlierDetection = "outlierDetection",
        tls: ClientTlsSettings = "tls",
    }
}

message! {
    /// `TrafficPolicy.TunnelSettings`.
    pub struct TunnelSettings {
        protocol: String = "protocol",
        target_host: String = "targetHost",
        target_port: u32 = "targetPort",
    }
}

message! {
    /// `TrafficPolicy.ProxyProtocol`.
    pub struct ProxyProtocol {
        version: ProxyProtocolVersion = "version",
    }
}

istio_enum! {
    /// `TrafficPolicy.ProxyProtocol.VERSION`.
    pub enum ProxyProtocolVersion {
        V1 = "V1",
        V2 = "V2",
    }
}

message! {
    /// `TrafficPolicy.RetryBudget`.
    pub struct RetryBudget {
        percent: f64 = "percent",
        min_retry_concurrency: u32 = "minRetryConcurrency",
        budget_interval: Duration = "budgetInterval",
    }
}

message! {
    /// `Subset`: a named group of endpoints selected by labels, with its own policy.
    pub struct Subset {
        name: String = "name",
        labels: Map<String> = "labels",
        traffic_policy: TrafficPolicy = "trafficPolicy",
    }
}

message! {
    /// `LoadBalancerSettings`: one of `simple` or `consistentHash`, plus locality and warmup.
    pub struct LoadBalancerSettings {
        simple: SimpleLb = "simple",
        consistent_hash: ConsistentHashLb = "consistentHash",
        locality_lb_setting: LocalityLbSetting = "localityLbSetting",
        warmup_duration_secs: Duration = "warmupDurationSecs",
        warmup: WarmupConfiguration = "warmup",
        zone_aware_lb_setting: ZoneAwareLbSetting = "zoneAwareLbSetting",
    }
}

message! {
    /// `ZoneAwareLoadBalancerSetting` (istio/api after 1.30).
    pub struct ZoneAwareLbSetting {
        enabled: bool = "enabled",
        failover: Vec<Spanned<LocalityFailover>> = "failover",
        failover_priority: Strings = "failoverPriority",
        min_cluster_size: u64 = "minClusterSize",
    }
}

istio_enum! {
    /// `LoadBalancerSettings.SimpleLB`.
    pub enum SimpleLb {
        Unspecified = "UNSPECIFIED",
        LeastConn = "LEAST_CONN",
        Random = "RANDOM",
        Passthrough = "PASSTHROUGH",
        RoundRobin = "ROUND_ROBIN",
        LeastRequest = "LEAST_REQUEST",
    }
}

message! {
    /// `LoadBalancerSettings.ConsistentHashLB`: one hash key and at most one of ring hash or Maglev.
    pub struct ConsistentHashLb {
        http_header_name: String = "httpHeaderName",
        http_cookie: HttpCookie = "httpCookie",
        use_source_ip: bool = "useSourceIp",
        http_query_parameter_name: String = "httpQueryParameterName",
        ring_hash: RingHash = "ringHash",
        maglev: MagLev = "maglev",
        /// Deprecated in favour of `ringHash.minimumRingSize`.
        minimum_ring_size: u64 = "minimumRingSize",
    }
}

message! {
    /// `ConsistentHashLB.HTTPCookie`.
    pub struct HttpCookie {
        name: String = "name",
        path: String = "path",
        ttl: Duration = "ttl",
        attributes: Vec<Spanned<CookieAttribute>> = "attributes",
    }
}

message! {
    /// `ConsistentHashLB.HTTPCookie.Attribute`.
    pub struct CookieAttribute {
        name: String = "name",
        value: String = "value",
    }
}

message! {
    /// `ConsistentHashLB.RingHash`.
    pub struct RingHash {
        minimum_ring_size: u64 = "minimumRingSize",
    }
}

message! {
    /// `ConsistentHashLB.MagLev`.
    pub struct MagLev {
        table_size: u64 = "tableSize",
    }
}

message! {
    /// `WarmupConfiguration`.
    pub struct WarmupConfiguration {
        duration: Duration = "duration",
        minimum_percent: f64 = "minimumPercent",
        aggression: f64 = "aggression",
    }
}

message! {
    /// `LocalityLoadBalancerSetting`.
    pub struct LocalityLbSetting {
        distribute: Vec<Spanned<LocalityDistribute>> = "distribute",
        failover: Vec<Spanned<LocalityFailover>> = "failover",
        failover_priority: Strings = "failoverPriority",
        enabled: bool = "enabled",
    }
}

message! {
    /// `LocalityLoadBalancerSetting.Distribute`.
    pub struct LocalityDistribute {
        from: String = "from",
        to: Map<u32> = "to",
    }
}

message! {
    /// `LocalityLoadBalancerSetting.Failover`.
    pub struct LocalityFailover {
        from: String = "from",
        to: String = "to",
    }
}

message! {
    /// `ConnectionPoolSettings`.
    pub struct ConnectionPoolSettings {
        tcp: TcpSettings = "tcp",
        http: HttpSettings = "http",
    }
}

message! {
    /// `ConnectionPoolSettings.TCPSettings`.
    pub struct TcpSettings {
        max_connections: i32 = "maxConnections",
        connect_timeout: Duration = "connectTimeout",
        tcp_keepalive: TcpKeepalive = "tcpKeepalive",
        max_connection_duration: Duration = "maxConnectionDuration",
        idle_timeout: Duration = "idleTimeout",
    }
}

message! {
    /// `ConnectionPoolSettings.TCPSettings.TcpKeepalive`.
    pub struct TcpKeepalive {
        probes: u32 = "probes",
        time: Duration = "time",
        interval: Duration = "interval",
    }
}

message! {
    /// `ConnectionPoolSettings.HTTPSettings`.
    pub struct HttpSettings {
        http1_max_pending_requests: i32 = "http1MaxPendingRequests",
        http2_max_requests: i32 = "http2MaxRequests",
        max_requests_per_connection: i32 = "maxRequestsPerConnection",
        max_retries: i32 = "maxRetries",
        idle_timeout: Duration = "idleTimeout",
        h2_upgrade_policy: H2UpgradePolicy = "h2UpgradePolicy",
        use_client_protocol: bool = "useClientProtocol",
        max_concurrent_streams: i32 = "maxConcurrentStreams",
        http2_keep_alive: ConnectionKeepalive = "http2KeepAlive",
    }
}

message! {
    /// `ConnectionPoolSettings.HTTPSettings.ConnectionKeepalive`: HTTP/2 PING settings.
    pub struct ConnectionKeepalive {
        interval: Duration = "interval",
        timeout: Duration = "timeout",
    }
}

istio_enum! {
    /// `ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy`.
    pub enum H2UpgradePolicy {
        Default = "DEFAULT",
        DoNotUpgrade = "DO_NOT_UPGRADE",
        Upgrade = "UPGRADE",
    }
}

message! {
    /// `OutlierDetection`.
    pub struct OutlierDetection {
        split_external_local_origin_errors: bool = "splitExternalLocalOriginErrors",
        consecutive_local_origin_failures: u32 = "consecutiveLocalOriginFailures",
        consecutive_gateway_errors: u32 = "consecutiveGatewayErrors",
        consecutive_5xx_errors: u32 = "consecutive5xxErrors",
        /// Deprecated and ignored by istiod.
        consecutive_errors: i32 = "consecutiveErrors",
        interval: Duration = "interval",
        base_ejection_time: Duration = "baseEjectionTime",
        max_ejection_percent: i32 = "maxEjectionPercent",
        min_health_percent: i32 = "minHealthPercent",
        outlier_detection_http_error_codes: Vec<Spanned<u32>> = "outlierDetectionHttpErrorCodes",
    }
}

message! {
    /// `ClientTLSSettings`: TLS origination towards the upstream.
    pub struct ClientTlsSettings {
        mode: TlsMode = "mode",
        client_certificate: String = "clientCertificate",
        private_key: String = "privateKey",
        ca_certificates: String = "caCertificates",
        credential_name: String = "credentialName",
        subject_alt_names: Strings = "subjectAltNames",
        sni: String = "sni",
        insecure_skip_verify: bool = "insecureSkipVerify",
        ca_crl: String = "caCrl",
    }
}

istio_enum! {
    /// `ClientTLSSettings.TLSmode`.
    pub enum TlsMode {
        Disable = "DISABLE",
        Simple = "SIMPLE",
        Mutual = "MUTUAL",
        IstioMutual = "ISTIO_MUTUAL",
    }
}
