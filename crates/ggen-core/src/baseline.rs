//! The old runtime design — a new tokio runtime for every call — kept **only** as a comparison
//! twin for the `runtime_overhead` bench suite.
//!
//! Do not use these in product code: [`crate::runtime::execute`] reuses one process-wide runtime
//! and is about a thousand times cheaper for small futures on this project's reference machine (the
//! `execute_baseline` group measures the ratio on every run). These functions build, use and drop a
//! runtime per call, exactly as the old `ggen` CLI did, and fail the same way a fresh runtime
//! would (I/O errors when threads cannot be spawned, tokio's panic when called inside a runtime).

use std::future::Future;

/// Runs `future` on a new multi-thread runtime (all drivers enabled), then drops the runtime.
pub fn execute_per_call<F: Future>(future: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(future))
}

/// Runs `future` on a new current-thread runtime (all drivers enabled), then drops the runtime.
pub fn execute_per_call_current_thread<F: Future>(future: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_call_twins_run_futures_to_completion() {
        assert_eq!(execute_per_call(async { 2 + 2 }).unwrap(), 4);
        let out = execute_per_call_current_thread(async {
            tokio::task::yield_now().await;
            "done"
        })
        .unwrap();
        assert_eq!(out, "done");
    }
}
