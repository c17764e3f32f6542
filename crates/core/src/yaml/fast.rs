//! A byte-level reader for the block-style YAML that Kubernetes tooling writes.
//!
//! `saphyr-parser` handles all of YAML 1.2 and costs about 270 instructions per byte; most
//! configuration files use a small, regular part of the language. This reader accepts only that
//! part and builds exactly the [`Document`]s the saphyr path builds from it: the same trees, the
//! same byte spans (including saphyr's quirks, listed below), the same scalar text and `plain`
//! flags. On anything else it gives up ([`Bail`]) and the caller hands the text to saphyr; giving
//! up is always allowed, guessing never is. `yaml/tests/differential.rs` holds the proof.
//!
//! # The subset
//!
//! - The text is UTF-8 without tabs, carriage returns, other C0 controls, DEL or byte order marks.
//!   Non-ASCII characters are read inside comments and scalars only.
//! - `---` at column 0, alone on its line or followed by spaces and a comment, separates documents;
//!   the stream may open with one. `...`, directives and content after `---` are refused.
//! - Block mappings of single-line `key: value` entries and block sequences of `- item` entries,
//!   each level at one column; nested blocks are more indented than their parent, except a
//!   sequence under a mapping key, which may sit at the key's column (as kubectl prints it).
//!   `- key: value` opens a mapping inside a sequence item.
//! - Keys are plain or quoted scalars on one line, shorter than 1000 bytes, unique in their mapping.
//! - Values are plain scalars on one line, quoted scalars on one line (double quotes without `\`,
//!   single quotes without `''`), flow sequences and mappings on one line (`[a, "b"]`, `{k: v}`,
//!   `{"k":"v"}`, `[]`, `{}`, nested; no trailing commas, no empty values, no `? `, no pairs in
//!   sequences), or nothing (`key:`), which is null unless a more indented block follows.
//! - Whole-line comments anywhere, trailing comments after a space, blank lines.
//! - At most `MAX_DEPTH / 2` levels of nesting, well inside the saphyr path's own limit.
//!
//! Refused, among others: anchors, aliases, tags, block scalars (`|`, `>`), multi-line scalars and
//! flow collections, complex keys, empty keys, empty sequence items (`-` alone), `- - x`, scalars
//! starting with an indicator (`&*!|>%@`, backtick, `?`, `:`, `-` before a space, `[]{},#`), plain
//! values containing `: `, a root that is a scalar, and indentation that is not one of the open
//! levels.
//!
//! # Spans as saphyr makes them
//!
//! - A mapping spans from its first key to the end of its last value; a sequence from its first
//!   `-` (from its first item's content when it sits at its parent key's column) to the end of its
//!   last item. A flow collection spans from its bracket to the end of its last item; an empty one
//!   to the end of its closing bracket's token.
//! - A missing value is an empty plain scalar at the offset of its key's `:`.
//! - A quoted scalar's token, like a closing bracket's, runs over the spaces after it and over a
//!   comment that follows them on its line.
//! - A document starts at its `---`, or at its root when it has none, and ends where its root ends;
//!   an empty document ends where the next `---` ends, or at the end of the text.
//!
//! Every loop advances through the text or pops a bounded stack, so the reader is linear in the
//! length of any input; nesting is bounded, so its recursion (flow collections only) is too.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Document, Entry, MAX_DEPTH, Node, NodeKind, Scalar};
use crate::text::Span;

/// The text uses YAML outside the subset; the saphyr path must read it.
#[derive(Debug)]
pub(super) struct Bail;

type Read<T> = Result<T, Bail>;

/// Deepest nesting read here; half the saphyr path's limit, so that its "too deep" error can never
/// concern a text this reader accepts.
const MAX_FAST_DEPTH: usize = MAX_DEPTH / 2;

/// Longest key read here. saphyr stops treating a scalar as a possible key once it lies 1024
/// characters behind the scanner; staying well below that keeps the question out of the subset.
const MAX_KEY_LEN: usize = 1000;

/// Maps with this many entries check for duplicate keys with a set rather than a scan.
const LINEAR_KEY_CHECK: usize = 16;

