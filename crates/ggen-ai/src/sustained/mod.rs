//! The composed swarm under sustained load: agents that read the hive's published configuration
//! and a shared table from snapshots, turn their work into proposals, have them checked against
//! what committed meanwhile by ggen-domain's conflict index, and commit, each as one stage of a
//! pipeline run by the ready-driven engine (whose ready queue is the domain's `PriorityScheduler`).
//!
//! ```text
//!  HiveQueen ──publishes──▶ SnapshotStore<config> ◀──load── ProposingAgent (a pipeline stage)
//!                                                               │ reads 2 keys, hashes, proposes
//!  SnapshotStore<State> ◀──commit (optimistic)──────────────────┘
//!        │ on a lost race: ConflictDetector over [proposals committed since our read, ours]
//!        └─ conflict → re-read and redo the work; none → rebase our writes and commit again
//! ```
//!
//! Each operation writes one exclusive key (a value computed from the two keys it read) and adds 1
//! to one of [`COUNTERS`] counter keys (commutative). So after a run the counters must sum to the
//! number of committed operations: any lost update shows up as a difference ([`lost_updates`]).
//!
//! [`World`] has these implementations, measured side by side by the `swarm_e2e` suite:
//! [`VersionedWorld`] (the design since 2026-12-07: a few versions per key, so that readers
//! see one version of the whole table without a lock while a commit writes only the two keys it
//! changes), [`SnapshotWorld`] (the earlier design above, kept as a twin: every commit publishes
//! a copy of the table), [`MutexWorld`] (one `Mutex<HashMap>`, read, work and write under the
//! lock), [`MutexArrayWorld`] (one `Mutex` over the table as an array: the best simple
//! alternative) and [`ShardedWorld`] (a `DashMap`: per-key shard locks, no snapshot across
//! keys); [`NullWorld`] stores nothing and measures the engine's own cost.
//!
//! [`lost_updates`]: SustainedReport::lost_updates

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ggen_core::hive::queen::Published;
use ggen_domain::hash::fnv1a;
use ggen_domain::proposal::{ConflictDetector, EmptyState, Key, Proposal, ProposalKind};
use ggen_domain::snapshot::SnapshotStore;

use crate::agent::{Agent, AgentFuture, StageInput};
use crate::artifact::{Artifact, ArtifactKind};
use crate::pipeline::{Limits, Pipeline, StageSpec};

mod twins;
mod versioned;
pub use twins::{MutexArrayWorld, MutexWorld, NullWorld, ShardedWorld};
pub use versioned::{Commit, RING, VersionedTable, VersionedWorld};

/// Keys in the shared table.
pub const KEYS: usize = 64;
/// Keys `0..COUNTERS` are counters (commutative adds); the rest take exclusive writes.
pub const COUNTERS: usize = 8;
/// Committed operations remembered in the snapshot, for conflict checks after a lost race. A race
/// lost by more commits than this is treated as a conflict (the work is redone).
const LOG: usize = 16;

/// One operation: what an agent reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// Unique across the run.
    pub id: u64,
    /// The agent proposing it.
    pub agent: u32,
    /// Keys read (exclusive keys).
    pub reads: [Key; 2],
    /// Key written exclusively.
    pub write: Key,
    /// Counter incremented.
    pub counter: Key,
}

impl Op {
    /// The operation's keys for sequence number `seq` of `agent`: spread over the table by a
    /// seedless hash, so runs repeat.
    pub fn new(agent: u32, seq: u64) -> Self {
        let h = fnv1a(
            fnv1a(0xcbf2_9ce4_8422_2325, &agent.to_le_bytes()),
            &seq.to_le_bytes(),
        );
        let span = (KEYS - COUNTERS) as u64;
        let key = |shift: u32| COUNTERS as u64 + ((h >> shift) % span);
        Self {
            id: (u64::from(agent) << 40) | seq,
            agent,
            reads: [key(0), key(16)],
            write: key(32),
            counter: (h >> 56) % COUNTERS as u64,
        }
    }
}

/// The value an operation writes: a hash of what it read (the agent's "work").
pub fn work(read: [i64; 2], salt: u64) -> i64 {
    let h = fnv1a(salt, &read[0].to_le_bytes());
    fnv1a(h, &read[1].to_le_bytes()) as i64 >> 1
}

/// What one operation cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCost {
    /// Reading the shared state the first time (nanoseconds).
    pub read_ns: u64,
    /// From the first read to the commit (nanoseconds).
    pub commit_ns: u64,
    /// Commit attempts after the first.
    pub retries: u32,
    /// Of those, attempts that found a real conflict and redid the work.
    pub conflicts: u32,
}

