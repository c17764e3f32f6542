//! The tags the filter writes for one request or connection, and the counters it bumps.
//!
//! Filter-state keys are written without Envoy's `wasm.` prefix, which Envoy adds: the access
//! log reads `%FILTER_STATE(wasm.meshroute.service_entry:PLAIN)%`. Metric names carry their
//! tags the way Istio's stats tag extraction expects (`name=.=value;.;`), so an `extraStatTags`
//! entry turns each into a Prometheus label.

use std::cell::Cell;
use std::collections::HashMap;

use meshroute_core::Config;
use meshroute_core::engine::{Classification, EntryRef, Outcome};

pub const OUTCOME: &str = "meshroute.outcome";
pub const SERVICE_ENTRY: &str = "meshroute.service_entry";
pub const HOST: &str = "meshroute.host";
pub const LOCATION: &str = "meshroute.location";
pub const RESOLUTION: &str = "meshroute.resolution";
pub const CLUSTER: &str = "meshroute.cluster";
pub const VIRTUAL_SERVICE: &str = "meshroute.virtual_service";
pub const ROUTE: &str = "meshroute.route";
pub const SUBSET: &str = "meshroute.subset";

/// Every key the filter may set, in the order it sets them.
pub const KEYS: [&str; 9] =
    [OUTCOME, SERVICE_ENTRY, HOST, LOCATION, RESOLUTION, CLUSTER, VIRTUAL_SERVICE, ROUTE, SUBSET];

/// `namespace/name` of the matched ServiceEntry: the value of the filter state, the counter's
/// tag and the optional header. The filter takes it from its [`EntryTable`]; this formats it.
pub fn entry_name(classification: &Classification<'_>) -> Option<String> {
    classification.service_entry.map(|entry| format!("{}/{}", entry.namespace, entry.name))
}

/// The filter-state values of one request, borrowed: writing them allocates nothing.
#[derive(Debug)]
pub struct FilterState<'a> {
    values: [(&'static str, &'a str); KEYS.len()],
    len: usize,
}

impl<'a> FilterState<'a> {
    fn push(&mut self, key: &'static str, value: &'a str) {
        self.values[self.len] = (key, value);
        self.len += 1;
    }

    /// `(key, value)` in the order of [`KEYS`].
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'a str)> + '_ {
        self.values[..self.len].iter().copied()
    }
}

/// The filter-state values for one classification, `entry_name` being [`entry_name`]'s answer.
/// `requested_host` is what the application asked for; it fills `meshroute.host` when no
/// ServiceEntry matched, so unregistered egress is visible by name. The VirtualService and
/// route names are written into `scratch`, which the values then borrow.
pub fn filter_state<'a>(
    classification: &'a Classification<'_>,
    entry_name: Option<&'a str>,
    requested_host: Option<&'a str>,
    scratch: &'a mut String,
) -> FilterState<'a> {
    let mut out = FilterState { values: [("", ""); KEYS.len()], len: 0 };
    out.push(OUTCOME, classification.outcome.as_str());
    match (&classification.service_entry, entry_name) {
        (Some(entry), Some(name)) => {
            out.push(SERVICE_ENTRY, name);
            out.push(HOST, entry.host);
            out.push(LOCATION, entry.location);
            out.push(RESOLUTION, entry.resolution);
        }
        _ => {
            if let Some(host) = requested_host {
                out.push(HOST, host);
            }
        }
    }
    if let Some(cluster) = &classification.cluster {
        out.push(CLUSTER, cluster);
    }
    if let Some(route) = &classification.virtual_service {
        use std::fmt::Write;
        scratch.clear();
        let _ = write!(scratch, "{}/{}", route.namespace, route.name);
        let split = scratch.len();
        if let (None, Some(index)) = (route.route_name, route.route) {
            let _ = write!(scratch, "{}[{index}]", route.section);
        }
        let (virtual_service, formatted) = scratch.split_at(split);
        out.push(VIRTUAL_SERVICE, virtual_service);
        out.push(
            ROUTE,
            match (route.route_name, route.route) {
                (Some(name), _) => name,
                (None, Some(_)) => formatted,
                (None, None) => route.section,
            },
        );
        if let Some(subset) = &classification.subset {
            out.push(SUBSET, subset);
        }
    }
    out
}

/// Which traffic a counter counts: HTTP requests or TLS/TCP connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    Requests,
    Connections,
}

