//! `swarm_coordination`: the ggen-ai pipeline engine against its twins and a hand-written floor.
//!
//! Every stage's agent hashes a 1 KiB payload plus its dependencies' artifacts `cost × 20` times
//! (`HashAgent`), so stage costs are real, deterministic and uneven (costs 1..8 units). All runs go
//! through the process-wide runtime (`ggen_core::runtime::execute`); pipelines get 2 permits (the
//! reference machine's cores) unless the group varies them.
//!
//! - `pipeline/{sequential,level_batched,ready_driven,joinset}/{6,24,96}`: the realistic 6-stage
//!   generate pipeline (parse → analyze → {code, tests} → validate → package) and generated DAGs of
//!   24 and 96 stages (width 4 and 8, fan-in ≤ 3). `joinset` is the same DAG hand-written on a
//!   `JoinSet` with no semaphore, timeouts, retries or reports: the floor the engine's overhead is
//!   measured against.
//! - `semaphore/permits/{1,2,4,16}`: 32 independent 1-unit stages; throughput as permits grow.
//! - `swarm/pipelines/{1,8,64}`: that many 6-stage pipelines at once in one `Swarm` (2 permits).
//! - `faults/{timeout,retry,panic}/6`: the 6-stage pipeline with `generate_tests` replaced by an
//!   agent that times out (1 ms limit), fails once then succeeds (retried, no backoff), or panics
//!   (caught; the panic hook is silenced for the group).
//! - `artifacts/serde/{10,1000}`: JSON serialize + parse of that many artifacts (256-byte contents).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use benches_common::harness::{Routine, Suite};
use benches_common::workload::dags::{self, DagSpec, StageDesc};
use criterion::{BenchmarkId, Criterion, Throughput};
use ggen_ai::agent::{Agent, AgentError, AgentFuture, HashAgent, StageInput};
use ggen_ai::artifact::{Artifact, ArtifactKind};
use ggen_ai::pipeline::{Limits, Pipeline, PipelineReport, StageSpec, StageStatus};
use ggen_ai::swarm::Swarm;
use ggen_core::runtime;
use tokio::task::JoinSet;

const UNIT_ROUNDS: u32 = 20;
const SEED: u64 = benches_common::rng::DEFAULT_SEED;

fn exec<T>(f: impl std::future::Future<Output = T>) -> T {
    runtime::execute(f).expect("global runtime")
}

fn agents(dag: &[StageDesc]) -> Vec<Arc<dyn Agent>> {
    dag.iter()
        .map(|s| Arc::new(HashAgent::new(s.cost * UNIT_ROUNDS)) as Arc<dyn Agent>)
        .collect()
}

fn build(dag: &[StageDesc], agents: &[Arc<dyn Agent>]) -> Pipeline {
    build_with(dag, agents, |_, spec| spec)
}

/// Builds the DAG's pipeline, letting `spec` adjust stage `i`'s `StageSpec`.
fn build_with(
    dag: &[StageDesc],
    agents: &[Arc<dyn Agent>],
    spec: impl Fn(usize, StageSpec) -> StageSpec,
) -> Pipeline {
    let mut b = Pipeline::builder();
    for (i, (s, a)) in dag.iter().zip(agents).enumerate() {
        let deps: Vec<&str> = s.deps.iter().map(|&d| dag[d].name.as_str()).collect();
        b = b.stage(spec(i, StageSpec::new(&s.name).deps(&deps)), Arc::clone(a));
    }
    b.build().expect("generated DAGs are valid")
}

/// The floor: the same DAG on a bare JoinSet, each stage spawned when its dependencies finish.
async fn joinset(
    dag: Arc<Vec<StageDesc>>,
    agents: Arc<Vec<Arc<dyn Agent>>>,
    input: Arc<str>,
) -> Vec<Arc<Artifact>> {
    let n = dag.len();
    let mut remaining: Vec<usize> = dag.iter().map(|s| s.deps.len()).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, s) in dag.iter().enumerate() {
        for &d in &s.deps {
            dependents[d].push(i);
        }
    }
    let mut done: Vec<Option<Arc<Artifact>>> = vec![None; n];
    let mut set = JoinSet::new();
    let spawn = |set: &mut JoinSet<(usize, Artifact)>, i: usize, done: &[Option<Arc<Artifact>>]| {
        let deps = dag[i]
            .deps
            .iter()
            .map(|&d| Arc::clone(done[d].as_ref().expect("dep done")))
            .collect();
        let stage_input = StageInput {
            stage: Arc::from(dag[i].name.as_str()),
            attempt: 1,
            input: Arc::clone(&input),
            deps,
        };
        let agent = Arc::clone(&agents[i]);
        set.spawn(async move {
            (
                i,
                agent.run(&stage_input).await.expect("hash agents succeed"),
            )
        });
    };
    for i in (0..n).filter(|&i| remaining[i] == 0) {
        spawn(&mut set, i, &done);
    }
    while let Some(j) = set.join_next().await {
        let (i, artifact) = j.expect("no panics in the floor");
        done[i] = Some(Arc::new(artifact));
        for &d in &dependents[i] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                spawn(&mut set, d, &done);
            }
        }
    }
    done.into_iter()
        .map(|a| a.expect("every stage ran"))
        .collect()
}