/// Shared state agents read and commit to.
pub trait World: Send + Sync {
    /// Performs `op` atomically (read, work, write, count), salted with `salt`.
    fn transact(&self, op: &Op, salt: u64) -> OpCost;
    /// The sum of the counter keys.
    fn counters(&self) -> i64;
    /// Reads one key, as a reader outside the agents would.
    fn peek(&self, key: Key) -> i64;
    /// A name for reports.
    fn name(&self) -> &'static str;
}

/// One committed operation, as the snapshot remembers it: 8 bytes, since the snapshot is copied
/// on every commit (the low 32 bits of its version, and its keys: [`KEYS`] fits a byte).
#[derive(Debug, Clone, Copy, Default)]
struct Record {
    version: u32,
    reads: [u8; 2],
    write: u8,
}

const _: () = assert!(KEYS <= 256 && std::mem::size_of::<Record>() == 8);

/// The shared table as a snapshot: values and the last `LOG` (16) committed operations.
#[derive(Debug, Clone)]
pub struct State {
    values: [i64; KEYS],
    log: [Record; LOG],
}

impl Default for State {
    fn default() -> Self {
        Self {
            values: [0; KEYS],
            log: [Record::default(); LOG],
        }
    }
}

impl State {
    fn apply(&mut self, op: &Op, value: i64, version: u64) {
        self.values[op.write as usize] = value;
        self.values[op.counter as usize] += 1;
        self.log[(version as usize) % LOG] = Record {
            version: version as u32,
            reads: op.reads.map(|k| k as u8),
            write: op.write as u8,
        };
    }

    /// Whether `op` conflicts with what committed after `base` up to `current`, by the domain's
    /// conflict index over those proposals and `op`'s; also when the log no longer holds them
    /// all. Each committed proposal is named by its version, which no agent's operation id can
    /// equal (those are at least 2^40: every agent number is at least 1). The batch and its key
    /// lists live in a per-thread buffer, reused: a check allocates nothing of its own.
    fn conflicts(&self, op: &Op, base: u64, current: u64) -> bool {
        if current - base > LOG as u64 {
            return true;
        }
        BATCH.with_borrow_mut(|(detector, batch)| {
            let n = (current - base) as usize;
            batch.resize_with(n + 1, || Proposal {
                id: 0,
                agent: 0,
                reads: Vec::with_capacity(2),
                writes: Vec::with_capacity(1),
                kind: ProposalKind::Exclusive,
            });
            for (p, v) in batch.iter_mut().zip(base + 1..=current) {
                let r = self.log[(v as usize) % LOG];
                if r.version != v as u32 {
                    return true; // overwritten: the log no longer holds it
                }
                refill(p, v, 0, r.reads.map(Key::from), Key::from(r.write));
            }
            refill(&mut batch[n], op.id, op.agent, op.reads, op.write);
            detector
                .detect_indexed(batch, &EmptyState)
                .involved()
                .contains(&op.id)
        })
    }
}

/// Makes `p` the exclusive proposal `id` of `agent` reading `reads` and writing `write`, reusing
/// its key lists' buffers.
fn refill(p: &mut Proposal, id: u64, agent: u32, reads: [Key; 2], write: Key) {
    p.id = id;
    p.agent = agent;
    p.reads.clear();
    p.reads.extend_from_slice(&reads);
    p.writes.clear();
    p.writes.push(write);
    p.kind = ProposalKind::Exclusive;
}

/// A value on cache lines of its own (128 bytes: two lines, for CPUs that fetch lines in
/// pairs), so that what other threads write next to it in memory never shares its line. The
/// worlds are aligned the same way, and so is the run's shared count of committed operations,
/// so that no world's measurement depends on where the allocator put its neighbours. (The runs
/// 2–3× slower per operation that prompted this were later found to be stretches of the host,
/// which slow every world at once, the null one included: docs/BENCHMARKS.md, "Where an
/// operation of the composed swarm goes".)
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

thread_local! {
    /// One conflict index per thread and the batch it checks, both reused between checks.
    static BATCH: std::cell::RefCell<(ConflictDetector, Vec<Proposal>)> =
        std::cell::RefCell::new((ConflictDetector::new(), Vec::new()));
}

/// The composed design: a `SnapshotStore` (readers never block) with optimistic commits checked
/// by ggen-domain's conflict index.
#[derive(Debug)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct SnapshotWorld {
    store: SnapshotStore<State>,
}

impl Default for SnapshotWorld {
    fn default() -> Self {
        Self {
            store: SnapshotStore::new(State::default()),
        }
    }
}

impl SnapshotWorld {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store, for readers outside the agents (the read-latency bench).
    pub fn store(&self) -> &SnapshotStore<State> {
        &self.store
    }

    /// Committed operations so far (the snapshot version).
    pub fn version(&self) -> u64 {
        self.store.load().version
    }
}

