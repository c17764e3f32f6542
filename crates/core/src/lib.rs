//! meshroute's pure core: Istio outbound configuration in, diagnostics (and later decisions) out.
//!
//! The pipeline is parse ([`yaml`]), decode ([`api`] via [`decode`]), load ([`load`]) and
//! validate ([`validate`]). Nothing here does I/O, reads a clock or draws a random number,
//! so the CLI, the browser playground and the Envoy filter all get byte-identical answers.

pub mod api;
pub mod decode;
pub mod diagnostics;
pub mod engine;
pub mod hash;
pub mod host;
pub mod load;
pub mod protocol;
mod re2;
mod sort;
pub mod text;
pub mod validate;
pub mod workspace;
pub mod yaml;

pub use diagnostics::{Code, Diagnostic, Location, ResourceRef, Severity};
pub use load::{Config, Kind, Resource, Source, SourceFile, Spec, load};
pub use text::{LineCol, SourceId, Span};
pub use workspace::Workspace;

/// Loads and validates the sources: the whole of `meshroute lint`.
pub fn lint(sources: &[Source<'_>]) -> (Config, Vec<Diagnostic>) {
    let (config, mut diagnostics) = load(sources);
    diagnostics.extend(validate::validate(&config));
    config.locate(&mut diagnostics);
    (config, diagnostics)
}
