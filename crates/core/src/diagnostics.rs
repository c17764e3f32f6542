//! Diagnostics as data: a stable code, a severity, the resource and field they concern, and where.
//!
//! Codes are `const` [`Code`] values declared with [`define_codes!`] in the module that reports
//! them (`codes/*.rs`), and gathered into one registry, [`codes::ALL`], from which
//! `docs/diagnostics.md` is generated. A code's id (`MR1020`) and name never change once
//! released; retired codes stay in the registry.

pub mod codes;

use std::fmt;

use crate::text::{LineCol, SourceId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the diagnostic registry.
#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    /// Stable identifier, `MR` and four digits; the first digit names the area.
    pub id: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    /// The `istioctl analyze` code reporting the same finding, if there is one.
    pub istio: Option<&'static str>,
    /// The doc comment lines of the code's declaration: a summary sentence, then how to fix it.
    /// Empty unless the core's `code-docs` feature is on (the tests turn it on).
    pub doc: &'static [&'static str],
}

impl Code {
    /// The first sentence of the code's documentation.
    pub fn summary(&self) -> &'static str {
        self.doc.first().map_or("", |line| line.trim())
    }

    /// The whole documentation, one line per doc-comment line.
    pub fn description(&self) -> String {
        self.doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// Declares diagnostic codes as `pub const` items plus an `ALL` slice listing them in order.
///
/// ```text
/// define_codes! {
///     /// Resolution NONE forwards to the original IP, so endpoints are meaningless.
///     NONE_WITH_ENDPOINTS = ("MR1020", "none-with-endpoints", Error, None);
/// }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! define_codes {
    ($( $(#[doc = $doc:literal])+ $name:ident = ($id:literal, $slug:literal, $severity:ident, $istio:expr); )+) => {
        $(
            $(#[doc = $doc])+
            pub const $name: $crate::diagnostics::Code = $crate::diagnostics::Code {
                id: $id,
                name: $slug,
                severity: $crate::diagnostics::Severity::$severity,
                istio: $istio,
                doc: {
                    // The documentation is for people reading `DIAGNOSTICS.md` and the tests
                    // that generate it; the browser module and the filter never show it, and
                    // its 25 KB of text would otherwise ride along in both.
                    #[cfg(feature = "code-docs")]
                    let doc: &[&str] = &[$($doc),+];
                    #[cfg(not(feature = "code-docs"))]
                    let doc: &[&str] = &[];
                    doc
                },
            };
        )+
        /// Every code of this area, in declaration order.
        pub const ALL: &[&$crate::diagnostics::Code] = &[$(&$name),+];
    };
}

/// The Istio resource a diagnostic is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceRef {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.namespace, self.name, self.kind)
    }
}

/// Where in the input a diagnostic points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub source: SourceId,
    pub span: Span,
    /// Filled in from the span when the diagnostic leaves the core, see `Config::locate`.
    pub line_col: Option<LineCol>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: &'static Code,
    pub severity: Severity,
    /// Lowercase, no trailing period; says what is wrong and how to fix it.
    pub message: String,
    pub location: Option<Location>,
    pub resource: Option<ResourceRef>,
    /// The field path, `spec.ports[1].protocol`.
    pub path: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity,
            message: message.into(),
            location: None,
            resource: None,
            path: None,
        }
    }

    pub fn at(mut self, source: SourceId, span: Span) -> Diagnostic {
        self.location = Some(Location { source, span, line_col: None });
        self
    }

    pub fn on(mut self, resource: Option<&ResourceRef>) -> Diagnostic {
        self.resource = resource.cloned();
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Orders diagnostics by position in the input, then by code, so every face prints them alike.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    crate::sort::sort_by(diagnostics, |a, b| {
        let key = |d: &Diagnostic| d.location.map(|loc| (loc.source, loc.span.start, loc.span.end));
        key(a)
            .is_none()
            .cmp(&key(b).is_none())
            .then(key(a).cmp(&key(b)))
            .then(a.code.id.cmp(b.code.id))
    });
}
