//! The generated mesh both benchmarks use: exact and wildcard hosts, rules and routes.

/// `service_entries` ServiceEntries (a quarter wildcard NONE entries, a quarter STATIC with a
/// CIDR, half DNS with HTTPS and HTTP ports), `rules` DestinationRules and `virtual_services`
/// VirtualServices targeting the DNS entries.
pub(crate) fn generate(service_entries: usize, rules: usize, virtual_services: usize) -> String {
    let mut out =
        String::with_capacity(service_entries * 400 + rules * 700 + virtual_services * 800);
    for idx in 0..service_entries {
        let namespace = format!("team-{}", idx % 50);
        if idx % 4 == 3 {
            // A quarter are wildcard entries, which only NONE resolution accepts without endpoints.
            out.push_str(&format!(
                "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: wild-{idx}\n  namespace: {namespace}\nspec:\n  hosts:\n  - \"*.zone-{idx}.example.org\"\n  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n  resolution: NONE\n  location: MESH_EXTERNAL\n"
            ));
        } else if idx % 4 == 2 {
            out.push_str(&format!(
                "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: static-{idx}\n  namespace: {namespace}\nspec:\n  hosts:\n  - svc-{idx}.internal.example.com\n  addresses:\n  - 10.{}.{}.0/24\n  ports:\n  - number: 8080\n    name: http\n    protocol: HTTP\n  resolution: STATIC\n  location: MESH_INTERNAL\n  endpoints:\n  - address: 10.{}.{}.10\n    labels:\n      version: v1\n  - address: 10.{}.{}.11\n    labels:\n      version: v2\n",
                idx / 256 % 256, idx % 256, idx / 256 % 256, idx % 256, idx / 256 % 256, idx % 256
            ));
        } else {
            out.push_str(&format!(
                "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: api-{idx}\n  namespace: {namespace}\nspec:\n  hosts:\n  - api-{idx}.example.com\n  ports:\n  - number: 443\n    name: https\n    protocol: HTTPS\n  - number: 80\n    name: http\n    protocol: HTTP\n    targetPort: 443\n  resolution: DNS\n  location: MESH_EXTERNAL\n  exportTo:\n  - \".\"\n  - istio-system\n"
            ));
        }
    }
    for rule_idx in 0..rules {
        // Rules and routes target the DNS entries (indices 0 and 1 modulo 4), in their namespace.
        let idx = rule_idx / 2 * 4 + rule_idx % 2;
        let namespace = format!("team-{}", idx % 50);
        out.push_str(&format!(
            "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: api-{idx}\n  namespace: {namespace}\nspec:\n  host: api-{idx}.example.com\n  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 100\n        connectTimeout: 5s\n      http:\n        http1MaxPendingRequests: 50\n        maxRequestsPerConnection: 10\n    outlierDetection:\n      consecutive5xxErrors: 5\n      interval: 30s\n      baseEjectionTime: 60s\n    portLevelSettings:\n    - port:\n        number: 80\n      connectionPool:\n        tcp:\n          maxConnections: 100\n      outlierDetection:\n        consecutive5xxErrors: 5\n      tls:\n        mode: SIMPLE\n        sni: api-{idx}.example.com\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n"
        ));
    }
    for route_idx in 0..virtual_services {
        let idx = route_idx / 2 * 4 + route_idx % 2;
        let namespace = format!("team-{}", idx % 50);
        out.push_str(&format!(
            "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: api-{idx}\n  namespace: {namespace}\nspec:\n  hosts:\n  - api-{idx}.example.com\n  http:\n  - name: checkout\n    match:\n    - uri:\n        prefix: /v1/checkout\n      headers:\n        x-tenant:\n          regex: \"tenant-[0-9]+\"\n    timeout: 10s\n    retries:\n      attempts: 3\n      perTryTimeout: 3s\n      retryOn: 5xx,reset,connect-failure\n    route:\n    - destination:\n        host: api-{idx}.example.com\n        subset: v1\n        port:\n          number: 80\n      weight: 80\n    - destination:\n        host: api-{idx}.example.com\n        subset: v2\n        port:\n          number: 80\n      weight: 20\n  - route:\n    - destination:\n        host: api-{idx}.example.com\n        port:\n          number: 80\n"
        ));
    }
    out
}
