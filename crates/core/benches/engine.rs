//! Benchmark: the evaluation engine on a large generated mesh.
//!
//! Targets (issue 3), on 10,000 ServiceEntries, 1,000 DestinationRules and 1,000
//! VirtualServices: index build under 200 ms; the per-request fast path (`Mesh::classify`, what
//! the Envoy filter calls) under 500 ns median and flat in the number of entries; a full
//! explanation under 50 µs median. The index's memory is measured with a counting allocator and
//! printed before the timings.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use meshroute_core::engine::{Mesh, Request, RequestProtocol};
use meshroute_core::{Config, Source, lint};

mod common;
use common::generate;

/// Counts live and peak heap bytes so the index's footprint can be reported.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)]
// SAFETY: every call forwards to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn load(service_entries: usize, rules: usize, virtual_services: usize) -> Config {
    let text = generate(service_entries, rules, virtual_services);
    let (config, _) = lint(&[Source { name: "mesh.yaml", bytes: text.as_bytes() }]);
    config
}

/// A spread of requests over the generated mesh: VS-routed HTTP, default-route HTTP, wildcard
/// TLS, CIDR TCP and unknown hosts.
fn sample_requests(service_entries: usize) -> Vec<Request> {
    let mut out = Vec::new();
    for k in 0..16 {
        let idx = (k * 613) % (service_entries / 4) * 4;
        let mut routed = Request {
            namespace: format!("team-{}", idx % 50),
            host: Some(format!("api-{idx}.example.com")),
            path: "/v1/checkout/cart".into(),
            headers: vec![("x-tenant".into(), "tenant-42".into())],
            ..Request::default()
        };
        out.push(routed.clone());
        routed.host = Some(format!("api-{}.example.com", idx + 1));
        routed.namespace = format!("team-{}", (idx + 1) % 50);
        routed.path = "/other".into();
        out.push(routed);
        out.push(Request {
            host: Some(format!("login.zone-{}.example.org", idx + 3)),
            protocol: RequestProtocol::Tls,
            ..Request::default()
        });
        out.push(Request {
            host: Some(format!("svc-{}.internal.example.com", idx + 2)),
            port: Some(8080),
            ..Request::default()
        });
        out.push(Request { host: Some(format!("unknown-{k}.example.net")), ..Request::default() });
    }
    out
}

fn bench_engine(c: &mut Criterion) {
    let config = load(10_000, 1_000, 1_000);
    let before = LIVE.load(Ordering::Relaxed);
    let copy = config.clone();
    let config_bytes = LIVE.load(Ordering::Relaxed) - before;
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let mesh = Mesh::new(copy, Vec::new());
    let index_bytes = LIVE.load(Ordering::Relaxed) - start;
    let peak_bytes = PEAK.load(Ordering::Relaxed) - start;
    let mib = |bytes: isize| bytes as f64 / 1048576.0;
    eprintln!(
        "memory over 10k SE + 1k DR + 1k VS: loaded config {:.1} MiB; index {:.1} MiB on top of it ({:.1} MiB peak while building)",
        mib(config_bytes),
        mib(index_bytes),
        mib(peak_bytes)
    );
    let requests = sample_requests(10_000);
    // Guard against timing a broken index: every routed request must find its entry.
    for request in &requests {
        let routed = mesh.classify(request);
        let known = !request.host.as_deref().unwrap_or("").starts_with("unknown");
        assert_eq!(routed.service_entry.is_some(), known, "classification of {:?}", request.host);
    }

    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.bench_function("index-build/10k-se-1k-dr-1k-vs", |b| {
        b.iter_batched(
            || config.clone(),
            |config| Mesh::new(config, Vec::new()),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("classify");
    let small = Mesh::new(load(1_000, 100, 100), Vec::new());
    for (size, mesh) in [(1_000usize, &small), (10_000, &mesh)] {
        let requests = sample_requests(size);
        let mut next = 0;
        group.bench_with_input(BenchmarkId::new("fast-path", size), &size, |b, _| {
            b.iter(|| {
                next = (next + 1) % requests.len();
                black_box(mesh.classify(&requests[next]))
            })
        });
    }
    group.finish();

    // The same mix split by kind (the sample cycles through these five in order).
    let mut group = c.benchmark_group("classify-kind");
    let kinds = ["vs-regex-subset", "default-route", "wildcard-sni", "http-8080", "unknown-host"];
    for (offset, kind) in kinds.iter().enumerate() {
        let picked: Vec<&Request> = requests.iter().skip(offset).step_by(kinds.len()).collect();
        let mut next = 0;
        group.bench_function(*kind, |b| {
            b.iter(|| {
                next = (next + 1) % picked.len();
                black_box(mesh.classify(picked[next]))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("explain");
    let mut next = 0;
    group.bench_function("full/10k-se-1k-dr-1k-vs", |b| {
        b.iter(|| {
            next = (next + 1) % requests.len();
            black_box(mesh.explain(&requests[next]))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
