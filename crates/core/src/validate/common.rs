//! Primitive validators shared by every kind: durations, percentages, labels, ports, addresses,
//! hosts, selectors, exportTo, and "at most one of" groups.

use std::net::IpAddr;

use super::Ctx;
use crate::decode::{Duration, Map, Spanned};
use crate::diagnostics::codes::values as codes;
use crate::host;
use crate::protocol::Protocol;
use crate::text::Span;

/// istiod's `ValidateDuration`: at least 1ms, in whole milliseconds.
pub(crate) fn check_duration(ctx: &mut Ctx<'_>, duration: &Option<Spanned<Duration>>, path: &str) {
    let Some(duration) = duration else { return };
    if duration.value < Duration::MILLISECOND {
        ctx.report(
            &codes::DURATION_TOO_SHORT,
            duration.span,
            path,
            format!("duration `{}` must be at least 1ms", duration.value),
        );
    } else if duration.value.nanos % 1_000_000 != 0 {
        ctx.report(
            &codes::DURATION_PRECISION,
            duration.span,
            path,
            format!(
                "duration `{}` has a sub-millisecond part; istiod only takes whole milliseconds",
                duration.value
            ),
        );
    }
}

/// Durations that accept zero but not negative values (`tcp.idleTimeout`, `httpCookie.ttl`).
pub(crate) fn check_non_negative_duration(
    ctx: &mut Ctx<'_>,
    duration: &Option<Spanned<Duration>>,
    path: &str,
) {
    let Some(duration) = duration else { return };
    if duration.value.nanos < 0 {
        ctx.report(
            &codes::DURATION_TOO_SHORT,
            duration.span,
            path,
            format!("duration `{}` must not be negative", duration.value),
        );
    }
}

/// istiod's `ValidatePercent` for integer percentages: 0..=100.
pub(crate) fn check_percent_int(ctx: &mut Ctx<'_>, value: &Option<Spanned<i32>>, path: &str) {
    if let Some(value) = value {
        if !(0..=100).contains(&value.value) {
            ctx.report(
                &codes::PERCENT_OUT_OF_RANGE,
                value.span,
                path,
                format!("{} is not a percentage from 0 to 100", value.value),
            );
        }
    }
}

/// istiod's `validatePercentage` for `Percent` values: 0, or 0.0001..=100.
pub(crate) fn check_percentage(ctx: &mut Ctx<'_>, value: &Option<Spanned<f64>>, path: &str) {
    if let Some(value) = value {
        let v = value.value;
        // Go's comparisons let NaN through; keep parity.
        let ok = v.is_nan() || v == 0.0 || (0.0001..=100.0).contains(&v);
        if !ok {
            ctx.report(
                &codes::PERCENT_OUT_OF_RANGE,
                value.span,
                path,
                format!("{v} is not a percentage: use 0, or 0.0001 to 100"),
            );
        }
    }
}

/// A port number in 1..=65535.
pub(crate) fn check_port(ctx: &mut Ctx<'_>, port: &Spanned<u32>, path: &str) {
    if !(1..=65535).contains(&port.value) {
        ctx.report(
            &codes::INVALID_PORT,
            port.span,
            path,
            format!("port number {} must be in the range 1..65535", port.value),
        );
    }
}

/// A port name: a DNS-1123 label, uppercase allowed as istiod allows it.
pub(crate) fn check_port_name(ctx: &mut Ctx<'_>, name: &Spanned<String>, path: &str) {
    if !is_istio_dns_label(&name.value) {
        ctx.report(
            &codes::INVALID_PORT_NAME,
            name.span,
            path,
            format!("port name `{}` is not a DNS label: use letters, digits and `-`, at most 63 characters", name.value),
        );
    }
}

/// A protocol name istiod accepts (empty means sniffed).
pub(crate) fn check_protocol(ctx: &mut Ctx<'_>, protocol: &Spanned<String>, path: &str) {
    if !Protocol::is_valid_name(&protocol.value) {
        ctx.report(
            &codes::INVALID_PROTOCOL,
            protocol.span,
            path,
            format!(
                "unsupported protocol `{}`; use one of {}, or leave it empty to sniff",
                protocol.value,
                Protocol::NAMES.join(", ")
            ),
        );
    }
}

/// Istio's `labels.IsDNS1123Label`: like Kubernetes' but uppercase letters are accepted.
pub(crate) fn is_istio_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Parses an IP literal the way Go's `netip.ParseAddr` does (no brackets, no port); an IPv6
/// zone such as `%eth0` is accepted and dropped, as Go accepts it.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    match text.split_once('%') {
        Some((addr, zone)) if !zone.is_empty() => {
            addr.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
        }
        Some(_) => None,
        None => text.parse().ok(),
    }
}

