//! One stable sort for the whole core, so the standard library's sort is instantiated once.
//!
//! `slice::sort_by` is generic over the element and the comparator, and each of the core's
//! sort sites used to carry its own copy of the standard library's merge and quick sorts, about
//! 70 KB of the browser module. Here the library sorts `u32` indices through one `dyn`
//! comparator, and the elements are then moved into place by following the permutation's
//! cycles, which is a few dozen bytes per element type. Sorting is never on a per-request path.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`.
pub(crate) fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    sort_indices(&mut order, &mut |a, b| compare(&items[a as usize], &items[b as usize]));
    // `order[k]` is where the element that belongs at `k` is now. Each cycle of the permutation
    // is walked once; a visited position is marked by pointing at itself.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Sorts `items` stably by the key `key` gives.
pub(crate) fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` into ascending order.
pub(crate) fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

#[inline(never)]
fn sort_indices(order: &mut [u32], compare: &mut dyn FnMut(u32, u32) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_like_the_standard_library() {
        let mut mix = 0x2545_F491_4F6C_DD1Du64;
        for len in [0, 1, 2, 3, 7, 64, 1000] {
            let items: Vec<(u8, u32)> = (0..len)
                .map(|index| {
                    mix ^= mix << 13;
                    mix ^= mix >> 7;
                    mix ^= mix << 17;
                    ((mix % 5) as u8, index)
                })
                .collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |item| item.0);
            let mut theirs = items.clone();
            theirs.sort_by_key(|item| item.0);
            assert_eq!(ours, theirs, "length {len}");
        }
    }
}
