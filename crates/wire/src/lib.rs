//! The explain contract on the wire: request JSON in, explanation JSON out (see `CONTRACT.md`).
//!
//! The core knows nothing of JSON; this crate owns the shapes the CLI, the playground and the
//! fixture corpus exchange, and converts between them and the core's types.

use std::net::IpAddr;

use meshroute_core::engine::{
    Endpoint, Explanation, Mesh, OutboundPolicy, Ref, Request, RequestProtocol, Simulation,
};
use meshroute_core::{Diagnostic, Source};
use serde_json::{Map, Value, json};

/// A request object that does not fit the contract: a wrong type, an unknown protocol...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

fn error<T>(message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError(message.into()))
}

/// Loads and lints the sources and builds the index.
pub fn build_mesh(sources: &[Source<'_>]) -> Mesh {
    let (config, diagnostics) = meshroute_core::lint(sources);
    Mesh::new(config, diagnostics)
}

/// Loads the sources, builds the index and explains one request.
pub fn explain(sources: &[Source<'_>], request: &Value) -> Result<Value, RequestError> {
    let request = parse_request(request)?;
    let mesh = build_mesh(sources);
    Ok(explanation_json(&mesh, &mesh.explain(&request)))
}

/// Loads the sources and simulates `n` variants of the request.
pub fn simulate(
    sources: &[Source<'_>],
    request: &Value,
    n: u32,
    seed: u64,
) -> Result<Value, RequestError> {
    let request = parse_request(request)?;
    let mesh = build_mesh(sources);
    Ok(simulation_json(&mesh.simulate(&request, n, seed)))
}

/// Reads a request object (`CONTRACT.md`, "Request").
pub fn parse_request(value: &Value) -> Result<Request, RequestError> {
    let Some(object) = value.as_object() else {
        return error("the request must be a JSON object");
    };
    let mut request = Request::default();
    for (key, field) in object {
        match key.as_str() {
            "from" => request.namespace = string(key, field)?,
            "source_labels" => request.source_labels = string_map(key, field)?,
            "host" => request.host = Some(string(key, field)?).filter(|h| !h.is_empty()),
            "port" => {
                let port = field.as_u64().filter(|p| (1..=65535).contains(p));
                match port {
                    Some(port) => request.port = Some(port as u32),
                    None => return error("`port` must be an integer from 1 to 65535"),
                }
            }
            "protocol" => {
                let text = string(key, field)?;
                request.protocol = RequestProtocol::parse(&text).ok_or_else(|| {
                    RequestError(format!(
                        "`protocol` must be one of http, http2, grpc, https, tls, tcp; found `{text}`"
                    ))
                })?;
            }
            "method" => request.method = string(key, field)?,
            "path" => {
                let path = string(key, field)?;
                request.path = if path.starts_with('/') { path } else { format!("/{path}") };
            }
            "headers" => {
                let Some(map) = field.as_object() else {
                    return error("`headers` must map names to a string or a list of strings");
                };
                for (name, values) in map {
                    match values {
                        Value::String(v) => {
                            request.headers.push((name.to_ascii_lowercase(), v.clone()))
                        }
                        Value::Array(list) => {
                            for v in list {
                                let Some(v) = v.as_str() else {
                                    return error(format!(
                                        "header `{name}`: values must be strings"
                                    ));
                                };
                                request.headers.push((name.to_ascii_lowercase(), v.to_string()));
                            }
                        }
                        other => request.headers.push((
                            name.to_ascii_lowercase(),
                            scalar(other).ok_or_else(|| {
                                RequestError(format!("header `{name}` must be a string"))
                            })?,
                        )),
                    }
                }
            }
            "cookies" => request.cookies = string_map(key, field)?,
            "query" => {
                let params = string_map(key, field)?;
                if !params.is_empty() {
                    let joined = params
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("&");
                    let separator = if request.path.contains('?') { '&' } else { '?' };
                    request.path = format!("{}{separator}{joined}", request.path);
                }
            }
            "source_ip" => request.source_ip = ip(key, field)?,
            "dest_ip" => request.dest_ip = Some(ip(key, field)?),
            "outbound_policy" => {
                request.outbound_policy = Some(match string(key, field)?.as_str() {
                    "ALLOW_ANY" => OutboundPolicy::AllowAny,
                    "REGISTRY_ONLY" => OutboundPolicy::RegistryOnly,
                    other => {
                        return error(format!(
                            "`outbound_policy` must be ALLOW_ANY or REGISTRY_ONLY; found `{other}`"
                        ));
                    }
                })
            }
            "dns_capture" => match field.as_bool() {
                Some(on) => request.dns_capture = on,
                None => return error("`dns_capture` must be true or false"),
            },
            "dns" => {
                let Some(map) = field.as_object() else {
                    return error("`dns` must map host names to lists of IPs");
                };
                for (host, ips) in map {
                    let list: Vec<&Value> = match ips {
                        Value::Array(list) => list.iter().collect(),
                        single => vec![single],
                    };
                    let mut parsed = Vec::new();
                    for value in list {
                        parsed.push(ip(&format!("dns.{host}"), value)?);
                    }
                    request.dns.push((host.clone(), parsed));
                }
            }
            // Query parameters given in `query` are applied after `path` whatever the order.
            other => {
                return error(format!(
                    "unknown request field `{other}`; see CONTRACT.md for the fields"
                ));
            }
        }
    }
    // `query` may precede `path` in the object: re-apply it so neither order loses it.
    if let (Some(query), Some(path)) = (object.get("query"), object.get("path")) {
        if object.keys().position(|k| k == "query") < object.keys().position(|k| k == "path") {
            let mut fixed = Map::new();
            fixed.insert("path".into(), path.clone());
            fixed.insert("query".into(), query.clone());
            let reparsed = parse_request(&Value::Object(fixed))?;
            request.path = reparsed.path;
        }
    }
    if request.protocol == RequestProtocol::Tcp && request.port.is_none() {
        return error("a `tcp` request needs a `port`: opaque TCP has no default port");
    }
    if request.host.is_none() && request.dest_ip.is_none() {
        return error("the request needs a `host` or a `dest_ip`");
    }
    Ok(request)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string(key: &str, value: &Value) -> Result<String, RequestError> {
    scalar(value).ok_or_else(|| RequestError(format!("`{key}` must be a string")))
}

fn string_map(key: &str, value: &Value) -> Result<Vec<(String, String)>, RequestError> {
    let Some(map) = value.as_object() else {
        return error(format!("`{key}` must be a map of strings"));
    };
    map.iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                scalar(v).ok_or_else(|| RequestError(format!("`{key}.{k}` must be a string")))?,
            ))
        })
        .collect()
}

