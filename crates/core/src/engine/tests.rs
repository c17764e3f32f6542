//! Unit tests of the engine's building blocks; whole-request behaviour lives in the corpus.
