//! Rules and matches that can never be used, which istiod admits with a warning
//! (`analyzeUnreachableHTTPRules`, `analyzeUnreachableTCPRules`, `analyzeUnreachableTLSRules`;
//! `istioctl analyze` reports them as IST0130 and IST0131).
//!
//! Routes are tried in order. A route without `match` takes everything, so any route after it is
//! unreachable; a match identical to an earlier one (ignoring its `name`) is ineffective; for HTTP,
//! a URI prefix match is also ineffective when an earlier prefix match with a shorter prefix and
//! the same (or looser) other conditions covers it.

use std::collections::HashMap;
use std::fmt::Write;

use super::checks::{MatchType, match_type};
use super::items;
use crate::api::{
    HttpMatchRequest, HttpRoute, L4MatchAttributes, StringMatch, TcpRoute, TlsMatchAttributes,
    TlsRoute,
};
use crate::decode::{Map, Spanned};
use crate::diagnostics::codes::virtual_service as codes;
use crate::text::Span;
use crate::validate::Ctx;

/// How istiod names a rule or a match in its messages: `"name"` when named, else `#index`.
fn display_name(name: Option<&Spanned<String>>, idx: usize) -> String {
    match name.filter(|name| !name.value.is_empty()) {
        Some(name) => format!("\"{}\"", name.value.escape_debug()),
        None => format!("#{idx}"),
    }
}

/// One route as the shared analysis sees it.
struct Rule {
    name: String,
    span: Span,
    /// Each match: its canonical key, its display name and span.
    matches: Vec<(String, String, Span)>,
}

/// The first three rules of the analysis, common to HTTP, TLS and TCP routes. Returns, for each
/// rule, which matches were not duplicates (for the HTTP prefix pass).
fn analyze(ctx: &mut Ctx<'_>, kind: &str, rules: &[Rule]) -> Vec<Vec<bool>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut catch_all: Option<usize> = None;
    let mut kept = Vec::with_capacity(rules.len());
    for (rule_idx, rule) in rules.iter().enumerate() {
        let path = format!("spec.{kind}[{rule_idx}]");
        if rule.matches.is_empty() {
            if let Some(earlier) = catch_all {
                ctx.report(
                    &codes::UNREACHABLE_RULE,
                    rule.span,
                    path,
                    format!(
                        "rule {} is never used: rule {} before it has no `match` and takes all traffic; only the last rule can have no matches",
                        rule.name, rules[earlier].name
                    ),
                );
            }
            catch_all = Some(rule_idx);
            kept.push(Vec::new());
            continue;
        }
        let mut duplicates = 0;
        let mut rule_kept = Vec::with_capacity(rule.matches.len());
        for (match_idx, (key, match_name, span)) in rule.matches.iter().enumerate() {
            let match_path = format!("{path}.match[{match_idx}]");
            if let Some(earlier) = catch_all {
                ctx.report(
                    &codes::UNREACHABLE_RULE,
                    *span,
                    match_path,
                    format!(
                        "rule {} match {match_name} is never used: rule {} before it has no `match` and takes all traffic; move the catch-all rule last",
                        rule.name, rules[earlier].name
                    ),
                );
                rule_kept.push(false);
                continue;
            }
            if let Some(&earlier) = seen.get(key.as_str()) {
                ctx.report(
                    &codes::INEFFECTIVE_MATCH,
                    *span,
                    match_path,
                    format!(
                        "rule {} match {match_name} is never used: rule {} has the same match before it",
                        rule.name, rules[earlier].name
                    ),
                );
                duplicates += 1;
                rule_kept.push(false);
                continue;
            }
            seen.insert(key.as_str(), rule_idx);
            rule_kept.push(true);
        }
        if duplicates == rule.matches.len() {
            ctx.report(
                &codes::UNREACHABLE_RULE,
                rule.span,
                path,
                format!(
                    "rule {} is never used: all its matches are taken by earlier rules",
                    rule.name
                ),
            );
        }
        kept.push(rule_kept);
    }
    kept
}

/// Appends a length-prefixed string, so that keys of different matches never collide.
fn put(key: &mut String, tag: char, text: &str) {
    let _ = write!(key, "{tag}{}:{text}", text.len());
}

fn put_string(key: &mut String, tag: char, value: Option<&Spanned<String>>) {
    if let Some(value) = value.filter(|value| !value.value.is_empty()) {
        put(key, tag, &value.value);
    }
}

fn put_strings(key: &mut String, tag: char, list: &Option<Spanned<Vec<Spanned<String>>>>) {
    let list = items(list);
    if !list.is_empty() {
        let _ = write!(key, "{tag}{}[", list.len());
        for item in list {
            put(key, 's', &item.value);
        }
        key.push(']');
    }
}

fn put_port(key: &mut String, port: Option<&Spanned<u32>>) {
    if let Some(port) = port.filter(|port| port.value != 0) {
        let _ = write!(key, "p{}", port.value);
    }
}