impl Traffic {
    fn as_str(self) -> &'static str {
        match self {
            Traffic::Requests => "requests",
            Traffic::Connections => "connections",
        }
    }
}

/// A tag value made safe for a stat name: the separators `;` and `=` and control characters
/// would break Istio's tag extraction, and a name has no business being longer than a host.
pub fn tag_value(value: &str) -> String {
    value
        .chars()
        .take(253)
        .map(|c| if c == ';' || c == '=' || c.is_control() { '_' } else { c })
        .collect()
}

fn stat(tags: &[(&str, &str)], name: &str) -> String {
    let mut out = String::new();
    for (tag, value) in tags {
        out.push_str(tag);
        out.push_str("=.=");
        out.push_str(&tag_value(value));
        out.push_str(";.;");
    }
    out.push_str(name);
    out
}

/// `service_entry=.=payments/stripe;.;outcome=.=routed;.;meshroute_requests_total`.
pub fn service_entry_counter(traffic: Traffic, service_entry: &str, outcome: Outcome) -> String {
    stat(
        &[("service_entry", service_entry), ("outcome", outcome.as_str())],
        &format!("meshroute_{}_total", traffic.as_str()),
    )
}

/// `host=.=example.com;.;outcome=.=passthrough;.;meshroute_unregistered_requests_total`.
pub fn unregistered_counter(traffic: Traffic, host: &str, outcome: Outcome) -> String {
    stat(
        &[("host", host), ("outcome", outcome.as_str())],
        &format!("meshroute_unregistered_{}_total", traffic.as_str()),
    )
}

/// Unregistered traffic beyond the cap of distinct hosts.
pub fn overflow_counter(traffic: Traffic) -> String {
    format!("meshroute_unregistered_{}_overflow_total", traffic.as_str())
}

/// Predictions that disagreed with the cluster Envoy used.
pub const DRIFT_COUNTER: &str = "meshroute_drift_total";

const OUTCOMES: usize = 4;

fn outcome_index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Routed => 0,
        Outcome::Passthrough => 1,
        Outcome::Blackhole => 2,
        Outcome::LocalReply => 3,
    }
}

/// The metric ids of one counter family (an entry's, an unregistered host's), one per traffic
/// and outcome, each defined the first time it is counted: a request then formats no stat name
/// and makes one host call to count. `None` is "not defined yet", `Some(None)` "Envoy refused".
#[derive(Debug, Default)]
pub struct CounterIds([Cell<Option<Option<u32>>>; 2 * OUTCOMES]);

impl CounterIds {
    pub fn get_or_define(
        &self,
        traffic: Traffic,
        outcome: Outcome,
        define: impl FnOnce() -> Option<u32>,
    ) -> Option<u32> {
        let cell = &self.0[traffic as usize * OUTCOMES + outcome_index(outcome)];
        match cell.get() {
            Some(id) => id,
            None => {
                let id = define();
                cell.set(Some(id));
                id
            }
        }
    }
}

/// One ServiceEntry's strings and counters, made once per configuration.
#[derive(Debug)]
pub struct EntryTags {
    /// `namespace/name`, see [`entry_name`].
    pub name: String,
    namespace_len: usize,
    pub counters: CounterIds,
}

impl EntryTags {
    fn is(&self, entry: &EntryRef<'_>) -> bool {
        let (namespace, name) = self.name.split_at(self.namespace_len);
        namespace == entry.namespace && name.get(1..) == Some(entry.name)
    }
}

/// The [`EntryTags`] of every ServiceEntry of a configuration, found for a request's entry
/// without formatting its name.
#[derive(Debug, Default)]
pub struct EntryTable {
    entries: Vec<EntryTags>,
    /// The index in `entries` by the address of the resource's `metadata.name`: the core's
    /// `EntryRef` borrows its name from the index's resources, so that address identifies the
    /// entry, and hashing it is cheaper than hashing the text. The answer is checked against
    /// the names; an entry named from anywhere else is not found, and the caller formats.
    by_address: HashMap<usize, u32>,
}

