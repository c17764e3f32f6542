//! Byte spans into source texts and their conversion to line and column.
//!
//! Every value meshroute reads keeps a [`Span`] of byte offsets into the text it came from.
//! Lines and columns are derived from spans only when a diagnostic is shown, through a
//! [`LineIndex`]; the browser edge converts columns to UTF-16 itself.

use std::fmt;

/// Identifies one input text (a file, stdin, or an editor buffer) within a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SourceId(pub u32);

/// A half-open range of byte offsets `[start, end)` into one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        // Sources are capped well below 4 GiB by the loader, so offsets fit in u32.
        Span { start: start as u32, end: end.max(start) as u32 }
    }

    /// An empty span at `offset`, for findings about something that is absent.
    pub fn at(offset: u32) -> Span {
        Span { start: offset, end: offset }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and a 1-based column counted in Unicode scalar values, as rustc prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Maps byte offsets of one text to lines and columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset at which each line starts; the first entry is always 0.
    line_starts: Vec<u32>,
    /// Whether the text is pure ASCII, in which case columns are byte distances.
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text.as_bytes()).map(|newline| newline as u32 + 1));
        LineIndex { line_starts, ascii: text.is_ascii() }
    }

    /// The line and column of `offset` in `text`, which must be the text this index was built from.
    /// Offsets past the end or inside a multi-byte character are clamped to a valid position.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = offset.min(text.len() as u32);
        let line_idx = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_idx];
        let column = if self.ascii {
            offset - line_start
        } else {
            let mut end = offset as usize;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[line_start as usize..end].chars().count() as u32
        };
        LineCol { line: line_idx as u32 + 1, column: column + 1 }
    }

    /// The byte range of the 1-based `line`, without its line terminator.
    pub fn line_span(&self, text: &str, line: u32) -> Option<Span> {
        let idx = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(idx)? as usize;
        let mut end = self.line_starts.get(idx + 1).map_or(text.len(), |&next| next as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some(Span::new(start, end))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter(|(_, byte)| **byte == b'\n').map(|(idx, _)| idx)
}

/// Converts the character offsets the YAML scanner reports into byte offsets.
///
/// The scanner counts Unicode scalar values; spans must be bytes so that every face slices the
/// text the same way. Offsets arrive almost in order, so a forward-moving cursor makes the whole
/// conversion linear; a rare backward step restarts from the beginning of the text.
pub(crate) struct CharToByte<'a> {
    text: &'a str,
    ascii: bool,
    char_pos: usize,
    byte_pos: usize,
}

impl<'a> CharToByte<'a> {
    pub(crate) fn new(text: &'a str) -> CharToByte<'a> {
        CharToByte { text, ascii: text.is_ascii(), char_pos: 0, byte_pos: 0 }
    }

    pub(crate) fn byte_offset(&mut self, char_offset: usize) -> usize {
        if self.ascii {
            return char_offset.min(self.text.len());
        }
        if char_offset < self.char_pos {
            self.char_pos = 0;
            self.byte_pos = 0;
        }
        let mut chars = self.text[self.byte_pos..].chars();
        while self.char_pos < char_offset {
            match chars.next() {
                Some(ch) => {
                    self.byte_pos += ch.len_utf8();
                    self.char_pos += 1;
                }
                None => break,
            }
        }
        self.byte_pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a: 1\nbb: 2\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        assert_eq!(index.line_col(text, 9), LineCol { line: 2, column: 5 });
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "name: \"é\" x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.line_col(text, x), LineCol { line: 1, column: 11 });
    }

    #[test]
    fn char_offsets_convert_to_bytes_in_any_order() {
        let text = "éa€b";
        let mut conv = CharToByte::new(text);
        assert_eq!(conv.byte_offset(2), 3);
        assert_eq!(conv.byte_offset(4), 7);
        assert_eq!(conv.byte_offset(1), 2);
        assert_eq!(conv.byte_offset(99), 7);
    }

    #[test]
    fn line_span_excludes_terminator() {
        let text = "one\r\ntwo";
        let index = LineIndex::new(text);
        assert_eq!(index.line_span(text, 1), Some(Span::new(0, 3)));
        assert_eq!(index.line_span(text, 2), Some(Span::new(5, 8)));
        assert_eq!(index.line_span(text, 3), None);
    }
}
