//! The registry of every diagnostic code, gathered from the area modules.
//!
//! Areas: `MR0xxx` input and decoding, `MR1xxx` ServiceEntry, `MR2xxx` DestinationRule,
//! `MR3xxx` VirtualService, `MR4xxx` Sidecar and mesh settings, `MR5xxx` cross-resource and
//! egress lints that `istiod` accepts but that do not do what their author meant.

pub mod input;

use super::Code;

/// Every code, grouped by area in id order.
pub fn all() -> impl Iterator<Item = &'static Code> {
    [input::ALL].into_iter().flatten().copied()
}

/// Looks a code up by its id (`MR1020`) or its name (`none-with-endpoints`).
pub fn find(id_or_name: &str) -> Option<&'static Code> {
    all().find(|code| code.id == id_or_name || code.name == id_or_name)
}
