//! `GGEN_WORKER_THREADS` handling. Each case re-runs this test binary as a child process with the
//! variable set, because the runtime is process-wide and `std::env::set_var` is unsafe in Rust 2024.
//! The child bodies are `#[ignore]`d tests that the parents select by exact name: in a normal run
//! they are reported as ignored, never as passing without having checked anything.

use std::process::Command;

use ggen_core::runtime::{self, RuntimeError};

const CHILD: &str = "GGEN_RUNTIME_ENV_CHILD";

fn run_child(test: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs `test` as a child with `vars` set; it must succeed and print `expected`.
fn expect_child(test: &str, vars: &[(&str, &str)], expected: &str) {
    let out = run_child(test, vars);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(expected),
        "expected {expected:?} in:\n{stdout}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
}

/// Child bodies only make sense with the variables their parent sets.
fn require_child() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "a child process body: run it through its parent test"
    );
}

#[test]
#[ignore = "a child process body, run by its parent test"]
fn child_reports_invalid_env() {
    require_child();
    for _ in 0..2 {
        // Reported on every call, not only the first.
        let err = runtime::execute(async {}).unwrap_err();
        assert!(
            matches!(err, RuntimeError::InvalidEnv { ref value, .. } if value == "lots"),
            "{err}"
        );
    }
    assert!(!runtime::is_initialized());
    println!("CHILD-OK {}", runtime::execute(async {}).unwrap_err());
}

#[test]
#[ignore = "a child process body, run by its parent test"]
fn child_uses_env_worker_count() {
    require_child();
    let stats = runtime::stats().unwrap();
    assert_eq!(stats.worker_threads, 1);
    assert_eq!(
        stats.slow_threshold,
        Some(std::time::Duration::from_millis(250))
    );
    assert_eq!(runtime::execute(async { 6 * 7 }).unwrap(), 42);
    println!("CHILD-OK");
}

#[test]
fn invalid_worker_env_gives_a_clear_error() {
    expect_child(
        "child_reports_invalid_env",
        &[(runtime::WORKER_THREADS_ENV, "lots")],
        "CHILD-OK GGEN_WORKER_THREADS=\"lots\" is invalid",
    );
}

#[test]
#[ignore = "a child process body, run by its parent test"]
fn child_reports_invalid_slow_env() {
    require_child();
    let err = runtime::execute(async {}).unwrap_err();
    println!("CHILD-OK {err}");
}

#[test]
fn invalid_slow_op_env_names_the_variable() {
    expect_child(
        "child_reports_invalid_slow_env",
        &[(runtime::SLOW_OP_ENV, "0")],
        "CHILD-OK GGEN_SLOW_OP_MS=\"0\" is invalid: expected a positive integer number of milliseconds",
    );
}

#[test]
fn valid_worker_env_sets_the_worker_count() {
    expect_child(
        "child_uses_env_worker_count",
        &[
            (runtime::WORKER_THREADS_ENV, "1"),
            (runtime::SLOW_OP_ENV, "250"),
        ],
        "CHILD-OK",
    );
}
