//! Messages shared by several kinds: selectors, ports, percentages, string matches.

use crate::decode::{Map, Spanned};
use crate::{istio_enum, message};

message! {
    /// `istio.type.v1beta1.WorkloadSelector`, used by DestinationRule and Sidecar.
    pub struct WorkloadSelector {
        match_labels: Map<String> = "matchLabels",
    }
}

message! {
    /// Selects a port by number (`PortSelector`).
    pub struct PortSelector {
        number: u32 = "number",
    }
}

message! {
    /// A percentage in the range [0.0, 100.0] (`Percent`).
    pub struct Percent {
        value: f64 = "value",
    }
}

message! {
    /// `StringMatch`: exactly one of `exact`, `prefix` or `regex` (RE2).
    pub struct StringMatch {
        exact: String = "exact",
        prefix: String = "prefix",
        regex: String = "regex",
    }
}

istio_enum! {
    /// `ServiceEntry.Location`.
    pub enum Location {
        MeshExternal = "MESH_EXTERNAL",
        MeshInternal = "MESH_INTERNAL",
    }
}

/// A list of strings, as in `hosts` or `exportTo`.
pub type Strings = Vec<Spanned<String>>;

/// A value meshroute accepts without reading it (status conditions and the like).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ignored;

impl crate::decode::Decode for Ignored {
    fn decode(
        _node: &crate::yaml::Node<'_>,
        _decoder: &mut crate::decode::Decoder<'_>,
    ) -> Option<Ignored> {
        Some(Ignored)
    }
}
