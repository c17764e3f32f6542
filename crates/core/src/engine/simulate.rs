//! Many requests at once: how a weighted split and consistent hashing spread seeded traffic.
//!
//! Randomness here is a seeded SplitMix64 stream, so a simulation is a pure function of the
//! configuration, the request, `n` and the seed.

use std::net::IpAddr;

use super::index::Mesh;
use super::{HashSource, LoadBalancer, Request};

/// Requests per destination cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationCount {
    pub cluster: String,
    pub count: u32,
}

/// Requests per endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationEndpoint {
    pub cluster: String,
    pub address: String,
    pub port: u32,
    pub count: u32,
}

/// The result of [`Mesh::simulate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    pub n: u32,
    pub seed: u64,
    pub clients: u32,
    /// What varies between simulated callers (`cookie session`, `source IP`...), if anything.
    pub varied: Option<String>,
    pub destinations: Vec<SimulationCount>,
    pub endpoints: Vec<SimulationEndpoint>,
    /// Callers whose requests all reached a single endpoint.
    pub sticky_clients: u32,
}

/// The largest `n` a simulation runs; more says nothing new and only costs time.
pub(crate) const MAX_SIMULATED_REQUESTS: u32 = 1_000_000;
/// Simulated callers: each keeps its cookie, header, query value or source IP.
pub(crate) const SIMULATED_CLIENTS: u32 = 10;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0); the bias of a modulo on 64 bits is negligible here.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

impl Mesh {
    /// Sends `n` seeded variants of `request` and counts where they go.
    pub fn simulate(&self, request: &Request, n: u32, seed: u64) -> Simulation {
        let n = n.min(MAX_SIMULATED_REQUESTS);
        let mut rng = SplitMix64(seed);
        let base = self.explain(request);
        let clients = SIMULATED_CLIENTS;
        let hash = base.hash.as_ref().map(|h| (h.source, h.name.clone()));
        let varied = hash.as_ref().map(|(source, name)| match (source, name) {
            (HashSource::SourceIp, _) => "source IP".to_string(),
            (source, Some(name)) => format!("{} {name}", source.as_str()),
            (source, None) => source.as_str().to_string(),
        });
        // One request per simulated caller, its hashed field set to a value of its own.
        let variants: Vec<Request> = (0..clients)
            .map(|client| {
                let mut variant = request.clone();
                let token = format!("client-{client}-{:08x}", rng.next() as u32);
                match &hash {
                    Some((HashSource::Cookie, Some(name))) => {
                        variant.cookies.retain(|(k, _)| k != name);
                        variant.cookies.push((name.clone(), token));
                    }
                    Some((HashSource::Header, Some(name))) => {
                        variant.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                        variant.headers.push((name.clone(), token));
                    }
                    Some((HashSource::Query, Some(name))) => {
                        let (path, _) = variant
                            .path
                            .split_once('?')
                            .map_or((variant.path.clone(), String::new()), |(p, q)| {
                                (p.to_string(), q.to_string())
                            });
                        variant.path = format!("{path}?{name}={token}");
                    }
                    Some((HashSource::SourceIp, _)) => {
                        let bits = rng.next();
                        variant.source_ip = IpAddr::from([
                            10,
                            (bits >> 8) as u8,
                            (bits >> 16) as u8,
                            (bits as u8).max(1),
                        ]);
                        variant.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-forwarded-for"));
                    }
                    _ => {}
                }
                variant
            })
            .collect();
        // Passthrough and blackhole traffic has no route destinations; count it under its
        // cluster (or the local reply) so every request lands somewhere.
        let mut destinations = base.destinations.clone();
        if destinations.is_empty() {
            let cluster = base.cluster.clone().unwrap_or_else(|| match base.http_status {
                Some(status) => format!("local reply {status}"),
                None => "connection closed".to_string(),
            });
            destinations.push(super::Destination {
                cluster,
                host: String::new(),
                subset: None,
                port: None,
                weight: 100,
                percent: 100.0,
                exists: true,
            });
        }
        let total: u64 = destinations.iter().map(|d| u64::from(d.weight)).sum();
        // Explanations per (caller, destination), computed on first use.
        let mut cache: Vec<Option<super::Explanation>> =
            vec![None; (clients as usize) * destinations.len().max(1)];
        let mut destination_counts: Vec<u32> = vec![0; destinations.len().max(1)];
        let mut endpoint_counts: Vec<SimulationEndpoint> = Vec::new();
        let mut per_client: Vec<Vec<(String, u32)>> = vec![Vec::new(); clients as usize];
        let mut round_robin: Vec<u64> = vec![0; destinations.len().max(1)];
        for i in 0..n {
            let client = (i % clients) as usize;
            let k = if destinations.len() > 1 && total > 0 {
                let mut r = rng.below(total);
                let mut chosen = 0;
                for (index, d) in destinations.iter().enumerate() {
                    if r < u64::from(d.weight) {
                        chosen = index;
                        break;
                    }
                    r -= u64::from(d.weight);
                }
                chosen
            } else {
                0
            };
            destination_counts[k] += 1;
            let slot = client * destinations.len().max(1) + k;
            if cache[slot].is_none() {
                let mut eval = self.evaluate_following(&variants[client], true, Some(k));
                eval.finish_details(&variants[client]);
                cache[slot] = Some(eval.out);
            }
            let explanation = cache[slot].as_ref().expect("filled above");
            let Some(cluster) = explanation.cluster.clone() else { continue };
            if !explanation.cluster_exists || explanation.endpoints.is_empty() {
                continue;
            }
            let endpoint = match explanation.hash.as_ref().and_then(|h| h.endpoint.clone()) {
                Some(pinned) => pinned,
                None => {
                    let endpoints = &explanation.endpoints;
                    let index = if explanation.load_balancer == Some(LoadBalancer::RoundRobin) {
                        let index = (round_robin[k] % endpoints.len() as u64) as usize;
                        round_robin[k] += 1;
                        index
                    } else {
                        let weights: u64 =
                            endpoints.iter().map(|e| u64::from(e.weight.max(1))).sum();
                        let mut r = rng.below(weights);
                        endpoints
                            .iter()
                            .position(|e| {
                                let w = u64::from(e.weight.max(1));
                                if r < w {
                                    true
                                } else {
                                    r -= w;
                                    false
                                }
                            })
                            .unwrap_or(0)
                    };
                    (endpoints[index].address.clone(), endpoints[index].port)
                }
            };
            match endpoint_counts
                .iter_mut()
                .find(|c| c.cluster == cluster && c.address == endpoint.0 && c.port == endpoint.1)
            {
                Some(count) => count.count += 1,
                None => endpoint_counts.push(SimulationEndpoint {
                    cluster: cluster.clone(),
                    address: endpoint.0.clone(),
                    port: endpoint.1,
                    count: 1,
                }),
            }
            let key = (format!("{cluster} {}", endpoint.0), endpoint.1);
            if !per_client[client].contains(&key) {
                per_client[client].push(key);
            }
        }
        let sticky_clients = per_client.iter().filter(|hit| hit.len() == 1).count() as u32;
        Simulation {
            n,
            seed,
            clients,
            varied,
            destinations: destinations
                .iter()
                .zip(&destination_counts)
                .map(|(d, &count)| SimulationCount { cluster: d.cluster.clone(), count })
                .collect(),
            endpoints: endpoint_counts,
            sticky_clients,
        }
    }
}
