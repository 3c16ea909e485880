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

/// Why the engine's benches are timed only.
const RUNTIME: &str = "stages run as tasks on the runtime's worker threads";

fn pipeline_dag(n: usize) -> Vec<StageDesc> {
    match n {
        6 => dags::generate_pipeline(),
        _ => dags::generate(&DagSpec {
            stages: n,
            width: if n <= 24 { 4 } else { 8 },
            fan_in: 3,
            seed: SEED,
        }),
    }
}

/// One DAG of the `pipeline` group, built and checked: every driver and the floor compute the
/// same artifacts.
struct Case {
    input: Arc<str>,
    dag: Arc<Vec<StageDesc>>,
    agents: Arc<Vec<Arc<dyn Agent>>>,
    p: Pipeline,
    limits: Limits,
}

fn checked_case(n: usize) -> Case {
    let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
    let dag = pipeline_dag(n);
    let agents = agents(&dag);
    let p = build(&dag, &agents);
    let limits = Limits::new(2);
    let reference = exec(p.run(&input, &limits));
    assert!(reference.succeeded());
    let contents = |r: &PipelineReport| {
        r.artifacts()
            .map(|(_, a)| a.content.clone())
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
    let (dag, agents) = (Arc::new(dag), Arc::new(agents));
    let floor = exec(joinset(
        Arc::clone(&dag),
        Arc::clone(&agents),
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
    Case {
        input,
        dag,
        agents,
        p,
        limits,
    }
}

fn pipeline(s: &mut Suite) {
    type Driver = fn(&Case) -> usize;
    let drivers: [(&str, Driver); 4] = [
        ("sequential", |c| {
            exec(c.p.run_sequential(&c.input)).artifacts().count()
        }),
        ("level_batched", |c| {
            exec(c.p.run_level_batched(&c.input, &c.limits))
                .artifacts()
                .count()
        }),
        ("ready_driven", |c| {
            exec(c.p.run(&c.input, &c.limits)).artifacts().count()
        }),
        ("joinset", |c| {
            exec(joinset(
                Arc::clone(&c.dag),
                Arc::clone(&c.agents),
                Arc::clone(&c.input),
            ))
            .len()
        }),
    ];
    for n in [6usize, 24, 96] {
        for (name, drive) in drivers {
            s.bench("pipeline", name, n, move || {
                let case = checked_case(n);
                Routine::iter(move || drive(&case))
            })
            .throughput(n as u64)
            .uncounted(RUNTIME);
        }
    }
}

fn semaphore(s: &mut Suite) {
    for permits in [1usize, 2, 4, 16] {
        s.bench("semaphore", "permits", permits, move || {
            let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
            let dag: Vec<StageDesc> = (0..32)
                .map(|i| StageDesc {
                    name: format!("s{i:02}"),
                    deps: vec![],
                    cost: 1,
                })
                .collect();
            let p = build(&dag, &agents(&dag));
            let limits = Arc::new(Limits::new(permits));
            assert!(exec(p.run(&input, &limits)).succeeded());
            let check = Arc::clone(&limits);
            Routine::iter(move || exec(p.run(&input, &limits)))
                .finish(move || assert_eq!(check.available(), permits))
        })
        .throughput(32)
        .uncounted(RUNTIME);
    }
}

fn swarm(s: &mut Suite) {
    for n in [1usize, 8, 64] {
        s.bench("swarm", "pipelines", n, move || {
            let dag = dags::generate_pipeline();
            let p = Arc::new(build(&dag, &agents(&dag)));
            let swarm = Arc::new(Swarm::new(2));
            let jobs = move || {
                (0..n)
                    .map(|i| (Arc::clone(&p), format!("order {i} invoice customer")))
                    .collect::<Vec<_>>()
            };
            let reports = exec(swarm.run(jobs()));
            assert!(reports.len() == n && reports.iter().all(PipelineReport::succeeded));
            let check = Arc::clone(&swarm);
            Routine::iter(move || exec(swarm.run(jobs())))
                .finish(move || assert_eq!(check.available(), check.permits()))
        })
        .throughput(n as u64)
        .uncounted(RUNTIME);
    }
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

fn faults(s: &mut Suite) {
    const WHY: &str = "timers and worker threads (timeouts, retries, panics)";
    // The 6-stage pipeline with `generate_tests` replaced by `agent` and its spec adjusted.
    fn with(agent: Arc<dyn Agent>, adjust: fn(StageSpec) -> StageSpec) -> Pipeline {
        let dag = dags::generate_pipeline();
        let mut agents = agents(&dag);
        let tests_idx = dag
            .iter()
            .position(|s| s.name == "generate_tests")
            .expect("stage exists");
        agents[tests_idx] = agent;
        build_with(&dag, &agents, |i, spec| {
            if i == tests_idx { adjust(spec) } else { spec }
        })
    }
    /// Runs `p` once, checks the outcome of `generate_tests`, then times it; at the end no
    /// permit may have leaked.
    fn fault_bench(p: Pipeline, check: fn(&PipelineReport) -> bool) -> Routine {
        let input: Arc<str> = Arc::from(dags::payload(1024, SEED));
        let limits = Arc::new(Limits::new(2));
        let r = exec(p.run(&input, &limits));
        assert!(check(&r), "{:?}", r.outcome("generate_tests"));
        let left = Arc::clone(&limits);
        Routine::iter(move || exec(p.run(&input, &limits)))
            .finish(move || assert_eq!(left.available(), 2, "no permit leaked on the fault paths"))
    }
    s.bench("faults", "timeout", 6, || {
        let p = with(Arc::new(Stall), |s| s.timeout(Duration::from_millis(1)));
        fault_bench(p, |r| {
            r.outcome("generate_tests").map(|o| &o.status) == Some(&StageStatus::TimedOut)
        })
    })
    .uncounted(WHY);
    s.bench("faults", "retry", 6, || {
        let p = with(Arc::new(FailOnce(HashAgent::new(4 * UNIT_ROUNDS))), |s| {
            s.retries(1, Duration::ZERO)
        });
        fault_bench(p, |r| {
            r.succeeded() && r.outcome("generate_tests").map(|o| o.attempts) == Some(2)
        })
    })
    .uncounted(WHY);
    s.bench("faults", "panic", 6, || {
        // Silent while the bench runs; the previous hook is restored when it finishes.
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let routine = fault_bench(with(Arc::new(Panics), |s| s), |r| {
            matches!(
                r.outcome("generate_tests").map(|o| &o.status),
                Some(StageStatus::Panicked(_))
            )
        });
        routine.finish(move || std::panic::set_hook(previous_hook))
    })
    .uncounted(WHY);
}

fn artifacts(s: &mut Suite) {
    for n in [10usize, 1000] {
        s.bench("artifacts", "serde", n, move || {
            let items: Vec<Artifact> = (0..n)
                .map(|i| Artifact {
                    kind: ArtifactKind::Code,
                    content: dags::payload(256, i as u64),
                    source_stage: format!("stage{i}").into(),
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
    let mut s = Suite::new("swarm_coordination");
    pipeline(&mut s);
    semaphore(&mut s);
    swarm(&mut s);
    faults(&mut s);
    artifacts(&mut s);
    s.main();
}
