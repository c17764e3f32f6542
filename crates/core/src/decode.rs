//! Typed decoding of YAML nodes into Istio messages, keeping every value's span.
//!
//! Decoding never stops at the first problem: a value of the wrong type becomes a diagnostic and
//! the field is left unset, an unknown field becomes a warning at its key, and the rest of the
//! resource is still read. The [`message!`] and [`istio_enum!`] macros declare the Istio API
//! types field for field with their JSON names, so the Rust types read like the proto.

use std::fmt;
use std::ops::Deref;

use crate::diagnostics::codes::input as codes;
use crate::diagnostics::{Code, Diagnostic, ResourceRef};
use crate::text::{SourceId, Span};
use crate::yaml::{Node, NodeKind, ScalarValue};

/// A value and the span of the YAML node it was read from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'a, T> IntoIterator for &'a Spanned<Vec<T>> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.value.iter()
    }
}

/// A YAML mapping with string keys, in input order (labels, header operations, endpoint ports).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map<T> {
    pub entries: Vec<(Spanned<String>, Spanned<T>)>,
}

impl<T> Map<T> {
    pub fn get(&self, key: &str) -> Option<&Spanned<T>> {
        self.entries.iter().find(|(name, _)| name.value == key).map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &Spanned<T>)> {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A `google.protobuf.Duration`, written the way Istio accepts it (Go's duration syntax).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    pub nanos: i128,
}

impl Duration {
    pub const MILLISECOND: Duration = Duration { nanos: 1_000_000 };
    pub const SECOND: Duration = Duration { nanos: 1_000_000_000 };

    pub fn from_millis(millis: i128) -> Duration {
        Duration { nanos: millis * 1_000_000 }
    }

    pub fn from_secs(secs: i128) -> Duration {
        Duration { nanos: secs * 1_000_000_000 }
    }

    /// Parses Go's `time.ParseDuration` syntax: `300ms`, `-1.5h`, `2h45m`, `0`.
    pub fn parse(text: &str) -> Option<Duration> {
        let (negative, mut rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "0" {
            return Some(Duration { nanos: 0 });
        }
        if rest.is_empty() {
            return None;
        }
        let mut total: f64 = 0.0;
        while !rest.is_empty() {
            let number_len =
                rest.find(|ch: char| !(ch.is_ascii_digit() || ch == '.')).unwrap_or(rest.len());
            let number = &rest[..number_len];
            if number.is_empty() || number == "." || number.matches('.').count() > 1 {
                return None;
            }
            let value: f64 = number.parse().ok()?;
            rest = &rest[number_len..];
            let unit_len =
                rest.find(|ch: char| ch.is_ascii_digit() || ch == '.').unwrap_or(rest.len());
            let nanos_per_unit = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" | "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => return None,
            };
            rest = &rest[unit_len..];
            total += value * nanos_per_unit;
        }
        // Go rejects durations beyond ~292 years; so do we, rather than wrapping.
        if total > i64::MAX as f64 {
            return None;
        }
        let nanos = total.round() as i128;
        Some(Duration { nanos: if negative { -nanos } else { nanos } })
    }
}

impl fmt::Display for Duration {
    /// Prints the shortest Go-style form: `10s`, `1.5s`, `250ms`, `1m30s`, `2h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut nanos = self.nanos;
        if nanos < 0 {
            f.write_str("-")?;
            nanos = -nanos;
        }
        if nanos == 0 {
            return f.write_str("0s");
        }
        if nanos < 1_000_000_000 {
            let (unit, scale) = if nanos % 1_000_000 == 0 {
                ("ms", 1_000_000)
            } else if nanos % 1_000 == 0 {
                ("us", 1_000)
            } else {
                ("ns", 1)
            };
            return write!(f, "{}{unit}", nanos / scale);
        }
        let hours = nanos / 3_600_000_000_000;
        let minutes = nanos / 60_000_000_000 % 60;
        let sec_nanos = nanos % 60_000_000_000;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        if sec_nanos > 0 {
            let whole = sec_nanos / 1_000_000_000;
            let frac = sec_nanos % 1_000_000_000;
            if frac == 0 {
                write!(f, "{whole}s")?;
            } else {
                let digits = format!("{frac:09}");
                write!(f, "{whole}.{}s", digits.trim_end_matches('0'))?;
            }
        }
        Ok(())
    }
}

/// One step of a field path.
#[derive(Clone, Debug)]
enum PathSeg {
    Field(&'static str),
    Index(usize),
    Key(Box<str>),
}

/// Decoding state for one resource: where diagnostics go and the current field path.
pub struct Decoder<'a> {
    pub source: SourceId,
    pub resource: Option<ResourceRef>,
    path: Vec<PathSeg>,
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

impl<'a> Decoder<'a> {
    pub fn new(source: SourceId, diagnostics: &'a mut Vec<Diagnostic>) -> Decoder<'a> {
        Decoder { source, resource: None, path: Vec::new(), diagnostics }
    }

    /// The current field path, `spec.ports[1].protocol`.
    pub fn path(&self) -> String {
        render_path(&self.path)
    }

    pub fn report(&mut self, code: &'static Code, span: Span, message: impl Into<String>) {
        let path = if self.path.is_empty() { None } else { Some(self.path()) };
        let mut diagnostic =
            Diagnostic::new(code, message).at(self.source, span).on(self.resource.as_ref());
        diagnostic.path = path;
        self.diagnostics.push(diagnostic);
    }

    /// Decodes `node` as the field `name`; a `null` value is the same as an absent field.
    pub fn field<T: Decode>(&mut self, name: &'static str, node: &Node<'_>) -> Option<Spanned<T>> {
        if node.is_null() {
            return None;
        }
        self.enter(PathSeg::Field(name));
        let value = T::decode(node, self);
        self.leave();
        value.map(|value| Spanned::new(value, node.span))
    }

    // `field` and `with_seg` are instantiated once per decoded type (about a hundred); keeping
    // the path bookkeeping out of line keeps each copy small in the browser module and filter.
    #[inline(never)]
    fn enter(&mut self, seg: PathSeg) {
        self.path.push(seg);
    }

    #[inline(never)]
    fn leave(&mut self) {
        self.path.pop();
    }

    pub fn expect_map<'n, 't>(
        &mut self,
        node: &'n Node<'t>,
    ) -> Option<&'n [crate::yaml::Entry<'t>]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => {
                self.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected a mapping of fields, found {}", node.describe()),
                );
                None
            }
        }
    }

    pub fn unknown_field(&mut self, key: &str, span: Span, known: &[&str]) {
        let mut path = self.path.clone();
        path.push(PathSeg::Key(key.into()));
        let hint = match (suggest(key, known), misplaced(key)) {
            (Some(candidate), _) => format!("; did you mean `{candidate}`?"),
            (None, Some(home)) => {
                format!("; `{key}` belongs under `{home}`: check the indentation")
            }
            (None, None) => "; check its spelling and indentation".to_string(),
        };
        let mut diagnostic = Diagnostic::new(
            &codes::UNKNOWN_FIELD,
            format!("unknown field `{key}` is ignored{hint}"),
        )
        .at(self.source, span)
        .on(self.resource.as_ref());
        diagnostic.path = Some(render_path(&path));
        self.diagnostics.push(diagnostic);
    }

    fn with_seg<T>(&mut self, seg: PathSeg, f: impl FnOnce(&mut Self) -> T) -> T {
        self.enter(seg);
        let res = f(self);
        self.leave();
        res
    }

    fn scalar<'n>(&mut self, node: &'n Node<'_>, expected: &str) -> Option<ScalarValue<'n>> {
        match node.as_scalar() {
            Some(scalar) => Some(scalar.value()),
            None => {
                self.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected {expected}, found {}", node.describe()),
                );
                None
            }
        }
    }
}

