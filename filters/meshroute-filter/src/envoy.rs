//! The proxy-wasm face: root, HTTP and network contexts that adapt Envoy to the core.
//!
//! One root context exists per plugin configuration; it owns the index built from that
//! configuration, and every request or connection it creates shares it through an `Rc`. A new
//! configuration arrives as a new root context, so it replaces the old index whole while
//! in-flight requests finish on the one they started with. What outlives configurations
//! (metric ids by stat name, the unregistered-host table, the drift count) lives per VM in
//! [`VM`].
//!
//! Per request the filter makes only the host calls its outputs need: `:authority` (and the
//! other headers or the destination address only where the configuration's routing can look
//! at them, see `request::Reads`), `destination.port`, one `set_property` per filter-state
//! value, one counter increment, and `xds.cluster_name` at the end. Names and metric ids come
//! from the configuration's `tags::EntryTable`, so nothing is formatted per request. An answer
//! that routing reached from the authority and destination alone is evaluated once per
//! configuration and written again for later requests that show the same (`answers`).
//!
//! Whatever happens, every callback returns `Continue`: the filter observes, it never decides.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use meshroute_core::engine::{Outcome, Request};
use proxy_wasm::traits::{Context, HttpContext, RootContext, StreamContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

use crate::abi::{self, Level};
use crate::answers::Answers;
use crate::config::{self, Loaded};
use crate::request::{self, Downstream};
use crate::tags::{self, CounterIds, Traffic, UnregisteredHosts};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// Root ids (Istio: the WasmPlugin's `pluginName`) that select the network filter.
const NETWORK_ROOT_IDS: [&str; 2] = ["meshroute-network", "meshroute_network"];

/// Per-VM state: Wasm VMs are single-threaded, one per worker.
#[derive(Default)]
struct VmState {
    /// Metric ids by stat name, so that a configuration that counts what an earlier one counted
    /// reuses its id instead of defining the metric again.
    counters: HashMap<String, Option<u32>>,
    unregistered: UnregisteredHosts,
    overflow: CounterIds,
    drift_counter: Option<Option<u32>>,
    drift: u64,
}

thread_local! {
    static VM: RefCell<VmState> = RefCell::new(VmState::default());
}

fn define(counters: &mut HashMap<String, Option<u32>>, name: String) -> Option<u32> {
    *counters.entry(name).or_insert_with_key(|name| abi::define_counter(name))
}

fn increment(id: Option<u32>) {
    if let Some(id) = id {
        abi::increment(id);
    }
}

/// A configuration in force: the index, the namespace requests come from, and the answers
/// kept for repeated HTTP requests (see [`answers`](crate::answers)).
struct Active {
    loaded: Loaded,
    namespace: String,
    answers: RefCell<Answers<Answer>>,
}

#[derive(Default)]
struct Root {
    network: bool,
    active: Option<Rc<Active>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, size: usize) -> bool {
        let root_id = abi::property(b"plugin_root_id").unwrap_or_default();
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
            abi::property(b"xds\0node\0metadata\0NAMESPACE")
                .or_else(|| abi::property(b"node\0metadata\0NAMESPACE"))
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
        let answers = RefCell::new(Answers::default());
        self.active = Some(Rc::new(Active { loaded, namespace, answers }));
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
    prediction: Option<Rc<Answer>>,
    /// A connection without SNI waits for its first bytes: Istio also puts NETWORK plugins in
    /// front of the HTTP connection manager, and HTTP there is the HTTP filter's to tag.
    pending: Option<Request>,
    sniffed: bool,
}

/// The filter's answer for one request or connection: what it writes, and what it predicts
/// Envoy will do (for the drift check).
struct Answer {
    state: State,
    /// The counter to increment, its id already defined.
    counter: Option<u32>,
    /// `namespace/name` of the matched ServiceEntry, when the header output is on.
    entry: Option<Box<str>>,
    outcome: Outcome,
    cluster: Option<String>,
    routed_by_vs: bool,
    /// Whether requests that show the same authority and destination get this answer too:
    /// no route match read the request's uri, method, headers or query.
    keep: bool,
    request: Request,
    /// The clusters a weighted route can send this request to, from the full explanation: only
    /// needed when Envoy used another cluster than the heaviest, and then worked out once per
    /// answer, not once per such request (a 20 % branch is every fifth request).
    alternatives: OnceCell<Vec<String>>,
}

/// Filter-state values, one after the other in one string: requests that are evaluated every
/// time (to hosts whose routes match on the uri, method, headers or query) pay one allocation
/// for them.
#[derive(Default)]
struct State {
    text: String,
    /// Each key, and where its value ends in `text`, in the order of [`tags::KEYS`].
    ends: [(&'static str, usize); tags::KEYS.len()],
    len: usize,
}

impl State {
    fn of(values: &tags::FilterState<'_>) -> State {
        let mut state = State {
            text: String::with_capacity(values.iter().map(|(_, value)| value.len()).sum()),
            ..State::default()
        };
        for (key, value) in values.iter() {
            state.text.push_str(value);
            state.ends[state.len] = (key, state.text.len());
            state.len += 1;
        }
        state
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let mut start = 0;
        self.ends[..self.len].iter().map(move |&(key, end)| {
            let value = self.text.get(start..end).unwrap_or_default();
            start = end;
            (key, value)
        })
    }
}

/// Evaluates one request or connection: the core's classification, turned into what the
/// filter writes. Counter ids are defined here, once per name, so writing only increments.
fn evaluate(active: &Active, traffic: Traffic, request: Request) -> Answer {
    let loaded = &active.loaded;
    let settings = &loaded.settings;
    let classification = loaded.mesh.classify(&request);
    // The entry's name and counters come from the configuration's table; formatting them is
    // the fallback for a name the core did not borrow from its resources, which it does not
    // do today.
    let tags = classification.service_entry.and_then(|entry| loaded.entries.get(&entry));
    let name: Option<Cow<'_, str>> = match tags {
        Some(tags) => Some(Cow::Borrowed(&tags.name)),
        None => tags::entry_name(&classification).map(Cow::Owned),
    };
    let requested = if name.is_none() { request::requested_host(&request) } else { None };
    let mut state = State::default();
    if settings.outputs.filter_state {
        let mut scratch = String::new();
        let values = tags::filter_state(
            &classification,
            name.as_deref(),
            requested.as_deref(),
            &mut scratch,
        );
        state = State::of(&values);
    }
    let mut counter = None;
    if settings.outputs.metrics {
        let outcome = classification.outcome;
        counter = VM.with(|vm| {
            let VmState { counters, unregistered, overflow, .. } = &mut *vm.borrow_mut();
            match (tags, &name) {
                (Some(tags), Some(name)) => tags.counters.get_or_define(traffic, outcome, || {
                    define(counters, tags::service_entry_counter(traffic, name, outcome))
                }),
                (None, Some(name)) => {
                    define(counters, tags::service_entry_counter(traffic, name, outcome))
                }
                (_, None) => {
                    let host = requested.as_deref().unwrap_or("unknown");
                    match unregistered.admit(host, settings.max_unregistered_hosts) {
                        Some(ids) => ids.get_or_define(traffic, outcome, || {
                            define(counters, tags::unregistered_counter(traffic, host, outcome))
                        }),
                        None => overflow.get_or_define(traffic, outcome, || {
                            define(counters, tags::overflow_counter(traffic))
                        }),
                    }
                }
            }
        });
    }
    let entry = name.as_deref().filter(|_| settings.outputs.header).map(Box::from);
    drop(requested);
    Answer {
        state,
        counter,
        entry,
        outcome: classification.outcome,
        cluster: classification.cluster,
        routed_by_vs: classification.virtual_service.is_some(),
        keep: !classification.depends_on_request,
        request,
        alternatives: OnceCell::new(),
    }
}

/// `destination.port`, an integer property.
fn destination_port() -> Option<u16> {
    abi::property(b"destination\0port")
        .and_then(|port| request::parse_u64(&port))
        .and_then(|port| u16::try_from(port).ok())
}

/// The cluster Envoy sent the stream to.
fn cluster_name() -> Option<Vec<u8>> {
    abi::property(b"xds\0cluster_name")
}

/// `destination.address`, `ip:port`: both at once, for connections.
fn destination() -> Downstream {
    Downstream::of(abi::property(b"destination\0address").and_then(|a| request::parse_address(&a)))
}

impl Tagger {
    fn new(active: Option<Rc<Active>>) -> Tagger {
        Tagger { active, prediction: None, pending: None, sniffed: false }
    }

    fn tag(&mut self, active: &Active, traffic: Traffic, request: Request) {
        let answer = Rc::new(evaluate(active, traffic, request));
        self.write(active, traffic, answer);
    }

    /// Writes `answer`'s outputs for this request or connection and keeps it as the prediction.
    fn write(&mut self, active: &Active, traffic: Traffic, answer: Rc<Answer>) {
        let settings = &active.loaded.settings;
        if settings.outputs.filter_state {
            for (key, value) in answer.state.iter() {
                abi::set_property(key, value.as_bytes());
            }
        }
        if settings.outputs.metrics {
            increment(answer.counter);
        }
        if traffic == Traffic::Requests && settings.outputs.header {
            // The application's own copy goes first, so the upstream can trust ours.
            abi::remove_request_header(&settings.header_name);
            if let Some(name) = &answer.entry {
                abi::set_request_header(&settings.header_name, name);
            }
        }
        self.prediction = Some(answer);
    }

    /// Compares the prediction with the cluster Envoy used (`xds.cluster_name`, read once the
    /// stream is over), as bytes: agreement, the usual case, copies and allocates nothing.
    fn check_drift(&mut self, traffic: Traffic, actual: Option<Vec<u8>>) {
        let (Some(active), Some(prediction)) = (&self.active, self.prediction.take()) else {
            return;
        };
        let actual = actual.as_deref().filter(|name| !name.is_empty());
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
        if tags::agrees(expected, &[], actual) {
            return;
        }
        // A weighted route may pick another destination; only the full explanation lists them.
        if prediction.routed_by_vs {
            let alternatives = prediction.alternatives.get_or_init(|| {
                let explanation = active.loaded.mesh.explain(&prediction.request);
                explanation.destinations.into_iter().map(|d| d.cluster).collect()
            });
            if tags::agrees(expected, alternatives, actual) {
                return;
            }
        }
        let (id, drift) = VM.with(|vm| {
            let vm = &mut *vm.borrow_mut();
            let id = match vm.drift_counter {
                Some(id) => id,
                None => {
                    let id = define(&mut vm.counters, tags::DRIFT_COUNTER.to_string());
                    vm.drift_counter = Some(id);
                    id
                }
            };
            vm.drift += 1;
            (id, vm.drift)
        });
        increment(id);
        if tags::worth_logging(drift) {
            abi::log(
                Level::Warn,
                &format!(
                    "meshroute: drift #{drift}: predicted cluster {} for host {}, Envoy used {}",
                    expected.unwrap_or("(none)"),
                    prediction.request.host.as_deref().unwrap_or("(none)"),
                    actual.map_or(Cow::Borrowed("(none)"), String::from_utf8_lossy)
                ),
            );
        }
    }
}

impl Context for Tagger {}

impl HttpContext for Tagger {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        let Some(active) = self.active.clone() else { return Action::Continue };
        let reads = &active.loaded.reads;
        let authority = abi::request_header(":authority");
        let downstream = http_downstream(reads, authority.is_some());
        // An earlier request that showed the same authority and destination left its answer
        // if routing read nothing else of it; then only that first request was evaluated.
        let kept = authority.as_deref().and_then(|a| active.answers.borrow().get(a, &downstream));
        let answer = kept.unwrap_or_else(|| {
            let request = http_request(&active, authority.as_deref(), &downstream);
            let answer = Rc::new(evaluate(&active, Traffic::Requests, request));
            if let (true, Some(authority)) = (answer.keep, &authority) {
                active.answers.borrow_mut().insert(authority, &downstream, Rc::clone(&answer));
            }
            answer
        });
        self.write(&active, Traffic::Requests, answer);
        Action::Continue
    }

    fn on_log(&mut self) {
        if self.prediction.is_some() {
            self.check_drift(Traffic::Requests, cluster_name());
        }
    }
}

/// The destination of an HTTP request: the port, and the address only where it can matter.
fn http_downstream(reads: &request::Reads, has_authority: bool) -> Downstream {
    let port = destination_port();
    if reads.address_needed(port, has_authority) {
        destination()
    } else {
        Downstream { address: None, port }
    }
}

/// The core's view of an HTTP request: its authority and destination, plus what the
/// configuration's route matches can read of it (`Reads`), and nothing more.
fn http_request(active: &Active, authority: Option<&[u8]>, downstream: &Downstream) -> Request {
    let (settings, namespace) = (&active.loaded.settings, &active.namespace);
    let reads = &active.loaded.reads;
    if reads.headers.is_empty() {
        // Routes match on the method or path, or on nothing: a lookup or two, not the map.
        let (method, path) = if reads.method_and_path {
            (abi::request_header(":method"), abi::request_header(":path"))
        } else {
            (None, None)
        };
        return request::http_request(
            settings,
            namespace,
            downstream,
            authority,
            method.as_deref(),
            path.as_deref(),
            Vec::new(),
        );
    }
    let map = abi::request_header_pairs();
    let pairs = request::parse_header_pairs(&map);
    let find = |name: &str| pairs.iter().find(|(k, _)| *k == name.as_bytes()).map(|(_, v)| *v);
    let headers = pairs
        .iter()
        .filter(|(name, _)| reads.headers.iter().any(|w| w.as_bytes() == *name))
        .map(|(name, value)| {
            (
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            )
        })
        .collect();
    request::http_request(
        settings,
        namespace,
        downstream,
        authority,
        find(":method"),
        find(":path"),
        headers,
    )
}

impl StreamContext for Tagger {
    fn on_new_connection(&mut self) -> Action {
        let Some(active) = self.active.clone() else { return Action::Continue };
        let sni = abi::property(b"connection\0requested_server_name").filter(|s| !s.is_empty());
        let request = request::connection_request(
            &active.loaded.settings,
            &active.namespace,
            &destination(),
            sni.as_deref(),
        );
        if sni.is_some() {
            self.tag(&active, Traffic::Connections, request);
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
                if let (Some(request), Some(active)) = (self.pending.take(), self.active.clone()) {
                    self.tag(&active, Traffic::Connections, request);
                }
            }
        }
        Action::Continue
    }

    fn on_log(&mut self) {
        // Still pending: HTTP bytes, or a server-first protocol that closed before the client
        // spoke. A TCP proxy (a cluster) means no HTTP filter tagged it, so it is ours to count.
        let cluster = cluster_name();
        if let (Some(request), Some(active)) = (self.pending.take(), self.active.clone()) {
            if cluster.as_ref().is_some_and(|c| !c.is_empty()) {
                self.tag(&active, Traffic::Connections, request);
            }
        }
        if self.prediction.is_some() {
            self.check_drift(Traffic::Connections, cluster);
        }
    }
}
