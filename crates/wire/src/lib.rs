//! The explain contract on the wire: request JSON in, explanation JSON out (see `CONTRACT.md`).

use meshroute_core::Source;
use serde_json::Value;

/// A request object that does not fit the contract: a wrong type, an unknown protocol...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

/// Loads the sources, builds the index and explains one request.
pub fn explain(_sources: &[Source<'_>], _request: &Value) -> Result<Value, RequestError> {
    Err(RequestError("the engine is not wired up yet".into()))
}

/// Loads the sources and simulates `n` variants of the request.
pub fn simulate(
    _sources: &[Source<'_>],
    _request: &Value,
    _n: u32,
    _seed: u64,
) -> Result<Value, RequestError> {
    Err(RequestError("the engine is not wired up yet".into()))
}
