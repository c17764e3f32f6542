//! The fixture corpus and the filter's robustness cases through real Envoy with meshroute-filter.
//!
//! One Envoy (1.40, V8) runs for the whole suite with file-based LDS/CDS. For each explain case
//! the harness writes istiod-shaped listeners and clusters (`istio.rs`) carrying the case's YAML
//! as the plugin configuration, sends the case's request or connection over loopback behind a
//! PROXY header that stands in for iptables, and checks three things:
//! - the filter state in Envoy's access log equals what the core answers natively for the same
//!   view of the request (`meshroute_filter::request` adapters, `Mesh::classify`);
//! - that answer is the case's own (outcome and cluster of `explain` on the case's request);
//! - Envoy did what was predicted: the cluster it used (and the upstream that answered), or the
//!   local reply; and the filter's drift counter stays at zero.
//!
//! Needs `ENVOY_BIN` and `MESHROUTE_FILTER_WASM` (`make test-envoy` sets both).

mod istio;
mod net;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use meshroute_core::Source;
use meshroute_core::engine::{Mesh, Outcome, Request, RequestProtocol};
use meshroute_filter::config::Settings;
use meshroute_filter::request::{self as adapt, Downstream, Reads};
use meshroute_filter::tags;
use meshroute_tests::explain_case::{ExplainCase, yaml_to_json};
use serde_json::{Value, json};

use net::{Envoy, Upstreams};

const UPSTREAMS: usize = 48;
/// Where a request goes when the case names no address: TEST-NET-2, registered by nobody.
const UNCLAIMED_IP: &str = "198.51.100.77";

struct Suite {
    envoy: Envoy,
    upstreams: Upstreams,
    dir: PathBuf,
    wasm: String,
    outbound_port: u16,
    version: u64,
    log_offset: usize,
}