impl World for SnapshotWorld {
    fn transact(&self, op: &Op, salt: u64) -> OpCost {
        let start = Instant::now();
        let mut cost = OpCost::default();
        // Guards, not `load_full`: no reference-count traffic on the shared snapshot.
        let mut base = self.store.load();
        cost.read_ns = start.elapsed().as_nanos() as u64;
        let mut value = work(op.reads.map(|k| base.value.values[k as usize]), salt);
        loop {
            let mut next = base.value.clone();
            next.apply(op, value, base.version + 1);
            // A lost race hands back the snapshot that won: no second load.
            match self.store.commit_over(&base, next) {
                Ok(_) => {
                    cost.commit_ns = start.elapsed().as_nanos() as u64;
                    return cost;
                }
                Err(current) => {
                    cost.retries += 1;
                    // Did anything committed since our read touch what we read or write?
                    if current.value.conflicts(op, base.version, current.version) {
                        cost.conflicts += 1;
                        value = work(op.reads.map(|k| current.value.values[k as usize]), salt);
                    }
                    base = current;
                }
            }
        }
    }

    fn counters(&self) -> i64 {
        self.store.load().value.values[..COUNTERS].iter().sum()
    }

    fn peek(&self, key: Key) -> i64 {
        self.store.load().value.values[key as usize % KEYS]
    }

    fn name(&self) -> &'static str {
        "snapshot"
    }
}

/// What the agents of one pipeline loop measured.
#[derive(Debug, Default)]
struct Tally {
    read_ns: Vec<u64>,
    commit_ns: Vec<u64>,
    retries: u64,
    conflicts: u64,
    /// Operations committed by this pipeline loop, and the time of every [`STAMP_EVERY`]th.
    ops: u64,
    stamps: Vec<Instant>,
}

/// One commit in this many is time-stamped per agent ([`SustainedReport::activity`]): a clock
/// read costs ~25 ns against ~600 ns per operation, so not every one.
pub const STAMP_EVERY: u64 = 8;

/// Caps the per-operation samples kept per run (percentiles need no more).
const MAX_SAMPLES: usize = 200_000;

/// A pipeline stage that performs one operation on the world: reads the hive's configuration
/// (its version salts the work), then transacts.
struct ProposingAgent {
    world: Arc<dyn World>,
    hive: Arc<Published>,
    agent: u32,
    seq: AtomicU64,
    committed: Arc<Padded<AtomicU64>>,
    tally: Arc<Mutex<Tally>>,
}

impl Agent for ProposingAgent {
    fn name(&self) -> &str {
        "proposing"
    }

    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let config = self.hive.load();
            let salt = config.version ^ config.value.as_ref().map_or(0, |c| c.packs.len() as u64);
            let op = Op::new(self.agent, self.seq.fetch_add(1, Ordering::Relaxed));
            let cost = self.world.transact(&op, salt);
            self.committed.0.fetch_add(1, Ordering::Relaxed);
            let mut t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            if t.commit_ns.len() < MAX_SAMPLES {
                t.read_ns.push(cost.read_ns);
                t.commit_ns.push(cost.commit_ns);
            }
            t.retries += u64::from(cost.retries);
            t.conflicts += u64::from(cost.conflicts);
            t.ops += 1;
            if t.ops.is_multiple_of(STAMP_EVERY) && t.stamps.len() < MAX_SAMPLES {
                t.stamps.push(Instant::now());
            }
            Ok(Artifact {
                kind: ArtifactKind::Digest,
                content: digest(&input.stage, op.id),
                source_stage: Arc::clone(&input.stage),
                quality_score: 1.0,
                run_offset_ms: 0,
            })
        })
    }
}

/// `"{stage}:{id:x}"`, the artifact an operation leaves, written without the formatting
/// machinery (`format!` cost ~1 100 instructions per operation, a fifth of the engine's floor).
fn digest(stage: &str, id: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - id.leading_zeros()).div_ceil(4).max(1);
    let mut s = String::with_capacity(stage.len() + 1 + digits as usize);
    s.push_str(stage);
    s.push(':');
    for i in (0..digits).rev() {
        s.push(char::from(HEX[((id >> (4 * i)) & 0xf) as usize]));
    }
    s
}

/// The generate pipeline's shape (parse → analyze → {code, tests} → validate → package), every
/// stage a [`ProposingAgent`].
fn pipeline(mut agent: impl FnMut() -> Arc<dyn Agent>) -> Pipeline {
    let stages: [(&str, &[&str]); 6] = [
        ("parse", &[]),
        ("analyze", &["parse"]),
        ("generate_code", &["analyze"]),
        ("generate_tests", &["analyze"]),
        ("validate", &["generate_code", "generate_tests"]),
        ("package", &["validate"]),
    ];
    stages
        .iter()
        .fold(Pipeline::builder(), |b, (name, deps)| {
            b.stage(StageSpec::new(*name).deps(deps), agent())
        })
        .build()
        .expect("a fixed, acyclic pipeline")
}

