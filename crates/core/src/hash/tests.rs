//! Tests of the consistent-hash primitives: published xxHash64 vectors, expectations ported (as
//! data) from Envoy's `ring_hash_lb_test.cc` and `maglev_lb_test.cc`, and property tests against
//! straightforward reference implementations.

use proptest::prelude::*;

use super::*;

fn hosts<'a>(keys: &[&'a str]) -> Vec<Host<'a>> {
    keys.iter().map(|&hash_key| Host { hash_key, weight: 1 }).collect()
}

const PORTS_90_TO_95: [&str; 6] = [
    "127.0.0.1:90",
    "127.0.0.1:91",
    "127.0.0.1:92",
    "127.0.0.1:93",
    "127.0.0.1:94",
    "127.0.0.1:95",
];
const NAMES_90_TO_95: [&str; 6] = ["90", "91", "92", "93", "94", "95"];

// Envoy's test/common/common/hash_test.cc (seed 0), python-xxhash's README and tests, and values
// computed with the reference C implementation (xxhash.h 0.8.x) for the 32-byte stripe path.
#[test]
fn xxhash64_matches_published_vectors() {
    let cases: &[(&[u8], u64, u64)] = &[
        (b"", 0, 0xEF46_DB37_51D8_E999),
        (b"", 0, 17241709254077376921),
        (b"foo", 0, 3728699739546630719),
        (b"bar", 0, 5234164152756840025),
        (b"foo\nbar", 0, 8917841378505826757),
        (b"lyft", 0, 4400747396090729504),
        (b"a", 0, 15154266338359012955),
        (b"a", 1, 16051599287423682246),
        (b"a", u64::MAX, 6972758980737027682),
        (b"xxhash", 0, 0x32dd_3895_2c4b_c720),
        (b"xxhash", 20141025, 0xb559_b98d_844e_0635),
        (b"I want an unsigned 64-bit seed!", 0, 0xd4cb_0a70_a2b8_c7c1),
        (b"I want an unsigned 64-bit seed!", 1, 0xce50_87f1_2470_d961),
        (b"Nobody inspects the spammish repetition", 0, 0xfbce_a83c_8a37_8bf1),
        (b"Nobody inspects the spammish repetition", 1, 0x43f4_2544_8d95_4db6),
        (b"0123456789abcdef0123456789abcdef", 0, 0x642a_9495_8e71_e6c5),
        (b"0123456789abcdef0123456789abcdef", 20141025, 0x9544_35f9_71b0_530c),
        (
            b"The quick brown fox jumps over the lazy dog, then naps for 64+ bytes!!",
            1,
            0x1818_832e_369c_ee30,
        ),
    ];
    for &(input, seed, expected) in cases {
        assert_eq!(xxhash64(input, seed), expected, "{input:?} seed {seed}");
    }
    let pattern: Vec<u8> = (0..101u32).map(|i| (i * 7 + 3) as u8).collect();
    assert_eq!(xxhash64(&pattern, 0), 0xbad4_d3bf_033b_da4c);
    assert_eq!(xxhash64(&pattern, 1), 0x0b49_1b8d_4e88_2d11);
}

// ring_hash_lb_test.cc, `Basic`: six unweighted hosts, minimum_ring_size 12.
#[test]
fn ring_basic_matches_envoy() {
    let ring = Ring::new(&hosts(&PORTS_90_TO_95), 12, DEFAULT_MAX_RING_SIZE).unwrap();
    let expected_ring: &[(u64, usize)] = &[
        (833437586790550860, 4),
        (928266305478181108, 2),
        (1033482794131418490, 0),
        (3551244743356806947, 5),
        (3851675632748031481, 3),
        (5583722120771150861, 1),
        (6311230543546372928, 1),
        (7700377290971790572, 3),
        (13144177310400110813, 5),
        (13444792449719432967, 2),
        (15516499411664133160, 4),
        (16117243373044804889, 0),
    ];
    let actual: Vec<(u64, usize)> = ring.entries().iter().map(|e| (e.hash, e.host)).collect();
    assert_eq!(actual, expected_ring);
    for (hash, host) in [
        (0, 4),
        (u64::MAX, 4),
        (3551244743356806947, 5),
        (3551244743356806948, 3),
        (16117243373044804880, 0),
    ] {
        assert_eq!(ring.pick(hash), Some(host), "hash {hash}");
    }
}

