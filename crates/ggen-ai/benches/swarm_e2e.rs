//! `swarm_e2e`: the composed swarm under sustained load (`ggen_ai::sustained`). Agents run the
//! 6-stage generate pipeline back to back; every stage reads the hive's published configuration and
//! the shared table, works, and commits one operation. One iteration is one committed operation,
//! so the mean is time per operation and the throughput column is operations per second.
//!
//! - `sustained/{versioned,snapshot,mutex,mutex_array,dashmap}/{1,2,16}`: that many agents
//!   (pipeline loops, with as many permits) against the design (`VersionedWorld`: a few versions
//!   per key, lock-free snapshot reads, commits in place), the earlier design kept as a twin
//!   (`SnapshotStore` + optimistic commits of a copied table checked by the domain's conflict
//!   index), the `Mutex<HashMap>` twin, the lock on the design's own layout (`Mutex<[i64; 64]>`),
//!   and a sharded `DashMap`. (`/4` and `/8` were dropped on 2026-12-07 to keep the quick run
//!   under 90 s with two more worlds.) Side files:
//!   per-operation commit latency (first read to commit), and counters `retries_per_op`,
//!   `conflicts_per_op` and `lost_updates` (asserted to be 0 before it is recorded). With two or
//!   more agents a sample counts only if min(agents, CPUs) agents committed in every eighth of
//!   it (from time stamps of every 8th commit) and, in a sample long enough for each agent to
//!   have had turns, every agent committed; others are retaken (`samples_retaken`,
//!   `samples_unproven`).
//! - `sustained/null/{1,2,16}`: the same pipelines over a world that stores nothing
//!   (`NullWorld`): the engine's own cost per operation, the floor under every world.
//! - `engine/null/1`: one agent over the null world on a single-threaded runtime, with every stage
//!   polled on the pipeline's driving task (`Limits::inline_below(Duration::MAX)`, what the
//!   engine chooses anyway for stages this short): the engine's cost per operation as a
//!   deterministic figure, counted under callgrind by `--instructions` (instructions and
//!   estimated cycles per operation, with a budget in budgets.toml).
//! - `reads/{versioned,snapshot,mutex,dashmap}/2`: single reads of one key, each timed, by a
//!   reader thread while two agents commit continuously: the per-read latency percentiles readers
//!   get under write load (a snapshot read never waits for a writer; a mutex read does).
//!
//! - `machine/{independent,shared_work,shared_line}/{1,2}`: what the machine gives on 1 and 2
//!   threads (`benches_common::harness::machine`); the efficiency entry on `sustained` divides
//!   by `shared_work`'s speedup.
//!
//! Fixed work per sample (a number of committed operations), not a fixed duration: Criterion
//! chooses the counts, and the throughput is read from the time they took.

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use benches_common::harness::contention::{self, Sample};
use benches_common::harness::{Routine, Suite};
use benches_common::side;
use ggen_ai::pipeline::Limits;
use ggen_ai::sustained::{
    self, MutexArrayWorld, MutexWorld, NullWorld, ShardedWorld, SnapshotWorld, Until,
    VersionedWorld, World,
};
use ggen_core::hive::agent::ConsensusConfig;
use ggen_core::hive::pack::Pack;
use ggen_core::hive::queen::{HiveQueen, Published, Strategy};
use ggen_core::runtime;

const SUITE: &str = "swarm_e2e";
const AGENTS: [usize; 3] = [1, 2, 16];

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

const WORLDS: [(&str, Make); 5] = [
    ("versioned", || Arc::new(VersionedWorld::new())),
    ("snapshot", || Arc::new(SnapshotWorld::new())),
    ("mutex", || Arc::new(MutexWorld::default())),
    ("mutex_array", || Arc::new(MutexArrayWorld::default())),
    ("dashmap", || Arc::new(ShardedWorld::default())),
];

/// Why these benches are timed only.
const THREADS: &str = "agents run on threads at once; the count depends on the interleaving";

/// What a sustained bench accumulates over its samples, for its side file.
#[derive(Default)]
struct Totals {
    latencies: Vec<u64>,
    ops: u64,
    retries: u64,
    conflicts: u64,
    lost: i64,
}

fn sustained(s: &mut Suite) {
    for (name, make) in WORLDS {
        for agents in AGENTS {
            sustained_bench(s, name, make, agents);
        }
    }
    // The engine's floor: the same pipelines over a world that stores nothing (at 16 agents it
    // bounds what any world can gain over the twins there: issue 26's 16-agent target).
    for agents in [1, 2, 16] {
        sustained_bench(s, "null", || Arc::new(NullWorld::default()), agents);
    }
}

/// Stamps per agent after which every agent must have committed: a loop runs at most 128
/// stages (tokio's cooperative budget, one unit per stage) before it yields, 16 stamps at one
/// per [`sustained::STAMP_EVERY`] (8) operations; this is two such turns each.
const TURN_STAMPS: usize = 32;

