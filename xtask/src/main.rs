//! `cargo xtask`: workspace automation. Today: `cargo xtask bench`, which discovers every Criterion
//! bench target in the workspace, runs them with one profile, and says where the results are.
//!
//! Exit status: 0 success, 1 a bench failed, 2 usage or input error.
//! Invariant: xtask depends on no ggen crate; it talks to benches through files and processes.

mod cli;
mod runner;
mod workspace;

use std::process::ExitCode;

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
    };
    match result {
        Ok(runner::Outcome::Success) => ExitCode::SUCCESS,
        Ok(runner::Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
