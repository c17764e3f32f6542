//! Validation: what istiod's webhook and the CRD schema reject (errors) or warn about, per
//! resource, then lints across resources for configurations Istio accepts but that do not do
//! what their author meant.
//!
//! Every validator reads the decoded [`crate::api`] types and reports through a [`Ctx`], which
//! attaches the resource and source location. Validators never stop at the first finding unless
//! istiod itself stops there, so the set of findings matches what `kubectl apply` would say.

pub(crate) mod common;
mod destination_rule;
mod lints;
mod service_entry;
mod sidecar_mesh;
mod virtual_service;

use crate::diagnostics::{Code, Diagnostic, ResourceRef, Severity};
use crate::load::{Config, Resource, Spec};
use crate::text::Span;

pub(crate) use common::*;

/// Validates every resource of `config`, then the resources against each other.
pub fn validate(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for resource in &config.resources {
        validate_resource(resource, &mut out);
    }
    lint_across(config, &mut out);
    out
}

/// What istiod's webhook says of one resource on its own; nothing when it failed to decode.
pub(crate) fn validate_resource(resource: &Resource, out: &mut Vec<Diagnostic>) {
    if resource.decode_failed {
        return;
    }
    let mut ctx = Ctx::new(resource, out);
    match &resource.spec {
        Spec::ServiceEntry(spec) => service_entry::validate(&mut ctx, spec),
        Spec::DestinationRule(spec) => destination_rule::validate(&mut ctx, spec),
        Spec::VirtualService(spec) => virtual_service::validate(&mut ctx, spec),
        Spec::Sidecar(spec) => sidecar_mesh::validate_sidecar(&mut ctx, spec),
        Spec::MeshConfig(spec) => sidecar_mesh::validate_mesh_config(&mut ctx, spec),
    }
}

/// The lints that read resources against each other.
pub(crate) fn lint_across(config: &Config, out: &mut Vec<Diagnostic>) {
    lints::lint(config, out);
}

/// Reporting context for one resource.
pub(crate) struct Ctx<'a> {
    pub(crate) resource: &'a Resource,
    reference: ResourceRef,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(resource: &'a Resource, out: &'a mut Vec<Diagnostic>) -> Ctx<'a> {
        Ctx { resource, reference: resource.reference(), out }
    }

    /// The namespace of the resource being validated.
    pub(crate) fn namespace(&self) -> &'a str {
        &self.resource.namespace.value
    }

    /// Reports `code` at `span` for the field `path`, with the code's own severity.
    pub(crate) fn report(
        &mut self,
        code: &'static Code,
        span: Span,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.report_as(code, code.severity, span, path, message);
    }

    pub(crate) fn report_as(
        &mut self,
        code: &'static Code,
        severity: Severity,
        span: Span,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        let diagnostic = Diagnostic::new(code, message)
            .with_severity(severity)
            .at(self.resource.source, span)
            .on(Some(&self.reference))
            .with_path(path);
        self.out.push(diagnostic);
    }

    /// The span to blame for a missing field: the start of its parent mapping.
    pub(crate) fn absent(parent: Span) -> Span {
        Span::at(parent.start)
    }
}
