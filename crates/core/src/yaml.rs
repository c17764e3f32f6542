//! A YAML (and therefore JSON) tree that keeps the byte span of every node.
//!
//! `saphyr-parser` produces events with character positions; this module assembles them into
//! [`Node`]s with byte spans, iteratively so that nesting depth can never exhaust the stack, and
//! with hard limits on depth and alias expansion so that hostile input is answered in bounded
//! time and memory. Documents completed before a syntax error are kept.
//!
//! Most configuration is plain block YAML, which `fast` reads into the very same documents with a
//! sixth of saphyr's instructions; any text it does not fully understand goes to saphyr.

use std::borrow::Cow;
use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::text::{CharToByte, Span};

mod fast;

/// Deepest nesting accepted. Istio resources nest about a dozen levels; Kubernetes tooling
/// itself refuses far less than the thousands a hostile file can hold.
pub const MAX_DEPTH: usize = 128;

/// Nodes that alias expansion may add to one text beyond the nodes written out in it.
/// This defuses "billion laughs" while leaving ordinary anchors and aliases usable.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A node of the tree. Scalars borrow from the input text where the scanner allows, which
/// spares one allocation per value on the hot path of large inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    pub kind: NodeKind<'a>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind<'a> {
    Scalar(Scalar<'a>),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry<'a> {
    pub key: Node<'a>,
    pub value: Node<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar<'a> {
    pub text: Cow<'a, str>,
    /// Quoted and block scalars are always strings; only plain ones are resolved by the schema.
    pub plain: bool,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarValue<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
}

impl Scalar<'_> {
    pub fn value(&self) -> ScalarValue<'_> {
        if !self.plain {
            return ScalarValue::Str(&self.text);
        }
        resolve_plain(&self.text)
    }
}

fn resolve_plain(text: &str) -> ScalarValue<'_> {
    // Most scalars are names and hosts: a first letter outside n/t/f rules out null, booleans
    // and numbers, so skip the schema checks for them.
    if let Some(first) = text.bytes().next() {
        if first.is_ascii_alphabetic() && !matches!(first, b'n' | b'N' | b't' | b'T' | b'f' | b'F')
        {
            return ScalarValue::Str(text);
        }
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarValue::Null,
        "true" | "True" | "TRUE" => return ScalarValue::Bool(true),
        "false" | "False" | "FALSE" => return ScalarValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return ScalarValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return ScalarValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return ScalarValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = parse_core_int(text) {
        return int;
    }
    if is_core_float(text) {
        if let Ok(float) = text.parse::<f64>() {
            return ScalarValue::Float(float);
        }
    }
    ScalarValue::Str(text)
}

fn parse_core_int(text: &str) -> Option<ScalarValue<'_>> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(oct) = text.strip_prefix("0o") {
        (oct, 8)
    } else {
        (text, 10)
    };
    let unsigned =
        if radix == 10 { digits.strip_prefix(['-', '+']).unwrap_or(digits) } else { digits };
    if unsigned.is_empty() || !unsigned.chars().all(|ch| ch.is_digit(radix)) {
        return None;
    }
    // An integer too large even for i128 is still an integer; saturate so that range checks
    // downstream report it as out of range rather than as "not a number".
    let saturated = if digits.starts_with('-') { i128::MIN } else { i128::MAX };
    Some(ScalarValue::Int(i128::from_str_radix(digits, radix).unwrap_or(saturated)))
}

fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(idx) => (&body[..idx], Some(&body[idx + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(idx) => (&mantissa[..idx], Some(&mantissa[idx + 1..])),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(frac) => {
            all_digits(int_part) && all_digits(frac) && !(int_part.is_empty() && frac.is_empty())
        }
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|exp| {
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        !exp.is_empty() && all_digits(exp)
    });
    mantissa_ok && exponent_ok
}

impl<'a> Node<'a> {
    pub fn as_map(&self) -> Option<&[Entry<'a>]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node<'a>]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar<'a>> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The string value of a scalar that is a string under the core schema.
    pub fn as_str(&self) -> Option<&str> {
        match self.as_scalar()?.value() {
            ScalarValue::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.as_scalar().map(Scalar::value), Some(ScalarValue::Null))
    }

    /// The value stored under `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_map()?
            .iter()
            .find(|entry| entry.key.as_scalar().is_some_and(|k| &*k.text == key))
            .map(|entry| &entry.value)
    }

    /// A short description of the node's shape for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Map(_) => "a mapping",
            NodeKind::Seq(_) => "a list",
            NodeKind::Scalar(scalar) => match scalar.value() {
                ScalarValue::Null => "null",
                ScalarValue::Bool(_) => "a boolean",
                ScalarValue::Int(_) => "an integer",
                ScalarValue::Float(_) => "a number",
                ScalarValue::Str(_) => "a string",
            },
        }
    }

    fn count_nodes(&self, limit: usize) -> usize {
        // Iterative so that counting a deep tree cannot overflow the stack; stops at `limit`.
        let mut count = 0;
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            count += 1;
            if count > limit {
                return count;
            }
            match &node.kind {
                NodeKind::Scalar(_) => {}
                NodeKind::Seq(items) => pending.extend(items),
                NodeKind::Map(entries) => {
                    for entry in entries {
                        pending.push(&entry.key);
                        pending.push(&entry.value);
                    }
                }
            }
        }
        count
    }
}

