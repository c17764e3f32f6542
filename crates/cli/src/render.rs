//! Diagnostics as text (rustc/istioctl style, with a source excerpt) or as one JSON object.
//!
//! Rendering never trusts the input text to be printable: control and bidirectional-override
//! characters are replaced before they reach a terminal, tabs are expanded, and very long lines
//! are cut to a window around the finding, so that hostile files cannot garble the output.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use meshroute_core::text::LineIndex;
use meshroute_core::{Config, Diagnostic, Location, Severity};
use serde::Serialize;

/// A diagnostic ready to print: the core's diagnostic plus the name of the input it concerns.
///
/// The name is carried separately because diagnostics about inputs that never reached the core
/// (an unreadable path) have no location from which it could be looked up.
#[derive(Debug)]
pub(crate) struct Finding {
    pub(crate) diagnostic: Diagnostic,
    pub(crate) file: Option<String>,
}

/// How many findings there are of each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Counts {
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
}

impl Counts {
    pub(crate) fn of(findings: &[Finding]) -> Counts {
        let mut counts = Counts::default();
        for finding in findings {
            match finding.diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }

    /// `2 errors, 1 warning`, omitting zero counts; `no problems found` when all are zero.
    pub(crate) fn summary(self) -> String {
        let parts: Vec<String> = [
            (self.errors, "error", "errors"),
            (self.warnings, "warning", "warnings"),
            (self.infos, "info", "infos"),
        ]
        .into_iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|(count, one, many)| format!("{count} {}", if count == 1 { one } else { many }))
        .collect();
        if parts.is_empty() { "no problems found".to_string() } else { parts.join(", ") }
    }
}

/// Output format of every subcommand: `text` for people, `json` for tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// Runs `write` on a buffered stdout: exit status 0 when all was written, 2 when it could not be
/// (with a message, except for a reader that went away, as in `meshroute explain ... | head`).
pub(crate) fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> ExitCode {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if error.kind() != io::ErrorKind::BrokenPipe {
                let _ = writeln!(io::stderr(), "meshroute: cannot write output: {error}");
            }
            ExitCode::from(crate::lint::EXIT_USAGE)
        }
    }
}

/// Text output styling: ANSI colours or none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    /// Colours only for a person at a terminal who has not asked for none (no-color.org).
    pub(crate) fn for_stdout() -> Style {
        Style { color: io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() }
    }

    pub(crate) fn paint<'a>(self, code: &str, text: &'a str) -> Cow<'a, str> {
        if self.color {
            Cow::Owned(format!("\x1b[{code}m{text}\x1b[0m"))
        } else {
            Cow::Borrowed(text)
        }
    }

    fn severity<'a>(self, severity: Severity, text: &'a str) -> Cow<'a, str> {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, text)
    }

    fn gutter<'a>(self, text: &'a str) -> Cow<'a, str> {
        self.paint("1;34", text)
    }
}