fn put_string_match(key: &mut String, tag: char, value: &StringMatch) {
    key.push(tag);
    match match_type(value) {
        Some(MatchType::Exact(text)) => put(key, 'e', &text.value),
        Some(MatchType::Prefix(text)) => put(key, 'p', &text.value),
        Some(MatchType::Regex(text)) => put(key, 'r', &text.value),
        None => key.push('0'),
    }
}

/// A map in key order, as Go's `json.Marshal` writes maps; an empty map is the same as none.
fn put_map<T>(
    key: &mut String,
    tag: char,
    map: &Option<Spanned<Map<T>>>,
    mut value: impl FnMut(&mut String, &T),
) {
    let Some(map) = map.as_ref().filter(|map| !map.value.is_empty()) else { return };
    let mut entries: Vec<_> = map.value.iter().collect();
    crate::sort::sort_by(&mut entries, |a, b| a.0.value.cmp(&b.0.value));
    let _ = write!(key, "{tag}{}{{", entries.len());
    for (name, item) in entries {
        put(key, 'k', &name.value);
        value(key, &item.value);
    }
    key.push('}');
}

/// The match as istiod compares matches (a JSON serialization without `name`): unset, empty and
/// zero values are all the same.
fn http_match_key(request: &HttpMatchRequest) -> String {
    let mut key = String::new();
    for (tag, value) in [
        ('u', &request.uri),
        ('s', &request.scheme),
        ('m', &request.method),
        ('a', &request.authority),
    ] {
        if let Some(value) = value {
            put_string_match(&mut key, tag, value);
        }
    }
    put_map(&mut key, 'h', &request.headers, |key, value| put_string_match(key, 'v', value));
    put_port(&mut key, request.port.as_ref());
    put_map(&mut key, 'l', &request.source_labels, |key, value| put(key, 'v', value));
    put_strings(&mut key, 'g', &request.gateways);
    put_map(&mut key, 'q', &request.query_params, |key, value| put_string_match(key, 'v', value));
    if request.ignore_uri_case.as_ref().is_some_and(|flag| flag.value) {
        key.push('i');
    }
    put_map(&mut key, 'w', &request.without_headers, |key, value| {
        put_string_match(key, 'v', value)
    });
    put_string(&mut key, 'n', request.source_namespace.as_ref());
    put_string(&mut key, 't', request.stat_prefix.as_ref());
    key
}

fn tls_match_key(request: &TlsMatchAttributes) -> String {
    let mut key = String::new();
    put_strings(&mut key, 'h', &request.sni_hosts);
    put_strings(&mut key, 'd', &request.destination_subnets);
    put_port(&mut key, request.port.as_ref());
    put_map(&mut key, 'l', &request.source_labels, |key, value| put(key, 'v', value));
    put_strings(&mut key, 'g', &request.gateways);
    put_string(&mut key, 'n', request.source_namespace.as_ref());
    key
}

fn tcp_match_key(request: &L4MatchAttributes) -> String {
    let mut key = String::new();
    put_strings(&mut key, 'd', &request.destination_subnets);
    put_port(&mut key, request.port.as_ref());
    put_string(&mut key, 'x', request.source_subnet.as_ref());
    put_map(&mut key, 'l', &request.source_labels, |key, value| put(key, 'v', value));
    put_strings(&mut key, 'g', &request.gateways);
    put_string(&mut key, 'n', request.source_namespace.as_ref());
    key
}

/// Whether the analysis can find anything: it needs two rules, or two matches in one.
fn worth_analyzing<T>(routes: &[Spanned<T>], match_count: impl Fn(&T) -> usize) -> bool {
    routes.len() > 1 || routes.first().is_some_and(|route| match_count(&route.value) > 1)
}

pub(super) fn analyze_tls(ctx: &mut Ctx<'_>, routes: &[Spanned<TlsRoute>]) {
    analyze_l4(ctx, "tls", routes, |route| items(&route.matches), tls_match_key);
}

pub(super) fn analyze_tcp(ctx: &mut Ctx<'_>, routes: &[Spanned<TcpRoute>]) {
    analyze_l4(ctx, "tcp", routes, |route| items(&route.matches), tcp_match_key);
}

/// TLS and TCP routes have no names, so rules and matches are named by their index.
fn analyze_l4<R, M>(
    ctx: &mut Ctx<'_>,
    kind: &str,
    routes: &[Spanned<R>],
    matches_of: impl Fn(&R) -> &[Spanned<M>],
    key_of: impl Fn(&M) -> String,
) {
    if !worth_analyzing(routes, |route| matches_of(route).len()) {
        return;
    }
    let rules: Vec<Rule> = routes
        .iter()
        .enumerate()
        .map(|(idx, route)| Rule {
            name: format!("#{idx}"),
            span: route.span,
            matches: matches_of(&route.value)
                .iter()
                .enumerate()
                .map(|(match_idx, request)| {
                    (key_of(&request.value), format!("#{match_idx}"), request.span)
                })
                .collect(),
        })
        .collect();
    analyze(ctx, kind, &rules);
}

