//! Parses an RE2 pattern (one [`super::check`] accepted) into the tree the program is built from.
//!
//! Character-level meaning follows Go's `regexp/syntax` with Perl flags, which is also RE2's:
//! flags `i`, `m`, `s` and `U` hold to the end of their group; `\d`, `\s`, `\w`, `\b` and the
//! POSIX classes are ASCII; under `(?i)` every set, Perl and Unicode classes included, gains its
//! simple case variants before a class is negated; `.` stops at `\n` unless `(?s)`, while a
//! negated class does match `\n`. Captures and greediness do not change whether a value matches
//! as a whole, so the tree keeps neither.

use super::check::{parse_class_char, parse_repeat};
use super::unicode::{self, MAX, Range};

/// A parsed pattern.
#[derive(Debug)]
pub(super) enum Node {
    /// Matches the empty string.
    Empty,
    /// One code point from the set (sorted, merged ranges).
    Set(Vec<Range>),
    Look(Look),
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    /// `min` to `max` (unbounded when `None`) copies.
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

/// An empty-width assertion about the code points on either side of a position.
#[derive(Clone, Copy, Debug)]
pub(super) enum Look {
    StartText,
    EndText,
    StartLine,
    EndLine,
    WordBoundary,
    NotWordBoundary,
}

/// Groups nested deeper than this are refused rather than risking the stack.
const MAX_DEPTH: u32 = 200;

#[derive(Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
}

/// Parses `pattern`; `Err` names what could not be read.
pub(super) fn parse(pattern: &str) -> Result<Node, &'static str> {
    let mut parser = Parser { rest: pattern, depth: 0 };
    let node = parser.alternation(Flags::default())?;
    if parser.rest.is_empty() { Ok(node) } else { Err("unexpected )") }
}

struct Parser<'p> {
    rest: &'p str,
    depth: u32,
}

impl<'p> Parser<'p> {
    fn bump(&mut self, bytes: usize) {
        self.rest = &self.rest[bytes..];
    }