// ring_hash_lb_test.cc, `BasicWithRetryHostPredicate`: attempt n walks n entries round the ring.
#[test]
fn ring_retry_attempts_match_envoy() {
    let ring = Ring::new(&hosts(&PORTS_90_TO_95), 12, DEFAULT_MAX_RING_SIZE).unwrap();
    // u32::MAX = 12 * 357913941 + 3 lands three entries on, at :95.
    for (attempt, host) in [(0, 4), (1, 2), (2, 0), (13, 2), (u32::MAX, 5)] {
        assert_eq!(ring.pick_attempt(0, attempt), Some(host), "attempt {attempt}");
    }
}

// ring_hash_lb_test.cc, `BasicWithHostname`: the same hosts hashed by hostname.
#[test]
fn ring_by_hostname_matches_envoy() {
    let ring = Ring::new(&hosts(&NAMES_90_TO_95), 12, DEFAULT_MAX_RING_SIZE).unwrap();
    let hashes: Vec<u64> = ring.entries().iter().map(|e| e.hash).collect();
    assert_eq!(
        hashes,
        [
            1975508444536362413,
            2376063919839173711,
            2386806903309390596,
            6749904478991551885,
            6803900775736438537,
            7225015537174310577,
            8787465352164086522,
            11282020843382717940,
            13723418369486627818,
            13776502110861797421,
            14338313586354474791,
            15364271037087512980,
        ]
    );
    for (hash, host) in [(0, 5), (u64::MAX, 5), (7225015537174310577, 2), (6803900775736438537, 3)]
    {
        assert_eq!(ring.pick(hash), Some(host), "hash {hash}");
    }
}