/// Reads `text` and hands each document to `on_document` as soon as it is complete.
///
/// Returns `Err(n)` when the text leaves the subset after `n` documents were handed over. Those
/// documents are exactly saphyr's first `n`: a document is complete only once its closing `---` or
/// the end of the text is read, and saphyr reads nothing past that point to build it.
pub(super) fn parse_each<'a>(
    text: &'a str,
    on_document: &mut impl FnMut(Document<'a>),
) -> Result<(), usize> {
    if !in_alphabet(text) {
        return Err(0);
    }
    let mut reader =
        Reader { text, bytes: text.as_bytes(), pos: 0, line_start: 0, stack: Vec::new() };
    let mut emitted = 0;
    match reader.stream(&mut |document| {
        on_document(document);
        emitted += 1;
    }) {
        Ok(()) => Ok(()),
        Err(Bail) => Err(emitted),
    }
}

/// Whether `text` avoids the characters whose treatment differs between YAML readers or depends
/// on context: tabs, carriage returns, other C0 controls, DEL and byte order marks.
fn in_alphabet(text: &str) -> bool {
    let bytes = text.as_bytes();
    // A branch-free test per byte, which the compiler vectorises.
    let controls = bytes
        .iter()
        .fold(false, |found, &byte| found | ((byte < 0x20 && byte != b'\n') | (byte == 0x7f)));
    if controls {
        return false;
    }
    text.is_ascii() || !text.contains('\u{FEFF}')
}

enum Block<'a> {
    Map(MapBlock<'a>),
    Seq(SeqBlock<'a>),
}

struct MapBlock<'a> {
    /// Column of the keys.
    col: usize,
    start: usize,
    entries: Vec<Entry<'a>>,
    /// A key whose value lies on the following lines, with the offset of its `:`.
    pending: Option<(Node<'a>, usize)>,
    /// Keys seen so far, once the mapping is too large for a linear duplicate check.
    seen: Option<HashSet<&'a str>>,
}

struct SeqBlock<'a> {
    /// Column of the `-` indicators.
    col: usize,
    start: usize,
    items: Vec<Node<'a>>,
    /// Whether the `-` sit at the column of the key that owns the sequence.
    indentless: bool,
}

impl<'a> MapBlock<'a> {
    fn new(col: usize, start: usize) -> Self {
        MapBlock { col, start, entries: Vec::new(), pending: None, seen: None }
    }

    /// Gives the pending key its empty value, as saphyr does when no block follows the key.
    fn resolve_empty(&mut self) {
        if let Some((key, colon)) = self.pending.take() {
            let value = Node {
                kind: NodeKind::Scalar(Scalar { text: Cow::Borrowed(""), plain: true }),
                span: Span::new(colon, colon),
            };
            self.entries.push(Entry { key, value });
        }
    }

    /// Refuses a key this mapping already has; saphyr's path reports duplicates.
    fn check_new_key(&mut self, key: &Node<'a>) -> Read<()> {
        check_new_key(&self.entries, &mut self.seen, key)
    }
}

fn check_new_key<'a>(
    entries: &[Entry<'a>],
    seen: &mut Option<HashSet<&'a str>>,
    key: &Node<'a>,
) -> Read<()> {
    let key = borrowed_text(key)?;
    if entries.len() < LINEAR_KEY_CHECK {
        for entry in entries {
            if borrowed_text(&entry.key)? == key {
                return Err(Bail);
            }
        }
        return Ok(());
    }
    let seen = match seen {
        Some(seen) => seen,
        None => {
            let mut set = HashSet::with_capacity(entries.len() * 2);
            for entry in entries {
                set.insert(borrowed_text(&entry.key)?);
            }
            seen.insert(set)
        }
    };
    if seen.insert(key) { Ok(()) } else { Err(Bail) }
}

/// The text of a scalar read here; they all borrow from the input.
fn borrowed_text<'a>(node: &Node<'a>) -> Read<&'a str> {
    match &node.kind {
        NodeKind::Scalar(Scalar { text: Cow::Borrowed(text), .. }) => Ok(text),
        _ => Err(Bail),
    }
}

impl<'a> Block<'a> {
    fn into_node(self) -> Read<Node<'a>> {
        match self {
            Block::Map(mut map) => {
                map.resolve_empty();
                let end = map.entries.last().ok_or(Bail)?.value.span.end as usize;
                Ok(Node { kind: NodeKind::Map(map.entries), span: Span::new(map.start, end) })
            }
            Block::Seq(seq) => {
                let end = seq.items.last().ok_or(Bail)?.span.end as usize;
                Ok(Node { kind: NodeKind::Seq(seq.items), span: Span::new(seq.start, end) })
            }
        }
    }
}

