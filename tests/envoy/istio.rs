//! A small istiod for the test: Envoy listeners and clusters, shaped as istiod generates them for
//! a sidecar's egress, written from a case's YAML.
//!
//! It is deliberately written from Istio's documented xDS shape, not from the core, so that Envoy
//! routing with it and the core predicting from the YAML are two independent answers; the test
//! asserts they agree. It covers what a loopback test can show (one namespace's view, HTTP
//! virtual hosts and routes, SNI and whole-port TCP chains, subsets, the passthrough and
//! blackhole fallbacks); a case that needs more is skipped with the reason.
//!
//! Loopback stand-ins for iptables: the outbound listener takes the original destination from a
//! PROXY protocol header instead of `SO_ORIGINAL_DST`, then hands the connection to the
//! per-port listener exactly as Istio's `virtualOutbound` does; every cluster's endpoint is a
//! loopback upstream that answers with the cluster's name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

/// Everything a generated configuration needs from the harness.
pub(crate) struct Inputs<'a> {
    pub(crate) documents: &'a [Value],
    pub(crate) namespace: &'a str,
    pub(crate) registry_only: bool,
    /// The plugin configuration JSON handed to both Wasm filters.
    pub(crate) plugin_config: &'a str,
    pub(crate) wasm_path: &'a str,
    pub(crate) access_log: &'a str,
    pub(crate) outbound_port: u16,
}

/// The xDS resources for one case, and the clusters whose loopback upstream answers with a name.
pub(crate) struct Generated {
    pub(crate) listeners: Vec<Value>,
    pub(crate) clusters: Vec<Value>,
    /// Cluster names with an endpoint, in the order upstream ports must be assigned.
    pub(crate) upstreams: Vec<String>,
}

#[derive(Clone, Debug)]
struct Service {
    host: String,
    port: u32,
    protocol: Protocol,
    addresses: Vec<String>,
    namespace: String,
    resolution: String,
    /// Labels of the inline endpoints; a DNS entry without any resolves its own host, unlabelled.
    endpoint_labels: Vec<BTreeMap<String, String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Http,
    Tls,
    Tcp,
}

fn protocol(name: &str) -> Option<Protocol> {
    match name.to_ascii_uppercase().as_str() {
        "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" => Some(Protocol::Http),
        "HTTPS" | "TLS" => Some(Protocol::Tls),
        "TCP" | "MONGO" | "MYSQL" | "REDIS" => Some(Protocol::Tcp),
        _ => None,
    }
}

fn strs(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

type Labels = BTreeMap<String, String>;

fn labels(value: Option<&Value>) -> Labels {
    value
        .and_then(Value::as_object)
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

fn meta<'v>(doc: &'v Value, key: &str) -> Option<&'v str> {
    doc.get("metadata")?.get(key)?.as_str()
}

fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// `exportTo` as seen from `namespace` (absent means everywhere, Istio's default).
fn visible(doc: &Value, namespace: &str) -> bool {
    let own = meta(doc, "namespace").unwrap_or("default");
    let export = strs(doc.get("spec").and_then(|s| s.get("exportTo")));
    export.is_empty()
        || export.iter().any(|e| e == "*" || e == namespace || (e == "." && own == namespace))
}

pub(crate) fn cluster_name(port: u32, subset: &str, host: &str) -> String {
    format!("outbound|{port}|{subset}|{host}")
}

