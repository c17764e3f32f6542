//! `MR2xxx`: DestinationRule rules of istiod's `ValidateDestinationRule` and the CRD schema.
//!
//! Generic value problems (durations, percentages, hosts, ports, labels, exportTo, oneof
//! conflicts, missing fields, ranges, deprecated fields) use the shared `MR09xx` codes; the codes
//! here are the rules only a DestinationRule has. Codes marked "meshroute lint" flag settings
//! that istiod accepts but that do not do what their author meant.

crate::define_codes! {
    /// A DestinationRule has no `host`; istiod rejects it.
    /// Set `spec.host` to the ServiceEntry host the policy is for.
    DR_HOST_REQUIRED = ("MR2001", "dr-host-required", Error, None);
    /// A traffic policy, a port-level policy or a connection pool is present but sets nothing; istiod rejects it.
    /// Add the settings meant for it, or remove the empty block.
    DR_EMPTY_POLICY = ("MR2002", "dr-empty-policy", Error, None);
    /// A traffic policy sets both `tunnel` and `proxyProtocol`, which istiod rejects; it then checks nothing else in that policy.
    /// Keep one of the two: a tunnelled connection cannot also carry a PROXY protocol header.
    DR_TUNNEL_WITH_PROXY_PROTOCOL = ("MR2003", "dr-tunnel-with-proxy-protocol", Error, None);
    /// Two subsets of one DestinationRule have the same name; istiod rejects it.
    /// Give every subset a unique name; routes pick subsets by name.
    DR_DUPLICATE_SUBSET = ("MR2004", "dr-duplicate-subset-name", Error, None);
    /// `consecutiveLocalOriginFailures` is set while `splitExternalLocalOriginErrors` is off, which istiod rejects because the count would never be used.
    /// Set `splitExternalLocalOriginErrors: true`, or remove `consecutiveLocalOriginFailures`.
    DR_LOCAL_ORIGIN_WITHOUT_SPLIT = ("MR2005", "dr-local-origin-failures-without-split", Error, None);
    /// `h2UpgradePolicy: UPGRADE` is combined with `useClientProtocol: true`; istiod rejects it.
    /// Use the client's protocol or force the upgrade, not both.
    DR_H2_UPGRADE_WITH_CLIENT_PROTOCOL = ("MR2006", "dr-h2-upgrade-with-client-protocol", Error, None);
    /// An `httpCookie` lists the same attribute name twice; istiod rejects it.
    /// Keep one attribute per name.
    DR_DUPLICATE_COOKIE_ATTRIBUTE = ("MR2007", "dr-duplicate-cookie-attribute", Error, None);
    /// A Maglev `tableSize` is not a prime number; istiod rejects it, as Envoy would.
    /// Use a prime below 5000011, such as 65537 (the default) or 131071.
    DR_MAGLEV_TABLE_SIZE_NOT_PRIME = ("MR2008", "dr-maglev-table-size-not-prime", Error, None);
    /// meshroute lint: a `consistentHash` names no hash key, so Envoy hashes a random value and requests are not sticky at all.
    /// Set one of `httpHeaderName`, `httpCookie`, `useSourceIp` or `httpQueryParameterName`.
    DR_CONSISTENT_HASH_WITHOUT_KEY = ("MR2009", "dr-consistent-hash-without-key", Warning, None);
    /// The locality weights of one `distribute` entry do not add up to 100; istiod rejects it.
    /// Adjust the weights under `to` so that they total exactly 100.
    DR_LOCALITY_WEIGHTS_NOT_100 = ("MR2010", "dr-locality-weights-not-100", Error, None);
    /// A locality is malformed: an empty region, zone or subzone, or a `*` that is not the last character; istiod rejects it.
    /// Write `region`, `region/zone` or `region/zone/subzone`, with `*` only at the very end.
    DR_INVALID_LOCALITY = ("MR2011", "dr-invalid-locality", Error, None);
    /// A locality repeats or falls inside one listed before it in the same list; istiod rejects it.
    /// List each region, zone or subzone once, and not both a region and a zone inside it.
    DR_OVERLAPPING_LOCALITIES = ("MR2012", "dr-overlapping-localities", Error, None);
    /// A locality `failover` entry does not name two different plain regions; istiod rejects it.
    /// `from` and `to` must be different region names, without `/` or `*`.
    DR_INVALID_FAILOVER = ("MR2013", "dr-invalid-failover", Error, None);
    /// `failoverPriority` names a region, zone or subzone topology label where istiod forbids it (with `failover` in locality settings, always in zone-aware settings).
    /// Remove `topology.kubernetes.io/region`, `topology.kubernetes.io/zone` and `topology.istio.io/subzone` from `failoverPriority`; locality already orders by them.
    DR_FAILOVER_PRIORITY_TOPOLOGY_LABEL = ("MR2014", "dr-failover-priority-topology-label", Error, None);
    /// Locality failover is configured without `outlierDetection` in the same policy, so istiod never applies it; istiod warns.
    /// Add an `outlierDetection` block next to the `loadBalancer`; failover only happens for endpoints that outlier detection ejects.
    DR_FAILOVER_WITHOUT_OUTLIER_DETECTION = ("MR2015", "dr-failover-without-outlier-detection", Warning, None);
    /// A `configmap://` credentialName is malformed or names another namespace; istiod rejects it.
    /// Write `configmap://<this namespace>/<name>`.
    DR_INVALID_CONFIGMAP_CREDENTIAL = ("MR2016", "dr-invalid-configmap-credential", Error, None);
    /// `insecureSkipVerify: true` is combined with settings that only serve certificate verification (`caCertificates`, `subjectAltNames`, or `credentialName` in SIMPLE mode); istiod rejects it.
    /// Either verify the server (drop `insecureSkipVerify`) or skip it (drop the CA and SAN settings).
    DR_INSECURE_SKIP_VERIFY_CONFLICT = ("MR2017", "dr-insecure-skip-verify-with-verification", Error, None);
    /// SIMPLE or MUTUAL TLS sets `credentialName` together with file paths (`clientCertificate`, `privateKey`, `caCertificates`, `caCrl`); istiod rejects it.
    /// Put the certificates in the secret named by `credentialName`, or use the file fields only.
    DR_CREDENTIAL_NAME_WITH_FILES = ("MR2018", "dr-credential-name-with-files", Error, None);
    /// MUTUAL TLS without `credentialName` lacks `clientCertificate` or `privateKey`; istiod rejects it.
    /// Give both file paths, or name a secret holding them with `credentialName`.
    DR_MUTUAL_TLS_WITHOUT_CERT = ("MR2019", "dr-mutual-tls-without-certificate", Error, None);
    /// meshroute lint: TLS file or secret settings are given with mode DISABLE (the default) or ISTIO_MUTUAL, which ignore them.
    /// Set `mode: SIMPLE` or `mode: MUTUAL` to originate TLS with them, or remove them.
    DR_TLS_FIELDS_IGNORED = ("MR2020", "dr-tls-fields-ignored", Warning, None);
    /// A `tunnel.protocol` is neither `CONNECT` nor `POST`; istiod rejects it.
    /// Use `CONNECT` (the default when empty) or `POST`, in capitals.
    DR_INVALID_TUNNEL_PROTOCOL = ("MR2021", "dr-invalid-tunnel-protocol", Error, None);
    /// meshroute lint: two `portLevelSettings` entries name the same port; istiod uses the first and silently ignores the later one.
    /// Merge the two entries into one.
    DR_DUPLICATE_PORT_POLICY = ("MR2022", "dr-duplicate-port-policy", Warning, None);
}
