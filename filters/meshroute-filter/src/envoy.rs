//! The proxy-wasm face: root, HTTP and network contexts that adapt Envoy to the core.
//!
//! One root context exists per plugin configuration; it owns the index built from that
//! configuration, and every request or connection it creates shares it through an `Rc`. A new
//! configuration arrives as a new root context, so it replaces the old index whole while
//! in-flight requests finish on the one they started with. What outlives configurations
//! (metric ids, the unregistered-host table, the drift count) lives per VM in [`VM`].
//!
//! Whatever happens, every callback returns `Continue`: the filter observes, it never decides.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use meshroute_core::engine::{Outcome, Request};
use proxy_wasm::traits::{Context, HttpContext, RootContext, StreamContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

use crate::abi::{self, Level};
use crate::config::{self, Loaded};
use crate::request::{self, Downstream};
use crate::tags::{self, Traffic, UnregisteredHosts};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// Root ids (Istio: the WasmPlugin's `pluginName`) that select the network filter.
const NETWORK_ROOT_IDS: [&str; 2] = ["meshroute-network", "meshroute_network"];

/// Per-VM state: Wasm VMs are single-threaded, one per worker.
#[derive(Default)]
struct VmState {
    counters: HashMap<String, Option<u32>>,
    unregistered: UnregisteredHosts,
    drift: u64,
}

thread_local! {
    static VM: RefCell<VmState> = RefCell::new(VmState::default());
}

fn count(name: String) {
    VM.with(|vm| {
        let mut vm = vm.borrow_mut();
        let id = *vm.counters.entry(name).or_insert_with_key(|name| abi::define_counter(name));
        if let Some(id) = id {
            abi::increment(id);
        }
    });
}

/// A configuration in force: the index and the namespace requests come from.
struct Active {
    loaded: Loaded,
    namespace: String,
}

#[derive(Default)]
struct Root {
    network: bool,
    active: Option<Rc<Active>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, size: usize) -> bool {
        let root_id = abi::property(&["plugin_root_id"]).unwrap_or_default();
        self.network = NETWORK_ROOT_IDS.iter().any(|id| id.as_bytes() == root_id.as_slice());
        let Some(bytes) = abi::plugin_configuration(size) else {
            abi::log(
                Level::Error,
                "meshroute: configuration rejected: Envoy gave no plugin configuration",
            );
            return false;
        };
        let loaded = match config::load(&bytes) {
            Ok(loaded) => loaded,
            Err(line) => {
                abi::log(Level::Error, &line);
                return false;
            }
        };
        // Once per configuration, never per request.
        for warning in &loaded.warnings {
            abi::log(Level::Warn, warning);
        }
        let namespace = loaded.settings.namespace.clone().unwrap_or_else(|| {
            // Envoy 1.40 serves the node under `xds.node`; older ones had a top-level `node`.
            abi::property(&["xds", "node", "metadata", "NAMESPACE"])
                .or_else(|| abi::property(&["node", "metadata", "NAMESPACE"]))
                .and_then(|ns| String::from_utf8(ns).ok())
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| "default".to_string())
        });
        abi::log(
            Level::Info,
            &format!(
                "meshroute: {} filter configured: {} ServiceEntries, namespace {namespace}",
                if self.network { "network" } else { "HTTP" },
                loaded.service_entries
            ),
        );
        self.active = Some(Rc::new(Active { loaded, namespace }));
        true
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(if self.network { ContextType::StreamContext } else { ContextType::HttpContext })
    }

    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Tagger::new(self.active.clone())))
    }

    fn create_stream_context(&self, _: u32) -> Option<Box<dyn StreamContext>> {
        Some(Box::new(Tagger::new(self.active.clone())))
    }
}

/// One request or connection: what was predicted, kept until Envoy says what it did.
struct Tagger {
    active: Option<Rc<Active>>,
    prediction: Option<Prediction>,
    /// A connection without SNI waits for its first bytes: Istio also puts NETWORK plugins in
    /// front of the HTTP connection manager, and HTTP there is the HTTP filter's to tag.
    pending: Option<Request>,
    sniffed: bool,
}

struct Prediction {
    request: Request,
    outcome: Outcome,
    cluster: Option<String>,
    routed_by_vs: bool,
}

fn downstream() -> Downstream {
    Downstream {
        destination: abi::property(&["destination", "address"])
            .and_then(|a| request::parse_address(&a)),
    }
}

impl Tagger {
    fn new(active: Option<Rc<Active>>) -> Tagger {
        Tagger { active, prediction: None, pending: None, sniffed: false }
    }

    fn tag(&mut self, traffic: Traffic, request: Request) {
        let Some(active) = self.active.clone() else { return };
        let settings = &active.loaded.settings;
        let classification = active.loaded.mesh.classify(&request);
        let requested = request::requested_host(&request);
        let entry = tags::entry_name(&classification);
        if settings.outputs.filter_state {
            let values =
                tags::filter_state(&classification, entry.as_deref(), requested.as_deref());
            for (key, value) in values {
                abi::set_property(key, value.as_bytes());
            }
        }
        if settings.outputs.metrics {
            match &entry {
                Some(entry) => {
                    count(tags::service_entry_counter(traffic, entry, classification.outcome))
                }
                None => {
                    let host = requested.as_deref().unwrap_or("unknown");
                    let cap = settings.max_unregistered_hosts;
                    let admitted = VM.with(|vm| vm.borrow_mut().unregistered.admit(host, cap));
                    count(if admitted {
                        tags::unregistered_counter(traffic, host, classification.outcome)
                    } else {
                        tags::overflow_counter(traffic)
                    });
                }
            }
        }
        if traffic == Traffic::Requests && settings.outputs.header {
            // The application's own copy goes first, so the upstream can trust ours.
            abi::remove_request_header(&settings.header_name);
            if let Some(entry) = &entry {
                abi::set_request_header(&settings.header_name, entry);
            }
        }
        self.prediction = Some(Prediction {
            outcome: classification.outcome,
            cluster: classification.cluster,
            routed_by_vs: classification.virtual_service.is_some(),
            request,
        });
    }

