//! RE2 regular expressions as Istio and Envoy use them: Go's syntax check, and full matching.
//!
//! istiod validates a VirtualService regex with Go's `regexp` ([`check`]); Envoy matches it with
//! RE2 against the whole value (`safe_regex`). Both read the same syntax, and RE2's meaning
//! differs from Rust's `regex` crate in places that decide routes: `\d`, `\s`, `\w` and `\b` are
//! ASCII, and `\pC` leaves out unassigned code points. So the core carries its own small
//! matcher: [`parse`] builds a tree, [`program`] compiles it and runs a Pike VM, linear in the
//! value's length, and [`unicode`] holds the class and case-folding tables. Keeping it here also
//! keeps the browser module and the Envoy filter small (the `regex` crate and its tables were
//! over half of each).

pub(crate) mod check;
mod parse;
mod program;
mod tables;
pub(crate) mod unicode;

#[cfg(test)]
mod tests;

/// A compiled pattern that answers "does the whole value match?".
#[derive(Debug)]
pub(crate) struct Regex {
    program: program::Program,
}

impl Regex {
    /// Compiles `pattern`, which should have passed [`check::check`]; `Err` says what could
    /// not be compiled (a construct Go accepts that RE2 lacks, or a program too large to run).
    pub(crate) fn new(pattern: &str) -> Result<Regex, &'static str> {
        let tree = parse::parse(pattern)?;
        Ok(Regex { program: program::compile(&tree)? })
    }

    /// Whether all of `value` matches, as Envoy's `safe_regex` string matcher decides.
    pub(crate) fn is_full_match(&self, value: &str) -> bool {
        self.program.is_full_match(value)
    }
}