fn render_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            PathSeg::Index(idx) => {
                out.push('[');
                out.push_str(&idx.to_string());
                out.push(']');
            }
            PathSeg::Key(key) => {
                if !key.is_empty()
                    && key
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
                {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push_str("[\"");
                    out.push_str(&key.replace('"', "\\\""));
                    out.push_str("\"]");
                }
            }
        }
    }
    out
}

/// Where fields that are often written one level off actually live, for a precise hint.
fn misplaced(key: &str) -> Option<&'static str> {
    Some(match key {
        "localityLbSetting" | "consistentHash" | "simple" | "warmup" | "zoneAwareLbSetting" => {
            "loadBalancer"
        }
        "tcp" | "http" => "connectionPool",
        "maxConnections" | "connectTimeout" | "tcpKeepalive" | "maxConnectionDuration" => {
            "connectionPool.tcp"
        }
        "http1MaxPendingRequests"
        | "http2MaxRequests"
        | "maxRequestsPerConnection"
        | "maxRetries" => "connectionPool.http",
        "consecutive5xxErrors"
        | "consecutiveGatewayErrors"
        | "baseEjectionTime"
        | "maxEjectionPercent" => "outlierDetection",
        "credentialName" | "caCertificates" | "clientCertificate" | "privateKey" | "sni" => "tls",
        "httpHeaderName" | "httpCookie" | "useSourceIp" | "httpQueryParameterName" => {
            "loadBalancer.consistentHash"
        }
        "perTryTimeout" | "retryOn" | "attempts" => "retries",
        "subset" => "destination",
        _ => return None,
    })
}

