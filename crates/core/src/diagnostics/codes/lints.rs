//! `MR5xxx`: configurations istiod accepts that do not do what their author meant.
//!
//! These look across resources (a VirtualService and the ServiceEntry its destination names) or
//! at the effect of a field rather than its syntax. They are warnings, or notes where the effect
//! is often intended but rarely known.

crate::define_codes! {
    /// A route names a subset that no DestinationRule for its host defines, so its cluster does not exist and requests get 503 NC.
    /// Define the subset in a DestinationRule for that host, or fix the subset name.
    UNKNOWN_SUBSET = ("MR5001", "unknown-subset", Warning, Some("IST0101"));
    /// A route's destination host is neither a ServiceEntry host nor a Kubernetes service, so there is no cluster and requests get 503 NC.
    /// Add a ServiceEntry for the host, or correct the host to one that exists.
    UNKNOWN_HOST = ("MR5002", "unknown-host", Warning, Some("IST0101"));
    /// A DestinationRule's host matches no ServiceEntry, so its policy applies to nothing.
    /// Point `host` at a ServiceEntry host (hosts are matched as written, not resolved).
    DESTINATION_RULE_UNUSED = ("MR5003", "destination-rule-unused", Warning, None);
    /// A host is only covered by a wildcard ServiceEntry; istiod keys clusters and policies on the wildcard, so a rule for the specific host never applies.
    /// Write the rule for the wildcard host, or add a ServiceEntry for the specific host.
    HOST_UNDER_WILDCARD = ("MR5004", "host-under-wildcard-service-entry", Warning, None);
    /// A DestinationRule originates TLS on an HTTPS or TLS port, where the application already speaks TLS: the sidecar wraps it in a second TLS session.
    /// Declare the port HTTP and let the application send plain HTTP (the TLS-origination pattern), or drop `tls` for this port.
    DOUBLE_TLS = ("MR5005", "double-tls", Warning, None);
    /// A consistent-hash load balancer has no effect with this ServiceEntry's resolution.
    /// NONE forwards to the original IP and DNS_ROUND_ROBIN has one logical host; use STATIC or DNS endpoints to make hashing pick hosts.
    HASH_WITHOUT_EFFECT = ("MR5006", "consistent-hash-without-effect", Warning, None);
    /// A TCP port without `addresses` makes the sidecar send every connection to that port, whatever the destination IP, to this ServiceEntry.
    /// Add the service's `addresses`, or enable DNS capture so Istio can auto-allocate an address for it.
    TCP_PORT_WITHOUT_ADDRESSES = ("MR5007", "tcp-port-without-addresses", Warning, None);
    /// `credentialName` in a DestinationRule without a `workloadSelector` is ignored on sidecars, which then send plaintext.
    /// Add a `workloadSelector` for the client workloads, or use certificate files.
    CREDENTIAL_NAME_ON_SIDECAR = ("MR5008", "credential-name-without-selector", Warning, None);
    /// Outlier detection also turns on locality failover, because the mesh enables locality load balancing by default.
    /// Nothing to fix if that is intended; set `loadBalancer.localityLbSetting.enabled: false` otherwise.
    OUTLIER_ENABLES_FAILOVER = ("MR5009", "outlier-detection-enables-locality-failover", Info, None);
    /// A port-level policy replaces the top-level policy for its port entirely, so top-level blocks it does not repeat are dropped there.
    /// Repeat the dropped blocks in the port-level entry if they should apply to that port too.
    PORT_LEVEL_DROPS_TOP_LEVEL = ("MR5010", "port-level-settings-drop-top-level", Warning, None);
    /// Two VirtualServices for the same host reach the same clients; sidecars use only the first (oldest) and ignore the other.
    /// Merge the routes into one VirtualService per host.
    CONFLICTING_VIRTUAL_SERVICES = ("MR5011", "conflicting-virtual-services", Warning, Some("IST0109"));
    /// A referenced resource exists but is not exported to the namespace that refers to it.
    /// Add the namespace to the resource's `exportTo`, or move the reference.
    NOT_EXPORTED = ("MR5012", "not-exported-to-namespace", Warning, None);
    /// HTTP routes for a host whose ports are all HTTPS or TLS never apply: the sidecar routes those ports as opaque TLS by SNI.
    /// Use `tls` routes with `sniHosts`, or add an HTTP port and let the sidecar originate TLS.
    HTTP_ROUTES_ON_TLS_PORTS = ("MR5014", "http-routes-on-tls-ports", Warning, None);
    /// A UDP port is silently ignored on sidecars: no listener and no cluster are built for it.
    /// Remove the port; Istio does not proxy UDP.
    UDP_PORT_IGNORED = ("MR5015", "udp-port-ignored", Warning, None);
}