/// When a sustained run stops.
#[derive(Debug, Clone)]
pub enum Until {
    /// After this many committed operations (all agents together; a few more may finish).
    Ops(u64),
    /// When the flag is set.
    Flag(Arc<AtomicBool>),
}

/// What a sustained run measured.
#[derive(Debug, Clone, Default)]
pub struct SustainedReport {
    /// Operations committed.
    pub committed: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Per-operation time of the first read (nanoseconds; at most 200 000 samples).
    pub read_ns: Vec<u64>,
    /// Per-operation time from first read to commit (nanoseconds; at most 200 000 samples).
    pub commit_ns: Vec<u64>,
    /// Commit attempts after the first, all operations together.
    pub retries: u64,
    /// Attempts that found a real conflict and redid the work.
    pub conflicts: u64,
    /// Committed operations minus the counters' sum: must be 0.
    pub lost_updates: i64,
    /// Per agent (pipeline loop): when every [`STAMP_EVERY`]th of its commits happened, as an
    /// offset from the run's start (at most 200 000 per agent). Shows whether every agent was
    /// committing throughout the run, i.e. whether the run measured `agents` agents at once.
    pub activity: Vec<Vec<Duration>>,
}

/// Runs `agents` pipeline loops against `world` (all sharing `agents` permits) until `until`.
/// Must be called inside a tokio runtime.
pub async fn run(
    world: Arc<dyn World>,
    hive: Arc<Published>,
    agents: usize,
    until: Until,
) -> SustainedReport {
    run_with(world, hive, Limits::new(agents), until).await
}

/// [`run`] with one pipeline loop per permit of `limits`, under those limits (e.g. with the
/// engine's inlining fixed by [`Limits::inline_below`], for counting instructions).
pub async fn run_with(
    world: Arc<dyn World>,
    hive: Arc<Published>,
    limits: Limits,
    until: Until,
) -> SustainedReport {
    let agents = limits.permits();
    let committed = Arc::new(Padded(AtomicU64::new(0)));
    let before = world.counters();
    let start = Instant::now();
    let done = {
        let committed = Arc::clone(&committed);
        move || match &until {
            Until::Ops(n) => committed.0.load(Ordering::Relaxed) >= *n,
            Until::Flag(f) => f.load(Ordering::Acquire),
        }
    };
    let done = Arc::new(done);
    let loops: Vec<_> = (0..agents)
        .map(|i| {
            let tally = Arc::new(Mutex::new(Tally::default()));
            let p = {
                let (world, hive, committed, tally) = (
                    Arc::clone(&world),
                    Arc::clone(&hive),
                    Arc::clone(&committed),
                    Arc::clone(&tally),
                );
                let mut stage = 0u32;
                pipeline(move || {
                    stage += 1;
                    Arc::new(ProposingAgent {
                        world: Arc::clone(&world),
                        hive: Arc::clone(&hive),
                        agent: (i as u32) * 8 + stage,
                        seq: AtomicU64::new(0),
                        committed: Arc::clone(&committed),
                        tally: Arc::clone(&tally),
                    }) as Arc<dyn Agent>
                })
            };
            let (limits, done) = (limits.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                while !done() {
                    let report = p.run("sustained", &limits).await;
                    assert!(report.succeeded(), "{:?}", report.stages);
                }
                drop(p); // its agents hold the other references to the tally
                Arc::try_unwrap(tally)
                    .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
                    .unwrap_or_default()
            })
        })
        .collect();
    let mut report = SustainedReport::default();
    for l in loops {
        let t = l.await.expect("agent loop");
        report.read_ns.extend(t.read_ns);
        report.commit_ns.extend(t.commit_ns);
        report.retries += t.retries;
        report.conflicts += t.conflicts;
        report.activity.push(
            t.stamps
                .iter()
                .map(|i| i.saturating_duration_since(start))
                .collect(),
        );
    }
    report.elapsed = start.elapsed();
    report.committed = committed.0.load(Ordering::Relaxed);
    report.lost_updates = report.committed as i64 - (world.counters() - before);
    report
}

#[cfg(test)]
mod tests {
    #[test]
    fn digest_reads_as_the_format_it_replaces() {
        for (stage, id) in [
            ("parse", 0u64),
            ("validate", 0xabc),
            ("x", u64::MAX),
            ("", 1 << 40),
        ] {
            assert_eq!(super::digest(stage, id), format!("{stage}:{id:x}"));
        }
    }
}