fn main() {
    let (Some(binary), Some(wasm)) =
        (std::env::var_os("ENVOY_BIN"), std::env::var("MESHROUTE_FILTER_WASM").ok())
    else {
        eprintln!("ENVOY_BIN and MESHROUTE_FILTER_WASM must be set; run `make test-envoy`");
        println!("test result: FAILED. 0 passed; 1 failed; 0 ignored");
        std::process::exit(1);
    };
    let mut suite = match Suite::start(Path::new(&binary), wasm) {
        Ok(suite) => suite,
        Err(e) => {
            eprintln!("cannot start the suite: {e}");
            println!("test result: FAILED. 0 passed; 1 failed; 0 ignored");
            std::process::exit(1);
        }
    };
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mut passed = 0;
    let mut failed = Vec::new();
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let started = Instant::now();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/explain");
    for file in meshroute_tests::yaml_files(&root) {
        let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        match suite.run_case(&file) {
            Ok(Run::Passed) => passed += 1,
            Ok(Run::Skipped(reason)) => skipped.entry(reason).or_default().push(name),
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed.push(name);
            }
        }
    }
    for (name, check) in robustness_checks() {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        match check(&mut suite) {
            Ok(()) => passed += 1,
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed.push(name.to_string());
            }
        }
    }
    let drift = suite.drift();
    if drift != 0 {
        println!("FAIL drift: meshroute_drift_total is {drift}");
        failed.push("drift".into());
    } else {
        passed += 1;
    }
    let skipped_count: usize = skipped.values().map(Vec::len).sum();
    println!("\ncases not expressible on loopback by the test's generator ({skipped_count}):");
    for (reason, names) in &skipped {
        println!("  {:3} {reason} (e.g. {})", names.len(), names[0]);
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; {skipped_count} ignored; finished in {:.1}s",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

enum Run {
    Passed,
    Skipped(String),
}

/// One access-log line: which face logged it, the response code, Envoy's cluster, the tags.
#[derive(Debug)]
struct Logged {
    kind: String,
    code: String,
    upstream: Option<String>,
    tags: BTreeMap<String, String>,
}

fn documents(text: &str) -> Vec<Value> {
    let (docs, _) = meshroute_core::yaml::parse(text);
    docs.iter().filter_map(|d| d.root.as_ref()).map(yaml_to_json).collect()
}

fn build_mesh(config: &str) -> Mesh {
    let sources = [Source { name: "case", bytes: config.as_bytes() }];
    let (config, diagnostics) = meshroute_core::lint(&sources);
    Mesh::new(config, diagnostics)
}

impl Suite {
    fn start(binary: &Path, wasm: String) -> Result<Suite, String> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("envoy-suite");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let upstreams = Upstreams::start(UPSTREAMS).map_err(|e| e.to_string())?;
        let outbound_port = net::free_port().map_err(|e| e.to_string())?;
        let empty = json!({"version_info": "0", "resources": []}).to_string();
        for name in ["lds.json", "cds.json"] {
            net::replace_file(&dir.join(name), &empty).map_err(|e| e.to_string())?;
        }
        let source = |name: &str| json!({"path_config_source": {"path": dir.join(name), "watched_directory": {"path": dir}}, "resource_api_version": "V3"});
        let bootstrap = json!({
            "node": {"id": "sidecar~10.0.0.1~app.default~default.svc.cluster.local", "cluster": "app.default",
                     "metadata": {"NAMESPACE": "default"}},
            "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
            "dynamic_resources": {"lds_config": source("lds.json"), "cds_config": source("cds.json")},
        });
        let path = dir.join("bootstrap.json");
        std::fs::write(&path, bootstrap.to_string()).map_err(|e| e.to_string())?;
        let envoy = Envoy::start(binary, &path, &dir)?;
        Ok(Suite { envoy, upstreams, dir, wasm, outbound_port, version: 0, log_offset: 0 })
    }

    fn drift(&self) -> u64 {
        self.envoy.stat(&format!("wasmcustom.{}", tags::DRIFT_COUNTER))
    }

    /// Pushes clusters then listeners and waits until Envoy accepted (true) or rejected them.
    /// `configure` has checked that every cluster with an endpoint gets an upstream.
    fn push(&mut self, generated: &istio::Generated) -> Result<bool, String> {
        let mut port_of = BTreeMap::new();
        if let Ok(mut names) = self.upstreams.names.lock() {
            for (index, cluster) in generated.upstreams.iter().enumerate() {
                names[index] = cluster.clone();
                port_of.insert(cluster.clone(), self.upstreams.ports[index]);
            }
        }
        let clusters: Vec<Value> = generated
            .clusters
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c["@type"] = json!("type.googleapis.com/envoy.config.cluster.v3.Cluster");
                if let Some(port) = c["name"].as_str().and_then(|n| port_of.get(n)) {
                    c["load_assignment"]["endpoints"] = json!([{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]);
                }
                c
            })
            .collect();
        let listeners: Vec<Value> = generated
            .listeners
            .iter()
            .map(|l| {
                let mut l = l.clone();
                l["@type"] = json!("type.googleapis.com/envoy.config.listener.v3.Listener");
                l
            })
            .collect();
        self.version += 1;
        let before_cds = self.envoy.stat("cluster_manager.cds.update_success");
        let cds = json!({"version_info": self.version.to_string(), "resources": clusters});
        net::replace_file(&self.dir.join("cds.json"), &cds.to_string())
            .map_err(|e| e.to_string())?;
        self.wait(
            |s| s.envoy.stat("cluster_manager.cds.update_success") > before_cds,
            "CDS update",
        )?;
        let ok = self.envoy.stat("listener_manager.lds.update_success");
        let rejected = self.envoy.stat("listener_manager.lds.update_rejected");
        let lds = json!({"version_info": self.version.to_string(), "resources": listeners});
        net::replace_file(&self.dir.join("lds.json"), &lds.to_string())
            .map_err(|e| e.to_string())?;
        self.wait(
            |s| {
                s.envoy.stat("listener_manager.lds.update_success") > ok
                    || s.envoy.stat("listener_manager.lds.update_rejected") > rejected
            },
            "LDS update",
        )?;
        if self.envoy.stat("listener_manager.lds.update_rejected") > rejected {
            return Ok(false);
        }
        self.wait(
            |s| s.envoy.stat("listener_manager.total_listeners_warming") == 0,
            "listeners warm",
        )?;
        Ok(true)
    }

    fn wait(&self, done: impl Fn(&Suite) -> bool, what: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(self) {
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// The next access-log line (each request or connection writes exactly one).
    fn next_log(&mut self) -> Result<Logged, String> {
        let path = self.dir.join("access.log");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(end) = text.get(self.log_offset..).and_then(|rest| rest.find('\n')) {
                let line = &text[self.log_offset..self.log_offset + end];
                self.log_offset += end + 1;
                let fields: Vec<&str> = line.split('\t').collect();
                let present = |v: &str| (v != "-").then(|| v.to_string());
                let mut tags = BTreeMap::new();
                for (key, value) in tags::KEYS.iter().zip(fields.iter().skip(3)) {
                    if let Some(v) = present(value) {
                        tags.insert(key.to_string(), v);
                    }
                }
                return Ok(Logged {
                    kind: fields.first().unwrap_or(&"").to_string(),
                    code: fields.get(1).unwrap_or(&"").to_string(),
                    upstream: fields.get(2).and_then(|v| present(v)),
                    tags,
                });
            }
            if Instant::now() > deadline {
                return Err("no access-log line".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn run_case(&mut self, file: &Path) -> Result<Run, String> {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        let case = ExplainCase::parse(&text)?;
        let request = meshroute_wire::parse_request(&case.request).map_err(|e| e.to_string())?;
        let skip = |reason: &str| Ok(Run::Skipped(reason.to_string()));
        if request.protocol == RequestProtocol::Http2 {
            return skip("HTTP/2 requests (the harness speaks HTTP/1.1)");
        }
        if request.dns_capture || !request.dns.is_empty() {
            return skip("DNS proxy answers (no DNS capture on loopback)");
        }
        if !request.source_labels.is_empty() {
            return skip("source workload labels");
        }
        if request.protocol.is_http() && request.host.is_none() {
            return skip("HTTP/1.1 request without Host");
        }
        let docs = documents(case.config);
        let mesh_registry_only = docs.iter().any(|d| {
            d.get("kind").and_then(Value::as_str) == Some("MeshConfig")
                && d.pointer("/spec/outboundTrafficPolicy/mode")
                    .or(d.pointer("/outboundTrafficPolicy/mode"))
                    .and_then(Value::as_str)
                    == Some("REGISTRY_ONLY")
        });
        let registry_only = match request.outbound_policy {
            Some(policy) => policy.as_str() == "REGISTRY_ONLY",
            None => mesh_registry_only,
        };
        let mut plugin = json!({"resources": case.config, "namespace": request.namespace});
        if let Some(policy) = request.outbound_policy {
            plugin["outbound_traffic_policy"] = json!(policy.as_str());
        }
        match self.configure(&docs, &request.namespace, registry_only, &plugin)? {
            Err(reason) => return Ok(Run::Skipped(reason)),
            Ok(false) => return Err("Envoy rejected the generated listeners".into()),
            Ok(true) => {}
        }
        let mesh = build_mesh(case.config);
        let (destination, source) = addresses(&request);
        let sent = send(self.outbound_port, &request, destination, source)?;
        let logged = self.next_log()?;
        check(&mesh, &request, destination, &sent, &logged)?;
        if request.protocol.is_http() {
            // Again: where routing reads only the authority and destination, the filter writes
            // the answer it kept from the first request, which must still be the core's.
            let sent = send(self.outbound_port, &request, destination, source)?;
            let again = self.next_log()?;
            check(&mesh, &request, destination, &sent, &again)
                .map_err(|why| format!("the same request again: {why}"))?;
        }
        Ok(Run::Passed)
    }

    /// Generates the configuration for `docs` and pushes it: `Ok(Err(reason))` when the
    /// generator cannot express it on loopback, else whether Envoy accepted it.
    fn configure(
        &mut self,
        docs: &[Value],
        namespace: &str,
        registry_only: bool,
        plugin: &Value,
    ) -> Result<Result<bool, String>, String> {
        let plugin = plugin.to_string();
        let access_log = self.dir.join("access.log").display().to_string();
        let inputs = istio::Inputs {
            documents: docs,
            namespace,
            registry_only,
            plugin_config: &plugin,
            wasm_path: &self.wasm,
            access_log: &access_log,
            outbound_port: self.outbound_port,
        };
        let generated = match istio::generate(&inputs) {
            Ok(generated) => generated,
            Err(reason) => return Ok(Err(reason)),
        };
        if generated.upstreams.len() > UPSTREAMS {
            return Ok(Err("more clusters than loopback upstreams".into()));
        }
        self.push(&generated).map(Ok)
    }
}

fn addresses(request: &Request) -> (SocketAddr, SocketAddr) {
    let ip =
        request.dest_ip.unwrap_or_else(|| UNCLAIMED_IP.parse().unwrap_or_else(|_| unreachable!()));
    (
        SocketAddr::new(ip, request.effective_port() as u16),
        SocketAddr::new(request.source_ip, 40000),
    )
}

fn http_payload(request: &Request, host: Option<&str>, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, request.path).into_bytes();
    if let Some(host) = host {
        out.extend(format!("Host: {host}\r\n").bytes());
    }
    for (name, value) in &request.headers {
        out.extend(format!("{name}: {value}\r\n").bytes());
    }
    if !request.cookies.is_empty() {
        let cookies: Vec<String> =
            request.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.extend(format!("cookie: {}\r\n", cookies.join("; ")).bytes());
    }
    for (name, value) in extra {
        out.extend(format!("{name}: {value}\r\n").bytes());
    }
    out.extend(b"connection: close\r\n\r\n");
    out
}

fn send(
    port: u16,
    request: &Request,
    destination: SocketAddr,
    source: SocketAddr,
) -> Result<Vec<u8>, String> {
    let header = net::proxy_header(source, destination);
    let payload = match request.protocol {
        RequestProtocol::Tls => net::client_hello(request.host.as_deref().unwrap_or("")),
        RequestProtocol::Tcp => b"hello\n".to_vec(),
        _ => http_payload(request, request.host.as_deref(), &[]),
    };
    net::exchange(port, &header, &payload).map_err(|e| format!("sending: {e}"))
}

/// What the filter computes for what Envoy showed it, computed here natively: for HTTP, the
/// headers and destination parts the filter reads for this configuration (`Reads`).
fn native_view(mesh: &Mesh, request: &Request, destination: SocketAddr, kind: &str) -> Request {
    let settings = Settings { outbound_policy: request.outbound_policy, ..Settings::default() };
    if kind == "http" {
        let reads = Reads::of(mesh, &settings);
        let headers = request
            .headers
            .iter()
            .filter(|(n, _)| reads.headers.contains(&n.to_ascii_lowercase()))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        let port = Some(destination.port());
        let downstream = if reads.address_needed(port, request.host.is_some()) {
            Downstream::of(Some(destination))
        } else {
            Downstream { address: None, port }
        };
        // Without a VirtualService match the filter reads neither; the core's defaults stand.
        let (method, path) = if reads.method_and_path || !reads.headers.is_empty() {
            (Some(request.method.as_bytes()), Some(request.path.as_bytes()))
        } else {
            (None, None)
        };
        adapt::http_request(
            &settings,
            &request.namespace,
            &downstream,
            request.host.as_deref().map(str::as_bytes),
            method,
            path,
            headers,
        )
    } else {
        let sni =
            (request.protocol == RequestProtocol::Tls).then(|| request.host.clone()).flatten();
        adapt::connection_request(
            &settings,
            &request.namespace,
            &Downstream::of(Some(destination)),
            sni.as_deref().map(str::as_bytes),
        )
    }
}

fn check(
    mesh: &Mesh,
    request: &Request,
    destination: SocketAddr,
    sent: &[u8],
    logged: &Logged,
) -> Result<(), String> {
    let view = native_view(mesh, request, destination, &logged.kind);
    let classification = mesh.classify(&view);
    let name = tags::entry_name(&classification);
    let requested = adapt::requested_host(&view);
    let mut scratch = String::new();
    let expected: BTreeMap<String, String> =
        tags::filter_state(&classification, name.as_deref(), requested.as_deref(), &mut scratch)
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    if expected != logged.tags {
        return Err(format!("filter state {:?}, the core says {:?}", logged.tags, expected));
    }
    // The view through Envoy must not change the case's verdict.
    let own = mesh.explain(request);
    if own.outcome != classification.outcome || own.cluster != classification.cluster {
        return Err(format!(
            "through Envoy the request reads as {} {:?}; the case itself is {} {:?}",
            classification.outcome.as_str(),
            classification.cluster,
            own.outcome.as_str(),
            own.cluster
        ));
    }
    let reply = String::from_utf8_lossy(sent);
    let answered_by = reply
        .lines()
        .find_map(|l| l.strip_prefix("x-upstream: ").or_else(|| l.strip_prefix("upstream ")))
        .map(|s| s.trim().to_string());
    let local = classification.outcome == Outcome::LocalReply
        || (logged.kind == "http" && classification.outcome == Outcome::Blackhole);
    if local {
        let status = own.http_status.map(|s| s.to_string()).unwrap_or_default();
        if logged.upstream.is_some() && classification.outcome != Outcome::LocalReply {
            return Err(format!("Envoy used {:?} for a local reply", logged.upstream));
        }
        if !status.is_empty() && logged.code != status {
            return Err(format!("Envoy answered {}, the core predicts {status}", logged.code));
        }
        return Ok(());
    }
    let alternatives: Vec<String> = own.destinations.iter().map(|d| d.cluster.clone()).collect();
    let predicted = classification.cluster.clone().unwrap_or_default();
    let used = logged.upstream.clone().unwrap_or_default();
    if used != predicted && !alternatives.contains(&used) {
        return Err(format!("Envoy used cluster {used:?}, the core predicts {predicted:?}"));
    }
    if own.endpoints.is_empty() && used != "PassthroughCluster" {
        // A cluster without endpoints: Envoy answers 503 itself.
        if answered_by.is_some() {
            return Err(format!("{answered_by:?} answered for a cluster with no endpoints"));
        }
        return Ok(());
    }
    if used != "BlackHoleCluster" && answered_by.as_deref() != Some(used.as_str()) {
        return Err(format!("the answer came from {answered_by:?}, not {used}"));
    }
    Ok(())
}

type Check = fn(&mut Suite) -> Result<(), String>;

/// Traffic the filter must let through whatever it carries, and configuration changes.
fn robustness_checks() -> Vec<(&'static str, Check)> {
    vec![
        ("robustness/hostile-http-inputs", hostile_http_inputs),
        ("robustness/connections-without-sni", connection_without_sni),
        ("robustness/bad-configuration-keeps-the-previous", bad_configuration_is_rejected),
        ("robustness/header-option-replaces-spoofed-copies", header_option),
        ("robustness/unregistered-hosts-capped", unregistered_hosts_capped),
        ("robustness/kept-answers-follow-the-authority", kept_answers_follow_the_authority),
        (
            "robustness/kept-answers-only-where-routes-read-nothing-else",
            kept_answers_only_where_routes_read_nothing_else,
        ),
        ("robustness/weighted-route-both-branches-agree", weighted_route_both_branches_agree),
        ("native/filter-reads-keep-every-verdict", filter_reads_keep_every_verdict),
    ]
}

/// What the HTTP filter leaves unread for a configuration (`Reads`: the destination address on
/// most ports, `:method` and `:path` when no VirtualService matches on them, headers no match
/// names) must not change the core's answer. Checked natively on every HTTP case of the corpus,
/// including those the generator cannot express on loopback (address listeners, CIDRs, DNS
/// capture), which is where the address rule matters.
fn filter_reads_keep_every_verdict(_: &mut Suite) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/explain");
    let files = meshroute_tests::yaml_files(&root);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        let case = ExplainCase::parse(&text)?;
        let request = meshroute_wire::parse_request(&case.request).map_err(|e| e.to_string())?;
        if !request.protocol.is_http() {
            continue;
        }
        let mesh = build_mesh(case.config);
        let settings = Settings {
            outbound_policy: request.outbound_policy,
            dns_capture: request.dns_capture,
            ..Settings::default()
        };
        let reads = Reads::of(&mesh, &settings);
        let mut read = request.clone();
        let port = u16::try_from(request.effective_port()).ok();
        if !reads.address_needed(port, request.host.is_some()) {
            read.dest_ip = None;
        }
        if !reads.method_and_path && reads.headers.is_empty() {
            read.method = Request::default().method;
            read.path = Request::default().path;
        }
        read.headers.retain(|(name, _)| reads.headers.contains(&name.to_ascii_lowercase()));
        if !reads.headers.iter().any(|name| name == "cookie") {
            read.cookies.clear();
        }
        let (full, partial) = (mesh.classify(&request), mesh.classify(&read));
        if full != partial {
            let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            problems.push(format!("{name}: {full:?} becomes {partial:?}"));
        }
        checked += 1;
    }
    if checked < 100 {
        problems.push(format!("only {checked} HTTP cases found"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

const TWO_ENTRIES: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: payments}
spec:
  hosts: [api.stripe.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
";

fn load(suite: &mut Suite, resources: &str, extra: Value) -> Result<bool, String> {
    let docs = documents(resources);
    let mut plugin = json!({"resources": resources, "namespace": "default"});
    if let (Some(p), Some(e)) = (plugin.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    suite.configure(&docs, "default", false, &plugin)?
}

fn raw_http(suite: &mut Suite, port: u16, head: &[u8]) -> Result<(String, Logged), String> {
    let destination: SocketAddr =
        format!("{UNCLAIMED_IP}:{port}").parse().map_err(|_| "address")?;
    let source: SocketAddr = "10.0.0.1:40000".parse().map_err(|_| "address")?;
    let reply = net::exchange(suite.outbound_port, &net::proxy_header(source, destination), head)
        .map_err(|e| e.to_string())?;
    let logged = suite.next_log()?;
    Ok((String::from_utf8_lossy(&reply).into_owned(), logged))
}

fn hostile_http_inputs(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, TWO_ENTRIES, json!({}))? {
        return Err("the configuration was rejected".into());
    }
    let big = "a".repeat(64 * 1024 - 200);
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        ("host:port", b"GET / HTTP/1.1\r\nHost: httpbin.example.com:80\r\nconnection: close\r\n\r\n".to_vec(), Some("default/httpbin"), "200"),
        ("uppercase", b"GET / HTTP/1.1\r\nHost: HTTPBIN.Example.COM\r\nconnection: close\r\n\r\n".to_vec(), Some("default/httpbin"), "200"),
        // istiod lists the absolute FQDN among a virtual host's domains, so the dot still matches.
        ("trailing dot", b"GET / HTTP/1.1\r\nHost: httpbin.example.com.\r\nconnection: close\r\n\r\n".to_vec(), Some("default/httpbin"), "200"),
        ("IPv6 literal", b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\nconnection: close\r\n\r\n".to_vec(), None, "200"),
        // Envoy answers a request without Host itself (400) before any HTTP filter runs; the
        // filter's no-authority path is covered by its unit tests.
        ("no authority", b"GET / HTTP/1.0\r\n\r\n".to_vec(), None, "400"),
        ("not UTF-8", b"GET /\xff HTTP/1.1\r\nHost: ht\xfftpbin.example.com\r\nx-raw: \xfe\xff\r\nconnection: close\r\n\r\n".to_vec(), None, "any"),
        ("64 KB header", format!("GET / HTTP/1.1\r\nHost: httpbin.example.com\r\nx-big: {big}\r\nconnection: close\r\n\r\n").into_bytes(), Some("default/httpbin"), "any"),
    ];
    let mut problems = Vec::new();
    for (name, head, entry, code) in cases {
        match raw_http(suite, 80, &head) {
            Ok((reply, logged)) => {
                if reply.is_empty() {
                    problems.push(format!("{name}: no reply"));
                }
                if code != "any" && logged.code != code {
                    problems.push(format!("{name}: status {} (want {code})", logged.code));
                }
                if logged.kind == "http"
                    && !logged.tags.contains_key(tags::OUTCOME)
                    && logged.code != "400"
                    && logged.code != "431"
                {
                    problems.push(format!("{name}: not tagged ({logged:?})"));
                }
                if let Some(entry) = entry {
                    if logged.tags.get(tags::SERVICE_ENTRY).map(String::as_str) != Some(entry) {
                        problems.push(format!(
                            "{name}: service entry {:?}",
                            logged.tags.get(tags::SERVICE_ENTRY)
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// The filter keeps one answer per authority and destination; interleaved hosts on one
/// keep-alive-free sequence must each get their own, every time.
fn kept_answers_follow_the_authority(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, TWO_ENTRIES, json!({}))? {
        return Err("the configuration was rejected".into());
    }
    let sequence = [
        ("httpbin.example.com", Some("default/httpbin"), "httpbin.example.com"),
        ("unknown.example.org", None, "unknown.example.org"),
        ("httpbin.example.com", Some("default/httpbin"), "httpbin.example.com"),
        ("HTTPBIN.example.com", Some("default/httpbin"), "httpbin.example.com"),
        ("unknown.example.org", None, "unknown.example.org"),
        ("other.example.org", None, "other.example.org"),
        ("httpbin.example.com:80", Some("default/httpbin"), "httpbin.example.com"),
    ];
    let mut problems = Vec::new();
    for (round, (host, entry, tagged_host)) in sequence.iter().enumerate() {
        let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\nconnection: close\r\n\r\n");
        let (_, logged) = raw_http(suite, 80, head.as_bytes())?;
        let got_entry = logged.tags.get(tags::SERVICE_ENTRY).map(String::as_str);
        let got_host = logged.tags.get(tags::HOST).map(String::as_str);
        if got_entry != *entry || got_host != Some(*tagged_host) {
            problems
                .push(format!("request {round} to {host}: entry {got_entry:?}, host {got_host:?}"));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// Two VirtualServices: `shop` routes on a header, `split` by weight; `httpbin` has none.
const ROUTED: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop.example.com, shop-canary.example.com, split.example.com, split-next.example.com, httpbin.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop.example.com]
  http:
  - match: [{headers: {x-canary: {exact: 'yes'}}}]
    route: [{destination: {host: shop-canary.example.com}}]
  - route: [{destination: {host: shop.example.com}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: split, namespace: default}
spec:
  hosts: [split.example.com]
  http:
  - route:
    - {destination: {host: split.example.com}, weight: 50}
    - {destination: {host: split-next.example.com}, weight: 50}
";

/// One VirtualService routes on a header, the other host has none: requests to the first are
/// evaluated every time (a kept answer would send the next one where the header sent the last),
/// while the second keeps its answer. Envoy's actual cluster says which answer was right.
fn kept_answers_only_where_routes_read_nothing_else(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, ROUTED, json!({}))? {
        return Err("the configuration was rejected".into());
    }
    let (stable, canary, httpbin) = (
        "outbound|80||shop.example.com",
        "outbound|80||shop-canary.example.com",
        "outbound|80||httpbin.example.com",
    );
    let sequence = [
        ("shop.example.com", "x-canary: yes\r\n", canary),
        ("shop.example.com", "", stable),
        ("shop.example.com", "x-canary: yes\r\n", canary),
        ("httpbin.example.com", "x-canary: yes\r\n", httpbin),
        ("shop.example.com", "x-canary: no\r\n", stable),
        ("httpbin.example.com", "", httpbin),
        ("shop.example.com", "X-Canary: yes\r\n", canary),
    ];
    let mut problems = Vec::new();
    for (round, (host, header, cluster)) in sequence.iter().enumerate() {
        let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\n{header}connection: close\r\n\r\n");
        let (_, logged) = raw_http(suite, 80, head.as_bytes())?;
        let tagged = logged.tags.get(tags::CLUSTER).map(String::as_str);
        if tagged != Some(*cluster) || logged.upstream.as_deref() != Some(*cluster) {
            problems.push(format!(
                "request {round} to {host} ({}): tagged {tagged:?}, Envoy used {:?}, expected {cluster}",
                header.trim(),
                logged.upstream
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// A 50/50 weighted route: Envoy picks either cluster, the filter predicts the heavier (the
/// first), and a pick of the other must still count as agreement. The host's answer is kept, so
/// every request after the first also checks the kept answer's alternatives. Twenty requests
/// miss one of the clusters with a chance of one in half a million.
fn weighted_route_both_branches_agree(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, ROUTED, json!({}))? {
        return Err("the configuration was rejected".into());
    }
    let drift_before = suite.drift();
    let mut used = BTreeMap::new();
    let head = b"GET / HTTP/1.1\r\nHost: split.example.com\r\nconnection: close\r\n\r\n";
    for _ in 0..20 {
        let (_, logged) = raw_http(suite, 80, head)?;
        *used.entry(logged.upstream.unwrap_or_default()).or_insert(0) += 1;
    }
    let drift = suite.drift() - drift_before;
    let expected = ["outbound|80||split-next.example.com", "outbound|80||split.example.com"];
    if used.keys().map(String::as_str).ne(expected) || drift != 0 {
        return Err(format!("Envoy used {used:?}; the drift counter moved by {drift}"));
    }
    Ok(())
}

fn connection_without_sni(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, TWO_ENTRIES, json!({}))? {
        return Err("the configuration was rejected".into());
    }
    let destination: SocketAddr = format!("{UNCLAIMED_IP}:443").parse().map_err(|_| "address")?;
    let source: SocketAddr = "10.0.0.1:40000".parse().map_err(|_| "address")?;
    let mut problems = Vec::new();
    for (name, payload, entry) in [
        ("TLS with SNI", net::client_hello("api.stripe.com"), Some("payments/stripe")),
        ("TLS without SNI", net::client_hello(""), None),
        ("plaintext on 443", b"hello\n".to_vec(), None),
    ] {
        let reply =
            net::exchange(suite.outbound_port, &net::proxy_header(source, destination), &payload)
                .map_err(|e| e.to_string())?;
        let logged = suite.next_log()?;
        if !String::from_utf8_lossy(&reply).starts_with("upstream ") {
            problems.push(format!("{name}: no upstream answered"));
        }
        if logged.tags.get(tags::SERVICE_ENTRY).map(String::as_str) != entry {
            problems.push(format!("{name}: tagged {:?}", logged.tags));
        }
        if !logged.tags.contains_key(tags::OUTCOME) {
            problems.push(format!("{name}: no outcome tag"));
        }
    }
    let counted = suite.envoy.stats_with("meshroute_connections_total");
    if !counted.iter().any(|(n, v)| n.contains("service_entry=.=payments/stripe") && *v > 0) {
        problems.push(format!("no connection counter for payments/stripe in {counted:?}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

fn bad_configuration_is_rejected(suite: &mut Suite) -> Result<(), String> {
    if !load(suite, TWO_ENTRIES, json!({}))? {
        return Err("the good configuration was rejected".into());
    }
    let head = b"GET / HTTP/1.1\r\nHost: httpbin.example.com\r\nconnection: close\r\n\r\n";
    // A ServiceEntry without ports is an error: the new listeners must be refused.
    let broken = TWO_ENTRIES.replace(
        "  ports: [{number: 443, name: tls, protocol: TLS}]\n",
        "  ports: [{number: 443, name: tls, protocol: TLS}]\n  resolution: BOGUS\n",
    );
    let rejected_before = suite.envoy.stat("listener_manager.lds.update_rejected");
    if load(suite, &broken, json!({}))? {
        return Err("a configuration with an invalid resolution was accepted".into());
    }
    if suite.envoy.stat("listener_manager.lds.update_rejected") <= rejected_before {
        return Err("Envoy did not count the rejection".into());
    }
    let (_, logged) = raw_http(suite, 80, head)?;
    if logged.tags.get(tags::SERVICE_ENTRY).map(String::as_str) != Some("default/httpbin") {
        return Err(format!(
            "after the rejection the previous configuration stopped tagging: {logged:?}"
        ));
    }
    // An update that renames the entry takes effect.
    let renamed = TWO_ENTRIES.replace("name: httpbin,", "name: httpbin-v2,");
    if !load(suite, &renamed, json!({}))? {
        return Err("the updated configuration was rejected".into());
    }
    let (_, logged) = raw_http(suite, 80, head)?;
    if logged.tags.get(tags::SERVICE_ENTRY).map(String::as_str) != Some("default/httpbin-v2") {
        return Err(format!("the update did not take effect: {logged:?}"));
    }
    Ok(())
}

fn header_option(suite: &mut Suite) -> Result<(), String> {
    let head = b"GET / HTTP/1.1\r\nHost: httpbin.example.com\r\nx-meshroute-service-entry: spoofed/by-app\r\nconnection: close\r\n\r\n";
    if !load(suite, TWO_ENTRIES, json!({}))? {
        return Err("rejected".into());
    }
    let (reply, _) = raw_http(suite, 80, head)?;
    if !reply.contains("x-meshroute-service-entry: spoofed/by-app") {
        return Err(format!(
            "with the header off, the app's header should pass untouched: {reply}"
        ));
    }
    if !load(suite, TWO_ENTRIES, json!({"outputs": {"header": true}}))? {
        return Err("rejected".into());
    }
    let (reply, _) = raw_http(suite, 80, head)?;
    if reply.contains("spoofed") || !reply.contains("x-meshroute-service-entry: default/httpbin") {
        return Err(format!("the upstream saw: {reply}"));
    }
    let unregistered = b"GET / HTTP/1.1\r\nHost: nobody.example.org\r\nx-meshroute-service-entry: spoofed/by-app\r\nconnection: close\r\n\r\n";
    let (reply, _) = raw_http(suite, 80, unregistered)?;
    if reply.contains("x-meshroute-service-entry") {
        return Err(format!("an unregistered request kept a service-entry header: {reply}"));
    }
    Ok(())
}

fn unregistered_hosts_capped(suite: &mut Suite) -> Result<(), String> {
    // The table of hosts lives as long as the VM, across configurations, so the check uses a
    // cap of zero (everything new overflows) and then a roomy one (a new host is counted).
    let overflow = |suite: &Suite| {
        suite.envoy.stat("wasmcustom.meshroute_unregistered_requests_overflow_total")
    };
    let per_host = |suite: &Suite, host: &str| {
        suite.envoy.stats_with(&format!("host=.={host};")).iter().map(|(_, v)| v).sum::<u64>()
    };
    let send = |suite: &mut Suite, host: &str| -> Result<(), String> {
        let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\nconnection: close\r\n\r\n");
        let (_, logged) = raw_http(suite, 80, head.as_bytes())?;
        match logged.tags.get(tags::HOST) {
            Some(tagged) if tagged == host => Ok(()),
            _ => Err(format!("{host} tagged {:?}", logged.tags)),
        }
    };
    if !load(suite, TWO_ENTRIES, json!({"max_unregistered_hosts": 0}))? {
        return Err("rejected".into());
    }
    let before = overflow(suite);
    send(suite, "cap-zero.example.org")?;
    if overflow(suite) != before + 1 || per_host(suite, "cap-zero.example.org") != 0 {
        return Err("with a cap of zero the host should only reach the overflow counter".into());
    }
    if !load(suite, TWO_ENTRIES, json!({"max_unregistered_hosts": 10_000}))? {
        return Err("rejected".into());
    }
    send(suite, "cap-room.example.org")?;
    send(suite, "cap-room.example.org")?;
    if per_host(suite, "cap-room.example.org") != 2 || overflow(suite) != before + 1 {
        return Err("with room the host should get a counter of its own".into());
    }
    Ok(())
}
