//! `MR3xxx`: VirtualService rules of istiod's `ValidateVirtualService` and the CRD schema.

crate::define_codes! {
    /// A VirtualService that is not a delegate lists no hosts; istiod rejects it.
    /// Add the hosts the routes apply to under `spec.hosts`.
    VS_HOSTS_REQUIRED = ("MR3001", "vs-hosts-required", Error, None);
}
