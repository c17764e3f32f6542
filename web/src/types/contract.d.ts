// The contract's objects as TypeScript types, generated from crates/wire/schema/*.schema.json by
// web/scripts/schema-types.mjs; do not edit by hand (`make test-web` checks it is current).

/** One outbound request from a sidecar, as `meshroute explain`, the playground's `explain()` and the explain cases send it (crates/wire/CONTRACT.md, "Request"). Every field is optional except that `host` or `dest_ip` must be given; absent fields take the defaults listed in CONTRACT.md, applied by the engine. Fields may be added in later versions. */
export type Request = {
  /** Namespace of the calling workload (its sidecar). Default `default`. */
  from?: string;
  /** Labels of the calling workload, for `sourceLabels` matches and Sidecar `workloadSelector`. Default none. */
  source_labels?: StringMap;
  /** HTTP Host / `:authority`, TLS SNI, or the name the application resolved; a `:port` suffix is ignored. */
  host?: string;
  /** Destination port. Default 80 for http, http2 and grpc, 443 for https and tls; required for tcp. */
  port?: number;
  /** What the application sends: plaintext HTTP/1.1 (`http`), h2c (`http2`, `grpc`), TLS (`https` is the same as `tls`) or opaque TCP. Default `http`. */
  protocol?: "http" | "http2" | "grpc" | "https" | "tls" | "tcp";
  /** HTTP method. Default `GET`. */
  method?: string;
  /** `:path`, query string included. Default `/`. */
  path?: string;
  /** Request headers; names are case-insensitive. A list sends the header once per value. */
  headers?: {
    [key: string]: string | string[];
  };
  /** Cookies, sent together as one `cookie` header. */
  cookies?: StringMap;
  /** Query parameters, appended to `path` as `?k=v&...`. */
  query?: StringMap;
  /** The calling pod's IPv4 or IPv6 address (the connection's peer). Default `10.0.0.1`. */
  source_ip?: string;
  /** The IPv4 or IPv6 address the application connected to (what DNS answered). Default none. */
  dest_ip?: string;
  /** Overrides the outbound traffic policy. Default: the input's Sidecar or mesh setting, else `ALLOW_ANY`. */
  outbound_policy?: "ALLOW_ANY" | "REGISTRY_ONLY";
  /** Whether the sidecar runs Istio's DNS proxy (`ISTIO_META_DNS_CAPTURE`), so that auto-allocated addresses in a ServiceEntry's `status.addresses` are used. Default false. */
  dns_capture?: boolean;
  /** Stand-in DNS answers for the endpoints of DNS and DNS_ROUND_ROBIN ServiceEntries: host name to IP addresses. */
  dns?: {
    [key: string]: string[];
  };
} & ({ host: string } | { dest_ip: string });

/** A map of strings to strings. */
export type StringMap = { [key: string]: string };

