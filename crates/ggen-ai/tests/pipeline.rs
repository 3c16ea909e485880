//! Behaviour of the pipeline engine and the swarm: ordering, permit bounds, every fault path with
//! a check that no permit leaks, cancellation, determinism, and agreement of the three drivers.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ggen_ai::agent::{
    Agent, AgentError, AgentFuture, HashAgent, StageInput, TemplateAgent, ValidateAgent,
};
use ggen_ai::artifact::{Artifact, ArtifactKind};
use ggen_ai::pipeline::{
    CancellationToken, Limits, Pipeline, PipelineReport, StageSpec, StageStatus,
};
use ggen_ai::swarm::Swarm;
use ggen_core::runtime;

/// Records start/finish order and the peak number of agents running at once.
#[derive(Default)]
struct Probe {
    seq: AtomicUsize,
    active: AtomicUsize,
    peak: AtomicUsize,
    events: Mutex<Vec<(String, usize, usize)>>, // (stage, start seq, finish seq)
}

struct Probed {
    probe: Arc<Probe>,
    inner: Arc<dyn Agent>,
}

impl Agent for Probed {
    fn name(&self) -> &str {
        "probed"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let start = self.probe.seq.fetch_add(1, Ordering::SeqCst);
            let now = self.probe.active.fetch_add(1, Ordering::SeqCst) + 1;
            self.probe.peak.fetch_max(now, Ordering::SeqCst);
            // Hold the slot across a few scheduling points so overlaps can happen.
            for _ in 0..5 {
                tokio::task::yield_now().await;
            }
            let out = self.inner.run(input).await;
            self.probe.active.fetch_sub(1, Ordering::SeqCst);
            let end = self.probe.seq.fetch_add(1, Ordering::SeqCst);
            self.probe
                .events
                .lock()
                .unwrap()
                .push((input.stage.to_string(), start, end));
            out
        })
    }
}

/// Fails the first `failures` attempts, then succeeds.
struct Flaky {
    failures: u32,
    calls: AtomicU32,
}

impl Agent for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if input.attempt <= self.failures {
                Err(AgentError::Failed(format!(
                    "attempt {} failed",
                    input.attempt
                )))
            } else {
                Ok(Artifact {
                    kind: ArtifactKind::Report,
                    content: format!("ok after {}", input.attempt),
                    source_stage: Arc::clone(&input.stage),
                    quality_score: 1.0,
                    run_offset_ms: 0,
                })
            }
        })
    }
}

/// Never finishes (until dropped); signals when it has started.
struct Hang(Arc<tokio::sync::Notify>);

impl Agent for Hang {
    fn name(&self) -> &str {
        "hang"
    }
    fn run<'a>(&'a self, _: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            self.0.notify_one();
            std::future::pending().await
        })
    }
}

struct Boom;

impl Agent for Boom {
    fn name(&self) -> &str {
        "boom"
    }
    fn run<'a>(&'a self, _: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move { panic!("agent exploded") })
    }
}

fn hash() -> Arc<dyn Agent> {
    Arc::new(HashAgent::new(50))
}

fn generate_pipeline(probe: Option<Arc<Probe>>) -> Pipeline {
    let wrap = |a: Arc<dyn Agent>| -> Arc<dyn Agent> {
        match &probe {
            Some(p) => Arc::new(Probed {
                probe: Arc::clone(p),
                inner: a,
            }),
            None => a,
        }
    };
    Pipeline::builder()
        .stage(
            StageSpec::new("parse"),
            wrap(Arc::new(TemplateAgent::new("token {word}", 1))),
        )
        .stage(StageSpec::new("analyze").deps(&["parse"]), wrap(hash()))
        .stage(
            StageSpec::new("generate_code").deps(&["analyze"]),
            wrap(Arc::new(TemplateAgent::new("pub fn {word}() {}", 4))),
        )
        .stage(
            StageSpec::new("generate_tests").deps(&["analyze"]),
            wrap(Arc::new(TemplateAgent::new("#[test] fn t_{index}() {}", 2))),
        )
        .stage(
            StageSpec::new("validate").deps(&["generate_code", "generate_tests"]),
            wrap(Arc::new(ValidateAgent::new(0.5))),
        )
        .stage(StageSpec::new("package").deps(&["validate"]), wrap(hash()))
        .build()
        .unwrap()
}

