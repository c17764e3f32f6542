//! Feeds arbitrary bytes to `meshroute_core::lint` and checks what every face relies on.
//!
//! Beyond "no panic, no hang, no unbounded memory" (which libFuzzer's timeout and RSS limit
//! enforce), every located diagnostic must point into a loaded source at a real line: the CLI,
//! the editor and the browser all slice the text with these spans. And the fast YAML reader must
//! build exactly saphyr's documents wherever it reads a text at all.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshroute_core::{Source, lint};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(difference) = meshroute_core::yaml::check_fast_path(text) {
            panic!("the fast YAML reader disagrees with saphyr: {difference}");
        }
    }
    let (config, diagnostics) = lint(&[Source { name: "fuzz.yaml", bytes: data }]);
    for diagnostic in &diagnostics {
        assert!(!diagnostic.message.is_empty(), "{} has no message", diagnostic.code.id);
        let Some(location) = diagnostic.location else { continue };
        let source = config.sources.get(location.source.0 as usize).unwrap_or_else(|| {
            panic!("{} points at a source that was not loaded", diagnostic.code.id)
        });
        let span = location.span;
        assert!(
            span.start <= span.end && span.end as usize <= source.text.len(),
            "{} span {span} is outside the text of {} bytes",
            diagnostic.code.id,
            source.text.len()
        );
        let at = location.line_col.unwrap_or_else(|| {
            panic!("{} left the core without a line and column", diagnostic.code.id)
        });
        assert!(
            source.line_index.line_span(&source.text, at.line).is_some(),
            "{} is on line {}, which the text does not have",
            diagnostic.code.id,
            at.line
        );
    }
});