/** What a sidecar does with one outbound request, and why (crates/wire/CONTRACT.md, "Explanation"). Every field of the contract is always present, null when it has no value; none is renamed or removed. New fields may appear at the top level at any time; nested objects list every field they carry, so that a new nested field comes with an update of this schema. */
export interface Explanation {
  /** What the sidecar does. `local_reply`: Envoy answers itself (404 NR, 503 NC, a direct response, a redirect, or a closed TCP connection when a TCP route's cluster is missing). */
  outcome: "routed" | "passthrough" | "blackhole" | "local_reply";
  /** The status of a local reply: 502 for REGISTRY_ONLY HTTP, 404 NR, 503 NC, a directResponse or redirect code. Null otherwise. */
  http_status: number | null;
  /** Envoy's response flag of a local reply (`NR`, `NC`), null otherwise. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  response_flag?: string | null;
  /** The ServiceEntry whose host the request matched. */
  service_entry: ServiceEntryMatch | null;
  /** The governing VirtualService. */
  virtual_service: VirtualServiceMatch | null;
  /** The DestinationRule applied to `cluster`. */
  destination_rule: DestinationRuleMatch | null;
  /** The Envoy listener that took the connection (`0.0.0.0_443`, `virtualOutbound`), null when none did. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  listener?: string | null;
  /** The Envoy cluster (`outbound|443||api.stripe.com`, `PassthroughCluster`, `BlackHoleCluster`). For a weighted route, the destination with the largest weight, the first on ties. Null for direct responses, redirects, 404 and HTTP 502. */
  cluster: string | null;
  /** False when the route names a cluster istiod does not generate (503 NC). */
  cluster_exists: boolean;
  /** The DestinationRule subset of `cluster`, null when it has none. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  subset?: string | null;
  /** The route's destinations after dropping zero weights; a single destination has weight 100. */
  destinations: Destination[];
  /** The type of `cluster`. */
  envoy_cluster_type: "EDS" | "STRICT_DNS" | "LOGICAL_DNS" | "ORIGINAL_DST" | "STATIC" | null;
  /** The endpoints of `cluster`, after the subset's selector, with DNS names expanded through the request's `dns`; for ORIGINAL_DST the original destination when `dest_ip` is known. */
  endpoints: Endpoint[];
  /** The load-balancing policy of `cluster`. */
  load_balancer: "LEAST_REQUEST" | "ROUND_ROBIN" | "RANDOM" | "RING_HASH" | "MAGLEV" | "CLUSTER_PROVIDED" | null;
  /** Consistent hashing for this request. */
  hash: Hash | null;
  /** TLS the sidecar originates upstream. */
  tls_origination: TlsOrigination | null;
  /** The route timeout (`10s`); null for none, Istio's default. */
  timeout: string | null;
  /** The route's retry policy; Istio's default when the VirtualService sets none. */
  retries: Retries | null;
  /** The labels of `istio_requests_total` reported by the source; `unknown` when empty. */
  telemetry: Telemetry;
  /** The story of the decision, in order. */
  steps: Step[];
  /** Lint findings on the resources this request touched, as `meshroute lint --format json` prints them. */
  diagnostics: Diagnostic[];
}