fn exec<T>(f: impl std::future::Future<Output = T>) -> T {
    runtime::execute(f).unwrap()
}

fn statuses(r: &PipelineReport) -> Vec<(&str, &StageStatus)> {
    r.stages.iter().map(|s| (&*s.name, &s.status)).collect()
}

#[test]
fn a_stage_never_starts_before_its_dependencies_finish() {
    let probe = Arc::new(Probe::default());
    let p = generate_pipeline(Some(Arc::clone(&probe)));
    let limits = Limits::new(4);
    let report = exec(p.run("user order invoice", &limits));
    assert!(report.succeeded(), "{:?}", statuses(&report));
    let events = probe.events.lock().unwrap().clone();
    assert_eq!(events.len(), 6);
    let at = |name: &str| events.iter().find(|e| e.0 == name).unwrap();
    for (stage, deps) in [
        ("analyze", vec!["parse"]),
        ("generate_code", vec!["analyze"]),
        ("generate_tests", vec!["analyze"]),
        ("validate", vec!["generate_code", "generate_tests"]),
        ("package", vec!["validate"]),
    ] {
        for d in deps {
            assert!(
                at(stage).1 > at(d).2,
                "{stage} started before {d} finished: {events:?}"
            );
        }
    }
    assert_eq!(limits.available(), 4);
}

#[test]
fn concurrency_never_exceeds_the_permits() {
    for permits in [1usize, 2, 3] {
        let probe = Arc::new(Probe::default());
        let mut b = Pipeline::builder();
        for i in 0..24 {
            b = b.stage(
                StageSpec::new(format!("s{i}")),
                Arc::new(Probed {
                    probe: Arc::clone(&probe),
                    inner: hash(),
                }),
            );
        }
        let p = b.build().unwrap();
        let limits = Limits::new(permits);
        let report = exec(p.run("x", &limits));
        assert!(report.succeeded());
        let peak = probe.peak.load(Ordering::SeqCst);
        assert!(
            peak >= 1 && peak <= permits,
            "peak {peak} with {permits} permits"
        );
        assert_eq!(limits.available(), permits);
    }
}

#[test]
fn retries_recover_and_exhausted_retries_fail_and_skip_dependents() {
    let flaky = Arc::new(Flaky {
        failures: 2,
        calls: AtomicU32::new(0),
    });
    let p = Pipeline::builder()
        .stage(
            StageSpec::new("flaky").retries(2, Duration::from_millis(1)),
            flaky.clone(),
        )
        .stage(StageSpec::new("after").deps(&["flaky"]), hash())
        .build()
        .unwrap();
    let limits = Limits::new(2);
    let r = exec(p.run("x", &limits));
    assert!(r.succeeded(), "{:?}", statuses(&r));
    assert_eq!(r.outcome("flaky").unwrap().attempts, 3);
    assert_eq!(r.artifact("flaky").unwrap().content, "ok after 3");
    assert_eq!(limits.available(), 2);

    let stubborn = Arc::new(Flaky {
        failures: 5,
        calls: AtomicU32::new(0),
    });
    let p = Pipeline::builder()
        .stage(
            StageSpec::new("stubborn").retries(1, Duration::ZERO),
            stubborn.clone(),
        )
        .stage(StageSpec::new("child").deps(&["stubborn"]), hash())
        .stage(StageSpec::new("grandchild").deps(&["child"]), hash())
        .stage(StageSpec::new("independent"), hash())
        .build()
        .unwrap();
    let r = exec(p.run("x", &limits));
    let o = r.outcome("stubborn").unwrap();
    assert_eq!(
        o.status,
        StageStatus::Failed("agent failed: attempt 2 failed".into())
    );
    assert_eq!(o.attempts, 2);
    assert_eq!(stubborn.calls.load(Ordering::SeqCst), 2);
    assert_eq!(r.outcome("child").unwrap().status, StageStatus::Skipped);
    assert_eq!(
        r.outcome("grandchild").unwrap().status,
        StageStatus::Skipped
    );
    assert_eq!(
        r.outcome("independent").unwrap().status,
        StageStatus::Succeeded
    );
    assert!(r.artifact("child").is_none());
    assert!(r.outcome("child").unwrap().artifact.is_none());
    assert_eq!(limits.available(), 2);
}

