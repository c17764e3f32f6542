//! End-to-end tests of `meshroute lint`, run against the real binary.
//!
//! One test binary with modules rather than one per file: it links once, and `support` is
//! shared without dead-code warnings.

mod hostile;
mod output;
mod support;
