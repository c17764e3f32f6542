//! A syntax check for RE2 regular expressions as Go's `regexp.Compile` parses them.
//!
//! istiod validates every VirtualService regex with Go's `regexp` package (`validateStringRegexp`),
//! so "valid" here means "Go's `regexp/syntax` parser with Perl flags accepts it". We do not
//! build anything here, we only walk the grammar, which lets us report Go's reasons and follow Go
//! where Rust's `regex-syntax` would differ (the matcher in [`super::parse`] trusts this check):
//!
//! - `\Q...\E` quoting, octal escapes (`\12`), `(?)` and `\pN`-style one-letter classes are Go
//!   syntax that `regex-syntax` rejects or reads differently; we accept them like Go.
//! - `[[]` and other `[` inside a class are literals in Go, while `regex-syntax` reads nested
//!   classes and `&&`/`--`/`~~` set operations; we follow Go.
//! - Go rejects what RE2 does not support: lookaround (`(?=`, `(?<=`...), backreferences (`\1`),
//!   `\C`, possessive or stacked repetition (`a**`, `a{2}{3}`), the flags `x`, `u` and `R`, counts
//!   above 1000 and nested counts whose product exceeds 1000. We reject the same.
//! - Unknown Unicode class names are errors in Go; we check names against Go's category,
//!   category-alias and script names (loosely for scripts, so a Unicode version newer than our
//!   list never makes a valid regex look invalid).
//!
//! Go's two remaining limits, "expression too large" and "expression nests too deeply", cannot
//! be reached by the 1024 bytes istiod allows, so they are not modelled.

use std::fmt;

/// Why Go's parser rejects a regex: Go's error text and the offending fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Re2Error {
    pub(crate) what: &'static str,
    pub(crate) fragment: String,
}

impl fmt::Display for Re2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fragment.is_empty() {
            f.write_str(self.what)
        } else {
            write!(f, "{} `{}`", self.what, self.fragment)
        }
    }
}

const INVALID_CHAR_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const UNEXPECTED_PAREN: &str = "unexpected )";

/// Go's `maxRepeat`: the largest count, and the largest product of nested counts.
const MAX_REPEAT: u64 = 1000;

fn error(what: &'static str, fragment: &str) -> Re2Error {
    Re2Error { what, fragment: fragment.to_string() }
}

/// One open group of the parse: what its finished parts need, and its last repeatable item.
///
/// "Need" is the smallest budget for which Go's `repeatIsValid` accepts the item: the product
/// of the counts of the `{n,m}` repetitions nested in it (a `{0}` repetition needs nothing).
#[derive(Default)]
struct Frame {
    need: u64,
    last: Option<u64>,
}

impl Frame {
    fn push(&mut self, need: u64) {
        if let Some(previous) = self.last.replace(need) {
            self.need = self.need.max(previous);
        }
    }

    fn close(self) -> u64 {
        self.need.max(self.last.unwrap_or(0))
    }
}