/** The ServiceEntry whose host the request matched. */
export interface ServiceEntryMatch {
  namespace: string;
  name: string;
  /** The ServiceEntry host that matched. */
  host: string;
  /** How it matched: `exact` or `wildcard` (Host or SNI), `address` (a VIP or CIDR listener), `port` (a TCP port without addresses). */
  match: "exact" | "wildcard" | "address" | "port";
  /** The entry's `location`. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  location?: "MESH_EXTERNAL" | "MESH_INTERNAL";
  /** The entry's `resolution`. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  resolution?: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
}

/** The governing VirtualService. */
export interface VirtualServiceMatch {
  namespace: string;
  name: string;
  /** Which list `route` indexes. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  section?: "http" | "tls" | "tcp";
  /** The index of the `http`, `tls` or `tcp` entry that matched, or null when none did. */
  route: number | null;
  /** The matched entry's `name`, when it has one. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  route_name?: string | null;
}

/** The DestinationRule applied to `cluster`. */
export interface DestinationRuleMatch {
  namespace: string;
  name: string;
}

export interface Destination {
  cluster: string;
  host: string;
  subset: string | null;
  port: number | null;
  weight: number;
  /** The share of requests, 0 to 100. */
  percent: number;
  /** Whether istiod generates this cluster (a missing one answers 503 NC). Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  exists?: boolean;
}

export interface Endpoint {
  address: string;
  port: number | null;
  labels: StringMap;
  locality: string | null;
  weight: number | null;
}

/** Consistent hashing for this request. */
export interface Hash {
  /** What is hashed. */
  source: "cookie" | "header" | "source_ip" | "query";
  /** The cookie, header or query parameter name; null for `source_ip`. */
  name: string | null;
  /** The hashed key; null when the request does not carry it. */
  value: string | null;
  /** The 64-bit xxHash of the key, as `0x` and 16 hex digits; null when nothing is hashed. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  key?: string | null;
  /** False when hashing cannot pin an endpoint. */
  effective: boolean;
  /** The endpoint Envoy's ring or Maglev table picks. */
  endpoint: HashEndpoint | null;
  /** Why hashing has no effect, or what Envoy does instead (generating a cookie...). Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  note?: string | null;
}

/** TLS the sidecar originates upstream. */
export interface TlsOrigination {
  mode: "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL";
  /** The SNI sent; null when none is. */
  sni: string | null;
  /** The SNI is taken from each request's Host. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  auto_sni?: boolean;
  /** What the upstream certificate is checked against. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  verify?: string;
}

/** The route's retry policy; Istio's default when the VirtualService sets none. */
export interface Retries {
  attempts: number;
  per_try_timeout: string | null;
  retry_on: string | null;
  /** Statuses retried under `retriable-status-codes`. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  retriable_status_codes?: number[];
  /** Whether this is Istio's default policy rather than one the VirtualService wrote. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  default?: boolean;
}

/** The labels of `istio_requests_total` reported by the source; `unknown` when empty. */
export interface Telemetry {
  destination_service: string;
  destination_service_name: string;
  destination_service_namespace: string;
}

export interface Step {
  /** Which part of the sidecar decided (listener, route...). */
  stage: string;
  outcome: "pass" | "fail" | "skip" | "info";
  /** One sentence for people. */
  summary: string;
  /** The YAML that decided the step. */
  refs: Ref[];
}

/** One lint finding; every key is present, null when it has no value. */
export interface Diagnostic {
  /** `MR` and four digits (crates/core/DIAGNOSTICS.md). */
  code: string;
  severity: "error" | "warning" | "info";
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  kind: string | null;
  namespace: string | null;
  name: string | null;
  path: string | null;
  /** The `istioctl analyze` code of the same finding (`IST0101`). */
  istio_code: string | null;
}

/** The endpoint Envoy's ring or Maglev table picks. */
export interface HashEndpoint {
  address: string;
  port: number | null;
}

/** A place in the input: a resource and, when known, the field and its 1-based line. */
export interface Ref {
  /** ServiceEntry, DestinationRule, VirtualService, Sidecar or MeshConfig. */
  kind: string;
  namespace: string | null;
  name: string | null;
  /** The field path, as in diagnostics (`spec.http[0].route`). */
  path: string | null;
  line: number | null;
  /** 1-based column of the field. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  column?: number | null;
  /** The input the resource was read from, as named on the command line. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  file?: string | null;
}

/** The result of `simulate(request, n, seed)` (crates/wire/CONTRACT.md, "Simulation"): `n` variants of one request sent by `clients` simulated callers, each caller keeping its own hashed cookie, header, query value or source IP. Fields may be added in later versions. */
export interface Simulation {
  /** How many requests were sent. */
  n: number;
  /** The seed the variants were drawn with; the same request, configuration, n and seed give the same simulation. */
  seed: number;
  /** How many simulated callers sent the requests. */
  clients: number;
  /** What varies between simulated callers (`cookie session`, `source IP`), null when nothing does. Added by the engine beyond CONTRACT.md; optional here until the contract lists it. */
  varied?: string | null;
  /** Requests per Envoy cluster. */
  destinations: SimulatedDestination[];
  /** Requests per endpoint of each cluster. */
  endpoints: SimulatedEndpoint[];
  /** How many callers had all their requests reach one endpoint. */
  sticky_clients: number;
}

export interface SimulatedDestination {
  /** The Envoy cluster, or null for requests that reached none (a local reply). */
  cluster: string | null;
  count: number;
}

export interface SimulatedEndpoint {
  cluster: string;
  address: string;
  port: number | null;
  count: number;
}
