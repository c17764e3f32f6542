//! Istio host names: matching, specificity, short-name expansion and syntax.
//!
//! These follow istiod's `host.Name` semantics (`pkg/config/host/name.go`, `names.go`) and its
//! validation helpers (`pkg/config/validation/agent`): matching is a byte-wise suffix test on
//! the part after a leading `*`, case-sensitive, and only the first label may be a wildcard.
//! Envoy's own case-insensitive Host matching happens at request time and lives with evaluation.

use std::cmp::Ordering;
use std::fmt;

/// Whether the host is a wildcard: its first byte is `*`.
pub fn is_wildcard(host: &str) -> bool {
    host.starts_with('*')
}

/// Istio's symmetric `Matches`: whether two host patterns overlap.
///
/// `*.foo.com` covers `a.foo.com` and `a.b.foo.com` but not `foo.com`; `*` covers everything;
/// two wildcards match when the longer one's suffix ends with the shorter one's.
pub fn matches(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (None, None) => a == b,
        (Some(a_suffix), None) => b.ends_with(a_suffix),
        (None, Some(b_suffix)) => a.ends_with(b_suffix),
        (Some(a_suffix), Some(b_suffix)) => {
            if a_suffix.len() >= b_suffix.len() {
                a_suffix.ends_with(b_suffix)
            } else {
                b_suffix.ends_with(a_suffix)
            }
        }
    }
}

/// Istio's one-directional `SubsetOf`: every name `a` covers is also covered by `b`.
pub fn subset_of(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (_, None) => a == b,
        (None, Some(b_suffix)) => a.ends_with(b_suffix),
        (Some(a_suffix), Some(b_suffix)) => a_suffix.ends_with(b_suffix),
    }
}

/// Istio's "more specific" order: exact names before wildcards, longer before shorter, then
/// lexicographic. Sorting with it puts the best match for a lookup first.
pub fn more_specific(a: &str, b: &str) -> Ordering {
    is_wildcard(a).cmp(&is_wildcard(b)).then(b.len().cmp(&a.len())).then(a.cmp(b))
}

/// How a host pattern covered a looked-up name; greater is more specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostMatch {
    /// Matched by a wildcard whose suffix has this many bytes.
    Wildcard(usize),
    Exact,
}

/// Istio's `MostSpecificHostMatch`: the pattern among `candidates` that best covers `needle`.
///
/// An exact needle takes an identical candidate first, then the most specific wildcard whose
/// suffix it ends with. A wildcard needle takes the identical wildcard, then the most specific
/// more general wildcard; an exact candidate never matches a wildcard needle. Ties keep the
/// first candidate, so callers control precedence by the order they pass candidates in.
pub fn most_specific_match<'c, I>(needle: &str, candidates: I) -> Option<(&'c str, HostMatch)>
where
    I: IntoIterator<Item = &'c str>,
{
    let mut best: Option<(&'c str, HostMatch)> = None;
    for candidate in candidates {
        let quality = match_quality(needle, candidate);
        if let Some(quality) = quality {
            if best.is_none_or(|(_, best_quality)| quality > best_quality) {
                best = Some((candidate, quality));
            }
        }
    }
    best
}

fn match_quality(needle: &str, candidate: &str) -> Option<HostMatch> {
    if needle == candidate {
        return Some(HostMatch::Exact);
    }
    let suffix = candidate.strip_prefix('*')?;
    let covered = match needle.strip_prefix('*') {
        Some(needle_suffix) => needle_suffix.ends_with(suffix),
        None => needle.ends_with(suffix),
    };
    covered.then_some(HostMatch::Wildcard(suffix.len()))
}

/// Istio's `ResolveShortnameToFQDN` for VirtualService and DestinationRule hosts: a name with no
/// dot becomes `<name>.<namespace>.svc.<suffix>`; `*`, IP literals and any dotted name stay.
pub fn resolve_short_name(host: &str, namespace: &str, domain_suffix: &str) -> String {
    if host == "*" || host.contains('.') || host.contains(':') || host.is_empty() {
        return host.to_string();
    }
    format!("{host}.{namespace}.svc.{domain_suffix}")
}

/// Why a host name is not acceptable to istiod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidHost {
    Empty,
    TooLong(usize),
    BadLabel(String),
    NumericTopLevel(String),
    WildcardNotFirst,
}