fn ip(key: &str, value: &Value) -> Result<IpAddr, RequestError> {
    let text = string(key, value)?;
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| RequestError(format!("`{key}`: `{text}` is not an IP address")))
}

fn ref_json(r: &Ref, mesh: &Mesh) -> Value {
    json!({
        "kind": r.kind,
        "namespace": r.namespace,
        "name": r.name,
        "path": r.path,
        "line": r.line,
        "column": r.column,
        "file": mesh.config().source(r.source).name,
    })
}

fn endpoint_json(e: &Endpoint) -> Value {
    let labels: Map<String, Value> =
        e.labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    json!({
        "address": e.address,
        "port": e.port,
        "labels": labels,
        "locality": e.locality,
        "weight": e.weight,
    })
}

/// A diagnostic as `meshroute lint --format json` prints it.
pub fn diagnostic_json(mesh: &Mesh, d: &Diagnostic) -> Value {
    let location = d.location.as_ref();
    let line_col = location.and_then(|l| l.line_col);
    json!({
        "code": d.code.id,
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": location.map(|l| mesh.config().source(l.source).name.clone()),
        "line": line_col.map(|lc| lc.line),
        "column": line_col.map(|lc| lc.column),
        "kind": d.resource.as_ref().map(|r| r.kind),
        "namespace": d.resource.as_ref().map(|r| r.namespace.clone()),
        "name": d.resource.as_ref().map(|r| r.name.clone()),
        "path": d.path,
        "istio_code": d.code.istio,
    })
}

