//! Envoy's consistent-hash primitives: xxHash64, the ketama ring (`RING_HASH`) and the Maglev table.
//!
//! The evaluator uses these to say which endpoint a request with a given hash lands on. Each piece
//! follows the Envoy source it names; the behaviour (not the code) was read from envoyproxy/envoy:
//!
//! - `source/common/common/hash.h`: `HashUtil::xxHash64` is plain XXH64 with seed 0 by default.
//! - `source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc`: how host weights
//!   are normalised before either structure is built.
//! - `source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc`: ring construction and
//!   lookup.
//! - `source/extensions/load_balancing_policies/maglev/maglev_lb.cc` and `maglev_lb.h`: table
//!   construction and lookup.
//!
//! A host is identified by its hash key: the string Envoy hashes, which is the resolved address as
//! `Address::asString()` prints it (`10.0.0.1:8080`, `[::1]:80`) or, with
//! `use_hostname_for_hashing`, the hostname. Picks return an index into the caller's host slice.

use std::fmt;

#[cfg(test)]
mod tests;

const PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME64_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME64_3: u64 = 0x1656_67B1_9E37_79F9;
const PRIME64_4: u64 = 0x85EB_CA77_C2B2_AE63;
const PRIME64_5: u64 = 0x27D4_EB2F_1656_67C5;

/// XXH64 of `bytes` with `seed`, as `HashUtil::xxHash64` computes it (Envoy passes seed 0 except
/// for Maglev's skip, which uses seed 1).
pub fn xxhash64(bytes: &[u8], seed: u64) -> u64 {
    let mut rest = bytes;
    let mut acc = if bytes.len() >= 32 {
        let mut lanes = [
            seed.wrapping_add(PRIME64_1).wrapping_add(PRIME64_2),
            seed.wrapping_add(PRIME64_2),
            seed,
            seed.wrapping_sub(PRIME64_1),
        ];
        while rest.len() >= 32 {
            let (stripe, tail) = rest.split_at(32);
            for (lane, word) in lanes.iter_mut().zip(stripe.chunks_exact(8)) {
                *lane = xxh64_round(*lane, read_u64(word));
            }
            rest = tail;
        }
        let mut acc = lanes[0]
            .rotate_left(1)
            .wrapping_add(lanes[1].rotate_left(7))
            .wrapping_add(lanes[2].rotate_left(12))
            .wrapping_add(lanes[3].rotate_left(18));
        for lane in lanes {
            acc = (acc ^ xxh64_round(0, lane)).wrapping_mul(PRIME64_1).wrapping_add(PRIME64_4);
        }
        acc
    } else {
        seed.wrapping_add(PRIME64_5)
    };
    // `usize` is at most 64 bits on every target Rust supports, so this widening is lossless.
    acc = acc.wrapping_add(bytes.len() as u64);

    let mut words = rest.chunks_exact(8);
    for word in &mut words {
        acc = (acc ^ xxh64_round(0, read_u64(word)))
            .rotate_left(27)
            .wrapping_mul(PRIME64_1)
            .wrapping_add(PRIME64_4);
    }
    let mut rest = words.remainder();
    if rest.len() >= 4 {
        let (word, tail) = rest.split_at(4);
        let value = u64::from(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        acc = (acc ^ value.wrapping_mul(PRIME64_1))
            .rotate_left(23)
            .wrapping_mul(PRIME64_2)
            .wrapping_add(PRIME64_3);
        rest = tail;
    }
    for &byte in rest {
        acc =
            (acc ^ u64::from(byte).wrapping_mul(PRIME64_5)).rotate_left(11).wrapping_mul(PRIME64_1);
    }

    acc ^= acc >> 33;
    acc = acc.wrapping_mul(PRIME64_2);
    acc ^= acc >> 29;
    acc = acc.wrapping_mul(PRIME64_3);
    acc ^ (acc >> 32)
}

fn xxh64_round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(PRIME64_2)).rotate_left(31).wrapping_mul(PRIME64_1)
}

