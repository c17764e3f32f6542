// The generated configuration the budgets re-explain: 200 resources (80 ServiceEntries, 60
// DestinationRules, 60 VirtualServices) across 8 namespaces, with subsets, hashing and routes.

/** A configuration of 200 resources: 80 ServiceEntries, 60 DestinationRules, 60 VirtualServices. */
export function generatedConfig() {
  const head = (kind, i) => `apiVersion: networking.istio.io/v1\nkind: ${kind}\nmetadata:\n  name: api-${i}\n  namespace: team-${i % 8}\nspec:`;
  const docs = ['# 200 generated resources: 80 ServiceEntries, 60 DestinationRules, 60 VirtualServices'];
  for (let i = 0; i < 80; i += 1) {
    docs.push(`${head('ServiceEntry', i)}
  hosts:
    - api-${i}.example.com
  location: MESH_EXTERNAL
  ports:
    - number: 80
      name: http
      protocol: HTTP
    - number: 443
      name: tls
      protocol: TLS
  resolution: DNS
  endpoints:
    - address: a.api-${i}.example.com
      labels: {version: v1}
    - address: b.api-${i}.example.com
      labels: {version: v2}`);
  }
  for (let i = 0; i < 60; i += 1) {
    docs.push(`${head('DestinationRule', i)}
  host: api-${i}.example.com
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
    connectionPool:
      tcp: {maxConnections: 100}
  subsets:
    - name: v1
      labels: {version: v1}
    - name: v2
      labels: {version: v2}`);
  }
  for (let i = 0; i < 60; i += 1) {
    docs.push(`${head('VirtualService', i)}
  hosts:
    - api-${i}.example.com
  http:
    - match:
        - uri: {prefix: /v2}
          headers:
            x-canary: {exact: "true"}
      route:
        - destination: {host: api-${i}.example.com, subset: v2}
      timeout: 5s
    - route:
        - destination: {host: api-${i}.example.com, subset: v1}
          weight: 90
        - destination: {host: api-${i}.example.com, subset: v2}
          weight: 10
      retries: {attempts: 3, perTryTimeout: 2s, retryOn: 5xx}`);
  }
  return docs.join('\n---\n') + '\n';
}
