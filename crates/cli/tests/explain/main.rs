//! End-to-end tests of `meshroute explain` and `meshroute simulate`, run against the real binary.
//!
//! One test binary with modules, like the lint tests; it borrows their runner, which runs the
//! binary with a deadline in a scratch directory and checks every run for panics and colour codes.

mod output;
mod usage;

// The lint tests' helpers that are about diagnostics go unused here.
#[allow(dead_code)]
#[path = "../lint/support.rs"]
mod support;

/// Egress configuration for the tests: Stripe over TLS, and an HTTP service split 80/20
/// between two subsets with cookie stickiness.
pub(crate) const CONFIG: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: payments}
spec:
  hosts: [api.stripe.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: geo, namespace: geo}
spec:
  hosts: [geo.example.com]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.0.1.1, labels: {version: v1}}
  - {address: 10.0.1.2, labels: {version: v1}}
  - {address: 10.0.2.1, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: geo-split, namespace: geo}
spec:
  hosts: [geo.example.com]
  http:
  - route:
    - destination: {host: geo.example.com, subset: v1}
      weight: 80
    - destination: {host: geo.example.com, subset: v2}
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: geo, namespace: geo}
spec:
  host: geo.example.com
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: session, ttl: 0s}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
";
