//! A run keeps one permit across the short stages it polls one after another only while nobody
//! waits for one: two runs sharing a single permit still take turns stage by stage (the
//! semaphore's FIFO order), a stage that may back off never holds a permit while it waits, and
//! a task running pipeline after pipeline still yields to the tasks behind it, whether it keeps
//! a permit or takes free ones.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ggen_ai::agent::{Agent, AgentError, AgentFuture, HashAgent, StageInput};
use ggen_ai::pipeline::{Limits, Pipeline, StageSpec};

/// Logs `run` + the stage's name when it starts, yields once (so the other run is polled while
/// it holds its permit), then hashes.
struct Logged {
    run: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    inner: HashAgent,
}

impl Agent for Logged {
    fn name(&self) -> &str {
        "logged"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let entry = format!("{}:{}", self.run, input.stage);
            self.log.lock().expect("log").push(entry);
            tokio::task::yield_now().await;
            self.inner.run(input).await
        })
    }
}

/// A linear pipeline `s1 → s2 → s3 → s4` of logged stages.
fn linear(run: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Pipeline {
    (1..=4)
        .fold(Pipeline::builder(), |b, i| {
            let spec = StageSpec::new(format!("s{i}"));
            let spec = if i > 1 {
                spec.deps(&[format!("s{}", i - 1)])
            } else {
                spec
            };
            let agent = Logged {
                run,
                log: Arc::clone(log),
                inner: HashAgent::new(10),
            };
            b.stage(spec, Arc::new(agent))
        })
        .build()
        .expect("a linear pipeline")
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

#[test]
fn two_runs_sharing_one_permit_take_turns_stage_by_stage() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (linear("a", &log), linear("b", &log));
    let limits = Limits::new(1);
    let (ra, rb) =
        current_thread().block_on(async { tokio::join!(a.run("x", &limits), b.run("x", &limits)) });
    assert!(ra.succeeded() && rb.succeeded());
    assert_eq!(limits.available(), 1, "the permit is back");
    let log = log.lock().expect("log").clone();
    assert_eq!(log.len(), 8, "{log:?}");
    // A run that kept the permit past a stage boundary while the other waited would start two
    // stages in a row here.
    for pair in log.windows(2) {
        assert_ne!(pair[0][..1], pair[1][..1], "not turn by turn: {log:?}");
    }
    for run in ["a", "b"] {
        let mine: Vec<&str> = log
            .iter()
            .filter(|e| e.starts_with(run))
            .map(|e| &e[2..])
            .collect();
        assert_eq!(mine, ["s1", "s2", "s3", "s4"], "{log:?}");
    }
}

/// Fails its first attempt, then succeeds.
struct FailsOnce(AtomicU32);

impl Agent for FailsOnce {
    fn name(&self) -> &str {
        "fails-once"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(AgentError::Failed("first attempt".into()));
            }
            HashAgent::new(1).run(input).await
        })
    }
}

#[test]
fn no_permit_is_kept_while_a_stage_backs_off() {
    // s1 is short and succeeds (the run may keep its permit after it); s2 fails once and backs
    // off for a second before its retry.
    let p = Pipeline::builder()
        .stage(StageSpec::new("s1"), Arc::new(HashAgent::new(10)))
        .stage(
            StageSpec::new("s2")
                .deps(&["s1"])
                .retries(1, Duration::from_secs(1)),
            Arc::new(FailsOnce(AtomicU32::new(0))),
        )
        .build()
        .expect("pipeline");
    let limits = Limits::new(2);
    let (report, during_backoff) = current_thread().block_on(async {
        let probe = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            limits.available()
        };
        tokio::join!(p.run("x", &limits), probe)
    });
    assert!(report.succeeded(), "{:?}", report.stages);
    assert_eq!(report.stages[1].attempts, 2);
    assert_eq!(during_backoff, 2, "a permit was held while s2 backed off");
    assert_eq!(limits.available(), 2);
}

#[test]
fn runs_on_a_kept_permit_still_yield_to_other_tasks() {
    // Short stages that never wait: without the cooperative budget the driving task would never
    // give its thread back, as a sustained swarm's pipeline loops run (16 loops on 2 workers:
    // 5 to 10 of them committed nothing). Both ways to a permit: kept across the run, and (for
    // stages that may back off) taken per attempt while one is free.
    for retries in [0, 1] {
        let spec = |name: &str| StageSpec::new(name).retries(retries, Duration::from_millis(1));
        let p = Pipeline::builder()
            .stage(spec("a"), Arc::new(HashAgent::new(1)))
            .stage(spec("b").deps(&["a"]), Arc::new(HashAgent::new(1)))
            .build()
            .expect("pipeline");
        assert!(
            runs_before_another_task_runs(&p) < 10_000,
            "retries {retries}: 10 000 runs on one thread without letting another task run"
        );
    }
}

/// How many runs of `p` one task completes (at most 10 000) before a task spawned beside it on
/// the same thread gets to run.
fn runs_before_another_task_runs(p: &Pipeline) -> usize {
    let limits = Limits::new(1);
    let runs = current_thread().block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let other = tokio::spawn({
            let ran = Arc::clone(&ran);
            async move { ran.store(true, Ordering::SeqCst) }
        });
        let mut runs = 0;
        while !ran.load(Ordering::SeqCst) && runs < 10_000 {
            assert!(p.run("x", &limits).await.succeeded());
            runs += 1;
        }
        other.await.expect("the other task");
        runs
    });
    assert_eq!(limits.available(), 1);
    runs
}