impl EntryTable {
    /// `config` must be the one the [`Mesh`](meshroute_core::engine::Mesh) holds
    /// (`mesh.config()`), so that the addresses are those of the names the core hands out.
    pub fn new(config: &Config) -> EntryTable {
        let mut table = EntryTable::default();
        for (res, _) in config.service_entries() {
            let Ok(index) = u32::try_from(table.entries.len()) else { break };
            table.entries.push(EntryTags {
                name: format!("{}/{}", res.namespace.value, res.name.value),
                namespace_len: res.namespace.value.len(),
                counters: CounterIds::default(),
            });
            table.by_address.insert(res.name.value.as_ptr() as usize, index);
        }
        table
    }

    pub fn get(&self, entry: &EntryRef<'_>) -> Option<&EntryTags> {
        let index = *self.by_address.get(&(entry.name.as_ptr() as usize))?;
        self.entries.get(index as usize).filter(|tags| tags.is(entry))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The distinct unregistered hosts counted by name, at most `cap` of them for the VM's life,
/// each with its counters.
#[derive(Debug, Default)]
pub struct UnregisteredHosts {
    seen: HashMap<String, CounterIds>,
}

impl UnregisteredHosts {
    /// The counters of `host` when it has counters of its own (already counted, or room for
    /// one more); `None` sends it to the overflow counter.
    pub fn admit(&mut self, host: &str, cap: usize) -> Option<&CounterIds> {
        if !self.seen.contains_key(host) {
            if self.seen.len() >= cap {
                return None;
            }
            self.seen.insert(host.to_string(), CounterIds::default());
        }
        self.seen.get(host)
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Logs the 1st, 2nd, 4th, 8th … occurrence: a drift is reported promptly, and a persistent
/// one cannot flood the proxy's log. No clock needed.
pub fn worth_logging(count: u64) -> bool {
    count.is_power_of_two()
}

/// Whether Envoy's actual cluster (`xds.cluster_name`, as Envoy gives it) agrees with the
/// prediction. `alternatives` are the other clusters a weighted route may pick; Envoy draws
/// among them at random.
pub fn agrees(predicted: Option<&str>, alternatives: &[String], actual: Option<&[u8]>) -> bool {
    match (predicted, actual) {
        (Some(p), Some(a)) => {
            p.as_bytes() == a || alternatives.iter().any(|alt| alt.as_bytes() == a)
        }
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_names_follow_istio_tag_extraction() {
        assert_eq!(
            service_entry_counter(Traffic::Requests, "payments/stripe", Outcome::Routed),
            "service_entry=.=payments/stripe;.;outcome=.=routed;.;meshroute_requests_total"
        );
        assert_eq!(
            unregistered_counter(Traffic::Connections, "evil;.;x=.=y", Outcome::Blackhole),
            "host=.=evil_._x_._y;.;outcome=.=blackhole;.;meshroute_unregistered_connections_total"
        );
        assert_eq!(tag_value(&"a".repeat(400)).len(), 253);
        assert_eq!(tag_value("line\nbreak"), "line_break");
    }

    #[test]
    fn unregistered_hosts_are_capped_and_remembered() {
        let mut hosts = UnregisteredHosts::default();
        assert!(hosts.admit("a.example", 2).is_some());
        assert!(hosts.admit("b.example", 2).is_some());
        assert!(hosts.admit("c.example", 2).is_none());
        assert!(hosts.admit("a.example", 2).is_some(), "a host already counted keeps its counter");
        assert_eq!(hosts.len(), 2);
        assert!(UnregisteredHosts::default().admit("x", 0).is_none());
    }

    #[test]
    fn drift_logging_thins_out_and_agreement_accepts_weighted_alternatives() {
        let logged: Vec<u64> = (1..=20).filter(|&n| worth_logging(n)).collect();
        assert_eq!(logged, vec![1, 2, 4, 8, 16]);
        let alts = vec!["outbound|80|v2|api.example.com".to_string()];
        assert!(agrees(
            Some("outbound|80|v1|api.example.com"),
            &alts,
            Some(b"outbound|80|v2|api.example.com")
        ));
        assert!(!agrees(
            Some("outbound|80|v1|api.example.com"),
            &alts,
            Some(b"PassthroughCluster")
        ));
        assert!(agrees(None, &[], None));
        assert!(!agrees(None, &[], Some(b"PassthroughCluster")));
    }

    const MESH: &str = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: payments}
spec:
  hosts: [api.stripe.com, files.stripe.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a, namespace: z}
spec:
  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: stripe-split, namespace: payments}
spec:
  hosts: [files.stripe.com]
  http:
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: files.stripe.com}}]
  - name: rest
    route: [{destination: {host: files.stripe.com}}]
";