/// Two host keys and the ring Envoy builds from them, as (hash, host index) pairs.
type TwoHostRing = ([&'static str; 2], [(u64, usize); 4]);

// ring_hash_lb_test.cc, `UnevenHosts`: two hosts and minimum_ring_size 3 give two entries each.
#[test]
fn ring_uneven_hosts_match_envoy() {
    let cases: &[TwoHostRing] = &[
        (
            ["127.0.0.1:80", "127.0.0.1:81"],
            [
                (5454692015285649509, 0),
                (7859399908942313493, 1),
                (13838424394637650569, 0),
                (16064866803292627174, 1),
            ],
        ),
        (
            ["127.0.0.1:81", "127.0.0.1:82"],
            [
                (7859399908942313493, 0),
                (8241336090459785962, 1),
                (12882406409176325258, 1),
                (16064866803292627174, 0),
            ],
        ),
    ];
    for (keys, expected) in cases {
        let ring = Ring::new(&hosts(keys), 3, DEFAULT_MAX_RING_SIZE).unwrap();
        let actual: Vec<(u64, usize)> = ring.entries().iter().map(|e| (e.hash, e.host)).collect();
        assert_eq!(actual, expected, "{keys:?}");
        assert_eq!(ring.pick(0), Some(0));
    }
}

// ring_hash_lb_test.cc, `HostWeightedTinyRing`: weights 1, 2, 3 on a ring of exactly six entries.
#[test]
fn ring_weighted_tiny_ring_matches_envoy() {
    let weighted = [
        Host { hash_key: "127.0.0.1:90", weight: 1 },
        Host { hash_key: "127.0.0.1:91", weight: 2 },
        Host { hash_key: "127.0.0.1:92", weight: 3 },
    ];
    let ring = Ring::new(&weighted, 6, 6).unwrap();
    assert_eq!(ring.entries().len(), 6);
    for (hash, host) in [
        (928266305478181108, 2),
        (4443673547860492590, 2),
        (5583722120771150861, 1),
        (6311230543546372928, 1),
        (13444792449719432967, 2),
        (16117243373044804889, 0),
    ] {
        assert_eq!(ring.pick(hash), Some(host), "hash {hash}");
    }
}

// ring_hash_lb_test.cc, `NoHost` and `BadRingSizeBounds`.
#[test]
fn ring_edge_cases() {
    let empty = Ring::new(&[], DEFAULT_MIN_RING_SIZE, DEFAULT_MAX_RING_SIZE).unwrap();
    assert_eq!(empty.pick(0), None);
    assert_eq!(empty.pick_attempt(7, 3), None);
    assert_eq!(
        Ring::new(&hosts(&PORTS_90_TO_95), 20, 10),
        Err(HashLbError::MinRingSizeAboveMax { min: 20, max: 10 })
    );
    assert_eq!(
        Ring::new(&hosts(&PORTS_90_TO_95), 1, MAX_RING_SIZE_LIMIT + 1),
        Err(HashLbError::RingSizeAboveLimit(MAX_RING_SIZE_LIMIT + 1))
    );
    let zero = [Host { hash_key: "a:1", weight: 0 }];
    assert_eq!(Ring::new(&zero, 1, 1), Err(HashLbError::InvalidWeight(0)));
    let heavy = [Host { hash_key: "a:1", weight: u32::MAX }, Host { hash_key: "b:1", weight: 1 }];
    assert_eq!(MaglevTable::new(&heavy, 7), Err(HashLbError::WeightSumOverflow));
}

/// Expected Maglev assignments: hash `i` picks `expected[i % table_size]`.
fn assert_maglev(table: &MaglevTable, expected: &[usize]) {
    assert_eq!(table.slots(), expected);
    for hash in 0..(3 * expected.len() as u64) {
        assert_eq!(
            table.pick(hash),
            Some(expected[(hash % expected.len() as u64) as usize]),
            "hash {hash}"
        );
    }
}

// maglev_lb_test.cc, `Basic`, `BasicStability`, `BasicWithHostName` and `Weighted`.
#[test]
fn maglev_matches_envoy() {
    let by_address = MaglevTable::new(&hosts(&PORTS_90_TO_95), 7).unwrap();
    assert_maglev(&by_address, &[2, 4, 0, 1, 5, 0, 3]);
    let by_name = MaglevTable::new(&hosts(&NAMES_90_TO_95), 7).unwrap();
    assert_maglev(&by_name, &[2, 5, 0, 3, 4, 1, 0]);

    let weighted = [
        Host { hash_key: "127.0.0.1:90", weight: 1 },
        Host { hash_key: "127.0.0.1:91", weight: 2 },
    ];
    let table = MaglevTable::new(&weighted, 17).unwrap();
    assert_maglev(&table, &[1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]);
    let single = [Host { hash_key: "127.0.0.1:90", weight: 7 }];
    assert_maglev(&MaglevTable::new(&single, 17).unwrap(), &[0; 17]);
}

// maglev_lb_test.cc, `BasicWithRetryHostPredicate`: hash 10, then flipped hashes for retries.
#[test]
fn maglev_retry_attempts_match_envoy() {
    let table = MaglevTable::new(&hosts(&PORTS_90_TO_95), 7).unwrap();
    for (attempt, host) in [(0, 1), (1, 0), (2, 5)] {
        assert_eq!(table.pick_attempt(10, attempt), Some(host), "attempt {attempt}");
    }
}

// maglev_lb_test.cc, `LocalityWeightedSameLocalityWeights`, `LocalityWeightedDifferentLocality
// Weights` and `LocalityWeightedLopsided`. Normalised weights are computed the way
// `normalizeLocalityWeights` does: host weight times locality share, over the locality's sum.
#[test]
fn maglev_locality_weighted_matches_envoy() {
    let normalized = |weights: [f64; 2]| {
        [
            NormalizedHostWeight { hash_key: "127.0.0.1:90", weight: weights[0] },
            NormalizedHostWeight { hash_key: "127.0.0.1:91", weight: weights[1] },
        ]
    };
    // Localities {90 (weight 1)} and {91 (weight 2)} with locality weights 1 and 1.
    let same = normalized([1.0 * (1.0 / 2.0) / 1.0, 2.0 * (1.0 / 2.0) / 2.0]);
    assert_maglev(
        &MaglevTable::from_normalized(&same, 17).unwrap(),
        &[1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1],
    );
    // Localities {90}, {92}, {91} with weights 8, 0, 2: the zero-weight locality drops out.
    let different = normalized([1.0 * (8.0 / 10.0) / 1.0, 2.0 * (2.0 / 10.0) / 2.0]);
    assert_maglev(
        &MaglevTable::from_normalized(&different, 17).unwrap(),
        &[1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0],
    );

    // One heavy host in a locality of weight 127 and 1023 light ones sharing weight 1: each light
    // host gets exactly one slot and the heavy host the rest.
    let keys: Vec<String> = (0..1024).map(|port| format!("127.0.0.1:{port}")).collect();
    let lopsided: Vec<NormalizedHostWeight<'_>> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| NormalizedHostWeight {
            hash_key: key,
            weight: if index == 0 { 127.0 / 128.0 } else { (1.0 / 128.0) / 1023.0 },
        })
        .collect();
    let table = MaglevTable::from_normalized(&lopsided, DEFAULT_TABLE_SIZE).unwrap();
    let mut counts = vec![0u64; 1024];
    for &host in table.slots() {
        counts[host] += 1;
    }
    assert_eq!(counts[0], DEFAULT_TABLE_SIZE - 1023);
    assert!(counts[1..].iter().all(|&count| count == 1));
}

