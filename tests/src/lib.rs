//! Shared support for the fixture harness.