/// One YAML document of a stream. `root` is `None` for an empty document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document<'a> {
    pub root: Option<Node<'a>>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    TooDeep,
    AliasBomb,
    UnknownAlias,
    DuplicateKey,
    ComplexKey,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub span: Span,
    pub message: String,
}

enum Frame<'a> {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node<'a>>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry<'a>>,
        key: Option<Node<'a>>,
        seen: Option<HashSet<Cow<'a, str>>>,
    },
}

/// Parses every document of `text`. Errors never discard documents that were already complete.
pub fn parse(text: &str) -> (Vec<Document<'_>>, Vec<YamlError>) {
    let mut documents = Vec::new();
    let errors = parse_each(text, |document| documents.push(document));
    (documents, errors)
}

/// Parses `text` and hands each document to `on_document` as soon as it is complete.
///
/// Callers that decode as they go keep one document's tree in memory at a time instead of the
/// whole input's, which keeps large inputs in cache; for a 5 MB file it halves the time.
///
/// The fast reader goes first. If it meets YAML outside its subset after handing over some
/// documents, saphyr parses the whole text again and its first documents, which are those same
/// documents, are dropped instead of handed over twice; the caller sees saphyr's documents and
/// errors either way, in order.
pub fn parse_each<'a>(text: &'a str, mut on_document: impl FnMut(Document<'a>)) -> Vec<YamlError> {
    match fast::parse_each(text, &mut on_document) {
        Ok(()) => Vec::new(),
        Err(emitted) => parse_each_saphyr(text, emitted, on_document),
    }
}

/// Test support: the documents the fast reader hands over for `text`, and whether it read the
/// whole text (rather than giving up after those documents).
pub(crate) fn parse_fast(text: &str) -> (Vec<Document<'_>>, bool) {
    let mut documents = Vec::new();
    let complete = fast::parse_each(text, &mut |document| documents.push(document)).is_ok();
    (documents, complete)
}

/// Test support: what the saphyr path alone makes of `text`.
pub(crate) fn parse_saphyr(text: &str) -> (Vec<Document<'_>>, Vec<YamlError>) {
    let mut documents = Vec::new();
    let errors = parse_each_saphyr(text, 0, |document| documents.push(document));
    (documents, errors)
}

/// Test support for the unit tests and the fuzz target, not an API: checks that [`parse`] gives
/// exactly what saphyr alone gives for `text`. Returns whether the fast reader read all of it,
/// or a description of the first disagreement.
#[doc(hidden)]
pub fn check_fast_path(text: &str) -> Result<bool, String> {
    let (fast_documents, complete) = parse_fast(text);
    let (saphyr_documents, saphyr_errors) = parse_saphyr(text);
    if complete && !saphyr_errors.is_empty() {
        return Err(format!("the fast reader accepted a text saphyr rejects: {saphyr_errors:?}"));
    }
    if complete && fast_documents.len() != saphyr_documents.len() {
        return Err(format!(
            "the fast reader read {} documents, saphyr {}",
            fast_documents.len(),
            saphyr_documents.len()
        ));
    }
    // When the fast reader gives up, the documents it handed over must be saphyr's first ones.
    for (index, fast_document) in fast_documents.iter().enumerate() {
        match saphyr_documents.get(index) {
            Some(saphyr_document) if saphyr_document == fast_document => {}
            other => {
                return Err(format!(
                    "document {index} differs:\nfast:   {fast_document:?}\nsaphyr: {other:?}"
                ));
            }
        }
    }
    let hybrid = parse(text);
    if hybrid != (saphyr_documents, saphyr_errors) {
        return Err("parse() and the saphyr path disagree".to_string());
    }
    Ok(complete)
}