/// Checks `pattern` the way Go's `regexp.Compile` does; `Err` carries Go's reason.
pub(crate) fn check(pattern: &str) -> Result<(), Re2Error> {
    let mut frames: Vec<Frame> = vec![Frame::default()];
    let mut after_repeat = false;
    let mut rest = pattern;
    while let Some(ch) = rest.chars().next() {
        let mut is_repeat = false;
        match ch {
            '(' => {
                if rest.starts_with("(?") {
                    rest = parse_group_flags(rest, &mut frames)?;
                } else {
                    frames.push(Frame::default());
                    rest = &rest[1..];
                }
            }
            '|' => {
                let frame = frames.last_mut().expect("the outermost frame is never popped");
                let finished = std::mem::take(frame).close();
                frame.need = finished;
                rest = &rest[1..];
            }
            ')' => {
                if frames.len() < 2 {
                    return Err(error(UNEXPECTED_PAREN, pattern));
                }
                let need = frames.pop().expect("checked above").close();
                frames.last_mut().expect("checked above").push(need);
                rest = &rest[1..];
            }
            '[' => {
                rest = parse_class(rest)?;
                top(&mut frames).push(0);
            }
            '*' | '+' | '?' => {
                let after = non_greedy(&rest[1..]);
                repeat(&mut frames, after_repeat, rest, after, None)?;
                rest = after;
                is_repeat = true;
            }
            '{' => match parse_repeat(rest) {
                Some((min, max, after)) => {
                    let fragment = &rest[..rest.len() - after.len()];
                    // Go: a count of 10^8 or more reads as -1, which fails this test too.
                    let too_big = |n: i64| !(0..=MAX_REPEAT as i64).contains(&n);
                    if too_big(min) || (max != -1 && too_big(max)) || (max >= 0 && min > max) {
                        return Err(error(INVALID_REPEAT_SIZE, fragment));
                    }
                    let after = non_greedy(after);
                    repeat(&mut frames, after_repeat, rest, after, Some((min, max)))?;
                    rest = after;
                    is_repeat = true;
                }
                None => {
                    // A brace that does not start a valid count is a literal in Go.
                    top(&mut frames).push(0);
                    rest = &rest[1..];
                }
            },
            '\\' => rest = parse_top_escape(rest, &mut frames)?,
            _ => {
                top(&mut frames).push(0);
                rest = &rest[ch.len_utf8()..];
            }
        }
        after_repeat = is_repeat;
    }
    if frames.len() != 1 {
        return Err(error(MISSING_PAREN, pattern));
    }
    Ok(())
}

fn top(frames: &mut [Frame]) -> &mut Frame {
    frames.last_mut().expect("the outermost frame is never popped")
}

/// Skips the `?` that makes a repetition non-greedy.
fn non_greedy(after: &str) -> &str {
    after.strip_prefix('?').unwrap_or(after)
}

/// Applies a repetition to the last item, as Go's `parser.repeat` does.
fn repeat(
    frames: &mut [Frame],
    after_repeat: bool,
    before: &str,
    after: &str,
    counts: Option<(i64, i64)>,
) -> Result<(), Re2Error> {
    let fragment = &before[..before.len() - after.len()];
    if after_repeat {
        // Perl (and Go with Perl flags) reject stacked operators such as `a**` or `a{2}+`.
        return Err(error(INVALID_REPEAT_OP, fragment));
    }
    let frame = top(frames);
    let Some(sub) = frame.last else {
        return Err(error(MISSING_REPEAT_ARGUMENT, fragment));
    };
    let Some((min, max)) = counts else { return Ok(()) };
    let need = if max == 0 {
        0
    } else {
        let count = if max < 0 { min } else { max } as u64;
        if count == 0 { sub } else { count.saturating_mul(sub.max(1)) }
    };
    if (min >= 2 || max >= 2) && need > MAX_REPEAT {
        return Err(error(INVALID_REPEAT_SIZE, fragment));
    }
    frame.last = Some(need);
    Ok(())
}

/// Go's `parseRepeat`: `{n}`, `{n,}` or `{n,m}` without leading zeros; `None` when the text is not
/// a count (the brace is then a literal). Counts of 10^8 and more come back as -1.
pub(super) fn parse_repeat(text: &str) -> Option<(i64, i64, &str)> {
    let rest = text.strip_prefix('{')?;
    let (min, rest) = parse_int(rest)?;
    let (max, rest) = match rest.strip_prefix(',') {
        None => (min, rest),
        Some(rest) if rest.starts_with('}') => (-1, rest),
        Some(rest) => {
            let (max, rest) = parse_int(rest)?;
            if max < 0 {
                return Some((-1, -1, rest.strip_prefix('}')?));
            }
            (max, rest)
        }
    };
    Some((min, max, rest.strip_prefix('}')?))
}

