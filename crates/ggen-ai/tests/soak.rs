//! A fault soak of the composed swarm: pipelines of agents committing to the design's world
//! (`sustained::VersionedWorld`) and to the copy-on-commit twin (`sustained::SnapshotWorld`)
//! through the engine, run concurrently under one shared semaphore,
//! while agents panic, overrun their stage timeouts and whole pipelines are cancelled. Whatever
//! happens: no update is lost or doubled (the world's counters equal the commits the agents
//! made), no semaphore permit leaks, and no task is stuck (the soak ends within its bound).
//!
//! `fault_soak_short` runs in the default tests (about a second per world); `fault_soak_long`
//! runs for 10 s per world and is `#[ignore]`d (`.ci/run` runs it in release).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ggen_ai::agent::{Agent, AgentError, AgentFuture, StageInput};
use ggen_ai::artifact::{Artifact, ArtifactKind};
use ggen_ai::pipeline::{CancellationToken, Limits, Pipeline, StageSpec};
use ggen_ai::sustained::{Op, SnapshotWorld, VersionedWorld, World};
use ggen_core::runtime;

/// A world that counts its commits (its published version): one per operation.
trait Versioned: World + Default + 'static {
    fn version(&self) -> u64;
}

impl Versioned for SnapshotWorld {
    fn version(&self) -> u64 {
        SnapshotWorld::version(self)
    }
}

impl Versioned for VersionedWorld {
    fn version(&self) -> u64 {
        VersionedWorld::version(self)
    }
}

/// What the soak saw.
#[derive(Debug, Default)]
struct Tally {
    /// Operations committed by `transact` (counted right after it returned).
    commits: AtomicU64,
    panics: AtomicU64,
    overruns: AtomicU64,
    cancels: AtomicU64,
    pipelines: AtomicU64,
}

/// An agent that commits one operation, then, by a deterministic schedule, panics, overruns its
/// stage's timeout (the stage future is dropped at the await), or finishes normally.
struct FaultyAgent {
    world: Arc<dyn World>,
    tally: Arc<Tally>,
    agent: u32,
    seq: AtomicU64,
}

impl Agent for FaultyAgent {
    fn name(&self) -> &str {
        "faulty"
    }

    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let n = self.seq.fetch_add(1, Ordering::Relaxed);
            // A fault before the operation: nothing was committed.
            if n % 13 == 5 {
                self.tally.panics.fetch_add(1, Ordering::Relaxed);
                panic!("injected panic before the operation");
            }
            let op = Op::new(self.agent, n);
            self.world.transact(&op, n);
            self.tally.commits.fetch_add(1, Ordering::Relaxed);
            match n % 11 {
                // A fault after the commit: the stage fails, the commit stands.
                3 => {
                    self.tally.panics.fetch_add(1, Ordering::Relaxed);
                    panic!("injected panic after the operation");
                }
                // Overrun the stage timeout: the future is dropped while it waits.
                7 => {
                    self.tally.overruns.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(AgentError::Failed("should have timed out".into()))
                }
                _ => Ok(Artifact {
                    kind: ArtifactKind::Digest,
                    content: format!("{}:{n}", input.stage),
                    source_stage: std::sync::Arc::clone(&input.stage),
                    quality_score: 1.0,
                    run_offset_ms: 0,
                }),
            }
        })
    }
}

/// A diamond pipeline of faulty agents with a short timeout and one retry per stage.
fn pipeline(world: &Arc<dyn World>, tally: &Arc<Tally>, agent: u32) -> Pipeline {
    let stages: [(&str, &[&str]); 4] =
        [("a", &[]), ("b", &["a"]), ("c", &["a"]), ("d", &["b", "c"])];
    stages
        .iter()
        .enumerate()
        .fold(Pipeline::builder(), |b, (k, (name, deps))| {
            b.stage(
                StageSpec::new(*name)
                    .deps(deps)
                    .timeout(Duration::from_millis(5))
                    .retries(1, Duration::from_micros(100)),
                Arc::new(FaultyAgent {
                    world: Arc::clone(world),
                    tally: Arc::clone(tally),
                    agent: agent * 8 + k as u32,
                    seq: AtomicU64::new(0),
                }),
            )
        })
        .build()
        .expect("an acyclic pipeline")
}