/// Generates the configuration, or says why this case cannot be shown on loopback.
pub(crate) fn generate(inputs: &Inputs<'_>) -> Result<Generated, String> {
    let docs = inputs.documents;
    for doc in docs {
        match kind(doc) {
            "ServiceEntry" | "VirtualService" | "DestinationRule" => {}
            "MeshConfig" => {
                let mesh = doc.get("spec").unwrap_or(doc);
                let keys: Vec<&String> =
                    mesh.as_object().map(|o| o.keys().collect()).unwrap_or_default();
                if keys.iter().any(|k| k.as_str() != "outboundTrafficPolicy") {
                    return Err("MeshConfig settings besides outboundTrafficPolicy".into());
                }
            }
            other => return Err(format!("{other} resources (per-workload scoping)")),
        }
        if doc.get("metadata").and_then(|m| m.get("creationTimestamp")).is_some() {
            return Err("resource ages decide precedence".into());
        }
    }
    let mut services: Vec<Service> = Vec::new();
    for doc in docs.iter().filter(|d| kind(d) == "ServiceEntry") {
        let spec = doc.get("spec").cloned().unwrap_or(Value::Null);
        if spec.get("workloadSelector").is_some() {
            return Err("ServiceEntry with workloadSelector".into());
        }
        if !visible(doc, inputs.namespace) {
            continue;
        }
        for host in strs(spec.get("hosts")) {
            for port in spec.get("ports").and_then(Value::as_array).into_iter().flatten() {
                let number = port.get("number").and_then(Value::as_u64).unwrap_or(0) as u32;
                let proto = port.get("protocol").and_then(Value::as_str).unwrap_or("");
                let Some(protocol) = protocol(proto) else {
                    return Err(format!("port protocol `{proto}` (sniffed or UDP)"));
                };
                services.push(Service {
                    host: host.clone(),
                    port: number,
                    protocol,
                    addresses: strs(spec.get("addresses")),
                    namespace: meta(doc, "namespace").unwrap_or("default").to_string(),
                    resolution: spec
                        .get("resolution")
                        .and_then(Value::as_str)
                        .unwrap_or("NONE")
                        .to_string(),
                    endpoint_labels: spec
                        .get("endpoints")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|e| labels(e.get("labels")))
                        .collect(),
                });
            }
        }
    }
    let mut seen = BTreeSet::new();
    for s in &services {
        if !seen.insert((s.host.clone(), s.port)) {
            return Err(format!("{}:{} declared twice (istiod merges or picks)", s.host, s.port));
        }
        if s.host.contains('*') && s.protocol != Protocol::Http && s.protocol != Protocol::Tls {
            return Err("wildcard TCP host".into());
        }
        if s.protocol == Protocol::Http && !s.addresses.is_empty() {
            return Err("HTTP ServiceEntry with addresses (address listeners)".into());
        }
    }
    let mut ports: BTreeMap<u32, Protocol> = BTreeMap::new();
    for s in &services {
        let slot = ports.entry(s.port).or_insert(s.protocol);
        let tcp_like = |p: Protocol| p != Protocol::Http;
        if *slot != s.protocol && !(tcp_like(*slot) && tcp_like(s.protocol)) {
            return Err(format!("port {} carries HTTP and non-HTTP services", s.port));
        }
    }
    let vs: Vec<&Value> = docs
        .iter()
        .filter(|d| kind(d) == "VirtualService" && visible(d, inputs.namespace))
        .collect();
    for v in &vs {
        let spec = v.get("spec").cloned().unwrap_or(Value::Null);
        if !strs(spec.get("gateways")).is_empty() {
            return Err("VirtualService bound to gateways".into());
        }
        for host in strs(spec.get("hosts")) {
            if !services.iter().any(|s| s.host == host) {
                return Err(format!("VirtualService host {host} that is not a ServiceEntry host"));
            }
        }
        if vs
            .iter()
            .filter(|o| {
                strs(o.get("spec").and_then(|s| s.get("hosts")))
                    .iter()
                    .any(|h| strs(spec.get("hosts")).contains(h))
            })
            .count()
            > 1
        {
            return Err("several VirtualServices for one host (istiod merges or picks)".into());
        }
    }
    let mut subsets: BTreeMap<String, Vec<(String, Labels)>> = BTreeMap::new();
    for dr in docs.iter().filter(|d| kind(d) == "DestinationRule" && visible(d, inputs.namespace)) {
        let spec = dr.get("spec").cloned().unwrap_or(Value::Null);
        if spec.get("workloadSelector").is_some() {
            return Err("DestinationRule with workloadSelector".into());
        }
        let host = spec.get("host").and_then(Value::as_str).unwrap_or("").to_string();
        if subsets.contains_key(&host) {
            return Err("several DestinationRules for one host".into());
        }
        let names = spec
            .get("subsets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| Some((s.get("name")?.as_str()?.to_string(), labels(s.get("labels")))))
            .collect();
        subsets.insert(host, names);
    }

    let mut ports_of: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for s in &services {
        ports_of.entry(s.host.clone()).or_default().insert(s.port);
    }
    let mut generator = Gen { inputs, clusters: Vec::new(), upstreams: Vec::new(), ports_of };
    let passthrough = if inputs.registry_only { "BlackHoleCluster" } else { "PassthroughCluster" };
    generator.cluster("PassthroughCluster", None, true);
    generator.cluster("BlackHoleCluster", None, false);
    for s in &services {
        generator.cluster(&cluster_name(s.port, "", &s.host), Some(s), true);
        for (subset, labels) in subsets.get(&s.host).into_iter().flatten() {
            // ORIGINAL_DST clusters (resolution NONE) have no endpoint list to select from.
            let selects = s.resolution == "NONE"
                || labels.is_empty()
                || s.endpoint_labels
                    .iter()
                    .any(|e| labels.iter().all(|(k, v)| e.get(k) == Some(v)));
            // istiod builds no cluster for a DNS subset that selects nothing (a 503 NC), but
            // keeps STATIC ones with no endpoints (a 503 UH): semantics §5.2, `buildCluster`.
            if !selects && s.resolution.starts_with("DNS") {
                continue;
            }
            generator.cluster(&cluster_name(s.port, subset, &s.host), Some(s), selects);
        }
    }

    let mut listeners = vec![json!({
        "name": "virtualOutbound",
        "address": socket("127.0.0.1", u32::from(inputs.outbound_port)),
        "use_original_dst": true,
        "listener_filters": [{
            "name": "envoy.filters.listener.proxy_protocol",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol"}
        }, {
            "name": "envoy.filters.listener.tls_inspector",
            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"}
        }],
        "filter_chains": [generator.tcp_chain("PassthroughCluster", passthrough, None)],
    })];
    for (&port, &proto) in &ports {
        let here: Vec<&Service> = services.iter().filter(|s| s.port == port).collect();
        match proto {
            Protocol::Http => {
                listeners.push(generator.http_listener(port, &here, &vs, passthrough)?)
            }
            _ => listeners.extend(generator.l4_listeners(port, &here, &vs, passthrough)?),
        }
    }
    Ok(Generated { listeners, clusters: generator.clusters, upstreams: generator.upstreams })
}

