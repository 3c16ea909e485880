//! `swarm_primitives`: ggen-domain's primitives against their naive twins, in one run.
//!
//! - `snapshot_read/{arcswap_bare,store,epoch,rwlock}/{idle,readers,writer}`: one read of the
//!   current snapshot (version + first element of a 16-element value) while no background thread,
//!   one background *reader*, or one background *writer* runs (one, because the reference machine
//!   has two cores: the measuring thread plus one). `arcswap_bare` is a raw `ArcSwap::load`, the
//!   floor `store` (`SnapshotStore`) is compared with. Background threads stop and are joined
//!   after each bench.
//! - `snapshot_commit/{store,epoch,rwlock}/{uncontended,contended}`: one `update(v + 1)`;
//!   `contended` runs two committing threads (`iter_custom`) and records retries per commit in
//!   the side file. After timing, the value equals the number of updates (no lost update).
//! - `conflict_detection/{pairwise,indexed,parallel}/{100,1000,10000}`: a generated batch (4 keys
//!   per proposal, 10% conflict rate, 25% commutative). `pairwise` stops at 1000: at 10 000 it is
//!   ~100× slower than at 1000 (O(n²)) and alone would take most of a quick-profile run.
//!   Throughput in proposals.
//! - `scheduler/{lanes,heap,naive}/{100,10000}`: steady-state push + pop at that queue depth, with
//!   a typical priority mix. `scheduler_shared/lanes/2x2`: two producers and two consumers moving
//!   items through one `SharedScheduler` (`iter_custom`; time per item).
//! - `aggregation/commutative/{100,10000}`: merge n commutative `Add` proposals on a hot key space
//!   (n / 10 keys) into one effect per key.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use benches_common::side;
use benches_common::workload::proposals::{self, KindDesc, ProposalSpec};
use benches_common::workload::tasks::{PriorityMix, task_stream};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use ggen_domain::proposal::{
    CommutativeOp, ConflictDetector, Proposal, ProposalKind, aggregate_commutative, detect_indexed,
    detect_pairwise, detect_parallel,
};
use ggen_domain::schedule::{
    HeapScheduler, NaiveScheduler, Priority, PriorityScheduler, Scheduler, SharedScheduler,
};
use ggen_domain::snapshot::{
    EpochStore, LockedStore, Snapshot, SnapshotRead, SnapshotStore, SnapshotWrite,
};

const SUITE: &str = "swarm_primitives";
const SEED: u64 = benches_common::rng::DEFAULT_SEED;

type Value = Vec<u64>;

fn initial() -> Value {
    (0..16).collect()
}

/// Background threads running `work` in a loop until stopped.
struct Background {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<u64>>,
}

impl Background {
    /// Starts the threads and returns once each has completed one operation, so measurement
    /// never begins before the background load exists.
    fn start(threads: usize, work: impl Fn() + Send + Sync + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicU64::new(0));
        let work = Arc::new(work);
        let handles = (0..threads)
            .map(|_| {
                let (stop, ready, work) =
                    (Arc::clone(&stop), Arc::clone(&ready), Arc::clone(&work));
                std::thread::spawn(move || {
                    work();
                    ready.fetch_add(1, Ordering::Release);
                    let mut n = 1u64;
                    while !stop.load(Ordering::Relaxed) {
                        work();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < threads as u64 {
            std::thread::yield_now();
        }
        Self { stop, handles }
    }

    /// Stops and joins the threads; returns how many operations they ran.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handles
            .into_iter()
            .map(|h| h.join().expect("background thread"))
            .sum()
    }
}

#[derive(Clone, Copy)]
enum Scenario {
    Idle,
    Readers,
    Writer,
}

impl Scenario {
    const ALL: [Scenario; 3] = [Scenario::Idle, Scenario::Readers, Scenario::Writer];
    fn name(self) -> &'static str {
        match self {
            Scenario::Idle => "idle",
            Scenario::Readers => "readers",
            Scenario::Writer => "writer",
        }
    }
}

fn read_one<S: SnapshotRead<Value>>(s: &S) -> u64 {
    s.read(|snap| snap.version + snap.value[0])
}

fn bench_store_reads<S>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, make: fn() -> S)
where
    S: SnapshotRead<Value> + SnapshotWrite<Value> + Send + Sync + 'static,
{
    for scenario in Scenario::ALL {
        let store = Arc::new(make());
        assert_eq!(read_one(&*store), 0);
        let bg_store = Arc::clone(&store);
        let bg = match scenario {
            Scenario::Idle => None,
            Scenario::Readers => Some(Background::start(1, move || {
                black_box(read_one(&*bg_store));
            })),
            Scenario::Writer => Some(Background::start(1, move || {
                bg_store.update(|v| {
                    let mut next = v.clone();
                    next[0] = 0;
                    next
                });
            })),
        };
        g.bench_function(BenchmarkId::new(name, scenario.name()), |b| {
            b.iter(|| read_one(&*store))
        });
        if let Some(bg) = bg {
            assert!(bg.stop() > 0, "background thread did no work");
        }
    }
}

fn snapshot_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot_read");
    for scenario in Scenario::ALL {
        let swap = Arc::new(ArcSwap::from_pointee(Snapshot {
            version: 0,
            value: initial(),
        }));
        let bg_swap = Arc::clone(&swap);
        let bg = match scenario {
            Scenario::Idle => None,
            Scenario::Readers => Some(Background::start(1, move || {
                let s = bg_swap.load();
                black_box(s.version + s.value[0]);
            })),
            Scenario::Writer => Some(Background::start(1, move || {
                bg_swap.store(Arc::new(Snapshot {
                    version: 0,
                    value: initial(),
                }));
            })),
        };
        g.bench_function(BenchmarkId::new("arcswap_bare", scenario.name()), |b| {
            b.iter(|| {
                let s = swap.load();
                s.version + s.value[0]
            })
        });
        if let Some(bg) = bg {
            assert!(bg.stop() > 0);
        }
    }
    bench_store_reads(&mut g, "store", || SnapshotStore::new(initial()));
    bench_store_reads(&mut g, "epoch", || EpochStore::new(initial()));
    bench_store_reads(&mut g, "rwlock", || LockedStore::new(initial()));
    g.finish();
}