/// Parses `text` with saphyr, dropping the first `skip` documents (already handed over by the
/// fast reader) and handing over the rest.
fn parse_each_saphyr<'a>(
    text: &'a str,
    mut skip: usize,
    mut on_document: impl FnMut(Document<'a>),
) -> Vec<YamlError> {
    let mut builder = Builder {
        text,
        conv: CharToByte::new(text),
        documents: Vec::new(),
        errors: Vec::new(),
        stack: Vec::new(),
        anchors: Vec::new(),
        alias_budget: MAX_ALIAS_NODES,
        root: None,
        doc_start: 0,
        skipping: false,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => {
                let start = builder.conv.byte_offset(span.start.index());
                let end = builder.conv.byte_offset(span.end.index());
                let stop = builder.on_event(event, start, end);
                for document in builder.documents.drain(..) {
                    if skip > 0 {
                        skip -= 1;
                    } else {
                        on_document(document);
                    }
                }
                if stop {
                    break;
                }
            }
            Some(Err(error)) => {
                builder.syntax_error(&error);
                break;
            }
        }
    }
    builder.errors
}

struct Builder<'a> {
    text: &'a str,
    conv: CharToByte<'a>,
    documents: Vec<Document<'a>>,
    errors: Vec<YamlError>,
    stack: Vec<Frame<'a>>,
    anchors: Vec<Option<Node<'a>>>,
    alias_budget: usize,
    root: Option<Node<'a>>,
    doc_start: usize,
    /// Set after a structural limit was hit: the rest of the document is dropped, not built.
    skipping: bool,
}

