//! `swarm_primitives`: ggen-domain's primitives against their naive twins, in one run.
//!
//! - `snapshot_read/{arcswap_bare,store,epoch,rwlock}/{idle,readers,writer}`: one read of the
//!   current snapshot (version + first element of a 16-element value) while no background thread,
//!   one background *reader*, or one background *writer* runs (one, because the reference machine
//!   has two cores: the measuring thread plus one). `arcswap_bare` is a raw `ArcSwap::load`, the
//!   floor `store` (`SnapshotStore`) is compared with. The background thread starts before each
//!   sample's clock and is stopped and joined after it.
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
use benches_common::harness::contention::{self, Progress, Sample};
use benches_common::harness::{Routine, Suite};
use benches_common::side;
use benches_common::workload::proposals::{self, KindDesc, ProposalSpec};
use benches_common::workload::tasks::{PriorityMix, task_stream};
use ggen_domain::proposal::{
    CommutativeOp, ConflictDetector, ConflictSet, Proposal, ProposalKind, aggregate_commutative,
    detect_indexed, detect_pairwise, detect_parallel,
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

/// Background threads running `work` in a loop until stopped, each ticking its own
/// [`Progress`] per operation so a sample can prove they ran during it.
struct Background {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<u64>>,
    progress: Vec<Arc<Progress>>,
}

impl Background {
    /// Starts the threads and returns once each has completed one operation, so measurement
    /// never begins before the background load exists.
    fn start(threads: usize, work: impl Fn() + Send + Sync + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicU64::new(0));
        let work = Arc::new(work);
        let progress: Vec<Arc<Progress>> =
            (0..threads).map(|_| Arc::new(Progress::new())).collect();
        let handles = progress
            .iter()
            .map(|p| {
                let (stop, ready, work, p) = (
                    Arc::clone(&stop),
                    Arc::clone(&ready),
                    Arc::clone(&work),
                    Arc::clone(p),
                );
                std::thread::spawn(move || {
                    work();
                    ready.fetch_add(1, Ordering::Release);
                    let mut n = 1u64;
                    while !stop.load(Ordering::Relaxed) {
                        work();
                        p.tick();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < threads as u64 {
            std::thread::yield_now();
        }
        let bg = Self {
            stop,
            handles,
            progress,
        };
        bg.with_sources(|sources| contention::settle(sources, 20));
        bg
    }

    /// Calls `f` with a reader of each thread's progress.
    fn with_sources<R>(&self, f: impl FnOnce(&[&dyn Fn() -> u64]) -> R) -> R {
        let reads: Vec<_> = self.progress.iter().map(|p| move || p.get()).collect();
        let sources: Vec<&dyn Fn() -> u64> = reads.iter().map(|r| r as &dyn Fn() -> u64).collect();
        f(&sources)
    }

    /// Times `iters` calls of `op` in chunks, proven only if every background thread advanced
    /// in every chunk ([`contention`]).
    fn time(&self, iters: u64, mut op: impl FnMut()) -> Sample {
        self.with_sources(|sources| {
            contention::timed_in_chunks(iters, sources.to_vec(), |n| {
                for _ in 0..n {
                    op();
                }
            })
        })
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

/// Why a contended bench is timed only.
const CONTENDED: &str =
    "a background thread runs beside it, so the count depends on the interleaving";

/// Starts `scenario`'s background thread over `shared` (none when idle).
fn background<T: Send + Sync + 'static>(
    scenario: Scenario,
    shared: &Arc<T>,
    read: fn(&T),
    write: fn(&T),
) -> Option<Background> {
    let bg = Arc::clone(shared);
    match scenario {
        Scenario::Idle => None,
        Scenario::Readers => Some(Background::start(1, move || read(&bg))),
        Scenario::Writer => Some(Background::start(1, move || write(&bg))),
    }
}

/// A read bench: reads `shared` with `read` while `scenario`'s background thread runs.
fn read_bench<T: Send + Sync + 'static>(
    s: &mut Suite,
    name: &str,
    scenario: Scenario,
    make: impl Fn() -> Arc<T> + 'static,
    read: fn(&T) -> u64,
    bg_read: fn(&T),
    bg_write: fn(&T),
) {
    let def = s.bench("snapshot_read", name, scenario.name(), move || {
        let shared = make();
        assert_eq!(read(&shared), 0);
        match scenario {
            Scenario::Idle => Routine::iter(move || read(&shared)),
            // The background thread runs only while a sample is taken (started before the clock,
            // stopped after it), so nothing spins between samples or beside another process. A
            // sample in which it did not run throughout is retaken (`contention`).
            _ => Routine::contended(move |iters| {
                let bg = background(scenario, &shared, bg_read, bg_write).expect("contended");
                let sample = bg.time(iters, || {
                    black_box(read(&shared));
                });
                assert!(bg.stop() > 0, "background thread did no work");
                sample
            }),
        }
    });
    match scenario {
        Scenario::Idle => def.counted(20_000),
        _ => def.uncounted(CONTENDED),
    };
}

fn store_reads<S>(s: &mut Suite, name: &str, make: fn() -> S)
where
    S: SnapshotRead<Value> + SnapshotWrite<Value> + Send + Sync + 'static,
{
    for scenario in Scenario::ALL {
        read_bench(
            s,
            name,
            scenario,
            move || Arc::new(make()),
            |s: &S| read_one(s),
            |s: &S| {
                black_box(read_one(s));
            },
            |s: &S| {
                s.update(|v| {
                    let mut next = v.clone();
                    next[0] = 0;
                    next
                });
            },
        );
    }
}

fn snapshot_read(s: &mut Suite) {
    type Swap = ArcSwap<Snapshot<Value>>;
    let bare_read = |s: &Swap| {
        let snap = s.load();
        snap.version + snap.value[0]
    };
    for scenario in Scenario::ALL {
        read_bench(
            s,
            "arcswap_bare",
            scenario,
            || {
                Arc::new(ArcSwap::from_pointee(Snapshot {
                    version: 0,
                    value: initial(),
                }))
            },
            bare_read,
            |s: &Swap| {
                let snap = s.load();
                black_box(snap.version + snap.value[0]);
            },
            |s: &Swap| {
                s.store(Arc::new(Snapshot {
                    version: 0,
                    value: initial(),
                }))
            },
        );
    }
    store_reads(s, "store", || SnapshotStore::new(initial()));
    store_reads(s, "epoch", || EpochStore::new(initial()));
    store_reads(s, "rwlock", || LockedStore::new(initial()));
}

fn commits<S>(s: &mut Suite, name: &'static str, make: fn() -> S)
where
    S: SnapshotRead<u64> + SnapshotWrite<u64> + Send + Sync + 'static,
{
    s.bench("snapshot_commit", name, "uncontended", move || {
        let store = Arc::new(make());
        let check = Arc::clone(&store);
        Routine::iter(move || store.update(|v| v + 1)).finish(move || {
            let (version, value) = check.read(|s| (s.version, s.value));
            assert_eq!(version, value, "uncontended: lost update");
        })
    })
    .counted(20_000);

    s.bench("snapshot_commit", name, "contended", move || {
        let store = Arc::new(make());
        let commits = Arc::new(AtomicU64::new(0));
        let retries = Arc::new(AtomicU64::new(0));
        let (check, c, r) = (
            Arc::clone(&store),
            Arc::clone(&commits),
            Arc::clone(&retries),
        );
        // Each committer ticks its own progress and checks the other's in chunks: a sample in
        // which one ran while the other waited for a CPU is retaken (`contention`).
        let progress = [Progress::new(), Progress::new()];
        Routine::contended(move |iters| {
            let half = iters / 2;
            for p in &progress {
                p.reset();
            }
            // Both committers start together (see `contention::crew`).
            let barrier = contention::StartLine::new(2);
            let start = Instant::now();
            let proven = std::thread::scope(|s| {
                let threads: Vec<_> = [half, iters - half]
                    .into_iter()
                    .enumerate()
                    .map(|(k, n)| {
                        let (store, retries, progress, barrier) =
                            (&store, &retries, &progress, &barrier);
                        s.spawn(move || {
                            let (mine, other) = (&progress[k], &progress[1 - k]);
                            let read_other = || other.get();
                            barrier.wait();
                            let mut r = 0u64;
                            let sample = contention::timed_in_chunks(n, vec![&read_other], |m| {
                                for _ in 0..m {
                                    r += u64::from(store.update(|v| v + 1).retries);
                                    mine.tick();
                                }
                            });
                            mine.done();
                            retries.fetch_add(r, Ordering::Relaxed);
                            sample.proven
                        })
                    })
                    .collect();
                threads.into_iter().all(|t| t.join().expect("committer"))
            });
            commits.fetch_add(iters, Ordering::Relaxed);
            Sample {
                elapsed: start.elapsed(),
                proven,
            }
        })
        .finish(move || {
            let commits = c.load(Ordering::Relaxed);
            assert_eq!(check.read(|s| s.value), commits, "contended: lost update");
            let per_commit = r.load(Ordering::Relaxed) as f64 / commits.max(1) as f64;
            side::record_counters(
                &format!("{SUITE}/snapshot_commit/{name}/contended"),
                &[("retries_per_commit", per_commit)],
            );
        })
    })
    .uncounted("two committing threads race; retries depend on the interleaving");
}

fn snapshot_commit(s: &mut Suite) {
    commits(s, "store", || SnapshotStore::new(0u64));
    commits(s, "epoch", || EpochStore::new(0u64));
    commits(s, "rwlock", || LockedStore::new(0u64));
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

/// A generated batch of `n` proposals, its empty state, and the indexed detector's result
/// (checked against the generator's conflict count).
fn detection_input(n: usize) -> (Vec<Proposal>, HashMap<u64, i64>, ConflictSet) {
    let spec = ProposalSpec::new(n, SEED);
    let batch = to_proposals(&proposals::generate(&spec).expect("valid spec"));
    let state = HashMap::new();
    let indexed = detect_indexed(&batch, &state);
    // The generator builds round(rate * n / 2) conflicting pairs, each on one key.
    let pairs = ((spec.conflict_rate * n as f64) / 2.0).round() as usize;
    assert_eq!(indexed.conflicts.len(), pairs, "n={n}");
    (batch, state, indexed)
}

fn conflict_detection(s: &mut Suite) {
    const G: &str = "conflict_detection";
    for n in [100usize, 1000, 10_000] {
        // Counted iterations: about 10⁶–10⁷ instructions each (per-proposal cost ~50–1000 ns).
        let iters = (200_000 / n as u64).max(4);
        if n <= 1000 {
            s.bench(G, "pairwise", n, move || {
                let (batch, state, indexed) = detection_input(n);
                assert_eq!(detect_pairwise(&batch, &state), indexed, "n={n}");
                Routine::iter(move || detect_pairwise(&batch, &state))
            })
            .throughput(n as u64)
            .counted((iters / 100).max(2));
        }
        s.bench(G, "indexed", n, move || {
            let (batch, state, _) = detection_input(n);
            let mut detector = ConflictDetector::new();
            Routine::iter(move || detector.detect_indexed(&batch, &state))
        })
        .throughput(n as u64)
        .counted(iters);
        s.bench(G, "parallel", n, move || {
            let (batch, state, indexed) = detection_input(n);
            assert_eq!(detect_parallel(&batch, &state), indexed, "n={n}");
            Routine::iter(move || detect_parallel(&batch, &state))
        })
        .throughput(n as u64)
        .uncounted("rayon threads share the work");
        s.bench(G, "indexed_fresh", n, move || {
            let (batch, state, _) = detection_input(n);
            Routine::iter(move || detect_indexed(&batch, &state))
        })
        .throughput(n as u64)
        .counted(iters);
    }
}

fn priorities(n: usize) -> Vec<Priority> {
    task_stream(n, PriorityMix::TYPICAL, SEED)
        .into_iter()
        .map(|t| Priority::from_index(t.priority as usize).expect("lane 0..4"))
        .collect()
}

/// Steady-state push + pop at queue depth `depth`.
fn steady_state<S: Scheduler<u64> + 'static>(
    s: &mut Suite,
    name: &'static str,
    depth: usize,
    make: fn() -> S,
) {
    s.bench("scheduler", name, depth, move || {
        let stream = priorities(65_536);
        let mut s = make();
        for (i, p) in stream.iter().take(depth).enumerate() {
            s.push(*p, i as u64);
        }
        assert_eq!(s.len(), depth);
        let s = std::rc::Rc::new(std::cell::RefCell::new(s));
        let check = std::rc::Rc::clone(&s);
        let mut i = depth;
        Routine::iter(move || {
            let mut s = s.borrow_mut();
            s.push(stream[i % stream.len()], i as u64);
            i += 1;
            s.pop()
        })
        .finish(move || {
            assert_eq!(
                check.borrow().len(),
                depth,
                "{name}: steady state lost or gained items"
            )
        })
    })
    .counted(if name == "naive" && depth > 1000 {
        200
    } else {
        20_000
    });
}

/// The twins agree: same multiset in and out, heap and naive in the same order.
fn check_scheduler_twins() {
    let stream = priorities(1000);
    let mut lanes = PriorityScheduler::new();
    let mut heap = HeapScheduler::new();
    let mut naive = NaiveScheduler::new();
    for (i, p) in stream.iter().enumerate() {
        lanes.push(*p, i as u64);
        heap.push(*p, i as u64);
        naive.push(*p, i as u64);
    }
    let mut outs: Vec<Vec<u64>> = vec![
        std::iter::from_fn(|| lanes.pop()).collect(),
        std::iter::from_fn(|| heap.pop()).collect(),
        std::iter::from_fn(|| naive.pop()).collect(),
    ];
    assert_eq!(
        outs[1], outs[2],
        "heap and naive are both strict priority + FIFO"
    );
    for o in &mut outs {
        o.sort_unstable();
    }
    assert!(outs.iter().all(|o| *o == (0..1000).collect::<Vec<_>>()));
}

fn scheduler(s: &mut Suite) {
    for depth in [100usize, 10_000] {
        steady_state(s, "lanes", depth, PriorityScheduler::new);
        steady_state(s, "heap", depth, HeapScheduler::new);
        steady_state(s, "naive", depth, NaiveScheduler::new);
    }
}

fn scheduler_shared(s: &mut Suite) {
    s.bench("scheduler_shared", "lanes", "2x2", || {
        let stream = priorities(65_536);
        Routine::custom(move |iters| {
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
    })
    .uncounted("two producer and two consumer threads hand items over");
}

fn aggregation(s: &mut Suite) {
    for n in [100usize, 10_000] {
        s.bench("aggregation", "commutative", n, move || {
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
            Routine::iter(move || aggregate_commutative(&batch))
        })
        .throughput(n as u64)
        .counted((200_000 / n as u64).max(4));
    }
}

fn main() {
    check_scheduler_twins();
    let mut s = Suite::new(SUITE);
    snapshot_read(&mut s);
    snapshot_commit(&mut s);
    conflict_detection(&mut s);
    scheduler(&mut s);
    scheduler_shared(&mut s);
    aggregation(&mut s);
    s.main();
}