/// The explanation object (`CONTRACT.md`, "Explanation").
pub fn explanation_json(mesh: &Mesh, e: &Explanation) -> Value {
    let service_entry = e.service_entry.as_ref().map(|se| {
        json!({
            "namespace": se.namespace,
            "name": se.name,
            "host": se.host,
            "match": se.match_kind.as_str(),
            "location": se.location,
            "resolution": se.resolution,
        })
    });
    let virtual_service = e.virtual_service.as_ref().map(|vs| {
        json!({
            "namespace": vs.namespace,
            "name": vs.name,
            "section": vs.section,
            "route": vs.route,
            "route_name": vs.route_name,
        })
    });
    let destinations: Vec<Value> = e
        .destinations
        .iter()
        .map(|d| {
            json!({
                "cluster": d.cluster,
                "host": d.host,
                "subset": d.subset,
                "port": d.port,
                "weight": d.weight,
                "percent": (d.percent * 100.0).round() / 100.0,
                "exists": d.exists,
            })
        })
        .collect();
    let hash = e.hash.as_ref().map(|h| {
        json!({
            "source": h.source.as_str(),
            "name": h.name,
            "value": h.value,
            "key": h.key.map(|k| format!("{k:#018x}")),
            "effective": h.effective,
            "endpoint": h.endpoint.as_ref().map(|(address, port)| json!({"address": address, "port": port})),
            "note": h.note,
        })
    });
    let tls = e
        .tls_origination
        .as_ref()
        .map(|t| json!({"mode": t.mode, "sni": t.sni, "auto_sni": t.auto_sni, "verify": t.verify}));
    let retries = e.retries.as_ref().map(|r| {
        json!({
            "attempts": r.attempts,
            "per_try_timeout": r.per_try_timeout,
            "retry_on": r.retry_on,
            "retriable_status_codes": r.retriable_status_codes,
            "default": r.default,
        })
    });
    let steps: Vec<Value> = e
        .steps
        .iter()
        .map(|s| {
            json!({
                "stage": s.stage,
                "outcome": s.outcome.as_str(),
                "summary": s.summary,
                "refs": s.refs.iter().map(|r| ref_json(r, mesh)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "outcome": e.outcome.as_str(),
        "http_status": e.http_status,
        "response_flag": e.response_flag,
        "service_entry": service_entry,
        "virtual_service": virtual_service,
        "destination_rule": e.destination_rule.as_ref().map(|d| json!({"namespace": d.namespace, "name": d.name})),
        "listener": e.listener,
        "cluster": e.cluster,
        "cluster_exists": e.cluster_exists,
        "subset": e.subset,
        "destinations": destinations,
        "envoy_cluster_type": e.envoy_cluster_type.map(|t| t.as_str()),
        "endpoints": e.endpoints.iter().map(endpoint_json).collect::<Vec<_>>(),
        "load_balancer": e.load_balancer.map(|l| l.as_str()),
        "hash": hash,
        "tls_origination": tls,
        "timeout": e.timeout,
        "retries": retries,
        "telemetry": {
            "destination_service": e.telemetry.destination_service,
            "destination_service_name": e.telemetry.destination_service_name,
            "destination_service_namespace": e.telemetry.destination_service_namespace,
        },
        "steps": steps,
        "diagnostics": e.diagnostics.iter().map(|d| diagnostic_json(mesh, d)).collect::<Vec<_>>(),
    })
}

/// The simulation object (`CONTRACT.md`, "Simulation").
pub fn simulation_json(s: &Simulation) -> Value {
    json!({
        "n": s.n,
        "seed": s.seed,
        "clients": s.clients,
        "varied": s.varied,
        "destinations": s.destinations.iter().map(|d| json!({"cluster": d.cluster, "count": d.count})).collect::<Vec<_>>(),
        "endpoints": s.endpoints.iter().map(|e| json!({"cluster": e.cluster, "address": e.address, "port": e.port, "count": e.count})).collect::<Vec<_>>(),
        "sticky_clients": s.sticky_clients,
    })
}
