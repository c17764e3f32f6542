//! The MeshConfig fields that change outbound routing.
//!
//! MeshConfig has many more fields; meshroute reads the ones below and accepts the others without
//! comment, since a real `mesh` ConfigMap carries dozens that have nothing to do with egress.

use crate::decode::{Decode, Decoder, Duration, Spanned};
use crate::yaml::Node;

use super::{H2UpgradePolicy, LocalityLbSetting, OutboundTrafficPolicy, Strings};

/// The routing-relevant part of `MeshConfig`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshConfig {
    pub span: crate::text::Span,
    pub outbound_traffic_policy: Option<Spanned<OutboundTrafficPolicy>>,
    pub root_namespace: Option<Spanned<String>>,
    pub default_service_export_to: Option<Spanned<Strings>>,
    pub default_virtual_service_export_to: Option<Spanned<Strings>>,
    pub default_destination_rule_export_to: Option<Spanned<Strings>>,
    pub connect_timeout: Option<Spanned<Duration>>,
    pub dns_refresh_rate: Option<Spanned<Duration>>,
    pub locality_lb_setting: Option<Spanned<LocalityLbSetting>>,
    pub h2_upgrade_policy: Option<Spanned<H2UpgradePolicy>>,
    pub enable_auto_mtls: Option<Spanned<bool>>,
}

impl MeshConfig {
    /// The fields meshroute reads; a document with none of them is not taken for a MeshConfig.
    pub const FIELDS: &'static [&'static str] = &[
        "outboundTrafficPolicy",
        "rootNamespace",
        "defaultServiceExportTo",
        "defaultVirtualServiceExportTo",
        "defaultDestinationRuleExportTo",
        "connectTimeout",
        "dnsRefreshRate",
        "localityLbSetting",
        "h2UpgradePolicy",
        "enableAutoMtls",
    ];
}

impl Decode for MeshConfig {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<MeshConfig> {
        let entries = decoder.expect_map(node)?;
        let mut out = MeshConfig { span: node.span, ..MeshConfig::default() };
        for entry in entries {
            let Some(key) = entry.key.as_scalar() else { continue };
            let value = &entry.value;
            match &*key.text {
                "outboundTrafficPolicy" => {
                    out.outbound_traffic_policy = decoder.field("outboundTrafficPolicy", value)
                }
                "rootNamespace" => out.root_namespace = decoder.field("rootNamespace", value),
                "defaultServiceExportTo" => {
                    out.default_service_export_to = decoder.field("defaultServiceExportTo", value)
                }
                "defaultVirtualServiceExportTo" => {
                    out.default_virtual_service_export_to =
                        decoder.field("defaultVirtualServiceExportTo", value)
                }
                "defaultDestinationRuleExportTo" => {
                    out.default_destination_rule_export_to =
                        decoder.field("defaultDestinationRuleExportTo", value)
                }
                "connectTimeout" => out.connect_timeout = decoder.field("connectTimeout", value),
                "dnsRefreshRate" => out.dns_refresh_rate = decoder.field("dnsRefreshRate", value),
                "localityLbSetting" => {
                    out.locality_lb_setting = decoder.field("localityLbSetting", value)
                }
                "h2UpgradePolicy" => {
                    out.h2_upgrade_policy = decoder.field("h2UpgradePolicy", value)
                }
                "enableAutoMtls" => out.enable_auto_mtls = decoder.field("enableAutoMtls", value),
                // The rest of MeshConfig (tracing, access logs, proxy defaults...) is not routing.
                _ => {}
            }
        }
        Some(out)
    }
}