pub(super) fn analyze_http(ctx: &mut Ctx<'_>, routes: &[Spanned<HttpRoute>]) {
    if !worth_analyzing(routes, |route| items(&route.matches).len()) {
        return;
    }
    let rules: Vec<Rule> = routes
        .iter()
        .enumerate()
        .map(|(idx, route)| Rule {
            name: display_name(route.name.as_ref(), idx),
            span: route.span,
            matches: items(&route.matches)
                .iter()
                .enumerate()
                .map(|(match_idx, request)| {
                    (
                        http_match_key(request),
                        display_name(request.name.as_ref(), match_idx),
                        request.span,
                    )
                })
                .collect(),
        })
        .collect();
    let kept = analyze(ctx, "http", &rules);

    // The prefix pass over every kept match with a non-empty URI prefix, in order.
    let mut prefixes = Vec::new();
    for (rule_idx, route) in routes.iter().enumerate() {
        for (match_idx, request) in items(&route.matches).iter().enumerate() {
            if !kept[rule_idx].get(match_idx).copied().unwrap_or(false) {
                continue;
            }
            if let Some(prefix) = PrefixMatch::new(request, rule_idx, match_idx) {
                prefixes.push(prefix);
            }
        }
    }
    for (idx, earlier) in prefixes.iter().enumerate() {
        for later in &prefixes[idx + 1..] {
            if later.prefix == earlier.prefix || !earlier.covers(later) {
                continue;
            }
            let rule = &rules[later.rule];
            let match_name = &rule.matches[later.match_idx].1;
            ctx.report(
                &codes::INEFFECTIVE_MATCH,
                rule.matches[later.match_idx].2,
                format!("spec.http[{}].match[{}]", later.rule, later.match_idx),
                format!(
                    "rule {} match {match_name} (prefix `{}`) is never used: match {} (prefix `{}`) of rule {} comes first and covers it; put the longer prefix first",
                    rule.name,
                    later.prefix,
                    rules[earlier.rule].matches[earlier.match_idx].1,
                    earlier.prefix,
                    rules[earlier.rule].name
                ),
            );
        }
    }
}

/// A URI prefix match reduced to what istiod's overlap check compares
/// (`OverlappingMatchValidationForHTTPRoute`): string matches become `exact:v`, `prefix:v` or ``.
struct PrefixMatch<'a> {
    rule: usize,
    match_idx: usize,
    prefix: &'a str,
    port: u32,
    method: String,
    authority: String,
    headers: Vec<(&'a str, String)>,
    query_params: Vec<(&'a str, String)>,
    without_headers: Vec<(&'a str, String)>,
}

/// `assignExactOrPrefix`: `exact:v` or `prefix:v` for a non-empty exact or prefix value, else ``.
fn exact_or_prefix(value: Option<&StringMatch>) -> String {
    match value.and_then(match_type) {
        Some(MatchType::Exact(text)) if !text.value.is_empty() => format!("exact:{}", text.value),
        Some(MatchType::Prefix(text)) if !text.value.is_empty() => format!("prefix:{}", text.value),
        _ => String::new(),
    }
}

fn reduced(map: &Option<Spanned<Map<StringMatch>>>) -> Vec<(&str, String)> {
    map.iter()
        .flat_map(|map| map.value.iter())
        .map(|(key, value)| (key.value.as_str(), exact_or_prefix(Some(value))))
        .collect()
}

impl<'a> PrefixMatch<'a> {
    fn new(
        request: &'a HttpMatchRequest,
        rule: usize,
        match_idx: usize,
    ) -> Option<PrefixMatch<'a>> {
        let Some(MatchType::Prefix(prefix)) = request.uri.as_ref().and_then(|uri| match_type(uri))
        else {
            return None;
        };
        if prefix.value.is_empty() {
            return None;
        }
        let mut method = exact_or_prefix(request.method.as_deref());
        if method.is_empty() {
            // istiod treats a match without a method as a GET match here.
            method = "exact:GET".to_string();
        }
        Some(PrefixMatch {
            rule,
            match_idx,
            prefix: &prefix.value,
            port: request.port.as_ref().map_or(0, |port| port.value),
            method,
            authority: exact_or_prefix(request.authority.as_deref()),
            headers: reduced(&request.headers),
            query_params: reduced(&request.query_params),
            without_headers: reduced(&request.without_headers),
        })
    }

    /// `coveredValidation(self, later)`: the earlier match takes every request the later one
    /// would. The "starts with" comparisons on encoded values are istiod's, kept as they are.
    fn covers(&self, later: &PrefixMatch<'_>) -> bool {
        let loosens = |earlier: &str, later: &str| earlier == later || earlier.starts_with(later);
        let maps_cover = |earlier: &[(&str, String)], later: &[(&str, String)]| {
            earlier.len() == later.len()
                && earlier.iter().all(|(key, value)| {
                    later
                        .iter()
                        .find(|(other, _)| other == key)
                        .is_some_and(|(_, other)| loosens(value, other))
                })
        };
        later.prefix.starts_with(self.prefix)
            && later.port == self.port
            && loosens(&self.method, &later.method)
            && loosens(&self.authority, &later.authority)
            && maps_cover(&self.headers, &later.headers)
            && maps_cover(&self.query_params, &later.query_params)
            && maps_cover(&self.without_headers, &later.without_headers)
    }
}
