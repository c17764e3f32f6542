//! `MR4xxx`: Sidecar (egress listeners, outbound traffic policy) and mesh settings.

crate::define_codes! {
    /// A Sidecar sets nothing at all; istiod rejects an empty Sidecar.
    /// Add `egress` hosts or an `outboundTrafficPolicy`, or delete the resource.
    SIDECAR_EMPTY = ("MR4001", "sidecar-empty", Error, None);
    /// An egress listener lists no hosts; istiod rejects it.
    /// List the `namespace/host` entries this workload may reach, such as `./*` or `istio-system/*`.
    SIDECAR_EGRESS_NO_HOSTS = ("MR4002", "sidecar-egress-no-hosts", Error, None);
    /// An egress host is not of the form `namespace/host`, or its namespace part is invalid.
    /// Write `namespace/host`, with `.` for the Sidecar's namespace, `*` for any, or `~` to exclude.
    SIDECAR_EGRESS_HOST_FORMAT = ("MR4003", "sidecar-egress-host-format", Error, None);
    /// An egress host is a short name; Sidecar egress hosts must be FQDNs or `*`.
    /// Write the full name, such as `default/reviews.default.svc.cluster.local` or `*/api.stripe.com`.
    SIDECAR_EGRESS_SHORT_NAME = ("MR4004", "sidecar-egress-short-name", Error, None);
    /// An egress host is a partial wildcard such as `*foo.com`, which Sidecars do not allow.
    /// Use a whole-label wildcard such as `*.foo.com`.
    SIDECAR_EGRESS_PARTIAL_WILDCARD = ("MR4005", "sidecar-egress-partial-wildcard", Error, None);
    /// An egress host repeats or is already covered by a `namespace/*` entry of the same listener.
    /// Remove the redundant entry.
    SIDECAR_EGRESS_DUPLICATE_HOST = ("MR4006", "sidecar-egress-duplicate-host", Warning, None);
    /// `*/*` already imports every host, so the other entries of the listener add nothing.
    /// Keep `*/*` alone, or replace it with the specific entries.
    SIDECAR_EGRESS_STAR_WITH_OTHERS = ("MR4007", "sidecar-egress-star-with-others", Warning, None);
    /// The catch-all egress listener (no `port`) must be unique and last.
    /// Move the listener without a port to the end and keep only one.
    SIDECAR_EGRESS_CATCH_ALL = ("MR4008", "sidecar-egress-catch-all", Error, None);
    /// An egress listener port is invalid: a target port, a duplicate number, a bind that is not an IP, or a Unix socket rule.
    /// Give each listener a distinct port in 1..65535 and an IP `bind`, or port 0 with a `unix://` bind.
    SIDECAR_EGRESS_PORT = ("MR4009", "sidecar-egress-port", Error, None);
    /// `outboundTrafficPolicy.egressProxy` is set without `ALLOW_ANY`, without a port, or with an invalid host.
    /// egressProxy only applies with `mode: ALLOW_ANY` and needs a host and port.
    SIDECAR_EGRESS_PROXY = ("MR4010", "sidecar-egress-proxy", Error, None);
    /// `connectTimeout` in the mesh config is outside 1ms..1h.
    /// Use a connect timeout between 1ms and 1h; the default is 10s.
    MESH_CONNECT_TIMEOUT = ("MR4020", "mesh-connect-timeout", Error, None);
    /// `rootNamespace` in the mesh config is not a namespace name.
    /// Use the namespace istiod is installed in, `istio-system` by default.
    MESH_ROOT_NAMESPACE = ("MR4021", "mesh-root-namespace", Error, None);
}
