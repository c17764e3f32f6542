//! `MR09xx`: value rules shared by every kind (durations, percentages, labels, ports, exportTo...).
//!
//! These are the primitive validators of istiod's `pkg/config/validation` and the CRD schema;
//! the resource, field path and message say which field broke the rule.

crate::define_codes! {
    /// A duration is shorter than 1ms, which istiod and the CRD reject for almost every duration field.
    /// Use at least `1ms`; only `tcp.idleTimeout`, `httpCookie.ttl` and `retryBudget.budgetInterval` take `0s`.
    DURATION_TOO_SHORT = ("MR0901", "duration-too-short", Error, None);
    /// A duration has a sub-millisecond part, which istiod rejects.
    /// Round it to whole milliseconds.
    DURATION_PRECISION = ("MR0902", "duration-precision", Error, None);
    /// A percentage is outside the range its field accepts.
    /// Use a value from 0 to 100.
    PERCENT_OUT_OF_RANGE = ("MR0903", "percent-out-of-range", Error, None);
    /// A label key or value is not a valid Kubernetes qualified name.
    /// Keys are `[prefix/]name` with letters, digits, `-`, `_`, `.`; values the same without the prefix.
    INVALID_LABEL = ("MR0904", "invalid-label", Error, None);
    /// `exportTo` holds an invalid entry or combination.
    /// Use `.` (own namespace), `*` (all), or namespace names; `*` and `~` stand alone.
    INVALID_EXPORT_TO = ("MR0905", "invalid-export-to", Error, None);
    /// A port number is outside 1..65535.
    /// Use a TCP port number from 1 to 65535.
    INVALID_PORT = ("MR0906", "invalid-port", Error, None);
    /// A port name is not a DNS label.
    /// Use lowercase letters, digits and `-`, at most 63 characters, such as `https` or `http-api`.
    INVALID_PORT_NAME = ("MR0907", "invalid-port-name", Error, None);
    /// A port protocol is not one Istio knows.
    /// Use HTTP, HTTPS, HTTP2, GRPC, GRPC-Web, HTTP_PROXY, TLS, TCP, UDP, Mongo, Redis or MySQL, or leave it empty to sniff.
    INVALID_PROTOCOL = ("MR0908", "invalid-protocol", Error, None);
    /// An address is not a valid IP address or CIDR block.
    /// Write an IPv4 or IPv6 address such as `203.0.113.10`, or a block such as `10.0.0.0/16`.
    INVALID_ADDRESS = ("MR0909", "invalid-address", Error, None);
    /// A host name is not a valid DNS name or wildcard.
    /// Use a DNS name such as `api.example.com`; a wildcard may only be the first label, as in `*.example.com`.
    INVALID_HOST = ("MR0910", "invalid-host", Error, None);
    /// A workload selector names an empty key or uses a wildcard, which Istio does not support.
    /// Select workloads by exact label keys and values.
    INVALID_SELECTOR = ("MR0911", "invalid-selector", Error, None);
    /// A workload selector has no labels, so it selects every workload in the namespace.
    /// Add labels, or remove the selector if every workload is meant.
    EMPTY_SELECTOR = ("MR0912", "empty-selector", Warning, None);
    /// Two fields that exclude each other are both set; the API server rejects the resource.
    /// Keep only one of the fields named in the message.
    CONFLICTING_FIELDS = ("MR0913", "conflicting-fields", Error, None);
    /// A field the schema requires is missing.
    /// Add the field named in the message.
    MISSING_FIELD = ("MR0914", "missing-field", Error, None);
    /// A list has more entries than the CRD schema allows.
    /// Split the resource into several.
    TOO_MANY_ITEMS = ("MR0915", "too-many-items", Error, None);
    /// A value is outside the range its field accepts.
    /// Use a value in the range given in the message.
    VALUE_OUT_OF_RANGE = ("MR0916", "value-out-of-range", Error, None);
    /// A deprecated field is used; Istio ignores it or maps it to its replacement.
    /// Move the setting to the field named in the message.
    DEPRECATED_FIELD = ("MR0917", "deprecated-field", Warning, None);
    /// A name (subset, route, gateway) is not valid where it is used.
    /// Follow the naming rule given in the message.
    INVALID_NAME_VALUE = ("MR0918", "invalid-name-value", Error, None);
}
