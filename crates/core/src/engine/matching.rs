//! Envoy's request matchers: string matches with RE2 full-match regexes, headers, query.

use std::borrow::Cow;

use regex::Regex;

use crate::api::{HttpMatchRequest, StringMatch, VirtualService};

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
        // Envoy's `safe_regex` must match the whole value: anchor the pattern on both ends.
        let anchored = format!("^(?:{})$", ascii_perl_classes(source));
        self.compiled.insert(source.to_string(), Regex::new(&anchored).ok());
    }

    /// The compiled regex; `None` when the regex crate cannot compile it (a construct RE2
    /// accepts and the regex crate does not), which the caller reports.
    pub(crate) fn get(&self, source: &str) -> Option<&Regex> {
        self.compiled.get(source).and_then(Option::as_ref)
    }
}

/// Gives RE2's Perl classes and word boundaries their RE2 meaning in the regex crate's syntax.
///
/// In RE2 (https://github.com/google/re2/wiki/Syntax) `\d`, `\s`, `\w` and `\b` are ASCII-only:
/// `\d` is `[0-9]`, `\s` is `[\t\n\f\r ]`, `\w` is `[0-9A-Za-z_]`, and `\b` looks at `\w` on
/// either side; the regex crate's are Unicode-aware. Each escape becomes an explicit class (a
/// nested class when it stands inside brackets, which the regex crate reads as a union, so no
/// class tracking is needed), or an ASCII word boundary. Under `(?i)` the explicit classes fold
/// as RE2 folds its Perl classes (`(?i)\w` also matches the Kelvin sign), so the crate's Unicode
/// Perl tables are never needed. `\x20` spells the space because `(?x)` would drop a literal one.
/// Everything else, escaped backslashes included, is kept verbatim.
fn ascii_perl_classes(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains('\\') {
        return Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some(escaped) = chars.next() else {
            out.push(ch);
            break;
        };
        let replacement = match escaped {
            'd' => "[0-9]",
            'D' => "[^0-9]",
            's' => r"[\t\n\f\r\x20]",
            'S' => r"[^\t\n\f\r\x20]",
            'w' => "[0-9A-Za-z_]",
            'W' => "[^0-9A-Za-z_]",
            'b' => r"(?-u:\b)",
            'B' => r"(?-u:\B)",
            _ => {
                out.push(ch);
                out.push(escaped);
                continue;
            }
        };
        out.push_str(replacement);
    }
    Cow::Owned(out)
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
            Some(compiled) => Ok(compiled.is_match(value)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn full_match(pattern: &str, value: &str) -> bool {
        let mut cache = RegexCache::default();
        cache.compile(pattern);
        cache.get(pattern).unwrap_or_else(|| panic!("{pattern} compiles")).is_match(value)
    }

    #[test]
    fn perl_classes_and_word_boundaries_are_ascii_as_in_re2() {
        for (pattern, value, matches) in [
            (r"\d+", "42", true),
            (r"\d+", "\u{664}\u{662}", false),
            (r"[^\d]", "\u{663}", true),
            (r"\D", "\u{663}", true),
            (r"\w+", "a_Z9", true),
            (r"\w", "\u{e9}", false),
            (r"\W", "\u{e9}", true),
            (r"[\w.]+", "api.v1", true),
            (r"\s", "\t", true),
            (r"\s", "\u{a0}", false),
            (r"\s", "\u{b}", false),
            (r"\S", "\u{a0}", true),
            ("a\\b\u{e9}", "a\u{e9}", true),
            ("a\\B\u{e9}", "a\u{e9}", false),
            // RE2 folds its Perl classes under (?i): the Kelvin sign is a `k`.
            (r"(?i)\w", "\u{212a}", true),
            (r"(?i)\W", "\u{212a}", false),
            // An escaped backslash is not an escape.
            (r"\\d", "\\d", true),
            // Unicode classes and case folding stay Unicode, as in RE2.
            (r"\pL", "\u{e9}", true),
            (r"\p{Greek}+", "\u{3b1}\u{3c9}", true),
            ("(?i)caf\u{e9}", "CAF\u{c9}", true),
        ] {
            assert_eq!(full_match(pattern, value), matches, "{pattern} on {value:?}");
        }
    }
}