#[test]
fn timeouts_are_retried_then_reported_and_release_their_permits() {
    let started = Arc::new(tokio::sync::Notify::new());
    let p = Pipeline::builder()
        .stage(
            StageSpec::new("slow")
                .timeout(Duration::from_millis(10))
                .retries(1, Duration::ZERO),
            Arc::new(Hang(started)),
        )
        .stage(StageSpec::new("child").deps(&["slow"]), hash())
        .build()
        .unwrap();
    let limits = Limits::new(1);
    let r = exec(p.run("x", &limits));
    let o = r.outcome("slow").unwrap();
    assert_eq!(o.status, StageStatus::TimedOut);
    assert_eq!(o.attempts, 2);
    assert!(o.elapsed >= Duration::from_millis(20), "{o:?}");
    assert_eq!(r.outcome("child").unwrap().status, StageStatus::Skipped);
    assert_eq!(limits.available(), 1);
}

#[test]
fn panics_are_caught_reported_and_not_retried() {
    let p = Pipeline::builder()
        .stage(
            StageSpec::new("boom").retries(3, Duration::ZERO),
            Arc::new(Boom),
        )
        .stage(StageSpec::new("child").deps(&["boom"]), hash())
        .stage(StageSpec::new("fine"), hash())
        .build()
        .unwrap();
    let limits = Limits::new(2);
    let r = exec(p.run("x", &limits));
    let o = r.outcome("boom").unwrap();
    assert_eq!(o.status, StageStatus::Panicked("agent exploded".into()));
    assert_eq!(o.attempts, 1);
    assert_eq!(r.outcome("child").unwrap().status, StageStatus::Skipped);
    assert_eq!(r.outcome("fine").unwrap().status, StageStatus::Succeeded);
    assert_eq!(limits.available(), 2);
}

#[test]
fn cancellation_stops_running_stages_and_releases_permits() {
    let started = Arc::new(tokio::sync::Notify::new());
    let p = Pipeline::builder()
        .stage(StageSpec::new("first"), hash())
        .stage(
            StageSpec::new("hang").deps(&["first"]),
            Arc::new(Hang(Arc::clone(&started))),
        )
        .stage(StageSpec::new("after").deps(&["hang"]), hash())
        .build()
        .unwrap();
    let limits = Limits::new(2);
    let cancel = CancellationToken::new();
    let r = exec(async {
        let (r, ()) = tokio::join!(p.run_cancellable("x", &limits, &cancel), async {
            started.notified().await;
            cancel.cancel();
        });
        r
    });
    assert_eq!(
        statuses(&r),
        vec![
            ("first", &StageStatus::Succeeded),
            ("hang", &StageStatus::Cancelled),
            ("after", &StageStatus::Cancelled)
        ]
    );
    assert_eq!(limits.available(), 2);
    // A token cancelled before the run starts cancels it at once: no stage is even attempted.
    let r = exec(p.run_cancellable("x", &limits, &cancel));
    assert!(
        r.stages
            .iter()
            .all(|s| s.status == StageStatus::Cancelled && s.attempts == 0),
        "{:?}",
        r.stages
    );
    assert_eq!(r.artifacts().count(), 0);
    assert_eq!(limits.available(), 2);
}