/// The known name closest to a misspelled one: same letters in another case, or at most two edits.
pub fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    if let Some(exact_fold) = known.iter().find(|candidate| candidate.eq_ignore_ascii_case(key)) {
        return Some(exact_fold);
    }
    let limit = if key.len() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|candidate| {
            (edit_distance(&key.to_ascii_lowercase(), &candidate.to_ascii_lowercase()), *candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// A type that can be read from a YAML node.
pub trait Decode: Sized {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<Self>;
}

impl Decode for String {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<String> {
        match decoder.scalar(node, "a string")? {
            ScalarValue::Str(text) => Some(text.to_string()),
            ScalarValue::Null => None,
            other => {
                let text =
                    &node.as_scalar().map(|scalar| scalar.text.to_string()).unwrap_or_default();
                let what = match other {
                    ScalarValue::Bool(_) => "a boolean",
                    _ => "a number",
                };
                decoder.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected a string, found {what}; quote it: \"{text}\""),
                );
                None
            }
        }
    }
}

impl Decode for bool {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<bool> {
        match decoder.scalar(node, "a boolean (true or false)")? {
            ScalarValue::Bool(value) => Some(value),
            _ => {
                decoder.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected a boolean (true or false), found {}", node.describe()),
                );
                None
            }
        }
    }
}

macro_rules! decode_int {
    ($($ty:ty),*) => {$(
        impl Decode for $ty {
            fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<$ty> {
                match decoder.scalar(node, "an integer")? {
                    ScalarValue::Int(value) => match <$ty>::try_from(value) {
                        Ok(value) => Some(value),
                        Err(_) => {
                            decoder.report(
                                &codes::INTEGER_OUT_OF_RANGE,
                                node.span,
                                format!("{} does not fit in this field; it takes {} to {}", node.as_scalar().map_or("", |s| &*s.text), <$ty>::MIN, <$ty>::MAX),
                            );
                            None
                        }
                    },
                    ScalarValue::Str(text) if text.trim().parse::<i128>().is_ok() => {
                        decoder.report(&codes::WRONG_TYPE, node.span, format!("expected an integer, found the string \"{text}\"; remove the quotes"));
                        None
                    }
                    _ => {
                        decoder.report(&codes::WRONG_TYPE, node.span, format!("expected an integer, found {}", node.describe()));
                        None
                    }
                }
            }
        }
    )*};
}

decode_int!(u32, i32, i64, u64);

impl Decode for f64 {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<f64> {
        match decoder.scalar(node, "a number")? {
            ScalarValue::Int(value) => Some(value as f64),
            ScalarValue::Float(value) => Some(value),
            _ => {
                decoder.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected a number, found {}", node.describe()),
                );
                None
            }
        }
    }
}

impl Decode for Duration {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<Duration> {
        let text = match decoder.scalar(node, "a duration such as \"10s\"")? {
            ScalarValue::Str(text) => text,
            ScalarValue::Int(_) | ScalarValue::Float(_) => {
                let raw = node.as_scalar().map_or("", |scalar| &*scalar.text);
                decoder.report(&codes::INVALID_DURATION, node.span, format!("duration `{raw}` has no unit; write `{raw}s` for seconds or `{raw}ms` for milliseconds"));
                return None;
            }
            _ => {
                decoder.report(
                    &codes::WRONG_TYPE,
                    node.span,
                    format!("expected a duration such as \"10s\", found {}", node.describe()),
                );
                return None;
            }
        };
        match Duration::parse(text) {
            Some(duration) => Some(duration),
            None => {
                decoder.report(&codes::INVALID_DURATION, node.span, format!("`{text}` is not a duration; write a number with a unit: 500ms, 10s, 1m30s, 2h"));
                None
            }
        }
    }
}

