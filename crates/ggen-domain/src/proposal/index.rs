//! The indexed conflict detectors: an integer-hashed index from key to the proposals touching it
//! (per-key lists in one array), reusable between rounds ([`ConflictDetector`]), and its
//! key-sharded parallel form ([`detect_parallel`]).

use std::collections::HashMap;

use rayon::prelude::*;

use super::{
    Conflict, ConflictSet, Key, Proposal, ProposalId, StateView, classify, conflict, is_stale,
    stale_ids, touched,
};

/// Mixes an integer key (one multiply and a fold). Keys are interned integers chosen by the swarm,
/// not attacker-controlled input, so no keyed hash (SipHash) is needed; it cost about half of the
/// indexed detector's time.
fn mix(k: Key) -> u64 {
    let m = u128::from(k ^ 0x2545_F491_4F6C_DD1D) * 0x9E37_79B9_7F4A_7C15;
    (m as u64) ^ ((m >> 64) as u64)
}

/// A `Hasher` for integer keys using [`mix`].
#[derive(Debug, Default, Clone, Copy)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = mix(k);
    }
}

const NONE: u32 = u32::MAX;

/// key → the proposals touching it, as linked lists in one flat node array: no allocation per key.
/// Each proposal appears at most once per key. Cleared between uses, keeping its capacity.
#[derive(Debug, Default)]
struct Index {
    /// key → (newest node for that key, whether more than one proposal touches it).
    heads: HashMap<Key, (u32, bool), std::hash::BuildHasherDefault<MixHasher>>,
    /// (proposal index, next node).
    nodes: Vec<(u32, u32)>,
    /// Scratch list of one key's proposals.
    touching: Vec<u32>,
}

impl Index {
    /// Indexes the keys of `proposals` for which `keep(key)` holds.
    fn fill(&mut self, proposals: &[Proposal], keep: impl Fn(Key) -> bool) {
        use std::collections::hash_map::Entry;
        let touches: usize = proposals
            .iter()
            .map(|p| p.reads.len() + p.writes.len() + 1)
            .sum();
        self.heads.clear();
        self.nodes.clear();
        self.heads.reserve(touches);
        self.nodes.reserve(touches);
        for (i, p) in proposals.iter().enumerate() {
            let i = i as u32;
            for k in touched(p).filter(|&k| keep(k)) {
                let node = self.nodes.len() as u32;
                match self.heads.entry(k) {
                    Entry::Vacant(v) => {
                        v.insert((node, false));
                        self.nodes.push((i, NONE));
                    }
                    Entry::Occupied(mut o) => {
                        let (head, _) = *o.get();
                        // Proposals are indexed in order, so a repeated touch of `k` by proposal
                        // `i` finds `i` at the head of the list: skip it.
                        if self.nodes[head as usize].0 != i {
                            o.insert((node, true));
                            self.nodes.push((i, head));
                        }
                    }
                }
            }
        }
    }

    /// Appends every conflict on keys shared by two or more proposals.
    fn conflicts(&mut self, proposals: &[Proposal], out: &mut Vec<Conflict>) {
        for (&k, &(head, shared)) in &self.heads {
            if !shared {
                continue;
            }
            self.touching.clear();
            let mut n = head;
            while n != NONE {
                let (i, next) = self.nodes[n as usize];
                self.touching.push(i);
                n = next;
            }
            for (x, &i) in self.touching.iter().enumerate() {
                for &j in &self.touching[x + 1..] {
                    let (a, b) = (&proposals[i as usize], &proposals[j as usize]);
                    if let Some(kind) = classify(a, b, k) {
                        out.push(conflict(a, b, k, kind));
                    }
                }
            }
        }
    }
}

/// Conflict detection with buffers kept between calls.
///
/// A swarm detects conflicts round after round; reusing the detector's index avoids allocating
/// and growing a fresh hash table every round. The free function [`detect_indexed`] uses a fresh
/// detector per call; [`detect_parallel`] keeps no buffers (each shard builds its own index).
#[derive(Debug, Default)]
pub struct ConflictDetector {
    index: Index,
}

impl ConflictDetector {
    /// A detector with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexed detection: builds key → proposals, then checks only proposals that share a key.
    /// Linear in the (proposal, key) touches plus the pairs sharing a key.
    ///
    /// # Panics
    /// If the batch has `u32::MAX` proposals or more.
    pub fn detect_indexed(
        &mut self,
        proposals: &[Proposal],
        state: &impl StateView,
    ) -> ConflictSet {
        assert!(
            proposals.len() < u32::MAX as usize,
            "batch too large to index"
        );
        self.index.fill(proposals, |_| true);
        let mut conflicts = Vec::new();
        self.index.conflicts(proposals, &mut conflicts);
        ConflictSet::canonical(conflicts, stale_ids(proposals, state))
    }
}

/// Indexed detector with fresh buffers; see [`ConflictDetector::detect_indexed`].
pub fn detect_indexed(proposals: &[Proposal], state: &impl StateView) -> ConflictSet {
    ConflictDetector::new().detect_indexed(proposals, state)
}

/// Parallel detection (rayon): the key space is split into one shard per rayon thread by key
/// hash; each shard scans every proposal but indexes only its own keys, so shards share nothing
/// and no maps are merged. The conflicts are concatenated and sorted in parallel. Same result as
/// [`detect_indexed`]; it allocates one index per shard per call, and only pays off when the
/// batch is large and cores are idle.
///
/// # Panics
/// If the batch has `u32::MAX` proposals or more.
pub fn detect_parallel(proposals: &[Proposal], state: &(impl StateView + Sync)) -> ConflictSet {
    assert!(
        proposals.len() < u32::MAX as usize,
        "batch too large to index"
    );
    let shards = rayon::current_num_threads().max(1) as u64;
    // The top bits pick the shard; the map inside a shard uses the low bits.
    let shard_of = |k: Key| (mix(k) >> 40) % shards;
    let mut conflicts: Vec<Conflict> = (0..shards)
        .into_par_iter()
        .flat_map_iter(|s| {
            let mut index = Index::default();
            index.fill(proposals, |k| shard_of(k) == s);
            let mut out = Vec::new();
            index.conflicts(proposals, &mut out);
            out
        })
        .collect();
    conflicts.par_sort_unstable();
    conflicts.dedup();
    let mut stale: Vec<ProposalId> = proposals
        .par_iter()
        .filter(|p| is_stale(p, state))
        .map(|p| p.id)
        .collect();
    stale.par_sort_unstable();
    stale.dedup();
    ConflictSet { conflicts, stale }
}
