//! `ggen swarm run --agents N --duration S`: N agents each running the 6-stage generate pipeline
//! back to back for S seconds, all sharing one semaphore of N permits on the process-wide
//! runtime. Prints pipelines and stages per second and per-pipeline latency percentiles.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches_common::side::Latency;
use benches_common::workload::dags;
use ggen_ai::agent::{Agent, HashAgent};
use ggen_ai::pipeline::{Limits, Pipeline, StageSpec};
use ggen_core::runtime;
use serde::Serialize;

use crate::dag::HASH_ROUNDS_PER_COST;

/// What a run measured.
#[derive(Debug, Serialize)]
struct Figures {
    agents: usize,
    seconds: f64,
    pipelines: u64,
    failed: u64,
    pipelines_per_s: f64,
    stages_per_s: f64,
    latency_p50_us: f64,
    latency_p99_us: f64,
}

fn generate_pipeline() -> Result<Pipeline> {
    let stages = dags::generate_pipeline();
    let mut b = Pipeline::builder();
    for s in &stages {
        let deps: Vec<&str> = s.deps.iter().map(|&d| stages[d].name.as_str()).collect();
        let agent: Arc<dyn Agent> = Arc::new(HashAgent::new(s.cost * HASH_ROUNDS_PER_COST));
        b = b.stage(StageSpec::new(s.name.clone()).deps(&deps), agent);
    }
    Ok(b.build()?)
}

/// Runs the swarm and prints what it measured.
pub fn run(agents: usize, seconds: f64, json: bool) -> Result<ExitCode> {
    if !(1..=1024).contains(&agents) {
        bail!("--agents {agents}: expected 1 to 1024");
    }
    if !(seconds > 0.0 && seconds <= 3600.0) {
        bail!("--duration {seconds}: expected more than 0 and at most 3600 seconds");
    }
    let pipeline = Arc::new(generate_pipeline()?);
    let stages_per_pipeline = pipeline.len() as u64;
    let limits = Limits::new(agents);
    let duration = Duration::from_secs_f64(seconds);
    let (mut latencies, failed, elapsed) = runtime::execute(async move {
        let start = Instant::now();
        let deadline = start + duration;
        let tasks: Vec<_> = (0..agents)
            .map(|i| {
                let (pipeline, limits) = (Arc::clone(&pipeline), limits.clone());
                tokio::spawn(async move {
                    let input = format!("agent {i}");
                    let (mut lat, mut failed) = (Vec::new(), 0u64);
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let report = pipeline.run(&input, &limits).await;
                        lat.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                        failed += u64::from(!report.succeeded());
                    }
                    (lat, failed)
                })
            })
            .collect();
        let (mut all, mut failed) = (Vec::new(), 0);
        for t in tasks {
            let (lat, f) = t.await.expect("swarm agent task");
            all.extend(lat);
            failed += f;
        }
        (all, failed, start.elapsed())
    })
    .context("starting the runtime")?;
    let pipelines = latencies.len() as u64;
    let l = Latency::from_samples(&mut latencies).context("no pipeline finished")?;
    let secs = elapsed.as_secs_f64();
    let f = Figures {
        agents,
        seconds: secs,
        pipelines,
        failed,
        pipelines_per_s: pipelines as f64 / secs,
        stages_per_s: (pipelines * stages_per_pipeline) as f64 / secs,
        latency_p50_us: l.p50 as f64 / 1e3,
        latency_p99_us: l.p99 as f64 / 1e3,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&f)?);
    } else {
        println!(
            "{} agents, {:.2} s: {} pipelines ({} failed), {:.0} pipelines/s, {:.0} stages/s, \
             latency p50 {:.1} µs, p99 {:.1} µs",
            f.agents,
            f.seconds,
            f.pipelines,
            f.failed,
            f.pipelines_per_s,
            f.stages_per_s,
            f.latency_p50_us,
            f.latency_p99_us
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
