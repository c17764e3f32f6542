//! The Istio API messages meshroute reads, field for field as in istio/api, with spans.
//!
//! These are the raw shapes after decoding: every field is optional and keeps its span, enums are
//! typed, and nothing is validated or defaulted yet. `networking.istio.io` `v1`, `v1beta1` and
//! `v1alpha3` share one schema, so one set of types serves all three.

pub mod common;
pub mod destination_rule;
pub mod mesh;
pub mod service_entry;
pub mod sidecar;
pub mod virtual_service;

pub use common::*;
pub use destination_rule::*;
pub use mesh::*;
pub use service_entry::*;
pub use sidecar::*;
pub use virtual_service::*;
