//! The plugin configuration: the JSON Istio makes of a WasmPlugin's `pluginConfig`, read into
//! settings and a routing index, or refused with one line that says what to fix.

use meshroute_core::engine::{Mesh, OutboundPolicy};
use meshroute_core::{Diagnostic, Severity, Source};
use serde_json::{Map, Value};

use crate::request::Reads;
use crate::tags::EntryTable;

/// The filter-state keys, metrics and header are each opt-out (header: opt-in) by this switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// `wasm.meshroute.*` filter state for access logs and Telemetry `tagOverrides`.
    pub filter_state: bool,
    /// `meshroute_*` counters.
    pub metrics: bool,
    /// A request header naming the ServiceEntry. Off by default: it travels to the third party.
    pub header: bool,
}

/// Everything in the configuration besides the resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub outputs: Outputs,
    /// Lowercase; any copy the application sends is removed before ours is added.
    pub header_name: String,
    /// The calling workload's namespace; `None` reads the node metadata Istio sets.
    pub namespace: Option<String>,
    /// Overrides the mesh's outbound traffic policy (else the resources' MeshConfig, else ALLOW_ANY).
    pub outbound_policy: Option<OutboundPolicy>,
    /// The sidecar runs Istio's DNS proxy (auto-allocated ServiceEntry addresses are in use).
    pub dns_capture: bool,
    /// Distinct unregistered hosts counted one by one; the rest share one overflow counter.
    pub max_unregistered_hosts: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            outputs: Outputs { filter_state: true, metrics: true, header: false },
            header_name: DEFAULT_HEADER.to_string(),
            namespace: None,
            outbound_policy: None,
            dns_capture: false,
            max_unregistered_hosts: 100,
        }
    }
}

pub const DEFAULT_HEADER: &str = "x-meshroute-service-entry";
/// A bound on the unregistered-host table whatever the configuration asks: each entry is a
/// host name and a metric, and the table lives as long as the VM.
pub const MAX_UNREGISTERED_HOSTS: usize = 10_000;

/// A configuration that passed: the index shared by every request, and what to tell the log once.
pub struct Loaded {
    pub settings: Settings,
    pub mesh: Mesh,
    /// What the filter reads of each HTTP request.
    pub reads: Reads,
    /// Each ServiceEntry's name and counters, made here so that requests format nothing.
    pub entries: EntryTable,
    /// Warnings about the resources, one line each, logged once per configuration.
    pub warnings: Vec<String>,
    pub service_entries: usize,
}