/// Little-endian word from the first eight bytes; callers always pass exactly eight.
fn read_u64(word: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&word[..8]);
    u64::from_le_bytes(buf)
}

/// One endpoint as the hashing load balancers see it: its hash key and its `load_balancing_weight`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host<'a> {
    /// The string Envoy hashes for this host (see the module documentation).
    pub hash_key: &'a str,
    /// The endpoint's `load_balancing_weight`; Envoy requires at least 1.
    pub weight: u32,
}

/// A host with its weight already normalised, as in Envoy's `NormalizedHostWeightVector`: weights
/// are fractions of the whole priority and sum to 1 (up to rounding). Locality-weighted balancing
/// builds these from locality and host weights; [`normalize_host_weights`] covers the flat case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalizedHostWeight<'a> {
    /// The string Envoy hashes for this host.
    pub hash_key: &'a str,
    /// The host's share of the priority, in (0, 1].
    pub weight: f64,
}

/// Why a ring or table could not be built; each mirrors a check Envoy makes before building.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashLbError {
    /// `minimum_ring_size` above `maximum_ring_size`; Envoy rejects the cluster.
    MinRingSizeAboveMax { min: u64, max: u64 },
    /// A ring size above the proto limit of 8M entries.
    RingSizeAboveLimit(u64),
    /// A Maglev `table_size` that is not prime; Envoy rejects the cluster.
    TableSizeNotPrime(u64),
    /// A Maglev `table_size` above the proto limit of 5000011.
    TableSizeAboveLimit(u64),
    /// The host at this index has weight 0, or a normalised weight that is not in (0, 1].
    InvalidWeight(usize),
    /// Normalised weights summing to more than 1, which Envoy's normalisation never produces.
    NormalizedWeightsAboveOne,
    /// Host weights summing past `u32::MAX`, which Envoy's endpoint validation rejects.
    WeightSumOverflow,
}

impl fmt::Display for HashLbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MinRingSizeAboveMax { min, max } => {
                write!(f, "minimum_ring_size ({min}) > maximum_ring_size ({max})")
            }
            Self::RingSizeAboveLimit(size) => {
                write!(f, "ring size {size} exceeds the limit of {MAX_RING_SIZE_LIMIT}")
            }
            Self::TableSizeNotPrime(size) => write!(f, "maglev table size {size} is not prime"),
            Self::TableSizeAboveLimit(size) => {
                write!(f, "maglev table size {size} exceeds the limit of {MAX_TABLE_SIZE}")
            }
            Self::InvalidWeight(host) => write!(f, "host {host} has an invalid weight"),
            Self::NormalizedWeightsAboveOne => write!(f, "normalized host weights sum above 1"),
            Self::WeightSumOverflow => write!(f, "host weights sum past 4294967295"),
        }
    }
}

impl std::error::Error for HashLbError {}

/// Normalises flat host weights the way `normalizeHostWeights` in `thread_aware_lb_impl.cc` does
/// without locality weighting: each weight divided by the sum, computed in `f64`.
pub fn normalize_host_weights<'a>(
    hosts: &[Host<'a>],
) -> Result<Vec<NormalizedHostWeight<'a>>, HashLbError> {
    let mut sum: u64 = 0;
    for (index, host) in hosts.iter().enumerate() {
        if host.weight == 0 {
            return Err(HashLbError::InvalidWeight(index));
        }
        sum += u64::from(host.weight);
        if sum > u64::from(u32::MAX) {
            return Err(HashLbError::WeightSumOverflow);
        }
    }
    // The sum fits in u32 (checked above), so it converts to f64 exactly.
    let sum = sum as f64;
    Ok(hosts
        .iter()
        .map(|host| NormalizedHostWeight {
            hash_key: host.hash_key,
            // Envoy multiplies by the locality's normalised weight (1.0 here) before dividing;
            // keeping that order keeps the rounding identical.
            weight: f64::from(host.weight) * 1.0 / sum,
        })
        .collect())
}

