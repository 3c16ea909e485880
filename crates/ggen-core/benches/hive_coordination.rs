//! `hive_coordination`: the hive's orchestration and its parts, against naive twins.
//!
//! - `orchestrate/queen/{10,100,1000}`: `HiveQueen::orchestrate` (Union, two-thirds consensus, one
//!   agent per role, pooled) over a generated pack set (10% class collisions, requirement chains
//!   of 3, majors 1..=3). Each operation is timed on its own inside `iter_custom`, and the
//!   per-operation p50/p95/p99 of every orchestration Criterion ran are written to the side file:
//!   those are latency percentiles, unlike Criterion's sample means.
//! - `pack_conflicts/{naive,indexed}/{20,100,1000}`: pairwise twin vs hash-indexed detection.
//! - `agent_spawn/{sequential,parallel}/{8,16,64}`: creating that many agents one by one vs with
//!   rayon (the data behind `PARALLEL_SPAWN_THRESHOLD`).
//! - `consensus_tally/votes/{6,60,600}`: tallying that many votes.
//! - `agent_memory/agents/100`: bytes allocated to spawn 100 agents (counting allocator).

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use benches_common::alloc::AllocatedBytes;
use benches_common::harness::{Routine, Suite};
use benches_common::side::{self, Unit};
use benches_common::workload::packs::{self, PackSpec};
use criterion::{BenchmarkId, Criterion};
use ggen_core::hive::agent::{AgentRole, Ballot, ConsensusConfig, Decision, Vote};
use ggen_core::hive::conflict::{detect_indexed, detect_pairwise};
use ggen_core::hive::pack::Pack;
use ggen_core::hive::queen::{HiveQueen, SpawnMode, Strategy, spawn_agents};

benches_common::install_counting_allocator!();

const SUITE: &str = "hive_coordination";
const SEED: u64 = benches_common::rng::DEFAULT_SEED;

fn pack_set(n: usize) -> Vec<Pack> {
    packs::generate(&PackSpec::new(n, SEED))
        .iter()
        .map(|d| Pack::from_value("generated", &d.to_json()).expect("generated packs are valid"))
        .collect()
}

fn orchestrate(s: &mut Suite) {
    for n in [10usize, 100, 1000] {
        s.bench("orchestrate", "queen", n, move || {
            let packs = pack_set(n);
            let mut queen = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union);
            let r = queen.orchestrate(&packs).expect("packs offered");
            assert_eq!(r.decision(), Decision::Accepted, "{:?}", r.votes);
            assert_eq!(
                r.packs.len(),
                n,
                "Union keeps every generated pack (collisions merge)"
            );
            assert!(!r.conflicts.is_empty() || n < 20);
            let samples = Rc::new(RefCell::new(Vec::<u64>::new()));
            let recorded = Rc::clone(&samples);
            Routine::custom(move |iters| {
                let mut total = Duration::ZERO;
                let mut samples = samples.borrow_mut();
                for _ in 0..iters {
                    let t = Instant::now();
                    black_box(queen.orchestrate(&packs).expect("packs offered"));
                    let d = t.elapsed();
                    total += d;
                    samples.push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
                }
                total
            })
            .finish(move || {
                side::record_latency(
                    &format!("{SUITE}/orchestrate/queen/{n}"),
                    &mut recorded.borrow_mut(),
                )
            })
        })
        .throughput(n as u64)
        .records_latency()
        .counted((2000 / n as u64).max(4));
    }
}

fn pack_conflicts(s: &mut Suite) {
    for n in [20usize, 100, 1000] {
        let checked = move || {
            let packs = pack_set(n);
            let indexed = detect_indexed(&packs);
            assert_eq!(detect_pairwise(&packs), indexed);
            assert!(!indexed.is_empty(), "the generated set has conflicts");
            packs
        };
        s.bench("pack_conflicts", "naive", n, move || {
            let packs = checked();
            Routine::iter(move || detect_pairwise(&packs))
        })
        .throughput(n as u64)
        .counted((2000 / n as u64).max(2));
        s.bench("pack_conflicts", "indexed", n, move || {
            let packs = checked();
            Routine::iter(move || detect_indexed(&packs))
        })
        .throughput(n as u64)
        .counted((20_000 / n as u64).max(4));
    }
}

fn agent_spawn(s: &mut Suite) {
    for n in [8usize, 16, 64] {
        s.bench("agent_spawn", "sequential", n, move || {
            assert_eq!(spawn_agents(0, n, SpawnMode::Sequential).len(), n);
            Routine::iter(move || spawn_agents(0, n, SpawnMode::Sequential))
        })
        .throughput(n as u64)
        .counted(2_000);
        s.bench("agent_spawn", "parallel", n, move || {
            assert_eq!(spawn_agents(0, n, SpawnMode::Parallel).len(), n);
            Routine::iter(move || spawn_agents(0, n, SpawnMode::Parallel))
        })
        .throughput(n as u64)
        .uncounted("rayon threads share the work");
    }
}

fn consensus_tally(s: &mut Suite) {
    for n in [6usize, 60, 600] {
        s.bench("consensus_tally", "votes", n, move || {
            let consensus = ConsensusConfig::two_thirds();
            let votes: Vec<Vote> = (0..n)
                .map(|i| Vote {
                    agent: i as u32,
                    role: AgentRole::ALL[i % 6],
                    ballot: match i % 6 {
                        0 => Ballot::Abstain,
                        1 => Ballot::Reject,
                        _ => Ballot::Approve,
                    },
                    confidence: 0.9,
                    reasons: vec![],
                })
                .collect();
            assert_eq!(consensus.tally(&votes).decision, Decision::Accepted);
            Routine::iter(move || consensus.tally(&votes))
        })
        .throughput(n as u64)
        .counted((200_000 / n as u64).max(4));
    }
}

fn agent_memory(c: &mut Criterion<AllocatedBytes>) {
    let mut g = c.benchmark_group("agent_memory");
    assert_eq!(spawn_agents(0, 100, SpawnMode::Sequential).len(), 100);
    side::record_unit(&format!("{SUITE}/agent_memory/agents/100"), Unit::Bytes);
    g.bench_function(BenchmarkId::new("agents", 100), |b| {
        b.iter(|| spawn_agents(0, 100, SpawnMode::Sequential))
    });
    g.finish();
}

fn main() {
    let mut s = Suite::new(SUITE);
    orchestrate(&mut s);
    pack_conflicts(&mut s);
    agent_spawn(&mut s);
    consensus_tally(&mut s);
    s.allocations("agent_memory", agent_memory);
    s.main();
}
