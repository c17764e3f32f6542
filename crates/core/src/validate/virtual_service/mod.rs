//! VirtualService validation, following istiod's `ValidateVirtualService` rule by rule.

use super::Ctx;
use crate::api::VirtualService;
use crate::diagnostics::codes::virtual_service as codes;

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &VirtualService) {
    let is_delegate = spec.hosts.as_ref().is_none_or(|hosts| hosts.value.is_empty());
    let has_gateways_or_routes_only_for_delegate =
        spec.tls.is_some() || spec.tcp.is_some() || spec.gateways.is_some();
    if is_delegate && has_gateways_or_routes_only_for_delegate {
        let span = spec.hosts.as_ref().map_or(Ctx::absent(ctx.resource.span), |hosts| hosts.span);
        ctx.report(&codes::VS_HOSTS_REQUIRED, span, "spec.hosts", "a VirtualService needs at least one host in `spec.hosts` (only delegate VirtualServices, with http routes alone, have none)");
    }
}
