//! Envoy's request matchers: string matches with RE2 full-match regexes, headers, query.

use crate::api::{HttpMatchRequest, StringMatch, VirtualService};
use crate::re2::Regex;

use super::index::FastMap;

/// Regexes compiled once per configuration, keyed by their source text.
#[derive(Default, Debug)]
pub(crate) struct RegexCache {
    compiled: FastMap<String, Option<Regex>>,
}

impl RegexCache {
    /// Compiles every regex a VirtualService's HTTP matches use.
    pub(crate) fn compile_virtual_service(&mut self, spec: &VirtualService) {
        for route in spec.http.iter().flatten() {
            for request in route.matches.iter().flatten() {
                for matcher in string_matches(request) {
                    if let Some(regex) = matcher.regex.as_ref() {
                        self.compile(&regex.value);
                    }
                }
            }
        }
    }

    fn compile(&mut self, source: &str) {
        if self.compiled.contains_key(source) {
            return;
        }
        self.compiled.insert(source.to_string(), Regex::new(source).ok());
    }

    /// The compiled regex; `None` when it cannot be compiled (invalid, which lint reports, or
    /// too large to run), which the caller reports.
    pub(crate) fn get(&self, source: &str) -> Option<&Regex> {
        self.compiled.get(source).and_then(Option::as_ref)
    }
}

fn string_matches(request: &HttpMatchRequest) -> Vec<&StringMatch> {
    let mut out: Vec<&StringMatch> = Vec::new();
    for matcher in
        [&request.uri, &request.scheme, &request.method, &request.authority].into_iter().flatten()
    {
        out.push(matcher);
    }
    for map in [&request.headers, &request.query_params, &request.without_headers] {
        for (_, matcher) in map.iter().flat_map(|m| m.iter()) {
            out.push(matcher);
        }
    }
    out
}

/// The outcome of one condition.
pub(crate) enum Check {
    Match,
    /// Did not match; the sentence says why.
    Miss(String),
}

/// Matches a value against a `StringMatch`. An empty matcher (`{}`) matches any present value.
pub(crate) fn string_match(
    regexes: &RegexCache,
    matcher: &StringMatch,
    value: &str,
    ignore_case: bool,
) -> Result<bool, String> {
    if let Some(exact) = matcher.exact.as_ref() {
        return Ok(if ignore_case {
            value.eq_ignore_ascii_case(&exact.value)
        } else {
            value == exact.value
        });
    }
    if let Some(prefix) = matcher.prefix.as_ref() {
        let prefix = prefix.value.as_str();
        return Ok(if ignore_case {
            value.len() >= prefix.len()
                && value.is_char_boundary(prefix.len())
                && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        } else {
            value.starts_with(prefix)
        });
    }
    if let Some(regex) = matcher.regex.as_ref() {
        return match regexes.get(&regex.value) {
            Some(compiled) => Ok(compiled.is_full_match(value)),
            None => Err(format!("regex `{}` could not be evaluated", regex.value)),
        };
    }
    Ok(true)
}

/// Describes a matcher for sentences: `exact "/v1"`, `prefix "/api"`, `regex "…"`.
pub(crate) fn describe(matcher: &StringMatch) -> String {
    if let Some(exact) = matcher.exact.as_ref() {
        return format!("exact \"{}\"", exact.value);
    }
    if let Some(prefix) = matcher.prefix.as_ref() {
        return format!("prefix \"{}\"", prefix.value);
    }
    if let Some(regex) = matcher.regex.as_ref() {
        return format!("regex \"{}\"", regex.value);
    }
    "present".to_string()
}

/// Whether a header matcher only asks for presence: `{}` or regex `*` (Istio's translation).
pub(crate) fn is_presence(matcher: &StringMatch) -> bool {
    match (&matcher.exact, &matcher.prefix, &matcher.regex) {
        (None, None, None) => true,
        (None, None, Some(regex)) => regex.value == "*",
        _ => false,
    }
}