fn parse_int(text: &str) -> Option<(i64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && text.starts_with('0')) {
        return None;
    }
    let mut value: i64 = 0;
    for byte in text[..digits].bytes() {
        if value >= 100_000_000 {
            value = -1;
            break;
        }
        value = value * 10 + i64::from(byte - b'0');
    }
    Some((value, &text[digits..]))
}

/// Go's `parsePerlFlags`: `(?i)`, `(?i:...)`, `(?:...)`, `(?P<name>...)` and `(?<name>...)`.
fn parse_group_flags<'t>(text: &'t str, frames: &mut Vec<Frame>) -> Result<&'t str, Re2Error> {
    let bytes = text.as_bytes();
    let named_p = bytes.len() > 4 && bytes[2] == b'P' && bytes[3] == b'<';
    let named = bytes.len() > 3 && bytes[2] == b'<';
    if named_p || named {
        let start = if named_p { 4 } else { 3 };
        let Some(end) = text.find('>') else {
            return Err(error(INVALID_NAMED_CAPTURE, text));
        };
        let name = &text[start..end];
        if name.is_empty() || !name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        {
            return Err(error(INVALID_NAMED_CAPTURE, &text[..=end]));
        }
        frames.push(Frame::default());
        return Ok(&text[end + 1..]);
    }
    let mut negated = false;
    let mut saw_flag = false;
    for (offset, ch) in text[2..].char_indices() {
        match ch {
            'i' | 'm' | 's' | 'U' => saw_flag = true,
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => {
                if ch == ':' {
                    frames.push(Frame::default());
                }
                return Ok(&text[2 + offset + 1..]);
            }
            _ => return Err(error(INVALID_PERL_OP, &text[..2 + offset + ch.len_utf8()])),
        }
    }
    Err(error(INVALID_PERL_OP, text))
}

/// An escape outside a class: an assertion, `\Q...\E`, a class escape or a single character.
fn parse_top_escape<'t>(text: &'t str, frames: &mut [Frame]) -> Result<&'t str, Re2Error> {
    let frame = top(frames);
    match text.as_bytes().get(1) {
        Some(b'A' | b'b' | b'B' | b'z') => {
            frame.push(0);
            return Ok(&text[2..]);
        }
        Some(b'C') => return Err(error(INVALID_ESCAPE, &text[..2])),
        Some(b'Q') => {
            // Everything up to `\E` (or the end) is literal text.
            let quoted = &text[2..];
            let (literal, rest) = match quoted.find("\\E") {
                Some(end) => (&quoted[..end], &quoted[end + 2..]),
                None => (quoted, ""),
            };
            if !literal.is_empty() {
                frame.push(0);
            }
            return Ok(rest);
        }
        _ => {}
    }
    if let Some(rest) = parse_unicode_class(text)? {
        frame.push(0);
        return Ok(rest);
    }
    if let Some(rest) = parse_perl_class(text) {
        frame.push(0);
        return Ok(rest);
    }
    let rest = parse_escape(text)?;
    frame.push(0);
    Ok(rest)
}

/// `\d \D \s \S \w \W`.
fn parse_perl_class(text: &str) -> Option<&str> {
    match text.as_bytes() {
        [b'\\', b'd' | b'D' | b's' | b'S' | b'w' | b'W', ..] => Some(&text[2..]),
        _ => None,
    }
}

