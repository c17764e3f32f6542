//! `networking.istio.io` Sidecar: the parts that change outbound routing.

use crate::decode::Spanned;
use crate::{istio_enum, message};

use super::{Destination, SeWorkloadSelector, Strings};

message! {
    /// The `spec` of a Sidecar. Ingress settings are read so they are not reported as unknown.
    pub struct Sidecar {
        /// The networking `WorkloadSelector`, keyed `labels` like the ServiceEntry's.
        workload_selector: SeWorkloadSelector = "workloadSelector",
        ingress: Vec<Spanned<crate::api::common::Ignored>> = "ingress",
        egress: Vec<Spanned<IstioEgressListener>> = "egress",
        inbound_connection_pool: crate::api::common::Ignored = "inboundConnectionPool",
        outbound_traffic_policy: OutboundTrafficPolicy = "outboundTrafficPolicy",
    }
}

message! {
    /// `IstioEgressListener`.
    pub struct IstioEgressListener {
        port: SidecarPort = "port",
        bind: String = "bind",
        capture_mode: CaptureMode = "captureMode",
        hosts: Strings = "hosts",
    }
}

message! {
    /// `SidecarPort`.
    pub struct SidecarPort {
        number: u32 = "number",
        protocol: String = "protocol",
        name: String = "name",
        target_port: u32 = "targetPort",
    }
}

istio_enum! {
    /// `CaptureMode`.
    pub enum CaptureMode {
        Default = "DEFAULT",
        Iptables = "IPTABLES",
        None = "NONE",
    }
}

message! {
    /// `OutboundTrafficPolicy`, in a Sidecar or in the mesh config.
    pub struct OutboundTrafficPolicy {
        mode: OutboundMode = "mode",
        /// Hidden in istio/api: where unknown traffic goes under ALLOW_ANY.
        egress_proxy: Destination = "egressProxy",
        /// Mesh-level only: TLS settings for the egress proxy.
        tls: crate::api::ClientTlsSettings = "tls",
    }
}

istio_enum! {
    /// `OutboundTrafficPolicy.Mode`. The proto zero value is `REGISTRY_ONLY`, istiod's default is `ALLOW_ANY`.
    pub enum OutboundMode {
        RegistryOnly = "REGISTRY_ONLY",
        AllowAny = "ALLOW_ANY",
        AllowAnyDynamicDns = "ALLOW_ANY_DYNAMIC_DNS",
    }
}
