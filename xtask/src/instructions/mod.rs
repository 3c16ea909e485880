//! `cargo xtask bench --instructions`: instruction counts and estimated cycles per iteration,
//! from valgrind's callgrind, for every bench whose work is deterministic and single-threaded.
//!
//! Each bench binary is asked for its plan (`GGEN_HARNESS=plan`: which benches are counted,
//! over how many iterations, and why the others are not; protocol in `bench_format::harness`),
//! then each selected counted bench runs in its own process under callgrind with collection off
//! except inside the harness's measured function, so setup, warm-up and the process's start are
//! not counted. The cache simulation uses fixed cache sizes ([`VALGRIND_ARGS`]), not the host's,
//! so estimated cycles compare across machines. Raw outputs stay in the run folder
//! (`callgrind/`); the counts go into the report, baselines and exports.

// What the counts are and how they compare: the pure half, in `bench-report`.
pub use bench_report::instructions::{
    Counts, DEFAULT_THRESHOLD, Summary, Uncounted, callgrind, compare,
};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bench_format::harness::{IDS_ENV, MEASURED_SYMBOL, MODE_COUNT, MODE_ENV, PlanLine};

use crate::catalog::Catalog;
use crate::interrupt;
use crate::suites::Built;
use crate::workspace::{SuiteKind, Workspace};

/// How valgrind runs: callgrind with a fixed cache model (32 KiB 8-way L1s, 8 MiB 16-way LL,
/// 64-byte lines) and collection only inside the harness's measured function.
pub const VALGRIND_ARGS: [&str; 7] = [
    "--tool=callgrind",
    "--cache-sim=yes",
    "--I1=32768,8,64",
    "--D1=32768,8,64",
    "--LL=8388608,16,64",
    "--collect-atstart=no",
    "--compress-strings=no",
];

/// The valgrind version, or the one-line error that says what to install.
pub fn check_valgrind() -> Result<String> {
    let out = Command::new("valgrind")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
        _ => bail!(
            "--instructions runs the benches under valgrind's callgrind, and `valgrind` is not on \
             PATH: install it (`sudo apt-get install valgrind` on Debian/Ubuntu; valgrind runs on Linux) \
             or leave --instructions out"
        ),
    }
}

/// What the counting pass will do: counted benches (full id, iterations) per suite.
#[derive(Debug, Default)]
pub struct Planned {
    counted: Vec<(usize, String, u64)>,
    uncounted: Vec<Uncounted>,
}

impl Planned {
    /// Whether nothing will be counted.
    pub fn is_empty(&self) -> bool {
        self.counted.is_empty()
    }
}

/// What to count, from every selected suite's plan (read once, into the catalog, while listing);
/// `selected` takes a full bench id.
pub fn plan(
    catalog: &Catalog,
    suites: &[Built],
    selected: &dyn Fn(&str) -> bool,
) -> Result<Planned> {
    let mut planned = Planned::default();
    for (i, built) in suites.iter().enumerate() {
        let suite = &built.suite.name;
        if built.suite.kind == SuiteKind::System {
            planned.uncounted.push(Uncounted {
                id: suite.clone(),
                reason: "whole-process runs of the ggen binary (start-up, system calls)".into(),
            });
            continue;
        }
        let lines = catalog
            .plans
            .get(suite)
            .with_context(|| format!("suite {suite} listed no plan"))?;
        for line in lines.iter().cloned() {
            match line {
                PlanLine::Counted { id, iterations } => {
                    let full = format!("{suite}/{id}");
                    if selected(&full) {
                        planned.counted.push((i, full, iterations));
                    }
                }
                PlanLine::Excluded { id, reason } => {
                    let full = format!("{suite}/{id}");
                    if selected(&full) {
                        planned.uncounted.push(Uncounted { id: full, reason });
                    }
                }
                PlanLine::Group { group, reason } => {
                    // Listed when the selection could include any of its benches.
                    let probe = format!("{suite}/{group}/");
                    if selected(&format!("{probe}x/x")) || selected(&probe) {
                        planned.uncounted.push(Uncounted {
                            id: format!("{suite}/{group}"),
                            reason,
                        });
                    }
                }
            }
        }
    }
    Ok(planned)
}

/// Runs every planned bench under callgrind, one process each; raw outputs go to `dir`,
/// valgrind's own output to `log`. Returns the counts by full id and the pass's summary.
pub fn measure(
    ws: &Workspace,
    suites: &[Built],
    planned: &Planned,
    valgrind: String,
    dir: &Path,
    log: &Path,
) -> Result<(BTreeMap<String, Counts>, Summary)> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let log_file =
        std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut counts = BTreeMap::new();
    let total = planned.counted.len();
    for (k, (i, id, iterations)) in planned.counted.iter().enumerate() {
        let built = &suites[*i];
        let local = id
            .split_once('/')
            .map(|(_, rest)| rest)
            .expect("full ids have a suite");
        eprintln!(
            "[count {}/{total}] {id} ({iterations} iterations, {:.1} s elapsed)",
            k + 1,
            started.elapsed().as_secs_f64()
        );
        let out = compare::output_of(dir, id);
        let mut cmd = Command::new("valgrind");
        cmd.current_dir(&ws.root)
            .args(VALGRIND_ARGS)
            .arg(format!("--toggle-collect=*{MEASURED_SYMBOL}*"))
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&built.exe)
            .env(MODE_ENV, MODE_COUNT)
            .env(IDS_ENV, local)
            .stdout(Stdio::piped())
            .stderr(log_file.try_clone()?);
        let what = format!("counting {id} under callgrind");
        let done = interrupt::run(&mut cmd, true, &what)?;
        let confirmed = String::from_utf8_lossy(&done.stdout)
            .lines()
            .filter_map(PlanLine::parse)
            .any(|l| {
                l == PlanLine::Counted {
                    id: local.to_owned(),
                    iterations: *iterations,
                }
            });
        if !done.status.success() || !confirmed {
            bail!(
                "{what} failed ({}); valgrind's output: {}",
                done.status,
                log.display()
            );
        }
        let events = callgrind::read(&out)?;
        if events.ir == 0 {
            bail!(
                "{}: callgrind counted no instructions inside {MEASURED_SYMBOL} for {id} (was the symbol inlined away?)",
                out.display()
            );
        }
        counts.insert(id.clone(), Counts::from_events(&events, *iterations));
    }
    let summary = Summary {
        valgrind,
        duration_s: started.elapsed().as_secs_f64(),
        counted: counts.len(),
        uncounted: planned.uncounted.clone(),
    };
    eprintln!(
        "counted {} bench(es) in {:.1} s (excluding compilation)",
        summary.counted, summary.duration_s
    );
    Ok((counts, summary))
}