/// `sustained/{name}/{agents}`.
fn sustained_bench(s: &mut Suite, name: &'static str, make: Make, agents: usize) {
    s.bench("sustained", name, agents, move || {
        let hive = published();
        // Checked once before timing: a world that loses updates must not look fast.
        let check = runtime::execute(sustained::run(
            make(),
            Arc::clone(&hive),
            agents,
            Until::Ops(2_000),
        ))
        .expect("runtime");
        assert_eq!(check.lost_updates, 0, "{name}/{agents}");
        let totals = Rc::new(RefCell::new(Totals::default()));
        let recorded = Rc::clone(&totals);
        // With several agents, a sample counts only if as many agents as the machine has
        // CPUs (all of them, when fewer) were committing in every stretch of it
        // (`contention::stamps_cover`), and every agent committed once the sample is long
        // enough for each to have had turns (`contention::all_took_part`); otherwise it is
        // retaken.
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Routine::contended(move |iters| {
            let r = runtime::execute(sustained::run(
                make(),
                Arc::clone(&hive),
                agents,
                Until::Ops(iters),
            ))
            .expect("runtime");
            let proven = agents < 2
                || (contention::stamps_cover(&r.activity, r.elapsed, agents.min(cpus))
                    && contention::all_took_part(&r.activity, TURN_STAMPS));
            let mut t = totals.borrow_mut();
            t.lost += r.lost_updates;
            t.ops += r.committed;
            t.retries += r.retries;
            t.conflicts += r.conflicts;
            if t.latencies.len() < 200_000 {
                t.latencies.extend(r.commit_ns);
            }
            // Scale to exactly `iters` operations (a few more may have finished).
            Sample {
                elapsed: r.elapsed.mul_f64(iters as f64 / r.committed.max(1) as f64),
                proven,
            }
        })
        .finish(move || {
            let mut t = recorded.borrow_mut();
            assert_eq!(t.lost, 0, "{name}/{agents}: lost updates");
            let per_op = |n: u64| n as f64 / t.ops.max(1) as f64;
            let counters = [
                ("retries_per_op", per_op(t.retries)),
                ("conflicts_per_op", per_op(t.conflicts)),
                ("lost_updates", t.lost as f64),
            ];
            side::record_latency_and_counters(
                &format!("{SUITE}/sustained/{name}/{agents}"),
                &mut t.latencies,
                &counters,
            );
        })
    })
    .throughput(1)
    .records_latency()
    .uncounted(THREADS);
}

/// `engine/null/1`: see the module docs. Operations come six to a pipeline run, so a sample of
/// `iters` operations runs `ceil(iters / 6)` pipelines and is scaled to `iters`.
fn engine(s: &mut Suite) {
    s.bench("engine", "null", 1, || {
        let hive = published();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
        let limits = Limits::new(1).inline_below(Duration::MAX);
        Routine::custom(move |iters| {
            let r = rt.block_on(sustained::run_with(
                Arc::new(NullWorld::default()),
                Arc::clone(&hive),
                limits.clone(),
                Until::Ops(iters),
            ));
            assert_eq!(r.lost_updates, 0, "engine/null/1");
            r.elapsed.mul_f64(iters as f64 / r.committed.max(1) as f64)
        })
    })
    .throughput(1)
    .counted(6_000);
}

fn reads(s: &mut Suite) {
    // The array lock reads like the `Mutex<HashMap>` one (a reader waits for the lock).
    for (name, make) in WORLDS.into_iter().filter(|(n, _)| *n != "mutex_array") {
        s.bench("reads", name, 2, move || {
            let hive = published();
            let samples = Rc::new(RefCell::new(Vec::<u64>::new()));
            let recorded = Rc::clone(&samples);
            // The two writers must be committing throughout the reads: the table's counters must
            // grow in every chunk of the sample (`contention`), else the sample is retaken.
            Routine::contended(move |iters| {
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
                let mut samples = samples.borrow_mut();
                let mut total = Duration::ZERO;
                let mut i = 0u64;
                let writes = || world.counters() as u64;
                let chunks = contention::timed_in_chunks(iters, vec![&writes], |n| {
                    for _ in 0..n {
                        let t = Instant::now();
                        black_box(world.peek(i % 64));
                        let d = t.elapsed();
                        total += d;
                        if samples.len() < 200_000 {
                            samples.push(d.as_nanos() as u64);
                        }
                        i += 1;
                    }
                });
                stop.store(true, Ordering::Release);
                let r = runtime::execute(load).expect("runtime").expect("load task");
                assert_eq!(r.lost_updates, 0);
                Sample {
                    elapsed: total,
                    proven: chunks.proven,
                }
            })
            .finish(move || {
                side::record_latency(
                    &format!("{SUITE}/reads/{name}/2"),
                    &mut recorded.borrow_mut(),
                )
            })
        })
        .records_latency()
        .uncounted(THREADS);
    }
}

fn main() {
    let mut s = Suite::new(SUITE);
    sustained(&mut s);
    engine(&mut s);
    reads(&mut s);
    // The machine's own speedup, for the efficiency claims on `sustained` (budgets.toml).
    benches_common::harness::machine::add(&mut s, &[1, 2]);
    s.main();
}
