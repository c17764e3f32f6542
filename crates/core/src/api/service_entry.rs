//! `networking.istio.io` ServiceEntry and the WorkloadEntry it uses for endpoints.

use crate::decode::{Map, Spanned};
use crate::{istio_enum, message};

use super::{Location, Strings};

message! {
    /// The `spec` of a ServiceEntry.
    pub struct ServiceEntry {
        hosts: Strings = "hosts",
        addresses: Strings = "addresses",
        ports: Vec<Spanned<ServicePort>> = "ports",
        location: Location = "location",
        resolution: Resolution = "resolution",
        endpoints: Vec<Spanned<WorkloadEntry>> = "endpoints",
        workload_selector: SeWorkloadSelector = "workloadSelector",
        export_to: Strings = "exportTo",
        subject_alt_names: Strings = "subjectAltNames",
    }
}

message! {
    /// `ServicePort`. `protocol` stays a string: Istio parses it case-insensitively.
    pub struct ServicePort {
        number: u32 = "number",
        protocol: String = "protocol",
        name: String = "name",
        target_port: u32 = "targetPort",
    }
}

message! {
    /// The ServiceEntry's own `WorkloadSelector`, which uses `labels` rather than `matchLabels`.
    pub struct SeWorkloadSelector {
        labels: Map<String> = "labels",
    }
}

message! {
    /// `WorkloadEntry` as an inline endpoint.
    pub struct WorkloadEntry {
        address: String = "address",
        ports: Map<u32> = "ports",
        labels: Map<String> = "labels",
        network: String = "network",
        locality: String = "locality",
        weight: u32 = "weight",
        service_account: String = "serviceAccount",
    }
}

istio_enum! {
    /// `ServiceEntry.Resolution`; the proto default is `NONE`.
    pub enum Resolution {
        None = "NONE",
        Static = "STATIC",
        Dns = "DNS",
        DnsRoundRobin = "DNS_ROUND_ROBIN",
        DynamicDns = "DYNAMIC_DNS",
    }
}

message! {
    /// `ServiceEntry` status, of which meshroute reads the auto-allocated addresses.
    pub struct ServiceEntryStatus {
        addresses: Vec<Spanned<ServiceEntryAddress>> = "addresses",
        conditions: Vec<Spanned<crate::api::common::Ignored>> = "conditions",
        observed_generation: i64 = "observedGeneration",
        validation_messages: Vec<Spanned<crate::api::common::Ignored>> = "validationMessages",
    }
}

message! {
    /// One auto-allocated address written by istiod's IP allocation controller.
    pub struct ServiceEntryAddress {
        value: String = "value",
        host: String = "host",
    }
}