fn pipeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
    let cases = [
        (6usize, dags::generate_pipeline()),
        (
            24,
            dags::generate(&DagSpec {
                stages: 24,
                width: 4,
                fan_in: 3,
                seed: SEED,
            }),
        ),
        (
            96,
            dags::generate(&DagSpec {
                stages: 96,
                width: 8,
                fan_in: 3,
                seed: SEED,
            }),
        ),
    ];
    for (n, dag) in cases {
        let agents = agents(&dag);
        let p = build(&dag, &agents);
        let limits = Limits::new(2);
        let reference = exec(p.run(&input, &limits));
        assert!(reference.succeeded());
        let contents = |r: &PipelineReport| {
            r.artifacts
                .values()
                .map(|a| a.content.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            contents(&exec(p.run_sequential(&input))),
            contents(&reference)
        );
        assert_eq!(
            contents(&exec(p.run_level_batched(&input, &limits))),
            contents(&reference)
        );
        let (dag_a, agents_a) = (Arc::new(dag.clone()), Arc::new(agents.clone()));
        let floor = exec(joinset(
            Arc::clone(&dag_a),
            Arc::clone(&agents_a),
            Arc::clone(&input),
        ));
        let mut floor_contents: Vec<String> = floor.iter().map(|a| a.content.clone()).collect();
        floor_contents.sort();
        let mut ref_sorted = contents(&reference);
        ref_sorted.sort();
        assert_eq!(
            floor_contents, ref_sorted,
            "the floor computes the same artifacts"
        );

        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("sequential", n), |b| {
            b.iter(|| exec(p.run_sequential(&input)))
        });
        g.bench_function(BenchmarkId::new("level_batched", n), |b| {
            b.iter(|| exec(p.run_level_batched(&input, &limits)))
        });
        g.bench_function(BenchmarkId::new("ready_driven", n), |b| {
            b.iter(|| exec(p.run(&input, &limits)))
        });
        g.bench_function(BenchmarkId::new("joinset", n), |b| {
            b.iter(|| {
                exec(joinset(
                    Arc::clone(&dag_a),
                    Arc::clone(&agents_a),
                    Arc::clone(&input),
                ))
            })
        });
    }
    g.finish();
}

fn semaphore(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore");
    let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
    let dag: Vec<StageDesc> = (0..32)
        .map(|i| StageDesc {
            name: format!("s{i:02}"),
            deps: vec![],
            cost: 1,
        })
        .collect();
    let p = build(&dag, &agents(&dag));
    g.throughput(Throughput::Elements(32));
    for permits in [1usize, 2, 4, 16] {
        let limits = Limits::new(permits);
        assert!(exec(p.run(&input, &limits)).succeeded());
        g.bench_function(BenchmarkId::new("permits", permits), |b| {
            b.iter(|| exec(p.run(&input, &limits)))
        });
        assert_eq!(limits.available(), permits);
    }
    g.finish();
}

fn swarm(c: &mut Criterion) {
    let mut g = c.benchmark_group("swarm");
    let dag = dags::generate_pipeline();
    let p = Arc::new(build(&dag, &agents(&dag)));
    let swarm = Swarm::new(2);
    for n in [1usize, 8, 64] {
        let jobs = || {
            (0..n)
                .map(|i| (Arc::clone(&p), format!("order {i} invoice customer")))
                .collect::<Vec<_>>()
        };
        let reports = exec(swarm.run(jobs()));
        assert!(reports.len() == n && reports.iter().all(PipelineReport::succeeded));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("pipelines", n), |b| {
            b.iter(|| exec(swarm.run(jobs())))
        });
        assert_eq!(swarm.available(), swarm.permits());
    }
    g.finish();
}

