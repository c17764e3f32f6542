//! ServiceEntry validation, following istiod's `ValidateServiceEntry` rule by rule.

use super::Ctx;
use crate::api::ServiceEntry;
use crate::diagnostics::codes::service_entry as codes;

pub(super) fn validate(ctx: &mut Ctx<'_>, spec: &ServiceEntry) {
    let hosts = spec.hosts.as_ref().map_or(&[][..], |hosts| &hosts.value[..]);
    if hosts.is_empty() {
        let span = spec.hosts.as_ref().map_or(Ctx::absent(ctx.resource.span), |hosts| hosts.span);
        ctx.report(
            &codes::SE_HOSTS_REQUIRED,
            span,
            "spec.hosts",
            "a ServiceEntry needs at least one host in `spec.hosts`",
        );
    }
}