    /// Compares the prediction with the cluster Envoy used, once the stream is over.
    fn check_drift(&mut self, traffic: Traffic) {
        let (Some(active), Some(prediction)) = (&self.active, self.prediction.take()) else {
            return;
        };
        let actual = abi::property(&["xds", "cluster_name"])
            .map(|name| String::from_utf8_lossy(&name).into_owned())
            .filter(|name| !name.is_empty());
        // A connection chain without a TCP proxy (an HTTP connection manager behind this
        // filter) never names a cluster at connection level: nothing to compare.
        if traffic == Traffic::Connections && actual.is_none() {
            return;
        }
        // HTTP block_all is a direct response: Envoy names no cluster. For other local replies
        // Envoy names the route's cluster only when it exists (a fault abort in front of a
        // real cluster) and none when it does not (503 NC), so either agrees.
        let expected = match (traffic, prediction.outcome) {
            (Traffic::Requests, Outcome::Blackhole) => None,
            (_, Outcome::LocalReply) if actual.is_none() => None,
            _ => prediction.cluster.as_deref(),
        };
        if tags::agrees(expected, &[], actual.as_deref()) {
            return;
        }
        // A weighted route may pick another destination; only the full explanation lists them.
        let alternatives: Vec<String> = if prediction.routed_by_vs {
            let explanation = active.loaded.mesh.explain(&prediction.request);
            explanation.destinations.into_iter().map(|d| d.cluster).collect()
        } else {
            Vec::new()
        };
        if tags::agrees(expected, &alternatives, actual.as_deref()) {
            return;
        }
        count(tags::DRIFT_COUNTER.to_string());
        let drift = VM.with(|vm| {
            let mut vm = vm.borrow_mut();
            vm.drift += 1;
            vm.drift
        });
        if tags::worth_logging(drift) {
            abi::log(
                Level::Warn,
                &format!(
                    "meshroute: drift #{drift}: predicted cluster {} for host {}, Envoy used {}",
                    expected.unwrap_or("(none)"),
                    prediction.request.host.as_deref().unwrap_or("(none)"),
                    actual.as_deref().unwrap_or("(none)")
                ),
            );
        }
    }
}

impl Context for Tagger {}

impl HttpContext for Tagger {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        let Some(active) = self.active.clone() else { return Action::Continue };
        let map = abi::request_header_pairs();
        let pairs = request::parse_header_pairs(&map);
        let find = |name: &str| pairs.iter().find(|(k, _)| *k == name.as_bytes()).map(|(_, v)| *v);
        let wanted = &active.loaded.routing_headers;
        let headers = pairs
            .iter()
            .filter(|(name, _)| wanted.iter().any(|w| w.as_bytes() == *name))
            .map(|(name, value)| {
                (
                    String::from_utf8_lossy(name).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                )
            })
            .collect();
        let request = request::http_request(
            &active.loaded.settings,
            &active.namespace,
            &downstream(),
            find(":authority"),
            find(":method"),
            find(":path"),
            headers,
        );
        self.tag(Traffic::Requests, request);
        Action::Continue
    }

    fn on_log(&mut self) {
        self.check_drift(Traffic::Requests);
    }
}

impl StreamContext for Tagger {
    fn on_new_connection(&mut self) -> Action {
        let Some(active) = self.active.clone() else { return Action::Continue };
        let sni = abi::property(&["connection", "requested_server_name"]).filter(|s| !s.is_empty());
        let request = request::connection_request(
            &active.loaded.settings,
            &active.namespace,
            &downstream(),
            sni.as_deref(),
        );
        if sni.is_some() {
            self.tag(Traffic::Connections, request);
        } else {
            self.pending = Some(request);
        }
        Action::Continue
    }

    fn on_downstream_data(&mut self, size: usize, _: bool) -> Action {
        if self.pending.is_some() && !self.sniffed {
            self.sniffed = true;
            let head = abi::downstream_data(size.min(request::HTTP_SNIFF_BYTES));
            if !request::looks_like_http(&head) {
                if let Some(request) = self.pending.take() {
                    self.tag(Traffic::Connections, request);
                }
            }
        }
        Action::Continue
    }

    fn on_log(&mut self) {
        // Still pending: HTTP bytes, or a server-first protocol that closed before the client
        // spoke. A TCP proxy (a cluster) means no HTTP filter tagged it, so it is ours to count.
        if let Some(request) = self.pending.take() {
            if abi::property(&["xds", "cluster_name"]).is_some_and(|c| !c.is_empty()) {
                self.tag(Traffic::Connections, request);
            }
        }
        self.check_drift(Traffic::Connections);
    }
}