/// Fails its first attempt, then hashes like the stage it replaces.
struct FailOnce(HashAgent);

impl Agent for FailOnce {
    fn name(&self) -> &str {
        "fail_once"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        if input.attempt == 1 {
            Box::pin(async { Err(AgentError::Failed("first attempt".into())) })
        } else {
            self.0.run(input)
        }
    }
}

/// Never finishes; only a timeout ends it.
struct Stall;

impl Agent for Stall {
    fn name(&self) -> &str {
        "stall"
    }
    fn run<'a>(&'a self, _: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(std::future::pending())
    }
}

struct Panics;

impl Agent for Panics {
    fn name(&self) -> &str {
        "panics"
    }
    fn run<'a>(&'a self, _: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async { panic!("bench panic") })
    }
}

fn faults(c: &mut Criterion) {
    let mut g = c.benchmark_group("faults");
    let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
    let dag = dags::generate_pipeline();
    let base = agents(&dag);
    let limits = Limits::new(2);
    let tests_idx = dag
        .iter()
        .position(|s| s.name == "generate_tests")
        .expect("stage exists");
    // The 6-stage pipeline with `generate_tests` replaced by `agent` and its spec adjusted.
    let with = |agent: Arc<dyn Agent>, adjust: fn(StageSpec) -> StageSpec| {
        let mut agents = base.clone();
        agents[tests_idx] = agent;
        build_with(&dag, &agents, |i, spec| {
            if i == tests_idx { adjust(spec) } else { spec }
        })
    };
    let timeout = with(Arc::new(Stall), |s| s.timeout(Duration::from_millis(1)));
    let retry = with(Arc::new(FailOnce(HashAgent::new(4 * UNIT_ROUNDS))), |s| {
        s.retries(1, Duration::ZERO)
    });
    let panic = with(Arc::new(Panics), |s| s);

    let r = exec(timeout.run(&input, &limits));
    assert_eq!(
        r.outcome("generate_tests").map(|o| &o.status),
        Some(&StageStatus::TimedOut)
    );
    let r = exec(retry.run(&input, &limits));
    assert!(r.succeeded() && r.outcome("generate_tests").map(|o| o.attempts) == Some(2));
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = exec(panic.run(&input, &limits));
    assert!(matches!(
        r.outcome("generate_tests").map(|o| &o.status),
        Some(StageStatus::Panicked(_))
    ));

    g.bench_function(BenchmarkId::new("timeout", 6), |b| {
        b.iter(|| exec(timeout.run(&input, &limits)))
    });
    g.bench_function(BenchmarkId::new("retry", 6), |b| {
        b.iter(|| exec(retry.run(&input, &limits)))
    });
    g.bench_function(BenchmarkId::new("panic", 6), |b| {
        b.iter(|| exec(panic.run(&input, &limits)))
    });
    std::panic::set_hook(previous_hook);
    assert_eq!(limits.available(), 2, "no permit leaked on the fault paths");
    g.finish();
}

fn artifacts(s: &mut Suite) {
    for n in [10usize, 1000] {
        s.bench("artifacts", "serde", n, move || {
            let items: Vec<Artifact> = (0..n)
                .map(|i| Artifact {
                    kind: ArtifactKind::Code,
                    content: dags::payload(256, i as u64),
                    source_stage: format!("stage{i}"),
                    quality_score: (i % 100) as f64 / 100.0,
                    run_offset_ms: i as u64,
                })
                .collect();
            let round_trip = |items: &Vec<Artifact>| {
                let text = serde_json::to_string(items).expect("serialize");
                serde_json::from_str::<Vec<Artifact>>(&text).expect("parse")
            };
            assert_eq!(&round_trip(&items), &items);
            Routine::iter(move || round_trip(black_box(&items)))
        })
        .throughput(n as u64)
        .counted((20_000 / n as u64).max(4));
    }
}

fn main() {
    const RUNTIME: &str = "stages run as tasks on the runtime's worker threads";
    let mut s = Suite::new("swarm_coordination");
    s.criterion("pipeline", RUNTIME, pipeline);
    s.criterion("semaphore", RUNTIME, semaphore);
    s.criterion("swarm", RUNTIME, swarm);
    s.criterion(
        "faults",
        "timers and worker threads (timeouts, retries, panics)",
        faults,
    );
    artifacts(&mut s);
    s.main();
}