impl<T: Decode> Decode for Vec<Spanned<T>> {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<Vec<Spanned<T>>> {
        let Some(items) = node.as_seq() else {
            decoder.report(
                &codes::WRONG_TYPE,
                node.span,
                format!("expected a list, found {}; start each item with `- `", node.describe()),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (idx, item) in items.iter().enumerate() {
            if let Some(value) =
                decoder.with_seg(PathSeg::Index(idx), |decoder| T::decode(item, decoder))
            {
                out.push(Spanned::new(value, item.span));
            }
        }
        Some(out)
    }
}

impl<T: Decode> Decode for Map<T> {
    fn decode(node: &Node<'_>, decoder: &mut Decoder<'_>) -> Option<Map<T>> {
        let entries = decoder.expect_map(node)?;
        let mut out = Map { entries: Vec::with_capacity(entries.len()) };
        for entry in entries {
            let Some(key) = entry.key.as_scalar() else { continue };
            let key_text = key.text.to_string();
            let value = decoder.with_seg(PathSeg::Key(key.text.as_ref().into()), |decoder| {
                if entry.value.is_null() { None } else { T::decode(&entry.value, decoder) }
            });
            if let Some(value) = value {
                out.entries.push((
                    Spanned::new(key_text, entry.key.span),
                    Spanned::new(value, entry.value.span),
                ));
            }
        }
        Some(out)
    }
}

/// Declares an Istio message: a struct whose fields are all optional and spanned, decoded from a
/// mapping by JSON field name, with unknown fields reported.
#[macro_export]
#[doc(hidden)]
macro_rules! message {
    ($(#[$meta:meta])* pub struct $name:ident { $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $json:literal ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            /// The span of the whole mapping.
            pub span: $crate::text::Span,
            $( $(#[$fmeta])* pub $field: Option<$crate::decode::Spanned<$ty>>, )*
        }

        impl $name {
            /// The JSON names of this message's fields.
            pub const FIELDS: &'static [&'static str] = &[$($json),*];
        }

        impl $crate::decode::Decode for $name {
            fn decode(node: &$crate::yaml::Node<'_>, decoder: &mut $crate::decode::Decoder<'_>) -> Option<Self> {
                let entries = decoder.expect_map(node)?;
                let mut out = Self { span: node.span, ..Default::default() };
                for entry in entries {
                    let Some(key) = entry.key.as_scalar() else { continue };
                    match &*key.text {
                        $( $json => out.$field = decoder.field($json, &entry.value), )*
                        other => decoder.unknown_field(other, entry.key.span, Self::FIELDS),
                    }
                }
                Some(out)
            }
        }
    };
}

/// Declares an Istio enum, matched exactly by its proto name as Istio does.
#[macro_export]
#[doc(hidden)]
macro_rules! istio_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $json:literal ),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const VALUES: &'static [&'static str] = &[$($json),+];

            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $json ),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $( $json => Some(Self::$variant), )+ _ => None }
            }
        }

        impl $crate::decode::Decode for $name {
            fn decode(node: &$crate::yaml::Node<'_>, decoder: &mut $crate::decode::Decoder<'_>) -> Option<Self> {
                $crate::decode::decode_enum(node, decoder, Self::VALUES).and_then(Self::parse)
            }
        }
    };
}

/// Reads an enum value; reports a value outside `values` with the allowed list and a suggestion.
pub fn decode_enum<'v>(
    node: &Node<'_>,
    decoder: &mut Decoder<'_>,
    values: &[&'v str],
) -> Option<&'v str> {
    let text = String::decode(node, decoder)?;
    if let Some(value) = values.iter().find(|value| **value == text) {
        return Some(value);
    }
    let hint = match suggest(&text, values) {
        Some(candidate) => {
            format!("; did you mean `{candidate}`? Istio matches enum values exactly")
        }
        None => String::new(),
    };
    decoder.report(
        &codes::INVALID_ENUM,
        node.span,
        format!("`{text}` is not one of {}{hint}", values.join(", ")),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        let cases: &[(&str, Option<i128>)] = &[
            ("10s", Some(10_000_000_000)),
            ("1.5s", Some(1_500_000_000)),
            ("250ms", Some(250_000_000)),
            ("1m30s", Some(90_000_000_000)),
            ("2h", Some(7_200_000_000_000)),
            ("0", Some(0)),
            ("-1s", Some(-1_000_000_000)),
            ("10", None),
            ("s", None),
            ("1d", None),
            ("", None),
            ("1..5s", None),
        ];
        for (text, nanos) in cases {
            assert_eq!(Duration::parse(text).map(|d| d.nanos), *nanos, "{text}");
        }
    }

    #[test]
    fn durations_print_in_shortest_form() {
        for text in ["10s", "1.5s", "250ms", "1m30s", "2h", "0s", "1h0m5s"] {
            let printed = Duration::parse(text).unwrap().to_string();
            let expected = if text == "1h0m5s" { "1h5s" } else { text };
            assert_eq!(printed, expected);
        }
    }

    #[test]
    fn suggestions_catch_case_and_typos() {
        let known = ["resolution", "endpoints", "exportTo"];
        assert_eq!(suggest("resolutoin", &known), Some("resolution"));
        assert_eq!(suggest("exportto", &known), Some("exportTo"));
        assert_eq!(suggest("zzz", &known), None);
    }
}
