//! `MR1xxx`: ServiceEntry rules of istiod's `ValidateServiceEntry` and the CRD schema.

crate::define_codes! {
    /// A ServiceEntry lists no hosts; istiod rejects it.
    /// Add the DNS names the application uses under `spec.hosts`.
    SE_HOSTS_REQUIRED = ("MR1001", "se-hosts-required", Error, None);
    /// A ServiceEntry host is the bare wildcard `*`, which istiod and the CRD reject.
    /// Name the external domains, for example `*.example.com`, or allow all egress through the mesh's outbound traffic policy.
    SE_HOST_WILDCARD_ALL = ("MR1002", "se-host-wildcard-all", Error, None);
    /// A host has a partial wildcard such as `*foo.com`; istiod accepts it with a warning, but it also matches names like `barfoo.com`.
    /// Use a whole-label wildcard (`*.foo.com`) plus the bare name if needed, or resolution DYNAMIC_DNS.
    SE_PARTIAL_WILDCARD_HOST = ("MR1003", "se-partial-wildcard-host", Warning, None);
    /// `addresses` holds a CIDR block while the resolution is DNS, DNS_ROUND_ROBIN or DYNAMIC_DNS; only NONE and STATIC take CIDRs.
    /// Use single IP addresses, or resolution NONE or STATIC for a CIDR range.
    SE_CIDR_REQUIRES_NONE_OR_STATIC = ("MR1004", "se-cidr-requires-none-or-static", Error, None);
    /// Two ports of a ServiceEntry have the same name.
    /// Give each port a unique name, such as `https` and `http-admin`.
    SE_DUPLICATE_PORT_NAME = ("MR1005", "se-duplicate-port-name", Error, None);
    /// Two ports of a ServiceEntry have the same number.
    /// Keep one port per number; one port cannot serve two protocols.
    SE_DUPLICATE_PORT_NUMBER = ("MR1006", "se-duplicate-port-number", Error, None);
    /// A TCP (or unset-protocol) port has no address to match on: the ServiceEntry has no `addresses` and istiod will not allocate one (resolution NONE, or auto-allocation opted out).
    /// Add `addresses`, give the port an HTTP or TLS protocol, or drop the `networking.istio.io/enable-autoallocate-ip: "false"` label.
    SE_ADDRESSES_REQUIRED = ("MR1007", "se-addresses-required", Warning, Some("IST0134"));
    /// Resolution NONE forwards to the original destination IP, so endpoints are not allowed.
    /// Remove `endpoints`, or use resolution STATIC (IP endpoints) or DNS (name endpoints).
    SE_NONE_WITH_ENDPOINTS = ("MR1008", "se-none-with-endpoints", Error, None);
    /// A workload selector is set with resolution NONE, where it has no effect on where traffic goes.
    /// Use resolution STATIC to send traffic to the selected workloads, or remove the selector.
    SE_NONE_WITH_WORKLOAD_SELECTOR = ("MR1009", "se-none-with-workload-selector", Warning, None);
    /// An endpoint has neither an `address` nor a `network`.
    /// Give the endpoint's IP address (STATIC), DNS name (DNS) or `unix://` socket path.
    SE_ENDPOINT_ADDRESS_REQUIRED = ("MR1010", "se-endpoint-address-required", Error, None);
    /// A STATIC endpoint has no address but a network, so it is only reachable through that network's gateway.
    /// Set `address` unless the endpoint really is reached through the network gateway.
    SE_ENDPOINT_ADDRESS_UNSET_WITH_NETWORK = ("MR1011", "se-endpoint-address-unset-with-network", Warning, None);
    /// A `unix://` endpoint address is not an absolute socket path or an abstract socket name.
    /// Write `unix:///var/run/app.sock` (absolute file path) or `unix://@name` (abstract socket), without a trailing `/`.
    SE_INVALID_UNIX_ADDRESS = ("MR1012", "se-invalid-unix-address", Error, None);
    /// A `unix://` endpoint lists ports, which a Unix domain socket does not have.
    /// Remove the endpoint's `ports`.
    SE_UNIX_ENDPOINT_WITH_PORTS = ("MR1013", "se-unix-endpoint-with-ports", Error, None);
    /// A STATIC endpoint address is not an IP address (nor a `unix://` path); STATIC never resolves names.
    /// Use the endpoint's IP address, or resolution DNS to resolve the name.
    SE_STATIC_ENDPOINT_NOT_IP = ("MR1014", "se-static-endpoint-not-ip", Error, None);
    /// An endpoint maps a port name that none of the ServiceEntry's ports has.
    /// Use the `name` of one of the entries in `spec.ports` as the key.
    SE_ENDPOINT_PORT_UNDEFINED = ("MR1015", "se-endpoint-port-undefined", Error, None);
    /// A STATIC ServiceEntry with a `unix://` endpoint does not have exactly one port.
    /// Declare exactly one port: the socket serves a single stream.
    SE_UNIX_ENDPOINT_PORT_COUNT = ("MR1016", "se-unix-endpoint-port-count", Error, None);
    /// With resolution DNS or DNS_ROUND_ROBIN and no endpoints, istiod resolves the hosts themselves, so each must be a plain DNS name.
    /// Replace the wildcard host by the exact names, add endpoints, or use resolution NONE or DYNAMIC_DNS for wildcards.
    SE_DNS_HOST_NOT_FQDN = ("MR1017", "se-dns-host-not-fqdn", Error, None);
    /// Resolution DNS_ROUND_ROBIN takes at most one endpoint.
    /// Keep one endpoint, or use resolution DNS to spread traffic over several.
    SE_DNS_ROUND_ROBIN_ENDPOINTS = ("MR1018", "se-dns-round-robin-endpoints", Error, None);
    /// A DNS or DNS_ROUND_ROBIN endpoint address is neither an IP address nor a DNS name.
    /// Use a resolvable DNS name such as `db.internal.example.com`, or an IP address.
    SE_DNS_ENDPOINT_INVALID_ADDRESS = ("MR1019", "se-dns-endpoint-invalid-address", Error, None);
    /// A DNS ServiceEntry with `addresses` has several hosts and a TCP-family port; all hosts share the addresses, so istiod warns.
    /// Split the hosts into one ServiceEntry each with its own address.
    SE_MULTIPLE_HOSTS_WITH_ADDRESSES = ("MR1020", "se-multiple-hosts-with-addresses", Warning, None);
    /// Resolution DYNAMIC_DNS takes only wildcard hosts.
    /// Write the host as `*.example.com`, or use resolution DNS for an exact name.
    SE_DYNAMIC_DNS_HOST_NOT_WILDCARD = ("MR1021", "se-dynamic-dns-host-not-wildcard", Error, None);
    /// Resolution DYNAMIC_DNS does not take `addresses`; routes are built from the host names.
    /// Remove `addresses`.
    SE_DYNAMIC_DNS_ADDRESSES = ("MR1022", "se-dynamic-dns-addresses", Error, None);
    /// Resolution DYNAMIC_DNS does not take `endpoints`; destinations are resolved from the requested names.
    /// Remove `endpoints`, or use resolution DNS with explicit endpoints.
    SE_DYNAMIC_DNS_ENDPOINTS = ("MR1023", "se-dynamic-dns-endpoints", Error, None);
    /// Resolution DYNAMIC_DNS supports only HTTP, HTTP2, GRPC and TLS ports.
    /// Set the port protocol to one of these (TLS for HTTPS traffic); TCP and sniffed ports cannot be resolved per request.
    SE_DYNAMIC_DNS_PROTOCOL = ("MR1024", "se-dynamic-dns-protocol", Error, None);
    /// A MESH_INTERNAL DYNAMIC_DNS ServiceEntry uses a waypoint, which istiod does not support.
    /// Use location MESH_EXTERNAL, or set the `istio.io/use-waypoint` label to `none`.
    SE_DYNAMIC_DNS_INTERNAL_WAYPOINT = ("MR1025", "se-dynamic-dns-internal-waypoint", Error, None);
    /// A resolved ServiceEntry has several hosts and a port that is neither HTTP nor TLS, where the proxy cannot tell the hosts apart.
    /// Use one ServiceEntry per host for TCP ports, give the port an HTTP or TLS protocol, or use resolution NONE.
    SE_MULTIPLE_HOSTS_TCP = ("MR1026", "se-multiple-hosts-tcp", Error, None);
}