fn socket(address: &str, port: u32) -> Value {
    json!({"socket_address": {"address": address, "port_value": port}})
}

struct Gen<'a> {
    inputs: &'a Inputs<'a>,
    clusters: Vec<Value>,
    upstreams: Vec<String>,
    /// Ports per registry host, for destinations that name none.
    ports_of: BTreeMap<String, BTreeSet<u32>>,
}

impl Gen<'_> {
    /// A cluster with Istio's name and metadata; its one endpoint is filled in by the harness.
    fn cluster(&mut self, name: &str, service: Option<&Service>, has_endpoint: bool) {
        let mut cluster = json!({
            "name": name,
            "type": "STATIC",
            "connect_timeout": "1s",
            "load_assignment": {"cluster_name": name, "endpoints": []},
        });
        if let Some(s) = service {
            cluster["metadata"] = json!({"filter_metadata": {"istio": {
                "services": [{"host": s.host, "name": s.host, "namespace": s.namespace}]
            }}});
        }
        if has_endpoint {
            self.upstreams.push(name.to_string());
        }
        self.clusters.push(cluster);
    }

    fn wasm_network(&self) -> Value {
        json!({
            "name": "meshroute-network",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
                "config": self.wasm_config("meshroute-network"),
            }
        })
    }

    fn wasm_config(&self, root_id: &str) -> Value {
        json!({
            "name": root_id,
            "root_id": root_id,
            "configuration": {
                "@type": "type.googleapis.com/google.protobuf.StringValue",
                "value": self.inputs.plugin_config,
            },
            "fail_open": true,
            "vm_config": {
                "vm_id": "meshroute",
                "runtime": "envoy.wasm.runtime.v8",
                "code": {"local": {"filename": self.inputs.wasm_path}},
            },
        })
    }

    fn access_log(&self, kind: &str) -> Value {
        let fields: Vec<String> = meshroute_filter::tags::KEYS
            .iter()
            .map(|key| format!("%FILTER_STATE(wasm.{key}:PLAIN)%"))
            .collect();
        let format =
            format!("{kind}\t%RESPONSE_CODE%\t%UPSTREAM_CLUSTER%\t{}\n", fields.join("\t"));
        json!([{
            "name": "envoy.access_loggers.file",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                "path": self.inputs.access_log,
                "log_format": {"text_format_source": {"inline_string": format}},
            }
        }])
    }

    /// A TCP proxy chain with the network Wasm filter in front, as the tagger is deployed.
    fn tcp_chain(&self, name: &str, cluster: &str, server_names: Option<Vec<String>>) -> Value {
        let mut chain = json!({
            "name": name,
            "filters": [self.wasm_network(), {
                "name": "envoy.filters.network.tcp_proxy",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                    "stat_prefix": cluster,
                    "cluster": cluster,
                    "access_log": self.access_log("tcp"),
                }
            }],
        });
        if let Some(names) = server_names {
            chain["filter_chain_match"] = json!({"server_names": names});
        }
        chain
    }

    fn weighted_tcp_chain(
        &self,
        name: &str,
        destinations: &[(String, u32)],
        server_names: Option<Vec<String>>,
    ) -> Value {
        let mut chain = self.tcp_chain(name, &destinations[0].0, server_names);
        if destinations.len() > 1 {
            let proxy = &mut chain["filters"][1]["typed_config"];
            proxy.as_object_mut().map(|o| o.remove("cluster"));
            proxy["weighted_clusters"] = json!({"clusters": destinations.iter().map(|(c, w)| json!({"name": c, "weight": w})).collect::<Vec<_>>()});
        }
        chain
    }

    fn http_listener(
        &self,
        port: u32,
        services: &[&Service],
        vs: &[&Value],
        fallback: &str,
    ) -> Result<Value, String> {
        let mut hosts = Vec::new();
        for s in services {
            // Sidecar domains carry no port (the route configuration ignores the port in host
            // matching) and include the absolute FQDN (`PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN`,
            // on by default): httproute.go `generateVirtualHostDomains`, `GenerateAltVirtualHosts`.
            let domains = vec![s.host.clone(), format!("{}.", s.host)];
            let routes = match vs
                .iter()
                .find(|v| strs(v.get("spec").and_then(|s| s.get("hosts"))).contains(&s.host))
            {
                Some(v) => {
                    let routes = self.http_routes(v, port)?;
                    if routes.is_empty() { vec![default_route(port, &s.host)] } else { routes }
                }
                None => vec![
                    json!({"name": "default", "match": {"prefix": "/"}, "route": {"cluster": cluster_name(port, "", &s.host), "timeout": "0s"}}),
                ],
            };
            hosts.push(
                json!({"name": format!("{}:{port}", s.host), "domains": domains, "routes": routes}),
            );
        }
        hosts.push(if fallback == "PassthroughCluster" {
            json!({"name": "allow_any", "domains": ["*"], "routes": [{"name": "allow_any", "match": {"prefix": "/"}, "route": {"cluster": "PassthroughCluster", "timeout": "0s"}}]})
        } else {
            json!({"name": "block_all", "domains": ["*"], "routes": [{"name": "block_all", "match": {"prefix": "/"}, "direct_response": {"status": 502}}]})
        });
        Ok(json!({
            "name": format!("0.0.0.0_{port}"),
            "address": socket("0.0.0.0", port),
            "bind_to_port": false,
            "listener_filters": [{"name": "envoy.filters.listener.http_inspector", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"}}],
            // Bytes that are not HTTP fall through to the passthrough chain, as istiod's do.
            "filter_chains": [self.tcp_chain("PassthroughCluster", fallback, None), {"filter_chain_match": {"application_protocols": ["http/1.0", "http/1.1", "h2c"]}, "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": format!("outbound_0.0.0.0_{port}"),
                    // Istio's PILOT_HTTP10=1: lets the suite send a request with no authority.
                    "http_protocol_options": {"accept_http_10": true},
                    "access_log": self.access_log("http"),
                    // istiod serves routes by RDS, which does not require the clusters to exist:
                    // a route to a missing one is a 503 NC at request time, not a rejected update.
                    "route_config": {"name": port.to_string(), "virtual_hosts": hosts, "validate_clusters": false, "ignore_port_in_host_matching": true},
                    // Lets the suite's 64 KB header through (Envoy's default limit is 60 KB).
                    "max_request_headers_kb": 96,
                    "http_filters": [
                        {"name": "meshroute", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                            "config": self.wasm_config("meshroute"),
                        }},
                        {"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
                    ],
                }
            }]}],
        }))
    }

    fn http_routes(&self, vs: &Value, port: u32) -> Result<Vec<Value>, String> {
        let spec = vs.get("spec").cloned().unwrap_or(Value::Null);
        let mut routes = Vec::new();
        for (index, http) in
            spec.get("http").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            for key in
                http.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
            {
                if !matches!(
                    key.as_str(),
                    "name"
                        | "match"
                        | "route"
                        | "redirect"
                        | "directResponse"
                        | "timeout"
                        | "retries"
                        | "headers"
                ) {
                    return Err(format!("HTTP route field `{key}`"));
                }
            }
            let name = http
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("http[{index}]"), str::to_string);
            let action = self.http_action(http, port)?;
            let matches: Vec<Value> =
                http.get("match").and_then(Value::as_array).cloned().unwrap_or_default();
            if matches.is_empty() {
                let mut route = json!({"name": name, "match": {"prefix": "/"}});
                merge(&mut route, &action);
                routes.push(route);
                continue;
            }
            for m in matches {
                let Some(envoy_match) = route_match(&m, port)? else { continue };
                let mut route = json!({"name": name, "match": envoy_match});
                merge(&mut route, &action);
                routes.push(route);
            }
        }
        Ok(routes)
    }

    fn http_action(&self, http: &Value, port: u32) -> Result<Value, String> {
        if let Some(direct) = http.get("directResponse") {
            let status = direct.get("status").and_then(Value::as_u64).unwrap_or(200);
            let body = direct
                .get("body")
                .and_then(|b| b.get("string"))
                .and_then(Value::as_str)
                .unwrap_or("");
            return Ok(
                json!({"direct_response": {"status": status, "body": {"inline_string": body}}}),
            );
        }
        if let Some(redirect) = http.get("redirect") {
            let mut out = json!({});
            if let Some(uri) = redirect.get("uri").and_then(Value::as_str) {
                out["path_redirect"] = json!(uri);
            }
            if let Some(a) = redirect.get("authority").and_then(Value::as_str) {
                out["host_redirect"] = json!(a);
            }
            if let Some(code) = redirect.get("redirectCode").and_then(Value::as_u64) {
                out["response_code"] = json!(match code {
                    301 => "MOVED_PERMANENTLY",
                    302 => "FOUND",
                    303 => "SEE_OTHER",
                    307 => "TEMPORARY_REDIRECT",
                    308 => "PERMANENT_REDIRECT",
                    _ => return Err(format!("redirect code {code}")),
                });
            }
            return Ok(json!({"redirect": out}));
        }
        let mut destinations = Vec::new();
        for d in http.get("route").and_then(Value::as_array).into_iter().flatten() {
            let weight = d.get("weight").and_then(Value::as_i64).unwrap_or(0);
            destinations
                .push((self.destination_cluster(d.get("destination"), port, false)?, weight));
        }
        let kept: Vec<&(String, i64)> =
            destinations.iter().filter(|(_, w)| destinations.len() == 1 || *w > 0).collect();
        Ok(match kept.as_slice() {
            [] => return Err("HTTP route without destinations".into()),
            [(cluster, _)] => json!({"route": {"cluster": cluster, "timeout": "0s"}}),
            many => {
                json!({"route": {"timeout": "0s", "weighted_clusters": {"clusters": many.iter().map(|(c, w)| json!({"name": c, "weight": w})).collect::<Vec<_>>()}}})
            }
        })
    }

    /// Istio's destination → cluster (semantics §6.3): the given port; else, for TLS and TCP
    /// routes, which look the host up in the registry, the destination service's only port;
    /// else the listener's port.
    fn destination_cluster(
        &self,
        destination: Option<&Value>,
        port: u32,
        l4: bool,
    ) -> Result<String, String> {
        let destination = destination.ok_or("route without destination")?;
        let host =
            destination.get("host").and_then(Value::as_str).ok_or("destination without host")?;
        if !host.contains('.') {
            return Err("short destination host (namespace-relative)".into());
        }
        let subset = destination.get("subset").and_then(Value::as_str).unwrap_or("");
        let number = destination
            .get("port")
            .and_then(|p| p.get("number"))
            .and_then(Value::as_u64)
            .map(|n| n as u32);
        let only_port = match self.ports_of.get(host) {
            Some(ports) if l4 && ports.len() == 1 => ports.first().copied(),
            _ => None,
        };
        Ok(cluster_name(number.or(only_port).unwrap_or(port), subset, host))
    }

    fn l4_listeners(
        &self,
        port: u32,
        services: &[&Service],
        vs: &[&Value],
        fallback: &str,
    ) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        let mut sni_chains = Vec::new();
        let mut whole_port: Option<Value> = None;
        for s in services {
            let routed = vs
                .iter()
                .find(|v| strs(v.get("spec").and_then(|x| x.get("hosts"))).contains(&s.host));
            let destinations = match routed {
                Some(v) => self.l4_destinations(v, port, s)?,
                None => vec![(cluster_name(port, "", &s.host), 100)],
            };
            match s.protocol {
                Protocol::Tls if s.addresses.is_empty() => sni_chains.push(
                    self.weighted_tcp_chain(&s.host, &destinations, Some(vec![s.host.clone()])),
                ),
                _ if !s.addresses.is_empty() => {
                    for address in &s.addresses {
                        if address.contains('/') || address.contains(':') {
                            return Err("CIDR or IPv6 ServiceEntry address".into());
                        }
                        out.push(json!({
                            "name": format!("{address}_{port}"),
                            "address": socket(address, port),
                            "bind_to_port": false,
                            "filter_chains": [self.weighted_tcp_chain(&s.host, &destinations, None)],
                        }));
                    }
                }
                _ => {
                    if whole_port.is_some() {
                        return Err("two whole-port TCP services on one port".into());
                    }
                    whole_port = Some(self.weighted_tcp_chain(&s.host, &destinations, None));
                }
            }
        }
        if sni_chains.is_empty() && whole_port.is_none() {
            return Ok(out);
        }
        if whole_port.is_some() && !sni_chains.is_empty() {
            return Err("TLS and whole-port TCP services on one port".into());
        }
        let mut chains = sni_chains;
        chains.push(
            whole_port.unwrap_or_else(|| self.tcp_chain("PassthroughCluster", fallback, None)),
        );
        out.push(json!({
            "name": format!("0.0.0.0_{port}"),
            "address": socket("0.0.0.0", port),
            "bind_to_port": false,
            "listener_filters": [{"name": "envoy.filters.listener.tls_inspector", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"}}],
            "filter_chains": chains,
        }));
        Ok(out)
    }

    fn l4_destinations(
        &self,
        vs: &Value,
        port: u32,
        service: &Service,
    ) -> Result<Vec<(String, u32)>, String> {
        let spec = vs.get("spec").cloned().unwrap_or(Value::Null);
        let section = if service.protocol == Protocol::Tls { "tls" } else { "tcp" };
        if spec.get("http").is_some()
            || spec.get(if section == "tls" { "tcp" } else { "tls" }).is_some()
        {
            return Err("VirtualService mixing route kinds".into());
        }
        let routes = spec.get(section).and_then(Value::as_array).cloned().unwrap_or_default();
        let [route] = routes.as_slice() else {
            return Err(format!("{} {section} routes (matching order)", routes.len()));
        };
        if let Some(matches) = route.get("match").and_then(Value::as_array) {
            for m in matches {
                let keys: Vec<&String> =
                    m.as_object().map(|o| o.keys().collect()).unwrap_or_default();
                if keys.iter().any(|k| k.as_str() != "sniHosts" && k.as_str() != "port") {
                    return Err("L4 match beyond sniHosts and port".into());
                }
                let hosts = strs(m.get("sniHosts"));
                if section == "tls" && hosts != [service.host.clone()] {
                    return Err("sniHosts other than the service host".into());
                }
            }
        }
        let mut out = Vec::new();
        for d in route.get("route").and_then(Value::as_array).into_iter().flatten() {
            let weight = d.get("weight").and_then(Value::as_u64).unwrap_or(0) as u32;
            out.push((self.destination_cluster(d.get("destination"), port, true)?, weight));
        }
        let many = out.len() > 1;
        out.retain(|(_, w)| !many || *w > 0);
        if out.is_empty() {
            return Err("L4 route without destinations".into());
        }
        Ok(out)
    }
}