/// Go's `parseEscape`: one escaped character; `text` starts with the backslash.
fn parse_escape(text: &str) -> Result<&str, Re2Error> {
    let mut chars = text[1..].chars();
    let Some(ch) = chars.next() else {
        return Err(error(TRAILING_BACKSLASH, ""));
    };
    let rest = chars.as_str();
    let invalid = |rest: &str| Err(error(INVALID_ESCAPE, &text[..text.len() - rest.len()]));
    let is_octal =
        |rest: &str| rest.as_bytes().first().is_some_and(|byte| (b'0'..=b'7').contains(byte));
    match ch {
        // A lone non-zero digit would be a backreference, which RE2 does not have.
        '1'..='7' if !is_octal(rest) => invalid(rest),
        '0'..='7' => {
            let mut rest = rest;
            for _ in 0..2 {
                if !is_octal(rest) {
                    break;
                }
                rest = &rest[1..];
            }
            Ok(rest)
        }
        'x' => {
            let mut chars = rest.chars();
            match chars.next() {
                None => invalid(rest),
                Some('{') => {
                    let inner = chars.as_str();
                    let Some(end) = inner.find('}') else { return invalid("") };
                    let digits = &inner[..end];
                    // Go accumulates the digits and gives up once the value passes U+10FFFF.
                    let mut value: u32 = 0;
                    let valid = !digits.is_empty()
                        && digits.chars().all(|ch| match ch.to_digit(16) {
                            Some(digit) if value <= 0x10FFFF => {
                                value = value * 16 + digit;
                                value <= 0x10FFFF
                            }
                            _ => false,
                        });
                    if valid { Ok(&inner[end + 1..]) } else { invalid(&inner[end + 1..]) }
                }
                Some(first) => {
                    let second = chars.next();
                    let rest = chars.as_str();
                    if first.is_ascii_hexdigit() && second.is_some_and(|ch| ch.is_ascii_hexdigit())
                    {
                        Ok(rest)
                    } else {
                        invalid(rest)
                    }
                }
            }
        }
        'a' | 'f' | 'n' | 'r' | 't' | 'v' => Ok(rest),
        // Escaped ASCII punctuation (and `_`) stands for itself; other letters and digits, and
        // anything beyond ASCII, are errors rather than silently literal.
        _ if ch.is_ascii() && !ch.is_ascii_alphanumeric() => Ok(rest),
        _ => invalid(rest),
    }
}

/// Go's `parseUnicodeClass`: `\pL`, `\p{Greek}`, `\P{^Lu}`. `None` when `text` is not one.
fn parse_unicode_class(text: &str) -> Result<Option<&str>, Re2Error> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'\\' || !matches!(bytes[1], b'p' | b'P') {
        return Ok(None);
    }
    let after = &text[2..];
    let (sequence, name, rest) = match after.chars().next() {
        Some('{') => {
            let Some(end) = text.find('}') else {
                return Err(error(INVALID_CHAR_RANGE, text));
            };
            (&text[..=end], &text[3..end], &text[end + 1..])
        }
        Some(ch) => {
            let len = 2 + ch.len_utf8();
            (&text[..len], &text[2..len], &text[len..])
        }
        None => (text, "", ""),
    };
    let name = name.strip_prefix('^').unwrap_or(name);
    if super::unicode::is_class_name(name) {
        Ok(Some(rest))
    } else {
        Err(error(INVALID_CHAR_RANGE, sequence))
    }
}

/// Go's `parseClass`: a bracketed class; `text` starts with `[`.
fn parse_class(text: &str) -> Result<&str, Re2Error> {
    let mut rest = &text[1..];
    if let Some(after) = rest.strip_prefix('^') {
        rest = after;
    }
    let mut first = true;
    while first || !rest.starts_with(']') {
        first = false;
        if rest.len() > 2 && rest.starts_with("[:") {
            if let Some(end) = rest[2..].find(":]") {
                let name = &rest[..end + 4];
                if !is_posix_class(&name[2..name.len() - 2]) {
                    return Err(error(INVALID_CHAR_RANGE, name));
                }
                rest = &rest[end + 4..];
                continue;
            }
        }
        if let Some(after) = parse_unicode_class(rest)? {
            rest = after;
            continue;
        }
        if let Some(after) = parse_perl_class(rest) {
            rest = after;
            continue;
        }
        let range_start = rest;
        let (lo, after) = parse_class_char(rest, text)?;
        rest = after;
        if rest.len() >= 2 && rest.starts_with('-') && !rest[1..].starts_with(']') {
            let (hi, after) = parse_class_char(&rest[1..], text)?;
            rest = after;
            if hi < lo {
                return Err(error(
                    INVALID_CHAR_RANGE,
                    &range_start[..range_start.len() - rest.len()],
                ));
            }
        }
    }
    Ok(&rest[1..])
}