/// Runs `loops` pipeline loops for `duration` on the process-wide runtime, all sharing 3
/// permits; every 7th pipeline run is cancelled part-way. Checks the invariants and returns the
/// tally.
fn soak<W: Versioned>(loops: u32, duration: Duration) -> Arc<Tally> {
    let world = Arc::new(W::default());
    let shared: Arc<dyn World> = world.clone();
    let tally = Arc::new(Tally::default());
    let limits = Limits::new(3);
    let before = world.counters();
    let deadline = Instant::now() + duration;
    let handles = runtime::execute(async {
        (0..loops)
            .map(|i| {
                let p = pipeline(&shared, &tally, i);
                let (limits, tally) = (limits.clone(), Arc::clone(&tally));
                tokio::spawn(async move {
                    let mut k = 0u64;
                    while Instant::now() < deadline {
                        k += 1;
                        tally.pipelines.fetch_add(1, Ordering::Relaxed);
                        if k.is_multiple_of(7) {
                            let token = CancellationToken::new();
                            let cancel = token.clone();
                            let canceller = tokio::spawn(async move {
                                tokio::task::yield_now().await;
                                cancel.cancel();
                            });
                            p.run_cancellable("soak", &limits, &token).await;
                            canceller.await.expect("canceller");
                            tally.cancels.fetch_add(1, Ordering::Relaxed);
                        } else {
                            p.run("soak", &limits).await;
                        }
                    }
                })
            })
            .collect::<Vec<_>>()
    })
    .expect("runtime");
    // No stuck task: every loop ends within its deadline plus a generous bound.
    let joined = runtime::execute(async {
        tokio::time::timeout(duration + Duration::from_secs(10), async {
            for h in handles {
                h.await.expect("a pipeline loop itself never panics");
            }
        })
        .await
    })
    .expect("runtime");
    assert!(
        joined.is_ok(),
        "a pipeline loop was stuck past its deadline"
    );
    // Stage futures dropped by a timeout or a cancellation may be finishing on another worker;
    // give the runtime a moment to drop them, then check the permits.
    let settled = Instant::now();
    while limits.available() != limits.permits() && settled.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(limits.available(), limits.permits(), "a permit leaked");
    let commits = tally.commits.load(Ordering::Relaxed);
    assert_eq!(
        world.counters() - before,
        commits as i64,
        "lost or doubled updates: {tally:?}"
    );
    assert_eq!(
        world.version(),
        commits,
        "one commit per operation ({})",
        world.name()
    );
    for (what, n) in [
        ("panics", &tally.panics),
        ("overruns", &tally.overruns),
        ("cancellations", &tally.cancels),
    ] {
        assert!(
            n.load(Ordering::Relaxed) > 0,
            "no {what} were injected: {tally:?}"
        );
    }
    tally
}

#[test]
fn fault_soak_short() {
    let t = soak::<VersionedWorld>(6, Duration::from_millis(800));
    eprintln!("short soak, versioned: {t:?}");
    let t = soak::<SnapshotWorld>(6, Duration::from_millis(800));
    eprintln!("short soak, snapshot: {t:?}");
}

#[test]
#[ignore = "20 s (10 s per world); run by .ci/run"]
fn fault_soak_long() {
    let t = soak::<VersionedWorld>(16, Duration::from_secs(10));
    eprintln!("long soak, versioned: {t:?}");
    let t = soak::<SnapshotWorld>(16, Duration::from_secs(10));
    eprintln!("long soak, snapshot: {t:?}");
}
