//! Answers kept by what an HTTP request showed, so that a repeated request is not evaluated again.
//!
//! Egress traffic repeats itself: a sidecar sends most of its requests to a few hosts. When
//! routing read nothing of a request but its authority, the destination port and, where it
//! matters, the destination address (see `request::Reads`), requests with equal values get an
//! equal answer. That is the case unless an HTTP route match of the VirtualService that governs
//! the host looked at the uri, method, headers or query (the core's
//! `Classification::depends_on_request`), so it is decided per answer, not per configuration:
//! one VirtualService matching on a header does not cost the other hosts their kept answers.
//! The filter keeps each such answer (what it writes and what it predicts) under those values
//! and writes it again for the next request that shows them.
//!
//! The table belongs to one configuration, so a new configuration starts empty. It is bounded:
//! authorities longer than [`MAX_AUTHORITY`] are never kept, and at [`CAPACITY`] answers the
//! table is emptied before the next one goes in, so traffic to ever new hosts costs one
//! evaluation per request, as without the table, and no more memory than [`CAPACITY`] answers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::rc::Rc;

use crate::request::Downstream;

/// The most answers kept per configuration.
pub const CAPACITY: usize = 1024;
/// Longer authorities are evaluated every time (no real host is this long).
pub const MAX_AUTHORITY: usize = 256;

/// Answers of type `T` by authority, port and address.
pub struct Answers<T> {
    by_key: HashMap<u64, (Key, Rc<T>), BuildHasherDefault<Identity>>,
}

impl<T> Default for Answers<T> {
    fn default() -> Answers<T> {
        Answers { by_key: HashMap::default() }
    }
}

/// What a kept answer was computed from: compared in full on every hit, so a hash collision
/// is a miss, never a wrong answer.
#[derive(PartialEq, Eq)]
struct Key {
    authority: Box<[u8]>,
    port: Option<u16>,
    address: Option<IpAddr>,
}

impl<T> Answers<T> {
    /// The answer kept for a request with this authority and destination.
    pub fn get(&self, authority: &[u8], downstream: &Downstream) -> Option<Rc<T>> {
        let (key, answer) = self.by_key.get(&hash(authority, downstream))?;
        let same = *key.authority == *authority
            && key.port == downstream.port
            && key.address == downstream.address;
        same.then(|| Rc::clone(answer))
    }

    /// Keeps `answer` for requests with this authority and destination.
    pub fn insert(&mut self, authority: &[u8], downstream: &Downstream, answer: Rc<T>) {
        if authority.len() > MAX_AUTHORITY {
            return;
        }
        if self.by_key.len() >= CAPACITY {
            self.by_key.clear();
        }
        let key =
            Key { authority: authority.into(), port: downstream.port, address: downstream.address };
        self.by_key.insert(hash(authority, downstream), (key, answer));
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// FNV-1a over the authority, port and address: cheap for the short keys it sees, and the map
/// compares whole keys anyway.
fn hash(authority: &[u8], downstream: &Downstream) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(authority);
    eat(&downstream.port.map_or([0xff; 3], |port| {
        let [high, low] = port.to_be_bytes();
        [1, high, low]
    }));
    match downstream.address {
        None => eat(&[0]),
        Some(IpAddr::V4(ip)) => {
            eat(&[4]);
            eat(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            eat(&[6]);
            eat(&ip.octets());
        }
    }
    hash
}

/// The keys are hashes already.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(port: u16, address: Option<&str>) -> Downstream {
        Downstream { address: address.map(|a| a.parse().expect("an IP")), port: Some(port) }
    }

    #[test]
    fn an_answer_is_found_only_under_the_same_authority_port_and_address() {
        let mut answers = Answers::default();
        answers.insert(b"api.example.com", &at(80, None), Rc::new("api:80"));
        answers.insert(b"api.example.com", &at(443, None), Rc::new("api:443"));
        answers.insert(b"api.example.com", &at(80, Some("10.0.0.1")), Rc::new("api:80@10.0.0.1"));
        let get = |authority: &[u8], downstream| answers.get(authority, &downstream).map(|a| *a);
        assert_eq!(get(b"api.example.com", at(80, None)), Some("api:80"));
        assert_eq!(get(b"api.example.com", at(443, None)), Some("api:443"));
        assert_eq!(get(b"api.example.com", at(80, Some("10.0.0.1"))), Some("api:80@10.0.0.1"));
        assert_eq!(get(b"api.example.com", at(80, Some("10.0.0.2"))), None);
        // Raw bytes: the evaluation lowercases, the key does not need to.
        assert_eq!(get(b"API.example.com", at(80, None)), None);
        assert_eq!(get(b"api.example.co", at(80, None)), None);
        assert_eq!(get(b"api.example.com", Downstream { address: None, port: None }), None);
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut answers = Answers::default();
        for index in 0..CAPACITY * 3 + 7 {
            let host = format!("host-{index}.example.com");
            answers.insert(host.as_bytes(), &at(80, None), Rc::new(index));
            assert!(answers.len() <= CAPACITY);
            assert_eq!(answers.get(host.as_bytes(), &at(80, None)).map(|a| *a), Some(index));
        }
        let long = vec![b'a'; MAX_AUTHORITY + 1];
        let before = answers.len();
        answers.insert(&long, &at(80, None), Rc::new(0));
        assert_eq!(answers.len(), before);
        assert!(answers.get(&long, &at(80, None)).is_none());
    }

    #[test]
    fn a_hash_collision_is_a_miss() {
        let mut answers = Answers::default();
        answers.insert(b"a.example.com", &at(80, None), Rc::new(1));
        // Plant another key under the hash of `b.example.com`.
        let stolen = hash(b"b.example.com", &at(80, None));
        let entry = answers.by_key.remove(&hash(b"a.example.com", &at(80, None)));
        answers.by_key.insert(stolen, entry.expect("kept"));
        assert!(answers.get(b"b.example.com", &at(80, None)).is_none());
    }
}