/// One class member: an escaped or plain character, as a code point for range checks.
pub(super) fn parse_class_char<'t>(text: &'t str, whole: &str) -> Result<(u32, &'t str), Re2Error> {
    let Some(ch) = text.chars().next() else {
        return Err(error(MISSING_BRACKET, whole));
    };
    if ch == '\\' {
        let rest = parse_escape(text)?;
        return Ok((escaped_value(&text[1..text.len() - rest.len()]), rest));
    }
    Ok((ch as u32, &text[ch.len_utf8()..]))
}

/// The code point of a valid escape body (the text after the backslash).
fn escaped_value(body: &str) -> u32 {
    match body.as_bytes() {
        [b'a'] => 7,
        [b'f'] => 12,
        [b'n'] => 10,
        [b'r'] => 13,
        [b't'] => 9,
        [b'v'] => 11,
        [b'x', b'{', .., b'}'] => u32::from_str_radix(&body[2..body.len() - 1], 16).unwrap_or(0),
        [b'x', ..] => u32::from_str_radix(&body[1..], 16).unwrap_or(0),
        [b'0'..=b'7', ..] => u32::from_str_radix(body, 8).unwrap_or(0),
        _ => body.chars().next().map_or(0, |ch| ch as u32),
    }
}

fn is_posix_class(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    NAMES.contains(&name.strip_prefix('^').unwrap_or(name))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_go_accepts() {
        for pattern in [
            "^/api/v[0-9]+/.*$",
            "(?i)^bearer .+",
            "(?P<id>[a-z0-9-]{36})",
            "(?<id>\\d+)",
            "a{2,5}?b{0,}c{3}",
            "[]a]",
            "[^]a]",
            "[a-]",
            "[[]",
            "[a[bc]]",
            "[[:alpha:][:^digit:]]",
            "\\pL\\p{Greek}\\P{^Lu}\\p{Letter}\\p{Old_Italic}",
            "\\Qa.b*c\\E+",
            "\\Q(unterminated",
            "\\12\\0\\x41\\x{1F600}\\_\\-",
            "(?)",
            "(?i-s:abc)",
            "x{,3}",
            "x{2",
            "^*",
            "a*(?i)*",
            "(a{10}){100}",
            "(a{0}){1000}",
            "((a{500}){0}){3}",
            "\\x{000000041}",
            "a{1000}",
            "()|(|)",
            "caf\u{e9}[\u{e0}-\u{ff}]",
        ] {
            assert_eq!(check(pattern), Ok(()), "{pattern}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for pattern in [
            "(?=lookahead)",
            "(?!no)",
            "(?<=behind)",
            "(?<!behind)",
            "(a)\\1",
            "\\C",
            "a**",
            "a{2}{3}",
            "a*?+",
            "*a",
            "a|*",
            "(*)",
            "(?i)*",
            "a{1001}",
            "a{5,3}",
            "(a{10}){101}",
            "((a{10}){10}){11}",
            "[z-a]",
            "[a",
            "[]",
            "[[:alpha:]",
            "[[:nope:]]",
            "\\p{Klingon}",
            "\\pX",
            "\\p",
            "\\e",
            "\\8",
            "\\x{110000}",
            "\\x{}",
            "\\xZZ",
            "a\\",
            "(?x)a",
            "(?u)a",
            "(?P=name)",
            "(?P<>a)",
            "(?<bad-name>a)",
            "(?i-)",
            "(a",
            "a)",
            "[\\d-z]x[a-\\d]",
            "\\\u{e9}",
        ] {
            assert!(check(pattern).is_err(), "{pattern} should be rejected");
        }
    }
}