impl<'a> Builder<'a> {
    /// Returns true when parsing must stop.
    fn on_event(&mut self, event: Event<'a>, start: usize, end: usize) -> bool {
        match event {
            Event::Nothing | Event::StreamStart => {}
            Event::StreamEnd => return true,
            Event::DocumentStart(_) => {
                self.doc_start = start;
                self.stack.clear();
                self.anchors.clear();
                self.root = None;
                self.skipping = false;
            }
            Event::DocumentEnd => {
                let root = if self.skipping { None } else { self.root.take() };
                let root = root.filter(|node| !node.is_null());
                let doc_end =
                    root.as_ref().map_or(end.max(self.doc_start), |node| node.span.end as usize);
                if !self.skipping || root.is_some() {
                    self.documents
                        .push(Document { root, span: Span::new(self.doc_start, doc_end) });
                }
                self.stack.clear();
            }
            _ if self.skipping => {}
            Event::Scalar(value, style, anchor, tag) => {
                // An explicit `!!str` tag makes a plain scalar a string, as YAML requires.
                let tagged_str = tag
                    .as_ref()
                    .is_some_and(|tag| tag.is_yaml_core_schema() && tag.suffix == "str");
                let plain = matches!(style, ScalarStyle::Plain) && !tagged_str;
                let node = Node {
                    kind: NodeKind::Scalar(Scalar { text: value, plain }),
                    span: Span::new(start, end),
                };
                self.remember_anchor(anchor, &node);
                self.push_node(node);
            }
            Event::Alias(anchor) => self.on_alias(anchor, start, end),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.errors.push(YamlError {
                        kind: YamlErrorKind::TooDeep,
                        span: Span::new(start, end),
                        message: format!("nesting deeper than {MAX_DEPTH} levels; the rest of this document is ignored"),
                    });
                    self.skipping = true;
                    self.stack.clear();
                    return false;
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { start, anchor, items: Vec::new() }
                } else {
                    Frame::Map { start, anchor, entries: Vec::new(), key: None, seen: None }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else { return false };
                let (node, anchor) = match frame {
                    Frame::Seq { start: seq_start, anchor, items } => {
                        let node_end = items.last().map_or(end, |last| last.span.end as usize);
                        (
                            Node {
                                kind: NodeKind::Seq(items),
                                span: Span::new(seq_start, node_end),
                            },
                            anchor,
                        )
                    }
                    Frame::Map { start: map_start, anchor, entries, .. } => {
                        let node_end =
                            entries.last().map_or(end, |last| last.value.span.end as usize);
                        (
                            Node {
                                kind: NodeKind::Map(entries),
                                span: Span::new(map_start, node_end),
                            },
                            anchor,
                        )
                    }
                };
                self.remember_anchor(anchor, &node);
                self.push_node(node);
            }
        }
        false
    }

    fn on_alias(&mut self, anchor: usize, start: usize, end: usize) {
        let target = self.anchors.get(anchor).and_then(Option::as_ref);
        let Some(target) = target else {
            self.errors.push(YamlError {
                kind: YamlErrorKind::UnknownAlias,
                span: Span::new(start, end),
                message: "alias refers to an anchor that is not defined before it".into(),
            });
            self.skipping = true;
            return;
        };
        let cost = target.count_nodes(self.alias_budget);
        if cost > self.alias_budget {
            self.errors.push(YamlError {
                kind: YamlErrorKind::AliasBomb,
                span: Span::new(start, end),
                message: format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} nodes (a \"billion laughs\" document?); the rest of this document is ignored"
                ),
            });
            self.skipping = true;
            self.stack.clear();
            return;
        }
        self.alias_budget -= cost;
        let mut node = target.clone();
        // Findings about an aliased value point at the alias, where the reader sees it used.
        node.span = Span::new(start, end);
        self.push_node(node);
    }

    fn remember_anchor(&mut self, anchor: usize, node: &Node<'a>) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some(node.clone());
    }

    fn push_node(&mut self, node: Node<'a>) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, seen, .. }) => match key.take() {
                None => {
                    if node.as_scalar().is_none() {
                        self.errors.push(YamlError {
                            kind: YamlErrorKind::ComplexKey,
                            span: node.span,
                            message: "mapping keys must be plain strings, not lists or mappings"
                                .into(),
                        });
                    }
                    *key = Some(node);
                }
                Some(key_node) => {
                    let text: Cow<'a, str> = key_node
                        .as_scalar()
                        .map_or(Cow::Borrowed(""), |scalar| scalar.text.clone());
                    let duplicate = if entries.len() < 16 {
                        entries
                            .iter()
                            .any(|entry| entry.key.as_scalar().is_some_and(|k| k.text == text))
                    } else {
                        let seen = seen.get_or_insert_with(|| {
                            entries
                                .iter()
                                .filter_map(|entry| entry.key.as_scalar().map(|k| k.text.clone()))
                                .collect()
                        });
                        !seen.insert(text.clone())
                    };
                    if duplicate {
                        self.errors.push(YamlError {
                            kind: YamlErrorKind::DuplicateKey,
                            span: key_node.span,
                            message: format!("duplicate key `{text}`; Kubernetes rejects the document, and meshroute keeps the first value"),
                        });
                    } else if key_node.as_scalar().is_some() {
                        entries.push(Entry { key: key_node, value: node });
                    }
                }
            },
        }
    }

    fn syntax_error(&mut self, error: &ScanError) {
        let mut offset = self.conv.byte_offset(error.marker().index());
        if mentions_tab(error.info()) {
            // The scanner notices a tab at the end of the scalar before it, often a line above;
            // point at the tab itself, searching this line and the next.
            let line_start = self.text[..offset].rfind('\n').map_or(0, |idx| idx + 1);
            let window_end = self.text[offset..]
                .match_indices('\n')
                .nth(1)
                .map_or(self.text.len(), |(idx, _)| offset + idx);
            if let Some(tab) = self.text[line_start..window_end].find('\t') {
                offset = line_start + tab;
            }
        }
        // The scanner reports aliases to undefined anchors as a syntax error; name it for what it is.
        let kind = if error.info().contains("unknown anchor") {
            YamlErrorKind::UnknownAlias
        } else {
            YamlErrorKind::Syntax
        };
        self.errors.push(YamlError {
            kind,
            span: Span::new(offset, offset),
            message: syntax_message(error.info()),
        });
    }
}

/// Whether a scanner message is about a tab character (and not, say, an "unprintable" one).
fn mentions_tab(info: &str) -> bool {
    info.split(|ch: char| !ch.is_ascii_alphabetic()).any(|word| word == "tab" || word == "tabs")
}

/// The first character YAML forbids anywhere in a stream: C0 controls other than tab, line feed
/// and carriage return, and DEL. The scanner lets most of them through; Kubernetes does not.
pub fn first_forbidden_char(text: &str) -> Option<(usize, char)> {
    // These are all ASCII, and ASCII bytes never occur inside a multi-byte UTF-8 sequence, so a
    // byte scan finds them without decoding characters.
    text.bytes()
        .position(|byte| (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r')) || byte == 0x7f)
        .map(|offset| (offset, text.as_bytes()[offset] as char))
}

/// Rewords the scanner's messages where a platform engineer would otherwise be left guessing.
fn syntax_message(info: &str) -> String {
    if mentions_tab(info) {
        format!("{info}: YAML indentation must use spaces, never tabs")
    } else if info.contains("unknown anchor") {
        "alias refers to an anchor that is not defined earlier in this document; anchors do not carry over `---`".to_string()
    } else {
        info.to_string()
    }
}

#[cfg(test)]
mod tests;
