//! The registry of every diagnostic code, gathered from the area modules.
//!
//! Areas: `MR0xxx` input and decoding, `MR1xxx` ServiceEntry, `MR2xxx` DestinationRule,
//! `MR3xxx` VirtualService, `MR4xxx` Sidecar and mesh settings, `MR5xxx` cross-resource and
//! egress lints that `istiod` accepts but that do not do what their author meant.

pub mod destination_rule;
pub mod input;
pub mod lints;
pub mod service_entry;
pub mod sidecar_mesh;
pub mod values;
pub mod virtual_service;

use super::Code;

/// Every code, grouped by area in id order.
pub fn all() -> impl Iterator<Item = &'static Code> {
    [
        input::ALL,
        values::ALL,
        service_entry::ALL,
        destination_rule::ALL,
        virtual_service::ALL,
        sidecar_mesh::ALL,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// Looks a code up by its id (`MR1020`) or its name (`none-with-endpoints`).
pub fn find(id_or_name: &str) -> Option<&'static Code> {
    all().find(|code| code.id == id_or_name || code.name == id_or_name)
}

/// The registry as a Markdown table, written to `crates/core/DIAGNOSTICS.md` and kept current by
/// a test.
pub fn markdown() -> String {
    let mut out = String::from(
        "# meshroute diagnostics\n\n\
         Generated from the registry in `crates/core/src/diagnostics/codes/`; do not edit by hand\n\
         (`UPDATE_EXPECT=1 cargo test -p meshroute-tests --test corpus` rewrites it).\n\n\
         Codes are stable: an id and its name never change meaning once released.\n\n\
         | code | name | severity | istioctl | meaning and fix |\n| --- | --- | --- | --- | --- |\n",
    );
    for code in all() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            code.id,
            code.name,
            code.severity,
            code.istio.unwrap_or(""),
            code.description().replace('|', "\\|")
        ));
    }
    out
}