/// What the line being read does to the innermost open block.
enum Step {
    /// Opens a block below the pending key of the innermost mapping.
    Nest { indentless: bool },
    /// Gives the pending key of the innermost mapping an empty value.
    ResolveEmpty,
    /// Closes the innermost block.
    Pop,
    /// Adds an entry to the innermost mapping.
    MapEntry,
    /// Adds an item to the innermost sequence.
    SeqItem,
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Start of the next line to read.
    pos: usize,
    /// Start of the line being read, for columns.
    line_start: usize,
    /// Open block collections, outermost first.
    stack: Vec<Block<'a>>,
}

fn is_flow_indicator(byte: u8) -> bool {
    matches!(byte, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Reader<'a> {
    fn peek(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// A space, a line break or the end of the text at `at`.
    fn blank_or_end(&self, at: usize) -> bool {
        matches!(self.peek(at), None | Some(b' ' | b'\n'))
    }

    fn skip_spaces(&self, mut at: usize) -> usize {
        while self.peek(at) == Some(b' ') {
            at += 1;
        }
        at
    }

    /// The offset of the line break ending the line that holds `at`, or the end of the text.
    fn line_end(&self, at: usize) -> usize {
        self.bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&byte| byte == b'\n'))
            .map_or(self.bytes.len(), |offset| at + offset)
    }

    fn slice(&self, start: usize, end: usize) -> Read<&'a str> {
        self.text.get(start..end).ok_or(Bail)
    }

    fn plain_scalar(&self, start: usize, end: usize) -> Read<Node<'a>> {
        let text = self.slice(start, end)?;
        Ok(Node {
            kind: NodeKind::Scalar(Scalar { text: Cow::Borrowed(text), plain: true }),
            span: Span::new(start, end),
        })
    }

    /// Skips blank and comment lines. Returns the indentation and the offset of the first
    /// character of the next line with content, leaving `pos` at that line's start.
    fn next_content(&mut self) -> Option<(usize, usize)> {
        loop {
            let start = self.pos;
            let content = self.skip_spaces(start);
            match self.peek(content) {
                None => {
                    self.pos = self.bytes.len();
                    return None;
                }
                Some(b'\n') => self.pos = content + 1,
                Some(b'#') => self.pos = self.line_end(content) + 1,
                Some(_) => {
                    self.line_start = start;
                    return Some((content - start, content));
                }
            }
        }
    }

    /// Whether the line at `at` (column 0) starts with a document marker or something like one.
    fn at_marker(&self, at: usize) -> bool {
        let rest = self.bytes.get(at..).unwrap_or_default();
        rest.starts_with(b"---") || rest.starts_with(b"...")
    }

    /// Reads a `---` line at `at`, alone or with a comment, and moves to the next line.
    fn separator_line(&mut self, at: usize) -> Read<()> {
        let rest = self.bytes.get(at..).unwrap_or_default();
        if !rest.starts_with(b"---") {
            return Err(Bail);
        }
        let after = at + 3;
        let next = self.skip_spaces(after);
        match self.peek(next) {
            None | Some(b'\n') => {}
            Some(b'#') if next > after => {}
            _ => return Err(Bail),
        }
        self.pos = self.line_end(next) + 1;
        Ok(())
    }

    fn stream(&mut self, on_document: &mut impl FnMut(Document<'a>)) -> Read<()> {
        let mut explicit = match self.next_content() {
            None => return Ok(()),
            Some((0, at)) if self.at_marker(at) => {
                self.separator_line(at)?;
                Some(at)
            }
            Some(_) => None,
        };
        loop {
            let (document, separator) = self.document(explicit)?;
            on_document(document);
            match separator {
                Some(at) => explicit = Some(at),
                None => return Ok(()),
            }
        }
    }

    /// Reads one document, up to the next `---` (whose offset is returned) or the end of the text.
    fn document(&mut self, explicit: Option<usize>) -> Read<(Document<'a>, Option<usize>)> {
        self.stack.clear();
        let mut root = None;
        let separator = loop {
            let Some((indent, at)) = self.next_content() else { break None };
            if indent == 0 && self.at_marker(at) {
                self.separator_line(at)?;
                break Some(at);
            }
            self.line(indent, at, &mut root)?;
        };
        while !self.stack.is_empty() {
            self.pop(&mut root)?;
        }
        let document = match root {
            Some(root) => {
                let start = explicit.unwrap_or(root.span.start as usize);
                Document { span: Span::new(start, root.span.end as usize), root: Some(root) }
            }
            None => {
                // Only an explicit document can be empty: an implicit one starts at content.
                let start = explicit.ok_or(Bail)?;
                let end = separator.map_or(self.bytes.len(), |at| at + 3);
                Document { root: None, span: Span::new(start, end) }
            }
        };
        Ok((document, separator))
    }

    /// Reads a line with content at `at`, indented by `indent`.
    fn line(&mut self, indent: usize, at: usize, root: &mut Option<Node<'a>>) -> Read<()> {
        let entry = self.peek(at) == Some(b'-') && self.blank_or_end(at + 1);
        loop {
            let step = match self.stack.last() {
                None => return self.root_line(indent, at, entry, root),
                Some(Block::Map(map)) if map.pending.is_some() => {
                    if indent > map.col {
                        Step::Nest { indentless: false }
                    } else if indent == map.col && entry {
                        Step::Nest { indentless: true }
                    } else {
                        Step::ResolveEmpty
                    }
                }
                Some(Block::Map(map)) => {
                    if indent == map.col && !entry {
                        Step::MapEntry
                    } else if indent < map.col {
                        Step::Pop
                    } else {
                        return Err(Bail);
                    }
                }
                Some(Block::Seq(seq)) => {
                    if indent == seq.col && entry {
                        Step::SeqItem
                    } else if indent < seq.col || (seq.indentless && indent == seq.col) {
                        Step::Pop
                    } else {
                        return Err(Bail);
                    }
                }
            };
            match step {
                Step::Nest { indentless } => return self.open_block(indent, at, entry, indentless),
                Step::ResolveEmpty => {
                    if let Some(Block::Map(map)) = self.stack.last_mut() {
                        map.resolve_empty();
                    }
                }
                Step::Pop => self.pop(root)?,
                Step::MapEntry => return self.map_entry(at),
                Step::SeqItem => return self.seq_item(at),
            }
        }
    }

    /// Reads the first line of a document's root.
    fn root_line(
        &mut self,
        indent: usize,
        at: usize,
        entry: bool,
        root: &mut Option<Node<'a>>,
    ) -> Read<()> {
        if root.is_some() {
            // Content below a root that has ended, less indented than it.
            return Err(Bail);
        }
        if matches!(self.peek(at), Some(b'[' | b'{')) {
            let (node, after) = self.flow_collection(at, 1)?;
            self.end_of_line(after)?;
            *root = Some(node);
            return Ok(());
        }
        self.open_block(indent, at, entry, false)
    }

    /// Opens a block collection whose first line has content at `at`, and reads that line.
    fn open_block(&mut self, indent: usize, at: usize, entry: bool, indentless: bool) -> Read<()> {
        if self.stack.len() >= MAX_FAST_DEPTH {
            return Err(Bail);
        }
        if entry {
            // saphyr starts a sequence at its first `-`, or, at its key's column, at the content
            // of its first item.
            let start = if indentless { self.skip_spaces(at + 1) } else { at };
            self.stack.push(Block::Seq(SeqBlock {
                col: indent,
                start,
                items: Vec::new(),
                indentless,
            }));
            self.seq_item(at)
        } else {
            self.stack.push(Block::Map(MapBlock::new(indent, at)));
            self.map_entry(at)
        }
    }

    /// Closes the innermost block and hands its node to the block around it.
    fn pop(&mut self, root: &mut Option<Node<'a>>) -> Read<()> {
        let node = self.stack.pop().ok_or(Bail)?.into_node()?;
        match self.stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(Bail);
                }
                *root = Some(node);
            }
            Some(Block::Map(map)) => {
                let (key, _) = map.pending.take().ok_or(Bail)?;
                map.entries.push(Entry { key, value: node });
            }
            Some(Block::Seq(seq)) => seq.items.push(node),
        }
        Ok(())
    }

    /// Reads `key: ...` at `at` into the innermost mapping.
    fn map_entry(&mut self, at: usize) -> Read<()> {
        let (key, colon) = match self.peek(at) {
            Some(b'"' | b'\'') => {
                let (key, after) = self.quoted(at)?;
                (key, after)
            }
            _ => {
                self.plain_start(at, false)?;
                let (end, next) = self.plain_block(at);
                (self.plain_scalar(at, end)?, next)
            }
        };
        if !self.is_value_indicator(colon) || colon - at > MAX_KEY_LEN {
            return Err(Bail);
        }
        self.entry_after_key(key, colon)
    }

    /// A `:` followed by a space, a line break or the end of the text.
    fn is_value_indicator(&self, at: usize) -> bool {
        self.peek(at) == Some(b':') && self.blank_or_end(at + 1)
    }

    /// Reads what follows the `:` at `colon` of `key`, a key of the innermost mapping.
    fn entry_after_key(&mut self, key: Node<'a>, colon: usize) -> Read<()> {
        let at = self.skip_spaces(colon + 1);
        let nothing_follows = matches!(self.peek(at), None | Some(b'\n' | b'#'));
        let Some(Block::Map(map)) = self.stack.last_mut() else { return Err(Bail) };
        map.check_new_key(&key)?;
        if nothing_follows {
            // Nothing follows on this line (a `#` here comes after a space: a comment).
            map.pending = Some((key, colon));
            self.pos = self.line_end(at) + 1;
            return Ok(());
        }
        let (value, after) = self.block_value(at)?;
        self.end_of_line(after)?;
        let Some(Block::Map(map)) = self.stack.last_mut() else { return Err(Bail) };
        map.entries.push(Entry { key, value });
        Ok(())
    }

    /// Reads `- ...` at `at` into the innermost sequence.
    fn seq_item(&mut self, at: usize) -> Read<()> {
        let content = self.skip_spaces(at + 1);
        match self.peek(content) {
            None | Some(b'\n' | b'#') => return Err(Bail),
            Some(b'-') if self.blank_or_end(content + 1) => return Err(Bail),
            _ => {}
        }
        let (node, after) = match self.peek(content) {
            Some(b'[' | b'{') => self.flow_collection(content, self.stack.len() + 1)?,
            Some(b'"' | b'\'') => self.quoted(content)?,
            _ => {
                self.plain_start(content, false)?;
                let (end, next) = self.plain_block(content);
                (self.plain_scalar(content, end)?, next)
            }
        };
        if self.peek(after) == Some(b':') && node.as_scalar().is_some() {
            // `- key: value`: a mapping starts inside the item.
            if !self.is_value_indicator(after) || after - content > MAX_KEY_LEN {
                return Err(Bail);
            }
            if self.stack.len() >= MAX_FAST_DEPTH {
                return Err(Bail);
            }
            let col = content - self.line_start;
            self.stack.push(Block::Map(MapBlock::new(col, content)));
            return self.entry_after_key(node, after);
        }
        self.end_of_line(after)?;
        let Some(Block::Seq(seq)) = self.stack.last_mut() else { return Err(Bail) };
        seq.items.push(node);
        Ok(())
    }

    /// Reads a value that starts at `at` on the line of its key or `-`. Returns it and the offset
    /// after it (for quoted scalars and flow collections, after their trailing spaces and comment).
    fn block_value(&self, at: usize) -> Read<(Node<'a>, usize)> {
        match self.peek(at) {
            Some(b'[' | b'{') => self.flow_collection(at, self.stack.len() + 1),
            Some(b'"' | b'\'') => self.quoted(at),
            _ => {
                self.plain_start(at, false)?;
                let (end, next) = self.plain_block(at);
                Ok((self.plain_scalar(at, end)?, next))
            }
        }
    }

    /// Checks that the rest of the line from `at` is empty or a comment, and moves to the next line.
    fn end_of_line(&mut self, at: usize) -> Read<()> {
        match self.peek(at) {
            None => self.pos = self.bytes.len(),
            Some(b'\n') => self.pos = at + 1,
            // A comment needs a space before it; plain scalars stop only at such a `#`.
            Some(b'#') if at > 0 && self.peek(at - 1) == Some(b' ') => {
                self.pos = self.line_end(at) + 1;
            }
            _ => return Err(Bail),
        }
        Ok(())
    }

    /// Refuses a plain scalar that would start at `at` with an indicator, or anything saphyr
    /// could read otherwise.
    fn plain_start(&self, at: usize, in_flow: bool) -> Read<()> {
        let Some(first) = self.peek(at) else { return Err(Bail) };
        match first {
            b'-' => {
                let next = self.peek(at + 1);
                if self.blank_or_end(at + 1) || (in_flow && next.is_some_and(is_flow_indicator)) {
                    return Err(Bail);
                }
                Ok(())
            }
            b'?' | b':' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@'
            | b'`' | b' ' | b'\n' => Err(Bail),
            byte if is_flow_indicator(byte) => Err(Bail),
            _ => Ok(()),
        }
    }

    /// Scans a plain scalar in block context starting at `at`. Returns the end of its text and the
    /// offset of what stopped it, past any spaces: a `:` indicator, a `#`, a line break or the end.
    fn plain_block(&self, at: usize) -> (usize, usize) {
        let bytes = self.bytes;
        let mut idx = at;
        loop {
            while let Some(&byte) = bytes.get(idx) {
                if byte == b' ' || byte == b'\n' {
                    break;
                }
                if byte == b':' && self.blank_or_end(idx + 1) {
                    return (idx, idx);
                }
                idx += 1;
            }
            let end = idx;
            let next = self.skip_spaces(idx);
            match self.peek(next) {
                None | Some(b'\n' | b'#') => return (end, next),
                Some(b':') if self.blank_or_end(next + 1) => return (end, next),
                _ => idx = next,
            }
        }
    }

    /// Scans a plain scalar inside a flow collection starting at `at`, like [`Self::plain_block`];
    /// flow indicators also stop it, and so does a `:` before one.
    fn plain_flow(&self, at: usize) -> Read<(usize, usize)> {
        let bytes = self.bytes;
        let stops_at_colon = |idx: usize| {
            matches!(bytes.get(idx + 1), None | Some(b' ' | b'\n'))
                || bytes.get(idx + 1).is_some_and(|&byte| is_flow_indicator(byte))
        };
        let mut idx = at;
        loop {
            while let Some(&byte) = bytes.get(idx) {
                if byte == b' ' || byte == b'\n' || is_flow_indicator(byte) {
                    break;
                }
                if byte == b':' && stops_at_colon(idx) {
                    return Ok((idx, idx));
                }
                idx += 1;
            }
            let end = idx;
            let next = self.skip_spaces(idx);
            match self.peek(next) {
                None | Some(b'\n' | b'#') => return Ok((end, next)),
                _ if next == idx => return Ok((end, next)),
                Some(byte) if is_flow_indicator(byte) => return Ok((end, next)),
                Some(b':') if stops_at_colon(next) => return Ok((end, next)),
                // saphyr refuses a word starting with `-` and a flow indicator inside a flow.
                Some(b'-') if self.peek(next + 1).is_some_and(is_flow_indicator) => {
                    return Err(Bail);
                }
                _ => idx = next,
            }
        }
    }

    /// Reads a quoted scalar at `at` that ends on its line and holds no escapes. Returns it and
    /// the offset after its trailing spaces and comment, which saphyr includes in its span.
    fn quoted(&self, at: usize) -> Read<(Node<'a>, usize)> {
        let quote = self.peek(at).ok_or(Bail)?;
        let mut idx = at + 1;
        loop {
            match self.peek(idx) {
                None | Some(b'\n') => return Err(Bail),
                Some(b'\\') if quote == b'"' => return Err(Bail),
                Some(byte) if byte == quote => {
                    if quote == b'\'' && self.peek(idx + 1) == Some(b'\'') {
                        return Err(Bail);
                    }
                    break;
                }
                Some(_) => idx += 1,
            }
        }
        let text = self.slice(at + 1, idx)?;
        let after = self.skip_token_trailer(idx + 1)?;
        let node = Node {
            kind: NodeKind::Scalar(Scalar { text: Cow::Borrowed(text), plain: false }),
            span: Span::new(at, after),
        };
        Ok((node, after))
    }

    /// Skips the spaces after a quoted scalar or a closing bracket at `at`, and a comment after
    /// them, as saphyr's scanner does before it ends those tokens.
    fn skip_token_trailer(&self, at: usize) -> Read<usize> {
        let next = self.skip_spaces(at);
        match self.peek(next) {
            Some(b'#') if next == at => Err(Bail),
            Some(b'#') => Ok(self.line_end(next)),
            _ => Ok(next),
        }
    }

    /// Reads a flow collection on one line at `at`, nested `depth` collections deep. Returns it and
    /// the offset after its closing bracket's trailing spaces and comment.
    fn flow_collection(&self, at: usize, depth: usize) -> Read<(Node<'a>, usize)> {
        if depth > MAX_FAST_DEPTH {
            return Err(Bail);
        }
        let sequence = match self.peek(at) {
            Some(b'[') => true,
            Some(b'{') => false,
            _ => return Err(Bail),
        };
        let close = if sequence { b']' } else { b'}' };
        let mut idx = self.skip_spaces(at + 1);
        let mut items = Vec::new();
        let mut entries: Vec<Entry<'a>> = Vec::new();
        let mut seen = None;
        if self.peek(idx) == Some(close) {
            let after = self.skip_token_trailer(idx + 1)?;
            let kind = if sequence { NodeKind::Seq(items) } else { NodeKind::Map(entries) };
            return Ok((Node { kind, span: Span::new(at, after) }, after));
        }
        loop {
            if sequence {
                let (item, after) = self.flow_node(idx, depth)?;
                items.push(item);
                idx = after;
            } else {
                let (key, value, after) = self.flow_entry(idx, depth)?;
                check_new_key(&entries, &mut seen, &key)?;
                entries.push(Entry { key, value });
                idx = after;
            }
            idx = self.skip_spaces(idx);
            match self.peek(idx) {
                Some(b',') => {
                    idx = self.skip_spaces(idx + 1);
                    if self.peek(idx) == Some(close) {
                        // A trailing comma.
                        return Err(Bail);
                    }
                }
                Some(byte) if byte == close => break,
                _ => return Err(Bail),
            }
        }
        let after = self.skip_token_trailer(idx + 1)?;
        let (kind, end) = if sequence {
            let end = items.last().ok_or(Bail)?.span.end;
            (NodeKind::Seq(items), end)
        } else {
            let end = entries.last().ok_or(Bail)?.value.span.end;
            (NodeKind::Map(entries), end)
        };
        Ok((Node { kind, span: Span::new(at, end as usize) }, after))
    }

    /// Reads `key: value` inside a flow mapping at `at`.
    fn flow_entry(&self, at: usize, depth: usize) -> Read<(Node<'a>, Node<'a>, usize)> {
        let (key, colon, quoted) = match self.peek(at) {
            Some(b'"' | b'\'') => {
                let (key, after) = self.quoted(at)?;
                (key, after, true)
            }
            _ => {
                self.plain_start(at, true)?;
                let (end, next) = self.plain_flow(at)?;
                (self.plain_scalar(at, end)?, next, false)
            }
        };
        if self.peek(colon) != Some(b':') {
            return Err(Bail);
        }
        match self.peek(colon + 1) {
            Some(b' ') => {}
            // After a quoted key, JSON style, the value may follow the `:` directly.
            Some(byte) if quoted && !matches!(byte, b'\n' | b',' | b']' | b'}') => {}
            _ => return Err(Bail),
        }
        let value_at = self.skip_spaces(colon + 1);
        if matches!(self.peek(value_at), None | Some(b'\n' | b'#' | b',' | b']' | b'}')) {
            return Err(Bail);
        }
        let (value, after) = self.flow_node(value_at, depth)?;
        Ok((key, value, after))
    }

    /// Reads a node inside a flow collection nested `depth` deep. Returns it and the offset of
    /// what follows it.
    fn flow_node(&self, at: usize, depth: usize) -> Read<(Node<'a>, usize)> {
        match self.peek(at) {
            Some(b'[' | b'{') => self.flow_collection(at, depth + 1),
            Some(b'"' | b'\'') => self.quoted(at),
            _ => {
                self.plain_start(at, true)?;
                let (end, next) = self.plain_flow(at)?;
                Ok((self.plain_scalar(at, end)?, next))
            }
        }
    }
}
