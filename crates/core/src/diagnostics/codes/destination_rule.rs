//! `MR2xxx`: DestinationRule rules of istiod's `ValidateDestinationRule` and the CRD schema.

crate::define_codes! {
    /// A DestinationRule has no `host`; istiod rejects it.
    /// Set `spec.host` to the ServiceEntry host the policy is for.
    DR_HOST_REQUIRED = ("MR2001", "dr-host-required", Error, None);
}