/// Reads the plugin configuration. `Err` is one log line: the configuration is refused and
/// Envoy keeps serving with the previous one.
pub fn load(json: &[u8]) -> Result<Loaded, String> {
    let value: Value = serde_json::from_slice(json).map_err(|e| {
        format!(
            "meshroute: configuration rejected: not JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(object) = value else {
        return Err(
            "meshroute: configuration rejected: expected a JSON object with a `resources` key"
                .into(),
        );
    };
    let (settings, resources) =
        read(object).map_err(|e| format!("meshroute: configuration rejected: {e}"))?;
    let named: Vec<(String, String)> = match resources {
        Resources::Yaml(text) => vec![("resources".to_string(), text)],
        Resources::List(items) => items
            .iter()
            .enumerate()
            // JSON is YAML: each object stays a document of its own, named by its index.
            .map(|(index, item)| (format!("resources[{index}]"), item.to_string()))
            .collect(),
    };
    let sources: Vec<Source<'_>> =
        named.iter().map(|(name, text)| Source { name, bytes: text.as_bytes() }).collect();
    let (config, diagnostics) = meshroute_core::lint(&sources);
    let errors: Vec<&Diagnostic> =
        diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    if !errors.is_empty() {
        let first: Vec<String> = errors.iter().take(3).map(|d| describe(d, &config)).collect();
        return Err(format!(
            "meshroute: configuration rejected: {} error{} in the resources: {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            first.join("; ")
        ));
    }
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| format!("meshroute: warning: {}", describe(d, &config)))
        .collect();
    let service_entries = config.service_entries().count();
    let mesh = Mesh::new(config, diagnostics);
    let reads = Reads::of(&mesh, &settings);
    let entries = EntryTable::new(mesh.config());
    Ok(Loaded { settings, mesh, reads, entries, warnings, service_entries })
}

enum Resources {
    Yaml(String),
    List(Vec<Value>),
}

fn read(object: Map<String, Value>) -> Result<(Settings, Resources), String> {
    let mut settings = Settings::default();
    let mut resources = None;
    for (key, value) in object {
        match key.as_str() {
            "resources" => {
                resources = Some(match value {
                    Value::String(text) => Resources::Yaml(text),
                    Value::Array(items) => {
                        if let Some(index) = items.iter().position(|item| !item.is_object()) {
                            return Err(format!("resources[{index}] must be a resource object"));
                        }
                        Resources::List(items)
                    }
                    _ => {
                        return Err("`resources` must be a multi-document YAML string or a list \
                                    of resource objects"
                            .into());
                    }
                });
            }
            "outputs" => {
                let Value::Object(outputs) = value else {
                    return Err("`outputs` must be an object of booleans".into());
                };
                for (name, on) in outputs {
                    let on =
                        on.as_bool().ok_or_else(|| format!("outputs.{name} must be a boolean"))?;
                    match name.as_str() {
                        "filter_state" => settings.outputs.filter_state = on,
                        "metrics" => settings.outputs.metrics = on,
                        "header" => settings.outputs.header = on,
                        _ => {
                            return Err(format!(
                                "unknown output `{name}` (expected filter_state, metrics or header)"
                            ));
                        }
                    }
                }
            }
            "header_name" => {
                let name = string(&key, &value)?;
                let valid = !name.is_empty()
                    && !name.starts_with(':')
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !valid {
                    return Err(format!("header_name `{name}` is not a valid header name"));
                }
                settings.header_name = name.to_ascii_lowercase();
            }
            "namespace" => settings.namespace = Some(string(&key, &value)?.to_string()),
            "outbound_traffic_policy" => {
                settings.outbound_policy = Some(match string(&key, &value)? {
                    "ALLOW_ANY" => OutboundPolicy::AllowAny,
                    "REGISTRY_ONLY" => OutboundPolicy::RegistryOnly,
                    other => {
                        return Err(format!(
                            "outbound_traffic_policy `{other}` is not ALLOW_ANY or REGISTRY_ONLY"
                        ));
                    }
                });
            }
            "dns_capture" => {
                settings.dns_capture =
                    value.as_bool().ok_or_else(|| "`dns_capture` must be a boolean".to_string())?;
            }
            "max_unregistered_hosts" => {
                let cap = value.as_u64().ok_or_else(|| {
                    "`max_unregistered_hosts` must be a non-negative integer".to_string()
                })?;
                if cap > MAX_UNREGISTERED_HOSTS as u64 {
                    return Err(format!(
                        "`max_unregistered_hosts` is at most {MAX_UNREGISTERED_HOSTS}"
                    ));
                }
                settings.max_unregistered_hosts = cap as usize;
            }
            // A typo would otherwise silently fall back to a default.
            _ => {
                return Err(format!(
                    "unknown key `{key}` (expected resources, outputs, header_name, namespace, \
                     outbound_traffic_policy, dns_capture or max_unregistered_hosts)"
                ));
            }
        }
    }
    let resources = resources.ok_or_else(|| "the `resources` key is missing".to_string())?;
    Ok((settings, resources))
}

fn string<'v>(key: &str, value: &'v Value) -> Result<&'v str, String> {
    value.as_str().ok_or_else(|| format!("`{key}` must be a string"))
}

/// `resources:3:7 MR1002 ServiceEntry default/x spec.hosts[0]: message`.
fn describe(diagnostic: &Diagnostic, config: &meshroute_core::Config) -> String {
    let mut out = String::new();
    if let Some(location) = &diagnostic.location {
        out.push_str(&config.source(location.source).name);
        if let Some(lc) = location.line_col {
            out.push_str(&format!(":{}:{}", lc.line, lc.column));
        }
        out.push(' ');
    }
    out.push_str(diagnostic.code.id);
    if let Some(resource) = &diagnostic.resource {
        out.push_str(&format!(" {} {}/{}", resource.kind, resource.namespace, resource.name));
    }
    if let Some(path) = &diagnostic.path {
        out.push_str(&format!(" {path}"));
    }
    out.push_str(": ");
    out.push_str(&diagnostic.message);
    out
}
