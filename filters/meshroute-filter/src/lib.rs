//! meshroute-filter: tags live egress traffic in Envoy with the ServiceEntry that governs it.
//!
//! A proxy-wasm module (Istio WasmPlugin, `wasm32-wasip1`). The routing answer comes from
//! `meshroute-core`'s fast path, the same code as the CLI and the playground; this crate only
//! reads Envoy's view of a request ([`request`]), writes the answer back as filter state,
//! counters and an optional header ([`tags`]), keeps answers for repeated requests
//! ([`answers`]), and reads its configuration ([`config`]). The
//! host-facing parts compile only for Wasm; everything else is tested natively.

pub mod answers;
pub mod config;
pub mod request;
pub mod tags;

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(target_arch = "wasm32")]
mod envoy;
