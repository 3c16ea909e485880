//! `ggen pipeline run DAG.json`: build the DAG (validated), run it ready-driven on the
//! process-wide runtime, print each stage's status, attempts and time.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ggen_ai::pipeline::{Limits, StageStatus};
use ggen_core::runtime;

use crate::{dag, files};

/// Runs the pipeline in `dag_path`; exit 1 if a stage did not succeed.
pub fn run(dag_path: &Path, permits: usize, input: &str, json: bool) -> Result<ExitCode> {
    let text = files::read(dag_path)?;
    let file = dag::parse(dag_path, &text)?;
    let pipeline = dag::build(dag_path, &file)?;
    let limits = Limits::new(permits);
    let report = runtime::execute(pipeline.run(input, &limits)).context("starting the runtime")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let width = report
            .stages
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(5);
        println!(
            "{:width$}  {:<10} {:>8} {:>12}",
            "stage", "status", "attempts", "time"
        );
        for s in &report.stages {
            let status = match &s.status {
                StageStatus::Succeeded => "ok".to_string(),
                StageStatus::Failed(why) => format!("failed: {why}"),
                StageStatus::Panicked(why) => format!("panicked: {why}"),
                other => format!("{other:?}").to_lowercase(),
            };
            println!(
                "{:width$}  {:<10} {:>8} {:>9.3} ms",
                s.name,
                status,
                s.attempts,
                s.elapsed.as_secs_f64() * 1e3
            );
        }
        println!(
            "{} stages in {:.3} ms ({} permits)",
            report.stages.len(),
            report.elapsed.as_secs_f64() * 1e3,
            limits.permits()
        );
    }
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        eprintln!("ggen: not every stage succeeded");
        ExitCode::from(1)
    })
}
