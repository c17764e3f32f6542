//! The tags the filter writes for one request or connection, and the counters it bumps.
//!
//! Filter-state keys are written without Envoy's `wasm.` prefix, which Envoy adds: the access
//! log reads `%FILTER_STATE(wasm.meshroute.service_entry:PLAIN)%`. Metric names carry their
//! tags the way Istio's stats tag extraction expects (`name=.=value;.;`), so an `extraStatTags`
//! entry turns each into a Prometheus label.

use std::collections::HashSet;

use meshroute_core::engine::{Classification, Outcome};

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
/// tag and the optional header, so the filter formats it once per request.
pub fn entry_name(classification: &Classification<'_>) -> Option<String> {
    classification.service_entry.map(|entry| format!("{}/{}", entry.namespace, entry.name))
}

/// The filter-state values for one classification, `entry_name` being [`entry_name`]'s answer.
/// `requested_host` is what the application asked for; it fills `meshroute.host` when no
/// ServiceEntry matched, so unregistered egress is visible by name.
pub fn filter_state(
    classification: &Classification<'_>,
    entry_name: Option<&str>,
    requested_host: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![(OUTCOME, classification.outcome.as_str().to_string())];
    match (&classification.service_entry, entry_name) {
        (Some(entry), Some(name)) => {
            out.push((SERVICE_ENTRY, name.to_string()));
            out.push((HOST, entry.host.to_string()));
            out.push((LOCATION, entry.location.to_string()));
            out.push((RESOLUTION, entry.resolution.to_string()));
        }
        _ => {
            if let Some(host) = requested_host {
                out.push((HOST, host.to_string()));
            }
        }
    }
    if let Some(cluster) = &classification.cluster {
        out.push((CLUSTER, cluster.clone()));
    }
    if let Some(route) = &classification.virtual_service {
        out.push((VIRTUAL_SERVICE, format!("{}/{}", route.namespace, route.name)));
        let name = match (route.route_name, route.route) {
            (Some(name), _) => name.to_string(),
            (None, Some(index)) => format!("{}[{index}]", route.section),
            (None, None) => route.section.to_string(),
        };
        out.push((ROUTE, name));
        if let Some(subset) = &classification.subset {
            out.push((SUBSET, subset.clone()));
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

/// The distinct unregistered hosts counted by name, at most `cap` of them for the VM's life.
#[derive(Debug, Default)]
pub struct UnregisteredHosts {
    seen: HashSet<String>,
}

impl UnregisteredHosts {
    /// Whether `host` gets a counter of its own (already counted, or room for one more).
    pub fn admit(&mut self, host: &str, cap: usize) -> bool {
        if self.seen.contains(host) {
            return true;
        }
        if self.seen.len() >= cap {
            return false;
        }
        self.seen.insert(host.to_string());
        true
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

/// Whether Envoy's actual cluster agrees with the prediction. `alternatives` are the other
/// clusters a weighted route may pick; Envoy draws among them at random.
pub fn agrees(predicted: Option<&str>, alternatives: &[String], actual: Option<&str>) -> bool {
    match (predicted, actual) {
        (Some(p), Some(a)) => p == a || alternatives.iter().any(|alt| alt == a),
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
        assert!(hosts.admit("a.example", 2));
        assert!(hosts.admit("b.example", 2));
        assert!(!hosts.admit("c.example", 2));
        assert!(hosts.admit("a.example", 2), "a host already counted keeps its counter");
        assert_eq!(hosts.len(), 2);
        assert!(!UnregisteredHosts::default().admit("x", 0));
    }

    #[test]
    fn drift_logging_thins_out_and_agreement_accepts_weighted_alternatives() {
        let logged: Vec<u64> = (1..=20).filter(|&n| worth_logging(n)).collect();
        assert_eq!(logged, vec![1, 2, 4, 8, 16]);
        let alts = vec!["outbound|80|v2|api.example.com".to_string()];
        assert!(agrees(
            Some("outbound|80|v1|api.example.com"),
            &alts,
            Some("outbound|80|v2|api.example.com")
        ));
        assert!(!agrees(Some("outbound|80|v1|api.example.com"), &alts, Some("PassthroughCluster")));
        assert!(agrees(None, &[], None));
        assert!(!agrees(None, &[], Some("PassthroughCluster")));
    }
}