/// The path of a map entry, quoting keys that are not plain identifiers (`labels["app.kubernetes.io/name"]`).
pub(crate) fn key_path(base: &str, key: &str) -> String {
    if !key.is_empty()
        && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    {
        format!("{base}.{key}")
    } else {
        format!("{base}[\"{}\"]", key.replace('"', "\\\""))
    }
}

/// Parses `addr/bits`; host bits may be set, as Go's `netip.ParsePrefix` allows.
pub(crate) fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = text.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    if bits.is_empty()
        || !bits.bytes().all(|byte| byte.is_ascii_digit())
        || (bits.len() > 1 && bits.starts_with('0'))
    {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// istiod's `ValidateIPSubnet`: a CIDR when the text has a `/`, otherwise an IP.
pub(crate) fn is_ip_or_cidr(text: &str) -> bool {
    match text.matches('/').count() {
        0 => parse_ip(text).is_some(),
        1 => parse_cidr(text).is_some(),
        _ => false,
    }
}

/// Reports a host that fails istiod's `ValidateWildcardDomain`.
pub(crate) fn check_wildcard_domain(ctx: &mut Ctx<'_>, host: &Spanned<String>, path: &str) -> bool {
    match host::validate_wildcard_domain(&host.value) {
        Ok(()) => true,
        Err(why) => {
            ctx.report(
                &codes::INVALID_HOST,
                host.span,
                path,
                format!("host `{}` is invalid: {why}", host.value),
            );
            false
        }
    }
}

/// Kubernetes label keys and values, as istiod's `labels.Instance.Validate` checks them.
pub(crate) fn check_labels(ctx: &mut Ctx<'_>, labels: &Option<Spanned<Map<String>>>, path: &str) {
    let Some(labels) = labels else { return };
    for (key, value) in labels.iter() {
        if !is_label_key(&key.value) {
            ctx.report(
                &codes::INVALID_LABEL,
                key.span,
                key_path(path, &key.value),
                format!("label key `{}` is invalid: use `[prefix/]name` with letters, digits, `-`, `_` and `.`", key.value),
            );
        }
        if !value.value.is_empty() && !is_qualified_name(&value.value, usize::MAX) {
            ctx.report(
                &codes::INVALID_LABEL,
                value.span,
                key_path(path, &key.value),
                format!("label value `{}` is invalid: use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit", value.value),
            );
        }
    }
}

fn is_label_key(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|prefix| {
        prefix.len() <= 253 && !prefix.is_empty() && prefix.split('.').all(is_istio_dns_label)
    });
    prefix_ok && is_qualified_name(name, 63)
}

/// `(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most `max_len` bytes.
fn is_qualified_name(name: &str, max_len: usize) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= max_len
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

/// Workload selector labels: no empty keys, no wildcards; an empty selector is a warning.
/// `path` is the path of the label map itself (`spec.workloadSelector.labels`).
pub(crate) fn check_selector(
    ctx: &mut Ctx<'_>,
    labels: Option<&Spanned<Map<String>>>,
    selector_span: Span,
    path: &str,
) -> bool {
    let Some(labels) = labels.filter(|labels| !labels.is_empty()) else {
        ctx.report(
            &codes::EMPTY_SELECTOR,
            selector_span,
            path,
            "workload selector has no labels, so it selects every workload in the namespace",
        );
        return true;
    };
    let mut ok = true;
    for (key, value) in labels.iter() {
        if key.value.is_empty() {
            ctx.report(
                &codes::INVALID_SELECTOR,
                key.span,
                path,
                "workload selector has an empty label key",
            );
            ok = false;
        } else if key.value.contains('*') || value.value.contains('*') {
            ctx.report(
                &codes::INVALID_SELECTOR,
                key.span.cover(value.span),
                key_path(path, &key.value),
                "wildcards are not supported in workload selectors",
            );
            ok = false;
        }
    }
    ok
}

/// Which resource kind an `exportTo` list belongs to; the rules differ slightly.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportToKind {
    ServiceEntry,
    DestinationRule { has_selector: bool },
    VirtualService,
}

