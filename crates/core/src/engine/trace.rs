//! The story of an evaluation: steps with a mark, a sentence and the YAML that decided.

use crate::load::{Config, Resource};
use crate::text::{SourceId, Span};

/// How a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Pass,
    Fail,
    Skip,
    Info,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Pass => "pass",
            StepOutcome::Fail => "fail",
            StepOutcome::Skip => "skip",
            StepOutcome::Info => "info",
        }
    }
}

/// A pointer to the YAML that decided a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// Field path inside the resource, e.g. `spec.http[1].match[0].uri`.
    pub path: String,
    pub source: SourceId,
    pub span: Span,
    /// 1-based line and column (in characters, as diagnostics count them) of `span.start`.
    pub line: u32,
    pub column: u32,
}

/// One stage of the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `settings`, `registry`, `listener`, `virtual_host`, `route`, `destination`,
    /// `destination_rule`, `policy`, `tls`, `endpoints`, `load_balancer`, `result`...
    pub stage: &'static str,
    pub outcome: StepOutcome,
    pub summary: String,
    pub refs: Vec<Ref>,
}

/// Collects steps when enabled; the filter's fast path runs with it off and pays nothing for
/// the sentences.
pub(crate) struct Trace<'c> {
    config: &'c Config,
    enabled: bool,
    pub(crate) steps: Vec<Step>,
    /// Resources the request touched, for picking the lint findings to show.
    pub(crate) touched: Vec<usize>,
}

impl<'c> Trace<'c> {
    pub(crate) fn new(config: &'c Config, enabled: bool) -> Trace<'c> {
        Trace { config, enabled, steps: Vec::new(), touched: Vec::new() }
    }

    /// Records a step; `summary` and `refs` are only built when tracing is on.
    pub(crate) fn step(
        &mut self,
        stage: &'static str,
        outcome: StepOutcome,
        build: impl FnOnce() -> (String, Vec<(usize, String, Span)>),
    ) {
        if !self.enabled {
            return;
        }
        let (summary, refs) = build();
        let refs = refs
            .into_iter()
            .map(|(resource, path, span)| self.reference(resource, path, span))
            .collect();
        self.steps.push(Step { stage, outcome, summary, refs });
    }

    pub(crate) fn touch(&mut self, resource: usize) {
        if self.enabled && !self.touched.contains(&resource) {
            self.touched.push(resource);
        }
    }

    fn reference(&self, resource: usize, path: String, span: Span) -> Ref {
        let res: &Resource = &self.config.resources[resource];
        let file = self.config.source(res.source);
        // An empty span (a field that is absent) points at the resource itself.
        let span = if span.is_empty() && span.start == 0 { res.span } else { span };
        let position = file.line_col(span.start);
        Ref {
            kind: res.kind.as_str(),
            namespace: res.namespace.value.clone(),
            name: res.name.value.clone(),
            path,
            source: res.source,
            span,
            line: position.line,
            column: position.column,
        }
    }
}
