//! `cargo xtask`: workspace automation. `cargo xtask bench` discovers every Criterion bench target
//! in the workspace, runs them with one profile, checks `budgets.toml`, compares with a saved
//! baseline, and writes one report; `compare` and `report` work on saved runs.
//!
//! Exit status: 0 all good, 1 a claim failed or a bench regressed (or could not be compared),
//! 2 usage or input error, or another benchmark run holding the machine with `--no-wait`
//! (nothing written), 130/143 stopped by SIGINT/SIGTERM.
//! Invariant: xtask depends on no ggen crate; it talks to benches through files and processes.

mod against;
mod bisect;
mod cli;
mod history;
mod host;
mod instructions;
mod interrupt;
mod machine;
mod paired;
mod runner;
mod suites;
mod system;
mod workspace;

use std::process::ExitCode;

// The pure half (bench-report): its modules answer to `crate::` paths here as they always did.
#[cfg(test)]
use bench_report::testing;
use bench_report::{budgets, catalog, changepoint, claim, output, report, results, stats, units};

fn main() -> ExitCode {
    let cmd = match cli::parse(std::env::args_os().skip(1)) {
        Ok(cmd) => cmd,
        Err(e) => {
            eprintln!("error: {e:#}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match cmd {
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            Ok(runner::Outcome::Success)
        }
        cli::Command::Bench(args) => runner::bench(&args),
        cli::Command::Compare {
            a,
            b,
            threshold,
            ir_threshold,
            explain,
            no_fail,
        } => runner::compare(&a, &b, threshold, ir_threshold, explain.as_deref(), no_fail),
        cli::Command::Report { run } => runner::rerender(run.as_deref()),
        cli::Command::History(args) => runner::history::history(&args),
        cli::Command::HistoryImport { dirs, history } => {
            runner::history::import(&dirs, history.as_deref())
        }
        cli::Command::Bisect(args) => bisect::run(&args),
    };
    match result {
        Ok(runner::Outcome::Success) => ExitCode::SUCCESS,
        Ok(runner::Outcome::Failed) => ExitCode::from(1),
        Err(e) => match e.downcast_ref::<interrupt::Interrupted>() {
            Some(sig) => {
                eprintln!("{sig}: stopped the running suite");
                ExitCode::from(sig.exit_code())
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}
