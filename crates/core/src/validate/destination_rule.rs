//! DestinationRule validation, following istiod's `ValidateDestinationRule` rule by rule.

use super::Ctx;
use crate::api::DestinationRule;
use crate::diagnostics::codes::destination_rule as codes;

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &DestinationRule) {
    if spec.host.as_ref().is_none_or(|host| host.value.is_empty()) {
        let span = spec.host.as_ref().map_or(Ctx::absent(ctx.resource.span), |host| host.span);
        ctx.report(
            &codes::DR_HOST_REQUIRED,
            span,
            "spec.host",
            "a DestinationRule needs `spec.host`, the service host it applies to",
        );
    }
}