fn bench_commits<S>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, make: fn() -> S)
where
    S: SnapshotRead<u64> + SnapshotWrite<u64> + Send + Sync,
{
    let store = make();
    g.bench_function(BenchmarkId::new(name, "uncontended"), |b| {
        b.iter(|| store.update(|v| v + 1))
    });
    let (version, value) = store.read(|s| (s.version, s.value));
    assert_eq!(version, value, "uncontended: lost update");

    let store = make();
    let commits = AtomicU64::new(0);
    let retries = AtomicU64::new(0);
    g.bench_function(BenchmarkId::new(name, "contended"), |b| {
        b.iter_custom(|iters| {
            let half = iters / 2;
            let start = Instant::now();
            std::thread::scope(|s| {
                for n in [half, iters - half] {
                    let (store, retries) = (&store, &retries);
                    s.spawn(move || {
                        let mut r = 0u64;
                        for _ in 0..n {
                            r += u64::from(store.update(|v| v + 1).retries);
                        }
                        retries.fetch_add(r, Ordering::Relaxed);
                    });
                }
            });
            commits.fetch_add(iters, Ordering::Relaxed);
            start.elapsed()
        })
    });
    let commits = commits.into_inner();
    assert_eq!(store.read(|s| s.value), commits, "contended: lost update");
    let per_commit = retries.into_inner() as f64 / commits.max(1) as f64;
    side::record_counters(
        &format!("{SUITE}/snapshot_commit/{name}/contended"),
        &[("retries_per_commit", per_commit)],
    );
}

fn snapshot_commit(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot_commit");
    bench_commits(&mut g, "store", || SnapshotStore::new(0u64));
    bench_commits(&mut g, "epoch", || EpochStore::new(0u64));
    bench_commits(&mut g, "rwlock", || LockedStore::new(0u64));
    g.finish();
}

fn to_proposals(descs: &[proposals::ProposalDesc]) -> Vec<Proposal> {
    descs
        .iter()
        .map(|d| Proposal {
            id: d.id,
            agent: d.agent,
            reads: d.reads.clone(),
            writes: d.writes.clone(),
            kind: match d.kind {
                KindDesc::Exclusive => ProposalKind::Exclusive,
                KindDesc::CommutativeAdd(x) => ProposalKind::Commutative(CommutativeOp::Add(x)),
            },
        })
        .collect()
}

fn conflict_detection(c: &mut Criterion) {
    let mut g = c.benchmark_group("conflict_detection");
    let state: HashMap<u64, i64> = HashMap::new();
    for n in [100usize, 1000, 10_000] {
        let spec = ProposalSpec::new(n, SEED);
        let batch = to_proposals(&proposals::generate(&spec).expect("valid spec"));
        let indexed = detect_indexed(&batch, &state);
        // The generator builds round(rate * n / 2) conflicting pairs, each on one key.
        let pairs = ((spec.conflict_rate * n as f64) / 2.0).round() as usize;
        assert_eq!(indexed.conflicts.len(), pairs, "n={n}");
        assert_eq!(detect_parallel(&batch, &state), indexed, "n={n}");
        g.throughput(Throughput::Elements(n as u64));
        if n <= 1000 {
            assert_eq!(detect_pairwise(&batch, &state), indexed, "n={n}");
            g.bench_with_input(BenchmarkId::new("pairwise", n), &batch, |b, batch| {
                b.iter(|| detect_pairwise(batch, &state))
            });
        }
        let mut detector = ConflictDetector::new();
        g.bench_with_input(BenchmarkId::new("indexed", n), &batch, |b, batch| {
            b.iter(|| detector.detect_indexed(batch, &state))
        });
        g.bench_with_input(BenchmarkId::new("parallel", n), &batch, |b, batch| {
            b.iter(|| detect_parallel(batch, &state))
        });
        g.bench_with_input(BenchmarkId::new("indexed_fresh", n), &batch, |b, batch| {
            b.iter(|| detect_indexed(batch, &state))
        });
    }
    g.finish();
}