#[test]
fn artifacts_are_deterministic_and_the_three_drivers_agree() {
    let p = generate_pipeline(None);
    let limits = Limits::new(2);
    let strip = |r: &PipelineReport| -> Vec<(String, String, f64)> {
        r.artifacts()
            .map(|(k, a)| (k.to_string(), a.content.clone(), a.quality_score))
            .collect()
    };
    let a = exec(p.run("alpha beta gamma", &limits));
    let b = exec(p.run("alpha beta gamma", &limits));
    let seq = exec(p.run_sequential("alpha beta gamma"));
    let lvl = exec(p.run_level_batched("alpha beta gamma", &limits));
    assert!(a.succeeded() && seq.succeeded() && lvl.succeeded());
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(strip(&a), strip(&seq));
    assert_eq!(strip(&a), strip(&lvl));
    assert_ne!(strip(&a), strip(&exec(p.run("other input", &limits))));
    assert!(
        a.artifact("package")
            .unwrap()
            .content
            .starts_with("package:")
    );
    assert_eq!(a.artifact("validate").unwrap().quality_score, 1.0);
    assert_eq!(a.artifacts().count(), a.stages.len());
    assert_eq!(
        a.artifact("validate").unwrap().source_stage.as_ref(),
        "validate"
    );
    let json = serde_json::to_string(&a.stages).unwrap();
    assert!(json.contains("\"status\":\"succeeded\""), "{json}");
}

#[test]
fn a_swarm_bounds_all_pipelines_together_and_leaks_no_permit() {
    let probe = Arc::new(Probe::default());
    let swarm = Swarm::new(2);
    let good = Arc::new(generate_pipeline(Some(Arc::clone(&probe))));
    let faulty = Arc::new(
        Pipeline::builder()
            .stage(StageSpec::new("boom"), Arc::new(Boom))
            .stage(
                StageSpec::new("flaky").retries(1, Duration::ZERO),
                Arc::new(Flaky {
                    failures: 5,
                    calls: AtomicU32::new(0),
                }),
            )
            .stage(
                StageSpec::new("slow").timeout(Duration::from_millis(5)),
                Arc::new(Hang(Arc::new(tokio::sync::Notify::new()))),
            )
            .stage(
                StageSpec::new("ok"),
                Arc::new(Probed {
                    probe: Arc::clone(&probe),
                    inner: hash(),
                }),
            )
            .build()
            .unwrap(),
    );
    let jobs: Vec<_> = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                (Arc::clone(&good), format!("input {i}"))
            } else {
                (Arc::clone(&faulty), String::new())
            }
        })
        .collect();
    let reports = swarm.run_blocking(jobs).unwrap();
    assert_eq!(reports.len(), 8);
    for (i, r) in reports.iter().enumerate() {
        if i % 2 == 0 {
            assert!(r.succeeded(), "{:?}", statuses(r));
        } else {
            assert!(matches!(
                r.outcome("boom").unwrap().status,
                StageStatus::Panicked(_)
            ));
            assert!(matches!(
                r.outcome("flaky").unwrap().status,
                StageStatus::Failed(_)
            ));
            assert_eq!(r.outcome("slow").unwrap().status, StageStatus::TimedOut);
            assert_eq!(r.outcome("ok").unwrap().status, StageStatus::Succeeded);
        }
    }
    assert!(
        probe.peak.load(Ordering::SeqCst) <= 2,
        "swarm exceeded its permits"
    );
    assert_eq!(swarm.available(), swarm.permits());

    // Cancelling a swarm mid-run also returns every permit.
    let started = Arc::new(tokio::sync::Notify::new());
    let hanging = Arc::new(
        Pipeline::builder()
            .stage(StageSpec::new("hang"), Arc::new(Hang(Arc::clone(&started))))
            .build()
            .unwrap(),
    );
    let cancel = CancellationToken::new();
    let reports = exec(async {
        let jobs = vec![
            (Arc::clone(&hanging), String::new()),
            (Arc::clone(&hanging), String::new()),
        ];
        let (r, ()) = tokio::join!(swarm.run_cancellable(jobs, &cancel), async {
            started.notified().await;
            cancel.cancel();
        });
        r
    });
    assert!(
        reports
            .iter()
            .all(|r| r.stages[0].status == StageStatus::Cancelled)
    );
    assert_eq!(swarm.available(), swarm.permits());
}

/// Each stage's name and the tokio task it ran on.
type StageTasks = Arc<Mutex<Vec<(String, Option<tokio::task::Id>)>>>;

/// Records the tokio task each stage ran on, after spinning for `spin`.
struct TaskProbe {
    spin: Duration,
    tasks: StageTasks,
}