fn default_route(port: u32, host: &str) -> Value {
    json!({"name": "default", "match": {"prefix": "/"}, "route": {"cluster": cluster_name(port, "", host), "timeout": "0s"}})
}

fn merge(target: &mut Value, extra: &Value) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            t.insert(k.clone(), v.clone());
        }
    }
}

fn string_matcher(m: &Value) -> Result<Value, String> {
    if let Some(v) = m.get("exact") {
        return Ok(json!({"exact": v}));
    }
    if let Some(v) = m.get("prefix") {
        return Ok(json!({"prefix": v}));
    }
    if let Some(v) = m.get("regex") {
        return Ok(json!({"safe_regex": {"regex": v}}));
    }
    Err("empty string match".into())
}

/// One HTTPMatchRequest as an Envoy route match; `None` when it cannot match on this port.
fn route_match(m: &Value, port: u32) -> Result<Option<Value>, String> {
    for key in m.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
        if !matches!(
            key.as_str(),
            "name"
                | "uri"
                | "headers"
                | "withoutHeaders"
                | "method"
                | "port"
                | "ignoreUriCase"
                | "queryParams"
        ) {
            return Err(format!("HTTP match field `{key}`"));
        }
    }
    if let Some(p) = m.get("port").and_then(Value::as_u64) {
        if p as u32 != port {
            return Ok(None);
        }
    }
    let mut out = json!({});
    match m.get("uri") {
        Some(uri) if uri.get("exact").is_some() => out["path"] = uri["exact"].clone(),
        Some(uri) if uri.get("prefix").is_some() => out["prefix"] = uri["prefix"].clone(),
        Some(uri) if uri.get("regex").is_some() => {
            out["safe_regex"] = json!({"regex": uri["regex"]})
        }
        Some(_) => return Err("uri match kind".into()),
        None => out["prefix"] = json!("/"),
    }
    if m.get("ignoreUriCase").and_then(Value::as_bool) == Some(true) {
        out["case_sensitive"] = json!(false);
    }
    let mut headers = Vec::new();
    if let Some(method) = m.get("method") {
        headers.push(json!({"name": ":method", "string_match": string_matcher(method)?}));
    }
    for (invert, key) in [(false, "headers"), (true, "withoutHeaders")] {
        for (name, matcher) in m.get(key).and_then(Value::as_object).into_iter().flatten() {
            let empty = matcher.as_object().is_none_or(|o| o.is_empty());
            let mut h = if empty {
                json!({"name": name, "present_match": true})
            } else {
                json!({"name": name, "string_match": string_matcher(matcher)?})
            };
            if invert {
                h["invert_match"] = json!(true);
                if !empty {
                    h["treat_missing_header_as_empty"] = json!(true);
                }
            }
            headers.push(h);
        }
    }
    if !headers.is_empty() {
        out["headers"] = Value::Array(headers);
    }
    let mut params = Vec::new();
    for (name, matcher) in m.get("queryParams").and_then(Value::as_object).into_iter().flatten() {
        let empty = matcher.as_object().is_none_or(|o| o.is_empty());
        params.push(if empty {
            json!({"name": name, "present_match": true})
        } else {
            json!({"name": name, "string_match": string_matcher(matcher)?})
        });
    }
    if !params.is_empty() {
        out["query_parameters"] = Value::Array(params);
    }
    Ok(Some(out))
}