/// Checks normalised weights and returns Envoy's (min, max) over them, seeded with 1.0 and 0.0 as
/// `ThreadAwareLoadBalancerBase::refresh` seeds them.
fn weight_bounds(hosts: &[NormalizedHostWeight<'_>]) -> Result<(f64, f64), HashLbError> {
    let mut min = 1.0f64;
    let mut max = 0.0f64;
    let mut sum = 0.0f64;
    for (index, host) in hosts.iter().enumerate() {
        // Weights outside (0, 1] never come out of Envoy's normalisation; refusing them also
        // bounds how many entries a ring can get.
        if !(host.weight > 0.0 && host.weight <= 1.0) {
            return Err(HashLbError::InvalidWeight(index));
        }
        sum += host.weight;
        min = min.min(host.weight);
        max = max.max(host.weight);
    }
    // Rounding leaves Envoy's sums within a few ulps of 1; anything well above is not a
    // normalisation, and would also let a ring grow past max_ring_size.
    if sum > 1.0 + 1e-6 {
        return Err(HashLbError::NormalizedWeightsAboveOne);
    }
    Ok((min, max))
}

/// Envoy's default `minimum_ring_size` (`ring_hash_lb.h`).
pub const DEFAULT_MIN_RING_SIZE: u64 = 1024;
/// Envoy's default `maximum_ring_size`, 8M entries (`ring_hash_lb.h`).
pub const DEFAULT_MAX_RING_SIZE: u64 = 8 * 1024 * 1024;
/// The largest ring size the `RingHash` proto accepts (`lte: 8388608` in `ring_hash.proto`).
pub const MAX_RING_SIZE_LIMIT: u64 = 8_388_608;

/// One point on the ring: the hash of `"<hash_key>_<i>"` and the index of the host it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingEntry {
    pub hash: u64,
    pub host: usize,
}

/// Envoy's ketama ring for `RING_HASH` with the default `XX_HASH` hash function.
///
/// `MURMUR_HASH_2` is not implemented: rings built here always hash with xxHash64, so a cluster
/// configured with `hash_function: MURMUR_HASH_2` must not be predicted with this type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ring {
    entries: Vec<RingEntry>,
}