    /// Branches separated by `|`, up to the `)` that ends the group or the end of the pattern.
    fn alternation(&mut self, mut flags: Flags) -> Result<Node, &'static str> {
        let mut branches = vec![self.concat(&mut flags)?];
        while self.rest.starts_with('|') {
            self.bump(1);
            branches.push(self.concat(&mut flags)?);
        }
        Ok(if branches.len() == 1 { branches.remove(0) } else { Node::Alternate(branches) })
    }

    /// A sequence of items with their repetitions. `flags` is the group's: a `(?i)` here
    /// changes the rest of the group, later branches included.
    fn concat(&mut self, flags: &mut Flags) -> Result<Node, &'static str> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(ch) = self.rest.chars().next() {
            match ch {
                '|' | ')' => break,
                '*' | '+' | '?' => {
                    let (min, max) = match ch {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.bump(1);
                    self.repeat(&mut items, min, max)?;
                }
                '{' => match parse_repeat(self.rest) {
                    Some((min, max, after)) => {
                        let count = |n: i64| u32::try_from(n).ok().filter(|n| *n <= 1000);
                        let min = count(min).ok_or("invalid repeat count")?;
                        let max = if max < 0 {
                            None
                        } else {
                            Some(count(max).ok_or("invalid repeat count")?)
                        };
                        self.rest = after;
                        self.repeat(&mut items, min, max)?;
                    }
                    None => {
                        self.bump(1);
                        items.push(literal('{', *flags));
                    }
                },
                '(' => {
                    if let Some(node) = self.group(flags)? {
                        items.push(node);
                    }
                }
                '[' => items.push(Node::Set(self.class(*flags)?)),
                '.' => {
                    self.bump(1);
                    let any = if flags.dot_nl { vec![(0, MAX)] } else { vec![(0, 9), (11, MAX)] };
                    items.push(Node::Set(any));
                }
                '^' => {
                    self.bump(1);
                    items.push(Node::Look(if flags.multi_line {
                        Look::StartLine
                    } else {
                        Look::StartText
                    }));
                }
                '$' => {
                    self.bump(1);
                    items.push(Node::Look(if flags.multi_line {
                        Look::EndLine
                    } else {
                        Look::EndText
                    }));
                }
                '\\' => self.escape(*flags, &mut items)?,
                _ => {
                    self.bump(ch.len_utf8());
                    items.push(literal(ch, *flags));
                }
            }
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.remove(0),
            _ => Node::Concat(items),
        })
    }

    /// Applies a repetition (and skips its non-greedy `?`) to the last item.
    fn repeat(
        &mut self,
        items: &mut Vec<Node>,
        min: u32,
        max: Option<u32>,
    ) -> Result<(), &'static str> {
        if self.rest.starts_with('?') {
            self.bump(1);
        }
        let node = items.pop().ok_or("missing argument to repetition operator")?;
        items.push(Node::Repeat { node: Box::new(node), min, max });
        Ok(())
    }

    /// A group, or a flag change (`(?i)`), which yields no node.
    fn group(&mut self, flags: &mut Flags) -> Result<Option<Node>, &'static str> {
        let mut inner = *flags;
        if let Some(after) = self.rest.strip_prefix("(?") {
            if after.starts_with("P<") || after.starts_with('<') {
                let end = self.rest.find('>').ok_or("invalid named capture")?;
                self.bump(end + 1);
            } else {
                let mut on = true;
                let mut consumed = 2;
                let mut ends_group = false;
                for ch in after.chars() {
                    consumed += ch.len_utf8();
                    match ch {
                        'i' => inner.fold = on,
                        'm' => inner.multi_line = on,
                        's' => inner.dot_nl = on,
                        'U' => {}
                        '-' => on = false,
                        ':' => break,
                        ')' => {
                            ends_group = true;
                            break;
                        }
                        _ => return Err("invalid or unsupported Perl syntax"),
                    }
                }
                self.bump(consumed);
                if ends_group {
                    *flags = inner;
                    return Ok(None);
                }
            }
        } else {
            self.bump(1);
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nests too deeply");
        }
        let node = self.alternation(inner)?;
        self.depth -= 1;
        if !self.rest.starts_with(')') {
            return Err("missing closing )");
        }
        self.bump(1);
        Ok(Some(node))
    }

    /// An escape outside brackets: an assertion, quoted text, a class or one character.
    fn escape(&mut self, flags: Flags, items: &mut Vec<Node>) -> Result<(), &'static str> {
        let look = match self.rest.as_bytes().get(1) {
            Some(b'A') => Some(Look::StartText),
            Some(b'z') => Some(Look::EndText),
            Some(b'b') => Some(Look::WordBoundary),
            Some(b'B') => Some(Look::NotWordBoundary),
            _ => None,
        };
        if let Some(look) = look {
            self.bump(2);
            items.push(Node::Look(look));
            return Ok(());
        }
        if let Some(quoted) = self.rest.strip_prefix("\\Q") {
            let (text, rest) = match quoted.find("\\E") {
                Some(end) => (&quoted[..end], &quoted[end + 2..]),
                None => (quoted, ""),
            };
            items.extend(text.chars().map(|ch| literal(ch, flags)));
            self.rest = rest;
            return Ok(());
        }
        if let Some(set) = self.class_escape(flags)? {
            items.push(Node::Set(set));
            return Ok(());
        }
        let (value, rest) = parse_class_char(self.rest, "").map_err(|error| error.what)?;
        self.rest = rest;
        items.push(Node::Set(folded(vec![(value, value)], flags)));
        Ok(())
    }

    /// `\d \D \s \S \w \W`, `\pL`, `\p{Name}`, `\P{^Name}`, as a finished set; `None` when the
    /// text does not start with one.
    fn class_escape(&mut self, flags: Flags) -> Result<Option<Vec<Range>>, &'static str> {
        let bytes = self.rest.as_bytes();
        let (set, negated) = match bytes {
            [b'\\', b'd' | b'D' | b's' | b'S' | b'w' | b'W', ..] => {
                let class = bytes[1].to_ascii_lowercase();
                self.bump(2);
                let set = match class {
                    b'd' => vec![(0x30, 0x39)],
                    b's' => vec![(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
                    _ => word(),
                };
                (set, bytes[1].is_ascii_uppercase())
            }
            [b'\\', b'p' | b'P', ..] => {
                let after = &self.rest[2..];
                let (name, len) = if let Some(braced) = after.strip_prefix('{') {
                    let end = braced.find('}').ok_or("invalid character class range")?;
                    (&braced[..end], end + 2)
                } else {
                    let ch = after.chars().next().ok_or("invalid character class range")?;
                    (&after[..ch.len_utf8()], ch.len_utf8())
                };
                let (name, caret) = match name.strip_prefix('^') {
                    Some(name) => (name, true),
                    None => (name, false),
                };
                let set = unicode::class(name).ok_or("unknown Unicode class")?;
                self.bump(2 + len);
                (set, (bytes[1] == b'P') != caret)
            }
            _ => return Ok(None),
        };
        let set = folded(set, flags);
        Ok(Some(if negated { unicode::negate(&set) } else { set }))
    }

    /// A bracketed class: members, ranges, POSIX, Perl and Unicode classes; `^` negates.
    fn class(&mut self, flags: Flags) -> Result<Vec<Range>, &'static str> {
        self.bump(1);
        let negated = self.rest.starts_with('^');
        if negated {
            self.bump(1);
        }
        let mut set: Vec<Range> = Vec::new();
        let mut first = true;
        loop {
            if self.rest.is_empty() {
                return Err("missing closing ]");
            }
            if !first && self.rest.starts_with(']') {
                break;
            }
            first = false;
            if let Some(named) = self.rest.strip_prefix("[:") {
                if let Some(end) = named.find(":]") {
                    let (name, negated) = match &named[..end].strip_prefix('^') {
                        Some(name) => (*name, true),
                        None => (&named[..end], false),
                    };
                    let posix = folded(posix(name).ok_or("invalid character class range")?, flags);
                    set.extend(if negated { unicode::negate(&posix) } else { posix });
                    self.bump(end + 4);
                    continue;
                }
            }
            if let Some(class) = self.class_escape(flags)? {
                set.extend(class);
                continue;
            }
            let (lo, rest) = parse_class_char(self.rest, "").map_err(|error| error.what)?;
            self.rest = rest;
            let mut hi = lo;
            if self.rest.len() >= 2
                && self.rest.starts_with('-')
                && !self.rest[1..].starts_with(']')
            {
                let (end, rest) =
                    parse_class_char(&self.rest[1..], "").map_err(|error| error.what)?;
                if end < lo {
                    return Err("invalid character class range");
                }
                self.rest = rest;
                hi = end;
            }
            set.extend(folded(vec![(lo, hi)], flags));
        }
        self.bump(1);
        unicode::canonicalize(&mut set);
        Ok(if negated { unicode::negate(&set) } else { set })
    }
}