// maglev_lb_test.cc, `NoHost` and `NoPrimeNumber`.
#[test]
fn maglev_edge_cases() {
    let empty = MaglevTable::new(&[], DEFAULT_TABLE_SIZE).unwrap();
    assert_eq!(empty.pick(0), None);
    assert_eq!(empty.pick_attempt(3, 1), None);
    for size in [0, 1, 8, 65536] {
        assert_eq!(
            MaglevTable::new(&hosts(&PORTS_90_TO_95), size),
            Err(HashLbError::TableSizeNotPrime(size))
        );
    }
    assert_eq!(
        MaglevTable::new(&hosts(&PORTS_90_TO_95), MAX_TABLE_SIZE + 2),
        Err(HashLbError::TableSizeAboveLimit(MAX_TABLE_SIZE + 2))
    );
    assert!(MaglevTable::new(&hosts(&PORTS_90_TO_95), 2).is_ok());
    let bad = [NormalizedHostWeight { hash_key: "a:1", weight: f64::NAN }];
    assert_eq!(MaglevTable::from_normalized(&bad, 7), Err(HashLbError::InvalidWeight(0)));
    assert_eq!(Ring::from_normalized(&bad, 1, 1), Err(HashLbError::InvalidWeight(0)));
}

/// Reference lookup: scan the sorted ring for the first entry at or above `hash`, else wrap.
fn linear_pick(ring: &Ring, hash: u64) -> Option<usize> {
    let entries = ring.entries();
    let first = entries.first()?;
    Some(entries.iter().find(|entry| entry.hash >= hash).unwrap_or(first).host)
}

/// Reference lookup: ketama's signed binary search as `Ring::chooseHost` in ring_hash_lb.cc runs
/// it, including its quirks (a lower neighbour of 0 for the first entry, wrap to 0 when lost).
fn ketama_pick(ring: &Ring, hash: u64) -> Option<usize> {
    let entries = ring.entries();
    if entries.is_empty() {
        return None;
    }
    let len = entries.len() as i64;
    let (mut low, mut high) = (0i64, len);
    let index = loop {
        let mid = (low + high) / 2;
        if mid == len {
            break 0;
        }
        let value = entries[mid as usize].hash;
        let below = if mid == 0 { 0 } else { entries[mid as usize - 1].hash };
        if hash <= value && hash > below {
            break mid;
        }
        if value < hash {
            low = mid + 1;
        } else {
            high = mid - 1;
        }
        if low > high {
            break 0;
        }
    };
    Some(entries[index as usize].host)
}

/// Up to eight hosts with distinct addresses and weights 1 to 5.
fn weighted_hosts() -> impl Strategy<Value = Vec<(String, u32)>> {
    prop::collection::btree_map(0u16..2000, 1u32..=5, 0..8).prop_map(|hosts| {
        hosts
            .into_iter()
            .map(|(port, weight)| (format!("10.0.{}.{}:{port}", port % 7, port % 251), weight))
            .collect()
    })
}