/// Writes every finding as a header line and, when it has a location, an excerpt with carets.
pub(crate) fn text(
    out: &mut impl Write,
    config: &Config,
    findings: &[Finding],
    style: Style,
) -> io::Result<()> {
    for finding in findings {
        let diagnostic = &finding.diagnostic;
        let line_col = diagnostic.location.and_then(|location| location.line_col);
        let header = Header {
            severity: diagnostic.severity,
            code: diagnostic.code.id,
            resource: diagnostic.resource.as_ref().map(ToString::to_string),
            path: diagnostic.path.as_deref(),
            file: finding.file.as_deref(),
            at: line_col.map(|at| (at.line, at.column)),
            message: &diagnostic.message,
            istio: diagnostic.code.istio,
        };
        header.write(out, style)?;
        if let Some(excerpt) = diagnostic.location.and_then(|location| excerpt(config, location)) {
            let number = excerpt.line.to_string();
            let pad = " ".repeat(number.len());
            let carets = "^".repeat(excerpt.caret_len);
            writeln!(out, "{}", style.gutter(&format!("{pad} |")))?;
            writeln!(out, "{} {}", style.gutter(&format!("{number} |")), excerpt.text)?;
            writeln!(
                out,
                "{} {}{}",
                style.gutter(&format!("{pad} |")),
                " ".repeat(excerpt.caret_start),
                style.severity(diagnostic.severity, &carets)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Writes diagnostics that arrived as JSON (the `diagnostics` of an explanation, in the shape of
/// `lint --format json`) with the same header lines as `text`, without excerpts: the findings
/// are a footnote to the explanation there, one line each.
pub(crate) fn json_diagnostics_text(
    out: &mut impl Write,
    diagnostics: &[serde_json::Value],
    style: Style,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        let field = |key: &str| diagnostic.get(key).and_then(serde_json::Value::as_str);
        let number = |key: &str| {
            diagnostic
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let severity = match field("severity") {
            Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            _ => Severity::Info,
        };
        let resource = match (field("kind"), field("namespace"), field("name")) {
            (Some(kind), Some(namespace), Some(name)) => Some(format!("{namespace}/{name} {kind}")),
            (Some(kind), _, _) => Some(kind.to_string()),
            _ => None,
        };
        let header = Header {
            severity,
            code: field("code").unwrap_or("MR????"),
            resource,
            path: field("path"),
            file: field("file"),
            at: number("line").map(|line| (line, number("column").unwrap_or(1))),
            message: field("message").unwrap_or(""),
            istio: field("istio_code"),
        };
        header.write(out, style)?;
    }
    Ok(())
}

/// The first line of a diagnostic, however it reached the CLI:
/// `warning[MR0020] payments/stripe ServiceEntry spec.hostz (se.yaml:15:3): message [IST0101]`.
struct Header<'a> {
    severity: Severity,
    code: &'a str,
    /// `namespace/name Kind`.
    resource: Option<String>,
    path: Option<&'a str>,
    file: Option<&'a str>,
    /// Line and column.
    at: Option<(u32, u32)>,
    message: &'a str,
    istio: Option<&'a str>,
}

impl Header<'_> {
    fn write(&self, out: &mut impl Write, style: Style) -> io::Result<()> {
        let mut header = String::new();
        if let Some(resource) = &self.resource {
            header.push(' ');
            header.push_str(&clean(resource));
        }
        if let Some(path) = self.path {
            header.push(' ');
            header.push_str(&clean(path));
        }
        match (self.file, self.at) {
            (Some(file), Some((line, column))) => {
                header.push_str(&format!(" ({}:{line}:{column})", clean(file)))
            }
            (Some(file), None) => header.push_str(&format!(" ({})", clean(file))),
            (None, _) => {}
        }
        header.push_str(": ");
        header.push_str(&clean(self.message));
        if let Some(istio) = self.istio {
            header.push_str(&format!(" [{}]", clean(istio)));
        }
        let label = format!("{}[{}]", self.severity, clean(self.code));
        writeln!(out, "{}{header}", style.severity(self.severity, &label))
    }
}

/// Columns of an excerpt shown at most; longer lines are cut to a window around the span.
const MAX_EXCERPT_COLUMNS: usize = 120;

/// Context kept left of the span when a long line is cut.
const EXCERPT_LEFT_CONTEXT: usize = 40;

const ELLIPSIS: &str = "...";

/// One source line prepared for a terminal, and where under it the carets go.
#[derive(Debug, PartialEq, Eq)]
struct Excerpt {
    line: u32,
    /// The line with tabs expanded and unprintable characters replaced, one column per char.
    text: String,
    caret_start: usize,
    /// At least 1, even for an empty span or one at the end of the line.
    caret_len: usize,
}

fn excerpt(config: &Config, location: Location) -> Option<Excerpt> {
    let source = config.sources.get(location.source.0 as usize)?;
    let line = match location.line_col {
        Some(at) => at.line,
        None => source.line_col(location.span.start).line,
    };
    // Lines count from the start of the file; the text may start further down it.
    let line = line.saturating_sub(source.line_offset);
    excerpt_of(&source.text, &source.line_index, line, location.span.start, location.span.end)
}

/// The excerpt of `line` underlining the byte range `start..end`, clamped to that line.
fn excerpt_of(text: &str, index: &LineIndex, line: u32, start: u32, end: u32) -> Option<Excerpt> {
    let line_span = index.line_span(text, line)?;
    let line_text = text.get(line_span.start as usize..line_span.end as usize)?;
    let clamp = |offset: u32| offset.clamp(line_span.start, line_span.end) - line_span.start;
    // Offsets inside a multi-byte char (a replaced invalid byte, say) widen to the whole char.
    let mut start = clamp(start) as usize;
    while !line_text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (clamp(end) as usize).max(start);
    while !line_text.is_char_boundary(end) {
        end += 1;
    }

    // First pass: columns of the span and of the whole line, without storing the line, so that
    // a ten-megabyte single-line file costs one scan and no copy.
    let mut columns = 0;
    let mut caret_start = None;
    let mut caret_end = None;
    for (offset, _) in display_chars(line_text) {
        if caret_start.is_none() && offset >= start {
            caret_start = Some(columns);
        }
        if caret_end.is_none() && offset >= end {
            caret_end = Some(columns);
        }
        columns += 1;
    }
    let caret_start = caret_start.unwrap_or(columns);
    let caret_end = caret_end.unwrap_or(columns).max(caret_start);
    let caret_len = (caret_end - caret_start).max(1);

    if columns <= MAX_EXCERPT_COLUMNS {
        let text = display_chars(line_text).map(|(_, ch)| ch).collect();
        return Some(Excerpt { line, text, caret_start, caret_len });
    }
    // Second pass for long lines: keep a window that starts a little left of the span.
    let width = MAX_EXCERPT_COLUMNS;
    let first = caret_start.saturating_sub(EXCERPT_LEFT_CONTEXT).min(columns - width);
    let last = first + width;
    let mut window = String::new();
    if first > 0 {
        window.push_str(ELLIPSIS);
    }
    window.extend(display_chars(line_text).skip(first).take(width).map(|(_, ch)| ch));
    if last < columns {
        window.push_str(ELLIPSIS);
    }
    let shift = if first > 0 { ELLIPSIS.len() } else { 0 };
    let caret_len = caret_len.min(last.saturating_sub(caret_start)).max(1);
    Some(Excerpt { line, text: window, caret_start: caret_start - first + shift, caret_len })
}

/// The display characters of a line with the byte offset of the source char each comes from:
/// a tab becomes four spaces, and anything that could move the cursor or reorder text becomes
/// U+FFFD. Every display char is counted as one column.
fn display_chars(line: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    line.char_indices().flat_map(|(offset, ch)| {
        let (shown, count) = match ch {
            '\t' => (' ', 4),
            ch if is_unprintable(ch) => ('\u{fffd}', 1),
            ch => (ch, 1),
        };
        std::iter::repeat_n((offset, shown), count)
    })
}

fn is_unprintable(ch: char) -> bool {
    // Control characters, and the bidirectional overrides and isolates of "Trojan Source".
    ch.is_control() || matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Replaces unprintable characters in text that came from the input (names, keys, messages).
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unprintable) {
        Cow::Owned(
            text.chars().map(|ch| if is_unprintable(ch) { '\u{fffd}' } else { ch }).collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// The JSON document: `{"diagnostics": [...], "summary": {...}}`.
#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Counts,
}

/// One diagnostic on the wire. Keys are stable: new ones may be added, none renamed; absent
/// values are `null` rather than missing, so consumers can rely on every key being present.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    kind: Option<&'static str>,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    path: Option<&'a str>,
    istio_code: Option<&'static str>,
}

impl<'a> JsonDiagnostic<'a> {
    fn new(finding: &'a Finding) -> JsonDiagnostic<'a> {
        let diagnostic = &finding.diagnostic;
        let line_col = diagnostic.location.and_then(|location| location.line_col);
        let resource = diagnostic.resource.as_ref();
        JsonDiagnostic {
            code: diagnostic.code.id,
            severity: diagnostic.severity.as_str(),
            message: &diagnostic.message,
            file: finding.file.as_deref(),
            line: line_col.map(|at| at.line),
            column: line_col.map(|at| at.column),
            kind: resource.map(|resource| resource.kind),
            namespace: resource.map(|resource| resource.namespace.as_str()),
            name: resource.map(|resource| resource.name.as_str()),
            path: diagnostic.path.as_deref(),
            istio_code: diagnostic.code.istio,
        }
    }
}

/// Writes all findings as one JSON object on one line.
pub(crate) fn json(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    let report = JsonReport {
        diagnostics: findings.iter().map(JsonDiagnostic::new).collect(),
        summary: Counts::of(findings),
    };
    serde_json::to_writer(&mut *out, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt_at(text: &str, start: usize, end: usize) -> Excerpt {
        let index = LineIndex::new(text);
        let line = index.line_col(text, start as u32).line;
        excerpt_of(text, &index, line, start as u32, end as u32).expect("line exists")
    }

    #[test]
    fn carets_cover_the_span() {
        let text = "spec:\n  resolution: NONE\n";
        let start = text.find("NONE").unwrap();
        let excerpt = excerpt_at(text, start, start + 4);
        assert_eq!(excerpt.line, 2);
        assert_eq!(excerpt.text, "  resolution: NONE");
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (14, 4));
    }

    #[test]
    fn empty_spans_and_spans_past_the_line_get_one_caret() {
        let text = "a: 1\nb: 2\n";
        let excerpt = excerpt_at(text, 2, 2);
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (2, 1));
        // A span running into the next line is clamped to the end of its first line.
        let excerpt = excerpt_at(text, 3, 9);
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (3, 1));
        // An empty span at the end of a line points just past its last character.
        let excerpt = excerpt_at(text, 4, 4);
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (4, 1));
    }

    #[test]
    fn columns_count_chars_and_tabs_expand() {
        let text = "\tname: \"é€\" x\r\n";
        let start = text.find('x').unwrap();
        let excerpt = excerpt_at(text, start, start + 1);
        assert_eq!(excerpt.text, "    name: \"é€\" x");
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (15, 1));
    }

    #[test]
    fn spans_inside_a_multibyte_char_do_not_panic() {
        let text = "a: é\n";
        let excerpt = excerpt_at(text, 4, 5);
        assert_eq!((excerpt.caret_start, excerpt.caret_len), (3, 1));
    }

    #[test]
    fn control_characters_are_not_printed() {
        let text = "a: \x1b[2Jb\u{202e}c\n";
        let excerpt = excerpt_at(text, 0, 1);
        assert!(!excerpt.text.contains('\x1b'));
        assert!(!excerpt.text.contains('\u{202e}'));
        assert_eq!(excerpt.text.chars().count(), text.trim_end().chars().count());
    }

    #[test]
    fn long_lines_are_cut_around_the_span() {
        let text = format!("{}BAD{}\n", "x".repeat(5000), "y".repeat(5000));
        let excerpt = excerpt_at(&text, 5000, 5003);
        assert!(excerpt.text.starts_with(ELLIPSIS) && excerpt.text.ends_with(ELLIPSIS));
        assert_eq!(excerpt.text.len(), MAX_EXCERPT_COLUMNS + 2 * ELLIPSIS.len());
        let shown: String = excerpt.text.chars().skip(excerpt.caret_start).take(3).collect();
        assert_eq!(shown, "BAD");
        assert_eq!(excerpt.caret_len, 3);
        // A span at the very end of a long line stays visible.
        let end = text.len() - 1;
        let excerpt = excerpt_at(&text, end, end);
        assert!(excerpt.caret_start <= excerpt.text.chars().count());
    }

    #[test]
    fn summaries() {
        assert_eq!(Counts::default().summary(), "no problems found");
        assert_eq!(Counts { errors: 2, warnings: 1, infos: 0 }.summary(), "2 errors, 1 warning");
        assert_eq!(Counts { errors: 0, warnings: 0, infos: 3 }.summary(), "3 infos");
    }
}
