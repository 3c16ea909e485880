//! `swarm_e2e`: the composed swarm under sustained load (`ggen_ai::sustained`). Agents run the
//! 6-stage generate pipeline back to back; every stage reads the hive's published configuration and
//! the shared table, works, and commits one operation. One iteration is one committed operation,
//! so the mean is time per operation and the throughput column is operations per second.
//!
//! - `sustained/{snapshot,mutex,dashmap}/{1,2,4,8,16}`: that many agents (pipeline loops, with as
//!   many permits) against the composed design (`SnapshotStore` + optimistic commits checked by
//!   the domain's conflict index), the `Mutex<HashMap>` twin, and a sharded `DashMap`. Side files:
//!   per-operation commit latency (first read to commit), and counters `retries_per_op`,
//!   `conflicts_per_op` and `lost_updates` (asserted to be 0 before it is recorded).
//! - `reads/{snapshot,mutex,dashmap}/2`: single reads of one key, each timed, by a reader thread
//!   while two agents commit continuously: the per-read latency percentiles readers get under
//!   write load (a snapshot read never waits for a writer; a mutex read does).
//!
//! Fixed work per sample (a number of committed operations), not a fixed duration: Criterion
//! chooses the counts, and the throughput is read from the time they took.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use benches_common::harness::Suite;
use benches_common::side;
use criterion::{BenchmarkId, Criterion, Throughput};
use ggen_ai::sustained::{self, MutexWorld, ShardedWorld, SnapshotWorld, Until, World};
use ggen_core::hive::agent::ConsensusConfig;
use ggen_core::hive::pack::Pack;
use ggen_core::hive::queen::{HiveQueen, Published, Strategy};
use ggen_core::runtime;

const SUITE: &str = "swarm_e2e";
const AGENTS: [usize; 5] = [1, 2, 4, 8, 16];

/// A hive with a published configuration for the agents to read.
fn published() -> Arc<Published> {
    let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union);
    let packs: Vec<Pack> = (0..10)
        .map(|i| Pack::new(&format!("pack{i}"), "1.0.0", &format!("ns:pack{i}")))
        .collect();
    q.orchestrate(&packs).expect("packs offered");
    q.published()
}

type Make = fn() -> Arc<dyn World>;

fn sustained(c: &mut Criterion) {
    let hive = published();
    let mut g = c.benchmark_group("sustained");
    g.throughput(Throughput::Elements(1));
    let worlds: [(&str, Make); 3] = [
        ("snapshot", || Arc::new(SnapshotWorld::new())),
        ("mutex", || Arc::new(MutexWorld::default())),
        ("dashmap", || Arc::new(ShardedWorld::default())),
    ];
    for (name, make) in worlds {
        for agents in AGENTS {
            // Checked once before timing: a world that loses updates must not look fast.
            let check = runtime::execute(sustained::run(
                make(),
                Arc::clone(&hive),
                agents,
                Until::Ops(2_000),
            ))
            .expect("runtime");
            assert_eq!(check.lost_updates, 0, "{name}/{agents}");
            let (mut latencies, mut ops, mut retries, mut conflicts, mut lost) =
                (Vec::new(), 0u64, 0u64, 0u64, 0i64);
            g.bench_function(BenchmarkId::new(name, agents), |b| {
                b.iter_custom(|iters| {
                    let r = runtime::execute(sustained::run(
                        make(),
                        Arc::clone(&hive),
                        agents,
                        Until::Ops(iters),
                    ))
                    .expect("runtime");
                    lost += r.lost_updates;
                    ops += r.committed;
                    retries += r.retries;
                    conflicts += r.conflicts;
                    if latencies.len() < 200_000 {
                        latencies.extend(r.commit_ns);
                    }
                    // Scale to exactly `iters` operations (a few more may have finished).
                    r.elapsed.mul_f64(iters as f64 / r.committed.max(1) as f64)
                })
            });
            assert_eq!(lost, 0, "{name}/{agents}: lost updates");
            let id = format!("{SUITE}/sustained/{name}/{agents}");
            let per_op = |n: u64| n as f64 / ops.max(1) as f64;
            side::record_latency_and_counters(
                &id,
                &mut latencies,
                &[
                    ("retries_per_op", per_op(retries)),
                    ("conflicts_per_op", per_op(conflicts)),
                    ("lost_updates", lost as f64),
                ],
            );
        }
    }
    g.finish();
}

fn reads(c: &mut Criterion) {
    let hive = published();
    let mut g = c.benchmark_group("reads");
    let worlds: [(&str, Make); 3] = [
        ("snapshot", || Arc::new(SnapshotWorld::new())),
        ("mutex", || Arc::new(MutexWorld::default())),
        ("dashmap", || Arc::new(ShardedWorld::default())),
    ];
    for (name, make) in worlds {
        let mut samples: Vec<u64> = Vec::new();
        g.bench_function(BenchmarkId::new(name, 2), |b| {
            b.iter_custom(|iters| {
                let world = make();
                let stop = Arc::new(AtomicBool::new(false));
                let load = runtime::spawn(sustained::run(
                    Arc::clone(&world),
                    Arc::clone(&hive),
                    2,
                    Until::Flag(Arc::clone(&stop)),
                ))
                .expect("runtime");
                // Let the writers get going before reading.
                while world.counters() < 100 {
                    std::thread::yield_now();
                }
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let t = Instant::now();
                    black_box(world.peek(i % 64));
                    let d = t.elapsed();
                    total += d;
                    if samples.len() < 200_000 {
                        samples.push(d.as_nanos() as u64);
                    }
                }
                stop.store(true, Ordering::Release);
                let r = runtime::execute(load).expect("runtime").expect("load task");
                assert_eq!(r.lost_updates, 0);
                total
            })
        });
        side::record_latency(&format!("{SUITE}/reads/{name}/2"), &mut samples);
    }
    g.finish();
}

fn main() {
    const THREADS: &str = "agents run on threads at once; the count depends on the interleaving";
    let mut s = Suite::new("swarm_e2e");
    s.criterion("sustained", THREADS, sustained);
    s.criterion("reads", THREADS, reads);
    s.main();
}