impl Ring {
    /// Builds the ring for hosts with integer weights (no locality weighting).
    pub fn new(
        hosts: &[Host<'_>],
        min_ring_size: u64,
        max_ring_size: u64,
    ) -> Result<Self, HashLbError> {
        check_ring_sizes(min_ring_size, max_ring_size)?;
        Self::from_normalized(&normalize_host_weights(hosts)?, min_ring_size, max_ring_size)
    }

    /// Builds the ring from normalised weights, as `RingHashLoadBalancer::Ring`'s constructor in
    /// `ring_hash_lb.cc` does. Host indices in the ring refer to `hosts`.
    pub fn from_normalized(
        hosts: &[NormalizedHostWeight<'_>],
        min_ring_size: u64,
        max_ring_size: u64,
    ) -> Result<Self, HashLbError> {
        check_ring_sizes(min_ring_size, max_ring_size)?;
        let (min_weight, _) = weight_bounds(hosts)?;
        if hosts.is_empty() {
            return Ok(Self::default());
        }

        // The lightest host gets a whole number of entries at min_ring_size, everything else scales
        // with it, and the total is capped at max_ring_size. Both sizes are at most 8M, so their
        // conversion to f64 is exact.
        let scale =
            ((min_weight * min_ring_size as f64).ceil() / min_weight).min(max_ring_size as f64);

        // Running totals across all hosts decide how many entries each host gets, so fractional
        // shares are carried over to the next host instead of being rounded per host.
        let mut entries = Vec::new();
        let mut key = String::new();
        let mut current = 0.0f64;
        let mut target = 0.0f64;
        for (index, host) in hosts.iter().enumerate() {
            target += scale * host.weight;
            let mut replica: u64 = 0;
            while current < target {
                key.clear();
                key.push_str(host.hash_key);
                key.push('_');
                key.push_str(&replica.to_string());
                entries.push(RingEntry { hash: xxhash64(key.as_bytes(), 0), host: index });
                replica += 1;
                current += 1.0;
            }
        }
        // Envoy sorts by hash alone with an unstable sort, so equal hashes (only possible when two
        // hosts share a hash key) have no defined order there; a stable sort keeps insertion order.
        crate::sort::sort_by_key(&mut entries, |entry| entry.hash);
        Ok(Self { entries })
    }

    /// The ring's entries in ascending hash order.
    pub fn entries(&self) -> &[RingEntry] {
        &self.entries
    }

    /// The host for `hash`: the first entry whose hash is at least `hash`, wrapping to the first
    /// entry past the end. `None` on an empty ring. Envoy finds it with ketama's binary search in
    /// `Ring::chooseHost`, which lands on the same entry.
    pub fn pick(&self, hash: u64) -> Option<usize> {
        self.pick_attempt(hash, 0)
    }

    /// The host for a retry: attempt `n` moves `n` entries further round the ring, as Envoy does
    /// when a retry host predicate rejected earlier picks.
    pub fn pick_attempt(&self, hash: u64, attempt: u32) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mut position = self.entries.partition_point(|entry| entry.hash < hash);
        if position == self.entries.len() {
            position = 0;
        }
        // Added in u64 so a large attempt cannot overflow a 32-bit usize (wasm32); the remainder
        // is below the ring's length and so fits back into usize.
        let len = self.entries.len() as u64;
        let position = ((position as u64 + u64::from(attempt)) % len) as usize;
        self.entries.get(position).map(|entry| entry.host)
    }
}

fn check_ring_sizes(min: u64, max: u64) -> Result<(), HashLbError> {
    if min > MAX_RING_SIZE_LIMIT {
        return Err(HashLbError::RingSizeAboveLimit(min));
    }
    if max > MAX_RING_SIZE_LIMIT {
        return Err(HashLbError::RingSizeAboveLimit(max));
    }
    if min > max {
        return Err(HashLbError::MinRingSizeAboveMax { min, max });
    }
    Ok(())
}

/// Envoy's default Maglev `table_size` (`MaglevTable::DefaultTableSize` in `maglev_lb.h`).
pub const DEFAULT_TABLE_SIZE: u64 = 65537;
/// The largest table size the `Maglev` proto accepts (`lte: 5000011` in `maglev.proto`).
pub const MAX_TABLE_SIZE: u64 = 5_000_011;

/// Envoy's Maglev lookup table (`OriginalMaglevTable`; the compact variant fills identically).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaglevTable {
    table: Vec<usize>,
}

/// A host's state while the table fills (Envoy's `TableBuildEntry`).
struct TableBuildEntry {
    host: usize,
    offset: u64,
    skip: u64,
    weight: f64,
    target_weight: f64,
    next: u64,
}