    fn loaded() -> crate::config::Loaded {
        let json = serde_json::json!({"resources": MESH, "namespace": "payments"}).to_string();
        crate::config::load(json.as_bytes()).expect("the test mesh loads")
    }

    fn request(host: &str, path: &str) -> meshroute_core::engine::Request {
        meshroute_core::engine::Request {
            namespace: "payments".into(),
            host: Some(host.into()),
            port: Some(80),
            path: path.into(),
            ..Default::default()
        }
    }

    fn values(
        classification: &Classification<'_>,
        entry_name: Option<&str>,
        requested_host: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let mut scratch = "left over".to_string();
        let state = filter_state(classification, entry_name, requested_host, &mut scratch);
        state.iter().map(|(key, value)| (key, value.to_string())).collect()
    }

    #[test]
    fn the_entry_table_names_each_entry_once_as_entry_name_does() {
        let loaded = loaded();
        assert_eq!(loaded.entries.len(), 2, "two hosts of one entry share its tags");
        for host in ["api.stripe.com", "files.stripe.com", "a.example.com"] {
            let classification = loaded.mesh.classify(&request(host, "/"));
            let entry = classification.service_entry.expect("registered");
            let tags = loaded.entries.get(&entry).expect("in the table");
            assert_eq!(Some(tags.name.clone()), entry_name(&classification));
            let (namespace, name) = (entry.namespace.to_string(), entry.name.to_string());
            let copy = EntryRef { namespace: &namespace, name: &name, ..entry };
            assert!(loaded.entries.get(&copy).is_none(), "a name from elsewhere is formatted");
        }
    }

    #[test]
    fn filter_state_names_the_entry_cluster_and_virtual_service_route() {
        let loaded = loaded();
        let classification = loaded.mesh.classify(&request("api.stripe.com", "/"));
        assert_eq!(
            values(&classification, Some("payments/stripe"), None),
            vec![
                (OUTCOME, "routed".to_string()),
                (SERVICE_ENTRY, "payments/stripe".to_string()),
                (HOST, "api.stripe.com".to_string()),
                (LOCATION, "MESH_EXTERNAL".to_string()),
                (RESOLUTION, "DNS".to_string()),
                (CLUSTER, "outbound|80||api.stripe.com".to_string()),
            ]
        );
        let by_index = loaded.mesh.classify(&request("files.stripe.com", "/v2/x"));
        let by_index = values(&by_index, Some("payments/stripe"), None);
        assert_eq!(
            by_index[6..],
            [
                (VIRTUAL_SERVICE, "payments/stripe-split".to_string()),
                (ROUTE, "http[0]".to_string()),
            ]
        );
        let by_name = loaded.mesh.classify(&request("files.stripe.com", "/"));
        let by_name = values(&by_name, Some("payments/stripe"), None);
        assert_eq!(
            by_name[6..],
            [(VIRTUAL_SERVICE, "payments/stripe-split".to_string()), (ROUTE, "rest".to_string()),]
        );
        let unregistered = loaded.mesh.classify(&request("example.org", "/"));
        assert_eq!(
            values(&unregistered, None, Some("example.org")),
            vec![
                (OUTCOME, "passthrough".to_string()),
                (HOST, "example.org".to_string()),
                (CLUSTER, "PassthroughCluster".to_string()),
            ]
        );
    }

    #[test]
    fn counter_ids_are_defined_once_per_traffic_and_outcome() {
        let ids = CounterIds::default();
        let mut defined = 0;
        let mut define = |id| {
            defined += 1;
            id
        };
        assert_eq!(
            ids.get_or_define(Traffic::Requests, Outcome::Routed, || define(Some(7))),
            Some(7)
        );
        assert_eq!(
            ids.get_or_define(Traffic::Requests, Outcome::Routed, || define(Some(8))),
            Some(7)
        );
        assert_eq!(ids.get_or_define(Traffic::Connections, Outcome::Routed, || define(None)), None);
        assert_eq!(
            ids.get_or_define(Traffic::Connections, Outcome::Routed, || define(Some(9))),
            None
        );
        assert_eq!(
            defined, 2,
            "a refusal is remembered too, so Envoy is not asked on every request"
        );
    }
}