impl fmt::Display for InvalidHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidHost::Empty => f.write_str("the host is empty"),
            InvalidHost::TooLong(len) => {
                write!(f, "the host is {len} characters long; DNS names have at most 255")
            }
            InvalidHost::BadLabel(label) => write!(
                f,
                "label `{label}` is not a DNS label (letters, digits and `-`, at most 63, starting and ending with a letter or digit)"
            ),
            InvalidHost::NumericTopLevel(label) => {
                write!(
                    f,
                    "the top-level label `{label}` is all digits; IP addresses are not host names here"
                )
            }
            InvalidHost::WildcardNotFirst => f.write_str(
                "`*` may only stand at the start of the first label, as in `*.example.com`",
            ),
        }
    }
}

/// A DNS-1123 label, allowing uppercase as istiod does for hosts.
fn is_host_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// istiod's `ValidateWildcardDomain`: DNS labels, a wildcard allowed only in the first label as
/// `*`, `*xyz` or `*-xyz`, the top-level label not all digits, a trailing dot allowed.
pub fn validate_wildcard_domain(host: &str) -> Result<(), InvalidHost> {
    check_length(host)?;
    let (first, rest) = match host.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (host, None),
    };
    let first_ok = match first.strip_prefix('*') {
        Some("") => true,
        Some(after) => {
            is_host_label(after.strip_prefix('-').unwrap_or(after)) && !after.contains('*')
        }
        None => is_host_label(first),
    };
    if !first_ok {
        return Err(if first.contains('*') {
            InvalidHost::WildcardNotFirst
        } else {
            InvalidHost::BadLabel(first.to_string())
        });
    }
    match rest {
        Some(rest) => validate_labels(rest),
        None => Ok(()),
    }
}

/// istiod's `ValidateFQDN`: like a wildcard domain but with no wildcard at all.
pub fn validate_fqdn(host: &str) -> Result<(), InvalidHost> {
    check_length(host)?;
    if host.contains('*') {
        return Err(InvalidHost::WildcardNotFirst);
    }
    validate_labels(host)
}

fn check_length(host: &str) -> Result<(), InvalidHost> {
    if host.is_empty() {
        return Err(InvalidHost::Empty);
    }
    if host.len() > 255 {
        return Err(InvalidHost::TooLong(host.len()));
    }
    Ok(())
}

fn validate_labels(domain: &str) -> Result<(), InvalidHost> {
    let labels: Vec<&str> = domain.split('.').collect();
    let last = labels.len() - 1;
    // istiod tests only the very last label, so an absolute `1.2.3.4.` slips through; keep parity.
    let top = labels[last];
    if !top.is_empty()
        && top.trim_start_matches(['+', '-']).bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(InvalidHost::NumericTopLevel(top.to_string()));
    }
    for (idx, label) in labels.iter().enumerate() {
        // A trailing dot makes an absolute name (`istio.io.`), which istiod accepts.
        if idx == last && label.is_empty() && idx > 0 {
            return Ok(());
        }
        if label.contains('*') {
            return Err(InvalidHost::WildcardNotFirst);
        }
        if !is_host_label(label) {
            return Err(InvalidHost::BadLabel(label.to_string()));
        }
    }
    Ok(())
}

/// istiod's `ValidatePartialWildCard`: any `*` other than a whole leading label, such as
/// `*foo.com` or `*-api.foo.com`, which also cover `foo.com` and `barfoo.com`.
pub fn is_partial_wildcard(host: &str) -> bool {
    host.contains('*') && host != "*" && !host.starts_with("*.")
}

#[cfg(test)]
mod tests;