fn priorities(n: usize) -> Vec<Priority> {
    task_stream(n, PriorityMix::TYPICAL, SEED)
        .into_iter()
        .map(|t| Priority::from_index(t.priority as usize).expect("lane 0..4"))
        .collect()
}

fn steady_state<S: Scheduler<u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    depth: usize,
    stream: &[Priority],
    mut s: S,
) {
    for (i, p) in stream.iter().take(depth).enumerate() {
        s.push(*p, i as u64);
    }
    assert_eq!(s.len(), depth);
    let mut i = depth;
    g.bench_function(BenchmarkId::new(name, depth), |b| {
        b.iter(|| {
            s.push(stream[i % stream.len()], i as u64);
            i += 1;
            s.pop()
        })
    });
    assert_eq!(s.len(), depth, "{name}: steady state lost or gained items");
}

fn scheduler(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    let stream = priorities(65_536);
    // Same multiset in, same multiset out, for every twin.
    let mut outs: Vec<Vec<u64>> = Vec::new();
    let mut lanes = PriorityScheduler::new();
    let mut heap = HeapScheduler::new();
    let mut naive = NaiveScheduler::new();
    for (i, p) in stream.iter().take(1000).enumerate() {
        lanes.push(*p, i as u64);
        heap.push(*p, i as u64);
        naive.push(*p, i as u64);
    }
    outs.push(std::iter::from_fn(|| lanes.pop()).collect());
    outs.push(std::iter::from_fn(|| heap.pop()).collect());
    outs.push(std::iter::from_fn(|| naive.pop()).collect());
    assert_eq!(
        outs[1], outs[2],
        "heap and naive are both strict priority + FIFO"
    );
    for o in &mut outs {
        o.sort_unstable();
    }
    assert!(outs.iter().all(|o| *o == (0..1000).collect::<Vec<_>>()));

    for depth in [100usize, 10_000] {
        steady_state(&mut g, "lanes", depth, &stream, PriorityScheduler::new());
        steady_state(&mut g, "heap", depth, &stream, HeapScheduler::new());
        steady_state(&mut g, "naive", depth, &stream, NaiveScheduler::new());
    }
    g.finish();

    let mut g = c.benchmark_group("scheduler_shared");
    g.bench_function(BenchmarkId::new("lanes", "2x2"), |b| {
        b.iter_custom(|iters| {
            let s = SharedScheduler::new(16);
            let popped = AtomicU64::new(0);
            let start = Instant::now();
            std::thread::scope(|scope| {
                let consumers: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut n = 0u64;
                            while s.pop().is_some() {
                                n += 1;
                            }
                            popped.fetch_add(n, Ordering::Relaxed);
                        })
                    })
                    .collect();
                let half = iters / 2;
                let producers: Vec<_> = [(0, half), (half, iters)]
                    .into_iter()
                    .map(|(lo, hi)| {
                        let (s, stream) = (&s, &stream);
                        scope.spawn(move || {
                            for i in lo..hi {
                                s.push(stream[i as usize % stream.len()], i).expect("open");
                            }
                        })
                    })
                    .collect();
                for p in producers {
                    p.join().expect("producer");
                }
                s.close();
                for c in consumers {
                    c.join().expect("consumer");
                }
            });
            let elapsed = start.elapsed();
            assert_eq!(
                popped.load(Ordering::Relaxed),
                iters,
                "items lost or duplicated"
            );
            elapsed
        })
    });
    g.finish();
}

fn aggregation(c: &mut Criterion) {
    let mut g = c.benchmark_group("aggregation");
    for n in [100usize, 10_000] {
        let updates = proposals::commutative_updates(n, (n as u64 / 10).max(1), SEED);
        let batch: Vec<Proposal> = updates
            .iter()
            .enumerate()
            .map(|(i, &(key, delta))| Proposal {
                id: i as u64,
                agent: (i % 64) as u32,
                reads: vec![],
                writes: vec![key],
                kind: ProposalKind::Commutative(CommutativeOp::Add(delta)),
            })
            .collect();
        let effects = aggregate_commutative(&batch);
        let total: i64 = effects
            .iter()
            .map(|e| match e.op {
                CommutativeOp::Add(x) => x,
                CommutativeOp::Max(_) => unreachable!("only adds generated"),
            })
            .sum();
        assert_eq!(total, updates.iter().map(|u| u.1).sum::<i64>());
        assert_eq!(
            effects.iter().map(|e| e.contributors.len()).sum::<usize>(),
            n
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("commutative", n), &batch, |b, batch| {
            b.iter(|| aggregate_commutative(batch))
        });
    }
    g.finish();
}

criterion_group! {
    name = primitives;
    config = benches_common::criterion_config();
    targets = snapshot_read, snapshot_commit, conflict_detection, scheduler, aggregation
}
criterion_main!(primitives);
