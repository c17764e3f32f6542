//! Benchmark: parse and validate a large generated mesh configuration, as `meshroute lint` does.
//!
//! The configuration is one YAML text of 10,000 ServiceEntries (exact and wildcard hosts,
//! several resolutions), 1,000 DestinationRules and 1,000 VirtualServices; the target is under
//! 300 ms for the whole lint on the project's 2-core machine.

use criterion::{Criterion, criterion_group, criterion_main};

mod common;
use common::generate;
use meshroute_core::{Source, lint};

fn bench_lint(c: &mut Criterion) {
    let text = generate(10_000, 1_000, 1_000);
    let (config, diagnostics) = lint(&[Source { name: "mesh.yaml", bytes: text.as_bytes() }]);
    // Guard against benchmarking a broken input: the generated mesh must load whole and clean.
    assert_eq!(config.resources.len(), 12_000, "every generated resource loads");
    let errors: Vec<_> =
        diagnostics.iter().filter(|d| d.is_error()).take(3).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "the generated mesh is valid: {errors:?}");
    eprintln!(
        "input: {:.1} MB, {} resources, {} diagnostics",
        text.len() as f64 / 1e6,
        config.resources.len(),
        diagnostics.len()
    );
    let mut group = c.benchmark_group("lint");
    group.sample_size(20);
    group.bench_function("10k-se-1k-dr-1k-vs", |b| {
        b.iter(|| lint(&[Source { name: "mesh.yaml", bytes: text.as_bytes() }]))
    });
    group.finish();
}

criterion_group!(benches, bench_lint);
criterion_main!(benches);