fn literal(ch: char, flags: Flags) -> Node {
    let code = ch as u32;
    Node::Set(folded(vec![(code, code)], flags))
}

/// The set with its case variants under `(?i)`; the set itself otherwise.
fn folded(mut set: Vec<Range>, flags: Flags) -> Vec<Range> {
    unicode::canonicalize(&mut set);
    if flags.fold {
        unicode::fold(&mut set);
    }
    set
}

/// RE2's `\w`: ASCII letters, digits and `_`.
fn word() -> Vec<Range> {
    vec![(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
}

/// The ASCII POSIX classes RE2 knows (`[:alpha:]`).
fn posix(name: &str) -> Option<Vec<Range>> {
    Some(match name {
        "alnum" => vec![(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => vec![(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => vec![(0, 0x7F)],
        "blank" => vec![(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => vec![(0, 0x1F), (0x7F, 0x7F)],
        "digit" => vec![(0x30, 0x39)],
        "graph" => vec![(0x21, 0x7E)],
        "lower" => vec![(0x61, 0x7A)],
        "print" => vec![(0x20, 0x7E)],
        "punct" => vec![(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => vec![(0x09, 0x0D), (0x20, 0x20)],
        "upper" => vec![(0x41, 0x5A)],
        "word" => word(),
        "xdigit" => vec![(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    })
}