fn as_hosts(owned: &[(String, u32)]) -> Vec<Host<'_>> {
    owned.iter().map(|(key, weight)| Host { hash_key: key, weight: *weight }).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ring_pick_agrees_with_references(
        owned in weighted_hosts(),
        min in 0u64..64,
        extra in 0u64..256,
        probes in prop::collection::vec(any::<u64>(), 8),
    ) {
        let ring = Ring::new(&as_hosts(&owned), min, min + extra).unwrap();
        let entries = ring.entries();
        prop_assert!(entries.windows(2).all(|pair| pair[0].hash <= pair[1].hash));
        prop_assert!(entries.iter().all(|entry| entry.host < owned.len()));
        // Probe at random points and at, just below and just above every entry.
        let mut hashes = probes;
        for entry in entries {
            hashes.extend([entry.hash, entry.hash.wrapping_sub(1), entry.hash.wrapping_add(1)]);
        }
        hashes.extend([0, u64::MAX]);
        for hash in hashes {
            let picked = ring.pick(hash);
            prop_assert_eq!(picked, linear_pick(&ring, hash));
            prop_assert_eq!(picked, ketama_pick(&ring, hash));
        }
        prop_assert_eq!(&ring, &Ring::new(&as_hosts(&owned), min, min + extra).unwrap());
    }

    #[test]
    fn ring_entry_counts_follow_the_scale(owned in weighted_hosts(), min in 1u64..64) {
        prop_assume!(!owned.is_empty());
        let ring = Ring::new(&as_hosts(&owned), min, DEFAULT_MAX_RING_SIZE).unwrap();
        // Uncapped, the lightest host gets at least min_ring_size * its share, and every host at
        // least one entry.
        let mut counts = vec![0u64; owned.len()];
        for entry in ring.entries() {
            counts[entry.host] += 1;
        }
        let total: u32 = owned.iter().map(|(_, weight)| weight).sum();
        let lightest = owned.iter().map(|(_, weight)| *weight).min().unwrap_or(1);
        let scale = (f64::from(lightest) / f64::from(total) * min as f64).ceil()
            * f64::from(total) / f64::from(lightest);
        prop_assert!(counts.iter().all(|&count| count >= 1));
        prop_assert!((ring.entries().len() as f64 - scale).abs() <= 1.0);
    }

    #[test]
    fn maglev_table_invariants(
        owned in weighted_hosts(),
        size in prop::sample::select(vec![2u64, 7, 13, 101, 1009]),
        rotate in 0usize..8,
    ) {
        let table = MaglevTable::new(&as_hosts(&owned), size).unwrap();
        if owned.is_empty() {
            prop_assert_eq!(table.pick(0), None);
            return Ok(());
        }
        let slots = table.slots();
        prop_assert_eq!(slots.len() as u64, size);
        prop_assert!(slots.iter().all(|&host| host < owned.len()));
        for hash in [0u64, 1, size - 1, size, u64::MAX] {
            prop_assert_eq!(table.pick(hash), Some(slots[(hash % size) as usize]));
        }

        // Hosts are placed in hash-key order, so the order they are given in does not matter.
        let mut rotated = owned.clone();
        rotated.rotate_left(rotate % owned.len());
        let other = MaglevTable::new(&as_hosts(&rotated), size).unwrap();
        let same: Vec<&str> = slots.iter().map(|&h| owned[h].0.as_str()).collect();
        let moved: Vec<&str> = other.slots().iter().map(|&h| rotated[h].0.as_str()).collect();
        prop_assert_eq!(same, moved);

        // Shares track weights: a host that takes a slot every k rounds ends within two slots of
        // its exact share per host (the last, partial round and the first round's head start).
        if size as usize >= owned.len() {
            let total: u32 = owned.iter().map(|(_, weight)| weight).sum();
            let mut counts = vec![0u64; owned.len()];
            for &host in slots {
                counts[host] += 1;
            }
            for (index, (_, weight)) in owned.iter().enumerate() {
                let exact = size as f64 * f64::from(*weight) / f64::from(total);
                let tolerance = 2.0 * owned.len() as f64;
                prop_assert!(
                    (counts[index] as f64 - exact).abs() <= tolerance,
                    "host {} has {} slots, expected about {}", index, counts[index], exact
                );
            }
        }
    }
}