/// istiod's `validateExportTo`.
pub(crate) fn check_export_to(
    ctx: &mut Ctx<'_>,
    export_to: &Option<Spanned<Vec<Spanned<String>>>>,
    kind: ExportToKind,
    path: &str,
) {
    let Some(list) = export_to.as_ref().filter(|list| !list.value.is_empty()) else { return };
    let namespace = ctx.namespace().to_string();
    let mut seen: Vec<String> = Vec::new();
    let mut accepted: Vec<String> = Vec::new();
    for (idx, entry) in list.value.iter().enumerate() {
        let item_path = format!("{path}[{idx}]");
        let key = if entry.value == "." { namespace.clone() } else { entry.value.clone() };
        if seen.contains(&key) {
            let message = if entry.value == "." {
                format!(
                    "duplicate entries in exportTo: `.` and the current namespace `{namespace}` are the same"
                )
            } else {
                format!("duplicate entry `{}` in exportTo", entry.value)
            };
            ctx.report(&codes::INVALID_EXPORT_TO, entry.span, item_path, message);
            continue;
        }
        seen.push(key.clone());
        let ok = match entry.value.as_str() {
            "~" if kind == ExportToKind::ServiceEntry => true,
            "~" => {
                ctx.report(
                    &codes::INVALID_EXPORT_TO,
                    entry.span,
                    &item_path,
                    "exportTo `~` (no one) is only allowed on ServiceEntry",
                );
                false
            }
            "." | "*" => true,
            _ if is_istio_dns_label(&key) => true,
            _ => {
                ctx.report(
                    &codes::INVALID_EXPORT_TO,
                    entry.span,
                    &item_path,
                    format!(
                        "exportTo entry `{}` is invalid: use `.`, `*`, or a namespace name",
                        entry.value
                    ),
                );
                false
            }
        };
        if ok {
            accepted.push(key);
        }
    }
    let raw_len = list.value.len();
    if let ExportToKind::DestinationRule { has_selector: true } = kind {
        if !accepted.is_empty() {
            if accepted.contains(&namespace) {
                if accepted.len() > 1 {
                    ctx.report(&codes::INVALID_EXPORT_TO, list.span, path, "a DestinationRule with a workloadSelector cannot have multiple entries in exportTo");
                }
            } else {
                ctx.report(&codes::INVALID_EXPORT_TO, list.span, path, "a DestinationRule with a workloadSelector cannot be exported beyond its own namespace; use `.`");
            }
        }
    }
    if accepted.iter().any(|entry| entry == "*") && raw_len > 1 {
        ctx.report(
            &codes::INVALID_EXPORT_TO,
            list.span,
            path,
            "exportTo cannot mix public (`*`) with other entries; `*` already exports everywhere",
        );
    }
    if accepted.iter().any(|entry| entry == "~") && raw_len > 1 {
        ctx.report(
            &codes::INVALID_EXPORT_TO,
            list.span,
            path,
            "exportTo cannot export to no one (`~`) and to someone at once",
        );
    }
}

/// The CRD's "at most one of" rule for proto oneofs: reports every field after the first set one.
pub(crate) fn check_at_most_one(ctx: &mut Ctx<'_>, fields: &[(&str, Option<Span>)], path: &str) {
    let set: Vec<(&str, Span)> =
        fields.iter().filter_map(|(name, span)| span.map(|span| (*name, span))).collect();
    if set.len() > 1 {
        let names: Vec<&str> = set.iter().map(|(name, _)| *name).collect();
        let (last_name, last_span) = set[set.len() - 1];
        ctx.report(
            &codes::CONFLICTING_FIELDS,
            last_span,
            format!("{path}.{last_name}"),
            format!(
                "only one of {} may be set",
                names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
            ),
        );
    }
}

/// The span of an optional field, for [`check_at_most_one`].
pub(crate) fn span_of<T>(field: &Option<Spanned<T>>) -> Option<Span> {
    field.as_ref().map(|field| field.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_like_go() {
        assert!(is_ip_or_cidr("10.0.0.0/16"));
        assert!(is_ip_or_cidr("10.0.0.1/8"));
        assert!(is_ip_or_cidr("2001:db8::/32"));
        assert!(!is_ip_or_cidr("10.0.0.0/33"));
        assert!(!is_ip_or_cidr("10.0.0.0/"));
        assert!(!is_ip_or_cidr("10.0.0.0/16/1"));
        assert!(!is_ip_or_cidr("db.example.com"));
        assert!(is_ip_or_cidr("203.0.113.10"));
    }

    #[test]
    fn label_keys_and_values() {
        assert!(is_label_key("app"));
        assert!(is_label_key("app.kubernetes.io/name"));
        assert!(is_label_key("topology.istio.io/subzone"));
        assert!(!is_label_key("app/"));
        assert!(!is_label_key("-app"));
        assert!(is_qualified_name("v1.2_beta-3", usize::MAX));
        assert!(!is_qualified_name("v1 ", usize::MAX));
    }
}