impl Agent for TaskProbe {
    fn name(&self) -> &str {
        "task-probe"
    }
    fn run<'a>(&'a self, input: &'a StageInput) -> AgentFuture<'a> {
        Box::pin(async move {
            let t = std::time::Instant::now();
            while t.elapsed() < self.spin {
                std::hint::spin_loop();
            }
            self.tasks
                .lock()
                .unwrap()
                .push((input.stage.to_string(), tokio::task::try_id()));
            Ok(Artifact {
                kind: ArtifactKind::Digest,
                content: String::new(),
                source_stage: Arc::clone(&input.stage),
                quality_score: 1.0,
                run_offset_ms: 0,
            })
        })
    }
}

/// A diamond (a → {b, c} → d) of [`TaskProbe`] stages, run twice under `limits` inside one
/// spawned task; returns the driving task's id and, per run, the task ids `b` and `c` ran on.
fn diamond_tasks(
    spin: Duration,
    limits: Limits,
) -> (tokio::task::Id, Vec<Vec<Option<tokio::task::Id>>>) {
    let tasks: StageTasks = Arc::new(Mutex::new(Vec::new()));
    let agent = || -> Arc<dyn Agent> {
        Arc::new(TaskProbe {
            spin,
            tasks: Arc::clone(&tasks),
        })
    };
    let p = Pipeline::builder()
        .stage(StageSpec::new("a"), agent())
        .stage(StageSpec::new("b").deps(&["a"]), agent())
        .stage(StageSpec::new("c").deps(&["a"]), agent())
        .stage(StageSpec::new("d").deps(&["b", "c"]), agent())
        .build()
        .unwrap();
    let (driver, runs) = exec(async move {
        let handle = tokio::spawn(async move {
            let mut runs = Vec::new();
            for _ in 0..2 {
                tasks.lock().unwrap().clear();
                assert!(p.run("x", &limits).await.succeeded());
                let t = tasks.lock().unwrap();
                runs.push(
                    t.iter()
                        .filter(|(s, _)| s == "b" || s == "c")
                        .map(|(_, id)| *id)
                        .collect::<Vec<_>>(),
                );
            }
            (tokio::task::id(), runs)
        });
        handle.await.unwrap()
    });
    (driver, runs)
}

#[test]
fn short_independent_stages_run_on_the_driving_task_once_known_short() {
    let (driver, runs) = diamond_tasks(Duration::ZERO, Limits::new(2));
    assert_eq!(runs.len(), 2);
    // First run: nothing is known about b and c, so both are spawned (tasks of their own).
    assert!(runs[0].iter().all(|id| *id != Some(driver)), "{runs:?}");
    // Second run: both took far less than INLINE_BELOW, so both ran on the driving task.
    assert_eq!(runs[1], vec![Some(driver); 2], "{runs:?}");
}

#[test]
fn long_independent_stages_are_still_spawned() {
    let (driver, runs) = diamond_tasks(ggen_ai::pipeline::INLINE_BELOW * 3, Limits::new(2));
    for run in &runs {
        assert_eq!(run.len(), 2);
        assert!(run.iter().all(|id| *id != Some(driver)), "{runs:?}");
    }
}

#[test]
fn the_inline_threshold_is_set_by_the_limits() {
    let defaults = Limits::new(2);
    assert_eq!(defaults.inline_threshold(), ggen_ai::pipeline::INLINE_BELOW);
    // Every stage short: b and c run on the driving task from the first run on, though
    // nothing is known about them yet (by default the first run spawns them: the test above).
    // No stage spins here: spinning stages would slow the other tests' hand-offs.
    let (driver, runs) = diamond_tasks(Duration::ZERO, Limits::new(2).inline_below(Duration::MAX));
    assert_eq!(runs, vec![vec![Some(driver); 2]; 2]);
    // No stage short: b and c get tasks of their own in both runs, though they take no time.
    let (driver, runs) = diamond_tasks(Duration::ZERO, Limits::new(2).inline_below(Duration::ZERO));
    for run in &runs {
        assert_eq!(run.len(), 2);
        assert!(run.iter().all(|id| *id != Some(driver)), "{runs:?}");
    }
}