impl MaglevTable {
    /// Builds the table for hosts with integer weights (no locality weighting).
    pub fn new(hosts: &[Host<'_>], table_size: u64) -> Result<Self, HashLbError> {
        check_table_size(table_size)?;
        Self::from_normalized(&normalize_host_weights(hosts)?, table_size)
    }

    /// Builds the table from normalised weights, as `MaglevTable::constructMaglevTableInternal`
    /// and `OriginalMaglevTable::constructImplementationInternals` in `maglev_lb.cc` do. Slots
    /// hold indices into `hosts`.
    pub fn from_normalized(
        hosts: &[NormalizedHostWeight<'_>],
        table_size: u64,
    ) -> Result<Self, HashLbError> {
        check_table_size(table_size)?;
        let (_, max_weight) = weight_bounds(hosts)?;
        if hosts.is_empty() {
            return Ok(Self::default());
        }

        // Envoy fills in hash-key order so the table does not depend on the order hosts arrive in.
        // It sorts (key, host pointer, weight) tuples, so hosts sharing a key are ordered by
        // pointer there; a stable sort by key keeps input order instead.
        let mut order: Vec<usize> = (0..hosts.len()).collect();
        crate::sort::sort_by(&mut order, |&a, &b| hosts[a].hash_key.cmp(hosts[b].hash_key));
        let mut entries: Vec<TableBuildEntry> = order
            .into_iter()
            .map(|index| {
                let key = hosts[index].hash_key.as_bytes();
                TableBuildEntry {
                    host: index,
                    // Two differently seeded hashes give each host its own permutation; the skip
                    // is in [1, size - 1], so with a prime size it visits every slot.
                    offset: xxhash64(key, 0) % table_size,
                    skip: xxhash64(key, 1) % (table_size - 1) + 1,
                    weight: hosts[index].weight,
                    target_weight: 0.0,
                    next: 0,
                }
            })
            .collect();

        // A table of at most 5000011 slots: the length and every slot index fit in usize.
        let size = table_size as usize;
        let mut table = vec![usize::MAX; size];
        let mut filled = 0usize;
        let mut iteration: u32 = 1;
        while filled < size {
            for entry in &mut entries {
                if filled == size {
                    break;
                }
                // The heaviest host takes a slot every round; a host with a third of that weight
                // takes one every third round.
                if f64::from(iteration) * entry.weight < entry.target_weight {
                    continue;
                }
                entry.target_weight += max_weight;
                let mut slot = permutation(entry, table_size);
                while table[slot] != usize::MAX {
                    entry.next += 1;
                    slot = permutation(entry, table_size);
                }
                table[slot] = entry.host;
                entry.next += 1;
                filled += 1;
            }
            iteration = iteration.wrapping_add(1);
        }
        Ok(Self { table })
    }

    /// The table's slots; each holds an index into the hosts it was built from.
    pub fn slots(&self) -> &[usize] {
        &self.table
    }

    /// The host for `hash`: slot `hash % table_size`. `None` on an empty table.
    pub fn pick(&self, hash: u64) -> Option<usize> {
        self.pick_attempt(hash, 0)
    }

    /// The host for a retry: attempt `n > 0` flips the hash with `2^64 - n` first, as
    /// `OriginalMaglevTable::chooseHost` does when a retry host predicate rejected earlier picks.
    pub fn pick_attempt(&self, hash: u64, attempt: u32) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        let hash = if attempt > 0 { hash ^ u64::from(attempt).wrapping_neg() } else { hash };
        // The table has at most 5000011 slots, so the remainder fits in usize.
        let slot = (hash % self.table.len() as u64) as usize;
        self.table.get(slot).copied()
    }
}

/// Slot `next` of a host's permutation. The product stays far below 2^64 (both factors are under
/// the table size), but wrapping arithmetic keeps Envoy's `uint64_t` semantics regardless.
fn permutation(entry: &TableBuildEntry, table_size: u64) -> usize {
    let slot = entry.offset.wrapping_add(entry.skip.wrapping_mul(entry.next)) % table_size;
    // Below table_size, which fits in usize.
    slot as usize
}

fn check_table_size(size: u64) -> Result<(), HashLbError> {
    if size > MAX_TABLE_SIZE {
        return Err(HashLbError::TableSizeAboveLimit(size));
    }
    if !is_prime(size) {
        return Err(HashLbError::TableSizeNotPrime(size));
    }
    Ok(())
}

/// Trial division; table sizes are at most 5000011, so this takes a few thousand steps.
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut divisor = 2u64;
    while divisor * divisor <= n {
        if n % divisor == 0 {
            return false;
        }
        divisor += 1;
    }
    true
}
